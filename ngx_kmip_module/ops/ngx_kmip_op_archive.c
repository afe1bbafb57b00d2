
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_ops.h"
#include "ngx_kmip_op_store.h"


/*
 * Archive and Recover (KMIP 1.4 4.22, 4.23; 2.1 6.1.4, 6.1.41).
 *
 * Archive is a client's word that the object may go to archival storage;
 * where and when is the server's policy. ngx_kmip's: at once, in place.
 * The object stays in its Key Protect key, its material untouched, and
 * the Archive Date it gets (1.4 3.32) takes it off-line: every operation
 * on it but Recover fails with Object Archived (1.4 chapter 11), and
 * Locate finds it only when asked for archived objects (the Storage
 * Status Mask). Recover deletes the Archive Date and the object is
 * on-line again, as it was. Both are writes of the object's next
 * generation, durable before the answer, and the state (Active, Revoked
 * ...) and the dates move on as they would: an archived key past its
 * Deactivation Date is Deactivated when recovered.
 */


static ngx_int_t ngx_kmip_op_archive_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_recover_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);


ngx_uint_t
ngx_kmip_op_archived(ngx_kmip_object_t *obj)
{
    return ngx_kmip_attrs_find(&obj->attributes, "Archive Date",
                               sizeof("Archive Date") - 1, -1)
           != NULL;
}


ngx_int_t
ngx_kmip_op_archive(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    /* an object archived already is refused when read (Object Archived) */

    return ngx_kmip_op_begin_mutate(r, in, out, NULL,
                                    ngx_kmip_op_archive_apply,
                                    ngx_kmip_op_respond_uid);
}


static ngx_int_t
ngx_kmip_op_archive_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    return ngx_kmip_op_set_num(ctx->r, &obj->attributes, "Archive Date",
                               NGX_KMIP_TYPE_DATE_TIME, ngx_time());
}


ngx_int_t
ngx_kmip_op_recover(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_begin_mutate(r, in, out, NULL,
                                    ngx_kmip_op_recover_apply,
                                    ngx_kmip_op_respond_uid);
}


static ngx_int_t
ngx_kmip_op_recover_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    if (!ngx_kmip_op_archived(obj)) {
        /* on-line already: nothing to do, and nothing to fail (11.24) */
        return ngx_kmip_op_respond_uid(ctx) == NGX_OK ? NGX_DECLINED
                                                     : NGX_ERROR;
    }

    (void) ngx_kmip_attrs_remove(&obj->attributes,
                                 (const uint8_t *) "Archive Date",
                                 sizeof("Archive Date") - 1, -1);

    return NGX_OK;
}
