# Objects larger than one Key Protect payload (docs/key-protect.md#chunks):
# a 64 KiB Opaque Object and an RSA-4096 private key with many attributes
# are kept in chunks, standard keys of the object's name written before its
# generation 1; another node reads them byte for byte; a deleted or altered
# chunk fails the read closed; updates keep the chunks and lose nothing
# when two nodes race; Destroy deletes every chunk; deleting the CRK
# crypto-shreds them.

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;

my $kp = suite_kp();
my @conf = (kmip => [ 'kmip_max_message_size 256k;' ]);
my $a = kp_node(name => 'a', @conf);
my $b = kp_node(name => 'b', @conf);
my ($pa, $pb) = ($a->port, $b->port);

sub kp_keys {
    my $k = $kp->keys;
    return ref $k eq 'HASH' ? @{ $k->{keys} || $k->{resources} || [] } : @$k;
}

# the live Key Protect keys of an object: its generation and its chunks
sub live_keys { return $kp->live_keys($_[0]) }

sub chunks_of {
    my ($uid) = @_;
    return grep { !@{ $_->{aliases} || [] } } live_keys($uid);
}

sub get {
    my ($port, $uid) = @_;
    my ($bi) = op_req($port, '1.4', { operation => 'Get',
                                      payload => [ ops_uid($uid) ] });
    return $bi;
}

sub opaque_of {
    kmip_value($_[0], 'Response Payload', 'Opaque Object',
               'Opaque Data Value');
}

sub attrs { my ($port, $uid, @names) = @_;
            return op_get_attrs($port, '1.4', $uid, @names) }

sub register_opaque {
    my ($port, $bytes, @attrs) = @_;
    my ($bi) = op_req($port, '1.4', { operation => 'Register', payload => [
        E('Object Type', 'Opaque Object'), tmpl1(@attrs),
        S('Opaque Object', [ E('Opaque Data Type', 0x80000001),
                             B('Opaque Data Value', $bytes) ]) ] });
    return uid_of(op_ok($bi, 'Register of ' . length($bytes) . ' bytes'));
}

my $big = join '', map { chr(($_ * 131 + 7) % 256) } 0 .. 65535;

subtest 'a 64 KiB Opaque Object, read on another node' => sub {
    $kp->clear_requests;
    my $uid = register_opaque($pa, $big, a1('x-Big', T('x', 'yes')));

    my @creates = $kp->requests(method => 'POST', path => qr{/keys$});
    my @wraps = $kp->requests(method => 'POST', path => qr{/actions/wrap$});
    is(scalar @creates, 13, 'Register: 12 chunks and generation 1');
    is(scalar @wraps, 1, 'one wrap: the data key');

    my @live = live_keys($uid);
    my @chunks = chunks_of($uid);
    is(scalar @live, 13, '13 live Key Protect keys named kmip-<uuid>');
    is(scalar @chunks, 12, '12 of them chunks, without alias');
    ok(!grep({ ($_->{description} // '') =~ /generation/ } @chunks),
       'no chunk reads as a generation');

    $kp->clear_requests;
    my $g = get($pb, $uid);
    op_ok($g, 'Get on b');
    is(opaque_of($g), $big, 'the same 65,536 bytes on b');
    is($kp->count(method => 'GET', path => qr{/keys/[0-9a-f-]+$}), 13,
       'Get: the generation and the 12 chunks');
    is($kp->count(method => 'POST', path => qr{/actions/unwrap$}), 1,
       'one unwrap: the data key');

    $kp->clear_requests;
    is(attrs($pb, $uid, 'x-Big')->{'x-Big'}, 'yes', 'Get Attributes on b');
    # no chunk; the generation's record is the one b kept when it read
    # or wrote it (docs/key-protect.md#the-record-of-a-key): a listing
    is($kp->count(method => 'GET', path => qr{/keys/[0-9a-f-]+$}), 0,
       'Get Attributes reads no chunk, and no generation b keeps');
    is($kp->count(method => 'GET', path => qr{/keys$}), 1, 'a listing');

    # a chunk of the original node's write went nowhere
    my $log = $a->error_log_text . $b->error_log_text;
    my $hex = unpack('H*', substr($big, 1000, 32));
    ok(index($log, $hex) < 0, 'no material in the logs');
};

subtest 'an RSA-4096 private key with many attributes' => sub {
    my $pem = servroot() . '/rsa4096.der';
    system("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 "
           . "-outform DER -out $pem 2>/dev/null") == 0
        or BAIL_OUT('openssl genpkey');
    open my $fh, '<:raw', $pem or die $!;
    my $der = do { local $/; <$fh> };
    close $fh;
    ok(length($der) > 2000 && length($der) < 4096,
       'a PKCS#8 RSA-4096 key of ' . length($der) . ' bytes');

    my @many = map { a1("x-Attribute-$_", T("x", "v" x 60 . $_)) } 1 .. 30;
    $kp->clear_requests;
    my ($bi) = op_req($pa, '1.4', { operation => 'Register', payload => [
        E('Object Type', 'Private Key'),
        tmpl1(a1('Cryptographic Usage Mask',
                 I('Cryptographic Usage Mask', 1)), @many),
        S('Private Key', [ S('Key Block', [
            E('Key Format Type', 0x04),
            S('Key Value', [ B('Key Material', $der) ]),
            E('Cryptographic Algorithm', 0x04),
            I('Cryptographic Length', 4096) ]) ]) ] });
    my $uid = uid_of(op_ok($bi, 'Register of the private key'));
    
    ok(scalar(chunks_of($uid)) >= 1,
       'its record would not fit one payload: the material is in chunks');

    my $g = get($pb, $uid);
    op_ok($g, 'Get on b');
    ok((kmip_value($g, 'Response Payload', 'Private Key', 'Key Block',
                   'Key Value', 'Key Material') // '') eq $der,
       'the same private key on b');
    my $at = attrs($pb, $uid);
    is(scalar(grep { /^x-Attribute-/ } keys %$at), 30,
       'its 30 attributes on b');
};

subtest 'a certificate of 6.8 KB' => sub {
    my $dir = servroot();
    # a large private extension: bytes no attribute is made of
    my $ext = '1.3.6.1.4.1.55555.1=DER:' . ('ab' x 6000);
    system("openssl req -x509 -newkey rsa:2048 -nodes -keyout $dir/big.key "
           . "-subj /CN=big -addext $ext -days 2 "
           . "-outform DER -out $dir/big.der 2>/dev/null") == 0
        or BAIL_OUT('openssl req');
    open my $fh, '<:raw', "$dir/big.der" or die $!;
    my $der = do { local $/; <$fh> };
    close $fh;
    ok(length($der) > 6000, 'an X.509 certificate of ' . length($der)
       . ' bytes');
    my ($bi) = op_req($pa, '1.4', { operation => 'Register', payload => [
        E('Object Type', 'Certificate'), tmpl1(),
        S('Certificate', [ E('Certificate Type', 0x01),
                           B('Certificate Value', $der) ]) ] });
    my $uid = uid_of(op_ok($bi, 'Register of the certificate'));
    is(scalar(chunks_of($uid)), 2, 'in 2 chunks');
    my $g = get($pb, $uid);
    op_ok($g, 'Get on b');
    ok((kmip_value($g, 'Response Payload', 'Certificate',
                   'Certificate Value') // '') eq $der,
       'the same certificate on b');
};

subtest 'a deleted or altered chunk fails the read closed' => sub {
    my $uid = register_opaque($pa, $big);
    my ($victim) = chunks_of($uid);
    my $d = $kp->kp_call('DELETE', "keys/$victim->{id}");
    is($d->{status}, 204, 'an operator deletes one chunk');
    for my $port ($pa, $pb) {
        my $g = get($port, $uid);
        is(kmip_value($g, 'Result Status'), 1, "the Get fails on $port");
        like(kmip_value($g, 'Result Message') // '', qr/deleted/,
             'the message says a part is deleted');
        ok(!defined opaque_of($g), 'no material in the answer');
    }
    like($a->error_log_text, qr/\[error\].*part \d+ of the material/,
         'an error line names the chunk');

    # a GET that answers other bytes for a chunk fails as well
    my $uid2 = register_opaque($pa, $big);
    my ($c) = chunks_of($uid2);
    $kp->fault({ method => 'GET', path => "/keys/$c->{id}\$", status => 200,
                 body => '{"metadata":{"collectionType":"application/'
                         . 'vnd.ibm.kms.key+json","collectionTotal":1},'
                         . '"resources":[{"id":"' . $c->{id} . '","name":'
                         . '"kmip-' . $uid2 . '","state":1,"extractable":'
                         . 'true,"payload":"QUJDRA=="}]}' });
    my $g = get($pb, $uid2);
    $kp->clear_faults;
    is(kmip_value($g, 'Result Status'), 1, 'an altered chunk fails the Get');
    like(kmip_value($g, 'Result Message') // '', qr/digest/,
         'the message says it does not match its digest');
    op_ok(get($pb, $uid2), 'without the fault the Get succeeds');
};

subtest 'concurrent updates of a large object lose nothing' => sub {
    my $uid = register_opaque($pa, $big);
    my @before = sort map { $_->{id} } chunks_of($uid);
    my $n = 10;
    my $failed = concurrent_adds($uid, $n, $pb, $pa);
    is($failed, 0, "all $n concurrent Add Attribute succeeded");
    my $at = attrs($pb, $uid);
    is_deeply([ grep { ($at->{"x-C$_"} // '') ne "v$_" } 1 .. $n ], [],
              'every attribute is there');
    is_deeply([ sort map { $_->{id} } chunks_of($uid) ], \@before,
              'the same chunks, none left over');
    # the superseded generations are deleted after the answers
    is(scalar($kp->settle($uid, 13)), 13,
       'one generation and its chunks live');
    is(opaque_of(get($pa, $uid)), $big, 'the material unchanged');
};

subtest 'Destroy deletes every chunk' => sub {
    my $uid = register_opaque($pa, $big);
    $kp->clear_requests;
    op_ok((op_req($pb, '1.4', { operation => 'Destroy',
                                payload => [ ops_uid($uid) ] }))[0],
          'Destroy on b');
    is(scalar(live_keys($uid)), 0, 'no live Key Protect key of its name');
    is($kp->count(method => 'DELETE'), 13,
       'the generation and 12 chunks deleted');
    my $g = get($pa, $uid);
    is(kmip_value($g, 'Result Status'), 1, 'Get after Destroy fails');
    ok(!defined opaque_of($g), 'no material');
};

subtest 'a small object keeps its single key' => sub {
    my $uid = register_opaque($pa, 'x' x 1024);
    is(scalar(live_keys($uid)), 1, '1,024 bytes: one Key Protect key');
    is(opaque_of(get($pb, $uid)), 'x' x 1024, 'read on b');

    # 4,096 bytes fit Key Protect's wrap but not, wrapped, one payload
    $uid = register_opaque($pa, 'y' x 4096);
    is(scalar(chunks_of($uid)), 1, '4,096 bytes: one chunk');
    is(opaque_of(get($pb, $uid)), 'y' x 4096, 'read on b');
};

subtest 'a Register that fails after some chunks leaves no key' => sub {
    my @live = grep { !$_->{deleted} && ($_->{state} // 0) != 5 } kp_keys();
    $kp->fault({ method => 'POST', path => '/api/v2/keys$', status => 500,
                 count => 1 });
    my ($bi) = op_req($pa, '1.4', { operation => 'Register', payload => [
        E('Object Type', 'Opaque Object'), tmpl1(),
        S('Opaque Object', [ E('Opaque Data Type', 0x80000001),
                             B('Opaque Data Value', $big) ]) ] });
    $kp->clear_faults;
    is(kmip_value($bi, 'Result Status'), 1, 'the Register fails');
    ok(!defined uid_of($bi), 'no Unique Identifier');
    my @now = grep { !$_->{deleted} && ($_->{state} // 0) != 5 } kp_keys();
    is(scalar @now, scalar @live, 'the chunks it wrote are deleted');
};

subtest 'an undone Register of a large object leaves no key' => sub {
    my $r = kmip_roundtrip($pa, kmip_request(version => '1.4',
        batch_order_option => 1,
        header => [ E('Batch Error Continuation Option', 3) ],
        items => [
            { operation => 'Register', ubi => pack('N', 1), payload => [
                E('Object Type', 'Opaque Object'), tmpl1(),
                S('Opaque Object', [ E('Opaque Data Type', 0x80000001),
                                     B('Opaque Data Value', $big) ]) ] },
            { operation => 'Get', ubi => pack('N', 2),
              payload => [ ops_uid('no-such-object') ] } ]),
        timeout => 30);
    my @bi = kmip_find_all($r, 'Batch Item');
    is(kmip_value($bi[0], 'Result Status'), 3, 'Register: Operation Undone');
    my $uid = uid_of($bi[0]);
    ok($uid, 'its Unique Identifier');
    is(scalar(live_keys($uid)), 0, 'neither its generation nor a chunk live');
};

subtest 'deleting the CRK crypto-shreds a large object' => sub {
    my $uid = register_opaque($pa, $big);
    op_ok(get($pb, $uid), 'readable before');
    my $crk = $kp->root_key;
    is($kp->kp_call('DELETE', "keys/$crk?force=true")->{status}, 204,
       'CRK deleted');
    for my $port ($pa, $pb) {
        my $g = get($port, $uid);
        is(kmip_value($g, 'Result Status'), 1, "the Get fails on $port");
        like(kmip_value($g, 'Result Message') // '', qr/root key/,
             'the message names the root key');
        ok(!defined opaque_of($g), 'no material');
    }
};

done_testing;
