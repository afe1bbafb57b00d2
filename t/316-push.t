# The server's own requests to a client (KMIP 1.4 chapter 5, 2.1 6.2),
# sent by kmip_push to a client's KMIP-over-HTTPS endpoint, on Key
# Protect: a Put of each key a Create or Re-key makes (Replace naming the
# key replaced), a Notify of the attributes an Activate or an Add
# Attribute changes, in 1.4 and 2.1; the endpoint authenticated both ways;
# Query lists Notify and Put only on a server that sends them; an endpoint
# that refuses, fails or is not there is logged, and the client's own
# answer does not wait for it. Over HTTPS, a location with kmip_push
# pushes what its clients do.

use strict;
use warnings;
use lib 't/lib';
use File::Temp qw(tempdir);
use Test::More;
use Test::Nginx::KMIP;
use Test::KMIPClientEndpoint;
use KMIP::Ops;
use KMIP::TTLV qw(ttlv_decode);

cert_path("ca.crt");     # made on first use
my $certs = cert_dir();
my $tmp = tempdir(CLEANUP => 1);
my $ep = Test::KMIPClientEndpoint->start(dir => "$tmp/ep", certs => $certs);
my $push = 'kmip_push ' . $ep->url . " certificate=$certs/client.crt "
         . "certificate_key=$certs/client.key "
         . "trusted_certificate=$certs/ca.crt timeout=5s;";
my $node = kp_node(name => 'push', kmip => [ $push ]);
my $plain = kp_node(name => 'no-push');

sub one { op_one($node->port, @_) }

sub container {
    my ($v, @a) = @_;
    return $v =~ /^2/ ? S('Attributes', [ @a ])
                      : S('Template-Attribute', [ map { attr_in($v, $_) } @a ]);
}

sub create {
    my ($v) = @_;
    return uid_of(op_ok(one($v, 'Create', E('Object Type', 'Symmetric Key'),
        container($v, E('Cryptographic Algorithm', 'AES'),
                  I('Cryptographic Length', 256),
                  I('Cryptographic Usage Mask', 12))), "$v Create"));
}

# the one message the endpoint gets next, decoded
sub next_message {
    my ($what) = @_;
    my @m = $ep->wait_for(1, 15);
    is(scalar @m, 1, "$what: one message") or diag(explain([ map {
        $_->{request_line} } @m ]));
    $ep->clear;
    return $m[0] || {};
}

sub payload { kmip_find($_[0]{item}, 'Batch Item', 'Request Payload') }

sub operation { kmip_value($_[0]{item}, 'Batch Item', 'Operation') }

for my $v ('1.4', '2.1') {
    $ep->clear;
    my $uid = create($v);
    my $m = next_message("$v Create");
    is($m->{request_line}, 'POST /kmip/client HTTP/1.1',
       "$v Put: POSTed to the endpoint's path");
    is($m->{content_type}, 'application/octet-stream',
       "$v Put: a TTLV body");
    like($m->{subject}, qr/kmip-test-client/,
         "$v Put: the server showed the certificate it was given");
    is(operation($m), kmip_enum('Operation', 'Put'), "$v Put: a Put");
    my ($major) = split /\./, $v;
    is(kmip_value($m->{item}, 'Request Header', 'Protocol Version',
                  'Protocol Version Major'), $major,
       "$v Put: in the request's version");
    my $p = payload($m);
    is(kmip_value($p, 'Unique Identifier'), $uid, "$v Put: of the new key");
    is(kmip_value($p, 'Put Function'), kmip_enum('Put Function', 'New'),
       "$v Put: New");
    is(length(kmip_value($p, 'Symmetric Key', 'Key Block', 'Key Value',
                         'Key Material') // ''), 32,
       "$v Put: the key's 32 bytes");

    op_ok(one($v, 'Activate', ops_uid($uid)), "$v Activate");
    $m = next_message("$v Activate");
    is(operation($m), kmip_enum('Operation', 'Notify'), "$v Notify");
    $p = payload($m);
    is(kmip_value($p, 'Unique Identifier'), $uid, "$v Notify: of the key");
    my $attrs = attrs_of({ tag => 0, type => 1, value => [
        { %$p, tag => kmip_tag('Response Payload') } ] });
    is($attrs->{'State'}, kmip_enum('State', 'Active'),
       "$v Notify: State Active");
    ok($attrs->{'Activation Date'}, "$v Notify: the Activation Date");

    my $new = uid_of(op_ok(one($v, 'Re-key', ops_uid($uid)), "$v Re-key"));
    $m = next_message("$v Re-key");
    $p = payload($m);
    is(operation($m), kmip_enum('Operation', 'Put'), "$v Re-key: a Put");
    is(kmip_value($p, 'Unique Identifier'), $new, "$v Put: of the new key");
    is(kmip_value($p, 'Put Function'), kmip_enum('Put Function', 'Replace'),
       "$v Put: Replace");
    is(kmip_value($p, 'Replaced Unique Identifier'), $uid,
       "$v Put: naming the key it replaces");

    # a failed item pushes nothing
    my $bi = one($v, 'Activate', ops_uid('no-such-object'));
    is(kmip_value($bi, 'Result Status'), 1, "$v Activate of nothing fails");
    is(scalar($ep->wait_for(1, 1)), 0, "$v: and pushes nothing");
}

# 2.1: an attribute added, then gone
{
    my $uid = create('2.1');
    next_message('2.1 Create');
    op_ok(one('2.1', 'Add Attribute', ops_uid($uid),
              S('New Attribute', [ T('Contact Information', 'ops@example') ])),
          '2.1 Add Attribute');
    my $p = payload(next_message('2.1 Add Attribute'));
    is(kmip_value($p, 'Attributes', 'Contact Information'), 'ops@example',
       '2.1 Notify: the attribute added');
    op_ok(one('2.1', 'Delete Attribute', ops_uid($uid),
              E('Attribute Reference', kmip_tag('Contact Information'))),
          '2.1 Delete Attribute');
    $p = payload(next_message('2.1 Delete Attribute'));
    is(kmip_value($p, 'Attribute Reference'),
       kmip_tag('Contact Information'),
       '2.1 Notify: an Attribute Reference to the attribute gone');

    # Destroy: the key is gone from Key Protect, its record says so
    op_ok(one('2.1', 'Destroy', ops_uid($uid)), '2.1 Destroy');
    $p = payload(next_message('2.1 Destroy'));
    is(kmip_value($p, 'Attributes', 'State'),
       kmip_enum('State', 'Destroyed'), '2.1 Notify: State Destroyed');
    ok(kmip_value($p, 'Attributes', 'Destroy Date'),
       '2.1 Notify: the Destroy Date');
}

# a Sensitive key is served only wrapped: no Put, a warn line saying why
{
    $ep->clear;
    my $uid = uid_of(op_ok(one('2.1', 'Create',
        E('Object Type', 'Symmetric Key'),
        container('2.1', E('Cryptographic Algorithm', 'AES'),
                  I('Cryptographic Length', 256),
                  I('Cryptographic Usage Mask', 12),
                  BOOL('Sensitive', 1))), '2.1 Create of a Sensitive key'));
    my $log = '';
    for (1 .. 100) {
        $log = $node->error_log_text;
        last if $log =~ /Put of "\Q$uid\E" not sent/;
        select undef, undef, undef, 0.1;
    }
    like($log, qr/\[warn\].*kmip push: Put of "\Q$uid\E" not sent: the object cannot be read: \S/,
         'a Sensitive key is not pushed, and the log says why');
    is(scalar($ep->wait_for(1, 1)), 0, 'nothing reaches the endpoint');
}

# what a message costs in Key Protect calls: the same Create and Activate
# on a node that pushes and on one that does not (docs/key-protect.md)
{
    my $kp = suite_kp();
    my %cost;
    for my $n ([ 'push', $node ], [ 'plain', $plain ]) {
        my ($name, $ng) = @$n;
        $ep->clear;
        $kp->clear_requests;
        my $uid = uid_of(op_ok(op_one($ng->port, '1.4', 'Create',
            E('Object Type', 'Symmetric Key'),
            container('1.4', E('Cryptographic Algorithm', 'AES'),
                      I('Cryptographic Length', 256),
                      I('Cryptographic Usage Mask', 12))),
            "$name: Create"));
        $ep->wait_for(1, 10) if $name eq 'push';
        $kp->settle($uid, 1);
        $cost{$name}{create} = [ $kp->requests ];
        $ep->clear;
        $kp->clear_requests;
        op_ok(op_one($ng->port, '1.4', 'Activate', ops_uid($uid)),
              "$name: Activate");
        $ep->wait_for(1, 10) if $name eq 'push';
        $kp->settle($uid, 1);
        $cost{$name}{activate} = [ $kp->requests ];
    }
    $ep->clear;
    # the push node's calls beyond the plain node's (the push comes after)
    my $more = sub {
        my @p = @{ $cost{push}{ $_[0] } };
        my $n = @{ $cost{plain}{ $_[0] } };
        return [ @p[$n .. $#p] ];
    };
    my $paths = sub { join ', ', map { "$_->{method} $_->{path}" } @{ $_[0] } };
    my $put = $more->('create');
    is(scalar @$put, 3, 'a Put costs the Get of a new key: 3 calls')
        or diag($paths->($put));
    my $notify = [ grep { $_->{path} !~ m{/actions/unwrap$} }
                   @{ $more->('activate') } ];
    is($paths->($notify), 'GET /api/v2/keys',
       'a Notify costs the listing of an attribute-only read')
        or diag($paths->($more->('activate')));
}

# Query lists them where they are sent, and only there
for my $n ([ $node, 1 ], [ $plain, 0 ]) {
    my $bi = op_ok(op_one($n->[0]->port, '2.1', 'Query',
                          E('Query Function', 'Query Operations')),
                   'Query');
    my %ops = map { $_->{value} => 1 }
              kmip_find_all($bi, 'Response Payload', 'Operation');
    is(!!$ops{ kmip_enum('Operation', 'Notify') }
       && !!$ops{ kmip_enum('Operation', 'Put') }, !!$n->[1],
       $n->[1] ? 'Query lists Notify and Put with kmip_push'
               : 'Query lists neither without it');
}

# an endpoint that refuses, fails, or is not there: logged; the client
# is answered all the same
{
    my $refusing = Test::KMIPClientEndpoint->start(
        dir => "$tmp/refusing", certs => $certs, answer => 'failure');
    my $failing = Test::KMIPClientEndpoint->start(
        dir => "$tmp/failing", certs => $certs, answer => 'http500');
    my $gone = Test::KMIPClientEndpoint->start(dir => "$tmp/gone",
                                               certs => $certs);
    my $gone_url = $gone->url;
    $gone->stop;
    my @nodes = map {
        kp_node(name => "push-$_->[0]", kmip => [
            "kmip_push $_->[1] certificate=$certs/client.crt "
            . "certificate_key=$certs/client.key "
            . "trusted_certificate=$certs/ca.crt timeout=2s;" ])
    } ([ 'refused', $refusing->url ], [ 'failed', $failing->url ],
       [ 'gone', $gone_url ]);
    my @want = (qr/kmip push: Put of "[^"]+" to https:\S+: the client answered Operation Failed/,
                qr/kmip push: Put of "[^"]+" to https:\S+ failed: HTTP status 500/,
                qr/kmip push: Put of "[^"]+" to https:\S+ failed: /);
    for my $i (0 .. 2) {
        my $t0 = time;
        my $bi = op_one($nodes[$i]->port, '1.4', 'Create',
            E('Object Type', 'Symmetric Key'),
            container('1.4', E('Cryptographic Algorithm', 'AES'),
                      I('Cryptographic Length', 128),
                      I('Cryptographic Usage Mask', 12)));
        op_ok($bi, "Create with the endpoint $i not taking it");
        my $log = '';
        for (1 .. 100) {
            $log = $nodes[$i]->error_log_text;
            last if $log =~ $want[$i];
            select undef, undef, undef, 0.1;
        }
        like($log, $want[$i], "endpoint $i: logged");
    }
    is(scalar($refusing->messages), 1, 'the refusing endpoint got the Put');
}

# over HTTPS: a location with kmip_push
{
    my $kpconf = suite_kp()->nginx_conf;
    my $h = start_nginx(name => 'https-push', http_config => <<"EOF");
    server {
        listen 127.0.0.1:\$TEST_NGINX_PORT2 ssl;
        ssl_certificate $certs/server.crt;
        ssl_certificate_key $certs/server.key;
        ssl_client_certificate $certs/ca.crt;
        ssl_verify_client on;
        $kpconf

        location = /kmip {
            kmip;
            $push
        }
    }
EOF
    $ep->clear;
    my $create = kmip_request(version => '2.1', items => [
        { operation => 'Create', payload => [
            E('Object Type', 'Symmetric Key'),
            container('2.1', E('Cryptographic Algorithm', 'AES'),
                      I('Cryptographic Length', 256),
                      I('Cryptographic Usage Mask', 12)) ] } ]);
    open my $fh, '>:raw', "$tmp/create.in" or die "$!";
    print $fh $create;
    close $fh;
    my $url = 'https://127.0.0.1:' . $h->port2 . '/kmip';
    my $code = qx(curl -sS -o $tmp/create.out -w '%{http_code}' --cacert $certs/ca.crt --cert $certs/client.crt --key $certs/client.key -H 'Content-Type: application/octet-stream' --data-binary \@$tmp/create.in $url);
    is($code, '200', 'HTTPS Create answers 200');
    open $fh, '<:raw', "$tmp/create.out" or die "$!";
    my $r = eval { local $/; ttlv_decode(scalar <$fh>) };
    my ($bi) = $r ? kmip_find_all($r, 'Batch Item') : ();
    my $uid = uid_of(op_ok($bi, 'HTTPS Create'));
    my $p = payload(next_message('HTTPS Create'));
    is(kmip_value($p, 'Unique Identifier'), $uid,
       'over HTTPS: the Put of the key made');
}

done_testing();
