# Configuration: `nginx -t` rejects every wrong value with a message that
# names the directive.

use lib 't/lib';
use Test::Nginx::KMIP;

run_tests();

__DATA__

=== TEST 1: kmip outside a server
--- stream_config
    kmip;
--- must_die
--- error_log
"kmip" directive is not allowed here

=== TEST 2: kmip given twice
--- stream_server_config
    kmip;
    kmip;
--- must_die
--- error_log
"kmip" directive is duplicate

=== TEST 3: kmip takes no arguments
--- stream_server_config
    kmip on;
--- must_die
--- error_log
invalid number of arguments in "kmip" directive

=== TEST 4: kmip and another content handler
--- stream_server_config
    return "x";
    kmip;
--- must_die
--- error_log
"kmip" cannot be combined with another content handler

=== TEST 5: kmip_max_message_size that is not a size
--- stream_server_config
    kmip;
    kmip_max_message_size lots;
--- must_die
--- error_log
"kmip_max_message_size" directive invalid value

=== TEST 6: kmip_max_message_size too small
--- stream_server_config
    kmip;
    kmip_max_message_size 64;
--- must_die
--- error_log
"kmip_max_message_size" must be between 128 and 16777216 bytes

=== TEST 7: kmip_max_message_size too large
--- stream_server_config
    kmip;
    kmip_max_message_size 32m;
--- must_die
--- error_log
"kmip_max_message_size" must be between 128 and 16777216 bytes

=== TEST 8: a timeout that is not a time
--- stream_server_config
    kmip;
    kmip_idle_timeout soon;
--- must_die
--- error_log
"kmip_idle_timeout" directive invalid value

=== TEST 9: kmip_read_timeout that is not a time
--- stream_server_config
    kmip;
    kmip_read_timeout -1;
--- must_die
--- error_log
"kmip_read_timeout" directive invalid value

=== TEST 10: kmip_send_timeout that is not a time
--- stream_server_config
    kmip;
    kmip_send_timeout 1x;
--- must_die
--- error_log
"kmip_send_timeout" directive invalid value

=== TEST 11: an unknown protocol version
--- stream_server_config
    kmip;
    kmip_protocol_versions 2.1 3.0;
--- must_die
--- error_log
invalid KMIP protocol version "3.0" in "kmip_protocol_versions" directive

=== TEST 12: a protocol version that is not a version
--- stream_server_config
    kmip;
    kmip_protocol_versions 1.x;
--- must_die
--- error_log
invalid KMIP protocol version "1.x" in "kmip_protocol_versions" directive

=== TEST 13: a protocol version given twice
--- stream_server_config
    kmip;
    kmip_protocol_versions 1.4 1.2 1.4;
--- must_die
--- error_log
duplicate KMIP protocol version "1.4" in "kmip_protocol_versions" directive

=== TEST 14: kmip_protocol_versions without a version
--- stream_server_config
    kmip;
    kmip_protocol_versions;
--- must_die
--- error_log
invalid number of arguments in "kmip_protocol_versions" directive

=== TEST 15: settings at stream level are inherited by servers
--- stream_config
    kmip_protocol_versions 1.2;
    kmip_idle_timeout 1s;
--- stream_server_config
    kmip;
--- request eval
kmip_request(version => '1.2',
             items => [ { operation => 'Discover Versions', payload => [] } ])
--- response_dump eval
response_head('1.2') . <<'EOF'
    Operation: 0x1e
    Result Status: 0x0
    Response Payload
      Protocol Version
        Protocol Version Major: 1
        Protocol Version Minor: 2
EOF

=== TEST 16: kmip_interop takes on or off
--- stream_server_config
    kmip;
    kmip_interop yes;
--- must_die
--- error_log
invalid value "yes" in "kmip_interop" directive, it must be "on" or "off"

=== TEST 17: kmip_ca_certificate of a certificate that is no CA's
--- stream_server_config
    kmip;
    kmip_ca_certificate $TEST_NGINX_CERT_DIR/server.crt;
    kmip_ca_certificate_key $TEST_NGINX_CERT_DIR/server.key;
--- must_die
--- error_log
"kmip_ca_certificate" directive names a certificate that is not a CA's

=== TEST 18: kmip_ca_certificate without its key
--- stream_server_config
    kmip;
    kmip_ca_certificate $TEST_NGINX_CERT_DIR/other-ca.crt;
--- must_die
--- error_log
"kmip_ca_certificate" and "kmip_ca_certificate_key" go together

=== TEST 19: kmip_ca_certificate_key of another certificate
--- stream_server_config
    kmip;
    kmip_ca_certificate $TEST_NGINX_CERT_DIR/other-ca.crt;
    kmip_ca_certificate_key $TEST_NGINX_CERT_DIR/ca.key;
--- must_die
--- error_log
"kmip_ca_certificate_key" is not the key of "kmip_ca_certificate"

=== TEST 20: kmip_ca_certificate of a file that is not there
--- stream_server_config
    kmip;
    kmip_ca_certificate $TEST_NGINX_CERT_DIR/no-such-ca.crt;
--- must_die
--- error_log
cannot read

=== TEST 21: kmip_ca_certificate_key of a file that holds no key
--- stream_server_config
    kmip;
    kmip_ca_certificate $TEST_NGINX_CERT_DIR/other-ca.crt;
    kmip_ca_certificate_key $TEST_NGINX_CERT_DIR/other-ca.crt;
--- must_die
--- error_log
holds no unencrypted PEM private key

=== TEST 22: kmip_ca_validity of nothing
--- stream_server_config
    kmip;
    kmip_ca_certificate $TEST_NGINX_CERT_DIR/other-ca.crt;
    kmip_ca_certificate_key $TEST_NGINX_CERT_DIR/other-ca.key;
    kmip_ca_validity 0;
--- must_die
--- error_log
"kmip_ca_validity" must be positive

=== TEST 23: kmip_ca_certificate given twice
--- stream_server_config
    kmip;
    kmip_ca_certificate $TEST_NGINX_CERT_DIR/other-ca.crt;
    kmip_ca_certificate $TEST_NGINX_CERT_DIR/other-ca.crt;
--- must_die
--- error_log
"kmip_ca_certificate" directive is duplicate

=== TEST 24: kmip_push with a certificate and no key
--- stream_server_config
    kmip;
    kmip_push https://127.0.0.1:9/kmip certificate=$TEST_NGINX_CERT_DIR/client.crt;
--- must_die
--- error_log
"kmip_push" directive needs both "certificate" and "certificate_key", or neither

=== TEST 25: kmip_push with another certificate's key
--- stream_server_config
    kmip;
    kmip_push https://127.0.0.1:9/kmip certificate=$TEST_NGINX_CERT_DIR/client.crt certificate_key=$TEST_NGINX_CERT_DIR/server.key;
--- must_die
--- error_log
"kmip_push" directive has a "certificate_key" that is not the certificate's key

=== TEST 26: kmip_push to plain http off the loopback
--- stream_server_config
    kmip;
    kmip_push http://192.0.2.1:8080/kmip;
--- must_die
--- error_log
"kmip_push" "http://192.0.2.1:8080/kmip" may use plain "http://" only with a loopback address

=== TEST 27: kmip_push with an unknown parameter
--- stream_server_config
    kmip;
    kmip_push https://127.0.0.1:9/kmip retries=3;
--- must_die
--- error_log
invalid parameter "retries=3"

=== TEST 28: kmip_push of a file that is not there
--- stream_server_config
    kmip;
    kmip_push https://127.0.0.1:9/kmip certificate=$TEST_NGINX_CERT_DIR/none.crt certificate_key=$TEST_NGINX_CERT_DIR/none.key;
--- must_die
--- error_log
"kmip_push" cannot open
