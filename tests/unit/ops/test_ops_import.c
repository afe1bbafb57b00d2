
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Import (2.1 6.1.25): an exported object stored under its Unique
 * Identifier with its attributes as exported (a State, an Initial Date,
 * Fresh False that a Register would not take), what the export lacked
 * as a Register gives it, the Digest the server's own; another server's
 * name that is no UUID replaced by a new one; and the refusals: an object
 * already there (Replace Existing too), an attribute of another object
 * type, no Attributes, a wrapped block to unwrap, KMIP 1.4.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_kmip_test_ops.h"


#define T_SK  NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY

/* 2026-01-01, an Initial Date no Register would give */
#define T_INITIAL  1767225600


typedef struct {
    const char                 *uid;
    int64_t                     replace;    /* -1: none */
    ngx_uint_t                  wrapped;    /* a Key Wrapping Data, and
                                               Key Wrap Type Not Wrapped */
    int64_t                     object_type_attr;   /* -1: none */
    ngx_uint_t                  no_attrs;
} t_import_t;


static ngx_kmip_response_item_t *
t_import(ngx_uint_t major, t_import_t *im)
{
    ngx_str_t         uid, kek = ngx_string("0123456789abcdef");
    t_request_t      *t;
    ngx_kmip_item_t  *p, *ta, *kb;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_IMPORT);

    uid.data = (u_char *) im->uid;
    uid.len = strlen(im->uid);
    t_uid(p, &uid);

    kb = t_key_block(p, T_SK, NGX_KMIP_KEY_FORMAT_TYPE_RAW, 16,
                     NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 128);

    if (im->wrapped) {
        t_wrapping_data(kb, &kek, 0);
        (void) t_value(p, NGX_KMIP_TAG_KEY_WRAP_TYPE,
                       NGX_KMIP_TYPE_ENUMERATION,
                       NGX_KMIP_KEY_WRAP_TYPE_NOT_WRAPPED);
    }

    if (im->replace != -1) {
        (void) t_value(p, NGX_KMIP_TAG_REPLACE_EXISTING,
                       NGX_KMIP_TYPE_BOOLEAN, im->replace);
    }

    if (im->no_attrs) {
        return t_run(t);
    }

    ta = t_attrs(p, major);
    t_attr(ta, major, "Cryptographic Algorithm",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM, NGX_KMIP_TYPE_ENUMERATION,
           NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
    t_attr(ta, major, "Cryptographic Length",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, NGX_KMIP_TYPE_INTEGER, 128);
    t_attr(ta, major, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
           NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT);
    t_attr(ta, major, "State", NGX_KMIP_TAG_STATE,
           NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_STATE_ACTIVE);
    t_attr(ta, major, "Activation Date", NGX_KMIP_TAG_ACTIVATION_DATE,
           NGX_KMIP_TYPE_DATE_TIME, T_INITIAL + 60);
    t_attr(ta, major, "Initial Date", NGX_KMIP_TAG_INITIAL_DATE,
           NGX_KMIP_TYPE_DATE_TIME, T_INITIAL);
    t_attr(ta, major, "Fresh", NGX_KMIP_TAG_FRESH, NGX_KMIP_TYPE_BOOLEAN,
           0);

    if (im->object_type_attr != -1) {
        t_attr(ta, major, "Object Type", NGX_KMIP_TAG_OBJECT_TYPE,
               NGX_KMIP_TYPE_ENUMERATION, im->object_type_attr);
    }

    return t_run(t);
}


static void
t_import_kept(void)
{
    ngx_str_t                  want = ngx_string(
                                   "6e0e3b2c-5d1a-4c8e-9f7a-0b1c2d3e4f50");
    ngx_str_t                 *u;
    ngx_kmip_object_t         *o;
    ngx_kmip_response_item_t  *out;
    t_import_t                 im = { "6e0e3b2c-5d1a-4c8e-9f7a-0b1c2d3e4f50",
                                      -1, 0, -1, 0 };

    out = t_import(2, &im);
    u = t_uid_of(&out[0]);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && u
          && u->len == want.len
          && memcmp(u->data, want.data, want.len) == 0,
          "Import keeps the exported Unique Identifier");

    o = ngx_kmip_store_memory_find(t_mem, &want);
    CHECK(o && o->object_type == T_SK && o->material.len == 16
          && t_kept_num(&want, "State") == NGX_KMIP_STATE_ACTIVE
          && t_kept_num(&want, "Initial Date") == T_INITIAL
          && t_kept_num(&want, "Fresh") == 0
          && t_kept_num(&want, "Cryptographic Length") == 128,
          "with the attributes as exported: State, Initial Date, Fresh");
    CHECK(o && ngx_kmip_attrs_find(&o->attributes, "Digest", 6, -1)
          && t_kept_num(&want, "Lease Time") == 0
          && t_kept_num(&want, "Extractable") == 1,
          "and what the export lacked, as a Register gives it");

    out = t_import(2, &im);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OBJECT_ALREADY_EXISTS,
          "the same Unique Identifier again: Object Already Exists");

    im.replace = 1;
    out = t_import(2, &im);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
          "with Replace Existing: Feature Not Supported");
}


static void
t_import_renamed(void)
{
    ngx_str_t                 *u;
    ngx_kmip_response_item_t  *out;
    t_import_t                 im = { "42", -1, 0, -1, 0 };

    out = t_import(2, &im);
    u = t_uid_of(&out[0]);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && u
          && u->len == 36 && ngx_kmip_store_memory_find(t_mem, u)
          && t_kept_num(u, "Initial Date") == T_INITIAL,
          "another server's \"42\": stored under a UUID of its own");
}


static void
t_import_refusals(void)
{
    ngx_kmip_response_item_t  *out;
    t_import_t                 im = { "0e0e3b2c-5d1a-4c8e-9f7a-0b1c2d3e4f51",
                                      -1, 0, NGX_KMIP_OBJECT_TYPE_SECRET_DATA,
                                      0 };

    out = t_import(2, &im);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_ATTRIBUTE,
          "an Object Type attribute of another type: Invalid Attribute");

    im.object_type_attr = -1;
    im.no_attrs = 1;
    out = t_import(2, &im);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_MISSING_DATA,
          "no Attributes: Missing Data");

    im.no_attrs = 0;
    im.wrapped = 1;
    out = t_import(2, &im);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
          "a wrapped block to unwrap: Feature Not Supported");

    im.wrapped = 0;
    out = t_import(1, &im);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
          "Import does not exist in KMIP 1.4");

    CHECK(ngx_kmip_store_memory_find(t_mem, &(ngx_str_t) ngx_string(
              "0e0e3b2c-5d1a-4c8e-9f7a-0b1c2d3e4f51")) == NULL,
          "nothing stored by the refusals");
}


void
t_import_ops(void)
{
    t_import_kept();
    t_import_renamed();
    t_import_refusals();
}
