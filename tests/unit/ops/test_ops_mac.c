
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * MAC, MAC Verify (KMIP 1.4 4.33, 4.34; 2.1 6.1.32, 6.1.33) and Hash
 * (1.4 4.37, 2.1 6.1.24) against published vectors: RFC 4231 and RFC 2202
 * HMAC, RFC 4493 AES-CMAC, FIPS 180 and FIPS 202 digests, and the answers
 * of the OASIS cases CS-AC-M-4..7; the refusals of a key that may not MAC
 * and of what the server does not offer.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_kmip_test_ops.h"


/* the bytes of a hex string, in the tests' pool */

ngx_str_t *
t_unhex(const char *hex)
{
    size_t      i, n;
    ngx_str_t  *s;

    n = strlen(hex) / 2;
    s = ngx_palloc(t_pool, sizeof(ngx_str_t));
    s->data = ngx_palloc(t_pool, n + 1);
    s->len = n;

    for (i = 0; i < n; i++) {
        s->data[i] = (u_char) ngx_hextoi((u_char *) hex + 2 * i, 2);
    }

    return s;
}


ngx_uint_t
t_bytes_are(ngx_kmip_item_t *it, const char *hex)
{
    ngx_str_t  *want;

    want = t_unhex(hex);

    return it && it->type == NGX_KMIP_TYPE_BYTE_STRING
           && it->v.str.len == want->len
           && memcmp(it->v.str.data, want->data, want->len) == 0;
}


ngx_str_t *
t_register_bytes(ngx_uint_t major, uint32_t type, int64_t alg,
    ngx_str_t *key, int64_t mask, int64_t params_alg, ngx_uint_t active)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *kb, *km, *ta, *cp;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_REGISTER);

    kb = t_key_block(p, type, NGX_KMIP_KEY_FORMAT_TYPE_RAW, key->len,
                     type == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY ? alg : -1,
                     type == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
                     ? (int64_t) key->len * 8 : -1);

    /* the Key Block holds t_material: the material is the test's */

    km = t_deep(kb, NGX_KMIP_TAG_KEY_MATERIAL);
    km->v.str.data = key->data;
    km->v.str.len = key->len;

    ta = t_attrs(p, major);
    t_attr(ta, major, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER, mask);

    if (active) {
        t_attr(ta, major, "Activation Date", NGX_KMIP_TAG_ACTIVATION_DATE,
               NGX_KMIP_TYPE_DATE_TIME, ngx_time() - 3600);
    }

    if (params_alg != -1) {
        cp = t_attr_struct(ta, major, "Cryptographic Parameters",
                           NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);
        (void) t_value(cp, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                       NGX_KMIP_TYPE_ENUMERATION, params_alg);
    }

    return t_uid_of(&t_run(t)[0]);
}


/*
 * A MAC, MAC Verify or Hash of data: on the object uid (NULL: none), with
 * Cryptographic Parameters of the one field alg_tag of alg (-1: none), and
 * the MAC Data mac (NULL: none)
 */

static ngx_kmip_response_item_t *
t_digest(ngx_uint_t major, uint32_t operation, ngx_str_t *uid,
    ngx_str_t *data, uint32_t alg_tag, int64_t alg, ngx_str_t *mac)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *cp;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, operation);

    if (uid) {
        t_uid(p, uid);
    }

    if (alg != -1) {
        cp = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                      NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);
        (void) t_value(cp, alg_tag, NGX_KMIP_TYPE_ENUMERATION, alg);
    }

    if (data) {
        ngx_kmip_ttlv_add_bytes(t_alloc(), p, NGX_KMIP_TAG_DATA, data->data,
                                data->len);
    }

    if (mac) {
        ngx_kmip_ttlv_add_bytes(t_alloc(), p, NGX_KMIP_TAG_MAC_DATA,
                                mac->data, mac->len);
    }

    return t_run(t);
}


/* a MAC or MAC Verify of data; alg: the request's algorithm, or -1 */

static ngx_kmip_response_item_t *
t_mac(ngx_uint_t major, uint32_t operation, ngx_str_t *uid, ngx_str_t *data,
    int64_t alg, ngx_str_t *mac)
{
    return t_digest(major, operation, uid, data,
                    NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM, alg, mac);
}


static ngx_str_t *
t_text_str(const char *s)
{
    ngx_str_t  *v;

    v = ngx_palloc(t_pool, sizeof(ngx_str_t));
    v->data = (u_char *) s;
    v->len = strlen(s);

    return v;
}


#define T_MAC_MASK                                                            \
    (NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_MAC_GENERATE                           \
     | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_MAC_VERIFY)


typedef struct {
    int64_t                     alg;        /* the key's */
    const char                 *key;        /* hex */
    const char                 *data;       /* text */
    const char                 *mac;        /* hex */
    const char                 *name;
} t_mac_vector_t;


static t_mac_vector_t  t_mac_vectors[] = {

    /* RFC 4231 test case 2 */
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA224, "4a656665",
      "what do ya want for nothing?",
      "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
      "HMAC-SHA224: RFC 4231 case 2" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA256, "4a656665",
      "what do ya want for nothing?",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      "HMAC-SHA256: RFC 4231 case 2" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA384, "4a656665",
      "what do ya want for nothing?",
      "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
      "8e2240ca5e69e2c78b3239ecfab21649",
      "HMAC-SHA384: RFC 4231 case 2" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA512, "4a656665",
      "what do ya want for nothing?",
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
      "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
      "HMAC-SHA512: RFC 4231 case 2" },

    /* RFC 2202 test case 2 */
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA1, "4a656665",
      "what do ya want for nothing?",
      "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
      "HMAC-SHA1: RFC 2202 case 2" },

    /* RFC 4493 4: AES-CMAC of the empty message and of one block */
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES,
      "2b7e151628aed2a6abf7158809cf4f3c", "",
      "bb1d6929e95937287fa37d129b756746",
      "AES-CMAC: RFC 4493 example 1, the empty message" },
};


/* a MAC Verify of the data with the MAC answers Success and the indicator */

static void
t_mac_verify(ngx_uint_t major, ngx_str_t *uid, ngx_str_t *data,
    ngx_str_t *mac, uint32_t indicator, const char *vector, const char *how)
{
    char                       name[128];
    ngx_kmip_item_t           *vi;
    ngx_kmip_response_item_t  *out;

    out = t_mac(major, NGX_KMIP_OP_MAC_VERIFY, uid, data, -1, mac);
    vi = t_find(&out[0], NGX_KMIP_TAG_VALIDITY_INDICATOR);
    snprintf(name, sizeof(name), "MAC Verify of %s%s", vector, how);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && vi
          && vi->v.num == indicator, name);
}


static void
t_mac_known(ngx_uint_t major)
{
    char                       name[128];
    ngx_str_t                 *uid, *data, *mac;
    ngx_uint_t                 i;
    t_mac_vector_t            *v;
    ngx_kmip_response_item_t  *out;

    for (i = 0; i < t_nelts(t_mac_vectors); i++) {
        v = &t_mac_vectors[i];

        uid = t_register_bytes(major, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                               v->alg, t_unhex(v->key), T_MAC_MASK, -1, 1);
        if (!t_got(uid, v->name)) {
            continue;
        }

        data = t_text_str(v->data);

        out = t_mac(major, NGX_KMIP_OP_MAC, uid, data, -1, NULL);
        snprintf(name, sizeof(name), "%s (KMIP %d)", v->name, (int) major);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
              && t_bytes_are(t_find(&out[0], NGX_KMIP_TAG_MAC_DATA), v->mac),
              name);

        mac = t_unhex(v->mac);
        t_mac_verify(major, uid, data, mac, NGX_KMIP_VALIDITY_INDICATOR_VALID,
                     v->name, ": Valid");

        mac->data[0] ^= 0x01;
        t_mac_verify(major, uid, data, mac,
                     NGX_KMIP_VALIDITY_INDICATOR_INVALID, v->name,
                     ", one bit off: Invalid");

        mac->data[0] ^= 0x01;
        mac->len--;
        t_mac_verify(major, uid, data, mac,
                     NGX_KMIP_VALIDITY_INDICATOR_INVALID, v->name,
                     ", truncated: Invalid");
    }
}


/*
 * The OASIS cases CS-AC-M-4..6: an AES key whose Cryptographic
 * Parameters name HMAC-SHA256 MACs with HMAC-SHA256; the request's
 * parameters override the key's (RFC 4493 example 2, one block of CMAC)
 */

static struct {
    const char                 *key;        /* hex */
    const char                 *data;       /* hex */
    int64_t                     alg;        /* the request's, or -1 */
    const char                 *want;       /* hex */
    const char                 *name;
} t_mac_param_cases[] = {

    { "0123456789abcdef0123456789abcdef",
      "01020304050607080910111213141516", -1,
      "c911e78196d64c30f631bb079ea37b97a95936d4da764d6a171df030c895ecf9",
      "MAC with the key's Cryptographic Parameters: CS-AC-M-4's "
      "HMAC-SHA256" },

    { "2b7e151628aed2a6abf7158809cf4f3c",
      "6bc1bee22e409f96e93d7e117393172a",
      NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES,
      "070a16b46b4d4144f79bdd9dd04a287c",
      "MAC with the request's parameters over the key's: AES-CMAC, "
      "RFC 4493 example 2" },
};


static void
t_mac_params(ngx_uint_t major)
{
    ngx_uint_t                 i;
    ngx_str_t                 *uid;
    ngx_kmip_response_item_t  *out;

    for (i = 0; i < t_nelts(t_mac_param_cases); i++) {
        uid = t_register_bytes(major, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                               NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES,
                               t_unhex(t_mac_param_cases[i].key), T_MAC_MASK,
                               NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA256, 1);
        if (!t_got(uid, "Register of an AES key with HMAC-SHA256 "
                        "parameters"))
        {
            return;
        }

        out = t_mac(major, NGX_KMIP_OP_MAC, uid,
                    t_unhex(t_mac_param_cases[i].data),
                    t_mac_param_cases[i].alg, NULL);
        CHECK(t_bytes_are(t_find(&out[0], NGX_KMIP_TAG_MAC_DATA),
                          t_mac_param_cases[i].want),
              t_mac_param_cases[i].name);
    }
}


/* the refusals to a key with MAC Generate only, of data "data" */

typedef struct {
    uint32_t                    operation;
    ngx_uint_t                  data;       /* 0: no Data */
    int64_t                     alg;        /* the request's, or -1 */
    ngx_uint_t                  mac;        /* 1: the data as MAC Data */
    uint32_t                    reason[2];  /* 1.x's, 2.x's */
    const char                 *name;
} t_mac_refusal_t;


static t_mac_refusal_t  t_generate_only[] = {

    { NGX_KMIP_OP_MAC_VERIFY, 1, -1, 1,
      { NGX_KMIP_REASON_PERMISSION_DENIED,
        NGX_KMIP_REASON_INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK },
      "MAC Verify with a key without MAC Verify: the version's mask "
      "reason" },

    { NGX_KMIP_OP_MAC_VERIFY, 1, -1, 0,
      { NGX_KMIP_REASON_MISSING_DATA, NGX_KMIP_REASON_MISSING_DATA },
      "MAC Verify without MAC Data: Missing Data" },

    { NGX_KMIP_OP_MAC, 0, -1, 0,
      { NGX_KMIP_REASON_MISSING_DATA, NGX_KMIP_REASON_MISSING_DATA },
      "MAC without Data: Missing Data" },

    { NGX_KMIP_OP_MAC, 1, NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA, 0,
      { NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
        NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS },
      "MAC with RSA: the version's bad-parameters reason" },

    /* CMAC needs an AES key's length */

    { NGX_KMIP_OP_MAC, 1, NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 0,
      { NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
        NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS },
      "CMAC with a 4-byte key: the version's bad-parameters reason" },
};


static void
t_mac_refusals(ngx_uint_t major)
{
    ngx_uint_t                 i;
    ngx_str_t                 *uid, *data, u;
    t_request_t               *t;
    ngx_kmip_item_t           *p;
    t_mac_refusal_t           *c;
    ngx_kmip_response_item_t  *out;

    data = t_text_str("data");

    /* Pre-Active: the version's wrong state */

    uid = t_register_bytes(major, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                           NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA256,
                           t_unhex("4a656665"), T_MAC_MASK, -1, 0);
    if (!t_got(uid, "Register of a Pre-Active HMAC key")) {
        return;
    }

    out = t_mac(major, NGX_KMIP_OP_MAC, uid, data, -1, NULL);
    CHECK(t_reason(&out[0]) == t_wrong_state(major),
          "MAC with a Pre-Active key: the version's wrong-state reason");

    /* a mask without MAC Generate; with it but without MAC Verify */

    uid = t_register_bytes(major, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                           NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA256,
                           t_unhex("4a656665"),
                           NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_MAC_VERIFY, -1, 1);
    if (!t_got(uid, "Register of a verify-only HMAC key")) {
        return;
    }

    u = *uid;

    out = t_mac(major, NGX_KMIP_OP_MAC, &u, data, -1, NULL);
    CHECK(t_reason(&out[0]) == t_wrong_mask(major),
          "MAC with a key without MAC Generate: the version's mask reason");

    out = t_mac(major, NGX_KMIP_OP_MAC_VERIFY, &u, data, -1, data);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "MAC Verify with a key with MAC Verify only");

    uid = t_register_bytes(major, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                           NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA256,
                           t_unhex("4a656665"),
                           NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_MAC_GENERATE, -1,
                           1);
    if (!t_got(uid, "Register of a generate-only HMAC key")) {
        return;
    }

    u = *uid;

    for (i = 0; i < t_nelts(t_generate_only); i++) {
        c = &t_generate_only[i];
        out = t_mac(major, c->operation, &u, c->data ? data : NULL, c->alg,
                    c->mac ? data : NULL);
        CHECK(t_reason(&out[0]) == c->reason[major >= 2], c->name);
    }

    /* one part only: a stream is refused, not half run */

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_MAC);
    t_uid(p, &u);
    ngx_kmip_ttlv_add_bytes(t_alloc(), p, NGX_KMIP_TAG_DATA, data->data,
                            data->len);
    (void) t_value(p, NGX_KMIP_TAG_INIT_INDICATOR, NGX_KMIP_TYPE_BOOLEAN, 1);
    out = t_run(t);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
          "MAC with an Init Indicator: Feature Not Supported");
}


/* a Hash of data with the algorithm */

static ngx_kmip_response_item_t *
t_hash(ngx_uint_t major, int64_t alg, ngx_str_t *data)
{
    return t_digest(major, NGX_KMIP_OP_HASH, NULL, data,
                    NGX_KMIP_TAG_HASHING_ALGORITHM, alg, NULL);
}


static void
t_hash_known(ngx_uint_t major)
{
    ngx_str_t                 *oasis, *abc;
    ngx_kmip_response_item_t  *out;

    oasis = t_unhex("01020304050607080910111213141516");
    abc = t_text_str("abc");

    out = t_hash(major, NGX_KMIP_HASHING_ALGORITHM_SHA_256, oasis);
    CHECK(t_bytes_are(t_find(&out[0], NGX_KMIP_TAG_DATA),
                      "ad41233d22cf9322e3a7ff49a13da434"
                      "797abed3bab80950a1a0d4e582b7ea72"),
          "Hash SHA-256: CS-AC-M-7's answer");

    out = t_hash(major, NGX_KMIP_HASHING_ALGORITHM_SHA_512, oasis);
    CHECK(t_bytes_are(t_find(&out[0], NGX_KMIP_TAG_DATA),
                      "406a806f76c06b90c8aca278995d4271"
                      "037f91124ebfaba5475f1f59ee21ebe3"
                      "a0cc7f5ca6f2183d360bcc762cef6871"
                      "3de7c6498eb08dc591075ca62f7a0717"),
          "Hash SHA-512: CS-AC-M-7's answer");

    out = t_hash(major, NGX_KMIP_HASHING_ALGORITHM_SHA_1, abc);
    CHECK(t_bytes_are(t_find(&out[0], NGX_KMIP_TAG_DATA),
                      "a9993e364706816aba3e25717850c26c9cd0d89d"),
          "Hash SHA-1 of \"abc\": FIPS 180-2 C.1");

    out = t_hash(major, NGX_KMIP_HASHING_ALGORITHM_SHA3_256, abc);
    CHECK(t_bytes_are(t_find(&out[0], NGX_KMIP_TAG_DATA),
                      "3a985da74fe225b2045c172d6bd390bd"
                      "855f086e3e9d525b46bfe24511431532"),
          "Hash SHA3-256 of \"abc\": FIPS 202 example");

    out = t_hash(major, -1, abc);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_MISSING_DATA,
          "Hash without a Hashing Algorithm: Missing Data");

    out = t_hash(major, NGX_KMIP_HASHING_ALGORITHM_SHA_256, NULL);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_MISSING_DATA,
          "Hash without Data: Missing Data");

    /* the keys layer's refusal: Invalid Field in 1.x, which has no Bad
       Cryptographic Parameters */

    out = t_hash(major, NGX_KMIP_HASHING_ALGORITHM_TIGER, abc);
    CHECK(t_reason(&out[0]) == (major >= 2
                                ? NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS
                                : NGX_KMIP_REASON_INVALID_FIELD),
          "Hash with Tiger: the version's bad-parameters reason");
}


void
t_mac_hash(void)
{
    t_mac_known(1);
    t_mac_known(2);
    t_mac_params(1);
    t_mac_params(2);
    t_mac_refusals(1);
    t_mac_refusals(2);
    t_hash_known(1);
    t_hash_known(2);
}
