# Adding the key provider and establishing trust, as vCenter 7.0.3 does it
# (../shared/notes/vcenter-kmip.md sections 1.2, 1.3 and 2.1): handshake-only
# connections, Discover Versions twice (without, then with the UBI
# QLKC#1), Query Server Information, and the 5-minute health poll (the
# same pair of connections, repeated here without the wait).  None of this
# may cost a Key Protect or IAM call, nor a DNS lookup: the vSAN health
# check times out quickly (Broadcom KB 67115), so these answers come from
# memory only.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::VCenter qw(vc_req vc_dv check_kmip11);
use IO::Socket::INET;

our $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
$ENV{TEST_NGINX_KP} = $kp->nginx_conf;
$ENV{TEST_NGINX_KP_PORT} = $kp->port;
$ENV{TEST_NGINX_KP_INSTANCE} = $kp->instance;
$ENV{TEST_NGINX_KP_ROOT_KEY} = $kp->root_key;
$ENV{TEST_NGINX_KP_API_KEY_FILE} = $kp->api_key_file;

# a DNS "server" of our own: it only counts the queries it receives
our $dns = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
                                 LocalPort => 0) or die "udp: $!";
$dns->blocking(0);
$ENV{TEST_NGINX_DNS_PORT} = $dns->sockport;

# the names asked since the last call
sub dns_queries {
    my (@names, $pkt);
    while (defined $dns->recv($pkt, 4096) && length $pkt) {
        my ($pos, @labels) = (12);
        while ($pos < length $pkt) {
            my $l = ord substr($pkt, $pos, 1);
            last if $l == 0 || $l >= 64;
            push @labels, substr($pkt, $pos + 1, $l);
            $pos += 1 + $l;
        }
        push @names, join '.', @labels;
    }
    return @names;
}

# every IAM and Key Protect request the emulator saw (admin calls aside)
sub kp_calls {
    my $r = $kp->_admin('GET', 'requests');
    return grep { $_->{kind} ne 'admin' } @{ $r->{requests} || [] };
}

sub handshake_only {
    my ($port, $cert) = @_;
    my $c = kmip_connect($port, client_cert => $cert // 'client');
    my $ok = $c && !$c->{handshake_failed};
    $c->close if $ok;
    return $ok;
}

sub dv_twice {
    my ($port, $what) = @_;
    my $c = kmip_connect($port);
    my $dv = vc_dv();
    my $dv1 = vc_req('1.1', undef, { operation => 'Discover Versions',
                                     payload => [] });
    my ($bi) = check_kmip11($dv, $c->request($dv), "$what: DV");
    is(kmip_value($bi, 'Result Status'), 0, "$what: DV succeeds");
    ($bi) = check_kmip11($dv1, $c->request($dv1), "$what: DV[QLKC#1]");
    is(kmip_value($bi, 'Result Status'), 0, "$what: DV[QLKC#1] succeeds");
    my @v = map { kmip_value($_, 'Protocol Version Major') . '.'
                  . kmip_value($_, 'Protocol Version Minor') }
            kmip_find_all($bi, 'Response Payload', 'Protocol Version');
    ok(grep({ $_ eq '1.1' } @v), "$what: 1.1 offered (@v)");
    $c->close;
}

sub query_server_info {
    my ($port) = @_;
    my $c = kmip_connect($port);
    my $dv = vc_dv();
    check_kmip11($dv, $c->request($dv), 'C: DV');
    my $q = vc_req('1.1', undef, { operation => 'Query',
                                   payload => [ E('Query Function', 3) ] });
    my ($bi) = check_kmip11($q, $c->request($q), 'C: Query');
    is(kmip_value($bi, 'Result Status'), 0, 'Query succeeds');
    like(kmip_value($bi, 'Response Payload', 'Vendor Identification'),
         qr/\S/, 'Vendor Identification');
    ok(!kmip_find($bi, 'Response Payload', 'Operation'),
       'only what was asked: no Operation list');
    $c->close;
}

# section 2.1, then three rounds of the health poll
sub trust_flow {
    my ($port) = @_;
    ok(handshake_only($port), 'A: handshake only');
    dv_twice($port, 'B');
    query_server_info($port);
    ok(handshake_only($port), 'D: handshake only');
    dv_twice($port, 'E');
    ok(handshake_only($port), 'F: handshake only');
    for my $round (1 .. 3) {
        ok(handshake_only($port), "poll $round: handshake only");
        dv_twice($port, "poll $round");
    }
}

run_tests();

__DATA__

=== TEST 1: trust and health polls cost no Key Protect nor IAM call
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    my @before = main::kp_calls();
    is(scalar @before, 0, 'nothing at start-up')
        or diag(join ' ', map { "$_->{method} $_->{path}" } @before);
    # before trust is established: refused certificates, cheaply
    main::handshake_only($port, $_) for qw(other none other);
    main::trust_flow($port);
    my @calls = main::kp_calls();
    is(scalar @calls, 0, 'no IAM or Key Protect call during trust and polls')
        or diag(join ' ', map { "$_->{method} $_->{path}" } @calls);

    # the log above can see calls: a Create needs Key Protect
    my $req = vc_req('1.1', undef, Test::VCenter::create_aes());
    my ($bi) = check_kmip11($req, kmip_roundtrip($port, $req), 'Create');
    is(kmip_value($bi, 'Result Status'), 0, 'Create succeeds');
    cmp_ok(scalar main::kp_calls(), '>', 0, 'Create calls Key Protect');
}
--- no_error_log
[error]
[warn]
[crit]

=== TEST 2: Key Protect by host name: no DNS lookup before a request needs one
--- stream_server_config
    kmip;
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT ipv6=off;
    resolver_timeout 1s;
    kmip_keyprotect_url https://kp.example.test:$TEST_NGINX_KP_PORT;
    kmip_iam_url https://iam.example.test:$TEST_NGINX_KP_PORT;
    kmip_keyprotect_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
    kmip_keyprotect_instance $TEST_NGINX_KP_INSTANCE;
    kmip_keyprotect_root_key $TEST_NGINX_KP_ROOT_KEY;
    kmip_iam_api_key_file $TEST_NGINX_KP_API_KEY_FILE;
    kmip_keyprotect_timeout 3s;
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    main::trust_flow($port);
    my @q = main::dns_queries();
    is(scalar @q, 0, 'no DNS query during handshakes, DV and Query')
        or diag("@q");

    # a Create needs Key Protect, hence a lookup; nobody answers it
    my $req = vc_req('1.1', undef, Test::VCenter::create_aes());
    my ($bi) = check_kmip11($req, kmip_roundtrip($port, $req, timeout => 10),
                            'Create');
    is(kmip_value($bi, 'Result Status'), 1, 'Create fails: no DNS answer');
    @q = main::dns_queries();
    cmp_ok(scalar @q, '>', 0, 'Create asked the resolver');
    ok(grep({ /^(iam|kp)\.example\.test$/ } @q), "names asked: @q");
}
--- error_log
could not be resolved
