# The Debian package, end to end on this machine: `make deb` builds
# libnginx-mod-stream-kmip with dpkg-buildpackage and dh_nginx, dpkg
# installs it into the SYSTEM nginx's layout, the system nginx binary runs
# conf-examples/dev.conf with the modules enabled the way Debian's
# nginx.conf enables them (include /etc/nginx/modules-enabled/*.conf), the
# packaged Key Protect emulator keeps the keys, and PyKMIP creates and
# fetches a key through it. The package is purged afterwards, leaving
# /etc/nginx/modules-enabled and /usr/lib/nginx/modules as they were.
#
# The system nginx service is left alone: this nginx has its own prefix,
# pid file and port. dpkg runs Debian's nginx-reload trigger, which reloads
# a running system nginx gracefully (as for any module package).
#
# Environment: TEST_NGINX_DEB=path.deb tests that package instead of
# building one; TEST_NGINX_DEB_BUILD=DIR is the build directory for
# `make deb BUILD=DIR` (default: the directory of TEST_NGINX_LOAD_MODULES,
# else build).

use strict;
use warnings;

use Test::More;
use Cwd qw(abs_path);
use Fcntl qw(:flock);
use File::Basename qw(dirname basename);
use File::Path qw(make_path remove_tree);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep);
use lib 't/lib';
use Test::FreePort;

my $top = abs_path(dirname(abs_path(__FILE__)) . '/..');
my $pkg = 'libnginx-mod-stream-kmip';
my $nginx = '/usr/sbin/nginx';
my $python = '/usr/bin/python3';
my $share = "/usr/share/$pkg";
my $so = '/usr/lib/nginx/modules/ngx_stream_kmip_module.so';
my $snippet = '/usr/share/nginx/modules-available/mod-stream-kmip.conf';
my $enabled_dir = '/etc/nginx/modules-enabled';
my $enabled = "$enabled_dir/70-mod-stream-kmip.conf";

sub have { system("command -v $_[0] >/dev/null 2>&1") == 0 }

sub installed {
    my $s = `dpkg-query -W -f='\${Status}' $_[0] 2>/dev/null`;
    return $s =~ /install ok installed/;
}

plan skip_all => 'installs a package into the system: needs root'
    if $> != 0;
plan skip_all => 'dpkg is unavailable' unless have('dpkg');
plan skip_all => "no system nginx at $nginx" unless -x $nginx;
plan skip_all => 'libnginx-mod-stream (the stream module) is not installed'
    unless installed('libnginx-mod-stream');
plan skip_all => 'PyKMIP (python3-pykmip) is not installed'
    if system("$python -c 'import kmip' 2>/dev/null") != 0;
plan skip_all => 'dpkg-buildpackage, debhelper or nginx-dev is missing'
    if !$ENV{TEST_NGINX_DEB} && !(have('dpkg-buildpackage')
                                  && have('dh') && have('dh_nginx'));

# one run at a time on this machine: dpkg has a single database, and two
# runs would install and purge the same package under each other
my $lock_file = '/run/lock/ngx-kmip-900-package.lock';
open my $lock, '>', $lock_file or die "$lock_file: $!";
flock($lock, LOCK_EX) or die "flock $lock_file: $!";

plan skip_all => "$pkg is already installed on this system; this test "
               . "would replace and purge it (dpkg --purge $pkg to run it)"
    if installed($pkg);

my $dir = "$top/t/servroot-900-package";
remove_tree($dir);
make_path("$dir/logs");

my ($nginx_pid_file, $kp_pid, $installed_by_us);

# an interrupted run cleans up too (exit runs END blocks, a signal not)
$SIG{$_} = sub { exit 1 } for qw(INT TERM HUP);

# whatever happens, leave the system as it was
END {
    my $rc = $?;
    stop_nginx();
    if ($kp_pid) {
        kill 'TERM', $kp_pid;
        waitpid($kp_pid, 0);
        undef $kp_pid;
    }
    if ($installed_by_us) {
        system("dpkg --purge $pkg >>$dir/dpkg.log 2>&1");
        undef $installed_by_us;
    }
    $? = $rc;
}

sub stop_nginx {
    return unless $nginx_pid_file && -s $nginx_pid_file;
    chomp(my $pid = do { local (@ARGV, $/) = $nginx_pid_file; <> });
    kill 'QUIT', $pid;
    for (1 .. 100) {
        last unless kill 0, $pid;
        sleep 0.1;
    }
    kill 'KILL', $pid if kill 0, $pid;
    undef $nginx_pid_file;
}

sub wait_port {
    my ($port) = @_;
    for (1 .. 200) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Timeout => 1);
        return 1 if $s;
        sleep 0.05;
    }
    return 0;
}

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return undef;
    local $/;
    return scalar <$fh>;
}

sub enabled_list {
    opendir my $d, $enabled_dir or return ();
    return sort grep { !/^\./ } readdir $d;
}

my @enabled_before = enabled_list();
my @modules_before = sort glob('/usr/lib/nginx/modules/*');

# ------------------------------------------------------------- the package

my $deb = $ENV{TEST_NGINX_DEB};
if (!$deb) {
    my $build = $ENV{TEST_NGINX_DEB_BUILD};
    if (!$build && ($ENV{TEST_NGINX_LOAD_MODULES} || '')
                   =~ m{^(/\S+)/ngx_stream_kmip_module\.so$})
    {
        $build = $1;
    }
    $build ||= "$top/build";

    my $out = `make -C $top deb BUILD=$build 2>&1`;
    is($?, 0, "make deb BUILD=$build") or diag($out);
    ($deb) = glob("$build/deb/${pkg}_*.deb");
}

ok($deb && -f $deb, 'a .deb was built') or BAIL_OUT('no package');
note("package: $deb");

sub field { my $v = `dpkg-deb -f $deb $_[0]`; chomp $v; return $v }

is(field('Package'), $pkg, 'package name');

# dh_nginx's ABI dependency must name the ABI this machine's nginx provides
my $provides = `dpkg-query -W -f='\${Provides}' nginx 2>/dev/null`;
my ($abi) = $provides =~ /(nginx-abi-[\w.~+-]+)/;
my $depends = field('Depends');
ok($abi, "the system nginx provides an ABI ($provides)");
like($depends, qr/(^|, )\Q$abi\E(,|$)/, "Depends on $abi (dh_nginx)")
    if $abi;
like($depends, qr/(^|, )libnginx-mod-stream(,|$)/,
     'Depends on libnginx-mod-stream');
like($depends, qr/libcurl4/, 'Depends on libcurl (shlibs)');
like($depends, qr/libyajl2/, 'Depends on yajl (shlibs)');
like(field('Recommends'), qr/python3-cryptography/,
     'Recommends python3-cryptography, for the emulator');

my %files = map { m{ \.(/\S+)$} ? ($1 => 1) : () } `dpkg-deb -c $deb`;
for my $f ($so, $snippet,
           "$share/kp-emulator", "$share/kpemu/cli.py",
           "$share/kmip-demo-client",
           "$share/make-certs",
           "/usr/share/doc/$pkg/examples/dev.conf",
           "/usr/share/doc/$pkg/copyright")
{
    ok($files{$f}, "the package has $f");
}
# dh_compress gzips the larger documents, as Debian's policy wants
for my $doc ('README.md', 'docs/directives.md', 'docs/install.md') {
    ok($files{"/usr/share/doc/$pkg/$doc"}
       || $files{"/usr/share/doc/$pkg/$doc.gz"}, "the package has $doc");
}
is_deeply([ grep { m{^/usr/lib/nginx/modules/.} } sort keys %files ], [$so],
          'the only module in the package is ngx_stream_kmip_module.so');
ok(!(grep { m{^/etc/} } keys %files),
   'no conffile: the snippet is enabled by postinst, as Debian does it');

# ------------------------------------------------------------- install

my $out = `dpkg -i $deb 2>&1`;
is($?, 0, 'dpkg -i') or diag($out);
$installed_by_us = 1;
ok(installed($pkg), "$pkg is installed");

ok(-f $so, "$so is installed");
is(slurp($snippet), "load_module modules/ngx_stream_kmip_module.so;\n",
   'mod-stream-kmip.conf loads the module from the modules directory');
ok(-l $enabled, "postinst enabled $enabled");
is(readlink($enabled), $snippet, 'pointing at modules-available');

# nginx includes modules-enabled/*.conf in glob (sorted) order: the
# stream module must be loaded before ours
my @now = enabled_list();
my ($stream_at) = grep { $now[$_] eq '50-mod-stream.conf' } 0 .. $#now;
my ($kmip_at) = grep { $now[$_] eq basename($enabled) } 0 .. $#now;
ok(defined $stream_at && defined $kmip_at && $kmip_at > $stream_at,
   'the kmip snippet sorts after 50-mod-stream.conf') or diag("@now");

is(slurp("$share/kp-emulator"), slurp("$top/tools/kp-emulator"),
   'the packaged emulator is tools/kp-emulator');
ok(-x "$share/kp-emulator", 'the packaged emulator is executable');

# ------------------------------------------------------------- run it

# the packaged emulator and PKI generator
my $kp_port = free_port();
my $state = "$dir/kp-state.json";
my $init = `$share/kp-emulator init --force --state $state`;
is($?, 0, 'kp-emulator init') or diag($init);
my $instance = eval { decode_json($init) } || {};
ok($instance->{api_key} && $instance->{instance} && $instance->{root_key},
   'an emulated Key Protect instance');

{
    open my $fh, '>', "$dir/kp-api-key" or die "$!";
    print $fh "$instance->{api_key}\n";
    close $fh;
    chmod 0600, "$dir/kp-api-key";
}

$kp_pid = fork // die "fork: $!";
if ($kp_pid == 0) {
    open STDOUT, '>>', "$dir/logs/kp-emulator.log";
    open STDERR, '>&', \*STDOUT;
    { exec "$share/kp-emulator", 'serve', '--listen', "127.0.0.1:$kp_port",
           '--state', $state, '--relax-timing' }
    POSIX::_exit(127);
}
ok(wait_port($kp_port), "the emulator listens on $kp_port")
    or diag(slurp("$dir/logs/kp-emulator.log"));

$out = `$share/make-certs $dir/certs 2>&1`;
is($?, 0, 'make-certs') or diag($out);

# conf-examples/dev.conf as tools/demo fills it in, except that the
# modules come from the package, enabled as in Debian's nginx.conf, and
# the port is a free one
my $port = free_port();
my $conf = slurp("$top/conf-examples/dev.conf");
my $kp_url = "http://127.0.0.1:$kp_port";
my $nloads = () = $conf =~ /^load_module\s/mg;
is($nloads, 2, 'dev.conf loads two modules (stream and kmip)');
$conf =~ s/^load_module\s[^\n]*\n//mg;
$conf = "include $enabled_dir/*.conf;\n\n$conf";
$conf =~ s/\@DEMO\@/$dir/g;
$conf =~ s/\@KP_URL\@/$kp_url/g;
$conf =~ s/\@KP_INSTANCE\@/$instance->{instance}/g;
$conf =~ s/\@KP_ROOT_KEY\@/$instance->{root_key}/g;
$conf =~ s/\@KP_API_KEY_FILE\@/$dir\/kp-api-key/g;
$conf =~ s/\b127\.0\.0\.1:5696\b/127.0.0.1:$port/g;
unlike($conf, qr/\@[A-Z_]+\@/, 'every placeholder is filled in');
like($conf, qr/listen\s+127\.0\.0\.1:$port\b/, "listening on $port");
{
    open my $fh, '>', "$dir/nginx.conf" or die "$!";
    print $fh $conf;
    close $fh;
}

# load_module modules/... is relative to the prefix: a private prefix
# gets the system modules directory under the same name, as
# /usr/share/nginx/modules is
symlink('/usr/lib/nginx/modules', "$dir/modules") or die "symlink: $!";

my @nginx = ($nginx, '-p', "$dir/", '-c', "$dir/nginx.conf");
$out = `@nginx -t 2>&1`;
is($?, 0, 'nginx -t with the packaged module') or diag($out);

$nginx_pid_file = "$dir/nginx.pid";
$out = `@nginx 2>&1`;
is($?, 0, 'the system nginx starts') or diag($out);
ok(wait_port($port), "nginx listens on $port")
    or diag(slurp("$dir/logs/error.log"));

# the running workers mapped the packaged module, not a build tree's;
# the master listens before it daemonizes, writes its pid file and forks
# them, so wait for both
sub workers_of {
    my ($ppid) = @_;
    return grep { (slurp("/proc/$_/stat") // '') =~ /^\d+ \(.*?\) \w (\d+)/
                  && $1 == $ppid }
           map { m{/proc/(\d+)$} ? $1 : () } glob('/proc/[0-9]*');
}
my ($master, @workers) = ('');
for (1 .. 100) {
    chomp($master = slurp($nginx_pid_file) // '');
    @workers = $master =~ /^\d+$/ ? workers_of($master) : ();
    last if grep { (slurp("/proc/$_/maps") // '') =~ m{ \Q$so\E$}m }
                 @workers;
    sleep 0.05;
}
ok(@workers, "nginx workers of $master");
ok((grep { (slurp("/proc/$_/maps") // '') =~ m{ \Q$so\E$}m } @workers),
   "the workers run $so");

# PyKMIP creates a key, then fetches it
my @client = ($python, "$top/t/lib/pykmip_client.py",
              '--host', '127.0.0.1', '--port', $port,
              '--cert', "$dir/certs/client.crt",
              '--key', "$dir/certs/client.key",
              '--ca', "$dir/certs/ca.crt", '--version', '1.2');

sub pykmip {
    my $o = `@client @_ 2>&1`;
    my $r = eval { decode_json($o) };
    ok($r && !$r->{error}, "PyKMIP @_") or diag($o);
    return $r || {};
}

my $uid = pykmip('create', '--algorithm', 'AES', '--length', '256')->{uid};
like($uid // '', qr/^[0-9a-f-]{36}$/, "created $uid");
my $got = pykmip('get', $uid // 'none');
is($got->{class}, 'SymmetricKey', 'Get returns a symmetric key');
is($got->{cryptographic_algorithm}, 'AES', 'an AES key');
is($got->{cryptographic_length}, 256, 'of 256 bits');
like($got->{key_hex} // '', qr/^[0-9a-f]{64}$/, '32 bytes of key material');

# the key lives in Key Protect (the emulator), named after the object
my $keys = HTTP::Tiny->new(timeout => 10)->get("$kp_url/_emulator/keys");
like($keys->{content} // '', qr/kmip-\Q$uid\E/, 'the emulator holds the key')
    if $uid;

# the packaged demo client, as `tools/demo client` runs it
$out = `$python $share/kmip-demo-client --certs $dir/certs --port $port 2>&1`;
is($?, 0, 'the packaged demo client') or diag($out);
like($out, qr/fetched AES-256: 32 bytes of key material/,
     'the demo client created and fetched a key');

like(slurp("$dir/logs/access.log") // '', qr/last=Get result=success/i,
     'the access log shows the Get')
    or diag(slurp("$dir/logs/access.log"));

# ------------------------------------------------------------- remove

stop_nginx();
kill 'TERM', $kp_pid;
waitpid($kp_pid, 0);
undef $kp_pid;

$out = `dpkg --purge $pkg 2>&1`;
is($?, 0, 'dpkg --purge') or diag($out);
undef $installed_by_us;

ok(!installed($pkg), "$pkg is gone");
ok(!-e $so && !-e $snippet, 'module and snippet removed');
ok(!-l $enabled && !-l "$enabled.removed", 'the modules-enabled link too');
is_deeply([ enabled_list() ], \@enabled_before,
          "$enabled_dir is as it was");
is_deeply([ sort glob('/usr/lib/nginx/modules/*') ], \@modules_before,
          '/usr/lib/nginx/modules is as it was');

done_testing();
