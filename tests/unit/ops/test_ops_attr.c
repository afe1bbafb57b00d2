
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * The attribute operations in their 2.x form (KMIP 2.1 6.1.4, 6.1.33,
 * 6.1.16, 6.1.50): New Attribute, Current Attribute naming an instance,
 * Attribute Reference; Set Attribute; Get Attribute List in each
 * version's form; the 1.x Attribute Index (1.4 4.13-4.15); attributes a
 * client may not change and each version's reason; custom attributes
 * only without a credential.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"


/* a 2.x change: the Current Attribute and New Attribute given (NULL:
   none), of the Text String attribute tag; or its Attribute Reference */

static ngx_kmip_response_item_t *
t_change2(uint32_t operation, ngx_str_t *uid, uint32_t tag, const char *cur,
    const char *new, ngx_uint_t ref)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *a;

    t = t_request(2, 1);
    p = t_item(t, operation);
    t_uid(p, uid);

    if (cur) {
        a = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                     NGX_KMIP_TAG_CURRENT_ATTRIBUTE);
        t_text(a, tag, cur);
    }

    if (new) {
        a = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_NEW_ATTRIBUTE);
        t_text(a, tag, new);
    }

    if (ref) {
        (void) t_value(p, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE,
                       NGX_KMIP_TYPE_ENUMERATION, tag);
    }

    return t_run(t);
}


static ngx_uint_t
t_groups(ngx_str_t *uid)
{
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(t_mem, uid);

    return kept ? ngx_kmip_attrs_count(&kept->attributes, "Object Group", 12)
                : 0;
}


/* changes of Contact Information, single-valued, and what is kept */

static struct {
    uint32_t                   operation;
    const char                *cur;
    const char                *new;
    ngx_uint_t                 ref;
    uint32_t                   reason;
    const char                *kept;       /* NULL: no instance */
    const char                *name;
} t_single[] = {
    { NGX_KMIP_OP_ADD_ATTRIBUTE, NULL, "twice", 0,
      NGX_KMIP_REASON_ATTRIBUTE_SINGLE_VALUED, "ops",
      "2.x Add of a second single-valued instance: Attribute Single "
      "Valued" },
    { NGX_KMIP_OP_MODIFY_ATTRIBUTE, "nobody", "dev", 0,
      NGX_KMIP_REASON_ATTRIBUTE_NOT_FOUND, "ops",
      "2.x Modify of a Current Attribute the object lacks: Attribute "
      "Not Found" },
    { NGX_KMIP_OP_MODIFY_ATTRIBUTE, "ops", "dev", 0, 0, "dev",
      "2.x Modify of the Current Attribute to the New one" },
    { NGX_KMIP_OP_SET_ATTRIBUTE, NULL, "set", 0, 0, "set",
      "Set Attribute replaces the one instance" },
    { NGX_KMIP_OP_DELETE_ATTRIBUTE, NULL, NULL, 1, 0, NULL,
      "2.x Delete by Attribute Reference" },
    { NGX_KMIP_OP_DELETE_ATTRIBUTE, NULL, NULL, 1,
      NGX_KMIP_REASON_ATTRIBUTE_NOT_FOUND, NULL,
      "2.x Delete of an attribute the object lacks: Attribute Not "
      "Found" },
    { NGX_KMIP_OP_SET_ATTRIBUTE, NULL, "new", 0, 0, "new",
      "Set Attribute adds the attribute the object lacks" },
};


static void
t_single_valued(ngx_str_t *u)
{
    ngx_uint_t                 i;
    ngx_kmip_response_item_t  *out;

    out = t_change2(NGX_KMIP_OP_ADD_ATTRIBUTE, u,
                    NGX_KMIP_TAG_CONTACT_INFORMATION, NULL, "ops", 0);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_kept_text(u, "Contact Information", -1, "ops"),
          "2.x Add Attribute of a New Attribute: kept");
    CHECK(t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER)
          && t_find(&out[0], NGX_KMIP_TAG_ATTRIBUTE) == NULL,
          "2.x Add Attribute answers with the Unique Identifier only");

    for (i = 0; i < t_nelts(t_single); i++) {
        out = t_change2(t_single[i].operation, u,
                        NGX_KMIP_TAG_CONTACT_INFORMATION, t_single[i].cur,
                        t_single[i].new, t_single[i].ref);
        CHECK(t_result(&out[0], t_single[i].reason)
              && t_kept_text(u, "Contact Information", -1,
                             t_single[i].kept),
              t_single[i].name);
    }
}


static void
t_multi_valued(ngx_str_t *u)
{
    ngx_kmip_response_item_t  *out;

    (void) t_change2(NGX_KMIP_OP_ADD_ATTRIBUTE, u, NGX_KMIP_TAG_OBJECT_GROUP,
                     NULL, "g1", 0);
    out = t_change2(NGX_KMIP_OP_ADD_ATTRIBUTE, u, NGX_KMIP_TAG_OBJECT_GROUP,
                    NULL, "g2", 0);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_groups(u) == 2,
          "2.x Add of two Object Groups: two instances kept");

    out = t_change2(NGX_KMIP_OP_SET_ATTRIBUTE, u, NGX_KMIP_TAG_OBJECT_GROUP,
                    NULL, "g", 0);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_MULTI_VALUED_ATTRIBUTE
          && t_groups(u) == 2,
          "Set Attribute of an attribute with two instances: Multi Valued "
          "Attribute");

    out = t_change2(NGX_KMIP_OP_MODIFY_ATTRIBUTE, u, NGX_KMIP_TAG_OBJECT_GROUP,
                    "g2", "g3", 0);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_groups(u) == 2 && t_kept_text(u, "Object Group", 0, "g1")
          && t_kept_text(u, "Object Group", 1, "g3"),
          "2.x Modify changes the instance its Current Attribute names");

    out = t_change2(NGX_KMIP_OP_DELETE_ATTRIBUTE, u, NGX_KMIP_TAG_OBJECT_GROUP,
                    "g1", NULL, 0);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_groups(u) == 1 && t_kept_text(u, "Object Group", -1, "g3"),
          "2.x Delete of a Current Attribute: that instance only");

    (void) t_change2(NGX_KMIP_OP_ADD_ATTRIBUTE, u, NGX_KMIP_TAG_OBJECT_GROUP,
                     NULL, "g4", 0);
    out = t_change2(NGX_KMIP_OP_DELETE_ATTRIBUTE, u,
                    NGX_KMIP_TAG_OBJECT_GROUP, NULL, NULL, 1);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_groups(u) == 0,
          "2.x Delete by Attribute Reference: every instance");
}


/* a 2.x New Attribute of the Text String attribute tag */

static void
t_new_attribute(ngx_kmip_item_t *p, t_case_t *c)
{
    p = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_NEW_ATTRIBUTE);
    t_text(p, c->tag, c->text);
}


static t_case_t  t_read_only_cases[] = {

    { 2, 1, NGX_KMIP_OP_ADD_ATTRIBUTE, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, 0, 0,
      "mine", NGX_KMIP_REASON_ATTRIBUTE_READ_ONLY,
      "2.x Add of the Unique Identifier: Attribute Read Only",
      t_new_attribute },

    { 2, 1, NGX_KMIP_OP_SET_ATTRIBUTE, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, 0, 0,
      "mine", NGX_KMIP_REASON_READ_ONLY_ATTRIBUTE,
      "Set of the Unique Identifier: Read Only Attribute", t_new_attribute },

    { 2, 1, NGX_KMIP_OP_ADD_ATTRIBUTE, NGX_KMIP_TAG_LOG_MESSAGE, 0, 0,
      "not an attribute", NGX_KMIP_REASON_INVALID_FIELD,
      "2.x Add of a tag that is no attribute: Invalid Field",
      t_new_attribute },
};


static void
t_read_only(ngx_str_t *u)
{
    ngx_uint_t                 major;
    ngx_kmip_response_item_t  *out;

    t_cases(t_read_only_cases, t_nelts(t_read_only_cases), u);

    /* State, an Enumeration the server alone sets, in both forms */

    for (major = 1; major <= 2; major++) {
        out = t_change(major, NGX_KMIP_OP_MODIFY_ATTRIBUTE, u, "State",
                       NGX_KMIP_TAG_STATE, NGX_KMIP_TYPE_ENUMERATION,
                       NGX_KMIP_STATE_ACTIVE);
        CHECK(t_reason(&out[0]) == (major >= 2
                                    ? NGX_KMIP_REASON_ATTRIBUTE_READ_ONLY
                                    : NGX_KMIP_REASON_PERMISSION_DENIED)
              && t_kept_num(u, "State") == NGX_KMIP_STATE_PRE_ACTIVE,
              "Modify of the State: the version's read-only reason");
    }
}


/* the 1.x Attribute Index names the instance */

static ngx_kmip_response_item_t *
t_change1(uint32_t operation, ngx_str_t *uid, int64_t index,
    const char *text)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *a;

    t = t_request(1, 4);
    p = t_item(t, operation);
    t_uid(p, uid);

    a = (operation == NGX_KMIP_OP_DELETE_ATTRIBUTE)
        ? p
        : ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTE);
    t_text(a, NGX_KMIP_TAG_ATTRIBUTE_NAME, "Object Group");

    if (index >= 0) {
        (void) t_value(a, NGX_KMIP_TAG_ATTRIBUTE_INDEX, NGX_KMIP_TYPE_INTEGER,
                       index);
    }

    if (text) {
        t_text(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE, text);
    }

    return t_run(t);
}


static void
t_index(ngx_str_t *u)
{
    ngx_kmip_item_t           *ai;
    ngx_kmip_response_item_t  *out;

    (void) t_change1(NGX_KMIP_OP_ADD_ATTRIBUTE, u, -1, "a");
    out = t_change1(NGX_KMIP_OP_ADD_ATTRIBUTE, u, -1, "b");
    ai = t_deep(out[0].payload, NGX_KMIP_TAG_ATTRIBUTE_INDEX);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_groups(u) == 2 && ai && ai->v.num == 1,
          "1.x Add of a second Object Group: answered with Attribute "
          "Index 1");

    out = t_change1(NGX_KMIP_OP_MODIFY_ATTRIBUTE, u, 1, "c");
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_kept_text(u, "Object Group", 0, "a")
          && t_kept_text(u, "Object Group", 1, "c"),
          "1.x Modify of Attribute Index 1 changes that instance");

    out = t_change1(NGX_KMIP_OP_MODIFY_ATTRIBUTE, u, 5, "d");
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_ITEM_NOT_FOUND,
          "1.x Modify of an index the object lacks: Item Not Found");

    out = t_change1(NGX_KMIP_OP_DELETE_ATTRIBUTE, u, 0, NULL);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_groups(u) == 1 && t_kept_text(u, "Object Group", -1, "c"),
          "1.x Delete of Attribute Index 0: that instance only");

    out = t_change1(NGX_KMIP_OP_DELETE_ATTRIBUTE, u, 3, NULL);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_ITEM_NOT_FOUND
          && t_groups(u) == 1,
          "1.x Delete of an index the object lacks: Item Not Found");
}


/* Get Attribute List: 1.x Attribute Names, 2.x Attribute References */

static void
t_attribute_list(ngx_str_t *u)
{
    ngx_kmip_item_t           *ref;
    ngx_kmip_response_item_t  *out;

    out = t_one(1, 4, NGX_KMIP_OP_GET_ATTRIBUTE_LIST, u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_count(&out[0], NGX_KMIP_TAG_ATTRIBUTE_NAME) > 5
          && t_count(&out[0], NGX_KMIP_TAG_ATTRIBUTE_REFERENCE) == 0,
          "Get Attribute List in 1.4: Attribute Names");

    out = t_one(2, 1, NGX_KMIP_OP_GET_ATTRIBUTE_LIST, u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_count(&out[0], NGX_KMIP_TAG_ATTRIBUTE_NAME) == 0
          && t_count(&out[0], NGX_KMIP_TAG_ATTRIBUTE_REFERENCE) > 5,
          "Get Attribute List in 2.1: Attribute References");

    for (ref = t_find(&out[0], NGX_KMIP_TAG_ATTRIBUTE_REFERENCE); ref;
         ref = ngx_kmip_ttlv_find_next(ref, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE))
    {
        if (ref->v.num == NGX_KMIP_TAG_STATE) {
            break;
        }
    }

    CHECK(ref != NULL, "the 2.1 list names the State by its tag");
}


static void
t_anonymous_changes(ngx_str_t *u)
{
    t_request_t               *t;
    ngx_kmip_item_t           *p, *a;
    ngx_kmip_response_item_t  *out;

    t = t_request(1, 4);
    t->anonymous = 1;
    t_continuation(t, NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_CONTINUE);

    p = t_item(t, NGX_KMIP_OP_ADD_ATTRIBUTE);
    t_uid(p, u);
    a = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTE);
    t_text(a, NGX_KMIP_TAG_ATTRIBUTE_NAME, "x-Vendor");
    t_text(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE, "vc");

    p = t_item(t, NGX_KMIP_OP_ADD_ATTRIBUTE);
    t_uid(p, u);
    a = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTE);
    t_text(a, NGX_KMIP_TAG_ATTRIBUTE_NAME, "Contact Information");
    t_text(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE, "anonymous");

    out = t_run(t);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_kept_text(u, "x-Vendor", -1, "vc"),
          "without a credential: a custom attribute may be added");
    CHECK(t_reason(&out[1]) == NGX_KMIP_REASON_PERMISSION_DENIED
          && !t_kept_text(u, "Contact Information", -1, "anonymous"),
          "without a credential: a standard one is Permission Denied");
}


/*
 * A 1.x Modify or Delete Attribute that names the instance's index gets it
 * named back, index 0 included; one that does not, as the OASIS cases,
 * gets no Attribute Index for the first instance
 */

static void
t_index_echo(void)
{
    ngx_str_t                  u;
    ngx_uint_t                 named;
    t_request_t               *t;
    ngx_kmip_item_t           *p, *a, *idx;
    ngx_kmip_response_item_t  *out;

    if (!t_new_key(1, 4, &u)) {
        return;
    }

    for (named = 0; named < 2; named++) {
        t = t_request(1, 4);
        p = t_item(t, NGX_KMIP_OP_MODIFY_ATTRIBUTE);
        t_uid(p, &u);
        a = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTE);
        t_text(a, NGX_KMIP_TAG_ATTRIBUTE_NAME, "Cryptographic Usage Mask");

        if (named) {
            ngx_kmip_ttlv_add_integer(t_alloc(), a,
                                      NGX_KMIP_TAG_ATTRIBUTE_INDEX, 0);
        }

        (void) t_value(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE, NGX_KMIP_TYPE_INTEGER,
                       NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT);

        out = t_run(t);
        idx = t_deep(out[0].payload, NGX_KMIP_TAG_ATTRIBUTE_INDEX);

        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
              && (named ? idx && idx->v.num == 0 : idx == NULL),
              named ? "Modify Attribute naming index 0: answered with it"
                    : "Modify Attribute naming no index: answered without");
    }
}


void
t_attr_forms(void)
{
    ngx_str_t  *uid, u;

    uid = t_create_aes(2, 1);
    if (!t_got(uid, "Create for the 2.x attribute operations")) {
        return;
    }

    u = *uid;

    t_single_valued(&u);
    t_multi_valued(&u);
    t_read_only(&u);
    t_index(&u);
    t_index_echo();
    t_attribute_list(&u);
    t_anonymous_changes(&u);
}
