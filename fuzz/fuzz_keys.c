
/*
 * libFuzzer target: the key material layer (ngx_kmip_module/keys) on what
 * a client registers. The first byte picks what the rest is: DER of a Key
 * Format Type for a private or a public key, a Transparent key as TTLV, a
 * Raw key, or a certificate. A key the layer accepts must convert to every
 * format defined for it, and each conversion must read back as the same
 * key (algorithm, length, curve).
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_kmip_keys.h"
#include "ngx_kmip_cert.h"

#include "ngx_kmip_test.h"


#define FUZZ_ARENA_SIZE  (16 * 1024 * 1024)


static ngx_kmip_test_arena_t  arena;
static ngx_kmip_allocator_t   fuzz_a = { ngx_kmip_test_alloc, &arena };


static const struct {
    uint32_t  object_type;
    uint32_t  format;
} fuzz_der[] = {
    { NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY, NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1 },
    { NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY, NGX_KMIP_KEY_FORMAT_TYPE_PKCS_1 },
    { NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY, NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8 },
    { NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY, NGX_KMIP_KEY_FORMAT_TYPE_X_509 },
    { NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY,
      NGX_KMIP_KEY_FORMAT_TYPE_ECPRIVATEKEY }
};

static const struct {
    uint32_t  object_type;
    uint32_t  format;
} fuzz_transparent[] = {
    { NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY,
      NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_RSA_PRIVATE_KEY },
    { NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY,
      NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_RSA_PUBLIC_KEY },
    { NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY,
      NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_EC_PRIVATE_KEY },
    { NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY,
      NGX_KMIP_KEY_FORMAT_TYPE_TRANSPARENT_EC_PUBLIC_KEY }
};


static void
fuzz_key(const ngx_kmip_key_t *key)
{
    uint32_t               f;
    ngx_kmip_key_t         k2;
    ngx_kmip_item_t       *out;
    ngx_kmip_key_info_t    info, info2;
    ngx_kmip_keys_error_t  err;

    if (ngx_kmip_keys_inspect(key, &info, &err) != NGX_KMIP_KEYS_OK) {
        if (err.rc == NGX_KMIP_KEYS_OK || err.what == NULL) {
            abort();
        }

        return;
    }

    for (f = 1; f <= 0x17; f++) {
        out = NULL;

        if (ngx_kmip_keys_convert(&fuzz_a, key, f, &out, &err)
            != NGX_KMIP_KEYS_OK)
        {
            /* a key it took converts to every format it has */
            if (ngx_kmip_keys_format_defined(info.type, key->object_type, f)
                && err.rc != NGX_KMIP_KEYS_ERR_NOMEM)
            {
                abort();
            }

            continue;
        }

        k2.object_type = key->object_type;
        k2.format = f;
        k2.algorithm = info.algorithm;     /* what Raw needs to be read */
        k2.material = out;

        if (ngx_kmip_keys_inspect(&k2, &info2, &err) != NGX_KMIP_KEYS_OK
            || info2.type != info.type || info2.length != info.length
            || info2.curve != info.curve)
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t          tag;
    uint8_t           sel, *buf;
    size_t            n;
    ngx_kmip_key_t    key;
    ngx_kmip_item_t   item, *root;
    ngx_kmip_cert_t   cert;

    ngx_kmip_test_arena_reset(&arena, FUZZ_ARENA_SIZE);

    if (size == 0) {
        return 0;
    }

    sel = data[0];
    n = size - 1;

    /* an exact-size heap copy: ASan sees a read past the end */
    buf = malloc(n ? n : 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data + 1, n);

    memset(&item, 0, sizeof(item));
    item.tag = NGX_KMIP_TAG_KEY_MATERIAL;
    item.type = NGX_KMIP_TYPE_BYTE_STRING;
    item.v.str.data = buf;
    item.v.str.len = n;

    key.algorithm = 0;
    key.material = &item;

    switch (sel % 8) {

    case 5:
        /* a Transparent key: the rest is its TTLV Key Material */
        if (ngx_kmip_ttlv_decode(buf, n, NULL, &fuzz_a, &root, NULL)
            != NGX_KMIP_OK)
        {
            break;
        }

        key.object_type = fuzz_transparent[(sel >> 3) % 4].object_type;
        key.format = fuzz_transparent[(sel >> 3) % 4].format;
        key.material = root;
        fuzz_key(&key);
        break;

    case 6:
        key.object_type = (sel & 0x08) ? NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY
                                       : NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY;
        key.format = NGX_KMIP_KEY_FORMAT_TYPE_RAW;
        key.algorithm = (sel & 0x10) ? NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ED25519
                                     : NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_ECDH;
        fuzz_key(&key);
        break;

    case 7:
        if (ngx_kmip_cert_parse(&fuzz_a, buf, n, &cert, NULL)
            != NGX_KMIP_KEYS_OK)
        {
            break;
        }

        if (cert.length != (int32_t) n) {
            abort();
        }

        for (tag = NGX_KMIP_TAG_CERTIFICATE_SUBJECT_CN;
             tag <= NGX_KMIP_TAG_CERTIFICATE_ISSUER_DN_QUALIFIER;
             tag++)
        {
            ngx_kmip_cert_attribute(&fuzz_a, &cert, tag, &root, NULL);
        }

        ngx_kmip_cert_attribute(&fuzz_a, &cert,
                                NGX_KMIP_TAG_X_509_CERTIFICATE_SUBJECT, &root,
                                NULL);
        ngx_kmip_cert_attribute(&fuzz_a, &cert,
                                NGX_KMIP_TAG_CERTIFICATE_ISSUER, &root, NULL);
        break;

    default:
        key.object_type = fuzz_der[sel % 8].object_type;
        key.format = fuzz_der[sel % 8].format;
        fuzz_key(&key);
    }

    free(buf);

    return 0;
}
