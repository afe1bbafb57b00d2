
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_ops.h"


/*
 * Interop (KMIP 2.1 6.1.26): a test client tells the server that an
 * interoperability test case begins or ends. It "SHALL NOT be available in
 * a production server": the operation table offers it only where
 * "kmip_interop on" says the server is a test server, and elsewhere it is
 * refused as an operation the server does not support, and Query does not
 * list it.
 *
 * Begin and End mark the test case in the error log, so that what the
 * server logged during a case can be found. Reset would return the server
 * to the state it had when the interop session began, that is delete
 * every object made since: the objects are keys in a Key Protect instance
 * the server shares with whatever else uses it, so Reset is refused.
 */


/* the test case identifier as the log shows it, at most */
#define NGX_KMIP_INTEROP_ID_MAX  128


ngx_int_t
ngx_kmip_op_interop(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_str_t         id;
    const char       *what;
    ngx_kmip_item_t  *fn, *ident;

    fn = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_INTEROP_FUNCTION);
    ident = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_INTEROP_IDENTIFIER);

    if (fn == NULL || ident == NULL) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "Interop needs an Interop Function and "
                                    "an Interop Identifier");
    }

    if (fn->type != NGX_KMIP_TYPE_ENUMERATION) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Interop Function is not an "
                                    "Enumeration");
    }

    if (ident->type != NGX_KMIP_TYPE_TEXT_STRING || ident->v.str.len == 0) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Interop Identifier is not a non-empty "
                                    "Text String");
    }

    switch (fn->v.num) {

    case NGX_KMIP_INTEROP_FUNCTION_BEGIN:
        what = "begins";
        break;

    case NGX_KMIP_INTEROP_FUNCTION_END:
        what = "ends";
        break;

    case NGX_KMIP_INTEROP_FUNCTION_RESET:
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
                                    "Interop Reset is not offered: it would "
                                    "delete keys of the Key Protect "
                                    "instance");

    default:
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Interop Function 0x%08XL is not Begin, "
                                    "End or Reset", fn->v.num);
    }

    if (ngx_kmip_log_text(r->pool, ident->v.str.data, ident->v.str.len,
                          NGX_KMIP_INTEROP_ID_MAX, &id)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->log, 0,
                  "kmip: interop test case \"%V\" %s", &id, what);

    out->payload = ngx_kmip_payload_new(r);
    if (out->payload == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}
