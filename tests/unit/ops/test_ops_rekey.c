
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Re-key (KMIP 1.4 4.4, 2.1 6.1.46) on the memory store: the replacement
 * and what it takes of the existing key, the Links each way, the Names
 * moved, an Offset, the ID Placeholder; a lost compare-and-swap retried
 * without a second replacement; and the states an interrupted Re-key
 * leaves (ngx_kmip_op_rekey.c), which Re-key run again finishes.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"
#include "ngx_kmip_op_view.h"


#define T_NAME   "vast-volume-7"


/* the target of the object's first Link of that type; empty: none */

static ngx_str_t
t_link(ngx_kmip_object_t *obj, uint32_t type)
{
    ngx_str_t         s = ngx_null_string;
    ngx_kmip_attr_t  *at;
    ngx_kmip_item_t  *t, *id;

    for (at = obj ? obj->attributes.first : NULL; at; at = at->next) {
        if (!ngx_kmip_attr_name_is(at, "Link")) {
            continue;
        }

        t = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_LINK_TYPE);
        id = ngx_kmip_ttlv_find(at->value,
                                NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER);

        if (t && id && t->v.num == type) {
            s.data = (u_char *) id->v.str.data;
            s.len = id->v.str.len;
            return s;
        }
    }

    return s;
}


static ngx_uint_t
t_is(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len && ngx_strncmp(a->data, b->data, a->len) == 0;
}


/* what a client's Add Attribute would have left, put in the store */

static void
t_add(ngx_kmip_object_t *obj, const char *name, ngx_kmip_item_t *v)
{
    if (obj) {
        (void) ngx_kmip_attrs_add(t_alloc(), &obj->attributes,
                                  (u_char *) name, ngx_strlen(name), v);
    }
}


static ngx_kmip_item_t *
t_name_value(void)
{
    ngx_kmip_item_t  *v;

    v = ngx_kmip_ttlv_item_new(t_alloc(), NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_text(t_alloc(), v, NGX_KMIP_TAG_NAME_VALUE,
                           (u_char *) T_NAME, sizeof(T_NAME) - 1);
    ngx_kmip_ttlv_add_enum(t_alloc(), v, NGX_KMIP_TAG_NAME_TYPE,
                           NGX_KMIP_NAME_TYPE_UNINTERPRETED_TEXT_STRING);

    return v;
}


static ngx_kmip_item_t *
t_link_value(uint32_t type, ngx_str_t *uid)
{
    ngx_kmip_item_t  *v;

    v = ngx_kmip_ttlv_item_new(t_alloc(), NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_enum(t_alloc(), v, NGX_KMIP_TAG_LINK_TYPE, type);
    ngx_kmip_ttlv_add_text(t_alloc(), v, NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER,
                           uid->data, uid->len);

    return v;
}


/* a new key named T_NAME, as the store keeps it */

static ngx_kmip_object_t *
t_named_key(ngx_uint_t major, ngx_uint_t minor, ngx_str_t *uid)
{
    ngx_kmip_object_t  *kept;

    if (!t_new_key(major, minor, uid)) {
        return NULL;
    }

    kept = ngx_kmip_store_memory_find(t_mem, uid);
    t_add(kept, "Name", t_name_value());

    return kept;
}


static ngx_kmip_response_item_t *
t_rekey_req(ngx_uint_t major, ngx_uint_t minor, ngx_str_t *uid,
    int64_t offset)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(major, minor);
    p = t_item(t, NGX_KMIP_OP_RE_KEY);
    ngx_kmip_ttlv_add_text(t_alloc(), p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                           uid->data, uid->len);

    if (offset >= 0) {
        ngx_kmip_ttlv_add_interval(t_alloc(), p, NGX_KMIP_TAG_OFFSET,
                                   (uint32_t) offset);
    }

    /* the next item works on the replacement through the ID Placeholder */
    (void) t_item(t, NGX_KMIP_OP_GET_ATTRIBUTES);

    return t_run(t);
}


static void
t_rekey_of(ngx_uint_t major, ngx_uint_t minor)
{
    ngx_str_t                  u, *v, l;
    ngx_kmip_object_t         *old, *repl;
    ngx_kmip_response_item_t  *out;

    old = t_named_key(major, minor, &u);
    if (old == NULL) {
        return;
    }

    t_add(old, "x-policy",
          ngx_kmip_attr_value_text(t_alloc(), (u_char *) "gold", 4));

    out = t_rekey_req(major, minor, &u, -1);
    v = t_uid_of(&out[0]);
    CHECK(v != NULL, "Re-key answers with a Unique Identifier");

    if (v == NULL) {
        return;
    }

    CHECK(!t_is(&u, v), "a new one");
    CHECK(out[1].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_deep(out[1].payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER)
          && t_deep(out[1].payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER)->v.str.len
             == v->len
          && ngx_strncmp(t_deep(out[1].payload,
                                NGX_KMIP_TAG_UNIQUE_IDENTIFIER)->v.str.data,
                         v->data, v->len) == 0,
          "the ID Placeholder is the replacement");

    old = ngx_kmip_store_memory_find(t_mem, &u);
    repl = ngx_kmip_store_memory_find(t_mem, v);

    CHECK(repl && old && repl->material.len == 32
          && ngx_memcmp(repl->material.data, old->material.data, 32) != 0,
          "fresh material of the same length");

    if (repl == NULL || old == NULL) {
        return;
    }

    l = t_link(old, NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK);
    CHECK(t_is(&l, v), "the existing key links to its replacement");
    l = t_link(repl, NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK);
    CHECK(t_is(&l, &u), "the replacement links to the replaced key");
    CHECK(ngx_kmip_attrs_count(&repl->attributes, "Link", 4) == 1,
          "and to nothing else");

    CHECK(ngx_kmip_attrs_find(&repl->attributes, "Name", 4, -1)
          && ngx_kmip_attrs_find(&old->attributes, "Name", 4, -1) == NULL,
          "the Name moved");
    CHECK(ngx_kmip_attrs_find(&repl->attributes, "x-policy", 8, -1),
          "a custom attribute is copied");
    CHECK(!ngx_kmip_item_equal(
              ngx_kmip_attrs_find(&repl->attributes, "Digest", 6, -1)->value,
              ngx_kmip_attrs_find(&old->attributes, "Digest", 6, -1)->value),
          "the Digest is the new material's");
    CHECK(ngx_kmip_attrs_state(&repl->attributes, ngx_time())
          == NGX_KMIP_STATE_PRE_ACTIVE,
          "the replacement of a Pre-Active key is Pre-Active");
}


static void
t_rekey_offset(void)
{
    ngx_str_t                  u, *v;
    ngx_kmip_object_t         *old, *repl;
    ngx_kmip_response_item_t  *out;

    old = t_named_key(2, 1, &u);
    if (old == NULL) {
        return;
    }

    (void) ngx_kmip_attrs_set(t_alloc(), &old->attributes, "Activation Date",
                              ngx_kmip_attr_value(t_alloc(),
                                                  NGX_KMIP_TYPE_DATE_TIME,
                                                  1000000));
    (void) ngx_kmip_attrs_set(t_alloc(), &old->attributes,
                              "Deactivation Date",
                              ngx_kmip_attr_value(t_alloc(),
                                                  NGX_KMIP_TYPE_DATE_TIME,
                                                  1000500));

    out = t_rekey_req(2, 1, &u, 3600);
    v = t_uid_of(&out[0]);
    CHECK(v != NULL, "Re-key with an Offset");

    if (v == NULL) {
        return;
    }

    repl = ngx_kmip_store_memory_find(t_mem, v);

    CHECK(repl
          && ngx_kmip_op_attr_num(&repl->attributes, "Activation Date", 0)
             == ngx_kmip_op_attr_num(&repl->attributes, "Initial Date", 0)
                + 3600,
          "Activation Date: the Initial Date and the Offset");
    CHECK(repl
          && ngx_kmip_op_attr_num(&repl->attributes, "Deactivation Date", 0)
             - ngx_kmip_op_attr_num(&repl->attributes, "Activation Date", 0)
             == 500,
          "the Deactivation Date moved with it");
}


static void
t_rekey_refused(ngx_uint_t major, ngx_uint_t minor)
{
    ngx_str_t                  u;
    ngx_kmip_response_item_t  *out;

    out = t_one(major, minor, NGX_KMIP_OP_RE_KEY, &t_unknown_uid);
    CHECK(t_reason(&out[0]) == t_not_found(major),
          "Re-key of an unknown key");

    if (!t_new_key(major, minor, &u)) {
        return;
    }

    out = t_one(major, minor, NGX_KMIP_OP_DESTROY, &u);
    out = t_one(major, minor, NGX_KMIP_OP_RE_KEY, &u);
    CHECK(t_reason(&out[0])
          == (major >= 2 ? NGX_KMIP_REASON_OBJECT_DESTROYED
                         : NGX_KMIP_REASON_ITEM_NOT_FOUND),
          "Re-key of a destroyed key");
}


/* a lost compare-and-swap and a failed read: one replacement or none */

static void
t_rekey_store(void)
{
    ngx_str_t                  u;
    ngx_uint_t                 before;
    ngx_kmip_response_item_t  *out;

    if (t_named_key(1, 4, &u) == NULL) {
        return;
    }

    before = t_mem->objects.nelts;
    t_mem->conflicts = 2;

    out = t_one(1, 4, NGX_KMIP_OP_RE_KEY, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "Re-key wins after losing two races");
    CHECK(t_mem->objects.nelts == before + 1, "with one replacement made");

    t_mem->conflicts = 0;

    if (t_named_key(1, 4, &u) == NULL) {
        return;
    }

    before = t_mem->objects.nelts;
    t_mem->fail = NGX_KMIP_STORE_UNAVAILABLE;
    t_mem->failures = 1;

    out = t_one(1, 4, NGX_KMIP_OP_RE_KEY, &u);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_GENERAL_FAILURE,
          "Re-key when the store is unavailable: General Failure");
    CHECK(t_mem->objects.nelts == before, "nothing made");
}


/* the states an interrupted Re-key leaves, finished by another */

static void
t_rekey_interrupted(void)
{
    ngx_str_t                  u, w, none = ngx_string("never-made"), l;
    ngx_uint_t                 before;
    ngx_kmip_item_t           *id;
    ngx_kmip_object_t         *old, *repl;
    ngx_kmip_response_item_t  *out;

    /* stopped after the link: the replacement was never made */

    old = t_named_key(2, 1, &u);
    if (old == NULL) {
        return;
    }

    t_add(old, "Link",
          t_link_value(NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK, &none));

    out = t_one(2, 1, NGX_KMIP_OP_RE_KEY, &u);
    id = t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
    old = ngx_kmip_store_memory_find(t_mem, &u);
    l = t_link(old, NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK);

    CHECK(id && l.len == id->v.str.len
          && ngx_strncmp(l.data, id->v.str.data, l.len) == 0
          && ngx_kmip_attrs_count(&old->attributes, "Link", 4) == 1,
          "a link to no object: re-keyed afresh, the link replaced");

    /* stopped before the Name left: both named, linked each way */

    old = t_named_key(2, 1, &u);
    repl = t_named_key(2, 1, &w);
    if (old == NULL || repl == NULL) {
        return;
    }

    t_add(old, "Link",
          t_link_value(NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK, &w));
    t_add(repl, "Link",
          t_link_value(NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK, &u));

    before = t_mem->objects.nelts;

    out = t_one(2, 1, NGX_KMIP_OP_RE_KEY, &u);
    id = t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
    old = ngx_kmip_store_memory_find(t_mem, &u);

    CHECK(id && id->v.str.len == w.len
          && ngx_strncmp(id->v.str.data, w.data, w.len) == 0,
          "a replacement that links back: Re-key answers with it");
    CHECK(t_mem->objects.nelts == before, "and makes no other");
    CHECK(old && ngx_kmip_attrs_find(&old->attributes, "Name", 4, -1) == NULL,
          "the Name left the existing key");
}


void
t_rekey(void)
{
    ngx_uint_t  v;

    static const ngx_uint_t  versions[][2] = { { 1, 0 }, { 1, 4 }, { 2, 1 } };

    for (v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
        t_rekey_of(versions[v][0], versions[v][1]);
        t_rekey_refused(versions[v][0], versions[v][1]);
    }

    t_rekey_offset();
    t_rekey_store();
    t_rekey_interrupted();
}
