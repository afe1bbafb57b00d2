package KMIP::TTLV;

# A small KMIP TTLV toolkit for the ngx_kmip test suites: builders, a strict
# encoder and decoder (a test oracle), a pretty-printer, and request helpers.
#
# Tag names and enumeration values are read from the generated C headers
# ngx_kmip_module/codec/ngx_kmip_tags.h and ngx_kmip_enums.h (display names
# of tags from ngx_kmip_module/codec/ngx_kmip_names.c when present), so the tests and the
# module share one source of truth.  A minimal built-in table is used only
# when the headers are absent.
#
# Items are hash refs:
#   { tag => 0x420078, name => 'Request Message', type => 1, value => [...] }
# value: array ref of children (Structure), a number (Integer, Long Integer,
# Enumeration, Interval, Date-Time [epoch seconds], Date-Time Extended
# [epoch microseconds]), 0/1 (Boolean), a byte string (Text String [UTF-8
# bytes], Byte String, Big Integer [two's complement, big-endian]).
# Encoder overrides for malformed-input tests: length => N (header length),
# raw => $bytes (value bytes used as is), pad => 0 (do not pad raw).

use strict;
use warnings;

use Carp qw(croak);
use File::Basename qw(dirname);
use File::Spec;
use POSIX qw(strftime);
use Exporter 'import';

our @EXPORT = qw(
    S I L BI E BOOL T B DT IV DTX RAW_ITEM
    ttlv_encode ttlv_decode ttlv_decode_all ttlv_dump ttlv_hex
    kmip_request kmip_request_item kmip_find kmip_find_all kmip_value
    kmip_tag kmip_tag_name kmip_enum kmip_enum_name kmip_operation
    kmip_mask kmip_item_length
);

our %TYPE = (
    'Structure'          => 0x01,
    'Integer'            => 0x02,
    'Long Integer'       => 0x03,
    'Big Integer'        => 0x04,
    'Enumeration'        => 0x05,
    'Boolean'            => 0x06,
    'Text String'        => 0x07,
    'Byte String'        => 0x08,
    'Date-Time'          => 0x09,
    'Interval'           => 0x0A,
    'Date-Time Extended' => 0x0B,
);
our %TYPE_NAME = reverse %TYPE;

# ---------------------------------------------------------------- name tables

our $SRC_DIR = $ENV{KMIP_TTLV_HEADER_DIR}
    || File::Spec->catdir(dirname(File::Spec->rel2abs(__FILE__)),
                          '..', '..', '..', 'ngx_kmip_module', 'codec');

our %TAG_BY_KEY;     # UPPER_SNAKE -> tag
our %TAG_NAME;       # tag -> display name
our %ENUM_BY_KEY;    # ENUM_KEY -> { VALUE_KEY -> value }
our %ENUM_NAME;      # ENUM_KEY -> { value -> VALUE_KEY }
our $TAG_SOURCE;     # 'header' or 'fallback'

sub _key {
    my $s = uc shift;
    $s =~ s/[^A-Z0-9]+/_/g;
    $s =~ s/^_+|_+$//g;
    return $s;
}

sub _title {
    my $k = shift;
    return join ' ', map { ucfirst lc } split /_/, $k;
}

# Appendix B of ../shared/notes/vcenter-kmip.md; used only if the header is missing.
my @FALLBACK_TAGS = (
    'Request Message' => 0x420078, 'Request Header' => 0x420077,
    'Response Message' => 0x42007B, 'Response Header' => 0x42007A,
    'Protocol Version' => 0x420069, 'Protocol Version Major' => 0x42006A,
    'Protocol Version Minor' => 0x42006B, 'Batch Count' => 0x42000D,
    'Batch Item' => 0x42000F, 'Operation' => 0x42005C,
    'Unique Batch Item ID' => 0x420093, 'Request Payload' => 0x420079,
    'Response Payload' => 0x42007C, 'Result Status' => 0x42007F,
    'Result Reason' => 0x42007E, 'Result Message' => 0x42007D,
    'Time Stamp' => 0x420092, 'Unique Identifier' => 0x420094,
    'Object Type' => 0x420057, 'Template-Attribute' => 0x420091,
    'Attribute' => 0x420008, 'Attribute Name' => 0x42000A,
    'Attribute Value' => 0x42000B, 'Symmetric Key' => 0x42008F,
    'Key Block' => 0x420040, 'Key Format Type' => 0x420042,
    'Key Value' => 0x420045, 'Key Material' => 0x420043,
    'Cryptographic Algorithm' => 0x420028,
    'Cryptographic Length' => 0x42002A, 'Query Function' => 0x420074,
    'Vendor Identification' => 0x42009D, 'Authentication' => 0x42000C,
    'Credential' => 0x420023, 'Credential Type' => 0x420024,
    'Credential Value' => 0x420025, 'Username' => 0x420099,
    'Password' => 0x4200A1, 'Maximum Response Size' => 0x420050,
    'Batch Order Option' => 0x420010,
    'Cryptographic Usage Mask' => 0x42002C, 'Server Information' => 0x420088,
);

my %FALLBACK_ENUMS = (
    'Operation' => {
        CREATE => 0x01, CREATE_KEY_PAIR => 0x02, REGISTER => 0x03,
        RE_KEY => 0x04, DERIVE_KEY => 0x05, CERTIFY => 0x06,
        RE_CERTIFY => 0x07, LOCATE => 0x08, CHECK => 0x09, GET => 0x0A,
        GET_ATTRIBUTES => 0x0B, GET_ATTRIBUTE_LIST => 0x0C,
        ADD_ATTRIBUTE => 0x0D, MODIFY_ATTRIBUTE => 0x0E,
        DELETE_ATTRIBUTE => 0x0F, OBTAIN_LEASE => 0x10,
        GET_USAGE_ALLOCATION => 0x11, ACTIVATE => 0x12, REVOKE => 0x13,
        DESTROY => 0x14, ARCHIVE => 0x15, RECOVER => 0x16, VALIDATE => 0x17,
        QUERY => 0x18, CANCEL => 0x19, POLL => 0x1A, NOTIFY => 0x1B,
        PUT => 0x1C, RE_KEY_KEY_PAIR => 0x1D, DISCOVER_VERSIONS => 0x1E,
    },
    'Object Type' => { SYMMETRIC_KEY => 0x02 },
    'Cryptographic Algorithm' => { AES => 0x03 },
    'Key Format Type' => { RAW => 0x01 },
    'Query Function' => { QUERY_OPERATIONS => 1, QUERY_OBJECTS => 2,
                          QUERY_SERVER_INFORMATION => 3 },
    'Result Status' => { SUCCESS => 0, OPERATION_FAILED => 1,
                         OPERATION_PENDING => 2, OPERATION_UNDONE => 3 },
    'Result Reason' => {
        ITEM_NOT_FOUND => 0x01, INVALID_MESSAGE => 0x04,
        OPERATION_NOT_SUPPORTED => 0x05, MISSING_DATA => 0x06,
        INVALID_FIELD => 0x07, ILLEGAL_OPERATION => 0x0B,
        PERMISSION_DENIED => 0x0C, OBJECT_ARCHIVED => 0x0D,
        GENERAL_FAILURE => 0x100 },
    'Credential Type' => { USERNAME_AND_PASSWORD => 1 },
    'Batch Order Option' => {},
    'Cryptographic Usage Mask' => { ENCRYPT => 0x04, DECRYPT => 0x08 },
);

sub _slurp {
    my $f = shift;
    open my $fh, '<', $f or return undef;
    local $/;
    my $t = <$fh>;
    close $fh;
    return $t;
}

sub _load_tables {
    my $tags = _slurp(File::Spec->catfile($SRC_DIR, 'ngx_kmip_tags.h'));
    if (defined $tags && $tags =~ /NGX_KMIP_TAG_/) {
        $TAG_SOURCE = 'header';
        while ($tags =~ /^#define NGX_KMIP_TAG_(\w+)\s+0x([0-9A-Fa-f]{6})\b/mg) {
            my ($k, $v) = ($1, hex $2);
            $TAG_BY_KEY{$k} = $v;
            $TAG_NAME{$v} //= _title($k);
        }
        my $names = _slurp(File::Spec->catfile($SRC_DIR, 'ngx_kmip_names.c'));
        if (defined $names) {
            # first table wins: it is ordered by tag, 1.x names first
            my %seen;
            while ($names =~ /\{\s*0x([0-9A-Fa-f]{6}),\s*"([^"]+)",/g) {
                my ($v, $n) = (hex $1, $2);
                next if $seen{$v}++;
                $TAG_NAME{$v} = $n;
                $TAG_BY_KEY{_key($n)} //= $v;
            }
        }
    } else {
        $TAG_SOURCE = 'fallback';
        my @t = @FALLBACK_TAGS;
        while (my ($n, $v) = splice @t, 0, 2) {
            $TAG_BY_KEY{_key($n)} = $v;
            $TAG_NAME{$v} = $n;
        }
    }

    my $enums = _slurp(File::Spec->catfile($SRC_DIR, 'ngx_kmip_enums.h'));
    if (defined $enums && $enums =~ /NGX_KMIP_OPERATION_/) {
        my $cur;
        for my $line (split /\n/, $enums) {
            if ($line =~ m{^/\*\s*(.+?)\s*\*/\s*$}) {
                $cur = _key($1);
                next;
            }
            next unless defined $cur;
            if ($line =~ /^#define NGX_KMIP_(\w+)\s+0x([0-9A-Fa-f]+)\b/) {
                my ($k, $v) = ($1, hex $2);
                next unless $k =~ s/^\Q$cur\E_//;
                $ENUM_BY_KEY{$cur}{$k} //= $v;
                $ENUM_NAME{$cur}{$v} //= $k;
            } elsif ($line =~ /^\s*$/) {
                next;
            }
        }
    } else {
        for my $e (keys %FALLBACK_ENUMS) {
            my $ek = _key($e);
            while (my ($k, $v) = each %{ $FALLBACK_ENUMS{$e} }) {
                $ENUM_BY_KEY{$ek}{$k} = $v;
                $ENUM_NAME{$ek}{$v} //= $k;
            }
        }
    }
    # the Query Function values are spelled QUERY_OPERATIONS in the spec;
    # accept the short forms as well
    if (my $q = $ENUM_BY_KEY{QUERY_FUNCTION}) {
        for my $k (keys %$q) {
            (my $s = $k) =~ s/^QUERY_//;
            $q->{$s} //= $q->{$k};
        }
    }
}

_load_tables();

# kmip_tag('Unique Batch Item ID') -> 0x420093; numbers pass through
sub kmip_tag {
    my $n = shift;
    croak "kmip_tag: undefined tag" unless defined $n;
    return $n if $n =~ /^\d+$/;
    return hex $n if $n =~ /^0x[0-9a-f]+$/i;
    my $t = $TAG_BY_KEY{_key($n)};
    croak "unknown KMIP tag name '$n' (tags from $TAG_SOURCE)" unless defined $t;
    return $t;
}

sub kmip_tag_name {
    my $t = shift;
    return $TAG_NAME{$t} // sprintf('0x%06x', $t);
}

# kmip_enum('Operation', 'Discover Versions') -> 0x1e
sub kmip_enum {
    my ($enum, $v) = @_;
    croak "kmip_enum($enum): undefined value" unless defined $v;
    return $v if $v =~ /^\d+$/;
    return hex $v if $v =~ /^0x[0-9a-f]+$/i;
    my $e = $ENUM_BY_KEY{_key($enum)}
        or croak "no enumeration named '$enum'";
    my $x = $e->{_key($v)};
    croak "enumeration '$enum' has no value '$v'" unless defined $x;
    return $x;
}

sub kmip_enum_name {
    my ($enum, $v) = @_;
    my $e = $ENUM_NAME{_key($enum)} or return undef;
    return $e->{$v};
}

sub kmip_operation { kmip_enum('Operation', shift) }

# kmip_mask('Cryptographic Usage Mask', 'Encrypt|Decrypt') -> 12
sub kmip_mask {
    my ($enum, $v) = @_;
    return $v if $v =~ /^\d+$/;
    return hex $v if $v =~ /^0x[0-9a-f]+$/i;
    my $m = 0;
    $m |= kmip_enum($enum, $_) for split /\s*[|,]\s*/, $v;
    return $m;
}

# ----------------------------------------------------------------- builders

sub _item {
    my ($type, $name, $value, %o) = @_;
    my $tag = kmip_tag($name);
    return { tag => $tag, name => kmip_tag_name($tag), type => $type,
             value => $value, %o };
}

sub S {
    my ($name, $children, %o) = @_;
    $children //= [];
    $children = [$children] if ref $children eq 'HASH';
    croak "S($name): children must be an array ref" unless ref $children eq 'ARRAY';
    return _item(0x01, $name, [ grep { defined } @$children ], %o);
}
sub I  {
    my ($n, $v, %o) = @_;
    $v = kmip_mask($n, $v) if defined $v && $v !~ /^-?\d+$/;
    return _item(0x02, $n, $v, %o);
}
sub L  { _item(0x03, @_) }
sub BI { _item(0x04, @_) }
sub E  {
    my ($n, $v, %o) = @_;
    return _item(0x05, $n, kmip_enum($n, $v), %o);
}
sub BOOL { my ($n, $v, %o) = @_; _item(0x06, $n, $v ? 1 : 0, %o) }
sub T  { _item(0x07, @_) }
sub B  { _item(0x08, @_) }
sub DT { _item(0x09, @_) }
sub IV { _item(0x0A, @_) }
sub DTX { _item(0x0B, @_) }

# RAW_ITEM(tag, type, $value_bytes, %o): any tag/type/bytes, for hostile tests
sub RAW_ITEM {
    my ($name, $type, $bytes, %o) = @_;
    my $tag = kmip_tag($name);
    return { tag => $tag, name => kmip_tag_name($tag), type => $type,
             value => undef, raw => $bytes, %o };
}

# ----------------------------------------------------------------- encoder

sub _pad { my $l = shift; return (8 - $l % 8) % 8 }

sub _enc_value {
    my $it = shift;
    my ($t, $v) = ($it->{type}, $it->{value});
    if ($t == 0x01) { return join '', map { ttlv_encode($_) } @$v }
    if ($t == 0x02 || $t == 0x05 || $t == 0x0A) {
        croak "value of $it->{name} undefined" unless defined $v;
        return pack 'N', $v & 0xffffffff;
    }
    if ($t == 0x03 || $t == 0x09 || $t == 0x0B) { return pack 'q>', $v }
    if ($t == 0x06) { return pack 'q>', $v ? 1 : 0 }
    if ($t == 0x07) {
        my $s = $v;
        utf8::encode($s) if utf8::is_utf8($s);
        return $s;
    }
    if ($t == 0x08) { return $v }
    if ($t == 0x04) {
        croak "Big Integer $it->{name}: length must be a multiple of 8"
            if length($v) % 8;
        return $v;
    }
    croak sprintf("cannot encode type 0x%02x", $t);
}

# ttlv_encode($item, ...) -> bytes (several items are concatenated)
sub ttlv_encode {
    my $out = '';
    for my $it (@_) {
        if (!ref $it) { $out .= $it; next }    # raw bytes pass through
        my $val = defined $it->{raw} ? $it->{raw} : _enc_value($it);
        my $len = length $val;
        my $pad = (defined $it->{raw} && defined $it->{pad} && !$it->{pad})
                  ? 0 : _pad($len);
        $len = $it->{length} if defined $it->{length};
        $out .= substr(pack('N', $it->{tag}), 1, 3) . pack('C N', $it->{type}, $len)
              . $val . ("\0" x $pad);
    }
    return $out;
}

sub kmip_item_length { length ttlv_encode(@_) }

# ----------------------------------------------------------------- decoder

sub _dec {
    my ($buf, $pos, $end, $depth) = @_;
    my @items;
    while ($pos < $end) {
        die sprintf("TTLV: truncated header at offset %d (%d bytes left)\n",
                    $pos, $end - $pos) if $end - $pos < 8;
        my ($t3, $type, $len) = unpack 'a3 C N', substr($$buf, $pos, 8);
        my $tag = unpack 'N', "\0$t3";
        my $name = kmip_tag_name($tag);
        my $at = $pos;
        $pos += 8;
        die sprintf("TTLV: %s at offset %d: unknown type 0x%02x\n", $name, $at, $type)
            unless $TYPE_NAME{$type};
        my $padded = $len + _pad($len);
        die sprintf("TTLV: %s at offset %d: length %d (padded %d) exceeds the %d bytes available\n",
                    $name, $at, $len, $padded, $end - $pos)
            if $padded > $end - $pos;
        my $raw = substr($$buf, $pos, $len);
        my $padding = substr($$buf, $pos + $len, $padded - $len);
        die sprintf("TTLV: %s at offset %d: non-zero padding\n", $name, $at)
            if $padding =~ /[^\0]/;
        my $fixed = { 0x02 => 4, 0x05 => 4, 0x0A => 4, 0x03 => 8, 0x06 => 8,
                      0x09 => 8, 0x0B => 8 }->{$type};
        die sprintf("TTLV: %s at offset %d: %s with length %d (must be %d)\n",
                    $name, $at, $TYPE_NAME{$type}, $len, $fixed)
            if defined $fixed && $len != $fixed;
        my $v;
        if ($type == 0x01) {
            die "TTLV: nesting too deep at offset $at\n" if $depth > 64;
            $v = _dec($buf, $pos, $pos + $len, $depth + 1);
        } elsif ($type == 0x02) {
            $v = unpack 'l>', $raw;
        } elsif ($type == 0x05 || $type == 0x0A) {
            $v = unpack 'N', $raw;
        } elsif ($type == 0x03 || $type == 0x09 || $type == 0x0B) {
            $v = unpack 'q>', $raw;
        } elsif ($type == 0x06) {
            $v = unpack 'q>', $raw;
            die sprintf("TTLV: %s at offset %d: Boolean value %d is not 0 or 1\n",
                        $name, $at, $v) if $v != 0 && $v != 1;
        } elsif ($type == 0x04) {
            die sprintf("TTLV: %s at offset %d: Big Integer length %d is not a multiple of 8\n",
                        $name, $at, $len) if $len % 8;
            $v = $raw;
        } elsif ($type == 0x07) {
            my $copy = $raw;
            die sprintf("TTLV: %s at offset %d: Text String is not valid UTF-8\n", $name, $at)
                unless utf8::decode($copy);
            $v = $raw;
        } else {
            $v = $raw;
        }
        push @items, { tag => $tag, name => $name, type => $type, value => $v,
                       offset => $at, vlen => $len };
        $pos += $padded;
    }
    return \@items;
}

# ttlv_decode($bytes) -> one item; dies (with a message naming the offset)
# on any malformation or on trailing bytes.
sub ttlv_decode {
    my $bytes = shift;
    croak "ttlv_decode: undefined input" unless defined $bytes;
    my $items = _dec(\$bytes, 0, length $bytes, 0);
    die "TTLV: empty input\n" unless @$items;
    die sprintf("TTLV: %d trailing item(s) after the first message\n", @$items - 1)
        if @$items > 1;
    return $items->[0];
}

sub ttlv_decode_all {
    my $bytes = shift;
    return @{ _dec(\$bytes, 0, length $bytes, 0) };
}

# ----------------------------------------------------------------- dump

sub _text {
    my $s = shift;
    my $u = $s;
    utf8::decode($u);
    $u =~ s/(["\\])/\\$1/g;
    $u =~ s/([\x00-\x1f\x7f])/sprintf('\\x%02x', ord $1)/ge;
    $u =~ s/([^\x00-\x7f])/sprintf('\\x{%x}', ord $1)/ge;
    return qq{"$u"};
}

sub _value_text {
    my $it = shift;
    my ($t, $v) = ($it->{type}, $it->{value});
    return 'raw ' . unpack('H*', $it->{raw}) if defined $it->{raw};
    if ($t == 0x02) { return "$v" }
    if ($t == 0x03) { return "long $v" }
    if ($t == 0x04) { return 'bigint 0x' . unpack('H*', $v) }
    if ($t == 0x05) {
        my $n = kmip_enum_name($it->{name}, $v);
        return sprintf('0x%x', $v) . (defined $n ? " ($n)" : '');
    }
    if ($t == 0x06) { return $v ? 'true' : 'false' }
    if ($t == 0x07) { return _text($v) }
    if ($t == 0x08) { return sprintf('bytes(%d) %s', length $v, unpack('H*', $v)) }
    if ($t == 0x09) { return strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $v) }
    if ($t == 0x0A) { return "interval $v" }
    if ($t == 0x0B) { return "dtx $v" }
    return sprintf('type 0x%02x', $t);
}

# ttlv_dump($item) -> text, one line per item, two spaces per level:
#   Structure:          Name
#   Integer:            Name: 42
#   Long Integer:       Name: long 42
#   Big Integer:        Name: bigint 0x0000000000000001
#   Enumeration:        Name: 0x1e (DISCOVER_VERSIONS)   [name if known]
#   Boolean:            Name: true | false
#   Text String:        Name: "text"   (\\ \" \xNN \x{NNNN} escapes)
#   Byte String:        Name: bytes(8) 514c4b4301000000
#   Date-Time:          Name: 2024-01-31T12:00:00Z
#   Interval:           Name: interval 3600
#   Date-Time Extended: Name: dtx 1706702400000000
sub ttlv_dump {
    my ($it, $indent) = @_;
    $indent //= 0;
    my $pre = '  ' x $indent;
    my $name = $TAG_NAME{$it->{tag}} // sprintf('0x%06x', $it->{tag});
    if ($it->{type} == 0x01 && !defined $it->{raw}) {
        my $s = "$pre$name\n";
        $s .= ttlv_dump($_, $indent + 1) for @{ $it->{value} };
        return $s;
    }
    return "$pre$name: " . _value_text($it) . "\n";
}

sub ttlv_hex {
    my $b = shift;
    my $h = unpack 'H*', $b;
    my @l;
    push @l, join ' ', unpack '(A16)*', $_ for unpack '(A32)*', $h;
    return join "\n", @l;
}

# ------------------------------------------------------------ navigation

# kmip_find($tree, 'Batch Item', 'Result Status') -> the item or undef.
# A path element may carry an index: 'Batch Item[1]' (0-based).  If the
# first element names the root itself, it is skipped.
sub kmip_find_all {
    my ($node, @path) = @_;
    return () unless $node;
    if (@path && !ref $path[0]) {
        my ($n0) = $path[0] =~ /^(.*?)(?:\[\d+\])?$/;
        if (kmip_tag($n0) == $node->{tag}
            && !grep { $_->{tag} == $node->{tag} } @{ $node->{value} || [] })
        {
            shift @path;
        }
    }
    my @cur = ($node);
    while (@path) {
        my $p = shift @path;
        my ($n, $idx) = $p =~ /^(.*?)(?:\[(\d+)\])?$/;
        my $tag = kmip_tag($n);
        my @next;
        for my $c (@cur) {
            next unless $c->{type} == 0x01 && ref $c->{value} eq 'ARRAY';
            my @m = grep { $_->{tag} == $tag } @{ $c->{value} };
            @m = defined $m[$idx] ? ($m[$idx]) : () if defined $idx;
            push @next, @m;
        }
        @cur = @next;
        last unless @cur;
    }
    return @cur;
}

sub kmip_find {
    my @all = kmip_find_all(@_);
    return $all[0];
}

sub kmip_value {
    my $it = kmip_find(@_);
    return $it ? $it->{value} : undef;
}

# --------------------------------------------------------- request helper

# kmip_request_item(version => '1.1', max_response_size => N,
#     credential => [user, pass], batch_order_option => 1,
#     header => [extra header children], batch_count => N (override),
#     items => [ { operation => 'Get' | 0x0a, ubi => $bytes,
#                  payload => [children] | $item, extra => [children] } ])
sub kmip_request_item {
    my %a = @_;
    my ($maj, $min) = split /\./, ($a{version} // '1.1');
    my @items = @{ $a{items} || [] };
    my @hdr = (
        S('Protocol Version', [ I('Protocol Version Major', $maj),
                                I('Protocol Version Minor', $min // 0) ]),
    );
    push @hdr, I('Maximum Response Size', $a{max_response_size})
        if defined $a{max_response_size};
    if ($a{credential}) {
        my ($u, $p) = @{ $a{credential} };
        push @hdr, S('Authentication', [
            S('Credential', [
                E('Credential Type', 1),
                S('Credential Value', [ T('Username', $u),
                                        defined $p ? T('Password', $p) : () ]),
            ]),
        ]);
    }
    # Batch Order Option is a Boolean in KMIP 1.x
    push @hdr, BOOL('Batch Order Option', $a{batch_order_option})
        if defined $a{batch_order_option};
    push @hdr, @{ $a{header} } if $a{header};
    push @hdr, I('Batch Count', $a{batch_count} // scalar @items);

    my @bi;
    for my $x (@items) {
        if (ref $x eq 'HASH' && $x->{tag}) { push @bi, $x; next }   # a ready item
        my @c = (E('Operation', kmip_operation($x->{operation})));
        push @c, B('Unique Batch Item ID', $x->{ubi}) if defined $x->{ubi};
        my $p = $x->{payload};
        if (ref $p eq 'HASH') { push @c, $p }
        elsif (defined $p)    { push @c, S('Request Payload', $p) }
        push @c, @{ $x->{extra} } if $x->{extra};
        push @bi, S('Batch Item', \@c);
    }
    return S('Request Message', [ S('Request Header', \@hdr), @bi ]);
}

sub kmip_request { ttlv_encode(kmip_request_item(@_)) }

1;
