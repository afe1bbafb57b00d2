
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_get.h"
#include "ngx_kmip_op_wrap.h"


/*
 * Export (KMIP 2.x, 2.1 6.1.18): the object as Get returns it (the same
 * Key Format Type rules and key wrapping), with all its attributes in an
 * Attributes structure between the Unique Identifier and the object. A
 * destroyed object's material is not returned: the item fails as Get's
 * does. The Unique Identifier goes to the ID Placeholder.
 */


static ngx_int_t ngx_kmip_op_export_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_export_respond(ngx_kmip_op_ctx_t *ctx);


ngx_int_t
ngx_kmip_op_export(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_serve(r, in, out, ngx_kmip_op_export_loaded);
}


static ngx_int_t
ngx_kmip_op_export_loaded(ngx_kmip_op_ctx_t *ctx)
{
    return ngx_kmip_op_get_material(ctx, ngx_kmip_op_export_respond);
}


static ngx_int_t
ngx_kmip_op_export_respond(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_req_t    *r = ctx->r;
    ngx_kmip_attr_t   *at;
    ngx_kmip_item_t   *uid, *attrs;
    ngx_kmip_attrs_t   view;

    if (ngx_kmip_op_view(r, ctx->obj, &view) != NGX_OK) {
        return NGX_ERROR;
    }

    attrs = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_ATTRIBUTES,
                                   NGX_KMIP_TYPE_STRUCTURE);
    if (attrs == NULL) {
        return NGX_ERROR;
    }

    for (at = view.first; at; at = at->next) {
        if (ngx_kmip_attr_emit(&r->alloc, attrs, at, (unsigned) r->version)
            < 0)
        {
            return NGX_ERROR;
        }
    }

    /* Object Type, Unique Identifier, Attributes, the object */

    uid = ngx_kmip_ttlv_find(ctx->out->payload,
                             NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
    if (uid == NULL || uid->next == NULL) {
        return NGX_ERROR;
    }

    attrs->next = uid->next;
    uid->next = attrs;
    ctx->out->payload->v.kids.count++;

    r->id_placeholder = ctx->obj->uid;

    return ngx_kmip_op_get_served(ctx);
}
