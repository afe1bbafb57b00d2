
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_pkey.h"
#include "ngx_kmip_op_crypto.h"
#include "ngx_kmip_pk.h"


/*
 * The cryptographic services with a Public or Private Key (the keys/
 * layer does the work, ngx_kmip_pk.h): Sign (1.4 4.31, 2.1 6.1.48) with a
 * private key, Signature Verify (1.4 4.32, 2.1 6.1.50) with a public key
 * or a private key's public half, and Encrypt and Decrypt with RSA, which
 * ngx_kmip_op_crypto.c hands here for such keys. The multi-part forms of
 * Sign and Signature Verify are put together by ngx_kmip_op_parts() and
 * run here as one part; RSA Encrypt and Decrypt run in one part only.
 *
 * The parameters are the key's Cryptographic Parameters (its first
 * instance), each field overridden by the request's; the key must be
 * Active (Deactivated too, to verify an old signature or decrypt old data)
 * and its Cryptographic Usage Mask must allow the operation.
 */


/*
 * What each operation needs of its key: a usage, a private key or either,
 * the states it runs in; and which date ends it: protecting (Sign,
 * Encrypt) stops at the Protect Stop Date, processing (Signature Verify,
 * Decrypt) starts at the Process Start Date (1.4 3.25, 3.26)
 */

typedef struct {
    uint32_t                    operation;
    uint32_t                    mask;
    ngx_uint_t                  private_only;
    ngx_uint_t                  protects;       /* else processes */
    const char                 *name;
} ngx_kmip_op_pk_use_t;


static const ngx_kmip_op_pk_use_t  ngx_kmip_op_pk_uses[] = {
    { NGX_KMIP_OP_SIGN, NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_SIGN, 1, 1,
      "Sign" },
    { NGX_KMIP_OP_SIGNATURE_VERIFY, NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_VERIFY,
      0, 0, "Signature Verify" },
    { NGX_KMIP_OP_ENCRYPT, NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT, 0, 1,
      "Encrypt" },
    { NGX_KMIP_OP_DECRYPT, NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DECRYPT, 1, 0,
      "Decrypt" },
    { 0, 0, 0, 0, NULL }
};


static ngx_int_t ngx_kmip_op_pk_signed(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_pk_verified(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_pk_usable(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_key_t *key, ngx_kmip_item_t *material,
    ngx_kmip_pk_params_t *params);
static ngx_int_t ngx_kmip_op_pk_data(ngx_kmip_op_ctx_t *ctx,
    const ngx_kmip_item_t **data, int *digested);
static ngx_int_t ngx_kmip_op_pk_answer(ngx_kmip_op_ctx_t *ctx, uint32_t tag,
    const uint8_t *bytes, size_t len, int64_t validity);
static ngx_int_t ngx_kmip_op_pk_refused(ngx_kmip_op_ctx_t *ctx, int rc,
    ngx_kmip_keys_error_t *err);


/*
 * Sign and Signature Verify, told apart by the operation as the attribute
 * operations are: one entry for both, so that their multi-part forms and
 * their single-part start are written once
 */

ngx_int_t
ngx_kmip_op_signature(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_int_t  rc;

    rc = ngx_kmip_op_parts(r, in, out, ngx_kmip_op_signature);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    return ngx_kmip_op_begin_load(r, in, out, NULL, 1,
                                  in->operation == NGX_KMIP_OP_SIGN
                                  ? ngx_kmip_op_pk_signed
                                  : ngx_kmip_op_pk_verified);
}


/* what Sign and Signature Verify both need: the key, its parameters and
   the data */

typedef struct {
    ngx_kmip_key_t              key;
    ngx_kmip_item_t             material;
    ngx_kmip_pk_params_t        params;
    const ngx_kmip_item_t      *data;
    int                         digested;
    ngx_kmip_keys_error_t       err;
} ngx_kmip_op_pk_input_t;


static ngx_int_t
ngx_kmip_op_pk_input(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_pk_input_t *in)
{
    ngx_int_t  rc;

    rc = ngx_kmip_op_pk_usable(ctx, &in->key, &in->material, &in->params);

    if (rc == NGX_OK) {
        rc = ngx_kmip_op_pk_data(ctx, &in->data, &in->digested);
    }

    return rc;
}


static ngx_int_t
ngx_kmip_op_pk_signed(ngx_kmip_op_ctx_t *ctx)
{
    int                     rc;
    size_t                  len;
    uint8_t                *sig;
    ngx_int_t               nrc;
    ngx_kmip_op_pk_input_t  in;

    nrc = ngx_kmip_op_pk_input(ctx, &in);
    if (nrc != NGX_OK) {
        return nrc == NGX_DECLINED ? NGX_OK : nrc;
    }

    rc = ngx_kmip_pk_sign(&ctx->r->alloc, &in.key, &in.params,
                          in.data->v.str.data, in.data->v.str.len,
                          in.digested, &sig, &len, &in.err);

    if (rc != NGX_KMIP_KEYS_OK) {
        return ngx_kmip_op_pk_refused(ctx, rc, &in.err);
    }

    return ngx_kmip_op_pk_answer(ctx, NGX_KMIP_TAG_SIGNATURE_DATA, sig, len,
                                 -1);
}


static ngx_int_t
ngx_kmip_op_pk_verified(ngx_kmip_op_ctx_t *ctx)
{
    int                     rc, valid;
    ngx_int_t               nrc;
    ngx_kmip_op_pk_input_t  in;
    const ngx_kmip_item_t  *sig;

    nrc = ngx_kmip_op_pk_input(ctx, &in);
    if (nrc != NGX_OK) {
        return nrc == NGX_DECLINED ? NGX_OK : nrc;
    }

    sig = ngx_kmip_op_need(ctx->r, ctx->out, ctx->in->payload,
                           NGX_KMIP_TAG_SIGNATURE_DATA,
                           NGX_KMIP_TYPE_BYTE_STRING,
                           "Signature Verify needs Signature Data");
    if (sig == NULL) {
        return NGX_OK;
    }

    rc = ngx_kmip_pk_verify(&in.key, &in.params, in.data->v.str.data,
                            in.data->v.str.len, in.digested, sig->v.str.data,
                            sig->v.str.len, &valid, &in.err);

    if (rc != NGX_KMIP_KEYS_OK) {
        return ngx_kmip_op_pk_refused(ctx, rc, &in.err);
    }

    return ngx_kmip_op_pk_answer(ctx, 0, NULL, 0,
                                 valid ? NGX_KMIP_VALIDITY_INDICATOR_VALID
                                       : NGX_KMIP_VALIDITY_INDICATOR_INVALID);
}


/* Encrypt and Decrypt with an RSA key (ngx_kmip_op_crypto.c) */

ngx_int_t
ngx_kmip_op_pk_cipher(ngx_kmip_op_ctx_t *ctx)
{
    int                     rc;
    size_t                  len;
    uint8_t                *res;
    ngx_int_t               nrc;
    ngx_kmip_key_t          key;
    ngx_kmip_item_t         material, *item;
    ngx_kmip_pk_params_t    params;
    ngx_kmip_keys_error_t   err;
    const ngx_kmip_item_t  *data;

    nrc = ngx_kmip_op_pk_usable(ctx, &key, &material, &params);

    if (nrc != NGX_OK) {
        return nrc == NGX_DECLINED ? NGX_OK : nrc;
    }

    data = ngx_kmip_op_need(ctx->r, ctx->out, ctx->in->payload,
                            NGX_KMIP_TAG_DATA, NGX_KMIP_TYPE_BYTE_STRING,
                            "%s needs Data",
                            ngx_kmip_operation_name(ctx->in->operation));
    if (data == NULL) {
        return NGX_OK;
    }

    if (ctx->in->operation == NGX_KMIP_OP_ENCRYPT) {
        rc = ngx_kmip_pk_encrypt(&ctx->r->alloc, &key, &params,
                                 data->v.str.data, data->v.str.len, &res,
                                 &len, &err);

    } else {
        rc = ngx_kmip_pk_decrypt(&ctx->r->alloc, &key, &params,
                                 data->v.str.data, data->v.str.len, &res,
                                 &len, &err);
    }

    if (rc != NGX_KMIP_KEYS_OK) {
        return ngx_kmip_op_pk_refused(ctx, rc, &err);
    }

    nrc = ngx_kmip_op_pk_answer(ctx, NGX_KMIP_TAG_DATA, res, len, -1);

    if (nrc == NGX_OK && ctx->in->operation == NGX_KMIP_OP_DECRYPT) {
        /* a plaintext is as secret as the key that opened it: its bytes
           (the answer's, which point to them) wiped with the request */
        item = ngx_kmip_ttlv_find(ctx->out->payload, NGX_KMIP_TAG_DATA);

        if (item && ngx_kmip_op_pkey_wipe_later(ctx->r, item) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return nrc;
}


/*
 * The key may do the operation: a key object of the right kind, with
 * material, in its state, its usage mask allowing it; its parameters.
 * NGX_DECLINED with ctx->out failed when not.
 */

static ngx_int_t
ngx_kmip_op_pk_usable(ngx_kmip_op_ctx_t *ctx, ngx_kmip_key_t *key,
    ngx_kmip_item_t *material, ngx_kmip_pk_params_t *params)
{
    int                          rc;
    ngx_int_t                    nrc;
    ngx_kmip_req_t              *r = ctx->r;
    ngx_kmip_attr_t             *cp;
    ngx_kmip_object_t           *obj = ctx->obj;
    ngx_kmip_keys_error_t        err;
    const ngx_kmip_op_pk_use_t  *u;

    for (u = ngx_kmip_op_pk_uses; u->name; u++) {
        if (u->operation == ctx->in->operation) {
            break;
        }
    }

    if (u->name == NULL || ngx_kmip_op_gone(ctx)) {
        return u->name ? NGX_DECLINED : NGX_ERROR;
    }

    if (obj->object_type != NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
        && (u->private_only
            || obj->object_type != NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY))
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "%s needs a %s key; \"%V\" is not one",
                                    u->name,
                                    u->private_only ? "private"
                                                    : "public or private",
                                    &ctx->uid);
        return NGX_DECLINED;
    }

    /* to verify an old signature or decrypt old data: Deactivated too */

    nrc = ngx_kmip_op_key_usable(ctx, u->mask, u->protects, !u->protects,
                                 u->name);
    if (nrc != NGX_OK) {
        return nrc;
    }

    ngx_kmip_op_pkey_key(r, obj, key, material);

    ngx_kmip_pk_params_init(params);

    cp = ngx_kmip_attrs_find(&obj->attributes, "Cryptographic Parameters",
                             sizeof("Cryptographic Parameters") - 1, -1);

    rc = cp ? ngx_kmip_pk_params_read(cp->value, params, &err)
            : NGX_KMIP_KEYS_OK;

    if (rc == NGX_KMIP_KEYS_OK) {
        rc = ngx_kmip_pk_params_read(ngx_kmip_ttlv_find(ctx->in->payload,
                                     NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS),
                                     params, &err);
    }

    if (rc != NGX_KMIP_KEYS_OK) {
        nrc = ngx_kmip_op_pk_refused(ctx, rc, &err);
        return nrc == NGX_OK ? NGX_DECLINED : nrc;
    }

    return NGX_OK;
}


/* the Data, or the Digested Data (1.4), to sign or to verify */

static ngx_int_t
ngx_kmip_op_pk_data(ngx_kmip_op_ctx_t *ctx, const ngx_kmip_item_t **data,
    int *digested)
{
    const ngx_kmip_item_t  *d;

    d = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_DATA);
    *digested = 0;

    if (d == NULL) {
        d = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_DIGESTED_DATA);
        *digested = 1;
    }

    if (d == NULL || d->type != NGX_KMIP_TYPE_BYTE_STRING) {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "%s needs Data or Digested Data",
                                    ngx_kmip_operation_name(
                                                      ctx->in->operation));
        return NGX_DECLINED;
    }

    *data = d;

    return NGX_OK;
}


/* the Unique Identifier, then the bytes under tag or a Validity Indicator */

static ngx_int_t
ngx_kmip_op_pk_answer(ngx_kmip_op_ctx_t *ctx, uint32_t tag,
    const uint8_t *bytes, size_t len, int64_t validity)
{
    ngx_kmip_req_t   *r = ctx->r;
    ngx_kmip_item_t  *payload;

    payload = ngx_kmip_op_payload_uid(r, &ctx->uid);

    if (payload == NULL
        || (tag && ngx_kmip_ttlv_add_bytes(&r->alloc, payload, tag, bytes,
                                           len) == NULL)
        || (validity != -1
            && ngx_kmip_ttlv_add_enum(&r->alloc, payload,
                                      NGX_KMIP_TAG_VALIDITY_INDICATOR,
                                      (uint32_t) validity) == NULL))
    {
        return NGX_ERROR;
    }

    ctx->out->payload = payload;

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_op_pk_refused(ngx_kmip_op_ctx_t *ctx, int rc,
    ngx_kmip_keys_error_t *err)
{
    if (rc == NGX_KMIP_KEYS_ERR_NOMEM) {
        return NGX_ERROR;
    }

    return ngx_kmip_result_fail(ctx->r, ctx->out, ngx_kmip_keys_reason(rc),
                                "%s: %s",
                                ngx_kmip_operation_name(ctx->in->operation),
                                err->what ? err->what
                                          : ngx_kmip_keys_strerror(rc));
}
