package KMIP::Basic;

# The smallest requests and answer checks that many suites share: a
# Discover Versions (the request every client sends first, and the one the
# access and credential suites send to be served or refused), a Get by
# identifier, vCenter's Create of an AES key, and an answer's Result Status
# and Result Reason.
#
#   use KMIP::Basic;
#   $c->request(dv(credential => [ 'vSphere', 's3cret' ]));
#   is(status_reason($r), '1 12', 'refused');

use strict;
use warnings;

use Exporter 'import';
use KMIP::TTLV;
use Test::VCenter qw(create_aes);

our @EXPORT = qw(dv create_req get_req status_reason result_reason
                 credentials_server);

# dv(%kmip_request_options): a Discover Versions with an empty payload, at
# KMIP 1.1 unless the options say otherwise; ubi => $bytes gives its batch
# item an identifier
sub dv {
    my (%a) = @_;
    my $ubi = delete $a{ubi};
    return kmip_request(version => '1.1', %a,
                        items => [ { operation => 'Discover Versions',
                                     (defined $ubi ? (ubi => $ubi) : ()),
                                     payload => [] } ]);
}

# create_req(): a Create of a 256-bit AES key at KMIP 1.1, as vCenter sends it
sub create_req {
    return kmip_request(version => '1.1', items => [ create_aes() ]);
}

# get_req($uid): a Get of one object at KMIP 1.1
sub get_req {
    return kmip_request(version => '1.1', items => [ { operation => 'Get',
        payload => [ T('Unique Identifier', $_[0]) ] } ]);
}

# credentials_server(): a server's configuration that checks credentials
# against the users file kmip.users (a block's user_files)
sub credentials_server {
    return "    kmip;\n"
           . "    kmip_credentials_file \$TEST_NGINX_PREFIX/html/kmip.users;\n";
}

# result_reason($response): the first batch item's Result Reason, '-' if none
sub result_reason {
    return kmip_value($_[0], 'Batch Item', 'Result Reason') // '-';
}

# status_reason($response): "<Result Status> <Result Reason or ->"
sub status_reason {
    my ($r) = @_;
    return join ' ', kmip_value($r, 'Batch Item', 'Result Status'),
                     result_reason($r);
}

1;
