
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_template.h"


/*
 * Locate: the store lists the live objects (their records, no key
 * material; at most NGX_KMIP_STORE_LIST_MAX) and the filter runs here, on
 * the attributes as clients see them (ngx_kmip_op_view()). Every attribute
 * given must match one instance of the object's: Name by Name Value (and
 * Name Type), Cryptographic Usage Mask as a subset of bits, Usage Limits
 * by a Total and Count at least those given, a date given twice as a
 * range, anything else by equal value.
 * With Object Group Member "Group Member Fresh", only Fresh objects match.
 * The Storage Status Mask says whether on-line objects, archived ones or
 * both are found (on-line only without one).
 * An attribute the request's version does not define (Fresh in 1.0, Short
 * Unique Identifier in 1.x, Operation Policy Name in 2.x) is one no object
 * has in that version, as its answers show: a filter on it matches
 * nothing, as one on an attribute no object has.
 * Newest objects come first.
 *
 * One Locate reads every object's record (a Key Protect call each): its
 * calls, records and views live in a pool of its own, destroyed once the
 * Unique Identifiers found are copied out, so that a batch of Locate items
 * holds one Locate's worth at a time; and a batch takes a few Locate items
 * only (each one is up to 1 + NGX_KMIP_STORE_LIST_MAX Key Protect calls),
 * the items that name or register a template counted with them, as they
 * list the store too (ngx_kmip_op_template.c).
 */




typedef struct {
    ngx_kmip_attrs_t            filter;
    int64_t                     max;        /* -1: no limit */
    int64_t                     offset;
    ngx_uint_t                  fresh;
    int64_t                     storage;    /* Storage Status Mask */
    ngx_uint_t                  none;       /* the filter matches none */
    ngx_kmip_op_list_t          list;
} ngx_kmip_locate_t;


static void ngx_kmip_op_list_cleanup(void *data);
static ngx_int_t ngx_kmip_op_located(ngx_kmip_op_ctx_t *ctx);
static ngx_uint_t ngx_kmip_locate_default_policy(ngx_kmip_attrs_t *view,
    ngx_kmip_attr_t *w);
static ngx_uint_t ngx_kmip_locate_usage(ngx_kmip_item_t *want,
    ngx_kmip_item_t *have);


ngx_int_t
ngx_kmip_op_locate(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    const char               *err;
    ngx_kmip_attr_t           at, *w;
    ngx_kmip_locate_t        *lc;
    ngx_kmip_op_ctx_t        *ctx;
    const ngx_kmip_item_t    *item;

    if (ngx_kmip_op_no_store(r, out) || ngx_kmip_op_lists_over(r, out)) {
        return NGX_OK;
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    lc = ngx_pcalloc(r->pool, sizeof(ngx_kmip_locate_t));
    if (ctx == NULL || lc == NULL) {
        return NGX_ERROR;
    }

    ctx->data = lc;
    lc->max = -1;
    /* without a Storage Status Mask, on-line objects only (2.1 6.1.27) */
    lc->storage = NGX_KMIP_STORAGE_STATUS_MASK_ON_LINE_STORAGE;
    err = NULL;

    for (item = in->payload ? in->payload->v.kids.first : NULL;
         item;
         item = item->next)
    {
        switch (item->tag) {

        case NGX_KMIP_TAG_MAXIMUM_ITEMS:
            if (item->type != NGX_KMIP_TYPE_INTEGER || item->v.num < 0) {
                goto invalid;
            }

            lc->max = item->v.num;
            break;

        case NGX_KMIP_TAG_OFFSET_ITEMS:
            if (item->type != NGX_KMIP_TYPE_INTEGER || item->v.num < 0) {
                goto invalid;
            }

            lc->offset = item->v.num;
            break;

        case NGX_KMIP_TAG_ATTRIBUTE:
            if (r->version >= NGX_KMIP_VERSION(2, 0)) {
                goto invalid;
            }

            if (ngx_kmip_attr_parse_v1(&r->alloc, item, 0, &at, &err) != 0
                || ngx_kmip_attrs_add(&r->alloc, &lc->filter, at.name,
                                      at.name_len, at.value) == NULL)
            {
                goto invalid;
            }

            break;

        case NGX_KMIP_TAG_ATTRIBUTES:
            if (ngx_kmip_attrs_parse(&r->alloc, item, (unsigned) r->version,
                                     &lc->filter, &err) != 0)
            {
                goto invalid;
            }

            break;

        case NGX_KMIP_TAG_OBJECT_GROUP_MEMBER:
            if (item->type != NGX_KMIP_TYPE_ENUMERATION) {
                goto invalid;
            }

            /* the server has no policy of a default member (1.4 4.9) */
            lc->fresh = item->v.num
                        == NGX_KMIP_OBJECT_GROUP_MEMBER_GROUP_MEMBER_FRESH;
            break;

        case NGX_KMIP_TAG_STORAGE_STATUS_MASK:
            if (item->type != NGX_KMIP_TYPE_INTEGER) {
                goto invalid;
            }

            lc->storage = item->v.num;
            break;

        default:
            break;
        }
    }

    for (w = lc->filter.first; w; w = w->next) {
        if (!ngx_kmip_attr_in_version(w, (unsigned) r->version)) {
            lc->none = 1;
        }
    }

    return ngx_kmip_op_list(ctx, &lc->list, ngx_kmip_op_located);

invalid:

    return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                "Locate: %s",
                                err ? err : "malformed request payload");
}


static ngx_uint_t
ngx_kmip_locate_match_one(ngx_kmip_attr_t *want, ngx_kmip_attr_t *have)
{
    ngx_kmip_item_t  *wv, *hv, *wt, *ht;

    if (ngx_kmip_attr_name_is(want, "Name")) {
        wv = ngx_kmip_ttlv_find(want->value, NGX_KMIP_TAG_NAME_VALUE);
        hv = ngx_kmip_ttlv_find(have->value, NGX_KMIP_TAG_NAME_VALUE);
        wt = ngx_kmip_ttlv_find(want->value, NGX_KMIP_TAG_NAME_TYPE);
        ht = ngx_kmip_ttlv_find(have->value, NGX_KMIP_TAG_NAME_TYPE);

        return wv && hv && ngx_kmip_item_equal(wv, hv)
               && (wt == NULL || (ht && wt->v.num == ht->v.num));
    }

    if (ngx_kmip_attr_name_is(want, "Cryptographic Usage Mask")) {
        return want->value->type == have->value->type
               && (have->value->v.num & want->value->v.num)
                  == want->value->v.num;
    }

    if (ngx_kmip_attr_name_is(want, "Usage Limits")) {
        return ngx_kmip_locate_usage(want->value, have->value);
    }

    return ngx_kmip_item_equal(want->value, have->value);
}


/*
 * A date attribute given twice is a range, ends included (KMIP 1.4 4.9,
 * 2.1 6.1.28): all the instances of a date in the filter are taken
 * together as [earliest, latest], which for one instance is that date.
 * Returns 1 for the first instance of a date (lo and hi set), 0 for the
 * others (already counted), 2 for an attribute that is not a date.
 */

static ngx_uint_t
ngx_kmip_locate_date_range(ngx_kmip_attrs_t *filter, ngx_kmip_attr_t *w,
    int64_t *lo, int64_t *hi)
{
    ngx_kmip_attr_t  *o;

    if (w->value->type != NGX_KMIP_TYPE_DATE_TIME) {
        return 2;
    }

    *lo = w->value->v.num;
    *hi = w->value->v.num;

    for (o = filter->first; o; o = o->next) {
        if (o == w || o->value == NULL
            || o->value->type != NGX_KMIP_TYPE_DATE_TIME
            || o->name_len != w->name_len
            || ngx_strncmp(o->name, w->name, w->name_len) != 0)
        {
            continue;
        }

        if (o->index < w->index) {
            return 0;
        }

        *lo = ngx_min(*lo, o->value->v.num);
        *hi = ngx_max(*hi, o->value->v.num);
    }

    return 1;
}



/* KMIP 1.4 4.9: a Total and Count "equal to or larger than" those given */

static ngx_uint_t
ngx_kmip_locate_usage(ngx_kmip_item_t *want, ngx_kmip_item_t *have)
{
    ngx_uint_t        k;
    ngx_kmip_item_t  *w, *h;

    static const uint32_t  tags[] = {
        NGX_KMIP_TAG_USAGE_LIMITS_TOTAL, NGX_KMIP_TAG_USAGE_LIMITS_COUNT
    };

    for (k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
        w = ngx_kmip_ttlv_find(want, tags[k]);
        h = ngx_kmip_ttlv_find(have, tags[k]);

        if (w && (h == NULL || h->type != w->type || h->v.num < w->v.num)) {
            return 0;
        }
    }

    w = ngx_kmip_ttlv_find(want, NGX_KMIP_TAG_USAGE_LIMITS_UNIT);
    h = ngx_kmip_ttlv_find(have, NGX_KMIP_TAG_USAGE_LIMITS_UNIT);

    return w == NULL || (h && ngx_kmip_item_equal(w, h));
}


static ngx_int_t
ngx_kmip_locate_match(ngx_kmip_req_t *r, ngx_kmip_locate_t *lc,
    ngx_kmip_object_t *obj)
{
    int64_t            lo, hi;
    ngx_uint_t         date;
    ngx_kmip_attr_t   *w, *h;
    ngx_kmip_attrs_t   view;

    if (lc->none) {
        return 0;
    }

    if (ngx_kmip_op_view(r, obj, &view) != NGX_OK) {
        return NGX_ERROR;
    }

    if (lc->fresh && !ngx_kmip_op_attr_num(&view, "Fresh", 0)) {
        return 0;
    }

    /* an archived object is in archival storage, any other on-line */

    if (!(lc->storage
          & (ngx_kmip_op_archived(obj)
             ? NGX_KMIP_STORAGE_STATUS_MASK_ARCHIVAL_STORAGE
             : NGX_KMIP_STORAGE_STATUS_MASK_ON_LINE_STORAGE)))
    {
        return 0;
    }

    for (w = lc->filter.first; w; w = w->next) {
        if (w->value == NULL) {
            continue;
        }

        date = ngx_kmip_locate_date_range(&lc->filter, w, &lo, &hi);

        if (date == 0) {
            continue;
        }

        for (h = view.first; h; h = h->next) {
            if (date == 1) {
                if (h->value && h->value->type == NGX_KMIP_TYPE_DATE_TIME
                    && h->name_len == w->name_len
                    && ngx_strncmp(h->name, w->name, w->name_len) == 0
                    && h->value->v.num >= lo && h->value->v.num <= hi)
                {
                    break;
                }

                continue;
            }

            if (h->value && h->name_len == w->name_len
                && ngx_strncmp(h->name, w->name, w->name_len) == 0
                && ngx_kmip_locate_match_one(w, h))
            {
                break;
            }
        }

        if (h == NULL && !ngx_kmip_locate_default_policy(&view, w)) {
            return 0;
        }
    }

    return 1;
}


/*
 * Every object is under the server's one operation policy, "default"
 * (docs/attributes.md): one that names none is found by that name too,
 * as KMIP 1.x clients (PyKMIP among them) look for their keys
 */

static ngx_uint_t
ngx_kmip_locate_default_policy(ngx_kmip_attrs_t *view, ngx_kmip_attr_t *w)
{
    static const char  name[] = "Operation Policy Name";

    return w->name_len == sizeof(name) - 1
           && ngx_strncmp(w->name, name, sizeof(name) - 1) == 0
           && w->value->type == NGX_KMIP_TYPE_TEXT_STRING
           && w->value->v.str.len == sizeof("default") - 1
           && ngx_strncmp(w->value->v.str.data, "default",
                          sizeof("default") - 1) == 0
           && ngx_kmip_attrs_find(view, name, sizeof(name) - 1, -1) == NULL;
}


static int ngx_libc_cdecl
ngx_kmip_locate_cmp(const void *one, const void *two)
{
    int64_t             a, b;
    ngx_kmip_object_t  *x = *(ngx_kmip_object_t **) one;
    ngx_kmip_object_t  *y = *(ngx_kmip_object_t **) two;

    a = ngx_kmip_op_attr_num(&x->attributes, "Initial Date", 0);
    b = ngx_kmip_op_attr_num(&y->attributes, "Initial Date", 0);

    if (a != b) {
        return a > b ? -1 : 1;
    }

    return ngx_memn2cmp(x->uid.data, y->uid.data, x->uid.len, y->uid.len);
}


static ngx_int_t
ngx_kmip_op_located(ngx_kmip_op_ctx_t *ctx)
{
    int64_t               i, n, from, to;
    ngx_str_t             uid;
    ngx_int_t             rc;
    ngx_uint_t            k;
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_locate_t    *lc = ctx->data;
    ngx_kmip_object_t    *objs, **hits;
    ngx_kmip_item_t      *payload;
    ngx_kmip_store_op_t  *sop = ctx->sop;

    if (ngx_kmip_op_store_lost(ctx, "list")) {
        return NGX_OK;
    }

    objs = sop->objects->elts;

    hits = ngx_palloc(lc->list.pool,
                      (sop->objects->nelts + 1) * sizeof(ngx_kmip_object_t *));
    if (hits == NULL) {
        return NGX_ERROR;
    }

    n = 0;

    /* the views the filter looks at go with the list's pool */

    r->alloc.data = lc->list.pool;

    for (k = 0; k < sop->objects->nelts; k++) {
        rc = ngx_kmip_locate_match(r, lc, &objs[k]);

        if (rc == NGX_ERROR) {
            r->alloc.data = r->pool;
            return NGX_ERROR;
        }

        if (rc) {
            hits[n++] = &objs[k];
        }
    }

    r->alloc.data = r->pool;

    ngx_qsort(hits, (size_t) n, sizeof(ngx_kmip_object_t *),
              ngx_kmip_locate_cmp);

    payload = ngx_kmip_payload_new(r);

    /*
     * Located Items is a MAY (KMIP 1.4 4.9): it is given to clients that
     * page through the results with Offset Items or Maximum Items, as the
     * OASIS cases (SKFF-M-5, TL-M-3) expect it absent otherwise
     */

    if (r->version >= NGX_KMIP_VERSION(1, 3)
        && (lc->offset > 0 || lc->max >= 0)
        && ngx_kmip_ttlv_add_integer(&r->alloc, payload,
                                     NGX_KMIP_TAG_LOCATED_ITEMS, (int32_t) n)
           == NULL)
    {
        return NGX_ERROR;
    }

    from = lc->offset < n ? lc->offset : n;
    to = (lc->max >= 0 && from + lc->max < n) ? from + lc->max : n;

    for (i = from; i < to; i++) {
        uid.len = hits[i]->uid.len;
        uid.data = ngx_pstrdup(r->pool, &hits[i]->uid);

        if (uid.data == NULL
            || ngx_kmip_ttlv_add_text(&r->alloc, payload,
                                      NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                      uid.data, uid.len)
               == NULL)
        {
            return NGX_ERROR;
        }

        if (i == from) {
            r->id_placeholder = uid;
        }
    }

    if (ngx_kmip_op_list_release(r, &lc->list, sop) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->out->payload = payload;

    return NGX_OK;
}


/*
 * 1 when the batch's items so far, the running one included, list the
 * store more than NGX_KMIP_OP_LISTS_MAX times: the running one is then
 * failed
 */

ngx_uint_t
ngx_kmip_op_lists_over(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out)
{
    ngx_uint_t                n;
    ngx_kmip_request_item_t  *bi, *last;

    n = 0;
    last = r->msg.items + ngx_min(r->nresults + 1, r->msg.nitems);

    for (bi = r->msg.items; bi < last; bi++) {
        if (bi->operation == NGX_KMIP_OP_LOCATE
            || ngx_kmip_op_template_lists(r, bi))
        {
            n++;
        }
    }

    if (n <= NGX_KMIP_OP_LISTS_MAX) {
        return 0;
    }

    (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_ILLEGAL_OPERATION,
                                "at most %d Locate items in one request "
                                "message (an item naming or registering a "
                                "template counts as one)",
                                NGX_KMIP_OP_LISTS_MAX);
    return 1;
}


/*
 * A list of the store's objects in a pool of its own (ngx_kmip_op_store.h):
 * a request that ends first (the client left) cancels it
 */

ngx_int_t
ngx_kmip_op_list(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_list_t *l,
    ngx_kmip_op_next_pt done)
{
    ngx_kmip_req_t      *r = ctx->r;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL || ngx_kmip_op_store_call(ctx, done) == NULL) {
        return NGX_ERROR;
    }

    l->pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, r->log);
    if (l->pool == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_kmip_op_list_cleanup;
    cln->data = l;

    l->calls = ngx_kmip_store_trace_mark(r->store);

    ctx->sop->pool = l->pool;
    ngx_str_set(&ctx->uid, "*");

    return ngx_kmip_op_store_called(ctx, ngx_kmip_store_list(ctx->sop));
}


static void
ngx_kmip_op_list_cleanup(void *data)
{
    ngx_kmip_op_list_t  *l = data;

    if (l->pool) {
        ngx_destroy_pool(l->pool);
        l->pool = NULL;
    }
}


/*
 * The list is done: what outlives its pool is copied to the request's (the
 * correlation ids of its Key Protect calls, for the audit log), then the
 * pool goes.
 */

ngx_int_t
ngx_kmip_op_list_release(ngx_kmip_req_t *r, ngx_kmip_op_list_t *l,
    ngx_kmip_store_op_t *sop)
{
    if (ngx_kmip_store_trace_keep(r->store, l->calls) != NGX_OK) {
        return NGX_ERROR;
    }

    sop->objects = NULL;
    ngx_str_null(&sop->error);
    ngx_str_null(&sop->correlation_id);
    sop->pool = r->pool;

    ngx_destroy_pool(l->pool);
    l->pool = NULL;

    return NGX_OK;
}
