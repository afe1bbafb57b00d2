# The OASIS profile test cases over KMIP over HTTPS: t/800-conformance.t run
# once per encoding (TTLV, JSON and XML bodies POSTed to a location with
# "kmip;"), each run with its own nginx and Key Protect emulator, so that
# the objects of one run are not found by the Locate cases of the next.
# Every case of t/conformance-expected.txt must pass on every transport.

use strict;
use warnings;
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use Test::More;

my $repo = abs_path(dirname(__FILE__) . '/..');
my $dir = $ENV{KMIP_CONFORMANCE_DIR} // "$repo/../shared/kmip/testcases";

plan skip_all => "no KMIP test cases at $dir"
    unless -d "$dir/v1.4" || -d "$dir/v2.1";

for my $t (qw(https json xml)) {
    local $ENV{KMIP_CONFORMANCE_TRANSPORT} = $t;
    local $ENV{TEST_NGINX_SERVROOT} = "$repo/t/servroot-801-$t";
    delete local $ENV{KMIP_CONFORMANCE_DOC};
    my $out = `$^X -I$repo/t/lib $repo/t/800-conformance.t 2>&1`;
    my $rc = $?;
    my ($np, $n, $exp) = $out =~ /conformance over $t: (\d+) of (\d+) cases pass \((\d+) expected\)/;
    is($rc, 0, "conformance over HTTPS ($t): every listed case passes")
        or diag(join "\n", grep { /^(?:not ok|#)/ } split /\n/, $out);
    ok(defined $np && $np >= $exp,
       sprintf('%s: %s of %s cases pass (%s listed)', $t, $np // '?',
               $n // '?', $exp // '?'));
}

done_testing();
