# One worker never waits for Key Protect: while a client's KP call is held
# for seconds, the same worker answers other clients at once. And a Key
# Protect failure becomes a KMIP error that says what failed, with an error
# log line carrying KP's correlation id.

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use POSIX ();
use Time::HiRes qw(time sleep);

my $kp = suite_kp();
my $n = kp_node(workers => 1);
my $port = $n->port;

sub create {
    my ($bi) = op_req($port, '1.4', create_aes('1.4'));
    op_ok($bi, 'Create');
    return uid_of($bi);
}

# a slow client in a child; returns (pid, file holding its elapsed time)
sub slow_client {
    my ($item, $tag) = @_;
    my $f = servroot() . "/slow-$tag";
    unlink $f;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $t0 = time;
        my $r = kmip_roundtrip($port, kmip_request(version => '1.4',
                               items => [ $item ]), timeout => 30);
        my $st = $r ? kmip_value($r, 'Batch Item', 'Result Status') : 'none';
        open my $fh, '>', $f; print $fh time - $t0, " $st\n"; close $fh;
        POSIX::_exit(0);
    }
    return ($pid, $f);
}

sub timed {
    my ($what, @items) = @_;
    my $t0 = time;
    my @bi = op_req($port, '1.4', @items);
    my $dt = time - $t0;
    op_ok($_, $what) for @bi;
    return ($dt, @bi);
}

subtest 'a held wrap does not hold the worker' => sub {
    my $other = create();
    $kp->latency(3000, 'actions/wrap$');
    my ($pid, $f) = slow_client(create_aes('1.4'), 'wrap');
    sleep 0.5;                                   # the Create is at KP now
    my ($dt) = timed('Discover Versions',
                     { operation => 'Discover Versions', payload => [] });
    cmp_ok($dt, '<', 0.5, sprintf('Discover Versions in %.3f s', $dt));
    ($dt, my $bi) = timed('Get of another key',
                          { operation => 'Get', payload => [ ops_uid($other) ] });
    cmp_ok($dt, '<', 1.0, sprintf('Get in %.3f s', $dt));
    is(length(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                         'Key Value', 'Key Material')), 32, 'key material');
    waitpid $pid, 0;
    my ($slow, $st) = split ' ', do { local (@ARGV, $/) = $f; <> };
    cmp_ok($slow, '>=', 2.9, sprintf('the held Create took %.2f s', $slow));
    is($st, 0, 'and succeeded');
    $kp->clear_latency;
};

subtest 'a held GET of one key does not hold a Get of another' => sub {
    my $slow_uid = create();
    my $fast_uid = create();
    $kp->fault({ method => 'GET', path => 'keys$',
                 delay_ms => 3000, count => 1 });
    # the held call is the listing of the key's name, which the node
    # reads with the record it kept (docs/key-protect.md#the-record-of-a-
    # key): only the slow Get's
    my ($pid, $f) = slow_client({ operation => 'Get',
                                  payload => [ ops_uid($slow_uid) ] }, 'get');
    sleep 0.5;
    $kp->clear_faults;          # the held request keeps its delay
    my ($dt) = timed('Get of another key',
                     { operation => 'Get', payload => [ ops_uid($fast_uid) ] });
    cmp_ok($dt, '<', 1.0, sprintf('Get in %.3f s', $dt));
    waitpid $pid, 0;
    my ($slow, $st) = split ' ', do { local (@ARGV, $/) = $f; <> };
    cmp_ok($slow, '>=', 2.5, sprintf('the held Get took %.2f s', $slow));
    is($st, 0, 'and succeeded');
};

subtest 'a Key Protect failure is a KMIP error that says what failed' => sub {
    my $uid = create();
    # every attempt fails (the client may retry a 503)
    $kp->fault({ method => 'POST', path => 'actions/unwrap$', status => 503 });
    my ($bi) = op_req($port, '1.4', { operation => 'Get',
                                      payload => [ ops_uid($uid) ] });
    $kp->clear_faults;
    is(kmip_value($bi, 'Result Status'), 1, 'Get fails');
    is(kmip_value($bi, 'Result Reason'), 0x100, 'General Failure');
    like(kmip_value($bi, 'Result Message'), qr/unwrap/i,
         'Result Message names the failed step')
        or diag(kmip_value($bi, 'Result Message'));
    my ($req) = grep { $_->{path} =~ /unwrap$/ && $_->{status} == 503 }
                $kp->requests;
    ok($req && $req->{correlation_id}, 'the emulator gave a correlation id');
    my $log = $n->error_log_text;
    like($log, qr/\[error\].*\Q$req->{correlation_id}\E/,
         'error log line with the correlation id');
    unlike($log, qr/Bearer|apikey/i, 'no token in the log');

    $kp->fault({ method => 'POST', path => 'api/v2/keys$', status => 500 });
    ($bi) = op_req($port, '1.4', create_aes('1.4'));
    $kp->clear_faults;
    is(kmip_value($bi, 'Result Status'), 1, 'Create fails');
    ok(!defined kmip_value($bi, 'Response Payload', 'Unique Identifier'),
       'no Unique Identifier for an object that is not stored');
    like(kmip_value($bi, 'Result Message') // '', qr/key store .*failed/,
         'Result Message') or diag(kmip_value($bi, 'Result Message'));

    op_ok((op_req($port, '1.4', { operation => 'Get',
                                  payload => [ ops_uid($uid) ] }))[0],
          'after the fault, Get works again');
};

$n->stop;
$kp->stop;
done_testing();
