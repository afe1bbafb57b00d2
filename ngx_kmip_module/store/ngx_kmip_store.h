
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_STORE_H_INCLUDED_
#define _NGX_KMIP_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_attr.h"
#include "ngx_kmip_cache.h"


/*
 * The key store: where KMIP managed objects live. The operations layer
 * sees objects (a Unique Identifier, an object type, attributes and key
 * material) through one request's ngx_kmip_store_t; what keeps them is a
 * backend behind it (ngx_kmip_store_backend.h): Key Protect in the module
 * (ngx_kmip_store_kp.c, laid out as docs/key-protect.md says), memory in
 * the unit tests of the operations (ngx_kmip_store_memory.c). The store
 * itself (ngx_kmip_store.c) owns what every backend shares: the node's key
 * cache (kmip_key_cache) and a batch's Undo journal.
 *
 * Every operation ends one of three ways:
 *
 *   NGX_OK      done at once (op->result is NGX_KMIP_STORE_OK): a read from
 *               the key cache or the journal, a Destroy deferred by the
 *               journal, anything the memory backend does;
 *   NGX_ERROR   failed at once, op->result and op->error say why;
 *   NGX_AGAIN   op->handler is called later, never from inside the call,
 *               with op->result and op->object set.
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
    ngx_str_t                   scope;          /* the clients' scope that
                                                   owns it; empty: the
                                                   default scope */
    ngx_kmip_item_t            *fields;         /* the object's own fields
                                                   besides its material,
                                                   kept as given (a Split
                                                   Key's, a wrapped Key
                                                   Block's Key Wrapping
                                                   Data), or NULL */

    /* the store's own bookkeeping, kept between fetch and update */
    ngx_uint_t                  generation;
    ngx_str_t                   kp_id;
    ngx_str_t                   wrapped;
    uint32_t                    material_len;
    ngx_kmip_item_t            *chunks;         /* Record Chunks: the
                                                   material is elsewhere,
                                                   wrapped is its data key;
                                                   NULL: in the record */
    time_t                      deletion_date;  /* destroyed: when */
    ngx_array_t                *stale;          /* ngx_str_t: Key Protect
                                                   ids of older live
                                                   generations, deleted by
                                                   the next update */
} ngx_kmip_object_t;


/*
 * the largest key material an object holds (docs/key-protect.md#limits):
 * within a 64 KiB Register once kmip_max_message_size allows its request
 */
#define NGX_KMIP_STORE_MATERIAL_MAX  65536


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


typedef struct ngx_kmip_store_s  ngx_kmip_store_t;
typedef struct ngx_kmip_store_op_s  ngx_kmip_store_op_t;
typedef struct ngx_kmip_store_journal_s  ngx_kmip_store_journal_t;
typedef struct ngx_kmip_store_backend_s  ngx_kmip_store_backend_t;

typedef void (*ngx_kmip_store_handler_pt)(ngx_kmip_store_op_t *op);


/*
 * One request's store: the backend and its configuration, the node's key
 * cache, and while a batch with Undo runs, its journal. The stream glue
 * opens it for each request; the operations only call through it.
 */

struct ngx_kmip_store_s {
    const ngx_kmip_store_backend_t  *backend;
    void                       *conf;           /* the backend's: for Key
                                                   Protect, ngx_kmip_kp_t */
    ngx_kmip_cache_t           *cache;          /* kmip_key_cache, or
                                                   NULL */
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_kmip_store_journal_t   *journal;        /* a batch with Undo: what
                                                   it changed, or NULL */
    ngx_array_t                *trace;          /* ngx_str_t *: the
                                                   backend's correlation
                                                   id of each call (the
                                                   audit log), or NULL */
    ngx_str_t                   scope;          /* the client's scope:
                                                   objects of any other
                                                   are not there for it;
                                                   empty: the default */
    ngx_uint_t                  fenced;         /* reads of another
                                                   scope's object so far
                                                   (the audit log) */
};


struct ngx_kmip_store_op_s {
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_kmip_store_handler_pt   handler;
    void                       *data;
    ngx_uint_t                  for_update;     /* fetch: the read of a
                                                   write, whose create of
                                                   the next generation is
                                                   the compare-and-swap:
                                                   the backend need not
                                                   prove that no newer
                                                   generation exists */

    ngx_kmip_store_result_e     result;
    ngx_str_t                   error;
    ngx_str_t                   correlation_id;

    ngx_kmip_object_t          *object;         /* fetch */
    ngx_array_t                *objects;        /* list: ngx_kmip_object_t,
                                                   no material */

    /* the store's own, between the call and its end */
    ngx_kmip_store_t           *store;
    ngx_uint_t                  kind;
    ngx_str_t                   uid;            /* the object's, for the
                                                   key cache */
    ngx_uint_t                  from_generation;    /* update */
    ngx_kmip_store_handler_pt   caller;         /* the handler given */
    ngx_str_t                   record;         /* fetch: the object as
                                                   stored, for the key
                                                   cache; empty: do not
                                                   cache it */
};


ngx_kmip_store_t *ngx_kmip_store_open(ngx_pool_t *pool, ngx_log_t *log,
    const ngx_kmip_store_backend_t *backend, void *conf,
    ngx_kmip_cache_t *cache);

/* an operation of the store, in pool (the request's, or a shorter one) */
ngx_kmip_store_op_t *ngx_kmip_store_op_create(ngx_kmip_store_t *store,
    ngx_pool_t *pool);

/* a new object: obj->uid, object_type, attributes and material are set */
ngx_int_t ngx_kmip_store_create(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);

/* the current generation of an object, with its material when asked */
ngx_int_t ngx_kmip_store_fetch(ngx_kmip_store_op_t *op, ngx_str_t *uid,
    ngx_uint_t with_material);

/* the next generation of an object fetched before, attributes changed */
ngx_int_t ngx_kmip_store_update(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);

/*
 * The first Get's change: obj, fetched before with Fresh True, is now
 * served, and Fresh False is its only change. A backend may keep that as
 * a mark on the stored generation instead of writing the next one (see
 * ngx_kmip_store_backend.h); otherwise it is ngx_kmip_store_update().
 * Either way obj->generation is one more on success, and CONFLICT means
 * the object changed since it was read.
 */
ngx_int_t ngx_kmip_store_serve(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);

/*
 * KMIP Destroy: the object's key material is deleted for good. While a
 * journal is open the deletion is only noted (see below) and the call
 * returns NGX_OK.
 */
ngx_int_t ngx_kmip_store_destroy(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);

/* every object that is not destroyed, attributes only (for Locate) */
ngx_int_t ngx_kmip_store_list(ngx_kmip_store_op_t *op);

/*
 * The correlation ids the backend's calls from the first-th on left in
 * the trace, copied into the store's pool: for an operation that ran in a
 * shorter pool (Locate).
 */
ngx_int_t ngx_kmip_store_trace_keep(ngx_kmip_store_t *store,
    ngx_uint_t first);
/* how many calls the trace holds so far */
ngx_uint_t ngx_kmip_store_trace_mark(ngx_kmip_store_t *store);

/* 1 if an object of that scope (empty: the default) is the client's */
ngx_uint_t ngx_kmip_store_in_scope(ngx_kmip_store_t *store,
    ngx_str_t *scope);

const char *ngx_kmip_store_result_text(ngx_kmip_store_result_e result);
/* what keeps the objects, for the logs ("Key Protect") */
const char *ngx_kmip_store_name(ngx_kmip_store_t *store);


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


/*
 * The journal opens before a batch's first item (store NULL: a request
 * without a key store, whose journal stays empty): from then on the
 * store's operations note their changes in it. It closes once every item
 * has run, before the batch is committed (the deferred Destroys carried
 * out) or rolled back, which the store does not journal; it stays
 * readable.
 */
ngx_kmip_store_journal_t *ngx_kmip_store_journal_open(
    ngx_kmip_store_t *store, ngx_pool_t *pool, ngx_log_t *log);
void ngx_kmip_store_journal_close(ngx_kmip_store_t *store);

/*
 * Reverses what the batch did to one object (the journal closed):
 * NGX_AGAIN and the handler later, NGX_OK or NGX_ERROR at once (op->error
 * says why), or NGX_DECLINED when there is nothing to reverse. A restore
 * that loses the compare-and-swap ends with NGX_KMIP_STORE_CONFLICT.
 */
ngx_int_t ngx_kmip_store_undo(ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch);


/*
 * 1 for a Unique Identifier the store keeps objects under: a lower-case
 * RFC 4122 UUID, as the server makes them (Import takes others' too)
 */
ngx_uint_t ngx_kmip_store_valid_uid(ngx_str_t *uid);


#endif /* _NGX_KMIP_STORE_H_INCLUDED_ */
