
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/rand.h>
#include <openssl/evp.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#endif

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_usage.h"
#include "ngx_kmip_op_create.h"
#include "ngx_kmip_op_pkey.h"
#include "ngx_kmip_op_template.h"


/*
 * Create and Register: the new object's identifier and attributes, the
 * server's own (Random Number Generator, Digest) among them, its material
 * made or taken from the request, and the object stored.
 */


/* larger material is kept in chunks (docs/key-protect.md#chunks) */
#define NGX_KMIP_MATERIAL_MAX   NGX_KMIP_STORE_MATERIAL_MAX

#define NGX_KMIP_KFT_NOT_SUPPORTED                                            \
    NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED


/* what a Register request gives of its object */
typedef struct {
    ngx_str_t                   material;   /* the client's bytes */
    uint32_t                    subtype;    /* Secret Data or Opaque
                                               Data Type */
    int64_t                     alg;        /* from the Key Block, or -1 */
    int64_t                     len;
    const ngx_kmip_item_t      *block;      /* the Key Block, if any */
    ngx_kmip_item_t            *fields;     /* a Split Key's own, a
                                               wrapped Key Block's Key
                                               Wrapping Data, or NULL */
    unsigned                    wrapped:1;  /* the material is wrapped by
                                               the client */
} ngx_kmip_op_given_t;


static ngx_kmip_op_ctx_t *ngx_kmip_op_new_begin(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    uint32_t *type, ngx_int_t *rc);
static ngx_int_t ngx_kmip_op_uuid(ngx_kmip_req_t *r, ngx_str_t *uid);
static ngx_kmip_item_t *ngx_kmip_op_rng_value(ngx_kmip_req_t *r);
static ngx_uint_t ngx_kmip_op_rng_matches(const ngx_kmip_item_t *want,
    const ngx_kmip_item_t *have);
static ngx_int_t ngx_kmip_op_client_attrs(ngx_kmip_op_ctx_t *ctx,
    uint32_t object_type, const ngx_kmip_item_t **from,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_server_attrs(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_uint_t ngx_kmip_op_quantum_safe(ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_created(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_create_templated(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_register_templated(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_register_new(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_des_key(const EVP_CIPHER *cipher, u_char *key,
    size_t len);
static const ngx_kmip_item_t *ngx_kmip_op_attr_container(ngx_kmip_req_t *r,
    const ngx_kmip_item_t *payload);
static ngx_int_t ngx_kmip_op_create_length(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj, int64_t *size, const EVP_CIPHER **cipher);
static ngx_int_t ngx_kmip_op_create_material(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_register_given(ngx_kmip_op_ctx_t *ctx,
    uint32_t type, ngx_kmip_op_given_t *g);
static ngx_int_t ngx_kmip_op_split_key_fields(ngx_kmip_op_ctx_t *ctx,
    const ngx_kmip_item_t *o, ngx_kmip_op_given_t *g);
static ngx_int_t ngx_kmip_op_pgp_key_fields(ngx_kmip_op_ctx_t *ctx,
    const ngx_kmip_item_t *o, ngx_kmip_op_given_t *g);
static ngx_int_t ngx_kmip_op_typed_bytes(ngx_kmip_op_ctx_t *ctx,
    uint32_t tag, uint32_t type_tag, uint32_t value_tag, const char *what,
    ngx_kmip_op_given_t *g);
static ngx_int_t ngx_kmip_op_register_key(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj, ngx_kmip_op_given_t *g);
static ngx_int_t ngx_kmip_op_key_block(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_op_given_t *g);
static ngx_int_t ngx_kmip_op_key_block_wrapped(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_op_given_t *g, const ngx_kmip_item_t *kwd,
    const ngx_kmip_item_t *kv);


static ngx_int_t
ngx_kmip_op_uuid(ngx_kmip_req_t *r, ngx_str_t *uid)
{
    u_char  b[16];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        return NGX_ERROR;
    }

    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;

    uid->data = ngx_pnalloc(r->pool, 36);
    if (uid->data == NULL) {
        return NGX_ERROR;
    }

    uid->len = ngx_sprintf(uid->data,
                           "%02xd%02xd%02xd%02xd-%02xd%02xd-%02xd%02xd-"
                           "%02xd%02xd-%02xd%02xd%02xd%02xd%02xd%02xd",
                           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                           b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                           b[15])
               - uid->data;

    return NGX_OK;
}


/*
 * The Random Number Generator of the keys the server makes (KMIP 1.4
 * 3.44): the material comes from OpenSSL's private DRBG (RAND_priv_bytes),
 * described as OpenSSL reports it, so that a configuration that picks
 * another DRBG is described truly; what cannot be told is Unspecified.
 */

static ngx_kmip_item_t *
ngx_kmip_op_rng_value(ngx_kmip_req_t *r)
{
    uint32_t               alg, drbg, cipher, hash;
    int64_t                len;
    ngx_kmip_item_t       *v;
    ngx_kmip_allocator_t  *a = &r->alloc;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    char                   cname[64], dname[64];
    ngx_uint_t             i;
    const char            *name;
    OSSL_PARAM             params[3];
    EVP_RAND_CTX          *ctx;

    static const struct {
        const char        *name;
        uint32_t           hash;
    } hashes[] = {
        { "SHA256", NGX_KMIP_HASHING_ALGORITHM_SHA_256 },
        { "SHA2-256", NGX_KMIP_HASHING_ALGORITHM_SHA_256 },
        { "SHA384", NGX_KMIP_HASHING_ALGORITHM_SHA_384 },
        { "SHA2-384", NGX_KMIP_HASHING_ALGORITHM_SHA_384 },
        { "SHA512", NGX_KMIP_HASHING_ALGORITHM_SHA_512 },
        { "SHA2-512", NGX_KMIP_HASHING_ALGORITHM_SHA_512 },
    };
#endif

    alg = NGX_KMIP_RNG_ALGORITHM_UNSPECIFIED;
    drbg = 0;
    cipher = 0;
    hash = 0;
    len = 0;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L

    ctx = RAND_get0_private(NULL);
    name = ctx ? EVP_RAND_get0_name(EVP_RAND_CTX_get0_rand(ctx)) : NULL;

    cname[0] = '\0';
    dname[0] = '\0';
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_DRBG_PARAM_CIPHER,
                                                 cname, sizeof(cname));
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_DRBG_PARAM_DIGEST,
                                                 dname, sizeof(dname));
    params[2] = OSSL_PARAM_construct_end();

    if (name && EVP_RAND_CTX_get_params(ctx, params) == 1) {

        if (ngx_strcasecmp((u_char *) name, (u_char *) "CTR-DRBG") == 0
            && ngx_strncasecmp((u_char *) cname, (u_char *) "AES-", 4) == 0)
        {
            drbg = NGX_KMIP_DRBG_ALGORITHM_CTR;
            cipher = NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES;
            len = ngx_atoi((u_char *) cname + 4, 3);

        } else if (ngx_strcasecmp((u_char *) name, (u_char *) "HASH-DRBG")
                   == 0)
        {
            drbg = NGX_KMIP_DRBG_ALGORITHM_HASH;

        } else if (ngx_strcasecmp((u_char *) name, (u_char *) "HMAC-DRBG")
                   == 0)
        {
            drbg = NGX_KMIP_DRBG_ALGORITHM_HMAC;
        }

        for (i = 0;
             drbg != NGX_KMIP_DRBG_ALGORITHM_CTR
             && i < sizeof(hashes) / sizeof(hashes[0]);
             i++)
        {
            if (ngx_strcasecmp((u_char *) dname, (u_char *) hashes[i].name)
                == 0)
            {
                hash = hashes[i].hash;
            }
        }

        if (drbg && (len > 0 || hash)) {
            alg = NGX_KMIP_RNG_ALGORITHM_DRBG;
        }
    }

#endif

    v = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_STRUCTURE);

    if (v == NULL
        || ngx_kmip_ttlv_add_enum(a, v, NGX_KMIP_TAG_RNG_ALGORITHM, alg)
           == NULL)
    {
        return NULL;
    }

    if (alg != NGX_KMIP_RNG_ALGORITHM_DRBG) {
        return v;
    }

    if ((cipher
         && (ngx_kmip_ttlv_add_enum(a, v, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                                    cipher) == NULL
             || ngx_kmip_ttlv_add_integer(a, v,
                                          NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                                          (int32_t) len) == NULL))
        || (hash
            && ngx_kmip_ttlv_add_enum(a, v, NGX_KMIP_TAG_HASHING_ALGORITHM,
                                      hash) == NULL)
        || ngx_kmip_ttlv_add_enum(a, v, NGX_KMIP_TAG_DRBG_ALGORITHM, drbg)
           == NULL)
    {
        return NULL;
    }

    return v;
}


/*
 * A Random Number Generator a client asks for at Create must be the
 * server's (1.4 3.44): every field it gives has the server's value
 */

static ngx_uint_t
ngx_kmip_op_rng_matches(const ngx_kmip_item_t *want,
    const ngx_kmip_item_t *have)
{
    ngx_kmip_item_t  *w, *h;

    for (w = want->v.kids.first; w; w = w->next) {
        h = ngx_kmip_ttlv_find(have, w->tag);

        if (h == NULL || !ngx_kmip_item_equal(w, h)) {
            return 0;
        }
    }

    return 1;
}


/* sets the Digest attribute (SHA-256 of the material) of a new object */

ngx_int_t
ngx_kmip_op_digest(ngx_kmip_req_t *r, ngx_kmip_object_t *obj)
{
    u_char           *md;
    uint32_t          kft;
    ngx_str_t         data;
    unsigned int      n;
    ngx_kmip_item_t  *v;

    if (obj->material.len == 0
        || obj->object_type == NGX_KMIP_OBJECT_TYPE_TEMPLATE)
    {
        /* a Template is not a cryptographic object: no Digest (1.4 3.17) */
        return NGX_OK;
    }

    /* symmetric keys and secret data: Raw; Opaque Objects: none */

    data = obj->material;
    kft = (obj->object_type == NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT)
          ? 0 : NGX_KMIP_KEY_FORMAT_TYPE_RAW;

    if (ngx_kmip_op_pkey_type(obj->object_type)
        && ngx_kmip_op_pkey_digested(r, obj, &data, &kft) != NGX_OK)
    {
        return NGX_ERROR;
    }

    md = ngx_pnalloc(r->pool, EVP_MAX_MD_SIZE);
    if (md == NULL) {
        return NGX_ERROR;
    }

    if (EVP_Digest(data.data, data.len, md, &n, EVP_sha256(), NULL) != 1) {
        return NGX_ERROR;
    }

    v = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_STRUCTURE);

    /*
     * KMIP 1.4 3.17: SHA-256 over the Raw key material; the Key Format
     * Type says which form was digested, for keys and secret data only
     */

    if (ngx_kmip_ttlv_add_enum(&r->alloc, v, NGX_KMIP_TAG_HASHING_ALGORITHM,
                               NGX_KMIP_HASHING_ALGORITHM_SHA_256) == NULL
        || ngx_kmip_ttlv_add_bytes(&r->alloc, v, NGX_KMIP_TAG_DIGEST_VALUE,
                                   md, n) == NULL)
    {
        return NGX_ERROR;
    }

    if (kft && ngx_kmip_ttlv_add_enum(&r->alloc, v,
                                      NGX_KMIP_TAG_KEY_FORMAT_TYPE, kft)
               == NULL)
    {
        return NGX_ERROR;
    }

    if (ngx_kmip_attrs_set(&r->alloc, &obj->attributes, "Digest", v) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The start of Create and Register: a key store configured, the Object
 * Type asked for in *type, the context. NULL when the item is already
 * answered (*rc NGX_OK) or on an allocation failure (*rc NGX_ERROR).
 */

static ngx_kmip_op_ctx_t *
ngx_kmip_op_new_begin(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, uint32_t *type, ngx_int_t *rc)
{
    ngx_kmip_item_t    *ot;
    ngx_kmip_op_ctx_t  *ctx;

    *rc = NGX_OK;

    if (ngx_kmip_op_no_store(r, out)) {
        return NULL;
    }

    ot = ngx_kmip_op_need(r, out, in->payload, NGX_KMIP_TAG_OBJECT_TYPE,
                          NGX_KMIP_TYPE_ENUMERATION, "%s needs an Object Type",
                          in->operation == NGX_KMIP_OP_CREATE
                          ? "Create" : "Register");
    if (ot == NULL) {
        return NULL;
    }

    *type = (uint32_t) ot->v.num;

    ctx = ngx_kmip_op_ctx(r, in, out);
    if (ctx == NULL) {
        *rc = NGX_ERROR;
    }

    return ctx;
}


/*
 * The object a Create or Register makes: the client's attributes (the
 * request's Attributes or Template-Attribute) checked, the server's added.
 * out is filled and NGX_DECLINED returned on a client error.
 */

ngx_int_t
ngx_kmip_op_new_object(ngx_kmip_op_ctx_t *ctx, uint32_t object_type,
    ngx_kmip_object_t **objp)
{
    const ngx_kmip_item_t  *from[2];

    from[0] = ngx_kmip_op_attr_container(ctx->r, ctx->in->payload);
    from[1] = NULL;

    return ngx_kmip_op_new_object_from(ctx, object_type, from, objp);
}


ngx_int_t
ngx_kmip_op_new_object_from(ngx_kmip_op_ctx_t *ctx, uint32_t object_type,
    const ngx_kmip_item_t **from, ngx_kmip_object_t **objp)
{
    ngx_int_t           rc;
    ngx_kmip_req_t     *r = ctx->r;
    ngx_kmip_attr_t    *at;
    ngx_kmip_object_t  *obj;

    obj = ngx_pcalloc(r->pool, sizeof(ngx_kmip_object_t));
    if (obj == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_kmip_op_client_attrs(ctx, object_type, from, obj);
    if (rc != NGX_OK) {
        return rc;
    }

    obj->object_type = object_type;

    /*
     * a Key Format Type asked for (2.1 4.26) is the server's own, or the
     * request fails; it follows from the object, so is not stored
     */

    at = ngx_kmip_attrs_find(&obj->attributes, "Key Format Type", 15, -1);

    if (at) {
        if (at->value->v.num != ngx_kmip_op_key_format(obj)) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_KFT_NOT_SUPPORTED,
                                        "the object is kept as Key Format "
                                        "Type %uD",
                                        ngx_kmip_op_key_format(obj));
            return NGX_DECLINED;
        }

        (void) ngx_kmip_attrs_remove(&obj->attributes, at->name, at->name_len,
                                     -1);
    }

    if (ngx_kmip_op_uuid(r, &obj->uid) != NGX_OK
        || ngx_kmip_op_server_attrs(ctx, obj) != NGX_OK)
    {
        return NGX_ERROR;
    }

    *objp = obj;

    return NGX_OK;
}


/*
 * The attributes the client gave: each one a client may set at creation,
 * for this type of object, once unless it takes several instances
 */

static ngx_int_t
ngx_kmip_op_client_attrs(ngx_kmip_op_ctx_t *ctx, uint32_t object_type,
    const ngx_kmip_item_t **from, ngx_kmip_object_t *obj)
{
    const char                  *err;
    ngx_kmip_req_t              *r = ctx->r;
    ngx_kmip_attr_t             *at;
    const ngx_kmip_attr_spec_t  *s;

    err = NULL;

    for ( /* void */ ; *from; from++) {
        if (ngx_kmip_attrs_parse(&r->alloc, *from, (unsigned) r->version,
                                 &obj->attributes, &err)
            != 0)
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "%s", err);
            return NGX_DECLINED;
        }
    }

    for (at = obj->attributes.first; at; at = at->next) {
        s = ngx_kmip_attr_spec(at->name, at->name_len);

        if (s == NULL) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "attribute \"%*s\" is not supported",
                                        at->name_len, at->name);
            return NGX_DECLINED;
        }

        if (!ngx_kmip_attr_in_version(at, (unsigned) r->version)) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "attribute \"%*s\" is not one of "
                                        "KMIP %D.%D", at->name_len,
                                        at->name, r->msg.major,
                                        r->msg.minor);
            return NGX_DECLINED;
        }

        /*
         * a client registering a certificate may say its type, which the
         * certificate itself must then have (ngx_kmip_op_pkey.c)
         */

        if (!(s->flags & NGX_KMIP_ATTR_ON_CREATE)
            && !(object_type == NGX_KMIP_OBJECT_TYPE_CERTIFICATE
                 && ngx_kmip_attr_name_is(at, "Certificate Type")))
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "attribute \"%*s\" is set by the "
                                        "server", at->name_len, at->name);
            return NGX_DECLINED;
        }

        if (!(s->flags & NGX_KMIP_ATTR_MULTI) && at->index > 0) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "attribute \"%*s\" takes a single "
                                        "instance", at->name_len, at->name);
            return NGX_DECLINED;
        }

        if (ngx_kmip_attr_check_object(&obj->attributes, NULL, at,
                                       object_type, (unsigned) r->version,
                                       &err)
            != 0)
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "attribute \"%*s\": %s",
                                        at->name_len, at->name, err);
            return NGX_DECLINED;
        }

        if (s->tag == NGX_KMIP_TAG_USAGE_LIMITS) {
            at->value = ngx_kmip_op_usage_limits(r, ctx->out, at->value);
            if (at->value == NULL) {
                return NGX_DECLINED;
            }
        }

        if (s->tag == NGX_KMIP_TAG_RANDOM_NUMBER_GENERATOR
            && ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_RNG_ALGORITHM)
               == NULL)
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Random Number Generator without "
                                        "an RNG Algorithm");
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* the attributes the server gives every new object */

static ngx_int_t
ngx_kmip_op_server_attrs(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    time_t            now;
    int64_t           act;
    uint32_t          object_type = obj->object_type;
    ngx_uint_t        crypto;
    ngx_kmip_req_t   *r = ctx->r;
    ngx_kmip_item_t  *v;

    now = ngx_time();

    /*
     * Sensitive and Extractable as given, else the defaults; the history
     * attributes start from them. Fresh: a new object has not been served
     * (a client registering one may say otherwise). No lease limit. Fresh
     * and Lease Time are for cryptographic objects (1.4 3.20, 3.34), which
     * an Opaque Object and a Template are not; a Template has no State
     * either (1.4 3.22), so no lifecycle operation applies to it.
     */

    crypto = object_type != NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT
             && object_type != NGX_KMIP_OBJECT_TYPE_TEMPLATE;

    if (ngx_kmip_op_protection_defaults(r, &obj->attributes) != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Always Sensitive",
                               NGX_KMIP_TYPE_BOOLEAN,
                               ngx_kmip_op_attr_num(&obj->attributes,
                                                    "Sensitive", 0) != 0)
           != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Never Extractable",
                               NGX_KMIP_TYPE_BOOLEAN,
                               ngx_kmip_op_attr_num(&obj->attributes,
                                                    "Extractable", 1) == 0)
           != NGX_OK
        || (crypto
            && (ctx->in->operation == NGX_KMIP_OP_CREATE
                || ngx_kmip_attrs_find(&obj->attributes, "Fresh", 5, -1)
                   == NULL)
            && ngx_kmip_op_set_num(r, &obj->attributes, "Fresh",
                                   NGX_KMIP_TYPE_BOOLEAN, 1) != NGX_OK)
        || (crypto
            && ngx_kmip_op_set_num(r, &obj->attributes, "Lease Time",
                                   NGX_KMIP_TYPE_INTERVAL, 0) != NGX_OK))
    {
        return NGX_ERROR;
    }

    v = ngx_kmip_attr_value_text(&r->alloc, obj->uid.data, obj->uid.len);

    if (v == NULL
        || ngx_kmip_attrs_set(&r->alloc, &obj->attributes,
                              "Unique Identifier", v) == NULL
        || ngx_kmip_op_set_num(r, &obj->attributes, "Object Type",
                               NGX_KMIP_TYPE_ENUMERATION, object_type)
           != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Initial Date",
                               NGX_KMIP_TYPE_DATE_TIME, now) != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Last Change Date",
                               NGX_KMIP_TYPE_DATE_TIME, now) != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Original Creation Date",
                               NGX_KMIP_TYPE_DATE_TIME, now) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (object_type == NGX_KMIP_OBJECT_TYPE_TEMPLATE) {
        return NGX_OK;
    }

    /* an Activation Date that has come makes the object Active at once */

    act = ngx_kmip_op_attr_num(&obj->attributes, "Activation Date", -1);

    if (ngx_kmip_op_set_num(r, &obj->attributes, "State",
                            NGX_KMIP_TYPE_ENUMERATION,
                            (act >= 0 && act <= now)
                            ? NGX_KMIP_STATE_ACTIVE
                            : NGX_KMIP_STATE_PRE_ACTIVE)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Quantum Safe (2.1 4.45): the object must stay safe against a quantum
 * adversary. A symmetric key keeps half its length against Grover's
 * search, so only 256-bit AES and ChaCha20 keys are; the server cannot
 * vouch for the content of other objects. 1 if the object is acceptable.
 */

static ngx_uint_t
ngx_kmip_op_quantum_safe(ngx_kmip_object_t *obj)
{
    int64_t  alg;

    if (!ngx_kmip_op_attr_num(&obj->attributes, "Quantum Safe", 0)) {
        return 1;
    }

    if (obj->object_type != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY) {
        return 0;
    }

    alg = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Algorithm",
                               0);

    return (alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES
            || alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20
            || alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20POLY1305)
           && ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Length",
                                   0) >= 256;
}


/* the new object, its Quantum Safe promise kept and its Digest added, to
   the store; the answer follows in ngx_kmip_op_created() */

ngx_int_t
ngx_kmip_op_store_new(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_kmip_req_t  *r = ctx->r;

    if (!ngx_kmip_op_quantum_safe(obj)) {
        /* KMIP gives no reason of its own for it: General Failure */
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "NOT_SAFE: a Quantum Safe object must "
                                    "be a 256-bit AES or ChaCha20 key");
    }

    if (ngx_kmip_op_digest(r, obj) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->obj = obj;
    ctx->uid = obj->uid;

    return ngx_kmip_op_store_write(ctx, ngx_kmip_store_create, obj,
                                   ngx_kmip_op_created);
}


static ngx_int_t
ngx_kmip_op_created(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_item_t  *payload;
    ngx_kmip_req_t   *r = ctx->r;

    if (ngx_kmip_op_store_lost(ctx, "create")) {
        /* no identifier is given for an object that is not stored */
        return NGX_OK;
    }

    r->object = ctx->obj;
    r->id_placeholder = ctx->obj->uid;

    ngx_log_error(NGX_LOG_INFO, r->log, 0,
                  "kmip: %s object \"%V\" stored as %s key %V",
                  ctx->in->operation == NGX_KMIP_OP_CREATE ? "created"
                  : ctx->in->operation == NGX_KMIP_OP_DERIVE_KEY ? "derived"
                  : "registered",
                  &ctx->obj->uid, ngx_kmip_store_name(r->store),
                  &ctx->obj->kp_id);

    payload = ngx_kmip_payload_new(r);

    /* Register answers with the Unique Identifier only (KMIP 1.4 4.3) */

    if ((ctx->in->operation == NGX_KMIP_OP_CREATE
         && ngx_kmip_ttlv_add_enum(&r->alloc, payload, NGX_KMIP_TAG_OBJECT_TYPE,
                                   ctx->obj->object_type) == NULL)
        || ngx_kmip_ttlv_add_text(&r->alloc, payload,
                                  NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                  ctx->obj->uid.data, ctx->obj->uid.len)
           == NULL)
    {
        return NGX_ERROR;
    }

    ctx->out->payload = payload;

    /* a step of the operation's own after the store: Derive Key links the
       base object to what it derived */

    return ctx->respond ? ctx->respond(ctx) : NGX_OK;
}


/*
 * A random Triple DES key with odd parity in every byte (FIPS 46-3), made
 * by OpenSSL's key generation for the cipher
 */

static ngx_int_t
ngx_kmip_op_des_key(const EVP_CIPHER *cipher, u_char *key, size_t len)
{
    ngx_int_t        rc;
    EVP_CIPHER_CTX  *c;

    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return NGX_ERROR;
    }

    rc = (EVP_CipherInit_ex(c, cipher, NULL, NULL, NULL, 1) == 1
          && (size_t) EVP_CIPHER_CTX_key_length(c) == len
          && EVP_CIPHER_CTX_rand_key(c, key) == 1)
         ? NGX_OK : NGX_ERROR;

    EVP_CIPHER_CTX_free(c);

    return rc;
}


static const ngx_kmip_item_t *
ngx_kmip_op_attr_container(ngx_kmip_req_t *r, const ngx_kmip_item_t *payload)
{
    return ngx_kmip_ttlv_find(payload,
                              r->version >= NGX_KMIP_VERSION(2, 0)
                              ? NGX_KMIP_TAG_ATTRIBUTES
                              : NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);
}


/* the containers in which a Create or Register names templates (1.x) */
static const uint32_t  ngx_kmip_op_template_containers[] = {
    NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE, 0
};


ngx_int_t
ngx_kmip_op_create(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    uint32_t            type;
    ngx_int_t           rc;
    ngx_kmip_op_ctx_t  *ctx;

    ctx = ngx_kmip_op_new_begin(r, in, out, &type, &rc);
    if (ctx == NULL) {
        return rc;
    }

    if (type != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY) {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Create makes Symmetric Keys only");
    }

    /* the templates named first: nothing is made before they are read */

    return ngx_kmip_op_templates(ctx, ngx_kmip_op_template_containers,
                                 ngx_kmip_op_create_templated);
}


static ngx_int_t
ngx_kmip_op_create_templated(ngx_kmip_op_ctx_t *ctx)
{
    return ngx_kmip_op_store_made(ctx, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                                  ngx_kmip_op_create_material);
}


/*
 * A new object of the type, of the request's attributes, completed by
 * make() (its material, its own fields) and stored; NGX_DECLINED from
 * either step means the result is failed already
 */

ngx_int_t
ngx_kmip_op_store_made(ngx_kmip_op_ctx_t *ctx, uint32_t type,
    ngx_kmip_op_apply_pt make)
{
    ngx_int_t           rc;
    ngx_kmip_object_t  *obj;

    rc = ngx_kmip_op_new_object(ctx, type, &obj);

    if (rc == NGX_OK) {
        rc = make(ctx, obj);
    }

    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    return ngx_kmip_op_store_new(ctx, obj);
}


/*
 * The material of a key the server makes, of its Cryptographic Algorithm
 * and Length, and the generator that made it: from the private DRBG, as
 * OpenSSL advises for secret keys; DES keys get their parity bits set by
 * OpenSSL's own key generation. NGX_DECLINED: ctx->out says why not.
 */

static ngx_int_t
ngx_kmip_op_create_material(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    u_char            *p;
    int64_t            bytes;
    ngx_int_t          rc;
    ngx_str_t         *secret;
    const EVP_CIPHER  *cipher;

    rc = ngx_kmip_op_create_length(ctx, obj, &bytes, &cipher);

    if (rc == NGX_OK) {
        rc = ngx_kmip_op_create_rng(ctx, obj);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    p = ngx_kmip_op_secret(ctx->r, (size_t) bytes, &secret);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (cipher == NULL) {
        if (RAND_priv_bytes(p, (int) bytes) != 1) {
            return NGX_ERROR;
        }

    } else if (ngx_kmip_op_des_key(cipher, p, (size_t) bytes) != NGX_OK) {
        return NGX_ERROR;
    }

    obj->material = *secret;

    return NGX_OK;
}


/* Re-key's replacement key (ngx_kmip_op_create.h) */

ngx_int_t
ngx_kmip_op_new_identity(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    if (ngx_kmip_op_uuid(ctx->r, &obj->uid) != NGX_OK
        || ngx_kmip_op_server_attrs(ctx, obj) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_create_key(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_int_t  rc;

    if (ngx_kmip_op_new_identity(ctx, obj) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_kmip_op_create_material(ctx, obj);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_kmip_op_digest(ctx->r, obj);
}


/*
 * The symmetric keys Create makes: each algorithm's default length and the
 * lengths it takes, in bits. An HMAC key takes any whole number of bytes
 * from the hash's output size (RFC 2104 2: shorter keys are "strongly
 * discouraged") to its block size, its default the output size.
 */

typedef struct {
    int64_t                     algorithm;
    int64_t                     dflt;
    int64_t                     min;            /* 0: only those in */
    int64_t                     max;
    int64_t                     lengths[4];     /* 0-terminated */
    const char                 *name;
} ngx_kmip_op_keysize_t;


static const ngx_kmip_op_keysize_t  ngx_kmip_op_keysizes[] = {
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES, 256, 0, 0, { 128, 192, 256 },
      "AES" },
    /* two keys (112 bits, 128 with the parity bits) or three (168, 192);
       the length is kept as the client gave it */
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES, 168, 0, 0,
      { 112, 128, 168, 192 }, "Triple DES" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CHACHA20, 256, 0, 0, { 256 },
      "ChaCha20" },
    /* the other block ciphers KMIP names, for clients that keep keys of
       them here (PyKMIP's suite makes IDEA keys); random bytes */
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CAMELLIA, 256, 0, 0,
      { 128, 192, 256 }, "Camellia" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_TWOFISH, 256, 0, 0,
      { 128, 192, 256 }, "Twofish" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_IDEA, 128, 0, 0, { 128 }, "IDEA" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_CAST5, 128, 40, 128, { 0 },
      "CAST5" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_BLOWFISH, 128, 32, 448, { 0 },
      "Blowfish" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA1, 160, 160, 512, { 0 },
      "HMAC-SHA1" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA224, 224, 224, 512, { 0 },
      "HMAC-SHA224" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA256, 256, 256, 512, { 0 },
      "HMAC-SHA256" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA384, 384, 384, 1024, { 0 },
      "HMAC-SHA384" },
    { NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA512, 512, 512, 1024, { 0 },
      "HMAC-SHA512" },
    { 0, 0, 0, 0, { 0 }, NULL }
};


static ngx_uint_t
ngx_kmip_op_keysize_ok(const ngx_kmip_op_keysize_t *ks, int64_t len)
{
    ngx_uint_t  i;

    if (ks->min) {
        return len >= ks->min && len <= ks->max && len % 8 == 0;
    }

    for (i = 0; i < 4 && ks->lengths[i]; i++) {
        if (ks->lengths[i] == len) {
            return 1;
        }
    }

    return 0;
}


/*
 * The key's size from its Cryptographic Algorithm and Length (the length
 * set to the algorithm's default when none is given), and the cipher
 * whose key generation makes it (NULL: random bytes)
 */

static ngx_int_t
ngx_kmip_op_create_length(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj,
    int64_t *size, const EVP_CIPHER **cipher)
{
    u_char                       *p, *last, lengths[64];
    int64_t                       alg, len;
    ngx_uint_t                    i;
    ngx_kmip_req_t               *r = ctx->r;
    const ngx_kmip_op_keysize_t  *ks;

    last = lengths + sizeof(lengths);

    alg = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Algorithm",
                               -1);
    len = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Length", -1);

    if (alg == -1) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "Create needs a Cryptographic "
                                    "Algorithm");
        return NGX_DECLINED;
    }

    for (ks = ngx_kmip_op_keysizes; ks->name; ks++) {
        if (ks->algorithm == alg) {
            break;
        }
    }

    if (ks->name == NULL) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Create makes keys of block ciphers, "
                                    "ChaCha20 and HMAC; Create Key Pair "
                                    "makes asymmetric ones");
        return NGX_DECLINED;
    }

    if (len == -1) {
        len = ks->dflt;

        if (ngx_kmip_op_set_num(r, &obj->attributes, "Cryptographic Length",
                                NGX_KMIP_TYPE_INTEGER, len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (!ngx_kmip_op_keysize_ok(ks, len)) {
        p = ks->min ? ngx_slprintf(lengths, last, "%L to %L", ks->min,
                                   ks->max)
                    : ngx_slprintf(lengths, last, "%L", ks->lengths[0]);

        for (i = 1; ks->min == 0 && i < 4 && ks->lengths[i]; i++) {
            p = ngx_slprintf(p, last, "%s%L",
                             (i == 3 || ks->lengths[i + 1] == 0) ? " or "
                                                                 : ", ",
                             ks->lengths[i]);
        }

        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "%s keys are %*s bits long, not %L",
                                    ks->name, (size_t) (p - lengths),
                                    lengths, len);
        return NGX_DECLINED;
    }

    *cipher = NULL;
    *size = len / 8;

    if (alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES) {
        *size = (len == 112 || len == 128) ? 16 : 24;
        *cipher = (*size == 16) ? EVP_des_ede_cbc() : EVP_des_ede3_cbc();
    }

    return NGX_OK;
}


/* the generator: the server's, and any the client asks for is it */

ngx_int_t
ngx_kmip_op_create_rng(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_uint_t        matched;
    ngx_kmip_req_t   *r = ctx->r;
    ngx_kmip_attr_t  *at;
    ngx_kmip_item_t  *rng;

    rng = ngx_kmip_op_rng_value(r);
    if (rng == NULL) {
        return NGX_ERROR;
    }

    matched = 1;

    for (at = obj->attributes.first; at; at = at->next) {
        if (ngx_kmip_attr_name_is(at, "Random Number Generator")) {
            matched = ngx_kmip_op_rng_matches(at->value, rng);
            if (matched) {
                break;
            }
        }
    }

    if (!matched) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "the server's random number generator "
                                    "is not the one asked for");
        return NGX_DECLINED;
    }

    (void) ngx_kmip_attrs_remove(&obj->attributes,
                                 (u_char *) "Random Number Generator", 23, -1);

    if (ngx_kmip_attrs_set(&r->alloc, &obj->attributes,
                           "Random Number Generator", rng)
        == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_op_key_block(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_given_t *g)
{
    ngx_str_t              *material = &g->material;
    ngx_kmip_req_t         *r = ctx->r;
    const ngx_kmip_item_t  *block = g->block;
    const ngx_kmip_item_t  *kft, *kv, *km, *key, *a, *l, *kwd;

    if (block == NULL || block->type != NGX_KMIP_TYPE_STRUCTURE) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "the object has no Key Block");
        return NGX_DECLINED;
    }

    kft = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_KEY_FORMAT_TYPE);
    kv = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_KEY_VALUE);
    km = ngx_kmip_ttlv_find(kv, NGX_KMIP_TAG_KEY_MATERIAL);
    kwd = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_KEY_WRAPPING_DATA);

    a = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM);
    l = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH);

    g->alg = (a && a->type == NGX_KMIP_TYPE_ENUMERATION) ? a->v.num : -1;
    g->len = (l && l->type == NGX_KMIP_TYPE_INTEGER) ? l->v.num : -1;

    if (kwd && kft && kv) {
        return ngx_kmip_op_key_block_wrapped(ctx, g, kwd, kv);
    }

    if (kft == NULL || kv == NULL || kv->type != NGX_KMIP_TYPE_STRUCTURE
        || km == NULL)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "the Key Block needs a Key Format Type "
                                    "and a Key Value with Key Material");
        return NGX_DECLINED;
    }

    if (km->type == NGX_KMIP_TYPE_BYTE_STRING
        && (kft->v.num == NGX_KMIP_KEY_FORMAT_TYPE_RAW
            || kft->v.num == NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE))
    {
        key = km;

    } else if (km->type == NGX_KMIP_TYPE_STRUCTURE
               && kft->v.num
                  == NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_SYMMETRIC_KEY)
    {
        key = ngx_kmip_ttlv_find(km, NGX_KMIP_TAG_KEY);

        if (key == NULL || key->type != NGX_KMIP_TYPE_BYTE_STRING) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Transparent Symmetric Key without "
                                        "a Key");
            return NGX_DECLINED;
        }

    } else {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_KFT_NOT_SUPPORTED,
                                    "Key Format Type %L is not supported",
                                    kft->v.num);
        return NGX_DECLINED;
    }

    if (key->v.str.len == 0 || key->v.str.len > NGX_KMIP_MATERIAL_MAX) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "key material of %uz bytes: 1 to %d "
                                    "are stored", key->v.str.len,
                                    NGX_KMIP_MATERIAL_MAX);
        return NGX_DECLINED;
    }

    material->data = (u_char *) key->v.str.data;
    material->len = key->v.str.len;

    return NGX_OK;
}


/*
 * A Key Block wrapped by its client (Key Wrapping Data): kept wrapped as
 * given, the Key Wrapping Data among the object's fields, answered as
 * registered (ngx_kmip_op_get.c). The material is the wrapped Key Value
 * (a Byte String), or with No Encoding the Key Value's wrapped Key
 * Material; the server cannot check it, nor use it.
 */

static ngx_int_t
ngx_kmip_op_key_block_wrapped(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_given_t *g,
    const ngx_kmip_item_t *kwd, const ngx_kmip_item_t *kv)
{
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_item_t        *copy;
    const ngx_kmip_item_t  *wrapped;

    wrapped = (kv->type == NGX_KMIP_TYPE_STRUCTURE)
              ? ngx_kmip_ttlv_find(kv, NGX_KMIP_TAG_KEY_MATERIAL) : kv;

    if (kwd->type != NGX_KMIP_TYPE_STRUCTURE
        || ngx_kmip_ttlv_find(kwd, NGX_KMIP_TAG_WRAPPING_METHOD) == NULL
        || wrapped == NULL || wrapped->type != NGX_KMIP_TYPE_BYTE_STRING
        || wrapped->v.str.len == 0
        || wrapped->v.str.len > NGX_KMIP_MATERIAL_MAX)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "a wrapped Key Block needs Key Wrapping "
                                    "Data with a Wrapping Method and 1 to "
                                    "%d bytes of wrapped Key Value",
                                    NGX_KMIP_MATERIAL_MAX);
        return NGX_DECLINED;
    }

    if (g->fields == NULL) {
        g->fields = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_KEY_BLOCK,
                                           NGX_KMIP_TYPE_STRUCTURE);
    }

    copy = ngx_kmip_ttlv_item_copy(&r->alloc, kwd);

    if (g->fields == NULL || copy == NULL) {
        return NGX_ERROR;
    }

    ngx_kmip_ttlv_item_append(g->fields, copy);

    g->material.data = (u_char *) wrapped->v.str.data;
    g->material.len = wrapped->v.str.len;
    g->wrapped = 1;

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_register(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    uint32_t            type;
    ngx_int_t           rc;
    ngx_kmip_op_ctx_t  *ctx;

    ctx = ngx_kmip_op_new_begin(r, in, out, &type, &rc);
    if (ctx == NULL) {
        return rc;
    }

    ctx->data = (void *) (uintptr_t) type;

    return ngx_kmip_op_templates(ctx, ngx_kmip_op_template_containers,
                                 ngx_kmip_op_register_templated);
}


static ngx_int_t
ngx_kmip_op_register_templated(ngx_kmip_op_ctx_t *ctx)
{
    uint32_t            type;
    ngx_int_t           rc;
    ngx_kmip_object_t  *obj;

    type = (uint32_t) (uintptr_t) ctx->data;
    ctx->data = NULL;

    rc = ngx_kmip_op_register_object(ctx, type, ngx_kmip_op_new_object, &obj);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    if (type == NGX_KMIP_OBJECT_TYPE_TEMPLATE) {
        /* a template's name must find it alone */
        ctx->obj = obj;
        return ngx_kmip_op_template_unique(ctx, ngx_kmip_op_register_new);
    }

    return ngx_kmip_op_store_new(ctx, obj);
}


static ngx_int_t
ngx_kmip_op_register_new(ngx_kmip_op_ctx_t *ctx)
{
    return ngx_kmip_op_store_new(ctx, ctx->obj);
}


/* Register's object, and Import's (ngx_kmip_op_create.h) */

ngx_int_t
ngx_kmip_op_register_object(ngx_kmip_op_ctx_t *ctx, uint32_t type,
    ngx_kmip_op_new_pt new_object, ngx_kmip_object_t **objp)
{
    u_char                 *p;
    ngx_int_t               rc;
    ngx_str_t              *secret;
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_object_t      *obj;
    ngx_kmip_op_given_t     given;
    const ngx_kmip_item_t  *kft;

    if (ngx_kmip_op_pkey_type(type)) {
        /* keys of public key cryptography, certificates: their own file */

        rc = new_object(ctx, type, objp);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_kmip_op_pkey_register(ctx, *objp);
    }

    rc = ngx_kmip_op_register_given(ctx, type, &given);

    if (rc == NGX_OK) {
        rc = new_object(ctx, type, &obj);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    obj->subtype = given.subtype;
    obj->fields = given.fields;

    /* the format it came in, for Get to answer in (KMIP 2.1 6.1.19) */

    kft = ngx_kmip_ttlv_find(given.block, NGX_KMIP_TAG_KEY_FORMAT_TYPE);

    if (kft
        && ngx_kmip_op_set_num(r, &obj->attributes, "Key Format Type",
                               NGX_KMIP_TYPE_ENUMERATION, kft->v.num)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (type == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
        || type == NGX_KMIP_OBJECT_TYPE_SPLIT_KEY)
    {
        rc = ngx_kmip_op_register_key(ctx, obj, &given);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    /* the client's bytes are copied into a buffer wiped with the request */

    p = ngx_kmip_op_secret(r, given.material.len, &secret);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, given.material.data, given.material.len);
    obj->material = *secret;
    *objp = obj;

    return NGX_OK;
}


/*
 * What the client gives of an object of the type: its material, Key
 * Block (none for an Opaque Object) and subtype
 */

static ngx_int_t
ngx_kmip_op_register_given(ngx_kmip_op_ctx_t *ctx, uint32_t type,
    ngx_kmip_op_given_t *g)
{
    ngx_int_t                 rc;
    ngx_kmip_req_t           *r = ctx->r;
    const ngx_kmip_item_t    *o, *st;
    ngx_kmip_request_item_t  *in = ctx->in;

    g->subtype = 0;
    g->alg = -1;
    g->len = -1;
    g->block = NULL;
    g->fields = NULL;
    g->wrapped = 0;

    switch (type) {

    case NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY:
        o = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_SYMMETRIC_KEY);
        g->block = ngx_kmip_ttlv_find(o, NGX_KMIP_TAG_KEY_BLOCK);
        return ngx_kmip_op_key_block(ctx, g);

    case NGX_KMIP_OBJECT_TYPE_SECRET_DATA:
        o = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_SECRET_DATA);
        st = ngx_kmip_op_need(r, ctx->out, o, NGX_KMIP_TAG_SECRET_DATA_TYPE,
                              NGX_KMIP_TYPE_ENUMERATION,
                              "Secret Data needs a Secret Data Type");
        if (st == NULL) {
            return NGX_DECLINED;
        }

        g->subtype = (uint32_t) st->v.num;
        g->block = ngx_kmip_ttlv_find(o, NGX_KMIP_TAG_KEY_BLOCK);
        return ngx_kmip_op_key_block(ctx, g);

    case NGX_KMIP_OBJECT_TYPE_SPLIT_KEY:
        o = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_SPLIT_KEY);

        rc = ngx_kmip_op_split_key_fields(ctx, o, g);
        if (rc != NGX_OK) {
            return rc;
        }

        g->block = ngx_kmip_ttlv_find(o, NGX_KMIP_TAG_KEY_BLOCK);
        return ngx_kmip_op_key_block(ctx, g);

    case NGX_KMIP_OBJECT_TYPE_PGP_KEY:
        if (r->version < NGX_KMIP_VERSION(1, 2)) {
            break;
        }

        o = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_PGP_KEY);

        rc = ngx_kmip_op_pgp_key_fields(ctx, o, g);
        if (rc != NGX_OK) {
            return rc;
        }

        g->block = ngx_kmip_ttlv_find(o, NGX_KMIP_TAG_KEY_BLOCK);
        return ngx_kmip_op_key_block(ctx, g);

    case NGX_KMIP_OBJECT_TYPE_CERTIFICATE_REQUEST:
        if (r->version < NGX_KMIP_VERSION(2, 0)) {
            break;
        }

        return ngx_kmip_op_typed_bytes(ctx, NGX_KMIP_TAG_CERTIFICATE_REQUEST,
                                       NGX_KMIP_TAG_CERTIFICATE_REQUEST_TYPE,
                                       NGX_KMIP_TAG_CERTIFICATE_REQUEST_VALUE,
                                       "a Certificate Request", g);

    case NGX_KMIP_OBJECT_TYPE_TEMPLATE:
        if (r->version >= NGX_KMIP_VERSION(2, 0)) {
            /* gone in 2.0 */
            break;
        }

        o = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_TEMPLATE);
        return ngx_kmip_op_template_read(ctx, o, &g->material);

    case NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT:
        return ngx_kmip_op_typed_bytes(ctx, NGX_KMIP_TAG_OPAQUE_OBJECT,
                                       NGX_KMIP_TAG_OPAQUE_DATA_TYPE,
                                       NGX_KMIP_TAG_OPAQUE_DATA_VALUE,
                                       "an Opaque Object", g);

    default:
        break;
    }

    (void) ngx_kmip_result_fail(r, ctx->out, NGX_KMIP_REASON_INVALID_FIELD,
                                "Register takes Symmetric, Public, Private, "
                                "Split and PGP Keys, Certificates, "
                                "Certificate Requests (2.x), Templates "
                                "(1.x), Secret Data and Opaque Objects");
    return NGX_DECLINED;
}


/*
 * An object of a type and bytes, no Key Block (an Opaque Object, a
 * Certificate Request): the type its subtype, the bytes its material
 */

static ngx_int_t
ngx_kmip_op_typed_bytes(ngx_kmip_op_ctx_t *ctx, uint32_t tag,
    uint32_t type_tag, uint32_t value_tag, const char *what,
    ngx_kmip_op_given_t *g)
{
    const ngx_kmip_item_t  *o, *st, *dv;

    o = ngx_kmip_ttlv_find(ctx->in->payload, tag);
    st = ngx_kmip_ttlv_find(o, type_tag);
    dv = ngx_kmip_ttlv_find(o, value_tag);

    if (st == NULL || st->type != NGX_KMIP_TYPE_ENUMERATION
        || dv == NULL || dv->type != NGX_KMIP_TYPE_BYTE_STRING
        || dv->v.str.len == 0 || dv->v.str.len > NGX_KMIP_MATERIAL_MAX)
    {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "%s needs its %s and 1 to %d bytes of "
                                    "%s", what, ngx_kmip_tag_name(type_tag),
                                    NGX_KMIP_MATERIAL_MAX,
                                    ngx_kmip_tag_name(value_tag));
        return NGX_DECLINED;
    }

    g->subtype = (uint32_t) st->v.num;
    g->material.data = (u_char *) dv->v.str.data;
    g->material.len = dv->v.str.len;

    return NGX_OK;
}


/*
 * A PGP Key's PGP Key Version (1.4 2.2.9), kept as given for Get; its Key
 * Block an opaque blob, as the specification advises servers (2.1 2.4)
 */

static ngx_int_t
ngx_kmip_op_pgp_key_fields(ngx_kmip_op_ctx_t *ctx, const ngx_kmip_item_t *o,
    ngx_kmip_op_given_t *g)
{
    ngx_kmip_item_t  *v, *copy;

    v = ngx_kmip_op_need(ctx->r, ctx->out, o, NGX_KMIP_TAG_PGP_KEY_VERSION,
                         NGX_KMIP_TYPE_INTEGER,
                         "a PGP Key needs its PGP Key Version");
    if (v == NULL) {
        return NGX_DECLINED;
    }

    g->fields = ngx_kmip_ttlv_item_new(&ctx->r->alloc, NGX_KMIP_TAG_PGP_KEY,
                                       NGX_KMIP_TYPE_STRUCTURE);
    copy = ngx_kmip_ttlv_item_copy(&ctx->r->alloc, v);

    if (g->fields == NULL || copy == NULL) {
        return NGX_ERROR;
    }

    ngx_kmip_ttlv_item_append(g->fields, copy);

    return NGX_OK;
}


/*
 * A Split Key's fields (1.4 2.2.5): Split Key Parts, Key Part Identifier
 * and Split Key Threshold (Integers), Split Key Method (Enumeration), and
 * for the polynomial methods Prime Field Size (Big Integer); kept as
 * given, in that order, for Get to answer with
 */

static ngx_int_t
ngx_kmip_op_split_key_fields(ngx_kmip_op_ctx_t *ctx, const ngx_kmip_item_t *o,
    ngx_kmip_op_given_t *g)
{
    ngx_uint_t              i;
    ngx_kmip_item_t        *copy;
    ngx_kmip_req_t         *r = ctx->r;
    const ngx_kmip_item_t  *f;

    static const struct {
        uint32_t            tag;
        uint8_t             type;
        ngx_uint_t          required;
    } fields[] = {
        { NGX_KMIP_TAG_SPLIT_KEY_PARTS, NGX_KMIP_TYPE_INTEGER, 1 },
        { NGX_KMIP_TAG_KEY_PART_IDENTIFIER, NGX_KMIP_TYPE_INTEGER, 1 },
        { NGX_KMIP_TAG_SPLIT_KEY_THRESHOLD, NGX_KMIP_TYPE_INTEGER, 1 },
        { NGX_KMIP_TAG_SPLIT_KEY_METHOD, NGX_KMIP_TYPE_ENUMERATION, 1 },
        { NGX_KMIP_TAG_PRIME_FIELD_SIZE, NGX_KMIP_TYPE_BIG_INTEGER, 0 }
    };

    g->fields = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_SPLIT_KEY,
                                       NGX_KMIP_TYPE_STRUCTURE);
    if (g->fields == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        f = ngx_kmip_ttlv_find(o, fields[i].tag);

        if (f == NULL && !fields[i].required) {
            continue;
        }

        if (f == NULL || f->type != fields[i].type
            || (f->type == NGX_KMIP_TYPE_INTEGER && f->v.num < 1))
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "a Split Key needs its %s",
                                        ngx_kmip_tag_name(fields[i].tag));
            return NGX_DECLINED;
        }

        copy = ngx_kmip_ttlv_item_copy(&r->alloc, f);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        ngx_kmip_ttlv_item_append(g->fields, copy);
    }

    return NGX_OK;
}


/*
 * A Symmetric Key's Cryptographic Algorithm and Length: from its Key
 * Block, else its attributes; the length must be its material's
 */

static ngx_int_t
ngx_kmip_op_register_key(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj,
    ngx_kmip_op_given_t *g)
{
    int64_t          alg, len;
    size_t           n;
    ngx_kmip_req_t  *r = ctx->r;

    alg = g->alg;
    len = g->len;
    n = g->material.len;

    if (alg == -1) {
        alg = ngx_kmip_op_attr_num(&obj->attributes,
                                   "Cryptographic Algorithm", -1);
    }

    if (alg == -1) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "a Symmetric Key needs a "
                                    "Cryptographic Algorithm");
        return NGX_DECLINED;
    }

    if (g->wrapped) {
        /* the material is wrapped: the length is the key's, as given */

        if (len <= 0) {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_MISSING_DATA,
                                        "a wrapped key needs its "
                                        "Cryptographic Length");
            return NGX_DECLINED;
        }

    } else if (alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_3DES) {

        /* 16 bytes: two keys, 24: three; with or without parity */

        if ((n != 16 && n != 24)
            || (len != -1 && len != (int64_t) n * 8
                && len != (int64_t) n * 7))
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "a Triple DES key of %uz bytes "
                                        "and %L bits", n, len);
            return NGX_DECLINED;
        }

    } else if (len != -1 && len != (int64_t) n * 8) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Cryptographic Length %L does not "
                                    "match %uz bytes of key material",
                                    len, n);
        return NGX_DECLINED;
    }

    if (ngx_kmip_op_set_num(r, &obj->attributes,
                            "Cryptographic Algorithm",
                            NGX_KMIP_TYPE_ENUMERATION, alg) != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes,
                               "Cryptographic Length",
                               NGX_KMIP_TYPE_INTEGER,
                               len != -1 ? len : (int64_t) n * 8)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the link an existing object gets to a new one (ngx_kmip_op_create.h) */

typedef struct {
    uint32_t                    type;
    ngx_kmip_object_t          *made;
} ngx_kmip_op_link_back_t;


static ngx_int_t ngx_kmip_op_link_back_apply(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_linked_back(ngx_kmip_op_ctx_t *ctx);


ngx_int_t
ngx_kmip_op_link_back(ngx_kmip_op_ctx_t *ctx, ngx_str_t *uid, uint32_t type,
    ngx_kmip_object_t *made)
{
    ngx_kmip_op_link_back_t  *lb;

    lb = ngx_palloc(ctx->r->pool, sizeof(ngx_kmip_op_link_back_t));
    if (lb == NULL) {
        return NGX_ERROR;
    }

    lb->type = type;
    lb->made = made;

    ctx->data = lb;
    ctx->uid = *uid;

    return ngx_kmip_op_mutate(ctx, ngx_kmip_op_link_back_apply,
                              ngx_kmip_op_linked_back);
}


static ngx_int_t
ngx_kmip_op_link_back_apply(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_kmip_op_link_back_t  *lb = ctx->data;

    return ngx_kmip_op_add_link(ctx->r, &obj->attributes, lb->type,
                                &lb->made->uid);
}


static ngx_int_t
ngx_kmip_op_linked_back(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_link_back_t  *lb = ctx->data;

    ctx->r->object = lb->made;
    ctx->r->id_placeholder = lb->made->uid;

    return NGX_OK;
}
