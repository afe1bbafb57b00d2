# The Link attribute (KMIP 1.4 3.35, 2.1 4.31) and key wrapping on Get
# (1.4 2.1.5, 2.1.6, 4.11; 2.1 3.3, 7.18, 6.1.19), in 1.4 and 2.1:
#
#   Link: added, modified and deleted in either version's form, several
#   instances, returned by name and listed, left out of a whole Get
#   Attributes answer (PyKMIP 0.10 still reads it), found by Locate, and
#   refused where the object cannot take it;
#
#   wrapping: a Get with a Key Wrapping Specification answers the Key Value
#   wrapped by another managed AES key (RFC 3394 / RFC 5649), checked here
#   by unwrapping it with openssl against the key got in the clear, with the
#   Key Wrapping Data that says how; a Sensitive key is served wrapped only;
#   and every refusal with its version's reason.

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use JSON::PP qw(decode_json);

my $kp = suite_kp();
my $n = kp_node();
my $port = $n->port;

use KMIP::Reasons;
use constant { WRAP_KEY => 0x10 };

my $ver2 = qr/^2/;

sub one { op_one($port, @_) }
sub attr { attr_in(@_) }
sub get_attrs { op_get_attrs($port, @_) }

sub cp { S('Cryptographic Parameters', [ E('Block Cipher Mode', $_[0]) ]) }

# an AES key of $len bits with the usage mask and attributes given; Active
# unless pre_active
sub key {
    my ($v, %o) = @_;
    my @a = (E('Cryptographic Algorithm', 'AES'),
             I('Cryptographic Length', $o{len} // 256),
             I('Cryptographic Usage Mask', $o{mask} // 12),
             $o{pre_active} ? () : DT('Activation Date', time - 3600),
             @{ $o{attrs} || [] });
    my $bi = one($v, 'Create', E('Object Type', 'Symmetric Key'),
                 $v =~ $ver2 ? attrs2(@a) : tmpl1(map { attr($v, $_) } @a));
    op_ok($bi, "$v Create");
    return uid_of($bi);
}

sub link_item {
    my ($type, $uid) = @_;
    return S('Link', [ E('Link Type', $type),
                       T('Linked Object Identifier', $uid) ]);
}

sub add_attr {
    my ($v, $uid, $item) = @_;
    return one($v, 'Add Attribute', ops_uid($uid),
               $v =~ $ver2 ? S('New Attribute', [ $item ]) : attr($v, $item));
}

sub clear_material {
    my ($bi, $what) = @_;
    my $m = kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                       'Key Value', 'Key Material');
    ok(defined $m && !ref $m, "$what: clear material") or return '';
    return $m;
}

sub get_clear {
    my ($v, $uid) = @_;
    return clear_material(op_ok(one($v, 'Get', ops_uid($uid)), "Get $uid"),
                          'Get');
}

sub kws {
    my ($kek, %o) = @_;
    return S('Key Wrapping Specification', [
        E('Wrapping Method', $o{method} // 'Encrypt'),
        $o{no_eki} ? () : S('Encryption Key Information', [
            T('Unique Identifier', $kek),
            $o{mode} ? cp($o{mode}) : () ]),
        map({ T('Attribute Name', $_) } @{ $o{names} || [] }),
        $o{encoding} ? E('Encoding Option', $o{encoding}) : () ]);
}

my $Ubi = 0;

# a request with Undo (and Batch Order Option true, as the OASIS cases)
sub undo_batch {
    my ($v, @items) = @_;
    my $r = kmip_roundtrip($port, kmip_request(version => $v,
        batch_order_option => 1,
        header => [ E('Batch Error Continuation Option', 3) ],
        items => [ map { { %$_, ubi => pack('N', ++$Ubi) } } @items ]),
        timeout => 30);
    die "no answer" unless $r;
    return kmip_find_all($r, 'Batch Item');
}

sub get_wrapped {
    my ($v, $uid, @spec) = @_;
    return one($v, 'Get', ops_uid($uid), @spec);
}

sub block_of {
    my ($bi, $type) = @_;
    return kmip_find($bi, 'Response Payload', $type // 'Symmetric Key',
                     'Key Block');
}

for my $v ('1.4', '2.1') {
    subtest "Link: add, get, modify, delete, $v" => sub {
        my ($k1, $k2, $k3) = map { key($v) } 1 .. 3;

        my $bi = op_ok(add_attr($v, $k1, link_item('Next Link', $k2)),
                       'Add Link Next');
        if ($v !~ $ver2) {
            is(kmip_value($bi, 'Response Payload', 'Attribute',
                          'Attribute Value', 'Linked Object Identifier'),
               $k2, '1.x: the answer carries the Link added');
        }
        op_ok(add_attr($v, $k1, link_item('Child Link', $k3)),
              'Add a second Link: several instances');

        is_deeply(links_of(get_attrs($v, $k1, 'Link')),
                  [ sort "CHILD_LINK $k3", "NEXT_LINK $k2" ],
                  'Get Attributes Link: both instances')
            or diag explain get_attrs($v, $k1, 'Link');

        my $a = get_attrs($v, $k1);
        ok(!exists $a->{Link} && exists $a->{State},
           'a whole Get Attributes answer leaves Link out');

        $bi = op_ok(one($v, 'Get Attribute List', ops_uid($k1)),
                    'Get Attribute List');
        my @names = $v =~ $ver2
            ? map { kmip_tag_name($_->{value}) }
                  kmip_find_all($bi, 'Response Payload', 'Attribute Reference')
            : map { $_->{value} }
                  kmip_find_all($bi, 'Response Payload', 'Attribute Name');
        is(scalar(grep { $_ eq 'Link' } @names), 1, 'Link listed once');

        # Modify: 1.x by Attribute Index, 2.x by the Current Attribute
        $bi = one($v, 'Modify Attribute', ops_uid($k1),
                  $v =~ $ver2
                  ? (S('Current Attribute', [ link_item('Child Link', $k3) ]),
                     S('New Attribute', [ link_item('Parent Link', $k3) ]))
                  : a1('Link', link_item('Parent Link', $k3), 1));
        op_ok($bi, 'Modify the second Link');
        is_deeply(links_of(get_attrs($v, $k1, 'Link')),
                  [ sort "NEXT_LINK $k2", "PARENT_LINK $k3" ],
                  'modified in place');

        # Locate by a Link
        my @f = (E('Object Type', 'Symmetric Key'),
                 link_item('Parent Link', $k3));
        $bi = op_ok(one($v, 'Locate',
                        $v =~ $ver2 ? attrs2(@f) : map { attr($v, $_) } @f),
                    'Locate by Link');
        is_deeply([ map { $_->{value} }
                    kmip_find_all($bi, 'Response Payload',
                                  'Unique Identifier') ],
                  [ $k1 ], 'the key that has it');

        # Delete: 1.x by index, 2.x by the Current Attribute
        $bi = $v =~ $ver2
            ? one($v, 'Delete Attribute', ops_uid($k1),
                  S('Current Attribute', [ link_item('Next Link', $k2) ]))
            : one($v, 'Delete Attribute', ops_uid($k1),
                  T('Attribute Name', 'Link'), I('Attribute Index', 0));
        op_ok($bi, 'Delete the first Link');
        is_deeply(links_of(get_attrs($v, $k1, 'Link')),
                  [ "PARENT_LINK $k3" ], 'the other stays');
        $bi = $v =~ $ver2
            ? one($v, 'Delete Attribute', ops_uid($k1),
                  S('Current Attribute', [ link_item('Next Link', $k2) ]))
            : one($v, 'Delete Attribute', ops_uid($k1),
                  T('Attribute Name', 'Link'), I('Attribute Index', 0));
        op_fail($bi, $v =~ $ver2 ? R_ATTR_NOT_FOUND : R_ITEM_NOT_FOUND,
                'Delete it again');

        # given at Create
        my $k4 = key($v, attrs => [ link_item('Derivation Base Object Link',
                                              $k1) ]);
        is_deeply(links_of(get_attrs($v, $k4, 'Link')),
                  [ "DERIVATION_BASE_OBJECT_LINK $k1" ], 'a Link at Create');
    };

    subtest "Link: what an object cannot take, $v" => sub {
        my ($k1, $k2) = map { key($v) } 1 .. 2;

        op_fail(add_attr($v, $k1, link_item('Public Key Link', $k2)),
                R_INVALID_FIELD, 'a Public Key Link on a Symmetric Key',
                qr/Link Type/);
        op_fail(add_attr($v, $k1, S('Link', [ E('Link Type', 'Next Link') ])),
                R_INVALID_FIELD, 'a Link without its object');
        op_fail(add_attr($v, $k1, link_item('Next Link', '')),
                R_INVALID_FIELD, 'an empty Linked Object Identifier');
        op_ok(add_attr($v, $k1, link_item('Replacement Object Link', $k2)),
              'a Replacement Object Link');
        op_fail(add_attr($v, $k1, link_item('Replacement Object Link', $k1)),
                R_INVALID_FIELD, 'a second Replacement Object Link',
                qr/one Replacement/);
        my $wk = one($v, 'Add Attribute', ops_uid($k2),
                     $v =~ $ver2
                     ? S('New Attribute', [ link_item('Wrapping Key Link',
                                                      $k1) ])
                     : attr($v, S('Link', [
                           E('Link Type', 0x10e),
                           T('Linked Object Identifier', $k1) ])));
        if ($v =~ $ver2) {
            op_ok($wk, 'a Wrapping Key Link in 2.x');
        } else {
            op_fail($wk, R_INVALID_FIELD, 'no Wrapping Key Link in 1.x');
        }
        op_fail(one($v, 'Create', E('Object Type', 'Symmetric Key'),
                    $v =~ $ver2
                    ? attrs2(E('Cryptographic Algorithm', 'AES'),
                             I('Cryptographic Length', 128),
                             link_item('Private Key Link', $k1))
                    : tmpl1(attr($v, E('Cryptographic Algorithm', 'AES')),
                            attr($v, I('Cryptographic Length', 128)),
                            attr($v, link_item('Private Key Link', $k1)))),
                R_INVALID_FIELD, 'Create with a Private Key Link');

        # 1.x gives a Link to cryptographic objects, 2.x to all
        my $bi = op_ok(one($v, 'Register', E('Object Type', 'Opaque Object'),
                           $v =~ $ver2 ? attrs2() : tmpl1(),
                           S('Opaque Object', [
                               E('Opaque Data Type', 0x80000001),
                               B('Opaque Data Value', 'opaque') ])),
                       'Register an Opaque Object');
        my $op = uid_of($bi);
        $bi = add_attr($v, $op, link_item('Parent Link', $k1));
        if ($v =~ $ver2) {
            op_ok($bi, 'a Parent Link on an Opaque Object in 2.x');
            op_fail(add_attr($v, $op, link_item('Derived Key Link', $k1)),
                    R_INVALID_FIELD, 'but no Derived Key Link');
        } else {
            op_fail($bi, R_PERMISSION_DENIED,
                    'no Link on an Opaque Object in 1.x', qr/cryptographic/);
        }
    };
}

SKIP: {
    skip 'python3-pykmip is not installed', 1
        if system('/usr/bin/python3 -c "import kmip" 2>/dev/null') != 0;

    subtest 'PyKMIP reads a whole Get Attributes of a linked key' => sub {
        for my $v ('1.4', '2.0') {
            my ($k1, $k2) = map { key($v =~ $ver2 ? '2.0' : $v) } 1 .. 2;
            op_ok(add_attr($v, $k1, link_item('Next Link', $k2)), 'Link');
            open my $fh, '-|', '/usr/bin/python3', 't/lib/pykmip_client.py',
                 '--port', $port, '--cert', cert_path('client.crt'),
                 '--key', cert_path('client.key'), '--ca', cert_path('ca.crt'),
                 '--server-name', 'localhost', '--version', $v,
                 'get-attributes', $k1 or die "python3: $!";
            my $out = do { local $/; <$fh> };
            close $fh;
            my $r = eval { decode_json($out) } || { error => $out };
            is($?, 0, "PyKMIP $v get-attributes") or diag explain $r;
            is($r->{attributes}{State}, 'ACTIVE', "$v: State read");
        }
    };
}

for my $v ('1.4', '2.1') {
    # a wrapping key with two Cryptographic Parameters: NIST Key Wrap at
    # index 0, AES Key Wrap Padding at index 1
    my $kek = key($v, mask => WRAP_KEY,
                  attrs => [ cp('NISTKeyWrap'), cp('AESKeyWrapPadding') ]);
    my $kek_bytes = get_clear($v, $kek);
    is(length $kek_bytes, 32, "$v: the wrapping key, in the clear");

    subtest "Get wrapped: NIST Key Wrap of the TTLV Key Value, $v" => sub {
        my $uid = key($v);
        my $bi = op_ok(get_wrapped($v, $uid, kws($kek)),
                       'Get with a Key Wrapping Specification');
        my $kb = block_of($bi);
        my $wrapped = kmip_find($kb, 'Key Value');
        is($wrapped->{type}, 0x08, 'the Key Value is a Byte String');
        is(kmip_value($kb, 'Key Format Type'), 1, 'Raw');
        is(kmip_value($kb, 'Cryptographic Algorithm'), 3, 'AES');
        is(kmip_value($kb, 'Cryptographic Length'), 256, '256 bits');
        my $kwd = kmip_find($kb, 'Key Wrapping Data');
        is(kmip_value($kwd, 'Wrapping Method'), 1, 'Wrapping Method Encrypt');
        is(kmip_value($kwd, 'Encryption Key Information',
                      'Unique Identifier'), $kek, 'the wrapping key named');
        is(kmip_value($kwd, 'Encryption Key Information',
                      'Cryptographic Parameters', 'Block Cipher Mode'),
           kmip_enum('Block Cipher Mode', 'NISTKeyWrap'),
           'the parameters used: the key\'s of lowest index');
        ok(!kmip_find($kwd, 'Encoding Option'), 'TTLV, by default');
        is(length $wrapped->{value}, 8 + 48, 'a TTLV Key Value, wrapped');

        # no plaintext Key Material anywhere in the answer
        my $clear = get_clear($v, $uid);
        unlike(ttlv_encode($bi), qr/\Q$clear\E/, 'no clear key in the answer');

        my $plain = kw_unwrap($kek_bytes, $wrapped->{value});
        ok(defined $plain, 'openssl unwraps it (RFC 3394 integrity check)');
        my $kv = eval { ttlv_decode($plain // '') };
        is($kv && $kv->{name}, 'Key Value', 'a TTLV Key Value structure');
        is(kmip_value($kv, 'Key Material'), $clear,
           'holding the key got in the clear');

        # the wrapped Get served the key: Fresh is False
        my $u2 = key($v);
        op_ok(get_wrapped($v, $u2, kws($kek)), 'Get wrapped of a fresh key');
        is(get_attrs($v, $u2, 'Fresh')->{Fresh}, 0, 'served: not Fresh');
        $kp->clear_requests;
        op_ok(get_wrapped($v, $u2, kws($kek)), 'Get wrapped again');
        # each: a listing (the records kept), the unwrap
        # (docs/key-protect.md#the-record-of-a-key)
        is($kp->count, 4, 'four Key Protect calls: the key and its wrapper');
    };

    subtest "Get wrapped: padding, No Encoding, formats, $v" => sub {
        my $uid = key($v, len => 128);
        my $clear = get_clear($v, $uid);

        # AES Key Wrap Padding named: instance 1 of the key's parameters
        my $bi = op_ok(get_wrapped($v, $uid,
                                   kws($kek, mode => 'AESKeyWrapPadding',
                                       encoding => 'No Encoding')),
                       'AES Key Wrap Padding, No Encoding');
        my $kb = block_of($bi);
        my $kwd = kmip_find($kb, 'Key Wrapping Data');
        is(kmip_value($kwd, 'Encoding Option'), 1, 'Encoding Option said');
        is(kmip_value($kwd, 'Encryption Key Information',
                      'Cryptographic Parameters', 'Block Cipher Mode'),
           kmip_enum('Block Cipher Mode', 'AESKeyWrapPadding'),
           'the parameters asked for');
        # No Encoding: the Key Value structure stays, its Key Material
        # wrapped (1.4 2.1.5)
        my $w = kmip_value($kb, 'Key Value', 'Key Material');
        is(length $w, 24, '16 bytes wrapped');
        is(kw_unwrap($kek_bytes, $w, 1), $clear, 'RFC 5649: the bare key');
        ok(!defined kw_unwrap($kek_bytes, $w), 'not RFC 3394');

        # NIST Key Wrap of the bare 16 bytes
        $bi = op_ok(get_wrapped($v, $uid,
                                kws($kek, mode => 'NISTKeyWrap',
                                    encoding => 'No Encoding')),
                    'NIST Key Wrap, No Encoding');
        is(kw_unwrap($kek_bytes, kmip_value(block_of($bi), 'Key Value',
                                            'Key Material')),
           $clear, 'RFC 3394: the bare key');

        # Transparent Symmetric Key: its structure is wrapped
        $bi = op_ok(get_wrapped($v, $uid, E('Key Format Type',
                                            'Transparent Symmetric Key'),
                                kws($kek)),
                    'Transparent Symmetric Key, wrapped');
        $kb = block_of($bi);
        is(kmip_value($kb, 'Key Format Type'), 7, 'its Key Format Type');
        my $kv = ttlv_decode(kw_unwrap($kek_bytes, kmip_value($kb, 'Key Value'))
                             // '');
        is(kmip_value($kv, 'Key Material', 'Key'), $clear,
           'Key Value {Key Material {Key}}');
        op_fail(get_wrapped($v, $uid, E('Key Format Type',
                                        'Transparent Symmetric Key'),
                            kws($kek, encoding => 'No Encoding')),
                R_ENCODING_OPTION_ERROR,
                'Transparent Symmetric Key with No Encoding');

        # attributes wrapped with the key
        $bi = op_ok(get_wrapped($v, $uid,
                                kws($kek, names => [ 'Cryptographic Length',
                                                     'Object Group' ])),
                    'Attribute Names');
        $kv = ttlv_decode(kw_unwrap($kek_bytes,
                                 kmip_value(block_of($bi), 'Key Value'))
                          // '');
        is(kmip_value($kv, 'Key Material'), $clear, 'the key');
        my $a = attrs_of({ name => 'Batch Item', type => 1, tag => 0,
                           value => [ { %$kv, name => 'Response Payload',
                                        tag => kmip_tag('Response Payload') }
                                    ] });
        is_deeply($a, { 'Cryptographic Length' => 128 },
                  'and the attributes it has, in the version\'s form')
            or diag explain $a;
        op_fail(get_wrapped($v, $uid,
                            kws($kek, names => [ 'Cryptographic Length' ],
                                encoding => 'No Encoding')),
                R_ENCODING_OPTION_ERROR, 'Attribute Names with No Encoding');

        # Secret Data: its Key Block wrapped; 20 bytes need the padding
        $bi = op_ok(one($v, 'Register', E('Object Type', 'Secret Data'),
                        $v =~ $ver2 ? attrs2(I('Cryptographic Usage Mask', 0))
                            : tmpl1(attr($v, I('Cryptographic Usage Mask', 0))),
                        S('Secret Data', [ E('Secret Data Type', 'Password'),
                            S('Key Block', [ E('Key Format Type', 'Opaque'),
                                S('Key Value', [
                                    B('Key Material', 'twenty-byte-secret!!')
                                ]) ]) ])),
                    'Register Secret Data');
        my $sd = uid_of($bi);
        op_fail(get_wrapped($v, $sd, kws($kek, mode => 'NISTKeyWrap',
                                         encoding => 'No Encoding')),
                R_ENCODING_OPTION_ERROR, '20 bytes, NIST Key Wrap',
                qr/multiple of 8/);
        $bi = op_ok(get_wrapped($v, $sd, kws($kek, mode => 'AESKeyWrapPadding',
                                             encoding => 'No Encoding')),
                    'Secret Data, AES Key Wrap Padding');
        is(kw_unwrap($kek_bytes, kmip_value(block_of($bi, 'Secret Data'),
                                         'Key Value', 'Key Material'), 1),
           'twenty-byte-secret!!', 'the secret, unwrapped');
    };

    subtest "Sensitive and Extractable, $v" => sub {
        my $uid = key($v, attrs => [ BOOL('Sensitive', 1) ]);
        op_fail(one($v, 'Get', ops_uid($uid)), R_SENSITIVE,
                'a Sensitive key in the clear', qr/wrapped/);
        my $bi = op_ok(get_wrapped($v, $uid, kws($kek)),
                       'a Sensitive key, wrapped');
        my $kv = ttlv_decode(kw_unwrap($kek_bytes,
                                    kmip_value(block_of($bi), 'Key Value'))
                             // '');
        is(length(kmip_value($kv, 'Key Material') // ''), 32,
           'its 32 bytes, wrapped');

        $uid = key($v, attrs => [ BOOL('Extractable', 0) ]);
        op_fail(get_wrapped($v, $uid, kws($kek)), R_NOT_EXTRACTABLE,
                'a key that is not Extractable, even wrapped');
    };

    subtest "Get wrapped: refusals, $v" => sub {
        my $uid = key($v);
        my $v2 = $v =~ $ver2;

        op_fail(get_wrapped($v, $uid, kws('no-such-key')),
                $v2 ? R_WRAPPING_NOT_FOUND : R_ITEM_NOT_FOUND,
                'the wrapping key does not exist', qr/no-such-key/);

        my $enc = key($v, attrs => [ cp('NISTKeyWrap') ]);
        op_fail(get_wrapped($v, $uid, kws($enc)),
                $v2 ? R_INCOMPATIBLE_MASK : R_PERMISSION_DENIED,
                'a wrapping key without Wrap Key', qr/Wrap Key/);

        my $pre = key($v, mask => WRAP_KEY, pre_active => 1,
                      attrs => [ cp('NISTKeyWrap') ]);
        op_fail(get_wrapped($v, $uid, kws($pre)),
                $v2 ? R_WRONG_STATE : R_PERMISSION_DENIED,
                'a Pre-Active wrapping key', qr/Pre-Active/);

        my $bi = op_ok(one($v, 'Register', E('Object Type', 'Secret Data'),
                           $v2 ? attrs2(I('Cryptographic Usage Mask',
                                          WRAP_KEY))
                               : tmpl1(attr($v, I('Cryptographic Usage Mask',
                                                  WRAP_KEY))),
                           S('Secret Data', [
                               E('Secret Data Type', 'Seed'),
                               S('Key Block', [
                                   E('Key Format Type', 'Opaque'),
                                   S('Key Value', [
                                       B('Key Material', "\1" x 32) ]) ]) ])),
                       'Register Secret Data');
        op_fail(get_wrapped($v, $uid, kws(uid_of($bi))),
                $v2 ? R_INVALID_OBJECT_TYPE : R_ILLEGAL_OPERATION,
                'Secret Data as the wrapping key', qr/not a symmetric key/);

        op_fail(get_wrapped($v, $uid, kws($kek, mode => 'CBC')),
                $v2 ? R_BAD_CRYPTO_PARAMS : R_ITEM_NOT_FOUND,
                'parameters the wrapping key does not have', qr/match none/);
        # without Cryptographic Parameters, AES's default: NIST Key Wrap
        # (t/452 unwraps it)
        my $none = key($v, mask => WRAP_KEY);
        is(kmip_value(block_of(op_ok(get_wrapped($v, $uid, kws($none)),
                                     'a wrapping key without Cryptographic '
                                     . 'Parameters')),
                      'Key Wrapping Data', 'Encryption Key Information',
                      'Cryptographic Parameters', 'Block Cipher Mode'),
           kmip_enum('Block Cipher Mode', 'NISTKeyWrap'),
           'wraps with NIST Key Wrap');
        my $cbc = key($v, mask => WRAP_KEY, attrs => [ cp('CBC') ]);
        op_fail(get_wrapped($v, $uid, kws($cbc)),
                $v2 ? R_BAD_CRYPTO_PARAMS : R_FEATURE_NOT_SUPPORTED,
                'a wrapping key for CBC', qr/NIST Key Wrap/);

        op_fail(get_wrapped($v, $uid, kws($kek, method => 'MAC/sign')),
                R_FEATURE_NOT_SUPPORTED, 'Wrapping Method MAC/sign',
                qr/encryption only/);
        op_fail(get_wrapped($v, $uid,
                            S('Key Wrapping Specification', [
                                E('Wrapping Method', 'Encrypt'),
                                S('Encryption Key Information', [
                                    T('Unique Identifier', $kek) ]),
                                S('MAC/Signature Key Information', [
                                    T('Unique Identifier', $kek) ]) ])),
                R_FEATURE_NOT_SUPPORTED, 'MAC/Signature Key Information');
        op_fail(get_wrapped($v, $uid, kws($kek, no_eki => 1)),
                R_INVALID_FIELD, 'no Encryption Key Information');
        op_fail(get_wrapped($v, $kek, kws($kek)), R_PERMISSION_DENIED,
                'a key wrapping itself', qr/itself/);

        $bi = op_ok(one($v, 'Register', E('Object Type', 'Opaque Object'),
                        $v2 ? attrs2() : tmpl1(),
                        S('Opaque Object', [
                            E('Opaque Data Type', 0x80000001),
                            B('Opaque Data Value', 'opaque') ])),
                    'Register an Opaque Object');
        op_fail(get_wrapped($v, uid_of($bi), kws($kek)),
                $v2 ? R_INVALID_OBJECT_TYPE : R_ILLEGAL_OPERATION,
                'an Opaque Object has no Key Block to wrap');

        # a destroyed wrapping key
        my $gone = key($v, mask => WRAP_KEY, pre_active => 1,
                       attrs => [ cp('NISTKeyWrap') ]);
        op_ok(one($v, 'Destroy', ops_uid($gone)), 'Destroy a wrapping key');
        op_fail(get_wrapped($v, $uid, kws($gone)),
                $v2 ? R_WRAPPING_DESTROYED : R_ITEM_NOT_FOUND,
                'a destroyed wrapping key', qr/destroyed/);

    };

    subtest "Export wrapped, $v" => sub {
        my $uid = key($v, attrs => [ BOOL('Sensitive', 1) ]);
        my $bi = one($v, 'Export', ops_uid($uid), kws($kek));
        if ($v !~ $ver2) {
            op_fail($bi, 0x05, 'no Export in 1.x');
            return;
        }
        op_ok($bi, 'Export of a Sensitive key, wrapped');
        my $p = kmip_find($bi, 'Response Payload');
        is_deeply([ map { $_->{name} } @{ $p->{value} } ],
                  [ 'Object Type', 'Unique Identifier', 'Attributes',
                    'Symmetric Key' ], 'the fields of an Export');
        is(kmip_value($p, 'Attributes', 'Sensitive'), 1, 'its attributes');
        my $kb = block_of($bi);
        is(kmip_value($kb, 'Key Wrapping Data', 'Encryption Key Information',
                      'Unique Identifier'), $kek, 'Key Wrapping Data');
        my $kv = ttlv_decode(kw_unwrap($kek_bytes, kmip_value($kb, 'Key Value'))
                             // '');
        is(length(kmip_value($kv, 'Key Material') // ''), 32,
           'the key, unwrapped');
        op_fail(one($v, 'Export', ops_uid($uid)), R_SENSITIVE,
                'and not in the clear');
    };

    subtest "Get wrapped in a batch with Undo, $v" => sub {
        # the Get of the key just made (ID Placeholder), wrapped: both done
        my @bi = undo_batch($v, create_aes($v),
                            { operation => 'Get', payload => [ kws($kek) ] });
        is(kmip_value($bi[0], 'Result Status'), 0, 'Create: Success');
        op_ok($bi[1], 'its Get, wrapped');
        ok(defined kw_unwrap($kek_bytes, kmip_value(block_of($bi[1]),
                                                 'Key Value') // ''),
           'unwraps');

        # a wrap that fails undoes the Create before it
        @bi = undo_batch($v, create_aes($v),
                         { operation => 'Get',
                           payload => [ kws('no-such-key') ] });
        is(kmip_value($bi[0], 'Result Status'), 3,
           'Create: Operation Undone');
        op_fail($bi[1], $v =~ $ver2 ? R_WRAPPING_NOT_FOUND : R_ITEM_NOT_FOUND,
                'Get: the wrapping key does not exist');
    };
}

$n->stop;
$kp->stop;
done_testing();
