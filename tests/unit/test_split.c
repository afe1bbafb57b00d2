/*
 * Unit tests of secret sharing for Split Keys (keys/ngx_kmip_split.c):
 * known answers worked by hand for each field, round trips of random
 * secrets through every subset size, identifiers past 255 in GF(2^16)
 * (where the field's m takes part), and the refusals. Plain C over
 * OpenSSL, no nginx.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "ngx_kmip_enums.h"
#include "ngx_kmip_split.h"

#include "ngx_kmip_test_check.h"


#define XOR     NGX_KMIP_SPLIT_KEY_METHOD_XOR
#define GF8     NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_GF_2_8
#define GF16    NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_GF_2_16
#define PRIME   NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_PRIME_FIELD

#define MAX_PARTS  300
#define MAX_LEN    64


/* 2^130 - 5, a prime above 2^128: 17 bytes */
static const uint8_t  p130[17] = {
    0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb
};

/* 257, a prime above 2^8 */
static const uint8_t  p257[2] = { 0x01, 0x01 };


static int
join(ngx_kmip_split_t *s, const unsigned *ids, uint8_t **shares,
    unsigned n, size_t share_len, uint8_t *out, size_t len)
{
    const char  *err;

    return ngx_kmip_split_join(s, ids, (const uint8_t *const *) shares, n,
                               share_len, out, len, &err);
}


/*
 * P(x) = s + a x, worked by hand: GF(2^8) with s = {53}, a = {CA}:
 * P(1) = {53} ^ {CA} = {99}; P(2) = {53} ^ {CA}.{02} = {53} ^ {8F} =
 * {DC}. GF(2^16) with s = {12}{34}, a = y: P(1) = {13}{34}, P(2) =
 * {12}{34} ^ y.{02} = {12}{34} ^ {02}{00} = {10}{34}. Prime field 257
 * with s = 83, a = 10: P(1) = 93, P(2) = 103, P(3) = 113.
 */

static void
test_known_answers(void)
{
    uint8_t           out[2], s1[2], s2[2], s3[2], *sh[3];
    unsigned          ids[3];
    ngx_kmip_split_t  s = { GF8, 3, 2, NULL, 0 };

    sh[0] = s1;
    sh[1] = s2;
    sh[2] = s3;

    s1[0] = 0x99;
    s2[0] = 0xdc;
    ids[0] = 1;
    ids[1] = 2;
    CHECK(join(&s, ids, sh, 2, 1, out, 1) == NGX_KMIP_SPLIT_OK
          && out[0] == 0x53, "GF(2^8): {99} at 1 and {DC} at 2 give {53}");

    /* the same parts in the other order */
    sh[0] = s2;
    sh[1] = s1;
    ids[0] = 2;
    ids[1] = 1;
    CHECK(join(&s, ids, sh, 2, 1, out, 1) == NGX_KMIP_SPLIT_OK
          && out[0] == 0x53, "GF(2^8): in either order");

    s.method = GF16;
    sh[0] = s1;
    sh[1] = s2;
    ids[0] = 1;
    ids[1] = 2;
    s1[0] = 0x13; s1[1] = 0x34;
    s2[0] = 0x10; s2[1] = 0x34;
    CHECK(join(&s, ids, sh, 2, 2, out, 2) == NGX_KMIP_SPLIT_OK
          && out[0] == 0x12 && out[1] == 0x34,
          "GF(2^16): {13}{34} at 1 and {10}{34} at 2 give {12}{34}");

    s.method = PRIME;
    s.prime = p257;
    s.prime_len = sizeof(p257);
    s1[0] = 0; s1[1] = 93;
    s3[0] = 0; s3[1] = 113;
    sh[1] = s3;
    ids[1] = 3;
    CHECK(join(&s, ids, sh, 2, 2, out, 1) == NGX_KMIP_SPLIT_OK
          && out[0] == 83, "prime field 257: 93 at 1 and 113 at 3 give 83");
}


/* every subset of a size from the first parts, and a shuffled one */

static void
round_trip(uint32_t method, unsigned parts, unsigned threshold,
    size_t len, const uint8_t *prime, size_t prime_len, const char *name)
{
    int               ok;
    size_t            share_len, i;
    unsigned          ids[MAX_PARTS], k, start;
    uint8_t          *shares[MAX_PARTS], *pick[MAX_PARTS];
    uint8_t           secret[MAX_LEN], out[MAX_LEN];
    const char       *err;
    ngx_kmip_split_t  s = { method, parts, threshold, prime, prime_len };

    ok = 1;

    if (ngx_kmip_split_check(&s, len, &share_len, &err)
        != NGX_KMIP_SPLIT_OK)
    {
        CHECK(0, name);
        printf("  %s\n", err);
        return;
    }

    RAND_bytes(secret, (int) len);

    for (i = 0; i < parts; i++) {
        shares[i] = malloc(share_len);
    }

    ok &= (ngx_kmip_split(&s, secret, len, shares, share_len)
           == NGX_KMIP_SPLIT_OK);

    /* a share is not the secret (2^-8L chance of a false failure aside) */
    ok &= (threshold == 1 || share_len != len
           || memcmp(shares[0], secret, len) != 0);

    /* any threshold of consecutive parts, from each start */

    for (start = 0; start + threshold <= parts; start++) {
        for (k = 0; k < threshold; k++) {
            ids[k] = start + k + 1;
            pick[k] = shares[start + k];
        }

        memset(out, 0, sizeof(out));
        ok &= (join(&s, ids, pick, threshold, share_len, out, len)
               == NGX_KMIP_SPLIT_OK
               && memcmp(out, secret, len) == 0);
    }

    /* the last parts backwards, and all of them */

    for (k = 0; k < threshold; k++) {
        ids[k] = parts - k;
        pick[k] = shares[parts - k - 1];
    }

    ok &= (join(&s, ids, pick, threshold, share_len, out, len)
           == NGX_KMIP_SPLIT_OK
           && memcmp(out, secret, len) == 0);

    for (k = 0; k < parts; k++) {
        ids[k] = k + 1;
        pick[k] = shares[k];
    }

    ok &= (join(&s, ids, pick, parts, share_len, out, len)
           == NGX_KMIP_SPLIT_OK
           && memcmp(out, secret, len) == 0);

    /* fewer than the threshold give nothing */

    ok &= (join(&s, ids, pick, threshold - 1, share_len, out, len)
           == NGX_KMIP_SPLIT_ERR_SHARES);

    for (i = 0; i < parts; i++) {
        free(shares[i]);
    }

    CHECK(ok, name);
}


static void
test_round_trips(void)
{
    round_trip(XOR, 2, 2, 16, NULL, 0, "XOR 2 of 2, AES-128");
    round_trip(XOR, 5, 5, 32, NULL, 0, "XOR 5 of 5, AES-256");
    round_trip(GF8, 3, 2, 32, NULL, 0, "GF(2^8) 2 of 3");
    round_trip(GF8, 5, 3, 24, NULL, 0, "GF(2^8) 3 of 5");
    round_trip(GF8, 255, 7, 16, NULL, 0, "GF(2^8) 7 of 255");
    round_trip(GF8, 4, 4, 16, NULL, 0, "GF(2^8) 4 of 4");
    round_trip(GF8, 3, 1, 16, NULL, 0, "GF(2^8) 1 of 3");
    round_trip(GF16, 5, 3, 32, NULL, 0, "GF(2^16) 3 of 5");
    round_trip(GF16, 300, 4, 16, NULL, 0,
               "GF(2^16) 4 of 300: identifiers past 255 use m");
    round_trip(PRIME, 5, 3, 16, p130, sizeof(p130),
               "prime field 2^130 - 5, 3 of 5, AES-128");
    round_trip(PRIME, 3, 2, 1, p257, sizeof(p257), "prime field 257, 2 of 3");
}


static void
test_refusals(void)
{
    size_t            n;
    uint8_t           a[16], b[16], out[16], *sh[2];
    unsigned          ids[2];
    const char       *err;
    ngx_kmip_split_t  s;

    static const uint8_t  p15[1] = { 15 };
    static const uint8_t  p_not[17] = {
        0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd
    };

    s = (ngx_kmip_split_t) { XOR, 3, 2, NULL, 0 };
    CHECK(ngx_kmip_split_check(&s, 16, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "XOR with a threshold below its parts");

    s = (ngx_kmip_split_t) { GF8, 1, 1, NULL, 0 };
    CHECK(ngx_kmip_split_check(&s, 16, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "one part");

    s = (ngx_kmip_split_t) { GF8, 3, 4, NULL, 0 };
    CHECK(ngx_kmip_split_check(&s, 16, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "a threshold above the parts");

    s = (ngx_kmip_split_t) { GF8, 256, 2, NULL, 0 };
    CHECK(ngx_kmip_split_check(&s, 16, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "256 parts in GF(2^8)");

    s = (ngx_kmip_split_t) { GF16, 3, 2, NULL, 0 };
    CHECK(ngx_kmip_split_check(&s, 15, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "GF(2^16) of an odd number of bytes");

    s = (ngx_kmip_split_t) { 9, 3, 2, NULL, 0 };
    CHECK(ngx_kmip_split_check(&s, 16, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "no such method");

    s = (ngx_kmip_split_t) { GF8, 3, 2, NULL, 0 };
    CHECK(ngx_kmip_split_check(&s, 0, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "no secret");
    CHECK(ngx_kmip_split_check(&s, 513, &n, &err)
          == NGX_KMIP_SPLIT_ERR_PARAMS, "a secret of 513 bytes");
    CHECK(ngx_kmip_split_check(&s, 512, &n, &err) == NGX_KMIP_SPLIT_OK,
          "a secret of 512 bytes");

    s = (ngx_kmip_split_t) { PRIME, 3, 2, NULL, 0 };
    CHECK(ngx_kmip_split_check(&s, 16, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "prime field without a Prime Field Size");

    s = (ngx_kmip_split_t) { PRIME, 3, 2, p15, 1 };
    CHECK(ngx_kmip_split_check(&s, 1, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "a prime field below 2^L");

    s = (ngx_kmip_split_t) { PRIME, 3, 2, p130, sizeof(p130) };
    CHECK(ngx_kmip_split_check(&s, 17, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "2^130 - 5 for a secret of 136 bits");
    CHECK(ngx_kmip_split_check(&s, 16, &n, &err) == NGX_KMIP_SPLIT_OK
          && n == 17, "2^130 - 5 for 128 bits: shares of 17 bytes");

    s = (ngx_kmip_split_t) { PRIME, 3, 2, p_not, sizeof(p_not) };
    CHECK(ngx_kmip_split_check(&s, 16, &n, &err) == NGX_KMIP_SPLIT_ERR_PARAMS,
          "2^130 - 3 is not a prime");

    /* joins */

    memset(a, 1, sizeof(a));
    memset(b, 2, sizeof(b));
    sh[0] = a;
    sh[1] = b;

    s = (ngx_kmip_split_t) { GF8, 3, 2, NULL, 0 };
    ids[0] = 1;
    ids[1] = 1;
    CHECK(join(&s, ids, sh, 2, 16, out, 16) == NGX_KMIP_SPLIT_ERR_SHARES,
          "the same part twice");

    ids[1] = 4;
    CHECK(join(&s, ids, sh, 2, 16, out, 16) == NGX_KMIP_SPLIT_ERR_SHARES,
          "a Key Part Identifier past the parts");

    ids[1] = 0;
    CHECK(join(&s, ids, sh, 2, 16, out, 16) == NGX_KMIP_SPLIT_ERR_SHARES,
          "a Key Part Identifier of 0");

    ids[1] = 2;
    CHECK(join(&s, ids, sh, 2, 8, out, 16) == NGX_KMIP_SPLIT_ERR_SHARES,
          "parts shorter than the key");

    s = (ngx_kmip_split_t) { XOR, 3, 3, NULL, 0 };
    CHECK(join(&s, ids, sh, 2, 16, out, 16) == NGX_KMIP_SPLIT_ERR_SHARES,
          "XOR without every part");

    /* a join checks the split as a split does: a field that is no
       prime, or too large, is refused before any arithmetic */
    {
        static uint8_t  big[NGX_KMIP_SPLIT_PRIME_MAX + 1];
        uint8_t        *two[2] = { a, b };

        s = (ngx_kmip_split_t) { PRIME, 3, 2, p_not, sizeof(p_not) };
        ids[0] = 1;
        ids[1] = 2;
        CHECK(join(&s, ids, two, 2, sizeof(p_not), out, 16)
              == NGX_KMIP_SPLIT_ERR_PARAMS, "a join in a field of no prime");

        big[0] = 0x7f;
        s = (ngx_kmip_split_t) { PRIME, 3, 2, big, sizeof(big) };
        CHECK(join(&s, ids, two, 2, sizeof(big), out, 16)
              == NGX_KMIP_SPLIT_ERR_PARAMS, "a join in a field of 536 bits");

        s = (ngx_kmip_split_t) { GF8, 3, 4, NULL, 0 };
        CHECK(join(&s, ids, two, 2, 16, out, 16)
              == NGX_KMIP_SPLIT_ERR_PARAMS,
              "a join of a threshold above the parts");
    }

    /* a share at or past the prime is no share */
    s = (ngx_kmip_split_t) { PRIME, 3, 2, p257, sizeof(p257) };
    a[0] = 0x01;
    a[1] = 0x01;
    CHECK(join(&s, ids, sh, 2, 2, out, 1) == NGX_KMIP_SPLIT_ERR_SHARES,
          "a prime field share of 257");
}


int
main(void)
{
    test_known_answers();
    test_round_trips();
    test_refusals();

    return ngx_kmip_test_report("test_split: ");
}
