
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_TEMPLATE_H_INCLUDED_
#define _NGX_KMIP_OP_TEMPLATE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_op_store.h"


/*
 * Templates (KMIP 1.0 to 1.4 2.2.6; deprecated in 1.3, gone in 2.0):
 * a named object that holds attributes for the objects made later,
 * which name it inside their Template-Attribute (ngx_kmip_op_template.c).
 */


/*
 * Register's reading of a Template structure: each attribute one a
 * client may give a new cryptographic object; *bytes its TTLV, the
 * object's material. NGX_DECLINED: ctx->out says why not.
 */
ngx_int_t ngx_kmip_op_template_read(ngx_kmip_op_ctx_t *ctx,
    const ngx_kmip_item_t *tmpl, ngx_str_t *bytes);

/*
 * 1 if the batch item lists the store for templates: a 1.x Create, Create
 * Key Pair or Register that names one, or a Register of one
 */
ngx_uint_t ngx_kmip_op_template_lists(ngx_kmip_req_t *r,
    const ngx_kmip_request_item_t *item);

/*
 * Before a new Template (ctx->obj) is stored: no live Template bears any
 * of its Names already (1.4 11.4: Invalid Field), so that a name finds
 * one template; then next(ctx). One list of the store, as Locate's.
 */
ngx_int_t ngx_kmip_op_template_unique(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_op_next_pt next);

/* Get's: the Template structure as registered, appended to payload */
ngx_int_t ngx_kmip_op_template_get(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *payload);

/*
 * The templates that the request's containers (tags, 0-ended: its
 * Template-Attribute, Create Key Pair's three) name, looked up through
 * the store; each container is then rewritten in the request as the
 * templates' attributes and its own, its own taking precedence (1.4
 * 2.1.8, 4.1). Then next(ctx), at once when nothing is named (and in
 * 2.x). An unknown name fails the item with Item Not Found, an archived
 * template with Object Archived.
 */
ngx_int_t ngx_kmip_op_templates(ngx_kmip_op_ctx_t *ctx, const uint32_t *tags,
    ngx_kmip_op_next_pt next);


#endif /* _NGX_KMIP_OP_TEMPLATE_H_INCLUDED_ */
