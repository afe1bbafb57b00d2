
/*
 * What the codec's unit tests and fuzz harnesses share: a bump allocator
 * over an arena, and the start of a Request Message. Plain C99, no nginx;
 * everything is static inline, so a file takes only what it uses.
 */


#ifndef _NGX_KMIP_TEST_H_INCLUDED_
#define _NGX_KMIP_TEST_H_INCLUDED_


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_tags.h"


typedef struct {
    uint8_t  *data;
    size_t    cap;          /* what may be used: less makes allocations fail */
    size_t    used;
} ngx_kmip_test_arena_t;


/*
 * The allocator, data being the arena: 16-byte aligned, NULL when the
 * arena is full. The memory is poisoned, as the code under test must not
 * rely on it being zeroed.
 */

static inline void *
ngx_kmip_test_alloc(void *data, size_t size)
{
    ngx_kmip_test_arena_t *arena = data;

    void  *p;

    size = (size + 15) & ~(size_t) 15;

    if (arena->cap - arena->used < size) {
        return NULL;
    }

    p = arena->data + arena->used;
    arena->used += size;

    memset(p, 0xA5, size);

    return p;
}


/* a fuzz harness's arena: allocated for the first input, emptied for each */

static inline void
ngx_kmip_test_arena_reset(ngx_kmip_test_arena_t *arena, size_t size)
{
    if (arena->data == NULL) {
        arena->data = malloc(size);
        if (arena->data == NULL) {
            abort();
        }

        arena->cap = size;
    }

    arena->used = 0;
}


/* Request Message + Request Header with Protocol Version major.minor */

static inline ngx_kmip_item_t *
ngx_kmip_test_request(ngx_kmip_allocator_t *a, int32_t major, int32_t minor,
    ngx_kmip_item_t **hdr)
{
    ngx_kmip_item_t  *msg, *pv;

    msg = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_REQUEST_MESSAGE,
                                 NGX_KMIP_TYPE_STRUCTURE);
    *hdr = ngx_kmip_ttlv_add_struct(a, msg, NGX_KMIP_TAG_REQUEST_HEADER);
    pv = ngx_kmip_ttlv_add_struct(a, *hdr, NGX_KMIP_TAG_PROTOCOL_VERSION);
    ngx_kmip_ttlv_add_integer(a, pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR,
                              major);
    ngx_kmip_ttlv_add_integer(a, pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR,
                              minor);

    return msg;
}


#endif /* _NGX_KMIP_TEST_H_INCLUDED_ */
