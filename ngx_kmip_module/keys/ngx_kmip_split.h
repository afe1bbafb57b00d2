
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_SPLIT_H_INCLUDED_
#define _NGX_KMIP_SPLIT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/*
 * Secret sharing for KMIP Split Keys (1.4 2.2.5, 2.1 2.9): a secret split
 * into Split Key Parts shares, any Split Key Threshold of which give it
 * back. Plain C over OpenSSL, no nginx headers, no globals: what the
 * Create Split Key and Join Split Key operations compute, and what the
 * unit tests run alone.
 *
 * The methods, with share i being the split of Key Part Identifier i:
 *
 *   XOR                  parts - 1 random shares, and the secret XORed
 *                        with them all; every part is needed (the
 *                        threshold is the number of parts).
 *   Polynomial Sharing   Shamir's scheme in GF(2^8) as AES defines it
 *   GF(2^8)              (x^8 + x^4 + x^3 + x + 1), byte by byte: share
 *                        i is P(i), P of degree threshold - 1 with the
 *                        secret byte at 0 and random coefficients.
 *   Polynomial Sharing   the same in GF(2^16) = GF(2^8)[y]/(y^2 + y + m),
 *   GF(2^16)             m = {3A}, 16 bits at a time: an element uy + v
 *                        is the bytes u, v, and x = i is (i >> 8, i & 0xff).
 *   Polynomial Sharing   the secret as a big-endian integer below the
 *   Prime Field          Prime Field Size p (a prime above 2^L for a
 *                        secret of L bits), P(i) mod p, each share the
 *                        byte length of p.
 *
 * Shares and coefficients are secrets: every buffer this layer fills for
 * itself is wiped before it returns; the caller wipes the shares and the
 * secret it passes. The field multiplication runs in constant time.
 */


#define NGX_KMIP_SPLIT_OK            0
#define NGX_KMIP_SPLIT_ERR_PARAMS   -1    /* counts, method or field */
#define NGX_KMIP_SPLIT_ERR_SHARES   -2    /* shares that do not fit */
#define NGX_KMIP_SPLIT_ERR_CRYPTO   -3    /* the generator or bignums */


/*
 * a secret of at most 512 bytes: the sharing runs in the worker, and
 * 32 parts of a threshold of 32 take about 10 ms at that length
 */
#define NGX_KMIP_SPLIT_SECRET_MAX    512

/*
 * a prime field of at most 528 bits, enough for a 512-bit secret (an
 * HMAC-SHA512 key): the check that the field size is a prime runs in the
 * worker, about 8 ms at 528 bits, where 4096 bits take 1.8 s
 */
#define NGX_KMIP_SPLIT_PRIME_MAX     66


typedef struct {
    uint32_t                    method;     /* Split Key Method */
    unsigned                    parts;
    unsigned                    threshold;
    const uint8_t              *prime;      /* Prime Field Size, big-endian
                                               (Prime Field only) */
    size_t                      prime_len;
} ngx_kmip_split_t;


/*
 * Whether s can split a secret of secret_len bytes, and the length of
 * each share; *err says why not (a text without secrets)
 */
int ngx_kmip_split_check(const ngx_kmip_split_t *s, size_t secret_len,
    size_t *share_len, const char **err);

/* the s->parts shares, each share_len bytes (ngx_kmip_split_check()) */
int ngx_kmip_split(const ngx_kmip_split_t *s, const uint8_t *secret,
    size_t secret_len, uint8_t *const *shares, size_t share_len);

/*
 * The secret of secret_len bytes from n shares of share_len bytes, with
 * their Key Part Identifiers: at least the threshold of them, each once.
 * s is checked as ngx_kmip_split_check() checks it (its fields may be a
 * client's), and share_len must be the length it gives.
 */
int ngx_kmip_split_join(const ngx_kmip_split_t *s, const unsigned *ids,
    const uint8_t *const *shares, unsigned n, size_t share_len,
    uint8_t *secret, size_t secret_len, const char **err);


#endif /* _NGX_KMIP_SPLIT_H_INCLUDED_ */
