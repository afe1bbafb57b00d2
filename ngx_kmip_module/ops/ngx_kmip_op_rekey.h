
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_REKEY_H_INCLUDED_
#define _NGX_KMIP_OP_REKEY_H_INCLUDED_


/* what Re-key (ngx_kmip_op_rekey.c) shares with Re-key Key Pair */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_op_store.h"


/*
 * A replacement of one object by another, in the three writes Re-key
 * makes (ngx_kmip_op_rekey.c): Re-key of a symmetric key, Re-certify of a
 * certificate (ngx_kmip_op_certify.c). The operation sets type, what,
 * with_material, renew and after; the rest is the framework's.
 */
typedef struct {
    uint32_t                    type;       /* the object type replaced */
    const char                 *what;       /* the operation, for messages */
    ngx_uint_t                  with_material;  /* the existing object's
                                                   material is read, for
                                                   renew */
    ngx_kmip_op_apply_pt        renew;      /* the replacement's identity
                                               and material, its other
                                               attributes the existing
                                               object's likeness */
    ngx_kmip_op_next_pt         after;      /* once the replacement has the
                                               Names, before the answer;
                                               ends by calling the answer
                                               again (ngx_kmip_op_replaced)
                                               or NULL */
    void                       *data;       /* the operation's own */

    ngx_str_t                   uid;        /* the existing object's */
    ngx_kmip_object_t          *old;        /* it, as renew replaces it */
    ngx_str_t                   material;   /* its material, if read */
    ngx_kmip_object_t          *repl;       /* the replacement */
    ngx_str_t                   seen;       /* the existing object's
                                               Replacement Object Link
                                               when first read, or empty */
    int64_t                     offset;     /* -1: no Offset */
} ngx_kmip_op_replace_t;


/* the operation (ctx->data is rk) */
ngx_int_t ngx_kmip_op_replace(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_op_replace_t *rk);

/* the answer, for an after step to end with */
ngx_int_t ngx_kmip_op_replaced(ngx_kmip_op_ctx_t *ctx);

/* the request's Offset in *offset (-1: none); NGX_DECLINED: out says why
   not */
ngx_int_t ngx_kmip_op_rekey_offset(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    int64_t *offset);

/*
 * A replacement's attributes: the existing object's (old_uid) but those
 * the specification sets anew (1.4 tables 173 and 177, 2.1 tables 304 and
 * 308; every Link among them), its Names, the dates the Offset moves,
 * Usage Limits whole again, a Replaced Object Link to old_uid. No Unique
 * Identifier, no material.
 */
ngx_int_t ngx_kmip_op_rekey_likeness(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *old, ngx_str_t *old_uid, int64_t offset,
    ngx_kmip_object_t **objp);

/* obj's Replacement Object Link, its only one, names repl */
ngx_int_t ngx_kmip_op_rekey_relink(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_str_t *repl);

/*
 * obj's Names removed if its Replacement Object Link still names repl;
 * else NGX_DECLINED, ctx->out failed: another Re-key came in between
 */
ngx_int_t ngx_kmip_op_rekey_unname_for(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj, ngx_str_t *repl);

/* the first Link of the type: its attribute, *uid its target (or empty) */
ngx_kmip_attr_t *ngx_kmip_op_rekey_link(ngx_kmip_attrs_t *l, uint32_t type,
    ngx_str_t *uid);


#endif /* _NGX_KMIP_OP_REKEY_H_INCLUDED_ */
