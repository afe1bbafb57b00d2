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

my $kp = suite_kp();

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

# a fresh node for each: a reload, then a graceful stop
for my $case ([ reload => 'hup',  sub { $_[0]->reload } ],
              [ quit   => 'quit', sub { kill 'QUIT', $_[0]->pid } ]) {
    my ($what, $name, $signal) = @$case;
    my $n = kp_node(workers => 2, main_config => 'worker_shutdown_timeout 15s;',
                    name => $name);
    my ($sent, $answered, $ok) = in_flight($n, sub { $signal->($n) });
    is($sent, 16, '16 requests sent');
    is($answered, $sent, "$what: $answered of $sent answered");
    is($ok, $sent, "$what: $ok of $sent created a key");
    unlike($n->error_log_text, qr/open socket .* left in connection/,
           "$what: no connection left open by an exiting worker");
    $n->stop;
}
