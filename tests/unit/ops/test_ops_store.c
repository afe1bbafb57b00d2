
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
#include "ngx_kmip_store_backend.h"
#include "ngx_kmip_record.h"


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


/*
 * The served mark (ngx_kmip_store_backend.h, serve): a record read as the
 * generation after its own is that record with Fresh False; read as its
 * own, as it is; as any other, refused.
 */

static void
t_served_mark(void)
{
    u_char                *buf;
    size_t                 len;
    ngx_str_t              payload;
    const char            *err;
    ngx_kmip_attr_t       *fresh;
    ngx_kmip_record_t      rec;
    ngx_kmip_object_t      obj;
    ngx_kmip_store_op_t    op;
    ngx_kmip_allocator_t   a;

    a.alloc = ngx_kmip_store_alloc;
    a.data = t_pool;

    ngx_memzero(&rec, sizeof(ngx_kmip_record_t));
    rec.uid = (const uint8_t *) "6f1c3a7e-2b1d-4c8e-9a55-0d3b7e2f9c41";
    rec.uid_len = 36;
    rec.generation = 4;
    rec.object_type = NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY;
    ngx_kmip_attrs_set(&a, &rec.attrs, "Fresh",
                       ngx_kmip_attr_value(&a, NGX_KMIP_TYPE_BOOLEAN, 1));

    CHECK(ngx_kmip_record_encode(&a, &rec, &buf, &len, &err) == 0,
          "served mark: a record of generation 4, Fresh True");

    payload.data = buf;
    payload.len = len;

    ngx_memzero(&op, sizeof(ngx_kmip_store_op_t));
    op.pool = t_pool;
    op.log = t_log;

    ngx_memzero(&obj, sizeof(ngx_kmip_object_t));
    CHECK(ngx_kmip_store_decode(&op, &obj, &payload, NULL, 4) == NGX_OK
          && obj.generation == 4,
          "served mark: read as its own generation");
    fresh = ngx_kmip_attrs_find(&obj.attributes, "Fresh", 5, -1);
    CHECK(fresh && fresh->value && fresh->value->v.num == 1,
          "served mark: not marked, Fresh True");

    ngx_memzero(&obj, sizeof(ngx_kmip_object_t));
    CHECK(ngx_kmip_store_decode(&op, &obj, &payload, NULL, 5) == NGX_OK
          && obj.generation == 5,
          "served mark: read as generation 5");
    fresh = ngx_kmip_attrs_find(&obj.attributes, "Fresh", 5, -1);
    CHECK(fresh && fresh->value && fresh->value->v.num == 0,
          "served mark: marked, Fresh False");

    ngx_memzero(&obj, sizeof(ngx_kmip_object_t));
    CHECK(ngx_kmip_store_decode(&op, &obj, &payload, NULL, 6) == NGX_ERROR
          && op.error.len,
          "served mark: two generations after its own is refused");

    ngx_str_null(&op.error);
    ngx_memzero(&obj, sizeof(ngx_kmip_object_t));
    CHECK(ngx_kmip_store_decode(&op, &obj, &payload, NULL, 3) == NGX_ERROR,
          "served mark: a generation before its own is refused");
}


void
t_store_failures(void)
{
    t_unavailable();
    t_conflicts();
    t_served_mark();
}
