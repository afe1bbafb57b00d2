# The key material Key Protect unwraps is checked against the object's
# Digest: an unwrap that answers other bytes of the right length (a fault,
# or a hostile endpoint) fails the Get, is logged without the bytes, and is
# never served as the key.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::TTLV;
use KMIP::Ops;
use MIME::Base64 qw(encode_base64);

plan tests => 17;

my $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
my $n = start_nginx(stream_server_config => "kmip;\n    " . $kp->nginx_conf);
my $port = $n->port;

sub get_key {
    my ($uid) = @_;
    my @bi = op_req($port, '1.4', { operation => 'Get',
                                    payload => [ ops_uid($uid) ] });
    return $bi[0];
}

my @bi = op_req($port, '1.4', create_aes('1.4', 256));
my $uid = uid_of(op_ok($bi[0], 'created'));

my $good = kmip_value(get_key($uid), 'Response Payload', 'Symmetric Key',
                      'Key Block', 'Key Value', 'Key Material');
is(length($good // ''), 32, 'a Get serves the 32 bytes');

# the unwrap answers 32 other bytes, well-formed
my $other = join '', map { chr(0x5a ^ $_) } 0 .. 31;
$other = join '', map { chr(0x33) } 0 .. 31 if $other eq $good;
$kp->fault({ method => 'POST', path => '/actions/unwrap$', status => 200,
             body => '{"plaintext":"' . encode_base64($other, '')
                     . '","keyVersion":{"id":"' . $kp->root_key . '"}}' });

my $r = get_key($uid);
is(kmip_value($r, 'Result Status'), 1, 'the Get fails');
like(kmip_value($r, 'Result Message') // '', qr/Digest/,
     'the Result Message says the material does not match its Digest');
ok(!defined kmip_value($r, 'Response Payload', 'Symmetric Key',
                       'Key Block', 'Key Value', 'Key Material'),
   'no key material in the answer');

my $log = $n->error_log_text;
like($log, qr/\[error\].*does not match its Digest/,
     'an error line names the mismatch');
for my $b ([ 'served', $good ], [ 'answered', $other ]) {
    ok(index($log, unpack('H*', $b->[1])) < 0
       && index($log, encode_base64($b->[1], '')) < 0,
       "the $b->[0] bytes are not in the log");
}

# Get Attributes reads no material, and unwraps only once the root key
# was not used for 5 seconds (docs/key-protect.md#the-root-keys-liveness):
# at once it answers the attributes; past the bound it unwraps, and fails
# closed as well
@bi = op_req($port, '1.4', { operation => 'Get Attributes',
                             payload => [ ops_uid($uid) ] });
is(kmip_value($bi[0], 'Result Status'), 0,
   'Get Attributes right after: no unwrap, the attributes');
select(undef, undef, undef, 6.2);
@bi = op_req($port, '1.4', { operation => 'Get Attributes',
                             payload => [ ops_uid($uid) ] });
is(kmip_value($bi[0], 'Result Status'), 1,
   'Get Attributes past the bound unwraps: it fails as well');

# the same bytes from a genuine unwrap are served again
$kp->clear_faults;
$r = get_key($uid);
is(kmip_value($r, 'Result Status'), 0, 'without the fault the Get succeeds');
is(kmip_value($r, 'Response Payload', 'Symmetric Key', 'Key Block',
              'Key Value', 'Key Material'), $good, 'with the same bytes');

# a private key's Digest is over its PKCS#1 form (RSA): an unwrap that
# answers other bytes of its length fails the Get as well
@bi = op_req($port, '1.4', { operation => 'Create Key Pair', payload => [
    S('Common Template-Attribute', [
        a1('Cryptographic Algorithm', E('Cryptographic Algorithm', 'RSA')),
        a1('Cryptographic Length', I('Cryptographic Length', 2048)) ]),
    S('Private Key Template-Attribute', [
        a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask', 1)) ]),
    S('Public Key Template-Attribute', [
        a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask', 2)) ]) ]
});
my $priv = kmip_value(op_ok($bi[0], 'a key pair'), 'Response Payload',
                      'Private Key Unique Identifier');
my $der = kmip_value(get_key($priv), 'Response Payload', 'Private Key',
                     'Key Block', 'Key Value', 'Key Material');
ok(length($der // '') > 1000, 'its private key served, as PKCS#8');

my $bent = $der;
substr($bent, -40, 8) = 'A' x 8;
$kp->fault({ method => 'POST', path => '/actions/unwrap$', status => 200,
             body => '{"plaintext":"' . encode_base64($bent, '')
                     . '","keyVersion":{"id":"' . $kp->root_key . '"}}' });
$r = get_key($priv);
is(kmip_value($r, 'Result Status'), 1, 'other bytes for the private key: '
   . 'the Get fails');
ok(!defined kmip_value($r, 'Response Payload', 'Private Key'),
   'no key in the answer');
$kp->clear_faults;
is(kmip_value(get_key($priv), 'Response Payload', 'Private Key', 'Key Block',
              'Key Value', 'Key Material'), $der,
   'without the fault, the same private key');

$n->stop;
