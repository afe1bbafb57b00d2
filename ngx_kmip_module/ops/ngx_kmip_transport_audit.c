
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_store.h"
#include "ngx_kmip_transport.h"


/*
 * What the operator sees of each batch item, whatever carried it: one
 * line in the audit log (kmip_audit_log) and the count of its operation
 * and result in the metrics zone, which the stream module's kmip_metrics
 * creates and serves (ngx_stream_kmip_operator.c). Requests served over
 * HTTPS are counted twice: in every transport's counters and in the
 * HTTPS ones.
 */


#define NGX_KMIP_AUDIT_MAX    4096
#define NGX_KMIP_AUDIT_TEXT   1024   /* of a client's Log Message */


static void ngx_kmip_audit_line(ngx_kmip_req_t *r, ngx_uint_t n,
    ngx_open_file_t *file, ngx_kmip_audit_who_t *who);
static u_char *ngx_kmip_audit_who(ngx_kmip_req_t *r, ngx_uint_t n,
    ngx_kmip_audit_who_t *who, u_char *p, u_char *last);
static u_char *ngx_kmip_audit_log_message(ngx_kmip_req_t *r,
    ngx_uint_t n, u_char *p, u_char *last);
static u_char *ngx_kmip_audit_result(ngx_kmip_response_item_t *out,
    u_char *p, u_char *last);
static u_char *ngx_kmip_audit_kp_calls(ngx_kmip_req_t *r, u_char *p,
    u_char *last);
static u_char *ngx_kmip_audit_object(ngx_kmip_req_t *r, ngx_str_t *uid,
    u_char *p, u_char *last);


/* the process's metrics: one zone per nginx instance, NULL without one */
ngx_kmip_metrics_t  *ngx_kmip_metrics;


/* kmip_audit_log PATH [json] | off (cmd->offset: an ngx_open_file_t *) */

char *
ngx_kmip_conf_audit_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_open_file_t  **file = (ngx_open_file_t **) ((char *) conf
                                                    + cmd->offset);

    ngx_str_t  *value;

    if (*file != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts != 2) {
            return "takes no format with \"off\"";
        }

        *file = NULL;
        return NGX_CONF_OK;
    }

    if (cf->args->nelts == 3 && ngx_strcmp(value[2].data, "json") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown kmip_audit_log format \"%V\" (only "
                           "\"json\")", &value[2]);
        return NGX_CONF_ERROR;
    }

    /* nginx opens it, and reopens it on USR1 like its own logs */

    *file = ngx_conf_open_file(cf->cycle, &value[1]);
    if (*file == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* a request's key cache, and the trace of calls the audit log names */

void
ngx_kmip_audit_init_req(ngx_kmip_req_t *r, ngx_kmip_cache_t *cache,
    ngx_open_file_t *audit)
{
    if (r->store == NULL) {
        return;
    }

    r->store->cache = cache;

    if (audit) {
        r->store->trace = ngx_array_create(r->pool, 4, sizeof(ngx_str_t *));
    }
}


static ngx_uint_t
ngx_kmip_metrics_result(ngx_kmip_response_item_t *out)
{
    if (out->result_status == NGX_KMIP_STATUS_SUCCESS) {
        return 0;
    }

    if (out->result_status == NGX_KMIP_STATUS_OPERATION_UNDONE) {
        return NGX_KMIP_M_UNDONE;
    }

    if (out->result_reason == 0
        || out->result_reason == NGX_KMIP_REASON_GENERAL_FAILURE)
    {
        return NGX_KMIP_M_GENERAL;
    }

    if (out->result_reason < NGX_KMIP_M_OTHER) {
        return out->result_reason;
    }

    return NGX_KMIP_M_OTHER;
}



void
ngx_kmip_audit_item(ngx_kmip_req_t *r, ngx_uint_t n, ngx_open_file_t *audit,
    ngx_kmip_audit_who_t *who)
{
    uint32_t     op;
    ngx_uint_t   res;

    op = r->msg.items[n].operation;
    op = (op < NGX_KMIP_M_OPS) ? op : 0;

    if (ngx_kmip_metrics) {
        res = ngx_kmip_metrics_result(&r->results[n]);

        (void) ngx_atomic_fetch_add(&ngx_kmip_metrics->ops[0][op][res], 1);

        if (who->transport == NGX_KMIP_TRANSPORT_HTTPS) {
            (void) ngx_atomic_fetch_add(&ngx_kmip_metrics->ops[1][op][res],
                                        1);
        }
    }

    if (audit) {
        ngx_kmip_audit_line(r, n, audit, who);
    }
}


/* a JSON string's contents: quotes, backslashes and controls escaped */

static u_char *
ngx_kmip_audit_json_str(u_char *p, u_char *last, const u_char *s, size_t len)
{
    u_char      c;
    size_t      i;
    static u_char  hex[] = "0123456789abcdef";

    for (i = 0; i < len && p + 6 < last; i++) {
        c = s[i];

        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = c;

        } else if (c < 0x20 || c == 0x7f) {
            *p++ = '\\';
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];

        } else {
            *p++ = c;
        }
    }

    return p;
}


static u_char *
ngx_kmip_audit_json_field(u_char *p, u_char *last, const char *name,
    const u_char *s, size_t len)
{
    p = ngx_slprintf(p, last, ",\"%s\":\"", name);
    p = ngx_kmip_audit_json_str(p, last, s, len);

    if (p < last) {
        *p++ = '"';
    }

    return p;
}


static const ngx_kmip_item_t *
ngx_kmip_audit_item_uid(ngx_kmip_req_t *r, ngx_uint_t n)
{
    const ngx_kmip_item_t  *uid;

    uid = ngx_kmip_ttlv_find(r->results[n].payload,
                             NGX_KMIP_TAG_UNIQUE_IDENTIFIER);

    if (uid == NULL) {
        uid = ngx_kmip_ttlv_find(r->msg.items[n].payload,
                                 NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
    }

    if (uid && uid->type != NGX_KMIP_TYPE_TEXT_STRING) {
        return NULL;
    }

    return uid;
}


static void
ngx_kmip_audit_line(ngx_kmip_req_t *r, ngx_uint_t n, ngx_open_file_t *file,
    ngx_kmip_audit_who_t *who)
{
    u_char                 *p, *last, *buf;
    ngx_str_t               uid;
    const ngx_kmip_item_t  *u;

    buf = ngx_pnalloc(r->pool, NGX_KMIP_AUDIT_MAX);
    if (buf == NULL) {
        return;
    }

    p = buf;
    last = buf + NGX_KMIP_AUDIT_MAX - 2;

    p = ngx_kmip_audit_who(r, n, who, p, last);
    p = ngx_kmip_audit_log_message(r, n, p, last);

    ngx_str_null(&uid);
    u = ngx_kmip_audit_item_uid(r, n);

    if (u) {
        uid.data = (u_char *) u->v.str.data;
        uid.len = u->v.str.len;
        p = ngx_kmip_audit_json_field(p, last, "uid", uid.data, uid.len);
    }

    p = ngx_kmip_audit_result(&r->results[n], p, last);

    if (r->store && r->store->fenced > r->item_fenced) {
        /* the client asked for another scope's object: it was told that
           there is none */
        p = ngx_slprintf(p, last, ",\"other_scope\":true");
    }

    p = ngx_slprintf(p, last, ",\"latency_ms\":%M",
                     (ngx_msec_t) (ngx_current_msec - r->item_start));

    p = ngx_kmip_audit_kp_calls(r, p, last);
    p = ngx_kmip_audit_object(r, &uid, p, last);

    if (p > last) {
        p = last;
    }

    *p++ = '}';
    *p++ = '\n';

    if (ngx_write_fd(file->fd, buf, p - buf) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, r->log, ngx_errno,
                      ngx_write_fd_n " to the kmip_audit_log \"%V\" failed",
                      &file->name);
    }
}


/* when, who asked (address, certificate), and what */

static u_char *
ngx_kmip_audit_who(ngx_kmip_req_t *r, ngx_uint_t n, ngx_kmip_audit_who_t *who,
    u_char *p, u_char *last)
{
    ngx_tm_t     tm;
    ngx_str_t   *scope;
    ngx_time_t  *tp;

    static const char  *transports[] = { "kmip", "https" };

    tp = ngx_timeofday();
    ngx_gmtime(tp->sec, &tm);

    p = ngx_slprintf(p, last,
                     "{\"time\":\"%4d-%02d-%02dT%02d:%02d:%02d.%03MZ\"",
                     tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                     tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                     tp->msec);

    p = ngx_slprintf(p, last, ",\"transport\":\"%s\"",
                     transports[who->transport]);

    p = ngx_kmip_audit_json_field(p, last, "client", who->addr->data,
                                  who->addr->len);
    p = ngx_kmip_audit_json_field(p, last, "client_fingerprint",
                                  who->peer->fingerprint.data,
                                  who->peer->fingerprint.len);
    p = ngx_kmip_audit_json_field(p, last, "client_subject",
                                  who->peer->subject.data,
                                  who->peer->subject.len);

    scope = r->scope ? &r->scope->name : &ngx_kmip_scope_default_name;
    p = ngx_kmip_audit_json_field(p, last, "client_scope", scope->data,
                                  scope->len);

    p = ngx_slprintf(p, last,
                     ",\"protocol\":\"%ui.%ui\",\"operation\":\"%s\"",
                     r->version / 100, r->version % 100,
                     ngx_kmip_operation_name(r->msg.items[n].operation));

    return ngx_kmip_audit_json_field(p, last, "server_correlation",
                                     r->server_correlation.data,
                                     r->server_correlation.len);
}


/* what a Log operation asked the server to log: the client's text */

static u_char *
ngx_kmip_audit_log_message(ngx_kmip_req_t *r, ngx_uint_t n, u_char *p,
    u_char *last)
{
    size_t                  len;
    const ngx_kmip_item_t  *u;

    u = ngx_kmip_ttlv_find(r->msg.items[n].payload,
                           NGX_KMIP_TAG_LOG_MESSAGE);

    if (r->msg.items[n].operation != NGX_KMIP_OP_LOG || u == NULL
        || u->type != NGX_KMIP_TYPE_TEXT_STRING)
    {
        return p;
    }

    len = u->v.str.len;

    if (len > NGX_KMIP_AUDIT_TEXT) {
        /* cut between UTF-8 characters, not inside one */
        len = NGX_KMIP_AUDIT_TEXT;

        while (len && (u->v.str.data[len] & 0xc0) == 0x80) {
            len--;
        }
    }

    return ngx_kmip_audit_json_field(p, last, "log_message", u->v.str.data,
                                      len);
}


static u_char *
ngx_kmip_audit_result(ngx_kmip_response_item_t *out, u_char *p,
    u_char *last)
{
    uint32_t  reason;

    p = ngx_slprintf(p, last, ",\"result\":\"%s\"",
                     out->result_status == NGX_KMIP_STATUS_SUCCESS
                     ? "Success"
                     : out->result_status
                       == NGX_KMIP_STATUS_OPERATION_UNDONE
                       ? "OperationUndone" : "OperationFailed");

    if (out->result_status == NGX_KMIP_STATUS_OPERATION_FAILED) {
        reason = out->result_reason ? out->result_reason
                                    : NGX_KMIP_REASON_GENERAL_FAILURE;

        p = ngx_slprintf(p, last, ",\"reason\":\"%s\"",
                         ngx_kmip_result_name(out->result_status, reason));

        if (out->result_message_len) {
            p = ngx_kmip_audit_json_field(p, last, "message",
                                           out->result_message,
                                           out->result_message_len);
        }
    }

    return p;
}


/* the correlation ids of the Key Protect calls this item made */

static u_char *
ngx_kmip_audit_kp_calls(ngx_kmip_req_t *r, u_char *p, u_char *last)
{
    ngx_str_t   **ids;
    ngx_uint_t    i, first;

    if (ngx_kmip_store_trace_mark(r->store) <= r->item_calls) {
        return p;
    }

    ids = r->store->trace->elts;
    first = 1;

    p = ngx_slprintf(p, last, ",\"kp_correlation_ids\":[");

    for (i = r->item_calls; i < r->store->trace->nelts; i++) {
        if (ids[i]->len == 0) {
            continue;
        }

        p = ngx_slprintf(p, last, "%s\"", first ? "" : ",");
        p = ngx_kmip_audit_json_str(p, last, ids[i]->data, ids[i]->len);
        p = ngx_slprintf(p, last, "\"");
        first = 0;
    }

    return ngx_slprintf(p, last, "]");
}


/* what the object read or written says about itself */

static u_char *
ngx_kmip_audit_object(ngx_kmip_req_t *r, ngx_str_t *uid, u_char *p,
    u_char *last)
{
    ngx_uint_t          i;
    ngx_kmip_attr_t    *a;
    ngx_kmip_object_t  *obj;

    static const char  *xattrs[][2] = {
        { "x-Name", "x_name" },
        { "x-Identifier", "x_identifier" },
        { "x-Component", "x_component" },
        { NULL, NULL }
    };

    obj = r->object;

    if (obj == NULL || uid->len == 0 || obj->uid.len != uid->len
        || ngx_strncmp(obj->uid.data, uid->data, uid->len) != 0)
    {
        return p;
    }

    for (i = 0; xattrs[i][0]; i++) {
        a = ngx_kmip_attrs_find(&obj->attributes, xattrs[i][0],
                                ngx_strlen(xattrs[i][0]), -1);

        if (a && a->value && a->value->type == NGX_KMIP_TYPE_TEXT_STRING) {
            p = ngx_kmip_audit_json_field(p, last, xattrs[i][1],
                                           a->value->v.str.data,
                                           a->value->v.str.len);
        }
    }

    return p;
}
