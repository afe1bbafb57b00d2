
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_create.h"
#include "ngx_kmip_op_keypair.h"
#include "ngx_kmip_op_rekey.h"


/*
 * Re-key Key Pair (KMIP 1.4 4.5, 2.1 6.1.47): a replacement for a private
 * key and its public key (the private key's Public Key Link), each the
 * likeness of the key it replaces as Re-key makes one (ngx_kmip_op_rekey.h),
 * made as Create Key Pair makes a pair (ngx_kmip_op_keypair.h): the same
 * algorithm and length or curve, new material, linked to each other.
 *
 * The writes follow Re-key's order, each existing key in turn, so that a
 * Locate by Name finds the keys a client should use whenever the
 * sequence stops (docs/key-protect.md, "Re-key"):
 *
 *   1. the existing private key, then the public key, gains a Replacement
 *      Object Link to its replacement's Unique Identifier, chosen
 *      beforehand (one link per key: an earlier one is replaced);
 *   2. the replacements are stored, private key first, as Create Key
 *      Pair stores a pair (the private key destroyed again should the
 *      public key fail);
 *   3. the existing private key, then the public key, loses its Names.
 *
 * Stopped after 1 or 2, the existing keys keep their Names and link to
 * replacements that are not there (or destroyed): a Re-key Key Pair run
 * again replaces the links. Stopped within 3, both generations are named:
 * a Re-key Key Pair of the existing private key, while a key of the pair
 * still has a Name and its replacement links back, completes step 3 and
 * answers with that pair.
 */


typedef struct {
    ngx_str_t                   priv;       /* the existing keys' */
    ngx_str_t                   pub;
    ngx_kmip_object_t          *old_priv;
    ngx_kmip_object_t          *old_pub;
    ngx_str_t                   seen;       /* the existing private key's
                                               Replacement Object Link */
    int64_t                     offset;     /* -1: no Offset */
    ngx_kmip_op_next_pt         then;       /* once steps 1 or 3 have
                                               changed both keys */
} ngx_kmip_rekeypair_t;


static ngx_int_t ngx_kmip_op_rekeypair_uid(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekeypair_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekeypair_public(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekeypair_probed(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekeypair_make(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekeypair_half(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *old, ngx_str_t *uid, ngx_kmip_object_t **objp);
static ngx_int_t ngx_kmip_op_rekeypair_mark(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekeypair_link(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_rekeypair_both(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_op_apply_pt apply, ngx_kmip_op_next_pt then);
static ngx_int_t ngx_kmip_op_rekeypair_changed(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekeypair_stored(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_rekeypair_unname(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_rekeypair_done(ngx_kmip_op_ctx_t *ctx);
static ngx_kmip_object_t *ngx_kmip_op_rekeypair_new(ngx_kmip_op_keypair_t *kp,
    ngx_kmip_object_t *old);
static ngx_int_t ngx_kmip_op_rekeypair_fail(ngx_kmip_op_ctx_t *ctx,
    uint32_t reason, const char *what, ngx_str_t *uid);


/* the containers whose attributes Re-key Key Pair does not take */

static const uint32_t  ngx_kmip_rekeypair_containers[] = {
    NGX_KMIP_TAG_COMMON_TEMPLATE_ATTRIBUTE,
    NGX_KMIP_TAG_PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
    NGX_KMIP_TAG_PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
    NGX_KMIP_TAG_COMMON_ATTRIBUTES,
    NGX_KMIP_TAG_PRIVATE_KEY_ATTRIBUTES,
    NGX_KMIP_TAG_PUBLIC_KEY_ATTRIBUTES,
    0
};


ngx_int_t
ngx_kmip_op_rekey_key_pair(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    int64_t                 offset;
    ngx_int_t               rc;
    const uint32_t         *tag;
    ngx_kmip_item_t        *attrs;
    ngx_kmip_op_ctx_t      *ctx;
    ngx_kmip_rekeypair_t   *rk;
    ngx_kmip_op_keypair_t  *kp;

    if (ngx_kmip_op_rekey_offset(r, in, out, &offset) != NGX_OK) {
        return NGX_OK;
    }

    /* the replacements are the existing keys' likeness, as Re-key's */

    for (tag = ngx_kmip_rekeypair_containers; *tag; tag++) {
        attrs = ngx_kmip_ttlv_find(in->payload, *tag);

        if (attrs && attrs->type == NGX_KMIP_TYPE_STRUCTURE
            && attrs->v.kids.first)
        {
            return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "Re-key Key Pair copies the existing "
                                    "keys' attributes: attributes in the "
                                    "request are not supported");
        }
    }

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    kp = ngx_pcalloc(r->pool, sizeof(ngx_kmip_op_keypair_t));
    rk = ngx_pcalloc(r->pool, sizeof(ngx_kmip_rekeypair_t));

    if (ctx == NULL || kp == NULL || rk == NULL) {
        return NGX_ERROR;
    }

    kp->ctx = ctx;
    kp->what = "Re-key Key Pair";
    kp->store = ngx_kmip_op_rekeypair_mark;
    kp->stored = ngx_kmip_op_rekeypair_stored;
    kp->data = rk;
    ctx->data = kp;
    rk->offset = offset;

    rc = ngx_kmip_op_rekeypair_uid(ctx);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    rk->priv = ctx->uid;

    return ngx_kmip_op_load(ctx, 0, ngx_kmip_op_rekeypair_loaded);
}


/* the Private Key Unique Identifier, or the ID Placeholder */

static ngx_int_t
ngx_kmip_op_rekeypair_uid(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_req_t   *r = ctx->r;
    ngx_kmip_item_t  *item;

    item = ngx_kmip_ttlv_find(ctx->in->payload,
                              NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER);

    if (item == NULL) {
        return ngx_kmip_op_get_uid(r, ctx->in, ctx->out, &ctx->uid);
    }

    if (item->type != NGX_KMIP_TYPE_TEXT_STRING || item->v.str.len == 0) {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Private Key Unique Identifier is not "
                                    "a non-empty Text String");
        return NGX_DECLINED;
    }

    ctx->uid.data = (u_char *) item->v.str.data;
    ctx->uid.len = item->v.str.len;

    return NGX_OK;
}


/* the existing private key read: its public key is read next */

static ngx_int_t
ngx_kmip_op_rekeypair_loaded(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_keypair_t  *kp = ctx->data;
    ngx_kmip_rekeypair_t   *rk = kp->data;

    if (ngx_kmip_op_gone(ctx)) {
        return NGX_OK;
    }

    if (ctx->obj->object_type != NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY) {
        return ngx_kmip_op_rekeypair_fail(ctx,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "is not a private key: Re-key Key Pair "
                                    "replaces a private key and its public "
                                    "key", &rk->priv);
    }

    if (ngx_kmip_op_rekey_link(&ctx->obj->attributes,
                               NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK, &rk->pub)
        == NULL)
    {
        return ngx_kmip_op_rekeypair_fail(ctx,
                                    NGX_KMIP_REASON_ILLEGAL_OPERATION,
                                    "has no Public Key Link: Re-key Key "
                                    "Pair replaces a pair", &rk->priv);
    }

    return ngx_kmip_op_store_fetch(ctx, &rk->pub, 0,
                                   ngx_kmip_op_rekeypair_public);
}


/* the existing public key read */

static ngx_int_t
ngx_kmip_op_rekeypair_public(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_store_op_t    *sop = ctx->sop;
    ngx_kmip_op_keypair_t  *kp = ctx->data;
    ngx_kmip_rekeypair_t   *rk = kp->data;

    if (sop->result == NGX_KMIP_STORE_NOT_FOUND
        || (sop->result == NGX_KMIP_STORE_OK
            && (sop->object == NULL || sop->object->destroyed
                || sop->object->object_type
                   != NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY)))
    {
        return ngx_kmip_op_rekeypair_fail(ctx,
                                    NGX_KMIP_REASON_ILLEGAL_OPERATION,
                                    "links to no public key that can be "
                                    "replaced", &rk->priv);
    }

    if (sop->result != NGX_KMIP_STORE_OK) {
        ctx->uid = rk->pub;
        ngx_kmip_op_store_failed(ctx, "read of the public key");
        return NGX_OK;
    }

    rk->old_priv = ctx->obj;
    rk->old_pub = sop->object;

    /*
     * a named pair already linked to a replacement: an earlier Re-key Key
     * Pair may have stopped between its writes; the replacement says
     */

    (void) ngx_kmip_op_rekey_link(&rk->old_priv->attributes,
                                  NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                                  &rk->seen);

    if (rk->seen.len == 0
        || (ngx_kmip_attrs_find(&rk->old_priv->attributes, "Name", 4, -1)
            == NULL
            && ngx_kmip_attrs_find(&rk->old_pub->attributes, "Name", 4, -1)
               == NULL))
    {
        return ngx_kmip_op_rekeypair_make(ctx);
    }

    return ngx_kmip_op_store_fetch(ctx, &rk->seen, 0,
                                   ngx_kmip_op_rekeypair_probed);
}


static ngx_int_t
ngx_kmip_op_rekeypair_probed(ngx_kmip_op_ctx_t *ctx)
{
    ngx_str_t               back, pub;
    ngx_kmip_object_t      *repl;
    ngx_kmip_store_op_t    *sop = ctx->sop;
    ngx_kmip_op_keypair_t  *kp = ctx->data;
    ngx_kmip_rekeypair_t   *rk = kp->data;

    if (sop->result != NGX_KMIP_STORE_OK
        && sop->result != NGX_KMIP_STORE_NOT_FOUND)
    {
        ctx->uid = rk->seen;
        ngx_kmip_op_store_failed(ctx, "read of the replacement");
        return NGX_OK;
    }

    repl = (sop->result == NGX_KMIP_STORE_OK) ? sop->object : NULL;

    if (repl && !repl->destroyed
        && repl->object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
        && ngx_kmip_op_rekey_link(&repl->attributes,
                                  NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK,
                                  &back)
        && back.len == rk->priv.len
        && ngx_strncmp(back.data, rk->priv.data, back.len) == 0
        && ngx_kmip_op_rekey_link(&repl->attributes,
                                  NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK, &pub))
    {
        ngx_log_error(NGX_LOG_WARN, ctx->r->log, 0,
                      "kmip: completing the interrupted Re-key Key Pair of "
                      "\"%V\" by \"%V\"", &rk->priv, &rk->seen);

        kp->priv = repl;
        kp->pub = ngx_pcalloc(ctx->r->pool, sizeof(ngx_kmip_object_t));
        if (kp->pub == NULL) {
            return NGX_ERROR;
        }

        kp->pub->object_type = NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY;
        kp->pub->uid = pub;

        return ngx_kmip_op_rekeypair_stored(ctx);
    }

    /* a replacement never made, destroyed, or of another kind */

    return ngx_kmip_op_rekeypair_make(ctx);
}


/* both existing keys read: their replacements made */

static ngx_int_t
ngx_kmip_op_rekeypair_make(ngx_kmip_op_ctx_t *ctx)
{
    ngx_int_t               rc;
    ngx_kmip_op_keypair_t  *kp = ctx->data;
    ngx_kmip_rekeypair_t   *rk = kp->data;

    rc = ngx_kmip_op_rekeypair_half(ctx, rk->old_priv, &rk->priv,
                                    &kp->priv);

    if (rc == NGX_OK) {
        rc = ngx_kmip_op_rekeypair_half(ctx, rk->old_pub, &rk->pub,
                                        &kp->pub);
    }

    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    return ngx_kmip_op_keypair_generate(kp);
}


/* one replacement: the likeness of the existing key, a new identity */

static ngx_int_t
ngx_kmip_op_rekeypair_half(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *old,
    ngx_str_t *uid, ngx_kmip_object_t **objp)
{
    ngx_int_t                rc;
    ngx_kmip_op_keypair_t   *kp = ctx->data;
    ngx_kmip_rekeypair_t    *rk = kp->data;

    rc = ngx_kmip_op_rekey_likeness(ctx, old, uid, rk->offset, objp);

    if (rc == NGX_OK) {
        rc = ngx_kmip_op_new_identity(ctx, *objp);
    }

    if (rc == NGX_OK) {
        rc = ngx_kmip_op_create_rng(ctx, *objp);
    }

    return rc;
}


/* step 1: the keys are made; the existing ones link to them */

static ngx_int_t
ngx_kmip_op_rekeypair_mark(ngx_kmip_op_ctx_t *ctx)
{
    /* step 2: the replacements stored as a new pair is */

    return ngx_kmip_op_rekeypair_both(ctx, ngx_kmip_op_rekeypair_link,
                                      ngx_kmip_op_keypair_store);
}


/* steps 1 and 3 change both existing keys, the private one first */

static ngx_int_t
ngx_kmip_op_rekeypair_both(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_apply_pt apply,
    ngx_kmip_op_next_pt then)
{
    ngx_kmip_op_keypair_t  *kp = ctx->data;
    ngx_kmip_rekeypair_t   *rk = kp->data;

    rk->then = then;

    ctx->uid = rk->priv;
    ctx->retries = 0;

    return ngx_kmip_op_mutate(ctx, apply, ngx_kmip_op_rekeypair_changed);
}


static ngx_int_t
ngx_kmip_op_rekeypair_changed(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_keypair_t  *kp = ctx->data;
    ngx_kmip_rekeypair_t   *rk = kp->data;

    if (ctx->obj->object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY) {
        ctx->uid = rk->pub;
        ctx->retries = 0;

        return ngx_kmip_op_mutate(ctx, ctx->apply,
                                  ngx_kmip_op_rekeypair_changed);
    }

    return rk->then(ctx);
}


static ngx_int_t
ngx_kmip_op_rekeypair_link(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_kmip_object_t  *repl;

    repl = ngx_kmip_op_rekeypair_new(ctx->data, obj);

    return ngx_kmip_op_rekey_relink(ctx->r, obj, &repl->uid);
}


/* step 3: the Names leave the existing keys */

static ngx_int_t
ngx_kmip_op_rekeypair_stored(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_keypair_t  *kp = ctx->data;
    ngx_kmip_rekeypair_t   *rk = kp->data;

    ngx_log_error(NGX_LOG_INFO, ctx->r->log, 0,
                  "kmip: key pair \"%V\", \"%V\" re-keyed by \"%V\", \"%V\"",
                  &rk->priv, &rk->pub, &kp->priv->uid, &kp->pub->uid);

    return ngx_kmip_op_rekeypair_both(ctx, ngx_kmip_op_rekeypair_unname,
                                      ngx_kmip_op_rekeypair_done);
}


static ngx_int_t
ngx_kmip_op_rekeypair_unname(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    ngx_kmip_object_t  *repl;

    repl = ngx_kmip_op_rekeypair_new(ctx->data, obj);

    return ngx_kmip_op_rekey_unname_for(ctx, obj, &repl->uid);
}


/* the answer names the replacements; the batch's next items mean the
   private one */

static ngx_int_t
ngx_kmip_op_rekeypair_done(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_keypair_t  *kp = ctx->data;

    ctx->uid = kp->priv->uid;

    return ngx_kmip_op_keypair_respond(kp);
}


/* the replacement of an existing key, by its type */

static ngx_kmip_object_t *
ngx_kmip_op_rekeypair_new(ngx_kmip_op_keypair_t *kp, ngx_kmip_object_t *old)
{
    return old->object_type == NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
           ? kp->priv : kp->pub;
}


static ngx_int_t
ngx_kmip_op_rekeypair_fail(ngx_kmip_op_ctx_t *ctx, uint32_t reason,
    const char *what, ngx_str_t *uid)
{
    return ngx_kmip_result_fail(ctx->r, ctx->out, reason,
                                "object \"%V\" %s", uid, what);
}
