
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * The multi-part forms of Sign, Signature Verify and Hash on the memory
 * store, on one connection's stream slots (ngx_kmip_op_parts.c): the
 * parts give what the whole gives in one part, the Correlation Value
 * names the operation, and every misuse ends it.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"
#include "ngx_kmip_op_crypto.h"


#define T_WHOLE  "a message that a client sends in three parts"


typedef struct {
    uint32_t                    operation;
    ngx_str_t                  *uid;        /* NULL: none (Hash) */
    ngx_str_t                  *cv;         /* NULL: the first part */
    const char                 *data;
    ngx_uint_t                  init;
    ngx_uint_t                  final;
    ngx_str_t                  *sig;        /* Signature Verify's final */
    ngx_uint_t                  streams;
} t_part_t;


static ngx_kmip_response_item_t *
t_part(ngx_uint_t major, t_part_t *pt)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *cp;

    t = t_request(major, major >= 2 ? 1 : 4);
    t->streams = pt->streams;
    p = t_item(t, pt->operation);

    if (pt->uid) {
        t_uid(p, pt->uid);
    }

    if (pt->cv == NULL) {
        cp = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                      NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);

        if (pt->operation != NGX_KMIP_OP_HASH) {
            ngx_kmip_ttlv_add_enum(t_alloc(), cp, NGX_KMIP_TAG_PADDING_METHOD,
                                   NGX_KMIP_PADDING_METHOD_PKCS1_V1_5);
        }

        ngx_kmip_ttlv_add_enum(t_alloc(), cp, NGX_KMIP_TAG_HASHING_ALGORITHM,
                               NGX_KMIP_HASHING_ALGORITHM_SHA_256);
    }

    if (pt->data) {
        ngx_kmip_ttlv_add_bytes(t_alloc(), p, NGX_KMIP_TAG_DATA,
                                (u_char *) pt->data, strlen(pt->data));
    }

    if (pt->cv) {
        ngx_kmip_ttlv_add_bytes(t_alloc(), p, NGX_KMIP_TAG_CORRELATION_VALUE,
                                pt->cv->data, pt->cv->len);
    }

    if (pt->sig) {
        ngx_kmip_ttlv_add_bytes(t_alloc(), p, NGX_KMIP_TAG_SIGNATURE_DATA,
                                pt->sig->data, pt->sig->len);
    }

    if (pt->init) {
        (void) t_value(p, NGX_KMIP_TAG_INIT_INDICATOR, NGX_KMIP_TYPE_BOOLEAN,
                       1);
    }

    if (pt->final) {
        (void) t_value(p, NGX_KMIP_TAG_FINAL_INDICATOR,
                       NGX_KMIP_TYPE_BOOLEAN, 1);
    }

    return t_run(t);
}


/* a copy of the answer's field, or empty */

static ngx_str_t
t_part_field(ngx_kmip_response_item_t *out, uint32_t tag)
{
    ngx_str_t         s = ngx_null_string;
    ngx_kmip_item_t  *it;

    it = t_find(out, tag);

    if (it && out->result_status == NGX_KMIP_STATUS_SUCCESS) {
        s.len = it->v.str.len;
        s.data = ngx_pnalloc(t_pool, s.len + 1);
        ngx_memcpy(s.data, it->v.str.data, s.len);
    }

    return s;
}


/*
 * The operation in three parts (T_WHOLE cut in three), with what the final
 * part needs: the final answer's field of the tag
 */

static ngx_str_t
t_in_parts(ngx_uint_t major, uint32_t operation, ngx_str_t *uid,
    ngx_str_t *sig, uint32_t tag, ngx_uint_t *opened)
{
    ngx_str_t                  cv, none = ngx_null_string;
    t_part_t                   pt;
    ngx_kmip_response_item_t  *out;

    ngx_memzero(&pt, sizeof(t_part_t));
    pt.operation = operation;
    pt.uid = uid;
    pt.data = "a message that ";
    pt.init = 1;
    pt.streams = 1;

    out = t_part(major, &pt);
    cv = t_part_field(&out[0], NGX_KMIP_TAG_CORRELATION_VALUE);
    *opened = cv.len == NGX_KMIP_CIPHER_STREAM_ID_LEN
              && t_find(&out[0], tag) == NULL;

    if (cv.len == 0) {
        return none;
    }

    pt.uid = NULL;
    pt.cv = &cv;
    pt.init = 0;
    pt.data = "a client sends ";
    out = t_part(major, &pt);
    *opened &= out[0].result_status == NGX_KMIP_STATUS_SUCCESS;

    pt.data = "in three parts";
    pt.final = 1;
    pt.sig = sig;
    out = t_part(major, &pt);

    return t_part_field(&out[0], tag);
}


static ngx_str_t
t_whole(ngx_uint_t major, uint32_t operation, ngx_str_t *uid, ngx_str_t *sig,
    uint32_t tag)
{
    t_part_t  pt;

    ngx_memzero(&pt, sizeof(t_part_t));
    pt.operation = operation;
    pt.uid = uid;
    pt.data = T_WHOLE;
    pt.sig = sig;

    return t_part_field(&t_part(major, &pt)[0], tag);
}


static void
t_parts_sign(ngx_uint_t major)
{
    ngx_str_t                  priv, pub, sig1, sig2;
    ngx_uint_t                 opened;
    ngx_kmip_item_t           *vi;
    t_part_t                   pt;
    ngx_kmip_response_item_t  *out;

    if (!t_key_pair(major, 0, &priv, &pub)) {
        CHECK(0, "an RSA key pair to sign in parts");
        return;
    }

    (void) t_one(major, major >= 2 ? 1 : 4, NGX_KMIP_OP_ACTIVATE, &priv);
    (void) t_one(major, major >= 2 ? 1 : 4, NGX_KMIP_OP_ACTIVATE, &pub);

    sig1 = t_whole(major, NGX_KMIP_OP_SIGN, &priv, NULL,
                   NGX_KMIP_TAG_SIGNATURE_DATA);
    sig2 = t_in_parts(major, NGX_KMIP_OP_SIGN, &priv, NULL,
                      NGX_KMIP_TAG_SIGNATURE_DATA, &opened);

    CHECK(opened && sig1.len == 256 && sig2.len == sig1.len
          && ngx_memcmp(sig1.data, sig2.data, sig1.len) == 0,
          "Sign in three parts: the signature of the whole (RSA PKCS#1 "
          "v1.5 is deterministic)");

    /* both indicators in one request */

    ngx_memzero(&pt, sizeof(t_part_t));
    pt.operation = NGX_KMIP_OP_SIGNATURE_VERIFY;
    pt.uid = &pub;
    pt.data = T_WHOLE;
    pt.init = 1;
    pt.final = 1;
    pt.sig = &sig1;
    pt.streams = 1;
    out = t_part(major, &pt);
    vi = t_find(&out[0], NGX_KMIP_TAG_VALIDITY_INDICATOR);

    CHECK(vi && vi->v.num == NGX_KMIP_VALIDITY_INDICATOR_VALID,
          "both indicators in one request: one part");
}


/* Signature Verify in parts, its Validity Indicator */

static void
t_parts_verify(ngx_uint_t major)
{
    ngx_str_t                  priv, pub, sig, cv;
    t_part_t                   pt;
    ngx_kmip_item_t           *vi;
    ngx_kmip_response_item_t  *out;

    if (!t_key_pair(major, 0, &priv, &pub)) {
        return;
    }

    (void) t_one(major, major >= 2 ? 1 : 4, NGX_KMIP_OP_ACTIVATE, &priv);
    (void) t_one(major, major >= 2 ? 1 : 4, NGX_KMIP_OP_ACTIVATE, &pub);

    sig = t_whole(major, NGX_KMIP_OP_SIGN, &priv, NULL,
                  NGX_KMIP_TAG_SIGNATURE_DATA);

    ngx_memzero(&pt, sizeof(t_part_t));
    pt.operation = NGX_KMIP_OP_SIGNATURE_VERIFY;
    pt.uid = &pub;
    pt.data = "a message that a client ";
    pt.init = 1;
    pt.streams = 1;
    out = t_part(major, &pt);
    cv = t_part_field(&out[0], NGX_KMIP_TAG_CORRELATION_VALUE);

    pt.uid = NULL;
    pt.cv = &cv;
    pt.init = 0;
    pt.final = 1;
    pt.data = "sends in three parts";
    pt.sig = &sig;
    out = t_part(major, &pt);
    vi = t_find(&out[0], NGX_KMIP_TAG_VALIDITY_INDICATOR);

    CHECK(cv.len && vi && vi->v.num == NGX_KMIP_VALIDITY_INDICATOR_VALID,
          "Signature Verify in parts, the signature with the final part: "
          "Valid");

    /* the final part ended the stream */

    out = t_part(major, &pt);
    CHECK(t_reason(&out[0]) == (major >= 2
                                ? NGX_KMIP_REASON_INVALID_CORRELATION_VALUE
                                : NGX_KMIP_REASON_INVALID_FIELD),
          "the final part ends the stream: its Correlation Value is gone");
}


static void
t_parts_hash(void)
{
    u_char      md[32];
    ngx_str_t   h1, h2;
    ngx_uint_t  opened;

    h1 = t_whole(2, NGX_KMIP_OP_HASH, NULL, NULL, NGX_KMIP_TAG_DATA);
    h2 = t_in_parts(2, NGX_KMIP_OP_HASH, NULL, NULL, NGX_KMIP_TAG_DATA,
                    &opened);

    (void) EVP_Digest(T_WHOLE, strlen(T_WHOLE), md, NULL, EVP_sha256(),
                      NULL);

    CHECK(opened && h1.len == 32 && h2.len == 32
          && ngx_memcmp(h1.data, md, 32) == 0
          && ngx_memcmp(h2.data, md, 32) == 0,
          "Hash in three parts: SHA-256 of the whole");
}


/* what ends a stream or is refused */

static void
t_parts_misuse(void)
{
    ngx_str_t                  cv, bogus;
    ngx_uint_t                 i;
    t_part_t                   pt;
    ngx_kmip_response_item_t  *out;
    u_char                     big[4096];

    ngx_memzero(&pt, sizeof(t_part_t));
    pt.operation = NGX_KMIP_OP_HASH;
    pt.data = "x";
    pt.init = 1;

    out = t_part(2, &pt);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
          "a multi-part Hash where streams are not kept: Feature Not "
          "Supported");

    pt.streams = 1;
    out = t_part(2, &pt);
    cv = t_part_field(&out[0], NGX_KMIP_TAG_CORRELATION_VALUE);

    /* its Correlation Value names a Hash, not a MAC */

    pt.operation = NGX_KMIP_OP_MAC;
    pt.init = 0;
    pt.cv = &cv;
    out = t_part(2, &pt);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_CORRELATION_VALUE,
          "a Hash's Correlation Value in a MAC: refused");

    pt.operation = NGX_KMIP_OP_HASH;
    out = t_part(2, &pt);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_CORRELATION_VALUE,
          "and the Hash is ended");

    bogus.data = big;
    bogus.len = NGX_KMIP_CIPHER_STREAM_ID_LEN;
    ngx_memset(big, 0x5a, sizeof(big));
    pt.cv = &bogus;
    out = t_part(1, &pt);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "an unknown Correlation Value in 1.x: Invalid Field");

    pt.cv = NULL;
    pt.final = 1;
    out = t_part(2, &pt);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_CORRELATION_VALUE,
          "a Final Indicator without a Correlation Value: refused");

    /* the connection's slots */

    pt.final = 0;
    pt.init = 1;

    for (i = 0; i <= NGX_KMIP_CRYPTO_STREAMS_MAX; i++) {
        out = t_part(2, &pt);
    }

    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_SERVER_LIMIT_EXCEEDED,
          "one stream more than a connection holds: Server Limit "
          "Exceeded");

    for (i = 0; i < NGX_KMIP_CRYPTO_STREAMS_MAX; i++) {
        ngx_kmip_op_stream_drop(&t_streams.stream[i]);
    }

    /* the bound on the Data in all: 1 MiB */

    out = t_part(2, &pt);
    cv = t_part_field(&out[0], NGX_KMIP_TAG_CORRELATION_VALUE);
    big[sizeof(big) - 1] = '\0';
    pt.data = (char *) big;
    pt.init = 0;
    pt.cv = &cv;

    for (i = 0; i < 1024 * 1024 / (sizeof(big) - 1) + 1; i++) {
        out = t_part(2, &pt);

        if (out[0].result_status != NGX_KMIP_STATUS_SUCCESS) {
            break;
        }
    }

    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD
          && i == 1024 * 1024 / (sizeof(big) - 1),
          "the parts' Data past 1 MiB: Invalid Field");

    for (i = 0; i < NGX_KMIP_CRYPTO_STREAMS_MAX; i++) {
        CHECK(t_streams.stream[i] == NULL,
              "every stream ended, its slot free");
    }
}


void
t_parts(void)
{
    ngx_uint_t  major;

    for (major = 1; major <= 2; major++) {
        t_parts_sign(major);
        t_parts_verify(major);
    }

    t_parts_hash();
    t_parts_misuse();
}
