# kmip_credentials_file without nginx's ngx_crypt(): every format htpasswd
# writes ({SHA}, {SSHA}, $apr1$, bcrypt, SHA-crypt) and yescrypt is
# checked by the module itself, and a hash it cannot check stops nginx -t
# with the directive, the file and the line number.

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic;
use Digest::SHA qw(sha1_base64);

$SIG{PIPE} = 'IGNORE';

# made with htpasswd -B, openssl passwd -6 / -apr1, python3 crypt
$ENV{TEST_NGINX_USERS} = join "\n",
    'sha:{SHA}' . sha1_base64('sha pw') . '=',
    'apr:$apr1$abcdefgh$pC56iS31oyrT2nVnOV3DH1',
    'bc:$2b$04$khCLFwdocbo4rF7j4jdGPudSDnTEfzN5/qIbGzstnZHQLibs0Wjfq',
    'six:$6$abcdefgh$qu.FJRzI.uQ60pWjIj08mCwgIZh/QG1Sw.jdKz76u43FJGffPlZZ'
        . 'c2AXabAQYwH.NekoOGJJPMD49lMggn7uq/',
    'y:$y$j9T$F5Jx5fExrKuPp53xLKQ..1$A644wBqMhBN55zCKpRrjgXpoMaUbQtHjgqwwwK5qp3C',
    '';

# what nginx -t says of a hash it cannot check
sub unsupported {
    my ($user, $line) = @_;
    return qr/"kmip_credentials_file": the hash of "$user" in "[^"]*kmip.users" line $line is not supported/;
}

# the server of a block that names none checks credentials
block_default(stream_server_config => credentials_server());

run_tests();

__DATA__

=== TEST 1: each format, the right password and a wrong one
--- user_files eval
">>> kmip.users\n$ENV{TEST_NGINX_USERS}"
--- requests eval
[ map { (main::dv(credential => [ $_, "$_ pw" ]),
         main::dv(credential => [ $_, "$_ pX" ])) }
  qw(sha apr bc six y) ]
--- response_test eval
sub {
    my @u = qw(sha apr bc six y);
    for my $i (0 .. $#u) {
        is(main::status_reason($_[2 * $i]), '0 -', "$u[$i]: right password");
        is(main::status_reason($_[2 * $i + 1]), '1 12',
           "$u[$i]: wrong password");
    }
}
--- error_log
kmip: credential refused for user "bc"
kmip: credential refused for user "y"
--- no_error_log
[emerg]

=== TEST 2: a hash in no known format stops nginx -t, naming the line
--- user_files
>>> kmip.users
# operators
good:{SHA}r+PQ/OnaVl2XSPhlHUY75Onr1SQ=

odd:{MD5}X03MO1qnZdYdgyfeuILPmQ==
--- must_die
--- error_log eval
unsupported('odd', 4)

=== TEST 3: a plain-text password (htpasswd -p) is not taken for a hash
--- user_files
>>> kmip.users
vSphere:s3cret
--- must_die
--- error_log eval
unsupported('vSphere', 1)

=== TEST 4: {PLAIN}, as nginx's auth_basic reads it
--- user_files
>>> kmip.users
vSphere:{PLAIN}s3cret
--- requests eval
[ main::dv(credential => [ 'vSphere', 's3cret' ]),
  main::dv(credential => [ 'vSphere', 's3cre' ]) ]
--- response_test eval
sub {
    is(main::status_reason($_[0]), '0 -', 'right password');
    is(main::status_reason($_[1]), '1 12', 'a prefix of it');
}

=== TEST 5: the credentials need no symbol of nginx's http module
--- stream_server_config
    kmip;
--- response_test eval
sub {
    # ngx_crypt() is built into nginx only with the http auth_basic
    # module: a stream-only nginx could not load a module that calls it.
    # The module's other ngx_http_ symbols come with ngx_http_kmip_module
    # (KMIP over HTTPS, docs/architecture.md), which config builds into it
    # only against an nginx with http: built against a stream-only nginx
    # it has none (tools/compat's nohttp cell loads it into one)
    for my $so (Test::Nginx::KMIP::kmip_module_paths()) {
        my @nm = `nm -D $so`;
        my @crypt = grep { /\bU ngx_crypt/ } @nm;
        is("@crypt", '', "$so needs no ngx_crypt");
        my $http = grep { /\s[BDR] ngx_http_kmip_module$/ } @nm;
        my @undef = grep { /\bU ngx_http_/ } @nm;
        ok($http || !@undef,
           "$so needs ngx_http_ symbols only with ngx_http_kmip_module");
    }
}
