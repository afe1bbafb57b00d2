# Client scopes, credentials, the audit log and the metrics over HTTPS
# (ngx_http_kmip_module): one https server with three scopes chosen by the
# verified client certificate, as on the KMIP port (t/460). Two scopes
# cannot reach each other's objects (Get, Locate); a stranger's
# certificate is refused; an operation a scope or a location does not
# allow costs no Key Protect call; the credential of a scope's user is
# checked, a wrong one refused; the audit log and the access log name the
# scope; kmip_https_operations_total counts the HTTPS batch items; a
# multi-part Encrypt runs on one HTTP/1.1 keep-alive or HTTP/2 connection,
# and no other connection, nor another location, can continue it. Real curl, and Python's
# http.client on one kept connection.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use Test::Scopes;
use KMIP::TTLV;
use KMIP::Ops;
use JSON::PP qw(decode_json);
use HTTP::Tiny;
use File::Temp qw(tempdir);
use FindBin;
use IO::Socket::SSL;
use POSIX ();

my $kp = suite_kp();
my $kpconf = $kp->nginx_conf;
my $certs = scope_certs();
my $tmp = tempdir(CLEANUP => 1);

stranger_cert();

Test::Nginx::KMIP::_write_file("$certs/https-scopes.users",
    "dbadmin:{PLAIN}db-secret\nnasuser:{PLAIN}nas-secret\n");
chmod 0600, "$certs/https-scopes.users";

my $node = start_nginx(
    name => 'https-scopes',
    stream_config => <<'EOF',
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT3;
        kmip_metrics;
    }
EOF
    http_config => <<"EOF");
    log_format scope '\$kmip_client_fingerprint scope=\$kmip_client_scope '
                     '\$kmip_operation \$kmip_result';

    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT2 ssl http2;
        ssl_certificate $certs/server.crt;
        ssl_certificate_key $certs/server.key;
        ssl_client_certificate $certs/two-cas.crt;
        ssl_verify_client optional_no_ca;
        access_log logs/access.log scope;

        $kpconf
        kmip_credentials_file $certs/https-scopes.users;
        kmip_audit_log logs/audit.log json;

        kmip_scope vcenter {
            certificate $certs/selfsigned.crt;
            operations "Discover Versions" Query Create Get Locate;
        }
        kmip_scope nas {
            subject "~^CN=kmip-test-client,";
        }
        kmip_scope db {
            issuer "~ngx_kmip other CA";
            user dbadmin;
        }

        location = /kmip {
            kmip;
        }

        location = /other {
            kmip;
        }

        # a location that only reads
        location = /ro {
            kmip;
            kmip_operations "Discover Versions" Get Locate;
        }
    }
EOF

my $port = $node->port2;
my $mport = $node->vars->{TEST_NGINX_PORT3};
my %CERT = (vcenter => 'selfsigned', nas => 'client', db => 'other-client',
            stranger => 'stranger');
my %CRED = (db => [ 'dbadmin', 'db-secret' ], nas => [ 'nasuser', 'nas-secret' ]);
my $seq = 0;

sub spew {
    my ($name, $data) = @_;
    Test::Nginx::KMIP::_write_file("$tmp/$name", $data);
    return "$tmp/$name";
}

sub slurp { Test::Nginx::KMIP::_read_file($_[0]) }

# post($who, $path, $ttlv): (HTTP status, the first batch item) of one
# POST by curl with $who's certificate
sub post {
    my ($who, $path, $body) = @_;
    my $n = ++$seq;
    my $in = spew("in$n", $body);
    my $c = $CERT{$who};
    my $code = `curl -sS --http1.1 --cacert $certs/ca.crt --cert $certs/$c.crt --key $certs/$c.key -o $tmp/out$n -w '%{http_code}' -H 'Content-Type: application/octet-stream' --data-binary \@$in https://127.0.0.1:$port$path 2>&1`;
    my $t = eval { ttlv_decode(slurp("$tmp/out$n")) };
    return ($code, $t ? (kmip_find_all($t, 'Batch Item'))[0] : undef);
}

sub req {
    my ($who, $op, $payload, %o) = @_;
    my $cred = exists $o{credential} ? $o{credential} : $CRED{$who};
    return kmip_request(version => '1.4',
                        ($cred ? (credential => $cred) : ()),
                        items => [ { operation => $op,
                                     payload => $payload } ]);
}

sub one {
    my ($who, $op, @p) = @_;
    my (undef, $bi) = post($who, '/kmip', req($who, $op, [ @p ]));
    return $bi;
}

sub reason { kmip_value($_[0], 'Result Reason') // 0 }

sub create_key {
    my ($who, %o) = @_;
    my (undef, $bi) = post($who, $o{path} // '/kmip', req($who, 'Create', [
        E('Object Type', 'Symmetric Key'),
        tmpl1(a1('Cryptographic Algorithm', E('Cryptographic Algorithm', 'AES')),
              a1('Cryptographic Length', I('Cryptographic Length', 256)),
              a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask', 12)))
    ], %o));
    return $bi;
}

sub locate {
    my ($who) = @_;
    my $bi = one($who, 'Locate');
    op_ok($bi, "$who Locate");
    return { map { $_->{value} => 1 }
             kmip_find_all($bi, 'Response Payload', 'Unique Identifier') };
}

my %uid;
for my $who (qw(nas db)) {
    my $bi = create_key($who);
    op_ok($bi, "$who creates a key over HTTPS");
    $uid{$who} = uid_of($bi);
}
my $missing = '6f1c2a4e-0000-4000-8000-00000000beef';

subtest 'two scopes on one https server cannot reach each other' => sub {
    op_ok(one('nas', 'Get', ops_uid($uid{nas})), 'nas reads its key');
    op_ok(one('db', 'Get', ops_uid($uid{db})), 'db reads its key');
    for my $pair ([ 'nas', 'db' ], [ 'db', 'nas' ]) {
        my ($who, $owner) = @$pair;
        $kp->clear_requests;
        my $none = one($who, 'Get', ops_uid($missing));
        my $calls_none = $kp->count;
        $kp->clear_requests;
        my $other = one($who, 'Get', ops_uid($uid{$owner}));
        my $calls_other = $kp->count;
        is(reason($other), reason($none),
           "$who: Get of $owner\'s key answers as for a missing key");
        ok(reason($other), '... a failure (Item Not Found)');
        is($calls_other, $calls_none,
           "... with as many Key Protect calls ($calls_none)");
    }
    my $nas = locate('nas');
    my $db = locate('db');
    ok($nas->{$uid{nas}} && !$nas->{$uid{db}},
       'nas Locate: its key, not the database\'s');
    ok($db->{$uid{db}} && !$db->{$uid{nas}},
       'db Locate: its key, not the NAS\'s');
    is(scalar(grep { $db->{$_} } keys %$nas), 0, 'no object in both');
};

subtest 'a stranger is refused; vCenter lands in its pinned scope' => sub {
    my ($code, $bi) = post('stranger', '/kmip',
        req('stranger', 'Query', [ E('Query Function', 'Query Operations') ]));
    is($code, 200, 'a KMIP answer (HTTP 200)');
    is(reason($bi), 0x0c, 'Permission Denied');
    like(kmip_value($bi, 'Result Message') // '', qr/no kmip_scope/,
         '... because the certificate is in no scope');
    like($node->error_log_text,
         qr/client certificate in no kmip_scope: sha256 [0-9a-f]{64}, subject "CN=stranger/,
         'the refusal is logged with the certificate');
    op_ok(one('vcenter', 'Discover Versions'), 'vCenter: Discover Versions');
};

subtest 'refused operations cost no Key Protect call' => sub {
    $kp->clear_requests;
    my $bi = one('vcenter', 'Destroy', ops_uid($uid{nas}));
    ok(reason($bi), 'vCenter\'s scope has no Destroy: refused ('
                    . sprintf('0x%x', reason($bi)) . ')');
    $bi = create_key('nas', path => '/ro');
    ok(reason($bi), 'Create in the read-only location: refused ('
                    . sprintf('0x%x', reason($bi)) . ')');
    $bi = one('stranger', 'Get', ops_uid($uid{nas}));
    is(reason($bi), 0x0c, 'the stranger\'s Get: Permission Denied');
    is($kp->count, 0, 'no Key Protect call for any of them');
    my (undef, $ro) = post('nas', '/ro', req('nas', 'Get', [ ops_uid($uid{nas}) ]));
    op_ok($ro, 'a Get in the read-only location runs');
};

subtest 'kmip_credentials_file over HTTPS' => sub {
    op_ok(create_key('db'), 'the right password: Create runs');
    my $bi = create_key('db', credential => [ 'dbadmin', 'wrong' ]);
    is(reason($bi), 0x0c, 'a wrong password: Permission Denied');
    like(kmip_value($bi, 'Result Message') // '', qr/not accepted/,
         '... the credential was not accepted');
    like($node->error_log_text, qr/credential refused for user "dbadmin"/,
         'the refusal is logged, with the user');
    $bi = create_key('db', credential => [ 'nasuser', 'nas-secret' ]);
    is(reason($bi), 0x0c, 'another scope\'s user: Permission Denied');
    like(kmip_value($bi, 'Result Message') // '', qr/not in the client's scope/,
         '... not in the client\'s scope');
    $bi = create_key('db', credential => undef);
    is(reason($bi), 0x0c, 'no credential: Create refused (anonymous)');
    op_ok(one('db', 'Discover Versions', ), 'no credential: Discover Versions runs');
};

# ---- multi-part operations live on the TLS connection

sub gcm_params { S('Cryptographic Parameters', [
    E('Block Cipher Mode', 'GCM'), I('Tag Length', 16) ]) }
sub out { kmip_value($_[0], 'Response Payload', $_[1]) }

my $iv = 'n' x 12;
my ($pt1, $pt2) = ('first part of it, ', 'and the final part');

sub enc_init {
    return req('nas', 'Encrypt', [ ops_uid($uid{nas}), gcm_params(),
        B('IV/Counter/Nonce', $iv), B('Data', $pt1),
        BOOL('Init Indicator', 1) ]);
}

sub enc_final {
    return req('nas', 'Encrypt', [ B('Correlation Value', $_[0]),
        B('Data', $pt2), BOOL('Final Indicator', 1) ]);
}

# one HTTP/1.1 keep-alive connection: post() on it returns the batch item
sub h1_conn {
    my $c = $CERT{$_[0]};
    my $s = IO::Socket::SSL->new(PeerHost => '127.0.0.1', PeerPort => $port,
        SSL_ca_file => "$certs/ca.crt", SSL_cert_file => "$certs/$c.crt",
        SSL_key_file => "$certs/$c.key", SSL_verifycn_name => 'localhost',
        SSL_verify_mode => 0, Timeout => 10) or die "connect: $SSL_ERROR";
    return sub {
        my ($body, $path) = @_;
        $path //= '/kmip';
        print $s "POST $path HTTP/1.1\r\nHost: localhost\r\n"
                 . "Content-Type: application/octet-stream\r\n"
                 . "Content-Length: " . length($body) . "\r\n\r\n$body";
        my ($head, $line) = ('', '');
        while (defined($line = <$s>)) {
            last if $line eq "\r\n";
            $head .= $line;
        }
        my ($len) = $head =~ /^content-length:\s*(\d+)/mi;
        my $data = '';
        read($s, $data, $len // 0);
        return (kmip_find_all(ttlv_decode($data), 'Batch Item'))[0];
    };
}

subtest 'multi-part Encrypt on one HTTP/1.1 keep-alive connection' => sub {
    op_ok(one('nas', 'Activate', ops_uid($uid{nas})), 'the NAS\'s key activated');
    my $single = one('nas', 'Encrypt', ops_uid($uid{nas}), gcm_params(),
                     B('IV/Counter/Nonce', $iv), B('Data', $pt1 . $pt2));
    op_ok($single, 'the single-part Encrypt');
    my $h1 = h1_conn('nas');
    my $init = $h1->(enc_init());
    op_ok($init, 'Init');
    my $cv = out($init, 'Correlation Value');
    ok(defined $cv, 'a Correlation Value');

    # another connection of the same client cannot continue it
    my $elsewhere = one('nas', 'Encrypt', B('Correlation Value', $cv),
                        B('Data', $pt2), BOOL('Final Indicator', 1));
    ok(reason($elsewhere), 'not on another connection ('
       . sprintf('0x%x', reason($elsewhere)) . ')');

    # nor another location on the same connection
    my $other = $h1->(enc_final($cv), '/other');
    ok(reason($other), 'not in another location ('
       . sprintf('0x%x', reason($other)) . ')');

    my $final = $h1->(enc_final($cv));
    op_ok($final, 'Final, on the same connection');
    is(unpack('H*', (out($init, 'Data') // '') . (out($final, 'Data') // '')
                    . (out($final, 'Authenticated Encryption Tag') // '')),
       unpack('H*', out($single, 'Data')
                    . (out($single, 'Authenticated Encryption Tag') // '')),
       'the parts encrypt as the whole');
};

subtest 'multi-part Encrypt on one HTTP/2 connection' => sub {
    # curl runs its transfers one after the other on one connection; the
    # second one's body comes from a pipe, written once the first answer
    # (and its Correlation Value) is in
    my $fifo = "$tmp/final.fifo";
    POSIX::mkfifo($fifo, 0600) or die "mkfifo: $!";
    my $in = spew('h2-init', enc_init());
    my $c = $CERT{nas};
    my @tls = ('--cacert', "$certs/ca.crt", '--cert', "$certs/$c.crt",
               '--key', "$certs/$c.key", '-H',
               'Content-Type: application/octet-stream');
    my $pid = open(my $curl, '-|', 'curl', '-sS', '--http2', @tls,
        '-o', "$tmp/h2-0", '-w', '%{http_version} %{num_connects}\n',
        '--data-binary', "\@$in", "https://127.0.0.1:$port/kmip",
        '--next', '--http2', @tls, '-X', 'POST', '-T', $fifo,
        '-o', "$tmp/h2-1", '-w', '%{http_version} %{num_connects}\n',
        "https://127.0.0.1:$port/kmip") or die "curl: $!";
    my $init;
    for (1 .. 100) {
        $init = eval { (kmip_find_all(ttlv_decode(slurp("$tmp/h2-0")),
                                      'Batch Item'))[0] };
        last if $init;
        select(undef, undef, undef, 0.05);
    }
    op_ok($init, 'Init');
    open my $w, '>:raw', $fifo or die "$fifo: $!";
    print $w enc_final(out($init, 'Correlation Value') // '');
    close $w;
    my @lines = <$curl>;
    close $curl;
    is_deeply([ map { (split ' ')[0] } @lines ], [ 2, 2 ], 'both over HTTP/2')
        or diag(@lines);
    is((split ' ', $lines[1] // '')[1], 0, 'the second on the same connection');
    my $final = (kmip_find_all(ttlv_decode(slurp("$tmp/h2-1")),
                               'Batch Item'))[0];
    op_ok($final, 'Final, on the same HTTP/2 connection');
    ok(out($final, 'Authenticated Encryption Tag'), 'with the tag');
};

subtest 'http.client: a scope on one kept connection' => sub {
    mkdir "$tmp/py";
    my $loc = spew('py-locate', req('db', 'Locate', []));
    my $get = spew('py-get', req('db', 'Get', [ ops_uid($uid{nas}) ]));
    my @lines = `/usr/bin/python3 $FindBin::Bin/lib/kmip_https_client.py $port $certs/other-client.crt $certs/other-client.key $certs/ca.crt $tmp/py /kmip:application/octet-stream:$loc /kmip:application/octet-stream:$get 2>&1`;
    is(scalar @lines, 2, 'two answers') or diag(@lines);
    my @f = map { [ split ' ' ] } @lines;
    is(scalar(keys %{{ map { $_->[4] => 1 } @f }}), 1, 'one connection');
    my $l = (kmip_find_all(ttlv_decode(slurp("$tmp/py/0.body")), 'Batch Item'))[0];
    my %seen = map { $_->{value} => 1 }
               kmip_find_all($l, 'Response Payload', 'Unique Identifier');
    ok($seen{$uid{db}} && !$seen{$uid{nas}}, 'Locate: the database\'s keys only');
    my $g = (kmip_find_all(ttlv_decode(slurp("$tmp/py/1.body")), 'Batch Item'))[0];
    ok(reason($g), 'Get of the NAS\'s key: not found');
};

subtest 'the audit log and the access log show the scope' => sub {
    my @audit = map { decode_json($_) }
                split /\n/, slurp($node->log_path('audit.log'));
    ok(scalar @audit, scalar(@audit) . ' audit lines');
    is(scalar(grep { ($_->{transport} // '') ne 'https' } @audit), 0,
       'every line says "transport":"https"');
    ok((grep { $_->{client_scope} eq 'nas' && $_->{operation} eq 'Create' }
        @audit), 'the NAS\'s Create, in scope nas');
    ok((grep { $_->{client_scope} eq 'db' && $_->{operation} eq 'Create'
               && $_->{result} eq 'Success' } @audit),
       'the database\'s Create, in scope db');
    ok((grep { $_->{client_scope} eq 'db' && $_->{operation} eq 'Get'
               && $_->{other_scope} } @audit),
       'the database\'s Get of the NAS\'s key is marked other_scope');
    ok((grep { $_->{client_subject} =~ /CN=kmip-other-client/ } @audit),
       'the client\'s subject');
    my $log = slurp($node->log_path('access.log'));
    like($log, qr/ scope=nas Create Success$/m, 'access log: scope=nas');
    like($log, qr/ scope=db Get /m, 'access log: scope=db');
    like($log, qr/ scope=vcenter Discover/m, 'access log: scope=vcenter');
    like($log, qr/ scope=- Query PermissionDenied$/m,
         'access log: the stranger has no scope');
};

subtest 'kmip_metrics counts the HTTPS operations' => sub {
    my $h = HTTP::Tiny->new(timeout => 5)->get("http://127.0.0.1:$mport/");
    is($h->{status}, 200, 'metrics: HTTP 200');
    my $m = $h->{content};
    my ($creates) = $m =~ /^kmip_https_operations_total\{operation="Create",result="Success"\} (\d+)$/m;
    is($creates, 3, 'three Creates over HTTPS');
    my ($all) = $m =~ /^kmip_operations_total\{operation="Create",result="Success"\} (\d+)$/m;
    is($all, 3, 'counted in kmip_operations_total too');
    like($m, qr/^kmip_https_operations_total\{operation="Get",result="ItemNotFound"\} \d+$/m,
         'the other scope\'s Gets, as not found');
    like($m, qr/^kmip_https_operations_total\{operation="Destroy",result="PermissionDenied"\} 1$/m,
         'the operation vCenter\'s scope does not allow');
    # a request refused as a whole (a certificate in no scope, a wrong
    # credential) runs no batch item: it is in the error log and the
    # access log, not in the item counts, as on the KMIP port
};

$node->stop;
done_testing();
