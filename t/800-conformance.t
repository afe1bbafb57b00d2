# The OASIS KMIP 1.4 and 2.1 profile test cases, run against one nginx with
# the module and one Key Protect emulator (t/lib/KMIP/Conformance.pm says how
# responses are compared).
#
# The cases are data in ../shared/kmip/testcases (relative to the
# repository), not part of the project: without them the suite skips.
#
# CI gate: t/conformance-expected.txt lists the cases that pass.  A listed
# case that fails fails the suite; a case that passes and is not listed is
# reported so that the file can be updated; the other cases are reported.
#
#   KMIP_CONFORMANCE_CASES=regex     run only the matching cases
#   KMIP_CONFORMANCE_DIR=path        the testcases folder
#   KMIP_CONFORMANCE_DOC=path        write the markdown report there
#                                    (docs/conformance.md)
#   KMIP_CONFORMANCE_VERBOSE=1       print every case line on stderr
#   KMIP_CONFORMANCE_EXPECTED=path   another list of expected passes
#   KMIP_CONFORMANCE_TRANSPORT=https the same cases as TTLV bodies POSTed
#                                    to an http location with "kmip;"
#                                    (ngx_http_kmip_module), one kept
#                                    HTTP/1.1 connection per case; =json
#                                    the same with JSON bodies, =xml with
#                                    XML bodies (t/801 runs all three)
#
# The MSGENC-HTTPS, -JSON and -XML cases are the message encodings' own:
# they always run over HTTPS in their encoding (TTLV, JSON, XML), whatever
# the transport of the others.

use strict;
use warnings;
use lib 't/lib';
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::KMIPClientEndpoint;
use KMIP::Conformance qw(case_files run_case profile_of);
use KMIP::JsonMsg qw(item_to_json json_to_item);
use KMIP::XmlMsg qw(item_to_xml xml_to_item);

my $repo = abs_path(dirname(__FILE__) . '/..');
my $dir = $ENV{KMIP_CONFORMANCE_DIR} // "$repo/../shared/kmip/testcases";

plan skip_all => "no KMIP test cases at $dir (the OASIS cases are read from"
               . " ../shared/kmip/testcases)"
    unless -d "$dir/v1.4" || -d "$dir/v2.1";

my @cases = case_files($dir);
if (my $re = $ENV{KMIP_CONFORMANCE_CASES}) {
    @cases = grep { $_->{name} =~ /$re/ } @cases;
}
plan skip_all => 'no case selected' unless @cases;

my $expected_file = $ENV{KMIP_CONFORMANCE_EXPECTED}
                    // "$repo/t/conformance-expected.txt";
my %expected;
if (open my $fh, '<', $expected_file) {
    while (<$fh>) {
        s/#.*//;
        s/^\s+|\s+$//g;
        next unless length;
        # "v1.4/mandatory/SKLC-M-1-14"
        $expected{$_} = 1;
    }
    close $fh;
}

my $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
# a test server: the BL-M cases bracket their steps with Interop, which a
# production server does not offer (kmip_interop is off by default)
my $transport = $ENV{KMIP_CONFORMANCE_TRANSPORT} // 'tls';
die "KMIP_CONFORMANCE_TRANSPORT is tls, https, json or xml\n"
    unless $transport =~ /^(?:tls|https|json|xml)$/;
my %case_transport = ('MSGENC-HTTPS-M' => 'https', 'MSGENC-JSON-M' => 'json',
                      'MSGENC-XML-M' => 'xml');
cert_path('ca.crt');    # made on first use
my $certs = cert_dir();
# and one that issues certificates: the cases' Query lists Certify
my $ca = "kmip_ca_certificate $certs/other-ca.crt;\n"
       . "    kmip_ca_certificate_key $certs/other-ca.key;\n";
# and one that sends a client what it makes and changes: their Query lists
# Notify and Put (the endpoint only takes them, the cases do not look)
my $endpoint = Test::KMIPClientEndpoint->start(
    dir => servroot() . '-endpoint', certs => $certs);
$ca .= '    kmip_push ' . $endpoint->url . " certificate=$certs/client.crt"
     . " certificate_key=$certs/client.key trusted_certificate=$certs/ca.crt;"
     . "\n";
my $ng = start_nginx(stream_server_config => "kmip;\n    kmip_interop on;\n    "
                                            . $ca . $kp->nginx_conf,
                     http_config => <<"EOF");
    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT2 ssl;
        ssl_certificate $certs/server.crt;
        ssl_certificate_key $certs/server.key;
        ssl_client_certificate $certs/ca.crt;
        ssl_verify_client on;
        ${\ $kp->nginx_conf }

        location = /kmip {
            kmip;
            kmip_interop on;
            $ca
        }
    }
EOF

# the transport of the case being run
my $enc = $transport;
my %content_type = (https => 'application/octet-stream',
                    json => 'application/json', xml => 'text/xml');

my $conn;
sub send_msg {
    my $bytes = shift;
    for my $try (1, 2) {
        if (!$conn || !$conn->sock || $conn->eof) {
            $conn = kmip_connect($enc eq 'tls' ? $ng->port : $ng->port2,
                                 timeout => 10);
            die "connect: $Test::Nginx::KMIP::ConnectError\n"
                if !$conn || $conn->{handshake_failed};
        }
        my $r = eval { $enc ne 'tls' ? https_request($conn, $bytes)
                                     : $conn->request($bytes) };
        return $r if $r;
        my $why = $@ || $conn->error || ($conn->eof ? 'connection closed'
                                                    : 'timeout');
        $conn->close;
        $conn = undef;
        die "$why\n" if $try == 2 || $why !~ /closed/;
    }
}

my (@results, %seen);
for my $c (@cases) {
    my $id = "$c->{version}/$c->{set}/$c->{name}";
    # a fresh connection per case: a case that broke one must not spill
    $conn->close if $conn;
    $conn = undef;
    $enc = $case_transport{ profile_of($c->{name}) } // $transport;
    my ($pass, $diff, $req, $resp) = run_case($c, \&send_msg);
    push @results, { %$c, id => $id, pass => $pass, diff => $diff,
                     profile => profile_of($c->{name}) };
    $seen{$id} = 1;
    my $line = ($pass ? 'PASS' : 'FAIL') . " $id" . ($pass ? '' : ": $diff");
    if ($expected{$id}) {
        ok($pass, $id) or diag("$id: $diff (listed in t/conformance-expected.txt)");
    } else {
        note($line);
    }
    print STDERR "$line\n" if $ENV{KMIP_CONFORMANCE_VERBOSE};
    if (!$pass && $resp && ($ENV{KMIP_CONFORMANCE_VERBOSE} // 0) > 1) {
        print STDERR ttlv_dump($req), ttlv_dump($resp);
    }
}
$conn->close if $conn;

my @new = grep { $_->{pass} && !$expected{ $_->{id} } } @results;
diag("newly passing (add to t/conformance-expected.txt): $_->{id}") for @new;
my $np = grep { $_->{pass} } @results;
diag(sprintf("conformance over $transport: %d of %d cases pass (%d expected)", $np,
             scalar @results, scalar grep { $seen{$_} } keys %expected));
ok(scalar(grep { !$seen{$_} } keys %expected) == 0
   || defined $ENV{KMIP_CONFORMANCE_CASES},
   'every listed case exists')
    or diag('listed but absent: ' . join ' ', grep { !$seen{$_} } keys %expected);

if (my $doc = $ENV{KMIP_CONFORMANCE_DOC}) {
    write_doc($doc, \@results);
}

unlike($ng->error_log_text, qr/\[(?:alert|emerg)\]|signal \d+/,
       'no crash or alert in the error log');

# stopped here: the subroutines below hold $ng, and an object destroyed
# in global destruction left its nginx running after the suite
$conn->close if $conn;
$ng->stop;
$endpoint->stop;

done_testing();

# ------------------------------------------------------------ https

# one KMIP request as the body of a POST on a kept HTTP/1.1 connection, in
# TTLV, JSON or XML; the decoded Response Message of a 200 answer
sub https_request {
    my ($c, $bytes) = @_;
    if ($enc eq 'json') {
        $bytes = item_to_json(KMIP::TTLV::ttlv_decode($bytes));
    } elsif ($enc eq 'xml') {
        $bytes = item_to_xml(KMIP::TTLV::ttlv_decode($bytes));
    }
    $c->send("POST /kmip HTTP/1.1\r\nHost: localhost\r\n"
             . "Content-Type: $content_type{$enc}\r\n"
             . "Content-Length: " . length($bytes) . "\r\n\r\n" . $bytes)
        or return undef;
    my $deadline = time + 30;
    while ($c->{buf} !~ /\r\n\r\n/) {
        my $r = $c->_read_some(65536, $deadline);
        return undef unless defined $r && length $r;
        $c->{buf} .= $r;
    }
    my ($head, $rest) = split /\r\n\r\n/, $c->{buf}, 2;
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    my ($len) = $head =~ /^content-length:\s*(\d+)/mi;
    die "HTTP status " . ($status // '?') . "\n"
        unless ($status // 0) == 200 && defined $len;
    while (length $rest < $len) {
        my $r = $c->_read_some(65536, $deadline);
        return undef unless defined $r && length $r;
        $rest .= $r;
    }
    $c->{buf} = substr($rest, $len);
    my $body = substr($rest, 0, $len);
    return $enc eq 'json' ? json_to_item($body)
         : $enc eq 'xml' ? xml_to_item($body)
         : KMIP::TTLV::ttlv_decode($body);
}

# ------------------------------------------------------------ report

sub write_doc {
    my ($path, $res) = @_;
    my $reasons = do "$repo/t/conformance-reasons.pl" || {};
    my (%tot, %ok);
    for my $r (@$res) {
        my $k = "$r->{profile}\t$r->{version}";
        $tot{$k}++;
        $ok{$k}++ if $r->{pass};
    }
    open my $fh, '>', $path or die "$path: $!";
    print $fh <<'EOT';
# KMIP conformance: the OASIS profile test cases

Generated by `t/800-conformance.t` (`KMIP_CONFORMANCE_DOC=docs/conformance.md
prove -I t/lib t/800-conformance.t`) from the OASIS KMIP Profiles 1.4 and
2.1 test cases in `../shared/kmip/testcases`, run against one nginx with the
module and the Key Protect emulator. How requests are built and responses
compared (placeholders, `$NOW`, server-generated values, attribute order,
the operations and object types a Query answer lists: every one the case
expects, in any order, more allowed) is described at the top of
`t/lib/KMIP/Conformance.pm`; nothing else is tolerated. The server runs
with `kmip_interop`, a CA (`kmip_ca_certificate`) and `kmip_push` to an
endpoint of the test's, so that it runs and lists what the cases' Query
answers name. The cases listed in `t/conformance-expected.txt` must keep
passing: CI fails when one of them fails. The same cases also run over KMIP
over HTTPS, in TTLV, JSON and XML (`KMIP_CONFORMANCE_TRANSPORT=https`,
`json` or `xml`), and the MSGENC cases always run in their own encoding;
docs/testing.md has the four columns.

## Passed per profile and version

| profile | version | passed / total |
|---|---|---|
EOT
    for my $k (sort keys %tot) {
        my ($p, $v) = split /\t/, $k;
        printf $fh "| %s | %s | %d / %d |\n", $p, $v, $ok{$k} // 0, $tot{$k};
    }
    my $np = grep { $_->{pass} } @$res;
    printf $fh "| **all** | | **%d / %d** |\n\n", $np, scalar @$res;

    print $fh "## Failing cases\n\n"
            . "The first difference is the first item where the server's "
            . "answer differs from the case's expected response (`step n` "
            . "counts request/response pairs from 0). The reason column "
            . "says why the case does not pass where that has been "
            . "established.\n\n"
            . "| case | first difference | reason |\n|---|---|---|\n";
    for my $r (grep { !$_->{pass} } @$res) {
        (my $n1 = $r->{name}) =~ s/-\d+$//;          # CS-BC-M-7
        (my $n2 = $r->{name}) =~ s/-\d+-\d+$//;      # CS-BC-M-CHACHA20
        my ($why) = grep { defined }
                    map { $reasons->{$_} } $r->{name}, $n1, $n2, $r->{profile};
        $why //= '';
        (my $d = $r->{diff} // '') =~ s/\|/\\|/g;
        $d =~ s/\s+/ /g;
        printf $fh "| %s | `%s` | %s |\n", "$r->{version}/$r->{set}/$r->{name}",
               $d, $why;
    }
    close $fh;
}
