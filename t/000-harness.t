# Self-test of the harness (t/lib/Test/Nginx/KMIP.pm) against nginx's stock
# stream modules only (return, proxy_pass, ssl): it does not need the KMIP
# module.  A forked Perl "echo KMIP" backend answers framed TTLV requests;
# nginx terminates mutual TLS and proxies to it.
use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use IO::Socket::INET;
use POSIX ();

no_kmip_module();

# ---- echo backend: Response Message mirroring each Batch Item's payload;
# an Operation "Poll" makes it close the connection without answering.
my $backend = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                    Listen => 16, ReuseAddr => 1)
    or die "backend: $!";
$ENV{TEST_NGINX_BACKEND_PORT} = $backend->sockport;
my $parent = $$;
my $bpid = fork // die "fork: $!";
if (!$bpid) {
    $SIG{CHLD} = 'IGNORE';
    while (my $c = $backend->accept) {
        my $p = fork;
        next if !defined $p || $p;    # parent keeps accepting
        serve($c);
        POSIX::_exit(0);
    }
    POSIX::_exit(0);
}
close $backend;
END { kill 'TERM', $bpid if $bpid && $$ == $parent }

sub read_n {
    my ($c, $n) = @_;
    my $buf = '';
    while (length $buf < $n) {
        my $r = sysread($c, $buf, $n - length $buf, length $buf);
        return undef unless $r;
    }
    return $buf;
}

sub serve {
    my $c = shift;
    while (defined(my $h = read_n($c, 8))) {
        my $len = unpack 'N', substr($h, 4, 4);
        my $body = $len ? read_n($c, $len) : '';
        return unless defined $body;
        my $req = eval { ttlv_decode($h . $body) } or return;
        my @bi = kmip_find_all($req, 'Batch Item');
        return if grep { kmip_value($_, 'Operation') == kmip_operation('Poll') } @bi;
        my $resp = S('Response Message', [
            S('Response Header', [
                kmip_find($req, 'Request Header', 'Protocol Version'),
                DT('Time Stamp', time),
                I('Batch Count', scalar @bi),
            ]),
            map {
                my $ubi = kmip_find($_, 'Unique Batch Item ID');
                my $pl  = kmip_find($_, 'Request Payload');
                S('Batch Item', [
                    kmip_find($_, 'Operation'), $ubi,
                    E('Result Status', 'Success'),
                    S('Response Payload', $pl ? $pl->{value} : []),
                ]);
            } @bi
        ]);
        syswrite $c, ttlv_encode($resp);
    }
}

# ---- the harness must fail when it should: run a small suite in a child
# perl and inspect its TAP.
sub run_sub_suite {
    my $text = shift;
    $text =~ s/^__DATA_MARKER__$/__DATA__/m;   # a literal one would end this file
    my $dir = servroot() . '-sub';
    mkdir $dir;
    my $file = "$dir/sub.t";
    open my $fh, '>', $file or die;
    print $fh $text;
    close $fh;
    local $ENV{TEST_NGINX_SERVROOT} = "$dir/servroot";
    local $ENV{TEST_NGINX_VERBOSE};
    my $out = `$^X -I t/lib $file 2>&1`;
    system('rm', '-rf', $dir) unless $ENV{TEST_NGINX_NO_CLEAN};
    return $out;
}

plan tests => repeat_each() * blocks() + 3;

run_tests();

# ---- procedural API: two nginx nodes at once
subtest 'procedural API: two nodes, kmip_connect, reload' => sub {
    my $cfg = "proxy_pass 127.0.0.1:$ENV{TEST_NGINX_BACKEND_PORT};";
    my $n1 = start_nginx($cfg, name => 'a');
    # nginx as one process (valgrind) does not reload: its new cycle's
    # listeners are never added to the event loop
    my $n2 = start_nginx(stream_server_config => 'return "node2";', name => 'b',
                         log_level => 'info', valgrind => 0);
    isnt($n1->port, $n2->port, 'distinct ports');
    my $c = kmip_connect($n1->port);
    ok($c && !$c->error, 'connected to node a');
    my $req = kmip_request(items => [ { operation => 'Query', payload => [
        E('Query Function', 'Query Operations') ] } ]);
    my $t = $c->request($req);
    is(kmip_value($t, 'Batch Item', 'Response Payload', 'Query Function'), 1,
       'echoed payload via ->request');
    ok($c->send($req), 'send again on the same connection');
    my $m = $c->recv_message;
    ok(defined $m && ttlv_decode($m), 'recv_message');
    $c->close;
    my $c2 = kmip_connect($n2->port, client_cert => 'client');
    is($c2->recv_raw(2), 'node2', 'node b answers with return');
    my $c3 = kmip_connect($n2->port, client_cert => 'other');
    ok($c3->expect_close(3), 'untrusted client certificate is refused');
    $n2->reload;
    my $c4 = kmip_connect($n2->port);
    is($c4->recv_raw(2), 'node2', 'node b works after reload');
    ok($n1->stop, 'node a stops on SIGQUIT');
    ok($n2->stop, 'node b stops on SIGQUIT');
    like($n2->error_log_text, qr/reconfiguring/, 'error_log_text shows the reload');
    like($n2->error_log_text, qr/client SSL certificate verify error/,
         'error_log_text shows the refused certificate');
    ok(!eval { start_nginx('bogus_directive_x;'); 1 }, 'start_nginx croaks on a bad config');
    like($@, qr/unknown directive "bogus_directive_x"/, '... with nginx\'s message');
};

subtest 'certificates' => sub {
    for my $f (qw(ca.crt server.crt server.key client.crt client.key other-ca.crt
                  other-client.crt other-client.key selfsigned.crt selfsigned.key
                  ca-and-selfsigned.crt)) {
        ok(-s cert_path($f), "cert_path('$f') exists");
    }
    my $server = `openssl x509 -in @{[cert_path('server.crt')]} -noout -text`;
    like($server, qr/IP Address:127\.0\.0\.1/, 'server SAN IP');
    like($server, qr/DNS:localhost/, 'server SAN DNS');
    like($server, qr/TLS Web Server Authentication, TLS Web Client Authentication/, 'server EKU');
    my $ss = `openssl x509 -in @{[cert_path('selfsigned.crt')]} -noout -text`;
    unlike($ss, qr/Extended Key Usage/, 'self-signed client has no EKU');
    my $v = `openssl verify -CAfile @{[cert_path('ca.crt')]} @{[cert_path('client.crt')]} 2>&1`;
    like($v, qr/OK/, 'client is signed by the CA');
    $v = `openssl verify -CAfile @{[cert_path('ca.crt')]} @{[cert_path('other-client.crt')]} 2>&1`;
    unlike($v, qr/: OK/, 'other client is not signed by the CA');
};

subtest 'the harness reports failures' => sub {
    my $out = run_sub_suite(<<'SUB');
use lib 't/lib';
use Test::Nginx::KMIP;
no_kmip_module();
run_tests();
__DATA_MARKER__
=== TEST 1: wrong raw response
--- stream_server_config
    return "actual";
--- raw_response
expected
=== TEST 2: must_die on a good config
--- stream_server_config
    return "x";
--- must_die
=== TEST 3: no_error_log that is there
--- stream_server_config
    return "x";
--- client_cert: none
--- expect_close
--- no_error_log
client sent no required SSL certificate
=== TEST 4: bad config without must_die
--- stream_server_config
    no_such_directive_abc;
=== TEST 5: a response is expected but none comes
--- stream_server_config
    return "";
--- timeout: 1
--- request eval
kmip_request(items => [ { operation => 'Discover Versions', payload => [] } ])
--- response_dump
Response Message
=== TEST 6: this one passes
--- stream_server_config
    return "ok";
--- raw_response chomp
ok
SUB
    like($out, qr/^1\.\.6$/m, 'plan of 6');
    like($out, qr/^not ok 1 - TEST 1: wrong raw response/m, 'wrong raw_response fails');
    like($out, qr/^not ok 2 - TEST 2/m, 'must_die on a good config fails');
    like($out, qr/^not ok 3 - TEST 3/m, 'no_error_log violation fails');
    like($out, qr/^not ok 4 - TEST 4/m, 'nginx -t failure fails the block');
    like($out, qr/unknown directive "no_such_directive_abc"/, '... showing nginx\'s message');
    like($out, qr/^not ok 5 - TEST 5/m, 'missing response fails');
    like($out, qr/^ok 6 - TEST 6/m, 'good block passes');
    note($out);
};

__DATA__

=== TEST 1: return over mutual TLS, raw response
--- stream_server_config
    return "hello\n";
--- raw_response
hello
--- no_error_log
[error]
[warn]



=== TEST 2: must_die: nginx -t rejects a bogus directive and names it
--- stream_server_config
    return "x";
    kmip_bogus_directive on;
--- must_die
--- error_log
unknown directive "kmip_bogus_directive"



=== TEST 3: TTLV round trip through the echo backend, response_dump with wildcards
--- stream_server_config
    proxy_pass 127.0.0.1:$TEST_NGINX_BACKEND_PORT;
--- request eval
kmip_request(version => '1.1',
             items => [ { operation => 'Discover Versions', ubi => "QLKC\1\0\0\0",
                          payload => [ S('Protocol Version', [
                              I('Protocol Version Major', 1),
                              I('Protocol Version Minor', 2) ]) ] } ])
--- response_dump
Response Message
  Response Header
    Protocol Version
      Protocol Version Major: 1
      Protocol Version Minor: 1
    Time Stamp: *
    Batch Count: 1
  Batch Item
    Operation: 0x1e (DISCOVER_VERSIONS)
    Unique Batch Item ID: bytes(8) 514c4b4301000000
    Result Status: 0x0
    Response Payload
      ...
--- response_test eval
sub {
    my ($r) = @_;
    is(kmip_value($r, 'Batch Item', 'Result Status'), 0, 'Result Status via kmip_value');
    is(kmip_value($r, 'Batch Item', 'Response Payload', 'Protocol Version',
                  'Protocol Version Minor'), 2, 'payload echoed');
    cmp_ok(abs(kmip_value($r, 'Response Header', 'Time Stamp') - time), '<', 60,
           'Time Stamp is recent');
    my $raw = response_bytes();
    is(length($raw), 8 + unpack('N', substr($raw, 4, 4)), 'raw response bytes available');
}
--- no_error_log
[error]



=== TEST 4: a request split into separate TCP writes
--- stream_server_config
    proxy_pass 127.0.0.1:$TEST_NGINX_BACKEND_PORT;
--- request eval
my $r = kmip_request(items => [ { operation => 'Query',
                                  payload => [ E('Query Function', 'Query Operations') ] } ]);
[ substr($r, 0, 3), substr($r, 3, 9), substr($r, 12) ]
--- request_delay: 0.05
--- response_dump
Response Message
  Response Header
    ...
  Batch Item
    Operation: 0x18
    Result Status: 0x0 (SUCCESS)
    Response Payload
      Query Function: 0x1 (QUERY_OPERATIONS)
--- error_log
proxy 127.0.0.1



=== TEST 5: several requests on one connection, dumps separated by ---
--- stream_server_config
    proxy_pass 127.0.0.1:$TEST_NGINX_BACKEND_PORT;
--- requests eval
[ map { kmip_request(version => "1.$_",
                     items => [ { operation => 'Discover Versions', payload => [] } ]) } 0 .. 2 ]
--- response_dump
Response Message
  Response Header
    Protocol Version
      Protocol Version Major: 1
      Protocol Version Minor: 0
    ...
  Batch Item
    ...
---
Response Message
  Response Header
    Protocol Version
      Protocol Version Major: 1
      Protocol Version Minor: 1
    ...
  Batch Item
    ...
---
Response Message
  Response Header
    Protocol Version
      Protocol Version Major: 1
      Protocol Version Minor: 2
    ...
  Batch Item
    ...
--- response_test eval
sub { is(scalar @_, 3, 'three decoded responses') }



=== TEST 6: server closes after a response: expect_close
--- stream_server_config
    proxy_pass 127.0.0.1:$TEST_NGINX_BACKEND_PORT;
--- requests eval
[ kmip_request(items => [ { operation => 'Discover Versions', payload => [] } ]),
  kmip_request(items => [ { operation => 'Poll', payload => [] } ]) ]
--- response_dump
Response Message
  ...
--- expect_close



=== TEST 7: untrusted client certificate (other CA) is refused
--- stream_server_config
    return "never";
--- client_cert: other
--- raw_request: x
--- expect_close
--- error_log
client SSL certificate verify error
--- no_error_log
[alert]



=== TEST 8: no client certificate is refused
--- stream_server_config
    return "never";
--- client_cert: none
--- expect_close
--- error_log
client sent no required SSL certificate



=== TEST 9: self-signed client certificate without EKU, own TLS lines
--- no_tls_defaults
--- stream_server_config
    listen 127.0.0.1:$TEST_NGINX_PORT ssl;
    ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
    ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
    ssl_client_certificate $TEST_NGINX_CERT_DIR/ca-and-selfsigned.crt;
    ssl_verify_client on;
    return "dn=$ssl_client_s_dn";
--- client_cert: selfsigned
--- raw_response chomp
dn=CN=vcenter-selfsigned,O=VMware



=== TEST 10: access_log, stream_config, log_level, workers, main_config
--- skip_valgrind: workers and worker_rlimit_nofile need the master process, which valgrind runs without
--- main_config
    worker_rlimit_nofile 1024;
--- workers: 2
--- log_level: info
--- stream_config
    log_format kmip '$remote_addr $status $ssl_client_s_dn $bytes_sent';
--- stream_server_config
    access_log logs/access.log kmip;
    return "logged";
--- raw_response: logged
--- access_log
127.0.0.1 200 CN=kmip-test-client,O=ngx_kmip tests 6
--- no_error_log
[debug]



=== TEST 11: http_config on a second port; current_vars(); error_log via eval (qr)
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2;
        location / { return 200 '{"ok":true}'; }
    }
--- stream_server_config
    return "stream";
--- response_test eval
sub {
    require HTTP::Tiny;
    my $port = current_vars()->{TEST_NGINX_PORT2};
    my $r = HTTP::Tiny->new->get("http://127.0.0.1:$port/");
    is($r->{content}, '{"ok":true}', 'http{} server from --- http_config answers');
}
--- error_log eval
[ qr/\[info\].*client 127\.0\.0\.1:\d+ connected/ ]
--- log_level: info
