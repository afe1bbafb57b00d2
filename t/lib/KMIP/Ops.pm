package KMIP::Ops;

# Helpers for the key-operation suites (t/301..t/310, t/6xx): the suite's
# Key Protect emulator and its nginx nodes, requests in the 1.x and 2.x
# forms, answers as Perl data, attribute maps.

use strict;
use warnings;

use Exporter 'import';
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use File::Temp qw(tempfile);

our @EXPORT = qw(suite_kp kp_node
                 op_req op_items op_ok op_fail uid_of attrs_of a1 a2v
                 tmpl1 attrs2 aes_attrs create_aes register_aes raw_key ops_uid reason_name op_one
                 attr_in op_get_attrs links_of kw_unwrap
                 op_name_item op_locate_name);

my $Ubi = 0;

# what suite_kp() and kp_node() started, stopped when the test ends (even
# when it dies), the last started first
my @Started;
END { local $?; $_->stop for reverse @Started }

# the suite's Key Protect emulator (state in servroot()-kp), started on
# first use
my $Kp;
sub suite_kp {
    return $Kp if $Kp;
    $Kp = Test::KPEmulator->start(dir => servroot() . '-kp');
    push @Started, $Kp;
    return $Kp;
}

# kp_node(kmip => [@directives], %start_nginx_options): an nginx whose
# server is "kmip;", the given directives and the suite's Key Protect
# emulator's
sub kp_node {
    my (%o) = @_;
    my @conf = ('kmip;', @{ delete $o{kmip} || [] }, suite_kp()->nginx_conf);
    my $n = start_nginx(stream_server_config => join("\n    ", @conf), %o);
    push @Started, $n;
    return $n;
}

# op_req($port, $version, {operation, payload}...) -> list of Batch Items
sub op_req {
    my ($port, $version, @items) = @_;
    my $r = kmip_roundtrip($port, kmip_request(version => $version,
        items => [ map { { %$_, ubi => pack('N', ++$Ubi) } } @items ]),
        timeout => 30);
    die "no answer from port $port" unless $r;
    return kmip_find_all($r, 'Batch Item');
}

# the answer's own header version, for the "no newer field" checks
sub op_items { my @bi = op_req(@_); return @bi }

sub op_ok {
    my ($bi, $what) = @_;
    my $ok = is(kmip_value($bi, 'Result Status'), 0, $what);
    diag('reason ' . (kmip_value($bi, 'Result Reason') // '-') . ': '
         . (kmip_value($bi, 'Result Message') // '')) unless $ok;
    return $bi;
}

# op_fail($bi, $reason, $what, $msg_re)
sub op_fail {
    my ($bi, $reason, $what, $msg_re) = @_;
    is(kmip_value($bi, 'Result Status'), 1, "$what: Operation Failed");
    is(sprintf('0x%x', kmip_value($bi, 'Result Reason') // -1),
       sprintf('0x%x', $reason), "$what: Result Reason")
        or diag(kmip_value($bi, 'Result Message'));
    like(kmip_value($bi, 'Result Message') // '', $msg_re,
         "$what: Result Message") if $msg_re;
}

sub uid_of { kmip_value($_[0], 'Response Payload', 'Unique Identifier') }

# Get Attributes answer -> { name => value or [values] }; understands the
# 1.x Attribute structures and the 2.x Attributes structure
sub attrs_of {
    my ($bi) = @_;
    my %a;
    my $add = sub {
        my ($n, $v) = @_;
        if (exists $a{$n}) {
            $a{$n} = [ $a{$n} ] unless ref $a{$n} eq 'ARRAY';
            push @{ $a{$n} }, $v;
        } else {
            $a{$n} = $v;
        }
    };
    my $p = kmip_find($bi, 'Response Payload') or return \%a;
    for my $at (kmip_find_all($p, 'Attribute')) {
        my $vid = kmip_value($at, 'Vendor Identification');
        my $n = kmip_value($at, 'Attribute Name');
        $n = "$vid-$n" if defined $vid;
        $add->($n, _val(kmip_find($at, 'Attribute Value')));
    }
    if (my $as = kmip_find($p, 'Attributes')) {
        for my $it (@{ $as->{value} }) {
            if ($it->{name} eq 'Attribute') {
                my $n = kmip_value($it, 'Vendor Identification') . '-'
                        . kmip_value($it, 'Attribute Name');
                $add->($n, _val(kmip_find($it, 'Attribute Value')));
            } else {
                $add->($it->{name}, _val($it));
            }
        }
    }
    return \%a;
}

sub _val {
    my $it = shift;
    return undef unless $it;
    return $it->{value} unless $it->{type} == 0x01;
    return { map { $_->{name} => _val($_) } @{ $it->{value} } };
}

# 1.x Attribute: a1('Name', $value_item_builder_result)
sub a1 {
    my ($name, $v, $index) = @_;
    $v->{tag} = kmip_tag('Attribute Value');
    $v->{name} = 'Attribute Value';
    return S('Attribute', [ T('Attribute Name', $name),
                            defined $index ? I('Attribute Index', $index) : (),
                            $v ]);
}

# 2.x vendor attribute: a2v('x', 'Name', $value_item)
sub a2v {
    my ($vid, $name, $v) = @_;
    $v->{tag} = kmip_tag('Attribute Value');
    $v->{name} = 'Attribute Value';
    return S('Attribute', [ T('Vendor Identification', $vid),
                            T('Attribute Name', $name), $v ]);
}

sub tmpl1  { S('Template-Attribute', [ @_ ]) }
sub attrs2 { S('Attributes', [ @_ ]) }

# the attributes of an AES key of $len bits (encrypt and decrypt) in the
# version's form, with extra attributes (already in that form)
sub aes_attrs {
    my ($version, $len, @extra) = @_;
    if ($version =~ /^2/) {
        return attrs2(E('Cryptographic Algorithm', 'AES'),
                      I('Cryptographic Length', $len),
                      I('Cryptographic Usage Mask', 12), @extra);
    }
    return tmpl1(a1('Cryptographic Algorithm', E('Cryptographic Algorithm', 'AES')),
                 a1('Cryptographic Length', I('Cryptographic Length', $len)),
                 a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask', 12)),
                 @extra);
}

# a Create of an AES key in the version's form, with extra attributes
sub create_aes {
    my ($version, $len, @extra) = @_;
    return { operation => 'Create', payload => [
        E('Object Type', 'Symmetric Key'),
        aes_attrs($version, $len // 256, @extra) ] };
}

# raw_key($algorithm, $material): a Symmetric Key object in Raw format
sub raw_key {
    my ($alg, $material) = @_;
    return S('Symmetric Key', [ S('Key Block', [
        E('Key Format Type', 'Raw'),
        S('Key Value', [ B('Key Material', $material) ]),
        E('Cryptographic Algorithm', $alg),
        I('Cryptographic Length', 8 * length $material) ]) ]);
}

# a Register of the AES key $material in the version's form, with extra
# attributes
sub register_aes {
    my ($version, $material, @extra) = @_;
    return { operation => 'Register', payload => [
        E('Object Type', 'Symmetric Key'),
        aes_attrs($version, 8 * length $material, @extra),
        raw_key('AES', $material) ] };
}

sub ops_uid { T('Unique Identifier', $_[0]) }

# one operation in its own request: op_one($port, $version, $op, @payload)
sub op_one {
    my ($port, $version, $op, @payload) = @_;
    my ($bi) = op_req($port, $version,
                      { operation => $op, payload => [ @payload ] });
    return $bi;
}

# a standard attribute in the version's form: its own tag in 2.x, an
# Attribute structure in 1.x
sub attr_in {
    my ($version, $item) = @_;
    return $item if $version =~ /^2/;
    return a1($item->{name}, $item);
}

# Get Attributes of standard attributes by name (none: all), checked to
# succeed, as attrs_of() reads it
sub op_get_attrs {
    my ($port, $version, $uid, @names) = @_;
    my @refs = map { $version =~ /^2/
                     ? E('Attribute Reference', kmip_tag($_))
                     : T('Attribute Name', $_) } @names;
    my $bi = op_one($port, $version, 'Get Attributes', ops_uid($uid), @refs);
    op_ok($bi, "$version Get Attributes @names");
    return attrs_of($bi);
}

# a Name attribute's value (Uninterpreted Text String)
sub op_name_item {
    S('Name', [ T('Name Value', $_[0]),
                E('Name Type', 'Uninterpreted Text String') ]);
}

# op_locate_name($port, $version, $name) -> the sorted identifiers a
# Locate by that Name finds
sub op_locate_name {
    my ($port, $version, $name) = @_;
    my @f = (op_name_item($name));
    my $bi = op_ok(op_one($port, $version, 'Locate',
                          $version =~ /^2/
                          ? attrs2(@f) : map { attr_in($version, $_) } @f),
                   "Locate by Name $name");
    return [ sort map { $_->{value} }
             kmip_find_all($bi, 'Response Payload', 'Unique Identifier') ];
}

# a Get Attributes Link answer, as attrs_of() reads it -> sorted
# "LINK_TYPE uid" strings
sub links_of {
    my ($a) = @_;
    my $l = $a->{Link} // [];
    $l = [ $l ] unless ref $l eq 'ARRAY';
    return [ sort map { kmip_enum_name('Link Type', $_->{'Link Type'})
                        . ' ' . $_->{'Linked Object Identifier'} } @$l ];
}

# RFC 3394 / RFC 5649 unwrap by openssl, the server's work checked by
# another implementation; undef when the unwrap fails its integrity check
sub kw_unwrap {
    my ($kek, $data, $pad) = @_;
    my ($fh, $file) = tempfile(UNLINK => 1);
    binmode $fh;
    print $fh $data;
    close $fh;
    my $cipher = sprintf('id-aes%d-wrap%s', 8 * length $kek,
                         $pad ? '-pad' : '');
    # a failed unwrap is an answer here, not a message
    open my $err, '>&', \*STDERR or die "dup: $!";
    open STDERR, '>', '/dev/null' or die "/dev/null: $!";
    open my $out, '-|', 'openssl', 'enc', '-d', "-$cipher",
         '-K', unpack('H*', $kek), '-iv', $pad ? 'A65959A6'
                                               : 'A6A6A6A6A6A6A6A6',
         '-in', $file or die "openssl: $!";
    binmode $out;
    my $plain = do { local $/; <$out> };
    close $out;
    my $rc = $?;
    open STDERR, '>&', $err or die "dup: $!";
    return $rc == 0 ? $plain : undef;
}

sub reason_name { kmip_enum_name('Result Reason', $_[0]) // $_[0] }

1;
