#!/usr/bin/perl
# The benchmark's tools work: bench/run --smoke runs every scenario for about
# a second (nginx + kp-emulator + pykmip-server + openssl s_server, all on
# 127.0.0.1) and prints the table. The figures are not checked (CI's machine
# is shared and small); what each run did and counted is.

use strict;
use warnings;
use Test::More;
use JSON::PP;
use File::Temp qw(tempdir);
use FindBin;
use Cwd qw(abs_path);

my $top = abs_path("$FindBin::Bin/..");

plan skip_all => 'pykmip-server missing (apt-get install python3-pykmip)'
    unless -x '/usr/bin/pykmip-server';

my $module = (split ' ', $ENV{TEST_NGINX_LOAD_MODULES}
                         || 'build/ngx_stream_kmip_module.so')[0];
$module = "$top/$module" unless $module =~ m{^/};
plan skip_all => "no module at $module (make module)" unless -f $module;

my $dir = tempdir('bench-smoke-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $json = "$dir/smoke.json";

local $ENV{BENCH_MODULE} = $module;
# the nginx the suite runs (make prove NGINX_BIN=...), with its stream module
local $ENV{NGINX_BIN} = $ENV{TEST_NGINX_BINARY} if $ENV{TEST_NGINX_BINARY};
local $ENV{NGINX_STREAM_MODULE} = $ENV{TEST_NGINX_STREAM_MODULE}
    if $ENV{TEST_NGINX_STREAM_MODULE};
my $t0 = time;
my $out = `$top/bench/run --smoke --json $json 2>$dir/stderr`;
my $rc = $? >> 8;

is($rc, 0, 'bench/run --smoke exits 0')
    or diag(`tail -30 $dir/stderr`);
# scenario 8 waits out pykmip-server's RSA-4096 generations (seconds each)
cmp_ok(time - $t0, '<', 150, 'within the smoke budget');

# the table: a header and one row per measure of each scenario
like($out, qr/^\| # \| measure \| ngx_kmip \| peer \| ratio \| target \|/m,
     'the table header is printed');
for my $s (1 .. 9) {
    like($out, qr/^\| $s \| /m, "the table has scenario $s");
}
like($out, qr/^Machine: \d+ CPUs .*nginx 1\.\d+\.\d+ \(1 worker process\)/m,
     'the machine line names the CPUs, nginx and the worker count');
like($out, qr/SMOKE: figures meaningless/, 'a smoke run says so');

my $r = eval { decode_json(do { local (@ARGV, $/) = $json; <> }) };
ok($r, 'the JSON results parse') or BAIL_OUT("no results: $@");
my $runs = $r->{runs};

# every measured run did work, without errors, of the kind it was asked for
for my $k (sort grep { /^s[1-4]_|^s[679]_|^s5_fresh|^s8_.*_dv/ }
           keys %$runs)
{
    my $x = $runs->{$k};
    next if $k =~ /sserver|nginxhs/;
    next if $k =~ /^s7_pykmip_.*_ec$/;     # pykmip-server makes RSA only
    cmp_ok($x->{ops}, '>', 0, "$k: operations done");
    is($x->{kmip_errors} + $x->{conn_errors}, 0, "$k: no errors")
        or diag($x->{first_error});
}

is($runs->{s1_nginx_dv}{by_op}{dv}, $runs->{s1_nginx_dv}{ops},
   'scenario 1: only Discover Versions were counted');
is($runs->{s1_pykmip_query}{by_op}{query}, $runs->{s1_pykmip_query}{ops},
   'scenario 1: the peer answered Query');
is($runs->{s1_nginx_dv}{conns}, 64, 'scenario 1: 64 connections');
is($runs->{s2_nginx_get}{by_op}{get}, $runs->{s2_nginx_get}{ops},
   'scenario 2: Gets of existing keys succeeded');

# the design's call counts (docs/key-protect.md), as the emulator saw them
# a Get of a key the node made or read: a listing, the record it kept,
# the unwrap (docs/key-protect.md#the-record-of-a-key)
is($r->{kp_calls_per_op}{get}, 2, 'a Get costs 2 Key Protect calls');
is($r->{kp_calls_per_op}{get_first}, 3,
   'the first Get of a key 3: its served mark, an alias');
is($r->{kp_calls_per_op}{create}, 2, 'a Create costs 2 Key Protect calls');

is($runs->{s3_nginx_get128}{conns}, 128, 'scenario 3: 128 connections');
# KMIP over HTTPS, TTLV and JSON bodies, beside the stream transport
ok($r->{have_https}, 'scenario 9: the module has ngx_http_kmip_module');
for my $enc (qw(ttlv json)) {
    is($runs->{"s9_https_${enc}_get"}{by_op}{get},
       $runs->{"s9_https_${enc}_get"}{ops},
       "scenario 9: Gets over HTTPS in \U$enc\E succeeded");
}
ok($runs->{s4_nginx_resume}{resume} && $runs->{s4_nginx_resume}{new_conn},
   'scenario 4: new connections with resumption');
cmp_ok($runs->{s4_nginx_resume}{resumed}, '>', 0,
       'scenario 4: nginx resumed TLS sessions');
is($runs->{s4_nginx_full}{resumed}, 0, 'scenario 4: full handshakes');
cmp_ok($runs->{s4_sserver_full}{handshakes}, '>', 0,
       'scenario 4: s_server handshakes counted');
cmp_ok($runs->{s4_nginx_full}{handshakes}, '>=',
       $runs->{s4_nginx_full}{transactions},
       'scenario 4: a handshake for every transaction');

is($runs->{s5_idle}{conns}, 300, 'scenario 5: 300 idle connections held');
cmp_ok($runs->{s5_idle}{mem_held}{rss}, '>', 0, 'scenario 5: RSS read');
is($runs->{s5_fresh_get}{ops}, 5, 'scenario 5: 5 Gets on fresh connections');

# scenario 7: each operation of its kind; the peer's EC cells say why not
for my $who (qw(nginx pykmip)) {
    is($runs->{"s7_${who}_ckp_rsa"}{by_op}{'ckp-rsa'},
       $runs->{"s7_${who}_ckp_rsa"}{ops}, "scenario 7: $who made RSA pairs");
    is($runs->{"s7_${who}_sign_rsa"}{by_op}{'sign-rsa'},
       $runs->{"s7_${who}_sign_rsa"}{ops}, "scenario 7: $who signed");
    is($runs->{"s7_${who}_getpriv"}{by_op}{get},
       $runs->{"s7_${who}_getpriv"}{ops},
       "scenario 7: $who served private keys");
}
is($runs->{s7_nginx_sign_ec}{by_op}{'sign-ec'}, $runs->{s7_nginx_sign_ec}{ops},
   'scenario 7: nginx signed with ECDSA');
like($runs->{s7_pykmip_ckp_ec}{na} // '', qr/not a supported/,
     'scenario 7: the peer refuses EC key pairs, and the row says why');

# scenario 8: the probe's count, the generations asked for, the timing
for my $k (qw(s8_nginx_dv_idle s8_nginx_dv_keygen s8_pykmip_dv_idle
              s8_pykmip_dv_keygen))
{
    is($runs->{$k}{ops}, 400, "$k: every Discover Versions answered");
}
# the generations are what counts here, and their pairs are stored (in
# chunks: docs/key-protect.md)
is($runs->{s8_nginx_ckp4096}{conn_errors}, 0,
   'scenario 8: the RSA-4096 connections held');
is($runs->{s8_nginx_ckp4096}{kmip_errors}, 0,
   'scenario 8: the RSA-4096 pairs are stored')
    or diag($runs->{s8_nginx_ckp4096}{first_error});
is($runs->{s8_keygen}{keygen_rsa4096}{n}, 2,
   'scenario 8: 2 RSA-4096 generations timed');

ok(@{ $r->{table} } >= 22, 'the table has every row');

done_testing();
