# A Create slower than kmip_keyprotect_timeout: the client gets a failure
# and no identifier, the immediate search by name finds nothing yet, and
# Key Protect creates the key later.  The later looks by name find that
# late key and delete it: no live orphan is left.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use Time::HiRes qw(time sleep);

plan tests => 7;

my $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
my $n = start_nginx(stream_server_config => "kmip;\n    " . $kp->nginx_conf
                        . "\n    kmip_keyprotect_timeout 1s;");

sub live_kmip_keys {
    return grep { ($_->{name} // '') =~ /^kmip-[0-9a-f]{8}-/ && !$_->{deleted}
                  && ($_->{state} // 1) != 5 }
           @{ $kp->keys->{keys} || [] };
}

# the key create runs 2.5 s after it arrives, long after the client's 1 s
$kp->fault({ method => 'POST', path => '^/api/v2/keys$', delay_ms => 2500,
             count => 1 });

my $t0 = time;
my @bi = op_req($n->port, '1.4', create_aes('1.4', 256));
is(kmip_value($bi[0], 'Result Status'), 1, 'the Create fails');
ok(!kmip_value($bi[0], 'Response Payload', 'Unique Identifier'),
   'with no Unique Identifier');
cmp_ok(time - $t0, '<', 2.4, 'before Key Protect made the key');

# the key appears
my $seen;
while (time - $t0 < 4) {
    last if $seen = () = live_kmip_keys();
    sleep 0.1;
}
ok($seen, 'Key Protect created the key late');

# and the next look deletes it (1 s then 3 s after the failure)
while (time - $t0 < 12) {
    last unless live_kmip_keys();
    sleep 0.2;
}
is(scalar(() = live_kmip_keys()), 0, 'no live kmip- key is left')
    or diag(sprintf 'at %.1f s', time - $t0);

my $log = $n->error_log_text;
like($log, qr/\[warn\].*may still be created by a Create that failed/,
     'the failure says the key may still appear');
like($log, qr/\[warn\].*deleting\ Key\ Protect\ key\ \S+
              \ \("kmip-[-0-9a-f]{36}"\)\ left\ by\ a\ Create
              \ whose\ outcome\ was\ unknown,\ found\ late/x,
     'the late key is deleted, and the log says so');

$n->stop;
