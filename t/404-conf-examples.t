# The configuration examples: every conf-examples/*.conf passes `nginx -t`
# (its paths pointed at test files), node B of two-zone.md as well, and
# vmware.conf's TLS settings give vCenter what it accepts: TLS 1.2 with
# AES128-SHA256 / AES256-SHA256 / ECDHE-RSA-AES-GCM, TLS 1.3, session
# resumption, the pinned self-signed client certificate, and the access
# log with the kmip variables.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::VCenter qw(vc_req create_aes);

use Cwd qw(abs_path);
use File::Basename qw(dirname);
my $root = abs_path(dirname(__FILE__) . '/..');
my ($module) = kmip_module_paths();
my $stream = $ENV{TEST_NGINX_STREAM_MODULE}
             // '/usr/lib/nginx/modules/ngx_stream_module.so';
my $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
Test::Nginx::KMIP::_ensure_certs();
my $certs = cert_dir();

sub slurp { local (@ARGV, $/) = @_; <> }

# vmware.conf with its paths pointed at the test files.  $kp_real keeps
# the IBM Cloud URLs (nginx -t only); otherwise the emulator.
sub vmware_conf {
    my (%o) = @_;
    my $c = slurp("$root/conf-examples/vmware.conf");
    $c =~ s{/usr/lib/nginx/modules/ngx_stream_module\.so}{$stream};
    $c =~ s{/usr/lib/nginx/modules/ngx_stream_kmip_module\.so}{$module};
    $c =~ s{^user\s+www-data;}{user root;}m if $> == 0;
    $c =~ s{^user\s+www-data;}{}m if $> != 0;
    $c =~ s{/var/log/nginx/kmip-}{logs/}g;
    $c =~ s{/run/nginx-kmip\.pid}{logs/nginx.pid};
    $c =~ s{listen  5696 ssl;}{listen  127.0.0.1:\$TEST_NGINX_PORT ssl;};
    $c =~ s{worker_processes   auto;}{worker_processes   2;};
    $c =~ s{/etc/nginx/kmip/server\.(crt|key)}{$certs/$o{server}.$1}g;
    $c =~ s{/etc/nginx/kmip/vcenter-client\.crt}{$certs/selfsigned.crt};
    $c =~ s{/etc/nginx/kmip/ca-bundle\.crt}{$certs/ca.crt};
    $c =~ s{/etc/nginx/kmip/iam-api-key}{$kp->api_key_file}e;
    unless ($o{kp_real}) {
        my ($u, $i, $r) = ($kp->url, $kp->instance, $kp->root_key);
        $c =~ s{(kmip_keyprotect_url\s+)\S+;}{$1$u;};
        $c =~ s{(kmip_iam_url\s+)\S+;}{$1$u;};
        $c =~ s{(kmip_keyprotect_instance\s+)\S+;}{$1$i;};
        $c =~ s{(kmip_keyprotect_root_key\s+)\S+;}{$1$r;};
    }
    (my $directives = $c) =~ s/#.*//g;
    unlike($directives, qr{/etc/nginx|/var/log|www-data},
           'every path substituted');
    return $c;
}

sub nginx_t {
    my ($name, $conf) = @_;
    my $prefix = servroot() . "/t-$name";
    Test::Nginx::KMIP::_prepare_prefix($prefix);
    $conf =~ s/\$TEST_NGINX_PORT\b/15696/g;
    Test::Nginx::KMIP::_write_file("$prefix/conf/nginx.conf", $conf);
    my ($ok, $out) = Test::Nginx::KMIP::_nginx_test_conf($prefix);
    ok($ok, "nginx -t $name") or diag($out);
}

# ---- nginx -t on every example
my @examples = map { s{.*/}{}r } glob "$root/conf-examples/*.conf";
ok(scalar(grep { $_ eq 'vmware.conf' } @examples), "examples: @examples");
for my $ex (@examples) {
    if ($ex eq 'vmware.conf') {
        nginx_t('vmware-node-a', vmware_conf(server => 'server', kp_real => 1));
        # node B (two-zone.md): the same file, its own certificate
        system('cp', "$certs/server.crt", "$certs/kmip-2.crt");
        system('cp', "$certs/server.key", "$certs/kmip-2.key");
        nginx_t('vmware-node-b', vmware_conf(server => 'kmip-2', kp_real => 1));
        next;
    }
    my $c = slurp("$root/conf-examples/$ex");
    my $demo = servroot() . "/t-$ex-demo";
    mkdir $demo; mkdir "$demo/logs"; mkdir "$demo/certs";
    system('cp', "$certs/$_", "$demo/certs/$_") for qw(server.crt server.key ca.crt);
    # dev.conf's CA for Certify
    system('cp', "$certs/other-ca.$_", "$demo/certs/kmip-ca.$_") for qw(crt key);
    # what shared-estate.conf names: vCenter's certificate, the users file
    system('cp', "$certs/selfsigned.crt", "$demo/certs/vcenter.crt");
    Test::Nginx::KMIP::_write_file("$demo/kmip.users", "dbkms:{PLAIN}x\n");
    chmod 0600, "$demo/kmip.users";
    $c =~ s{/usr/lib/nginx/modules/ngx_stream_module\.so}{$stream};
    $c =~ s/\@MODULE\@/$module/g;
    $c =~ s/\@DEMO\@/$demo/g;
    $c =~ s/\@KP_URL\@/$kp->url/ge;
    $c =~ s/\@KP_INSTANCE\@/$kp->instance/ge;
    $c =~ s/\@KP_ROOT_KEY\@/$kp->root_key/ge;
    $c =~ s/\@KP_API_KEY_FILE\@/$kp->api_key_file/ge;
    $c =~ s/127\.0\.0\.1:5696/127.0.0.1:\$TEST_NGINX_PORT/;
    unlike($c, qr/\@[A-Z_]+\@/, "$ex: every placeholder substituted");
    nginx_t($ex, $c);
}

# ---- node A running with vmware.conf's settings, against the emulator
# vmware.conf raises worker_rlimit_nofile, which valgrind does not let a
# process do: this node runs without it
my $n = start_nginx(full_config => vmware_conf(server => 'server'),
                    name => 'vmware', valgrind => 0);
my $port = $n->port;
my @cli = ('openssl', 's_client', '-connect', "127.0.0.1:$port",
           '-CAfile', "$certs/ca.crt", '-verify_return_error',
           '-cert', "$certs/selfsigned.crt", '-key', "$certs/selfsigned.key");

sub s_client {
    my (@args) = @_;
    my $cmd = join ' ', map { "'$_'" } @cli, @args;
    return scalar `$cmd </dev/null 2>&1`;
}

for my $cipher (qw(AES128-SHA256 AES256-SHA256 ECDHE-RSA-AES128-GCM-SHA256
                   ECDHE-RSA-AES256-GCM-SHA384)) {
    my $out = s_client('-tls1_2', '-cipher', $cipher);
    like($out, qr/Cipher is \Q$cipher\E\b/, "TLS 1.2 with $cipher")
        or diag($out);
    like($out, qr/Verify return code: 0 /, "$cipher: server verified");
}
my $out = s_client('-tls1_3');
like($out, qr/New, TLSv1\.3, Cipher is TLS_AES_/, 'TLS 1.3') or diag($out);

$out = s_client('-tls1_2', '-cipher', 'AES128-SHA');
unlike($out, qr/Cipher is AES128-SHA\b/, 'AES128-SHA (SHA-1 MAC) refused');
like($out, qr/Cipher is \(NONE\)|handshake failure/, 'AES128-SHA: no handshake');
$out = s_client('-tls1_1', '-cipher', 'ALL:@SECLEVEL=0');
like($out, qr/alert protocol version/, 'TLS 1.1 refused');
unlike($out, qr/Cipher is (?!\(NONE\))/, 'TLS 1.1: no cipher');

# session resumption (ssl_session_cache), as vCenter's many short jobs
my $sess = servroot() . '/vmware.sess';
unlink $sess;
$out = s_client('-tls1_2', '-cipher', 'AES128-SHA256', '-sess_out', $sess);
like($out, qr/New, TLSv1\.2/, 'a new session');
$out = s_client('-tls1_2', '-cipher', 'AES128-SHA256', '-sess_in', $sess);
like($out, qr/Reused, TLSv1\.2/, 'the session is resumed') or diag($out);

# the pinned self-signed certificate runs the vCenter flow; a certificate
# from the CA that is not pinned gets Permission Denied
my $vc = Test::VCenter->new(ports => [ $port ],
                            conn => { client_cert => 'selfsigned' });
my $uid = $vc->create;
ok($uid, 'Create with the pinned certificate');
$vc->fetch_and_activate($uid);
my $r = kmip_roundtrip($port, vc_req('1.1', undef, create_aes()),
                       client_cert => 'client');
is(kmip_value($r, 'Batch Item', 'Result Reason'), 0x0c,
   'an unpinned certificate: Permission Denied');

ok($n->stop, 'node A stops');
my $fp = lc `openssl x509 -noout -fingerprint -sha256 -in $certs/selfsigned.crt`;
$fp =~ s/.*=//; $fp =~ s/[:\s]//g;
my $log = $n->access_log_text;
like($log, qr/requests=\d+ op=Activate result=Success client=$fp /,
     'access log: operation, result, fingerprint');
unlike($n->error_log_text, qr/\[(?:error|crit|alert|emerg)\]/,
       'no error in node A\'s log');

done_testing();
