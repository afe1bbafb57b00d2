# Every key operation against the Key Protect emulator, in the KMIP 1.x
# request form (Template-Attribute, Attribute Name strings) and the 2.x form
# (Attributes, Attribute Reference, vendor attributes for x- names), with
# the Result Reasons the KMIP specification gives.

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use POSIX qw(strftime);

my $kp = suite_kp();
my $n = kp_node();
my $port = $n->port;

use KMIP::Reasons;

my $ver2 = qr/^2/;

sub get_attrs {
    my ($v, $uid, @names) = @_;
    my @refs = map {
        $v =~ $ver2
          ? (/^([xy])-(.*)$/
             ? S('Attribute Reference', [ T('Vendor Identification', $1),
                                          T('Attribute Name', $2) ])
             : E('Attribute Reference', kmip_tag($_)))
          : T('Attribute Name', $_)
    } @names;
    my ($bi) = op_req($port, $v, { operation => 'Get Attributes',
                                   payload => [ ops_uid($uid), @refs ] });
    op_ok($bi, "$v Get Attributes @names");
    return attrs_of($bi);
}

sub create {
    my ($v, @x) = @_;
    my ($bi) = op_req($port, $v, create_aes($v, 256, @x));
    op_ok($bi, "$v Create");
    return uid_of($bi);
}

sub get_key {
    my ($v, $uid, $fmt) = @_;
    my ($bi) = op_req($port, $v, { operation => 'Get', payload => [
        ops_uid($uid),
        $fmt ? E('Key Format Type', $fmt) : () ] });
    return $bi;
}

# a custom attribute in the version's form
sub custom {
    my ($v, $name, $val) = @_;
    my ($vid, $n) = $name =~ /^([xy])-(.*)$/;
    return $v =~ $ver2 ? a2v($vid, $n, $val) : a1($name, $val);
}

my $past = time - 86400;
my $future = time + 86400 * 30;

for my $v ('1.2', '1.4', '2.0') {
    subtest "Create at $v" => sub {
        for my $len (128, 192, 256) {
            my ($bi) = op_req($port, $v, create_aes($v, $len));
            op_ok($bi, "AES-$len");
            is(kmip_value($bi, 'Response Payload', 'Object Type'), 2,
               'Object Type');
            my $uid = uid_of($bi);
            $bi = op_ok(get_key($v, $uid), "Get AES-$len");
            is(length(kmip_value($bi, 'Response Payload', 'Symmetric Key',
                                 'Key Block', 'Key Value', 'Key Material')),
               $len / 8, "$len bits of material");
            is(kmip_value($bi, 'Response Payload', 'Symmetric Key',
                          'Key Block', 'Cryptographic Length'), $len,
               'Key Block length');
        }

        my $name = "key-$v-" . int(rand(1e9));
        my @x = $v =~ $ver2
            ? (S('Name', [ T('Name Value', $name), E('Name Type', 1) ]),
               DT('Activation Date', $past), T('Object Group', "grp-$v"))
            : (a1('Name', S('Name', [ T('Name Value', $name),
                                      E('Name Type', 1) ])),
               a1('Activation Date', DT('Activation Date', $past)),
               a1('Object Group', T('Object Group', "grp-$v")));
        push @x, custom($v, 'x-Vendor', T('x', 'VMware, Inc.'));
        my $uid = create($v, @x);
        my $a = get_attrs($v, $uid);
        is($a->{State}, 2, 'past Activation Date: Active');
        is($a->{'Activation Date'}, $past, 'Activation Date kept');
        is($a->{'Object Group'}, "grp-$v", 'Object Group');
        is($a->{Name}{'Name Value'}, $name, 'Name');
        is($a->{'Cryptographic Usage Mask'}, 12, 'Usage Mask');
        is($a->{'Cryptographic Algorithm'}, 3, 'AES');
        is($a->{'Cryptographic Length'}, 256, 'length');
        is($a->{'x-Vendor'}, 'VMware, Inc.', 'custom attribute');
        is($a->{'Unique Identifier'}, $uid, 'Unique Identifier');
        is($a->{'Object Type'}, 2, 'Object Type');
        ok(defined $a->{'Initial Date'}, 'Initial Date');
        if ($v lt '1.4') {
            ok(!grep({ /Description|Comment|Original Creation Date/ } keys %$a),
               "no attribute newer than $v")
                or diag(join ', ', keys %$a);
        }

        $uid = create($v, $v =~ $ver2
                          ? DT('Activation Date', $future)
                          : a1('Activation Date', DT('Activation Date', $future)));
        is(get_attrs($v, $uid, 'State')->{State}, 1,
           'future Activation Date: Pre-Active');

        my ($bi) = op_req($port, $v, { operation => 'Create', payload => [
            E('Object Type', 'Symmetric Key'),
            $v =~ $ver2
            ? attrs2(E('Cryptographic Algorithm', 'RSA'),
                     I('Cryptographic Length', 2048))
            : tmpl1(a1('Cryptographic Algorithm',
                       E('Cryptographic Algorithm', 'RSA')),
                    a1('Cryptographic Length', I('Cryptographic Length', 2048)))
        ] });
        op_fail($bi, R_INVALID_FIELD, 'RSA symmetric key');
        ($bi) = op_req($port, $v, create_aes($v, 200));
        op_fail($bi, R_INVALID_FIELD, 'AES-200');
        ($bi) = op_req($port, $v, { operation => 'Create', payload => [
            E('Object Type', 'Symmetric Key') ] });
        op_fail($bi, R_MISSING_DATA, 'no algorithm');
    };
}

sub one {
    my ($v, $op, @payload) = @_;
    my ($bi) = op_req($port, $v, { operation => $op, payload => [ @payload ] });
    return $bi;
}

sub state_of { get_attrs($_[0], $_[1], 'State')->{State} }

for my $v ('1.2', '1.4', '2.0') {
    subtest "Register at $v" => sub {
        my $mat = pack 'H*', '00112233445566778899aabbccddeeff';
        my @at = $v =~ $ver2
            ? (attrs2(I('Cryptographic Usage Mask', 12)))
            : (tmpl1(a1('Cryptographic Usage Mask',
                        I('Cryptographic Usage Mask', 12))));
        my $bi = op_ok(one($v, 'Register', E('Object Type', 'Symmetric Key'),
            @at,
            S('Symmetric Key', [ S('Key Block', [
                E('Key Format Type', 'Raw'),
                S('Key Value', [ B('Key Material', $mat) ]),
                E('Cryptographic Algorithm', 'AES'),
                I('Cryptographic Length', 128) ]) ])), 'symmetric key');
        my $uid = uid_of($bi);
        $bi = op_ok(get_key($v, $uid), 'Get registered key');
        is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                      'Key Value', 'Key Material'), $mat, 'same bytes back');
        is(state_of($v, $uid), 1, 'registered key is Pre-Active');

        $bi = op_ok(get_key($v, $uid, 'Transparent Symmetric Key'),
                    'Get as Transparent Symmetric Key');
        is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                      'Key Format Type'), 7, 'Key Format Type 7');
        is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                      'Key Value', 'Key Material', 'Key'), $mat,
           'Key Material/Key');
        op_fail(get_key($v, $uid, 'PKCS#8'), R_KFT_NOT_SUPPORTED,
                'Get as PKCS#8');

        $bi = op_ok(one($v, 'Register', E('Object Type', 'Secret Data'),
            $v =~ $ver2 ? attrs2() : tmpl1(),
            S('Secret Data', [ E('Secret Data Type', 'Password'),
                S('Key Block', [ E('Key Format Type', 'Opaque'),
                    S('Key Value', [ B('Key Material', 'hunter2') ]) ]) ])),
            'secret data');
        $bi = op_ok(get_key($v, uid_of($bi)), 'Get secret data');
        is(kmip_value($bi, 'Response Payload', 'Object Type'), 7,
           'Object Type Secret Data');
        is(kmip_value($bi, 'Response Payload', 'Secret Data', 'Key Block',
                      'Key Value', 'Key Material'), 'hunter2', 'secret');
        is(kmip_value($bi, 'Response Payload', 'Secret Data',
                      'Secret Data Type'), 1, 'Password');

        $bi = op_ok(one($v, 'Register', E('Object Type', 'Opaque Object'),
            $v =~ $ver2 ? attrs2() : tmpl1(),
            S('Opaque Object', [ E('Opaque Data Type', 0x80000001),
                                 B('Opaque Data Value', "opaque\0bytes") ])),
            'opaque object');
        $bi = op_ok(get_key($v, uid_of($bi)), 'Get opaque object');
        is(kmip_value($bi, 'Response Payload', 'Opaque Object',
                      'Opaque Data Value'), "opaque\0bytes", 'opaque bytes');
    };

    subtest "attributes at $v" => sub {
        my $uid = create($v);
        my $a = get_attrs($v, $uid, 'State', 'x-Absent', 'Cryptographic Length');
        is_deeply([ sort keys %$a ], [ 'Cryptographic Length', 'State' ],
                  'by name; an absent attribute is not an error');

        my $bi = op_ok(one($v, 'Get Attribute List', ops_uid($uid)),
                       'Get Attribute List');
        my @names = $v =~ $ver2
            ? map { ref $_->{value} ? 'vendor' : kmip_tag_name($_->{value}) }
              kmip_find_all($bi, 'Response Payload', 'Attribute Reference')
            : map { $_->{value} }
              kmip_find_all($bi, 'Response Payload', 'Attribute Name');
        ok((grep { $_ eq 'State' } @names), 'list has State')
            or diag("@names");
        ok((grep { $_ eq 'Cryptographic Algorithm' } @names),
           'list has Cryptographic Algorithm');

        # custom attributes of any type, x- and y-
        my %cust = ('x-Text' => T('x', 'hello'), 'x-Int' => I('x', 42),
                    'x-Long' => L('x', 1 << 40), 'x-Bool' => BOOL('x', 1),
                    'x-Date' => DT('x', 1700000000), 'x-Bytes' => B('x', "\1\2"),
                    'x-Enum' => E('x', 7),
                    'x-Struct' => S('x', [ T('Name Value', 'n'),
                                           E('Name Type', 1) ]));
        my @add = map {
            { operation => 'Add Attribute', payload => [ ops_uid($uid),
                $v =~ $ver2 ? S('New Attribute', [ custom($v, $_, $cust{$_}) ])
                            : custom($v, $_, $cust{$_}) ] }
        } sort keys %cust;
        op_ok($_, 'Add custom') for op_req($port, $v, @add);
        $a = get_attrs($v, $uid);
        is($a->{'x-Text'}, 'hello', 'text');
        is($a->{'x-Int'}, 42, 'integer');
        is($a->{'x-Long'}, 1 << 40, 'long');
        is($a->{'x-Bool'}, 1, 'boolean');
        is($a->{'x-Date'}, 1700000000, 'date');
        is($a->{'x-Bytes'}, "\1\2", 'bytes');
        is($a->{'x-Enum'}, 7, 'enumeration');
        is_deeply($a->{'x-Struct'}, { 'Name Value' => 'n', 'Name Type' => 1 },
                  'structure');

        # a second instance gets index 1; Modify/Delete by index
        op_ok(one($v, 'Add Attribute', ops_uid($uid),
                  $v =~ $ver2
                  ? S('New Attribute', [ custom($v, 'x-Text', T('x', 'second')) ])
                  : custom($v, 'x-Text', T('x', 'second'))), 'second x-Text');
        is_deeply(get_attrs($v, $uid, 'x-Text')->{'x-Text'},
                  [ 'hello', 'second' ], 'two instances');
        if ($v =~ $ver2) {
            op_ok(one($v, 'Modify Attribute', ops_uid($uid),
                      S('Current Attribute', [ custom($v, 'x-Text', T('x', 'second')) ]),
                      S('New Attribute', [ custom($v, 'x-Text', T('x', 'changed')) ])),
                  'Modify with Current Attribute');
            op_ok(one($v, 'Delete Attribute', ops_uid($uid),
                      S('Current Attribute', [ custom($v, 'x-Text', T('x', 'hello')) ])),
                  'Delete by value');
            is_deeply(get_attrs($v, $uid, 'x-Text')->{'x-Text'}, 'changed',
                      'modified and deleted');
            op_ok(one($v, 'Delete Attribute', ops_uid($uid),
                      S('Attribute Reference', [ T('Vendor Identification', 'x'),
                                                 T('Attribute Name', 'Int') ])),
                  'Delete by reference');
            op_fail(one($v, 'Delete Attribute', ops_uid($uid),
                        S('Attribute Reference', [ T('Vendor Identification', 'x'),
                                                   T('Attribute Name', 'Int') ])),
                    R_ATTR_NOT_FOUND, 'Delete of an absent attribute');
            op_ok(one($v, 'Add Attribute', ops_uid($uid),
                      S('New Attribute', [ T('Object Group', 'g1') ])),
                  'Add Object Group');
            op_ok(one($v, 'Modify Attribute', ops_uid($uid),
                      S('New Attribute', [ T('Object Group', 'g2') ])),
                  'Modify standard');
            op_fail(one($v, 'Modify Attribute', ops_uid($uid),
                        S('New Attribute', [ T('Contact Information', 'c') ])),
                    R_ATTR_NOT_FOUND, 'Modify of an absent attribute');
        } else {
            op_ok(one($v, 'Modify Attribute', ops_uid($uid),
                      a1('x-Text', T('x', 'changed'), 1)), 'Modify index 1');
            op_ok(one($v, 'Delete Attribute', ops_uid($uid),
                      T('Attribute Name', 'x-Text'), I('Attribute Index', 0)),
                  'Delete index 0');
            my $t = get_attrs($v, $uid, 'x-Text')->{'x-Text'};
            is_deeply($t, 'changed', 'modified and deleted') or diag explain $t;
            op_ok(one($v, 'Delete Attribute', ops_uid($uid),
                      T('Attribute Name', 'x-Int')), 'Delete x-Int');
            op_fail(one($v, 'Delete Attribute', ops_uid($uid),
                        T('Attribute Name', 'x-Int')),
                    $v eq '1.4' ? R_ITEM_NOT_FOUND : R_ITEM_NOT_FOUND,
                    'Delete of an absent attribute');
            op_ok(one($v, 'Add Attribute', ops_uid($uid),
                      a1('Object Group', T('x', 'g1'))), 'Add Object Group');
            op_ok(one($v, 'Modify Attribute', ops_uid($uid),
                      a1('Object Group', T('x', 'g2'))), 'Modify standard');
        }
        $a = get_attrs($v, $uid);
        ok(!exists $a->{'x-Int'}, 'x-Int gone');
        is($a->{'Object Group'}, 'g2', 'Object Group modified');
        is($a->{'x-Bool'}, 1, 'others kept');
        # server-managed attributes are read-only
        $bi = one($v, 'Modify Attribute', ops_uid($uid),
                  $v =~ $ver2 ? S('New Attribute', [ E('State', 1) ])
                              : a1('State', E('State', 1)));
        is(kmip_value($bi, 'Result Status'), 1, 'State is read-only');
        $bi = one($v, 'Add Attribute', ops_uid($uid),
                  $v =~ $ver2 ? S('New Attribute', [ T('Unique Identifier', 'x') ])
                              : a1('Unique Identifier', T('x', 'x')));
        is(kmip_value($bi, 'Result Status'), 1, 'Unique Identifier is read-only');
        # y- attributes belong to the server
        $bi = one($v, 'Add Attribute', ops_uid($uid),
                  $v =~ $ver2 ? S('New Attribute', [ custom($v, 'y-S', T('x', 's')) ])
                              : custom($v, 'y-S', T('x', 's')));
        is(kmip_value($bi, 'Result Status'), 1, 'a client may not add y-');
        note('y-: ' . reason_name(kmip_value($bi, 'Result Reason')));
    };

    subtest "lifecycle at $v" => sub {
        my $uid = create($v);
        op_ok(one($v, 'Activate', ops_uid($uid)), 'Activate Pre-Active');
        is(state_of($v, $uid), 2, 'Active');
        op_fail(one($v, 'Activate', ops_uid($uid)),
                $v =~ $ver2 ? R_WRONG_STATE : R_PERMISSION_DENIED,
                'Activate of an Active key');
        op_fail(one($v, 'Destroy', ops_uid($uid)),
                $v =~ $ver2 ? R_WRONG_STATE : R_PERMISSION_DENIED,
                'Destroy of an Active key');
        op_ok(one($v, 'Revoke', ops_uid($uid),
                  S('Revocation Reason', [ E('Revocation Reason Code',
                                             'Cessation of Operation') ])),
              'Revoke: cessation');
        my $a = get_attrs($v, $uid);
        is($a->{State}, 3, 'Deactivated');
        ok(defined $a->{'Deactivation Date'}, 'Deactivation Date');
        ok(!defined $a->{'Compromise Date'}, 'no Compromise Date');
        op_ok(one($v, 'Destroy', ops_uid($uid)), 'Destroy Deactivated');
        $a = get_attrs($v, $uid, 'State', 'Destroy Date');
        is($a->{State}, 5, 'Destroyed');
        ok(defined $a->{'Destroy Date'}, 'Destroy Date');
        op_fail(get_key($v, $uid),
                $v =~ $ver2 ? R_OBJECT_DESTROYED : R_ITEM_NOT_FOUND,
                'Get of a destroyed key');

        $uid = create($v);
        op_ok(one($v, 'Activate', ops_uid($uid)), 'Activate');
        op_ok(one($v, 'Revoke', ops_uid($uid),
                  S('Revocation Reason', [ E('Revocation Reason Code',
                                             'Key Compromise') ]),
                  DT('Compromise Occurrence Date', 1600000000)),
              'Revoke: compromise');
        $a = get_attrs($v, $uid);
        is($a->{State}, 4, 'Compromised');
        is($a->{'Compromise Occurrence Date'}, 1600000000,
           'Compromise Occurrence Date');
        ok(defined $a->{'Compromise Date'}, 'Compromise Date');
        op_ok(one($v, 'Destroy', ops_uid($uid)), 'Destroy Compromised');
        is(state_of($v, $uid), 6, 'Destroyed Compromised');

        $uid = create($v);
        op_ok(one($v, 'Destroy', ops_uid($uid)), 'Destroy Pre-Active');
        op_fail(one($v, 'Activate', ops_uid($uid)),
                $v =~ $ver2 ? R_WRONG_STATE : R_PERMISSION_DENIED,
                'Activate of a destroyed key', qr/destroyed/);
        my $bi = one($v, 'Add Attribute', ops_uid($uid),
                     $v =~ $ver2
                     ? S('New Attribute', [ custom($v, 'x-A', T('x', 'a')) ])
                     : custom($v, 'x-A', T('x', 'a')));
        is(kmip_value($bi, 'Result Status'), 1,
           'Add Attribute on a destroyed key fails');
        # 2.x names it Object Not Found (KMIP 2.1 6.1.19.1, 11.47)
        op_fail(one($v, 'Get', ops_uid('00000000-0000-4000-8000-000000000000')),
                $v =~ $ver2 ? R_OBJECT_NOT_FOUND : R_ITEM_NOT_FOUND,
                'Get of an unknown UID');
    };

    subtest "ID Placeholder at $v" => sub {
        my @bi = op_req($port, $v, create_aes($v),
                        { operation => 'Activate', payload => [] },
                        { operation => 'Get Attributes', payload => [
                            $v =~ $ver2 ? E('Attribute Reference', kmip_tag('State'))
                                        : T('Attribute Name', 'State') ] });
        op_ok($_, 'batch item') for @bi;
        is(uid_of($bi[1]), uid_of($bi[0]), 'Activate answered the new UID');
        is(attrs_of($bi[2])->{State}, 2, 'Active');
    };
}

subtest 'Locate' => sub {
    my $tag = 'loc' . int(rand(1e9));
    my (%uid, @all);
    for my $v ('1.4', '2.0') {
        for my $i (1 .. 3) {
            my $name = "$tag-$v-$i";
            my @x = $v =~ $ver2
                ? (S('Name', [ T('Name Value', $name), E('Name Type', 1) ]),
                   T('Object Group', $tag), a2v('x', 'Tag', T('x', "$tag$i")))
                : (a1('Name', S('Name', [ T('Name Value', $name),
                                          E('Name Type', 1) ])),
                   a1('Object Group', T('x', $tag)),
                   a1('x-Tag', T('x', "$tag$i")));
            my ($bi) = op_req($port, $v, create_aes($v, $i == 3 ? 128 : 256, @x));
            op_ok($bi, "Create $name");
            $uid{$name} = uid_of($bi);
            push @all, $uid{$name};
        }
        op_ok(one($v, 'Activate', ops_uid($uid{"$tag-$v-1"})), 'Activate');
    }
    for my $v ('1.2', '1.4', '2.0') {
        my $loc = sub {
            my (@f) = @_;
            my $bi = op_ok(one($v, 'Locate', @f), "Locate at $v");
            return [ sort map { $_->{value} }
                     kmip_find_all($bi, 'Response Payload', 'Unique Identifier') ];
        };
        my $f = sub {     # filter attributes in the version's form
            my ($name, $item) = @_;
            return $item if $v =~ $ver2;
            if ($name =~ /^x-/) { return a1($name, $item) }
            return a1($name, $item);
        };
        my $wrap = sub { $v =~ $ver2 ? attrs2(@_) : @_ };
        is_deeply($loc->($wrap->($f->('Name', S('Name', [
                      T('Name Value', "$tag-1.4-2"), E('Name Type', 1) ])))),
                  [ $uid{"$tag-1.4-2"} ], 'by Name');
        is_deeply($loc->($wrap->($f->('Object Group', T('Object Group', $tag)))),
                  [ sort @all ], 'by Object Group');
        is_deeply($loc->($wrap->($f->('Object Group', T('Object Group', $tag)),
                                 $f->('State', E('State', 'Active')))),
                  [ sort $uid{"$tag-1.4-1"}, $uid{"$tag-2.0-1"} ], 'by State');
        is_deeply($loc->($wrap->($f->('Object Group', T('Object Group', $tag)),
                                 $f->('Cryptographic Algorithm',
                                      E('Cryptographic Algorithm', 'AES')),
                                 $f->('Cryptographic Length',
                                      I('Cryptographic Length', 128)))),
                  [ sort $uid{"$tag-1.4-3"}, $uid{"$tag-2.0-3"} ],
                  'by Algorithm and Length');
        is_deeply($loc->($wrap->($f->('Object Type', E('Object Type', 'Symmetric Key')),
                                 $v =~ $ver2 ? a2v('x', 'Tag', T('x', "${tag}2"))
                                             : a1('x-Tag', T('x', "${tag}2")))),
                  [ sort $uid{"$tag-1.4-2"}, $uid{"$tag-2.0-2"} ],
                  'by Object Type and custom attribute');
        my $page1 = $loc->(I('Maximum Items', 2),
                           $wrap->($f->('Object Group', T('Object Group', $tag))));
        is(scalar @$page1, 2, 'Maximum Items 2');
        my $page2 = $loc->(I('Maximum Items', 10), I('Offset Items', 2),
                           $wrap->($f->('Object Group', T('Object Group', $tag))));
        is(scalar @$page2, 4, 'Offset Items 2 leaves 4');
        is_deeply([ sort @$page1, @$page2 ], [ sort @all ], 'pages cover all');
        is_deeply($loc->($wrap->($f->('Object Group', T('Object Group', 'none-' . $tag)))),
                  [], 'no match is an empty answer');
    }
};

subtest 'Query with a store' => sub {
    for my $v ('1.2', '2.0') {
        my $bi = op_ok(one($v, 'Query', E('Query Function', 'Query Operations'),
                           E('Query Function', 'Query Objects')), "Query $v");
        my %ops = map { $_->{value} => 1 }
                  kmip_find_all($bi, 'Response Payload', 'Operation');
        for my $op ('Create', 'Register', 'Get', 'Get Attributes',
                    'Get Attribute List', 'Add Attribute', 'Modify Attribute',
                    'Delete Attribute', 'Activate', 'Revoke', 'Destroy', 'Locate')
        {
            ok($ops{ kmip_operation($op) }, "$v: $op listed");
        }
        my %obj = map { $_->{value} => 1 }
                  kmip_find_all($bi, 'Response Payload', 'Object Type');
        ok($obj{2} && $obj{7} && $obj{8}, "$v: object types")
            or diag(join ',', keys %obj);
    }
};

# no field newer than the request's version
subtest 'no newer fields at 1.2' => sub {
    my $uid = create('1.2');
    my $bi = op_ok(one('1.2', 'Get Attributes', ops_uid($uid)), 'all');
    my %known12 = map { $_ => 1 } ('Unique Identifier', 'Object Type',
        'Cryptographic Algorithm', 'Cryptographic Length',
        'Cryptographic Usage Mask', 'State', 'Initial Date', 'Last Change Date',
        'Name', 'Activation Date', 'Object Group', 'Digest', 'Lease Time',
        'Fresh', 'Deactivation Date', 'Process Start Date', 'Protect Stop Date');
    my @bad = grep { !$known12{$_} && !/^x-/ } keys %{ attrs_of($bi) };
    is_deeply(\@bad, [], 'only 1.2 attributes');
};
$n->stop;
$kp->stop;
done_testing();
