
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_usage.h"
#include "ngx_kmip_op_crypto.h"


/*
 * Usage Limits (KMIP 1.4 3.21): the stored form of a client's value, the
 * allocation an operation that applies protection takes from them, and
 * the one a client asks for to protect data itself (Get Usage
 * Allocation). Both count against the same Total.
 */


typedef struct {
    ngx_kmip_item_t            *payload;    /* the answer, held back */
    size_t                      bytes;      /* the data protected */
} ngx_kmip_op_usage_t;


/* the usages that apply protection: what Get Usage Allocation is for */
#define NGX_KMIP_OP_USAGE_PROTECT                                            \
    (NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_SIGN                                  \
     | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT                             \
     | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_WRAP_KEY                            \
     | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_MAC_GENERATE)

static ngx_kmip_item_t *ngx_kmip_op_usage_value(ngx_kmip_req_t *r,
    int64_t total, int64_t count, int64_t unit);
static ngx_uint_t ngx_kmip_op_usage_get(ngx_kmip_attrs_t *l, int64_t *total,
    int64_t *count, int64_t *unit);
static int64_t ngx_kmip_op_usage_amount(int64_t unit, size_t bytes);
static ngx_int_t ngx_kmip_op_usage_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_usage_take(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj, int64_t amount);
static ngx_int_t ngx_kmip_op_usage_respond(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_allocation_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);


ngx_kmip_item_t *
ngx_kmip_op_usage_limits(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    const ngx_kmip_item_t *value)
{
    const char       *err;
    ngx_kmip_item_t  *total, *unit, *v;

    total = ngx_kmip_ttlv_find(value, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL);
    unit = ngx_kmip_ttlv_find(value, NGX_KMIP_TAG_USAGE_LIMITS_UNIT);

    if (total == NULL || total->type != NGX_KMIP_TYPE_LONG_INTEGER
        || total->v.num < 0)
    {
        err = "Usage Limits needs a non-negative Usage Limits Total";

    } else if (unit == NULL || unit->type != NGX_KMIP_TYPE_ENUMERATION
               || (unit->v.num != NGX_KMIP_USAGE_LIMITS_UNIT_BYTE
                   && unit->v.num != NGX_KMIP_USAGE_LIMITS_UNIT_OBJECT))
    {
        err = "Usage Limits needs a Usage Limits Unit of Byte or Object";

    } else {
        /* a client's Count is ignored: the server's starts at the Total */

        v = ngx_kmip_op_usage_value(r, total->v.num, total->v.num,
                                    unit->v.num);
        if (v != NULL) {
            return v;
        }

        err = "no memory";
    }

    (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD, "%s",
                                err);
    return NULL;
}


static ngx_kmip_item_t *
ngx_kmip_op_usage_value(ngx_kmip_req_t *r, int64_t total, int64_t count,
    int64_t unit)
{
    ngx_kmip_item_t  *v;

    v = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_STRUCTURE);

    if (v == NULL
        || ngx_kmip_ttlv_add_long(&r->alloc, v, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL,
                                  total) == NULL
        || ngx_kmip_ttlv_add_long(&r->alloc, v, NGX_KMIP_TAG_USAGE_LIMITS_COUNT,
                                  count) == NULL
        || ngx_kmip_ttlv_add_enum(&r->alloc, v, NGX_KMIP_TAG_USAGE_LIMITS_UNIT,
                                  (uint32_t) unit) == NULL)
    {
        return NULL;
    }

    return v;
}


/* Total, Count and Unit of the object's limits; 0 if it has none */

static ngx_uint_t
ngx_kmip_op_usage_get(ngx_kmip_attrs_t *l, int64_t *total, int64_t *count,
    int64_t *unit)
{
    ngx_kmip_attr_t  *at;
    ngx_kmip_item_t  *t, *c, *u;

    at = ngx_kmip_attrs_find(l, "Usage Limits", 12, -1);
    if (at == NULL || at->value == NULL) {
        return 0;
    }

    t = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL);
    c = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_USAGE_LIMITS_COUNT);
    u = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_USAGE_LIMITS_UNIT);

    /* a malformed stored value allows nothing */
    *total = (t && t->type == NGX_KMIP_TYPE_LONG_INTEGER) ? t->v.num : 0;
    *count = (c && c->type == NGX_KMIP_TYPE_LONG_INTEGER) ? c->v.num : 0;
    *unit = (u && u->type == NGX_KMIP_TYPE_ENUMERATION) ? u->v.num : 0;

    return 1;
}


ngx_uint_t
ngx_kmip_op_usage_used(ngx_kmip_attrs_t *l)
{
    int64_t  total, count, unit;

    return ngx_kmip_op_usage_get(l, &total, &count, &unit) && count < total;
}


static int64_t
ngx_kmip_op_usage_amount(int64_t unit, size_t bytes)
{
    /* Object: one protected object per operation */
    return unit == NGX_KMIP_USAGE_LIMITS_UNIT_BYTE ? (int64_t) bytes : 1;
}


ngx_int_t
ngx_kmip_op_usage_consume(ngx_kmip_op_ctx_t *ctx, size_t bytes)
{
    int64_t               total, count, unit, amount;
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_op_ctx_t    *actx;
    ngx_kmip_op_usage_t  *u;

    if (!ngx_kmip_op_usage_get(&ctx->obj->attributes, &total, &count,
                               &unit))
    {
        return NGX_OK;
    }

    amount = ngx_kmip_op_usage_amount(unit, bytes);

    if (count < amount) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "the Usage Limits of \"%V\" allow %L "
                                    "more, not %L", &ctx->uid, count,
                                    amount);
    }

    /*
     * the allocation is durable before the protected data goes out: a
     * mutation of its own (Get Usage Allocation's, 1.4 4.16), so that a
     * conflict re-reads the object and counts again
     */

    u = ngx_palloc(r->pool, sizeof(ngx_kmip_op_usage_t));
    actx = ngx_kmip_op_ctx(r, ctx->in, ctx->out);
    if (u == NULL || actx == NULL) {
        return NGX_ERROR;
    }

    u->payload = ctx->out->payload;
    u->bytes = bytes;
    ctx->out->payload = NULL;

    actx->uid = ctx->uid;
    actx->data = u;

    return ngx_kmip_op_mutate(actx, ngx_kmip_op_usage_apply,
                              ngx_kmip_op_usage_respond);
}


static ngx_int_t
ngx_kmip_op_usage_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    int64_t               total, count, unit, amount;
    ngx_kmip_op_usage_t  *u = ctx->data;

    if (!ngx_kmip_op_usage_get(&obj->attributes, &total, &count, &unit)) {
        /* the limits were deleted meanwhile: nothing to account */
        ctx->out->payload = u->payload;
        return NGX_DECLINED;
    }

    /* counted again: a conflict re-read the object */

    amount = ngx_kmip_op_usage_amount(unit, u->bytes);

    return ngx_kmip_op_usage_take(ctx, obj, amount);
}


/* amount taken from the object's Usage Limits: NGX_DECLINED if less is
   left, with ctx->out saying so (Permission Denied, 1.4 11.19) */

static ngx_int_t
ngx_kmip_op_usage_take(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj,
    int64_t amount)
{
    int64_t           total, count, unit;
    ngx_kmip_req_t   *r = ctx->r;
    ngx_kmip_item_t  *v;

    if (!ngx_kmip_op_usage_get(&obj->attributes, &total, &count, &unit)) {
        return NGX_ERROR;
    }

    if (count < amount) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "the Usage Limits of \"%V\" allow %L "
                                    "more, not %L", &ctx->uid, count,
                                    amount);
        return NGX_DECLINED;
    }

    v = ngx_kmip_op_usage_value(r, total, count - amount, unit);

    if (v == NULL
        || ngx_kmip_attrs_set(&r->alloc, &obj->attributes, "Usage Limits", v)
           == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_op_usage_respond(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_usage_t  *u = ctx->data;

    ctx->out->payload = u->payload;

    return NGX_OK;
}


/*
 * Get Usage Allocation (KMIP 1.4 4.18, 2.1 6.1.25): units of a key's
 * Usage Limits for the client to protect data itself, written before the
 * answer like Encrypt's own use. Only an Active key able to apply
 * protection (a symmetric or private key whose mask has Encrypt, Sign,
 * Wrap Key or MAC Generate), before its Protect Stop Date, with Usage
 * Limits left; the errors are 1.4 11.19's.
 */

ngx_int_t
ngx_kmip_op_get_usage_allocation(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out)
{
    int64_t          *amount;
    ngx_kmip_item_t  *count;

    count = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_USAGE_LIMITS_COUNT);

    if (count == NULL) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_MESSAGE,
                                    "Get Usage Allocation needs a Usage "
                                    "Limits Count");
    }

    if (count->type != NGX_KMIP_TYPE_LONG_INTEGER || count->v.num <= 0) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "the Usage Limits Count must be a "
                                    "positive Long Integer");
    }

    amount = ngx_palloc(r->pool, sizeof(int64_t));
    if (amount == NULL) {
        return NGX_ERROR;
    }

    *amount = count->v.num;

    return ngx_kmip_op_begin_mutate(r, in, out, amount,
                                    ngx_kmip_op_allocation_apply,
                                    ngx_kmip_op_respond_uid);
}


static ngx_int_t
ngx_kmip_op_allocation_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    int64_t    total, count, unit, mask;
    ngx_int_t  rc;

    mask = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Usage Mask",
                                0);

    if ((obj->object_type != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
         && obj->object_type != NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY)
        || !(mask & NGX_KMIP_OP_USAGE_PROTECT)
        || !ngx_kmip_op_usage_get(&obj->attributes, &total, &count, &unit))
    {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_ILLEGAL_OPERATION,
                                    "\"%V\" has no Usage Limits, or does "
                                    "not apply protection", &ctx->uid);
        return NGX_DECLINED;
    }

    /* Active, and before its Protect Stop Date */

    rc = ngx_kmip_op_key_usable(ctx, mask & NGX_KMIP_OP_USAGE_PROTECT, 1, 0,
                                "Get Usage Allocation");
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_kmip_op_usage_take(ctx, obj, *(int64_t *) ctx->data);
}
