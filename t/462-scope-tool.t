# tools/kmip-scope: the operator procedures that move a scope's keys into
# a key ring of their own and rename a scope, run against objects a real
# scoped node made: after each step and the nginx.conf change that goes
# with it, the scope's clients Get their objects (the same key material),
# the other scope still cannot, and Key Protect shows the keys where the
# procedure put them. Also: list, --dry-run, a failure naming its object,
# and a rename racing a node's write.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::TTLV;
use KMIP::Ops;
use JSON::PP qw(decode_json);
use POSIX ();
use MIME::Base64 ();
use Test::Scopes;

my $kp = suite_kp();
scope_certs();    # the certificates, and the bundle of the two CAs

my $SCOPES = <<"EOF";
    kmip_scope nas {
        subject "CN=kmip-test-client,O=ngx_kmip tests";
    }
    kmip_scope db {
        issuer "~CN=ngx_kmip other CA";
    }
EOF

my $node = scoped_node(name => 'scope-tool', scopes => $SCOPES,
                       server => "        " . $kp->nginx_conf);
my $port = $node->port;

# the scopes of nginx.conf, rewritten; the node reloaded
my $scopes = $SCOPES;
sub reconf {
    my ($new) = @_;
    $node->reload($node->conf_text =~ s/\Q$scopes\E/$new/r);
    $scopes = $new;
}

my %CERT = (nas => 'client', db => 'other-client');
my $ubi = 0;

sub one {
    my ($who, $op, @p) = @_;
    my $r = kmip_roundtrip($port, kmip_request(version => '1.4',
        items => [ { operation => $op, payload => [ @p ],
                     ubi => pack('N', ++$ubi) } ]),
        client_cert => $CERT{$who}, timeout => 30);
    die "no answer to $who" unless $r;
    return (kmip_find_all($r, 'Batch Item'))[0];
}

sub material {
    my ($bi) = @_;
    return kmip_value($bi, 'Response Payload', 'Symmetric Key', 'Key Block',
                      'Key Value', 'Key Material');
}

# a Get by a client of $who, retried while a reload brings new workers
sub get_ok {
    my ($who, $uid) = @_;
    my $bi;
    for (1 .. 50) {
        $bi = one($who, 'Get', ops_uid($uid));
        last if kmip_value($bi, 'Result Status') == 0;
        select undef, undef, undef, 0.1;
    }
    return $bi;
}

sub not_found {
    my ($who, $uid, $what) = @_;
    my $bi = one($who, 'Get', ops_uid($uid));
    is(kmip_value($bi, 'Result Reason'), 0x01, "$what: Item Not Found");
}

sub tool {
    my @args = @_;
    my $out = `/usr/bin/python3 tools/kmip-scope --kp-url @{[ $kp->url ]} \\
        --instance @{[ $kp->instance ]} --api-key-file @{[ $kp->api_key_file ]} \\
        @args 2>&1`;
    return ($? >> 8, $out);
}

# the emulator's keys (every state), by KMIP object
sub kp_keys {
    my $k = $kp->keys;
    my %by;
    for my $key (@{ $k->{keys} }) {
        push @{ $by{$1} }, $key if ($key->{name} // '') =~ /^kmip-(.+)$/;
    }
    return \%by;
}

sub live_key {
    my ($uid) = @_;
    my @live = grep { !$_->{deleted} } @{ kp_keys()->{$uid} || [] };
    my ($top) = sort { gen($b) <=> gen($a) } @live;
    return $top;
}

# a key's generation: its highest generation alias (a served key has two)
sub gen {
    my ($k) = @_;
    my ($g) = sort { $b <=> $a } map { /-g(\d+)$/ ? $1 : () }
                                     @{ $k->{aliases} || [] };
    return $g // 0;
}

# the record's attributes, with Fresh's value (a Boolean) as given
sub with_fresh {
    my ($attrs, $fresh) = @_;
    return [ map { my $a = $_;
                   $a =~ s/(\x42\x00\x0b\x06\0\0\0\x08)\0{7}[\0\x01]/$1\0\0\0\0\0\0\0$fresh/s
                       if index($a, 'Fresh') >= 0;
                   $a } @{ $attrs || [] } ];
}

# the items of a record (a Key Protect payload) as tag => [encodings]
sub record_items {
    my ($id) = @_;
    my $k = $kp->kp_call('GET', "keys/$id")->{body}{resources}[0];
    my $buf = MIME::Base64::decode_base64($k->{payload} // '');
    my ($tag, $len) = unpack 'a3 x N', $buf;
    die 'not a record' unless unpack('H6', $tag) eq '540001'
                              && length $buf == 8 + $len;
    my (%items, $off);
    for ($off = 8; $off < length $buf; ) {
        my ($t, $n) = unpack 'H6 x N', substr($buf, $off, 8);
        my $size = 8 + $n + (-$n % 8);
        push @{ $items{$t} }, substr($buf, $off, $size);
        $off += $size;
    }
    return \%items;
}

sub create {
    my ($who, $name) = @_;
    my $bi = one($who, 'Create', E('Object Type', 'Symmetric Key'),
                 aes_attrs('1.4', 256, a1('Name', S('Attribute Value', [
                     T('Name Value', $name),
                     E('Name Type', 'Uninterpreted Text String') ]))));
    op_ok($bi, "$who creates $name");
    return uid_of($bi);
}

my %uid = (nas1 => create('nas', 'nas-one'), nas2 => create('nas', 'nas-two'),
           gone => create('nas', 'nas-gone'), db1 => create('db', 'db-one'));
my %key;
$key{$_} = material(op_ok(one($_ =~ /^db/ ? 'db' : 'nas', 'Get',
                              ops_uid($uid{$_})), "Get $_"))
    for qw(nas1 nas2 db1);
op_ok(one('nas', 'Destroy', ops_uid($uid{gone})), 'nas destroys one object');
ok(length($key{$_} // '') == 32, "$_: 32 bytes of material") for qw(nas1 nas2 db1);

subtest 'list: every object with its scope, ring, generation and state' => sub {
    my ($rc, $out) = tool('list', '--json');
    is($rc, 0, 'exit 0');
    my $j = eval { decode_json($out) } || [];
    my %o = map { $_->{uid} => $_ } @$j;
    is(scalar keys %o, 4, 'four objects') or diag($out);
    is($o{$uid{nas1}}{scope}, 'nas', 'scope nas');
    is($o{$uid{db1}}{scope}, 'db', 'scope db');
    is($o{$uid{nas1}}{ring}, 'default', 'in the default ring');
    is($o{$uid{nas1}}{generation}, 2, 'generation 2 (the first Get wrote it)');
    is($o{$uid{nas1}}{state}, 'active', 'its key is active');
    is($o{$uid{gone}}{state}, 'destroyed', 'the destroyed one is listed');

    ($rc, $out) = tool('list', '--scope', 'DB');
    is($rc, 0, 'table: exit 0');
    like($out, qr/^UID\s+SCOPE\s+RING\s+GENERATION\s+STATE$/m, 'a header');
    like($out, qr/^\Q$uid{db1}\E\s+db\s+default\s+2\s+active$/m,
         '--scope (any case): the database\'s object');
    unlike($out, qr/\Q$uid{nas1}\E/, 'no other scope\'s');
};

is($kp->kp_call('POST', 'key_rings/nas-ring')->{status}, 201, 'key ring nas-ring');

subtest 'move-ring --dry-run changes nothing' => sub {
    my $before = $kp->keys;
    my ($rc, $out) = tool('move-ring', '--scope', 'nas', '--to', 'nas-ring',
                          '--root-key', $kp->root_key, '--dry-run');
    is($rc, 0, 'exit 0');
    like($out, qr/kmip-\Q$uid{nas1}\E g2 .*: default -> nas-ring \(dry run\)/,
         'says what it would move');
    like($out, qr/root key \S+: default -> nas-ring \(dry run\)/, 'the root key too');
    unlike($out, qr/\Q$uid{db1}\E/, 'not the other scope\'s');
    is_deeply($kp->keys->{keys}, $before->{keys}, 'Key Protect is unchanged');
    ($rc, $out) = tool('move-ring', '--scope', 'nas', '--to', 'no-such-ring');
    is($rc, 2, 'a ring that does not exist: exit 2');
    like($out, qr/no key ring "no-such-ring": create it first/, '... saying so');
};

subtest 'move-ring: the scope\'s keys and its root key into nas-ring' => sub {
    # a write leaves nas1 a deleted generation beside its live one
    op_ok(one('nas', 'Add Attribute', ops_uid($uid{nas1}),
              a1('x-Note', T('x', 'moved'))), 'nas writes nas1');
    is(scalar($kp->settle($uid{nas1}, 1)), 1, 'its old generation deleted');
    my $g = gen(live_key($uid{nas1}));
    my ($rc, $out) = tool('move-ring', '--scope', 'nas', '--to', 'nas-ring',
                          '--root-key', $kp->root_key);
    is($rc, 0, 'exit 0') or diag($out);
    like($out, qr/kmip-\Q$uid{nas1}\E g$g \(key \S+\): default -> nas-ring$/m,
         'reports each key it moved');
    like($out, qr/kmip-\Q$uid{nas1}\E g@{[ $g - 1 ]} \(key \S+\): deleted, stays in "default"/,
         'a deleted generation stays (Key Protect does not move it)');
    like($out, qr/kmip-\Q$uid{gone}\E: destroyed, its keys stay where they are/,
         'a destroyed object stays');
    my $by = kp_keys();
    for my $o (qw(nas1 nas2)) {
        my @live = grep { !$_->{deleted} } @{ $by->{$uid{$o}} };
        ok(@live && !grep({ $_->{keyRingID} ne 'nas-ring' } @live),
           "$o: every live key in nas-ring");
    }
    ok(!grep({ $_->{keyRingID} ne 'default' } @{ $by->{$uid{db1}} }),
       'the database\'s keys stay where they were');
    my $crk = $kp->kp_call('GET', 'keys/' . $kp->root_key . '/metadata');
    is($crk->{body}{resources}[0]{keyRingID}, 'nas-ring', 'the root key too');

    ($rc, $out) = tool('move-ring', '--scope', 'nas', '--to', 'nas-ring',
                       '--root-key', $kp->root_key);
    is($rc, 0, 'again: exit 0');
    like($out, qr/^moved 0 key\(s\) into "nas-ring"$/m, 'again: nothing to move');

    (my $ringed = $scopes) =~ s/(kmip_scope nas \{\n)/$1        key_ring nas-ring;\n/;
    reconf($ringed);
    my $bi = get_ok('nas', $uid{nas1});
    op_ok($bi, 'after the reload with key_ring nas-ring: nas Gets its object');
    is(material($bi), $key{nas1}, 'the same key material');
    op_ok(get_ok('nas', $uid{nas2}), 'and its other one');
    op_ok(get_ok('db', $uid{db1}), 'db Gets its own (the root key moved)');
    not_found('db', $uid{nas1}, 'db, the NAS\'s object');
    is(live_key($uid{nas1})->{keyRingID}, 'nas-ring',
       'the write of that Get stayed in nas-ring');
};

subtest 'a failure names the object; running again finishes' => sub {
    is($kp->kp_call('POST', 'key_rings/db-ring')->{status}, 201, 'key ring db-ring');
    my $id = live_key($uid{db1})->{id};
    $kp->fault({ method => 'PATCH', path => "keys/$id\$", status => 403,
                 count => 1 });
    my ($rc, $out) = tool('move-ring', '--scope', 'db', '--to', 'db-ring');
    is($rc, 1, 'exit 1');
    like($out, qr/kmip-\Q$uid{db1}\E g\d+ \(key \Q$id\E\): not moved: PATCH .* 403/,
         'the message names the object and the call');
    like($out, qr/1 failed/, 'and counts it');
    $kp->clear_faults;
    ($rc, $out) = tool('move-ring', '--scope', 'db', '--to', 'db-ring');
    is($rc, 0, 'again: exit 0') or diag($out);
    is(live_key($uid{db1})->{keyRingID}, 'db-ring', 'moved');
    op_ok(get_ok('db', $uid{db1}), 'db (no key_ring: every ring) still Gets it');
};

subtest 'rename --dry-run changes nothing' => sub {
    my $before = $kp->keys;
    my ($rc, $out) = tool('rename', '--from', 'nas', '--to', 'files', '--dry-run');
    is($rc, 0, 'exit 0');
    like($out, qr/kmip-\Q$uid{nas1}\E: g(\d+) scope nas -> g\d+ scope files in "nas-ring" \(dry run\)/,
         'says what it would write');
    like($out, qr/kmip-\Q$uid{gone}\E: destroyed, left as it is/, 'skips the destroyed one');
    is_deeply($kp->keys->{keys}, $before->{keys}, 'Key Protect is unchanged');
    ($rc, $out) = tool('rename', '--from', 'nas', '--to', 'no/such');
    is($rc, 2, 'a bad scope name: exit 2');
};

subtest 'rename nas to files: invisible until nginx.conf names it' => sub {
    my $g = gen(live_key($uid{nas1}));
    my $old = record_items(live_key($uid{nas1})->{id});
    # nas2 was read but never written: its key bears the served mark of
    # that Get (docs/key-protect.md#the-first-get)
    my $old2 = record_items(live_key($uid{nas2})->{id});
    my ($rc, $out) = tool('rename', '--from', 'nas', '--to', 'files');
    is($rc, 0, 'exit 0') or diag($out);
    like($out, qr/kmip-\Q$uid{nas1}\E: g$g -> g@{[ $g + 1 ]}, scope nas -> files, in "nas-ring"/,
         'reports each object');
    like($out, qr/^renamed 2 object\(s\) from "nas" to "files"$/m, 'two objects');
    my $top = live_key($uid{nas1});
    is(gen($top), $g + 1, 'the next generation');
    like($top->{description}, qr/, generation @{[ $g + 1 ]}, scope files \(ngx_kmip\)$/,
         'its description');
    is($top->{keyRingID}, 'nas-ring', 'in the same ring');
    is(scalar(grep { !$_->{deleted} } @{ kp_keys()->{$uid{nas1}} }), 1,
       'the generation before is deleted');

    my $new = record_items($top->{id});
    is(unpack('x8 N', $new->{540002}[0]), 2, 'record: Record Version 2');
    is(unpack('x8 a*', $new->{540007}[0]), "files\0\0\0", 'Record Scope "files"');
    is(unpack('x8 Q>', $new->{540003}[0]), $g + 1, 'Record Generation');
    my %rest = map { $_ => 1 } keys %$old, keys %$new;
    delete @rest{qw(540002 540003 540007)};
    ok(@{ $old->{420008} || [] } > 3 && @{ $old->{540005} || [] } == 1,
       'the record has attributes and wrapped material');
    is_deeply([ map { $new->{$_} } sort keys %rest ],
              [ map { $old->{$_} } sort keys %rest ],
              'every other item (wrapped material, attributes) byte for byte');

    # the served key's record says Fresh True, its mark False: the next
    # generation's record says Fresh False, every other attribute as it was
    my ($fresh_old) = grep { index($_, 'Fresh') >= 0 } @{ $old2->{420008} };
    ok($fresh_old && substr($fresh_old, -1) eq "\x01",
       'nas2: the served key\'s own record says Fresh True');
    my $new2 = record_items(live_key($uid{nas2})->{id});
    is_deeply($new2->{420008}, with_fresh($old2->{420008}, "\0"),
              'nas2: the attributes byte for byte, but Fresh False');
    is_deeply($new2->{540005}, $old2->{540005},
              'nas2: the wrapped material byte for byte');

    not_found('nas', $uid{nas1}, 'before the reload, the client of "nas"');

    (my $renamed = $scopes) =~ s/kmip_scope nas \{/kmip_scope files {/;
    reconf($renamed);
    for my $o (qw(nas1 nas2)) {
        my $bi = get_ok('nas', $uid{$o});
        op_ok($bi, "after the reload, the same client (now files) Gets $o");
        is(material($bi), $key{$o}, "$o: the same key material");
    }
    my $bi = one('nas', 'Locate', a1('Name', S('Attribute Value', [
        T('Name Value', 'nas-one'), E('Name Type', 'Uninterpreted Text String') ])));
    is(kmip_value($bi, 'Response Payload', 'Unique Identifier'), $uid{nas1},
       'Locate by Name finds it (the attributes came along)');
    not_found('db', $uid{nas1}, 'db, the renamed scope\'s object');
    not_found('nas', $uid{db1}, 'files, the database\'s object');

    ($rc, $out) = tool('list', '--json');
    my $list = eval { decode_json($out) } || [];
    my %o = map { $_->{uid} => $_ } @$list;
    is($o{$uid{nas2}}{scope}, 'files', 'list: scope files');
    is($o{$uid{gone}}{scope}, 'nas', 'the destroyed object keeps its scope');

    ($rc, $out) = tool('rename', '--from', 'nas', '--to', 'files');
    is($rc, 0, 'again: exit 0');
    like($out, qr/^renamed 0 object\(s\)/m, 'again: nothing to rename');
};

subtest 'a rename racing a node\'s write reads again and keeps both' => sub {
    my $top = live_key($uid{db1});
    my $g = gen($top);
    # the tool's read of the key is answered 2 s late, with the record as
    # it was; meanwhile the node writes the next generation
    $kp->fault({ method => 'GET', path => "keys/$top->{id}\$", delay_ms => 2000,
                 when => 'after', count => 1 });
    my $log = servroot() . '/rename-race.out';
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my ($rc, $out) = tool('rename', '--from', 'db', '--to', 'database');
        Test::Nginx::KMIP::_write_file($log, $out);
        POSIX::_exit($rc);
    }
    my $hit;
    for (1 .. 100) {
        my $f = $kp->_admin('GET', 'faults');
        $f = $f->{faults} if ref $f eq 'HASH';
        $hit = !@{ $f || [] };          # counted down: the tool's GET is held
        last if $hit;
        select undef, undef, undef, 0.05;
    }
    ok($hit, 'the tool is reading');
    op_ok(one('db', 'Add Attribute', ops_uid($uid{db1}),
              a1('x-Race', T('Attribute Value', 'won'))),
          'meanwhile a db client adds an attribute');
    waitpid $pid, 0;
    is($? >> 8, 0, 'the rename succeeds');
    my $out = Test::Nginx::KMIP::_read_file($log) // '';
    like($out, qr/kmip-\Q$uid{db1}\E: g@{[ $g + 1 ]} written meanwhile, read again \(attempt 1\)/,
         'it saw the conflict') or diag($out);
    like($out, qr/kmip-\Q$uid{db1}\E: g@{[ $g + 1 ]} -> g@{[ $g + 2 ]}, scope db -> database/,
         'and wrote after the node\'s generation');

    (my $renamed = $scopes) =~ s/kmip_scope db \{/kmip_scope database {/;
    reconf($renamed);
    my $bi = get_ok('db', $uid{db1});
    op_ok($bi, 'after the reload, the database client Gets it');
    is(material($bi), $key{db1}, 'the same key material');
    $bi = one('db', 'Get Attributes', ops_uid($uid{db1}),
              T('Attribute Name', 'x-Race'));
    my $at = attrs_of($bi);
    is($at->{'x-Race'}, 'won', 'the node\'s attribute is kept');
    not_found('nas', $uid{db1}, 'files, the database\'s object');
    like(live_key($uid{db1})->{description}, qr/, scope database \(ngx_kmip\)$/,
         'Key Protect: scope database');
};

subtest 'rename to default: version 1, no scope; back to how it was' => sub {
    my $before = record_items(live_key($uid{db1})->{id});
    my ($rc, $out) = tool('rename', '--from', 'database', '--to', 'default');
    is($rc, 0, 'exit 0') or diag($out);
    my $top = live_key($uid{db1});
    my $rec = record_items($top->{id});
    is(unpack('x8 N', $rec->{540002}[0]), 1, 'record: Record Version 1');
    ok(!$rec->{540007}, 'no Record Scope');
    like($top->{description}, qr/, generation \d+ \(ngx_kmip\)$/,
         'the description names no scope');
    is_deeply($rec->{420008}, $before->{420008}, 'the attributes, byte for byte');
    is_deeply($rec->{540005}, $before->{540005}, 'the wrapped material too');

    (my $renamed = $scopes) =~ s/kmip_scope database \{/kmip_scope default {/;
    reconf($renamed);
    my $bi = get_ok('db', $uid{db1});
    op_ok($bi, 'the client of the scope now named "default" Gets it');
    is(material($bi), $key{db1}, 'the same key material');

    my $plain = kp_node(name => 'scope-tool-plain');
    ($bi) = op_req($plain->port, '1.4',
                   { operation => 'Get', payload => [ ops_uid($uid{db1}) ] });
    op_ok($bi, 'so does a server without scopes');
    is(material($bi), $key{db1}, '... the same material');
    $plain->stop;
};

subtest 'an alias taken by no writer: that object fails, by name' => sub {
    my $g = gen(live_key($uid{nas2}));
    my $squat = $kp->kp_call('POST', 'keys', {
        metadata => { collectionType => 'application/vnd.ibm.kms.key+json',
                      collectionTotal => 1 },
        resources => [ { type => 'application/vnd.ibm.kms.key+json',
                         name => 'squatter', extractable => JSON::PP::true(),
                         aliases => [ "kmip-$uid{nas2}-g" . ($g + 1) ] } ] });
    is($squat->{status}, 201, 'a key of another name holds the next alias');
    my ($rc, $out) = tool('rename', '--from', 'files', '--to', 'archive');
    is($rc, 1, 'exit 1');
    like($out, qr/kmip-\Q$uid{nas2}\E: not renamed: Key Protect refused g@{[ $g + 1 ]}: POST keys: 409/,
         'the message names the object and the refusal');
    like($out, qr/kmip-\Q$uid{nas1}\E: g\d+ -> g\d+, scope files -> archive/,
         'the other object is renamed');
    like($out, qr/renamed 1 object\(s\) from "files" to "archive", 1 failed/,
         'the summary counts both');
    is(gen(live_key($uid{nas2})), $g, 'the failed one is unchanged');
    # a deleted key keeps its aliases until it is purged: the alias goes
    is($kp->kp_call('DELETE', 'keys/' . $squat->{body}{resources}[0]{id}
                              . "/aliases/kmip-$uid{nas2}-g" . ($g + 1))->{status},
       204, 'the alias is given back');
    ($rc, $out) = tool('rename', '--from', 'files', '--to', 'archive');
    is($rc, 0, 'again: exit 0') or diag($out);
    like($out, qr/renamed 1 object\(s\)/, 'again: the one left');
};

$node->stop;
done_testing;
