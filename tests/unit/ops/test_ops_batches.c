
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Batches (KMIP 1.4 6.13, 2.1 9.6): the ID Placeholder from one item to
 * the next, Stop, and Undo through the store's journal: what a failed
 * batch made is removed, what it changed is restored, a Destroy is only
 * carried out once every item has succeeded.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"


static ngx_str_t  t_unknown_uid = ngx_string("no-such-object");


static void
t_uid_item(t_request_t *t, uint32_t operation, ngx_str_t *uid)
{
    ngx_kmip_item_t  *p;

    p = t_item(t, operation);

    if (uid) {
        ngx_kmip_ttlv_add_text(t_alloc(), p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                               uid->data, uid->len);
    }
}


/* a batch of two items, each on an object, with Undo */

static ngx_kmip_response_item_t *
t_undo_pair(uint32_t op1, ngx_str_t *uid1, uint32_t op2, ngx_str_t *uid2)
{
    t_request_t  *t;

    t = t_request(1, 4);
    t_continuation(t, NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_UNDO);
    t_uid_item(t, op1, uid1);
    t_uid_item(t, op2, uid2);

    return t_run(t);
}


static uint32_t
t_kept_state(ngx_str_t *uid)
{
    ngx_kmip_attr_t    *at;
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(t_mem, uid);
    if (kept == NULL) {
        return 0;
    }

    at = ngx_kmip_attrs_find(&kept->attributes,
                             "State", 5, -1);

    return (at && at->value) ? (uint32_t) at->value->v.num : 0;
}


static void
t_placeholder(void)
{
    t_request_t               *t;
    ngx_str_t                  u;
    ngx_kmip_item_t           *id;
    ngx_kmip_response_item_t  *out;

    t = t_request(1, 4);
    t_create_payload(t_item(t, NGX_KMIP_OP_CREATE), 1);
    t_uid_item(t, NGX_KMIP_OP_ACTIVATE, NULL);
    out = t_run(t);

    id = t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && out[1].result_status == NGX_KMIP_STATUS_SUCCESS && id,
          "Create, then Activate of the ID Placeholder");

    if (id) {
        u.data = (u_char *) id->v.str.data;
        u.len = id->v.str.len;
        CHECK(t_kept_state(&u) == NGX_KMIP_STATE_ACTIVE,
              "the created key is stored Active");
    }
}


static void
t_stop(void)
{
    t_request_t               *t;
    ngx_uint_t                 before;
    ngx_kmip_response_item_t  *out;

    before = t_mem->objects.nelts;

    t = t_request(1, 4);
    t_continuation(t, NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_STOP);
    t_uid_item(t, NGX_KMIP_OP_GET, &t_unknown_uid);
    t_create_payload(t_item(t, NGX_KMIP_OP_CREATE), 1);
    out = t_run(t);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED
          && t->r->nresults == 1,
          "Stop: the items after a failed one are not run");
    CHECK(t_mem->objects.nelts == before, "and make nothing");
}


static void
t_undo_create(void)
{
    t_request_t               *t;
    ngx_uint_t                 before;
    ngx_kmip_response_item_t  *out;

    before = t_mem->objects.nelts;

    t = t_request(1, 4);
    t_continuation(t, NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_UNDO);
    t_create_payload(t_item(t, NGX_KMIP_OP_CREATE), 1);
    t_uid_item(t, NGX_KMIP_OP_GET, &t_unknown_uid);
    out = t_run(t);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_UNDONE
          && out[1].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "Undo: the Create before a failed item is Operation Undone");
    CHECK(t_mem->objects.nelts == before,
          "and the object it made is removed from the store");
}


static void
t_undo_change(void)
{
    ngx_str_t                  u;
    ngx_kmip_response_item_t  *out;

    if (!t_new_key(1, 4, &u)) {
        return;
    }

    out = t_undo_pair(NGX_KMIP_OP_ACTIVATE, &u, NGX_KMIP_OP_GET,
                      &t_unknown_uid);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_UNDONE,
          "Undo: an Activate before a failed item is Operation Undone");
    CHECK(t_kept_state(&u) == NGX_KMIP_STATE_PRE_ACTIVE,
          "and the key is Pre-Active again in the store");

    /* a Destroy waits for the whole batch */

    out = t_undo_pair(NGX_KMIP_OP_DESTROY, &u, NGX_KMIP_OP_GET, &u);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_UNDONE
          && out[1].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "Undo: a Get after a Destroy in the batch sees it destroyed");
    CHECK(!ngx_kmip_store_memory_find(t_mem, &u)->destroyed,
          "and the Destroy is never carried out");

    out = t_undo_pair(NGX_KMIP_OP_GET_ATTRIBUTES, &u, NGX_KMIP_OP_DESTROY,
                      &u);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && out[1].result_status == NGX_KMIP_STATUS_SUCCESS,
          "Undo: a batch that succeeds");
    CHECK(ngx_kmip_store_memory_find(t_mem, &u)->destroyed,
          "carries out its Destroy at the end");
}


void
t_batches(void)
{
    t_placeholder();
    t_stop();
    t_undo_create();
    t_undo_change();
}
