
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_create.h"
#include "ngx_kmip_op_pkey.h"
#include "ngx_kmip_op_rekey.h"
#include "ngx_kmip_ca.h"
#include "ngx_kmip_cert.h"


/*
 * Certify (1.4 4.7, 2.1 6.1.6): a Certificate object issued by the
 * configured CA (kmip_ca_certificate, keys/ngx_kmip_ca.h) for a PKCS#10
 * request, DER or PEM. With the Unique Identifier of a Public Key, the
 * request must be for that key; the certificate gets a Public Key Link
 * to it, and the key a Certificate Link to the certificate, written after
 * the certificate as Derive Key links its base (should that write fail,
 * the item fails with it and the certificate, stored, keeps its link).
 * The certificate's attributes are the request's and those its DER
 * implies, as Register sets them; it is valid for kmip_ca_validity from
 * now. The ID Placeholder is the certificate.
 *
 * A request without a Unique Identifier is certified alone, linked to no
 * object: the ID Placeholder is not taken for the key (after a Create Key
 * Pair it names the private key). A Certify without a request, of a
 * Public Key alone, would need a subject KMIP does not carry: it is
 * refused as not supported.
 *
 * Re-certify (1.4 4.8, 2.1 6.1.45) renews a certificate for the same key:
 * the subject and key of the existing certificate, or a request for that
 * key. The new certificate replaces the existing one as Re-key replaces a
 * key (ngx_kmip_op_rekey.h: its likeness, the Offset, the Names moved,
 * Replaced and Replacement Object Links), and the Public Key's
 * Certificate Link then names it instead.
 */


typedef struct {
    ngx_kmip_ca_request_t       req;
    ngx_str_t                   key;        /* the Public Key, or empty */
    ngx_kmip_object_t          *cert;
} ngx_kmip_certify_t;


static ngx_int_t ngx_kmip_op_certify_request(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    ngx_kmip_ca_request_t *req, ngx_uint_t required);
static ngx_int_t ngx_kmip_op_certify_issue(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_ca_request_t *req, ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_recertify_renew(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_recertify_after(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_recertify_link(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *key);
static ngx_int_t ngx_kmip_op_certify_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_certify_make(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_certify_stored(ngx_kmip_op_ctx_t *ctx);


ngx_int_t
ngx_kmip_op_certify(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_int_t            rc;
    ngx_kmip_item_t     *uid;
    ngx_kmip_op_ctx_t   *ctx;
    ngx_kmip_certify_t  *cf;

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    cf = ngx_pcalloc(r->pool, sizeof(ngx_kmip_certify_t));

    if (ctx == NULL || cf == NULL) {
        return NGX_ERROR;
    }

    ctx->data = cf;

    rc = ngx_kmip_op_certify_request(r, in, out, &cf->req, 1);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    uid = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);

    if (uid == NULL) {
        /* the request alone: no Public Key object to link */
        return ngx_kmip_op_store_made(ctx, NGX_KMIP_OBJECT_TYPE_CERTIFICATE,
                                      ngx_kmip_op_certify_make);
    }

    if (ngx_kmip_op_get_uid(r, in, out, &ctx->uid) != NGX_OK) {
        return NGX_OK;
    }

    return ngx_kmip_op_load(ctx, 1, ngx_kmip_op_certify_loaded);
}


/*
 * The Certificate Request Type and the request: 1.x's Certificate
 * Request, 2.x's Certificate Request Value
 */

static ngx_int_t
ngx_kmip_op_certify_request(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_ca_request_t *req,
    ngx_uint_t required)
{
    ngx_kmip_item_t  *type, *value;

    type = ngx_kmip_ttlv_find(in->payload,
                              NGX_KMIP_TAG_CERTIFICATE_REQUEST_TYPE);
    value = ngx_kmip_ttlv_find(in->payload,
                               r->version >= NGX_KMIP_VERSION(2, 0)
                               ? NGX_KMIP_TAG_CERTIFICATE_REQUEST_VALUE
                               : NGX_KMIP_TAG_CERTIFICATE_REQUEST);

    if (type == NULL && value == NULL && !required) {
        return NGX_OK;
    }

    if (type == NULL && value == NULL) {
        (void) ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "the server certifies PKCS#10 requests: "
                                    "a Public Key alone names no subject");
        return NGX_DECLINED;
    }

    if (type == NULL || type->type != NGX_KMIP_TYPE_ENUMERATION
        || value == NULL || value->type != NGX_KMIP_TYPE_BYTE_STRING)
    {
        (void) ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "a certificate request needs its "
                                    "Certificate Request Type and its "
                                    "bytes");
        return NGX_DECLINED;
    }

    req->request_type = (uint32_t) type->v.num;
    req->request = value->v.str.data;
    req->request_len = value->v.str.len;

    return NGX_OK;
}


/* the Public Key the request must be for */

static ngx_int_t
ngx_kmip_op_certify_loaded(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_certify_t  *cf = ctx->data;

    if (ngx_kmip_op_gone(ctx)) {
        return NGX_OK;
    }

    if (ctx->obj->object_type != NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY
        || ctx->obj->material.len == 0)
    {
        return ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "object \"%V\" is not a Public Key",
                                    &ctx->uid);
    }

    /* a public key is kept as its SubjectPublicKeyInfo */

    cf->req.spki = ctx->obj->material.data;
    cf->req.spki_len = ctx->obj->material.len;
    cf->key = ctx->uid;

    return ngx_kmip_op_store_made(ctx, NGX_KMIP_OBJECT_TYPE_CERTIFICATE,
                                  ngx_kmip_op_certify_make);
}


static ngx_int_t
ngx_kmip_op_certify_make(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_int_t            rc;
    ngx_kmip_req_t      *r = ctx->r;
    ngx_kmip_certify_t  *cf = ctx->data;

    if (ngx_kmip_op_attr_num(&obj->attributes, "Certificate Type",
                             NGX_KMIP_CERTIFICATE_TYPE_X_509)
        != NGX_KMIP_CERTIFICATE_TYPE_X_509)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "the server issues X.509 certificates "
                                    "only");
        return NGX_DECLINED;
    }

    rc = ngx_kmip_op_certify_issue(ctx, &cf->req, obj);
    if (rc != NGX_OK) {
        return rc;
    }

    if (cf->key.len) {
        if (ngx_kmip_op_add_link(r, &obj->attributes,
                                 NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK,
                                 &cf->key)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ctx->respond = ngx_kmip_op_certify_stored;
    }

    cf->cert = obj;

    return NGX_OK;
}


/*
 * The certificate the CA issues for req, valid from now, into obj with
 * the attributes its DER implies
 */

static ngx_int_t
ngx_kmip_op_certify_issue(ngx_kmip_op_ctx_t *ctx, ngx_kmip_ca_request_t *req,
    ngx_kmip_object_t *obj)
{
    int                     rc;
    size_t                  len;
    uint8_t                *der;
    uint32_t                reason;
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_keys_error_t   err;

    req->not_before = (int64_t) ngx_time();
    req->not_after = req->not_before + r->conf->ca_validity;

    rc = ngx_kmip_ca_issue(&r->alloc, r->conf->ca, r->conf->ca_key, req,
                           &der, &len, &err);

    switch (rc) {

    case NGX_KMIP_KEYS_OK:
        break;

    case NGX_KMIP_KEYS_ERR_NOMEM:
        return NGX_ERROR;

    case NGX_KMIP_KEYS_ERR_INVALID:
    case NGX_KMIP_KEYS_ERR_ENCODING:
    case NGX_KMIP_KEYS_ERR_TRAILING:
    case NGX_KMIP_KEYS_ERR_STRUCTURE:
        reason = NGX_KMIP_REASON_INVALID_CSR;
        goto failed;

    case NGX_KMIP_KEYS_ERR_FORMAT:
        reason = NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED;
        goto failed;

    case NGX_KMIP_KEYS_ERR_CRYPTO:
        ngx_log_error(NGX_LOG_ERR, r->log, 0,
                      "kmip: a certificate could not be issued: %s",
                      err.what);
        reason = NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE;
        goto failed;

    default:
        /* another key than the Public Key's, a weak key */
        reason = NGX_KMIP_REASON_INVALID_FIELD;
        goto failed;
    }

    return ngx_kmip_op_pkey_certificate(ctx, obj, der, len);

failed:

    (void) ngx_kmip_result_fail(r, ctx->out, reason, "%s", err.what);

    return NGX_DECLINED;
}


/* the certificate stored: the Public Key gets its Certificate Link */

static ngx_int_t
ngx_kmip_op_certify_stored(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_certify_t  *cf = ctx->data;

    return ngx_kmip_op_link_back(ctx, &cf->key,
                                 NGX_KMIP_LINK_TYPE_CERTIFICATE_LINK,
                                 cf->cert);
}


/* ------------------------------------------------------------ Re-certify */


ngx_int_t
ngx_kmip_op_re_certify(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_int_t               rc;
    ngx_kmip_certify_t     *cf;
    ngx_kmip_op_replace_t  *rk;

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    rk = ngx_pcalloc(r->pool, sizeof(ngx_kmip_op_replace_t));
    cf = ngx_pcalloc(r->pool, sizeof(ngx_kmip_certify_t));

    if (rk == NULL || cf == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_kmip_op_certify_request(r, in, out, &cf->req, 0);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    rk->type = NGX_KMIP_OBJECT_TYPE_CERTIFICATE;
    rk->what = "Re-certify";
    rk->with_material = 1;
    rk->renew = ngx_kmip_op_recertify_renew;
    rk->after = ngx_kmip_op_recertify_after;
    rk->data = cf;

    return ngx_kmip_op_replace(r, in, out, rk);
}


/*
 * The new certificate: the existing one's subject and key (or the
 * request's, for the same key), and its Public Key Link
 */

static ngx_int_t
ngx_kmip_op_recertify_renew(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    int                     rc;
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_cert_t         cert;
    ngx_kmip_certify_t     *cf;
    ngx_kmip_keys_error_t   err;
    ngx_kmip_ca_request_t   req;
    ngx_kmip_op_replace_t  *rk = ctx->data;

    cf = rk->data;

    rc = ngx_kmip_cert_parse(&r->alloc, rk->material.data, rk->material.len,
                             &cert, &err);
    if (rc != NGX_KMIP_KEYS_OK) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "certificate \"%V\" does not parse: %s",
                                    &ctx->uid, err.what);
        return NGX_DECLINED;
    }

    req = cf->req;
    req.spki = cert.spki.data;
    req.spki_len = cert.spki.len;

    if (req.request_type == 0) {
        req.subject = cert.subject_der.data;
        req.subject_len = cert.subject_der.len;
    }

    if (ngx_kmip_op_new_identity(ctx, obj) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_kmip_op_certify_issue(ctx, &req, obj);
    if (rc != NGX_OK) {
        return rc;
    }

    (void) ngx_kmip_op_rekey_link(&rk->old->attributes,
                                  NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK,
                                  &cf->key);

    if (cf->key.len
        && ngx_kmip_op_add_link(r, &obj->attributes,
                                NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK,
                                &cf->key)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_kmip_op_digest(r, obj);
}


/* the Public Key's Certificate Link names the new certificate */

static ngx_int_t
ngx_kmip_op_recertify_after(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_replace_t  *rk = ctx->data;
    ngx_kmip_certify_t     *cf = rk->data;

    if (cf->key.len == 0) {
        return ngx_kmip_op_replaced(ctx);
    }

    ctx->uid = cf->key;
    ctx->retries = 0;

    return ngx_kmip_op_mutate(ctx, ngx_kmip_op_recertify_link,
                              ngx_kmip_op_replaced);
}


static ngx_int_t
ngx_kmip_op_recertify_link(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *key)
{
    ngx_kmip_attr_t        *at;
    ngx_kmip_item_t        *t, *id;
    ngx_kmip_op_replace_t  *rk = ctx->data;

    /* the link to the existing certificate goes, of the key's several */

    for (at = key->attributes.first; at; at = at->next) {
        if (at->value == NULL || !ngx_kmip_attr_name_is(at, "Link")) {
            continue;
        }

        t = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_LINK_TYPE);
        id = ngx_kmip_ttlv_find(at->value,
                                NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER);

        if (t && t->v.num == NGX_KMIP_LINK_TYPE_CERTIFICATE_LINK
            && id && id->type == NGX_KMIP_TYPE_TEXT_STRING
            && id->v.str.len == rk->uid.len
            && ngx_strncmp(id->v.str.data, rk->uid.data, rk->uid.len) == 0)
        {
            (void) ngx_kmip_attrs_remove(&key->attributes, at->name,
                                         at->name_len, at->index);
            break;
        }
    }

    return ngx_kmip_op_add_link(ctx->r, &key->attributes,
                                NGX_KMIP_LINK_TYPE_CERTIFICATE_LINK,
                                &rk->repl->uid);
}
