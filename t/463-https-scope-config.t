# kmip_scope, kmip_operations, kmip_credentials_file and kmip_audit_log in
# the http module: `nginx -t` rejects a misplaced or wrong directive with a
# message that names it, as for a stream server (t/461).
#
# A block's "https_server" lines go into an https server that verifies
# client certificates (unless "no_verify"), its "https_location" lines
# into that server's "location = /kmip { kmip; ... }".

use lib 't/lib';
use Test::Nginx::KMIP;

add_block_preprocessor(sub {
    my $b = shift;
    my $srv = Test::Nginx::KMIP::_sec($b, 'https_server') // '';
    my $loc = Test::Nginx::KMIP::_sec($b, 'https_location') // '';
    my $verify = Test::Nginx::KMIP::_has($b, 'no_verify') ? ''
        : "        ssl_client_certificate \$TEST_NGINX_CERT_DIR/ca.crt;\n"
          . "        ssl_verify_client on;\n";
    $b->set_value('http_config', <<"END");
    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT2 ssl;
        ssl_certificate \$TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key \$TEST_NGINX_CERT_DIR/server.key;
$verify$srv
        location = /kmip {
            kmip;
$loc
        }
    }
END
});

run_tests();

__DATA__

=== TEST 1: kmip in a server, not a location
--- https_server
        kmip;
--- must_die
--- error_log
"kmip" directive is not allowed here

=== TEST 2: scopes on a server that asks for no client certificate
--- no_verify
--- https_server
        kmip_scope nas {
            subject "CN=nas";
        }
--- must_die
--- error_log
"kmip_scope" needs client certificates: set "ssl_verify_client"

=== TEST 3: a scope's user without a credentials file
--- https_location
            kmip_scope db {
                issuer "CN=Example Database CA";
                operations Get Locate;
                user dbadmin;
            }
--- must_die
--- error_log
"user" in kmip_scope "db"

=== TEST 4: a scope whose operations the location does not offer
--- https_server
        kmip_scope tape {
            subject "CN=tape";
            operations Create;
        }
--- https_location
            kmip_operations Get;
--- must_die
--- error_log
kmip_scope "tape" (

=== TEST 5: kmip_operations names an unknown operation
--- https_location
            kmip_operations Get Frobnicate;
--- must_die
--- error_log
"kmip_operations": unknown KMIP operation "Frobnicate"

=== TEST 6: a credentials file that is not there
--- https_server
        kmip_credentials_file $TEST_NGINX_CERT_DIR/no-such.users;
--- must_die
--- error_log
"kmip_credentials_file" cannot open

=== TEST 7: an audit log in an unknown format
--- https_location
            kmip_audit_log logs/audit.log csv;
--- must_die
--- error_log
unknown kmip_audit_log format "csv"

=== TEST 8: kmip_scope with no name
--- https_server
        kmip_scope {
            subject "CN=nas";
        }
--- must_die
--- error_log
invalid number of arguments in "kmip_scope" directive

=== TEST 9: a credentials file that is not "user:hash" lines
--- https_location
            kmip_credentials_file $TEST_NGINX_CERT_DIR/ca.crt;
--- must_die
--- error_log
"kmip_credentials_file": a line of

=== TEST 10: the forms docs/directives.md shows are accepted
--- https_server
        kmip_scope nas {
            subject "CN=kmip-test-client,O=ngx_kmip tests";
            operations "Discover Versions" Query Get Locate;
        }
        kmip_audit_log logs/audit.log json;
--- https_location
            kmip_operations "Discover Versions" Query Get Locate Create;
--- no_error_log
[emerg]
