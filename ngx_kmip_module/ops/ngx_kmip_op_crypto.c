
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_usage.h"
#include "ngx_kmip_op_crypto.h"
#include "ngx_kmip_op_pkey.h"


/* one Encrypt or Decrypt: bounded like any message, checked anyway */
#define NGX_KMIP_CIPHER_MAX_DATA  (1024 * 1024)

/*
 * A stream carries at most this much Data in all: a decrypting one hands
 * out plaintext before its tag is checked
 */
#define NGX_KMIP_CIPHER_STREAM_MAX_BYTES  (64 * 1024 * 1024)

/* ctx->data of an Encrypt or Decrypt waiting for its key */
#define NGX_KMIP_CIPHER_ENCRYPT  0x01
#define NGX_KMIP_CIPHER_OPEN     0x02   /* Init Indicator: open a stream */

/* the output of one part may hold back a block and release two */
#define NGX_KMIP_CIPHER_SLACK    (2 * EVP_MAX_BLOCK_LENGTH)


/* an Encrypt or Decrypt being set up, from its key and its request */

typedef struct {
    ngx_kmip_cipher_params_t    p;
    const EVP_CIPHER           *cipher;
    ngx_uint_t                  enc;
    ngx_uint_t                  open;       /* the first part of a stream */
    ngx_uint_t                  chacha;     /* 1: ChaCha20,
                                               2: ChaCha20-Poly1305 */
    ngx_uint_t                  gcm;        /* authenticated: GCM or
                                               ChaCha20-Poly1305 */
    u_char                     *iv;
    int                         iv_len;
    ngx_uint_t                  gen_iv;     /* the server made the IV */
    ngx_str_t                   ivs;        /* the IV to answer with */
    u_char                      civ[16];    /* a ChaCha20 counter and nonce */
    ngx_kmip_item_t            *data;
    ngx_kmip_item_t            *aad;
    ngx_kmip_item_t            *etag;
} ngx_kmip_cipher_setup_t;




static ngx_int_t ngx_kmip_op_cipher(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    ngx_uint_t enc);
static void ngx_kmip_op_cipher_params_of(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_cipher_params_t *p);
static ngx_int_t ngx_kmip_op_cipher_choose(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_cipher_setup_t *cs);
static ngx_int_t ngx_kmip_op_cipher_iv(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_cipher_setup_t *cs);
static ngx_int_t ngx_kmip_op_cipher_init(ngx_kmip_cipher_setup_t *cs,
    EVP_CIPHER_CTX *c, ngx_str_t *key);
static ngx_int_t ngx_kmip_op_cipher_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_cipher_once(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_cipher_setup_t *cs, EVP_CIPHER_CTX *c);
static ngx_int_t ngx_kmip_op_cipher_failed(ngx_kmip_op_ctx_t *ctx,
    EVP_CIPHER_CTX *c, ngx_uint_t enc);
static ngx_int_t ngx_kmip_op_cipher_update(ngx_kmip_req_t *r,
    EVP_CIPHER_CTX *c, ngx_kmip_item_t *data, ngx_uint_t last,
    ngx_str_t *res);
static ngx_int_t ngx_kmip_op_cipher_respond(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, ngx_str_t *uid, ngx_str_t *data,
    ngx_str_t *iv, ngx_str_t *cv, ngx_str_t *tag);
static ngx_int_t ngx_kmip_op_stream_open(ngx_kmip_op_ctx_t *ctx,
    EVP_CIPHER_CTX *c, ngx_uint_t aead, int tag_len, ngx_uint_t tag_set,
    ngx_str_t *iv);
static ngx_int_t ngx_kmip_op_stream_next(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    ngx_kmip_item_t *cv);
static ngx_int_t ngx_kmip_op_stream_run(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, ngx_kmip_crypto_stream_t **slot,
    ngx_kmip_item_t *data, ngx_kmip_item_t *etag, ngx_uint_t final,
    ngx_str_t *iv);
static ngx_int_t ngx_kmip_op_stream_part(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, ngx_kmip_crypto_stream_t **slot,
    ngx_kmip_item_t *data, ngx_uint_t final, ngx_uint_t first,
    ngx_str_t *uid, ngx_str_t *iv);
static ngx_int_t ngx_kmip_op_stream_broken(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, ngx_kmip_crypto_stream_t **slot);
static void ngx_kmip_op_streams_expire(ngx_kmip_req_t *r);
static uint32_t ngx_kmip_op_stream_operation(ngx_kmip_crypto_stream_t *s);
static const char *ngx_kmip_op_stream_name(ngx_kmip_crypto_stream_t *s);
static uint32_t ngx_kmip_op_stream_unknown(ngx_kmip_req_t *r);



/*
 * Parameters the server does not offer: Bad Cryptographic Parameters from
 * 2.0 on; 1.x has no such reason, and says Feature Not Supported
 */

uint32_t
ngx_kmip_op_bad_params(ngx_kmip_req_t *r)
{
    return r->version >= NGX_KMIP_VERSION(2, 0)
           ? NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS
           : NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED;
}



ngx_int_t
ngx_kmip_op_encrypt(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_cipher(r, in, out, 1);
}


ngx_int_t
ngx_kmip_op_decrypt(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_cipher(r, in, out, 0);
}


/* a Boolean indicator is set when present and True */

ngx_uint_t
ngx_kmip_op_flag(const ngx_kmip_item_t *payload, uint32_t tag)
{
    ngx_kmip_item_t  *it;

    it = ngx_kmip_ttlv_find(payload, tag);

    return it && it->type == NGX_KMIP_TYPE_BOOLEAN && it->v.num;
}


static ngx_int_t
ngx_kmip_op_cipher(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_uint_t enc)
{
    ngx_uint_t        init, final;
    ngx_kmip_item_t  *data, *cv;

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    /*
     * KMIP 1.4 4.29/4.30, 2.1 6.1.17/6.1.11: an Init Indicator opens a
     * multi-part operation, the Correlation Value the server returned
     * names it afterwards, a Final Indicator ends it; both indicators and
     * no Correlation Value is a single-part operation
     */

    init = ngx_kmip_op_flag(in->payload, NGX_KMIP_TAG_INIT_INDICATOR);
    final = ngx_kmip_op_flag(in->payload,
                                    NGX_KMIP_TAG_FINAL_INDICATOR);
    cv = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_CORRELATION_VALUE);

    if (r->streams == NULL && (init != final || cv)) {
        return ngx_kmip_result_fail(r, out,
                                  NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                  "multi-part cryptographic operations are "
                                  "not supported");
    }

    /* Data may be left out of the first and the last part only */

    data = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_DATA);

    if ((data == NULL && init == final)
        || (data && data->type != NGX_KMIP_TYPE_BYTE_STRING))
    {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "%s needs Data",
                                    enc ? "Encrypt" : "Decrypt");
    }

    if (data && data->v.str.len > NGX_KMIP_CIPHER_MAX_DATA) {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Data of %uz bytes is too long",
                                    data->v.str.len);
    }

    if (cv) {
        if (init) {
            return ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "an Init Indicator opens a stream: "
                                        "it takes no Correlation Value");
        }

        /* the stream holds its key: no store call */
        return ngx_kmip_op_stream_next(r, in, out, cv);
    }

    if (final && !init) {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_INVALID_CORRELATION_VALUE,
                                    "a Final Indicator needs the "
                                    "Correlation Value of its stream");
    }

    return ngx_kmip_op_begin_load(r, in, out,
                                  (void *) (uintptr_t)
                                  ((enc ? NGX_KMIP_CIPHER_ENCRYPT : 0)
                                   | (init && !final ? NGX_KMIP_CIPHER_OPEN
                                                     : 0)),
                                  1, ngx_kmip_op_cipher_loaded);
}


/* the request's Cryptographic Parameters, else the key's attribute */

static void
ngx_kmip_op_cipher_params(const ngx_kmip_item_t *cp,
    ngx_kmip_cipher_params_t *p)
{
    ngx_kmip_item_t  *it;

    it = ngx_kmip_ttlv_find(cp, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM);
    if (it && it->type == NGX_KMIP_TYPE_ENUMERATION) {
        p->alg = (uint32_t) it->v.num;
    }

    it = ngx_kmip_ttlv_find(cp, NGX_KMIP_TAG_BLOCK_CIPHER_MODE);
    if (it && it->type == NGX_KMIP_TYPE_ENUMERATION) {
        p->mode = (uint32_t) it->v.num;
    }

    it = ngx_kmip_ttlv_find(cp, NGX_KMIP_TAG_PADDING_METHOD);
    if (it && it->type == NGX_KMIP_TYPE_ENUMERATION) {
        p->padding = (uint32_t) it->v.num;
    }

    it = ngx_kmip_ttlv_find(cp, NGX_KMIP_TAG_TAG_LENGTH);
    if (it && it->type == NGX_KMIP_TYPE_INTEGER) {
        p->tag_len = it->v.num;
    }

    it = ngx_kmip_ttlv_find(cp, NGX_KMIP_TAG_RANDOM_IV);
    if (it && it->type == NGX_KMIP_TYPE_BOOLEAN) {
        p->random_iv = it->v.num ? 1 : 0;
    }

    it = ngx_kmip_ttlv_find(cp, NGX_KMIP_TAG_HASHING_ALGORITHM);
    if (it && it->type == NGX_KMIP_TYPE_ENUMERATION) {
        p->hashing = (uint32_t) it->v.num;
    }
}


/* AES in each block cipher mode offered, for 128, 192 and 256-bit keys */

typedef struct {
    uint32_t                    mode;
    const EVP_CIPHER         *(*aes[3])(void);
} ngx_kmip_op_aes_mode_t;


static const ngx_kmip_op_aes_mode_t  ngx_kmip_op_aes_modes[] = {
    { NGX_KMIP_BLOCK_CIPHER_MODE_ECB,
      { EVP_aes_128_ecb, EVP_aes_192_ecb, EVP_aes_256_ecb } },
    { NGX_KMIP_BLOCK_CIPHER_MODE_CBC,
      { EVP_aes_128_cbc, EVP_aes_192_cbc, EVP_aes_256_cbc } },
    { NGX_KMIP_BLOCK_CIPHER_MODE_CTR,
      { EVP_aes_128_ctr, EVP_aes_192_ctr, EVP_aes_256_ctr } },
    { NGX_KMIP_BLOCK_CIPHER_MODE_GCM,
      { EVP_aes_128_gcm, EVP_aes_192_gcm, EVP_aes_256_gcm } }
};


static const EVP_CIPHER *
ngx_kmip_op_evp_cipher(uint32_t mode, size_t key_len)
{
    ngx_uint_t  i;

    for (i = 0; i < sizeof(ngx_kmip_op_aes_modes)
                    / sizeof(ngx_kmip_op_aes_modes[0]); i++)
    {
        if (ngx_kmip_op_aes_modes[i].mode == mode) {
            return ngx_kmip_op_aes_modes[i].aes[key_len == 16 ? 0
                                                : key_len == 24 ? 1 : 2]();
        }
    }

    return NULL;
}


/* the checks of a key before it is used (ngx_kmip_op_crypto.h) */

ngx_int_t
ngx_kmip_op_crypto_key(ngx_kmip_op_ctx_t *ctx, uint32_t need,
    ngx_uint_t protect, const char *what)
{
    ngx_kmip_object_t  *obj = ctx->obj;

    if (ngx_kmip_op_gone(ctx)) {
        return NGX_DECLINED;
    }

    if (ngx_kmip_op_symmetric_key(ctx, obj, &ctx->uid, "object") != NGX_OK) {
        return NGX_DECLINED;
    }

    return ngx_kmip_op_key_usable(ctx, need, protect, 0, what);
}


ngx_int_t
ngx_kmip_op_key_usable(ngx_kmip_op_ctx_t *ctx, uint32_t need,
    ngx_uint_t protect, ngx_uint_t deactivated, const char *what)
{
    time_t              now;
    int64_t             state, date;
    ngx_int_t           rc;
    ngx_kmip_object_t  *obj = ctx->obj;

    /* the dates move the State on (1.4 3.22): past its Deactivation
       Date a key protects nothing */

    now = ngx_time();
    state = ngx_kmip_attrs_state(&obj->attributes, now);

    if (state != NGX_KMIP_STATE_ACTIVE
        && !(deactivated && state == NGX_KMIP_STATE_DEACTIVATED))
    {
        rc = ngx_kmip_op_wrong_state(ctx, "object \"%V\" is %s, not Active",
                                     &ctx->uid, ngx_kmip_state_name(state));
        return rc == NGX_OK ? NGX_DECLINED : rc;
    }

    /*
     * the protection period: no new protection after the Protect Stop
     * Date, no processing before the Process Start Date (KMIP 1.4 3.25,
     * 3.26)
     */

    if (protect) {
        date = ngx_kmip_op_attr_num(&obj->attributes, "Protect Stop Date",
                                    -1);
        if (date >= 0 && date <= now) {
            rc = ngx_kmip_op_wrong_state(ctx, "the Protect Stop Date of "
                                         "\"%V\" has passed", &ctx->uid);
            return rc == NGX_OK ? NGX_DECLINED : rc;
        }

    } else {
        date = ngx_kmip_op_attr_num(&obj->attributes, "Process Start Date",
                                    -1);
        if (date > now) {
            rc = ngx_kmip_op_wrong_state(ctx, "the Process Start Date of "
                                         "\"%V\" has not come", &ctx->uid);
            return rc == NGX_OK ? NGX_DECLINED : rc;
        }
    }

    return ngx_kmip_op_usage_mask(ctx, need, what);
}


/* the usage in the object's mask (ngx_kmip_op_crypto.h) */

ngx_int_t
ngx_kmip_op_usage_mask(ngx_kmip_op_ctx_t *ctx, uint32_t need,
    const char *what)
{
    return ngx_kmip_op_usage_mask_of(ctx, ctx->obj, &ctx->uid, need, what);
}


ngx_int_t
ngx_kmip_op_usage_mask_of(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj,
    ngx_str_t *uid, uint32_t need, const char *what)
{
    int64_t          mask;
    ngx_kmip_req_t  *r = ctx->r;

    mask = ngx_kmip_op_attr_num(&obj->attributes,
                                "Cryptographic Usage Mask", 0);

    if (!(mask & need)) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                   r->version >= NGX_KMIP_VERSION(2, 0)
                   ? NGX_KMIP_REASON_INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK
                   : NGX_KMIP_REASON_PERMISSION_DENIED,
                   "the Cryptographic Usage Mask of \"%V\" does not allow %s",
                   uid, what);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The parameters: the key's Cryptographic Algorithm and Cryptographic
 * Parameters, overridden field by field by the request's
 */

static void
ngx_kmip_op_cipher_params_of(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_cipher_params_t *p)
{
    ngx_kmip_item_t  *cp;

    cp = ngx_kmip_ttlv_find(ctx->in->payload,
                            NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);

    ngx_kmip_op_crypto_params(ctx->obj, cp, p);
}


/* the parameters of a key's use (ngx_kmip_op_crypto.h) */

void
ngx_kmip_op_crypto_params(ngx_kmip_object_t *obj, const ngx_kmip_item_t *cp,
    ngx_kmip_cipher_params_t *p)
{
    ngx_kmip_attr_t  *at;

    ngx_memzero(p, sizeof(ngx_kmip_cipher_params_t));
    p->alg = (uint32_t) ngx_kmip_op_attr_num(&obj->attributes,
                                             "Cryptographic Algorithm", 0);
    p->padding = NGX_KMIP_PADDING_METHOD_NONE;
    p->tag_len = 16;

    at = ngx_kmip_attrs_find(&obj->attributes, "Cryptographic Parameters",
                             sizeof("Cryptographic Parameters") - 1, -1);
    if (at && at->value) {
        ngx_kmip_op_cipher_params(at->value, p);
    }

    if (cp) {
        ngx_kmip_op_cipher_params(cp, p);
    }
}


/*
 * The cipher the parameters name for the key's length, and whether they
 * are offered with it: NGX_DECLINED when the answer says they are not
 */

static ngx_int_t
ngx_kmip_op_cipher_choose(ngx_kmip_op_ctx_t *ctx, ngx_kmip_cipher_setup_t *cs)
{
    ngx_kmip_req_t            *r = ctx->r;
    ngx_kmip_object_t         *obj = ctx->obj;
    ngx_kmip_cipher_params_t  *p = &cs->p;

    ngx_kmip_op_cipher_params_of(ctx, p);

    cs->chacha = 0;

    switch (p->alg) {

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES:
        if (obj->material.len != 16 && obj->material.len != 24
            && obj->material.len != 32)
        {
            goto bad_key;
        }

        cs->cipher = ngx_kmip_op_evp_cipher(p->mode, obj->material.len);
        break;

    /* RFC 7539 ChaCha20 (KMIP 2.1), with or without Poly1305 */

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20:
        if (obj->material.len != 32) {
            goto bad_key;
        }

        cs->chacha = 1;
        p->mode = 0;
        cs->cipher = EVP_chacha20();
        break;

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20POLY1305:
        if (obj->material.len != 32) {
            goto bad_key;
        }

        cs->chacha = 2;
        p->mode = NGX_KMIP_BLOCK_CIPHER_MODE_AEAD;
        cs->cipher = EVP_chacha20_poly1305();
        break;

    default:
        goto bad_key;
    }

    if (cs->cipher == NULL) {
        (void) ngx_kmip_result_fail(r, ctx->out, ngx_kmip_op_bad_params(r),
                                    "Block Cipher Mode %uD is not supported",
                                    p->mode);
        return NGX_DECLINED;
    }

    /* authenticated encryption: GCM and ChaCha20-Poly1305 */
    cs->gcm = (p->mode == NGX_KMIP_BLOCK_CIPHER_MODE_GCM || cs->chacha == 2);

    if (p->padding != NGX_KMIP_PADDING_METHOD_NONE
        && (p->padding != NGX_KMIP_PADDING_METHOD_PKCS5
            || (p->mode != NGX_KMIP_BLOCK_CIPHER_MODE_ECB
                && p->mode != NGX_KMIP_BLOCK_CIPHER_MODE_CBC)))
    {
        (void) ngx_kmip_result_fail(r, ctx->out, ngx_kmip_op_bad_params(r),
                                    "Padding Method %uD is not supported "
                                    "here", p->padding);
        return NGX_DECLINED;
    }

    /*
     * the specification gives no reason for this; General Failure is what
     * the OASIS cases CS-BC-M-GCM-1 expect in 1.4 and 2.1
     */

    if (cs->gcm && (p->tag_len < 4 || p->tag_len > 16)) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "Tag Length %L is not within 4..16",
                                    p->tag_len);
        return NGX_DECLINED;
    }

    return NGX_OK;

bad_key:

    (void) ngx_kmip_result_fail(r, ctx->out,
                                NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                "%s takes AES, ChaCha20 and ChaCha20-Poly1305 "
                                "keys only", cs->enc ? "Encrypt" : "Decrypt");
    return NGX_DECLINED;
}


/*
 * The IV: the client's, or one the server makes and returns;
 * NGX_DECLINED when the answer says what is wrong with the client's
 */

static ngx_int_t
ngx_kmip_op_cipher_iv(ngx_kmip_op_ctx_t *ctx, ngx_kmip_cipher_setup_t *cs)
{
    ngx_kmip_req_t   *r = ctx->r;
    ngx_kmip_item_t  *it;

    cs->iv_len = EVP_CIPHER_iv_length(cs->cipher);
    cs->iv = NULL;
    cs->gen_iv = 0;

    it = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_IV_COUNTER_NONCE);

    if (cs->chacha == 1 && it && it->type == NGX_KMIP_TYPE_BYTE_STRING) {

        /*
         * OpenSSL takes the last four words of the ChaCha20 state: a
         * 32-bit counter and a 96-bit nonce (RFC 7539), or, for the
         * original 64-bit nonce, a 64-bit counter; both counters start
         * at 0
         */

        if (it->v.str.len != 8 && it->v.str.len != 12) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "a ChaCha20 nonce has 8 or 12 bytes, "
                                        "not %uz", it->v.str.len);
            return NGX_DECLINED;
        }

        ngx_memzero(cs->civ, sizeof(cs->civ));
        ngx_memcpy(cs->civ + 16 - it->v.str.len, it->v.str.data,
                   it->v.str.len);
        cs->iv = cs->civ;
        cs->iv_len = 16;

    } else if (it && it->type == NGX_KMIP_TYPE_BYTE_STRING && cs->iv_len > 0)
    {
        if (cs->gcm ? (it->v.str.len == 0 || it->v.str.len > 64
                       || (cs->chacha == 2 && it->v.str.len != 12))
                    : it->v.str.len != (size_t) cs->iv_len)
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "the IV/Counter/Nonce has %uz bytes",
                                        it->v.str.len);
            return NGX_DECLINED;
        }

        cs->iv = (u_char *) it->v.str.data;
        cs->iv_len = (int) it->v.str.len;

    } else if (cs->iv_len > 0) {
        if (!cs->enc || !cs->p.random_iv || cs->chacha == 1) {
            /* a required field is absent: the payload does not parse */
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_MESSAGE,
                                        "an IV/Counter/Nonce is needed");
            return NGX_DECLINED;
        }

        cs->iv = ngx_pnalloc(r->pool, cs->iv_len);
        if (cs->iv == NULL) {
            return NGX_ERROR;
        }

        if (RAND_bytes(cs->iv, cs->iv_len) != 1) {
            return NGX_ERROR;
        }

        cs->gen_iv = 1;
    }

    return NGX_OK;
}


/*
 * The cipher set up for the mode: the IV length of an authenticated mode
 * first, then the key, the IV and the padding, the additional data and a
 * Decrypt's tag; NGX_DECLINED when OpenSSL refuses any of them
 */

static ngx_int_t
ngx_kmip_op_cipher_init(ngx_kmip_cipher_setup_t *cs, EVP_CIPHER_CTX *c,
    ngx_str_t *key)
{
    int  n;

    if (EVP_CipherInit_ex(c, cs->cipher, NULL, NULL, NULL, (int) cs->enc)
        != 1
        || (cs->gcm && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN,
                                           cs->iv_len, NULL) != 1)
        || EVP_CipherInit_ex(c, NULL, NULL, key->data, cs->iv,
                             (int) cs->enc) != 1
        || EVP_CIPHER_CTX_set_padding(c,
                      cs->p.padding == NGX_KMIP_PADDING_METHOD_PKCS5) != 1)
    {
        return NGX_DECLINED;
    }

    if (cs->gcm && cs->aad && cs->aad->type == NGX_KMIP_TYPE_BYTE_STRING
        && cs->aad->v.str.len
        && EVP_CipherUpdate(c, NULL, &n, cs->aad->v.str.data,
                            (int) cs->aad->v.str.len) != 1)
    {
        return NGX_DECLINED;
    }

    if (cs->gcm && !cs->enc && cs->etag
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int) cs->p.tag_len,
                               (void *) cs->etag->v.str.data) != 1)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the key read: check it, set up the cipher, and run one part or open */

static ngx_int_t
ngx_kmip_op_cipher_loaded(ngx_kmip_op_ctx_t *ctx)
{
    uint32_t                  need;
    ngx_int_t                 rc;
    ngx_kmip_req_t           *r = ctx->r;
    EVP_CIPHER_CTX           *c;
    ngx_kmip_object_t        *obj = ctx->obj;
    ngx_kmip_cipher_setup_t   cs;

    cs.enc = ((uintptr_t) ctx->data & NGX_KMIP_CIPHER_ENCRYPT) ? 1 : 0;
    cs.open = ((uintptr_t) ctx->data & NGX_KMIP_CIPHER_OPEN) ? 1 : 0;

    if (!obj->destroyed
        && (obj->object_type == NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY
            || obj->object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY))
    {
        /* RSA, in one part (ngx_kmip_op_pkcrypto.c) */
        return cs.open ? ngx_kmip_result_fail(r, ctx->out,
                                       NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                       "RSA %s in parts is not supported",
                                       cs.enc ? "Encrypt" : "Decrypt")
                       : ngx_kmip_op_pk_cipher(ctx);
    }

    need = cs.enc ? NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT
                  : NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DECRYPT;

    rc = ngx_kmip_op_crypto_key(ctx, need, cs.enc,
                                cs.enc ? "Encrypt" : "Decrypt");

    if (rc == NGX_OK) {
        rc = ngx_kmip_op_cipher_choose(ctx, &cs);
    }

    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    cs.data = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_DATA);
    cs.aad = ngx_kmip_ttlv_find(ctx->in->payload,
                      NGX_KMIP_TAG_AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA);
    cs.etag = ngx_kmip_ttlv_find(ctx->in->payload,
                                 NGX_KMIP_TAG_AUTHENTICATED_ENCRYPTION_TAG);

    rc = ngx_kmip_op_cipher_iv(ctx, &cs);

    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    /* a stream's tag may come with its first part or with its last */

    if (cs.gcm && !cs.enc && (cs.etag || !cs.open)
        && (cs.etag == NULL || cs.etag->type != NGX_KMIP_TYPE_BYTE_STRING
            || cs.etag->v.str.len != (size_t) cs.p.tag_len))
    {
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "Decrypt in GCM mode needs the "
                                    "Authenticated Encryption Tag of %L "
                                    "bytes", cs.p.tag_len);
    }

    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return NGX_ERROR;
    }

    if (ngx_kmip_op_cipher_init(&cs, c, &obj->material) != NGX_OK) {
        return ngx_kmip_op_cipher_failed(ctx, c, cs.enc);
    }

    cs.ivs.len = cs.gen_iv ? (size_t) cs.iv_len : 0;
    cs.ivs.data = cs.iv;

    if (!cs.open) {
        return ngx_kmip_op_cipher_once(ctx, &cs, c);
    }

    /*
     * the later parts of a stream never read the object again, so they
     * could not be counted against its Usage Limits
     */

    if (cs.enc && ngx_kmip_attrs_find(&obj->attributes, "Usage Limits", 12, -1)
                  != NULL)
    {
        EVP_CIPHER_CTX_free(c);
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "\"%V\" has Usage Limits: it encrypts in "
                                    "one part only", &obj->uid);
    }

    return ngx_kmip_op_stream_open(ctx, c, cs.gcm, (int) cs.p.tag_len,
                                   cs.etag != NULL,
                                   cs.gen_iv ? &cs.ivs : NULL);
}


/* a single-part operation: all its Data through the cipher, and answer */

static ngx_int_t
ngx_kmip_op_cipher_once(ngx_kmip_op_ctx_t *ctx, ngx_kmip_cipher_setup_t *cs,
    EVP_CIPHER_CTX *c)
{
    u_char           tag[16];
    ngx_int_t        rc;
    ngx_str_t        res, tags;
    ngx_kmip_req_t  *r = ctx->r;

    rc = ngx_kmip_op_cipher_update(r, c, cs->data, 1, &res);

    if (rc == NGX_ERROR) {
        EVP_CIPHER_CTX_free(c);
        return NGX_ERROR;
    }

    if (rc != NGX_OK
        || (cs->gcm && cs->enc
            && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG,
                                   (int) cs->p.tag_len, tag) != 1))
    {
        return ngx_kmip_op_cipher_failed(ctx, c, cs->enc);
    }

    EVP_CIPHER_CTX_free(c);

    tags.len = (size_t) cs->p.tag_len;
    tags.data = tag;

    rc = ngx_kmip_op_cipher_respond(r, ctx->out, &ctx->obj->uid, &res,
                                    cs->gen_iv ? &cs->ivs : NULL, NULL,
                                    cs->gcm && cs->enc ? &tags : NULL);
    if (rc != NGX_OK || !cs->enc) {
        return rc;
    }

    /* an allocation under the key's Usage Limits, if it has some */
    return ngx_kmip_op_usage_consume(ctx, cs->data->v.str.len);
}


/* OpenSSL refused the key, the parameters or the Data: the context goes */

static ngx_int_t
ngx_kmip_op_cipher_failed(ngx_kmip_op_ctx_t *ctx, EVP_CIPHER_CTX *c,
    ngx_uint_t enc)
{
    EVP_CIPHER_CTX_free(c);

    return ngx_kmip_result_fail(ctx->r, ctx->out,
                                NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                "%s failed", enc ? "Encrypt" : "Decrypt");
}


/*
 * Runs one part of Data (NULL: none) through the cipher into a buffer of
 * the request's pool, wiped with it; the last part also finishes the
 * cipher. NGX_DECLINED: the cipher failed (a Decrypt's tag or padding did
 * not check), and what it had written is wiped at once.
 */

static ngx_int_t
ngx_kmip_op_cipher_update(ngx_kmip_req_t *r, EVP_CIPHER_CTX *c,
    ngx_kmip_item_t *data, ngx_uint_t last, ngx_str_t *res)
{
    int         n, total;
    size_t      len, size;
    u_char     *buf;
    ngx_str_t  *secret;

    len = data ? data->v.str.len : 0;
    size = len + NGX_KMIP_CIPHER_SLACK;

    buf = ngx_kmip_op_secret(r, size, &secret);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    total = 0;

    if (len && EVP_CipherUpdate(c, buf, &total, data->v.str.data, (int) len)
               != 1)
    {
        goto failed;
    }

    if (last) {
        if (EVP_CipherFinal_ex(c, buf + total, &n) != 1) {
            goto failed;
        }

        total += n;
    }

    res->data = buf;
    res->len = (size_t) total;

    return NGX_OK;

failed:

    OPENSSL_cleanse(buf, size);

    return NGX_DECLINED;
}


/*
 * The answer; a NULL field is left out.  The Correlation Value and the tag
 * are copied: they live in the stream's and the call's buffers.
 */

static ngx_int_t
ngx_kmip_op_cipher_respond(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    ngx_str_t *uid, ngx_str_t *data, ngx_str_t *iv, ngx_str_t *cv,
    ngx_str_t *tag)
{
    u_char           *p;
    ngx_str_t        *s;
    ngx_uint_t        i;
    ngx_kmip_item_t  *payload;

    struct {
        uint32_t      tag;
        ngx_str_t    *value;
        ngx_uint_t    copy;
    } fields[] = {
        { NGX_KMIP_TAG_DATA, data, 0 },
        { NGX_KMIP_TAG_IV_COUNTER_NONCE, iv, 0 },
        { NGX_KMIP_TAG_CORRELATION_VALUE, cv, 1 },
        { NGX_KMIP_TAG_AUTHENTICATED_ENCRYPTION_TAG, tag, 1 }
    };

    payload = ngx_kmip_op_payload_uid(r, uid);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        s = fields[i].value;

        if (s == NULL) {
            continue;
        }

        p = s->data;

        if (fields[i].copy) {
            p = ngx_pstrdup(r->pool, s);
            if (p == NULL) {
                return NGX_ERROR;
            }
        }

        if (ngx_kmip_ttlv_add_bytes(&r->alloc, payload, fields[i].tag,
                                    p, s->len)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    out->payload = payload;

    return NGX_OK;
}


/*
 * The first part of a stream: the key was read, checked and set up in c
 * as for a single-part operation; the stream takes c over, gets its
 * Correlation Value and a slot of the connection, and runs the part.
 */

static ngx_int_t
ngx_kmip_op_stream_open(ngx_kmip_op_ctx_t *ctx, EVP_CIPHER_CTX *c,
    ngx_uint_t aead, int tag_len, ngx_uint_t tag_set, ngx_str_t *iv)
{
    ngx_kmip_req_t             *r = ctx->r;
    ngx_kmip_object_t          *obj = ctx->obj;
    ngx_kmip_crypto_stream_t   *s, **slot;

    slot = ngx_kmip_op_stream_slot(r);

    if (slot == NULL) {
        EVP_CIPHER_CTX_free(c);

        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_SERVER_LIMIT_EXCEEDED,
                                    "a connection has at most %d open "
                                    "streams: finish one first",
                                    NGX_KMIP_CRYPTO_STREAMS_MAX);
    }

    s = ngx_kmip_op_stream_new(r, slot, &obj->uid);
    if (s == NULL) {
        EVP_CIPHER_CTX_free(c);
        return NGX_ERROR;
    }

    s->cipher = c;
    s->tag_len = tag_len;
    s->enc = ((uintptr_t) ctx->data & NGX_KMIP_CIPHER_ENCRYPT) ? 1 : 0;
    s->aead = aead ? 1 : 0;
    s->tag_set = tag_set ? 1 : 0;

    ngx_log_debug1(NGX_LOG_DEBUG_STREAM, r->log, 0,
                   "kmip %s stream opened", s->enc ? "Encrypt" : "Decrypt");

    return ngx_kmip_op_stream_run(r, ctx->out, slot,
                                  ngx_kmip_ttlv_find(ctx->in->payload,
                                                     NGX_KMIP_TAG_DATA),
                                  NULL, 0, iv);
}


/*
 * A later part: the stream already holds its key and parameters, so the
 * request's Cryptographic Parameters and IV/Counter/Nonce, if it repeats
 * them, are those of the stream. A stream is used by its own operation
 * on its own key, and any failure ends it.
 */

static ngx_int_t
ngx_kmip_op_stream_next(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_item_t *cv)
{
    ngx_uint_t                  final;
    ngx_kmip_item_t            *etag;
    ngx_kmip_crypto_stream_t   *s, **slot;

    slot = ngx_kmip_op_stream_again(r, in, out, cv,
                                    "the Correlation Value names a stream "
                                    "of %s");
    if (slot == NULL) {
        return NGX_OK;
    }

    s = *slot;

    /* KMIP: additional data "MUST be supplied on the initial request" */

    if (ngx_kmip_ttlv_find(in->payload,
                     NGX_KMIP_TAG_AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA))
    {
        return ngx_kmip_op_stream_fail(r, out, slot,
                                       NGX_KMIP_REASON_INVALID_FIELD,
                                       "Authenticated Encryption Additional "
                                       "Data goes with the first part of a "
                                       "stream");
    }

    final = ngx_kmip_op_flag(in->payload,
                                    NGX_KMIP_TAG_FINAL_INDICATOR);
    etag = NULL;

    if (s->aead && !s->enc) {
        etag = ngx_kmip_ttlv_find(in->payload,
                                  NGX_KMIP_TAG_AUTHENTICATED_ENCRYPTION_TAG);
    }

    if (etag && !final) {
        return ngx_kmip_op_stream_fail(r, out, slot,
                                       NGX_KMIP_REASON_INVALID_FIELD,
                                       "the Authenticated Encryption Tag "
                                       "goes with the first or the final "
                                       "part of a stream");
    }

    return ngx_kmip_op_stream_run(r, out, slot,
                                  ngx_kmip_ttlv_find(in->payload,
                                                     NGX_KMIP_TAG_DATA),
                                  etag, final, NULL);
}


/*
 * One part of a stream: its Data counted against the stream's bound, and
 * on the final part of a Decrypt its tag checked and handed to the cipher
 * before the Data runs through it. The first answer carries the
 * Correlation Value.
 */

static ngx_int_t
ngx_kmip_op_stream_run(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    ngx_kmip_crypto_stream_t **slot, ngx_kmip_item_t *data,
    ngx_kmip_item_t *etag, ngx_uint_t final, ngx_str_t *iv)
{
    size_t                     len;
    ngx_str_t                  uid;
    ngx_uint_t                 first;
    ngx_kmip_crypto_stream_t  *s = *slot;

    len = data ? data->v.str.len : 0;
    first = (s->used == 0);

    if (len > NGX_KMIP_CIPHER_STREAM_MAX_BYTES - s->bytes) {
        return ngx_kmip_op_stream_fail(r, out, slot,
                                       NGX_KMIP_REASON_SERVER_LIMIT_EXCEEDED,
                                       "a stream carries at most %uz "
                                       "bytes of Data",
                                       (size_t)
                                       NGX_KMIP_CIPHER_STREAM_MAX_BYTES);
    }

    s->bytes += len;
    s->used = ngx_time();

    uid.len = s->uid.len;
    uid.data = ngx_pstrdup(r->pool, &s->uid);

    if (uid.data == NULL) {
        ngx_kmip_op_stream_drop(slot);
        return NGX_ERROR;
    }

    if (final && s->aead && !s->enc) {
        if (etag == NULL && !s->tag_set) {
            return ngx_kmip_op_stream_fail(r, out, slot,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "the final part of an authenticated "
                                    "Decrypt needs the Authenticated "
                                    "Encryption Tag, unless the first part "
                                    "had it");
        }

        if (etag
            && (etag->type != NGX_KMIP_TYPE_BYTE_STRING
                || etag->v.str.len != (size_t) s->tag_len))
        {
            return ngx_kmip_op_stream_fail(r, out, slot,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "the stream needs an Authenticated "
                                    "Encryption Tag of %d bytes",
                                    s->tag_len);
        }

        if (etag
            && EVP_CIPHER_CTX_ctrl(s->cipher, EVP_CTRL_AEAD_SET_TAG,
                                   s->tag_len, (void *) etag->v.str.data)
               != 1)
        {
            return ngx_kmip_op_stream_broken(r, out, slot);
        }
    }

    return ngx_kmip_op_stream_part(r, out, slot, data, final, first, &uid,
                                   iv);
}


/*
 * The Data of a part through the cipher, and the answer: the final part
 * of an Encrypt returns the tag, and the final part, or a failed one,
 * ends the stream
 */

static ngx_int_t
ngx_kmip_op_stream_part(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    ngx_kmip_crypto_stream_t **slot, ngx_kmip_item_t *data, ngx_uint_t final,
    ngx_uint_t first, ngx_str_t *uid, ngx_str_t *iv)
{
    u_char                     tag[16];
    ngx_int_t                  rc;
    ngx_str_t                  res, cv, tags, *t;
    ngx_kmip_crypto_stream_t  *s = *slot;

    rc = ngx_kmip_op_cipher_update(r, s->cipher, data, final, &res);

    if (rc == NGX_ERROR) {
        ngx_kmip_op_stream_drop(slot);
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_kmip_op_stream_broken(r, out, slot);
    }

    t = NULL;

    if (final && s->aead && s->enc) {
        if (EVP_CIPHER_CTX_ctrl(s->cipher, EVP_CTRL_AEAD_GET_TAG, s->tag_len,
                                tag) != 1)
        {
            return ngx_kmip_op_stream_broken(r, out, slot);
        }

        tags.len = (size_t) s->tag_len;
        tags.data = tag;
        t = &tags;
    }

    cv.len = NGX_KMIP_CIPHER_STREAM_ID_LEN;
    cv.data = s->id;

    /* the output of a part may be empty: a block still held back */

    rc = ngx_kmip_op_cipher_respond(r, out, uid, res.len ? &res : NULL, iv,
                                    first ? &cv : NULL, t);

    if (final || rc != NGX_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_STREAM, r->log, 0,
                       "kmip %s stream finished",
                       s->enc ? "Encrypt" : "Decrypt");

        ngx_kmip_op_stream_drop(slot);
    }

    return rc;
}


/* the cipher refused the tag or the Data: the stream ends */

static ngx_int_t
ngx_kmip_op_stream_broken(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    ngx_kmip_crypto_stream_t **slot)
{
    return ngx_kmip_op_stream_fail(r, out, slot,
                                   NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                   "%s failed", (*slot)->enc ? "Encrypt"
                                                             : "Decrypt");
}


/* a failed part ends its stream (ngx_kmip_op_crypto.h) */

ngx_int_t
ngx_kmip_op_stream_fail(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    ngx_kmip_crypto_stream_t **slot, uint32_t reason, const char *fmt, ...)
{
    va_list  args;

    ngx_kmip_op_stream_drop(slot);

    va_start(args, fmt);
    (void) ngx_kmip_result_vfail(r, out, reason, "", fmt, args);
    va_end(args);

    return NGX_OK;
}


/* freeing the cipher context wipes its key schedule */

/* a free slot of the connection, the expired streams dropped first */

ngx_kmip_crypto_stream_t **
ngx_kmip_op_stream_slot(ngx_kmip_req_t *r)
{
    ngx_uint_t  i;

    ngx_kmip_op_streams_expire(r);

    for (i = 0; i < NGX_KMIP_CRYPTO_STREAMS_MAX; i++) {
        if (r->streams->stream[i] == NULL) {
            return &r->streams->stream[i];
        }
    }

    return NULL;
}


/* a stream of the key uid in the slot, with a Correlation Value of its own */

ngx_kmip_crypto_stream_t *
ngx_kmip_op_stream_new(ngx_kmip_req_t *r, ngx_kmip_crypto_stream_t **slot,
    ngx_str_t *uid)
{
    ngx_kmip_crypto_stream_t  *s;

    s = ngx_calloc(sizeof(ngx_kmip_crypto_stream_t) + uid->len, r->log);
    if (s == NULL) {
        return NULL;
    }

    s->uid.data = (u_char *) s + sizeof(ngx_kmip_crypto_stream_t);
    s->uid.len = uid->len;

    if (uid->len) {
        /* a Hash has no key */
        ngx_memcpy(s->uid.data, uid->data, uid->len);
    }

    *slot = s;

    if (RAND_bytes(s->id, NGX_KMIP_CIPHER_STREAM_ID_LEN) != 1) {
        ngx_kmip_op_stream_drop(slot);
        return NULL;
    }

    return s;
}


/* the stream a later part continues (ngx_kmip_op_crypto.h) */

ngx_kmip_crypto_stream_t **
ngx_kmip_op_stream_again(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_item_t *cv, const char *other)
{
    ngx_kmip_item_t            *it;
    ngx_kmip_crypto_stream_t   *s, **slot;

    slot = ngx_kmip_op_stream_find(r, cv);

    if (slot == NULL) {
        (void) ngx_kmip_op_stream_none(r, out);
        return NULL;
    }

    s = *slot;

    if (ngx_kmip_op_stream_operation(s) != in->operation) {
        (void) ngx_kmip_op_stream_fail(r, out, slot,
                                       ngx_kmip_op_stream_unknown(r), other,
                                       ngx_kmip_op_stream_name(s));
        return NULL;
    }

    it = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);

    if (it
        && (it->type != NGX_KMIP_TYPE_TEXT_STRING
            || it->v.str.len != s->uid.len
            || ngx_memcmp(it->v.str.data, s->uid.data, s->uid.len) != 0))
    {
        (void) ngx_kmip_op_stream_fail(r, out, slot,
                                       NGX_KMIP_REASON_INVALID_FIELD,
                                       "the stream uses another key than "
                                       "the Unique Identifier given");
        return NULL;
    }

    return slot;
}


/* the open stream the Correlation Value names, or NULL */

ngx_kmip_crypto_stream_t **
ngx_kmip_op_stream_find(ngx_kmip_req_t *r, ngx_kmip_item_t *cv)
{
    ngx_uint_t                 i;
    ngx_kmip_crypto_stream_t  *s;

    ngx_kmip_op_streams_expire(r);

    if (cv->type != NGX_KMIP_TYPE_BYTE_STRING
        || cv->v.str.len != NGX_KMIP_CIPHER_STREAM_ID_LEN)
    {
        return NULL;
    }

    for (i = 0; i < NGX_KMIP_CRYPTO_STREAMS_MAX; i++) {
        s = r->streams->stream[i];

        if (s && CRYPTO_memcmp(s->id, cv->v.str.data,
                               NGX_KMIP_CIPHER_STREAM_ID_LEN) == 0)
        {
            return &r->streams->stream[i];
        }
    }

    return NULL;
}


ngx_int_t
ngx_kmip_op_stream_none(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out)
{
    return ngx_kmip_result_fail(r, out, ngx_kmip_op_stream_unknown(r),
                                "the Correlation Value names no open "
                                "stream of this connection: a stream "
                                "lives on the connection that opened "
                                "it, until its final part, an error, "
                                "or %T s unused", r->streams->idle);
}


/* the stream's Correlation Value in an answer */

ngx_int_t
ngx_kmip_op_stream_cv(ngx_kmip_req_t *r, ngx_kmip_item_t *payload,
    ngx_kmip_crypto_stream_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_KMIP_CIPHER_STREAM_ID_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, s->id, NGX_KMIP_CIPHER_STREAM_ID_LEN);

    return ngx_kmip_ttlv_add_bytes(&r->alloc, payload,
                                   NGX_KMIP_TAG_CORRELATION_VALUE, p,
                                   NGX_KMIP_CIPHER_STREAM_ID_LEN)
           ? NGX_OK : NGX_ERROR;
}


/*
 * A stream is of one operation: a cipher stream's is Encrypt or Decrypt,
 * and no multi-part operation's is either
 */

static uint32_t
ngx_kmip_op_stream_operation(ngx_kmip_crypto_stream_t *s)
{
    if (s->parts) {
        return ngx_kmip_op_parts_operation(s->parts);
    }

    return s->enc ? NGX_KMIP_OP_ENCRYPT : NGX_KMIP_OP_DECRYPT;
}


static const char *
ngx_kmip_op_stream_name(ngx_kmip_crypto_stream_t *s)
{
    return ngx_kmip_operation_name(ngx_kmip_op_stream_operation(s));
}


void
ngx_kmip_op_stream_drop(ngx_kmip_crypto_stream_t **slot)
{
    size_t                     size;
    ngx_kmip_crypto_stream_t  *s = *slot;

    if (s == NULL) {
        return;
    }

    EVP_CIPHER_CTX_free(s->cipher);
    ngx_kmip_op_parts_free(s->parts);

    size = sizeof(ngx_kmip_crypto_stream_t) + s->uid.len;
    ngx_explicit_memzero(s, size);
    ngx_free(s);

    *slot = NULL;
}


/*
 * A stream left unused as long as an idle connection would be closed is
 * dropped: an abandoned one holds a key schedule and a slot
 */

static void
ngx_kmip_op_streams_expire(ngx_kmip_req_t *r)
{
    time_t      now;
    ngx_uint_t  i;

    now = ngx_time();

    for (i = 0; i < NGX_KMIP_CRYPTO_STREAMS_MAX; i++) {
        if (r->streams->stream[i]
            && now - r->streams->stream[i]->used > r->streams->idle)
        {
            ngx_log_error(NGX_LOG_INFO, r->log, 0,
                          "kmip: a stream of %s unused for more than %T s "
                          "is dropped",
                          ngx_kmip_op_stream_name(r->streams->stream[i]),
                          r->streams->idle);

            ngx_kmip_op_stream_drop(&r->streams->stream[i]);
        }
    }
}


void
ngx_kmip_crypto_streams_close(ngx_kmip_crypto_streams_t *streams,
    ngx_log_t *log)
{
    ngx_uint_t  i, n;

    n = 0;

    for (i = 0; i < NGX_KMIP_CRYPTO_STREAMS_MAX; i++) {
        if (streams->stream[i]) {
            ngx_kmip_op_stream_drop(&streams->stream[i]);
            n++;
        }
    }

    if (n) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "kmip: %ui unfinished multi-part operations "
                      "dropped with the connection", n);
    }
}


/*
 * KMIP 2.x has a reason for a Correlation Value the server does not know
 * and one for a server limit; 1.x has neither
 */

static uint32_t
ngx_kmip_op_stream_unknown(ngx_kmip_req_t *r)
{
    return r->version >= NGX_KMIP_VERSION(2, 0)
           ? NGX_KMIP_REASON_INVALID_CORRELATION_VALUE
           : NGX_KMIP_REASON_INVALID_FIELD;
}


uint32_t
ngx_kmip_op_stream_limit(ngx_kmip_req_t *r)
{
    return r->version >= NGX_KMIP_VERSION(2, 0)
           ? NGX_KMIP_REASON_SERVER_LIMIT_EXCEEDED
           : NGX_KMIP_REASON_GENERAL_FAILURE;
}
