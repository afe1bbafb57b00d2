
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_STORE_H_INCLUDED_
#define _NGX_KMIP_OP_STORE_H_INCLUDED_


/*
 * Shared by the operations on managed objects: reading an object (with
 * the request-wide cache of the last one), writing a changed object with
 * optimistic concurrency (re-read and re-apply on a conflict, bounded),
 * mapping store failures to KMIP results, the answers most operations
 * give (ngx_kmip_op_store.c); with the object's attributes as a client
 * sees them (ngx_kmip_op_view.h).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ops.h"
#include "ngx_kmip_store.h"
#include "ngx_kmip_attr.h"
#include "ngx_kmip_op_view.h"


/*
 * Each conflict means another writer's update went in, so N writers of one
 * object all finish within N attempts; vCenter may fire a few dozen
 * changes of one key at once from several hosts.
 */
#define NGX_KMIP_OP_RETRIES   32


typedef struct ngx_kmip_op_ctx_s  ngx_kmip_op_ctx_t;

/* NGX_OK: out is filled; NGX_AGAIN: completes later; NGX_ERROR */
typedef ngx_int_t (*ngx_kmip_op_next_pt)(ngx_kmip_op_ctx_t *ctx);

/*
 * Applies the operation's changes to obj (attributes already a private
 * copy). NGX_OK: write it; NGX_DONE: write it, but as the server's own
 * bookkeeping (Fresh), which leaves the Last Change Date alone;
 * NGX_DECLINED: nothing to write (out holds the answer, e.g. a KMIP
 * error); NGX_ERROR.
 */
typedef ngx_int_t (*ngx_kmip_op_apply_pt)(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);


struct ngx_kmip_op_ctx_s {
    ngx_kmip_req_t             *r;
    ngx_kmip_request_item_t    *in;
    ngx_kmip_response_item_t   *out;
    ngx_str_t                   uid;
    ngx_kmip_object_t          *obj;
    ngx_kmip_store_op_t        *sop;
    ngx_uint_t                  with_material;
    ngx_uint_t                  retries;
    unsigned                    for_update:1;   /* the next read is a
                                                   write's */
    unsigned                    unchecked:1;    /* ctx->obj is from such a
                                                   read: only a create
                                                   that succeeds proves it
                                                   current */
    unsigned                    serve:1;        /* the mutation is the
                                                   first Get's Fresh False
                                                   and nothing else:
                                                   ngx_kmip_store_serve() */
    ngx_kmip_op_next_pt         next;       /* after a load */
    ngx_kmip_op_apply_pt        apply;      /* mutations */
    ngx_kmip_op_next_pt         respond;    /* after a write */
    ngx_kmip_op_next_pt         stored;     /* after a store call */
    void                       *data;
};


/* an operation of the request's store, its handler called with data */
static ngx_inline ngx_kmip_store_op_t *
ngx_kmip_op_store_op(ngx_kmip_req_t *r, ngx_kmip_store_handler_pt handler,
    void *data)
{
    ngx_kmip_store_op_t  *sop;

    sop = ngx_kmip_store_op_create(r->store, r->pool);

    if (sop) {
        sop->handler = handler;
        sop->data = data;
    }

    return sop;
}


ngx_int_t ngx_kmip_op_no_store(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out);
ngx_kmip_op_ctx_t *ngx_kmip_op_ctx(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
/* the item's Unique Identifier, or the ID Placeholder; NGX_DECLINED with
   out filled when there is none */
ngx_int_t ngx_kmip_op_get_uid(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    ngx_str_t *uid);

/*
 * The start of an operation on one object: a key store configured, the
 * context, the object's Unique Identifier (the item's or the ID
 * Placeholder). NULL when the item is already answered (*rc NGX_OK) or on
 * an allocation failure (*rc NGX_ERROR).
 */
ngx_kmip_op_ctx_t *ngx_kmip_op_begin(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    ngx_int_t *rc);

ngx_int_t ngx_kmip_op_load(ngx_kmip_op_ctx_t *ctx, ngx_uint_t with_material,
    ngx_kmip_op_next_pt next);
/* the start of an operation that reads one object, with its material or
   without: ngx_kmip_op_begin(), ctx->data set, then ngx_kmip_op_load() */
ngx_int_t ngx_kmip_op_begin_load(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out, void *data,
    ngx_uint_t with_material, ngx_kmip_op_next_pt next);
ngx_int_t ngx_kmip_op_mutate(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_op_apply_pt apply, ngx_kmip_op_next_pt respond);
/* the start of an operation that changes one object: ngx_kmip_op_begin(),
   ctx->data set, then ngx_kmip_op_mutate() */
ngx_int_t ngx_kmip_op_begin_mutate(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out, void *data,
    ngx_kmip_op_apply_pt apply, ngx_kmip_op_next_pt respond);
void ngx_kmip_op_store_failed(ngx_kmip_op_ctx_t *ctx, const char *what);

/*
 * A step that asks the store, around the store's call: the call's
 * operation in ctx->sop (NULL on an allocation failure), whose outcome
 * done takes, whether the store answers at once or later; then the step's
 * return for the call's: NGX_AGAIN while the store works, else done's.
 * In done: 1 when the store failed, the item answered with why (done then
 * returns NGX_OK).
 */
ngx_kmip_store_op_t *ngx_kmip_op_store_call(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_op_next_pt done);
/* the same around a store's write of obj: ngx_kmip_store_create(),
   ngx_kmip_store_update() or ngx_kmip_store_destroy() */
typedef ngx_int_t (*ngx_kmip_op_write_pt)(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);

ngx_int_t ngx_kmip_op_store_write(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_op_write_pt write, ngx_kmip_object_t *obj,
    ngx_kmip_op_next_pt done);
/* the same around a read of the object uid (ngx_kmip_store_fetch()) */
ngx_int_t ngx_kmip_op_store_fetch(ngx_kmip_op_ctx_t *ctx, ngx_str_t *uid,
    ngx_uint_t with_material, ngx_kmip_op_next_pt done);
ngx_int_t ngx_kmip_op_store_called(ngx_kmip_op_ctx_t *ctx, ngx_int_t rc);
ngx_uint_t ngx_kmip_op_store_lost(ngx_kmip_op_ctx_t *ctx, const char *what);

/*
 * Every live object of the store (ngx_kmip_store_list()), read into a pool
 * of the list's own, so that what one list reads (a record per object) is
 * not held until the request ends: done takes ctx->sop->objects, and
 * ngx_kmip_op_list_release() frees them once what must outlive them is
 * copied (ngx_kmip_op_locate.c: Locate, and the templates Create and
 * Register name)
 */
typedef struct {
    ngx_pool_t                 *pool;       /* the list's */
    ngx_uint_t                  calls;      /* the store's trace mark
                                               before */
} ngx_kmip_op_list_t;

ngx_int_t ngx_kmip_op_list(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_list_t *l,
    ngx_kmip_op_next_pt done);
ngx_int_t ngx_kmip_op_list_release(ngx_kmip_req_t *r, ngx_kmip_op_list_t *l,
    ngx_kmip_store_op_t *sop);

/*
 * A list reads every object (up to 1 + NGX_KMIP_STORE_LIST_MAX Key Protect
 * calls): a request message lists the store this many times at most, its
 * Locate items and those naming or registering templates together.
 * ngx_kmip_op_lists_over() fails the running item (out) past that.
 */
#define NGX_KMIP_OP_LISTS_MAX  4

ngx_uint_t ngx_kmip_op_lists_over(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out);

/*
 * The end of a step that ran on a store's callback: NGX_AGAIN waits for
 * the next one; otherwise the item is answered (General Failure on an
 * error) and the batch resumes.
 */
void ngx_kmip_op_finish(ngx_kmip_op_ctx_t *ctx, ngx_int_t rc);

/* a pool buffer for key material, wiped when the request ends; *sp: its
   ngx_str_t, to hand on as the object's material */
u_char *ngx_kmip_op_secret(ngx_kmip_req_t *r, size_t len, ngx_str_t **sp);

/* a Response Payload that begins with the Unique Identifier (most
   answers do); NULL if out of memory */
ngx_kmip_item_t *ngx_kmip_op_payload_uid(ngx_kmip_req_t *r, ngx_str_t *uid);

/* a payload with only the Unique Identifier */
ngx_int_t ngx_kmip_op_respond_uid(ngx_kmip_op_ctx_t *ctx);

/* whether obj is archived, off-line until Recover (ngx_kmip_op_archive.c) */
ngx_uint_t ngx_kmip_op_archived(ngx_kmip_object_t *obj);

/* the Key Wrapping Data of a key its client registered wrapped, or NULL */
ngx_kmip_item_t *ngx_kmip_op_wrapping_data(ngx_kmip_object_t *obj);

/* 1 when ctx->obj is destroyed, the item failed with Object Destroyed
   (Item Not Found in 1.x, which has no such reason) */
ngx_uint_t ngx_kmip_op_gone(ngx_kmip_op_ctx_t *ctx);

/*
 * The key an operation uses (Encrypt's, a wrapping key), named what "uid"
 * in the answer: a symmetric key with its material. NGX_OK, or
 * NGX_DECLINED with ctx->out saying why not (Invalid Object Type, or in
 * 1.x Illegal Operation; Key Value Not Present).
 */
ngx_int_t ngx_kmip_op_symmetric_key(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *key, ngx_str_t *uid, const char *what);

/* lifecycle violation: Wrong Key Lifecycle State in 2.x, else Illegal
   Operation */
ngx_int_t ngx_kmip_op_wrong_state(ngx_kmip_op_ctx_t *ctx, const char *fmt,
    ...);


#endif /* _NGX_KMIP_OP_STORE_H_INCLUDED_ */
