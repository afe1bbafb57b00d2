# Protocol versions (../shared/notes/vcenter-kmip.md section 1.1): a request is
# answered in its own version whatever kmip_protocol_versions offers, with
# the attribute forms of that version (1.x Attribute structures named by
# text, 2.x Attributes with tagged values), and no header field or tag
# newer than that version.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::VCenter qw(vc_req vc_dv create_aes check_kmip11 kmip11_tag_ok
                     tags_of);

our $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
$ENV{TEST_NGINX_KP} = $kp->nginx_conf;

plan tests => repeat_each() * blocks() + 6;

# the checker itself: the tag limits it enforces
ok(kmip11_tag_ok(0x4200B7, '1.1'), '0x4200B7 (X.509 Certificate Subject) is 1.1');
ok(!kmip11_tag_ok(0x4200B8, '1.1'), '0x4200B8 (Key Value Location) is 1.2');
ok(!kmip11_tag_ok(0x4200BC, '1.1'), '0x4200BC (Original Creation Date) is 1.2');
ok(!kmip11_tag_ok(0x4200A2, '1.0'), '0x4200A2 (Device Identifier) is 1.1');
ok(!kmip11_tag_ok(0x420125, '1.4'), '0x420125 (Attributes) is 2.0');
ok(!kmip11_tag_ok(0x540000, '1.4'), 'extension tags are never allowed');

sub v2 { $_[0] =~ /^2\./ }

sub create_req {
    my ($v) = @_;
    return vc_req($v, undef, create_aes()) unless v2($v);
    return vc_req($v, undef, { operation => 'Create', payload => [
        E('Object Type', 2),
        S('Attributes', [ E('Cryptographic Algorithm', 3),
                          I('Cryptographic Length', 256),
                          I('Cryptographic Usage Mask', 12) ]) ] });
}

sub getattr_req {
    my ($v, $uid) = @_;
    my @names = v2($v)
        ? (E('Attribute Reference', kmip_tag('State')),
           E('Attribute Reference', kmip_tag('Cryptographic Length')))
        : (T('Attribute Name', 'State'),
           T('Attribute Name', 'Cryptographic Length'));
    return vc_req($v, undef, { operation => 'Get Attributes',
                               payload => [ T('Unique Identifier', $uid),
                                            @names ] });
}

# Create, Get, Get Attributes (two named, then all) in version $v
sub run_version {
    my ($port, $v) = @_;
    my $c = kmip_connect($port);

    my $req = create_req($v);
    my ($bi) = check_kmip11($req, $c->request($req), "$v Create", $v);
    is(kmip_value($bi, 'Result Status'), 0, "$v Create succeeds")
        or diag(kmip_value($bi, 'Result Message'));
    my $uid = kmip_value($bi, 'Response Payload', 'Unique Identifier');
    ok($uid, "$v uid");

    $req = vc_req($v, undef, { operation => 'Get',
                               payload => [ T('Unique Identifier', $uid) ] });
    ($bi) = check_kmip11($req, $c->request($req), "$v Get", $v);
    is(kmip_value($bi, 'Result Status'), 0, "$v Get succeeds");
    is(length(kmip_value($bi, 'Response Payload', 'Symmetric Key',
                         'Key Block', 'Key Value', 'Key Material') // ''),
       32, "$v Get: 32 bytes");

    $req = getattr_req($v, $uid);
    ($bi) = check_kmip11($req, $c->request($req), "$v Get Attributes", $v);
    is(kmip_value($bi, 'Result Status'), 0, "$v Get Attributes succeeds")
        or diag(kmip_value($bi, 'Result Message'));
    my $p = kmip_find($bi, 'Response Payload');
    if (v2($v)) {
        ok(!kmip_find($p, 'Attribute'), "$v: no 1.x Attribute structure");
        is(kmip_value($p, 'Attributes', 'State'), 1, "$v: Attributes/State");
        is(kmip_value($p, 'Attributes', 'Cryptographic Length'), 256,
           "$v: Attributes/Cryptographic Length");
    } else {
        ok(!kmip_find($p, 'Attributes'), "$v: no 2.x Attributes structure");
        my %a = map { kmip_value($_, 'Attribute Name')
                      => kmip_value($_, 'Attribute Value') }
                kmip_find_all($p, 'Attribute');
        is($a{State}, 1, "$v: Attribute State");
        is($a{'Cryptographic Length'}, 256, "$v: Attribute Cryptographic Length");
    }

    $req = vc_req($v, undef, { operation => 'Get Attributes',
                               payload => [ T('Unique Identifier', $uid) ] });
    ($bi) = check_kmip11($req, $c->request($req), "$v Get Attributes all", $v);
    is(kmip_value($bi, 'Result Status'), 0, "$v Get Attributes (all)");
    $p = kmip_find($bi, 'Response Payload');
    if (v2($v)) {
        ok(kmip_find($p, 'Attributes', 'Object Type'), "$v all: Object Type");
        ok(!kmip_find($p, 'Attribute'), "$v all: no 1.x form");
    } else {
        my @n = map { kmip_value($_, 'Attribute Name') }
                kmip_find_all($p, 'Attribute');
        ok(grep({ $_ eq 'Object Type' } @n), "$v all: Object Type (@n)");
        ok(!grep({ $_ eq 'Original Creation Date' } @n),
           "$v all: no Original Creation Date");
        ok(!grep({ $_ eq 'Description' || $_ eq 'Comment' } @n),
           "$v all: no 1.4 attributes") if $v lt '1.4';
    }
    $c->close;
}

run_tests();

__DATA__

=== TEST 1: every version answered in its own version and forms
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    main::run_version($port, $_) for qw(1.0 1.1 1.2 1.3 1.4 2.0 2.1);
}
--- no_error_log
[error]

=== TEST 2: a 1.1 client gets 1.1 whatever the server offers
--- stream_server_config
    kmip;
    kmip_protocol_versions 2.1 2.0 1.4;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    my $c = kmip_connect($port);
    my $dv = vc_dv('1.1');
    my ($bi) = check_kmip11($dv, $c->request($dv), 'DV');
    my @v = map { kmip_value($_, 'Protocol Version Major') . '.'
                  . kmip_value($_, 'Protocol Version Minor') }
            kmip_find_all($bi, 'Response Payload', 'Protocol Version');
    is("@v", '2.1 2.0 1.4', 'the configured offer');
    $c->close;
    main::run_version($port, '1.1');
    main::run_version($port, '1.0');
}
--- no_error_log
[error]
