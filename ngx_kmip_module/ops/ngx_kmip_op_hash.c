
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_pk.h"
#include "ngx_kmip_op_crypto.h"


/* one Hash, MAC or MAC Verify: bounded like one Encrypt */
#define NGX_KMIP_DIGEST_MAX_DATA  (1024 * 1024)


const EVP_MD *
ngx_kmip_op_hash_md(uint32_t hashing)
{
    /*
     * MD5 is broken for signatures, not as the PRF of a key derivation,
     * which is what the clients that name it ask for (PyKMIP's engine
     * derives with it); the keys layer has the other hashes
     */

    if (hashing == NGX_KMIP_HASHING_ALGORITHM_MD5) {
        return EVP_md5();
    }

    return ngx_kmip_pk_md(hashing);
}


/*
 * The Data of a Hash, MAC or MAC Verify, named what in the answer, in one
 * part: a multi-part one was put together by ngx_kmip_op_parts() first.
 * NULL when out says why there is none.
 */

ngx_kmip_item_t *
ngx_kmip_op_one_part(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, const char *what)
{
    ngx_kmip_item_t  *data;

    data = ngx_kmip_op_need(r, out, in->payload, NGX_KMIP_TAG_DATA,
                            NGX_KMIP_TYPE_BYTE_STRING, "%s needs Data", what);
    if (data == NULL) {
        return NULL;
    }

    if (data->v.str.len > NGX_KMIP_DIGEST_MAX_DATA) {
        (void) ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Data of %uz bytes is too long",
                                    data->v.str.len);
        return NULL;
    }

    return data;
}


/*
 * Hash (KMIP 1.4 4.37, 2.1 6.1.24): the digest of the request's Data with
 * the Hashing Algorithm its Cryptographic Parameters name. No key, no
 * key store.
 */

ngx_int_t
ngx_kmip_op_hash(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    u_char                 *md;
    size_t                  n;
    ngx_int_t               rc;
    ngx_kmip_item_t        *data, *cp, *alg, *payload;
    ngx_kmip_keys_error_t   err;

    rc = ngx_kmip_op_parts(r, in, out, ngx_kmip_op_hash);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    data = ngx_kmip_op_one_part(r, in, out, "Hash");
    if (data == NULL) {
        return NGX_OK;
    }

    cp = ngx_kmip_ttlv_find(in->payload,
                            NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS);
    alg = ngx_kmip_op_need(r, out, cp, NGX_KMIP_TAG_HASHING_ALGORITHM,
                           NGX_KMIP_TYPE_ENUMERATION,
                           "Hash needs Cryptographic Parameters with a "
                           "Hashing Algorithm");
    if (alg == NULL) {
        return NGX_OK;
    }

    md = ngx_pnalloc(r->pool, NGX_KMIP_PK_DIGEST_MAX);
    if (md == NULL) {
        return NGX_ERROR;
    }

    if (ngx_kmip_pk_digest((uint32_t) alg->v.num, data->v.str.data,
                           data->v.str.len, md, &n, &err)
        != NGX_KMIP_KEYS_OK)
    {
        return ngx_kmip_result_fail(r, out, ngx_kmip_keys_reason(err.rc),
                                    "Hash with Hashing Algorithm %L: %s",
                                    alg->v.num, err.what ? err.what
                                                         : "refused");
    }

    payload = ngx_kmip_payload_new(r);

    if (payload == NULL
        || ngx_kmip_ttlv_add_bytes(&r->alloc, payload, NGX_KMIP_TAG_DATA, md,
                                   n)
           == NULL)
    {
        return NGX_ERROR;
    }

    out->payload = payload;

    return NGX_OK;
}
