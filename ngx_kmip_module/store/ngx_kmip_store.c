
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_store.h"
#include "ngx_kmip_record.h"
#include "ngx_kmip_cache.h"


/*
 * KMIP objects in Key Protect (docs/key-protect.md):
 *
 *   one Key Protect standard key per object and generation, named
 *   "kmip-<uuid>", alias "kmip-<uuid>-g<N>", payload a TTLV record
 *   (ngx_kmip_record.h) holding the attributes and the key material
 *   wrapped by the CRK with AAD ["kmip-<uuid>"].
 *
 *   create   wrap, create g1                               2 calls
 *   fetch    list by exact name, get the highest g         2 calls
 *            (+ unwrap when the material is wanted)        3 calls
 *   update   create g(N+1) (the alias is the compare-and-swap),
 *            delete gN                                     2 calls
 *   destroy  delete gN                                     1 call
 *   list     list pages by name prefix, get each object    1 + n calls
 *   remove   list by exact name, delete every live key     1 + n calls
 *            (the undo of a create in a batch with Undo)
 */


#define NGX_KMIP_STORE_NAME_PREFIX   "kmip-"
#define NGX_KMIP_STORE_UID_LEN       36
#define NGX_KMIP_STORE_NAME_LEN      (sizeof("kmip-") - 1 + 36)
#define NGX_KMIP_STORE_STATES_ALL    "0,1,2,3,5"
#define NGX_KMIP_STORE_RELISTS       5
#define NGX_KMIP_STORE_PAGE          200
#define NGX_KMIP_STORE_LIST_KEYS_MAX 10000
#define NGX_KMIP_STORE_WINDOW        8
#define NGX_KMIP_STORE_SWEEPS_MAX    64
#define NGX_KMIP_STORE_SWEEP_ROUNDS  3


typedef enum {
    NGX_KMIP_STORE_CREATE = 1,
    NGX_KMIP_STORE_FETCH,
    NGX_KMIP_STORE_UPDATE,
    NGX_KMIP_STORE_DESTROY,
    NGX_KMIP_STORE_LIST,
    NGX_KMIP_STORE_REMOVE
} ngx_kmip_store_kind_e;


/* the Key Protect calls an operation is made of */

typedef enum {
    NGX_KMIP_STORE_KP_WRAP = 0,
    NGX_KMIP_STORE_KP_UNWRAP,
    NGX_KMIP_STORE_KP_CREATE,
    NGX_KMIP_STORE_KP_GET,
    NGX_KMIP_STORE_KP_LIST,
    NGX_KMIP_STORE_KP_DELETE
} ngx_kmip_store_step_e;


typedef struct {
    ngx_str_t                   name;
    ngx_kmip_kp_key_t          *key;        /* highest generation */
    ngx_uint_t                  generation;
    ngx_uint_t                  live;
} ngx_kmip_store_cand_t;


typedef struct {
    ngx_kmip_store_op_t        *op;
    ngx_kmip_kp_t              *kp;
    ngx_kmip_store_kind_e       kind;
    ngx_uint_t                  phase;

    ngx_kmip_object_t          *obj;
    ngx_str_t                   name;
    ngx_str_t                   alias;
    ngx_array_t                *aad;
    ngx_str_t                   record;
    ngx_str_t                   new_id;
    ngx_str_t                   old_id;
    ngx_str_t                   search;
    ngx_str_t                   payload;    /* fetch: the record read */
    ngx_uint_t                  rewrapped;  /* fetch: unwrap answered
                                               with a newer ciphertext */
    ngx_kmip_store_handler_pt   handler;    /* the caller's, when the
                                               cache or a journal is on */
    ngx_uint_t                  with_material;
    ngx_uint_t                  relisted;   /* fetch: lists repeated */
    ngx_uint_t                  cached;     /* fetch: from the key cache */
    ngx_uint_t                  from_generation;    /* update: the one
                                                       replaced */

    /* Key Protect keys to delete before answering (ngx_str_t ids) */
    ngx_array_t                *del_ids;
    ngx_uint_t                  next;
    const char                 *why;        /* remove: said in the log */
    ngx_uint_t                  why_level;

    /* list */
    ngx_uint_t                  offset;
    ngx_array_t                *cands;      /* ngx_kmip_store_cand_t */
    ngx_uint_t                  pending;
    ngx_uint_t                  failed;
} ngx_kmip_store_ctx_t;


typedef struct {
    ngx_kmip_store_ctx_t       *ctx;
    ngx_uint_t                  index;
} ngx_kmip_store_ref_t;


/*
 * A later look for the key of a Create whose outcome was unknown.  The
 * first fields mimic ngx_connection_t (data, read, write, fd), so that the
 * debug logging of timers can read an fd through ev->data.
 */

typedef struct {
    void                       *data;
    void                       *read;
    void                       *write;
    ngx_socket_t                fd;

    ngx_event_t                 event;
    ngx_kmip_kp_t              *kp;
    u_char                      uid[NGX_KMIP_STORE_UID_LEN];
    ngx_msec_t                  delay;
    ngx_uint_t                  round;
    ngx_pool_t                 *pool;
} ngx_kmip_store_sweep_t;


static void *ngx_kmip_store_alloc(void *data, size_t size);
static ngx_int_t ngx_kmip_store_ctx(ngx_kmip_kp_t *kp,
    ngx_kmip_store_op_t *op, ngx_kmip_store_kind_e kind,
    ngx_kmip_store_ctx_t **ctxp);
static ngx_kmip_kp_call_t *ngx_kmip_store_call(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_handler_pt handler);
static ngx_int_t ngx_kmip_store_search(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_names(ngx_kmip_store_ctx_t *ctx,
    ngx_str_t *uid, ngx_uint_t generation);
static ngx_int_t ngx_kmip_store_start(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_store_step_e step, ngx_str_t *arg,
    ngx_kmip_kp_handler_pt handler, void *data);
static ngx_int_t ngx_kmip_store_fail(ngx_kmip_store_op_t *op,
    ngx_kmip_store_result_e result, ngx_kmip_kp_call_t *call,
    const char *what);
static ngx_int_t ngx_kmip_store_kp_fail(ngx_kmip_store_op_t *op,
    ngx_kmip_kp_call_t *call, ngx_kmip_store_step_e step);
static ngx_uint_t ngx_kmip_store_call_failed(ngx_kmip_store_op_t *op,
    ngx_kmip_kp_call_t *call, ngx_kmip_store_step_e step);
static ngx_kmip_store_result_e ngx_kmip_store_map(ngx_kmip_kp_result_e rc);
static void ngx_kmip_store_finalize(ngx_kmip_store_op_t *op, ngx_int_t rc);
static ngx_int_t ngx_kmip_store_encode(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_object_t *obj, ngx_uint_t generation);
static ngx_int_t ngx_kmip_store_create_key(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_handler_pt handler);
static ngx_uint_t ngx_kmip_store_generation(ngx_str_t *name,
    ngx_kmip_kp_key_t *key);
static ngx_int_t ngx_kmip_store_decode(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj, ngx_str_t *payload, ngx_str_t *uid,
    ngx_uint_t generation);

static void ngx_kmip_store_create_wrapped(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_create_created(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_create_orphan(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_create_checked(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_orphan_unchecked(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_delete_named(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_uint_t level, const char *why);
static void ngx_kmip_store_delete_failed(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call);
static ngx_uint_t ngx_kmip_store_named(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_key_t *key);
static ngx_uint_t ngx_kmip_store_live(ngx_kmip_kp_key_t *key);
static void ngx_kmip_store_fetch_listed(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_fetch_pick(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_fetch_stale(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_kmip_kp_key_t *best);
static ngx_int_t ngx_kmip_store_fetch_get(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_fetch_relist(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_fetch_got(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_fetch_destroyed(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_key_t *key);
static ngx_int_t ngx_kmip_store_fetch_unwrap(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_fetch_unwrapped(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_fetch_material(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_check_digest(ngx_kmip_object_t *obj,
    ngx_str_t *material);
static void ngx_kmip_store_update_created(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_update_deleted(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_update_lost(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_update_undone(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_delete_stale(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_delete_rest(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_delete_rest_done(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_destroy_deleted(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_list_page(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_list_listed(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_list_add(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_key_t *key);
static void ngx_kmip_store_list_get_more(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_list_get(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_list_got(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_list_keep(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_kmip_store_ref_t *ref);
static void ngx_kmip_store_finish(ngx_kmip_store_op_t *op);
static void ngx_kmip_store_cache_done(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_cached(ngx_kmip_store_ctx_t *ctx);
static ngx_kmip_store_change_t *ngx_kmip_store_journal_find(
    ngx_kmip_store_journal_t *j, ngx_str_t *uid, ngx_uint_t add);
static void ngx_kmip_store_journal_note(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_journal_hide(ngx_kmip_store_op_t *op);
static ngx_int_t ngx_kmip_store_journal_write(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_store_change_t *ch);
static ngx_int_t ngx_kmip_store_destroy_later(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_store_destroyed_view(ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch);
static ngx_int_t ngx_kmip_store_remove(ngx_kmip_kp_t *kp,
    ngx_kmip_store_op_t *op, ngx_str_t *uid, ngx_uint_t level,
    const char *why);
static void ngx_kmip_store_sweep_later(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_sweep_handler(ngx_event_t *ev);
static void ngx_kmip_store_swept(ngx_kmip_store_op_t *op);
static void ngx_kmip_store_sweep_next(ngx_kmip_store_sweep_t *sw);
static void ngx_kmip_store_remove_listed(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_restore(ngx_kmip_kp_t *kp,
    ngx_kmip_store_op_t *op, ngx_kmip_store_change_t *ch);


static ngx_str_t  ngx_kmip_store_states_all =
    ngx_string(NGX_KMIP_STORE_STATES_ALL);

/* a look for what to delete: destroyed keys need nothing */
static ngx_str_t  ngx_kmip_store_states_live = ngx_string("0,1,2,3");


/* sweeps pending in this worker */
static ngx_uint_t  ngx_kmip_store_sweeps;


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


ngx_kmip_store_op_t *
ngx_kmip_store_op_create(ngx_pool_t *pool, ngx_log_t *log)
{
    ngx_kmip_store_op_t  *op;

    op = ngx_pcalloc(pool, sizeof(ngx_kmip_store_op_t));
    if (op == NULL) {
        return NULL;
    }

    op->pool = pool;
    op->log = log;
    op->result = NGX_KMIP_STORE_FAILED;

    return op;
}


static void *
ngx_kmip_store_alloc(void *data, size_t size)
{
    return ngx_palloc((ngx_pool_t *) data, size);
}


static ngx_int_t
ngx_kmip_store_ctx(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_kmip_store_kind_e kind, ngx_kmip_store_ctx_t **ctxp)
{
    ngx_kmip_store_ctx_t  *ctx;

    ngx_str_null(&op->error);
    ngx_str_null(&op->correlation_id);

    if (kp == NULL) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no key store is configured");
    }

    ctx = ngx_pcalloc(op->pool, sizeof(ngx_kmip_store_ctx_t));
    if (ctx == NULL) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    ctx->op = op;
    ctx->kp = kp;
    ctx->kind = kind;

    if ((op->cache && kind != NGX_KMIP_STORE_LIST
         && kind != NGX_KMIP_STORE_CREATE && kind != NGX_KMIP_STORE_REMOVE)
        || op->journal)
    {
        ctx->handler = op->handler;
        op->handler = ngx_kmip_store_finish;
        op->priv = ctx;
    }

    *ctxp = ctx;

    return NGX_OK;
}


static ngx_kmip_kp_call_t *
ngx_kmip_store_call(ngx_kmip_store_ctx_t *ctx, ngx_kmip_kp_handler_pt handler)
{
    ngx_kmip_kp_call_t  *call, **slot;

    call = ngx_kmip_kp_call_create(ctx->op->pool, ctx->op->log);
    if (call == NULL) {
        return NULL;
    }

    call->handler = handler;
    call->data = ctx;

    if (ctx->op->calls) {
        slot = ngx_array_push(ctx->op->calls);
        if (slot) {
            *slot = call;
        }
    }

    return call;
}


static ngx_int_t
ngx_kmip_store_valid_uid(ngx_str_t *uid)
{
    ngx_uint_t  i;
    u_char      c;

    if (uid->len != NGX_KMIP_STORE_UID_LEN) {
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


static ngx_int_t
ngx_kmip_store_names(ngx_kmip_store_ctx_t *ctx, ngx_str_t *uid,
    ngx_uint_t generation)
{
    ngx_str_t  *s;
    u_char     *p;

    ctx->name.data = ngx_pnalloc(ctx->op->pool, NGX_KMIP_STORE_NAME_LEN);
    if (ctx->name.data == NULL) {
        return NGX_ERROR;
    }

    ctx->name.len = ngx_sprintf(ctx->name.data, "kmip-%V", uid)
                    - ctx->name.data;

    if (generation) {
        p = ngx_pnalloc(ctx->op->pool, ctx->name.len + 2 + NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ctx->alias.data = p;
        ctx->alias.len = ngx_sprintf(p, "%V-g%ui", &ctx->name, generation)
                         - p;
    }

    ctx->aad = ngx_array_create(ctx->op->pool, 1, sizeof(ngx_str_t));
    if (ctx->aad == NULL) {
        return NGX_ERROR;
    }

    s = ngx_array_push(ctx->aad);
    if (s == NULL) {
        return NGX_ERROR;
    }

    *s = ctx->name;

    return NGX_OK;
}


static ngx_kmip_store_result_e
ngx_kmip_store_map(ngx_kmip_kp_result_e rc)
{
    switch (rc) {
    case NGX_KMIP_KP_OK:
        return NGX_KMIP_STORE_OK;
    case NGX_KMIP_KP_NOT_FOUND:
        return NGX_KMIP_STORE_NOT_FOUND;
    case NGX_KMIP_KP_GONE:
        return NGX_KMIP_STORE_GONE;
    case NGX_KMIP_KP_CONFLICT:
        return NGX_KMIP_STORE_CONFLICT;
    case NGX_KMIP_KP_ROOT_KEY_UNUSABLE:
        return NGX_KMIP_STORE_ROOT_KEY;
    case NGX_KMIP_KP_UNAVAILABLE:
        return NGX_KMIP_STORE_UNAVAILABLE;
    default:
        return NGX_KMIP_STORE_FAILED;
    }
}


/*
 * Records the failure in op (result, error text naming the step and the
 * Key Protect answer, correlation id).  Returns NGX_ERROR: an entry point
 * returns it, a call's handler gives it to ngx_kmip_store_finalize().
 */

static ngx_int_t
ngx_kmip_store_fail(ngx_kmip_store_op_t *op, ngx_kmip_store_result_e result,
    ngx_kmip_kp_call_t *call, const char *what)
{
    u_char  *p, *last;

    op->result = result;

    if (call == NULL) {
        /* the store's own words, literals: nothing to allocate */
        op->error.data = (u_char *) what;
        op->error.len = ngx_strlen(what);
        return NGX_ERROR;
    }

    p = ngx_pnalloc(op->pool, NGX_MAX_ERROR_STR);
    if (p == NULL) {
        ngx_str_set(&op->error, "no memory");
        return NGX_ERROR;
    }

    last = p + NGX_MAX_ERROR_STR;

    if (call->error.len) {
        last = ngx_slprintf(p, last, "%s: %V", what, &call->error);

    } else {
        last = ngx_slprintf(p, last, "%s: %s", what,
                            ngx_kmip_kp_result_text(call->result));
    }

    op->error.data = p;
    op->error.len = last - p;

    if (call->correlation_id.len) {
        op->correlation_id = call->correlation_id;
    }

    return NGX_ERROR;
}


static const char  *ngx_kmip_store_step_failed[] = {
    "Key Protect wrap failed",
    "Key Protect unwrap failed",
    "Key Protect key create failed",
    "Key Protect key get failed",
    "Key Protect key list failed",
    "Key Protect key delete failed"
};


/*
 * A Key Protect call of the operation did not start, or did not answer
 * what the step needs: the one place where Key Protect's answer becomes
 * the store's result.  Returns NGX_ERROR, as ngx_kmip_store_fail() does.
 */

static ngx_int_t
ngx_kmip_store_kp_fail(ngx_kmip_store_op_t *op, ngx_kmip_kp_call_t *call,
    ngx_kmip_store_step_e step)
{
    ngx_kmip_store_result_e  result;

    result = ngx_kmip_store_map(call->result);

    switch (result) {

    case NGX_KMIP_STORE_OK:
        /* answered, but without what the step needs */
        result = NGX_KMIP_STORE_FAILED;
        break;

    case NGX_KMIP_STORE_NOT_FOUND:
    case NGX_KMIP_STORE_GONE:

        if (step == NGX_KMIP_STORE_KP_LIST) {
            /* a failed list is never "not found": the search itself
               did not answer */
            if (result == NGX_KMIP_STORE_NOT_FOUND) {
                result = NGX_KMIP_STORE_FAILED;
            }

        } else if (step == NGX_KMIP_STORE_KP_UNWRAP) {
            /* the key an unwrap names is the root key: it is gone */
            result = NGX_KMIP_STORE_ROOT_KEY;
        }

        break;

    default:
        break;
    }

    return ngx_kmip_store_fail(op, result, call,
                               ngx_kmip_store_step_failed[step]);
}


/*
 * The check a call's handler begins with: a call that failed ends the
 * operation, with the result ngx_kmip_store_kp_fail() gives, and the
 * handler returns.
 */

static ngx_uint_t
ngx_kmip_store_call_failed(ngx_kmip_store_op_t *op, ngx_kmip_kp_call_t *call,
    ngx_kmip_store_step_e step)
{
    if (call->result == NGX_KMIP_KP_OK) {
        return 0;
    }

    ngx_kmip_store_finalize(op, ngx_kmip_store_kp_fail(op, call, step));

    return 1;
}


/*
 * The one way an operation that went asynchronous ends, given the rc of
 * its last step: NGX_AGAIN, a Key Protect call is in flight and its
 * handler goes on; NGX_OK, it succeeded; anything else (NGX_ERROR from
 * ngx_kmip_store_fail(), NGX_DONE) with op->result already recorded.
 */

static void
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


/*
 * Starts the Key Protect call of a step, its answer for handler with data
 * (ctx if NULL): NGX_AGAIN, or NGX_ERROR with the failure recorded.  arg
 * is the key or the ciphertext; for a list, the key states to list, with
 * ctx->search: a Locate reads pages from ctx->offset, a look for one
 * name's keys reads at most 100 (an object has one, or a few left over).
 */

static ngx_int_t
ngx_kmip_store_start(ngx_kmip_store_ctx_t *ctx, ngx_kmip_store_step_e step,
    ngx_str_t *arg, ngx_kmip_kp_handler_pt handler, void *data)
{
    ngx_int_t            rc;
    ngx_kmip_kp_call_t  *call;

    call = ngx_kmip_store_call(ctx, handler);
    if (call == NULL) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    if (data) {
        call->data = data;
    }

    switch (step) {

    case NGX_KMIP_STORE_KP_WRAP:
        rc = ngx_kmip_kp_wrap(ctx->kp, call, arg, ctx->aad);
        break;

    case NGX_KMIP_STORE_KP_UNWRAP:
        rc = ngx_kmip_kp_unwrap(ctx->kp, call, arg, ctx->aad);
        break;

    case NGX_KMIP_STORE_KP_GET:
        rc = ngx_kmip_kp_get_key(ctx->kp, call, arg);
        break;

    case NGX_KMIP_STORE_KP_LIST:
        rc = ngx_kmip_kp_list_keys(ctx->kp, call, &ctx->search, arg,
                                   ctx->kind == NGX_KMIP_STORE_LIST
                                   ? NGX_KMIP_STORE_PAGE : 100,
                                   ctx->offset);
        break;

    default: /* NGX_KMIP_STORE_KP_DELETE */
        rc = ngx_kmip_kp_delete_key(ctx->kp, call, arg);
        break;
    }

    if (rc != NGX_AGAIN) {
        return ngx_kmip_store_kp_fail(ctx->op, call, step);
    }

    return NGX_AGAIN;
}


/*
 * Keeps the shared cache (kmip_key_cache) honest: a mutation through this
 * node replaces nothing in place but drops the entry, so that the next
 * read goes to Key Protect; an answer saying that the object is gone drops
 * it; an answer saying that the CRK is unusable drops every entry, so the
 * cached material of other objects stops being served at once too.
 */

static void
ngx_kmip_store_cache_sync(ngx_kmip_store_op_t *op, ngx_str_t *uid)
{
    if (op->cache == NULL) {
        return;
    }

    if (op->result == NGX_KMIP_STORE_ROOT_KEY) {
        ngx_kmip_cache_drop_all(op->cache, op->log);
        return;
    }

    if (uid && uid->len) {
        ngx_kmip_cache_drop(op->cache, uid);
    }
}


/* runs before the caller's handler: the key cache, the batch's journal */

static void
ngx_kmip_store_finish(ngx_kmip_store_op_t *op)
{
    ngx_kmip_store_ctx_t  *ctx = op->priv;

    if (op->cache && !ctx->cached
        && (ctx->kind == NGX_KMIP_STORE_FETCH
            || ctx->kind == NGX_KMIP_STORE_UPDATE
            || ctx->kind == NGX_KMIP_STORE_DESTROY))
    {
        ngx_kmip_store_cache_done(ctx);
    }

    if (op->journal && op->result == NGX_KMIP_STORE_OK) {
        ngx_kmip_store_journal_note(ctx);
    }

    op->handler = ctx->handler;
    op->handler(op);
}


static void
ngx_kmip_store_cache_done(ngx_kmip_store_ctx_t *ctx)
{
    ngx_kmip_store_op_t  *op = ctx->op;
    ngx_kmip_object_t    *obj = ctx->obj;

    if (ctx->kind == NGX_KMIP_STORE_FETCH
        && op->result == NGX_KMIP_STORE_OK
        && obj && !obj->destroyed && !ctx->rewrapped
        && ctx->payload.len
        && obj->material.len == obj->material_len)
    {
        ngx_kmip_cache_put(op->cache, op->log, &obj->uid, &ctx->payload,
                           &obj->kp_id, obj->generation, &obj->material);

    } else {
        ngx_kmip_store_cache_sync(op, obj ? &obj->uid : NULL);
    }
}


/* a read served from the shared cache: no Key Protect call */

static ngx_int_t
ngx_kmip_store_cached(ngx_kmip_store_ctx_t *ctx)
{
    ngx_str_t                uid;
    ngx_kmip_object_t       *obj = ctx->obj;
    ngx_kmip_cache_entry_t   e;

    uid = obj->uid;

    if (ngx_kmip_cache_get(ctx->op->cache, ctx->op->pool, &uid, &e)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (ngx_kmip_store_decode(ctx->op, obj, &e.record, &uid, e.generation)
        != NGX_OK
        || e.material.len != obj->material_len)
    {
        ngx_str_null(&ctx->op->error);
        ngx_kmip_cache_drop(ctx->op->cache, &uid);
        ngx_memzero(obj, sizeof(ngx_kmip_object_t));
        obj->uid = uid;
        return NGX_DECLINED;
    }

    obj->kp_id = e.kp_id;
    obj->generation = e.generation;
    obj->material = e.material;

    ngx_log_debug1(NGX_LOG_DEBUG_STREAM, ctx->op->log, 0,
                   "kmip store: \"%V\" from the key cache", &uid);

    return NGX_OK;
}


/* the description a person reads in the Key Protect console */

static ngx_str_t
ngx_kmip_store_description(ngx_pool_t *pool, ngx_kmip_object_t *obj,
    ngx_uint_t generation)
{
    u_char           *p, *last;
    ngx_str_t         d;
    const char       *type;
    ngx_kmip_attr_t  *alg, *len;

    switch (obj->object_type) {
    case NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY:
        type = "Symmetric Key";
        break;
    case NGX_KMIP_OBJECT_TYPE_SECRET_DATA:
        type = "Secret Data";
        break;
    case NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT:
        type = "Opaque Object";
        break;
    default:
        type = "object";
        break;
    }

    ngx_str_null(&d);

    p = ngx_pnalloc(pool, 200);
    if (p == NULL) {
        return d;
    }

    last = p + 200;
    d.data = p;

    p = ngx_slprintf(p, last, "KMIP %s", type);

    alg = ngx_kmip_attrs_find(&obj->attributes, "Cryptographic Algorithm",
                              sizeof("Cryptographic Algorithm") - 1, -1);
    len = ngx_kmip_attrs_find(&obj->attributes, "Cryptographic Length",
                              sizeof("Cryptographic Length") - 1, -1);

    if (alg && alg->value
        && alg->value->v.num == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES)
    {
        p = ngx_slprintf(p, last, " AES");

        if (len && len->value) {
            p = ngx_slprintf(p, last, "-%L", len->value->v.num);
        }
    }

    p = ngx_slprintf(p, last, ", generation %ui (ngx_kmip)", generation);

    d.len = p - d.data;

    return d;
}


static ngx_int_t
ngx_kmip_store_encode(ngx_kmip_store_ctx_t *ctx, ngx_kmip_object_t *obj,
    ngx_uint_t generation)
{
    size_t                 len;
    uint8_t               *out;
    const char            *err;
    ngx_kmip_record_t      rec;
    ngx_kmip_allocator_t   a;

    a.alloc = ngx_kmip_store_alloc;
    a.data = ctx->op->pool;

    ngx_memzero(&rec, sizeof(ngx_kmip_record_t));

    rec.uid = obj->uid.data;
    rec.uid_len = obj->uid.len;
    rec.generation = generation;
    rec.object_type = obj->object_type;
    rec.subtype = obj->subtype;
    rec.wrapped = obj->wrapped.len ? obj->wrapped.data : NULL;
    rec.wrapped_len = obj->wrapped.len;
    rec.material_len = obj->material_len;
    rec.attrs = obj->attributes;

    if (ngx_kmip_record_encode(&a, &rec, &out, &len, &err) != 0) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL, err);
    }

    ctx->record.data = out;
    ctx->record.len = len;

    return NGX_OK;
}


/*
 * Writes ctx->record as a new key with the generation alias ctx->alias:
 * NGX_AGAIN, or NGX_ERROR with the failure recorded.
 */

static ngx_int_t
ngx_kmip_store_create_key(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_handler_pt handler)
{
    ngx_str_t            *s, desc;
    ngx_array_t          *aliases;
    ngx_kmip_kp_call_t   *call;

    aliases = ngx_array_create(ctx->op->pool, 1, sizeof(ngx_str_t));
    s = aliases ? ngx_array_push(aliases) : NULL;
    call = s ? ngx_kmip_store_call(ctx, handler) : NULL;

    if (call == NULL) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    *s = ctx->alias;

    desc = ngx_kmip_store_description(ctx->op->pool, ctx->obj,
                                      ctx->obj->generation + 1);

    /* a taken generation alias is another writer winning the race */
    call->expected = 1 << NGX_KMIP_KP_CONFLICT;

    if (ngx_kmip_kp_create_key(ctx->kp, call, &ctx->name, &desc,
                               &ctx->record, aliases)
        != NGX_AGAIN)
    {
        return ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_CREATE);
    }

    return NGX_AGAIN;
}


/* ---------------------------------------------------------------- create */

ngx_int_t
ngx_kmip_store_create(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_ctx(kp, op, NGX_KMIP_STORE_CREATE, &ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!ngx_kmip_store_valid_uid(&obj->uid)) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "invalid Unique Identifier");
    }

    ctx->obj = obj;
    obj->generation = 0;

    if (ngx_kmip_store_names(ctx, &obj->uid, 1) != NGX_OK) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    op->object = obj;

    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_WRAP, &obj->material,
                                ngx_kmip_store_create_wrapped, NULL);
}


static void
ngx_kmip_store_create_wrapped(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ctx_t  *ctx = call->data;
    ngx_kmip_object_t     *obj = ctx->obj;

    if (call->result != NGX_KMIP_KP_OK || call->ciphertext.len == 0) {
        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_WRAP));
        return;
    }

    obj->wrapped = call->ciphertext;
    obj->material_len = obj->material.len;

    if (ngx_kmip_store_encode(ctx, obj, 1) != NGX_OK) {
        ngx_kmip_store_finalize(ctx->op, NGX_ERROR);
        return;
    }

    ngx_kmip_store_finalize(ctx->op,
        ngx_kmip_store_create_key(ctx, ngx_kmip_store_create_created));
}


static void
ngx_kmip_store_create_created(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_kp_key_t     *key;
    ngx_kmip_store_ctx_t  *ctx = call->data;

    if (call->result == NGX_KMIP_KP_OK) {
        if (call->keys == NULL || call->keys->nelts == 0) {
            /* created, but the answer lacks the id: find it by name */
            (void) ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_UNAVAILABLE,
                                       call, "Key Protect key create "
                                       "answered without a key");
            ngx_kmip_store_create_orphan(ctx);
            return;
        }

        key = call->keys->elts;

        ctx->obj->kp_id = key[0].id;
        ctx->obj->generation = 1;

        ngx_kmip_store_finalize(ctx->op, NGX_OK);
        return;
    }

    (void) ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_CREATE);

    if (call->result != NGX_KMIP_KP_UNAVAILABLE) {
        ngx_kmip_store_finalize(ctx->op, NGX_ERROR);
        return;
    }

    ngx_kmip_store_create_orphan(ctx);
}


/*
 * The outcome of the create is unknown (a timeout, a reset): the key may
 * exist.  Look for it by name and delete whatever is there, so that a
 * failed Create leaves nothing live; the client gets an error (recorded
 * already) and no identifier.
 */

static void
ngx_kmip_store_create_orphan(ngx_kmip_store_ctx_t *ctx)
{
    ngx_kmip_kp_call_t  *check;

    /* Key Protect may still be working on it: look again later */
    ngx_kmip_store_sweep_later(ctx);

    check = ngx_kmip_store_call(ctx, ngx_kmip_store_create_checked);
    if (check == NULL || ngx_kmip_store_search(ctx) != NGX_OK) {
        ngx_kmip_store_finalize(ctx->op, NGX_ERROR);
        return;
    }

    if (ngx_kmip_kp_list_keys(ctx->kp, check, &ctx->search,
                              &ngx_kmip_store_states_live, 10, 0)
        != NGX_AGAIN)
    {
        ngx_kmip_store_orphan_unchecked(ctx, check);
    }
}


static void
ngx_kmip_store_create_checked(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ctx_t  *ctx = call->data;

    if (call->result != NGX_KMIP_KP_OK) {
        ngx_kmip_store_orphan_unchecked(ctx, call);
        return;
    }

    if (ngx_kmip_store_delete_named(ctx, call, NGX_LOG_WARN,
                                    "left by a create whose outcome was "
                                    "unknown")
        != NGX_OK)
    {
        ngx_kmip_store_finalize(ctx->op, NGX_ERROR);
        return;
    }

    ngx_kmip_store_delete_rest(ctx);
}


/* the create's own failure is what the client hears of */

static void
ngx_kmip_store_orphan_unchecked(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call)
{
    ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                  "kmip store: cannot check for an orphan Key Protect "
                  "key named \"%V\": %V; delete it by hand if it exists",
                  &ctx->name, &call->error);

    ngx_kmip_store_finalize(ctx->op, NGX_ERROR);
}


/*
 * Deletes (through ngx_kmip_store_delete_rest) every live key of a list
 * answer that bears the object's name, saying why in the log.
 */

static ngx_int_t
ngx_kmip_store_delete_named(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_uint_t level, const char *why)
{
    ngx_str_t          *id;
    ngx_uint_t          i;
    ngx_kmip_kp_key_t  *key;

    ctx->del_ids = ngx_array_create(ctx->op->pool, 2, sizeof(ngx_str_t));
    if (ctx->del_ids == NULL) {
        return NGX_ERROR;
    }

    key = call->keys ? call->keys->elts : NULL;

    for (i = 0; call->keys && i < call->keys->nelts; i++) {
        if (!ngx_kmip_store_named(ctx, &key[i])
            || !ngx_kmip_store_live(&key[i]))
        {
            continue;
        }

        ngx_log_error(level, ctx->op->log, 0,
                      "kmip store: deleting Key Protect key %V (\"%V\") %s",
                      &key[i].id, &ctx->name, why);

        id = ngx_array_push(ctx->del_ids);
        if (id == NULL) {
            return NGX_ERROR;
        }

        *id = key[i].id;
    }

    ctx->next = 0;
    ctx->failed = 0;

    return NGX_OK;
}


/* a key of a list answer bears the object's name */

static ngx_uint_t
ngx_kmip_store_named(ngx_kmip_store_ctx_t *ctx, ngx_kmip_kp_key_t *key)
{
    return key->name.len == ctx->name.len
           && ngx_strncmp(key->name.data, ctx->name.data, ctx->name.len) == 0;
}


static ngx_uint_t
ngx_kmip_store_live(ngx_kmip_kp_key_t *key)
{
    return !key->deleted && key->state != NGX_KMIP_KP_STATE_DESTROYED;
}


static ngx_int_t
ngx_kmip_store_search(ngx_kmip_store_ctx_t *ctx)
{
    u_char  *p;

    p = ngx_pnalloc(ctx->op->pool, sizeof("exact:name:") + ctx->name.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->search.data = p;
    ctx->search.len = ngx_sprintf(p, "exact:name:%V", &ctx->name) - p;

    return NGX_OK;
}


/*
 * Deletes the keys in ctx->del_ids one after the other (best effort: a
 * failure is logged with the key id so an operator can finish the job),
 * then calls the operation's handler with the result already set; a
 * remove, whose whole point the deletions are, fails if one did.
 */

static void
ngx_kmip_store_delete_rest(ngx_kmip_store_ctx_t *ctx)
{
    ngx_str_t           *id;
    ngx_kmip_kp_call_t  *call;

    while (ctx->del_ids && ctx->next < ctx->del_ids->nelts) {
        id = (ngx_str_t *) ctx->del_ids->elts + ctx->next++;

        call = ngx_kmip_store_call(ctx, ngx_kmip_store_delete_rest_done);
        if (call == NULL) {
            if (ctx->kind == NGX_KMIP_STORE_REMOVE) {
                ctx->failed = 1;
                (void) ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED,
                                           NULL, "no memory");
            }

            break;
        }

        if (ngx_kmip_kp_delete_key(ctx->kp, call, id) == NGX_AGAIN) {
            call->data = ctx;
            return;
        }

        ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                      "kmip store: Key Protect key %V is left over and "
                      "could not be deleted: %V", id, &call->error);

        ngx_kmip_store_delete_failed(ctx, call);
    }

    ngx_kmip_store_finalize(ctx->op,
                            ctx->kind == NGX_KMIP_STORE_REMOVE && !ctx->failed
                            ? NGX_OK : NGX_DONE);
}


static void
ngx_kmip_store_delete_rest_done(ngx_kmip_kp_call_t *call)
{
    ngx_str_t             *id;
    ngx_kmip_store_ctx_t  *ctx = call->data;

    if (call->result != NGX_KMIP_KP_OK && call->result != NGX_KMIP_KP_GONE
        && call->result != NGX_KMIP_KP_NOT_FOUND)
    {
        id = (ngx_str_t *) ctx->del_ids->elts + ctx->next - 1;

        ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                      "kmip store: Key Protect key %V is left over and "
                      "could not be deleted: %V (correlation id %V)",
                      id, &call->error, &call->correlation_id);

        ngx_kmip_store_delete_failed(ctx, call);
    }

    ngx_kmip_store_delete_rest(ctx);
}


static void
ngx_kmip_store_delete_failed(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call)
{
    if (ctx->kind != NGX_KMIP_STORE_REMOVE || ctx->failed) {
        return;
    }

    ctx->failed = 1;

    (void) ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_DELETE);
}


/* ----------------------------------------------------------------- fetch */

/*
 * A fetch is a chain of steps, each a Key Protect call whose handler
 * starts the next:
 *
 *   ngx_kmip_store_fetch      list by exact name   -> fetch_listed
 *   ngx_kmip_store_fetch_get  GET the highest g    -> fetch_got
 *                             (a deleted key: list again, bounded)
 *   fetch_unwrap              unwrap the material  -> fetch_unwrapped
 */

ngx_int_t
ngx_kmip_store_fetch(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_str_t *uid, ngx_uint_t with_material)
{
    ngx_kmip_store_ctx_t     *ctx;
    ngx_kmip_store_change_t  *ch;

    op->object = NULL;

    if (op->journal) {
        ch = ngx_kmip_store_journal_find(op->journal, uid, 0);

        if (ch && ch->destroy) {
            /* destroyed earlier in this batch, the deletion deferred */
            return ngx_kmip_store_destroyed_view(op, ch);
        }
    }

    if (ngx_kmip_store_ctx(kp, op, NGX_KMIP_STORE_FETCH, &ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!ngx_kmip_store_valid_uid(uid)) {
        /* not one of ours: no Key Protect key can have that name */
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_NOT_FOUND, NULL,
                                   "no object with this Unique Identifier");
    }

    ctx->obj = ngx_pcalloc(op->pool, sizeof(ngx_kmip_object_t));
    if (ctx->obj == NULL
        || ngx_kmip_store_names(ctx, uid, 0) != NGX_OK
        || ngx_kmip_store_search(ctx) != NGX_OK)
    {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    ctx->obj->uid.data = ngx_pstrdup(op->pool, uid);
    if (ctx->obj->uid.data == NULL) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    ctx->obj->uid.len = uid->len;
    ctx->with_material = with_material;

    if (op->cache && ngx_kmip_store_cached(ctx) == NGX_OK) {
        /* answered at once: the operations layer allows it */
        op->object = ctx->obj;
        ctx->cached = 1;
        ngx_kmip_store_finalize(op, NGX_OK);
        return NGX_AGAIN;
    }

    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_LIST,
                                &ngx_kmip_store_states_all,
                                ngx_kmip_store_fetch_listed, NULL);
}


/* the generation of a key: from its alias, else from its description */

static ngx_uint_t
ngx_kmip_store_generation(ngx_str_t *name, ngx_kmip_kp_key_t *key)
{
    u_char      *p, *last;
    ngx_int_t    n;
    ngx_uint_t   i;
    ngx_str_t   *alias;

    alias = key->aliases ? key->aliases->elts : NULL;

    for (i = 0; key->aliases && i < key->aliases->nelts; i++) {
        if (alias[i].len > name->len + 2
            && ngx_strncmp(alias[i].data, name->data, name->len) == 0
            && alias[i].data[name->len] == '-'
            && alias[i].data[name->len + 1] == 'g')
        {
            n = ngx_atoi(alias[i].data + name->len + 2,
                         alias[i].len - name->len - 2);
            if (n > 0) {
                return (ngx_uint_t) n;
            }
        }
    }

    p = key->description.data;
    last = p + key->description.len;

    p = p ? ngx_strlcasestrn(p, last, (u_char *) "generation ", 11 - 1)
          : NULL;

    if (p) {
        p += 11;

        for (last = p; last < key->description.data + key->description.len
                       && *last >= '0' && *last <= '9'; last++) { /* void */ }

        n = ngx_atoi(p, last - p);
        if (n > 0) {
            return (ngx_uint_t) n;
        }
    }

    return 0;
}


static void
ngx_kmip_store_fetch_listed(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ctx_t  *ctx = call->data;

    if (ngx_kmip_store_call_failed(ctx->op, call, NGX_KMIP_STORE_KP_LIST)) {
        return;
    }

    if (ngx_kmip_store_fetch_pick(ctx, call) != NGX_OK) {
        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_NOT_FOUND, NULL,
                                "no object with this Unique Identifier"));
        return;
    }

    ngx_kmip_store_finalize(ctx->op, ngx_kmip_store_fetch_get(ctx));
}


/*
 * Of the keys the list found with the object's name, the highest
 * generation is the object: NGX_DECLINED when there is none.
 */

static ngx_int_t
ngx_kmip_store_fetch_pick(ngx_kmip_store_ctx_t *ctx, ngx_kmip_kp_call_t *call)
{
    ngx_uint_t          i, g, best_g;
    ngx_kmip_kp_key_t  *key, *best;
    ngx_kmip_object_t  *obj = ctx->obj;

    best = NULL;
    best_g = 0;
    key = call->keys ? call->keys->elts : NULL;

    for (i = 0; call->keys && i < call->keys->nelts; i++) {
        if (!ngx_kmip_store_named(ctx, &key[i])) {
            continue;
        }

        g = ngx_kmip_store_generation(&ctx->name, &key[i]);

        if (g > best_g) {
            best = &key[i];
            best_g = g;
        }
    }

    if (best == NULL) {
        return NGX_DECLINED;
    }

    ngx_kmip_store_fetch_stale(ctx, call, best);

    obj->generation = best_g;
    obj->kp_id = best->id;

    if (best->deleted || best->state == NGX_KMIP_KP_STATE_DESTROYED) {
        /*
         * The highest generation's key was deleted: the object is
         * destroyed for good, whatever older keys remain.
         */
        obj->destroyed = 1;
        obj->deletion_date = best->deletion_date;
    }

    return NGX_OK;
}


/* older generations still live: an update that could not delete them */

static void
ngx_kmip_store_fetch_stale(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_kmip_kp_key_t *best)
{
    ngx_str_t          *id;
    ngx_uint_t          i;
    ngx_kmip_kp_key_t  *key;
    ngx_kmip_object_t  *obj = ctx->obj;

    key = call->keys->elts;

    for (i = 0; i < call->keys->nelts; i++) {
        if (&key[i] == best || !ngx_kmip_store_named(ctx, &key[i])
            || !ngx_kmip_store_live(&key[i]))
        {
            continue;
        }

        if (obj->stale == NULL) {
            obj->stale = ngx_array_create(ctx->op->pool, 1,
                                          sizeof(ngx_str_t));
            if (obj->stale == NULL) {
                return;
            }
        }

        id = ngx_array_push(obj->stale);
        if (id == NULL) {
            return;
        }

        *id = key[i].id;
    }
}


static ngx_int_t
ngx_kmip_store_fetch_get(ngx_kmip_store_ctx_t *ctx)
{
    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_GET, &ctx->obj->kp_id,
                                ngx_kmip_store_fetch_got, NULL);
}


static ngx_int_t
ngx_kmip_store_decode(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj,
    ngx_str_t *payload, ngx_str_t *uid, ngx_uint_t generation)
{
    const char            *err;
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
        ngx_str_set(&op->error, "the Key Protect key holds the record of "
                                "another object");
        return NGX_ERROR;
    }

    if (generation && (ngx_uint_t) rec.generation != generation) {
        ngx_str_set(&op->error, "the Key Protect key's record and alias "
                                "disagree on the generation");
        return NGX_ERROR;
    }

    obj->uid.data = (u_char *) rec.uid;
    obj->uid.len = rec.uid_len;
    obj->generation = (ngx_uint_t) rec.generation;
    obj->object_type = rec.object_type;
    obj->subtype = rec.subtype;
    obj->wrapped.data = (u_char *) rec.wrapped;
    obj->wrapped.len = rec.wrapped_len;
    obj->material_len = rec.material_len;
    obj->attributes = rec.attrs;

    return NGX_OK;
}


/*
 * The key the list showed live is deleted when fetched: most often a
 * concurrent update that wrote the next generation and deleted this one in
 * between. Only a list in which the highest generation itself is deleted
 * proves the object destroyed, so list again (bounded).
 */

static ngx_int_t
ngx_kmip_store_fetch_relist(ngx_kmip_store_ctx_t *ctx)
{
    if (ctx->relisted++ >= NGX_KMIP_STORE_RELISTS) {
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_INFO, ctx->op->log, 0,
                  "kmip store: Key Protect key %V of \"%V\" was deleted "
                  "after the list (a concurrent update?): listing again",
                  &ctx->obj->kp_id, &ctx->name);

    ctx->obj->stale = NULL;
    ctx->obj->generation = 0;
    ngx_str_null(&ctx->obj->kp_id);

    if (ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_LIST,
                             &ngx_kmip_store_states_all,
                             ngx_kmip_store_fetch_listed, NULL)
        != NGX_AGAIN)
    {
        /* not listed again: the get's answer stands, not this failure */
        ngx_str_null(&ctx->op->error);
        ngx_str_null(&ctx->op->correlation_id);
        return NGX_DECLINED;
    }

    return NGX_AGAIN;
}


static void
ngx_kmip_store_fetch_got(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_kp_key_t     *key;
    ngx_kmip_store_op_t   *op;
    ngx_kmip_store_ctx_t  *ctx = call->data;
    ngx_kmip_object_t     *obj = ctx->obj;

    op = ctx->op;

    key = (call->result == NGX_KMIP_KP_OK && call->keys
           && call->keys->nelts) ? call->keys->elts : NULL;

    if (!obj->destroyed
        && ((key == NULL && (call->result == NGX_KMIP_KP_GONE
                             || call->result == NGX_KMIP_KP_NOT_FOUND))
            || (key && !ngx_kmip_store_live(key)))
        && ngx_kmip_store_fetch_relist(ctx) == NGX_AGAIN)
    {
        return;
    }

    if (!obj->destroyed && key && !ngx_kmip_store_live(key)) {
        obj->destroyed = 1;
        obj->deletion_date = key->deletion_date;
    }

    if (obj->destroyed) {
        ngx_kmip_store_fetch_destroyed(ctx, key);
        ngx_kmip_store_finalize(op, NGX_OK);
        return;
    }

    if (key == NULL) {
        if (call->result == NGX_KMIP_KP_GONE
            || call->result == NGX_KMIP_KP_NOT_FOUND)
        {
            /* deleted (or purged) between the list and the get */
            obj->destroyed = 1;
            op->object = obj;
            ngx_kmip_store_finalize(op, NGX_OK);
            return;
        }

        ngx_kmip_store_finalize(op, call->result == NGX_KMIP_KP_OK
            ? ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, call,
                                  "Key Protect key get answered without "
                                  "a key")
            : ngx_kmip_store_kp_fail(op, call, NGX_KMIP_STORE_KP_GET));
        return;
    }

    if (ngx_kmip_store_decode(op, obj, &key->payload, &obj->uid,
                              obj->generation)
        != NGX_OK)
    {
        op->result = NGX_KMIP_STORE_FAILED;
        op->correlation_id = call->correlation_id;

        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "kmip store: Key Protect key %V: %V",
                      &obj->kp_id, &op->error);

        ngx_kmip_store_finalize(op, NGX_ERROR);
        return;
    }

    op->object = obj;
    ctx->payload = key->payload;

    ngx_kmip_store_finalize(op, ngx_kmip_store_fetch_unwrap(ctx));
}


/*
 * Whatever the deleted key still tells (Key Protect may not return a
 * deleted key's payload): its record's attributes, else only the identity.
 * State and Destroy Date are the deletion's.
 */

static void
ngx_kmip_store_fetch_destroyed(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_key_t *key)
{
    ngx_kmip_object_t  *obj = ctx->obj;

    if (key == NULL || key->payload.len == 0
        || ngx_kmip_store_decode(ctx->op, obj, &key->payload, &obj->uid, 0)
           != NGX_OK)
    {
        obj->attributes.first = obj->attributes.last = NULL;
        obj->attributes.n = 0;
        ngx_str_null(&ctx->op->error);
    }

    obj->destroyed = 1;
    ngx_str_null(&obj->wrapped);

    ctx->op->object = obj;
}


/*
 * Every read unwraps, even when the caller does not want the material
 * (Get Attributes, mutations): the unwrap is what proves that the CRK is
 * still usable, so that deleting or disabling the CRK stops Get Attributes
 * as well as Get (docs/operations.md), and its answer carries the
 * ciphertext re-wrapped under the newest CRK version after a rotation,
 * which the next update stores.
 */

static ngx_int_t
ngx_kmip_store_fetch_unwrap(ngx_kmip_store_ctx_t *ctx)
{
    if (ctx->obj->wrapped.len == 0) {
        return NGX_OK;
    }

    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_UNWRAP,
                                &ctx->obj->wrapped,
                                ngx_kmip_store_fetch_unwrapped, NULL);
}


static void
ngx_kmip_store_fetch_unwrapped(ngx_kmip_kp_call_t *call)
{
    ngx_int_t              rc;
    ngx_kmip_store_ctx_t  *ctx = call->data;
    ngx_kmip_object_t     *obj = ctx->obj;

    if (ngx_kmip_store_call_failed(ctx->op, call, NGX_KMIP_STORE_KP_UNWRAP)) {
        return;
    }

    rc = ngx_kmip_store_fetch_material(ctx, call);

    OPENSSL_cleanse(call->plaintext.data, call->plaintext.len);

    if (rc == NGX_OK && call->ciphertext.len) {
        /*
         * The CRK was rotated since this record was written: Key Protect
         * re-wrapped the material under the newest version. The object
         * carries the new ciphertext, so the next update stores it.
         */
        obj->wrapped = call->ciphertext;
        ctx->rewrapped = 1;

        ngx_log_error(NGX_LOG_INFO, ctx->op->log, 0,
                      "kmip store: \"%V\" is wrapped by an older root key "
                      "version; the next update stores it re-wrapped under "
                      "version %V", &ctx->name, &call->key_version);
    }

    ngx_kmip_store_finalize(ctx->op, rc);
}


/* the material an unwrap answered, checked, kept in the object */

static ngx_int_t
ngx_kmip_store_fetch_material(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call)
{
    ngx_str_t           s;
    ngx_kmip_object_t  *obj = ctx->obj;

    if (call->plaintext.len != obj->material_len) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, call,
                                   "the unwrapped key material has the "
                                   "wrong length");
    }

    if (ngx_kmip_store_check_digest(obj, &call->plaintext) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                      "kmip store: the key material Key Protect unwrapped "
                      "for \"%V\" does not match its Digest, correlation "
                      "id: %V", &ctx->name, &call->correlation_id);

        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, call,
                                   "the unwrapped key material does not "
                                   "match its Digest");
    }

    /* the call's plaintext is wiped with the pool; ours is too */

    if (ngx_kmip_kp_secret(ctx->op->pool, &s,
                           call->plaintext.len ? call->plaintext.len : 1)
        != NGX_OK)
    {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    s.len = ngx_cpymem(s.data, call->plaintext.data, call->plaintext.len)
            - s.data;
    obj->material = s;

    return NGX_OK;
}


/*
 * The Digest the object was created with (SHA-256 of the Raw material,
 * ngx_kmip_op_digest()) is the one fact about the material that Key
 * Protect does not hold: an unwrap answering other bytes of the right
 * length, from a fault or a hostile endpoint, must not be served as the
 * key.  Digests of other algorithms or formats are not checked; an object
 * without a Digest (a record older than the attribute) has nothing to be
 * checked against.
 */

static ngx_int_t
ngx_kmip_store_check_digest(ngx_kmip_object_t *obj, ngx_str_t *material)
{
    u_char            md[EVP_MAX_MD_SIZE];
    unsigned int      n;
    ngx_uint_t        computed;
    ngx_kmip_attr_t  *a;
    ngx_kmip_item_t  *alg, *fmt, *value;

    computed = 0;
    n = 0;

    for (a = obj->attributes.first; a; a = a->next) {

        if (!ngx_kmip_attr_name_is(a, "Digest") || a->value == NULL
            || a->value->type != NGX_KMIP_TYPE_STRUCTURE)
        {
            continue;
        }

        alg = ngx_kmip_ttlv_find(a->value, NGX_KMIP_TAG_HASHING_ALGORITHM);
        fmt = ngx_kmip_ttlv_find(a->value, NGX_KMIP_TAG_KEY_FORMAT_TYPE);
        value = ngx_kmip_ttlv_find(a->value, NGX_KMIP_TAG_DIGEST_VALUE);

        if (alg == NULL || alg->v.num != NGX_KMIP_HASHING_ALGORITHM_SHA_256
            || (fmt && fmt->v.num != NGX_KMIP_KEY_FORMAT_TYPE_RAW)
            || value == NULL || value->type != NGX_KMIP_TYPE_BYTE_STRING)
        {
            continue;
        }

        if (!computed) {
            if (EVP_Digest(material->data, material->len, md, &n,
                           EVP_sha256(), NULL)
                != 1)
            {
                return NGX_ERROR;
            }

            computed = 1;
        }

        if (value->v.str.len != n
            || CRYPTO_memcmp(value->v.str.data, md, n) != 0)
        {
            OPENSSL_cleanse(md, sizeof(md));
            return NGX_ERROR;
        }
    }

    OPENSSL_cleanse(md, sizeof(md));

    return NGX_OK;
}


/* ---------------------------------------------------------------- update */

/*
 * An update writes generation N+1 (its alias is the compare-and-swap),
 * then deletes generation N (update_created), then the older generations
 * a failed delete left live (update_deleted, delete_rest).
 */

ngx_int_t
ngx_kmip_store_update(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_ctx(kp, op, NGX_KMIP_STORE_UPDATE, &ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (obj->destroyed || obj->generation == 0 || obj->kp_id.len == 0) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_GONE, NULL,
                                   "the object is destroyed");
    }

    ctx->obj = obj;
    ctx->old_id = obj->kp_id;
    ctx->from_generation = obj->generation;
    op->object = obj;

    if (op->cache) {
        ngx_kmip_cache_drop(op->cache, &obj->uid);
    }

    if (ngx_kmip_store_names(ctx, &obj->uid, obj->generation + 1) != NGX_OK)
    {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    if (ngx_kmip_store_encode(ctx, obj, obj->generation + 1) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_kmip_store_create_key(ctx, ngx_kmip_store_update_created);
}


static void
ngx_kmip_store_update_created(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_kp_key_t     *key;
    ngx_kmip_kp_call_t    *del;
    ngx_kmip_store_ctx_t  *ctx = call->data;

    if (call->result == NGX_KMIP_KP_CONFLICT) {
        /*
         * Another writer made this generation first. The caller fetches
         * again and retries.
         */
        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_CONFLICT, call,
                                "a concurrent update of the object won "
                                "(Key Protect alias conflict)"));
        return;
    }

    if (ngx_kmip_store_call_failed(ctx->op, call, NGX_KMIP_STORE_KP_CREATE)) {
        return;
    }

    if (call->keys == NULL || call->keys->nelts == 0) {
        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_UNAVAILABLE, call,
                                "Key Protect key create answered "
                                "without a key"));
        return;
    }

    key = call->keys->elts;
    ctx->new_id = key[0].id;

    del = ngx_kmip_store_call(ctx, ngx_kmip_store_update_deleted);

    if (del == NULL
        || ngx_kmip_kp_delete_key(ctx->kp, del, &ctx->old_id) != NGX_AGAIN)
    {
        /* the new generation is live and read first: the update holds */
        ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                      "kmip store: Key Protect key %V (generation %ui of "
                      "\"%V\") could not be deleted: %V; the next update "
                      "retries", &ctx->old_id, ctx->obj->generation,
                      &ctx->name, del ? &del->error : &ctx->name);

        ctx->obj->kp_id = ctx->new_id;
        ctx->obj->generation++;
        ngx_kmip_store_finalize(ctx->op, NGX_OK);
    }
}


static void
ngx_kmip_store_update_deleted(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ctx_t  *ctx = call->data;
    ngx_kmip_object_t     *obj = ctx->obj;

    if (call->result == NGX_KMIP_KP_GONE
        || call->result == NGX_KMIP_KP_NOT_FOUND)
    {
        ngx_kmip_store_update_lost(ctx, call);
        return;
    }

    if (call->result != NGX_KMIP_KP_OK) {
        ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                      "kmip store: Key Protect key %V (generation %ui of "
                      "\"%V\") could not be deleted: %V (correlation id "
                      "%V); the next update retries",
                      &ctx->old_id, obj->generation, &ctx->name,
                      &call->error, &call->correlation_id);
    }

    obj->kp_id = ctx->new_id;
    obj->generation++;

    ctx->op->result = NGX_KMIP_STORE_OK;

    ngx_kmip_store_delete_stale(ctx);
}


/*
 * Someone deleted generation N while we wrote N+1: the object was
 * destroyed, and stays so. Our N+1 goes too.
 */

static void
ngx_kmip_store_update_lost(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call)
{
    ngx_kmip_kp_call_t  *undo;

    (void) ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_GONE, call,
                               "the object's Key Protect key was "
                               "deleted during the update");

    ngx_log_error(NGX_LOG_WARN, ctx->op->log, 0,
                  "kmip store: \"%V\" was deleted during an update; "
                  "deleting the new generation %V",
                  &ctx->name, &ctx->new_id);

    undo = ngx_kmip_store_call(ctx, ngx_kmip_store_update_undone);

    if (undo == NULL
        || ngx_kmip_kp_delete_key(ctx->kp, undo, &ctx->new_id) != NGX_AGAIN)
    {
        ngx_log_error(NGX_LOG_ALERT, ctx->op->log, 0,
                      "kmip store: Key Protect key %V of the destroyed "
                      "object \"%V\" could not be deleted; delete it "
                      "by hand", &ctx->new_id, &ctx->name);
        ngx_kmip_store_finalize(ctx->op, NGX_ERROR);
    }
}


static void
ngx_kmip_store_update_undone(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ctx_t  *ctx = call->data;

    if (call->result != NGX_KMIP_KP_OK && call->result != NGX_KMIP_KP_GONE) {
        ngx_log_error(NGX_LOG_ALERT, ctx->op->log, 0,
                      "kmip store: Key Protect key %V of the destroyed "
                      "object \"%V\" could not be deleted: %V; delete it "
                      "by hand (readers already see the object destroyed "
                      "only if it is)", &ctx->new_id, &ctx->name,
                      &call->error);
    }

    ctx->obj->destroyed = 1;
    ctx->op->result = NGX_KMIP_STORE_GONE;
    ngx_kmip_store_finalize(ctx->op, NGX_DONE);
}


/* --------------------------------------------------------------- destroy */

ngx_int_t
ngx_kmip_store_destroy(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (op->journal && kp && !obj->destroyed && obj->kp_id.len) {
        return ngx_kmip_store_destroy_later(op, obj);
    }

    if (ngx_kmip_store_ctx(kp, op, NGX_KMIP_STORE_DESTROY, &ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (obj->destroyed || obj->kp_id.len == 0) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_GONE, NULL,
                                   "the object is already destroyed");
    }

    ctx->obj = obj;
    op->object = obj;

    if (op->cache) {
        ngx_kmip_cache_drop(op->cache, &obj->uid);
    }

    if (ngx_kmip_store_names(ctx, &obj->uid, 0) != NGX_OK) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_DELETE, &obj->kp_id,
                                ngx_kmip_store_destroy_deleted, NULL);
}


static void
ngx_kmip_store_destroy_deleted(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ctx_t  *ctx = call->data;

    if (ngx_kmip_store_call_failed(ctx->op, call, NGX_KMIP_STORE_KP_DELETE)) {
        return;
    }

    ctx->obj->destroyed = 1;
    ctx->obj->deletion_date = ngx_time();
    ctx->op->result = NGX_KMIP_STORE_OK;
    ctx->op->correlation_id = call->correlation_id;

    ngx_kmip_store_delete_stale(ctx);
}


/* the older generations a failed delete left live go, then the answer */

static void
ngx_kmip_store_delete_stale(ngx_kmip_store_ctx_t *ctx)
{
    ctx->del_ids = ctx->obj->stale;
    ctx->obj->stale = NULL;
    ctx->next = 0;

    ngx_kmip_store_delete_rest(ctx);
}


/* ------------------------------------------------------------------ list */

/*
 * A list reads every page of keys named "kmip-..." (list_listed), keeping
 * each object's highest generation, then GETs the live ones, a window of
 * them at a time (list_get_more, list_got).
 */

ngx_int_t
ngx_kmip_store_list(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_ctx(kp, op, NGX_KMIP_STORE_LIST, &ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->cands = ngx_array_create(op->pool, 16,
                                  sizeof(ngx_kmip_store_cand_t));
    op->objects = ngx_array_create(op->pool, 16, sizeof(ngx_kmip_object_t));

    if (ctx->cands == NULL || op->objects == NULL) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    ngx_str_set(&ctx->search, NGX_KMIP_STORE_NAME_PREFIX);

    return ngx_kmip_store_list_page(ctx);
}


static ngx_int_t
ngx_kmip_store_list_page(ngx_kmip_store_ctx_t *ctx)
{
    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_LIST,
                                &ngx_kmip_store_states_all,
                                ngx_kmip_store_list_listed, NULL);
}


static void
ngx_kmip_store_list_listed(ngx_kmip_kp_call_t *call)
{
    ngx_int_t              rc;
    ngx_uint_t             i, n;
    ngx_kmip_kp_key_t     *key;
    ngx_kmip_store_ctx_t  *ctx = call->data;

    if (ngx_kmip_store_call_failed(ctx->op, call, NGX_KMIP_STORE_KP_LIST)) {
        return;
    }

    n = call->keys ? call->keys->nelts : 0;
    key = n ? call->keys->elts : NULL;

    for (i = 0; i < n; i++) {
        rc = ngx_kmip_store_list_add(ctx, &key[i]);

        if (rc != NGX_OK) {
            ngx_kmip_store_finalize(ctx->op, rc);
            return;
        }
    }

    ctx->offset += n;

    if (n == NGX_KMIP_STORE_PAGE) {
        if (ctx->offset >= NGX_KMIP_STORE_LIST_KEYS_MAX) {
            ngx_kmip_store_finalize(ctx->op,
                ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                    "more Key Protect keys named kmip- "
                                    "than a Locate examines (10000)"));
            return;
        }

        ngx_kmip_store_finalize(ctx->op, ngx_kmip_store_list_page(ctx));
        return;
    }

    /* every page read: fetch the records of the live objects */

    ctx->next = 0;
    ctx->pending = 0;
    ctx->failed = 0;

    ngx_kmip_store_list_get_more(ctx);
}


/*
 * A key of a list page counts for the object its name makes, if it is the
 * highest generation seen so far: NGX_OK, or NGX_ERROR with the failure
 * recorded.
 */

static ngx_int_t
ngx_kmip_store_list_add(ngx_kmip_store_ctx_t *ctx, ngx_kmip_kp_key_t *key)
{
    ngx_str_t               uid;
    ngx_uint_t              j, g;
    ngx_kmip_store_cand_t  *cand;

    if (key->name.len != NGX_KMIP_STORE_NAME_LEN
        || ngx_strncmp(key->name.data, NGX_KMIP_STORE_NAME_PREFIX,
                       sizeof(NGX_KMIP_STORE_NAME_PREFIX) - 1) != 0)
    {
        return NGX_OK;
    }

    uid.data = key->name.data + sizeof(NGX_KMIP_STORE_NAME_PREFIX) - 1;
    uid.len = NGX_KMIP_STORE_UID_LEN;

    if (!ngx_kmip_store_valid_uid(&uid)) {
        return NGX_OK;
    }

    g = ngx_kmip_store_generation(&key->name, key);
    if (g == 0) {
        return NGX_OK;
    }

    cand = ctx->cands->elts;

    for (j = 0; j < ctx->cands->nelts; j++) {
        if (ngx_strncmp(cand[j].name.data, key->name.data,
                        NGX_KMIP_STORE_NAME_LEN) == 0)
        {
            break;
        }
    }

    if (j == ctx->cands->nelts) {
        if (ctx->cands->nelts >= NGX_KMIP_STORE_LIST_MAX) {
            return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                       "more KMIP objects in Key Protect "
                                       "than a Locate examines (1000)");
        }

        cand = ngx_array_push(ctx->cands);
        if (cand == NULL) {
            return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                       "no memory");
        }

        cand->name = key->name;
        cand->key = NULL;
        cand->generation = 0;
    }

    cand = (ngx_kmip_store_cand_t *) ctx->cands->elts + j;

    if (g > cand->generation) {
        cand->generation = g;
        cand->key = key;
        cand->live = ngx_kmip_store_live(key);
    }

    return NGX_OK;
}


static void
ngx_kmip_store_list_get_more(ngx_kmip_store_ctx_t *ctx)
{
    ngx_kmip_store_cand_t  *cand;

    cand = ctx->cands->elts;

    while (!ctx->failed
           && ctx->pending < NGX_KMIP_STORE_WINDOW
           && ctx->next < ctx->cands->nelts)
    {
        if (!cand[ctx->next].live) {
            ctx->next++;
            continue;
        }

        if (ngx_kmip_store_list_get(ctx) != NGX_AGAIN) {
            ctx->failed = 1;
            break;
        }

        ctx->pending++;
        ctx->next++;
    }

    if (ctx->pending == 0
        && (ctx->failed || ctx->next >= ctx->cands->nelts))
    {
        ngx_kmip_store_finalize(ctx->op, ctx->failed ? NGX_ERROR : NGX_OK);
    }
}


/* GETs the record of the object ctx->next: NGX_AGAIN or NGX_ERROR */

static ngx_int_t
ngx_kmip_store_list_get(ngx_kmip_store_ctx_t *ctx)
{
    ngx_kmip_store_ref_t   *ref;
    ngx_kmip_store_cand_t  *cand;

    cand = (ngx_kmip_store_cand_t *) ctx->cands->elts + ctx->next;

    ref = ngx_palloc(ctx->op->pool, sizeof(ngx_kmip_store_ref_t));
    if (ref == NULL) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    ref->ctx = ctx;
    ref->index = ctx->next;

    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_GET, &cand->key->id,
                                ngx_kmip_store_list_got, ref);
}


static void
ngx_kmip_store_list_got(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ref_t  *ref = call->data;
    ngx_kmip_store_ctx_t  *ctx = ref->ctx;

    ctx->pending--;

    if (!ctx->failed && ngx_kmip_store_list_keep(ctx, call, ref) != NGX_OK) {
        ctx->failed = 1;
    }

    ngx_kmip_store_list_get_more(ctx);
}


/*
 * The record a GET of the list answered joins op->objects, unless the key
 * was deleted since the list (destroyed, not located) or holds no record
 * of ours: NGX_OK, or NGX_ERROR with the failure recorded.
 */

static ngx_int_t
ngx_kmip_store_list_keep(ngx_kmip_store_ctx_t *ctx, ngx_kmip_kp_call_t *call,
    ngx_kmip_store_ref_t *ref)
{
    ngx_kmip_kp_key_t      *key;
    ngx_kmip_object_t      *obj;
    ngx_kmip_store_cand_t  *cand;

    cand = (ngx_kmip_store_cand_t *) ctx->cands->elts + ref->index;

    if (call->result == NGX_KMIP_KP_GONE
        || call->result == NGX_KMIP_KP_NOT_FOUND)
    {
        return NGX_OK;
    }

    if (call->result != NGX_KMIP_KP_OK || call->keys == NULL
        || call->keys->nelts == 0)
    {
        return ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_GET);
    }

    key = call->keys->elts;

    if (!ngx_kmip_store_live(key)) {
        return NGX_OK;
    }

    obj = ngx_array_push(ctx->op->objects);
    if (obj == NULL) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    ngx_memzero(obj, sizeof(ngx_kmip_object_t));

    if (ngx_kmip_store_decode(ctx->op, obj, &key->payload, NULL,
                              cand->generation)
        != NGX_OK)
    {
        /* a key named like ours that is not readable is skipped, loudly */
        ngx_log_error(NGX_LOG_WARN, ctx->op->log, 0,
                      "kmip store: Locate skips Key Protect key %V (\"%V\"):"
                      " %V", &key->id, &cand->name, &ctx->op->error);
        ngx_str_null(&ctx->op->error);
        ctx->op->objects->nelts--;
        return NGX_OK;
    }

    obj->kp_id = key->id;

    return NGX_OK;
}


/* ------------------------------------------------------- journal (Undo) */

ngx_kmip_store_journal_t *
ngx_kmip_store_journal_create(ngx_pool_t *pool, ngx_log_t *log)
{
    ngx_kmip_store_journal_t  *j;

    j = ngx_pcalloc(pool, sizeof(ngx_kmip_store_journal_t));
    if (j == NULL) {
        return NULL;
    }

    j->pool = pool;
    j->log = log;

    j->objects = ngx_array_create(pool, 4, sizeof(ngx_kmip_store_change_t));
    j->destroys = ngx_array_create(pool, 2, sizeof(ngx_uint_t));

    if (j->objects == NULL || j->destroys == NULL) {
        return NULL;
    }

    return j;
}


static ngx_kmip_store_change_t *
ngx_kmip_store_journal_find(ngx_kmip_store_journal_t *j, ngx_str_t *uid,
    ngx_uint_t add)
{
    ngx_uint_t                i;
    ngx_kmip_store_change_t  *ch;

    ch = j->objects->elts;

    for (i = 0; i < j->objects->nelts; i++) {
        if (ch[i].uid.len == uid->len
            && ngx_strncmp(ch[i].uid.data, uid->data, uid->len) == 0)
        {
            return &ch[i];
        }
    }

    if (!add) {
        return NULL;
    }

    ch = ngx_array_push(j->objects);
    if (ch == NULL) {
        return NULL;
    }

    ngx_memzero(ch, sizeof(ngx_kmip_store_change_t));

    ch->uid.data = ngx_pstrdup(j->pool, uid);
    if (ch->uid.data == NULL) {
        j->objects->nelts--;
        return NULL;
    }

    ch->uid.len = uid->len;

    return ch;
}


/*
 * The journal's own copy of an object, without key material (a write
 * stores the wrapped form); the attribute list is copied when asked, so
 * that later changes of the batch's objects do not reach it.
 */

static ngx_kmip_object_t *
ngx_kmip_store_journal_copy(ngx_pool_t *pool, ngx_kmip_object_t *obj,
    ngx_uint_t attributes)
{
    ngx_kmip_object_t     *copy;
    ngx_kmip_allocator_t   a;

    copy = ngx_palloc(pool, sizeof(ngx_kmip_object_t));
    if (copy == NULL) {
        return NULL;
    }

    *copy = *obj;
    ngx_str_null(&copy->material);

    if (attributes) {
        a.alloc = ngx_kmip_store_alloc;
        a.data = pool;

        if (ngx_kmip_attrs_copy(&a, &copy->attributes, &obj->attributes)
            != 0)
        {
            return NULL;
        }
    }

    return copy;
}


/* what a store operation that succeeded did, in the batch's journal */

static void
ngx_kmip_store_journal_note(ngx_kmip_store_ctx_t *ctx)
{
    ngx_kmip_store_op_t      *op = ctx->op;
    ngx_kmip_store_change_t  *ch;

    switch (ctx->kind) {

    case NGX_KMIP_STORE_LIST:
        ngx_kmip_store_journal_hide(op);
        return;

    case NGX_KMIP_STORE_FETCH:
    case NGX_KMIP_STORE_CREATE:
    case NGX_KMIP_STORE_UPDATE:
        break;

    default:
        return;
    }

    if (op->object == NULL) {
        return;
    }

    ch = ngx_kmip_store_journal_find(op->journal, &op->object->uid, 1);

    if (ch && ctx->kind == NGX_KMIP_STORE_FETCH) {

        /*
         * Until the batch writes the object, each read replaces the
         * earlier one: the state to restore is the one the first write
         * replaced (its compare-and-swap proves which generation that
         * was). A copy that cannot be made is found missing then.
         */

        if (!ch->created && !ch->changed && !op->object->destroyed) {
            ch->before = ngx_kmip_store_journal_copy(op->journal->pool,
                                                     op->object, 1);
        }

        return;
    }

    if (ch == NULL || ngx_kmip_store_journal_write(ctx, ch) != NGX_OK) {
        op->journal->incomplete = 1;

        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "kmip store: no memory to note the change of \"%V\" "
                      "in the batch's journal: the batch cannot be undone",
                      &op->object->uid);
    }
}


/* what the batch destroyed is not located, deferred or not */

static void
ngx_kmip_store_journal_hide(ngx_kmip_store_op_t *op)
{
    ngx_uint_t                i, n;
    ngx_kmip_object_t        *obj;
    ngx_kmip_store_change_t  *ch;

    if (op->objects == NULL) {
        return;
    }

    obj = op->objects->elts;

    for (i = 0, n = 0; i < op->objects->nelts; i++) {
        ch = ngx_kmip_store_journal_find(op->journal, &obj[i].uid, 0);

        if (ch == NULL || !ch->destroy) {
            obj[n++] = obj[i];
        }
    }

    op->objects->nelts = n;
}


/* a create or an update of the batch: NGX_ERROR when out of memory */

static ngx_int_t
ngx_kmip_store_journal_write(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_store_change_t *ch)
{
    ngx_uint_t                *item;
    ngx_kmip_object_t         *obj = ctx->op->object;
    ngx_kmip_store_journal_t  *j = ctx->op->journal;

    if (ctx->kind == NGX_KMIP_STORE_CREATE) {
        ch->created = 1;

    } else {
        if (!ch->created && !ch->changed
            && (ch->before == NULL
                || ch->before->generation != ctx->from_generation))
        {
            ch->unknown = 1;

            ngx_log_error(NGX_LOG_WARN, ctx->op->log, 0,
                          "kmip store: \"%V\" was written from generation "
                          "%ui, which this batch did not read; an Undo "
                          "cannot restore it", &obj->uid,
                          ctx->from_generation);
        }

        ch->changed = 1;
    }

    ch->last = ngx_kmip_store_journal_copy(j->pool, obj, 0);
    if (ch->last == NULL) {
        return NGX_ERROR;
    }

    if (ch->items == NULL) {
        ch->items = ngx_array_create(j->pool, 2, sizeof(ngx_uint_t));
        if (ch->items == NULL) {
            return NGX_ERROR;
        }
    }

    item = ch->items->nelts
           ? (ngx_uint_t *) ch->items->elts + ch->items->nelts - 1 : NULL;

    if (item == NULL || *item != j->item) {
        item = ngx_array_push(ch->items);
        if (item == NULL) {
            return NGX_ERROR;
        }

        *item = j->item;
    }

    return NGX_OK;
}


/*
 * A Destroy in a batch with Undo: the Key Protect key is deleted only once
 * the whole batch has succeeded, since a deletion cannot be taken back.
 * The caller sees the object destroyed at once, as it would otherwise.
 */

static ngx_int_t
ngx_kmip_store_destroy_later(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    ngx_uint_t                *d;
    ngx_kmip_object_t         *doomed;
    ngx_kmip_store_change_t   *ch;
    ngx_kmip_store_journal_t  *j = op->journal;

    ngx_str_null(&op->error);
    ngx_str_null(&op->correlation_id);

    ch = ngx_kmip_store_journal_find(j, &obj->uid, 1);
    doomed = ch ? ngx_kmip_store_journal_copy(j->pool, obj, 1) : NULL;
    d = doomed ? ngx_array_push(j->destroys) : NULL;

    if (d == NULL) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    *d = ch - (ngx_kmip_store_change_t *) j->objects->elts;

    ch->doomed = doomed;
    ch->destroy = 1;
    ch->destroy_item = j->item;
    ch->destroy_time = ngx_time();

    ngx_log_debug2(NGX_LOG_DEBUG_STREAM, op->log, 0,
                   "kmip store: destroy of \"%V\" (Key Protect key %V) "
                   "deferred until the batch succeeds",
                   &obj->uid, &obj->kp_id);

    obj->destroyed = 1;
    obj->deletion_date = ch->destroy_time;

    op->object = obj;

    /* answered at once, like a read from the key cache */
    ngx_kmip_store_finalize(op, NGX_OK);

    return NGX_AGAIN;
}


/* a read of an object whose Destroy this batch deferred */

static ngx_int_t
ngx_kmip_store_destroyed_view(ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch)
{
    ngx_kmip_object_t  *obj;

    ngx_str_null(&op->error);
    ngx_str_null(&op->correlation_id);

    obj = ngx_kmip_store_journal_copy(op->pool, ch->doomed, 1);
    if (obj == NULL) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    obj->destroyed = 1;
    obj->deletion_date = ch->destroy_time;
    obj->stale = NULL;
    ngx_str_null(&obj->wrapped);

    op->object = obj;

    ngx_kmip_store_finalize(op, NGX_OK);

    return NGX_AGAIN;
}


ngx_int_t
ngx_kmip_store_undo(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch)
{
    /* the undo's own writes are not journaled */
    op->journal = NULL;

    if (ch->created) {
        return ngx_kmip_store_remove(kp, op, &ch->uid, NGX_LOG_INFO,
                                     "made by a batch that was undone");
    }

    if (ch->changed) {
        return ngx_kmip_store_restore(kp, op, ch);
    }

    return NGX_DECLINED;
}


/* an object the batch made: every live Key Protect key of its name goes */

static ngx_int_t
ngx_kmip_store_remove(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_str_t *uid, ngx_uint_t level, const char *why)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_ctx(kp, op, NGX_KMIP_STORE_REMOVE, &ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!ngx_kmip_store_valid_uid(uid)) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "invalid Unique Identifier");
    }

    ctx->why = why;
    ctx->why_level = level;

    if (op->cache) {
        ngx_kmip_cache_drop(op->cache, uid);
    }

    if (ngx_kmip_store_names(ctx, uid, 0) != NGX_OK
        || ngx_kmip_store_search(ctx) != NGX_OK)
    {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_LIST,
                                &ngx_kmip_store_states_live,
                                ngx_kmip_store_remove_listed, NULL);
}


static void
ngx_kmip_store_remove_listed(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ctx_t  *ctx = call->data;

    if (ngx_kmip_store_call_failed(ctx->op, call, NGX_KMIP_STORE_KP_LIST)) {
        return;
    }

    if (ngx_kmip_store_delete_named(ctx, call, ctx->why_level, ctx->why)
        != NGX_OK)
    {
        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                "no memory"));
        return;
    }

    ngx_kmip_store_delete_rest(ctx);
}


/*
 * An object the batch changed: its attributes from before the batch are
 * written as the next generation after the batch's last one. The alias of
 * that generation is the compare-and-swap: if another writer came after
 * the batch, the restore loses (CONFLICT) and leaves their state alone.
 */

static ngx_int_t
ngx_kmip_store_restore(ngx_kmip_kp_t *kp, ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch)
{
    ngx_kmip_object_t     *obj;
    ngx_kmip_allocator_t   a;

    ngx_str_null(&op->correlation_id);

    if (ch->unknown || ch->before == NULL || ch->last == NULL) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "its state before the batch is not "
                                   "known");
    }

    a.alloc = ngx_kmip_store_alloc;
    a.data = op->pool;

    obj = ngx_kmip_store_journal_copy(op->pool, ch->last, 0);

    if (obj == NULL
        || ngx_kmip_attrs_copy(&a, &obj->attributes, &ch->before->attributes)
           != 0)
    {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    return ngx_kmip_store_update(kp, op, obj);
}


/*
 * A Create whose outcome was unknown (a timeout on POST /keys) deletes what
 * it finds by name at once, but Key Protect may create the key later than
 * that: the request was sent and may still be processed.  The name is
 * looked for again 1, 4 and 13 times kmip_keyprotect_timeout later, and
 * anything found is deleted.  Sweeps are bounded per worker, and a worker
 * that exits drops the ones pending; the warning logged here names the key
 * in both cases.
 */

static void
ngx_kmip_store_sweep_later(ngx_kmip_store_ctx_t *ctx)
{
    ngx_kmip_store_sweep_t  *sw;

    sw = NULL;

    if (ngx_kmip_store_sweeps < NGX_KMIP_STORE_SWEEPS_MAX) {
        sw = ngx_calloc(sizeof(ngx_kmip_store_sweep_t), ngx_cycle->log);
    }

    if (sw == NULL) {
        ngx_log_error(NGX_LOG_WARN, ctx->op->log, 0,
                      "kmip store: a Key Protect key named \"%V\" may "
                      "still be created by a Create that failed, and is "
                      "not looked for again (%ui looks pending); find it "
                      "with tools/kmip-keys", &ctx->name,
                      ngx_kmip_store_sweeps);
        return;
    }

    sw->fd = (ngx_socket_t) -1;
    sw->kp = ctx->kp;
    ngx_memcpy(sw->uid, ctx->obj->uid.data, NGX_KMIP_STORE_UID_LEN);
    sw->delay = ngx_kmip_kp_timeout(ctx->kp);

    sw->event.data = sw;
    sw->event.handler = ngx_kmip_store_sweep_handler;
    sw->event.log = ngx_cycle->log;

    /* an exiting worker does not wait minutes for it */
    sw->event.cancelable = 1;

    ngx_kmip_store_sweeps++;
    ngx_add_timer(&sw->event, sw->delay);

    ngx_log_error(NGX_LOG_WARN, ctx->op->log, 0,
                  "kmip store: a Key Protect key named \"%V\" may still be "
                  "created by a Create that failed; looking for it again "
                  "in %M ms", &ctx->name, sw->delay);
}


static void
ngx_kmip_store_sweep_handler(ngx_event_t *ev)
{
    ngx_str_t                uid;
    ngx_kmip_store_op_t     *op;
    ngx_kmip_store_sweep_t  *sw = ev->data;

    sw->pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, ev->log);
    if (sw->pool == NULL) {
        ngx_kmip_store_sweep_next(sw);
        return;
    }

    op = ngx_kmip_store_op_create(sw->pool, ev->log);
    if (op == NULL) {
        ngx_kmip_store_sweep_next(sw);
        return;
    }

    op->handler = ngx_kmip_store_swept;
    op->data = sw;

    uid.data = sw->uid;
    uid.len = NGX_KMIP_STORE_UID_LEN;

    if (ngx_kmip_store_remove(sw->kp, op, &uid, NGX_LOG_WARN,
                              "left by a Create whose outcome was unknown, "
                              "found late")
        == NGX_AGAIN)
    {
        return;
    }

    ngx_kmip_store_swept(op);
}


static void
ngx_kmip_store_swept(ngx_kmip_store_op_t *op)
{
    ngx_kmip_store_sweep_t *sw = op->data;

    if (op->result != NGX_KMIP_STORE_OK) {
        ngx_log_error(NGX_LOG_WARN, sw->event.log, 0,
                      "kmip store: looking again for the Key Protect key "
                      "named \"kmip-%*s\" failed: %V",
                      (size_t) NGX_KMIP_STORE_UID_LEN, sw->uid, &op->error);
    }

    ngx_kmip_store_sweep_next(sw);
}


static void
ngx_kmip_store_sweep_next(ngx_kmip_store_sweep_t *sw)
{
    if (sw->pool) {
        ngx_destroy_pool(sw->pool);
        sw->pool = NULL;
    }

    if (++sw->round < NGX_KMIP_STORE_SWEEP_ROUNDS) {
        sw->delay *= 3;
        ngx_add_timer(&sw->event, sw->delay);
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, sw->event.log, 0,
                   "kmip store: done looking for \"kmip-%*s\"",
                   (size_t) NGX_KMIP_STORE_UID_LEN, sw->uid);

    ngx_kmip_store_sweeps--;
    ngx_free(sw);
}
