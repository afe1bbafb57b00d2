
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Public Keys, Private Keys and Certificates (KMIP 1.4 2.2.2 to 2.2.4):
 * Register in DER formats and Transparent ones, Get as registered (the
 * client's own bytes) or converted, the refusals; a certificate's
 * attributes; Create Key Pair in both versions' forms, its links, the
 * keys it refuses to make, and the private key destroyed when the public
 * one cannot be stored.
 */


#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ngx_kmip_test_ops.h"
#include "ngx_kmip_keys.h"


/* the subject and issuer CN of the certificates made here */
#define T_CERT_CN  "unit test"


static ngx_kmip_item_t *t_bool_value(ngx_uint_t b);


/* one RSA 2048 pair for the Register tests, made once */
static ngx_kmip_keypair_t  t_pair;
static ngx_uint_t          t_pair_made;


static ngx_uint_t
t_rsa_pair(void)
{
    ngx_kmip_keygen_t      gen;
    ngx_kmip_keys_error_t  err;

    if (!t_pair_made) {
        ngx_memzero(&gen, sizeof(gen));
        gen.algorithm = NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA;
        gen.length = 2048;

        t_pair_made = (ngx_kmip_keys_generate(&gen, &t_pair, &err)
                       == NGX_KMIP_KEYS_OK);
    }

    return t_pair_made;
}


/* a Register of a Public or Private Key of DER bytes labeled kft */

static ngx_kmip_response_item_t *
t_register_key(ngx_uint_t major, uint32_t type, uint32_t kft,
    const u_char *der, size_t len, int64_t alg, int64_t bits)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *o, *kb, *kv;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_REGISTER);

    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE, type);
    t_attr(t_attrs(p, major), major, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
           type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
           ? NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_SIGN
           : NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_VERIFY);

    o = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                 type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
                                 ? NGX_KMIP_TAG_PRIVATE_KEY
                                 : NGX_KMIP_TAG_PUBLIC_KEY);
    kb = ngx_kmip_ttlv_add_struct(t_alloc(), o, NGX_KMIP_TAG_KEY_BLOCK);
    ngx_kmip_ttlv_add_enum(t_alloc(), kb, NGX_KMIP_TAG_KEY_FORMAT_TYPE, kft);
    kv = ngx_kmip_ttlv_add_struct(t_alloc(), kb, NGX_KMIP_TAG_KEY_VALUE);
    ngx_kmip_ttlv_add_bytes(t_alloc(), kv, NGX_KMIP_TAG_KEY_MATERIAL, der,
                            len);

    if (alg != -1) {
        ngx_kmip_ttlv_add_enum(t_alloc(), kb,
                               NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                               (uint32_t) alg);
    }

    if (bits != -1) {
        ngx_kmip_ttlv_add_integer(t_alloc(), kb,
                                  NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                                  (int32_t) bits);
    }

    return t_run(t);
}


/* a Get, with a Key Format Type asked for (0: none) */

ngx_kmip_response_item_t *
t_get_kft(ngx_uint_t major, ngx_str_t *uid, uint32_t kft)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_GET);
    t_uid(p, uid);

    if (kft) {
        ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_KEY_FORMAT_TYPE,
                               kft);
    }

    return t_run(t);
}


/* the Get answer's Key Material is these bytes, in this format */

static ngx_uint_t
t_material_is(ngx_kmip_response_item_t *out, uint32_t kft, const u_char *der,
    size_t len)
{
    ngx_kmip_item_t  *f, *km;

    f = t_deep(out->payload, NGX_KMIP_TAG_KEY_FORMAT_TYPE);
    km = t_deep(out->payload, NGX_KMIP_TAG_KEY_MATERIAL);

    return out->result_status == NGX_KMIP_STATUS_SUCCESS
           && f && f->v.num == kft
           && km && km->type == NGX_KMIP_TYPE_BYTE_STRING
           && km->v.str.len == len && memcmp(km->v.str.data, der, len) == 0;
}


static void
t_register_get_keys(ngx_uint_t major)
{
    uint8_t                   *p1;
    ngx_str_t                 *priv, *pub;
    ngx_kmip_item_t           *km;
    ngx_kmip_response_item_t  *out;

    if (!t_got((void *) t_rsa_pair(), "an RSA 2048 key pair")) {
        return;
    }

    out = t_register_key(major, NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY,
                         NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8, t_pair.private_der,
                         t_pair.private_len,
                         NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA, 2048);
    priv = t_uid_of(&out[0]);

    out = t_register_key(major, NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY,
                         NGX_KMIP_KEY_FORMAT_TYPE_X_509, t_pair.public_der,
                         t_pair.public_len, -1, -1);
    pub = t_uid_of(&out[0]);

    if (!t_got(priv, "Register of a PKCS#8 private key")
        || !t_got(pub, "Register of an X.509 public key"))
    {
        return;
    }

    CHECK(t_kept_num(pub, "Cryptographic Algorithm")
          == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA
          && t_kept_num(pub, "Cryptographic Length") == 2048,
          "a public key's algorithm and length read from the key");

    CHECK(t_material_is(&t_get_kft(major, priv, 0)[0],
                        NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8, t_pair.private_der,
                        t_pair.private_len),
          "Get of a private key: the bytes registered, as PKCS#8");

    out = t_get_kft(major, priv, NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1);
    km = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_MATERIAL);
    p1 = km ? (uint8_t *) km->v.str.data : NULL;
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && p1
          && km->v.str.len < t_pair.private_len && p1[0] == 0x30,
          "Get as PKCS#1: converted, a bare RSAPrivateKey");

    if (p1) {
        out = t_register_key(major, NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY,
                             NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8, p1,
                             km->v.str.len,
                             NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA, 2048);
        CHECK(t_uid_of(&out[0])
              && t_material_is(&t_get_kft(major, t_uid_of(&out[0]), 0)[0],
                               NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8, p1,
                               km->v.str.len),
              "PKCS#1 bytes registered as PKCS#8 (as the KMIP 1.1 test "
              "documents do): kept and answered as given");
    }

    out = t_get_kft(major, priv,
                    NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_RSA_PRIVATE_KEY);
    km = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_MATERIAL);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && km
          && km->type == NGX_KMIP_TYPE_STRUCTURE
          && ngx_kmip_ttlv_find(km, NGX_KMIP_TAG_MODULUS),
          "Get as Transparent RSA Private Key: the structure");

    out = t_get_kft(major, priv, NGX_KMIP_KEY_FORMAT_TYPE_RAW);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED,
          "Get of an RSA key as Raw: Key Format Type Not Supported");

    out = t_get_kft(major, pub, NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED,
          "Get of a public key as PKCS#8: Key Format Type Not Supported");

    CHECK(t_material_is(&t_get_kft(major, pub, 0)[0],
                        NGX_KMIP_KEY_FORMAT_TYPE_X_509, t_pair.public_der,
                        t_pair.public_len),
          "Get of a public key: the SubjectPublicKeyInfo registered");
}


static void
t_register_refusals(ngx_uint_t major)
{
    ngx_uint_t                 before;
    ngx_kmip_response_item_t  *out;
    u_char                     junk[64];

    if (!t_rsa_pair()) {
        return;
    }

    before = t_mem->objects.nelts;

    out = t_register_key(major, NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY,
                         NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8, t_pair.private_der,
                         t_pair.private_len,
                         NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, -1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "an RSA key declared AES: Invalid Field");

    ngx_memset(junk, 0x30, sizeof(junk));
    out = t_register_key(major, NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY,
                         NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8, junk, sizeof(junk),
                         -1, -1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "bytes that are no key: Invalid Field");

    out = t_register_key(major, NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY,
                         NGX_KMIP_KEY_FORMAT_TYPE_X_509, t_pair.private_der,
                         t_pair.private_len, -1, -1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a private key registered as a public one: Invalid Field");

    CHECK(t_mem->objects.nelts == before, "the refusals store nothing");
}


/* a self-signed certificate of the pair's key, DER, in the tests' pool */

static u_char *
t_certificate(size_t *len)
{
    int                   n;
    u_char               *der, *p;
    X509                 *x;
    EVP_PKEY             *pkey;
    X509_NAME            *name;
    const unsigned char  *in;

    in = t_pair.private_der;
    pkey = d2i_AutoPrivateKey(NULL, &in, (long) t_pair.private_len);
    x = X509_new();

    if (pkey == NULL || x == NULL) {
        EVP_PKEY_free(pkey);
        X509_free(x);
        return NULL;
    }

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pkey);

    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const u_char *) T_CERT_CN, -1, -1, 0);
    X509_set_issuer_name(x, name);

    der = NULL;

    if (X509_sign(x, pkey, EVP_sha256()) > 0) {
        n = i2d_X509(x, NULL);
        der = (n > 0) ? ngx_pnalloc(t_pool, n) : NULL;
        p = der;

        if (der) {
            *len = (size_t) i2d_X509(x, &p);
        }
    }

    X509_free(x);
    EVP_PKEY_free(pkey);

    return der;
}


static void
t_register_certificate(ngx_uint_t major)
{
    int64_t                    type;
    size_t                     len;
    u_char                    *der;
    ngx_str_t                 *uid;
    t_request_t               *t;
    ngx_kmip_item_t           *p, *o, *cv;
    ngx_kmip_response_item_t  *out;

    len = 0;
    der = t_rsa_pair() ? t_certificate(&len) : NULL;
    if (!t_got(der, "a self-signed certificate")) {
        return;
    }

    for (type = NGX_KMIP_CERTIFICATE_TYPE_PGP; /* void */ ;
         type = NGX_KMIP_CERTIFICATE_TYPE_X_509)
    {
        /* the client may say the certificate's type, which must be it */

        t = t_request(major, major >= 2 ? 1 : 4);
        p = t_item(t, NGX_KMIP_OP_REGISTER);
        ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE,
                               NGX_KMIP_OBJECT_TYPE_CERTIFICATE);
        t_attr(t_attrs(p, major), major, "Certificate Type",
               NGX_KMIP_TAG_CERTIFICATE_TYPE, NGX_KMIP_TYPE_ENUMERATION,
               type);
        o = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_CERTIFICATE);
        ngx_kmip_ttlv_add_enum(t_alloc(), o, NGX_KMIP_TAG_CERTIFICATE_TYPE,
                               NGX_KMIP_CERTIFICATE_TYPE_X_509);
        ngx_kmip_ttlv_add_bytes(t_alloc(), o, NGX_KMIP_TAG_CERTIFICATE_VALUE,
                                der, len);

        out = t_run(t);

        if (type == NGX_KMIP_CERTIFICATE_TYPE_X_509) {
            break;
        }

        t_expect(&out[0], NGX_KMIP_REASON_INVALID_FIELD,
                 "a Certificate Type attribute not the certificate's: "
                 "refused");
    }

    uid = t_uid_of(&out[0]);
    if (!t_got(uid, "Register of an X.509 certificate with its type")) {
        return;
    }

    CHECK(t_kept_num(uid, "Certificate Type")
          == NGX_KMIP_CERTIFICATE_TYPE_X_509
          && t_kept_num(uid, "Certificate Length") == (int64_t) len,
          "a certificate's Type and Length, read from it");
    CHECK(t_kept_text(uid, "Certificate Subject CN", -1, T_CERT_CN)
          && t_kept_text(uid, "Certificate Issuer CN", -1, T_CERT_CN),
          "its subject's and issuer's CN, 2.x attributes of their own");

    out = t_get_kft(major, uid, 0);
    cv = t_deep(out[0].payload, NGX_KMIP_TAG_CERTIFICATE_VALUE);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && cv && cv->v.str.len == len
          && memcmp(cv->v.str.data, der, len) == 0,
          "Get of a certificate: its DER");

    der[len / 2] ^= 0x55;

    out = t_register_typed(major, NGX_KMIP_OBJECT_TYPE_CERTIFICATE,
                           NGX_KMIP_CERTIFICATE_TYPE_PGP, der, len);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "a PGP certificate: refused");
}


/* a Split Key: its fields kept and answered as given */

static void
t_split_key(ngx_uint_t major, ngx_uint_t with_method)
{
    ngx_str_t                 *uid;
    t_request_t               *t;
    ngx_kmip_item_t           *p, *o, *kb, *kv, *f;
    ngx_kmip_response_item_t  *out;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_REGISTER);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE,
                           NGX_KMIP_OBJECT_TYPE_SPLIT_KEY);
    (void) t_attrs(p, major);
    o = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_SPLIT_KEY);
    ngx_kmip_ttlv_add_integer(t_alloc(), o, NGX_KMIP_TAG_SPLIT_KEY_PARTS, 3);
    ngx_kmip_ttlv_add_integer(t_alloc(), o, NGX_KMIP_TAG_KEY_PART_IDENTIFIER,
                              2);
    ngx_kmip_ttlv_add_integer(t_alloc(), o, NGX_KMIP_TAG_SPLIT_KEY_THRESHOLD,
                              2);

    if (with_method) {
        ngx_kmip_ttlv_add_enum(t_alloc(), o, NGX_KMIP_TAG_SPLIT_KEY_METHOD,
                               NGX_KMIP_SPLIT_KEY_METHOD_XOR);
    }

    kb = ngx_kmip_ttlv_add_struct(t_alloc(), o, NGX_KMIP_TAG_KEY_BLOCK);
    ngx_kmip_ttlv_add_enum(t_alloc(), kb, NGX_KMIP_TAG_KEY_FORMAT_TYPE,
                           NGX_KMIP_KEY_FORMAT_TYPE_RAW);
    kv = ngx_kmip_ttlv_add_struct(t_alloc(), kb, NGX_KMIP_TAG_KEY_VALUE);
    ngx_kmip_ttlv_add_bytes(t_alloc(), kv, NGX_KMIP_TAG_KEY_MATERIAL,
                            t_material, 16);
    ngx_kmip_ttlv_add_enum(t_alloc(), kb, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                           NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
    ngx_kmip_ttlv_add_integer(t_alloc(), kb, NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                              128);

    out = t_run(t);

    if (!with_method) {
        t_expect(&out[0], NGX_KMIP_REASON_INVALID_FIELD,
                 "a Split Key without its Split Key Method: Invalid Field");
        return;
    }

    uid = t_uid_of(&out[0]);
    if (!t_got(uid, "Register of a Split Key")) {
        return;
    }

    out = t_get_kft(major, uid, 0);
    f = t_find(&out[0], NGX_KMIP_TAG_SPLIT_KEY);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && f
          && ngx_kmip_ttlv_find(f, NGX_KMIP_TAG_KEY_PART_IDENTIFIER)
          && ngx_kmip_ttlv_find(f, NGX_KMIP_TAG_KEY_PART_IDENTIFIER)->v.num
             == 2
          && ngx_kmip_ttlv_find(f, NGX_KMIP_TAG_SPLIT_KEY_METHOD)
          && t_material_is(&out[0], NGX_KMIP_KEY_FORMAT_TYPE_RAW, t_material,
                           16),
          "Get of a Split Key: its fields and its part, as registered");
}


/* ---------------------------------------------------------- key pairs */

typedef struct {
    int64_t                     alg;
    int64_t                     len;
    int64_t                     curve;      /* 0: none */
    int64_t                     pub_alg;    /* -1: as the common one */
    uint32_t                    reason;     /* 0: made */
    const char                 *name;
} t_keypair_case_t;


static t_keypair_case_t  t_keypairs[] = {
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA, 2048, 0, -1, 0,
      "Create Key Pair RSA 2048" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_EC, 256, 0, -1, 0,
      "Create Key Pair EC P-256, by its length" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECDSA, 0,
      NGX_KMIP_RECOMMENDED_CURVE_P_384, -1, 0,
      "Create Key Pair ECDSA P-384, by its curve" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ED25519, 0, 0, -1, 0,
      "Create Key Pair Ed25519" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA, 1024, 0, -1,
      NGX_KMIP_REASON_INVALID_FIELD,
      "Create Key Pair RSA 1024: refused, too weak" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 256, 0, -1,
      NGX_KMIP_REASON_INVALID_FIELD,
      "Create Key Pair of AES: refused" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA, 2048, 0,
      NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_EC, NGX_KMIP_REASON_INVALID_FIELD,
      "Create Key Pair whose keys disagree on the algorithm: refused" },
    { -1, 2048, 0, -1, NGX_KMIP_REASON_MISSING_DATA,
      "Create Key Pair without an algorithm: Missing Data" },
};


static ngx_kmip_response_item_t *
t_create_key_pair(ngx_uint_t major, t_keypair_case_t *c)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *common, *priv, *pub, *dp;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_CREATE_KEY_PAIR);

    common = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                               major >= 2 ? NGX_KMIP_TAG_COMMON_ATTRIBUTES
                                   : NGX_KMIP_TAG_COMMON_TEMPLATE_ATTRIBUTE);
    priv = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                         major >= 2 ? NGX_KMIP_TAG_PRIVATE_KEY_ATTRIBUTES
                             : NGX_KMIP_TAG_PRIVATE_KEY_TEMPLATE_ATTRIBUTE);
    pub = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                         major >= 2 ? NGX_KMIP_TAG_PUBLIC_KEY_ATTRIBUTES
                             : NGX_KMIP_TAG_PUBLIC_KEY_TEMPLATE_ATTRIBUTE);

    if (c->alg != -1) {
        t_attr(c->pub_alg == -1 ? common : priv, major,
               "Cryptographic Algorithm",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
               NGX_KMIP_TYPE_ENUMERATION, c->alg);
    }

    if (c->pub_alg != -1) {
        t_attr(pub, major, "Cryptographic Algorithm",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
               NGX_KMIP_TYPE_ENUMERATION, c->pub_alg);
    }

    if (c->len) {
        t_attr(common, major, "Cryptographic Length",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, NGX_KMIP_TYPE_INTEGER,
               c->len);
    }

    if (c->curve) {
        dp = t_attr_struct(common, major, "Cryptographic Domain Parameters",
                           NGX_KMIP_TAG_CRYPTOGRAPHIC_DOMAIN_PARAMETERS);
        ngx_kmip_ttlv_add_enum(t_alloc(), dp, NGX_KMIP_TAG_RECOMMENDED_CURVE,
                               (uint32_t) c->curve);
    }

    t_attr(priv, major, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
           NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_SIGN);
    t_attr(pub, major, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
           NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_VERIFY);

    return t_run(t);
}


/* a key pair of the case (t_keypairs[which]) made: 1, and its keys */

ngx_uint_t
t_key_pair(ngx_uint_t major, ngx_uint_t which, ngx_str_t *priv,
    ngx_str_t *pub)
{
    ngx_kmip_item_t           *u, *v;
    ngx_kmip_response_item_t  *out;

    out = t_create_key_pair(major, &t_keypairs[which]);

    u = t_find(&out[0], NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER);
    v = t_find(&out[0], NGX_KMIP_TAG_PUBLIC_KEY_UNIQUE_IDENTIFIER);

    if (out[0].result_status != NGX_KMIP_STATUS_SUCCESS
        || u == NULL || v == NULL)
    {
        return 0;
    }

    priv->data = (u_char *) u->v.str.data;
    priv->len = u->v.str.len;
    pub->data = (u_char *) v->v.str.data;
    pub->len = v->v.str.len;

    return 1;
}


ngx_uint_t
t_pair_linked(ngx_str_t *priv, ngx_str_t *pub)
{
    return t_links_to(priv, NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK, pub)
           && t_links_to(pub, NGX_KMIP_LINK_TYPE_PRIVATE_KEY_LINK, priv);
}


ngx_uint_t
t_pair_served(ngx_uint_t major, ngx_str_t *priv, ngx_str_t *pub)
{
    return t_get_kft(major, pub, 0)[0].result_status
           == NGX_KMIP_STATUS_SUCCESS
           && t_get_kft(major, priv, 0)[0].result_status
              == NGX_KMIP_STATUS_SUCCESS;
}


static void
t_key_pairs(ngx_uint_t major)
{
    ngx_str_t                  priv, pub;
    ngx_uint_t                 i, before;
    ngx_kmip_item_t           *u;
    ngx_kmip_object_t         *kp, *kq;
    ngx_kmip_response_item_t  *out;

    for (i = 0; i < t_nelts(t_keypairs); i++) {
        before = t_mem->objects.nelts;
        out = t_create_key_pair(major, &t_keypairs[i]);

        if (t_keypairs[i].reason) {
            t_expect(&out[0], t_keypairs[i].reason, t_keypairs[i].name);
            CHECK(t_mem->objects.nelts == before, "and nothing is stored");
            continue;
        }

        u = t_find(&out[0], NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER);
        priv.data = u ? (u_char *) u->v.str.data : NULL;
        priv.len = u ? u->v.str.len : 0;
        u = t_find(&out[0], NGX_KMIP_TAG_PUBLIC_KEY_UNIQUE_IDENTIFIER);
        pub.data = u ? (u_char *) u->v.str.data : NULL;
        pub.len = u ? u->v.str.len : 0;

        kp = priv.len ? ngx_kmip_store_memory_find(t_mem, &priv) : NULL;
        kq = pub.len ? ngx_kmip_store_memory_find(t_mem, &pub) : NULL;

        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && kp && kq
              && kp->object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
              && kq->object_type == NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY
              && kp->material.len > kq->material.len,
              t_keypairs[i].name);

        if (kp == NULL || kq == NULL) {
            continue;
        }

        CHECK(t_pair_linked(&priv, &pub),
              "the keys of a pair link to each other");
        CHECK(t_kept_num(&priv, "Cryptographic Usage Mask")
              == NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_SIGN
              && t_kept_num(&pub, "Cryptographic Usage Mask")
                 == NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_VERIFY,
              "each key has its own attributes");
        CHECK(t_kept_num(&priv, "Cryptographic Length")
              == t_kept_num(&pub, "Cryptographic Length")
              && t_kept_num(&pub, "Cryptographic Length") > 0,
              "both keys have the length of the key made");
        CHECK(t_pair_served(major, &priv, &pub), "both keys are served");
    }
}


/*
 * A private key is served only as its attributes allow (KMIP 1.4 3.48,
 * 3.50; the requests are 1.4 and 2.1): Sensitive, only wrapped; not
 * Extractable, never; its public key all the same
 */

static void
t_private_key_rules(ngx_uint_t major)
{
    ngx_str_t           priv, pub;
    ngx_kmip_object_t  *kept;

    if (!t_key_pair(major, 1, &priv, &pub)) {
        CHECK(0, "a key pair for the private key rules");
        return;
    }

    kept = ngx_kmip_store_memory_find(t_mem, &priv);
    (void) ngx_kmip_attrs_set(t_alloc(), &kept->attributes, "Sensitive",
                              t_bool_value(1));

    t_expect(&t_get_kft(major, &priv, 0)[0],
             NGX_KMIP_REASON_SENSITIVE,
             "Get of a Sensitive private key, unwrapped: refused");
    CHECK(t_get_kft(major, &pub, 0)[0].result_status
          == NGX_KMIP_STATUS_SUCCESS,
          "its public key is served");

    kept = ngx_kmip_store_memory_find(t_mem, &priv);
    (void) ngx_kmip_attrs_set(t_alloc(), &kept->attributes, "Sensitive",
                              t_bool_value(0));
    (void) ngx_kmip_attrs_set(t_alloc(), &kept->attributes, "Extractable",
                              t_bool_value(0));

    t_expect(&t_get_kft(major, &priv, NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8)[0],
             NGX_KMIP_REASON_NOT_EXTRACTABLE,
             "Get of a private key that is not Extractable: refused");
}


/* a Boolean Attribute Value */

static ngx_kmip_item_t *
t_bool_value(ngx_uint_t b)
{
    ngx_kmip_item_t  *v;

    v = ngx_kmip_ttlv_item_new(t_alloc(), NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_BOOLEAN);
    if (v) {
        v->v.num = b;
    }

    return v;
}


/* the public key cannot be stored: the private one is destroyed */

static void
t_key_pair_half_stored(void)
{
    ngx_uint_t                 before, i, destroyed;
    ngx_kmip_object_t         *obj;
    ngx_kmip_response_item_t  *out;

    before = t_mem->objects.nelts;

    t_mem->fail = NGX_KMIP_STORE_UNAVAILABLE;
    t_mem->failures = 1;
    t_mem->spare = 1;

    out = t_create_key_pair(2, &t_keypairs[3]);

    t_mem->failures = 0;
    t_mem->spare = 0;

    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED
          && t_find(&out[0], NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER)
             == NULL,
          "a key pair whose public key is not stored fails");

    obj = t_mem->objects.elts;
    destroyed = 0;

    for (i = before; i < t_mem->objects.nelts; i++) {
        destroyed += (obj[i].destroyed && obj[i].material.len == 0);
    }

    CHECK(t_mem->objects.nelts == before + 1 && destroyed == 1,
          "and its private key is destroyed, not left behind");
}


void
t_pkeys(void)
{
    ngx_uint_t  major;

    for (major = 1; major <= 2; major++) {
        t_register_get_keys(major);
        t_register_refusals(major);
        t_register_certificate(major);
        t_split_key(major, 1);
        t_split_key(major, 0);
        t_key_pairs(major);
        t_private_key_rules(major);
    }

    t_key_pair_half_stored();
}
