
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/rand.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_crypto.h"


/* a bound on one answer: the message size limits apply anyway */
#define NGX_KMIP_RNG_MAX  4096


/*
 * RNG Retrieve (KMIP 1.3 4.35, 2.1 6.1.42): Data Length bytes from
 * OpenSSL's DRBG. No key store is involved.
 */

ngx_int_t
ngx_kmip_op_rng_retrieve(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    u_char           *p;
    ngx_kmip_item_t  *len, *payload;

    len = ngx_kmip_op_need(r, out, in->payload, NGX_KMIP_TAG_DATA_LENGTH,
                           NGX_KMIP_TYPE_INTEGER,
                           "RNG Retrieve needs a Data Length");
    if (len == NULL) {
        return NGX_OK;
    }

    if (len->v.num <= 0 || len->v.num > NGX_KMIP_RNG_MAX) {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_INVALID_FIELD,
                                    "Data Length %L is not within 1..%d",
                                    len->v.num, NGX_KMIP_RNG_MAX);
    }

    p = ngx_pnalloc(r->pool, (size_t) len->v.num);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (RAND_bytes(p, (int) len->v.num) != 1) {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE,
                                    "the random generator failed");
    }

    payload = ngx_kmip_payload_new(r);

    if (ngx_kmip_ttlv_add_bytes(&r->alloc, payload, NGX_KMIP_TAG_DATA, p,
                                (size_t) len->v.num)
        == NULL)
    {
        return NGX_ERROR;
    }

    out->payload = payload;

    return NGX_OK;
}


/*
 * RNG Seed (KMIP 1.4 4.36, 2.1 6.1.50): the client's Data mixed into
 * OpenSSL's generator as additional input, never counted as entropy, so
 * that no client can make the generator weaker or predictable. Up to
 * NGX_KMIP_RNG_MAX bytes are used, and Data Length says how many (the
 * specification lets a server use part of the data, or none). The
 * request's buffers are wiped with the rest of the request.
 */

ngx_int_t
ngx_kmip_op_rng_seed(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    size_t            used;
    ngx_kmip_item_t  *data, *payload;

    data = ngx_kmip_op_need(r, out, in->payload, NGX_KMIP_TAG_DATA,
                            NGX_KMIP_TYPE_BYTE_STRING,
                            "RNG Seed needs Data");
    if (data == NULL) {
        return NGX_OK;
    }

    used = ngx_min(data->v.str.len, NGX_KMIP_RNG_MAX);

    if (used) {
        RAND_add(data->v.str.data, (int) used, 0.0);
    }

    payload = ngx_kmip_payload_new(r);

    if (ngx_kmip_ttlv_add_integer(&r->alloc, payload,
                                  NGX_KMIP_TAG_DATA_LENGTH, (int32_t) used)
        == NULL)
    {
        return NGX_ERROR;
    }

    out->payload = payload;

    return NGX_OK;
}
