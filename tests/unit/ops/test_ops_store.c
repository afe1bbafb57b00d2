
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * What the operations make of the store's failures: an unreachable store
 * is a General Failure and changes nothing; a write that loses its
 * compare-and-swap is read again and re-applied, a bounded number of
 * times (NGX_KMIP_OP_RETRIES); Attributes are kept by the store, whatever
 * the client sent.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"
#include "ngx_kmip_op_store.h"


/*
 * the operation on a new key with the store's fault armed just before it:
 * *fault (t_mem->failures or t_mem->conflicts) set to n, and *calls (if
 * asked) to the store's calls so far; NULL when the key could not be made
 */

static ngx_kmip_response_item_t *
t_faulty(ngx_uint_t major, uint32_t operation, ngx_uint_t *fault,
    ngx_uint_t n, ngx_uint_t *calls)
{
    ngx_str_t  u;

    if (!t_new_key(major, major >= 2 ? 1 : 4, &u)) {
        return NULL;
    }

    *fault = n;

    if (calls) {
        *calls = t_mem->calls;
    }

    return t_one(major, major >= 2 ? 1 : 4, operation, &u);
}


static void
t_unavailable(void)
{
    ngx_uint_t                 before;
    ngx_kmip_response_item_t  *out;

    before = t_mem->objects.nelts;

    t_mem->fail = NGX_KMIP_STORE_UNAVAILABLE;
    t_mem->failures = 1;

    CHECK(t_create_aes(2, 1) == NULL, "Create fails when the store does");
    CHECK(t_mem->objects.nelts == before, "and stores nothing");

    out = t_faulty(2, NGX_KMIP_OP_GET, &t_mem->failures, 1, NULL);

    if (out) {
        CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_GENERAL_FAILURE,
              "Get when the store is unavailable: General Failure");
        CHECK(out[0].result_message_len > 0, "with a Result Message");
    }
}


static void
t_conflicts(void)
{
    ngx_uint_t                 calls;
    ngx_kmip_response_item_t  *out;

    out = t_faulty(1, NGX_KMIP_OP_ACTIVATE, &t_mem->conflicts, 3, &calls);

    if (out) {
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
              "Activate wins after losing three races");
        CHECK(t_mem->calls - calls == 8,
              "reading the object again before each attempt");
    }

    out = t_faulty(1, NGX_KMIP_OP_ACTIVATE, &t_mem->conflicts, 1000, &calls);

    if (out) {
        CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_GENERAL_FAILURE,
              "an object changed without end: General Failure, no endless "
              "loop");
        CHECK(t_mem->conflicts == 1000 - NGX_KMIP_OP_RETRIES,
              "after NGX_KMIP_OP_RETRIES attempts");
    }

    t_mem->conflicts = 0;
}


void
t_store_failures(void)
{
    t_unavailable();
    t_conflicts();
}
