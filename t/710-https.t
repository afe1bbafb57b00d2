# KMIP over HTTPS (ngx_http_kmip_module): a location with
# "kmip;" answers POSTed requests in TTLV, JSON and XML, in the request's
# encoding, over HTTP/1.1 keep-alive and HTTP/2, with real TLS and client
# certificates, against the Key Protect emulator; the OASIS MSGENC cases;
# the HTTP refusals (method, media type, size, a slow body); a pinned
# certificate; and one nginx serving the stream port and the https
# location against one Key Protect: a key created over TTLV on 5696 is
# read back as JSON over HTTPS, then from the key cache zone both share.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use KMIP::Ops;
use KMIP::Conformance ();
use JSON::PP;
use IO::Socket::SSL;
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);
use FindBin;

my $certs = cert_dir();
Test::Nginx::KMIP::_ensure_certs();
my $kp = suite_kp();
my $kpconf = $kp->nginx_conf;
my $tmp = tempdir(CLEANUP => 1);
my $cases = $ENV{KMIP_TESTCASES} // "$FindBin::Bin/../../shared/kmip/testcases";
$cases = '/work/shared/kmip/testcases' unless -d $cases;

my $node = start_nginx(
    stream_server_config => "kmip;\n    $kpconf\n"
                          . "    kmip_key_cache zone=shared:1m ttl=60s;",
    http_config => <<"EOF");
    log_format kmip '\$request_method \$status \$kmip_encoding '
                    '\$kmip_operation \$kmip_result '
                    '\$kmip_client_fingerprint \$kmip_correlation';

    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT2 ssl http2;
        ssl_certificate $certs/server.crt;
        ssl_certificate_key $certs/server.key;
        ssl_client_certificate $certs/ca.crt;
        ssl_verify_client on;
        client_body_timeout 1s;
        access_log logs/kmip.log kmip;

        $kpconf
        kmip_key_cache zone=shared:1m ttl=60s;

        location = /kmip {
            kmip;
        }

        location = /small {
            kmip;
            kmip_max_message_size 1k;
        }

        location = /nocache {
            kmip;
            kmip_key_cache off;
        }

        location = /pinned {
            kmip;
            kmip_allowed_client_certificate $certs/selfsigned.crt;
        }
    }

    # vCenter's way: a self-signed certificate, pinned, not chain-verified
    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT3 ssl;
        ssl_certificate $certs/server.crt;
        ssl_certificate_key $certs/server.key;
        ssl_verify_client optional_no_ca;

        location = /kmip {
            kmip;
            kmip_allowed_client_certificate $certs/selfsigned.crt;
        }
    }

    # a kmip location that a listen without "ssl" reaches: refused
    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT4;
        ssl_verify_client on;
        ssl_client_certificate $certs/ca.crt;

        location = /kmip {
            kmip;
        }
    }
EOF

my $port = $node->port2;
my $url = "https://127.0.0.1:$port";
my @tls = ('--cacert', "$certs/ca.crt", '--cert', "$certs/client.crt",
           '--key', "$certs/client.key");
my %type = (ttlv => 'application/octet-stream', json => 'application/json',
            xml => 'text/xml');

sub slurp {
    return '' unless -e $_[0];      # curl writes no file for a dead transfer
    local (@ARGV, $/) = @_;
    my $d = <>;
    return $d // '';
}

sub spew {
    my ($name, $data) = @_;
    my $f = "$tmp/$name";
    open my $fh, '>:raw', $f or die "$f: $!";
    print $fh $data;
    close $fh;
    return $f;
}

my $seq = 0;

# curl(\@extra, [path, type, body]...) -> list of { status, type, body,
# version, connects }
sub curl {
    my ($extra, @reqs) = @_;
    my @args = ('curl', '-sS', @tls, @$extra);
    my @out;
    for my $i (0 .. $#reqs) {
        my ($path, $ct, $body) = @{ $reqs[$i] };
        my $n = ++$seq;
        push @args, '--next', @tls, @$extra if $i;
        push @args, '-o', "$tmp/out$n", '-D', "$tmp/hdr$n",
            '-w', '%{http_code} %{http_version} %{num_connects}\n';
        if (defined $body) {
            push @args, '-H', "Content-Type: $ct",
                '--data-binary', '@' . spew("in$n", $body);
        }
        push @args, "$url$path";
        push @out, $n;
    }
    open my $fh, '-|', @args or die "curl: $!";
    my @lines = <$fh>;
    close $fh;
    my @res;
    for my $i (0 .. $#out) {
        my ($code, $ver, $conn) = split ' ', ($lines[$i] // '');
        my $h = slurp("$tmp/hdr$out[$i]");
        my ($ct) = $h =~ /^content-type:\s*([^\r\n]*)/mi;
        push @res, { status => $code // 0, version => $ver, connects => $conn,
                     type => $ct // '', body => slurp("$tmp/out$out[$i]"),
                     headers => $h };
    }
    return @res;
}

# ---- the three encodings of one message

sub dv_ttlv {
    my ($v) = @_;
    return kmip_request(version => $v // '1.4',
                        items => [ { operation => 'Discover Versions',
                                     payload => [] } ]);
}

# the first request message of an OASIS case, parsed
sub case_requests {
    my ($file) = @_;
    my @els = KMIP::Conformance::parse_xml(slurp($file));
    my ($kmip) = grep { $_->{name} eq 'KMIP' } @els;
    return grep { $_->{name} eq 'RequestMessage' }
           @{ ($kmip // { kids => \@els })->{kids} };
}

sub el_xml {
    my ($el, $ind) = @_;
    $ind //= '';
    my $a = join '', map { my $v = $el->{attr}{$_};
                           $v =~ s/&/&amp;/g; $v =~ s/"/&quot;/g;
                           $v =~ s/</&lt;/g; qq{ $_="$v"} }
                     grep { defined $el->{attr}{$_} } qw(type value);
    return "$ind<$el->{name}$a/>\n" unless @{ $el->{kids} };
    return "$ind<$el->{name}$a>\n"
        . join('', map { el_xml($_, "$ind  ") } @{ $el->{kids} })
        . "$ind</$el->{name}>\n";
}

sub el_json_value {
    my ($el) = @_;
    my %o = (tag => $el->{name});
    my $t = $el->{attr}{type};
    if (!defined $t || $t eq 'Structure') {
        $o{value} = [ map { el_json_value($_) } @{ $el->{kids} } ];
        return \%o;
    }
    $o{type} = $t;
    my $v = $el->{attr}{value};
    if ($t eq 'Integer' && $v =~ /^-?\d+$/) { $o{value} = $v + 0 }
    elsif ($t eq 'Boolean') { $o{value} = $v eq 'true' ? JSON::PP::true
                                                       : JSON::PP::false }
    else { $o{value} = $v }
    return \%o;
}

sub el_json { JSON::PP->new->canonical->encode(el_json_value($_[0])) }

sub el_ttlv {
    my ($el) = @_;
    return ttlv_encode(KMIP::Conformance::xml_to_item($el, { bind => {} },
                                                      'request', []));
}

# items of a JSON answer by tag, depth first
sub json_find {
    my ($o, $tag) = @_;
    my @r;
    push @r, $o if ref $o eq 'HASH' && ($o->{tag} // '') eq $tag;
    if (ref $o eq 'HASH' && ref $o->{value} eq 'ARRAY') {
        push @r, json_find($_, $tag) for @{ $o->{value} };
    }
    return @r;
}

sub json_value {
    my ($body, $tag) = @_;
    my $o = eval { decode_json($body) } or return undef;
    my ($i) = json_find($o, $tag);
    return $i ? $i->{value} : undef;
}

# the access log line is written once the answer is sent: it may come a
# moment after the client has read the answer (under valgrind, a long one)
sub kmip_log_like {
    my ($re, $name) = @_;
    my $end = time + 10;
    my $log;
    while (1) {
        $log = slurp($node->log_path('kmip.log'));
        last if $log =~ $re || time > $end;
        sleep 0.1;
    }
    like($log, $re, $name);
}

sub ttlv_batch {
    my ($body) = @_;
    my $t = eval { ttlv_decode($body) } or return undef;
    return (kmip_find_all($t, 'Batch Item'))[0];
}

# ---------------------------------------------------------------- TTLV

subtest 'TTLV over HTTP/1.1: Discover Versions' => sub {
    my ($r) = curl(['--http1.1'], ['/kmip', $type{ttlv}, dv_ttlv('1.4')]);
    is($r->{status}, 200, 'status 200');
    is($r->{version}, '1.1', 'HTTP/1.1');
    is($r->{type}, 'application/octet-stream', 'answered in TTLV');
    like($r->{headers}, qr/^cache-control: no-store/mi, 'never cached');
    my $bi = ttlv_batch($r->{body});
    ok($bi, 'a TTLV Response Message') or return;
    is(kmip_value($bi, 'Result Status'), 0, 'Success');
    is(kmip_value($bi, 'Operation'), kmip_operation('Discover Versions'),
       'Discover Versions');
};

subtest 'HTTP/1.1 keep-alive: three requests, one connection' => sub {
    my @r = curl(['--http1.1'],
                 map { ['/kmip', $type{ttlv}, dv_ttlv('2.1')] } 1 .. 3);
    is_deeply([ map { $_->{version} } @r ], [ ('1.1') x 3 ], 'HTTP/1.1');
    is_deeply([ map { $_->{status} } @r ], [200, 200, 200], 'three times status 200');
    is_deeply([ map { $_->{connects} } @r ], [1, 0, 0],
              'one connection for the three');
};

subtest 'HTTP/2: TTLV and JSON on one connection' => sub {
    my ($dvj) = case_requests("$cases/v2.1/mandatory/MSGENC-JSON-M-1-21.xml");
    my @r = curl(['--http2'], ['/kmip', $type{ttlv}, dv_ttlv('2.1')],
                 ['/kmip', $type{json}, el_json($dvj)]);
    is_deeply([ map { $_->{version} } @r ], ['2', '2'], 'HTTP/2');
    is_deeply([ map { $_->{status} } @r ], [200, 200], 'both status 200');
    is_deeply([ map { $_->{connects} } @r ], [1, 0], 'one connection');
    is(kmip_value(ttlv_batch($r[0]{body}), 'Result Status'), 0, 'TTLV ok');
    is($r[1]{type}, 'application/json', 'answered in JSON');
};

# ---------------------------------------------------------------- MSGENC

for my $v ('1-14', '1-21') {
    my $dir = $v eq '1-14' ? 'v1.4' : 'v2.1';
    subtest "MSGENC-HTTPS-M-$v: TTLV bodies, Maximum Response Size" => sub {
        my @req = case_requests("$cases/$dir/mandatory/MSGENC-HTTPS-M-$v.xml");
        is(scalar @req, 2, 'the case has two requests');
        my @r = curl([], map { ['/kmip', $type{ttlv}, el_ttlv($_)] } @req);
        my @bi = map { ttlv_batch($_->{body}) } @r;
        is(kmip_value($bi[0], 'Result Reason'),
           kmip_enum('Result Reason', 'Response Too Large'),
           'step 0: Response Too Large');
        is(kmip_value($bi[1], 'Result Status'), 0, 'step 1: Success');
    };

    subtest "MSGENC-JSON-M-$v: JSON bodies" => sub {
        my @req = case_requests("$cases/$dir/mandatory/MSGENC-JSON-M-$v.xml");
        my @r = curl([], map { ['/kmip', $type{json}, el_json($_)] } @req);
        is_deeply([ map { $_->{type} } @r ],
                  [ ('application/json') x 2 ], 'answered in JSON');
        is(json_value($r[0]{body}, 'ResultReason'), 'ResponseTooLarge',
           'step 0: ResponseTooLarge');
        is(json_value($r[1]{body}, 'ResultStatus'), 'Success',
           'step 1: Success');
        my $o = decode_json($r[1]{body});
        ok(scalar(json_find($o, 'Operation')) > 10, 'the operations listed');
    };

    subtest "MSGENC-XML-M-$v: XML bodies" => sub {
        my @req = case_requests("$cases/$dir/mandatory/MSGENC-XML-M-$v.xml");
        my @r = curl([], map { ['/kmip', $type{xml}, el_xml($_)] } @req);
        is_deeply([ map { $_->{type} } @r ], [ ('text/xml') x 2 ],
                  'answered in XML');
        like($r[0]{body},
             qr{<ResultReason type="Enumeration" value="ResponseTooLarge"/>},
             'step 0: ResponseTooLarge');
        like($r[1]{body},
             qr{<ResultStatus type="Enumeration" value="Success"/>},
             'step 1: Success');
        my @again = eval { KMIP::Conformance::parse_xml($r[1]{body}) };
        is(scalar(@again), 1, 'one well-formed ResponseMessage')
            or diag($@);
    };
}

# ---------------------------------------------------------------- Python

subtest 'http.client: TTLV, JSON and XML on one kept connection' => sub {
    my ($dv) = case_requests("$cases/v1.4/mandatory/MSGENC-XML-M-1-14.xml");
    my @files = (spew('py.ttlv', dv_ttlv('1.4')), spew('py.json', el_json($dv)),
                 spew('py.xml', el_xml($dv)));
    mkdir "$tmp/py";
    my @cmd = ('/usr/bin/python3', "$FindBin::Bin/lib/kmip_https_client.py",
               $port, "$certs/client.crt", "$certs/client.key",
               "$certs/ca.crt", "$tmp/py",
               "/kmip:$type{ttlv}:$files[0]", "/kmip:$type{json}:$files[1]",
               "/kmip:$type{xml}:$files[2]");
    my @lines = `@cmd 2>&1`;
    is(scalar @lines, 3, 'three answers') or diag(@lines);
    my @f = map { [ split ' ' ] } @lines;
    is_deeply([ map { $_->[1] } @f ], [200, 200, 200], 'three times status 200');
    is_deeply([ map { $_->[2] } @f ],
              [ @type{qw(ttlv json xml)} ], 'each in its own encoding');
    is(scalar(keys %{{ map { $_->[4] => 1 } @f }}), 1,
       'one connection (one local port)');
    is(kmip_value(ttlv_batch(slurp("$tmp/py/0.body")), 'Result Status'), 0,
       'TTLV Success');
    like(slurp("$tmp/py/1.body"), qr/"ResultStatus"/, 'JSON answer');
    like(slurp("$tmp/py/2.body"), qr/<ResponseMessage>/, 'XML answer');
};

# ---------------------------------------------------------------- refusals

subtest 'HTTP refusals: method, media type, size' => sub {
    my ($get) = curl([], ['/kmip']);
    is($get->{status}, 405, 'GET: 405');
    like($get->{headers}, qr/^allow: POST/mi, 'Allow: POST');

    my ($bad) = curl([], ['/kmip', 'text/plain', dv_ttlv()]);
    is($bad->{status}, 415, 'text/plain: 415');

    my ($esc) = curl([], ['/kmip', "text/x\x1b[2Jforged", dv_ttlv()]);
    is($esc->{status}, 415, 'a Content-Type with a control character: 415');
    # (nginx's own debug lines print headers as they came)
    my ($line) = $node->error_log_text
                 =~ /^(.*kmip: request of unsupported Content-Type.*forged.*)$/m;
    ok($line && $line !~ /\x1b/,
       'our line has the client\'s Content-Type made printable')
        or diag($line);

    my ($none) = curl(['-H', 'Content-Type:'], ['/kmip', '', dv_ttlv()]);
    is($none->{status}, 415, 'no Content-Type: 415');

    my ($param) = curl([], ['/kmip', 'application/json; charset=utf-8',
        '{"tag":"RequestMessage","value":[]}']);
    is($param->{status}, 200, 'a charset parameter is fine');

    my $big = dv_ttlv() . ("\0" x 2048);
    my ($len) = curl([], ['/small', $type{ttlv}, $big]);
    is($len->{status}, 413, 'Content-Length over kmip_max_message_size: 413');

    my ($chunked) = curl(['-H', 'Transfer-Encoding: chunked'],
                         ['/small', $type{ttlv}, $big]);
    is($chunked->{status}, 413, 'chunked over kmip_max_message_size: 413');

    my ($h2) = curl(['--http2'], ['/small', $type{ttlv}, $big]);
    is($h2->{status}, 413, 'HTTP/2 over kmip_max_message_size: 413');

    my ($fits) = curl([], ['/small', $type{ttlv}, dv_ttlv()]);
    is($fits->{status}, 200, 'within it: 200');
    ok(!glob($node->prefix . '/client_body_temp/*/*')
       && !glob($node->prefix . '/client_body_temp/*'),
       'no body ever reached client_body_temp');
};

subtest 'unparsable bodies: Invalid Message in the request encoding' => sub {
    my ($t) = curl([], ['/kmip', $type{ttlv}, "\x42\x00\x78\x01garbage!"]);
    is($t->{status}, 200, 'TTLV garbage: status 200');
    my $bi = ttlv_batch($t->{body});
    is(kmip_value($bi, 'Result Reason'),
       kmip_enum('Result Reason', 'Invalid Message'), 'Invalid Message');

    my ($j) = curl([], ['/kmip', $type{json}, '{"tag": "RequestMessage", ']);
    is($j->{status}, 200, 'JSON garbage: 200');
    is($j->{type}, 'application/json', 'in JSON');
    is(json_value($j->{body}, 'ResultReason'), 'InvalidMessage',
       'InvalidMessage');

    my ($x) = curl([], ['/kmip', $type{xml},
        '<!DOCTYPE x [<!ENTITY a "b">]><RequestMessage>&a;</RequestMessage>']);
    is($x->{status}, 200, 'XML with a DTD: 200');
    like($x->{body}, qr{value="InvalidMessage"}, 'InvalidMessage, in XML');

    my ($e) = curl([], ['/kmip', $type{json}, '']);
    like($e->{body}, qr/InvalidMessage/, 'an empty body too');
    like($node->error_log_text, qr/kmip: client sent invalid json/,
         'logged at info');
    kmip_log_like(qr/^POST 200 json - InvalidMessage [0-9a-f]{64} /m,
                  'access log: the client is known even when its body is not');
};

subtest 'a client certificate not pinned: Permission Denied' => sub {
    my ($r) = curl([], ['/pinned', $type{ttlv}, dv_ttlv('1.4')]);
    is($r->{status}, 200, 'status 200');
    my $bi = ttlv_batch($r->{body});
    is(kmip_value($bi, 'Result Reason'),
       kmip_enum('Result Reason', 'Permission Denied'), 'Permission Denied');
    like($node->error_log_text,
         qr/kmip: client certificate not allowed: sha256 [0-9a-f]{64}/,
         'the refusal logged with the fingerprint');
    my ($ok) = curl([], ['/kmip', $type{ttlv}, dv_ttlv('1.4')]);
    is(kmip_value(ttlv_batch($ok->{body}), 'Result Status'), 0,
       'the same client elsewhere: Success');
};

subtest 'pinned self-signed certificates with optional_no_ca' => sub {
    my $p3 = "https://127.0.0.1:" . $node->vars->{TEST_NGINX_PORT3} . '/kmip';
    my $run = sub {
        my (@cert) = @_;
        my $out = `curl -sS --cacert $certs/ca.crt @cert -H 'Content-Type: application/octet-stream' --data-binary \@$tmp/dv.ttlv -o $tmp/p3.out -w '%{http_code}' $p3`;
        my $bi = ttlv_batch(slurp("$tmp/p3.out"));
        return ($out, $bi ? kmip_value($bi, 'Result Reason') // 'ok' : 'none');
    };
    spew('dv.ttlv', dv_ttlv('1.4'));
    my ($code, $why) = $run->('--cert', "$certs/selfsigned.crt",
                              '--key', "$certs/selfsigned.key");
    is("$code $why", '200 ok', 'the pinned self-signed certificate: Success');
    ($code, $why) = $run->('--cert', "$certs/client.crt",
                           '--key', "$certs/client.key");
    is("$code $why", '200 ' . kmip_enum('Result Reason', 'Permission Denied'),
       'a CA-signed certificate not pinned: Permission Denied');
    ($code, $why) = $run->();
    is("$code $why", '200 ' . kmip_enum('Result Reason', 'Permission Denied'),
       'no certificate: Permission Denied');
};

subtest 'a kmip location reached without TLS: 403' => sub {
    my $p4 = "http://127.0.0.1:" . $node->vars->{TEST_NGINX_PORT4} . '/kmip';
    my $code = `curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/octet-stream' --data-binary x $p4`;
    is($code, '403', 'refused');
    like($node->error_log_text, qr/kmip: request without TLS refused/,
         'logged');
};

subtest 'a chunked body in pieces, a moment apart' => sub {
    my $s = IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1', PeerPort => $port,
        SSL_ca_file => "$certs/ca.crt", SSL_cert_file => "$certs/client.crt",
        SSL_key_file => "$certs/client.key", SSL_verifycn_scheme => 'none',
        SSL_hostname => 'localhost') or die "connect: $SSL_ERROR";
    my ($dv) = case_requests("$cases/v1.4/mandatory/MSGENC-JSON-M-1-14.xml");
    # a valid JSON message padded with white space, sent in four chunks
    my $body = el_json($dv);
    $body =~ s/,/, /g for 1 .. 3;
    my $q = int(length($body) / 4);
    my @parts = (substr($body, 0, $q), substr($body, $q, $q),
                 substr($body, 2 * $q, $q), substr($body, 3 * $q));
    print $s "POST /kmip HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n";
    for my $part (@parts) {
        printf $s "%x\r\n%s\r\n", length $part, $part;
        sleep 0.2;
    }
    print $s "0\r\n\r\n";
    my $buf = '';
    my $t0 = time;
    while ($buf !~ /\r\n\r\n/ || length($buf) < 200) {
        my $n = sysread($s, my $chunk, 65536);
        last unless $n;
        $buf .= $chunk;
        last if time - $t0 > 10 || $buf =~ /"BatchItem".*\]\}\]\}$/s;
    }
    like($buf, qr{^HTTP/1\.1 200 }, 'status 200');
    like($buf, qr/"ResultReason","type":"Enumeration","value":"ResponseTooLarge"/,
         'the message read whole: its step 0 answer (Response Too Large)');
    close $s;
};

subtest 'a slow body is cut by client_body_timeout' => sub {
    my $s = IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1', PeerPort => $port,
        SSL_ca_file => "$certs/ca.crt", SSL_cert_file => "$certs/client.crt",
        SSL_key_file => "$certs/client.key", SSL_verifycn_scheme => 'none',
        SSL_hostname => 'localhost') or die "connect: $SSL_ERROR";
    my $body = dv_ttlv('1.4');
    print $s "POST /kmip HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/octet-stream\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n"
        . substr($body, 0, 10);
    my $t0 = time;
    my $buf = '';
    while (1) {
        my $n = sysread($s, my $chunk, 4096);
        last unless $n;
        $buf .= $chunk;
        last if time - $t0 > 10;
    }
    my $dt = time - $t0;
    ok($dt >= 0.8 && $dt < 5, sprintf('closed after %.1f s', $dt));
    unlike($buf, qr/ResponseMessage|\x42\x00\x7b/, 'nothing answered');
    sleep 0.3;
    kmip_log_like(qr/^POST 408 ttlv /m, 'access log: 408');
};

# ---------------------------------------------------------------- both ports

subtest 'one nginx, one Key Protect: created over 5696, read as JSON' => sub {
    my ($bi) = op_req($node->port, '1.4', create_aes('1.4', 256));
    op_ok($bi, 'Create over the stream port');
    my $uid = uid_of($bi);
    my ($got) = op_req($node->port, '1.4',
                       { operation => 'Get', payload => [ ops_uid($uid) ] });
    my $km = kmip_value($got, 'Response Payload', 'Symmetric Key',
                        'Key Block', 'Key Value', 'Key Material');
    is(length $km, 32, 'its key over TTLV');

    my $get = encode_json({ tag => 'RequestMessage', value => [
        { tag => 'RequestHeader', value => [
            { tag => 'ProtocolVersion', value => [
                { tag => 'ProtocolVersionMajor', type => 'Integer',
                  value => 1 },
                { tag => 'ProtocolVersionMinor', type => 'Integer',
                  value => 4 } ] },
            { tag => 'BatchCount', type => 'Integer', value => 1 } ] },
        { tag => 'BatchItem', value => [
            { tag => 'Operation', type => 'Enumeration', value => 'Get' },
            { tag => 'RequestPayload', value => [
                { tag => 'UniqueIdentifier', type => 'TextString',
                  value => $uid } ] } ] } ] });
    my ($r) = curl([], ['/kmip', $type{json}, $get]);
    is($r->{status}, 200, 'status 200');
    is(json_value($r->{body}, 'ResultStatus'), 'Success', 'Get: Success');
    is(lc(json_value($r->{body}, 'KeyMaterial') // ''), unpack('H*', $km),
       'the same key material, in hex');
    kmip_log_like(qr/^POST 200 json Get Success [0-9a-f]{64} \S+$/m,
                  'access log: encoding, operation, result, fingerprint');
    unlike($node->error_log_text, qr/\Q${\ unpack('H*', $km)}\E/i,
           'the key is in no log line');

    # the stream Gets cached the object (the first wrote Fresh = False,
    # which dropped the entry; the second cached it again): the https
    # location reads the same kmip_key_cache zone, with no Key Protect call
    op_req($node->port, '1.4', { operation => 'Get',
                                 payload => [ ops_uid($uid) ] });
    $kp->clear_requests;
    ($r) = curl([], ['/kmip', $type{json}, $get]);
    is(lc(json_value($r->{body}, 'KeyMaterial') // ''), unpack('H*', $km),
       'again over HTTPS');
    is($kp->count, 0, 'from the key cache the stream server filled');
};

subtest 'waiting for Key Protect: HTTP/2, and a client that goes away' => sub {
    my ($bi) = op_req($node->port, '2.1', create_aes('2.1', 128));
    my $uid = uid_of($bi);
    my $get = ttlv_encode(kmip_request_item(version => '2.1', items => [
        { operation => 'Get', payload => [ ops_uid($uid) ] } ]));

    # three Gets on one HTTP/2 connection, each answered after a Key
    # Protect call that takes 300 ms (a cache miss: another zone's key)
    $kp->latency(300, '^/api/v2/keys');
    my $t0 = time;
    my @r = curl(['--http2'], map { ['/nocache', $type{ttlv}, $get] } 1 .. 3);
    is_deeply([ map { $_->{status} } @r ], [200, 200, 200], 'three 200');
    is_deeply([ map { kmip_value(ttlv_batch($_->{body}), 'Result Status') }
                @r ], [0, 0, 0], 'three Gets, each after Key Protect');
    ok(time - $t0 >= 0.3, 'Key Protect was waited for');

    # a client that gives up while its Get waits: the request is
    # finalized and its Key Protect call cancelled, nothing else breaks
    $kp->latency(1500, '^/api/v2/keys');
    my ($gone) = curl(['--http1.1', '--max-time', '0.5'],
                      ['/nocache', $type{ttlv}, $get]);
    is($gone->{status}, '000', 'an HTTP/1.1 client gave up');
    ($gone) = curl(['--http2', '--max-time', '0.5'],
                   ['/nocache', $type{ttlv}, $get]);
    is($gone->{status}, '000', 'an HTTP/2 client gave up');
    sleep 1.5;
    $kp->clear_latency;
    my ($after) = curl(['--http2'], ['/nocache', $type{ttlv}, $get]);
    is(kmip_value(ttlv_batch($after->{body}), 'Result Status'), 0,
       'the next request is served');
    kmip_log_like(qr/^POST 499 ttlv .*^POST 499 ttlv /ms,
                  'access log: 499 for both');
};

subtest 'a reload keeps the shared zones and serves both ports' => sub {
    plan skip_all => 'nginx as one process (valgrind) does not listen again'
        if $node->{valgrind};
    my ($bi) = op_req($node->port, '1.4', create_aes('1.4', 256));
    my $uid = uid_of($bi);
    $node->reload;
    my ($r) = curl([], ['/kmip', $type{ttlv}, ttlv_encode(kmip_request_item(
        version => '1.4', items => [ { operation => 'Get',
                                       payload => [ ops_uid($uid) ] } ]))]);
    is(kmip_value(ttlv_batch($r->{body}), 'Result Status'), 0,
       'a key created before the reload, read over HTTPS after it');
    ($bi) = op_req($node->port, '1.4', { operation => 'Get',
                                          payload => [ ops_uid($uid) ] });
    op_ok($bi, 'and over the stream port');
    unlike($node->error_log_text, qr/\[emerg\]|already used/,
           'no zone refused on reload');
};

subtest 'nginx -t refuses what cannot be served safely' => sub {
    my $prefix = servroot() . '/t-conf';
    my $try = sub {
        my ($loc, $srv) = @_;
        Test::Nginx::KMIP::_prepare_prefix($prefix);
        my $conf = Test::Nginx::KMIP::_build_conf({
            prefix => $prefix,
            http_config => "server {\n listen 127.0.0.1:1 ssl;\n"
                . " ssl_certificate $certs/server.crt;\n"
                . " ssl_certificate_key $certs/server.key;\n"
                . " ssl_client_certificate $certs/ca.crt;\n"
                . "$srv\n location / {\n$loc\n }\n}\n" }, {});
        Test::Nginx::KMIP::_write_file("$prefix/conf/nginx.conf", $conf);
        my ($ok, $out) = Test::Nginx::KMIP::_nginx_test_conf($prefix);
        return $ok ? '' : $out;
    };
    is($try->('kmip;', 'ssl_verify_client on;'), '', 'the minimal location');
    like($try->('kmip;', ''), qr/"kmip" needs client certificates/,
         'no ssl_verify_client');
    like($try->('kmip; kmip_max_message_size 10;', 'ssl_verify_client on;'),
         qr/"kmip_max_message_size" must be between/, 'a tiny message size');
    like($try->('kmip; kmip;', 'ssl_verify_client on;'),
         qr/"kmip" directive is duplicate/, 'kmip twice');
    like($try->('proxy_pass http://127.0.0.1:1; kmip;',
                'ssl_verify_client on;'),
         qr/"kmip" cannot be combined with another content handler/,
         'kmip with proxy_pass');
    like($try->("kmip; kmip_keyprotect_url http://127.0.0.1:1;",
                'ssl_verify_client on;'),
         qr/"kmip_keyprotect_instance" is required/,
         'a Key Protect URL without its instance');
    like($try->('kmip; client_body_in_file_only on;',
                'ssl_verify_client on;'),
         qr/client_body_in_file_only/, 'bodies forced into files');
};

unlike($node->error_log_text, qr/\[(?:alert|crit|emerg)\]/,
       'no alert in the error log');

# stopped here, not at global destruction, when the harness may have
# removed its prefix (and pid file) already, leaving it running
$node->stop;

# TEST_NGINX_USE_VALGRIND=1: memcheck's verdict on everything above
Test::Nginx::KMIP::_check_valgrind($node, 't/710') if $node->{valgrind};

done_testing();
