package Test::Nginx::KMIP;

# Data-driven test harness for ngx_kmip (an nginx stream module speaking
# KMIP over mutual TLS).  Original code on Test::Base, Test::More and
# IO::Socket::SSL; see docs/testing.md for the sections and the API.
#
# Each block of a suite runs as ONE Test::More subtest (per repeat_each), so
#     plan tests => repeat_each() * blocks();
# is always right (run_tests() sets that plan itself if none was set).

use strict;
use warnings;

use Test::Base ();
use Test::More ();
use Carp qw(croak);
use Cwd qw(abs_path getcwd);
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use File::Basename qw(dirname basename);
use File::Path qw(make_path remove_tree);
use File::Spec;
use IO::Select;
use IO::Socket::INET;
use IO::Socket::SSL qw(SSL_VERIFY_PEER SSL_VERIFY_NONE);
use POSIX qw(WNOHANG);
use Text::Diff ();
use Time::HiRes qw(sleep time);

use KMIP::TTLV;
use Test::FreePort;     # free_port, exported again below

our @ISA = ('Test::Base');

# Test::Base's own exports (Test::More functions, blocks, plan...) are
# exported by Spiffy from the base class.
our @EXPORT = (
    @KMIP::TTLV::EXPORT,
    qw(
        run_tests repeat_each no_shuffle log_level workers master_on
        no_kmip_module suite_setting add_block_preprocessor block_default
        servroot cert_dir cert_path nginx_binary kmip_module_paths
        free_port start_nginx kmip_connect kmip_roundtrip serving_pids
        child_pids
        subtest note done_testing explain BAIL_OUT
        dump_matches response_head current_block current_vars response_bytes
        harness_diag
    )
);

# Test::More functions that Test::Base does not re-export
BEGIN {
    no strict 'refs';
    *{"Test::Nginx::KMIP::$_"} = \&{"Test::More::$_"}
        for qw(subtest note done_testing explain BAIL_OUT);
}

# ------------------------------------------------------------ settings

my $ROOT = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)),
                                       '..', '..', '..', '..'));
my $SCRIPT = basename($0, '.t');
$SCRIPT =~ s/[^\w.-]/_/g;

our $Binary   = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
# TEST_NGINX_SERVROOT: one server root for every suite; or
# TEST_NGINX_SERVROOT_DIR: the directory of the per-suite ones (t/)
our $Servroot = $ENV{TEST_NGINX_SERVROOT}
    ? File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT})
    : File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT_DIR} || "$ROOT/t")
      . "/servroot-$SCRIPT";
our $StreamModule = $ENV{TEST_NGINX_STREAM_MODULE}
    || '/usr/lib/nginx/modules/ngx_stream_module.so';
$StreamModule = "$ROOT/$StreamModule"
    unless File::Spec->file_name_is_absolute($StreamModule);
our $Verbose  = $ENV{TEST_NGINX_VERBOSE};
our $Valgrind = $ENV{TEST_NGINX_USE_VALGRIND};
our $NoClean  = $ENV{TEST_NGINX_NO_CLEAN};

my $RepeatEach = 1;
my $Shuffle    = 0;     # kept for API compatibility; blocks run in order
my $LogLevel;           # default: debug if nginx --with-debug, else info
my $Workers    = 1;
my $MasterOn   = 1;
my $NoKmip     = $ENV{TEST_NGINX_NO_KMIP_MODULE} ? 1 : 0;
my %Setting;
my @Preprocessors;

sub repeat_each  { $RepeatEach = shift if @_; return $RepeatEach }
sub no_shuffle   { $Shuffle = 0 }
sub log_level    { $LogLevel = shift if @_; return $LogLevel // _default_log_level() }
sub workers      { $Workers = shift if @_; return $Workers }
sub master_on    { $MasterOn = 1 }
sub no_kmip_module { $NoKmip = @_ ? shift : 1 }
sub suite_setting { my $k = shift; $Setting{$k} = shift if @_; return $Setting{$k} }
# add_block_preprocessor(sub { my $block = shift; ... }): as Test::Nginx's,
# run on each block before the suite runs, to give blocks the sections
# they share (see block_default)
sub add_block_preprocessor { push @Preprocessors, @_ }

# block_default(section => text, ...): the section of every block that has
# none (the text as the section's filters would have left it)
sub block_default {
    my %d = @_;
    add_block_preprocessor(sub {
        my $b = shift;
        for my $s (sort keys %d) {
            $b->set_value($s, $d{$s}) unless defined _sec($b, $s);
        }
    });
}

sub servroot     { $Servroot }
sub cert_dir     { "$Servroot/certs" }
sub nginx_binary { $Binary }

sub cert_path {
    my $f = shift;
    _ensure_certs();
    return "$Servroot/certs/$f";
}

sub harness_diag { Test::More::diag(@_) if $Verbose }

my $DefaultLogLevel;
sub _default_log_level {
    return $DefaultLogLevel if defined $DefaultLogLevel;
    my $v = `$Binary -V 2>&1`;
    return $DefaultLogLevel = ($v =~ /--with-debug/ ? 'debug' : 'info');
}

# TEST_NGINX_LOAD_MODULES: space-separated .so paths (relative to the
# repository root); default build/ngx_stream_kmip_module.so.
sub kmip_module_paths {
    my $m = $ENV{TEST_NGINX_LOAD_MODULES} // 'build/ngx_stream_kmip_module.so';
    return map { File::Spec->file_name_is_absolute($_) ? $_ : "$ROOT/$_" }
           grep { length } split /\s+/, $m;
}

# ------------------------------------------------------------ utilities

sub _write_file {
    my ($f, $c) = @_;
    make_path(dirname($f));
    open my $fh, '>', $f or croak "cannot write $f: $!";
    binmode $fh;
    print $fh $c;
    close $fh or croak "close $f: $!";
}

sub _read_file {
    my $f = shift;
    open my $fh, '<', $f or return '';
    binmode $fh;
    local $/;
    my $c = <$fh>;
    return $c // '';
}

sub _run_cmd {
    my @cmd = @_;
    my $out = `@{[ join ' ', map { _sh_quote($_) } @cmd ]} 2>&1`;
    return ($? >> 8, $out);
}

sub _sh_quote {
    my $s = shift;
    return $s if $s =~ m{^[\w./:=,+-]+$};
    $s =~ s/'/'\\''/g;
    return "'$s'";
}

# ------------------------------------------------------------ certificates

my $CertsDone;

my $OPENSSL_CNF = <<'EOF';
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = placeholder
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ server ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ client ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ selfsigned ]
subjectKeyIdentifier = hash
EOF

sub _openssl {
    my ($code, $out) = _run_cmd('openssl', @_);
    croak "openssl @_ failed:\n$out" if $code;
    return $out;
}

sub _ensure_certs {
    return if $CertsDone;
    my $d = "$Servroot/certs";
    if (-f "$d/.complete") { $CertsDone = 1; return }
    remove_tree($d);
    make_path($d);
    _write_file("$d/openssl.cnf", $OPENSSL_CNF);
    my $cnf = "$d/openssl.cnf";
    my $key = sub { _openssl('genpkey', '-algorithm', 'RSA',
                             '-pkeyopt', 'rsa_keygen_bits:2048',
                             '-out', "$d/$_[0].key") };
    my $ca = sub {
        my ($n, $cn) = @_;
        $key->($n);
        _openssl('req', '-config', $cnf, '-new', '-x509', '-key', "$d/$n.key",
                 '-subj', "/O=ngx_kmip tests/CN=$cn", '-days', '3650',
                 '-sha256', '-extensions', 'v3_ca', '-out', "$d/$n.crt");
    };
    my $leaf = sub {
        my ($n, $cn, $ext, $caname) = @_;
        $key->($n);
        _openssl('req', '-config', $cnf, '-new', '-key', "$d/$n.key",
                 '-subj', "/O=ngx_kmip tests/CN=$cn", '-out', "$d/$n.csr");
        _openssl('x509', '-req', '-in', "$d/$n.csr", '-CA', "$d/$caname.crt",
                 '-CAkey', "$d/$caname.key", '-CAcreateserial',
                 '-days', '3650', '-sha256', '-extfile', $cnf,
                 '-extensions', $ext, '-out', "$d/$n.crt");
        unlink "$d/$n.csr";
    };
    $ca->('ca', 'ngx_kmip test CA');
    $leaf->('server', 'localhost', 'server', 'ca');
    $leaf->('client', 'kmip-test-client', 'client', 'ca');
    $ca->('other-ca', 'ngx_kmip other CA');
    $leaf->('other-client', 'kmip-other-client', 'client', 'other-ca');
    # like vCenter's: self-signed, no extendedKeyUsage, no CA constraints
    $key->('selfsigned');
    _openssl('req', '-config', $cnf, '-new', '-x509', '-key', "$d/selfsigned.key",
             '-subj', '/O=VMware/CN=vcenter-selfsigned', '-days', '3650',
             '-sha256', '-extensions', 'selfsigned', '-out', "$d/selfsigned.crt");
    _write_file("$d/ca-and-selfsigned.crt",
                _read_file("$d/ca.crt") . _read_file("$d/selfsigned.crt"));
    _write_file("$d/all-cas.crt", _read_file("$d/ca.crt")
                . _read_file("$d/other-ca.crt") . _read_file("$d/selfsigned.crt"));
    # client certificate + key in one file (for tools that want one PEM)
    for my $n (qw(client other-client selfsigned)) {
        _write_file("$d/$n.pem", _read_file("$d/$n.crt") . _read_file("$d/$n.key"));
    }
    chmod 0644, glob("$d/*");
    _write_file("$d/.complete", "ok\n");
    $CertsDone = 1;
}

# client_cert => 'client' | 'other' | 'selfsigned' | 'none' | NAME (NAME.crt
# and NAME.key in the cert dir) | '/path/x.crt /path/x.key'
sub _client_cert_files {
    my $c = shift // 'client';
    return () if $c eq 'none' || $c eq '';
    $c = 'other-client' if $c eq 'other';
    if ($c =~ /^(\S+)\s+(\S+)$/) { return ($1, $2) }
    _ensure_certs();
    return ("$Servroot/certs/$c.crt", "$Servroot/certs/$c.key");
}

# ------------------------------------------------------------ config

sub _expand_vars {
    my ($text, $vars) = @_;
    return $text unless defined $text;
    my @missing;
    $text =~ s{\$(TEST_NGINX_\w+)|\$\{(TEST_NGINX_\w+)\}}{
        my $n = $1 // $2;
        my $v = $vars->{$n} // $ENV{$n};
        push @missing, $n unless defined $v;
        defined $v ? $v : "\$$n";
    }ge;
    croak "undefined variable(s) in config: @missing" if @missing;
    return $text;
}

# Build nginx.conf from block-like options (see docs/testing.md).
sub _build_conf {
    my ($o, $vars) = @_;
    my $x = sub { _expand_vars($_[0], $vars) };
    my $main = $x->($o->{main_config} // '');
    my @mods = ($StreamModule);
    my $nokmip = $o->{no_kmip_module} // $NoKmip;
    push @mods, kmip_module_paths() unless $nokmip;
    my $conf = '';
    $conf .= "load_module $_;\n" for @mods;
    $conf .= "\n";
    my $valgrind = $o->{valgrind};
    if ($valgrind) {
        $conf .= "daemon off;\nmaster_process off;\n";
    } else {
        $conf .= "daemon on;\n" unless $main =~ /^\s*daemon\s/m;
        $conf .= "master_process " . ($MasterOn ? 'on' : 'off') . ";\n"
            unless $main =~ /^\s*master_process\s/m;
    }
    $conf .= "worker_processes " . ($o->{workers} // $Workers) . ";\n"
        unless $main =~ /^\s*worker_processes\s/m;
    $conf .= "user root;\n" if $> == 0 && $main !~ /^\s*user\s/m;
    my $lvl = $o->{log_level} // log_level();
    $conf .= "error_log logs/error.log $lvl;\n"
        unless $main =~ /^\s*error_log\s/m;
    $conf .= "pid logs/nginx.pid;\n";
    $conf .= "\n$main\n" if length $main;
    $conf .= "events {\n    worker_connections 1024;\n}\n\n";

    my $certs = "$Servroot/certs";
    my $ssc = $o->{stream_server_config};
    my $sc  = $o->{stream_config};
    if (defined $ssc || defined $sc) {
        $conf .= "stream {\n";
        $conf .= $x->($sc) . "\n" if defined $sc;
        if (defined $ssc) {
            $conf .= "    server {\n";
            unless ($o->{no_tls_defaults}) {
                $conf .= <<"EOF";
        listen 127.0.0.1:$vars->{TEST_NGINX_PORT} ssl;
        ssl_certificate $certs/server.crt;
        ssl_certificate_key $certs/server.key;
        ssl_client_certificate $certs/ca.crt;
        ssl_verify_client on;
EOF
            }
            $conf .= $x->($ssc) . "\n    }\n";
        }
        $conf .= "}\n";
    }
    if (defined $o->{http_config}) {
        my $t = $Servroot;
        $conf .= "\nhttp {\n    access_log off;\n"
              . "    client_body_temp_path $o->{prefix}/client_body_temp;\n"
              . "    proxy_temp_path $o->{prefix}/proxy_temp;\n"
              . "    fastcgi_temp_path $o->{prefix}/fastcgi_temp;\n"
              . "    uwsgi_temp_path $o->{prefix}/uwsgi_temp;\n"
              . "    scgi_temp_path $o->{prefix}/scgi_temp;\n"
              . $x->($o->{http_config}) . "\n}\n";
    }
    return $conf;
}

# ------------------------------------------------------------ nginx control

package Test::Nginx::KMIP::Instance;

use strict;
use warnings;
use Carp qw(croak);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

sub port   { $_[0]{vars}{TEST_NGINX_PORT} }
sub port2  { $_[0]{vars}{TEST_NGINX_PORT2} }
sub vars   { $_[0]{vars} }
sub prefix { $_[0]{prefix} }
sub conf_text { Test::Nginx::KMIP::_read_file("$_[0]{prefix}/conf/nginx.conf") }
sub error_log_text  { Test::Nginx::KMIP::_read_file("$_[0]{prefix}/logs/error.log") }
sub access_log_text { Test::Nginx::KMIP::_read_file("$_[0]{prefix}/logs/access.log") }
sub log_path { "$_[0]{prefix}/logs/$_[1]" }

sub serving_pids { Test::Nginx::KMIP::serving_pids($_[0]) }

sub pid {
    my $self = shift;
    return $self->{child} if $self->{child};
    my $p = Test::Nginx::KMIP::_read_file("$self->{prefix}/logs/nginx.pid");
    return $p =~ /(\d+)/ ? $1 : undef;
}

sub is_running {
    my $self = shift;
    if ($self->{child}) {
        return 0 if $self->{reaped};
        my $r = waitpid($self->{child}, WNOHANG);
        if ($r == $self->{child}) { $self->{reaped} = 1; $self->{exit} = $?; return 0 }
        return 1;
    }
    my $pid = $self->pid or return 0;
    return kill(0, $pid) ? 1 : 0;
}

sub _cmd {
    my ($self, @extra) = @_;
    return ($Test::Nginx::KMIP::Binary, '-p', "$self->{prefix}/",
            '-c', 'conf/nginx.conf', '-e', 'logs/error.log', @extra);
}

# stop(): SIGQUIT, wait up to $timeout, then SIGKILL the process group
sub stop {
    my ($self, $timeout) = @_;
    return 1 if $self->{stopped};
    $timeout //= $self->{valgrind} ? 30 : 10;
    my $pid = $self->pid;
    $self->{stopped} = 1;
    return 1 unless $pid;
    kill 'QUIT', $pid;
    my $end = time + $timeout;
    my $again = time + 2;
    while (time < $end) {
        last unless $self->is_running;
        # nginx as one process (valgrind) checks its quit flag only when
        # epoll_wait returns: a signal handled just before it blocks (a
        # wide window under valgrind) is seen only at the next event, so
        # the signal is repeated
        if ($self->{valgrind} && time > $again) {
            kill 'QUIT', $pid;
            $again = time + 2;
        }
        sleep 0.05;
    }
    if ($self->is_running) {
        $self->{killed} = 1;
        kill 'KILL', -$pid;   # daemon on: nginx is a session/group leader
        kill 'KILL', $pid;
        waitpid($pid, 0) if $self->{child};
    }
    return !$self->{killed};
}

sub reload {
    my ($self, $new_conf) = @_;
    Test::Nginx::KMIP::_write_file("$self->{prefix}/conf/nginx.conf", $new_conf)
        if defined $new_conf;
    # with workers, new ones start; nginx as one process (valgrind) logs
    # "reconfiguring" from its loop once epoll_wait returns, which a
    # harmless USR1 (reopen the logs) makes happen if the HUP came just
    # before it blocked (but that process does not listen again after a
    # reload: the suites reload nodes started without valgrind)
    my $done = $self->{valgrind} ? qr/#\d+: reconfiguring$/m
                                 : qr/start worker process/;
    my $before = () = $self->error_log_text =~ /$done/g;
    kill 'HUP', $self->pid or croak "cannot send HUP: $!";
    my $end = time + ($self->{valgrind} ? 30 : 5);
    my $again = time + 1;
    while (time < $end) {
        my $n = () = $self->error_log_text =~ /$done/g;
        last if $n > $before;
        if ($self->{valgrind} && time > $again) {
            kill 'USR1', $self->pid;
            $again = time + 1;
        }
        sleep 0.05;
    }
    sleep 0.1;
    return $self;
}

sub DESTROY {
    my $self = shift;
    local ($?, $!, $@);
    $self->stop(2) if !$self->{stopped} && $self->{started};
}

package Test::Nginx::KMIP;

# nginx -t on a prefix; returns (ok, output)
sub _nginx_test_conf {
    my $prefix = shift;
    my ($code, $out) = _run_cmd($Binary, '-p', "$prefix/", '-c', 'conf/nginx.conf',
                                '-e', 'logs/error.log', '-t');
    return ($code == 0, $out);
}

sub _prepare_prefix {
    my $prefix = shift;
    remove_tree($prefix) if -d $prefix;
    make_path("$prefix/conf", "$prefix/logs", "$prefix/html");
}

sub _new_vars {
    my %v = (TEST_NGINX_SERVROOT => $Servroot,
             TEST_NGINX_CERT_DIR => "$Servroot/certs",
             TEST_NGINX_ROOT     => $ROOT);
    my %used;
    for my $i ('', 2 .. 5) {
        my $p;
        do { $p = free_port() } while $used{$p}++;
        $v{"TEST_NGINX_PORT$i"} = $p;
    }
    return \%v;
}

my $NodeSeq = 0;

# start_nginx($stream_server_config, %opts) or start_nginx(%opts)
#   opts: stream_server_config, stream_config, http_config, main_config,
#         no_tls_defaults, no_kmip_module, workers, log_level, full_config
#         (complete nginx.conf text, variables expanded), name, vars
#         (extra/override $TEST_NGINX_* values), user_files ({name=>text}),
#         valgrind (default TEST_NGINX_USE_VALGRIND), prefix.
# Returns a Test::Nginx::KMIP::Instance; croaks if nginx -t or start fails.
sub start_nginx {
    my %o = (@_ % 2) ? (stream_server_config => @_) : @_;
    _ensure_certs();
    my $vars = _new_vars();
    %$vars = (%$vars, %{ $o{vars} }) if $o{vars};
    my $prefix = $o{prefix} // "$Servroot/nodes/" . ($o{name} // ('node' . ++$NodeSeq));
    _prepare_prefix($prefix);
    $vars->{TEST_NGINX_PREFIX} = $prefix;
    $o{prefix} = $prefix;
    $o{valgrind} //= $Valgrind;
    my $conf = defined $o{full_config} ? _expand_vars($o{full_config}, $vars)
                                       : _build_conf(\%o, $vars);
    _write_file("$prefix/conf/nginx.conf", $conf);
    if ($o{user_files}) {
        _write_file("$prefix/html/$_", _expand_vars($o{user_files}{$_}, $vars))
            for keys %{ $o{user_files} };
    }
    my $inst = bless { prefix => $prefix, vars => $vars, opts => \%o,
                       valgrind => $o{valgrind} }, 'Test::Nginx::KMIP::Instance';
    my ($ok, $out) = _nginx_test_conf($prefix);
    croak "nginx -t failed:\n$out\n--- nginx.conf:\n$conf" unless $ok;
    _launch($inst);
    return $inst;
}

sub _launch {
    my $inst = shift;
    my $prefix = $inst->{prefix};
    if ($inst->{valgrind}) {
        my @vg = ('valgrind', '--tool=memcheck', '--error-exitcode=98',
                  '--leak-check=full', '--show-leak-kinds=definite',
                  '--num-callers=30', "--log-file=$Servroot/valgrind.%p.log");
        push @vg, split ' ', $ENV{TEST_NGINX_VALGRIND_OPTS} if $ENV{TEST_NGINX_VALGRIND_OPTS};
        my $pid = fork // croak "fork: $!";
        if (!$pid) {
            open STDOUT, '>>', "$prefix/logs/stdout.log";
            open STDERR, '>>', "$prefix/logs/stderr.log";
            { exec @vg, $inst->_cmd; }
            POSIX::_exit(127);
        }
        $inst->{child} = $pid;
        $inst->{vg_log} = "$Servroot/valgrind.$pid.log";
    } else {
        my ($code, $out) = _run_cmd($inst->_cmd);
        croak "nginx failed to start (exit $code):\n$out\n"
            . $inst->error_log_text if $code;
    }
    $inst->{started} = 1;
    # wait for the pid file, for the first port to accept and for the
    # workers: the master listens before it forks them, and a block that
    # looks at its workers at once (t/600) must find them (against
    # nginx 1.31.4 it often found none)
    my $end = time + ($inst->{valgrind} ? 60 : 10);
    my $port = $inst->{vars}{TEST_NGINX_PORT};
    my $conf = $inst->conf_text;
    my $listening = $conf =~ /listen\s+(?:127\.0\.0\.1:)?\Q$port\E\b/;
    my $workers = 0;
    if (!$inst->{valgrind} && $conf !~ /^\s*master_process\s+off\s*;/m) {
        $workers = $conf =~ /^\s*worker_processes\s+(\d+)\s*;/m ? $1 : 1;
    }
    while (time < $end) {
        croak "nginx exited during startup:\n" . $inst->error_log_text
            unless $inst->is_running || (!$inst->{child} && !$inst->pid);
        if ($inst->pid && $inst->is_running) {
            my $up = 1;
            if ($listening) {
                my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                              PeerPort => $port,
                                              Proto => 'tcp', Timeout => 1);
                $up = $s ? 1 : 0;
                close $s if $s;
            }
            $up = 0 if $up && $workers && child_pids($inst->pid) < $workers;
            last if $up;
        }
        sleep 0.05;
    }
    croak "nginx did not come up in time:\n" . $inst->error_log_text
        unless $inst->is_running;
}

# ------------------------------------------------------------ client

package Test::Nginx::KMIP::Conn;

use strict;
use warnings;
use Carp qw(croak);
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use IO::Select;
use Time::HiRes qw(sleep time);

sub sock { $_[0]{sock} }
sub eof  { $_[0]{eof} }
sub error { $_[0]{error} }

# send($bytes) or send([$chunk, $chunk...], $delay)
sub send {
    my ($self, $data, $delay) = @_;
    my @chunks = ref $data eq 'ARRAY' ? @$data : ($data);
    $delay //= 0.1;
    my $first = 1;
    for my $c (@chunks) {
        sleep $delay unless $first;
        $first = 0;
        my $off = 0;
        while ($off < length $c) {
            my $n = $self->{sock}->syswrite($c, length($c) - $off, $off);
            if (!defined $n) {
                next if $! == EINTR;
                if ($! == EAGAIN || $! == EWOULDBLOCK) { sleep 0.01; next }
                $self->{error} = "write: $! " . ($IO::Socket::SSL::SSL_ERROR // '');
                return undef;
            }
            $off += $n;
        }
    }
    return 1;
}

# _read_some($max, $deadline): undef on timeout, '' on EOF/error
sub _read_some {
    my ($self, $max, $deadline) = @_;
    my $s = $self->{sock};
    my $sel = IO::Select->new($s);
    while (1) {
        my $pending = $self->{tls} ? $s->pending : 0;
        if (!$pending) {
            my $left = $deadline - time;
            return undef if $left <= 0;
            next unless $sel->can_read($left > 0.2 ? 0.2 : $left);
        }
        my $buf = '';
        my $n = $s->sysread($buf, $max);
        if (defined $n) {
            if ($n == 0) { $self->{eof} = 1; return '' }
            return $buf;
        }
        next if $! == EINTR;
        if ($self->{tls}) {
            my $e = $IO::Socket::SSL::SSL_ERROR;
            next if $! == EAGAIN || $! == EWOULDBLOCK
                 || (defined $e && ($e == IO::Socket::SSL::SSL_WANT_READ()
                                 || $e == IO::Socket::SSL::SSL_WANT_WRITE()));
            $self->{error} = "read: " . ($e // $!);
        } else {
            next if $! == EAGAIN || $! == EWOULDBLOCK;
            $self->{error} = "read: $!";
        }
        $self->{eof} = 1;
        return '';
    }
}

sub _read_exact {
    my ($self, $n, $deadline) = @_;
    while (length($self->{buf}) < $n) {
        my $r = $self->_read_some(65536, $deadline);
        return undef unless defined $r && length $r;
        $self->{buf} .= $r;
    }
    return substr($self->{buf}, 0, $n, '');
}

# recv_message($timeout): one TTLV-framed message (8-byte header + length).
# Returns the bytes, or undef on EOF/timeout (->eof / ->timed_out say which;
# any partial bytes are left in ->{buf}).
sub recv_message {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // $self->{timeout});
    $self->{timed_out} = 0;
    my $h = $self->_read_exact(8, $deadline);
    if (!defined $h) { $self->{timed_out} = !$self->{eof}; return undef }
    my $len = unpack 'N', substr($h, 4, 4);
    if ($len > 64 * 1024 * 1024) {
        $self->{error} = "announced length $len is absurd";
        $self->{buf} = $h . $self->{buf};
        return undef;
    }
    my $b = $self->_read_exact($len, $deadline);
    if (!defined $b) {
        $self->{timed_out} = !$self->{eof};
        $self->{buf} = $h . $self->{buf};
        return undef;
    }
    return $h . $b;
}

# recv_raw($timeout, $want): read until EOF, until $want bytes arrived and
# nothing more comes within 0.2 s, or until $timeout.  Returns the bytes.
sub recv_raw {
    my ($self, $timeout, $want) = @_;
    my $deadline = time + ($timeout // $self->{timeout});
    my $out = $self->{buf};
    $self->{buf} = '';
    while (!$self->{eof}) {
        my $dl = (defined $want && length($out) >= $want)
                 ? (time + 0.2 < $deadline ? time + 0.2 : $deadline) : $deadline;
        my $r = $self->_read_some(65536, $dl);
        last unless defined $r;
        $out .= $r;
    }
    return $out;
}

# expect_close($timeout): true if the peer closes without sending any
# (further) byte; sets ->{unexpected} to the bytes received otherwise.
sub expect_close {
    my ($self, $timeout) = @_;
    return 1 if $self->{eof} && !length $self->{buf};
    my $got = $self->recv_raw($timeout // $self->{timeout});
    $self->{unexpected} = $got;
    return $self->{eof} && !length $got;
}

sub request {
    my ($self, $bytes) = @_;
    $self->send($bytes) or return undef;
    my $m = $self->recv_message;
    return defined $m ? KMIP::TTLV::ttlv_decode($m) : undef;
}

sub close {
    my $self = shift;
    return unless $self->{sock};
    if ($self->{tls}) { $self->{sock}->close(SSL_fast_shutdown => 1) }
    else { $self->{sock}->close }
    $self->{sock} = undef;
}

sub DESTROY { my $s = shift; local ($@, $!); $s->close if $s->{sock} }

package Test::Nginx::KMIP;

# kmip_connect($port, client_cert => 'client', tls => 1, timeout => 5,
#              verify => 1, ca => path, sni => name, ssl_opts => {...})
# Returns a Test::Nginx::KMIP::Conn; if the TLS handshake fails, returns a
# Conn with ->eof set and ->error holding the reason (so expect_close works),
# or undef in scalar context with $Test::Nginx::KMIP::ConnectError set.
our $ConnectError;
sub kmip_connect {
    my ($port, %o) = @_;
    # nginx under valgrind needs seconds for a TLS handshake
    my $timeout = $o{timeout} // ($Valgrind ? 30 : 5);
    my $tls = $o{tls} // 1;
    $ConnectError = undef;
    my $conn = bless { tls => $tls, timeout => $timeout, buf => '' },
               'Test::Nginx::KMIP::Conn';
    my $sock;
    if ($tls) {
        _ensure_certs();
        my ($crt, $key) = _client_cert_files($o{client_cert});
        my $verify = $o{verify} // 1;
        $sock = IO::Socket::SSL->new(
            PeerAddr => $o{host} // '127.0.0.1', PeerPort => $port, Proto => 'tcp',
            Timeout => $timeout,
            SSL_verify_mode => $verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
            ($verify ? (SSL_ca_file => $o{ca} // "$Servroot/certs/ca.crt",
                        SSL_verifycn_scheme => 'default',
                        SSL_verifycn_name => $o{sni} // '127.0.0.1') : ()),
            (defined $o{sni} ? (SSL_hostname => $o{sni}) : (SSL_hostname => '')),
            ($crt ? (SSL_cert_file => $crt, SSL_key_file => $key) : ()),
            %{ $o{ssl_opts} || {} },
        );
        if (!$sock) {
            $ConnectError = "TLS connect failed: " . IO::Socket::SSL::errstr() . " ($!)";
            $conn->{eof} = 1;
            $conn->{error} = $ConnectError;
            $conn->{handshake_failed} = 1;
            return $conn;
        }
    } else {
        $sock = IO::Socket::INET->new(PeerAddr => $o{host} // '127.0.0.1',
                                      PeerPort => $port, Proto => 'tcp',
                                      Timeout => $timeout);
        if (!$sock) {
            $ConnectError = "connect failed: $!";
            return undef;
        }
    }
    $sock->blocking(0);
    $sock->autoflush(1);
    $conn->{sock} = $sock;
    return $conn;
}

# kmip_roundtrip($port, $request_bytes, %connect_opts) -> decoded response
sub kmip_roundtrip {
    my ($port, $req, %o) = @_;
    my $c = kmip_connect($port, %o);
    return undef if !$c || $c->{handshake_failed};
    my $t = $c->request($req);
    $c->close;
    return $t;
}

# ------------------------------------------------------------ dump matching

# dump_matches($expected, $actual) -> (ok, diff).  Expected lines may use:
#   *        anywhere: matches any run of characters on that line
#            ("Time Stamp: *", "Unique Identifier: *");
#   ...      alone on a line (any indentation): skips any number of actual
#            lines that are indented at least as deep as the "..." line;
#   Enumeration lines may omit the " (NAME)" annotation.
sub _line_match {
    my ($e, $a) = @_;
    return 1 if $e eq $a;
    if ($a =~ /^(.*: 0x[0-9a-f]+) \([A-Z0-9_]+\)$/ && $e eq $1) { return 1 }
    if (index($e, '*') >= 0) {
        my $re = join '.*', map { quotemeta } split /\*/, $e, -1;
        return 1 if $a =~ /^$re$/s;
    }
    return 0;
}

sub _indent { my $l = shift; $l =~ /^( *)/; length $1 }

sub _norm_lines {
    my $t = shift // '';
    $t =~ s/\r\n/\n/g;
    my @l = split /\n/, $t;
    s/\s+$// for @l;
    shift @l while @l && $l[0] eq '';
    pop @l while @l && $l[-1] eq '';
    return @l;
}

# response_head($version[, $batch_count]): how the dump of a response
# starts: the message, its header at that protocol version (any time
# stamp, a batch count of 1 unless given), and the line of its first
# Batch Item, whose fields follow
sub response_head {
    my ($version, $count) = @_;
    my ($major, $minor) = split /\./, $version;
    return "Response Message\n  Response Header\n    Protocol Version\n"
         . "      Protocol Version Major: $major\n"
         . "      Protocol Version Minor: $minor\n"
         . "    Time Stamp: *\n    Batch Count: " . ($count // 1) . "\n"
         . "  Batch Item\n";
}

sub dump_matches {
    my ($exp, $act) = @_;
    my @e = _norm_lines($exp);
    my @a = _norm_lines($act);
    my @shown;    # actual lines rewritten to the expected text where they match
    my ($i, $j) = (0, 0);
    my $ok = 1;
    while ($i < @e && $j < @a) {
        if ($e[$i] =~ /^( *)\.\.\.$/) {
            my $ind = length $1;
            my $next = $e[$i + 1];
            my $skipped = 0;
            while ($j < @a && _indent($a[$j]) >= $ind
                   && !(defined $next && _indent($next) >= $ind && _line_match($next, $a[$j])))
            {
                $j++;
                $skipped++;
            }
            push @shown, $e[$i];
            $i++;
            next;
        }
        if (_line_match($e[$i], $a[$j])) {
            push @shown, $e[$i];
            $i++; $j++;
            next;
        }
        $ok = 0;
        last;
    }
    $i++ while $i < @e && $e[$i] =~ /^ *\.\.\.$/ && $j >= @a && push @shown, $e[$i];
    $ok = 0 if $i < @e || $j < @a;
    return (1, '') if $ok;
    push @shown, @a[$j .. $#a];
    my $d = Text::Diff::diff(\(join("\n", @e) . "\n"), \(join("\n", @shown) . "\n"),
                             { STYLE => 'Unified', FILENAME_A => 'expected',
                               FILENAME_B => 'got' });
    return (0, $d);
}

# ------------------------------------------------------------ block runner

my ($CurBlock, @CurResponses, $CurVars, $CurInst);
sub current_block  { $CurBlock }
sub current_vars   { $CurVars }

# serving_pids([$instance]): the processes that serve the block's (or the
# instance's) connections, sorted: the workers, or nginx itself when it
# runs as one process (TEST_NGINX_USE_VALGRIND: master_process off)
sub serving_pids {
    my $inst = shift // $CurInst or return ();
    my $pid = $inst->pid or return ();
    return ($pid) if $inst->{valgrind};
    return child_pids($pid);
}

# child_pids($pid): the processes whose parent is $pid (a master's
# workers), sorted
sub child_pids {
    my ($pid) = @_;
    my @w;
    for my $st (glob '/proc/[0-9]*/status') {
        open my $s, '<', $st or next;
        local $/;
        my $t = <$s> // next;
        push @w, $1 if $t =~ /^PPid:\s+\Q$pid\E$/m && $st =~ m{/(\d+)/};
    }
    @w = sort { $a <=> $b } @w;
    return @w;
}
sub response_bytes { wantarray ? @CurResponses : $CurResponses[0] }

sub _sec {
    my ($b, $n) = @_;
    return undef unless $b->can($n);
    my @v = $b->$n();
    return undef unless @v;
    return $v[0];
}
sub _has { my ($b, $n) = @_; defined _sec($b, $n) }

sub _list_sec {
    # a section's lines (plain) or the elements of an eval'ed array ref
    my ($b, $n) = @_;
    my $v = _sec($b, $n);
    return () unless defined $v;
    return @$v if ref $v eq 'ARRAY';
    return ($v) if ref $v;
    return grep { length } map { s/^\s+|\s+$//gr } split /\n/, $v;
}

sub _log_match {
    my ($text, $pat) = @_;
    return ref $pat eq 'Regexp' ? $text =~ $pat : index($text, $pat) >= 0;
}

sub _check_logs {
    my ($b, $name, $text, %o) = @_;
    for my $p (_list_sec($b, 'error_log')) {
        Test::More::ok(_log_match($text, $p), "$name: error_log has " . (ref $p ? "$p" : "\"$p\""))
            or Test::More::diag(_tail($text));
    }
    for my $p (_list_sec($b, 'no_error_log')) {
        my $ok = !_log_match($text, $p);
        Test::More::ok($ok, "$name: error_log lacks " . (ref $p ? "$p" : "\"$p\""))
            or Test::More::diag(join "\n", grep { _log_match($_, $p) } split /\n/, $text);
    }
    return if $o{config_only};
    my @crash = grep { /exited on signal|segmentation fault/i } split /\n/, $text;
    Test::More::ok(!@crash, "$name: no worker crashed") or Test::More::diag(join "\n", @crash);
    unless (_has($b, 'allow_alert')) {
        my @alert = grep { /\[alert\]/ } split /\n/, $text;
        Test::More::ok(!@alert, "$name: no [alert] in error_log")
            or Test::More::diag(join "\n", @alert);
    }
}

sub _tail {
    my $t = shift;
    my @l = split /\n/, $t;
    @l = @l[-40 .. -1] if @l > 40;
    return "error.log (tail):\n" . join "\n", @l;
}

sub _check_valgrind {
    my ($inst, $name) = @_;
    my $log = _read_file($inst->{vg_log} // '');
    my @bad;
    push @bad, $1 while $log =~ /^(==\d+== (?:Invalid (?:read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap).*)$/mg;
    # definitely-lost records count only when a frame is in our module:
    # stock nginx "leaks" a few blocks at exit in single-process mode
    # (ngx_set_environment, worker cycle allocations), which are not ours.
    my $own = $ENV{TEST_NGINX_VALGRIND_OWN} || 'kmip';
    for my $rec ($log =~ /^(==\d+== [\d,]+ (?:\([^)]*\) )?bytes in [\d,]+ blocks are definitely lost.*?)^==\d+== $/msg) {
        push @bad, $rec if $rec =~ /\Q$own\E/i;
    }
    Test::More::ok(!@bad, "$name: valgrind clean ($inst->{vg_log})")
        or Test::More::diag(join "\n", @bad, '', $log);
}

sub _decode_or_fail {
    my ($bytes, $name) = @_;
    my $tree = eval { ttlv_decode($bytes) };
    if (!$tree) {
        Test::More::fail("$name: response decodes as TTLV");
        Test::More::diag("$@" . ttlv_hex($bytes));
    }
    return $tree;
}

sub _run_block {
    my ($b, $rep) = @_;
    my $name = 'TEST ' . $b->seq_num;
    $CurBlock = $b;
    @CurResponses = ();
    my %o;
    for my $s (qw(stream_server_config stream_config http_config main_config
                  log_level workers)) {
        my $v = _sec($b, $s);
        $o{$s} = $v if defined $v;
    }
    $o{no_tls_defaults} = 1 if _has($b, 'no_tls_defaults');
    $o{no_kmip_module}  = 1 if _has($b, 'no_kmip_module');
    $o{no_kmip_module}  = 1 if $Setting{no_kmip_module};
    chomp($o{log_level}) if defined $o{log_level};
    ($o{workers}) = $o{workers} =~ /(\d+)/ if defined $o{workers};
    if (my $uf = _sec($b, 'user_files')) {
        my %f;
        while ($uf =~ /^>>> (\S+)\n(.*?)(?=^>>> |\z)/msg) { $f{$1} = $2 }
        $o{user_files} = \%f;
    }

    _ensure_certs();
    my $prefix = $Servroot;
    for my $d (qw(conf logs html nodes client_body_temp proxy_temp
                  fastcgi_temp uwsgi_temp scgi_temp)) {
        remove_tree("$prefix/$d");
    }
    make_path("$prefix/conf", "$prefix/logs", "$prefix/html");
    my $vars = _new_vars();
    $vars->{TEST_NGINX_PREFIX} = $prefix;
    $CurVars = $vars;
    $o{prefix} = $prefix;
    my $must_die = _has($b, 'must_die');
    $o{valgrind} = $Valgrind && !$must_die && !_has($b, 'skip_valgrind');

    my $conf = eval { _build_conf(\%o, $vars) };
    if (!defined $conf) {
        Test::More::fail("$name: build nginx.conf");
        Test::More::diag($@);
        return;
    }
    _write_file("$prefix/conf/nginx.conf", $conf);
    if ($o{user_files}) {
        _write_file("$prefix/html/$_", _expand_vars($o{user_files}{$_}, $vars))
            for keys %{ $o{user_files} };
    }
    Test::More::diag("--- nginx.conf for $name\n$conf") if $Verbose;

    my ($tok, $tout) = _nginx_test_conf($prefix);
    if ($must_die) {
        Test::More::ok(!$tok, "$name: nginx -t fails") or Test::More::diag($tout);
        my $text = $tout . "\n" . _read_file("$prefix/logs/error.log");
        Test::More::diag("nginx -t said:\n$text") if $Verbose;
        _check_logs($b, $name, $text, config_only => 1);
        return;
    }
    if (!$tok) {
        Test::More::fail("$name: nginx -t");
        Test::More::diag("$tout\n--- nginx.conf:\n$conf");
        return;
    }

    my $inst = bless { prefix => $prefix, vars => $vars, opts => \%o,
                       valgrind => $o{valgrind} }, 'Test::Nginx::KMIP::Instance';
    $CurInst = $inst;
    if (!eval { _launch($inst); 1 }) {
        Test::More::fail("$name: start nginx");
        Test::More::diag($@);
        $inst->stop(2);
        return;
    }
    Test::More::diag("nginx running, port $vars->{TEST_NGINX_PORT}") if $Verbose;

    eval { _exchange($b, $name, $vars); 1 }
        or Test::More::fail("$name: exchange died: $@");

    if (my $w = _sec($b, 'wait')) { sleep $w + 0 }
    my $clean = $inst->stop;
    Test::More::ok($clean, "$name: nginx stopped on SIGQUIT")
        or Test::More::diag("had to SIGKILL nginx\n" . _tail($inst->error_log_text));
    _check_logs($b, $name, $inst->error_log_text);
    if (_has($b, 'access_log')) {
        my $al = $inst->access_log_text;
        for my $p (_list_sec($b, 'access_log')) {
            Test::More::ok(_log_match($al, $p), "$name: access_log has " . (ref $p ? "$p" : "\"$p\""))
                or Test::More::diag("access.log:\n$al");
        }
    }
    _check_valgrind($inst, $name) if $inst->{valgrind};
}

sub _exchange {
    my ($b, $name, $vars) = @_;
    my $timeout = _sec($b, 'timeout') // 5;
    ($timeout) = $timeout =~ /([\d.]+)/;
    my $delay = _sec($b, 'request_delay') // 0.1;
    ($delay) = $delay =~ /([\d.]+)/;

    my @reqs;
    my $multi = 0;
    if (_has($b, 'requests')) {
        my $r = _sec($b, 'requests');
        croak "--- requests must be an array ref (use: --- requests eval)"
            unless ref $r eq 'ARRAY';
        @reqs = @$r;
        $multi = 1;
    } elsif (_has($b, 'raw_request')) {
        @reqs = (_sec($b, 'raw_request'));
    } elsif (_has($b, 'request')) {
        @reqs = (_sec($b, 'request'));
    }
    my $has_dump = _has($b, 'response_dump');
    my $has_test = _has($b, 'response_test');
    my $has_raw  = _has($b, 'raw_response');
    my $expect_close = _has($b, 'expect_close');
    return unless @reqs || $has_dump || $has_raw || $expect_close || $has_test;

    if (!@reqs && !$has_raw && !$expect_close && !$has_dump) {
        # a response_test that makes its own connections: the harness
        # holds none open meanwhile (an idle one would time out and log)
        my $sub = _sec($b, 'response_test');
        @CurResponses = ();
        if (ref $sub ne 'CODE') {
            Test::More::fail("$name: --- response_test eval must return a sub");
        } else {
            $sub->();
        }
        return;
    }

    my $port = $vars->{TEST_NGINX_PORT};
    if (my $cp = _sec($b, 'connect_port')) { ($cp) = _expand_vars($cp, $vars) =~ /(\d+)/; $port = $cp }
    my $cc = _sec($b, 'client_cert');
    $cc =~ s/^\s+|\s+$//g if defined $cc;
    my $conn = kmip_connect($port,
        client_cert => $cc, timeout => $timeout,
        tls => !_has($b, 'no_client_tls'),
        verify => !_has($b, 'no_server_verify'));
    if (!$conn) {
        Test::More::fail("$name: connect to 127.0.0.1:$port");
        Test::More::diag($ConnectError);
        return;
    }
    if ($conn->{handshake_failed} && !$expect_close) {
        Test::More::fail("$name: TLS handshake");
        Test::More::diag($conn->{error});
        return;
    }

    my @got;
    my $failed_io = 0;
    my $need = $has_dump || $has_test;
    for my $req (@reqs) {
        last if $conn->{handshake_failed} || $conn->{eof};
        $conn->send($req, $delay);
        last if $has_raw;
        next if $expect_close && !$need;
        my $m = $conn->recv_message($timeout);
        if (defined $m) { push @got, $m; next }
        my $clean_eof = $conn->{eof} && !length $conn->{buf};
        if (($need && !($expect_close && $clean_eof)) || length $conn->{buf}) {
            Test::More::fail("$name: response " . (@got + 1) . " received");
            Test::More::diag(($conn->{timed_out} ? "timed out after ${timeout}s" : 'connection closed')
                . ($conn->{error} ? " ($conn->{error})" : '')
                . (length $conn->{buf} ? "; partial bytes:\n" . ttlv_hex($conn->{buf}) : ''));
            $failed_io = 1;
        }
        last;
    }
    if ($has_raw && !$conn->{handshake_failed}) {
        my $exp = _sec($b, 'raw_response');
        my $raw = $conn->recv_raw($timeout, length $exp);
        push @got, $raw;
        @CurResponses = @got;
        Test::More::ok($raw eq $exp, "$name: raw_response")
            or Test::More::diag("expected:\n" . ttlv_hex($exp) . "\ngot:\n" . ttlv_hex($raw));
    }
    @CurResponses = @got;

    if (!$has_raw) {
        my @trees;
        for my $m (@got) {
            my $t = _decode_or_fail($m, $name);
            push @trees, $t;
        }
        if ($has_dump && !$failed_io) {
            my $exp = _sec($b, 'response_dump');
            my $act = join "---\n", map { $_ ? ttlv_dump($_) : "(undecodable)\n" } @trees;
            my ($ok, $diff) = dump_matches($exp, $act);
            Test::More::ok($ok, "$name: response_dump") or Test::More::diag($diff);
        }
        if ($has_test && !$failed_io) {
            my $sub = _sec($b, 'response_test');
            if (ref $sub ne 'CODE') {
                Test::More::fail("$name: --- response_test eval must return a sub");
            } else {
                $sub->(@trees);
            }
        }
    }

    if ($expect_close && !$failed_io) {
        my $closed = $conn->expect_close($timeout);
        Test::More::ok($closed, "$name: server closed the connection")
            or Test::More::diag(length($conn->{unexpected} // '')
                ? "got unexpected bytes:\n" . ttlv_hex($conn->{unexpected})
                : "connection still open after ${timeout}s");
    } elsif (!$expect_close && $conn->{eof} && !@got && !$has_raw && @reqs) {
        Test::More::diag("note: connection closed by server ("
                         . ($conn->{error} // 'EOF') . ")") if $Verbose;
    }
    $conn->close;
}

sub run_tests {
    my @blocks = Test::Base::blocks();
    my $tb = Test::More->builder;
    $tb->plan(tests => $RepeatEach * scalar @blocks) unless $tb->has_plan;
    if (!-x $Binary) {
        Test::More::BAIL_OUT("nginx binary $Binary not found");
    }
    _ensure_certs();
    for my $b (@blocks) {
        $_->($b) for @Preprocessors;
    }
    for my $rep (1 .. $RepeatEach) {
        for my $b (@blocks) {
            my $name = $b->name // ('TEST ' . $b->seq_num);
            $name .= " (repeat $rep)" if $RepeatEach > 1;
            Test::More::subtest($name => sub {
                _run_block($b, $rep);
                Test::More::done_testing();
            });
        }
    }
}

END {
    if (!$NoClean && !$ENV{TEST_NGINX_SERVROOT} && -d $Servroot
        && $$ == ($Test::Nginx::KMIP::MainPid // 0))
    {
        my $tb = Test::More->builder;
        remove_tree($Servroot) if $tb->is_passing;
    }
}
our $MainPid = $$;

# ------------------------------------------------------------ eval filter

# `--- foo eval` code runs in package main (so the test file's own subs and
# everything this module exports are visible) and a failing eval aborts the
# suite with the block's name instead of silently becoming the value.
package Test::Nginx::KMIP::Filter;

use strict;
use warnings;
our @ISA = ('Test::Base::Filter');

sub eval {
    my $self = shift;
    my $code = shift;
    my $blk = $self->current_block;
    my @r = CORE::eval("package main; no strict 'vars'; no warnings;\n#line 1 \"eval section\"\n$code");
    if ($@) {
        my $n = $blk ? ($blk->name // 'a block') : 'a block';
        die "eval of a section of $n failed: $@";
    }
    return @r;
}

1;
