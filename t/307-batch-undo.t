# The Batch Error Continuation Option Undo against the Key Protect
# emulator: when an item fails, what the items before it did is reversed
# and they are answered Operation Undone; a created object leaves no live
# Key Protect key, a changed one gets its attributes back through a
# compare-and-swap write, a Destroy waits for the batch to succeed. An
# undo that cannot be done (Key Protect down, a later writer) is not
# claimed: the item says so and the error log names what was left.

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use HTTP::Tiny;
use Time::HiRes qw(sleep time);

my $kp = suite_kp();
my $n = kp_node(kmip => [ 'kmip_audit_log logs/audit.log json;' ],
                stream_config => "server {\n"
                . "        listen 127.0.0.1:\$TEST_NGINX_PORT2;\n"
                . "        kmip_metrics;\n    }",
                workers => 1);
my $port = $n->port;

my $UNDONE = 3;
my $Ubi = 0;

# a request with Undo (and Batch Order Option true, as the OASIS cases)
sub undo_request {
    my ($version, @items) = @_;
    return kmip_request(version => $version, batch_order_option => 1,
        header => [ E('Batch Error Continuation Option', 3) ],
        items => [ map { { %$_, ubi => pack('N', ++$Ubi) } } @items ]);
}

sub undo_batch {
    my ($version, @items) = @_;
    my $r = kmip_roundtrip($port, undo_request($version, @items),
                           timeout => 30);
    die "no answer" unless $r;
    return kmip_find_all($r, 'Batch Item');
}

sub status { kmip_value($_[0], 'Result Status') }

sub create {
    my ($version, @extra) = @_;
    my ($bi) = op_req($port, $version, create_aes($version, 256, @extra));
    op_ok($bi, 'Create');
    return uid_of($bi);
}

sub live_keys { return $kp->live_keys($_[0]) }

sub get_attrs {
    my ($uid) = @_;
    my ($bi) = op_req($port, '1.4', { operation => 'Get Attributes',
                                      payload => [ ops_uid($uid) ] });
    op_ok($bi, 'Get Attributes');
    return attrs_of($bi);
}

sub add_x {
    my ($uid, $name, $value) = @_;
    return { operation => 'Add Attribute', payload => [
        defined $uid ? ops_uid($uid) : (),
        a1($name, T('Attribute Value', $value)) ] };
}

# fails at once, without a Key Protect call
my $failing = { operation => 'Get',
                payload => [ ops_uid('no-such-object') ] };

sub error_log { $n->error_log_text }

subtest 'Create + Add Attribute + a failing item: undone, nothing left' => sub {
    $kp->clear_requests;
    my @bi = undo_batch('1.4', create_aes('1.4'),
                        add_x(undef, 'x-undo', 'one'), $failing);
    is(scalar @bi, 3, 'three answers');
    is(status($bi[0]), $UNDONE, 'Create: Operation Undone');
    is(status($bi[1]), $UNDONE, 'Add Attribute: Operation Undone');
    ok(!defined kmip_value($bi[0], 'Result Reason'), 'no Result Reason');
    op_fail($bi[2], 1, 'the failed item', qr/no object/);
    my $uid = uid_of($bi[0]);
    ok($uid, 'the undone Create still shows its Unique Identifier');
    is(uid_of($bi[1]), $uid, 'Add Attribute used the ID Placeholder');

    is(scalar live_keys($uid), 0, 'no live Key Protect key for it');
    ok($kp->count(method => 'DELETE') >= 1, 'its key was deleted');

    my ($get) = op_req($port, '1.4', { operation => 'Get',
                                       payload => [ ops_uid($uid) ] });
    op_fail($get, 1, 'Get of the undone object');

    my $log = error_log();
    like($log, qr/undo of a batch: object "\Q$uid\E" removed/,
         'the removal is logged');
    my ($audit) = grep { /"uid":"\Q$uid\E"/ && /OperationUndone/ }
                  split /\n/, do { local (@ARGV, $/) = $n->log_path('audit.log');
                                  <> };
    ok($audit, 'an audit line says OperationUndone');
    my $m = HTTP::Tiny->new(timeout => 5)
        ->get('http://127.0.0.1:' . $n->port2 . '/metrics')->{content} // '';
    like($m, qr/^kmip_operations_total\{operation="Create",result="OperationUndone"\} 1$/m,
         'the metrics count the undone Create');
};

subtest 'a changed object gets its attributes and state back' => sub {
    my $uid = create('1.4', a1('x-a', T('Attribute Value', 'old')));
    my $before = get_attrs($uid);
    my $gen_keys = scalar live_keys($uid);
    is($gen_keys, 1, 'one live key before');

    my @bi = undo_batch('1.4',
        add_x($uid, 'x-b', 'added'),
        { operation => 'Modify Attribute', payload => [
            ops_uid($uid), a1('x-a', T('Attribute Value', 'new')) ] },
        { operation => 'Activate', payload => [ ops_uid($uid) ] },
        $failing);
    is(scalar @bi, 4, 'four answers');
    is(status($bi[$_]), $UNDONE, "item $_ undone") for 0 .. 2;
    is(status($bi[3]), 1, 'the last item failed');

    my $after = get_attrs($uid);
    is($after->{'x-a'}, 'old', 'x-a has its old value');
    ok(!exists $after->{'x-b'}, 'x-b is gone');
    is($after->{State}, 1, 'State is Pre-Active again');
    ok(!exists $after->{'Activation Date'}, 'no Activation Date');
    is($after->{'Last Change Date'}, $before->{'Last Change Date'},
       'Last Change Date as before the batch');
    # the restore's superseded generation is deleted after the answer
    is(scalar $kp->settle($uid, 1), 1, 'one live key after');
    like(error_log(), qr/object "\Q$uid\E" restored to its attributes/,
         'the restore is logged');
};

subtest 'a run of attribute changes with a failing member' => sub {
    my $uid = create('1.4');
    my @bi = undo_batch('1.4',
        add_x($uid, 'x-c', '1'), add_x($uid, 'x-d', '2'),
        { operation => 'Add Attribute', payload => [
            ops_uid($uid), a1('Object Type', E('Attribute Value', 2)) ] });
    is(status($bi[0]), $UNDONE, 'first change undone');
    is(status($bi[1]), $UNDONE, 'second change undone');
    is(status($bi[2]), 1, 'the change the server refuses failed');
    my $a = get_attrs($uid);
    ok(!exists $a->{'x-c'} && !exists $a->{'x-d'}, 'neither change stays');
};

subtest 'Destroy waits for the batch: undone without a Key Protect delete' => sub {
    my $uid = create('1.4');
    $kp->clear_requests;
    my @bi = undo_batch('1.4',
        { operation => 'Destroy', payload => [ ops_uid($uid) ] },
        { operation => 'Get', payload => [ ops_uid($uid) ] });
    is(scalar @bi, 2, 'two answers');
    is(status($bi[0]), $UNDONE, 'Destroy: Operation Undone');
    op_fail($bi[1], 1, 'a Get after the Destroy in the batch',
            qr/destroyed|no object/);
    is($kp->count(method => 'DELETE'), 0, 'no Key Protect key was deleted');
    is(scalar live_keys($uid), 1, 'its key is live');
    my $a = get_attrs($uid);
    is($a->{State}, 1, 'the object is still Pre-Active');
};

subtest 'Destroys are carried out once every item succeeded' => sub {
    my $u1 = create('2.1');
    my $u2 = create('2.1');
    my @bi = undo_batch('2.1',
        { operation => 'Destroy', payload => [ ops_uid($u1) ] },
        { operation => 'Locate', payload => [
            attrs2(E('Object Type', 'Symmetric Key')) ] },
        { operation => 'Destroy', payload => [ ops_uid($u2) ] });
    op_ok($_, 'Success') for @bi;
    my %found = map { $_->{value} => 1 }
                kmip_find_all($bi[1], 'Response Payload', 'Unique Identifier');
    ok(!$found{$u1}, 'Locate in the batch does not find the destroyed one');
    ok($found{$u2}, 'but finds the other');
    is(scalar live_keys($u1) + scalar live_keys($u2), 0,
       'both Key Protect keys are deleted');
    for my $u ($u1, $u2) {
        my ($get) = op_req($port, '2.1', { operation => 'Get',
                                           payload => [ ops_uid($u) ] });
        is(status($get), 1, 'Get of a destroyed object fails');
    }
};

subtest 'a deferred Destroy that fails undoes the batch' => sub {
    my $x = create('1.4');
    my $y = create('1.4');
    my ($ykey) = live_keys($y);
    $kp->fault({ method => 'DELETE', path => "/keys/\Q$ykey->{id}\E\$",
                 status => 500 });
    my @bi = undo_batch('1.4', add_x($x, 'x-e', 'gone soon'),
                        { operation => 'Destroy', payload => [ ops_uid($y) ] });
    $kp->clear_faults;
    is(status($bi[0]), $UNDONE, 'Add Attribute: Operation Undone');
    op_fail($bi[1], 0x100, 'the Destroy, when carried out',
            qr/destroy failed/);
    ok(!exists get_attrs($x)->{'x-e'}, 'the Add Attribute is undone');
    is(scalar live_keys($y), 1, 'the object to destroy is still there');
};

subtest 'Key Protect refuses the undo: the answer says so' => sub {
    $kp->fault({ method => 'DELETE', path => '/api/v2/keys/', status => 500 });
    my @bi = undo_batch('1.4', create_aes('1.4'), $failing);
    $kp->clear_faults;
    my $uid = uid_of($bi[0]);
    is(status($bi[0]), 0, 'the Create is not claimed undone');
    like(kmip_value($bi[0], 'Result Message') // '',
         qr/could not be undone: object "\Q$uid\E"/,
         'its Result Message says why');
    is(status($bi[1]), 1, 'the failed item');
    like(kmip_value($bi[1], 'Result Message') // '',
         qr/could not be wholly undone: 1 earlier operation stays done/,
         'its Result Message counts what stays');
    like(error_log(),
         qr/\[error\].*object "\Q$uid\E" that the batch made could not be removed.*"kmip-\Q$uid\E" are left/,
         'the error log names the keys left');
    is(scalar live_keys($uid), 1, 'its key is indeed still live');
};

# the failed item waits on Key Protect (a GET held by the emulator) while
# the test changes the world under the batch (or goes away)
sub slow_failing_batch {
    my ($uid, $meanwhile, $leave) = @_;
    my $w = create('1.4');
    my ($bi) = op_req($port, '1.4', { operation => 'Destroy',
                                      payload => [ ops_uid($w) ] });
    op_ok($bi, 'Destroy of the object the failed item reads');
    my ($wkey) = grep { $_->{name} eq "kmip-$w" }
                 @{ $kp->keys->{keys} || $kp->keys };
    $kp->fault({ method => 'GET', path => "/keys/\Q$wkey->{id}\E\$",
                 delay_ms => 2000, count => 1 });
    my $c = kmip_connect($port, timeout => 30);
    $c->send(undo_request('1.4', add_x($uid, 'x-f', 'batch'),
                          { operation => 'Get', payload => [ ops_uid($w) ] }));
    sleep 1;
    $meanwhile->();
    if ($leave) {
        $c->close;
        sleep 2;
        $kp->clear_faults;
        return;
    }
    my $m = $c->recv_message(30);
    $c->close;
    my $r = defined $m ? KMIP::TTLV::ttlv_decode($m) : die "no answer";
    $kp->clear_faults;
    return kmip_find_all($r, 'Batch Item');
}

subtest 'Key Protect down during the undo of a change' => sub {
    my $uid = create('1.4');
    my @bi = slow_failing_batch($uid, sub {
        $kp->fault({ method => 'POST', path => '/api/v2/keys$',
                     status => 500 });
    });
    is(status($bi[0]), 0, 'the Add Attribute is not claimed undone');
    like(kmip_value($bi[0], 'Result Message') // '', qr/could not be undone/,
         'and says so');
    is(status($bi[1]), 1, 'the Get of a destroyed object failed');
    like(error_log(),
         qr/\[error\].*object "\Q$uid\E" could not be restored.*left as the batch wrote it/,
         'the error log names the object left');
    is(get_attrs($uid)->{'x-f'}, 'batch', 'the change is indeed there');
};

subtest 'a writer after the batch is detected, not overwritten' => sub {
    my $uid = create('1.4');
    my @bi = slow_failing_batch($uid, sub {
        my ($bi) = op_req($port, '1.4', add_x($uid, 'x-g', 'other writer'));
        op_ok($bi, 'another client changes the object meanwhile');
    });
    is(status($bi[0]), 0, 'the Add Attribute is not claimed undone');
    like(error_log(),
         qr/object "\Q$uid\E" could not be restored: conflict.*later writer/,
         'the lost compare-and-swap is logged');
    my $a = get_attrs($uid);
    is($a->{'x-g'}, 'other writer', 'the other writer\'s change stands');
    is($a->{'x-f'}, 'batch', 'on top of the batch\'s');
};

subtest 'a client that goes away mid-batch: the log says what stays' => sub {
    my $uid = create('1.4');
    slow_failing_batch($uid, sub {}, 'leave');
    like(error_log(),
         qr/\[error\].*batch with Undo was cancelled before it ended: object "\Q$uid\E" that it changed may be left so/,
         'the changed object is named');
    is(get_attrs($uid)->{'x-f'}, 'batch', 'and its change is there');
};

done_testing();
