
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_kp.h"
#include "ngx_kmip_store_backend.h"
#include "ngx_kmip_store_kp.h"
#include "ngx_kmip_keys.h"
#include "ngx_kmip_record.h"


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
 *            an object in the node's key map: get gN by id
 *            and the alias g(N+1) at once, then unwrap     3 calls,
 *                                                          2 round trips
 *   update   create g(N+1) (the alias is the compare-and-swap),
 *            delete gN after the answer                    2 calls
 *   destroy  delete gN                                     1 call
 *   list     list pages by name prefix, get each object    1 + n calls
 *   remove   list by exact name, delete every live key     1 + n calls
 *            (the undo of a create in a batch with Undo)
 *
 *   An object whose material is larger than NGX_KMIP_STORE_INLINE_MAX, or
 *   whose record would not fit in a payload, has its material encrypted
 *   under a data key that the CRK wraps, in chunks: n more standard keys
 *   of the same name without alias, written before generation 1, which
 *   lists their ids and digests (docs/key-protect.md#chunks).
 *
 *   create   wrap the data key, create n chunks, create g1  2 + n calls
 *   fetch    + GET the n chunks, 8 at a time, with the material
 *   update   as above: the chunks stay
 *   destroy  + delete the n chunks
 */


#define NGX_KMIP_STORE_NAME_PREFIX   "kmip-"
#define NGX_KMIP_STORE_SCOPE_MARK    ", scope "
#define NGX_KMIP_STORE_UID_LEN       36
#define NGX_KMIP_STORE_NAME_LEN      (sizeof("kmip-") - 1 + 36)
#define NGX_KMIP_STORE_STATES_ALL    "0,1,2,3,5"
#define NGX_KMIP_STORE_RELISTS       5
#define NGX_KMIP_STORE_PAGE          200
#define NGX_KMIP_STORE_LIST_KEYS_MAX 10000
#define NGX_KMIP_STORE_WINDOW        8
#define NGX_KMIP_STORE_SWEEPS_MAX    64
#define NGX_KMIP_STORE_SWEEP_ROUNDS  3

/*
 * Material up to NGX_KMIP_STORE_INLINE_MAX bytes is wrapped by the CRK into
 * the record, as it always was; larger material, or a record that would
 * not fit in a payload, goes in chunks (docs/key-protect.md#chunks): a
 * payload of NGX_KMIP_RECORD_MAX_SIZE bytes is 7,468 in base64, within
 * Key Protect's 7,500.
 */
#define NGX_KMIP_STORE_INLINE_MAX    4096
#define NGX_KMIP_STORE_CHUNK_SIZE    NGX_KMIP_RECORD_MAX_SIZE
#define NGX_KMIP_STORE_CHUNKS_MAX    13
#define NGX_KMIP_STORE_DEK_LEN       32
#define NGX_KMIP_STORE_IV_LEN        12
#define NGX_KMIP_STORE_TAG_LEN       16
#define NGX_KMIP_STORE_MD_LEN        32


/* the Key Protect calls an operation is made of */

typedef enum {
    NGX_KMIP_STORE_KP_WRAP = 0,
    NGX_KMIP_STORE_KP_UNWRAP,
    NGX_KMIP_STORE_KP_CREATE,
    NGX_KMIP_STORE_KP_GET,
    NGX_KMIP_STORE_KP_LIST,
    NGX_KMIP_STORE_KP_DELETE,
    NGX_KMIP_STORE_KP_ALIAS
} ngx_kmip_store_step_e;


typedef struct ngx_kmip_store_ctx_s  ngx_kmip_store_ctx_t;

/*
 * a call of a window (ngx_kmip_store_window): NGX_AGAIN when started,
 * NGX_DECLINED when item i needs none, NGX_ERROR with the failure recorded
 */
typedef ngx_int_t (*ngx_kmip_store_step_pt)(ngx_kmip_store_ctx_t *ctx,
    ngx_uint_t i);
typedef void (*ngx_kmip_store_done_pt)(ngx_kmip_store_ctx_t *ctx);


typedef struct {
    ngx_str_t                   name;
    ngx_kmip_kp_key_t          *key;        /* highest generation */
    ngx_uint_t                  generation;
    ngx_uint_t                  live;
} ngx_kmip_store_cand_t;


struct ngx_kmip_store_ctx_s {
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
    ngx_uint_t                  with_material;
    ngx_uint_t                  relisted;   /* fetch: lists repeated */

    /* fetch through the key map: the GET by id and the next alias' */
    ngx_kmip_kp_call_t         *mapped;
    ngx_kmip_kp_result_e        probed;

    /* Key Protect keys to delete before answering (ngx_str_t ids) */
    ngx_array_t                *del_ids;
    ngx_uint_t                  next;
    const char                 *why;        /* remove: said in the log */
    ngx_uint_t                  why_level;

    /* list */
    ngx_uint_t                  offset;
    ngx_array_t                *cands;      /* ngx_kmip_store_cand_t */

    /* a window of calls in flight: Locate's GETs, the chunks' */
    ngx_uint_t                  total;
    ngx_uint_t                  pending;
    ngx_uint_t                  failed;
    ngx_kmip_store_step_pt      step;
    ngx_kmip_store_done_pt      done;

    /* chunks: the material of an object too large for one payload */
    ngx_str_t                   dek;        /* secret */
    u_char                      iv[NGX_KMIP_STORE_IV_LEN];
    ngx_str_t                   sealed;     /* ciphertext, then the tag */
    ngx_str_t                  *chunk_ids;
    u_char                    (*chunk_md)[NGX_KMIP_STORE_MD_LEN];
};


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


/*
 * What an update leaves for after its answer: the deletion of the
 * generation it superseded, and of older ones left over
 * (docs/key-protect.md#deleting-the-old-generation). The first fields
 * mimic ngx_connection_t, as the sweep's do.
 */

typedef struct {
    void                       *data;
    void                       *read;
    void                       *write;
    ngx_socket_t                fd;

    ngx_event_t                 event;
    ngx_kmip_kp_t              *kp;
    ngx_pool_t                 *pool;
    uint32_t                    keyspace;   /* of the key map */
    ngx_str_t                   uid;
    ngx_str_t                   new_id;     /* generation N+1 */
    ngx_uint_t                  generation; /* N+1 */
    ngx_array_t                *ids;        /* ngx_str_t: gN first */
    ngx_uint_t                  next;
    ngx_uint_t                  tries;      /* of ids[next], failed */
    ngx_uint_t                  left;       /* keys left over */
    ngx_kmip_kp_call_t         *call;       /* the last one started */
    unsigned                    raced:1;
} ngx_kmip_store_cleanup_t;


static ngx_int_t ngx_kmip_store_kp_create(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_store_kp_fetch(ngx_kmip_store_op_t *op,
    ngx_str_t *uid, ngx_uint_t with_material);
static ngx_int_t ngx_kmip_store_kp_serve(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);
static void ngx_kmip_store_served(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_kp_update(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_store_kp_destroy(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_store_kp_list(ngx_kmip_store_op_t *op);
static ngx_int_t ngx_kmip_store_kp_remove(ngx_kmip_store_op_t *op,
    ngx_str_t *uid);
static ngx_int_t ngx_kmip_store_ctx(ngx_kmip_store_op_t *op,
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
static ngx_int_t ngx_kmip_store_encode(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_object_t *obj, ngx_uint_t generation);
static ngx_int_t ngx_kmip_store_create_key(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_handler_pt handler);
static ngx_uint_t ngx_kmip_store_generation(ngx_str_t *name,
    ngx_kmip_kp_key_t *key);

static void ngx_kmip_store_create_wrapped(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_create_sealed(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_encode_record(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_object_t *obj, ngx_uint_t generation, const char **err);
static ngx_int_t ngx_kmip_store_seal(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_slice(ngx_kmip_store_ctx_t *ctx, ngx_uint_t i,
    ngx_str_t *part);
static ngx_int_t ngx_kmip_store_chunks_write(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_chunk_create(ngx_kmip_store_ctx_t *ctx,
    ngx_uint_t i);
static void ngx_kmip_store_chunk_created(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_chunks_written(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_chunks_parse(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_chunks_fetch(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_chunk_get(ngx_kmip_store_ctx_t *ctx,
    ngx_uint_t i);
static void ngx_kmip_store_chunk_got(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_chunk_keep(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_uint_t i);
static void ngx_kmip_store_chunks_read(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_material_checked(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_str_t *material);
static void ngx_kmip_store_chunks_doomed(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_chunks_window(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_store_step_pt step, ngx_kmip_store_done_pt done);
static ngx_int_t ngx_kmip_store_chunks_alloc(ngx_kmip_store_ctx_t *ctx);
static ngx_kmip_store_ref_t *ngx_kmip_store_ref(ngx_kmip_store_ctx_t *ctx,
    ngx_uint_t i);
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
static ngx_uint_t ngx_kmip_store_key_in_scope(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_key_t *key);
static void ngx_kmip_store_fetch_listed(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_fetch_mapped(ngx_kmip_store_ctx_t *ctx,
    ngx_str_t *id, ngx_uint_t generation);
static void ngx_kmip_store_fetch_probed(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_fetch_mapped_got(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_fetch_checked(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_fetch_read(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_kmip_kp_key_t *key);
static ngx_int_t ngx_kmip_store_fetch_pick(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_fetch_kept(ngx_kmip_store_ctx_t *ctx,
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
static ngx_int_t ngx_kmip_store_check_digest(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj, ngx_str_t *material);
static ngx_int_t ngx_kmip_store_digest_input(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj, ngx_str_t *material, uint32_t fmt,
    ngx_str_t *input, ngx_kmip_item_t **der);
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
static void ngx_kmip_store_window(ngx_kmip_store_ctx_t *ctx);
static ngx_int_t ngx_kmip_store_list_get(ngx_kmip_store_ctx_t *ctx,
    ngx_uint_t i);
static void ngx_kmip_store_list_done(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_list_got(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_list_keep(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_kmip_store_ref_t *ref);
static ngx_int_t ngx_kmip_store_remove(ngx_kmip_store_op_t *op,
    ngx_str_t *uid, ngx_uint_t level, const char *why);
static void ngx_kmip_store_sweep_later(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_sweep_handler(ngx_event_t *ev);
static void ngx_kmip_store_swept(ngx_kmip_store_op_t *op);
static void ngx_kmip_store_sweep_next(ngx_kmip_store_sweep_t *sw);
static void ngx_kmip_store_remove_listed(ngx_kmip_kp_call_t *call);
static ngx_int_t ngx_kmip_store_cleanup_later(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_cleanup_next(ngx_kmip_store_cleanup_t *cl);
static void ngx_kmip_store_cleanup_deleted(ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_cleanup_failed(ngx_kmip_store_cleanup_t *cl,
    ngx_kmip_kp_call_t *call);
static void ngx_kmip_store_cleanup_handler(ngx_event_t *ev);
static void ngx_kmip_store_cleanup_observe(ngx_kmip_store_cleanup_e what);
static ngx_int_t ngx_kmip_store_map_get(ngx_kmip_store_ctx_t *ctx,
    ngx_str_t *uid, ngx_str_t *id, ngx_uint_t *generation);
static void ngx_kmip_store_map_put(ngx_kmip_store_ctx_t *ctx, ngx_str_t *uid,
    ngx_str_t *id, ngx_uint_t generation);
static void ngx_kmip_store_map_set(uint32_t keyspace, ngx_str_t *uid,
    ngx_str_t *id, ngx_uint_t generation, time_t pending);
static uint32_t ngx_kmip_store_map_keyspace(ngx_kmip_store_ctx_t *ctx);
static void ngx_kmip_store_rec_put(ngx_kmip_store_ctx_t *ctx, ngx_str_t *id,
    ngx_str_t *record);
static ngx_int_t ngx_kmip_store_rec_get(ngx_kmip_store_ctx_t *ctx,
    ngx_str_t *id, ngx_str_t *record);
static void ngx_kmip_store_crk_seen(ngx_kmip_kp_t *kp, ngx_uint_t usable);
static ngx_uint_t ngx_kmip_store_crk_fresh(ngx_kmip_kp_t *kp);


const ngx_kmip_store_backend_t  ngx_kmip_store_kp_backend = {
    "Key Protect",
    ngx_kmip_store_kp_create,
    ngx_kmip_store_kp_fetch,
    ngx_kmip_store_kp_update,
    ngx_kmip_store_kp_destroy,
    ngx_kmip_store_kp_list,
    ngx_kmip_store_kp_remove,
    ngx_kmip_store_kp_serve
};


static ngx_str_t  ngx_kmip_store_states_all =
    ngx_string(NGX_KMIP_STORE_STATES_ALL);

/* a look for what to delete: destroyed keys need nothing */
static ngx_str_t  ngx_kmip_store_states_live = ngx_string("0,1,2,3");


/* sweeps pending in this worker */
static ngx_uint_t  ngx_kmip_store_sweeps;

/* deletions after the answer pending in this worker */
static ngx_uint_t  ngx_kmip_store_cleanups;

ngx_kmip_store_cleanup_observer_pt  ngx_kmip_store_cleanup_observer;

const char  *ngx_kmip_store_cleanup_names[] = {
    "deleted",
    "retried",
    "left_over",
    "raced",
    "before_answer"
};


static ngx_int_t
ngx_kmip_store_ctx(ngx_kmip_store_op_t *op, ngx_kmip_store_ctx_t **ctxp)
{
    ngx_kmip_store_ctx_t  *ctx;

    ctx = ngx_pcalloc(op->pool, sizeof(ngx_kmip_store_ctx_t));
    if (ctx == NULL) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    ctx->op = op;
    ctx->kp = op->store->conf;
    ctx->kind = op->kind;

    *ctxp = ctx;

    return NGX_OK;
}


static ngx_kmip_kp_call_t *
ngx_kmip_store_call(ngx_kmip_store_ctx_t *ctx, ngx_kmip_kp_handler_pt handler)
{
    ngx_kmip_kp_call_t  *call;

    call = ngx_kmip_kp_call_create(ctx->op->pool, ctx->op->log);
    if (call == NULL) {
        return NULL;
    }

    call->handler = handler;
    call->data = ctx;

    /* a trace that cannot grow loses an audit line, not the call */
    (void) ngx_kmip_store_trace(ctx->op, &call->correlation_id);

    return call;
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

    if (call == NULL) {
        /* the store's own words, literals: nothing to allocate */
        return ngx_kmip_store_error(op, result, what);
    }

    op->result = result;

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
    "Key Protect key delete failed",
    "Key Protect alias create failed"
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

    if (result == NGX_KMIP_STORE_ROOT_KEY && op->store) {
        /* every worker's attribute-only reads unwrap again at once */
        ngx_kmip_store_crk_seen(op->store->conf, 0);
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
    case NGX_KMIP_OBJECT_TYPE_TEMPLATE:
        type = "Template";
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

    p = ngx_slprintf(p, last, ", generation %ui", generation);

    if (obj->scope.len) {
        p = ngx_slprintf(p, last, NGX_KMIP_STORE_SCOPE_MARK "%V",
                         &obj->scope);
    }

    p = ngx_slprintf(p, last, " (ngx_kmip)");

    d.len = p - d.data;

    return d;
}


static ngx_int_t
ngx_kmip_store_encode(ngx_kmip_store_ctx_t *ctx, ngx_kmip_object_t *obj,
    ngx_uint_t generation)
{
    const char  *err;

    if (ngx_kmip_store_encode_record(ctx, obj, generation, &err) != NGX_OK) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL, err);
    }

    return NGX_OK;
}


/* ctx->record for obj at generation: NGX_OK, or NGX_ERROR with *err */

static ngx_int_t
ngx_kmip_store_encode_record(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_object_t *obj, ngx_uint_t generation, const char **err)
{
    size_t                 len;
    uint8_t               *out;
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
    rec.scope = obj->scope.len ? obj->scope.data : NULL;
    rec.scope_len = obj->scope.len;
    rec.fields = obj->fields;
    rec.chunks = obj->chunks;
    rec.attrs = obj->attributes;

    if (ngx_kmip_record_encode(&a, &rec, &out, &len, err) != 0) {
        return NGX_ERROR;
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

static ngx_int_t
ngx_kmip_store_kp_create(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_ctx(op, &ctx) != NGX_OK) {
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
    obj->chunks = NULL;

    if (obj->material.len > NGX_KMIP_STORE_INLINE_MAX) {
        return ngx_kmip_store_create_sealed(ctx);
    }

    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_WRAP, &obj->material,
                                ngx_kmip_store_create_wrapped, NULL);
}


/* the material in chunks: sealed under a data key, which the CRK wraps */

static ngx_int_t
ngx_kmip_store_create_sealed(ngx_kmip_store_ctx_t *ctx)
{
    if (ngx_kmip_store_seal(ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_WRAP, &ctx->dek,
                                ngx_kmip_store_create_wrapped, NULL);
}


static void
ngx_kmip_store_create_wrapped(ngx_kmip_kp_call_t *call)
{
    const char            *err;
    ngx_kmip_store_ctx_t  *ctx = call->data;
    ngx_kmip_object_t     *obj = ctx->obj;

    if (call->result != NGX_KMIP_KP_OK || call->ciphertext.len == 0) {
        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_WRAP));
        return;
    }

    obj->wrapped = call->ciphertext;
    obj->material_len = obj->material.len;

    ngx_kmip_store_crk_seen(ctx->kp, 1);

    if (ctx->dek.len) {
        /* the data key is wrapped: the chunks, then generation 1 */
        ngx_kmip_store_finalize(ctx->op, ngx_kmip_store_chunks_write(ctx));
        return;
    }

    if (ngx_kmip_store_encode_record(ctx, obj, 1, &err) != NGX_OK) {

        if (err == ngx_kmip_record_too_large) {
            /*
             * the material wrapped whole and the attributes do not fit
             * in one payload together (an RSA-4096 private key with
             * many attributes): the material goes in chunks
             */
            ngx_str_null(&obj->wrapped);
            ngx_kmip_store_finalize(ctx->op,
                                    ngx_kmip_store_create_sealed(ctx));
            return;
        }

        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL, err));
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

        ngx_kmip_store_map_put(ctx, &ctx->obj->uid, &ctx->obj->kp_id, 1);
        ngx_kmip_store_rec_put(ctx, &ctx->obj->kp_id, &ctx->record);

        ngx_kmip_store_finalize(ctx->op, NGX_OK);
        return;
    }

    (void) ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_CREATE);

    /* chunks written for it bear its name: found and deleted as orphans */

    if (call->result != NGX_KMIP_KP_UNAVAILABLE && ctx->obj->chunks == NULL) {
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
    if (ctx->obj) {
        /*
         * a key left over: the object's reads list (and so find it) until
         * an update deletes it
         */
        ngx_kmip_store_map_put(ctx, &ctx->obj->uid, NULL, 0);
    }

    if (ctx->kind != NGX_KMIP_STORE_REMOVE || ctx->failed) {
        return;
    }

    ctx->failed = 1;

    (void) ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_DELETE);
}


/* ---------------------------------------------------------------- chunks */

/*
 * An object too large for one payload (docs/key-protect.md#chunks): its
 * material is sealed with AES-256-GCM under a fresh data key (AAD the key
 * name "kmip-<uuid>"), the data key is wrapped by the CRK in place of the
 * material, and the ciphertext with its tag is cut into chunks of
 * NGX_KMIP_STORE_CHUNK_SIZE bytes, each a standard key of the object's
 * name with no alias and no generation.  Generation 1 is written after
 * every chunk, and lists each chunk's key id and SHA-256: a reader finds a
 * generation only once its chunks are durable, and a missing or altered
 * chunk fails the read.  The chunks never change: an update writes the
 * next generation with the same list, a Destroy deletes them after the
 * object's key.
 */

static ngx_int_t
ngx_kmip_store_seal(ngx_kmip_store_ctx_t *ctx)
{
    int                 n;
    ngx_uint_t          ok;
    EVP_CIPHER_CTX     *c;
    ngx_kmip_object_t  *obj = ctx->obj;

    if (obj->material.len > NGX_KMIP_STORE_MATERIAL_MAX) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "the key material is larger than the "
                                   "store keeps");
    }

    ctx->sealed.len = obj->material.len + NGX_KMIP_STORE_TAG_LEN;
    ctx->sealed.data = ngx_pnalloc(ctx->op->pool, ctx->sealed.len);

    if (ctx->sealed.data == NULL
        || ngx_kmip_kp_secret(ctx->op->pool, &ctx->dek,
                              NGX_KMIP_STORE_DEK_LEN)
           != NGX_OK)
    {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    ctx->dek.len = NGX_KMIP_STORE_DEK_LEN;

    c = EVP_CIPHER_CTX_new();

    ok = c != NULL
         && RAND_bytes(ctx->dek.data, NGX_KMIP_STORE_DEK_LEN) == 1
         && RAND_bytes(ctx->iv, NGX_KMIP_STORE_IV_LEN) == 1
         && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1
         && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN,
                                NGX_KMIP_STORE_IV_LEN, NULL) == 1
         && EVP_EncryptInit_ex(c, NULL, NULL, ctx->dek.data, ctx->iv) == 1
         && EVP_EncryptUpdate(c, NULL, &n, ctx->name.data,
                              (int) ctx->name.len) == 1
         && EVP_EncryptUpdate(c, ctx->sealed.data, &n, obj->material.data,
                              (int) obj->material.len) == 1
         && EVP_EncryptFinal_ex(c, ctx->sealed.data + n, &n) == 1
         && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
                                NGX_KMIP_STORE_TAG_LEN,
                                ctx->sealed.data + obj->material.len) == 1;

    /* frees the key schedule wiped */
    EVP_CIPHER_CTX_free(c);

    if (!ok) {
        ngx_str_null(&ctx->dek);
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "the key material could not be sealed "
                                   "for its chunks");
    }

    return NGX_OK;
}


/* the part of ctx->sealed that chunk i holds */

static void
ngx_kmip_store_slice(ngx_kmip_store_ctx_t *ctx, ngx_uint_t i,
    ngx_str_t *part)
{
    size_t  off;

    off = i * NGX_KMIP_STORE_CHUNK_SIZE;

    part->data = ctx->sealed.data + off;
    part->len = ngx_min(NGX_KMIP_STORE_CHUNK_SIZE, ctx->sealed.len - off);
}


static ngx_int_t
ngx_kmip_store_chunks_window(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_store_step_pt step, ngx_kmip_store_done_pt done)
{
    ctx->next = 0;
    ctx->pending = 0;
    ctx->failed = 0;
    ctx->step = step;
    ctx->done = done;

    ngx_kmip_store_window(ctx);

    return NGX_AGAIN;
}


/* room for the ids and digests of the chunks ctx->sealed.len makes */

static ngx_int_t
ngx_kmip_store_chunks_alloc(ngx_kmip_store_ctx_t *ctx)
{
    ctx->total = (ctx->sealed.len + NGX_KMIP_STORE_CHUNK_SIZE - 1)
                 / NGX_KMIP_STORE_CHUNK_SIZE;

    ctx->chunk_ids = ngx_pcalloc(ctx->op->pool,
                                 ctx->total * sizeof(ngx_str_t));
    ctx->chunk_md = ngx_palloc(ctx->op->pool,
                               ctx->total * NGX_KMIP_STORE_MD_LEN);

    if (ctx->chunk_ids == NULL || ctx->chunk_md == NULL) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    return NGX_OK;
}


/* what the handler of the call for item i of a window gets */

static ngx_kmip_store_ref_t *
ngx_kmip_store_ref(ngx_kmip_store_ctx_t *ctx, ngx_uint_t i)
{
    ngx_kmip_store_ref_t  *ref;

    ref = ngx_palloc(ctx->op->pool, sizeof(ngx_kmip_store_ref_t));
    if (ref == NULL) {
        (void) ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
        return NULL;
    }

    ref->ctx = ctx;
    ref->index = i;

    return ref;
}


static ngx_int_t
ngx_kmip_store_chunks_write(ngx_kmip_store_ctx_t *ctx)
{
    if (ngx_kmip_store_chunks_alloc(ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_kmip_store_chunks_window(ctx, ngx_kmip_store_chunk_create,
                                        ngx_kmip_store_chunks_written);
}


static ngx_int_t
ngx_kmip_store_chunk_create(ngx_kmip_store_ctx_t *ctx, ngx_uint_t i)
{
    u_char                *p;
    ngx_str_t              part, desc;
    ngx_kmip_kp_call_t    *call;
    ngx_kmip_store_ref_t  *ref;

    ngx_kmip_store_slice(ctx, i, &part);

    ref = ngx_kmip_store_ref(ctx, i);
    if (ref == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(ctx->op->pool, 80);
    call = ngx_kmip_store_call(ctx, ngx_kmip_store_chunk_created);

    if (p == NULL || call == NULL
        || EVP_Digest(part.data, part.len, ctx->chunk_md[i], NULL,
                      EVP_sha256(), NULL) != 1)
    {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    /* no "generation" in it: a chunk is never taken for the object */
    desc.data = p;
    desc.len = ngx_sprintf(p, "KMIP object material, part %ui of %ui "
                           "(ngx_kmip)", i + 1, ctx->total) - p;

    call->data = ref;

    if (ngx_kmip_kp_create_key(ctx->kp, call, &ctx->name, &desc, &part, NULL)
        != NGX_AGAIN)
    {
        return ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_CREATE);
    }

    return NGX_AGAIN;
}


static void
ngx_kmip_store_chunk_created(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_kp_key_t     *key;
    ngx_kmip_store_ref_t  *ref = call->data;
    ngx_kmip_store_ctx_t  *ctx = ref->ctx;

    ctx->pending--;

    key = (call->result == NGX_KMIP_KP_OK && call->keys
           && call->keys->nelts) ? call->keys->elts : NULL;

    if (key) {
        ctx->chunk_ids[ref->index] = key[0].id;

    } else if (!ctx->failed) {
        ctx->failed = 1;
        (void) ngx_kmip_store_kp_fail(ctx->op, call,
                                      NGX_KMIP_STORE_KP_CREATE);
    }

    ngx_kmip_store_window(ctx);
}


/* every chunk is durable: generation 1, which names them, goes last */

static void
ngx_kmip_store_chunks_written(ngx_kmip_store_ctx_t *ctx)
{
    ngx_uint_t             i;
    ngx_kmip_item_t       *chunks, *st;
    ngx_kmip_allocator_t   a;

    if (ctx->failed) {
        /* the chunks written bear the object's name: found, deleted */
        ngx_kmip_store_create_orphan(ctx);
        return;
    }

    a.alloc = ngx_kmip_store_alloc;
    a.data = ctx->op->pool;

    chunks = ngx_kmip_ttlv_item_new(&a, NGX_KMIP_TAG_RECORD_CHUNKS,
                                    NGX_KMIP_TYPE_STRUCTURE);
    st = ngx_kmip_ttlv_add_bytes(&a, chunks, NGX_KMIP_TAG_RECORD_CHUNK_IV,
                                 ctx->iv, NGX_KMIP_STORE_IV_LEN);

    for (i = 0; st && i < ctx->total; i++) {
        st = ngx_kmip_ttlv_add_struct(&a, chunks, NGX_KMIP_TAG_RECORD_CHUNK);

        if (ngx_kmip_ttlv_add_text(&a, st, NGX_KMIP_TAG_RECORD_CHUNK_KEY,
                                   ctx->chunk_ids[i].data,
                                   ctx->chunk_ids[i].len) == NULL
            || ngx_kmip_ttlv_add_bytes(&a, st,
                                       NGX_KMIP_TAG_RECORD_CHUNK_DIGEST,
                                       ctx->chunk_md[i],
                                       NGX_KMIP_STORE_MD_LEN) == NULL)
        {
            st = NULL;
        }
    }

    ctx->obj->chunks = chunks;

    if (st == NULL) {
        (void) ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
        ngx_kmip_store_create_orphan(ctx);
        return;
    }

    if (ngx_kmip_store_encode(ctx, ctx->obj, 1) != NGX_OK
        || ngx_kmip_store_create_key(ctx, ngx_kmip_store_create_created)
           != NGX_AGAIN)
    {
        ngx_kmip_store_create_orphan(ctx);
    }
}


/*
 * The chunk list of the record read: ctx->iv, ctx->chunk_ids and
 * ctx->chunk_md, exactly as many chunks as the material length makes
 */

static ngx_int_t
ngx_kmip_store_chunks_parse(ngx_kmip_store_ctx_t *ctx)
{
    ngx_uint_t          i;
    ngx_kmip_item_t    *item, *key, *md;
    ngx_kmip_object_t  *obj = ctx->obj;

    ctx->sealed.len = (size_t) obj->material_len + NGX_KMIP_STORE_TAG_LEN;

    item = ngx_kmip_ttlv_find(obj->chunks, NGX_KMIP_TAG_RECORD_CHUNK_IV);

    if (obj->material_len > NGX_KMIP_STORE_MATERIAL_MAX
        || obj->wrapped.len == 0
        || item == NULL || item->type != NGX_KMIP_TYPE_BYTE_STRING
        || item->v.str.len != NGX_KMIP_STORE_IV_LEN)
    {
        goto invalid;
    }

    ngx_memcpy(ctx->iv, item->v.str.data, NGX_KMIP_STORE_IV_LEN);

    if (ngx_kmip_store_chunks_alloc(ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    i = 0;

    for (item = ngx_kmip_ttlv_find(obj->chunks, NGX_KMIP_TAG_RECORD_CHUNK);
         item;
         item = ngx_kmip_ttlv_find_next(item, NGX_KMIP_TAG_RECORD_CHUNK))
    {
        key = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_RECORD_CHUNK_KEY);
        md = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_RECORD_CHUNK_DIGEST);

        if (i == ctx->total
            || key == NULL || key->type != NGX_KMIP_TYPE_TEXT_STRING
            || key->v.str.len == 0 || key->v.str.len > 100
            || md == NULL || md->type != NGX_KMIP_TYPE_BYTE_STRING
            || md->v.str.len != NGX_KMIP_STORE_MD_LEN)
        {
            goto invalid;
        }

        ctx->chunk_ids[i].data = (u_char *) key->v.str.data;
        ctx->chunk_ids[i].len = key->v.str.len;
        ngx_memcpy(ctx->chunk_md[i], md->v.str.data, NGX_KMIP_STORE_MD_LEN);
        i++;
    }

    if (i != ctx->total) {
        goto invalid;
    }

    return NGX_OK;

invalid:

    return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                               "the record's chunks do not match its "
                               "material");
}


static ngx_int_t
ngx_kmip_store_chunks_fetch(ngx_kmip_store_ctx_t *ctx)
{
    if (ngx_kmip_store_chunks_parse(ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->sealed.data = ngx_pnalloc(ctx->op->pool, ctx->sealed.len);
    if (ctx->sealed.data == NULL) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    return ngx_kmip_store_chunks_window(ctx, ngx_kmip_store_chunk_get,
                                        ngx_kmip_store_chunks_read);
}


static ngx_int_t
ngx_kmip_store_chunk_get(ngx_kmip_store_ctx_t *ctx, ngx_uint_t i)
{
    ngx_kmip_store_ref_t  *ref;

    ref = ngx_kmip_store_ref(ctx, i);
    if (ref == NULL) {
        return NGX_ERROR;
    }

    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_GET,
                                &ctx->chunk_ids[i], ngx_kmip_store_chunk_got,
                                ref);
}


static void
ngx_kmip_store_chunk_got(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ref_t  *ref = call->data;
    ngx_kmip_store_ctx_t  *ctx = ref->ctx;

    ctx->pending--;

    if (!ctx->failed
        && ngx_kmip_store_chunk_keep(ctx, call, ref->index) != NGX_OK)
    {
        ctx->failed = 1;
    }

    ngx_kmip_store_window(ctx);
}


/* a chunk's payload, checked against its digest, in its place */

static ngx_int_t
ngx_kmip_store_chunk_keep(ngx_kmip_store_ctx_t *ctx, ngx_kmip_kp_call_t *call,
    ngx_uint_t i)
{
    u_char              md[NGX_KMIP_STORE_MD_LEN];
    ngx_str_t           part;
    ngx_kmip_kp_key_t  *key;

    key = (call->result == NGX_KMIP_KP_OK && call->keys
           && call->keys->nelts) ? call->keys->elts : NULL;

    if (key == NULL && call->result != NGX_KMIP_KP_GONE
        && call->result != NGX_KMIP_KP_NOT_FOUND)
    {
        return ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_GET);
    }

    ngx_kmip_store_slice(ctx, i, &part);

    if (key == NULL || !ngx_kmip_store_live(key)) {
        ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                      "kmip store: Key Protect key %V, part %ui of the "
                      "material of \"%V\", is deleted: the object cannot "
                      "be read", &ctx->chunk_ids[i], i + 1, &ctx->name);

        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, call,
                                   "a Key Protect key holding part of the "
                                   "key material is deleted");
    }

    if (key->payload.len != part.len
        || EVP_Digest(key->payload.data, key->payload.len, md, NULL,
                      EVP_sha256(), NULL) != 1
        || CRYPTO_memcmp(md, ctx->chunk_md[i], NGX_KMIP_STORE_MD_LEN) != 0)
    {
        ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                      "kmip store: Key Protect key %V, part %ui of the "
                      "material of \"%V\", does not match its digest, "
                      "correlation id: %V", &ctx->chunk_ids[i], i + 1,
                      &ctx->name, &call->correlation_id);

        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, call,
                                   "a part of the key material does not "
                                   "match its digest");
    }

    ngx_memcpy(part.data, key->payload.data, part.len);

    return NGX_OK;
}


/* every chunk read: the material, decrypted and checked */

static void
ngx_kmip_store_chunks_read(ngx_kmip_store_ctx_t *ctx)
{
    int                 n;
    ngx_int_t           rc;
    ngx_uint_t          ok;
    ngx_str_t           s;
    EVP_CIPHER_CTX     *c;
    ngx_kmip_object_t  *obj = ctx->obj;

    if (ctx->failed) {
        ngx_kmip_store_finalize(ctx->op, NGX_ERROR);
        return;
    }

    if (ngx_kmip_kp_secret(ctx->op->pool, &s,
                           obj->material_len ? obj->material_len : 1)
        != NGX_OK)
    {
        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                "no memory"));
        return;
    }

    c = EVP_CIPHER_CTX_new();

    ok = c != NULL
         && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1
         && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN,
                                NGX_KMIP_STORE_IV_LEN, NULL) == 1
         && EVP_DecryptInit_ex(c, NULL, NULL, ctx->dek.data, ctx->iv) == 1
         && EVP_DecryptUpdate(c, NULL, &n, ctx->name.data,
                              (int) ctx->name.len) == 1
         && EVP_DecryptUpdate(c, s.data, &n, ctx->sealed.data,
                              (int) obj->material_len) == 1
         && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG,
                                NGX_KMIP_STORE_TAG_LEN,
                                ctx->sealed.data + obj->material_len) == 1
         && EVP_DecryptFinal_ex(c, s.data + n, &n) == 1;

    EVP_CIPHER_CTX_free(c);

    OPENSSL_cleanse(ctx->dek.data, ctx->dek.len);
    ngx_str_null(&ctx->dek);

    if (!ok) {
        ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                      "kmip store: the chunks of \"%V\" do not decrypt "
                      "under its data key", &ctx->name);

        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                "the key material does not decrypt "
                                "under its data key"));
        return;
    }

    s.len = obj->material_len;

    rc = ngx_kmip_store_material_checked(ctx, NULL, &s);

    if (rc == NGX_OK) {
        obj->material = s;
    }

    ngx_kmip_store_finalize(ctx->op, rc);
}


/* a Destroy deletes the chunks after the object's key (best effort) */

static void
ngx_kmip_store_chunks_doomed(ngx_kmip_store_ctx_t *ctx)
{
    ngx_str_t   *id;
    ngx_uint_t   i;

    if (ngx_kmip_store_chunks_parse(ctx) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                      "kmip store: the chunks of the destroyed \"%V\" are "
                      "not listed in its record: %V; delete the Key "
                      "Protect keys of this name by hand",
                      &ctx->name, &ctx->op->error);
        ctx->op->result = NGX_KMIP_STORE_OK;
        ngx_str_null(&ctx->op->error);
        return;
    }

    if (ctx->del_ids == NULL) {
        ctx->del_ids = ngx_array_create(ctx->op->pool, ctx->total,
                                        sizeof(ngx_str_t));
    }

    for (i = 0; ctx->del_ids && i < ctx->total; i++) {
        id = ngx_array_push(ctx->del_ids);
        if (id == NULL) {
            break;
        }

        *id = ctx->chunk_ids[i];
    }
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

static ngx_int_t
ngx_kmip_store_kp_fetch(ngx_kmip_store_op_t *op, ngx_str_t *uid,
    ngx_uint_t with_material)
{
    ngx_str_t              id;
    ngx_uint_t             generation;
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_ctx(op, &ctx) != NGX_OK) {
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

    /*
     * With the record of the key the map names, one listing is the whole
     * read when it shows that key still the highest generation; without
     * it, the key and its next alias are read at once. A write's read
     * reads the key: its create of the next generation is the check.
     */

    if (ngx_kmip_store_map_get(ctx, uid, &id, &generation) == NGX_OK
        && (ctx->op->for_update
            || ngx_kmip_store_rec_get(ctx, &id, NULL) != NGX_OK)
        && ngx_kmip_store_fetch_mapped(ctx, &id, generation) == NGX_AGAIN)
    {
        return NGX_AGAIN;
    }

    return ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_LIST,
                                &ngx_kmip_store_states_all,
                                ngx_kmip_store_fetch_listed, NULL);
}


/*
 * A read of an object in the key map: in one round trip, the GET of the
 * key the map names and the GET of the next generation's alias, which
 * must not exist (docs/key-protect.md#the-key-map). NGX_AGAIN, or
 * NGX_DECLINED when nothing started: the listing then.
 */

static ngx_int_t
ngx_kmip_store_fetch_mapped(ngx_kmip_store_ctx_t *ctx, ngx_str_t *id,
    ngx_uint_t generation)
{
    u_char              *p;
    ngx_str_t            next;
    ngx_kmip_kp_call_t  *call;

    p = ngx_pnalloc(ctx->op->pool, ctx->name.len + 2 + NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_DECLINED;
    }

    next.data = p;
    next.len = ngx_sprintf(p, "%V-g%ui", &ctx->name, generation + 1) - p;

    ctx->obj->kp_id = *id;
    ctx->obj->generation = generation;
    ctx->mapped = NULL;
    ctx->probed = NGX_KMIP_KP_FAILED;
    ctx->pending = 0;

    if (ctx->op->for_update) {
        /*
         * The read of a write: its create of g(N+1) fails with a conflict
         * if that alias was ever taken, and the write then reads again by
         * the listing; what it answers rests on a create that succeeded
         * (docs/key-protect.md#the-read-of-a-write)
         */
        ctx->probed = NGX_KMIP_KP_NOT_FOUND;
        goto by_id;
    }

    call = ngx_kmip_store_call(ctx, ngx_kmip_store_fetch_probed);
    if (call == NULL) {
        goto declined;
    }

    /* the answer hoped for: no key has that alias */
    call->expected = 1 << NGX_KMIP_KP_NOT_FOUND;
    call->quiet = 1;

    if (ngx_kmip_kp_get_key(ctx->kp, call, &next) != NGX_AGAIN) {
        goto declined;
    }

    ctx->pending++;

by_id:

    call = ngx_kmip_store_call(ctx, ngx_kmip_store_fetch_mapped_got);

    if (call && ngx_kmip_kp_get_key(ctx->kp, call, id) == NGX_AGAIN) {
        ctx->pending++;
    }

    if (ctx->pending == 0) {
        goto declined;
    }

    /* else the probe's answer finds no key read: the listing then */

    return NGX_AGAIN;

declined:

    ctx->obj->generation = 0;
    ngx_str_null(&ctx->obj->kp_id);

    return NGX_DECLINED;
}


static void
ngx_kmip_store_fetch_probed(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ctx_t  *ctx = call->data;

    ctx->probed = call->result;

    ngx_kmip_store_fetch_checked(ctx);
}


static void
ngx_kmip_store_fetch_mapped_got(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ctx_t  *ctx = call->data;

    ctx->mapped = call;

    ngx_kmip_store_fetch_checked(ctx);
}


/*
 * Both answers in: the key the map named is the object's current
 * generation only if it is live and active, bears the object's name, the
 * generation the map said and a scope of the client's, and no key has
 * the next generation's alias. Anything else: the map is wrong (a write
 * on another node, a deletion), forgotten, and the read lists the name as
 * every read did before the map.
 */

static void
ngx_kmip_store_fetch_checked(ngx_kmip_store_ctx_t *ctx)
{
    const char          *why;
    ngx_kmip_kp_key_t   *key;
    ngx_kmip_kp_call_t  *call;
    ngx_kmip_object_t   *obj = ctx->obj;

    if (--ctx->pending) {
        return;
    }

    call = ctx->mapped;

    key = (call && call->result == NGX_KMIP_KP_OK && call->keys
           && call->keys->nelts) ? call->keys->elts : NULL;

    if (key == NULL) {
        why = "not read";

    } else if (!ngx_kmip_store_named(ctx, key)) {
        why = "another object's";

    } else if (ngx_kmip_store_generation(&ctx->name, key)
               != obj->generation)
    {
        why = "of another generation";

    } else if (key->deleted || key->state != NGX_KMIP_KP_STATE_ACTIVE) {
        why = "deleted or not active";

    } else if (!ngx_kmip_store_key_in_scope(ctx, key)) {
        why = "of another scope";

    } else if (ctx->probed != NGX_KMIP_KP_NOT_FOUND) {
        why = "superseded";

    } else {
        why = NULL;
    }

    if (why == NULL) {
        ngx_log_debug2(NGX_LOG_DEBUG_STREAM, ctx->op->log, 0,
                       "kmip store: \"%V\" generation %ui from the key map",
                       &ctx->name, obj->generation);

        ngx_kmip_store_finalize(ctx->op,
                                ngx_kmip_store_fetch_read(ctx, call, key));
        return;
    }

    ngx_log_debug4(NGX_LOG_DEBUG_STREAM, ctx->op->log, 0,
                   "kmip store: the key map's %V for \"%V\" "
                   "(generation %ui) is %s: listing",
                   &obj->kp_id, &ctx->name, obj->generation, why);

    ngx_kmip_store_map_put(ctx, &obj->uid, NULL, 0);

    obj->generation = 0;
    ngx_str_null(&obj->kp_id);
    ngx_str_null(&ctx->op->error);
    ngx_str_null(&ctx->op->correlation_id);

    ngx_kmip_store_finalize(ctx->op,
                            ngx_kmip_store_start(ctx, NGX_KMIP_STORE_KP_LIST,
                                                 &ngx_kmip_store_states_all,
                                                 ngx_kmip_store_fetch_listed,
                                                 NULL));
}


/*
 * Whether a key holds an object of the client's scope, from the scope its
 * description names (none: the default scope). Known from a listing, so
 * that an object of another scope costs the calls a missing one does and
 * no more; the record's own scope is checked again when it is read
 * (ngx_kmip_store.c).
 */

static ngx_uint_t
ngx_kmip_store_key_in_scope(ngx_kmip_store_ctx_t *ctx, ngx_kmip_kp_key_t *key)
{
    u_char     *p, *last;
    ngx_str_t   scope;

    p = key->description.data;
    last = p + key->description.len;

    p = p ? ngx_strlcasestrn(p, last, (u_char *) NGX_KMIP_STORE_SCOPE_MARK,
                             sizeof(NGX_KMIP_STORE_SCOPE_MARK) - 2)
          : NULL;

    ngx_str_null(&scope);

    if (p) {
        p += sizeof(NGX_KMIP_STORE_SCOPE_MARK) - 1;

        for (scope.data = p; p < last && *p != ' '; p++) { /* void */ }

        scope.len = p - scope.data;
    }

    return ngx_kmip_store_in_scope(ctx->op->store, &scope);
}


/*
 * The generation of a key: its highest generation alias (a served key
 * has two, docs/key-protect.md#the-first-get), else its description's.
 */

static ngx_uint_t
ngx_kmip_store_generation(ngx_str_t *name, ngx_kmip_kp_key_t *key)
{
    u_char      *p, *last;
    ngx_int_t    n;
    ngx_uint_t   i, g;
    ngx_str_t   *alias;

    g = 0;
    alias = key->aliases ? key->aliases->elts : NULL;

    for (i = 0; key->aliases && i < key->aliases->nelts; i++) {
        if (alias[i].len > name->len + 2
            && ngx_strncmp(alias[i].data, name->data, name->len) == 0
            && alias[i].data[name->len] == '-'
            && alias[i].data[name->len + 1] == 'g')
        {
            n = ngx_atoi(alias[i].data + name->len + 2,
                         alias[i].len - name->len - 2);
            if (n > 0 && (ngx_uint_t) n > g) {
                g = (ngx_uint_t) n;
            }
        }
    }

    if (g) {
        return g;
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

    ngx_int_t  rc;

    if (ngx_kmip_store_call_failed(ctx->op, call, NGX_KMIP_STORE_KP_LIST)) {
        return;
    }

    rc = ngx_kmip_store_fetch_pick(ctx, call);

    if (rc == NGX_DECLINED) {
        rc = ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_NOT_FOUND, NULL,
                                 "no object with this Unique Identifier");
    }

    if (rc != NGX_OK) {
        ngx_kmip_store_finalize(ctx->op, rc);
        return;
    }

    if (ngx_kmip_store_fetch_kept(ctx, call) == NGX_OK) {
        return;
    }

    ngx_kmip_store_finalize(ctx->op, ngx_kmip_store_fetch_get(ctx));
}


/*
 * The listing shows the object's highest generation live and active, and
 * the node holds that key's record: the record is read from there, not
 * GET again (a key's payload never changes). NGX_DECLINED: the GET.
 */

static ngx_int_t
ngx_kmip_store_fetch_kept(ngx_kmip_store_ctx_t *ctx, ngx_kmip_kp_call_t *call)
{
    ngx_uint_t          i;
    ngx_kmip_kp_key_t  *key, kept;
    ngx_kmip_object_t  *obj = ctx->obj;

    if (obj->destroyed) {
        return NGX_DECLINED;
    }

    key = call->keys->elts;

    for (i = 0; i < call->keys->nelts; i++) {
        if (key[i].id.len == obj->kp_id.len
            && ngx_strncmp(key[i].id.data, obj->kp_id.data, obj->kp_id.len)
               == 0)
        {
            break;
        }
    }

    if (i == call->keys->nelts || key[i].deleted
        || key[i].state != NGX_KMIP_KP_STATE_ACTIVE)
    {
        return NGX_DECLINED;
    }

    kept = key[i];

    if (ngx_kmip_store_rec_get(ctx, &obj->kp_id, &kept.payload) != NGX_OK) {
        return NGX_DECLINED;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_STREAM, ctx->op->log, 0,
                   "kmip store: \"%V\" generation %ui: the record kept",
                   &ctx->name, obj->generation);

    ngx_kmip_store_finalize(ctx->op,
                            ngx_kmip_store_fetch_read(ctx, call, &kept));
    return NGX_OK;
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

    if (!ngx_kmip_store_key_in_scope(ctx, best)) {
        (void) ngx_kmip_store_fenced(ctx->op);
        return NGX_ERROR;
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
            || !ngx_kmip_store_live(&key[i])
            || ngx_kmip_store_generation(&ctx->name, &key[i]) == 0)
        {
            /* a chunk has no generation: it lives as long as the object */
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
        ngx_kmip_store_map_put(ctx, &obj->uid, NULL, 0);
        ngx_kmip_store_fetch_destroyed(ctx, key);
        ngx_kmip_store_finalize(op, NGX_OK);
        return;
    }

    if (key == NULL) {
        if (call->result == NGX_KMIP_KP_GONE
            || call->result == NGX_KMIP_KP_NOT_FOUND)
        {
            /* deleted (or purged) between the list and the get */
            ngx_kmip_store_map_put(ctx, &obj->uid, NULL, 0);
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

    ngx_kmip_store_finalize(op, ngx_kmip_store_fetch_read(ctx, call, key));
}


/* the record of the object's current generation, then the unwrap */

static ngx_int_t
ngx_kmip_store_fetch_read(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_kmip_kp_key_t *key)
{
    ngx_kmip_store_op_t  *op = ctx->op;
    ngx_kmip_object_t    *obj = ctx->obj;

    if (ngx_kmip_store_decode(op, obj, &key->payload, &obj->uid,
                              obj->generation)
        != NGX_OK)
    {
        op->result = NGX_KMIP_STORE_FAILED;
        op->correlation_id = call->correlation_id;

        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "kmip store: Key Protect key %V: %V",
                      &obj->kp_id, &op->error);

        ngx_kmip_store_map_put(ctx, &obj->uid, NULL, 0);

        return NGX_ERROR;
    }

    op->object = obj;
    /* the key cache may keep the record read */
    op->record = key->payload;

    ngx_kmip_store_rec_put(ctx, &obj->kp_id, &key->payload);

    /*
     * Live keys of older generations (leftovers) are seen by a listing
     * only: such an object stays out of the map until an update deletes
     * them.
     */
    ngx_kmip_store_map_put(ctx, &obj->uid, &obj->kp_id,
                           (obj->stale && obj->stale->nelts)
                           ? 0 : obj->generation);

    return ngx_kmip_store_fetch_unwrap(ctx);
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
 * A read unwraps when the caller wants the material, or when the root key
 * did not wrap or unwrap for this node in the last
 * NGX_KMIP_STORE_CRK_FRESH seconds: the unwrap is what proves that the
 * CRK is still usable, so that deleting or disabling the CRK stops Get
 * Attributes as well as Get, within that bound
 * (docs/key-protect.md#the-root-keys-liveness); its answer carries the
 * ciphertext re-wrapped under the newest CRK version after a rotation,
 * which the next update stores.
 */

static ngx_int_t
ngx_kmip_store_fetch_unwrap(ngx_kmip_store_ctx_t *ctx)
{
    if (ctx->obj->wrapped.len == 0) {
        return NGX_OK;
    }

    if (!ctx->with_material && ngx_kmip_store_crk_fresh(ctx->kp)) {
        /*
         * no material wanted, and the root key wrapped or unwrapped for
         * this node less than NGX_KMIP_STORE_CRK_FRESH seconds ago
         */
        ngx_log_debug1(NGX_LOG_DEBUG_STREAM, ctx->op->log, 0,
                       "kmip store: \"%V\": the root key is usable, "
                       "no unwrap", &ctx->name);
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

    ngx_kmip_store_crk_seen(ctx->kp, 1);

    rc = ngx_kmip_store_fetch_material(ctx, call);

    OPENSSL_cleanse(call->plaintext.data, call->plaintext.len);

    if (rc == NGX_OK && call->ciphertext.len) {
        /*
         * The CRK was rotated since this record was written: Key Protect
         * re-wrapped the material under the newest version. The object
         * carries the new ciphertext, so the next update stores it.
         */
        obj->wrapped = call->ciphertext;

        /* the cache keeps no copy that the next read would re-wrap */
        ngx_str_null(&ctx->op->record);

        ngx_log_error(NGX_LOG_INFO, ctx->op->log, 0,
                      "kmip store: \"%V\" is wrapped by an older root key "
                      "version; the next update stores it re-wrapped under "
                      "version %V", &ctx->name, &call->key_version);
    }

    if (rc == NGX_OK && obj->chunks && ctx->with_material) {
        rc = ngx_kmip_store_chunks_fetch(ctx);
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

    if (obj->chunks) {
        if (call->plaintext.len != NGX_KMIP_STORE_DEK_LEN) {
            return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, call,
                                       "the unwrapped data key has the "
                                       "wrong length");
        }

        if (!ctx->with_material) {
            /* the unwrap proved the CRK usable; the data key is not kept */
            return NGX_OK;
        }

        /* the data key of the chunks, kept for them */

        if (ngx_kmip_kp_secret(ctx->op->pool, &ctx->dek,
                               NGX_KMIP_STORE_DEK_LEN)
            != NGX_OK)
        {
            return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, NULL,
                                       "no memory");
        }

        ctx->dek.len = ngx_cpymem(ctx->dek.data, call->plaintext.data,
                                  NGX_KMIP_STORE_DEK_LEN)
                       - ctx->dek.data;
        return NGX_OK;
    }

    if (ngx_kmip_store_material_checked(ctx, call, &call->plaintext)
        != NGX_OK)
    {
        return NGX_ERROR;
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
 * The material, unwrapped or decrypted from chunks, has the length and
 * the Digest the record says (call: the call that answered it, if any)
 */

static ngx_int_t
ngx_kmip_store_material_checked(ngx_kmip_store_ctx_t *ctx,
    ngx_kmip_kp_call_t *call, ngx_str_t *material)
{
    ngx_kmip_object_t  *obj = ctx->obj;

    if (material->len != obj->material_len) {
        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, call,
                                   "the unwrapped key material has the "
                                   "wrong length");
    }

    if (ngx_kmip_store_check_digest(ctx->op, obj, material) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ctx->op->log, 0,
                      "kmip store: the key material Key Protect unwrapped "
                      "for \"%V\" does not match its Digest, correlation "
                      "id: %V", &ctx->name,
                      call ? &call->correlation_id : &ctx->op->correlation_id);

        return ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_FAILED, call,
                                   "the unwrapped key material does not "
                                   "match its Digest");
    }

    return NGX_OK;
}


/*
 * The Digest the object was created with (SHA-256 of its material,
 * ngx_kmip_op_digest()) is the one fact about the material that Key
 * Protect does not hold: an unwrap answering other bytes of the right
 * length, from a fault or a hostile endpoint, must not be served as the
 * key. A symmetric key's is over the Raw bytes, a key of public key
 * cryptography's over its bytes as kept (in the Key Format Type its
 * subtype names) or, for RSA, over their PKCS#1 form, which the keys/
 * layer makes here. Digests of other algorithms or formats are not
 * checked; an object without a Digest (a record older than the
 * attribute) has nothing to be checked against.
 */

static ngx_int_t
ngx_kmip_store_check_digest(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj,
    ngx_str_t *material)
{
    u_char                  md[EVP_MAX_MD_SIZE];
    unsigned int            n;
    ngx_int_t               rc;
    ngx_str_t               input;
    ngx_kmip_attr_t        *a;
    ngx_kmip_item_t        *alg, *fmt, *value, *der;

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
            || value == NULL || value->type != NGX_KMIP_TYPE_BYTE_STRING)
        {
            continue;
        }

        der = NULL;

        rc = ngx_kmip_store_digest_input(op, obj, material,
                                         fmt ? (uint32_t) fmt->v.num : 0,
                                         &input, &der);
        if (rc == NGX_DECLINED) {
            continue;
        }

        if (rc != NGX_OK
            || EVP_Digest(input.data, input.len, md, &n, EVP_sha256(), NULL)
               != 1)
        {
            rc = NGX_ERROR;

        } else if (value->v.str.len != n
                   || CRYPTO_memcmp(value->v.str.data, md, n) != 0)
        {
            rc = NGX_ERROR;
        }

        if (der) {
            ngx_kmip_keys_wipe_item(der);
        }

        OPENSSL_cleanse(md, sizeof(md));

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * The bytes a Digest of Key Format Type fmt (0: none) was taken over, or
 * NGX_DECLINED for a form the store cannot make; *der, when set, is a
 * converted form for the caller to wipe
 */

static ngx_int_t
ngx_kmip_store_digest_input(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj,
    ngx_str_t *material, uint32_t fmt, ngx_str_t *input, ngx_kmip_item_t **der)
{
    ngx_uint_t              pkey;
    ngx_kmip_key_t          key;
    ngx_kmip_item_t         kept;
    ngx_kmip_allocator_t    a;
    ngx_kmip_keys_error_t   err;

    *input = *material;

    pkey = (obj->object_type == NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY
            || obj->object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY);

    if (fmt == 0 || fmt == NGX_KMIP_KEY_FORMAT_TYPE_RAW
        || (pkey && fmt == obj->subtype))
    {
        return NGX_OK;
    }

    if (!pkey || fmt != NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1 || obj->subtype == 0) {
        return NGX_DECLINED;
    }

    ngx_memzero(&kept, sizeof(ngx_kmip_item_t));
    kept.tag = NGX_KMIP_TAG_KEY_MATERIAL;
    kept.type = NGX_KMIP_TYPE_BYTE_STRING;
    kept.v.str.data = material->data;
    kept.v.str.len = material->len;

    key.object_type = obj->object_type;
    key.format = (uint32_t) obj->subtype;
    key.algorithm = 0;
    key.material = &kept;

    a.alloc = ngx_kmip_store_alloc;
    a.data = op->pool;

    if (ngx_kmip_keys_convert(&a, &key, NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1, der,
                              &err)
        != NGX_KMIP_KEYS_OK)
    {
        return NGX_ERROR;
    }

    input->data = (u_char *) (*der)->v.str.data;
    input->len = (*der)->v.str.len;

    return NGX_OK;
}


/* ---------------------------------------------------------------- update */

/*
 * The start of a write of obj, an object read before (an update, a
 * Destroy): its context, with the names of the generation written (0:
 * the name alone). NGX_OK, or NGX_ERROR with the failure recorded; gone
 * says why when the object is destroyed already.
 */

static ngx_int_t
ngx_kmip_store_write_begin(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj,
    ngx_uint_t generation, const char *gone, ngx_kmip_store_ctx_t **ctxp)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_ctx(op, &ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (obj->kp_id.len == 0) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_GONE, NULL, gone);
    }

    ctx->obj = obj;
    op->object = obj;

    if (ngx_kmip_store_names(ctx, &obj->uid, generation) != NGX_OK) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    *ctxp = ctx;

    return NGX_OK;
}


/*
 * An update writes generation N+1 (its alias is the compare-and-swap),
 * then deletes generation N (update_created), then the older generations
 * a failed delete left live (update_deleted, delete_rest).
 */

static ngx_int_t
ngx_kmip_store_kp_update(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_write_begin(op, obj, obj->generation + 1,
                                   "the object is destroyed", &ctx)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->old_id = obj->kp_id;

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
        ngx_kmip_store_map_put(ctx, &ctx->obj->uid, NULL, 0);

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

    ngx_kmip_store_rec_put(ctx, &ctx->new_id, &ctx->record);

    if (ngx_kmip_store_cleanup_later(ctx) == NGX_OK) {
        /* generation N goes after the answer: no reader depends on it */
        ctx->obj->kp_id = ctx->new_id;
        ctx->obj->generation++;
        ctx->obj->stale = NULL;
        ngx_kmip_store_finalize(ctx->op, NGX_OK);
        return;
    }

    /* too many deletions pending: this one before the answer, as ever */
    ngx_kmip_store_cleanup_observe(NGX_KMIP_STORE_CLEANUP_BEFORE_ANSWER);

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

        /* gN is left over: reads list, and the next update deletes it */
        ngx_kmip_store_map_put(ctx, &ctx->obj->uid, NULL, 0);

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

    /* gN left over (the delete failed): reads list until it is deleted */
    ngx_kmip_store_map_put(ctx, &obj->uid, &obj->kp_id,
                           call->result == NGX_KMIP_KP_OK
                           ? obj->generation : 0);

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

    ngx_kmip_store_map_put(ctx, &ctx->obj->uid, NULL, 0);

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


/*
 * The first Get's Fresh False (docs/key-protect.md#the-first-get): the key
 * of generation N takes the alias of generation N+1, one call and no new
 * key. Readers take that key as generation N+1, its record served
 * (ngx_kmip_store_decode()); a write that read N finds the alias taken by
 * its create and reads again, as it would after any other write; and the
 * alias goes with the key when the next write deletes it. The mark makes
 * no key, so it never brings a destroyed object back; a deleted key
 * refuses the alias, and the Get reads again and finds it destroyed.
 */

static ngx_int_t
ngx_kmip_store_kp_serve(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    ngx_kmip_kp_call_t    *call;
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_write_begin(op, obj, obj->generation + 1,
                                   "the object is destroyed", &ctx)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    call = ngx_kmip_store_call(ctx, ngx_kmip_store_served);
    if (call == NULL) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "no memory");
    }

    if (ngx_kmip_kp_create_alias(ctx->kp, call, &obj->kp_id, &ctx->alias)
        != NGX_AGAIN)
    {
        return ngx_kmip_store_kp_fail(op, call, NGX_KMIP_STORE_KP_ALIAS);
    }

    return NGX_AGAIN;
}


static void
ngx_kmip_store_served(ngx_kmip_kp_call_t *call)
{
    ngx_kmip_store_ctx_t  *ctx = call->data;
    ngx_kmip_object_t     *obj = ctx->obj;

    switch (call->result) {

    case NGX_KMIP_KP_OK:
        obj->generation++;

        ngx_kmip_store_map_put(ctx, &obj->uid, &obj->kp_id,
                               (obj->stale && obj->stale->nelts)
                               ? 0 : obj->generation);

        ngx_kmip_store_finalize(ctx->op, NGX_OK);
        return;

    case NGX_KMIP_KP_CONFLICT:
    case NGX_KMIP_KP_GONE:
    case NGX_KMIP_KP_NOT_FOUND:
        /*
         * A write made generation N+1 first, or the key of N was deleted
         * (a write's clean-up, or the object destroyed): the caller reads
         * again and finds which.
         */
        ngx_kmip_store_map_put(ctx, &obj->uid, NULL, 0);

        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_fail(ctx->op, NGX_KMIP_STORE_CONFLICT, call,
                                "the object changed since it was read "
                                "(Key Protect alias refused)"));
        return;

    default:
        ngx_kmip_store_finalize(ctx->op,
            ngx_kmip_store_kp_fail(ctx->op, call, NGX_KMIP_STORE_KP_ALIAS));
        return;
    }
}


/* --------------------------------------------------------------- destroy */

static ngx_int_t
ngx_kmip_store_kp_destroy(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_write_begin(op, obj, 0,
                                   "the object is already destroyed", &ctx)
        != NGX_OK)
    {
        return NGX_ERROR;
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

    ngx_kmip_store_map_put(ctx, &ctx->obj->uid, NULL, 0);

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

    if (ctx->kind == NGX_KMIP_STORE_DESTROY && ctx->obj->chunks) {
        ngx_kmip_store_chunks_doomed(ctx);
    }

    ngx_kmip_store_delete_rest(ctx);
}


/* ------------------------------------------------------------------ list */

/*
 * A list reads every page of keys named "kmip-..." (list_listed), keeping
 * each object's highest generation, then GETs the live ones, a window of
 * them at a time (ngx_kmip_store_window, list_got).
 */

static ngx_int_t
ngx_kmip_store_kp_list(ngx_kmip_store_op_t *op)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_ctx(op, &ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->cands = ngx_array_create(op->pool, 16,
                                  sizeof(ngx_kmip_store_cand_t));

    if (ctx->cands == NULL) {
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
    ctx->total = ctx->cands->nelts;
    ctx->step = ngx_kmip_store_list_get;
    ctx->done = ngx_kmip_store_list_done;

    ngx_kmip_store_window(ctx);
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

        /* another scope's object is not read at all */
        cand->live = ngx_kmip_store_live(key)
                     && ngx_kmip_store_key_in_scope(ctx, key);
    }

    return NGX_OK;
}


/*
 * Keeps up to NGX_KMIP_STORE_WINDOW calls of ctx->step in flight, one per
 * item from ctx->next to ctx->total; each call's handler decrements
 * ctx->pending (setting ctx->failed on a failure) and calls this again.
 * Once none is in flight and the items are done or one failed, ctx->done
 * runs.
 */

static void
ngx_kmip_store_window(ngx_kmip_store_ctx_t *ctx)
{
    ngx_int_t  rc;

    while (!ctx->failed
           && ctx->pending < NGX_KMIP_STORE_WINDOW
           && ctx->next < ctx->total)
    {
        rc = ctx->step(ctx, ctx->next++);

        if (rc == NGX_DECLINED) {
            continue;
        }

        if (rc != NGX_AGAIN) {
            ctx->failed = 1;
            break;
        }

        ctx->pending++;
    }

    if (ctx->pending == 0
        && (ctx->failed || ctx->next >= ctx->total))
    {
        ctx->done(ctx);
    }
}


static void
ngx_kmip_store_list_done(ngx_kmip_store_ctx_t *ctx)
{
    ngx_kmip_store_finalize(ctx->op, ctx->failed ? NGX_ERROR : NGX_OK);
}


/* GETs the record of the live object i: NGX_AGAIN, NGX_DECLINED or
 * NGX_ERROR */

static ngx_int_t
ngx_kmip_store_list_get(ngx_kmip_store_ctx_t *ctx, ngx_uint_t i)
{
    ngx_kmip_store_ref_t   *ref;
    ngx_kmip_store_cand_t  *cand;

    cand = (ngx_kmip_store_cand_t *) ctx->cands->elts + i;

    if (!cand->live) {
        return NGX_DECLINED;
    }

    ref = ngx_kmip_store_ref(ctx, i);
    if (ref == NULL) {
        return NGX_ERROR;
    }

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

    ngx_kmip_store_window(ctx);
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


/* an object the batch made: every live Key Protect key of its name goes */

static ngx_int_t
ngx_kmip_store_kp_remove(ngx_kmip_store_op_t *op, ngx_str_t *uid)
{
    return ngx_kmip_store_remove(op, uid, NGX_LOG_INFO,
                                 "made by a batch that was undone");
}


static ngx_int_t
ngx_kmip_store_remove(ngx_kmip_store_op_t *op, ngx_str_t *uid,
    ngx_uint_t level, const char *why)
{
    ngx_kmip_store_ctx_t  *ctx;

    if (ngx_kmip_store_ctx(op, &ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!ngx_kmip_store_valid_uid(uid)) {
        return ngx_kmip_store_fail(op, NGX_KMIP_STORE_FAILED, NULL,
                                   "invalid Unique Identifier");
    }

    ctx->why = why;
    ctx->why_level = level;

    ngx_kmip_store_map_put(ctx, uid, NULL, 0);

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
    ngx_kmip_store_t        *store;
    ngx_kmip_store_op_t     *op;
    ngx_kmip_store_sweep_t  *sw = ev->data;

    sw->pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, ev->log);
    if (sw->pool == NULL) {
        ngx_kmip_store_sweep_next(sw);
        return;
    }

    store = ngx_kmip_store_open(sw->pool, ev->log, &ngx_kmip_store_kp_backend,
                                sw->kp, NULL);
    op = store ? ngx_kmip_store_op_create(store, sw->pool) : NULL;

    if (op == NULL) {
        ngx_kmip_store_sweep_next(sw);
        return;
    }

    op->handler = ngx_kmip_store_swept;
    op->data = sw;
    op->kind = NGX_KMIP_STORE_REMOVE;

    uid.data = sw->uid;
    uid.len = NGX_KMIP_STORE_UID_LEN;

    if (ngx_kmip_store_remove(op, &uid, NGX_LOG_WARN,
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


/* ------------------------------------------------ deletion after answer */

/*
 * An update answers once generation N+1 is created: readers take the
 * highest generation (the listing), or check the next generation's alias
 * (the key map), so no reader depends on generation N being gone. Its
 * deletion, and that of older generations left over, runs here, in the
 * worker, after the answer: at once, then retried after 1 and 3 seconds
 * (each try as long as kmip_keyprotect_timeout), at most
 * NGX_KMIP_STORE_CLEANUPS_MAX at a time per worker (beyond that an update
 * deletes before it answers, as it always did).
 *
 * The key map names N+1 meanwhile, marked pending until the last try
 * could end: a worker that stops before the deletion (crash, stop) leaves
 * generation N live beside N+1, and reads of the object list again from
 * then on, find N as a leftover, and the next update deletes it.
 *
 * Generation N deleted by someone else (410 or 404 on the first try): an
 * operator's deletion of the object's key raced with the update, or a
 * later writer that found N left over deleted it after writing N+2.
 * Either way N+1 goes too: the object stays destroyed in the first case
 * (design requirement 4), and N+1 was superseded in the second.
 */

#define NGX_KMIP_STORE_CLEANUPS_MAX   256
#define NGX_KMIP_STORE_CLEANUP_TRIES  3
#define NGX_KMIP_STORE_CLEANUP_DELAY  1000


static ngx_int_t
ngx_kmip_store_cleanup_later(ngx_kmip_store_ctx_t *ctx)
{
    time_t                     pending;
    ngx_str_t                 *id, *stale;
    ngx_uint_t                 i, n;
    ngx_pool_t                *pool;
    ngx_kmip_object_t         *obj = ctx->obj;
    ngx_kmip_store_cleanup_t  *cl;

    if (ngx_kmip_store_cleanups >= NGX_KMIP_STORE_CLEANUPS_MAX) {
        return NGX_DECLINED;
    }

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, ngx_cycle->log);
    if (pool == NULL) {
        return NGX_DECLINED;
    }

    n = 1 + (obj->stale ? obj->stale->nelts : 0);

    cl = ngx_pcalloc(pool, sizeof(ngx_kmip_store_cleanup_t));
    if (cl == NULL) {
        goto failed;
    }

    cl->pool = pool;
    cl->ids = ngx_array_create(pool, n + 1, sizeof(ngx_str_t));
    cl->uid.data = ngx_pstrdup(pool, &obj->uid);
    cl->new_id.data = ngx_pstrdup(pool, &ctx->new_id);

    if (cl->ids == NULL || cl->uid.data == NULL || cl->new_id.data == NULL) {
        goto failed;
    }

    cl->uid.len = obj->uid.len;
    cl->new_id.len = ctx->new_id.len;

    stale = obj->stale ? obj->stale->elts : NULL;

    for (i = 0; i < n; i++) {
        id = ngx_array_push(cl->ids);
        if (id == NULL) {
            goto failed;
        }

        *id = (i == 0) ? ctx->old_id : stale[i - 1];

        id->data = ngx_pstrdup(pool, id);
        if (id->data == NULL) {
            goto failed;
        }
    }

    cl->fd = (ngx_socket_t) -1;
    cl->kp = ctx->kp;
    cl->keyspace = ngx_kmip_store_map_keyspace(ctx);
    cl->generation = obj->generation + 1;

    cl->event.data = cl;
    cl->event.handler = ngx_kmip_store_cleanup_handler;
    cl->event.log = ngx_cycle->log;

    /* an exiting worker does not wait for it: a leftover, found later */
    cl->event.cancelable = 1;

    ngx_kmip_store_cleanups++;

    /* the longest the tries can take, and a second for the clock */
    pending = ngx_time() + 1
              + (NGX_KMIP_STORE_CLEANUP_TRIES * ngx_kmip_kp_timeout(ctx->kp)
                 + 4 * NGX_KMIP_STORE_CLEANUP_DELAY) / 1000;

    ngx_kmip_store_map_set(cl->keyspace, &cl->uid, &cl->new_id,
                           cl->generation, pending);

    ngx_log_debug3(NGX_LOG_DEBUG_STREAM, ctx->op->log, 0,
                   "kmip store: \"%V\" generation %ui written, %ui old "
                   "key(s) to delete after the answer",
                   &ctx->name, cl->generation, n);

    ngx_kmip_store_cleanup_next(cl);

    /* the request's audit line names the deletion it started */

    if (cl->call && cl->call->correlation_id.len) {
        id = ngx_palloc(ctx->op->pool, sizeof(ngx_str_t));

        if (id) {
            id->data = ngx_pstrdup(ctx->op->pool, &cl->call->correlation_id);
            id->len = id->data ? cl->call->correlation_id.len : 0;

            (void) ngx_kmip_store_trace(ctx->op, id);
        }
    }

    return NGX_OK;

failed:

    ngx_destroy_pool(pool);

    return NGX_DECLINED;
}


static void
ngx_kmip_store_cleanup_next(ngx_kmip_store_cleanup_t *cl)
{
    ngx_str_t           *id;
    ngx_kmip_kp_call_t  *call;

    if (cl->next < cl->ids->nelts) {
        id = (ngx_str_t *) cl->ids->elts + cl->next;

        call = ngx_kmip_kp_call_create(cl->pool, ngx_cycle->log);
        if (call == NULL) {
            ngx_kmip_store_cleanup_failed(cl, NULL);
            return;
        }

        call->handler = ngx_kmip_store_cleanup_deleted;
        call->data = cl;
        cl->call = call;
        call->expected = (1 << NGX_KMIP_KP_GONE)
                         | (1 << NGX_KMIP_KP_NOT_FOUND);

        if (ngx_kmip_kp_delete_key(cl->kp, call, id) != NGX_AGAIN) {
            ngx_kmip_store_cleanup_failed(cl, call);
        }

        return;
    }

    if (!cl->raced && cl->left == 0) {
        /* nothing left over: reads of the object need not list */
        ngx_kmip_store_map_set(cl->keyspace, &cl->uid, &cl->new_id,
                               cl->generation, 0);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_STREAM, ngx_cycle->log, 0,
                   "kmip store: deletions after the answer done for "
                   "\"kmip-%V\", %ui left over", &cl->uid, cl->left);

    ngx_kmip_store_cleanups--;
    ngx_destroy_pool(cl->pool);
}


static void
ngx_kmip_store_cleanup_deleted(ngx_kmip_kp_call_t *call)
{
    ngx_str_t                 *id;
    ngx_kmip_store_cleanup_t  *cl = call->data;

    if (call->result == NGX_KMIP_KP_GONE
        || call->result == NGX_KMIP_KP_NOT_FOUND)
    {
        if (cl->next == 0 && cl->tries == 0 && !cl->raced) {
            /* someone else deleted generation N: N+1 goes too */
            cl->raced = 1;

            ngx_kmip_store_map_set(cl->keyspace, &cl->uid, NULL, 0, 0);
            ngx_kmip_store_cleanup_observe(NGX_KMIP_STORE_CLEANUP_RACED);

            ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                          "kmip store: Key Protect key %V of \"kmip-%V\" "
                          "was deleted by another than the update that "
                          "superseded it (the object's deletion, or a "
                          "later update): deleting generation %ui, %V, too",
                          (ngx_str_t *) cl->ids->elts, &cl->uid,
                          cl->generation, &cl->new_id);

            id = ngx_array_push(cl->ids);
            if (id) {
                *id = cl->new_id;

            } else {
                ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                              "kmip store: Key Protect key %V of the "
                              "destroyed object \"kmip-%V\" could not be "
                              "deleted; delete it by hand",
                              &cl->new_id, &cl->uid);
            }
        }

        /* else a retried deletion that an earlier try did */

    } else if (call->result != NGX_KMIP_KP_OK) {
        ngx_kmip_store_cleanup_failed(cl, call);
        return;

    } else {
        ngx_kmip_store_cleanup_observe(NGX_KMIP_STORE_CLEANUP_DELETED);
    }

    cl->next++;
    cl->tries = 0;

    ngx_kmip_store_cleanup_next(cl);
}


/* a try failed: again later, or the key is left over */

static void
ngx_kmip_store_cleanup_failed(ngx_kmip_store_cleanup_t *cl,
    ngx_kmip_kp_call_t *call)
{
    ngx_str_t   *id, none = ngx_string("no memory");
    ngx_msec_t   delay;

    id = (ngx_str_t *) cl->ids->elts + cl->next;

    if (++cl->tries < NGX_KMIP_STORE_CLEANUP_TRIES) {
        ngx_kmip_store_cleanup_observe(NGX_KMIP_STORE_CLEANUP_RETRIED);

        delay = (cl->tries == 1) ? NGX_KMIP_STORE_CLEANUP_DELAY
                                 : 3 * NGX_KMIP_STORE_CLEANUP_DELAY;

        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "kmip store: Key Protect key %V of \"kmip-%V\" "
                      "could not be deleted: %V; trying again in %M ms",
                      id, &cl->uid, call ? &call->error : &none, delay);

        ngx_add_timer(&cl->event, delay);
        return;
    }

    ngx_kmip_store_cleanup_observe(NGX_KMIP_STORE_CLEANUP_LEFT_OVER);

    if (cl->raced && cl->next == cl->ids->nelts - 1) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "kmip store: Key Protect key %V of the destroyed "
                      "object \"kmip-%V\" could not be deleted: %V; "
                      "delete it by hand", id, &cl->uid,
                      call ? &call->error : &none);

    } else {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "kmip store: Key Protect key %V of \"kmip-%V\" "
                      "could not be deleted after %ui tries: %V; it is "
                      "left over, and the next update of the object "
                      "deletes it", id, &cl->uid, cl->tries,
                      call ? &call->error : &none);
    }

    /* reads list, and so find it, until an update deletes it */
    ngx_kmip_store_map_set(cl->keyspace, &cl->uid, NULL, 0, 0);

    cl->left++;
    cl->next++;
    cl->tries = 0;

    ngx_kmip_store_cleanup_next(cl);
}


static void
ngx_kmip_store_cleanup_handler(ngx_event_t *ev)
{
    ngx_kmip_store_cleanup_next(ev->data);
}


static void
ngx_kmip_store_cleanup_observe(ngx_kmip_store_cleanup_e what)
{
    if (ngx_kmip_store_cleanup_observer) {
        ngx_kmip_store_cleanup_observer(what);
    }
}


/* ---------------------------------------------------------------- key map */

/*
 * The node's map from Unique Identifier to the Key Protect key of the
 * object's current generation (its id and generation), in shared memory:
 * a read of an object that any worker of the node read or wrote before
 * GETs that key by id, and asks in the same round trip whether the next
 * generation's alias exists, instead of listing the name first. Nothing in
 * it is secret (a Key Protect key id is not a credential), nothing in it
 * is trusted: a key deleted, of another name, generation or state, or a
 * next generation that exists send the read back to the listing
 * (docs/key-protect.md#the-key-map). A Unique Identifier may take any
 * of NGX_KMIP_STORE_WAYS slots: a free one, else one at random, whose
 * object then costs one listing more, never a wrong answer.
 */

#define NGX_KMIP_STORE_MAP_NAME      "kmip_kp_map"
#define NGX_KMIP_STORE_MAP_SLOTS     8192
#define NGX_KMIP_STORE_MAP_SIZE      (8 * 1024 * 1024)
#define NGX_KMIP_STORE_ID_LEN        36

/*
 * The records of the keys the node read or wrote last, by Key Protect key
 * id (a key's payload never changes): a read whose listing shows that key
 * as the object's live highest generation takes its record from here
 * instead of GETting it (docs/key-protect.md#the-record-of-a-key).
 * A key id may take any of NGX_KMIP_STORE_WAYS slots: a free one, else
 * the one kept longest; each is kept at most NGX_KMIP_STORE_REC_KEEP
 * seconds.
 */
#define NGX_KMIP_STORE_REC_SLOTS     4096
#define NGX_KMIP_STORE_REC_KEEP      300

/*
 * The slots one entry may take (both tables): with one, two objects
 * read in turn that land on the same slot would push each other out at
 * every read, each read then costing a listing and a GET more
 */
#define NGX_KMIP_STORE_WAYS          4


#define NGX_KMIP_STORE_MAP_KEEP      ((time_t) -1)

/*
 * An attribute-only read (Get Attributes, attribute changes, Activate,
 * Revoke, Destroy...) unwraps nothing while the object's root key wrapped
 * or unwrapped for a worker of this node less than this many seconds ago
 * (docs/key-protect.md#the-root-keys-liveness)
 */
#define NGX_KMIP_STORE_CRK_FRESH     5
#define NGX_KMIP_STORE_CRK_SLOTS     16


typedef struct {
    uint32_t                    keyspace;   /* ngx_kmip_kp_keyspace() */
    uint32_t                    generation; /* 0: a free slot */
    time_t                      pending;    /* 0, or until when the old
                                               generation's deletion
                                               after the answer may run */
    u_char                      uid[NGX_KMIP_STORE_UID_LEN];
    u_char                      id[NGX_KMIP_STORE_ID_LEN];
} ngx_kmip_store_map_slot_t;


/* when a root key last wrapped or unwrapped for this node */

typedef struct {
    uint32_t                    root;       /* ngx_kmip_kp_root_keyspace() */
    time_t                      usable;     /* 0: refused, or never seen */
} ngx_kmip_store_crk_t;


/* a record: Key Protect's payload of a key, as it holds it */

typedef struct {
    uint32_t                    keyspace;
    uint32_t                    len;        /* 0: a free slot */
    time_t                      stored;
    u_char                     *data;       /* in the zone */
    u_char                      id[NGX_KMIP_STORE_ID_LEN];
} ngx_kmip_store_rec_slot_t;


typedef struct {
    ngx_kmip_store_crk_t        crk[NGX_KMIP_STORE_CRK_SLOTS];
    ngx_kmip_store_rec_slot_t  *recs;
    ngx_uint_t                  nrecs;
    ngx_uint_t                  nslots;
    ngx_kmip_store_map_slot_t   slots[1];
} ngx_kmip_store_map_sh_t;


typedef struct {
    ngx_slab_pool_t            *shpool;
    ngx_kmip_store_map_sh_t    *sh;
} ngx_kmip_store_map_t;


static ngx_int_t ngx_kmip_store_map_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);


/* the map zone's tag, the same whichever module adds it */
static ngx_uint_t  ngx_kmip_store_map_tag;


ngx_int_t
ngx_kmip_store_kp_map_add(ngx_conf_t *cf)
{
    ngx_str_t              name;
    ngx_shm_zone_t        *zone;
    ngx_kmip_store_map_t  *map;

    ngx_str_set(&name, NGX_KMIP_STORE_MAP_NAME);

    /* one tag for the stream and the http module: one zone for both */
    zone = ngx_shared_memory_add(cf, &name, NGX_KMIP_STORE_MAP_SIZE,
                                 &ngx_kmip_store_map_tag);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    if (zone->data) {
        /* another Key Protect configuration added it already */
        return NGX_OK;
    }

    map = ngx_pcalloc(cf->pool, sizeof(ngx_kmip_store_map_t));
    if (map == NULL) {
        return NGX_ERROR;
    }

    zone->init = ngx_kmip_store_map_init_zone;
    zone->data = map;

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_store_map_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_kmip_store_map_t *omap = data;

    size_t                 len;
    ngx_int_t              rc;
    ngx_slab_pool_t       *shpool;
    ngx_kmip_store_map_t  *map;

    map = shm_zone->data;

    if (omap) {
        map->shpool = omap->shpool;
        map->sh = omap->sh;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    map->shpool = shpool;

    rc = ngx_kmip_kp_shm_init(shm_zone, sizeof(ngx_kmip_store_map_sh_t)
                                        + (NGX_KMIP_STORE_MAP_SLOTS - 1)
                                          * sizeof(ngx_kmip_store_map_slot_t),
                              "kmip Key Protect map");
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    map->sh = shpool->data;

    if (rc == NGX_DONE) {
        return NGX_OK;
    }

    map->sh->nslots = NGX_KMIP_STORE_MAP_SLOTS;

    len = NGX_KMIP_STORE_REC_SLOTS * sizeof(ngx_kmip_store_rec_slot_t);

    map->sh->recs = ngx_slab_calloc(shpool, len);
    if (map->sh->recs == NULL) {
        return NGX_ERROR;
    }

    map->sh->nrecs = NGX_KMIP_STORE_REC_SLOTS;

    /* a record that does not fit is read from Key Protect: no error */
    shpool->log_nomem = 0;

    return NGX_OK;
}


/*
 * The zone of the running cycle, found by name: a worker never keeps a
 * pointer that a configuration which failed to load could have set.
 */

static ngx_kmip_store_map_t *
ngx_kmip_store_map_zone(void)
{
    ngx_uint_t              i;
    ngx_list_part_t        *part;
    ngx_shm_zone_t         *zone;
    ngx_kmip_store_map_t   *map;

    static ngx_cycle_t           *seen;
    static ngx_kmip_store_map_t  *found;

    if (seen == ngx_cycle) {
        return found;
    }

    map = NULL;
    part = &((ngx_cycle_t *) ngx_cycle)->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (zone[i].init == ngx_kmip_store_map_init_zone
            && zone[i].shm.name.len == sizeof(NGX_KMIP_STORE_MAP_NAME) - 1
            && ngx_strncmp(zone[i].shm.name.data, NGX_KMIP_STORE_MAP_NAME,
                           zone[i].shm.name.len) == 0)
        {
            map = zone[i].data;
            break;
        }
    }

    if (map && map->sh == NULL) {
        map = NULL;
    }

    seen = (ngx_cycle_t *) ngx_cycle;
    found = map;

    return map;
}


/*
 * What an entry is tied to: the Key Protect instance and key ring, and the
 * client's scope, so that a client never finds in the map an object of
 * another scope (its read lists, and costs what a missing object's does)
 */

static uint32_t
ngx_kmip_store_map_keyspace(ngx_kmip_store_ctx_t *ctx)
{
    u_char      c;
    uint32_t    crc, kp;
    ngx_str_t  *scope;
    ngx_uint_t  i;

    kp = ngx_kmip_kp_keyspace(ctx->kp);
    scope = &ctx->op->store->scope;

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, (u_char *) &kp, sizeof(uint32_t));

    /* scopes compare without case (ngx_kmip_store_in_scope()) */
    for (i = 0; i < scope->len; i++) {
        c = ngx_tolower(scope->data[i]);
        ngx_crc32_update(&crc, &c, 1);
    }

    ngx_crc32_final(crc);

    return crc;
}


/*
 * The first of the NGX_KMIP_STORE_WAYS slots where a Unique Identifier's
 * entry, or a key id's record, may be kept
 */

static ngx_uint_t
ngx_kmip_store_map_hash(uint32_t keyspace, ngx_str_t *s, ngx_uint_t n)
{
    return (ngx_crc32_short(s->data, s->len) ^ keyspace)
           % (n / NGX_KMIP_STORE_WAYS) * NGX_KMIP_STORE_WAYS;
}


/*
 * The slot that holds uid's entry, the zone locked; else, with add, the
 * slot for it (a free one, else one at random), else NULL
 */

static ngx_kmip_store_map_slot_t *
ngx_kmip_store_map_find(ngx_kmip_store_map_t *map, uint32_t keyspace,
    ngx_str_t *uid, ngx_uint_t add)
{
    ngx_uint_t                  i;
    ngx_kmip_store_map_slot_t  *first, *slot, *free;

    first = &map->sh->slots[ngx_kmip_store_map_hash(keyspace, uid,
                                                    map->sh->nslots)];
    free = NULL;

    for (i = 0; i < NGX_KMIP_STORE_WAYS; i++) {
        slot = &first[i];

        if (slot->generation == 0) {
            free = free ? free : slot;
            continue;
        }

        if (slot->keyspace == keyspace
            && ngx_memcmp(slot->uid, uid->data, NGX_KMIP_STORE_UID_LEN) == 0)
        {
            return slot;
        }
    }

    if (!add) {
        return NULL;
    }

    return free ? free : &first[ngx_random() % NGX_KMIP_STORE_WAYS];
}


/* NGX_OK: the key id (in pool) and generation the map holds for uid */

static ngx_int_t
ngx_kmip_store_map_get(ngx_kmip_store_ctx_t *ctx, ngx_str_t *uid,
    ngx_str_t *id, ngx_uint_t *generation)
{
    uint32_t                    keyspace;
    ngx_int_t                   rc;
    ngx_kmip_store_map_t       *map;
    ngx_kmip_store_map_slot_t  *slot;

    map = ngx_kmip_store_map_zone();

    if (map == NULL || uid->len != NGX_KMIP_STORE_UID_LEN) {
        return NGX_DECLINED;
    }

    id->data = ngx_pnalloc(ctx->op->pool, NGX_KMIP_STORE_ID_LEN);
    if (id->data == NULL) {
        return NGX_DECLINED;
    }

    keyspace = ngx_kmip_store_map_keyspace(ctx);

    rc = NGX_DECLINED;

    ngx_shmtx_lock(&map->shpool->mutex);

    slot = ngx_kmip_store_map_find(map, keyspace, uid, 0);

    if (slot != NULL
        && (slot->pending == 0 || slot->pending >= ngx_time()))
    {
        ngx_memcpy(id->data, slot->id, NGX_KMIP_STORE_ID_LEN);
        id->len = NGX_KMIP_STORE_ID_LEN;
        *generation = slot->generation;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&map->shpool->mutex);

    return rc;
}


/*
 * The object's current generation is the key id, as this node just read
 * or wrote it; generation 0 forgets the object (destroyed, or a read that
 * found the map wrong).
 */

static void
ngx_kmip_store_map_put(ngx_kmip_store_ctx_t *ctx, ngx_str_t *uid,
    ngx_str_t *id, ngx_uint_t generation)
{
    ngx_kmip_store_map_set(ngx_kmip_store_map_keyspace(ctx), uid, id,
                           generation, NGX_KMIP_STORE_MAP_KEEP);
}


/*
 * pending: the time until which an entry whose old generation is being
 * deleted after the answer is served (NGX_KMIP_STORE_MAP_KEEP: as it is,
 * 0: no deletion pending); past it, reads list (the worker stopped before
 * the deletion, which leaves the old generation for a listing to find)
 */

static void
ngx_kmip_store_map_set(uint32_t keyspace, ngx_str_t *uid, ngx_str_t *id,
    ngx_uint_t generation, time_t pending)
{
    ngx_uint_t                  same;
    ngx_kmip_store_map_t       *map;
    ngx_kmip_store_map_slot_t  *slot;

    map = ngx_kmip_store_map_zone();

    if (map == NULL || uid->len != NGX_KMIP_STORE_UID_LEN) {
        return;
    }

    if (generation
        && (id->len != NGX_KMIP_STORE_ID_LEN
            || generation > NGX_MAX_UINT32_VALUE))
    {
        /* not a key id this map holds: the listing is used */
        generation = 0;
    }

    ngx_shmtx_lock(&map->shpool->mutex);

    slot = ngx_kmip_store_map_find(map, keyspace, uid, generation != 0);

    if (slot == NULL) {
        /* nothing to forget */
        ngx_shmtx_unlock(&map->shpool->mutex);
        return;
    }

    same = slot->generation
           && slot->keyspace == keyspace
           && ngx_memcmp(slot->uid, uid->data, NGX_KMIP_STORE_UID_LEN) == 0;

    if (generation && same && slot->generation > generation) {
        /* a worker's later write is there already: it stays */

    } else if (generation) {

        if (pending == NGX_KMIP_STORE_MAP_KEEP) {
            pending = (same && slot->generation == generation)
                      ? slot->pending : 0;
        }

        slot->keyspace = keyspace;
        slot->generation = (uint32_t) generation;
        slot->pending = pending;
        ngx_memcpy(slot->uid, uid->data, NGX_KMIP_STORE_UID_LEN);
        ngx_memcpy(slot->id, id->data, NGX_KMIP_STORE_ID_LEN);

    } else if (same) {
        slot->generation = 0;
    }

    ngx_shmtx_unlock(&map->shpool->mutex);
}


/*
 * The slot of key id's record, the zone locked (the caller unlocks
 * map->shpool->mutex); NULL, unlocked, without a zone. *held: the slot
 * holds that key's record; else it is the slot for it (a free one, else
 * the one kept longest).
 */

static ngx_kmip_store_rec_slot_t *
ngx_kmip_store_rec_lock(ngx_kmip_store_ctx_t *ctx, ngx_str_t *id,
    ngx_kmip_store_map_t **mapp, uint32_t *keyspace, ngx_uint_t *held)
{
    ngx_uint_t                  i;
    ngx_kmip_store_map_t       *map;
    ngx_kmip_store_rec_slot_t  *first, *slot, *oldest;

    map = ngx_kmip_store_map_zone();

    if (map == NULL || id->len != NGX_KMIP_STORE_ID_LEN) {
        return NULL;
    }

    *mapp = map;
    *keyspace = ngx_kmip_store_map_keyspace(ctx);
    first = &map->sh->recs[ngx_kmip_store_map_hash(*keyspace, id,
                                                   map->sh->nrecs)];
    oldest = first;

    ngx_shmtx_lock(&map->shpool->mutex);

    for (i = 0; i < NGX_KMIP_STORE_WAYS; i++) {
        slot = &first[i];

        if (slot->len && slot->keyspace == *keyspace
            && ngx_memcmp(slot->id, id->data, NGX_KMIP_STORE_ID_LEN) == 0)
        {
            *held = 1;
            return slot;
        }

        if (oldest->len && (slot->len == 0 || slot->stored < oldest->stored))
        {
            oldest = slot;
        }
    }

    *held = 0;

    return oldest;
}


/* keeps record as the payload of the key id (this node read or wrote it) */

static void
ngx_kmip_store_rec_put(ngx_kmip_store_ctx_t *ctx, ngx_str_t *id,
    ngx_str_t *record)
{
    uint32_t                    keyspace;
    ngx_uint_t                  held;
    ngx_kmip_store_map_t       *map;
    ngx_kmip_store_rec_slot_t  *slot;

    if (record->len == 0 || record->len > NGX_KMIP_RECORD_MAX_SIZE) {
        return;
    }

    slot = ngx_kmip_store_rec_lock(ctx, id, &map, &keyspace, &held);
    if (slot == NULL) {
        return;
    }

    if (!held) {
        if (slot->len) {
            ngx_slab_free_locked(map->shpool, slot->data);
            slot->len = 0;
        }

        slot->data = ngx_slab_alloc_locked(map->shpool, record->len);

        if (slot->data) {
            ngx_memcpy(slot->data, record->data, record->len);
            ngx_memcpy(slot->id, id->data, NGX_KMIP_STORE_ID_LEN);
            slot->keyspace = keyspace;
            slot->stored = ngx_time();
            slot->len = (uint32_t) record->len;
        }
    }

    ngx_shmtx_unlock(&map->shpool->mutex);
}


/*
 * NGX_OK: the record of the key id, copied into the operation's pool
 * (record NULL: only whether there is one)
 */

static ngx_int_t
ngx_kmip_store_rec_get(ngx_kmip_store_ctx_t *ctx, ngx_str_t *id,
    ngx_str_t *record)
{
    uint32_t                    keyspace;
    ngx_uint_t                  held;
    ngx_kmip_store_map_t       *map;
    ngx_kmip_store_rec_slot_t  *slot;

    slot = ngx_kmip_store_rec_lock(ctx, id, &map, &keyspace, &held);
    if (slot == NULL) {
        return NGX_DECLINED;
    }

    if (held && ngx_time() - slot->stored >= NGX_KMIP_STORE_REC_KEEP) {
        held = 0;
    }

    if (held && record) {
        record->data = ngx_pnalloc(ctx->op->pool, slot->len);

        if (record->data) {
            ngx_memcpy(record->data, slot->data, slot->len);
            record->len = slot->len;

        } else {
            held = 0;
        }
    }

    ngx_shmtx_unlock(&map->shpool->mutex);

    return held ? NGX_OK : NGX_DECLINED;
}


/* ------------------------------------------------------ root key liveness */

/*
 * A root key's wrap or unwrap answered (usable), or Key Protect said the
 * root key is deleted or not active (not usable): every worker of the
 * node sees it at once. The slots hold the root keys last seen; a new one
 * takes the slot seen longest ago.
 */

static void
ngx_kmip_store_crk_seen(ngx_kmip_kp_t *kp, ngx_uint_t usable)
{
    time_t                  now;
    uint32_t                root;
    ngx_uint_t              i;
    ngx_kmip_store_crk_t   *crk, *oldest;
    ngx_kmip_store_map_t   *map;

    map = ngx_kmip_store_map_zone();

    if (map == NULL) {
        return;
    }

    root = ngx_kmip_kp_root_keyspace(kp);
    now = ngx_time();
    oldest = NULL;

    ngx_shmtx_lock(&map->shpool->mutex);

    for (i = 0; i < NGX_KMIP_STORE_CRK_SLOTS; i++) {
        crk = &map->sh->crk[i];

        if (crk->root == root) {
            break;
        }

        if (oldest == NULL || crk->usable < oldest->usable) {
            oldest = crk;
        }
    }

    if (i == NGX_KMIP_STORE_CRK_SLOTS) {
        crk = usable ? oldest : NULL;
    }

    if (crk) {
        crk->root = root;
        crk->usable = usable ? now : 0;
    }

    ngx_shmtx_unlock(&map->shpool->mutex);
}


/* the root key wrapped or unwrapped less than the bound ago */

static ngx_uint_t
ngx_kmip_store_crk_fresh(ngx_kmip_kp_t *kp)
{
    time_t                  now;
    uint32_t                root;
    ngx_uint_t              i, fresh;
    ngx_kmip_store_crk_t   *crk;
    ngx_kmip_store_map_t   *map;

    map = ngx_kmip_store_map_zone();

    if (map == NULL) {
        return 0;
    }

    root = ngx_kmip_kp_root_keyspace(kp);
    now = ngx_time();
    fresh = 0;

    ngx_shmtx_lock(&map->shpool->mutex);

    for (i = 0; i < NGX_KMIP_STORE_CRK_SLOTS; i++) {
        crk = &map->sh->crk[i];

        if (crk->root == root) {
            fresh = crk->usable
                    && now >= crk->usable
                    && now - crk->usable < NGX_KMIP_STORE_CRK_FRESH;
            break;
        }
    }

    ngx_shmtx_unlock(&map->shpool->mutex);

    return fresh;
}
