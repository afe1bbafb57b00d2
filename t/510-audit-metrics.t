# kmip_audit_log (one JSON line per batch item, no secrets, reopened on
# USR1) and kmip_metrics (Prometheus text over HTTP on a loopback port).

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use Test::VCenter qw(vc_req create_aes);
use JSON::PP qw(decode_json);
use MIME::Base64 qw(encode_base64);
use HTTP::Tiny;
use Time::HiRes qw(sleep);

our $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
$ENV{TEST_NGINX_KP} = $kp->nginx_conf;

sub uid_item { T('Unique Identifier', $_[0]) }

sub add {
    my ($uid, $name, $value) = @_;
    return { operation => 'Add Attribute',
             payload => [ uid_item($uid),
                          S('Attribute', [ T('Attribute Name', $name),
                                           T('Attribute Value', $value) ]) ] };
}

sub read_lines {
    my ($path) = @_;
    open my $fh, '<', $path or return ();
    my @l = <$fh>;
    close $fh;
    return @l;
}

run_tests();

__DATA__

=== TEST 1: one audit line per batch item, with the object's x- attributes and Key Protect correlation ids, no secrets
--- stream_server_config
    kmip;
    kmip_audit_log logs/audit.log json;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    my $log = current_vars()->{TEST_NGINX_PREFIX} . '/logs/audit.log';

    my $r = kmip_roundtrip($port,
        main::vc_req('1.4', undef, main::create_aes()));
    my $uid = kmip_value($r, 'Batch Item', 'Response Payload',
                         'Unique Identifier');
    like($uid, qr/^[0-9a-f-]{36}$/, 'Create');

    kmip_roundtrip($port, main::vc_req('1.4', undef,
        main::add($uid, 'x-Name', 'vm-alpha "quoted"'),
        main::add($uid, 'x-Identifier', '5003a1b2-vm'),
        main::add($uid, 'x-Component', 'disk-0')));

    # that write deletes its old generation after its answer: done before
    # the Get's calls are counted
    is(scalar($kp->settle($uid, 1)), 1, 'the old generation deleted');
    $kp->clear_requests;
    $r = kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Get', payload => [ main::uid_item($uid) ] },
        { operation => 'Get',
          payload => [ main::uid_item('00000000-0000-4000-8000-000000000000') ] }));
    my @bi = kmip_find_all($r, 'Batch Item');
    my $key = kmip_value($bi[0], 'Response Payload', 'Symmetric Key',
                         'Key Block', 'Key Value', 'Key Material');
    is(length $key, 32, 'Get answered the key');
    # the missing object's list may come late: wait for it, and take the
    # Get's calls by what they are
    select(undef, undef, undef, 0.5);
    my @kp_ids = map { $_->{correlation_id} }
                 grep { $_->{path} !~ m{^/api/v2/keys$}
                        || $_->{method} ne 'GET'
                        || ($_->{query}{search} // '') =~ /\Q$uid\E/ }
                 $kp->requests;

    my @lines = main::read_lines($log);
    is(scalar @lines, 6, 'six batch items, six lines');
    my @j = map { decode_json($_) } @lines;

    is($j[0]{operation}, 'Create', 'line 1: Create');
    is($j[0]{uid}, $uid, 'its UID');
    is($j[0]{result}, 'Success', 'Success');
    is(scalar @{ $j[0]{kp_correlation_ids} }, 2, 'wrap and create');
    is($j[1]{operation}, 'AddAttribute', 'line 2: Add Attribute');
    is($j[3]{x_name}, 'vm-alpha "quoted"', 'x-Name once set');

    my $g = $j[4];
    is($g->{operation}, 'Get', 'line 5: Get');
    is($g->{uid}, $uid, 'its UID');
    is($g->{protocol}, '1.4', 'protocol version');
    is($g->{client}, '127.0.0.1', 'client address');
    like($g->{client_fingerprint}, qr/^[0-9a-f]{64}$/i, 'certificate SHA-256');
    like($g->{client_subject}, qr/CN\s*=/, 'certificate subject');
    like($g->{time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
         'ISO 8601 time with ms');
    like($g->{latency_ms}, qr/^\d+$/, 'latency in ms');
    is($g->{x_name}, 'vm-alpha "quoted"', 'x-Name');
    is($g->{x_identifier}, '5003a1b2-vm', 'x-Identifier');
    is($g->{x_component}, 'disk-0', 'x-Component');
    # the read (a listing, the record the write before it kept, the
    # unwrap), and the first Get's served mark, Fresh = False (an alias)
    is_deeply([ sort @{ $g->{kp_correlation_ids} } ],
              [ sort @kp_ids[0 .. 2] ],
              'the correlation ids of the Get\'s three Key Protect calls');
    ok(!exists $g->{reason}, 'no reason on success');

    my $f = $j[5];
    is($f->{result}, 'OperationFailed', 'line 6: failed Get');
    is($f->{reason}, 'ItemNotFound', 'Item Not Found');

    my $text = join '', @lines;
    my $hex = unpack('H*', $key);
    my $b64 = encode_base64($key, '');
    unlike($text, qr/\Q$hex\E/i, 'no key bytes in hex');
    unlike($text, qr/\Q$b64\E/, 'no key bytes in base64');
    my $api = $kp->api_key;
    unlike($text, qr/\Q$api\E/, 'no API key');
    unlike($text, qr/Bearer|access_token/, 'no token');

    # reopened on USR1 like nginx's own logs
    rename $log, "$log.1" or die "$!";
    my $pid = `cat @{[ current_vars()->{TEST_NGINX_PREFIX} ]}/logs/nginx.pid`;
    chomp $pid;
    ok(kill('USR1', $pid), 'USR1');
    sleep 0.5;
    kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Get', payload => [ main::uid_item($uid) ] }));
    my @new = main::read_lines($log);
    is(scalar @new, 1, 'the reopened log has the next line');
    is(scalar main::read_lines("$log.1"), 6, 'the old one is left alone');
}
--- no_error_log
[alert]


=== TEST 2: metrics in Prometheus text format on a loopback port
--- stream_config
    server {
        listen 127.0.0.1:$TEST_NGINX_PORT2;
        kmip_metrics;
    }
--- stream_server_config
    kmip;
    $TEST_NGINX_KP
--- response_test eval
sub {
    my $port = current_vars()->{TEST_NGINX_PORT};
    my $mport = current_vars()->{TEST_NGINX_PORT2};

    my $r = kmip_roundtrip($port,
        main::vc_req('1.4', undef, main::create_aes()));
    my $uid = kmip_value($r, 'Batch Item', 'Response Payload',
                         'Unique Identifier');
    kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Get', payload => [ main::uid_item($uid) ] }));
    kmip_roundtrip($port, main::vc_req('1.4', undef,
        { operation => 'Get',
          payload => [ main::uid_item('00000000-0000-4000-8000-000000000000') ] }));

    my $h = HTTP::Tiny->new(timeout => 5)
        ->get("http://127.0.0.1:$mport/metrics");
    is($h->{status}, 200, 'HTTP 200');
    is($h->{headers}{'content-type'}, 'text/plain; version=0.0.4',
       'Prometheus text format');
    my $m = $h->{content};
    like($m, qr/^kmip_operations_total\{operation="Create",result="Success"\} 1$/m,
         'Create counted');
    like($m, qr/^kmip_operations_total\{operation="Get",result="Success"\} 1$/m,
         'Get counted');
    like($m, qr/^kmip_operations_total\{operation="Get",result="ItemNotFound"\} 1$/m,
         'failed Get counted by reason');
    like($m, qr/^kmip_keyprotect_calls_total\{call="wrap",result="OK"\} 1$/m,
         'one wrap');
    like($m, qr/^kmip_keyprotect_calls_total\{call="unwrap",result="OK"\} 1$/m,
         'one unwrap');
    # the Get of the object made here lists it and takes the record the
    # Create kept (docs/key-protect.md#the-record-of-a-key); the missing
    # one lists
    like($m, qr/^kmip_keyprotect_call_duration_seconds_count\{call="list keys"\} 2$/m,
         'two lists in the histogram');
    like($m, qr/^kmip_keyprotect_call_duration_seconds_bucket\{call="list keys",le="\+Inf"\} 2$/m,
         '+Inf bucket holds every call');
    # the first Get marks the key served, an alias: no generation to
    # delete (docs/key-protect.md#the-first-get)
    like($m, qr/^kmip_keyprotect_calls_total\{call="create alias",result="OK"\} 1$/m,
         'the first Get\'s served mark: one alias');
    like($m, qr/^kmip_keyprotect_cleanups_total\{result="deleted"\} 0$/m,
         'no old generation to delete');
    like($m, qr/^kmip_keyprotect_cleanups_total\{result="left_over"\} 0$/m,
         'none left over');
    unlike($m, qr/^kmip_keyprotect_calls_total\{call="get key"/m,
           'no GET of a key: the record kept')
        or diag(join "\n", grep { /calls_total/ } split /\n/, $m);
    like($m, qr/^kmip_keyprotect_call_duration_seconds_sum\{call="unwrap"\} \d+\.\d{3}$/m,
         'sum in seconds');
    like($m, qr/^# TYPE kmip_operations_total counter$/m, 'TYPE lines');

    $h = HTTP::Tiny->new(timeout => 5)->get("http://127.0.0.1:$mport/");
    like($h->{content}, qr/operation="Create",result="Success"\} 1\n/,
         'a second scrape reads the same counters');
}
--- no_error_log
[alert]


=== TEST 3: kmip_key_cache needs a zone
--- stream_server_config
    kmip;
    kmip_key_cache ttl=10s;
--- must_die
--- error_log
kmip_key_cache needs zone=NAME:SIZE


=== TEST 4: kmip_key_cache: unknown parameter
--- stream_server_config
    kmip;
    kmip_key_cache zone=kc:1m size=2;
--- must_die
--- error_log
invalid parameter "size=2" of kmip_key_cache


=== TEST 5: kmip_audit_log: only json
--- stream_server_config
    kmip;
    kmip_audit_log logs/audit.log csv;
--- must_die
--- error_log
unknown kmip_audit_log format "csv"


=== TEST 6: kmip_metrics cannot share a server with kmip
--- stream_server_config
    kmip;
    kmip_metrics;
--- must_die
--- error_log
cannot be combined with another content handler
