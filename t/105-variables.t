# Stream variables in the access log: requests on the connection, the last
# operation and its result.

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic;

# the variables in the access log, after the connection's status or not
sub log_config {
    my ($status) = @_;
    return "    log_format kmip '${status}requests=\$kmip_requests '\n"
           . "        'op=\$kmip_last_operation result=\$kmip_last_result';\n"
           . "    access_log logs/access.log kmip;\n";
}

block_default(stream_config => log_config('$status '),
              stream_server_config => "    kmip;\n");

run_tests();

__DATA__

=== TEST 1: two requests, the last one a Query
--- requests eval
[ kmip_request(version => '1.1',
               items => [ { operation => 'Discover Versions',
                            payload => [] } ]),
  kmip_request(version => '1.1',
               items => [ { operation => 'Query',
                            payload => [ E('Query Function', 3) ] } ]) ]
--- response_test eval
sub { is(scalar @_, 2, 'two answers') }
--- access_log
200 requests=2 op=Query result=Success

=== TEST 2: the result names the failure
--- stream_config eval
log_config('')
--- request eval
kmip_request(version => '1.4',
             items => [ { operation => 'Validate', payload => [] } ])
--- response_test eval
sub { is(result_reason($_[0]), 5, 'failed') }
--- access_log
requests=1 op=Validate result=OperationNotSupported

=== TEST 3: a message that could not be decoded
--- request eval
kmip_request(version => '1.2', batch_count => 3,
             items => [ { operation => 'Query', payload => [] } ])
--- response_test eval
sub { is(result_reason($_[0]), 4, 'invalid') }
--- access_log
200 requests=1 op=- result=InvalidMessage

=== TEST 4: a connection without a request
--- stream_config eval
log_config('')
--- response_test eval
sub {
    kmip_connect(current_vars()->{TEST_NGINX_PORT})->close;
    pass('handshake only');
}
--- access_log
requests=0 op=- result=-
