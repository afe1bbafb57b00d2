# Unit tests of t/lib/KMIP/TTLV.pm (the Perl TTLV oracle) and of the
# harness's dump matcher; no nginx involved.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use KMIP::TTLV;
use Test::Nginx::KMIP ();

my $hex = sub { unpack 'H*', ttlv_encode($_[0]) };

# KMIP 1.4 specification, section 9.1.2 (tag 420020)
my @spec = (
    [ 'Integer 8', I(0x420020, 8), '42002002000000040000000800000000' ],
    [ 'Long Integer 123456789000000000', L(0x420020, 123456789000000000),
      '420020030000000801b69b4ba5749200' ],
    [ 'Big Integer 1234567890000000000000000000',
      BI(0x420020, pack('H*', '0000000003fd35eb6bc2df4618080000')),
      '42002004000000100000000003fd35eb6bc2df4618080000' ],
    [ 'Enumeration 255', E(0x420020, 255), '4200200500000004000000ff00000000' ],
    [ 'Boolean true', BOOL(0x420020, 1), '42002006000000080000000000000001' ],
    [ 'Text String Hello World', T(0x420020, 'Hello World'),
      '420020070000000b48656c6c6f20576f726c640000000000' ],
    [ 'Byte String 010203', B(0x420020, "\x01\x02\x03"),
      '42002008000000030102030000000000' ],
    [ 'Date-Time 2008-03-14 11:56:40 GMT', DT(0x420020, 1205495800),
      '42002009000000080000000047da67f8' ],
    [ 'Interval 10 days', IV(0x420020, 864000),
      '4200200a00000004000d2f0000000000' ],
    [ 'Structure', S(0x420020, [ E(0x420004, 254), I(0x420005, 255) ]),
      '42002001000000204200040500000004000000fe000000004200050200000004000000ff00000000' ],
);
for my $t (@spec) {
    my ($name, $item, $want) = @$t;
    is($hex->($item), $want, "encode: $name");
    my $back = ttlv_decode(pack 'H*', $want);
    is($hex->($back), $want, "decode+encode round trip: $name");
}
is(ttlv_decode(pack 'H*', $spec[1][2])->{value}, 123456789000000000, 'Long Integer value');
is(ttlv_decode(pack 'H*', $spec[7][2])->{value}, 1205495800, 'Date-Time value');
is(ttlv_decode(pack 'H*', $spec[4][2])->{value}, 1, 'Boolean value');
is(ttlv_decode(pack('H*', '4200200200000004ffffffff00000000'))->{value}, -1,
   'Integer is signed');

# tag names come from the generated header (or the fallback table)
is(kmip_tag('Unique Batch Item ID'), 0x420093, 'tag by spec name');
is(kmip_tag('UNIQUE_BATCH_ITEM_ID'), 0x420093, 'tag by C name');
is(kmip_tag('Template-Attribute'), 0x420091, 'tag with a hyphen');
is(kmip_tag_name(0x42007B), 'Response Message', 'tag display name');
is(kmip_operation('Discover Versions'), 0x1E, 'operation by name');
is(kmip_operation('Get Attribute List'), 0x0C, 'operation Get Attribute List');
is(kmip_enum('Result Reason', 'Item Not Found'), 1, 'Result Reason');
is(kmip_mask('Cryptographic Usage Mask', 'Encrypt|Decrypt'), 12, 'usage mask');
ok(!eval { kmip_tag('No Such Tag'); 1 }, 'unknown tag name croaks');

# kmip_request
my $req = kmip_request(version => '1.1',
                       items => [ { operation => 'Discover Versions', payload => [] } ]);
is(unpack('H*', $req),
   '42007801000000604200770100000038420069010000002042006a0200000004'
   . '000000010000000042006b0200000004000000010000000042000d0200000004'
   . '000000010000000042000f010000001842005c05000000040000001e00000000'
   . '4200790100000000', 'Discover Versions request bytes');
my $tree = ttlv_decode($req);
is(kmip_value($tree, 'Request Header', 'Batch Count'), 1, 'kmip_value');
is(kmip_value($tree, 'Request Message', 'Batch Item', 'Operation'), 0x1E,
   'kmip_value with the root name first');
is(ttlv_dump($tree), <<'D', 'ttlv_dump');
Request Message
  Request Header
    Protocol Version
      Protocol Version Major: 1
      Protocol Version Minor: 1
    Batch Count: 1
  Batch Item
    Operation: 0x1e (DISCOVER_VERSIONS)
    Request Payload
D
my $r2 = ttlv_decode(kmip_request(
    version => '1.2', max_response_size => 4096, credential => [ 'u', 'p' ],
    batch_order_option => 1, batch_count => 5,
    items => [ { operation => 0x0A, ubi => "QLKC\1\0\0\0",
                 payload => [ T('Unique Identifier', 'k1') ] },
               { operation => 'Destroy', payload => [ T('Unique Identifier', 'k2') ] } ]));
is(kmip_value($r2, 'Request Header', 'Batch Count'), 5, 'batch_count override');
is(scalar(kmip_find_all($r2, 'Batch Item')), 2, 'kmip_find_all');
is(kmip_value($r2, 'Batch Item[1]', 'Request Payload', 'Unique Identifier'), 'k2', 'indexed path');
is(kmip_value($r2, 'Request Header', 'Authentication', 'Credential',
              'Credential Value', 'Username'), 'u', 'credential');
is(kmip_value($r2, 'Request Header', 'Batch Order Option'), 1, 'batch order option');

# dump formats of every type
is(ttlv_dump(S('Attribute', [
    I('Cryptographic Length', 256), L('Usage Limits Total', 5),
    BI('Attribute Value', "\0" x 7 . "\1"), E('Object Type', 'Symmetric Key'),
    BOOL('Batch Order Option', 0), T('Attribute Name', "a\"b\n\x{e9}"),
    B('Key Material', "\xde\xad"), DT('Time Stamp', 1205495800),
    IV('Lease Time', 3600), DTX('Time Stamp', 1),
])), <<'D', 'dump of all types');
Attribute
  Cryptographic Length: 256
  Usage Limits Total: long 5
  Attribute Value: bigint 0x0000000000000001
  Object Type: 0x2 (SYMMETRIC_KEY)
  Batch Order Option: false
  Attribute Name: "a\"b\x0a\x{e9}"
  Key Material: bytes(2) dead
  Time Stamp: 2008-03-14T11:56:40Z
  Lease Time: interval 3600
  Time Stamp: dtx 1
D

# strict decoder
my %bad = (
    'truncated header'       => '4200200200',
    'length beyond buffer'   => '420020020000000400000008',
    'non-zero padding'       => '42002002000000040000000800000001',
    'Integer with length 8'  => '42002002000000080000000000000008',
    'Boolean 2'              => '42002006000000080000000000000002',
    'unknown type 0x0c'      => '4200200c000000040000000800000000',
    'trailing item'          => '42002002000000040000000800000000' x 2,
    'Big Integer length 4'   => '42002004000000040000000100000000',
    'bad UTF-8'              => '4200200700000001ff00000000000000',
    'structure length short' => '42002001000000084200050200000004000000ff00000000',
);
for my $n (sort keys %bad) {
    ok(!eval { ttlv_decode(pack 'H*', $bad{$n}); 1 }, "decoder rejects: $n")
        and note("  $@");
}
like((eval { ttlv_decode(pack 'H*', $bad{'non-zero padding'}) }, $@),
     qr/offset 0.*padding/, 'error names the offset');

# encoder overrides for hostile tests
is(unpack('H*', ttlv_encode(I('Batch Count', 1, length => 99))),
   '42000d02000000630000000100000000', 'length override');
is(unpack('H*', ttlv_encode(RAW_ITEM('Batch Count', 0x02, "\1\2\3", pad => 0))),
   '42000d0200000003010203', 'raw item without padding');

# the harness's dump matcher
my $m = \&Test::Nginx::KMIP::dump_matches;
my $actual = <<'A';
Response Message
  Response Header
    Time Stamp: 2024-01-01T00:00:00Z
    Batch Count: 1
  Batch Item
    Operation: 0x1e (DISCOVER_VERSIONS)
    Response Payload
      Protocol Version
        Protocol Version Major: 1
      Protocol Version
        Protocol Version Major: 2
A
ok(($m->($actual, $actual))[0], 'identical dumps match');
ok(($m->(<<'E', $actual))[0], 'wildcards, enum without name, ...');
Response Message
  Response Header
    Time Stamp: *
    Batch Count: 1
  Batch Item
    Operation: 0x1e
    Response Payload
      ...
E
ok(($m->(<<'E', $actual))[0], '... in the middle');
Response Message
  Response Header
    ...
  Batch Item
    Operation: 0x1e (DISCOVER_VERSIONS)
    ...
E
my ($ok, $diff) = $m->(<<'E', $actual);
Response Message
  Response Header
    Time Stamp: *
    Batch Count: 2
  Batch Item
    ...
E
ok(!$ok, 'a wrong value does not match');
like($diff, qr/^-    Batch Count: 2$/m, 'diff shows the expected line');
like($diff, qr/^\+    Batch Count: 1$/m, 'diff shows the actual line');
unlike($diff, qr/^[-+]    Time Stamp/m, 'diff hides wildcarded lines');
ok(!($m->("Response Message\n", $actual))[0], 'missing lines do not match');

# the conformance runner's rule for the Server Correlation Value
# (t/lib/KMIP/Conformance.pm): server-generated, optional either way
{
    require KMIP::Conformance;
    my $hdr = sub {
        my $scv = shift;
        my $x = '<ResponseHeader><TimeStamp type="DateTime" value="$NOW"/>'
              . ($scv // '') . '<BatchCount type="Integer" value="1"/>'
              . '</ResponseHeader>';
        my ($el) = KMIP::Conformance::parse_xml($x);
        return KMIP::Conformance::xml_to_item($el, { bind => {} },
                                              'response');
    };
    my $actual = sub {
        my @kids = (DT(0x420092, time));
        push @kids, $_[0] if $_[0];
        return S(0x42007a, [ @kids, I(0x42000d, 1) ]);
    };
    my $cmp = sub {
        KMIP::Conformance::compare_items($_[0], $_[1],
                                         { bind => {}, t0 => time }, '');
    };
    my $exp_scv = $hdr->('<ServerCorrelationValue type="TextString" '
                         . 'value="A5E83842-2A456820-4"/>');
    my $exp_none = $hdr->();
    is($cmp->($exp_scv, $actual->(T(0x420106, 'ab-1-1'))), undef,
       'runner: another Server Correlation Value matches');
    is($cmp->($exp_scv, $actual->()), undef,
       'runner: an absent Server Correlation Value matches');
    is($cmp->($exp_none, $actual->(T(0x420106, 'ab-1-1'))), undef,
       'runner: an unexpected Server Correlation Value matches');
    like($cmp->($exp_scv, $actual->(B(0x420106, 'ab'))), qr/expected type/,
         'runner: a Server Correlation Value that is not text does not');
    like($cmp->($exp_none, $actual->(T(0x420106, ''))), qr/empty/,
         'runner: an empty Server Correlation Value does not');
    like($cmp->($exp_none, $actual->(T(0x420105, 'x'))), qr/expected/,
         'runner: a Client Correlation Value is not optional');

    # an Attribute Index of 0 says what its absence says (KMIP 1.4 2.1.1)
    my ($ael) = KMIP::Conformance::parse_xml(
        '<Attribute><AttributeName type="TextString" value="x-a"/>'
        . '<AttributeValue type="TextString" value="v"/></Attribute>');
    my $exp_attr = KMIP::Conformance::xml_to_item($ael, { bind => {} },
                                                  'response');
    my $attr = sub {
        S(0x420008, [ T(0x42000a, 'x-a'), @_, T(0x42000b, 'v') ]);
    };
    is($cmp->($exp_attr, $attr->(I(0x420009, 0))), undef,
       'runner: an Attribute Index of 0 matches none');
    like($cmp->($exp_attr, $attr->(I(0x420009, 1))),
         qr/AttributeValue|unexpected/,
         'runner: an Attribute Index of 1 does not');
}

# the runner's rule for a Query answer's lists: every operation and object
# type the case expects, in any order, and more if the server runs more;
# nothing else in the payload, and no other operation's answer, is loosened
{
    my $item = sub {
        my ($op, @payload) = @_;
        my ($el) = KMIP::Conformance::parse_xml(
            qq{<BatchItem><Operation type="Enumeration" value="$op"/>}
            . '<ResultStatus type="Enumeration" value="Success"/>'
            . '<ResponsePayload>' . join('', @payload)
            . '</ResponsePayload></BatchItem>');
        return KMIP::Conformance::xml_to_item($el, { bind => {} },
                                              'response');
    };
    my $e = sub { qq{<$_[0] type="Enumeration" value="$_[1]"/>} };
    my $vendor = '<VendorIdentification type="TextString" value="v"/>';
    my $cmp = sub {
        KMIP::Conformance::compare_items($_[0], $_[1],
                                         { bind => {}, t0 => time }, '');
    };
    my $exp = $item->('Query', $e->('Operation', 'Query'),
                      $e->('Operation', 'Get'),
                      $e->('ObjectType', 'SymmetricKey'), $vendor);

    is($cmp->($exp, $item->('Query', $e->('Operation', 'Get'),
                            $e->('Operation', 'Create'),
                            $e->('Operation', 'Query'),
                            $e->('ObjectType', 'SecretData'),
                            $e->('ObjectType', 'SymmetricKey'), $vendor)),
       undef, 'runner: a Query list in another order, with more, matches');
    like($cmp->($exp, $item->('Query', $e->('Operation', 'Query'),
                              $e->('ObjectType', 'SymmetricKey'), $vendor)),
         qr/missing <Operation> .*GET/i,
         'runner: a Query list without an expected operation does not');
    like($cmp->($exp, $item->('Query', $e->('Operation', 'Query'),
                              $e->('Operation', 'Get'), $vendor)),
         qr/missing <ObjectType>/,
         'runner: nor one without an expected object type');
    like($cmp->($exp, $item->('Query', $e->('Operation', 'Query'),
                              $e->('Operation', 'Get'),
                              $e->('ObjectType', 'SymmetricKey'),
                              '<VendorIdentification type="TextString" '
                              . 'value="w"/>')),
         qr/VendorIdentification/,
         'runner: the rest of a Query answer is compared as it is');

    my $create = $item->('Create', $e->('ObjectType', 'SymmetricKey'));
    like($cmp->($create, $item->('Create', $e->('ObjectType', 'SymmetricKey'),
                                 $e->('ObjectType', 'SecretData'))),
         qr/unexpected <ObjectType>/,
         'runner: another operation\'s Object Type is compared as it is');
}

done_testing();
