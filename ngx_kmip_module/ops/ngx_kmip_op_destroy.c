
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"


/*
 * Destroy: an object that is not Active has its Key Protect key deleted;
 * what remains answers as a destroyed object.
 */


static ngx_int_t ngx_kmip_op_destroy_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_destroyed(ngx_kmip_op_ctx_t *ctx);


ngx_int_t
ngx_kmip_op_destroy(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_begin_load(r, in, out, NULL, 0,
                                  ngx_kmip_op_destroy_loaded);
}


static ngx_int_t
ngx_kmip_op_destroy_loaded(ngx_kmip_op_ctx_t *ctx)
{
    int64_t  state;

    if (ngx_kmip_op_gone(ctx)) {
        return NGX_OK;
    }

    state = ngx_kmip_attrs_state(&ctx->obj->attributes, ngx_time());

    if (state == NGX_KMIP_STATE_ACTIVE) {
        return ngx_kmip_op_wrong_state(ctx, "object \"%V\" is Active: "
                                       "revoke it before destroying it",
                                       &ctx->uid);
    }

    return ngx_kmip_op_store_write(ctx, ngx_kmip_store_destroy, ctx->obj,
                                   ngx_kmip_op_destroyed);
}


static ngx_int_t
ngx_kmip_op_destroyed(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_req_t  *r = ctx->r;

    r->object = NULL;

    if (ngx_kmip_op_store_lost(ctx, "destroy")) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_INFO, r->log, 0,
                  "kmip: destroyed object \"%V\" (%s key %V deleted)",
                  &ctx->uid, ngx_kmip_store_name(r->store), &ctx->obj->kp_id);

    return ngx_kmip_op_respond_uid(ctx);
}
