
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_GET_H_INCLUDED_
#define _NGX_KMIP_OP_GET_H_INCLUDED_


/*
 * What Export shares with Get (ngx_kmip_op_get.c): the object read with
 * its material, the answer built, and the object marked served.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_op_store.h"


/*
 * Get and Export up to the loaded object: the item's object, its Key
 * Wrapping Specification if any (ngx_kmip_op_wrap_request()), then the
 * object read with its material and "loaded" called.
 */
ngx_int_t ngx_kmip_op_serve(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_op_next_pt loaded);

/*
 * Get in two steps, which Export shares: the answer for a loaded object,
 * material included (wrapped, when ctx->data is the request's
 * ngx_kmip_wrap_t, which may take a store read), in ctx->out, then next(ctx)
 * if it succeeded; and, the answer complete, the object marked served
 * (Fresh False: a store write before the answer goes out, NGX_AGAIN, on an
 * object's first serve).
 */
ngx_int_t ngx_kmip_op_get_material(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_op_next_pt next);
ngx_int_t ngx_kmip_op_get_served(ngx_kmip_op_ctx_t *ctx);


#endif /* _NGX_KMIP_OP_GET_H_INCLUDED_ */
