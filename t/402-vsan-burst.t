# vSAN: when a cluster boots, every ESXi host fetches the cluster's key at
# once, each on its own new TLS connection with vCenter's client
# certificate (../shared/notes/vcenter-kmip.md section 4).  200 connections open at
# the same time, from 20 processes; each does Discover Versions and a Get
# of the same key.  All must succeed.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::VCenter qw(vc_req vc_dv create_aes);
use POSIX ();
use Time::HiRes qw(time sleep);

our $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
$ENV{TEST_NGINX_KP} = $kp->nginx_conf;

our ($PROCS, $CONNS) = (20, 10);

# one host process: open $CONNS connections, then DV and Get on each;
# prints one line per connection: "ok" or what went wrong
sub host {
    my ($port, $uid, $start, $out) = @_;
    sleep $start - time if $start > time;
    my (@c, @res);
    for (1 .. $CONNS) {
        my $c = kmip_connect($port, timeout => 60);
        push @c, ($c && !$c->{handshake_failed}) ? $c : undef;
        push @res, $c && !$c->{handshake_failed} ? 'ok'
                   : 'handshake: ' . ($c ? $c->error : 'none');
    }
    my $dv = vc_dv();
    my $get = vc_req('1.1', undef, { operation => 'Get',
                                     payload => [ T('Unique Identifier', $uid) ] });
    $_ && $_->send($dv) for @c;
    for my $i (0 .. $#c) {
        next unless $c[$i];
        my $m = $c[$i]->recv_message;
        my $r = defined $m ? eval { ttlv_decode($m) } : undef;
        if (!$r || kmip_value($r, 'Batch Item', 'Result Status') != 0) {
            $res[$i] = 'DV failed: ' . ($c[$i]->error // 'timeout');
            $c[$i] = undef;
            next;
        }
        $c[$i]->send($get);
    }
    for my $i (0 .. $#c) {
        next unless $c[$i];
        my $m = $c[$i]->recv_message;
        my $r = defined $m ? eval { ttlv_decode($m) } : undef;
        my $bi = $r && kmip_find($r, 'Batch Item');
        if (!$bi || kmip_value($bi, 'Result Status') != 0) {
            $res[$i] = 'Get failed: '
                       . ($bi ? kmip_value($bi, 'Result Message') // '?'
                              : $c[$i]->error // 'timeout');
        } elsif (kmip_value($bi, 'Unique Batch Item ID') ne 'QLKC' . pack 'V', 1) {
            $res[$i] = 'Get: UBI not echoed';
        } else {
            my $km = kmip_value($bi, 'Response Payload', 'Symmetric Key',
                                'Key Block', 'Key Value', 'Key Material');
            $res[$i] = 'ok ' . unpack 'H*', $km;
        }
        $c[$i]->close;
    }
    open my $fh, '>', $out or die "$out: $!";
    print $fh "$_\n" for @res;
    close $fh;
}

run_tests();

__DATA__

=== TEST 1: 200 hosts fetch the cluster key at once
--- workers: 2
--- stream_server_config
    kmip;
    kmip_read_timeout 60s;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    my $r = kmip_roundtrip($port, vc_req('1.1', undef, create_aes()));
    my $uid = kmip_value($r, 'Batch Item', 'Response Payload',
                         'Unique Identifier');
    ok($uid, 'the cluster key');
    kmip_roundtrip($port, vc_req('1.1', undef, { operation => 'Activate',
                   payload => [ T('Unique Identifier', $uid) ] }));

    my $dir = servroot() . '/burst';
    mkdir $dir;
    unlink glob "$dir/*";
    my $start = time + 1.5;
    my @pids;
    for my $p (1 .. $main::PROCS) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            eval { main::host($port, $uid, $start, "$dir/$p") };
            POSIX::_exit($@ ? 1 : 0);
        }
        push @pids, $pid;
    }
    waitpid $_, 0 for @pids;
    my (%res, %keys);
    for my $p (1 .. $main::PROCS) {
        open my $fh, '<', "$dir/$p" or do { $res{"host $p died"}++; next };
        while (<$fh>) {
            chomp;
            if (/^ok (\w+)$/) { $res{ok}++; $keys{$1}++ } else { $res{$_}++ }
        }
    }
    is($res{ok}, $main::PROCS * $main::CONNS, 'every Get answered')
        or diag(explain \%res);
    is(scalar keys %keys, 1, 'all got the same key');
    is(length((keys %keys)[0] // ''), 64, 'of 32 bytes');
}
--- no_error_log
[error]
[crit]
