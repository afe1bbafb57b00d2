
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Create Split Key and Join Split Key (1.4 4.38, 4.39; 2.1 6.1.10,
 * 6.1.27): a registered key split and joined back to the same bytes in
 * each method, a key made and split at once, the splits as stored (type,
 * fields, attributes) and as Get answers them, the ID Placeholder, a
 * failed write that leaves no split behind, and the refusals.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_kmip_test_ops.h"


#define T_XOR    NGX_KMIP_SPLIT_KEY_METHOD_XOR
#define T_GF8    NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_GF_2_8
#define T_GF16   NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_GF_2_16
#define T_PRIME  NGX_KMIP_SPLIT_KEY_METHOD_POLYNOMIAL_SHARING_PRIME_FIELD

#define T_SPLIT  NGX_KMIP_OBJECT_TYPE_SPLIT_KEY
#define T_SK     NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
#define T_SD     NGX_KMIP_OBJECT_TYPE_SECRET_DATA

#define T_KEY    "000102030405060708090a0b0c0d0e0f"

#define T_MAX    8


/* 2^130 - 5 as a Big Integer: three 8-byte words */
static u_char  t_p130[24] = {
    0, 0, 0, 0, 0, 0, 0, 0x03,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb
};


typedef struct {
    uint32_t                    type;
    int64_t                     parts;      /* -1: none */
    int64_t                     threshold;
    int64_t                     method;
    ngx_uint_t                  prime;
    int64_t                     bits;       /* a new key's, or -1 */
} t_split_req_t;


static ngx_kmip_response_item_t *
t_create_split(ngx_uint_t major, ngx_str_t *key, t_split_req_t *q)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *ta;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_CREATE_SPLIT_KEY);

    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE, q->type);

    if (key) {
        t_uid(p, key);
    }

    if (q->parts != -1) {
        (void) t_value(p, NGX_KMIP_TAG_SPLIT_KEY_PARTS, NGX_KMIP_TYPE_INTEGER,
                       q->parts);
    }

    (void) t_value(p, NGX_KMIP_TAG_SPLIT_KEY_THRESHOLD, NGX_KMIP_TYPE_INTEGER,
                   q->threshold);
    (void) t_value(p, NGX_KMIP_TAG_SPLIT_KEY_METHOD,
                   NGX_KMIP_TYPE_ENUMERATION, q->method);

    if (q->prime) {
        ngx_kmip_ttlv_add_bigint(t_alloc(), p, NGX_KMIP_TAG_PRIME_FIELD_SIZE,
                                 t_p130, sizeof(t_p130));
    }

    ta = t_attrs(p, major);

    if (q->bits != -1) {
        t_attr(ta, major, "Cryptographic Algorithm",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM, NGX_KMIP_TYPE_ENUMERATION,
               NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
        t_attr(ta, major, "Cryptographic Length",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, NGX_KMIP_TYPE_INTEGER,
               q->bits);
    }

    return t_run(t);
}


static ngx_kmip_response_item_t *
t_join(ngx_uint_t major, uint32_t type, ngx_str_t *uids, ngx_uint_t n)
{
    ngx_uint_t        i;
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_JOIN_SPLIT_KEY);

    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE, type);

    for (i = 0; i < n; i++) {
        t_uid(p, &uids[i]);
    }

    return t_run(t);
}


/* the answer's Unique Identifiers, copied: how many */

static ngx_uint_t
t_split_uids(ngx_kmip_response_item_t *out, ngx_str_t *uids)
{
    ngx_uint_t        n;
    ngx_kmip_item_t  *it;

    n = 0;

    for (it = t_find(out, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
         it && n < T_MAX;
         it = ngx_kmip_ttlv_find_next(it, NGX_KMIP_TAG_UNIQUE_IDENTIFIER))
    {
        uids[n].data = (u_char *) it->v.str.data;
        uids[n].len = it->v.str.len;
        n++;
    }

    return n;
}


/* the kept object is split id of parts with threshold, method */

static ngx_uint_t
t_kept_split(ngx_str_t *uid, int64_t parts, int64_t id, int64_t threshold,
    int64_t method, size_t len)
{
    ngx_kmip_item_t    *f;
    ngx_kmip_object_t  *o;

    o = ngx_kmip_store_memory_find(t_mem, uid);

    if (o == NULL || o->object_type != T_SPLIT || o->fields == NULL
        || o->material.len != len)
    {
        return 0;
    }

    f = o->fields;

    return ngx_kmip_ttlv_find(f, NGX_KMIP_TAG_SPLIT_KEY_PARTS)->v.num == parts
           && ngx_kmip_ttlv_find(f, NGX_KMIP_TAG_KEY_PART_IDENTIFIER)->v.num
              == id
           && ngx_kmip_ttlv_find(f, NGX_KMIP_TAG_SPLIT_KEY_THRESHOLD)->v.num
              == threshold
           && ngx_kmip_ttlv_find(f, NGX_KMIP_TAG_SPLIT_KEY_METHOD)->v.num
              == method;
}


/* the kept object has the material of hex */

static ngx_uint_t
t_kept_material(ngx_str_t *uid, ngx_str_t *want)
{
    ngx_kmip_object_t  *o;

    o = ngx_kmip_store_memory_find(t_mem, uid);

    return o && !o->destroyed && o->material.len == want->len
           && memcmp(o->material.data, want->data, want->len) == 0;
}


/* a registered AES-128 key split by q, and joined back from subsets */

static void
t_split_round(ngx_uint_t major, t_split_req_t *q, const char *name)
{
    char                       what[160];
    size_t                     share_len;
    ngx_str_t                 *key, k, uids[T_MAX], pick[T_MAX], *joined;
    ngx_uint_t                 n, i, ok;
    ngx_kmip_response_item_t  *out;

    key = t_register_bytes(major, T_SK, NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES,
                           t_unhex(T_KEY), 0x0c, -1, 1);
    if (!t_got(key, name)) {
        return;
    }

    k = *key;
    out = t_create_split(major, &k, q);
    n = t_split_uids(&out[0], uids);

    snprintf(what, sizeof(what), "%s (KMIP %d): %d splits", name,
             (int) major, (int) q->parts);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && n == (ngx_uint_t) q->parts, what);

    if (n != (ngx_uint_t) q->parts) {
        return;
    }

    share_len = q->prime ? 17 : 16;
    ok = 1;

    for (i = 0; i < n; i++) {
        ok &= t_kept_split(&uids[i], q->parts, i + 1, q->threshold,
                           q->method, share_len);
        ok &= (t_kept_num(&uids[i], "Cryptographic Algorithm")
               == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
        ok &= (t_kept_num(&uids[i], "Cryptographic Length") == 128);
    }

    snprintf(what, sizeof(what), "%s (KMIP %d): each a Split Key of its "
             "part, AES-128", name, (int) major);
    CHECK(ok, what);

    /* the threshold's last parts, backwards */

    for (i = 0; i < (ngx_uint_t) q->threshold; i++) {
        pick[i] = uids[n - 1 - i];
    }

    out = t_join(major, T_SK, pick, (ngx_uint_t) q->threshold);
    joined = t_uid_of(&out[0]);

    snprintf(what, sizeof(what), "%s (KMIP %d): joined from %d parts, the "
             "key's bytes, AES-128", name, (int) major, (int) q->threshold);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && joined
          && t_kept_material(joined, t_unhex(T_KEY))
          && t_kept_num(joined, "Cryptographic Algorithm")
             == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES
          && t_kept_num(joined, "Cryptographic Length") == 128, what);

    if (q->threshold > 1) {
        out = t_join(major, T_SK, pick, (ngx_uint_t) q->threshold - 1);
        snprintf(what, sizeof(what), "%s (KMIP %d): fewer parts than the "
                 "threshold: Cryptographic Failure", name, (int) major);
        CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
              what);
    }
}


static void
t_split_methods(void)
{
    ngx_uint_t     major;
    t_split_req_t  xor = { T_SPLIT, 3, 3, T_XOR, 0, -1 };
    t_split_req_t  gf8 = { T_SPLIT, 5, 3, T_GF8, 0, -1 };
    t_split_req_t  gf16 = { T_SK, 4, 2, T_GF16, 0, -1 };
    t_split_req_t  prime = { T_SPLIT, 3, 2, T_PRIME, 1, -1 };

    for (major = 1; major <= 2; major++) {
        t_split_round(major, &xor, "XOR 3 of 3");
        t_split_round(major, &gf8, "GF(2^8) 3 of 5");
        t_split_round(major, &gf16, "GF(2^16) 2 of 4");
        t_split_round(major, &prime, "prime field 2^130 - 5, 2 of 3");
    }
}


/* a key made and split at once; Get of a split; the ID Placeholder */

static void
t_split_new_key(void)
{
    ngx_str_t                  uids[T_MAX], *joined;
    ngx_uint_t                 n;
    t_request_t               *t;
    ngx_kmip_item_t           *p, *sk;
    ngx_kmip_response_item_t  *out;
    t_split_req_t              q = { T_SPLIT, 2, 2, T_XOR, 0, 256 };

    out = t_create_split(2, NULL, &q);
    n = t_split_uids(&out[0], uids);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && n == 2
          && t_kept_split(&uids[0], 2, 1, 2, T_XOR, 32)
          && t_kept_split(&uids[1], 2, 2, 2, T_XOR, 32)
          && t_kept_num(&uids[1], "Cryptographic Length") == 256,
          "Create Split Key of a new AES-256 key: two splits of 32 bytes");

    if (n != 2) {
        return;
    }

    out = t_join(2, T_SK, uids, 2);
    joined = t_uid_of(&out[0]);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && joined
          && ngx_kmip_store_memory_find(t_mem, joined)
          && ngx_kmip_store_memory_find(t_mem, joined)->material.len == 32,
          "joined: a key of 32 bytes");

    /* Get of a split: its fields, then its Key Block */

    out = t_one(2, 1, NGX_KMIP_OP_GET, &uids[1]);
    sk = t_find(&out[0], NGX_KMIP_TAG_SPLIT_KEY);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && sk
          && ngx_kmip_ttlv_find(sk, NGX_KMIP_TAG_KEY_PART_IDENTIFIER)
          && ngx_kmip_ttlv_find(sk, NGX_KMIP_TAG_KEY_PART_IDENTIFIER)->v.num
             == 2
          && ngx_kmip_ttlv_find(sk, NGX_KMIP_TAG_KEY_BLOCK),
          "Get of split 2: its Key Part Identifier and Key Block");

    /* the next item of the batch means the split of part 1 */

    t = t_request(2, 1);
    p = t_item(t, NGX_KMIP_OP_CREATE_SPLIT_KEY);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE, T_SPLIT);
    (void) t_value(p, NGX_KMIP_TAG_SPLIT_KEY_PARTS, NGX_KMIP_TYPE_INTEGER, 3);
    (void) t_value(p, NGX_KMIP_TAG_SPLIT_KEY_THRESHOLD, NGX_KMIP_TYPE_INTEGER,
                   2);
    (void) t_value(p, NGX_KMIP_TAG_SPLIT_KEY_METHOD,
                   NGX_KMIP_TYPE_ENUMERATION, T_GF8);
    t_create_payload(p, 2);
    p = t_item(t, NGX_KMIP_OP_GET_ATTRIBUTES);
    out = t_run(t);
    n = t_split_uids(&out[0], uids);
    CHECK(n == 3 && out[1].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_uid_of(&out[1])
          && t_uid_of(&out[1])->len == uids[0].len
          && memcmp(t_uid_of(&out[1])->data, uids[0].data, uids[0].len) == 0,
          "the ID Placeholder is the split of part 1");
}


/* the third write fails: the two splits written are destroyed */

static void
t_split_store_failure(void)
{
    ngx_uint_t                 i, before, after;
    ngx_kmip_object_t         *o;
    ngx_kmip_response_item_t  *out;
    t_split_req_t              q = { T_SPLIT, 3, 2, T_GF8, 0, 128 };

    before = 0;
    o = t_mem->objects.elts;

    for (i = 0; i < t_mem->objects.nelts; i++) {
        before += !o[i].destroyed;
    }

    t_mem->fail = NGX_KMIP_STORE_UNAVAILABLE;
    t_mem->spare = 2;
    t_mem->failures = 1;

    out = t_create_split(2, NULL, &q);

    t_mem->failures = 0;
    t_mem->spare = 0;

    after = 0;
    o = t_mem->objects.elts;

    for (i = 0; i < t_mem->objects.nelts; i++) {
        after += !o[i].destroyed;
    }

    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED
          && t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER) == NULL
          && after == before,
          "a split not stored: the failure, and no split left live");
}


static void
t_split_refusals(void)
{
    ngx_str_t                  *key, k, *locked, l, uids[T_MAX], two[2];
    ngx_uint_t                  n;
    ngx_kmip_response_item_t   *out;
    t_split_req_t               q = { T_SPLIT, 3, 2, T_GF8, 0, -1 };

    key = t_register_bytes(2, T_SK, NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES,
                           t_unhex(T_KEY), 0x0c, -1, 1);
    if (!t_got(key, "a key to split")) {
        return;
    }

    k = *key;

    q.threshold = 4;
    out = t_create_split(2, &k, &q);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a threshold above the parts: Invalid Field");

    q.threshold = 2;
    q.method = T_XOR;
    out = t_create_split(2, &k, &q);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "XOR with a threshold below the parts: Invalid Field");

    q.method = T_PRIME;
    out = t_create_split(2, &k, &q);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a prime field without its size: Invalid Field");

    q.method = T_GF8;
    q.parts = 33;
    out = t_create_split(2, &k, &q);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "33 parts: Invalid Field");

    q.parts = -1;
    out = t_create_split(2, &k, &q);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_MISSING_DATA,
          "no Split Key Parts: Missing Data");

    q.parts = 3;
    q.type = NGX_KMIP_OBJECT_TYPE_CERTIFICATE;
    out = t_create_split(2, &k, &q);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "an Object Type of Certificate: Invalid Field");

    q.type = T_SPLIT;
    out = t_create_split(1, &k, &q);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "1.4 Create Split Key");
    out = t_one(1, 1, NGX_KMIP_OP_CREATE_SPLIT_KEY, &k);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
          "Create Split Key does not exist in KMIP 1.1");

    /* a key that may not leave the server is not split */

    locked = t_uid_of(&t_create_plus(2, "Extractable",
                                     NGX_KMIP_TAG_EXTRACTABLE,
                                     NGX_KMIP_TYPE_BOOLEAN, 0)[0]);
    if (t_got(locked, "a key that is not Extractable")) {
        l = *locked;
        out = t_create_split(2, &l, &q);
        CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_NOT_EXTRACTABLE,
              "a key that is not Extractable: Not Extractable");
        out = t_create_split(1, &l, &q);
        CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_NOT_EXTRACTABLE,
              "the same in 1.4, which has the reason");
    }

    /* splits of splits, joins of what is not a split */

    out = t_create_split(2, &k, &q);
    n = t_split_uids(&out[0], uids);
    if (n != 3) {
        CHECK(0, "a split to refuse things with");
        return;
    }

    out = t_create_split(2, &uids[0], &q);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
          "a split of a split: Invalid Object Type");

    two[0] = uids[0];
    two[1] = k;
    out = t_join(2, T_SK, two, 2);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
          "a join of a key that is no split: Invalid Object Type");

    two[1] = uids[0];
    out = t_join(2, T_SK, two, 2);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
          "the same part twice: Cryptographic Failure");

    out = t_create_split(2, &k, &q);
    if (t_split_uids(&out[0], &uids[3]) == 3) {
        two[1] = uids[4];
        out = t_join(2, T_SK, two, 2);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
              && !t_kept_material(t_uid_of(&out[0]), t_unhex(T_KEY)),
              "parts of two splits of one key do not give it back");
    }

    out = t_join(2, NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY, uids, 2);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a join into a Private Key: Invalid Field");

    out = t_join(2, T_SD, uids, 2);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_kept_material(t_uid_of(&out[0]), t_unhex(T_KEY)),
          "a join into Secret Data: the key's bytes");
}


void
t_split_ops(void)
{
    t_split_methods();
    t_split_new_key();
    t_split_store_failure();
    t_split_refusals();
}
