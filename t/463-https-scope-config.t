# kmip_scope, kmip_operations, kmip_credentials_file and kmip_audit_log in
# the http module: `nginx -t` rejects a misplaced or wrong directive with a
# message that names it, as for a stream server (t/461).

use lib 't/lib';
use Test::Nginx::KMIP;

run_tests();

__DATA__

=== TEST 1: kmip in a server, not a location
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        ssl_client_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        ssl_verify_client on;
        kmip;
    }
--- must_die
--- error_log
"kmip" directive is not allowed here

=== TEST 2: scopes on a server that asks for no client certificate
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        kmip_scope nas {
            subject "CN=nas";
        }
        location = /kmip {
            kmip;
        }
    }
--- must_die
--- error_log
"kmip_scope" needs client certificates: set "ssl_verify_client"

=== TEST 3: a scope's user without a credentials file
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        ssl_client_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        ssl_verify_client on;
        location = /kmip {
            kmip;
            kmip_scope db {
                subject "CN=db";
                user dbadmin;
            }
        }
    }
--- must_die
--- error_log
"user" in kmip_scope "db"

=== TEST 4: a scope whose operations the location does not offer
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        ssl_client_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        ssl_verify_client on;
        kmip_scope tape {
            subject "CN=tape";
            operations Create;
        }
        location = /kmip {
            kmip;
            kmip_operations Get;
        }
    }
--- must_die
--- error_log
kmip_scope "tape" (

=== TEST 5: kmip_operations names an unknown operation
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        ssl_client_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        ssl_verify_client on;
        location = /kmip {
            kmip;
            kmip_operations Get Frobnicate;
        }
    }
--- must_die
--- error_log
"kmip_operations": unknown KMIP operation "Frobnicate"

=== TEST 6: a credentials file that is not there
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        ssl_client_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        ssl_verify_client on;
        kmip_credentials_file $TEST_NGINX_CERT_DIR/no-such.users;
        location = /kmip {
            kmip;
        }
    }
--- must_die
--- error_log
"kmip_credentials_file" cannot open

=== TEST 7: an audit log in an unknown format
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        ssl_client_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        ssl_verify_client on;
        location = /kmip {
            kmip;
            kmip_audit_log logs/audit.log csv;
        }
    }
--- must_die
--- error_log
unknown kmip_audit_log format "csv"

=== TEST 8: kmip_scope with no name
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        ssl_client_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        ssl_verify_client on;
        kmip_scope {
            subject "CN=nas";
        }
        location = /kmip {
            kmip;
        }
    }
--- must_die
--- error_log
invalid number of arguments in "kmip_scope" directive

=== TEST 9: a credentials file that is not "user:hash" lines
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        ssl_client_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        ssl_verify_client on;
        location = /kmip {
            kmip;
            kmip_credentials_file $TEST_NGINX_CERT_DIR/ca.crt;
        }
    }
--- must_die
--- error_log
"kmip_credentials_file": a line of
