
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#endif

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_crypto.h"
#include "ngx_kmip_op_wrap.h"


/*
 * Create, Register, Get and Destroy, and what every operation on a managed
 * object shares (see ngx_kmip_op_store.h).
 */


#define NGX_KMIP_MATERIAL_MAX   4096

#define NGX_KMIP_KFT_NOT_SUPPORTED                                            \
    NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED


static void ngx_kmip_op_loaded(ngx_kmip_store_op_t *sop);
static void ngx_kmip_op_finish(ngx_kmip_op_ctx_t *ctx, ngx_int_t rc);
static ngx_int_t ngx_kmip_op_mutate_loaded(ngx_kmip_op_ctx_t *ctx);
static void ngx_kmip_op_written(ngx_kmip_store_op_t *sop);
static ngx_int_t ngx_kmip_op_new_object(ngx_kmip_op_ctx_t *ctx,
    uint32_t object_type, const ngx_kmip_item_t *container,
    ngx_kmip_object_t **objp);
static void ngx_kmip_op_created(ngx_kmip_store_op_t *sop);
static ngx_int_t ngx_kmip_op_get_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_fresh_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_fresh_respond(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_destroy_loaded(ngx_kmip_op_ctx_t *ctx);
static void ngx_kmip_op_destroyed(ngx_kmip_store_op_t *sop);
static ngx_int_t ngx_kmip_op_protection_defaults(ngx_kmip_req_t *r,
    ngx_kmip_attrs_t *l);
static ngx_int_t ngx_kmip_op_protection_track(ngx_kmip_req_t *r,
    ngx_kmip_attrs_t *l);
static ngx_int_t ngx_kmip_op_derived(ngx_kmip_req_t *r,
    ngx_kmip_object_t *obj, ngx_kmip_attrs_t *l);


static void
ngx_kmip_op_wipe(void *data)
{
    ngx_str_t  *s = data;

    if (s->data && s->len) {
        OPENSSL_cleanse(s->data, s->len);
    }
}


static ngx_kmip_allocator_t *
ngx_kmip_op_alloc(ngx_kmip_req_t *r)
{
    return &r->alloc;
}


ngx_int_t
ngx_kmip_op_no_store(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out)
{
    if (r->kp != NULL) {
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
ngx_kmip_op_get_uid(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_str_t *uid)
{
    ngx_kmip_item_t  *item;

    item = ngx_kmip_item_find(in->payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);

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


static void
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
        /* 2.x names the reason Object Not Found (2.1 11.47) */
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    r->version >= NGX_KMIP_VERSION(2, 0)
                                    ? NGX_KMIP_REASON_OBJECT_NOT_FOUND
                                    : NGX_KMIP_REASON_ITEM_NOT_FOUND,
                                    "no object with Unique Identifier "
                                    "\"%V\"", &ctx->uid);
        return;

    case NGX_KMIP_STORE_GONE:
        r->object = NULL;
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    r->version >= NGX_KMIP_VERSION(2, 0)
                                    ? NGX_KMIP_REASON_OBJECT_DESTROYED
                                    : NGX_KMIP_REASON_ITEM_NOT_FOUND,
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
ngx_kmip_op_load(ngx_kmip_op_ctx_t *ctx, ngx_uint_t with_material,
    ngx_kmip_op_next_pt next)
{
    ngx_int_t            rc;
    ngx_kmip_req_t      *r = ctx->r;
    ngx_kmip_object_t   *obj;

    obj = r->object;

    if (obj
        && obj->uid.len == ctx->uid.len
        && ngx_strncmp(obj->uid.data, ctx->uid.data, ctx->uid.len) == 0
        && (!with_material || obj->destroyed || obj->material.len
            || obj->wrapped.len == 0))
    {
        /* read or written earlier in this very request */
        ctx->obj = obj;
        return next(ctx);
    }

    ctx->next = next;
    ctx->with_material = with_material;

    ctx->sop = ngx_kmip_op_store_op(r);
    if (ctx->sop == NULL) {
        return NGX_ERROR;
    }

    ctx->sop->handler = ngx_kmip_op_loaded;
    ctx->sop->data = ctx;

    rc = ngx_kmip_store_fetch(r->kp, ctx->sop, &ctx->uid, with_material);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ngx_kmip_op_store_failed(ctx, "read");

    return NGX_OK;
}


static void
ngx_kmip_op_loaded(ngx_kmip_store_op_t *sop)
{
    ngx_kmip_op_ctx_t  *ctx = sop->data;

    if (sop->result != NGX_KMIP_STORE_OK || sop->object == NULL) {
        ngx_kmip_op_store_failed(ctx, "read");
        ngx_kmip_op_complete(ctx->r);
        return;
    }

    ctx->obj = sop->object;
    ctx->r->object = sop->object;

    ngx_kmip_op_finish(ctx, ctx->next(ctx));
}


ngx_int_t
ngx_kmip_op_mutate(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_apply_pt apply,
    ngx_kmip_op_next_pt respond)
{
    ctx->apply = apply;
    ctx->respond = respond;

    return ngx_kmip_op_load(ctx, 0, ngx_kmip_op_mutate_loaded);
}


static ngx_int_t
ngx_kmip_op_mutate_loaded(ngx_kmip_op_ctx_t *ctx)
{
    ngx_int_t           rc;
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_object_t  *copy;

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

    ctx->sop = ngx_kmip_op_store_op(r);
    if (ctx->sop == NULL) {
        return NGX_ERROR;
    }

    ctx->sop->handler = ngx_kmip_op_written;
    ctx->sop->data = ctx;

    rc = ngx_kmip_store_update(r->kp, ctx->sop, copy);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ngx_kmip_op_store_failed(ctx, "update");

    return NGX_OK;
}


static void
ngx_kmip_op_written(ngx_kmip_store_op_t *sop)
{
    ngx_int_t           rc;
    ngx_kmip_op_ctx_t  *ctx = sop->data;
    ngx_kmip_req_t     *r = ctx->r;

    if (sop->result == NGX_KMIP_STORE_OK) {
        r->object = ctx->obj;
        ngx_kmip_op_finish(ctx, ctx->respond(ctx));
        return;
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
        rc = ngx_kmip_op_load(ctx, 0, ngx_kmip_op_mutate_loaded);
        ngx_kmip_op_finish(ctx, rc);
        return;
    }

    ngx_kmip_op_store_failed(ctx, "update");
    ngx_kmip_op_complete(r);
}


ngx_int_t
ngx_kmip_op_respond_uid(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_item_t  *payload;

    payload = ngx_kmip_payload_new(ctx->r);

    if (ngx_kmip_add_text(&ctx->r->alloc, payload,
                          NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                          ctx->uid.data, ctx->uid.len)
        == NULL)
    {
        return NGX_ERROR;
    }

    ctx->out->payload = payload;

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_wrong_state(ngx_kmip_op_ctx_t *ctx, const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    p = ngx_pnalloc(ctx->r->pool, NGX_MAX_ERROR_STR);
    if (p == NULL) {
        return NGX_ERROR;
    }

    va_start(args, fmt);
    last = ngx_vslprintf(p, p + NGX_MAX_ERROR_STR, fmt, args);
    va_end(args);

    /*
     * KMIP 1.x has no Wrong Key Lifecycle State: its error tables (1.4
     * 11.20 Activate, 11.22 Destroy) give Permission Denied for an object
     * in the wrong state, as the OASIS cases SKLC-M-2/3-14 expect
     */

    (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                ctx->r->version >= NGX_KMIP_VERSION(2, 0)
                                ? NGX_KMIP_REASON_WRONG_KEY_LIFECYCLE_STATE
                                : NGX_KMIP_REASON_PERMISSION_DENIED,
                                "%*s", (size_t) (last - p), p);
    return NGX_OK;
}


int64_t
ngx_kmip_op_attr_num(ngx_kmip_attrs_t *l, const char *name, int64_t dflt)
{
    ngx_kmip_attr_t  *at;

    at = ngx_kmip_attrs_find(l, name, ngx_strlen(name), -1);

    if (at == NULL || at->value == NULL
        || at->value->type == NGX_KMIP_TYPE_STRUCTURE
        || at->value->type == NGX_KMIP_TYPE_TEXT_STRING
        || at->value->type == NGX_KMIP_TYPE_BYTE_STRING)
    {
        return dflt;
    }

    return at->value->v.num;
}


ngx_int_t
ngx_kmip_op_set_num(ngx_kmip_req_t *r, ngx_kmip_attrs_t *l, const char *name,
    uint8_t type, int64_t v)
{
    ngx_kmip_item_t  *value;

    value = ngx_kmip_attr_value(&r->alloc, type, v);
    if (value == NULL) {
        return NGX_ERROR;
    }

    return ngx_kmip_attrs_set(&r->alloc, l, name, value) ? NGX_OK : NGX_ERROR;
}


const char *
ngx_kmip_state_name(int64_t state)
{
    static const char  *names[] = {
        "unknown", "Pre-Active", "Active", "Deactivated", "Compromised",
        "Destroyed", "Destroyed Compromised"
    };

    return (state >= 1 && state <= 6) ? names[state] : names[0];
}


/* ------------------------------------ attributes kept for every object */

/*
 * Sensitive and Extractable always have a value (KMIP 1.4 3.48 to 3.51).
 * An object stored before the server kept them was served in the clear:
 * the defaults are what it was.
 */

static ngx_int_t
ngx_kmip_op_protection_defaults(ngx_kmip_req_t *r, ngx_kmip_attrs_t *l)
{
    ngx_uint_t  i;

    static const struct {
        const char  *name;
        int64_t      value;
    } defaults[] = {
        { "Sensitive", 0 },
        { "Always Sensitive", 0 },
        { "Extractable", 1 },
        { "Never Extractable", 0 },
    };

    for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (ngx_kmip_attrs_find(l, defaults[i].name,
                                ngx_strlen(defaults[i].name), -1)
            == NULL
            && ngx_kmip_op_set_num(r, l, defaults[i].name,
                                   NGX_KMIP_TYPE_BOOLEAN, defaults[i].value)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * Always Sensitive stays True only while Sensitive has always been True,
 * Never Extractable only while Extractable has always been False
 */

static ngx_int_t
ngx_kmip_op_protection_track(ngx_kmip_req_t *r, ngx_kmip_attrs_t *l)
{
    if (ngx_kmip_op_attr_num(l, "Always Sensitive", 0)
        && !ngx_kmip_op_attr_num(l, "Sensitive", 0)
        && ngx_kmip_op_set_num(r, l, "Always Sensitive",
                               NGX_KMIP_TYPE_BOOLEAN, 0) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_kmip_op_attr_num(l, "Never Extractable", 0)
        && ngx_kmip_op_attr_num(l, "Extractable", 1)
        && ngx_kmip_op_set_num(r, l, "Never Extractable",
                               NGX_KMIP_TYPE_BOOLEAN, 0) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the format the object's material is kept and served in by default */

static uint32_t
ngx_kmip_op_key_format(ngx_kmip_object_t *obj)
{
    return obj->object_type == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
           ? NGX_KMIP_KEY_FORMAT_TYPE_RAW : NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE;
}


/*
 * The KMIP 2.x attributes every object has that follow from the object
 * itself, so are never stored: the Short Unique Identifier (2.1 4.56:
 * SHA-256 of the Unique Identifier), the Key Format Type (4.26) and the
 * Protection Storage Mask (4.44: the material is kept by software, a
 * wrapped record in Key Protect and the worker's memory while in use).
 */

static ngx_int_t
ngx_kmip_op_derived(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_kmip_attrs_t *l)
{
    u_char           *md;
    unsigned int      n;
    ngx_kmip_item_t  *v;

    if (ngx_kmip_attrs_find(l, "Short Unique Identifier", 23, -1) == NULL) {
        md = ngx_pnalloc(r->pool, EVP_MAX_MD_SIZE);
        if (md == NULL
            || EVP_Digest(obj->uid.data, obj->uid.len, md, &n, EVP_sha256(),
                          NULL)
               != 1)
        {
            return NGX_ERROR;
        }

        v = ngx_kmip_item_new(&r->alloc, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                              NGX_KMIP_TYPE_BYTE_STRING);
        if (v == NULL) {
            return NGX_ERROR;
        }

        v->v.str.data = md;
        v->v.str.len = n;

        if (ngx_kmip_attrs_set(&r->alloc, l, "Short Unique Identifier", v)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_kmip_attrs_find(l, "Key Format Type", 15, -1) == NULL
        && ngx_kmip_op_set_num(r, l, "Key Format Type",
                               NGX_KMIP_TYPE_ENUMERATION,
                               ngx_kmip_op_key_format(obj)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_kmip_attrs_find(l, "Protection Storage Mask", 23, -1) == NULL
        && ngx_kmip_op_set_num(r, l, "Protection Storage Mask",
                               NGX_KMIP_TYPE_INTEGER,
                               NGX_KMIP_PROTECTION_STORAGE_MASK_SOFTWARE)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_view(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_kmip_attrs_t *view)
{
    int64_t           state;
    ngx_kmip_item_t  *v;

    if (ngx_kmip_attrs_copy(&r->alloc, view, &obj->attributes) != 0) {
        return NGX_ERROR;
    }

    if (ngx_kmip_attrs_find(view, "Unique Identifier", 17, -1) == NULL) {
        v = ngx_kmip_attr_value_text(&r->alloc, obj->uid.data, obj->uid.len);
        if (v == NULL
            || ngx_kmip_attrs_set(&r->alloc, view, "Unique Identifier", v)
               == NULL)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_kmip_op_protection_defaults(r, view) != NGX_OK
        || ngx_kmip_op_derived(r, obj, view) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the State the dates have moved it to (1.4 3.22, 2.1 4.57) */

    state = ngx_kmip_attrs_state(view, ngx_time());

    if (state != ngx_kmip_op_attr_num(view, "State", 0)
        && ngx_kmip_op_set_num(r, view, "State", NGX_KMIP_TYPE_ENUMERATION,
                               state)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!obj->destroyed) {
        return NGX_OK;
    }

    if (ngx_kmip_op_set_num(r, view, "State", NGX_KMIP_TYPE_ENUMERATION,
                            state == NGX_KMIP_STATE_COMPROMISED
                            ? NGX_KMIP_STATE_DESTROYED_COMPROMISED
                            : NGX_KMIP_STATE_DESTROYED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (obj->deletion_date
        && ngx_kmip_op_set_num(r, view, "Destroy Date",
                               NGX_KMIP_TYPE_DATE_TIME, obj->deletion_date)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* ---------------------------------------------------- Create and Register */

static ngx_int_t
ngx_kmip_op_uuid(ngx_kmip_req_t *r, ngx_str_t *uid)
{
    u_char  b[16];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        return NGX_ERROR;
    }

    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;

    uid->data = ngx_pnalloc(r->pool, 36);
    if (uid->data == NULL) {
        return NGX_ERROR;
    }

    uid->len = ngx_sprintf(uid->data,
                           "%02xd%02xd%02xd%02xd-%02xd%02xd-%02xd%02xd-"
                           "%02xd%02xd-%02xd%02xd%02xd%02xd%02xd%02xd",
                           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                           b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                           b[15])
               - uid->data;

    return NGX_OK;
}


/*
 * The Random Number Generator of the keys the server makes (KMIP 1.4
 * 3.44): the material comes from OpenSSL's private DRBG (RAND_priv_bytes),
 * described as OpenSSL reports it, so that a configuration that picks
 * another DRBG is described truly; what cannot be told is Unspecified.
 */

static ngx_kmip_item_t *
ngx_kmip_op_rng_value(ngx_kmip_req_t *r)
{
    uint32_t               alg, drbg, cipher, hash;
    int64_t                len;
    ngx_kmip_item_t       *v;
    ngx_kmip_allocator_t  *a = &r->alloc;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    char                   cname[64], dname[64];
    ngx_uint_t             i;
    const char            *name;
    OSSL_PARAM             params[3];
    EVP_RAND_CTX          *ctx;

    static const struct {
        const char        *name;
        uint32_t           hash;
    } hashes[] = {
        { "SHA256", NGX_KMIP_HASHING_ALGORITHM_SHA_256 },
        { "SHA2-256", NGX_KMIP_HASHING_ALGORITHM_SHA_256 },
        { "SHA384", NGX_KMIP_HASHING_ALGORITHM_SHA_384 },
        { "SHA2-384", NGX_KMIP_HASHING_ALGORITHM_SHA_384 },
        { "SHA512", NGX_KMIP_HASHING_ALGORITHM_SHA_512 },
        { "SHA2-512", NGX_KMIP_HASHING_ALGORITHM_SHA_512 },
    };
#endif

    alg = NGX_KMIP_RNG_ALGORITHM_UNSPECIFIED;
    drbg = 0;
    cipher = 0;
    hash = 0;
    len = 0;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L

    ctx = RAND_get0_private(NULL);
    name = ctx ? EVP_RAND_get0_name(EVP_RAND_CTX_get0_rand(ctx)) : NULL;

    cname[0] = '\0';
    dname[0] = '\0';
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_DRBG_PARAM_CIPHER,
                                                 cname, sizeof(cname));
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_DRBG_PARAM_DIGEST,
                                                 dname, sizeof(dname));
    params[2] = OSSL_PARAM_construct_end();

    if (name && EVP_RAND_CTX_get_params(ctx, params) == 1) {

        if (ngx_strcasecmp((u_char *) name, (u_char *) "CTR-DRBG") == 0
            && ngx_strncasecmp((u_char *) cname, (u_char *) "AES-", 4) == 0)
        {
            drbg = NGX_KMIP_DRBG_ALGORITHM_CTR;
            cipher = NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES;
            len = ngx_atoi((u_char *) cname + 4, 3);

        } else if (ngx_strcasecmp((u_char *) name, (u_char *) "HASH-DRBG")
                   == 0)
        {
            drbg = NGX_KMIP_DRBG_ALGORITHM_HASH;

        } else if (ngx_strcasecmp((u_char *) name, (u_char *) "HMAC-DRBG")
                   == 0)
        {
            drbg = NGX_KMIP_DRBG_ALGORITHM_HMAC;
        }

        for (i = 0;
             drbg != NGX_KMIP_DRBG_ALGORITHM_CTR
             && i < sizeof(hashes) / sizeof(hashes[0]);
             i++)
        {
            if (ngx_strcasecmp((u_char *) dname, (u_char *) hashes[i].name)
                == 0)
            {
                hash = hashes[i].hash;
            }
        }

        if (drbg && (len > 0 || hash)) {
            alg = NGX_KMIP_RNG_ALGORITHM_DRBG;
        }
    }

#endif

    v = ngx_kmip_item_new(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                          NGX_KMIP_TYPE_STRUCTURE);

    if (v == NULL
        || ngx_kmip_add_enum(a, v, NGX_KMIP_TAG_RNG_ALGORITHM, alg) == NULL)
    {
        return NULL;
    }

    if (alg != NGX_KMIP_RNG_ALGORITHM_DRBG) {
        return v;
    }

    if ((cipher
         && (ngx_kmip_add_enum(a, v, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                               cipher) == NULL
             || ngx_kmip_add_integer(a, v, NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                                     (int32_t) len) == NULL))
        || (hash
            && ngx_kmip_add_enum(a, v, NGX_KMIP_TAG_HASHING_ALGORITHM, hash)
               == NULL)
        || ngx_kmip_add_enum(a, v, NGX_KMIP_TAG_DRBG_ALGORITHM, drbg) == NULL)
    {
        return NULL;
    }

    return v;
}


/*
 * A Random Number Generator a client asks for at Create must be the
 * server's (1.4 3.44): every field it gives has the server's value
 */

static ngx_uint_t
ngx_kmip_op_rng_matches(const ngx_kmip_item_t *want,
    const ngx_kmip_item_t *have)
{
    ngx_kmip_item_t  *w, *h;

    for (w = want->v.kids.first; w; w = w->next) {
        h = ngx_kmip_item_find(have, w->tag);

        if (h == NULL || !ngx_kmip_item_equal(w, h)) {
            return 0;
        }
    }

    return 1;
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


/*
 * The object a Create or Register makes: the client's attributes checked,
 * the server's added. out is filled and NGX_DECLINED returned on a
 * client error.
 */

static ngx_int_t
ngx_kmip_op_new_object(ngx_kmip_op_ctx_t *ctx, uint32_t object_type,
    const ngx_kmip_item_t *container, ngx_kmip_object_t **objp)
{
    time_t                       now;
    int64_t                      act;
    ngx_uint_t                   crypto;
    const char                  *err;
    ngx_kmip_req_t              *r = ctx->r;
    ngx_kmip_attr_t             *at;
    ngx_kmip_item_t             *v;
    ngx_kmip_object_t           *obj;
    const ngx_kmip_attr_spec_t  *s;

    obj = ngx_pcalloc(r->pool, sizeof(ngx_kmip_object_t));
    if (obj == NULL) {
        return NGX_ERROR;
    }

    err = NULL;

    if (ngx_kmip_attrs_parse(&r->alloc, container, (unsigned) r->version,
                             &obj->attributes, &err)
        != 0)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "%s", err);
        return NGX_DECLINED;
    }

    for (at = obj->attributes.first; at; at = at->next) {
        s = ngx_kmip_attr_spec(at->name, at->name_len);

        if (s == NULL) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "attribute \"%*s\" is not supported",
                                        at->name_len, at->name);
            return NGX_DECLINED;
        }

        if (!(s->flags & NGX_KMIP_ATTR_ON_CREATE)
            || (unsigned) r->version < s->since)
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "attribute \"%*s\" is set by the "
                                        "server", at->name_len, at->name);
            return NGX_DECLINED;
        }

        if (!(s->flags & NGX_KMIP_ATTR_MULTI) && at->index > 0) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "attribute \"%*s\" takes a single "
                                        "instance", at->name_len, at->name);
            return NGX_DECLINED;
        }

        if (ngx_kmip_attr_check_object(&obj->attributes, NULL, at,
                                       object_type, (unsigned) r->version,
                                       &err)
            != 0)
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "attribute \"%*s\": %s",
                                        at->name_len, at->name, err);
            return NGX_DECLINED;
        }

        if (s->tag == NGX_KMIP_TAG_USAGE_LIMITS) {
            at->value = ngx_kmip_op_usage_limits(r, at->value, &err);
            if (at->value == NULL) {
                (void) ngx_kmip_result_fail(r, ctx->out,
                                            NGX_KMIP_REASON_INVALID_FIELD,
                                            "%s", err);
                return NGX_DECLINED;
            }
        }

        if (s->tag == NGX_KMIP_TAG_RANDOM_NUMBER_GENERATOR
            && ngx_kmip_item_find(at->value, NGX_KMIP_TAG_RNG_ALGORITHM)
               == NULL)
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Random Number Generator without "
                                        "an RNG Algorithm");
            return NGX_DECLINED;
        }
    }

    obj->object_type = object_type;

    /*
     * a Key Format Type asked for (2.1 4.26) is the server's own, or the
     * request fails; it follows from the object, so is not stored
     */

    at = ngx_kmip_attrs_find(&obj->attributes, "Key Format Type", 15, -1);

    if (at) {
        if (at->value->v.num != ngx_kmip_op_key_format(obj)) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_KFT_NOT_SUPPORTED,
                                        "the object is kept as Key Format "
                                        "Type %uD",
                                        ngx_kmip_op_key_format(obj));
            return NGX_DECLINED;
        }

        (void) ngx_kmip_attrs_remove(&obj->attributes, at->name, at->name_len,
                                     -1);
    }

    if (ngx_kmip_op_uuid(r, &obj->uid) != NGX_OK) {
        return NGX_ERROR;
    }

    now = ngx_time();

    /*
     * Sensitive and Extractable as given, else the defaults; the history
     * attributes start from them. Fresh: a new object has not been served
     * (a client registering one may say otherwise). No lease limit. Fresh
     * and Lease Time are for cryptographic objects (1.4 3.20, 3.34), which
     * an Opaque Object is not.
     */

    crypto = object_type != NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT;

    if (ngx_kmip_op_protection_defaults(r, &obj->attributes) != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Always Sensitive",
                               NGX_KMIP_TYPE_BOOLEAN,
                               ngx_kmip_op_attr_num(&obj->attributes,
                                                    "Sensitive", 0) != 0)
           != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Never Extractable",
                               NGX_KMIP_TYPE_BOOLEAN,
                               ngx_kmip_op_attr_num(&obj->attributes,
                                                    "Extractable", 1) == 0)
           != NGX_OK
        || (crypto
            && (ctx->in->operation == NGX_KMIP_OP_CREATE
                || ngx_kmip_attrs_find(&obj->attributes, "Fresh", 5, -1)
                   == NULL)
            && ngx_kmip_op_set_num(r, &obj->attributes, "Fresh",
                                   NGX_KMIP_TYPE_BOOLEAN, 1) != NGX_OK)
        || (crypto
            && ngx_kmip_op_set_num(r, &obj->attributes, "Lease Time",
                                   NGX_KMIP_TYPE_INTERVAL, 0) != NGX_OK))
    {
        return NGX_ERROR;
    }

    v = ngx_kmip_attr_value_text(&r->alloc, obj->uid.data, obj->uid.len);

    if (v == NULL
        || ngx_kmip_attrs_set(&r->alloc, &obj->attributes,
                              "Unique Identifier", v) == NULL
        || ngx_kmip_op_set_num(r, &obj->attributes, "Object Type",
                               NGX_KMIP_TYPE_ENUMERATION, object_type)
           != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Initial Date",
                               NGX_KMIP_TYPE_DATE_TIME, now) != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Last Change Date",
                               NGX_KMIP_TYPE_DATE_TIME, now) != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Original Creation Date",
                               NGX_KMIP_TYPE_DATE_TIME, now) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* an Activation Date that has come makes the object Active at once */

    act = ngx_kmip_op_attr_num(&obj->attributes, "Activation Date", -1);

    if (ngx_kmip_op_set_num(r, &obj->attributes, "State",
                            NGX_KMIP_TYPE_ENUMERATION,
                            (act >= 0 && act <= now)
                            ? NGX_KMIP_STATE_ACTIVE
                            : NGX_KMIP_STATE_PRE_ACTIVE)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    *objp = obj;

    return NGX_OK;
}


/*
 * Quantum Safe (2.1 4.45): the object must stay safe against a quantum
 * adversary. A symmetric key keeps half its length against Grover's
 * search, so only 256-bit AES and ChaCha20 keys are; the server cannot
 * vouch for the content of other objects. 1 if the object is acceptable.
 */

static ngx_uint_t
ngx_kmip_op_quantum_safe(ngx_kmip_object_t *obj)
{
    int64_t  alg;

    if (!ngx_kmip_op_attr_num(&obj->attributes, "Quantum Safe", 0)) {
        return 1;
    }

    if (obj->object_type != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY) {
        return 0;
    }

    alg = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Algorithm",
                               0);

    return (alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES
            || alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20
            || alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20POLY1305)
           && ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Length",
                                   0) >= 256;
}


static ngx_int_t
ngx_kmip_op_store_new(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_int_t        rc;
    ngx_kmip_req_t  *r = ctx->r;

    if (!ngx_kmip_op_quantum_safe(obj)) {
        /* KMIP gives no reason of its own for it: General Failure */
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "NOT_SAFE: a Quantum Safe object must "
                                    "be a 256-bit AES or ChaCha20 key");
    }

    if (ngx_kmip_op_digest(r, obj) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->obj = obj;
    ctx->uid = obj->uid;

    ctx->sop = ngx_kmip_op_store_op(r);
    if (ctx->sop == NULL) {
        return NGX_ERROR;
    }

    ctx->sop->handler = ngx_kmip_op_created;
    ctx->sop->data = ctx;

    rc = ngx_kmip_store_create(r->kp, ctx->sop, obj);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ngx_kmip_op_store_failed(ctx, "create");

    return NGX_OK;
}


static void
ngx_kmip_op_created(ngx_kmip_store_op_t *sop)
{
    ngx_kmip_item_t    *payload;
    ngx_kmip_op_ctx_t  *ctx = sop->data;
    ngx_kmip_req_t     *r = ctx->r;

    if (sop->result != NGX_KMIP_STORE_OK) {
        /* no identifier is given for an object that is not stored */
        ngx_kmip_op_store_failed(ctx, "create");
        ngx_kmip_op_complete(r);
        return;
    }

    r->object = ctx->obj;
    r->id_placeholder = ctx->obj->uid;

    ngx_log_error(NGX_LOG_INFO, r->log, 0,
                  "kmip: %s object \"%V\" stored as Key Protect key %V",
                  ctx->in->operation == NGX_KMIP_OP_CREATE
                  ? "created" : "registered",
                  &ctx->obj->uid, &ctx->obj->kp_id);

    payload = ngx_kmip_payload_new(r);

    /* Register answers with the Unique Identifier only (KMIP 1.4 4.3) */

    if ((ctx->in->operation == NGX_KMIP_OP_CREATE
         && ngx_kmip_add_enum(&r->alloc, payload, NGX_KMIP_TAG_OBJECT_TYPE,
                              ctx->obj->object_type) == NULL)
        || ngx_kmip_add_text(&r->alloc, payload,
                             NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                             ctx->obj->uid.data, ctx->obj->uid.len) == NULL)
    {
        ngx_kmip_op_finish(ctx, NGX_ERROR);
        return;
    }

    ctx->out->payload = payload;

    ngx_kmip_op_complete(r);
}


/*
 * A random Triple DES key with odd parity in every byte (FIPS 46-3), made
 * by OpenSSL's key generation for the cipher
 */

static ngx_int_t
ngx_kmip_op_des_key(const EVP_CIPHER *cipher, u_char *key, size_t len)
{
    ngx_int_t        rc;
    EVP_CIPHER_CTX  *c;

    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return NGX_ERROR;
    }

    rc = (EVP_CipherInit_ex(c, cipher, NULL, NULL, NULL, 1) == 1
          && (size_t) EVP_CIPHER_CTX_key_length(c) == len
          && EVP_CIPHER_CTX_rand_key(c, key) == 1)
         ? NGX_OK : NGX_ERROR;

    EVP_CIPHER_CTX_free(c);

    return rc;
}


static const ngx_kmip_item_t *
ngx_kmip_op_attr_container(ngx_kmip_req_t *r, const ngx_kmip_item_t *payload)
{
    return ngx_kmip_item_find(payload,
                              r->version >= NGX_KMIP_VERSION(2, 0)
                              ? NGX_KMIP_TAG_ATTRIBUTES
                              : NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);
}


ngx_int_t
ngx_kmip_op_create(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    int64_t             alg, len, dflt, bytes;
    ngx_int_t           rc;
    ngx_str_t          *secret;
    ngx_uint_t          matched;
    u_char             *p;
    ngx_kmip_item_t    *ot, *rng;
    ngx_kmip_attr_t    *at;
    ngx_kmip_op_ctx_t  *ctx;
    ngx_kmip_object_t  *obj;
    const EVP_CIPHER   *cipher;

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    ot = ngx_kmip_item_find(in->payload, NGX_KMIP_TAG_OBJECT_TYPE);

    if (ot == NULL || ot->type != NGX_KMIP_TYPE_ENUMERATION) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "Create needs an Object Type");
    }

    if (ot->v.num != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY) {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Create makes Symmetric Keys only");
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_kmip_op_new_object(ctx, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                                ngx_kmip_op_attr_container(r, in->payload),
                                &obj);
    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    alg = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Algorithm",
                               -1);
    len = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Length", -1);

    if (alg == -1) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "Create needs a Cryptographic Algorithm");
    }

    switch (alg) {

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES:
        dflt = 256;
        bytes = (len == 128 || len == 192 || len == 256) ? len / 8 : 0;
        cipher = NULL;
        break;

    /*
     * Triple DES: two keys (112 bits, 128 with the parity bits) or three
     * (168 or 192); the length is kept as the client gave it
     */

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES:
        dflt = 168;
        bytes = (len == 112 || len == 128) ? 16
                : (len == 168 || len == 192) ? 24 : 0;
        cipher = bytes == 16 ? EVP_des_ede_cbc() : EVP_des_ede3_cbc();
        break;

    default:
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Create makes AES and Triple DES keys "
                                    "only");
    }

    if (len == -1) {
        len = dflt;
        bytes = dflt == 256 ? 32 : 24;

        if (ngx_kmip_op_set_num(r, &obj->attributes, "Cryptographic Length",
                                NGX_KMIP_TYPE_INTEGER, len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (bytes == 0) {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES
                                    ? "AES keys are 128, 192 or 256 bits "
                                      "long, not %L"
                                    : "Triple DES keys are 112, 128, 168 or "
                                      "192 bits long, not %L", len);
    }

    /* the generator: the server's, and any the client asks for is it */

    rng = ngx_kmip_op_rng_value(r);
    if (rng == NULL) {
        return NGX_ERROR;
    }

    matched = 1;

    for (at = obj->attributes.first; at; at = at->next) {
        if (ngx_kmip_attr_name_is(at, "Random Number Generator")) {
            matched = ngx_kmip_op_rng_matches(at->value, rng);
            if (matched) {
                break;
            }
        }
    }

    if (!matched) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "the server's random number generator is "
                                    "not the one asked for");
    }

    (void) ngx_kmip_attrs_remove(&obj->attributes,
                                 (u_char *) "Random Number Generator", 23, -1);

    if (ngx_kmip_attrs_set(&r->alloc, &obj->attributes,
                           "Random Number Generator", rng)
        == NULL)
    {
        return NGX_ERROR;
    }

    /*
     * from the private DRBG, as OpenSSL advises for secret keys; DES keys
     * get their parity bits set by OpenSSL's own key generation
     */

    p = ngx_kmip_op_secret(r, (size_t) bytes, &secret);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (cipher == NULL) {
        if (RAND_priv_bytes(p, (int) bytes) != 1) {
            return NGX_ERROR;
        }

    } else if (ngx_kmip_op_des_key(cipher, p, (size_t) bytes) != NGX_OK) {
        return NGX_ERROR;
    }

    obj->material = *secret;

    return ngx_kmip_op_store_new(ctx, obj);
}


static ngx_int_t
ngx_kmip_op_key_block(ngx_kmip_op_ctx_t *ctx, const ngx_kmip_item_t *block,
    ngx_str_t *material, int64_t *alg, int64_t *len)
{
    ngx_kmip_req_t         *r = ctx->r;
    const ngx_kmip_item_t  *kft, *kv, *km, *key, *a, *l;

    if (block == NULL || block->type != NGX_KMIP_TYPE_STRUCTURE) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "the object has no Key Block");
        return NGX_DECLINED;
    }

    if (ngx_kmip_item_find(block, NGX_KMIP_TAG_KEY_WRAPPING_DATA)) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "wrapped key blocks are not supported");
        return NGX_DECLINED;
    }

    kft = ngx_kmip_item_find(block, NGX_KMIP_TAG_KEY_FORMAT_TYPE);
    kv = ngx_kmip_item_find(block, NGX_KMIP_TAG_KEY_VALUE);
    km = ngx_kmip_item_find(kv, NGX_KMIP_TAG_KEY_MATERIAL);

    if (kft == NULL || kv == NULL || kv->type != NGX_KMIP_TYPE_STRUCTURE
        || km == NULL)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "the Key Block needs a Key Format Type "
                                    "and a Key Value with Key Material");
        return NGX_DECLINED;
    }

    if (km->type == NGX_KMIP_TYPE_BYTE_STRING
        && (kft->v.num == NGX_KMIP_KEY_FORMAT_TYPE_RAW
            || kft->v.num == NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE))
    {
        key = km;

    } else if (km->type == NGX_KMIP_TYPE_STRUCTURE
               && kft->v.num
                  == NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_SYMMETRIC_KEY)
    {
        key = ngx_kmip_item_find(km, NGX_KMIP_TAG_KEY);

        if (key == NULL || key->type != NGX_KMIP_TYPE_BYTE_STRING) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Transparent Symmetric Key without "
                                        "a Key");
            return NGX_DECLINED;
        }

    } else {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_KFT_NOT_SUPPORTED,
                                    "Key Format Type %L is not supported",
                                    kft->v.num);
        return NGX_DECLINED;
    }

    if (key->v.str.len == 0 || key->v.str.len > NGX_KMIP_MATERIAL_MAX) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "key material of %uz bytes: 1 to %d "
                                    "are stored", key->v.str.len,
                                    NGX_KMIP_MATERIAL_MAX);
        return NGX_DECLINED;
    }

    material->data = (u_char *) key->v.str.data;
    material->len = key->v.str.len;

    a = ngx_kmip_item_find(block, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM);
    l = ngx_kmip_item_find(block, NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH);

    *alg = (a && a->type == NGX_KMIP_TYPE_ENUMERATION) ? a->v.num : -1;
    *len = (l && l->type == NGX_KMIP_TYPE_INTEGER) ? l->v.num : -1;

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_register(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    int64_t                 alg, len;
    uint32_t                type, subtype;
    ngx_int_t               rc;
    ngx_str_t               material, *secret;
    u_char                 *p;
    ngx_kmip_item_t        *ot;
    ngx_kmip_op_ctx_t      *ctx;
    ngx_kmip_object_t      *obj;
    const ngx_kmip_item_t  *o, *st, *dv, *kb, *kft;

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    ot = ngx_kmip_item_find(in->payload, NGX_KMIP_TAG_OBJECT_TYPE);

    if (ot == NULL || ot->type != NGX_KMIP_TYPE_ENUMERATION) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "Register needs an Object Type");
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    type = (uint32_t) ot->v.num;
    subtype = 0;
    alg = -1;
    len = -1;
    kb = NULL;

    switch (type) {

    case NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY:
        o = ngx_kmip_item_find(in->payload, NGX_KMIP_TAG_SYMMETRIC_KEY);
        kb = ngx_kmip_item_find(o, NGX_KMIP_TAG_KEY_BLOCK);
        rc = ngx_kmip_op_key_block(ctx, kb, &material, &alg, &len);
        break;

    case NGX_KMIP_OBJECT_TYPE_SECRET_DATA:
        o = ngx_kmip_item_find(in->payload, NGX_KMIP_TAG_SECRET_DATA);
        st = ngx_kmip_item_find(o, NGX_KMIP_TAG_SECRET_DATA_TYPE);

        if (st == NULL || st->type != NGX_KMIP_TYPE_ENUMERATION) {
            return ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_MISSING_DATA,
                                        "Secret Data needs a Secret Data "
                                        "Type");
        }

        subtype = (uint32_t) st->v.num;
        kb = ngx_kmip_item_find(o, NGX_KMIP_TAG_KEY_BLOCK);
        rc = ngx_kmip_op_key_block(ctx, kb, &material, &alg, &len);
        break;

    case NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT:
        o = ngx_kmip_item_find(in->payload, NGX_KMIP_TAG_OPAQUE_OBJECT);
        st = ngx_kmip_item_find(o, NGX_KMIP_TAG_OPAQUE_DATA_TYPE);
        dv = ngx_kmip_item_find(o, NGX_KMIP_TAG_OPAQUE_DATA_VALUE);

        if (st == NULL || st->type != NGX_KMIP_TYPE_ENUMERATION
            || dv == NULL || dv->type != NGX_KMIP_TYPE_BYTE_STRING
            || dv->v.str.len == 0 || dv->v.str.len > NGX_KMIP_MATERIAL_MAX)
        {
            return ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Opaque Object needs an Opaque Data "
                                        "Type and 1 to %d bytes of Opaque "
                                        "Data Value", NGX_KMIP_MATERIAL_MAX);
        }

        subtype = (uint32_t) st->v.num;
        material.data = (u_char *) dv->v.str.data;
        material.len = dv->v.str.len;
        rc = NGX_OK;
        break;

    default:
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Register takes Symmetric Keys, Secret "
                                    "Data and Opaque Objects only");
    }

    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_kmip_op_new_object(ctx, type,
                                ngx_kmip_op_attr_container(r, in->payload),
                                &obj);
    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    obj->subtype = subtype;

    /* the format it came in, for Get to answer in (KMIP 2.1 6.1.19) */

    kft = ngx_kmip_item_find(kb, NGX_KMIP_TAG_KEY_FORMAT_TYPE);

    if (kft
        && ngx_kmip_op_set_num(r, &obj->attributes, "Key Format Type",
                               NGX_KMIP_TYPE_ENUMERATION, kft->v.num)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (type == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY) {
        if (alg == -1) {
            alg = ngx_kmip_op_attr_num(&obj->attributes,
                                       "Cryptographic Algorithm", -1);
        }

        if (alg == -1) {
            return ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_MISSING_DATA,
                                        "a Symmetric Key needs a "
                                        "Cryptographic Algorithm");
        }

        if (alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES) {

            /* 16 bytes: two keys, 24: three; with or without parity */

            if ((material.len != 16 && material.len != 24)
                || (len != -1 && len != (int64_t) material.len * 8
                    && len != (int64_t) material.len * 7))
            {
                return ngx_kmip_result_fail(r, out,
                                            NGX_KMIP_REASON_INVALID_FIELD,
                                            "a Triple DES key of %uz bytes "
                                            "and %L bits", material.len, len);
            }

        } else if (len != -1 && len != (int64_t) material.len * 8) {
            return ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Cryptographic Length %L does not "
                                        "match %uz bytes of key material",
                                        len, material.len);
        }

        if (ngx_kmip_op_set_num(r, &obj->attributes,
                                "Cryptographic Algorithm",
                                NGX_KMIP_TYPE_ENUMERATION, alg) != NGX_OK
            || ngx_kmip_op_set_num(r, &obj->attributes,
                                   "Cryptographic Length",
                                   NGX_KMIP_TYPE_INTEGER,
                                   len != -1 ? len
                                   : (int64_t) material.len * 8) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* the client's bytes are copied into a buffer wiped with the request */

    p = ngx_kmip_op_secret(r, material.len, &secret);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, material.data, material.len);
    obj->material = *secret;

    return ngx_kmip_op_store_new(ctx, obj);
}


/* ------------------------------------------------------------------- Get */

ngx_int_t
ngx_kmip_op_get(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_serve(r, in, out, ngx_kmip_op_get_loaded);
}


ngx_int_t
ngx_kmip_op_serve(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_op_next_pt loaded)
{
    ngx_int_t           rc;
    ngx_kmip_op_ctx_t  *ctx;

    ctx = ngx_kmip_op_begin(r, in, out, &rc);
    if (ctx == NULL) {
        return rc;
    }

    rc = ngx_kmip_op_wrap_request(ctx);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    return ngx_kmip_op_load(ctx, 1, loaded);
}


static ngx_int_t
ngx_kmip_op_get_loaded(ngx_kmip_op_ctx_t *ctx)
{
    return ngx_kmip_op_get_material(ctx, ngx_kmip_op_get_served);
}


ngx_int_t
ngx_kmip_op_get_material(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_next_pt next)
{
    int64_t             kft, reg, alg, len;
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_wrap_t    *w = ctx->data;
    ngx_kmip_item_t    *payload, *o, *block, *kv, *km, *want;
    ngx_kmip_object_t  *obj = ctx->obj;
    ngx_kmip_allocator_t  *a = ngx_kmip_op_alloc(r);

    block = NULL;

    if (obj->destroyed) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    r->version >= NGX_KMIP_VERSION(2, 0)
                                    ? NGX_KMIP_REASON_OBJECT_DESTROYED
                                    : NGX_KMIP_REASON_ITEM_NOT_FOUND,
                                    "object \"%V\" is destroyed", &ctx->uid);
    }

    if (obj->material.len == 0) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "object \"%V\" has no key material",
                                    &ctx->uid);
    }

    /*
     * KMIP 1.4 3.48, 3.50 and 11.12: a non-Extractable object is never
     * served, wrapped or not; a Sensitive one only wrapped. The reasons are
     * 1.4's, Permission Denied before
     */

    if (!ngx_kmip_op_attr_num(&obj->attributes, "Extractable", 1)) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    r->version >= NGX_KMIP_VERSION(1, 4)
                                    ? NGX_KMIP_REASON_NOT_EXTRACTABLE
                                    : NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "object \"%V\" is not Extractable",
                                    &ctx->uid);
    }

    if (w == NULL && ngx_kmip_op_attr_num(&obj->attributes, "Sensitive", 0))
    {
        return ngx_kmip_result_fail(r, ctx->out,
                                    r->version >= NGX_KMIP_VERSION(1, 4)
                                    ? NGX_KMIP_REASON_SENSITIVE
                                    : NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "object \"%V\" is Sensitive: it is "
                                    "served wrapped only (a Key Wrapping "
                                    "Specification)", &ctx->uid);
    }

    /* an Opaque Object has no Key Block, so nothing to wrap */

    if (w && obj->object_type == NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    r->version >= NGX_KMIP_VERSION(2, 0)
                                    ? NGX_KMIP_REASON_INVALID_OBJECT_TYPE
                                    : NGX_KMIP_REASON_ILLEGAL_OPERATION,
                                    "object \"%V\" is an Opaque Object: it "
                                    "has no Key Block to wrap", &ctx->uid);
    }

    want = ngx_kmip_item_find(ctx->in->payload, NGX_KMIP_TAG_KEY_FORMAT_TYPE);
    kft = (want && want->type == NGX_KMIP_TYPE_ENUMERATION) ? want->v.num : 0;

    /* unless asked for another, the format the object was registered in */
    reg = ngx_kmip_op_attr_num(&obj->attributes, "Key Format Type", 0);

    payload = ngx_kmip_payload_new(r);

    if (ngx_kmip_add_enum(a, payload, NGX_KMIP_TAG_OBJECT_TYPE,
                          obj->object_type) == NULL
        || ngx_kmip_add_text(a, payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                             obj->uid.data, obj->uid.len) == NULL)
    {
        return NGX_ERROR;
    }

    switch (obj->object_type) {

    case NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY:
        if (kft == 0) {
            kft = (reg == NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_SYMMETRIC_KEY)
                  ? reg : NGX_KMIP_KEY_FORMAT_TYPE_RAW;
        }

        if (kft != NGX_KMIP_KEY_FORMAT_TYPE_RAW
            && kft != NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_SYMMETRIC_KEY)
        {
            return ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_KFT_NOT_SUPPORTED,
                                        "a Symmetric Key is served as Raw "
                                        "or Transparent Symmetric Key");
        }

        alg = ngx_kmip_op_attr_num(&obj->attributes,
                                   "Cryptographic Algorithm", -1);
        len = ngx_kmip_op_attr_num(&obj->attributes,
                                   "Cryptographic Length",
                                   (int64_t) obj->material.len * 8);

        o = ngx_kmip_add_struct(a, payload, NGX_KMIP_TAG_SYMMETRIC_KEY);
        block = ngx_kmip_add_struct(a, o, NGX_KMIP_TAG_KEY_BLOCK);

        if (ngx_kmip_add_enum(a, block, NGX_KMIP_TAG_KEY_FORMAT_TYPE,
                              (uint32_t) kft) == NULL)
        {
            return NGX_ERROR;
        }

        kv = ngx_kmip_add_struct(a, block, NGX_KMIP_TAG_KEY_VALUE);

        if (kft == NGX_KMIP_KEY_FORMAT_TYPE_RAW) {
            km = ngx_kmip_add_bytes(a, kv, NGX_KMIP_TAG_KEY_MATERIAL,
                                    obj->material.data, obj->material.len);

        } else {
            km = ngx_kmip_add_struct(a, kv, NGX_KMIP_TAG_KEY_MATERIAL);
            km = ngx_kmip_add_bytes(a, km, NGX_KMIP_TAG_KEY,
                                    obj->material.data, obj->material.len);
        }

        if (km == NULL
            || (alg != -1
                && ngx_kmip_add_enum(a, block,
                                     NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                                     (uint32_t) alg) == NULL)
            || ngx_kmip_add_integer(a, block,
                                    NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                                    (int32_t) len) == NULL)
        {
            return NGX_ERROR;
        }

        break;

    case NGX_KMIP_OBJECT_TYPE_SECRET_DATA:
        if (kft == 0) {
            kft = (reg == NGX_KMIP_KEY_FORMAT_TYPE_RAW)
                  ? reg : NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE;
        }

        if (kft != NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE
            && kft != NGX_KMIP_KEY_FORMAT_TYPE_RAW)
        {
            return ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_KFT_NOT_SUPPORTED,
                                        "Secret Data is served as Raw or "
                                        "Opaque");
        }

        o = ngx_kmip_add_struct(a, payload, NGX_KMIP_TAG_SECRET_DATA);

        if (ngx_kmip_add_enum(a, o, NGX_KMIP_TAG_SECRET_DATA_TYPE,
                              obj->subtype) == NULL)
        {
            return NGX_ERROR;
        }

        block = ngx_kmip_add_struct(a, o, NGX_KMIP_TAG_KEY_BLOCK);

        if (ngx_kmip_add_enum(a, block, NGX_KMIP_TAG_KEY_FORMAT_TYPE,
                              (uint32_t) kft) == NULL)
        {
            return NGX_ERROR;
        }

        kv = ngx_kmip_add_struct(a, block, NGX_KMIP_TAG_KEY_VALUE);

        if (ngx_kmip_add_bytes(a, kv, NGX_KMIP_TAG_KEY_MATERIAL,
                               obj->material.data, obj->material.len)
            == NULL)
        {
            return NGX_ERROR;
        }

        break;

    case NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT:
        o = ngx_kmip_add_struct(a, payload, NGX_KMIP_TAG_OPAQUE_OBJECT);

        if (ngx_kmip_add_enum(a, o, NGX_KMIP_TAG_OPAQUE_DATA_TYPE,
                              obj->subtype) == NULL
            || ngx_kmip_add_bytes(a, o, NGX_KMIP_TAG_OPAQUE_DATA_VALUE,
                                  obj->material.data, obj->material.len)
               == NULL)
        {
            return NGX_ERROR;
        }

        break;

    default:
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "object \"%V\" has an unknown type",
                                    &ctx->uid);
    }

    if (w) {
        return ngx_kmip_op_wrap_block(ctx, w, payload, block, next);
    }

    ctx->out->payload = payload;

    return next(ctx);
}


/*
 * Fresh turns False "as soon as the object has been served" (KMIP 1.4
 * 3.34). The write comes before the answer, so that Fresh is never True
 * for an object a client has had: the first Get of an object costs the two
 * Key Protect calls of a new generation, once in its life (later Gets see
 * Fresh False and cost nothing more). Concurrent first Gets race on that
 * write; the losers re-read the object, find Fresh False and answer.
 */

ngx_int_t
ngx_kmip_op_get_served(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_ctx_t  *actx;

    if (!ngx_kmip_op_attr_num(&ctx->obj->attributes, "Fresh", 0)) {
        return NGX_OK;
    }

    actx = ngx_kmip_op_ctx(ctx->r, ctx->in, ctx->out);
    if (actx == NULL) {
        return NGX_ERROR;
    }

    actx->uid = ctx->uid;
    actx->data = ctx->out->payload;
    ctx->out->payload = NULL;

    return ngx_kmip_op_mutate(actx, ngx_kmip_op_fresh_apply,
                              ngx_kmip_op_fresh_respond);
}


static ngx_int_t
ngx_kmip_op_fresh_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    if (!ngx_kmip_op_attr_num(&obj->attributes, "Fresh", 0)) {
        /* another Get served it meanwhile */
        ctx->out->payload = ctx->data;
        return NGX_DECLINED;
    }

    if (ngx_kmip_op_set_num(ctx->r, &obj->attributes, "Fresh",
                            NGX_KMIP_TYPE_BOOLEAN, 0)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* not a change in the sense of the Last Change Date (1.4 3.32) */
    return NGX_DONE;
}


static ngx_int_t
ngx_kmip_op_fresh_respond(ngx_kmip_op_ctx_t *ctx)
{
    ctx->out->payload = ctx->data;

    return NGX_OK;
}


/* --------------------------------------------------------------- Destroy */

ngx_int_t
ngx_kmip_op_destroy(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_int_t           rc;
    ngx_kmip_op_ctx_t  *ctx;

    ctx = ngx_kmip_op_begin(r, in, out, &rc);
    if (ctx == NULL) {
        return rc;
    }

    return ngx_kmip_op_load(ctx, 0, ngx_kmip_op_destroy_loaded);
}


static ngx_int_t
ngx_kmip_op_destroy_loaded(ngx_kmip_op_ctx_t *ctx)
{
    int64_t          state;
    ngx_int_t        rc;
    ngx_kmip_req_t  *r = ctx->r;

    if (ctx->obj->destroyed) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    r->version >= NGX_KMIP_VERSION(2, 0)
                                    ? NGX_KMIP_REASON_OBJECT_DESTROYED
                                    : NGX_KMIP_REASON_ITEM_NOT_FOUND,
                                    "object \"%V\" is already destroyed",
                                    &ctx->uid);
    }

    state = ngx_kmip_attrs_state(&ctx->obj->attributes, ngx_time());

    if (state == NGX_KMIP_STATE_ACTIVE) {
        return ngx_kmip_op_wrong_state(ctx, "object \"%V\" is Active: "
                                       "revoke it before destroying it",
                                       &ctx->uid);
    }

    ctx->sop = ngx_kmip_op_store_op(r);
    if (ctx->sop == NULL) {
        return NGX_ERROR;
    }

    ctx->sop->handler = ngx_kmip_op_destroyed;
    ctx->sop->data = ctx;

    rc = ngx_kmip_store_destroy(r->kp, ctx->sop, ctx->obj);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ngx_kmip_op_store_failed(ctx, "destroy");

    return NGX_OK;
}


static void
ngx_kmip_op_destroyed(ngx_kmip_store_op_t *sop)
{
    ngx_kmip_op_ctx_t  *ctx = sop->data;

    ctx->r->object = NULL;

    if (sop->result != NGX_KMIP_STORE_OK) {
        ngx_kmip_op_store_failed(ctx, "destroy");
        ngx_kmip_op_complete(ctx->r);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, ctx->r->log, 0,
                  "kmip: destroyed object \"%V\" (Key Protect key %V "
                  "deleted)", &ctx->uid, &ctx->obj->kp_id);

    ngx_kmip_op_finish(ctx, ngx_kmip_op_respond_uid(ctx));
}


/* ---------------------------------------------------------- Usage Limits */

typedef struct {
    ngx_kmip_item_t            *payload;    /* the answer, held back */
    size_t                      bytes;      /* the data protected */
} ngx_kmip_op_usage_t;


static ngx_kmip_item_t *ngx_kmip_op_usage_value(ngx_kmip_req_t *r,
    int64_t total, int64_t count, int64_t unit);
static ngx_int_t ngx_kmip_op_usage_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_usage_respond(ngx_kmip_op_ctx_t *ctx);


ngx_kmip_item_t *
ngx_kmip_op_usage_limits(ngx_kmip_req_t *r, const ngx_kmip_item_t *value,
    const char **err)
{
    ngx_kmip_item_t  *total, *unit, *v;

    total = ngx_kmip_item_find(value, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL);
    unit = ngx_kmip_item_find(value, NGX_KMIP_TAG_USAGE_LIMITS_UNIT);

    if (total == NULL || total->type != NGX_KMIP_TYPE_LONG_INTEGER
        || total->v.num < 0)
    {
        *err = "Usage Limits needs a non-negative Usage Limits Total";
        return NULL;
    }

    if (unit == NULL || unit->type != NGX_KMIP_TYPE_ENUMERATION
        || (unit->v.num != NGX_KMIP_USAGE_LIMITS_UNIT_BYTE
            && unit->v.num != NGX_KMIP_USAGE_LIMITS_UNIT_OBJECT))
    {
        *err = "Usage Limits needs a Usage Limits Unit of Byte or Object";
        return NULL;
    }

    /* a client's Count is ignored: the server's starts at the Total */

    v = ngx_kmip_op_usage_value(r, total->v.num, total->v.num, unit->v.num);
    if (v == NULL) {
        *err = "no memory";
    }

    return v;
}


static ngx_kmip_item_t *
ngx_kmip_op_usage_value(ngx_kmip_req_t *r, int64_t total, int64_t count,
    int64_t unit)
{
    ngx_kmip_item_t  *v;

    v = ngx_kmip_item_new(&r->alloc, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                          NGX_KMIP_TYPE_STRUCTURE);

    if (v == NULL
        || ngx_kmip_add_long(&r->alloc, v, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL,
                             total) == NULL
        || ngx_kmip_add_long(&r->alloc, v, NGX_KMIP_TAG_USAGE_LIMITS_COUNT,
                             count) == NULL
        || ngx_kmip_add_enum(&r->alloc, v, NGX_KMIP_TAG_USAGE_LIMITS_UNIT,
                             (uint32_t) unit) == NULL)
    {
        return NULL;
    }

    return v;
}


/* Total, Count and Unit of the object's limits; 0 if it has none */

static ngx_uint_t
ngx_kmip_op_usage_get(ngx_kmip_attrs_t *l, int64_t *total, int64_t *count,
    int64_t *unit)
{
    ngx_kmip_attr_t  *at;
    ngx_kmip_item_t  *t, *c, *u;

    at = ngx_kmip_attrs_find(l, "Usage Limits", 12, -1);
    if (at == NULL || at->value == NULL) {
        return 0;
    }

    t = ngx_kmip_item_find(at->value, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL);
    c = ngx_kmip_item_find(at->value, NGX_KMIP_TAG_USAGE_LIMITS_COUNT);
    u = ngx_kmip_item_find(at->value, NGX_KMIP_TAG_USAGE_LIMITS_UNIT);

    /* a malformed stored value allows nothing */
    *total = (t && t->type == NGX_KMIP_TYPE_LONG_INTEGER) ? t->v.num : 0;
    *count = (c && c->type == NGX_KMIP_TYPE_LONG_INTEGER) ? c->v.num : 0;
    *unit = (u && u->type == NGX_KMIP_TYPE_ENUMERATION) ? u->v.num : 0;

    return 1;
}


ngx_uint_t
ngx_kmip_op_usage_used(ngx_kmip_attrs_t *l)
{
    int64_t  total, count, unit;

    return ngx_kmip_op_usage_get(l, &total, &count, &unit) && count < total;
}


static int64_t
ngx_kmip_op_usage_amount(int64_t unit, size_t bytes)
{
    /* Object: one protected object per operation */
    return unit == NGX_KMIP_USAGE_LIMITS_UNIT_BYTE ? (int64_t) bytes : 1;
}


ngx_int_t
ngx_kmip_op_usage_consume(ngx_kmip_op_ctx_t *ctx, size_t bytes)
{
    int64_t               total, count, unit, amount;
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_op_ctx_t    *actx;
    ngx_kmip_op_usage_t  *u;

    if (!ngx_kmip_op_usage_get(&ctx->obj->attributes, &total, &count,
                               &unit))
    {
        return NGX_OK;
    }

    amount = ngx_kmip_op_usage_amount(unit, bytes);

    if (count < amount) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "the Usage Limits of \"%V\" allow %L "
                                    "more, not %L", &ctx->uid, count,
                                    amount);
    }

    /*
     * the allocation is durable before the protected data goes out: a
     * mutation of its own (Get Usage Allocation's, 1.4 4.16), so that a
     * conflict re-reads the object and counts again
     */

    u = ngx_palloc(r->pool, sizeof(ngx_kmip_op_usage_t));
    actx = ngx_kmip_op_ctx(r, ctx->in, ctx->out);
    if (u == NULL || actx == NULL) {
        return NGX_ERROR;
    }

    u->payload = ctx->out->payload;
    u->bytes = bytes;
    ctx->out->payload = NULL;

    actx->uid = ctx->uid;
    actx->data = u;

    return ngx_kmip_op_mutate(actx, ngx_kmip_op_usage_apply,
                              ngx_kmip_op_usage_respond);
}


static ngx_int_t
ngx_kmip_op_usage_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    int64_t               total, count, unit, amount;
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_item_t      *v;
    ngx_kmip_op_usage_t  *u = ctx->data;

    if (!ngx_kmip_op_usage_get(&obj->attributes, &total, &count, &unit)) {
        /* the limits were deleted meanwhile: nothing to account */
        ctx->out->payload = u->payload;
        return NGX_DECLINED;
    }

    /* counted again: a conflict re-read the object */

    amount = ngx_kmip_op_usage_amount(unit, u->bytes);

    if (count < amount) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "the Usage Limits of \"%V\" allow %L "
                                    "more, not %L", &ctx->uid, count,
                                    amount);
        return NGX_DECLINED;
    }

    v = ngx_kmip_op_usage_value(r, total, count - amount, unit);

    if (v == NULL
        || ngx_kmip_attrs_set(&r->alloc, &obj->attributes, "Usage Limits", v)
           == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_op_usage_respond(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_usage_t  *u = ctx->data;

    ctx->out->payload = u->payload;

    return NGX_OK;
}
