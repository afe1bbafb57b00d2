# Who may connect: ssl_verify_client, pinned client certificates
# (kmip_allowed_client_certificate), KMIP credentials
# (kmip_credentials_file), $kmip_client_fingerprint.

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic qw(status_reason);
use Digest::SHA qw(sha1_base64);

$SIG{PIPE} = 'IGNORE';

# a Discover Versions with vCenter's batch item identifier
sub dv { KMIP::Basic::dv(ubi => "QLKC\x01\0\0\0", @_) }

sub get {
    my %a = @_;
    return kmip_request(version => '1.1', %a,
                        items => [ { operation => 'Get',
                                     payload => [ T('Unique Identifier',
                                                    'x') ] } ]);
}

sub fingerprint {
    my $pem = cert_path($_[0]);
    my $out = `openssl x509 -in $pem -noout -fingerprint -sha256`;
    $out =~ s/.*=//s;
    $out =~ s/[:\s]//g;
    return lc $out;
}

my $hash = '{SHA}' . sha1_base64('s3cret') . '=';
$ENV{TEST_NGINX_CREDENTIALS} = "# vCenter's key provider user\n"
                              . "vSphere:$hash\n";

# the server of the pinning tests: TLS that asks for a client certificate
# without checking it against a CA, and vCenter's self-signed one pinned
$ENV{TEST_NGINX_PINNED_SELFSIGNED} = join "\n    ",
    'ssl_certificate ' . cert_dir() . '/server.crt;',
    'ssl_certificate_key ' . cert_dir() . '/server.key;',
    'ssl_verify_client optional_no_ca;',
    'kmip;',
    'kmip_allowed_client_certificate ' . cert_dir() . '/selfsigned.crt;';

run_tests();

__DATA__

=== TEST 1: kmip refuses to run without client certificate checks
--- no_tls_defaults
--- stream_server_config
    listen 127.0.0.1:$TEST_NGINX_PORT ssl;
    ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
    ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
    kmip;
--- must_die
--- error_log
"kmip" needs client certificates: set "ssl_verify_client on", or pin certificates with "kmip_allowed_client_certificate"

=== TEST 2: vCenter's self-signed certificate, pinned, with optional_no_ca
--- no_tls_defaults
--- stream_server_config
    listen 127.0.0.1:$TEST_NGINX_PORT ssl;
    $TEST_NGINX_PINNED_SELFSIGNED
--- client_cert: selfsigned
--- request eval
main::dv()
--- response_test eval
sub { is(main::status_reason($_[0]), '0 -', 'served') }
--- no_error_log
kmip:

=== TEST 3: a certificate that is not pinned gets Permission Denied
--- no_tls_defaults
--- stream_config
    log_format fp '$kmip_client_fingerprint $kmip_last_result';
    access_log logs/access.log fp;
--- stream_server_config
    listen 127.0.0.1:$TEST_NGINX_PORT ssl;
    $TEST_NGINX_PINNED_SELFSIGNED
--- client_cert: other
--- requests eval
[ main::dv() ]
--- response_test eval
sub {
    is(main::status_reason($_[0]), '1 12', 'first request refused');
    is(kmip_value($_[0], 'Batch Item', 'Operation'), 0x1e,
       'operation echoed');
    is(kmip_value($_[0], 'Batch Item', 'Unique Batch Item ID'),
       "QLKC\x01\0\0\0", 'batch item id echoed');
    my $log = `cat @{[ current_vars()->{TEST_NGINX_PREFIX} ]}/logs/error.log`;
    my $fp = main::fingerprint('other-client.crt');
    like($log, qr/kmip: client certificate not allowed: sha256 $fp, subject "[^"]+"/,
         'logged with fingerprint and subject');
    is(() = $log =~ /certificate not allowed/g, 1, 'logged once');
}
--- access_log eval
main::fingerprint('other-client.crt') . " PermissionDenied"

=== TEST 4: no certificate at all, with pinning
--- no_tls_defaults
--- stream_server_config
    listen 127.0.0.1:$TEST_NGINX_PORT ssl;
    $TEST_NGINX_PINNED_SELFSIGNED
--- client_cert: none
--- request eval
main::dv()
--- response_test eval
sub { is(main::status_reason($_[0]), '1 12', 'refused') }
--- error_log
kmip: client certificate not allowed: sha256 none (no certificate)

=== TEST 5: pinning on top of ssl_verify_client on
--- stream_server_config
    kmip;
    kmip_allowed_client_certificate $TEST_NGINX_CERT_DIR/selfsigned.crt;
--- request eval
main::dv()
--- response_test eval
sub { is(main::status_reason($_[0]), '1 12', 'CA-signed but not pinned') }

=== TEST 6: a bundle pins every certificate in it
--- stream_server_config
    kmip;
    kmip_allowed_client_certificate $TEST_NGINX_CERT_DIR/ca-and-selfsigned.crt;
    kmip_allowed_client_certificate $TEST_NGINX_CERT_DIR/client.crt;
--- request eval
main::dv()
--- response_test eval
sub { is(main::status_reason($_[0]), '0 -', 'second file counts') }

=== TEST 7: $kmip_client_fingerprint is the SHA-256 of the certificate
--- stream_config
    log_format fp 'fp=$kmip_client_fingerprint';
    access_log logs/access.log fp;
--- stream_server_config
    kmip;
--- request eval
main::dv()
--- response_test eval
sub { is(main::status_reason($_[0]), '0 -', 'served') }
--- access_log eval
'fp=' . main::fingerprint('client.crt')

=== TEST 8: a missing pin file
--- stream_server_config
    kmip;
    kmip_allowed_client_certificate $TEST_NGINX_CERT_DIR/nope.crt;
--- must_die
--- error_log
"kmip_allowed_client_certificate" cannot open

=== TEST 9: a pin file without a certificate
--- user_files
>>> empty.pem
nothing here
--- stream_server_config
    kmip;
    kmip_allowed_client_certificate $TEST_NGINX_PREFIX/html/empty.pem;
--- must_die
--- error_log
"kmip_allowed_client_certificate": no PEM certificate in

=== TEST 10: credentials: the right one, a wrong one, none
--- user_files eval
">>> kmip.users\n$ENV{TEST_NGINX_CREDENTIALS}"
--- stream_server_config
    kmip;
    kmip_credentials_file $TEST_NGINX_PREFIX/html/kmip.users;
--- requests eval
[ main::dv(credential => [ 'vSphere', 's3cret' ]),
  main::dv(credential => [ 'vSphere', 'wrong' ]),
  main::dv(credential => [ 'nobody', 's3cret' ]),
  main::dv(),
  main::get(),
  main::get(credential => [ 'vSphere', 's3cret' ]) ]
--- response_test eval
sub {
    is(main::status_reason($_[0]), '0 -', 'right credential');
    is(main::status_reason($_[1]), '1 12', 'wrong password');
    is(main::status_reason($_[2]), '1 12', 'unknown user');
    is(main::status_reason($_[3]), '0 -',
       'Discover Versions without a credential (vCenter 8 sends none)');
    is(main::status_reason($_[4]), '1 12', 'Get without a credential');
    isnt(kmip_value($_[5], 'Batch Item', 'Result Reason'), 12,
         'Get with the credential passes the check');
}
--- error_log
kmip: credential refused for user "vSphere"
kmip: credential refused for user "nobody"
--- no_error_log
s3cret
wrong

=== TEST 11: a credential file with a bad line
--- user_files
>>> bad.users
just-a-user
--- stream_server_config
    kmip;
    kmip_credentials_file $TEST_NGINX_PREFIX/html/bad.users;
--- must_die
--- error_log
"kmip_credentials_file": a line of

=== TEST 12: the pin file is read again on reload
--- stream_server_config
    kmip;
--- response_test eval
sub {
    my $vars = current_vars();
    my $dir = $vars->{TEST_NGINX_SERVROOT} . '/pin';
    mkdir $dir;
    system("cp $vars->{TEST_NGINX_CERT_DIR}/selfsigned.crt $dir/pinned.crt");
    my $conf = "kmip;\n    kmip_allowed_client_certificate $dir/pinned.crt;";
    # reloads need the master process, which valgrind runs without
    my $n = start_nginx($conf, valgrind => 0);
    my $r = kmip_roundtrip($n->port, main::dv());
    is(main::status_reason($r), '1 12', 'client.crt not pinned yet');
    system("cp $vars->{TEST_NGINX_CERT_DIR}/client.crt $dir/pinned.crt");
    $n->reload;
    select(undef, undef, undef, 1);
    $r = kmip_roundtrip($n->port, main::dv());
    is(main::status_reason($r), '0 -', 'pinned after reload');
    $n->stop;
}
