# A kmip server answers only over TLS: nginx -t refuses a kmip server with
# a listen socket without "ssl" (a proxy_protocol one included), and names
# the socket; other servers of the stream block keep their plain sockets.

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic;

$SIG{PIPE} = 'IGNORE';

our $refused = qr/"kmip" in the server at \S+:\d+ needs TLS on every listen socket, but "listen 127\.0\.0\.1:\d+" has no "ssl"/;

run_tests();

__DATA__

=== TEST 1: a plain listen next to the TLS one
--- stream_server_config
    listen 127.0.0.1:$TEST_NGINX_PORT2;
    kmip;
--- must_die
--- error_log eval
$main::refused

=== TEST 2: a plain proxy_protocol listen
--- stream_server_config
    listen 127.0.0.1:$TEST_NGINX_PORT2 proxy_protocol;
    kmip;
--- must_die
--- error_log eval
$main::refused

=== TEST 3: only plain listen sockets, with pinning
--- no_tls_defaults
--- stream_server_config
    listen 127.0.0.1:$TEST_NGINX_PORT;
    ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
    ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
    ssl_verify_client optional_no_ca;
    kmip_allowed_client_certificate $TEST_NGINX_CERT_DIR/selfsigned.crt;
    kmip;
--- must_die
--- error_log eval
$main::refused

=== TEST 4: TLS with proxy_protocol, and a plain server without kmip
--- stream_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT3;
        return "plain";
    }
--- stream_server_config
    listen 127.0.0.1:$TEST_NGINX_PORT2 ssl proxy_protocol;
    kmip;
--- request eval
main::dv()
--- response_test eval
sub { is(kmip_value($_[0], 'Batch Item', 'Result Status'), 0, 'served') }
--- no_error_log
needs TLS
