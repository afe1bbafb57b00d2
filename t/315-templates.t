# Templates (KMIP 1.x, 1.4 2.2.6), over TLS on Key Protect: a Template
# registered with its attributes and its Name; Create naming it, one
# overriding its length, and a key pair naming one; the keys' attributes
# are the template's; an unknown name is Item Not Found and makes
# nothing; Get of the template answers its Template structure; Locate by
# Name and by Object Type; Activate refused; Destroy; Query lists Template
# in 1.x only, 2.1 has none, and a 2.1 Get of a 1.x Template is refused.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Nginx::KMIP;
use Test::KPEmulator;
use KMIP::Ops;
use KMIP::Reasons;

my $kp = suite_kp();
my $n = kp_node(name => 'templates');

sub one { op_one($n->port, @_) }

sub name_item {
    S('Name', [ T('Name Value', $_[0]), E('Name Type', 1) ]);
}

# Create of a Symmetric Key naming templates, with attributes of its own
sub create_named {
    my ($names, @own) = @_;
    return one('1.4', 'Create', E('Object Type', 'Symmetric Key'),
               tmpl1((map { name_item($_) } @$names), @own));
}

sub register_template {
    my ($v, $name, @attrs) = @_;
    return one($v, 'Register', E('Object Type', 'Template'),
               $v =~ /^2/ ? attrs2(name_item($name))
                          : tmpl1(a1('Name', name_item($name))),
               S('Template', [ @attrs ]));
}

sub mask {
    a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask', $_[0]));
}

sub key_attrs {
    my ($uid) = @_;
    return attrs_of(op_ok(one('1.4', 'Get Attributes', ops_uid($uid)),
                          'Get Attributes of the key'));
}

sub object_types {
    my ($v) = @_;
    my $bi = op_ok(one($v, 'Query', E('Query Function', 2)),
                   "$v Query Objects");
    return join(',', map { kmip_enum_name('Object Type', $_->{value}) }
                     kmip_find_all($bi, 'Response Payload', 'Object Type'));
}

my @aes = (a1('Cryptographic Algorithm', E('Cryptographic Algorithm', 'AES')),
           a1('Cryptographic Length', I('Cryptographic Length', 256)),
           a1('Cryptographic Usage Mask', I('Cryptographic Usage Mask', 12)));

like(object_types('1.4'), qr/,SPLIT_KEY,TEMPLATE,SECRET_DATA,/,
     '1.4 Query Objects lists Template, in the specification\'s order');
unlike(object_types('2.1'), qr/TEMPLATE/, '2.1 Query Objects does not');

my $tmpl = uid_of(op_ok(register_template('1.4', 't315-aes', @aes),
                        '1.4 Register of a Template'));
ok($tmpl, 'the Template has a Unique Identifier');

op_fail(register_template('1.4', 't315-state', @aes,
                          a1('State', E('State', 'Active'))),
        R_INVALID_FIELD, 'a Template with a State', qr/set by the server/);
op_fail(register_template('1.4', 't315-named', @aes,
                          a1('Name', name_item('inside'))),
        R_INVALID_FIELD, 'a Template holding a Name', qr/names the template/);
op_fail(register_template('1.4', 't315-aes', @aes),
        R_INVALID_FIELD, 'a second Template of that Name', qr/already/);
op_fail(register_template('2.1', 't315-v2', @aes),
        R_INVALID_FIELD, '2.1 Register of a Template');

subtest 'Get and Get Attributes of the Template' => sub {
    my $bi = op_ok(one('1.4', 'Get', ops_uid($tmpl)), 'Get');
    is(kmip_enum_name('Object Type',
                      kmip_value($bi, 'Response Payload', 'Object Type')),
       'TEMPLATE', 'its Object Type');
    my @a = kmip_find_all($bi, 'Response Payload', 'Template', 'Attribute');
    is(scalar @a, 3, 'its Template structure, three Attributes');
    is(join(',', map { kmip_value($_, 'Attribute Name') } @a),
       'Cryptographic Algorithm,Cryptographic Length,Cryptographic Usage Mask',
       'as registered');

    op_fail(one('2.1', 'Get', ops_uid($tmpl)), R_INVALID_OBJECT_TYPE,
            '2.1 Get of the Template', qr/1\.x/);

    my $at = key_attrs($tmpl);
    is($at->{Name}{'Name Value'}, 't315-aes', 'its Name');
    ok(!exists $at->{State} && !exists $at->{Digest},
       'no State, no Digest: a Template is not a cryptographic object');
};

subtest 'Create naming the Template' => sub {
    $kp->clear_requests;
    my $uid = uid_of(op_ok(create_named(['t315-aes']), 'Create naming it'));
    my @calls = $kp->requests;
    diag(scalar(@calls) . ' Key Protect calls: '
         . join(', ', map { "$_->{method} $_->{path}" } @calls))
        if $ENV{TEST_VERBOSE};
    is(scalar(grep { $_->{method} eq 'POST' && $_->{path} =~ m{/keys$} }
              @calls), 1, 'one Key Protect key created');
    my $at = key_attrs($uid);
    is($at->{'Cryptographic Length'}, 256, 'the template\'s length');
    is($at->{'Cryptographic Usage Mask'}, 12, 'the template\'s usage mask');
    is(kmip_enum_name('Cryptographic Algorithm',
                      $at->{'Cryptographic Algorithm'}),
       'AES', 'the template\'s algorithm');

    $uid = uid_of(op_ok(create_named(['t315-aes'],
                            a1('Cryptographic Length',
                               I('Cryptographic Length', 128))),
                        'Create naming it, with a length of its own'));
    $at = key_attrs($uid);
    is($at->{'Cryptographic Length'}, 128, 'the request\'s length wins');
    is($at->{'Cryptographic Usage Mask'}, 12, 'the template\'s mask stays');

    $kp->clear_requests;
    op_fail(create_named(['t315-aes', 'no-such-template']),
            R_ITEM_NOT_FOUND, 'Create naming an unknown template',
            qr/no-such-template/);
    is($kp->count(method => 'POST', path => qr{/keys$}), 0,
       'nothing is made');
};

subtest 'Create Key Pair naming a Template in its Common container' => sub {
    my $ec = uid_of(op_ok(register_template('1.4', 't315-ec',
        a1('Cryptographic Algorithm', E('Cryptographic Algorithm', 'EC')),
        a1('Cryptographic Length', I('Cryptographic Length', 256)), mask(3)),
        'Register of an EC Template'));
    my $bi = op_ok(one('1.4', 'Create Key Pair',
        S('Common Template-Attribute', [ name_item('t315-ec') ]),
        S('Private Key Template-Attribute', [ mask(1) ]),
        S('Public Key Template-Attribute', [ mask(2) ])),
        'Create Key Pair naming it');
    my %mask = (Private => 1, Public => 2);
    for my $which ('Private', 'Public') {
        my $at = key_attrs(kmip_value($bi, 'Response Payload',
                                      "$which Key Unique Identifier"));
        is(kmip_enum_name('Cryptographic Algorithm',
                          $at->{'Cryptographic Algorithm'} // 0),
           'EC', "the \L$which\E key is the template's EC");
        is($at->{'Cryptographic Length'}, 256, "of its length");
        is($at->{'Cryptographic Usage Mask'}, $mask{$which},
           "its own usage mask over the template's");
    }
    op_ok(one('1.4', 'Destroy', ops_uid($ec)), 'the EC Template destroyed');
};

subtest 'Locate, Activate and Destroy of the Template' => sub {
    my $bi = op_ok(one('1.4', 'Locate', a1('Name', name_item('t315-aes'))),
                   'Locate by Name');
    is(join(',', map { $_->{value} }
                 kmip_find_all($bi, 'Response Payload', 'Unique Identifier')),
       $tmpl, 'finds the Template');
    $bi = op_ok(one('1.4', 'Locate',
                    a1('Object Type', E('Object Type', 'Template'))),
                'Locate by Object Type');
    ok((grep { $_->{value} eq $tmpl }
            kmip_find_all($bi, 'Response Payload', 'Unique Identifier')),
       'finds the Template');

    $bi = one('1.4', 'Activate', ops_uid($tmpl));
    is(kmip_value($bi, 'Result Status'), 1, 'Activate of a Template fails');

    op_ok(one('1.4', 'Destroy', ops_uid($tmpl)), 'Destroy');
    op_fail(create_named(['t315-aes']), R_ITEM_NOT_FOUND,
            'Create naming the destroyed template');
};

unlike($n->error_log_text, qr/\[(?:alert|crit|emerg)\]/,
       'no alert in the error log');

done_testing();
