# A reload (HUP) or a graceful stop (QUIT) while workers still wait for
# their first IAM token: the requests in flight are answered (with success
# or a KMIP error), none is dropped by a worker exiting under it.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';

plan skip_all => 'not under valgrind' if $ENV{TEST_NGINX_USE_VALGRIND};
plan tests => 8;

my $kp = Test::KPEmulator->start(dir => servroot() . '-kp');

my $req = kmip_request(version => '1.4', items => [ create_aes('1.4', 256) ]);

# $n fresh (no token yet); the IAM token takes $ms; $signal while waiting
sub in_flight {
    my ($n, $signal) = @_;
    my @c;
    for (1 .. 16) {
        my $c = kmip_connect($n->port);
        next if !$c || $c->{handshake_failed};
        $c->send($req);
        push @c, $c;
    }
    sleep 0.5;          # every request now waits for the token
    $signal->();
    my ($answered, $ok) = (0, 0);
    for my $c (@c) {
        my $m = $c->recv_message(20);
        next unless $m;
        $answered++;
        $ok++ if kmip_value(ttlv_decode($m), 'Batch Item',
                            'Result Status') == 0;
        $c->close;
    }
    return (scalar @c, $answered, $ok);
}

# the token endpoint answers after 2 s
$kp->latency(2000, '^/identity/token');

my $conf = "kmip;\n    " . $kp->nginx_conf;
my $n = start_nginx(stream_server_config => $conf, workers => 2,
                    main_config => 'worker_shutdown_timeout 15s;',
                    name => 'hup');

my ($sent, $answered, $ok) = in_flight($n, sub { $n->reload });
is($sent, 16, '16 requests sent');
is($answered, $sent, "reload: $answered of $sent answered");
is($ok, $sent, "reload: $ok of $sent created a key");
unlike($n->error_log_text, qr/open socket .* left in connection/,
       'reload: no connection left open by an exiting worker');
$n->stop;

$n = start_nginx(stream_server_config => $conf, workers => 2,
                 main_config => 'worker_shutdown_timeout 15s;',
                 name => 'quit');

($sent, $answered, $ok) = in_flight($n, sub { kill 'QUIT', $n->pid });
is($sent, 16, '16 requests sent');
is($answered, $sent, "quit: $answered of $sent answered");
is($ok, $sent, "quit: $ok of $sent created a key");
unlike($n->error_log_text, qr/open socket .* left in connection/,
       'quit: no connection left open by an exiting worker');
$n->stop;
