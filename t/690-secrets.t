# Secrets never reach a log: a realistic session at error_log debug
# (creates, registers, gets, a token refresh after a 401, failing Key
# Protect calls), then every log it produced is searched for the API key,
# bearer tokens and the bytes of every key, in hex and base64.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use MIME::Base64 qw(encode_base64);

my $dir = servroot() . '-secrets';
my $kp = Test::KPEmulator->start(dir => $dir);

my $n = start_nginx(
    stream_config => "log_format kmip '\$remote_addr \$kmip_requests "
                   . "\$kmip_last_operation \$kmip_last_result "
                   . "\$kmip_client_fingerprint';\n"
                   . "    access_log logs/access.log kmip;",
    stream_server_config => "kmip;\n    " . $kp->nginx_conf
                   . "\n    kmip_audit_log logs/audit.log json;",
    log_level => 'debug');
my $port = $n->port;

my (@material, @uids);

for my $v ('1.4', '2.0') {
    my @bi = op_req($port, $v, create_aes($v, 256));
    push @uids, uid_of(op_ok($bi[0], "create at $v"));
}

# a key whose bytes the test chose
my $known = join '', map { chr(0xa0 + $_) } 0 .. 31;
my @bi = op_req($port, '1.4', register_aes('1.4', $known));
push @uids, uid_of(op_ok($bi[0], 'register'));

sub get_material {
    my ($uid, $what) = @_;
    my @bi = op_req($port, '1.4', { operation => 'Get',
                                    payload => [ ops_uid($uid) ] });
    op_ok($bi[0], $what);
    return kmip_value($bi[0], 'Response Payload', 'Symmetric Key',
                      'Key Block', 'Key Value', 'Key Material');
}

push @material, get_material($_, "get $_") for @uids;
is(scalar(grep { defined && length == 32 } @material), 3, 'three keys');
ok(grep({ $_ eq $known } @material), 'the registered key came back');

# private keys: a pair made by the server, its private half served in
# three formats, and a Sign with it; what is searched for below is the
# DER of each and slices from their middle (the private exponent's bytes),
# since a DER's first bytes are the same for every key
my @private;
@bi = op_req($port, '1.4', { operation => 'Create Key Pair', payload => [
    S('Common Template-Attribute', [
        a1('Cryptographic Algorithm', E('Cryptographic Algorithm', 'RSA')),
        a1('Cryptographic Length', I('Cryptographic Length', 2048)) ]),
    S('Private Key Template-Attribute', [
        a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask', 1)),
        a1('Activation Date', DT('Activation Date', time - 60)) ]),
    S('Public Key Template-Attribute', [
        a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask', 2)) ]) ]
});
my $priv = kmip_value(op_ok($bi[0], 'an RSA key pair'), 'Response Payload',
                      'Private Key Unique Identifier');
for my $kft ('PKCS_8', 'PKCS_1') {
    @bi = op_req($port, '1.4', { operation => 'Get', payload => [
        ops_uid($priv), E('Key Format Type', $kft) ] });
    push @private, kmip_value(op_ok($bi[0], "the private key as $kft"),
                              'Response Payload', 'Private Key', 'Key Block',
                              'Key Value', 'Key Material');
}
@bi = op_req($port, '1.4', { operation => 'Get', payload => [
    ops_uid($priv), E('Key Format Type', 'Transparent RSA Private Key') ] });
push @private, kmip_value(op_ok($bi[0], 'the private key, transparent'),
                          'Response Payload', 'Private Key', 'Key Block',
                          'Key Value', 'Key Material', 'Private Exponent');
@bi = op_req($port, '1.4', { operation => 'Sign', payload => [
    ops_uid($priv), S('Cryptographic Parameters', [
        E('Padding Method', 'PKCS1 v1.5'),
        E('Hashing Algorithm', 'SHA-256') ]),
    B('Data', 'a message') ] });
op_ok($bi[0], 'a signature with it');
is(scalar(grep { defined && length > 200 } @private), 3,
   'the private key in three forms');

# a token that Key Protect no longer accepts: one refresh, then success
$kp->expire_tokens;
get_material($uids[0], 'get after the tokens expired');

# Key Protect failing: the errors are logged, with no secret in them
$kp->fault({ method => 'POST', path => 'unwrap', status => 500,
             count => 10 });
@bi = op_req($port, '1.4', { operation => 'Get',
                             payload => [ ops_uid($uids[1]) ] });
is(kmip_value($bi[0], 'Result Status'), 1, 'a failing unwrap fails the Get');
$kp->clear_faults;

$n->stop;
$kp->stop;

my %logs;
for my $f (glob($n->prefix . '/logs/*.log'), glob("$dir/*.log")) {
    open my $fh, '<', $f or next;
    local $/;
    $logs{$f} = <$fh>;
}

ok(exists $logs{$n->prefix . '/logs/error.log'}, 'error.log read');
ok(exists $logs{$n->prefix . '/logs/audit.log'}, 'audit.log read');
like($logs{$n->prefix . '/logs/error.log'}, qr/\[debug\]/,
     'the error log is at debug level');
like($logs{$n->prefix . '/logs/error.log'}, qr/unwrap/,
     'the failing call is logged');

my %secret = (
    'the API key' => $kp->api_key,
    'a bearer token (JWT)' => 'eyJ',
    'an Authorization header' => 'Bearer ',
);

for my $i (0 .. $#material) {
    my $m = $material[$i];
    $secret{"key $i in hex"} = unpack('H*', $m);
    $secret{"key $i in HEX"} = uc unpack('H*', $m);
    $secret{"key $i in base64"} = encode_base64($m, '');
    # the first bytes alone, as a partial dump would show them
    $secret{"key $i, 8 bytes in hex"} = unpack('H*', substr($m, 0, 8));
}

for my $i (0 .. $#private) {
    my $m = $private[$i] // next;
    my $mid = substr($m, int(length($m) / 2), 16);
    $secret{"private key form $i in base64"} = encode_base64($m, '');
    $secret{"private key form $i, 16 bytes in hex"} = unpack('H*', $mid);
    $secret{"private key form $i, 16 bytes in HEX"} = uc unpack('H*', $mid);
}

for my $f (sort keys %logs) {
    for my $what (sort keys %secret) {
        ok(index($logs{$f}, $secret{$what}) < 0,
           "no $what in " . ($f =~ s{.*/}{}r));
    }
}

done_testing();
