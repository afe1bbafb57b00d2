#!/usr/bin/perl

# The Key Protect client layer (ngx_kmip_http/iam/kp) against the emulator,
# driven through the test-only module built by tests/kp/build.sh.
# Run with tests/kp/run.sh (builds, then prove).

use strict;
use warnings;

use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Cwd qw(abs_path);
use File::Basename qw(dirname);

my $top = abs_path(dirname(__FILE__) . '/../..');
my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $stream = $ENV{TEST_NGINX_STREAM_MODULE}
             || '/usr/lib/nginx/modules/ngx_stream_module.so';
my $so = $ENV{TEST_NGINX_KP_TEST_MODULE}
         || "$top/build/kp-test/ngx_stream_kmip_kp_test_module.so";
my $emu = "$top/tools/kp-emulator";

plan skip_all => "no $so (run tests/kp/build.sh)" unless -f $so;

my $dir = tempdir('kp-client-XXXXXX', TMPDIR => 1,
                  CLEANUP => !$ENV{KEEP});
my $http = HTTP::Tiny->new(timeout => 10);
my @pids;

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, ReuseAddr => 1) or die;
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub wait_port {
    my ($port) = @_;
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        return 1 if $s;
        sleep 0.05;
    }
    die "port $port does not answer";
}

sub emulator {
    my ($name, @args) = @_;
    my $state = "$dir/$name.json";
    my $init = decode_json(`$emu init --state $state`);
    my $port = free_port();
    my $pid = fork();
    if ($pid == 0) {
        open STDOUT, '>', "$dir/$name.log";
        open STDERR, '>&', \*STDOUT;
        exec $emu, 'serve', '--listen', "127.0.0.1:$port", '--state', $state,
             '--relax-timing', '--no-fsync', @args;
        exit 1;
    }
    push @pids, $pid;
    wait_port($port);
    $init->{port} = $port;
    $init->{url} = "http://127.0.0.1:$port";
    return $init;
}

sub write_file {
    my ($f, $data, $mode) = @_;
    open my $fh, '>', $f or die "$f: $!";
    print $fh $data;
    close $fh;
    chmod $mode, $f if defined $mode;
}

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    return <$fh>;
}

sub fault {
    my ($e, $spec) = @_;
    my $r = $http->post("$e->{url}/_emulator/faults",
                        { content => encode_json($spec),
                          headers => { 'Content-Type' => 'application/json' }});
    die "fault: $r->{status} $r->{content}" unless $r->{success};
}

sub clear_faults {
    my ($e) = @_;
    $http->request('DELETE', "$e->{url}/_emulator/faults");
}

sub requests {
    my ($e, %q) = @_;
    my $qs = join '&', map { "$_=$q{$_}" } keys %q;
    my $r = $http->get("$e->{url}/_emulator/requests?$qs");
    return decode_json($r->{content})->{requests};
}

sub last_seq {
    my ($e) = @_;
    my $r = $http->get("$e->{url}/_emulator/requests?since=999999999");
    return decode_json($r->{content})->{last_seq};
}

sub count_req {
    my ($e, $since, $method, $path_re) = @_;
    return scalar grep { $_->{method} eq $method && $_->{path} =~ $path_re }
        @{ requests($e, since => $since) };
}

# the background refresh runs on its own time: wait for it (bounded), so a
# loaded machine does not fail the test, while a missing refresh still does
sub wait_count {
    my ($e, $since, $path_re, $want) = @_;
    my $n = 0;
    for (1 .. 40) {
        $n = count_req($e, $since, 'POST', $path_re);
        last if $n >= $want;
        sleep 0.05;
    }
    return $n;
}

# one connection, one line per call

sub client {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Timeout => 10) or die "connect: $!";
    return $s;
}

sub call {
    my ($s, $cmd) = @_;
    print $s "$cmd\n";
    my $line = <$s>;
    $line = '' unless defined $line;
    chomp $line;
    return $line;
}

sub field {
    my ($line, $name) = @_;
    return $line =~ /(?:^| )\Q$name\E=(\S+)/ ? $1 : undef;
}

# ------------------------------------------------------------------ setup

my $A = emulator('a');
my $B = emulator('b', '--token-ttl', '10');

write_file("$dir/key-a", "  $A->{api_key}\n", 0600);
write_file("$dir/key-b", "$B->{api_key}\n", 0600);
write_file("$dir/key-bad", "not-a-valid-api-key-0000000000\n", 0600);

my ($P1, $P2, $P3) = (free_port(), free_port(), free_port());

mkdir "$dir/logs";
mkdir "$dir/conf";

my $conf = <<"EOF";
load_module $stream;
load_module $so;
worker_processes 2;
pid logs/nginx.pid;
error_log logs/error.log debug;
events { worker_connections 256; }
stream {
    kmip_keyprotect_url $A->{url};
    kmip_iam_url $A->{url};
    kmip_keyprotect_instance $A->{instance};
    kmip_keyprotect_root_key $A->{root_key};
    kmip_iam_api_key_file $dir/key-a;
    kmip_keyprotect_timeout 1500ms;

    server { listen 127.0.0.1:$P1; kmip_kp_test; }

    server {
        listen 127.0.0.1:$P2;
        kmip_iam_api_key_file $dir/key-bad;
        kmip_kp_test;
    }

    server {
        listen 127.0.0.1:$P3;
        kmip_keyprotect_url http://localhost:$B->{port};
        kmip_iam_url $B->{url};
        kmip_keyprotect_instance $B->{instance};
        kmip_keyprotect_root_key $B->{root_key};
        kmip_iam_api_key_file $dir/key-b;
        kmip_kp_test;
    }
}
EOF

write_file("$dir/conf/nginx.conf", $conf);

sub nginx_t {
    my ($text) = @_;
    write_file("$dir/conf/t.conf", $text);
    # its own error log: an nginx whose compiled-in one is not stderr
    # (nginx.org's builds: logs/error.log) would otherwise put the emerg
    # lines of these checks into the log checked at the end
    my $out = `$nginx -p $dir -c conf/t.conf -e logs/t-error.log -t 2>&1`;
    return ($? == 0, $out);
}

# configuration checks

{
    (my $c = $conf) =~ s{kmip_keyprotect_url \Q$A->{url}\E;}
                        {kmip_keyprotect_url https://kp.example.com;};
    my ($ok, $out) = nginx_t($c);
    ok(!$ok, 'host name without resolver: nginx -t fails');
    like($out, qr/kmip_keyprotect_url.*resolver is needed/,
         '... saying a resolver is needed');

    ($c = $conf) =~ s{kmip_keyprotect_url \Q$A->{url}\E;}
                     {kmip_keyprotect_url http://10.1.2.3;};
    ($ok, $out) = nginx_t($c);
    ok(!$ok, 'plain http to a non-loopback address: nginx -t fails');
    like($out, qr/loopback/, '... naming loopback');

    ($c = $conf) =~ s{kmip_keyprotect_url \Q$A->{url}\E;}
                     {kmip_keyprotect_url https://kp.example.com;
                      resolver 127.0.0.1:1;};
    ($ok, $out) = nginx_t($c);
    ok($ok, 'host name with a resolver: nginx -t passes') or diag $out;

    ($c = $conf) =~ s{kmip_keyprotect_instance [^;]+;}{};
    ($ok, $out) = nginx_t($c);
    like($out, qr/"kmip_keyprotect_instance" is required/,
         'missing instance is named');

    write_file("$dir/key-empty", " \n", 0600);
    ($c = $conf) =~ s{\Q$dir\E/key-a}{$dir/key-empty};
    ($ok, $out) = nginx_t($c);
    like($out, qr/kmip_iam_api_key_file.*holds no API key/,
         'empty API key file refused');

    write_file("$dir/key-open", "$A->{api_key}\n", 0644);
    ($c = $conf) =~ s{\Q$dir\E/key-a}{$dir/key-open};
    ($ok, $out) = nginx_t($c);
    like($out, qr/accessible by others/, 'world-readable key file warned');
    unlike($out, qr/\Q$A->{api_key}\E/, 'API key not in nginx -t output');
}

system("$nginx -p $dir -c conf/nginx.conf") == 0 or die "nginx failed";
wait_port($P1);

END {
    if (-f "$dir/logs/nginx.pid") {
        system("$nginx -p $dir -c conf/nginx.conf -s stop 2>/dev/null");
        sleep 0.3;
    }
    kill 'TERM', @pids if @pids;
    waitpid($_, 0) for @pids;
}

# ------------------------------------------------------------------ calls

my $c = client($P1);
my $seq = last_seq($A);

my $r = call($c, 'list - - 10 0');
like($r, qr/^OK list .* keys=1 key=\Q$A->{root_key}\E,kmip-crk,1,0,0,-/,
     'list: the root key');
is(count_req($A, $seq, 'POST', qr{^/identity/token$}), 1,
   'first call fetched one IAM token');

$r = call($c, 'create kmip-t1 AAECAwQFBgcICQoLDA0ODw== alias-t1');
like($r, qr/^OK create .*status=201 .*keys=1 key=[0-9a-f-]{36},kmip-t1,1,1,0,AAECAwQFBgcICQoLDA0ODw==/,
     'create a standard key');
my $kid = (field($r, 'key') // '') =~ s/,.*//r;
my $corr = field($r, 'corr');
like($corr, qr/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
     'correlation id is a v4 UUID');
ok((grep { ($_->{correlation_id} // '') eq $corr } @{ requests($A) }),
   '... sent as Correlation-Id');

# the random bytes of the ids are drawn 4 KiB (256 ids) at a time: more
# calls than that still get distinct v4 UUIDs
$seq = last_seq($A);
call($c, 'list - - 1 0') for 1 .. 300;
my @ids = map { $_->{correlation_id} // '' }
          @{ requests($A, since => $seq, kind => 'kp') };
is(scalar @ids, 300, '300 calls');
is(scalar(grep { /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/ } @ids),
   300, '... each with a v4 UUID');
my %distinct = map { $_ => 1 } @ids;
is(scalar keys %distinct, 300, '... all distinct');

$r = call($c, "get $kid");
like($r, qr/^OK get .* key=\Q$kid\E,kmip-t1,1,1,0,AAECAwQFBgcICQoLDA0ODw==/,
     'get: payload back');

$r = call($c, 'get alias-t1');
like($r, qr/^OK get .* key=\Q$kid\E,/, 'get by alias');

$r = call($c, 'list exact:name:kmip-t1 0,1,2,3 10 0');
like($r, qr/^OK list .* keys=1 key=\Q$kid\E,kmip-t1,/, 'list with search');

$r = call($c, 'list exact:name:nothing-here - 10 0');
like($r, qr/^OK list .* keys=0$/, 'empty list (no resources member)');

$r = call($c, 'wrap AAECAwQFBgcICQoLDA0ODw== uid-1,two');
like($r, qr/^OK wrap .* ct=\S+ ver=\Q$A->{root_key}\E/, 'wrap');
my $ct = field($r, 'ct');

$r = call($c, "unwrap $ct uid-1,two");
like($r, qr/^OK unwrap .* pt=AAECAwQFBgcICQoLDA0ODw== /, 'unwrap');

$r = call($c, "unwrap $ct uid-2");
like($r, qr/^ERR unwrap .*result=BAD_CIPHERTEXT status=422 reason=UNPROCESSABLE_CIPHERTEXT_ERR .*error=Key Protect unwrap failed: ciphertext rejected \(UNPROCESSABLE_CIPHERTEXT_ERR, 422\)$/,
     'unwrap with the wrong AAD: BAD_CIPHERTEXT');

$r = call($c, 'wrap - -');
like($r, qr/^OK wrap .* ct=\S+ pt=\S+ /, 'wrap without plaintext generates');

$r = call($c, "delete $kid");
like($r, qr/^OK delete .*status=204/, 'delete');

$r = call($c, "delete $kid");
like($r, qr/^ERR delete .*result=GONE status=410 reason=KEY_DELETED_ERR .*error=Key Protect delete key failed: key deleted \(KEY_DELETED_ERR, 410\)/,
     'delete again: GONE');

$r = call($c, 'get 00000000-0000-4000-8000-000000000000');
like($r, qr/^ERR get .*result=NOT_FOUND status=404 reason=KEY_NOT_FOUND_ERR/,
     'unknown key: NOT_FOUND');

# ------------------------------------------------------------------ faults

my $path = '^/api/v2/keys$';

clear_faults($A);
$seq = last_seq($A);
fault($A, { method => 'GET', path => $path, status => 503, count => 1 });
$r = call($c, 'list - - 10 0');
like($r, qr/^OK list /, '503 once: retried, OK');
is(count_req($A, $seq, 'GET', qr{^/api/v2/keys$}), 2, '... two requests');

$seq = last_seq($A);
fault($A, { method => 'GET', path => $path, status => 429, count => 1,
            headers => { 'Retry-After' => '1' } });
$r = call($c, 'list - - 10 0');
like($r, qr/^OK list /, '429 with Retry-After: retried, OK');
cmp_ok(field($r, 'ms'), '>=', 900, '... after Retry-After');

$seq = last_seq($A);
fault($A, { method => 'GET', path => $path, action => 'reset', count => 1 });
$r = call($c, 'list - - 10 0');
like($r, qr/^OK list /, 'connection reset on GET: retried, OK');

$seq = last_seq($A);
fault($A, { method => 'POST', path => $path, status => 503, count => 1 });
$r = call($c, 'create kmip-t2 AAECAwQFBgcICQoLDA0ODw==');
like($r, qr/^ERR create .*result=UNAVAILABLE status=503 .*service error/,
     'create with 503: not retried, UNAVAILABLE');
is(count_req($A, $seq, 'POST', qr{^/api/v2/keys$}), 1, '... one POST');

$seq = last_seq($A);
fault($A, { method => 'POST', path => $path, action => 'reset', count => 1 });
$r = call($c, 'create kmip-t3 AAECAwQFBgcICQoLDA0ODw==');
like($r, qr/^ERR create .*result=UNAVAILABLE status=0 .*connection failed/,
     'create with a reset after sending: not retried');
is(count_req($A, $seq, 'POST', qr{^/api/v2/keys$}), 1, '... one POST');

fault($A, { method => 'GET', path => $path, delay_ms => 3000, count => 1 });
$r = call($c, 'list - - 10 0');
like($r, qr/^ERR list .*result=UNAVAILABLE status=0 .*timed out after/,
     'delay beyond kmip_keyprotect_timeout: UNAVAILABLE');
my $ms = field($r, 'ms') // 0;
ok($ms >= 1400 && $ms < 2500, "... after the timeout ($ms ms)");

fault($A, { method => 'GET', path => $path, status => 200,
            action => 'malformed', count => 1 });
$r = call($c, 'list - - 10 0');
like($r, qr/^ERR list .*result=UNAVAILABLE status=200 .*malformed response/,
     'malformed 200: UNAVAILABLE');

fault($A, { method => 'GET', path => $path, status => 502,
            body => 'Bad Gateway', count => 10 });
$r = call($c, 'list - - 10 0');
like($r, qr/^ERR list .*result=UNAVAILABLE status=502 reason=- /,
     'non-JSON 502 after retries: UNAVAILABLE');
clear_faults($A);

# 401: one token refresh, then the call is retried once

$seq = last_seq($A);
fault($A, { method => 'GET', path => $path, status => 401, count => 1 });
$r = call($c, 'list - - 10 0');
like($r, qr/^OK list /, '401 once: token refreshed, OK');
is(count_req($A, $seq, 'POST', qr{^/identity/token$}), 1,
   '... one IAM request');

fault($A, { method => 'GET', path => $path, status => 401, count => 2 });
$r = call($c, 'list - - 10 0');
like($r, qr/^ERR list .*result=UNAUTHORIZED status=401 /,
     '401 twice: UNAUTHORIZED');
clear_faults($A);

# a client that goes away mid-call

fault($A, { method => 'GET', path => '^/api/v2/keys/', delay_ms => 1200,
            count => 1 });
{
    my $d = client($P1);
    print $d "get 00000000-0000-4000-8000-000000000001\n";
    sleep 0.3;
    close $d;
}
sleep 1.5;
$r = call(client($P1), 'list - - 10 0');
like($r, qr/^OK list /, 'after a client left mid-call the worker serves');
$r = call($c, 'list - - 10 0');
like($r, qr/^OK list /, '... on the old connection too');
clear_faults($A);

# ------------------------------------------------------------------ IAM

my $bad = client($P2);
$seq = last_seq($A);
$r = call($bad, 'list - - 10 0');
like($r, qr/^ERR list .*result=UNAUTHORIZED .*IAM refused the API key: BXNIM0415E/,
     'bad API key: UNAUTHORIZED');
$r = call($bad, 'list - - 10 0');
like($r, qr/^ERR list .*result=UNAUTHORIZED /, '... again');
cmp_ok(field($r, 'ms'), '<', 50, '... fast');
$r = call(client($P2), 'wrap - -');
like($r, qr/^ERR wrap .*result=UNAUTHORIZED /, '... on another connection');
is(count_req($A, $seq, 'POST', qr{^/identity/token$}), 1,
   '... one IAM request');

# token lifetime 10 s (emulator B): refreshed after 80% of it, then again
# after expiry (nginx's clock has one-second steps: a shorter lifetime
# would make the 80% point fall on the expiry itself)

my $tb = client($P3);
$seq = last_seq($B);
$r = call($tb, 'list - - 10 0');
like($r, qr/^OK list .* key=\Q$B->{root_key}\E,/, 'TTL 10 s: first call');
sleep 8.4;
$r = call($tb, 'list - - 10 0');
like($r, qr/^OK list /, '... after 80% of the lifetime');
is(wait_count($B, $seq, qr{^/identity/token$}, 2), 2,
   '... proactive refresh');
sleep 10.5;
$r = call($tb, 'list - - 10 0');
like($r, qr/^OK list /, '... after expiry');
is(wait_count($B, $seq, qr{^/identity/token$}, 3), 3,
   '... a new token');

# a deleted root key makes wrap and unwrap fail with ROOT_KEY_UNUSABLE

$r = call($tb, "delete $B->{root_key}");
like($r, qr/^OK delete /, 'delete the root key (emulator B)');
$r = call($tb, 'wrap - -');
like($r, qr/^ERR wrap .*result=ROOT_KEY_UNUSABLE status=410 reason=KEY_DELETED_ERR .*error=Key Protect wrap failed: root key deleted \(KEY_DELETED_ERR, 410\)/,
     'wrap with a deleted root key');
$r = call($tb, 'unwrap eyJub3RoaW5nIjoxfQ== -');
like($r, qr/^ERR unwrap .*result=ROOT_KEY_UNUSABLE status=410 /,
     'unwrap with a deleted root key');

# ------------------------------------------------------------------ logs

close $c;
sleep 0.3;

my $log = slurp("$dir/logs/error.log");

is(() = $log =~ /\d+#\d+: IAM refused the API key: BXNIM0415E/g, 1,
   'refused API key logged once');
like($log, qr/\[error\].*Key Protect get key failed: key not found \(KEY_NOT_FOUND_ERR, 404\), request: GET \/api\/v2\/keys\/0{8}-0000-4000-8000-0{12}, correlation id: [0-9a-f-]{36}/,
     'failed call logged with method, path and correlation id');
like($log, qr/kmip http: aborting transfer/, 'mid-call abort cancelled curl');
unlike($log, qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg');
unlike($log, qr/exited on signal/, 'no worker crashed');
like($log, qr/\[debug\]/, 'log is at debug level');
for my $secret ($A->{api_key}, $B->{api_key}, 'not-a-valid-api-key') {
    unlike($log, qr/\Q$secret\E/, 'API key not in error.log');
}
unlike($log, qr/eyJ/, 'no token (nor ciphertext) in error.log');
unlike($log, qr/Bearer/i, 'no bearer header in error.log');
unlike($log, qr/AAECAwQFBgcICQoLDA0ODw/, 'no payload in error.log');

done_testing();
