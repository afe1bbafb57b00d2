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

# The fault scenarios, one row each. A row names its nginx set-up
# (kp: the Key Protect block, conf: more directives), what it does before
# its request (create: a key to Get; expire: refuse the current token),
# then its steps: a fault to inject, the request (create or get) and the
# expected result (fails => [message, seconds at most], the fault then
# cleared, or succeeds => name; disconnect => clients that send it and
# go); again => a last Get that must be served;
# check => more assertions; log => the error-log line it must leave.
our @SCENARIOS = (
    { name => '500 on the key create: failed, nothing live left',
      steps => [{ fault => { method => 'POST', path => '/api/v2/keys$',
                             status => 500 },
                  request => 'create',
                  fails => [qr/Key Protect.*(service error|500)/, 8] }],
      check => sub {
          my ($uid, $before) = @_;
          is(scalar live_kmip_keys(), $before, 'no new live key');
          is($kp->count(method => 'POST', path => qr{/api/v2/keys$}), 1,
             'a create is never sent twice');
      },
      log => qr/Key Protect create key failed: service error \(500\), request: POST \/api\/v2\/keys,/ },

    { name => '503 twice on unwrap: retried, the Get succeeds',
      create => 1,
      steps => [{ fault => { method => 'POST', path => '/actions/unwrap$',
                             status => 503, count => 2 },
                  request => 'get', succeeds => 'Get after two 503' }],
      check => sub {
          is($kp->count(path => qr{/actions/unwrap$}), 3, 'three unwrap calls');
      } },

    { name => '429 with Retry-After: honoured, then success',
      create => 1,
      steps => [{ fault => { method => 'POST', path => '/actions/unwrap$',
                             status => 429, count => 1,
                             headers => { 'Retry-After' => '1' } },
                  request => 'get', succeeds => 'Get after a 429',
                  at_least => [0.9, 'waited for Retry-After'] }] },

    { name => 'a Key Protect slower than kmip_keyprotect_timeout',
      conf => 'kmip_keyprotect_timeout 2s;', timeout => 20,
      create => 1,
      steps => [{ fault => { method => 'POST', path => '/actions/unwrap$',
                             delay_ms => 6000 },
                  request => 'get',
                  fails => [qr/Key Protect unwrap failed: timed out/, 4.5] }],
      again => 'served again',
      log => qr/Key Protect unwrap failed: timed out after \d+ ms.*request: POST/ },

    { name => 'connection reset on every unwrap: bounded retries, then failed',
      conf => 'kmip_keyprotect_timeout 5s;',
      create => 1,
      steps => [{ fault => { method => 'POST', path => '/actions/unwrap$',
                             action => 'reset' },
                  request => 'get',
                  fails => [qr/Key Protect unwrap failed/, 6.5] }],
      check => sub {
          my $n = $kp->count(path => qr{/actions/unwrap$});
          # 1 + 3 retries; libcurl itself may retry once a request that
          # died on a reused keep-alive connection before any answer byte
          ok($n >= 4 && $n <= 8, "$n unwrap attempts (at most 3 retries)");
      },
      log => qr/Key Protect unwrap failed: connection failed/ },

    { name => 'malformed and truncated JSON answers',
      conf => 'kmip_keyprotect_timeout 5s;',
      create => 1,
      steps => [{ fault => { method => 'POST', path => '/actions/unwrap$',
                             action => 'malformed',
                             body => '{"plaintext": "AAEC' },
                  request => 'get',
                  fails => [qr/Key Protect unwrap failed: malformed response/, 6.5] },
                { fault => { method => 'POST', path => '/actions/unwrap$',
                             action => 'truncate' },
                  request => 'get',
                  fails => [qr/Key Protect unwrap failed/, 6.5] }],
      again => 'served again',
      log => qr/Key Protect unwrap failed: malformed response/ },

    { name => 'an unknown root key: Create fails naming it, nothing live',
      kp => 'TEST_NGINX_KP_BAD_CRK',
      steps => [{ request => 'create', fails => [qr/root key not found/, 5] }],
      check => sub {
          my ($uid, $before) = @_;
          is(scalar live_kmip_keys(), $before, 'no new live key');
      },
      log => qr/Key Protect wrap failed: root key not found/ },

    { name => 'a token expired mid-flight: refreshed once, the Get succeeds',
      create => 1, expire => 1,
      steps => [{ request => 'get', succeeds => 'Get with a refused token' }],
      log => 'token refused (401), refreshing it' },

    { name => 'IAM down: a timely failure naming IAM',
      conf => 'kmip_keyprotect_timeout 3s;',
      expire => 1,
      steps => [{ fault => { path => '/identity/token$', status => 503 },
                  request => 'create', fails => [qr/IAM|token/i, 5] }],
      log => qr/\[error\].*(IAM|token)/ },

    { name => 'the create succeeded but its answer was lost: cleaned up',
      steps => [{ fault => { method => 'POST', path => '/api/v2/keys$',
                             when => 'after', action => 'reset', count => 1 },
                  request => 'create',
                  fails => [qr/Key Protect key create failed/, 8] }],
      check => sub {
          my ($uid, $before) = @_;
          is(scalar live_kmip_keys(), $before,
             'the key the lost answer created was deleted');
      },
      log => 'left by a create whose outcome was unknown' },

    { name => 'a client that disconnects while its call is in flight',
      create => 1,
      steps => [{ fault => { method => 'POST', path => '/actions/unwrap$',
                             delay_ms => 1000, count => 3 },
                  request => 'get', disconnect => 3 }],
      again => 'served afterwards',
      log => 'kmip: client closed connection while its request was in progress' },
);

# walks one row: the response_test of its block
sub scenario {
    my $s = $SCENARIOS[shift];
    return sub {
        setup();
        # the live keys a failed Create must not add to
        my $before = $s->{create} ? undef : scalar(() = live_kmip_keys());
        my $uid;
        if ($s->{create}) {
            $uid = create_ok();
            $kp->clear_requests;
        }
        $kp->expire_tokens if $s->{expire};
        for my $st (@{ $s->{steps} }) {
            $kp->fault($st->{fault}) if $st->{fault};
            my $req = $st->{request} eq 'create' ? create_req() : get_req($uid);
            my $t0 = time;
            if ($st->{disconnect}) {
                for (1 .. $st->{disconnect}) {
                    my $c = kmip_connect(port());
                    $c->send($req);
                    sleep 0.2;
                    $c->close;
                }
                sleep 1.5;
                next;
            }
            if ($st->{fails}) {
                fails($req, @{ $st->{fails} });
                $kp->clear_faults;
            } else {
                succeeds($req, $st->{succeeds});
            }
            if (my $min = $st->{at_least}) {
                cmp_ok(time - $t0, q{>=}, $min->[0], $min->[1]);
            }
        }
        if ($s->{again}) {
            succeeds(get_req($uid), $s->{again});
        }
        $s->{check}->($uid, $before) if $s->{check};
    };
}

# one data block a row: each scenario runs against its own nginx
my $n = 0;
spec_string(join '', map {
    my $i = $n++;
    "=== TEST $n: $_->{name}\n"
    . "--- stream_server_config\n    kmip;\n"
    . ($_->{conf} ? "    $_->{conf}\n" : '')
    . '    $' . ($_->{kp} // 'TEST_NGINX_KP') . "\n"
    . ($_->{timeout} ? "--- timeout: $_->{timeout}\n" : '')
    . "--- response_test eval\nmain::scenario($i)\n"
    . (defined $_->{log} ? "--- error_log eval\n[ \$main::SCENARIOS[$i]{log} ]\n" : '')
    . "\n"
} @SCENARIOS);

run_tests();
