package Test::VCenter;

# vCenter as a KMIP client, for the t/4xx suites: the exact messages of
# ../shared/notes/vcenter-kmip.md (sections 1.2, 1.3, 2.1, 2.2, 2.7), one TLS
# connection per vCenter "job", and a checker that holds every response to
# what a KMIP 1.1 client may receive.
#
#   my $vc = Test::VCenter->new(ports => [$p1, $p2], credential => [u, p]);
#   my $uid = $vc->create;                       # s51 / s53
#   $vc->tag_product($uid);                      # s52 / s55
#   $vc->fetch_and_activate($uid);               # s54 / s57
#   $vc->tag_object($uid, $id, 'Virtual Machine', 'test01');   # s56 / s58
#
# Every response is checked with Test::More (version 1.1, batch count, UBIs
# echoed byte for byte, only KMIP 1.1 tags and attribute names).  With
# several ports, the jobs alternate between them, and a job that cannot
# connect is retried on the next port, as vCenter fails over between the
# members of a key provider cluster.

use strict;
use warnings;

use Exporter 'import';
use Test::More;
use Test::Nginx::KMIP;

our @EXPORT_OK = qw(vc_req vc_dv create_aes kmip11_tag_ok
                    check_kmip11 tags_of);

our $PRODUCT_VERSION = '7.0.3 build-19480866';

# KMIP 1.0 defines the tags 0x420001 to 0x4200A1 (Password); KMIP 1.1 adds
# 0x4200A2 (Device Identifier) to 0x4200B7 (X.509 Certificate Subject);
# KMIP 1.2 starts at 0x4200B8 (Key Value Location).  KMIP 1.4 ends at
# 0x420124; 2.0 starts at 0x420125 (Attributes).  Extension tags
# (0x54xxxx) are never sent to vCenter.
our %LAST_TAG = ('1.0' => 0x4200A1, '1.1' => 0x4200B7, '1.2' => 0x420124,
                 '1.3' => 0x420124, '1.4' => 0x420124);

# the attribute names of KMIP 1.1 (section 3 of the 1.1 specification);
# custom attributes start with "x-" or "y-"
our %KMIP11_ATTRS = map { $_ => 1 } (
    'Unique Identifier', 'Name', 'Object Type', 'Cryptographic Algorithm',
    'Cryptographic Length', 'Cryptographic Parameters',
    'Cryptographic Domain Parameters', 'Certificate Type',
    'Certificate Length', 'X.509 Certificate Identifier',
    'X.509 Certificate Subject', 'X.509 Certificate Issuer',
    'Certificate Identifier', 'Certificate Subject', 'Certificate Issuer',
    'Digital Signature Algorithm', 'Digest', 'Operation Policy Name',
    'Cryptographic Usage Mask', 'Lease Time', 'Usage Limits', 'State',
    'Initial Date', 'Activation Date', 'Process Start Date',
    'Protect Stop Date', 'Deactivation Date', 'Destroy Date',
    'Compromise Occurrence Date', 'Compromise Date', 'Revocation Reason',
    'Archive Date', 'Object Group', 'Fresh', 'Link',
    'Application Specific Information', 'Contact Information',
    'Last Change Date');

sub kmip11_tag_ok {
    my ($tag, $version) = @_;
    # 2.x: any KMIP tag of the 2.1 table (the retired 1.x forms such as
    # Attribute and Template-Attribute are checked by the suites)
    return ($tag >> 16) == 0x42
           && kmip_tag_name($tag) !~ /^0x/
        if ($version // '') =~ /^2\./;
    my $last = $LAST_TAG{ $version // '1.1' } // 0x4200B7;
    return $tag >= 0x420001 && $tag <= $last;
}

sub tags_of {
    my ($it) = @_;
    my @t = ($it);
    if ($it->{type} == 0x01) {
        push @t, tags_of($_) for @{ $it->{value} };
    }
    return @t;
}

# vc_req($version, [credential], {operation, payload}...): one message,
# the batch items numbered QLKC#1, QLKC#2... as vCenter numbers them
sub vc_req {
    my ($version, $cred, @items) = @_;
    my $i = 0;
    return kmip_request(
        version => $version, ($cred ? (credential => $cred) : ()),
        items => [ map { { %$_, ubi => 'QLKC' . pack('V', ++$i) } } @items ]);
}

# the first message of every vCenter connection: no UBI, empty payload
sub vc_dv {
    my ($version) = @_;
    return kmip_request(version => $version // '1.1', items => [
        { operation => 'Discover Versions', payload => [] } ]);
}

sub create_aes {
    return { operation => 'Create', payload => [
        E('Object Type', 2),
        S('Template-Attribute', [
            S('Attribute', [ T('Attribute Name', 'Cryptographic Algorithm'),
                             E('Attribute Value', 3) ]),
            S('Attribute', [ T('Attribute Name', 'Cryptographic Usage Mask'),
                             I('Attribute Value', 12) ]),
            S('Attribute', [ T('Attribute Name', 'Cryptographic Length'),
                             I('Attribute Value', 256) ]) ]) ] };
}

# check_kmip11($request_bytes, $response_tree, $what): the response is what
# a KMIP 1.1 client can read.  Returns the batch items.
sub check_kmip11 {
    my ($req, $r, $what, $version) = @_;
    $version //= '1.1';
    my $q = ttlv_decode($req);
    my @qi = kmip_find_all($q, 'Batch Item');
    ok($r, "$what: a response") or return ();
    is($r->{tag}, kmip_tag('Response Message'), "$what: Response Message");
    my ($maj, $min) = split /\./, $version;
    is(kmip_value($r, 'Response Header', 'Protocol Version',
                  'Protocol Version Major') . '.'
       . kmip_value($r, 'Response Header', 'Protocol Version',
                    'Protocol Version Minor'),
       "$maj.$min", "$what: answered at $version");
    my @hdr = map { kmip_tag_name($_->{tag}) }
              @{ kmip_find($r, 'Response Header')->{value} };
    # and, in 2.1 answers only, the server's Server Correlation Value (1.4)
    is("@hdr", 'Protocol Version Time Stamp '
               . ($version eq '2.1' ? 'Server Correlation Value ' : '')
               . 'Batch Count',
       "$what: header holds only 1.0 fields");
    my @bi = kmip_find_all($r, 'Batch Item');
    is(kmip_value($r, 'Response Header', 'Batch Count'), scalar @qi,
       "$what: Batch Count");
    is(scalar @bi, scalar @qi, "$what: one answer per batch item");
    for my $n (0 .. $#qi) {
        my $want = kmip_value($qi[$n], 'Unique Batch Item ID');
        my $got = kmip_value($bi[$n], 'Unique Batch Item ID');
        is(defined $got ? unpack('H*', $got) : 'none',
           defined $want ? unpack('H*', $want) : 'none',
           "$what: item $n UBI echoed byte for byte");
        is(kmip_value($bi[$n], 'Operation'), kmip_value($qi[$n], 'Operation'),
           "$what: item $n Operation echoed");
    }
    my @bad = grep { !kmip11_tag_ok($_->{tag}, $version) } tags_of($r);
    is(join(' ', map { sprintf '0x%06x', $_->{tag} } @bad), '',
       "$what: every tag exists in KMIP $version");
    my @names = grep { !$KMIP11_ATTRS{$_} && !/^[xy]-/ }
                map { $_->{value} }
                grep { $_->{tag} == kmip_tag('Attribute Name') } tags_of($r);
    is("@names", '', "$what: every attribute name exists in KMIP 1.1")
        if $version eq '1.1' || $version eq '1.0';
    return @bi;
}

# ------------------------------------------------------------ the client

sub new {
    my ($class, %a) = @_;
    return bless { ports => $a{ports}, next => 0, version => '1.1',
                   credential => $a{credential}, jobs => 0,
                   failovers => 0, conn => $a{conn} || {},
                   product_version => $a{product_version}
                                      // $PRODUCT_VERSION }, $class;
}

sub failovers { $_[0]{failovers} }
sub jobs      { $_[0]{jobs} }

# one vCenter job: a new connection (alternating the cluster's nodes),
# Discover Versions without a UBI, then each message in turn on the same
# connection.  Each element of @msgs is [ $what, $bytes ].  On a connection
# failure before any answer the whole job is tried on the next node.
sub job {
    my ($self, @msgs) = @_;
    my @ports = @{ $self->{ports} };
    $self->{jobs}++;
    for my $try (1 .. scalar @ports) {
        my $port = $ports[ $self->{next}++ % @ports ];
        my $c = kmip_connect($port, %{ $self->{conn} });
        my $dv = vc_dv($self->{version});
        my $r = ($c && !$c->{handshake_failed}) ? $c->request($dv) : undef;
        if (!$r) {
            $self->{failovers}++;
            next;
        }
        my @out;
        check_kmip11($dv, $r, "DV on :$port");
        ok(grep({ kmip_value($_, 'Protocol Version Major') == 1
                  && kmip_value($_, 'Protocol Version Minor') == 1 }
                kmip_find_all($r, 'Batch Item', 'Response Payload',
                              'Protocol Version')),
           'Discover Versions offers 1.1');
        for my $m (@msgs) {
            my ($what, $bytes) = @$m;
            my $resp = $c->request($bytes);
            push @out, [ check_kmip11($bytes, $resp, $what) ];
        }
        $c->close;
        return @out;
    }
    fail('no node of the cluster answered');
    return ();
}

sub _cred { $_[0]{credential} }

# s51 / s53: Create; credential on Create (vCenter 8)
sub create {
    my ($self) = @_;
    my ($bi) = $self->job([ 'Create', vc_req('1.1', $self->_cred,
                                             create_aes()) ]);
    is(kmip_value($bi->[0], 'Result Status'), 0, 'Create succeeds')
        or diag(kmip_value($bi->[0], 'Result Message'));
    is(kmip_value($bi->[0], 'Response Payload', 'Object Type'), 2,
       'Create: Symmetric Key');
    return kmip_value($bi->[0], 'Response Payload', 'Unique Identifier');
}

sub _probe {
    my ($uid, $name) = @_;
    return [ "Get Attributes $name",
             vc_req('1.1', undef, { operation => 'Get Attributes',
                                    payload => [ T('Unique Identifier', $uid),
                                                 T('Attribute Name', $name) ] }) ];
}

sub _add3 {
    my ($uid, @nv) = @_;
    return [ 'Add Attribute x3', vc_req('1.1', undef,
        map { { operation => 'Add Attribute',
                payload => [ T('Unique Identifier', $uid),
                             S('Attribute', [ T('Attribute Name', $_->[0]),
                                              T('Attribute Value', $_->[1]) ]) ] } }
        @nv) ];
}

# probe three absent custom attributes one message each (success, no
# Attribute), then add all three in one message of three items; no
# credential on these (vCenter 8)
sub _tag {
    my ($self, $uid, @nv) = @_;
    my @r = $self->job((map { _probe($uid, $_->[0]) } @nv), _add3($uid, @nv));
    for my $n (0 .. $#nv) {
        my $bi = $r[$n][0];
        is(kmip_value($bi, 'Result Status'), 0,
           "probe $nv[$n][0]: success") or diag(kmip_value($bi, 'Result Message'));
        is(kmip_value($bi, 'Response Payload', 'Unique Identifier'), $uid,
           "probe $nv[$n][0]: the uid");
        ok(!kmip_find($bi, 'Response Payload', 'Attribute'),
           "probe $nv[$n][0]: absent, no Attribute");
    }
    my @add = @{ $r[-1] };
    for my $n (0 .. $#nv) {
        is(kmip_value($add[$n], 'Result Status'), 0,
           "Add Attribute $nv[$n][0]")
            or diag(kmip_value($add[$n], 'Result Message'));
        is(kmip_value($add[$n], 'Response Payload', 'Attribute',
                      'Attribute Value'), $nv[$n][1],
           "Add Attribute $nv[$n][0] echoes the value");
    }
}

# s52 / s55
sub tag_product {
    my ($self, $uid) = @_;
    $self->_tag($uid, [ 'x-Product_Version', $self->{product_version} ],
                [ 'x-Vendor', 'VMware, Inc.' ],
                [ 'x-Product', 'VMware vSphere' ]);
}

# s56 / s58
sub tag_object {
    my ($self, $uid, $id, $component, $name) = @_;
    $self->_tag($uid, [ 'x-Identifier', $id ], [ 'x-Component', $component ],
                [ 'x-Name', $name ]);
}

# s54 / s57: Get of the Pre-Active key, State, Activate: three messages on
# one connection, each with QLKC#1 and (vCenter 8) the credential
sub fetch_and_activate {
    my ($self, $uid) = @_;
    my $cred = $self->_cred;
    my ($get, $state, $act) = $self->job(
        [ 'Get', vc_req('1.1', $cred, { operation => 'Get',
                 payload => [ T('Unique Identifier', $uid) ] }) ],
        [ 'Get Attributes State', vc_req('1.1', $cred,
                 { operation => 'Get Attributes',
                   payload => [ T('Unique Identifier', $uid),
                                T('Attribute Name', 'State') ] }) ],
        [ 'Activate', vc_req('1.1', $cred, { operation => 'Activate',
                 payload => [ T('Unique Identifier', $uid) ] }) ]);
    is(kmip_value($get->[0], 'Result Status'), 0, 'Get of a Pre-Active key')
        or diag(kmip_value($get->[0], 'Result Message'));
    my $kb = kmip_find($get->[0], 'Response Payload', 'Symmetric Key',
                       'Key Block');
    is(kmip_value($kb, 'Key Format Type'), 1, 'Raw');
    is(length(kmip_value($kb, 'Key Value', 'Key Material') // ''), 32,
       '32 bytes of key');
    is(join(',', map { kmip_tag_name($_->{tag}) }
                 @{ kmip_find($kb, 'Key Value')->{value} || [] }),
       'Key Material', 'Key Value holds only Key Material');
    is(kmip_value($kb, 'Cryptographic Algorithm'), 3, 'AES');
    is(kmip_value($kb, 'Cryptographic Length'), 256, '256 bits');
    is(kmip_value($state->[0], 'Response Payload', 'Attribute',
                  'Attribute Name'), 'State', 'State asked');
    is(kmip_value($state->[0], 'Response Payload', 'Attribute',
                  'Attribute Value'), 1, 'Pre-Active');
    is(kmip_value($act->[0], 'Result Status'), 0, 'Activate')
        or diag(kmip_value($act->[0], 'Result Message'));
    is(kmip_value($act->[0], 'Response Payload', 'Unique Identifier'), $uid,
       'Activate: the uid');
    return kmip_value($kb, 'Key Value', 'Key Material');
}

# the whole of section 2.2: a VM key and the host key created alongside,
# s51..s58.  Returns (vm uid, host uid).
sub encrypt_vm {
    my ($self, %a) = @_;
    my $vm = $self->create;                                          # s51
    $self->tag_product($vm);                                         # s52
    my $host = $self->create;                                        # s53
    $a{between}->() if $a{between};
    my $hk = $self->fetch_and_activate($host);                       # s54
    $self->tag_product($host);                                       # s55
    $self->tag_object($host, $a{host_id} // '8c164d56-7f1c-5960-63e6-4451c6181844',
                      'ESXi Server', $a{host_name} // '172.16.220.132');   # s56
    my $vk = $self->fetch_and_activate($vm);                         # s57
    $self->tag_object($vm, $a{vm_id} // '4226f566-3ed5-1c8f-cda3-b0b037b6dc97',
                      'Virtual Machine', $a{vm_name} // 'test01');   # s58
    isnt(unpack('H*', $vk // ''), unpack('H*', $hk // ''),
         'VM key and host key differ');
    return ($vm, $host);
}

# all attributes of an object (Get Attributes without names), as a hash
sub attributes {
    my ($self, $uid) = @_;
    my ($r) = $self->job([ 'Get Attributes', vc_req('1.1', $self->_cred,
        { operation => 'Get Attributes',
          payload => [ T('Unique Identifier', $uid) ] }) ]);
    return map { kmip_value($_, 'Attribute Name')
                 => kmip_value($_, 'Attribute Value') }
           kmip_find_all($r->[0], 'Response Payload', 'Attribute');
}

1;
