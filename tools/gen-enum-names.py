#!/usr/bin/env python3
"""Generate ngx_kmip_enum_names.c, the names that the JSON and XML
encodings of KMIP ("KMIP Additional Message Encodings") give to
enumeration values and mask bits, from the KMIP 1.4 and 2.1 specification
HTML (the tables tools/gen-tags.py reads; its parser and its CamelCase
rule, camel(), are reused).  The CamelCase names of the tags are in the
tag name table of ngx_kmip_names.c, which tools/gen-tags.py writes.

A tag is given the enumeration of its own name, or the one ENUM_OF names.
Attribute Reference (2.x) is an enumeration of tags: the code looks those
up in the tag table, not here.

One-off generator; the output is committed, the specs are not.

usage: tools/gen-enum-names.py [SPEC_DIR] [OUT_DIR]
  SPEC_DIR defaults to ../shared/kmip/spec (relative to the repo root),
  OUT_DIR to ngx_kmip_module/codec.
"""

import importlib.util
import os
import sys

# tags whose enumeration has another name
ENUM_OF = {'Destroy Action': 'Destroy Action Type',
           'Mask Generator Hashing Algorithm': 'Hashing Algorithm'}

# tables that are not the enumeration of the tag of the same name: the
# Data tag is a Byte String
NOT_ENUMS = {'Data'}

MASKS = {'Cryptographic Usage Mask', 'Storage Status Mask',
         'Protection Storage Mask'}

# the name a value is written with when a table gives it two
PREFERRED = {('Mask Generator', 1): 'MGF1'}

# The PKCS#11 enumerations of KMIP 2.1 are defined by PKCS#11, not in the
# KMIP tables: the functions are the 1-based offsets in CK_FUNCTION_LIST
# (the 2.40 list, which CK_FUNCTION_LIST_3_0 begins with), the return codes
# the CK_RV values (only CKR_OK is named here; others are written in hex).
PKCS11_FUNCTIONS = '''C_Initialize C_Finalize C_GetInfo C_GetFunctionList
C_GetSlotList C_GetSlotInfo C_GetTokenInfo C_GetMechanismList
C_GetMechanismInfo C_InitToken C_InitPIN C_SetPIN C_OpenSession
C_CloseSession C_CloseAllSessions C_GetSessionInfo C_GetOperationState
C_SetOperationState C_Login C_Logout C_CreateObject C_CopyObject
C_DestroyObject C_GetObjectSize C_GetAttributeValue C_SetAttributeValue
C_FindObjectsInit C_FindObjects C_FindObjectsFinal C_EncryptInit C_Encrypt
C_EncryptUpdate C_EncryptFinal C_DecryptInit C_Decrypt C_DecryptUpdate
C_DecryptFinal C_DigestInit C_Digest C_DigestUpdate C_DigestKey
C_DigestFinal C_SignInit C_Sign C_SignUpdate C_SignFinal C_SignRecoverInit
C_SignRecover C_VerifyInit C_Verify C_VerifyUpdate C_VerifyFinal
C_VerifyRecoverInit C_VerifyRecover C_DigestEncryptUpdate
C_DecryptDigestUpdate C_SignEncryptUpdate C_DecryptVerifyUpdate
C_GenerateKey C_GenerateKeyPair C_WrapKey C_UnwrapKey C_DeriveKey
C_SeedRandom C_GenerateRandom C_GetFunctionStatus C_CancelFunction
C_WaitForSlotEvent'''.split()

EXTRA = {'PKCS#11 Function': [(n, i + 1)
                              for i, n in enumerate(PKCS11_FUNCTIONS)],
         'PKCS#11 Return Code': [('OK', 0)]}


def load_gen_tags():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        'gen_tags', os.path.join(here, 'gen-tags.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    gt = load_gen_tags()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = gt.spec_dir(sys.argv, root)
    out = sys.argv[2] if len(sys.argv) > 2 else \
        os.path.join(root, 'ngx_kmip_module', 'codec')

    tags, _, _, _, raw, _ = gt.parse(spec)
    raw.update(EXTRA)

    # enumerations: each table's values sorted by value, one name per
    # value, then the other names that some value has
    values = []
    ranges = {}
    for e in sorted(raw):
        if e in NOT_ENUMS:
            continue
        first = len(values)
        seen = {}
        for n, v in raw[e]:
            c = gt.camel(n)
            if c in seen:
                continue
            seen[c] = v
        names = sorted(seen.items(), key=lambda x: (x[1], x[0]))
        primary = {}
        for c, v in names:
            if v not in primary or PREFERRED.get((e, v)) == c:
                primary[v] = c
        for v in sorted(primary):
            values.append((v, primary[v]))
        n_primary = len(values) - first
        for c, v in names:
            if primary[v] != c:
                values.append((v, c))
        ranges[e] = (first, n_primary, len(values) - first)

    enum_tags = []
    for v in sorted(tags):
        e = None
        for n in tags[v]:
            n = ENUM_OF.get(n, n)
            if n in ranges:
                e = n
                break
        if e is None:
            continue
        first, n_primary, n_all = ranges[e]
        enum_tags.append('    { 0x%06X, %4d, %3d, %3d, %d },   /* %s */'
                         % (v, first, n_primary, n_all,
                            1 if e in MASKS else 0, e))

    lines = ['const ngx_kmip_enum_value_t  ngx_kmip_enum_values[] = {']
    lines += ['    { 0x%08X, "%s" },' % x for x in values]
    lines += ['};', '', '',
              '/* tag, first value, values with their preferred name, all'
              ' values, mask */',
              'const ngx_kmip_enum_tag_t  ngx_kmip_enum_tags[] = {']
    lines += enum_tags
    lines += ['};', '',
              'const size_t  ngx_kmip_enum_tags_n =',
              '    sizeof(ngx_kmip_enum_tags) / sizeof(ngx_kmip_enum_tags[0]);']

    gt.write(out, 'ngx_kmip_enum_names.c', TOP, lines, '')


TOP = '''
/*
 * The names of the JSON and XML encodings of KMIP: enumeration values
 * and mask bits in CamelCase ("SymmetricKey"), the tables that
 * ngx_kmip_text.c searches (the tags' are in ngx_kmip_names.c).
 *
 * GENERATED by tools/gen-enum-names.py from the KMIP 1.4 and 2.1
 * specifications; do not edit by hand.
 */


#include "ngx_kmip_enum_names.h"


'''

if __name__ == '__main__':
    main()
