
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_create.h"
#include "ngx_kmip_op_rekey.h"


/*
 * Re-key (KMIP 1.4 4.4, 2.1 6.1.46): a replacement for a symmetric key,
 * made as Create makes a key, with the existing key's attributes but
 * those the spec's table sets anew (1.4 table 173, 2.1 table 304), and
 * the existing key's Names moved to it.
 *
 * Key Protect keeps each object apart, so the three writes cannot be one.
 * They are ordered so that a Locate by Name always finds the key a client
 * should use, and so that Re-key run again on the existing key finishes
 * what a failure interrupted (docs/key-protect.md, "Re-key"):
 *
 *   1. the existing key gains its Replacement Object Link to the new
 *      key's Unique Identifier, chosen beforehand (a compare-and-swap on
 *      its generation, retried on a conflict as every update is); its
 *      Names stay;
 *   2. the new key is created, with the Names and a Replaced Object Link
 *      back;
 *   3. the existing key loses its Names (compare-and-swap again).
 *
 * Stopped after 1, the existing key links to no object and keeps the
 * Names; after 2, both keys have them and link to each other. A Re-key
 * of a named key whose Replacement Object Link names an object that links
 * back completes step 3 and answers with that key; one whose link names
 * no object re-keys it afresh.
 *
 * Re-certify replaces a certificate with the same three writes
 * (ngx_kmip_op_replace(), ngx_kmip_op_certify.c): only the replacement's
 * making differs (renew), and what follows step 3 (after).
 */


static ngx_int_t ngx_kmip_op_rekey_renew(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_rekey_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekey_probed(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekey_mark(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_rekey_object(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *old, ngx_kmip_object_t **objp);
static ngx_int_t ngx_kmip_op_rekey_dates(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_attrs_t *l, int64_t offset);
static ngx_int_t ngx_kmip_op_rekey_usage(ngx_kmip_req_t *r,
    ngx_kmip_attrs_t *l);
static ngx_int_t ngx_kmip_op_rekey_marked(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekey_created(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekey_unname(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_uint_t ngx_kmip_op_rekey_same(ngx_kmip_attrs_t *l,
    ngx_str_t *uid);
static ngx_uint_t ngx_kmip_op_rekey_is(ngx_str_t *a, ngx_str_t *b);


/* what the replacement does not take from the existing key */

static const char  *ngx_kmip_rekey_new[] = {
    "Unique Identifier",
    "Digest",
    "Initial Date",
    "Last Change Date",
    "Original Creation Date",
    "Destroy Date",
    "Archive Date",
    "Compromise Occurrence Date",
    "Compromise Date",
    "Revocation Reason",
    "State",
    "Link",
    "Random Number Generator",
    "Fresh",
    "Key Format Type",
    NULL
};


ngx_int_t
ngx_kmip_op_rekey(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_kmip_op_replace_t  *rk;

    rk = ngx_pcalloc(r->pool, sizeof(ngx_kmip_op_replace_t));
    if (rk == NULL) {
        return NGX_ERROR;
    }

    rk->type = NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY;
    rk->what = "Re-key";
    rk->renew = ngx_kmip_op_rekey_renew;

    return ngx_kmip_op_replace(r, in, out, rk);
}


/* a replacement key, made as Create makes a key */

static ngx_int_t
ngx_kmip_op_rekey_renew(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    return ngx_kmip_op_create_key(ctx, obj);
}


ngx_int_t
ngx_kmip_op_replace(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_op_replace_t *rk)
{
    ngx_int_t           rc;
    ngx_kmip_item_t    *attrs;
    ngx_kmip_op_ctx_t  *ctx;

    if (ngx_kmip_op_rekey_offset(r, in, out, &rk->offset) != NGX_OK) {
        return NGX_OK;
    }

    /*
     * the replacement is the existing key's likeness: attributes asked
     * for anew are refused rather than silently dropped
     */

    attrs = ngx_kmip_ttlv_find(in->payload,
                               r->version >= NGX_KMIP_VERSION(2, 0)
                               ? NGX_KMIP_TAG_ATTRIBUTES
                               : NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);

    if (attrs && attrs->type == NGX_KMIP_TYPE_STRUCTURE
        && attrs->v.kids.first)
    {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "%s copies the existing object's "
                                    "attributes: attributes in the request "
                                    "are not supported", rk->what);
    }

    ctx = ngx_kmip_op_begin(r, in, out, &rc);
    if (ctx == NULL) {
        return rc;
    }

    rk->uid = ctx->uid;
    ctx->data = rk;

    return ngx_kmip_op_load(ctx, rk->with_material,
                            ngx_kmip_op_rekey_loaded);
}


static ngx_int_t
ngx_kmip_op_rekey_loaded(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_req_t    *r = ctx->r;
    ngx_kmip_op_replace_t  *rk = ctx->data;

    if (ngx_kmip_op_gone(ctx)) {
        return NGX_OK;
    }

    if (ctx->obj->object_type != rk->type) {
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "object \"%V\" is not a %s: %s "
                                    "replaces those only", &ctx->uid,
                                    (rk->type
                                     == NGX_KMIP_OBJECT_TYPE_CERTIFICATE)
                                    ? "certificate" : "symmetric key",
                                    rk->what);
    }

    /* what the replacement is made from (a certificate's DER) */
    rk->material = ctx->obj->material;

    if (ngx_kmip_op_rekey_link(&ctx->obj->attributes,
                               NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                               &rk->seen)
        == NULL
        || ngx_kmip_attrs_find(&ctx->obj->attributes, "Name", 4, -1) == NULL)
    {
        return ngx_kmip_op_mutate(ctx, ngx_kmip_op_rekey_mark,
                                  ngx_kmip_op_rekey_marked);
    }

    /*
     * a named key already linked to a replacement: an earlier Re-key may
     * have stopped between its writes; the replacement says which
     */

    return ngx_kmip_op_store_fetch(ctx, &rk->seen, 0,
                                   ngx_kmip_op_rekey_probed);
}


static ngx_int_t
ngx_kmip_op_rekey_probed(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_op_replace_t  *rk = ctx->data;
    ngx_kmip_object_t    *repl;
    ngx_kmip_store_op_t  *sop = ctx->sop;

    if (sop->result == NGX_KMIP_STORE_NOT_FOUND) {
        /* stopped before the replacement was made: it is made now */

        ngx_log_error(NGX_LOG_WARN, r->log, 0,
                      "kmip: object \"%V\" links to replacement \"%V\", "
                      "which does not exist: an interrupted Re-key, "
                      "made again", &ctx->uid, &rk->seen);

        return ngx_kmip_op_mutate(ctx, ngx_kmip_op_rekey_mark,
                                  ngx_kmip_op_rekey_marked);
    }

    if (sop->result != NGX_KMIP_STORE_OK || sop->object == NULL) {
        ctx->uid = rk->seen;
        ngx_kmip_op_store_failed(ctx, "read of the replacement");
        return NGX_OK;
    }

    repl = sop->object;

    if (repl->destroyed
        || !ngx_kmip_op_rekey_same(&repl->attributes, &rk->uid))
    {
        /* a replacement of another kind, or gone: a Re-key as any other */
        return ngx_kmip_op_mutate(ctx, ngx_kmip_op_rekey_mark,
                                  ngx_kmip_op_rekey_marked);
    }

    ngx_log_error(NGX_LOG_WARN, r->log, 0,
                  "kmip: completing the interrupted Re-key of object "
                  "\"%V\" by \"%V\"", &ctx->uid, &rk->seen);

    rk->repl = repl;

    return ngx_kmip_op_mutate(ctx, ngx_kmip_op_rekey_unname,
                              ngx_kmip_op_replaced);
}


/* step 1, applied to the existing key as read (again on a conflict) */

static ngx_int_t
ngx_kmip_op_rekey_mark(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_int_t          rc;
    ngx_str_t          now;
    ngx_kmip_op_replace_t  *rk = ctx->data;

    (void) ngx_kmip_op_rekey_link(&obj->attributes,
                                  NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                                  &now);

    if (!ngx_kmip_op_rekey_is(&now, &rk->seen)) {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "object \"%V\" was re-keyed by a "
                                    "concurrent request", &ctx->uid);
        return NGX_DECLINED;
    }

    rc = ngx_kmip_op_rekey_object(ctx, obj, &rk->repl);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_kmip_op_rekey_relink(ctx->r, obj, &rk->repl->uid);
}


ngx_int_t
ngx_kmip_op_rekey_relink(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_str_t *repl)
{
    ngx_str_t         now;
    ngx_kmip_attr_t  *at;

    /*
     * a key has one Replacement Object Link (1.4 3.35): a replacement
     * never made, or one re-keyed again, is linked no more
     */

    at = ngx_kmip_op_rekey_link(&obj->attributes,
                                NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                                &now);
    if (at) {
        (void) ngx_kmip_attrs_remove(&obj->attributes, at->name,
                                     at->name_len, at->index);
    }

    return ngx_kmip_op_add_link(r, &obj->attributes,
                                NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                                repl);
}


/* the replacement: the existing key's likeness, made as Create makes a key */

static ngx_int_t
ngx_kmip_op_rekey_object(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *old,
    ngx_kmip_object_t **objp)
{
    ngx_int_t          rc;
    ngx_kmip_op_replace_t  *rk = ctx->data;

    rc = ngx_kmip_op_rekey_likeness(ctx, old, &ctx->uid, rk->offset, objp);
    if (rc != NGX_OK) {
        return rc;
    }

    rk->old = old;

    return rk->renew(ctx, *objp);
}


ngx_int_t
ngx_kmip_op_rekey_offset(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, int64_t *offset)
{
    ngx_kmip_item_t  *item;

    item = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_OFFSET);

    if (item == NULL) {
        *offset = -1;
        return NGX_OK;
    }

    if (item->type != NGX_KMIP_TYPE_INTERVAL || item->v.num < 0) {
        (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Offset is not an Interval");
        return NGX_DECLINED;
    }

    *offset = item->v.num;

    return NGX_OK;
}


/*
 * The existing key's attributes but those set anew, its Names, the dates
 * the Offset moves, Usage Limits whole again, a Replaced Object Link to it
 */

ngx_int_t
ngx_kmip_op_rekey_likeness(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *old,
    ngx_str_t *old_uid, int64_t offset, ngx_kmip_object_t **objp)
{
    const char         **name;
    ngx_kmip_req_t      *r = ctx->r;
    ngx_kmip_object_t   *obj;

    obj = ngx_pcalloc(r->pool, sizeof(ngx_kmip_object_t));
    if (obj == NULL) {
        return NGX_ERROR;
    }

    obj->object_type = old->object_type;

    if (ngx_kmip_attrs_copy(&r->alloc, &obj->attributes, &old->attributes)
        != 0)
    {
        return NGX_ERROR;
    }

    for (name = ngx_kmip_rekey_new; *name; name++) {
        (void) ngx_kmip_attrs_remove(&obj->attributes, (u_char *) *name,
                                     ngx_strlen(*name), -1);
    }

    if (ngx_kmip_op_rekey_dates(ctx, &obj->attributes, offset) != NGX_OK
        || ngx_kmip_op_rekey_usage(r, &obj->attributes) != NGX_OK
        || ngx_kmip_op_add_link(r, &obj->attributes,
                                NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK,
                                old_uid)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    *objp = obj;

    return NGX_OK;
}


/*
 * With an Offset, the Activation Date is the Initial Date (now) plus it,
 * and the other dates of the existing key move as its Activation Date
 * did (1.4 table 172, 2.1 table 303); without, they are copied
 */

static ngx_int_t
ngx_kmip_op_rekey_dates(ngx_kmip_op_ctx_t *ctx, ngx_kmip_attrs_t *l,
    int64_t offset)
{
    int64_t            at1, at2, d;
    ngx_uint_t         i;

    static const char  *moved[] = {
        "Process Start Date", "Protect Stop Date", "Deactivation Date"
    };

    if (offset < 0) {
        return NGX_OK;
    }

    at1 = ngx_kmip_op_attr_num(l, "Activation Date", -1);
    at2 = (int64_t) ngx_time() + offset;

    if (ngx_kmip_op_set_num(ctx->r, l, "Activation Date",
                            NGX_KMIP_TYPE_DATE_TIME, at2)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; at1 >= 0 && i < sizeof(moved) / sizeof(moved[0]); i++) {
        d = ngx_kmip_op_attr_num(l, moved[i], -1);

        if (d >= 0
            && ngx_kmip_op_set_num(ctx->r, l, moved[i],
                                   NGX_KMIP_TYPE_DATE_TIME, d + (at2 - at1))
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* Usage Limits: the Total copied, the Count the whole Total again */

static ngx_int_t
ngx_kmip_op_rekey_usage(ngx_kmip_req_t *r, ngx_kmip_attrs_t *l)
{
    ngx_kmip_attr_t  *at;
    ngx_kmip_item_t  *v, *it, *copy, *total;

    at = ngx_kmip_attrs_find(l, "Usage Limits", 12, -1);
    if (at == NULL || at->value == NULL) {
        return NGX_OK;
    }

    total = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL);
    if (total == NULL) {
        return NGX_OK;
    }

    v = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_STRUCTURE);
    if (v == NULL) {
        return NGX_ERROR;
    }

    for (it = at->value->v.kids.first; it; it = it->next) {
        copy = ngx_kmip_item_retag(&r->alloc,
                                   it->tag == NGX_KMIP_TAG_USAGE_LIMITS_COUNT
                                   ? total : it, it->tag);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        ngx_kmip_ttlv_item_append(v, copy);
    }

    at->value = v;

    return NGX_OK;
}


/* step 2: the existing key is marked, the replacement is stored */

static ngx_int_t
ngx_kmip_op_rekey_marked(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_replace_t  *rk = ctx->data;

    ctx->uid = rk->repl->uid;

    return ngx_kmip_op_store_write(ctx, ngx_kmip_store_create, rk->repl,
                                   ngx_kmip_op_rekey_created);
}


static ngx_int_t
ngx_kmip_op_rekey_created(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_req_t    *r = ctx->r;
    ngx_kmip_op_replace_t  *rk = ctx->data;

    if (ngx_kmip_op_store_lost(ctx, "create of the replacement")) {
        ngx_log_error(NGX_LOG_WARN, r->log, 0,
                      "kmip: object \"%V\" keeps its Names and links to "
                      "replacement \"%V\", which was not made; Re-key it "
                      "again", &rk->uid, &rk->repl->uid);
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_INFO, r->log, 0,
                  "kmip: object \"%V\" re-keyed by \"%V\" stored as %s "
                  "key %V", &rk->uid, &rk->repl->uid,
                  ngx_kmip_store_name(r->store), &rk->repl->kp_id);

    /* step 3, a write of its own with its own conflicts to retry */

    ctx->uid = rk->uid;
    ctx->retries = 0;

    return ngx_kmip_op_mutate(ctx, ngx_kmip_op_rekey_unname,
                              ngx_kmip_op_replaced);
}


/* step 3: the Names leave the existing key, linked to the replacement */

static ngx_int_t
ngx_kmip_op_rekey_unname(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_kmip_op_replace_t  *rk = ctx->data;

    return ngx_kmip_op_rekey_unname_for(ctx, obj, &rk->repl->uid);
}


ngx_int_t
ngx_kmip_op_rekey_unname_for(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj,
    ngx_str_t *repl)
{
    ngx_str_t  now;

    (void) ngx_kmip_op_rekey_link(&obj->attributes,
                                  NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                                  &now);

    if (!ngx_kmip_op_rekey_is(&now, repl)) {
        ngx_log_error(NGX_LOG_ERR, ctx->r->log, 0,
                      "kmip: object \"%V\" was re-keyed concurrently: "
                      "replacement \"%V\" keeps its Names as well",
                      &ctx->uid, repl);
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "object \"%V\" was re-keyed by a "
                                    "concurrent request", &ctx->uid);
        return NGX_DECLINED;
    }

    (void) ngx_kmip_attrs_remove(&obj->attributes, (u_char *) "Name", 4, -1);

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_replaced(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_next_pt     after;
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_op_replace_t  *rk = ctx->data;

    if (rk->after) {
        /* once: the operation's own writes end with the answer below */
        after = rk->after;
        rk->after = NULL;
        return after(ctx);
    }

    /* the batch's next items mean the replacement (1.4 4.4) */

    r->id_placeholder = rk->repl->uid;
    r->object = rk->repl;
    ctx->uid = rk->repl->uid;

    return ngx_kmip_op_respond_uid(ctx);
}


/* the first Link of a type: its attribute, *uid its target (or empty) */

ngx_kmip_attr_t *
ngx_kmip_op_rekey_link(ngx_kmip_attrs_t *l, uint32_t type, ngx_str_t *uid)
{
    ngx_kmip_attr_t  *at;
    ngx_kmip_item_t  *t, *id;

    uid->len = 0;
    uid->data = NULL;

    for (at = l->first; at; at = at->next) {
        if (at->value == NULL || !ngx_kmip_attr_name_is(at, "Link")) {
            continue;
        }

        t = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_LINK_TYPE);
        id = ngx_kmip_ttlv_find(at->value,
                                NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER);

        if (t && id && t->v.num == type
            && id->type == NGX_KMIP_TYPE_TEXT_STRING)
        {
            uid->data = (u_char *) id->v.str.data;
            uid->len = id->v.str.len;
            return at;
        }
    }

    return NULL;
}


/* a Link of the type to uid (ngx_kmip_op_create.h) */

ngx_int_t
ngx_kmip_op_add_link(ngx_kmip_req_t *r, ngx_kmip_attrs_t *l, uint32_t type,
    ngx_str_t *uid)
{
    ngx_kmip_item_t  *v;

    v = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_STRUCTURE);

    if (v == NULL
        || ngx_kmip_ttlv_add_enum(&r->alloc, v, NGX_KMIP_TAG_LINK_TYPE, type)
           == NULL
        || ngx_kmip_ttlv_add_text(&r->alloc, v,
                                  NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER,
                                  uid->data, uid->len) == NULL
        || ngx_kmip_attrs_add(&r->alloc, l, (u_char *) "Link", 4, v) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* 1 if the attributes hold a Replaced Object Link to uid */

static ngx_uint_t
ngx_kmip_op_rekey_same(ngx_kmip_attrs_t *l, ngx_str_t *uid)
{
    ngx_str_t  back;

    (void) ngx_kmip_op_rekey_link(l, NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK,
                                  &back);

    return ngx_kmip_op_rekey_is(&back, uid);
}


static ngx_uint_t
ngx_kmip_op_rekey_is(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len
           && (a->len == 0 || ngx_strncmp(a->data, b->data, a->len) == 0);
}
