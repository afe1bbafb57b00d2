# Bad input: an Invalid Message answer when one can still be framed,
# otherwise a closed connection; an info line saying what was wrong; the
# connection goes on only when the framing can be trusted.

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic;

$SIG{PIPE} = 'IGNORE';

# a valid request whose Operation enumeration has a non-zero padding byte
sub bad_padding {
    my $r = dv(version => '1.3');
    my $op = pack('H*', '42005c05000000040000001e00000000');
    my $bad = pack('H*', '42005c05000000040000001e00000001');
    $r =~ s/\Q$op\E/$bad/ or die 'no Operation item';
    return $r;
}

# the answer to a Validate (which this server does not implement) with
# the batch item id $ubi (hex): its Result Message, or the one given
sub validate_refused {
    my ($ubi, $message) = @_;
    $message //= '"operation Validate (0x17) is not supported"';
    return "    Operation: 0x17\n    Unique Batch Item ID: bytes(1) $ubi\n"
           . "    Result Status: 0x1\n    Result Reason: 0x5\n"
           . "    Result Message: $message\n";
}

block_default(stream_server_config => "    kmip;\n");

run_tests();

__DATA__

=== TEST 1: bytes that are not TTLV end the connection
--- raw_request eval
"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
--- expect_close
--- error_log
kmip: client sent data that is not a KMIP message
--- no_error_log
[error]

=== TEST 2: a message announcing more than kmip_max_message_size
--- stream_server_config
    kmip;
    kmip_max_message_size 1k;
--- raw_request eval
pack('H*', '4200780100001000')
--- expect_close
--- error_log
kmip: client sent a message of 4104 bytes, more than kmip_max_message_size 1024

=== TEST 3: invalid TTLV inside a whole frame: Invalid Message, then close
--- response_test eval
sub {
    my $c = kmip_connect(current_vars()->{TEST_NGINX_PORT});
    my $r = $c->request(main::bad_padding());
    ok($r, 'answered');
    is(kmip_value($r, 'Response Header', 'Protocol Version',
                  'Protocol Version Minor'), 3, 'in the request version');
    is(kmip_value($r, 'Batch Item', 'Result Status'), 1, 'failed');
    is(kmip_value($r, 'Batch Item', 'Result Reason'), 4, 'Invalid Message');
    ok(!kmip_find($r, 'Batch Item', 'Operation'), 'no operation echoed');
    ok($c->expect_close(3), 'then closed');
}
--- error_log
kmip: client sent invalid TTLV

=== TEST 4: Batch Count not matching the items: Invalid Message, connection kept
--- requests eval
[ kmip_request(version => '1.2', batch_count => 2,
               items => [ { operation => 'Discover Versions',
                            payload => [] } ]),
  dv(version => '1.2') ]
--- response_dump eval
join "---\n", response_head('1.2') . <<'REFUSED', response_head('1.2') . <<'SERVED'
    Result Status: 0x1
    Result Reason: 0x4
    Result Message: *
REFUSED
    Operation: 0x1e
    Result Status: 0x0
    Response Payload
      ...
SERVED
--- error_log
kmip: client sent an invalid request message

=== TEST 5: a client that closes in the middle of a request
--- response_test eval
sub {
    my $c = kmip_connect(current_vars()->{TEST_NGINX_PORT});
    $c->send(substr(dv(), 0, 13));
    select(undef, undef, undef, 0.3);
    $c->close;
    select(undef, undef, undef, 0.3);
    pass('sent part of a request and closed');
}
--- error_log
kmip: client closed connection in the middle of a request

=== TEST 6: a protocol version the server does not know
--- request eval
dv(version => '3.0')
--- response_dump eval
response_head('3.0') . <<'EOF'
    Result Status: 0x1
    Result Reason: 0x4
    Result Message: "protocol version not supported"
EOF
--- error_log
kmip: client sent protocol version 3.0, which is not supported

=== TEST 7: Maximum Response Size is honoured
--- request eval
dv(version => '1.4', max_response_size => 100)
--- response_dump eval
response_head('1.4') . <<'EOF'
    Operation: 0x1e
    Result Status: 0x1
    Result Reason: 0x2
    Result Message: *
EOF
--- error_log
kmip: response of

=== TEST 8: a Maximum Response Size the answer fits in
--- request eval
dv(version => '1.4', max_response_size => 4096)
--- response_test eval
sub {
    my ($r) = @_;
    is(kmip_value($r, 'Batch Item', 'Result Status'), 0, 'success');
}

=== TEST 9: Stop (the default) runs nothing after a failed item
--- request eval
kmip_request(version => '1.4',
             items => [ { operation => 'Validate', ubi => 'a', payload => [] },
                        { operation => 'Discover Versions', ubi => 'b',
                          payload => [] } ])
--- response_dump eval
response_head('1.4') . validate_refused('61')

=== TEST 10: Continue runs every item
--- request eval
kmip_request(version => '1.4',
             header => [ E('Batch Error Continuation Option', 1) ],
             items => [ { operation => 'Validate', ubi => 'a', payload => [] },
                        { operation => 'Discover Versions', ubi => 'b',
                          payload => [] } ])
--- response_dump eval
response_head('1.4', 2) . validate_refused('61', '*') . <<'EOF'
  Batch Item
    Operation: 0x1e
    Unique Batch Item ID: bytes(1) 62
    Result Status: 0x0
    Response Payload
      ...
EOF

=== TEST 11: Undo: the item before the failed one is Operation Undone
--- request eval
kmip_request(version => '1.4',
             header => [ E('Batch Error Continuation Option', 3) ],
             items => [ { operation => 'Discover Versions', ubi => 'a',
                          payload => [] },
                        { operation => 'Validate', ubi => 'b', payload => [] },
                        { operation => 'Query', ubi => 'c',
                          payload => [ E('Query Function', 3) ] } ])
--- response_dump eval
response_head('1.4', 2) . <<'EOF'
    Operation: 0x1e
    Unique Batch Item ID: bytes(1) 61
    Result Status: 0x3
    Response Payload
      ...
  Batch Item
EOF
. validate_refused('62')

=== TEST 12: the worker survives, and a new connection is served
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    for my $bytes (main::bad_padding(), pack('H*', '420078010000ffff'),
                   "\x42\x00\x78\x01\0\0\0\x08" . ("\0" x 8))
    {
        my $c = kmip_connect($port);
        $c->send($bytes);
        $c->recv_raw(1);
        $c->close;
    }
    my $r = kmip_roundtrip($port, dv());
    is(kmip_value($r, 'Batch Item', 'Result Status'), 0, 'still serving');
}
--- no_error_log
exited on signal
