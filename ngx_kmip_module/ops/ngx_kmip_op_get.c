
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_get.h"
#include "ngx_kmip_op_pkey.h"
#include "ngx_kmip_op_wrap.h"
#include "ngx_kmip_op_template.h"


/*
 * Get, and the start Export shares with it: the object read with its
 * material, the answer built (wrapped when asked), and the object marked
 * served (Fresh False) before the answer goes out.
 */


#define NGX_KMIP_KFT_NOT_SUPPORTED                                            \
    NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED


static ngx_int_t ngx_kmip_op_get_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_uint_t ngx_kmip_op_get_not_wrapped(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_get_registered_wrapped(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *block);
static ngx_int_t ngx_kmip_op_get_allowed(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_wrap_t *w);
static int64_t ngx_kmip_op_get_format(ngx_kmip_op_ctx_t *ctx, int64_t kft,
    int64_t dflt, int64_t other, const char *what);
static ngx_kmip_item_t *ngx_kmip_op_get_key_value(ngx_kmip_req_t *r,
    ngx_kmip_item_t *o, int64_t kft, ngx_kmip_item_t **blockp);
static ngx_int_t ngx_kmip_op_get_split_key(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *payload, int64_t kft, ngx_kmip_item_t **blockp);
static ngx_int_t ngx_kmip_op_get_key_block(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *o, int64_t kft, ngx_kmip_item_t **blockp);
static ngx_int_t ngx_kmip_op_get_symmetric_key(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *payload, int64_t kft, ngx_kmip_item_t **blockp);
static ngx_int_t ngx_kmip_op_get_secret_data(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *payload, int64_t kft, ngx_kmip_item_t **blockp);
static ngx_int_t ngx_kmip_op_get_pgp_key(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *payload, int64_t kft, ngx_kmip_item_t **blockp);
static ngx_int_t ngx_kmip_op_get_blob_block(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *o, int64_t kft, ngx_kmip_item_t **blockp,
    const char *formats);
static ngx_int_t ngx_kmip_op_get_typed_bytes(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *payload, uint32_t tag, uint32_t type_tag,
    uint32_t value_tag);
static ngx_int_t ngx_kmip_op_fresh_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_fresh_respond(ngx_kmip_op_ctx_t *ctx);


ngx_int_t
ngx_kmip_op_get(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    return ngx_kmip_op_serve(r, in, out, ngx_kmip_op_get_loaded);
}


ngx_int_t
ngx_kmip_op_serve(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_op_next_pt loaded)
{
    ngx_int_t           rc;
    ngx_kmip_op_ctx_t  *ctx;

    ctx = ngx_kmip_op_begin(r, in, out, &rc);
    if (ctx == NULL) {
        return rc;
    }

    rc = ngx_kmip_op_wrap_request(ctx);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    return ngx_kmip_op_load(ctx, 1, loaded);
}


static ngx_int_t
ngx_kmip_op_get_loaded(ngx_kmip_op_ctx_t *ctx)
{
    return ngx_kmip_op_get_material(ctx, ngx_kmip_op_get_served);
}


ngx_int_t
ngx_kmip_op_get_material(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_next_pt next)
{
    int64_t             kft;
    ngx_int_t           rc;
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_wrap_t    *w = ctx->data;
    ngx_kmip_item_t    *payload, *block, *want;
    ngx_kmip_object_t  *obj = ctx->obj;

    rc = ngx_kmip_op_get_allowed(ctx, w);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    want = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_KEY_FORMAT_TYPE);
    kft = (want && want->type == NGX_KMIP_TYPE_ENUMERATION) ? want->v.num : 0;

    payload = ngx_kmip_payload_new(r);

    if (ngx_kmip_ttlv_add_enum(&r->alloc, payload, NGX_KMIP_TAG_OBJECT_TYPE,
                               obj->object_type) == NULL
        || ngx_kmip_ttlv_add_text(&r->alloc, payload,
                                  NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                  obj->uid.data, obj->uid.len) == NULL)
    {
        return NGX_ERROR;
    }

    block = NULL;

    switch (obj->object_type) {

    case NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY:
        rc = ngx_kmip_op_get_symmetric_key(ctx, payload, kft, &block);
        break;

    case NGX_KMIP_OBJECT_TYPE_SECRET_DATA:
        rc = ngx_kmip_op_get_secret_data(ctx, payload, kft, &block);
        break;

    case NGX_KMIP_OBJECT_TYPE_SPLIT_KEY:
        rc = ngx_kmip_op_get_split_key(ctx, payload, kft, &block);
        break;

    case NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT:
        rc = ngx_kmip_op_get_typed_bytes(ctx, payload,
                                         NGX_KMIP_TAG_OPAQUE_OBJECT,
                                         NGX_KMIP_TAG_OPAQUE_DATA_TYPE,
                                         NGX_KMIP_TAG_OPAQUE_DATA_VALUE);
        break;

    case NGX_KMIP_OBJECT_TYPE_PGP_KEY:
        rc = ngx_kmip_op_get_pgp_key(ctx, payload, kft, &block);
        break;

    case NGX_KMIP_OBJECT_TYPE_TEMPLATE:
        if (r->version >= NGX_KMIP_VERSION(2, 0)) {
            /* 2.0 has no such object type to answer with */
            return ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                        "object \"%V\" is a Template, a "
                                        "KMIP 1.x object", &ctx->uid);
        }

        rc = ngx_kmip_op_template_get(ctx, payload);
        break;

    case NGX_KMIP_OBJECT_TYPE_CERTIFICATE_REQUEST:
        rc = ngx_kmip_op_get_typed_bytes(ctx, payload,
                                     NGX_KMIP_TAG_CERTIFICATE_REQUEST,
                                     NGX_KMIP_TAG_CERTIFICATE_REQUEST_TYPE,
                                     NGX_KMIP_TAG_CERTIFICATE_REQUEST_VALUE);
        break;

    case NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY:
    case NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY:
    case NGX_KMIP_OBJECT_TYPE_CERTIFICATE:
        rc = ngx_kmip_op_pkey_get(ctx, payload, kft, &block);
        break;

    default:
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "object \"%V\" has an unknown type",
                                    &ctx->uid);
    }

    if (rc == NGX_OK && block && ngx_kmip_op_wrapping_data(obj)) {
        if (ngx_kmip_op_get_not_wrapped(ctx)) {
            return ngx_kmip_op_unwrap_block(ctx,
                                            ngx_kmip_op_wrapping_data(obj),
                                            payload, block, next);
        }

        rc = ngx_kmip_op_get_registered_wrapped(ctx, block);
    }

    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    if (w) {
        return ngx_kmip_op_wrap_block(ctx, w, payload, block, next);
    }

    ctx->out->payload = payload;

    return next(ctx);
}


/* the request asks for the Key Value unwrapped (Key Wrap Type, 1.4 4.11) */

static ngx_uint_t
ngx_kmip_op_get_not_wrapped(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_item_t  *kwt;

    kwt = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_KEY_WRAP_TYPE);

    return kwt && kwt->type == NGX_KMIP_TYPE_ENUMERATION
           && kwt->v.num == NGX_KMIP_KEY_WRAP_TYPE_NOT_WRAPPED;
}


/*
 * A key its client registered wrapped is answered as registered (KMIP 1.4
 * 2.1.5): its wrapped bytes as the Key Value (TTLV Encoding, the default)
 * or as the Key Value's Key Material (No Encoding), then its Key Wrapping
 * Data
 */

static ngx_int_t
ngx_kmip_op_get_registered_wrapped(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *block)
{
    ngx_kmip_item_t        *kv, *copy;
    ngx_kmip_object_t      *obj = ctx->obj;
    const ngx_kmip_item_t  *kwd, *enc;

    kwd = ngx_kmip_op_wrapping_data(obj);
    enc = ngx_kmip_ttlv_find(kwd, NGX_KMIP_TAG_ENCODING_OPTION);
    kv = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_KEY_VALUE);

    if (kv && !(enc && enc->v.num == NGX_KMIP_ENCODING_OPTION_NO_ENCODING)) {
        kv->type = NGX_KMIP_TYPE_BYTE_STRING;
        kv->v.str.data = obj->material.data;
        kv->v.str.len = obj->material.len;
    }

    copy = ngx_kmip_ttlv_item_copy(&ctx->r->alloc, kwd);
    if (copy == NULL) {
        return NGX_ERROR;
    }

    ngx_kmip_ttlv_item_append(block, copy);

    return NGX_OK;
}


/*
 * Whether the object's material may be served, wrapped (w) or not: NGX_OK,
 * or NGX_DECLINED with ctx->out failed
 */

static ngx_int_t
ngx_kmip_op_get_allowed(ngx_kmip_op_ctx_t *ctx, ngx_kmip_wrap_t *w)
{
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_object_t  *obj = ctx->obj;

    if (ngx_kmip_op_gone(ctx)) {
        return NGX_DECLINED;
    }

    if (obj->material.len == 0) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "object \"%V\" has no key material",
                                    &ctx->uid);
        return NGX_DECLINED;
    }

    /*
     * KMIP 1.4 3.48, 3.50 and 11.12: a non-Extractable object is never
     * served, wrapped or not; a Sensitive one only wrapped. The reasons are
     * 1.4's: ngx_kmip_result_fail() answers Permission Denied before
     * (ngx_kmip_reasons.c)
     */

    if (!ngx_kmip_op_attr_num(&obj->attributes, "Extractable", 1)) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_NOT_EXTRACTABLE,
                                    "object \"%V\" is not Extractable",
                                    &ctx->uid);
        return NGX_DECLINED;
    }

    if (w == NULL && ngx_kmip_op_attr_num(&obj->attributes, "Sensitive", 0))
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_SENSITIVE,
                                    "object \"%V\" is Sensitive: it is "
                                    "served wrapped only (a Key Wrapping "
                                    "Specification)", &ctx->uid);
        return NGX_DECLINED;
    }

    /*
     * a key kept wrapped is served as registered, or unwrapped by the key
     * that wrapped it (Key Wrap Type Not Wrapped); in its own format only
     */

    if (ngx_kmip_op_wrapping_data(obj)
        && (w || ngx_kmip_ttlv_find(ctx->in->payload,
                                    NGX_KMIP_TAG_KEY_FORMAT_TYPE)))
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "object \"%V\" was registered wrapped: "
                                    "it is served as registered, or "
                                    "unwrapped (Key Wrap Type Not Wrapped), "
                                    "in its own Key Format Type",
                                    &ctx->uid);
        return NGX_DECLINED;
    }

    /* an Opaque Object or a Template has no Key Block, so nothing to
       wrap */

    if (w && (obj->object_type == NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT
              || obj->object_type == NGX_KMIP_OBJECT_TYPE_TEMPLATE))
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "object \"%V\" is %s: it has no Key "
                                    "Block to wrap", &ctx->uid,
                                    obj->object_type
                                    == NGX_KMIP_OBJECT_TYPE_TEMPLATE
                                    ? "a Template" : "an Opaque Object");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The Key Format Type an object is served in, dflt or other: kft when the
 * client asked for one, else the one it was registered in if other, else
 * dflt. 0, with ctx->out failed (why: what), when kft is neither.
 */

static int64_t
ngx_kmip_op_get_format(ngx_kmip_op_ctx_t *ctx, int64_t kft, int64_t dflt,
    int64_t other, const char *what)
{
    int64_t  reg;

    if (kft == 0) {
        reg = ngx_kmip_op_attr_num(&ctx->obj->attributes, "Key Format Type",
                                   0);
        kft = (reg == other) ? reg : dflt;
    }

    if (kft != dflt && kft != other) {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_KFT_NOT_SUPPORTED, "%s", what);
        return 0;
    }

    return kft;
}


/*
 * A Key Block of Key Format Type kft in o: *blockp, and its Key Value
 * returned (NULL on an allocation failure)
 */

static ngx_kmip_item_t *
ngx_kmip_op_get_key_value(ngx_kmip_req_t *r, ngx_kmip_item_t *o,
    int64_t kft, ngx_kmip_item_t **blockp)
{
    ngx_kmip_item_t  *block;

    block = ngx_kmip_ttlv_add_struct(&r->alloc, o, NGX_KMIP_TAG_KEY_BLOCK);

    if (ngx_kmip_ttlv_add_enum(&r->alloc, block, NGX_KMIP_TAG_KEY_FORMAT_TYPE,
                               (uint32_t) kft) == NULL)
    {
        return NULL;
    }

    *blockp = block;

    return ngx_kmip_ttlv_add_struct(&r->alloc, block, NGX_KMIP_TAG_KEY_VALUE);
}


/*
 * A Symmetric Key in payload, as Raw or Transparent Symmetric Key: kft, if
 * the client asked for one, else the format it was registered in
 */

static ngx_int_t
ngx_kmip_op_get_symmetric_key(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *payload, int64_t kft, ngx_kmip_item_t **blockp)
{
    ngx_kmip_item_t  *o;

    o = ngx_kmip_ttlv_add_struct(&ctx->r->alloc, payload,
                                 NGX_KMIP_TAG_SYMMETRIC_KEY);
    if (o == NULL) {
        return NGX_ERROR;
    }

    return ngx_kmip_op_get_key_block(ctx, o, kft, blockp);
}


/*
 * A Split Key (1.4 2.2.5): its fields as registered, then its Key Block,
 * as a Symmetric Key's
 */

static ngx_int_t
ngx_kmip_op_get_split_key(ngx_kmip_op_ctx_t *ctx, ngx_kmip_item_t *payload,
    int64_t kft, ngx_kmip_item_t **blockp)
{
    ngx_kmip_item_t        *o, *copy;
    ngx_kmip_allocator_t   *a = &ctx->r->alloc;
    const ngx_kmip_item_t  *f;

    o = ngx_kmip_ttlv_add_struct(a, payload, NGX_KMIP_TAG_SPLIT_KEY);
    if (o == NULL) {
        return NGX_ERROR;
    }

    for (f = ctx->obj->fields ? ctx->obj->fields->v.kids.first : NULL;
         f;
         f = f->next)
    {
        copy = ngx_kmip_ttlv_item_copy(a, f);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        ngx_kmip_ttlv_item_append(o, copy);
    }

    return ngx_kmip_op_get_key_block(ctx, o, kft, blockp);
}


/* the Key Block of a symmetric key (or a part of one) in o */

static ngx_int_t
ngx_kmip_op_get_key_block(ngx_kmip_op_ctx_t *ctx, ngx_kmip_item_t *o,
    int64_t kft, ngx_kmip_item_t **blockp)
{
    int64_t                alg, len;
    ngx_kmip_item_t       *kv, *km;
    ngx_kmip_object_t     *obj = ctx->obj;
    ngx_kmip_allocator_t  *a = &ctx->r->alloc;

    kft = ngx_kmip_op_get_format(ctx, kft, NGX_KMIP_KEY_FORMAT_TYPE_RAW,
                  NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_SYMMETRIC_KEY,
                  "a Symmetric Key is served as Raw or Transparent "
                  "Symmetric Key");
    if (kft == 0) {
        return NGX_DECLINED;
    }

    alg = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Algorithm",
                               -1);
    len = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Length",
                               (int64_t) obj->material.len * 8);

    kv = ngx_kmip_op_get_key_value(ctx->r, o, kft, blockp);
    if (kv == NULL) {
        return NGX_ERROR;
    }

    if (kft == NGX_KMIP_KEY_FORMAT_TYPE_RAW) {
        km = ngx_kmip_ttlv_add_bytes(a, kv, NGX_KMIP_TAG_KEY_MATERIAL,
                                     obj->material.data, obj->material.len);

    } else {
        km = ngx_kmip_ttlv_add_struct(a, kv, NGX_KMIP_TAG_KEY_MATERIAL);
        km = ngx_kmip_ttlv_add_bytes(a, km, NGX_KMIP_TAG_KEY,
                                     obj->material.data, obj->material.len);
    }

    if (km == NULL
        || (alg != -1
            && ngx_kmip_ttlv_add_enum(a, *blockp,
                                      NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                                      (uint32_t) alg) == NULL)
        || ngx_kmip_ttlv_add_integer(a, *blockp,
                                     NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                                     (int32_t) len) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Secret Data in payload, as Opaque or Raw (kft, or as registered) */

static ngx_int_t
ngx_kmip_op_get_secret_data(ngx_kmip_op_ctx_t *ctx, ngx_kmip_item_t *payload,
    int64_t kft, ngx_kmip_item_t **blockp)
{
    ngx_kmip_item_t  *o;

    o = ngx_kmip_ttlv_add_struct(&ctx->r->alloc, payload,
                                 NGX_KMIP_TAG_SECRET_DATA);

    if (o == NULL
        || ngx_kmip_ttlv_add_enum(&ctx->r->alloc, o,
                                  NGX_KMIP_TAG_SECRET_DATA_TYPE,
                                  ctx->obj->subtype)
           == NULL)
    {
        return NGX_ERROR;
    }

    return ngx_kmip_op_get_blob_block(ctx, o, kft, blockp,
                                      "Secret Data is served as Raw or "
                                      "Opaque");
}


/* a PGP Key (1.4 2.2.9): its PGP Key Version, then its Key Block */

static ngx_int_t
ngx_kmip_op_get_pgp_key(ngx_kmip_op_ctx_t *ctx, ngx_kmip_item_t *payload,
    int64_t kft, ngx_kmip_item_t **blockp)
{
    ngx_kmip_item_t        *o, *copy;
    const ngx_kmip_item_t  *v;

    o = ngx_kmip_ttlv_add_struct(&ctx->r->alloc, payload,
                                 NGX_KMIP_TAG_PGP_KEY);
    v = ngx_kmip_ttlv_find(ctx->obj->fields, NGX_KMIP_TAG_PGP_KEY_VERSION);
    copy = v ? ngx_kmip_ttlv_item_copy(&ctx->r->alloc, v) : NULL;

    if (o == NULL || copy == NULL) {
        return NGX_ERROR;
    }

    ngx_kmip_ttlv_item_append(o, copy);

    return ngx_kmip_op_get_blob_block(ctx, o, kft, blockp,
                                      "a PGP Key is served as Raw or "
                                      "Opaque");
}


/* the Key Block of bytes the server does not interpret, in o */

static ngx_int_t
ngx_kmip_op_get_blob_block(ngx_kmip_op_ctx_t *ctx, ngx_kmip_item_t *o,
    int64_t kft, ngx_kmip_item_t **blockp, const char *formats)
{
    ngx_kmip_item_t    *kv;
    ngx_kmip_object_t  *obj = ctx->obj;

    kft = ngx_kmip_op_get_format(ctx, kft, NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE,
                                 NGX_KMIP_KEY_FORMAT_TYPE_RAW, formats);
    if (kft == 0) {
        return NGX_DECLINED;
    }

    kv = ngx_kmip_op_get_key_value(ctx->r, o, kft, blockp);

    if (kv == NULL
        || ngx_kmip_ttlv_add_bytes(&ctx->r->alloc, kv,
                                   NGX_KMIP_TAG_KEY_MATERIAL,
                                   obj->material.data, obj->material.len)
           == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * An object of a type and bytes, no Key Block (an Opaque Object, a
 * Certificate Request 2.1 2.2) in payload
 */

static ngx_int_t
ngx_kmip_op_get_typed_bytes(ngx_kmip_op_ctx_t *ctx, ngx_kmip_item_t *payload,
    uint32_t tag, uint32_t type_tag, uint32_t value_tag)
{
    ngx_kmip_item_t       *o;
    ngx_kmip_object_t     *obj = ctx->obj;
    ngx_kmip_allocator_t  *a = &ctx->r->alloc;

    o = ngx_kmip_ttlv_add_struct(a, payload, tag);

    if (o == NULL
        || ngx_kmip_ttlv_add_enum(a, o, type_tag, obj->subtype) == NULL
        || ngx_kmip_ttlv_add_bytes(a, o, value_tag, obj->material.data,
                                   obj->material.len)
           == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Fresh turns False "as soon as the object has been served" (KMIP 1.4
 * 3.34). The write comes before the answer, so that Fresh is never True
 * for an object a client has had; it is the store's serve, which Key
 * Protect keeps in one call, once in the object's life (later Gets see
 * Fresh False and cost nothing more). Concurrent first Gets race on that
 * write; the losers re-read the object, find Fresh False and answer.
 */

ngx_int_t
ngx_kmip_op_get_served(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_ctx_t  *actx;

    if (!ngx_kmip_op_attr_num(&ctx->obj->attributes, "Fresh", 0)) {
        return NGX_OK;
    }

    actx = ngx_kmip_op_ctx(ctx->r, ctx->in, ctx->out);
    if (actx == NULL) {
        return NGX_ERROR;
    }

    actx->uid = ctx->uid;
    actx->data = ctx->out->payload;
    actx->serve = 1;
    ctx->out->payload = NULL;

    return ngx_kmip_op_mutate(actx, ngx_kmip_op_fresh_apply,
                              ngx_kmip_op_fresh_respond);
}


static ngx_int_t
ngx_kmip_op_fresh_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    if (!ngx_kmip_op_attr_num(&obj->attributes, "Fresh", 0)) {
        /* another Get served it meanwhile */
        ctx->out->payload = ctx->data;
        return NGX_DECLINED;
    }

    if (ngx_kmip_op_set_num(ctx->r, &obj->attributes, "Fresh",
                            NGX_KMIP_TYPE_BOOLEAN, 0)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* not a change in the sense of the Last Change Date (1.4 3.32) */
    return NGX_DONE;
}


static ngx_int_t
ngx_kmip_op_fresh_respond(ngx_kmip_op_ctx_t *ctx)
{
    ctx->out->payload = ctx->data;

    return NGX_OK;
}
