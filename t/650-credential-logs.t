# What the Username/Password check writes to the error log: a user name is
# the client's text and is escaped, so that it cannot forge a log line;
# and a credentials file others can read or its group can change is
# pointed out, as the API key file is.

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic;
use Digest::SHA qw(sha1_base64);

$SIG{PIPE} = 'IGNORE';

my $hash = '{SHA}' . sha1_base64('s3cret') . '=';
$ENV{TEST_NGINX_CREDENTIALS} = "vSphere:$hash\n";

# starts a node whose credentials file has the given mode; returns the
# warnings nginx wrote while reading its configuration
sub warnings_for_mode {
    my ($mode) = @_;
    my $vars = current_vars();
    my $file = "$vars->{TEST_NGINX_SERVROOT}/mode.users";
    open my $fh, '>', $file or die "$file: $!";
    print $fh $ENV{TEST_NGINX_CREDENTIALS};
    close $fh;
    chmod $mode, $file or die "chmod $file: $!";
    my $n = start_nginx("kmip;\n    kmip_credentials_file $file;",
                        valgrind => 0);
    my $log = $n->error_log_text;
    $n->stop;
    return join "\n", grep { /\[warn\]/ } split /\n/, $log;
}

# the server of a block that names none checks credentials
block_default(stream_server_config => credentials_server());

run_tests();

__DATA__

=== TEST 1: a user name with a newline and a forged [emerg] line
--- user_files eval
">>> kmip.users\n$ENV{TEST_NGINX_CREDENTIALS}"
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

=== TEST 2: a credentials file others may read draws a warning
--- stream_server_config
    kmip;
--- response_test eval
sub {
    like(main::warnings_for_mode(0644),
         qr/"kmip_credentials_file" "[^"]*mode.users" is accessible by others/,
         'mode 0644: warned, naming the file');
    like(main::warnings_for_mode(0664),
         qr/"kmip_credentials_file" "[^"]*mode.users" is accessible by others/,
         'mode 0664 (group- and world-writable): warned');
    like(main::warnings_for_mode(0620),
         qr/"kmip_credentials_file" "[^"]*mode.users" .*writable by its group/,
         'mode 0620 (group-writable): warned');
    unlike(main::warnings_for_mode(0640), qr/kmip_credentials_file/,
           'mode 0640: no warning');
    unlike(main::warnings_for_mode(0600), qr/kmip_credentials_file/,
           'mode 0600: no warning');
}
