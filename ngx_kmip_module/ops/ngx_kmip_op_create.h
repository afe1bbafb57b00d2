
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_CREATE_H_INCLUDED_
#define _NGX_KMIP_OP_CREATE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_op_store.h"


/*
 * A symmetric key the server makes as Create does, from attributes set
 * already (obj->object_type and obj->attributes, which name its
 * Cryptographic Algorithm and Length): a new Unique Identifier, the
 * server's attributes (dates, State from the Activation Date, Random
 * Number Generator), fresh material and its Digest; not stored. For
 * Re-key (ngx_kmip_op_rekey.c). NGX_DECLINED: ctx->out says why not.
 */
ngx_int_t ngx_kmip_op_create_key(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);

/* a new Unique Identifier and the server's attributes for obj, whose own
   are set (Re-key Key Pair's replacements) */
ngx_int_t ngx_kmip_op_new_identity(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);

/*
 * A new object of the type as Create and Register make it: the client's
 * attributes from the containers in from (NULL-ended; Create Key Pair's
 * common and per-key ones), checked for the type and the version; a new
 * Unique Identifier and the server's attributes. No material yet.
 * NGX_DECLINED: ctx->out says why not.
 */
ngx_int_t ngx_kmip_op_new_object_from(ngx_kmip_op_ctx_t *ctx,
    uint32_t object_type, const ngx_kmip_item_t **from,
    ngx_kmip_object_t **objp);

/* the same from the request's own Attributes or Template-Attribute */
ngx_int_t ngx_kmip_op_new_object(ngx_kmip_op_ctx_t *ctx,
    uint32_t object_type, ngx_kmip_object_t **objp);

typedef ngx_int_t (*ngx_kmip_op_new_pt)(ngx_kmip_op_ctx_t *ctx,
    uint32_t object_type, ngx_kmip_object_t **objp);

/*
 * The object a Register gives, the request's (ctx->in) managed object
 * read and checked as Register reads it, its attributes and identity
 * made by new_object (ngx_kmip_op_new_object(), or Import's); not
 * stored. NGX_DECLINED: ctx->out says why not.
 */
ngx_int_t ngx_kmip_op_register_object(ngx_kmip_op_ctx_t *ctx, uint32_t type,
    ngx_kmip_op_new_pt new_object, ngx_kmip_object_t **objp);

/*
 * A new object stored, as Create and Register store one (its Digest
 * first); the answer its Unique Identifier, also the ID Placeholder
 */
ngx_int_t ngx_kmip_op_store_new(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);

/*
 * The Random Number Generator attribute of an object the server makes:
 * its own generator; one the client names must be it. NGX_DECLINED:
 * ctx->out says why not.
 */
ngx_int_t ngx_kmip_op_create_rng(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);

/* the Digest attribute of a new object's material (SHA-256) */
ngx_int_t ngx_kmip_op_digest(ngx_kmip_req_t *r, ngx_kmip_object_t *obj);

/*
 * The same from the request's own Attributes or Template-Attribute,
 * completed by make() (its material, its own fields) and stored, as
 * Create and Register do; for Derive Key (ngx_kmip_op_derive.c). The
 * answer is its Unique Identifier, also the ID Placeholder, and
 * ctx->respond, if make() sets it, runs after it. NGX_DECLINED from
 * make(): it failed the result.
 */
ngx_int_t ngx_kmip_op_store_made(ngx_kmip_op_ctx_t *ctx, uint32_t type,
    ngx_kmip_op_apply_pt make);

/*
 * After a new object (made) is stored: the object uid gets a Link of the
 * type to it, written as any attribute change is (Derive Key's base,
 * Certify's Public Key). The answer stands, and the batch's next items
 * mean the new object; should that write fail, the item fails with it,
 * and the new object, stored, keeps its own link. ctx->data is replaced.
 */
ngx_int_t ngx_kmip_op_link_back(ngx_kmip_op_ctx_t *ctx, ngx_str_t *uid,
    uint32_t type, ngx_kmip_object_t *made);

/* a Link of the type to uid among the attributes (ngx_kmip_op_rekey.c) */
ngx_int_t ngx_kmip_op_add_link(ngx_kmip_req_t *r, ngx_kmip_attrs_t *l,
    uint32_t type, ngx_str_t *uid);


#endif /* _NGX_KMIP_OP_CREATE_H_INCLUDED_ */
