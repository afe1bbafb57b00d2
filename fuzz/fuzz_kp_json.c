
/*
 * libFuzzer target: the Key Protect JSON response parser
 * (ngx_kmip_kp_json.c). The first byte picks the kind of answer expected
 * (key list, get, create, delete, wrap, unwrap, error envelope); the rest
 * is the body. Every string handed back must lie in the arena and be
 * NUL-terminated at its length.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_kmip_kp_json.h"

#include "ngx_kmip_test.h"


#define FUZZ_ARENA_SIZE  (64 * 1024 * 1024)


static ngx_kmip_test_arena_t  arena;
static ngx_kmip_allocator_t   fuzz_a = { ngx_kmip_test_alloc, &arena };
static volatile unsigned      fuzz_sink;


static void
fuzz_check_str(const ngx_kmip_kp_json_str_t *s, int terminated)
{
    size_t  i;

    if (s->data == NULL) {
        if (s->len) {
            abort();
        }

        return;
    }

    if (s->data < arena.data
        || s->data + s->len >= arena.data + arena.used + 1)
    {
        abort();
    }

    if (terminated && s->data[s->len] != '\0') {
        abort();
    }

    /* read every byte: ASan reports a length past the allocation */
    for (i = 0; i < s->len; i++) {
        fuzz_sink += s->data[i];
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                         rc;
    size_t                      i, j, n;
    uint8_t                    *buf;
    ngx_kmip_kp_json_key_t     *k;
    ngx_kmip_kp_json_str_t      reason;
    ngx_kmip_kp_json_result_t   res;

    ngx_kmip_test_arena_reset(&arena, FUZZ_ARENA_SIZE);

    if (size == 0) {
        return 0;
    }

    /* an exact-size heap copy plus the NUL the parser requires */
    n = size - 1;

    buf = malloc(n + 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data + 1, n);
    buf[n] = '\0';

    if (data[0] % 6 == 5) {
        rc = ngx_kmip_kp_json_error(buf, n, &fuzz_a, &reason);
        if (rc == 0) {
            fuzz_check_str(&reason, 1);
        }

        free(buf);
        return 0;
    }

    rc = ngx_kmip_kp_json_parse((ngx_kmip_kp_json_kind_e) (data[0] % 5),
                                buf, n, &fuzz_a, &fuzz_a, &res);

    if (rc == 0) {
        if (!res.has_keys && (res.nkeys || res.keys)) {
            abort();
        }

        if (data[0] % 5 == NGX_KMIP_KP_JSON_CREATED && res.nkeys != 1) {
            abort();
        }

        for (i = 0; i < res.nkeys; i++) {
            k = &res.keys[i];

            if (k->id.len == 0) {
                abort();
            }

            fuzz_check_str(&k->id, 1);
            fuzz_check_str(&k->name, 1);
            fuzz_check_str(&k->description, 1);
            fuzz_check_str(&k->payload, 0);

            for (j = 0; j < k->naliases; j++) {
                fuzz_check_str(&k->aliases[j], 1);
            }
        }

        fuzz_check_str(&res.plaintext, 0);
        fuzz_check_str(&res.ciphertext, 1);
        fuzz_check_str(&res.key_version, 1);

        if (data[0] % 5 == NGX_KMIP_KP_JSON_WRAP && res.ciphertext.len == 0) {
            abort();
        }

        if (data[0] % 5 == NGX_KMIP_KP_JSON_UNWRAP
            && res.plaintext.data == NULL)
        {
            abort();
        }
    }

    /* a date at every offset of the body */
    for (i = 0; i + 20 <= n && i < 64; i++) {
        (void) ngx_kmip_kp_json_date(buf + i, n - i);
    }

    free(buf);

    return 0;
}
