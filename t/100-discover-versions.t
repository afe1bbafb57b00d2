# Discover Versions: what the server offers, in which order, and the
# answer's protocol version (always the request's).

use lib 't/lib';
use Test::Nginx::KMIP;

run_tests();

__DATA__

=== TEST 1: vCenter's first message: empty payload at 1.1, no batch item id
--- stream_server_config
    kmip;
--- request eval
kmip_request(version => '1.1',
             items => [ { operation => 'Discover Versions', payload => [] } ])
--- response_dump eval
response_head('1.1') . <<'EOF'
    Operation: 0x1e
    Result Status: 0x0
    Response Payload
      Protocol Version
        Protocol Version Major: 2
        Protocol Version Minor: 1
      Protocol Version
        Protocol Version Major: 2
        Protocol Version Minor: 0
      Protocol Version
        Protocol Version Major: 1
        Protocol Version Minor: 4
      Protocol Version
        Protocol Version Major: 1
        Protocol Version Minor: 3
      Protocol Version
        Protocol Version Major: 1
        Protocol Version Minor: 2
      Protocol Version
        Protocol Version Major: 1
        Protocol Version Minor: 1
      Protocol Version
        Protocol Version Major: 1
        Protocol Version Minor: 0
EOF
--- no_error_log
[error]
kmip:

=== TEST 2: the client's list narrows the answer, in the server's order
--- stream_server_config
    kmip;
--- request eval
kmip_request(version => '1.2',
             items => [ { operation => 'Discover Versions',
                          ubi => "QLKC\x01\0\0\0",
                          payload => [
                              S('Protocol Version', [
                                  I('Protocol Version Major', 1),
                                  I('Protocol Version Minor', 0) ]),
                              S('Protocol Version', [
                                  I('Protocol Version Major', 1),
                                  I('Protocol Version Minor', 2) ]),
                              S('Protocol Version', [
                                  I('Protocol Version Major', 3),
                                  I('Protocol Version Minor', 0) ]),
                          ] } ])
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
                          payload => [
                              S('Protocol Version', [
                                  I('Protocol Version Major', 1),
                                  I('Protocol Version Minor', 1) ]),
                          ] } ])
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
kmip_request(version => '1.1',
             items => [ { operation => 'Discover Versions', payload => [] } ])
--- response_dump eval
response_head('1.1') . <<'EOF'
    Operation: 0x1e
    Result Status: 0x0
    Response Payload
      Protocol Version
        Protocol Version Major: 1
        Protocol Version Minor: 4
      Protocol Version
        Protocol Version Major: 2
        Protocol Version Minor: 0
      Protocol Version
        Protocol Version Major: 1
        Protocol Version Minor: 1
EOF

=== TEST 5: a 1.1 client gets 1.1 answers whatever the server offers
--- stream_server_config
    kmip;
    kmip_protocol_versions 2.1 1.4;
--- requests eval
[ map { kmip_request(version => '1.1',
                     items => [ { operation => 'Discover Versions',
                                  ubi => "QLKC\x01\0\0\0",
                                  payload => [] } ]) } 1 .. 2 ]
--- response_dump eval
join "---\n", (response_head('1.1') . <<'EOF') x 2
    Operation: 0x1e
    Unique Batch Item ID: bytes(8) 514c4b4301000000
    Result Status: 0x0
    Response Payload
      ...
EOF

=== TEST 6: Discover Versions does not exist in KMIP 1.0
--- stream_server_config
    kmip;
--- request eval
kmip_request(version => '1.0',
             items => [ { operation => 'Discover Versions', payload => [] } ])
--- response_dump eval
response_head('1.0') . <<'EOF'
    Operation: 0x1e
    Result Status: 0x1
    Result Reason: 0x5
    Result Message: *
EOF

=== TEST 7: a payload holding something else is an invalid message
--- stream_server_config
    kmip;
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
