# Certify (KMIP 1.4 4.7, 2.1 6.1.6) with the CA kmip_ca_certificate names,
# on Key Protect, in 1.4 and 2.1: a key pair made by the server, a PKCS#10
# request for it made by openssl from its private key, certified; the
# certificate verified by openssl against the CA, its subject and dates,
# the links between it and the Public Key; a request alone; a forged one.
# Re-certify (1.4 4.8, 2.1 6.1.45) of that certificate: a new one openssl
# verifies, for the same key, with its Name and links moved; a server
# without a CA neither runs nor lists them; and an http location with its
# own CA certifies over HTTPS where another location of the same server
# does not.

use strict;
use warnings;
use lib 't/lib';
use File::Temp qw(tempdir);
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use KMIP::Reasons;
use KMIP::TTLV qw(ttlv_decode);

my $certs = cert_dir();
my $kp = suite_kp();
my $ca = kp_node(name => 'ca', kmip => [
    "kmip_ca_certificate $certs/other-ca.crt;",
    "kmip_ca_certificate_key $certs/other-ca.key;",
    'kmip_ca_validity 30d;' ]);
my $plain = kp_node(name => 'no-ca');
my $tmp = tempdir(CLEANUP => 1);

sub one { op_one($ca->port, @_) }

sub container {
    my ($v, $what, @a) = @_;
    return $v =~ /^2/
        ? S("$what Attributes", [ @a ])
        : S("$what Template-Attribute", [ map { attr_in($v, $_) } @a ]);
}

sub file_of { my ($n, $bytes) = @_; my $f = "$tmp/$n";
              open my $fh, '>:raw', $f or die "$f: $!"; print $fh $bytes;
              close $fh; return $f }

sub slurp { my $f = shift; open my $fh, '<:raw', $f or die "$f: $!";
            local $/; my $b = <$fh>; return $b }

sub openssl { my $out = qx(openssl @_ 2>&1); return ($? == 0, $out) }

# an RSA pair made by the server, and a request for it made by openssl
sub pair_and_request {
    my ($v, $cn) = @_;
    my $bi = op_ok(one($v, 'Create Key Pair',
        container($v, 'Common', E('Cryptographic Algorithm', 'RSA'),
                  I('Cryptographic Length', 2048)),
        container($v, 'Private Key', I('Cryptographic Usage Mask', 1)),
        container($v, 'Public Key', I('Cryptographic Usage Mask', 2))),
        "$v Create Key Pair");
    my $priv = kmip_value($bi, 'Response Payload',
                          'Private Key Unique Identifier');
    my $pub = kmip_value($bi, 'Response Payload',
                         'Public Key Unique Identifier');
    $bi = op_ok(one($v, 'Get', ops_uid($priv),
                    E('Key Format Type', 'PKCS_8')), "$v Get of the key");
    my $der = kmip_value($bi, 'Response Payload', 'Private Key',
                         'Key Block', 'Key Value', 'Key Material');
    my $key = file_of("$cn.key.der", $der);
    my ($ok, $out) = openssl("req -new -key $key -keyform DER -subj "
                             . "/O=ngx_kmip/CN=$cn -outform DER "
                             . "-out $tmp/$cn.csr");
    ok($ok, "$v openssl makes a request for the key") or diag($out);
    return ($pub, slurp("$tmp/$cn.csr"));
}

sub certify {
    my ($port, $v, $csr, @uid) = @_;
    return op_one($port, $v, 'Certify', @uid,
                  E('Certificate Request Type', 'PKCS_10'),
                  B($v =~ /^2/ ? 'Certificate Request Value'
                               : 'Certificate Request', $csr));
}

# the certificate's DER, checked by openssl against the CA
sub verified {
    my ($v, $uid, $cn) = @_;
    my $bi = op_ok(one($v, 'Get', ops_uid($uid)), "$v Get of the certificate");
    my $der = kmip_value($bi, 'Response Payload', 'Certificate',
                         'Certificate Value');
    my $f = file_of("$cn.crt.der", $der);
    my ($ok, $out) = openssl("x509 -inform DER -in $f -out $f.pem");
    ($ok, $out) = openssl("verify -CAfile $certs/other-ca.crt $f.pem")
        if $ok;
    ok($ok, "$v openssl verifies it against the CA") or diag($out);
    (undef, $out) = openssl("x509 -in $f.pem -noout -subject -enddate "
                            . "-ext basicConstraints");
    like($out, qr/CN\s*=\s*\Q$cn\E/, "$v: the request's subject");
    like($out, qr/CA:FALSE/, "$v: not a CA");
    my ($end) = $out =~ /notAfter=(.+)/;
    (undef, my $days) = openssl("x509 -in $f.pem -noout -checkend "
                                . 29 * 86400);
    like($days, qr/will not expire/, "$v: valid for 30 days ($end)");
}

for my $v ('1.4', '2.1') {
    subtest "Certify in $v" => sub {
        my $cn = "array-$v";
        my ($pub, $csr) = pair_and_request($v, $cn);
        my $bi = op_ok(certify($ca->port, $v, $csr, ops_uid($pub)),
                       "$v Certify of the Public Key");
        my $cert = uid_of($bi);
        verified($v, $cert, $cn);
        is_deeply([ grep { /CERTIFICATE_LINK/ }
                    @{ links_of(op_get_attrs($ca->port, $v, $pub,
                                             'Link')) } ],
                  [ "CERTIFICATE_LINK $cert" ],
                  "$v: the Public Key links to the certificate");
        is_deeply([ grep { /PUBLIC_KEY_LINK/ }
                    @{ links_of(op_get_attrs($ca->port, $v, $cert,
                                             'Link')) } ],
                  [ "PUBLIC_KEY_LINK $pub" ],
                  "$v: the certificate links to the Public Key");

        $bi = op_ok(certify($ca->port, $v, $csr), "$v Certify of a "
                                                  . "request alone");
        verified($v, uid_of($bi), $cn);

        my $forged = $csr;
        substr($forged, -1, 1) ^= "\x01";
        op_fail(certify($ca->port, $v, $forged, ops_uid($pub)),
                $v eq '1.4' ? R_INVALID_FIELD : 0x2f, "$v a forged request",
                qr/signature/);
    };
}

for my $v ('1.4', '2.1') {
    subtest "Re-certify in $v" => sub {
        my $cn = "renewed-$v";
        my ($pub, $csr) = pair_and_request($v, $cn);
        my $old = uid_of(op_ok(certify($ca->port, $v, $csr, ops_uid($pub)),
                               "$v Certify"));
        my $name = "cert-$v-$$";
        op_ok(one($v, 'Add Attribute', ops_uid($old),
                  $v =~ /^2/ ? S('New Attribute', [ op_name_item($name) ])
                             : attr_in($v, op_name_item($name))),
              "$v the certificate named");
        my $bi = op_ok(one($v, 'Re-certify', ops_uid($old)),
                       "$v Re-certify");
        my $new = uid_of($bi);
        isnt($new, $old, "$v: a new certificate");
        verified($v, $new, $cn);
        is_deeply(op_locate_name($ca->port, $v, $name), [ $new ],
                  "$v: the Name moved to it");
        is_deeply([ grep { /CERTIFICATE_LINK/ }
                    @{ links_of(op_get_attrs($ca->port, $v, $pub,
                                             'Link')) } ],
                  [ "CERTIFICATE_LINK $new" ],
                  "$v: the Public Key links to the new certificate only");
        is_deeply([ grep { /REPLACEMENT/ }
                    @{ links_of(op_get_attrs($ca->port, $v, $old,
                                             'Link')) } ],
                  [ "REPLACEMENT_OBJECT_LINK $new" ],
                  "$v: the old one to its replacement");
    };
}

subtest 'without a CA: neither run nor listed' => sub {
    my $bi = op_ok(op_one($plain->port, '2.1', 'Query',
                          E('Query Function', 1)), 'Query');
    my @ops = map { kmip_enum_name('Operation', $_->{value}) }
              kmip_find_all($bi, 'Response Payload', 'Operation');
    ok(!(grep { /CERTIFY/ } @ops), 'Query lists neither');
    op_fail(certify($plain->port, '2.1', 'x'), R_OP_NOT_SUPPORTED,
            'Certify is Operation Not Supported');
    op_fail(op_one($plain->port, '2.1', 'Re-certify', ops_uid('x')),
            R_OP_NOT_SUPPORTED, 'and Re-certify');
    $bi = op_ok(one('2.1', 'Query', E('Query Function', 1)), 'Query');
    @ops = map { kmip_enum_name('Operation', $_->{value}) }
           kmip_find_all($bi, 'Response Payload', 'Operation');
    ok((grep { $_ eq 'CERTIFY' } @ops) && (grep { $_ eq 'RE_CERTIFY' } @ops),
       'a server with a CA lists both');
};

subtest 'over HTTPS, in a location with its CA' => sub {
    my $kpconf = $kp->nginx_conf;
    my $h = start_nginx(name => 'https-ca', http_config => <<"EOF");
    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT2 ssl;
        ssl_certificate $certs/server.crt;
        ssl_certificate_key $certs/server.key;
        ssl_client_certificate $certs/ca.crt;
        ssl_verify_client on;
        $kpconf

        location = /kmip {
            kmip;
            kmip_ca_certificate $certs/other-ca.crt;
            kmip_ca_certificate_key $certs/other-ca.key;
        }

        location = /plain {
            kmip;
        }
    }
EOF
    my ($pub, $csr) = pair_and_request('2.1', 'over-https');
    my $certify = kmip_request(version => '2.1', items => [
        { operation => 'Certify', payload => [
            E('Certificate Request Type', 'PKCS_10'),
            B('Certificate Request Value', $csr) ] } ]);
    for my $loc ('kmip', 'plain') {
        my $in = file_of("https-$loc.in", $certify);
        my $out = "$tmp/https-$loc.out";
        my $url = 'https://127.0.0.1:' . $h->port2 . "/$loc";
        my $cmd = join ' ', "curl -sS -o $out -w '%{http_code}'",
            "--cacert $certs/ca.crt --cert $certs/client.crt",
            "--key $certs/client.key",
            "-H 'Content-Type: application/octet-stream'",
            "--data-binary \@$in $url";
        my $code = qx($cmd);
        is($code, '200', "/$loc answers 200");
        my $r = eval { ttlv_decode(slurp($out)) };
        my ($bi) = $r ? kmip_find_all($r, 'Batch Item') : ();
        if ($loc eq 'kmip') {
            op_ok($bi, 'Certify over HTTPS with the location\'s CA');
        } else {
            op_fail($bi, R_OP_NOT_SUPPORTED,
                    'a location without a CA: Operation Not Supported');
        }
    }
};

done_testing();
