# Every KMIP product in the data centre, beyond vCenter (t/40x):
# each product's sequence replayed in the shape it sends, reconstructed from
# the products' public descriptions and the specification: its protocol
# version in the header and the attribute forms of that version, its field
# order, a new TLS connection per operation (KMIP::Products::prod_op), and
# Maximum Response Size in the header where the product sends it.  Each
# answer is checked as the product reads it, and held to what a client of
# its version can read (Test::VCenter::check_kmip11).  docs/products.md is
# the table of these products and what each needs.
#
#   Synology DSM 7 (1.2): a volume's password as Secret Data, renamed to
#     the volume UUID (Modify Attribute echoes the Name, 1.2 4.14);
#   KMIP 1.0-1.2 clients: Operation Policy Name on Create, Register, Add
#     Attribute, read back (1.2 3.18);
#   a 1.0 client never reads an attribute 1.0 does not define (Fresh);
#   VAST Data (1.4): a master key, data keys served wrapped by it with no
#     Cryptographic Parameters (RFC 3394, unwrapped here by
#     python3-cryptography), Re-key moving the Name and keeping the
#     Operation Policy Name (1.4 4.4), Revoke, Check;
#   Percona Server, pg_tde, MySQL (libkmip): Register, Locate, Get at 1.0
#     with Maximum Response Size and a Key Compression Type; MySQL's Create
#     at 1.1 with Attribute Index and Maximum Response Size 280000;
#   MongoDB (libmongocrypt): a 96-byte Seed as Secret Data at 1.0, and the
#     delegated mode's Encrypt / Decrypt at 1.2 (AES-256-CBC, PKCS5);
#   Veeam Backup & Replication (1.4): an RSA-2048 key pair, each half read
#     back with a Key Value of Key Material only (Veeam's decoder fails on
#     Key Value attributes).

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Ops;
use KMIP::Products;
use Digest::SHA qw(sha512_hex);


my $n = kp_node();
my $port = $n->port;

# one operation of a product: prod_op / prod_ok on this suite's node
sub op  { prod_op($port, @_) }
sub ok_ { prod_ok($port, @_) }

sub state_name {
    my ($a) = @_;
    return kmip_enum_name('State', $a->{State} // -1) // 'none';
}

# a Get of a Symmetric Key or Secret Data: the Key Material inside a Key
# Value, as every product reads it
sub material {
    my ($bi, $type, $what) = @_;
    my $kv = kmip_find($bi, 'Response Payload', $type, 'Key Block',
                       'Key Value');
    is($kv && $kv->{type}, 0x01, "$what: a Key Value structure");
    my $m = kmip_value($kv, 'Key Material');
    ok(defined $m && !ref $m, "$what: Key Material inside the Key Value");
    return $m // '';
}

# Operation Policy Name (1.x 3.18) in the 1.x form: an Attribute whose
# value is the text (built without the attribute's own tag, which the
# module's tag table may not hold)
sub opn { S('Attribute', [ T('Attribute Name', 'Operation Policy Name'),
                           T('Attribute Value', $_[0]) ]) }

sub uuid {
    return join '-', map { unpack 'H*', pack 'C*', map { int rand 256 } 1 .. $_ }
           4, 2, 2, 2, 6;
}

# ------------------------------------------------------------ Synology DSM 7

subtest 'Synology DSM 7: a volume password, renamed to the volume UUID, 1.2'
=> sub {
    my $v = '1.2';
    my $vol = uuid();
    my $q = ok_($v, 'Query', 'Query',
                [ E('Query Function', 'Query Operations'),
                  E('Query Function', 'Query Objects') ]);
    my %ops = map { kmip_enum_name('Operation', $_->{value}) => 1 }
              kmip_find_all($q, 'Response Payload', 'Operation');
    ok($ops{$_}, "Query lists $_") for qw(REGISTER LOCATE MODIFY_ATTRIBUTE
        ACTIVATE GET_ATTRIBUTE_LIST GET_ATTRIBUTES GET);
    ok(grep({ kmip_enum_name('Object Type', $_->{value}) eq 'SECRET_DATA' }
            kmip_find_all($q, 'Response Payload', 'Object Type')),
       'Query lists Secret Data');

    my $bi = ok_($v, 'Locate by the volume name', 'Locate',
                 [ name_attr($vol) ]);
    is_deeply(uids_of($bi), [], 'no key for the volume yet');

    my $password = join '', map { chr(33 + int rand 94) } 1 .. 32;
    my $tmp_name = sha512_hex($password . $vol);
    $bi = ok_($v, 'Register the password', 'Register', [
        E('Object Type', 'Secret Data'),
        tmpl1(a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask',
                                               'Verify')),
              opn('default'),
              name_attr($tmp_name)),
        S('Secret Data', [
            E('Secret Data Type', 'Password'),
            S('Key Block', [ E('Key Format Type', 'Opaque'),
                             S('Key Value', [ B('Key Material',
                                                $password) ]) ]) ]) ]);
    my $uid = uid_of($bi);
    ok($uid, "Register: $uid") or return;

    $bi = ok_($v, 'Modify Attribute Name', 'Modify Attribute',
              [ ops_uid($uid), name_attr($vol) ]);
    is(uid_of($bi), $uid, 'Modify Attribute: the uid');
    is(kmip_value($bi, 'Response Payload', 'Attribute', 'Attribute Name'),
       'Name', 'Modify Attribute echoes the Attribute modified');
    is(name_of($bi), $vol, 'Modify Attribute echoes the new Name');

    $bi = ok_($v, 'Locate by the new name', 'Locate', [ name_attr($vol) ]);
    is_deeply(uids_of($bi), [ $uid ], 'Locate finds exactly that object');
    $bi = ok_($v, 'Locate by the old name', 'Locate',
              [ name_attr($tmp_name) ]);
    is_deeply(uids_of($bi), [], 'the old name is gone');

    is(uid_of(ok_($v, 'Activate', 'Activate', [ ops_uid($uid) ])), $uid,
       'Activate: the uid');

    $bi = ok_($v, 'Get Attribute List', 'Get Attribute List',
              [ ops_uid($uid) ]);
    my %names = map { $_ => 1 } attr_names($bi);
    ok($names{$_}, "Get Attribute List names $_")
        for ('Name', 'State', 'Object Type', 'Cryptographic Usage Mask',
             'Operation Policy Name');

    $bi = ok_($v, 'Get Attributes', 'Get Attributes', [ ops_uid($uid) ]);
    my $a = attrs_of($bi);
    is($a->{Name} && $a->{Name}{'Name Value'}, $vol, 'Name: the volume');
    is(state_name($a), 'ACTIVE', 'State Active');
    is($a->{'Object Type'}, kmip_enum('Object Type', 'Secret Data'),
       'Object Type Secret Data');
    is($a->{'Cryptographic Usage Mask'}, 2, 'Cryptographic Usage Mask Verify');
    is($a->{'Operation Policy Name'}, 'default', 'Operation Policy Name');

    $bi = ok_($v, 'Get', 'Get', [ ops_uid($uid) ]);
    is(kmip_value($bi, 'Response Payload', 'Object Type'),
       kmip_enum('Object Type', 'Secret Data'), 'Get: Secret Data');
    is(kmip_value($bi, 'Response Payload', 'Secret Data', 'Secret Data Type'),
       kmip_enum('Secret Data Type', 'Password'), 'Get: a Password');
    is(material($bi, 'Secret Data', 'Get'), $password, 'Get: the password');
};

# -------------------------------------------- Operation Policy Name, 1.0-1.2

for my $v ('1.0', '1.1', '1.2') {
    subtest "KMIP $v clients: Operation Policy Name in Create, Register, "
            . 'Add Attribute' => sub {
        my $opn = opn('default');
        my $c = uid_of(ok_($v, 'Create with Operation Policy Name', 'Create',
                           create_aes($v, 256, $opn)->{payload}));
        my $r = uid_of(ok_($v, 'Register with Operation Policy Name',
                           'Register',
                           register_aes($v, "\x11" x 16, $opn)->{payload}));
        my $a = uid_of(ok_($v, 'Create without', 'Create',
                           create_aes($v, 128)->{payload}));
        my $bi = ok_($v, 'Add Attribute Operation Policy Name',
                     'Add Attribute', [ ops_uid($a), $opn ]);
        is(kmip_value($bi, 'Response Payload', 'Attribute',
                      'Attribute Value'), 'default',
           'Add Attribute echoes the value');
        for my $uid (grep { defined } $c, $r, $a) {
            $bi = ok_($v, 'Get Attributes Operation Policy Name',
                      'Get Attributes',
                      [ ops_uid($uid), T('Attribute Name',
                                         'Operation Policy Name') ]);
            is(attrs_of($bi)->{'Operation Policy Name'}, 'default',
               "$uid: read back");
        }
    };
}

# ---------------------------------------------------------- version gating

subtest 'KMIP 1.0 client: no attribute that 1.0 does not define' => sub {
    my $v = '1.0';
    my $uid = uid_of(ok_($v, 'Create', 'Create',
                         create_aes($v, 256)->{payload}));
    ok_($v, 'Get', 'Get', [ ops_uid($uid) ]);
    for my $op ('Get Attribute List', 'Get Attributes') {
        my @names = attr_names(ok_($v, $op, $op, [ ops_uid($uid) ]));
        ok(grep({ $_ eq 'State' } @names), "$op: State named");
        is(join(', ', grep { !$KMIP10_ATTRS{$_} && !/^[xy]-/ } @names), '',
           "$op: only KMIP 1.0 attributes (no Fresh)");
    }
    my $bi = op($v, 'Get Attributes Fresh', 'Get Attributes',
                [ ops_uid($uid), T('Attribute Name', 'Fresh') ]);
    ok(!grep({ $_ eq 'Fresh' } attr_names($bi)),
       'Get Attributes "Fresh" at 1.0: not answered');
};

# --------------------------------------------------------------- VAST Data

# VAST's master key: AES-256, encrypt, decrypt, wrap and unwrap, Active
sub vast_master {
    my ($v, @extra) = @_;
    my $uid = uid_of(ok_($v, 'VAST Create', 'Create', [
        E('Object Type', 'Symmetric Key'),
        tmpl1(a1('Cryptographic Algorithm', E('Cryptographic Algorithm',
                                              'AES')),
              a1('Cryptographic Length', I('Cryptographic Length', 256)),
              a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask',
                  'Encrypt|Decrypt|Wrap Key|Unwrap Key')),
              @extra) ]));
    ok_($v, 'VAST Activate', 'Activate', [ ops_uid($uid) ]) if $uid;
    return $uid;
}

subtest 'VAST Data: Create, Activate, Check an AES-256 key, 1.4' => sub {
    my $v = '1.4';
    my $uid = vast_master($v) or return;
    my $a = attrs_of(ok_($v, 'Get Attributes State', 'Get Attributes',
                         [ ops_uid($uid), T('Attribute Name', 'State') ]));
    is(state_name($a), 'ACTIVE', 'Active');
    my $bi = ok_($v, 'Check', 'Check', [ ops_uid($uid) ]);
    is(uid_of($bi), $uid, 'Check: the uid');
};

subtest 'VAST Data: a data key got wrapped by the master key, no '
        . 'Cryptographic Parameters (RFC 3394), 1.4' => sub {
    my $v = '1.4';
    my $kek = vast_master($v) or return;
    my $kek_bytes = material(ok_($v, 'Get the master key', 'Get',
                                 [ ops_uid($kek) ]), 'Symmetric Key',
                             'master key');
    my $dk = uid_of(ok_($v, 'Create a data key', 'Create',
                        create_aes($v, 256)->{payload})) or return;
    my $clear = material(ok_($v, 'Get the data key in the clear', 'Get',
                             [ ops_uid($dk) ]), 'Symmetric Key', 'data key');
    my $bi = ok_($v, 'Get wrapped', 'Get', [ ops_uid($dk),
        S('Key Wrapping Specification', [
            E('Wrapping Method', 'Encrypt'),
            S('Encryption Key Information', [ ops_uid($kek) ]) ]) ]);
    my $kb = kmip_find($bi, 'Response Payload', 'Symmetric Key', 'Key Block');
    my $kwd = kmip_find($kb, 'Key Wrapping Data');
    is(kmip_value($kwd, 'Wrapping Method'), 1, 'Wrapping Method Encrypt');
    is(kmip_value($kwd, 'Encryption Key Information', 'Unique Identifier'),
       $kek, 'wrapped by the master key');
    my $w = kmip_find($kb, 'Key Value');
    is($w && $w->{type}, 0x08, 'the Key Value is a Byte String');
    my $plain = aes_key_unwrap($kek_bytes, $w ? $w->{value} : '');
    ok(defined $plain, 'AES Key Wrap (RFC 3394) unwraps it');
    my $kv = eval { ttlv_decode($plain // '') };
    is(kmip_value($kv, 'Key Material'), $clear,
       'the TTLV Key Value (the default encoding) holds the data key');
};

subtest 'VAST Data: Operation Policy Name added, Re-key, Locate by Name, '
        . 'Revoke, Check, 1.4' => sub {
    my $v = '1.4';
    my $name = 'vast-master-' . uuid();
    my $old = vast_master($v, name_attr($name)) or return;
    ok_($v, 'Add Attribute Operation Policy Name', 'Add Attribute',
        [ ops_uid($old), opn('default') ]);
    my $bi = ok_($v, 'Re-key', 'Re-key', [ ops_uid($old) ]);
    my $new = uid_of($bi);
    ok($new && $new ne $old, 'Re-key: a new key') or return;

    my $a = attrs_of(ok_($v, 'Get Attributes of the replacement',
                         'Get Attributes', [ ops_uid($new) ]));
    is($a->{Name} && $a->{Name}{'Name Value'}, $name,
       'the replacement has the Name');
    is($a->{'Operation Policy Name'}, 'default',
       'the Operation Policy Name survived the Re-key');
    is($a->{'Cryptographic Length'}, 256, 'AES-256');
    # Link is named: a whole Get Attributes answer leaves it out (t/309)
    $a = attrs_of(ok_($v, 'Get Attributes of the old key',
                      'Get Attributes', [ ops_uid($old),
                                          T('Attribute Name', 'Name'),
                                          T('Attribute Name', 'Link') ]));
    ok(!$a->{Name}, 'the old key has no Name any more');
    is_deeply($a->{Link}, { 'Link Type' => kmip_enum('Link Type',
                                                     'Replacement Object Link'),
                            'Linked Object Identifier' => $new },
              'the old key links to its replacement');

    $bi = ok_($v, 'Locate by Name', 'Locate', [ name_attr($name) ]);
    is_deeply(uids_of($bi), [ $new ], 'Locate finds the replacement only');

    ok_($v, 'Revoke the old key', 'Revoke', [ ops_uid($old),
        S('Revocation Reason', [ E('Revocation Reason Code',
                                   'Superseded') ]) ]);
    $a = attrs_of(ok_($v, 'Get Attributes State', 'Get Attributes',
                      [ ops_uid($old), T('Attribute Name', 'State') ]));
    is(state_name($a), 'DEACTIVATED', 'the old key Deactivated');
    is(uid_of(ok_($v, 'Check the replacement', 'Check', [ ops_uid($new) ])),
       $new, 'Check: the replacement');
};

# ----------------------------------------- Percona Server, pg_tde, MySQL

subtest 'Percona Server / pg_tde (libkmip): Register, Locate, Get at 1.0 '
        . 'with Maximum Response Size' => sub {
    my $v = '1.0';
    my %hdr = (max_response_size => 8192);
    my $name = 'pg_tde_' . uuid();
    my $key = join '', map { chr int rand 256 } 1 .. 16;
    my $uid = uid_of(ok_($v, 'Register AES-128', 'Register', [
        E('Object Type', 'Symmetric Key'),
        tmpl1(name_attr($name),
              a1('Cryptographic Algorithm', E('Cryptographic Algorithm',
                                              'AES')),
              a1('Cryptographic Length', I('Cryptographic Length', 128)),
              a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask',
                                               'Encrypt|Decrypt'))),
        S('Symmetric Key', [ S('Key Block', [
            E('Key Format Type', 'Raw'),
            E('Key Compression Type', 'EC Public Key Type Uncompressed'),
            S('Key Value', [ B('Key Material', $key) ]),
            E('Cryptographic Algorithm', 'AES'),
            I('Cryptographic Length', 128) ]) ]) ], %hdr)) or return;

    my $bi = ok_($v, 'Locate by Name', 'Locate', [ name_attr($name) ], %hdr);
    is_deeply(uids_of($bi), [ $uid ], 'Locate finds exactly that key');
    $bi = ok_($v, 'Get', 'Get', [ ops_uid($uid) ], %hdr);
    is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                  'Key Format Type'), 1, 'Raw');
    is(material($bi, 'Symmetric Key', 'Get'), $key, 'the key registered');
};

subtest 'MySQL: Create at 1.1 with Attribute Index, Maximum Response Size '
        . '280000' => sub {
    my $v = '1.1';
    my %hdr = (max_response_size => 280000);
    my $uid = uid_of(ok_($v, 'Create', 'Create', [
        E('Object Type', 'Symmetric Key'),
        tmpl1(a1('Cryptographic Algorithm',
                 E('Cryptographic Algorithm', 'AES'), 0),
              a1('Cryptographic Length', I('Cryptographic Length', 256), 0),
              a1('Cryptographic Usage Mask',
                 I('Cryptographic Usage Mask', 'Encrypt|Decrypt'), 0),
              name_attr('mysql-' . uuid(), 0)) ], %hdr)) or return;
    ok_($v, 'Activate', 'Activate', [ ops_uid($uid) ], %hdr);
    my $bi = ok_($v, 'Get', 'Get', [ ops_uid($uid) ], %hdr);
    is(length material($bi, 'Symmetric Key', 'Get'), 32, '32 bytes');
};

# ---------------------------------------------------------------- MongoDB

subtest 'MongoDB (libmongocrypt): a 96-byte Seed as Secret Data, 1.0' => sub {
    my $v = '1.0';
    my $seed = join '', map { chr int rand 256 } 1 .. 96;
    my $uid = uid_of(ok_($v, 'Register Secret Data', 'Register', [
        E('Object Type', 'Secret Data'),
        tmpl1(),
        S('Secret Data', [
            E('Secret Data Type', 'Seed'),
            S('Key Block', [ E('Key Format Type', 'Raw'),
                             S('Key Value', [ B('Key Material',
                                                $seed) ]) ]) ]) ]))
        or return;
    ok_($v, 'Activate', 'Activate', [ ops_uid($uid) ]);
    my $bi = ok_($v, 'Get', 'Get', [ ops_uid($uid) ]);
    is(kmip_value($bi, 'Response Payload', 'Secret Data', 'Secret Data Type'),
       kmip_enum('Secret Data Type', 'Seed'), 'a Seed');
    is(material($bi, 'Secret Data', 'Get'), $seed, 'the 96 bytes');
};

subtest 'MongoDB (libmongocrypt 1.10+) delegated: Encrypt, Decrypt '
        . 'AES-256-CBC PKCS5, 1.2' => sub {
    my $v = '1.2';
    my $uid = uid_of(ok_($v, 'Create', 'Create',
                         create_aes($v, 256)->{payload})) or return;
    ok_($v, 'Activate', 'Activate', [ ops_uid($uid) ]);
    # Block Cipher Mode, Padding Method, Cryptographic Algorithm (and
    # Random IV on Encrypt), in the order of 1.2 2.1.7
    my $cp = sub { S('Cryptographic Parameters', [
        E('Block Cipher Mode', 'CBC'), E('Padding Method', 'PKCS5'),
        E('Cryptographic Algorithm', 'AES'), @_ ]) };
    my $plain = 'a 96-byte data encryption key of MongoDB, '
                . 'wrapped by the KMIP server for the driver.....';
    my $bi = ok_($v, 'Encrypt', 'Encrypt', [ ops_uid($uid),
        $cp->(BOOL('Random IV', 1)), B('Data', $plain) ]);
    my $ct = kmip_value($bi, 'Response Payload', 'Data') // '';
    my $iv = kmip_value($bi, 'Response Payload', 'IV/Counter/Nonce');
    is(length($iv // ''), 16, 'Encrypt returns the 16-byte IV');
    is(length $ct, 16 * (1 + int(length($plain) / 16)),
       'PKCS5-padded ciphertext');
    $bi = ok_($v, 'Decrypt', 'Decrypt', [ ops_uid($uid), $cp->(),
                                          B('Data', $ct),
                                          B('IV/Counter/Nonce', $iv // '') ]);
    is(kmip_value($bi, 'Response Payload', 'Data'), $plain,
       'Decrypt gives the plaintext back');
};

# ------------------------------------------------------------------ Veeam

subtest 'Veeam Backup & Replication: RSA-2048 key pair, 1.4' => sub {
    my $v = '1.4';
    my $bi = ok_($v, 'Create Key Pair', 'Create Key Pair', [
        S('Common Template-Attribute', [
            a1('Cryptographic Algorithm', E('Cryptographic Algorithm', 'RSA')),
            a1('Cryptographic Length', I('Cryptographic Length', 2048)),
            name_attr('veeam-' . uuid()) ]),
        S('Private Key Template-Attribute', [
            a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask',
                                             'Decrypt|Unwrap Key')) ]),
        S('Public Key Template-Attribute', [
            a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask',
                                             'Encrypt|Wrap Key')) ]) ]);
    my $priv = kmip_value($bi, 'Response Payload',
                          'Private Key Unique Identifier');
    my $pub = kmip_value($bi, 'Response Payload',
                         'Public Key Unique Identifier');
    ok($priv && $pub, 'two identifiers');
    for my $k ([ 'Public Key', $pub ], [ 'Private Key', $priv ]) {
        my ($type, $uid) = @$k;
        $bi = ok_($v, "Get $type", 'Get', [ ops_uid($uid // 'none') ]);
        is(kmip_value($bi, 'Response Payload', 'Object Type'),
           kmip_enum('Object Type', $type), "Get: a $type");
        ok(kmip_find($bi, 'Response Payload', $type, 'Key Block',
                     'Key Value', 'Key Material'), "Get: $type material");
        my $kv = kmip_find($bi, 'Response Payload', $type, 'Key Block',
                           'Key Value');
        is(join(',', map { kmip_tag_name($_->{tag}) }
                     @{ ($kv && $kv->{value}) || [] }),
           'Key Material', "Get: the $type Key Value holds Key Material only");
        is(kmip_value($bi, 'Response Payload', $type, 'Key Block',
                      'Cryptographic Length'), 2048, "Get: $type of 2048 bits");
        my $a = attrs_of(ok_($v, "Get Attributes $type", 'Get Attributes',
                             [ ops_uid($uid), T('Attribute Name', 'Link') ]));
        my $link = ref $a->{Link} eq 'ARRAY' ? $a->{Link}[0] : $a->{Link};
        is($link && $link->{'Linked Object Identifier'},
           $type eq 'Public Key' ? $priv : $pub,
           "the $type links to the other half");
    }
    ok_($v, "Destroy $_->[0]", 'Destroy', [ ops_uid($_->[1] // 'none') ])
        for [ 'Public Key', $pub ], [ 'Private Key', $priv ];
};

done_testing();
