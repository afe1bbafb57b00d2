
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_ops.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_lease.h"


/*
 * Obtain Lease (KMIP 1.4 4.17, 2.1 6.1.35): how long a client may use the
 * object before it asks again, and the Last Change Date its cached
 * attributes are to be compared with.
 *
 * The lease granted is the object's Lease Time, "the maximum Lease Time
 * [the server] is able to serve" (1.4 3.20). ngx_kmip sets it to 0 on the
 * objects it makes (ngx_kmip_op_create.c), "no lease interval is
 * effective": a client may keep using and caching the object, and learns
 * from the Last Change Date when its copy of the attributes is stale. No
 * lease is granted on an object that must not be used: a destroyed one
 * (Object Destroyed; Item Not Found in 1.x) or a Compromised one
 * (Permission Denied, 1.4 11.18).
 */


static ngx_int_t ngx_kmip_op_lease_loaded(ngx_kmip_op_ctx_t *ctx);


ngx_int_t
ngx_kmip_op_obtain_lease(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_begin_load(r, in, out, NULL, 0,
                                  ngx_kmip_op_lease_loaded);
}


int64_t
ngx_kmip_op_lease_of(ngx_kmip_object_t *obj)
{
    int64_t  lease;

    if (obj->destroyed
        || ngx_kmip_attrs_state(&obj->attributes, ngx_time())
           == NGX_KMIP_STATE_COMPROMISED)
    {
        return -1;
    }

    lease = ngx_kmip_op_attr_num(&obj->attributes, "Lease Time", 0);

    return lease > 0 ? lease : 0;
}


static ngx_int_t
ngx_kmip_op_lease_loaded(ngx_kmip_op_ctx_t *ctx)
{
    int64_t             lease, changed;
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_item_t    *payload;
    ngx_kmip_object_t  *obj = ctx->obj;

    if (ngx_kmip_op_gone(ctx)) {
        return NGX_OK;
    }

    lease = ngx_kmip_op_lease_of(obj);

    if (lease < 0) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "no lease on \"%V\": it is Compromised",
                                    &ctx->uid);
    }

    /* an object stored before it had a Last Change Date: its creation */

    changed = ngx_kmip_op_attr_num(&obj->attributes, "Last Change Date", -1);
    if (changed < 0) {
        changed = ngx_kmip_op_attr_num(&obj->attributes, "Initial Date", 0);
    }

    payload = ngx_kmip_op_payload_uid(r, &ctx->uid);

    if (payload == NULL
        || ngx_kmip_ttlv_add_interval(&r->alloc, payload,
                                      NGX_KMIP_TAG_LEASE_TIME,
                                      (uint32_t) lease)
           == NULL
        || ngx_kmip_ttlv_add_datetime(&r->alloc, payload,
                                      NGX_KMIP_TAG_LAST_CHANGE_DATE, changed)
           == NULL)
    {
        return NGX_ERROR;
    }

    ctx->out->payload = payload;

    return NGX_OK;
}
