# Key bytes do not outlive their request in the worker's memory over KMIP
# over HTTPS either (t/623 does it for the stream port): a key registered
# with chosen bytes, in TTLV and in JSON (where it travels as hex), is
# served by Get in TTLV, JSON and XML on a kept HTTP/1.1 connection and on
# HTTP/2; after 50 other requests the worker's whole memory is searched for
# the key's bytes and for its hex, both cases. Where a copy is found, the
# test names the mapping and shows the bytes around it.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use KMIP::Ops;
use Test::MemScan;
use KMIP::JsonMsg qw(item_to_json);
use File::Temp qw(tempdir);
use IO::Socket::SSL;

plan(skip_all => 'reading another process\'s memory needs root')
    if $> != 0;

my $certs = cert_dir();
Test::Nginx::KMIP::_ensure_certs();
my $kp = suite_kp();
my $kpconf = $kp->nginx_conf;
my $tmp = tempdir(CLEANUP => 1);

my $n = start_nginx(log_level => 'info', http_config => <<"EOF");
    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT ssl http2;
        ssl_certificate $certs/server.crt;
        ssl_certificate_key $certs/server.key;
        ssl_client_certificate $certs/ca.crt;
        ssl_verify_client on;
        $kpconf

        location = /kmip {
            kmip;
        }
    }
EOF
my $url = 'https://127.0.0.1:' . $n->port . '/kmip';
my @tls = ('--cacert', "$certs/ca.crt", '--cert', "$certs/client.crt",
           '--key', "$certs/client.key");

sub slurp {
    return '' unless -e $_[0];
    local (@ARGV, $/) = @_;
    my $d = <>;
    return $d // '';
}

my $seq = 0;

# POST each body on one curl connection; the answers' bodies
sub post {
    my ($extra, @reqs) = @_;
    my @args = ('curl', '-sS', @tls, @$extra);
    my @out;
    for my $i (0 .. $#reqs) {
        my ($type, $body) = @{ $reqs[$i] };
        my $k = ++$seq;
        open my $fh, '>:raw', "$tmp/in$k" or die $!;
        print $fh $body;
        close $fh;
        push @args, '--next', @tls, @$extra if $i;
        push @args, '-o', "$tmp/out$k", '-H', "Content-Type: $type",
            '--data-binary', "\@$tmp/in$k", $url;
        push @out, "$tmp/out$k";
    }
    system(@args) == 0 or die "curl failed";
    my @bodies = map { slurp($_) } @out;
    unlink "$tmp/in$_", "$tmp/out$_" for 1 .. $seq;
    return @bodies;
}

sub req_item {
    my ($v, @items) = @_;
    return kmip_request_item(version => $v, items => [ @items ]);
}

# bytes that occur nowhere else: the test's own pattern (t/623's, shifted)
my $known = join '', map { chr((0x5d + 11 * $_) & 0xff) } 0 .. 31;
my $known2 = join '', map { chr((0x2b + 13 * $_) & 0xff) } 0 .. 31;

# one over HTTP/1.1 (the body comes partly with the headers, into the
# connection's header buffer), one over HTTP/2 (its DATA frame is read
# into the worker's HTTP/2 receive buffer)
my ($ttlv_reg) = post(['--http1.1'],
    ['application/octet-stream',
     ttlv_encode(req_item('1.4', register_aes('1.4', $known)))]);
my ($json_reg) = post(['--http2'],
    ['application/json',
     item_to_json(req_item('1.4', register_aes('1.4', $known2)))]);

# and one whose headers and body come in one write, on a connection kept
# open until the scan: the body sits in the header buffer the idle
# connection keeps
my $known3 = join '', map { chr((0x71 + 17 * $_) & 0xff) } 0 .. 31;
my $keep = IO::Socket::SSL->new(
    PeerAddr => '127.0.0.1', PeerPort => $n->port,
    SSL_ca_file => "$certs/ca.crt", SSL_cert_file => "$certs/client.crt",
    SSL_key_file => "$certs/client.key", SSL_verifycn_scheme => 'none',
    SSL_hostname => 'localhost') or die "connect: $SSL_ERROR";
# a Register, then a Discover Versions of 40 KB: more than the header
# buffer holds, so nginx copies the part it read with the headers (the key
# in it) into the body's buffer and leaves it behind in the header buffer
my $body3 = ttlv_encode(req_item('1.4', register_aes('1.4', $known3),
    { operation => 'Discover Versions', payload => [
        map { S('Protocol Version', [ I('Protocol Version Major', 1),
                                      I('Protocol Version Minor', 4) ]) }
            1 .. 1000 ] }));
print $keep "POST /kmip HTTP/1.1\r\nHost: localhost\r\n"
    . "Content-Type: application/octet-stream\r\n"
    . "Content-Length: " . length($body3) . "\r\n\r\n" . $body3;
my $answer3 = '';
while ($answer3 !~ /\r\n\r\n(.*)/s
       || length($1) < ($answer3 =~ /Content-Length: (\d+)/i)[0])
{
    my $got = sysread($keep, my $chunk, 65536);
    last unless $got;
    $answer3 .= $chunk;
}
like($answer3, qr{^HTTP/1\.1 200 }, 'register in one write, connection kept');

my $bi = (kmip_find_all(ttlv_decode($ttlv_reg), 'Batch Item'))[0];
my $uid = uid_of(op_ok($bi, 'register over HTTPS in TTLV'));
my ($uid2) = $json_reg =~ /"UniqueIdentifier","type":"TextString","value":"([^"]+)"/;
ok($uid2, 'register over HTTPS in JSON');

my $get = sub {
    my ($u) = @_;
    return req_item('1.4', { operation => 'Get', payload => [ ops_uid($u) ] });
};

# each key served in the three encodings, over HTTP/1.1 and HTTP/2
for my $proto ('--http1.1', '--http2') {
    my ($t, $j, $x) = post([$proto],
        ['application/octet-stream', ttlv_encode($get->($uid))],
        ['application/json', item_to_json($get->($uid2))],
        ['text/xml', '<RequestMessage><RequestHeader><ProtocolVersion>'
         . '<ProtocolVersionMajor type="Integer" value="1"/>'
         . '<ProtocolVersionMinor type="Integer" value="4"/>'
         . '</ProtocolVersion><BatchCount type="Integer" value="1"/>'
         . '</RequestHeader><BatchItem>'
         . '<Operation type="Enumeration" value="Get"/><RequestPayload>'
         . qq{<UniqueIdentifier type="TextString" value="$uid"/>}
         . '</RequestPayload></BatchItem></RequestMessage>'],
        ['application/octet-stream', ttlv_encode($get->($uid2))]);
    my $got = kmip_value((kmip_find_all(ttlv_decode($t), 'Batch Item'))[0],
                         'Response Payload', 'Symmetric Key', 'Key Block',
                         'Key Value', 'Key Material');
    is($got, $known, "$proto: the TTLV Get served the key");
    like($j, qr/\Q${\ uc unpack('H*', $known2)}\E/i,
         "$proto: the JSON Get served the key in hex");
    like($x, qr/\Q${\ uc unpack('H*', $known)}\E/i,
         "$proto: the XML Get served the key in hex");
}

# 50 other requests, on kept connections and new ones
my $dv = ttlv_encode(req_item('1.4', { operation => 'Discover Versions',
                                       payload => [] }));
my $other = 0;
for my $i (1 .. 5) {
    my @r = post([$i % 2 ? '--http1.1' : '--http2'],
                 map { ['application/octet-stream', $dv] } 1 .. 10);
    $other += grep { length } @r;
}
is($other, 50, '50 other requests answered');

my ($pid) = $n->serving_pids;
ok($pid, "worker $pid");

my %needles = ('the instance id' => $kp->instance);
for my $k (['TTLV-registered', $known], ['JSON-registered', $known2],
           ['one-write-registered', $known3]) {
    my ($name, $bytes) = @$k;
    $needles{"the $name key"} = $bytes;
    # the first 16 bytes in hex: a needle no other data has
    $needles{"the $name key in hex"} = uc unpack('H*', substr($bytes, 0, 16));
    $needles{"the $name key in lowercase hex"} =
        lc unpack('H*', substr($bytes, 0, 16));
}

my $found = memory_copies($pid, %needles);

ok($found->{'the instance id'}, 'the scan finds the configured instance id');

for my $what (sort grep { !/instance/ } keys %needles) {
    my $copies = $found->{$what} || [];
    is(scalar(@$copies), 0, "no copy of $what in the worker's memory")
        or diag(join "\n", @$copies);
}

close $keep;
$n->stop;

done_testing();
