
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_usage.h"


/*
 * Get Attributes, Get Attribute List, and Add / Modify / Delete Attribute,
 * with the 2.x Set Attribute (add or modify the one instance) and Adjust
 * Attribute (increment, decrement or negate the one numeric instance).
 *
 * A run of attribute changes on one object in one request (vCenter sends
 * three Add Attributes in one message) is applied to the object in memory
 * and written to the key store once: the first item of the run does the
 * work and keeps the answers of the others in r->group, which their own
 * turns then copy. On a write conflict the whole run is re-applied to the
 * fresh object.
 */


typedef struct {
    ngx_kmip_req_t              *r;
    ngx_kmip_request_item_t     *in;
    ngx_kmip_response_item_t    *res;
    ngx_kmip_object_t           *obj;
    ngx_kmip_attr_t              at;        /* the attribute named */
    ngx_kmip_attr_t              cur;       /* 2.x: the Current Attribute */
    ngx_kmip_item_t             *curi;      /* its item, when given */
    const ngx_kmip_attr_spec_t  *spec;
    ngx_kmip_attr_t             *found;     /* the instance changed */
} ngx_kmip_op_change_t;


typedef ngx_int_t (*ngx_kmip_op_change_pt)(ngx_kmip_op_change_t *ch);


static ngx_int_t ngx_kmip_op_get_attributes_loaded(ngx_kmip_op_ctx_t *ctx);
static int ngx_kmip_op_get_emit(ngx_kmip_req_t *r, ngx_kmip_item_t *parent,
    ngx_kmip_attr_t *at);
static ngx_int_t ngx_kmip_op_get_named(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_attrs_t *view, ngx_kmip_item_t *parent, ngx_uint_t *named);
static ngx_int_t ngx_kmip_op_get_attribute_list_loaded(
    ngx_kmip_op_ctx_t *ctx);
static ngx_kmip_item_t *ngx_kmip_op_attr_payload(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_attrs_t *view);
static ngx_int_t ngx_kmip_op_group_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_group_respond(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_change_one(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *res,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_change_name_v1(ngx_kmip_op_change_t *ch);
static ngx_int_t ngx_kmip_op_change_name_v2(ngx_kmip_op_change_t *ch);
static ngx_int_t ngx_kmip_op_change_allowed(ngx_kmip_op_change_t *ch);
static ngx_int_t ngx_kmip_op_change_permitted(ngx_kmip_op_change_t *ch,
    unsigned flag);
static ngx_int_t ngx_kmip_op_change_single(ngx_kmip_op_change_t *ch,
    ngx_kmip_op_change_pt *apply);
static ngx_int_t ngx_kmip_op_change_value(ngx_kmip_op_change_t *ch);
static ngx_int_t ngx_kmip_op_change_add(ngx_kmip_op_change_t *ch);
static ngx_uint_t ngx_kmip_op_change_named(ngx_kmip_object_t *obj,
    ngx_kmip_attr_t *at);
static ngx_int_t ngx_kmip_op_change_modify(ngx_kmip_op_change_t *ch);
static ngx_int_t ngx_kmip_op_change_delete(ngx_kmip_op_change_t *ch);
static ngx_kmip_attr_t *ngx_kmip_op_change_instance(ngx_kmip_op_change_t *ch);
static ngx_int_t ngx_kmip_op_change_missing(ngx_kmip_op_change_t *ch);
static ngx_int_t ngx_kmip_op_change_refuse(ngx_kmip_op_change_t *ch,
    uint32_t reason1, uint32_t reason2, const char *what);
static ngx_int_t ngx_kmip_op_change_answer(ngx_kmip_op_change_t *ch);
static ngx_int_t ngx_kmip_op_adjust(ngx_kmip_op_change_t *ch);
static ngx_int_t ngx_kmip_op_adjust_limits(uint8_t type, int64_t *lo,
    int64_t *hi);
static ngx_int_t ngx_kmip_op_adjust_by(ngx_kmip_op_change_t *ch,
    ngx_kmip_item_t *how, ngx_kmip_item_t *by, uint8_t type, int64_t cur,
    int64_t *v);
static ngx_int_t ngx_kmip_op_adjust_fail(ngx_kmip_op_change_t *ch,
    uint32_t reason);


ngx_int_t
ngx_kmip_op_get_attributes(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_begin_load(r, in, out, NULL, 0,
                                  ngx_kmip_op_get_attributes_loaded);
}


static ngx_int_t
ngx_kmip_op_get_attributes_loaded(ngx_kmip_op_ctx_t *ctx)
{
    int                          rc;
    unsigned                     v;
    ngx_uint_t                   named;
    ngx_kmip_req_t              *r = ctx->r;
    ngx_kmip_attr_t             *at;
    ngx_kmip_attrs_t             view;
    ngx_kmip_item_t             *payload, *parent;
    const ngx_kmip_attr_spec_t  *spec;

    v = (unsigned) r->version;

    payload = ngx_kmip_op_attr_payload(ctx, &view);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    parent = payload;

    if (v >= NGX_KMIP_VERSION(2, 0)) {
        parent = ngx_kmip_ttlv_add_struct(&r->alloc, payload,
                                          NGX_KMIP_TAG_ATTRIBUTES);
        if (parent == NULL) {
            return NGX_ERROR;
        }
    }

    named = 0;

    rc = ngx_kmip_op_get_named(ctx, &view, parent, &named);
    if (rc != NGX_OK) {
        /* NGX_DECLINED: ctx->out has the failure */
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    if (named == 0) {
        for (at = view.first; at; at = at->next) {
            spec = ngx_kmip_attr_spec(at->name, at->name_len);

            if (spec && (spec->flags & NGX_KMIP_ATTR_ASKED)) {
                continue;
            }

            rc = ngx_kmip_op_get_emit(r, parent, at);
            if (rc < 0) {
                return NGX_ERROR;
            }
        }
    }

    ctx->out->payload = payload;

    return NGX_OK;
}


/*
 * The attributes the request names (1.x by Attribute Name, 2.x by
 * Attribute Reference), counted in *named; absent attributes are simply
 * not returned. NGX_DECLINED with ctx->out failed.
 */

static ngx_int_t
ngx_kmip_op_get_named(ngx_kmip_op_ctx_t *ctx, ngx_kmip_attrs_t *view,
    ngx_kmip_item_t *parent, ngx_uint_t *named)
{
    unsigned                v;
    const char             *err;
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_attr_t        *at, want;
    const ngx_kmip_item_t  *item;

    v = (unsigned) r->version;

    for (item = ctx->in->payload ? ctx->in->payload->v.kids.first : NULL;
         item;
         item = item->next)
    {
        if (v < NGX_KMIP_VERSION(2, 0)) {
            if (item->tag != NGX_KMIP_TAG_ATTRIBUTE_NAME) {
                continue;
            }

            if (item->type != NGX_KMIP_TYPE_TEXT_STRING) {
                (void) ngx_kmip_result_fail(r, ctx->out,
                                            NGX_KMIP_REASON_INVALID_FIELD,
                                            "Attribute Name is not a Text "
                                            "String");
                return NGX_DECLINED;
            }

            want.name = item->v.str.data;
            want.name_len = item->v.str.len;

        } else {
            if (item->tag != NGX_KMIP_TAG_ATTRIBUTE_REFERENCE) {
                continue;
            }

            if (ngx_kmip_attr_parse_v2(&r->alloc, item, 1, &want, &err)
                != 0)
            {
                /* an attribute the server does not know: none to return */
                (*named)++;
                continue;
            }
        }

        (*named)++;

        for (at = view->first; at; at = at->next) {
            if (at->name_len == want.name_len
                && ngx_strncmp(at->name, want.name, want.name_len) == 0)
            {
                if (ngx_kmip_op_get_emit(r, parent, at) < 0) {
                    return NGX_ERROR;
                }
            }
        }
    }

    return NGX_OK;
}


/*
 * One attribute of a Get Attributes answer. In 1.x an instance of a
 * standard attribute that may have several (Name, Link, Object Group ...)
 * carries its Attribute Index even when it is 0: KMIP 1.4 2.1.1 lets an
 * absent index mean 0, but clients that read several instances, PyKMIP's
 * among them, take the index from the answer. Single-instance and custom
 * (x-) attributes go without, as vCenter's captured answers have them.
 */

static int
ngx_kmip_op_get_emit(ngx_kmip_req_t *r, ngx_kmip_item_t *parent,
    ngx_kmip_attr_t *at)
{
    const ngx_kmip_attr_spec_t  *spec;

    spec = ngx_kmip_attr_spec(at->name, at->name_len);

    return ngx_kmip_attr_emit_index(&r->alloc, parent, at,
                                    (unsigned) r->version,
                                    spec != NULL
                                    && (spec->flags & NGX_KMIP_ATTR_MULTI)
                                    && !(spec->flags & NGX_KMIP_ATTR_CUSTOM));
}


ngx_int_t
ngx_kmip_op_get_attribute_list(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_begin_load(r, in, out, NULL, 0,
                                  ngx_kmip_op_get_attribute_list_loaded);
}


static ngx_int_t
ngx_kmip_op_get_attribute_list_loaded(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_req_t    *r = ctx->r;
    ngx_kmip_attr_t   *at, *p;
    ngx_kmip_attrs_t   view;
    ngx_kmip_item_t   *payload;

    payload = ngx_kmip_op_attr_payload(ctx, &view);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    for (at = view.first; at; at = at->next) {

        /* each name once */
        for (p = view.first; p != at; p = p->next) {
            if (p->name_len == at->name_len
                && ngx_strncmp(p->name, at->name, at->name_len) == 0)
            {
                break;
            }
        }

        if (p != at) {
            continue;
        }

        if (ngx_kmip_attr_emit_ref(&r->alloc, payload, at,
                                   (unsigned) r->version) < 0)
        {
            return NGX_ERROR;
        }
    }

    ctx->out->payload = payload;

    return NGX_OK;
}


/*
 * What both Get Attributes and Get Attribute List answer from: the
 * object's attributes as clients see them (view) and a payload that
 * starts with its Unique Identifier. NULL on error.
 */

static ngx_kmip_item_t *
ngx_kmip_op_attr_payload(ngx_kmip_op_ctx_t *ctx, ngx_kmip_attrs_t *view)
{
    ngx_kmip_req_t  *r = ctx->r;

    if (ngx_kmip_op_view(r, ctx->obj, view) != NGX_OK) {
        return NULL;
    }

    return ngx_kmip_op_payload_uid(r, &ctx->obj->uid);
}


/* ------------------------------------------------- Add, Modify, Delete */

static ngx_int_t
ngx_kmip_op_item_uid(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_str_t *uid)
{
    ngx_kmip_item_t  *item;

    item = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);

    if (item) {
        if (item->type != NGX_KMIP_TYPE_TEXT_STRING) {
            return NGX_DECLINED;
        }

        uid->data = (u_char *) item->v.str.data;
        uid->len = item->v.str.len;
        return NGX_OK;
    }

    if (r->id_placeholder.len == 0) {
        return NGX_DECLINED;
    }

    *uid = r->id_placeholder;

    return NGX_OK;
}


static ngx_uint_t
ngx_kmip_op_is_change(uint32_t op)
{
    return op == NGX_KMIP_OP_ADD_ATTRIBUTE
           || op == NGX_KMIP_OP_MODIFY_ATTRIBUTE
           || op == NGX_KMIP_OP_DELETE_ATTRIBUTE
           || op == NGX_KMIP_OP_SET_ATTRIBUTE
           || op == NGX_KMIP_OP_ADJUST_ATTRIBUTE;
}


ngx_int_t
ngx_kmip_op_change_attribute(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_int_t                  rc;
    ngx_str_t                  uid;
    ngx_uint_t                 idx, end;
    ngx_kmip_op_ctx_t         *ctx;
    ngx_kmip_request_item_t   *it;
    ngx_kmip_response_item_t  *res, *first;

    idx = in - r->msg.items;

    if (r->group && idx > r->group_first && idx < r->group_end) {
        res = &r->group[idx - r->group_first];
        first = &r->results[r->group_first];

        if (first->result_status != r->group[0].result_status) {
            /* the run's write failed: so did this change */
            res = first;
        }

        out->result_status = res->result_status;
        out->result_reason = res->result_reason;
        out->result_message = res->result_message;
        out->result_message_len = res->result_message_len;
        out->payload = res->payload;

        if (res->result_status == NGX_KMIP_STATUS_SUCCESS
            && res->payload == NULL)
        {
            /* not reached by the run (it stopped before): nothing done */
            (void) ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_GENERAL_FAILURE,
                                        "not applied");
        }

        return NGX_OK;
    }

    r->group = NULL;

    ctx = ngx_kmip_op_begin(r, in, out, &rc);
    if (ctx == NULL) {
        return rc;
    }

    /* the run: following attribute changes on the same object */

    for (end = idx + 1; end < r->msg.nitems; end++) {
        it = &r->msg.items[end];

        if (it->item_error || !ngx_kmip_op_is_change(it->operation)
            || ngx_kmip_op_item_uid(r, it, &uid) != NGX_OK
            || uid.len != ctx->uid.len
            || ngx_strncmp(uid.data, ctx->uid.data, uid.len) != 0)
        {
            break;
        }
    }

    r->group = ngx_pcalloc(r->pool,
                           (end - idx) * sizeof(ngx_kmip_response_item_t));
    if (r->group == NULL) {
        return NGX_ERROR;
    }

    r->group_first = idx;
    r->group_end = end;

    return ngx_kmip_op_mutate(ctx, ngx_kmip_op_group_apply,
                              ngx_kmip_op_group_respond);
}


static ngx_int_t
ngx_kmip_op_change_fail(ngx_kmip_req_t *r, ngx_kmip_response_item_t *res,
    uint32_t reason1, uint32_t reason2, const char *what, ngx_kmip_attr_t *at)
{
    return ngx_kmip_result_fail(r, res,
                                r->version >= NGX_KMIP_VERSION(2, 0)
                                ? reason2 : reason1,
                                "attribute \"%*s\": %s",
                                at->name_len, at->name, what);
}


/*
 * A value the object cannot take (a Link Type of another object type):
 * NGX_DECLINED with res failed. 1.4 11.15: an attribute "not supported for
 * this object" is Permission Denied.
 */

static ngx_int_t
ngx_kmip_op_change_object(ngx_kmip_req_t *r, ngx_kmip_response_item_t *res,
    ngx_kmip_object_t *obj, ngx_kmip_attr_t *replacing, ngx_kmip_attr_t *at)
{
    int          rc;
    const char  *err;

    rc = ngx_kmip_attr_check_object(&obj->attributes, replacing, at,
                                    obj->object_type, (unsigned) r->version,
                                    &err);
    if (rc == 0) {
        return NGX_OK;
    }

    if (rc == NGX_KMIP_ATTR_NOT_FOR_OBJECT) {
        (void) ngx_kmip_op_change_fail(r, res,
                                       NGX_KMIP_REASON_PERMISSION_DENIED,
                                       NGX_KMIP_REASON_INVALID_ATTRIBUTE,
                                       err, at);
        return NGX_DECLINED;
    }

    (void) ngx_kmip_op_change_fail(r, res, NGX_KMIP_REASON_INVALID_FIELD,
                                   NGX_KMIP_REASON_INVALID_FIELD, err, at);
    return NGX_DECLINED;
}


/*
 * The lifecycle dates change only while the State allows it (KMIP 1.4
 * 3.24 to 3.27, 2.1 4.1, 4.18, 4.40, 4.41), the State the dates have
 * moved the object to included: otherwise a Deactivation Date moved
 * beyond the present once reached would make a Deactivated key Active
 * again. The Process Start and Protect Stop Dates no longer change once
 * reached. NGX_DECLINED with res failed.
 */

static ngx_int_t
ngx_kmip_op_change_date(ngx_kmip_req_t *r, ngx_kmip_response_item_t *res,
    ngx_kmip_object_t *obj, ngx_kmip_attr_t *at)
{
    time_t            now;
    int64_t           state;
    const char       *why;
    ngx_kmip_attr_t  *cur;

    now = ngx_time();
    state = ngx_kmip_attrs_state(&obj->attributes, now);
    why = NULL;

    if (ngx_kmip_attr_name_is(at, "Activation Date")) {
        if (state != NGX_KMIP_STATE_PRE_ACTIVE) {
            why = "changes only while Pre-Active";
        }

    } else if (ngx_kmip_attr_name_is(at, "Deactivation Date")
               || ngx_kmip_attr_name_is(at, "Process Start Date")
               || ngx_kmip_attr_name_is(at, "Protect Stop Date"))
    {
        cur = ngx_kmip_attrs_find(&obj->attributes, (char *) at->name,
                                  at->name_len, -1);

        if (state != NGX_KMIP_STATE_PRE_ACTIVE
            && state != NGX_KMIP_STATE_ACTIVE)
        {
            why = "changes only while Pre-Active or Active";

        } else if (!ngx_kmip_attr_name_is(at, "Deactivation Date")
                   && cur && cur->value
                   && cur->value->type == NGX_KMIP_TYPE_DATE_TIME
                   && cur->value->v.num <= now)
        {
            why = "has been reached and no longer changes";
        }
    }

    if (why == NULL) {
        return NGX_OK;
    }

    (void) ngx_kmip_op_change_fail(r, res, NGX_KMIP_REASON_PERMISSION_DENIED,
                                   NGX_KMIP_REASON_WRONG_KEY_LIFECYCLE_STATE,
                                   why, at);
    return NGX_DECLINED;
}


/*
 * One change on obj; res gets its answer. NGX_OK (res may be a failure)
 * or NGX_ERROR.
 *
 * Each change runs the same steps: the attribute named by the request,
 * whether the client may change it, how the operation may change it
 * (which also says how to apply it: Set and Adjust Attribute add or
 * modify the one instance), its value, the change, the answer. Every
 * step but the last returns NGX_OK to go on, NGX_DECLINED with res
 * failed, or NGX_ERROR.
 */

static ngx_int_t
ngx_kmip_op_change_one(ngx_kmip_op_ctx_t *ctx, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *res, ngx_kmip_object_t *obj)
{
    ngx_int_t               rc;
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_op_change_t    ch;
    ngx_kmip_op_change_pt   apply;

    /*
     * a run of changes is applied by its first item: a later one the
     * batch runner refuses without the credential (Set Attribute) must
     * not be applied by an earlier one it lets through
     */

    if (r->anonymous && ngx_kmip_op_needs_credential(in->operation)) {
        return ngx_kmip_result_fail(r, res,
                                    NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "%s needs a Username and Password "
                                    "credential",
                                    ngx_kmip_operation_name(in->operation));
    }

    ngx_memzero(&ch, sizeof(ngx_kmip_op_change_t));
    ch.r = r;
    ch.in = in;
    ch.res = res;
    ch.obj = obj;

    if (r->version >= NGX_KMIP_VERSION(2, 0)) {
        rc = ngx_kmip_op_change_name_v2(&ch);

    } else {
        rc = ngx_kmip_op_change_name_v1(&ch);
    }

    if (rc == NGX_OK) {
        rc = ngx_kmip_op_change_allowed(&ch);
    }

    apply = NULL;

    if (rc == NGX_OK) {

        switch (in->operation) {

        case NGX_KMIP_OP_ADD_ATTRIBUTE:
            rc = ngx_kmip_op_change_permitted(&ch, NGX_KMIP_ATTR_ADD);
            apply = ngx_kmip_op_change_add;
            break;

        case NGX_KMIP_OP_MODIFY_ATTRIBUTE:
            rc = ngx_kmip_op_change_permitted(&ch, NGX_KMIP_ATTR_MODIFY);
            apply = ngx_kmip_op_change_modify;
            break;

        case NGX_KMIP_OP_SET_ATTRIBUTE:
            rc = ngx_kmip_op_change_single(&ch, &apply);
            break;

        case NGX_KMIP_OP_ADJUST_ATTRIBUTE:
            rc = ngx_kmip_op_change_single(&ch, &apply);

            if (rc == NGX_OK) {
                rc = ngx_kmip_op_adjust(&ch);
            }

            break;

        default: /* NGX_KMIP_OP_DELETE_ATTRIBUTE */
            rc = ngx_kmip_op_change_permitted(&ch, NGX_KMIP_ATTR_DELETE);
            apply = ngx_kmip_op_change_delete;
            break;
        }
    }

    if (rc == NGX_OK) {
        rc = ngx_kmip_op_change_value(&ch);
    }

    if (rc == NGX_OK) {
        rc = apply(&ch);
    }

    if (rc == NGX_OK) {
        return ngx_kmip_op_change_answer(&ch);
    }

    /* NGX_DECLINED: res has the failure */

    return rc == NGX_DECLINED ? NGX_OK : rc;
}


/*
 * The 1.x request names the attribute by an Attribute, or for Delete
 * Attribute by its Attribute Name and Index
 */

static ngx_int_t
ngx_kmip_op_change_name_v1(ngx_kmip_op_change_t *ch)
{
    const char             *err;
    ngx_kmip_req_t         *r = ch->r;
    ngx_kmip_item_t        *item;
    const ngx_kmip_item_t  *payload;

    payload = ch->in->payload;

    if (ch->in->operation == NGX_KMIP_OP_DELETE_ATTRIBUTE) {
        item = ngx_kmip_op_need(r, ch->res, payload,
                                NGX_KMIP_TAG_ATTRIBUTE_NAME,
                                NGX_KMIP_TYPE_TEXT_STRING,
                                "Delete Attribute needs an Attribute Name");
        if (item == NULL) {
            return NGX_DECLINED;
        }

        ch->at.name = item->v.str.data;
        ch->at.name_len = item->v.str.len;
        ch->at.index = -1;

        item = ngx_kmip_ttlv_find(payload, NGX_KMIP_TAG_ATTRIBUTE_INDEX);
        if (item && item->type == NGX_KMIP_TYPE_INTEGER) {
            ch->at.index = item->v.num;
        }

        return NGX_OK;
    }

    err = "malformed request";

    item = ngx_kmip_ttlv_find(payload, NGX_KMIP_TAG_ATTRIBUTE);

    if (item == NULL
        || ngx_kmip_attr_parse_v1(&r->alloc, item, 0, &ch->at, &err) != 0)
    {
        (void) ngx_kmip_result_fail(r, ch->res, NGX_KMIP_REASON_INVALID_FIELD,
                                    "%s", item ? err : "no Attribute given");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The 2.x request names the attribute by a New Attribute, or for Delete
 * and Adjust Attribute by an Attribute Reference; a Current Attribute,
 * when given, names the instance to change (for Delete, instead of the
 * reference).
 */

static ngx_int_t
ngx_kmip_op_change_name_v2(ngx_kmip_op_change_t *ch)
{
    uint32_t                op;
    const char             *err;
    ngx_kmip_req_t         *r = ch->r;
    ngx_kmip_item_t        *item, *curi;
    const ngx_kmip_item_t  *payload;

    op = ch->in->operation;
    payload = ch->in->payload;
    err = "malformed request";

    item = ngx_kmip_ttlv_find(payload, NGX_KMIP_TAG_NEW_ATTRIBUTE);
    curi = ngx_kmip_ttlv_find(payload, NGX_KMIP_TAG_CURRENT_ATTRIBUTE);

    if (curi) {
        if (curi->type != NGX_KMIP_TYPE_STRUCTURE
            || curi->v.kids.first == NULL
            || ngx_kmip_attr_parse_v2(&r->alloc, curi->v.kids.first, 0,
                                      &ch->cur, &err) != 0)
        {
            (void) ngx_kmip_result_fail(r, ch->res,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Current Attribute: %s", err);
            return NGX_DECLINED;
        }

        ch->curi = curi;
    }

    if (op == NGX_KMIP_OP_DELETE_ATTRIBUTE && curi) {
        ch->at = ch->cur;
        return NGX_OK;
    }

    if (op == NGX_KMIP_OP_DELETE_ATTRIBUTE
        || op == NGX_KMIP_OP_ADJUST_ATTRIBUTE)
    {
        item = ngx_kmip_ttlv_find(payload, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE);
        if (item == NULL) {
            (void) ngx_kmip_result_fail(r, ch->res,
                                        NGX_KMIP_REASON_MISSING_DATA,
                                        "%s needs an Attribute Reference",
                                        ngx_kmip_operation_name(op));
            return NGX_DECLINED;
        }

        if (ngx_kmip_attr_parse_v2(&r->alloc, item, 1, &ch->at, &err) != 0) {
            (void) ngx_kmip_result_fail(r, ch->res,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Attribute Reference: %s", err);
            return NGX_DECLINED;
        }

        return NGX_OK;
    }

    if (item == NULL || item->type != NGX_KMIP_TYPE_STRUCTURE
        || item->v.kids.first == NULL
        || ngx_kmip_attr_parse_v2(&r->alloc, item->v.kids.first, 0, &ch->at,
                                  &err) != 0)
    {
        (void) ngx_kmip_result_fail(r, ch->res, NGX_KMIP_REASON_INVALID_FIELD,
                                    "New Attribute: %s",
                                    item ? err : "missing");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_op_change_allowed(ngx_kmip_op_change_t *ch)
{
    ch->spec = ngx_kmip_attr_spec(ch->at.name, ch->at.name_len);

    if (ch->spec == NULL) {
        return ngx_kmip_op_change_refuse(ch, NGX_KMIP_REASON_INVALID_FIELD,
                                         NGX_KMIP_REASON_UNSUPPORTED_ATTRIBUTE,
                                         "not supported");
    }

    /*
     * Without the credential a client changes only its custom "x-"
     * attributes, which vCenter 8 sets without one (x-Vendor, x-Name ...).
     * Every standard attribute decides how the key may be used or found
     * (Extractable, Sensitive, Usage Limits, the Cryptographic Usage Mask,
     * the dates that move its State, Links...) and needs the credential.
     */

    if (ch->r->anonymous && !(ch->spec->flags & NGX_KMIP_ATTR_CUSTOM)) {
        (void) ngx_kmip_result_fail(ch->r, ch->res,
                                    NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "attribute \"%*s\" needs a Username and "
                                    "Password credential",
                                    ch->at.name_len, ch->at.name);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* Add, Modify and Delete Attribute: what the attribute allows (flag) */

static ngx_int_t
ngx_kmip_op_change_permitted(ngx_kmip_op_change_t *ch, unsigned flag)
{
    const ngx_kmip_attr_spec_t  *s = ch->spec;

    if ((s->flags & flag)
        && ngx_kmip_attr_in_version(&ch->at, (unsigned) ch->r->version))
    {
        return NGX_OK;
    }

    return ngx_kmip_op_change_refuse(ch, NGX_KMIP_REASON_PERMISSION_DENIED,
                                     NGX_KMIP_REASON_ATTRIBUTE_READ_ONLY,
                                     "a client may not change it this way");
}


/*
 * Set and Adjust Attribute (KMIP 2.1 6.1.3, 6.1.51): on the one instance,
 * or a new one; apply says which
 */

static ngx_int_t
ngx_kmip_op_change_single(ngx_kmip_op_change_t *ch,
    ngx_kmip_op_change_pt *apply)
{
    size_t                       count;
    unsigned                     flag;
    const ngx_kmip_attr_spec_t  *s = ch->spec;

    count = ngx_kmip_attrs_count(&ch->obj->attributes, (char *) ch->at.name,
                                 ch->at.name_len);

    if (count > 1) {
        return ngx_kmip_op_change_refuse(ch,
                                         NGX_KMIP_REASON_MULTI_VALUED_ATTRIBUTE,
                                         NGX_KMIP_REASON_MULTI_VALUED_ATTRIBUTE,
                                         "the object has several instances");
    }

    flag = count ? NGX_KMIP_ATTR_MODIFY : NGX_KMIP_ATTR_ADD;

    if (!(s->flags & flag)
        || !ngx_kmip_attr_in_version(&ch->at, (unsigned) ch->r->version))
    {
        return ngx_kmip_op_change_refuse(ch,
                                         NGX_KMIP_REASON_READ_ONLY_ATTRIBUTE,
                                         NGX_KMIP_REASON_READ_ONLY_ATTRIBUTE,
                                         "a client may not set it");
    }

    *apply = count ? ngx_kmip_op_change_modify : ngx_kmip_op_change_add;

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_op_change_value(ngx_kmip_op_change_t *ch)
{
    ngx_kmip_req_t           *r = ch->r;
    ngx_kmip_attr_t          *at = &ch->at;
    ngx_kmip_request_item_t  *in = ch->in;

    /*
     * Usage Limits (1.4 3.21): the Count is the server's, and once the
     * object has protected data under them the limits stay as they are
     */

    if (ch->spec->tag == NGX_KMIP_TAG_USAGE_LIMITS) {
        if (in->operation != NGX_KMIP_OP_ADD_ATTRIBUTE
            && ngx_kmip_op_usage_used(&ch->obj->attributes))
        {
            return ngx_kmip_op_change_refuse(ch,
                                            NGX_KMIP_REASON_PERMISSION_DENIED,
                                            NGX_KMIP_REASON_ATTRIBUTE_READ_ONLY,
                                            "the object has been used under "
                                            "them");
        }

        if (in->operation != NGX_KMIP_OP_DELETE_ATTRIBUTE && at->value) {
            at->value = ngx_kmip_op_usage_limits(r, ch->res, at->value);
            if (at->value == NULL) {
                return NGX_DECLINED;
            }
        }
    }

    if (ch->spec->tag == NGX_KMIP_TAG_RANDOM_NUMBER_GENERATOR && at->value
        && ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_RNG_ALGORITHM) == NULL)
    {
        (void) ngx_kmip_result_fail(r, ch->res, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Random Number Generator without an "
                                    "RNG Algorithm");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_op_change_add(ngx_kmip_op_change_t *ch)
{
    ngx_kmip_attr_t  *at = &ch->at;

    if (!(ch->spec->flags & NGX_KMIP_ATTR_MULTI)
        && ngx_kmip_attrs_find(&ch->obj->attributes, (char *) at->name,
                               at->name_len, -1))
    {
        return ngx_kmip_op_change_refuse(ch,
                                        NGX_KMIP_REASON_ILLEGAL_OPERATION,
                                        NGX_KMIP_REASON_ATTRIBUTE_SINGLE_VALUED,
                                        "the object has it already and it "
                                        "takes one instance");
    }

    if (ngx_kmip_op_change_named(ch->obj, at)) {
        return ngx_kmip_op_change_refuse(ch,
                                      NGX_KMIP_REASON_ILLEGAL_OPERATION,
                                      NGX_KMIP_REASON_NON_UNIQUE_NAME_ATTRIBUTE,
                                      "the object has that Name already");
    }

    if (ngx_kmip_op_change_date(ch->r, ch->res, ch->obj, at) != NGX_OK
        || ngx_kmip_op_change_object(ch->r, ch->res, ch->obj, NULL, at)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    ch->found = ngx_kmip_attrs_add(&ch->r->alloc, &ch->obj->attributes,
                                   at->name, at->name_len, at->value);
    if (ch->found == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * 1 if at is a Name whose Name Value the object has already: a name is
 * one object's (1.4 3.2), and a second instance of it would make its
 * Attribute Index, not the name, tell them apart. Uniqueness across
 * objects is not checked: that would cost a Locate on every write, and
 * Re-key names two keys for a moment (docs/attributes.md).
 */

static ngx_uint_t
ngx_kmip_op_change_named(ngx_kmip_object_t *obj, ngx_kmip_attr_t *at)
{
    ngx_kmip_attr_t  *have;
    ngx_kmip_item_t  *v, *w;

    if (!ngx_kmip_attr_name_is(at, "Name") || at->value == NULL) {
        return 0;
    }

    v = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_NAME_VALUE);
    if (v == NULL || v->type != NGX_KMIP_TYPE_TEXT_STRING) {
        return 0;
    }

    for (have = obj->attributes.first; have; have = have->next) {
        if (have->value == NULL || !ngx_kmip_attr_name_is(have, "Name")) {
            continue;
        }

        w = ngx_kmip_ttlv_find(have->value, NGX_KMIP_TAG_NAME_VALUE);

        if (w && w->type == NGX_KMIP_TYPE_TEXT_STRING
            && w->v.str.len == v->v.str.len
            && ngx_memcmp(w->v.str.data, v->v.str.data, v->v.str.len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_kmip_op_change_modify(ngx_kmip_op_change_t *ch)
{
    ch->found = ngx_kmip_op_change_instance(ch);

    if (ch->found == NULL
        && ch->r->version < NGX_KMIP_VERSION(2, 0)
        && ngx_kmip_attrs_find(&ch->obj->attributes, (char *) ch->at.name,
                               ch->at.name_len, -1)
           == NULL)
    {
        /* 1.4 Table 342: "it needs to first be added", not a missing
           instance */
        return ngx_kmip_op_change_refuse(ch, NGX_KMIP_REASON_INVALID_FIELD,
                                         NGX_KMIP_REASON_ATTRIBUTE_NOT_FOUND,
                                         "not set: add it first");
    }

    if (ch->found == NULL) {
        return ngx_kmip_op_change_missing(ch);
    }

    if (ngx_kmip_op_change_date(ch->r, ch->res, ch->obj, &ch->at) != NGX_OK
        || ngx_kmip_op_change_object(ch->r, ch->res, ch->obj, ch->found,
                                     &ch->at)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    ch->found->value = ch->at.value;

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_op_change_delete(ngx_kmip_op_change_t *ch)
{
    ngx_kmip_attr_t  *at = &ch->at;

    if (ch->r->version >= NGX_KMIP_VERSION(2, 0) && ch->curi == NULL) {
        /* by reference: every instance */
        ch->found = ngx_kmip_attrs_find(&ch->obj->attributes,
                                        (char *) at->name, at->name_len, -1);
        (void) ngx_kmip_attrs_remove(&ch->obj->attributes, at->name,
                                     at->name_len, -1);

    } else {
        ch->found = ngx_kmip_op_change_instance(ch);

        if (ch->found) {
            (void) ngx_kmip_attrs_remove(&ch->obj->attributes,
                                         ch->found->name,
                                         ch->found->name_len,
                                         ch->found->index);
        }
    }

    if (ch->found == NULL) {
        return ngx_kmip_op_change_missing(ch);
    }

    return NGX_OK;
}


/*
 * The instance a Modify or Delete Attribute names: in 2.x by the value of
 * its Current Attribute when it gives one, else by its index (the first
 * when the request gives none)
 */

static ngx_kmip_attr_t *
ngx_kmip_op_change_instance(ngx_kmip_op_change_t *ch)
{
    ngx_kmip_attr_t  *p, *at = &ch->at;

    if (ch->curi == NULL) {
        return ngx_kmip_attrs_find(&ch->obj->attributes, (char *) at->name,
                                   at->name_len,
                                   at->index >= 0 ? at->index : 0);
    }

    for (p = ch->obj->attributes.first; p; p = p->next) {
        if (p->name_len == at->name_len
            && ngx_strncmp(p->name, at->name, at->name_len) == 0
            && ngx_kmip_item_equal(p->value, ch->cur.value))
        {
            return p;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_kmip_op_change_missing(ngx_kmip_op_change_t *ch)
{
    return ngx_kmip_op_change_refuse(ch, NGX_KMIP_REASON_ITEM_NOT_FOUND,
                                     NGX_KMIP_REASON_ATTRIBUTE_NOT_FOUND,
                                     "no such instance");
}


/*
 * The change fails on its attribute; reason1 is the 1.x reason, reason2
 * the 2.x one. NGX_DECLINED, with ch->res failed.
 */

static ngx_int_t
ngx_kmip_op_change_refuse(ngx_kmip_op_change_t *ch, uint32_t reason1,
    uint32_t reason2, const char *what)
{
    (void) ngx_kmip_op_change_fail(ch->r, ch->res, reason1, reason2, what,
                                   &ch->at);
    return NGX_DECLINED;
}


static ngx_int_t
ngx_kmip_op_change_answer(ngx_kmip_op_change_t *ch)
{
    ngx_kmip_req_t   *r = ch->r;
    ngx_kmip_item_t  *payload;

    payload = ngx_kmip_op_payload_uid(r, &ch->obj->uid);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    /*
     * 1.x answers carry the attribute as it now is (or was, for Delete).
     * An index of 0 goes unsaid, as the OASIS cases answer; but a request
     * that named the instance gets it named back (PyKMIP reads the
     * Attribute Index of a Modify or Delete answer)
     */

    if (r->version < NGX_KMIP_VERSION(2, 0)
        && ngx_kmip_attr_emit_index(&r->alloc, payload, ch->found,
                                    (unsigned) r->version,
                                    ch->at.index == 0) < 0)
    {
        return NGX_ERROR;
    }

    ch->res->result_status = NGX_KMIP_STATUS_SUCCESS;
    ch->res->payload = payload;

    return NGX_OK;
}


/*
 * Adjust Attribute (KMIP 2.1 6.1.3): the new value of the attribute from
 * the object's one instance, or from 0 or false when it has none. Numbers
 * (Integer, Long Integer, Interval) are incremented, decremented or
 * negated within their type's range, a Date-Time moves by an Interval, a
 * Boolean is negated. NGX_OK with ch->at.value set, NGX_DECLINED with
 * ch->res failed, or NGX_ERROR.
 */

static ngx_int_t
ngx_kmip_op_adjust(ngx_kmip_op_change_t *ch)
{
    int64_t           cur, v, lo, hi;
    uint8_t           type;
    ngx_int_t         rc;
    ngx_kmip_attr_t  *found, *at = &ch->at;
    ngx_kmip_item_t  *how, *by;

    how = ngx_kmip_op_need(ch->r, ch->res, ch->in->payload,
                           NGX_KMIP_TAG_ADJUSTMENT_TYPE,
                           NGX_KMIP_TYPE_ENUMERATION,
                           "Adjust Attribute needs an Adjustment Type");
    if (how == NULL) {
        return NGX_DECLINED;
    }

    by = ngx_kmip_ttlv_find(ch->in->payload, NGX_KMIP_TAG_ADJUSTMENT_VALUE);

    found = ngx_kmip_attrs_find(&ch->obj->attributes, (char *) at->name,
                                at->name_len, -1);

    /* a custom attribute has the type it was given */

    type = ch->spec->type;

    if (ch->spec->flags & NGX_KMIP_ATTR_ANY_TYPE) {
        type = found && found->value ? found->value->type
               : by ? by->type : NGX_KMIP_TYPE_INTEGER;
    }

    if (ngx_kmip_op_adjust_limits(type, &lo, &hi) != NGX_OK) {
        return ngx_kmip_op_adjust_fail(ch, NGX_KMIP_REASON_INVALID_DATA_TYPE);
    }

    cur = (found && found->value) ? found->value->v.num : 0;
    v = 0;

    rc = ngx_kmip_op_adjust_by(ch, how, by, type, cur, &v);
    if (rc != NGX_OK) {
        return rc;
    }

    if (v < lo || v > hi) {
        return ngx_kmip_op_adjust_fail(ch, NGX_KMIP_REASON_NUMERIC_RANGE);
    }

    at->value = ngx_kmip_attr_value(&ch->r->alloc, type, v);
    if (at->value == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the values a type takes; NGX_DECLINED: no adjustment applies to it */

static ngx_int_t
ngx_kmip_op_adjust_limits(uint8_t type, int64_t *lo, int64_t *hi)
{
    switch (type) {

    case NGX_KMIP_TYPE_INTEGER:
        *lo = INT32_MIN;
        *hi = INT32_MAX;
        return NGX_OK;

    case NGX_KMIP_TYPE_LONG_INTEGER:
        *lo = INT64_MIN;
        *hi = INT64_MAX;
        return NGX_OK;

    case NGX_KMIP_TYPE_INTERVAL:
        *lo = 0;
        *hi = UINT32_MAX;
        return NGX_OK;

    case NGX_KMIP_TYPE_DATE_TIME:
    case NGX_KMIP_TYPE_BOOLEAN:
        *lo = 0;
        *hi = INT64_MAX;
        return NGX_OK;

    default:
        return NGX_DECLINED;
    }
}


/*
 * *v: cur negated, or moved by the Adjustment Value; the sum must not
 * overflow before the type's own range is checked
 */

static ngx_int_t
ngx_kmip_op_adjust_by(ngx_kmip_op_change_t *ch, ngx_kmip_item_t *how,
    ngx_kmip_item_t *by, uint8_t type, int64_t cur, int64_t *v)
{
    int64_t  adj;

    if (how->v.num == NGX_KMIP_ADJUSTMENT_TYPE_NEGATE) {

        if (type == NGX_KMIP_TYPE_BOOLEAN) {
            *v = !cur;
            return NGX_OK;
        }

        if (type == NGX_KMIP_TYPE_DATE_TIME || cur == INT64_MIN) {
            return ngx_kmip_op_adjust_fail(ch,
                                           NGX_KMIP_REASON_INVALID_DATA_TYPE);
        }

        *v = -cur;
        return NGX_OK;
    }

    if (how->v.num != NGX_KMIP_ADJUSTMENT_TYPE_INCREMENT
        && how->v.num != NGX_KMIP_ADJUSTMENT_TYPE_DECREMENT)
    {
        (void) ngx_kmip_result_fail(ch->r, ch->res,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Adjustment Type 0x%08XL is not "
                                    "Increment, Decrement or Negate",
                                    how->v.num);
        return NGX_DECLINED;
    }

    if (type == NGX_KMIP_TYPE_BOOLEAN) {
        return ngx_kmip_op_adjust_fail(ch, NGX_KMIP_REASON_INVALID_DATA_TYPE);
    }

    if (by == NULL) {
        (void) ngx_kmip_result_fail(ch->r, ch->res,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "Adjust Attribute: an increment or "
                                    "decrement needs an Adjustment Value");
        return NGX_DECLINED;
    }

    /* a Date-Time moves by an Interval */

    if (by->type != (type == NGX_KMIP_TYPE_DATE_TIME
                     ? NGX_KMIP_TYPE_INTERVAL : type))
    {
        return ngx_kmip_op_adjust_fail(ch, NGX_KMIP_REASON_INVALID_DATA_TYPE);
    }

    adj = by->v.num;

    if (how->v.num == NGX_KMIP_ADJUSTMENT_TYPE_DECREMENT) {
        if (adj == INT64_MIN) {
            return ngx_kmip_op_adjust_fail(ch, NGX_KMIP_REASON_NUMERIC_RANGE);
        }

        adj = -adj;
    }

    if ((adj > 0 && cur > INT64_MAX - adj)
        || (adj < 0 && cur < INT64_MIN - adj))
    {
        return ngx_kmip_op_adjust_fail(ch, NGX_KMIP_REASON_NUMERIC_RANGE);
    }

    *v = cur + adj;

    return NGX_OK;
}


/* Adjust Attribute fails with the same reason in 1.x and 2.x */

static ngx_int_t
ngx_kmip_op_adjust_fail(ngx_kmip_op_change_t *ch, uint32_t reason)
{
    return ngx_kmip_op_change_refuse(ch, reason, reason,
                                     reason == NGX_KMIP_REASON_NUMERIC_RANGE
                                     ? "the adjusted value is out of range"
                                     : "this adjustment does not apply to "
                                       "its type");
}


static ngx_int_t
ngx_kmip_op_group_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_uint_t                 k, changed;
    ngx_kmip_req_t            *r = ctx->r;
    ngx_kmip_response_item_t  *res;

    changed = 0;

    for (k = r->group_first; k < r->group_end; k++) {
        res = &r->group[k - r->group_first];
        ngx_memzero(res, sizeof(ngx_kmip_response_item_t));
        res->result_status = NGX_KMIP_STATUS_SUCCESS;
    }

    for (k = r->group_first; k < r->group_end; k++) {
        res = &r->group[k - r->group_first];

        if (ngx_kmip_op_change_one(ctx, &r->msg.items[k], res, obj)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (res->result_status == NGX_KMIP_STATUS_SUCCESS) {
            changed++;
            continue;
        }

        if (r->msg.batch_error_continuation
            != NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_CONTINUE)
        {
            /* the batch stops at this item: later ones are not run */
            r->group_end = k + 1;
            break;
        }
    }

    if (changed == 0) {
        (void) ngx_kmip_op_group_respond(ctx);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_op_group_respond(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_response_item_t  *res = &ctx->r->group[0];

    ctx->out->result_status = res->result_status;
    ctx->out->result_reason = res->result_reason;
    ctx->out->result_message = res->result_message;
    ctx->out->result_message_len = res->result_message_len;
    ctx->out->payload = res->payload;

    return NGX_OK;
}
