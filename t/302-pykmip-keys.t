# Debian's PyKMIP (ProxyKmipClient, through t/lib/pykmip_client.py) drives
# the key operations against the Key Protect emulator at KMIP 1.2, 1.4 and
# 2.0: an independent client agrees with the server.

use strict;
use warnings;
use lib 't/lib';
use Test::Nginx::KMIP;
use Test::KPEmulator;
use JSON::PP qw(decode_json);

plan skip_all => 'python3-pykmip is not installed'
    if system('/usr/bin/python3 -c "import kmip" 2>/dev/null') != 0;

my $kp = Test::KPEmulator->start(dir => servroot() . '-kp');
my $n = start_nginx(stream_server_config => "kmip;\n    " . $kp->nginx_conf);
# stop nginx and the emulator even when a test dies
END { local $?; $n->stop if $n; $kp->stop if $kp }

sub py {
    my ($v, @args) = @_;
    my @cmd = ('/usr/bin/python3', 't/lib/pykmip_client.py',
               '--port', $n->port, '--cert', cert_path('client.crt'),
               '--key', cert_path('client.key'), '--ca', cert_path('ca.crt'),
               '--server-name', 'localhost', '--version', $v, @args);
    open my $fh, '-|', @cmd or die "python3: $!";
    my $out = do { local $/; <$fh> };
    close $fh;
    my $r = eval { decode_json($out) } || { error => "not JSON: $out" };
    $r->{_exit} = $? >> 8;
    return $r;
}

sub py_ok {
    my ($v, @args) = @_;
    my $r = py($v, @args);
    is($r->{_exit}, 0, "$v @args[0 .. ($#args < 1 ? $#args : 1)]")
        or diag explain $r;
    return $r;
}

for my $v ('1.2', '1.4', '2.0') {
    subtest "PyKMIP at $v" => sub {
        my $name = "py-$v-" . int(rand(1e9));
        my $uid = py_ok($v, 'create', '--algorithm', 'AES', '--length', 128,
                        '--name', $name)->{uid};
        like($uid, qr/^[0-9a-f-]{36}$/, 'create: uid');

        my $g = py_ok($v, 'get', $uid);
        is($g->{class}, 'SymmetricKey', 'get: a symmetric key');
        is(length($g->{key_hex} // ''), 32, 'get: 16 bytes');
        is($g->{cryptographic_length}, 128, 'get: length');

        my $a = py_ok($v, 'get-attributes', $uid)->{attributes};
        is($a->{State}, 'PRE_ACTIVE', 'get-attributes: State');
        is($a->{'Cryptographic Length'}, 128, 'get-attributes: length');
        is($a->{'Cryptographic Algorithm'}, 'AES', 'get-attributes: AES');
        $a = py_ok($v, 'get-attributes', $uid, '--names',
                   'State,Cryptographic Usage Mask')->{attributes};
        is_deeply([ sort keys %$a ], [ 'Cryptographic Usage Mask', 'State' ],
                  'get-attributes by name') or diag explain $a;

        my $l = py_ok($v, 'get-attribute-list', $uid)->{names};
        ok((grep { $_ eq 'State' } @$l), 'get-attribute-list has State')
            or diag explain $l;
        ok((grep { $_ eq 'Name' } @$l), 'get-attribute-list has Name');

        is_deeply(py_ok($v, 'locate', '--name', $name)->{uids}, [ $uid ],
                  'locate by name');

        py_ok($v, 'activate', $uid);
        is(py_ok($v, 'get-attributes', $uid, '--names', 'State')
               ->{attributes}{State}, 'ACTIVE', 'activated');
        ok((grep { $_ eq $uid }
            @{ py_ok($v, 'locate', '--state', 'active',
                     '--object-type', 'symmetric-key')->{uids} }),
           'locate by state and object type');

        my $d = py($v, 'destroy', $uid);
        is($d->{_exit}, 1, 'destroy of an Active key fails');
        is($d->{reason}, $v =~ /^2/ ? 'WRONG_KEY_LIFECYCLE_STATE'
                                    : 'PERMISSION_DENIED', 'reason')
            or diag explain $d;

        py_ok($v, 'revoke', $uid, '--reason', 'key-compromise');
        is(py_ok($v, 'get-attributes', $uid, '--names', 'State')
               ->{attributes}{State}, 'COMPROMISED', 'revoked: Compromised');
        # a whole answer now holds Revocation Reason and the dates
        is(py_ok($v, 'get-attributes', $uid)->{attributes}{State},
           'COMPROMISED', 'revoked: a whole Get Attributes answer');
        py_ok($v, 'destroy', $uid);
        my $gd = py($v, 'get', $uid);
        is($gd->{_exit}, 1, 'get of a destroyed key fails');
        is($gd->{reason}, $v =~ /^2/ ? 'OBJECT_DESTROYED' : 'ITEM_NOT_FOUND',
           'get of a destroyed key: reason') or diag explain $gd;

        my $key = '000102030405060708090a0b0c0d0e0f'
                . '101112131415161718191a1b1c1d1e1f';
        my $ruid = py_ok($v, 'register', '--key-hex', $key)->{uid};
        is(py_ok($v, 'get', $ruid)->{key_hex}, $key, 'register, get');
    };

    subtest "PyKMIP attribute changes at $v" => sub {
        my $uid = py_ok($v, 'create', '--name', "m-$v")->{uid};
        # Modify at 1.x: index 0 of Name; at 2.0 Modify needs an existing
        # attribute, so an absent Object Group is Attribute Not Found
        py_ok($v, 'modify-attribute', $uid, '--attribute-name', 'Name',
              '--attribute-value', "m2-$v");
        is(py_ok($v, 'get-attributes', $uid, '--names', 'Name')
               ->{attributes}{Name}{name_value}, "m2-$v", 'Name modified');
        if ($v =~ /^2/) {
            my $r = py($v, 'modify-attribute', $uid, '--attribute-name',
                       'Object Group', '--attribute-value', 'g-new');
            is($r->{reason}, 'ATTRIBUTE_NOT_FOUND',
               'modify of an absent attribute') or diag explain $r;
            py_ok($v, 'delete-attribute', $uid, '--attribute-name', 'Name');
            ok(!exists py_ok($v, 'get-attributes', $uid)->{attributes}{Name},
               'Name deleted');
            $r = py($v, 'delete-attribute', $uid, '--attribute-name', 'Name');
            is($r->{_exit}, 1, 'deleting it again fails');
            is($r->{reason}, 'ATTRIBUTE_NOT_FOUND', 'Attribute Not Found')
                or diag explain $r;
            return;
        }
        py_ok($v, 'delete-attribute', $uid, '--attribute-name', 'Name');
        ok(!exists py_ok($v, 'get-attributes', $uid)->{attributes}{Name},
           'Name deleted');
        my $r = py($v, 'delete-attribute', $uid, '--attribute-name', 'Name');
        is($r->{_exit}, 1, 'deleting it again fails');
        is($r->{reason}, 'ITEM_NOT_FOUND', 'Item Not Found at 1.x')
            or diag explain $r;
        return;
    };
}

$n->stop;
$kp->stop;
done_testing();
