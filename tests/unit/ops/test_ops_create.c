
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Create and Register (KMIP 1.4 4.1, 4.3; 2.1 6.1.8, 6.1.40): the client's
 * attributes in the version's container (1.x Template-Attribute, 2.x
 * Attributes), the algorithms and lengths the server makes, the object
 * types it registers, and the attributes it sets itself: State, Digest
 * (SHA-256 of the material, 1.4 3.17), the dates.
 */


#include <stdio.h>
#include <openssl/evp.h>

#include "ngx_kmip_test_ops.h"


/* a Create of a symmetric key of the algorithm and length (-1: none) */

static ngx_kmip_response_item_t *
t_create_key(ngx_uint_t major, int64_t alg, int64_t len)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *ta;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_CREATE);
    ta = t_key_attrs(p, major, alg);

    if (len != -1) {
        t_attr(ta, major, "Cryptographic Length",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, NGX_KMIP_TYPE_INTEGER,
               len);
    }

    return t_run(t);
}


/* the keys Create makes of an algorithm and length (-1: none) */

static struct {
    int64_t                    alg;
    int64_t                    len;
    size_t                     bytes;       /* 0: refused */
    int64_t                    kept;        /* the length kept */
    uint32_t                   reason;
    const char                *name;
} t_lengths[] = {
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, -1, 32, 256, 0,
      "Create AES without a length: 256 bits, and the length kept" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES, -1, 24, 168, 0,
      "Create Triple DES without a length: three keys, 168 bits" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES, 112, 16, 112, 0,
      "Create Triple DES of 112 bits: two keys, the length as given" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES, 64, 0, 0,
      NGX_KMIP_REASON_INVALID_FIELD,
      "Create Triple DES of 64 bits: Invalid Field" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA256, -1, 32, 256, 0,
      "Create HMAC-SHA256 without a length: the hash's 32 bytes" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA512, 1024, 128, 1024, 0,
      "Create HMAC-SHA512 of its block size, 1024 bits" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA1, 168, 21, 168, 0,
      "Create HMAC-SHA1 of 168 bits: any whole bytes from 160 to 512" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA256, 128, 0, 0,
      NGX_KMIP_REASON_INVALID_FIELD,
      "Create HMAC-SHA256 shorter than its output: Invalid Field" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA384, 1028, 0, 0,
      NGX_KMIP_REASON_INVALID_FIELD,
      "Create HMAC-SHA384 of 1028 bits (not whole bytes): Invalid Field" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20, -1, 32, 256, 0,
      "Create ChaCha20 without a length: 256 bits" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20, 128, 0, 0,
      NGX_KMIP_REASON_INVALID_FIELD,
      "Create ChaCha20 of 128 bits: Invalid Field" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_IDEA, 128, 16, 128, 0,
      "Create IDEA of 128 bits" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_BLOWFISH, 448, 56, 448, 0,
      "Create Blowfish of 448 bits" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CAST5, 36, 0, 0,
      NGX_KMIP_REASON_INVALID_FIELD, "Create CAST5 of 36 bits: Invalid Field" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA, 2048, 0, 0,
      NGX_KMIP_REASON_INVALID_FIELD,
      "Create of an RSA key: Invalid Field (symmetric keys only)" },
    { -1, 256, 0, 0, NGX_KMIP_REASON_MISSING_DATA,
      "Create without a Cryptographic Algorithm: Missing Data" },
};


static void
t_algorithms(ngx_uint_t major)
{
    ngx_uint_t                 i;
    ngx_str_t                 *uid;
    ngx_kmip_object_t         *kept;
    ngx_kmip_response_item_t  *out;

    out = t_create_key(major, NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 128);
    uid = t_uid_of(&out[0]);
    kept = uid ? ngx_kmip_store_memory_find(t_mem, uid) : NULL;
    CHECK(kept && kept->material.len == 16
          && t_find(&out[0], NGX_KMIP_TAG_OBJECT_TYPE)
          && t_find(&out[0], NGX_KMIP_TAG_OBJECT_TYPE)->v.num
             == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
          "Create AES-128: 16 bytes kept, the Object Type answered");

    out = t_create_key(major, NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 100);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD
          && t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER) == NULL,
          "Create AES of 100 bits: Invalid Field, no identifier");
    CHECK(out[0].result_message_len
          && ngx_strnstr((u_char *) out[0].result_message,
                         "AES keys are 128, 192 or 256 bits long, not 100",
                         out[0].result_message_len),
          "the message lists the lengths AES takes");

    out = t_create_key(major, NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA224,
                       8);
    CHECK(out[0].result_message_len
          && ngx_strnstr((u_char *) out[0].result_message,
                         "HMAC-SHA224 keys are 224 to 512 bits long, not 8",
                         out[0].result_message_len),
          "the message gives the range an HMAC key takes");

    for (i = 0; i < t_nelts(t_lengths); i++) {
        out = t_create_key(major, t_lengths[i].alg, t_lengths[i].len);

        if (t_lengths[i].reason) {
            t_expect(&out[0], t_lengths[i].reason, t_lengths[i].name);
            continue;
        }

        uid = t_uid_of(&out[0]);
        kept = uid ? ngx_kmip_store_memory_find(t_mem, uid) : NULL;
        CHECK(kept && kept->material.len == t_lengths[i].bytes
              && t_kept_num(uid, "Cryptographic Length")
                 == t_lengths[i].kept,
              t_lengths[i].name);
    }
}


static void
t_create_refusals(ngx_uint_t major)
{
    ngx_uint_t                 before;
    ngx_kmip_response_item_t  *out;
    t_case_t                   cases[] = {
        { major, major >= 2 ? 1 : 4, NGX_KMIP_OP_CREATE,
          NGX_KMIP_TAG_OBJECT_TYPE, NGX_KMIP_TYPE_ENUMERATION,
          NGX_KMIP_OBJECT_TYPE_SECRET_DATA, NULL,
          NGX_KMIP_REASON_INVALID_FIELD,
          "Create of Secret Data: Invalid Field", NULL },
        { major, major >= 2 ? 1 : 4, NGX_KMIP_OP_CREATE, 0, 0, 0, NULL,
          NGX_KMIP_REASON_MISSING_DATA,
          "Create without an Object Type: Missing Data", NULL },
    };

    before = t_mem->objects.nelts;

    t_cases(cases, t_nelts(cases), NULL);

    /* attributes only the server sets, and one given twice */

    out = t_create_plus(major, "State", NGX_KMIP_TAG_STATE,
                        NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_STATE_ACTIVE);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "Create with a State: Invalid Field, the server sets it");

    out = t_create_plus(major, "Cryptographic Length",
                        NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                        NGX_KMIP_TYPE_INTEGER, 128);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "Create with two Cryptographic Lengths: Invalid Field");

    CHECK(t_mem->objects.nelts == before, "the refused Creates store nothing");
}


/*
 * each version reads its own container only: attributes in the other
 * version's form are not seen, and the Create lacks its algorithm
 */

static void
t_other_form(ngx_kmip_item_t *p, t_case_t *c)
{
    t_create_payload(p, 3 - c->major);
}


/* a 1.x template is referred to by a Name: one no Template bears */

static void
t_template_name(ngx_kmip_item_t *p, t_case_t *c)
{
    t_create_payload(p, 1);
    p = ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);
    p = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_NAME);
    t_text(p, NGX_KMIP_TAG_NAME_VALUE, "a template");
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_NAME_TYPE,
                           NGX_KMIP_NAME_TYPE_UNINTERPRETED_TEXT_STRING);
}


/* 2.x: a Key Format Type asked for must be the one kept (2.1 4.26) */

static void
t_pkcs8(ngx_kmip_item_t *p, t_case_t *c)
{
    t_create_payload(p, 2);
    (void) t_value(ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_ATTRIBUTES),
                   NGX_KMIP_TAG_KEY_FORMAT_TYPE, NGX_KMIP_TYPE_ENUMERATION,
                   NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8);
}


static t_case_t  t_version_forms[] = {

    { 1, 4, NGX_KMIP_OP_CREATE, 0, 0, 0, NULL, NGX_KMIP_REASON_MISSING_DATA,
      "a Create with the other version's container: Missing Data",
      t_other_form },

    { 2, 0, NGX_KMIP_OP_CREATE, 0, 0, 0, NULL, NGX_KMIP_REASON_MISSING_DATA,
      "a Create with the other version's container: Missing Data",
      t_other_form },

    { 1, 2, NGX_KMIP_OP_CREATE, 0, 0, 0, NULL, NGX_KMIP_REASON_ITEM_NOT_FOUND,
      "a 1.x Create naming an unknown template: Item Not Found",
      t_template_name },

    { 2, 1, NGX_KMIP_OP_CREATE, 0, 0, 0, NULL,
      NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED,
      "a 2.1 Create asking for PKCS#8: Key Format Type Not Supported",
      t_pkcs8 },
};


/* the Digest the store keeps is SHA-256 of its material, Raw form */

static ngx_uint_t
t_digest_right(ngx_str_t *uid, ngx_uint_t with_format)
{
    u_char              md[EVP_MAX_MD_SIZE];
    unsigned int        n;
    ngx_kmip_attr_t    *at;
    ngx_kmip_item_t    *dv, *alg, *kft;
    ngx_kmip_object_t  *kept;

    kept = uid ? ngx_kmip_store_memory_find(t_mem, uid) : NULL;
    if (kept == NULL) {
        return 0;
    }

    at = ngx_kmip_attrs_find(&kept->attributes, "Digest", 6, -1);
    if (at == NULL || at->value == NULL) {
        return 0;
    }

    alg = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_HASHING_ALGORITHM);
    dv = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_DIGEST_VALUE);
    kft = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_KEY_FORMAT_TYPE);

    if (EVP_Digest(kept->material.data, kept->material.len, md, &n,
                   EVP_sha256(), NULL)
        != 1)
    {
        return 0;
    }

    return alg && alg->v.num == NGX_KMIP_HASHING_ALGORITHM_SHA_256
           && dv && dv->v.str.len == n && memcmp(dv->v.str.data, md, n) == 0
           && (with_format
               ? kft && kft->v.num == NGX_KMIP_KEY_FORMAT_TYPE_RAW
               : kft == NULL);
}


static void
t_server_attrs(ngx_uint_t major)
{
    ngx_str_t  *uid;

    uid = t_create_aes(major, major >= 2 ? 1 : 4);
    CHECK(uid != NULL, "Create for the server's attributes");
    if (uid == NULL) {
        return;
    }

    CHECK(t_digest_right(uid, 1),
          "Create keeps a SHA-256 Digest of the material, Raw form");
    CHECK(t_kept_num(uid, "State") == NGX_KMIP_STATE_PRE_ACTIVE
          && t_kept_num(uid, "Object Type")
             == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
          && t_kept_num(uid, "Fresh") == 1
          && t_kept_num(uid, "Initial Date") > 0
          && t_kept_num(uid, "Initial Date")
             == t_kept_num(uid, "Last Change Date"),
          "Create keeps State, Object Type, Fresh and the dates");
    CHECK(t_kept_num(uid, "Sensitive") == 0
          && t_kept_num(uid, "Extractable") == 1
          && t_kept_num(uid, "Never Extractable") == 0,
          "Create keeps the protection defaults (1.4 3.48-3.51)");
}


static ngx_kmip_response_item_t *
t_register(ngx_uint_t major, uint32_t type, size_t n, int64_t alg,
    int64_t len)
{
    t_request_t  *t;

    t = t_request(major, major >= 2 ? 1 : 4);
    (void) t_key_block(t_item(t, NGX_KMIP_OP_REGISTER), type,
                       NGX_KMIP_KEY_FORMAT_TYPE_RAW, n, alg, len);

    return t_run(t);
}


/* Registers of n bytes of an object type, algorithm and length (-1:
   none) */

static struct {
    uint32_t                   type;
    size_t                     n;
    int64_t                    alg;
    int64_t                    len;
    uint32_t                   reason;
    const char                *name;
} t_registers[] = {
    { NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 16,
      NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 256, NGX_KMIP_REASON_INVALID_FIELD,
      "Register of 16 bytes said to be 256 bits: Invalid Field" },
    { NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 16, -1, -1,
      NGX_KMIP_REASON_MISSING_DATA,
      "Register of a key without an algorithm: Missing Data" },
    { NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 16,
      NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES, 112, 0,
      "Register of a two-key Triple DES key of 112 bits" },
    { NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 8,
      NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES, -1, NGX_KMIP_REASON_INVALID_FIELD,
      "Register of an 8-byte Triple DES key: Invalid Field" },
    { NGX_KMIP_OBJECT_TYPE_CERTIFICATE, 16, -1, -1,
      NGX_KMIP_REASON_INVALID_FIELD,
      "Register of a Certificate: Invalid Field" },
};


static void
t_register_keys(ngx_uint_t major)
{
    ngx_uint_t                 i;
    ngx_str_t                 *uid;
    ngx_kmip_object_t         *kept;
    ngx_kmip_response_item_t  *out;

    out = t_register(major, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 16,
                     NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, -1);
    uid = t_uid_of(&out[0]);
    kept = uid ? ngx_kmip_store_memory_find(t_mem, uid) : NULL;
    CHECK(kept && kept->material.len == 16
          && memcmp(kept->material.data, t_material, 16) == 0
          && t_kept_num(uid, "Cryptographic Length") == 128
          && t_kept_num(uid, "Cryptographic Algorithm")
             == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES,
          "Register of a Raw AES key: its bytes, a length of 128 bits");
    CHECK(t_find(&out[0], NGX_KMIP_TAG_OBJECT_TYPE) == NULL,
          "Register answers with the Unique Identifier only (1.4 4.3)");
    CHECK(t_digest_right(uid, 1), "Register keeps the Digest of the key");

    for (i = 0; i < t_nelts(t_registers); i++) {
        out = t_register(major, t_registers[i].type, t_registers[i].n,
                         t_registers[i].alg, t_registers[i].len);
        t_expect(&out[0], t_registers[i].reason, t_registers[i].name);
    }

    out = t_register(major, NGX_KMIP_OBJECT_TYPE_SECRET_DATA, 10, -1, -1);
    uid = t_uid_of(&out[0]);
    kept = uid ? ngx_kmip_store_memory_find(t_mem, uid) : NULL;
    CHECK(kept && kept->object_type == NGX_KMIP_OBJECT_TYPE_SECRET_DATA
          && kept->subtype == NGX_KMIP_SECRET_DATA_TYPE_PASSWORD
          && kept->material.len == 10,
          "Register of Secret Data: a Password of 10 bytes");

}


/*
 * A key its client wrapped: kept wrapped, answered as registered (a Byte
 * String Key Value, or with No Encoding the Key Value's Key Material) with
 * its Key Wrapping Data, never used nor wrapped again
 */

static void
t_register_wrapped(ngx_uint_t major, ngx_uint_t no_encoding)
{
    ngx_str_t                 *uid, kek = ngx_string("42");
    t_request_t               *t;
    ngx_kmip_item_t           *p, *kb, *kv;
    ngx_kmip_response_item_t  *out;

    t = t_request(major, major >= 2 ? 1 : 4);
    kb = t_key_block(t_item(t, NGX_KMIP_OP_REGISTER),
                     NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                     NGX_KMIP_KEY_FORMAT_TYPE_RAW, 24,
                     NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 128);
    t_wrapping_data(kb, &kek, no_encoding);

    uid = t_uid_of(&t_run(t)[0]);
    if (!t_got(uid, "Register of a wrapped key")) {
        return;
    }

    t = t_request(major, major >= 2 ? 1 : 4);
    t_uid(t_item(t, NGX_KMIP_OP_GET), uid);
    out = t_run(t);
    kv = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_VALUE);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && kv
          && t_deep(out[0].payload, NGX_KMIP_TAG_KEY_WRAPPING_DATA)
          && (no_encoding
              ? kv->type == NGX_KMIP_TYPE_STRUCTURE
                && ngx_kmip_ttlv_find(kv, NGX_KMIP_TAG_KEY_MATERIAL)
                && ngx_kmip_ttlv_find(kv, NGX_KMIP_TAG_KEY_MATERIAL)
                   ->v.str.len == 24
              : kv->type == NGX_KMIP_TYPE_BYTE_STRING
                && kv->v.str.len == 24),
          no_encoding ? "Get of a key registered wrapped, No Encoding: as "
                        "registered, its Key Wrapping Data too"
                      : "Get of a key registered wrapped: its Key Value as "
                        "registered, its Key Wrapping Data too");

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_ENCRYPT);
    t_uid(p, uid);
    ngx_kmip_ttlv_add_bytes(t_alloc(), p, NGX_KMIP_TAG_DATA, t_material, 16);
    out = t_run(t);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "a key registered wrapped encrypts nothing");
}


static void
t_register_forms(ngx_uint_t major)
{
    t_request_t               *t;
    ngx_str_t                 *uid;
    ngx_kmip_item_t           *kb;
    ngx_kmip_object_t         *kept;
    ngx_kmip_response_item_t  *out;

    /* a wrapped Key Block needs its Wrapping Method */

    t = t_request(major, major >= 2 ? 1 : 4);
    kb = t_key_block(t_item(t, NGX_KMIP_OP_REGISTER),
                     NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                     NGX_KMIP_KEY_FORMAT_TYPE_RAW, 16,
                     NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 128);
    ngx_kmip_ttlv_add_struct(t_alloc(), kb, NGX_KMIP_TAG_KEY_WRAPPING_DATA);
    out = t_run(t);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "Register of a wrapped key without a Wrapping Method: Invalid "
          "Field");

    t_register_wrapped(major, 0);
    t_register_wrapped(major, 1);

    t = t_request(major, major >= 2 ? 1 : 4);
    (void) t_key_block(t_item(t, NGX_KMIP_OP_REGISTER),
                       NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                       NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1, 16,
                       NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 128);
    out = t_run(t);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED,
          "Register of a PKCS#1 key: Key Format Type Not Supported");

    out = t_register_typed(major, NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT,
                           0x80000001, t_material, 5);
    uid = t_uid_of(&out[0]);
    kept = uid ? ngx_kmip_store_memory_find(t_mem, uid) : NULL;
    CHECK(kept && kept->object_type == NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT
          && kept->subtype == 0x80000001 && kept->material.len == 5,
          "Register of an Opaque Object: its type and 5 bytes");
    CHECK(t_digest_right(uid, 0)
          && t_kept_num(uid, "Fresh") == -1,
          "an Opaque Object: a Digest without Key Format Type, no Fresh");
}


void
t_create(void)
{
    ngx_uint_t  major;

    for (major = 1; major <= 2; major++) {
        t_algorithms(major);
        t_create_refusals(major);
        t_server_attrs(major);
        t_register_keys(major);
        t_register_forms(major);
    }

    t_cases(t_version_forms, t_nelts(t_version_forms), NULL);
}
