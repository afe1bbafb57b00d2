
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_template.h"


/*
 * Templates (1.4 2.2.6). A Template is kept as an Opaque Object is, as
 * given: its material is the TTLV of its Template structure once each
 * attribute is checked, the form a later request reads them in, so that
 * Get answers with it unchanged and the store, which wraps every object's
 * material under the root key and keeps large ones in chunks, needs
 * nothing new; its own attributes (Name, Object Group...) are the
 * object's, found by Locate as any other's. Register keeps a Name to one
 * live Template.
 *
 * A Create, Create Key Pair or Register whose Template-Attribute names a
 * template (a Name structure directly inside it) reads every template
 * named before anything is made: one list of the store (as Locate's),
 * then each template's read. The operation then reads the container as
 * the templates' attributes followed by its own, so that what reads it
 * next (ngx_kmip_op_new_object()) checks them all as the client's own:
 * of several templates the last one's single-instance attribute wins, the
 * request's own over any template's, and of a multi-instance attribute
 * every value is kept once (1.4 4.1).
 */


typedef struct {
    const ngx_kmip_item_t      *container;  /* the request's */
    const ngx_kmip_item_t      *name;       /* the Name in it */
    ngx_str_t                   uid;        /* the template's */
    ngx_kmip_item_t            *tmpl;       /* its Template structure */
} ngx_kmip_op_named_t;


typedef struct {
    ngx_kmip_op_ctx_t          *ctx;        /* the operation's */
    ngx_kmip_op_next_pt         next;
    ngx_array_t                 named;      /* ngx_kmip_op_named_t */
    ngx_uint_t                  read;       /* templates read so far */
    ngx_kmip_op_list_t          list;
} ngx_kmip_op_templates_t;


static ngx_int_t ngx_kmip_op_template_attr(ngx_kmip_op_ctx_t *ctx,
    const ngx_kmip_item_t *item, ngx_kmip_attrs_t *seen);
static ngx_int_t ngx_kmip_op_template_unique_listed(
    ngx_kmip_op_ctx_t *actx);
static ngx_kmip_object_t *ngx_kmip_op_template_find(
    ngx_kmip_store_op_t *sop, const ngx_kmip_item_t *name,
    ngx_kmip_object_t *after);
static ngx_kmip_item_t *ngx_kmip_op_template_decode(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_templates_listed(ngx_kmip_op_ctx_t *actx);
static ngx_uint_t ngx_kmip_op_template_named(ngx_kmip_object_t *obj,
    const ngx_kmip_item_t *name);
static ngx_int_t ngx_kmip_op_template_read_next(ngx_kmip_op_ctx_t *actx);
static ngx_int_t ngx_kmip_op_template_fetched(ngx_kmip_op_ctx_t *actx);
static ngx_int_t ngx_kmip_op_templates_apply(ngx_kmip_op_templates_t *t);
static ngx_kmip_item_t *ngx_kmip_op_template_merge(
    ngx_kmip_op_templates_t *t, const ngx_kmip_item_t *c);
static ngx_uint_t ngx_kmip_op_template_overridden(
    const ngx_kmip_item_t **items, ngx_uint_t n, ngx_uint_t i);


ngx_int_t
ngx_kmip_op_template_read(ngx_kmip_op_ctx_t *ctx, const ngx_kmip_item_t *tmpl,
    ngx_str_t *bytes)
{
    size_t                  size;
    ngx_int_t               rc;
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_item_t        *kept, *copy;
    ngx_kmip_attrs_t        seen;
    const ngx_kmip_item_t  *item;

    if (tmpl == NULL || tmpl->type != NGX_KMIP_TYPE_STRUCTURE
        || tmpl->v.kids.first == NULL)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "a Template needs one Attribute or more");
        return NGX_DECLINED;
    }

    kept = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_TEMPLATE,
                                  NGX_KMIP_TYPE_STRUCTURE);
    if (kept == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&seen, sizeof(ngx_kmip_attrs_t));

    for (item = tmpl->v.kids.first; item; item = item->next) {
        rc = ngx_kmip_op_template_attr(ctx, item, &seen);
        if (rc != NGX_OK) {
            return rc;
        }

        copy = ngx_kmip_ttlv_item_copy(&r->alloc, item);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        ngx_kmip_ttlv_item_append(kept, copy);
    }

    size = ngx_kmip_ttlv_size(kept);

    if (size > NGX_KMIP_STORE_MATERIAL_MAX) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "a Template of %uz bytes: %d are kept",
                                    size, NGX_KMIP_STORE_MATERIAL_MAX);
        return NGX_DECLINED;
    }

    bytes->data = ngx_pnalloc(r->pool, size);
    if (bytes->data == NULL) {
        return NGX_ERROR;
    }

    bytes->len = ngx_kmip_ttlv_encode(kept, bytes->data) - bytes->data;

    return NGX_OK;
}


/*
 * One attribute of a Template: one a client may give a new cryptographic
 * object (1.4 2.2.6, "client-settable"), and not one that belongs to a
 * single object: a Name (1.4 11.4: Invalid Field), the server's own
 * (Unique Identifier, State, Digest, the dates it sets), and what only
 * one object can say of itself (Fresh, its Random Number Generator, a
 * Link to another object)
 */

static ngx_int_t
ngx_kmip_op_template_attr(ngx_kmip_op_ctx_t *ctx, const ngx_kmip_item_t *item,
    ngx_kmip_attrs_t *seen)
{
    const char                  *err;
    ngx_kmip_req_t              *r = ctx->r;
    ngx_kmip_attr_t              at, *added;
    const ngx_kmip_attr_spec_t  *s;

    err = NULL;

    if (ngx_kmip_attr_parse_v1(&r->alloc, item, 0, &at, &err) != 0) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Template: %s", err);
        return NGX_DECLINED;
    }

    s = ngx_kmip_attr_spec(at.name, at.name_len);

    if (s == NULL || !ngx_kmip_attr_in_version(&at, (unsigned) r->version)) {
        err = "is not one the server keeps in this version";

    } else if (ngx_kmip_attr_name_is(&at, "Name")) {
        err = "names the template: it goes in the Template-Attribute of "
              "the Register, not in the Template";

    } else if (!(s->flags & NGX_KMIP_ATTR_ON_CREATE)) {
        err = "is set by the server";

    } else if (ngx_kmip_attr_name_is(&at, "Fresh")
               || ngx_kmip_attr_name_is(&at, "Random Number Generator")
               || ngx_kmip_attr_name_is(&at, "Link"))
    {
        err = "is one object's own, not a template's";
    }

    if (err == NULL) {
        added = ngx_kmip_attrs_add(&r->alloc, seen, at.name, at.name_len,
                                   at.value);
        if (added == NULL) {
            return NGX_ERROR;
        }

        if (added->index > 0 && !(s->flags & NGX_KMIP_ATTR_MULTI)) {
            err = "takes a single instance";
        }
    }

    if (err) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Template: attribute \"%*s\" %s",
                                    at.name_len, at.name, err);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_uint_t
ngx_kmip_op_template_lists(ngx_kmip_req_t *r,
    const ngx_kmip_request_item_t *item)
{
    ngx_uint_t              i;
    const ngx_kmip_item_t  *c, *ot;

    static const uint32_t  containers[] = {
        NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE,
        NGX_KMIP_TAG_COMMON_TEMPLATE_ATTRIBUTE,
        NGX_KMIP_TAG_PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
        NGX_KMIP_TAG_PUBLIC_KEY_TEMPLATE_ATTRIBUTE
    };

    if (r->version >= NGX_KMIP_VERSION(2, 0)
        || (item->operation != NGX_KMIP_OP_CREATE
            && item->operation != NGX_KMIP_OP_REGISTER
            && item->operation != NGX_KMIP_OP_CREATE_KEY_PAIR))
    {
        return 0;
    }

    ot = ngx_kmip_ttlv_find(item->payload, NGX_KMIP_TAG_OBJECT_TYPE);

    if (item->operation == NGX_KMIP_OP_REGISTER && ot
        && ot->type == NGX_KMIP_TYPE_ENUMERATION
        && ot->v.num == NGX_KMIP_OBJECT_TYPE_TEMPLATE)
    {
        return 1;
    }

    for (i = 0; i < sizeof(containers) / sizeof(containers[0]); i++) {
        c = ngx_kmip_ttlv_find(item->payload, containers[i]);

        if (c && c->type == NGX_KMIP_TYPE_STRUCTURE
            && ngx_kmip_ttlv_find(c, NGX_KMIP_TAG_NAME))
        {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_kmip_op_template_unique(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_next_pt next)
{
    ngx_kmip_op_ctx_t        *actx;
    ngx_kmip_op_templates_t  *t;

    if (ngx_kmip_attrs_find(&ctx->obj->attributes, "Name", 4, -1) == NULL) {
        return next(ctx);
    }

    if (ngx_kmip_op_lists_over(ctx->r, ctx->out)) {
        return NGX_OK;
    }

    actx = ngx_kmip_op_ctx(ctx->r, ctx->in, ctx->out);
    t = ngx_pcalloc(ctx->r->pool, sizeof(ngx_kmip_op_templates_t));
    if (actx == NULL || t == NULL) {
        return NGX_ERROR;
    }

    t->ctx = ctx;
    t->next = next;
    actx->data = t;

    return ngx_kmip_op_list(actx, &t->list,
                            ngx_kmip_op_template_unique_listed);
}


static ngx_int_t
ngx_kmip_op_template_unique_listed(ngx_kmip_op_ctx_t *actx)
{
    ngx_kmip_attr_t          *at;
    ngx_kmip_item_t          *value;
    ngx_kmip_op_templates_t  *t = actx->data;

    if (ngx_kmip_op_store_lost(actx, "list")) {
        return NGX_OK;
    }

    for (at = t->ctx->obj->attributes.first; at; at = at->next) {
        if (at->value && ngx_kmip_attr_name_is(at, "Name")
            && ngx_kmip_op_template_find(actx->sop, at->value, NULL))
        {
            break;
        }
    }

    if (ngx_kmip_op_list_release(actx->r, &t->list, actx->sop) != NGX_OK) {
        return NGX_ERROR;
    }

    if (at) {
        value = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_NAME_VALUE);

        return ngx_kmip_result_fail(actx->r, actx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "a Template is named \"%*s\" already",
                                    value ? value->v.str.len : 0,
                                    value ? value->v.str.data : NULL);
    }

    return t->next(t->ctx);
}


/*
 * The next live Template of a list (after the one given, or from the
 * first) that bears the Name, or NULL
 */

static ngx_kmip_object_t *
ngx_kmip_op_template_find(ngx_kmip_store_op_t *sop,
    const ngx_kmip_item_t *name, ngx_kmip_object_t *after)
{
    ngx_uint_t          k;
    ngx_kmip_object_t  *objs;

    objs = sop->objects->elts;

    for (k = after ? (ngx_uint_t) (after - objs) + 1 : 0;
         k < sop->objects->nelts;
         k++)
    {
        if (!objs[k].destroyed
            && objs[k].object_type == NGX_KMIP_OBJECT_TYPE_TEMPLATE
            && ngx_kmip_op_template_named(&objs[k], name))
        {
            return &objs[k];
        }
    }

    return NULL;
}


ngx_int_t
ngx_kmip_op_template_get(ngx_kmip_op_ctx_t *ctx, ngx_kmip_item_t *payload)
{
    ngx_kmip_item_t  *tmpl;

    tmpl = ngx_kmip_op_template_decode(ctx, ctx->obj);

    if (tmpl == NULL) {
        return NGX_OK;
    }

    ngx_kmip_ttlv_item_append(payload, tmpl);

    return NGX_OK;
}


/*
 * The Template structure a template keeps (its strings in its material,
 * which lives as long as the request), or NULL with ctx->out failed
 */

static ngx_kmip_item_t *
ngx_kmip_op_template_decode(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_kmip_item_t  *tmpl;

    if (obj->object_type != NGX_KMIP_OBJECT_TYPE_TEMPLATE
        || ngx_kmip_ttlv_decode(obj->material.data, obj->material.len, NULL,
                                &ctx->r->alloc, &tmpl, NULL)
           != NGX_KMIP_OK
        || tmpl->tag != NGX_KMIP_TAG_TEMPLATE)
    {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "template \"%V\" is not kept as a "
                                    "Template structure", &ctx->uid);
        return NULL;
    }

    return tmpl;
}


ngx_int_t
ngx_kmip_op_templates(ngx_kmip_op_ctx_t *ctx, const uint32_t *tags,
    ngx_kmip_op_next_pt next)
{
    ngx_kmip_req_t           *r = ctx->r;
    ngx_kmip_item_t          *value;
    ngx_kmip_op_ctx_t        *actx;
    const ngx_kmip_item_t    *c, *name;
    ngx_kmip_op_named_t      *nm;
    ngx_kmip_op_templates_t  *t;

    if (r->version >= NGX_KMIP_VERSION(2, 0)) {
        /* no templates in 2.x: a Name there is an attribute of its own */
        return next(ctx);
    }

    t = NULL;

    for ( /* void */ ; *tags; tags++) {
        c = ngx_kmip_ttlv_find(ctx->in->payload, *tags);

        if (c == NULL || c->type != NGX_KMIP_TYPE_STRUCTURE) {
            continue;
        }

        for (name = c->v.kids.first; name; name = name->next) {
            if (name->tag != NGX_KMIP_TAG_NAME) {
                continue;
            }

            value = ngx_kmip_ttlv_find(name, NGX_KMIP_TAG_NAME_VALUE);

            if (value == NULL || value->type != NGX_KMIP_TYPE_TEXT_STRING) {
                return ngx_kmip_result_fail(r, ctx->out,
                                            NGX_KMIP_REASON_INVALID_FIELD,
                                            "a template is named by a Name "
                                            "with a Name Value");
            }

            if (t == NULL) {
                t = ngx_pcalloc(r->pool, sizeof(ngx_kmip_op_templates_t));
                if (t == NULL
                    || ngx_array_init(&t->named, r->pool, 2,
                                      sizeof(ngx_kmip_op_named_t))
                       != NGX_OK)
                {
                    return NGX_ERROR;
                }
            }

            nm = ngx_array_push(&t->named);
            if (nm == NULL) {
                return NGX_ERROR;
            }

            ngx_memzero(nm, sizeof(ngx_kmip_op_named_t));
            nm->container = c;
            nm->name = name;
        }
    }

    if (t == NULL) {
        return next(ctx);
    }

    if (ngx_kmip_op_lists_over(r, ctx->out)) {
        return NGX_OK;
    }

    /* a context of the lookup's own: ctx->data stays the operation's */

    actx = ngx_kmip_op_ctx(r, ctx->in, ctx->out);
    if (actx == NULL) {
        return NGX_ERROR;
    }

    t->ctx = ctx;
    t->next = next;
    actx->data = t;

    return ngx_kmip_op_list(actx, &t->list, ngx_kmip_op_templates_listed);
}


/* the store's objects listed: each name is one live Template's */

static ngx_int_t
ngx_kmip_op_templates_listed(ngx_kmip_op_ctx_t *actx)
{
    uint32_t                  reason;
    ngx_uint_t                i;
    const char               *why;
    ngx_kmip_req_t           *r = actx->r;
    ngx_kmip_item_t          *value;
    ngx_kmip_object_t        *obj;
    ngx_kmip_op_named_t      *nm;
    ngx_kmip_op_templates_t  *t = actx->data;

    if (ngx_kmip_op_store_lost(actx, "list")) {
        return NGX_OK;
    }

    nm = t->named.elts;
    why = NULL;
    reason = 0;
    value = NULL;

    for (i = 0; why == NULL && i < t->named.nelts; i++) {
        value = ngx_kmip_ttlv_find(nm[i].name, NGX_KMIP_TAG_NAME_VALUE);
        obj = ngx_kmip_op_template_find(actx->sop, nm[i].name, NULL);

        if (obj == NULL) {
            /* 1.4 11.2, 11.3, 11.4: "Templates that do not exist" */
            why = "names no Template";
            reason = NGX_KMIP_REASON_ITEM_NOT_FOUND;

        } else if (ngx_kmip_op_template_find(actx->sop, nm[i].name, obj)) {
            /* two nodes registered one name at once: neither wins */
            why = "names more than one Template";
            reason = NGX_KMIP_REASON_INVALID_FIELD;

        } else if (ngx_kmip_op_archived(obj)) {
            why = "names an archived Template: Recover it first";
            reason = NGX_KMIP_REASON_OBJECT_ARCHIVED;

        } else {
            nm[i].uid.len = obj->uid.len;
            nm[i].uid.data = ngx_pstrdup(r->pool, &obj->uid);

            if (nm[i].uid.data == NULL) {
                return NGX_ERROR;
            }
        }
    }

    if (ngx_kmip_op_list_release(r, &t->list, actx->sop) != NGX_OK) {
        return NGX_ERROR;
    }

    if (why) {
        return ngx_kmip_result_fail(r, actx->out, reason,
                                    "Name \"%*s\" %s", value->v.str.len,
                                    value->v.str.data, why);
    }

    return ngx_kmip_op_template_read_next(actx);
}


/* the object bears the Name: its Name Value, and its Name Type if given */

static ngx_uint_t
ngx_kmip_op_template_named(ngx_kmip_object_t *obj,
    const ngx_kmip_item_t *name)
{
    ngx_kmip_attr_t        *at;
    const ngx_kmip_item_t  *wv, *wt, *hv, *ht;

    wv = ngx_kmip_ttlv_find(name, NGX_KMIP_TAG_NAME_VALUE);
    wt = ngx_kmip_ttlv_find(name, NGX_KMIP_TAG_NAME_TYPE);

    for (at = obj->attributes.first; at; at = at->next) {
        if (at->value == NULL || !ngx_kmip_attr_name_is(at, "Name")) {
            continue;
        }

        hv = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_NAME_VALUE);
        ht = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_NAME_TYPE);

        if (hv && ngx_kmip_item_equal(wv, hv)
            && (wt == NULL || (ht && ngx_kmip_item_equal(wt, ht))))
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_kmip_op_template_read_next(ngx_kmip_op_ctx_t *actx)
{
    ngx_kmip_op_named_t      *nm;
    ngx_kmip_op_templates_t  *t = actx->data;

    if (t->read == t->named.nelts) {
        return ngx_kmip_op_templates_apply(t);
    }

    nm = t->named.elts;
    actx->uid = nm[t->read].uid;

    return ngx_kmip_op_store_fetch(actx, &actx->uid, 1,
                                   ngx_kmip_op_template_fetched);
}


static ngx_int_t
ngx_kmip_op_template_fetched(ngx_kmip_op_ctx_t *actx)
{
    ngx_kmip_item_t          *tmpl;
    ngx_kmip_object_t        *obj;
    ngx_kmip_op_named_t      *nm;
    ngx_kmip_op_templates_t  *t = actx->data;

    if (actx->sop->result == NGX_KMIP_STORE_OK
        && actx->sop->object == NULL)
    {
        actx->sop->result = NGX_KMIP_STORE_FAILED;
    }

    if (ngx_kmip_op_store_lost(actx, "read")) {
        return NGX_OK;
    }

    obj = actx->sop->object;

    if (obj->destroyed) {
        /* destroyed since it was listed */
        return ngx_kmip_result_fail(actx->r, actx->out,
                                    NGX_KMIP_REASON_ITEM_NOT_FOUND,
                                    "template \"%V\" is destroyed",
                                    &actx->uid);
    }

    tmpl = ngx_kmip_op_template_decode(actx, obj);

    if (tmpl == NULL) {
        return NGX_OK;
    }

    nm = t->named.elts;
    nm[t->read++].tmpl = tmpl;

    return ngx_kmip_op_template_read_next(actx);
}


/*
 * Every template read: the operation goes on with a request item of its
 * own, the decoded request left as it came (the audit log reads it), in
 * whose payload each container naming templates is replaced
 */

static ngx_int_t
ngx_kmip_op_templates_apply(ngx_kmip_op_templates_t *t)
{
    ngx_uint_t                i;
    ngx_kmip_req_t           *r = t->ctx->r;
    ngx_kmip_item_t          *payload, *node;
    ngx_kmip_op_named_t      *nm;
    const ngx_kmip_item_t    *item;
    ngx_kmip_request_item_t  *in;

    in = ngx_palloc(r->pool, sizeof(ngx_kmip_request_item_t));
    payload = ngx_kmip_ttlv_item_new(&r->alloc, t->ctx->in->payload->tag,
                                     NGX_KMIP_TYPE_STRUCTURE);
    if (in == NULL || payload == NULL) {
        return NGX_ERROR;
    }

    nm = t->named.elts;

    for (item = t->ctx->in->payload->v.kids.first; item; item = item->next) {
        for (i = 0; i < t->named.nelts; i++) {
            if (nm[i].container == item) {
                break;
            }
        }

        node = (i < t->named.nelts) ? ngx_kmip_op_template_merge(t, item)
               : ngx_kmip_item_retag(&r->alloc, item, item->tag);

        if (node == NULL) {
            return NGX_ERROR;
        }

        ngx_kmip_ttlv_item_append(payload, node);
    }

    *in = *t->ctx->in;
    in->payload = payload;
    t->ctx->in = in;

    return t->next(t->ctx);
}


/*
 * The container c as the attributes of the templates it names, in their
 * order, then its own; a template's attribute that a later one or the
 * request overrides is left out, and so is a value of a multi-instance
 * attribute given again after it. NULL on no memory.
 */

static ngx_kmip_item_t *
ngx_kmip_op_template_merge(ngx_kmip_op_templates_t *t,
    const ngx_kmip_item_t *c)
{
    ngx_uint_t                i, n, own;
    ngx_kmip_req_t           *r = t->ctx->r;
    ngx_kmip_item_t          *merged, *copy;
    ngx_kmip_op_named_t      *nm;
    const ngx_kmip_item_t    *item, **items;

    nm = t->named.elts;
    n = c->v.kids.count;

    for (i = 0; i < t->named.nelts; i++) {
        if (nm[i].container == c) {
            n += nm[i].tmpl->v.kids.count;
        }
    }

    items = ngx_palloc(r->pool, (n + 1) * sizeof(ngx_kmip_item_t *));
    merged = ngx_kmip_ttlv_item_new(&r->alloc, c->tag,
                                    NGX_KMIP_TYPE_STRUCTURE);
    if (items == NULL || merged == NULL) {
        return NULL;
    }

    n = 0;

    for (item = c->v.kids.first; item; item = item->next) {
        for (i = 0; item->tag == NGX_KMIP_TAG_NAME && i < t->named.nelts;
             i++)
        {
            if (nm[i].name != item) {
                continue;
            }

            for (copy = nm[i].tmpl->v.kids.first; copy; copy = copy->next) {
                items[n++] = copy;
            }
        }
    }

    own = n;

    for (item = c->v.kids.first; item; item = item->next) {
        if (item->tag != NGX_KMIP_TAG_NAME) {
            items[n++] = item;
        }
    }

    for (i = 0; i < n; i++) {
        if (i < own && ngx_kmip_op_template_overridden(items, n, i)) {
            continue;
        }

        copy = ngx_kmip_ttlv_item_copy(&r->alloc, items[i]);
        if (copy == NULL) {
            return NULL;
        }

        ngx_kmip_ttlv_item_append(merged, copy);
    }

    return merged;
}


/*
 * A template's attribute items[i] gives way: a single-instance one to the
 * same attribute later (a later template's, the request's), a value of a
 * multi-instance one to the same value anywhere else after it
 */

static ngx_uint_t
ngx_kmip_op_template_overridden(const ngx_kmip_item_t **items, ngx_uint_t n,
    ngx_uint_t i)
{
    ngx_uint_t                   k, multi;
    ngx_kmip_item_t             *name, *other, *value, *v;
    const ngx_kmip_attr_spec_t  *s;

    name = ngx_kmip_ttlv_find(items[i], NGX_KMIP_TAG_ATTRIBUTE_NAME);
    value = ngx_kmip_ttlv_find(items[i], NGX_KMIP_TAG_ATTRIBUTE_VALUE);

    if (name == NULL || value == NULL) {
        return 0;
    }

    s = ngx_kmip_attr_spec(name->v.str.data, name->v.str.len);
    multi = (s && (s->flags & NGX_KMIP_ATTR_MULTI));

    for (k = i + 1; k < n; k++) {
        other = ngx_kmip_ttlv_find(items[k], NGX_KMIP_TAG_ATTRIBUTE_NAME);
        v = ngx_kmip_ttlv_find(items[k], NGX_KMIP_TAG_ATTRIBUTE_VALUE);

        if (other == NULL || !ngx_kmip_item_equal(name, other)) {
            continue;
        }

        if (!multi || (v && ngx_kmip_item_equal(value, v))) {
            return 1;
        }
    }

    return 0;
}
