#!/usr/bin/env python3
"""Generate ngx_kmip_attr_versions.h, the KMIP versions that define each
attribute, from the KMIP 1.4 and 2.1 specification HTML.

The two specifications give:

  * the 1.x attributes: the sections of the 1.4 chapter 3 ("3.18 Operation
    Policy Name"); the 1.4 specification defines every attribute of 1.0 to
    1.4, the deprecated ones included ("This attribute is deprecated as of
    version 1.1"): a deprecated attribute is still defined, so still
    answered, until 2.0 removes it;
  * the 2.x attributes: the sections of the 2.1 chapter 4 ("4.24 Fresh").
    An attribute of 1.4 absent from 2.1 was removed by 2.0 (KMIP 2.0
    removed every deprecated feature): its last version is 1.4.

Neither says in which 1.x version an attribute first appeared, nor which of
the 2.x ones 2.1 added: those facts are in FIRST below, from the 1.0, 1.1,
1.2 and 1.3 specifications (each one's chapter 3) and the 2.0
specification's chapter 4. Every attribute the 1.4 specification has and
FIRST does not name is a KMIP 1.0 attribute; every 2.1 attribute that 1.4
lacks and FIRST does not name is a 2.0 one.

One-off generator; the output is committed, the specs are not.

usage: tools/gen-attr-versions.py [SPEC_DIR] [OUT]
  SPEC_DIR defaults to ../shared/kmip/spec (relative to the repo root),
  OUT to ngx_kmip_module/codec/ngx_kmip_attr_versions.h.
"""

import html
import os
import re
import sys

SPEC_1 = 'kmip-spec-v1.4-os.html'
SPEC_2 = 'kmip-spec-v2.1-os.html'

LAST_VERSION = (2, 1)

# the first version of the attributes the 1.0 specification lacks
FIRST = {
    # KMIP 1.1 (24 January 2013), chapter 3: the X.509 forms of the
    # certificate attributes (replacing Certificate Identifier, Subject and
    # Issuer, which it deprecates), Certificate Length, Digital Signature
    # Algorithm and Fresh
    'Certificate Length': (1, 1),
    'X.509 Certificate Identifier': (1, 1),
    'X.509 Certificate Subject': (1, 1),
    'X.509 Certificate Issuer': (1, 1),
    'Digital Signature Algorithm': (1, 1),
    'Fresh': (1, 1),
    # KMIP 1.2 (19 May 2015), chapter 3
    'Alternative Name': (1, 2),
    'Key Value Present': (1, 2),
    'Key Value Location': (1, 2),
    'Original Creation Date': (1, 2),
    # KMIP 1.3 (27 December 2016), chapter 3
    'Random Number Generator': (1, 3),
    # KMIP 1.4 (22 November 2017), chapter 3
    'PKCS#12 Friendly Name': (1, 4),
    'Description': (1, 4),
    'Comment': (1, 4),
    'Sensitive': (1, 4),
    'Always Sensitive': (1, 4),
    'Extractable': (1, 4),
    'Never Extractable': (1, 4),
    # KMIP 2.1 (14 December 2020), chapter 4: what the 2.0 specification's
    # chapter 4 lacks
    'Protection Level': (2, 1),
    'Protection Period': (2, 1),
    'Quantum Safe': (2, 1),
    'Rotate Automatic': (2, 1),
    'Rotate Date': (2, 1),
    'Rotate Generation': (2, 1),
    'Rotate Interval': (2, 1),
    'Rotate Latest': (2, 1),
    'Rotate Name': (2, 1),
    'Rotate Offset': (2, 1),
}


def text(s):
    s = re.sub(r'<[^>]+>', ' ', s)
    s = html.unescape(s)
    return re.sub(r'\s+', ' ', s).strip()


def sections(path, chapter):
    """(number, name, body text) of each section of the chapter"""
    raw = open(path, encoding='latin-1').read()
    heads = list(re.finditer(r'<h2[^>]*>(.*?)</h2>', raw, re.S))
    for i, m in enumerate(heads):
        t = text(m.group(1))
        hm = re.match(r'(%d\.\d+) (.+)$' % chapter, t)
        if hm is None:
            continue
        end = heads[i + 1].start() if i + 1 < len(heads) else len(raw)
        yield hm.group(1), hm.group(2), text(raw[m.end():end])


def members(name, body):
    """the attributes a 2.1 section defines: itself, or for "Certificate
    Attributes" (4.6) each item of its table, an attribute of its own
    ("Certificate Subject CN" ... "Certificate Issuer DN Qualifier")"""
    if name != 'Certificate Attributes':
        return [name]
    items = body.split(' Item Encoding ', 1)[1].split(' Table ', 1)[0]
    return re.findall(r'(Certificate (?:Subject|Issuer) [A-Za-z ]+?) '
                      r'Text String', items)


def add_v2(attrs, order, num, name):
    a = attrs.get(name)
    if a is None:
        a = {'v1': None, 'dep': None, 'first': FIRST.get(name, (2, 0))}
        attrs[name] = a
        order.append(name)
    a['v2'] = num
    a['last'] = LAST_VERSION


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(root, '..', 'shared', 'kmip', 'spec')
    out = sys.argv[2] if len(sys.argv) > 2 else \
        os.path.join(root, 'ngx_kmip_module', 'codec',
                     'ngx_kmip_attr_versions.h')

    attrs = {}
    order = []

    for num, name, body in sections(os.path.join(spec, SPEC_1), 3):
        # the attribute's own deprecation, not a value's or a policy's
        dep = re.search(r'[Aa]ttribute is deprecated as of version '
                        r'(\d\.\d)', body)
        attrs[name] = {'v1': num, 'dep': dep.group(1) if dep else None,
                       'first': FIRST.get(name, (1, 0)), 'last': (1, 4)}
        order.append(name)

    for num, name, body in sections(os.path.join(spec, SPEC_2), 4):
        for name in members(name, body):
            add_v2(attrs, order, num, name)

    unknown = set(FIRST) - set(attrs)
    if unknown:
        sys.exit('FIRST names attributes neither spec has: %s'
                 % ', '.join(sorted(unknown)))

    lines = [
        '',
        '/*',
        ' * Copyright (C) ngx_kmip authors',
        ' */',
        '',
        '',
        '/*',
        ' * Generated by tools/gen-attr-versions.py from',
        ' * ../shared/kmip/spec/%s (chapter 3) and' % SPEC_1,
        ' * ../shared/kmip/spec/%s (chapter 4); do not edit.' % SPEC_2,
        ' *',
        ' * The KMIP versions that define each attribute, first and last:',
        ' * an answer in a version carries only the attributes it defines.',
        ' * Included by ngx_kmip_attr.c. Where each comes from: the sections',
        ' * of the 1.4 and 2.1 specifications, and the version that added it',
        ' * when that is not 1.0 (1.x) or 2.0 (2.x only):',
        ' *',
    ]

    notes, entries = [], []

    for name in order:
        a = attrs[name]
        where = []
        if a['v1']:
            where.append('1.4 %s' % a['v1'])
        if a.get('v2'):
            where.append('2.1 %s' % a['v2'])
        note = '; '.join(where)
        if a['first'] not in ((1, 0), (2, 0)):
            note += '; added in %d.%d' % a['first']
        if a['dep']:
            note += '; deprecated as of %s' % a['dep']
        if a['last'] != LAST_VERSION:
            note += '; not in 2.x'
        notes.append(' *   %s: %s' % (name, note))
        entries.append('    { "%s", %d%02d, %d%02d },'
                       % ((name,) + a['first'] + a['last']))

    lines += notes + [
        ' */',
        '',
        '',
        '#ifndef _NGX_KMIP_ATTR_VERSIONS_H_INCLUDED_',
        '#define _NGX_KMIP_ATTR_VERSIONS_H_INCLUDED_',
        '',
        '',
        '/* versions as NGX_KMIP_ATTR_V() makes them: major * 100 + minor */',
        'static const ngx_kmip_attr_version_t  ngx_kmip_attr_versions[] = {',
        '',
    ] + entries

    lines += [
        '',
        '    { NULL, 0, 0 }',
        '};',
        '',
        '',
        '#endif /* _NGX_KMIP_ATTR_VERSIONS_H_INCLUDED_ */',
        '',
    ]

    with open(out, 'w') as f:
        f.write('\n'.join(lines))

    print('%s: %d attributes' % (out, len(order)))


if __name__ == '__main__':
    main()
