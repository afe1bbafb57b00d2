# The attributes a KMIP 1.4 / 2.1 server keeps for its objects beyond the
# core set, and what they imply: Sensitive and Extractable (Get refuses the
# material), Always Sensitive and Never Extractable (their history), Fresh
# (False once a Get served the key, written before the answer), Lease Time,
# Usage Limits (consumed by Encrypt, kept in Key Protect, refused when
# exhausted), Random Number Generator, and the 2.x Short Unique Identifier,
# Key Format Type and Protection Storage Mask; Triple DES keys.

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use Digest::SHA qw(sha256);

my $kp = suite_kp();
my $n = kp_node();
my $port = $n->port;

use KMIP::Reasons;

my $ver2 = qr/^2/;

sub one {
    my ($v, $op, @payload) = @_;
    my ($bi) = op_req($port, $v, { operation => $op, payload => [ @payload ] });
    return $bi;
}

# a standard attribute in the version's form
sub attr {
    my ($v, $item) = @_;
    return $item if $v =~ $ver2;
    return a1($item->{name}, $item);
}

sub get_attrs {
    my ($v, $uid, @names) = @_;
    my @refs = map { $v =~ $ver2 ? E('Attribute Reference', kmip_tag($_))
                                 : T('Attribute Name', $_) } @names;
    my $bi = one($v, 'Get Attributes', ops_uid($uid), @refs);
    op_ok($bi, "$v Get Attributes @names");
    return attrs_of($bi);
}

sub create {
    my ($v, @x) = @_;
    my ($bi) = op_req($port, $v, create_aes($v, 256, map { attr($v, $_) } @x));
    op_ok($bi, "$v Create");
    return uid_of($bi);
}

sub modify {
    my ($v, $uid, $item) = @_;
    return one($v, 'Modify Attribute', ops_uid($uid),
               $v =~ $ver2 ? S('New Attribute', [ $item ]) : attr($v, $item));
}

sub material {
    kmip_value($_[0], 'Response Payload', 'Symmetric Key', 'Key Block',
               'Key Value', 'Key Material');
}

sub ecb { S('Cryptographic Parameters', [ E('Block Cipher Mode', 'ECB') ]) }

# a registered AES-128 key, Active, with the given attributes
sub register {
    my ($v, @x) = @_;
    my @a = (I('Cryptographic Usage Mask', 12),
             DT('Activation Date', time - 3600), @x);
    my $bi = one($v, 'Register', E('Object Type', 'Symmetric Key'),
        $v =~ $ver2 ? attrs2(@a) : tmpl1(map { attr($v, $_) } @a),
        S('Symmetric Key', [ S('Key Block', [
            E('Key Format Type', 'Raw'),
            S('Key Value', [ B('Key Material', "\x2a" x 16) ]),
            E('Cryptographic Algorithm', 'AES'),
            I('Cryptographic Length', 128) ]) ]));
    op_ok($bi, "$v Register");
    return uid_of($bi);
}

sub limits {
    my ($total, $unit) = @_;
    return S('Usage Limits', [ L('Usage Limits Total', $total),
                               E('Usage Limits Unit', $unit) ]);
}

for my $v ('1.4', '2.1') {
    subtest "defaults and what the server sets, $v" => sub {
        my $uid = create($v);
        my @names = ('Sensitive', 'Always Sensitive', 'Extractable',
                     'Never Extractable', 'Fresh', 'Lease Time',
                     'Random Number Generator', 'Last Change Date');
        push @names, 'Short Unique Identifier', 'Key Format Type',
                     'Protection Storage Mask' if $v =~ $ver2;
        my $a = get_attrs($v, $uid, @names);
        is($a->{Sensitive}, 0, 'not Sensitive');
        is($a->{'Always Sensitive'}, 0, 'not Always Sensitive');
        is($a->{Extractable}, 1, 'Extractable');
        is($a->{'Never Extractable'}, 0, 'not Never Extractable');
        is($a->{Fresh}, 1, 'Fresh until served');
        is($a->{'Lease Time'}, 0, 'Lease Time 0: no lease limit');
        # OpenSSL's default private DRBG: CTR-DRBG with AES-256
        is_deeply($a->{'Random Number Generator'},
                  { 'RNG Algorithm' => kmip_enum('RNG Algorithm', 'DRBG'),
                    'Cryptographic Algorithm' => 3,
                    'Cryptographic Length' => 256,
                    'DRBG Algorithm' => kmip_enum('DRBG Algorithm', 'CTR') },
                  'the Random Number Generator OpenSSL reports')
            or diag explain $a->{'Random Number Generator'};
        if ($v =~ $ver2) {
            is($a->{'Short Unique Identifier'}, sha256($uid),
               'Short Unique Identifier: SHA-256 of the Unique Identifier');
            is($a->{'Key Format Type'}, 1, 'Key Format Type Raw');
            is($a->{'Protection Storage Mask'}, 1, 'kept by software');
        }
        my $changed = $a->{'Last Change Date'};

        # Get serves it: Fresh turns False, which is no change a client made
        sleep 1;
        my $bi = op_ok(one($v, 'Get', ops_uid($uid)), 'Get');
        is(length(material($bi)), 32, 'served');
        $a = get_attrs($v, $uid, 'Fresh', 'Last Change Date');
        is($a->{Fresh}, 0, 'not Fresh once served');
        is($a->{'Last Change Date'}, $changed, 'Last Change Date kept');

        # the first Get wrote it; a later one does not write again
        $kp->clear_requests;
        op_ok(one($v, 'Get', ops_uid($uid)), 'second Get');
        is($kp->count(method => 'POST', path => qr{^/api/v2/keys$}), 0,
           'second Get: no new generation');

        # the server's attributes are the server's
        for my $given (BOOL('Always Sensitive', 1), IV('Lease Time', 3600)) {
            my $name = $given->{name};
            my @at = (E('Cryptographic Algorithm', 'AES'), $given);
            op_fail(one($v, 'Create', E('Object Type', 'Symmetric Key'),
                        $v =~ $ver2 ? attrs2(@at)
                                    : tmpl1(map { attr($v, $_) } @at)),
                    R_INVALID_FIELD, "Create with $name");
        }
        for my $name ('Never Extractable', 'Fresh') {
            op_fail(modify($v, $uid, BOOL($name, 1)),
                    $v =~ $ver2 ? R_ATTR_READ_ONLY : R_PERMISSION_DENIED,
                    "Modify of $name");
        }
    };

    subtest "Sensitive and Extractable, $v" => sub {
        my $uid = create($v, BOOL('Sensitive', 1));
        my $a = get_attrs($v, $uid, 'Sensitive', 'Always Sensitive', 'Fresh');
        is($a->{Sensitive}, 1, 'Sensitive as given');
        is($a->{'Always Sensitive'}, 1, 'Always Sensitive');
        op_fail(one($v, 'Get', ops_uid($uid)), R_SENSITIVE,
                'Get of a Sensitive key', qr/Sensitive/);
        is(get_attrs($v, $uid, 'Fresh')->{Fresh}, 1, 'not served: Fresh');
        # before 1.4 the reason does not exist: Permission Denied
        op_fail(one('1.1', 'Get', ops_uid($uid)), R_PERMISSION_DENIED,
                'Get of a Sensitive key at 1.1');
        op_ok(modify($v, $uid, BOOL('Sensitive', 0)), 'Sensitive False');
        $a = get_attrs($v, $uid, 'Sensitive', 'Always Sensitive');
        is($a->{'Always Sensitive'}, 0, 'no longer Always Sensitive');
        op_ok(one($v, 'Get', ops_uid($uid)), 'served once not Sensitive');
        op_ok(modify($v, $uid, BOOL('Sensitive', 1)), 'Sensitive again');
        is(get_attrs($v, $uid, 'Always Sensitive')->{'Always Sensitive'}, 0,
           'Always Sensitive does not come back');

        $uid = create($v, BOOL('Extractable', 0));
        $a = get_attrs($v, $uid, 'Extractable', 'Never Extractable');
        is($a->{Extractable}, 0, 'not Extractable');
        is($a->{'Never Extractable'}, 1, 'Never Extractable');
        op_fail(one($v, 'Get', ops_uid($uid)), R_NOT_EXTRACTABLE,
                'Get of a key that is not Extractable');
        op_ok(modify($v, $uid, BOOL('Extractable', 1)), 'Extractable');
        is(get_attrs($v, $uid, 'Never Extractable')->{'Never Extractable'},
           0, 'no longer Never Extractable');
        op_ok(one($v, 'Get', ops_uid($uid)), 'served once Extractable');

        op_fail(one($v, 'Create', E('Object Type', 'Symmetric Key'),
                    $v =~ $ver2
                    ? attrs2(E('Cryptographic Algorithm', 'AES'),
                             I('Sensitive', 1))
                    : tmpl1(attr($v, E('Cryptographic Algorithm', 'AES')),
                            attr($v, I('Sensitive', 1)))),
                R_INVALID_FIELD, 'Sensitive as an Integer');
    };

    subtest "Usage Limits, $v" => sub {
        my $uid = register($v, limits(32, 'Byte'));
        my $ul = get_attrs($v, $uid, 'Usage Limits')->{'Usage Limits'};
        is_deeply($ul, { 'Usage Limits Total' => 32,
                         'Usage Limits Count' => 32,
                         'Usage Limits Unit' => 1 },
                  'the Count starts at the Total') or diag explain $ul;

        my @enc = (ops_uid($uid), ecb(), B('Data', "\1" x 16));
        my $bi = op_ok(one($v, 'Encrypt', @enc), 'Encrypt 16 bytes');
        my $ct = kmip_value($bi, 'Response Payload', 'Data');
        is(length($ct // ''), 16, 'ciphertext');
        is(get_attrs($v, $uid, 'Usage Limits')->{'Usage Limits'}
               {'Usage Limits Count'}, 16, '16 bytes left, in Key Protect');

        # decryption is not limited (1.4 3.21)
        op_ok(one($v, 'Decrypt', ops_uid($uid), ecb(), B('Data', $ct)),
              'Decrypt');
        op_ok(one($v, 'Encrypt', @enc), 'Encrypt the last 16 bytes');
        op_fail(one($v, 'Encrypt', @enc), R_PERMISSION_DENIED,
                'Encrypt past the limit', qr/Usage Limits/);
        op_fail(one($v, 'Encrypt', ops_uid($uid), ecb(), B('Data', "\1" x 32)),
                R_PERMISSION_DENIED, 'a larger Encrypt past the limit');
        is(get_attrs($v, $uid, 'Usage Limits')->{'Usage Limits'}
               {'Usage Limits Count'}, 0, 'nothing left');

        # once used, the limits stay
        op_fail(modify($v, $uid, limits(1000, 'Byte')),
                $v =~ $ver2 ? R_ATTR_READ_ONLY : R_PERMISSION_DENIED,
                'Modify of used limits');

        # Object: one per Encrypt, whatever its size; a client's Count is
        # ignored
        $uid = register($v, S('Usage Limits', [
            L('Usage Limits Total', 1), L('Usage Limits Count', 99),
            E('Usage Limits Unit', 'Object') ]));
        is(get_attrs($v, $uid, 'Usage Limits')->{'Usage Limits'}
               {'Usage Limits Count'}, 1, 'the client\'s Count ignored');
        op_ok(one($v, 'Encrypt', ops_uid($uid), ecb(),
                  B('Data', "\1" x 64)), 'Encrypt one object');
        op_fail(one($v, 'Encrypt', ops_uid($uid), ecb(), B('Data', "\1" x 16)),
                R_PERMISSION_DENIED, 'a second object');

        # a key without limits: Encrypt writes nothing
        $uid = register($v);
        $kp->clear_requests;
        op_ok(one($v, 'Encrypt', ops_uid($uid), ecb(), B('Data', "\1" x 16)),
              'Encrypt without limits');
        is($kp->count(method => 'POST', path => qr{^/api/v2/keys$}), 0,
           'no write without limits');

        # limits given later, changed before use
        op_ok(one($v, 'Add Attribute', ops_uid($uid),
                  $v =~ $ver2 ? S('New Attribute', [ limits(48, 'Byte') ])
                              : attr($v, limits(48, 'Byte'))),
              'Add Usage Limits');
        # a Total of its own, for the Locate below
        my $big = $v =~ $ver2 ? 96 : 64;
        op_ok(modify($v, $uid, limits($big, 'Byte')), 'Modify before use');
        is(get_attrs($v, $uid, 'Usage Limits')->{'Usage Limits'}
               {'Usage Limits Count'}, $big, 'Count follows the new Total');
        op_fail(one($v, 'Add Attribute', ops_uid($uid),
                    $v =~ $ver2 ? S('New Attribute', [ limits(8, 'Byte') ])
                                : attr($v, limits(8, 'Byte'))),
                $v =~ $ver2 ? 0x23 : 0x0b, 'a second Usage Limits');

        # Locate: a Count at least the one asked for
        my @f = (E('Object Type', 'Symmetric Key'),
                 S('Usage Limits', [ L('Usage Limits Count', $big) ]));
        $bi = op_ok(one($v, 'Locate',
                        $v =~ $ver2 ? attrs2(@f) : map { attr($v, $_) } @f),
                    'Locate by Usage Limits');
        my @hits = map { $_->{value} }
                   kmip_find_all($bi, 'Response Payload', 'Unique Identifier');
        ok((grep { $_ eq $uid } @hits), "the key with $big left");
        is(scalar @hits, 1, 'and no key with less') or diag explain \@hits;
    };

    subtest "Fresh objects, $v" => sub {
        # a client registering a key may say it is not fresh
        my $uid = register($v, BOOL('Fresh', 0));
        is(get_attrs($v, $uid, 'Fresh')->{Fresh}, 0, 'registered not Fresh');
        $kp->clear_requests;
        op_ok(one($v, 'Get', ops_uid($uid)), 'Get');
        # a listing (the record of the key read just before kept), the
        # unwrap (docs/key-protect.md#the-record-of-a-key)
        is($kp->count, 2, 'no write: 2 Key Protect calls');

        # Locate of the fresh members of a group (1.4 4.9)
        my $group = "fresh-$v-" . int(rand(1e9));
        my $u1 = create($v, T('Object Group', $group));
        my $u2 = create($v, T('Object Group', $group));
        op_ok(one($v, 'Get', ops_uid($u1)), 'serve the first');
        my $bi = op_ok(one($v, 'Locate',
                           $v =~ $ver2 ? attrs2(T('Object Group', $group))
                                       : attr($v, T('Object Group', $group)),
                           E('Object Group Member', 'Group Member Fresh')),
                       'Locate the fresh members');
        is_deeply([ map { $_->{value} } kmip_find_all($bi, 'Response Payload',
                                                      'Unique Identifier') ],
                  [ $u2 ], 'only the one not served');
    };

    subtest "Random Number Generator, $v" => sub {
        my $rng = sub {
            S('Random Number Generator', [ E('RNG Algorithm', $_[0]) ]);
        };
        op_fail(one($v, 'Create', E('Object Type', 'Symmetric Key'),
                    $v =~ $ver2
                    ? attrs2(E('Cryptographic Algorithm', 'AES'),
                             $rng->('ANSI X9.31'))
                    : tmpl1(attr($v, E('Cryptographic Algorithm', 'AES')),
                            attr($v, $rng->('ANSI X9.31')))),
                R_INVALID_FIELD, 'Create asking for another generator');
        my $uid = create($v, $rng->('DRBG'));
        is(get_attrs($v, $uid, 'Random Number Generator')
               ->{'Random Number Generator'}{'DRBG Algorithm'},
           kmip_enum('DRBG Algorithm', 'CTR'), 'the server\'s, asked for');

        # a registered key has the client's, or none
        $uid = register($v);
        ok(!exists get_attrs($v, $uid, 'Random Number Generator')
                       ->{'Random Number Generator'},
           'none claimed for a registered key');
        $uid = register($v, $rng->('NRBG'));
        is(get_attrs($v, $uid, 'Random Number Generator')
               ->{'Random Number Generator'}{'RNG Algorithm'},
           kmip_enum('RNG Algorithm', 'NRBG'), 'the client\'s kept');
    };

    subtest "an Opaque Object, $v" => sub {
        my $bi = op_ok(one($v, 'Register', E('Object Type', 'Opaque Object'),
            $v =~ $ver2 ? attrs2() : tmpl1(),
            S('Opaque Object', [ E('Opaque Data Type', 0x80000001),
                                 B('Opaque Data Value', "opaque") ])),
            'Register');
        my $uid = uid_of($bi);
        my $a = get_attrs($v, $uid, 'Fresh', 'Lease Time', 'Sensitive',
                          $v =~ $ver2 ? 'Key Format Type' : ());
        ok(!exists $a->{Fresh} && !exists $a->{'Lease Time'},
           'no Fresh, no Lease Time: not a cryptographic object');
        is($a->{Sensitive}, 0, 'Sensitive: every object');
        is($a->{'Key Format Type'}, 2, 'Key Format Type Opaque')
            if $v =~ $ver2;
        $kp->clear_requests;
        op_ok(one($v, 'Get', ops_uid($uid)), 'Get');
        is($kp->count, 2, 'no Fresh to write: a listing, the unwrap');
    };

    subtest "Triple DES, $v" => sub {
        for my $t ([168, 24], [192, 24], [112, 16], [128, 16]) {
            my ($len, $bytes) = @$t;
            my @a = (E('Cryptographic Algorithm', '3DES'),
                     I('Cryptographic Length', $len),
                     I('Cryptographic Usage Mask', 12));
            my $bi = op_ok(one($v, 'Create', E('Object Type', 'Symmetric Key'),
                $v =~ $ver2 ? attrs2(@a) : tmpl1(map { attr($v, $_) } @a)),
                "Create 3DES-$len");
            my $uid = uid_of($bi);
            $bi = op_ok(one($v, 'Get', ops_uid($uid)), "Get 3DES-$len");
            my $k = material($bi);
            is(length($k), $bytes, "$bytes bytes");
            is(kmip_value($bi, 'Response Payload', 'Symmetric Key',
                          'Key Block', 'Cryptographic Length'), $len,
               'the length as asked');
            # FIPS 46-3: every byte has odd parity
            is(scalar(grep { unpack('%32b*', chr $_) % 2 == 0 }
                      unpack 'C*', $k), 0, 'odd parity in every byte');
            isnt(substr($k, 0, 8), substr($k, 8, 8), 'two different keys');
        }
        my @a = (E('Cryptographic Algorithm', '3DES'),
                 I('Cryptographic Length', 100));
        op_fail(one($v, 'Create', E('Object Type', 'Symmetric Key'),
                    $v =~ $ver2 ? attrs2(@a) : tmpl1(map { attr($v, $_) } @a)),
                R_INVALID_FIELD, 'a 100-bit 3DES key', qr/Triple DES/);

        my $key = pack 'H*', '0123456789abcdeffedcba987654321089abcdef01234567';
        my $bi = op_ok(one($v, 'Register', E('Object Type', 'Symmetric Key'),
            $v =~ $ver2 ? attrs2(I('Cryptographic Usage Mask', 12))
                        : tmpl1(attr($v, I('Cryptographic Usage Mask', 12))),
            S('Symmetric Key', [ S('Key Block', [
                E('Key Format Type', 'Raw'),
                S('Key Value', [ B('Key Material', $key) ]),
                E('Cryptographic Algorithm', '3DES'),
                I('Cryptographic Length', 168) ]) ])), 'Register 3DES-168');
        $bi = op_ok(one($v, 'Get', ops_uid(uid_of($bi))), 'Get it');
        is(material($bi), $key, 'the same bytes');
        is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                      'Cryptographic Length'), 168, 'length 168');
    };
}

subtest '2.1: Quantum Safe, Protection Level and Period' => sub {
    my @want = (E('Protection Level', 'High'),
                IV('Protection Period', 409968000),
                BOOL('Quantum Safe', 1));
    # a 128-bit key keeps 64 bits against a quantum search: refused
    my ($bi) = op_req($port, '2.1', create_aes('2.1', 128, @want));
    op_fail($bi, 0x100, 'AES-128 asked to be Quantum Safe', qr/NOT_SAFE/);
    ok(!defined uid_of($bi), 'no object');
    # a 256-bit key is: created, the attributes kept
    my $uid = create('2.1', @want);
    my $a = get_attrs('2.1', $uid, 'Protection Level', 'Protection Period',
                      'Quantum Safe');
    is($a->{'Protection Level'}, 1, 'Protection Level High');
    is($a->{'Protection Period'}, 409968000, 'Protection Period');
    is($a->{'Quantum Safe'}, 1, 'Quantum Safe');
    # they are 2.1 attributes
    ($bi) = op_req($port, '2.0', create_aes('2.0', 256,
                                           BOOL('Quantum Safe', 1)));
    is(kmip_value($bi, 'Result Status'), 1, '2.0: Quantum Safe refused');
};

subtest 'vCenter at 1.1 sees the 1.0 attributes only' => sub {
    my $uid = create('1.4', BOOL('Sensitive', 0));
    my $a = get_attrs('1.1', $uid);
    is($a->{Fresh}, 1, 'Fresh');
    is($a->{'Lease Time'}, 0, 'Lease Time');
    ok(!grep({ /Sensitive|Extractable|Random Number|Original Creation/ }
             keys %$a), 'no attribute newer than 1.1')
        or diag explain [ sort keys %$a ];
    op_ok(one('1.1', 'Get', ops_uid($uid)), 'Get at 1.1');
    is(get_attrs('1.1', $uid, 'Fresh')->{Fresh}, 0, 'served');

    # a whole 1.4 answer leaves out what PyKMIP cannot read, a list names it
    $a = get_attrs('1.4', $uid);
    ok(exists $a->{Sensitive} && !exists $a->{'Always Sensitive'},
       '1.4 all: Sensitive, not Always Sensitive');
    my $bi = op_ok(one('1.4', 'Get Attribute List', ops_uid($uid)), 'list');
    my %l = map { $_->{value} => 1 }
            kmip_find_all($bi, 'Response Payload', 'Attribute Name');
    ok($l{$_}, "listed: $_") for 'Always Sensitive', 'Never Extractable',
        'Random Number Generator', 'Original Creation Date', 'Lease Time';
};

unlike($n->error_log_text, qr/\[(?:alert|emerg|crit)\]/, 'no alert');

done_testing();
