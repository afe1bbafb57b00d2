
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_create.h"
#include "ngx_kmip_op_pkey.h"
#include "ngx_kmip_op_keypair.h"
#include "ngx_kmip_op_work.h"
#include "ngx_kmip_op_template.h"


/*
 * Create Key Pair (KMIP 1.4 4.2, 2.1 6.1.4): a private key and its public
 * key, made by the keys/ layer, stored as two objects that link to each
 * other (Link Public Key / Private Key). Their attributes are the
 * request's common ones and each key's own (1.x Common, Private Key and
 * Public Key Template-Attribute; 2.x Common, Private Key and Public Key
 * Attributes).
 *
 * Generation is CPU work that can take a second (RSA 4096): with nginx's
 * thread pools it runs in the "default" pool (ngx_kmip_op_work.h), so
 * that the worker's other connections are not held up. Then the private
 * key is stored, then the public one; should the second write fail, the
 * private key is destroyed, so that no half of a pair is left behind.
 */


/* the generation, in the work's own block (ngx_kmip_op_work.h) */
typedef struct {
    ngx_kmip_op_keypair_t      *kp;
    ngx_kmip_keygen_t           gen;
    int                         rc;
    ngx_kmip_keys_error_t       err;
    ngx_kmip_keypair_t          pair;
} ngx_kmip_op_keygen_t;


static ngx_int_t ngx_kmip_op_keypair_templated(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_keypair_objects(ngx_kmip_op_keypair_t *kp);
static ngx_int_t ngx_kmip_op_keypair_params(ngx_kmip_op_keypair_t *kp);
static ngx_int_t ngx_kmip_op_keypair_common(ngx_kmip_req_t *r,
    const ngx_kmip_item_t *own, const ngx_kmip_item_t **common);
static ngx_int_t ngx_kmip_op_keypair_object(ngx_kmip_op_keypair_t *kp,
    uint32_t type, uint32_t own_v2, uint32_t own_v1,
    ngx_kmip_object_t **objp);
static ngx_int_t ngx_kmip_op_keypair_made(ngx_kmip_op_keypair_t *kp,
    int rc, ngx_kmip_keys_error_t *err, ngx_kmip_keypair_t *pair);
static ngx_int_t ngx_kmip_op_keypair_half(ngx_kmip_op_keypair_t *kp,
    ngx_kmip_object_t *obj, const uint8_t *der, size_t len,
    uint32_t link_type, ngx_kmip_object_t *other);
static ngx_int_t ngx_kmip_op_keypair_store_public(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_keypair_stored(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_keypair_undone(ngx_kmip_op_ctx_t *ctx);
static void ngx_kmip_op_keygen_work(void *data);
static void ngx_kmip_op_keygen_done(void *data, ngx_uint_t gone);


/*
 * Each container's templates apply to it alone, its own attributes over
 * its templates'; then a key's own container over the common one (1.4
 * 4.2: the order of precedence is a key's explicit attributes, its
 * templates', the common explicit ones, the common templates')
 */
static const uint32_t  ngx_kmip_op_keypair_containers[] = {
    NGX_KMIP_TAG_COMMON_TEMPLATE_ATTRIBUTE,
    NGX_KMIP_TAG_PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
    NGX_KMIP_TAG_PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
    0
};


ngx_int_t
ngx_kmip_op_create_key_pair(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_kmip_op_ctx_t      *ctx;
    ngx_kmip_op_keypair_t  *kp;

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    kp = ngx_pcalloc(r->pool, sizeof(ngx_kmip_op_keypair_t));

    if (ctx == NULL || kp == NULL) {
        return NGX_ERROR;
    }

    kp->ctx = ctx;
    kp->what = "Create Key Pair";
    kp->store = ngx_kmip_op_keypair_store;
    ctx->data = kp;

    /* the templates the three containers name (1.x), read first */

    return ngx_kmip_op_templates(ctx, ngx_kmip_op_keypair_containers,
                                 ngx_kmip_op_keypair_templated);
}


static ngx_int_t
ngx_kmip_op_keypair_templated(ngx_kmip_op_ctx_t *ctx)
{
    ngx_int_t               rc;
    ngx_kmip_op_keypair_t  *kp = ctx->data;

    rc = ngx_kmip_op_keypair_objects(kp);

    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    return ngx_kmip_op_keypair_generate(kp);
}


/* the two objects, each with the common attributes and its own */

static ngx_int_t
ngx_kmip_op_keypair_objects(ngx_kmip_op_keypair_t *kp)
{
    ngx_int_t  rc;

    rc = ngx_kmip_op_keypair_object(kp, NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY,
                           NGX_KMIP_TAG_PRIVATE_KEY_ATTRIBUTES,
                           NGX_KMIP_TAG_PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
                           &kp->priv);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_kmip_op_keypair_object(kp, NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY,
                           NGX_KMIP_TAG_PUBLIC_KEY_ATTRIBUTES,
                           NGX_KMIP_TAG_PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
                           &kp->pub);
}


/*
 * The common container as one key takes it: without the single-instance
 * attributes the key's own container gives, which take precedence (1.4
 * 4.2, 2.1 6.1.4), in *common; a container that does not parse is left
 * whole, for the attributes' own check to refuse
 */

static ngx_int_t
ngx_kmip_op_keypair_common(ngx_kmip_req_t *r, const ngx_kmip_item_t *own,
    const ngx_kmip_item_t **common)
{
    const char                  *err;
    ngx_kmip_attr_t              at;
    ngx_kmip_item_t             *kept, *copy;
    ngx_kmip_attrs_t             mine;
    const ngx_kmip_item_t       *item;
    const ngx_kmip_attr_spec_t  *s;

    ngx_memzero(&mine, sizeof(ngx_kmip_attrs_t));

    if (*common == NULL || own == NULL
        || (*common)->type != NGX_KMIP_TYPE_STRUCTURE
        || ngx_kmip_attrs_parse(&r->alloc, own, (unsigned) r->version, &mine,
                                &err)
           != 0)
    {
        return NGX_OK;
    }

    kept = ngx_kmip_ttlv_item_new(&r->alloc, (*common)->tag,
                                  NGX_KMIP_TYPE_STRUCTURE);
    if (kept == NULL) {
        return NGX_ERROR;
    }

    for (item = (*common)->v.kids.first; item; item = item->next) {
        if ((r->version >= NGX_KMIP_VERSION(2, 0)
             ? ngx_kmip_attr_parse_v2(&r->alloc, item, 0, &at, &err)
             : ngx_kmip_attr_parse_v1(&r->alloc, item, 0, &at, &err))
            == 0)
        {
            s = ngx_kmip_attr_spec(at.name, at.name_len);

            if (s && !(s->flags & NGX_KMIP_ATTR_MULTI)
                && ngx_kmip_attrs_find(&mine, (const char *) at.name,
                                       at.name_len, -1))
            {
                continue;
            }
        }

        copy = ngx_kmip_item_retag(&r->alloc, item, item->tag);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        ngx_kmip_ttlv_item_append(kept, copy);
    }

    *common = kept;

    return NGX_OK;
}


/* one key: the common container (2.x tag, 1.x tag), then its own */

static ngx_int_t
ngx_kmip_op_keypair_object(ngx_kmip_op_keypair_t *kp, uint32_t type,
    uint32_t own_v2, uint32_t own_v1, ngx_kmip_object_t **objp)
{
    ngx_int_t               rc;
    ngx_uint_t              n, v2;
    const ngx_kmip_item_t  *payload, *from[3], *own;

    payload = kp->ctx->in->payload;
    v2 = (kp->ctx->r->version >= NGX_KMIP_VERSION(2, 0));

    own = ngx_kmip_ttlv_find(payload, v2 ? own_v2 : own_v1);

    n = 0;
    from[n] = ngx_kmip_ttlv_find(payload,
                                 v2 ? NGX_KMIP_TAG_COMMON_ATTRIBUTES
                                    : NGX_KMIP_TAG_COMMON_TEMPLATE_ATTRIBUTE);

    if (ngx_kmip_op_keypair_common(kp->ctx->r, own, &from[n]) != NGX_OK) {
        return NGX_ERROR;
    }

    n += (from[n] != NULL);

    from[n] = own;
    n += (own != NULL);

    from[n] = NULL;

    rc = ngx_kmip_op_new_object_from(kp->ctx, type, from, objp);

    /* the server's generator makes the pair (1.4 3.44) */

    return rc == NGX_OK ? ngx_kmip_op_create_rng(kp->ctx, *objp) : rc;
}


/*
 * What to make: the Cryptographic Algorithm and Length, or the curve of
 * the Cryptographic Domain Parameters, which the two keys must agree on
 */

static ngx_int_t
ngx_kmip_op_keypair_params(ngx_kmip_op_keypair_t *kp)
{
    int                     rc;
    int64_t                 alg, len, pub_alg, pub_len;
    ngx_kmip_req_t         *r = kp->ctx->r;
    ngx_kmip_attr_t        *dp;
    ngx_kmip_item_t        *curve;
    ngx_kmip_key_info_t     info;
    ngx_kmip_keys_error_t   err;

    alg = ngx_kmip_op_attr_num(&kp->priv->attributes,
                               "Cryptographic Algorithm", -1);
    len = ngx_kmip_op_attr_num(&kp->priv->attributes,
                               "Cryptographic Length", 0);
    pub_alg = ngx_kmip_op_attr_num(&kp->pub->attributes,
                                   "Cryptographic Algorithm", alg);
    pub_len = ngx_kmip_op_attr_num(&kp->pub->attributes,
                                   "Cryptographic Length", len);

    if (alg == -1) {
        return ngx_kmip_result_fail(r, kp->ctx->out,
                                    NGX_KMIP_REASON_MISSING_DATA,
                                    "%s needs a Cryptographic Algorithm",
                                    kp->what)
               == NGX_OK ? NGX_DECLINED : NGX_ERROR;
    }

    if (pub_alg != alg || pub_len != len || len < 0 || len > 65536) {
        return ngx_kmip_result_fail(r, kp->ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "the private and public keys' "
                                    "Cryptographic Algorithm and Length "
                                    "must agree")
               == NGX_OK ? NGX_DECLINED : NGX_ERROR;
    }

    kp->gen.algorithm = (uint32_t) alg;
    kp->gen.length = (int32_t) len;

    dp = ngx_kmip_attrs_find(&kp->priv->attributes,
                             "Cryptographic Domain Parameters",
                             sizeof("Cryptographic Domain Parameters") - 1,
                             -1);
    curve = dp ? ngx_kmip_ttlv_find(dp->value, NGX_KMIP_TAG_RECOMMENDED_CURVE)
               : NULL;

    if (curve && curve->type == NGX_KMIP_TYPE_ENUMERATION) {
        kp->gen.curve = (uint32_t) curve->v.num;
    }

    rc = ngx_kmip_keys_generate_check(&kp->gen, &info, &err);

    if (rc != NGX_KMIP_KEYS_OK) {
        return ngx_kmip_result_fail(r, kp->ctx->out, ngx_kmip_keys_reason(rc),
                                    "%s: %s", kp->what, err.what)
               == NGX_OK ? NGX_DECLINED : NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_keypair_generate(ngx_kmip_op_keypair_t *kp)
{
    ngx_int_t              rc;
    ngx_kmip_req_t        *r = kp->ctx->r;
    ngx_kmip_op_keygen_t  *g;

    rc = ngx_kmip_op_keypair_params(kp);

    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    g = ngx_kmip_op_work_alloc(r, sizeof(ngx_kmip_op_keygen_t));
    if (g == NULL) {
        return NGX_ERROR;
    }

    g->kp = kp;
    g->gen = kp->gen;

    rc = ngx_kmip_op_work_post(r, g, ngx_kmip_op_keygen_work,
                               ngx_kmip_op_keygen_done);

    switch (rc) {

    case NGX_AGAIN:
        return NGX_AGAIN;

    case NGX_DECLINED:
        /* no thread pool (nginx built without threads): made here */
        ngx_kmip_op_keygen_work(g);
        rc = ngx_kmip_op_keypair_made(kp, g->rc, &g->err, &g->pair);
        break;

    case NGX_BUSY:
        /* a full queue: the client may try again, the worker goes on */
        rc = ngx_kmip_result_fail(r, kp->ctx->out,
                                  NGX_KMIP_REASON_GENERAL_FAILURE,
                                  "the server is too busy to make a key "
                                  "pair now");
        break;

    default:
        rc = NGX_ERROR;
        break;
    }

    ngx_kmip_keys_keypair_wipe(&g->pair);
    ngx_kmip_op_work_free(g);

    return rc;
}


/* in a thread: the keys/ layer only, the block's memory only */

static void
ngx_kmip_op_keygen_work(void *data)
{
    ngx_kmip_op_keygen_t  *g = data;

    g->rc = ngx_kmip_keys_generate(&g->gen, &g->pair, &g->err);
}


static void
ngx_kmip_op_keygen_done(void *data, ngx_uint_t gone)
{
    ngx_int_t              rc;
    ngx_kmip_op_keygen_t  *g = data;

    if (!gone) {
        rc = ngx_kmip_op_keypair_made(g->kp, g->rc, &g->err, &g->pair);
    }

    ngx_kmip_keys_keypair_wipe(&g->pair);

    if (!gone) {
        ngx_kmip_op_finish(g->kp->ctx, rc);
    }
}


/* the keys are made (or not): the two objects filled, then stored */

static ngx_int_t
ngx_kmip_op_keypair_made(ngx_kmip_op_keypair_t *kp, int rc,
    ngx_kmip_keys_error_t *err, ngx_kmip_keypair_t *pair)
{
    ngx_int_t        nrc;
    ngx_kmip_req_t  *r = kp->ctx->r;

    if (rc != NGX_KMIP_KEYS_OK) {
        if (rc == NGX_KMIP_KEYS_ERR_NOMEM) {
            return NGX_ERROR;
        }

        return ngx_kmip_result_fail(r, kp->ctx->out,
                                    ngx_kmip_keys_reason(rc),
                                    "%s: %s", kp->what, err->what);
    }

    nrc = ngx_kmip_op_keypair_half(kp, kp->priv, pair->private_der,
                                   pair->private_len,
                                   NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK,
                                   kp->pub);

    if (nrc == NGX_OK) {
        nrc = ngx_kmip_op_keypair_half(kp, kp->pub, pair->public_der,
                                       pair->public_len,
                                       NGX_KMIP_LINK_TYPE_PRIVATE_KEY_LINK,
                                       kp->priv);
    }

    if (nrc != NGX_OK) {
        return nrc;
    }

    if (ngx_kmip_op_set_num(r, &kp->priv->attributes, "Cryptographic Length",
                            NGX_KMIP_TYPE_INTEGER, pair->info.length)
           != NGX_OK
        || ngx_kmip_op_set_num(r, &kp->pub->attributes,
                               "Cryptographic Length", NGX_KMIP_TYPE_INTEGER,
                               pair->info.length)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return kp->store(kp->ctx);
}


/*
 * One key of the pair: its DER (PKCS#8, SubjectPublicKeyInfo) in a wiped
 * buffer, kept in the format the store keeps it in, its Digest, and its
 * Link to the other
 */

static ngx_int_t
ngx_kmip_op_keypair_half(ngx_kmip_op_keypair_t *kp, ngx_kmip_object_t *obj,
    const uint8_t *der, size_t len, uint32_t link_type,
    ngx_kmip_object_t *other)
{
    u_char           *p;
    ngx_str_t        *secret;
    ngx_kmip_req_t   *r = kp->ctx->r;
    ngx_kmip_item_t  *v;

    p = ngx_kmip_op_secret(r, len, &secret);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, der, len);
    obj->material = *secret;
    obj->subtype = ngx_kmip_op_pkey_stored_format(obj->object_type);

    v = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_STRUCTURE);

    if (v == NULL
        || ngx_kmip_ttlv_add_enum(&r->alloc, v, NGX_KMIP_TAG_LINK_TYPE,
                                  link_type) == NULL
        || ngx_kmip_ttlv_add_text(&r->alloc, v,
                                  NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER,
                                  other->uid.data, other->uid.len) == NULL
        || ngx_kmip_attrs_add(&r->alloc, &obj->attributes,
                              (const uint8_t *) "Link", 4, v)
           == NULL)
    {
        return NGX_ERROR;
    }

    return ngx_kmip_op_digest(r, obj);
}


ngx_int_t
ngx_kmip_op_keypair_store(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_keypair_t  *kp = ctx->data;

    return ngx_kmip_op_store_write(ctx, ngx_kmip_store_create, kp->priv,
                                   ngx_kmip_op_keypair_store_public);
}


static ngx_int_t
ngx_kmip_op_keypair_store_public(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_keypair_t  *kp = ctx->data;

    if (ngx_kmip_op_store_lost(ctx, "create")) {
        return NGX_OK;
    }

    return ngx_kmip_op_store_write(ctx, ngx_kmip_store_create, kp->pub,
                                   ngx_kmip_op_keypair_stored);
}


static ngx_int_t
ngx_kmip_op_keypair_stored(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_req_t         *r = ctx->r;
    ngx_kmip_op_keypair_t  *kp = ctx->data;

    if (ngx_kmip_op_store_lost(ctx, "create")) {
        /*
         * the public key was not stored: the private one goes too, its
         * answer the failure already given
         */
        return ngx_kmip_op_store_write(ctx, ngx_kmip_store_destroy,
                                       kp->priv, ngx_kmip_op_keypair_undone);
    }

    ngx_log_error(NGX_LOG_INFO, r->log, 0,
                  "kmip: key pair \"%V\" (private), \"%V\" (public) stored",
                  &kp->priv->uid, &kp->pub->uid);

    return kp->stored ? kp->stored(ctx) : ngx_kmip_op_keypair_respond(kp);
}


ngx_int_t
ngx_kmip_op_keypair_respond(ngx_kmip_op_keypair_t *kp)
{
    ngx_kmip_req_t   *r = kp->ctx->r;
    ngx_kmip_item_t  *payload;

    r->object = kp->priv;
    r->id_placeholder = kp->priv->uid;

    payload = ngx_kmip_payload_new(r);

    if (payload == NULL
        || ngx_kmip_ttlv_add_text(&r->alloc, payload,
                                  NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER,
                                  kp->priv->uid.data, kp->priv->uid.len)
           == NULL
        || ngx_kmip_ttlv_add_text(&r->alloc, payload,
                                  NGX_KMIP_TAG_PUBLIC_KEY_UNIQUE_IDENTIFIER,
                                  kp->pub->uid.data, kp->pub->uid.len)
           == NULL)
    {
        return NGX_ERROR;
    }

    kp->ctx->out->payload = payload;

    return NGX_OK;
}


/* the private key of a pair whose public key was not stored is gone */

static ngx_int_t
ngx_kmip_op_keypair_undone(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_keypair_t  *kp = ctx->data;

    if (ctx->sop->result != NGX_KMIP_STORE_OK) {
        ngx_log_error(NGX_LOG_ERR, ctx->r->log, 0,
                      "kmip: the private key \"%V\" of a key pair whose "
                      "public key was not stored could not be destroyed: "
                      "%V", &kp->priv->uid, &ctx->sop->error);
    }

    return NGX_OK;
}
