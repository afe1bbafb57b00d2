# Version gating: no answer carries an attribute its version
# does not define. Every attribute of the generated table
# (ngx_kmip_module/codec/ngx_kmip_attr_versions.h, from the KMIP 1.4 and
# 2.1 specifications) goes through every version's Get Attribute List, Get
# Attributes (whole, and every attribute by name) and Locate, on a key with
# the 1.x-only Operation Policy Name, the 1.4 Description, the derived 2.x
# attributes and a custom one. And Operation Policy Name as KMIP 1.0-1.2
# clients send it (KMIP 1.4 3.18): Synology DSM 7's Register of Secret
# Data, VAST Data's Add Attribute; another policy name is refused.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use KMIP::Reasons;

my $kp = suite_kp();
my $n = kp_node();
my $port = $n->port;

my @versions = qw(1.0 1.1 1.2 1.3 1.4 2.0 2.1);
my $ver2 = qr/^2/;
my $OPN = 'Operation Policy Name';
my $OPN_TAG = 0x42005D;     # 1.x only: 2.x has no such tag

sub vnum { my ($ma, $mi) = split /\./, shift; return $ma * 100 + $mi }

sub one {
    my ($v, $op, @payload) = @_;
    return op_one($port, $v, $op, @payload);
}

# the table the server answers by, and facts written out from the specs
# (KMIP 1.1 3.34, 1.2 3.43, 1.3 3.44, 1.4 3.46 and 3.18, 2.0 4.56) that
# the table must agree with

my %def;
{
    my $h = 'ngx_kmip_module/codec/ngx_kmip_attr_versions.h';
    open my $fh, '<', $h or die "$h: $!";
    local $/;
    my $src = <$fh>;
    # one line each: { "name", first, last } as major * 100 + minor
    while ($src =~ /^\s+\{\s"([^"]+)",\s(\d+),\s(\d+)\s\},$/gm) {
        $def{$1} = [ $2, $3 ];
    }
}

my %facts = ('Fresh' => [ 101, 201 ], 'Original Creation Date' => [ 102, 201 ],
             'Random Number Generator' => [ 103, 201 ],
             'Description' => [ 104, 201 ], $OPN => [ 100, 104 ],
             'Certificate Identifier' => [ 100, 104 ],
             'Short Unique Identifier' => [ 200, 201 ],
             'Unique Identifier' => [ 100, 201 ]);

cmp_ok(scalar keys %def, '>=', 60, 'the table has every KMIP attribute');
is_deeply({ map { $_ => $def{$_} } keys %facts }, \%facts,
          'the table agrees with the specifications');

sub defined_in {
    my ($name, $v) = @_;
    return 1 if $name =~ /^x-/;
    my $d = $def{$name} or return 1;
    return vnum($v) >= $d->[0] && vnum($v) <= $d->[1];
}

# a Get Attribute List answer's names, in either version's form
sub listed {
    my ($v, $uid) = @_;
    my $bi = op_ok(one($v, 'Get Attribute List', ops_uid($uid)),
                   "$v Get Attribute List");
    my $p = kmip_find($bi, 'Response Payload') or return ();
    my @names;
    for my $it (@{ $p->{value} }) {
        if ($it->{name} eq 'Attribute Name') {
            push @names, $it->{value};
        } elsif ($it->{name} eq 'Attribute Reference') {
            push @names, ref $it->{value}
                ? kmip_value($it, 'Vendor Identification') . '-'
                  . kmip_value($it, 'Attribute Name')
                : kmip_tag_name($it->{value});
        }
    }
    return @names;
}

# the raw Attribute Value items of a Get Attributes answer, by name
sub raw_attrs {
    my ($bi) = @_;
    my %a;
    my $p = kmip_find($bi, 'Response Payload') or return \%a;
    for my $at (grep { $_->{name} eq 'Attribute' } @{ $p->{value} }) {
        $a{ kmip_value($at, 'Attribute Name') } //=
            kmip_find($at, 'Attribute Value');
    }
    if (my $as = kmip_find($p, 'Attributes')) {
        $a{ $_->{name} } //= $_ for grep { $_->{name} ne 'Attribute' }
                                    @{ $as->{value} };
    }
    return \%a;
}

sub get_named {
    my ($v, $uid, @names) = @_;
    my @refs;
    for my $name (@names) {
        if ($v !~ $ver2) {
            push @refs, T('Attribute Name', $name);
        } elsif (my $tag = eval { kmip_tag($name) }) {
            push @refs, E('Attribute Reference', $tag);
        }
    }
    my $bi = op_ok(one($v, 'Get Attributes', ops_uid($uid), @refs),
                   "$v Get Attributes by name");
    return raw_attrs($bi);
}

sub as_tag {
    my ($item, $tag) = @_;
    return { %$item, tag => $tag, name => kmip_tag_name($tag) };
}

# ---------------------------------------------- Operation Policy Name

subtest 'Synology DSM 7: 1.2 Register of Secret Data, policy "default"' => sub {
    my $bi = op_ok(one('1.2', 'Register', E('Object Type', 'Secret Data'),
        tmpl1(a1($OPN, T($OPN_TAG, 'default'))),
        S('Secret Data', [ E('Secret Data Type', 'Password'),
            S('Key Block', [ E('Key Format Type', 'Opaque'),
                S('Key Value', [ B('Key Material', 'dsm-volume') ]) ]) ])),
        'Register with Operation Policy Name "default"');
    my $uid = uid_of($bi);
    is(get_named('1.2', $uid, $OPN)->{$OPN}{value}, 'default',
       'kept, and answered in 1.2');
    ok((grep { $_ eq $OPN } listed('1.2', $uid)), 'listed in 1.2');
    ok(!(grep { $_ eq $OPN } listed('2.1', $uid)), 'not listed in 2.1');
    my $all = raw_attrs(op_ok(one('2.0', 'Get Attributes', ops_uid($uid)),
                              '2.0 Get Attributes'));
    ok(!grep({ $_->{tag} == $OPN_TAG } values %$all),
       'not in a whole 2.0 answer');
};

subtest 'VAST Data: 1.1 Add Attribute of the policy' => sub {
    my $uid = uid_of(op_ok(one('1.1', 'Create', E('Object Type', 'Symmetric Key'),
        aes_attrs('1.1', 256)), '1.1 Create'));
    op_ok(one('1.1', 'Add Attribute', ops_uid($uid),
              a1($OPN, T($OPN_TAG, 'default'))), 'Add Attribute "default"');
    is(get_named('1.1', $uid, $OPN)->{$OPN}{value}, 'default', 'kept');
    my $all = raw_attrs(op_ok(one('1.1', 'Get Attributes', ops_uid($uid)),
                              '1.1 Get Attributes'));
    is($all->{$OPN}{value}, 'default', 'in a whole 1.1 answer');
    op_fail(one('1.1', 'Modify Attribute', ops_uid($uid),
                a1($OPN, T($OPN_TAG, 'default'))),
            R_PERMISSION_DENIED, 'Modify Attribute (not by a client, 3.18)');
    op_fail(one('1.1', 'Add Attribute', ops_uid($uid),
                a1($OPN, T($OPN_TAG, 'default'))),
            R_ILLEGAL_OPERATION, 'a second one (a single instance)');
    op_fail(one('1.1', 'Delete Attribute', ops_uid($uid),
                T('Attribute Name', $OPN)),
            R_PERMISSION_DENIED, 'Delete Attribute (not by a client, 3.18)');
    is(get_named('1.1', $uid, $OPN)->{$OPN}{value}, 'default',
       'still "default"');
};

subtest 'a policy name of the client\'s own, and none' => sub {
    my $gold = uid_of(op_ok(one('1.0', 'Create',
        E('Object Type', 'Symmetric Key'),
        aes_attrs('1.0', 128, a1($OPN, T($OPN_TAG, 'gold')))),
        'Create naming policy "gold"'));
    is(get_named('1.0', $gold, $OPN)->{$OPN}{value}, 'gold',
       'the name is kept as given');
    op_fail(one('1.0', 'Create', E('Object Type', 'Symmetric Key'),
                aes_attrs('1.0', 128, a1($OPN, T($OPN_TAG, '')))),
            R_INVALID_FIELD, 'Create naming an empty policy',
            qr/non-empty Text String/);
    op_fail(one('2.1', 'Create', E('Object Type', 'Symmetric Key'),
                aes_attrs('2.1', 128, T($OPN_TAG, 'default'))),
            R_INVALID_FIELD, '2.1 Create with the 1.x tag');
};

# ------------------------------------------ every attribute, every version

my $uid = uid_of(op_ok(one('1.4', 'Create', E('Object Type', 'Symmetric Key'),
    aes_attrs('1.4', 256, a1($OPN, T($OPN_TAG, 'default')),
              a1('Description', T('Description', 'version gating')),
              a1('x-Tag', T('Attribute Value', 'every version')))),
    'the key walked through the versions'));

my %has = map { $_ => 1 } listed('1.4', $uid), listed('2.1', $uid);
ok($has{$OPN} && $has{Fresh} && $has{'Short Unique Identifier'}
   && $has{'x-Tag'}, 'the key has attributes of every kind')
    or diag explain \%has;

# each attribute's value as the last version defining it gives it
my %value = (%{ get_named('2.1', $uid, sort keys %has) },
             %{ get_named('1.4', $uid, sort keys %has) });

for my $v (@versions) {
    subtest "KMIP $v" => sub {
        my %l = map { $_ => 1 } listed($v, $uid);
        my @want = sort grep { defined_in($_, $v) } keys %has;
        is_deeply([ sort keys %l ], \@want,
                  'Get Attribute List: what the key has of the version');
        for my $name (sort keys %facts) {
            next unless $has{$name};
            my $in = vnum($v) >= $facts{$name}[0]
                     && vnum($v) <= $facts{$name}[1];
            is(!!$l{$name}, !!$in, "$name " . ($in ? 'listed' : 'left out'));
        }

        my $whole = raw_attrs(op_ok(one($v, 'Get Attributes', ops_uid($uid)),
                                    "$v Get Attributes"));
        is_deeply([ grep { !defined_in($_, $v) } sort keys %$whole ], [],
                  'a whole Get Attributes answer: only the version\'s');

        my $named = get_named($v, $uid, sort keys %def);
        is_deeply([ sort keys %$named ],
                  [ grep { $_ ne 'x-Tag' } @want ],
                  'every attribute asked by name: the version\'s only');

        for my $name (sort grep { $_ ne 'x-Tag' } keys %has) {
            my $val = $value{$name} or next;
            my $f;
            if ($v =~ $ver2) {
                my $tag = eval { kmip_tag($name) } // $OPN_TAG;
                $f = attrs2(as_tag($val, $tag));
            } else {
                $f = S('Attribute', [ T('Attribute Name', $name),
                           as_tag($val, kmip_tag('Attribute Value')) ]);
            }
            my $bi = one($v, 'Locate', $f);
            my $found = grep { $_->{name} eq 'Unique Identifier'
                               && $_->{value} eq $uid }
                        @{ (kmip_find($bi, 'Response Payload')
                            || { value => [] })->{value} };
            if (defined_in($name, $v)) {
                ok($found, "Locate by $name finds the key");
            } else {
                ok(!$found, "Locate by $name finds nothing");
            }
        }
    };
}

done_testing();
