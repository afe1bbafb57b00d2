
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
 *
 * Encrypt and Decrypt also run in parts (KMIP 1.4 4.29/4.30, 2.1 6.1.17/
 * 6.1.11): an Init Indicator opens a stream, the Correlation Value the
 * server returns names it in the requests that follow, a Final Indicator
 * ends it. A cipher context cannot be serialised, so a stream lives in
 * the worker, on the connection that opened it: the session embeds a
 * ngx_kmip_crypto_streams_t, hands it to each request (r->streams) and
 * closes it when the connection goes.
 */


/* open streams on one connection, at most */
#define NGX_KMIP_CRYPTO_STREAMS_MAX  4


typedef struct ngx_kmip_crypto_stream_s  ngx_kmip_crypto_stream_t;

struct ngx_kmip_crypto_streams_s {
    ngx_kmip_crypto_stream_t   *stream[NGX_KMIP_CRYPTO_STREAMS_MAX];
    time_t                      idle;       /* seconds a stream may go
                                               unused (kmip_idle_timeout) */
};


ngx_int_t ngx_kmip_op_encrypt(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_decrypt(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_rng_retrieve(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);

/* ends every stream of a connection, wiping its key schedule */
void ngx_kmip_crypto_streams_close(ngx_kmip_crypto_streams_t *streams,
    ngx_log_t *log);


#endif /* _NGX_KMIP_OP_CRYPTO_H_INCLUDED_ */
