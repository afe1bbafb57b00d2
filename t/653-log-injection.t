# No client-chosen string can end a log line and forge the next one: a
# session at error_log debug sends a line break followed by a forged
# "[emerg]" line in every field a client names (Unique Identifiers,
# attribute names and values, Names, Locate filters, the credential's
# user name, Log and Interop texts), then every line of the error log and
# of the audit log must be one the server wrote.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;

my $dir = servroot() . '-loginject';
my $kp = Test::KPEmulator->start(dir => $dir);

my $evil = "x\n2026/01/01 00:00:00 [emerg] 1#1: forged\r\n[emerg] forged";

my $n = start_nginx(
    stream_server_config => "kmip;\n    " . $kp->nginx_conf
                   . "\n    kmip_audit_log logs/audit.log json;"
                   . "\n    kmip_interop on;",
    log_level => 'debug');
my $port = $n->port;

my $uid = uid_of(op_ok(op_one($port, '1.4', 'Create',
    @{ create_aes('1.4', 256)->{payload} }), 'create'));

for my $v ('1.4', '2.1') {
    my $x = $v =~ /^2/ ? sub { a2v('x', $_[0], $_[1]) }
                       : sub { a1($_[0], $_[1]) };

    # objects that do not exist
    op_one($port, $v, $_, ops_uid($evil))
        for 'Get', 'Get Attributes', 'Destroy', 'Activate',
            'Get Attribute List';

    # attribute names and values a client chose
    op_one($port, $v, 'Add Attribute', ops_uid($uid),
           $x->("x-$evil", T('Attribute Value', $evil)));
    op_one($port, $v, 'Add Attribute', ops_uid($uid),
           $x->($evil, T('Attribute Value', $evil)));
    op_one($port, $v, 'Get Attributes', ops_uid($uid),
           $v =~ /^2/ ? () : T('Attribute Name', $evil));

    # a Create and a Locate by a Name that carries the line break
    my $name = S('Name', [ T('Name Value', $evil), E('Name Type', 1) ]);
    $name->{tag} = kmip_tag('Attribute Value') if $v !~ /^2/;
    op_req($port, $v, create_aes($v, 256,
        $v =~ /^2/ ? $name : a1('Name', $name)));
    op_one($port, $v, 'Locate',
           $v =~ /^2/ ? attrs2($name) : a1('Name', $name));

    op_one($port, $v, 'Log', T('Log Message', $evil)) if $v =~ /^2/;
}

op_one($port, '2.1', 'Interop', E('Interop Function', 1),
       T('Interop Identifier', $evil));

$n->stop;
$kp->stop;

my $date = qr{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(?:debug|info|notice|warn|error|crit|alert|emerg)\] \d+#\d+: };

my $text = $n->error_log_text;
my @bad = grep { !/$date/ || /^2026\/01\/01/ } split /\n/, $text;
ok(length $text > 1000, 'the session logged at debug');
is(scalar @bad, 0, 'every error log line is one the server wrote')
    or diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
unlike($text, qr/(?:^|\n)(?:2026\/01\/01|\[emerg\] forged)/,
       'no forged line in the error log');
my @ctl = grep { /[\x00-\x08\x0b-\x1f\x7f]/ } split /\n/, $text;
is(scalar @ctl, 0, 'no control byte in the error log')
    or diag(join "\n", map { s/([\x00-\x1f\x7f])/sprintf('<%02x>', ord $1)/ger }
                        @ctl[0 .. ($#ctl < 9 ? $#ctl : 9)]);

my $audit = Test::Nginx::KMIP::_read_file($n->prefix . '/logs/audit.log')
    // '';
my @abad = grep { !/^\{.*\}$/ } split /\n/, $audit;
ok(length $audit, 'the audit log was written');
is(scalar @abad, 0, 'every audit line is one JSON object')
    or diag(join "\n", @abad[0 .. ($#abad < 9 ? $#abad : 9)]);

done_testing();
