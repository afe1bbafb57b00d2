# Multi-part (streamed) Encrypt and Decrypt: Init Indicator, Correlation
# Value, Final Indicator (KMIP 1.4 4.29/4.30, 2.1 6.1.17/6.1.11); and the
# multi-part Sign, Signature Verify, MAC, MAC Verify and Hash, whose parts
# the server puts together (ngx_kmip_op_parts.c). A stream
# lives on the connection that opened it, so every stream here runs on one
# persistent connection; the checks are against the NIST GCM test vector
# the OASIS cases use and against the single-part answer of the server.

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use Digest::SHA ();

my $kp = suite_kp();
my $n = kp_node(kmip => [ 'kmip_max_message_size 2m;' ]);
my $port = $n->port;

use KMIP::Reasons;

# AES-128-GCM, 64-bit IV: NIST GCM test case 5 (the OASIS CS-BC-M-GCM-3)
my %gcm = map { $_->[0] => pack 'H*', $_->[1] } (
    [ key => 'feffe9928665731c6d6a8f9467308308' ],
    [ iv  => 'cafebabefacedbad' ],
    [ aad => 'feedfacedeadbeeffeedfacedeadbeefabaddad2' ],
    [ pt  => 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d'
           . '8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657'
           . 'ba637b39' ],
    [ ct  => '61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f9'
           . '7b6c742373806900e49f24b22b097544d4896b424989b5e1ebac0f07'
           . 'c23f4598' ],
    [ tag => '3612d2e79e3b0785561be14aaca2fccb' ],
);

my $ver2 = qr/^2/;

# the reasons 1.x has for what 2.x names exactly
sub r_unknown { $_[0] =~ $ver2 ? R_INVALID_CORRELATION_VALUE
                               : R_INVALID_FIELD }
sub r_limit   { $_[0] =~ $ver2 ? R_SERVER_LIMIT_EXCEEDED
                               : R_GENERAL_FAILURE }

sub register_key {
    my ($v, $alg, $mat) = @_;
    my @at = $v =~ $ver2
        ? attrs2(I('Cryptographic Usage Mask', 12),
                 DT('Activation Date', time - 3600))
        : tmpl1(a1('Cryptographic Usage Mask',
                   I('Cryptographic Usage Mask', 12)),
                a1('Activation Date', DT('Activation Date', time - 3600)));
    my ($bi) = op_req($port, $v, { operation => 'Register', payload => [
        E('Object Type', 'Symmetric Key'), @at, raw_key($alg, $mat) ] });
    op_ok($bi, "$v Register $alg key");
    return uid_of($bi);
}

# one request on a given connection -> its Batch Item
sub call {
    my ($c, $v, $op, @payload) = @_;
    my $r = $c->request(kmip_request(version => $v, items => [
        { operation => $op, payload => [ @payload ] } ]));
    die "no answer: " . ($c->error // 'closed') . "\n" unless $r;
    return kmip_find($r, 'Batch Item');
}

sub out { kmip_value($_[0], 'Response Payload', $_[1]) }

sub gcm_params { S('Cryptographic Parameters', [
    E('Block Cipher Mode', 'GCM'), I('Tag Length', 16) ]) }

sub cv_of { B('Correlation Value', $_[0]) }

# opens a GCM stream on $c; returns (batch item, correlation value)
sub gcm_open {
    my ($c, $v, $uid, $op, @more) = @_;
    my $bi = call($c, $v, $op, ops_uid($uid), gcm_params(),
                  B('IV/Counter/Nonce', $gcm{iv}), BOOL('Init Indicator', 1),
                  B('Authenticated Encryption Additional Data', $gcm{aad}),
                  @more);
    return ($bi, out($bi, 'Correlation Value'));
}

for my $v ('1.4', '2.1') {
    my $uid = register_key($v, 'AES', $gcm{key});

    subtest "$v: AES-GCM Encrypt in three parts" => sub {
        my $c = kmip_connect($port);
        my @p = (substr($gcm{pt}, 0, 13), substr($gcm{pt}, 13, 30),
                 substr($gcm{pt}, 43));
        my ($bi, $cv) = gcm_open($c, $v, $uid, 'Encrypt',
                                 B('Data', $p[0]));
        op_ok($bi, 'first part');
        is(length($cv // ''), 16, 'a Correlation Value of 128 bits');
        is(out($bi, 'Unique Identifier'), $uid, 'the key');
        ok(!defined out($bi, 'Authenticated Encryption Tag'),
           'no tag before the end');
        my $ct = out($bi, 'Data') // '';

        # a middle part names the stream only: no Unique Identifier
        $bi = op_ok(call($c, $v, 'Encrypt', cv_of($cv), B('Data', $p[1])),
                    'second part');
        is(out($bi, 'Unique Identifier'), $uid, 'the stream\'s key');
        ok(!defined out($bi, 'Correlation Value'),
           'the Correlation Value only in the first answer');
        $ct .= out($bi, 'Data') // '';

        $bi = op_ok(call($c, $v, 'Encrypt', ops_uid($uid), gcm_params(),
                         cv_of($cv), B('Data', $p[2]),
                         BOOL('Final Indicator', 1)), 'final part');
        $ct .= out($bi, 'Data') // '';
        is(unpack('H*', $ct), unpack('H*', $gcm{ct}), 'the ciphertext');
        is(unpack('H*', out($bi, 'Authenticated Encryption Tag') // ''),
           unpack('H*', $gcm{tag}), 'the tag, with the final part');

        op_fail(call($c, $v, 'Encrypt', cv_of($cv), B('Data', 'more')),
                r_unknown($v), 'a finished stream',
                qr/names no open stream/);
    };

    subtest "$v: AES-GCM Decrypt in three parts" => sub {
        my $c = kmip_connect($port);

        # the tag with the final part
        my ($bi, $cv) = gcm_open($c, $v, $uid, 'Decrypt',
                                 B('Data', substr($gcm{ct}, 0, 31)));
        op_ok($bi, 'first part, no tag yet');
        my $pt = out($bi, 'Data') // '';
        $bi = op_ok(call($c, $v, 'Decrypt', cv_of($cv),
                         B('Data', substr($gcm{ct}, 31, 16))), 'second');
        $pt .= out($bi, 'Data') // '';
        $bi = op_ok(call($c, $v, 'Decrypt', cv_of($cv),
                         B('Data', substr($gcm{ct}, 47)),
                         B('Authenticated Encryption Tag', $gcm{tag}),
                         BOOL('Final Indicator', 1)), 'final part');
        $pt .= out($bi, 'Data') // '';
        is(unpack('H*', $pt), unpack('H*', $gcm{pt}), 'the plaintext');

        # the tag with the first part (KMIP's "MUST be supplied on the
        # initial Decrypt request"), and a final part without Data
        ($bi, $cv) = gcm_open($c, $v, $uid, 'Decrypt', B('Data', $gcm{ct}),
                      B('Authenticated Encryption Tag', $gcm{tag}));
        op_ok($bi, 'first part with the tag');
        $pt = out($bi, 'Data') // '';
        $bi = op_ok(call($c, $v, 'Decrypt', cv_of($cv),
                         BOOL('Final Indicator', 1)), 'final part, no Data');
        is(unpack('H*', $pt . (out($bi, 'Data') // '')),
           unpack('H*', $gcm{pt}), 'the plaintext');

        # a wrong tag fails the final part and ends the stream
        ($bi, $cv) = gcm_open($c, $v, $uid, 'Decrypt', B('Data', $gcm{ct}));
        op_ok($bi, 'first part');
        my $bad = $gcm{tag} ^ ("\0" x 15 . "\1");
        op_fail(call($c, $v, 'Decrypt', cv_of($cv),
                     B('Authenticated Encryption Tag', $bad),
                     BOOL('Final Indicator', 1)), R_CRYPTO_FAILURE,
                'a wrong tag', qr/Decrypt failed/);
        op_fail(call($c, $v, 'Decrypt', cv_of($cv),
                     B('Authenticated Encryption Tag', $gcm{tag}),
                     BOOL('Final Indicator', 1)), r_unknown($v),
                'the failed stream is gone');

        # no tag at all
        ($bi, $cv) = gcm_open($c, $v, $uid, 'Decrypt', B('Data', $gcm{ct}));
        op_fail(call($c, $v, 'Decrypt', cv_of($cv),
                     BOOL('Final Indicator', 1)), R_MISSING_DATA,
                'a final part without the tag', qr/Tag/);
    };

    subtest "$v: what a stream refuses" => sub {
        my $c = kmip_connect($port);

        my ($bi, $cv) = gcm_open($c, $v, $uid, 'Encrypt');
        op_ok($bi, 'an Init request without Data');
        ok(!defined out($bi, 'Data'), 'no Data out of no Data');
        op_fail(call($c, $v, 'Encrypt', cv_of($cv), B('Data', 'x'),
                     B('Authenticated Encryption Additional Data', 'late')),
                R_INVALID_FIELD, 'additional data after the first part',
                qr/first part/);
        op_fail(call($c, $v, 'Encrypt', cv_of($cv), B('Data', 'x')),
                r_unknown($v), 'a refused part ends the stream');

        ($bi, $cv) = gcm_open($c, $v, $uid, 'Encrypt');
        op_fail(call($c, $v, 'Decrypt', cv_of($cv), B('Data', 'x')),
                r_unknown($v), 'an Encrypt stream given to Decrypt',
                qr/stream of Encrypt/);

        ($bi, $cv) = gcm_open($c, $v, $uid, 'Encrypt');
        op_fail(call($c, $v, 'Encrypt', cv_of($cv)), R_MISSING_DATA,
                'a middle part without Data');
        op_fail(call($c, $v, 'Encrypt', cv_of($cv), B('Data', 'x'),
                     BOOL('Init Indicator', 1)), R_INVALID_FIELD,
                'an Init Indicator with a Correlation Value',
                qr/no Correlation Value/);
        op_fail(call($c, $v, 'Encrypt', ops_uid($uid), gcm_params(),
                     B('IV/Counter/Nonce', $gcm{iv}), B('Data', 'x'),
                     BOOL('Final Indicator', 1)), r_unknown($v),
                'a Final Indicator without a Correlation Value',
                qr/needs the Correlation Value/);
        op_fail(call($c, $v, 'Encrypt', cv_of("\x55" x 16), B('Data', 'x')),
                r_unknown($v), 'a Correlation Value never issued');

        # both indicators and no Correlation Value: a single-part Encrypt
        $bi = op_ok(call($c, $v, 'Encrypt', ops_uid($uid), gcm_params(),
                         B('IV/Counter/Nonce', $gcm{iv}),
                         B('Authenticated Encryption Additional Data',
                           $gcm{aad}), B('Data', $gcm{pt}),
                         BOOL('Init Indicator', 1),
                         BOOL('Final Indicator', 1)), 'Init and Final');
        is(unpack('H*', out($bi, 'Data') // ''), unpack('H*', $gcm{ct}),
           'single-part ciphertext');
        ok(!defined out($bi, 'Correlation Value'), 'no stream opened');
    };

    subtest "$v: a stream belongs to its connection" => sub {
        my $c1 = kmip_connect($port);
        my $c2 = kmip_connect($port);
        my ($bi, $cv) = gcm_open($c1, $v, $uid, 'Encrypt',
                                 B('Data', substr($gcm{pt}, 0, 20)));
        op_ok($bi, 'opened on the first connection');
        op_fail(call($c2, $v, 'Encrypt', ops_uid($uid), cv_of($cv),
                     B('Data', substr($gcm{pt}, 20)),
                     BOOL('Final Indicator', 1)), r_unknown($v),
                'its Correlation Value on another connection',
                qr/connection that opened it/);
        $bi = op_ok(call($c1, $v, 'Encrypt', cv_of($cv),
                         B('Data', substr($gcm{pt}, 20)),
                         BOOL('Final Indicator', 1)),
                    'finished on its own connection');
        is(unpack('H*', out($bi, 'Authenticated Encryption Tag') // ''),
           unpack('H*', $gcm{tag}), 'untouched by the other connection');

        # the connection goes, its streams with it
        ($bi, $cv) = gcm_open($c1, $v, $uid, 'Encrypt');
        op_ok($bi, 'opened, then the connection closes');
        my $logged = length $n->error_log_text;
        $c1->close;
        my $c3 = kmip_connect($port);
        op_fail(call($c3, $v, 'Encrypt', cv_of($cv), B('Data', 'x')),
                r_unknown($v), 'the stream of a closed connection');
        like(substr($n->error_log_text, $logged),
             qr/1 unfinished multi-part operations dropped with the /,
             'dropped when its connection closed');
    };

    subtest "$v: at most 4 open streams per connection" => sub {
        my $c = kmip_connect($port);
        my @cv;
        for my $i (1 .. 4) {
            my ($bi, $cv) = gcm_open($c, $v, $uid, 'Encrypt');
            op_ok($bi, "stream $i");
            push @cv, $cv;
        }
        my %seen = map { $_ => 1 } @cv;
        is(scalar keys %seen, 4, 'four different Correlation Values');
        my ($bi) = gcm_open($c, $v, $uid, 'Encrypt');
        op_fail($bi, r_limit($v), 'a fifth one', qr/at most 4 open streams/);

        ($bi) = gcm_open(kmip_connect($port), $v, $uid, 'Encrypt');
        op_ok($bi, 'another connection has its own bound');

        op_ok(call($c, $v, 'Encrypt', cv_of($cv[1]), B('Data', $gcm{pt}),
                   BOOL('Final Indicator', 1)), 'one finishes');
        ($bi) = gcm_open($c, $v, $uid, 'Encrypt');
        op_ok($bi, 'its slot is free again');
        op_ok(call($c, $v, 'Encrypt', cv_of($cv[3]), B('Data', 'x')),
              'the others go on');
    };
}

# block modes hold back a block between parts: the parts need not be
# aligned, and the stream gives what the single-part operation gives

subtest '1.4: AES-CBC with PKCS#5 padding in parts' => sub {
    my $v = '1.4';
    my ($bi) = op_req($port, $v, create_aes($v, 256,
        a1('Activation Date', DT('Activation Date', time - 60))));
    my $uid = op_ok($bi, 'Create') && uid_of($bi);
    my $c = kmip_connect($port);
    my $iv = pack 'H*', '000102030405060708090a0b0c0d0e0f';
    my $pt = join '', map { chr(($_ * 7) & 0xff) } 1 .. 100;
    my @params = (S('Cryptographic Parameters', [
                      E('Block Cipher Mode', 'CBC'),
                      E('Padding Method', 'PKCS5') ]),
                  B('IV/Counter/Nonce', $iv));

    $bi = op_ok(call($c, $v, 'Encrypt', ops_uid($uid), @params,
                     B('Data', $pt)), 'single-part Encrypt');
    my $want = out($bi, 'Data');
    is(length $want, 112, 'padded to 112 bytes');

    $bi = op_ok(call($c, $v, 'Encrypt', ops_uid($uid), @params,
                     B('Data', substr($pt, 0, 7)),
                     BOOL('Init Indicator', 1)), 'first part');
    my $cv = out($bi, 'Correlation Value');
    ok(!defined out($bi, 'Data'), '7 bytes: nothing out yet');
    $bi = op_ok(call($c, $v, 'Encrypt', cv_of($cv),
                     B('Data', substr($pt, 7, 50))), 'second');
    my $ct = out($bi, 'Data') // '';
    is(length $ct, 48, 'whole blocks out');
    $bi = op_ok(call($c, $v, 'Encrypt', cv_of($cv),
                     B('Data', substr($pt, 57)),
                     BOOL('Final Indicator', 1)), 'final');
    $ct .= out($bi, 'Data') // '';
    is(unpack('H*', $ct), unpack('H*', $want), 'same as single-part');

    $bi = op_ok(call($c, $v, 'Decrypt', ops_uid($uid), @params,
                     B('Data', substr($want, 0, 5)),
                     BOOL('Init Indicator', 1)), 'Decrypt first part');
    $cv = out($bi, 'Correlation Value');
    my $got = out($bi, 'Data') // '';
    $bi = op_ok(call($c, $v, 'Decrypt', cv_of($cv),
                     B('Data', substr($want, 5, 75))), 'second');
    $got .= out($bi, 'Data') // '';
    $bi = op_ok(call($c, $v, 'Decrypt', cv_of($cv),
                     B('Data', substr($want, 80)),
                     BOOL('Final Indicator', 1)), 'final');
    $got .= out($bi, 'Data') // '';
    is(unpack('H*', $got), unpack('H*', $pt), 'the plaintext, unpadded');
};

subtest '2.1: a server-chosen IV comes with the first answer' => sub {
    my $v = '2.1';
    my $uid = register_key($v, 'AES', $gcm{key});
    my $c = kmip_connect($port);
    my $bi = op_ok(call($c, $v, 'Encrypt', ops_uid($uid),
                        S('Cryptographic Parameters', [
                            E('Block Cipher Mode', 'GCM'),
                            I('Tag Length', 16),
                            BOOL('Random IV', 1) ]),
                        B('Data', substr($gcm{pt}, 0, 9)),
                        BOOL('Init Indicator', 1)), 'first part');
    my $iv = out($bi, 'IV/Counter/Nonce');
    my $cv = out($bi, 'Correlation Value');
    is(length($iv // ''), 12, 'a 96-bit IV');
    my $ct = out($bi, 'Data') // '';
    $bi = op_ok(call($c, $v, 'Encrypt', cv_of($cv),
                     B('Data', substr($gcm{pt}, 9)),
                     BOOL('Final Indicator', 1)), 'final');
    ok(!defined out($bi, 'IV/Counter/Nonce'), 'the IV only once');
    $ct .= out($bi, 'Data') // '';

    $bi = op_ok(call($c, $v, 'Decrypt', ops_uid($uid), gcm_params(),
                     B('IV/Counter/Nonce', $iv), B('Data', $ct),
                     B('Authenticated Encryption Tag',
                       out($bi, 'Authenticated Encryption Tag'))),
                'single-part Decrypt with that IV');
    is(unpack('H*', out($bi, 'Data') // ''), unpack('H*', $gcm{pt}),
       'the plaintext');
};

subtest '2.1: ChaCha20-Poly1305 in parts' => sub {
    my $v = '2.1';
    my $uid = register_key($v, 'ChaCha20Poly1305', pack('H*', '80' x 32));
    my $c = kmip_connect($port);
    my @p = (B('IV/Counter/Nonce', pack('H*', '070000004041424344454647')),
             B('Authenticated Encryption Additional Data', 'header'));
    my $pt = 'a message longer than one ChaCha20 block of 64 bytes, cut '
           . 'in two parts';
    my $bi = op_ok(call($c, $v, 'Encrypt', ops_uid($uid), @p,
                        B('Data', $pt)), 'single-part');
    my ($want, $wtag) = (out($bi, 'Data'),
                         out($bi, 'Authenticated Encryption Tag'));
    $bi = op_ok(call($c, $v, 'Encrypt', ops_uid($uid), @p,
                     B('Data', substr($pt, 0, 33)),
                     BOOL('Init Indicator', 1)), 'first part');
    my $cv = out($bi, 'Correlation Value');
    my $ct = out($bi, 'Data') // '';
    $bi = op_ok(call($c, $v, 'Encrypt', cv_of($cv),
                     B('Data', substr($pt, 33)),
                     BOOL('Final Indicator', 1)), 'final');
    $ct .= out($bi, 'Data') // '';
    is(unpack('H*', $ct), unpack('H*', $want), 'same ciphertext');
    is(unpack('H*', out($bi, 'Authenticated Encryption Tag') // ''),
       unpack('H*', $wtag), 'same tag');
};

subtest 'a mode the server does not offer: the version\'s reason' => sub {
    # Bad Cryptographic Parameters exists from 2.0 on; 1.x says Feature
    # Not Supported
    for my $v ('1.4', '2.1') {
        my $uid = register_key($v, 'AES', $gcm{key});
        my $c = kmip_connect($port);
        op_fail(call($c, $v, 'Encrypt', ops_uid($uid),
                     S('Cryptographic Parameters', [
                         E('Block Cipher Mode', 'OFB') ]),
                     B('IV/Counter/Nonce', $gcm{iv} x 2), B('Data', 'x')),
                $v =~ $ver2 ? 0x24 : 0x08, "$v: Block Cipher Mode OFB",
                qr/Block Cipher Mode/);
    }
};

subtest '2.1: no Encrypt stream on a key with Usage Limits' => sub {
    # the later parts never read the key again, so they could not be
    # counted: the stream is refused, a single-part Encrypt is counted
    my $v = '2.1';
    my ($bi) = op_req($port, $v, create_aes($v, 128,
        DT('Activation Date', time - 60),
        S('Usage Limits', [ L('Usage Limits Total', 1000),
                            E('Usage Limits Unit', 'Byte') ])));
    my $uid = uid_of(op_ok($bi, 'Create with Usage Limits'));
    my $c = kmip_connect($port);
    my ($open) = gcm_open($c, $v, $uid, 'Encrypt', B('Data', 'x' x 16));
    op_fail($open, 0x0c, 'an Encrypt stream', qr/Usage Limits/);
    ok(!defined out($open, 'Correlation Value'), 'no stream opened');
    op_ok(call($c, $v, 'Encrypt', ops_uid($uid), gcm_params(),
               B('IV/Counter/Nonce', $gcm{iv}), B('Data', 'x' x 16)),
          'a single-part Encrypt');
    my ($ga) = op_req($port, $v, { operation => 'Get Attributes',
        payload => [ ops_uid($uid), E('Attribute Reference',
                                      kmip_tag('Usage Limits')) ] });
    is(attrs_of($ga)->{'Usage Limits'}{'Usage Limits Count'}, 984,
       'the single-part Encrypt counted');
};

subtest '2.1: a stream carries at most 64 MiB' => sub {
    my $v = '2.1';
    my ($bi) = op_req($port, $v, create_aes($v, 128,
        DT('Activation Date', time - 60)));
    my $uid = op_ok($bi, 'Create') && uid_of($bi);
    my $c = kmip_connect($port, timeout => 30);
    my $mib = "\0" x (1024 * 1024);
    $bi = call($c, $v, 'Encrypt', ops_uid($uid),
               S('Cryptographic Parameters', [
                   E('Block Cipher Mode', 'CTR') ]),
               B('IV/Counter/Nonce', "\0" x 16), B('Data', $mib),
               BOOL('Init Indicator', 1));
    op_ok($bi, 'first MiB');
    my $cv = out($bi, 'Correlation Value');
    my $ok = 1;
    for my $i (2 .. 64) {
        $bi = call($c, $v, 'Encrypt', cv_of($cv), B('Data', $mib));
        next if kmip_value($bi, 'Result Status') == 0;
        $ok = 0;
        diag("MiB $i: " . kmip_value($bi, 'Result Message'));
        last;
    }
    ok($ok, '64 MiB in 64 parts');
    op_fail(call($c, $v, 'Encrypt', cv_of($cv), B('Data', 'x'),
                 BOOL('Final Indicator', 1)), R_SERVER_LIMIT_EXCEEDED,
            'one byte more', qr/at most 67108864 bytes/);
    op_fail(call($c, $v, 'Encrypt', cv_of($cv), B('Data', 'x')),
            R_INVALID_CORRELATION_VALUE, 'and the stream is gone');
};

# a stream left unused for kmip_idle_timeout is dropped, even while its
# connection stays busy
subtest '2.1: an unused stream expires' => sub {
    my $v = '2.1';
    my $uid = register_key($v, 'AES', $gcm{key});
    my $short = start_nginx(name => 'short', stream_server_config =>
                            "kmip;\n    kmip_idle_timeout 2s;\n    "
                            . $kp->nginx_conf);
    my $c = kmip_connect($short->port, timeout => 10);
    my ($bi, $old) = gcm_open($c, $v, $uid, 'Encrypt');
    op_ok($bi, 'a stream left unused');
    ($bi, my $busy) = gcm_open($c, $v, $uid, 'Encrypt');
    op_ok($bi, 'a stream in use');
    for (1 .. 4) {
        select(undef, undef, undef, 1);
        op_ok(call($c, $v, 'Encrypt', cv_of($busy), B('Data', 'x')),
              "in use after $_ s");
    }
    op_fail(call($c, $v, 'Encrypt', cv_of($old), B('Data', 'x')),
            R_INVALID_CORRELATION_VALUE, 'the unused one is gone',
            qr/or 2 s unused/);
    like($short->error_log_text,
         qr/a stream of Encrypt unused for more than 2 s is dropped/,
         'and logged');
    $short->stop;
};

# Sign, Signature Verify, MAC, MAC Verify and Hash in parts: the answer of
# the whole message sent in one part
my $msg = join '', map { "part $_ of a message signed in pieces; " } 1 .. 9;
my @pieces = unpack '(a50)*', $msg;

# the operation in parts on $c: the final answer's Batch Item
sub in_parts {
    my ($c, $v, $op, $first, $last) = @_;
    my @p = @pieces;
    my $bi = call($c, $v, $op, @$first, B('Data', shift @p),
                  BOOL('Init Indicator', 1));
    op_ok($bi, "$op: the first part");
    my $cv = out($bi, 'Correlation Value');
    while (@p > 1) {
        op_ok(call($c, $v, $op, cv_of($cv), B('Data', shift @p)),
              "$op: a part");
    }
    return call($c, $v, $op, cv_of($cv), B('Data', shift @p), @$last,
                BOOL('Final Indicator', 1));
}

subtest '2.1: Sign, Signature Verify, MAC, MAC Verify and Hash in parts' => sub {
    my $v = '2.1';
    my $c = kmip_connect($port);
    my $bi = call($c, $v, 'Create Key Pair',
                  S('Common Attributes', [
                      E('Cryptographic Algorithm', 'Ed25519'),
                      DT('Activation Date', time - 60) ]),
                  S('Private Key Attributes', [
                      I('Cryptographic Usage Mask', 1) ]),
                  S('Public Key Attributes', [
                      I('Cryptographic Usage Mask', 2) ]));
    op_ok($bi, 'an Ed25519 key pair');
    my $priv = out($bi, 'Private Key Unique Identifier');
    my $pub = out($bi, 'Public Key Unique Identifier');

    my $whole = out(op_ok(call($c, $v, 'Sign', ops_uid($priv),
                               B('Data', $msg)), 'Sign in one part'),
                    'Signature Data');
    $bi = in_parts($c, $v, 'Sign', [ ops_uid($priv) ], []);
    is(out(op_ok($bi, 'Sign: the final part'), 'Signature Data'), $whole,
       'Ed25519 in parts: the signature of the whole message');
    $bi = in_parts($c, $v, 'Signature Verify', [ ops_uid($pub) ],
                   [ B('Signature Data', $whole) ]);
    is(kmip_enum_name('Validity Indicator',
                      out(op_ok($bi, 'Signature Verify: the final part'),
                          'Validity Indicator')),
       'VALID', 'Signature Verify in parts: Valid');

    $bi = call($c, $v, 'Create', E('Object Type', 'Symmetric Key'),
               attrs2(E('Cryptographic Algorithm', 'HMAC-SHA256'),
                      I('Cryptographic Length', 256),
                      I('Cryptographic Usage Mask', 0x80 | 0x100),
                      DT('Activation Date', time - 60)));
    my $hk = uid_of(op_ok($bi, 'an HMAC-SHA256 key'));
    my $mac = out(op_ok(call($c, $v, 'MAC', ops_uid($hk), B('Data', $msg)),
                        'MAC in one part'), 'MAC Data');
    is(out(op_ok(in_parts($c, $v, 'MAC', [ ops_uid($hk) ], []),
                 'MAC: the final part'), 'MAC Data'),
       $mac, 'MAC in parts: the MAC of the whole');
    $bi = in_parts($c, $v, 'MAC Verify', [ ops_uid($hk) ],
                   [ B('MAC Data', $mac) ]);
    is(kmip_enum_name('Validity Indicator',
                      out(op_ok($bi, 'MAC Verify: the final part'),
                          'Validity Indicator')),
       'VALID', 'MAC Verify in parts: Valid');

    my $sha = [ S('Cryptographic Parameters', [
                    E('Hashing Algorithm', 'SHA-256') ]) ];
    is(out(op_ok(in_parts($c, $v, 'Hash', $sha, []), 'Hash: the final part'),
           'Data'),
       Digest::SHA::sha256($msg), 'Hash in parts: SHA-256 of the whole');

    # a Sign's Correlation Value names no Hash, and the misuse ends it
    $bi = call($c, $v, 'Sign', ops_uid($priv), B('Data', 'x'),
               BOOL('Init Indicator', 1));
    my $cv = out(op_ok($bi, 'a Sign opened'), 'Correlation Value');
    op_fail(call($c, $v, 'Hash', cv_of($cv), B('Data', 'y')),
            R_INVALID_CORRELATION_VALUE, 'its Correlation Value in a Hash');
    op_fail(call($c, $v, 'Sign', cv_of($cv), B('Data', 'y'),
                 BOOL('Final Indicator', 1)),
            R_INVALID_CORRELATION_VALUE, 'and the Sign is gone');
};

unlike($n->error_log_text, qr/\[(?:alert|crit|emerg)\]/,
       'no alert in the error log');

done_testing();
