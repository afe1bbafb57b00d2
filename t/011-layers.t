# The module's layers depend downward only (tools/check-layers): the
# sources' includes and, from the module build's object files, the
# symbols each layer uses. The checker itself is shown to catch an
# include and a call that go upward, on a copy of the sources.

use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use FindBin;

my $top = "$FindBin::Bin/..";
my $objs = $ENV{TEST_KMIP_OBJS} // "$top/build/nginx/objs";

my $out = `$top/tools/check-layers 2>&1`;
is($?, 0, 'the sources include downward only') or diag($out);

SKIP: {
    skip "no module build at $objs", 1 unless -d "$objs/addon";
    $out = `$top/tools/check-layers $objs 2>&1`;
    is($?, 0, 'no layer uses a symbol of a layer above') or diag($out);
}

# a copy with an upward include: the codec including the operations
my $tmp = tempdir(CLEANUP => 1);
system('cp', '-r', "$top/ngx_kmip_module", "$tmp/src") == 0
    or BAIL_OUT('cannot copy the sources');
open my $fh, '>>', "$tmp/src/codec/ngx_kmip_names.c" or die $!;
print $fh qq{#include "ngx_kmip_ops.h"\n};
close $fh;

$out = `CHECK_LAYERS_SRC=$tmp/src $top/tools/check-layers 2>&1`;
isnt($?, 0, 'an upward include fails the check');
like($out, qr{codec/ngx_kmip_names\.c: includes ops/ngx_kmip_ops\.h},
     'and names the file and the header');

# plain C including an nginx header
system('cp', '-r', "$top/ngx_kmip_module", "$tmp/src2") == 0 or die;
open $fh, '>>', "$tmp/src2/codec/ngx_kmip_ttlv.c" or die $!;
print $fh qq{#include <ngx_core.h>\n};
close $fh;
$out = `CHECK_LAYERS_SRC=$tmp/src2 $top/tools/check-layers 2>&1`;
like($out, qr{codec/ngx_kmip_ttlv\.c: plain C, yet includes <ngx_core\.h>},
     'an nginx header in the codec fails the check');

# the operations seeing the Key Protect client past the store
system('cp', '-r', "$top/ngx_kmip_module", "$tmp/src3") == 0 or die;
open $fh, '>>', "$tmp/src3/ops/ngx_kmip_op_get.c" or die $!;
print $fh qq{#include "ngx_kmip_kp.h"\n};
close $fh;
$out = `CHECK_LAYERS_SRC=$tmp/src3 $top/tools/check-layers 2>&1`;
like($out, qr{ops/ngx_kmip_op_get\.c: \s includes \s kp/ngx_kmip_kp\.h, \s a
                \s layer \s it \s reaches \s only \s through \s the \s store}x,
     'the operations including the Key Protect client fail the check');

# a call that crosses, from object files: an object of layer $from calling
# $sym, defined in the copied object file $obj (of layer $to)
sub calling {
    my ($from, $sym, $to, $obj) = @_;
    my $o = "$tmp/objs-$from/addon";
    system('mkdir', '-p', "$o/$from", "$o/$to") == 0 or die;
    copy("$objs/addon/$to/$obj", "$o/$to/") or die $!;
    open my $c, '>', "$tmp/$from.c" or die $!;
    print $c "int $sym(void);\nint kmip_cross(void) { return $sym(); }\n";
    close $c;
    system('cc', '-c', '-o', "$o/$from/cross.o", "$tmp/$from.c") == 0 or die;
    my $res = `$top/tools/check-layers $tmp/objs-$from 2>&1`;
    return ($?, $res);
}

SKIP: {
    skip "no module build at $objs", 3 unless -d "$objs/addon";

    # a kp object using an ops symbol
    my ($rc, $res) = calling('kp', 'ngx_kmip_batch_run', 'ops',
                             'ngx_kmip_ops.o');
    isnt($rc, 0, 'an upward call fails the check');
    like($res, qr{kp/cross\.o: uses ngx_kmip_batch_run, defined in ops/},
         'and names the object and the symbol');

    # an operation calling the Key Protect client past the store
    ($rc, $res) = calling('ops', 'ngx_kmip_kp_call_create', 'kp',
                          'ngx_kmip_kp.o');
    like($res, qr{ops/cross\.o: \s uses \s ngx_kmip_kp_call_create, \s
                  defined \s in \s kp/, \s which \s it \s reaches \s only}x,
         'a call from the operations to the Key Protect client fails');
}

done_testing();
