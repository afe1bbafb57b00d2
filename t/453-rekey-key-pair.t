# Re-key Key Pair (KMIP 1.4 4.5, 2.1 6.1.47) on Key Protect, in 1.4 and
# 2.1: an RSA and an EC pair, each half named, replaced by a new pair.
#
#   the replacements: two new Unique Identifiers, new material of the same
#   algorithm and length, linked to each other (Public Key / Private Key
#   Link) and to the keys they replace (Replaced / Replacement Object
#   Link), each half's Names moved, its attributes copied, an Offset
#   applied, the ID Placeholder the new private key; a signature of the
#   new private key checks with the new public key and not with the old;
#   refusals: a public key, a symmetric key, attributes in the request;
#   Key Protect failing at each key it makes leaves every Name on a live
#   key of its kind and no half pair (docs/key-protect.md, "Re-key").

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use KMIP::Reasons;

my $kp = suite_kp();
my $n = kp_node();
my $port = $n->port;

my $ver2 = qr/^2/;
my $Names = 0;

sub one { op_one($port, @_) }
sub get_attrs { op_get_attrs($port, @_) }
sub links { [ sort @{ links_of(get_attrs($_[0], $_[1], 'Link')) } ] }
sub fresh_name { sprintf('pair-%d-%d-%d', $$, time, ++$Names) }

sub name_item { op_name_item(@_) }

sub container {
    my ($v, $what, @a) = @_;
    return $v =~ $ver2
        ? S("$what Attributes", [ @a ])
        : S("$what Template-Attribute", [ map { attr_in($v, $_) } @a ]);
}

# a pair whose halves are named "$name-private" and "$name-public"
sub named_pair {
    my ($v, $name, $alg) = @_;
    my @common = $alg eq 'RSA'
        ? (E('Cryptographic Algorithm', 'RSA'),
           I('Cryptographic Length', 2048))
        : (E('Cryptographic Algorithm', 'EC'),
           I('Cryptographic Length', 256));
    my $bi = op_ok(one($v, 'Create Key Pair',
        container($v, 'Common', @common),
        container($v, 'Private Key', I('Cryptographic Usage Mask', 1),
                  DT('Activation Date', time - 60),
                  name_item("$name-private")),
        container($v, 'Public Key', I('Cryptographic Usage Mask', 2),
                  DT('Activation Date', time - 60),
                  name_item("$name-public"))),
        "$v Create Key Pair $alg");
    return (kmip_value($bi, 'Response Payload',
                       'Private Key Unique Identifier'),
            kmip_value($bi, 'Response Payload',
                       'Public Key Unique Identifier'));
}

sub rekey_pair {
    my ($v, $priv, @p) = @_;
    return one($v, 'Re-key Key Pair',
               T('Private Key Unique Identifier', $priv), @p);
}

sub pair_of {
    my ($bi) = @_;
    return (kmip_value($bi, 'Response Payload',
                       'Private Key Unique Identifier'),
            kmip_value($bi, 'Response Payload',
                       'Public Key Unique Identifier'));
}

sub locate_name { op_locate_name($port, @_) }

sub material {
    my ($v, $uid, $type) = @_;
    my $bi = op_ok(one($v, 'Get', ops_uid($uid)), "Get $uid");
    return kmip_value($bi, 'Response Payload', $type, 'Key Block',
                      'Key Value', 'Key Material') // '';
}

sub signature {
    my ($v, $priv, $alg) = @_;
    my $bi = op_ok(one($v, 'Sign', ops_uid($priv),
                       S('Cryptographic Parameters', [
                           $alg eq 'RSA' ? E('Padding Method', 'PKCS1 v1.5')
                                         : (),
                           E('Hashing Algorithm', 'SHA-256'),
                           E('Cryptographic Algorithm',
                             $alg eq 'RSA' ? 'RSA' : 'ECDSA') ]),
                       B('Data', 'the disk key of a backup')),
                   "Sign with $priv");
    return kmip_value($bi, 'Response Payload', 'Signature Data');
}

sub verifies {
    my ($v, $pub, $alg, $sig) = @_;
    my $bi = op_ok(one($v, 'Signature Verify', ops_uid($pub),
                       S('Cryptographic Parameters', [
                           $alg eq 'RSA' ? E('Padding Method', 'PKCS1 v1.5')
                                         : (),
                           E('Hashing Algorithm', 'SHA-256'),
                           E('Cryptographic Algorithm',
                             $alg eq 'RSA' ? 'RSA' : 'ECDSA') ]),
                       B('Data', 'the disk key of a backup'),
                       B('Signature Data', $sig)),
                   "Signature Verify with $pub");
    return kmip_enum_name('Validity Indicator',
                          kmip_value($bi, 'Response Payload',
                                     'Validity Indicator') // -1);
}

for my $v ('1.4', '2.1') {
    for my $alg ('RSA', 'EC') {
        subtest "Re-key Key Pair, $alg, $v" => sub {
            my $name = fresh_name();
            my ($priv, $pub) = named_pair($v, $name, $alg);
            my $before = get_attrs($v, $priv);
            my $old_m = material($v, $priv, 'Private Key');

            sleep 1;
            $kp->clear_requests;
            my @bi = op_req($port, $v,
                { operation => 'Re-key Key Pair', payload => [
                      T('Private Key Unique Identifier', $priv),
                      IV('Offset', 0) ] },
                { operation => 'Get Attributes', payload => [] });
            op_ok($bi[0], 'Re-key Key Pair');
            note('Key Protect calls: ' . $kp->count);
            my ($npriv, $npub) = pair_of($bi[0]);
            ok($npriv && $npub && $npriv ne $priv && $npub ne $pub,
               'two new Unique Identifiers');
            is(kmip_value($bi[1], 'Response Payload', 'Unique Identifier'),
               $npriv, 'the ID Placeholder is the new private key');

            is_deeply(links($v, $npriv),
                      [ sort "PUBLIC_KEY_LINK $npub",
                             "REPLACED_OBJECT_LINK $priv" ],
                      'the new private key links to its public key and '
                      . 'to the key it replaces');
            is_deeply(links($v, $npub),
                      [ sort "PRIVATE_KEY_LINK $npriv",
                             "REPLACED_OBJECT_LINK $pub" ],
                      'the new public key too');
            is_deeply(links($v, $priv),
                      [ sort "PUBLIC_KEY_LINK $pub",
                             "REPLACEMENT_OBJECT_LINK $npriv" ],
                      'the old private key links to its replacement');
            is_deeply(links($v, $pub),
                      [ sort "PRIVATE_KEY_LINK $priv",
                             "REPLACEMENT_OBJECT_LINK $npub" ],
                      'the old public key too');

            is_deeply(locate_name($v, "$name-private"), [ $npriv ],
                      'the private key\'s Name moved');
            is_deeply(locate_name($v, "$name-public"), [ $npub ],
                      'the public key\'s Name moved');

            my $a = get_attrs($v, $npriv);
            for my $same ('Cryptographic Algorithm', 'Cryptographic Length',
                          'Cryptographic Usage Mask') {
                is($a->{$same}, $before->{$same}, "$same copied");
            }
            is(kmip_enum_name('State', $a->{State}), 'ACTIVE',
               'Active at once with an Offset of 0');
            isnt(material($v, $npriv, 'Private Key'), $old_m,
                 'new material');

            my $sig = signature($v, $npriv, $alg);
            is(verifies($v, $npub, $alg, $sig), 'VALID',
               'the new keys are a pair');
            is(verifies($v, $pub, $alg, $sig), 'INVALID',
               'and not the old public key\'s');
        };
    }

    subtest "Re-key Key Pair refusals, $v" => sub {
        my ($priv, $pub) = named_pair($v, fresh_name(), 'EC');
        op_fail(rekey_pair($v, $pub),
                $v =~ $ver2 ? R_INVALID_OBJECT_TYPE : R_ILLEGAL_OPERATION,
                'a public key', qr/not a private key/);
        my ($c) = op_req($port, $v, create_aes($v));
        my $aes = uid_of(op_ok($c, 'Create AES'));
        op_fail(rekey_pair($v, $aes),
                $v =~ $ver2 ? R_INVALID_OBJECT_TYPE : R_ILLEGAL_OPERATION,
                'a symmetric key', qr/not a private key/);
        op_fail(rekey_pair($v, $priv,
                           container($v, 'Private Key',
                                     I('Cryptographic Usage Mask', 1))),
                R_FEATURE_NOT_SUPPORTED, 'attributes in the request');
        op_fail(rekey_pair($v, '00000000-0000-4000-8000-000000000000'),
                $v =~ $ver2 ? R_OBJECT_NOT_FOUND : R_ITEM_NOT_FOUND,
                'an unknown key');
        is_deeply(links($v, $priv), [ "PUBLIC_KEY_LINK $pub" ],
                  'the pair is untouched');
    };
}

# Key Protect refusing the N-th key it is asked to make: the first N-1
# pass (a fault with a delay alone), the N-th answers 500. Re-key Key Pair
# makes six: the two links, the two new keys, the two Name removals.
sub fail_create {
    my ($nth) = @_;
    $kp->clear_faults;
    $kp->fault({ method => 'POST', path => '/api/v2/keys$',
                 delay_ms => 1, count => $nth - 1 }) if $nth > 1;
    $kp->fault({ method => 'POST', path => '/api/v2/keys$',
                 status => 500, count => 1 });
}

subtest 'Key Protect failing at each write of Re-key Key Pair' => sub {
    my $v = '2.1';
    for my $nth (1 .. 6) {
        my $name = fresh_name();
        my ($priv, $pub) = named_pair($v, $name, 'EC');
        fail_create($nth);
        my $bi = rekey_pair($v, $priv);
        $kp->clear_faults;
        is(kmip_value($bi, 'Result Status'), 1, "write $nth failed: failed");
        for my $half ([ 'private', $priv ], [ 'public', $pub ]) {
            my $found = locate_name($v, "$name-$half->[0]");
            ok(scalar(@$found) >= 1, "the $half->[0] key's Name is on a key");
        }
        my ($repl) = map { /^REPLACEMENT_OBJECT_LINK (\S+)/ ? $1 : () }
                     @{ links($v, $priv) };
        if ($repl) {
            my $bi = one($v, 'Get Attributes', ops_uid($repl));
            my $state = kmip_value($bi, 'Result Status') == 0
                        ? attrs_of($bi)->{State} : undef;
            if (defined $state
                && kmip_enum_name('State', $state) ne 'DESTROYED')
            {
                my ($rpub) = map { /^PUBLIC_KEY_LINK (\S+)/ ? $1 : () }
                             @{ links($v, $repl) };
                op_ok(one($v, 'Get Attributes', ops_uid($rpub // 'none')),
                      'a live new private key has its public key');
            }
        }
        my $done = op_ok(rekey_pair($v, $priv), 'Re-key Key Pair again');
        my ($npriv) = pair_of($done);
        is_deeply(locate_name($v, "$name-private"), [ $npriv ],
                  'then the Name is on the newest private key only');
    }
};

done_testing();
