# MAC, MAC Verify, Hash and Derive Key (KMIP 1.4 4.33, 4.34, 4.37, 4.6;
# 2.1 6.1.32, 6.1.33, 6.1.24, 6.1.14) through a node and Key Protect: the
# MAC of a registered key against RFC 4231, its verification, the refusal
# of a key whose mask does not allow it, a digest, and keys derived into
# Key Protect and read back (RFC 6070 PBKDF2, RFC 5869 HKDF) with the
# links between them and their base; Query announces the operations of
# each version.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use KMIP::Reasons;

my $n = kp_node();
my $port = $n->port;

use constant { MAC_GENERATE => 0x80, MAC_VERIFY => 0x100,
               DERIVE_KEY => 0x200 };

my $ver2 = qr/^2/;

sub mask_attrs {
    my ($v, $mask, $active) = @_;
    my @a = (I('Cryptographic Usage Mask', $mask));
    push @a, DT('Activation Date', time - 3600) if $active;
    return $v =~ $ver2 ? attrs2(@a) : tmpl1(map { a1($_->{name}, $_) } @a);
}

sub register_hmac {
    my ($v, $mask) = @_;
    my $bi = op_one($port, $v, 'Register', E('Object Type', 'Symmetric Key'),
                    mask_attrs($v, $mask, 1), raw_key('HMAC_SHA256', 'Jefe'));
    op_ok($bi, "$v Register an HMAC-SHA256 key");
    return uid_of($bi);
}

sub register_secret {
    my ($v, $secret) = @_;
    my $bi = op_one($port, $v, 'Register', E('Object Type', 'Secret Data'),
        mask_attrs($v, DERIVE_KEY, 0),
        S('Secret Data', [ E('Secret Data Type', 'Password'),
            S('Key Block', [ E('Key Format Type', 'Raw'),
                S('Key Value', [ B('Key Material', $secret) ]) ]) ]));
    op_ok($bi, "$v Register a password");
    return uid_of($bi);
}

sub material_of {
    my ($v, $type, $uid) = @_;
    my $bi = op_one($port, $v, 'Get', ops_uid($uid));
    op_ok($bi, "$v Get the derived object");
    return unpack 'H*', kmip_value($bi, 'Response Payload', $type,
                                   'Key Block', 'Key Value',
                                   'Key Material') // '';
}

sub derive {
    my ($v, $type, $base, $method, $params, @attrs) = @_;
    return op_one($port, $v, 'Derive Key', E('Object Type', $type),
                  ops_uid($base), E('Derivation Method', $method),
                  S('Derivation Parameters', $params),
                  $v =~ $ver2 ? attrs2(@attrs)
                              : tmpl1(map { a1($_->{name}, $_) } @attrs));
}

my $data = 'what do ya want for nothing?';
my $rfc4231 = '5bdcc146bf60754e6a042426089575c7'
            . '5a003f089d2739839dec58b964ec3843';

for my $v ('1.4', '2.1') {
    subtest "MAC and MAC Verify in $v" => sub {
        my $uid = register_hmac($v, MAC_GENERATE | MAC_VERIFY);

        my $bi = op_ok(op_one($port, $v, 'MAC', ops_uid($uid),
                              B('Data', $data)), 'MAC');
        is(unpack('H*', kmip_value($bi, 'Response Payload', 'MAC Data')),
           $rfc4231, 'HMAC-SHA256 of RFC 4231 case 2');
        is(kmip_value($bi, 'Response Payload', 'Unique Identifier'), $uid,
           'the key named');

        $bi = op_ok(op_one($port, $v, 'MAC Verify', ops_uid($uid),
                           B('Data', $data), B('MAC Data', pack 'H*',
                                                $rfc4231)), 'MAC Verify');
        is(kmip_enum_name('Validity Indicator',
                          kmip_value($bi, 'Response Payload',
                                     'Validity Indicator')),
           'VALID', 'the MAC is Valid');

        $bi = op_ok(op_one($port, $v, 'MAC Verify', ops_uid($uid),
                           B('Data', "$data!"), B('MAC Data', pack 'H*',
                                                   $rfc4231)),
                    'MAC Verify of other data');
        is(kmip_enum_name('Validity Indicator',
                          kmip_value($bi, 'Response Payload',
                                     'Validity Indicator')),
           'INVALID', 'the MAC is Invalid');

        my $verify_only = register_hmac($v, MAC_VERIFY);
        op_fail(op_one($port, $v, 'MAC', ops_uid($verify_only),
                       B('Data', $data)),
                $v =~ $ver2 ? R_INCOMPATIBLE_MASK
                            : R_PERMISSION_DENIED,
                'MAC with a verify-only key', qr/does not allow MAC/);
    };

    subtest "Hash in $v" => sub {
        my $bi = op_ok(op_one($port, $v, 'Hash',
            S('Cryptographic Parameters', [ E('Hashing Algorithm',
                                              'SHA_256') ]),
            B('Data', pack 'H*', '01020304050607080910111213141516')),
            'Hash');
        is(unpack('H*', kmip_value($bi, 'Response Payload', 'Data')),
           'ad41233d22cf9322e3a7ff49a13da434797abed3bab80950a1a0d4e582b7ea72',
           'SHA-256: the OASIS CS-AC-M-7 answer');
    };

    subtest "Derive Key in $v" => sub {
        my $pw = register_secret($v, 'password');

        my $bi = op_ok(derive($v, 'Symmetric Key', $pw, 'PBKDF2', [
                S('Cryptographic Parameters', [ E('Hashing Algorithm',
                                                  'SHA_1') ]),
                B('Salt', 'salt'), I('Iteration Count', 4096) ],
            E('Cryptographic Algorithm', 'AES'),
            I('Cryptographic Length', 160)), 'Derive Key with PBKDF2');
        my $key = uid_of($bi);
        isnt($key, $pw, 'a new object');
        is(material_of($v, 'Symmetric Key', $key),
           '4b007901b765489abead49d926f721d065a429c1',
           'RFC 6070 PBKDF2-HMAC-SHA1, 4096 iterations, through Key Protect');

        my $a = op_get_attrs($port, $v, $key, 'Cryptographic Length',
                             'Cryptographic Algorithm', 'Link', 'State');
        is($a->{'Cryptographic Length'}, 160, 'its length');
        is(kmip_enum_name('Cryptographic Algorithm',
                          $a->{'Cryptographic Algorithm'}), 'AES',
           'its algorithm');
        is_deeply(links_of($a), [ "DERIVATION_BASE_OBJECT_LINK $pw" ],
                  'linked to its base');
        is_deeply(links_of(op_get_attrs($port, $v, $pw, 'Link')),
                  [ "DERIVED_KEY_LINK $key" ], 'and its base to it');

        my $ikm = register_secret($v, "\x0b" x 22);
        $bi = op_ok(derive($v, 'Secret Data', $ikm, 'HMAC', [
                S('Cryptographic Parameters', [ E('Hashing Algorithm',
                                                  'SHA_256') ]),
                B('Derivation Data', pack 'H*', 'f0f1f2f3f4f5f6f7f8f9'),
                B('Salt', pack 'H*', '000102030405060708090a0b0c') ],
            I('Cryptographic Length', 336)), 'Derive Key with HMAC');
        is(material_of($v, 'Secret Data', uid_of($bi)),
           '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf'
           . '34007208d5b887185865', 'RFC 5869 case 1 as Secret Data');

        my $hmac = register_hmac($v, MAC_GENERATE);
        op_fail(derive($v, 'Secret Data', $hmac, 'HASH', [
                S('Cryptographic Parameters', [ E('Hashing Algorithm',
                                                  'SHA_256') ]) ],
                I('Cryptographic Length', 256)),
                $v =~ $ver2 ? R_INCOMPATIBLE_MASK
                            : R_PERMISSION_DENIED,
                'Derive Key from a key without Derive Key in its mask',
                qr/does not allow Derive Key/);
    };
}

# the operations each version defines, and only those

for my $case ([ '1.1', [ 'DERIVE_KEY' ], [ 'MAC', 'MAC_VERIFY', 'HASH' ] ],
              [ '1.4', [ 'DERIVE_KEY', 'MAC', 'MAC_VERIFY', 'HASH' ], [] ],
              [ '2.1', [ 'DERIVE_KEY', 'MAC', 'MAC_VERIFY', 'HASH' ], [] ])
{
    my ($v, $in, $out) = @$case;
    my $bi = op_ok(op_one($port, $v, 'Query', E('Query Function', 1)),
                   "$v Query Operations");
    my %ops = map { kmip_enum_name('Operation', $_->{value}) => 1 }
              kmip_find_all($bi, 'Response Payload', 'Operation');
    ok($ops{$_}, "$v announces $_") for @$in;
    ok(!$ops{$_}, "$v does not announce $_") for @$out;
}

# Query Objects: every managed object type the store keeps
{
    my $bi = op_ok(op_one($port, '1.4', 'Query', E('Query Function', 2)),
                   '1.4 Query Objects');
    is(join(',', map { kmip_enum_name('Object Type', $_->{value}) }
                 kmip_find_all($bi, 'Response Payload', 'Object Type')),
       'CERTIFICATE,SYMMETRIC_KEY,PUBLIC_KEY,PRIVATE_KEY,SPLIT_KEY,'
       . 'TEMPLATE,SECRET_DATA,OPAQUE_OBJECT,PGP_KEY',
       'Query Objects lists the nine types kept in 1.4, in the spec\'s order');
}

unlike($n->error_log_text, qr/\[(?:alert|crit|emerg)\]/,
       'no alert in the error log');
unlike($n->error_log_text, qr/4b007901b765|5bdcc146bf60/i,
       'no key material in the error log');

done_testing();
