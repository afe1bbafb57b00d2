# Client scopes (kmip_scope, kmip_operations): one server, and two nodes,
# for vCenter (a pinned self-signed certificate), a NAS (a CA-verified
# subject) and a database (another CA, a KMIP user, its own key ring).
# No scope reaches another's objects by any operation, Locate included:
# the answer, its message and the number of Key Protect calls are those
# of an object that does not exist; refused operations cost no Key
# Protect call; the audit log and $kmip_client_scope show the scope.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::TTLV;
use KMIP::Ops;
use Test::VCenter;
use Test::Scopes;
use JSON::PP qw(decode_json);
use POSIX ();

my $kp = suite_kp();
# two CAs (the NAS's and the database's) in one bundle; vCenter's
# self-signed certificate is pinned, not verified
my $certs = scope_certs();

# a client the CA vouches for, but in no scope
stranger_cert();

# the database's own key ring, with its own root key in it
my $ring = $kp->kp_call('POST', 'key_rings/db-ring');
ok($ring->{status} == 201 || $ring->{status} == 409, 'key ring db-ring');
my $crk = $kp->kp_call('POST', 'keys', {
    metadata => { collectionType => 'application/vnd.ibm.kms.key+json',
                  collectionTotal => 1 },
    resources => [ { type => 'application/vnd.ibm.kms.key+json',
                     name => 'db-root-key',
                     extractable => JSON::PP::false() } ] });
is($crk->{status}, 201, 'the database\'s root key');
my $db_crk = $crk->{body}{resources}[0]{id};
is($kp->kp_call('PATCH', "keys/$db_crk", { keyRingID => 'db-ring' })->{status},
   200, '... in db-ring');

my $SCOPES = <<"EOF";
    kmip_scope vcenter {
        certificate $certs/selfsigned.crt;
        operations "Discover Versions" Query Create Get "Get Attributes"
                   "Add Attribute" "Modify Attribute" Activate Locate;
    }
    kmip_scope nas {
        subject "CN=kmip-test-client,O=ngx_kmip tests";
        issuer "CN=ngx_kmip test CA,O=ngx_kmip tests";
    }
    kmip_scope db {
        issuer "~CN=ngx_kmip other CA";
        user dbadmin;
        key_ring db-ring;
        root_key $db_crk;
    }
EOF

# node($name, $scopes, $extra): a scoped node, $extra server directives
# after the defaults (a later kmip_operations replaces "all")
sub node {
    my ($name, $scopes, $extra) = @_;
    $extra //= '';
    my $ops = $extra =~ /kmip_operations/ ? '' : 'kmip_operations all;';
    my $kpconf = $kp->nginx_conf;
    return scoped_node(name => $name, scopes => $scopes,
        stream => "    log_format scope"
                  . " '\$kmip_client_fingerprint scope=\$kmip_client_scope';\n",
        server => <<"EOF");
        access_log logs/access.log scope;
        $ops
        kmip_credentials_file $certs/scopes.users;
        kmip_audit_log logs/audit.log;
        $extra
        $kpconf
EOF
}

Test::Nginx::KMIP::_write_file("$certs/scopes.users",
    "dbadmin:{PLAIN}db-secret\nnasuser:{PLAIN}nas-secret\n"
    . "vsphere:{PLAIN}vs-secret\n");
chmod 0600, "$certs/scopes.users";

my $node_a = node('scopes-a', $SCOPES);
# the second node keeps what it reads in its key cache: a cached object of
# another scope is no quicker an answer than a missing one
my $node_b = node('scopes-b', $SCOPES,
                  'kmip_key_cache zone=scopes:1m ttl=300s;');
my ($pa, $pb) = ($node_a->port, $node_b->port);

my %CERT = (vcenter => 'selfsigned', nas => 'client', db => 'other-client',
            stranger => 'stranger');
my %CRED = (db => [ 'dbadmin', 'db-secret' ], nas => [ 'nasuser', 'nas-secret' ],
            vcenter => [ 'vsphere', 'vs-secret' ]);
my $ubi = 0;

# the batch items of one request from a client of $who
sub req {
    my ($port, $who, @items) = @_;
    my $r = kmip_roundtrip($port, kmip_request(version => '1.4',
        ($CRED{$who} ? (credential => $CRED{$who}) : ()),
        items => [ map { { %$_, ubi => pack('N', ++$ubi) } } @items ]),
        client_cert => $CERT{$who}, timeout => 30);
    die "no answer from $port to $who" unless $r;
    return kmip_find_all($r, 'Batch Item');
}

sub one { my ($port, $who, $op, @p) = @_;
          return (req($port, $who, { operation => $op, payload => [ @p ] }))[0] }

sub answer {
    my ($bi, $uid) = @_;
    my $m = kmip_value($bi, 'Result Message') // '';
    $m =~ s/\Q$uid\E/UID/g if $uid;
    return join ' | ', kmip_value($bi, 'Result Status') // '-',
                       kmip_value($bi, 'Result Reason') // '-', $m;
}

sub create_named {
    my ($port, $who, $name) = @_;
    my $bi = one($port, $who, 'Create', E('Object Type', 'Symmetric Key'),
                 tmpl1(a1('Cryptographic Algorithm',
                          E('Cryptographic Algorithm', 'AES')),
                       a1('Cryptographic Length', I('Cryptographic Length', 256)),
                       a1('Cryptographic Usage Mask',
                          I('Cryptographic Usage Mask', 12)),
                       a1('Name', S('Attribute Value', [
                           T('Name Value', $name),
                           E('Name Type', 'Uninterpreted Text String') ]))));
    op_ok($bi, "$who creates $name");
    return uid_of($bi);
}

sub locate {
    my ($port, $who, @attrs) = @_;
    my $bi = one($port, $who, 'Locate', @attrs);
    op_ok($bi, "$who Locate");
    return [ sort map { $_->{value} }
             kmip_find_all($bi, 'Response Payload', 'Unique Identifier') ];
}

sub name_attr {
    return a1('Name', S('Attribute Value', [ T('Name Value', $_[0]),
        E('Name Type', 'Uninterpreted Text String') ]));
}

my %uid;
$uid{$_} = create_named($pa, $_, 'shared-name') for qw(vcenter nas db);
my $missing = '6f1c2a4e-0000-4000-8000-00000000beef';

subtest 'a client lands in its scope; a stranger is refused' => sub {
    my $bi = one($pa, 'stranger', 'Query', E('Query Function', 'Query Operations'));
    is(kmip_value($bi, 'Result Reason'), 0x0c, 'stranger: Permission Denied');
    like($node_a->error_log_text, qr/client certificate in no kmip_scope: sha256 [0-9a-f]{64}, subject "CN=stranger/,
         'the refusal is logged with the certificate');
    $node_a->stop;
    $node_a = node('scopes-a', $SCOPES);
    $pa = $node_a->port;
    one($pa, $_, 'Discover Versions') for qw(vcenter nas db);
    $node_a->stop;
    my $log = $node_a->access_log_text;
    like($log, qr/ scope=vcenter$/m, 'vCenter: $kmip_client_scope vcenter');
    like($log, qr/ scope=nas$/m, 'NAS: nas');
    like($log, qr/ scope=db$/m, 'database: db');
    $node_a = node('scopes-a', $SCOPES);
    $pa = $node_a->port;
};

# every operation that names an object, on another scope's object and on
# one that does not exist: the same answer, the same Key Protect calls
my @PROBES = (
    [ 'Get' ],
    [ 'Get Attributes' ],
    [ 'Get Attribute List' ],
    [ 'Add Attribute', a1('x-Probe', T('Attribute Value', 'p')) ],
    [ 'Modify Attribute', a1('x-Probe', T('Attribute Value', 'q')) ],
    [ 'Delete Attribute', T('Attribute Name', 'x-Probe') ],
    [ 'Activate' ],
    [ 'Revoke', S('Revocation Reason', [
          E('Revocation Reason Code', 'Cessation of Operation') ]) ],
    [ 'Check', I('Usage Limits Count', 1) ],
    [ 'Re-key' ],
    [ 'Encrypt', B('Data', 'x' x 16) ],
    [ 'Destroy' ],
);

for my $pair ([ 'nas', 'db' ], [ 'db', 'nas' ], [ 'vcenter', 'nas' ],
              [ 'nas', 'vcenter' ]) {
    my ($who, $owner) = @$pair;
    subtest "$who cannot reach $owner\'s object by any operation" => sub {
        for my $p (@PROBES) {
            my ($op, @payload) = @$p;
            next if $who eq 'vcenter'
                    && $op !~ /^(Get|Get Attributes|Add Attribute|Modify Attribute|Activate)$/;
            for my $port ($pa, $pb) {
                op_ok(one($port, $owner, 'Get', ops_uid($uid{$owner})),
                      "$owner reads its object on $port (and b caches it)")
                    if $port == $pb;
                $kp->clear_requests;
                my $none = answer(one($port, $who, $op, ops_uid($missing),
                                      @payload), $missing);
                my $calls_none = $kp->count;
                $kp->clear_requests;
                my $other = answer(one($port, $who, $op,
                                       ops_uid($uid{$owner}), @payload),
                                   $uid{$owner});
                my $calls_other = $kp->count;
                is($other, $none, "$op: as for a missing object");
                is($calls_other, $calls_none,
                   "$op: as many Key Protect calls ($calls_none)");
            }
        }
        my $bi = one($pa, $owner, 'Get', ops_uid($uid{$owner}));
        op_ok($bi, "$owner still has its object");
        is(kmip_value($bi, 'Response Payload', 'Unique Identifier'),
           $uid{$owner}, 'untouched');
    };
}

subtest 'no wrapping with, and no 2.x operation on, another scope\'s key' => sub {
    my $kws = sub {
        S('Key Wrapping Specification', [ E('Wrapping Method', 'Encrypt'),
            S('Encryption Key Information', [ T('Unique Identifier', $_[0]) ]) ]);
    };
    for my $port ($pa, $pb) {
        is(answer(one($port, 'nas', 'Get', ops_uid($uid{nas}), $kws->($uid{db})),
                  $uid{db}),
           answer(one($port, 'nas', 'Get', ops_uid($uid{nas}), $kws->($missing)),
                  $missing),
           "Get wrapped with the database's key: as with a missing key ($port)");
        for my $p ([ 'Export' ], [ 'Set Attribute', S('New Attribute', [
                         E('Cryptographic Algorithm', 'AES') ]) ],
                   [ 'Decrypt', B('Data', 'x' x 16) ]) {
            my ($op, @payload) = @$p;
            my $r = sub {
                my ($u) = @_;
                my $x = kmip_roundtrip($port, kmip_request(version => '2.1',
                    credential => $CRED{nas},
                    items => [ { operation => $op,
                                 payload => [ ops_uid($u), @payload ] } ]),
                    client_cert => 'client');
                return answer(kmip_find($x, 'Batch Item'), $u);
            };
            is($r->($uid{db}), $r->($missing),
               "2.1 $op of the database's object: as of a missing one");
        }
    }
};

subtest 'Locate finds only the scope\'s own objects' => sub {
    for my $who (qw(nas db vcenter)) {
        for my $port ($pa, $pb) {
            is_deeply(locate($port, $who, name_attr('shared-name')),
                      [ $uid{$who} ], "$who by name on $port: its own only");
            my $all = locate($port, $who);
            my @foreign = grep { my $u = $_; grep { $_ eq $u }
                                 map { $uid{$_} } grep { $_ ne $who } keys %uid }
                          @$all;
            is_deeply(\@foreign, [], "$who, every object: none of another scope");
            ok((grep { $_ eq $uid{$who} } @$all), "$who, every object: its own");
        }
    }
    $kp->clear_requests;
    locate($pa, 'nas', name_attr('shared-name'));
    my @gets = $kp->requests(method => 'GET', path => qr{/keys/[^/?]+$});
    is(scalar @gets, 1, 'Locate reads no other scope\'s key');
};

subtest 'operations a scope or the server does not allow' => sub {
    $kp->clear_requests;
    my $bi = one($pa, 'vcenter', 'Destroy', ops_uid($uid{vcenter}));
    is(kmip_value($bi, 'Result Reason'), 0x0c, 'vCenter Destroy: Permission Denied');
    like(kmip_value($bi, 'Result Message'), qr/scope "vcenter" may not use Destroy/,
         'the message says why');
    $bi = one($pa, 'vcenter', 'Register', E('Object Type', 'Secret Data'));
    is(kmip_value($bi, 'Result Reason'), 0x0c, 'vCenter Register: Permission Denied');
    is($kp->count, 0, 'refused before any Key Protect call');

    $bi = one($pa, 'vcenter', 'Query', E('Query Function', 'Query Operations'));
    my @ops = sort { $a <=> $b } map { $_->{value} }
              kmip_find_all($bi, 'Response Payload', 'Operation');
    is_deeply(\@ops, [ sort { $a <=> $b } map { kmip_operation($_) }
                       'Activate', 'Add Attribute', 'Create',
                       'Discover Versions', 'Get', 'Get Attributes', 'Locate',
                       'Modify Attribute', 'Query' ],
              'Query lists what vCenter may use, nothing else');
    op_ok(one($pa, 'vcenter', 'Get', ops_uid($uid{vcenter})), 'vCenter Get');

    $bi = one($pa, 'nas', 'Query', E('Query Function', 'Query Operations'));
    my %nas = map { $_->{value} => 1 }
              kmip_find_all($bi, 'Response Payload', 'Operation');
    ok($nas{kmip_operation('Destroy')} && $nas{kmip_operation('Register')},
       'the NAS may use everything');

    # the database's user is its own: another user's credential is refused
    my $r = kmip_roundtrip($pa, kmip_request(version => '1.4',
        credential => [ 'nasuser', 'nas-secret' ],
        items => [ { operation => 'Get', payload => [ ops_uid($uid{db}) ] } ]),
        client_cert => 'other-client');
    is(kmip_value($r, 'Batch Item', 'Result Reason'), 0x0c,
       'db with the NAS user\'s credential: Permission Denied');
    op_ok(one($pa, 'db', 'Get', ops_uid($uid{db})), 'db with its own user');
};

subtest 'a server that does not offer an operation' => sub {
    my $n = node('scopes-c', $SCOPES, <<'EOF');
        kmip_operations "Discover Versions" Query Create Get "Get Attributes"
                        "Add Attribute" "Modify Attribute" Activate Locate
                        Revoke Destroy;
EOF
    $kp->clear_requests;
    my $bi = one($n->port, 'nas', 'RNG Retrieve', I('Data Length', 16));
    is(kmip_value($bi, 'Result Reason'), 0x05, 'RNG Retrieve: Operation Not Supported');
    $bi = one($n->port, 'nas', 'Encrypt', ops_uid($uid{nas}), B('Data', 'x' x 16));
    is(kmip_value($bi, 'Result Reason'), 0x05, 'Encrypt: Operation Not Supported');
    is($kp->count, 0, 'no Key Protect call');
    $bi = one($n->port, 'nas', 'Query', E('Query Function', 'Query Operations'));
    my %ops = map { $_->{value} => 1 }
              kmip_find_all($bi, 'Response Payload', 'Operation');
    ok(!$ops{kmip_operation('RNG Retrieve')} && !$ops{kmip_operation('Encrypt')}
       && $ops{kmip_operation('Get')},
       'Query lists only what the server offers');
    $n->stop;
};

subtest 'Key Protect: the scope in each key, the database\'s in its ring' => sub {
    my $k = $kp->keys;
    my @k = ref $k eq 'HASH' ? @{ $k->{keys} || $k->{resources} || [] } : @$k;
    my %by = map { ($_->{name} // '') => $_ } grep { !$_->{deleted} } @k;
    my $db = $by{"kmip-$uid{db}"};
    ok($db, 'the database\'s key');
    is($db->{keyRingID}, 'db-ring', 'in db-ring');
    like($db->{description}, qr/, scope db \(ngx_kmip\)$/, 'its description names the scope');
    is($by{"kmip-$uid{nas}"}{keyRingID}, 'default', 'the NAS\'s in the default ring');
    like($by{"kmip-$uid{nas}"}{description}, qr/, scope nas /, 'scope nas');
};

subtest 'objects made before scopes belong to the default scope' => sub {
    my $plain = kp_node(name => 'scopes-plain');
    my ($bi) = op_req($plain->port, '1.4', create_aes('1.4'));
    op_ok($bi, 'Create on a server without scopes');
    my $old = uid_of($bi);
    for my $who (qw(nas db vcenter)) {
        is(answer(one($pa, $who, 'Get', ops_uid($old)), $old),
           answer(one($pa, $who, 'Get', ops_uid($missing)), $missing),
           "$who does not see it");
    }
    my $with_default = $SCOPES;
    $with_default =~ s/kmip_scope nas \{/kmip_scope default {/;
    my $d = node('scopes-d', $with_default);
    op_ok(one($d->port, 'nas', 'Get', ops_uid($old)),
          'the scope named "default" does');
    op_ok((op_req($plain->port, '1.4', { operation => 'Get',
                                         payload => [ ops_uid($old) ] }))[0],
          'and a server without scopes still does');
    $d->stop;
    $plain->stop;
};

subtest 'the audit log records the scope and the refusal' => sub {
    # the NAS lists every ring, sees the key and refuses it; the database
    # lists its own ring only, where Key Protect shows no other key at all
    one($pa, 'nas', 'Get', ops_uid($uid{db}));
    op_ok(one($pa, 'nas', 'Get', ops_uid($uid{nas})), 'the NAS\'s own Get');
    my $log = Test::Nginx::KMIP::_read_file($node_a->log_path('audit.log')) // '';
    my @lines = map { decode_json($_) } grep { length } split /\n/, $log;
    my ($refused) = grep { ($_->{uid} // '') eq $uid{db}
                           && $_->{client_scope} eq 'nas' } @lines;
    ok($refused, 'the NAS\'s Get of the database\'s object is logged');
    ok($refused && $refused->{other_scope}, '... as a request for another scope\'s object');
    is($refused && $refused->{reason}, 'ItemNotFound', '... answered Item Not Found');
    my ($own) = grep { ($_->{uid} // '') eq $uid{nas}
                       && $_->{client_scope} eq 'nas' } @lines;
    ok($own && !$own->{other_scope}, 'the NAS\'s own requests are not');
};

subtest 'vCenter encrypts a VM while the NAS registers a volume key' => sub {
    my $vc = Test::VCenter->new(ports => [ $pa, $pb ],
                                credential => [ 'vsphere', 'vs-secret' ],
                                conn => { client_cert => 'selfsigned' });
    my $out = servroot() . '/nas-volume.uid';
    unlink $out;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        # the NAS's own sequence (Synology DSM's, KMIP 1.2 in spirit):
        # Register a password, Locate it by name, Activate, Get
        my $bi = one($pb, 'nas', 'Register', E('Object Type', 'Secret Data'),
            tmpl1(a1('Cryptographic Usage Mask',
                     I('Cryptographic Usage Mask', 'Verify')),
                  name_attr('volume-7')),
            S('Secret Data', [ E('Secret Data Type', 'Password'),
                S('Key Block', [ E('Key Format Type', 'Opaque'),
                    S('Key Value', [ B('Key Material', 'p' x 32) ]) ]) ]));
        my $uid = uid_of($bi) // POSIX::_exit(1);
        my $found = join ',', map { $_->{value} }
            kmip_find_all(one($pa, 'nas', 'Locate', name_attr('volume-7')),
                          'Response Payload', 'Unique Identifier');
        my $act = one($pa, 'nas', 'Activate', ops_uid($uid));
        my $get = one($pb, 'nas', 'Get', ops_uid($uid));
        my $ok = $found eq $uid
                 && kmip_value($act, 'Result Status') == 0
                 && kmip_value($get, 'Response Payload', 'Secret Data',
                               'Key Block', 'Key Value', 'Key Material')
                    eq 'p' x 32;
        Test::Nginx::KMIP::_write_file($out, $uid);
        POSIX::_exit($ok ? 0 : 1);
    }
    my ($vm, $host) = $vc->encrypt_vm;
    waitpid $pid, 0;
    is($?, 0, 'the NAS registered, found, activated and read its key');
    my $vol = Test::Nginx::KMIP::_read_file($out) // '';
    is_deeply(locate($pa, 'vcenter', name_attr('volume-7')), [],
              'vCenter does not find the volume key');
    is(answer(one($pa, 'vcenter', 'Get', ops_uid($vol)), $vol),
       answer(one($pa, 'vcenter', 'Get', ops_uid($missing)), $missing),
       'nor can it Get it');
    my $all = locate($pb, 'nas');
    ok(!(grep { $_ eq $vm || $_ eq $host } @$all),
       'the NAS does not find the VM or host key');
    is(answer(one($pb, 'nas', 'Get', ops_uid($vm)), $vm),
       answer(one($pb, 'nas', 'Get', ops_uid($missing)), $missing),
       'nor can it Get the VM key');
};

subtest 'reload: new scopes for new connections, in-flight ones keep theirs' => sub {
    $kp->latency(1500, 'wrap');
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $bi = eval { one($pa, 'nas', 'Create', E('Object Type', 'Symmetric Key'),
                            aes_attrs('1.4', 256)) };
        POSIX::_exit($bi && kmip_value($bi, 'Result Status') == 0 ? 0 : 1);
    }
    select undef, undef, undef, 0.5;
    my $without_nas = $SCOPES;
    $without_nas =~ s/kmip_scope nas \{.*?\n    \}\n//s;
    Test::Nginx::KMIP::_write_file($node_a->prefix . '/conf/nginx.conf',
        $node_a->conf_text =~ s/\Q$SCOPES\E/$without_nas/r);
    $node_a->reload;
    waitpid $pid, 0;
    is($?, 0, 'the Create in flight during the reload succeeded');
    $kp->clear_latency;
    my $bi;
    for (1 .. 50) {
        $bi = one($pa, 'nas', 'Query', E('Query Function', 'Query Operations'));
        last if (kmip_value($bi, 'Result Reason') // 0) == 0x0c;
        select undef, undef, undef, 0.1;
    }
    is(kmip_value($bi, 'Result Reason'), 0x0c,
       'after the reload the NAS is in no scope');
    op_ok(one($pa, 'db', 'Get', ops_uid($uid{db})), 'the database still is');
};

done_testing;
