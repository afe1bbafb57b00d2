# The operator's actions on the CRK in Key Protect: rotation (keys keep
# being served, new keys and rewritten records use the newest version),
# deletion and disabling (every Get and Get Attributes fails, reversibly
# with restore / enable), the bound kmip_key_cache puts on revocation, and
# the bound on attribute-only reads that do not unwrap while the root key
# is known usable (docs/key-protect.md#the-root-keys-liveness).

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::VCenter qw(vc_req create_aes);
use JSON::PP qw(decode_json);
use MIME::Base64 qw(decode_base64);
use Time::HiRes qw(sleep);

our $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
$ENV{TEST_NGINX_KP} = $kp->nginx_conf;

sub uid_item { T('Unique Identifier', $_[0]) }

sub item {
    my ($r, $n) = @_;
    return (kmip_find_all($r, 'Batch Item'))[$n];
}

sub create {
    my ($port) = @_;
    my $r = kmip_roundtrip($port, vc_req('1.4', undef, create_aes()));
    my $bi = item($r, 0);
    Test::More::is(kmip_value($bi, 'Result Status'), 0, 'Create')
        or Test::More::diag(kmip_value($bi, 'Result Message'));
    return kmip_value($bi, 'Response Payload', 'Unique Identifier');
}

# [status, reason, material or state]
sub get {
    my ($port, $uid) = @_;
    my $bi = item(kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Get', payload => [ uid_item($uid) ] })), 0);
    return [ kmip_value($bi, 'Result Status'), kmip_value($bi, 'Result Reason'),
             kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                        'Key Value', 'Key Material'),
             kmip_value($bi, 'Result Message') ];
}

sub get_state {
    my ($port, $uid) = @_;
    my $bi = item(kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Get Attributes',
          payload => [ uid_item($uid), T('Attribute Name', 'State') ] })), 0);
    return [ kmip_value($bi, 'Result Status'), kmip_value($bi, 'Result Reason'),
             kmip_value($bi, 'Response Payload', 'Attribute',
                        'Attribute Value') ];
}

sub add_attr {
    my ($port, $uid, $name, $value) = @_;
    my $bi = item(kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Add Attribute',
          payload => [ uid_item($uid),
                       S('Attribute', [ T('Attribute Name', $name),
                                        T('Attribute Value', $value) ]) ] })), 0);
    return kmip_value($bi, 'Result Status');
}

# the live Key Protect key of a KMIP object
sub kp_key {
    my ($uid) = @_;
    my $r = $main::kp->kp_call('GET',
        "keys?search=exact:name:kmip-$uid&state=0,1,2,3");
    my @k = @{ $r->{body}{resources} || [] };
    return undef unless @k;
    return $main::kp->kp_call('GET', "keys/$k[0]{id}")->{body}{resources}[0];
}

# the CRK version that wrapped an object's material (from its record)
sub wrap_version {
    my ($uid) = @_;
    my $key = kp_key($uid) or return undef;
    my $rec = decode_base64($key->{payload});
    $rec =~ /(eyJ[A-Za-z0-9+\/=]+)/ or return undef;
    return decode_json(decode_base64($1))->{handle};
}

sub crk_versions {
    my $crk = $main::kp->root_key;
    my $r = $main::kp->kp_call('GET', "keys/$crk/versions");
    return map { $_->{id} } @{ $r->{body}{resources} || [] };
}

sub crk {
    my ($method, $action) = @_;
    my $crk = $main::kp->root_key;
    return $main::kp->kp_call($method, "keys/$crk$action", {})->{status};
}

# a new key and its material, for a CRK outage
sub key_and_material {
    my ($port) = @_;
    my $k = create($port);
    return ($k, get($port, $k)->[2]);
}

# after the outage: the key is served again with the same material
sub served_again {
    my ($port, $k, $m) = @_;
    my $g = get($port, $k);
    Test::More::is($g->[0], 0, 'Get works again');
    Test::More::is($g->[2], $m, 'same material');
}

run_tests();

__DATA__

=== TEST 1: CRK rotation: old keys served, new and rewritten keys use the newest version
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};

    my $k1 = main::create($port);
    my $g1 = main::get($port, $k1);
    is($g1->[0], 0, 'Get before the rotation');
    is(length $g1->[2], 32, '32 bytes');
    my ($v1) = main::crk_versions();
    is(main::wrap_version($k1), $v1, 'wrapped by the first version');

    is(main::crk('POST', '/actions/rotate'), 204, 'CRK rotated');
    my ($v2) = main::crk_versions();
    isnt($v2, $v1, 'a new CRK version');

    my $g = main::get($port, $k1);
    is($g->[0], 0, 'the old key is still served');
    is($g->[2], $g1->[2], 'with the same material');
    is(main::wrap_version($k1), $v1, 'a read does not rewrite the record');

    my $k2 = main::create($port);
    is(main::wrap_version($k2), $v2, 'a new key is wrapped by the new version');

    # an attribute change unwraps (and so learns the re-wrapped material)
    # once the root key was not used for the liveness bound
    sleep 6;
    is(main::add_attr($port, $k1, 'x-Name', 'vm-1'), 0, 'Add Attribute');
    is(main::wrap_version($k1), $v2,
       'the next write stores the material re-wrapped by the new version');
    $g = main::get($port, $k1);
    is($g->[2], $g1->[2], 'same material after the re-wrap');

    $kp->clear_requests;
    main::get($port, $k1);
    my @unwrap = $kp->requests(path => qr{/actions/unwrap$});
    is(scalar @unwrap, 1, 'one unwrap');
}
--- error_log
is wrapped by an older root key version
--- no_error_log
[error]


=== TEST 2: CRK deleted: Get and Get Attributes fail at once; restored: served again
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};

    my ($k, $m) = main::key_and_material($port);
    is(main::get_state($port, $k)->[0], 0, 'Get Attributes before');

    is(main::crk('DELETE', '?force=true'), 204, 'CRK deleted');

    my $g = main::get($port, $k);
    is($g->[0], 1, 'Get fails');
    is($g->[1], 0x100, 'General Failure');
    like($g->[3], qr/root key/, 'the message names the root key');
    my $s = main::get_state($port, $k);
    is($s->[0], 1, 'Get Attributes fails too');
    is(main::add_attr($port, $k, 'x-Name', 'x'), 1, 'so does a change');

    is(main::crk('POST', '/restore'), 201, 'CRK restored');
    main::served_again($port, $k, $m);
    is(main::get_state($port, $k)->[2], 1, 'Get Attributes works again');
}
--- error_log
root key deleted (KEY_DELETED_ERR, 410)


=== TEST 3: CRK disabled: the same, reversibly
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};

    my ($k, $m) = main::key_and_material($port);

    is(main::crk('POST', '/actions/disable'), 204, 'CRK disabled');
    is(main::get($port, $k)->[0], 1, 'Get fails');
    is(main::get_state($port, $k)->[0], 1, 'Get Attributes fails');
    my $c = kmip_roundtrip($port,
        main::vc_req('1.4', undef, main::create_aes()));
    is(kmip_value(main::item($c, 0), 'Result Status'), 1, 'Create fails');

    is(main::crk('POST', '/actions/enable'), 204, 'CRK enabled');
    main::served_again($port, $k, $m);
    is(main::get_state($port, $k)->[0], 0, 'Get Attributes works again');
}
--- error_log
root key not active (KEY_ACTION_INVALID_STATE_ERR, 409)


=== TEST 4: kmip_key_cache: no Key Protect call on a hit; the ttl bounds revocation
--- stream_server_config
    kmip;
    kmip_key_cache zone=kc:1m ttl=2s;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};

    my ($k, $m) = main::key_and_material($port);
    # the first Get wrote Fresh = False, a change, which dropped the entry:
    # this one caches the object again
    main::get($port, $k);

    $kp->clear_requests;
    my $g = main::get($port, $k);
    is($g->[2], $m, 'cached Get');
    is(main::get_state($port, $k)->[2], 1, 'cached Get Attributes');
    is($kp->count, 0, 'no Key Protect call');

    # a change through this node is seen at once
    is(main::add_attr($port, $k, 'x-Name', 'vm-7'), 0, 'Add Attribute');
    my $bi = main::item(kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Get Attributes',
          payload => [ main::uid_item($k), T('Attribute Name', 'x-Name') ] })), 0);
    is(kmip_value($bi, 'Response Payload', 'Attribute', 'Attribute Value'),
       'vm-7', 'the change is visible at once');

    main::get($port, $k);       # cached again
    my $t0 = time;
    is(main::crk('DELETE', '?force=true'), 204, 'CRK deleted');
    $g = main::get($port, $k);
    if (time - $t0 < 1.5) {
        is($g->[0], 0, 'served from the cache within the ttl');
    } else {
        pass('too slow to see the cache within the ttl');
    }

    sleep 2.2;
    $g = main::get($port, $k);
    is($g->[0], 1, 'fails once the ttl has passed');
    is(main::get_state($port, $k)->[0], 1, 'Get Attributes too');

    is(main::crk('POST', '/restore'), 201, 'CRK restored');
    is(main::get($port, $k)->[2], $m, 'served again');
}
--- error_log
root key deleted
--- no_error_log
[alert]


=== TEST 5: kmip_key_cache: an answer saying the CRK is gone wipes every entry
--- stream_server_config
    kmip;
    kmip_key_cache zone=kc:1m ttl=60s;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};

    my $a = main::create($port);
    my $b = main::create($port);
    # the first Get writes Fresh = False, which drops the entry
    is(main::get($port, $a)->[0], 0, 'A served');
    is(main::get($port, $a)->[0], 0, 'A read, so cached');

    is(main::crk('DELETE', '?force=true'), 204, 'CRK deleted');
    is(main::get($port, $a)->[0], 0, 'A still served from the cache');
    is(main::get($port, $b)->[0], 1, 'B (not cached) fails');
    is(main::get($port, $a)->[0], 1,
       'and that failure wiped A from the cache, long before its ttl');
    is(main::crk('POST', '/restore'), 201, 'CRK restored');
}
--- error_log
the root key is unusable, 1 cached keys wiped


=== TEST 6: attribute-only reads stop within the root key's liveness bound
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};

    my ($k, $m) = main::key_and_material($port);
    $kp->clear_requests;
    is(main::get_state($port, $k)->[0], 0, 'Get Attributes');
    is($kp->count(path => qr{/actions/unwrap$}), 0,
       'no unwrap: the Get just proved the root key usable');

    # the CRK deleted: Get fails at once; an attribute-only read may still
    # be answered, for at most 5 seconds after the node last used the CRK
    # (6 with the clock's second)
    my $used = Time::HiRes::time();
    is(main::crk('DELETE', '?force=true'), 204, 'CRK deleted');
    my ($last_ok, $first_fail);
    while (Time::HiRes::time() - $used < 8) {
        my $s = main::get_state($port, $k);
        if ($s->[0] == 0) {
            $last_ok = Time::HiRes::time() - $used;
        } else {
            $first_fail //= Time::HiRes::time() - $used;
            last;
        }
        sleep 0.2;
    }
    ok(defined $first_fail, 'Get Attributes fails in the end');
    Test::More::note(sprintf 'last answered %.2f s, first refused %.2f s '
                     . 'after the last use of the CRK',
                     $last_ok // 0, $first_fail // -1);
    cmp_ok($last_ok // 0, '<', 6, 'never answered 6 s after the last use');
    ok(!defined $last_ok || $first_fail - $last_ok < 0.5,
       'and refused from then on');
    is(main::get_state($port, $k)->[0], 1, 'still refused');
    is(main::add_attr($port, $k, 'x-Name', 'x'), 1, 'so is a change');
    is(main::get($port, $k)->[0], 1, 'and Get');

    is(main::crk('POST', '/restore'), 201, 'CRK restored');
    main::served_again($port, $k, $m);
    is(main::get_state($port, $k)->[0], 0, 'Get Attributes works again');
}
--- error_log
root key deleted (KEY_DELETED_ERR, 410)
