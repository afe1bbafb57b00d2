
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_lease.h"


/*
 * Check (KMIP 1.4 4.10, 2.1 6.1.7): may the client use the object as the
 * request says? Each value given is checked against the object:
 *
 *   Cryptographic Usage Mask  the object is not Deactivated or
 *                             Compromised (its dates considered) and every
 *                             bit asked for is in its mask;
 *   Usage Limits Count        no more than the object's Usage Limits have
 *                             left (an object without Usage Limits has no
 *                             limit; object types that have no usage
 *                             limits cannot be checked for them);
 *   Lease Time                no longer than the lease Obtain Lease
 *                             grants (ngx_kmip_op_lease.c): any, when
 *                             the object's Lease Time is 0, no limit.
 *
 * Allowed: the answer is the Unique Identifier. Denied: the ID Placeholder
 * is emptied and the item fails with the specification's reason (2.x:
 * Incompatible Cryptographic Usage Mask, Usage Limit Exceeded, Illegal
 * Object Type; 1.x: Permission Denied, Illegal Operation). The
 * specification also says the answer lists the values that were denied,
 * but a failed batch item has no Response Payload (1.4 Table 284, 2.1
 * Table 399: "Yes, if not a failure"): the Result Message names them.
 * Nothing is written: a Check changes nothing.
 */


static ngx_int_t ngx_kmip_op_check_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_check_denied(ngx_kmip_op_ctx_t *ctx,
    uint32_t reason2, uint32_t reason1, const char *fmt, ...);


/* the values to check, each of its type, before the key store is asked */

static const struct {
    uint32_t                    tag;
    uint8_t                     type;
    ngx_uint_t                  not_negative;
    const char                 *error;
} ngx_kmip_op_check_values[] = {
    { NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER, 0,
      "Cryptographic Usage Mask is not an Integer" },
    { NGX_KMIP_TAG_USAGE_LIMITS_COUNT, NGX_KMIP_TYPE_LONG_INTEGER, 1,
      "Usage Limits Count is not a Long Integer of 0 or more" },
    { NGX_KMIP_TAG_LEASE_TIME, NGX_KMIP_TYPE_INTERVAL, 0,
      "Lease Time is not an Interval" },
    { 0, 0, 0, NULL }
};


ngx_int_t
ngx_kmip_op_check(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_uint_t        i;
    ngx_kmip_item_t  *it;

    for (i = 0; ngx_kmip_op_check_values[i].tag; i++) {
        it = ngx_kmip_ttlv_find(in->payload, ngx_kmip_op_check_values[i].tag);

        if (it
            && (it->type != ngx_kmip_op_check_values[i].type
                || (ngx_kmip_op_check_values[i].not_negative
                    && it->v.num < 0)))
        {
            return ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_INVALID_FIELD, "%s",
                                        ngx_kmip_op_check_values[i].error);
        }
    }

    return ngx_kmip_op_begin_load(r, in, out, NULL, 0,
                                  ngx_kmip_op_check_loaded);
}


/* the object types that have a Usage Limits attribute (2.1 4.53) */

static ngx_uint_t
ngx_kmip_op_check_has_limits(uint32_t object_type)
{
    switch (object_type) {

    case NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY:
    case NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY:
    case NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY:
    case NGX_KMIP_OBJECT_TYPE_SPLIT_KEY:
        return 1;

    default:
        return 0;
    }
}


/* what the object's Usage Limits leave; -1: no limit */

static int64_t
ngx_kmip_op_check_limit_left(ngx_kmip_object_t *obj)
{
    ngx_kmip_attr_t  *at;
    ngx_kmip_item_t  *count, *total;

    at = ngx_kmip_attrs_find(&obj->attributes, "Usage Limits",
                             sizeof("Usage Limits") - 1, -1);

    if (at == NULL || at->value == NULL
        || at->value->type != NGX_KMIP_TYPE_STRUCTURE)
    {
        return -1;
    }

    /* the count is what is left; before any use it may be absent */

    count = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_USAGE_LIMITS_COUNT);

    if (count && count->type == NGX_KMIP_TYPE_LONG_INTEGER) {
        return count->v.num;
    }

    total = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL);

    if (total && total->type == NGX_KMIP_TYPE_LONG_INTEGER) {
        return total->v.num;
    }

    /* a limit that cannot be read allows nothing */
    return 0;
}


static ngx_int_t
ngx_kmip_op_check_loaded(ngx_kmip_op_ctx_t *ctx)
{
    int64_t                    mask, want, left, state, lease;
    ngx_kmip_req_t            *r = ctx->r;
    ngx_kmip_item_t           *it, *payload;
    ngx_kmip_object_t         *obj = ctx->obj;

    if (ngx_kmip_op_gone(ctx)) {
        r->id_placeholder.len = 0;
        return NGX_OK;
    }

    it = ngx_kmip_ttlv_find(ctx->in->payload,
                            NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK);

    if (it) {
        /*
         * a Deactivated or Compromised object, as the dates have moved
         * it, is used no more (1.4 3.22): Encrypt and Decrypt refuse it.
         * A Pre-Active one passes: it is checked before it is activated
         * (Create, Check, Activate). 2.1 Table 185 has no Wrong Key
         * Lifecycle State: Permission Denied
         */

        state = ngx_kmip_attrs_state(&obj->attributes, ngx_time());

        if (state != NGX_KMIP_STATE_PRE_ACTIVE
            && state != NGX_KMIP_STATE_ACTIVE)
        {
            return ngx_kmip_op_check_denied(ctx,
                       NGX_KMIP_REASON_PERMISSION_DENIED,
                       NGX_KMIP_REASON_PERMISSION_DENIED,
                       "Cryptographic Usage Mask: the object is %s",
                       ngx_kmip_state_name(state));
        }

        want = (uint32_t) it->v.num;
        mask = ngx_kmip_op_attr_num(&obj->attributes,
                                    "Cryptographic Usage Mask", 0);

        if ((want & ~mask) != 0) {
            return ngx_kmip_op_check_denied(ctx,
                       NGX_KMIP_REASON_INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK,
                       NGX_KMIP_REASON_PERMISSION_DENIED,
                       "Cryptographic Usage Mask 0x%08XL: the object "
                       "allows 0x%08XL", want, mask);
        }
    }

    it = ngx_kmip_ttlv_find(ctx->in->payload,
                            NGX_KMIP_TAG_USAGE_LIMITS_COUNT);

    if (it) {
        if (!ngx_kmip_op_check_has_limits(obj->object_type)) {
            return ngx_kmip_op_check_denied(ctx,
                       NGX_KMIP_REASON_ILLEGAL_OBJECT_TYPE,
                       NGX_KMIP_REASON_ILLEGAL_OPERATION,
                       "Usage Limits Count: an object of this type has no "
                       "usage limits");
        }

        left = ngx_kmip_op_check_limit_left(obj);

        if (left >= 0 && it->v.num > left) {
            return ngx_kmip_op_check_denied(ctx,
                       NGX_KMIP_REASON_USAGE_LIMIT_EXCEEDED,
                       NGX_KMIP_REASON_PERMISSION_DENIED,
                       "Usage Limits Count %L: the object's usage limits "
                       "leave %L", it->v.num, left);
        }
    }

    it = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_LEASE_TIME);
    lease = ngx_kmip_op_lease_of(obj);

    if (it && (lease < 0 || (lease > 0 && it->v.num > lease))) {
        return ngx_kmip_op_check_denied(ctx,
                   NGX_KMIP_REASON_PERMISSION_DENIED,
                   NGX_KMIP_REASON_PERMISSION_DENIED,
                   "Lease Time %L: the object's leases are at most %L s",
                   it->v.num, lease < 0 ? 0 : lease);
    }

    payload = ngx_kmip_op_payload_uid(r, &obj->uid);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    ctx->out->payload = payload;

    return NGX_OK;
}


/* a policy denial: "the server empties the ID Placeholder" */

static ngx_int_t
ngx_kmip_op_check_denied(ngx_kmip_op_ctx_t *ctx, uint32_t reason2,
    uint32_t reason1, const char *fmt, ...)
{
    va_list          args;
    ngx_kmip_req_t  *r = ctx->r;

    r->id_placeholder.len = 0;

    va_start(args, fmt);
    (void) ngx_kmip_result_vfail(r, ctx->out,
                                 r->version >= NGX_KMIP_VERSION(2, 0)
                                 ? reason2 : reason1,
                                 "Check denied: ", fmt, args);
    va_end(args);

    return NGX_OK;
}
