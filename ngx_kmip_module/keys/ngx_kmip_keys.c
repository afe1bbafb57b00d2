
/*
 * Copyright (C) ngx_kmip authors
 */


#include <stdint.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "ngx_kmip_keys.h"


/*
 * Every DER a client sends is read twice: first its outer shape here (one
 * TLV spanning the bytes, the children the format names), then by
 * OpenSSL.  OpenSSL's decoders fall back from one structure to another
 * (a SubjectPublicKeyInfo passes for "type-specific" RSA), so the shape
 * is what makes the Key Format Type mean what it says.
 */


#define NGX_KMIP_DER_INTEGER       0x02
#define NGX_KMIP_DER_BIT_STRING    0x03
#define NGX_KMIP_DER_OCTET_STRING  0x04
#define NGX_KMIP_DER_OID           0x06
#define NGX_KMIP_DER_SEQUENCE      0x30
#define NGX_KMIP_DER_CONTEXT_0     0xA0

#define NGX_KMIP_KEYS_25519_LEN    32
#define NGX_KMIP_KEYS_POINT_MAX    (1 + 2 * 66)


typedef struct {
    uint32_t      curve;
    int           nid;
    int32_t       bits;
    const char   *group;
} ngx_kmip_keys_curve_t;


static const ngx_kmip_keys_curve_t  ngx_kmip_keys_curves[] = {
    { NGX_KMIP_RECOMMENDED_CURVE_P_256, NID_X9_62_prime256v1, 256, "P-256" },
    { NGX_KMIP_RECOMMENDED_CURVE_P_384, NID_secp384r1, 384, "P-384" },
    { NGX_KMIP_RECOMMENDED_CURVE_P_521, NID_secp521r1, 521, "P-521" },
    { 0, 0, 0, NULL }
};


/* OpenSSL's name of each NGX_KMIP_KEY_ type, by the type */
static const char  *ngx_kmip_keys_type_names[] = {
    NULL, "RSA", "EC", "ED25519", "X25519"
};


/* the fields of the Transparent RSA Private Key, in the spec's order */
static const uint32_t  ngx_kmip_keys_rsa_tags[] = {
    NGX_KMIP_TAG_MODULUS, NGX_KMIP_TAG_PRIVATE_EXPONENT,
    NGX_KMIP_TAG_PUBLIC_EXPONENT, NGX_KMIP_TAG_P, NGX_KMIP_TAG_Q,
    NGX_KMIP_TAG_PRIME_EXPONENT_P, NGX_KMIP_TAG_PRIME_EXPONENT_Q,
    NGX_KMIP_TAG_CRT_COEFFICIENT
};

static const char  *ngx_kmip_keys_rsa_params[] = {
    OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_E,
    OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
    OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
    OSSL_PKEY_PARAM_RSA_COEFFICIENT1
};

#define NGX_KMIP_KEYS_RSA_FIELDS                                              \
    (sizeof(ngx_kmip_keys_rsa_tags) / sizeof(ngx_kmip_keys_rsa_tags[0]))


static int ngx_kmip_keys_export(ngx_kmip_allocator_t *a,
    const ngx_kmip_key_t *key, uint32_t object_type, uint32_t format,
    ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err);
static EVP_PKEY *ngx_kmip_keys_load_pkey(const ngx_kmip_key_t *key,
    ngx_kmip_key_info_t *info, ngx_kmip_keys_error_t *err);
static int ngx_kmip_keys_shape_inner(const uint8_t *alg, size_t alg_len,
    const uint8_t *key, size_t key_len, ngx_kmip_keys_error_t *err);
static int ngx_kmip_keys_shape(const uint8_t *der, size_t len,
    uint32_t format, int is_private, ngx_kmip_keys_error_t *err);
static EVP_PKEY *ngx_kmip_keys_decode(const uint8_t *der, size_t len,
    const char *structure, const char *type, int selection,
    ngx_kmip_keys_error_t *err);
static EVP_PKEY *ngx_kmip_keys_load_format(const ngx_kmip_key_t *key,
    int is_private, ngx_kmip_keys_error_t *err);
static void *ngx_kmip_keys_d2i(const ASN1_ITEM *it, const uint8_t *der,
    size_t len);
static EVP_PKEY *ngx_kmip_keys_load_der(const ngx_kmip_key_t *key,
    int is_private, ngx_kmip_keys_error_t *err);
static EVP_PKEY *ngx_kmip_keys_load_raw(const ngx_kmip_key_t *key,
    int is_private, ngx_kmip_keys_error_t *err);
static EVP_PKEY *ngx_kmip_keys_load_rsa(const ngx_kmip_item_t *m,
    int is_private, ngx_kmip_keys_error_t *err);
static EVP_PKEY *ngx_kmip_keys_load_ec(const ngx_kmip_item_t *m,
    int is_private, ngx_kmip_keys_error_t *err);
static EVP_PKEY *ngx_kmip_keys_fromdata(const char *type, OSSL_PARAM_BLD *bld,
    int selection, ngx_kmip_keys_error_t *err);
static int ngx_kmip_keys_rsa_crt(BIGNUM **bn, ngx_kmip_keys_error_t *err);
static int ngx_kmip_keys_validate(EVP_PKEY *pkey,
    const ngx_kmip_key_info_t *info, ngx_kmip_keys_error_t *err);
static int ngx_kmip_keys_rsa_check(EVP_PKEY *pkey, int is_private);
static int ngx_kmip_keys_fields(const ngx_kmip_item_t *m,
    const uint32_t *tags, const uint8_t *types, size_t n,
    const ngx_kmip_item_t **found, ngx_kmip_keys_error_t *err);
static BIGNUM *ngx_kmip_keys_bn_of(const ngx_kmip_item_t *it);
static ngx_kmip_item_t *ngx_kmip_keys_add_bn(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, const BIGNUM *bn);
static const ngx_kmip_keys_curve_t *ngx_kmip_keys_curve(uint32_t curve,
    int nid, int32_t bits);
static void ngx_kmip_keys_info_ec(ngx_kmip_key_info_t *info,
    const ngx_kmip_keys_curve_t *c);
static int ngx_kmip_keys_store(ngx_kmip_allocator_t *a, EVP_PKEY *pkey,
    const ngx_kmip_key_info_t *info, uint32_t object_type, uint32_t format,
    ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err);
static int ngx_kmip_keys_encode(ngx_kmip_allocator_t *a, EVP_PKEY *pkey,
    int selection, const char *structure, ngx_kmip_item_t **out,
    ngx_kmip_keys_error_t *err);
static int ngx_kmip_keys_store_rsa(ngx_kmip_allocator_t *a, EVP_PKEY *pkey,
    int is_private, ngx_kmip_item_t *m, ngx_kmip_keys_error_t *err);
static int ngx_kmip_keys_store_ec(ngx_kmip_allocator_t *a, EVP_PKEY *pkey,
    const ngx_kmip_key_info_t *info, int is_private, ngx_kmip_item_t *m,
    ngx_kmip_keys_error_t *err);
static int ngx_kmip_keys_store_raw(ngx_kmip_allocator_t *a, EVP_PKEY *pkey,
    int is_private, ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err);
static int ngx_kmip_keys_der(EVP_PKEY *pkey, int selection,
    const char *structure, uint8_t **der, size_t *len);
static int ngx_kmip_keys_der_out(size_t *len, uint8_t *buf, size_t size,
    EVP_PKEY *pkey, int selection, const char *structure);


static const char  *ngx_kmip_keys_errors[] = {
    "ok",
    "out of memory",
    "the cryptographic algorithm is not supported",
    "the key length is not supported",
    "RSA keys of fewer than 2048 bits are refused",
    "the curve is not supported",
    "the key format type is not supported for this key",
    "the key is not valid DER of its format",
    "bytes after the key's DER",
    "the transparent key material is malformed",
    "the key fails its consistency check",
    "the declared algorithm or length is not the key's",
    "the public key does not match the private key",
    "the padding method is not supported",
    "the hashing algorithm is not supported",
    "the digital signature algorithm is not supported",
    "the mask generator is not supported",
    "the cryptographic parameters contradict each other or the key",
    "the key cannot be used for this operation",
    "the data does not fit the key or does not decrypt",
    "the cryptographic library failed"
};


const char *
ngx_kmip_keys_strerror(int rc)
{
    if (rc < 0 || (size_t) rc >= sizeof(ngx_kmip_keys_errors)
                                 / sizeof(ngx_kmip_keys_errors[0]))
    {
        return "unknown error";
    }

    return ngx_kmip_keys_errors[rc];
}


uint32_t
ngx_kmip_keys_reason(int rc)
{
    switch (rc) {

    case NGX_KMIP_KEYS_OK:
        return 0;

    case NGX_KMIP_KEYS_ERR_FORMAT:
        return NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED;

    case NGX_KMIP_KEYS_ERR_PADDING:
    case NGX_KMIP_KEYS_ERR_HASH:
    case NGX_KMIP_KEYS_ERR_SIGNATURE:
    case NGX_KMIP_KEYS_ERR_MASK:
    case NGX_KMIP_KEYS_ERR_CONFLICT:
        return NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS;

    case NGX_KMIP_KEYS_ERR_KEY_USE:
        return NGX_KMIP_REASON_INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK;

    case NGX_KMIP_KEYS_ERR_DATA:
    case NGX_KMIP_KEYS_ERR_CRYPTO:
        return NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE;

    case NGX_KMIP_KEYS_ERR_NOMEM:
        return NGX_KMIP_REASON_GENERAL_FAILURE;

    default:
        /* algorithm, length, curve, encoding, structure, pair ... */
        return NGX_KMIP_REASON_INVALID_FIELD;
    }
}


int
ngx_kmip_keys_fail(ngx_kmip_keys_error_t *err, int rc, const char *what)
{
    if (err) {
        err->rc = rc;
        err->what = what ? what : ngx_kmip_keys_strerror(rc);
    }

    if (rc != NGX_KMIP_KEYS_OK) {
        /*
         * a failure here is answered, not logged: leave nothing in the
         * thread's error queue for nginx to report after a later TLS error
         */
        ERR_clear_error();
    }

    return rc;
}


int
ngx_kmip_keys_inspect(const ngx_kmip_key_t *key, ngx_kmip_key_info_t *info,
    ngx_kmip_keys_error_t *err)
{
    int                   rc;
    EVP_PKEY             *pkey;
    ngx_kmip_key_info_t   ki;

    rc = ngx_kmip_keys_load(key, &pkey, info ? info : &ki, err);
    if (rc != NGX_KMIP_KEYS_OK) {
        return rc;
    }

    EVP_PKEY_free(pkey);

    return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
}


int
ngx_kmip_keys_check_declared(const ngx_kmip_key_info_t *info,
    uint32_t algorithm, int32_t length, ngx_kmip_keys_error_t *err)
{
    int  ok;

    ok = 1;

    if (algorithm != 0 && algorithm != info->algorithm) {
        switch (info->type) {

        case NGX_KMIP_KEY_EC:
            ok = algorithm == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECDSA
                 || algorithm == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECDH
                 || algorithm == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECMQV;
            break;

        case NGX_KMIP_KEY_X25519:
            ok = algorithm == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECDH;
            break;

        default:
            ok = 0;
        }
    }

    if (length != 0 && length != info->length) {
        /* 255 bits of field, 256 of key bytes: both are in use */
        ok = ok && (info->type == NGX_KMIP_KEY_ED25519
                    || info->type == NGX_KMIP_KEY_X25519)
             && length == 255;
    }

    return ngx_kmip_keys_fail(err, ok ? NGX_KMIP_KEYS_OK
                                      : NGX_KMIP_KEYS_ERR_MISMATCH, NULL);
}


int
ngx_kmip_keys_check_pair(const ngx_kmip_key_t *priv, const ngx_kmip_key_t *pub,
    ngx_kmip_keys_error_t *err)
{
    int                   rc;
    EVP_PKEY             *sk, *pk;
    ngx_kmip_key_info_t   si, pi;

    if (priv->object_type != NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
        || pub->object_type != NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_PAIR,
                                  "not a private key and a public key");
    }

    rc = ngx_kmip_keys_load(priv, &sk, &si, err);
    if (rc != NGX_KMIP_KEYS_OK) {
        return rc;
    }

    rc = ngx_kmip_keys_load(pub, &pk, &pi, err);
    if (rc != NGX_KMIP_KEYS_OK) {
        EVP_PKEY_free(sk);
        return rc;
    }

    /* compares the public components (and the domain parameters) only */
    rc = (si.type == pi.type && EVP_PKEY_eq(sk, pk) == 1)
         ? NGX_KMIP_KEYS_OK : NGX_KMIP_KEYS_ERR_PAIR;

    EVP_PKEY_free(sk);
    EVP_PKEY_free(pk);

    return ngx_kmip_keys_fail(err, rc, NULL);
}


int
ngx_kmip_keys_format_defined(unsigned type, uint32_t object_type,
    uint32_t format)
{
    int  priv;

    if (object_type != NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
        && object_type != NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY)
    {
        return 0;
    }

    priv = object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY;

    switch (format) {

    case NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1:
        return type == NGX_KMIP_KEY_RSA;

    case NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8:
        return priv;

    case NGX_KMIP_KEY_FORMAT_TYPE_X_509:
        return !priv;

    case NGX_KMIP_KEY_FORMAT_TYPE_ECPRIVATEKEY:
        return priv && type == NGX_KMIP_KEY_EC;

    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_RSA_PRIVATE_KEY:
        return priv && type == NGX_KMIP_KEY_RSA;

    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_RSA_PUBLIC_KEY:
        return !priv && type == NGX_KMIP_KEY_RSA;

    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_EC_PRIVATE_KEY:
    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_ECDSA_PRIVATE_KEY:
    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_ECDH_PRIVATE_KEY:
    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_ECMQV_PRIVATE_KEY:
        return priv && type == NGX_KMIP_KEY_EC;

    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_EC_PUBLIC_KEY:
    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_ECDSA_PUBLIC_KEY:
    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_ECDH_PUBLIC_KEY:
    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_ECMQV_PUBLIC_KEY:
        return !priv && type == NGX_KMIP_KEY_EC;

    case NGX_KMIP_KEY_FORMAT_TYPE_RAW:
        return type == NGX_KMIP_KEY_ED25519 || type == NGX_KMIP_KEY_X25519;

    default:
        return 0;
    }
}


int
ngx_kmip_keys_convert(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *key,
    uint32_t format, ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err)
{
    return ngx_kmip_keys_export(a, key, key->object_type, format, out, err);
}


int
ngx_kmip_keys_public_of(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *priv,
    uint32_t format, ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err)
{
    if (priv->object_type != NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_KEY_USE,
                                  "not a private key");
    }

    return ngx_kmip_keys_export(a, priv, NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY,
                                format, out, err);
}


/* the key, or a private key's public half, in format */

static int
ngx_kmip_keys_export(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *key,
    uint32_t object_type, uint32_t format, ngx_kmip_item_t **out,
    ngx_kmip_keys_error_t *err)
{
    int                   rc;
    EVP_PKEY             *pkey;
    ngx_kmip_key_info_t   info;

    rc = ngx_kmip_keys_load(key, &pkey, &info, err);
    if (rc != NGX_KMIP_KEYS_OK) {
        return rc;
    }

    rc = ngx_kmip_keys_store(a, pkey, &info, object_type, format, out, err);
    EVP_PKEY_free(pkey);

    return rc;
}


void
ngx_kmip_keys_wipe_item(ngx_kmip_item_t *item)
{
    ngx_kmip_item_t  *kid;

    if (item == NULL) {
        return;
    }

    switch (item->type) {

    case NGX_KMIP_TYPE_STRUCTURE:
        for (kid = item->v.kids.first; kid; kid = kid->next) {
            ngx_kmip_keys_wipe_item(kid);
        }

        break;

    case NGX_KMIP_TYPE_BYTE_STRING:
    case NGX_KMIP_TYPE_BIG_INTEGER:
    case NGX_KMIP_TYPE_TEXT_STRING:
        if (item->v.str.len) {
            /* the bytes are the allocator's, written by this layer */
            OPENSSL_cleanse((void *) (uintptr_t) item->v.str.data,
                            item->v.str.len);
        }

        break;

    default:
        item->v.num = 0;
    }
}


int
ngx_kmip_keys_load(const ngx_kmip_key_t *key, EVP_PKEY **pkey,
    ngx_kmip_key_info_t *info, ngx_kmip_keys_error_t *err)
{
    ngx_kmip_keys_error_t  e;

    /* the steps below report to e, so that the code is known here */
    e.rc = NGX_KMIP_KEYS_OK;
    e.what = NULL;

    *pkey = ngx_kmip_keys_load_pkey(key, info, &e);

    return ngx_kmip_keys_fail(err, e.rc, e.what);
}


/* the key that the material holds, by its format */
static EVP_PKEY *
ngx_kmip_keys_load_format(const ngx_kmip_key_t *key, int is_private,
    ngx_kmip_keys_error_t *err)
{
    unsigned  type;

    switch (key->format) {

    case NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1:
    case NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8:
    case NGX_KMIP_KEY_FORMAT_TYPE_X_509:
    case NGX_KMIP_KEY_FORMAT_TYPE_ECPRIVATEKEY:
        return ngx_kmip_keys_load_der(key, is_private, err);

    case NGX_KMIP_KEY_FORMAT_TYPE_RAW:
        return ngx_kmip_keys_load_raw(key, is_private, err);

    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_RSA_PRIVATE_KEY:
    case NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_RSA_PUBLIC_KEY:
        type = NGX_KMIP_KEY_RSA;
        break;

    default:
        type = NGX_KMIP_KEY_EC;
    }

    /* a Transparent format names the key's type and its half: both hold */
    if (!ngx_kmip_keys_format_defined(type, key->object_type, key->format)) {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_FORMAT, NULL);
        return NULL;
    }

    return type == NGX_KMIP_KEY_RSA
           ? ngx_kmip_keys_load_rsa(key->material, is_private, err)
           : ngx_kmip_keys_load_ec(key->material, is_private, err);
}


static EVP_PKEY *
ngx_kmip_keys_load_pkey(const ngx_kmip_key_t *key, ngx_kmip_key_info_t *info,
    ngx_kmip_keys_error_t *err)
{
    int        is_private;
    EVP_PKEY  *pkey;

    if (key->object_type != NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
        && key->object_type != NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY)
    {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_FORMAT,
                           "not a public or a private key");
        return NULL;
    }

    if (key->material == NULL) {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                           "no key material");
        return NULL;
    }

    is_private = key->object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY;

    pkey = ngx_kmip_keys_load_format(key, is_private, err);
    if (pkey == NULL) {
        return NULL;
    }

    if (ngx_kmip_keys_info_of(pkey, is_private, info, err) != NGX_KMIP_KEYS_OK
        || ngx_kmip_keys_validate(pkey, info, err) != NGX_KMIP_KEYS_OK)
    {
        EVP_PKEY_free(pkey);
        return NULL;
    }

    /* PKCS#8 and X.509 hold any key; the others say which */
    if (!ngx_kmip_keys_format_defined(info->type, key->object_type,
                                      key->format))
    {
        EVP_PKEY_free(pkey);
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_FORMAT, NULL);
        return NULL;
    }

    return pkey;
}


int
ngx_kmip_keys_info_of(EVP_PKEY *pkey, int is_private,
    ngx_kmip_key_info_t *info, ngx_kmip_keys_error_t *err)
{
    int                           nid;
    char                          group[64];
    size_t                        len;
    const ngx_kmip_keys_curve_t  *c;

    memset(info, 0, sizeof(ngx_kmip_key_info_t));
    info->is_private = is_private ? 1 : 0;

    if (EVP_PKEY_is_a(pkey, "RSA")) {
        info->type = NGX_KMIP_KEY_RSA;
        info->algorithm = NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA;
        info->length = EVP_PKEY_get_bits(pkey);

        if (info->length < NGX_KMIP_KEYS_RSA_MIN_BITS
            || info->length > NGX_KMIP_KEYS_RSA_MAX_BITS)
        {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_LENGTH,
                                      "RSA moduli of 1024 to 8192 bits only");
        }

        return NGX_KMIP_KEYS_OK;
    }

    if (EVP_PKEY_is_a(pkey, "EC")) {
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                           group, sizeof(group), &len)
            != 1)
        {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CURVE,
                                      "EC keys on named curves only");
        }

        nid = OBJ_txt2nid(group);
        if (nid == NID_undef) {
            nid = EC_curve_nist2nid(group);
        }

        c = ngx_kmip_keys_curve(0, nid, 0);
        if (c == NULL) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CURVE,
                                      "EC keys on P-256, P-384, P-521 only");
        }

        ngx_kmip_keys_info_ec(info, c);
        return NGX_KMIP_KEYS_OK;
    }

    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        info->type = NGX_KMIP_KEY_ED25519;
        info->algorithm = NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ED25519;

    } else if (EVP_PKEY_is_a(pkey, "X25519")) {
        info->type = NGX_KMIP_KEY_X25519;
        info->algorithm = NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_EC;

    } else {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ALGORITHM, NULL);
    }

    info->length = 8 * NGX_KMIP_KEYS_25519_LEN;
    info->curve = NGX_KMIP_RECOMMENDED_CURVE_CURVE25519;

    return NGX_KMIP_KEYS_OK;
}


static int
ngx_kmip_keys_validate(EVP_PKEY *pkey, const ngx_kmip_key_info_t *info,
    ngx_kmip_keys_error_t *err)
{
    int            rc;
    EVP_PKEY_CTX  *ctx;

    /* OpenSSL derives a 25519 public key from its private key: no check */
    if (info->type == NGX_KMIP_KEY_ED25519
        || info->type == NGX_KMIP_KEY_X25519)
    {
        return NGX_KMIP_KEYS_OK;
    }

    /*
     * OpenSSL's RSA checks test the primes (a quarter of a second for an
     * RSA 4096 private key, 20 ms for its public key, on the event loop of
     * a Register or a Get): the arithmetic of the key is checked here
     * instead, in microseconds
     */
    if (info->type == NGX_KMIP_KEY_RSA) {
        return ngx_kmip_keys_fail(err, ngx_kmip_keys_rsa_check(pkey,
                                                        info->is_private),
                                  NULL);
    }

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    /* EC: Q = d G for a private key, Q on the curve for a public key */
    rc = info->is_private ? EVP_PKEY_pairwise_check(ctx)
                          : EVP_PKEY_public_check(ctx);
    EVP_PKEY_CTX_free(ctx);

    return ngx_kmip_keys_fail(err, rc == 1 ? NGX_KMIP_KEYS_OK
                                           : NGX_KMIP_KEYS_ERR_INVALID, NULL);
}


/*
 * n odd, e odd in (1, n); and for a private key n = p q, d e = 1 modulo
 * p - 1 and q - 1 (so modulo their lcm), dP, dQ and qInv what they say:
 * the key signs what its public key verifies.  The primality of p and q
 * is the key owner's business.
 */

static int
ngx_kmip_keys_rsa_check(EVP_PKEY *pkey, int is_private)
{
    int       ok;
    size_t    i, n;
    BIGNUM   *bn[NGX_KMIP_KEYS_RSA_FIELDS], *t, *u, *p1, *q1;
    BN_CTX   *ctx;

    memset(bn, 0, sizeof(bn));
    n = is_private ? NGX_KMIP_KEYS_RSA_FIELDS : 3;
    ok = 1;

    for (i = 0; ok && i < n; i++) {
        /* public: the Modulus and the Public Exponent */
        if (!is_private && i == 1) {
            continue;
        }

        ok = EVP_PKEY_get_bn_param(pkey, ngx_kmip_keys_rsa_params[i], &bn[i])
             == 1;
    }

    /* 0 n, 1 d, 2 e, 3 p, 4 q, 5 dP, 6 dQ, 7 qInv */
    ok = ok && BN_is_odd(bn[0]) && BN_is_odd(bn[2]) && !BN_is_one(bn[2])
         && BN_cmp(bn[2], bn[0]) < 0;

    if (ok && is_private) {
        ctx = BN_CTX_secure_new();
        BN_CTX_start(ctx);
        t = BN_CTX_get(ctx);
        u = BN_CTX_get(ctx);
        p1 = BN_CTX_get(ctx);
        q1 = BN_CTX_get(ctx);

        ok = q1 != NULL
             && BN_mul(t, bn[3], bn[4], ctx) && BN_cmp(t, bn[0]) == 0
             && BN_sub(p1, bn[3], BN_value_one())
             && BN_sub(q1, bn[4], BN_value_one())
             && BN_mul(t, bn[1], bn[2], ctx)
             && BN_mod(u, t, p1, ctx) && BN_is_one(u)
             && BN_mod(u, t, q1, ctx) && BN_is_one(u)
             && BN_mod(u, bn[1], p1, ctx) && BN_cmp(u, bn[5]) == 0
             && BN_mod(u, bn[1], q1, ctx) && BN_cmp(u, bn[6]) == 0
             && BN_mod_mul(u, bn[7], bn[4], bn[3], ctx) && BN_is_one(u);

        BN_CTX_end(ctx);
        BN_CTX_free(ctx);
    }

    for (i = 0; i < NGX_KMIP_KEYS_RSA_FIELDS; i++) {
        BN_clear_free(bn[i]);
    }

    return ok ? NGX_KMIP_KEYS_OK : NGX_KMIP_KEYS_ERR_INVALID;
}


/* one TLV of DER: one-byte tags, definite lengths of up to 4 bytes */

int
ngx_kmip_keys_der_next(const uint8_t **p, const uint8_t *end, unsigned *tag,
    const uint8_t **val, size_t *len)
{
    size_t          n, i, l;
    const uint8_t  *q;

    q = *p;

    if (end - q < 2 || (q[0] & 0x1f) == 0x1f) {
        return -1;
    }

    *tag = q[0];
    n = q[1];
    q += 2;

    if (n & 0x80) {
        i = n & 0x7f;

        /* no indefinite length (BER), no length longer than it needs */
        if (i == 0 || i > 4 || (size_t) (end - q) < i || q[0] == 0) {
            return -1;
        }

        for (l = 0; i; i--) {
            l = (l << 8) | *q++;
        }

        if (l < 0x80) {
            return -1;
        }

        n = l;
    }

    if ((size_t) (end - q) < n) {
        return -1;
    }

    *val = q;
    *len = n;
    *p = q + n;

    return 0;
}


static int
ngx_kmip_keys_shape(const uint8_t *der, size_t len, uint32_t format,
    int is_private, ngx_kmip_keys_error_t *err)
{
    int             rc;
    size_t          n, count, vlen, alg_len;
    unsigned        tag, want[9];
    const uint8_t  *p, *end, *val, *body, *alg;

    p = der;
    end = der + len;

    if (ngx_kmip_keys_der_next(&p, end, &tag, &body, &n) != 0
        || tag != NGX_KMIP_DER_SEQUENCE)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                  "the key is not one DER SEQUENCE");
    }

    if (p != end) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_TRAILING, NULL);
    }

    /* the children the format starts with */
    switch (format) {

    case NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1:
        /* RSAPrivateKey: version 0 (two primes) and 8 INTEGERs;
           RSAPublicKey: 2 INTEGERs */
        count = is_private ? 9 : 2;
        for (n = 0; n < count; n++) {
            want[n] = NGX_KMIP_DER_INTEGER;
        }

        break;

    case NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8:
        count = 3;
        want[0] = NGX_KMIP_DER_INTEGER;
        want[1] = NGX_KMIP_DER_SEQUENCE;
        want[2] = NGX_KMIP_DER_OCTET_STRING;
        break;

    case NGX_KMIP_KEY_FORMAT_TYPE_X_509:
        count = 2;
        want[0] = NGX_KMIP_DER_SEQUENCE;
        want[1] = NGX_KMIP_DER_BIT_STRING;
        break;

    default: /* ECPrivateKey, its curve named: RFC 5915 */
        count = 3;
        want[0] = NGX_KMIP_DER_INTEGER;
        want[1] = NGX_KMIP_DER_OCTET_STRING;
        want[2] = NGX_KMIP_DER_CONTEXT_0;
    }

    /* the SEQUENCE spans the input: its body ends where the input does */
    p = body;
    alg = NULL;
    alg_len = 0;

    for (n = 0; n < count; n++) {
        if (ngx_kmip_keys_der_next(&p, end, &tag, &val, &vlen) != 0
            || tag != want[n])
        {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                      "the DER is not of the key format");
        }

        if (format == NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8 && n == 1) {
            alg = val;
            alg_len = vlen;
        }

        if (format == NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8 && n == 2
            && is_private)
        {
            /* the key inside has the shape of its own format too */
            rc = ngx_kmip_keys_shape_inner(alg, alg_len, val, vlen, err);
            if (rc != NGX_KMIP_KEYS_OK) {
                return rc;
            }
        }

        if (n == 0 && (format == NGX_KMIP_KEY_FORMAT_TYPE_ECPRIVATEKEY
                       || (format == NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1
                           && is_private)))
        {
            /* the version: 1 for ECPrivateKey, 0 for RSAPrivateKey */
            if (vlen != 1
                || val[0] != (format == NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1
                              ? 0 : 1))
            {
                return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                          "an unknown version of the key's "
                                          "structure");
            }
        }
    }

    /* RSAPrivateKey, RSAPublicKey, SubjectPublicKeyInfo: nothing more */
    if (p != end && (format == NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1
                     || format == NGX_KMIP_KEY_FORMAT_TYPE_X_509))
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                  "the DER has more fields than the format");
    }

    return NGX_KMIP_KEYS_OK;
}


/*
 * The private key a PKCS#8 PrivateKeyInfo holds (its privateKey OCTET
 * STRING), by the algorithm of its AlgorithmIdentifier: an RSAPrivateKey
 * has the shape of PKCS#1, an ECPrivateKey its version 1, so that a key
 * OpenSSL would read leniently (an ECPrivateKey of another version) is
 * refused here as it is when sent bare. The 25519 keys hold an OCTET
 * STRING, which OpenSSL checks.
 */

static int
ngx_kmip_keys_shape_inner(const uint8_t *alg, size_t alg_len,
    const uint8_t *key, size_t key_len, ngx_kmip_keys_error_t *err)
{
    size_t          n;
    unsigned        tag;
    const uint8_t  *p, *oid, *body, *val;

    static const uint8_t  rsa[] = {     /* 1.2.840.113549.1.1.1 */
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01
    };
    static const uint8_t  ec[] = {      /* 1.2.840.10045.2.1 */
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01
    };

    p = alg;

    if (ngx_kmip_keys_der_next(&p, alg + alg_len, &tag, &oid, &n) != 0
        || tag != NGX_KMIP_DER_OID)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                  "the key's algorithm is not an OID");
    }

    if (n == sizeof(rsa) && memcmp(oid, rsa, n) == 0) {
        return ngx_kmip_keys_shape(key, key_len,
                                   NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1, 1, err);
    }

    if (n != sizeof(ec) || memcmp(oid, ec, n) != 0) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
    }

    /*
     * an ECPrivateKey whose curve the AlgorithmIdentifier names: version
     * 1 and the private key; its [0] parameters and [1] public key are
     * optional (RFC 5915 3, RFC 5208 5)
     */

    p = key;

    if (ngx_kmip_keys_der_next(&p, key + key_len, &tag, &body, &n) != 0
        || tag != NGX_KMIP_DER_SEQUENCE || p != key + key_len)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                  "the private key is not one DER "
                                  "SEQUENCE");
    }

    p = body;

    if (ngx_kmip_keys_der_next(&p, key + key_len, &tag, &val, &n) != 0
        || tag != NGX_KMIP_DER_INTEGER || n != 1 || val[0] != 1
        || ngx_kmip_keys_der_next(&p, key + key_len, &tag, &val, &n) != 0
        || tag != NGX_KMIP_DER_OCTET_STRING)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                  "an unknown version of the key's "
                                  "structure");
    }

    return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
}


/*
 * The DER as one whole ASN.1 structure of the item `it`; NULL when it is
 * not one, or when anything follows it
 */
static void *
ngx_kmip_keys_d2i(const ASN1_ITEM *it, const uint8_t *der, size_t len)
{
    ASN1_VALUE     *v;
    const uint8_t  *p;

    p = der;

    v = ASN1_item_d2i(NULL, &p, (long) len, it);
    if (v != NULL && p != der + len) {
        ASN1_item_free(v, it);
        return NULL;
    }

    return v;
}


static EVP_PKEY *
ngx_kmip_keys_load_der(const ngx_kmip_key_t *key, int is_private,
    ngx_kmip_keys_error_t *err)
{
    size_t                  len;
    EVP_PKEY               *pkey;
    const char             *what;
    X509_PUBKEY            *pub;
    const uint8_t          *der;
    PKCS8_PRIV_KEY_INFO    *p8;
    const ngx_kmip_item_t  *m;

    m = key->material;

    if (m->type != NGX_KMIP_TYPE_BYTE_STRING) {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                           "the key material of a DER format is a Byte String");
        return NULL;
    }

    der = m->v.str.data;
    len = m->v.str.len;

    if ((key->format == NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8
         || key->format == NGX_KMIP_KEY_FORMAT_TYPE_ECPRIVATEKEY)
        != is_private
        && key->format != NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1)
    {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_FORMAT, NULL);
        return NULL;
    }

    if (ngx_kmip_keys_shape(der, len, key->format, is_private, err)
        != NGX_KMIP_KEYS_OK)
    {
        return NULL;
    }

    switch (key->format) {

    case NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8:
        p8 = ngx_kmip_keys_d2i(ASN1_ITEM_rptr(PKCS8_PRIV_KEY_INFO), der, len);
        if (p8 == NULL) {
            ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                               "not a PKCS#8 PrivateKeyInfo");
            return NULL;
        }

        pkey = EVP_PKCS82PKEY(p8);
        PKCS8_PRIV_KEY_INFO_free(p8);
        what = "a PKCS#8 key of an unknown algorithm, or malformed";
        break;

    case NGX_KMIP_KEY_FORMAT_TYPE_X_509:
        /* what d2i_PUBKEY() does, with the whole DER read */
        pub = ngx_kmip_keys_d2i(ASN1_ITEM_rptr(X509_PUBKEY), der, len);
        pkey = pub ? X509_PUBKEY_get(pub) : NULL;
        X509_PUBKEY_free(pub);
        what = "not a SubjectPublicKeyInfo of a known algorithm";
        break;

    case NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1:
        return ngx_kmip_keys_decode(der, len, "type-specific", "RSA",
                                    is_private ? EVP_PKEY_KEYPAIR
                                               : EVP_PKEY_PUBLIC_KEY, err);

    default:
        return ngx_kmip_keys_decode(der, len, "type-specific", "EC",
                                    EVP_PKEY_KEYPAIR, err);
    }

    if (pkey == NULL) {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING, what);
    }

    return pkey;
}


static EVP_PKEY *
ngx_kmip_keys_decode(const uint8_t *der, size_t len, const char *structure,
    const char *type, int selection, ngx_kmip_keys_error_t *err)
{
    size_t              left;
    EVP_PKEY           *pkey;
    const uint8_t      *p;
    OSSL_DECODER_CTX   *dctx;

    pkey = NULL;

    dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", structure, type,
                                         selection, NULL, NULL);
    if (dctx == NULL) {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
        return NULL;
    }

    p = der;
    left = len;

    if (OSSL_DECODER_from_data(dctx, &p, &left) != 1 || left != 0
        || pkey == NULL)
    {
        OSSL_DECODER_CTX_free(dctx);
        EVP_PKEY_free(pkey);
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                           "the DER does not decode as the format's key");
        return NULL;
    }

    OSSL_DECODER_CTX_free(dctx);

    return pkey;
}


static EVP_PKEY *
ngx_kmip_keys_load_raw(const ngx_kmip_key_t *key, int is_private,
    ngx_kmip_keys_error_t *err)
{
    const char             *name;
    EVP_PKEY               *pkey;
    const ngx_kmip_item_t  *m;

    m = key->material;

    switch (key->algorithm) {

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ED25519:
        name = "ED25519";
        break;

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_EC:
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECDH:
        name = "X25519";
        break;

    default:
        /* the bytes alone do not say what key they are */
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_FORMAT,
                           "Raw asymmetric keys are Ed25519 and X25519 keys, "
                           "named by their Cryptographic Algorithm");
        return NULL;
    }

    if (m->type != NGX_KMIP_TYPE_BYTE_STRING
        || m->v.str.len != NGX_KMIP_KEYS_25519_LEN)
    {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                           "a Raw 25519 key is a Byte String of 32 bytes");
        return NULL;
    }

    pkey = is_private
           ? EVP_PKEY_new_raw_private_key_ex(NULL, name, NULL, m->v.str.data,
                                             m->v.str.len)
           : EVP_PKEY_new_raw_public_key_ex(NULL, name, NULL, m->v.str.data,
                                            m->v.str.len);
    if (pkey == NULL) {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_INVALID, NULL);
    }

    return pkey;
}


static EVP_PKEY *
ngx_kmip_keys_load_rsa(const ngx_kmip_item_t *m, int is_private,
    ngx_kmip_keys_error_t *err)
{
    int                     rc;
    size_t                  i, n;
    BIGNUM                 *bn[NGX_KMIP_KEYS_RSA_FIELDS];
    uint8_t                 types[NGX_KMIP_KEYS_RSA_FIELDS];
    EVP_PKEY               *pkey;
    OSSL_PARAM_BLD         *bld;
    const ngx_kmip_item_t  *found[NGX_KMIP_KEYS_RSA_FIELDS];
    static const uint32_t   pub_tags[] = {
        NGX_KMIP_TAG_MODULUS, NGX_KMIP_TAG_PUBLIC_EXPONENT
    };

    n = is_private ? NGX_KMIP_KEYS_RSA_FIELDS : 2;
    memset(types, NGX_KMIP_TYPE_BIG_INTEGER, sizeof(types));

    if (ngx_kmip_keys_fields(m, is_private ? ngx_kmip_keys_rsa_tags
                                           : pub_tags,
                             types, n, found, err)
        != NGX_KMIP_KEYS_OK)
    {
        return NULL;
    }

    if (!is_private) {
        /* the public fields in the order of the private ones */
        found[2] = found[1];
        found[1] = NULL;
    }

    memset(bn, 0, sizeof(bn));
    pkey = NULL;
    rc = NGX_KMIP_KEYS_OK;

    for (i = 0; i < NGX_KMIP_KEYS_RSA_FIELDS && rc == NGX_KMIP_KEYS_OK; i++)
    {
        if (i < (is_private ? NGX_KMIP_KEYS_RSA_FIELDS : 3) && found[i]) {
            bn[i] = ngx_kmip_keys_bn_of(found[i]);
            if (bn[i] == NULL) {
                rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                        "a Big Integer of an RSA key is "
                                        "empty or negative");
            }
        }
    }

    if (rc == NGX_KMIP_KEYS_OK && (bn[0] == NULL || bn[2] == NULL
                                   || (is_private && bn[1] == NULL)))
    {
        rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                is_private
                                ? "a Transparent RSA Private Key needs the "
                                  "Modulus and both exponents"
                                : "a Transparent RSA Public Key needs the "
                                  "Modulus and the Public Exponent");
    }

    if (rc == NGX_KMIP_KEYS_OK && is_private) {
        rc = ngx_kmip_keys_rsa_crt(bn, err);
    }

    if (rc == NGX_KMIP_KEYS_OK) {
        bld = OSSL_PARAM_BLD_new();

        for (i = 0; bld && i < NGX_KMIP_KEYS_RSA_FIELDS; i++) {
            if (bn[i] && !OSSL_PARAM_BLD_push_BN(bld,
                                                 ngx_kmip_keys_rsa_params[i],
                                                 bn[i]))
            {
                OSSL_PARAM_BLD_free(bld);
                bld = NULL;
            }
        }

        if (bld == NULL) {
            ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);

        } else {
            pkey = ngx_kmip_keys_fromdata("RSA", bld,
                                          is_private ? EVP_PKEY_KEYPAIR
                                                     : EVP_PKEY_PUBLIC_KEY,
                                          err);
        }
    }

    for (i = 0; i < NGX_KMIP_KEYS_RSA_FIELDS; i++) {
        BN_clear_free(bn[i]);
    }

    return pkey;
}


/*
 * A Transparent RSA Private Key may carry P and Q without the CRT values,
 * or all of them; OpenSSL's RSA wants either none or all.  Without P and
 * Q the key could not be checked against its modulus: refused.
 */

static int
ngx_kmip_keys_rsa_crt(BIGNUM **bn, ngx_kmip_keys_error_t *err)
{
    int      ok;
    BIGNUM  *t;
    BN_CTX  *ctx;

    if (bn[3] == NULL || bn[4] == NULL) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                  "a Transparent RSA Private Key without P "
                                  "and Q is not supported");
    }

    if (bn[5] && bn[6] && bn[7]) {
        return NGX_KMIP_KEYS_OK;
    }

    if (bn[5] || bn[6] || bn[7]) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                  "some of the CRT values only");
    }

    ctx = BN_CTX_secure_new();
    t = BN_secure_new();
    bn[5] = BN_secure_new();
    bn[6] = BN_secure_new();
    bn[7] = BN_secure_new();

    ok = ctx && t && bn[5] && bn[6] && bn[7]
         /* dP = d mod (p - 1), dQ = d mod (q - 1), qInv = q^-1 mod p */
         && BN_sub(t, bn[3], BN_value_one())
         && BN_mod(bn[5], bn[1], t, ctx)
         && BN_sub(t, bn[4], BN_value_one())
         && BN_mod(bn[6], bn[1], t, ctx)
         && BN_mod_inverse(bn[7], bn[4], bn[3], ctx) != NULL;

    BN_clear_free(t);
    BN_CTX_free(ctx);

    return ngx_kmip_keys_fail(err, ok ? NGX_KMIP_KEYS_OK
                                      : NGX_KMIP_KEYS_ERR_INVALID, NULL);
}


static EVP_PKEY *
ngx_kmip_keys_load_ec(const ngx_kmip_item_t *m, int is_private,
    ngx_kmip_keys_error_t *err)
{
    int                           ok;
    size_t                        plen;
    uint8_t                       point[NGX_KMIP_KEYS_POINT_MAX];
    BIGNUM                       *d;
    BN_CTX                       *ctx;
    EC_GROUP                     *group;
    EC_POINT                     *q;
    EVP_PKEY                     *pkey;
    OSSL_PARAM_BLD               *bld;
    const ngx_kmip_item_t        *found[2];
    const ngx_kmip_keys_curve_t  *c;
    static const uint32_t         tags_private[] = {
        NGX_KMIP_TAG_RECOMMENDED_CURVE, NGX_KMIP_TAG_D
    };
    static const uint32_t         tags_public[] = {
        NGX_KMIP_TAG_RECOMMENDED_CURVE, NGX_KMIP_TAG_Q_STRING
    };
    static const uint8_t          types_private[] = {
        NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_TYPE_BIG_INTEGER
    };
    static const uint8_t          types_public[] = {
        NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_TYPE_BYTE_STRING
    };

    if (ngx_kmip_keys_fields(m, is_private ? tags_private : tags_public,
                             is_private ? types_private : types_public, 2,
                             found, err)
        != NGX_KMIP_KEYS_OK)
    {
        return NULL;
    }

    if (found[0] == NULL || found[1] == NULL) {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                           is_private
                           ? "a Transparent EC Private Key needs the "
                             "Recommended Curve and D"
                           : "a Transparent EC Public Key needs the "
                             "Recommended Curve and the Q String");
        return NULL;
    }

    if (found[0]->v.num == NGX_KMIP_RECOMMENDED_CURVE_CURVE25519) {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_FORMAT,
                           "Curve25519 keys are PKCS#8, X.509 or Raw");
        return NULL;
    }

    c = ngx_kmip_keys_curve((uint32_t) found[0]->v.num, 0, 0);
    if (c == NULL) {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CURVE, NULL);
        return NULL;
    }

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                            c->group, 0)
        || !OSSL_PARAM_BLD_push_utf8_string(bld,
                                  OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                  "uncompressed", 0))
    {
        OSSL_PARAM_BLD_free(bld);
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
        return NULL;
    }

    if (!is_private) {
        if (!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                              found[1]->v.str.data,
                                              found[1]->v.str.len))
        {
            OSSL_PARAM_BLD_free(bld);
            ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
            return NULL;
        }

        return ngx_kmip_keys_fromdata("EC", bld, EVP_PKEY_PUBLIC_KEY, err);
    }

    /* OpenSSL 3.0 does not derive Q from d: Q = d G here, d in [1, n) */
    d = ngx_kmip_keys_bn_of(found[1]);
    group = EC_GROUP_new_by_curve_name(c->nid);
    q = group ? EC_POINT_new(group) : NULL;
    ctx = BN_CTX_secure_new();
    plen = 0;

    ok = d && q && ctx
         && !BN_is_zero(d)
         && BN_cmp(d, EC_GROUP_get0_order(group)) < 0
         && EC_POINT_mul(group, q, d, NULL, NULL, ctx)
         && (plen = EC_POINT_point2oct(group, q,
                                       POINT_CONVERSION_UNCOMPRESSED, point,
                                       sizeof(point), ctx))
            != 0
         && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)
         && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                             point, plen);

    EC_POINT_free(q);
    EC_GROUP_free(group);
    BN_CTX_free(ctx);

    if (!ok) {
        OSSL_PARAM_BLD_free(bld);
        ngx_kmip_keys_fail(err, d ? NGX_KMIP_KEYS_ERR_INVALID
                                  : NGX_KMIP_KEYS_ERR_STRUCTURE,
                           "D is not a private key of the curve");
        BN_clear_free(d);
        return NULL;
    }

    /* the builder holds d itself, not a copy, until the key is made */
    pkey = ngx_kmip_keys_fromdata("EC", bld, EVP_PKEY_KEYPAIR, err);
    BN_clear_free(d);

    return pkey;
}


/* builds the key from bld (freed here, its copies of the values wiped) */

static EVP_PKEY *
ngx_kmip_keys_fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection,
    ngx_kmip_keys_error_t *err)
{
    EVP_PKEY      *pkey;
    OSSL_PARAM    *params;
    EVP_PKEY_CTX  *ctx;

    pkey = NULL;
    params = OSSL_PARAM_BLD_to_param(bld);
    OSSL_PARAM_BLD_free(bld);

    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1) {
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);

    } else if (EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1) {
        pkey = NULL;
        ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_INVALID, NULL);
    }

    EVP_PKEY_CTX_free(ctx);

    /* the values of secure BIGNUMs are in the block OSSL_PARAM_free()
       clears (OpenSSL 3.0 has no OSSL_PARAM_clear_free()) */
    OSSL_PARAM_free(params);

    return pkey;
}


/*
 * The fields of a Transparent Key Material: found[i] is the one item of
 * tags[i] (NULL if absent); a repeated field, a field of another type or
 * a tag the structure does not have is an error.
 */

static int
ngx_kmip_keys_fields(const ngx_kmip_item_t *m, const uint32_t *tags,
    const uint8_t *types, size_t n, const ngx_kmip_item_t **found,
    ngx_kmip_keys_error_t *err)
{
    size_t                  i;
    const ngx_kmip_item_t  *kid;

    if (m->type != NGX_KMIP_TYPE_STRUCTURE) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                  "the key material of a Transparent format "
                                  "is a Structure");
    }

    for (i = 0; i < n; i++) {
        found[i] = NULL;
    }

    for (kid = m->v.kids.first; kid; kid = kid->next) {
        for (i = 0; i < n; i++) {
            if (kid->tag == tags[i]) {
                break;
            }
        }

        if (i == n || found[i] != NULL || kid->type != types[i]) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                      "a field the Transparent key does not "
                                      "have, or one repeated or of the wrong "
                                      "type");
        }

        found[i] = kid;
    }

    return NGX_KMIP_KEYS_OK;
}


/*
 * a Big Integer (two's complement, big-endian) that is positive, in a
 * secure BIGNUM: cleared when freed, and its copy in an OSSL_PARAM array
 * as well
 */

static BIGNUM *
ngx_kmip_keys_bn_of(const ngx_kmip_item_t *it)
{
    size_t          n;
    BIGNUM         *bn;
    const uint8_t  *p;

    p = it->v.str.data;
    n = it->v.str.len;

    if (n == 0 || (p[0] & 0x80)) {
        return NULL;
    }

    while (n && *p == 0) {
        p++;
        n--;
    }

    if (n == 0) {
        return NULL;
    }

    bn = BN_secure_new();
    if (bn == NULL) {
        return NULL;
    }

    if (BN_bin2bn(p, (int) n, bn) == NULL) {
        BN_clear_free(bn);
        return NULL;
    }

    return bn;
}


/* a Big Integer item: a sign byte when the top bit is set, padded to 8 */

static ngx_kmip_item_t *
ngx_kmip_keys_add_bn(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, const BIGNUM *bn)
{
    size_t    n;
    uint8_t          *buf;
    ngx_kmip_item_t  *it;

    n = (size_t) BN_num_bytes(bn) + ((BN_num_bits(bn) % 8) == 0);
    n = (n + 7) & ~(size_t) 7;

    buf = a->alloc(a->data, n);
    if (buf == NULL) {
        return NULL;
    }

    it = BN_bn2binpad(bn, buf, (int) n) == (int) n
         ? ngx_kmip_ttlv_add_bigint(a, parent, tag, buf, n) : NULL;

    if (it == NULL) {
        /* a private component no item holds: wiped here or never */
        OPENSSL_cleanse(buf, n);
    }

    return it;
}


/*
 * The curve that its Recommended Curve, its NID or its size names: one
 * lookup for the three ways in; a 0 is a way not taken, so that a key on
 * no curve (NID_undef) finds none.
 */
static const ngx_kmip_keys_curve_t *
ngx_kmip_keys_curve(uint32_t curve, int nid, int32_t bits)
{
    const ngx_kmip_keys_curve_t  *c;

    for (c = ngx_kmip_keys_curves; c->curve; c++) {
        if ((curve != 0 && c->curve == curve)
            || (nid != 0 && c->nid == nid)
            || (bits != 0 && c->bits == bits))
        {
            return c;
        }
    }

    return NULL;
}


static void
ngx_kmip_keys_info_ec(ngx_kmip_key_info_t *info,
    const ngx_kmip_keys_curve_t *c)
{
    info->type = NGX_KMIP_KEY_EC;
    info->algorithm = NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_EC;
    info->length = c->bits;
    info->curve = c->curve;
}


static int
ngx_kmip_keys_store(ngx_kmip_allocator_t *a, EVP_PKEY *pkey,
    const ngx_kmip_key_info_t *info, uint32_t object_type, uint32_t format,
    ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err)
{
    int               is_private, rc;
    ngx_kmip_item_t  *m;

    if (!ngx_kmip_keys_format_defined(info->type, object_type, format)) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_FORMAT, NULL);
    }

    is_private = object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY;

    switch (format) {

    case NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1:
        return ngx_kmip_keys_encode(a, pkey,
                                    is_private ? EVP_PKEY_KEYPAIR
                                               : EVP_PKEY_PUBLIC_KEY,
                                    "type-specific", out, err);

    case NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8:
        return ngx_kmip_keys_encode(a, pkey, EVP_PKEY_KEYPAIR,
                                    "PrivateKeyInfo", out, err);

    case NGX_KMIP_KEY_FORMAT_TYPE_X_509:
        return ngx_kmip_keys_encode(a, pkey, EVP_PKEY_PUBLIC_KEY,
                                    "SubjectPublicKeyInfo", out, err);

    case NGX_KMIP_KEY_FORMAT_TYPE_ECPRIVATEKEY:
        return ngx_kmip_keys_encode(a, pkey, EVP_PKEY_KEYPAIR,
                                    "type-specific", out, err);

    case NGX_KMIP_KEY_FORMAT_TYPE_RAW:
        return ngx_kmip_keys_store_raw(a, pkey, is_private, out, err);

    default:
        break;
    }

    m = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_KEY_MATERIAL,
                               NGX_KMIP_TYPE_STRUCTURE);
    if (m == NULL) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    rc = info->type == NGX_KMIP_KEY_RSA
         ? ngx_kmip_keys_store_rsa(a, pkey, is_private, m, err)
         : ngx_kmip_keys_store_ec(a, pkey, info, is_private, m, err);

    if (rc != NGX_KMIP_KEYS_OK) {
        ngx_kmip_keys_wipe_item(m);
        return rc;
    }

    *out = m;

    return NGX_KMIP_KEYS_OK;
}


static int
ngx_kmip_keys_encode(ngx_kmip_allocator_t *a, EVP_PKEY *pkey, int selection,
    const char *structure, ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err)
{
    size_t    len;
    uint8_t  *der, *buf;

    if (!ngx_kmip_keys_der(pkey, selection, structure, &der, &len)) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CRYPTO,
                                  "the key does not encode");
    }

    buf = a->alloc(a->data, len);
    if (buf) {
        memcpy(buf, der, len);
        *out = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_KEY_MATERIAL,
                                      NGX_KMIP_TYPE_BYTE_STRING);
    }

    OPENSSL_clear_free(der, len);

    if (buf == NULL || *out == NULL) {
        if (buf) {
            OPENSSL_cleanse(buf, len);
        }

        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    (*out)->v.str.data = buf;
    (*out)->v.str.len = len;

    return NGX_KMIP_KEYS_OK;
}


/* the DER in OpenSSL's memory: OPENSSL_clear_free() it */

static int
ngx_kmip_keys_der(EVP_PKEY *pkey, int selection, const char *structure,
    uint8_t **der, size_t *len)
{
    int                 ok;
    OSSL_ENCODER_CTX   *ectx;

    *der = NULL;
    *len = 0;

    ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, "DER", structure,
                                         NULL);
    ok = ectx != NULL && OSSL_ENCODER_CTX_get_num_encoders(ectx) > 0
         && OSSL_ENCODER_to_data(ectx, der, len) == 1;
    OSSL_ENCODER_CTX_free(ectx);

    return ok;
}


static int
ngx_kmip_keys_store_rsa(ngx_kmip_allocator_t *a, EVP_PKEY *pkey,
    int is_private, ngx_kmip_item_t *m, ngx_kmip_keys_error_t *err)
{
    int       rc;
    size_t    i;
    BIGNUM   *bn;

    rc = NGX_KMIP_KEYS_OK;

    for (i = 0; i < NGX_KMIP_KEYS_RSA_FIELDS && rc == NGX_KMIP_KEYS_OK; i++)
    {
        /* public: the Modulus and the Public Exponent */
        if (!is_private && i != 0 && i != 2) {
            continue;
        }

        bn = NULL;

        if (EVP_PKEY_get_bn_param(pkey, ngx_kmip_keys_rsa_params[i], &bn)
            != 1)
        {
            /* a key loaded without its factors has no CRT values */
            rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CRYPTO,
                                    "the RSA key lacks a component");
            break;
        }

        if (ngx_kmip_keys_add_bn(a, m, ngx_kmip_keys_rsa_tags[i], bn)
            == NULL)
        {
            rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
        }

        BN_clear_free(bn);
    }

    return rc;
}


static int
ngx_kmip_keys_store_ec(ngx_kmip_allocator_t *a, EVP_PKEY *pkey,
    const ngx_kmip_key_info_t *info, int is_private, ngx_kmip_item_t *m,
    ngx_kmip_keys_error_t *err)
{
    int        ok;
    size_t     len;
    uint8_t   *q;
    BIGNUM    *d;

    if (ngx_kmip_ttlv_add_enum(a, m, NGX_KMIP_TAG_RECOMMENDED_CURVE,
                               info->curve)
        == NULL)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    if (is_private) {
        d = NULL;

        if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CRYPTO, NULL);
        }

        ok = ngx_kmip_keys_add_bn(a, m, NGX_KMIP_TAG_D, d) != NULL;
        BN_clear_free(d);

        return ngx_kmip_keys_fail(err, ok ? NGX_KMIP_KEYS_OK
                                          : NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    /* the Q String uncompressed, as Key Compression Type's default */
    q = a->alloc(a->data, NGX_KMIP_KEYS_POINT_MAX);

    if (q == NULL
        || EVP_PKEY_set_utf8_string_param(pkey,
                                  OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                  "uncompressed")
           != 1
        || EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, q,
                                           NGX_KMIP_KEYS_POINT_MAX, &len)
           != 1)
    {
        return ngx_kmip_keys_fail(err, q ? NGX_KMIP_KEYS_ERR_CRYPTO
                                         : NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    if (ngx_kmip_ttlv_add_bytes(a, m, NGX_KMIP_TAG_Q_STRING, q, len) == NULL)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    return NGX_KMIP_KEYS_OK;
}


static int
ngx_kmip_keys_store_raw(ngx_kmip_allocator_t *a, EVP_PKEY *pkey,
    int is_private, ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err)
{
    int       ok;
    size_t    len;
    uint8_t  *buf;

    len = NGX_KMIP_KEYS_25519_LEN;
    buf = a->alloc(a->data, len);
    if (buf == NULL) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    ok = is_private ? EVP_PKEY_get_raw_private_key(pkey, buf, &len)
                    : EVP_PKEY_get_raw_public_key(pkey, buf, &len);

    if (ok != 1 || len != NGX_KMIP_KEYS_25519_LEN) {
        OPENSSL_cleanse(buf, NGX_KMIP_KEYS_25519_LEN);
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CRYPTO, NULL);
    }

    *out = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_KEY_MATERIAL,
                                  NGX_KMIP_TYPE_BYTE_STRING);
    if (*out == NULL) {
        OPENSSL_cleanse(buf, len);
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    (*out)->v.str.data = buf;
    (*out)->v.str.len = len;

    return NGX_KMIP_KEYS_OK;
}


int
ngx_kmip_keys_generate_check(const ngx_kmip_keygen_t *p,
    ngx_kmip_key_info_t *info, ngx_kmip_keys_error_t *err)
{
    const ngx_kmip_keys_curve_t  *c;

    memset(info, 0, sizeof(ngx_kmip_key_info_t));
    info->is_private = 1;

    switch (p->algorithm) {

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA:
        if (p->curve != 0) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CONFLICT,
                                      "a curve for an RSA key");
        }

        if (p->length == 1024 && !p->allow_weak) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_WEAK, NULL);
        }

        if (p->length != 1024 && p->length != 2048 && p->length != 3072
            && p->length != 4096)
        {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_LENGTH,
                                      "RSA keys of 2048, 3072 or 4096 bits");
        }

        info->type = NGX_KMIP_KEY_RSA;
        info->algorithm = p->algorithm;
        info->length = p->length;
        return NGX_KMIP_KEYS_OK;

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ED25519:
        if ((p->curve != 0
             && p->curve != NGX_KMIP_RECOMMENDED_CURVE_CURVE25519)
            || (p->length != 0 && p->length != 255 && p->length != 256))
        {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CONFLICT,
                                      "Ed25519 keys are on Curve25519");
        }

        info->type = NGX_KMIP_KEY_ED25519;
        info->algorithm = p->algorithm;
        info->length = 8 * NGX_KMIP_KEYS_25519_LEN;
        info->curve = NGX_KMIP_RECOMMENDED_CURVE_CURVE25519;
        return NGX_KMIP_KEYS_OK;

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_EC:
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECDSA:
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECDH:
        break;

    default:
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ALGORITHM, NULL);
    }

    if (p->curve == NGX_KMIP_RECOMMENDED_CURVE_CURVE25519) {
        if (p->algorithm == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECDSA
            || (p->length != 0 && p->length != 255 && p->length != 256))
        {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CONFLICT,
                                      "X25519 keys agree on secrets; ECDSA "
                                      "is on the P curves");
        }

        info->type = NGX_KMIP_KEY_X25519;
        info->algorithm = NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_EC;
        info->length = 8 * NGX_KMIP_KEYS_25519_LEN;
        info->curve = p->curve;
        return NGX_KMIP_KEYS_OK;
    }

    /* the curve named, or else the one of the length asked */
    c = ngx_kmip_keys_curve(p->curve, 0, p->curve ? 0 : p->length);
    if (c == NULL) {
        return ngx_kmip_keys_fail(err, p->curve ? NGX_KMIP_KEYS_ERR_CURVE
                                                : NGX_KMIP_KEYS_ERR_LENGTH,
                                  "EC keys on P-256, P-384, P-521 or "
                                  "Curve25519");
    }

    if (p->length != 0 && p->length != c->bits) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CONFLICT,
                                  "the length is not the curve's");
    }

    ngx_kmip_keys_info_ec(info, c);

    return NGX_KMIP_KEYS_OK;
}


int
ngx_kmip_keys_generate(const ngx_kmip_keygen_t *p, ngx_kmip_keypair_t *kp,
    ngx_kmip_keys_error_t *err)
{
    int                           ok, rc;
    EVP_PKEY                     *pkey;
    EVP_PKEY_CTX                 *ctx;
    const ngx_kmip_keys_curve_t  *c;

    kp->private_len = 0;
    kp->public_len = 0;

    rc = ngx_kmip_keys_generate_check(p, &kp->info, err);
    if (rc != NGX_KMIP_KEYS_OK) {
        return rc;
    }

    /* the check has left one of the four types */
    ctx = EVP_PKEY_CTX_new_from_name(NULL,
                                     ngx_kmip_keys_type_names[kp->info.type],
                                     NULL);
    pkey = NULL;

    ok = ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1;

    if (ok && kp->info.type == NGX_KMIP_KEY_RSA) {
        ok = EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, kp->info.length) == 1;

    } else if (ok && kp->info.type == NGX_KMIP_KEY_EC) {
        c = ngx_kmip_keys_curve(kp->info.curve, 0, 0);
        ok = c && EVP_PKEY_CTX_set_group_name(ctx, c->group) == 1;
    }

    ok = ok && EVP_PKEY_generate(ctx, &pkey) == 1;
    EVP_PKEY_CTX_free(ctx);

    if (!ok) {
        EVP_PKEY_free(pkey);
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CRYPTO,
                                  "key generation failed");
    }

    ok = ngx_kmip_keys_der_out(&kp->private_len, kp->private_der,
                               sizeof(kp->private_der), pkey,
                               EVP_PKEY_KEYPAIR, "PrivateKeyInfo")
         && ngx_kmip_keys_der_out(&kp->public_len, kp->public_der,
                                  sizeof(kp->public_der), pkey,
                                  EVP_PKEY_PUBLIC_KEY,
                                  "SubjectPublicKeyInfo");
    EVP_PKEY_free(pkey);

    if (!ok) {
        ngx_kmip_keys_keypair_wipe(kp);
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CRYPTO,
                                  "the new key does not encode");
    }

    return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
}


void
ngx_kmip_keys_keypair_wipe(ngx_kmip_keypair_t *kp)
{
    OPENSSL_cleanse(kp->private_der, sizeof(kp->private_der));
    kp->private_len = 0;
}


/* DER into a fixed buffer, through OpenSSL's memory, which is wiped */

static int
ngx_kmip_keys_der_out(size_t *len, uint8_t *buf, size_t size, EVP_PKEY *pkey,
    int selection, const char *structure)
{
    int       ok;
    size_t    n;
    uint8_t  *der;

    ok = ngx_kmip_keys_der(pkey, selection, structure, &der, &n) && n <= size;

    if (ok) {
        memcpy(buf, der, n);
        *len = n;
    }

    OPENSSL_clear_free(der, n);

    return ok;
}
