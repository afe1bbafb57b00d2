
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_usage.h"
#include "ngx_kmip_op_crypto.h"


/*
 * MAC and MAC Verify (KMIP 1.4 4.33, 4.34; 2.1 6.1.32, 6.1.33) with a
 * managed symmetric key: HMAC when the Cryptographic Algorithm of the
 * request's Cryptographic Parameters, else of the key's, else the key's
 * own, is an HMAC one; CMAC (NIST SP 800-38B) when it is AES. The OASIS
 * cases CS-AC-M-4..6 register an AES key whose Cryptographic Parameters
 * say HMAC-SHA256: the parameters name the MAC, the key is its bytes.
 */


#define NGX_KMIP_MAC_VERIFY  0x01


static ngx_int_t ngx_kmip_op_mac_loaded(ngx_kmip_op_ctx_t *ctx);
static ngx_int_t ngx_kmip_op_mac_respond(ngx_kmip_op_ctx_t *ctx,
    u_char *mac, size_t len, uint32_t validity);


/* the Hashing Algorithm of an HMAC Cryptographic Algorithm, or 0 */

uint32_t
ngx_kmip_op_hmac_hashing(uint32_t alg)
{
    switch (alg) {

    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA1:
        return NGX_KMIP_HASHING_ALGORITHM_SHA_1;
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA224:
        return NGX_KMIP_HASHING_ALGORITHM_SHA_224;
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA256:
        return NGX_KMIP_HASHING_ALGORITHM_SHA_256;
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA384:
        return NGX_KMIP_HASHING_ALGORITHM_SHA_384;
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA512:
        return NGX_KMIP_HASHING_ALGORITHM_SHA_512;
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_MD5:
        return NGX_KMIP_HASHING_ALGORITHM_MD5;
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA3_224:
        return NGX_KMIP_HASHING_ALGORITHM_SHA3_224;
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA3_256:
        return NGX_KMIP_HASHING_ALGORITHM_SHA3_256;
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA3_384:
        return NGX_KMIP_HASHING_ALGORITHM_SHA3_384;
    case NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_HMAC_SHA3_512:
        return NGX_KMIP_HASHING_ALGORITHM_SHA3_512;

    default:
        return 0;
    }
}


/* HMAC or CMAC of data (ngx_kmip_op_crypto.h) */

ngx_int_t
ngx_kmip_op_mac_compute(uint32_t alg, ngx_str_t *key, const u_char *data,
    size_t n, u_char *mac, size_t *len)
{
    int            rc;
    const char    *name, *param, *value;
    EVP_MAC       *m;
    OSSL_PARAM     params[2];
    const EVP_MD  *md;
    EVP_MAC_CTX   *c;

    if (alg == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES) {
        switch (key->len) {
        case 16:
            value = "AES-128-CBC";
            break;
        case 24:
            value = "AES-192-CBC";
            break;
        case 32:
            value = "AES-256-CBC";
            break;
        default:
            return NGX_DECLINED;
        }

        name = "CMAC";
        param = OSSL_MAC_PARAM_CIPHER;

    } else {
        md = ngx_kmip_op_hash_md(ngx_kmip_op_hmac_hashing(alg));
        if (md == NULL) {
            return NGX_DECLINED;
        }

        name = "HMAC";
        param = OSSL_MAC_PARAM_DIGEST;
        value = EVP_MD_get0_name(md);
    }

    m = EVP_MAC_fetch(NULL, name, NULL);
    if (m == NULL) {
        return NGX_ERROR;
    }

    c = EVP_MAC_CTX_new(m);
    EVP_MAC_free(m);

    if (c == NULL) {
        return NGX_ERROR;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(param, (char *) value, 0);
    params[1] = OSSL_PARAM_construct_end();

    /* the context holds the key schedule: freeing it wipes it */

    rc = EVP_MAC_init(c, key->data, key->len, params) == 1
         && EVP_MAC_update(c, data, n) == 1
         && EVP_MAC_final(c, mac, len, EVP_MAX_MD_SIZE) == 1;

    EVP_MAC_CTX_free(c);

    return rc ? NGX_OK : NGX_ERROR;
}


/*
 * MAC and MAC Verify, told apart by the operation as the attribute
 * operations are: one entry for both, so that their multi-part forms and
 * their single-part start are written once
 */

ngx_int_t
ngx_kmip_op_mac(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_int_t   rc;
    ngx_uint_t  verify;

    rc = ngx_kmip_op_parts(r, in, out, ngx_kmip_op_mac);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    verify = (in->operation == NGX_KMIP_OP_MAC_VERIFY);

    if (ngx_kmip_op_no_store(r, out)) {
        return NGX_OK;
    }

    if (ngx_kmip_op_one_part(r, in, out, verify ? "MAC Verify" : "MAC")
        == NULL)
    {
        return NGX_OK;
    }

    if (verify
        && ngx_kmip_op_need(r, out, in->payload, NGX_KMIP_TAG_MAC_DATA,
                            NGX_KMIP_TYPE_BYTE_STRING,
                            "MAC Verify needs MAC Data")
           == NULL)
    {
        return NGX_OK;
    }

    return ngx_kmip_op_begin_load(r, in, out,
                                  (void *) (uintptr_t)
                                  (verify ? NGX_KMIP_MAC_VERIFY : 0),
                                  1, ngx_kmip_op_mac_loaded);
}


/*
 * The key read: checked as Encrypt's is (generating a MAC applies
 * protection, verifying one processes), the MAC computed, and for MAC
 * Verify compared in constant time with the client's
 */

static ngx_int_t
ngx_kmip_op_mac_loaded(ngx_kmip_op_ctx_t *ctx)
{
    u_char                     mac[EVP_MAX_MD_SIZE];
    size_t                     len;
    uint32_t                   need, validity;
    ngx_int_t                  rc;
    ngx_uint_t                 verify;
    ngx_kmip_req_t            *r = ctx->r;
    ngx_kmip_item_t           *data, *given, *cp;
    ngx_kmip_cipher_params_t   p;

    verify = ((uintptr_t) ctx->data & NGX_KMIP_MAC_VERIFY) ? 1 : 0;

    need = verify ? NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_MAC_VERIFY
                  : NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_MAC_GENERATE;

    rc = ngx_kmip_op_crypto_key(ctx, need, !verify,
                                verify ? "MAC Verify" : "MAC");
    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    cp = ngx_kmip_ttlv_find(ctx->in->payload,
                            NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);
    ngx_kmip_op_crypto_params(ctx->obj, cp, &p);

    data = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_DATA);
    len = 0;

    rc = ngx_kmip_op_mac_compute(p.alg, &ctx->obj->material,
                                 data->v.str.data, data->v.str.len, mac,
                                 &len);

    if (rc == NGX_DECLINED) {
        return ngx_kmip_result_fail(r, ctx->out, ngx_kmip_op_bad_params(r),
                                    "MAC takes an HMAC algorithm with any "
                                    "key, or AES (CMAC) with a 128, 192 or "
                                    "256-bit key, not algorithm %uD with "
                                    "%uz bytes", p.alg,
                                    ctx->obj->material.len);
    }

    if (rc != NGX_OK) {
        OPENSSL_cleanse(mac, sizeof(mac));
        return ngx_kmip_result_fail(r, ctx->out,
                                    NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                    "%s failed", verify ? "MAC Verify"
                                                        : "MAC");
    }

    if (!verify) {
        rc = ngx_kmip_op_mac_respond(ctx, mac, len, 0);
        OPENSSL_cleanse(mac, sizeof(mac));

        if (rc != NGX_OK) {
            return rc;
        }

        /* an allocation under the key's Usage Limits, if it has some */
        return ngx_kmip_op_usage_consume(ctx, data->v.str.len);
    }

    /*
     * a MAC of another length is not this one: a truncated MAC would let
     * a guess of a few bytes pass
     */

    given = ngx_kmip_ttlv_find(ctx->in->payload, NGX_KMIP_TAG_MAC_DATA);

    validity = (given->v.str.len == len
                && CRYPTO_memcmp(given->v.str.data, mac, len) == 0)
               ? NGX_KMIP_VALIDITY_INDICATOR_VALID
               : NGX_KMIP_VALIDITY_INDICATOR_INVALID;

    OPENSSL_cleanse(mac, sizeof(mac));

    return ngx_kmip_op_mac_respond(ctx, NULL, 0, validity);
}


/* MAC answers with the MAC Data, MAC Verify with the Validity Indicator */

static ngx_int_t
ngx_kmip_op_mac_respond(ngx_kmip_op_ctx_t *ctx, u_char *mac, size_t len,
    uint32_t validity)
{
    u_char           *p;
    ngx_kmip_req_t   *r = ctx->r;
    ngx_kmip_item_t  *payload;

    payload = ngx_kmip_op_payload_uid(r, &ctx->obj->uid);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    if (mac) {
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, mac, len);

        if (ngx_kmip_ttlv_add_bytes(&r->alloc, payload, NGX_KMIP_TAG_MAC_DATA,
                                    p, len)
            == NULL)
        {
            return NGX_ERROR;
        }

    } else if (ngx_kmip_ttlv_add_enum(&r->alloc, payload,
                                      NGX_KMIP_TAG_VALIDITY_INDICATOR,
                                      validity)
               == NULL)
    {
        return NGX_ERROR;
    }

    ctx->out->payload = payload;

    return NGX_OK;
}
