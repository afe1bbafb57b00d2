
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_wrap.h"
#include "ngx_kmip_op_crypto.h"


/*
 * Key wrapping (see ngx_kmip_op_wrap.h). What the specification leaves to
 * the server, and what this one does:
 *
 *   Wrapping Method   Encrypt only; MAC/sign and the methods built on it,
 *                     and TR-31, are refused (Feature Not Supported)
 *   wrapping key      a managed Symmetric Key, AES, Active, within its
 *                     protection period, with the Wrap Key usage, not the
 *                     key being served
 *   parameters        those of the request's Encryption Key Information
 *                     must match an instance of the wrapping key's
 *                     Cryptographic Parameters; without, the instance of
 *                     lowest Attribute Index is used; a key without the
 *                     attribute takes the request's, or by default NIST
 *                     Key Wrap, AES's own key wrapping (1.4 2.1.6).
 *                     Block Cipher Mode NIST Key Wrap (RFC 3394, SP
 *                     800-38F KW) or AES Key Wrap Padding (RFC 5649, KWP)
 *   encoding          TTLV (the default): the Key Value structure, with
 *                     the attributes the specification names, wrapped
 *                     into a Byte String Key Value; No Encoding: the Key
 *                     Material bytes alone, wrapped in place in the Key
 *                     Value structure
 *
 * The result reasons are 1.4's (table 338) in 1.x and 2.1's (6.1.19.1) in
 * 2.x.
 */


struct ngx_kmip_wrap_s {
    ngx_str_t                   kek_uid;
    const ngx_kmip_item_t      *params;     /* the request's Cryptographic
                                               Parameters, or NULL */
    const ngx_kmip_item_t      *spec;       /* for its Attribute Names */
    ngx_uint_t                  names;      /* how many it has */
    uint32_t                    encoding;   /* NGX_KMIP_ENCODING_OPTION_* */

    ngx_kmip_op_ctx_t          *ctx;        /* the operation served */
    ngx_kmip_item_t            *payload;
    ngx_kmip_item_t            *block;
    ngx_kmip_op_next_pt         next;
    ngx_kmip_store_op_t        *sop;        /* the wrapping key's read */
    unsigned                    unwrap:1;   /* a key registered wrapped,
                                               served unwrapped */
    unsigned                    reading:1;  /* its read is in flight */
    unsigned                    waiting:1;  /* the served key's Key Block
                                               waits for it */
};


static ngx_int_t ngx_kmip_op_wrap_method(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, const ngx_kmip_item_t *spec);
static ngx_int_t ngx_kmip_op_wrap_key_info(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, ngx_kmip_wrap_t *w);
static ngx_int_t ngx_kmip_op_wrap_encoding(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, ngx_kmip_wrap_t *w);
static ngx_int_t ngx_kmip_op_wrap_fetch(ngx_kmip_req_t *r,
    ngx_kmip_wrap_t *w);
static void ngx_kmip_op_wrap_loaded(ngx_kmip_store_op_t *sop);
static ngx_int_t ngx_kmip_op_wrap_read(ngx_kmip_wrap_t *w,
    ngx_kmip_store_op_t *sop);
static ngx_int_t ngx_kmip_op_wrap_with(ngx_kmip_wrap_t *w,
    ngx_kmip_object_t *kek);
static ngx_int_t ngx_kmip_op_wrap_check_key(ngx_kmip_wrap_t *w,
    ngx_kmip_object_t *kek);
static ngx_int_t ngx_kmip_op_wrap_missing(ngx_kmip_wrap_t *w,
    ngx_uint_t destroyed);
static ngx_int_t ngx_kmip_op_wrap_choose(ngx_kmip_wrap_t *w,
    ngx_kmip_object_t *kek, const ngx_kmip_item_t **params, int64_t *mode);
static const ngx_kmip_item_t *ngx_kmip_op_wrap_default(ngx_kmip_wrap_t *w);
static ngx_int_t ngx_kmip_op_wrap_plain(ngx_kmip_wrap_t *w,
    ngx_kmip_item_t *kv, u_char **in, size_t *len, ngx_str_t **secret);
static ngx_int_t ngx_kmip_op_wrap_encrypt(ngx_kmip_wrap_t *w,
    ngx_kmip_object_t *kek, int64_t mode, u_char *in, size_t len,
    ngx_str_t *wrapped);
static ngx_int_t ngx_kmip_op_wrap_data(ngx_kmip_wrap_t *w,
    const ngx_kmip_item_t *params);
static ngx_int_t ngx_kmip_op_unwrap_with(ngx_kmip_wrap_t *w,
    ngx_kmip_object_t *kek);
static ngx_int_t ngx_kmip_op_unwrap_value(ngx_kmip_wrap_t *w,
    ngx_kmip_item_t *kv, u_char *plain, size_t len);


#define ngx_kmip_op_wrap_v2(r)  ((r)->version >= NGX_KMIP_VERSION(2, 0))


ngx_int_t
ngx_kmip_op_wrap_request(ngx_kmip_op_ctx_t *ctx)
{
    ngx_int_t                  rc;
    ngx_kmip_req_t            *r = ctx->r;
    ngx_kmip_wrap_t           *w;
    const ngx_kmip_item_t     *spec;
    ngx_kmip_response_item_t  *out = ctx->out;

    ctx->data = NULL;

    spec = ngx_kmip_ttlv_find(ctx->in->payload,
                              NGX_KMIP_TAG_KEY_WRAPPING_SPECIFICATION);
    if (spec == NULL) {
        return NGX_OK;
    }

    if (spec->type != NGX_KMIP_TYPE_STRUCTURE) {
        (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Key Wrapping Specification is not a "
                                    "structure");
        return NGX_DECLINED;
    }

    w = ngx_pcalloc(r->pool, sizeof(ngx_kmip_wrap_t));
    if (w == NULL) {
        return NGX_ERROR;
    }

    w->spec = spec;
    w->encoding = NGX_KMIP_ENCODING_OPTION_TTLV_ENCODING;

    rc = ngx_kmip_op_wrap_method(r, out, spec);

    if (rc == NGX_OK) {
        rc = ngx_kmip_op_wrap_key_info(r, out, w);
    }

    if (rc == NGX_OK) {
        rc = ngx_kmip_op_wrap_encoding(r, out, w);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    ctx->data = w;

    /*
     * The wrapping key is read beside the key served, not after it: the
     * two reads are independent, and each costs Key Protect round trips.
     * A key that would wrap itself is refused once the key is read, and
     * is not read twice.
     */

    if (w->kek_uid.len == ctx->uid.len
        && ngx_strncmp(w->kek_uid.data, ctx->uid.data, ctx->uid.len) == 0)
    {
        return NGX_OK;
    }

    return ngx_kmip_op_wrap_fetch(r, w);
}


/* the Wrapping Method: Encrypt, and no MAC/Signature Key Information */

static ngx_int_t
ngx_kmip_op_wrap_method(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    const ngx_kmip_item_t *spec)
{
    int64_t                 method;
    const ngx_kmip_item_t  *it;

    it = ngx_kmip_ttlv_find(spec, NGX_KMIP_TAG_WRAPPING_METHOD);
    method = (it && it->type == NGX_KMIP_TYPE_ENUMERATION) ? it->v.num : -1;

    switch (method) {

    case NGX_KMIP_WRAPPING_METHOD_ENCRYPT:
        break;

    case NGX_KMIP_WRAPPING_METHOD_MAC_SIGN:
    case NGX_KMIP_WRAPPING_METHOD_ENCRYPT_THEN_MAC_SIGN:
    case NGX_KMIP_WRAPPING_METHOD_MAC_SIGN_THEN_ENCRYPT:
    case NGX_KMIP_WRAPPING_METHOD_TR_31:
        (void) ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "Wrapping Method %s is not offered: "
                                    "keys are wrapped by encryption only",
                                    method == NGX_KMIP_WRAPPING_METHOD_TR_31
                                    ? "TR-31" : "with MAC/sign");
        return NGX_DECLINED;

    default:
        (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Key Wrapping Specification needs a "
                                    "Wrapping Method");
        return NGX_DECLINED;
    }

    if (ngx_kmip_ttlv_find(spec, NGX_KMIP_TAG_MAC_SIGNATURE_KEY_INFORMATION))
    {
        (void) ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "MAC/Signature Key Information: keys "
                                    "are wrapped by encryption only");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The Encryption Key Information: the wrapping key's Unique Identifier,
 * and the Cryptographic Parameters the request asks for, if any
 */

static ngx_int_t
ngx_kmip_op_wrap_key_info(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    ngx_kmip_wrap_t *w)
{
    const ngx_kmip_item_t  *eki, *uid, *cp;

    eki = ngx_kmip_ttlv_find(w->spec, NGX_KMIP_TAG_ENCRYPTION_KEY_INFORMATION);
    uid = eki ? ngx_kmip_ttlv_find(eki, NGX_KMIP_TAG_UNIQUE_IDENTIFIER)
              : NULL;

    if (eki == NULL || eki->type != NGX_KMIP_TYPE_STRUCTURE
        || uid == NULL || uid->type != NGX_KMIP_TYPE_TEXT_STRING
        || uid->v.str.len == 0)
    {
        (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Wrapping Method Encrypt needs "
                                    "Encryption Key Information with the "
                                    "Unique Identifier of the wrapping key");
        return NGX_DECLINED;
    }

    w->kek_uid.data = (u_char *) uid->v.str.data;
    w->kek_uid.len = uid->v.str.len;

    cp = ngx_kmip_ttlv_find(eki, NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);

    if (cp && cp->type != NGX_KMIP_TYPE_STRUCTURE) {
        (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Cryptographic Parameters is not a "
                                    "structure");
        return NGX_DECLINED;
    }

    w->params = cp;

    return NGX_OK;
}


/* the Attribute Names to wrap with the Key Value, and the Encoding Option */

static ngx_int_t
ngx_kmip_op_wrap_encoding(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    ngx_kmip_wrap_t *w)
{
    const ngx_kmip_item_t  *it;

    for (it = w->spec->v.kids.first; it; it = it->next) {
        if (it->tag != NGX_KMIP_TAG_ATTRIBUTE_NAME) {
            continue;
        }

        if (it->type != NGX_KMIP_TYPE_TEXT_STRING || it->v.str.len == 0) {
            (void) ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Attribute Name is not a non-empty "
                                        "Text String");
            return NGX_DECLINED;
        }

        w->names++;
    }

    it = ngx_kmip_ttlv_find(w->spec, NGX_KMIP_TAG_ENCODING_OPTION);

    if (it) {
        if (it->type != NGX_KMIP_TYPE_ENUMERATION
            || (it->v.num != NGX_KMIP_ENCODING_OPTION_NO_ENCODING
                && it->v.num != NGX_KMIP_ENCODING_OPTION_TTLV_ENCODING))
        {
            (void) ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "unknown Encoding Option");
            return NGX_DECLINED;
        }

        w->encoding = (uint32_t) it->v.num;
    }

    /* 1.4 2.1.6: "If No Encoding is specified, then the Key Value SHALL
       NOT contain any attributes" */

    if (w->encoding == NGX_KMIP_ENCODING_OPTION_NO_ENCODING && w->names) {
        (void) ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_ENCODING_OPTION_ERROR,
                                    "Encoding Option No Encoding wraps no "
                                    "attributes: Attribute Names need TTLV "
                                    "Encoding");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_wrap_block(ngx_kmip_op_ctx_t *ctx, ngx_kmip_wrap_t *w,
    ngx_kmip_item_t *payload, ngx_kmip_item_t *block,
    ngx_kmip_op_next_pt next)
{
    ngx_kmip_req_t  *r = ctx->r;

    /* a key wrapped by itself is opened by nobody who lacks it already */

    if (w->kek_uid.len == ctx->obj->uid.len
        && ngx_strncmp(w->kek_uid.data, ctx->obj->uid.data, w->kek_uid.len)
           == 0)
    {
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "object \"%V\" cannot wrap itself",
                                    &w->kek_uid);
    }

    w->ctx = ctx;
    w->payload = payload;
    w->block = block;
    w->next = next;
    ctx->out->payload = NULL;

    if (w->sop == NULL && ngx_kmip_op_wrap_fetch(r, w) != NGX_OK) {
        return NGX_ERROR;
    }

    if (w->reading) {
        w->waiting = 1;
        return NGX_AGAIN;
    }

    return ngx_kmip_op_wrap_read(w, w->sop);
}


/*
 * Starts the wrapping key's read. It is read as any key is, but is not
 * made the request's last object: the one served stays so, for the write
 * of its Fresh that follows. Its end waits in w->sop for the key served,
 * or resumes it when that waits already.
 */

static ngx_int_t
ngx_kmip_op_wrap_fetch(ngx_kmip_req_t *r, ngx_kmip_wrap_t *w)
{
    ngx_kmip_store_op_t  *sop;

    sop = ngx_kmip_op_store_op(r, ngx_kmip_op_wrap_loaded, w);
    if (sop == NULL) {
        return NGX_ERROR;
    }

    w->sop = sop;

    w->reading = (ngx_kmip_store_fetch(sop, &w->kek_uid, 1) == NGX_AGAIN);

    return NGX_OK;
}


static void
ngx_kmip_op_wrap_loaded(ngx_kmip_store_op_t *sop)
{
    ngx_int_t         rc;
    ngx_kmip_wrap_t  *w = sop->data;
    ngx_kmip_req_t   *r;

    w->reading = 0;

    if (!w->waiting) {
        /* the key served is still being read, or was answered without
           wrapping (a failure): the result waits, or is not needed */
        return;
    }

    r = w->ctx->r;

    rc = ngx_kmip_op_wrap_read(w, sop);

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc != NGX_OK) {
        (void) ngx_kmip_result_fail(r, w->ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "internal error");
    }

    ngx_kmip_op_complete(r);
}


/* the wrapping key's read has ended: wrap, or say why not */

static ngx_int_t
ngx_kmip_op_wrap_read(ngx_kmip_wrap_t *w, ngx_kmip_store_op_t *sop)
{
    ngx_int_t           rc;
    ngx_kmip_op_ctx_t  *ctx = w->ctx, *kctx;
    ngx_kmip_req_t     *r = ctx->r;

    switch (sop->result) {

    case NGX_KMIP_STORE_OK:
        rc = w->unwrap ? ngx_kmip_op_unwrap_with(w, sop->object)
                       : ngx_kmip_op_wrap_with(w, sop->object);

        if (rc == NGX_OK) {
            ctx->out->payload = w->payload;
            rc = w->next(ctx);
        }

        break;

    case NGX_KMIP_STORE_NOT_FOUND:
    case NGX_KMIP_STORE_GONE:
        rc = ngx_kmip_op_wrap_missing(w, sop->result == NGX_KMIP_STORE_GONE);
        break;

    default:
        /* Key Protect or the root key failed: said as for any read */
        kctx = ngx_kmip_op_ctx(r, ctx->in, ctx->out);
        if (kctx == NULL) {
            rc = NGX_ERROR;
            break;
        }

        kctx->uid = w->kek_uid;
        kctx->sop = sop;
        ngx_kmip_op_store_failed(kctx, "read");
        rc = NGX_OK;
        break;
    }

    return rc == NGX_DECLINED ? NGX_OK : rc;
}


/* every field the request gives is in the key's instance, equal */

static ngx_uint_t
ngx_kmip_op_wrap_match(const ngx_kmip_item_t *want,
    const ngx_kmip_item_t *have)
{
    const ngx_kmip_item_t  *w, *h;

    if (have->type != NGX_KMIP_TYPE_STRUCTURE) {
        return 0;
    }

    for (w = want->v.kids.first; w; w = w->next) {
        h = ngx_kmip_ttlv_find(have, w->tag);

        if (h == NULL || !ngx_kmip_item_equal(w, h)) {
            return 0;
        }
    }

    return 1;
}


/*
 * The Cryptographic Parameters the wrapping uses (1.4 2.1.6): the
 * request's, if they match an instance of the key's attribute, else that
 * instance of lowest Attribute Index; NULL when there is none to use
 */

static const ngx_kmip_item_t *
ngx_kmip_op_wrap_params(ngx_kmip_wrap_t *w, ngx_kmip_object_t *kek)
{
    ngx_kmip_attr_t  *at, *lowest;

    lowest = NULL;

    for (at = kek->attributes.first; at; at = at->next) {
        if (at->value == NULL
            || !ngx_kmip_attr_name_is(at, "Cryptographic Parameters"))
        {
            continue;
        }

        if (w->params) {
            if (ngx_kmip_op_wrap_match(w->params, at->value)) {
                return w->params;
            }

            continue;
        }

        if (lowest == NULL || at->index < lowest->index) {
            lowest = at;
        }
    }

    return lowest ? lowest->value : NULL;
}


static int64_t
ngx_kmip_op_wrap_field(const ngx_kmip_item_t *params, uint32_t tag)
{
    const ngx_kmip_item_t  *it;

    it = ngx_kmip_ttlv_find(params, tag);

    return (it && it->type == NGX_KMIP_TYPE_ENUMERATION) ? it->v.num : -1;
}


static const EVP_CIPHER *
ngx_kmip_op_wrap_cipher(int64_t mode, size_t key_len)
{
    if (mode == NGX_KMIP_BLOCK_CIPHER_MODE_NISTKEYWRAP) {
        return key_len == 16 ? EVP_aes_128_wrap()
               : key_len == 24 ? EVP_aes_192_wrap() : EVP_aes_256_wrap();
    }

    return key_len == 16 ? EVP_aes_128_wrap_pad()
           : key_len == 24 ? EVP_aes_192_wrap_pad() : EVP_aes_256_wrap_pad();
}


/*
 * The attributes the specification names, in the Key Value that is
 * wrapped: 1.x Attribute structures, a 2.x Attributes structure (1.4
 * 2.1.4, 2.1 3.2)
 */

static ngx_int_t
ngx_kmip_op_wrap_attributes(ngx_kmip_wrap_t *w, ngx_kmip_item_t *kv)
{
    ngx_kmip_req_t         *r = w->ctx->r;
    ngx_kmip_attr_t        *at;
    ngx_kmip_item_t        *parent;
    ngx_kmip_attrs_t        view;
    const ngx_kmip_item_t  *name;

    if (w->names == 0) {
        return NGX_OK;
    }

    if (ngx_kmip_op_view(r, w->ctx->obj, &view) != NGX_OK) {
        return NGX_ERROR;
    }

    parent = kv;

    if (ngx_kmip_op_wrap_v2(r)) {
        parent = ngx_kmip_ttlv_add_struct(&r->alloc, kv,
                                          NGX_KMIP_TAG_ATTRIBUTES);
        if (parent == NULL) {
            return NGX_ERROR;
        }
    }

    for (name = ngx_kmip_ttlv_find(w->spec, NGX_KMIP_TAG_ATTRIBUTE_NAME);
         name;
         name = ngx_kmip_ttlv_find_next(name, NGX_KMIP_TAG_ATTRIBUTE_NAME))
    {
        /* an attribute the object does not have is not wrapped */

        for (at = view.first; at; at = at->next) {
            if (at->name_len == name->v.str.len
                && ngx_strncmp(at->name, name->v.str.data, at->name_len) == 0
                && ngx_kmip_attr_emit(&r->alloc, parent, at,
                                      (unsigned) r->version) < 0)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/*
 * The wrapping key read: checked, its parameters chosen, the Key Value
 * wrapped in place and the Key Wrapping Data added to the Key Block.
 * NGX_DECLINED: the answer says why not.
 */

static ngx_int_t
ngx_kmip_op_wrap_with(ngx_kmip_wrap_t *w, ngx_kmip_object_t *kek)
{
    size_t                  len;
    u_char                 *in;
    int64_t                 mode;
    ngx_int_t               rc;
    ngx_str_t              *secret, wrapped;
    ngx_kmip_item_t        *kv;
    ngx_kmip_req_t         *r = w->ctx->r;
    ngx_kmip_op_ctx_t      *ctx = w->ctx;
    const ngx_kmip_item_t  *params;

    rc = ngx_kmip_op_wrap_check_key(w, kek);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_kmip_op_wrap_choose(w, kek, &params, &mode);
    if (rc != NGX_OK) {
        return rc;
    }

    /* what is wrapped */

    kv = ngx_kmip_ttlv_find(w->block, NGX_KMIP_TAG_KEY_VALUE);

    if (kv == NULL || kv->type != NGX_KMIP_TYPE_STRUCTURE) {
        return NGX_ERROR;
    }

    secret = NULL;

    rc = ngx_kmip_op_wrap_plain(w, kv, &in, &len, &secret);
    if (rc != NGX_OK) {
        return rc;
    }

    /* RFC 3394 wraps whole 64-bit blocks, two at least; RFC 5649 any */

    if (mode == NGX_KMIP_BLOCK_CIPHER_MODE_NISTKEYWRAP
        && (len < 16 || len % 8 != 0))
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_ENCODING_OPTION_ERROR,
                                    "NIST Key Wrap takes a multiple of 8 "
                                    "bytes, 16 at least, not %uz: AES Key "
                                    "Wrap Padding takes any length", len);
        return NGX_DECLINED;
    }

    rc = ngx_kmip_op_wrap_encrypt(w, kek, mode, in, len, &wrapped);

    if (secret) {
        OPENSSL_cleanse(secret->data, secret->len);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    /*
     * TTLV Encoding: the Key Value is now the wrapped bytes, its structure
     * let go. No Encoding wraps "the Byte String Key Material field in
     * the Key Value structure" (1.4 2.1.5, which says that structure then
     * holds no attributes): the structure stays, its Key Material wrapped,
     * as PyKMIP reads it
     */

    if (w->encoding == NGX_KMIP_ENCODING_OPTION_NO_ENCODING) {
        kv = ngx_kmip_ttlv_find(kv, NGX_KMIP_TAG_KEY_MATERIAL);

    } else {
        kv->type = NGX_KMIP_TYPE_BYTE_STRING;
    }

    kv->v.str.data = wrapped.data;
    kv->v.str.len = wrapped.len;

    return ngx_kmip_op_wrap_data(w, params);
}


/*
 * The wrapping key is not there: it never was, or it is destroyed.  2.x
 * has a reason of its own for each, 1.x only Item Not Found
 * (ngx_kmip_result_fail() answers each version its own).
 */

static ngx_int_t
ngx_kmip_op_wrap_missing(ngx_kmip_wrap_t *w, ngx_uint_t destroyed)
{
    ngx_kmip_req_t  *r = w->ctx->r;

    if (destroyed) {
        return ngx_kmip_result_fail(r, w->ctx->out,
                                    NGX_KMIP_REASON_WRAPPING_OBJECT_DESTROYED,
                                    "wrapping key \"%V\" is destroyed",
                                    &w->kek_uid);
    }

    return ngx_kmip_result_fail(r, w->ctx->out,
                                NGX_KMIP_REASON_WRAPPING_OBJECT_NOT_FOUND,
                                "no wrapping key with Unique Identifier "
                                "\"%V\"", &w->kek_uid);
}


/*
 * What the wrapping key must allow, to wrap (w->unwrap 0) or to unwrap (1):
 * the States it may be in, the date it must be within, its usage
 */

typedef struct {
    const char                 *states;
    const char                 *date;
    const char                 *past;
    uint32_t                    mask;
    const char                 *name;
} ngx_kmip_op_wrap_use_t;


static const ngx_kmip_op_wrap_use_t  ngx_kmip_op_wrap_uses[] = {
    { "not Active", "Protect Stop Date", "has passed",
      NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_WRAP_KEY, "Wrap Key" },
    { "neither Active nor Deactivated", "Process Start Date", "has not come",
      NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_UNWRAP_KEY, "Unwrap Key" }
};


/*
 * The checks of the wrapping key: NGX_OK when it may wrap, NGX_DECLINED
 * when the answer says why not
 */

static ngx_int_t
ngx_kmip_op_wrap_check_key(ngx_kmip_wrap_t *w, ngx_kmip_object_t *kek)
{
    time_t                         now, date;
    int64_t                        state;
    ngx_kmip_op_ctx_t             *ctx = w->ctx;
    const ngx_kmip_op_wrap_use_t  *u;

    if (kek->destroyed) {
        (void) ngx_kmip_op_wrap_missing(w, 1);
        return NGX_DECLINED;
    }

    /* 1.4 table 338: "exists, but it is not a key" */

    if (ngx_kmip_op_symmetric_key(ctx, kek, &w->kek_uid, "wrapping key")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    /*
     * "not able to be used for wrapping": wrapping protects, so the key is
     * Active and before its Protect Stop Date (1.4 3.26), as for Encrypt;
     * unwrapping processes, so a Deactivated key past its Process Start
     * Date (3.25) unwraps too, as for Decrypt
     */

    u = &ngx_kmip_op_wrap_uses[w->unwrap];
    now = ngx_time();
    state = ngx_kmip_attrs_state(&kek->attributes, now);

    if (state != NGX_KMIP_STATE_ACTIVE
        && !(w->unwrap && state == NGX_KMIP_STATE_DEACTIVATED))
    {
        (void) ngx_kmip_op_wrong_state(ctx, "wrapping key \"%V\" is %s, %s",
                                       &w->kek_uid,
                                       ngx_kmip_state_name(state),
                                       u->states);
        return NGX_DECLINED;
    }

    date = (time_t) ngx_kmip_op_attr_num(&kek->attributes, u->date, -1);

    if (w->unwrap ? date > now : (date >= 0 && date <= now)) {
        (void) ngx_kmip_op_wrong_state(ctx, "the %s of wrapping key \"%V\" "
                                       "%s", u->date, &w->kek_uid, u->past);
        return NGX_DECLINED;
    }

    return ngx_kmip_op_usage_mask_of(ctx, kek, &w->kek_uid, u->mask,
                                     u->name);
}


/*
 * A wrapping key without Cryptographic Parameters wraps as the request
 * asks, or by default as KMIP's AES key wrapping: NIST Key Wrap (RFC
 * 3394), which VAST Data's clients unwrap without naming it. The Key
 * Wrapping Data then says so: the parameters actually used, the
 * algorithm among them from 1.2 on, which has it in the structure.
 */

static const ngx_kmip_item_t *
ngx_kmip_op_wrap_default(ngx_kmip_wrap_t *w)
{
    ngx_kmip_req_t        *r = w->ctx->r;
    ngx_kmip_item_t       *cp;
    ngx_kmip_allocator_t  *a = &r->alloc;

    if (w->params) {
        return w->params;
    }

    cp = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS,
                                NGX_KMIP_TYPE_STRUCTURE);

    if (cp == NULL
        || ngx_kmip_ttlv_add_enum(a, cp, NGX_KMIP_TAG_BLOCK_CIPHER_MODE,
                                  NGX_KMIP_BLOCK_CIPHER_MODE_NISTKEYWRAP)
           == NULL
        || (r->version >= NGX_KMIP_VERSION(1, 2)
            && ngx_kmip_ttlv_add_enum(a, cp,
                                      NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                                      NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES)
               == NULL))
    {
        return NULL;
    }

    return cp;
}


/*
 * The algorithm of the wrapping key, the Cryptographic Parameters the
 * wrapping uses and their Block Cipher Mode: NGX_DECLINED when the answer
 * says they are not offered
 */

static ngx_int_t
ngx_kmip_op_wrap_choose(ngx_kmip_wrap_t *w, ngx_kmip_object_t *kek,
    const ngx_kmip_item_t **params, int64_t *mode)
{
    int64_t             padding, alg;
    uint32_t            reason;
    ngx_uint_t          v2;
    ngx_kmip_req_t     *r = w->ctx->r;
    ngx_kmip_op_ctx_t  *ctx = w->ctx;

    v2 = ngx_kmip_op_wrap_v2(r);

    alg = ngx_kmip_op_attr_num(&kek->attributes, "Cryptographic Algorithm",
                               -1);

    if (alg != NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES
        || (kek->material.len != 16 && kek->material.len != 24
            && kek->material.len != 32))
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "keys are wrapped by AES keys of 128, "
                                    "192 or 256 bits only");
        return NGX_DECLINED;
    }

    *params = ngx_kmip_op_wrap_params(w, kek);

    if (*params == NULL
        && ngx_kmip_attrs_find(&kek->attributes, "Cryptographic Parameters",
                               24, -1)
           == NULL)
    {
        *params = ngx_kmip_op_wrap_default(w);
        if (*params == NULL) {
            return NGX_ERROR;
        }
    }

    if (*params == NULL) {
        reason = v2 ? NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS
                    : NGX_KMIP_REASON_ITEM_NOT_FOUND;
        (void) ngx_kmip_result_fail(r, ctx->out, reason,
                                    w->params
                                    ? "the Cryptographic Parameters given "
                                      "match none of wrapping key \"%V\""
                                    : "wrapping key \"%V\" has no "
                                      "Cryptographic Parameters",
                                    &w->kek_uid);
        return NGX_DECLINED;
    }

    *mode = ngx_kmip_op_wrap_field(*params, NGX_KMIP_TAG_BLOCK_CIPHER_MODE);
    padding = ngx_kmip_op_wrap_field(*params, NGX_KMIP_TAG_PADDING_METHOD);
    alg = ngx_kmip_op_wrap_field(*params,
                                 NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM);

    if ((*mode != NGX_KMIP_BLOCK_CIPHER_MODE_NISTKEYWRAP
         && *mode != NGX_KMIP_BLOCK_CIPHER_MODE_AESKEYWRAPPADDING)
        || (padding != -1 && padding != NGX_KMIP_PADDING_METHOD_NONE)
        || (alg != -1 && alg != NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES))
    {
        reason = v2 ? NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS
                    : NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED;
        (void) ngx_kmip_result_fail(r, ctx->out, reason,
                                    "keys are wrapped with Block Cipher Mode "
                                    "NIST Key Wrap or AES Key Wrap Padding, "
                                    "AES, and no Padding Method");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The bytes to wrap: the Key Material alone (No Encoding), or the TTLV
 * encoding of the Key Value with its attributes, in a secret buffer of
 * the request's pool the caller wipes when the wrapping is done
 */

static ngx_int_t
ngx_kmip_op_wrap_plain(ngx_kmip_wrap_t *w, ngx_kmip_item_t *kv, u_char **in,
    size_t *len, ngx_str_t **secret)
{
    ngx_kmip_item_t  *km;
    ngx_kmip_req_t   *r = w->ctx->r;

    if (w->encoding == NGX_KMIP_ENCODING_OPTION_NO_ENCODING) {
        km = ngx_kmip_ttlv_find(kv, NGX_KMIP_TAG_KEY_MATERIAL);

        if (km == NULL || km->type != NGX_KMIP_TYPE_BYTE_STRING) {
            (void) ngx_kmip_result_fail(r, w->ctx->out,
                                        NGX_KMIP_REASON_ENCODING_OPTION_ERROR,
                                        "the Key Material of this Key "
                                        "Format Type is a structure: it is "
                                        "wrapped with TTLV Encoding only");
            return NGX_DECLINED;
        }

        *in = (u_char *) km->v.str.data;
        *len = km->v.str.len;

        return NGX_OK;
    }

    if (ngx_kmip_op_wrap_attributes(w, kv) != NGX_OK) {
        return NGX_ERROR;
    }

    *len = ngx_kmip_ttlv_size(kv);

    *in = ngx_kmip_op_secret(r, *len, secret);
    if (*in == NULL) {
        return NGX_ERROR;
    }

    ngx_kmip_ttlv_encode(kv, *in);

    return NGX_OK;
}


/*
 * The wrapping itself, into a buffer of the request's pool: NGX_DECLINED
 * when the answer says it failed
 */

static ngx_int_t
ngx_kmip_op_wrap_encrypt(ngx_kmip_wrap_t *w, ngx_kmip_object_t *kek,
    int64_t mode, u_char *in, size_t len, ngx_str_t *wrapped)
{
    int              n, m;
    u_char          *out;
    EVP_CIPHER_CTX  *c;
    ngx_kmip_req_t  *r = w->ctx->r;

    out = ngx_pnalloc(r->pool, len + 16);
    if (out == NULL) {
        goto failed;
    }

    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        goto failed;
    }

    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);

    if (EVP_EncryptInit_ex(c, ngx_kmip_op_wrap_cipher(mode, kek->material.len),
                           NULL, kek->material.data, NULL) != 1
        || EVP_EncryptUpdate(c, out, &n, in, (int) len) != 1
        || EVP_EncryptFinal_ex(c, out + n, &m) != 1)
    {
        /* frees the key schedule, wiped */
        EVP_CIPHER_CTX_free(c);
        (void) ngx_kmip_result_fail(r, w->ctx->out,
                                    NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                    "key wrapping failed");
        return NGX_DECLINED;
    }

    EVP_CIPHER_CTX_free(c);

    wrapped->data = out;
    wrapped->len = (size_t) (n + m);

    return NGX_OK;

failed:

    (void) ngx_kmip_result_fail(r, w->ctx->out,
                                NGX_KMIP_REASON_GENERAL_FAILURE,
                                "internal error");
    return NGX_DECLINED;
}


/*
 * The Key Wrapping Data: the method, the Encryption Key Information with
 * the parameters used, and the Encoding Option when it is not TTLV
 */

static ngx_int_t
ngx_kmip_op_wrap_data(ngx_kmip_wrap_t *w, const ngx_kmip_item_t *params)
{
    ngx_kmip_item_t       *kwd, *eki, *cp;
    ngx_kmip_allocator_t  *a = &w->ctx->r->alloc;

    kwd = ngx_kmip_ttlv_add_struct(a, w->block, NGX_KMIP_TAG_KEY_WRAPPING_DATA);

    if (kwd == NULL
        || ngx_kmip_ttlv_add_enum(a, kwd, NGX_KMIP_TAG_WRAPPING_METHOD,
                                  NGX_KMIP_WRAPPING_METHOD_ENCRYPT) == NULL)
    {
        return NGX_ERROR;
    }

    eki = ngx_kmip_ttlv_add_struct(a, kwd,
                                   NGX_KMIP_TAG_ENCRYPTION_KEY_INFORMATION);
    cp = ngx_kmip_item_retag(a, params, NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);

    if (eki == NULL || cp == NULL
        || ngx_kmip_ttlv_add_text(a, eki, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                  w->kek_uid.data, w->kek_uid.len) == NULL)
    {
        return NGX_ERROR;
    }

    ngx_kmip_ttlv_item_append(eki, cp);

    /* without it, a reader takes the Key Value as TTLV-encoded */

    if (w->encoding == NGX_KMIP_ENCODING_OPTION_NO_ENCODING
        && ngx_kmip_ttlv_add_enum(a, kwd, NGX_KMIP_TAG_ENCODING_OPTION,
                                  NGX_KMIP_ENCODING_OPTION_NO_ENCODING) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A key its client registered wrapped (its Key Wrapping Data kwd), served
 * unwrapped: Get's Key Wrap Type Not Wrapped (KMIP 1.4 4.11, 2.1 6.1.21),
 * with the managed key the Key Wrapping Data names, the method it says
 * (Encrypt, AES Key Wrap of RFC 3394 or 5649)
 */

ngx_int_t
ngx_kmip_op_unwrap_block(ngx_kmip_op_ctx_t *ctx, const ngx_kmip_item_t *kwd,
    ngx_kmip_item_t *payload, ngx_kmip_item_t *block,
    ngx_kmip_op_next_pt next)
{
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_wrap_t        *w;
    const ngx_kmip_item_t  *method, *eki, *uid, *enc;

    method = ngx_kmip_ttlv_find(kwd, NGX_KMIP_TAG_WRAPPING_METHOD);
    eki = ngx_kmip_ttlv_find(kwd, NGX_KMIP_TAG_ENCRYPTION_KEY_INFORMATION);
    uid = ngx_kmip_ttlv_find(eki, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
    enc = ngx_kmip_ttlv_find(kwd, NGX_KMIP_TAG_ENCODING_OPTION);

    if (method == NULL || method->v.num != NGX_KMIP_WRAPPING_METHOD_ENCRYPT
        || uid == NULL || uid->type != NGX_KMIP_TYPE_TEXT_STRING)
    {
        return ngx_kmip_result_fail(r, ctx->out,
                               r->version >= NGX_KMIP_VERSION(1, 2)
                               ? NGX_KMIP_REASON_KEY_WRAP_TYPE_NOT_SUPPORTED
                               : NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "object \"%V\" is unwrapped only when "
                                    "it was wrapped by Encrypt with a key "
                                    "of this server", &ctx->uid);
    }

    w = ngx_pcalloc(r->pool, sizeof(ngx_kmip_wrap_t));
    if (w == NULL) {
        return NGX_ERROR;
    }

    w->unwrap = 1;
    w->kek_uid.data = (u_char *) uid->v.str.data;
    w->kek_uid.len = uid->v.str.len;
    w->params = ngx_kmip_ttlv_find(eki,
                                   NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);
    w->encoding = enc ? (uint32_t) enc->v.num
                      : NGX_KMIP_ENCODING_OPTION_TTLV_ENCODING;

    return ngx_kmip_op_wrap_block(ctx, w, payload, block, next);
}


/*
 * The wrapping key read: the Key Value unwrapped in place, as the Key
 * Wrapping Data says it was wrapped; a key that does not open it fails
 * with Cryptographic Failure, the answer holding no part of it
 */

static ngx_int_t
ngx_kmip_op_unwrap_with(ngx_kmip_wrap_t *w, ngx_kmip_object_t *kek)
{
    int                     n, m;
    u_char                 *plain;
    int64_t                 mode, alg;
    ngx_int_t               rc;
    ngx_str_t              *secret;
    EVP_CIPHER_CTX         *c;
    ngx_kmip_item_t        *kv, *km;
    ngx_kmip_req_t         *r = w->ctx->r;
    const ngx_kmip_item_t  *wrapped;

    rc = ngx_kmip_op_wrap_check_key(w, kek);
    if (rc != NGX_OK) {
        return rc;
    }

    mode = w->params ? ngx_kmip_op_wrap_field(w->params,
                                              NGX_KMIP_TAG_BLOCK_CIPHER_MODE)
                     : NGX_KMIP_BLOCK_CIPHER_MODE_NISTKEYWRAP;
    alg = ngx_kmip_op_attr_num(&kek->attributes, "Cryptographic Algorithm",
                               -1);

    if (alg != NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES
        || (mode != NGX_KMIP_BLOCK_CIPHER_MODE_NISTKEYWRAP
            && mode != NGX_KMIP_BLOCK_CIPHER_MODE_AESKEYWRAPPADDING)
        || ngx_kmip_op_wrap_cipher(mode, kek->material.len) == NULL)
    {
        (void) ngx_kmip_result_fail(r, w->ctx->out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "keys are unwrapped with AES, NIST Key "
                                    "Wrap or AES Key Wrap Padding, only");
        return NGX_DECLINED;
    }

    kv = ngx_kmip_ttlv_find(w->block, NGX_KMIP_TAG_KEY_VALUE);
    km = ngx_kmip_ttlv_find(kv, NGX_KMIP_TAG_KEY_MATERIAL);
    wrapped = (km && km->type == NGX_KMIP_TYPE_BYTE_STRING) ? km : kv;

    if (wrapped == NULL || wrapped->type != NGX_KMIP_TYPE_BYTE_STRING
        || wrapped->v.str.len < 16)
    {
        (void) ngx_kmip_result_fail(r, w->ctx->out,
                                    NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                    "the wrapped key is too short");
        return NGX_DECLINED;
    }

    plain = ngx_kmip_op_secret(r, wrapped->v.str.len, &secret);
    c = EVP_CIPHER_CTX_new();

    if (plain == NULL || c == NULL) {
        EVP_CIPHER_CTX_free(c);
        return NGX_ERROR;
    }

    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);

    if (EVP_DecryptInit_ex(c, ngx_kmip_op_wrap_cipher(mode, kek->material.len),
                           NULL, kek->material.data, NULL) != 1
        || EVP_DecryptUpdate(c, plain, &n, wrapped->v.str.data,
                             (int) wrapped->v.str.len) != 1
        || EVP_DecryptFinal_ex(c, plain + n, &m) != 1)
    {
        EVP_CIPHER_CTX_free(c);
        OPENSSL_cleanse(plain, wrapped->v.str.len);

        (void) ngx_kmip_result_fail(r, w->ctx->out,
                                    NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                    "wrapping key \"%V\" does not unwrap "
                                    "object \"%V\"", &w->kek_uid,
                                    &w->ctx->uid);
        return NGX_DECLINED;
    }

    EVP_CIPHER_CTX_free(c);

    return ngx_kmip_op_unwrap_value(w, kv, plain, (size_t) (n + m));
}


/*
 * The Key Value the unwrapped bytes are: with No Encoding the Key
 * Material alone, in the Key Value structure; with TTLV Encoding the Key
 * Value structure itself, which must decode as one
 */

static ngx_int_t
ngx_kmip_op_unwrap_value(ngx_kmip_wrap_t *w, ngx_kmip_item_t *kv,
    u_char *plain, size_t len)
{
    ngx_kmip_item_t  *km, *value;
    ngx_kmip_req_t   *r = w->ctx->r;

    if (w->encoding == NGX_KMIP_ENCODING_OPTION_NO_ENCODING) {
        km = ngx_kmip_ttlv_find(kv, NGX_KMIP_TAG_KEY_MATERIAL);

        if (km == NULL) {
            return NGX_ERROR;
        }

        km->v.str.data = plain;
        km->v.str.len = len;

        return NGX_OK;
    }

    if (ngx_kmip_ttlv_decode(plain, len, NULL, &r->alloc, &value, NULL)
        != NGX_KMIP_OK
        || value->tag != NGX_KMIP_TAG_KEY_VALUE
        || value->type != NGX_KMIP_TYPE_STRUCTURE)
    {
        (void) ngx_kmip_result_fail(r, w->ctx->out,
                                    NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                    "object \"%V\" unwraps to no Key Value",
                                    &w->ctx->uid);
        return NGX_DECLINED;
    }

    /* the decoded strings point into plain, wiped with the request */

    kv->type = NGX_KMIP_TYPE_STRUCTURE;
    kv->v.kids = value->v.kids;

    return NGX_OK;
}
