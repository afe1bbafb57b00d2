#!/usr/bin/perl

# Every directive and variable the module defines is documented in
# docs/directives.md, and the documentation names nothing the code lacks.

use strict;
use warnings;

use Test::More;
use File::Basename qw(dirname);

my $top = dirname(__FILE__) . '/..';

my (%code_directives, %code_variables);

for my $file (glob "$top/ngx_kmip_module/*/*.c") {
    open my $fh, '<', $file or die "$file: $!";
    my $src = do { local $/; <$fh> };

    while ($src =~ /ngx_command_t\s+\w+\[\]\s*=\s*\{(.*?)ngx_null_command/sg)
    {
        my $table = $1;
        $code_directives{$1} = $file while $table =~ /ngx_string\("(\w+)"\)/g;
    }

    while ($src =~ /ngx_(?:stream|http)_variable_t\s+\w+\[\]\s*=\s*\{(.*?)
                    ngx_(?:stream|http)_null_variable/sxg)
    {
        my $table = $1;
        $code_variables{$1} = $file while $table =~ /ngx_string\("(\w+)"\)/g;
    }
}

open my $doc, '<', "$top/docs/directives.md" or die "docs/directives.md: $!";
my (%doc_directives, %doc_variables);
while (<$doc>) {
    $doc_variables{$1} = 1 if /^###\s+\$(\w+)\s*$/;
    $doc_directives{$1} = 1 if /^###\s+(\w+)\s*$/;
}

ok(scalar(keys %code_directives) > 0, 'directives found in the code');

for my $d (sort keys %code_directives) {
    ok($doc_directives{$d}, "directive $d is documented");
}

for my $v (sort keys %code_variables) {
    ok($doc_variables{$v}, "variable \$$v is documented");
}

for my $d (sort keys %doc_directives) {
    ok($code_directives{$d}, "documented directive $d exists in the code");
}

for my $v (sort keys %doc_variables) {
    ok($code_variables{$v}, "documented variable \$$v exists in the code");
}

done_testing();
