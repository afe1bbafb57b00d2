
/*
 * Copyright (C) ngx_kmip authors
 */


#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "ngx_kmip_pk.h"


/* the signature a Digital Signature Algorithm names */
typedef struct {
    uint32_t      signature;
    unsigned      type;       /* NGX_KMIP_KEY_* */
    uint32_t      padding;    /* 0 for ECDSA */
    uint32_t      hashing;    /* 0: the Hashing Algorithm's (PSS) */
} ngx_kmip_pk_signature_t;


static const ngx_kmip_pk_signature_t  ngx_kmip_pk_signatures[] = {
    { NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA_256_WITH_RSA_ENCRYPTION,
      NGX_KMIP_KEY_RSA, NGX_KMIP_PADDING_METHOD_PKCS1_V1_5,
      NGX_KMIP_HASHING_ALGORITHM_SHA_256 },
    { NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA_384_WITH_RSA_ENCRYPTION,
      NGX_KMIP_KEY_RSA, NGX_KMIP_PADDING_METHOD_PKCS1_V1_5,
      NGX_KMIP_HASHING_ALGORITHM_SHA_384 },
    { NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA_512_WITH_RSA_ENCRYPTION,
      NGX_KMIP_KEY_RSA, NGX_KMIP_PADDING_METHOD_PKCS1_V1_5,
      NGX_KMIP_HASHING_ALGORITHM_SHA_512 },
    { NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_RSASSA_PSS,
      NGX_KMIP_KEY_RSA, NGX_KMIP_PADDING_METHOD_PSS, 0 },
    { NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_ECDSA_WITH_SHA256,
      NGX_KMIP_KEY_EC, 0, NGX_KMIP_HASHING_ALGORITHM_SHA_256 },
    { NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_ECDSA_WITH_SHA384,
      NGX_KMIP_KEY_EC, 0, NGX_KMIP_HASHING_ALGORITHM_SHA_384 },
    { NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_ECDSA_WITH_SHA512,
      NGX_KMIP_KEY_EC, 0, NGX_KMIP_HASHING_ALGORITHM_SHA_512 },
    { 0, 0, 0, 0 }
};


/* the Enumerations of Cryptographic Parameters, by their field */
static const struct {
    uint32_t      tag;
    size_t        offset;
} ngx_kmip_pk_enum_fields[] = {
    { NGX_KMIP_TAG_PADDING_METHOD, offsetof(ngx_kmip_pk_params_t, padding) },
    { NGX_KMIP_TAG_HASHING_ALGORITHM,
      offsetof(ngx_kmip_pk_params_t, hashing) },
    { NGX_KMIP_TAG_DIGITAL_SIGNATURE_ALGORITHM,
      offsetof(ngx_kmip_pk_params_t, signature) },
    { NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
      offsetof(ngx_kmip_pk_params_t, algorithm) },
    { NGX_KMIP_TAG_MASK_GENERATOR,
      offsetof(ngx_kmip_pk_params_t, mask_generator) },
    { NGX_KMIP_TAG_MASK_GENERATOR_HASHING_ALGORITHM,
      offsetof(ngx_kmip_pk_params_t, mgf_hashing) },
    { 0, 0 }
};


/* what a signature or an encryption resolves to */
typedef struct {
    const EVP_MD   *md;        /* NULL for Ed25519 */
    const EVP_MD   *mgf1;
    int             padding;   /* RSA_PKCS1_PADDING, _PSS_, _OAEP_; 0 */
    int             salt;
    const uint8_t  *label;     /* OAEP's, from the P Source */
    size_t          label_len;
} ngx_kmip_pk_setup_t;


/* a signature or its check under way: what sign and verify both hold */
typedef struct {
    EVP_PKEY             *pkey;
    EVP_MD_CTX           *mctx;
    EVP_PKEY_CTX         *pctx;
    ngx_kmip_pk_setup_t   s;
    int                   digested;
    int                   verify;
} ngx_kmip_pk_sig_t;


/* the hashes the layer computes: no MD2/MD4/MD5, RIPEMD, Tiger, Whirlpool */
static const struct {
    uint32_t        hashing;
    const EVP_MD  *(*md)(void);
} ngx_kmip_pk_mds[] = {
    { NGX_KMIP_HASHING_ALGORITHM_SHA_1, EVP_sha1 },
    { NGX_KMIP_HASHING_ALGORITHM_SHA_224, EVP_sha224 },
    { NGX_KMIP_HASHING_ALGORITHM_SHA_256, EVP_sha256 },
    { NGX_KMIP_HASHING_ALGORITHM_SHA_384, EVP_sha384 },
    { NGX_KMIP_HASHING_ALGORITHM_SHA_512, EVP_sha512 },
    { NGX_KMIP_HASHING_ALGORITHM_SHA_512_224, EVP_sha512_224 },
    { NGX_KMIP_HASHING_ALGORITHM_SHA_512_256, EVP_sha512_256 },
    { NGX_KMIP_HASHING_ALGORITHM_SHA3_224, EVP_sha3_224 },
    { NGX_KMIP_HASHING_ALGORITHM_SHA3_256, EVP_sha3_256 },
    { NGX_KMIP_HASHING_ALGORITHM_SHA3_384, EVP_sha3_384 },
    { NGX_KMIP_HASHING_ALGORITHM_SHA3_512, EVP_sha3_512 },
    { 0, NULL }
};


static int ngx_kmip_pk_sig_setup(const ngx_kmip_key_info_t *info,
    const ngx_kmip_pk_params_t *p, int digested, int verify,
    ngx_kmip_pk_setup_t *s, ngx_kmip_keys_error_t *err);
static int ngx_kmip_pk_sig_hash(uint32_t hashing, int verify,
    ngx_kmip_keys_error_t *err);
static int ngx_kmip_pk_rsa_setup(const ngx_kmip_key_info_t *info,
    const ngx_kmip_pk_params_t *p, ngx_kmip_pk_setup_t *s,
    ngx_kmip_keys_error_t *err);
static int ngx_kmip_pk_mgf1(const ngx_kmip_pk_params_t *p,
    ngx_kmip_pk_setup_t *s, ngx_kmip_keys_error_t *err);
static int ngx_kmip_pk_ctx_params(EVP_PKEY_CTX *pctx,
    const ngx_kmip_pk_setup_t *s);
static int ngx_kmip_pk_sig_load(const ngx_kmip_key_t *key,
    const ngx_kmip_pk_params_t *p, int digested, int verify,
    ngx_kmip_pk_sig_t *sg, ngx_kmip_keys_error_t *err);
static int ngx_kmip_pk_sig_init(ngx_kmip_pk_sig_t *sg);
static void ngx_kmip_pk_sig_free(ngx_kmip_pk_sig_t *sg);
static int ngx_kmip_pk_load(const ngx_kmip_key_t *key,
    const ngx_kmip_pk_params_t *p, int sig, int digested, int need_private,
    EVP_PKEY **pkey, ngx_kmip_pk_setup_t *s, ngx_kmip_keys_error_t *err);
static int ngx_kmip_pk_rsa_crypt(ngx_kmip_allocator_t *a,
    const ngx_kmip_key_t *key, const ngx_kmip_pk_params_t *p, int enc,
    const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
    ngx_kmip_keys_error_t *err);


void
ngx_kmip_pk_params_init(ngx_kmip_pk_params_t *p)
{
    memset(p, 0, sizeof(ngx_kmip_pk_params_t));
    p->salt_length = -1;
}


int
ngx_kmip_pk_params_read(const ngx_kmip_item_t *cp, ngx_kmip_pk_params_t *p,
    ngx_kmip_keys_error_t *err)
{
    size_t                  i;
    const ngx_kmip_item_t  *it;

    if (cp == NULL) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
    }

    if (cp->type != NGX_KMIP_TYPE_STRUCTURE) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                  "Cryptographic Parameters is a Structure");
    }

    for (it = cp->v.kids.first; it; it = it->next) {

        for (i = 0; ngx_kmip_pk_enum_fields[i].tag; i++) {
            if (ngx_kmip_pk_enum_fields[i].tag == it->tag) {
                break;
            }
        }

        if (ngx_kmip_pk_enum_fields[i].tag) {
            if (it->type != NGX_KMIP_TYPE_ENUMERATION) {
                return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                          "a Cryptographic Parameters field "
                                          "is not an Enumeration");
            }

            *(uint32_t *) ((char *) p + ngx_kmip_pk_enum_fields[i].offset) =
                (uint32_t) it->v.num;
            continue;
        }

        if (it->tag == NGX_KMIP_TAG_P_SOURCE) {
            if (it->type != NGX_KMIP_TYPE_BYTE_STRING) {
                return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                          "P Source is a Byte String");
            }

            p->p_source = it->v.str.data;
            p->p_source_len = it->v.str.len;

        } else if (it->tag == NGX_KMIP_TAG_SALT_LENGTH) {
            if (it->type != NGX_KMIP_TYPE_INTEGER || it->v.num < 0) {
                return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                          "Salt Length is a non-negative "
                                          "Integer");
            }

            p->salt_length = (int32_t) it->v.num;
        }

        /* block cipher fields and the like: not for these keys */
    }

    return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
}


int
ngx_kmip_pk_sign(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *key,
    const ngx_kmip_pk_params_t *p, const uint8_t *data, size_t len,
    int digested, uint8_t **sig, size_t *sig_len, ngx_kmip_keys_error_t *err)
{
    int                  ok, rc;
    size_t               n;
    uint8_t             *buf;
    ngx_kmip_pk_sig_t    sg;

    rc = ngx_kmip_pk_sig_load(key, p, digested, 0, &sg, err);
    if (rc != NGX_KMIP_KEYS_OK) {
        return rc;
    }

    if (digested && (size_t) EVP_MD_get_size(sg.s.md) != len) {
        ngx_kmip_pk_sig_free(&sg);
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_DATA,
                                  "the digested data is not of the hash's "
                                  "length");
    }

    n = (size_t) EVP_PKEY_get_size(sg.pkey);
    buf = a->alloc(a->data, n);

    ok = buf != NULL
         && ngx_kmip_pk_sig_init(&sg)
         && (digested ? EVP_PKEY_sign(sg.pctx, buf, &n, data, len)
                      : EVP_DigestSign(sg.mctx, buf, &n, data, len))
            == 1;

    ngx_kmip_pk_sig_free(&sg);

    if (!ok) {
        return ngx_kmip_keys_fail(err, buf ? NGX_KMIP_KEYS_ERR_CRYPTO
                                           : NGX_KMIP_KEYS_ERR_NOMEM,
                                  buf ? "signing failed (a salt too long "
                                        "for the key?)"
                                      : NULL);
    }

    *sig = buf;
    *sig_len = n;

    return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
}


int
ngx_kmip_pk_verify(const ngx_kmip_key_t *key, const ngx_kmip_pk_params_t *p,
    const uint8_t *data, size_t len, int digested, const uint8_t *sig,
    size_t sig_len, int *valid, ngx_kmip_keys_error_t *err)
{
    int                  ok, rc;
    ngx_kmip_pk_sig_t    sg;

    *valid = 0;

    rc = ngx_kmip_pk_sig_load(key, p, digested, 1, &sg, err);
    if (rc != NGX_KMIP_KEYS_OK) {
        return rc;
    }

    ok = ngx_kmip_pk_sig_init(&sg);

    /* a signature that does not verify (malformed included) is Invalid */
    if (ok && (!digested || (size_t) EVP_MD_get_size(sg.s.md) == len)) {
        *valid = (digested
                  ? EVP_PKEY_verify(sg.pctx, sig, sig_len, data, len)
                  : EVP_DigestVerify(sg.mctx, sig, sig_len, data, len))
                 == 1;
        ERR_clear_error();
    }

    ngx_kmip_pk_sig_free(&sg);

    return ngx_kmip_keys_fail(err, ok ? NGX_KMIP_KEYS_OK
                                      : NGX_KMIP_KEYS_ERR_CRYPTO, NULL);
}


/*
 * The contexts of a signature: of the message (EVP_DigestSign, which
 * Ed25519 needs), or of its digest (EVP_PKEY_sign); with the padding
 */

static int
ngx_kmip_pk_sig_init(ngx_kmip_pk_sig_t *sg)
{
    const char           *md;
    ngx_kmip_pk_setup_t  *s;

    s = &sg->s;

    if (sg->digested) {
        sg->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, sg->pkey, NULL);

        return sg->pctx != NULL
               && (sg->verify ? EVP_PKEY_verify_init(sg->pctx)
                              : EVP_PKEY_sign_init(sg->pctx)) == 1
               && EVP_PKEY_CTX_set_signature_md(sg->pctx, s->md) == 1
               && ngx_kmip_pk_ctx_params(sg->pctx, s);
    }

    sg->mctx = EVP_MD_CTX_new();
    md = s->md ? EVP_MD_get0_name(s->md) : NULL;

    return sg->mctx != NULL
           && (sg->verify
               ? EVP_DigestVerifyInit_ex(sg->mctx, &sg->pctx, md, NULL, NULL,
                                         sg->pkey, NULL)
               : EVP_DigestSignInit_ex(sg->mctx, &sg->pctx, md, NULL, NULL,
                                       sg->pkey, NULL)) == 1
           && ngx_kmip_pk_ctx_params(sg->pctx, s);
}


/*
 * The key of a signature or its check, and what its parameters resolve
 * to; no contexts yet, so that the free is safe from here on
 */

static int
ngx_kmip_pk_sig_load(const ngx_kmip_key_t *key, const ngx_kmip_pk_params_t *p,
    int digested, int verify, ngx_kmip_pk_sig_t *sg, ngx_kmip_keys_error_t *err)
{
    sg->mctx = NULL;
    sg->pctx = NULL;
    sg->digested = digested;
    sg->verify = verify;

    return ngx_kmip_pk_load(key, p, 1, digested, !verify, &sg->pkey, &sg->s,
                            err);
}


/* the message context owns its key context */

static void
ngx_kmip_pk_sig_free(ngx_kmip_pk_sig_t *sg)
{
    if (sg->digested) {
        EVP_PKEY_CTX_free(sg->pctx);

    } else {
        EVP_MD_CTX_free(sg->mctx);
    }

    EVP_PKEY_free(sg->pkey);
}


int
ngx_kmip_pk_encrypt(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *key,
    const ngx_kmip_pk_params_t *p, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, ngx_kmip_keys_error_t *err)
{
    return ngx_kmip_pk_rsa_crypt(a, key, p, 1, in, in_len, out, out_len, err);
}


int
ngx_kmip_pk_decrypt(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *key,
    const ngx_kmip_pk_params_t *p, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, ngx_kmip_keys_error_t *err)
{
    return ngx_kmip_pk_rsa_crypt(a, key, p, 0, in, in_len, out, out_len, err);
}


int
ngx_kmip_pk_digest(uint32_t hashing, const uint8_t *data, size_t len,
    uint8_t *out, size_t *out_len, ngx_kmip_keys_error_t *err)
{
    unsigned       n;
    const EVP_MD  *md;

    md = ngx_kmip_pk_md(hashing);
    if (md == NULL) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_HASH, NULL);
    }

    if (EVP_Digest(data, len, out, &n, md, NULL) != 1) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CRYPTO, NULL);
    }

    *out_len = n;

    return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
}


const EVP_MD *
ngx_kmip_pk_md(uint32_t hashing)
{
    size_t  i;

    for (i = 0; ngx_kmip_pk_mds[i].hashing; i++) {
        if (ngx_kmip_pk_mds[i].hashing == hashing) {
            return ngx_kmip_pk_mds[i].md();
        }
    }

    return NULL;
}


/* loads the key and resolves the parameters for its use */

static int
ngx_kmip_pk_load(const ngx_kmip_key_t *key, const ngx_kmip_pk_params_t *p,
    int sig, int digested, int need_private, EVP_PKEY **pkey,
    ngx_kmip_pk_setup_t *s, ngx_kmip_keys_error_t *err)
{
    int                  rc;
    ngx_kmip_key_info_t  info;

    *pkey = NULL;

    if (need_private && key->object_type != NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_KEY_USE,
                                  sig ? "signing takes a private key"
                                      : "decryption takes a private key");
    }

    rc = ngx_kmip_keys_load(key, pkey, &info, err);
    if (rc != NGX_KMIP_KEYS_OK) {
        return rc;
    }

    memset(s, 0, sizeof(ngx_kmip_pk_setup_t));

    rc = sig ? ngx_kmip_pk_sig_setup(&info, p, digested, !need_private, s,
                                     err)
             : ngx_kmip_pk_rsa_setup(&info, p, s, err);

    if (rc != NGX_KMIP_KEYS_OK) {
        EVP_PKEY_free(*pkey);
        *pkey = NULL;
    }

    return rc;
}


static int
ngx_kmip_pk_sig_setup(const ngx_kmip_key_info_t *info,
    const ngx_kmip_pk_params_t *p, int digested, int verify,
    ngx_kmip_pk_setup_t *s, ngx_kmip_keys_error_t *err)
{
    int                             rc;
    uint32_t                        padding, hashing, alg;
    const ngx_kmip_pk_signature_t  *ds;

    padding = p->padding;
    hashing = p->hashing;

    if (p->signature) {
        for (ds = ngx_kmip_pk_signatures; ds->signature; ds++) {
            if (ds->signature == p->signature) {
                break;
            }
        }

        if (ds->signature == 0) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_SIGNATURE, NULL);
        }

        if (ds->type != info->type
            || (padding && ds->padding && padding != ds->padding)
            || (hashing && ds->hashing && hashing != ds->hashing))
        {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CONFLICT,
                                      "the Digital Signature Algorithm is "
                                      "not of the key, or not of the other "
                                      "parameters");
        }

        padding = ds->padding ? ds->padding : padding;
        hashing = ds->hashing ? ds->hashing : hashing;
    }

    alg = p->algorithm;

    switch (info->type) {

    case NGX_KMIP_KEY_RSA:
        if (alg && alg != NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA) {
            break;
        }

        if (padding == NGX_KMIP_PADDING_METHOD_PKCS1_V1_5) {
            s->padding = RSA_PKCS1_PADDING;

        } else if (padding == NGX_KMIP_PADDING_METHOD_PSS) {
            s->padding = RSA_PKCS1_PSS_PADDING;

        } else {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_PADDING,
                                      "RSA signatures are PKCS#1 v1.5 or "
                                      "PSS");
        }

        rc = ngx_kmip_pk_sig_hash(hashing, verify, err);
        if (rc != NGX_KMIP_KEYS_OK) {
            return rc;
        }

        s->md = ngx_kmip_pk_md(hashing);

        if (s->padding == RSA_PKCS1_PSS_PADDING) {
            /* a check without a Salt Length takes the signature's */
            s->salt = p->salt_length >= 0 ? p->salt_length
                      : verify ? RSA_PSS_SALTLEN_AUTO
                               : RSA_PSS_SALTLEN_DIGEST;
            return ngx_kmip_pk_mgf1(p, s, err);
        }

        return NGX_KMIP_KEYS_OK;

    case NGX_KMIP_KEY_EC:
        if (alg && alg != NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_EC
            && alg != NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECDSA)
        {
            break;
        }

        if (padding && padding != NGX_KMIP_PADDING_METHOD_NONE) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_PADDING,
                                      "ECDSA has no padding");
        }

        rc = ngx_kmip_pk_sig_hash(hashing, verify, err);
        if (rc != NGX_KMIP_KEYS_OK) {
            return rc;
        }

        s->md = ngx_kmip_pk_md(hashing);
        return NGX_KMIP_KEYS_OK;

    case NGX_KMIP_KEY_ED25519:
        if (alg && alg != NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ED25519) {
            break;
        }

        if (padding && padding != NGX_KMIP_PADDING_METHOD_NONE) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_PADDING,
                                      "Ed25519 has no padding");
        }

        /* PureEdDSA hashes inside: no Hashing Algorithm, no digest */
        if (hashing || digested) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_HASH,
                                      "Ed25519 signs the message itself");
        }

        return NGX_KMIP_KEYS_OK;

    default:
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_KEY_USE,
                                  "X25519 keys do not sign");
    }

    return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CONFLICT,
                              "the Cryptographic Algorithm is not the key's");
}


/*
 * the hashes of signatures: SHA-2 of 256 bits and more; and to verify,
 * SHA-1 and SHA-224 as well, for the signatures of older clients (and
 * CS-AC-M-3, which wants a verification with SHA-1 to say Invalid)
 */

static int
ngx_kmip_pk_sig_hash(uint32_t hashing, int verify, ngx_kmip_keys_error_t *err)
{
    if (hashing == NGX_KMIP_HASHING_ALGORITHM_SHA_256
        || hashing == NGX_KMIP_HASHING_ALGORITHM_SHA_384
        || hashing == NGX_KMIP_HASHING_ALGORITHM_SHA_512
        || (verify && (hashing == NGX_KMIP_HASHING_ALGORITHM_SHA_1
                       || hashing == NGX_KMIP_HASHING_ALGORITHM_SHA_224)))
    {
        return NGX_KMIP_KEYS_OK;
    }

    return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_HASH,
                              hashing ? "signatures hash with SHA-256, "
                                        "SHA-384 or SHA-512"
                                      : "no Hashing Algorithm for the "
                                        "signature");
}


static int
ngx_kmip_pk_rsa_setup(const ngx_kmip_key_info_t *info,
    const ngx_kmip_pk_params_t *p, ngx_kmip_pk_setup_t *s,
    ngx_kmip_keys_error_t *err)
{
    uint32_t  hashing;

    if (info->type != NGX_KMIP_KEY_RSA) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_KEY_USE,
                                  "only RSA keys encrypt");
    }

    if (p->algorithm && p->algorithm != NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CONFLICT,
                                  "the Cryptographic Algorithm is not the "
                                  "key's");
    }

    if (p->signature) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CONFLICT,
                                  "a Digital Signature Algorithm to "
                                  "encrypt");
    }

    if (p->padding == NGX_KMIP_PADDING_METHOD_PKCS1_V1_5) {
        s->padding = RSA_PKCS1_PADDING;
        return NGX_KMIP_KEYS_OK;
    }

    if (p->padding != NGX_KMIP_PADDING_METHOD_OAEP) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_PADDING,
                                  "RSA encryption is OAEP or PKCS#1 v1.5");
    }

    /* PKCS#1's default for OAEP, as KMIP's */
    hashing = p->hashing ? p->hashing : NGX_KMIP_HASHING_ALGORITHM_SHA_1;

    if (hashing != NGX_KMIP_HASHING_ALGORITHM_SHA_1
        && hashing != NGX_KMIP_HASHING_ALGORITHM_SHA_224
        && hashing != NGX_KMIP_HASHING_ALGORITHM_SHA_256
        && hashing != NGX_KMIP_HASHING_ALGORITHM_SHA_384
        && hashing != NGX_KMIP_HASHING_ALGORITHM_SHA_512)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_HASH,
                                  "OAEP hashes with SHA-1 or SHA-2");
    }

    s->padding = RSA_PKCS1_OAEP_PADDING;
    s->md = ngx_kmip_pk_md(hashing);
    s->label = p->p_source;
    s->label_len = p->p_source_len;

    return ngx_kmip_pk_mgf1(p, s, err);
}


static int
ngx_kmip_pk_mgf1(const ngx_kmip_pk_params_t *p, ngx_kmip_pk_setup_t *s,
    ngx_kmip_keys_error_t *err)
{
    if (p->mask_generator && p->mask_generator != NGX_KMIP_MASK_GENERATOR_MGF1)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_MASK, NULL);
    }

    if (p->mgf_hashing == 0) {
        s->mgf1 = s->md;
        return NGX_KMIP_KEYS_OK;
    }

    if (p->mgf_hashing != NGX_KMIP_HASHING_ALGORITHM_SHA_1
        && p->mgf_hashing != NGX_KMIP_HASHING_ALGORITHM_SHA_224
        && p->mgf_hashing != NGX_KMIP_HASHING_ALGORITHM_SHA_256
        && p->mgf_hashing != NGX_KMIP_HASHING_ALGORITHM_SHA_384
        && p->mgf_hashing != NGX_KMIP_HASHING_ALGORITHM_SHA_512)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_HASH,
                                  "MGF1 hashes with SHA-1 or SHA-2");
    }

    s->mgf1 = ngx_kmip_pk_md(p->mgf_hashing);

    return NGX_KMIP_KEYS_OK;
}


static int
ngx_kmip_pk_ctx_params(EVP_PKEY_CTX *pctx, const ngx_kmip_pk_setup_t *s)
{
    void  *label;

    if (s->padding == 0) {
        return 1;
    }

    if (EVP_PKEY_CTX_set_rsa_padding(pctx, s->padding) != 1) {
        return 0;
    }

    switch (s->padding) {

    case RSA_PKCS1_PSS_PADDING:
        return EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, s->mgf1) == 1
               && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, s->salt) == 1;

    case RSA_PKCS1_OAEP_PADDING:
        if (EVP_PKEY_CTX_set_rsa_oaep_md(pctx, s->md) != 1
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, s->mgf1) != 1)
        {
            return 0;
        }

        if (s->label_len == 0) {
            return 1;
        }

        /* OpenSSL takes the label and frees it with the context */
        label = OPENSSL_memdup(s->label, s->label_len);

        if (label == NULL
            || EVP_PKEY_CTX_set0_rsa_oaep_label(pctx, label,
                                                (int) s->label_len)
               != 1)
        {
            OPENSSL_free(label);
            return 0;
        }

        return 1;

    default:
        return 1;
    }
}


static int
ngx_kmip_pk_rsa_crypt(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *key,
    const ngx_kmip_pk_params_t *p, int enc, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, ngx_kmip_keys_error_t *err)
{
    int                   ok, rc;
    size_t                n, size;
    uint8_t              *buf;
    EVP_PKEY             *pkey;
    EVP_PKEY_CTX         *pctx;
    ngx_kmip_pk_setup_t   s;

    rc = ngx_kmip_pk_load(key, p, 0, 0, !enc, &pkey, &s, err);
    if (rc != NGX_KMIP_KEYS_OK) {
        return rc;
    }

    size = (size_t) EVP_PKEY_get_size(pkey);
    buf = a->alloc(a->data, size);
    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    EVP_PKEY_free(pkey);

    if (buf == NULL || pctx == NULL) {
        EVP_PKEY_CTX_free(pctx);
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    ok = (enc ? EVP_PKEY_encrypt_init(pctx) : EVP_PKEY_decrypt_init(pctx))
         == 1
         && ngx_kmip_pk_ctx_params(pctx, &s);

    if (!ok) {
        EVP_PKEY_CTX_free(pctx);
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CRYPTO, NULL);
    }

    n = size;
    ok = (enc ? EVP_PKEY_encrypt(pctx, buf, &n, in, in_len)
              : EVP_PKEY_decrypt(pctx, buf, &n, in, in_len))
         == 1;
    EVP_PKEY_CTX_free(pctx);

    if (!ok) {
        OPENSSL_cleanse(buf, size);
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_DATA,
                                  enc ? "the data is too long for the key "
                                        "and padding"
                                      : "the ciphertext does not decrypt");
    }

    *out = buf;
    *out_len = n;

    return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
}
