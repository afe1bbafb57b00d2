# Hostile and broken clients: a KMIP error where one can still be framed,
# otherwise a closed connection; an info line saying what was wrong; the
# worker is the same process afterwards and serves a new connection.
# (The basic cases are in t/104-malformed.t and t/102-session.t.)

use lib 't/lib';
use Test::Nginx::KMIP;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';

sub dv {
    return kmip_request(version => $_[0] // '1.2',
                        items => [ { operation => 'Discover Versions',
                                     payload => [] } ]);
}

sub worker_pids { join ',', serving_pids() }

# runs the hostile part, then checks the worker and a fresh valid request
sub survive {
    my ($what) = @_;
    my $port = current_vars()->{TEST_NGINX_PORT};
    my $before = worker_pids();
    ok(length $before, "workers $before");
    $what->($port);
    my $r = kmip_roundtrip($port, dv());
    is(kmip_value($r, 'Batch Item', 'Result Status'), 0,
       'a new connection is served');
    is(worker_pids(), $before, 'same worker processes');
}

# sends bytes, expects one Invalid Message answer; $close: then closed
sub rejects {
    my ($bytes, $close) = @_;
    return sub {
        my $c = kmip_connect($_[0]);
        $c->send($bytes);
        my $m = $c->recv_message(5);
        ok($m, 'answered');
        my $t = $m ? ttlv_decode($m) : undef;
        is(kmip_value($t, 'Batch Item', 'Result Status'), 1, 'failed');
        is(kmip_value($t, 'Batch Item', 'Result Reason'), 4,
           'Invalid Message');
        if ($close) {
            ok($c->expect_close(3), 'then closed');
        } else {
            my $r = $c->request(dv());
            is(kmip_value($r, 'Batch Item', 'Result Status'), 0,
               'the connection goes on');
        }
    };
}

sub replace_item {
    my ($req, $old, $new) = @_;
    $req =~ s/\Q$old\E/$new/ or die 'item not found';
    return $req;
}

sub hdr { pack('H6CN', sprintf('%06x', $_[0]), $_[1], $_[2]) }

# the Discover Versions request, with its Operation item replaced
my $op = pack('H*', '42005c05000000040000001e00000000');

sub with_op { replace_item(dv(), $op, $_[0]) }

# structures nested N deep inside the request payload
sub deep {
    my ($n) = @_;
    my $item = S('Protocol Version', []);
    $item = S('Protocol Version', [ $item ]) for 1 .. $n;
    return kmip_request(version => '1.2',
                        items => [ { operation => 'Discover Versions',
                                     payload => [ $item ] } ]);
}

sub many_items {
    my ($n) = @_;
    return kmip_request(version => '1.2',
                        items => [ { operation => 'Discover Versions',
                                     payload => [ map { S('Protocol Version',
                                                          []) } 1 .. $n ] } ]);
}

run_tests();

__DATA__

=== TEST 1: truncated header, then close
--- stream_server_config
    kmip;
--- response_test eval
sub { main::survive(sub {
    my $c = kmip_connect($_[0]);
    $c->send("\x42\x00\x78\x01");
    sleep 0.2;
    $c->close;
    sleep 0.3;
    pass('sent 4 bytes and closed');
}) }
--- error_log
kmip: client closed connection in the middle of a request

=== TEST 2: an announced length over kmip_max_message_size
--- stream_server_config
    kmip;
    kmip_max_message_size 4k;
--- response_test eval
sub { main::survive(sub {
    my $c = kmip_connect($_[0]);
    $c->send(main::hdr(0x420078, 1, 0x7ffffff8));
    ok($c->expect_close(3), 'closed without an answer');
}) }
--- error_log
kmip: client sent a message of 2147483648 bytes, more than kmip_max_message_size 4096

=== TEST 3: an inner length not matching the bytes: Invalid Message, close
--- stream_server_config
    kmip;
--- response_test eval
sub { main::survive(main::rejects(
    main::with_op(pack('H*', '42005c05000000400000001e00000000')), 1)) }
--- error_log
kmip: client sent invalid TTLV

=== TEST 4: a bad item type
--- stream_server_config
    kmip;
--- response_test eval
sub { main::survive(main::rejects(
    main::with_op(pack('H*', '42005c0c000000040000001e00000000')), 1)) }
--- error_log
kmip: client sent invalid TTLV: unknown item type

=== TEST 5: non-zero padding in a text string
--- stream_server_config
    kmip;
--- response_test eval
sub { main::survive(main::rejects(main::replace_item(
    kmip_request(version => '1.2', credential => [ 'ab', 'cd' ],
                 items => [ { operation => 'Discover Versions',
                              payload => [] } ]),
    "ab\0\0\0\0\0\0", "ab\0\0\0\0\0\x01"), 1)) }
--- error_log
kmip: client sent invalid TTLV: non-zero padding

=== TEST 6: nesting past the depth limit
--- stream_server_config
    kmip;
--- response_test eval
sub { main::survive(main::rejects(main::deep(40), 1)) }
--- error_log
kmip: client sent invalid TTLV: nesting too deep

=== TEST 7: nesting just inside the depth limit is understood
--- stream_server_config
    kmip;
--- response_test eval
sub { main::survive(sub {
    my $r = kmip_roundtrip($_[0], main::deep(20));
    ok(defined kmip_value($r, 'Batch Item', 'Result Status'), 'answered');
}) }
--- no_error_log
nesting too deep

=== TEST 8: too many items
--- stream_server_config
    kmip;
    kmip_max_message_size 1m;
--- response_test eval
sub { main::survive(main::rejects(main::many_items(10050), 1)) }
--- error_log
kmip: client sent invalid TTLV: too many items

=== TEST 9: the wrong type for a known tag (Operation as an Integer)
--- stream_server_config
    kmip;
--- response_test eval
sub { main::survive(main::rejects(
    main::with_op(pack('H*', '42005c02000000040000001e00000000')), 0)) }
--- error_log
kmip: invalid batch item 1: invalid Operation

=== TEST 10: unknown tags in the header and the payload are answered
--- stream_server_config
    kmip;
--- response_test eval
sub { main::survive(sub {
    my $req = kmip_request(version => '1.2',
        header => [ RAW_ITEM(0x42ff01, 2, pack('N', 7)) ],
        items => [ { operation => 'Discover Versions',
                     payload => [ RAW_ITEM(0x540099, 7, 'vendor') ] } ]);
    my $c = kmip_connect($_[0]);
    my $r = $c->request($req);
    ok($r, 'answered');
    ok(defined kmip_value($r, 'Batch Item', 'Result Status'),
       'with a batch item');
    my $r2 = $c->request(main::dv());
    is(kmip_value($r2, 'Batch Item', 'Result Status'), 0,
       'the connection goes on');
}) }
--- no_error_log
[error]

=== TEST 11: Batch Count not matching the items, on a fresh worker check
--- stream_server_config
    kmip;
--- response_test eval
sub { main::survive(main::rejects(
    kmip_request(version => '1.2', batch_count => 3,
                 items => [ { operation => 'Discover Versions',
                              payload => [] } ]), 0)) }
--- error_log
kmip: client sent an invalid request message

=== TEST 12: trailing bytes after a request: answered, then not KMIP
--- stream_server_config
    kmip;
--- response_test eval
sub { main::survive(sub {
    my $c = kmip_connect($_[0]);
    $c->send(main::dv() . "GET / HTTP/1.0\r\n\r\n");
    my $m = $c->recv_message(5);
    ok($m, 'the request is answered');
    is(kmip_value(ttlv_decode($m), 'Batch Item', 'Result Status'), 0,
       'successfully');
    ok($c->expect_close(3), 'the trailing bytes end the connection');
}) }
--- error_log
kmip: client sent data that is not a KMIP message

=== TEST 13: a slow client (one byte a second) is closed by kmip_read_timeout
--- skip_valgrind: measures a timer against the wall clock, which valgrind's slowdown skews
--- stream_server_config
    kmip;
    kmip_read_timeout 2s;
--- timeout: 15
--- response_test eval
sub { main::survive(sub {
    my $c = kmip_connect($_[0]);
    my $req = main::dv();
    my $t0 = time;
    my $closed;
    for my $i (0 .. length($req) - 1) {
        $c->send(substr($req, $i, 1));
        if ($c->expect_close(1)) {
            $closed = time - $t0;
            last;
        }
    }
    ok($closed, 'closed before the request was whole');
    cmp_ok($closed // 99, '<', 5, 'within about kmip_read_timeout');
    cmp_ok($closed // 0, '>=', 1.5, 'not before it');
}) }
--- error_log
kmip: client timed out sending a request

=== TEST 14: plain TCP bytes on the TLS port: the handshake fails
--- stream_server_config
    kmip;
--- log_level: info
--- response_test eval
sub { main::survive(sub {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $_[0]) or die $!;
    print $s "\x42\x00\x78\x01\0\0\0\x20" . ("\0" x 32);
    my $buf = '';
    $s->sysread($buf, 100);
    pass('plain KMIP bytes sent');
    $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                               PeerPort => $_[0]) or die $!;
    print $s "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    $buf = '';
    my $n = $s->sysread($buf, 4096);
    ok(!$n || $buf !~ /^HTTP/, 'no HTTP answer');
    close $s;
}) }
--- error_log eval
[ qr/\[info\].*SSL_do_handshake\(\) failed/ ]

=== TEST 15: handshake, then silence: closed by kmip_idle_timeout
--- stream_server_config
    kmip;
    kmip_idle_timeout 1s;
--- response_test eval
sub { main::survive(sub {
    my $c = kmip_connect($_[0]);
    my $t0 = time;
    ok($c->expect_close(4), 'closed');
    cmp_ok(time - $t0, '<', 3, 'after about kmip_idle_timeout');
}) }
--- error_log
kmip: client sent no request within kmip_idle_timeout

=== TEST 16: thousands of connections opened and dropped
--- stream_server_config
    kmip;
--- timeout: 60
--- response_test eval
sub { main::survive(sub {
    my $t0 = time;
    my $n = 0;
    for (1 .. 3000) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $_[0]) or next;
        $n++;
        close $s;
    }
    for (1 .. 100) {
        my $c = kmip_connect($_[0]);
        $n++ unless $c->error;
        $c->close;
    }
    cmp_ok($n, '>=', 3000, "$n connections");
    cmp_ok(time - $t0, '<', 45, 'in bounded time');
}) }
--- no_error_log
[alert]
[crit]
