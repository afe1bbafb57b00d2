# An independent KMIP client: Debian's PyKMIP (kmip.services.kmip_client.
# KMIPProxy) over mutual TLS.

use lib 't/lib';
use Test::Nginx::KMIP;
use JSON::PP;

sub pykmip {
    my ($version, @cmd) = @_;
    my $certs = cert_dir();
    my $out = `/usr/bin/python3 t/lib/pykmip_client.py --host 127.0.0.1 \\
               --port @{[ current_vars()->{TEST_NGINX_PORT} ]} \\
               --cert $certs/client.crt --key $certs/client.key \\
               --ca $certs/ca.crt --version $version @cmd 2>&1`;
    my $r = eval { decode_json($out) };
    ok($r, "PyKMIP answered JSON") or diag($out);
    return $r || {};
}

run_tests();

__DATA__

=== TEST 1: Discover Versions at 1.2
--- stream_server_config
    kmip;
--- response_test eval
sub {
    my $r = pykmip('1.2', 'discover-versions');
    is(join(' ', @{ $r->{versions} || [] }),
       '2.1 2.0 1.4 1.3 1.2 1.1 1.0', 'versions in the server order')
        or diag(explain($r));
}
--- no_error_log
[error]

=== TEST 2: Query at 1.4
--- stream_server_config
    kmip;
--- response_test eval
sub {
    my $r = pykmip('1.4', 'query');
    is($r->{vendor_identification}, 'ngx_kmip 0.1.0', 'vendor')
        or diag(explain($r));
    is_deeply([ sort @{ $r->{operations} || [] } ],
              [ 'CANCEL', 'DISCOVER_VERSIONS', 'HASH', 'POLL', 'QUERY',
                'RNG_RETRIEVE', 'RNG_SEED' ], 'operations')
        or diag(explain($r->{operations}));
}
--- no_error_log
[error]

=== TEST 3: Discover Versions at 1.1 with a configured list
--- stream_server_config
    kmip;
    kmip_protocol_versions 1.4 1.1;
--- response_test eval
sub {
    my $r = pykmip('1.1', 'discover-versions');
    is(join(' ', @{ $r->{versions} || [] }), '1.4 1.1', 'configured list')
        or diag(explain($r));
}
