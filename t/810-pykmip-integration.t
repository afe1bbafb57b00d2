# PyKMIP's own upstream integration suite (v0.10.0, the version Debian
# ships), run with pytest against a fresh node and a fresh Key Protect
# emulator, as ../shared/pykmip-integration/README.md says: the suite an
# independent KMIP implementation passes against its own server (35 of 35).
#
# CI gate: t/pykmip-integration-expected.txt lists the tests that pass. A
# listed test that fails fails this suite; a test that passes and is not
# listed is reported, so that the list can grow; the count is printed.
#
#   PYKMIP_INTEGRATION_DIR=path   the suite's folder (default
#                                 ../shared/pykmip-integration)
#   PYKMIP_INTEGRATION_ONLY=expr  a pytest -k expression
#   PYKMIP_INTEGRATION_VERBOSE=1  pytest's whole output

use strict;
use warnings;
use lib 't/lib';
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;

my $repo = abs_path(dirname(__FILE__) . '/..');
my $suite = $ENV{PYKMIP_INTEGRATION_DIR}
            // "$repo/../shared/pykmip-integration";
my $python = '/usr/bin/python3';

plan skip_all => "no PyKMIP integration suite at $suite"
    unless -d "$suite/kmip/tests/integration";
plan skip_all => 'pytest, testtools or PyKMIP missing (python3-pytest, '
               . 'python3-testtools, python3-pykmip)'
    unless system("$python -c 'import pytest, testtools, kmip' "
                  . '>/dev/null 2>&1') == 0;

my %expected;
if (open my $fh, '<', "$repo/t/pykmip-integration-expected.txt") {
    while (<$fh>) {
        s/#.*//;
        s/^\s+|\s+$//g;
        $expected{$_} = 1 if length;
    }
    close $fh;
}

# a fresh key store: the suite's tearDown destroys whatever Locate finds
my $kp = Test::KPEmulator->start(dir => servroot() . '-kp-pykmip');
my $ng = start_nginx(stream_server_config => "kmip;\n    " . $kp->nginx_conf);
my $certs = cert_dir();

my $work = tempdir(CLEANUP => 1);
system('cp', '-r', "$suite/kmip", "$work/") == 0 or die "cp: $!";
mkdir "$work/home";
mkdir "$work/home/.pykmip";
Test::Nginx::KMIP::_write_file("$work/home/.pykmip/pykmip.conf", <<"EOF");
[target]
host=127.0.0.1
port=@{[ $ng->port ]}
certfile=$certs/client.crt
keyfile=$certs/client.key
ca_certs=$certs/ca.crt
cert_reqs=CERT_REQUIRED
ssl_version=PROTOCOL_SSLv23
do_handshake_on_connect=True
suppress_ragged_eofs=True
EOF

my @k = $ENV{PYKMIP_INTEGRATION_ONLY}
        ? ('-k', "'$ENV{PYKMIP_INTEGRATION_ONLY}'") : ();
my $cmd = join ' ', "cd $work && HOME=$work/home timeout 900 $python -m pytest",
          '-p no:cacheprovider -rA -q', @k,
          'kmip/tests/integration -m "not ignore" --config target 2>&1';
my $out = `$cmd`;
diag($out) if $ENV{PYKMIP_INTEGRATION_VERBOSE};

# "PASSED kmip/tests/integration/services/test_x.py::TestX::test_y"
my %result;
while ($out =~ /^(PASSED|FAILED|ERROR) (\S+?::\S+)/mg) {
    my ($r, $t) = ($1, $2);
    $t =~ s{^kmip/tests/integration/services/}{};
    $result{$t} = $r eq 'PASSED' ? 'pass' : 'fail' unless $result{$t}
                                                         && $r eq 'ERROR';
    $result{$t} = 'fail' if $r ne 'PASSED';
}

ok(scalar(keys %result) >= ($ENV{PYKMIP_INTEGRATION_ONLY} ? 1 : 35),
   'pytest ran the suite (' . scalar(keys %result) . ' tests)')
    or diag($out);

for my $t (sort keys %expected) {
    next if $ENV{PYKMIP_INTEGRATION_ONLY} && !exists $result{$t};
    is($result{$t} // 'not run', 'pass', "$t passes");
}

# why the others fail, from pytest's summary ("FAILED test - reason")
diag($1) while $out =~ /^((?:FAILED|ERROR) \S+ - .{0,200})/mg;

my @new = grep { $result{$_} eq 'pass' && !$expected{$_} } sort keys %result;
diag("passes now, add it to t/pykmip-integration-expected.txt: $_")
    for @new;

my $passed = grep { $_ eq 'pass' } values %result;
diag(sprintf 'PyKMIP integration suite: %d of %d pass', $passed,
     scalar keys %result);

done_testing;
