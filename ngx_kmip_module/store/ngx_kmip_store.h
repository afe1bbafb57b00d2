
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_STORE_H_INCLUDED_
#define _NGX_KMIP_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_kp.h"
#include "ngx_kmip_attr.h"


/*
 * The key store: KMIP managed objects kept in Key Protect. The operations
 * layer sees objects (a Unique Identifier, an object type, attributes and
 * key material); how they are laid out in Key Protect (one standard key per
 * object and generation, material wrapped by the root key) is this layer's
 * business, described in docs/key-protect.md.
 *
 * Calls follow the Key Protect client's contract: NGX_AGAIN and the handler
 * later (never from inside the call), or NGX_ERROR at once with op->error.
 */


typedef struct {
    ngx_str_t                   uid;
    uint32_t                    object_type;
    uint32_t                    subtype;        /* Secret Data Type or
                                                   Opaque Data Type */
    ngx_kmip_attrs_t            attributes;     /* 1.x names, values
                                                   tagged Attribute Value */
    ngx_str_t                   material;       /* plaintext; wiped with
                                                   the pool; empty when
                                                   not fetched or none */
    ngx_flag_t                  destroyed;      /* its Key Protect key was
                                                   deleted */

    /* the store's own bookkeeping, kept between fetch and update */
    ngx_uint_t                  generation;
    ngx_str_t                   kp_id;
    ngx_str_t                   wrapped;
    uint32_t                    material_len;
    time_t                      deletion_date;  /* destroyed: when */
    ngx_array_t                *stale;          /* ngx_str_t: Key Protect
                                                   ids of older live
                                                   generations, deleted by
                                                   the next update */
} ngx_kmip_object_t;


/* objects a list (Locate) looks at, at most */
#define NGX_KMIP_STORE_LIST_MAX     1000


typedef enum {
    NGX_KMIP_STORE_OK = 0,
    NGX_KMIP_STORE_NOT_FOUND,       /* no such object, or purged */
    NGX_KMIP_STORE_CONFLICT,        /* update raced with another writer
                                       and lost: re-fetch and retry */
    NGX_KMIP_STORE_GONE,            /* the object's key was deleted while
                                       the update ran: it stays destroyed */
    NGX_KMIP_STORE_ROOT_KEY,        /* the CRK is deleted or suspended */
    NGX_KMIP_STORE_UNAVAILABLE,     /* Key Protect or IAM unreachable */
    NGX_KMIP_STORE_FAILED
} ngx_kmip_store_result_e;


typedef struct ngx_kmip_store_op_s  ngx_kmip_store_op_t;
typedef struct ngx_kmip_store_journal_s  ngx_kmip_store_journal_t;

typedef void (*ngx_kmip_store_handler_pt)(ngx_kmip_store_op_t *op);


struct ngx_kmip_store_op_s {
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_kmip_store_handler_pt   handler;
    void                       *data;

    ngx_kmip_store_result_e     result;
    ngx_str_t                   error;
    ngx_str_t                   correlation_id;

    ngx_kmip_object_t          *object;         /* fetch */
    ngx_array_t                *objects;        /* list: ngx_kmip_object_t,
                                                   no material */

    void                       *cache;          /* ngx_kmip_cache_t, or
                                                   NULL: kmip_key_cache */
    ngx_array_t                *calls;          /* every Key Protect call
                                                   made (for the audit
                                                   log), or NULL */
    ngx_kmip_store_journal_t   *journal;        /* a batch with Undo: what
                                                   it changed, or NULL */
    void                       *priv;
};


ngx_kmip_store_op_t *ngx_kmip_store_op_create(ngx_pool_t *pool,
    ngx_log_t *log);

/* a new object: obj->uid, object_type, attributes and material are set */
ngx_int_t ngx_kmip_store_create(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);

/* the current generation of an object, with its material when asked */
ngx_int_t ngx_kmip_store_fetch(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_str_t *uid, ngx_uint_t with_material);

/* the next generation of an object fetched before, attributes changed */
ngx_int_t ngx_kmip_store_update(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);

/*
 * KMIP Destroy: the object's Key Protect key is deleted. With a journal the
 * deletion is only noted (see below) and the handler is called at once,
 * from inside the call, which then returns NGX_AGAIN.
 */
ngx_int_t ngx_kmip_store_destroy(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);

/* every object that is not destroyed, attributes only (for Locate) */
ngx_int_t ngx_kmip_store_list(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op);

const char *ngx_kmip_store_result_text(ngx_kmip_store_result_e result);


/*
 * A batch run with the Batch Error Continuation Option Undo gives its store
 * operations a journal, where each one that succeeds notes what it did to
 * an object, so that the batch can be reversed if a later item fails:
 *
 *   create   the batch made the object: undone by removing it (every Key
 *            Protect key of that name deleted)
 *   fetch    the object as it was before the batch's first write of it
 *            (attributes, no key material)
 *   update   the batch changed the object: undone by writing the earlier
 *            attributes back as the next generation, a compare-and-swap on
 *            the batch's own last generation, so that a writer on another
 *            node that came after the batch is detected, not overwritten
 *   destroy  deferred: deleting a Key Protect key cannot be reversed, so a
 *            Destroy is only noted; later reads in the batch (fetch, list)
 *            see the object destroyed, and the batch runner deletes the
 *            key through ngx_kmip_store_destroy() without a journal once
 *            every item has succeeded
 *
 * Objects are kept in the order the batch first met them.
 */

typedef struct {
    ngx_str_t                   uid;
    ngx_array_t                *items;          /* ngx_uint_t: the batch
                                                   items whose store calls
                                                   changed it */
    ngx_kmip_object_t          *before;         /* as read before the
                                                   batch's first write */
    ngx_kmip_object_t          *last;           /* as the batch last wrote
                                                   it */
    ngx_kmip_object_t          *doomed;         /* a deferred Destroy's */
    ngx_uint_t                  destroy_item;
    time_t                      destroy_time;

    unsigned                    created:1;      /* made by the batch */
    unsigned                    changed:1;      /* written by the batch */
    unsigned                    unknown:1;      /* written, but its state
                                                   before is not known */
    unsigned                    destroy:1;      /* a Destroy waits */
} ngx_kmip_store_change_t;


struct ngx_kmip_store_journal_s {
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_array_t                *objects;        /* ngx_kmip_store_change_t */
    ngx_array_t                *destroys;       /* ngx_uint_t: indexes in
                                                   objects, in the order
                                                   the Destroys came */
    ngx_uint_t                  item;           /* the batch item running,
                                                   set by the runner */
    ngx_uint_t                  incomplete;     /* a change could not be
                                                   noted (no memory): the
                                                   batch cannot be undone */
};


ngx_kmip_store_journal_t *ngx_kmip_store_journal_create(ngx_pool_t *pool,
    ngx_log_t *log);

/*
 * Reverses what the batch did to one object (op without a journal):
 * NGX_AGAIN and the handler later, NGX_ERROR at once (op->error says why),
 * or NGX_DECLINED when there is nothing to reverse. A restore that loses
 * the compare-and-swap ends with NGX_KMIP_STORE_CONFLICT.
 */
ngx_int_t ngx_kmip_store_undo(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch);


#endif /* _NGX_KMIP_STORE_H_INCLUDED_ */
