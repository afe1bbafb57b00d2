# Idle TLS connections do not lock clients out. With worker_connections 64
# and pinning (ssl_verify_client optional_no_ca), 70 connections that
# complete the handshake without a certificate and then say nothing must
# not keep a pinned client from being served: nginx reclaims idle
# connections under pressure, and the module's close frees the slot at
# once (it does not wait for the client's close_notify). A connection
# refused by pinning is closed once told so, and one that sends nothing is
# closed after kmip_first_request_timeout.

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic;
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';

sub conf {
    my ($extra) = @_;
    my $certs = cert_dir();
    my $mods = join '', map { "load_module $_;\n" }
                            $Test::Nginx::KMIP::StreamModule,
                            kmip_module_paths();
    my $user = $> == 0 ? "user root;\n" : '';
    return <<"EOF";
$mods
${user}daemon on;
master_process on;
worker_processes 1;
error_log logs/error.log info;
pid logs/nginx.pid;

events {
    worker_connections 64;
}

stream {
    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT ssl;
        ssl_certificate $certs/server.crt;
        ssl_certificate_key $certs/server.key;
        ssl_verify_client optional_no_ca;
        kmip;
        kmip_allowed_client_certificate $certs/selfsigned.crt;
        $extra
    }
}
EOF
}

sub status_of {
    my ($r) = @_;
    return defined $r ? kmip_value($r, 'Batch Item', 'Result Status') : undef;
}

# how long until a pinned client is served (undef: not within $limit s)
sub pinned_served_after {
    my ($port, $limit) = @_;
    my $t0 = time;
    while (time - $t0 < $limit) {
        my $c = kmip_connect($port, client_cert => 'selfsigned', timeout => 2);
        if ($c && !$c->error) {
            my $r = $c->request(dv());
            $c->close;
            return time - $t0 if defined status_of($r) && status_of($r) == 0;
        }
        sleep 0.2;
    }
    return undef;
}

# the first request timeout is long here: only reclaiming can free slots
my $n = start_nginx(full_config => conf("kmip_first_request_timeout 60s;\n"
                                        . "        kmip_idle_timeout 60s;"));
my $port = $n->port;

my @idle;
for (1 .. 70) {
    my $c = kmip_connect($port, client_cert => 'none', timeout => 2);
    push @idle, $c if $c && !$c->error;
}
note(scalar(@idle) . " idle TLS connections opened");
cmp_ok(scalar(@idle), '>=', 60, 'the idle connections filled the worker');

my $after = pinned_served_after($port, 10);
ok(defined $after && $after < 3,
   'a pinned client is served while 70 idle connections are open')
    or diag('served after ' . ($after // 'never (10 s)'));
note(sprintf 'served after %.2f s', $after) if defined $after;

like($n->error_log_text, qr/worker_connections are not enough, reusing/,
     'nginx reclaimed idle connections');

$_->close for @idle;
@idle = ();
$n->stop;

# refused by pinning: told so, then closed; silence: closed in time
$n = start_nginx(full_config => conf("kmip_first_request_timeout 1s;\n"
                                     . "        kmip_idle_timeout 60s;"));
$port = $n->port;

my $c = kmip_connect($port, client_cert => 'other');
my $r = $c->request(dv());
is(kmip_value($r, 'Batch Item', 'Result Reason'), 12,
   'a certificate that is not pinned gets Permission Denied');
ok($c->expect_close(2), 'and the connection is closed');

$c = kmip_connect($port, client_cert => 'none');
my $t0 = time;
ok($c->expect_close(5), 'a connection without a request is closed');
cmp_ok(time - $t0, '<', 2.5, 'after kmip_first_request_timeout');

$c = kmip_connect($port, client_cert => 'selfsigned');
$r = $c->request(dv());
is(status_of($r), 0, 'a pinned client is served');
sleep 1.5;
$r = $c->request(dv());
is(status_of($r), 0,
   'and its connection outlives kmip_first_request_timeout once used');
$c->close;

like($n->error_log_text,
     qr/client sent no request within kmip_first_request_timeout/,
     'the silent connection is logged');
$n->stop;

# a wrong value names the directive
ok(!eval { start_nginx(full_config => conf("kmip_first_request_timeout "
                                           . "soon;")); 1 },
   'nginx -t refuses a bad kmip_first_request_timeout');
like($@, qr/"kmip_first_request_timeout" directive invalid value/,
     'naming the directive');

done_testing();
