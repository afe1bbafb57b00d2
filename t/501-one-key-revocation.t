# The operator revokes one KMIP key: deleting its Key Protect key destroys
# that object only, for good (nothing recreates it); KMIP Revoke + Destroy
# do the same through the protocol, Destroy being refused while Active.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::VCenter qw(vc_req create_aes);

our $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
$ENV{TEST_NGINX_KP} = $kp->nginx_conf;

sub uid_item { T('Unique Identifier', $_[0]) }

sub one {
    my ($port, $version, $item) = @_;
    my $r = kmip_roundtrip($port, vc_req($version, undef, $item));
    my $bi = (kmip_find_all($r, 'Batch Item'))[0];
    return { status => kmip_value($bi, 'Result Status'),
             reason => kmip_value($bi, 'Result Reason'),
             message => kmip_value($bi, 'Result Message'), item => $bi };
}

sub create {
    my ($port) = @_;
    my $a = one($port, '1.4', create_aes());
    return kmip_value($a->{item}, 'Response Payload', 'Unique Identifier');
}

sub op { my ($port, $op, $uid, $v) = @_;
         one($port, $v // '1.4', { operation => $op,
                                    payload => [ uid_item($uid) ] }) }

sub state {
    my ($port, $uid) = @_;
    my $a = one($port, '1.4', { operation => 'Get Attributes',
        payload => [ uid_item($uid), T('Attribute Name', 'State') ] });
    return kmip_value($a->{item}, 'Response Payload', 'Attribute',
                      'Attribute Value');
}

sub kp_keys {
    my ($uid, $states) = @_;
    my $r = $main::kp->kp_call('GET',
        "keys?search=exact:name:kmip-$uid&state=" . ($states // '0,1,2,3'));
    return @{ $r->{body}{resources} || [] };
}

# every block: a KMIP server keeping its keys in the emulator
block_default(stream_server_config => "    kmip;\n    \$TEST_NGINX_KP\n");

run_tests();

__DATA__

=== TEST 1: deleting one object's Key Protect key destroys that object only, for good
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};

    my $k1 = main::create($port);
    my $k2 = main::create($port);
    is(main::op($port, 'Activate', $k1)->{status}, 0, 'Activate k1');
    is(main::op($port, 'Get', $k1)->{status}, 0, 'Get k1');

    my @k = main::kp_keys($k1);
    is(scalar @k, 1, 'one live Key Protect key for k1');
    is($kp->kp_call('DELETE', "keys/$k[0]{id}")->{status}, 204,
       'the operator deletes it');

    my $g = main::op($port, 'Get', $k1);
    is($g->{status}, 1, 'Get k1 fails');
    is($g->{reason}, 1, '1.4: Item Not Found');
    is(main::op($port, 'Get', $k1, '2.0')->{reason}, 0x36,
       '2.0: Object Destroyed');
    is(main::state($port, $k1), 5, 'State reads Destroyed');

    is(main::op($port, 'Get', $k2)->{status}, 0, 'k2 is not affected');

    my $a = main::one($port, '1.4', { operation => 'Add Attribute',
        payload => [ main::uid_item($k1),
                     S('Attribute', [ T('Attribute Name', 'x-Name'),
                                      T('Attribute Value', 'again') ]) ] });
    is($a->{status}, 1, 'a change of k1 is refused');
    is(main::op($port, 'Activate', $k1)->{status}, 1, 'so is Activate');
    is(scalar main::kp_keys($k1), 0, 'nothing recreated k1 in Key Protect');
    is(main::state($port, $k1), 5, 'still Destroyed');
}
--- no_error_log
[alert]


=== TEST 2: KMIP Revoke then Destroy; Destroy refused while Active
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};

    my $k = main::create($port);
    is(main::op($port, 'Activate', $k)->{status}, 0, 'Activate');

    my $d = main::op($port, 'Destroy', $k);
    is($d->{status}, 1, 'Destroy of an Active key is refused');
    is($d->{reason}, 0x0C, '1.4: Permission Denied (as t/302 and the profiles)');
    is(scalar main::kp_keys($k), 1, 'its Key Protect key is still live');

    my $r = main::one($port, '1.4', { operation => 'Revoke', payload => [
        main::uid_item($k),
        S('Revocation Reason', [ E('Revocation Reason Code', 5) ]) ] });
    is($r->{status}, 0, 'Revoke (Cessation of Operation)')
        or diag($r->{message});
    is(main::state($port, $k), 3, 'Deactivated');

    is(main::op($port, 'Destroy', $k)->{status}, 0, 'Destroy after Revoke');
    is(scalar main::kp_keys($k), 0, 'no live Key Protect key left');
    is(main::state($port, $k), 5, 'Destroyed');
    is(main::op($port, 'Get', $k)->{status}, 1, 'Get fails');
}
--- no_error_log
[alert]
