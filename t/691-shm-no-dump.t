# The shared memory that holds secrets is left out of core dumps: the IAM
# token zone (a bearer token is a credential for an hour) and the key cache
# zone carry MADV_DONTDUMP ("dd" in /proc/PID/smaps) in every worker, also
# after a reload.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
no warnings "portable";

my $dir = servroot() . '-nodump';
my $kp = Test::KPEmulator->start(dir => $dir);

my $n = start_nginx(
    stream_server_config => "kmip;\n    " . $kp->nginx_conf
                   . "\n    kmip_key_cache zone=keys:1m ttl=60s;");
my $port = $n->port;

# a Create makes the worker fetch its token and fill the cache
my @bi = op_req($port, '1.4', create_aes('1.4', 256));
op_ok($bi[0], 'create');

# the shared mappings of a process, each with its flags and its bytes
sub shared_zones {
    my ($pid) = @_;
    open my $maps, '<', "/proc/$pid/smaps" or return ();
    open my $mem, '<:raw', "/proc/$pid/mem" or return ();
    my (@zones, $cur);
    while (my $l = <$maps>) {
        if ($l =~ /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/) {
            $cur = { from => hex $1, to => hex $2, perms => $3,
                     name => $4 };
            push @zones, $cur if $3 =~ /s$/;
        } elsif ($cur && $l =~ /^VmFlags:\s*(.*)$/) {
            $cur->{flags} = $1;
        }
    }
    for my $z (@zones) {
        my $len = $z->{to} - $z->{from};
        next if $len > 64 * 1024 * 1024;
        seek($mem, $z->{from}, 0) or next;
        my $got = sysread($mem, $z->{bytes}, $len);
        $z->{bytes} = '' unless $got;
    }
    return @zones;
}

sub check_zones {
    my ($when) = @_;
    my @pids = serving_pids($n);
    ok(@pids, "$when: workers found");

    for my $pid (@pids) {
        my @z = shared_zones($pid);
        my ($iam) = grep { $_->{bytes} =~ /in kmip IAM token zone/ } @z;
        my ($cache) = grep { $_->{bytes} =~ /in kmip_key_cache zone/ } @z;

        ok($iam, "$when: worker $pid maps the IAM token zone");
        like($iam && $iam->{flags} // '', qr/\bdd\b/,
             "$when: worker $pid: the IAM token zone is not dumped");
        ok($cache, "$when: worker $pid maps the key cache zone");
        like($cache && $cache->{flags} // '', qr/\bdd\b/,
             "$when: worker $pid: the key cache zone is not dumped");
    }
}

check_zones('at start');

$n->reload;

# the old worker leaves once its connections are done
for (1 .. 100) {
    last if serving_pids($n) == 1;
    select(undef, undef, undef, 0.05);
}

@bi = op_req($port, '1.4', create_aes('1.4', 256));
op_ok($bi[0], 'create after the reload');
check_zones('after a reload');

$n->stop;
$kp->stop;

done_testing();
