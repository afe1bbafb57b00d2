
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_create.h"


/*
 * Import (2.1 6.1.25): an object another server exported, with its
 * Unique Identifier and its attributes as they were. The object is read
 * as Register reads one (ngx_kmip_op_register_object()); its attributes
 * are the client's, all of them, the server's own rules for who sets an
 * attribute not enforced (6.1.25): a State, dates, Fresh as exported.
 * Each must still be an attribute of the version and of the object type,
 * of its type, single where single; only what the server derives from the
 * object (the Short Unique Identifier, the Protection Storage Mask) or
 * computes from its material (the Digest) is its own, and an attribute
 * the export lacked gets the value a Register would have given it.
 *
 * The Unique Identifier is the client's when it is one the store keeps
 * objects under (a UUID, as ngx_kmip and most servers make them); another
 * server's other names (PyKMIP numbers its objects) get a new one, which
 * the specification allows ("or assigned by the server") and the answer
 * says. An object that exists under it, destroyed or not, is not replaced:
 * Object Already Exists, or with Replace Existing, Feature Not Supported
 * (Destroy it, then Import). A Key Wrap Type of Not Wrapped asks the server
 * to unwrap a wrapped Key Block before storing it, which it does not do:
 * such a block is refused as not supported; any other is stored as given.
 */


/* what the server derives or computes: never taken from an Import */
static const char  *ngx_kmip_import_own[] = {
    "Unique Identifier",
    "Short Unique Identifier",
    "Protection Storage Mask",
    "Digest",
    NULL
};


static ngx_int_t ngx_kmip_op_import_object(ngx_kmip_op_ctx_t *ctx,
    uint32_t object_type, ngx_kmip_object_t **objp);
static ngx_int_t ngx_kmip_op_import_attrs(ngx_kmip_op_ctx_t *ctx,
    uint32_t object_type, ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_import_defaults(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_import_probed(ngx_kmip_op_ctx_t *ctx);
static ngx_uint_t ngx_kmip_op_import_unwrap(ngx_kmip_op_ctx_t *ctx);


ngx_int_t
ngx_kmip_op_import(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_int_t           rc;
    ngx_str_t           was;
    ngx_kmip_item_t    *uid, *ot, *replace;
    ngx_kmip_op_ctx_t  *ctx;
    ngx_kmip_object_t  *obj;

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    uid = ngx_kmip_op_need(r, out, in->payload,
                           NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                           NGX_KMIP_TYPE_TEXT_STRING,
                           "Import needs the object's Unique Identifier");
    if (uid == NULL) {
        return NGX_OK;
    }

    ot = ngx_kmip_op_need(r, out, in->payload, NGX_KMIP_TAG_OBJECT_TYPE,
                          NGX_KMIP_TYPE_ENUMERATION,
                          "Import needs an Object Type");
    if (ot == NULL) {
        return NGX_OK;
    }

    replace = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_REPLACE_EXISTING);

    if (replace && replace->type != NGX_KMIP_TYPE_BOOLEAN) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Replace Existing is not a Boolean");
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ngx_kmip_op_import_unwrap(ctx)) {
        return NGX_OK;
    }

    ctx->uid.data = (u_char *) uid->v.str.data;
    ctx->uid.len = uid->v.str.len;

    rc = ngx_kmip_op_register_object(ctx, (uint32_t) ot->v.num,
                                     ngx_kmip_op_import_object, &obj);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    ctx->data = obj;

    if (obj->uid.len != ctx->uid.len
        || ngx_strncmp(obj->uid.data, ctx->uid.data, ctx->uid.len) != 0)
    {
        /*
         * a name the store cannot keep: the object's own, new. The old
         * name is the client's text: escaped, so a log line stays one
         */

        if (ngx_kmip_log_text(r->pool, ctx->uid.data, ctx->uid.len, 128,
                              &was)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, r->log, 0,
                      "kmip: object imported as \"%V\" was \"%V\"",
                      &obj->uid, &was);

        return ngx_kmip_op_store_new(ctx, obj);
    }

    /* the create is the final check; the read names what is there */

    return ngx_kmip_op_store_fetch(ctx, &ctx->uid, 0,
                                   ngx_kmip_op_import_probed);
}


/* a Key Block to unwrap before storing: refused, the item failed */

static ngx_uint_t
ngx_kmip_op_import_unwrap(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_item_t  *kwt, *o;

    kwt = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_KEY_WRAP_TYPE);

    if (kwt == NULL || kwt->type != NGX_KMIP_TYPE_ENUMERATION
        || kwt->v.num != NGX_KMIP_KEY_WRAP_TYPE_NOT_WRAPPED)
    {
        return 0;
    }

    /* the object: the payload's structure that holds a Key Block */

    for (o = ctx->in->payload->v.kids.first; o; o = o->next) {
        if (o->type == NGX_KMIP_TYPE_STRUCTURE
            && ngx_kmip_ttlv_find(ngx_kmip_ttlv_find(o,
                                                     NGX_KMIP_TAG_KEY_BLOCK),
                                  NGX_KMIP_TAG_KEY_WRAPPING_DATA))
        {
            break;
        }
    }

    if (o == NULL) {
        return 0;
    }

    (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                "Import does not unwrap: import the object "
                                "as wrapped, then Get it with Key Wrap Type "
                                "Not Wrapped");
    return 1;
}


/* the object's attributes and identity, for ngx_kmip_op_register_object() */

static ngx_int_t
ngx_kmip_op_import_object(ngx_kmip_op_ctx_t *ctx, uint32_t object_type,
    ngx_kmip_object_t **objp)
{
    ngx_int_t           rc;
    ngx_kmip_object_t  *obj;

    obj = ngx_pcalloc(ctx->r->pool, sizeof(ngx_kmip_object_t));
    if (obj == NULL) {
        return NGX_ERROR;
    }

    obj->object_type = object_type;

    rc = ngx_kmip_op_import_attrs(ctx, object_type, obj);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_kmip_op_import_defaults(ctx, obj);
    if (rc != NGX_OK) {
        return rc;
    }

    *objp = obj;

    return NGX_OK;
}


/* the request's Attributes, each checked for the version and the type */

static ngx_int_t
ngx_kmip_op_import_attrs(ngx_kmip_op_ctx_t *ctx, uint32_t object_type,
    ngx_kmip_object_t *obj)
{
    const char                 **own, *err;
    ngx_kmip_req_t              *r = ctx->r;
    ngx_kmip_attr_t             *at;
    ngx_kmip_item_t             *attrs;
    const ngx_kmip_attr_spec_t  *s;

    attrs = ngx_kmip_op_need(r, ctx->out, ctx->in->payload,
                             NGX_KMIP_TAG_ATTRIBUTES,
                             NGX_KMIP_TYPE_STRUCTURE,
                             "Import needs the object's Attributes");
    if (attrs == NULL) {
        return NGX_DECLINED;
    }

    err = NULL;

    if (ngx_kmip_attrs_parse(&r->alloc, attrs, (unsigned) r->version,
                             &obj->attributes, &err)
        != 0)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD, "%s", err);
        return NGX_DECLINED;
    }

    for (own = ngx_kmip_import_own; *own; own++) {
        (void) ngx_kmip_attrs_remove(&obj->attributes, (u_char *) *own,
                                     ngx_strlen(*own), -1);
    }

    for (at = obj->attributes.first; at; at = at->next) {
        s = ngx_kmip_attr_spec(at->name, at->name_len);

        if (s == NULL || !ngx_kmip_attr_in_version(at, (unsigned) r->version))
        {
            err = "is not an attribute of this version";
            goto invalid;
        }

        if (!(s->flags & NGX_KMIP_ATTR_MULTI) && at->index > 0) {
            err = "takes a single instance";
            goto invalid;
        }

        if (ngx_kmip_attr_name_is(at, "Object Type")
            && at->value->v.num != object_type)
        {
            err = "is not the object's";
            goto invalid;
        }

        if (ngx_kmip_attr_check_object(&obj->attributes, NULL, at,
                                       object_type, (unsigned) r->version,
                                       &err)
            != 0)
        {
            goto invalid;
        }
    }

    return NGX_OK;

invalid:

    (void) ngx_kmip_result_fail(r, ctx->out, NGX_KMIP_REASON_INVALID_ATTRIBUTE,
                                "attribute \"%*s\" %s", at->name_len,
                                at->name, err);
    return NGX_DECLINED;
}


/*
 * The identity, and what the export lacked: a Register's values for the
 * attributes absent, the imported ones as they are
 */

static ngx_int_t
ngx_kmip_op_import_defaults(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_attr_t    *at;
    ngx_kmip_item_t    *v;
    ngx_kmip_object_t   made;

    ngx_memzero(&made, sizeof(ngx_kmip_object_t));
    made.object_type = obj->object_type;

    if (ngx_kmip_attrs_copy(&r->alloc, &made.attributes, &obj->attributes)
        != 0
        || ngx_kmip_op_new_identity(ctx, &made) != NGX_OK)
    {
        return NGX_ERROR;
    }

    obj->uid = ngx_kmip_store_valid_uid(&ctx->uid) ? ctx->uid : made.uid;

    for (at = made.attributes.first; at; at = at->next) {
        if (ngx_kmip_attrs_find(&obj->attributes, (char *) at->name,
                                at->name_len, -1)
            == NULL
            && !ngx_kmip_attr_name_is(at, "Unique Identifier")
            && ngx_kmip_attrs_add(&r->alloc, &obj->attributes, at->name,
                                  at->name_len, at->value)
               == NULL)
        {
            return NGX_ERROR;
        }
    }

    v = ngx_kmip_attr_value_text(&r->alloc, obj->uid.data, obj->uid.len);

    if (v == NULL
        || ngx_kmip_attrs_set(&r->alloc, &obj->attributes,
                              "Unique Identifier", v) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* nothing under the Unique Identifier: the object is stored */

static ngx_int_t
ngx_kmip_op_import_probed(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_item_t      *replace;
    ngx_kmip_object_t    *obj = ctx->data;
    ngx_kmip_store_op_t  *sop = ctx->sop;

    if (sop->result == NGX_KMIP_STORE_NOT_FOUND) {
        return ngx_kmip_op_store_new(ctx, obj);
    }

    if (ngx_kmip_op_store_lost(ctx, "read")) {
        return NGX_OK;
    }

    replace = ngx_kmip_ttlv_find(ctx->in->payload,
                                 NGX_KMIP_TAG_REPLACE_EXISTING);

    if (replace && replace->v.num) {
        return ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "Import replaces no object: Destroy "
                                    "\"%V\", then Import", &ctx->uid);
    }

    return ngx_kmip_result_fail(ctx->r, ctx->out,
                                NGX_KMIP_REASON_OBJECT_ALREADY_EXISTS,
                                "object \"%V\" exists%s", &ctx->uid,
                                (sop->object && sop->object->destroyed)
                                ? ", destroyed" : "");
}
