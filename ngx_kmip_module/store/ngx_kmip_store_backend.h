
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_STORE_BACKEND_H_INCLUDED_
#define _NGX_KMIP_STORE_BACKEND_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_store.h"


/*
 * What keeps the objects behind ngx_kmip_store_t. The store calls a
 * backend's method with op->store, op->kind and op->pool set, after it has
 * looked at its key cache and journal, and looks at them again when the
 * method ends. A method returns as a store operation does (NGX_OK,
 * NGX_ERROR, or NGX_AGAIN and op->handler later, never from inside the
 * call), with op->object set on success, except list, which fills
 * op->objects.
 *
 *   create   makes the object: a Unique Identifier that exists fails
 *   fetch    the object's latest generation; a destroyed object is found
 *            with destroyed set. op->record: the object's stored record,
 *            for the key cache (leave it empty for a copy not to keep)
 *   update   writes obj as generation obj->generation + 1 if, and only
 *            if, obj->generation is still the latest (else CONFLICT; GONE
 *            if the object was destroyed meanwhile)
 *   destroy  deletes the object's key material for good; its attributes
 *            stay readable, destroyed set
 *   remove   deletes every trace of an object (the undo of a create)
 *   serve    optional: marks obj (generation N, Fresh True when read)
 *            served without writing a record, as update would (CONFLICT
 *            if N is not the latest). A fetch then finds generation N+1:
 *            the record of N, which ngx_kmip_store_decode() reads with
 *            Fresh False when given N+1
 */

typedef ngx_int_t (*ngx_kmip_store_object_pt)(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);

struct ngx_kmip_store_backend_s {
    const char                 *name;
    ngx_kmip_store_object_pt    create;
    ngx_int_t                 (*fetch)(ngx_kmip_store_op_t *op,
                                       ngx_str_t *uid,
                                       ngx_uint_t with_material);
    ngx_kmip_store_object_pt    update;
    ngx_kmip_store_object_pt    destroy;
    ngx_int_t                 (*list)(ngx_kmip_store_op_t *op);
    ngx_int_t                 (*remove)(ngx_kmip_store_op_t *op,
                                        ngx_str_t *uid);
    ngx_kmip_store_object_pt    serve;
};


typedef enum {
    NGX_KMIP_STORE_CREATE = 1,
    NGX_KMIP_STORE_FETCH,
    NGX_KMIP_STORE_UPDATE,
    NGX_KMIP_STORE_DESTROY,
    NGX_KMIP_STORE_LIST,
    NGX_KMIP_STORE_REMOVE
} ngx_kmip_store_kind_e;


/*
 * Records a failure in op (result, and what: a literal, not copied).
 * Returns NGX_ERROR, for a method to return or to end an operation with.
 */
ngx_int_t ngx_kmip_store_error(ngx_kmip_store_op_t *op,
    ngx_kmip_store_result_e result, const char *what);

/*
 * The end of an operation that went asynchronous, given the rc of its
 * last step: NGX_AGAIN, still running; NGX_OK, it succeeded; anything else
 * with op->result recorded. Calls op->handler.
 */
void ngx_kmip_store_finalize(ngx_kmip_store_op_t *op, ngx_int_t rc);

/*
 * The object op->uid belongs to another scope than the client's: logged
 * and counted (the audit log), then failed as an object that does not
 * exist. NGX_ERROR.
 */
ngx_int_t ngx_kmip_store_fenced(ngx_kmip_store_op_t *op);

/* an object from its stored record (ngx_kmip_record.h); strings point into
   payload. uid and generation, when given, must match */
ngx_int_t ngx_kmip_store_decode(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj, ngx_str_t *payload, ngx_str_t *uid,
    ngx_uint_t generation);

/* the trace slot of a backend call: its correlation id, once known */
ngx_int_t ngx_kmip_store_trace(ngx_kmip_store_op_t *op, ngx_str_t *id);

void *ngx_kmip_store_alloc(void *data, size_t size);


#endif /* _NGX_KMIP_STORE_BACKEND_H_INCLUDED_ */
