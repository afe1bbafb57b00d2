
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_CRYPTO_H_INCLUDED_
#define _NGX_KMIP_OP_CRYPTO_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>

#include "ngx_kmip_ops.h"
#include "ngx_kmip_store.h"
#include "ngx_kmip_op_store.h"


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
typedef struct ngx_kmip_op_parts_s       ngx_kmip_op_parts_t;

/*
 * A multi-part operation, on the heap of the worker: an Encrypt or
 * Decrypt (its cipher context) or a Sign, MAC ... (its parts). It is
 * named by 128 random bits, its Correlation Value.
 */

#define NGX_KMIP_CIPHER_STREAM_ID_LEN  16


struct ngx_kmip_crypto_stream_s {
    u_char                      id[NGX_KMIP_CIPHER_STREAM_ID_LEN];
    EVP_CIPHER_CTX             *cipher;     /* holds the key schedule */
    ngx_kmip_op_parts_t        *parts;      /* or: the parts of a Sign,
                                               MAC ... (ngx_kmip_op_parts.c)
                                               */
    ngx_str_t                   uid;        /* the key's, stored after
                                               this structure */
    size_t                      bytes;      /* Data so far */
    time_t                      used;
    int                         tag_len;
    unsigned                    enc:1;
    unsigned                    aead:1;
    unsigned                    tag_set:1;  /* Decrypt: the tag came with
                                               the Init request */
};


struct ngx_kmip_crypto_streams_s {
    ngx_kmip_crypto_stream_t   *stream[NGX_KMIP_CRYPTO_STREAMS_MAX];
    time_t                      idle;       /* seconds a stream may go
                                               unused (kmip_idle_timeout) */
};


/* how a key is used: its Cryptographic Parameters and the request's */
typedef struct {
    uint32_t                    alg;
    uint32_t                    mode;
    uint32_t                    padding;
    uint32_t                    hashing;    /* Hashing Algorithm, or 0 */
    int64_t                     tag_len;
    ngx_uint_t                  random_iv;
} ngx_kmip_cipher_params_t;


ngx_int_t ngx_kmip_op_encrypt(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_decrypt(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_rng_retrieve(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_rng_seed(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);

/*
 * The parameters of a key's use: its Cryptographic Algorithm and
 * Cryptographic Parameters, overridden field by field by the request's
 * (cp, or NULL)
 */
void ngx_kmip_op_crypto_params(ngx_kmip_object_t *obj,
    const ngx_kmip_item_t *cp, ngx_kmip_cipher_params_t *p);

/*
 * The checks of ctx->obj before a cryptographic operation uses it, named
 * what in the answer: a symmetric key with its material, not destroyed,
 * Active, need in its Cryptographic Usage Mask, and within its Protect
 * Stop Date when the operation applies protection (protect), else its
 * Process Start Date. NGX_OK, NGX_DECLINED when ctx->out says why not.
 */
ngx_int_t ngx_kmip_op_crypto_key(ngx_kmip_op_ctx_t *ctx, uint32_t need,
    ngx_uint_t protect, const char *what);

/*
 * The State, dates and usage of ctx->obj, of any kind of key, checked as
 * ngx_kmip_op_crypto_key() does; Deactivated allowed too when deactivated
 * (to process old data). NGX_OK, NGX_DECLINED when ctx->out says why not.
 */
ngx_int_t ngx_kmip_op_key_usable(ngx_kmip_op_ctx_t *ctx, uint32_t need,
    ngx_uint_t protect, ngx_uint_t deactivated, const char *what);

/*
 * need in the Cryptographic Usage Mask of ctx->obj, for the operation
 * named what: NGX_OK, or NGX_DECLINED with ctx->out saying it is not
 * (Incompatible Cryptographic Usage Mask from 2.0 on, Permission Denied
 * in 1.x)
 */
ngx_int_t ngx_kmip_op_usage_mask(ngx_kmip_op_ctx_t *ctx, uint32_t need,
    const char *what);
/* the same of another object, obj named uid, such as a wrapping key */
ngx_int_t ngx_kmip_op_usage_mask_of(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj, ngx_str_t *uid, uint32_t need, const char *what);

/*
 * Parameters the server does not offer: Bad Cryptographic Parameters from
 * 2.0 on, Feature Not Supported in 1.x
 */
uint32_t ngx_kmip_op_bad_params(ngx_kmip_req_t *r);

/*
 * The digest of a Hashing Algorithm (NULL: not offered): SHA-1, SHA-2,
 * SHA-3, and MD5 for the clients that still derive with it
 * (ngx_kmip_op_hash.c)
 */
const EVP_MD *ngx_kmip_op_hash_md(uint32_t hashing);

/*
 * The Data of a Hash, MAC or MAC Verify, which run in one part only; NULL
 * when out says why not (ngx_kmip_op_hash.c)
 */
ngx_kmip_item_t *ngx_kmip_op_one_part(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    const char *what);

/*
 * The MAC of data with key (ngx_kmip_op_mac.c): HMAC for an HMAC
 * Cryptographic Algorithm, CMAC for AES; mac has EVP_MAX_MD_SIZE bytes.
 * NGX_DECLINED: no MAC of the algorithm with such a key; NGX_ERROR:
 * OpenSSL failed.
 */
ngx_int_t ngx_kmip_op_mac_compute(uint32_t alg, ngx_str_t *key,
    const u_char *data, size_t n, u_char *mac, size_t *len);
/* the Hashing Algorithm of an HMAC Cryptographic Algorithm, or 0 */
uint32_t ngx_kmip_op_hmac_hashing(uint32_t alg);

/* ends every stream of a connection, wiping its key schedule */
void ngx_kmip_crypto_streams_close(ngx_kmip_crypto_streams_t *streams,
    ngx_log_t *log);


/* 1 if the payload has the Boolean field, True (an Init Indicator ...) */
ngx_uint_t ngx_kmip_op_flag(const ngx_kmip_item_t *payload, uint32_t tag);

/*
 * The connection's stream slots, for the multi-part operations of
 * ngx_kmip_op_crypto.c (a cipher context) and ngx_kmip_op_parts.c (the
 * parts kept): a free slot, the expired streams dropped first; a stream
 * of the key uid put in it, with a Correlation Value of its own; the open
 * stream a Correlation Value names; the failure for one that names none;
 * the Correlation Value in an answer; the failure for a connection whose
 * slots are taken; a stream dropped, its memory wiped.
 */
ngx_kmip_crypto_stream_t **ngx_kmip_op_stream_slot(ngx_kmip_req_t *r);
ngx_kmip_crypto_stream_t *ngx_kmip_op_stream_new(ngx_kmip_req_t *r,
    ngx_kmip_crypto_stream_t **slot, ngx_str_t *uid);
ngx_kmip_crypto_stream_t **ngx_kmip_op_stream_find(ngx_kmip_req_t *r,
    ngx_kmip_item_t *cv);
ngx_int_t ngx_kmip_op_stream_none(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_stream_cv(ngx_kmip_req_t *r, ngx_kmip_item_t *payload,
    ngx_kmip_crypto_stream_t *s);
uint32_t ngx_kmip_op_stream_limit(ngx_kmip_req_t *r);
void ngx_kmip_op_stream_drop(ngx_kmip_crypto_stream_t **slot);
/*
 * The stream a later part continues, a cipher's or a multi-part
 * operation's: the open one the Correlation Value names, of the part's
 * own operation, on the key the part names if it names one. Else NULL
 * and the item failed (the message other, given the stream's operation
 * name, for a stream of another operation) and the stream, if any, ended.
 */
ngx_kmip_crypto_stream_t **ngx_kmip_op_stream_again(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    ngx_kmip_item_t *cv, const char *other);
/* a failure that ends the stream: NGX_OK, the item failed */
ngx_int_t ngx_kmip_op_stream_fail(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, ngx_kmip_crypto_stream_t **slot,
    uint32_t reason, const char *fmt, ...);

/*
 * The multi-part forms of Sign, Signature Verify, MAC, MAC Verify and
 * Hash (ngx_kmip_op_parts.c). NGX_DECLINED: a single-part request, which
 * the caller runs; else the part was answered, the final one by whole()
 * on the parts put together.
 */
typedef ngx_int_t (*ngx_kmip_op_whole_pt)(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);

ngx_int_t ngx_kmip_op_parts(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_op_whole_pt whole);
uint32_t ngx_kmip_op_parts_operation(ngx_kmip_op_parts_t *parts);
void ngx_kmip_op_parts_free(ngx_kmip_op_parts_t *parts);


#endif /* _NGX_KMIP_OP_CRYPTO_H_INCLUDED_ */
