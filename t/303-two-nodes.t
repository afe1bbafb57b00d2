# Two nginx nodes against ONE Key Protect emulator: what one node writes the
# other reads at once; concurrent changes of one key on both nodes lose
# nothing and leave one live Key Protect key; a restart of Key Protect
# (kill -9) loses nothing acknowledged; deleting the object's Key Protect key
# destroys the object for good (design.md, requirements 1, 3, 4, 5).

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use POSIX ();

my $kp = suite_kp();
my $a = kp_node(name => 'a');
my $b = kp_node(name => 'b');
my ($pa, $pb) = ($a->port, $b->port);

sub attrs {
    my ($port, $uid, @names) = @_;
    my ($bi) = op_req($port, '1.4', { operation => 'Get Attributes',
        payload => [ ops_uid($uid), map { T('Attribute Name', $_) } @names ] });
    op_ok($bi, "Get Attributes on $port");
    return attrs_of($bi);
}

sub add_x {
    my ($port, $uid, $name, $val) = @_;
    my ($bi) = op_req($port, '1.4', { operation => 'Add Attribute',
        payload => [ ops_uid($uid), a1($name, T('x', $val)) ] });
    return $bi;
}

# the live Key Protect keys of an object, once the deletions of the
# superseded generations (left for after the answers) are done
sub live_keys { return $kp->settle($_[0], 1) }

subtest 'what one node writes, the other reads at once' => sub {
    my ($bi) = op_req($pa, '1.4', create_aes('1.4', 256,
        a1('x-Owner', T('x', 'node a'))));
    op_ok($bi, 'Create on a');
    my $uid = uid_of($bi);
    my $got_a = op_ok((op_req($pa, '1.4', { operation => 'Get',
                                            payload => [ ops_uid($uid) ] }))[0],
                      'Get on a');
    my $got_b = op_ok((op_req($pb, '1.4', { operation => 'Get',
                                            payload => [ ops_uid($uid) ] }))[0],
                      'Get on b');
    my @km = map { kmip_value($_, 'Response Payload', 'Symmetric Key',
                              'Key Block', 'Key Value', 'Key Material') }
             $got_a, $got_b;
    is(length $km[1], 32, '32 bytes on b');
    is($km[1], $km[0], 'same key material on both nodes');
    is(attrs($pb, $uid, 'x-Owner')->{'x-Owner'}, 'node a', 'attribute on b');

    op_ok(add_x($pb, $uid, 'x-Seen', 'by b'), 'Add Attribute on b');
    op_ok((op_req($pb, '1.4', { operation => 'Activate',
                                payload => [ ops_uid($uid) ] }))[0],
          'Activate on b');
    my $at = attrs($pa, $uid);
    is($at->{'x-Seen'}, 'by b', 'a sees the attribute b added');
    is($at->{State}, 2, 'a sees the key Active');
    is(scalar(live_keys($uid)), 1, 'one live Key Protect key');
};

subtest 'concurrent Add Attribute on both nodes loses nothing' => sub {
    my ($bi) = op_req($pa, '1.4', create_aes('1.4'));
    op_ok($bi, 'Create');
    my $uid = uid_of($bi);
    my $n = 20;
    my $failed = concurrent_adds($uid, $n, $pb, $pa);
    is($failed, 0, "all $n concurrent Add Attribute succeeded");
    my $at = attrs($pb, $uid);
    my @missing = grep { ($at->{"x-C$_"} // '') ne "v$_" } 1 .. $n;
    is_deeply(\@missing, [], 'every attribute is there');
    is(scalar(live_keys($uid)), 1, 'exactly one live Key Protect key');
    is_deeply(attrs($pa, $uid), $at, 'both nodes agree');
};

subtest 'Key Protect restarted (kill -9) loses nothing acknowledged' => sub {
    my ($bi) = op_req($pa, '1.4', create_aes('1.4'));
    op_ok($bi, 'Create');
    my $uid = uid_of($bi);
    op_ok(add_x($pb, $uid, 'x-Before', 'restart'), 'Add Attribute');
    my $km = kmip_value((op_req($pa, '1.4', { operation => 'Get',
                         payload => [ ops_uid($uid) ] }))[0],
                        'Response Payload', 'Symmetric Key', 'Key Block',
                        'Key Value', 'Key Material');
    $kp->restart;
    is(attrs($pb, $uid, 'x-Before')->{'x-Before'}, 'restart',
       'attribute survived the restart');
    my $km2 = kmip_value((op_req($pb, '1.4', { operation => 'Get',
                          payload => [ ops_uid($uid) ] }))[0],
                         'Response Payload', 'Symmetric Key', 'Key Block',
                         'Key Value', 'Key Material');
    is($km2, $km, 'same key material after the restart');
    op_ok(add_x($pa, $uid, 'x-After', 'restart'), 'Add Attribute after it');
    is(scalar(live_keys($uid)), 1, 'one live Key Protect key');
};

subtest 'deleting the Key Protect key destroys the object for good' => sub {
    my ($bi) = op_req($pa, '1.4', create_aes('1.4'));
    op_ok($bi, 'Create');
    my $uid = uid_of($bi);
    op_ok((op_req($pa, '1.4', { operation => 'Activate',
                                payload => [ ops_uid($uid) ] }))[0], 'Activate');
    my @live = live_keys($uid);
    is(scalar @live, 1, 'one live key');
    my $d = $kp->kp_call('DELETE', "keys/$live[0]{id}");
    is($d->{status}, 204, 'operator deletes it with the KP API');
    for my $port ($pa, $pb) {
        is(attrs($port, $uid, 'State')->{State}, 5, "State Destroyed on $port");
        for my $v ('1.4', '2.0') {
            my ($g) = op_req($port, $v, { operation => 'Get',
                                          payload => [ ops_uid($uid) ] });
            is(kmip_value($g, 'Result Status'), 1, "Get fails at $v");
            is(kmip_value($g, 'Result Reason'), $v eq '2.0' ? 0x36 : 0x01,
               "reason at $v");
        }
    }
    $bi = add_x($pb, $uid, 'x-Late', 'no');
    is(kmip_value($bi, 'Result Status'), 1, 'Add Attribute after the deletion fails');
    op_fail((op_req($pa, '1.4', { operation => 'Revoke', payload => [
                ops_uid($uid), S('Revocation Reason', [
                    E('Revocation Reason Code', 'Key Compromise') ]) ] }))[0],
            0x0c, 'Revoke after the deletion');
    is(scalar(live_keys($uid)), 0, 'no live key came back');
    is(attrs($pa, $uid, 'State')->{State}, 5, 'still Destroyed');
};

subtest 'deletion racing with mutations never resurrects' => sub {
    my ($bi) = op_req($pa, '1.4', create_aes('1.4'));
    op_ok($bi, 'Create');
    my $uid = uid_of($bi);
    my @pids;
    for my $i (1 .. 10) {
        my $pid = fork // die;
        if (!$pid) {
            kmip_roundtrip($i % 2 ? $pa : $pb, kmip_request(version => '1.4',
                items => [ { operation => 'Add Attribute', payload => [
                    ops_uid($uid), a1("x-R$i", T('x', 'r')) ] } ]),
                timeout => 60);
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    # delete whatever is live, while the writers run
    for (1 .. 20) {
        $kp->kp_call('DELETE', "keys/$_->{id}") for live_keys($uid);
        select undef, undef, undef, 0.05;
    }
    waitpid $_, 0 for @pids;
    $kp->kp_call('DELETE', "keys/$_->{id}") for live_keys($uid);
    is(attrs($pa, $uid, 'State')->{State}, 5, 'Destroyed');
    op_ok((op_req($pa, '1.4', { operation => 'Get Attributes',
                                payload => [ ops_uid($uid) ] }))[0], 'readable');
    my $late = add_x($pb, $uid, 'x-Late', 'no');
    is(kmip_value($late, 'Result Status'), 1, 'a later Add Attribute fails');
    is(scalar(live_keys($uid)), 0, 'no live key appears');
};

$a->stop;
$b->stop;
$kp->stop;
done_testing();
