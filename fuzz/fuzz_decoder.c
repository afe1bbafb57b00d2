
/*
 * libFuzzer target: TTLV decode, Request Message parse, response build and
 * decode -> encode -> decode round trip (must be byte identical).
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_message.h"

#include "ngx_kmip_test.h"


#define FUZZ_ARENA_SIZE  (64 * 1024 * 1024)


static ngx_kmip_test_arena_t  arena;
static ngx_kmip_allocator_t   fuzz_a = { ngx_kmip_test_alloc, &arena };


static uint8_t *
fuzz_encode(const ngx_kmip_item_t *item, size_t *n)
{
    uint8_t  *out, *end;

    *n = ngx_kmip_ttlv_size(item);

    out = ngx_kmip_test_alloc(&arena, *n);
    if (out == NULL) {
        return NULL;
    }

    end = ngx_kmip_ttlv_encode(item, out);
    if ((size_t) (end - out) != *n) {
        abort();
    }

    return out;
}


static void
fuzz_walk(const ngx_kmip_item_t *item, size_t depth)
{
    const ngx_kmip_item_t  *kid;
    size_t                  count;

    if (depth > NGX_KMIP_DEFAULT_MAX_DEPTH) {
        abort();
    }

    (void) ngx_kmip_tag_name(item->tag);

    if (item->type != NGX_KMIP_TYPE_STRUCTURE) {
        return;
    }

    count = 0;

    for (kid = item->v.kids.first; kid; kid = kid->next) {
        count++;

        if (kid->next == NULL && kid != item->v.kids.last) {
            abort();
        }

        fuzz_walk(kid, depth + 1);
    }

    if (count != item->v.kids.count) {
        abort();
    }
}


static void
fuzz_response(const ngx_kmip_request_t *req)
{
    size_t                     i, n;
    uint8_t                   *out;
    ngx_kmip_item_t           *msg, *root;
    ngx_kmip_error_t           err;
    ngx_kmip_response_item_t  *ri;

    ri = ngx_kmip_test_alloc(&arena, (req->nitems + 1) * sizeof(*ri));
    if (ri == NULL) {
        return;
    }

    for (i = 0; i < req->nitems; i++) {
        memset(&ri[i], 0, sizeof(*ri));
        ri[i].operation = req->items[i].operation;
        ri[i].unique_batch_item_id = req->items[i].unique_batch_item_id;

        if (req->items[i].item_error) {
            ri[i].result_status = NGX_KMIP_RESULT_STATUS_OPERATION_FAILED;
            ri[i].result_reason = req->items[i].item_error_reason;
            ri[i].result_message = (const uint8_t *) req->items[i].item_error;
            ri[i].result_message_len = strlen(req->items[i].item_error);

        } else if (req->items[i].payload) {
            /* echo a copy of the request payload as the response payload */
            ri[i].payload = ngx_kmip_ttlv_item_copy(&fuzz_a,
                                                    req->items[i].payload);
            if (ri[i].payload == NULL) {
                return;
            }

            ri[i].payload->tag = NGX_KMIP_TAG_RESPONSE_PAYLOAD;
        }
    }

    msg = ngx_kmip_response_build(&fuzz_a, req->major, req->minor, 0, ri,
                                  req->nitems);
    if (msg == NULL) {
        return;
    }

    out = fuzz_encode(msg, &n);
    if (out == NULL) {
        return;
    }

    if (ngx_kmip_ttlv_decode(out, n, NULL, &fuzz_a, &root, &err)
        != NGX_KMIP_OK)
    {
        /* only the depth/item limits may reject what we built */
        if (err.rc != NGX_KMIP_ERR_DEPTH && err.rc != NGX_KMIP_ERR_ITEMS
            && err.rc != NGX_KMIP_ERR_NOMEM)
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 rc, vk;
    size_t              n, n2;
    uint8_t            *buf, *out, *out2, type;
    uint32_t            tag, len;
    ngx_kmip_item_t    *root, *root2, *copy;
    ngx_kmip_error_t    err;
    ngx_kmip_limits_t   small;
    ngx_kmip_request_t  req;

    ngx_kmip_test_arena_reset(&arena, FUZZ_ARENA_SIZE);

    if (size >= NGX_KMIP_TTLV_HEADER_LEN) {
        (void) ngx_kmip_ttlv_peek_header(data, &tag, &type, &len);
    }

    /* an exact-size heap copy, so ASan sees any over-read */
    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return 0;
    }

    if (size) {
        memcpy(buf, data, size);
    }

    rc = ngx_kmip_ttlv_decode(buf, size, NULL, &fuzz_a, &root, &err);

    if (rc != NGX_KMIP_OK) {
        if (root != NULL || err.rc != rc || err.what == NULL
            || err.offset > size)
        {
            abort();
        }

        goto done;
    }

    fuzz_walk(root, 1);

    /* decode -> encode must give the input back */

    out = fuzz_encode(root, &n);
    if (out == NULL) {
        goto done;
    }

    if (n != size || memcmp(out, buf, size) != 0) {
        abort();
    }

    rc = ngx_kmip_ttlv_decode(out, n, NULL, &fuzz_a, &root2, &err);
    if (rc != NGX_KMIP_OK && rc != NGX_KMIP_ERR_NOMEM) {
        abort();
    }

    if (rc == NGX_KMIP_OK) {
        out2 = fuzz_encode(root2, &n2);
        if (out2 && (n2 != n || memcmp(out2, out, n) != 0)) {
            abort();
        }
    }

    /* deep copy encodes the same */

    copy = ngx_kmip_ttlv_item_copy(&fuzz_a, root);
    if (copy) {
        out2 = fuzz_encode(copy, &n2);
        if (out2 && (n2 != n || memcmp(out2, out, n) != 0)) {
            abort();
        }
    }

    /* tighter limits may only reject */

    small.max_depth = 4;
    small.max_items = 64;
    rc = ngx_kmip_ttlv_decode(buf, size, &small, &fuzz_a, &root2, &err);
    if (rc != NGX_KMIP_OK && rc != NGX_KMIP_ERR_DEPTH
        && rc != NGX_KMIP_ERR_ITEMS && rc != NGX_KMIP_ERR_NOMEM)
    {
        abort();
    }

    /* message layer */

    rc = ngx_kmip_request_parse(root, &fuzz_a, &req, &vk, &err);

    if (rc == NGX_KMIP_OK) {
        if (vk != 1 || req.nitems != req.batch_count || req.nitems == 0) {
            abort();
        }

        if (req.username && req.credential_type != 1) {
            abort();
        }

        fuzz_response(&req);

    } else if (rc == NGX_KMIP_ERR_MESSAGE) {
        if (err.what == NULL) {
            abort();
        }

        if (vk) {
            ngx_kmip_response_item_t  ri;

            memset(&ri, 0, sizeof(ri));
            ri.result_status = NGX_KMIP_RESULT_STATUS_OPERATION_FAILED;
            ri.result_reason = NGX_KMIP_RESULT_REASON_INVALID_MESSAGE;
            ri.result_message = (const uint8_t *) err.what;
            ri.result_message_len = strlen(err.what);

            root2 = ngx_kmip_response_build(&fuzz_a, req.major, req.minor,
                                            0, &ri, 1);
            if (root2) {
                (void) fuzz_encode(root2, &n2);
            }
        }

    } else if (rc != NGX_KMIP_ERR_NOMEM) {
        abort();
    }

done:

    free(buf);

    return 0;
}
