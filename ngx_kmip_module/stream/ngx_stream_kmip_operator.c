
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
#include "ngx_kmip_transport.h"
#include "ngx_stream_kmip_module.h"
#include "ngx_stream_kmip_operator.h"


/*
 * kmip_key_cache, kmip_audit_log and kmip_metrics (docs/operations.md).
 *
 * The metrics live in one shared memory zone that every worker adds to
 * with atomic increments: operation counts by operation and result (of
 * every transport, and of HTTPS alone: the http module counts into the
 * same zone, ngx_kmip_transport_audit.c), and Key Protect call counts and
 * latency by call. A stream server with "kmip_metrics" answers any
 * connection with an HTTP/1.0 response in Prometheus' text format and
 * closes it.
 */


typedef struct {
    ngx_shm_zone_t             *zone;
    ngx_kmip_metrics_t         *metrics;
} ngx_stream_kmip_operator_main_conf_t;


typedef struct {
    ngx_kmip_cache_t           *cache;          /* NULL: off */
    ngx_open_file_t            *audit;          /* NULL: off */
    ngx_flag_t                  cache_set;
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
static char *ngx_stream_kmip_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_stream_kmip_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_stream_kmip_operator_init_process(ngx_cycle_t *cycle);

static void ngx_stream_kmip_item_done(ngx_kmip_req_t *r, ngx_uint_t n);
static void ngx_stream_kmip_kp_observe(ngx_kmip_kp_call_t *call,
    const char *what, ngx_msec_t elapsed);
static void ngx_stream_kmip_cleanup_observe(ngx_kmip_store_cleanup_e what);

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
      ngx_kmip_conf_audit_log,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_operator_srv_conf_t, audit),
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

static const char  *ngx_stream_kmip_calls[NGX_KMIP_M_CALLS] = {
    "create key", "get key", "list keys", "delete key", "create alias",
    "wrap", "unwrap", "other"
};

static const ngx_msec_t  ngx_stream_kmip_buckets[] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

static const char  *ngx_stream_kmip_bucket_le[] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
    "5", "10", "+Inf"
};


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
    conf->audit = NGX_CONF_UNSET_PTR;

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

    ngx_conf_merge_ptr_value(conf->audit, prev->audit, NULL);

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
                                        sizeof(ngx_kmip_metrics_t)
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
                                     sizeof(ngx_kmip_metrics_t));
    if (komcf->metrics == NULL) {
        return NGX_ERROR;
    }

    shpool->data = komcf->metrics;

done:

    ngx_kmip_metrics = komcf->metrics;

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

    ngx_kmip_audit_init_req(r, kocf->cache, kocf->audit);
}


/* ------------------------------------------------------------- metrics */

static void
ngx_stream_kmip_item_done(ngx_kmip_req_t *r, ngx_uint_t n)
{
    ngx_stream_kmip_ctx_t                *ctx;
    ngx_kmip_audit_who_t                  who;
    ngx_stream_kmip_operator_srv_conf_t  *kocf;

    ctx = r->data;

    kocf = ngx_stream_get_module_srv_conf(ctx->session,
                                          ngx_stream_kmip_operator_module);

    who.transport = NGX_KMIP_TRANSPORT_KMIP;
    who.addr = &ctx->session->connection->addr_text;
    who.peer = &ctx->peer;

    ngx_kmip_audit_item(r, n, kocf->audit, &who);
}


static void
ngx_stream_kmip_kp_observe(ngx_kmip_kp_call_t *call, const char *what,
    ngx_msec_t elapsed)
{
    ngx_uint_t                  i, b, res;
    ngx_kmip_metrics_t  *m;

    m = ngx_kmip_metrics;
    if (m == NULL) {
        return;
    }

    for (i = 0; i < NGX_KMIP_M_CALLS - 1; i++) {
        if (ngx_strcmp(what, ngx_stream_kmip_calls[i]) == 0) {
            break;
        }
    }

    for (b = 0; b < NGX_KMIP_M_BUCKETS - 1; b++) {
        if (elapsed <= ngx_stream_kmip_buckets[b]) {
            break;
        }
    }

    res = (ngx_uint_t) call->result;
    if (res >= NGX_KMIP_M_KP_RESULTS) {
        res = NGX_KMIP_M_KP_RESULTS - 1;
    }

    (void) ngx_atomic_fetch_add(&m->kp_calls[i][res], 1);
    (void) ngx_atomic_fetch_add(&m->kp_buckets[i][b], 1);
    (void) ngx_atomic_fetch_add(&m->kp_sum_ms[i], elapsed);
    (void) ngx_atomic_fetch_add(&m->kp_count[i], 1);
}


static void
ngx_stream_kmip_cleanup_observe(ngx_kmip_store_cleanup_e what)
{
    ngx_kmip_metrics_t  *m;

    m = ngx_kmip_metrics;

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

    if (idx == NGX_KMIP_M_OTHER) {
        return ngx_slprintf(p, last, "OtherFailure");
    }

    if (idx == NGX_KMIP_M_UNDONE) {
        return ngx_slprintf(p, last, "OperationUndone");
    }

    reason = (idx == NGX_KMIP_M_GENERAL)
             ? NGX_KMIP_REASON_GENERAL_FAILURE : (uint32_t) idx;

    name = ngx_kmip_result_name(NGX_KMIP_STATUS_OPERATION_FAILED,
                                reason);

    if (ngx_strcmp(name, "Failed") == 0) {
        return ngx_slprintf(p, last, "Reason0x%02xD", reason);
    }

    return ngx_slprintf(p, last, "%s", name);
}


/* the operation counts of one transport, or (t = 0) of all */

static u_char *
ngx_stream_kmip_metrics_ops(u_char *p, u_char *last, ngx_kmip_metrics_t *m,
    ngx_uint_t t, const char *name)
{
    ngx_uint_t         o, i;
    ngx_atomic_uint_t  v;

    for (o = 0; m && o < NGX_KMIP_M_OPS; o++) {
        for (i = 0; i < NGX_KMIP_M_RESULTS; i++) {
            v = m->ops[t][o][i];
            if (v == 0) {
                continue;
            }

            p = ngx_slprintf(p, last, "%s{operation=\"%s\",result=\"",
                             name, ngx_kmip_operation_name((uint32_t) o));
            p = ngx_stream_kmip_result_label(p, last, i);
            p = ngx_slprintf(p, last, "\"} %uA\n", v);
        }
    }

    return p;
}


static ngx_buf_t *
ngx_stream_kmip_metrics_render(ngx_pool_t *pool)
{
    size_t                      size;
    u_char                     *p, *last, *body;
    ngx_uint_t                  i, j, cum;
    ngx_atomic_uint_t           v;
    ngx_buf_t                  *b;
    ngx_kmip_metrics_t         *m;

    m = ngx_kmip_metrics;

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

    p = ngx_stream_kmip_metrics_ops(p, last, m, 0, "kmip_operations_total");

    p = ngx_slprintf(p, last,
             "# HELP kmip_https_operations_total KMIP batch items answered "
             "over HTTPS (counted in kmip_operations_total too), by "
             "operation and result.\n"
             "# TYPE kmip_https_operations_total counter\n");

    p = ngx_stream_kmip_metrics_ops(p, last, m, 1,
                                    "kmip_https_operations_total");

    p = ngx_slprintf(p, last,
             "# HELP kmip_keyprotect_calls_total Key Protect calls, by "
             "call and result.\n"
             "# TYPE kmip_keyprotect_calls_total counter\n");

    for (i = 0; m && i < NGX_KMIP_M_CALLS; i++) {
        for (j = 0; j < NGX_KMIP_M_KP_RESULTS; j++) {
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

    for (i = 0; m && i < NGX_KMIP_M_CALLS; i++) {
        if (m->kp_count[i] == 0) {
            continue;
        }

        cum = 0;

        for (j = 0; j < NGX_KMIP_M_BUCKETS; j++) {
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
