
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/provider.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_create.h"
#include "ngx_kmip_op_crypto.h"


/*
 * Derive Key (KMIP 1.4 4.6, 2.1 6.1.14): a new Symmetric Key or Secret
 * Data whose material a derivation function makes from the material of a
 * Symmetric Key or Secret Data the store holds. The new object is made as
 * Create makes one (ngx_kmip_op_create.h), from the request's attributes,
 * which must give its Cryptographic Length (and a key's Cryptographic
 * Algorithm); it carries a Derivation Base Object Link to the base, and
 * the base a Derived Key Link to it.
 *
 * The methods are computed as PyKMIP's server computes them, so that its
 * clients get the material they expect: PBKDF2 (PKCS #5) with the base's
 * material as the password; HMAC as HKDF (RFC 5869) with the base's
 * material as the input key, the Salt as salt and the Derivation Data as
 * info; NIST SP 800-108 KDF in counter mode with HMAC, a 32-bit counter
 * before the Derivation Data as the fixed input; Hash of the base's
 * material; Encrypt of the Derivation Data with the base as the key.
 * The output is cut to the length asked for.
 */


/* a derived object's material, at most (8192 bits) */
#define NGX_KMIP_DERIVE_MAX            1024

/*
 * PBKDF2 runs in the worker, between two events: its work, the Iteration
 * Count times the hash blocks of output, is bounded so that one request
 * cannot hold the worker for long (a million SHA-256 iterations take
 * about half a second)
 */
#define NGX_KMIP_DERIVE_MAX_ITERATIONS  1000000

/* Derivation Data of an Encrypt derivation, at most */
#define NGX_KMIP_DERIVE_MAX_DATA       4096


typedef struct {
    uint32_t                    method;
    uint32_t                    type;       /* the new object's */
    ngx_kmip_item_t            *params;     /* Derivation Parameters */
    ngx_str_t                   base;       /* the base's Unique
                                               Identifier */
    ngx_kmip_object_t          *derived;    /* the new object */
} ngx_kmip_derive_t;


/* an OpenSSL key derivation function being set up: its name, its
   parameters, and the integers they point to */
typedef struct {
    const char                 *name;
    OSSL_PARAM                  params[8];
    OSSL_PARAM                 *prm;        /* the next free one */
    int                         iter;
    int                         flag;
} ngx_kmip_derive_kdf_t;


static ngx_int_t ngx_kmip_op_derive_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_derive_material(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_derive_stored(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_derive_check_base(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_derive_length(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj, size_t *len);
static ngx_int_t ngx_kmip_op_derive_pbkdf2(ngx_kmip_op_ctx_t *ctx,
    const EVP_MD *md, size_t len, ngx_kmip_derive_kdf_t *k);
static ngx_int_t ngx_kmip_op_derive_hkdf(ngx_kmip_op_ctx_t *ctx,
    const EVP_MD *md, size_t len, ngx_kmip_derive_kdf_t *k);
static ngx_int_t ngx_kmip_op_derive_kbkdf(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_derive_kdf_t *k);
static void ngx_kmip_op_derive_octets(ngx_kmip_derive_kdf_t *k,
    const char *name, const void *data, size_t len);
static ngx_int_t ngx_kmip_op_derive_run(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *base, u_char *out, size_t len);
static ngx_int_t ngx_kmip_op_derive_kdf(const char *name,
    OSSL_PARAM *params, u_char *out, size_t len);
static ngx_int_t ngx_kmip_op_derive_hash(ngx_kmip_op_ctx_t *ctx,
    const EVP_MD *md, ngx_str_t *key, u_char *out, size_t len);
static ngx_int_t ngx_kmip_op_derive_encrypt(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *base, u_char *out, size_t len);
static EVP_CIPHER *ngx_kmip_op_derive_cipher(uint32_t alg, uint32_t mode,
    size_t key_len);
static ngx_int_t ngx_kmip_op_derive_too_long(ngx_kmip_op_ctx_t *ctx,
    size_t len, size_t max);


ngx_int_t
ngx_kmip_op_derive_key(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_uint_t          n;
    ngx_kmip_item_t    *ot, *it, *uid, *method, *dp;
    ngx_kmip_derive_t  *d;
    ngx_kmip_op_ctx_t  *ctx;

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    ot = ngx_kmip_op_need(r, out, in->payload, NGX_KMIP_TAG_OBJECT_TYPE,
                          NGX_KMIP_TYPE_ENUMERATION,
                          "Derive Key needs an Object Type");
    if (ot == NULL) {
        return NGX_OK;
    }

    if (ot->v.num != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
        && ot->v.num != NGX_KMIP_OBJECT_TYPE_SECRET_DATA)
    {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Derive Key makes Symmetric Keys and "
                                    "Secret Data only");
    }

    /*
     * the ID Placeholder "SHALL NOT be used" here (1.4 4.6); a second
     * base object would give the Derivation Data, which the request gives
     * as well here
     */

    n = 0;
    uid = NULL;

    for (it = in->payload->v.kids.first; it; it = it->next) {
        if (it->tag == NGX_KMIP_TAG_UNIQUE_IDENTIFIER) {
            uid = it;
            n++;
        }
    }

    if (uid == NULL || uid->type != NGX_KMIP_TYPE_TEXT_STRING
        || uid->v.str.len == 0)
    {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "Derive Key needs the Unique Identifier "
                                    "of its base object");
    }

    if (n > 1) {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "Derive Key takes one base object, with "
                                    "the Derivation Data in the request");
    }

    method = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_DERIVATION_METHOD);
    dp = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_DERIVATION_PARAMETERS);

    if (method == NULL || method->type != NGX_KMIP_TYPE_ENUMERATION
        || dp == NULL || dp->type != NGX_KMIP_TYPE_STRUCTURE)
    {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "Derive Key needs a Derivation Method "
                                    "and Derivation Parameters");
    }

    switch (method->v.num) {

    case NGX_KMIP_DERIVATION_METHOD_PBKDF2:
    case NGX_KMIP_DERIVATION_METHOD_HASH:
    case NGX_KMIP_DERIVATION_METHOD_HMAC:
    case NGX_KMIP_DERIVATION_METHOD_ENCRYPT:
    case NGX_KMIP_DERIVATION_METHOD_NIST800_108_C:
        break;

    default:
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "Derivation Method %L is not supported: "
                                    "PBKDF2, Hash, HMAC, Encrypt and "
                                    "NIST800-108-C are", method->v.num);
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    d = ngx_pcalloc(r->pool, sizeof(ngx_kmip_derive_t));

    if (ctx == NULL || d == NULL) {
        return NGX_ERROR;
    }

    d->method = (uint32_t) method->v.num;
    d->type = (uint32_t) ot->v.num;
    d->params = dp;

    ctx->uid.data = (u_char *) uid->v.str.data;
    ctx->uid.len = uid->v.str.len;
    ctx->data = d;

    return ngx_kmip_op_load(ctx, 1, ngx_kmip_op_derive_loaded);
}


/*
 * The base read and checked: the new object made from the request's
 * attributes, its material derived, linked to the base, and stored
 */

static ngx_int_t
ngx_kmip_op_derive_loaded(ngx_kmip_op_ctx_t *ctx)
{
    ngx_int_t           rc;
    ngx_kmip_derive_t  *d = ctx->data;

    rc = ngx_kmip_op_derive_check_base(ctx);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    return ngx_kmip_op_store_made(ctx, d->type, ngx_kmip_op_derive_material);
}


/* the new object's material, derived from the base (still ctx->obj) */

static ngx_int_t
ngx_kmip_op_derive_material(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    u_char             *p;
    size_t              len;
    ngx_int_t           rc;
    ngx_str_t          *secret;
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_derive_t  *d = ctx->data;
    ngx_kmip_object_t  *base = ctx->obj;

    rc = ngx_kmip_op_derive_length(ctx, obj, &len);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the material goes in a buffer wiped with the request */

    p = ngx_kmip_op_secret(r, len, &secret);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_kmip_op_derive_run(ctx, base, p, len);
    if (rc != NGX_OK) {
        return rc;
    }

    obj->material = *secret;

    /* derived material is a seed for whatever the client makes of it */

    if (d->type == NGX_KMIP_OBJECT_TYPE_SECRET_DATA) {
        obj->subtype = NGX_KMIP_SECRET_DATA_TYPE_SEED;
    }

    if (ngx_kmip_op_add_link(r, &obj->attributes,
                             NGX_KMIP_LINK_TYPE_DERIVATION_BASE_OBJECT_LINK,
                             &base->uid)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    d->base = base->uid;
    d->derived = obj;
    ctx->respond = ngx_kmip_op_derive_stored;

    return NGX_OK;
}


/*
 * The new object stored and the answer made: the base gets its Derived
 * Key Link (1.4 4.6), written as any attribute change is. Should that
 * write fail, the item fails with it, and the new object, already
 * stored, keeps its link to the base.
 */

static ngx_int_t
ngx_kmip_op_derive_stored(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_derive_t  *d = ctx->data;

    return ngx_kmip_op_link_back(ctx, &d->base,
                                 NGX_KMIP_LINK_TYPE_DERIVED_KEY_LINK,
                                 d->derived);
}


/*
 * The base: a Symmetric Key or Secret Data with material, Derive Key in
 * its Cryptographic Usage Mask, and not past its use. A Pre-Active base
 * may derive: what it makes is itself Pre-Active, and PyKMIP's clients
 * derive from the objects they have just registered.
 */

static ngx_int_t
ngx_kmip_op_derive_check_base(ngx_kmip_op_ctx_t *ctx)
{
    int64_t             state;
    ngx_int_t           rc;
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_object_t  *base = ctx->obj;

    if (ngx_kmip_op_gone(ctx)) {
        return NGX_DECLINED;
    }

    if (base->object_type != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
        && base->object_type != NGX_KMIP_OBJECT_TYPE_SECRET_DATA)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "object \"%V\" is not a Symmetric Key "
                                    "or Secret Data", &ctx->uid);
        return NGX_DECLINED;
    }

    if (base->material.len == 0) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_KEY_VALUE_NOT_PRESENT,
                                    "object \"%V\" has no material",
                                    &ctx->uid);
        return NGX_DECLINED;
    }

    state = ngx_kmip_attrs_state(&base->attributes, ngx_time());

    if (state != NGX_KMIP_STATE_PRE_ACTIVE && state != NGX_KMIP_STATE_ACTIVE)
    {
        rc = ngx_kmip_op_wrong_state(ctx, "object \"%V\" is %s",
                                     &ctx->uid, ngx_kmip_state_name(state));
        return rc == NGX_OK ? NGX_DECLINED : rc;
    }

    return ngx_kmip_op_usage_mask(ctx,
                                  NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DERIVE_KEY,
                                  "Derive Key");
}


/* the length asked for, in bytes; a key's algorithm asked for too */

static ngx_int_t
ngx_kmip_op_derive_length(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj,
    size_t *len)
{
    int64_t          bits;
    ngx_kmip_req_t  *r = ctx->r;

    bits = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Length", -1);

    if (bits <= 0 || bits % 8 != 0 || bits > NGX_KMIP_DERIVE_MAX * 8) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Derive Key needs a Cryptographic Length "
                                    "of whole bytes, at most %d bits",
                                    NGX_KMIP_DERIVE_MAX * 8);
        return NGX_DECLINED;
    }

    if (obj->object_type == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
        && ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Algorithm",
                                -1)
           == -1)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "a derived Symmetric Key needs a "
                                    "Cryptographic Algorithm");
        return NGX_DECLINED;
    }

    *len = (size_t) (bits / 8);

    return NGX_OK;
}


/* a Byte String of the Derivation Parameters, or NULL */

static ngx_kmip_item_t *
ngx_kmip_op_derive_bytes(ngx_kmip_derive_t *d, uint32_t tag)
{
    ngx_kmip_item_t  *it;

    it = ngx_kmip_ttlv_find(d->params, tag);

    return (it && it->type == NGX_KMIP_TYPE_BYTE_STRING) ? it : NULL;
}


/*
 * The derivation function into out. NGX_DECLINED: ctx->out says why not
 * (parameters missing or not offered, more asked for than the function
 * gives, or OpenSSL failed)
 */

static ngx_int_t
ngx_kmip_op_derive_run(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *base,
    u_char *out, size_t len)
{
    ngx_int_t                  rc;
    ngx_kmip_req_t            *r = ctx->r;
    ngx_kmip_item_t           *cp;
    const EVP_MD              *md;
    ngx_kmip_derive_t         *d = ctx->data;
    ngx_kmip_derive_kdf_t      k;
    ngx_kmip_cipher_params_t   p;

    if (d->method == NGX_KMIP_DERIVATION_METHOD_ENCRYPT) {
        return ngx_kmip_op_derive_encrypt(ctx, base, out, len);
    }

    /*
     * the hash of the PRF: the request's Cryptographic Parameters, else
     * the base's, else the base's own HMAC algorithm
     */

    cp = ngx_kmip_ttlv_find(d->params, NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);
    ngx_kmip_op_crypto_params(base, cp, &p);

    if (p.hashing == 0) {
        p.hashing = ngx_kmip_op_hmac_hashing(p.alg);
    }

    md = ngx_kmip_op_hash_md(p.hashing);

    if (md == NULL) {
        (void) ngx_kmip_result_fail(r, ctx->out, ngx_kmip_op_bad_params(r),
                                    "Derive Key needs a Hashing Algorithm "
                                    "it supports in the Cryptographic "
                                    "Parameters");
        return NGX_DECLINED;
    }

    if (d->method == NGX_KMIP_DERIVATION_METHOD_HASH) {

        /* 1.4 4.6: over the key or over the data, and not both */

        if (ngx_kmip_op_derive_bytes(d, NGX_KMIP_TAG_DERIVATION_DATA)) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "the Hash method hashes the base "
                                        "object: it takes no Derivation "
                                        "Data");
            return NGX_DECLINED;
        }

        return ngx_kmip_op_derive_hash(ctx, md, &base->material, out, len);
    }

    k.prm = k.params;
    *k.prm++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                            (char *) EVP_MD_get0_name(md), 0);

    /* the base's material: PBKDF2's password, the others' key */

    ngx_kmip_op_derive_octets(&k,
                              d->method == NGX_KMIP_DERIVATION_METHOD_PBKDF2
                              ? OSSL_KDF_PARAM_PASSWORD : OSSL_KDF_PARAM_KEY,
                              base->material.data, base->material.len);

    switch (d->method) {

    case NGX_KMIP_DERIVATION_METHOD_PBKDF2:
        rc = ngx_kmip_op_derive_pbkdf2(ctx, md, len, &k);
        break;

    case NGX_KMIP_DERIVATION_METHOD_HMAC:
        rc = ngx_kmip_op_derive_hkdf(ctx, md, len, &k);
        break;

    default: /* NGX_KMIP_DERIVATION_METHOD_NIST800_108_C */
        rc = ngx_kmip_op_derive_kbkdf(ctx, &k);
        break;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    *k.prm = OSSL_PARAM_construct_end();

    if (ngx_kmip_op_derive_kdf(k.name, k.params, out, len) != NGX_OK) {
        return ngx_kmip_op_derive_too_long(ctx, len, 0);
    }

    return NGX_OK;
}


/* PBKDF2's parameters: a Salt and an Iteration Count within the bound */

static ngx_int_t
ngx_kmip_op_derive_pbkdf2(ngx_kmip_op_ctx_t *ctx, const EVP_MD *md,
    size_t len, ngx_kmip_derive_kdf_t *k)
{
    size_t              blocks;
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_item_t    *salt, *it;
    ngx_kmip_derive_t  *d = ctx->data;

    salt = ngx_kmip_op_derive_bytes(d, NGX_KMIP_TAG_SALT);
    it = ngx_kmip_ttlv_find(d->params, NGX_KMIP_TAG_ITERATION_COUNT);

    if (salt == NULL || it == NULL || it->type != NGX_KMIP_TYPE_INTEGER) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "PBKDF2 needs a Salt and an "
                                    "Iteration Count");
        return NGX_DECLINED;
    }

    if (it->v.num < 1 || it->v.num > NGX_KMIP_DERIVE_MAX_ITERATIONS) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Iteration Count %L is not within "
                                    "1..%d", it->v.num,
                                    NGX_KMIP_DERIVE_MAX_ITERATIONS);
        return NGX_DECLINED;
    }

    k->iter = (int) it->v.num;
    blocks = (len + EVP_MD_get_size(md) - 1) / EVP_MD_get_size(md);

    if ((size_t) k->iter * blocks > NGX_KMIP_DERIVE_MAX_ITERATIONS) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "%d iterations for %uz blocks of "
                                    "output: at most %d in all",
                                    k->iter, blocks,
                                    NGX_KMIP_DERIVE_MAX_ITERATIONS);
        return NGX_DECLINED;
    }

    /*
     * PKCS #5 as the clients use it: OpenSSL's SP 800-132 floor on salt
     * and iterations would refuse RFC 6070's own vectors
     */

    k->flag = 1;

    ngx_kmip_op_derive_octets(k, OSSL_KDF_PARAM_SALT, salt->v.str.data,
                              salt->v.str.len);
    *k->prm++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_ITER, &k->iter);
    *k->prm++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &k->flag);
    k->name = OSSL_KDF_NAME_PBKDF2;

    return NGX_OK;
}


/* HMAC as HKDF (RFC 5869): the Salt, the Derivation Data as its info */

static ngx_int_t
ngx_kmip_op_derive_hkdf(ngx_kmip_op_ctx_t *ctx, const EVP_MD *md,
    size_t len, ngx_kmip_derive_kdf_t *k)
{
    size_t              max;
    ngx_kmip_item_t    *salt, *data;
    ngx_kmip_derive_t  *d = ctx->data;

    /* HKDF gives at most 255 blocks of the hash (RFC 5869 2.3) */

    max = 255 * (size_t) EVP_MD_get_size(md);

    if (len > max) {
        return ngx_kmip_op_derive_too_long(ctx, len, max);
    }

    salt = ngx_kmip_op_derive_bytes(d, NGX_KMIP_TAG_SALT);
    data = ngx_kmip_op_derive_bytes(d, NGX_KMIP_TAG_DERIVATION_DATA);

    /* no salt is the hash's length of zeros (RFC 5869 2.2) */

    if (salt && salt->v.str.len) {
        ngx_kmip_op_derive_octets(k, OSSL_KDF_PARAM_SALT, salt->v.str.data,
                                  salt->v.str.len);
    }

    if (data && data->v.str.len) {
        ngx_kmip_op_derive_octets(k, OSSL_KDF_PARAM_INFO, data->v.str.data,
                                  data->v.str.len);
    }

    k->name = OSSL_KDF_NAME_HKDF;

    return NGX_OK;
}


/* SP 800-108 in counter mode with HMAC, the Derivation Data its input */

static ngx_int_t
ngx_kmip_op_derive_kbkdf(ngx_kmip_op_ctx_t *ctx, ngx_kmip_derive_kdf_t *k)
{
    ngx_kmip_item_t    *data;
    ngx_kmip_derive_t  *d = ctx->data;

    data = ngx_kmip_op_derive_bytes(d, NGX_KMIP_TAG_DERIVATION_DATA);

    if (data == NULL || data->v.str.len == 0) {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "NIST800-108-C needs Derivation Data");
        return NGX_DECLINED;
    }

    /*
     * the Derivation Data is the whole fixed input (Label || 0x00 ||
     * Context as the client made it, 1.4 4.6): OpenSSL is told to add
     * neither its separator nor the length L
     */

    k->flag = 0;

    *k->prm++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC,
                                                 (char *) "HMAC", 0);
    *k->prm++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE,
                                                 (char *) "counter", 0);
    ngx_kmip_op_derive_octets(k, OSSL_KDF_PARAM_SALT, data->v.str.data,
                              data->v.str.len);
    *k->prm++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_KBKDF_USE_L,
                                         &k->flag);
    *k->prm++ = OSSL_PARAM_construct_int(
                                 OSSL_KDF_PARAM_KBKDF_USE_SEPARATOR, &k->flag);
    k->name = OSSL_KDF_NAME_KBKDF;

    return NGX_OK;
}


/* a byte string parameter of the function, pointing to data */

static void
ngx_kmip_op_derive_octets(ngx_kmip_derive_kdf_t *k, const char *name,
    const void *data, size_t len)
{
    *k->prm++ = OSSL_PARAM_construct_octet_string(name, (void *) data, len);
}


/* OpenSSL's KDF by name; its context wipes what it held when freed */

static ngx_int_t
ngx_kmip_op_derive_kdf(const char *name, OSSL_PARAM *params, u_char *out,
    size_t len)
{
    int            rc;
    EVP_KDF       *kdf;
    EVP_KDF_CTX   *c;

    kdf = EVP_KDF_fetch(NULL, name, NULL);
    if (kdf == NULL) {
        return NGX_ERROR;
    }

    c = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);

    if (c == NULL) {
        return NGX_ERROR;
    }

    rc = EVP_KDF_derive(c, out, len, params);

    EVP_KDF_CTX_free(c);

    if (rc != 1) {
        OPENSSL_cleanse(out, len);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the Hash method: the digest of the base's material, cut to length */

static ngx_int_t
ngx_kmip_op_derive_hash(ngx_kmip_op_ctx_t *ctx, const EVP_MD *md,
    ngx_str_t *key, u_char *out, size_t len)
{
    u_char        buf[EVP_MAX_MD_SIZE];
    unsigned int  n;

    if (len > (size_t) EVP_MD_get_size(md)) {
        return ngx_kmip_op_derive_too_long(ctx, len, EVP_MD_get_size(md));
    }

    if (EVP_Digest(key->data, key->len, buf, &n, md, NULL) != 1) {
        return ngx_kmip_op_derive_too_long(ctx, len, 0);
    }

    ngx_memcpy(out, buf, len);
    OPENSSL_cleanse(buf, sizeof(buf));

    return NGX_OK;
}


/*
 * The Encrypt method: the Derivation Data encrypted with the base as the
 * key, under the Cryptographic Parameters (the request's over the base's)
 * and the Initialization Vector, zeros when none is given ("an empty IV
 * is assumed", 1.4 4.6); the ciphertext cut to length
 */

static ngx_int_t
ngx_kmip_op_derive_encrypt(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *base,
    u_char *out, size_t len)
{
    int                        n, m, iv_len;
    u_char                     zeros[EVP_MAX_IV_LENGTH], *buf;
    const u_char              *iv;
    ngx_int_t                  rc;
    ngx_str_t                 *secret;
    EVP_CIPHER                *cipher;
    ngx_kmip_req_t            *r = ctx->r;
    EVP_CIPHER_CTX            *c;
    ngx_kmip_item_t           *data, *ivi, *cp;
    ngx_kmip_derive_t         *d = ctx->data;
    ngx_kmip_cipher_params_t   p;

    cp = ngx_kmip_ttlv_find(d->params, NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);
    ngx_kmip_op_crypto_params(base, cp, &p);

    data = ngx_kmip_op_derive_bytes(d, NGX_KMIP_TAG_DERIVATION_DATA);

    if (data == NULL || data->v.str.len == 0) {
        (void) ngx_kmip_result_fail(r, ctx->out, NGX_KMIP_REASON_MISSING_DATA,
                                    "the Encrypt method needs Derivation "
                                    "Data");
        return NGX_DECLINED;
    }

    if (data->v.str.len > NGX_KMIP_DERIVE_MAX_DATA) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Derivation Data of %uz bytes is too "
                                    "long", data->v.str.len);
        return NGX_DECLINED;
    }

    if ((p.padding != NGX_KMIP_PADDING_METHOD_NONE
         && p.padding != NGX_KMIP_PADDING_METHOD_PKCS5)
        || (cipher = ngx_kmip_op_derive_cipher(p.alg, p.mode,
                                               base->material.len))
           == NULL)
    {
        (void) ngx_kmip_result_fail(r, ctx->out, ngx_kmip_op_bad_params(r),
                                    "the Encrypt method takes AES, Triple "
                                    "DES or Blowfish keys in ECB or CBC "
                                    "mode (AES in CTR too), with PKCS5 "
                                    "padding or none");
        return NGX_DECLINED;
    }

    iv_len = EVP_CIPHER_get_iv_length(cipher);
    ngx_memzero(zeros, sizeof(zeros));
    iv = zeros;

    ivi = ngx_kmip_op_derive_bytes(d, NGX_KMIP_TAG_INITIALIZATION_VECTOR);

    if (ivi && ivi->v.str.len && iv_len > 0) {
        if (ivi->v.str.len != (size_t) iv_len) {
            EVP_CIPHER_free(cipher);
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "the Initialization Vector has %uz "
                                        "bytes, the cipher takes %d",
                                        ivi->v.str.len, iv_len);
            return NGX_DECLINED;
        }

        iv = ivi->v.str.data;
    }

    buf = ngx_kmip_op_secret(r, data->v.str.len + EVP_MAX_BLOCK_LENGTH,
                             &secret);
    c = EVP_CIPHER_CTX_new();

    if (buf == NULL || c == NULL) {
        EVP_CIPHER_free(cipher);
        EVP_CIPHER_CTX_free(c);
        return NGX_ERROR;
    }

    n = m = 0;

    /* Blowfish keys have any length: it is set before the key */

    rc = (EVP_EncryptInit_ex(c, cipher, NULL, NULL, NULL) == 1
          && EVP_CIPHER_CTX_set_key_length(c, (int) base->material.len) == 1
          && EVP_EncryptInit_ex(c, NULL, NULL, base->material.data, iv) == 1
          && EVP_CIPHER_CTX_set_padding(c, p.padding
                                           == NGX_KMIP_PADDING_METHOD_PKCS5)
             == 1
          && EVP_EncryptUpdate(c, buf, &n, data->v.str.data,
                               (int) data->v.str.len) == 1
          && EVP_EncryptFinal_ex(c, buf + n, &m) == 1)
         ? NGX_OK : NGX_ERROR;

    /* freeing the context wipes its key schedule */

    EVP_CIPHER_CTX_free(c);
    EVP_CIPHER_free(cipher);

    if (rc != NGX_OK) {
        return ngx_kmip_op_derive_too_long(ctx, len, 0);
    }

    if (len > (size_t) (n + m)) {
        return ngx_kmip_op_derive_too_long(ctx, len, (size_t) (n + m));
    }

    ngx_memcpy(out, buf, len);

    return NGX_OK;
}


/*
 * The cipher of the Encrypt method, to be freed. Blowfish lives in
 * OpenSSL 3's legacy provider: it is loaded into a library context of its
 * own, once per process, so that the legacy algorithms serve this
 * derivation and nothing else (not the TLS of the connections).
 */

static EVP_CIPHER *
ngx_kmip_op_derive_cipher(uint32_t alg, uint32_t mode, size_t key_len)
{
    u_char              name[32];
    const char         *m;
    OSSL_LIB_CTX       *lib;

    static OSSL_LIB_CTX  *legacy;

    m = (mode == NGX_KMIP_BLOCK_CIPHER_MODE_ECB) ? "ECB"
        : (mode == NGX_KMIP_BLOCK_CIPHER_MODE_CBC) ? "CBC"
        : (mode == NGX_KMIP_BLOCK_CIPHER_MODE_CTR) ? "CTR" : NULL;

    if (m == NULL) {
        return NULL;
    }

    lib = NULL;

    switch (alg) {

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES:
        if (key_len != 16 && key_len != 24 && key_len != 32) {
            return NULL;
        }

        ngx_sprintf(name, "AES-%uz-%s%Z", key_len * 8, m);
        break;

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES:
        if ((key_len != 16 && key_len != 24) || m[1] == 'T') {
            return NULL;
        }

        ngx_sprintf(name, "DES-EDE%s-%s%Z", key_len == 24 ? "3" : "", m);
        break;

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_BLOWFISH:
        if (key_len < 4 || key_len > 56 || m[1] == 'T') {
            return NULL;
        }

        if (legacy == NULL) {
            lib = OSSL_LIB_CTX_new();

            if (lib == NULL
                || OSSL_PROVIDER_load(lib, "legacy") == NULL
                || OSSL_PROVIDER_load(lib, "default") == NULL)
            {
                OSSL_LIB_CTX_free(lib);
                return NULL;
            }

            legacy = lib;
        }

        lib = legacy;
        ngx_sprintf(name, "BF-%s%Z", m);
        break;

    default:
        return NULL;
    }

    return EVP_CIPHER_fetch(lib, (char *) name, NULL);
}


/* more asked for than the method gives, or the method failed */

static ngx_int_t
ngx_kmip_op_derive_too_long(ngx_kmip_op_ctx_t *ctx, size_t len, size_t max)
{
    if (max) {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                    "%uz bytes asked for: the method gives "
                                    "%uz", len, max);
    } else {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                    "the derivation failed");
    }

    return NGX_DECLINED;
}
