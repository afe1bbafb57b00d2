
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_PKEY_H_INCLUDED_
#define _NGX_KMIP_OP_PKEY_H_INCLUDED_


/*
 * The objects of public key cryptography (KMIP 1.4 2.2.2 to 2.2.4): Public
 * Key, Private Key and Certificate, as Register takes them and Get serves
 * them (ngx_kmip_op_pkey.c). The key material layer (keys/) reads,
 * checks and converts them; the store keeps a key as DER in one format,
 * PKCS#8 for a private key and X.509 (SubjectPublicKeyInfo) for a public
 * one, whatever format it came in, and Get serves it in the format the
 * client asks for or, by default, in the one it was registered in. A
 * certificate is kept as its DER.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_op_store.h"
#include "ngx_kmip_keys.h"


/* 1 for the object types this file handles */
ngx_uint_t ngx_kmip_op_pkey_type(uint32_t object_type);

/*
 * Register of such an object: its material read from the request's
 * payload, checked, and set in obj (a wiped buffer) with the attributes it
 * implies (Cryptographic Algorithm and Length, Key Format Type as
 * registered; a certificate's Certificate Type, Length, identifiers,
 * subject and issuer). NGX_DECLINED: ctx->out says why not.
 */
ngx_int_t ngx_kmip_op_pkey_register(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj);

/*
 * A Certificate object's material and the attributes its DER implies, as
 * Register sets them; for Certify and Re-certify (ngx_kmip_op_certify.c).
 * NGX_DECLINED: ctx->out says why not.
 */
ngx_int_t ngx_kmip_op_pkey_certificate(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_object_t *obj, const uint8_t *der, size_t len);

/*
 * Get: the object in payload, a key in Key Format Type kft (0: as
 * registered), its Key Block in *blockp (NULL for a certificate).
 * NGX_DECLINED: ctx->out says why not.
 */
ngx_int_t ngx_kmip_op_pkey_get(ngx_kmip_op_ctx_t *ctx,
    ngx_kmip_item_t *payload, int64_t kft, ngx_kmip_item_t **blockp);

/*
 * What a Digest of the object is taken over, and in which Key Format Type
 * (0: none, a certificate): an RSA key's PKCS#1, as the OASIS cases'
 * reference server digests it; another key's bytes as kept; a
 * certificate's DER.
 */
ngx_int_t ngx_kmip_op_pkey_digested(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_str_t *bytes, uint32_t *kft);

/* the format the store keeps a key of the object type in */
uint32_t ngx_kmip_op_pkey_stored_format(uint32_t object_type);

/* a key object's material as the keys/ layer reads it */
void ngx_kmip_op_pkey_key(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_kmip_key_t *key, ngx_kmip_item_t *material);

/* Encrypt or Decrypt (ctx->in) with the loaded RSA key, in one part
   (ngx_kmip_op_pkcrypto.c) */
ngx_int_t ngx_kmip_op_pk_cipher(ngx_kmip_op_ctx_t *ctx);

/* the item's bytes wiped when the request's pool goes */
ngx_int_t ngx_kmip_op_pkey_wipe_later(ngx_kmip_req_t *r,
    ngx_kmip_item_t *item);


#endif /* _NGX_KMIP_OP_PKEY_H_INCLUDED_ */
