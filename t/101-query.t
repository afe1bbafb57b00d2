# Query: the answer lists exactly what the server implements, in the order
# the specification gives the payload fields, and only fields that exist in
# the request's protocol version.

use lib 't/lib';
use Test::Nginx::KMIP;

run_tests();

__DATA__

=== TEST 1: vCenter's Query Server Information at 1.1
--- stream_server_config
    kmip;
--- request eval
kmip_request(version => '1.1',
             items => [ { operation => 'Query', ubi => "QLKC\x01\0\0\0",
                          payload => [ E('Query Function', 3) ] } ])
--- response_dump eval
response_head('1.1') . <<'EOF'
    Operation: 0x18
    Unique Batch Item ID: bytes(8) 514c4b4301000000
    Result Status: 0x0
    Response Payload
      Vendor Identification: "ngx_kmip 0.1.0"
EOF
--- no_error_log
[error]
kmip:

=== TEST 2: operations, objects and server information, functions in any order
--- stream_server_config
    kmip;
--- request eval
kmip_request(version => '1.4',
             items => [ { operation => 'Query',
                          payload => [ E('Query Function', 3),
                                       E('Query Function', 2),
                                       E('Query Function', 1),
                                       E('Query Function', 4),
                                       E('Query Function', 5) ] } ])
--- response_dump eval
response_head('1.4') . <<'EOF'
    Operation: 0x18
    Result Status: 0x0
    Response Payload
      Operation: 0x18
      Operation: 0x1e
      Operation: 0x25
      Operation: 0x27
      Vendor Identification: "ngx_kmip 0.1.0"
EOF

=== TEST 3: KMIP 1.0 has no Discover Versions to announce
--- stream_server_config
    kmip;
--- request eval
kmip_request(version => '1.0',
             items => [ { operation => 'Query',
                          payload => [ E('Query Function', 1) ] } ])
--- response_dump eval
response_head('1.0') . <<'EOF'
    Operation: 0x18
    Result Status: 0x0
    Response Payload
      Operation: 0x18
EOF

=== TEST 4: 2.x adds a Server Information structure
--- stream_server_config
    kmip;
--- request eval
kmip_request(version => '2.0',
             items => [ { operation => 'Query',
                          payload => [ E('Query Function', 3) ] } ])
--- response_dump eval
response_head('2.0') . <<'EOF'
    Operation: 0x18
    Result Status: 0x0
    Response Payload
      Vendor Identification: "ngx_kmip 0.1.0"
      Server Information
        Product Name: "ngx_kmip"
        Server Version: "0.1.0"
EOF

=== TEST 5: an operation the server does not implement
--- stream_server_config
    kmip;
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
