# The KMIP 2.x Baseline Server operations beyond the key lifecycle: Interop
# (only with kmip_interop on), Log, Check, Set Attribute, Adjust Attribute,
# Export, Set Endpoint Role, Obtain Lease, Get Usage Allocation, Archive
# and Recover, Poll and Cancel, Create and Join Split Key, PGP Key and
# Certificate Request objects, Import, and the Server Correlation Value of
# 2.1 answers, with the errors the specification gives for each.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use JSON::PP qw(decode_json);

my $on = kp_node(name => 'interop', kmip => [
    'kmip_interop on;', 'kmip_audit_log logs/audit.log json;' ]);
my $off = kp_node(name => 'production');

use KMIP::Reasons;

use constant { ENCRYPT => 0x04, DECRYPT => 0x08 };

sub one {
    my ($port, $v, $op, @payload) = @_;
    my ($bi) = op_req($port, $v, { operation => $op, payload => [ @payload ] });
    return $bi;
}

# a whole answer, with a header of our choice (Batch Error Continuation)
sub batch {
    my ($port, $v, $header, @items) = @_;
    my $r = kmip_roundtrip($port, kmip_request(version => $v,
        header => $header, items => \@items), timeout => 30);
    die "no answer" unless $r;
    return kmip_find_all($r, 'Batch Item');
}

sub operations_of {
    my ($port, $v) = @_;
    my $bi = op_ok(one($port, $v, 'Query', E('Query Function', 1)),
                   "$v Query Operations");
    return map { kmip_enum_name('Operation', $_->{value}) }
           kmip_find_all($bi, 'Response Payload', 'Operation');
}

sub register_masked {
    my ($port, $v, $mask, @extra) = @_;
    my $bi = op_ok(one($port, $v, 'Register', E('Object Type', 'Symmetric Key'),
        $v =~ /^2/
        ? attrs2(I('Cryptographic Usage Mask', $mask), @extra)
        : tmpl1(a1('Cryptographic Usage Mask',
                   I('Cryptographic Usage Mask', $mask)), @extra),
        raw_key('AES', "\x11" x 16)), "$v Register");
    return uid_of($bi);
}

sub get_attrs {
    my ($port, $uid, @refs) = @_;
    my $bi = op_ok(one($port, '2.1', 'Get Attributes', ops_uid($uid), @refs),
                   'Get Attributes');
    return attrs_of($bi);
}

sub xref { S('Attribute Reference', [ T('Vendor Identification', 'x'),
                                      T('Attribute Name', $_[0]) ]) }
sub xattr { a2v('x', $_[0], $_[1]) }

my ($pon, $poff) = ($on->port, $off->port);

subtest 'Interop is offered only with kmip_interop on' => sub {
    my @ops = operations_of($poff, '2.1');
    ok(!(grep { $_ eq 'INTEROP' } @ops), 'Query does not list Interop')
        or diag("@ops");
    ok((grep { $_ eq 'LOG' } @ops) && (grep { $_ eq 'CHECK' } @ops)
       && (grep { $_ eq 'SET_ATTRIBUTE' } @ops)
       && (grep { $_ eq 'ADJUST_ATTRIBUTE' } @ops)
       && (grep { $_ eq 'SET_ENDPOINT_ROLE' } @ops),
       'Log, Check, Set/Adjust Attribute and Set Endpoint Role are listed')
        or diag("@ops");
    op_fail(one($poff, '2.1', 'Interop', E('Interop Function', 'Begin'),
                T('Interop Identifier', 'BL-M-1-21')),
            R_OP_NOT_SUPPORTED, 'Interop on a production server',
            qr/not supported/);

    @ops = operations_of($pon, '2.1');
    ok((grep { $_ eq 'INTEROP' } @ops), 'a test server lists Interop');
    @ops = operations_of($pon, '1.4');
    ok(!(grep { /^(INTEROP|LOG|SET_ATTRIBUTE)$/ } @ops),
       'no 2.x operation in a 1.4 Query') or diag("@ops");
    op_fail(one($pon, '1.4', 'Interop', E('Interop Function', 'Begin'),
                T('Interop Identifier', 'x')),
            R_OP_NOT_SUPPORTED, 'Interop in 1.4', qr/does not exist/);
};

subtest 'Interop Begin, End, and the errors' => sub {
    my $bi = op_ok(one($pon, '2.1', 'Interop', E('Interop Function', 'Begin'),
                       T('Interop Identifier', 'CASE-1')), 'Begin');
    my $p = kmip_find($bi, 'Response Payload');
    ok($p && !@{ $p->{value} }, 'an empty Response Payload');
    op_ok(one($pon, '2.1', 'Interop', E('Interop Function', 'End'),
              T('Interop Identifier', 'CASE-1')), 'End');
    op_fail(one($pon, '2.1', 'Interop', E('Interop Function', 'Reset'),
                T('Interop Identifier', 'CASE-1')),
            R_FEATURE_NOT_SUPPORTED, 'Reset', qr/Key Protect/);
    op_fail(one($pon, '2.1', 'Interop', E('Interop Function', 9),
                T('Interop Identifier', 'CASE-1')),
            R_INVALID_FIELD, 'an unknown Interop Function');
    op_fail(one($pon, '2.1', 'Interop', E('Interop Function', 'Begin')),
            R_MISSING_DATA, 'no Interop Identifier');
    op_fail(one($pon, '2.1', 'Interop', I('Interop Function', 1),
                T('Interop Identifier', 'x')),
            R_INVALID_FIELD, 'an Interop Function that is not an enumeration');
    op_ok(one($pon, '2.1', 'Interop', E('Interop Function', 'Begin'),
              T('Interop Identifier', "EVIL\n[alert] forged")),
          'Begin with a hostile identifier');
    my $log = $on->error_log_text;
    like($log, qr/\[notice\].*interop test case "CASE-1" begins/,
         'Begin is in the error log');
    like($log, qr/interop test case "CASE-1" ends/, 'End too');
    like($log, qr/interop test case "EVIL\\x0a\[alert\] forged" begins/,
         'the identifier is escaped');
    unlike($log, qr/^\[alert\] forged/m, 'no forged log line');
};

subtest 'Poll and Cancel: no operation is ever outstanding' => sub {
    my $acv = B('Asynchronous Correlation Value', "\x0a\x0b\x0c\x0d");
    for my $v ('1.4', '2.1') {
        my @ops = operations_of($poff, $v);
        ok((grep { $_ eq 'POLL' } @ops) && (grep { $_ eq 'CANCEL' } @ops),
           "$v Query lists Poll and Cancel") or diag("@ops");
        my $bi = op_ok(one($poff, $v, 'Cancel', $acv), "$v Cancel");
        is(kmip_value($bi, 'Response Payload',
                      'Asynchronous Correlation Value'), "\x0a\x0b\x0c\x0d",
           "$v: the value it was asked about");
        is(kmip_enum_name('Cancellation Result',
               kmip_value($bi, 'Response Payload', 'Cancellation Result')),
           'UNAVAILABLE', "$v: Cancellation Result Unavailable");
        op_fail(one($poff, $v, 'Poll', $acv),
                $v eq '1.4' ? R_ITEM_NOT_FOUND : R_INVALID_ASYNC_VALUE,
                "$v Poll", qr/no asynchronous operation/);
        op_fail(one($poff, $v, 'Poll'), R_MISSING_DATA,
                "$v Poll without a value");
    }
};

subtest 'Create Split Key and Join Split Key, across two nodes' => sub {
    for my $v ('1.4', '2.1') {
        my $uid = register_masked($pon, $v, ENCRYPT);
        my $bi = op_ok(one($pon, $v, 'Create Split Key',
                           E('Object Type', 'Split Key'), ops_uid($uid),
                           I('Split Key Parts', 3),
                           I('Split Key Threshold', 2),
                           E('Split Key Method', 4)),
                       "$v Create Split Key, 2 of 3 in GF(2^8)");
        my @parts = map { $_->{value} }
                    kmip_find_all($bi, 'Response Payload',
                                  'Unique Identifier');
        is(scalar(@parts), 3, "$v: three splits");
        $bi = op_ok(one($poff, $v, 'Get', ops_uid($parts[1])),
                    "$v Get of split 2 on the other node");
        is(kmip_value($bi, 'Response Payload', 'Split Key',
                      'Key Part Identifier'), 2, "$v: part 2");
        isnt(kmip_value($bi, 'Response Payload', 'Split Key', 'Key Block',
                        'Key Value', 'Key Material'), "\x11" x 16,
             "$v: a share, not the key");
        $bi = op_ok(one($poff, $v, 'Join Split Key',
                        E('Object Type', 'Symmetric Key'),
                        ops_uid($parts[2]), ops_uid($parts[0])),
                    "$v Join Split Key of parts 3 and 1 on the other node");
        my $joined = uid_of($bi);
        $bi = op_ok(one($pon, $v, 'Get', ops_uid($joined)),
                    "$v Get of the joined key");
        is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                      'Key Value', 'Key Material'), "\x11" x 16,
           "$v: the key's bytes");
        op_fail(one($poff, $v, 'Join Split Key',
                    E('Object Type', 'Symmetric Key'), ops_uid($parts[2])),
                R_CRYPTO_FAILURE, "$v one part of two");
    }
    my @ops = operations_of($poff, '1.4');
    ok((grep { $_ eq 'CREATE_SPLIT_KEY' } @ops)
       && (grep { $_ eq 'JOIN_SPLIT_KEY' } @ops),
       'Query lists Create and Join Split Key') or diag("@ops");
};

subtest 'PGP Keys and Certificate Requests, kept as given' => sub {
    my $armored = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBF\n"
                . "-----END PGP PUBLIC KEY BLOCK-----\n";
    for my $v ('1.4', '2.1') {
        my $bi = op_ok(one($pon, $v, 'Register', E('Object Type', 'PGP Key'),
                           S('PGP Key', [ I('PGP Key Version', 4),
                             S('Key Block', [
                               E('Key Format Type', 'Opaque'),
                               S('Key Value', [
                                 B('Key Material', $armored) ]) ]) ])),
                       "$v Register of a PGP Key");
        $bi = op_ok(one($poff, $v, 'Get', ops_uid(uid_of($bi))),
                    "$v Get of it on the other node");
        is(kmip_value($bi, 'Response Payload', 'PGP Key', 'PGP Key Version'),
           4, "$v: version 4");
        is(kmip_value($bi, 'Response Payload', 'PGP Key', 'Key Block',
                      'Key Value', 'Key Material'), $armored,
           "$v: the armored key as given");
    }
    my $bi = op_ok(one($pon, '2.1', 'Register',
                       E('Object Type', 'Certificate Request'),
                       S('Certificate Request', [
                         E('Certificate Request Type', 'PEM'),
                         B('Certificate Request Value', 'csr bytes') ])),
                   '2.1 Register of a Certificate Request');
    $bi = op_ok(one($poff, '2.1', 'Get', ops_uid(uid_of($bi))),
                'Get of it on the other node');
    is(kmip_value($bi, 'Response Payload', 'Certificate Request',
                  'Certificate Request Value'), 'csr bytes', 'as given');
};

subtest 'Import: another server\'s object, as it was' => sub {
    my @h = map { sprintf('%04x', int(rand(65536))) } 1 .. 8;
    my $uid = "$h[0]$h[1]-$h[2]-4" . substr($h[3], 1) . "-a"
            . substr($h[4], 1) . "-$h[5]$h[6]$h[7]";
    my $initial = 1767225600;
    my @payload = (E('Object Type', 'Symmetric Key'),
        S('Symmetric Key', [ S('Key Block', [
            E('Key Format Type', 'Raw'),
            S('Key Value', [ B('Key Material', "\x42" x 16) ]),
            E('Cryptographic Algorithm', 'AES'),
            I('Cryptographic Length', 128) ]) ]),
        attrs2(E('Cryptographic Algorithm', 'AES'),
               I('Cryptographic Length', 128),
               I('Cryptographic Usage Mask', ENCRYPT | DECRYPT),
               E('State', 'Active'), DT('Activation Date', $initial + 60),
               DT('Initial Date', $initial)));
    my $bi = op_ok(one($pon, '2.1', 'Import', ops_uid($uid), @payload),
                   'Import under its own Unique Identifier');
    is(uid_of($bi), $uid, 'the Unique Identifier kept');
    $bi = op_ok(one($poff, '2.1', 'Get', ops_uid($uid)),
                'Get of it on the other node');
    is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                  'Key Value', 'Key Material'), "\x42" x 16, 'its bytes');
    my $a = get_attrs($poff, $uid, E('Attribute Reference',
                                     kmip_tag('Initial Date')),
                      E('Attribute Reference', kmip_tag('State')));
    is($a->{'Initial Date'}, $initial, 'its Initial Date as exported');
    is($a->{State}, 2, 'Active, as exported');
    op_fail(one($poff, '2.1', 'Import', ops_uid($uid), @payload),
            0x18, 'the same again, on the other node: Object Already Exists');
    $bi = op_ok(one($pon, '2.1', 'Import', ops_uid('42'), @payload),
                'Import of a name that is no UUID');
    like(uid_of($bi), qr/^[0-9a-f-]{36}$/, 'stored under a UUID of its own');
    op_ok(one($pon, '2.1', 'Import',
              ops_uid("x\n2026/01/01 00:00:00 [emerg] forged"), @payload),
          'Import of a name with a line break in it');
    like($on->error_log_text, qr/imported as "[0-9a-f-]{36}" was "42"/,
         'the renaming is in the error log');
    unlike($on->error_log_text, qr/^2026\/01\/01 00:00:00 \[emerg\] forged/m,
           'a client\'s name cannot forge a log line');
};

subtest 'Log' => sub {
    my $bi = op_ok(one($pon, '2.1', 'Log',
                       T('Log Message', 'Registered a symmetric key.')),
                   'Log');
    my $p = kmip_find($bi, 'Response Payload');
    ok($p && !@{ $p->{value} }, 'an empty Response Payload');

    my $hostile = "line one\r\n2026/01/01 00:00:00 [emerg] 1#1: forged"
                . "\e[31mred\e[0m \"quoted\" back\\slash caf\x{e9} "
                . "\x{202e}reversed";
    utf8::encode(my $wire = $hostile);
    op_ok(one($pon, '2.1', 'Log', T('Log Message', $wire)),
          'Log of a hostile message');
    op_ok(one($pon, '2.1', 'Log', T('Log Message', 'A' x 3000 . 'TAIL')),
          'Log of a long message');
    op_fail(one($pon, '2.1', 'Log'), R_MISSING_DATA, 'no Log Message');
    op_fail(one($pon, '2.1', 'Log', B('Log Message', 'x')), R_INVALID_FIELD,
            'a Log Message that is not text');
    op_fail(one($pon, '1.4', 'Log', T('Log Message', 'x')), R_OP_NOT_SUPPORTED,
            'Log in 1.4');

    my $log = $on->error_log_text;
    like($log, qr/\[info\].*client log message "Registered a symmetric key\."/,
         'the message is in the error log at info');
    my ($line) = grep { /client log message "line one/ } split /\n/, $log;
    ok($line, 'the hostile message is logged on one line') or return;
    like($line, qr/line one\\x0d\\x0a2026/, 'CR LF escaped');
    like($line, qr/forged\\x1b\[31mred\\x1b\[0m/, 'ESC escaped');
    like($line, qr/ \\x22quoted\\x22 back\\x5cslash/, 'quote and backslash');
    like($line, qr/caf\\xc3\\xa9 \\xe2\\x80\\xaereversed/,
         'bytes beyond ASCII escaped, direction override included');
    unlike($log, qr/^2026\/01\/01 00:00:00 \[emerg\]/m, 'no forged line');
    my ($long) = grep { /client log message "AAAA/ } split /\n/, $log;
    like($long, qr/"A{1024}\.\.\." \(3004 bytes/, 'cut at 1024 bytes');
    unlike($long, qr/TAIL/, 'the rest is not written');

    my @audit = map { decode_json($_) }
                grep { /"operation":"Log"/ }
                split /\n/, Test::Nginx::KMIP::_read_file(
                    $on->log_path('audit.log'));
    my ($a) = grep { ($_->{log_message} // '') =~ /^Registered/ } @audit;
    ok($a, 'the audit log has the message') or return;
    is($a->{result}, 'Success', 'audit: Success');
    my ($h) = grep { ($_->{log_message} // '') =~ /^line one/ } @audit;
    is($h->{log_message}, $hostile, 'audit: the hostile text, JSON-escaped');
};

subtest 'Check' => sub {
    for my $v ('1.4', '2.1') {
        my $deny = $v eq '2.1' ? R_INCOMPATIBLE_MASK : R_PERMISSION_DENIED;
        my $uid = register_masked($pon, $v, ENCRYPT);

        my $bi = op_ok(one($pon, $v, 'Check', ops_uid($uid),
                           I('Cryptographic Usage Mask', ENCRYPT)),
                       "$v Check Encrypt");
        is(uid_of($bi), $uid, "$v: the Unique Identifier");
        op_fail(one($pon, $v, 'Check', ops_uid($uid),
                    I('Cryptographic Usage Mask', DECRYPT)),
                $deny, "$v Check Decrypt", qr/Usage Mask 0x00000008/);
        op_fail(one($pon, $v, 'Check', ops_uid($uid),
                    I('Cryptographic Usage Mask', ENCRYPT | DECRYPT)),
                $deny, "$v Check Encrypt and Decrypt");
        op_ok(one($pon, $v, 'Check', ops_uid($uid),
                  L('Usage Limits Count', 1 << 40)),
              "$v Check of a count on a key without usage limits");
        # the key's Lease Time is 0: no lease limit (Obtain Lease below)
        op_ok(one($pon, $v, 'Check', ops_uid($uid), IV('Lease Time', 3600)),
              "$v Check of a lease");
        op_fail(one($pon, $v, 'Check', ops_uid($uid),
                    T('Cryptographic Usage Mask', 'x')),
                R_INVALID_FIELD, "$v Check with a mask that is not a number");
        op_fail(one($pon, $v, 'Check', ops_uid($uid),
                    L('Usage Limits Count', -1)),
                R_INVALID_FIELD, "$v Check of a negative count");
        op_fail(one($pon, $v, 'Check',
                    ops_uid('00000000-0000-4000-8000-000000000000'),
                    I('Cryptographic Usage Mask', ENCRYPT)),
                $v eq '2.1' ? R_OBJECT_NOT_FOUND : R_ITEM_NOT_FOUND,
                "$v Check of an absent object");

        # an object type without usage limits
        $bi = op_ok(one($pon, $v, 'Register', E('Object Type', 'Opaque Object'),
            $v eq '2.1' ? attrs2() : tmpl1(),
            S('Opaque Object', [ E('Opaque Data Type', 0x80000001),
                                 B('Opaque Data Value', 'opaque') ])),
            "$v Register an opaque object");
        op_fail(one($pon, $v, 'Check', ops_uid(uid_of($bi)),
                    L('Usage Limits Count', 1)),
                $v eq '2.1' ? R_ILLEGAL_OBJECT_TYPE : R_ILLEGAL_OPERATION,
                "$v Check of a count on an opaque object");

        op_ok(one($pon, $v, 'Destroy', ops_uid($uid)), "$v Destroy");
        op_fail(one($pon, $v, 'Check', ops_uid($uid),
                    I('Cryptographic Usage Mask', ENCRYPT)),
                $v eq '2.1' ? R_OBJECT_DESTROYED : R_ITEM_NOT_FOUND,
                "$v Check of a destroyed object");
    }

    # in a batch, as BL-M-2 has it: Activate, then Check each way
    my $uid = register_masked($pon, '2.1', ENCRYPT);
    my @bi = batch($pon, '2.1',
        [ E('Batch Error Continuation Option', 'Continue') ],
        { operation => 'Activate', payload => [ ops_uid($uid) ] },
        { operation => 'Check', payload => [ ops_uid($uid),
              I('Cryptographic Usage Mask', ENCRYPT) ] },
        { operation => 'Check', payload => [ ops_uid($uid),
              I('Cryptographic Usage Mask', DECRYPT) ] });
    op_ok($bi[0], 'batch: Activate');
    is(uid_of(op_ok($bi[1], 'batch: Check Encrypt')), $uid, 'its answer');
    op_fail($bi[2], R_INCOMPATIBLE_MASK, 'batch: Check Decrypt');
    ok(!kmip_find($bi[2], 'Response Payload'),
       'a failed Check has no Response Payload');
    is(get_attrs($pon, $uid, E('Attribute Reference', kmip_tag('State')))
           ->{State}, 2, 'the Activate stayed');

    # the ID Placeholder: a Check without identifier uses the one the
    # Register made, a denial empties it
    @bi = batch($pon, '2.1',
        [ E('Batch Error Continuation Option', 'Continue') ],
        { operation => 'Register', payload => [
              E('Object Type', 'Symmetric Key'),
              attrs2(I('Cryptographic Usage Mask', ENCRYPT)),
              S('Symmetric Key', [ S('Key Block', [
                  E('Key Format Type', 'Raw'),
                  S('Key Value', [ B('Key Material', "\x33" x 16) ]),
                  E('Cryptographic Algorithm', 'AES'),
                  I('Cryptographic Length', 128) ]) ]) ] },
        { operation => 'Check', payload => [
              I('Cryptographic Usage Mask', ENCRYPT) ] },
        { operation => 'Check', payload => [
              I('Cryptographic Usage Mask', DECRYPT) ] },
        { operation => 'Get Attributes', payload => [] });
    my $new = uid_of(op_ok($bi[0], 'batch: Register'));
    is(uid_of(op_ok($bi[1], 'Check from the ID Placeholder')), $new,
       'the placeholder\'s object');
    op_fail($bi[2], R_INCOMPATIBLE_MASK, 'Check Decrypt');
    op_fail($bi[3], R_MISSING_DATA, 'after a denial no placeholder',
            qr/ID Placeholder/);

    # usage limits
    my $r = one($pon, '2.1', 'Register', E('Object Type', 'Symmetric Key'),
        attrs2(I('Cryptographic Usage Mask', ENCRYPT),
               S('Usage Limits', [ L('Usage Limits Total', 100),
                                   L('Usage Limits Count', 100),
                                   E('Usage Limits Unit', 'Object') ])),
        S('Symmetric Key', [ S('Key Block', [
            E('Key Format Type', 'Raw'),
            S('Key Value', [ B('Key Material', "\x22" x 16) ]),
            E('Cryptographic Algorithm', 'AES'),
            I('Cryptographic Length', 128) ]) ]));
    my $u = uid_of(op_ok($r, 'Register with Usage Limits'));
    op_ok(one($pon, '2.1', 'Check', ops_uid($u),
              L('Usage Limits Count', 100)), 'Check of what is left');
    op_fail(one($pon, '2.1', 'Check', ops_uid($u),
                L('Usage Limits Count', 101)),
            R_USAGE_LIMIT_EXCEEDED, 'Check of more than is left');
};

subtest 'Obtain Lease' => sub {
    for my $v ('1.4', '2.1') {
        my $uid = register_masked($pon, $v, ENCRYPT);
        my $bi = op_ok(one($pon, $v, 'Obtain Lease', ops_uid($uid)),
                       "$v Obtain Lease");
        is(uid_of($bi), $uid, "$v: the Unique Identifier");
        is(kmip_value($bi, 'Response Payload', 'Lease Time'), 0,
           "$v: Lease Time 0, no lease limit (the key's own)");
        my $changed = kmip_value($bi, 'Response Payload', 'Last Change Date');
        ok($changed && abs($changed - time) < 120, "$v: the Last Change Date");

        # a change moves the Last Change Date the lease answers with
        sleep 1;
        op_ok(one($pon, $v, 'Activate', ops_uid($uid)), "$v Activate");
        $bi = op_ok(one($pon, $v, 'Obtain Lease', ops_uid($uid)),
                    "$v Obtain Lease again");
        cmp_ok(kmip_value($bi, 'Response Payload', 'Last Change Date'), '>',
               $changed, "$v: a later Last Change Date after Activate");

        op_ok(one($pon, $v, 'Revoke', ops_uid($uid),
                  S('Revocation Reason', [
                      E('Revocation Reason Code', 'Key Compromise') ]),
                  DT('Compromise Occurrence Date', time - 10)),
              "$v Revoke: Key Compromise");
        op_fail(one($pon, $v, 'Obtain Lease', ops_uid($uid)),
                R_PERMISSION_DENIED, "$v Obtain Lease on a Compromised key",
                qr/Compromised/);
        op_fail(one($pon, $v, 'Obtain Lease',
                    ops_uid('00000000-0000-4000-8000-000000000000')),
                $v eq '2.1' ? R_OBJECT_NOT_FOUND : R_ITEM_NOT_FOUND,
                "$v Obtain Lease of an absent object");
    }
};

subtest 'Get Usage Allocation' => sub {
    for my $v ('1.4', '2.1') {
        my $limits = S('Usage Limits', [ L('Usage Limits Total', 3),
                                         E('Usage Limits Unit', 'Object') ]);
        my ($bi) = op_req($pon, $v, create_aes($v, 128,
            $v eq '2.1' ? $limits : a1('Usage Limits', $limits)));
        my $uid = uid_of(op_ok($bi, "$v Create with Usage Limits of 3"));
        my $plain = register_masked($pon, $v, ENCRYPT);

        op_fail(one($pon, $v, 'Get Usage Allocation', ops_uid($uid),
                    L('Usage Limits Count', 1)),
                $v eq '2.1' ? R_WRONG_STATE : R_PERMISSION_DENIED,
                "$v Get Usage Allocation of a Pre-Active key", qr/not Active/);
        op_ok(one($pon, $v, 'Activate', ops_uid($uid)), "$v Activate");

        op_fail(one($pon, $v, 'Get Usage Allocation', ops_uid($uid)),
                R_INVALID_MESSAGE, "$v without a Usage Limits Count");
        $bi = op_ok(one($pon, $v, 'Get Usage Allocation', ops_uid($uid),
                        L('Usage Limits Count', 2)),
                    "$v Get Usage Allocation of 2");
        is(uid_of($bi), $uid, "$v: the Unique Identifier");
        my $ul = get_attrs($pon, $uid, E('Attribute Reference',
                                         kmip_tag('Usage Limits')))
                 ->{'Usage Limits'} || {};
        is($ul->{'Usage Limits Count'}, 1, "$v: 1 left, as stored");
        op_fail(one($pon, $v, 'Get Usage Allocation', ops_uid($uid),
                    L('Usage Limits Count', 2)),
                R_PERMISSION_DENIED, "$v more than is left", qr/allow 1 more/);
        op_ok(one($pon, $v, 'Get Usage Allocation', ops_uid($uid),
                  L('Usage Limits Count', 1)), "$v the last one");
        op_fail(one($pon, $v, 'Get Usage Allocation', ops_uid($plain),
                    L('Usage Limits Count', 1)),
                R_ILLEGAL_OPERATION, "$v a key without Usage Limits");
    }
};

subtest 'Archive and Recover' => sub {
    for my $v ('1.4', '2.1') {
        my $uid = register_masked($pon, $v, ENCRYPT);
        my $bi = op_ok(one($pon, $v, 'Archive', ops_uid($uid)), "$v Archive");
        is(uid_of($bi), $uid, "$v: the Unique Identifier");
        for my $op ('Get', 'Get Attributes', 'Activate', 'Archive',
                    'Obtain Lease') {
            op_fail(one($pon, $v, $op, ops_uid($uid)), R_OBJECT_ARCHIVED,
                    "$v $op of an archived object", qr/archived/);
        }
        # the other node reads it from Key Protect: off-line there too
        op_fail(one($poff, $v, 'Get', ops_uid($uid)), R_OBJECT_ARCHIVED,
                "$v Get on the other node");
        if ($v eq '2.1') {
            my @found = map { $_->{value} } kmip_find_all(
                op_ok(one($pon, $v, 'Locate',
                          I('Storage Status Mask', 2)),
                      'Locate in archival storage'),
                'Response Payload', 'Unique Identifier');
            ok((grep { $_ eq $uid } @found), 'Locate in archival storage '
                                             . 'finds it');
            @found = map { $_->{value} } kmip_find_all(
                op_ok(one($pon, $v, 'Locate'), 'Locate'),
                'Response Payload', 'Unique Identifier');
            ok(!(grep { $_ eq $uid } @found), 'a Locate of on-line objects '
                                              . 'does not');
        }
        $bi = op_ok(one($poff, $v, 'Recover', ops_uid($uid)),
                    "$v Recover on the other node");
        is(uid_of($bi), $uid, "$v: the Unique Identifier");
        $bi = op_ok(one($pon, $v, 'Get', ops_uid($uid)),
                    "$v Get of the recovered object");
        is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                      'Key Value', 'Key Material'), "\x11" x 16,
           "$v: the same key material");
        op_ok(one($pon, $v, 'Recover', ops_uid($uid)),
              "$v Recover of an on-line object");
    }
};

subtest 'Set Attribute' => sub {
    my $uid = register_masked($pon, '2.1', ENCRYPT);
    op_ok(one($pon, '2.1', 'Set Attribute', ops_uid($uid),
              S('New Attribute', [ T('Contact Information', 'ops@a') ])),
          'Set of an absent attribute adds it');
    is(get_attrs($pon, $uid)->{'Contact Information'}, 'ops@a', 'added');
    my $bi = op_ok(one($pon, '2.1', 'Set Attribute', ops_uid($uid),
                       S('New Attribute', [ T('Contact Information', 'ops@b') ])),
                   'Set of a present attribute modifies it');
    is(uid_of($bi), $uid, 'the answer is the Unique Identifier');
    is(get_attrs($pon, $uid)->{'Contact Information'}, 'ops@b', 'modified');

    op_ok(one($pon, '2.1', 'Add Attribute', ops_uid($uid),
              S('New Attribute', [ T('Object Group', $_) ])), "group $_")
        for qw(g1 g2);
    op_fail(one($pon, '2.1', 'Set Attribute', ops_uid($uid),
                S('New Attribute', [ T('Object Group', 'g3') ])),
            R_MULTI_VALUED_ATTRIBUTE, 'Set of an attribute with two instances');
    op_fail(one($pon, '2.1', 'Set Attribute', ops_uid($uid),
                S('New Attribute', [ E('State', 'Active') ])),
            R_READ_ONLY_ATTRIBUTE, 'Set of State');
    op_fail(one($pon, '2.1', 'Set Attribute', ops_uid($uid),
                S('New Attribute', [ I('Cryptographic Length', 256) ])),
            R_READ_ONLY_ATTRIBUTE, 'Set of Cryptographic Length');
    op_fail(one($pon, '2.1', 'Set Attribute', ops_uid($uid)),
            R_INVALID_FIELD, 'no New Attribute');
    op_fail(one($pon, '1.4', 'Set Attribute', ops_uid($uid),
                S('New Attribute', [ T('Contact Information', 'x') ])),
            R_OP_NOT_SUPPORTED, 'Set Attribute in 1.4');

    # with Add Attribute in one run on the object: one write, both done
    my @bi = op_req($pon, '2.1',
        { operation => 'Set Attribute', payload => [ ops_uid($uid),
              S('New Attribute', [ xattr('Owner', T('x', 'alice')) ]) ] },
        { operation => 'Set Attribute', payload => [ ops_uid($uid),
              S('New Attribute', [ xattr('Owner', T('x', 'bob')) ]) ] });
    op_ok($_, 'Set in a run') for @bi;
    is(get_attrs($pon, $uid, xref('Owner'))->{'x-Owner'}, 'bob',
       'the run applied in order');
};

subtest 'Adjust Attribute' => sub {
    my $uid = register_masked($pon, '2.1', ENCRYPT,
                           DT('Deactivation Date', 2000000000));
    my $adj = sub {
        my ($ref, $type, @by) = @_;
        return one($pon, '2.1', 'Adjust Attribute', ops_uid($uid), $ref,
                   E('Adjustment Type', $type), @by);
    };
    op_ok($adj->(xref('Count'), 'Increment', I('Adjustment Value', 5)),
          'Increment of an absent integer starts from 0');
    is(get_attrs($pon, $uid, xref('Count'))->{'x-Count'}, 5, '0 + 5');
    op_ok($adj->(xref('Count'), 'Decrement', I('Adjustment Value', 7)),
          'Decrement');
    is(get_attrs($pon, $uid, xref('Count'))->{'x-Count'}, -2, '5 - 7');
    op_ok($adj->(xref('Count'), 'Negate'), 'Negate');
    is(get_attrs($pon, $uid, xref('Count'))->{'x-Count'}, 2, '-(-2)');
    op_fail($adj->(xref('Count'), 'Increment',
                   I('Adjustment Value', 0x7fffffff)),
            R_NUMERIC_RANGE, 'an Integer beyond 2^31 - 1');
    op_fail($adj->(xref('Count'), 'Increment', L('Adjustment Value', 1)),
            R_INVALID_DATA_TYPE, 'a Long Integer adjustment of an Integer');
    op_fail($adj->(xref('Count'), 'Increment'), R_MISSING_DATA,
            'an increment without a value');
    op_fail($adj->(xref('Count'), 9, I('Adjustment Value', 1)),
            R_INVALID_FIELD, 'an unknown Adjustment Type');
    op_fail(one($pon, '2.1', 'Adjust Attribute', ops_uid($uid),
                xref('Count')), R_MISSING_DATA, 'no Adjustment Type');

    op_ok($adj->(xref('Flag'), 'Negate'), 'Negate of an absent Boolean');
    op_ok(one($pon, '2.1', 'Add Attribute', ops_uid($uid),
              S('New Attribute', [ xattr('Bool', BOOL('x', 1)) ])),
          'a Boolean');
    op_ok($adj->(xref('Bool'), 'Negate'), 'Negate of a Boolean');
    is(get_attrs($pon, $uid, xref('Bool'))->{'x-Bool'}, 0, 'true -> false');
    op_fail($adj->(xref('Bool'), 'Increment', BOOL('Adjustment Value', 1)),
            R_INVALID_DATA_TYPE, 'Increment of a Boolean');

    op_ok($adj->(E('Attribute Reference', kmip_tag('Deactivation Date')),
                 'Increment', IV('Adjustment Value', 86400)),
          'a date moved by an Interval');
    is(get_attrs($pon, $uid)->{'Deactivation Date'}, 2000086400,
       'one day later');
    op_fail($adj->(E('Attribute Reference', kmip_tag('Deactivation Date')),
                   'Negate'), R_INVALID_DATA_TYPE, 'Negate of a date');

    op_ok(one($pon, '2.1', 'Add Attribute', ops_uid($uid),
              S('New Attribute', [ xattr('Text', T('x', 'abc')) ])), 'text');
    op_fail($adj->(xref('Text'), 'Increment', T('Adjustment Value', 'd')),
            R_INVALID_DATA_TYPE, 'Increment of a text');
    op_fail($adj->(E('Attribute Reference', kmip_tag('Initial Date')),
                   'Increment', IV('Adjustment Value', 1)),
            R_READ_ONLY_ATTRIBUTE, 'Adjust of Initial Date');
    op_ok(one($pon, '2.1', 'Add Attribute', ops_uid($uid),
              S('New Attribute', [ xattr('Text', T('x', 'again')) ])),
          'a second text');
    op_fail($adj->(xref('Text'), 'Negate'), R_MULTI_VALUED_ATTRIBUTE,
            'Adjust of an attribute with two instances');
};

subtest 'Export' => sub {
    my $uid = register_masked($pon, '2.1', ENCRYPT,
                           S('Name', [ T('Name Value', 'export-me'),
                                       E('Name Type', 1) ]),
                           xattr('Owner', T('x', 'carol')));
    my $bi = op_ok(one($pon, '2.1', 'Export', ops_uid($uid)), 'Export');
    my $p = kmip_find($bi, 'Response Payload');
    is_deeply([ map { $_->{name} } @{ $p->{value} } ],
              [ 'Object Type', 'Unique Identifier', 'Attributes',
                'Symmetric Key' ], 'the fields in the specification\'s order');
    is(kmip_value($p, 'Unique Identifier'), $uid, 'the Unique Identifier');
    is(kmip_value($p, 'Symmetric Key', 'Key Block', 'Key Value',
                  'Key Material'), "\x11" x 16, 'the key, as Get has it');
    my $a = attrs_of($bi);
    is($a->{Name}{'Name Value'}, 'export-me', 'attributes: Name');
    is($a->{'x-Owner'}, 'carol', 'attributes: a custom one');
    is($a->{State}, 1, 'attributes: State');
    is($a->{'Cryptographic Algorithm'}, 3, 'attributes: algorithm');

    $bi = op_ok(one($pon, '2.1', 'Export', ops_uid($uid),
                    E('Key Format Type', 'Transparent Symmetric Key')),
                'Export as Transparent Symmetric Key');
    is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                  'Key Value', 'Key Material', 'Key'), "\x11" x 16,
       'Key Material/Key');
    # wrapping as Get's (t/309-link-wrap.t): without a wrapping key named
    op_fail(one($pon, '2.1', 'Export', ops_uid($uid),
                S('Key Wrapping Specification', [ E('Wrapping Method', 1) ])),
            R_INVALID_FIELD, 'Export with key wrapping and no wrapping key');
    op_fail(one($pon, '2.1', 'Export',
                ops_uid('00000000-0000-4000-8000-000000000000')),
            R_OBJECT_NOT_FOUND, 'Export of an absent object');
    op_fail(one($pon, '1.4', 'Export', ops_uid($uid)), R_OP_NOT_SUPPORTED,
            'Export in 1.4');

    # the ID Placeholder, both ways
    my @bi = op_req($pon, '2.1',
        { operation => 'Export', payload => [ ops_uid($uid) ] },
        { operation => 'Get Attributes', payload => [
              E('Attribute Reference', kmip_tag('State')) ] });
    op_ok($_, 'Export, then Get Attributes from its placeholder') for @bi;
    is(uid_of($bi[1]), $uid, 'the exported object');

    op_ok(one($pon, '2.1', 'Destroy', ops_uid($uid)), 'Destroy');
    op_fail(one($pon, '2.1', 'Export', ops_uid($uid)), R_OBJECT_DESTROYED,
            'Export of a destroyed object');
};

subtest 'Get answers in the format a key was registered in' => sub {
    # KMIP 2.1 6.1.19 (BL-M-3, BL-M-4): unless the client asks for another
    my $bi = op_ok(one($pon, '2.1', 'Register', E('Object Type', 'Symmetric Key'),
        attrs2(I('Cryptographic Usage Mask', ENCRYPT)),
        S('Symmetric Key', [ S('Key Block', [
            E('Key Format Type', 'Transparent Symmetric Key'),
            S('Key Value', [ S('Key Material', [ B('Key', "\x44" x 16) ]) ]),
            E('Cryptographic Algorithm', 'AES'),
            I('Cryptographic Length', 128) ]) ])),
        'Register as Transparent Symmetric Key');
    my $uid = uid_of($bi);
    $bi = op_ok(one($pon, '2.1', 'Get', ops_uid($uid)), 'Get');
    is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                  'Key Format Type'), 7, 'Transparent Symmetric Key back');
    is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                  'Key Value', 'Key Material', 'Key'), "\x44" x 16, 'the key');
    $bi = op_ok(one($pon, '2.1', 'Get', ops_uid($uid), E('Key Format Type', 'Raw')),
                'Get as Raw');
    is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                  'Key Value', 'Key Material'), "\x44" x 16, 'Raw when asked');
    is(get_attrs($pon, $uid, E('Attribute Reference',
                               kmip_tag('Key Format Type')))
           ->{'Key Format Type'}, 7, 'the Key Format Type attribute');
    ok(!exists get_attrs($pon, $uid)->{'Key Format Type'},
       'not in an answer that names no attribute');
    $bi = op_ok(one($pon, '1.4', 'Get', ops_uid($uid)), '1.4 Get');
    is(kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                  'Key Format Type'), 7, '1.4: the registered format too');

    $bi = op_ok(one($pon, '2.1', 'Register', E('Object Type', 'Secret Data'),
        attrs2(),
        S('Secret Data', [ E('Secret Data Type', 'Password'),
            S('Key Block', [ E('Key Format Type', 'Raw'),
                S('Key Value', [ B('Key Material', 'password') ]) ]) ])),
        'Register Secret Data as Raw');
    $uid = uid_of($bi);
    $bi = op_ok(one($pon, '2.1', 'Get', ops_uid($uid)), 'Get');
    is(kmip_value($bi, 'Response Payload', 'Secret Data', 'Key Block',
                  'Key Format Type'), 1, 'Raw back');
    $bi = op_ok(one($pon, '2.1', 'Get', ops_uid($uid),
                    E('Key Format Type', 'Opaque')), 'Get as Opaque');
    is(kmip_value($bi, 'Response Payload', 'Secret Data', 'Key Block',
                  'Key Format Type'), 2, 'Opaque when asked');
    op_fail(one($pon, '2.1', 'Get', ops_uid($uid),
                E('Key Format Type', 'PKCS_8')), 0x10, 'Get as PKCS#8');
};

subtest 'Set Endpoint Role' => sub {
    my $bi = op_ok(one($pon, '2.1', 'Set Endpoint Role',
                       E('Endpoint Role', 'Server')), 'Server');
    is(kmip_value($bi, 'Response Payload', 'Endpoint Role'), 2,
       'the role applied: Server');
    op_fail(one($pon, '2.1', 'Set Endpoint Role', E('Endpoint Role', 'Client')),
            R_PERMISSION_DENIED, 'Client', qr/client role/);
    op_fail(one($pon, '2.1', 'Set Endpoint Role', E('Endpoint Role', 7)),
            R_INVALID_FIELD, 'an unknown role');
    op_fail(one($pon, '2.1', 'Set Endpoint Role'), R_MISSING_DATA, 'no role');
    op_fail(one($pon, '1.4', 'Set Endpoint Role', E('Endpoint Role', 'Server')),
            R_OP_NOT_SUPPORTED, 'in 1.4');
};

subtest 'Server Correlation Value' => sub {
    my $c = kmip_connect($pon, timeout => 10);
    my @scv;
    for my $v ('2.1', '2.1', '2.0', '1.4', '1.1') {
        my $r = $c->request(kmip_request(version => $v,
            items => [ { operation => 'Log',
                         payload => [ T('Log Message', "scv $v") ] } ]));
        push @scv, kmip_value($r, 'Response Header',
                              'Server Correlation Value');
    }
    $c->close;
    like($scv[0], qr/^[0-9a-f]{16}-\d+-\d+$/, '2.1: present') or return;
    my ($w0, $c0, $n0) = split /-/, $scv[0];
    my ($w1, $c1, $n1) = split /-/, $scv[1];
    is("$w1-$c1", "$w0-$c0", 'the same worker and connection');
    is($n1, $n0 + 1, 'the next request');
    ok(!defined $scv[$_], 'absent before 2.1') for 2 .. 4;

    my ($a) = grep { ($_->{log_message} // '') eq 'scv 2.1' }
              map { decode_json($_) }
              split /\n/, Test::Nginx::KMIP::_read_file(
                  $on->log_path('audit.log'));
    is($a->{server_correlation}, $scv[0], 'the audit log has it');
    like($on->error_log_text,
         qr/\*$c0 kmip: client log message "scv 2\.1" .*correlation value \Q$scv[0]\E\)/,
         'the error log line has it and the connection number');
};

# (the forged "[emerg]" of the Log test is inside a line, not at its start)
unlike($on->error_log_text . $off->error_log_text,
       qr/^\S+ \S+ \[(?:alert|emerg)\]|signal \d+/m, 'no crash or alert');

done_testing();
