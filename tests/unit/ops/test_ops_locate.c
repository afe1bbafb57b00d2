
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Locate (KMIP 1.4 4.9, 2.1 6.1.27) on a store of its own: filters by
 * attribute in the version's form (1.x Attribute, 2.x Attributes), the
 * Cryptographic Usage Mask as a subset, Maximum Items and Offset Items
 * with Located Items (1.3 on), Object Group Member Fresh, the ID
 * Placeholder, and at most four Locate items in a request message.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"


typedef struct {
    int64_t                     max;        /* -1: none */
    int64_t                     offset;     /* -1: none */
    ngx_uint_t                  fresh;      /* Group Member Fresh */
    const char                 *name;       /* a filter, or NULL */
    uint32_t                    tag;
    uint8_t                     type;
    int64_t                     value;
} t_locate_t;


static void
t_locate_payload(ngx_kmip_item_t *p, ngx_uint_t major, t_locate_t *lc)
{
    if (lc->max != -1) {
        (void) t_value(p, NGX_KMIP_TAG_MAXIMUM_ITEMS, NGX_KMIP_TYPE_INTEGER,
                       lc->max);
    }

    if (lc->offset != -1) {
        (void) t_value(p, NGX_KMIP_TAG_OFFSET_ITEMS, NGX_KMIP_TYPE_INTEGER,
                       lc->offset);
    }

    if (lc->fresh) {
        (void) t_value(p, NGX_KMIP_TAG_OBJECT_GROUP_MEMBER,
                       NGX_KMIP_TYPE_ENUMERATION,
                       NGX_KMIP_OBJECT_GROUP_MEMBER_GROUP_MEMBER_FRESH);
    }

    /* 1.x: Attribute structures in the payload itself */

    if (lc->name) {
        t_attr(major >= 2 ? t_attrs(p, major) : p, major, lc->name, lc->tag,
               lc->type, lc->value);
    }
}


static ngx_kmip_response_item_t *
t_locate(ngx_uint_t major, ngx_uint_t minor, t_locate_t *lc)
{
    t_request_t  *t;

    t = t_request(major, minor);
    t_locate_payload(t_item(t, NGX_KMIP_OP_LOCATE), major, lc);

    return t_run(t);
}


static ngx_uint_t
t_found(ngx_kmip_response_item_t *out)
{
    return out->result_status == NGX_KMIP_STATUS_SUCCESS
           ? t_count(out, NGX_KMIP_TAG_UNIQUE_IDENTIFIER) : 1000;
}


static int64_t
t_located(ngx_kmip_response_item_t *out)
{
    ngx_kmip_item_t  *li;

    li = t_find(out, NGX_KMIP_TAG_LOCATED_ITEMS);

    return li ? li->v.num : -1;
}


/* three keys, one Active, and a Secret Data */

static ngx_str_t *
t_objects(void)
{
    ngx_str_t  *active;

    (void) t_create_aes(1, 4);
    (void) t_create_aes(2, 1);
    active = t_uid_of(&t_create_plus(2, "Activation Date",
                                     NGX_KMIP_TAG_ACTIVATION_DATE,
                                     NGX_KMIP_TYPE_DATE_TIME,
                                     ngx_time() - 60)[0]);
    (void) t_register_secret(NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE, 8);

    return active;
}


/* filters of the four objects: how many each finds */

static struct {
    t_locate_t                 lc;
    ngx_uint_t                 found;
    const char                *name;
} t_filter_cases[] = {
    { { -1, -1, 0, "Object Type", NGX_KMIP_TAG_OBJECT_TYPE,
        NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY },
      3, "Locate by Object Type: the three keys" },
    { { -1, -1, 0, "Cryptographic Usage Mask",
        NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
        NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT },
      3, "Locate by a Usage Mask bit: the keys whose mask has it" },
    { { -1, -1, 0, "Cryptographic Usage Mask",
        NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
        NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT
        | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_WRAP_KEY },
      0, "Locate by a Usage Mask no key's mask holds: none" },
    { { -1, -1, 0, "Cryptographic Length", NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
        NGX_KMIP_TYPE_INTEGER, 128 },
      0, "Locate by a length no key has: none" },
};


static void
t_filters(ngx_uint_t major, ngx_str_t *active)
{
    ngx_uint_t                 i, minor;
    ngx_kmip_item_t           *id;
    t_locate_t                 lc = { -1, -1, 0, NULL, 0, 0, 0 };
    ngx_kmip_response_item_t  *out;

    minor = major >= 2 ? 1 : 4;

    out = t_locate(major, minor, &lc);
    CHECK(t_found(&out[0]) == 4 && t_located(&out[0]) == -1,
          "Locate without a filter: the four objects, no Located Items");

    lc.name = "State";
    lc.tag = NGX_KMIP_TAG_STATE;
    lc.type = NGX_KMIP_TYPE_ENUMERATION;
    lc.value = NGX_KMIP_STATE_ACTIVE;
    out = t_locate(major, minor, &lc);
    id = t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
    CHECK(t_found(&out[0]) == 1 && id && active
          && id->v.str.len == active->len
          && memcmp(id->v.str.data, active->data, active->len) == 0,
          "Locate by State Active: the key its Activation Date activated");

    for (i = 0; i < t_nelts(t_filter_cases); i++) {
        out = t_locate(major, minor, &t_filter_cases[i].lc);
        CHECK(t_found(&out[0]) == t_filter_cases[i].found,
              t_filter_cases[i].name);
    }
}


/* pages of the four objects: how many each holds, and the Located Items */

static struct {
    ngx_uint_t                 major;
    ngx_uint_t                 minor;
    t_locate_t                 lc;
    ngx_uint_t                 found;
    int64_t                    located;    /* -1: none, -2: not checked */
    const char                *name;
} t_paging_cases[] = {
    { 1, 4, { 2, -1, 0, NULL, 0, 0, 0 }, 2, 4,
      "Maximum Items 2: two identifiers, Located Items 4" },
    { 1, 2, { 2, -1, 0, NULL, 0, 0, 0 }, 2, -1,
      "the same in 1.2, which has no Located Items" },
    { 2, 1, { -1, 3, 0, NULL, 0, 0, 0 }, 1, 4,
      "Offset Items 3: the last identifier" },
    { 2, 1, { -1, 10, 0, NULL, 0, 0, 0 }, 0, 4,
      "Offset Items beyond the end: none" },
    { 2, 1, { -1, -1, 1, NULL, 0, 0, 0 }, 4, -2,
      "Group Member Fresh: the objects never served, all four" },
};


static void
t_paging(void)
{
    ngx_uint_t                 i;
    ngx_kmip_response_item_t  *out;

    for (i = 0; i < t_nelts(t_paging_cases); i++) {
        out = t_locate(t_paging_cases[i].major, t_paging_cases[i].minor,
                       &t_paging_cases[i].lc);
        CHECK(t_found(&out[0]) == t_paging_cases[i].found
              && (t_paging_cases[i].located == -2
                  || t_located(&out[0]) == t_paging_cases[i].located),
              t_paging_cases[i].name);
    }
}


static void
t_locate_refusals(void)
{
    ngx_uint_t                 i;
    t_request_t               *t;
    ngx_kmip_item_t           *p;
    t_locate_t                 lc = { -1, -1, 0, NULL, 0, 0, 0 };
    ngx_kmip_response_item_t  *out;

    t = t_request(2, 1);
    t_continuation(t, NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_CONTINUE);

    for (i = 0; i < 5; i++) {
        t_locate_payload(t_item(t, NGX_KMIP_OP_LOCATE), 2, &lc);
    }

    out = t_run(t);
    CHECK(t_found(&out[3]) == 4
          && t_reason(&out[4]) == NGX_KMIP_REASON_ILLEGAL_OPERATION,
          "a fifth Locate in a message: Illegal Operation");

    lc.max = -2;
    out = t_locate(2, 1, &lc);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a negative Maximum Items: Invalid Field");

    /* a 1.x Attribute in a 2.x request */

    lc.max = -1;
    lc.name = "State";
    lc.tag = NGX_KMIP_TAG_STATE;
    lc.type = NGX_KMIP_TYPE_ENUMERATION;
    lc.value = NGX_KMIP_STATE_ACTIVE;
    t = t_request(2, 1);
    p = t_item(t, NGX_KMIP_OP_LOCATE);
    t_attr(p, 1, lc.name, lc.tag, lc.type, lc.value);
    out = t_run(t);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a 2.1 Locate with a 1.x Attribute: Invalid Field");
}


/* the first object found is the ID Placeholder */

static void
t_located_placeholder(ngx_str_t *active)
{
    t_request_t               *t;
    ngx_kmip_item_t           *id;
    t_locate_t                 lc = { -1, -1, 0, "State", NGX_KMIP_TAG_STATE,
                                      NGX_KMIP_TYPE_ENUMERATION,
                                      NGX_KMIP_STATE_ACTIVE };
    ngx_kmip_response_item_t  *out;

    t = t_request(2, 1);
    t_locate_payload(t_item(t, NGX_KMIP_OP_LOCATE), 2, &lc);
    t_item(t, NGX_KMIP_OP_GET);
    out = t_run(t);
    id = t_deep(out[1].payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
    CHECK(out[1].result_status == NGX_KMIP_STATUS_SUCCESS && id && active
          && id->v.str.len == active->len
          && memcmp(id->v.str.data, active->data, active->len) == 0,
          "a Get after a Locate serves the object found (ID Placeholder)");

    lc.name = NULL;
    lc.fresh = 1;
    out = t_locate(2, 1, &lc);
    CHECK(t_found(&out[0]) == 3,
          "Group Member Fresh: the key served is no longer one");
}


/*
 * Every object is under the server's one operation policy: Locate by the
 * name "default" finds those that name none; another name finds none
 */

static void
t_policy(void)
{
    t_request_t      *t;
    ngx_kmip_item_t  *a;
    const char       *names[] = { "default", "gold" };
    ngx_uint_t        i;

    for (i = 0; i < 2; i++) {
        t = t_request(1, 4);
        a = ngx_kmip_ttlv_add_struct(t_alloc(), t_item(t, NGX_KMIP_OP_LOCATE),
                                     NGX_KMIP_TAG_ATTRIBUTE);
        t_text(a, NGX_KMIP_TAG_ATTRIBUTE_NAME, "Operation Policy Name");
        t_text(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE, names[i]);

        CHECK(t_found(&t_run(t)[0]) == (i == 0 ? 4 : 0),
              i == 0 ? "Locate by Operation Policy Name \"default\": every "
                       "object that names none"
                     : "Locate by another policy name: none");
    }
}


void
t_locate_ops(void)
{
    ngx_str_t                 *active;
    ngx_kmip_store_memory_t   *shared;

    /* a store of its own: the objects the filters find are known */

    shared = t_mem;
    t_store(shared->deferred);

    active = t_objects();

    t_filters(1, active);
    t_filters(2, active);
    t_paging();
    t_locate_refusals();
    t_located_placeholder(active);
    t_policy();

    t_mem = shared;
}
