# Discover Versions: what the server offers, in which order, and the
# answer's protocol version (always the request's).

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic;

# the answer's Protocol Version structures, as response_dump shows them
sub versions_dump {
    return join '', map {
        my ($major, $minor) = split /\./;
        "      Protocol Version\n"
        . "        Protocol Version Major: $major\n"
        . "        Protocol Version Minor: $minor\n"
    } @_;
}

# the client's Protocol Version structures, for a request's payload
sub versions_items {
    return map {
        my ($major, $minor) = split /\./;
        S('Protocol Version', [ I('Protocol Version Major', $major),
                                I('Protocol Version Minor', $minor) ])
    } @_;
}

# a successful Discover Versions answering the versions given
sub dv_dump {
    my ($version, @versions) = @_;
    return response_head($version)
           . "    Operation: 0x1e\n    Result Status: 0x0\n"
           . "    Response Payload\n" . versions_dump(@versions);
}

block_default(stream_server_config => "    kmip;\n");

run_tests();

__DATA__

=== TEST 1: vCenter's first message: empty payload at 1.1, no batch item id
--- request eval
dv(version => '1.1')
--- response_dump eval
dv_dump('1.1', qw(2.1 2.0 1.4 1.3 1.2 1.1 1.0))
--- no_error_log
[error]
kmip:

=== TEST 2: the client's list narrows the answer, in the server's order
--- request eval
kmip_request(version => '1.2',
             items => [ { operation => 'Discover Versions',
                          ubi => "QLKC\x01\0\0\0",
                          payload => [ versions_items(qw(1.0 1.2 3.0)) ] } ])
--- response_dump eval
response_head('1.2') . <<'EOF'
    Operation: 0x1e
    Unique Batch Item ID: bytes(8) 514c4b4301000000
    Result Status: 0x0
    Response Payload
      Protocol Version
        Protocol Version Major: 1
        Protocol Version Minor: 2
      Protocol Version
        Protocol Version Major: 1
        Protocol Version Minor: 0
EOF
--- no_error_log
[error]

=== TEST 3: no common version gives an empty list
--- stream_server_config
    kmip;
    kmip_protocol_versions 1.4 1.2;
--- request eval
kmip_request(version => '1.1',
             items => [ { operation => 'Discover Versions',
                          payload => [ versions_items('1.1') ] } ])
--- response_dump eval
response_head('1.1') . <<'EOF'
    Operation: 0x1e
    Result Status: 0x0
    Response Payload
EOF

=== TEST 4: kmip_protocol_versions sets the list and its order
--- stream_server_config
    kmip;
    kmip_protocol_versions 1.4 2.0 1.1;
--- request eval
dv(version => '1.1')
--- response_dump eval
dv_dump('1.1', qw(1.4 2.0 1.1))

=== TEST 5: a 1.1 client gets 1.1 answers whatever the server offers
--- stream_server_config
    kmip;
    kmip_protocol_versions 2.1 1.4;
--- requests eval
[ map { dv(version => '1.1', ubi => "QLKC\x01\0\0\0") } 1 .. 2 ]
--- response_dump eval
join "---\n", (response_head('1.1') . <<'EOF') x 2
    Operation: 0x1e
    Unique Batch Item ID: bytes(8) 514c4b4301000000
    Result Status: 0x0
    Response Payload
      ...
EOF

=== TEST 6: Discover Versions does not exist in KMIP 1.0
--- request eval
dv(version => '1.0')
--- response_dump eval
response_head('1.0') . <<'EOF'
    Operation: 0x1e
    Result Status: 0x1
    Result Reason: 0x5
    Result Message: *
EOF

=== TEST 7: a payload holding something else is an invalid message
--- request eval
kmip_request(version => '1.4',
             items => [ { operation => 'Discover Versions',
                          payload => [ I('Batch Count', 1) ] } ])
--- response_dump eval
response_head('1.4') . <<'EOF'
    Operation: 0x1e
    Result Status: 0x1
    Result Reason: 0x4
    Result Message: "Discover Versions payload holds something other than Protocol Version structures"
EOF
