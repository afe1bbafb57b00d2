
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


/* an item on the object, or on the ID Placeholder (NULL); a Create's
   payload is a 256-bit AES key */

static void
t_uid_item(t_request_t *t, uint32_t operation, ngx_str_t *uid)
{
    ngx_kmip_item_t  *p;

    p = t_item(t, operation);

    if (operation == NGX_KMIP_OP_CREATE) {
        t_create_payload(p, 1);

    } else if (uid) {
        t_uid(p, uid);
    }
}


/* a 1.4 batch of two items with the Batch Error Continuation Option */

static t_request_t *
t_pair(uint32_t option, uint32_t op1, ngx_str_t *uid1, uint32_t op2,
    ngx_str_t *uid2)
{
    t_request_t  *t;

    t = t_request(1, 4);
    t_continuation(t, option);
    t_uid_item(t, op1, uid1);
    t_uid_item(t, op2, uid2);
    (void) t_run(t);

    return t;
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
        CHECK(t_kept_num(&u, "State") == NGX_KMIP_STATE_ACTIVE,
              "the created key is stored Active");
    }
}


/* a Create in a batch that fails makes nothing: Stop, Undo */

static void
t_stop_undo(void)
{
    ngx_uint_t                 i, before;
    t_request_t               *t;
    ngx_kmip_response_item_t  *out;

    static struct {
        uint32_t               option;
        uint32_t               op1;
        uint32_t               op2;
        uint32_t               status;      /* the first item's */
        ngx_uint_t             nresults;
        const char            *name;
        const char            *made;
    } cases[] = {
        { NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_STOP, NGX_KMIP_OP_GET,
          NGX_KMIP_OP_CREATE, NGX_KMIP_STATUS_OPERATION_FAILED, 1,
          "Stop: the items after a failed one are not run",
          "and make nothing" },
        { NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_UNDO, NGX_KMIP_OP_CREATE,
          NGX_KMIP_OP_GET, NGX_KMIP_STATUS_OPERATION_UNDONE, 2,
          "Undo: the Create before a failed item is Operation Undone",
          "and the object it made is removed from the store" },
    };

    for (i = 0; i < t_nelts(cases); i++) {
        before = t_mem->objects.nelts;

        t = t_pair(cases[i].option, cases[i].op1, &t_unknown_uid,
                   cases[i].op2, &t_unknown_uid);
        out = t->r->results;

        CHECK(out[0].result_status == cases[i].status
              && t->r->nresults == cases[i].nresults
              && (cases[i].nresults == 1
                  || out[1].result_status
                     == NGX_KMIP_STATUS_OPERATION_FAILED),
              cases[i].name);
        CHECK(t_mem->objects.nelts == before, cases[i].made);
    }
}


static void
t_undo_change(void)
{
    ngx_str_t                  u;
    ngx_kmip_response_item_t  *out;

    if (!t_new_key(1, 4, &u)) {
        return;
    }

    out = t_pair(NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_UNDO,
                 NGX_KMIP_OP_ACTIVATE, &u, NGX_KMIP_OP_GET,
                 &t_unknown_uid)->r->results;

    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_UNDONE,
          "Undo: an Activate before a failed item is Operation Undone");
    CHECK(t_kept_num(&u, "State") == NGX_KMIP_STATE_PRE_ACTIVE,
          "and the key is Pre-Active again in the store");

    /* a Destroy waits for the whole batch */

    out = t_pair(NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_UNDO,
                 NGX_KMIP_OP_DESTROY, &u, NGX_KMIP_OP_GET, &u)->r->results;

    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_UNDONE
          && out[1].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "Undo: a Get after a Destroy in the batch sees it destroyed");
    CHECK(!ngx_kmip_store_memory_find(t_mem, &u)->destroyed,
          "and the Destroy is never carried out");

    out = t_pair(NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_UNDO,
                 NGX_KMIP_OP_GET_ATTRIBUTES, &u, NGX_KMIP_OP_DESTROY,
                 &u)->r->results;

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
    t_stop_undo();
    t_undo_change();
}
