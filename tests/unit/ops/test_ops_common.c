
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * What the operations share, tested alone: a field an operation cannot do
 * without (ngx_kmip_op_need()) fails the item with Missing Data and the
 * message that names it.
 */


#include "ngx_kmip_test_ops.h"


/* the item failed with Missing Data, and its message is text */

static void
t_missing(ngx_kmip_response_item_t *out, const char *text, const char *name)
{
    size_t  n = ngx_strlen(text);

    CHECK(t_reason(out) == NGX_KMIP_REASON_MISSING_DATA
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

        t_missing(&out, "Hash needs a Hashing Algorithm", fails[i].name);
    }
}


void
t_common(void)
{
    t_need_field(1);
    t_need_field(2);
}
