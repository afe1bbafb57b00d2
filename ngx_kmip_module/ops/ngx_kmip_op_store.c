
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"


/*
 * What every operation on a managed object shares (see
 * ngx_kmip_op_store.h): its start, the object read and written through the
 * store with the request's cache of the last one, store failures as KMIP
 * results, and the answers most operations give.
 */


static void ngx_kmip_op_wipe(void *data);
static void ngx_kmip_op_stored(ngx_kmip_store_op_t *sop);
static ngx_int_t ngx_kmip_op_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_mutate_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_uint_t ngx_kmip_op_archived_for(ngx_kmip_op_ctx_t *ctx);
static ngx_uint_t ngx_kmip_op_offline(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_recheck(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_written(ngx_kmip_op_ctx_t *ctx);


static void
ngx_kmip_op_wipe(void *data)
{
    ngx_str_t  *s = data;

    if (s->data && s->len) {
        OPENSSL_cleanse(s->data, s->len);
    }
}


ngx_int_t
ngx_kmip_op_no_store(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out)
{
    if (r->store != NULL) {
        return 0;
    }

    (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_GENERAL_FAILURE,
                                "no key store is configured");
    return 1;
}


ngx_kmip_op_ctx_t *
ngx_kmip_op_ctx(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_kmip_op_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_kmip_op_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->r = r;
    ctx->in = in;
    ctx->out = out;

    return ctx;
}


ngx_kmip_op_ctx_t *
ngx_kmip_op_begin(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_int_t *rc)
{
    ngx_kmip_op_ctx_t  *ctx;

    *rc = NGX_OK;

    if (ngx_kmip_op_no_store(r, out)) {
        return NULL;
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    if (ctx == NULL) {
        *rc = NGX_ERROR;
        return NULL;
    }

    if (ngx_kmip_op_get_uid(r, in, out, &ctx->uid) != NGX_OK) {
        return NULL;
    }

    return ctx;
}


ngx_int_t
ngx_kmip_op_begin_load(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, void *data, ngx_uint_t with_material,
    ngx_kmip_op_next_pt next)
{
    ngx_int_t           rc;
    ngx_kmip_op_ctx_t  *ctx;

    ctx = ngx_kmip_op_begin(r, in, out, &rc);
    if (ctx == NULL) {
        return rc;
    }

    ctx->data = data;

    return ngx_kmip_op_load(ctx, with_material, next);
}

ngx_int_t
ngx_kmip_op_get_uid(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_str_t *uid)
{
    ngx_kmip_item_t  *item;

    item = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);

    if (item) {
        if (item->type != NGX_KMIP_TYPE_TEXT_STRING || item->v.str.len == 0)
        {
            (void) ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Unique Identifier is not a "
                                        "non-empty Text String");
            return NGX_DECLINED;
        }

        uid->data = (u_char *) item->v.str.data;
        uid->len = item->v.str.len;
        return NGX_OK;
    }

    if (r->id_placeholder.len) {
        *uid = r->id_placeholder;
        return NGX_OK;
    }

    (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                "no Unique Identifier and no ID "
                                "Placeholder from an earlier batch item");
    return NGX_DECLINED;
}


void
ngx_kmip_op_finish(ngx_kmip_op_ctx_t *ctx, ngx_int_t rc)
{
    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc != NGX_OK) {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "internal error");
    }

    ngx_kmip_op_complete(ctx->r);
}


void
ngx_kmip_op_store_failed(ngx_kmip_op_ctx_t *ctx, const char *what)
{
    uint32_t              reason;
    ngx_str_t            *e, none = ngx_string("");
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_store_op_t  *sop = ctx->sop;

    e = (sop && sop->error.len) ? &sop->error : &none;

    switch (sop ? sop->result : NGX_KMIP_STORE_FAILED) {

    case NGX_KMIP_STORE_NOT_FOUND:
        /* 2.x names the reason Object Not Found (2.1 11.47); 1.x answers
           Item Not Found (ngx_kmip_reasons.c) */
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_OBJECT_NOT_FOUND,
                                    "no object with Unique Identifier "
                                    "\"%V\"", &ctx->uid);
        return;

    case NGX_KMIP_STORE_GONE:
        r->object = NULL;
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_OBJECT_DESTROYED,
                                    "object \"%V\" was destroyed (its Key "
                                    "Protect key was deleted)", &ctx->uid);
        return;

    case NGX_KMIP_STORE_CONFLICT:
        reason = NGX_KMIP_REASON_GENERAL_FAILURE;
        ngx_log_error(NGX_LOG_WARN, r->log, 0,
                      "kmip: %s of object \"%V\" lost %ui races with "
                      "concurrent updates", what, &ctx->uid, ctx->retries);
        (void) ngx_kmip_result_fail(r, ctx->out, reason,
                                    "object \"%V\" is being changed by "
                                    "concurrent requests; retry", &ctx->uid);
        return;

    case NGX_KMIP_STORE_ROOT_KEY:
        reason = NGX_KMIP_REASON_GENERAL_FAILURE;
        break;

    default:
        reason = NGX_KMIP_REASON_GENERAL_FAILURE;
        break;
    }

    ngx_log_error(NGX_LOG_ERR, r->log, 0,
                  "kmip: %s of object \"%V\" failed: %s: %V "
                  "(Key Protect correlation id \"%V\")",
                  what, &ctx->uid,
                  ngx_kmip_store_result_text(sop ? sop->result
                                                 : NGX_KMIP_STORE_FAILED),
                  e, sop ? &sop->correlation_id : &none);

    (void) ngx_kmip_result_fail(r, ctx->out, reason, "key store %s failed: %V",
                                what, e);
}


ngx_int_t
ngx_kmip_op_store_write(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_write_pt write,
    ngx_kmip_object_t *obj, ngx_kmip_op_next_pt done)
{
    if (ngx_kmip_op_store_call(ctx, done) == NULL) {
        return NGX_ERROR;
    }

    return ngx_kmip_op_store_called(ctx, write(ctx->sop, obj));
}


ngx_int_t
ngx_kmip_op_store_fetch(ngx_kmip_op_ctx_t *ctx, ngx_str_t *uid,
    ngx_uint_t with_material, ngx_kmip_op_next_pt done)
{
    ngx_int_t  rc;

    if (ngx_kmip_op_store_call(ctx, done) == NULL) {
        return NGX_ERROR;
    }

    ctx->sop->for_update = ctx->for_update;

    rc = ngx_kmip_store_fetch(ctx->sop, uid, with_material);

    return ngx_kmip_op_store_called(ctx, rc);
}


ngx_kmip_store_op_t *
ngx_kmip_op_store_call(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_next_pt done)
{
    ctx->sop = ngx_kmip_op_store_op(ctx->r, ngx_kmip_op_stored, ctx);
    ctx->stored = done;

    return ctx->sop;
}


ngx_int_t
ngx_kmip_op_store_called(ngx_kmip_op_ctx_t *ctx, ngx_int_t rc)
{
    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    /* done at once, or failed at once: the same step goes on */
    return ctx->stored(ctx);
}


/* the store's callback: the step goes on, and the batch after it */

static void
ngx_kmip_op_stored(ngx_kmip_store_op_t *sop)
{
    ngx_kmip_op_ctx_t  *ctx = sop->data;

    ngx_kmip_op_finish(ctx, ctx->stored(ctx));
}


ngx_uint_t
ngx_kmip_op_store_lost(ngx_kmip_op_ctx_t *ctx, const char *what)
{
    if (ctx->sop->result == NGX_KMIP_STORE_OK) {
        return 0;
    }

    ngx_kmip_op_store_failed(ctx, what);

    return 1;
}

ngx_int_t
ngx_kmip_op_load(ngx_kmip_op_ctx_t *ctx, ngx_uint_t with_material,
    ngx_kmip_op_next_pt next)
{
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_object_t  *obj;

    obj = r->object;

    if (obj
        && obj->uid.len == ctx->uid.len
        && ngx_strncmp(obj->uid.data, ctx->uid.data, ctx->uid.len) == 0
        && (!with_material || obj->destroyed || obj->material.len
            || obj->wrapped.len == 0))
    {
        /* read or written earlier in this very request */
        ctx->obj = obj;
        ctx->for_update = 0;
        ctx->unchecked = 0;
        return ngx_kmip_op_offline(ctx) ? NGX_OK : next(ctx);
    }

    ctx->next = next;
    ctx->with_material = with_material;

    return ngx_kmip_op_store_fetch(ctx, &ctx->uid, with_material,
                                   ngx_kmip_op_loaded);
}


static ngx_int_t
ngx_kmip_op_loaded(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_store_op_t  *sop = ctx->sop;

    ctx->unchecked = ctx->for_update;
    ctx->for_update = 0;

    if (sop->result == NGX_KMIP_STORE_OK && sop->object == NULL) {
        sop->result = NGX_KMIP_STORE_FAILED;
    }

    if (ngx_kmip_op_store_lost(ctx, "read")) {
        return NGX_OK;
    }

    ctx->obj = sop->object;

    if (!ctx->unchecked) {
        /* a write's read serves the request's next items once written */
        ctx->r->object = sop->object;

    } else if (ngx_kmip_op_archived_for(ctx)) {
        /*
         * the key map's read may name the generation before another
         * node's Recover, still live until that node deletes it: prove
         * the object off-line before refusing
         */
        ctx->unchecked = 0;
        return ngx_kmip_op_store_fetch(ctx, &ctx->uid, ctx->with_material,
                                       ngx_kmip_op_loaded);
    }

    return ngx_kmip_op_offline(ctx) ? NGX_OK : ctx->next(ctx);
}


/*
 * An archived object is off-line: every operation on it but Recover fails
 * with Object Archived (1.4 chapter 11, 2.1 chapter 11), Archive included
 * (already archived, 11.23)
 */

static ngx_uint_t
ngx_kmip_op_archived_for(ngx_kmip_op_ctx_t *ctx)
{
    return !ctx->obj->destroyed && ngx_kmip_op_archived(ctx->obj)
           && ctx->in != NULL && ctx->in->operation != NGX_KMIP_OP_RECOVER;
}


static ngx_uint_t
ngx_kmip_op_offline(ngx_kmip_op_ctx_t *ctx)
{
    if (!ngx_kmip_op_archived_for(ctx)) {
        return 0;
    }

    (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                NGX_KMIP_REASON_OBJECT_ARCHIVED,
                                "object \"%V\" is archived: Recover it "
                                "first", &ctx->uid);
    return 1;
}


ngx_int_t
ngx_kmip_op_begin_mutate(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, void *data, ngx_kmip_op_apply_pt apply,
    ngx_kmip_op_next_pt respond)
{
    ngx_int_t           rc;
    ngx_kmip_op_ctx_t  *ctx;

    ctx = ngx_kmip_op_begin(r, in, out, &rc);
    if (ctx == NULL) {
        return rc;
    }

    ctx->data = data;

    return ngx_kmip_op_mutate(ctx, apply, respond);
}


ngx_int_t
ngx_kmip_op_mutate(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_apply_pt apply,
    ngx_kmip_op_next_pt respond)
{
    ctx->apply = apply;
    ctx->respond = respond;

    /*
     * The read need not prove that no newer generation exists: the
     * write's create of the next one does (docs/key-protect.md, "The
     * read of a write"). Not in a batch with Undo, whose journal keeps
     * what it reads.
     */
    ctx->for_update = (ctx->r->store->journal == NULL);

    return ngx_kmip_op_load(ctx, 0, ngx_kmip_op_mutate_loaded);
}


static ngx_int_t
ngx_kmip_op_mutate_loaded(ngx_kmip_op_ctx_t *ctx)
{
    ngx_int_t           rc;
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_object_t  *copy;

    if (ctx->serve && ngx_kmip_op_gone(ctx)) {
        /* a Get that found its object destroyed answers as any Get */
        return NGX_OK;
    }

    if (ctx->obj->destroyed) {
        return ngx_kmip_op_wrong_state(ctx, "object \"%V\" is destroyed",
                                       &ctx->uid);
    }

    copy = ngx_palloc(r->pool, sizeof(ngx_kmip_object_t));
    if (copy == NULL) {
        return NGX_ERROR;
    }

    *copy = *ctx->obj;

    if (ngx_kmip_attrs_copy(&r->alloc, &copy->attributes,
                            &ctx->obj->attributes)
        != 0)
    {
        return NGX_ERROR;
    }

    /* objects stored before the server kept them get them now */

    if (ngx_kmip_op_protection_defaults(r, &copy->attributes) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ctx->apply(ctx, copy);

    if (rc == NGX_DECLINED && ctx->unchecked) {
        /* an answer without a write rests on the read alone: read again,
           this time proving it current, and decide from that */
        return ngx_kmip_op_recheck(ctx);
    }

    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    if (rc != NGX_OK && rc != NGX_DONE) {
        return rc;
    }

    /* whatever the operation changed, the history attributes follow */

    if (ngx_kmip_op_protection_track(r, &copy->attributes) != NGX_OK) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK
        && ngx_kmip_op_set_num(r, &copy->attributes, "Last Change Date",
                               NGX_KMIP_TYPE_DATE_TIME, ngx_time())
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->obj = copy;

    if (ngx_kmip_op_store_call(ctx, ngx_kmip_op_written) == NULL) {
        return NGX_ERROR;
    }

    rc = ctx->serve ? ngx_kmip_store_serve(ctx->sop, copy)
                    : ngx_kmip_store_update(ctx->sop, copy);

    return ngx_kmip_op_store_called(ctx, rc);
}


static ngx_int_t
ngx_kmip_op_recheck(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_response_item_t  *out = ctx->out;

    out->result_status = NGX_KMIP_STATUS_SUCCESS;
    out->result_reason = 0;
    out->result_message = NULL;
    out->result_message_len = 0;
    out->payload = NULL;

    ctx->unchecked = 0;

    return ngx_kmip_op_load(ctx, 0, ngx_kmip_op_mutate_loaded);
}


static ngx_int_t
ngx_kmip_op_written(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_store_op_t  *sop = ctx->sop;

    if (sop->result == NGX_KMIP_STORE_OK) {
        /* the create of the next generation proved the read current */
        ctx->unchecked = 0;
        r->object = ctx->obj;
        return ctx->respond(ctx);
    }

    r->object = NULL;

    if (sop->result == NGX_KMIP_STORE_CONFLICT
        && ++ctx->retries < NGX_KMIP_OP_RETRIES)
    {
        ngx_log_error(NGX_LOG_INFO, r->log, 0,
                      "kmip: object \"%V\" changed concurrently, "
                      "reading it again (attempt %ui)",
                      &ctx->uid, ctx->retries + 1);

        /* the request's answers are rebuilt from the fresh object */
        return ngx_kmip_op_load(ctx, 0, ngx_kmip_op_mutate_loaded);
    }

    ngx_kmip_op_store_failed(ctx, "update");

    return NGX_OK;
}


ngx_kmip_item_t *
ngx_kmip_op_payload_uid(ngx_kmip_req_t *r, ngx_str_t *uid)
{
    ngx_kmip_item_t  *payload;

    payload = ngx_kmip_payload_new(r);

    if (ngx_kmip_ttlv_add_text(&r->alloc, payload,
                               NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                               uid->data, uid->len)
        == NULL)
    {
        return NULL;
    }

    return payload;
}


ngx_int_t
ngx_kmip_op_respond_uid(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_item_t  *payload;

    payload = ngx_kmip_op_payload_uid(ctx->r, &ctx->uid);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    ctx->out->payload = payload;

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_symmetric_key(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *key,
    ngx_str_t *uid, const char *what)
{
    ngx_kmip_req_t  *r = ctx->r;

    if (key->object_type != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "%s \"%V\" is not a symmetric key",
                                    what, uid);
        return NGX_DECLINED;
    }

    if (key->material.len == 0 || ngx_kmip_op_wrapping_data(key)) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_KEY_VALUE_NOT_PRESENT,
                                    "%s \"%V\" has no key material %s",
                                    what, uid,
                                    key->material.len
                                    ? "the server can use: it was registered "
                                      "wrapped" : "");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_kmip_item_t *
ngx_kmip_op_wrapping_data(ngx_kmip_object_t *obj)
{
    return obj->fields ? ngx_kmip_ttlv_find(obj->fields,
                                            NGX_KMIP_TAG_KEY_WRAPPING_DATA)
                       : NULL;
}


ngx_uint_t
ngx_kmip_op_gone(ngx_kmip_op_ctx_t *ctx)
{
    if (!ctx->obj->destroyed) {
        return 0;
    }

    (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                NGX_KMIP_REASON_OBJECT_DESTROYED,
                                "object \"%V\" is destroyed", &ctx->uid);
    return 1;
}


ngx_int_t
ngx_kmip_op_wrong_state(ngx_kmip_op_ctx_t *ctx, const char *fmt, ...)
{
    va_list  args;

    /*
     * KMIP 1.x has no Wrong Key Lifecycle State: its error tables (1.4
     * 11.20 Activate, 11.22 Destroy) give Permission Denied for an object
     * in the wrong state, as the OASIS cases SKLC-M-2/3-14 expect; the
     * reason is given so by ngx_kmip_result_vfail() (ngx_kmip_reasons.c)
     */

    va_start(args, fmt);
    (void) ngx_kmip_result_vfail(ctx->r, ctx->out,
                                 NGX_KMIP_REASON_WRONG_KEY_LIFECYCLE_STATE,
                                 "", fmt, args);
    va_end(args);

    return NGX_OK;
}


/* a pool buffer for key material, wiped when the request ends */

u_char *
ngx_kmip_op_secret(ngx_kmip_req_t *r, size_t len, ngx_str_t **sp)
{
    ngx_str_t           *s;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_str_t));
    if (cln == NULL) {
        return NULL;
    }

    s = cln->data;
    s->data = ngx_pnalloc(r->pool, len ? len : 1);
    s->len = s->data ? len : 0;
    cln->handler = ngx_kmip_op_wipe;

    *sp = s;

    return s->data;
}
