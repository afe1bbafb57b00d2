
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
#include <string.h>

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


/* whether a 2.1 Locate with Storage Status Mask mask (0: none) finds uid */

static ngx_uint_t
t_located(ngx_str_t *uid, int64_t mask)
{
    t_request_t               *t;
    ngx_kmip_item_t           *p, *it;
    ngx_kmip_response_item_t  *out;

    t = t_request(2, 1);
    p = t_item(t, NGX_KMIP_OP_LOCATE);

    if (mask) {
        (void) t_value(p, NGX_KMIP_TAG_STORAGE_STATUS_MASK,
                       NGX_KMIP_TYPE_INTEGER, mask);
    }

    out = t_run(t);

    for (it = out[0].payload ? out[0].payload->v.kids.first : NULL;
         it;
         it = it->next)
    {
        if (it->tag == NGX_KMIP_TAG_UNIQUE_IDENTIFIER
            && it->v.str.len == uid->len
            && memcmp(it->v.str.data, uid->data, uid->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Archive and Recover: an archived object is off-line, every operation
 * but Recover refused with Object Archived, and found by Locate only in
 * archival storage; Recover brings it back as it was
 */

static void
t_archive_of(ngx_uint_t major, ngx_uint_t minor)
{
    ngx_str_t                  u;
    ngx_kmip_object_t         *kept;
    ngx_kmip_response_item_t  *out;

    if (!t_new_key(major, minor, &u)) {
        return;
    }

    out = t_one(major, minor, NGX_KMIP_OP_ARCHIVE, &u);
    kept = ngx_kmip_store_memory_find(t_mem, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER)
          && kept
          && ngx_kmip_attrs_find(&kept->attributes, "Archive Date", 12, -1),
          "Archive: the object gets an Archive Date");

    out = t_one(major, minor, NGX_KMIP_OP_GET, &u);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OBJECT_ARCHIVED
          && out[0].payload == NULL,
          "Get of an archived key: Object Archived, no material");

    out = t_one(major, minor, NGX_KMIP_OP_ACTIVATE, &u);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OBJECT_ARCHIVED,
          "Activate of an archived key: Object Archived");

    out = t_one(major, minor, NGX_KMIP_OP_ARCHIVE, &u);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OBJECT_ARCHIVED,
          "Archive again: Object Archived");

    if (major >= 2) {
        CHECK(!t_located(&u, 0), "Locate: not among on-line objects");
        CHECK(t_located(&u, NGX_KMIP_STORAGE_STATUS_MASK_ARCHIVAL_STORAGE),
              "Locate in archival storage finds it");
    }

    out = t_one(major, minor, NGX_KMIP_OP_RECOVER, &u);
    kept = ngx_kmip_store_memory_find(t_mem, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && kept
          && !ngx_kmip_attrs_find(&kept->attributes, "Archive Date", 12, -1),
          "Recover: the Archive Date is gone");

    out = t_one(major, minor, NGX_KMIP_OP_GET, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "Get of the recovered key");
    CHECK(t_state(major, minor, &u) == NGX_KMIP_STATE_PRE_ACTIVE,
          "the recovered key is as it was: Pre-Active");

    if (major >= 2) {
        CHECK(t_located(&u, 0) && !t_located(&u,
                  NGX_KMIP_STORAGE_STATUS_MASK_ARCHIVAL_STORAGE),
              "Locate: on-line again");
    }

    out = t_one(major, minor, NGX_KMIP_OP_RECOVER, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER),
          "Recover of an on-line object: success, nothing to do");

    out = t_one(major, minor, NGX_KMIP_OP_ARCHIVE, &t_unknown_uid);
    CHECK(t_reason(&out[0]) == t_not_found(major),
          "Archive of an unknown object: the version's not found");
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

    t_archive_of(1, 4);
    t_archive_of(2, 1);
}
