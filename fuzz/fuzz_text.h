
/*
 * What the libFuzzer targets of the JSON and XML encodings share
 * (fuzz_json.c, fuzz_xml.c): decode the input with one encoding; what it
 * accepts must encode, in both encodings and in TTLV, to documents that
 * decode back to the same tree, and its encoding must be canonical
 * (encoding the tree decoded from it gives it again, byte for byte).
 * Whatever is rejected must say where and why.
 */


#ifndef _FUZZ_TEXT_H_INCLUDED_
#define _FUZZ_TEXT_H_INCLUDED_


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_kmip_text.h"

#include "ngx_kmip_test.h"


#define FUZZ_ARENA_SIZE  (64 * 1024 * 1024)


typedef struct {
    int       (*decode)(const uint8_t *buf, size_t len,
                        const ngx_kmip_limits_t *limits,
                        ngx_kmip_allocator_t *a, ngx_kmip_item_t **root,
                        ngx_kmip_error_t *err);
    size_t    (*size)(const ngx_kmip_item_t *item);
    uint8_t  *(*encode)(const ngx_kmip_item_t *item, uint8_t *out);
} fuzz_codec_t;


static const fuzz_codec_t  fuzz_json = {
    ngx_kmip_json_decode, ngx_kmip_json_size, ngx_kmip_json_encode
};

static const fuzz_codec_t  fuzz_xml = {
    ngx_kmip_xml_decode, ngx_kmip_xml_size, ngx_kmip_xml_encode
};

static const fuzz_codec_t  fuzz_ttlv = {
    ngx_kmip_ttlv_decode, ngx_kmip_ttlv_size, ngx_kmip_ttlv_encode
};


static ngx_kmip_test_arena_t  fuzz_arena;
static ngx_kmip_allocator_t   fuzz_a = { ngx_kmip_test_alloc, &fuzz_arena };


/* the encoding in an exact-size heap block (ASan sees any over-read);
   NULL only when out of memory */

static uint8_t *
fuzz_text_encode(const fuzz_codec_t *c, const ngx_kmip_item_t *item,
    size_t *n)
{
    uint8_t  *out;

    *n = c->size(item);

    out = malloc(*n ? *n : 1);
    if (out == NULL) {
        abort();
    }

    if ((size_t) (c->encode(item, out) - out) != *n) {
        abort();
    }

    return out;
}


/* the tree encoded by c and decoded again; aborts unless equal */

static ngx_kmip_item_t *
fuzz_text_back(const fuzz_codec_t *c, const ngx_kmip_item_t *item,
    const uint8_t *ttlv, size_t ttlv_len)
{
    int                rc;
    size_t             n, m;
    uint8_t           *enc, *t;
    ngx_kmip_item_t   *back;
    ngx_kmip_error_t   err;

    enc = fuzz_text_encode(c, item, &n);
    rc = c->decode(enc, n, NULL, &fuzz_a, &back, &err);

    if (rc == NGX_KMIP_ERR_NOMEM) {
        free(enc);
        return NULL;
    }

    if (rc != NGX_KMIP_OK) {
        abort();
    }

    t = fuzz_text_encode(&fuzz_ttlv, back, &m);

    if (m != ttlv_len || memcmp(t, ttlv, m) != 0) {
        abort();
    }

    free(t);
    free(enc);

    return back;
}


static int
fuzz_text_one(const fuzz_codec_t *c, const uint8_t *data, size_t size)
{
    int                rc;
    size_t             n, n2, tn;
    uint8_t           *buf, *enc, *enc2, *ttlv;
    ngx_kmip_item_t   *root, *back;
    ngx_kmip_error_t   err;

    ngx_kmip_test_arena_reset(&fuzz_arena, FUZZ_ARENA_SIZE);

    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return 0;
    }

    if (size) {
        memcpy(buf, data, size);
    }

    root = (ngx_kmip_item_t *) 1;
    rc = c->decode(buf, size, NULL, &fuzz_a, &root, &err);

    if (rc != NGX_KMIP_OK) {
        if (root != NULL || err.rc != rc || err.offset > size
            || ngx_kmip_text_strerror(rc) == NULL
            || (rc != NGX_KMIP_ERR_NOMEM && err.what == NULL))
        {
            abort();
        }

        free(buf);
        return 0;
    }

    /* the tree is one TTLV decodes: its TTLV encoding decodes back */

    ttlv = fuzz_text_encode(&fuzz_ttlv, root, &tn);

    back = NULL;
    rc = ngx_kmip_ttlv_decode(ttlv, tn, NULL, &fuzz_a, &back, &err);

    if (rc != NGX_KMIP_OK && rc != NGX_KMIP_ERR_NOMEM) {
        abort();
    }

    /* through each encoding and back: the same tree */

    back = fuzz_text_back(c, root, ttlv, tn);
    (void) fuzz_text_back(c == &fuzz_json ? &fuzz_xml : &fuzz_json, root,
                          ttlv, tn);

    /* canonical: the decoded encoding encodes to the same bytes */

    if (back != NULL) {
        enc = fuzz_text_encode(c, root, &n);
        enc2 = fuzz_text_encode(c, back, &n2);

        if (n != n2 || memcmp(enc, enc2, n) != 0) {
            abort();
        }

        free(enc);
        free(enc2);
    }

    free(ttlv);
    free(buf);

    return 0;
}


#endif /* _FUZZ_TEXT_H_INCLUDED_ */
