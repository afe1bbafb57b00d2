# Sessions: framing across split writes, several requests on one
# connection, the three timeouts, handshake-only connections, and a
# long-lived connection that does not grow.

use lib 't/lib';
use Test::Nginx::KMIP;

# the slow and the non-reading clients write to connections nginx closes
$SIG{PIPE} = 'IGNORE';

sub dv {
    my ($version, $ubi) = @_;
    return kmip_request(version => $version // '1.1',
                        items => [ { operation => 'Discover Versions',
                                     ($ubi ? (ubi => $ubi) : ()),
                                     payload => [] } ]);
}

sub dv_response {
    my ($ubi) = @_;
    return response_head('1.1') . "    Operation: 0x1e\n"
         . ($ubi ? "    Unique Batch Item ID: bytes(8) $ubi\n" : '')
         . "    Result Status: 0x0\n    Response Payload\n      ...\n";
}

run_tests();

__DATA__

=== TEST 1: a request split over many TCP writes
--- stream_server_config
    kmip;
--- request eval
my $r = dv('1.1', "QLKC\x01\0\0\0");
[ substr($r, 0, 3), substr($r, 3, 5), substr($r, 8, 1),
  substr($r, 9, 30), substr($r, 39) ]
--- request_delay: 0.2
--- response_dump eval
dv_response('514c4b4301000000')
--- no_error_log
[error]
kmip:

=== TEST 2: vCenter's pattern: Discover Versions twice on one connection
--- stream_server_config
    kmip;
--- requests eval
[ dv('1.1'), dv('1.1', "QLKC\x01\0\0\0") ]
--- response_dump eval
dv_response() . "---\n" . dv_response('514c4b4301000000')
--- no_error_log
[error]

=== TEST 3: two requests in one write are answered in order
--- stream_server_config
    kmip;
--- response_test eval
sub {
    my $c = kmip_connect(current_vars()->{TEST_NGINX_PORT});
    $c->send(dv('1.1', "A") . dv('1.1', "B"));
    my $first = ttlv_decode($c->recv_message);
    my $second = ttlv_decode($c->recv_message);
    is(kmip_value($first, 'Batch Item', 'Unique Batch Item ID'), 'A',
       'first answer first');
    is(kmip_value($second, 'Batch Item', 'Unique Batch Item ID'), 'B',
       'second answer second');
}

=== TEST 4: a handshake-only connection is not an error
--- stream_server_config
    kmip;
--- stream_config
    log_format kmip '$status requests=$kmip_requests';
    access_log logs/access.log kmip;
--- response_test eval
sub {
    my $c = kmip_connect(current_vars()->{TEST_NGINX_PORT});
    $c->close;
    pass('connected and closed');
}
--- access_log
200 requests=0
--- no_error_log
[error]
kmip:

=== TEST 5: idle connections close after kmip_idle_timeout
--- stream_server_config
    kmip;
    kmip_idle_timeout 1s;
--- response_test eval
sub {
    my $c = kmip_connect(current_vars()->{TEST_NGINX_PORT});
    my $r = $c->request(dv());
    ok($r, 'answered');
    my $t = time;
    ok($c->expect_close(5), 'closed when idle');
    cmp_ok(time - $t, '<=', 4, 'within the idle timeout');
}
--- no_error_log
[error]
kmip:

=== TEST 6: a request that arrives too slowly fails after kmip_read_timeout
--- stream_server_config
    kmip;
    kmip_read_timeout 1s;
    kmip_idle_timeout 30s;
--- response_test eval
sub {
    my $c = kmip_connect(current_vars()->{TEST_NGINX_PORT});
    my $r = dv();
    # one byte every half second: the whole request would take minutes
    for my $i (0 .. 5) {
        $c->send(substr($r, $i, 1));
        select(undef, undef, undef, 0.5);
    }
    ok($c->expect_close(3), 'closed');
}
--- error_log
kmip: client timed out sending a request

=== TEST 7: a client that does not read its responses hits kmip_send_timeout
--- skip_valgrind: under valgrind nginx answers too slowly to fill the socket buffer in the time the test sends
--- stream_server_config
    kmip;
    kmip_send_timeout 1s;
--- response_test eval
sub {
    my $c = kmip_connect(current_vars()->{TEST_NGINX_PORT});
    my $sock = $c->sock;
    $sock->blocking(0);
    my $r = dv() x 64;
    my $deadline = time + 6;
    my $sent = 0;
    while (time < $deadline) {
        my $n = syswrite($sock, $r);
        if (defined $n && $n > 0) {
            $sent += $n;
            $r = substr($r, $n) . substr(dv() x 64, 0, $n);
        } else {
            select(undef, undef, undef, 0.05);
        }
    }
    cmp_ok($sent, '>', 100000, "sent $sent bytes without reading");
}
--- wait: 1
--- error_log
kmip: client timed out reading a response

=== TEST 8: a long-lived connection does not grow
--- skip_valgrind: valgrind's own memory is in the process's RSS
--- stream_server_config
    kmip;
--- response_test eval
sub {
    my $c = kmip_connect(current_vars()->{TEST_NGINX_PORT});
    my $batch = dv() x 50;
    my ($worker) = serving_pids();
    my $rss = sub {
        open my $fh, '<', "/proc/$worker/status" or return 0;
        while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
        return 0;
    };
    my $run = sub {
        for (1 .. $_[0] / 50) {
            $c->send($batch);
            $c->recv_message for 1 .. 50;
        }
    };
    $run->(1000);
    my $before = $rss->();
    $run->(10000);
    my $after = $rss->();
    ok($worker, "worker $worker");
    cmp_ok($after - $before, '<', 1024,
           "RSS grew by @{[ $after - $before ]} KiB over 10000 requests");
}
--- timeout: 60
--- no_error_log
[error]
