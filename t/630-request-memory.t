# The memory one small request can take is bounded: with 500 objects
# stored, one message of many Locate batch items (each one lists every
# object and reads its record) must not take the worker's peak resident
# memory up by hundreds of megabytes.  Each Key Protect call's resources go
# when the call ends, and a batch takes a bounded number of Locate items.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';

plan skip_all => 'not under valgrind' if $ENV{TEST_NGINX_USE_VALGRIND};

my $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
my $n = start_nginx(stream_server_config => "kmip;\n    " . $kp->nginx_conf,
                    workers => 1, name => 'memory');
my ($worker) = $n->serving_pids;

sub hwm_kb {
    open my $fh, '<', "/proc/$worker/status" or return 0;
    local $/;
    my $s = <$fh>;
    return $s =~ /^VmHWM:\s+(\d+)\s+kB/m ? $1 : 0;
}

# 500 objects, 50 Creates a message
my $created = 0;
for (1 .. 10) {
    my @bi = op_req($n->port, '1.4', map { create_aes('1.4', 256) } 1 .. 50);
    $created += grep { kmip_value($_, 'Result Status') == 0 } @bi;
}
is($created, 500, '500 objects stored');

# warm up: one Locate, so that the baseline has the worker's steady state
my @bi = op_req($n->port, '1.4', { operation => 'Locate', payload => [] });
is(scalar(() = kmip_find_all($bi[0], 'Response Payload',
                             'Unique Identifier')),
   500, 'one Locate finds the 500');

my $items = 20;
my $before = hwm_kb();
my $req = kmip_request(version => '1.4', items => [
    map { { operation => 'Locate', payload => [] } } 1 .. $items ]);
diag(sprintf '%d Locate items in one %d-byte message', $items, length $req);
my $t0 = time;
my $r = kmip_roundtrip($n->port, $req, timeout => 300);
my $after = hwm_kb();
ok($r, sprintf 'answered in %.1f s', time - $t0);
diag(sprintf 'worker VmHWM %.1f MB before, %.1f MB after',
     $before / 1024, $after / 1024);

cmp_ok(($after - $before) / 1024, '<', 16,
       'the peak resident memory grows by less than 16 MB');

@bi = kmip_find_all($r, 'Batch Item');
# the batch stops at the first failure (no Batch Error Continuation Option)
is(scalar @bi, 5, 'five answers: four Locates, then the refusal');
is(scalar(grep { kmip_value($_, 'Result Status') == 0
                 && (() = kmip_find_all($_, 'Response Payload',
                                        'Unique Identifier')) == 500 }
          @bi[0 .. 3]),
   4, 'the first 4 Locate items find the 500');
is(kmip_value($bi[4], 'Result Reason'), 0x0b, 'the fifth: Illegal Operation');
like(kmip_value($bi[4], 'Result Message') // '',
     qr/at most 4 Locate items in one request message/,
     'the Result Message names the limit');

# clients that leave in the middle of a Locate: its list is cancelled with
# the request, and its pool goes with it
$kp->latency(20, '^/api/v2/keys/');
for (1 .. 10) {
    my $c = kmip_connect($n->port);
    $c->send(kmip_request(version => '1.4',
                          items => [ { operation => 'Locate',
                                       payload => [] } ]));
    sleep 0.3;
    $c->close;
}
$kp->clear_latency;
like($n->error_log_text, qr/client closed connection while its request was/,
     'clients left while their Locate ran');
unlike($n->error_log_text, qr/\[(?:alert|crit|emerg)\]/,
       'clients leaving mid-Locate: no alert');

# the worker is still there, and serves
my ($still) = $n->serving_pids;
is($still, $worker, 'the same worker');
@bi = op_req($n->port, '1.4', { operation => 'Locate', payload => [] });
is(kmip_value($bi[0], 'Result Status'), 0, 'a later Locate succeeds');

done_testing();
