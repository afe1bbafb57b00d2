
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_kp.h"
#include "ngx_kmip_store.h"
#include "ngx_kmip_cache.h"
#include "ngx_kmip_store_kp.h"
#include "ngx_stream_kmip_module.h"
#include "ngx_stream_kmip_operator.h"


/*
 * kmip_key_cache, kmip_audit_log and kmip_metrics (docs/operations.md).
 *
 * The metrics live in one shared memory zone that every worker adds to
 * with atomic increments: operation counts by operation and result, and
 * Key Protect call counts and latency by call. A stream server with
 * "kmip_metrics" answers any connection with an HTTP/1.0 response in
 * Prometheus' text format and closes it.
 */


#define NGX_STREAM_KMIP_M_OPS        64     /* KMIP 2.1 has 0x01..0x3B */
#define NGX_STREAM_KMIP_M_RESULTS    129
#define NGX_STREAM_KMIP_M_OTHER      126    /* a reason beyond the table */
#define NGX_STREAM_KMIP_M_GENERAL    127    /* General Failure, 0x100 */
#define NGX_STREAM_KMIP_M_UNDONE     128    /* Operation Undone */
#define NGX_STREAM_KMIP_M_CALLS      7
#define NGX_STREAM_KMIP_M_KP_RESULTS 10
#define NGX_STREAM_KMIP_M_BUCKETS    12

#define NGX_STREAM_KMIP_AUDIT_MAX    4096
#define NGX_STREAM_KMIP_AUDIT_TEXT   1024   /* of a client's Log Message */


typedef struct {
    ngx_atomic_t   ops[NGX_STREAM_KMIP_M_OPS][NGX_STREAM_KMIP_M_RESULTS];
    ngx_atomic_t   kp_calls[NGX_STREAM_KMIP_M_CALLS]
                           [NGX_STREAM_KMIP_M_KP_RESULTS];
    ngx_atomic_t   kp_buckets[NGX_STREAM_KMIP_M_CALLS]
                             [NGX_STREAM_KMIP_M_BUCKETS];
    ngx_atomic_t   kp_sum_ms[NGX_STREAM_KMIP_M_CALLS];
    ngx_atomic_t   kp_count[NGX_STREAM_KMIP_M_CALLS];
    ngx_atomic_t   cleanups[NGX_KMIP_STORE_CLEANUP_RESULTS];
} ngx_stream_kmip_metrics_t;


typedef struct {
    ngx_shm_zone_t             *zone;
    ngx_stream_kmip_metrics_t  *metrics;
} ngx_stream_kmip_operator_main_conf_t;


typedef struct {
    ngx_kmip_cache_t           *cache;          /* NULL: off */
    ngx_open_file_t            *audit;          /* NULL: off */
    ngx_flag_t                  cache_set;
    ngx_flag_t                  audit_set;
} ngx_stream_kmip_operator_srv_conf_t;


typedef struct {
    ngx_buf_t                  *out;
    u_char                      buf[1024];
} ngx_stream_kmip_metrics_ctx_t;


static ngx_int_t ngx_stream_kmip_operator_init(ngx_conf_t *cf);
static void *ngx_stream_kmip_operator_create_main_conf(ngx_conf_t *cf);
static void *ngx_stream_kmip_operator_create_srv_conf(ngx_conf_t *cf);
static char *ngx_stream_kmip_operator_merge_srv_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_stream_kmip_key_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stream_kmip_audit_log(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stream_kmip_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_stream_kmip_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_stream_kmip_operator_init_process(ngx_cycle_t *cycle);

static void ngx_stream_kmip_item_done(ngx_kmip_req_t *r, ngx_uint_t n);
static void ngx_stream_kmip_kp_observe(ngx_kmip_kp_call_t *call,
    const char *what, ngx_msec_t elapsed);
static void ngx_stream_kmip_cleanup_observe(ngx_kmip_store_cleanup_e what);
static void ngx_stream_kmip_audit(ngx_kmip_req_t *r, ngx_uint_t n,
    ngx_open_file_t *file);
static u_char *ngx_stream_kmip_audit_who(ngx_kmip_req_t *r, ngx_uint_t n,
    u_char *p, u_char *last);
static u_char *ngx_stream_kmip_audit_log_message(ngx_kmip_req_t *r,
    ngx_uint_t n, u_char *p, u_char *last);
static u_char *ngx_stream_kmip_audit_result(ngx_kmip_response_item_t *out,
    u_char *p, u_char *last);
static u_char *ngx_stream_kmip_audit_kp_calls(ngx_kmip_req_t *r, u_char *p,
    u_char *last);
static u_char *ngx_stream_kmip_audit_object(ngx_kmip_req_t *r, ngx_str_t *uid,
    u_char *p, u_char *last);

static void ngx_stream_kmip_metrics_handler(ngx_stream_session_t *s);
static void ngx_stream_kmip_metrics_read(ngx_event_t *rev);
static void ngx_stream_kmip_metrics_write(ngx_event_t *wev);


static ngx_command_t  ngx_stream_kmip_operator_commands[] = {

    { ngx_string("kmip_key_cache"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE12,
      ngx_stream_kmip_key_cache,
      NGX_STREAM_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kmip_audit_log"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE12,
      ngx_stream_kmip_audit_log,
      NGX_STREAM_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kmip_metrics"),
      NGX_STREAM_SRV_CONF|NGX_CONF_NOARGS,
      ngx_stream_kmip_metrics,
      NGX_STREAM_SRV_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_stream_module_t  ngx_stream_kmip_operator_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_stream_kmip_operator_init,         /* postconfiguration */

    ngx_stream_kmip_operator_create_main_conf, /* create main conf */
    NULL,                                  /* init main configuration */

    ngx_stream_kmip_operator_create_srv_conf,  /* create server conf */
    ngx_stream_kmip_operator_merge_srv_conf    /* merge server conf */
};


ngx_module_t  ngx_stream_kmip_operator_module = {
    NGX_MODULE_V1,
    &ngx_stream_kmip_operator_module_ctx,  /* module context */
    ngx_stream_kmip_operator_commands,     /* module directives */
    NGX_STREAM_MODULE,                     /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_stream_kmip_operator_init_process, /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the Key Protect calls, as ngx_kmip_kp.c names them */

static const char  *ngx_stream_kmip_calls[NGX_STREAM_KMIP_M_CALLS] = {
    "create key", "get key", "list keys", "delete key", "wrap", "unwrap",
    "other"
};

static const ngx_msec_t  ngx_stream_kmip_buckets[] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

static const char  *ngx_stream_kmip_bucket_le[] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
    "5", "10", "+Inf"
};


/* the process's metrics: one zone per nginx instance */
static ngx_stream_kmip_metrics_t  *ngx_stream_kmip_metrics_shm;


static void *
ngx_stream_kmip_operator_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool,
                       sizeof(ngx_stream_kmip_operator_main_conf_t));
}


static void *
ngx_stream_kmip_operator_create_srv_conf(ngx_conf_t *cf)
{
    ngx_stream_kmip_operator_srv_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_stream_kmip_operator_srv_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->cache_set = NGX_CONF_UNSET;
    conf->audit_set = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_stream_kmip_operator_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_stream_kmip_operator_srv_conf_t *prev = parent;
    ngx_stream_kmip_operator_srv_conf_t *conf = child;

    if (conf->cache_set == NGX_CONF_UNSET) {
        conf->cache_set = prev->cache_set;
        conf->cache = prev->cache;
    }

    if (conf->audit_set == NGX_CONF_UNSET) {
        conf->audit_set = prev->audit_set;
        conf->audit = prev->audit;
    }

    return NGX_CONF_OK;
}


/* kmip_key_cache zone=NAME:SIZE [ttl=TIME] | off */

static char *
ngx_stream_kmip_key_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_kmip_operator_srv_conf_t *kocf = conf;

    if (kocf->cache_set != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    kocf->cache_set = 1;

    return ngx_kmip_cache_conf(cf, &kocf->cache);
}


/* kmip_audit_log PATH [json] | off */

static char *
ngx_stream_kmip_audit_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_kmip_operator_srv_conf_t *kocf = conf;

    ngx_str_t  *value;

    if (kocf->audit_set != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    kocf->audit_set = 1;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts != 2) {
            return "takes no format with \"off\"";
        }

        kocf->audit = NULL;
        return NGX_CONF_OK;
    }

    if (cf->args->nelts == 3 && ngx_strcmp(value[2].data, "json") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown kmip_audit_log format \"%V\" (only "
                           "\"json\")", &value[2]);
        return NGX_CONF_ERROR;
    }

    /* nginx opens it, and reopens it on USR1 like its own logs */

    kocf->audit = ngx_conf_open_file(cf->cycle, &value[1]);
    if (kocf->audit == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_stream_kmip_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_core_srv_conf_t  *cscf;

    cscf = ngx_stream_conf_get_module_srv_conf(cf, ngx_stream_core_module);

    if (cscf->handler) {
        return "cannot be combined with another content handler "
               "(kmip, proxy_pass, ...) in the same server";
    }

    cscf->handler = ngx_stream_kmip_metrics_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_stream_kmip_operator_init(ngx_conf_t *cf)
{
    ngx_str_t                              name = ngx_string("kmip_metrics");
    ngx_stream_kmip_operator_main_conf_t  *komcf;

    komcf = ngx_stream_conf_get_module_main_conf(cf,
                                             ngx_stream_kmip_operator_module);

    komcf->zone = ngx_shared_memory_add(cf, &name,
                                        sizeof(ngx_stream_kmip_metrics_t)
                                        + 64 * ngx_pagesize,
                                        &ngx_stream_kmip_operator_module);
    if (komcf->zone == NULL) {
        return NGX_ERROR;
    }

    komcf->zone->init = ngx_stream_kmip_metrics_init_zone;
    komcf->zone->data = komcf;

    return NGX_OK;
}


static ngx_int_t
ngx_stream_kmip_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_stream_kmip_operator_main_conf_t  *old = data;

    ngx_slab_pool_t                       *shpool;
    ngx_stream_kmip_operator_main_conf_t  *komcf;

    komcf = shm_zone->data;

    if (old && old->metrics) {
        /* a reload keeps the counters: Prometheus counters never reset */
        komcf->metrics = old->metrics;
        goto done;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        komcf->metrics = shpool->data;
        goto done;
    }

    komcf->metrics = ngx_slab_calloc(shpool,
                                     sizeof(ngx_stream_kmip_metrics_t));
    if (komcf->metrics == NULL) {
        return NGX_ERROR;
    }

    shpool->data = komcf->metrics;

done:

    ngx_stream_kmip_metrics_shm = komcf->metrics;

    return NGX_OK;
}


static ngx_int_t
ngx_stream_kmip_operator_init_process(ngx_cycle_t *cycle)
{
    ngx_kmip_kp_observer = ngx_stream_kmip_kp_observe;
    ngx_kmip_store_cleanup_observer = ngx_stream_kmip_cleanup_observe;

    return NGX_OK;
}


void
ngx_stream_kmip_operator_init_req(ngx_stream_session_t *s, ngx_kmip_req_t *r)
{
    ngx_stream_kmip_operator_srv_conf_t  *kocf;

    kocf = ngx_stream_get_module_srv_conf(s, ngx_stream_kmip_operator_module);

    r->item_done = ngx_stream_kmip_item_done;

    if (r->store == NULL) {
        return;
    }

    /* the node's key cache, and the trace of calls the audit log names */

    r->store->cache = kocf->cache;

    if (kocf->audit) {
        r->store->trace = ngx_array_create(r->pool, 4, sizeof(ngx_str_t *));
    }
}


/* ------------------------------------------------------------- metrics */

static ngx_uint_t
ngx_stream_kmip_result_index(ngx_kmip_response_item_t *out)
{
    if (out->result_status == NGX_KMIP_STATUS_SUCCESS) {
        return 0;
    }

    if (out->result_status == NGX_KMIP_STATUS_OPERATION_UNDONE) {
        return NGX_STREAM_KMIP_M_UNDONE;
    }

    if (out->result_reason == 0
        || out->result_reason == NGX_KMIP_REASON_GENERAL_FAILURE)
    {
        return NGX_STREAM_KMIP_M_GENERAL;
    }

    if (out->result_reason < NGX_STREAM_KMIP_M_OTHER) {
        return out->result_reason;
    }

    return NGX_STREAM_KMIP_M_OTHER;
}


static void
ngx_stream_kmip_item_done(ngx_kmip_req_t *r, ngx_uint_t n)
{
    uint32_t                              op;
    ngx_kmip_response_item_t             *out;
    ngx_stream_kmip_ctx_t                *ctx;
    ngx_stream_kmip_operator_srv_conf_t  *kocf;

    out = &r->results[n];
    op = r->msg.items[n].operation;

    if (ngx_stream_kmip_metrics_shm) {
        (void) ngx_atomic_fetch_add(
            &ngx_stream_kmip_metrics_shm->ops
                [op < NGX_STREAM_KMIP_M_OPS ? op : 0]
                [ngx_stream_kmip_result_index(out)], 1);
    }

    ctx = r->data;

    kocf = ngx_stream_get_module_srv_conf(ctx->session,
                                          ngx_stream_kmip_operator_module);

    if (kocf->audit) {
        ngx_stream_kmip_audit(r, n, kocf->audit);
    }
}


static void
ngx_stream_kmip_kp_observe(ngx_kmip_kp_call_t *call, const char *what,
    ngx_msec_t elapsed)
{
    ngx_uint_t                  i, b, res;
    ngx_stream_kmip_metrics_t  *m;

    m = ngx_stream_kmip_metrics_shm;
    if (m == NULL) {
        return;
    }

    for (i = 0; i < NGX_STREAM_KMIP_M_CALLS - 1; i++) {
        if (ngx_strcmp(what, ngx_stream_kmip_calls[i]) == 0) {
            break;
        }
    }

    for (b = 0; b < NGX_STREAM_KMIP_M_BUCKETS - 1; b++) {
        if (elapsed <= ngx_stream_kmip_buckets[b]) {
            break;
        }
    }

    res = (ngx_uint_t) call->result;
    if (res >= NGX_STREAM_KMIP_M_KP_RESULTS) {
        res = NGX_STREAM_KMIP_M_KP_RESULTS - 1;
    }

    (void) ngx_atomic_fetch_add(&m->kp_calls[i][res], 1);
    (void) ngx_atomic_fetch_add(&m->kp_buckets[i][b], 1);
    (void) ngx_atomic_fetch_add(&m->kp_sum_ms[i], elapsed);
    (void) ngx_atomic_fetch_add(&m->kp_count[i], 1);
}


static void
ngx_stream_kmip_cleanup_observe(ngx_kmip_store_cleanup_e what)
{
    ngx_stream_kmip_metrics_t  *m;

    m = ngx_stream_kmip_metrics_shm;

    if (m && (ngx_uint_t) what < NGX_KMIP_STORE_CLEANUP_RESULTS) {
        (void) ngx_atomic_fetch_add(&m->cleanups[what], 1);
    }
}


static u_char *
ngx_stream_kmip_result_label(u_char *p, u_char *last, ngx_uint_t idx)
{
    uint32_t     reason;
    const char  *name;

    if (idx == 0) {
        return ngx_slprintf(p, last, "Success");
    }

    if (idx == NGX_STREAM_KMIP_M_OTHER) {
        return ngx_slprintf(p, last, "OtherFailure");
    }

    if (idx == NGX_STREAM_KMIP_M_UNDONE) {
        return ngx_slprintf(p, last, "OperationUndone");
    }

    reason = (idx == NGX_STREAM_KMIP_M_GENERAL)
             ? NGX_KMIP_REASON_GENERAL_FAILURE : (uint32_t) idx;

    name = ngx_kmip_result_name(NGX_KMIP_STATUS_OPERATION_FAILED,
                                reason);

    if (ngx_strcmp(name, "Failed") == 0) {
        return ngx_slprintf(p, last, "Reason0x%02xD", reason);
    }

    return ngx_slprintf(p, last, "%s", name);
}


static ngx_buf_t *
ngx_stream_kmip_metrics_render(ngx_pool_t *pool)
{
    size_t                      size;
    u_char                     *p, *last, *body;
    ngx_uint_t                  o, i, j, cum;
    ngx_atomic_uint_t           v;
    ngx_buf_t                  *b;
    ngx_stream_kmip_metrics_t  *m;

    m = ngx_stream_kmip_metrics_shm;

    size = 256 * 1024;

    b = ngx_create_temp_buf(pool, size);
    if (b == NULL) {
        return NULL;
    }

    /* the header is written last, when the body's length is known */
    body = b->start + 256;
    p = body;
    last = b->end;

    p = ngx_slprintf(p, last,
             "# HELP kmip_operations_total KMIP batch items answered, by "
             "operation and result.\n"
             "# TYPE kmip_operations_total counter\n");

    for (o = 0; m && o < NGX_STREAM_KMIP_M_OPS; o++) {
        for (i = 0; i < NGX_STREAM_KMIP_M_RESULTS; i++) {
            v = m->ops[o][i];
            if (v == 0) {
                continue;
            }

            p = ngx_slprintf(p, last,
                             "kmip_operations_total{operation=\"%s\","
                             "result=\"",
                             ngx_kmip_operation_name((uint32_t) o));
            p = ngx_stream_kmip_result_label(p, last, i);
            p = ngx_slprintf(p, last, "\"} %uA\n", v);
        }
    }

    p = ngx_slprintf(p, last,
             "# HELP kmip_keyprotect_calls_total Key Protect calls, by "
             "call and result.\n"
             "# TYPE kmip_keyprotect_calls_total counter\n");

    for (i = 0; m && i < NGX_STREAM_KMIP_M_CALLS; i++) {
        for (j = 0; j < NGX_STREAM_KMIP_M_KP_RESULTS; j++) {
            v = m->kp_calls[i][j];
            if (v == 0) {
                continue;
            }

            p = ngx_slprintf(p, last,
                             "kmip_keyprotect_calls_total{call=\"%s\","
                             "result=\"%s\"} %uA\n",
                             ngx_stream_kmip_calls[i],
                             ngx_kmip_kp_result_text(
                                              (ngx_kmip_kp_result_e) j),
                             v);
        }
    }

    p = ngx_slprintf(p, last,
             "# HELP kmip_keyprotect_call_duration_seconds Key Protect "
             "call latency, retries and token waits included.\n"
             "# TYPE kmip_keyprotect_call_duration_seconds histogram\n");

    for (i = 0; m && i < NGX_STREAM_KMIP_M_CALLS; i++) {
        if (m->kp_count[i] == 0) {
            continue;
        }

        cum = 0;

        for (j = 0; j < NGX_STREAM_KMIP_M_BUCKETS; j++) {
            cum += m->kp_buckets[i][j];
            p = ngx_slprintf(p, last,
                             "kmip_keyprotect_call_duration_seconds_bucket"
                             "{call=\"%s\",le=\"%s\"} %ui\n",
                             ngx_stream_kmip_calls[i],
                             ngx_stream_kmip_bucket_le[j], cum);
        }

        v = m->kp_sum_ms[i];

        p = ngx_slprintf(p, last,
                         "kmip_keyprotect_call_duration_seconds_sum"
                         "{call=\"%s\"} %uA.%03uA\n"
                         "kmip_keyprotect_call_duration_seconds_count"
                         "{call=\"%s\"} %uA\n",
                         ngx_stream_kmip_calls[i], v / 1000, v % 1000,
                         ngx_stream_kmip_calls[i], m->kp_count[i]);
    }

    p = ngx_slprintf(p, last,
             "# HELP kmip_keyprotect_cleanups_total Superseded generations "
             "deleted after the answer, by outcome.\n"
             "# TYPE kmip_keyprotect_cleanups_total counter\n");

    for (i = 0; m && i < NGX_KMIP_STORE_CLEANUP_RESULTS; i++) {
        p = ngx_slprintf(p, last,
                         "kmip_keyprotect_cleanups_total{result=\"%s\"} "
                         "%uA\n",
                         ngx_kmip_store_cleanup_names[i], m->cleanups[i]);
    }

    size = p - body;

    /* the header, right before the body */
    {
        u_char  hdr[256], *h;

        h = ngx_sprintf(hdr, "HTTP/1.0 200 OK\r\n"
                        "Content-Type: text/plain; version=0.0.4\r\n"
                        "Content-Length: %uz\r\n"
                        "Connection: close\r\n\r\n", size);

        b->pos = body - (h - hdr);
        ngx_memcpy(b->pos, hdr, h - hdr);
    }

    b->last = p;

    return b;
}


static void
ngx_stream_kmip_metrics_handler(ngx_stream_session_t *s)
{
    ngx_connection_t               *c;
    ngx_stream_kmip_metrics_ctx_t  *mctx;

    c = s->connection;

    mctx = ngx_pcalloc(c->pool, sizeof(ngx_stream_kmip_metrics_ctx_t));
    if (mctx == NULL) {
        ngx_stream_finalize_session(s, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_stream_set_ctx(s, mctx, ngx_stream_kmip_operator_module);

    c->log->action = "reading a metrics request";

    c->read->handler = ngx_stream_kmip_metrics_read;
    c->write->handler = ngx_stream_kmip_metrics_write;

    ngx_add_timer(c->read, 10000);

    ngx_stream_kmip_metrics_read(c->read);
}


/*
 * Reads what the scraper sent (up to the end of its headers, or 1 KB)
 * before answering, so that closing the connection afterwards never
 * resets it with unread data.
 */

static void
ngx_stream_kmip_metrics_read(ngx_event_t *rev)
{
    ssize_t                         n;
    ngx_connection_t               *c;
    ngx_stream_session_t           *s;
    ngx_stream_kmip_metrics_ctx_t  *mctx;

    c = rev->data;
    s = c->data;
    mctx = ngx_stream_get_module_ctx(s, ngx_stream_kmip_operator_module);

    if (rev->timedout) {
        ngx_stream_finalize_session(s, NGX_STREAM_OK);
        return;
    }

    if (mctx->out) {
        /* answered already: drain */
        while (c->recv(c, mctx->buf, sizeof(mctx->buf)) > 0) { /* void */ }
        return;
    }

    for ( ;; ) {
        n = c->recv(c, mctx->buf, sizeof(mctx->buf));

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(rev, 0) != NGX_OK) {
                ngx_stream_finalize_session(s,
                                           NGX_STREAM_INTERNAL_SERVER_ERROR);
            }

            return;
        }

        if (n == NGX_ERROR || n == 0) {
            ngx_stream_finalize_session(s, NGX_STREAM_OK);
            return;
        }

        /* scrapers send one small request: its first bytes will do */
        break;
    }

    mctx->out = ngx_stream_kmip_metrics_render(c->pool);
    if (mctx->out == NULL) {
        ngx_stream_finalize_session(s, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    c->log->action = "sending metrics";

    ngx_stream_kmip_metrics_write(c->write);
}


static void
ngx_stream_kmip_metrics_write(ngx_event_t *wev)
{
    ssize_t                         n;
    ngx_buf_t                      *b;
    ngx_connection_t               *c;
    ngx_stream_session_t           *s;
    ngx_stream_kmip_metrics_ctx_t  *mctx;

    c = wev->data;
    s = c->data;
    mctx = ngx_stream_get_module_ctx(s, ngx_stream_kmip_operator_module);

    b = mctx->out;
    if (b == NULL) {
        return;
    }

    while (b->pos < b->last) {
        n = c->send(c, b->pos, b->last - b->pos);

        if (n == NGX_AGAIN) {
            ngx_add_timer(wev, 10000);

            if (ngx_handle_write_event(wev, 0) != NGX_OK) {
                ngx_stream_finalize_session(s,
                                           NGX_STREAM_INTERNAL_SERVER_ERROR);
            }

            return;
        }

        if (n == NGX_ERROR) {
            ngx_stream_finalize_session(s, NGX_STREAM_OK);
            return;
        }

        b->pos += n;
    }

    ngx_stream_finalize_session(s, NGX_STREAM_OK);
}


/* ---------------------------------------------------------- audit log */

/* a JSON string's contents: quotes, backslashes and controls escaped */

static u_char *
ngx_stream_kmip_json_str(u_char *p, u_char *last, const u_char *s, size_t len)
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
ngx_stream_kmip_json_field(u_char *p, u_char *last, const char *name,
    const u_char *s, size_t len)
{
    p = ngx_slprintf(p, last, ",\"%s\":\"", name);
    p = ngx_stream_kmip_json_str(p, last, s, len);

    if (p < last) {
        *p++ = '"';
    }

    return p;
}


static const ngx_kmip_item_t *
ngx_stream_kmip_item_uid(ngx_kmip_req_t *r, ngx_uint_t n)
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
ngx_stream_kmip_audit(ngx_kmip_req_t *r, ngx_uint_t n, ngx_open_file_t *file)
{
    u_char                 *p, *last, *buf;
    ngx_str_t               uid;
    const ngx_kmip_item_t  *u;

    buf = ngx_pnalloc(r->pool, NGX_STREAM_KMIP_AUDIT_MAX);
    if (buf == NULL) {
        return;
    }

    p = buf;
    last = buf + NGX_STREAM_KMIP_AUDIT_MAX - 2;

    p = ngx_stream_kmip_audit_who(r, n, p, last);
    p = ngx_stream_kmip_audit_log_message(r, n, p, last);

    ngx_str_null(&uid);
    u = ngx_stream_kmip_item_uid(r, n);

    if (u) {
        uid.data = (u_char *) u->v.str.data;
        uid.len = u->v.str.len;
        p = ngx_stream_kmip_json_field(p, last, "uid", uid.data, uid.len);
    }

    p = ngx_stream_kmip_audit_result(&r->results[n], p, last);

    if (r->store && r->store->fenced > r->item_fenced) {
        /* the client asked for another scope's object: it was told that
           there is none */
        p = ngx_slprintf(p, last, ",\"other_scope\":true");
    }

    p = ngx_slprintf(p, last, ",\"latency_ms\":%M",
                     (ngx_msec_t) (ngx_current_msec - r->item_start));

    p = ngx_stream_kmip_audit_kp_calls(r, p, last);
    p = ngx_stream_kmip_audit_object(r, &uid, p, last);

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
ngx_stream_kmip_audit_who(ngx_kmip_req_t *r, ngx_uint_t n, u_char *p,
    u_char *last)
{
    ngx_tm_t                tm;
    ngx_str_t              *scope;
    ngx_time_t             *tp;
    ngx_connection_t       *c;
    ngx_stream_kmip_ctx_t  *ctx;

    ctx = r->data;
    c = ctx->session->connection;

    tp = ngx_timeofday();
    ngx_gmtime(tp->sec, &tm);

    p = ngx_slprintf(p, last,
                     "{\"time\":\"%4d-%02d-%02dT%02d:%02d:%02d.%03MZ\"",
                     tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                     tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                     tp->msec);

    p = ngx_stream_kmip_json_field(p, last, "client", c->addr_text.data,
                                   c->addr_text.len);
    p = ngx_stream_kmip_json_field(p, last, "client_fingerprint",
                                   ctx->fingerprint.data,
                                   ctx->fingerprint.len);
    p = ngx_stream_kmip_json_field(p, last, "client_subject",
                                   ctx->subject.data, ctx->subject.len);

    scope = r->scope ? &r->scope->name : &ngx_kmip_scope_default_name;
    p = ngx_stream_kmip_json_field(p, last, "client_scope", scope->data,
                                   scope->len);

    p = ngx_slprintf(p, last, ",\"protocol\":\"%ui.%ui\",\"operation\":\"%s\"",
                     r->version / 100, r->version % 100,
                     ngx_kmip_operation_name(r->msg.items[n].operation));

    return ngx_stream_kmip_json_field(p, last, "server_correlation",
                                      r->server_correlation.data,
                                      r->server_correlation.len);
}


/* what a Log operation asked the server to log: the client's text */

static u_char *
ngx_stream_kmip_audit_log_message(ngx_kmip_req_t *r, ngx_uint_t n, u_char *p,
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

    if (len > NGX_STREAM_KMIP_AUDIT_TEXT) {
        /* cut between UTF-8 characters, not inside one */
        len = NGX_STREAM_KMIP_AUDIT_TEXT;

        while (len && (u->v.str.data[len] & 0xc0) == 0x80) {
            len--;
        }
    }

    return ngx_stream_kmip_json_field(p, last, "log_message", u->v.str.data,
                                      len);
}


static u_char *
ngx_stream_kmip_audit_result(ngx_kmip_response_item_t *out, u_char *p,
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
            p = ngx_stream_kmip_json_field(p, last, "message",
                                           out->result_message,
                                           out->result_message_len);
        }
    }

    return p;
}


/* the correlation ids of the Key Protect calls this item made */

static u_char *
ngx_stream_kmip_audit_kp_calls(ngx_kmip_req_t *r, u_char *p, u_char *last)
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
        p = ngx_stream_kmip_json_str(p, last, ids[i]->data, ids[i]->len);
        p = ngx_slprintf(p, last, "\"");
        first = 0;
    }

    return ngx_slprintf(p, last, "]");
}


/* what the object read or written says about itself */

static u_char *
ngx_stream_kmip_audit_object(ngx_kmip_req_t *r, ngx_str_t *uid, u_char *p,
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
            p = ngx_stream_kmip_json_field(p, last, xattrs[i][1],
                                           a->value->v.str.data,
                                           a->value->v.str.len);
        }
    }

    return p;
}
