
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * The server's own requests to a client (kmip_push, ngx_kmip_push.c):
 * after a batch, a Put of each object it made (New) or that replaces
 * another (Replace, with the replaced object's Unique Identifier), a
 * Notify of the attributes it changed as the store has them, in the
 * request's protocol version; nothing for an item that failed; Query
 * lists Notify and Put only when the server sends them.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_kmip_test_ops.h"
#include "ngx_kmip_push.h"


#define T_PUSH_MAX  8


static ngx_kmip_item_t  *t_pushed[T_PUSH_MAX];
static ngx_uint_t        t_npushed;
static ngx_cycle_t       t_push_cycle;


/* the transport's sender: the message decoded, kept for the checks */

static ngx_int_t
t_push_capture(void *data, ngx_str_t *message, ngx_str_t *what)
{
    u_char           *copy;
    ngx_kmip_item_t  *root;

    copy = ngx_pnalloc(t_pool, message->len);
    if (copy == NULL) {
        abort();
    }

    ngx_memcpy(copy, message->data, message->len);

    if (ngx_kmip_ttlv_decode(copy, message->len, NULL, t_alloc(), &root,
                             NULL)
        != NGX_KMIP_OK)
    {
        abort();
    }

    if (t_npushed < T_PUSH_MAX) {
        t_pushed[t_npushed] = root;
    }

    t_npushed++;

    return NGX_OK;
}


/* the batch's pushes, once the store has answered every read */

static ngx_kmip_response_item_t *
t_push_run(t_request_t *t)
{
    ngx_uint_t                 rounds;
    ngx_kmip_response_item_t  *out;

    out = t_run(t);
    t_npushed = 0;

    ngx_kmip_push_batch(t->r);

    for (rounds = 0; rounds < 1000; rounds++) {
        if (ngx_kmip_store_memory_run(t_mem) == 0) {
            break;
        }
    }

    return out;
}


static ngx_kmip_item_t *
t_push_payload(ngx_uint_t n, uint32_t operation)
{
    ngx_kmip_item_t  *item, *op;

    if (n >= t_npushed || n >= T_PUSH_MAX) {
        return NULL;
    }

    item = ngx_kmip_ttlv_find(t_pushed[n], NGX_KMIP_TAG_BATCH_ITEM);
    op = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_OPERATION);

    if (t_pushed[n]->tag != NGX_KMIP_TAG_REQUEST_MESSAGE || op == NULL
        || op->v.num != operation)
    {
        return NULL;
    }

    return ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_REQUEST_PAYLOAD);
}


static ngx_uint_t
t_push_text(ngx_kmip_item_t *p, uint32_t tag, ngx_str_t *s)
{
    ngx_kmip_item_t  *it;

    it = ngx_kmip_ttlv_find(p, tag);

    return it && it->type == NGX_KMIP_TYPE_TEXT_STRING
           && it->v.str.len == s->len
           && ngx_memcmp(it->v.str.data, s->data, s->len) == 0;
}


static ngx_uint_t
t_push_version(ngx_uint_t n, ngx_uint_t major)
{
    ngx_kmip_item_t  *pv;

    pv = t_deep(t_pushed[n], NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR);

    return pv && pv->v.num == (int64_t) major;
}


/* the first item with the tag at any depth whose value is v */

static ngx_uint_t
t_push_has(ngx_kmip_item_t *p, uint32_t tag, int64_t v)
{
    ngx_kmip_item_t  *it;

    for (it = p ? p->v.kids.first : NULL; it; it = it->next) {
        if (it->tag == tag && it->type != NGX_KMIP_TYPE_STRUCTURE
            && it->v.num == v)
        {
            return 1;
        }

        if (it->type == NGX_KMIP_TYPE_STRUCTURE && t_push_has(it, tag, v)) {
            return 1;
        }
    }

    return 0;
}


static ngx_uint_t
t_count_attrs(ngx_kmip_item_t *p)
{
    ngx_uint_t        n;
    ngx_kmip_item_t  *a;

    n = 0;

    for (a = ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_ATTRIBUTE); a;
         a = ngx_kmip_ttlv_find_next(a, NGX_KMIP_TAG_ATTRIBUTE))
    {
        n++;
    }

    return n;
}


/* the State a Notify carries: 1.x Attribute "State", 2.x State */

static ngx_uint_t
t_push_state(ngx_kmip_item_t *p, ngx_uint_t major, uint32_t state)
{
    ngx_kmip_item_t  *a, *name, *value;

    if (major >= 2) {
        return t_push_has(ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_ATTRIBUTES),
                          NGX_KMIP_TAG_STATE, state);
    }

    for (a = ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_ATTRIBUTE); a;
         a = ngx_kmip_ttlv_find_next(a, NGX_KMIP_TAG_ATTRIBUTE))
    {
        name = ngx_kmip_ttlv_find(a, NGX_KMIP_TAG_ATTRIBUTE_NAME);
        value = ngx_kmip_ttlv_find(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE);

        if (name && name->v.str.len == 5
            && ngx_memcmp(name->v.str.data, "State", 5) == 0
            && value && value->v.num == state)
        {
            return 1;
        }
    }

    return 0;
}


static void
t_push_pairs(ngx_uint_t major, ngx_uint_t minor)
{
    ngx_str_t                  priv, pub;
    ngx_uint_t                 i, replaced;
    t_request_t               *t;
    ngx_kmip_item_t           *p, *np;
    ngx_kmip_response_item_t  *out;

    if (!t_key_pair(major, 3, &priv, &pub)) {
        return;
    }

    t = t_request(major, minor);
    p = t_item(t, NGX_KMIP_OP_RE_KEY_KEY_PAIR);
    ngx_kmip_ttlv_add_text(t_alloc(), p,
                           NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER,
                           priv.data, priv.len);
    out = t_push_run(t);

    np = t_find(&out[0], NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER);
    replaced = 0;

    for (i = 0; np && i < t_npushed; i++) {
        p = t_push_payload(i, NGX_KMIP_OP_PUT);

        if (p == NULL
            || !t_push_has(p, NGX_KMIP_TAG_PUT_FUNCTION,
                           NGX_KMIP_PUT_FUNCTION_REPLACE))
        {
            continue;
        }

        if (t_push_text(p, NGX_KMIP_TAG_REPLACED_UNIQUE_IDENTIFIER, &priv)
            && ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_PRIVATE_KEY))
        {
            replaced++;
        }

        if (t_push_text(p, NGX_KMIP_TAG_REPLACED_UNIQUE_IDENTIFIER, &pub)
            && ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_PUBLIC_KEY))
        {
            replaced++;
        }
    }

    CHECK(np && t_npushed == 2 && replaced == 2,
          "Re-key Key Pair: a Put, Replace, of each new key naming the key "
          "it replaces");
}


static void
t_push_puts(ngx_uint_t major, ngx_uint_t minor)
{
    ngx_str_t                  uid, *made;
    t_request_t               *t;
    ngx_kmip_item_t           *p;
    ngx_kmip_response_item_t  *out;

    t = t_request(major, minor);
    t_create_payload(t_item(t, NGX_KMIP_OP_CREATE), major);
    out = t_push_run(t);

    made = t_uid_of(&out[0]);
    if (!t_got(made, "a key to push")) {
        return;
    }

    uid = *made;
    p = t_push_payload(0, NGX_KMIP_OP_PUT);

    CHECK(t_npushed == 1 && p && t_push_text(p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                              &uid)
          && t_push_has(p, NGX_KMIP_TAG_PUT_FUNCTION,
                        NGX_KMIP_PUT_FUNCTION_NEW)
          && ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_SYMMETRIC_KEY)
          && t_deep(p, NGX_KMIP_TAG_KEY_MATERIAL)
          && ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_REPLACED_UNIQUE_IDENTIFIER)
             == NULL
          && t_push_version(0, major),
          "Create: one Put, New, of the key as Get serves it, in the "
          "request's version");

    /* Re-key: the new key replaces the old one */

    t = t_request(major, minor);
    t_uid(t_item(t, NGX_KMIP_OP_RE_KEY), &uid);
    out = t_push_run(t);
    made = t_uid_of(&out[0]);
    p = t_push_payload(0, NGX_KMIP_OP_PUT);

    CHECK(made && t_npushed == 1 && p
          && t_push_text(p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, made)
          && t_push_has(p, NGX_KMIP_TAG_PUT_FUNCTION,
                        NGX_KMIP_PUT_FUNCTION_REPLACE)
          && t_push_text(p, NGX_KMIP_TAG_REPLACED_UNIQUE_IDENTIFIER, &uid),
          "Re-key: a Put, Replace, naming the key replaced");

    /* Re-key Key Pair: each new key replaces its predecessor */

    t_push_pairs(major, minor);

    /* an item that fails pushes nothing */

    t = t_request(major, minor);
    t_uid(t_item(t, NGX_KMIP_OP_ACTIVATE), &t_unknown_uid);
    (void) t_push_run(t);

    CHECK(t_npushed == 0, "a failed Activate pushes nothing");
}


static void
t_push_notifies(ngx_uint_t major, ngx_uint_t minor)
{
    ngx_str_t         uid;
    t_request_t      *t;
    ngx_kmip_item_t  *p, *a;

    if (!t_new_key(major, minor, &uid)) {
        return;
    }

    t = t_request(major, minor);
    t_uid(t_item(t, NGX_KMIP_OP_ACTIVATE), &uid);
    (void) t_push_run(t);
    p = t_push_payload(0, NGX_KMIP_OP_NOTIFY);

    CHECK(t_npushed == 1 && p
          && t_push_text(p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, &uid)
          && t_push_state(p, major, NGX_KMIP_STATE_ACTIVE)
          && (major >= 2
              ? ngx_kmip_ttlv_find(ngx_kmip_ttlv_find(p,
                                                     NGX_KMIP_TAG_ATTRIBUTES),
                                   NGX_KMIP_TAG_ACTIVATION_DATE)
                != NULL
              : t_count_attrs(p) == 2)
          && ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE) == NULL,
          "Activate: a Notify of the State and Activation Date as kept");

    (void) t_revoke(major, minor, &uid,
                    NGX_KMIP_REVOCATION_REASON_CODE_CESSATION_OF_OPERATION);

    t = t_request(major, minor);
    t_uid(t_item(t, NGX_KMIP_OP_DESTROY), &uid);
    (void) t_push_run(t);
    p = t_push_payload(0, NGX_KMIP_OP_NOTIFY);

    CHECK(t_npushed == 1 && p
          && t_push_state(p, major, NGX_KMIP_STATE_DESTROYED),
          "Destroy: a Notify of the State Destroyed");

    if (major < 2 || !t_new_key(major, minor, &uid)) {
        return;
    }

    /* 2.x: a change, and an attribute gone */

    t = t_request(major, minor);
    p = t_item(t, NGX_KMIP_OP_ADD_ATTRIBUTE);
    t_uid(p, &uid);
    a = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_NEW_ATTRIBUTE);
    t_text(a, NGX_KMIP_TAG_CONTACT_INFORMATION, "push@example.com");
    (void) t_push_run(t);
    p = t_push_payload(0, NGX_KMIP_OP_NOTIFY);

    CHECK(t_npushed == 1 && p
          && t_deep(p, NGX_KMIP_TAG_CONTACT_INFORMATION)
          && ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE) == NULL,
          "2.x Add Attribute: a Notify of the attribute");

    t = t_request(major, minor);
    p = t_item(t, NGX_KMIP_OP_DELETE_ATTRIBUTE);
    t_uid(p, &uid);
    (void) t_value(p, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE,
                   NGX_KMIP_TYPE_ENUMERATION,
                   NGX_KMIP_TAG_CONTACT_INFORMATION);
    (void) t_push_run(t);
    p = t_push_payload(0, NGX_KMIP_OP_NOTIFY);

    CHECK(t_npushed == 1 && p
          && t_push_has(p, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE,
                        NGX_KMIP_TAG_CONTACT_INFORMATION)
          && t_deep(p, NGX_KMIP_TAG_CONTACT_INFORMATION) == NULL,
          "2.x Delete Attribute: a Notify naming the attribute gone");
}


static void
t_push_query(ngx_uint_t pushes)
{
    ngx_uint_t                 notify, put;
    t_request_t               *t;
    ngx_kmip_item_t           *p, *it;
    ngx_kmip_response_item_t  *out;

    t = t_request(2, 1);
    p = t_item(t, NGX_KMIP_OP_QUERY);
    (void) t_value(p, NGX_KMIP_TAG_QUERY_FUNCTION, NGX_KMIP_TYPE_ENUMERATION,
                   NGX_KMIP_QUERY_FUNCTION_QUERY_OPERATIONS);
    out = t_run(t);

    notify = 0;
    put = 0;

    for (it = out[0].payload ? out[0].payload->v.kids.first : NULL;
         it;
         it = it->next)
    {
        notify += (it->tag == NGX_KMIP_TAG_OPERATION
                   && it->v.num == NGX_KMIP_OP_NOTIFY);
        put += (it->tag == NGX_KMIP_TAG_OPERATION
                && it->v.num == NGX_KMIP_OP_PUT);
    }

    CHECK(notify == pushes && put == pushes,
          pushes ? "Query lists Notify and Put when the server sends them"
                 : "Query lists neither Notify nor Put without kmip_push");
}


/* a worker prepares at most 256 messages at once, drops what comes beyond */

static void
t_push_bound(void)
{
    ngx_uint_t                 i, rounds;
    t_request_t               *t;
    ngx_kmip_response_item_t  *out;

    t = t_request(2, 1);
    t_create_payload(t_item(t, NGX_KMIP_OP_CREATE), 2);
    out = t_run(t);

    if (!t_got(t_uid_of(&out[0]), "a key to push")) {
        return;
    }

    t_npushed = 0;

    for (i = 0; i < 300; i++) {
        ngx_kmip_push_batch(t->r);
    }

    for (rounds = 0; rounds < 100000; rounds++) {
        if (ngx_kmip_store_memory_run(t_mem) == 0) {
            break;
        }
    }

    CHECK(t_mem->deferred ? t_npushed == 256 : t_npushed == 300,
          t_mem->deferred
          ? "300 messages while the store answers later: 256 prepared"
          : "300 messages the store answers at once: all sent");
}


void
t_push_ops(void)
{
    volatile ngx_cycle_t  *cycle;

    /* the messages outlive the client's request: they log to the cycle's */
    cycle = ngx_cycle;
    t_push_cycle.log = t_log;
    ngx_cycle = &t_push_cycle;

    t_push_query(0);

    t_push(t_push_capture, NULL);

    t_push_query(1);
    t_push_puts(1, 4);
    t_push_puts(2, 1);
    t_push_notifies(1, 4);
    t_push_notifies(2, 1);
    t_push_bound();

    t_push(NULL, NULL);
    ngx_cycle = cycle;
}
