
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * What the operations share, tested alone: a field an operation cannot do
 * without (ngx_kmip_op_need()) fails the item with Missing Data and the
 * message that names it.
 */


#include "ngx_kmip_test_ops.h"


/* the item failed with the reason, and its message is text */

static void
t_failed(ngx_kmip_response_item_t *out, uint32_t reason, const char *text,
    const char *name)
{
    size_t  n = ngx_strlen(text);

    CHECK(t_reason(out) == reason
          && out->result_message_len == n
          && ngx_strncmp(out->result_message, text, n) == 0, name);
}


/*
 * ngx_kmip_op_need(): the field of the parent with the tag and the type,
 * the item untouched; else NULL and the item failed, whether the field is
 * absent, of another type, or the parent itself absent
 */

static void
t_need_field(ngx_uint_t major)
{
    ngx_uint_t                 i;
    ngx_kmip_req_t             r;
    ngx_kmip_item_t           *cp, *alg;
    ngx_kmip_response_item_t   out;

    struct {
        ngx_kmip_item_t       *parent;
        uint32_t               tag;
        uint8_t                type;
        const char            *name;
    } fails[3];

    ngx_memzero(&r, sizeof(ngx_kmip_req_t));
    r.pool = t_pool;
    r.version = NGX_KMIP_VERSION(major, major >= 2 ? 1 : 4);

    cp = ngx_kmip_ttlv_item_new(t_alloc(),
                                NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS,
                                NGX_KMIP_TYPE_STRUCTURE);
    alg = t_value(cp, NGX_KMIP_TAG_HASHING_ALGORITHM,
                  NGX_KMIP_TYPE_ENUMERATION,
                  NGX_KMIP_HASHING_ALGORITHM_SHA_256);

    ngx_memzero(&out, sizeof(ngx_kmip_response_item_t));

    CHECK(ngx_kmip_op_need(&r, &out, cp, NGX_KMIP_TAG_HASHING_ALGORITHM,
                           NGX_KMIP_TYPE_ENUMERATION, "unused")
          == alg
          && out.result_status == NGX_KMIP_STATUS_SUCCESS
          && out.result_message == NULL,
          "a field of the type is the one needed; the item does not fail");

    fails[0].parent = cp;
    fails[0].tag = NGX_KMIP_TAG_HASHING_ALGORITHM;
    fails[0].type = NGX_KMIP_TYPE_INTEGER;
    fails[0].name = "a field of another type: Missing Data, the message";

    fails[1].parent = cp;
    fails[1].tag = NGX_KMIP_TAG_DIGITAL_SIGNATURE_ALGORITHM;
    fails[1].type = NGX_KMIP_TYPE_ENUMERATION;
    fails[1].name = "an absent field: Missing Data, the message";

    fails[2].parent = NULL;
    fails[2].tag = NGX_KMIP_TAG_HASHING_ALGORITHM;
    fails[2].type = NGX_KMIP_TYPE_ENUMERATION;
    fails[2].name = "an absent parent: Missing Data, the message";

    for (i = 0; i < t_nelts(fails); i++) {
        ngx_memzero(&out, sizeof(ngx_kmip_response_item_t));

        CHECK(ngx_kmip_op_need(&r, &out, fails[i].parent, fails[i].tag,
                               fails[i].type, "%s needs %s", "Hash",
                               "a Hashing Algorithm")
              == NULL, fails[i].name);

        t_failed(&out, NGX_KMIP_REASON_MISSING_DATA,
                 "Hash needs a Hashing Algorithm", fails[i].name);
    }
}


/*
 * Usage Limits a client gives (ngx_kmip_op_usage_limits()), at Create and
 * in an attribute change alike: a Total and a Unit of Byte or Object,
 * else the item fails with Invalid Field and says which is wanting
 */

static ngx_kmip_response_item_t *
t_usage_limits_given(ngx_uint_t major, ngx_str_t *uid, int64_t total,
    int64_t unit)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *in, *ul;

    t = t_request(major, major >= 2 ? 1 : 4);

    if (uid == NULL) {
        p = t_item(t, NGX_KMIP_OP_CREATE);
        t_create_payload(p, major);
        in = ngx_kmip_ttlv_find(p, major >= 2
                                   ? NGX_KMIP_TAG_ATTRIBUTES
                                   : NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);

    } else {
        p = t_item(t, NGX_KMIP_OP_ADD_ATTRIBUTE);
        t_uid(p, uid);
        in = major >= 2 ? ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                                 NGX_KMIP_TAG_NEW_ATTRIBUTE)
                        : p;
    }

    ul = t_attr_struct(in, major, "Usage Limits", NGX_KMIP_TAG_USAGE_LIMITS);

    if (total >= 0) {
        (void) t_value(ul, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL,
                       NGX_KMIP_TYPE_LONG_INTEGER, total);
    }

    (void) t_value(ul, NGX_KMIP_TAG_USAGE_LIMITS_UNIT,
                   NGX_KMIP_TYPE_ENUMERATION, unit);

    return t_run(t);
}


static void
t_usage_limits_refused(ngx_uint_t major)
{
    ngx_uint_t                 i;
    ngx_str_t                  key, *on[2];
    ngx_kmip_response_item_t  *out;

    if (!t_new_key(major, major >= 2 ? 1 : 4, &key)) {
        CHECK(0, "a key to add Usage Limits to");
        return;
    }

    on[0] = NULL;
    on[1] = &key;

    for (i = 0; i < 2; i++) {
        out = t_usage_limits_given(major, on[i], -1,
                                   NGX_KMIP_USAGE_LIMITS_UNIT_OBJECT);
        t_failed(out, NGX_KMIP_REASON_INVALID_FIELD,
                 "Usage Limits needs a non-negative Usage Limits Total",
                 "Usage Limits without a Total: Invalid Field");

        out = t_usage_limits_given(major, on[i], 2, 0x7f);
        t_failed(out, NGX_KMIP_REASON_INVALID_FIELD,
                 "Usage Limits needs a Usage Limits Unit of Byte or Object",
                 "Usage Limits of no unit: Invalid Field");

        out = t_usage_limits_given(major, on[i], 2,
                                   NGX_KMIP_USAGE_LIMITS_UNIT_BYTE);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
              "Usage Limits of a Total and a Unit: taken");
    }
}


void
t_common(void)
{
    t_need_field(1);
    t_need_field(2);
    t_usage_limits_refused(1);
    t_usage_limits_refused(2);
}
