# kmip_scope and kmip_operations: `nginx -t` rejects every wrong scope
# with a message that names the directive and the scope, and accepts the
# forms docs/directives.md shows.

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic;

run_tests();

__DATA__

=== TEST 1: a scope names no client
--- stream_server_config
    kmip;
    kmip_scope nas {
        operations Get;
    }
--- must_die
--- error_log
"kmip_scope nas" names no client: add "certificate", "subject" or "issuer"

=== TEST 2: an unknown directive inside a scope
--- stream_server_config
    kmip;
    kmip_scope nas {
        subject "CN=nas";
        colour blue;
    }
--- must_die
--- error_log
unknown directive "colour" in kmip_scope "nas"

=== TEST 3: an unknown operation
--- stream_server_config
    kmip;
    kmip_scope nas {
        subject "CN=nas";
        operations Get Teleport;
    }
--- must_die
--- error_log
"operations": unknown KMIP operation "Teleport"

=== TEST 4: the same scope twice
--- stream_server_config
    kmip;
    kmip_scope nas {
        subject "CN=nas";
    }
    kmip_scope NAS {
        subject "CN=nas2";
    }
--- must_die
--- error_log
"kmip_scope": duplicate scope "NAS", first defined in

=== TEST 5: a scope name with a space or a slash
--- stream_server_config
    kmip;
    kmip_scope "a/b" {
        subject "CN=nas";
    }
--- must_die
--- error_log
"kmip_scope": invalid scope name "a/b"

=== TEST 6: a user without a credentials file
--- stream_server_config
    kmip;
    kmip_scope db {
        subject "CN=db";
        user dbadmin;
    }
--- must_die
--- error_log
"user" in kmip_scope "db"

=== TEST 7: subject rules without a CA to verify certificates with
--- stream_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        ssl_verify_client optional_no_ca;
        kmip;
        kmip_scope db {
            subject "CN=db";
        }
    }
--- must_die
--- error_log
match certificates verified by a CA only

=== TEST 8: scopes on a server that asks for no client certificate
--- stream_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        kmip;
        kmip_scope vc {
            certificate $TEST_NGINX_CERT_DIR/selfsigned.crt;
        }
    }
--- must_die
--- error_log
"kmip_scope" needs client certificates: set "ssl_verify_client"

=== TEST 9: an invalid key ring
--- stream_server_config
    kmip;
    kmip_scope db {
        subject "CN=db";
        key_ring "db ring";
    }
--- must_die
--- error_log
invalid "key_ring" "db ring" in kmip_scope "db"

=== TEST 10: a certificate file without certificates
--- user_files
>>> empty.pem
nothing here
--- stream_server_config
    kmip;
    kmip_scope vc {
        certificate $TEST_NGINX_PREFIX/html/empty.pem;
    }
--- must_die
--- error_log
"certificate": no PEM certificate in

=== TEST 11: a bad regular expression
--- stream_server_config
    kmip;
    kmip_scope db {
        issuer "~CN=(unclosed";
    }
--- must_die
--- error_log
"issuer" in kmip_scope "db":

=== TEST 12: kmip_operations names an unknown operation
--- stream_server_config
    kmip;
    kmip_operations Create Frobnicate;
--- must_die
--- error_log
"kmip_operations": unknown KMIP operation "Frobnicate"

=== TEST 13: a scope whose operations the server does not offer
--- stream_server_config
    kmip;
    kmip_operations Create Get;
    kmip_scope tape {
        subject "CN=tape";
        operations Encrypt Decrypt;
    }
--- must_die
--- error_log
kmip_scope "tape" (

=== TEST 14: every form at once; the client lands in its scope
--- stream_config
    log_format scope 'scope=$kmip_client_scope';
    access_log logs/access.log scope;
    kmip_scope vcenter {
        certificate $TEST_NGINX_CERT_DIR/selfsigned.crt;
        operations "Discover Versions" Query Create Get get_attributes
                   AddAttribute modify-attribute Activate Locate;
    }
    kmip_scope nas {
        subject "CN=kmip-test-client,O=ngx_kmip tests";
        issuer "~CN=ngx_kmip test CA";
        key_ring nas-ring;
    }
--- stream_server_config
    kmip;
    kmip_operations all;
--- request eval
dv(version => '1.4')
--- response_test eval
sub { is(kmip_value($_[0], 'Batch Item', 'Result Status'), 0, 'answered') }
--- access_log
scope=nas
