package Test::KPEmulator;

# A Key Protect + IAM emulator (tools/kp-emulator) for the t/ suites: one
# instance per call to start(), on a free loopback port, with its own state
# file, stopped when the object goes away.
#
#   my $kp = Test::KPEmulator->start(dir => $dir, args => ['--token-ttl', 5]);
#   $ENV{TEST_NGINX_KP} = $kp->nginx_conf;   # directives for stream/server
#   $kp->fault({ method => 'POST', path => 'wrap', status => 503, count => 1 });
#   my $n = $kp->count(method => 'GET', path => qr{^/api/v2/keys$});

use strict;
use warnings;

use Carp qw(croak);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use HTTP::Tiny;
use JSON::PP qw(decode_json encode_json);
use POSIX ();
use Time::HiRes qw(sleep);
use Test::FreePort;

my $top = dirname(__FILE__) . '/../../..';
my $emulator = "$top/tools/kp-emulator";
my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);

sub start {
    my ($class, %a) = @_;
    my $dir = $a{dir} or croak 'dir is required';
    make_path($dir);

    my $self = bless { dir => $dir, args => $a{args} || [],
                       name => $a{name} || 'kp', tls => $a{tls} }, $class;
    # tls => [cert, key]: serve HTTPS with that certificate
    push @{ $self->{args} }, '--tls-cert', $a{tls}[0], '--tls-key', $a{tls}[1]
        if $a{tls};
    $self->{state} = "$dir/$self->{name}.json";

    my $out = `$emulator init --force --state $self->{state}`;
    croak "kp-emulator init failed: $out" if $?;
    $self->{init} = decode_json($out);

    $self->{api_key_file} = "$dir/$self->{name}.apikey";
    open my $fh, '>', $self->{api_key_file} or croak "$!";
    print $fh $self->{init}{api_key}, "\n";
    close $fh;
    chmod 0600, $self->{api_key_file};

    $self->{port} = $a{port} || free_port();
    $self->_spawn;
    return $self;
}

sub _spawn {
    my ($self) = @_;
    my $pid = fork // croak "fork: $!";
    if ($pid == 0) {
        POSIX::setpgid(0, 0);
        open STDOUT, '>>', "$self->{dir}/$self->{name}.log";
        open STDERR, '>&', \*STDOUT;
        no warnings 'exec';
        exec $emulator, 'serve', '--listen', "127.0.0.1:$self->{port}",
             '--state', $self->{state}, '--relax-timing',
             @{ $self->{args} };
        POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    $self->{owner} = $$;

    for (1 .. 200) {
        my $r = $http->get($self->url . '/_emulator/health');
        return if $r->{status} == 200;
        sleep 0.05;
    }
    croak "kp-emulator did not start, see $self->{dir}/$self->{name}.log";
}

sub url {
    my ($self) = @_;
    return ($self->{tls} ? 'https' : 'http') . "://127.0.0.1:$self->{port}";
}
sub port         { $_[0]{port} }
sub instance     { $_[0]{init}{instance} }
sub root_key     { $_[0]{init}{root_key} }
sub api_key      { $_[0]{init}{api_key} }
sub api_key_file { $_[0]{api_key_file} }
sub state_file   { $_[0]{state} }

# the directives that point a kmip server at this emulator
sub nginx_conf {
    my ($self) = @_;
    my $url = $self->url;
    return join "\n    ",
        "kmip_keyprotect_url $url;",
        "kmip_keyprotect_instance " . $self->instance . ";",
        "kmip_keyprotect_root_key " . $self->root_key . ";",
        "kmip_iam_url $url;",
        "kmip_iam_api_key_file " . $self->api_key_file . ";";
}

sub _admin {
    my ($self, $method, $path, $body) = @_;
    my $r = $http->request($method, $self->url . "/_emulator/$path",
        defined $body
        ? { content => encode_json($body),
            headers => { 'Content-Type' => 'application/json' } }
        : {});
    croak "kp-emulator $method $path: $r->{status} $r->{content}"
        unless $r->{success};
    return length $r->{content} ? decode_json($r->{content}) : undef;
}

sub fault        { $_[0]->_admin('POST', 'faults', $_[1]) }
sub clear_faults { $_[0]->_admin('DELETE', 'faults') }
sub latency      { $_[0]->_admin('POST', 'latency',
                                 { ms => $_[1], defined $_[2]
                                                ? (path => $_[2]) : () }) }
sub clear_latency { $_[0]->_admin('DELETE', 'latency') }
sub expire_tokens { $_[0]->_admin('POST', 'expire-tokens', {}) }
sub keys          { $_[0]->_admin('GET', 'keys') }
sub clear_requests { $_[0]->_admin('DELETE', 'requests') }

# Key Protect requests seen since the last clear_requests(), optionally
# filtered: method => 'GET', path => qr/.../
sub requests {
    my ($self, %f) = @_;
    my $r = $self->_admin('GET', 'requests?kind=kp');
    my @r = @{ $r->{requests} || [] };
    @r = grep { $_->{method} eq $f{method} } @r if $f{method};
    @r = grep { $_->{path} =~ $f{path} } @r if $f{path};
    return @r;
}

sub count { my ($self, %f) = @_; return scalar $self->requests(%f) }

# the live (not deleted, not destroyed) Key Protect keys of an object
sub live_keys {
    my ($self, $uid) = @_;
    my $k = $self->keys;
    my @k = ref $k eq 'HASH' ? @{ $k->{keys} || $k->{resources} || [] } : @$k;
    return grep { ($_->{name} // '') eq "kmip-$uid"
                  && !$_->{deleted} && ($_->{state} // 0) != 5 } @k;
}

# the live keys of an object once the deletions its writes left for after
# their answers are done (docs/key-protect.md): waits at most $secs (10)
# for $n live keys, and returns what is live then
sub settle {
    my ($self, $uid, $n, $secs) = @_;
    my $end = Time::HiRes::time() + ($secs // 10);
    my @live = $self->live_keys($uid);
    while (@live != $n && Time::HiRes::time() < $end) {
        Time::HiRes::sleep(0.1);
        @live = $self->live_keys($uid);
    }
    return @live;
}

# a Key Protect API call as an operator would make it (console or CLI)
sub kp_call {
    my ($self, $method, $path, $body) = @_;
    my $t = $http->post_form($self->url . '/identity/token',
        { grant_type => 'urn:ibm:params:oauth:grant-type:apikey',
          apikey => $self->api_key });
    croak "token: $t->{status}" unless $t->{success};
    my $token = decode_json($t->{content})->{access_token};
    my $r = $http->request($method, $self->url . "/api/v2/$path", {
        headers => { Authorization => "Bearer $token",
                     'Bluemix-Instance' => $self->instance,
                     'Content-Type' => 'application/json' },
        defined $body ? (content => encode_json($body)) : () });
    return { status => $r->{status},
             body => length $r->{content}
                     ? eval { decode_json($r->{content}) } : undef };
}

sub stop {
    my ($self, $signal) = @_;
    return unless $self->{pid};
    kill $signal // 'TERM', $self->{pid};
    waitpid $self->{pid}, 0;
    delete $self->{pid};
}

sub restart {
    my ($self) = @_;
    $self->stop('KILL');
    $self->_spawn;
}

sub DESTROY {
    my ($self) = @_;
    local ($?, $@, $!);
    $self->stop if $self->{pid} && $self->{owner} == $$;
}

1;
