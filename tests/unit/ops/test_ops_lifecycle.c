
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * The life of a symmetric key (KMIP 1.4 and 2.1 section 4, the Symmetric
 * Key Lifecycle profile): Create, Get, Activate, Destroy refused while
 * Active, Revoke, Destroy, and what is left to read; in each protocol
 * version's form and with each version's result reasons.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"


static void
t_lifecycle_of(ngx_uint_t major, ngx_uint_t minor)
{
    ngx_str_t                  u;
    ngx_kmip_item_t           *km;
    ngx_kmip_object_t         *kept;
    ngx_kmip_response_item_t  *out;

    if (!t_new_key(major, minor, &u)) {
        return;
    }

    kept = ngx_kmip_store_memory_find(t_mem, &u);
    CHECK(kept && kept->material.len == 32, "the store keeps 32 bytes");

    CHECK(t_state(major, minor, &u) == NGX_KMIP_STATE_PRE_ACTIVE,
          "a new key is Pre-Active");

    out = t_one(major, minor, NGX_KMIP_OP_GET, &u);
    km = t_deep(out[0].payload, NGX_KMIP_TAG_KEY_MATERIAL);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && km && km->v.str.len == 32
          && kept && memcmp(km->v.str.data, kept->material.data, 32) == 0,
          "Get gives the key material the store keeps");

    out = t_one(major, minor, NGX_KMIP_OP_ACTIVATE, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS, "Activate");
    CHECK(t_state(major, minor, &u) == NGX_KMIP_STATE_ACTIVE,
          "an activated key is Active");

    out = t_one(major, minor, NGX_KMIP_OP_ACTIVATE, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "a second Activate fails");

    out = t_one(major, minor, NGX_KMIP_OP_DESTROY, &u);
    CHECK(t_reason(&out[0]) == t_wrong_state(major),
          "Destroy of an Active key fails with the version's reason");
    CHECK(kept && !kept->destroyed, "and the key stays");

    out = t_revoke(major, minor, &u,
                   NGX_KMIP_REVOCATION_REASON_CODE_UNSPECIFIED);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS, "Revoke");
    CHECK(t_state(major, minor, &u) == NGX_KMIP_STATE_DEACTIVATED,
          "a revoked key is Deactivated");

    out = t_one(major, minor, NGX_KMIP_OP_DESTROY, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS, "Destroy");

    kept = ngx_kmip_store_memory_find(t_mem, &u);
    CHECK(kept && kept->destroyed && kept->material.len == 0,
          "the store has no material left");

    out = t_one(major, minor, NGX_KMIP_OP_GET, &u);
    CHECK(t_reason(&out[0])
          == (major >= 2 ? NGX_KMIP_REASON_OBJECT_DESTROYED
                         : NGX_KMIP_REASON_ITEM_NOT_FOUND),
          "Get of a destroyed key fails with the version's reason");

    CHECK(t_state(major, minor, &u) == NGX_KMIP_STATE_DESTROYED,
          "a destroyed key's attributes say Destroyed");

    out = t_one(major, minor, NGX_KMIP_OP_DESTROY, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "a second Destroy fails");
}


static void
t_unknown(ngx_uint_t major, ngx_uint_t minor)
{
    ngx_kmip_response_item_t  *out;

    out = t_one(major, minor, NGX_KMIP_OP_GET, &t_unknown_uid);
    CHECK(t_reason(&out[0]) == t_not_found(major),
          "Get of an unknown object fails with the version's reason");

    out = t_one(major, minor, NGX_KMIP_OP_GET, NULL);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "Get without a Unique Identifier or ID Placeholder fails");
}


void
t_lifecycle(void)
{
    t_lifecycle_of(1, 0);
    t_lifecycle_of(1, 4);
    t_lifecycle_of(2, 0);
    t_lifecycle_of(2, 1);

    t_unknown(1, 4);
    t_unknown(2, 1);
}
