
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Derive Key (KMIP 1.4 4.6, 2.1 6.1.14) against published vectors: RFC
 * 6070 PBKDF2, RFC 5869 HKDF (the HMAC method, as PyKMIP computes it),
 * NIST SP 800-108 counter mode (the CAVP vector PyKMIP's suite uses),
 * FIPS 197 AES and PyKMIP's Blowfish vector for the Encrypt method, and
 * SHA-256 for the Hash method; the derived object as stored (material,
 * attributes, the links between it and its base, the ID Placeholder), and
 * the refusals.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_kmip_test_ops.h"


typedef struct {
    uint32_t                    type;       /* the new object's */
    int64_t                     alg;        /* its algorithm, or -1 */
    int64_t                     bits;       /* its length, or -1 */
    uint32_t                    method;
    int64_t                     hashing;    /* -1: none */
    int64_t                     cipher;     /* -1: none */
    int64_t                     mode;
    int64_t                     padding;
    const char                 *iv;         /* hex, or NULL */
    const char                 *data;       /* hex, or NULL */
    const char                 *salt;       /* hex, or NULL */
    int64_t                     iter;       /* -1: none */
} t_derive_t;


static ngx_kmip_response_item_t *
t_derive(ngx_uint_t major, ngx_str_t *base, t_derive_t *d)
{
    t_request_t      *t;
    ngx_str_t        *s;
    ngx_kmip_item_t  *p, *dp, *cp, *ta;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_DERIVE_KEY);

    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE, d->type);
    t_uid(p, base);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_DERIVATION_METHOD,
                           d->method);

    dp = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                  NGX_KMIP_TAG_DERIVATION_PARAMETERS);

    if (d->hashing != -1 || d->cipher != -1) {
        cp = ngx_kmip_ttlv_add_struct(t_alloc(), dp,
                                      NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);

        if (d->cipher != -1) {
            (void) t_value(cp, NGX_KMIP_TAG_BLOCK_CIPHER_MODE,
                           NGX_KMIP_TYPE_ENUMERATION, d->mode);
            (void) t_value(cp, NGX_KMIP_TAG_PADDING_METHOD,
                           NGX_KMIP_TYPE_ENUMERATION, d->padding);
        }

        if (d->hashing != -1) {
            (void) t_value(cp, NGX_KMIP_TAG_HASHING_ALGORITHM,
                           NGX_KMIP_TYPE_ENUMERATION, d->hashing);
        }

        if (d->cipher != -1) {
            (void) t_value(cp, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                           NGX_KMIP_TYPE_ENUMERATION, d->cipher);
        }
    }

    if (d->iv) {
        s = t_unhex(d->iv);
        ngx_kmip_ttlv_add_bytes(t_alloc(), dp,
                                NGX_KMIP_TAG_INITIALIZATION_VECTOR,
                                s->data, s->len);
    }

    if (d->data) {
        s = t_unhex(d->data);
        ngx_kmip_ttlv_add_bytes(t_alloc(), dp, NGX_KMIP_TAG_DERIVATION_DATA,
                                s->data, s->len);
    }

    if (d->salt) {
        s = t_unhex(d->salt);
        ngx_kmip_ttlv_add_bytes(t_alloc(), dp, NGX_KMIP_TAG_SALT, s->data,
                                s->len);
    }

    if (d->iter != -1) {
        (void) t_value(dp, NGX_KMIP_TAG_ITERATION_COUNT,
                       NGX_KMIP_TYPE_INTEGER, d->iter);
    }

    ta = t_attrs(p, major);

    if (d->alg != -1) {
        t_attr(ta, major, "Cryptographic Algorithm",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM, NGX_KMIP_TYPE_ENUMERATION,
               d->alg);
    }

    if (d->bits != -1) {
        t_attr(ta, major, "Cryptographic Length",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, NGX_KMIP_TYPE_INTEGER,
               d->bits);
    }

    return t_run(t);
}


/* the store keeps the derived object with this material */

static ngx_uint_t
t_derived_is(ngx_kmip_response_item_t *out, const char *hex)
{
    ngx_str_t          *uid, *want;
    ngx_kmip_object_t  *kept;

    uid = t_uid_of(out);
    if (out->result_status != NGX_KMIP_STATUS_SUCCESS || uid == NULL) {
        return 0;
    }

    kept = ngx_kmip_store_memory_find(t_mem, uid);
    want = t_unhex(hex);

    return kept && kept->material.len == want->len
           && memcmp(kept->material.data, want->data, want->len) == 0;
}


#define T_DERIVE  NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DERIVE_KEY

#define T_SK      NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
#define T_SD      NGX_KMIP_OBJECT_TYPE_SECRET_DATA
#define T_AES     NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES


typedef struct {
    uint32_t                    base_type;
    int64_t                     base_alg;
    const char                 *base;       /* hex */
    t_derive_t                  d;
    const char                 *want;       /* hex */
    const char                 *name;
} t_derive_vector_t;


/* "password" and "salt" */
#define T_PASSWORD  "70617373776f7264"
#define T_SALT      "73616c74"


static t_derive_vector_t  t_derive_vectors[] = {

    { T_SD, -1, T_PASSWORD,
      { T_SK, T_AES, 160, NGX_KMIP_DERIVATION_METHOD_PBKDF2,
        NGX_KMIP_HASHING_ALGORITHM_SHA_1, -1, 0, 0, NULL, NULL, T_SALT, 1 },
      "0c60c80f961f0e71f3a9b524af6012062fe037a6",
      "PBKDF2-SHA1, 1 iteration: RFC 6070" },
    { T_SD, -1, T_PASSWORD,
      { T_SK, T_AES, 160, NGX_KMIP_DERIVATION_METHOD_PBKDF2,
        NGX_KMIP_HASHING_ALGORITHM_SHA_1, -1, 0, 0, NULL, NULL, T_SALT, 2 },
      "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
      "PBKDF2-SHA1, 2 iterations: RFC 6070" },
    { T_SD, -1, T_PASSWORD,
      { T_SK, T_AES, 160, NGX_KMIP_DERIVATION_METHOD_PBKDF2,
        NGX_KMIP_HASHING_ALGORITHM_SHA_1, -1, 0, 0, NULL, NULL, T_SALT,
        4096 },
      "4b007901b765489abead49d926f721d065a429c1",
      "PBKDF2-SHA1, 4096 iterations: RFC 6070 (PyKMIP's)" },

    { T_SD, -1, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
      { T_SD, -1, 336, NGX_KMIP_DERIVATION_METHOD_HMAC,
        NGX_KMIP_HASHING_ALGORITHM_SHA_256, -1, 0, 0, NULL,
        "f0f1f2f3f4f5f6f7f8f9", "000102030405060708090a0b0c", -1 },
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
      "34007208d5b887185865",
      "HMAC method as HKDF-SHA256: RFC 5869 case 1" },
    { T_SD, -1, "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
      { T_SD, -1, 336, NGX_KMIP_DERIVATION_METHOD_HMAC,
        NGX_KMIP_HASHING_ALGORITHM_SHA_1, -1, 0, 0, NULL, "", "", -1 },
      "2c91117204d745f3500d636a62f64f0ab3bae548aa53d423b0d1f27ebba6f5e5"
      "673a081d70cce7acfc48",
      "HMAC method as HKDF-SHA1, no salt nor info: RFC 5869 case 7" },

    { T_SK, T_AES,
      "dd5dbd45593ee2ac139748e7645b450f223d2ff297b73fd71cbcebe71d41653c"
      "950b88500de5322d99ef18dfdd30428294c4b3094f4c954334e593bd982ec614",
      { T_SK, T_AES, 128, NGX_KMIP_DERIVATION_METHOD_NIST800_108_C,
        NGX_KMIP_HASHING_ALGORITHM_SHA_512, -1, 0, 0, NULL,
        "b50b0c963c6b3034b8cf19cd3f5c4ebe4f4985af0c03e575db62e6fdf1ecfe4f"
        "28b95d7ce16df85843246e1557ce95bb26cc9a21974bbd2eb69e8355",
        NULL, -1 },
      "e5993bf9bd2aa1c45746042e12598155",
      "NIST SP 800-108 counter mode, HMAC-SHA512: the CAVP vector" },

    { T_SK, T_AES, "000102030405060708090a0b0c0d0e0f",
      { T_SK, T_AES, 128, NGX_KMIP_DERIVATION_METHOD_ENCRYPT, -1, T_AES,
        NGX_KMIP_BLOCK_CIPHER_MODE_ECB, NGX_KMIP_PADDING_METHOD_NONE, NULL,
        "00112233445566778899aabbccddeeff", NULL, -1 },
      "69c4e0d86a7b0430d8cdb78070b4c55a",
      "Encrypt method, AES-128 ECB: FIPS 197 C.1" },
    { T_SK, NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_BLOWFISH,
      "0123456789abcdeff0e1d2c3b4a59687",
      { T_SD, -1, 256, NGX_KMIP_DERIVATION_METHOD_ENCRYPT, -1,
        NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_BLOWFISH,
        NGX_KMIP_BLOCK_CIPHER_MODE_CBC, NGX_KMIP_PADDING_METHOD_PKCS5,
        "fedcba9876543210",
        "37363534333231204e6f77206973207468652074696d6520666f722000",
        NULL, -1 },
      "6b77b4d63006dee605b156e27403979358deb9e7154616d9749decbec05d264b",
      "Encrypt method, Blowfish CBC PKCS5: PyKMIP's vector" },

    { T_SD, -1, T_PASSWORD,
      { T_SD, -1, 256, NGX_KMIP_DERIVATION_METHOD_HASH,
        NGX_KMIP_HASHING_ALGORITHM_SHA_256, -1, 0, 0, NULL, NULL, NULL, -1 },
      "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
      "Hash method, SHA-256 of the base" },
    { T_SD, -1, T_PASSWORD,
      { T_SD, -1, 128, NGX_KMIP_DERIVATION_METHOD_HASH,
        NGX_KMIP_HASHING_ALGORITHM_SHA_256, -1, 0, 0, NULL, NULL, NULL, -1 },
      "5e884898da28047151d0e56f8dc62927",
      "Hash method cut to 128 bits" },
};


static void
t_derive_known(ngx_uint_t major)
{
    char                       name[160];
    ngx_str_t                 *base, b, *uid;
    ngx_uint_t                 i;
    t_derive_vector_t         *v;
    ngx_kmip_response_item_t  *out;

    for (i = 0; i < t_nelts(t_derive_vectors); i++) {
        v = &t_derive_vectors[i];

        base = t_register_bytes(major, v->base_type, v->base_alg,
                                t_unhex(v->base), T_DERIVE, -1, 0);
        if (!t_got(base, v->name)) {
            continue;
        }

        b = *base;

        out = t_derive(major, &b, &v->d);
        snprintf(name, sizeof(name), "%s (KMIP %d)", v->name, (int) major);
        CHECK(t_derived_is(&out[0], v->want), name);

        uid = t_uid_of(&out[0]);
        if (uid == NULL) {
            continue;
        }

        snprintf(name, sizeof(name), "%s: the new object's type, length "
                 "and links with its base", v->name);
        CHECK(ngx_kmip_store_memory_find(t_mem, uid)->object_type
              == v->d.type
              && t_kept_num(uid, "Cryptographic Length") == v->d.bits
              && t_kept_num(uid, "Cryptographic Algorithm") == v->d.alg
              && t_kept_num(uid, "State") == NGX_KMIP_STATE_PRE_ACTIVE
              && t_links_to(uid,
                            NGX_KMIP_LINK_TYPE_DERIVATION_BASE_OBJECT_LINK,
                            &b)
              && t_links_to(&b, NGX_KMIP_LINK_TYPE_DERIVED_KEY_LINK, uid),
              name);
    }
}


/* a derived key is the ID Placeholder of the batch's next items */

static void
t_derive_placeholder(ngx_uint_t major)
{
    ngx_str_t                 *base;
    t_request_t               *t;
    ngx_kmip_item_t           *p, *dp, *s;
    ngx_kmip_response_item_t  *out;

    base = t_register_bytes(major, T_SD, -1, t_unhex(T_PASSWORD), T_DERIVE,
                            -1, 0);
    if (!t_got(base, "Register of a base for a batch")) {
        return;
    }

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_DERIVE_KEY);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE, T_SD);
    t_uid(p, base);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_DERIVATION_METHOD,
                           NGX_KMIP_DERIVATION_METHOD_HASH);
    dp = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                  NGX_KMIP_TAG_DERIVATION_PARAMETERS);
    s = ngx_kmip_ttlv_add_struct(t_alloc(), dp,
                                 NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);
    (void) t_value(s, NGX_KMIP_TAG_HASHING_ALGORITHM,
                   NGX_KMIP_TYPE_ENUMERATION,
                   NGX_KMIP_HASHING_ALGORITHM_SHA_1);
    t_attr(t_attrs(p, major), major, "Cryptographic Length",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, NGX_KMIP_TYPE_INTEGER, 160);

    (void) t_item(t, NGX_KMIP_OP_GET);

    out = t_run(t);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && out[1].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_bytes_are(t_deep(out[1].payload, NGX_KMIP_TAG_KEY_MATERIAL),
                         "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8"),
          "Derive Key then Get by the ID Placeholder: the derived Secret "
          "Data");
}


/*
 * The requests a Secret Data base with Derive Key refuses: each the Hash
 * method's SHA-256 request of 256 bits of Secret Data (T_HASH) but for
 * what is refused
 */

#define T_HASH   NGX_KMIP_DERIVATION_METHOD_HASH
#define T_SHA    NGX_KMIP_HASHING_ALGORITHM_SHA_256
#define T_PBKDF  NGX_KMIP_DERIVATION_METHOD_PBKDF2
#define T_BAD_PARAMETERS                                                      \
    { NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,                                  \
      NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS }
#define T_INVALID                                                             \
    { NGX_KMIP_REASON_INVALID_FIELD, NGX_KMIP_REASON_INVALID_FIELD }


static struct {
    t_derive_t                  d;
    uint32_t                    reason[2];  /* 1.x's, 2.x's */
    const char                 *name;
} t_derive_refused[] = {

    { { T_SD, -1, 512, T_HASH, T_SHA, -1, 0, 0, NULL, NULL, NULL, -1 },
      { NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
        NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE },
      "Derive Key longer than the hash: Cryptographic Failure" },
    { { T_SD, -1, -1, T_HASH, T_SHA, -1, 0, 0, NULL, NULL, NULL, -1 },
      T_INVALID,
      "Derive Key without a Cryptographic Length: Invalid Field" },
    { { T_SD, -1, 12, T_HASH, T_SHA, -1, 0, 0, NULL, NULL, NULL, -1 },
      T_INVALID, "Derive Key of 12 bits: Invalid Field" },
    { { T_SK, -1, 256, T_HASH, T_SHA, -1, 0, 0, NULL, NULL, NULL, -1 },
      T_INVALID,
      "Derive Key of a Symmetric Key without its algorithm: Invalid "
      "Field" },
    { { NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT, -1, 256, T_HASH, T_SHA, -1, 0, 0,
        NULL, NULL, NULL, -1 },
      T_INVALID, "Derive Key of an Opaque Object: Invalid Field" },
    { { T_SD, -1, 256, T_HASH, T_SHA, -1, 0, 0, NULL, "00", NULL, -1 },
      T_INVALID, "the Hash method with Derivation Data: Invalid Field" },
    { { T_SD, -1, 256, T_HASH, NGX_KMIP_HASHING_ALGORITHM_TIGER, -1, 0, 0,
        NULL, NULL, NULL, -1 },
      T_BAD_PARAMETERS,
      "Derive Key with Tiger: the version's bad-parameters reason" },
    { { T_SD, -1, 256, NGX_KMIP_DERIVATION_METHOD_NIST800_108_F, T_SHA, -1,
        0, 0, NULL, NULL, NULL, -1 },
      { NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
        NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED },
      "Derive Key in NIST 800-108 feedback mode: Feature Not Supported" },

    { { T_SD, -1, 256, T_PBKDF, T_SHA, -1, 0, 0, NULL, NULL, NULL, 1000 },
      { NGX_KMIP_REASON_MISSING_DATA, NGX_KMIP_REASON_MISSING_DATA },
      "PBKDF2 without a Salt: Missing Data" },
    { { T_SD, -1, 256, T_PBKDF, T_SHA, -1, 0, 0, NULL, NULL, T_SALT,
        100000000 },
      T_INVALID, "PBKDF2 of a hundred million iterations: Invalid Field" },

    /* the bound is on the work: iterations times blocks of output */

    { { T_SD, -1, 8192, T_PBKDF, T_SHA, -1, 0, 0, NULL, NULL, T_SALT,
        600000 },
      T_INVALID,
      "PBKDF2 of 600,000 iterations over 32 SHA-256 blocks: Invalid "
      "Field" },

    /* a Secret Data base is no key to encrypt with */

    { { T_SD, -1, 256, NGX_KMIP_DERIVATION_METHOD_ENCRYPT, T_SHA, T_AES,
        NGX_KMIP_BLOCK_CIPHER_MODE_CBC, NGX_KMIP_PADDING_METHOD_PKCS5, NULL,
        "00112233", NULL, -1 },
      T_BAD_PARAMETERS,
      "the Encrypt method with an 8-byte AES key: the version's "
      "bad-parameters reason" },
};


static void
t_derive_refusals(ngx_uint_t major)
{
    ngx_uint_t                 i;
    ngx_str_t                 *base, b, *other;
    t_request_t               *t;
    ngx_kmip_item_t           *p;
    ngx_kmip_response_item_t  *out;

    static t_derive_t  hash = {
        T_SD, -1, 256, T_HASH, T_SHA, -1, 0, 0, NULL, NULL, NULL, -1
    };

    base = t_register_bytes(major, T_SD, -1, t_unhex(T_PASSWORD),
                            NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT, -1, 0);
    if (!t_got(base, "Register of a base without Derive Key")) {
        return;
    }

    out = t_derive(major, base, &hash);
    CHECK(t_reason(&out[0]) == t_wrong_mask(major),
          "Derive Key from a base without Derive Key in its mask: the "
          "version's mask reason");

    base = t_register_bytes(major, T_SD, -1, t_unhex(T_PASSWORD), T_DERIVE,
                            -1, 0);
    if (!t_got(base, "Register of a base")) {
        return;
    }

    b = *base;

    for (i = 0; i < t_nelts(t_derive_refused); i++) {
        out = t_derive(major, &b, &t_derive_refused[i].d);
        CHECK(t_reason(&out[0]) == t_derive_refused[i].reason[major >= 2],
              t_derive_refused[i].name);
    }

    /* two base objects: the Derivation Data is the request's */

    other = t_register_bytes(major, T_SD, -1, t_unhex(T_SALT), T_DERIVE, -1,
                             0);
    if (!t_got(other, "Register of a second base")) {
        return;
    }

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_DERIVE_KEY);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE, T_SD);
    t_uid(p, &b);
    t_uid(p, other);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_DERIVATION_METHOD,
                           NGX_KMIP_DERIVATION_METHOD_HASH);
    (void) ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                    NGX_KMIP_TAG_DERIVATION_PARAMETERS);
    out = t_run(t);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
          "Derive Key from two objects: Feature Not Supported");

    /* a compromised base derives nothing */

    (void) t_revoke(major, major >= 2 ? 1 : 4, &b,
                    NGX_KMIP_REVOCATION_REASON_CODE_KEY_COMPROMISE);
    out = t_derive(major, &b, &hash);
    CHECK(t_reason(&out[0]) == t_wrong_state(major),
          "Derive Key from a Compromised base: the version's wrong-state "
          "reason");
}


void
t_derive_ops(void)
{
    t_derive_known(1);
    t_derive_known(2);
    t_derive_placeholder(1);
    t_derive_placeholder(2);
    t_derive_refusals(1);
    t_derive_refusals(2);
}
