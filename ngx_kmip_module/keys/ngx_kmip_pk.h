
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_PK_H_INCLUDED_
#define _NGX_KMIP_PK_H_INCLUDED_


#include <openssl/evp.h>

#include "ngx_kmip_keys.h"


/*
 * The cryptographic services with asymmetric keys (keys/ngx_kmip_pk.c):
 * Sign and Signature Verify with RSA PKCS#1 v1.5 and PSS (SHA-256, -384,
 * -512; SHA-1 and SHA-224 to verify only), ECDSA (the same) and Ed25519;
 * Encrypt and Decrypt with RSA OAEP (SHA-1, -224, -256, -384, -512, MGF1,
 * a P Source label) and PKCS#1 v1.5; Hash.  Plain C over OpenSSL 3 like
 * the rest of keys/: pure, thread-safe, results in the caller's
 * allocator.  Each call reads the key afresh (ngx_kmip_keys_load(),
 * validation included) and frees it; what it refuses it refuses with its
 * own code, which ngx_kmip_keys_reason() maps to a Result Reason.
 */


/* the Cryptographic Parameters that matter here; 0 (-1): absent */
typedef struct {
    uint32_t                padding;        /* Padding Method */
    uint32_t                hashing;        /* Hashing Algorithm */
    uint32_t                signature;      /* Digital Signature Algorithm */
    uint32_t                algorithm;      /* Cryptographic Algorithm */
    uint32_t                mask_generator; /* MGF1 when absent */
    uint32_t                mgf_hashing;    /* Mask Generator Hashing
                                               Algorithm: the Hashing
                                               Algorithm when absent, as
                                               OpenSSL and the OASIS test
                                               cases have it */
    int32_t                 salt_length;    /* PSS: the digest's length to
                                               sign, any to verify, when
                                               absent */
    const uint8_t          *p_source;       /* OAEP's label (P Source),
                                               none when absent */
    size_t                  p_source_len;
} ngx_kmip_pk_params_t;


#define NGX_KMIP_PK_DIGEST_MAX  64


void ngx_kmip_pk_params_init(ngx_kmip_pk_params_t *p);

/*
 * Reads a Cryptographic Parameters Structure into p, field by field, so
 * that the object's attribute and then the request's may be read in turn
 * (the request's win).  NGX_KMIP_KEYS_ERR_STRUCTURE for a field of the
 * wrong type.
 */
int ngx_kmip_pk_params_read(const ngx_kmip_item_t *cp,
    ngx_kmip_pk_params_t *p, ngx_kmip_keys_error_t *err);

/*
 * Sign data (or, digested set, its digest, which must be the hash's
 * length; not for Ed25519) with a private key: *sig in the allocator.
 */
int ngx_kmip_pk_sign(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *key,
    const ngx_kmip_pk_params_t *p, const uint8_t *data, size_t len,
    int digested, uint8_t **sig, size_t *sig_len,
    ngx_kmip_keys_error_t *err);

/*
 * NGX_KMIP_KEYS_OK and *valid 1 or 0 (the Validity Indicator) when the
 * verification ran; an error when the key or the parameters do not allow
 * it.  A public key, or the public half of a private key.
 */
int ngx_kmip_pk_verify(const ngx_kmip_key_t *key,
    const ngx_kmip_pk_params_t *p, const uint8_t *data, size_t len,
    int digested, const uint8_t *sig, size_t sig_len, int *valid,
    ngx_kmip_keys_error_t *err);

/*
 * RSA Encrypt (a public key, or a private key's public half) and Decrypt
 * (a private key): *out in the allocator; a decryption's plaintext is key
 * material for the caller to wipe.  A ciphertext that does not decrypt is
 * NGX_KMIP_KEYS_ERR_DATA whatever the reason; OpenSSL 3.0 has no implicit
 * rejection for PKCS#1 v1.5, so the operations answer its failures with
 * no more detail than that.
 */
int ngx_kmip_pk_encrypt(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *key,
    const ngx_kmip_pk_params_t *p, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, ngx_kmip_keys_error_t *err);
int ngx_kmip_pk_decrypt(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *key,
    const ngx_kmip_pk_params_t *p, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, ngx_kmip_keys_error_t *err);

/* the digest of a Hashing Algorithm the layer computes, or NULL */
const EVP_MD *ngx_kmip_pk_md(uint32_t hashing);

/* Hash: out holds NGX_KMIP_PK_DIGEST_MAX bytes */
int ngx_kmip_pk_digest(uint32_t hashing, const uint8_t *data, size_t len,
    uint8_t *out, size_t *out_len, ngx_kmip_keys_error_t *err);


#endif /* _NGX_KMIP_PK_H_INCLUDED_ */
