
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Encrypt and Decrypt (KMIP 1.4 4.29, 4.30; 2.1 6.1.18, 6.1.13) with a
 * managed AES key: the result checked against OpenSSL with the key the
 * store keeps, the parameters of the request over the key's, and the
 * refusals of a key that may not be used: not Active, past its Protect
 * Stop Date, without the usage in its mask, not a key; each version's
 * reasons.
 */


#include <stdio.h>
#include <openssl/evp.h>

#include "ngx_kmip_test_ops.h"


static u_char  t_plain[32] = "attack at dawn, attack at dusk!";
static u_char  t_iv[16] = "0123456789abcdef";


ngx_kmip_response_item_t *
t_cipher(ngx_uint_t major, uint32_t operation, ngx_str_t *uid,
    const u_char *data, size_t n)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *cp;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, operation);
    t_uid(p, uid);

    cp = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                  NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);
    (void) t_value(cp, NGX_KMIP_TAG_BLOCK_CIPHER_MODE,
                   NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_BLOCK_CIPHER_MODE_CBC);
    (void) t_value(cp, NGX_KMIP_TAG_PADDING_METHOD, NGX_KMIP_TYPE_ENUMERATION,
                   NGX_KMIP_PADDING_METHOD_NONE);

    ngx_kmip_ttlv_add_bytes(t_alloc(), p, NGX_KMIP_TAG_DATA, data, n);
    ngx_kmip_ttlv_add_bytes(t_alloc(), p, NGX_KMIP_TAG_IV_COUNTER_NONCE,
                            t_iv, sizeof(t_iv));

    return t_run(t);
}


/* the answer's Data is AES-256-CBC of t_plain under the stored key */

static ngx_uint_t
t_ciphertext_right(ngx_kmip_response_item_t *out, ngx_str_t *uid)
{
    int                 n, m;
    u_char              buf[64];
    EVP_CIPHER_CTX     *c;
    ngx_kmip_item_t    *d;
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(t_mem, uid);
    d = t_find(out, NGX_KMIP_TAG_DATA);

    if (kept == NULL || kept->material.len != 32 || d == NULL
        || d->v.str.len != sizeof(t_plain))
    {
        return 0;
    }

    c = EVP_CIPHER_CTX_new();
    n = m = 0;

    if (EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, kept->material.data,
                           t_iv) != 1
        || EVP_CIPHER_CTX_set_padding(c, 0) != 1
        || EVP_EncryptUpdate(c, buf, &n, t_plain, sizeof(t_plain)) != 1
        || EVP_EncryptFinal_ex(c, buf + n, &m) != 1)
    {
        n = m = 0;
    }

    EVP_CIPHER_CTX_free(c);

    return n + m == sizeof(t_plain)
           && memcmp(buf, d->v.str.data, sizeof(t_plain)) == 0;
}


static void
t_round_trip(ngx_uint_t major)
{
    ngx_str_t                 *uid, u;
    ngx_kmip_item_t           *d;
    ngx_kmip_response_item_t  *out;

    uid = t_create_aes(major, major >= 2 ? 1 : 4);
    if (!t_got(uid, "Create for Encrypt")) {
        return;
    }

    u = *uid;

    out = t_cipher(major, NGX_KMIP_OP_ENCRYPT, &u, t_plain, sizeof(t_plain));
    CHECK(t_reason(&out[0]) == t_wrong_state(major),
          "Encrypt with a Pre-Active key: the version's wrong-state reason");

    (void) t_one(major, major >= 2 ? 1 : 4, NGX_KMIP_OP_ACTIVATE, &u);

    out = t_cipher(major, NGX_KMIP_OP_ENCRYPT, &u, t_plain, sizeof(t_plain));
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_ciphertext_right(&out[0], &u),
          "Encrypt AES-256-CBC: OpenSSL's ciphertext under the stored key");

    d = t_find(&out[0], NGX_KMIP_TAG_DATA);
    if (d == NULL) {
        return;
    }

    out = t_cipher(major, NGX_KMIP_OP_DECRYPT, &u, d->v.str.data,
                   d->v.str.len);
    d = t_find(&out[0], NGX_KMIP_TAG_DATA);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && d && d->v.str.len == sizeof(t_plain)
          && memcmp(d->v.str.data, t_plain, sizeof(t_plain)) == 0,
          "Decrypt gives the plaintext back");

    out = t_cipher(major, NGX_KMIP_OP_ENCRYPT, &u, t_plain, 5);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "Encrypt of 5 bytes in CBC without padding fails");

    (void) t_revoke(major, major >= 2 ? 1 : 4, &u,
                    NGX_KMIP_REVOCATION_REASON_CODE_CESSATION_OF_OPERATION);

    out = t_cipher(major, NGX_KMIP_OP_ENCRYPT, &u, t_plain, sizeof(t_plain));
    CHECK(t_reason(&out[0]) == t_wrong_state(major),
          "Encrypt with a Deactivated key: the version's reason");
}


static void
t_cipher_refusals(ngx_uint_t major)
{
    t_request_t               *t;
    ngx_str_t                 *uid;
    ngx_kmip_item_t           *ta;
    ngx_kmip_response_item_t  *out;

    /* a key that may Decrypt only */

    t = t_request(major, major >= 2 ? 1 : 4);
    ta = t_key_attrs(t_item(t, NGX_KMIP_OP_CREATE), major,
                     NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
    t_attr(ta, major, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
           NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DECRYPT);
    t_item(t, NGX_KMIP_OP_ACTIVATE);
    uid = t_uid_of(&t_run(t)[0]);

    out = uid ? t_cipher(major, NGX_KMIP_OP_ENCRYPT, uid, t_plain,
                         sizeof(t_plain))
              : NULL;
    CHECK(out && t_reason(&out[0]) == t_wrong_mask(major),
          "Encrypt with a key whose mask lacks Encrypt: the version's "
          "reason");

    /* Protect Stop Date passed: no new protection, processing goes on */

    t = t_request(major, major >= 2 ? 1 : 4);
    t_create_payload(t_item(t, NGX_KMIP_OP_CREATE), major);
    t_item(t, NGX_KMIP_OP_ACTIVATE);
    uid = t_uid_of(&t_run(t)[0]);

    out = uid ? t_change(major, NGX_KMIP_OP_ADD_ATTRIBUTE, uid,
                         "Protect Stop Date", NGX_KMIP_TAG_PROTECT_STOP_DATE,
                         NGX_KMIP_TYPE_DATE_TIME, ngx_time() - 1)
              : NULL;
    CHECK(out && out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "Add of a Protect Stop Date passed");

    out = uid ? t_cipher(major, NGX_KMIP_OP_ENCRYPT, uid, t_plain,
                         sizeof(t_plain))
              : NULL;
    CHECK(out && t_reason(&out[0]) == t_wrong_state(major),
          "Encrypt past the Protect Stop Date: refused");

    out = uid ? t_cipher(major, NGX_KMIP_OP_DECRYPT, uid, t_plain,
                         sizeof(t_plain))
              : NULL;
    CHECK(out && out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "Decrypt past the Protect Stop Date: allowed");
}


static void
t_cipher_not_key(void)
{
    ngx_str_t                 *uid;
    ngx_kmip_response_item_t  *out;

    uid = t_register_secret(NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE, 16);
    if (!t_got(uid, "Register of Secret Data for Encrypt")) {
        return;
    }

    out = t_cipher(2, NGX_KMIP_OP_ENCRYPT, uid, t_plain, sizeof(t_plain));
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
          "Encrypt with Secret Data in 2.1: Invalid Object Type");

    out = t_cipher(1, NGX_KMIP_OP_ENCRYPT, uid, t_plain, sizeof(t_plain));
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_ILLEGAL_OPERATION,
          "Encrypt with Secret Data in 1.4: Illegal Operation");

    out = t_one(2, 1, NGX_KMIP_OP_ENCRYPT, uid);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_MISSING_DATA,
          "Encrypt without Data: Missing Data");
}


void
t_crypto(void)
{
    t_round_trip(1);
    t_round_trip(2);
    t_cipher_refusals(1);
    t_cipher_refusals(2);
    t_cipher_not_key();
}
