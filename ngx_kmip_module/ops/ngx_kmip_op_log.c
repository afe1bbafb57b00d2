
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_ops.h"


/*
 * Log (KMIP 2.1 6.1.29): a client asks the server to write a message to
 * its log. It goes to the error log at "info", the level nginx gives to
 * what clients cause, so that a client cannot fill a log kept at the
 * default level; the audit log (kmip_audit_log), when there is one,
 * records it with the batch item. Only the first NGX_KMIP_LOG_MAX bytes
 * are written, escaped: a message is the client's text, and a log line
 * must stay one line that says what the server saw.
 */


#define NGX_KMIP_LOG_MAX  1024


/*
 * As nginx's access log escapes variables: bytes outside printable ASCII,
 * the backslash and the double quote become \xHH, so that a line is one
 * line, a quoted text cannot end early, and no terminal control or
 * direction override sequence reaches whoever reads it.
 */

ngx_int_t
ngx_kmip_log_text(ngx_pool_t *pool, const u_char *text, size_t len,
    size_t max, ngx_str_t *out)
{
    u_char      c, *p;
    size_t      i, n;
    ngx_uint_t  cut;

    static u_char  hex[] = "0123456789abcdef";

    cut = (len > max);
    n = cut ? max : len;

    /* every byte may become four, and "..." marks a cut */
    p = ngx_pnalloc(pool, 4 * n + 3);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (i = 0; i < n; i++) {
        c = text[i];

        if (c < 0x20 || c >= 0x7f || c == '\\' || c == '"') {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];

        } else {
            *p++ = c;
        }
    }

    if (cut) {
        p = ngx_cpymem(p, "...", 3);
    }

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_kmip_op_log(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_str_t         text;
    ngx_kmip_item_t  *msg;

    msg = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_LOG_MESSAGE);

    if (msg == NULL) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "Log needs a Log Message");
    }

    if (msg->type != NGX_KMIP_TYPE_TEXT_STRING) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Log Message is not a Text String");
    }

    if (ngx_kmip_log_text(r->pool, msg->v.str.data, msg->v.str.len,
                          NGX_KMIP_LOG_MAX, &text)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_INFO, r->log, 0,
                  "kmip: client log message \"%V\" (%uz bytes, server "
                  "correlation value %V)",
                  &text, (size_t) msg->v.str.len, &r->server_correlation);

    /* an empty payload, as the specification has it */

    out->payload = ngx_kmip_payload_new(r);
    if (out->payload == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}
