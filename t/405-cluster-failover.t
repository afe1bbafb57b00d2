# The key provider cluster (../shared/notes/vcenter-kmip.md section 5): two nginx
# nodes, one Key Protect.  vCenter's VM-encryption flow (s51..s58)
# alternates between the nodes, one connection each; node A stops midway
# (after the two keys were created), and the client retries a failed
# connection on the other node, as vCenter does.  The flow completes on
# node B, with the keys node A created.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::VCenter;

my $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
my $conf = "kmip;\n    " . $kp->nginx_conf;
my $a = start_nginx($conf, name => 'node-a');
my $b = start_nginx($conf, name => 'node-b');

my $vc = Test::VCenter->new(ports => [ $a->port, $b->port ]);
my $stopped;
my ($vm, $host) = $vc->encrypt_vm(between => sub {
    is($vc->failovers, 0, 'both nodes answered so far');
    $stopped = $a->stop;
    ok($stopped, 'node A stopped midway');
});
ok($vm && $host, 'the flow completed');
cmp_ok($vc->failovers, '>=', 2, 'jobs meant for node A went to node B: '
                                . $vc->failovers);
my %va = $vc->attributes($vm);
is($va{State}, 2, 'VM key Active, through node B');
is($va{'x-Name'}, 'test01', 'x-Name');
is($va{'x-Vendor'}, 'VMware, Inc.', 'x-Vendor written through node A');
my %ha = $vc->attributes($host);
is($ha{'x-Component'}, 'ESXi Server', 'host key tagged through node B');

my $keys = () = grep { ($_->{name} // '') =~ /^kmip-/ }
                @{ $kp->keys->{keys} || $kp->keys || [] };
cmp_ok($keys, '>=', 2, "the Key Protect keys of both objects ($keys)");

for my $n ($a, $b) {
    unlike($n->error_log_text, qr/\[(?:error|crit|alert)\]|exited on signal/,
           'no error on ' . $n->prefix);
}
ok($b->stop, 'node B stops');

done_testing();
