# Clients that leave while their Key Protect call waits: the call is
# cancelled, and no [alert] follows (an alert must mean a real fault).
# libcurl may close the socket of a call cancelled in its TLS handshake
# before it says CURL_POLL_REMOVE ("epoll_ctl(2, N) failed (9: Bad file
# descriptor)"), and leaves an OpenSSL error behind ("ignoring stale global
# SSL error").  Creates open a fresh HTTPS connection per call, which is
# where the cancellations land in handshakes.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';

plan skip_all => 'not under valgrind' if $ENV{TEST_NGINX_USE_VALGRIND};
plan tests => 5;

my $certs = cert_dir();
cert_path('server.crt');     # generates the per-run certificates
my $kp = Test::KPEmulator->start(dir => servroot() . '-kp',
                                 tls => [ "$certs/server.crt",
                                          "$certs/server.key" ]);

my $n = start_nginx(stream_server_config => "kmip;\n    " . $kp->nginx_conf
                        . "\n    kmip_keyprotect_ssl_trusted_certificate "
                        . "$certs/ca.crt;",
                    workers => 2, name => 'cancel', log_level => 'info');

sub get_req {
    return kmip_request(version => '1.4', items => [ { operation => 'Get',
        payload => [ ops_uid($_[0]) ] } ]);
}

my @bi = op_req($n->port, '1.4', create_aes('1.4', 256));
my $uid = uid_of($bi[0]);
ok($uid, 'a key to read');

# every Key Protect call waits; clients give up at various points of it
$kp->latency(300, '^/api/v2/keys');

my $create = kmip_request(version => '1.4',
                          items => [ create_aes('1.4', 256) ]);
my ($sent, $left) = (0, 0);
for my $round (1 .. 60) {
    my @c;
    for my $i (1 .. 20) {
        my $c = kmip_connect($n->port);
        next if !$c || $c->{handshake_failed};
        $c->send($i % 4 ? $create : get_req($uid));
        $sent++;
        push @c, $c;
    }
    # leave during the wait, spread over it
    for my $c (@c) {
        sleep(rand(0.03));
        $c->close;
        $left++;
    }
    sleep(0.05);
}

cmp_ok($left, '>=', 1000, "$left clients left while their call waited");

$kp->clear_latency;

my $r = kmip_roundtrip($n->port, get_req($uid));
is(kmip_value($r, 'Batch Item', 'Result Status'), 0,
   'the worker still serves a Get');

my $log = $n->error_log_text;
my @alerts = $log =~ /^(.*\[alert\].*)$/mg;
is(scalar @alerts, 0, 'no [alert] in error.log')
    or diag(join "\n", @alerts[0 .. ($#alerts < 4 ? $#alerts : 4)]);
unlike($log, qr/\[(?:crit|emerg)\]/, 'nor anything worse');

$n->stop;
