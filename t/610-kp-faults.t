# Key Protect and IAM failures through the emulator's fault injection: the
# KMIP client gets a timely Operation Failed naming the cause, or success
# after bounded retries of an idempotent call; the error log names the
# call; a failed Create leaves no live key and returns no identifier.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Basic;
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';

our $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
$ENV{TEST_NGINX_KP} = $kp->nginx_conf;
(my $bad = $kp->nginx_conf) =~ s/root_key \S+;/root_key 00000000-0000-4000-8000-000000000000;/;
$ENV{TEST_NGINX_KP_BAD_CRK} = $bad;

sub live_kmip_keys {
    return grep { ($_->{name} // '') =~ /^kmip-/ && !$_->{deleted}
                  && ($_->{state} // 1) != 5 }
           @{ $kp->keys->{keys} || $kp->keys || [] };
}

sub port { current_vars()->{TEST_NGINX_PORT} }

sub create_ok {
    my $r = kmip_roundtrip(port(), create_req());
    is(kmip_value($r, 'Batch Item', 'Result Status'), 0, 'created')
        or diag(kmip_value($r, 'Batch Item', 'Result Message'));
    return kmip_value($r, 'Batch Item', 'Response Payload',
                      'Unique Identifier');
}

# runs $req with timing; checks failure and a message matching $msg
sub fails {
    my ($req, $msg, $max) = @_;
    my $t0 = time;
    my $r = kmip_roundtrip(port(), $req, timeout => 30);
    my $dt = time - $t0;
    is(kmip_value($r, 'Batch Item', 'Result Status'), 1, 'Operation Failed');
    like(kmip_value($r, 'Batch Item', 'Result Message') // '', $msg,
         'the Result Message names the cause');
    ok(!kmip_find($r, 'Batch Item', 'Response Payload', 'Unique Identifier'),
       'no Unique Identifier');
    cmp_ok($dt, '<', $max, sprintf('answered in %.1f s', $dt));
    return $r;
}

sub succeeds {
    my ($req, $what) = @_;
    my $r = kmip_roundtrip(port(), $req, timeout => 30);
    is(kmip_value($r, 'Batch Item', 'Result Status'), 0, $what)
        or diag(kmip_value($r, 'Batch Item', 'Result Message'));
    return $r;
}

sub setup { $kp->clear_faults; $kp->clear_latency; $kp->clear_requests }

run_tests();

__DATA__

=== TEST 1: 500 on the key create: failed, nothing live left
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    main::setup();
    my @before = main::live_kmip_keys();
    $kp->fault({ method => 'POST', path => '/api/v2/keys$', status => 500 });
    main::fails(main::create_req(), qr/Key Protect.*(service error|500)/, 8);
    $kp->clear_faults;
    is(scalar main::live_kmip_keys(), scalar @before, 'no new live key');
    is($kp->count(method => 'POST', path => qr{/api/v2/keys$}), 1,
       'a create is never sent twice');
}
--- error_log eval
[ qr/Key Protect create key failed: service error \(500\), request: POST \/api\/v2\/keys,/ ]

=== TEST 2: 503 twice on unwrap: retried, the Get succeeds
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    main::setup();
    my $uid = main::create_ok();
    $kp->clear_requests;
    $kp->fault({ method => 'POST', path => '/actions/unwrap$', status => 503,
                 count => 2 });
    main::succeeds(main::get_req($uid), 'Get after two 503');
    is($kp->count(path => qr{/actions/unwrap$}), 3, 'three unwrap calls');
}

=== TEST 3: 429 with Retry-After: honoured, then success
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    main::setup();
    my $uid = main::create_ok();
    $kp->fault({ method => 'POST', path => '/actions/unwrap$', status => 429,
                 headers => { 'Retry-After' => '1' }, count => 1 });
    my $t0 = time;
    main::succeeds(main::get_req($uid), 'Get after a 429');
    cmp_ok(time - $t0, '>=', 0.9, 'waited for Retry-After');
}

=== TEST 4: a Key Protect slower than kmip_keyprotect_timeout
--- stream_server_config
    kmip;
    kmip_keyprotect_timeout 2s;
    $TEST_NGINX_KP
--- timeout: 20
--- response_test eval
sub {
    main::setup();
    my $uid = main::create_ok();
    $kp->fault({ method => 'POST', path => '/actions/unwrap$',
                 delay_ms => 6000 });
    main::fails(main::get_req($uid), qr/Key Protect unwrap failed: timed out/,
                4.5);
    $kp->clear_faults;
    main::succeeds(main::get_req($uid), 'served again');
}
--- error_log eval
[ qr/Key Protect unwrap failed: timed out after \d+ ms.*request: POST/ ]

=== TEST 5: connection reset on every unwrap: bounded retries, then failed
--- stream_server_config
    kmip;
    kmip_keyprotect_timeout 5s;
    $TEST_NGINX_KP
--- response_test eval
sub {
    main::setup();
    my $uid = main::create_ok();
    $kp->clear_requests;
    $kp->fault({ method => 'POST', path => '/actions/unwrap$',
                 action => 'reset' });
    main::fails(main::get_req($uid), qr/Key Protect unwrap failed/, 6.5);
    my $n = $kp->count(path => qr{/actions/unwrap$});
    # 1 + 3 retries; libcurl itself may retry once a request that died on
    # a reused keep-alive connection before any answer byte
    ok($n >= 4 && $n <= 8, "$n unwrap attempts (at most 3 retries)");
}
--- error_log eval
[ qr/Key Protect unwrap failed: connection failed/ ]

=== TEST 6: malformed and truncated JSON answers
--- stream_server_config
    kmip;
    kmip_keyprotect_timeout 5s;
    $TEST_NGINX_KP
--- response_test eval
sub {
    main::setup();
    my $uid = main::create_ok();
    $kp->fault({ method => 'POST', path => '/actions/unwrap$',
                 action => 'malformed', body => '{"plaintext": "AAEC' });
    main::fails(main::get_req($uid), qr/Key Protect unwrap failed: malformed response/, 6.5);
    $kp->clear_faults;
    $kp->fault({ method => 'POST', path => '/actions/unwrap$',
                 action => 'truncate' });
    main::fails(main::get_req($uid), qr/Key Protect unwrap failed/, 6.5);
    $kp->clear_faults;
    main::succeeds(main::get_req($uid), 'served again');
}
--- error_log eval
[ qr/Key Protect unwrap failed: malformed response/ ]

=== TEST 7: an unknown root key: Create fails naming it, nothing live
--- stream_server_config
    kmip;
    $TEST_NGINX_KP_BAD_CRK
--- response_test eval
sub {
    main::setup();
    my @before = main::live_kmip_keys();
    main::fails(main::create_req(), qr/root key not found/, 5);
    is(scalar main::live_kmip_keys(), scalar @before, 'no new live key');
}
--- error_log eval
[ qr/Key Protect wrap failed: root key not found/ ]

=== TEST 8: a token expired mid-flight: refreshed once, the Get succeeds
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    main::setup();
    my $uid = main::create_ok();
    $kp->expire_tokens;
    main::succeeds(main::get_req($uid), 'Get with a refused token');
}
--- error_log
token refused (401), refreshing it

=== TEST 9: IAM down: a timely failure naming IAM
--- stream_server_config
    kmip;
    kmip_keyprotect_timeout 3s;
    $TEST_NGINX_KP
--- response_test eval
sub {
    main::setup();
    $kp->expire_tokens;
    $kp->fault({ path => '/identity/token$', status => 503 });
    main::fails(main::create_req(), qr/IAM|token/i, 5);
    $kp->clear_faults;
}
--- error_log eval
[ qr/\[error\].*(IAM|token)/ ]

=== TEST 10: the create succeeded but its answer was lost: cleaned up
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    main::setup();
    my @before = main::live_kmip_keys();
    $kp->fault({ method => 'POST', path => '/api/v2/keys$', when => 'after',
                 action => 'reset', count => 1 });
    main::fails(main::create_req(), qr/Key Protect key create failed/, 8);
    is(scalar main::live_kmip_keys(), scalar @before,
       'the key the lost answer created was deleted');
}
--- error_log
left by a create whose outcome was unknown

=== TEST 11: a client that disconnects while its call is in flight
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    main::setup();
    my $uid = main::create_ok();
    $kp->fault({ method => 'POST', path => '/actions/unwrap$',
                 delay_ms => 1000, count => 3 });
    for (1 .. 3) {
        my $c = kmip_connect(main::port());
        $c->send(main::get_req($uid));
        sleep 0.2;
        $c->close;
    }
    sleep 1.5;
    main::succeeds(main::get_req($uid), 'served afterwards');
}
--- error_log
kmip: client closed connection while its request was in progress
