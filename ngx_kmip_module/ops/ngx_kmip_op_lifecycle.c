
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"


/*
 * Activate and Revoke: state changes written as the object's next
 * generation (Destroy, which deletes the Key Protect key, is in
 * ngx_kmip_op_destroy.c).
 *
 *   Pre-Active  --Activate-->                  Active
 *   Active      --Revoke (other reasons)-->    Deactivated
 *   Pre-Active, Active, Deactivated
 *               --Revoke (Key/CA Compromise)-> Compromised
 */


static ngx_int_t ngx_kmip_op_activate_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_revoke_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);


ngx_int_t
ngx_kmip_op_activate(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_begin_mutate(r, in, out, NULL,
                                    ngx_kmip_op_activate_apply,
                                    ngx_kmip_op_respond_uid);
}


static ngx_int_t
ngx_kmip_op_activate_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    int64_t          state;
    ngx_kmip_req_t  *r = ctx->r;

    state = ngx_kmip_attrs_state(&obj->attributes, ngx_time());

    if (state != NGX_KMIP_STATE_PRE_ACTIVE) {
        (void) ngx_kmip_op_wrong_state(ctx, "object \"%V\" is %s: only "
                                       "Pre-Active objects are activated",
                                       &ctx->uid, ngx_kmip_state_name(state));
        return NGX_DECLINED;
    }

    if (ngx_kmip_op_set_num(r, &obj->attributes, "State",
                            NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_STATE_ACTIVE)
        != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Activation Date",
                               NGX_KMIP_TYPE_DATE_TIME, ngx_time())
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_revoke(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_kmip_item_t  *rr, *code;

    rr = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_REVOCATION_REASON);
    code = ngx_kmip_ttlv_find(rr, NGX_KMIP_TAG_REVOCATION_REASON_CODE);

    if (rr == NULL || rr->type != NGX_KMIP_TYPE_STRUCTURE || code == NULL
        || code->type != NGX_KMIP_TYPE_ENUMERATION)
    {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "Revoke needs a Revocation Reason with "
                                    "a Revocation Reason Code");
    }

    return ngx_kmip_op_begin_mutate(r, in, out, rr,
                                    ngx_kmip_op_revoke_apply,
                                    ngx_kmip_op_respond_uid);
}


static ngx_int_t
ngx_kmip_op_revoke_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    time_t            now;
    int64_t           state, code, occurred;
    ngx_kmip_req_t   *r = ctx->r;
    ngx_kmip_item_t  *rr, *v, *cod;

    rr = ctx->data;
    code = ngx_kmip_ttlv_find(rr, NGX_KMIP_TAG_REVOCATION_REASON_CODE)->v.num;
    now = ngx_time();
    state = ngx_kmip_attrs_state(&obj->attributes, now);

    v = ngx_kmip_item_retag(&r->alloc, rr, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
    if (v == NULL
        || ngx_kmip_attrs_set(&r->alloc, &obj->attributes,
                              "Revocation Reason", v) == NULL)
    {
        return NGX_ERROR;
    }

    if (code == NGX_KMIP_REVOCATION_REASON_CODE_KEY_COMPROMISE
        || code == NGX_KMIP_REVOCATION_REASON_CODE_CA_COMPROMISE)
    {
        if (state != NGX_KMIP_STATE_PRE_ACTIVE
            && state != NGX_KMIP_STATE_ACTIVE
            && state != NGX_KMIP_STATE_DEACTIVATED)
        {
            (void) ngx_kmip_op_wrong_state(ctx, "object \"%V\" is %s: it "
                                           "cannot become Compromised",
                                           &ctx->uid,
                                           ngx_kmip_state_name(state));
            return NGX_DECLINED;
        }

        cod = ngx_kmip_ttlv_find(ctx->in->payload,
                                 NGX_KMIP_TAG_COMPROMISE_OCCURRENCE_DATE);
        occurred = (cod && cod->type == NGX_KMIP_TYPE_DATE_TIME)
                   ? cod->v.num : now;

        if (ngx_kmip_op_set_num(r, &obj->attributes, "State",
                                NGX_KMIP_TYPE_ENUMERATION,
                                NGX_KMIP_STATE_COMPROMISED) != NGX_OK
            || ngx_kmip_op_set_num(r, &obj->attributes, "Compromise Date",
                                   NGX_KMIP_TYPE_DATE_TIME, now) != NGX_OK
            || ngx_kmip_op_set_num(r, &obj->attributes,
                                   "Compromise Occurrence Date",
                                   NGX_KMIP_TYPE_DATE_TIME, occurred)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    if (state != NGX_KMIP_STATE_ACTIVE) {
        (void) ngx_kmip_op_wrong_state(ctx, "object \"%V\" is %s: only "
                                       "Active objects are deactivated by "
                                       "Revoke", &ctx->uid,
                                       ngx_kmip_state_name(state));
        return NGX_DECLINED;
    }

    if (ngx_kmip_op_set_num(r, &obj->attributes, "State",
                            NGX_KMIP_TYPE_ENUMERATION,
                            NGX_KMIP_STATE_DEACTIVATED) != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Deactivation Date",
                               NGX_KMIP_TYPE_DATE_TIME, now) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
