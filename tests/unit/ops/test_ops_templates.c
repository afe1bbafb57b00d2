
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Templates (KMIP 1.4 2.2.6, 1.x only): Register of one, and the
 * attributes it may not hold; Get of it as registered; Create, Create Key
 * Pair and Register naming it, the request's own attributes taking
 * precedence, of several templates the last; an unknown name; Locate,
 * Activate and Destroy of it; none in 2.x.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_kmip_test_ops.h"


#define T_AES  NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES


/* a Name structure in parent: a template named, or the attribute's value */

static void
t_name(ngx_kmip_item_t *parent, const char *name)
{
    ngx_kmip_item_t  *n;

    n = ngx_kmip_ttlv_add_struct(t_alloc(), parent, NGX_KMIP_TAG_NAME);
    t_text(n, NGX_KMIP_TAG_NAME_VALUE, name);
    ngx_kmip_ttlv_add_enum(t_alloc(), n, NGX_KMIP_TAG_NAME_TYPE,
                           NGX_KMIP_NAME_TYPE_UNINTERPRETED_TEXT_STRING);
}


static void
t_name_attr(ngx_kmip_item_t *attrs, const char *name)
{
    ngx_kmip_item_t  *v;

    v = t_attr_struct(attrs, 1, "Name", NGX_KMIP_TAG_NAME);
    t_text(v, NGX_KMIP_TAG_NAME_VALUE, name);
    ngx_kmip_ttlv_add_enum(t_alloc(), v, NGX_KMIP_TAG_NAME_TYPE,
                           NGX_KMIP_NAME_TYPE_UNINTERPRETED_TEXT_STRING);
}


/* a Register of a Template: its payload, to add fields to */

static ngx_kmip_item_t *
t_template_request(t_request_t *t)
{
    ngx_kmip_item_t  *p;

    p = t_item(t, NGX_KMIP_OP_REGISTER);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE,
                           NGX_KMIP_OBJECT_TYPE_TEMPLATE);
    return p;
}


/*
 * A Register of a Template named name, of an AES algorithm (alg -1:
 * none), a length (0: none), and one more attribute when extra is set
 */

static ngx_kmip_response_item_t *
t_register_template(ngx_uint_t major, const char *name, int64_t alg,
    int64_t len, const char *extra, uint8_t type, int64_t v)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *o;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_template_request(t);
    t_name_attr(t_attrs(p, 1), name);
    o = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_TEMPLATE);

    if (alg != -1) {
        t_attr(o, 1, "Cryptographic Algorithm",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
               NGX_KMIP_TYPE_ENUMERATION, alg);
    }

    if (len) {
        t_attr(o, 1, "Cryptographic Length",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, NGX_KMIP_TYPE_INTEGER, len);
    }

    if (extra) {
        t_attr(o, 1, extra, 0, type, v);
    }

    return t_run(t);
}


/* a Create of a Symmetric Key naming templates (NULL-ended), with a
   Cryptographic Length of its own unless len is 0 */

static ngx_kmip_response_item_t *
t_create_named(const char **names, int64_t len)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *ta;

    t = t_request(1, 4);
    p = t_item(t, NGX_KMIP_OP_CREATE);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE,
                           NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);
    ta = t_attrs(p, 1);

    for ( /* void */ ; *names; names++) {
        t_name(ta, *names);
    }

    if (len) {
        t_attr(ta, 1, "Cryptographic Length",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, NGX_KMIP_TYPE_INTEGER, len);
    }

    return t_run(t);
}


static void
t_template_register(void)
{
    ngx_kmip_response_item_t  *out;

    out = t_register_template(1, "t-state", T_AES,
                              0, "State", NGX_KMIP_TYPE_ENUMERATION,
                              NGX_KMIP_STATE_ACTIVE);
    t_expect(&out[0], NGX_KMIP_REASON_INVALID_FIELD,
             "a Template with a State: Invalid Field");

    out = t_register_template(1, "t-date", T_AES,
                              0, "Initial Date", NGX_KMIP_TYPE_DATE_TIME,
                              1700000000);
    t_expect(&out[0], NGX_KMIP_REASON_INVALID_FIELD,
             "a Template with an Initial Date: Invalid Field");

    out = t_register_template(1, "t-fresh", T_AES,
                              0, "Fresh", NGX_KMIP_TYPE_BOOLEAN, 1);
    t_expect(&out[0], NGX_KMIP_REASON_INVALID_FIELD,
             "a Template with Fresh: Invalid Field");

    out = t_register_template(1, "t-empty", -1, 0, NULL, 0, 0);
    t_expect(&out[0], NGX_KMIP_REASON_INVALID_FIELD,
             "a Template without attributes: Invalid Field");

    out = t_register_template(2, "t-v2", T_AES,
                              0, NULL, 0, 0);
    t_expect(&out[0], NGX_KMIP_REASON_INVALID_FIELD,
             "a Template in 2.1: Invalid Field, 2.0 has none");
}


static void
t_template_name_inside(void)
{
    t_request_t               *t;
    ngx_kmip_item_t           *p, *o;
    ngx_kmip_response_item_t  *out;

    /* 1.4 11.4: "a Name attribute with the Template structure" */

    t = t_request(1, 4);
    p = t_template_request(t);
    o = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_TEMPLATE);
    t_name_attr(o, "inside");
    out = t_run(t);
    t_expect(&out[0], NGX_KMIP_REASON_INVALID_FIELD,
             "a Template holding a Name: Invalid Field");
}


/* a message lists the store four times at most: a fifth Create naming a
   template is Illegal Operation */

static void
t_template_batch(void)
{
    t_request_t               *t;
    ngx_uint_t                 i;
    ngx_kmip_item_t           *p;
    ngx_kmip_response_item_t  *out;

    t = t_request(1, 4);

    for (i = 0; i < 5; i++) {
        p = t_item(t, NGX_KMIP_OP_CREATE);
        ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE,
                               NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);
        t_name(t_attrs(p, 1), "tmpl-aes");
    }

    t_continuation(t, NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_CONTINUE);
    out = t_run(t);

    CHECK(out[3].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_reason(&out[4]) == NGX_KMIP_REASON_ILLEGAL_OPERATION,
          "five Creates naming a template in a message: the fifth is "
          "Illegal Operation");
}


static void
t_template_locate(ngx_str_t *tmpl)
{
    t_request_t               *t;
    ngx_kmip_item_t           *p, *a;
    ngx_kmip_response_item_t  *out;

    t = t_request(1, 4);
    p = t_item(t, NGX_KMIP_OP_LOCATE);
    t_attr(p, 1, "Object Type", NGX_KMIP_TAG_OBJECT_TYPE,
           NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_OBJECT_TYPE_TEMPLATE);
    out = t_run(t);
    CHECK(t_lists_uid(&out[0], tmpl)
          && t_count(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER) == 2,
          "Locate by Object Type Template: the two templates");

    t = t_request(1, 4);
    p = t_item(t, NGX_KMIP_OP_LOCATE);
    a = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTE);
    t_text(a, NGX_KMIP_TAG_ATTRIBUTE_NAME, "Name");
    a = ngx_kmip_ttlv_add_struct(t_alloc(), a, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
    t_text(a, NGX_KMIP_TAG_NAME_VALUE, "tmpl-aes");
    ngx_kmip_ttlv_add_enum(t_alloc(), a, NGX_KMIP_TAG_NAME_TYPE,
                           NGX_KMIP_NAME_TYPE_UNINTERPRETED_TEXT_STRING);
    out = t_run(t);
    CHECK(t_lists_uid(&out[0], tmpl)
          && t_count(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER) == 1,
          "Locate of a Template by its Name");
}


/* a key pair of EC P-256 from a template in the Common Template-Attribute,
   each key's own usage mask over the template's */

static void
t_template_key_pair(void)
{
    t_request_t               *t;
    ngx_str_t                 *uid, priv;
    ngx_kmip_item_t           *p, *common, *pv, *pub, *u;
    ngx_kmip_response_item_t  *out;

    out = t_register_template(1, "tmpl-ec",
                              NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_EC, 256,
                              "Cryptographic Usage Mask",
                              NGX_KMIP_TYPE_INTEGER,
                              NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_SIGN
                              | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_VERIFY);
    uid = t_uid_of(&out[0]);

    if (!t_got(uid, "an EC Template registered")) {
        return;
    }

    t = t_request(1, 4);
    p = t_item(t, NGX_KMIP_OP_CREATE_KEY_PAIR);
    common = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                      NGX_KMIP_TAG_COMMON_TEMPLATE_ATTRIBUTE);
    pv = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                  NGX_KMIP_TAG_PRIVATE_KEY_TEMPLATE_ATTRIBUTE);
    pub = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                 NGX_KMIP_TAG_PUBLIC_KEY_TEMPLATE_ATTRIBUTE);
    t_name(common, "tmpl-ec");
    t_attr(pv, 1, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
           NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_SIGN);
    t_attr(pub, 1, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
           NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_VERIFY);
    out = t_run(t);

    u = t_find(&out[0], NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER);
    priv.len = u ? u->v.str.len : 0;
    priv.data = u ? (u_char *) u->v.str.data : NULL;
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && u
          && t_kept_num(&priv, "Cryptographic Algorithm")
             == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_EC,
          "Create Key Pair naming a Template in its Common "
          "Template-Attribute: an EC pair");
    CHECK(u && t_kept_num(&priv, "Cryptographic Usage Mask")
               == NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_SIGN,
          "the private key's own usage mask over the common template's");

    out = t_one(1, 4, NGX_KMIP_OP_DESTROY, uid);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "the EC Template destroyed");
}


static void
t_template_use(void)
{
    ngx_str_t                 *uid, tmpl;
    ngx_kmip_item_t           *o;
    ngx_kmip_object_t         *kept;
    ngx_kmip_response_item_t  *out;

    static const char  *aes[] = { "tmpl-aes", NULL };
    static const char  *both[] = { "tmpl-aes", "tmpl-192", NULL };
    static const char  *unknown[] = { "tmpl-aes", "no-such-template", NULL };

    out = t_register_template(1, "tmpl-aes",
                              NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 128,
                              "Cryptographic Usage Mask",
                              NGX_KMIP_TYPE_INTEGER, 12);
    uid = t_uid_of(&out[0]);

    if (!t_got(uid, "a Template registered")) {
        return;
    }

    tmpl = *uid;

    out = t_register_template(1, "tmpl-aes",
                              NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 256,
                              NULL, 0, 0);
    t_expect(&out[0], NGX_KMIP_REASON_INVALID_FIELD,
             "a second Template of the same Name: Invalid Field");
    kept = ngx_kmip_store_memory_find(t_mem, &tmpl);
    CHECK(kept && kept->object_type == NGX_KMIP_OBJECT_TYPE_TEMPLATE
          && t_kept_num(&tmpl, "State") == -1
          && t_kept_num(&tmpl, "Fresh") == -1
          && ngx_kmip_attrs_find(&kept->attributes, "Digest", 6, -1) == NULL,
          "a Template is kept: no State, Fresh nor Digest");

    out = t_one(1, 4, NGX_KMIP_OP_GET, &tmpl);
    o = t_find(&out[0], NGX_KMIP_TAG_TEMPLATE);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && o
          && o->v.kids.count == 3
          && t_find(&out[0], NGX_KMIP_TAG_OBJECT_TYPE)->v.num
             == NGX_KMIP_OBJECT_TYPE_TEMPLATE,
          "Get of a Template: its Template structure, three Attributes");

    out = t_one(2, 1, NGX_KMIP_OP_GET, &tmpl);
    t_expect(&out[0], NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
             "2.1 Get of a Template: Invalid Object Type, 2.0 has none");

    out = t_create_named(aes, 0);
    uid = t_uid_of(&out[0]);
    CHECK(uid && t_kept_num(uid, "Cryptographic Algorithm")
                 == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES
          && t_kept_num(uid, "Cryptographic Length") == 128
          && t_kept_num(uid, "Cryptographic Usage Mask") == 12,
          "Create naming a Template: its algorithm, length and mask");

    out = t_create_named(aes, 256);
    uid = t_uid_of(&out[0]);
    CHECK(uid && t_kept_num(uid, "Cryptographic Length") == 256
          && t_kept_num(uid, "Cryptographic Usage Mask") == 12,
          "Create naming a Template, a length of its own: the request's");

    out = t_register_template(1, "tmpl-192", -1, 192, NULL, 0, 0);
    CHECK(t_uid_of(&out[0]) != NULL, "a second Template registered");

    out = t_create_named(both, 0);
    uid = t_uid_of(&out[0]);
    CHECK(uid && t_kept_num(uid, "Cryptographic Length") == 192
          && t_kept_num(uid, "Cryptographic Algorithm")
             == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES,
          "Create naming two Templates: the last one's length");

    out = t_create_named(unknown, 0);
    t_expect(&out[0], NGX_KMIP_REASON_ITEM_NOT_FOUND,
             "Create naming an unknown Template: Item Not Found");

    out = t_one(1, 4, NGX_KMIP_OP_ACTIVATE, &tmpl);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "Activate of a Template: refused, it has no State");

    t_template_batch();
    t_template_locate(&tmpl);
    t_template_key_pair();

    out = t_one(1, 4, NGX_KMIP_OP_DESTROY, &tmpl);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "Destroy of a Template");

    out = t_create_named(aes, 0);
    t_expect(&out[0], NGX_KMIP_REASON_ITEM_NOT_FOUND,
             "Create naming a destroyed Template: Item Not Found");
}


/* a Register naming a Template: a Symmetric Key of its usage mask */

static void
t_template_register_named(void)
{
    t_request_t               *t;
    ngx_str_t                 *uid;
    ngx_kmip_item_t           *p, *a;
    ngx_kmip_response_item_t  *out;

    t = t_request(1, 4);
    p = t_template_request(t);
    t_name_attr(t_attrs(p, 1), "tmpl-mask");
    p = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_TEMPLATE);
    t_attr(p, 1, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER, 12);
    out = t_run(t);
    CHECK(t_uid_of(&out[0]) != NULL, "a Template of a usage mask");

    t = t_request(1, 4);
    p = t_item(t, NGX_KMIP_OP_REGISTER);
    (void) t_key_block(p, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                       NGX_KMIP_KEY_FORMAT_TYPE_RAW, 16,
                       NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 128);
    a = ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);

    if (a == NULL) {
        a = t_attrs(p, 1);
    }

    t_name(a, "tmpl-mask");
    out = t_run(t);
    uid = t_uid_of(&out[0]);
    CHECK(uid && t_kept_num(uid, "Cryptographic Usage Mask") == 12,
          "Register naming a Template: its usage mask");
}


void
t_templates(void)
{
    t_template_register();
    t_template_name_inside();
    t_template_use();
    t_template_register_named();
}
