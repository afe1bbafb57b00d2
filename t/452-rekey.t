# Re-key (KMIP 1.4 4.4, 2.1 6.1.46) on Key Protect, in 1.4 and 2.1, as
# VAST Data uses it: Create, Activate, a policy attribute added, Re-key,
# Revoke, Check, Locate by Name; and its Get of a data key wrapped by a
# key-encryption key without Cryptographic Parameters (RFC 3394 by
# default, unwrapped here by openssl).
#
#   the replacement: a new Unique Identifier, fresh material of the same
#   algorithm and length, the existing key's attributes (custom ones
#   among them) but those Re-key sets anew, Links each way, the Name
#   moved, dates copied or moved by an Offset, the ID Placeholder;
#   refusals: an unknown or destroyed key, a key that is not symmetric;
#   Key Protect failing at each of Re-key's three writes leaves the Name
#   on a key a client can use, and Re-key run again finishes the work
#   (docs/key-protect.md, "Re-key").

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

use constant { WRAP_KEY => 0x10 };

my $ver2 = qr/^2/;
my $Names = 0;

sub one { op_one($port, @_) }
sub get_attrs { op_get_attrs($port, @_) }

sub name_item { op_name_item(@_) }

sub custom {
    my ($v, $value) = @_;
    return $v =~ $ver2 ? a2v('x', 'vast-policy', T('Attribute Value', $value))
                       : a1('x-vast-policy', T('Attribute Value', $value));
}

# an AES key named $name, with the attributes given (in 2.1's item form)
sub named_key {
    my ($v, $name, %o) = @_;
    my @a = (E('Cryptographic Algorithm', 'AES'),
             I('Cryptographic Length', $o{len} // 256),
             I('Cryptographic Usage Mask', $o{mask} // 12),
             $name ? name_item($name) : (), @{ $o{attrs} || [] });
    my $bi = one($v, 'Create', E('Object Type', 'Symmetric Key'),
                 $v =~ $ver2 ? attrs2(@a) : tmpl1(map { attr_in($v, $_) } @a));
    op_ok($bi, "$v Create");
    return uid_of($bi);
}

sub rekey { my ($v, $uid, @p) = @_; one($v, 'Re-key', ops_uid($uid), @p) }

sub locate_name { op_locate_name($port, @_) }

sub links { links_of(get_attrs($_[0], $_[1], 'Link')) }

sub material {
    my ($v, $uid) = @_;
    my $bi = op_ok(one($v, 'Get', ops_uid($uid)), "Get $uid");
    return kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                      'Key Value', 'Key Material') // '';
}

sub names_of {
    my ($a) = @_;
    my $l = $a->{Name} // [];
    $l = [ $l ] unless ref $l eq 'ARRAY';
    return [ sort map { $_->{'Name Value'} } @$l ];
}

sub fresh_name { sprintf('vast-%d-%d-%d', $$, time, ++$Names) }

for my $v ('1.4', '2.1') {
    subtest "Re-key as VAST Data does, $v" => sub {
        my $name = fresh_name();
        my $old = named_key($v, $name);
        op_ok(one($v, 'Activate', ops_uid($old)), 'Activate');
        op_ok(one($v, 'Add Attribute', ops_uid($old),
                  $v =~ $ver2 ? S('New Attribute', [ custom($v, 'gold') ])
                              : custom($v, 'gold')),
              'Add Attribute x-vast-policy');
        my $before = get_attrs($v, $old);
        my $m_old = material($v, $old);

        sleep 1;    # the replacement's dates differ by a second at least
        $kp->clear_requests;
        my $bi = op_ok(rekey($v, $old), 'Re-key');
        select(undef, undef, undef, 0.3);   # old generations go after it
        # the existing key's read does not unwrap: the root key was just
        # used (docs/key-protect.md#the-root-keys-liveness); it is a
        # listing, the record of the key this node just read kept
        # (docs/key-protect.md#the-record-of-a-key)
        is($kp->count, 7, 'seven Key Protect calls (docs/key-protect.md)')
            or diag explain [ map { "$_->{method} $_->{path}" }
                              $kp->requests ];
        my $new = uid_of($bi);
        ok($new && $new ne $old, 'a new Unique Identifier');

        my $a = get_attrs($v, $new);
        my $m_new = material($v, $new);
        is(length $m_new, 32, 'fresh material of the same length');
        isnt($m_new, $m_old, 'not the existing key\'s');

        is_deeply(links($v, $old), [ "REPLACEMENT_OBJECT_LINK $new" ],
                  'the existing key links to its replacement');
        is_deeply(links($v, $new), [ "REPLACED_OBJECT_LINK $old" ],
                  'the replacement links to the replaced key');

        is_deeply(names_of($a), [ $name ], 'the Name moved');
        is_deeply(names_of(get_attrs($v, $old)), [], 'and left the old key');
        is_deeply(locate_name($v, $name), [ $new ],
                  'Locate by Name finds the replacement only');

        is($a->{'x-vast-policy'}, 'gold', 'a custom attribute is copied');
        for my $same ('Cryptographic Algorithm', 'Cryptographic Length',
                      'Cryptographic Usage Mask', 'Activation Date', 'State')
        {
            is($a->{$same}, $before->{$same}, "$same copied");
        }
        cmp_ok($a->{'Initial Date'}, '>', $before->{'Initial Date'},
               'Initial Date set anew');
        cmp_ok($a->{'Last Change Date'}, '>', $before->{'Initial Date'},
               'Last Change Date set anew');
        my $digest = sub {
            my $d = get_attrs($v, $_[0], 'Digest')->{Digest} // {};
            return $d->{'Digest Value'} // '';
        };
        isnt($digest->($new), $digest->($old), 'Digest recomputed');
        ok(!exists $a->{'Revocation Reason'}, 'no Revocation Reason');

        # the ID Placeholder: a Re-key then Get Attributes in one batch
        my @bi = op_req($port, $v,
            { operation => 'Re-key', payload => [ ops_uid($new) ] },
            { operation => 'Get Attributes', payload => [] });
        op_ok($bi[0], 'Re-key of the replacement');
        is(kmip_value($bi[1], 'Response Payload', 'Unique Identifier'),
           uid_of($bi[0]), 'the next item works on the newest key');

        op_ok(one($v, 'Revoke', ops_uid($new),
                  S('Revocation Reason', [
                      E('Revocation Reason Code', 'Cessation of Operation')
                  ])), 'Revoke the replacement');
        op_ok(one($v, 'Check', ops_uid($old)), 'Check the old key');
    };

    subtest "Re-key with an Offset, $v" => sub {
        my $act = time - 86400;
        my $old = named_key($v, fresh_name(), attrs => [
            DT('Activation Date', $act),
            DT('Deactivation Date', $act + 10 * 86400),
            DT('Process Start Date', $act + 3600) ]);
        my $t0 = time;
        my $new = uid_of(op_ok(rekey($v, $old, IV('Offset', 7200)),
                               'Re-key with Offset 2 h'));
        my $a = get_attrs($v, $new);
        my $at2 = $a->{'Activation Date'};
        is($at2, $a->{'Initial Date'} + 7200,
           'Activation Date = Initial Date + Offset');
        cmp_ok($a->{'Initial Date'}, '>=', $t0, 'Initial Date now');
        is($a->{'Deactivation Date'}, $act + 10 * 86400 + ($at2 - $act),
           'Deactivation Date moved as the Activation Date');
        is($a->{'Process Start Date'}, $act + 3600 + ($at2 - $act),
           'Process Start Date moved too');
        is(kmip_enum_name('State', $a->{State}), 'PRE_ACTIVE',
           'Pre-Active until its Activation Date');
    };

    subtest "Re-key refusals, $v" => sub {
        op_fail(rekey($v, '00000000-0000-4000-8000-000000000000'),
                $v =~ $ver2 ? R_OBJECT_NOT_FOUND : R_ITEM_NOT_FOUND,
                'an unknown key');

        my $k = named_key($v, undef);
        op_ok(one($v, 'Destroy', ops_uid($k)), 'Destroy');
        op_fail(rekey($v, $k),
                $v =~ $ver2 ? R_OBJECT_DESTROYED : R_ITEM_NOT_FOUND,
                'a destroyed key', qr/destroyed/);

        my $sd = op_ok(one($v, 'Register', E('Object Type', 'Secret Data'),
                           $v =~ $ver2 ? attrs2() : tmpl1(),
                           S('Secret Data', [
                               E('Secret Data Type', 'Password'),
                               S('Key Block', [
                                   E('Key Format Type', 'Opaque'),
                                   S('Key Value', [
                                       B('Key Material', 'secret') ]) ]) ])),
                       'Register Secret Data');
        op_fail(rekey($v, uid_of($sd)),
                $v =~ $ver2 ? R_INVALID_OBJECT_TYPE : R_ILLEGAL_OPERATION,
                'Secret Data', qr/not a symmetric key/);
    };
}

for my $v ('1.4', '2.1') {
    subtest "Get wrapped by a key without Cryptographic Parameters, $v" => sub {
        my $kek = named_key($v, undef, mask => WRAP_KEY,
                            attrs => [ DT('Activation Date', time - 60) ]);
        my $dek = named_key($v, undef);
        my $kek_m = material($v, $kek);
        my $dek_m = material($v, $dek);

        my $bi = op_ok(one($v, 'Get', ops_uid($dek),
                           S('Key Wrapping Specification', [
                               E('Wrapping Method', 'Encrypt'),
                               S('Encryption Key Information', [
                                   T('Unique Identifier', $kek) ]),
                               E('Encoding Option', 'No Encoding') ])),
                       'Get with a Key Wrapping Specification');
        my $blk = kmip_find($bi, 'Response Payload', 'Symmetric Key',
                            'Key Block');
        my $cp = kmip_find($blk, 'Key Wrapping Data',
                           'Encryption Key Information',
                           'Cryptographic Parameters');
        is(kmip_enum_name('Block Cipher Mode',
                          kmip_value($cp, 'Block Cipher Mode') // -1),
           'NISTKEYWRAP', 'the Key Wrapping Data says NIST Key Wrap');
        my $wrapped = kmip_value($blk, 'Key Value', 'Key Material')
                      // kmip_value($blk, 'Key Value');
        is(kw_unwrap($kek_m, $wrapped), $dek_m,
           'RFC 3394 unwraps it to the key');
    };
}

# Key Protect failing at each write: the first N-1 key creates pass (a
# fault with a delay alone), the N-th answers 500
sub fail_create {
    my ($nth, $path) = @_;
    $kp->clear_faults;
    $kp->fault({ method => 'POST', path => $path // '/api/v2/keys$',
                 delay_ms => 1, count => $nth - 1 }) if $nth > 1;
    $kp->fault({ method => 'POST', path => $path // '/api/v2/keys$',
                 status => 500, count => 1 });
}

for my $v ('1.4', '2.1') {
    subtest "Key Protect failures in Re-key, $v" => sub {
        # 1: the existing key's link: nothing changed
        my $name = fresh_name();
        my $old = named_key($v, $name);
        fail_create(1);
        my $bi = rekey($v, $old);
        $kp->clear_faults;
        is(kmip_value($bi, 'Result Status'), 1, 'write 1 failed: failed');
        is_deeply(locate_name($v, $name), [ $old ],
                  'Locate by Name finds the existing key');
        is_deeply(links($v, $old), [], 'which links to nothing');

        # 2: the replacement's create: the old key keeps its Name and a
        # link to an object that does not exist; Re-key again makes one
        fail_create(2);
        $bi = rekey($v, $old);
        $kp->clear_faults;
        is(kmip_value($bi, 'Result Status'), 1, 'write 2 failed: failed');
        is_deeply(locate_name($v, $name), [ $old ],
                  'Locate by Name finds the existing key only');
        my $l = links($v, $old);
        is(scalar @$l, 1, 'a link to the replacement never made');
        my $new = uid_of(op_ok(rekey($v, $old), 'Re-key again'));
        is_deeply(links($v, $old), [ "REPLACEMENT_OBJECT_LINK $new" ],
                  'the link now names the replacement made');
        is_deeply(locate_name($v, $name), [ $new ],
                  'the Name moved to it');

        # 3: the old key's Name removal: both named, linked each way;
        # Re-key again completes the move and answers the same key
        $name = fresh_name();
        $old = named_key($v, $name);
        fail_create(3);
        $bi = rekey($v, $old);
        $kp->clear_faults;
        is(kmip_value($bi, 'Result Status'), 1, 'write 3 failed: failed');
        my $found = locate_name($v, $name);
        is(scalar @$found, 2, 'Locate by Name finds both keys');
        ($new) = grep { $_ ne $old } @$found;
        is_deeply(links($v, $old), [ "REPLACEMENT_OBJECT_LINK $new" ],
                  'the old one links to the other');
        is_deeply(links($v, $new), [ "REPLACED_OBJECT_LINK $old" ],
                  'which links back');
        is(uid_of(op_ok(rekey($v, $old), 'Re-key again')), $new,
           'completes the interrupted Re-key');
        is_deeply(locate_name($v, $name), [ $new ],
                  'Locate by Name finds the replacement only');
    };
}

done_testing();
