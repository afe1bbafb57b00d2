package KMIP::Conformance;

# The OASIS KMIP profile test cases (KMIP Profiles 1.4 / 2.1, XML form) run
# against a live server.
#
# A test case is a file of <RequestMessage>/<ResponseMessage> pairs.  Each
# request is turned into TTLV (tags by their CamelCase name through the tag
# table KMIP::TTLV loads from ngx_kmip_tags.h, enumerations by CamelCase
# name through ngx_kmip_enums.h), sent, and the decoded answer is compared
# with the expected response, item by item.
#
# Tolerances, and only these (the profiles' own conventions):
#   $UNIQUE_IDENTIFIER_n and every other $NAME placeholder: bound to the
#       value the server first returns there (same TTLV type, not empty),
#       equal to it everywhere after, and substituted into later requests;
#   $NOW, $NOW+n, $NOW-n: a Date-Time within the case's run time (+n), with
#       a few seconds of slack for clock granularity;
#   values the server generates itself are compared by type and length, not
#       by value: the key material and digest of keys the server created
#       (Create, Create Key Pair, Re-key, Derive Key), RNG Retrieve output,
#       cryptographic output under a server-created key or a
#       server-chosen IV, and RSA ciphertexts, which their padding
#       randomizes (RFC 8017 7.1.1, 7.2.1): no two encryptions agree;
#   attribute lists (runs of Attribute, Attribute Name, Attribute Reference,
#       and the children of the 2.x Attributes structures) are compared as
#       sets: the order in which a server lists attributes is not specified;
#   the Server Correlation Value of a Response Header is server-generated
#       and optional in either direction: when the answer has one it must be
#       a non-empty Text String, whatever its value, and it may be absent
#       where the case has one or present where the case has none.  The
#       field is optional since 1.4 (KMIP 1.4 6.19, 2.1 9.10: "SHOULD be
#       provided", with no rule on when), and the reference server that
#       recorded the cases is its own witness: it sends one in every BL-M
#       answer and in none of its other 2.1 answers.  ngx_kmip sends one in
#       2.1 answers only (ngx_stream_kmip_handler.c says why), so a 1.4 case
#       never sees it and a 2.1 case not recorded with one sees it;
#   an Attribute Index of 0 in a 1.x Attribute equals none: "when ... the
#       Attribute Index is not specified it SHALL be assumed to be 0"
#       (KMIP 1.4 2.1.1), so either side may carry it or not.
#   the Operations and Object Types a Query answer lists say what the
#       server supports (KMIP 1.4 4.25, 2.1 6.1.47), and the reference
#       server that recorded the cases listed its own: every one the case
#       expects must be listed, in any order (the specifications give
#       none), and the server may list more than the reference did.  The
#       profiles' Query cases expect lists no single server could give
#       otherwise (TL-M 14 operations, QS-M 21 without Create, MSGENC
#       39), and a server conforms to a profile by supporting at least
#       what it names.  Each operation missing from the answer is still a
#       failure, and everything else in the answer (Vendor
#       Identification, Server Information, Capability Information ...)
#       is compared as it is everywhere else.
# Everything else must be identical: a differing value, a missing or extra
# item, a different result reason is a failure.
#
# The XML is read by a small strict parser (elements, attributes, comments;
# any text content is an error) so that no XML library is needed.

use strict;
use warnings;

use Carp qw(croak);
use File::Basename qw(basename);
use POSIX qw(floor);
use Time::Local qw(timegm);
use KMIP::TTLV;

use Exporter 'import';
our @EXPORT_OK = qw(parse_xml load_case run_case case_files profile_of
                    xml_to_item compare_items);

# ------------------------------------------------------------ XML parser

sub _unescape {
    my $s = shift;
    $s =~ s/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/
        my $e = $1;
        $e eq 'amp' ? '&' : $e eq 'lt' ? '<' : $e eq 'gt' ? '>'
      : $e eq 'quot' ? '"' : $e eq 'apos' ? "'"
      : $e =~ m{^#x(.*)} ? chr(hex $1) : chr(substr $e, 1)/ge;
    die "XML: stray '&' in '$s'\n" if $s =~ /&/ && $s !~ /&(?:amp|lt|gt|quot|apos|#)/;
    return $s;
}

# parse_xml($text) -> list of top-level elements
#   element: { name => 'BatchItem', attr => { type => .., value => .. },
#              kids => [ elements ], line => N }
sub parse_xml {
    my $text = shift;
    my @stack = ({ name => '#document', kids => [] });
    pos($text) = 0;
    my $line = sub { 1 + (substr($text, 0, pos($text) // 0) =~ tr/\n//) };
    while (pos($text) < length $text) {
        if ($text =~ /\G\s+/gc) { next }
        if ($text =~ /\G<!--.*?-->/gcs) { next }
        if ($text =~ /\G<\?.*?\?>/gcs) { next }
        if ($text =~ /\G<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/gc) {
            my ($name, $attrs, $empty) = ($1, $2, $3);
            my %a;
            while ($attrs =~ /([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"/g) {
                die "XML line " . $line->() . ": attribute $1 repeated\n"
                    if exists $a{$1};
                $a{$1} = _unescape($2);
            }
            my $el = { name => $name, attr => \%a, kids => [], line => $line->() };
            push @{ $stack[-1]{kids} }, $el;
            push @stack, $el unless $empty;
            next;
        }
        if ($text =~ /\G<\/([A-Za-z_][\w.-]*)\s*>/gc) {
            my $n = $1;
            die "XML line " . $line->() . ": </$n> closes <$stack[-1]{name}>\n"
                if @stack < 2 || $stack[-1]{name} ne $n;
            pop @stack;
            next;
        }
        my $ctx = substr($text, pos($text), 40);
        die "XML line " . $line->() . ": unexpected content '$ctx'\n";
    }
    die "XML: <$stack[-1]{name}> is not closed\n" if @stack > 1;
    return @{ $stack[0]{kids} };
}

# ------------------------------------------------------------ name tables

sub _norm { my $s = uc shift; $s =~ s/[^A-Z0-9]//g; return $s }

my (%TAG_NORM, %FAM_NORM, %ENUM_NORM);

sub _tables {
    return if %TAG_NORM;
    while (my ($k, $v) = each %KMIP::TTLV::TAG_BY_KEY) {
        $TAG_NORM{ _norm($k) } //= $v;
    }
    while (my ($fam, $vals) = each %KMIP::TTLV::ENUM_BY_KEY) {
        $FAM_NORM{ _norm($fam) } = $fam;
        while (my ($k, $v) = each %$vals) {
            $ENUM_NORM{$fam}{ _norm($k) } //= $v;
        }
    }
}

sub tag_of {
    my $name = shift;
    _tables();
    my $t = $TAG_NORM{ _norm($name) };
    die "unknown tag <$name>\n" unless defined $t;
    return $t;
}

# the enumeration family an item's value belongs to
my %FAMILY_ALIAS = (
    MASKGENERATORHASHINGALGORITHM => 'HASHINGALGORITHM',
    PROTECTIONSTORAGEMASKS        => 'PROTECTIONSTORAGEMASK',
);

sub _family {
    my ($name, $sibs) = @_;
    my $n = _norm($name);
    if ($n eq 'ATTRIBUTEVALUE' && $sibs) {
        my ($an) = grep { _norm($_->{name}) eq 'ATTRIBUTENAME' } @$sibs;
        $n = _norm($an->{attr}{value}) if $an;
    }
    $n = $FAMILY_ALIAS{$n} // $n;
    return $FAM_NORM{$n};
}

# the test cases spell a few values differently from the specification's
# tables the headers are generated from
my %ENUM_ALIAS = (DES3 => '3DES');
# values of KMIP 1.x that the generated headers lack
my %ENUM_EXTRA = (OBJECT_TYPE => { TEMPLATE => 0x06 });

sub _enum_value {
    my ($name, $v, $sibs) = @_;
    _tables();
    return hex $v if $v =~ /^0x[0-9a-fA-F]+$/;
    return $v if $v =~ /^\d+$/;
    # 2.x Attribute Reference: the value is a tag
    return tag_of($v) if _norm($name) eq 'ATTRIBUTEREFERENCE';
    my $fam = _family($name, $sibs);
    if ($fam) {
        my $x = $ENUM_NORM{$fam}{ _norm($v) }
             // $ENUM_NORM{$fam}{ $ENUM_ALIAS{ _norm($v) } // '' }
             // $ENUM_EXTRA{$fam}{ _norm($v) };
        return $x if defined $x;
    }
    # not in the item's own family: accept one unambiguous match elsewhere
    my %hits;
    for my $f (keys %ENUM_NORM) {
        my $x = $ENUM_NORM{$f}{ _norm($v) };
        $hits{$x} = 1 if defined $x;
    }
    return (keys %hits)[0] if keys %hits == 1;
    die "enumeration value '$v' of <$name> unknown"
        . ($fam ? " in $fam" : '') . "\n";
}

sub _mask_value {
    my ($name, $v, $sibs) = @_;
    _tables();
    return hex $v if $v =~ /^0x[0-9a-fA-F]+$/;
    return $v if $v =~ /^-?\d+$/;
    my $fam = _family($name, $sibs);
    my $m = 0;
    for my $w (split /\s+/, $v) {
        my $x = $fam ? $ENUM_NORM{$fam}{ _norm($w) } : undef;
        if (!defined $x) {
            for my $f (grep { /MASK/ } keys %ENUM_NORM) {
                $x //= $ENUM_NORM{$f}{ _norm($w) };
            }
        }
        die "mask bit '$w' of <$name> unknown\n" unless defined $x;
        $m |= $x;
    }
    return $m;
}

# ------------------------------------------------------------ XML -> TTLV

my %TYPE_CODE = (
    Structure => 0x01, Integer => 0x02, LongInteger => 0x03,
    BigInteger => 0x04, Enumeration => 0x05, Boolean => 0x06,
    TextString => 0x07, ByteString => 0x08, DateTime => 0x09,
    Interval => 0x0A, DateTimeExtended => 0x0B,
);
my %TYPE_XML = reverse %TYPE_CODE;

sub _datetime {
    my $v = shift;
    my ($y, $mo, $d, $h, $mi, $s, $z) = $v =~
        /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?$/
        or die "bad DateTime '$v'\n";
    my $t = timegm($s, $mi, $h, $d, $mo - 1, $y);
    if (defined $z && $z ne 'Z') {
        my ($sg, $zh, $zm) = $z =~ /^([+-])(\d\d):(\d\d)$/;
        $t -= ($sg eq '+' ? 1 : -1) * ($zh * 3600 + $zm * 60);
    }
    return $t;
}

sub _hex {
    my ($v, $what) = @_;
    die "bad hex in $what: '$v'\n" if $v !~ /^(?:[0-9a-fA-F]{2})*$/;
    return pack 'H*', $v;
}

# xml_to_item($el, $ctx, $mode, $siblings) -> TTLV item.  In 'request' mode
# placeholders are substituted ($NOW from the clock, others from what the
# server returned earlier); in 'response' mode they stay as { ph => .. }.
sub xml_to_item {
    my ($el, $ctx, $mode, $sibs) = @_;
    my $tag = tag_of($el->{name});
    my $tn = $el->{attr}{type} // 'Structure';
    my $type = $TYPE_CODE{$tn} // die "unknown type '$tn' of <$el->{name}>\n";
    my $it = { tag => $tag, name => KMIP::TTLV::kmip_tag_name($tag),
               type => $type, xml => $el->{name} };
    if ($type == 0x01) {
        die "<$el->{name}> is a Structure with a value\n"
            if defined $el->{attr}{value};
        $it->{value} = [ map { xml_to_item($_, $ctx, $mode, $el->{kids}) }
                         @{ $el->{kids} } ];
        return $it;
    }
    die "<$el->{name}> of type $tn has children\n" if @{ $el->{kids} };
    my $v = $el->{attr}{value};
    die "<$el->{name}> has no value\n" unless defined $v;

    if ($v =~ /^\$NOW(?:([+-])(\d+))?$/) {
        my $off = defined $1 ? ($1 eq '-' ? -$2 : $2) : 0;
        die "\$NOW in a $tn\n" unless $type == 0x09;
        if ($mode eq 'request') { $it->{value} = time + $off }
        else { $it->{ph} = 'NOW'; $it->{off} = $off }
        return $it;
    }
    if ($v =~ /^\$(\w+)$/) {
        my $ph = $1;
        if ($mode eq 'request') {
            my $b = $ctx->{bind}{$ph};
            die "placeholder \$$ph used before the server returned it\n"
                unless defined $b;
            die "placeholder \$$ph bound to a different type\n"
                if $b->{type} != $type;
            $it->{value} = $b->{value};
        } else {
            $it->{ph} = $ph;
        }
        return $it;
    }

    if ($type == 0x02) {
        $it->{value} = _mask_value($el->{name}, $v, $sibs);
    } elsif ($type == 0x03 || $type == 0x0A) {
        die "bad $tn '$v'\n" unless $v =~ /^-?\d+$/;
        $it->{value} = $v + 0;
    } elsif ($type == 0x04) {
        my $b = _hex($v, "<$el->{name}>");
        my $pad = (8 - length($b) % 8) % 8;
        my $fill = (length $b && ord($b) & 0x80) ? "\xff" : "\0";
        $it->{value} = ($fill x $pad) . $b;
    } elsif ($type == 0x05) {
        $it->{value} = _enum_value($el->{name}, $v, $sibs);
    } elsif ($type == 0x06) {
        die "bad Boolean '$v'\n" unless $v =~ /^(?:true|false)$/;
        $it->{value} = $v eq 'true' ? 1 : 0;
    } elsif ($type == 0x07) {
        my $s = $v;
        utf8::encode($s);
        $it->{value} = $s;
    } elsif ($type == 0x08) {
        $it->{value} = _hex($v, "<$el->{name}>");
    } elsif ($type == 0x09) {
        $it->{value} = _datetime($v);
    } elsif ($type == 0x0B) {
        die "bad DateTimeExtended '$v'\n" unless $v =~ /^-?\d+$/;
        $it->{value} = $v + 0;
    }
    return $it;
}

# ------------------------------------------------------------ comparison

sub _show {
    my $it = shift;
    return "\$$it->{ph}" if defined $it->{ph} && $it->{ph} ne 'NOW';
    return '$NOW' . ($it->{off} ? sprintf('%+d', $it->{off}) : '')
        if defined $it->{ph};
    my $t = $it->{type};
    return '(structure)' if $t == 0x01;
    my $v = $it->{value};
    if ($t == 0x05) {
        my $n = KMIP::TTLV::kmip_enum_name($it->{name}, $v);
        return sprintf('0x%x', $v) . (defined $n ? " ($n)" : '');
    }
    if ($t == 0x07) { return qq{"$v"} }
    if ($t == 0x08 || $t == 0x04) {
        my $h = unpack 'H*', $v;
        $h = substr($h, 0, 32) . '...' if length $h > 40;
        return sprintf('%d bytes %s', length $v, $h);
    }
    if ($t == 0x09) {
        return POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $v);
    }
    if ($t == 0x06) { return $v ? 'true' : 'false' }
    return "$v";
}

sub _tname { $TYPE_XML{ $_[0] } // sprintf('type 0x%02x', $_[0]) }

sub _xmlname {
    my $it = shift;
    return $it->{xml} if $it->{xml};
    (my $n = $it->{name}) =~ s/[^A-Za-z0-9]//g;
    return $n;
}

# Result Message is text for people (KMIP 1.4 6.11: "a more descriptive
# error message"); the cases carry their reference server's own strings
# ("DENIED", "L_KMIPCRYPTO_random:invalid-tag-length").  It must be present
# with its type.
my %FREE_TEXT = map { $_ => 1 } qw(RESULTMESSAGE);

# server-generated fields that either side may leave out, by the type the
# server's one must have (see the header comment)
my %OPTIONAL_GENERATED = (SERVERCORRELATIONVALUE => 0x07);

# children whose order a server may choose
my %UNORDERED_KIDS = map { $_ => 1 } qw(
    ATTRIBUTES COMMONATTRIBUTES PRIVATEKEYATTRIBUTES PUBLICKEYATTRIBUTES
);
my %UNORDERED_TAG = map { _norm($_) => 1 }
    ('Attribute', 'Attribute Name', 'Attribute Reference');

sub _unordered {
    my ($parent, $kid) = @_;
    return 1 if $UNORDERED_KIDS{ _norm(_xmlname($parent)) };
    return $UNORDERED_TAG{ _norm(_xmlname($kid)) } ? 1 : 0;
}

sub _same_tag_pos { my ($a, $b) = @_; $a->{tag} == $b->{tag} }

# compare_items($exp, $act, $ctx, $path) -> undef when they match, else the
# first difference as text.  Binds placeholders in $ctx->{bind}.
sub compare_items {
    my ($e, $a, $ctx, $path) = @_;
    my $here = "$path/" . _xmlname($e);
    if ($e->{tag} != $a->{tag}) {
        return "$path: expected <" . _xmlname($e) . ">, got <"
             . _xmlname($a) . ">";
    }
    if (defined $e->{ph} && $e->{ph} eq 'NOW') {
        return "$here: expected a DateTime, got " . _tname($a->{type})
            if $a->{type} != 0x09;
        my ($lo, $hi) = ($ctx->{t0} + $e->{off} - 5, time + $e->{off} + 5);
        return "$here: expected \$NOW" . ($e->{off} ? sprintf('%+d', $e->{off}) : '')
             . ", got " . _show($a) . " (" . ($a->{value} - time) . " s from now)"
            if $a->{value} < $lo || $a->{value} > $hi;
        return undef;
    }
    if ($e->{type} != $a->{type}) {
        return "$here: expected type " . _tname($e->{type}) . ", got "
             . _tname($a->{type});
    }
    if (defined $e->{ph}) {
        my $b = $ctx->{bind}{ $e->{ph} };
        if (defined $b) {
            return undef if $b->{value} eq $a->{value};
            return "$here: expected \$$e->{ph} = " . _show($b) . ", got "
                 . _show($a);
        }
        return "$here: \$$e->{ph} is empty"
            if ($a->{type} == 0x07 || $a->{type} == 0x08) && !length $a->{value};
        $ctx->{bind}{ $e->{ph} } = { type => $a->{type}, value => $a->{value} };
        return undef;
    }
    if ($e->{type} == 0x01) {
        return _compare_kids($e, $a, $ctx, $here);
    }
    # free text of the server's choice: present, of the right type
    return undef if $FREE_TEXT{ _norm(_xmlname($e)) };
    if ($ctx->{generated_values}
        && $ctx->{generated_values}{ _norm(_xmlname($e)) })
    {
        return undef if length($a->{value}) == length($e->{value});
        return "$here: expected a server-generated value of "
             . length($e->{value}) . " bytes, got " . length($a->{value});
    }
    return undef if $e->{value} eq $a->{value};
    return "$here: expected " . _show($e) . ", got " . _show($a);
}

sub _try {
    my ($e, $a, $ctx, $path) = @_;
    my %save = %{ $ctx->{bind} };
    my $d = compare_items($e, $a, $ctx, $path);
    $ctx->{bind} = \%save if defined $d;
    return $d;
}

sub _optional_generated { $OPTIONAL_GENERATED{ _norm(_xmlname($_[0])) } }

# an Attribute Index of 0 says what its absence says (KMIP 1.4 2.1.1)
sub _index_zero {
    my ($parent, $kid) = @_;
    return _norm(_xmlname($parent)) eq _norm('Attribute')
        && _norm(_xmlname($kid)) eq _norm('AttributeIndex')
        && $kid->{type} == 0x02 && !defined $kid->{ph} && $kid->{value} == 0;
}

# A Query answer's lists of what the server supports (see the top)
my %SUPPORT_LIST = map { _norm($_) => 1 } ('Operation', 'Object Type');

sub _is_query_item {
    my $bi = shift;
    return 0 unless _norm(_xmlname($bi)) eq 'BATCHITEM';
    my ($op) = grep { _norm(_xmlname($_)) eq 'OPERATION' } @{ $bi->{value} };
    return $op && $op->{type} == 0x05 && $op->{value} == 0x18;
}

# the supported lists of a Query payload: each expected item listed by the
# server (a missing one is the difference), the server's own extra ones
# left out of the rest of the comparison
sub _support_lists {
    my ($ek, $ak, $here) = @_;
    my %listed;
    for my $k (@$ak) {
        $listed{ $k->{tag} . '/' . $k->{value} } = 1
            if $SUPPORT_LIST{ _norm(_xmlname($k)) } && $k->{type} == 0x05;
    }
    for my $k (@$ek) {
        next unless $SUPPORT_LIST{ _norm(_xmlname($k)) };
        return "$here: missing " . _describe($k)
            unless $listed{ $k->{tag} . '/' . $k->{value} };
    }
    @$ek = grep { !$SUPPORT_LIST{ _norm(_xmlname($_)) } } @$ek;
    @$ak = grep { !($SUPPORT_LIST{ _norm(_xmlname($_)) }
                    && $_->{type} == 0x05) } @$ak;
    return undef;
}

sub _compare_kids {
    my ($e, $a, $ctx, $here) = @_;
    local $ctx->{query} = _is_query_item($e) ? 1 : $ctx->{query};
    my @ek = grep { !_optional_generated($_) && !_index_zero($e, $_) }
             @{ $e->{value} };
    my @ak;
    for my $k (@{ $a->{value} }) {
        next if _index_zero($a, $k);
        my $want = _optional_generated($k);
        if (!$want) {
            push @ak, $k;
            next;
        }
        return "$here/" . _xmlname($k) . ": expected type " . _tname($want)
             . ", got " . _tname($k->{type})
            if $k->{type} != $want;
        return "$here/" . _xmlname($k) . ": empty"
            if !length $k->{value};
    }
    if ($ctx->{query} && _norm(_xmlname($e)) eq 'RESPONSEPAYLOAD') {
        my $d = _support_lists(\@ek, \@ak, $here);
        return $d if defined $d;
    }
    my @eo = grep { !_unordered($e, $_) } @ek;
    my @ao = grep { !_unordered($a, $_) } @ak;
    my @eu = grep { _unordered($e, $_) } @ek;
    my @au = grep { _unordered($a, $_) } @ak;

    for my $i (0 .. $#eo) {
        if ($i > $#ao) {
            return "$here: missing <" . _xmlname($eo[$i]) . ">"
                 . ($eo[$i]{type} == 0x01 ? '' : ' ' . _show($eo[$i]));
        }
        my $d = compare_items($eo[$i], $ao[$i], $ctx, $here);
        return $d if defined $d;
    }
    if (@ao > @eo) {
        return "$here: unexpected <" . _xmlname($ao[@eo]) . ">"
             . ($ao[@eo]{type} == 0x01 ? '' : ' ' . _show($ao[@eo]));
    }

    my @used;
    EXP: for my $x (@eu) {
        my $first;
        for my $j (0 .. $#au) {
            next if $used[$j];
            next unless _ukey($au[$j]) eq _ukey($x);
            my $d = _try($x, $au[$j], $ctx, $here);
            if (!defined $d) { $used[$j] = 1; next EXP }
            $first //= $d;
        }
        return $first // "$here: missing " . _describe($x);
    }
    for my $j (0 .. $#au) {
        next if $used[$j];
        return "$here: unexpected " . _describe($au[$j]);
    }
    return undef;
}

# what identifies a member of an unordered list: its tag, and for a 1.x
# Attribute its name
sub _ukey {
    my $it = shift;
    return $it->{tag} unless $it->{type} == 0x01;
    my ($an) = grep { $_->{name} eq 'Attribute Name' } @{ $it->{value} };
    return $it->{tag} . ($an && !defined $an->{ph} ? "/$an->{value}" : '');
}

# an attribute, for messages: <Attribute> State, <AttributeName> "x"
sub _describe {
    my $it = shift;
    my $n = '<' . _xmlname($it) . '>';
    if ($it->{type} == 0x01) {
        my ($an) = grep { $_->{name} eq 'Attribute Name' } @{ $it->{value} };
        return "$n " . _show($an) if $an;
        return $n;
    }
    return "$n " . _show($it);
}

# ------------------------------------------------------------ cases

sub case_files {
    my ($dir) = @_;
    my @out;
    for my $v (qw(v1.4 v2.1)) {
        for my $set (qw(mandatory optional)) {
            my $d = "$dir/$v/$set";
            next unless -d $d;
            opendir my $dh, $d or next;
            push @out, map { { file => "$d/$_", version => $v, set => $set,
                               name => ($_ =~ s/\.xml$//r) } }
                       sort { _case_order($a, $b) } grep { /\.xml$/ } readdir $dh;
            closedir $dh;
        }
    }
    return @out;
}

sub _case_order {
    my ($x, $y) = @_;
    my ($px, $nx) = $x =~ /^(.*?)-(\d+)-\d+\.xml$/;
    my ($py, $ny) = $y =~ /^(.*?)-(\d+)-\d+\.xml$/;
    return $x cmp $y unless defined $px && defined $py;
    return $px cmp $py || $nx <=> $ny;
}

# the profile a case belongs to: "SKLC-M-1-14" -> "SKLC-M",
# "CS-BC-M-GCM-1-14" -> "CS-BC-M"
sub profile_of {
    my $n = shift;
    return $1 if $n =~ /^(.*?-[MO])(?:-|$)/;
    return $n;
}

sub load_case {
    my ($c) = @_;
    open my $fh, '<', $c->{file} or die "$c->{file}: $!\n";
    local $/;
    my $text = <$fh>;
    close $fh;
    my @top = parse_xml($text);
    @top = @{ $top[0]{kids} } if @top == 1 && $top[0]{name} eq 'KMIP';
    my @pairs;
    while (@top) {
        my $rq = shift @top;
        my $rs = shift @top;
        die "line $rq->{line}: expected <RequestMessage>, got <$rq->{name}>\n"
            unless $rq->{name} eq 'RequestMessage';
        die "line $rq->{line}: <RequestMessage> without a <ResponseMessage>\n"
            unless $rs && $rs->{name} eq 'ResponseMessage';
        push @pairs, [ $rq, $rs ];
    }
    return { %$c, pairs => \@pairs };
}

my %CREATES = map { $_ => 1 } qw(CREATE CREATE_KEY_PAIR RE_KEY
                                 RE_KEY_KEY_PAIR DERIVE_KEY);
my %CRYPTO_OUT = map { $_ => 1 } qw(ENCRYPT SIGN MAC);

sub _kid { my ($s, $n) = @_; return unless $s && $s->{type} == 0x01;
           my $t = tag_of($n);
           return grep { $_->{tag} == $t } @{ $s->{value} } }

# the items of an expected response compared by type and length only, for
# one batch item (see the header comment)
sub _generated_values {
    my ($ctx, $op, $req_bi, $exp_bi, $act_bi) = @_;
    my %g;
    my ($rp) = _kid($req_bi, 'RequestPayload');
    my ($uid) = _kid($rp, 'UniqueIdentifier');
    # no identifier in the request: the ID Placeholder, which the answer
    # names
    if (!$uid) {
        my ($ap) = _kid($act_bi, 'ResponsePayload');
        ($uid) = _kid($ap, 'UniqueIdentifier');
    }
    my $uidv = $uid ? $uid->{value} : undef;
    my $gen = defined $uidv && $ctx->{generated}{$uidv};
    if ($op eq 'RNG_RETRIEVE') {
        $g{DATA} = 1;
    }
    if ($gen) {
        $g{DIGESTVALUE} = 1;
        $g{KEYMATERIAL} = 1 if $op eq 'GET' || $op eq 'EXPORT';
        # under a 1.x Transparent Symmetric Key: <Key>
        $g{KEY} = 1 if $op eq 'GET' || $op eq 'EXPORT';
    }
    if ($op eq 'DECRYPT' && $gen) {
        # ciphertext chosen by the case, decrypted under a key the server
        # made: the plaintext depends on that key
        $g{DATA} = 1;
    }
    if ($op eq 'ENCRYPT' && defined $uidv && $ctx->{asymmetric}{$uidv}) {
        $g{DATA} = 1;
    }
    if ($CRYPTO_OUT{$op}) {
        my ($iv) = _kid($rp, 'IVCounterNonce');
        my ($ep) = _kid($exp_bi, 'ResponsePayload');
        my ($eiv) = _kid($ep, 'IVCounterNonce');
        if ($gen) {
            $g{$_} = 1 for qw(DATA IVCOUNTERNONCE AUTHENTICATEDENCRYPTIONTAG
                              MACDATA SIGNATUREDATA);
        } elsif (!$iv && $eiv) {
            # the server chose the IV: the output depends on it
            $g{$_} = 1 for qw(DATA IVCOUNTERNONCE AUTHENTICATEDENCRYPTIONTAG);
        }
    }
    return \%g;
}

# the keys of public key cryptography a case registers or creates: an
# RSA encryption under one is randomized by its padding (RFC 8017 7.1.1,
# 7.2.1), so its ciphertext is compared by type and length
sub _note_asymmetric {
    my ($ctx, $op, $req_bi, $act_bi) = @_;
    my ($rp) = _kid($req_bi, 'RequestPayload');
    my ($ap) = _kid($act_bi, 'ResponsePayload');
    my ($ot) = _kid($rp, 'ObjectType');
    my @uids;
    if ($op eq 'REGISTER' && $ot && ($ot->{value} == 3 || $ot->{value} == 4)) {
        @uids = _kid($ap, 'UniqueIdentifier');
    } elsif ($op eq 'CREATE_KEY_PAIR') {
        @uids = (_kid($ap, 'PrivateKeyUniqueIdentifier'),
                 _kid($ap, 'PublicKeyUniqueIdentifier'));
    }
    $ctx->{asymmetric}{ $_->{value} } = 1 for @uids;
}

sub _op_key {
    my $bi = shift;
    my ($op) = _kid($bi, 'Operation');
    return '' unless $op;
    return KMIP::TTLV::kmip_enum_name('Operation', $op->{value}) // '';
}

our %GENERATED;

# run_case($case, $send) -> (passed, first difference or undef)
#   $send->($bytes) returns the decoded response or dies with the reason.
sub run_case {
    my ($c, $send) = @_;
    # keys the server made, across cases: the TL-M cases use the key one
    # case created in the next
    my $ctx = { bind => {}, t0 => time, generated => \%GENERATED };
    my $case = eval { load_case($c) };
    return (0, "cannot read the case: $@") unless $case;
    my $step = 0;
    for my $p (@{ $case->{pairs} }) {
        my ($req, $exp);
        my $ok = eval {
            $req = xml_to_item($p->[0], $ctx, 'request');
            $exp = xml_to_item($p->[1], $ctx, 'response');
            1;
        };
        return (0, "step $step: cannot build the message: $@") unless $ok;
        $ctx->{t0} = time if $step == 0;
        my $resp = eval { $send->(KMIP::TTLV::ttlv_encode($req)) };
        return (0, "step $step: no response: " . ($@ || 'connection closed'))
            unless $resp;

        # per batch item: which values the server generates
        my @rbi = _kid($req, 'BatchItem');
        my @ebi = _kid($exp, 'BatchItem');
        my @abi = _kid($resp, 'BatchItem');
        my $d;
        if ($resp->{tag} != $exp->{tag}) {
            $d = "expected <ResponseMessage>, got <" . _xmlname($resp) . ">";
        }
        my ($eh) = _kid($exp, 'ResponseHeader');
        my ($ah) = _kid($resp, 'ResponseHeader');
        $d //= !$ah ? "/ResponseMessage: missing <ResponseHeader>"
                    : compare_items($eh, $ah, $ctx, '/ResponseMessage');
        for my $i (0 .. $#ebi) {
            last if defined $d;
            if ($i > $#abi) {
                $d = "/ResponseMessage: missing <BatchItem> $i";
                last;
            }
            my $op = _op_key($ebi[$i]);
            local $ctx->{generated_values} =
                _generated_values($ctx, $op, $rbi[$i], $ebi[$i], $abi[$i]);
            $d = compare_items($ebi[$i], $abi[$i], $ctx,
                               "/ResponseMessage[$i]");
            if (!defined $d && $CREATES{$op}) {
                my ($rp) = _kid($abi[$i], 'ResponsePayload');
                for my $n (qw(UniqueIdentifier PrivateKeyUniqueIdentifier
                              PublicKeyUniqueIdentifier))
                {
                    for my $u (_kid($rp, $n)) {
                        $ctx->{generated}{ $u->{value} } = 1;
                    }
                }
            }
            _note_asymmetric($ctx, $op, $rbi[$i], $abi[$i]) unless defined $d;
        }
        if (!defined $d && @abi > @ebi) {
            $d = "/ResponseMessage: unexpected <BatchItem> " . scalar(@ebi);
        }
        if (!defined $d) {
            my @rest = grep { $_->{tag} != tag_of('ResponseHeader')
                              && $_->{tag} != tag_of('BatchItem') }
                       @{ $resp->{value} };
            $d = "/ResponseMessage: unexpected <" . _xmlname($rest[0]) . ">"
                if @rest;
        }
        return (0, "step $step: $d", $req, $resp) if defined $d;
        $step++;
    }
    return (1, undef);
}

1;
