#!/usr/bin/perl
# Tests for tools/kp-emulator (Key Protect + IAM emulator).
# Run: prove t/kp-emulator.t
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use File::Temp qw(tempdir);
use File::Spec;
use FindBin;
use MIME::Base64 qw(encode_base64 decode_base64);
use Time::HiRes qw(time sleep);
use POSIX qw(WNOHANG);
use IO::Socket::INET;
use IO::Select;

my $EMU = File::Spec->rel2abs("$FindBin::Bin/../tools/kp-emulator");
my $PY  = '/usr/bin/python3';
my $dir = tempdir('kp-emu-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $json = JSON::PP->new->canonical;
my @running;

plan skip_all => "$PY not found" unless -x $PY;
plan skip_all => 'python3-cryptography missing'
    if system($PY, '-c', 'import cryptography') != 0;

END { kill 'KILL', $_->{pid} for grep { $_->{pid} } @running; }

sub run_init {
    my (@args) = @_;
    my $out = `$PY $EMU init @args 2>&1`;
    return ($? >> 8, $out);
}

sub start_emu {
    my (%o) = @_;
    my @cmd = ($PY, $EMU, 'serve', '--listen', $o{listen} // '127.0.0.1:0',
               '--state', $o{state}, '--log', $o{log} // "$dir/emu.log",
               @{ $o{args} || [] });
    my $pid = open(my $fh, '-|', @cmd) or die "cannot start emulator: $!";
    my $line;
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 15;
        $line = <$fh>;
        alarm 0;
    };
    die "emulator did not start: " . ($@ || 'no output') unless defined $line;
    $line =~ /^listening on (\S+):(\d+)$/ or die "unexpected banner: $line";
    my $e = { pid => $pid, fh => $fh, port => $2, base => "http://127.0.0.1:$2" };
    push @running, $e;
    return $e;
}

sub stop_emu {
    my ($e, $sig) = @_;
    kill $sig // 'TERM', $e->{pid};
    my $t0 = time;
    my $r;
    while (($r = waitpid($e->{pid}, WNOHANG)) == 0 && time - $t0 < 10) { sleep 0.05 }
    my $status = $?;
    close $e->{fh};
    $e->{pid} = 0;
    return $status;
}

our $http = HTTP::Tiny->new(timeout => 10, keep_alive => 1);
our ($BASE, $TOKEN, $INST);

sub get_token {
    my ($base, $apikey, $path) = @_;
    my $res = $http->post_form("$base" . ($path // '/identity/token'),
        { grant_type => 'urn:ibm:params:oauth:grant-type:apikey', apikey => $apikey });
    return ($res, eval { decode_json($res->{content}) });
}

sub kp {
    my ($method, $path, $body, %h) = @_;
    my %headers = (Authorization => "Bearer $TOKEN", 'Bluemix-Instance' => $INST,
                   Accept => 'application/json', %h);
    delete $headers{$_} for grep { !defined $headers{$_} } keys %headers;
    my %opt = (headers => \%headers);
    $opt{content} = ref $body ? encode_json($body) : $body if defined $body;
    my $res = (delete $h{_http} || $http)->request($method, "$BASE/api/v2$path", \%opt);
    my $j = (length($res->{content} // '') ? eval { decode_json($res->{content}) } : undef);
    return ($res, $j);
}

sub admin {
    my ($method, $path, $body) = @_;
    my %opt;
    $opt{content} = encode_json($body) if defined $body;
    my $res = $http->request($method, "$BASE/_emulator/$path", \%opt);
    return ($res, eval { decode_json($res->{content}) });
}

sub create_body {
    my (%r) = @_;
    return { metadata => { collectionType => 'application/vnd.ibm.kms.key+json',
                           collectionTotal => 1 },
             resources => [ { type => 'application/vnd.ibm.kms.key+json', %r } ] };
}

sub is_kp_error {
    my ($res, $j, $status, $code, $name) = @_;
    subtest $name => sub {
        is($res->{status}, $status, "status $status");
        is($j->{metadata}{collectionType}, 'application/vnd.ibm.kms.error+json', 'error collectionType');
        is($j->{metadata}{collectionTotal}, 1, 'collectionTotal 1');
        my $r = $j->{resources}[0] || {};
        like($r->{errorMsg} // '', qr/^[A-Z][A-Za-z ]+: .*\($code\)$/, 'errorMsg shape');
        is($r->{reasons}[0]{code}, $code, "reason $code");
        is($r->{reasons}[0]{status}, $status, 'reason status');
        ok(length($r->{reasons}[0]{message} // ''), 'reason message');
        is($r->{reasons}[0]{moreInfo}, 'https://cloud.ibm.com/apidocs/key-protect', 'moreInfo');
    };
}

sub b64url_dec {
    my ($s) = @_;
    $s =~ tr{-_}{+/};
    $s .= '=' x (-length($s) % 4);
    return decode_base64($s);
}

# ------------------------------------------------------------------ init
my $state = "$dir/state.json";
my ($rc, $out) = run_init('--state', $state, '--region', 'eu-de');
is($rc, 0, 'init exits 0');
my $info = eval { decode_json($out) } || {};
ok($info->{$_}, "init prints $_") for qw(instance root_key api_key state);
like($info->{instance}, qr/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'instance is a v4 GUID');
is($info->{state}, File::Spec->rel2abs($state), 'state path echoed');
ok(-f $state, 'state file written');
is((stat $state)[2] & 0777, 0600, 'state file is 0600');
($rc, $out) = run_init('--state', $state);
isnt($rc, 0, 'init refuses to overwrite');
like($out, qr/exists/, 'refusal says why');
my $before = do { local (@ARGV, $/) = $state; <> };
is($before, do { local (@ARGV, $/) = $state; <> }, 'state untouched by refused init');
my $other = "$dir/other.json";
run_init('--state', $other);
($rc, $out) = run_init('--state', $other, '--force', '--api-key', 'fixed-key-1', '--root-key-name', 'crk2');
is($rc, 0, 'init --force overwrites');
is(decode_json($out)->{api_key}, 'fixed-key-1', '--api-key honoured');

my ($CRK, $APIKEY) = ($info->{root_key}, $info->{api_key});
$INST = $info->{instance};

# ------------------------------------------------------------------ serve
my $emu = start_emu(state => $state, args => ['--relax-timing']);
$BASE = $emu->{base};
ok($emu->{port} > 0, "listening on port $emu->{port}");

# ------------------------------------------------------------------ IAM
{
    my ($res, $j) = get_token($BASE, $APIKEY, '/identity/token');
    is($res->{status}, 200, 'token via /identity/token');
    is($j->{token_type}, 'Bearer', 'token_type');
    is($j->{refresh_token}, 'not_supported', 'refresh_token');
    is($j->{expires_in}, 3600, 'expires_in default 3600');
    ok(abs($j->{expiration} - time - 3600) < 5, 'expiration is epoch now+ttl');
    is($j->{scope}, 'ibm openid', 'scope');
    my @p = split /\./, $j->{access_token};
    is(scalar @p, 3, 'JWT has three parts');
    ok(!grep({ /[^A-Za-z0-9_-]/ } @p), 'JWT parts are base64url');
    my $hdr = decode_json(b64url_dec($p[0]));
    my $pl = decode_json(b64url_dec($p[1]));
    is($hdr->{alg}, 'HS256', 'JWT header alg');
    ok(defined $pl->{$_}, "JWT payload has $_") for qw(iat exp sub iam_id jti);
    is($pl->{exp} - $pl->{iat}, 3600, 'JWT exp - iat = ttl');
    $TOKEN = $j->{access_token};

    ($res, $j) = get_token($BASE, $APIKEY, '/oidc/token');
    is($res->{status}, 200, 'token via /oidc/token');

    $res = $http->request('POST', "$BASE/identity/token", {
        headers => { 'Content-Type' => 'application/x-www-form-urlencoded',
                     Authorization => 'Basic Yng6Yng=' },
        content => "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=$APIKEY&response_type=cloud_iam&scope=ibm" });
    is($res->{status}, 200, 'token with Basic auth, response_type and scope');

    ($res, $j) = get_token($BASE, 'no-such-key');
    is($res->{status}, 400, 'bad API key -> 400');
    is($j->{errorCode}, 'BXNIM0415E', 'errorCode BXNIM0415E');
    is($j->{errorMessage}, 'Provided API key could not be found', 'errorMessage');
    ok($j->{context}{requestId}, 'context.requestId');
    $res = $http->post_form("$BASE/oidc/token", { grant_type => 'urn:ibm:params:oauth:grant-type:apikey' });
    is($res->{status}, 400, 'missing API key -> 400');
}

# ------------------------------------------------------------------ auth on KP
{
    my ($res, $j) = kp('GET', '/keys', undef, Authorization => undef);
    is($res->{status}, 401, 'no token -> 401');
    ok($j->{resources}[0]{errorMsg} =~ /^Unauthorized:/ && !exists $j->{resources}[0]{reasons},
       '401 has errorMsg only');
    ($res, $j) = kp('GET', '/keys', undef, Authorization => 'Bearer garbage');
    is_kp_error($res, $j, 400, 'BEARER_SUB_EXTRACTION_ERR', 'garbled token');
    my $forged = $TOKEN;
    substr($forged, -3, 3) = (substr($forged, -3, 3) eq 'AAA' ? 'BBB' : 'AAA');
    ($res) = kp('GET', '/keys', undef, Authorization => "Bearer $forged");
    is($res->{status}, 401, 'bad signature -> 401');
    ($res) = kp('GET', '/keys', undef, 'Bluemix-Instance' => '00000000-0000-4000-8000-000000000000');
    is($res->{status}, 401, 'unknown instance -> 401');
    ($res) = kp('GET', '/keys', undef, 'Bluemix-Instance' => undef);
    is($res->{status}, 401, 'missing instance -> 401');

    ($res) = kp('GET', '/keys', undef, 'Correlation-Id' => 'corr-1234');
    is($res->{headers}{'correlation-id'}, 'corr-1234', 'Correlation-Id echoed');
    ($res) = kp('GET', '/keys');
    like($res->{headers}{'correlation-id'} // '', qr/^[0-9a-f-]{36}$/, 'Correlation-Id generated');
}

# ------------------------------------------------------------------ keys
my ($ROOT2, $STD);
my $std_payload = encode_base64('kmip record ' . ('x' x 100), '');
{
    my ($res, $j) = kp('GET', "/keys/$CRK");
    is($res->{status}, 200, 'get CRK');
    my $k = $j->{resources}[0];
    is($k->{name}, 'kmip-crk', 'CRK name');
    ok(!$k->{extractable} && $k->{state} == 1, 'CRK is an active root key');
    ok(!exists $k->{payload}, 'root key has no payload');
    is($k->{keyVersion}{id}, $CRK, 'first version id == key id');
    like($k->{crn}, qr/^crn:v1:bluemix:public:kms:eu-de:a\/\w+:$INST:key:$CRK$/, 'crn');

    ($res, $j) = kp('POST', '/keys', create_body(name => 'root-two', extractable => JSON::PP::false),
                    'Content-Type' => 'application/vnd.ibm.kms.key+json', Prefer => 'return=representation');
    is($res->{status}, 201, 'create root key -> 201');
    $ROOT2 = $j->{resources}[0]{id};
    is($j->{metadata}{collectionTotal}, 1, 'create envelope');

    ($res, $j) = kp('POST', '/keys', create_body(name => 'kmip-std-1', extractable => JSON::PP::true,
                    payload => $std_payload, description => 'a KMIP record', aliases => ['kmip-alias-1']));
    is($res->{status}, 201, 'create standard key with payload -> 201');
    $STD = $j->{resources}[0]{id};
    ok($j->{resources}[0]{extractable}, 'standard key extractable');
    ($res) = kp('POST', '/keys', create_body(name => 'kmip-std-2', extractable => JSON::PP::true));
    is($res->{status}, 201, 'create generated standard key');

    ($res, $j) = kp('GET', "/keys/$STD");
    is($j->{resources}[0]{payload}, $std_payload, 'GET returns the standard payload');
    ($res, $j) = kp('GET', "/keys/kmip-alias-1");
    is($j->{resources}[0]{id}, $STD, 'GET by alias');
    ($res, $j) = kp('GET', "/keys/$STD/metadata");
    is($res->{status}, 200, 'metadata 200');
    ok(!exists $j->{resources}[0]{payload}, 'metadata has no payload');

    # list + search
    ($res, $j) = kp('GET', '/keys?search=' . 'exact:name:kmip-std-1');
    is($j->{metadata}{collectionTotal}, 1, 'exact:name: finds one');
    is($j->{resources}[0]{id}, $STD, 'the right one');
    ok(!exists $j->{resources}[0]{payload}, 'list has no payload');
    ($res, $j) = kp('GET', '/keys?search=exact:name:kmip-std');
    is($j->{metadata}{collectionTotal}, 0, 'exact match is not a substring match');
    ok(!exists $j->{resources}, 'empty list has no resources member');
    ($res, $j) = kp('GET', '/keys?search=KMIP-STD');
    is($j->{metadata}{collectionTotal}, 2, 'plain search is case-insensitive substring');
    ($res, $j) = kp('GET', '/keys?search=not:exact:name:kmip-std-1');
    is($j->{metadata}{collectionTotal}, 3, 'not: inverts');
    ($res, $j) = kp('GET', '/keys?search=alias:kmip-alias');
    is($j->{metadata}{collectionTotal}, 1, 'alias: scope');
    ($res, $j) = kp('GET', '/keys?extractable=false');
    is($j->{metadata}{collectionTotal}, 2, 'extractable=false lists root keys');
    ($res, $j) = kp('GET', '/keys?limit=2&offset=1&sort=id');
    is($j->{metadata}{collectionTotal}, 2, 'limit/offset page');
    ($res, $j) = kp('GET', '/keys?limit=0');
    is_kp_error($res, $j, 400, 'INVALID_QUERY_PARAM_ERR', 'limit=0 rejected');
    ($res) = kp('HEAD', '/keys');
    is($res->{status}, 200, 'HEAD /keys 200');
    is($res->{headers}{'key-total'}, 4, 'Key-Total counts keys');

    # validation
    my $b = create_body(name => 'x1', extractable => JSON::PP::true);
    $b->{resources}[0]{bogus} = 1;
    ($res, $j) = kp('POST', '/keys', $b);
    is_kp_error($res, $j, 400, 'BAD_BODY_ERR', 'unknown field rejected (strict JSON)');
    $b = create_body(name => 'ab');
    push @{ $b->{resources} }, { name => 'cd' };
    $b->{metadata}{collectionTotal} = 2;
    ($res, $j) = kp('POST', '/keys', $b);
    is_kp_error($res, $j, 400, 'BAD_BODY_ERR', 'two resources rejected');
    ($res, $j) = kp('POST', '/keys', create_body(name => 'a'));
    is_kp_error($res, $j, 400, 'INVALID_FIELD_ERR', 'one-char name rejected');
    ($res, $j) = kp('POST', '/keys', create_body(name => 'big', extractable => JSON::PP::true,
                                                payload => encode_base64('z' x 7501, '')));
    is_kp_error($res, $j, 400, 'INVALID_FIELD_ERR', 'standard payload over 7500 bytes rejected');
    ($res) = kp('POST', '/keys', create_body(name => 'big', extractable => JSON::PP::true,
                                             payload => encode_base64('z' x 7500, '')));
    is($res->{status}, 201, '7500-byte standard payload accepted');
    my $big = decode_json($res->{content})->{resources}[0]{id};
    ($res) = kp('DELETE', "/keys/$big");
    ($res) = kp('DELETE', "/keys/$big/purge");
    is($res->{status}, 200, 'cleanup purge');
    ($res, $j) = kp('GET', '/keys/00000000-0000-4000-8000-000000000000');
    is_kp_error($res, $j, 404, 'KEY_NOT_FOUND_ERR', 'unknown key -> 404');
}

# ------------------------------------------------------------------ wrap / unwrap
my $dek = encode_base64('D' x 32, '');
my ($CT_OLD);
{
    my ($res, $j) = kp('POST', "/keys/$CRK/actions/wrap", { plaintext => $dek, aad => ['ab', 'c'] },
                       'Content-Type' => 'application/vnd.ibm.kms.key_action_wrap+json');
    is($res->{status}, 200, 'wrap 200');
    $CT_OLD = $j->{ciphertext};
    is($j->{keyVersion}{id}, $CRK, 'wrap keyVersion = first version');
    ok(!exists $j->{plaintext}, 'wrap with plaintext does not echo it');
    my $blob = decode_json(decode_base64($CT_OLD));
    is($blob->{version}, '4.0.0', 'ciphertext version 4.0.0');
    is($blob->{handle}, $CRK, 'ciphertext handle = key version');
    is(length(decode_base64($blob->{iv})), 12, '12-byte IV');
    is(length(decode_base64($blob->{ciphertext})), 48, 'ct||tag');

    ($res, $j) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => $CT_OLD, aad => ['ab', 'c'] });
    is($res->{status}, 200, 'unwrap 200');
    is($j->{plaintext}, $dek, 'unwrap returns the DEK');
    ok(!exists $j->{ciphertext}, 'no rewrap before rotation');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => $CT_OLD, aad => ['a', 'bc'] });
    is_kp_error($res, $j, 422, 'UNPROCESSABLE_CIPHERTEXT_ERR', 'AAD split differently -> 422');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => $CT_OLD });
    is($res->{status}, 422, 'missing AAD -> 422');
    ($res) = kp('POST', "/keys/$ROOT2/actions/unwrap", { ciphertext => $CT_OLD, aad => ['ab', 'c'] });
    is($res->{status}, 422, 'other root key -> 422');
    my $t = decode_json(decode_base64($CT_OLD));
    my $raw = decode_base64($t->{ciphertext});
    substr($raw, 0, 1) = chr(ord(substr($raw, 0, 1)) ^ 1);
    $t->{ciphertext} = encode_base64($raw, '');
    ($res) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => encode_base64(encode_json($t), ''), aad => ['ab', 'c'] });
    is($res->{status}, 422, 'tampered ciphertext -> 422');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => '!!!not base64' });
    is_kp_error($res, $j, 400, 'INVALID_FIELD_ERR', 'non-base64 ciphertext -> 400');

    ($res, $j) = kp('POST', "/keys/$CRK/actions/wrap", '');
    is($res->{status}, 200, 'wrap with empty body generates a DEK');
    is(length(decode_base64($j->{plaintext})), 32, 'generated DEK is 32 bytes');
    my ($gp, $gc) = ($j->{plaintext}, $j->{ciphertext});
    ($res, $j) = kp('POST', "/keys/$CRK?action=unwrap", { ciphertext => $gc });
    is($res->{status}, 200, 'deprecated ?action=unwrap');
    is($j->{plaintext}, $gp, 'generated DEK round-trips');

    ($res, $j) = kp('POST', "/keys/$STD/actions/wrap", { plaintext => $dek });
    is_kp_error($res, $j, 400, 'KEY_ROOT_REQ_ERR', 'wrap with standard key');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/wrap", { plaintext => $dek, extra => 1 });
    is_kp_error($res, $j, 400, 'BAD_BODY_ERR', 'unknown field in wrap body');

    # rotate
    ($res) = kp('POST', "/keys/$CRK/actions/rotate", '{}');
    is($res->{status}, 204, 'rotate 204');
    ($res, $j) = kp('GET', "/keys/$CRK/versions");
    is($j->{metadata}{collectionTotal}, 2, 'two versions');
    is($j->{resources}[1]{id}, $CRK, 'oldest version last (newest first)');
    my $v2 = $j->{resources}[0]{id};
    ($res, $j) = kp('GET', "/keys/$CRK/metadata");
    is($j->{resources}[0]{keyVersion}{id}, $v2, 'keyVersion is the new version');
    ok($j->{resources}[0]{lastRotateDate}, 'lastRotateDate set');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => $CT_OLD, aad => ['ab', 'c'] });
    is($res->{status}, 200, 'old ciphertext unwraps after rotation');
    is($j->{plaintext}, $dek, 'same DEK');
    is($j->{keyVersion}{id}, $CRK, 'keyVersion = the old version');
    is($j->{rewrappedKeyVersion}{id}, $v2, 'rewrappedKeyVersion = latest');
    ok($j->{ciphertext}, 'rewrapped ciphertext returned');
    my $ct_new = $j->{ciphertext};
    ($res, $j) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => $ct_new, aad => ['ab', 'c'] });
    ok($res->{status} == 200 && $j->{plaintext} eq $dek && !exists $j->{ciphertext},
       'rewrapped ciphertext unwraps, no further rewrap');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/rewrap", { ciphertext => $CT_OLD, aad => ['ab', 'c'] });
    ok($res->{status} == 200 && $j->{rewrappedKeyVersion}{id} eq $v2, 'rewrap action');
    ($res, $j) = kp('POST', "/keys/$STD/actions/rotate");
    is_kp_error($res, $j, 400, 'KEY_ROOT_REQ_ERR', 'rotate standard key');

    # disable / enable
    ($res) = kp('POST', "/keys/$CRK/actions/disable");
    is($res->{status}, 204, 'disable 204');
    ($res, $j) = kp('GET', "/keys/$CRK/metadata");
    is($j->{resources}[0]{state}, 2, 'state 2 (suspended)');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => $ct_new, aad => ['ab', 'c'] });
    is_kp_error($res, $j, 409, 'KEY_ACTION_INVALID_STATE_ERR', 'unwrap with disabled key');
    ($res) = kp('POST', "/keys/$CRK/actions/wrap", { plaintext => $dek });
    is($res->{status}, 409, 'wrap with disabled key -> 409');
    ($res) = kp('POST', "/keys/$CRK/actions/enable");
    is($res->{status}, 204, 'enable 204');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => $ct_new, aad => ['ab', 'c'] });
    is($res->{status}, 200, 'unwrap works again after enable');
    ($res, $j) = kp('POST', "/keys/$STD/actions/disable");
    is_kp_error($res, $j, 400, 'KEY_ROOT_REQ_ERR', 'disable standard key');
}

# ------------------------------------------------------------------ timing rules (runtime switch + clock)
{
    admin('POST', 'config', { relax_timing => JSON::PP::false });
    my ($res, $j) = kp('POST', '/keys', create_body(name => 'timed-root'));
    my $id = $j->{resources}[0]{id};
    ($res) = kp('POST', "/keys/$id/actions/rotate");
    is($res->{status}, 204, 'first rotation ok');
    ($res, $j) = kp('POST', "/keys/$id/actions/rotate");
    is_kp_error($res, $j, 409, 'KEY_ROTATION_NOT_PERMITTED', 'second rotation within an hour');
    kp('POST', "/keys/$id/actions/disable");
    ($res, $j) = kp('POST', "/keys/$id/actions/enable");
    is_kp_error($res, $j, 409, 'REQ_TOO_EARLY_ERR', 'enable within 30 s');
    admin('POST', 'clock', { advance => 31 });
    ($res) = kp('POST', "/keys/$id/actions/enable");
    is($res->{status}, 204, 'enable after 30 s (emulated clock)');
    kp('DELETE', "/keys/$id");
    ($res, $j) = kp('POST', "/keys/$id/restore");
    is_kp_error($res, $j, 409, 'REQ_TOO_EARLY_ERR', 'restore within 30 s');
    ($res, $j) = kp('DELETE', "/keys/$id/purge");
    is_kp_error($res, $j, 409, 'REQ_TOO_EARLY_ERR', 'purge before 4 h');
    admin('POST', 'clock', { advance => 4 * 3600 + 1 });
    ($res) = kp('DELETE', "/keys/$id/purge");
    is($res->{status}, 200, 'purge after 4 h');
    admin('POST', 'clock', { offset => 0 });
    admin('POST', 'config', { relax_timing => JSON::PP::true });
}

# ------------------------------------------------------------------ delete / restore / purge
{
    my ($res, $j) = kp('DELETE', "/keys/$STD", undef, Prefer => 'return=representation');
    is($res->{status}, 200, 'delete with return=representation -> 200');
    is($j->{resources}[0]{state}, 5, 'deleted key state 5');
    ($res, $j) = kp('DELETE', "/keys/$STD");
    is_kp_error($res, $j, 410, 'KEY_DELETED_ERR', 'delete twice');
    ($res, $j) = kp('GET', "/keys/$STD");
    ok($res->{status} == 200 && $j->{resources}[0]{state} == 5 && $j->{resources}[0]{deleted},
       'GET deleted key -> state 5');
    ok($j->{resources}[0]{deletionDate}, 'deletionDate present');
    ($res, $j) = kp('GET', '/keys?search=exact:name:kmip-std-1');
    is($j->{metadata}{collectionTotal}, 0, 'list hides deleted keys');
    ($res, $j) = kp('GET', '/keys?search=exact:name:kmip-std-1&state=5');
    is($j->{metadata}{collectionTotal}, 1, 'state=5 lists it');
    ($res, $j) = kp('POST', "/keys/$STD/restore");
    is($res->{status}, 201, 'restore 201');
    is($j->{resources}[0]{state}, 1, 'restored key is active');
    ($res, $j) = kp('GET', "/keys/$STD");
    is($j->{resources}[0]{payload}, $std_payload, 'restored payload intact');
    ($res) = kp('DELETE', "/keys/$STD");
    is($res->{status}, 204, 'delete without Prefer -> 204');
    ($res) = kp('DELETE', "/keys/$STD/purge");
    is($res->{status}, 200, 'purge (relaxed) 200');
    ($res, $j) = kp('GET', "/keys/$STD");
    is_kp_error($res, $j, 404, 'KEY_NOT_FOUND_ERR', 'purged key -> 404');
}

# ------------------------------------------------------------------ aliases, key rings
{
    my ($res, $j) = kp('POST', "/keys/$ROOT2/aliases/r2-alias");
    is($res->{status}, 201, 'alias create 201');
    is($j->{resources}[0]{alias}, 'r2-alias', 'alias envelope');
    ($res) = kp('GET', '/keys/r2-alias/metadata');
    is($res->{status}, 200, 'metadata by alias');
    ($res) = kp('DELETE', "/keys/$ROOT2/aliases/r2-alias");
    is($res->{status}, 204, 'alias delete 204');

    # aliases are unique among keys, deleted ones included until purged
    my $mk = sub {
        my ($name, @aliases) = @_;
        my ($r, $b) = kp('POST', '/keys', create_body(
            name => $name, extractable => JSON::PP::true,
            @aliases ? (aliases => \@aliases) : ()));
        return ($r, $b->{resources}[0]{id});
    };
    my ($r1, $k1) = $mk->('al-1', 'cas-a');
    is($r1->{status}, 201, 'a key with alias cas-a');
    my ($r2) = $mk->('al-2', 'cas-b', 'cas-a');
    is($r2->{status}, 409, 'a second key with cas-a: 409');
    ($res, $j) = kp('GET', '/keys?search=exact:alias:cas-b');
    is($j->{metadata}{collectionTotal}, 0, '... and nothing of it was kept');
    my (undef, $k2) = $mk->('al-2', 'cas-b');
    ($res, $j) = kp('POST', "/keys/$k2/aliases/cas-a");
    is_kp_error($res, $j, 409, 'KEY_ALIAS_NOT_UNIQUE_ERR', 'alias held by another key');
    ($res) = kp('POST', "/keys/$k1/aliases/cas-a");
    is($res->{status}, 201, 'the same alias again on its key: 201');
    ($res) = kp('POST', "/keys/$k2/aliases/al$_") for 1 .. 4;
    ($res, $j) = kp('POST', "/keys/$k2/aliases/al5");
    is_kp_error($res, $j, 400, 'KEY_ALIAS_QUOTA_ERR', 'a sixth alias');
    ($res) = kp('DELETE', "/keys/$k2/aliases/cas-b");
    ($res) = kp('POST', "/keys/$k1/aliases/cas-b");
    is($res->{status}, 201, 'a deleted alias is free again');
    ($res, $j) = kp('GET', '/keys/cas-b/metadata');
    is($j->{resources}[0]{id}, $k1, '... and found on its new key');
    ($res) = kp('DELETE', "/keys/$k1");
    is($res->{status}, 204, 'delete the key holding cas-a');
    ($r2) = $mk->('al-3', 'cas-a');
    is($r2->{status}, 409, 'a deleted key keeps its aliases until purged');
    ($res, $j) = kp('GET', '/keys/cas-a/metadata');
    is($j->{resources}[0]{state}, 5, '... and is found by them');
    ($res) = kp('DELETE', "/keys/$k1/purge");
    is($res->{status}, 200, 'purge it');
    ($res, $j) = kp('GET', '/keys/cas-a/metadata');
    is($res->{status}, 404, 'the alias of a purged key finds nothing');
    ($r2) = $mk->('al-3', 'cas-a', 'cas-b');
    is($r2->{status}, 201, '... and both its aliases are free');
    ($res) = kp('POST', '/key_rings/ring-a');
    is($res->{status}, 201, 'key ring create');
    ($res, $j) = kp('GET', '/key_rings');
    is_deeply([sort map { $_->{id} } @{ $j->{resources} }], ['default', 'ring-a'], 'key rings listed');
    ($res, $j) = kp('POST', '/keys', create_body(name => 'ringed', extractable => JSON::PP::true), 'X-Kms-Key-Ring' => 'ring-a');
    my $rk = $j->{resources}[0]{id};
    is($j->{resources}[0]{keyRingID}, 'ring-a', 'created in ring-a');
    ($res, $j) = kp('GET', '/keys', undef, 'X-Kms-Key-Ring' => 'ring-a');
    is($j->{metadata}{collectionTotal}, 1, 'list scoped to ring');
    ($res) = kp('DELETE', '/key_rings/ring-a');
    is($res->{status}, 409, 'cannot delete a ring with keys');
    ($res, $j) = kp('PATCH', "/keys/$rk", { keyRingID => 'default' }, 'X-Kms-Key-Ring' => 'ring-a');
    ok($res->{status} == 200 && $j->{resources}[0]{keyRingID} eq 'default', 'PATCH keyRingID');
    ($res) = kp('DELETE', '/key_rings/ring-a');
    is($res->{status}, 204, 'empty ring deleted');
}

# ------------------------------------------------------------------ admin: request log, keys dump, tokens
{
    admin('DELETE', 'requests');
    kp('GET', "/keys/$CRK/metadata", undef, 'Correlation-Id' => 'count-me');
    kp('POST', "/keys/$CRK/actions/wrap", { plaintext => $dek, aad => ['x'] });
    my ($res, $j) = admin('GET', 'requests');
    is($j->{count}, 2, 'request log counts KP calls');
    my $e = $j->{requests}[0];
    ok(defined $e->{$_}, "log entry has $_") for qw(method path status correlation_id time);
    is($e->{correlation_id}, 'count-me', 'log keeps the correlation id');
    is($j->{requests}[1]{path}, "/api/v2/keys/$CRK/actions/wrap", 'log path');
    unlike($res->{content}, qr/\Q$TOKEN\E|\Q$APIKEY\E|\Q$dek\E/, 'request log has no token, API key or payload');

    ($res, $j) = admin('GET', 'keys');
    is($res->{status}, 200, 'keys dump');
    my ($crk) = grep { $_->{id} eq $CRK } @{ $j->{keys} };
    is(scalar @{ $crk->{versions} }, 2, 'dump shows versions');
    unlike($res->{content}, qr/"(payload|material)"/, 'dump has no key material');

    ($res, $j) = admin('POST', 'expire-tokens');
    is($res->{status}, 200, 'expire-tokens');
    ($res) = kp('GET', '/keys');
    is($res->{status}, 401, 'old token rejected after expire-tokens');
    ($res, $j) = get_token($BASE, $APIKEY);
    $TOKEN = $j->{access_token};
    ($res) = kp('GET', '/keys');
    is($res->{status}, 200, 'fresh token accepted');
}

# ------------------------------------------------------------------ faults
{
    my ($res, $j) = admin('POST', 'faults', { method => 'GET', path => '^/api/v2/keys$', status => 503,
                                               count => 1, headers => { 'Retry-After' => '1' } });
    is($res->{status}, 201, 'fault added');
    ($res) = kp('GET', '/keys');
    is($res->{status}, 503, 'injected 503');
    is($res->{headers}{'retry-after'}, '1', 'injected header');
    ($res) = kp('GET', '/keys');
    is($res->{status}, 200, 'fault expired after count 1');
    ($res, $j) = admin('GET', 'faults');
    is(scalar @{ $j->{faults} }, 0, 'fault list empty again');

    admin('POST', 'faults', { path => 'actions/wrap$', action => 'reset', count => 1 });
    my $fresh = HTTP::Tiny->new(timeout => 5, keep_alive => 0);
    ($res) = kp('POST', "/keys/$CRK/actions/wrap", { plaintext => $dek }, _http => $fresh);
    is($res->{status}, 599, 'reset -> connection error');
    ($res) = kp('POST', "/keys/$CRK/actions/wrap", { plaintext => $dek });
    is($res->{status}, 200, 'next request fine');

    admin('POST', 'faults', { path => '/metadata$', action => 'malformed', count => 1 });
    ($res, $j) = kp('GET', "/keys/$CRK/metadata");
    ok($res->{status} == 200 && !defined $j, 'malformed -> 200 with non-JSON body');

    # (POST: HTTP::Tiny silently retries an idempotent GET once)
    admin('POST', 'faults', { path => 'actions/wrap$', action => 'truncate', count => 1 });
    ($res) = kp('POST', "/keys/$CRK/actions/wrap", { plaintext => $dek }, _http => $fresh);
    is($res->{status}, 599, 'truncate -> short body error');
    like($res->{content}, qr/Unexpected end/, 'client saw a short body');

    admin('POST', 'faults', { path => '/metadata$', status => 409, code => 'KEY_ROTATION_NOT_PERMITTED', count => 1 });
    ($res, $j) = kp('GET', "/keys/$CRK/metadata");
    is_kp_error($res, $j, 409, 'KEY_ROTATION_NOT_PERMITTED', 'injected KP reason code');

    # when=after: the operation happens, the answer is lost
    admin('POST', 'faults', { method => 'POST', path => '^/api/v2/keys$', action => 'reset', when => 'after', count => 1 });
    ($res) = kp('POST', '/keys', create_body(name => 'lost-answer', extractable => JSON::PP::true), _http => $fresh);
    is($res->{status}, 599, 'when=after reset: no answer');
    ($res, $j) = kp('GET', '/keys?search=exact:name:lost-answer');
    is($j->{metadata}{collectionTotal}, 1, 'when=after: the key was created anyway');

    # a delayed request must not hold up another one
    admin('POST', 'faults', { path => '/metadata$', delay_ms => 1500, count => 1 });
    pipe(my $rd, my $wr) or die;
    my $child = fork();
    die "fork: $!" unless defined $child;
    if (!$child) {
        close $rd;
        my $h = HTTP::Tiny->new(timeout => 10);
        my $t0 = time;
        my $r = $h->get("$BASE/api/v2/keys/$CRK/metadata",
                        { headers => { Authorization => "Bearer $TOKEN", 'Bluemix-Instance' => $INST } });
        print $wr sprintf("%d %.3f\n", $r->{status}, time - $t0);
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    sleep 0.3;
    my $t0 = time;
    ($res) = kp('GET', '/keys', undef, _http => HTTP::Tiny->new(timeout => 10));
    my $fast = time - $t0;
    is($res->{status}, 200, 'parallel request answered');
    ok($fast < 0.8, sprintf('parallel request not blocked (%.3fs)', $fast));
    my $line = <$rd>;
    waitpid($child, 0);
    my ($st, $slow) = split ' ', ($line // '0 0');
    is($st, 200, 'delayed request answered');
    ok($slow >= 1.4, sprintf('delayed request took %.3fs', $slow));

    ($res, $j) = admin('POST', 'latency', { ms => 200, path => '^/api/v2/key_rings' });
    $t0 = time;
    kp('GET', '/key_rings');
    ok(time - $t0 >= 0.19, 'latency injection applies');
    admin('DELETE', 'latency');
    ($res) = admin('POST', 'faults', { status => 'x' });
    is($res->{status}, 400, 'invalid fault spec rejected');
    admin('DELETE', 'faults');
}

# ------------------------------------------------------------------ HTTP transport
# one event loop serves every connection: requests in order on a connection,
# HTTP/1.1 framing as http.server did it, and delays that overlap
{
    my $port = $emu->{port};
    my $auth = "Authorization: Bearer $TOKEN\r\nBluemix-Instance: $INST\r\n";
    my $sock = sub {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                              Timeout => 5) or die "connect: $!";
    };
    # everything the server sends until it closes or goes quiet
    my $drain = sub {
        my ($s, $quiet) = @_;
        my ($all, $sel) = ('', IO::Select->new($s));
        while ($sel->can_read($quiet // 1)) {
            my $n = sysread($s, my $buf, 65536);
            last unless $n;
            $all .= $buf;
        }
        return $all;
    };
    # one answer, read as far as its Content-Length
    my $answer = sub {
        my ($s) = @_;
        my ($all, $sel) = ('', IO::Select->new($s));
        while ($sel->can_read(5)) {
            my $n = sysread($s, my $buf, 65536);
            last unless $n;
            $all .= $buf;
            last if $all =~ /\r\n\r\n/ && $all =~ /Content-Length: (\d+)/i
                    && length($all) >= index($all, "\r\n\r\n") + 4 + $1;
        }
        return $all;
    };
    my $closed = sub {
        my ($s) = @_;
        return 0 unless IO::Select->new($s)->can_read(3);
        return !sysread($s, my $buf, 1);
    };

    my $s = $sock->();
    print $s "GET /api/v2/keys/$CRK/metadata HTTP/1.1\r\nHost: x\r\n$auth"
           . "Correlation-Id: one\r\n\r\n"
           . "GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n"
           . "GET /api/v2/key_rings HTTP/1.1\r\nhost: x\r\n"
           . "authorization: Bearer $TOKEN\r\nBLUEMIX-INSTANCE: $INST\r\n"
           . "correlation-id: three\r\n\r\n";
    my $out = $drain->($s);
    my @st = $out =~ m{HTTP/1\.1 (\d+) }g;
    is("@st", '200 200 200', 'pipelined requests answered in order');
    like($out, qr/Correlation-Id: one\r\n.*"ok":true.*Correlation-Id: three\r\n/s,
         '... each with its own answer (lower-case header names too)');
    like($out, qr/^Server: kp-emulator\/\S+\r\nDate: \w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT\r\n/m,
         'Server and Date headers');

    my $body = encode_json({ plaintext => $dek });
    my $chunked = join '', map { sprintf("%x\r\n%s\r\n", length $_, $_) }
                  substr($body, 0, 5), substr($body, 5);
    print $s "POST /api/v2/keys/$CRK/actions/wrap HTTP/1.1\r\nHost: x\r\n$auth"
           . "Transfer-Encoding: chunked\r\n\r\n$chunked" . "0\r\n\r\n";
    $out = $drain->($s);
    like($out, qr{^HTTP/1\.1 200 .*"ciphertext":}s, 'chunked request body');

    print $s "POST /api/v2/keys/$CRK/actions/wrap HTTP/1.1\r\nHost: x\r\n$auth"
           . "Expect: 100-continue\r\nContent-Length: " . length($body)
           . "\r\n\r\n";
    $out = $drain->($s, 0.5);
    is($out, "HTTP/1.1 100 Continue\r\n\r\n", 'Expect: 100-continue');
    print $s $body;
    $out = $drain->($s);
    like($out, qr{^HTTP/1\.1 200 .*"ciphertext":}s, '... then the answer');

    print $s "POST /api/v2/keys HTTP/1.1\r\nHost: x\r\n$auth"
           . "Content-Length: " . (1024 * 1024 + 1) . "\r\n\r\n";
    $out = $drain->($s);
    like($out, qr{^HTTP/1\.1 413 .*Connection: close\r\n}s,
         'a body over 1 MiB: 413');
    ok($closed->($s), '... and the connection closed');

    $s = $sock->();
    print $s "GARBAGE\r\n\r\n";
    $out = $drain->($s);
    # http.server's page, alone: no version, no status line (HTTP/0.9)
    like($out, qr{^<!DOCTYPE HTML>.*Error code: 400}s, 'a bad request line: 400');
    ok($closed->($s), '... and the connection closed');

    $s = $sock->();
    print $s "GET /_emulator/health HTTP/1.0\r\n\r\n";
    $out = $drain->($s);
    like($out, qr{^HTTP/1\.1 200 .*"ok":true}s, 'HTTP/1.0 answered');
    ok($closed->($s), '... then closed');

    $s = $sock->();
    print $s "GET /_emulator/health HTTP/2.0\r\n\r\n";
    like($drain->($s), qr{^<!DOCTYPE HTML>.*Error code: 505}s,
         'HTTP/2.0 request line: 505');

    $s = $sock->();
    print $s "GET /_emulator/health HTTP/1.1\r\n" . ("X-Pad: y\r\n" x 101) . "\r\n";
    like($drain->($s), qr{^HTTP/1\.1 431 Too many headers\r\n.*Error code: 431}s,
         'more than 100 headers: 431');

    # latency is a timer per request: 10 requests at 300 ms take 300 ms
    admin('POST', 'latency', { ms => 300 });
    my @socks = map { $sock->() } 1 .. 10;
    my $t0 = time;
    print $_ "GET /api/v2/key_rings HTTP/1.1\r\nHost: x\r\n$auth\r\n"
        for @socks;
    my @lat = map { my $o = $answer->($_); [ $o, time - $t0 ] } @socks;
    admin('DELETE', 'latency');
    is(scalar(grep { $_->[0] =~ m{^HTTP/1\.1 200 } } @lat), 10,
       '10 requests with latency answered');
    ok((!grep { $_->[1] < 0.29 } @lat), 'each one delayed');
    my $max = (sort { $b <=> $a } map { $_->[1] } @lat)[0];
    ok($max < 1.5, sprintf('the delays overlap (all in %.2fs)', $max));
}

# ------------------------------------------------------------------ kill -9 and restart
{
    my ($res, $j) = kp('POST', '/keys', create_body(name => 'survivor', extractable => JSON::PP::true,
                                                    payload => encode_base64('persist me', '')));
    is($res->{status}, 201, 'key created before kill -9');
    my $sid = $j->{resources}[0]{id};
    ($res, $j) = kp('POST', "/keys/$CRK/actions/wrap", { plaintext => $dek, aad => ['p'] });
    my $ct = $j->{ciphertext};
    my $port = $emu->{port};
    stop_emu($emu, 'KILL');
    $emu = start_emu(state => $state, listen => "127.0.0.1:$port", args => ['--relax-timing']);
    is($emu->{port}, $port, 'restarted on the same port');
    ($res, $j) = kp('GET', "/keys/$sid", undef, _http => HTTP::Tiny->new(timeout => 10));
    is($res->{status}, 200, 'key survives kill -9 (token still valid)');
    is($j->{resources}[0]{payload}, encode_base64('persist me', ''), 'payload survives');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => $ct, aad => ['p'] });
    is($j->{plaintext}, $dek, 'ciphertext from before the restart unwraps');
    ($res, $j) = kp('GET', "/keys/$CRK/versions");
    is($j->{metadata}{collectionTotal}, 2, 'rotation survives');
    my @tmp = glob("$dir/.state.json.tmp.*");
    is(scalar @tmp, 0, 'no temp files left behind');

    # crypto-shredding: delete the CRK
    ($res) = kp('DELETE', "/keys/$CRK");
    is($res->{status}, 204, 'CRK deleted');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/unwrap", { ciphertext => $ct, aad => ['p'] });
    is_kp_error($res, $j, 410, 'KEY_DELETED_ERR', 'unwrap with deleted CRK');
    ($res, $j) = kp('POST', "/keys/$CRK/actions/wrap", { plaintext => $dek });
    is($res->{status}, 410, 'wrap with deleted CRK -> 410');

    my $st = stop_emu($emu, 'TERM');
    is($st, 0, 'SIGTERM -> clean exit 0');
    ok(-s "$state.journal", 'journal holds the latest mutations');

    # the same state in snapshot mode: the journal is folded in and removed
    $emu = start_emu(state => $state, args => ['--persist', 'snapshot']);
    $BASE = $emu->{base};
    ($res, $j) = kp('GET', "/keys/$CRK/metadata", undef, _http => HTTP::Tiny->new(timeout => 10));
    is($j->{resources}[0]{state}, 5, 'CRK deletion replayed from the journal');
    ($res) = kp('GET', "/keys/$sid/metadata");
    is($res->{status}, 200, 'survivor still there in snapshot mode');
    ok(!-e "$state.journal", 'snapshot mode removed the folded journal');
    ($res) = kp('POST', '/keys', create_body(name => 'snap', extractable => JSON::PP::true));
    is($res->{status}, 201, 'mutation in snapshot mode');
    stop_emu($emu, 'KILL');
    my $snap = decode_json(do { local (@ARGV, $/) = $state; <> });
    is(scalar(grep { $_->{name} eq 'snap' } values %{ $snap->{keys} }), 1,
       'snapshot mode wrote the state file before answering');
    my $show = decode_json(`$PY $EMU show --state $state`);
    is($show->{instance}, $INST, 'show prints the init JSON');
}

# ------------------------------------------------------------------ token expiry, --fault at start, TLS
{
    my $s2 = "$dir/ttl.json";
    my (undef, $o) = run_init('--state', $s2);
    my $i2 = decode_json($o);
    my @tls;
    if (system("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 "
             . "-keyout $dir/k.pem -out $dir/c.pem >/dev/null 2>&1") == 0) {
        @tls = ('--tls-cert', "$dir/c.pem", '--tls-key', "$dir/k.pem");
    }
    my $e2 = start_emu(state => $s2, log => "$dir/ttl.log",
                       args => ['--token-ttl', '2', @tls,
                                '--fault', 'method=GET;path=^/api/v2/keys$;status=429;count=1;headers=Retry-After:2']);
    local $BASE = (@tls ? 'https' : 'http') . "://127.0.0.1:$e2->{port}";
    local $http = HTTP::Tiny->new(timeout => 10, verify_SSL => 0);
    local $INST = $i2->{instance};
    my ($res, $j) = get_token($BASE, $i2->{api_key});
    is($j->{expires_in}, 2, '--token-ttl 2');
    local $TOKEN = $j->{access_token};
    ($res) = kp('GET', '/keys');
    is($res->{status}, 429, '--fault from the command line');
    is($res->{headers}{'retry-after'}, '2', 'with its header');
    ($res) = kp('GET', '/keys');
    is($res->{status}, 200, 'token valid before expiry' . (@tls ? ' (over TLS)' : ''));
    sleep 2.2;
    ($res, $j) = kp('GET', '/keys');
    is($res->{status}, 401, 'token rejected after expiry');
    ok(!exists $j->{resources}[0]{reasons}, '401 carries errorMsg only');
    stop_emu($e2, 'TERM');
}

# ------------------------------------------------------------------ --idle-timeout
{
    my $s3 = "$dir/idle.json";
    run_init('--state', $s3);
    my $e3 = start_emu(state => $s3, log => "$dir/idle.log",
                       args => ['--idle-timeout', '1']);
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $e3->{port}, Timeout => 5)
        or die "connect: $!";
    print $s "GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n";
    my $sel = IO::Select->new($s);
    my ($got, $t0) = ('', time);
    while ($sel->can_read(5)) {
        last unless sysread($s, my $buf, 65536);
        $got .= $buf;
    }
    my $idle = time - $t0;
    like($got, qr{^HTTP/1\.1 200 }, 'answered on a keep-alive connection');
    ok($idle >= 0.9 && $idle < 4,
       sprintf('closed after --idle-timeout 1 (%.1fs)', $idle));
    stop_emu($e3, 'TERM');
}

# ------------------------------------------------------------------ secrets never reach the log
{
    my $log = do { local (@ARGV, $/) = ("$dir/emu.log"); <> } // '';
    ok(length $log, 'emulator wrote a log');
    unlike($log, qr/\Q$APIKEY\E/, 'log has no API key');
    unlike($log, qr/eyJ[A-Za-z0-9_-]{10,}\./, 'log has no token');
    unlike($log, qr/\Q$dek\E|\Q$std_payload\E/, 'log has no key material');
}

done_testing();
