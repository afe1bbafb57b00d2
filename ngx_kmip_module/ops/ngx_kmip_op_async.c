
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_ops.h"


/*
 * Poll and Cancel (1.4 4.28, 4.27; 2.1 6.1.38, 6.1.5) ask about an
 * operation the server answered Pending, by the Asynchronous Correlation
 * Value it gave. ngx_kmip answers each batch item once it is done and
 * never Pending: the event loop waits for Key Protect without holding a
 * worker, so an asynchronous answer would only add a round trip. No
 * operation is ever outstanding, and none completed asynchronously, so
 *
 *   Poll answers as for a correlation value of no outstanding operation:
 *   Item Not Found in 1.x (1.4 11.29), Invalid Asynchronous Correlation
 *   Value from 2.0 (2.1 6.1.38.1);
 *
 *   Cancel answers Success with the Cancellation Result Unavailable, "the
 *   specified correlation value did not match any recently pending or
 *   completed asynchronous operations" (1.4 4.27).
 *
 * Neither needs the key store: a client may ask before the first object.
 */


/* shorter, for 80 columns */
#define NGX_KMIP_REASON_INVALID_ASYNC_VALUE                                   \
    NGX_KMIP_REASON_INVALID_ASYNCHRONOUS_CORRELATION_VALUE


static ngx_kmip_item_t *ngx_kmip_op_async_value(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out,
    const char *op);


ngx_int_t
ngx_kmip_op_poll(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    uint32_t          reason;
    ngx_kmip_item_t  *value;

    value = ngx_kmip_op_async_value(r, in, out, "Poll");
    if (value == NULL) {
        return NGX_OK;
    }

    reason = (r->version >= NGX_KMIP_VERSION(2, 0))
             ? NGX_KMIP_REASON_INVALID_ASYNC_VALUE
             : NGX_KMIP_REASON_ITEM_NOT_FOUND;

    return ngx_kmip_result_fail(r, out, reason,
                                "no asynchronous operation has this "
                                "Asynchronous Correlation Value: the "
                                "server answers every operation when it "
                                "is done");
}


ngx_int_t
ngx_kmip_op_cancel(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_kmip_item_t  *value, *payload;

    value = ngx_kmip_op_async_value(r, in, out, "Cancel");
    if (value == NULL) {
        return NGX_OK;
    }

    payload = ngx_kmip_payload_new(r);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    if (ngx_kmip_ttlv_add_bytes(&r->alloc, payload,
                                NGX_KMIP_TAG_ASYNCHRONOUS_CORRELATION_VALUE,
                                value->v.str.data, value->v.str.len)
        == NULL
        || ngx_kmip_ttlv_add_enum(&r->alloc, payload,
                                  NGX_KMIP_TAG_CANCELLATION_RESULT,
                                  NGX_KMIP_CANCELLATION_RESULT_UNAVAILABLE)
           == NULL)
    {
        return NGX_ERROR;
    }

    out->payload = payload;

    return NGX_OK;
}


/*
 * the request's Asynchronous Correlation Value, a Byte String (1.4 6.8);
 * else NULL, and the item has failed
 */

static ngx_kmip_item_t *
ngx_kmip_op_async_value(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out, const char *op)
{
    ngx_kmip_item_t  *value;

    value = ngx_kmip_op_need(r, out, in->payload,
                             NGX_KMIP_TAG_ASYNCHRONOUS_CORRELATION_VALUE,
                             NGX_KMIP_TYPE_BYTE_STRING,
                             "%s needs an Asynchronous Correlation Value",
                             op);
    if (value == NULL) {
        return NULL;
    }

    if (value->v.str.len == 0) {
        (void) ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_INVALID_ASYNC_VALUE,
                                    "%s: the Asynchronous Correlation Value "
                                    "is empty", op);
        return NULL;
    }

    return value;
}
