# The symmetric-key lifecycle against the Key Protect emulator: Create,
# Get on a Pre-Active key, State, Activate, custom attributes in one batch,
# as vCenter does it at KMIP 1.1.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::VCenter qw(vc_req create_aes);

our $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
$ENV{TEST_NGINX_KP} = $kp->nginx_conf;

sub uid_item { T('Unique Identifier', $_[0]) }

sub ok_item {
    my ($r, $n, $what) = @_;
    my @bi = kmip_find_all($r, 'Batch Item');
    is(kmip_value($bi[$n], 'Result Status'), 0, $what)
        or diag(kmip_value($bi[$n], 'Result Message'));
    return $bi[$n];
}

run_tests();

__DATA__

=== TEST 1: vCenter encrypts a VM
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};

    my $r = kmip_roundtrip($port,
        main::vc_req('1.1', undef, main::create_aes()));
    my $bi = main::ok_item($r, 0, 'Create');
    my $uid = kmip_value($bi, 'Response Payload', 'Unique Identifier');
    like($uid, qr/^[0-9a-f-]{36}$/, "uid $uid");

    $r = kmip_roundtrip($port, main::vc_req('1.1', undef,
        { operation => 'Get', payload => [ main::uid_item($uid) ] },
        { operation => 'Get Attributes',
          payload => [ main::uid_item($uid), T('Attribute Name', 'State') ] },
        { operation => 'Activate', payload => [ main::uid_item($uid) ] }));
    $bi = main::ok_item($r, 0, 'Get on a Pre-Active key');
    is(length(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                         'Key Value', 'Key Material')), 32, '32 bytes');
    $bi = main::ok_item($r, 1, 'Get Attributes State');
    is(kmip_value($bi, 'Response Payload', 'Attribute', 'Attribute Value'), 1,
       'Pre-Active');
    main::ok_item($r, 2, 'Activate');

    $r = kmip_roundtrip($port, main::vc_req('1.1', undef,
        map { { operation => 'Get Attributes',
                payload => [ main::uid_item($uid), T('Attribute Name', $_) ] } }
        qw(x-Product_Version x-Vendor x-Product)));
    for my $n (0 .. 2) {
        $bi = main::ok_item($r, $n, "absent custom attribute $n");
        ok(!kmip_find($bi, 'Response Payload', 'Attribute'), 'no value');
    }

    $main::kp->clear_requests;
    $r = kmip_roundtrip($port, main::vc_req('1.1', undef,
        map { { operation => 'Add Attribute',
                payload => [ main::uid_item($uid),
                             S('Attribute', [ T('Attribute Name', $_->[0]),
                                              T('Attribute Value', $_->[1]) ]) ] } }
        [ 'x-Product_Version', '7.0.3 build-19480866' ],
        [ 'x-Vendor', 'VMware, Inc.' ], [ 'x-Product', 'VMware vSphere' ]));
    main::ok_item($r, $_, "Add Attribute $_") for 0 .. 2;
    is($main::kp->count(method => 'POST', path => qr{^/api/v2/keys$}), 1,
       'three Add Attributes are one store mutation');

    $r = kmip_roundtrip($port, main::vc_req('1.1', undef,
        { operation => 'Get Attributes', payload => [ main::uid_item($uid) ] }));
    $bi = main::ok_item($r, 0, 'Get Attributes, all');
    my %attrs = map { kmip_value($_, 'Attribute Name')
                      => kmip_value($_, 'Attribute Value') }
                kmip_find_all($bi, 'Response Payload', 'Attribute');
    is($attrs{State}, 2, 'Active');
    is($attrs{'x-Vendor'}, 'VMware, Inc.', 'x-Vendor kept');
    ok(!exists $attrs{'Original Creation Date'},
       'no Original Creation Date at 1.1');
}
--- no_error_log
[error]

=== TEST 2: Get costs at most 3 Key Protect calls, Create at most 3
The first Get of an object also marks it served, Fresh = False (KMIP 1.4
3.34): one more call, an alias on the key it read, once in the object's
life.
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Discover Versions', payload => [] }));
    $main::kp->clear_requests;
    my $r = kmip_roundtrip($port,
        main::vc_req('1.4', undef, main::create_aes()));
    my $uid = kmip_value(main::ok_item($r, 0, 'Create'),
                         'Response Payload', 'Unique Identifier');
    cmp_ok($main::kp->count, '<=', 3, 'Create: ' . $main::kp->count . ' calls');
    $main::kp->clear_requests;
    $r = kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Get', payload => [ main::uid_item($uid) ] }));
    main::ok_item($r, 0, 'first Get');
    # nothing is left to do after the answer
    select(undef, undef, undef, 0.3);
    # a listing, the record the Create kept, the unwrap; then the served
    # mark: the next generation's alias on the same key
    # (docs/key-protect.md#the-first-get)
    is($main::kp->count, 3, 'first Get: 2 calls and the served mark');
    is($main::kp->count(method => 'POST', path => qr{^/api/v2/keys$}), 0,
       'first Get: no new generation');
    is($main::kp->count(method => 'POST', path => qr{/aliases/kmip-.*-g2$}),
       1, 'first Get: the alias of generation 2');
    is($main::kp->count(method => 'DELETE'), 0, 'first Get: no deletion');
    $main::kp->clear_requests;
    $r = kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Get', payload => [ main::uid_item($uid) ] }));
    main::ok_item($r, 0, 'Get');
    cmp_ok($main::kp->count, '<=', 3, 'Get: ' . $main::kp->count . ' calls');
}

=== TEST 3: unknown objects, and Destroy refused while Active
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    my $r = kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Get', payload => [ main::uid_item(
              '00000000-0000-4000-8000-000000000000') ] }));
    my @bi = kmip_find_all($r, 'Batch Item');
    is(kmip_value($bi[0], 'Result Reason'), 1, 'Item Not Found');

    $r = kmip_roundtrip($port, main::vc_req('1.4', undef, main::create_aes()));
    my $uid = kmip_value(main::ok_item($r, 0, 'Create'),
                         'Response Payload', 'Unique Identifier');
    $r = kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Activate', payload => [ main::uid_item($uid) ] }));
    main::ok_item($r, 0, 'Activate');
    $r = kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Destroy', payload => [ main::uid_item($uid) ] }));
    @bi = kmip_find_all($r, 'Batch Item');
    is(kmip_value($bi[0], 'Result Status'), 1, 'Destroy of an Active key fails');
    # KMIP 1.4 11.22: Permission Denied (1.x has no Wrong Key Lifecycle State)
    is(kmip_value($bi[0], 'Result Reason'), 0x0c, 'Permission Denied');
}
