
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_WORK_H_INCLUDED_
#define _NGX_KMIP_OP_WORK_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ops.h"


/*
 * CPU-heavy work off the event loop (ngx_kmip_op_work.c): in nginx's
 * "default" thread pool when the server has one (r->conf->thread_pool),
 * so that a key pair's generation does not hold up the worker's other
 * connections.
 *
 * The work's memory is the caller's block of ngx_kmip_op_work_alloc(),
 * from the heap: the client may leave while the work runs, and the block
 * outlives the request until the work ends. work() runs in a thread and
 * calls nothing of nginx; done() runs on the event loop, with gone set
 * when the request has been destroyed meanwhile (then it must not touch
 * it); the block is freed after done() returns, so done() wipes what
 * must not outlive it.
 */


typedef void (*ngx_kmip_op_work_pt)(void *data);
typedef void (*ngx_kmip_op_work_done_pt)(void *data, ngx_uint_t gone);


/* a zeroed block of size bytes for the work, or NULL */
void *ngx_kmip_op_work_alloc(ngx_kmip_req_t *r, size_t size);

/*
 * NGX_AGAIN: posted, done() follows; NGX_DECLINED: no thread pool, the
 * caller does the work itself (and frees the block with
 * ngx_kmip_op_work_free()); NGX_BUSY: the pool's queue is full;
 * NGX_ERROR.
 */
ngx_int_t ngx_kmip_op_work_post(ngx_kmip_req_t *r, void *data,
    ngx_kmip_op_work_pt work, ngx_kmip_op_work_done_pt done);

void ngx_kmip_op_work_free(void *data);


#endif /* _NGX_KMIP_OP_WORK_H_INCLUDED_ */
