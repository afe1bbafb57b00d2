
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * The attribute operations in their 1.x form (KMIP 1.4 4.12-4.15): Add,
 * Modify and Delete of a client's own attribute, which the store keeps;
 * the attributes the server alone sets are refused.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"


static ngx_kmip_response_item_t *
t_attr_op(uint32_t operation, ngx_str_t *uid, const char *name,
    const char *text)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *a;

    t = t_request(1, 4);
    p = t_item(t, operation);
    ngx_kmip_ttlv_add_text(t_alloc(), p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                           uid->data, uid->len);

    /* Delete Attribute names the attribute (1.4 4.15), the others carry
       it whole */

    a = (operation == NGX_KMIP_OP_DELETE_ATTRIBUTE)
        ? p
        : ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTE);
    ngx_kmip_ttlv_add_text(t_alloc(), a, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                           (const uint8_t *) name, strlen(name));

    if (text) {
        ngx_kmip_ttlv_add_text(t_alloc(), a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               (const uint8_t *) text, strlen(text));
    }

    return t_run(t);
}


/* Add Attribute of a Name (1.4) */

static ngx_kmip_response_item_t *
t_add_name(ngx_str_t *uid, const char *name)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *a, *v;

    t = t_request(1, 4);
    p = t_item(t, NGX_KMIP_OP_ADD_ATTRIBUTE);
    t_uid(p, uid);
    a = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTE);
    t_text(a, NGX_KMIP_TAG_ATTRIBUTE_NAME, "Name");
    v = ngx_kmip_ttlv_add_struct(t_alloc(), a, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
    t_text(v, NGX_KMIP_TAG_NAME_VALUE, name);
    ngx_kmip_ttlv_add_enum(t_alloc(), v, NGX_KMIP_TAG_NAME_TYPE,
                           NGX_KMIP_NAME_TYPE_UNINTERPRETED_TEXT_STRING);

    return t_run(t);
}


/* the Attribute Index of the named 1.x Attribute: -1 without, -2 absent */

static int64_t
t_attribute_index(ngx_kmip_response_item_t *out, const char *name)
{
    ngx_kmip_item_t  *a, *an, *ai;

    for (a = t_find(out, NGX_KMIP_TAG_ATTRIBUTE); a;
         a = ngx_kmip_ttlv_find_next(a, NGX_KMIP_TAG_ATTRIBUTE))
    {
        an = ngx_kmip_ttlv_find(a, NGX_KMIP_TAG_ATTRIBUTE_NAME);

        if (an && an->v.str.len == strlen(name)
            && memcmp(an->v.str.data, name, an->v.str.len) == 0)
        {
            ai = ngx_kmip_ttlv_find(a, NGX_KMIP_TAG_ATTRIBUTE_INDEX);
            return ai ? ai->v.num : -1;
        }
    }

    return -2;
}


void
t_attributes(void)
{
    ngx_str_t                  u;
    ngx_uint_t                 i;
    ngx_kmip_response_item_t  *out;

    if (!t_new_key(1, 4, &u)) {
        return;
    }

    out = t_attr_op(NGX_KMIP_OP_ADD_ATTRIBUTE, &u, "x-Purpose", "backup");
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_kept_text(&u, "x-Purpose", -1, "backup"),
          "Add Attribute of a custom attribute: the store keeps it");

    out = t_attr_op(NGX_KMIP_OP_ADD_ATTRIBUTE, &u, "Object Group", "g1");
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "Add Attribute of an Object Group");

    out = t_one(1, 4, NGX_KMIP_OP_GET_ATTRIBUTES, &u);
    CHECK(t_attribute(&out[0], "x-Purpose") != NULL,
          "Get Attributes shows it");

    /* 1.x: a multi-instance standard attribute says its index, 0 too */

    CHECK(t_attribute_index(&out[0], "Object Group") == 0,
          "Get Attributes 1.4: Object Group with its Attribute Index 0");
    CHECK(t_attribute_index(&out[0], "x-Purpose") == -1,
          "Get Attributes 1.4: a custom attribute without an index");
    CHECK(t_attribute_index(&out[0], "State") == -1,
          "Get Attributes 1.4: a single-instance attribute without one");

    out = t_attr_op(NGX_KMIP_OP_MODIFY_ATTRIBUTE, &u, "x-Purpose",
                    "archive");
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_kept_text(&u, "x-Purpose", -1, "archive"),
          "Modify Attribute changes the stored value");

    out = t_attr_op(NGX_KMIP_OP_DELETE_ATTRIBUTE, &u, "x-Purpose", NULL);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_kept_text(&u, "x-Purpose", -1, NULL),
          "Delete Attribute removes it from the store");

    out = t_attr_op(NGX_KMIP_OP_MODIFY_ATTRIBUTE, &u, "x-Purpose", "again");
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD
          && t_kept_text(&u, "x-Purpose", -1, NULL),
          "Modify Attribute of one the object lacks: Invalid Field, add it "
          "first (1.4 Table 342)");

    for (i = 0; i < 2; i++) {
        out = t_add_name(&u, "backup-volume");
    }

    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_ILLEGAL_OPERATION
          && t_kept_text(&u, "Name", 1, NULL),
          "Add Attribute of a Name the object has already: refused");

    out = t_attr_op(NGX_KMIP_OP_ADD_ATTRIBUTE, &u, "Unique Identifier",
                    "mine");
    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "Add Attribute of an attribute the server sets is refused");
}
