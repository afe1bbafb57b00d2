
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_KEYPAIR_H_INCLUDED_
#define _NGX_KMIP_OP_KEYPAIR_H_INCLUDED_


/*
 * A key pair in the making (ngx_kmip_op_keypair.c), for Create Key Pair
 * and Re-key Key Pair (ngx_kmip_op_rekeypair.c): the two objects with
 * their attributes and Unique Identifiers, what to generate, and what to
 * do once the keys are in them.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_op_store.h"
#include "ngx_kmip_keys.h"


typedef struct {
    ngx_kmip_op_ctx_t          *ctx;
    ngx_kmip_object_t          *priv;
    ngx_kmip_object_t          *pub;
    ngx_kmip_keygen_t           gen;
    const char                 *what;       /* the operation, for errors */
    ngx_kmip_op_next_pt         store;      /* once both keys are made */
    ngx_kmip_op_next_pt         stored;     /* once both are stored, or
                                               NULL: answer */
    void                       *data;       /* the operation's own */
} ngx_kmip_op_keypair_t;


/*
 * Checks what to make, from the two objects' Cryptographic Algorithm and
 * Length or curve (NGX_OK with ctx->out failed when they will not do),
 * generates the pair (in a thread when the server has a pool), fills the
 * two objects (material, Digest, Cryptographic Length, a Link to each
 * other) and calls kp->store(kp->ctx). A step's return: NGX_AGAIN while
 * the thread works.
 */
ngx_int_t ngx_kmip_op_keypair_generate(ngx_kmip_op_keypair_t *kp);

/*
 * Stores the private key, then the public one (ctx->data is the pair);
 * should the second write fail, the first key is destroyed. Then
 * kp->stored, or the answer.
 */
ngx_int_t ngx_kmip_op_keypair_store(ngx_kmip_op_ctx_t *ctx);

/* the answer: the two Unique Identifiers, the private one the ID
   Placeholder (1.4 4.2, 4.5) */
ngx_int_t ngx_kmip_op_keypair_respond(ngx_kmip_op_keypair_t *kp);


#endif /* _NGX_KMIP_OP_KEYPAIR_H_INCLUDED_ */
