# tools/kmip-keys: the operator's list of KMIP keys (Locate + Get
# Attributes through PyKMIP), table and JSON.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::VCenter qw(create_aes);
use JSON::PP qw(decode_json);

our $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
$ENV{TEST_NGINX_KP} = $kp->nginx_conf;

sub req {
    my ($version, @items) = @_;
    my $i = 0;
    return kmip_request(version => $version,
                        items => [ map { { %$_, ubi => 'K1' . pack('V', ++$i) } }
                                   @items ]);
}

sub add {
    my ($uid, $name, $value) = @_;
    return { operation => 'Add Attribute',
             payload => [ T('Unique Identifier', $uid),
                          S('Attribute', [ T('Attribute Name', $name),
                                           T('Attribute Value', $value) ]) ] };
}

# a vCenter-like key: created, tagged, activated
sub vm_key {
    my ($port, $name, $id, $component, $activate) = @_;
    my $r = kmip_roundtrip($port, req('1.1', create_aes()));
    my $uid = kmip_value($r, 'Batch Item', 'Response Payload',
                         'Unique Identifier');
    kmip_roundtrip($port, req('1.1', add($uid, 'x-Name', $name),
                              add($uid, 'x-Identifier', $id),
                              add($uid, 'x-Component', $component),
                              $activate
                              ? ({ operation => 'Activate',
                                   payload => [ T('Unique Identifier', $uid) ] })
                              : ()));
    return $uid;
}

sub tool {
    my @args = @_;
    my $certs = cert_dir();
    my $port = current_vars()->{TEST_NGINX_PORT};
    return scalar `/usr/bin/python3 tools/kmip-keys --host 127.0.0.1 --port $port \\
        --cert $certs/client.crt --key $certs/client.key --ca $certs/ca.crt \\
        --server-name localhost @args 2>&1`;
}

run_tests();

__DATA__

=== TEST 1: every key with its state, dates and x- attributes
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};

    my $a = main::vm_key($port, 'vm-alpha', '5003aaaa', 'vm', 1);
    my $b = main::vm_key($port, 'vm-beta', '5003bbbb', 'disk-0', 0);

    my $out = main::tool('--json');
    my $j = eval { decode_json($out) };
    ok($j, 'JSON') or diag($out);
    my %k = map { $_->{uid} => $_ } @{ $j || [] };
    is(scalar keys %k, 2, 'two keys');
    is($k{$a}{x_name}, 'vm-alpha', 'x-Name');
    is($k{$a}{x_identifier}, '5003aaaa', 'x-Identifier');
    is($k{$a}{x_component}, 'vm', 'x-Component');
    is($k{$a}{state}, 'ACTIVE', 'Active');
    like($k{$a}{activation_date}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
         'Activation Date');
    like($k{$a}{initial_date}, qr/^\d{4}-/, 'Initial Date');
    is($k{$b}{state}, 'PRE_ACTIVE', 'Pre-Active');
    is($k{$b}{x_component}, 'disk-0', 'x-Component of the other');
    ok(!grep({ /material|key_hex/ } map { keys %$_ } values %k),
       'no key material');

    $out = main::tool();
    like($out, qr/^UID\s+STATE\s+CREATED\s+ACTIVATED\s+DEACTIVATED\s+X-NAME/m,
         'table header');
    like($out, qr/^\Q$a\E\s+ACTIVE\s+\S+\s+\S+\s+-\s+vm-alpha\s+5003aaaa\s+vm$/m,
         'table row');

    $out = main::tool('--json', '--name-like', 'beta');
    $j = eval { decode_json($out) } || [];
    is(scalar @$j, 1, '--name-like filters');
    is($j->[0]{uid}, $b, 'the beta key');
}
--- no_error_log
[alert]
