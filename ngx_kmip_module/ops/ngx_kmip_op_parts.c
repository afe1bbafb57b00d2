
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_op_crypto.h"


/*
 * The multi-part forms of Sign, Signature Verify (KMIP 1.4 4.31, 4.32;
 * 2.1 6.1.48, 6.1.50), MAC, MAC Verify (1.4 4.33, 4.34; 2.1 6.1.27,
 * 6.1.28) and Hash (1.4 4.37, 2.1 6.1.24): an Init Indicator opens the
 * operation, the Correlation Value the server answers with names it in
 * the parts that follow, a Final Indicator ends it with the result.
 *
 * The parts are kept, not fed to a running digest: Ed25519 signs the
 * whole message (RFC 8032 5.1.6 hashes it twice), and one path for every
 * algorithm keeps the single-part code the only one that computes. The
 * first part's fields but its Data (the key, the Cryptographic
 * Parameters) are kept as TTLV; the final part puts the Data together and
 * runs the operation as one request, so the key is read, checked and used
 * then, as for a single part. The parts live on the connection, in one of
 * its stream slots (ngx_kmip_op_crypto.h), bounded in size, wiped when
 * dropped, and dropped on any failure, on the final part, when unused as
 * long as an idle connection, and with the connection.
 */


/* the Data of one multi-part operation, at most */
#define NGX_KMIP_PARTS_MAX  (1024 * 1024)


struct ngx_kmip_op_parts_s {
    uint32_t                    operation;
    u_char                     *first;      /* the first part's payload but
                                               its Data, as TTLV */
    size_t                      first_len;
    u_char                     *data;
    size_t                      len;
    size_t                      cap;
};


static ngx_int_t ngx_kmip_op_parts_open(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    ngx_kmip_item_t *data);
static ngx_int_t ngx_kmip_op_parts_next(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    ngx_kmip_item_t *cv, ngx_kmip_item_t *data, ngx_uint_t final,
    ngx_kmip_op_whole_pt whole);
static ngx_kmip_item_t *ngx_kmip_op_parts_whole(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_op_parts_t *parts);
static ngx_int_t ngx_kmip_op_parts_add(ngx_kmip_req_t *r,
    ngx_kmip_op_parts_t *parts, ngx_kmip_item_t *data);
static ngx_int_t ngx_kmip_op_parts_answer(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, ngx_kmip_crypto_stream_t *s);
static ngx_uint_t ngx_kmip_op_parts_own(ngx_kmip_item_t *it);


ngx_int_t
ngx_kmip_op_parts(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_op_whole_pt whole)
{
    ngx_uint_t        init, final;
    ngx_kmip_item_t  *cv, *data;

    init = ngx_kmip_op_flag(in->payload, NGX_KMIP_TAG_INIT_INDICATOR);
    final = ngx_kmip_op_flag(in->payload, NGX_KMIP_TAG_FINAL_INDICATOR);
    cv = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_CORRELATION_VALUE);

    if (cv == NULL && init == final) {
        /* both indicators, or none: one part */
        return NGX_DECLINED;
    }

    if (r->streams == NULL) {
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "multi-part operations are not "
                                    "supported here");
    }

    data = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_DATA);

    if (data && data->type != NGX_KMIP_TYPE_BYTE_STRING) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Data is not a Byte String");
    }

    if (cv == NULL) {
        if (final) {
            return ngx_kmip_op_stream_none(r, out);
        }

        return ngx_kmip_op_parts_open(r, in, out, data);
    }

    if (init) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "an Init Indicator opens a multi-part "
                                    "operation: it takes no Correlation "
                                    "Value");
    }

    return ngx_kmip_op_parts_next(r, in, out, cv, data, final, whole);
}


/* the first part: its fields kept, its Data the first of the parts */

static ngx_int_t
ngx_kmip_op_parts_open(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_item_t *data)
{
    size_t                      len;
    ngx_str_t                   uid;
    ngx_kmip_item_t            *first, *it, *copy;
    ngx_kmip_op_parts_t        *parts;
    ngx_kmip_crypto_stream_t   *s, **slot;

    /* the key, or the ID Placeholder's, named in the kept fields */

    it = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
    uid = r->id_placeholder;

    if (it) {
        if (it->type != NGX_KMIP_TYPE_TEXT_STRING) {
            return ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_INVALID_FIELD,
                                        "Unique Identifier is not a Text "
                                        "String");
        }

        uid.data = (u_char *) it->v.str.data;
        uid.len = it->v.str.len;
    }

    first = ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_REQUEST_PAYLOAD,
                                   NGX_KMIP_TYPE_STRUCTURE);
    if (first == NULL) {
        return NGX_ERROR;
    }

    if (it == NULL && uid.len
        && in->operation != NGX_KMIP_OP_HASH
        && ngx_kmip_ttlv_add_text(&r->alloc, first,
                                  NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                  uid.data, uid.len) == NULL)
    {
        return NGX_ERROR;
    }

    for (it = in->payload->v.kids.first; it; it = it->next) {
        if (ngx_kmip_op_parts_own(it)) {
            continue;
        }

        copy = ngx_kmip_ttlv_item_copy(&r->alloc, it);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        ngx_kmip_ttlv_item_append(first, copy);
    }

    slot = ngx_kmip_op_stream_slot(r);

    if (slot == NULL) {
        return ngx_kmip_result_fail(r, out, ngx_kmip_op_stream_limit(r),
                                    "a connection has at most %d open "
                                    "streams: finish one first",
                                    NGX_KMIP_CRYPTO_STREAMS_MAX);
    }

    len = ngx_kmip_ttlv_size(first);

    parts = ngx_calloc(sizeof(ngx_kmip_op_parts_t) + len, r->log);
    if (parts == NULL) {
        return NGX_ERROR;
    }

    parts->operation = in->operation;
    parts->first = (u_char *) parts + sizeof(ngx_kmip_op_parts_t);
    parts->first_len = len;
    (void) ngx_kmip_ttlv_encode(first, parts->first);

    s = ngx_kmip_op_stream_new(r, slot, &uid);
    if (s == NULL) {
        ngx_kmip_op_parts_free(parts);
        return NGX_ERROR;
    }

    s->parts = parts;

    if (ngx_kmip_op_parts_add(r, parts, data) != NGX_OK) {
        return ngx_kmip_op_stream_fail(r, out, slot,
                                       NGX_KMIP_REASON_INVALID_FIELD,
                                       "the Data is too long");
    }

    ngx_log_debug1(NGX_LOG_DEBUG_STREAM, r->log, 0,
                   "kmip multi-part %s opened",
                   ngx_kmip_operation_name(in->operation));

    return ngx_kmip_op_parts_answer(r, out, s);
}


/* a later part: its Data kept; the final one runs the whole */

static ngx_int_t
ngx_kmip_op_parts_next(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, ngx_kmip_item_t *cv, ngx_kmip_item_t *data,
    ngx_uint_t final, ngx_kmip_op_whole_pt whole)
{
    ngx_kmip_item_t            *payload;
    ngx_kmip_crypto_stream_t   *s, **slot;

    /* the message names no operation: the stream's name is not used */

    slot = ngx_kmip_op_stream_again(r, in, out, cv,
                                    "the Correlation Value names a stream "
                                    "of another operation");
    if (slot == NULL) {
        return NGX_OK;
    }

    s = *slot;

    if (ngx_kmip_op_parts_add(r, s->parts, data) != NGX_OK) {
        return ngx_kmip_op_stream_fail(r, out, slot,
                                       NGX_KMIP_REASON_INVALID_FIELD,
                                       "the Data of a multi-part operation "
                                       "is limited to 1 MiB");
    }

    s->used = ngx_time();

    if (!final) {
        return ngx_kmip_op_parts_answer(r, out, s);
    }

    payload = ngx_kmip_op_parts_whole(r, in, s->parts);

    ngx_kmip_op_stream_drop(slot);

    if (payload == NULL) {
        return NGX_ERROR;
    }

    in->payload = payload;

    return whole(r, in, out);
}


/*
 * The request the parts make: the first part's fields, all the Data, and
 * what the final part adds (the Signature Data or MAC Data to verify)
 */

static ngx_kmip_item_t *
ngx_kmip_op_parts_whole(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_op_parts_t *parts)
{
    u_char           *buf;
    ngx_str_t        *secret;
    ngx_kmip_item_t  *payload, *it, *next, *copy;

    buf = ngx_pnalloc(r->pool, parts->first_len);
    if (buf == NULL) {
        return NULL;
    }

    ngx_memcpy(buf, parts->first, parts->first_len);

    if (ngx_kmip_ttlv_decode(buf, parts->first_len, NULL, &r->alloc,
                             &payload, NULL)
        != NGX_KMIP_OK)
    {
        return NULL;
    }

    for (it = in->payload->v.kids.first; it; it = next) {
        next = it->next;

        if (ngx_kmip_op_parts_own(it)
            || it->tag == NGX_KMIP_TAG_UNIQUE_IDENTIFIER)
        {
            continue;
        }

        copy = ngx_kmip_ttlv_item_copy(&r->alloc, it);
        if (copy == NULL) {
            return NULL;
        }

        ngx_kmip_ttlv_item_append(payload, copy);
    }

    /* the data may be a secret's: wiped with the request */

    buf = ngx_kmip_op_secret(r, parts->len, &secret);
    if (buf == NULL && parts->len) {
        return NULL;
    }

    if (parts->len) {
        ngx_memcpy(buf, parts->data, parts->len);
    }

    if (ngx_kmip_ttlv_add_bytes(&r->alloc, payload, NGX_KMIP_TAG_DATA, buf,
                                parts->len) == NULL)
    {
        return NULL;
    }

    return payload;
}


static ngx_int_t
ngx_kmip_op_parts_add(ngx_kmip_req_t *r, ngx_kmip_op_parts_t *parts,
    ngx_kmip_item_t *data)
{
    size_t   cap;
    u_char  *p;

    if (data == NULL || data->v.str.len == 0) {
        return NGX_OK;
    }

    if (data->v.str.len > NGX_KMIP_PARTS_MAX - parts->len) {
        return NGX_DECLINED;
    }

    if (parts->len + data->v.str.len > parts->cap) {
        cap = ngx_max(parts->cap * 2, parts->len + data->v.str.len);
        cap = ngx_min(cap, NGX_KMIP_PARTS_MAX);

        p = ngx_alloc(cap, r->log);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (parts->len) {
            ngx_memcpy(p, parts->data, parts->len);
        }

        if (parts->data) {
            ngx_explicit_memzero(parts->data, parts->cap);
            ngx_free(parts->data);
        }

        parts->data = p;
        parts->cap = cap;
    }

    ngx_memcpy(parts->data + parts->len, data->v.str.data, data->v.str.len);
    parts->len += data->v.str.len;

    return NGX_OK;
}


/* a part taken: the key and the Correlation Value of the parts to come */

static ngx_int_t
ngx_kmip_op_parts_answer(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    ngx_kmip_crypto_stream_t *s)
{
    ngx_kmip_item_t  *payload;

    s->used = ngx_time();

    payload = ngx_kmip_payload_new(r);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    if (s->uid.len
        && s->parts->operation != NGX_KMIP_OP_HASH
        && ngx_kmip_ttlv_add_text(&r->alloc, payload,
                                  NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                  s->uid.data, s->uid.len) == NULL)
    {
        return NGX_ERROR;
    }

    if (ngx_kmip_op_stream_cv(r, payload, s) != NGX_OK) {
        return NGX_ERROR;
    }

    out->payload = payload;

    return NGX_OK;
}


uint32_t
ngx_kmip_op_parts_operation(ngx_kmip_op_parts_t *parts)
{
    return parts->operation;
}


void
ngx_kmip_op_parts_free(ngx_kmip_op_parts_t *parts)
{
    if (parts == NULL) {
        return;
    }

    if (parts->data) {
        ngx_explicit_memzero(parts->data, parts->cap);
        ngx_free(parts->data);
    }

    ngx_explicit_memzero(parts, sizeof(ngx_kmip_op_parts_t)
                                + parts->first_len);
    ngx_free(parts);
}


/* what belongs to one part, not to the operation */

static ngx_uint_t
ngx_kmip_op_parts_own(ngx_kmip_item_t *it)
{
    return it->tag == NGX_KMIP_TAG_DATA
           || it->tag == NGX_KMIP_TAG_INIT_INDICATOR
           || it->tag == NGX_KMIP_TAG_FINAL_INDICATOR
           || it->tag == NGX_KMIP_TAG_CORRELATION_VALUE;
}
