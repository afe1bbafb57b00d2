package KMIP::JsonMsg;

# KMIP messages in the JSON encoding ("KMIP Additional Message Encodings"
# v1.0, the JSON profile), for suites that talk to ngx_http_kmip_module:
#
#   item_to_json($item)  a TTLV item tree (KMIP::TTLV) as JSON text, every
#                        tag and enumeration in its hex form ("0x42006A",
#                        "0x00000001"), so that no name table is needed on
#                        this side: the server reads both forms
#   json_to_item($text)  the server's JSON answer (tags and enumerations by
#                        name, masks as "Encrypt|Decrypt") as the item tree
#                        KMIP::TTLV::ttlv_decode() gives for the same
#                        message, through the name tables of
#                        KMIP::Conformance's XML reader

use strict;
use warnings;
use Exporter 'import';
use JSON::PP ();
use POSIX qw(strftime);
use KMIP::Conformance ();

our @EXPORT_OK = qw(item_to_json json_to_item);

my %TYPE_NAME = (
    0x01 => 'Structure', 0x02 => 'Integer', 0x03 => 'LongInteger',
    0x04 => 'BigInteger', 0x05 => 'Enumeration', 0x06 => 'Boolean',
    0x07 => 'TextString', 0x08 => 'ByteString', 0x09 => 'DateTime',
    0x0A => 'Interval', 0x0B => 'DateTimeExtended',
);

# the name of a TTLV item type, as the JSON and XML encodings spell it
sub type_name {
    return $TYPE_NAME{ $_[0] } // die sprintf("type 0x%02x\n", $_[0]);
}

sub _to_json {
    my ($it) = @_;
    my %o = (tag => sprintf('0x%06X', $it->{tag}));
    my ($t, $v) = ($it->{type}, $it->{value});
    if ($t == 0x01) {
        $o{value} = [ map { _to_json($_) } @$v ];
        return \%o;
    }
    $o{type} = type_name($t);
    if ($t == 0x02 || $t == 0x03 || $t == 0x0A || $t == 0x0B) {
        $o{value} = $v + 0;
    } elsif ($t == 0x04) {
        $o{value} = '0x' . uc unpack('H*', $v);
    } elsif ($t == 0x05) {
        $o{value} = sprintf('0x%08X', $v);
    } elsif ($t == 0x06) {
        $o{value} = $v ? JSON::PP::true() : JSON::PP::false();
    } elsif ($t == 0x07) {
        my $s = $v;
        utf8::decode($s);
        $o{value} = $s;
    } elsif ($t == 0x08) {
        $o{value} = uc unpack('H*', $v);
    } else {                                    # Date-Time
        $o{value} = strftime('%Y-%m-%dT%H:%M:%S+00:00', gmtime $v);
    }
    return \%o;
}

sub item_to_json {
    return JSON::PP->new->utf8->canonical->encode(_to_json($_[0]));
}

# a JSON object as the element KMIP::Conformance::parse_xml() makes
sub _to_el {
    my ($o) = @_;
    die "a JSON item is an object\n" unless ref $o eq 'HASH';
    my $name = $o->{tag} // die "a JSON item without a tag\n";
    $name = KMIP::TTLV::kmip_tag_name(hex $name) if $name =~ /^0x/i;
    my %el = (name => $name, attr => {}, kids => []);
    my $t = $o->{type} // 'Structure';
    if ($t eq 'Structure') {
        $el{kids} = [ map { _to_el($_) } @{ $o->{value} || [] } ];
        return \%el;
    }
    my $v = $o->{value};
    if (JSON::PP::is_bool($v)) {
        $v = $v ? 'true' : 'false';
    } elsif ($t eq 'Integer' && $v =~ /\|/) {
        $v =~ s/\|/ /g;                         # a mask, as XML has it
    }
    $el{attr} = { type => $t, value => "$v" };
    return \%el;
}

sub json_to_item {
    my ($text) = @_;
    my $el = _to_el(JSON::PP->new->utf8->decode($text));
    return KMIP::Conformance::xml_to_item($el, { bind => {} }, 'response',
                                          []);
}

1;
