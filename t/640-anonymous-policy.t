# With kmip_credentials_file, a request without the credential (vCenter 8
# sends none on its custom-attribute requests) may change the object's
# custom "x-" attributes only: every standard attribute governs how the key
# is used or found, and changing one (Add, Modify, Delete, Set, Adjust
# Attribute, also inside a run of changes a permitted item starts) is
# refused with Permission Denied and leaves the object as it was; so are
# Activate, Revoke and Destroy.

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use Digest::SHA qw(sha1_base64);

$SIG{PIPE} = 'IGNORE';

my $cred = [ 'vSphere', 's3cret' ];
my $hash = '{SHA}' . sha1_base64('s3cret') . '=';

my $n = kp_node(
    kmip => [ 'kmip_credentials_file $TEST_NGINX_PREFIX/html/kmip.users;' ],
    user_files => { 'kmip.users' => "vSphere:$hash\n" });
my $port = $n->port;

use KMIP::Reasons;

my $ver2 = qr/^2/;

# the Batch Items of one request, with the credential when $c is given
sub req {
    my ($v, $c, @items) = @_;
    my $i = 0;
    my $r = kmip_roundtrip($port, kmip_request(version => $v,
        $c ? (credential => $c) : (),
        items => [ map { { %$_, ubi => pack('N', ++$i) } } @items ]),
        timeout => 30);
    die "no answer from port $port" unless $r;
    return kmip_find_all($r, 'Batch Item');
}

sub one {
    my ($v, $c, $op, @payload) = @_;
    my ($bi) = req($v, $c, { operation => $op, payload => [ @payload ] });
    return $bi;
}

# a standard attribute in the version's form (a 1.x custom one is already)
sub attr {
    my ($v, $item) = @_;
    return $item if $v =~ $ver2 || $item->{name} eq 'Attribute';
    return a1($item->{name}, $item);
}

# a custom attribute in the version's form
sub custom {
    my ($v, $name, $value) = @_;
    return a2v('x', $name, $value) if $v =~ $ver2;
    return a1("x-$name", $value);
}

sub change {
    my ($v, $op, $uid, $item) = @_;
    return { operation => $op, payload => [ ops_uid($uid),
             $v =~ $ver2 ? S('New Attribute', [ $item ]) : attr($v, $item) ] };
}

sub delete_item {
    my ($v, $uid, $name) = @_;
    return { operation => 'Delete Attribute', payload => [ ops_uid($uid),
             $v =~ $ver2 ? E('Attribute Reference', kmip_tag($name))
                         : T('Attribute Name', $name) ] };
}

sub get_attrs {
    my ($v, $uid, @names) = @_;
    my @refs = map {
        $v !~ $ver2 ? T('Attribute Name', $_)
        : /^x-(.*)/ ? S('Attribute Reference',
                        [ T('Vendor Identification', 'x'),
                          T('Attribute Name', $1) ])
        : E('Attribute Reference', kmip_tag($_)) } @names;
    my $bi = one($v, $cred, 'Get Attributes', ops_uid($uid), @refs);
    op_ok($bi, "$v Get Attributes with the credential");
    return attrs_of($bi);
}

my @governing = ('Extractable', 'Sensitive', 'Usage Limits',
                 'Cryptographic Usage Mask', 'Cryptographic Parameters',
                 'Activation Date', 'Process Start Date',
                 'Protect Stop Date', 'Deactivation Date', 'Name',
                 'Object Group', 'State');

for my $v ('1.4', '2.1') {
    subtest "standard attributes need the credential, $v" => sub {
        my $t = time;
        my @a = (I('Cryptographic Usage Mask', 12),
                 S('Usage Limits', [ L('Usage Limits Total', 4096),
                                     E('Usage Limits Unit', 'Byte') ]),
                 S('Cryptographic Parameters',
                   [ E('Block Cipher Mode', 'CBC') ]),
                 DT('Process Start Date', $t + 86400),
                 DT('Protect Stop Date', $t + 86400 * 2),
                 DT('Deactivation Date', $t + 86400 * 3),
                 S('Name', [ T('Name Value', "k$v"),
                             E('Name Type', 'Uninterpreted Text String') ]),
                 T('Object Group', 'g'));
        my $bi = one($v, $cred, 'Create', E('Object Type', 'Symmetric Key'),
            $v =~ $ver2
            ? attrs2(E('Cryptographic Algorithm', 'AES'),
                     I('Cryptographic Length', 256), @a)
            : tmpl1(a1('Cryptographic Algorithm',
                       E('Cryptographic Algorithm', 'AES')),
                    a1('Cryptographic Length', I('Cryptographic Length', 256)),
                    map { attr($v, $_) } @a));
        op_ok($bi, "$v Create with the credential");
        my $uid = uid_of($bi);
        my $other = uid_of(op_ok(one($v, $cred, 'Create',
            @{ create_aes($v)->{payload} }), "$v another key"));
        my $before = get_attrs($v, $uid, @governing);

        my @refused = (
            change($v, 'Modify Attribute', $uid, BOOL('Extractable', 0)),
            change($v, 'Modify Attribute', $uid, BOOL('Sensitive', 1)),
            delete_item($v, $uid, 'Usage Limits'),
            change($v, 'Modify Attribute', $uid,
                   S('Usage Limits', [ L('Usage Limits Total', 1 << 40),
                                       E('Usage Limits Unit', 'Byte') ])),
            change($v, 'Modify Attribute', $uid,
                   I('Cryptographic Usage Mask', 0x7fffffff)),
            change($v, 'Modify Attribute', $uid,
                   S('Cryptographic Parameters',
                     [ E('Block Cipher Mode', 'ECB') ])),
            delete_item($v, $uid, 'Cryptographic Parameters'),
            change($v, 'Add Attribute', $uid,
                   DT('Activation Date', $t - 60)),
            change($v, 'Modify Attribute', $uid,
                   DT('Process Start Date', $t - 60)),
            change($v, 'Modify Attribute', $uid,
                   DT('Protect Stop Date', $t + 86400 * 300)),
            change($v, 'Modify Attribute', $uid,
                   DT('Deactivation Date', $t + 86400 * 400)),
            change($v, 'Add Attribute', $uid,
                   S('Link', [ E('Link Type', 'Replacement Object Link'),
                               T('Linked Object Identifier', $other) ])),
            change($v, 'Add Attribute', $uid,
                   S('Name', [ T('Name Value', 'mine'),
                               E('Name Type',
                                 'Uninterpreted Text String') ])),
            change($v, 'Modify Attribute', $uid, T('Object Group', 'h')),
        );
        push @refused,
            change($v, 'Set Attribute', $uid, BOOL('Extractable', 0)),
            { operation => 'Adjust Attribute', payload => [ ops_uid($uid),
              E('Attribute Reference',
                kmip_tag('Cryptographic Usage Mask')),
              E('Adjustment Type', 'Negate') ] }
            if $v =~ $ver2;
        push @refused,
            { operation => 'Activate', payload => [ ops_uid($uid) ] },
            { operation => 'Revoke', payload => [ ops_uid($uid),
              S('Revocation Reason', [ E('Revocation Reason Code',
                                         'Cessation of Operation') ]) ] },
            { operation => 'Destroy', payload => [ ops_uid($uid) ] };

        my $k = 0;
        for my $it (@refused) {
            my ($r) = req($v, undef, $it);
            my $what = "$v refused item " . ++$k . " ($it->{operation})"
                       . ' without the credential';
            op_fail($r, R_PERMISSION_DENIED, $what, qr/credential/);
        }

        is_deeply(get_attrs($v, $uid, @governing), $before,
                  "$v nothing changed") or diag explain $before;

        # a permitted item first: the run of changes it starts must not
        # carry the refused ones along
        my @run = req($v, undef,
            change($v, 'Add Attribute', $other,
                   custom($v, 'Tag', T('x', 'a'))),
            change($v, $v =~ $ver2 ? 'Set Attribute' : 'Modify Attribute',
                   $other, BOOL('Extractable', 0)));
        op_ok($run[0], "$v Add of a custom attribute in the run");
        op_fail($run[1], R_PERMISSION_DENIED,
                "$v change of Extractable in the run");
        my $a = get_attrs($v, $other, 'Extractable', 'x-Tag');
        is($a->{Extractable}, 1, "$v still Extractable after the run");
        is($a->{'x-Tag'}, 'a', "$v the custom attribute of the run added");

        op_ok(one($v, $cred, 'Get', ops_uid($uid)),
              "$v Get with the credential still serves the key");
    };

    subtest "custom attributes without the credential, $v" => sub {
        my $uid = uid_of(op_ok(one($v, $cred, 'Create',
            @{ create_aes($v)->{payload} }), "$v Create"));
        # what vCenter 8 sends without a credential (notes 2.2, 2.7)
        my @bi = req($v, undef,
            map { change($v, 'Add Attribute', $uid, custom($v, @$_)) }
                [ 'Product_Version', T('x', '8.0.1 build-21560480') ],
                [ 'Vendor', T('x', 'VMware, Inc.') ],
                [ 'Product', T('x', 'VMware vSphere') ]);
        op_ok($_, "$v Add Attribute x- without the credential") for @bi;
        op_ok(req($v, undef, change($v, 'Modify Attribute', $uid,
                                    custom($v, 'Vendor', T('x', 'V')))),
              "$v Modify Attribute x- without the credential");
        op_ok(req($v, undef, { operation => 'Delete Attribute',
                               payload => [ ops_uid($uid),
                  $v =~ $ver2
                  ? S('Attribute Reference',
                      [ T('Vendor Identification', 'x'),
                        T('Attribute Name', 'Product') ])
                  : T('Attribute Name', 'x-Product') ] }),
              "$v Delete Attribute x- without the credential");
        my $a = attrs_of(op_ok(one($v, undef, 'Get Attributes', ops_uid($uid)),
                               "$v Get Attributes without the credential"));
        is($a->{'x-Vendor'}, 'V', "$v x-Vendor modified");
        ok(!exists $a->{'x-Product'}, "$v x-Product deleted");
        is($a->{'x-Product_Version'}, '8.0.1 build-21560480',
           "$v x-Product_Version added");
    };
}

done_testing();
