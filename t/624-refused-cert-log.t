# A client certificate that ssl_verify_client refuses (signed by another
# CA): where does the "[crit] SSL_shutdown() failed (SSL: ... application
# data after close notify)" line come from? The same refusal is made
# against a kmip server, and against a plain "return" server with the same
# TLS settings and without the module loaded: nginx refuses the
# certificate in its SSL phase, before any content handler runs.

use lib 't/lib';
use Test::Nginx::KMIP;
use KMIP::Basic;
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';

# TLS 1.3: the client's handshake ends before nginx has checked its
# certificate, so the client sends its request, as vCenter does
sub refused_client {
    my ($port) = @_;
    for (1 .. 5) {
        my $c = kmip_connect($port, client_cert => 'other');
        next if $c->error;
        $c->send(dv());
        ok($c->expect_close(5), 'the refused client is disconnected');
        $c->close;
    }
}

sub crit_lines {
    my ($n) = @_;
    return grep { /\[crit\]/ } split /\n/, $n->error_log_text;
}

my %conf = (kmip => "kmip;", return => "return \"not KMIP\";");

my %crit;
for my $what ('kmip', 'return') {
    my $n = start_nginx(stream_server_config => $conf{$what},
                        no_kmip_module => $what eq 'return',
                        log_level => 'info');
    refused_client($n->port);
    sleep 0.5;
    like($n->error_log_text, qr/client SSL certificate verify error/,
         "$what: nginx refused the certificate");
    $crit{$what} = [ crit_lines($n) ];
    note("$what: " . scalar(@{ $crit{$what} }) . " [crit] lines");
    note($_) for @{ $crit{$what} };
    $n->stop;
}

is(scalar(@{ $crit{kmip} }), scalar(@{ $crit{return} }),
   'the kmip server logs what a plain return server logs');

done_testing();
