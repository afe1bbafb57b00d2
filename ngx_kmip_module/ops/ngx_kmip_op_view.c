
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"


/*
 * An object's attributes as clients see them (see ngx_kmip_op_view.h):
 * the stored ones, those every object keeps, and those that follow from
 * the object itself.
 */


static ngx_int_t ngx_kmip_op_derived(ngx_kmip_req_t *r,
    ngx_kmip_object_t *obj, ngx_kmip_attrs_t *l);


int64_t
ngx_kmip_op_attr_num(ngx_kmip_attrs_t *l, const char *name, int64_t dflt)
{
    ngx_kmip_attr_t  *at;

    at = ngx_kmip_attrs_find(l, name, ngx_strlen(name), -1);

    if (at == NULL || at->value == NULL
        || at->value->type == NGX_KMIP_TYPE_STRUCTURE
        || at->value->type == NGX_KMIP_TYPE_TEXT_STRING
        || at->value->type == NGX_KMIP_TYPE_BYTE_STRING)
    {
        return dflt;
    }

    return at->value->v.num;
}


ngx_int_t
ngx_kmip_op_set_num(ngx_kmip_req_t *r, ngx_kmip_attrs_t *l, const char *name,
    uint8_t type, int64_t v)
{
    ngx_kmip_item_t  *value;

    value = ngx_kmip_attr_value(&r->alloc, type, v);
    if (value == NULL) {
        return NGX_ERROR;
    }

    return ngx_kmip_attrs_set(&r->alloc, l, name, value) ? NGX_OK : NGX_ERROR;
}


const char *
ngx_kmip_state_name(int64_t state)
{
    static const char  *names[] = {
        "unknown", "Pre-Active", "Active", "Deactivated", "Compromised",
        "Destroyed", "Destroyed Compromised"
    };

    return (state >= 1 && state <= 6) ? names[state] : names[0];
}


/* ------------------------------------ attributes kept for every object */

/*
 * Sensitive and Extractable always have a value (KMIP 1.4 3.48 to 3.51).
 * An object stored before the server kept them was served in the clear:
 * the defaults are what it was.
 */

ngx_int_t
ngx_kmip_op_protection_defaults(ngx_kmip_req_t *r, ngx_kmip_attrs_t *l)
{
    ngx_uint_t  i;

    static const struct {
        const char  *name;
        int64_t      value;
    } defaults[] = {
        { "Sensitive", 0 },
        { "Always Sensitive", 0 },
        { "Extractable", 1 },
        { "Never Extractable", 0 },
    };

    for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (ngx_kmip_attrs_find(l, defaults[i].name,
                                ngx_strlen(defaults[i].name), -1)
            == NULL
            && ngx_kmip_op_set_num(r, l, defaults[i].name,
                                   NGX_KMIP_TYPE_BOOLEAN, defaults[i].value)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * Always Sensitive stays True only while Sensitive has always been True,
 * Never Extractable only while Extractable has always been False
 */

ngx_int_t
ngx_kmip_op_protection_track(ngx_kmip_req_t *r, ngx_kmip_attrs_t *l)
{
    if (ngx_kmip_op_attr_num(l, "Always Sensitive", 0)
        && !ngx_kmip_op_attr_num(l, "Sensitive", 0)
        && ngx_kmip_op_set_num(r, l, "Always Sensitive",
                               NGX_KMIP_TYPE_BOOLEAN, 0) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_kmip_op_attr_num(l, "Never Extractable", 0)
        && ngx_kmip_op_attr_num(l, "Extractable", 1)
        && ngx_kmip_op_set_num(r, l, "Never Extractable",
                               NGX_KMIP_TYPE_BOOLEAN, 0) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the format the object's material is kept and served in by default */

uint32_t
ngx_kmip_op_key_format(ngx_kmip_object_t *obj)
{
    switch (obj->object_type) {

    case NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY:
    case NGX_KMIP_OBJECT_TYPE_SPLIT_KEY:
        return NGX_KMIP_KEY_FORMAT_TYPE_RAW;

    case NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY:
        return NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8;

    case NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY:
        return NGX_KMIP_KEY_FORMAT_TYPE_X_509;

    default:
        return NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE;
    }
}


/*
 * The KMIP 2.x attributes every object has that follow from the object
 * itself, so are never stored: the Short Unique Identifier (2.1 4.56:
 * SHA-256 of the Unique Identifier), the Key Format Type (4.26) and the
 * Protection Storage Mask (4.44: the material is kept by software, a
 * wrapped record in Key Protect and the worker's memory while in use).
 */

static ngx_int_t
ngx_kmip_op_derived(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_kmip_attrs_t *l)
{
    u_char           *md;
    unsigned int      n;
    ngx_kmip_item_t  *v;

    if (ngx_kmip_attrs_find(l, "Short Unique Identifier", 23, -1) == NULL) {
        md = ngx_pnalloc(r->pool, EVP_MAX_MD_SIZE);
        if (md == NULL
            || EVP_Digest(obj->uid.data, obj->uid.len, md, &n, EVP_sha256(),
                          NULL)
               != 1)
        {
            return NGX_ERROR;
        }

        v = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                                   NGX_KMIP_TYPE_BYTE_STRING);
        if (v == NULL) {
            return NGX_ERROR;
        }

        v->v.str.data = md;
        v->v.str.len = n;

        if (ngx_kmip_attrs_set(&r->alloc, l, "Short Unique Identifier", v)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_kmip_attrs_find(l, "Key Format Type", 15, -1) == NULL
        && ngx_kmip_op_set_num(r, l, "Key Format Type",
                               NGX_KMIP_TYPE_ENUMERATION,
                               ngx_kmip_op_key_format(obj)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_kmip_attrs_find(l, "Protection Storage Mask", 23, -1) == NULL
        && ngx_kmip_op_set_num(r, l, "Protection Storage Mask",
                               NGX_KMIP_TYPE_INTEGER,
                               NGX_KMIP_PROTECTION_STORAGE_MASK_SOFTWARE)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_view(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_kmip_attrs_t *view)
{
    int64_t           state;
    ngx_kmip_item_t  *v;

    if (ngx_kmip_attrs_copy(&r->alloc, view, &obj->attributes) != 0) {
        return NGX_ERROR;
    }

    if (ngx_kmip_attrs_find(view, "Unique Identifier", 17, -1) == NULL) {
        v = ngx_kmip_attr_value_text(&r->alloc, obj->uid.data, obj->uid.len);
        if (v == NULL
            || ngx_kmip_attrs_set(&r->alloc, view, "Unique Identifier", v)
               == NULL)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_kmip_op_protection_defaults(r, view) != NGX_OK
        || ngx_kmip_op_derived(r, obj, view) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the State the dates have moved it to (1.4 3.22, 2.1 4.57) */

    state = ngx_kmip_attrs_state(view, ngx_time());

    if (state != ngx_kmip_op_attr_num(view, "State", 0)
        && ngx_kmip_op_set_num(r, view, "State", NGX_KMIP_TYPE_ENUMERATION,
                               state)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!obj->destroyed) {
        return NGX_OK;
    }

    if (ngx_kmip_op_set_num(r, view, "State", NGX_KMIP_TYPE_ENUMERATION,
                            state == NGX_KMIP_STATE_COMPROMISED
                            ? NGX_KMIP_STATE_DESTROYED_COMPROMISED
                            : NGX_KMIP_STATE_DESTROYED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (obj->deletion_date
        && ngx_kmip_op_set_num(r, view, "Destroy Date",
                               NGX_KMIP_TYPE_DATE_TIME, obj->deletion_date)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
