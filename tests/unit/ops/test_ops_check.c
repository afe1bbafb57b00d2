
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Check (KMIP 1.4 4.10, 2.1 6.1.7) and Usage Limits (1.4 3.21): a mask
 * every bit of which the object allows, a Usage Limits Count its limits
 * leave, no Lease Time; a denial empties the ID Placeholder and fails with
 * the version's reason. Encrypt takes its allocation from the Usage
 * Limits, which then no longer change. Export (2.1 6.1.18): Get's answer
 * with the object's attributes, in 2.x only.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"
#include "ngx_kmip_op_view.h"


#define T_MASK_ENC  NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT
#define T_MASK_WRAP NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_WRAP_KEY


static u_char  t_block[16] = "sixteen bytes...";


/*
 * A Check of the object, or (uid NULL) of the ID Placeholder between a
 * Create and a Get Attributes, as 1.4 4.10 has it used
 */

static ngx_kmip_response_item_t *
t_check(ngx_uint_t major, ngx_str_t *uid, uint32_t tag, uint8_t type,
    int64_t v)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(major, major >= 2 ? 1 : 4);
    t_continuation(t, NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_CONTINUE);

    if (uid == NULL) {
        t_create_payload(t_item(t, NGX_KMIP_OP_CREATE), major);
    }

    p = t_item(t, NGX_KMIP_OP_CHECK);

    if (uid) {
        t_uid(p, uid);
    }

    (void) t_value(p, tag, type, v);

    if (uid == NULL) {
        t_item(t, NGX_KMIP_OP_GET_ATTRIBUTES);
    }

    return t_run(t);
}


static void
t_check_rules(ngx_uint_t major)
{
    ngx_str_t                 *uid, *sd;
    ngx_kmip_response_item_t  *out;

    uid = t_create_aes(major, major >= 2 ? 1 : 4);
    sd = uid ? t_register_secret(NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE, 8) : NULL;
    if (!t_got(sd, "a key and Secret Data to Check")) {
        return;
    }

    out = t_check(major, NULL, NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK,
                  NGX_KMIP_TYPE_INTEGER, T_MASK_ENC);
    CHECK(out[1].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_find(&out[1], NGX_KMIP_TAG_UNIQUE_IDENTIFIER)
          && out[2].result_status == NGX_KMIP_STATUS_SUCCESS,
          "Check of a mask the key allows: its identifier, the "
          "placeholder kept");

    out = t_check(major, NULL, NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK,
                  NGX_KMIP_TYPE_INTEGER, T_MASK_ENC | T_MASK_WRAP);
    CHECK(t_reason(&out[1]) == t_wrong_mask(major)
          && out[1].payload == NULL,
          "Check of a mask bit the key lacks: the version's reason");
    CHECK(out[2].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "a denied Check empties the ID Placeholder");

    out = t_check(major, uid, NGX_KMIP_TAG_USAGE_LIMITS_COUNT,
                  NGX_KMIP_TYPE_LONG_INTEGER, 1000000);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "Check of a Usage Limits Count on a key without limits");

    out = t_check(major, sd, NGX_KMIP_TAG_USAGE_LIMITS_COUNT,
                  NGX_KMIP_TYPE_LONG_INTEGER, 1);
    CHECK(t_reason(&out[0]) == (major >= 2
                                ? NGX_KMIP_REASON_ILLEGAL_OBJECT_TYPE
                                : NGX_KMIP_REASON_ILLEGAL_OPERATION),
          "Check of a Usage Limits Count on Secret Data: the version's "
          "reason");

    out = t_check(major, uid, NGX_KMIP_TAG_LEASE_TIME,
                  NGX_KMIP_TYPE_INTERVAL, 60);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "Check of a Lease Time: allowed, the key's Lease Time is 0, no "
          "limit");

    out = t_check(major, uid, NGX_KMIP_TAG_USAGE_LIMITS_COUNT,
                  NGX_KMIP_TYPE_INTEGER, 1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "Check of a Usage Limits Count not a Long Integer: Invalid Field");

    (void) t_one(major, major >= 2 ? 1 : 4, NGX_KMIP_OP_ACTIVATE, uid);
    (void) t_revoke(major, major >= 2 ? 1 : 4, uid,
                    NGX_KMIP_REVOCATION_REASON_CODE_SUPERSEDED);

    out = t_check(major, uid, NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK,
                  NGX_KMIP_TYPE_INTEGER, T_MASK_ENC);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_PERMISSION_DENIED,
          "Check of a mask on a Deactivated key: Permission Denied");
}


/* the Count the store keeps in the key's Usage Limits, or -1 */

static int64_t
t_usage_count(ngx_str_t *uid)
{
    ngx_kmip_attr_t    *at;
    ngx_kmip_item_t    *c;
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(t_mem, uid);
    at = kept ? ngx_kmip_attrs_find(&kept->attributes, "Usage Limits", 12,
                                    -1)
              : NULL;
    c = at ? ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_USAGE_LIMITS_COUNT)
           : NULL;

    return c ? c->v.num : -1;
}


/* a 2.1 Active AES key for two objects' protection */

static ngx_str_t *
t_limited_key(void)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *ul;

    t = t_request(2, 1);
    p = t_item(t, NGX_KMIP_OP_CREATE);
    t_create_payload(p, 2);
    ul = ngx_kmip_ttlv_add_struct(t_alloc(),
                                  ngx_kmip_ttlv_find(p,
                                                     NGX_KMIP_TAG_ATTRIBUTES),
                                  NGX_KMIP_TAG_USAGE_LIMITS);
    (void) t_value(ul, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL,
                   NGX_KMIP_TYPE_LONG_INTEGER, 2);
    (void) t_value(ul, NGX_KMIP_TAG_USAGE_LIMITS_COUNT,
                   NGX_KMIP_TYPE_LONG_INTEGER, 1000);
    (void) t_value(ul, NGX_KMIP_TAG_USAGE_LIMITS_UNIT,
                   NGX_KMIP_TYPE_ENUMERATION,
                   NGX_KMIP_USAGE_LIMITS_UNIT_OBJECT);
    t_item(t, NGX_KMIP_OP_ACTIVATE);

    return t_uid_of(&t_run(t)[0]);
}


static void
t_usage_limits(void)
{
    ngx_str_t                 *uid;
    t_request_t               *t;
    ngx_kmip_item_t           *p;
    ngx_kmip_response_item_t  *out;

    uid = t_limited_key();
    CHECK(uid && t_usage_count(uid) == 2,
          "Usage Limits at Create: the Count is the server's, the Total");
    if (uid == NULL) {
        return;
    }

    out = t_check(2, uid, NGX_KMIP_TAG_USAGE_LIMITS_COUNT,
                  NGX_KMIP_TYPE_LONG_INTEGER, 3);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_USAGE_LIMIT_EXCEEDED,
          "Check of more than the limits leave: Usage Limit Exceeded");

    out = t_cipher(2, NGX_KMIP_OP_ENCRYPT, uid, t_block, sizeof(t_block));
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_usage_count(uid) == 1,
          "an Encrypt takes one object from the Count");

    t = t_request(2, 1);
    p = t_item(t, NGX_KMIP_OP_DELETE_ATTRIBUTE);
    t_uid(p, uid);
    (void) t_value(p, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE,
                   NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_TAG_USAGE_LIMITS);
    out = t_run(t);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_ATTRIBUTE_READ_ONLY
          && t_usage_count(uid) == 1,
          "the Usage Limits of a key used under them no longer change");

    out = t_cipher(2, NGX_KMIP_OP_DECRYPT, uid, t_block, sizeof(t_block));
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_usage_count(uid) == 1,
          "a Decrypt takes nothing (it applies no protection)");

    (void) t_cipher(2, NGX_KMIP_OP_ENCRYPT, uid, t_block, sizeof(t_block));
    out = t_cipher(2, NGX_KMIP_OP_ENCRYPT, uid, t_block, sizeof(t_block));
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_PERMISSION_DENIED
          && t_find(&out[0], NGX_KMIP_TAG_DATA) == NULL
          && t_usage_count(uid) == 0,
          "an Encrypt beyond the limits: Permission Denied, no Data");
}


/* Get Usage Allocation of count units of uid's limits */

static ngx_kmip_response_item_t *
t_allocation(ngx_str_t *uid, int64_t count)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(2, 1);
    p = t_item(t, NGX_KMIP_OP_GET_USAGE_ALLOCATION);
    t_uid(p, uid);

    if (count) {
        (void) t_value(p, NGX_KMIP_TAG_USAGE_LIMITS_COUNT,
                       NGX_KMIP_TYPE_LONG_INTEGER, count);
    }

    return t_run(t);
}


/*
 * Get Usage Allocation (1.4 4.18): the client's units come out of the
 * Count the server's own use (Encrypt) takes from; errors of 1.4 11.19
 */

static void
t_usage_allocation(void)
{
    ngx_str_t                 *uid, *plain;
    ngx_kmip_response_item_t  *out;

    uid = t_limited_key();
    plain = t_create_aes(2, 1);
    if (!t_got(uid, "a key with Usage Limits") || !t_got(plain, "a key")) {
        return;
    }

    out = t_allocation(uid, 0);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_MESSAGE
          && t_usage_count(uid) == 2,
          "Get Usage Allocation without a Count: Invalid Message");

    out = t_allocation(uid, 1);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER)
          && t_usage_count(uid) == 1,
          "Get Usage Allocation of 1: the Count is 1 less, the uid answered");

    out = t_allocation(uid, 2);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_PERMISSION_DENIED
          && t_usage_count(uid) == 1,
          "more than is left: Permission Denied, nothing taken");

    out = t_cipher(2, NGX_KMIP_OP_ENCRYPT, uid, t_block, sizeof(t_block));
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_usage_count(uid) == 0,
          "the server's Encrypt takes the last one");

    out = t_allocation(uid, 1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_PERMISSION_DENIED,
          "none left: Permission Denied");

    out = t_allocation(plain, 1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_ILLEGAL_OPERATION,
          "a key without Usage Limits: Illegal Operation");

    out = t_allocation(&t_unknown_uid, 1);
    CHECK(t_reason(&out[0]) == t_not_found(2),
          "an unknown object: Object Not Found");
}


/*
 * Obtain Lease (1.4 4.17): no lease limit (Lease Time 0) and the Last
 * Change Date; none on a Compromised object
 */

static void
t_lease(void)
{
    int64_t                    changed;
    ngx_str_t                 *uid;
    ngx_kmip_item_t           *lt, *lcd;
    ngx_kmip_object_t         *kept;
    ngx_kmip_response_item_t  *out;

    uid = t_create_aes(1, 4);
    if (!t_got(uid, "a key for Obtain Lease")) {
        return;
    }

    kept = ngx_kmip_store_memory_find(t_mem, uid);
    changed = kept ? ngx_kmip_op_attr_num(&kept->attributes,
                                          "Last Change Date", -1)
                   : -1;

    out = t_one(1, 4, NGX_KMIP_OP_OBTAIN_LEASE, uid);
    lt = t_find(&out[0], NGX_KMIP_TAG_LEASE_TIME);
    lcd = t_find(&out[0], NGX_KMIP_TAG_LAST_CHANGE_DATE);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER)
          && lt && lt->type == NGX_KMIP_TYPE_INTERVAL && lt->v.num == 0
          && lcd && lcd->type == NGX_KMIP_TYPE_DATE_TIME
          && changed > 0 && lcd->v.num == changed,
          "Obtain Lease: Lease Time 0 (no limit), the Last Change Date");

    t_revoke(1, 4, uid, NGX_KMIP_REVOCATION_REASON_CODE_KEY_COMPROMISE);
    out = t_one(1, 4, NGX_KMIP_OP_OBTAIN_LEASE, uid);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_PERMISSION_DENIED
          && t_find(&out[0], NGX_KMIP_TAG_LEASE_TIME) == NULL,
          "Obtain Lease on a Compromised key: Permission Denied");

    out = t_check(1, uid, NGX_KMIP_TAG_LEASE_TIME, NGX_KMIP_TYPE_INTERVAL, 60);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_PERMISSION_DENIED,
          "Check of a Lease Time on a Compromised key: Permission Denied");

    out = t_one(1, 4, NGX_KMIP_OP_OBTAIN_LEASE, &t_unknown_uid);
    CHECK(t_reason(&out[0]) == t_not_found(1),
          "Obtain Lease of an unknown object: Item Not Found");
}


static void
t_export(void)
{
    ngx_str_t                 *uid;
    ngx_kmip_item_t           *kid;
    ngx_kmip_response_item_t  *out;

    uid = t_create_aes(2, 1);
    if (!t_got(uid, "Create for Export")) {
        return;
    }

    out = t_one(2, 1, NGX_KMIP_OP_EXPORT, uid);
    kid = out[0].payload ? out[0].payload->v.kids.first : NULL;
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && kid && kid->tag == NGX_KMIP_TAG_OBJECT_TYPE
          && kid->next && kid->next->tag == NGX_KMIP_TAG_UNIQUE_IDENTIFIER
          && kid->next->next
          && kid->next->next->tag == NGX_KMIP_TAG_ATTRIBUTES
          && kid->next->next->next
          && kid->next->next->next->tag == NGX_KMIP_TAG_SYMMETRIC_KEY,
          "Export: Object Type, Unique Identifier, Attributes, the key");
    CHECK(t_deep(t_find(&out[0], NGX_KMIP_TAG_ATTRIBUTES),
                 NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM) != NULL
          && t_kept_num(uid, "Fresh") == 0,
          "Export gives the attributes and serves the key");

    out = t_one(1, 4, NGX_KMIP_OP_EXPORT, uid);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
          "Export does not exist in KMIP 1.4");

    (void) t_one(2, 1, NGX_KMIP_OP_DESTROY, uid);
    out = t_one(2, 1, NGX_KMIP_OP_EXPORT, uid);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OBJECT_DESTROYED
          && out[0].payload == NULL,
          "Export of a destroyed key: Object Destroyed, no payload");
}


void
t_check_ops(void)
{
    t_check_rules(1);
    t_check_rules(2);
    t_usage_limits();
    t_usage_allocation();
    t_lease();
    t_export();
}
