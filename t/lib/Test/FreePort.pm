package Test::FreePort;

# free_port(): a TCP port on 127.0.0.1 that nothing listens on now, for a
# server a suite starts (nginx, the Key Protect emulator). The harness,
# Test::KPEmulator and the suites that run without the harness share it.

use strict;
use warnings;

use Carp qw(croak);
use Exporter 'import';
use IO::Socket::INET;

our @EXPORT = qw(free_port);

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or croak "cannot bind a free port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

1;
