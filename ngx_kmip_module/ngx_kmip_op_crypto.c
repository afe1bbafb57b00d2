
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_crypto.h"


/* one Encrypt or Decrypt: bounded like any message, checked anyway */
#define NGX_KMIP_CIPHER_MAX_DATA  (1024 * 1024)


typedef struct {
    uint32_t                    alg;
    uint32_t                    mode;
    uint32_t                    padding;
    int64_t                     tag_len;
    ngx_uint_t                  random_iv;
} ngx_kmip_cipher_params_t;


static ngx_int_t ngx_kmip_op_cipher(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    ngx_uint_t enc);
static ngx_int_t ngx_kmip_op_cipher_loaded(ngx_kmip_op_ctx_t *ctx);


static void
ngx_kmip_op_crypto_wipe(void *data)
{
    ngx_str_t  *s = data;

    if (s->data && s->len) {
        OPENSSL_cleanse(s->data, s->len);
    }
}


/* a buffer wiped when the request's pool goes: plaintext lives there */

static u_char *
ngx_kmip_op_crypto_buf(ngx_kmip_req_t *r, size_t len)
{
    ngx_str_t           *s;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_str_t));
    if (cln == NULL) {
        return NULL;
    }

    s = cln->data;
    s->data = ngx_pnalloc(r->pool, len ? len : 1);
    s->len = s->data ? len : 0;
    cln->handler = ngx_kmip_op_crypto_wipe;

    return s->data;
}


ngx_int_t
ngx_kmip_op_digest(ngx_kmip_req_t *r, ngx_kmip_object_t *obj)
{
    u_char           *md;
    unsigned int      n;
    ngx_kmip_item_t  *v;

    if (obj->material.len == 0) {
        return NGX_OK;
    }

    md = ngx_pnalloc(r->pool, EVP_MAX_MD_SIZE);
    if (md == NULL) {
        return NGX_ERROR;
    }

    if (EVP_Digest(obj->material.data, obj->material.len, md, &n,
                   EVP_sha256(), NULL)
        != 1)
    {
        return NGX_ERROR;
    }

    v = ngx_kmip_item_new(&r->alloc, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                          NGX_KMIP_TYPE_STRUCTURE);

    /*
     * KMIP 1.4 3.17: SHA-256 over the Raw key material; the Key Format
     * Type says which form was digested, for keys and secret data only
     */

    if (ngx_kmip_add_enum(&r->alloc, v, NGX_KMIP_TAG_HASHING_ALGORITHM,
                          NGX_KMIP_HASHING_ALGORITHM_SHA_256) == NULL
        || ngx_kmip_add_bytes(&r->alloc, v, NGX_KMIP_TAG_DIGEST_VALUE, md, n)
           == NULL)
    {
        return NGX_ERROR;
    }

    if (obj->object_type != NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT
        && ngx_kmip_add_enum(&r->alloc, v, NGX_KMIP_TAG_KEY_FORMAT_TYPE,
                             NGX_KMIP_KEY_FORMAT_TYPE_RAW) == NULL)
    {
        return NGX_ERROR;
    }

    if (ngx_kmip_attrs_set(&r->alloc, &obj->attributes, "Digest", v) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
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


static ngx_int_t
ngx_kmip_op_cipher(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_uint_t enc)
{
    ngx_kmip_item_t    *data;
    ngx_kmip_op_ctx_t  *ctx;

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    /* multi-part (streaming) operations keep state between requests */

    if (ngx_kmip_item_find(in->payload, NGX_KMIP_TAG_INIT_INDICATOR)
        || ngx_kmip_item_find(in->payload, NGX_KMIP_TAG_FINAL_INDICATOR)
        || ngx_kmip_item_find(in->payload, NGX_KMIP_TAG_CORRELATION_VALUE))
    {
        return ngx_kmip_result_fail(r, out,
                                  NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                  "multi-part cryptographic operations are "
                                  "not supported");
    }

    data = ngx_kmip_item_find(in->payload, NGX_KMIP_TAG_DATA);

    if (data == NULL || data->type != NGX_KMIP_TYPE_BYTE_STRING) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "%s needs Data",
                                    enc ? "Encrypt" : "Decrypt");
    }

    if (data->v.str.len > NGX_KMIP_CIPHER_MAX_DATA) {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Data of %uz bytes is too long",
                                    data->v.str.len);
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->data = (void *) (uintptr_t) enc;

    if (ngx_kmip_op_get_uid(r, in, out, &ctx->uid) != NGX_OK) {
        return NGX_OK;
    }

    return ngx_kmip_op_load(ctx, 1, ngx_kmip_op_cipher_loaded);
}


/* the request's Cryptographic Parameters, else the key's attribute */

static void
ngx_kmip_op_cipher_params(const ngx_kmip_item_t *cp,
    ngx_kmip_cipher_params_t *p)
{
    ngx_kmip_item_t  *it;

    it = ngx_kmip_item_find(cp, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM);
    if (it && it->type == NGX_KMIP_TYPE_ENUMERATION) {
        p->alg = (uint32_t) it->v.num;
    }

    it = ngx_kmip_item_find(cp, NGX_KMIP_TAG_BLOCK_CIPHER_MODE);
    if (it && it->type == NGX_KMIP_TYPE_ENUMERATION) {
        p->mode = (uint32_t) it->v.num;
    }

    it = ngx_kmip_item_find(cp, NGX_KMIP_TAG_PADDING_METHOD);
    if (it && it->type == NGX_KMIP_TYPE_ENUMERATION) {
        p->padding = (uint32_t) it->v.num;
    }

    it = ngx_kmip_item_find(cp, NGX_KMIP_TAG_TAG_LENGTH);
    if (it && it->type == NGX_KMIP_TYPE_INTEGER) {
        p->tag_len = it->v.num;
    }

    it = ngx_kmip_item_find(cp, NGX_KMIP_TAG_RANDOM_IV);
    if (it && it->type == NGX_KMIP_TYPE_BOOLEAN) {
        p->random_iv = it->v.num ? 1 : 0;
    }
}


static const EVP_CIPHER *
ngx_kmip_op_evp_cipher(uint32_t mode, size_t key_len)
{
    switch (mode) {

    case NGX_KMIP_BLOCK_CIPHER_MODE_ECB:
        return key_len == 16 ? EVP_aes_128_ecb()
               : key_len == 24 ? EVP_aes_192_ecb() : EVP_aes_256_ecb();

    case NGX_KMIP_BLOCK_CIPHER_MODE_CBC:
        return key_len == 16 ? EVP_aes_128_cbc()
               : key_len == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();

    case NGX_KMIP_BLOCK_CIPHER_MODE_CTR:
        return key_len == 16 ? EVP_aes_128_ctr()
               : key_len == 24 ? EVP_aes_192_ctr() : EVP_aes_256_ctr();

    case NGX_KMIP_BLOCK_CIPHER_MODE_GCM:
        return key_len == 16 ? EVP_aes_128_gcm()
               : key_len == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();

    default:
        return NULL;
    }
}


static ngx_int_t
ngx_kmip_op_cipher_loaded(ngx_kmip_op_ctx_t *ctx)
{
    int                        n, total, iv_len;
    u_char                    *res, *iv, tag[16], civ[16];
    time_t                     now;
    int64_t                    state, mask, date;
    uint32_t                   need;
    ngx_uint_t                 enc, gen_iv, gcm, chacha;
    ngx_kmip_req_t            *r = ctx->r;
    ngx_kmip_item_t           *payload, *data, *it, *aad, *etag, *cp;
    EVP_CIPHER_CTX            *c;
    const EVP_CIPHER          *cipher;
    ngx_kmip_attr_t           *at;
    ngx_kmip_object_t         *obj = ctx->obj;
    ngx_kmip_cipher_params_t   p;

    enc = (ngx_uint_t) (uintptr_t) ctx->data;

    if (obj->destroyed) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    r->version >= NGX_KMIP_VERSION(2, 0)
                                    ? NGX_KMIP_REASON_OBJECT_DESTROYED
                                    : NGX_KMIP_REASON_ITEM_NOT_FOUND,
                                    "object \"%V\" is destroyed", &ctx->uid);
    }

    if (obj->object_type != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    r->version >= NGX_KMIP_VERSION(2, 0)
                                    ? NGX_KMIP_REASON_INVALID_OBJECT_TYPE
                                    : NGX_KMIP_REASON_ILLEGAL_OPERATION,
                                    "object \"%V\" is not a symmetric key",
                                    &ctx->uid);
    }

    if (obj->material.len == 0) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_KEY_VALUE_NOT_PRESENT,
                                    "object \"%V\" has no key material",
                                    &ctx->uid);
    }

    state = ngx_kmip_op_attr_num(&obj->attributes, "State", -1);

    if (state != NGX_KMIP_STATE_ACTIVE) {
        return ngx_kmip_op_wrong_state(ctx, "object \"%V\" is %s, not Active",
                                       &ctx->uid,
                                       ngx_kmip_state_name(state));
    }

    /*
     * the protection period: no new protection after the Protect Stop
     * Date, no processing before the Process Start Date (KMIP 1.4 3.25,
     * 3.26)
     */

    now = ngx_time();

    if (enc) {
        date = ngx_kmip_op_attr_num(&obj->attributes, "Protect Stop Date",
                                    -1);
        if (date >= 0 && date <= now) {
            return ngx_kmip_op_wrong_state(ctx, "the Protect Stop Date of "
                                           "\"%V\" has passed", &ctx->uid);
        }

    } else {
        date = ngx_kmip_op_attr_num(&obj->attributes, "Process Start Date",
                                    -1);
        if (date > now) {
            return ngx_kmip_op_wrong_state(ctx, "the Process Start Date of "
                                           "\"%V\" has not come", &ctx->uid);
        }
    }

    need = enc ? NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT
               : NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DECRYPT;
    mask = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Usage Mask",
                                0);

    if (!(mask & need)) {
        return ngx_kmip_result_fail(r, ctx->out,
                   r->version >= NGX_KMIP_VERSION(2, 0)
                   ? NGX_KMIP_REASON_INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK
                   : NGX_KMIP_REASON_PERMISSION_DENIED,
                   "the Cryptographic Usage Mask of \"%V\" does not allow %s",
                   &ctx->uid, enc ? "Encrypt" : "Decrypt");
    }

    ngx_memzero(&p, sizeof(ngx_kmip_cipher_params_t));
    p.alg = (uint32_t) ngx_kmip_op_attr_num(&obj->attributes,
                                            "Cryptographic Algorithm", 0);
    p.padding = NGX_KMIP_PADDING_METHOD_NONE;
    p.tag_len = 16;

    at = ngx_kmip_attrs_find(&obj->attributes, "Cryptographic Parameters",
                             sizeof("Cryptographic Parameters") - 1, -1);
    if (at && at->value) {
        ngx_kmip_op_cipher_params(at->value, &p);
    }

    cp = ngx_kmip_item_find(ctx->in->payload,
                            NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);
    if (cp) {
        ngx_kmip_op_cipher_params(cp, &p);
    }

    chacha = 0;

    switch (p.alg) {

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES:
        if (obj->material.len != 16 && obj->material.len != 24
            && obj->material.len != 32)
        {
            goto bad_key;
        }

        cipher = ngx_kmip_op_evp_cipher(p.mode, obj->material.len);
        break;

    /* RFC 7539 ChaCha20 (KMIP 2.1), with or without Poly1305 */

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20:
        if (obj->material.len != 32) {
            goto bad_key;
        }

        chacha = 1;
        p.mode = 0;
        cipher = EVP_chacha20();
        break;

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20POLY1305:
        if (obj->material.len != 32) {
            goto bad_key;
        }

        chacha = 2;
        p.mode = NGX_KMIP_BLOCK_CIPHER_MODE_AEAD;
        cipher = EVP_chacha20_poly1305();
        break;

    default:
        goto bad_key;
    }

    if (cipher == NULL) {
        return ngx_kmip_result_fail(r, ctx->out,
                               NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS,
                               "Block Cipher Mode %uD is not supported",
                               p.mode);
    }

    /* authenticated encryption: GCM and ChaCha20-Poly1305 */
    gcm = (p.mode == NGX_KMIP_BLOCK_CIPHER_MODE_GCM || chacha == 2);

    if (p.padding != NGX_KMIP_PADDING_METHOD_NONE
        && (p.padding != NGX_KMIP_PADDING_METHOD_PKCS5
            || (p.mode != NGX_KMIP_BLOCK_CIPHER_MODE_ECB
                && p.mode != NGX_KMIP_BLOCK_CIPHER_MODE_CBC)))
    {
        return ngx_kmip_result_fail(r, ctx->out,
                               NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS,
                               "Padding Method %uD is not supported here",
                               p.padding);
    }

    /*
     * the specification gives no reason for this; General Failure is what
     * the OASIS cases CS-BC-M-GCM-1 expect in 1.4 and 2.1
     */

    if (gcm && (p.tag_len < 4 || p.tag_len > 16)) {
        return ngx_kmip_result_fail(r, ctx->out,
                               NGX_KMIP_REASON_GENERAL_FAILURE,
                               "Tag Length %L is not within 4..16",
                               p.tag_len);
    }

    data = ngx_kmip_item_find(ctx->in->payload, NGX_KMIP_TAG_DATA);
    aad = ngx_kmip_item_find(ctx->in->payload,
                      NGX_KMIP_TAG_AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA);
    etag = ngx_kmip_item_find(ctx->in->payload,
                              NGX_KMIP_TAG_AUTHENTICATED_ENCRYPTION_TAG);

    /* the IV: the client's, or one the server makes and returns */

    iv_len = EVP_CIPHER_iv_length(cipher);
    iv = NULL;
    gen_iv = 0;

    it = ngx_kmip_item_find(ctx->in->payload, NGX_KMIP_TAG_IV_COUNTER_NONCE);

    if (chacha == 1 && it && it->type == NGX_KMIP_TYPE_BYTE_STRING) {

        /*
         * OpenSSL takes the last four words of the ChaCha20 state: a
         * 32-bit counter and a 96-bit nonce (RFC 7539), or, for the
         * original 64-bit nonce, a 64-bit counter; both counters start
         * at 0
         */

        if (it->v.str.len != 8 && it->v.str.len != 12) {
            return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "a ChaCha20 nonce has 8 or 12 bytes, "
                                    "not %uz", it->v.str.len);
        }

        ngx_memzero(civ, sizeof(civ));
        ngx_memcpy(civ + 16 - it->v.str.len, it->v.str.data, it->v.str.len);
        iv = civ;
        iv_len = 16;

    } else if (it && it->type == NGX_KMIP_TYPE_BYTE_STRING && iv_len > 0) {
        if (gcm ? (it->v.str.len == 0 || it->v.str.len > 64
                   || (chacha == 2 && it->v.str.len != 12))
                : it->v.str.len != (size_t) iv_len)
        {
            return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "the IV/Counter/Nonce has %uz bytes",
                                    it->v.str.len);
        }

        iv = (u_char *) it->v.str.data;
        iv_len = (int) it->v.str.len;

    } else if (iv_len > 0) {
        if (!enc || !p.random_iv || chacha == 1) {
            /* a required field is absent: the payload does not parse */
            return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_MESSAGE,
                                    "an IV/Counter/Nonce is needed");
        }

        iv = ngx_pnalloc(r->pool, iv_len);
        if (iv == NULL) {
            return NGX_ERROR;
        }

        if (RAND_bytes(iv, iv_len) != 1) {
            return NGX_ERROR;
        }

        gen_iv = 1;
    }

    if (gcm && !enc
        && (etag == NULL || etag->type != NGX_KMIP_TYPE_BYTE_STRING
            || etag->v.str.len != (size_t) p.tag_len))
    {
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "Decrypt in GCM mode needs the "
                                    "Authenticated Encryption Tag of %L "
                                    "bytes", p.tag_len);
    }

    res = ngx_kmip_op_crypto_buf(r, data->v.str.len + 16);
    if (res == NULL) {
        return NGX_ERROR;
    }

    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return NGX_ERROR;
    }

    total = 0;

    if (EVP_CipherInit_ex(c, cipher, NULL, NULL, NULL, (int) enc) != 1
        || (gcm && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, iv_len,
                                       NULL) != 1)
        || EVP_CipherInit_ex(c, NULL, NULL, obj->material.data, iv,
                             (int) enc) != 1
        || EVP_CIPHER_CTX_set_padding(c,
                         p.padding == NGX_KMIP_PADDING_METHOD_PKCS5) != 1)
    {
        goto failed;
    }

    if (gcm && aad && aad->type == NGX_KMIP_TYPE_BYTE_STRING
        && aad->v.str.len
        && EVP_CipherUpdate(c, NULL, &n, aad->v.str.data,
                            (int) aad->v.str.len) != 1)
    {
        goto failed;
    }

    if (gcm && !enc
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int) p.tag_len,
                               (void *) etag->v.str.data) != 1)
    {
        goto failed;
    }

    if (EVP_CipherUpdate(c, res, &n, data->v.str.data,
                         (int) data->v.str.len) != 1)
    {
        goto failed;
    }

    total = n;

    if (EVP_CipherFinal_ex(c, res + total, &n) != 1) {
        goto failed;
    }

    total += n;

    if (gcm && enc
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int) p.tag_len, tag)
           != 1)
    {
        goto failed;
    }

    EVP_CIPHER_CTX_free(c);

    payload = ngx_kmip_payload_new(r);

    if (ngx_kmip_add_text(&r->alloc, payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                          obj->uid.data, obj->uid.len) == NULL
        || ngx_kmip_add_bytes(&r->alloc, payload, NGX_KMIP_TAG_DATA, res,
                              total) == NULL)
    {
        return NGX_ERROR;
    }

    if (gen_iv
        && ngx_kmip_add_bytes(&r->alloc, payload,
                              NGX_KMIP_TAG_IV_COUNTER_NONCE, iv, iv_len)
           == NULL)
    {
        return NGX_ERROR;
    }

    if (gcm && enc) {
        it = ngx_kmip_add_bytes(&r->alloc, payload,
                                NGX_KMIP_TAG_AUTHENTICATED_ENCRYPTION_TAG,
                                ngx_pstrdup(r->pool, &(ngx_str_t) {
                                    (size_t) p.tag_len, tag }),
                                (size_t) p.tag_len);
        if (it == NULL || it->v.str.data == NULL) {
            return NGX_ERROR;
        }
    }

    ctx->out->payload = payload;

    /* an allocation under the key's Usage Limits, if it has some */
    return enc ? ngx_kmip_op_usage_consume(ctx, data->v.str.len) : NGX_OK;

bad_key:

    return ngx_kmip_result_fail(r, ctx->out,
                                NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                "%s takes AES, ChaCha20 and ChaCha20-Poly1305 "
                                "keys only", enc ? "Encrypt" : "Decrypt");

failed:

    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(res, data->v.str.len + 16);

    return ngx_kmip_result_fail(r, ctx->out,
                                NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                "%s failed", enc ? "Encrypt" : "Decrypt");
}
