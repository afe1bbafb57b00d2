package Test::KMIPClientEndpoint;

# A KMIP client's own endpoint, for the server's requests to it (Notify
# and Put, which kmip_push sends): KMIP over HTTPS on a loopback port, the
# server's certificate required and verified against the tests' CA.  Each
# POST is recorded in the directory (its TTLV body, the Content-Type and
# the subject of the certificate the server showed), then answered as the
# endpoint was told:
#   answer => 'success' (default): a Response Message, Result Status
#             Success, for the request's operation, in its version;
#   answer => 'failure': the same with Operation Failed;
#   answer => 'http500': HTTP 500, no body.
#
#   my $ep = Test::KMIPClientEndpoint->start(dir => $d, certs => cert_dir());
#   $ep->url;  $ep->wait_for($n, $secs);  my @msgs = $ep->messages;

use strict;
use warnings;

use Carp qw(croak);
use File::Path qw(make_path);
use IO::Socket::SSL;
use POSIX ();
use Time::HiRes qw(sleep time);
use KMIP::TTLV qw(ttlv_encode ttlv_decode kmip_value S I E DT);
use Test::FreePort qw(free_port);

sub start {
    my ($class, %a) = @_;
    my $dir = $a{dir} or croak 'dir is required';
    my $certs = $a{certs} or croak 'certs is required';
    make_path($dir);
    my $self = bless { dir => $dir, port => free_port(),
                       answer => $a{answer} || 'success' }, $class;

    my $listen = IO::Socket::SSL->new(
        LocalAddr => '127.0.0.1', LocalPort => $self->{port}, Listen => 16,
        ReuseAddr => 1, SSL_server => 1, Timeout => 1,
        SSL_cert_file => "$certs/server.crt",
        SSL_key_file => "$certs/server.key",
        SSL_ca_file => "$certs/ca.crt",
        SSL_verify_mode => SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT)
        or croak "endpoint: cannot listen: $SSL_ERROR";

    my $parent = $$;
    my $pid = fork // croak "fork: $!";
    if ($pid == 0) {
        POSIX::setpgid(0, 0);
        # never hold the test's output open: prove waits for its end
        open STDOUT, '>>', "$dir/endpoint.log";
        open STDERR, '>&', \*STDOUT;
        my $n = 0;
        # gone with the test, even one that died before stopping it
        while (getppid() == $parent) {
            my $c = $listen->accept or next;
            $self->_serve($c, $n++);
        }
        POSIX::_exit(0);
    }
    # its own process group from here on, whichever of the two runs first
    POSIX::setpgid($pid, $pid);
    close $listen;
    $self->{pid} = $pid;
    return $self;
}

sub _serve {
    my ($self, $c, $n) = @_;
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 10;
    eval {
        my ($line, %h) = (scalar <$c>);
        while (my $l = <$c>) {
            $l =~ s/\r?\n$//;
            last if $l eq '';
            $h{ lc $1 } = $2 if $l =~ /^([^:]+):\s*(.*)$/;
        }
        my $body = '';
        read($c, $body, $h{'content-length'} // 0);
        my $subject = $c->peer_certificate('subject') // '';
        open my $fh, '>:raw', "$self->{dir}/msg.$n.tmp" or die "$!";
        print $fh join("\n", $line =~ s/\r?\n$//r,
                       $h{'content-type'} // '', $subject,
                       unpack('H*', $body)), "\n";
        close $fh;
        rename "$self->{dir}/msg.$n.tmp", "$self->{dir}/msg.$n";

        if ($self->{answer} eq 'http500') {
            print $c "HTTP/1.1 500 Internal Server Error\r\n"
                   . "Content-Length: 0\r\nConnection: close\r\n\r\n";
            return;
        }
        my $req = ttlv_decode($body);
        my $op = kmip_value($req, 'Batch Item', 'Operation');
        my $major = kmip_value($req, 'Request Header', 'Protocol Version',
                               'Protocol Version Major');
        my $minor = kmip_value($req, 'Request Header', 'Protocol Version',
                               'Protocol Version Minor');
        my $answer = ttlv_encode(S('Response Message', [
            S('Response Header', [
                S('Protocol Version', [ I('Protocol Version Major', $major),
                                        I('Protocol Version Minor', $minor) ]),
                DT('Time Stamp', time), I('Batch Count', 1) ]),
            S('Batch Item', [
                E('Operation', $op),
                E('Result Status', $self->{answer} eq 'failure' ? 1 : 0),
                ($self->{answer} eq 'failure'
                 ? (E('Result Reason', 0x100)) : ()) ]) ]));
        print $c "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream"
               . "\r\nContent-Length: " . length($answer)
               . "\r\nConnection: close\r\n\r\n" . $answer;
    };
    alarm 0;
    close $c;
}

sub url { "https://localhost:$_[0]{port}/kmip/client" }
sub port { $_[0]{port} }

# the recorded messages, oldest first: { request_line, content_type,
# subject, body (TTLV bytes), item (decoded) }
sub messages {
    my ($self) = @_;
    my @m;
    for my $f (sort { ($a =~ /(\d+)$/)[0] <=> ($b =~ /(\d+)$/)[0] }
               glob("$self->{dir}/msg.[0-9]*")) {
        next if $f =~ /\.tmp$/;
        open my $fh, '<', $f or next;
        chomp(my @l = <$fh>);
        close $fh;
        my $body = pack('H*', $l[3] // '');
        push @m, { request_line => $l[0], content_type => $l[1],
                   subject => $l[2], body => $body,
                   item => length $body ? ttlv_decode($body) : undef };
    }
    return @m;
}

sub clear { unlink glob("$_[0]{dir}/msg.*") }

# waits until at least n messages are recorded; returns them
sub wait_for {
    my ($self, $n, $secs) = @_;
    my $end = time + ($secs // 10);
    while (time < $end) {
        my @m = $self->messages;
        return @m if @m >= $n;
        sleep 0.05;
    }
    return $self->messages;
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'KILL', -$self->{pid}, $self->{pid};
    waitpid $self->{pid}, 0;
    delete $self->{pid};
}

sub DESTROY { local ($., $@, $!, $^E, $?); $_[0]->stop }

1;
