
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Get (KMIP 1.4 4.11, 2.1 6.1.21): the Key Format Types an object is
 * served in, Fresh turned False once served (1.4 3.34), Sensitive and
 * non-Extractable objects (1.4 3.48, 3.50), and a Key Wrapping
 * Specification (1.4 2.1.6, 2.1 7.18) naming a managed AES key: the Key
 * Value wrapped with RFC 3394, and each version's reasons for a wrapping
 * key that cannot wrap.
 */


#include <stdio.h>
#include <openssl/evp.h>

#include "ngx_kmip_test_ops.h"


/*
 * A 256-bit AES wrapping key with the usage mask and Cryptographic
 * Parameters of NIST Key Wrap, activated or not
 */

static ngx_str_t *
t_kek(ngx_uint_t major, int64_t mask, ngx_uint_t activate)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *ta, *cp;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_CREATE);
    ta = t_key_attrs(p, major, NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
    t_attr(ta, major, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
           mask);

    cp = t_attr_struct(ta, major, "Cryptographic Parameters",
                       NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);

    (void) t_value(cp, NGX_KMIP_TAG_BLOCK_CIPHER_MODE,
                   NGX_KMIP_TYPE_ENUMERATION,
                   NGX_KMIP_BLOCK_CIPHER_MODE_NISTKEYWRAP);

    if (activate) {
        t_item(t, NGX_KMIP_OP_ACTIVATE);
    }

    return t_uid_of(&t_run(t)[0]);
}


typedef struct {
    uint32_t                    kft;        /* 0: none asked for */
    ngx_str_t                  *kek;        /* NULL: not wrapped */
    uint32_t                    method;
    uint32_t                    encoding;   /* 0: none given */
} t_get_t;


static ngx_kmip_response_item_t *
t_get(ngx_uint_t major, ngx_uint_t minor, ngx_str_t *uid, t_get_t *g)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *kws, *eki;

    t = t_request(major, minor);
    p = t_item(t, NGX_KMIP_OP_GET);
    t_uid(p, uid);

    if (g->kft) {
        (void) t_value(p, NGX_KMIP_TAG_KEY_FORMAT_TYPE,
                       NGX_KMIP_TYPE_ENUMERATION, g->kft);
    }

    if (g->kek) {
        kws = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                  NGX_KMIP_TAG_KEY_WRAPPING_SPECIFICATION);
        (void) t_value(kws, NGX_KMIP_TAG_WRAPPING_METHOD,
                       NGX_KMIP_TYPE_ENUMERATION, g->method);
        eki = ngx_kmip_ttlv_add_struct(t_alloc(), kws,
                                  NGX_KMIP_TAG_ENCRYPTION_KEY_INFORMATION);
        t_uid(eki, g->kek);

        if (g->encoding) {
            (void) t_value(kws, NGX_KMIP_TAG_ENCODING_OPTION,
                           NGX_KMIP_TYPE_ENUMERATION, g->encoding);
        }
    }

    return t_run(t);
}


static void
t_formats(ngx_uint_t major)
{
    t_get_t                    g = { 0, NULL, 0, 0 };
    ngx_str_t                 *uid;
    ngx_kmip_item_t           *kft, *km;
    ngx_kmip_response_item_t  *out;

    uid = t_create_aes(major, major >= 2 ? 1 : 4);
    if (!t_got(uid, "Create for the Key Format Types")) {
        return;
    }

    uid = t_uid_of(&t_one(major, 0, NGX_KMIP_OP_GET_ATTRIBUTES, uid)[0]);
    CHECK(uid && t_kept_num(uid, "Fresh") == 1,
          "Get Attributes leaves the key Fresh");
    if (uid == NULL) {
        return;
    }

    out = t_get(major, 0, uid, &g);
    kft = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_FORMAT_TYPE);
    km = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_MATERIAL);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && kft && kft->v.num == NGX_KMIP_KEY_FORMAT_TYPE_RAW
          && km && km->type == NGX_KMIP_TYPE_BYTE_STRING,
          "Get without a Key Format Type: Raw");
    CHECK(t_kept_num(uid, "Fresh") == 0,
          "a key served is no longer Fresh in the store");

    g.kft = NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_SYMMETRIC_KEY;
    out = t_get(major, 0, uid, &g);
    km = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_MATERIAL);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && km && km->type == NGX_KMIP_TYPE_STRUCTURE
          && ngx_kmip_ttlv_find(km, NGX_KMIP_TAG_KEY)
          && ngx_kmip_ttlv_find(km, NGX_KMIP_TAG_KEY)->v.str.len == 32,
          "Get as Transparent Symmetric Key: a Key of 32 bytes");

    g.kft = NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8;
    out = t_get(major, 0, uid, &g);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED
          && out[0].payload == NULL,
          "Get as PKCS#8: Key Format Type Not Supported, no payload");
}


/* Secret Data: Opaque unless it came as Raw, as this one does */

static void
t_secret_formats(void)
{
    t_get_t                    g = { 0, NULL, 0, 0 };
    ngx_str_t                 *uid;
    ngx_kmip_item_t           *kft;
    ngx_kmip_response_item_t  *out;

    uid = t_register_secret(NGX_KMIP_KEY_FORMAT_TYPE_RAW, 12);
    if (!t_got(uid, "Register of Secret Data for Get")) {
        return;
    }

    out = t_get(2, 1, uid, &g);
    kft = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_FORMAT_TYPE);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_deep(out[0].payload, NGX_KMIP_TAG_SECRET_DATA_TYPE)
          && kft && kft->v.num == NGX_KMIP_KEY_FORMAT_TYPE_RAW,
          "Get of Secret Data registered Raw: its type, as Raw");

    g.kft = NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE;
    out = t_get(2, 1, uid, &g);
    kft = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_FORMAT_TYPE);
    CHECK(kft && kft->v.num == NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE,
          "Get of Secret Data as Opaque, its default form");

    g.kft = NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_SYMMETRIC_KEY;
    out = t_get(2, 1, uid, &g);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED,
          "Get of Secret Data as a symmetric key: not supported");
}


/* the material unwrapped with the wrapping key is the key's */

static ngx_uint_t
t_unwraps(ngx_kmip_response_item_t *out, ngx_str_t *kek, ngx_str_t *uid,
    size_t skip)
{
    int                 n, m;
    u_char              buf[128];
    EVP_CIPHER_CTX     *c;
    ngx_kmip_item_t    *kv;
    ngx_kmip_object_t  *k, *o;

    k = ngx_kmip_store_memory_find(t_mem, kek);
    o = ngx_kmip_store_memory_find(t_mem, uid);
    kv = t_deep(out->payload, NGX_KMIP_TAG_KEY_VALUE);

    /* No Encoding: the Key Material wrapped in its Key Value structure */

    if (kv && kv->type == NGX_KMIP_TYPE_STRUCTURE) {
        kv = ngx_kmip_ttlv_find(kv, NGX_KMIP_TAG_KEY_MATERIAL);
    }

    if (k == NULL || o == NULL || kv == NULL
        || kv->type != NGX_KMIP_TYPE_BYTE_STRING || kv->v.str.len > 128)
    {
        return 0;
    }

    c = EVP_CIPHER_CTX_new();
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);

    n = m = 0;

    if (EVP_DecryptInit_ex(c, EVP_aes_256_wrap(), NULL, k->material.data,
                           NULL) != 1
        || EVP_DecryptUpdate(c, buf, &n, kv->v.str.data,
                             (int) kv->v.str.len) != 1
        || EVP_DecryptFinal_ex(c, buf + n, &m) != 1)
    {
        n = m = 0;
    }

    EVP_CIPHER_CTX_free(c);

    return (size_t) (n + m) == skip + o->material.len
           && memcmp(buf + skip, o->material.data, o->material.len) == 0;
}


static void
t_wrapped(ngx_uint_t major)
{
    t_get_t                    g;
    ngx_str_t                 *uid, *kek;
    ngx_kmip_item_t           *kwd;
    ngx_kmip_response_item_t  *out;

    kek = t_kek(major, NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_WRAP_KEY, 1);
    uid = kek ? t_uid_of(&t_create_plus(major, "Sensitive",
                                        NGX_KMIP_TAG_SENSITIVE,
                                        NGX_KMIP_TYPE_BOOLEAN, 1)[0])
              : NULL;
    if (!t_got(uid, "a wrapping key and a Sensitive key")) {
        return;
    }

    g.kft = 0;
    g.kek = NULL;
    out = t_get(major, major >= 2 ? 1 : 4, uid, &g);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_SENSITIVE,
          "Get of a Sensitive key in the clear: Sensitive");

    out = t_get(1, 3, uid, &g);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_PERMISSION_DENIED,
          "the same in 1.3, before that reason: Permission Denied");

    g.kek = kek;
    g.method = NGX_KMIP_WRAPPING_METHOD_ENCRYPT;
    g.encoding = NGX_KMIP_ENCODING_OPTION_NO_ENCODING;
    out = t_get(major, major >= 2 ? 1 : 4, uid, &g);
    kwd = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_WRAPPING_DATA);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && kwd && t_deep(kwd, NGX_KMIP_TAG_ENCODING_OPTION)
          && t_deep(out[0].payload, NGX_KMIP_TAG_KEY_VALUE)->type
             == NGX_KMIP_TYPE_STRUCTURE
          && t_unwraps(&out[0], kek, uid, 0),
          "Get wrapped, No Encoding: the RFC 3394 wrap of the material, "
          "as the Key Material of the Key Value structure");

    g.encoding = 0;
    out = t_get(major, major >= 2 ? 1 : 4, uid, &g);
    kwd = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_WRAPPING_DATA);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && kwd && t_deep(kwd, NGX_KMIP_TAG_ENCODING_OPTION) == NULL
          && t_deep(kwd, NGX_KMIP_TAG_BLOCK_CIPHER_MODE)
          && t_unwraps(&out[0], kek, uid, 16),
          "Get wrapped, TTLV Encoding: the wrap of the Key Value");

    out = t_get(major, major >= 2 ? 1 : 4, kek, &g);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_PERMISSION_DENIED,
          "a key wrapped by itself: Permission Denied");

    g.method = NGX_KMIP_WRAPPING_METHOD_MAC_SIGN;
    out = t_get(major, major >= 2 ? 1 : 4, uid, &g);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
          "Wrapping Method MAC/sign: Feature Not Supported");
}


/* a wrapping key that cannot wrap, with each version's reason */

static void
t_kek_refusals(ngx_uint_t major)
{
    t_get_t                    g;
    ngx_str_t                 *uid, *kek, none = ngx_string("no-such-key");
    ngx_uint_t                 minor;
    ngx_kmip_response_item_t  *out;

    minor = major >= 2 ? 1 : 4;
    uid = t_create_aes(major, minor);
    uid = uid ? t_uid_of(&t_one(major, minor, NGX_KMIP_OP_GET, uid)[0])
              : NULL;
    if (!t_got(uid, "a key to wrap")) {
        return;
    }

    g.kft = 0;
    g.method = NGX_KMIP_WRAPPING_METHOD_ENCRYPT;
    g.encoding = 0;

    g.kek = t_kek(major, NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_WRAP_KEY, 0);
    out = g.kek ? t_get(major, minor, uid, &g) : NULL;
    CHECK(out && t_reason(&out[0]) == t_wrong_state(major),
          "a Pre-Active wrapping key: the version's wrong-state reason");

    g.kek = t_kek(major, NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT, 1);
    out = g.kek ? t_get(major, minor, uid, &g) : NULL;
    CHECK(out && t_reason(&out[0]) == t_wrong_mask(major),
          "a wrapping key without Wrap Key: the version's reason");

    g.kek = &none;
    out = t_get(major, minor, uid, &g);
    CHECK(t_reason(&out[0]) == (major >= 2
                                ? NGX_KMIP_REASON_WRAPPING_OBJECT_NOT_FOUND
                                : NGX_KMIP_REASON_ITEM_NOT_FOUND),
          "an unknown wrapping key: the version's not-found reason");

    /* a key without Cryptographic Parameters has no way to wrap */

    kek = t_create_aes(major, minor);
    g.kek = kek;
    out = kek ? t_get(major, minor, uid, &g) : NULL;
    CHECK(out && out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED
          && t_find(&out[0], NGX_KMIP_TAG_KEY_VALUE) == NULL,
          "a wrapping key that cannot wrap: no Key Value in the answer");
}


static void
t_extractable(void)
{
    t_get_t                    g = { 0, NULL, 0, 0 };
    ngx_str_t                 *uid;
    ngx_kmip_response_item_t  *out;

    uid = t_uid_of(&t_create_plus(2, "Extractable", NGX_KMIP_TAG_EXTRACTABLE,
                                  NGX_KMIP_TYPE_BOOLEAN, 0)[0]);
    if (!t_got(uid, "Create of a key that is not Extractable")) {
        return;
    }

    CHECK(t_kept_num(uid, "Never Extractable") == 1,
          "a key made not Extractable is Never Extractable");

    out = t_get(2, 1, uid, &g);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_NOT_EXTRACTABLE,
          "Get of a key that is not Extractable: Not Extractable");

    out = t_get(1, 2, uid, &g);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_PERMISSION_DENIED,
          "the same in 1.2: Permission Denied");
    CHECK(t_kept_num(uid, "Fresh") == 1, "and it stays Fresh");
}


void
t_get_ops(void)
{
    t_formats(1);
    t_formats(2);
    t_secret_formats();
    t_wrapped(1);
    t_wrapped(2);
    t_kek_refusals(1);
    t_kek_refusals(2);
    t_extractable();
}
