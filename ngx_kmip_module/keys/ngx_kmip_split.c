
/*
 * Copyright (C) ngx_kmip authors
 */


#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ngx_kmip_enums.h"
#include "ngx_kmip_split.h"


/* m of GF(2^16) = GF(2^8)[y]/(y^2 + y + m) (1.4 2.2.5) */
#define NGX_KMIP_GF16_M  0x3a

/* a threshold's coefficients, at most: one per part */
#define NGX_KMIP_SPLIT_MAX_THRESHOLD  255


static int ngx_kmip_split_gf(const ngx_kmip_split_t *s,
    const uint8_t *secret, size_t len, uint8_t *const *shares);
static int ngx_kmip_join_gf(const ngx_kmip_split_t *s, const unsigned *ids,
    const uint8_t *const *shares, unsigned n, uint8_t *secret, size_t len);
static int ngx_kmip_split_prime(const ngx_kmip_split_t *s,
    const uint8_t *secret, size_t len, uint8_t *const *shares,
    size_t share_len);
static int ngx_kmip_join_prime(const ngx_kmip_split_t *s,
    const unsigned *ids, const uint8_t *const *shares, unsigned n,
    uint8_t *secret, size_t len);


/* GF(2^8) of AES: shifts and masks, the same time for every value */

static uint8_t
ngx_kmip_gf8_mul(uint8_t a, uint8_t b)
{
    unsigned  i, r, x, mask;

    r = 0;
    x = a;

    for (i = 0; i < 8; i++) {
        mask = 0u - ((b >> i) & 1u);
        r ^= x & mask;
        mask = 0u - ((x >> 7) & 1u);
        x = ((x << 1) ^ (0x1b & mask)) & 0xff;
    }

    return (uint8_t) r;
}


/* a^254 = a^-1 (0 for 0) */

static uint8_t
ngx_kmip_gf8_inv(uint8_t a)
{
    unsigned  i;
    uint8_t   r, sq;

    r = 1;
    sq = a;

    /* 254 = 0b11111110 */
    for (i = 1; i < 8; i++) {
        sq = ngx_kmip_gf8_mul(sq, sq);
        r = ngx_kmip_gf8_mul(r, sq);
    }

    return r;
}


/*
 * GF(2^16): uy + v as (u << 8) | v. With y^2 = y + m,
 * (ry + s)(uy + v) = (ru + rv + su) y + (m ru + sv)
 */

static uint16_t
ngx_kmip_gf16_mul(uint16_t a, uint16_t b)
{
    uint8_t  r, s, u, v, ru, sv, hi, lo;

    r = a >> 8;
    s = a & 0xff;
    u = b >> 8;
    v = b & 0xff;

    ru = ngx_kmip_gf8_mul(r, u);
    sv = ngx_kmip_gf8_mul(s, v);

    hi = ngx_kmip_gf8_mul(r ^ s, u ^ v) ^ sv;
    lo = ngx_kmip_gf8_mul(ru, NGX_KMIP_GF16_M) ^ sv;

    return (uint16_t) ((hi << 8) | lo);
}


/* (uy + v)^-1 = u d^-1 y + (u + v) d^-1, d = (u + v) v + m u^2 */

static uint16_t
ngx_kmip_gf16_inv(uint16_t a)
{
    uint8_t  u, v, d;

    u = a >> 8;
    v = a & 0xff;

    d = ngx_kmip_gf8_mul(u ^ v, v)
        ^ ngx_kmip_gf8_mul(NGX_KMIP_GF16_M, ngx_kmip_gf8_mul(u, u));
    d = ngx_kmip_gf8_inv(d);

    return (uint16_t) ((ngx_kmip_gf8_mul(u, d) << 8)
                       | ngx_kmip_gf8_mul(u ^ v, d));
}


/* the field of a polynomial method: an element's width, and its ops */

typedef struct {
    size_t                      width;      /* bytes of an element */
    unsigned                    max_x;      /* the largest identifier */
    unsigned                  (*mul)(unsigned a, unsigned b);
    unsigned                  (*inv)(unsigned a);
} ngx_kmip_gf_t;


static unsigned
ngx_kmip_gf8_mul_u(unsigned a, unsigned b)
{
    return ngx_kmip_gf8_mul((uint8_t) a, (uint8_t) b);
}


static unsigned
ngx_kmip_gf8_inv_u(unsigned a)
{
    return ngx_kmip_gf8_inv((uint8_t) a);
}


static unsigned
ngx_kmip_gf16_mul_u(unsigned a, unsigned b)
{
    return ngx_kmip_gf16_mul((uint16_t) a, (uint16_t) b);
}


static unsigned
ngx_kmip_gf16_inv_u(unsigned a)
{
    return ngx_kmip_gf16_inv((uint16_t) a);
}


static const ngx_kmip_gf_t  ngx_kmip_gf8 = {
    1, 255, ngx_kmip_gf8_mul_u, ngx_kmip_gf8_inv_u
};

static const ngx_kmip_gf_t  ngx_kmip_gf16 = {
    2, 65535, ngx_kmip_gf16_mul_u, ngx_kmip_gf16_inv_u
};


static const ngx_kmip_gf_t *
ngx_kmip_split_field(uint32_t method)
{
    switch (method) {

    case NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_GF_2_8:
        return &ngx_kmip_gf8;

    case NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_GF_2_16:
        return &ngx_kmip_gf16;

    default:
        return NULL;
    }
}


static unsigned
ngx_kmip_gf_get(const ngx_kmip_gf_t *f, const uint8_t *p)
{
    return f->width == 1 ? p[0] : (unsigned) ((p[0] << 8) | p[1]);
}


static void
ngx_kmip_gf_put(const ngx_kmip_gf_t *f, uint8_t *p, unsigned e)
{
    if (f->width == 1) {
        p[0] = (uint8_t) e;

    } else {
        p[0] = (uint8_t) (e >> 8);
        p[1] = (uint8_t) e;
    }
}


int
ngx_kmip_split_check(const ngx_kmip_split_t *s, size_t secret_len,
    size_t *share_len, const char **err)
{
    int                   rc, bits;
    BIGNUM               *p;
    const ngx_kmip_gf_t  *f;

    *share_len = secret_len;

    if (secret_len == 0 || secret_len > NGX_KMIP_SPLIT_SECRET_MAX) {
        *err = "a split is of a secret of 1 to 512 bytes";
        return NGX_KMIP_SPLIT_ERR_PARAMS;
    }

    if (s->parts < 2 || s->parts > 65535
        || s->threshold < 1 || s->threshold > s->parts)
    {
        *err = "a split needs 2 to 65535 parts and a threshold of 1 to "
               "the number of parts";
        return NGX_KMIP_SPLIT_ERR_PARAMS;
    }

    if (s->method == NGX_KMIP_SPLIT_KEY_METHOD_XOR) {
        if (s->threshold != s->parts) {
            *err = "an XOR split needs every part: its threshold is its "
                   "number of parts";
            return NGX_KMIP_SPLIT_ERR_PARAMS;
        }

        return NGX_KMIP_SPLIT_OK;
    }

    if (s->threshold > NGX_KMIP_SPLIT_MAX_THRESHOLD) {
        *err = "a threshold of at most 255";
        return NGX_KMIP_SPLIT_ERR_PARAMS;
    }

    f = ngx_kmip_split_field(s->method);

    if (f != NULL) {
        if (s->parts > f->max_x) {
            *err = "more parts than the field has identifiers";
            return NGX_KMIP_SPLIT_ERR_PARAMS;
        }

        if (secret_len % f->width) {
            *err = "GF(2^16) splits secrets of whole 16-bit pieces";
            return NGX_KMIP_SPLIT_ERR_PARAMS;
        }

        return NGX_KMIP_SPLIT_OK;
    }

    if (s->method != NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_PRIME_FIELD)
    {
        *err = "the Split Key Method is not supported";
        return NGX_KMIP_SPLIT_ERR_PARAMS;
    }

    if (s->prime == NULL || s->prime_len == 0
        || s->prime_len > NGX_KMIP_SPLIT_PRIME_MAX)
    {
        *err = "Polynomial Sharing Prime Field needs a Prime Field Size of "
               "at most 528 bits";
        return NGX_KMIP_SPLIT_ERR_PARAMS;
    }

    p = BN_bin2bn(s->prime, (int) s->prime_len, NULL);
    if (p == NULL) {
        return NGX_KMIP_SPLIT_ERR_CRYPTO;
    }

    bits = BN_num_bits(p);
    rc = NGX_KMIP_SPLIT_OK;

    /* above 2^L for a secret of L bits, and above every identifier */

    if ((size_t) bits <= secret_len * 8
        || (bits <= 16 && BN_get_word(p) <= s->parts))
    {
        *err = "the Prime Field Size must be above 2^L for a secret of L "
               "bits, and above the number of parts";
        rc = NGX_KMIP_SPLIT_ERR_PARAMS;

    } else if (BN_check_prime(p, NULL, NULL) != 1) {
        *err = "the Prime Field Size is not a prime";
        rc = NGX_KMIP_SPLIT_ERR_PARAMS;
    }

    *share_len = (size_t) BN_num_bytes(p);

    BN_free(p);

    return rc;
}


int
ngx_kmip_split(const ngx_kmip_split_t *s, const uint8_t *secret,
    size_t secret_len, uint8_t *const *shares, size_t share_len)
{
    unsigned  i;
    size_t    j;

    switch (s->method) {

    case NGX_KMIP_SPLIT_KEY_METHOD_XOR:

        memcpy(shares[s->parts - 1], secret, secret_len);

        for (i = 0; i + 1 < s->parts; i++) {
            if (RAND_priv_bytes(shares[i], (int) secret_len) != 1) {
                return NGX_KMIP_SPLIT_ERR_CRYPTO;
            }

            for (j = 0; j < secret_len; j++) {
                shares[s->parts - 1][j] ^= shares[i][j];
            }
        }

        return NGX_KMIP_SPLIT_OK;

    case NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_PRIME_FIELD:
        return ngx_kmip_split_prime(s, secret, secret_len, shares,
                                    share_len);

    default:
        return ngx_kmip_split_gf(s, secret, secret_len, shares);
    }
}


/*
 * Shamir in GF(2^8) or GF(2^16), one element of the secret at a time:
 * fresh coefficients for each, evaluated by Horner's rule at x = i
 */

static int
ngx_kmip_split_gf(const ngx_kmip_split_t *s, const uint8_t *secret,
    size_t len, uint8_t *const *shares)
{
    int                   rc;
    size_t                off;
    unsigned              i, k, y, x;
    uint8_t               coef[NGX_KMIP_SPLIT_MAX_THRESHOLD * 2];
    const ngx_kmip_gf_t  *f;

    f = ngx_kmip_split_field(s->method);
    if (f == NULL) {
        return NGX_KMIP_SPLIT_ERR_PARAMS;
    }

    rc = NGX_KMIP_SPLIT_OK;

    for (off = 0; off < len; off += f->width) {

        /* coef[0] is the secret's element, the others random */

        memcpy(coef, secret + off, f->width);

        if (s->threshold > 1
            && RAND_priv_bytes(coef + f->width,
                               (int) ((s->threshold - 1) * f->width))
               != 1)
        {
            rc = NGX_KMIP_SPLIT_ERR_CRYPTO;
            break;
        }

        for (i = 0; i < s->parts; i++) {
            x = i + 1;
            y = 0;

            for (k = s->threshold; k-- > 0; /* void */) {
                y = f->mul(y, x) ^ ngx_kmip_gf_get(f, coef + k * f->width);
            }

            ngx_kmip_gf_put(f, shares[i] + off, y);
        }
    }

    OPENSSL_cleanse(coef, sizeof(coef));

    return rc;
}


int
ngx_kmip_split_join(const ngx_kmip_split_t *s, const unsigned *ids,
    const uint8_t *const *shares, unsigned n, size_t share_len,
    uint8_t *secret, size_t secret_len, const char **err)
{
    int       rc;
    size_t    b, expect;
    unsigned  i, j;

    /*
     * the split's fields come from stored objects a client may have
     * registered: the same bounds as a split's, the prime a prime of at
     * most 528 bits, before any arithmetic
     */

    rc = ngx_kmip_split_check(s, secret_len, &expect, err);
    if (rc != NGX_KMIP_SPLIT_OK) {
        return rc;
    }

    if (share_len != expect) {
        *err = "the parts are not of the length the split gives";
        return NGX_KMIP_SPLIT_ERR_SHARES;
    }

    if (n < s->threshold || n == 0) {
        *err = "fewer parts than the Split Key Threshold";
        return NGX_KMIP_SPLIT_ERR_SHARES;
    }

    for (i = 0; i < n; i++) {
        if (ids[i] < 1 || ids[i] > s->parts) {
            *err = "a Key Part Identifier beyond the Split Key Parts";
            return NGX_KMIP_SPLIT_ERR_SHARES;
        }

        for (j = 0; j < i; j++) {
            if (ids[j] == ids[i]) {
                *err = "the same Key Part Identifier twice";
                return NGX_KMIP_SPLIT_ERR_SHARES;
            }
        }
    }

    switch (s->method) {

    case NGX_KMIP_SPLIT_KEY_METHOD_XOR:
        if (n != s->parts) {
            *err = "an XOR split is joined from all its parts";
            return NGX_KMIP_SPLIT_ERR_SHARES;
        }

        memset(secret, 0, secret_len);

        for (i = 0; i < n; i++) {
            for (b = 0; b < secret_len; b++) {
                secret[b] ^= shares[i][b];
            }
        }

        return NGX_KMIP_SPLIT_OK;

    case NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_PRIME_FIELD:
        if (ngx_kmip_join_prime(s, ids, shares, n, secret, secret_len)
            != NGX_KMIP_SPLIT_OK)
        {
            *err = "the parts do not give a secret of the key's length";
            return NGX_KMIP_SPLIT_ERR_SHARES;
        }

        return NGX_KMIP_SPLIT_OK;

    default:
        if (ngx_kmip_join_gf(s, ids, shares, n, secret, secret_len)
            != NGX_KMIP_SPLIT_OK)
        {
            *err = "the parts are not of the key's length";
            return NGX_KMIP_SPLIT_ERR_SHARES;
        }

        return NGX_KMIP_SPLIT_OK;
    }
}


/*
 * Lagrange at 0: secret = sum of y_j l_j, l_j = prod over m != j of
 * x_m / (x_m - x_j); subtraction is XOR in these fields. The l_j depend
 * on the identifiers only.
 */

static int
ngx_kmip_join_gf(const ngx_kmip_split_t *s, const unsigned *ids,
    const uint8_t *const *shares, unsigned n, uint8_t *secret, size_t len)
{
    size_t                off;
    unsigned              j, m, num, den, e;
    unsigned              l[NGX_KMIP_SPLIT_MAX_THRESHOLD];
    const ngx_kmip_gf_t  *f;

    f = ngx_kmip_split_field(s->method);

    if (f == NULL || len % f->width) {
        return NGX_KMIP_SPLIT_ERR_PARAMS;
    }

    /* the threshold's first parts are enough */

    n = s->threshold;

    for (j = 0; j < n; j++) {
        num = 1;
        den = 1;

        for (m = 0; m < n; m++) {
            if (m != j) {
                num = f->mul(num, ids[m]);
                den = f->mul(den, ids[m] ^ ids[j]);
            }
        }

        l[j] = f->mul(num, f->inv(den));
    }

    for (off = 0; off < len; off += f->width) {
        e = 0;

        for (j = 0; j < n; j++) {
            e ^= f->mul(l[j], ngx_kmip_gf_get(f, shares[j] + off));
        }

        ngx_kmip_gf_put(f, secret + off, e);
    }

    return NGX_KMIP_SPLIT_OK;
}


/* Shamir modulo the prime: P(i) = secret + a_1 i + ... mod p */

static int
ngx_kmip_split_prime(const ngx_kmip_split_t *s, const uint8_t *secret,
    size_t len, uint8_t *const *shares, size_t share_len)
{
    int        rc;
    unsigned   i, k;
    BIGNUM    *p, *y, *x, *coef[NGX_KMIP_SPLIT_MAX_THRESHOLD];
    BN_CTX    *bn;

    rc = NGX_KMIP_SPLIT_ERR_CRYPTO;

    memset(coef, 0, sizeof(coef));

    bn = BN_CTX_secure_new();
    p = BN_bin2bn(s->prime, (int) s->prime_len, NULL);
    y = BN_secure_new();
    x = BN_new();

    if (bn == NULL || p == NULL || y == NULL || x == NULL) {
        goto done;
    }

    coef[0] = BN_secure_new();

    if (coef[0] == NULL
        || BN_bin2bn(secret, (int) len, coef[0]) == NULL)
    {
        goto done;
    }

    for (k = 1; k < s->threshold; k++) {
        coef[k] = BN_secure_new();

        if (coef[k] == NULL || BN_priv_rand_range(coef[k], p) != 1) {
            goto done;
        }
    }

    for (i = 0; i < s->parts; i++) {
        if (BN_set_word(x, i + 1) != 1) {
            goto done;
        }

        BN_zero(y);

        for (k = s->threshold; k-- > 0; /* void */) {
            if (BN_mod_mul(y, y, x, p, bn) != 1
                || BN_mod_add(y, y, coef[k], p, bn) != 1)
            {
                goto done;
            }
        }

        if (BN_bn2binpad(y, shares[i], (int) share_len) < 0) {
            goto done;
        }
    }

    rc = NGX_KMIP_SPLIT_OK;

done:

    for (k = 0; k < s->threshold && k < NGX_KMIP_SPLIT_MAX_THRESHOLD; k++) {
        BN_clear_free(coef[k]);
    }

    BN_clear_free(y);
    BN_free(x);
    BN_free(p);
    BN_CTX_free(bn);

    return rc;
}


static int
ngx_kmip_join_prime(const ngx_kmip_split_t *s, const unsigned *ids,
    const uint8_t *const *shares, unsigned n, uint8_t *secret, size_t len)
{
    int        rc;
    unsigned   j, m;
    BIGNUM    *p, *acc, *yj, *num, *den, *t;
    BN_CTX    *bn;

    rc = NGX_KMIP_SPLIT_ERR_CRYPTO;

    /* the threshold's first parts are enough */
    n = s->threshold;

    bn = BN_CTX_secure_new();
    p = BN_bin2bn(s->prime, (int) s->prime_len, NULL);
    acc = BN_secure_new();
    yj = BN_secure_new();
    num = BN_new();
    den = BN_new();
    t = BN_new();

    if (bn == NULL || p == NULL || acc == NULL || yj == NULL || num == NULL
        || den == NULL || t == NULL)
    {
        goto done;
    }

    BN_zero(acc);

    for (j = 0; j < n; j++) {
        if (BN_one(num) != 1 || BN_one(den) != 1) {
            goto done;
        }

        for (m = 0; m < n; m++) {
            if (m == j) {
                continue;
            }

            /* num *= x_m; den *= x_m - x_j (mod p) */

            if (BN_set_word(t, ids[m]) != 1
                || BN_mod_mul(num, num, t, p, bn) != 1
                || BN_set_word(t, ids[m]) != 1
                || BN_sub_word(t, ids[j]) != 1
                || BN_nnmod(t, t, p, bn) != 1
                || BN_mod_mul(den, den, t, p, bn) != 1)
            {
                goto done;
            }
        }

        if (BN_mod_inverse(den, den, p, bn) == NULL
            || BN_mod_mul(num, num, den, p, bn) != 1
            || BN_bin2bn(shares[j], (int) s->prime_len, yj) == NULL
            || BN_cmp(yj, p) >= 0
            || BN_mod_mul(yj, yj, num, p, bn) != 1
            || BN_mod_add(acc, acc, yj, p, bn) != 1)
        {
            goto done;
        }
    }

    /* a secret longer than the key's is no secret of these shares */

    if (BN_bn2binpad(acc, secret, (int) len) < 0) {
        rc = NGX_KMIP_SPLIT_ERR_SHARES;
        goto done;
    }

    rc = NGX_KMIP_SPLIT_OK;

done:

    BN_clear_free(acc);
    BN_clear_free(yj);
    BN_free(num);
    BN_free(den);
    BN_free(t);
    BN_free(p);
    BN_CTX_free(bn);

    return rc;
}
