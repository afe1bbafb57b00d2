package Test::Scopes;

# What the suites of client scopes (t/460, t/462) set up alike: the test
# certificates with a bundle of the two CAs, and a scoped node's server.

use strict;
use warnings;

use Exporter 'import';
use Test::Nginx::KMIP ();

our @EXPORT = qw(scope_certs scoped_node stranger_cert);

# scope_certs(): the folder of the test certificates (made on first use),
# with two-cas.crt in it: the NAS's and the database's CAs in one bundle
sub scope_certs {
    Test::Nginx::KMIP::cert_path("ca.crt");
    my $certs = Test::Nginx::KMIP::cert_dir();
    Test::Nginx::KMIP::_write_file("$certs/two-cas.crt",
        Test::Nginx::KMIP::_read_file("$certs/ca.crt")
        . Test::Nginx::KMIP::_read_file("$certs/other-ca.crt"));
    return $certs;
}

# stranger_cert(): a client certificate the CA vouches for ("CN=stranger"),
# in no scope, made on first use in the certificates' folder
sub stranger_cert {
    my $certs = Test::Nginx::KMIP::cert_dir();
    return if -f "$certs/stranger.crt";
    my $o = "-config $certs/openssl.cnf";
    system("openssl req -new -newkey rsa:2048 -nodes $o"
           . " -keyout $certs/stranger.key -out $certs/stranger.csr"
           . " -subj '/O=ngx_kmip tests/CN=stranger' >/dev/null 2>&1") == 0
        or die 'openssl req';
    system("openssl x509 -req -in $certs/stranger.csr -CA $certs/ca.crt"
           . " -CAkey $certs/ca.key -CAcreateserial -days 30 -sha256"
           . " -extfile $certs/openssl.cnf -extensions client"
           . " -out $certs/stranger.crt >/dev/null 2>&1") == 0
        or die 'openssl x509';
}

# scoped_node(name => $name, scopes => $kmip_scopes, stream => $lines,
#             server => $lines): a node of the stream-level $lines and
# scopes, whose server verifies clients by the two CAs (optional_no_ca:
# a pinned self-signed certificate is a scope's too) and has the server
# $lines after "kmip;"
sub scoped_node {
    my (%a) = @_;
    my $certs = Test::Nginx::KMIP::cert_dir();
    my $stream = $a{stream} // '';
    my $server = $a{server} // '';
    return Test::Nginx::KMIP::start_nginx(name => $a{name},
                                          stream_config => <<"EOF");
$stream$a{scopes}
    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT ssl;
        ssl_certificate $certs/server.crt;
        ssl_certificate_key $certs/server.key;
        ssl_client_certificate $certs/two-cas.crt;
        ssl_verify_client optional_no_ca;
        kmip;
$server
    }
EOF
}

1;
