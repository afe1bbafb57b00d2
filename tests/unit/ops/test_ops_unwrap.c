
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * A key its client registered wrapped, served unwrapped when Get asks for
 * it Not Wrapped (Key Wrap Type, KMIP 1.4 4.11) and the wrapping key is
 * one of this server's (ngx_kmip_op_wrap.c): the Key Value as it was
 * before the client wrapped it, with No Encoding and with TTLV Encoding;
 * refused without the Unwrap Key usage, with another key, or with a key
 * the server does not have.
 */


#include <stdio.h>

#include <openssl/evp.h>

#include "ngx_kmip_test_ops.h"


/* the kept key's Cryptographic Usage Mask, as a client's change leaves it */

static void
t_set_mask(ngx_str_t *uid, int64_t mask)
{
    ngx_kmip_item_t    *v;
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(t_mem, uid);
    v = ngx_kmip_ttlv_item_new(t_alloc(), NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_INTEGER);

    if (kept && v) {
        v->v.num = mask;
        (void) ngx_kmip_attrs_set(t_alloc(), &kept->attributes,
                                  "Cryptographic Usage Mask", v);
    }
}


/* the key-encryption key: AES-256, Wrap Key and Unwrap Key, Active */

static ngx_uint_t
t_kek(ngx_uint_t major, ngx_str_t *uid)
{
    if (!t_new_key(major, major >= 2 ? 1 : 4, uid)) {
        return 0;
    }

    t_set_mask(uid, NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_WRAP_KEY
                    | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_UNWRAP_KEY);

    (void) t_one(major, major >= 2 ? 1 : 4, NGX_KMIP_OP_ACTIVATE, uid);

    return 1;
}


/* in, wrapped by the kept key with AES Key Wrap (RFC 3394) */

static size_t
t_kw(ngx_str_t *kek, const u_char *in, size_t len, u_char *out)
{
    int                 n, m;
    EVP_CIPHER_CTX     *c;
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(t_mem, kek);
    c = EVP_CIPHER_CTX_new();
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);

    if (kept == NULL
        || EVP_EncryptInit_ex(c, EVP_aes_256_wrap(), NULL,
                              kept->material.data, NULL) != 1
        || EVP_EncryptUpdate(c, out, &n, in, (int) len) != 1
        || EVP_EncryptFinal_ex(c, out + n, &m) != 1)
    {
        n = 0;
        m = 0;
    }

    EVP_CIPHER_CTX_free(c);

    return (size_t) (n + m);
}


/*
 * Register of 16 bytes of t_material wrapped by the key used, its Key
 * Wrapping Data naming kek: its Unique Identifier
 */

static ngx_str_t *
t_register_kw(ngx_uint_t major, ngx_str_t *kek, ngx_str_t *used,
    ngx_uint_t no_encoding)
{
    size_t            n;
    u_char            plain[64], wrapped[80];
    t_request_t      *t;
    ngx_kmip_item_t  *kb, *kv, *km;

    if (no_encoding) {
        ngx_memcpy(plain, t_material, 16);
        n = 16;

    } else {
        /* the Key Value structure, TTLV-encoded, is what was wrapped */
        kv = ngx_kmip_ttlv_item_new(t_alloc(), NGX_KMIP_TAG_KEY_VALUE,
                                    NGX_KMIP_TYPE_STRUCTURE);
        ngx_kmip_ttlv_add_bytes(t_alloc(), kv, NGX_KMIP_TAG_KEY_MATERIAL,
                                t_material, 16);
        n = ngx_kmip_ttlv_size(kv);
        (void) ngx_kmip_ttlv_encode(kv, plain);
    }

    n = t_kw(used, plain, n, wrapped);

    t = t_request(major, major >= 2 ? 1 : 4);
    kb = t_key_block(t_item(t, NGX_KMIP_OP_REGISTER),
                     NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                     NGX_KMIP_KEY_FORMAT_TYPE_RAW, 16,
                     NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 128);

    /* the Key Material is the wrapped bytes */

    km = t_deep(kb, NGX_KMIP_TAG_KEY_MATERIAL);
    km->v.str.data = ngx_pstrdup(t_pool, &(ngx_str_t) { n, wrapped });
    km->v.str.len = n;

    t_wrapping_data(kb, kek, no_encoding);

    return t_uid_of(&t_run(t)[0]);
}


static ngx_kmip_response_item_t *
t_get_unwrapped(ngx_uint_t major, ngx_str_t *uid)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_GET);
    t_uid(p, uid);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_KEY_WRAP_TYPE,
                           NGX_KMIP_KEY_WRAP_TYPE_NOT_WRAPPED);

    return t_run(t);
}


static void
t_unwrap(ngx_uint_t major, ngx_uint_t no_encoding)
{
    char                       msg[96];
    ngx_str_t                  kek, other, *uid;
    ngx_kmip_item_t           *km;
    ngx_kmip_response_item_t  *out;

    if (!t_kek(major, &kek)) {
        return;
    }

    uid = t_register_kw(major, &kek, &kek, no_encoding);
    if (!t_got(uid, "Register of a key wrapped by a key of the server")) {
        return;
    }

    out = t_get_unwrapped(major, uid);
    km = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_MATERIAL);

    snprintf(msg, sizeof(msg), "Get Not Wrapped (%s, %d.x): the key as it "
             "was before its client wrapped it",
             no_encoding ? "No Encoding" : "TTLV Encoding", (int) major);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && km && km->v.str.len == 16
          && memcmp(km->v.str.data, t_material, 16) == 0
          && t_deep(out[0].payload, NGX_KMIP_TAG_KEY_WRAPPING_DATA) == NULL,
          msg);

    out = t_one(major, major >= 2 ? 1 : 4, NGX_KMIP_OP_GET, uid);
    CHECK(t_deep(out[0].payload, NGX_KMIP_TAG_KEY_WRAPPING_DATA) != NULL,
          "and without Key Wrap Type, as registered");

    /* the wrapping key may wrap, not unwrap */

    t_set_mask(&kek, NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_WRAP_KEY);

    out = t_get_unwrapped(major, uid);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED
          && t_deep(out[0].payload, NGX_KMIP_TAG_KEY_MATERIAL) == NULL,
          "a wrapping key without the Unwrap Key usage: refused, no key "
          "material in the answer");

    /* wrapped by another key than the one its Key Wrapping Data names */

    t_set_mask(&kek, NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_UNWRAP_KEY);

    if (!t_kek(major, &other)) {
        return;
    }

    uid = t_register_kw(major, &kek, &other, no_encoding);
    out = uid ? t_get_unwrapped(major, uid) : NULL;

    CHECK(out && t_reason(&out[0]) == NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE
          && t_deep(out[0].payload, NGX_KMIP_TAG_KEY_MATERIAL) == NULL,
          "a wrapping key that does not open it: Cryptographic Failure");
}


void
t_unwrap_registered(void)
{
    ngx_uint_t  major;

    for (major = 1; major <= 2; major++) {
        t_unwrap(major, 1);
        t_unwrap(major, 0);
    }
}
