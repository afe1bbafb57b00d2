
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_WRAP_H_INCLUDED_
#define _NGX_KMIP_OP_WRAP_H_INCLUDED_


/*
 * Key wrapping of a served Key Block (ngx_kmip_op_wrap.c): a request's Key
 * Wrapping Specification (KMIP 1.4 2.1.6, 2.1 7.18) names a managed AES key
 * with the Wrap Key usage; the Key Value of the Key Block the server
 * answers with becomes the AES Key Wrap (RFC 3394, "NIST Key Wrap") or AES
 * Key Wrap with Padding (RFC 5649) of its TTLV encoding, or of the bare
 * Key Material with Encoding Option No Encoding, and the Key Block gains a
 * Key Wrapping Data structure (1.4 2.1.5) that says how. Get and Export
 * (whose Key Wrapping Specification has "the same semantics as Get") use
 * it, through ngx_kmip_op_get_material().
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_op_store.h"


typedef struct ngx_kmip_wrap_s  ngx_kmip_wrap_t;


/*
 * Reads and checks the request's Key Wrapping Specification, if it has
 * one, before anything is fetched, and leaves it in ctx->data: NGX_OK
 * (ctx->data NULL when there is none), NGX_DECLINED with ctx->out failed
 * (a malformed specification, or one asking for what the server does not
 * offer), or NGX_ERROR.
 */
ngx_int_t ngx_kmip_op_wrap_request(ngx_kmip_op_ctx_t *ctx);

/*
 * Wraps the Key Value of block, a Key Block of ctx->obj built for payload:
 * reads the wrapping key through the store, checks it, and on success puts
 * payload in ctx->out and calls next(ctx). The answer holds no plaintext
 * Key Value at any time: until the wrapping is done, payload is not in
 * ctx->out, and a failure answers without it. Returns as an operation's
 * step does (NGX_OK with ctx->out filled, NGX_AGAIN, NGX_ERROR).
 */
ngx_int_t ngx_kmip_op_wrap_block(ngx_kmip_op_ctx_t *ctx, ngx_kmip_wrap_t *w,
    ngx_kmip_item_t *payload, ngx_kmip_item_t *block,
    ngx_kmip_op_next_pt next);


/*
 * The same the other way: block, the Key Block of a key its client
 * registered wrapped (its Key Wrapping Data kwd), unwrapped in place with
 * the managed key kwd names, when Get asks for it Not Wrapped
 */
ngx_int_t ngx_kmip_op_unwrap_block(ngx_kmip_op_ctx_t *ctx,
    const ngx_kmip_item_t *kwd, ngx_kmip_item_t *payload,
    ngx_kmip_item_t *block, ngx_kmip_op_next_pt next);


#endif /* _NGX_KMIP_OP_WRAP_H_INCLUDED_ */
