
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_create.h"
#include "ngx_kmip_split.h"


/*
 * Create Split Key and Join Split Key (1.4 4.38, 4.39; 2.1 6.1.10, 6.1.27)
 * with the secret sharing of keys/ngx_kmip_split.h.
 *
 * Create Split Key splits a key the store holds (its Unique Identifier),
 * or one it makes as Create makes a Symmetric Key from the request's
 * attributes, into Split Key Parts objects of type Split Key, each with
 * the request's attributes and the key's Cryptographic Algorithm and
 * Length ("the attributes of the key take precedence"). The splits are
 * stored one after the other; should one write fail, those written are
 * destroyed, so that no part of an unfinished split is left. The answer
 * lists them all, the ID Placeholder the one of Key Part Identifier 1.
 * The Object Type names what is made, Split Key, or the type of the key
 * split (Symmetric Key, Secret Data): clients read the field either way.
 *
 * Join Split Key reads the splits named, checks they are parts of one
 * split (the same parts, threshold, method and field, each part once, as
 * many as the threshold), joins them and stores the Symmetric Key or
 * Secret Data they give as Create stores a key; its length is the splits'
 * Cryptographic Length.
 *
 * A split key protects a key from any one holder: a key that may not
 * leave the server (Extractable False, or Sensitive) is not split, since
 * its splits would.
 */


/* splits a request makes or joins, at most: each is a Key Protect key */
#define NGX_KMIP_SPLIT_MAX_OBJECTS  32


typedef struct {
    ngx_kmip_split_t            split;
    ngx_kmip_item_t            *prime;      /* Prime Field Size as given */
    uint32_t                    type;       /* Join: the object formed */
    uint32_t                    data_type;  /* Join: its Secret Data Type */
    ngx_uint_t                  n;          /* splits */
    ngx_uint_t                  i;          /* the one read or written */
    ngx_str_t                  *uids;       /* Join: the splits named */
    ngx_kmip_object_t         **objs;       /* the splits */
    ngx_kmip_object_t          *key;        /* Create: the key split */
} ngx_kmip_op_split_t;


static ngx_kmip_op_ctx_t *ngx_kmip_op_split_begin(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    ngx_uint_t join, ngx_int_t *rc);
static ngx_int_t ngx_kmip_op_split_params(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_op_split_t *sk, const ngx_kmip_item_t *from);
static ngx_int_t ngx_kmip_op_split_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_split_make(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_split_object(ngx_kmip_op_ctx_t *ctx,
    ngx_uint_t i, uint8_t **share, size_t share_len);
static ngx_int_t ngx_kmip_op_split_fields(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj, ngx_uint_t id);
static ngx_int_t ngx_kmip_op_split_stored(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_split_undo(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_split_undone(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_split_respond(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_join_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_join_check(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_join_material(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_op_split_secret(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *key, const char *what);
static ngx_int_t ngx_kmip_op_split_fail(ngx_kmip_op_ctx_t *ctx,
    uint32_t reason, const char *err);


/* ------------------------------------------------------------ Create */


ngx_int_t
ngx_kmip_op_create_split_key(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_int_t             rc;
    ngx_kmip_item_t      *uid;
    ngx_kmip_op_ctx_t    *ctx;
    ngx_kmip_op_split_t  *sk;

    ctx = ngx_kmip_op_split_begin(r, in, out, 0, &rc);
    if (ctx == NULL) {
        return rc;
    }

    sk = ctx->data;

    rc = ngx_kmip_op_split_params(ctx, sk, in->payload);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    uid = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);

    if (uid == NULL) {
        /* a new key, as Create makes one, split at once */

        rc = ngx_kmip_op_new_object(ctx, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY,
                                    &sk->key);
        if (rc == NGX_OK) {
            rc = ngx_kmip_op_create_key(ctx, sk->key);
        }

        if (rc != NGX_OK) {
            return rc == NGX_DECLINED ? NGX_OK : rc;
        }

        return ngx_kmip_op_split_make(ctx);
    }

    if (uid->type != NGX_KMIP_TYPE_TEXT_STRING || uid->v.str.len == 0) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "the Unique Identifier of the key to "
                                    "split is not a text");
    }

    ctx->uid.data = (u_char *) uid->v.str.data;
    ctx->uid.len = uid->v.str.len;

    return ngx_kmip_op_load(ctx, 1, ngx_kmip_op_split_loaded);
}


/*
 * Split Key Parts, Split Key Threshold, Split Key Method and Prime Field
 * Size, from the request (Create) or the first split (Join)
 */

static ngx_int_t
ngx_kmip_op_split_params(ngx_kmip_op_ctx_t *ctx, ngx_kmip_op_split_t *sk,
    const ngx_kmip_item_t *from)
{
    ngx_kmip_req_t   *r = ctx->r;
    ngx_kmip_item_t  *parts, *threshold, *method, *prime;

    parts = ngx_kmip_op_need(r, ctx->out, from, NGX_KMIP_TAG_SPLIT_KEY_PARTS,
                             NGX_KMIP_TYPE_INTEGER,
                             "a split needs its Split Key Parts");
    if (parts == NULL) {
        return NGX_DECLINED;
    }

    threshold = ngx_kmip_op_need(r, ctx->out, from,
                                 NGX_KMIP_TAG_SPLIT_KEY_THRESHOLD,
                                 NGX_KMIP_TYPE_INTEGER,
                                 "a split needs its Split Key Threshold");
    if (threshold == NULL) {
        return NGX_DECLINED;
    }

    method = ngx_kmip_op_need(r, ctx->out, from,
                              NGX_KMIP_TAG_SPLIT_KEY_METHOD,
                              NGX_KMIP_TYPE_ENUMERATION,
                              "a split needs its Split Key Method");
    if (method == NULL) {
        return NGX_DECLINED;
    }

    if (parts->v.num < 2 || parts->v.num > NGX_KMIP_SPLIT_MAX_OBJECTS
        || threshold->v.num < 1 || threshold->v.num > parts->v.num)
    {
        (void) ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "a split has 2 to %d parts and a "
                                    "threshold of 1 to its parts",
                                    NGX_KMIP_SPLIT_MAX_OBJECTS);
        return NGX_DECLINED;
    }

    sk->split.parts = (unsigned) parts->v.num;
    sk->split.threshold = (unsigned) threshold->v.num;
    sk->split.method = (uint32_t) method->v.num;

    prime = ngx_kmip_ttlv_find(from, NGX_KMIP_TAG_PRIME_FIELD_SIZE);

    if (prime) {
        /* a Big Integer is two's complement: a field size is positive */

        if (prime->type != NGX_KMIP_TYPE_BIG_INTEGER
            || prime->v.str.len == 0 || (prime->v.str.data[0] & 0x80))
        {
            (void) ngx_kmip_result_fail(r, ctx->out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "the Prime Field Size is not a "
                                        "positive Big Integer");
            return NGX_DECLINED;
        }

        /* kept as given, a Big Integer's whole 8-byte words, for Get */
        sk->prime = prime;

        sk->split.prime = prime->v.str.data;
        sk->split.prime_len = prime->v.str.len;

        while (sk->split.prime_len > 1 && sk->split.prime[0] == 0) {
            sk->split.prime++;
            sk->split.prime_len--;
        }
    }

    sk->n = sk->split.parts;

    return NGX_OK;
}


/* the key to split, read */

static ngx_int_t
ngx_kmip_op_split_loaded(ngx_kmip_op_ctx_t *ctx)
{
    ngx_int_t             rc;
    ngx_kmip_op_split_t  *sk = ctx->data;

    if (ngx_kmip_op_gone(ctx)) {
        return NGX_OK;
    }

    if (ctx->obj->object_type == NGX_KMIP_OBJECT_TYPE_SPLIT_KEY) {
        return ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "object \"%V\" is a split already",
                                    &ctx->uid);
    }

    rc = ngx_kmip_op_split_secret(ctx, ctx->obj, "the key to split");
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    if (!ngx_kmip_op_attr_num(&ctx->obj->attributes, "Extractable", 1)
        || ngx_kmip_op_attr_num(&ctx->obj->attributes, "Sensitive", 0))
    {
        return ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_NOT_EXTRACTABLE,
                                    "object \"%V\" may not leave the "
                                    "server, nor may its splits",
                                    &ctx->uid);
    }

    sk->key = ctx->obj;

    return ngx_kmip_op_split_make(ctx);
}


/* the shares of the key, each made into a Split Key object; then stored */

static ngx_int_t
ngx_kmip_op_split_make(ngx_kmip_op_ctx_t *ctx)
{
    int                   rc;
    size_t                share_len;
    ngx_int_t             orc;
    ngx_uint_t            i;
    const char           *err;
    ngx_kmip_op_split_t  *sk = ctx->data;
    uint8_t              *shares[NGX_KMIP_SPLIT_MAX_OBJECTS];

    rc = ngx_kmip_split_check(&sk->split, sk->key->material.len, &share_len,
                              &err);
    if (rc != NGX_KMIP_SPLIT_OK) {
        (void) ngx_kmip_op_split_fail(ctx, NGX_KMIP_REASON_INVALID_FIELD, err);
        return NGX_OK;
    }

    sk->objs = ngx_pcalloc(ctx->r->pool,
                           sk->n * sizeof(ngx_kmip_object_t *));
    if (sk->objs == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < sk->n; i++) {
        orc = ngx_kmip_op_split_object(ctx, i, &shares[i], share_len);
        if (orc != NGX_OK) {
            return orc == NGX_DECLINED ? NGX_OK : orc;
        }
    }

    if (ngx_kmip_split(&sk->split, sk->key->material.data,
                       sk->key->material.len, shares, share_len)
        != NGX_KMIP_SPLIT_OK)
    {
        (void) ngx_kmip_op_split_fail(ctx,
                                      NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                      "the key could not be split");
        return NGX_OK;
    }

    for (i = 0; i < sk->n; i++) {
        if (ngx_kmip_op_digest(ctx->r, sk->objs[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    sk->i = 0;

    return ngx_kmip_op_store_write(ctx, ngx_kmip_store_create, sk->objs[0],
                                   ngx_kmip_op_split_stored);
}


/* split i: the request's attributes, the key's, its fields and buffer */

static ngx_int_t
ngx_kmip_op_split_object(ngx_kmip_op_ctx_t *ctx, ngx_uint_t i,
    uint8_t **share, size_t share_len)
{
    int64_t               alg, bits;
    ngx_int_t             rc;
    ngx_str_t            *secret;
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_object_t    *obj, *key;
    ngx_kmip_op_split_t  *sk = ctx->data;

    key = sk->key;

    rc = ngx_kmip_op_new_object(ctx, NGX_KMIP_OBJECT_TYPE_SPLIT_KEY, &obj);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the key's own attributes take precedence (1.4 4.38) */

    alg = ngx_kmip_op_attr_num(&key->attributes, "Cryptographic Algorithm",
                               -1);
    bits = ngx_kmip_op_attr_num(&key->attributes, "Cryptographic Length",
                                (int64_t) key->material.len * 8);

    if ((alg != -1
         && ngx_kmip_op_set_num(r, &obj->attributes,
                                "Cryptographic Algorithm",
                                NGX_KMIP_TYPE_ENUMERATION, alg)
            != NGX_OK)
        || ngx_kmip_op_set_num(r, &obj->attributes, "Cryptographic Length",
                               NGX_KMIP_TYPE_INTEGER, bits)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_kmip_op_split_fields(ctx, obj, i + 1) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the share goes in a buffer wiped with the request */

    *share = ngx_kmip_op_secret(r, share_len, &secret);
    if (*share == NULL) {
        return NGX_ERROR;
    }

    obj->material = *secret;
    sk->objs[i] = obj;

    return NGX_OK;
}


/* a Split Key's own fields (1.4 2.2.5), as Get answers them */

static ngx_int_t
ngx_kmip_op_split_fields(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj,
    ngx_uint_t id)
{
    ngx_kmip_item_t       *f, *p;
    ngx_kmip_allocator_t  *a = &ctx->r->alloc;
    ngx_kmip_op_split_t   *sk = ctx->data;

    f = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_SPLIT_KEY,
                               NGX_KMIP_TYPE_STRUCTURE);

    if (f == NULL
        || ngx_kmip_ttlv_add_integer(a, f, NGX_KMIP_TAG_SPLIT_KEY_PARTS,
                                     (int32_t) sk->split.parts) == NULL
        || ngx_kmip_ttlv_add_integer(a, f, NGX_KMIP_TAG_KEY_PART_IDENTIFIER,
                                     (int32_t) id) == NULL
        || ngx_kmip_ttlv_add_integer(a, f, NGX_KMIP_TAG_SPLIT_KEY_THRESHOLD,
                                     (int32_t) sk->split.threshold) == NULL
        || ngx_kmip_ttlv_add_enum(a, f, NGX_KMIP_TAG_SPLIT_KEY_METHOD,
                                  sk->split.method) == NULL)
    {
        return NGX_ERROR;
    }

    if (sk->prime) {
        p = ngx_kmip_ttlv_item_copy(a, sk->prime);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_kmip_ttlv_item_append(f, p);
    }

    obj->fields = f;
    obj->subtype = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_op_split_stored(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_split_t  *sk = ctx->data;

    if (ngx_kmip_op_store_lost(ctx, "create")) {
        /* the splits written before this one go: the answer is given */
        return ngx_kmip_op_split_undo(ctx);
    }

    if (++sk->i < sk->n) {
        return ngx_kmip_op_store_write(ctx, ngx_kmip_store_create,
                                       sk->objs[sk->i],
                                       ngx_kmip_op_split_stored);
    }

    return ngx_kmip_op_split_respond(ctx);
}


/* the split written before sk->i destroyed, then the one before it */

static ngx_int_t
ngx_kmip_op_split_undo(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_split_t  *sk = ctx->data;

    if (sk->i == 0) {
        return NGX_OK;
    }

    sk->i--;

    return ngx_kmip_op_store_write(ctx, ngx_kmip_store_destroy,
                                   sk->objs[sk->i],
                                   ngx_kmip_op_split_undone);
}


static ngx_int_t
ngx_kmip_op_split_undone(ngx_kmip_op_ctx_t *ctx)
{
    ngx_kmip_op_split_t  *sk = ctx->data;

    if (ctx->sop->result != NGX_KMIP_STORE_OK) {
        ngx_log_error(NGX_LOG_ERR, ctx->r->log, 0,
                      "kmip: split \"%V\" of a Create Split Key that "
                      "failed could not be destroyed: %V",
                      &sk->objs[sk->i]->uid, &ctx->sop->error);
    }

    return ngx_kmip_op_split_undo(ctx);
}


/* every Unique Identifier; the ID Placeholder the split of part 1 */

static ngx_int_t
ngx_kmip_op_split_respond(ngx_kmip_op_ctx_t *ctx)
{
    ngx_uint_t            i;
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_item_t      *payload;
    ngx_kmip_op_split_t  *sk = ctx->data;

    payload = ngx_kmip_payload_new(r);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < sk->n; i++) {
        if (ngx_kmip_ttlv_add_text(&r->alloc, payload,
                                   NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                   sk->objs[i]->uid.data,
                                   sk->objs[i]->uid.len)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    ngx_log_error(NGX_LOG_INFO, r->log, 0,
                  "kmip: split key of %ui parts stored, part 1 \"%V\"",
                  sk->n, &sk->objs[0]->uid);

    r->object = sk->objs[0];
    r->id_placeholder = sk->objs[0]->uid;
    ctx->out->payload = payload;

    return NGX_OK;
}


/* -------------------------------------------------------------- Join */


ngx_int_t
ngx_kmip_op_join_split_key(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_int_t             rc;
    ngx_uint_t            n;
    ngx_kmip_item_t      *it, *dt;
    ngx_kmip_op_ctx_t    *ctx;
    ngx_kmip_op_split_t  *sk;

    ctx = ngx_kmip_op_split_begin(r, in, out, 1, &rc);
    if (ctx == NULL) {
        return rc;
    }

    sk = ctx->data;
    n = 0;

    sk->uids = ngx_palloc(r->pool,
                          NGX_KMIP_SPLIT_MAX_OBJECTS * sizeof(ngx_str_t));
    sk->objs = ngx_pcalloc(r->pool, NGX_KMIP_SPLIT_MAX_OBJECTS
                                    * sizeof(ngx_kmip_object_t *));
    if (sk->uids == NULL || sk->objs == NULL) {
        return NGX_ERROR;
    }

    for (it = in->payload->v.kids.first; it; it = it->next) {
        if (it->tag != NGX_KMIP_TAG_UNIQUE_IDENTIFIER) {
            continue;
        }

        if (it->type != NGX_KMIP_TYPE_TEXT_STRING || it->v.str.len == 0
            || n == NGX_KMIP_SPLIT_MAX_OBJECTS)
        {
            return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                        "Join Split Key takes 1 to %d "
                                        "Unique Identifiers of splits",
                                        NGX_KMIP_SPLIT_MAX_OBJECTS);
        }

        sk->uids[n].data = (u_char *) it->v.str.data;
        sk->uids[n].len = it->v.str.len;
        n++;
    }

    if (n == 0) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "Join Split Key needs the Unique "
                                    "Identifiers of the splits");
    }

    sk->data_type = NGX_KMIP_SECRET_DATA_TYPE_SEED;

    dt = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_SECRET_DATA_TYPE);

    if (dt) {
        if (dt->type != NGX_KMIP_TYPE_ENUMERATION
            || sk->type != NGX_KMIP_OBJECT_TYPE_SECRET_DATA)
        {
            return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                        "a Secret Data Type is an "
                                        "enumeration, for Secret Data");
        }

        sk->data_type = (uint32_t) dt->v.num;
    }

    sk->n = n;
    sk->i = 0;
    ctx->uid = sk->uids[0];

    return ngx_kmip_op_load(ctx, 1, ngx_kmip_op_join_loaded);
}


/* split i read: checked, kept; the next one, or the join */

static ngx_int_t
ngx_kmip_op_join_loaded(ngx_kmip_op_ctx_t *ctx)
{
    ngx_int_t             rc;
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_op_split_t  *sk = ctx->data;

    if (ngx_kmip_op_gone(ctx)) {
        return NGX_OK;
    }

    if (ctx->obj->object_type != NGX_KMIP_OBJECT_TYPE_SPLIT_KEY
        || ctx->obj->fields == NULL)
    {
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "object \"%V\" is not a Split Key",
                                    &ctx->uid);
    }

    rc = ngx_kmip_op_split_secret(ctx, ctx->obj, "the split");
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    sk->objs[sk->i++] = ctx->obj;

    if (sk->i < sk->n) {
        ctx->uid = sk->uids[sk->i];
        return ngx_kmip_op_load(ctx, 1, ngx_kmip_op_join_loaded);
    }

    rc = ngx_kmip_op_join_check(ctx);
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    return ngx_kmip_op_store_made(ctx, sk->type, ngx_kmip_op_join_material);
}


/*
 * The splits are parts of one split: the first one's fields are the
 * split's, and every other one has the same
 */

static ngx_int_t
ngx_kmip_op_join_check(ngx_kmip_op_ctx_t *ctx)
{
    ngx_int_t             rc;
    ngx_uint_t            i;
    ngx_kmip_item_t      *a, *b;
    ngx_kmip_op_split_t  *sk = ctx->data;

    static const uint32_t  same[] = {
        NGX_KMIP_TAG_SPLIT_KEY_PARTS, NGX_KMIP_TAG_SPLIT_KEY_THRESHOLD,
        NGX_KMIP_TAG_SPLIT_KEY_METHOD, NGX_KMIP_TAG_PRIME_FIELD_SIZE
    };

    rc = ngx_kmip_op_split_params(ctx, sk, sk->objs[0]->fields);
    if (rc != NGX_OK) {
        return rc;
    }

    sk->n = sk->i;

    for (i = 1; i < sk->n; i++) {
        for (rc = 0; rc < 4; rc++) {
            a = ngx_kmip_ttlv_find(sk->objs[0]->fields, same[rc]);
            b = ngx_kmip_ttlv_find(sk->objs[i]->fields, same[rc]);

            if ((a == NULL) != (b == NULL)
                || (a && (a->type != b->type
                          || (a->type == NGX_KMIP_TYPE_BIG_INTEGER
                              ? a->v.str.len != b->v.str.len
                                || ngx_memcmp(a->v.str.data, b->v.str.data,
                                              a->v.str.len) != 0
                              : a->v.num != b->v.num))))
            {
                return ngx_kmip_op_split_fail(ctx,
                                              NGX_KMIP_REASON_INVALID_FIELD,
                                              "the splits are not parts of "
                                              "one split");
            }
        }
    }

    return NGX_OK;
}


/* the joined key's material, length and algorithm */

static ngx_int_t
ngx_kmip_op_join_material(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *obj)
{
    int                   rc;
    u_char               *p;
    size_t                len, share_len;
    int64_t               bits, alg;
    unsigned              ids[NGX_KMIP_SPLIT_MAX_OBJECTS];
    ngx_str_t            *secret;
    ngx_uint_t            i;
    const char           *err;
    const uint8_t        *shares[NGX_KMIP_SPLIT_MAX_OBJECTS];
    ngx_kmip_req_t       *r = ctx->r;
    ngx_kmip_item_t      *id;
    ngx_kmip_op_split_t  *sk = ctx->data;
    ngx_kmip_object_t    *first = sk->objs[0];

    share_len = first->material.len;

    for (i = 0; i < sk->n; i++) {
        id = ngx_kmip_ttlv_find(sk->objs[i]->fields,
                                NGX_KMIP_TAG_KEY_PART_IDENTIFIER);

        if (id == NULL || id->type != NGX_KMIP_TYPE_INTEGER
            || sk->objs[i]->material.len != share_len)
        {
            return ngx_kmip_op_split_fail(ctx, NGX_KMIP_REASON_INVALID_FIELD,
                                          "the splits are not parts of one "
                                          "split");
        }

        ids[i] = id->v.num > 0 ? (unsigned) id->v.num : 0;
        shares[i] = sk->objs[i]->material.data;
    }

    bits = ngx_kmip_op_attr_num(&first->attributes, "Cryptographic Length",
                                (int64_t) share_len * 8);

    if (bits <= 0 || bits % 8 != 0 || (size_t) bits / 8 > share_len) {
        return ngx_kmip_op_split_fail(ctx, NGX_KMIP_REASON_INVALID_FIELD,
                                      "the splits' Cryptographic Length is "
                                      "not the key's");
    }

    len = (size_t) bits / 8;

    p = ngx_kmip_op_secret(r, len, &secret);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_kmip_split_join(&sk->split, ids, shares, (unsigned) sk->n,
                             share_len, p, len, &err);
    if (rc != NGX_KMIP_SPLIT_OK) {
        return ngx_kmip_op_split_fail(ctx,
                                      rc == NGX_KMIP_SPLIT_ERR_SHARES
                                      ? NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE
                                      : NGX_KMIP_REASON_INVALID_FIELD, err);
    }

    obj->material = *secret;

    if (sk->type == NGX_KMIP_OBJECT_TYPE_SECRET_DATA) {
        obj->subtype = sk->data_type;
        return NGX_OK;
    }

    /* the key's algorithm and length are the splits' */

    alg = ngx_kmip_op_attr_num(&first->attributes, "Cryptographic Algorithm",
                               -1);
    if (alg == -1) {
        alg = ngx_kmip_op_attr_num(&obj->attributes,
                                   "Cryptographic Algorithm", -1);
    }

    if (alg == -1) {
        return ngx_kmip_op_split_fail(ctx, NGX_KMIP_REASON_INVALID_FIELD,
                                      "a Symmetric Key needs a "
                                      "Cryptographic Algorithm");
    }

    if (ngx_kmip_op_set_num(r, &obj->attributes, "Cryptographic Algorithm",
                            NGX_KMIP_TYPE_ENUMERATION, alg)
        != NGX_OK
        || ngx_kmip_op_set_num(r, &obj->attributes, "Cryptographic Length",
                               NGX_KMIP_TYPE_INTEGER, bits)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* ------------------------------------------------------------ common */


/*
 * The request's Object Type (what Join forms; what Create makes, or
 * splits) and the operation's context; NULL with *rc the handler's answer
 */

static ngx_kmip_op_ctx_t *
ngx_kmip_op_split_begin(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_uint_t join, ngx_int_t *rc)
{
    ngx_kmip_item_t      *ot;
    ngx_kmip_op_ctx_t    *ctx;
    ngx_kmip_op_split_t  *sk;

    *rc = NGX_OK;

    if (ngx_kmip_op_no_store(r, out)) {
        return NULL;
    }

    ot = ngx_kmip_op_need(r, out, in->payload, NGX_KMIP_TAG_OBJECT_TYPE,
                          NGX_KMIP_TYPE_ENUMERATION,
                          "%s Split Key needs an Object Type",
                          join ? "Join" : "Create");
    if (ot == NULL) {
        return NULL;
    }

    if (ot->v.num != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
        && ot->v.num != NGX_KMIP_OBJECT_TYPE_SECRET_DATA
        && (join || ot->v.num != NGX_KMIP_OBJECT_TYPE_SPLIT_KEY))
    {
        (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "%s Split Key takes an Object Type of "
                                    "Symmetric Key or Secret Data%s",
                                    join ? "Join" : "Create",
                                    join ? "" : ", or Split Key");
        return NULL;
    }

    ctx = ngx_kmip_op_ctx(r, in, out);
    sk = ngx_pcalloc(r->pool, sizeof(ngx_kmip_op_split_t));

    if (ctx == NULL || sk == NULL) {
        *rc = NGX_ERROR;
        return NULL;
    }

    sk->type = (uint32_t) ot->v.num;
    ctx->data = sk;

    return ctx;
}



/* a key whose material the server holds in the clear */

static ngx_int_t
ngx_kmip_op_split_secret(ngx_kmip_op_ctx_t *ctx, ngx_kmip_object_t *key,
    const char *what)
{
    if (key->object_type != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
        && key->object_type != NGX_KMIP_OBJECT_TYPE_SECRET_DATA
        && key->object_type != NGX_KMIP_OBJECT_TYPE_SPLIT_KEY)
    {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
                                    "%s \"%V\" is not a Symmetric Key or "
                                    "Secret Data", what, &ctx->uid);
        return NGX_DECLINED;
    }

    if (key->material.len == 0 || ngx_kmip_op_wrapping_data(key)) {
        (void) ngx_kmip_result_fail(ctx->r, ctx->out,
                                    NGX_KMIP_REASON_KEY_VALUE_NOT_PRESENT,
                                    "%s \"%V\" has no key material the "
                                    "server can use", what, &ctx->uid);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the item fails with the reason; NGX_DECLINED, as the make steps say */

static ngx_int_t
ngx_kmip_op_split_fail(ngx_kmip_op_ctx_t *ctx, uint32_t reason,
    const char *err)
{
    (void) ngx_kmip_result_fail(ctx->r, ctx->out, reason, "%s", err);

    return NGX_DECLINED;
}
