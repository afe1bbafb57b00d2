
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_pkey.h"
#include "ngx_kmip_cert.h"


/*
 * Public Key, Private Key and Certificate objects (ngx_kmip_op_pkey.h).
 * What a key is (algorithm, length, curve) is read from its material, not
 * taken from the client: a declared Cryptographic Algorithm or Length
 * that is not the key's is refused, so that Locate and the cryptographic
 * operations can trust the attributes.
 */


/* a key or certificate kept by the store, in chunks when large */
#define NGX_KMIP_PKEY_MATERIAL_MAX  NGX_KMIP_STORE_MATERIAL_MAX


/* the certificate attributes Register sets, by the tag of their value */
typedef struct {
    uint32_t                    tag;
    const char                 *name;
} ngx_kmip_op_cert_attr_t;


static const ngx_kmip_op_cert_attr_t  ngx_kmip_op_cert_attrs[] = {
    { NGX_KMIP_TAG_CERTIFICATE_TYPE, "Certificate Type" },
    { NGX_KMIP_TAG_CERTIFICATE_LENGTH, "Certificate Length" },
    { NGX_KMIP_TAG_DIGITAL_SIGNATURE_ALGORITHM,
      "Digital Signature Algorithm" },
    { NGX_KMIP_TAG_X_509_CERTIFICATE_IDENTIFIER,
      "X.509 Certificate Identifier" },
    { NGX_KMIP_TAG_X_509_CERTIFICATE_SUBJECT, "X.509 Certificate Subject" },
    { NGX_KMIP_TAG_X_509_CERTIFICATE_ISSUER, "X.509 Certificate Issuer" },
    { NGX_KMIP_TAG_CERTIFICATE_IDENTIFIER, "Certificate Identifier" },
    { NGX_KMIP_TAG_CERTIFICATE_SUBJECT, "Certificate Subject" },
    { NGX_KMIP_TAG_CERTIFICATE_ISSUER, "Certificate Issuer" },
    { 0, NULL }
};


static ngx_int_t ngx_kmip_op_pkey_register_key(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_pkey_cert_attr(ngx_kmip_req_t *r,
    ngx_kmip_object_t *obj, ngx_kmip_cert_t *cert, uint32_t tag,
    const char *name);
static int ngx_kmip_op_pkey_inspect(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_key_t *key, ngx_kmip_key_info_t *info, uint32_t *actual);
static ngx_int_t ngx_kmip_op_pkey_declared(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj, const ngx_kmip_item_t *block,
    ngx_kmip_key_info_t *info);
static ngx_int_t ngx_kmip_op_pkey_register_cert(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_pkey_keep(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj, const uint8_t *data, size_t len);
static ngx_int_t ngx_kmip_op_pkey_refuse(ngx_kmip_op_ctx_t *ctx, int rc,
    ngx_kmip_keys_error_t *err, const char *what);
static void ngx_kmip_op_pkey_wipe(void *data);


ngx_uint_t
ngx_kmip_op_pkey_type(uint32_t object_type)
{
    return object_type == NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY
           || object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
           || object_type == NGX_KMIP_OBJECT_TYPE_CERTIFICATE;
}


uint32_t
ngx_kmip_op_pkey_stored_format(uint32_t object_type)
{
    return object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
           ? NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8 : NGX_KMIP_KEY_FORMAT_TYPE_X_509;
}


/* the format a key's kept bytes are in (its subtype; older: the stored
   format) */

static uint32_t
ngx_kmip_op_pkey_format(ngx_kmip_object_t *obj)
{
    return obj->subtype ? obj->subtype
                        : ngx_kmip_op_pkey_stored_format(obj->object_type);
}


static uint32_t
ngx_kmip_op_pkey_tag(uint32_t object_type)
{
    switch (object_type) {
    case NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY:
        return NGX_KMIP_TAG_PUBLIC_KEY;
    case NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY:
        return NGX_KMIP_TAG_PRIVATE_KEY;
    default:
        return NGX_KMIP_TAG_CERTIFICATE;
    }
}


ngx_int_t
ngx_kmip_op_pkey_register(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    if (obj->object_type == NGX_KMIP_OBJECT_TYPE_CERTIFICATE) {
        return ngx_kmip_op_pkey_register_cert(ctx, obj);
    }

    return ngx_kmip_op_pkey_register_key(ctx, obj);
}


static ngx_int_t
ngx_kmip_op_pkey_register_key(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    int                     rc;
    uint32_t                actual;
    ngx_int_t               drc;
    ngx_kmip_key_t          key;
    ngx_kmip_item_t        *stored;
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_key_info_t     info;
    ngx_kmip_keys_error_t   err;
    const ngx_kmip_item_t  *o, *block, *kft, *kv, *alg;

    o = ngx_kmip_ttlv_find(ctx->in->payload,
                           ngx_kmip_op_pkey_tag(obj->object_type));
    block = ngx_kmip_ttlv_find(o, NGX_KMIP_TAG_KEY_BLOCK);
    kft = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_KEY_FORMAT_TYPE);
    kv = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_KEY_VALUE);
    alg = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM);

    if (block == NULL || kft == NULL
        || kft->type != NGX_KMIP_TYPE_ENUMERATION || kv == NULL)
    {
        return ngx_kmip_op_pkey_refuse(ctx, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                       NULL, "the key needs a Key Block with "
                                       "a Key Format Type and a Key Value");
    }

    if (ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_KEY_WRAPPING_DATA)) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "wrapped key blocks are not supported "
                                    "for asymmetric keys");
        return NGX_DECLINED;
    }

    key.object_type = obj->object_type;
    key.format = (uint32_t) kft->v.num;
    key.algorithm = (alg && alg->type == NGX_KMIP_TYPE_ENUMERATION)
                    ? (uint32_t) alg->v.num : 0;
    key.material = ngx_kmip_ttlv_find(kv, NGX_KMIP_TAG_KEY_MATERIAL);

    rc = ngx_kmip_op_pkey_inspect(ctx, &key, &info, &actual);
    if (rc != NGX_KMIP_KEYS_OK) {
        return NGX_DECLINED;
    }

    drc = ngx_kmip_op_pkey_declared(ctx, obj, block, &info);
    if (drc != NGX_OK) {
        return drc;
    }

    /*
     * The bytes are kept as the client gave them, so that Get answers with
     * them as registered; a Transparent key, a structure, as DER of the
     * stored format. The object's subtype is the format its bytes are in,
     * where conversions start from; its Key Format Type attribute the one
     * the client named.
     */

    if (key.material->type == NGX_KMIP_TYPE_BYTE_STRING) {
        drc = ngx_kmip_op_pkey_keep(ctx, obj, key.material->v.str.data,
                                    key.material->v.str.len);

    } else {
        actual = ngx_kmip_op_pkey_stored_format(obj->object_type);

        rc = ngx_kmip_keys_convert(&r->alloc, &key, actual, &stored, &err);
        if (rc != NGX_KMIP_KEYS_OK) {
            return ngx_kmip_op_pkey_refuse(ctx, rc, &err, "the key");
        }

        drc = ngx_kmip_op_pkey_keep(ctx, obj, stored->v.str.data,
                                    stored->v.str.len);

        ngx_kmip_keys_wipe_item(stored);
    }

    if (drc != NGX_OK) {
        return drc;
    }

    obj->subtype = actual;

    if (ngx_kmip_op_set_num(r, &obj->attributes, "Key Format Type",
                            NGX_KMIP_TYPE_ENUMERATION, key.format)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The key read in the format the client named, else as DER of another
 * format of its kind: the KMIP 1.1 test documents (and PyKMIP's suite,
 * taken from them) give a PKCS#1 RSAPrivateKey as PKCS#8 and a PKCS#8 one
 * as Raw, and real clients repeat them; the key is then kept as given,
 * read as what it is, and a line says so. *actual: the format its bytes
 * are in. NGX_KMIP_KEYS_OK, or the code of the named format's refusal
 * with ctx->out failed.
 */

static const uint32_t  ngx_kmip_op_pkey_private_der[] = {
    NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8, NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1,
    NGX_KMIP_KEY_FORMAT_TYPE_ECPRIVATEKEY, 0
};

static const uint32_t  ngx_kmip_op_pkey_public_der[] = {
    NGX_KMIP_KEY_FORMAT_TYPE_X_509, NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1, 0
};


static int
ngx_kmip_op_pkey_inspect(ngx_kmip_op_ctx_t *ctx, ngx_kmip_key_t *key,
    ngx_kmip_key_info_t *info, uint32_t *actual)
{
    int                     rc;
    ngx_kmip_key_t          k;
    const uint32_t         *f;
    ngx_kmip_keys_error_t   err, err2;

    if (key->material == NULL) {
        rc = NGX_KMIP_KEYS_ERR_STRUCTURE;
        (void) ngx_kmip_op_pkey_refuse(ctx, rc, NULL,
                                       "the Key Value has no Key Material");
        return rc;
    }

    rc = ngx_kmip_keys_inspect(key, info, &err);

    if (rc == NGX_KMIP_KEYS_OK) {
        *actual = key->format;
        return rc;
    }

    f = (key->object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY)
        ? ngx_kmip_op_pkey_private_der : ngx_kmip_op_pkey_public_der;

    if ((rc == NGX_KMIP_KEYS_ERR_ENCODING || rc == NGX_KMIP_KEYS_ERR_FORMAT)
        && key->material->type == NGX_KMIP_TYPE_BYTE_STRING)
    {
        k = *key;

        for ( /* void */ ; *f; f++) {
            k.format = *f;

            if (*f != key->format
                && ngx_kmip_keys_inspect(&k, info, &err2) == NGX_KMIP_KEYS_OK)
            {
                ngx_log_error(NGX_LOG_INFO, ctx->r->log, 0,
                              "kmip: a key registered as Key Format Type "
                              "%uD is DER of Key Format Type %uD: kept as "
                              "given", key->format, *f);
                *actual = *f;
                return NGX_KMIP_KEYS_OK;
            }
        }
    }

    (void) ngx_kmip_op_pkey_refuse(ctx, rc, &err, "the key");

    return rc;
}


/*
 * The Cryptographic Algorithm and Length the Key Block or the attributes
 * declare must be the key's (EC keys may be declared EC, ECDSA, ECDH or
 * ECMQV, as the client means to use them); what is not declared is set
 * from the key
 */

static ngx_int_t
ngx_kmip_op_pkey_declared(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj,
    const ngx_kmip_item_t *block, ngx_kmip_key_info_t *info)
{
    int                     rc;
    int64_t                 alg, len;
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_keys_error_t   err;
    const ngx_kmip_item_t  *a, *l;

    a = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM);
    l = ngx_kmip_ttlv_find(block, NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH);

    alg = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Algorithm",
                               (a && a->type == NGX_KMIP_TYPE_ENUMERATION)
                               ? a->v.num : 0);
    len = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Length",
                               (l && l->type == NGX_KMIP_TYPE_INTEGER)
                               ? l->v.num : 0);

    if (alg < 0 || alg > 0xffffffff || len < 0 || len > 0x7fffffff) {
        return ngx_kmip_op_pkey_refuse(ctx, NGX_KMIP_KEYS_ERR_MISMATCH, NULL,
                                       "the declared algorithm or length");
    }

    rc = ngx_kmip_keys_check_declared(info, (uint32_t) alg, (int32_t) len,
                                      &err);

    if (rc == NGX_KMIP_KEYS_ERR_MISMATCH
        && ngx_kmip_keys_check_declared(info, (uint32_t) alg, 0, &err)
           == NGX_KMIP_KEYS_OK)
    {
        /*
         * only the length is not the key's (PyKMIP's suite declares its
         * 1024-bit test key 2048): the attribute says what the key is
         */
        ngx_log_error(NGX_LOG_INFO, r->log, 0,
                      "kmip: a key registered as %L bits has %D: its "
                      "Cryptographic Length says %D", len, info->length,
                      info->length);
        rc = NGX_KMIP_KEYS_OK;
    }

    if (rc != NGX_KMIP_KEYS_OK) {
        return ngx_kmip_op_pkey_refuse(ctx, rc, &err, "the key");
    }

    if (ngx_kmip_op_set_num(r, &obj->attributes, "Cryptographic Algorithm",
                            NGX_KMIP_TYPE_ENUMERATION,
                            alg ? alg : info->algorithm) != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Cryptographic Length",
                               NGX_KMIP_TYPE_INTEGER, info->length)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * An X.509 certificate: its DER kept as given, and the attributes KMIP
 * derives from it, each in the versions that define it (the version table
 * filters the answers)
 */

static ngx_int_t
ngx_kmip_op_pkey_register_cert(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_kmip_req_t          *r = ctx->r;
    const ngx_kmip_item_t   *o, *ct, *cv;

    o = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_CERTIFICATE);
    ct = ngx_kmip_ttlv_find(o, NGX_KMIP_TAG_CERTIFICATE_TYPE);
    cv = ngx_kmip_ttlv_find(o, NGX_KMIP_TAG_CERTIFICATE_VALUE);

    if (ct == NULL || ct->type != NGX_KMIP_TYPE_ENUMERATION
        || cv == NULL || cv->type != NGX_KMIP_TYPE_BYTE_STRING)
    {
        return ngx_kmip_op_pkey_refuse(ctx, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                       NULL, "a Certificate needs a "
                                       "Certificate Type and a Certificate "
                                       "Value");
    }

    if (ngx_kmip_op_attr_num(&obj->attributes, "Certificate Type",
                             ct->v.num)
        != ct->v.num)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "the Certificate Type attribute is not "
                                    "the certificate's");
        return NGX_DECLINED;
    }

    if (ct->v.num != NGX_KMIP_CERTIFICATE_TYPE_X_509) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "the server keeps X.509 certificates "
                                    "only");
        return NGX_DECLINED;
    }

    return ngx_kmip_op_pkey_certificate(ctx, obj, cv->v.str.data,
                                        cv->v.str.len);
}


ngx_int_t
ngx_kmip_op_pkey_certificate(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj,
    const uint8_t *der, size_t len)
{
    int                             rc;
    uint32_t                        tag;
    ngx_kmip_req_t                 *r = ctx->r;
    ngx_kmip_cert_t                 cert;
    ngx_kmip_keys_error_t           err;
    const ngx_kmip_attr_spec_t     *spec;
    const ngx_kmip_op_cert_attr_t  *ca;

    rc = ngx_kmip_cert_parse(&r->alloc, der, len, &cert, &err);
    if (rc != NGX_KMIP_KEYS_OK) {
        return ngx_kmip_op_pkey_refuse(ctx, rc, &err, "the certificate");
    }

    for (ca = ngx_kmip_op_cert_attrs; ca->name; ca++) {
        if (ngx_kmip_op_pkey_cert_attr(r, obj, &cert, ca->tag, ca->name)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* 2.x: the names' components (2.1 4.6), each its own attribute */

    for (tag = NGX_KMIP_TAG_CERTIFICATE_SUBJECT_CN;
         tag <= NGX_KMIP_TAG_CERTIFICATE_ISSUER_DN_QUALIFIER;
         tag++)
    {
        spec = ngx_kmip_attr_spec_by_tag(tag);

        if (spec != NULL
            && ngx_kmip_op_pkey_cert_attr(r, obj, &cert, tag, spec->name)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    obj->subtype = NGX_KMIP_CERTIFICATE_TYPE_X_509;

    return ngx_kmip_op_pkey_keep(ctx, obj, der, len);
}


/* one attribute read from the certificate, if it has a value for it */

static ngx_int_t
ngx_kmip_op_pkey_cert_attr(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_kmip_cert_t *cert, uint32_t tag, const char *name)
{
    int                     rc;
    ngx_kmip_item_t        *v;
    ngx_kmip_keys_error_t   err;

    rc = ngx_kmip_cert_attribute(&r->alloc, cert, tag, &v, &err);

    if (rc == NGX_KMIP_KEYS_ERR_NOMEM) {
        return NGX_ERROR;
    }

    if (rc != NGX_KMIP_KEYS_OK || v == NULL) {
        /* a name the certificate lacks, an algorithm KMIP lacks */
        return NGX_OK;
    }

    v = ngx_kmip_item_retag(&r->alloc, v, NGX_KMIP_TAG_ATTRIBUTE_VALUE);

    if (v == NULL
        || ngx_kmip_attrs_set(&r->alloc, &obj->attributes, name, v) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the object's material in a buffer wiped with the request */

static ngx_int_t
ngx_kmip_op_pkey_keep(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj,
    const uint8_t *data, size_t len)
{
    u_char     *p;
    ngx_str_t  *secret;

    if (len == 0 || len > NGX_KMIP_PKEY_MATERIAL_MAX) {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "%uz bytes of key material or "
                                    "certificate: 1 to %d are stored", len,
                                    NGX_KMIP_PKEY_MATERIAL_MAX);
        return NGX_DECLINED;
    }

    p = ngx_kmip_op_secret(ctx->r, len, &secret);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, data, len);
    obj->material = *secret;

    return NGX_OK;
}


/* ------------------------------------------------------------------- Get */

void
ngx_kmip_op_pkey_key(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_kmip_key_t *key, ngx_kmip_item_t *material)
{
    ngx_memzero(material, sizeof(ngx_kmip_item_t));

    material->tag = NGX_KMIP_TAG_KEY_MATERIAL;
    material->type = NGX_KMIP_TYPE_BYTE_STRING;
    material->v.str.data = obj->material.data;
    material->v.str.len = obj->material.len;

    key->object_type = obj->object_type;
    key->format = ngx_kmip_op_pkey_format(obj);
    key->algorithm = (uint32_t) ngx_kmip_op_attr_num(&obj->attributes,
                                            "Cryptographic Algorithm", 0);
    key->material = material;
}


ngx_int_t
ngx_kmip_op_pkey_get(ngx_kmip_op_ctx_t *ctx, ngx_kmip_item_t *payload,
    int64_t kft, ngx_kmip_item_t **blockp)
{
    int                     rc;
    int64_t                 alg, len, registered;
    ngx_kmip_key_t          key;
    ngx_kmip_item_t        *o, *block, *km, stored;
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_object_t      *obj = ctx->obj;
    ngx_kmip_allocator_t   *a = &r->alloc;
    ngx_kmip_keys_error_t   err;

    o = ngx_kmip_ttlv_add_struct(a, payload,
                                 ngx_kmip_op_pkey_tag(obj->object_type));
    if (o == NULL) {
        return NGX_ERROR;
    }

    if (obj->object_type == NGX_KMIP_OBJECT_TYPE_CERTIFICATE) {
        *blockp = NULL;

        if (ngx_kmip_ttlv_add_enum(a, o, NGX_KMIP_TAG_CERTIFICATE_TYPE,
                                   NGX_KMIP_CERTIFICATE_TYPE_X_509) == NULL
            || ngx_kmip_ttlv_add_bytes(a, o, NGX_KMIP_TAG_CERTIFICATE_VALUE,
                                       obj->material.data, obj->material.len)
               == NULL)
        {
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    registered = ngx_kmip_op_attr_num(&obj->attributes, "Key Format Type",
                                      ngx_kmip_op_pkey_format(obj));
    kft = kft ? kft : registered;

    ngx_kmip_op_pkey_key(r, obj, &key, &stored);

    if (kft == registered
        && registered <= NGX_KMIP_KEY_FORMAT_TYPE_ECPRIVATEKEY)
    {
        /* a DER format, as registered: the client's own bytes */
        km = ngx_kmip_ttlv_item_copy(a, &stored);
        if (km == NULL) {
            return NGX_ERROR;
        }

    } else {
        rc = ngx_kmip_keys_convert(a, &key, (uint32_t) kft, &km, &err);
        if (rc != NGX_KMIP_KEYS_OK) {
            return ngx_kmip_op_pkey_refuse(ctx, rc, &err, "the key");
        }

        if (ngx_kmip_op_pkey_wipe_later(r, km) != NGX_OK) {
            ngx_kmip_keys_wipe_item(km);
            return NGX_ERROR;
        }
    }

    block = ngx_kmip_ttlv_add_struct(a, o, NGX_KMIP_TAG_KEY_BLOCK);

    if (block == NULL
        || ngx_kmip_ttlv_add_enum(a, block, NGX_KMIP_TAG_KEY_FORMAT_TYPE,
                                  (uint32_t) kft) == NULL)
    {
        return NGX_ERROR;
    }

    o = ngx_kmip_ttlv_add_struct(a, block, NGX_KMIP_TAG_KEY_VALUE);
    if (o == NULL) {
        return NGX_ERROR;
    }

    km->tag = NGX_KMIP_TAG_KEY_MATERIAL;
    ngx_kmip_ttlv_item_append(o, km);

    alg = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Algorithm",
                               -1);
    len = ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Length", -1);

    if ((alg != -1
         && ngx_kmip_ttlv_add_enum(a, block,
                                   NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                                   (uint32_t) alg) == NULL)
        || (len != -1
            && ngx_kmip_ttlv_add_integer(a, block,
                                         NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                                         (int32_t) len) == NULL))
    {
        return NGX_ERROR;
    }

    *blockp = block;

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_pkey_digested(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_str_t *bytes, uint32_t *kft)
{
    int                     rc;
    ngx_kmip_key_t          key;
    ngx_kmip_item_t         stored, *der;
    ngx_kmip_keys_error_t   err;

    *bytes = obj->material;
    *kft = 0;

    if (obj->object_type == NGX_KMIP_OBJECT_TYPE_CERTIFICATE) {
        return NGX_OK;
    }

    ngx_kmip_op_pkey_key(r, obj, &key, &stored);
    *kft = key.format;

    if (ngx_kmip_op_attr_num(&obj->attributes, "Cryptographic Algorithm", 0)
        != NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_RSA
        || key.format == NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1)
    {
        return NGX_OK;
    }

    rc = ngx_kmip_keys_convert(&r->alloc, &key,
                               NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1, &der, &err);
    if (rc != NGX_KMIP_KEYS_OK) {
        return NGX_ERROR;
    }

    if (ngx_kmip_op_pkey_wipe_later(r, der) != NGX_OK) {
        ngx_kmip_keys_wipe_item(der);
        return NGX_ERROR;
    }

    bytes->data = (u_char *) der->v.str.data;
    bytes->len = der->v.str.len;
    *kft = NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1;

    return NGX_OK;
}


/* ---------------------------------------------------------------- common */

/*
 * A refusal from the key layer in the request version's reason; what
 * names the thing refused
 */

static ngx_int_t
ngx_kmip_op_pkey_refuse(ngx_kmip_op_ctx_t *ctx, int rc,
    ngx_kmip_keys_error_t *err, const char *what)
{
    if (rc == NGX_KMIP_KEYS_ERR_NOMEM) {
        return NGX_ERROR;
    }

    (void) ngx_kmip_result_fail(ctx->r, ctx->out, ngx_kmip_keys_reason(rc),
                                "%s: %s", what,
                                (err && err->what)
                                ? err->what : ngx_kmip_keys_strerror(rc));
    return NGX_DECLINED;
}


ngx_int_t
ngx_kmip_op_pkey_wipe_later(ngx_kmip_req_t *r, ngx_kmip_item_t *item)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_kmip_op_pkey_wipe;
    cln->data = item;

    return NGX_OK;
}


static void
ngx_kmip_op_pkey_wipe(void *data)
{
    ngx_kmip_keys_wipe_item(data);
}
