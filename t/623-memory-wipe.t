# Key bytes do not outlive their request in the worker's memory (and so in
# a core dump): a key registered with chosen bytes and a key the server
# created are each served by Get, on a connection that stays open and on
# one that closes; after 50 other requests the worker's whole memory
# (/proc/PID/maps, /proc/PID/mem) is searched for the bytes of both keys.
# Where a copy is found, the test names the mapping and shows the bytes
# around it.

use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use Test::MemScan;

$SIG{PIPE} = 'IGNORE';

plan(skip_all => 'reading another process\'s memory needs root')
    if $> != 0;

my $dir = servroot() . '-memory';
my $kp = Test::KPEmulator->start(dir => $dir);

my $n = start_nginx(stream_server_config => "kmip;\n    " . $kp->nginx_conf,
                    log_level => 'info');
my $port = $n->port;

sub request_on {
    my ($c, @items) = @_;
    my $r = $c->request(kmip_request(version => '1.4', items => [ @items ]));
    die "no answer" unless $r;
    return kmip_find_all($r, 'Batch Item');
}

sub material_of {
    return kmip_value($_[0], 'Response Payload', 'Symmetric Key',
                      'Key Block', 'Key Value', 'Key Material');
}

# bytes that occur nowhere else: the test's own pattern
my $known = join '', map { chr((0x3c + 7 * $_) & 0xff) } 0 .. 31;

my $keep = kmip_connect($port);

# A large message (40 KB), the key at its end: the buffer is a malloc() of
# its own, and the small requests that follow, each in a 4 KB pool, reuse
# such a hole from its start: what is left at its end stays readable
my @bi = request_on($keep,
    { operation => 'Discover Versions', payload => [
        map { S('Protocol Version', [ I('Protocol Version Major', 1),
                                      I('Protocol Version Minor', 4) ]) }
            1 .. 1000 ] },
    register_aes('1.4', $known,
                 S('Attribute', [ T('Attribute Name', 'x-Padding'),
                                  T('Attribute Value', 'p' x 2000) ])));
my $registered = uid_of(op_ok($bi[1], 'register'));

@bi = request_on($keep, create_aes('1.4', 256));
my $created = uid_of(op_ok($bi[0], 'create'));

# a Get on the connection that stays open, and one on a closed connection;
# the first after 40 Query answers: a larger answer (a hole the 40 KB one
# does not fit), the key at its end
my $queries = 40;
@bi = request_on($keep, (map { { operation => 'Query', payload => [
                                     map { E('Query Function', $_) } 1 .. 3
                                 ] } } 1 .. $queries),
                        { operation => 'Get',
                          payload => [ ops_uid($registered) ] });
op_ok($bi[0], 'queries');
is(material_of(op_ok($bi[$queries], 'get the registered key')), $known,
   'its bytes came back');

@bi = request_on($keep, { operation => 'Get',
                          payload => [ ops_uid($created) ] });
my $server_key = material_of(op_ok($bi[0], 'get the created key'));
is(length($server_key // ''), 32, 'the created key has 32 bytes');

@bi = op_req($port, '1.4', { operation => 'Get',
                             payload => [ ops_uid($created) ] });
op_ok($bi[0], 'get it again on a connection that closes');

# 50 other requests, on the open connection and on new ones
my $other = 0;
for my $i (1 .. 25) {
    @bi = request_on($keep, { operation => 'Discover Versions',
                              payload => [] });
    $other++ if kmip_value($bi[0], 'Result Status') == 0;
    @bi = op_req($port, '1.4', { operation => 'Query', payload => [
        E('Query Function', 1) ] });
    $other++ if kmip_value($bi[0], 'Result Status') == 0;
}
is($other, 50, '50 other requests answered');

my ($pid) = $n->serving_pids;
ok($pid, "worker $pid");

my $found = memory_copies($pid, 'the registered key' => $known,
                                'the created key' => $server_key,
                                'the instance id' => $kp->instance);

# the scan sees the worker's memory: the configuration is there for good
ok($found->{'the instance id'}, 'the scan finds the configured instance id');

for my $what ('the registered key', 'the created key') {
    my $copies = $found->{$what} || [];
    is(scalar(@$copies), 0, "no copy of $what in the worker's memory")
        or diag(join "\n", @$copies);
}

$keep->close;
$n->stop;
$kp->stop;

done_testing();
