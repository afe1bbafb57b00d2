#!/usr/bin/env python3
"""Generate ngx_kmip_tags.h, ngx_kmip_enums.h and the tables of
ngx_kmip_names.c from the KMIP 1.4 and 2.1 specification HTML (tag and
enumeration tables); the lookups on them are in ngx_kmip_ttlv.c.

The JSON and XML encodings ("KMIP Additional Message Encodings") spell a
specification name in CamelCase (camel() below, which
tools/gen-enum-names.py uses for enumeration values too): round brackets
become spaces; a punctuation character between two characters that are not
lower-case letters becomes an underscore ("X.509" -> "X_509", "SHA-256" ->
"SHA_256", "PKCS#11" -> "PKCS_11"), any other one a space ("Pre-Active" ->
"PreActive", "IV/Counter/Nonce" -> "IVCounterNonce"); leading digits move
to the end of the first word ("3DES" -> "DES3"); every word gets an upper
case first letter and the spaces go.  The OASIS test cases of both versions
spell every tag, enumeration value and mask bit they use this way.  Every
specification name of a tag has the same CamelCase name, so one table of
tag names serves both spellings (ngx_kmip_tag_camel() in ngx_kmip_ttlv.c
is the same rule for tag names).

One-off generator; the outputs are committed, the specs are not.

usage: tools/gen-tags.py [SPEC_DIR] [OUT_DIR]
  SPEC_DIR defaults to ../shared/kmip/spec (relative to the repo root),
  OUT_DIR to ngx_kmip_module/codec.
"""

import html
import os
import re
import sys

SPECS = ['kmip-spec-v1.4-os.html', 'kmip-spec-v2.1-os.html']

RENAME = {'DRGB Algorithm': 'DRBG Algorithm',
          'Object Group Member Option': 'Object Group Member',
          'Batch Error Continuation': 'Batch Error Continuation Option'}

SKIP_ENUMS = {'Tag', 'Item Type'}

# short aliases for the enumerations the server uses everywhere
ALIASES = {'Operation': 'OP', 'Result Reason': 'REASON',
           'Result Status': 'STATUS'}


def text(s):
    s = re.sub(r'<[^>]+>', ' ', s)
    s = html.unescape(s)
    return re.sub(r'\s+', ' ', s).strip()


def tables(path):
    raw = open(path, encoding='latin-1').read()
    for m in re.finditer(r'<table.*?</table>', raw, re.S):
        rows = []
        for r in re.findall(r'<tr.*?</tr>', m.group(0), re.S):
            rows.append([text(c) for c in re.findall(r'<td.*?</td>', r,
                                                      re.S)])
        post = text(raw[m.end():m.end() + 1500])
        yield rows, post


def snake(name):
    s = name.upper().replace('#', '_').replace('+', 'PLUS')
    s = re.sub(r'[^A-Z0-9]+', '_', s).strip('_')
    return s


def camel(name):
    s = re.sub(r'[()]', ' ', name)
    s = re.sub(r'(?<=[0-9A-Z])[^A-Za-z0-9_\s/](?=[0-9A-Z])', '_', s)
    s = re.sub(r'[^A-Za-z0-9_\s]', ' ', s)
    words = s.split()
    if words and words[0][0].isdigit():
        m = re.match(r'[0-9]+', words[0])
        words[0] = words[0][m.end():] + m.group(0)
    return ''.join(w[0].upper() + w[1:] for w in words)


def reserved(name):
    return name in ('', 'Reserved') or name.startswith('(')


def parse(spec):
    """The tag and enumeration tables of both specifications: tags (value
    -> [names], the preferred first), in_spec (spec file -> its tag
    values), enums (enumeration -> {snake value name: value}), the
    enumerations in the order met, raw (enumeration -> [(spec value
    name, value)], the names as the specification spells them), and the
    tags the 1.4 table marks deprecated (value -> name)."""
    tags = {}          # value -> [names] (first = preferred, 2.1 first)
    in_spec = {}       # spec -> the tag values its table defines
    enums = {}         # enum name -> {value name: value}
    enum_order = []
    # tags the 1.4 table marks "(deprecated ...)": named in the tags header
    # for the code that reads them (the 1.0 certificate attributes), kept
    # out of the names and the version tables
    deprecated = {}
    raw = {}

    for f in reversed(SPECS):       # 2.1 first: its names are preferred
        in_spec[f] = set()
        for rows, post in tables(os.path.join(spec, f)):
            for r in rows:
                m = re.fullmatch(r'(42[0-9A-Fa-f]{4}) \(deprecated[^)]*\)',
                                 r[1].strip()) if len(r) >= 2 else None
                if m and not reserved(r[0]):
                    deprecated.setdefault(int(m.group(1), 16), r[0])
                if len(r) >= 2 and re.fullmatch(r'42[0-9A-Fa-f]{4}',
                                                r[1].strip()):
                    name = r[0]
                    if reserved(name):
                        continue
                    v = int(r[1], 16)
                    in_spec[f].add(v)
                    lst = tags.setdefault(v, [])
                    if name not in lst:
                        lst.append(name)

            if len(rows) < 3 or len(rows[0]) != 1 \
               or rows[1][:2] != ['Name', 'Value']:
                continue
            # the caption after the table ("Table 486: State Enumeration")
            # wins: some title rows in 2.1 are copy-paste leftovers of the
            # previous table; without a caption use the title row
            ename = rows[0][0]
            m = re.match(r'Table \d+: (.*?) (?:Enumeration|enumerations'
                         r'|This)\b', post)
            if m:
                ename = m.group(1)
            ename = re.sub(r' Enumerations?$', '', ename)
            ename = RENAME.get(ename, ename)
            if ename.startswith('Recommended Curve'):
                ename = 'Recommended Curve'
            if ename in SKIP_ENUMS:
                continue
            if ename not in enums:
                enums[ename] = {}
                enum_order.append(ename)
                raw[ename] = []
            for r in rows[2:]:
                if len(r) < 2 or reserved(r[0]):
                    continue
                val = re.sub(r'\(deprecated\)', '', r[1]).replace(' ', '')
                if val.lower().startswith('0x'):
                    val = val[2:]
                # a deprecated value ("00000006 (deprecated)") is still
                # a name a 1.x message may carry: raw keeps it, the
                # headers do not
                dep = re.fullmatch(r'([0-9A-Fa-f]{1,8})\(deprecated\)', val)
                if dep:
                    v = int(dep.group(1), 16)
                    if (r[0], v) not in raw[ename]:
                        raw[ename].append((r[0], v))
                    continue
                if not re.fullmatch(r'[0-9A-Fa-f]{1,8}', val):
                    continue
                vname = snake(r[0])
                v = int(val, 16)
                old = enums[ename].get(vname)
                if old is not None and old != v:
                    sys.stderr.write('conflict %s %s %x %x\n'
                                     % (ename, vname, old, v))
                    continue
                enums[ename][vname] = v
                if (r[0], v) not in raw[ename]:
                    raw[ename].append((r[0], v))

    return tags, in_spec, enums, enum_order, raw, deprecated


def spec_dir(argv, root):
    return argv[1] if len(argv) > 1 else \
        os.path.join(root, '..', 'shared', 'kmip', 'spec')


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = spec_dir(sys.argv, root)
    out = sys.argv[2] if len(sys.argv) > 2 else \
        os.path.join(root, 'ngx_kmip_module', 'codec')

    tags, in_spec, enums, enum_order, _, deprecated = parse(spec)

    # tags header
    names = {}
    lines = []
    for v in sorted(tags):
        for n in tags[v]:
            s = snake(n)
            if s in names and names[s] != v:
                sys.stderr.write('tag name conflict %s\n' % s)
                continue
            if s in names:
                continue
            names[s] = v
            lines.append('#define NGX_KMIP_TAG_%-40s 0x%06X' % (s, v))

    dl = []
    for v in sorted(deprecated):
        s = snake(deprecated[v])
        if v in tags or s in names:
            continue
        names[s] = v
        dl.append('#define NGX_KMIP_TAG_%-40s 0x%06X' % (s, v))
    if dl:
        lines += ['', '/* deprecated by the 1.4 specification; not in the '
                  'names or version tables */'] + dl

    write(out, 'ngx_kmip_tags.h', HDR_TAGS_TOP, lines, HDR_TAGS_BOTTOM)

    # enums header
    el = []
    for e in sorted(enum_order):
        pre = snake(e)
        el.append('\n/* %s */' % e)
        for vn, v in sorted(enums[e].items(), key=lambda x: (x[1], x[0])):
            el.append('#define NGX_KMIP_%-48s 0x%08X' % (pre + '_' + vn, v))
        if e in ALIASES:
            el.append('')
            for vn, v in sorted(enums[e].items(), key=lambda x: (x[1], x[0])):
                el.append('#define NGX_KMIP_%-48s 0x%08X'
                          % (ALIASES[e] + '_' + vn, v))
    write(out, 'ngx_kmip_enums.h', HDR_ENUMS_TOP, el, HDR_ENUMS_BOTTOM)

    # names.c: every name of every tag with its CamelCase spelling,
    # ordered by tag with the preferred name first, and the indexes of the
    # preferred names in the byte order of their CamelCase spelling; every
    # other name of a tag has the same CamelCase spelling (the lookups by
    # name rely on it)
    entries = []
    preferred = []
    for v in sorted(tags):
        c = camel(tags[v][0])
        preferred.append(len(entries))
        for n in tags[v]:
            if camel(n) != c:
                sys.exit('tag 0x%06X has two CamelCase names: %s, %s'
                         % (v, c, camel(n)))
            entries.append((v, n, c))
    if len({entries[i][2] for i in preferred}) != len(preferred):
        sys.exit('two tags with one CamelCase name')
    if max(len(n) for _, n, _ in entries) >= 64:
        sys.exit('a tag name of 64 bytes or more: ngx_kmip_tag_camel() '
                 'takes shorter ones')
    order = sorted(preferred, key=lambda i: entries[i][2].encode())
    nl = ['const ngx_kmip_tag_name_t  ngx_kmip_tag_names[] = {']
    nl += ['    { 0x%06X, "%s",\n      "%s" },' % e for e in entries]
    nl += ['};', '',
           'const size_t  ngx_kmip_tag_names_n =',
           '    sizeof(ngx_kmip_tag_names) / sizeof(ngx_kmip_tag_names[0]);',
           '',
           'const uint16_t  ngx_kmip_tag_names_by_camel[] = {']
    for i in range(0, len(order), 10):
        nl.append('   ' + ''.join(' %3d,' % j for j in order[i:i + 10]))
    nl += ['};', '',
           'const size_t  ngx_kmip_tag_names_by_camel_n =',
           '    sizeof(ngx_kmip_tag_names_by_camel)',
           '    / sizeof(ngx_kmip_tag_names_by_camel[0]);']
    write(out, 'ngx_kmip_names.c', NAMES_TOP, nl, '')

    # the tags of one line of versions only: in 1.4's table and not in
    # 2.1's (1.x only), and the reverse
    v1, v2 = in_spec[SPECS[0]], in_spec[SPECS[1]]
    tl = []
    for name, only in (('1x', v1 - v2), ('2x', v2 - v1)):
        tl.append('static const uint32_t  ngx_kmip_tags_%s_only[] = {'
                  % name)
        vals = ['0x%06X,' % v for v in sorted(only)] + ['0']
        for i in range(0, len(vals), 7):
            tl.append('    ' + ' '.join(vals[i:i + 7]))
        tl += ['};', '']
    write(out, 'ngx_kmip_tag_versions.h', HDR_TAG_VERSIONS_TOP, tl[:-1],
          HDR_TAG_VERSIONS_BOTTOM)


def write(out, name, top, lines, bottom):
    with open(os.path.join(out, name), 'w') as fh:
        fh.write(top)
        fh.write('\n'.join(lines) + '\n')
        fh.write(bottom)

HDR_TAG_VERSIONS_TOP = '''
/*
 * The tags that one line of KMIP versions defines and the other does not.
 *
 * GENERATED by tools/gen-tags.py from the tag tables of the KMIP 1.4 and
 * 2.1 specifications; do not edit by hand.  1.x only: in the 1.4 table,
 * not in 2.1's (the templates, Attribute Index, Custom Attribute, removed
 * by 2.0); 2.x only: in the 2.1 table, not in 1.4's. An answer in a
 * version of one line carries no tag of the other: the lookup is
 * ngx_kmip_tag_in_major() in ngx_kmip_ttlv.c.  Plain C99.
 */


#ifndef _NGX_KMIP_TAG_VERSIONS_H_INCLUDED_
#define _NGX_KMIP_TAG_VERSIONS_H_INCLUDED_


#include <stdint.h>


'''

HDR_TAG_VERSIONS_BOTTOM = '''

#endif /* _NGX_KMIP_TAG_VERSIONS_H_INCLUDED_ */
'''

HDR_TAGS_TOP = '''
/*
 * KMIP tags of KMIP 1.0-1.4 and 2.0-2.1, and the TTLV item types.
 *
 * GENERATED by tools/gen-tags.py from the tag tables of the KMIP 1.4 and
 * 2.1 specifications; do not edit the tag list by hand.  Tags that were
 * renamed or retired in 2.x keep their 1.x name (both names are defined
 * when a value has two).
 */


#ifndef _NGX_KMIP_TAGS_H_INCLUDED_
#define _NGX_KMIP_TAGS_H_INCLUDED_


/* TTLV item types */
#define NGX_KMIP_TYPE_STRUCTURE                  0x01
#define NGX_KMIP_TYPE_INTEGER                    0x02
#define NGX_KMIP_TYPE_LONG_INTEGER               0x03
#define NGX_KMIP_TYPE_BIG_INTEGER                0x04
#define NGX_KMIP_TYPE_ENUMERATION                0x05
#define NGX_KMIP_TYPE_BOOLEAN                    0x06
#define NGX_KMIP_TYPE_TEXT_STRING                0x07
#define NGX_KMIP_TYPE_BYTE_STRING                0x08
#define NGX_KMIP_TYPE_DATE_TIME                  0x09
#define NGX_KMIP_TYPE_INTERVAL                   0x0A
#define NGX_KMIP_TYPE_DATE_TIME_EXTENDED         0x0B

/* tag ranges: the top byte of a tag */
#define NGX_KMIP_TAGS_KMIP                       0x42
#define NGX_KMIP_TAGS_EXTENSION                  0x54


/* tags */
'''

HDR_TAGS_BOTTOM = '''

#endif /* _NGX_KMIP_TAGS_H_INCLUDED_ */
'''

HDR_ENUMS_TOP = '''
/*
 * KMIP enumerations and masks of KMIP 1.0-1.4 and 2.0-2.1.
 *
 * GENERATED by tools/gen-tags.py from the enumeration tables of the KMIP
 * 1.4 and 2.1 specifications; do not edit by hand.
 * Naming: NGX_KMIP_<ENUMERATION>_<VALUE>, e.g. NGX_KMIP_OPERATION_CREATE,
 * NGX_KMIP_RESULT_REASON_ITEM_NOT_FOUND, NGX_KMIP_STATE_PRE_ACTIVE,
 * NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT.  Short aliases:
 * NGX_KMIP_OP_* (Operation), NGX_KMIP_STATUS_* (Result Status),
 * NGX_KMIP_REASON_* (Result Reason); the module's code spells these three
 * by their aliases only (the long forms are for t/lib/KMIP/TTLV.pm, which
 * reads this header).
 */


#ifndef _NGX_KMIP_ENUMS_H_INCLUDED_
#define _NGX_KMIP_ENUMS_H_INCLUDED_

'''

HDR_ENUMS_BOTTOM = '''

#endif /* _NGX_KMIP_ENUMS_H_INCLUDED_ */
'''

NAMES_TOP = '''
/*
 * KMIP tag <-> specification name ("Unique Identifier") and its CamelCase
 * spelling in the JSON and XML encodings ("UniqueIdentifier"): the tables
 * that the tag name lookups of ngx_kmip_ttlv.c search.
 *
 * GENERATED by tools/gen-tags.py; do not edit by hand.
 */


#include "ngx_kmip_ttlv.h"


'''

if __name__ == '__main__':
    main()
