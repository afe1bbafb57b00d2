
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_KEYS_H_INCLUDED_
#define _NGX_KMIP_KEYS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_enums.h"


/*
 * Asymmetric key material (keys/): RSA, EC on P-256/P-384/P-521, Ed25519
 * and X25519 keys as KMIP holds them, a Key Format Type and a Key
 * Material.  Plain C over OpenSSL 3, no nginx headers and no globals:
 * every function is pure and thread-safe, so that the unit tests link the
 * folder alone and an nginx thread pool task may run the slow ones (key
 * generation).  What a function returns lives in the caller's allocator;
 * the private bytes it returns are the caller's to wipe
 * (ngx_kmip_keys_wipe_item()); nothing here logs, and the error texts
 * never quote key bytes.
 *
 * Key Format Types, by key and object (anything else is
 * NGX_KMIP_KEYS_ERR_FORMAT, which the operations answer with Key Format
 * Type Not Supported):
 *
 *   RSA private   PKCS#1 (RSAPrivateKey), PKCS#8, Transparent RSA Private
 *   RSA public    PKCS#1 (RSAPublicKey), X.509 (SubjectPublicKeyInfo),
 *                 Transparent RSA Public
 *   EC private    PKCS#8, ECPrivateKey (SEC1, named curve), Transparent EC
 *                 Private (and the 1.x Transparent ECDSA/ECDH/ECMQV
 *                 Private, the same structure)
 *   EC public     X.509, Transparent EC Public (and the 1.x ECDSA/ECDH/
 *                 ECMQV Public)
 *   Ed25519,      PKCS#8 / X.509, Raw (the 32 bytes of RFC 8032 / 7748)
 *   X25519
 */


/* key types */
#define NGX_KMIP_KEY_RSA       1
#define NGX_KMIP_KEY_EC        2
#define NGX_KMIP_KEY_ED25519   3
#define NGX_KMIP_KEY_X25519    4


/* RSA moduli the layer reads, in bits; generation offers fewer */
#define NGX_KMIP_KEYS_RSA_MIN_BITS   1024
#define NGX_KMIP_KEYS_RSA_MAX_BITS   8192


typedef enum {
    NGX_KMIP_KEYS_OK = 0,
    NGX_KMIP_KEYS_ERR_NOMEM,
    NGX_KMIP_KEYS_ERR_ALGORITHM,   /* not RSA, EC, Ed25519 or X25519 */
    NGX_KMIP_KEYS_ERR_LENGTH,      /* a key size not offered or out of
                                      bounds */
    NGX_KMIP_KEYS_ERR_WEAK,        /* RSA 1024 asked without allow_weak */
    NGX_KMIP_KEYS_ERR_CURVE,       /* a curve not offered (or explicit
                                      parameters) */
    NGX_KMIP_KEYS_ERR_FORMAT,      /* the Key Format Type is not defined
                                      for this key and object: cannot
                                      convert */
    NGX_KMIP_KEYS_ERR_ENCODING,    /* not the DER the format says:
                                      truncated, wrong shape, unknown OID */
    NGX_KMIP_KEYS_ERR_TRAILING,    /* bytes after the DER */
    NGX_KMIP_KEYS_ERR_STRUCTURE,   /* a Transparent Key Material with a
                                      field missing, repeated, or of the
                                      wrong type or sign */
    NGX_KMIP_KEYS_ERR_INVALID,     /* decoded, yet fails the key's own
                                      consistency check */
    NGX_KMIP_KEYS_ERR_MISMATCH,    /* the declared algorithm or length is
                                      not the key's */
    NGX_KMIP_KEYS_ERR_PAIR,        /* the public key is not the private
                                      key's */
    NGX_KMIP_KEYS_ERR_PADDING,     /* Padding Method refused for the key
                                      and operation */
    NGX_KMIP_KEYS_ERR_HASH,        /* Hashing Algorithm (or the mask
                                      generator's) refused */
    NGX_KMIP_KEYS_ERR_SIGNATURE,   /* Digital Signature Algorithm refused */
    NGX_KMIP_KEYS_ERR_MASK,        /* Mask Generator other than MGF1 */
    NGX_KMIP_KEYS_ERR_CONFLICT,    /* parameters that contradict each other
                                      or the key's algorithm */
    NGX_KMIP_KEYS_ERR_KEY_USE,     /* the key cannot do that: sign with a
                                      public key, encrypt with EC */
    NGX_KMIP_KEYS_ERR_DATA,        /* input too long for the key, a
                                      ciphertext that does not decrypt */
    NGX_KMIP_KEYS_ERR_CRYPTO       /* OpenSSL failed where it should not */
} ngx_kmip_keys_rc_e;


typedef struct {
    int                     rc;        /* ngx_kmip_keys_rc_e */
    const char             *what;      /* static text for the Result
                                          Message and the logs */
} ngx_kmip_keys_error_t;


/* what a key is, in KMIP's attributes */
typedef struct {
    unsigned                type;      /* NGX_KMIP_KEY_* */
    unsigned                is_private;
    uint32_t                algorithm; /* Cryptographic Algorithm: RSA,
                                          EC (P curves and X25519, which
                                          KMIP names by curve only),
                                          ED25519 */
    int32_t                 length;    /* Cryptographic Length: the
                                          modulus bits, the curve's field
                                          bits (256, 384, 521), 256 for
                                          the 25519 keys (32 bytes) */
    uint32_t                curve;     /* Recommended Curve; 0 for RSA */
} ngx_kmip_key_info_t;


/* a key as a Key Block carries it */
typedef struct {
    uint32_t                object_type;  /* NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY
                                             or _PRIVATE_KEY */
    uint32_t                format;       /* NGX_KMIP_KEY_FORMAT_TYPE_* */
    uint32_t                algorithm;    /* the Key Block's Cryptographic
                                             Algorithm, 0 if absent; read
                                             only for Raw, whose bytes do
                                             not say (ED25519: Ed25519; EC
                                             or ECDH: X25519) */
    const ngx_kmip_item_t  *material;     /* Key Material: a Byte String,
                                             or a Structure for the
                                             Transparent formats */
} ngx_kmip_key_t;


/* static text of a code, and the KMIP Result Reason the operations give */
const char *ngx_kmip_keys_strerror(int rc);
uint32_t ngx_kmip_keys_reason(int rc);


/*
 * Parses and validates a key: the DER read strictly (one object spanning
 * the bytes, the shape the format names), the key checked (an RSA private
 * key against its factors, a public point on its curve).  info may be
 * NULL.  NGX_KMIP_KEYS_OK, or the code in err (err may be NULL).
 */
int ngx_kmip_keys_inspect(const ngx_kmip_key_t *key,
    ngx_kmip_key_info_t *info, ngx_kmip_keys_error_t *err);

/*
 * NGX_KMIP_KEYS_ERR_MISMATCH unless the declared Cryptographic Algorithm
 * and Length (0: not declared) fit the key: an EC key may be declared EC,
 * ECDSA, ECDH or ECMQV, X25519 EC or ECDH; the 25519 keys 255 or 256 bits.
 */
int ngx_kmip_keys_check_declared(const ngx_kmip_key_info_t *info,
    uint32_t algorithm, int32_t length, ngx_kmip_keys_error_t *err);

/* NGX_KMIP_KEYS_ERR_PAIR unless pub is the public half of priv */
int ngx_kmip_keys_check_pair(const ngx_kmip_key_t *priv,
    const ngx_kmip_key_t *pub, ngx_kmip_keys_error_t *err);

/* 1 if the format is defined for that key type and object type */
int ngx_kmip_keys_format_defined(unsigned type, uint32_t object_type,
    uint32_t format);

/*
 * The key in another Key Format Type: *out is a new Key Material item
 * (a Byte String, or a Structure of Big Integers and the like for the
 * Transparent formats), every byte in the allocator.  The same format is
 * a copy, after the same validation as inspect.
 */
int ngx_kmip_keys_convert(ngx_kmip_allocator_t *a, const ngx_kmip_key_t *key,
    uint32_t format, ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err);

/* the public half of a private key, as a Public Key in format */
int ngx_kmip_keys_public_of(ngx_kmip_allocator_t *a,
    const ngx_kmip_key_t *priv, uint32_t format, ngx_kmip_item_t **out,
    ngx_kmip_keys_error_t *err);

/* wipes the string bytes of an item and its children (the allocator's) */
void ngx_kmip_keys_wipe_item(ngx_kmip_item_t *item);


/*
 * Key pair generation.
 *
 * ngx_kmip_keys_generate() is CPU-heavy (an RSA 4096 key can take a
 * second): the operations run it in an nginx thread pool task.  It uses no
 * allocator, no globals and nothing of nginx: the result goes to the
 * fixed buffers of the ngx_kmip_keypair_t the caller allocated with the
 * task, so nothing touches a pool from the thread.  Validate the request
 * in the event loop first with ngx_kmip_keys_generate_check() (cheap, the
 * same refusals), post the task, and on its completion copy the DER out
 * and call ngx_kmip_keys_keypair_wipe().
 */

/* PKCS#8 of an RSA 4096 key is 2.4 kB at most, its SPKI 550 bytes */
#define NGX_KMIP_KEYS_PRIVATE_MAX  2560
#define NGX_KMIP_KEYS_PUBLIC_MAX   640

typedef struct {
    uint32_t                algorithm; /* RSA; EC, ECDSA, ECDH (a P curve,
                                          or X25519 with curve
                                          CURVE25519); ED25519 */
    int32_t                 length;    /* RSA: 2048, 3072, 4096 (1024 with
                                          allow_weak); EC: 256, 384, 521
                                          when curve is 0; else 0 or the
                                          curve's */
    uint32_t                curve;     /* Recommended Curve, 0: from the
                                          length */
    unsigned                allow_weak:1;
} ngx_kmip_keygen_t;

typedef struct {
    ngx_kmip_key_info_t     info;      /* of the private key */
    size_t                  private_len;
    size_t                  public_len;
    uint8_t                 private_der[NGX_KMIP_KEYS_PRIVATE_MAX];
                                       /* PKCS#8 PrivateKeyInfo */
    uint8_t                 public_der[NGX_KMIP_KEYS_PUBLIC_MAX];
                                       /* SubjectPublicKeyInfo */
} ngx_kmip_keypair_t;

int ngx_kmip_keys_generate_check(const ngx_kmip_keygen_t *p,
    ngx_kmip_key_info_t *info, ngx_kmip_keys_error_t *err);
int ngx_kmip_keys_generate(const ngx_kmip_keygen_t *p, ngx_kmip_keypair_t *kp,
    ngx_kmip_keys_error_t *err);
void ngx_kmip_keys_keypair_wipe(ngx_kmip_keypair_t *kp);


/*
 * Within keys/ (ngx_kmip_pk.c, ngx_kmip_cert.c): *pkey, the key as
 * OpenSSL's after the validation of inspect (EVP_PKEY_free() it), or NULL
 * and the code.  ngx_kmip_keys_info_of() describes an EVP_PKEY, refusing
 * what the layer does not offer.  ngx_kmip_keys_fail() sets err (if not
 * NULL) and returns rc.
 */
int ngx_kmip_keys_load(const ngx_kmip_key_t *key, EVP_PKEY **pkey,
    ngx_kmip_key_info_t *info, ngx_kmip_keys_error_t *err);
int ngx_kmip_keys_info_of(EVP_PKEY *pkey, int is_private,
    ngx_kmip_key_info_t *info, ngx_kmip_keys_error_t *err);
int ngx_kmip_keys_fail(ngx_kmip_keys_error_t *err, int rc, const char *what);

/* one DER TLV at *p (strict: one-byte tags, minimal definite lengths of
   up to 4 bytes, inside end): 0 and *p past it, or -1 */
int ngx_kmip_keys_der_next(const uint8_t **p, const uint8_t *end,
    unsigned *tag, const uint8_t **val, size_t *len);


#endif /* _NGX_KMIP_KEYS_H_INCLUDED_ */
