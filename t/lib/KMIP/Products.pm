package KMIP::Products;

# The KMIP clients of t/450-products.t as they talk: one request per TLS
# connection in the product's protocol version (with the header fields it
# sends), every answer held to what a client of that version can read
# (Test::VCenter::check_kmip11), and the few things the products do with
# the answers themselves (RFC 3394 unwrap).
#
#   my $bi = prod_op($port, '1.2', 'Synology Locate', 'Locate',
#                    [ name_attr('vol1') ], max_response_size => 8192);

use strict;
use warnings;

use Exporter 'import';
use Test::More;
use Test::Nginx::KMIP;
use Test::VCenter qw(check_kmip11);
use KMIP::Ops qw(a1 op_ok uid_of);
use IPC::Open3 qw(open3);
use Symbol qw(gensym);

our @EXPORT = qw(prod_op prod_ok name_attr name_of uids_of attr_names
                 aes_key_unwrap %KMIP10_ATTRS);

# the attribute names of KMIP 1.0 (section 3 of the 1.0 specification):
# those of 1.1 without the six that 1.1 added
our %KMIP10_ATTRS = %Test::VCenter::KMIP11_ATTRS;
delete @KMIP10_ATTRS{ 'Certificate Length', 'X.509 Certificate Identifier',
                      'X.509 Certificate Subject', 'X.509 Certificate Issuer',
                      'Digital Signature Algorithm', 'Fresh' };

my $Ubi = 0;

# prod_op($port, $version, $what, $operation, [payload], %request_options):
# one batch item on a new TLS connection, as a product that connects per
# operation sends it (the kmip_request options give Maximum Response Size,
# a credential...); the answer checked by check_kmip11, its batch item
# returned
sub prod_op {
    my ($port, $version, $what, $op, $payload, %o) = @_;
    my $req = kmip_request(version => $version, %o, items => [
        { operation => $op, ubi => pack('N', ++$Ubi), payload => $payload } ]);
    my ($bi) = check_kmip11($req, kmip_roundtrip($port, $req, timeout => 30),
                            $what, $version);
    return $bi;
}

# prod_op checked to succeed (KMIP::Ops::op_ok)
sub prod_ok {
    my ($port, $version, $what, @rest) = @_;
    return op_ok(prod_op($port, $version, $what, @rest) // {}, $what);
}

# a Name attribute in the 1.x form (Uninterpreted Text String)
sub name_attr {
    my ($name, $index) = @_;
    return a1('Name', S('Name', [ T('Name Value', $name),
                                  E('Name Type', 'Uninterpreted Text String') ]),
              $index);
}

# the Name Value of an answer's Attribute (Add / Modify Attribute)
sub name_of {
    return kmip_value($_[0], 'Response Payload', 'Attribute',
                      'Attribute Value', 'Name Value');
}

# the Unique Identifiers of a Locate answer
sub uids_of {
    return [ map { $_->{value} }
             kmip_find_all($_[0], 'Response Payload', 'Unique Identifier') ];
}

# the Attribute Names of a 1.x Get Attribute List or Get Attributes answer
sub attr_names {
    my ($bi) = @_;
    my $p = kmip_find($bi, 'Response Payload') or return ();
    return map { $_->{name} eq 'Attribute Name' ? $_->{value}
                 : kmip_value($_, 'Attribute Name') }
           grep { $_->{name} eq 'Attribute Name' || $_->{name} eq 'Attribute' }
           @{ $p->{value} };
}

# aes_key_unwrap($kek, $wrapped): RFC 3394 AES Key Wrap undone by another
# implementation than the server's (Debian's python3-cryptography), as the
# product does it; undef when the integrity check fails
sub aes_key_unwrap {
    my ($kek, $wrapped) = @_;
    my $pid = open3(my $in, my $out, my $err = gensym, '/usr/bin/python3',
        '-c', 'import sys, binascii as b
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap as u
k, w = sys.stdin.read().split()
print(b.hexlify(u(b.unhexlify(k), b.unhexlify(w))).decode())');
    print $in unpack('H*', $kek), ' ', unpack('H*', $wrapped), "\n";
    close $in;
    my $hex = do { local $/; <$out> };
    waitpid $pid, 0;
    return undef if $? || !defined $hex;
    chomp $hex;
    return pack 'H*', $hex;
}

1;
