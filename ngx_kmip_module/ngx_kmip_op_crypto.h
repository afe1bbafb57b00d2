
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_CRYPTO_H_INCLUDED_
#define _NGX_KMIP_OP_CRYPTO_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ops.h"
#include "ngx_kmip_store.h"


/*
 * Cryptographic services with server-held keys (ngx_kmip_op_crypto.c):
 * Encrypt and Decrypt with AES (ECB, CBC, CTR, GCM), ChaCha20 and
 * ChaCha20-Poly1305 on the key material
 * unwrapped from Key Protect, and the Digest attribute of new objects.
 * Random numbers (ngx_kmip_op_rng.c): RNG Retrieve.
 */


ngx_int_t ngx_kmip_op_encrypt(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_decrypt(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_rng_retrieve(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);

/* sets the Digest attribute (SHA-256 of the material) of a new object */
ngx_int_t ngx_kmip_op_digest(ngx_kmip_req_t *r, ngx_kmip_object_t *obj);


#endif /* _NGX_KMIP_OP_CRYPTO_H_INCLUDED_ */
