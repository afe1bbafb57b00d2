# A slow password hash (bcrypt at cost 12, about 0.2 s here) must not stall
# the worker: the check runs in nginx's thread pool while the request
# waits, so that other connections are answered meanwhile; and a
# credential once verified is remembered, so that a client sending it with
# every request pays the hash once.

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic;
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';

# whether the module was built by an nginx configured --with-threads: the
# Makefile's build tree (BUILD/nginx/objs) says it, or else the module
# calling ngx_thread_task_post()
sub module_has_threads {
    for my $so (Test::Nginx::KMIP::kmip_module_paths()) {
        (my $auto = $so) =~ s{[^/]*$}{nginx/objs/ngx_auto_config.h};
        if (open my $fh, '<', $auto) {
            return 1 if grep { /^#define NGX_THREADS\s+1/ } <$fh>;
            next;
        }
        return 1 if grep { /\bU ngx_thread_task_post\b/ } `nm -D $so`;
    }
    return 0;
}

# waits for one answer on each connection; returns their arrival times
# (seconds after $t0), in the order of @conns
sub arrivals {
    my ($t0, @conns) = @_;
    my @at;
    my $deadline = time + 30;
    while (grep { !defined } @at[0 .. $#conns] and time < $deadline) {
        for my $i (0 .. $#conns) {
            next if defined $at[$i];
            my $m = $conns[$i]->recv_message(0.002);
            $at[$i] = time - $t0 if defined $m;
        }
    }
    return @at;
}

my $hash = `python3 -W ignore -c "import crypt; print(crypt.crypt('good pw', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=4096)))"`;
chomp $hash;
$ENV{TEST_NGINX_USERS} = "vSphere:$hash\n";

# every block: nginx checks the credentials against that hash
block_default(user_files => ">>> kmip.users\n$ENV{TEST_NGINX_USERS}",
              stream_server_config => credentials_server());

run_tests();

__DATA__

=== TEST 1: Discover Versions is answered while eight wrong passwords are checked
--- skip_valgrind
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    like($ENV{TEST_NGINX_USERS}, qr/:\$2b\$12\$/, 'a bcrypt hash of cost 12');

    my $probe = kmip_connect($port);
    is(main::result_reason($probe->request(
           main::dv(credential => [ 'vSphere', 'wrong' ]))), 12,
       'a wrong password is refused');

    # an idle worker answers at once
    my $t = time;
    $probe->request(main::dv());
    my $idle = time - $t;

  SKIP: {
    skip 'the module was built without thread support (nginx configure '
         . '--with-threads): the hash is checked on the event loop', 3
        unless main::module_has_threads();

    my @slow = map { kmip_connect($port) } 1 .. 8;
    my $t0 = time;
    $_->send(main::dv(credential => [ 'vSphere', 'wrong' ])) for @slow;
    sleep 0.05;
    my $t1 = time;
    $probe->send(main::dv());
    my ($dv, @refused) = main::arrivals($t0, $probe, @slow);
    my $last = (sort { $a <=> $b } grep { defined } @refused)[-1];
    my $latency = $dv - ($t1 - $t0);

    diag(sprintf 'Discover Versions: %.1f ms idle, %.1f ms while 8 wrong '
                 . 'passwords were checked; the last refusal came at '
                 . '%.0f ms', 1000 * $idle, 1000 * $latency, 1000 * $last);

    is(scalar(grep { defined } @refused), 8, 'eight refusals');
    ok($dv < $last, 'Discover Versions answered before the checks ended');
    ok($latency < 0.15, 'Discover Versions within 150 ms');
  }
}
--- error_log
kmip: credential refused for user "vSphere"
--- no_error_log
good pw
wrong

=== TEST 2: a verified credential is remembered; a wrong one is not
--- skip_valgrind
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    my $c = kmip_connect($port);
    my @took;
    for my $pw ('good pw', 'good pw', 'good pw', 'wrong', 'wrong') {
        my $t = time;
        my $r = $c->request(main::dv(credential => [ 'vSphere', $pw ]));
        push @took, time - $t;
        is(main::result_reason($r), $pw eq 'wrong' ? 12 : '-', "password \"$pw\"");
    }
    diag(sprintf 'right password: %.1f ms, then %.1f and %.1f ms; wrong: '
                 . '%.1f, %.1f ms', map { 1000 * $_ } @took);
    ok($took[0] > 0.05, 'the first check pays the hash');
    ok($took[1] < $took[0] / 4 && $took[2] < $took[0] / 4,
       'the next ones are remembered');
    ok($took[3] > 0.05 && $took[4] > 0.05, 'a wrong password is not');
}

=== TEST 3: a client that leaves while its credential is checked
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    for (1 .. 4) {
        my $c = kmip_connect($port);
        $c->send(main::dv(credential => [ 'vSphere', 'wrong' ]));
        $c->close;
    }
    sleep($Test::Nginx::KMIP::Valgrind ? 10 : 1);
    my $r = kmip_roundtrip($port,
                           main::dv(credential => [ 'vSphere', 'good pw' ]));
    is(main::result_reason($r), '-', 'the worker still serves, the right password '
                              . 'passes');
  SKIP: {
    skip 'without thread support the check ends before the client leaves', 1
        unless main::module_has_threads();
    like(Test::Nginx::KMIP::_read_file(
             current_vars()->{TEST_NGINX_PREFIX} . '/logs/error.log'),
         qr/kmip: client closed connection while its request was in progress/,
         'the clients left while their checks ran');
  }
}
--- no_error_log
[alert]
[crit]
