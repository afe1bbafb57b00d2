
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_USAGE_H_INCLUDED_
#define _NGX_KMIP_OP_USAGE_H_INCLUDED_


/*
 * Usage Limits (ngx_kmip_op_usage.c): what Create, Register and the
 * attribute operations store of a client's value, and what an operation
 * that applies protection takes from them.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_op_store.h"


/*
 * Usage Limits (KMIP 1.4 3.21): the stored form of a client's value (the
 * Count is the server's, set to the Total), NULL with out failed (Invalid
 * Field) if invalid; whether the object has been used for protection
 * since they were set.
 */
ngx_kmip_item_t *ngx_kmip_op_usage_limits(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, const ngx_kmip_item_t *value);
ngx_uint_t ngx_kmip_op_usage_used(ngx_kmip_attrs_t *l);

/*
 * Called by an operation that applies protection (Encrypt) once its answer
 * is in ctx->out: with Usage Limits, the allocation is written to the store
 * before the answer goes out (Permission Denied when exhausted, as 1.4 4.29
 * and 2.1 6.1.17 say); without, NGX_OK at once.
 */
ngx_int_t ngx_kmip_op_usage_consume(ngx_kmip_op_ctx_t *ctx, size_t bytes);

/* Get Usage Allocation: units of the limits for the client's own use */
ngx_int_t ngx_kmip_op_get_usage_allocation(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);


#endif /* _NGX_KMIP_OP_USAGE_H_INCLUDED_ */
