# Key Protect and IAM over HTTPS, with certificate verification: a trusted
# CA works end to end; an untrusted one fails closed with a log line that
# says so; plain http is refused for an address that is not loopback.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;

$SIG{PIPE} = 'IGNORE';

my $certs = cert_dir();
cert_path("server.crt");     # generates the per-run certificates
our $kp = Test::KPEmulator->start(dir => servroot() . '-kp',
                                  tls => [ "$certs/server.crt",
                                           "$certs/server.key" ]);
like($kp->url, qr{^https://}, 'the emulator serves HTTPS');

sub kp_conf {
    my ($ca) = @_;
    return "kmip;\n    " . $kp->nginx_conf
         . "\n    kmip_keyprotect_ssl_trusted_certificate $ca;";
}

# trusted: the CA that signed the emulator's certificate
my $n = start_nginx(stream_server_config => kp_conf("$certs/ca.crt"));
my @bi = op_req($n->port, '1.4', create_aes('1.4', 256));
my $uid = uid_of(op_ok($bi[0], 'Create over HTTPS'));
@bi = op_req($n->port, '1.4', { operation => 'Get',
                                payload => [ ops_uid($uid) ] });
op_ok($bi[0], 'Get over HTTPS');
is(length(kmip_value($bi[0], 'Response Payload', 'Symmetric Key',
                     'Key Block', 'Key Value', 'Key Material') // ''),
   32, 'the key material');
$n->stop;

# untrusted: another CA; the call fails, nothing is created
my $before = scalar @{ $kp->keys->{keys} || $kp->keys || [] };
$n = start_nginx(stream_server_config => kp_conf("$certs/other-ca.crt"));
@bi = op_req($n->port, '1.4', create_aes('1.4', 256));
is(kmip_value($bi[0], 'Result Status'), 1, 'Create fails');
ok(!defined uid_of($bi[0]), 'no Unique Identifier');
$n->stop;
like($n->error_log_text, qr/certificate/i,
     'the error log names the certificate problem');
my $after = scalar @{ $kp->keys->{keys} || $kp->keys || [] };
is($after, $before, 'no key created in Key Protect');

# plain http to an address that is not loopback is refused by nginx -t
my $conf = "kmip;\n    kmip_keyprotect_url http://192.0.2.1:8080;\n"
         . "    kmip_keyprotect_instance x;\n"
         . "    kmip_keyprotect_root_key y;\n"
         . "    kmip_iam_url http://192.0.2.1:8080;\n"
         . "    kmip_iam_api_key_file " . $kp->api_key_file . ";";
my $ok = eval { start_nginx(stream_server_config => $conf)->stop; 1 };
ok(!$ok, 'plain http to a non-loopback address is refused');
like($@, qr/kmip_keyprotect_url|http/, 'naming the directive') or diag($@);

done_testing();
