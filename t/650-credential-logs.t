# What the Username/Password check writes to the error log: a user name is
# the client's text and is escaped, so that it cannot forge a log line.

use lib 't/lib';
use Test::Nginx::KMIP;
use Digest::SHA qw(sha1_base64);

$SIG{PIPE} = 'IGNORE';

sub dv {
    my %a = @_;
    return kmip_request(version => '1.1', %a,
                        items => [ { operation => 'Discover Versions',
                                     payload => [] } ]);
}

my $hash = '{SHA}' . sha1_base64('s3cret') . '=';
$ENV{TEST_NGINX_CREDENTIALS} = "vSphere:$hash\n";

run_tests();

__DATA__

=== TEST 1: a user name with a newline and a forged [emerg] line
--- user_files eval
">>> kmip.users\n$ENV{TEST_NGINX_CREDENTIALS}"
--- stream_server_config
    kmip;
    kmip_credentials_file $TEST_NGINX_PREFIX/html/kmip.users;
--- requests eval
[ main::dv(credential => [ "vSphere\n2026/01/01 00:00:00 [emerg] 1#1: forged",
                           'wrong' ]),
  main::dv(credential => [ "x\r\e[2Jforged\"", 'wrong' ]) ]
--- response_test eval
sub {
    is(kmip_value($_[0], 'Batch Item', 'Result Reason'), 12,
       'refused');
    my $log = Test::Nginx::KMIP::_read_file(
        current_vars()->{TEST_NGINX_PREFIX} . '/logs/error.log');
    unlike($log, qr/\e/, 'no terminal escape in error.log');
}
--- error_log
kmip: credential refused for user "vSphere\x0a2026/01/01 00:00:00 [emerg] 1#1: forged"
kmip: credential refused for user "x\x0d\x1b[2Jforged\x22"
--- no_error_log eval
# a line of nginx's own shape: "2026/12/06 04:00:00 [emerg] 123#123: ..."
[ qr{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\][^\n]*forged}m ]
