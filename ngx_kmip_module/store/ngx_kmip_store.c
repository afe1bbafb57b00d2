
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_store_backend.h"
#include "ngx_kmip_store_journal.h"
#include "ngx_kmip_record.h"


/*
 * The store in front of its backend (ngx_kmip_store.h): each operation
 * begins here, is answered from the key cache or the batch's journal when
 * it can be, else runs in the backend; when the backend is done, at once
 * or on its callback, the store keeps the cache and the journal in step
 * before the caller hears of it.
 */


static void ngx_kmip_store_begin(ngx_kmip_store_op_t *op,
    ngx_kmip_store_kind_e kind, ngx_str_t *uid);
static ngx_int_t ngx_kmip_store_write(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj, ngx_kmip_store_object_pt method);
static ngx_int_t ngx_kmip_store_run(ngx_kmip_store_op_t *op, ngx_int_t rc);
static void ngx_kmip_store_done(ngx_kmip_store_op_t *op);
static void ngx_kmip_store_after(ngx_kmip_store_op_t *op);
static void ngx_kmip_store_fence(ngx_kmip_store_op_t *op);
static void ngx_kmip_store_fence_list(ngx_kmip_store_op_t *op);
static ngx_int_t ngx_kmip_store_cached(ngx_kmip_store_op_t *op);
static void ngx_kmip_store_cache_keep(ngx_kmip_store_op_t *op);
static void ngx_kmip_store_cache_drop(ngx_kmip_store_op_t *op);


static const char  *ngx_kmip_store_result_texts[] = {
    "ok",
    "not found",
    "conflict",
    "gone",
    "root key unusable",
    "key store unavailable",
    "failed"
};


const char *
ngx_kmip_store_result_text(ngx_kmip_store_result_e result)
{
    if ((size_t) result
        < sizeof(ngx_kmip_store_result_texts) / sizeof(char *))
    {
        return ngx_kmip_store_result_texts[result];
    }

    return "unknown";
}


const char *
ngx_kmip_store_name(ngx_kmip_store_t *store)
{
    return store->backend->name;
}


ngx_kmip_store_t *
ngx_kmip_store_open(ngx_pool_t *pool, ngx_log_t *log,
    const ngx_kmip_store_backend_t *backend, void *conf,
    ngx_kmip_cache_t *cache)
{
    ngx_kmip_store_t  *store;

    store = ngx_pcalloc(pool, sizeof(ngx_kmip_store_t));
    if (store == NULL) {
        return NULL;
    }

    store->backend = backend;
    store->conf = conf;
    store->cache = cache;
    store->pool = pool;
    store->log = log;

    return store;
}


ngx_kmip_store_op_t *
ngx_kmip_store_op_create(ngx_kmip_store_t *store, ngx_pool_t *pool)
{
    ngx_kmip_store_op_t  *op;

    op = ngx_pcalloc(pool, sizeof(ngx_kmip_store_op_t));
    if (op == NULL) {
        return NULL;
    }

    op->pool = pool;
    op->log = store->log;
    op->store = store;
    op->result = NGX_KMIP_STORE_FAILED;

    return op;
}


void *
ngx_kmip_store_alloc(void *data, size_t size)
{
    return ngx_palloc((ngx_pool_t *) data, size);
}


ngx_uint_t
ngx_kmip_store_valid_uid(ngx_str_t *uid)
{
    u_char      c;
    ngx_uint_t  i;

    if (uid->len != 36) {
        return 0;
    }

    for (i = 0; i < uid->len; i++) {
        c = uid->data[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return 0;
            }

            continue;
        }

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


ngx_int_t
ngx_kmip_store_error(ngx_kmip_store_op_t *op, ngx_kmip_store_result_e result,
    const char *what)
{
    op->result = result;
    op->error.data = (u_char *) what;
    op->error.len = ngx_strlen(what);

    return NGX_ERROR;
}


void
ngx_kmip_store_finalize(ngx_kmip_store_op_t *op, ngx_int_t rc)
{
    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc == NGX_OK) {
        op->result = NGX_KMIP_STORE_OK;
    }

    op->handler(op);
}


ngx_int_t
ngx_kmip_store_decode(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj,
    ngx_str_t *payload, ngx_str_t *uid, ngx_uint_t generation)
{
    const char            *err;
    ngx_uint_t             served;
    ngx_kmip_attr_t       *fresh;
    ngx_kmip_record_t      rec;
    ngx_kmip_allocator_t   a;

    a.alloc = ngx_kmip_store_alloc;
    a.data = op->pool;

    if (ngx_kmip_record_decode(&a, payload->data, payload->len, &rec, &err)
        != 0)
    {
        op->error.data = (u_char *) err;
        op->error.len = ngx_strlen(err);
        return NGX_ERROR;
    }

    if (uid && (rec.uid_len != uid->len
                || ngx_strncmp(rec.uid, uid->data, uid->len) != 0))
    {
        ngx_str_set(&op->error, "the stored record is another object's");
        return NGX_ERROR;
    }

    /*
     * A record read as the generation after its own is that record with
     * the served mark a backend's serve method left (Fresh False); any
     * other difference is a record that is not what its name says.
     */

    served = 0;

    if (generation && (ngx_uint_t) rec.generation != generation) {
        if ((ngx_uint_t) rec.generation + 1 != generation) {
            ngx_str_set(&op->error, "the stored record and its name "
                                    "disagree on the generation");
            return NGX_ERROR;
        }

        served = 1;
    }

    obj->uid.data = (u_char *) rec.uid;
    obj->uid.len = rec.uid_len;
    obj->generation = generation ? generation : (ngx_uint_t) rec.generation;
    obj->object_type = rec.object_type;
    obj->subtype = rec.subtype;
    obj->wrapped.data = (u_char *) rec.wrapped;
    obj->wrapped.len = rec.wrapped_len;
    obj->material_len = rec.material_len;
    obj->attributes = rec.attrs;
    obj->scope.data = (u_char *) rec.scope;
    obj->scope.len = rec.scope_len;
    obj->fields = (ngx_kmip_item_t *) rec.fields;
    obj->chunks = (ngx_kmip_item_t *) rec.chunks;

    if (served) {
        fresh = ngx_kmip_attrs_find(&obj->attributes, "Fresh",
                                    sizeof("Fresh") - 1, -1);
        if (fresh && fresh->value) {
            fresh->value->v.num = 0;
        }
    }

    return NGX_OK;
}


/* ------------------------------------------------------------ operations */

ngx_uint_t
ngx_kmip_store_in_scope(ngx_kmip_store_t *store, ngx_str_t *scope)
{
    return scope->len == store->scope.len
           && ngx_strncasecmp(scope->data, store->scope.data, scope->len)
              == 0;
}


ngx_int_t
ngx_kmip_store_create(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    ngx_kmip_store_begin(op, NGX_KMIP_STORE_CREATE, &obj->uid);

    /* an object belongs to the scope of the client that made it */
    obj->scope = op->store->scope;

    return ngx_kmip_store_run(op, op->store->backend->create(op, obj));
}


ngx_int_t
ngx_kmip_store_fetch(ngx_kmip_store_op_t *op, ngx_str_t *uid,
    ngx_uint_t with_material)
{
    ngx_kmip_store_t         *store = op->store;
    ngx_kmip_store_change_t  *ch;

    op->kind = NGX_KMIP_STORE_FETCH;
    op->uid = *uid;

    if (store->journal) {
        ch = ngx_kmip_store_journal_find(store->journal, uid, 0);

        if (ch && ch->destroy) {
            /* destroyed earlier in this batch, the deletion deferred */
            return ngx_kmip_store_destroyed_view(op, ch);
        }
    }

    if (store->cache && ngx_kmip_store_cached(op) == NGX_OK) {
        if (store->journal) {
            ngx_kmip_store_journal_note(op);
        }

        return NGX_OK;
    }

    ngx_kmip_store_begin(op, NGX_KMIP_STORE_FETCH, uid);

    return ngx_kmip_store_run(op,
                              store->backend->fetch(op, uid, with_material));
}


ngx_int_t
ngx_kmip_store_update(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    return ngx_kmip_store_write(op, obj, op->store->backend->update);
}


ngx_int_t
ngx_kmip_store_serve(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    /* the journal of a batch with Undo keeps generations, not marks */

    if (op->store->backend->serve == NULL || op->store->journal) {
        return ngx_kmip_store_update(op, obj);
    }

    return ngx_kmip_store_write(op, obj, op->store->backend->serve);
}


static ngx_int_t
ngx_kmip_store_write(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj,
    ngx_kmip_store_object_pt method)
{
    ngx_kmip_store_begin(op, NGX_KMIP_STORE_UPDATE, &obj->uid);

    if (obj->destroyed || obj->generation == 0) {
        return ngx_kmip_store_run(op,
                   ngx_kmip_store_error(op, NGX_KMIP_STORE_GONE,
                                        "the object is destroyed"));
    }

    op->from_generation = obj->generation;

    ngx_kmip_store_cache_drop(op);

    return ngx_kmip_store_run(op, method(op, obj));
}


ngx_int_t
ngx_kmip_store_destroy(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    if (op->store->journal && !obj->destroyed && obj->generation) {
        return ngx_kmip_store_destroy_later(op, obj);
    }

    ngx_kmip_store_begin(op, NGX_KMIP_STORE_DESTROY, &obj->uid);

    if (obj->destroyed || obj->generation == 0) {
        return ngx_kmip_store_run(op,
                   ngx_kmip_store_error(op, NGX_KMIP_STORE_GONE,
                                        "the object is already destroyed"));
    }

    ngx_kmip_store_cache_drop(op);

    return ngx_kmip_store_run(op, op->store->backend->destroy(op, obj));
}


ngx_int_t
ngx_kmip_store_list(ngx_kmip_store_op_t *op)
{
    ngx_kmip_store_begin(op, NGX_KMIP_STORE_LIST, NULL);

    op->objects = ngx_array_create(op->pool, 16, sizeof(ngx_kmip_object_t));
    if (op->objects == NULL) {
        return ngx_kmip_store_run(op,
                   ngx_kmip_store_error(op, NGX_KMIP_STORE_FAILED,
                                        "no memory"));
    }

    return ngx_kmip_store_run(op, op->store->backend->list(op));
}


ngx_int_t
ngx_kmip_store_undo(ngx_kmip_store_op_t *op, ngx_kmip_store_change_t *ch)
{
    if (ch->created) {
        ngx_kmip_store_begin(op, NGX_KMIP_STORE_REMOVE, &ch->uid);
        ngx_kmip_store_cache_drop(op);

        return ngx_kmip_store_run(op,
                                  op->store->backend->remove(op, &ch->uid));
    }

    if (ch->changed) {
        return ngx_kmip_store_journal_restore(op, ch);
    }

    return NGX_DECLINED;
}


/*
 * The start of an operation the backend runs: a clean slate, and the
 * caller's handler behind the store's, which the backend calls back.
 */

static void
ngx_kmip_store_begin(ngx_kmip_store_op_t *op, ngx_kmip_store_kind_e kind,
    ngx_str_t *uid)
{
    op->kind = kind;
    op->result = NGX_KMIP_STORE_FAILED;
    op->object = NULL;

    ngx_str_null(&op->error);
    ngx_str_null(&op->correlation_id);
    ngx_str_null(&op->record);

    if (uid) {
        op->uid = *uid;

    } else {
        ngx_str_null(&op->uid);
    }

    if (op->handler != ngx_kmip_store_done) {
        op->caller = op->handler;
        op->handler = ngx_kmip_store_done;
    }
}


/* the backend's method returned: done at once, or its callback follows */

static ngx_int_t
ngx_kmip_store_run(ngx_kmip_store_op_t *op, ngx_int_t rc)
{
    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc == NGX_OK) {
        op->result = NGX_KMIP_STORE_OK;
    }

    ngx_kmip_store_after(op);

    op->handler = op->caller;

    return op->result == NGX_KMIP_STORE_OK ? NGX_OK : NGX_ERROR;
}


static void
ngx_kmip_store_done(ngx_kmip_store_op_t *op)
{
    ngx_kmip_store_after(op);

    op->handler = op->caller;
    op->handler(op);
}


/* the key cache and the journal follow what the backend did */

static void
ngx_kmip_store_after(ngx_kmip_store_op_t *op)
{
    ngx_kmip_store_t  *store = op->store;

    switch (op->kind) {

    case NGX_KMIP_STORE_FETCH:
        ngx_kmip_store_cache_keep(op);
        ngx_kmip_store_fence(op);
        break;

    case NGX_KMIP_STORE_LIST:
        ngx_kmip_store_fence_list(op);
        break;

    case NGX_KMIP_STORE_UPDATE:
    case NGX_KMIP_STORE_DESTROY:
        ngx_kmip_store_cache_drop(op);
        break;

    default:
        break;
    }

    if (store->journal && op->result == NGX_KMIP_STORE_OK) {
        ngx_kmip_store_journal_note(op);
    }
}


/* ---------------------------------------------------------------- scopes */

/*
 * An object of another scope is not there for this client: its read ends
 * as a read of an object that does not exist would. The backends already
 * leave such objects out where they can tell before reading them (Key
 * Protect: from the key's description, in the listing that a missing
 * object costs too), so that neither the answer nor the time it takes
 * says the object exists; this is the check that holds whatever the
 * backend did.
 */

static void
ngx_kmip_store_fence(ngx_kmip_store_op_t *op)
{
    ngx_kmip_object_t  *obj = op->object;

    if (op->result != NGX_KMIP_STORE_OK || obj == NULL
        || ngx_kmip_store_in_scope(op->store, &obj->scope))
    {
        return;
    }

    op->object = NULL;
    (void) ngx_kmip_store_fenced(op);
}


ngx_int_t
ngx_kmip_store_fenced(ngx_kmip_store_op_t *op)
{
    op->store->fenced++;

    ngx_log_error(NGX_LOG_INFO, op->log, 0,
                  "kmip store: \"%V\" belongs to another scope than the "
                  "client's, answered as not found", &op->uid);

    return ngx_kmip_store_error(op, NGX_KMIP_STORE_NOT_FOUND,
                                "no object with this Unique Identifier");
}


static void
ngx_kmip_store_fence_list(ngx_kmip_store_op_t *op)
{
    ngx_uint_t          i, n;
    ngx_kmip_object_t  *obj;

    if (op->result != NGX_KMIP_STORE_OK || op->objects == NULL) {
        return;
    }

    obj = op->objects->elts;
    n = 0;

    for (i = 0; i < op->objects->nelts; i++) {
        if (ngx_kmip_store_in_scope(op->store, &obj[i].scope)) {
            obj[n++] = obj[i];
        }
    }

    op->objects->nelts = n;
}


/* ------------------------------------------------------------- key cache */

/* a read served from the shared cache: the backend is not asked */

static ngx_int_t
ngx_kmip_store_cached(ngx_kmip_store_op_t *op)
{
    ngx_kmip_object_t       *obj;
    ngx_kmip_cache_entry_t   e;

    if (ngx_kmip_cache_get(op->store->cache, op->pool, &op->uid, &e)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    obj = ngx_pcalloc(op->pool, sizeof(ngx_kmip_object_t));
    if (obj == NULL) {
        return NGX_DECLINED;
    }

    if (ngx_kmip_store_decode(op, obj, &e.record, &op->uid, e.generation)
        != NGX_OK
        || e.material.len != obj->material_len)
    {
        ngx_str_null(&op->error);
        ngx_kmip_cache_drop(op->store->cache, &op->uid);
        return NGX_DECLINED;
    }

    if (!ngx_kmip_store_in_scope(op->store, &obj->scope)) {
        /*
         * another scope's: a miss, so that the backend answers as it
         * does for an object that is not there, in as long
         */
        return NGX_DECLINED;
    }

    obj->kp_id = e.kp_id;
    obj->generation = e.generation;
    obj->material = e.material;

    op->object = obj;
    op->result = NGX_KMIP_STORE_OK;

    ngx_log_debug1(NGX_LOG_DEBUG_STREAM, op->log, 0,
                   "kmip store: \"%V\" from the key cache", &op->uid);

    return NGX_OK;
}


/*
 * A read keeps what it found, material included, when the backend gave
 * the record to keep; anything else keeps the cache honest, as a failed
 * read or a write does (ngx_kmip_store_cache_drop()).
 */

static void
ngx_kmip_store_cache_keep(ngx_kmip_store_op_t *op)
{
    ngx_kmip_object_t  *obj = op->object;

    if (op->store->cache == NULL) {
        return;
    }

    if (op->result == NGX_KMIP_STORE_OK
        && obj && !obj->destroyed && op->record.len
        && obj->material.len == obj->material_len)
    {
        ngx_kmip_cache_put(op->store->cache, op->log, &obj->uid, &op->record,
                           &obj->kp_id, obj->generation, &obj->material);
        return;
    }

    ngx_kmip_store_cache_drop(op);
}


/*
 * A mutation through this node replaces nothing in place but drops the
 * entry, so that the next read goes to the backend; an answer saying that
 * the object is gone drops it; an answer saying that the root key is
 * unusable drops every entry, so the cached material of other objects
 * stops being served at once too.
 */

static void
ngx_kmip_store_cache_drop(ngx_kmip_store_op_t *op)
{
    ngx_kmip_cache_t  *cache = op->store->cache;

    if (cache == NULL) {
        return;
    }

    if (op->result == NGX_KMIP_STORE_ROOT_KEY) {
        ngx_kmip_cache_drop_all(cache, op->log);
        return;
    }

    if (op->uid.len) {
        ngx_kmip_cache_drop(cache, &op->uid);
    }
}


/* ----------------------------------------------------------------- trace */

ngx_int_t
ngx_kmip_store_trace(ngx_kmip_store_op_t *op, ngx_str_t *id)
{
    ngx_str_t  **slot;

    if (op->store == NULL || op->store->trace == NULL) {
        return NGX_OK;
    }

    slot = ngx_array_push(op->store->trace);
    if (slot == NULL) {
        return NGX_ERROR;
    }

    *slot = id;

    return NGX_OK;
}


ngx_uint_t
ngx_kmip_store_trace_mark(ngx_kmip_store_t *store)
{
    return (store && store->trace) ? store->trace->nelts : 0;
}


ngx_int_t
ngx_kmip_store_trace_keep(ngx_kmip_store_t *store, ngx_uint_t first)
{
    ngx_str_t   *id, **ids;
    ngx_uint_t   i;

    if (store == NULL || store->trace == NULL) {
        return NGX_OK;
    }

    ids = store->trace->elts;

    for (i = first; i < store->trace->nelts; i++) {
        id = ngx_palloc(store->pool, sizeof(ngx_str_t));
        if (id == NULL) {
            return NGX_ERROR;
        }

        id->len = ids[i]->len;
        id->data = ngx_pstrdup(store->pool, ids[i]);

        if (id->data == NULL && id->len) {
            return NGX_ERROR;
        }

        ids[i] = id;
    }

    return NGX_OK;
}
