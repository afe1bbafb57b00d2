
/*
 * Copyright (C) ngx_kmip authors
 */


#include "ngx_kmip_record.h"
#include "ngx_kmip_tags.h"


const char  ngx_kmip_record_too_large[] =
    "the object's attributes exceed the size of a Key Protect payload";


static int ngx_kmip_record_decode_version(ngx_kmip_item_t *root,
    ngx_kmip_record_t *rec, const char **err);
static int ngx_kmip_record_decode_object(ngx_kmip_item_t *root,
    ngx_kmip_record_t *rec, const char **err);
static int ngx_kmip_record_decode_attrs(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *root, ngx_kmip_record_t *rec, const char **err);
static ngx_kmip_item_t *ngx_kmip_record_field(ngx_kmip_item_t *root,
    uint32_t tag, uint8_t type, int64_t min, const char *what,
    const char **err);

static uint32_t
ngx_kmip_record_version(const ngx_kmip_record_t *rec)
{
    if (rec->chunks) {
        return NGX_KMIP_RECORD_VERSION_CHUNKS;
    }

    if (rec->scope_len || rec->fields) {
        return NGX_KMIP_RECORD_VERSION_SCOPE;
    }

    return NGX_KMIP_RECORD_VERSION;
}


int
ngx_kmip_record_encode(ngx_kmip_allocator_t *a, const ngx_kmip_record_t *rec,
    uint8_t **out, size_t *len, const char **err)
{
    size_t            size;
    uint8_t          *buf;
    ngx_kmip_item_t  *root, *st, *val;
    ngx_kmip_attr_t  *at;

    root = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_RECORD,
                                  NGX_KMIP_TYPE_STRUCTURE);

    /*
     * an object of the default scope and no object fields is written as
     * before these existed, so that every node reads it; another in
     * version 2, which a node that knows neither refuses rather than
     * serve it to other clients, or serve a wrapped key as plain; one in
     * chunks in version 3, which a node that does not know chunks refuses
     * rather than unwrap a data key as if it were the material
     */

    if (ngx_kmip_ttlv_add_integer(a, root, NGX_KMIP_TAG_RECORD_VERSION,
                                  ngx_kmip_record_version(rec))
           == NULL
        || ngx_kmip_ttlv_add_text(a, root, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                  rec->uid, rec->uid_len) == NULL
        || ngx_kmip_ttlv_add_long(a, root, NGX_KMIP_TAG_RECORD_GENERATION,
                                  rec->generation) == NULL
        || ngx_kmip_ttlv_add_enum(a, root, NGX_KMIP_TAG_OBJECT_TYPE,
                                  rec->object_type) == NULL)
    {
        goto nomem;
    }

    if (rec->scope_len
        && ngx_kmip_ttlv_add_text(a, root, NGX_KMIP_TAG_RECORD_SCOPE,
                                  rec->scope, rec->scope_len) == NULL)
    {
        goto nomem;
    }

    if (rec->fields) {
        st = ngx_kmip_item_retag(a, rec->fields,
                                 NGX_KMIP_TAG_RECORD_OBJECT_FIELDS);
        if (st == NULL) {
            goto nomem;
        }

        ngx_kmip_ttlv_item_append(root, st);
    }

    if (rec->chunks) {
        st = ngx_kmip_item_retag(a, rec->chunks, NGX_KMIP_TAG_RECORD_CHUNKS);
        if (st == NULL) {
            goto nomem;
        }

        ngx_kmip_ttlv_item_append(root, st);
    }

    if (rec->subtype
        && ngx_kmip_ttlv_add_enum(a, root, NGX_KMIP_TAG_RECORD_OBJECT_SUBTYPE,
                                  rec->subtype) == NULL)
    {
        goto nomem;
    }

    if (rec->wrapped
        && (ngx_kmip_ttlv_add_bytes(a, root,
                                    NGX_KMIP_TAG_RECORD_WRAPPED_MATERIAL,
                                    rec->wrapped, rec->wrapped_len) == NULL
            || ngx_kmip_ttlv_add_integer(a, root,
                                         NGX_KMIP_TAG_RECORD_MATERIAL_LENGTH,
                                         (int32_t) rec->material_len) == NULL))
    {
        goto nomem;
    }

    for (at = rec->attrs.first; at; at = at->next) {
        if (at->value == NULL) {
            continue;
        }

        st = ngx_kmip_ttlv_add_struct(a, root, NGX_KMIP_TAG_ATTRIBUTE);

        if (ngx_kmip_ttlv_add_text(a, st, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                                   at->name, at->name_len) == NULL
            || ngx_kmip_ttlv_add_integer(a, st, NGX_KMIP_TAG_ATTRIBUTE_INDEX,
                                         (int32_t) at->index) == NULL)
        {
            goto nomem;
        }

        val = ngx_kmip_item_retag(a, at->value, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
        if (val == NULL) {
            goto nomem;
        }

        ngx_kmip_ttlv_item_append(st, val);
    }

    size = ngx_kmip_ttlv_size(root);

    if (size > NGX_KMIP_RECORD_MAX_SIZE) {
        *err = ngx_kmip_record_too_large;
        return -1;
    }

    buf = a->alloc(a->data, size);
    if (buf == NULL) {
        goto nomem;
    }

    ngx_kmip_ttlv_encode(root, buf);

    *out = buf;
    *len = size;

    return 0;

nomem:

    *err = "no memory";
    return -1;
}


int
ngx_kmip_record_decode(ngx_kmip_allocator_t *a, const uint8_t *buf,
    size_t len, ngx_kmip_record_t *rec, const char **err)
{
    ngx_kmip_item_t    *root;
    ngx_kmip_error_t    e;
    ngx_kmip_limits_t   limits;

    memset(rec, 0, sizeof(ngx_kmip_record_t));

    limits.max_depth = 8;
    limits.max_items = 2000;

    if (len > NGX_KMIP_RECORD_MAX_SIZE * 2
        || ngx_kmip_ttlv_decode(buf, len, &limits, a, &root, &e)
           != NGX_KMIP_OK
        || root->tag != NGX_KMIP_TAG_RECORD
        || root->type != NGX_KMIP_TYPE_STRUCTURE)
    {
        *err = "the Key Protect payload is not a KMIP record";
        return -1;
    }

    if (ngx_kmip_record_decode_version(root, rec, err) != 0
        || ngx_kmip_record_decode_object(root, rec, err) != 0)
    {
        return -1;
    }

    return ngx_kmip_record_decode_attrs(a, root, rec, err);
}


/* the Record Version, and the items it implies: Scope, Object Fields,
   Chunks */

static int
ngx_kmip_record_decode_version(ngx_kmip_item_t *root, ngx_kmip_record_t *rec,
    const char **err)
{
    ngx_kmip_item_t  *item, *fields, *chunks;

    item = ngx_kmip_record_field(root, NGX_KMIP_TAG_RECORD_VERSION,
                                 NGX_KMIP_TYPE_INTEGER, INT64_MIN,
                                 "the record has no Record Version", err);
    if (item == NULL) {
        return -1;
    }

    if (item->v.num != NGX_KMIP_RECORD_VERSION
        && item->v.num != NGX_KMIP_RECORD_VERSION_SCOPE
        && item->v.num != NGX_KMIP_RECORD_VERSION_CHUNKS)
    {
        *err = "the record's version is not one this server reads";
        return -1;
    }

    rec->version = (uint32_t) item->v.num;

    item = ngx_kmip_ttlv_find(root, NGX_KMIP_TAG_RECORD_SCOPE);
    fields = ngx_kmip_ttlv_find(root, NGX_KMIP_TAG_RECORD_OBJECT_FIELDS);
    chunks = ngx_kmip_ttlv_find(root, NGX_KMIP_TAG_RECORD_CHUNKS);

    /* the version is the one the encoder would have chosen, no other */

    if ((chunks != NULL) != (rec->version == NGX_KMIP_RECORD_VERSION_CHUNKS)
        || (chunks && chunks->type != NGX_KMIP_TYPE_STRUCTURE)
        || (chunks == NULL
            && (item != NULL || fields != NULL)
               != (rec->version == NGX_KMIP_RECORD_VERSION_SCOPE))
        || (item && (item->type != NGX_KMIP_TYPE_TEXT_STRING
                     || item->v.str.len == 0))
        || (fields && fields->type != NGX_KMIP_TYPE_STRUCTURE))
    {
        *err = "the record's scope or object fields do not match its "
               "version";
        return -1;
    }

    if (item) {
        rec->scope = item->v.str.data;
        rec->scope_len = item->v.str.len;
    }

    rec->fields = fields;
    rec->chunks = chunks;

    return 0;
}


/* the object: identifier, generation, type, subtype, wrapped material */

static int
ngx_kmip_record_decode_object(ngx_kmip_item_t *root, ngx_kmip_record_t *rec,
    const char **err)
{
    ngx_kmip_item_t  *item;

    item = ngx_kmip_record_field(root, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                 NGX_KMIP_TYPE_TEXT_STRING, 1,
                                 "the record has no Unique Identifier", err);
    if (item == NULL) {
        return -1;
    }

    rec->uid = item->v.str.data;
    rec->uid_len = item->v.str.len;

    item = ngx_kmip_record_field(root, NGX_KMIP_TAG_RECORD_GENERATION,
                                 NGX_KMIP_TYPE_LONG_INTEGER, 1,
                                 "the record has no valid generation", err);
    if (item == NULL) {
        return -1;
    }

    rec->generation = item->v.num;

    item = ngx_kmip_record_field(root, NGX_KMIP_TAG_OBJECT_TYPE,
                                 NGX_KMIP_TYPE_ENUMERATION, INT64_MIN,
                                 "the record has no Object Type", err);
    if (item == NULL) {
        return -1;
    }

    rec->object_type = (uint32_t) item->v.num;

    item = ngx_kmip_ttlv_find(root, NGX_KMIP_TAG_RECORD_OBJECT_SUBTYPE);
    if (item) {
        if (item->type != NGX_KMIP_TYPE_ENUMERATION) {
            *err = "the record's object subtype is not an enumeration";
            return -1;
        }

        rec->subtype = (uint32_t) item->v.num;
    }

    item = ngx_kmip_ttlv_find(root, NGX_KMIP_TAG_RECORD_WRAPPED_MATERIAL);
    if (item == NULL) {
        return 0;
    }

    if (item->type != NGX_KMIP_TYPE_BYTE_STRING) {
        *err = "the record's wrapped material is not a byte string";
        return -1;
    }

    rec->wrapped = item->v.str.data;
    rec->wrapped_len = item->v.str.len;

    item = ngx_kmip_record_field(root, NGX_KMIP_TAG_RECORD_MATERIAL_LENGTH,
                                 NGX_KMIP_TYPE_INTEGER, 0,
                                 "the record has no material length", err);
    if (item == NULL) {
        return -1;
    }

    rec->material_len = (uint32_t) item->v.num;

    return 0;
}


/*
 * The root's field of the tag, of the type, whose value (a number, or a
 * Text String's length) is min or more; else NULL, and what is the error
 */

static ngx_kmip_item_t *
ngx_kmip_record_field(ngx_kmip_item_t *root, uint32_t tag, uint8_t type,
    int64_t min, const char *what, const char **err)
{
    int64_t           v;
    ngx_kmip_item_t  *item;

    item = ngx_kmip_ttlv_find(root, tag);

    if (item && item->type == type) {
        v = (type == NGX_KMIP_TYPE_TEXT_STRING) ? (int64_t) item->v.str.len
                                                : item->v.num;
        if (v >= min) {
            return item;
        }
    }

    *err = what;

    return NULL;
}


static int
ngx_kmip_record_decode_attrs(ngx_kmip_allocator_t *a, ngx_kmip_item_t *root,
    ngx_kmip_record_t *rec, const char **err)
{
    ngx_kmip_attr_t   at, *added;
    ngx_kmip_item_t  *item;

    for (item = ngx_kmip_ttlv_find(root, NGX_KMIP_TAG_ATTRIBUTE);
         item;
         item = ngx_kmip_ttlv_find_next(item, NGX_KMIP_TAG_ATTRIBUTE))
    {
        if (ngx_kmip_attr_parse_v1(a, item, 0, &at, err) != 0) {
            return -1;
        }

        added = ngx_kmip_attrs_add(a, &rec->attrs, at.name, at.name_len,
                                   at.value);
        if (added == NULL) {
            *err = "no memory";
            return -1;
        }

        if (at.index >= 0) {
            added->index = at.index;
        }
    }

    return 0;
}
