package KMIP::XmlMsg;

# KMIP messages in the XML encoding ("KMIP Additional Message Encodings"
# v1.0, the XML profile), for suites that talk to ngx_http_kmip_module:
#
#   item_to_xml($item)  a TTLV item tree (KMIP::TTLV) as XML text, every
#                       element a <TTLV tag="0x42006A" .../> with its tag and
#                       enumerations in hex, so that no name table is
#                       needed on this side: the server reads both forms
#   xml_to_item($text)  the server's XML answer (tags and enumerations by
#                       name) as the item tree KMIP::TTLV::ttlv_decode()
#                       gives for the same message, through
#                       KMIP::Conformance's XML reader

use strict;
use warnings;
use Exporter 'import';
use POSIX qw(strftime);
use KMIP::Conformance ();
use KMIP::JsonMsg ();

our @EXPORT_OK = qw(item_to_xml xml_to_item);

sub _attr {
    my ($v) = @_;
    $v =~ s/&/&amp;/g;
    $v =~ s/"/&quot;/g;
    $v =~ s/</&lt;/g;
    $v =~ s/>/&gt;/g;
    return $v;
}

sub _value {
    my ($t, $v) = @_;
    return $v + 0 if $t == 0x02 || $t == 0x03 || $t == 0x0A || $t == 0x0B;
    return '0x' . uc unpack('H*', $v) if $t == 0x04;
    return sprintf('0x%08X', $v) if $t == 0x05;
    return $v ? 'true' : 'false' if $t == 0x06;
    return $v if $t == 0x07;
    return uc unpack('H*', $v) if $t == 0x08;
    return strftime('%Y-%m-%dT%H:%M:%S+00:00', gmtime $v);   # Date-Time
}

sub _to_xml {
    my ($it, $ind) = @_;
    my $head = sprintf('%s<TTLV tag="0x%06X"', $ind, $it->{tag});
    if ($it->{type} == 0x01) {
        return "$head/>\n" unless @{ $it->{value} };
        return "$head>\n"
            . join('', map { _to_xml($_, "$ind  ") } @{ $it->{value} })
            . "$ind</TTLV>\n";
    }
    my $type = KMIP::JsonMsg::type_name($it->{type});
    return sprintf(qq{%s type="%s" value="%s"/>\n}, $head, $type,
                   _attr(_value($it->{type}, $it->{value})));
}

sub item_to_xml { return _to_xml($_[0], '') }

sub xml_to_item {
    my ($text) = @_;
    my @els = KMIP::Conformance::parse_xml($text);
    die "an XML answer is one element\n" unless @els == 1;
    return KMIP::Conformance::xml_to_item($els[0], { bind => {} },
                                          'response', []);
}

1;
