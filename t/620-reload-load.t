# nginx -s reload and a binary upgrade (USR2, then WINCH and QUIT to the
# old master) while forked clients loop Get and Create against the Key
# Protect emulator: no KMIP request fails, old workers exit within
# worker_shutdown_timeout, no worker crashes.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Basic;
use Time::HiRes qw(time sleep);
use POSIX ();

$SIG{PIPE} = 'IGNORE';

plan skip_all => 'not under valgrind' if $ENV{TEST_NGINX_USE_VALGRIND};
plan tests => 15;

my $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
# every Key Protect call takes a while: reloads catch calls in flight
$kp->latency(150);

my $n = start_nginx(stream_server_config => "kmip;\n    " . $kp->nginx_conf,
                    main_config => 'worker_shutdown_timeout 5s;',
                    workers => 2, name => 'load');

my $r = kmip_roundtrip($n->port, create_req());
my $uid = kmip_value($r, 'Batch Item', 'Response Payload',
                     'Unique Identifier');
ok($uid, 'a key to read');

sub gone_within {
    my ($secs, @pids) = @_;
    my $end = time + $secs;
    while (time < $end) {
        return 1 unless grep { kill 0, $_ } @pids;
        sleep 0.1;
    }
    return 0;
}

# clients: each request on its own connection, results in a file
my $dir = servroot() . '-load';
mkdir $dir;
unlink glob "$dir/*";
my $stop = "$dir/stop";
my @kids;
for my $k (1 .. 3) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my ($ok, $bad) = (0, 0);
        open my $log, '>', "$dir/client-$k" or POSIX::_exit(2);
        while (!-e $stop) {
            my $req = ($ok + $bad) % 2 ? get_req($uid) : create_req();
            my $t = eval { kmip_roundtrip($n->port, $req, timeout => 20) };
            if ($t && defined kmip_value($t, 'Batch Item', 'Result Status')
                && kmip_value($t, 'Batch Item', 'Result Status') == 0)
            {
                $ok++;
            } else {
                $bad++;
                print $log 'FAIL: ', ($t ? kmip_value($t, 'Batch Item',
                                          'Result Message') // '?' : $@ // 'no answer'), "\n";
            }
        }
        print $log "ok=$ok bad=$bad\n";
        close $log;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

sleep 1.5;

# reload
my $master = $n->pid;
my @old = child_pids($master);
is(scalar @old, 2, 'two workers before the reload');
kill 'HUP', $master;
sleep 0.5;
ok(gone_within(6.5, @old),
   'old workers exit within worker_shutdown_timeout (5s)');
is(scalar(my @new = child_pids($master)), 2, 'two new workers');

sleep 1.5;

# binary upgrade
@old = child_pids($master);
kill 'USR2', $master;
my $newmaster;
for (1 .. 100) {
    $newmaster = $n->pid;
    last if $newmaster && $newmaster != $master
            && -e $n->prefix . '/logs/nginx.pid.oldbin'
            && child_pids($newmaster) == 2;
    sleep 0.1;
}
isnt($newmaster, $master, "a new master $newmaster");
is(scalar(() = child_pids($newmaster)), 2, 'with two workers');
sleep 1;
kill 'WINCH', $master;
ok(gone_within(6.5, @old), 'the old workers exit after WINCH');
kill 'QUIT', $master;
ok(gone_within(3, $master), 'the old master exits on QUIT');

sleep 1.5;

open my $fh, '>', $stop;
close $fh;
waitpid $_, 0 for @kids;

my ($ok, $bad, @fails) = (0, 0);
for my $k (1 .. 3) {
    open my $l, '<', "$dir/client-$k" or next;
    while (<$l>) {
        push @fails, $_ if /^FAIL/;
        if (/^ok=(\d+) bad=(\d+)/) { $ok += $1; $bad += $2 }
    }
}
cmp_ok($ok, '>', 20, "$ok requests succeeded");
is($bad, 0, 'no request failed') or diag(join '', @fails[0 .. 4]);

my $log = $n->error_log_text;
unlike($log, qr/exited on signal/, 'no worker crashed');
unlike($log, qr/\[alert\]/, 'no alert');
unlike($log, qr/\[crit\]/, 'no crit');
ok($n->stop, 'the new master stops on QUIT');
$r = kmip_roundtrip($kp->port, '') if 0;
my @live = grep { kill 0, $_ } ($master, @old);
is(scalar @live, 0, 'nothing of the old generation left');
