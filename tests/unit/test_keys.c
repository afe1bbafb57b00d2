/*
 * Unit tests of the key material layer (ngx_kmip_module/keys): key pair
 * generation, Key Format Type conversion both ways, hostile DER and
 * Transparent structures, certificates, Sign / Signature Verify, RSA
 * Encrypt / Decrypt, Hash; with known answers from the OASIS profile test
 * cases, read from ../shared/kmip/testcases (KMIP_TESTCASES to move it).
 * Plain C over OpenSSL, no nginx.
 */

#define _GNU_SOURCE

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ngx_kmip_keys.h"
#include "ngx_kmip_pk.h"
#include "ngx_kmip_cert.h"

#include "ngx_kmip_test.h"
#include "ngx_kmip_test_check.h"


/* the tests' memory: the unit tests' arena, emptied after each group */

#define TEST_ARENA_SIZE  (32 * 1024 * 1024)

static ngx_kmip_test_arena_t  arena;
static ngx_kmip_allocator_t   A = { ngx_kmip_test_alloc, &arena };


static void *
arena_alloc(size_t size)
{
    void  *p;

    p = ngx_kmip_test_alloc(&arena, size);
    if (p == NULL) {
        abort();
    }

    return p;
}


static void
arena_free(void)
{
    ngx_kmip_test_arena_reset(&arena, TEST_ARENA_SIZE);
    arena.cap = TEST_ARENA_SIZE;
}


#define OBJ_PRIV  NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
#define OBJ_PUB   NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY

#define F_RAW     NGX_KMIP_KEY_FORMAT_TYPE_RAW
#define F_PKCS1   NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1
#define F_PKCS8   NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8
#define F_X509    NGX_KMIP_KEY_FORMAT_TYPE_X_509
#define F_SEC1    NGX_KMIP_KEY_FORMAT_TYPE_ECPRIVATEKEY
#define F_TRSA_S  NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_RSA_PRIVATE_KEY
#define F_TRSA_P  NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_RSA_PUBLIC_KEY
#define F_TEC_S   NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_EC_PRIVATE_KEY
#define F_TEC_P   NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_EC_PUBLIC_KEY

#define ALG(x)    NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_##x
#define HASH(x)   NGX_KMIP_HASHING_ALGORITHM_##x
#define PAD(x)    NGX_KMIP_PADDING_METHOD_##x
#define DSA(x)    NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_##x
#define CURVE(x)  NGX_KMIP_RECOMMENDED_CURVE_##x


/* every Key Format Type of KMIP 1.4 and 2.1 */
static const uint32_t  all_formats[] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C,
    0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17
};

#define NFORMATS  (sizeof(all_formats) / sizeof(all_formats[0]))


static ngx_kmip_item_t *
bytes_item(const uint8_t *p, size_t n)
{
    ngx_kmip_item_t  *it;

    it = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_KEY_MATERIAL,
                                NGX_KMIP_TYPE_BYTE_STRING);
    it->v.str.data = p;
    it->v.str.len = n;

    return it;
}


static ngx_kmip_key_t
key_of(uint32_t obj, uint32_t format, uint32_t alg, const ngx_kmip_item_t *m)
{
    ngx_kmip_key_t  k;

    k.object_type = obj;
    k.format = format;
    k.algorithm = alg;
    k.material = m;

    return k;
}


static uint8_t *
copy_of(const uint8_t *p, size_t n, size_t extra)
{
    uint8_t  *c;

    c = arena_alloc(n + extra);
    memcpy(c, p, n);

    return c;
}


/* the rc of inspecting bytes in a format */
static int
inspect_bytes(uint32_t obj, uint32_t format, const uint8_t *p, size_t n,
    ngx_kmip_key_info_t *info)
{
    ngx_kmip_key_t         k;
    ngx_kmip_keys_error_t  err;

    k = key_of(obj, format, 0, bytes_item(p, n));

    return ngx_kmip_keys_inspect(&k, info, &err);
}


/* an item through the codec: encoded, decoded, as a client sends it */
static ngx_kmip_item_t *
through_ttlv(const ngx_kmip_item_t *it)
{
    size_t            n;
    uint8_t          *buf;
    ngx_kmip_item_t  *root;

    n = ngx_kmip_ttlv_size(it);
    buf = arena_alloc(n);
    ngx_kmip_ttlv_encode(it, buf);

    if (ngx_kmip_ttlv_decode(buf, n, NULL, &A, &root, NULL) != NGX_KMIP_OK) {
        return NULL;
    }

    return root;
}


/* ---------------------------------------------------------------------
 * generation
 */

typedef struct {
    const char         *name;
    ngx_kmip_keygen_t   gen;
    unsigned            type;
    int32_t             length;
    uint32_t            curve;
    uint32_t            raw_alg;   /* the Raw hint */
} gen_case_t;


static const gen_case_t  gen_cases[] = {
    { "RSA 2048", { ALG(RSA), 2048, 0, 0 }, NGX_KMIP_KEY_RSA, 2048, 0, 0 },
    { "RSA 3072", { ALG(RSA), 3072, 0, 0 }, NGX_KMIP_KEY_RSA, 3072, 0, 0 },
    { "RSA 4096", { ALG(RSA), 4096, 0, 0 }, NGX_KMIP_KEY_RSA, 4096, 0, 0 },
    { "RSA 1024 allowed", { ALG(RSA), 1024, 0, 1 }, NGX_KMIP_KEY_RSA, 1024,
      0, 0 },
    { "EC P-256", { ALG(EC), 0, CURVE(P_256), 0 }, NGX_KMIP_KEY_EC, 256,
      CURVE(P_256), 0 },
    { "ECDSA 384", { ALG(ECDSA), 384, 0, 0 }, NGX_KMIP_KEY_EC, 384,
      CURVE(P_384), 0 },
    { "ECDH P-521", { ALG(ECDH), 521, CURVE(P_521), 0 }, NGX_KMIP_KEY_EC, 521,
      CURVE(P_521), 0 },
    { "Ed25519", { ALG(ED25519), 0, 0, 0 }, NGX_KMIP_KEY_ED25519, 256,
      CURVE(CURVE25519), ALG(ED25519) },
    { "X25519", { ALG(ECDH), 0, CURVE(CURVE25519), 0 }, NGX_KMIP_KEY_X25519,
      256, CURVE(CURVE25519), ALG(EC) },
};

#define NGEN  (sizeof(gen_cases) / sizeof(gen_cases[0]))

static ngx_kmip_keypair_t  pairs[NGEN];


/* generated key i, its private half as PKCS#8 or its public as X.509 */
static ngx_kmip_key_t
gen_key(size_t i, int priv)
{
    return priv
           ? key_of(OBJ_PRIV, F_PKCS8, 0, bytes_item(pairs[i].private_der,
                                                     pairs[i].private_len))
           : key_of(OBJ_PUB, F_X509, 0, bytes_item(pairs[i].public_der,
                                                   pairs[i].public_len));
}


/* generated key i in another format, NULL if it fails */
static ngx_kmip_item_t *
gen_as(size_t i, int priv, uint32_t format)
{
    ngx_kmip_key_t    k;
    ngx_kmip_item_t  *out;

    k = gen_key(i, priv);
    out = NULL;

    if (ngx_kmip_keys_convert(&A, &k, format, &out, NULL) != NGX_KMIP_KEYS_OK)
    {
        return NULL;
    }

    return out;
}


static void
test_generate(void)
{
    char                   name[128];
    size_t                 i;
    ngx_kmip_key_t         sk, pk, other;
    ngx_kmip_key_info_t    info;
    ngx_kmip_keys_error_t  err;

    for (i = 0; i < NGEN; i++) {
        const gen_case_t  *g = &gen_cases[i];

        snprintf(name, sizeof(name), "%s: generated", g->name);
        CHECK(ngx_kmip_keys_generate(&g->gen, &pairs[i], &err)
              == NGX_KMIP_KEYS_OK && err.rc == NGX_KMIP_KEYS_OK, name);

        snprintf(name, sizeof(name), "%s: info of the generation", g->name);
        CHECK(pairs[i].info.type == g->type
              && pairs[i].info.length == g->length
              && pairs[i].info.curve == g->curve
              && pairs[i].info.is_private, name);

        snprintf(name, sizeof(name), "%s: the PKCS#8 reads back", g->name);
        CHECK(inspect_bytes(OBJ_PRIV, F_PKCS8, pairs[i].private_der,
                            pairs[i].private_len, &info) == NGX_KMIP_KEYS_OK
              && info.type == g->type && info.length == g->length
              && info.curve == g->curve && info.is_private, name);

        snprintf(name, sizeof(name), "%s: the SPKI reads back", g->name);
        CHECK(inspect_bytes(OBJ_PUB, F_X509, pairs[i].public_der,
                            pairs[i].public_len, &info) == NGX_KMIP_KEYS_OK
              && info.type == g->type && info.length == g->length
              && !info.is_private, name);

        sk = gen_key(i, 1);
        pk = gen_key(i, 0);

        snprintf(name, sizeof(name), "%s: the halves pair", g->name);
        CHECK(ngx_kmip_keys_check_pair(&sk, &pk, &err) == NGX_KMIP_KEYS_OK,
              name);

        snprintf(name, sizeof(name), "%s: the declared attributes fit",
                 g->name);
        CHECK(ngx_kmip_keys_check_declared(&info, g->gen.algorithm,
                                           g->length, &err)
              == NGX_KMIP_KEYS_OK, name);

        if (i > 0 && gen_cases[i - 1].type == g->type) {
            other = gen_key(i - 1, 0);

            snprintf(name, sizeof(name), "%s: another key's half does not "
                     "pair", g->name);
            CHECK(ngx_kmip_keys_check_pair(&sk, &other, &err)
                  == NGX_KMIP_KEYS_ERR_PAIR, name);
        }
    }

    /* a second generation is another key */
    {
        ngx_kmip_keypair_t  kp;

        CHECK(ngx_kmip_keys_generate(&gen_cases[4].gen, &kp, NULL)
              == NGX_KMIP_KEYS_OK
              && (kp.public_len != pairs[4].public_len
                  || memcmp(kp.public_der, pairs[4].public_der,
                            kp.public_len) != 0),
              "two generations, two keys");

        ngx_kmip_keys_keypair_wipe(&kp);
        CHECK(kp.private_len == 0 && kp.private_der[0] == 0
              && kp.private_der[sizeof(kp.private_der) - 1] == 0,
              "a key pair wiped");
    }
}


static void
test_generate_refusals(void)
{
    size_t                 i;
    ngx_kmip_keypair_t     kp;
    ngx_kmip_key_info_t    info;
    ngx_kmip_keys_error_t  err;

    static const struct {
        const char         *name;
        ngx_kmip_keygen_t   gen;
        int                 rc;
    } bad[] = {
        { "RSA 1024 without allow_weak", { ALG(RSA), 1024, 0, 0 },
          NGX_KMIP_KEYS_ERR_WEAK },
        { "RSA 512", { ALG(RSA), 512, 0, 1 }, NGX_KMIP_KEYS_ERR_LENGTH },
        { "RSA 2047", { ALG(RSA), 2047, 0, 0 }, NGX_KMIP_KEYS_ERR_LENGTH },
        { "RSA 8192", { ALG(RSA), 8192, 0, 0 }, NGX_KMIP_KEYS_ERR_LENGTH },
        { "RSA 0", { ALG(RSA), 0, 0, 0 }, NGX_KMIP_KEYS_ERR_LENGTH },
        { "RSA with a curve", { ALG(RSA), 2048, CURVE(P_256), 0 },
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "EC of no known length", { ALG(EC), 255, 0, 0 },
          NGX_KMIP_KEYS_ERR_LENGTH },
        { "EC without a length or curve", { ALG(EC), 0, 0, 0 },
          NGX_KMIP_KEYS_ERR_LENGTH },
        { "EC on K-163", { ALG(EC), 0, CURVE(K_163), 0 },
          NGX_KMIP_KEYS_ERR_CURVE },
        { "EC on secp256k1", { ALG(EC), 0, CURVE(SECP256K1), 0 },
          NGX_KMIP_KEYS_ERR_CURVE },
        { "EC P-256 of 384 bits", { ALG(EC), 384, CURVE(P_256), 0 },
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "ECDSA on Curve25519", { ALG(ECDSA), 0, CURVE(CURVE25519), 0 },
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "X25519 of 384 bits", { ALG(EC), 384, CURVE(CURVE25519), 0 },
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "Ed25519 on P-256", { ALG(ED25519), 0, CURVE(P_256), 0 },
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "Ed25519 of 448 bits", { ALG(ED25519), 448, 0, 0 },
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "Ed448", { ALG(ED448), 0, 0, 0 }, NGX_KMIP_KEYS_ERR_ALGORITHM },
        { "DSA", { ALG(DSA), 2048, 0, 0 }, NGX_KMIP_KEYS_ERR_ALGORITHM },
        { "AES", { ALG(AES), 256, 0, 0 }, NGX_KMIP_KEYS_ERR_ALGORITHM },
        { "no algorithm", { 0, 2048, 0, 0 }, NGX_KMIP_KEYS_ERR_ALGORITHM },
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.rc = -1;
        CHECK(ngx_kmip_keys_generate_check(&bad[i].gen, &info, &err)
              == bad[i].rc && err.rc == bad[i].rc && err.what != NULL,
              bad[i].name);

        kp.private_len = 1;
        CHECK(ngx_kmip_keys_generate(&bad[i].gen, &kp, &err) == bad[i].rc
              && kp.private_len == 0, bad[i].name);
    }

    CHECK(ngx_kmip_keys_reason(NGX_KMIP_KEYS_ERR_WEAK)
          == NGX_KMIP_REASON_INVALID_FIELD, "a weak key: Invalid Field");
}


/* generation from threads at once: no globals, no shared state */

typedef struct {
    const ngx_kmip_keygen_t  *gen;
    int                       rc;
    ngx_kmip_keypair_t        kp;
} thread_job_t;


static void *
gen_thread(void *data)
{
    thread_job_t  *job = data;

    job->rc = ngx_kmip_keys_generate(job->gen, &job->kp, NULL);

    return NULL;
}


static void
test_generate_threads(void)
{
    int           ok;
    size_t        i;
    pthread_t     t[4];
    thread_job_t  job[4];

    for (i = 0; i < 4; i++) {
        job[i].gen = &gen_cases[i % 2 ? 0 : 4].gen;
        job[i].rc = -1;
        ok = pthread_create(&t[i], NULL, gen_thread, &job[i]) == 0;
        CHECK(ok, "a generation thread started");
    }

    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(job[i].rc == NGX_KMIP_KEYS_OK
              && inspect_bytes(OBJ_PRIV, F_PKCS8, job[i].kp.private_der,
                               job[i].kp.private_len, NULL)
                 == NGX_KMIP_KEYS_OK, "a key generated in a thread");
        ngx_kmip_keys_keypair_wipe(&job[i].kp);
    }
}


/* ---------------------------------------------------------------------
 * conversion: every format to every format, both ways
 */

static void
test_convert_one(const gen_case_t *g, const ngx_kmip_keypair_t *kp, int priv)
{
    int                    rc, ok;
    char                   name[160];
    size_t                 i, j;
    uint32_t               obj, f, h, canon;
    const uint8_t         *der;
    size_t                 der_len;
    ngx_kmip_key_t         src, mid, back;
    ngx_kmip_item_t       *out, *out2, *rt;
    ngx_kmip_key_info_t    info;
    ngx_kmip_keys_error_t  err;

    obj = priv ? OBJ_PRIV : OBJ_PUB;
    canon = priv ? F_PKCS8 : F_X509;
    der = priv ? kp->private_der : kp->public_der;
    der_len = priv ? kp->private_len : kp->public_len;

    src = key_of(obj, canon, g->raw_alg, bytes_item(der, der_len));

    for (i = 0; i < NFORMATS; i++) {
        f = all_formats[i];
        out = NULL;
        rc = ngx_kmip_keys_convert(&A, &src, f, &out, &err);

        if (!ngx_kmip_keys_format_defined(g->type, obj, f)) {
            snprintf(name, sizeof(name), "%s %s: format %u cannot convert",
                     g->name, priv ? "private" : "public", f);
            CHECK(rc == NGX_KMIP_KEYS_ERR_FORMAT
                  && ngx_kmip_keys_reason(rc)
                     == NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED, name);
            continue;
        }

        snprintf(name, sizeof(name), "%s %s: to format %u", g->name,
                 priv ? "private" : "public", f);
        CHECK(rc == NGX_KMIP_KEYS_OK && out != NULL
              && out->tag == NGX_KMIP_TAG_KEY_MATERIAL, name);

        if (rc != NGX_KMIP_KEYS_OK) {
            continue;
        }

        /* as a client would send it back */
        rt = through_ttlv(out);

        snprintf(name, sizeof(name), "%s %s: format %u through TTLV",
                 g->name, priv ? "private" : "public", f);
        CHECK(rt != NULL, name);

        if (rt == NULL) {
            continue;
        }

        mid = key_of(obj, f, g->raw_alg, rt);

        snprintf(name, sizeof(name), "%s %s: format %u inspects", g->name,
                 priv ? "private" : "public", f);
        CHECK(ngx_kmip_keys_inspect(&mid, &info, &err) == NGX_KMIP_KEYS_OK
              && info.type == g->type && info.length == g->length
              && info.curve == g->curve && info.is_private == (unsigned) priv,
              name);

        /* from this format to every other defined one, and back to the
           canonical DER, byte for byte */
        ok = 1;

        for (j = 0; j < NFORMATS; j++) {
            h = all_formats[j];

            if (!ngx_kmip_keys_format_defined(g->type, obj, h)) {
                continue;
            }

            out2 = NULL;
            if (ngx_kmip_keys_convert(&A, &mid, h, &out2, &err)
                != NGX_KMIP_KEYS_OK)
            {
                ok = 0;
                break;
            }

            back = key_of(obj, h, g->raw_alg, out2);
            out2 = NULL;

            if (ngx_kmip_keys_convert(&A, &back, canon, &out2, &err)
                != NGX_KMIP_KEYS_OK
                || out2->v.str.len != der_len
                || memcmp(out2->v.str.data, der, der_len) != 0)
            {
                ok = 0;
                break;
            }
        }

        snprintf(name, sizeof(name), "%s %s: format %u to every format and "
                 "back, byte for byte", g->name, priv ? "private" : "public",
                 f);
        CHECK(ok, name);

        /* a copy to wipe */
        if (f != canon) {
            ngx_kmip_keys_wipe_item(out);

            if (out->type == NGX_KMIP_TYPE_BYTE_STRING) {
                CHECK(out->v.str.data[0] == 0
                      && out->v.str.data[out->v.str.len - 1] == 0,
                      "a converted key wiped");
            }
        }
    }

    if (priv) {
        out = NULL;
        rc = ngx_kmip_keys_public_of(&A, &src, F_X509, &out, &err);
        snprintf(name, sizeof(name), "%s: the public half of the private "
                 "key", g->name);
        CHECK(rc == NGX_KMIP_KEYS_OK && out->v.str.len == kp->public_len
              && memcmp(out->v.str.data, kp->public_der, kp->public_len) == 0,
              name);
    }
}


static void
test_convert(void)
{
    size_t  i;

    for (i = 0; i < NGEN; i++) {
        test_convert_one(&gen_cases[i], &pairs[i], 1);
        test_convert_one(&gen_cases[i], &pairs[i], 0);
        arena_free();
    }
}


/* the Transparent structures as the specification lays them out */
static void
test_transparent_shape(void)
{
    size_t                  n;
    ngx_kmip_key_t          k;
    ngx_kmip_item_t        *m;
    const ngx_kmip_item_t  *kid;
    static const uint32_t   rsa[] = {
        NGX_KMIP_TAG_MODULUS, NGX_KMIP_TAG_PRIVATE_EXPONENT,
        NGX_KMIP_TAG_PUBLIC_EXPONENT, NGX_KMIP_TAG_P, NGX_KMIP_TAG_Q,
        NGX_KMIP_TAG_PRIME_EXPONENT_P, NGX_KMIP_TAG_PRIME_EXPONENT_Q,
        NGX_KMIP_TAG_CRT_COEFFICIENT
    };

    k = gen_key(0, 1);
    m = NULL;
    CHECK(ngx_kmip_keys_convert(&A, &k, F_TRSA_S, &m, NULL)
          == NGX_KMIP_KEYS_OK && m->type == NGX_KMIP_TYPE_STRUCTURE,
          "Transparent RSA Private Key: a Structure");

    n = 0;
    for (kid = m ? m->v.kids.first : NULL; kid; kid = kid->next, n++) {
        CHECK(n < 8 && kid->tag == rsa[n]
              && kid->type == NGX_KMIP_TYPE_BIG_INTEGER
              && kid->v.str.len % 8 == 0 && (kid->v.str.data[0] & 0x80) == 0,
              "Transparent RSA Private Key: a field in the spec's order, "
              "a positive Big Integer of 8-byte multiples");
    }

    CHECK(n == 8, "Transparent RSA Private Key: the eight fields");

    k = gen_key(4, 0);
    m = NULL;
    CHECK(ngx_kmip_keys_convert(&A, &k, F_TEC_P, &m, NULL) == NGX_KMIP_KEYS_OK
          && m->v.kids.count == 2
          && m->v.kids.first->tag == NGX_KMIP_TAG_RECOMMENDED_CURVE
          && m->v.kids.first->v.num == CURVE(P_256)
          && m->v.kids.last->tag == NGX_KMIP_TAG_Q_STRING
          && m->v.kids.last->v.str.len == 65
          && m->v.kids.last->v.str.data[0] == 0x04,
          "Transparent EC Public Key: the curve and an uncompressed point");

    k = gen_key(6, 1);
    m = NULL;
    CHECK(ngx_kmip_keys_convert(&A, &k, F_TEC_S, &m, NULL) == NGX_KMIP_KEYS_OK
          && m->v.kids.count == 2
          && m->v.kids.first->v.num == CURVE(P_521)
          && m->v.kids.last->tag == NGX_KMIP_TAG_D
          && m->v.kids.last->type == NGX_KMIP_TYPE_BIG_INTEGER,
          "Transparent EC Private Key: the curve and D");

    k = gen_key(7, 1);
    m = NULL;
    CHECK(ngx_kmip_keys_convert(&A, &k, F_RAW, &m, NULL) == NGX_KMIP_KEYS_OK
          && m->type == NGX_KMIP_TYPE_BYTE_STRING && m->v.str.len == 32,
          "Ed25519 Raw: 32 bytes");

    arena_free();
}


/* ---------------------------------------------------------------------
 * hostile input
 */

/* the DER with the last byte of its algorithm's OID changed: refused */
static void
unknown_oid(uint32_t obj, uint32_t format, const uint8_t *der, size_t n,
    const uint8_t *oid, size_t oid_len, uint8_t last, const char *found,
    const char *name)
{
    uint8_t              *buf, *p;
    ngx_kmip_key_info_t   info;

    buf = copy_of(der, n, 0);
    p = memmem(buf, n, oid, oid_len);
    CHECK(p != NULL, found);
    if (p) {
        p[oid_len - 1] = last;
        CHECK(inspect_bytes(obj, format, buf, n, &info)
              == NGX_KMIP_KEYS_ERR_ENCODING, name);
    }
}


static void
test_hostile_der(void)
{
    char                   name[128];
    size_t                 i, n, cut;
    uint8_t               *buf;
    ngx_kmip_key_info_t    info;

    static const struct {
        size_t     pair;
        int        priv;
        uint32_t   format;
    } src[] = {
        { 0, 1, F_PKCS8 }, { 0, 0, F_X509 }, { 4, 1, F_PKCS8 },
        { 4, 0, F_X509 }, { 7, 1, F_PKCS8 }, { 8, 0, F_X509 }
    };

    for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
        const ngx_kmip_keypair_t  *kp = &pairs[src[i].pair];
        uint32_t  obj = src[i].priv ? OBJ_PRIV : OBJ_PUB;
        const uint8_t  *der = src[i].priv ? kp->private_der : kp->public_der;

        n = src[i].priv ? kp->private_len : kp->public_len;

        /* truncated anywhere: never read past, never accepted */
        for (cut = 0; cut < n; cut += (cut < 16 ? 1 : n / 7 + 1)) {
            buf = copy_of(der, cut, 0);
            snprintf(name, sizeof(name), "%s %s: truncated to %zu bytes",
                     gen_cases[src[i].pair].name,
                     src[i].priv ? "PKCS#8" : "SPKI", cut);
            CHECK(inspect_bytes(obj, src[i].format, buf, cut, &info)
                  == NGX_KMIP_KEYS_ERR_ENCODING, name);
        }

        buf = copy_of(der, n, 1);
        buf[n] = 0;
        snprintf(name, sizeof(name), "%s: a trailing zero byte",
                 gen_cases[src[i].pair].name);
        CHECK(inspect_bytes(obj, src[i].format, buf, n + 1, &info)
              == NGX_KMIP_KEYS_ERR_TRAILING, name);

        buf = copy_of(der, n, 4);
        memcpy(buf + n, "\x30\x02\x02\x00", 4);
        snprintf(name, sizeof(name), "%s: a second DER object after it",
                 gen_cases[src[i].pair].name);
        CHECK(inspect_bytes(obj, src[i].format, buf, n + 4, &info)
              == NGX_KMIP_KEYS_ERR_TRAILING, name);

        /* the outer SEQUENCE spans a byte more: one its fields do not */
        buf = copy_of(der, n, 1);
        buf[n] = 0;
        buf[(buf[1] & 0x80) ? 1 + (buf[1] & 0x7f) : 1]++;
        snprintf(name, sizeof(name), "%s: an inner length off by one",
                 gen_cases[src[i].pair].name);
        CHECK(inspect_bytes(obj, src[i].format, buf, n + 1, &info)
              == NGX_KMIP_KEYS_ERR_ENCODING, name);

        arena_free();
    }

    /* an OID changed: rsaEncryption (1.2.840.113549.1.1.1) to .1.1.99 */
    {
        static const uint8_t  rsa_oid[] = {
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01
        };
        static const uint8_t  ec_oid[] = {
            0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01
        };

        unknown_oid(OBJ_PRIV, F_PKCS8, pairs[0].private_der,
                    pairs[0].private_len, rsa_oid, sizeof(rsa_oid), 99,
                    "the rsaEncryption OID in PKCS#8",
                    "PKCS#8 of an unknown algorithm OID");
        unknown_oid(OBJ_PUB, F_X509, pairs[4].public_der, pairs[4].public_len,
                    ec_oid, sizeof(ec_oid), 7,
                    "the id-ecPublicKey OID in SPKI",
                    "SPKI of an unknown algorithm OID");
    }

    /* BER and non-minimal lengths */
    {
        static const uint8_t  indefinite[] = {
            0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00
        };
        static const uint8_t  long_form[] = {
            0x30, 0x81, 0x03, 0x02, 0x01, 0x00
        };
        static const uint8_t  huge[] = {
            0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00
        };

        CHECK(inspect_bytes(OBJ_PUB, F_PKCS1, indefinite, sizeof(indefinite),
                            &info) == NGX_KMIP_KEYS_ERR_ENCODING,
              "an indefinite length (BER)");
        CHECK(inspect_bytes(OBJ_PUB, F_PKCS1, long_form, sizeof(long_form),
                            &info) == NGX_KMIP_KEYS_ERR_ENCODING,
              "a length in the long form that fits the short");
        CHECK(inspect_bytes(OBJ_PUB, F_X509, huge, sizeof(huge), &info)
              == NGX_KMIP_KEYS_ERR_ENCODING, "a length of 4 GB");
        CHECK(inspect_bytes(OBJ_PRIV, F_PKCS8, (const uint8_t *) "", 0,
                            &info) == NGX_KMIP_KEYS_ERR_ENCODING,
              "no bytes at all");
    }

    arena_free();
}


/*
 * The key inside a PKCS#8 PrivateKeyInfo has its own format's shape: an
 * ECPrivateKey or RSAPrivateKey of another version is refused, as OpenSSL
 * alone would take it (a key fuzz_keys found: an ECPrivateKey of version
 * 0xfd that then did not read back after a conversion)
 */
static void
test_pkcs8_inner(void)
{
    size_t                 i, k, n, seen;
    uint8_t                der[NGX_KMIP_KEYS_PRIVATE_MAX];
    ngx_kmip_key_info_t    info;

    static const struct {
        size_t          pair;
        uint8_t         version;    /* the inner structure's */
        size_t          nth;        /* which "02 01 version" it is */
        const char     *name;
    } cases[] = {
        { 4, 1, 1, "PKCS#8 of an ECPrivateKey of version 0xfd: refused" },
        { 0, 0, 2, "PKCS#8 of an RSAPrivateKey of version 0xfd: refused" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = pairs[cases[i].pair].private_len;
        memcpy(der, pairs[cases[i].pair].private_der, n);

        for (k = 0, seen = 0; k + 2 < n; k++) {
            if (der[k] == 0x02 && der[k + 1] == 0x01
                && der[k + 2] == cases[i].version
                && ++seen == cases[i].nth)
            {
                der[k + 2] = 0xfd;
                break;
            }
        }

        CHECK(inspect_bytes(OBJ_PRIV, F_PKCS8,
                            pairs[cases[i].pair].private_der, n, &info)
              == NGX_KMIP_KEYS_OK
              && k + 2 < n
              && inspect_bytes(OBJ_PRIV, F_PKCS8, der, n, &info)
                 == NGX_KMIP_KEYS_ERR_ENCODING,
              cases[i].name);
    }
}


/* a key's own parts that do not agree */
static void
test_parts_disagree(ngx_kmip_item_t *pkcs1, ngx_kmip_item_t *pkcs1_pub,
    ngx_kmip_item_t *sec1)
{
    uint8_t              *b;
    ngx_kmip_key_t        ok;
    ngx_kmip_key_info_t   info;
    ngx_kmip_item_t      *o;
    ngx_kmip_keypair_t    kp;
    ngx_kmip_keygen_t     g = { ALG(EC), 256, 0, 0 };

    /* another P-256 key's public key (the last 65 bytes) in this one */
    ngx_kmip_keys_generate(&g, &kp, NULL);
    ok = key_of(OBJ_PRIV, F_PKCS8, 0,
                bytes_item(kp.private_der, kp.private_len));
    o = NULL;
    ngx_kmip_keys_convert(&A, &ok, F_SEC1, &o, NULL);
    b = copy_of(sec1->v.str.data, sec1->v.str.len, 0);

    CHECK(o && o->v.str.len == sec1->v.str.len,
          "two P-256 ECPrivateKeys of one length");
    if (o && o->v.str.len == sec1->v.str.len) {
        memcpy(b + sec1->v.str.len - 65,
               o->v.str.data + o->v.str.len - 65, 65);
        CHECK(inspect_bytes(OBJ_PRIV, F_SEC1, b, sec1->v.str.len, &info)
              == NGX_KMIP_KEYS_ERR_INVALID,
              "an ECPrivateKey with another key's public key");
    }

    ngx_kmip_keys_keypair_wipe(&kp);

    /* a byte of the modulus changed: n is no longer p q */
    b = copy_of(pkcs1->v.str.data, pkcs1->v.str.len, 0);
    b[40] ^= 0x10;
    CHECK(inspect_bytes(OBJ_PRIV, F_PKCS1, b, pkcs1->v.str.len, &info)
          == NGX_KMIP_KEYS_ERR_INVALID,
          "an RSAPrivateKey whose modulus is not p q");

    b = copy_of(pkcs1_pub->v.str.data, pkcs1_pub->v.str.len, 0);
    b[pkcs1_pub->v.str.len - 1] ^= 0x01;
    CHECK(inspect_bytes(OBJ_PUB, F_PKCS1, b, pkcs1_pub->v.str.len,
                        &info) == NGX_KMIP_KEYS_ERR_INVALID,
          "an RSAPublicKey of an even exponent");
}


/* Key Material of the wrong kind for its format, and Raw keys */
static void
test_material_kind(ngx_kmip_item_t *pkcs1)
{
    ngx_kmip_key_t         k;
    ngx_kmip_item_t       *m;
    ngx_kmip_key_info_t    info;
    ngx_kmip_keys_error_t  err;

    m = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_KEY_MATERIAL,
                               NGX_KMIP_TYPE_STRUCTURE);
    k = key_of(OBJ_PRIV, F_PKCS8, 0, m);
    CHECK(ngx_kmip_keys_inspect(&k, &info, &err)
          == NGX_KMIP_KEYS_ERR_STRUCTURE, "a Structure for PKCS#8");

    k = key_of(OBJ_PRIV, F_TRSA_S, 0, pkcs1);
    CHECK(ngx_kmip_keys_inspect(&k, &info, &err)
          == NGX_KMIP_KEYS_ERR_STRUCTURE,
          "a Byte String for a Transparent RSA Private Key");

    k = key_of(OBJ_PUB, F_TRSA_S, 0, pkcs1);
    CHECK(ngx_kmip_keys_inspect(&k, &info, &err) == NGX_KMIP_KEYS_ERR_FORMAT,
          "a private Transparent format for a public key");

    k = key_of(OBJ_PRIV, F_PKCS8, 0, NULL);
    CHECK(ngx_kmip_keys_inspect(&k, &info, &err)
          == NGX_KMIP_KEYS_ERR_STRUCTURE, "no Key Material");

    k = key_of(OBJ_PRIV, NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_DSA_PRIVATE_KEY,
               0, m);
    CHECK(ngx_kmip_keys_inspect(&k, &info, &err) == NGX_KMIP_KEYS_ERR_FORMAT,
          "Transparent DSA: not supported");

    /* Raw: the 32 bytes, with the algorithm that says what they are */
    {
        uint8_t  raw[33];

        memset(raw, 7, sizeof(raw));

        k = key_of(OBJ_PRIV, F_RAW, ALG(ED25519), bytes_item(raw, 31));
        CHECK(ngx_kmip_keys_inspect(&k, &info, &err)
              == NGX_KMIP_KEYS_ERR_ENCODING, "Raw Ed25519 of 31 bytes");

        k = key_of(OBJ_PRIV, F_RAW, ALG(ED25519), bytes_item(raw, 33));
        CHECK(ngx_kmip_keys_inspect(&k, &info, &err)
              == NGX_KMIP_KEYS_ERR_ENCODING, "Raw Ed25519 of 33 bytes");

        k = key_of(OBJ_PRIV, F_RAW, 0, bytes_item(raw, 32));
        CHECK(ngx_kmip_keys_inspect(&k, &info, &err)
              == NGX_KMIP_KEYS_ERR_FORMAT, "Raw without an algorithm");

        k = key_of(OBJ_PRIV, F_RAW, ALG(RSA), bytes_item(raw, 32));
        CHECK(ngx_kmip_keys_inspect(&k, &info, &err)
              == NGX_KMIP_KEYS_ERR_FORMAT, "Raw RSA");

        k = key_of(OBJ_PRIV, F_RAW, ALG(ECDH), bytes_item(raw, 32));
        CHECK(ngx_kmip_keys_inspect(&k, &info, &err) == NGX_KMIP_KEYS_OK
              && info.type == NGX_KMIP_KEY_X25519,
              "Raw ECDH: an X25519 key");
    }
}


/* one format's bytes under another format's name */
static void
test_format_confusion(void)
{
    size_t                 i;
    ngx_kmip_item_t       *pkcs1, *pkcs1_pub, *sec1;
    ngx_kmip_item_t       *p8_rsa, *spki_rsa, *p8_ec;
    ngx_kmip_key_info_t    info;

    pkcs1 = gen_as(0, 1, F_PKCS1);
    pkcs1_pub = gen_as(0, 0, F_PKCS1);
    sec1 = gen_as(4, 1, F_SEC1);

    CHECK(pkcs1 && pkcs1_pub && sec1, "PKCS#1 and SEC1 keys to confuse");
    if (!(pkcs1 && pkcs1_pub && sec1)) {
        return;
    }

    p8_rsa = bytes_item(pairs[0].private_der, pairs[0].private_len);
    spki_rsa = bytes_item(pairs[0].public_der, pairs[0].public_len);
    p8_ec = bytes_item(pairs[4].private_der, pairs[4].private_len);

    {
        /* the bytes of one format, named another: they do not decode */
        const struct {
            int                     priv;
            uint32_t                format;
            const ngx_kmip_item_t  *m;
            const char             *name;
        } named[] = {
            { 1, F_PKCS1, p8_rsa, "PKCS#8 named PKCS#1" },
            { 0, F_PKCS1, spki_rsa, "an SPKI named PKCS#1" },
            { 1, F_PKCS8, pkcs1, "PKCS#1 named PKCS#8" },
            { 0, F_X509, pkcs1_pub, "an RSAPublicKey named X.509" },
            { 0, F_PKCS1, pkcs1, "an RSAPrivateKey as a public PKCS#1 key" },
            { 1, F_PKCS1, pkcs1_pub,
              "an RSAPublicKey as a private PKCS#1 key" },
            { 1, F_PKCS8, sec1, "an ECPrivateKey named PKCS#8" },
            { 1, F_SEC1, pkcs1, "an RSA key named ECPrivateKey" },
            { 1, F_SEC1, p8_ec, "PKCS#8 named ECPrivateKey" },
        };

        for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
            CHECK(inspect_bytes(named[i].priv ? OBJ_PRIV : OBJ_PUB,
                                named[i].format, named[i].m->v.str.data,
                                named[i].m->v.str.len, &info)
                  == NGX_KMIP_KEYS_ERR_ENCODING, named[i].name);
        }
    }

    CHECK(inspect_bytes(OBJ_PRIV, F_X509, pairs[0].public_der,
                        pairs[0].public_len, &info)
          == NGX_KMIP_KEYS_ERR_FORMAT, "X.509 for a private key");
    CHECK(inspect_bytes(OBJ_PUB, F_PKCS8, pairs[0].private_der,
                        pairs[0].private_len, &info)
          == NGX_KMIP_KEYS_ERR_FORMAT, "PKCS#8 for a public key");
    test_parts_disagree(pkcs1, pkcs1_pub, sec1);

    CHECK(inspect_bytes(OBJ_PRIV, F_SEC1, pairs[7].private_der,
                        pairs[7].private_len, &info)
          == NGX_KMIP_KEYS_ERR_ENCODING, "an Ed25519 key named ECPrivateKey");
    CHECK(inspect_bytes(NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, F_PKCS8,
                        pairs[0].private_der, pairs[0].private_len, &info)
          == NGX_KMIP_KEYS_ERR_FORMAT, "a Symmetric Key object");

    test_material_kind(pkcs1);

    arena_free();
}


/* a Transparent structure built field by field */
static ngx_kmip_item_t *
tstruct(void)
{
    return ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_KEY_MATERIAL,
                                  NGX_KMIP_TYPE_STRUCTURE);
}


/* a copy of the first `only` fields of a Transparent key, less `skip` */
static ngx_kmip_item_t *
fields_of(const ngx_kmip_item_t *from, uint32_t skip, size_t only)
{
    size_t                  n;
    ngx_kmip_item_t        *to;
    const ngx_kmip_item_t  *kid;

    to = tstruct();

    for (n = 0, kid = from->v.kids.first; kid; kid = kid->next, n++) {
        if (kid->tag != skip && n < only) {
            ngx_kmip_ttlv_item_append(to, ngx_kmip_ttlv_item_copy(&A, kid));
        }
    }

    return to;
}


/* the first `only` fields of a Transparent key, the first of `type` */
static ngx_kmip_item_t *
retyped(const ngx_kmip_item_t *from, size_t only, uint8_t type)
{
    ngx_kmip_item_t  *to;

    to = fields_of(from, 0, only);
    to->v.kids.first->type = type;

    return to;
}


static int
inspect_item(uint32_t obj, uint32_t format, const ngx_kmip_item_t *m)
{
    ngx_kmip_key_t       k;
    ngx_kmip_key_info_t  info;

    k = key_of(obj, format, 0, m);

    return ngx_kmip_keys_inspect(&k, &info, NULL);
}


static const struct {
    const char  *name;
    int          ec;
    uint32_t     obj, format, skip;
    size_t       only;
    int          rc;
} subsets[] = {
    { "Transparent RSA Private Key without the Private Exponent", 0,
      OBJ_PRIV, F_TRSA_S, NGX_KMIP_TAG_PRIVATE_EXPONENT, 8,
      NGX_KMIP_KEYS_ERR_STRUCTURE },
    { "Transparent RSA Private Key without the Modulus", 0, OBJ_PRIV,
      F_TRSA_S, NGX_KMIP_TAG_MODULUS, 8, NGX_KMIP_KEYS_ERR_STRUCTURE },
    { "Transparent RSA Private Key of P and Q, no CRT values", 0, OBJ_PRIV,
      F_TRSA_S, 0, 5, NGX_KMIP_KEYS_OK },
    { "Transparent RSA Private Key without P and Q", 0, OBJ_PRIV, F_TRSA_S,
      0, 3, NGX_KMIP_KEYS_ERR_STRUCTURE },
    { "some of the CRT values only", 0, OBJ_PRIV, F_TRSA_S, 0, 6,
      NGX_KMIP_KEYS_ERR_STRUCTURE },
    { "Transparent RSA Public Key without the Public Exponent", 0, OBJ_PUB,
      F_TRSA_P, NGX_KMIP_TAG_PUBLIC_EXPONENT, 1,
      NGX_KMIP_KEYS_ERR_STRUCTURE },
    { "Transparent RSA Public Key of the Modulus and Public Exponent", 0,
      OBJ_PUB, F_TRSA_P, NGX_KMIP_TAG_PRIVATE_EXPONENT, 3,
      NGX_KMIP_KEYS_OK },
    { "Transparent RSA Public Key with a Private Exponent", 0, OBJ_PUB,
      F_TRSA_P, 0, 3, NGX_KMIP_KEYS_ERR_STRUCTURE },
    { "Transparent EC Private Key without D", 1, OBJ_PRIV, F_TEC_S,
      NGX_KMIP_TAG_D, 2, NGX_KMIP_KEYS_ERR_STRUCTURE },
    { "Transparent EC Private Key without the curve", 1, OBJ_PRIV, F_TEC_S,
      NGX_KMIP_TAG_RECOMMENDED_CURVE, 2, NGX_KMIP_KEYS_ERR_STRUCTURE },
    { "an empty Transparent EC Private Key", 1, OBJ_PRIV, F_TEC_S, 0, 0,
      NGX_KMIP_KEYS_ERR_STRUCTURE },
};


static void
test_hostile_transparent(void)
{
    size_t                  i;
    uint8_t                *b;
    ngx_kmip_key_t          k;
    ngx_kmip_item_t        *rsa, *ecs, *ecp, *m, *it;
    static const uint8_t    neg[8] = { 0x80, 0, 0, 0, 0, 0, 0, 1 };
    static const uint8_t    zero[8] = { 0 };

    rsa = gen_as(3, 1, F_TRSA_S);
    ecs = gen_as(4, 1, F_TEC_S);
    ecp = gen_as(4, 0, F_TEC_P);

    CHECK(rsa && ecs && ecp, "Transparent keys to break");
    if (!(rsa && ecs && ecp)) {
        return;
    }

    /* fields left out: skip one tag, or keep the first `only` */
    for (i = 0; i < sizeof(subsets) / sizeof(subsets[0]); i++) {
        m = fields_of(subsets[i].ec ? ecs : rsa, subsets[i].skip,
                      subsets[i].only);
        CHECK(inspect_item(subsets[i].obj, subsets[i].format, m)
              == subsets[i].rc, subsets[i].name);
    }

    m = fields_of(rsa, 0, 8);
    ngx_kmip_ttlv_item_append(m, ngx_kmip_ttlv_item_copy(&A,
                                                         rsa->v.kids.first));
    CHECK(inspect_item(OBJ_PRIV, F_TRSA_S, m) == NGX_KMIP_KEYS_ERR_STRUCTURE,
          "Transparent RSA Private Key with two Moduli");

    m = fields_of(rsa, 0, 8);
    ngx_kmip_ttlv_add_bigint(&A, m, NGX_KMIP_TAG_G, zero, 8);
    CHECK(inspect_item(OBJ_PRIV, F_TRSA_S, m) == NGX_KMIP_KEYS_ERR_STRUCTURE,
          "Transparent RSA Private Key with a G");

    CHECK(inspect_item(OBJ_PRIV, F_TRSA_S,
                       retyped(rsa, 8, NGX_KMIP_TYPE_BYTE_STRING))
          == NGX_KMIP_KEYS_ERR_STRUCTURE, "a Modulus as a Byte String");

    m = fields_of(rsa, 0, 8);
    m->v.kids.first->v.str.data = neg;
    m->v.kids.first->v.str.len = sizeof(neg);
    CHECK(inspect_item(OBJ_PRIV, F_TRSA_S, m) == NGX_KMIP_KEYS_ERR_STRUCTURE,
          "a negative Modulus");

    m = fields_of(rsa, 0, 8);
    m->v.kids.first->v.str.data = zero;
    m->v.kids.first->v.str.len = sizeof(zero);
    CHECK(inspect_item(OBJ_PRIV, F_TRSA_S, m) == NGX_KMIP_KEYS_ERR_STRUCTURE,
          "a zero Modulus");

    /* d changed: the key does not hold together */
    m = fields_of(rsa, 0, 8);
    it = m->v.kids.first->next;
    b = copy_of(it->v.str.data, it->v.str.len, 0);
    b[it->v.str.len - 1] ^= 2;
    it->v.str.data = b;
    CHECK(inspect_item(OBJ_PRIV, F_TRSA_S, m) == NGX_KMIP_KEYS_ERR_INVALID,
          "a Private Exponent changed");

    /* P and Q without the CRT values: computed, the key's own */
    m = fields_of(rsa, 0, 5);

    if (inspect_item(OBJ_PRIV, F_TRSA_S, m) == NGX_KMIP_KEYS_OK) {
        ngx_kmip_item_t  *full = NULL;

        k = key_of(OBJ_PRIV, F_TRSA_S, 0, m);
        CHECK(ngx_kmip_keys_convert(&A, &k, F_TRSA_S, &full, NULL)
              == NGX_KMIP_KEYS_OK && full->v.kids.count == 8
              && ngx_kmip_ttlv_size(full) == ngx_kmip_ttlv_size(rsa),
              "the CRT values computed are the key's");
    }

    m = fields_of(ecs, 0, 2);
    m->v.kids.first->v.num = CURVE(K_163);
    CHECK(inspect_item(OBJ_PRIV, F_TEC_S, m) == NGX_KMIP_KEYS_ERR_CURVE,
          "Transparent EC Private Key on K-163");

    m = fields_of(ecs, 0, 2);
    m->v.kids.first->v.num = CURVE(CURVE25519);
    CHECK(inspect_item(OBJ_PRIV, F_TEC_S, m) == NGX_KMIP_KEYS_ERR_FORMAT,
          "Transparent EC Private Key on Curve25519");

    m = fields_of(ecs, NGX_KMIP_TAG_D, 2);
    ngx_kmip_ttlv_add_bigint(&A, m, NGX_KMIP_TAG_D, zero, 8);
    CHECK(inspect_item(OBJ_PRIV, F_TEC_S, m) == NGX_KMIP_KEYS_ERR_STRUCTURE,
          "D of zero");

    {
        /* the order of P-256 itself: one past the last private key */
        static const uint8_t  order[40] = {
            0, 0, 0, 0, 0, 0, 0, 0,
            0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
            0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
        };

        m = fields_of(ecs, NGX_KMIP_TAG_D, 2);
        ngx_kmip_ttlv_add_bigint(&A, m, NGX_KMIP_TAG_D, order, 40);
        CHECK(inspect_item(OBJ_PRIV, F_TEC_S, m) == NGX_KMIP_KEYS_ERR_INVALID,
              "D of the curve's order");
    }

    m = fields_of(ecp, 0, 2);
    it = m->v.kids.last;
    b = copy_of(it->v.str.data, it->v.str.len, 0);
    b[64] ^= 1;
    it->v.str.data = b;
    CHECK(inspect_item(OBJ_PUB, F_TEC_P, m) == NGX_KMIP_KEYS_ERR_INVALID,
          "a Q String off the curve");

    m = fields_of(ecp, 0, 2);
    m->v.kids.last->v.str.len = 33;
    CHECK(inspect_item(OBJ_PUB, F_TEC_P, m) == NGX_KMIP_KEYS_ERR_INVALID,
          "a Q String cut short");

    CHECK(inspect_item(OBJ_PUB, F_TEC_P,
                       retyped(ecp, 2, NGX_KMIP_TYPE_INTEGER))
          == NGX_KMIP_KEYS_ERR_STRUCTURE, "a Recommended Curve as an Integer");

    CHECK(inspect_item(OBJ_PUB,
                       NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_ECDSA_PUBLIC_KEY,
                       ecp) == NGX_KMIP_KEYS_OK,
          "the 1.x Transparent ECDSA Public Key");
    CHECK(inspect_item(OBJ_PRIV,
                       NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_ECDH_PRIVATE_KEY,
                       ecs) == NGX_KMIP_KEYS_OK,
          "the 1.x Transparent ECDH Private Key");

    arena_free();
}


/* a key OpenSSL made, in DER, that the layer refuses with rc; freed */
static void
refused_pkey(EVP_PKEY *pkey, int priv, uint32_t format, int rc,
    const char *name)
{
    int                   n;
    unsigned char        *der;
    ngx_kmip_key_info_t   info;

    der = NULL;
    n = pkey == NULL ? -1
        : priv ? i2d_PrivateKey(pkey, &der) : i2d_PUBKEY(pkey, &der);
    CHECK(n > 0 && inspect_bytes(priv ? OBJ_PRIV : OBJ_PUB, format, der,
                                 (size_t) n, &info) == rc, name);
    OPENSSL_free(der);
    EVP_PKEY_free(pkey);
}


/* keys OpenSSL makes and the layer refuses, and the declared attributes */
static void
test_refused_keys(void)
{
    size_t                 i;
    ngx_kmip_key_info_t    info;
    ngx_kmip_keys_error_t  err;

    /* a key's Cryptographic Algorithm and Length as a request declares */
    static const struct {
        size_t       pair;
        uint32_t     algorithm;
        int32_t      length;
        int          agrees;    /* else NGX_KMIP_KEYS_ERR_MISMATCH */
        const char  *name;
    } declared[] = {
        { 0, ALG(EC), 0, 0, "an RSA key declared EC" },
        { 0, ALG(RSA), 3072, 0, "RSA 2048 declared 3072" },
        { 0, 0, 0, 1, "nothing declared" },
        { 5, ALG(ECDSA), 384, 1, "a P-384 key declared ECDSA" },
        { 5, ALG(ECDH), 384, 1, "a P-384 key declared ECDH" },
        { 5, ALG(ED25519), 0, 0, "a P-384 key declared Ed25519" },
        { 5, ALG(EC), 256, 0, "a P-384 key declared 256 bits" },
        { 8, ALG(ED25519), 0, 0, "an X25519 key declared Ed25519" },
        { 8, ALG(ECDH), 255, 1, "an X25519 key declared ECDH, 255 bits" },
        { 7, ALG(ECDSA), 0, 0, "an Ed25519 key declared ECDSA" },
    };

    refused_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 512), 1,
                 F_PKCS1, NGX_KMIP_KEYS_ERR_LENGTH, "an RSA 512 key");
    refused_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "ED448"), 0, F_X509,
                 NGX_KMIP_KEYS_ERR_ALGORITHM, "an Ed448 key");
    refused_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"), 0, F_X509,
                 NGX_KMIP_KEYS_ERR_CURVE, "a secp256k1 key");

    for (i = 0; i < sizeof(declared) / sizeof(declared[0]); i++) {
        inspect_bytes(OBJ_PUB, F_X509, pairs[declared[i].pair].public_der,
                      pairs[declared[i].pair].public_len, &info);
        CHECK(ngx_kmip_keys_check_declared(&info, declared[i].algorithm,
                                           declared[i].length, &err)
              == (declared[i].agrees ? NGX_KMIP_KEYS_OK
                                     : NGX_KMIP_KEYS_ERR_MISMATCH),
              declared[i].name);
    }

    /* pairs of different kinds */
    {
        ngx_kmip_key_t  sk, pk;

        sk = gen_key(7, 1);
        pk = gen_key(8, 0);
        CHECK(ngx_kmip_keys_check_pair(&sk, &pk, &err)
              == NGX_KMIP_KEYS_ERR_PAIR, "Ed25519 and X25519 halves");
        CHECK(ngx_kmip_keys_check_pair(&pk, &sk, &err)
              == NGX_KMIP_KEYS_ERR_PAIR, "the halves swapped");
    }

    arena_free();
}


/* ---------------------------------------------------------------------
 * the OASIS test cases
 */

static char  tc_dir[1024];


static char *
tc_read(const char *file)
{
    long   n;
    char   path[1280], *buf;
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", tc_dir, file);

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    buf = arena_alloc((size_t) n + 1);
    if (fread(buf, 1, (size_t) n, f) != (size_t) n) {
        fclose(f);
        return NULL;
    }

    buf[n] = '\0';
    fclose(f);

    return buf;
}


/* the value="..." of the nth (from 0) element <name type=...> */
static const char *
tc_value(const char *xml, const char *name, int nth, size_t *len)
{
    char         open[96];
    const char  *p, *v, *e;

    snprintf(open, sizeof(open), "<%s type=", name);

    for (p = xml; (p = strstr(p, open)) != NULL; p++) {
        if (nth-- == 0) {
            v = strstr(p, "value=\"");
            if (v == NULL) {
                return NULL;
            }

            v += 7;
            e = strchr(v, '"');
            *len = (size_t) (e - v);
            return v;
        }
    }

    return NULL;
}


static uint8_t *
tc_hex(const char *xml, const char *name, int nth, size_t *n)
{
    size_t       i, len;
    uint8_t     *b;
    unsigned     x;
    const char  *v;

    v = tc_value(xml, name, nth, &len);
    if (v == NULL || len % 2) {
        return NULL;
    }

    b = arena_alloc(len / 2 + 1);

    for (i = 0; i < len / 2; i++) {
        if (sscanf(v + 2 * i, "%2x", &x) != 1) {
            return NULL;
        }

        b[i] = (uint8_t) x;
    }

    *n = len / 2;

    return b;
}


static uint32_t
tc_hash(const char *xml, const char *name, int nth)
{
    size_t       len;
    const char  *v;

    v = tc_value(xml, name, nth, &len);

    if (v == NULL) {
        return 0;
    }

    if (len == 5 && strncmp(v, "SHA_1", 5) == 0) {
        return HASH(SHA_1);
    }

    if (len == 7 && strncmp(v, "SHA_256", 7) == 0) {
        return HASH(SHA_256);
    }

    if (len == 7 && strncmp(v, "SHA_384", 7) == 0) {
        return HASH(SHA_384);
    }

    if (len == 7 && strncmp(v, "SHA_512", 7) == 0) {
        return HASH(SHA_512);
    }

    return 0;
}


static int
tc_key(const char *file, uint32_t obj, uint32_t format, ngx_kmip_key_t *k,
    const char **xml)
{
    size_t    n;
    uint8_t  *der;

    *xml = tc_read(file);
    if (*xml == NULL) {
        return 0;
    }

    der = tc_hex(*xml, "KeyMaterial", 0, &n);
    if (der == NULL) {
        return 0;
    }

    *k = key_of(obj, format, 0, bytes_item(der, n));

    return 1;
}


static void
test_oasis_sign(void)
{
    int                    valid;
    size_t                 dn, sn, n, sig_len;
    uint8_t               *data, *sig, *bad, *s1, *s2;
    const char            *x1, *x2;
    ngx_kmip_key_t         sk, pk;
    ngx_kmip_item_t       *conv, *back;
    ngx_kmip_key_info_t    info;
    ngx_kmip_pk_params_t   p;
    ngx_kmip_keys_error_t  err;

    CHECK(tc_key("v1.4/mandatory/CS-AC-M-1-14.xml", OBJ_PRIV, F_PKCS1, &sk,
                 &x1)
          && tc_key("v1.4/mandatory/CS-AC-M-2-14.xml", OBJ_PUB, F_PKCS1, &pk,
                    &x2), "CS-AC-M-1 and -2: the registered keys");
    if (x1 == NULL || x2 == NULL) {
        return;
    }

    CHECK(ngx_kmip_keys_inspect(&sk, &info, &err) == NGX_KMIP_KEYS_OK
          && info.type == NGX_KMIP_KEY_RSA && info.length == 2048
          && ngx_kmip_keys_check_declared(&info, ALG(RSA), 2048, &err)
             == NGX_KMIP_KEYS_OK,
          "CS-AC-M-1: a PKCS#1 RSA 2048 private key");
    CHECK(ngx_kmip_keys_check_pair(&sk, &pk, &err) == NGX_KMIP_KEYS_OK,
          "CS-AC-M-1's private key and CS-AC-M-2's public key pair");

    /* PKCS#1 -> PKCS#8 -> Transparent -> PKCS#1: the client's bytes */
    conv = NULL;
    CHECK(ngx_kmip_keys_convert(&A, &sk, F_PKCS8, &conv, &err)
          == NGX_KMIP_KEYS_OK, "CS-AC-M-1: to PKCS#8");
    if (conv) {
        ngx_kmip_key_t  k2 = key_of(OBJ_PRIV, F_PKCS8, 0, conv);
        ngx_kmip_key_t  k3;

        back = NULL;
        ngx_kmip_keys_convert(&A, &k2, F_TRSA_S, &back, &err);
        k3 = key_of(OBJ_PRIV, F_TRSA_S, 0, back);
        conv = NULL;
        CHECK(back && ngx_kmip_keys_convert(&A, &k3, F_PKCS1, &conv, &err)
                      == NGX_KMIP_KEYS_OK
              && conv->v.str.len == sk.material->v.str.len
              && memcmp(conv->v.str.data, sk.material->v.str.data,
                        conv->v.str.len) == 0,
              "CS-AC-M-1: PKCS#1 to PKCS#8 to Transparent to PKCS#1, the "
              "same bytes");
    }

    /* CS-AC-M-2: the test case's signature, PSS SHA-256 */
    data = tc_hex(x2, "Data", 0, &dn);
    sig = tc_hex(x2, "SignatureData", 0, &sn);
    CHECK(data && sig && dn == 16 && sn == 256,
          "CS-AC-M-2: the data and signature");
    if (data == NULL || sig == NULL) {
        return;
    }

    ngx_kmip_pk_params_init(&p);
    p.padding = PAD(PSS);
    p.hashing = HASH(SHA_256);
    p.algorithm = ALG(RSA);

    CHECK(ngx_kmip_pk_verify(&pk, &p, data, dn, 0, sig, sn, &valid, &err)
          == NGX_KMIP_KEYS_OK && valid == 1,
          "CS-AC-M-2: the signature is Valid");

    bad = tc_hex(x2, "Data", 1, &n);
    CHECK(bad && ngx_kmip_pk_verify(&pk, &p, bad, n, 0, sig, sn, &valid, &err)
                 == NGX_KMIP_KEYS_OK && valid == 0,
          "CS-AC-M-2: other data, Invalid");

    bad = tc_hex(x2, "SignatureData", 2, &n);
    CHECK(bad && ngx_kmip_pk_verify(&pk, &p, data, dn, 0, bad, n, &valid,
                                    &err)
                 == NGX_KMIP_KEYS_OK && valid == 0,
          "CS-AC-M-2: another signature, Invalid");

    /* CS-AC-M-3: verified with SHA-1, Invalid (not an error) */
    p.hashing = HASH(SHA_1);
    CHECK(ngx_kmip_pk_verify(&pk, &p, data, dn, 0, sig, sn, &valid, &err)
          == NGX_KMIP_KEYS_OK && valid == 0,
          "CS-AC-M-3: PSS SHA-1 verification, Invalid");

    /* CS-AC-M-1's parameters: PSS SHA-256, salt 222 */
    p.hashing = HASH(SHA_256);
    p.salt_length = 222;
    sig = NULL;
    CHECK(ngx_kmip_pk_sign(&A, &sk, &p, data, dn, 0, &sig, &sig_len, &err)
          == NGX_KMIP_KEYS_OK && sig_len == 256,
          "CS-AC-M-1: signed, PSS SHA-256 salt 222");

    ngx_kmip_pk_params_init(&p);
    p.padding = PAD(PSS);
    p.hashing = HASH(SHA_256);
    CHECK(sig && ngx_kmip_pk_verify(&pk, &p, data, dn, 0, sig, sig_len,
                                    &valid, &err)
                 == NGX_KMIP_KEYS_OK && valid == 1,
          "CS-AC-M-1's signature verifies with CS-AC-M-2's key");

    p.salt_length = 32;
    CHECK(sig && ngx_kmip_pk_verify(&pk, &p, data, dn, 0, sig, sig_len,
                                    &valid, &err)
                 == NGX_KMIP_KEYS_OK && valid == 0,
          "and not with a salt length of 32");

    /* PKCS#1 v1.5 is deterministic */
    ngx_kmip_pk_params_init(&p);
    p.signature = DSA(SHA_256_WITH_RSA_ENCRYPTION);
    s1 = s2 = NULL;
    CHECK(ngx_kmip_pk_sign(&A, &sk, &p, data, dn, 0, &s1, &n, &err)
          == NGX_KMIP_KEYS_OK
          && ngx_kmip_pk_sign(&A, &sk, &p, data, dn, 0, &s2, &sig_len, &err)
             == NGX_KMIP_KEYS_OK
          && n == sig_len && memcmp(s1, s2, n) == 0,
          "CS-AC-M-1's key: PKCS#1 v1.5 signs the same twice");

    arena_free();
}


static void
test_oasis_oaep(void)
{
    int                    k;
    char                   file[96], name[128];
    size_t                 pn, cn, n, ct_len;
    uint8_t               *plain, *ct, *out, *ct2;
    const char            *xpub, *xpriv;
    ngx_kmip_key_t         pk, sk;
    ngx_kmip_pk_params_t   p;
    ngx_kmip_keys_error_t  err;

    for (k = 1; k <= 9; k += 2) {
        snprintf(file, sizeof(file), "v1.4/mandatory/CS-AC-M-OAEP-%d-14.xml",
                 k);
        if (!tc_key(file, OBJ_PUB, F_X509, &pk, &xpub)) {
            CHECK(0, file);
            continue;
        }

        snprintf(file, sizeof(file), "v1.4/mandatory/CS-AC-M-OAEP-%d-14.xml",
                 k + 1);
        if (!tc_key(file, OBJ_PRIV, F_PKCS1, &sk, &xpriv)) {
            CHECK(0, file);
            continue;
        }

        snprintf(name, sizeof(name), "CS-AC-M-OAEP-%d and -%d: the keys pair",
                 k, k + 1);
        CHECK(ngx_kmip_keys_check_pair(&sk, &pk, &err) == NGX_KMIP_KEYS_OK,
              name);

        ngx_kmip_pk_params_init(&p);
        p.padding = PAD(OAEP);
        p.algorithm = ALG(RSA);
        p.mask_generator = NGX_KMIP_MASK_GENERATOR_MGF1;
        p.hashing = tc_hash(xpriv, "HashingAlgorithm", 0);
        p.mgf_hashing = tc_hash(xpriv, "MaskGeneratorHashingAlgorithm", 0);

        /* OAEP-9 and -10 label their messages */
        p.p_source = tc_hex(xpriv, "PSource", 0, &p.p_source_len);
        if (k == 9) {
            CHECK(p.p_source && p.p_source_len == 15
                  && memcmp(p.p_source, "Kilroy was here", 15) == 0,
                  "CS-AC-M-OAEP-10: the P Source label");
        }

        /* the Decrypt case: its ciphertext, its plaintext */
        ct = tc_hex(xpriv, "Data", 0, &cn);
        plain = tc_hex(xpriv, "Data", 1, &pn);
        out = NULL;

        snprintf(name, sizeof(name), "CS-AC-M-OAEP-%d: decrypts to the "
                 "expected plaintext", k + 1);
        CHECK(p.hashing && p.mgf_hashing && ct && plain
              && ngx_kmip_pk_decrypt(&A, &sk, &p, ct, cn, &out, &n, &err)
                 == NGX_KMIP_KEYS_OK
              && n == pn && memcmp(out, plain, n) == 0, name);

        /* the Encrypt case's expected ciphertext decrypts too, and a new
           encryption of its plaintext round-trips */
        ct = tc_hex(xpub, "Data", 1, &cn);
        out = NULL;
        snprintf(name, sizeof(name), "CS-AC-M-OAEP-%d: its ciphertext "
                 "decrypts", k);
        CHECK(ct && plain
              && ngx_kmip_pk_decrypt(&A, &sk, &p, ct, cn, &out, &n, &err)
                 == NGX_KMIP_KEYS_OK
              && n == pn && memcmp(out, plain, n) == 0, name);

        ct2 = NULL;
        out = NULL;
        snprintf(name, sizeof(name), "CS-AC-M-OAEP-%d: encrypted anew, "
                 "decrypted", k);
        CHECK(plain
              && ngx_kmip_pk_encrypt(&A, &pk, &p, plain, pn, &ct2, &ct_len,
                                     &err) == NGX_KMIP_KEYS_OK
              && ct_len == 256 && memcmp(ct2, ct, 256) != 0
              && ngx_kmip_pk_decrypt(&A, &sk, &p, ct2, ct_len, &out, &n,
                                     &err) == NGX_KMIP_KEYS_OK
              && n == pn && memcmp(out, plain, n) == 0, name);

        /* without its label, a labelled message does not decrypt */
        if (p.p_source) {
            p.p_source = NULL;
            p.p_source_len = 0;
            out = NULL;
            CHECK(ct && ngx_kmip_pk_decrypt(&A, &sk, &p, ct, cn, &out, &n,
                                            &err) == NGX_KMIP_KEYS_ERR_DATA,
                  "CS-AC-M-OAEP-10: no label, no plaintext");
        }

        /* the wrong MGF1 hash does not decrypt */
        p.mgf_hashing = p.mgf_hashing == HASH(SHA_1) ? HASH(SHA_256)
                                                     : HASH(SHA_1);
        out = NULL;
        snprintf(name, sizeof(name), "CS-AC-M-OAEP-%d: another MGF1 hash "
                 "does not decrypt", k + 1);
        CHECK(ct && ngx_kmip_pk_decrypt(&A, &sk, &p, ct, cn, &out, &n, &err)
                    == NGX_KMIP_KEYS_ERR_DATA, name);

        arena_free();
    }
}


static void
test_oasis_formats(void)
{
    size_t                  i, n;
    uint8_t                *v;
    const char             *x;
    ngx_kmip_key_t          k;
    ngx_kmip_item_t        *m, *out;
    ngx_kmip_key_info_t     info;
    ngx_kmip_keys_error_t   err;

    static const char      *rsa_fields[] = {
        "Modulus", "PrivateExponent", "PublicExponent", "P", "Q",
        "PrimeExponentP", "PrimeExponentQ", "CRTCoefficient"
    };
    static const uint32_t   rsa_tags[] = {
        NGX_KMIP_TAG_MODULUS, NGX_KMIP_TAG_PRIVATE_EXPONENT,
        NGX_KMIP_TAG_PUBLIC_EXPONENT, NGX_KMIP_TAG_P, NGX_KMIP_TAG_Q,
        NGX_KMIP_TAG_PRIME_EXPONENT_P, NGX_KMIP_TAG_PRIME_EXPONENT_Q,
        NGX_KMIP_TAG_CRT_COEFFICIENT
    };

    /* BL-M-9: a Transparent RSA Private Key of 1024 bits */
    x = tc_read("v2.1/mandatory/BL-M-9-21.xml");
    m = tstruct();

    for (i = 0; x && i < 8; i++) {
        v = tc_hex(x, rsa_fields[i], 0, &n);
        if (v) {
            ngx_kmip_ttlv_add_bigint(&A, m, rsa_tags[i], v, n);
        }
    }

    k = key_of(OBJ_PRIV, F_TRSA_S, 0, m);
    CHECK(x && m->v.kids.count == 8
          && ngx_kmip_keys_inspect(&k, &info, &err) == NGX_KMIP_KEYS_OK
          && info.length == 1024, "BL-M-9: Transparent RSA Private Key, 1024");

    out = NULL;
    CHECK(ngx_kmip_keys_convert(&A, &k, F_PKCS1, &out, &err)
          == NGX_KMIP_KEYS_OK
          && inspect_bytes(OBJ_PRIV, F_PKCS1, out->v.str.data,
                           out->v.str.len, &info) == NGX_KMIP_KEYS_OK,
          "BL-M-9: to PKCS#1");

    /* BL-M-8: a Transparent RSA Public Key, 8 zero bytes before Modulus */
    x = tc_read("v2.1/mandatory/BL-M-8-21.xml");
    m = tstruct();

    for (i = 0; x && i < 3; i += 2) {
        v = tc_hex(x, rsa_fields[i], 0, &n);
        if (v) {
            ngx_kmip_ttlv_add_bigint(&A, m, rsa_tags[i], v, n);
        }
    }

    k = key_of(OBJ_PUB, F_TRSA_P, 0, m);
    CHECK(x && ngx_kmip_keys_inspect(&k, &info, &err) == NGX_KMIP_KEYS_OK
          && info.length == 2048, "BL-M-8: Transparent RSA Public Key, 2048");

    /* the same modulus as CS-AC-M-2's PKCS#1 public key */
    if (tc_key("v1.4/mandatory/CS-AC-M-2-14.xml", OBJ_PUB, F_PKCS1, &k, &x)) {
        ngx_kmip_key_t  t = key_of(OBJ_PUB, F_TRSA_P, 0, m);

        out = NULL;
        CHECK(ngx_kmip_keys_convert(&A, &t, F_PKCS1, &out, &err)
              == NGX_KMIP_KEYS_OK
              && out->v.str.len == k.material->v.str.len
              && memcmp(out->v.str.data, k.material->v.str.data,
                        out->v.str.len) == 0,
              "BL-M-8's Transparent key is CS-AC-M-2's PKCS#1 key");
    }

    CHECK(tc_key("v2.1/mandatory/BL-M-11-21.xml", OBJ_PRIV, F_PKCS8, &k, &x)
          && ngx_kmip_keys_inspect(&k, &info, &err) == NGX_KMIP_KEYS_OK
          && info.type == NGX_KMIP_KEY_RSA && info.length == 1024,
          "BL-M-11: a PKCS#8 RSA 1024 private key");
    CHECK(tc_key("v2.1/mandatory/BL-M-7-21.xml", OBJ_PRIV, F_PKCS1, &k, &x)
          && ngx_kmip_keys_inspect(&k, &info, &err) == NGX_KMIP_KEYS_OK
          && info.length == 1024, "BL-M-7: a PKCS#1 RSA 1024 private key");
    CHECK(tc_key("v2.1/mandatory/BL-M-6-21.xml", OBJ_PUB, F_PKCS1, &k, &x)
          && ngx_kmip_keys_inspect(&k, &info, &err) == NGX_KMIP_KEYS_OK
          && info.length == 2048, "BL-M-6: a PKCS#1 RSA 2048 public key");

    /* BL-M-12: Transparent DSA, which the layer does not take */
    x = tc_read("v2.1/mandatory/BL-M-12-21.xml");
    m = tstruct();
    v = x ? tc_hex(x, "P", 0, &n) : NULL;
    if (v) {
        ngx_kmip_ttlv_add_bigint(&A, m, NGX_KMIP_TAG_P, v, n);
    }

    k = key_of(OBJ_PUB, NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_DSA_PUBLIC_KEY,
               0, m);
    CHECK(v && ngx_kmip_keys_inspect(&k, &info, &err)
               == NGX_KMIP_KEYS_ERR_FORMAT
          && ngx_kmip_keys_reason(err.rc)
             == NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED,
          "BL-M-12: Transparent DSA, Key Format Type Not Supported");

    /* CS-AC-M-7: Hash */
    x = tc_read("v1.4/mandatory/CS-AC-M-7-14.xml");
    for (i = 0; x && i < 2; i++) {
        uint8_t   d[NGX_KMIP_PK_DIGEST_MAX];
        size_t    dn, en;
        uint8_t  *data = tc_hex(x, "Data", 2 * i, &n);
        uint8_t  *want = tc_hex(x, "Data", 2 * i + 1, &en);

        CHECK(data && want
              && ngx_kmip_pk_digest(tc_hash(x, "HashingAlgorithm", i), data,
                                    n, d, &dn, &err) == NGX_KMIP_KEYS_OK
              && dn == en && memcmp(d, want, dn) == 0,
              i ? "CS-AC-M-7: SHA-512" : "CS-AC-M-7: SHA-256");
    }

    arena_free();
}


static void
test_oasis_cert(void)
{
    size_t                 n, cl;
    uint8_t               *der;
    const char            *x, *cn, *len;
    ngx_kmip_cert_t        c;
    ngx_kmip_item_t       *it;
    ngx_kmip_keys_error_t  err;

    x = tc_read("v2.1/mandatory/BL-M-10-21.xml");
    der = x ? tc_hex(x, "CertificateValue", 0, &n) : NULL;
    CHECK(der != NULL, "BL-M-10: the certificate");
    if (der == NULL) {
        return;
    }

    CHECK(ngx_kmip_cert_parse(&A, der, n, &c, &err) == NGX_KMIP_KEYS_OK,
          "BL-M-10: parsed");

    len = tc_value(x, "CertificateLength", 0, &cl);
    CHECK(len && c.length == atoi(len), "BL-M-10: Certificate Length 1043");

    cn = tc_value(x, "CertificateSubjectCN", 0, &cl);
    it = NULL;
    CHECK(cn && ngx_kmip_cert_attribute(&A, &c,
                                        NGX_KMIP_TAG_CERTIFICATE_SUBJECT_CN,
                                        &it, &err) == NGX_KMIP_KEYS_OK
          && it && it->v.str.len == cl
          && memcmp(it->v.str.data, cn, cl) == 0,
          "BL-M-10: Certificate Subject CN");

    CHECK(c.key_rc == NGX_KMIP_KEYS_OK && c.key.type == NGX_KMIP_KEY_RSA
          && inspect_bytes(OBJ_PUB, F_X509, c.spki.data, c.spki.len, NULL)
             == NGX_KMIP_KEYS_OK, "BL-M-10: its public key");

    CHECK(c.signature_algorithm != 0 && c.version == 3,
          "BL-M-10: a v3 certificate of a known signature algorithm");

    arena_free();
}


/* ---------------------------------------------------------------------
 * sign and verify: every algorithm, every parameter, every refusal
 */

/* a check of a signature that answers, and says `valid` */
static void
verify_is(const char *what, const char *how, int valid,
    const ngx_kmip_key_t *key, const ngx_kmip_pk_params_t *p,
    const uint8_t *data, size_t n, int digested, const uint8_t *sig,
    size_t sig_len)
{
    int                    v;
    char                   name[160];
    ngx_kmip_keys_error_t  err;

    snprintf(name, sizeof(name), "%s: %s", what, how);
    CHECK(ngx_kmip_pk_verify(key, p, data, n, digested, sig, sig_len, &v,
                             &err)
          == NGX_KMIP_KEYS_OK && v == valid, name);
}


static void
sign_verify(const char *what, const ngx_kmip_key_t *sk,
    const ngx_kmip_key_t *pk, const ngx_kmip_pk_params_t *p, int digested)
{
    int                    rc;
    char                   name[160];
    size_t                 n, dn, len;
    uint8_t               *sig, msg[40], d[NGX_KMIP_PK_DIGEST_MAX];
    const uint8_t         *data;
    ngx_kmip_keys_error_t  err;

    memcpy(msg, "the message the operations sign, 40 byte", 40);
    data = msg;
    n = sizeof(msg);

    if (digested) {
        ngx_kmip_pk_digest(p->hashing ? p->hashing : HASH(SHA_256), msg,
                           sizeof(msg), d, &dn, NULL);
        data = d;
        n = dn;
    }

    sig = NULL;
    rc = ngx_kmip_pk_sign(&A, sk, p, data, n, digested, &sig, &n, &err);
    snprintf(name, sizeof(name), "%s: signed", what);
    CHECK(rc == NGX_KMIP_KEYS_OK && sig != NULL, name);

    if (rc != NGX_KMIP_KEYS_OK) {
        printf("  (%s)\n", err.what);
        return;
    }

    len = digested ? dn : sizeof(msg);

    verify_is(what, "Valid", 1, pk, p, data, len, digested, sig, n);
    verify_is(what, "the private key verifies too", 1, sk, p, data, len,
              digested, sig, n);

    msg[0] ^= 1;
    d[0] ^= 1;
    verify_is(what, "other data, Invalid", 0, pk, p, data, len, digested,
              sig, n);
    msg[0] ^= 1;
    d[0] ^= 1;

    sig[n / 2] ^= 0x40;
    verify_is(what, "a bit of the signature, Invalid", 0, pk, p, data, len,
              digested, sig, n);
    verify_is(what, "a signature cut short, Invalid", 0, pk, p, data, len,
              digested, sig, n - 1);
}


static void
test_sign(void)
{
    char                   name[128];
    size_t                 i, h, v;
    ngx_kmip_key_t         sk, pk;
    ngx_kmip_pk_params_t   p;
    static const uint32_t  hashes[] = {
        HASH(SHA_256), HASH(SHA_384), HASH(SHA_512)
    };
    static const uint32_t  rsa_sigs[] = {
        DSA(SHA_256_WITH_RSA_ENCRYPTION), DSA(SHA_384_WITH_RSA_ENCRYPTION),
        DSA(SHA_512_WITH_RSA_ENCRYPTION)
    };
    static const uint32_t  ec_sigs[] = {
        DSA(ECDSA_WITH_SHA256), DSA(ECDSA_WITH_SHA384),
        DSA(ECDSA_WITH_SHA512)
    };

    /* the parameters each hash is tried with: "<key> <scheme> hash N<tail>" */
    static const struct {
        int          ec;
        const char  *scheme, *tail;
        uint32_t     algorithm, padding, signature, mgf_hashing;
        int32_t      salt_length;
        int          digested;     /* and of the digest, too */
    } schemes[] = {
        { 0, "PKCS#1 v1.5", "", 0, PAD(PKCS1_V1_5), 0, 0, -1, 1 },
        { 0, "PSS", "", 0, PAD(PSS), 0, 0, -1, 1 },
        { 0, "PSS", ", salt 0, MGF1 SHA-1", 0, PAD(PSS), 0, HASH(SHA_1), 0, 0 },
        { 0, "RSASSA-PSS", "", 0, 0, DSA(RSASSA_PSS), 0, -1, 0 },
        { 1, "ECDSA", "", ALG(ECDSA), 0, 0, 0, -1, 1 },
    };

    for (i = 0; i < NGEN; i++) {
        const gen_case_t  *g = &gen_cases[i];

        if (g->type == NGX_KMIP_KEY_X25519 || g->length == 1024) {
            continue;
        }

        /* the private key in another format than the public, on purpose */
        sk = gen_key(i, 1);
        pk = gen_key(i, 0);

        if (g->type == NGX_KMIP_KEY_ED25519) {
            ngx_kmip_pk_params_init(&p);
            sign_verify("Ed25519", &sk, &pk, &p, 0);

            p.algorithm = ALG(ED25519);
            sign_verify("Ed25519, algorithm named", &sk, &pk, &p, 0);
            continue;
        }

        for (h = 0; h < 3; h++) {
            for (v = 0; v < sizeof(schemes) / sizeof(schemes[0]); v++) {
                if (schemes[v].ec != (g->type == NGX_KMIP_KEY_EC)) {
                    continue;
                }

                ngx_kmip_pk_params_init(&p);
                p.hashing = hashes[h];
                p.algorithm = schemes[v].algorithm;
                p.padding = schemes[v].padding;
                p.signature = schemes[v].signature;
                p.mgf_hashing = schemes[v].mgf_hashing;
                p.salt_length = schemes[v].salt_length;

                snprintf(name, sizeof(name), "%s %s hash %u%s", g->name,
                         schemes[v].scheme, hashes[h], schemes[v].tail);
                sign_verify(name, &sk, &pk, &p, 0);

                if (schemes[v].digested) {
                    snprintf(name, sizeof(name), "%s %s hash %u%s, digested",
                             g->name, schemes[v].scheme, hashes[h],
                             schemes[v].tail);
                    sign_verify(name, &sk, &pk, &p, 1);
                }
            }

            /* the Digital Signature Algorithm alone names the hash */
            ngx_kmip_pk_params_init(&p);
            p.signature = g->type == NGX_KMIP_KEY_RSA ? rsa_sigs[h]
                                                      : ec_sigs[h];
            snprintf(name, sizeof(name), "%s by Digital Signature "
                     "Algorithm %u", g->name, p.signature);
            sign_verify(name, &sk, &pk, &p, 0);
        }
    }

    arena_free();
}


typedef struct {
    const char  *name;
    size_t       pair;
    int          use_public;
    int          digested;
    uint32_t     padding, hashing, signature, algorithm, mgf;
    int          rc;
} sign_refusal_t;


static void
test_sign_refusals(void)
{
    int                    valid, rc;
    size_t                 i, n;
    uint8_t               *sig, data[32];
    ngx_kmip_key_t         k;
    ngx_kmip_pk_params_t   p;
    ngx_kmip_keys_error_t  err;

    static const sign_refusal_t  bad[] = {
        { "RSA without a padding", 0, 0, 0, 0, HASH(SHA_256), 0, 0, 0,
          NGX_KMIP_KEYS_ERR_PADDING },
        { "RSA signing with OAEP", 0, 0, 0, PAD(OAEP), HASH(SHA_256), 0, 0,
          0, NGX_KMIP_KEYS_ERR_PADDING },
        { "RSA without a hash", 0, 0, 0, PAD(PSS), 0, 0, 0, 0,
          NGX_KMIP_KEYS_ERR_HASH },
        { "RSA signing with SHA-1", 0, 0, 0, PAD(PKCS1_V1_5), HASH(SHA_1), 0,
          0, 0, NGX_KMIP_KEYS_ERR_HASH },
        { "RSA signing with MD5", 0, 0, 0, PAD(PKCS1_V1_5), HASH(MD5), 0, 0,
          0, NGX_KMIP_KEYS_ERR_HASH },
        { "RSA signing with SHA3-256", 0, 0, 0, PAD(PKCS1_V1_5),
          HASH(SHA3_256), 0, 0, 0, NGX_KMIP_KEYS_ERR_HASH },
        { "PSS with MGF other than MGF1", 0, 0, 0, PAD(PSS), HASH(SHA_256),
          0, 0, 2, NGX_KMIP_KEYS_ERR_MASK },
        { "DSA with SHA-256", 0, 0, 0, 0, 0, DSA(DSA_WITH_SHA256), 0, 0,
          NGX_KMIP_KEYS_ERR_SIGNATURE },
        { "SHA-1 with RSA", 0, 0, 0, 0, 0,
          DSA(SHA_1_WITH_RSA_ENCRYPTION), 0, 0,
          NGX_KMIP_KEYS_ERR_SIGNATURE },
        { "ECDSA for an RSA key", 0, 0, 0, 0, 0, DSA(ECDSA_WITH_SHA256), 0,
          0, NGX_KMIP_KEYS_ERR_CONFLICT },
        { "SHA-256 with RSA and SHA-384", 0, 0, 0, 0, HASH(SHA_384),
          DSA(SHA_256_WITH_RSA_ENCRYPTION), 0, 0,
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "SHA-256 with RSA and PSS", 0, 0, 0, PAD(PSS), 0,
          DSA(SHA_256_WITH_RSA_ENCRYPTION), 0, 0,
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "RSA named AES", 0, 0, 0, PAD(PSS), HASH(SHA_256), 0, ALG(AES), 0,
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "RSA signing with a public key", 0, 1, 0, PAD(PSS), HASH(SHA_256),
          0, 0, 0, NGX_KMIP_KEYS_ERR_KEY_USE },
        { "a digest of the wrong length", 0, 0, 1, PAD(PSS), HASH(SHA_512),
          0, 0, 0, NGX_KMIP_KEYS_ERR_DATA },
        { "ECDSA with PSS", 4, 0, 0, PAD(PSS), HASH(SHA_256), 0, 0, 0,
          NGX_KMIP_KEYS_ERR_PADDING },
        { "ECDSA without a hash", 4, 0, 0, 0, 0, 0, 0, 0,
          NGX_KMIP_KEYS_ERR_HASH },
        { "ECDSA with SHA-1", 4, 0, 0, 0, 0, DSA(ECDSA_WITH_SHA_1), 0, 0,
          NGX_KMIP_KEYS_ERR_SIGNATURE },
        { "an EC key named RSA", 4, 0, 0, 0, HASH(SHA_256), 0, ALG(RSA), 0,
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "RSA PKCS#1 for an EC key", 4, 0, 0, 0, 0,
          DSA(SHA_256_WITH_RSA_ENCRYPTION), 0, 0,
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "Ed25519 with a hash", 7, 0, 0, 0, HASH(SHA_512), 0, 0, 0,
          NGX_KMIP_KEYS_ERR_HASH },
        { "Ed25519 of a digest", 7, 0, 1, 0, 0, 0, 0, 0,
          NGX_KMIP_KEYS_ERR_HASH },
        { "Ed25519 with PKCS#1 v1.5", 7, 0, 0, PAD(PKCS1_V1_5), 0, 0, 0, 0,
          NGX_KMIP_KEYS_ERR_PADDING },
        { "Ed25519 named ECDSA", 7, 0, 0, 0, 0, 0, ALG(ECDSA), 0,
          NGX_KMIP_KEYS_ERR_CONFLICT },
        { "X25519 signing", 8, 0, 0, 0, HASH(SHA_256), 0, 0, 0,
          NGX_KMIP_KEYS_ERR_KEY_USE },
    };

    memset(data, 3, sizeof(data));

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const ngx_kmip_keypair_t  *kp = &pairs[bad[i].pair];

        k = bad[i].use_public
            ? key_of(OBJ_PUB, F_X509, 0, bytes_item(kp->public_der,
                                                    kp->public_len))
            : key_of(OBJ_PRIV, F_PKCS8, 0, bytes_item(kp->private_der,
                                                      kp->private_len));

        ngx_kmip_pk_params_init(&p);
        p.padding = bad[i].padding;
        p.hashing = bad[i].hashing;
        p.signature = bad[i].signature;
        p.algorithm = bad[i].algorithm;
        p.mask_generator = bad[i].mgf;

        sig = NULL;
        rc = ngx_kmip_pk_sign(&A, &k, &p, data, sizeof(data),
                              bad[i].digested, &sig, &n, &err);
        CHECK(rc == bad[i].rc && err.rc == rc && sig == NULL, bad[i].name);

        if (bad[i].rc == NGX_KMIP_KEYS_ERR_KEY_USE || bad[i].digested) {
            continue;
        }

        /* the same refusal to verify */
        k = key_of(OBJ_PUB, F_X509, 0, bytes_item(kp->public_der,
                                                  kp->public_len));
        valid = -1;
        rc = ngx_kmip_pk_verify(&k, &p, data, sizeof(data), 0, data,
                                sizeof(data), &valid, &err);

        /* SHA-1 verifies legacy signatures (CS-AC-M-3 asks it) */
        if (bad[i].hashing == HASH(SHA_1) && bad[i].pair == 0) {
            CHECK(rc == NGX_KMIP_KEYS_OK && valid == 0,
                  "a PKCS#1 v1.5 SHA-1 verification runs, Invalid");
            continue;
        }

        CHECK(rc == bad[i].rc && valid == 0, bad[i].name);
    }

    CHECK(ngx_kmip_keys_reason(NGX_KMIP_KEYS_ERR_PADDING)
          == NGX_KMIP_REASON_BAD_CRYPTOGRAPHIC_PARAMETERS
          && ngx_kmip_keys_reason(NGX_KMIP_KEYS_ERR_KEY_USE)
             == NGX_KMIP_REASON_INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK,
          "the refusals' Result Reasons");

    arena_free();
}


static void
test_encrypt(void)
{
    char                   name[128];
    size_t                 i, n, m, pt_len;
    uint8_t               *ct, *pt, msg[300];
    ngx_kmip_key_t         sk, pk, ek;
    ngx_kmip_pk_params_t   p;
    ngx_kmip_keys_error_t  err;

    static const struct {
        uint32_t  padding, hashing, mgf_hashing;
        size_t    max;        /* the longest plaintext for RSA 2048 */
    } ok[] = {
        { PAD(OAEP), 0, 0, 256 - 2 * 20 - 2 },
        { PAD(OAEP), HASH(SHA_1), HASH(SHA_1), 256 - 2 * 20 - 2 },
        { PAD(OAEP), HASH(SHA_224), 0, 256 - 2 * 28 - 2 },
        { PAD(OAEP), HASH(SHA_256), HASH(SHA_256), 256 - 2 * 32 - 2 },
        { PAD(OAEP), HASH(SHA_256), HASH(SHA_1), 256 - 2 * 32 - 2 },
        { PAD(OAEP), HASH(SHA_384), HASH(SHA_256), 256 - 2 * 48 - 2 },
        { PAD(OAEP), HASH(SHA_512), HASH(SHA_512), 256 - 2 * 64 - 2 },
        { PAD(PKCS1_V1_5), 0, 0, 256 - 11 },
    };

    memset(msg, 0x5a, sizeof(msg));

    sk = gen_key(0, 1);
    pk = gen_key(0, 0);

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ngx_kmip_pk_params_init(&p);
        p.padding = ok[i].padding;
        p.hashing = ok[i].hashing;
        p.mgf_hashing = ok[i].mgf_hashing;

        ct = pt = NULL;
        snprintf(name, sizeof(name), "RSA 2048 encryption %zu: the longest "
                 "plaintext round-trips", i);
        CHECK(ngx_kmip_pk_encrypt(&A, &pk, &p, msg, ok[i].max, &ct, &n, &err)
              == NGX_KMIP_KEYS_OK && n == 256
              && ngx_kmip_pk_decrypt(&A, &sk, &p, ct, n, &pt, &pt_len, &err)
                 == NGX_KMIP_KEYS_OK
              && pt_len == ok[i].max && memcmp(pt, msg, pt_len) == 0, name);

        snprintf(name, sizeof(name), "RSA 2048 encryption %zu: a byte more "
                 "does not fit", i);
        CHECK(ngx_kmip_pk_encrypt(&A, &pk, &p, msg, ok[i].max + 1, &ct, &m,
                                  &err) == NGX_KMIP_KEYS_ERR_DATA, name);

        /* the private key encrypts with its public half */
        ct = NULL;
        snprintf(name, sizeof(name), "RSA 2048 encryption %zu: with the "
                 "private key's public half", i);
        CHECK(ngx_kmip_pk_encrypt(&A, &sk, &p, msg, 16, &ct, &n, &err)
              == NGX_KMIP_KEYS_OK
              && ngx_kmip_pk_decrypt(&A, &sk, &p, ct, n, &pt, &pt_len, &err)
                 == NGX_KMIP_KEYS_OK && pt_len == 16, name);

        if (ct) {
            ct[10] ^= 1;
            snprintf(name, sizeof(name), "RSA 2048 encryption %zu: a changed "
                     "ciphertext does not decrypt", i);
            CHECK(ngx_kmip_pk_decrypt(&A, &sk, &p, ct, n, &pt, &pt_len, &err)
                  == NGX_KMIP_KEYS_ERR_DATA, name);
        }
    }

    ngx_kmip_pk_params_init(&p);
    p.padding = PAD(OAEP);
    CHECK(ngx_kmip_pk_decrypt(&A, &pk, &p, msg, 256, &pt, &pt_len, &err)
          == NGX_KMIP_KEYS_ERR_KEY_USE, "decryption with a public key");

    p.padding = PAD(NONE);
    CHECK(ngx_kmip_pk_encrypt(&A, &pk, &p, msg, 256, &ct, &n, &err)
          == NGX_KMIP_KEYS_ERR_PADDING, "raw RSA refused");
    p.padding = 0;
    CHECK(ngx_kmip_pk_encrypt(&A, &pk, &p, msg, 16, &ct, &n, &err)
          == NGX_KMIP_KEYS_ERR_PADDING, "no padding method");
    p.padding = PAD(PSS);
    CHECK(ngx_kmip_pk_encrypt(&A, &pk, &p, msg, 16, &ct, &n, &err)
          == NGX_KMIP_KEYS_ERR_PADDING, "PSS to encrypt");
    p.padding = PAD(OAEP);
    p.hashing = HASH(MD5);
    CHECK(ngx_kmip_pk_encrypt(&A, &pk, &p, msg, 16, &ct, &n, &err)
          == NGX_KMIP_KEYS_ERR_HASH, "OAEP with MD5");
    p.hashing = HASH(SHA_256);
    p.mgf_hashing = HASH(SHA3_256);
    CHECK(ngx_kmip_pk_encrypt(&A, &pk, &p, msg, 16, &ct, &n, &err)
          == NGX_KMIP_KEYS_ERR_HASH, "MGF1 with SHA3-256");
    p.mgf_hashing = 0;
    p.mask_generator = 2;
    CHECK(ngx_kmip_pk_encrypt(&A, &pk, &p, msg, 16, &ct, &n, &err)
          == NGX_KMIP_KEYS_ERR_MASK, "a mask generator other than MGF1");
    p.mask_generator = 0;
    p.signature = DSA(RSASSA_PSS);
    CHECK(ngx_kmip_pk_encrypt(&A, &pk, &p, msg, 16, &ct, &n, &err)
          == NGX_KMIP_KEYS_ERR_CONFLICT,
          "a Digital Signature Algorithm to encrypt");
    p.signature = 0;
    p.algorithm = ALG(AES);
    CHECK(ngx_kmip_pk_encrypt(&A, &pk, &p, msg, 16, &ct, &n, &err)
          == NGX_KMIP_KEYS_ERR_CONFLICT, "RSA named AES to encrypt");

    ngx_kmip_pk_params_init(&p);
    p.padding = PAD(OAEP);
    ek = gen_key(4, 0);
    CHECK(ngx_kmip_pk_encrypt(&A, &ek, &p, msg, 16, &ct, &n, &err)
          == NGX_KMIP_KEYS_ERR_KEY_USE, "EC encryption refused");
    ek = gen_key(8, 0);
    CHECK(ngx_kmip_pk_encrypt(&A, &ek, &p, msg, 16, &ct, &n, &err)
          == NGX_KMIP_KEYS_ERR_KEY_USE, "X25519 encryption refused");

    arena_free();
}


static void
test_digest_params(void)
{
    size_t                 n;
    uint8_t                d[NGX_KMIP_PK_DIGEST_MAX];
    ngx_kmip_item_t       *cp;
    ngx_kmip_pk_params_t   p;
    ngx_kmip_keys_error_t  err;
    static const uint8_t   abc256[] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad
    };

    CHECK(ngx_kmip_pk_digest(HASH(SHA_256), (const uint8_t *) "abc", 3, d,
                             &n, &err) == NGX_KMIP_KEYS_OK
          && n == 32 && memcmp(d, abc256, 32) == 0, "SHA-256 of \"abc\"");
    CHECK(ngx_kmip_pk_digest(HASH(SHA3_512), (const uint8_t *) "abc", 3, d,
                             &n, &err) == NGX_KMIP_KEYS_OK && n == 64,
          "SHA3-512");
    CHECK(ngx_kmip_pk_digest(HASH(MD5), (const uint8_t *) "abc", 3, d, &n,
                             &err) == NGX_KMIP_KEYS_ERR_HASH, "MD5 refused");
    CHECK(ngx_kmip_pk_digest(HASH(TIGER), (const uint8_t *) "abc", 3, d, &n,
                             &err) == NGX_KMIP_KEYS_ERR_HASH, "Tiger refused");

    /* the object's parameters, then the request's on top */
    cp = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS,
                                NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_enum(&A, cp, NGX_KMIP_TAG_PADDING_METHOD, PAD(PSS));
    ngx_kmip_ttlv_add_enum(&A, cp, NGX_KMIP_TAG_HASHING_ALGORITHM,
                           HASH(SHA_256));
    ngx_kmip_ttlv_add_enum(&A, cp, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                           ALG(RSA));
    ngx_kmip_ttlv_add_integer(&A, cp, NGX_KMIP_TAG_SALT_LENGTH, 222);
    ngx_kmip_ttlv_add_enum(&A, cp, NGX_KMIP_TAG_BLOCK_CIPHER_MODE, 1);
    ngx_kmip_ttlv_add_bytes(&A, cp, NGX_KMIP_TAG_P_SOURCE,
                            (const uint8_t *) "label", 5);

    ngx_kmip_pk_params_init(&p);
    CHECK(ngx_kmip_pk_params_read(cp, &p, &err) == NGX_KMIP_KEYS_OK
          && p.padding == PAD(PSS) && p.hashing == HASH(SHA_256)
          && p.algorithm == ALG(RSA) && p.salt_length == 222
          && p.signature == 0 && p.mgf_hashing == 0
          && p.p_source_len == 5 && memcmp(p.p_source, "label", 5) == 0,
          "Cryptographic Parameters read");

    cp = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS,
                                NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_enum(&A, cp, NGX_KMIP_TAG_HASHING_ALGORITHM,
                           HASH(SHA_1));
    ngx_kmip_ttlv_add_enum(&A, cp, NGX_KMIP_TAG_MASK_GENERATOR, 1);
    ngx_kmip_ttlv_add_enum(&A, cp,
                           NGX_KMIP_TAG_MASK_GENERATOR_HASHING_ALGORITHM,
                           HASH(SHA_512));
    ngx_kmip_ttlv_add_enum(&A, cp, NGX_KMIP_TAG_DIGITAL_SIGNATURE_ALGORITHM,
                           DSA(RSASSA_PSS));
    CHECK(ngx_kmip_pk_params_read(cp, &p, &err) == NGX_KMIP_KEYS_OK
          && p.padding == PAD(PSS) && p.hashing == HASH(SHA_1)
          && p.salt_length == 222 && p.mask_generator == 1
          && p.mgf_hashing == HASH(SHA_512)
          && p.signature == DSA(RSASSA_PSS),
          "the request's Cryptographic Parameters on the object's");

    cp = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS,
                                NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_integer(&A, cp, NGX_KMIP_TAG_PADDING_METHOD, 1);
    CHECK(ngx_kmip_pk_params_read(cp, &p, &err)
          == NGX_KMIP_KEYS_ERR_STRUCTURE, "a Padding Method as an Integer");

    cp = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS,
                                NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_integer(&A, cp, NGX_KMIP_TAG_SALT_LENGTH, -1);
    CHECK(ngx_kmip_pk_params_read(cp, &p, &err)
          == NGX_KMIP_KEYS_ERR_STRUCTURE, "a negative Salt Length");

    cp = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS,
                                NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_text(&A, cp, NGX_KMIP_TAG_P_SOURCE,
                           (const uint8_t *) "label", 5);
    CHECK(ngx_kmip_pk_params_read(cp, &p, &err)
          == NGX_KMIP_KEYS_ERR_STRUCTURE, "a P Source as a Text String");

    CHECK(ngx_kmip_pk_params_read(NULL, &p, &err) == NGX_KMIP_KEYS_OK,
          "no Cryptographic Parameters");

    arena_free();
}


/* ---------------------------------------------------------------------
 * certificates
 */

static uint8_t *
make_cert(const ngx_kmip_keypair_t *kp, const EVP_MD *md, int with_san,
    long serial, size_t *len)
{
    int             n;
    X509           *x;
    uint8_t        *der, *out;
    EVP_PKEY       *pkey;
    X509_NAME      *name;
    const uint8_t  *p;
    X509_EXTENSION *ext;

    p = kp->private_der;
    pkey = d2i_AutoPrivateKey(NULL, &p, (long) kp->private_len);

    x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    ASN1_TIME_set_string(X509_getm_notBefore(x), "20250101000000Z");
    ASN1_TIME_set_string(X509_getm_notAfter(x), "20350615123456Z");
    X509_set_pubkey(x, pkey);

    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
                               (const unsigned char *) "US", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               (const unsigned char *) "ngx_kmip", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
                               (const unsigned char *) "cl\xc3\xa9s", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *) "kmip.example.com",
                               -1, -1, 0);
    X509_set_issuer_name(x, name);

    if (with_san) {
        ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
                                  "DNS:kmip.example.com,IP:10.0.0.1");
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }

    X509_sign(x, pkey, md);

    der = NULL;
    n = i2d_X509(x, &der);
    out = NULL;

    if (n > 0) {
        out = copy_of(der, (size_t) n, 1);
        *len = (size_t) n;
    }

    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(pkey);

    return out;
}


static int
item_text(const ngx_kmip_item_t *it, const char *s)
{
    return it && it->v.str.len == strlen(s)
           && memcmp(it->v.str.data, s, it->v.str.len) == 0;
}


static void
test_cert(void)
{
    size_t                 n, i;
    uint8_t               *der, *bad;
    ngx_kmip_cert_t        c;
    ngx_kmip_item_t       *it;
    ngx_kmip_keys_error_t  err;

    static const uint32_t  attrs[] = {
        NGX_KMIP_TAG_CERTIFICATE_TYPE, NGX_KMIP_TAG_CERTIFICATE_LENGTH,
        NGX_KMIP_TAG_DIGITAL_SIGNATURE_ALGORITHM,
        NGX_KMIP_TAG_X_509_CERTIFICATE_IDENTIFIER,
        NGX_KMIP_TAG_X_509_CERTIFICATE_SUBJECT,
        NGX_KMIP_TAG_X_509_CERTIFICATE_ISSUER,
        NGX_KMIP_TAG_CERTIFICATE_IDENTIFIER,
        NGX_KMIP_TAG_CERTIFICATE_SUBJECT, NGX_KMIP_TAG_CERTIFICATE_ISSUER,
        NGX_KMIP_TAG_CERTIFICATE_SUBJECT_CN,
        NGX_KMIP_TAG_CERTIFICATE_ISSUER_O
    };

    der = make_cert(&pairs[0], EVP_sha256(), 1, 0x1234567, &n);
    CHECK(der != NULL, "a self-signed RSA certificate to parse");
    if (der == NULL) {
        return;
    }

    CHECK(ngx_kmip_cert_parse(&A, der, n, &c, &err) == NGX_KMIP_KEYS_OK,
          "certificate: parsed");
    CHECK(c.certificate_type == NGX_KMIP_CERTIFICATE_TYPE_X_509
          && c.length == (int32_t) n && c.version == 3,
          "certificate: type, length, version");
    CHECK(c.signature_algorithm == DSA(SHA_256_WITH_RSA_ENCRYPTION),
          "certificate: sha256WithRSAEncryption");
    CHECK(c.not_before == 1735689600 && c.not_after == 2065523696,
          "certificate: validity dates in Unix seconds");
    CHECK(c.serial.len == 4 && memcmp(c.serial.data, "\x01\x23\x45\x67", 4)
          == 0, "certificate: serial number bytes");
    CHECK(c.serial_text.len == 8
          && memcmp(c.serial_text.data, "19088743", 8) == 0,
          "certificate: serial number text");
    CHECK(c.subject_text.len > 0
          && memcmp(c.subject_text.data, "CN=kmip.example.com,OU=cl",
                    25) == 0
          && c.issuer_text.len == c.subject_text.len,
          "certificate: RFC 2253 subject and issuer");
    CHECK(c.subject_der.len > 0 && c.subject_der.data[0] == 0x30
          && c.issuer_der.len == c.subject_der.len,
          "certificate: DER names");
    CHECK(c.subject_alt.n == 2
          && c.subject_alt.v[0].len == 20
          && memcmp(c.subject_alt.v[0].data, "DNS:kmip.example.com", 20) == 0
          && memcmp(c.subject_alt.v[1].data, "IP Address:10.0.0.1", 19) == 0
          && c.subject_alt_der.n == 2 && c.subject_alt_der.v[0].data[0] == 0x82
          && c.issuer_alt.n == 0,
          "certificate: alternative names");
    CHECK(c.nrdn == 8, "certificate: four name attributes each side");
    CHECK(c.spki.len == pairs[0].public_len
          && memcmp(c.spki.data, pairs[0].public_der, c.spki.len) == 0
          && c.key_rc == NGX_KMIP_KEYS_OK && c.key.length == 2048,
          "certificate: the public key, for the link");

    for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
        it = NULL;
        CHECK(ngx_kmip_cert_attribute(&A, &c, attrs[i], &it, &err)
              == NGX_KMIP_KEYS_OK && it && it->tag == attrs[i]
              && through_ttlv(it) != NULL,
              "certificate: an attribute, encoded");
    }

    it = NULL;
    ngx_kmip_cert_attribute(&A, &c, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_OU, &it,
                            &err);
    CHECK(item_text(it, "cl\xc3\xa9s"), "certificate: OU in UTF-8");

    it = NULL;
    ngx_kmip_cert_attribute(&A, &c, NGX_KMIP_TAG_X_509_CERTIFICATE_SUBJECT,
                            &it, &err);
    CHECK(it && it->v.kids.count == 3
          && it->v.kids.first->tag == NGX_KMIP_TAG_SUBJECT_DISTINGUISHED_NAME
          && it->v.kids.last->tag == NGX_KMIP_TAG_SUBJECT_ALTERNATIVE_NAME,
          "certificate: X.509 Certificate Subject, DN and two names");

    it = NULL;
    ngx_kmip_cert_attribute(&A, &c, NGX_KMIP_TAG_CERTIFICATE_IDENTIFIER, &it,
                            &err);
    CHECK(it && it->v.kids.count == 2
          && it->v.kids.first->tag == NGX_KMIP_TAG_ISSUER
          && item_text(it->v.kids.last, "19088743"),
          "certificate: the 1.0 Certificate Identifier");

    it = (ngx_kmip_item_t *) 1;
    CHECK(ngx_kmip_cert_attribute(&A, &c, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_DC,
                                  &it, &err) == NGX_KMIP_KEYS_OK
          && it == NULL, "certificate: no DC, no value");

    CHECK(ngx_kmip_cert_attribute(&A, &c, NGX_KMIP_TAG_NAME, &it, &err)
          == NGX_KMIP_KEYS_ERR_FORMAT, "certificate: Name is not its own");

    /* hostile */
    bad = copy_of(der, n, 1);
    bad[n] = 0;
    CHECK(ngx_kmip_cert_parse(&A, bad, n + 1, &c, &err)
          == NGX_KMIP_KEYS_ERR_TRAILING, "certificate: a trailing byte");

    for (i = 0; i < n; i += n / 9 + 1) {
        CHECK(ngx_kmip_cert_parse(&A, der, i, &c, &err)
              == NGX_KMIP_KEYS_ERR_ENCODING, "certificate: truncated");
    }

    CHECK(ngx_kmip_cert_parse(&A, pairs[0].public_der, pairs[0].public_len,
                              &c, &err) == NGX_KMIP_KEYS_ERR_ENCODING,
          "certificate: an SPKI is not one");

    /* ECDSA-signed, and an Ed25519 one KMIP has no algorithm for */
    der = make_cert(&pairs[5], EVP_sha384(), 0, 0x80000001, &n);
    CHECK(der && ngx_kmip_cert_parse(&A, der, n, &c, &err)
                 == NGX_KMIP_KEYS_OK
          && c.signature_algorithm == DSA(ECDSA_WITH_SHA384)
          && c.key.type == NGX_KMIP_KEY_EC && c.subject_alt.n == 0,
          "certificate: ECDSA with SHA-384, P-384 key");
    CHECK(der && c.serial.len == 5
          && memcmp(c.serial.data, "\x00\x80\x00\x00\x01", 5) == 0
          && c.serial_text.len == 10
          && memcmp(c.serial_text.data, "2147483649", 10) == 0,
          "certificate: a serial with its top bit set keeps its sign byte");

    der = make_cert(&pairs[7], NULL, 0, 1, &n);
    it = (ngx_kmip_item_t *) 1;
    CHECK(der && ngx_kmip_cert_parse(&A, der, n, &c, &err)
                 == NGX_KMIP_KEYS_OK
          && c.signature_algorithm == 0 && c.key.type == NGX_KMIP_KEY_ED25519
          && ngx_kmip_cert_attribute(&A, &c,
                                     NGX_KMIP_TAG_DIGITAL_SIGNATURE_ALGORITHM,
                                     &it, &err) == NGX_KMIP_KEYS_OK
          && it == NULL,
          "certificate: Ed25519, no Digital Signature Algorithm");

    arena_free();
}


/* ---------------------------------------------------------------------
 * out of memory at every allocation: an error, never a crash or a leak
 */

static void
test_nomem(void)
{
    int              rc, ok;
    long             k;
    size_t           i, n, base;
    uint8_t         *der;
    ngx_kmip_key_t   key;
    ngx_kmip_cert_t  c;
    ngx_kmip_item_t *out;

    static const struct {
        size_t     pair;
        uint32_t   format;
    } conv[] = {
        { 0, F_TRSA_S }, { 0, F_PKCS1 }, { 4, F_TEC_S }, { 7, F_RAW }
    };

    for (i = 0; i < sizeof(conv) / sizeof(conv[0]); i++) {
        ok = 1;

        /* the arena cut short by 8 bytes more each time: every
           allocation of the conversion fails in turn */
        for (k = 0; k < 8192; k += 8) {
            arena_free();
            key = gen_key(conv[i].pair, 1);
            arena.cap = arena.used + (size_t) k;
            out = NULL;
            rc = ngx_kmip_keys_convert(&A, &key, conv[i].format, &out, NULL);
            arena.cap = TEST_ARENA_SIZE;

            if (rc == NGX_KMIP_KEYS_OK) {
                break;
            }

            ok = ok && rc == NGX_KMIP_KEYS_ERR_NOMEM;
        }

        CHECK(ok && k > 0 && k < 8192,
              "a conversion out of memory at each allocation");
        arena_free();
    }

    /* the services with no memory left */
    {
        uint8_t               *sig;
        ngx_kmip_pk_params_t   p;

        arena_free();
        key = gen_key(4, 1);
        ngx_kmip_pk_params_init(&p);
        p.hashing = HASH(SHA_256);
        arena.cap = arena.used;
        CHECK(ngx_kmip_pk_sign(&A, &key, &p, (const uint8_t *) "m", 1, 0,
                               &sig, &n, NULL) == NGX_KMIP_KEYS_ERR_NOMEM,
              "signing with no memory");

        arena.cap = TEST_ARENA_SIZE;
        key = gen_key(0, 1);
        p.padding = PAD(OAEP);
        arena.cap = arena.used;
        CHECK(ngx_kmip_pk_encrypt(&A, &key, &p, (const uint8_t *) "m", 1,
                                  &sig, &n, NULL) == NGX_KMIP_KEYS_ERR_NOMEM,
              "encrypting with no memory");
        arena.cap = TEST_ARENA_SIZE;
    }

    arena_free();
    der = make_cert(&pairs[0], EVP_sha256(), 1, 0x1234567, &n);
    base = arena.used;
    ok = 1;

    for (k = 0; der && k < 16384; k += 8) {
        arena.used = base;
        arena.cap = base + (size_t) k;
        rc = ngx_kmip_cert_parse(&A, der, n, &c, NULL);
        arena.cap = TEST_ARENA_SIZE;

        if (rc == NGX_KMIP_KEYS_OK) {
            break;
        }

        ok = ok && rc == NGX_KMIP_KEYS_ERR_ENCODING;
    }

    CHECK(der && ok && k > 0 && k < 16384,
          "a certificate parsed out of memory at each allocation");

    arena_free();
}


/* every code has its text and a Result Reason; the texts are distinct */
static void
test_codes(void)
{
    int          rc, other, ok;
    const char  *t;

    ok = 1;

    for (rc = NGX_KMIP_KEYS_OK; rc <= NGX_KMIP_KEYS_ERR_CRYPTO; rc++) {
        t = ngx_kmip_keys_strerror(rc);
        ok = ok && t != NULL && strcmp(t, "unknown error") != 0
             && (rc == NGX_KMIP_KEYS_OK) == (ngx_kmip_keys_reason(rc) == 0);

        for (other = NGX_KMIP_KEYS_OK; other < rc; other++) {
            ok = ok && strcmp(t, ngx_kmip_keys_strerror(other)) != 0;
        }
    }

    CHECK(ok, "each code: its own text, a Result Reason unless OK");
    CHECK(strcmp(ngx_kmip_keys_strerror(NGX_KMIP_KEYS_ERR_CRYPTO + 1),
                 "unknown error") == 0
          && strcmp(ngx_kmip_keys_strerror(-1), "unknown error") == 0,
          "a code out of range");
    CHECK(ngx_kmip_keys_reason(NGX_KMIP_KEYS_ERR_DATA)
          == NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE
          && ngx_kmip_keys_reason(NGX_KMIP_KEYS_ERR_ENCODING)
             == NGX_KMIP_REASON_INVALID_FIELD
          && ngx_kmip_keys_reason(NGX_KMIP_KEYS_ERR_NOMEM)
             == NGX_KMIP_REASON_GENERAL_FAILURE,
          "Result Reasons of data, encoding and memory failures");
}


int
main(void)
{
    size_t       i;
    const char  *dir;

    arena_free();

    dir = getenv("KMIP_TESTCASES");
    snprintf(tc_dir, sizeof(tc_dir), "%s",
             dir ? dir : "../../../shared/kmip/testcases");

    test_codes();
    test_generate();
    test_generate_refusals();
    test_generate_threads();
    test_convert();
    test_transparent_shape();
    test_hostile_der();
    test_format_confusion();
    test_pkcs8_inner();
    test_hostile_transparent();
    test_refused_keys();
    test_oasis_sign();
    test_oasis_oaep();
    test_oasis_formats();
    test_oasis_cert();
    test_sign();
    test_sign_refusals();
    test_encrypt();
    test_digest_params();
    test_cert();
    test_nomem();

    for (i = 0; i < NGEN; i++) {
        ngx_kmip_keys_keypair_wipe(&pairs[i]);
    }

    free(arena.data);

    return ngx_kmip_test_report("test_keys: ");
}
