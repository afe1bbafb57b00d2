# Query: the answer lists exactly what the server implements, in the order
# the specification gives the payload fields, and only fields that exist in
# the request's protocol version.

use lib 't/lib';
use Test::Nginx::KMIP;

# a Query of the Query Functions given; a leading hash reference holds
# more of the batch item (its ubi)
sub query {
    my %item = ref $_[0] ? %{ shift() } : ();
    my ($version, @functions) = @_;
    return kmip_request(version => $version,
                        items => [ { operation => 'Query', %item,
                                     payload => [ map { E('Query Function',
                                                          $_) } @functions ]
                                   } ]);
}

# the start of a successful Query's answer, up to its payload's fields,
# with the batch item's id (hex) if it has one
sub query_head {
    my ($version, $ubi) = @_;
    return response_head($version) . "    Operation: 0x18\n"
           . (defined $ubi ? "    Unique Batch Item ID: bytes(8) $ubi\n" : '')
           . "    Result Status: 0x0\n    Response Payload\n";
}

block_default(stream_server_config => "    kmip;\n");

run_tests();

__DATA__

=== TEST 1: vCenter's Query Server Information at 1.1
--- request eval
query({ ubi => "QLKC\x01\0\0\0" }, '1.1', 3)
--- response_dump eval
query_head('1.1', '514c4b4301000000') . <<'EOF'
      Vendor Identification: "ngx_kmip 0.1.0"
EOF
--- no_error_log
[error]
kmip:

=== TEST 2: operations, objects and server information, functions in any order
--- request eval
query('1.4', 3, 2, 1, 4, 5)
--- response_dump eval
query_head('1.4') . <<'EOF'
      Operation: 0x18
      Operation: 0x19
      Operation: 0x1a
      Operation: 0x1e
      Operation: 0x25
      Operation: 0x26
      Operation: 0x27
      Vendor Identification: "ngx_kmip 0.1.0"
EOF

=== TEST 3: KMIP 1.0 has no Discover Versions to announce
--- request eval
query('1.0', 1)
--- response_dump eval
query_head('1.0') . <<'EOF'
      Operation: 0x18
      Operation: 0x19
      Operation: 0x1a
EOF

=== TEST 4: 2.x adds a Server Information structure
--- request eval
query('2.0', 3)
--- response_dump eval
query_head('2.0') . <<'EOF'
      Vendor Identification: "ngx_kmip 0.1.0"
      Server Information
        Product Name: "ngx_kmip"
        Server Version: "0.1.0"
EOF

=== TEST 5: an operation the server does not implement
--- request eval
kmip_request(version => '1.1',
             items => [ { operation => 'Certify', ubi => "QLKC\x01\0\0\0",
                          payload => [ T('Unique Identifier', '1') ] } ])
--- response_dump eval
response_head('1.1') . <<'EOF'
    Operation: 0x6
    Unique Batch Item ID: bytes(8) 514c4b4301000000
    Result Status: 0x1
    Result Reason: 0x5
    Result Message: "operation Certify (0x06) is not supported"
EOF
--- no_error_log
[error]
