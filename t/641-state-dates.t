# The State follows the dates (KMIP 1.4 3.22 transitions 4 and 6, 3.24,
# 3.27; 2.1 4.57, 4.1, 4.18): once its Deactivation Date has come, an
# Active key reads Deactivated (Get Attributes, Locate by State), no longer
# encrypts or decrypts (1.x Permission Denied, 2.x Wrong Key Lifecycle
# State), fails a Check of its usage, keeps its Deactivation Date and may
# be destroyed; it is still served by Get. A Pre-Active key whose
# Activation Date has come reads and works as Active.

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;

my $n = kp_node();
my $port = $n->port;

use KMIP::Reasons;
use constant { PRE_ACTIVE => 1, ACTIVE => 2, DEACTIVATED => 3 };

my $ver2 = qr/^2/;

sub one { op_one($port, @_) }

sub attr { attr_in(@_) }

sub state_of { op_get_attrs($port, $_[0], $_[1], 'State')->{State} }

sub create {
    my ($v, @x) = @_;
    my $c = create_aes($v, 128, map { attr($v, $_) } @x);
    my $bi = op_ok(one($v, 'Create', @{ $c->{payload} }), "$v Create");
    return uid_of($bi);
}

sub ecb { S('Cryptographic Parameters', [ E('Block Cipher Mode', 'ECB') ]) }

sub crypt_op {
    my ($v, $op, $uid) = @_;
    return one($v, $op, ops_uid($uid), ecb(), B('Data', "\1" x 16));
}

sub located {
    my ($v, $state) = @_;
    my $f = $v =~ $ver2 ? attrs2(E('State', $state))
                        : a1('State', E('State', $state));
    my $bi = op_ok(one($v, 'Locate', $f), "$v Locate by State $state");
    return [ map { $_->{value} }
             kmip_find_all($bi, 'Response Payload', 'Unique Identifier') ];
}

sub has { my ($l, $uid) = @_; return scalar grep { $_ eq $uid } @$l }

for my $v ('1.4', '2.1') {
    subtest "the dates move the State, $v" => sub {
        my $wrong = $v =~ $ver2 ? R_WRONG_STATE : R_PERMISSION_DENIED;
        my $t = time;

        my $old = create($v, DT('Activation Date', $t - 60),
                         DT('Deactivation Date', $t + 2));
        my $new = create($v, DT('Activation Date', $t + 2));

        is(state_of($v, $old), ACTIVE, "$v Active before its "
                                       . 'Deactivation Date');
        op_ok(crypt_op($v, 'Encrypt', $old), "$v Encrypt while Active");
        is(state_of($v, $new), PRE_ACTIVE, "$v Pre-Active before its "
                                           . 'Activation Date');
        ok(has(located($v, ACTIVE), $old), "$v found as Active");

        sleep 1 while time <= $t + 2;

        is(state_of($v, $old), DEACTIVATED,
           "$v Deactivated past its Deactivation Date");
        ok(has(located($v, DEACTIVATED), $old), "$v found as Deactivated");
        ok(!has(located($v, ACTIVE), $old), "$v no longer found as Active");
        op_fail(crypt_op($v, 'Encrypt', $old), $wrong,
                "$v Encrypt past the Deactivation Date", qr/Deactivated/);
        op_fail(crypt_op($v, 'Decrypt', $old), $wrong,
                "$v Decrypt past the Deactivation Date", qr/Deactivated/);
        op_fail(one($v, 'Check', ops_uid($old),
                    I('Cryptographic Usage Mask', 4)),
                R_PERMISSION_DENIED, "$v Check of Encrypt", qr/Deactivated/);
        op_fail(one($v, 'Modify Attribute', ops_uid($old),
                    $v =~ $ver2
                    ? S('New Attribute', [ DT('Deactivation Date', $t + 3600) ])
                    : attr($v, DT('Deactivation Date', $t + 3600))),
                $wrong, "$v the Deactivation Date moved on: refused");
        op_fail(one($v, 'Activate', ops_uid($old)), $wrong,
                "$v Activate of a Deactivated key");
        op_ok(one($v, 'Get', ops_uid($old)),
              "$v Get still serves a Deactivated key");

        is(state_of($v, $new), ACTIVE, "$v Active past its Activation Date");
        ok(has(located($v, ACTIVE), $new), "$v found as Active");
        op_ok(crypt_op($v, 'Encrypt', $new), "$v Encrypt once Active");
        op_fail(one($v, 'Activate', ops_uid($new)), $wrong,
                "$v Activate of a key already Active");

        op_ok(one($v, 'Destroy', ops_uid($old)),
              "$v Destroy of the Deactivated key");
    };
}

done_testing();
