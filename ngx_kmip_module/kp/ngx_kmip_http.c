
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "ngx_kmip_http.h"
#include "ngx_kmip_kp.h"


#define NGX_KMIP_HTTP_BACKOFF_BASE     200
#define NGX_KMIP_HTTP_BACKOFF_MAX      5000
#define NGX_KMIP_HTTP_RETRY_AFTER_MAX  30000
#define NGX_KMIP_HTTP_BUFFER_SIZE      4096
#define NGX_KMIP_HTTP_DNS_MIN_VALID    5


/*
 * The first fields mimic ngx_connection_t (data, read, write, fd), so that
 * the debug logging of timers can read an fd through ev->data.
 */

typedef struct {
    void                       *data;
    void                       *read;
    void                       *write;
    ngx_int_t                   ident;
} ngx_kmip_http_ident_t;


typedef struct {
    ngx_kmip_http_ident_t       ident;          /* must be first */

    ngx_kmip_http_req_t        *request;
    CURL                       *easy;
    struct curl_slist          *resolve;
    ngx_resolver_ctx_t         *resolver_ctx;
    ngx_event_t                 backoff;

    ngx_msec_t                  start;
    ngx_msec_t                  deadline;
    ngx_msec_t                  retry_after;

    u_char                     *buf;
    size_t                      len;
    size_t                      size;

    ngx_str_t                   addr;           /* pinned address */

    char                        errbuf[CURL_ERROR_SIZE];

    unsigned                    in_multi:1;
    unsigned                    in_start:1;
    unsigned                    sync_error:1;
    unsigned                    too_large:1;
} ngx_kmip_http_ctx_t;


typedef struct {
    ngx_str_t                   host;
    ngx_str_t                   addr;
    time_t                      valid;
} ngx_kmip_http_dns_t;


typedef struct {
    CURLM                      *multi;
    ngx_event_t                 timer;
    ngx_kmip_http_ident_t       timer_ident;
    ngx_log_t                  *log;
    ngx_pool_t                 *pool;
    ngx_array_t                 dns;            /* ngx_kmip_http_dns_t */
    ngx_uint_t                  transfers;      /* easy handles in multi */
    ngx_connection_t          **sockets;        /* by fd: curl's sockets
                                                   nginx watches */
    ngx_uint_t                  nsockets;
    unsigned                    global_init:1;
} ngx_kmip_http_worker_t;


static ngx_int_t ngx_kmip_http_init_multi(void);
static int ngx_kmip_http_socket_cb(CURL *easy, curl_socket_t s, int what,
    void *userp, void *socketp);
static ngx_int_t ngx_kmip_http_want(ngx_event_t *ev, ngx_int_t event,
    ngx_uint_t want);
static int ngx_kmip_http_timer_cb(CURLM *multi, long timeout_ms,
    void *userp);
static curl_socket_t ngx_kmip_http_opensocket_cb(void *clientp,
    curlsocktype purpose, struct curl_sockaddr *addr);
static int ngx_kmip_http_closesocket_cb(void *clientp, curl_socket_t s);
static ngx_int_t ngx_kmip_http_watch(ngx_kmip_http_worker_t *w,
    curl_socket_t s, ngx_connection_t *c);
static void ngx_kmip_http_unwatch(ngx_kmip_http_worker_t *w,
    curl_socket_t s, ngx_uint_t closed);
static void ngx_kmip_http_close_socket(ngx_connection_t *c,
    ngx_uint_t closed);
static void ngx_kmip_http_socket_handler(ngx_event_t *ev);
static void ngx_kmip_http_timer_handler(ngx_event_t *ev);
static void ngx_kmip_http_check_done(void);
static void ngx_kmip_http_clear_ssl_errors(void);
static void ngx_kmip_http_done(ngx_kmip_http_ctx_t *ctx, CURLcode code);
static ngx_kmip_http_ctx_t *ngx_kmip_http_create_ctx(
    ngx_kmip_http_req_t *r);
static void ngx_kmip_http_set_options(ngx_kmip_http_ctx_t *ctx, u_char *url);
static void ngx_kmip_http_client_cert(CURL *easy,
    ngx_kmip_http_peer_t *peer);
static ngx_int_t ngx_kmip_http_set_method(ngx_kmip_http_ctx_t *ctx);
static ngx_int_t ngx_kmip_http_attempt(ngx_kmip_http_ctx_t *ctx);
static void ngx_kmip_http_resolve_handler(ngx_resolver_ctx_t *rctx);
static ngx_int_t ngx_kmip_http_launch(ngx_kmip_http_ctx_t *ctx);
static void ngx_kmip_http_backoff_handler(ngx_event_t *ev);
static void ngx_kmip_http_finish(ngx_kmip_http_ctx_t *ctx,
    ngx_kmip_http_result_e result);
static void ngx_kmip_http_set_error(ngx_kmip_http_ctx_t *ctx,
    const char *fmt, const char *arg);
static void ngx_kmip_http_cleanup(void *data);
static void ngx_kmip_http_free_transfer(ngx_kmip_http_ctx_t *ctx);
static ngx_int_t ngx_kmip_http_append_line(ngx_kmip_http_req_t *r,
    u_char *line);
static void ngx_kmip_http_wipe_headers(void *data);
static size_t ngx_kmip_http_write_cb(char *ptr, size_t size, size_t nmemb,
    void *userdata);
static size_t ngx_kmip_http_header_cb(char *ptr, size_t size, size_t nitems,
    void *userdata);
static ngx_kmip_http_dns_t *ngx_kmip_http_dns_find(ngx_str_t *host);
static ngx_kmip_http_dns_t *ngx_kmip_http_dns_lookup(ngx_str_t *host);
static void ngx_kmip_http_dns_store(ngx_str_t *host, ngx_str_t *addr,
    time_t valid);


static ngx_kmip_http_worker_t  ngx_kmip_http_worker;


ngx_int_t
ngx_kmip_http_init_process(ngx_cycle_t *cycle)
{
    ngx_kmip_http_worker_t  *w = &ngx_kmip_http_worker;

    ngx_memzero(w, sizeof(ngx_kmip_http_worker_t));

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "curl_global_init() failed");
        return NGX_ERROR;
    }

    w->global_init = 1;
    w->log = cycle->log;

    return NGX_OK;
}


void
ngx_kmip_http_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t               i;
    ngx_kmip_http_dns_t     *d;
    ngx_kmip_http_worker_t  *w = &ngx_kmip_http_worker;

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    if (w->multi) {
        /* closes the cached connections through the close callback */
        curl_multi_cleanup(w->multi);
        w->multi = NULL;
    }

    if (w->sockets) {
        ngx_free(w->sockets);
        w->sockets = NULL;
        w->nsockets = 0;
    }

    if (w->pool) {
        d = w->dns.elts;
        for (i = 0; i < w->dns.nelts; i++) {
            ngx_free(d[i].host.data);
        }

        ngx_destroy_pool(w->pool);
        w->pool = NULL;
    }

    if (w->global_init) {
        curl_global_cleanup();
        w->global_init = 0;
    }
}


static ngx_int_t
ngx_kmip_http_init_multi(void)
{
    ngx_kmip_http_worker_t  *w = &ngx_kmip_http_worker;

    if (w->multi) {
        return NGX_OK;
    }

    if (!w->global_init) {
        /* not a worker (e.g. a single process started without hooks) */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            return NGX_ERROR;
        }

        w->global_init = 1;
    }

    if (w->log == NULL) {
        w->log = ngx_cycle->log;
    }

    w->pool = ngx_create_pool(1024, w->log);
    if (w->pool == NULL) {
        return NGX_ERROR;
    }

    if (ngx_array_init(&w->dns, w->pool, 4, sizeof(ngx_kmip_http_dns_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    w->multi = curl_multi_init();
    if (w->multi == NULL) {
        ngx_log_error(NGX_LOG_ALERT, w->log, 0, "curl_multi_init() failed");
        return NGX_ERROR;
    }

    curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION,
                      ngx_kmip_http_socket_cb);
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION,
                      ngx_kmip_http_timer_cb);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
    /*
     * Keep-alive connections kept for reuse.  Every Key Protect call of a
     * worker may be in flight at once (128 parked KMIP requests are 128+
     * calls): a cache smaller than that closes most connections after one
     * call and opens new ones, which made connect()/close() the worker's
     * main cost under load (bench/, scenario 2).
     */
    curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, 512L);

    w->timer_ident.ident = -1;
    w->timer.data = &w->timer_ident;
    w->timer.handler = ngx_kmip_http_timer_handler;
    w->timer.log = w->log;
    w->timer.cancelable = 1;

    return NGX_OK;
}


/* curl callbacks: they only (un)register events and timers */

/*
 * The connection nginx watches a curl socket with is found by its fd in
 * w->sockets, never through curl's socketp.  libcurl 7.88 may close a
 * socket before it says CURL_POLL_REMOVE, without the close callback: a
 * transfer cancelled during its TLS handshake to Key Protect (a client
 * that left).  Deleting that fd from epoll then fails with EBADF, an
 * [alert].  So: the close callback takes the socket out of epoll before
 * close() when libcurl calls it; a CURL_POLL_REMOVE for an fd that is
 * already closed only forgets the connection (the kernel dropped the fd
 * from epoll when it was closed); and a new socket with the fd of one
 * closed behind our back forgets the old one first (the open callback).
 */

static int
ngx_kmip_http_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp)
{
    ngx_kmip_http_worker_t *w = userp;

    ngx_connection_t  *c;

    c = ((ngx_uint_t) s < w->nsockets) ? w->sockets[s] : NULL;

    if (c && (c->fd != s || c->data != w)) {
        /* the fd was closed without the callback: the slot is stale */
        w->sockets[s] = NULL;
        c = NULL;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, w->log, 0,
                   "kmip http socket: fd:%d what:%d c:%p", s, what, c);

    if (what == CURL_POLL_REMOVE) {
        if (c == NULL) {
            return 0;
        }

        if (fcntl(s, F_GETFD) == -1 && ngx_errno == NGX_EBADF) {
            ngx_log_debug1(NGX_LOG_DEBUG_EVENT, w->log, 0,
                           "kmip http socket: fd:%d closed before removal",
                           s);

            ngx_kmip_http_unwatch(w, s, 1);
            return 0;
        }

        ngx_kmip_http_unwatch(w, s, 0);
        return 0;
    }

    /*
     * A failure here is never returned to libcurl: -1 makes libcurl 7.88
     * mark the whole multi handle dead (CURLM_ABORTED_BY_CALLBACK), which
     * would end every Key Protect call of the worker, and later calls into
     * it crashed. Unwatched, the socket's transfer times out instead, and
     * its state changes try again.
     */

    if (c == NULL) {
        c = ngx_get_connection(s, w->log);
        if (c == NULL) {
            ngx_log_error(NGX_LOG_ALERT, w->log, 0,
                          "kmip http: no free connection for a Key Protect "
                          "socket; the call will time out");
            return 0;
        }

        c->read->log = w->log;
        c->write->log = w->log;
        c->read->handler = ngx_kmip_http_socket_handler;
        c->write->handler = ngx_kmip_http_socket_handler;
        c->data = w;

        if (ngx_kmip_http_watch(w, s, c) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, w->log, 0,
                          "kmip http: no memory to watch a Key Protect "
                          "socket; the call will time out");
            ngx_kmip_http_close_socket(c, 0);
            return 0;
        }
    }

    if (ngx_kmip_http_want(c->read, NGX_READ_EVENT, what & CURL_POLL_IN)
        != NGX_OK)
    {
        return 0;
    }

    (void) ngx_kmip_http_want(c->write, NGX_WRITE_EVENT,
                              what & CURL_POLL_OUT);

    return 0;
}


/* adds or deletes one of a socket's events, as libcurl wants it or not */

static ngx_int_t
ngx_kmip_http_want(ngx_event_t *ev, ngx_int_t event, ngx_uint_t want)
{
    if (want) {
        if (!ev->active) {
            return ngx_add_event(ev, event, 0);
        }

    } else if (ev->active) {
        return ngx_del_event(ev, event, 0);
    }

    return NGX_OK;
}


static curl_socket_t
ngx_kmip_http_opensocket_cb(void *clientp, curlsocktype purpose,
    struct curl_sockaddr *addr)
{
    ngx_kmip_http_worker_t *w = clientp;

    curl_socket_t  s;

    s = socket(addr->family, addr->socktype, addr->protocol);

    if (s != CURL_SOCKET_BAD && (ngx_uint_t) s < w->nsockets
        && w->sockets[s])
    {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, w->log, 0,
                       "kmip http socket: fd:%d was closed unseen", s);

        ngx_kmip_http_unwatch(w, s, 1);
    }

    return s;
}


static int
ngx_kmip_http_closesocket_cb(void *clientp, curl_socket_t s)
{
    ngx_kmip_http_worker_t *w = clientp;

    if ((ngx_uint_t) s < w->nsockets && w->sockets[s]) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, w->log, 0,
                       "kmip http socket: fd:%d closing before removal", s);

        ngx_kmip_http_unwatch(w, s, 0);
    }

    return ngx_close_socket(s);
}


static ngx_int_t
ngx_kmip_http_watch(ngx_kmip_http_worker_t *w, curl_socket_t s,
    ngx_connection_t *c)
{
    ngx_uint_t          n;
    ngx_connection_t  **sockets;

    if ((ngx_uint_t) s >= w->nsockets) {
        n = w->nsockets ? w->nsockets : 64;

        while (n <= (ngx_uint_t) s) {
            n *= 2;
        }

        sockets = ngx_alloc(n * sizeof(ngx_connection_t *), w->log);
        if (sockets == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(sockets, n * sizeof(ngx_connection_t *));

        if (w->sockets) {
            ngx_memcpy(sockets, w->sockets,
                       w->nsockets * sizeof(ngx_connection_t *));
            ngx_free(w->sockets);
        }

        w->sockets = sockets;
        w->nsockets = n;
    }

    w->sockets[s] = c;

    return NGX_OK;
}


static void
ngx_kmip_http_unwatch(ngx_kmip_http_worker_t *w, curl_socket_t s,
    ngx_uint_t closed)
{
    ngx_kmip_http_close_socket(w->sockets[s], closed);
    w->sockets[s] = NULL;
}


/*
 * ngx_close_connection() without close(): curl owns the fd.  "closed": the
 * fd is closed already, and with it gone from epoll.
 */

static void
ngx_kmip_http_close_socket(ngx_connection_t *c, ngx_uint_t closed)
{
    ngx_uint_t  flags;

    flags = closed ? NGX_CLOSE_EVENT : 0;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (ngx_del_conn) {
        if (c->read->active || c->write->active) {
            ngx_del_conn(c, flags);
        }

    } else {
        if (c->read->active) {
            ngx_del_event(c->read, NGX_READ_EVENT, flags);
        }

        if (c->write->active) {
            ngx_del_event(c->write, NGX_WRITE_EVENT, flags);
        }
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;
}


static int
ngx_kmip_http_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    ngx_kmip_http_worker_t *w = userp;

    if (timeout_ms < 0) {
        if (w->timer.timer_set) {
            ngx_del_timer(&w->timer);
        }

        return 0;
    }

    /* ngx_add_timer() keeps a pending timer within 300 ms: delete first */

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    /*
     * a gracefully exiting worker waits for the transfers in flight (they
     * are bounded by kmip_keyprotect_timeout and worker_shutdown_timeout),
     * but not for curl's housekeeping of idle connections
     */
    w->timer.cancelable = (w->transfers == 0);

    ngx_add_timer(&w->timer, (ngx_msec_t) timeout_ms);

    return 0;
}


/* event handlers: the only places that drive curl */

static void
ngx_kmip_http_socket_handler(ngx_event_t *ev)
{
    int                      running, mask;
    ngx_socket_t             fd;
    ngx_connection_t        *c;
    ngx_kmip_http_worker_t  *w = &ngx_kmip_http_worker;

    c = ev->data;
    fd = c->fd;

    if (w->multi == NULL || fd == (ngx_socket_t) -1) {
        return;
    }

    mask = ev->write ? CURL_CSELECT_OUT : CURL_CSELECT_IN;

    if (ev->error) {
        mask |= CURL_CSELECT_ERR;
    }

    /* c may be freed by curl's socket callback from here on */

    (void) curl_multi_socket_action(w->multi, fd, mask, &running);
    ngx_kmip_http_clear_ssl_errors();

    ngx_kmip_http_check_done();
}


static void
ngx_kmip_http_timer_handler(ngx_event_t *ev)
{
    int                      running;
    ngx_kmip_http_worker_t  *w = &ngx_kmip_http_worker;

    if (w->multi == NULL) {
        return;
    }

    (void) curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0,
                                    &running);
    ngx_kmip_http_clear_ssl_errors();

    ngx_kmip_http_check_done();
}


/*
 * libcurl's TLS shares the worker's OpenSSL error queue, and a connection
 * it shuts down in mid-handshake (a call cancelled because its client
 * left) leaves an error there; nginx's next TLS operation on a client
 * connection then logs "ignoring stale global SSL error" as an [alert].
 * Those errors are curl's, already reported through the call's result.
 */

static void
ngx_kmip_http_clear_ssl_errors(void)
{
    ERR_clear_error();
}


static void
ngx_kmip_http_check_done(void)
{
    int                      pending;
    CURL                    *easy;
    CURLMsg                 *msg;
    CURLcode                 code;
    ngx_kmip_http_ctx_t     *ctx;
    ngx_kmip_http_worker_t  *w = &ngx_kmip_http_worker;

    while (w->multi) {
        msg = curl_multi_info_read(w->multi, &pending);
        if (msg == NULL) {
            break;
        }

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        /* msg dies with curl_multi_remove_handle(): copy first */

        easy = msg->easy_handle;
        code = msg->data.result;
        ctx = NULL;

        (void) curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &ctx);

        curl_multi_remove_handle(w->multi, easy);

        if (--w->transfers == 0) {
            w->timer.cancelable = 1;
        }

        if (ctx == NULL) {
            continue;
        }

        ctx->in_multi = 0;

        /* may run the caller's handler, which may start or cancel calls */
        ngx_kmip_http_done(ctx, code);
    }
}


ngx_kmip_http_req_t *
ngx_kmip_http_create(ngx_pool_t *pool, ngx_log_t *log)
{
    ngx_kmip_http_req_t  *r;

    /* its cleanup before the transfer's, so that it runs after it */

    r = ngx_kmip_kp_cleanup_alloc(pool, sizeof(ngx_kmip_http_req_t),
                                  ngx_kmip_http_wipe_headers);
    if (r == NULL) {
        return NULL;
    }

    r->pool = pool;
    r->log = log;
    r->timeout = 10000;
    r->max_response = 1024 * 1024;
    r->max_retries = 3;

    return r;
}


ngx_int_t
ngx_kmip_http_add_header(ngx_kmip_http_req_t *r, const char *name,
    ngx_str_t *value)
{
    size_t   n;
    u_char  *line, *p;

    n = ngx_strlen(name);

    line = ngx_pnalloc(r->pool, n + 2 + value->len + 1);
    if (line == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(line, name, n);
    *p++ = ':';
    *p++ = ' ';
    p = ngx_cpymem(p, value->data, value->len);
    *p = '\0';

    return ngx_kmip_http_append_line(r, line);
}


/*
 * The header list lives in the request's pool, not in curl_slist_append()'s
 * two mallocs per line: curl only reads the list.  The lines (the token's
 * among them) are wiped by ngx_kmip_http_wipe_headers().
 */

static ngx_int_t
ngx_kmip_http_append_line(ngx_kmip_http_req_t *r, u_char *line)
{
    struct curl_slist  *l, **last;

    l = ngx_palloc(r->pool, sizeof(struct curl_slist));
    if (l == NULL) {
        return NGX_ERROR;
    }

    l->data = (char *) line;
    l->next = NULL;

    for (last = &r->headers; *last; last = &(*last)->next) {
        /* void */
    }

    *last = l;

    return NGX_OK;
}


ngx_int_t
ngx_kmip_http_start(ngx_kmip_http_req_t *r)
{
    u_char               *url, *p;
    ngx_int_t             rc;
    ngx_kmip_http_ctx_t  *ctx;
    ngx_kmip_http_peer_t *peer;

    ngx_str_set(&r->error, "");

    if (ngx_kmip_http_init_multi() != NGX_OK) {
        ngx_str_set(&r->error, "HTTP client initialization failed");
        r->result = NGX_KMIP_HTTP_INTERNAL;
        return NGX_ERROR;
    }

    ctx = ngx_kmip_http_create_ctx(r);
    if (ctx == NULL) {
        goto nomem;
    }

    peer = r->peer;

    url = ngx_pnalloc(r->pool, peer->url.len + r->uri.len + 1);
    if (url == NULL) {
        goto nomem;
    }

    p = ngx_cpymem(url, peer->url.data, peer->url.len);
    p = ngx_cpymem(p, r->uri.data, r->uri.len);
    *p = '\0';

    ctx->easy = curl_easy_init();
    if (ctx->easy == NULL) {
        goto nomem;
    }

    if (r->headers) {
        /* no "Expect: 100-continue" round trip */
        p = ngx_pnalloc(r->pool, sizeof("Expect:"));
        if (p == NULL) {
            goto nomem;
        }

        ngx_memcpy(p, "Expect:", sizeof("Expect:"));

        if (ngx_kmip_http_append_line(r, p) != NGX_OK) {
            goto nomem;
        }
    }

    ngx_kmip_http_set_options(ctx, url);

    if (ngx_kmip_http_set_method(ctx) != NGX_OK) {
        goto nomem;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, r->log, 0,
                   "kmip http start: %V %V%V", &r->method, &peer->url,
                   &r->uri);

    ctx->in_start = 1;
    rc = ngx_kmip_http_attempt(ctx);
    ctx->in_start = 0;

    if (rc == NGX_ERROR || ctx->sync_error) {
        return NGX_ERROR;
    }

    return NGX_AGAIN;

nomem:

    ngx_str_set(&r->error, "out of memory");
    r->result = NGX_KMIP_HTTP_INTERNAL;
    return NGX_ERROR;
}


/* a call's context, freed (and its transfer ended) with the pool */

static ngx_kmip_http_ctx_t *
ngx_kmip_http_create_ctx(ngx_kmip_http_req_t *r)
{
    ngx_kmip_http_ctx_t  *ctx;

    ctx = ngx_kmip_kp_cleanup_alloc(r->pool, sizeof(ngx_kmip_http_ctx_t),
                                    ngx_kmip_http_cleanup);
    if (ctx == NULL) {
        return NULL;
    }

    ctx->ident.ident = -1;
    ctx->request = r;
    r->priv = ctx;

    ctx->backoff.data = ctx;
    ctx->backoff.handler = ngx_kmip_http_backoff_handler;
    ctx->backoff.log = r->log;

    /* a retry pending is a call in flight: an exiting worker waits */
    ctx->backoff.cancelable = 0;

    ctx->start = ngx_current_msec;
    ctx->deadline = ngx_current_msec + r->timeout;

    return ctx;
}


/* what every call asks of curl: the peer verified, no proxy, no redirect */

static void
ngx_kmip_http_set_options(ngx_kmip_http_ctx_t *ctx, u_char *url)
{
    ngx_kmip_http_req_t   *r;
    ngx_kmip_http_peer_t  *peer;

    r = ctx->request;
    peer = r->peer;

    curl_easy_setopt(ctx->easy, CURLOPT_URL, url);
    curl_easy_setopt(ctx->easy, CURLOPT_PRIVATE, ctx);
    curl_easy_setopt(ctx->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(ctx->easy, CURLOPT_PROXY, "");
    curl_easy_setopt(ctx->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(ctx->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(ctx->easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(ctx->easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(ctx->easy, CURLOPT_ERRORBUFFER, ctx->errbuf);
    curl_easy_setopt(ctx->easy, CURLOPT_WRITEFUNCTION,
                     ngx_kmip_http_write_cb);
    curl_easy_setopt(ctx->easy, CURLOPT_WRITEDATA, ctx);
    curl_easy_setopt(ctx->easy, CURLOPT_HEADERFUNCTION,
                     ngx_kmip_http_header_cb);
    curl_easy_setopt(ctx->easy, CURLOPT_HEADERDATA, ctx);
    curl_easy_setopt(ctx->easy, CURLOPT_USERAGENT, "ngx_kmip");
    curl_easy_setopt(ctx->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(ctx->easy, CURLOPT_OPENSOCKETFUNCTION,
                     ngx_kmip_http_opensocket_cb);
    curl_easy_setopt(ctx->easy, CURLOPT_OPENSOCKETDATA,
                     &ngx_kmip_http_worker);
    curl_easy_setopt(ctx->easy, CURLOPT_CLOSESOCKETFUNCTION,
                     ngx_kmip_http_closesocket_cb);
    curl_easy_setopt(ctx->easy, CURLOPT_CLOSESOCKETDATA,
                     &ngx_kmip_http_worker);

    if (!r->idempotent) {
        /*
         * curl silently resends a request on a reused connection that
         * died before any answer: a duplicate for a non-idempotent call
         */
        curl_easy_setopt(ctx->easy, CURLOPT_FRESH_CONNECT, 1L);
    }

#if (LIBCURL_VERSION_NUM >= 0x075700)
    curl_easy_setopt(ctx->easy, CURLOPT_CA_CACHE_TIMEOUT, 3600L);
#endif

    if (peer->ca_file.len) {
        curl_easy_setopt(ctx->easy, CURLOPT_CAINFO,
                         (char *) peer->ca_file.data);
    }

    if (peer->cert.len) {
        ngx_kmip_http_client_cert(ctx->easy, peer);
    }

    if (r->headers) {
        curl_easy_setopt(ctx->easy, CURLOPT_HTTPHEADER, r->headers);
    }
}


/* the peer's client certificate and key, from memory (curl copies both) */

static void
ngx_kmip_http_client_cert(CURL *easy, ngx_kmip_http_peer_t *peer)
{
    struct curl_blob  blob;

    blob.data = peer->cert.data;
    blob.len = peer->cert.len;
    blob.flags = CURL_BLOB_COPY;

    curl_easy_setopt(easy, CURLOPT_SSLCERT_BLOB, &blob);
    curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");

    blob.data = peer->cert_key.data;
    blob.len = peer->cert_key.len;

    curl_easy_setopt(easy, CURLOPT_SSLKEY_BLOB, &blob);
    curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
}


/* the method, and the body of the methods that carry one */

static ngx_int_t
ngx_kmip_http_set_method(ngx_kmip_http_ctx_t *ctx)
{
    u_char               *p;
    ngx_kmip_http_req_t  *r;

    r = ctx->request;

    if (r->method.len == 4 && ngx_strncmp(r->method.data, "POST", 4) == 0) {
        curl_easy_setopt(ctx->easy, CURLOPT_POST, 1L);
        curl_easy_setopt(ctx->easy, CURLOPT_POSTFIELDSIZE, (long) r->body.len);
        curl_easy_setopt(ctx->easy, CURLOPT_POSTFIELDS,
                         r->body.len ? (char *) r->body.data : "");

    } else if (r->method.len == 3
               && ngx_strncmp(r->method.data, "GET", 3) == 0)
    {
        curl_easy_setopt(ctx->easy, CURLOPT_HTTPGET, 1L);

    } else {
        p = ngx_pnalloc(r->pool, r->method.len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, r->method.data, r->method.len);
        p[r->method.len] = '\0';

        curl_easy_setopt(ctx->easy, CURLOPT_CUSTOMREQUEST, p);

        if (r->body.len) {
            curl_easy_setopt(ctx->easy, CURLOPT_POSTFIELDSIZE,
                             (long) r->body.len);
            curl_easy_setopt(ctx->easy, CURLOPT_POSTFIELDS,
                             (char *) r->body.data);
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_http_attempt(ngx_kmip_http_ctx_t *ctx)
{
    ngx_kmip_http_dns_t   *d;
    ngx_resolver_ctx_t    *rctx;
    ngx_kmip_http_req_t   *r;
    ngx_kmip_http_peer_t  *peer;

    r = ctx->request;
    peer = r->peer;

    if ((ngx_msec_int_t) (ctx->deadline - ngx_current_msec) <= 0) {
        ngx_kmip_http_set_error(ctx, "timed out", NULL);
        r->result = NGX_KMIP_HTTP_TIMEDOUT;
        return NGX_ERROR;
    }

    if (peer->literal) {
        ctx->addr = peer->pin_addr;
        return ngx_kmip_http_launch(ctx);
    }

    d = ngx_kmip_http_dns_lookup(&peer->host);
    if (d) {
        ctx->addr = d->addr;
        return ngx_kmip_http_launch(ctx);
    }

    rctx = ngx_resolve_start(peer->resolver, NULL);
    if (rctx == NULL) {
        ngx_kmip_http_set_error(ctx, "resolver failed", NULL);
        r->result = NGX_KMIP_HTTP_INTERNAL;
        return NGX_ERROR;
    }

    if (rctx == NGX_NO_RESOLVER) {
        ngx_kmip_http_set_error(ctx, "no resolver defined to resolve the "
                                "host name", NULL);
        r->result = NGX_KMIP_HTTP_CONNECT;
        return NGX_ERROR;
    }

    rctx->name = peer->host;
    rctx->handler = ngx_kmip_http_resolve_handler;
    rctx->data = ctx;
    rctx->timeout = peer->resolver_timeout;

    ctx->resolver_ctx = rctx;

    if (ngx_resolve_name(rctx) != NGX_OK) {
        ctx->resolver_ctx = NULL;
        ngx_kmip_http_set_error(ctx, "resolver failed", NULL);
        r->result = NGX_KMIP_HTTP_INTERNAL;
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_kmip_http_resolve_handler(ngx_resolver_ctx_t *rctx)
{
    ngx_kmip_http_ctx_t *ctx = rctx->data;

    u_char                text[NGX_SOCKADDR_STRLEN + 2];
    size_t                len;
    time_t                valid;
    ngx_str_t             addr;
    ngx_kmip_http_req_t  *r;
    ngx_kmip_http_dns_t  *d;

    r = ctx->request;
    ctx->resolver_ctx = NULL;

    if (rctx->state || rctx->naddrs == 0) {
        ngx_log_error(NGX_LOG_ERR, r->log, 0,
                      "%V could not be resolved (%i: %s)",
                      &rctx->name, rctx->state,
                      ngx_resolver_strerror(rctx->state));

        ngx_resolve_name_done(rctx);

        ngx_kmip_http_set_error(ctx, "host name could not be resolved",
                                NULL);
        r->result = NGX_KMIP_HTTP_CONNECT;
        goto failed;
    }

    /* the first address; curl reconnects to it until the TTL runs out */

    if (rctx->addrs[0].sockaddr->sa_family == AF_INET6) {
        text[0] = '[';
        len = ngx_sock_ntop(rctx->addrs[0].sockaddr, rctx->addrs[0].socklen,
                            text + 1, NGX_SOCKADDR_STRLEN, 0);
        text[len + 1] = ']';
        len += 2;

    } else {
        len = ngx_sock_ntop(rctx->addrs[0].sockaddr, rctx->addrs[0].socklen,
                            text, NGX_SOCKADDR_STRLEN, 0);
    }

    valid = rctx->valid;
    if (valid < ngx_time() + NGX_KMIP_HTTP_DNS_MIN_VALID) {
        valid = ngx_time() + NGX_KMIP_HTTP_DNS_MIN_VALID;
    }

    ngx_resolve_name_done(rctx);

    addr.data = text;
    addr.len = len;

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, r->log, 0,
                   "kmip http resolved %V: %V", &r->peer->host, &addr);

    ngx_kmip_http_dns_store(&r->peer->host, &addr, valid);

    d = ngx_kmip_http_dns_lookup(&r->peer->host);
    if (d == NULL) {
        ngx_kmip_http_set_error(ctx, "out of memory", NULL);
        r->result = NGX_KMIP_HTTP_INTERNAL;
        goto failed;
    }

    ctx->addr = d->addr;

    if (ngx_kmip_http_launch(ctx) == NGX_OK) {
        return;
    }

failed:

    if (ctx->in_start) {
        ctx->sync_error = 1;
        return;
    }

    ngx_kmip_http_finish(ctx, r->result);
}


static ngx_int_t
ngx_kmip_http_launch(ngx_kmip_http_ctx_t *ctx)
{
    u_char                *line, *p;
    CURLMcode              mc;
    ngx_msec_t             left;
    struct curl_slist     *l;
    ngx_kmip_http_req_t   *r;
    ngx_kmip_http_peer_t  *peer;
    ngx_kmip_http_worker_t *w = &ngx_kmip_http_worker;

    r = ctx->request;
    peer = r->peer;

    if (ctx->buf) {
        /* the bytes written, and their NUL: the rest was never used */
        OPENSSL_cleanse(ctx->buf, ctx->len + 1);
    }

    ctx->len = 0;
    ctx->retry_after = 0;
    ctx->too_large = 0;
    ctx->errbuf[0] = '\0';

    if (ctx->addr.len && ngx_strlchr(peer->host.data,
                                     peer->host.data + peer->host.len, ':')
                         == NULL)
    {
        /* "host:port:addr" pins the name, and nothing else is looked up */

        line = ngx_pnalloc(r->pool, peer->host.len + ctx->addr.len
                                    + NGX_INT_T_LEN + 3);
        if (line == NULL) {
            ngx_kmip_http_set_error(ctx, "out of memory", NULL);
            r->result = NGX_KMIP_HTTP_INTERNAL;
            return NGX_ERROR;
        }

        p = ngx_sprintf(line, "%V:%d:%V", &peer->host, (int) peer->port,
                        &ctx->addr);
        *p = '\0';

        l = curl_slist_append(NULL, (char *) line);
        if (l == NULL) {
            ngx_kmip_http_set_error(ctx, "out of memory", NULL);
            r->result = NGX_KMIP_HTTP_INTERNAL;
            return NGX_ERROR;
        }

        if (ctx->resolve) {
            curl_slist_free_all(ctx->resolve);
        }

        ctx->resolve = l;
        curl_easy_setopt(ctx->easy, CURLOPT_RESOLVE, ctx->resolve);
    }

    left = ctx->deadline - ngx_current_msec;

    curl_easy_setopt(ctx->easy, CURLOPT_TIMEOUT_MS, (long) left);
    curl_easy_setopt(ctx->easy, CURLOPT_CONNECTTIMEOUT_MS, (long) left);

    mc = curl_multi_add_handle(w->multi, ctx->easy);
    if (mc != CURLM_OK) {
        ngx_kmip_http_set_error(ctx, "curl_multi_add_handle() failed: %s",
                                curl_multi_strerror(mc));
        r->result = NGX_KMIP_HTTP_INTERNAL;
        return NGX_ERROR;
    }

    ctx->in_multi = 1;
    w->transfers++;
    r->attempts++;

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, r->log, 0,
                   "kmip http attempt %ui, %M ms left", r->attempts, left);

    return NGX_OK;
}


static void
ngx_kmip_http_done(ngx_kmip_http_ctx_t *ctx, CURLcode code)
{
    long                    status, sent;
    ngx_msec_t              delay;
    ngx_uint_t              retry;
    ngx_kmip_http_req_t    *r;
    ngx_kmip_http_result_e  result;

    r = ctx->request;
    status = 0;
    sent = 0;

    (void) curl_easy_getinfo(ctx->easy, CURLINFO_RESPONSE_CODE, &status);
    (void) curl_easy_getinfo(ctx->easy, CURLINFO_REQUEST_SIZE, &sent);

    retry = 0;

    if (code == CURLE_OK) {
        result = NGX_KMIP_HTTP_OK;
        r->status = status;

        if (r->idempotent
            && (status == 429 || (status >= 500 && status != 501)))
        {
            retry = 1;
        }

    } else {
        r->status = 0;

        switch (code) {

        case CURLE_OPERATION_TIMEDOUT:
            result = NGX_KMIP_HTTP_TIMEDOUT;
            break;

        case CURLE_WRITE_ERROR:
            result = ctx->too_large ? NGX_KMIP_HTTP_TOO_LARGE
                                    : NGX_KMIP_HTTP_IO;
            break;

        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
            result = NGX_KMIP_HTTP_CONNECT;
            break;

        case CURLE_OUT_OF_MEMORY:
            result = NGX_KMIP_HTTP_INTERNAL;
            break;

        default:
            result = NGX_KMIP_HTTP_IO;
        }

        if (result == NGX_KMIP_HTTP_TOO_LARGE) {
            ngx_kmip_http_set_error(ctx, "response too large", NULL);

        } else {
            ngx_kmip_http_set_error(ctx, "%s",
                                    ctx->errbuf[0] ? ctx->errbuf
                                                   : curl_easy_strerror(code));
        }

        switch (code) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
            break;

        default:
            if ((result == NGX_KMIP_HTTP_CONNECT || result == NGX_KMIP_HTTP_IO)
                && (r->idempotent || sent == 0))
            {
                retry = 1;
            }
        }
    }

    r->result = result;

    ngx_log_debug4(NGX_LOG_DEBUG_EVENT, r->log, 0,
                   "kmip http done: curl:%d status:%l sent:%l retry:%ui",
                   (int) code, status, sent, retry);

    if (retry && r->attempts <= r->max_retries) {

        if (ctx->retry_after && (status == 429 || status == 503)) {
            delay = ctx->retry_after;

        } else {
            delay = NGX_KMIP_HTTP_BACKOFF_BASE << (r->attempts - 1);
            if (delay > NGX_KMIP_HTTP_BACKOFF_MAX) {
                delay = NGX_KMIP_HTTP_BACKOFF_MAX;
            }
        }

        if ((ngx_msec_int_t) (ctx->deadline - ngx_current_msec - delay) > 0) {
            ngx_log_error(NGX_LOG_WARN, r->log, 0,
                          "kmip http %V %V%V: %s%l, retrying in %M ms",
                          &r->method, &r->peer->url, &r->uri,
                          status ? "status " : "", status ? status : 0L,
                          delay);

            if (status == 0) {
                ngx_log_error(NGX_LOG_WARN, r->log, 0,
                              "kmip http transport error: %V", &r->error);
            }

            ngx_add_timer(&ctx->backoff, delay);
            return;
        }
    }

    ngx_kmip_http_finish(ctx, result);
}


static void
ngx_kmip_http_backoff_handler(ngx_event_t *ev)
{
    ngx_kmip_http_ctx_t *ctx = ev->data;

    if (ngx_kmip_http_attempt(ctx) == NGX_OK) {
        return;
    }

    ngx_kmip_http_finish(ctx, ctx->request->result);
}


static void
ngx_kmip_http_finish(ngx_kmip_http_ctx_t *ctx, ngx_kmip_http_result_e result)
{
    ngx_kmip_http_req_t  *r;

    r = ctx->request;

    r->result = result;
    r->elapsed = ngx_current_msec - ctx->start;

    if (result == NGX_KMIP_HTTP_OK) {
        r->response.data = ctx->buf ? ctx->buf : (u_char *) "";
        r->response.len = ctx->len;

    } else {
        r->response.data = (u_char *) "";
        r->response.len = 0;
    }

    /*
     * The easy handle (with curl's buffers, tens of kilobytes) is not kept
     * until the pool goes: a request that makes hundreds of calls (Locate)
     * would hold them all.  The response and the header lines go with
     * the pool (the Key Protect client gives each attempt its own).
     */
    ngx_kmip_http_free_transfer(ctx);

    /* the handler may destroy the pool, and ctx with it */

    r->handler(r);
}


static void
ngx_kmip_http_set_error(ngx_kmip_http_ctx_t *ctx, const char *fmt,
    const char *arg)
{
    u_char               *p, *last;
    ngx_kmip_http_req_t  *r;

    r = ctx->request;

    p = ngx_pnalloc(r->pool, 256);
    if (p == NULL) {
        ngx_str_set(&r->error, "error");
        return;
    }

    last = arg ? ngx_snprintf(p, 256, fmt, arg)
               : ngx_snprintf(p, 256, "%s", fmt);

    while (last > p && (last[-1] == '\n' || last[-1] == '\r')) {
        last--;
    }

    r->error.data = p;
    r->error.len = last - p;
}


static void
ngx_kmip_http_cleanup(void *data)
{
    ngx_kmip_http_ctx_t *ctx = data;

    if (ctx->resolver_ctx) {
        ngx_resolve_name_done(ctx->resolver_ctx);
        ctx->resolver_ctx = NULL;
    }

    if (ctx->backoff.timer_set) {
        ngx_del_timer(&ctx->backoff);
    }

    if (ctx->backoff.posted) {
        ngx_delete_posted_event(&ctx->backoff);
    }

    ngx_kmip_http_free_transfer(ctx);

    if (ctx->buf) {
        OPENSSL_cleanse(ctx->buf, ctx->len + 1);
        ngx_free(ctx->buf);
        ctx->buf = NULL;
        ctx->len = 0;
        ctx->size = 0;
    }
}


static void
ngx_kmip_http_free_transfer(ngx_kmip_http_ctx_t *ctx)
{
    ngx_kmip_http_worker_t  *w = &ngx_kmip_http_worker;

    if (ctx->easy) {
        if (ctx->in_multi && w->multi) {
            ngx_log_debug0(NGX_LOG_DEBUG_EVENT, ctx->request->log, 0,
                           "kmip http: aborting transfer");

            curl_multi_remove_handle(w->multi, ctx->easy);
            ctx->in_multi = 0;

            if (--w->transfers == 0) {
                w->timer.cancelable = 1;
            }
        }

        curl_easy_cleanup(ctx->easy);
        ctx->easy = NULL;

        ngx_kmip_http_clear_ssl_errors();
    }

    if (ctx->resolve) {
        curl_slist_free_all(ctx->resolve);
        ctx->resolve = NULL;
    }
}


static void
ngx_kmip_http_wipe_headers(void *data)
{
    ngx_kmip_http_req_t *r = data;

    struct curl_slist  *l;

    for (l = r->headers; l; l = l->next) {
        OPENSSL_cleanse(l->data, ngx_strlen(l->data));
    }

    r->headers = NULL;
}


static size_t
ngx_kmip_http_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    ngx_kmip_http_ctx_t *ctx = userdata;

    u_char               *nb;
    size_t                n, need, ns;
    ngx_kmip_http_req_t  *r;

    r = ctx->request;
    n = size * nmemb;

    if (ctx->len + n > r->max_response) {
        ctx->too_large = 1;
        return 0;
    }

    need = ctx->len + n + 1;

    if (need > ctx->size) {
        ns = ctx->size ? ctx->size : NGX_KMIP_HTTP_BUFFER_SIZE;

        while (ns < need) {
            ns *= 2;
        }

        nb = ngx_alloc(ns, r->log);
        if (nb == NULL) {
            return 0;
        }

        if (ctx->buf) {
            ngx_memcpy(nb, ctx->buf, ctx->len);
            OPENSSL_cleanse(ctx->buf, ctx->len + 1);
            ngx_free(ctx->buf);
        }

        ctx->buf = nb;
        ctx->size = ns;
    }

    ngx_memcpy(ctx->buf + ctx->len, ptr, n);
    ctx->len += n;
    ctx->buf[ctx->len] = '\0';

    return n;
}


static size_t
ngx_kmip_http_header_cb(char *ptr, size_t size, size_t nitems,
    void *userdata)
{
    ngx_kmip_http_ctx_t *ctx = userdata;

    u_char     *p, *last;
    size_t      n;
    ngx_int_t   secs;

    n = size * nitems;
    p = (u_char *) ptr;
    last = p + n;

    if (n > 5 && ngx_strncmp(p, "HTTP/", 5) == 0) {
        /* a new response (e.g. after 100 Continue) */
        ctx->retry_after = 0;
        return n;
    }

    if (n > 12 && ngx_strncasecmp(p, (u_char *) "Retry-After:", 12) == 0) {
        p += 12;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        while (last > p && (last[-1] == '\r' || last[-1] == '\n'
                            || last[-1] == ' '))
        {
            last--;
        }

        secs = ngx_atoi(p, last - p);

        if (secs != NGX_ERROR) {
            /* an HTTP-date is ignored: the exponential backoff applies */
            ctx->retry_after = (secs * 1000 > NGX_KMIP_HTTP_RETRY_AFTER_MAX)
                               ? NGX_KMIP_HTTP_RETRY_AFTER_MAX
                               : (ngx_msec_t) secs * 1000;
            if (ctx->retry_after == 0) {
                ctx->retry_after = 1;
            }
        }
    }

    return n;
}


/* the worker's entry for the host, fresh or not; NULL: none */

static ngx_kmip_http_dns_t *
ngx_kmip_http_dns_find(ngx_str_t *host)
{
    ngx_uint_t               i;
    ngx_kmip_http_dns_t     *d;
    ngx_kmip_http_worker_t  *w = &ngx_kmip_http_worker;

    d = w->dns.elts;

    for (i = 0; i < w->dns.nelts; i++) {
        if (d[i].host.len == host->len
            && ngx_strncasecmp(d[i].host.data, host->data, host->len) == 0)
        {
            return &d[i];
        }
    }

    return NULL;
}


static ngx_kmip_http_dns_t *
ngx_kmip_http_dns_lookup(ngx_str_t *host)
{
    ngx_kmip_http_dns_t  *d;

    d = ngx_kmip_http_dns_find(host);

    if (d == NULL || d->valid < ngx_time()) {
        return NULL;
    }

    return d;
}


static void
ngx_kmip_http_dns_store(ngx_str_t *host, ngx_str_t *addr, time_t valid)
{
    u_char                  *p;
    ngx_kmip_http_dns_t     *d;
    ngx_kmip_http_worker_t  *w = &ngx_kmip_http_worker;

    p = ngx_alloc(host->len + addr->len, w->log);
    if (p == NULL) {
        return;
    }

    d = ngx_kmip_http_dns_find(host);

    if (d == NULL) {
        d = ngx_array_push(&w->dns);
        if (d == NULL) {
            ngx_free(p);
            return;
        }

    } else {
        ngx_free(d->host.data);
    }

    d->host.data = p;
    d->host.len = host->len;
    ngx_memcpy(p, host->data, host->len);

    d->addr.data = p + host->len;
    d->addr.len = addr->len;
    ngx_memcpy(d->addr.data, addr->data, addr->len);

    d->valid = valid;
}


ngx_int_t
ngx_kmip_http_escape(ngx_pool_t *pool, ngx_str_t *src, ngx_str_t *dst,
    const char *keep)
{
    u_char      *p, c;
    ngx_uint_t   i;

    static u_char  hex[] = "0123456789ABCDEF";

    p = ngx_pnalloc(pool, src->len * 3 + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    dst->data = p;

    for (i = 0; i < src->len; i++) {
        c = src->data[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~' || (keep && c != '\0' && ngx_strchr(keep, c)))
        {
            *p++ = c;
            continue;
        }

        *p++ = '%';
        *p++ = hex[c >> 4];
        *p++ = hex[c & 0x0f];
    }

    dst->len = p - dst->data;
    *p = '\0';

    return NGX_OK;
}


char *
ngx_kmip_http_parse_peer(ngx_conf_t *cf, ngx_str_t *url,
    ngx_kmip_http_peer_t *peer)
{
    u_char          *p, *last, *host, *host_end, *port;
    ngx_int_t        n;
    ngx_uint_t       loopback;
    in_addr_t        a4;
#if (NGX_HAVE_INET6)
    u_char           a6[16];
#endif

    p = url->data;
    last = url->data + url->len;

    while (last > p && last[-1] == '/') {
        last--;
    }

    if (last - p > 8 && ngx_strncasecmp(p, (u_char *) "https://", 8) == 0) {
        peer->https = 1;
        peer->port = 443;
        p += 8;

    } else if (last - p > 7
               && ngx_strncasecmp(p, (u_char *) "http://", 7) == 0)
    {
        peer->https = 0;
        peer->port = 80;
        p += 7;

    } else {
        return "must start with \"https://\"";
    }

    if (ngx_strlchr(p, last, '/') || ngx_strlchr(p, last, '?')
        || ngx_strlchr(p, last, '@') || ngx_strlchr(p, last, '#'))
    {
        return "must be scheme://host[:port], without a path";
    }

    if (*p == '[') {
        host = p + 1;
        host_end = ngx_strlchr(host, last, ']');
        if (host_end == NULL) {
            return "has an invalid IPv6 address";
        }

        port = host_end + 1;

    } else {
        host = p;
        host_end = ngx_strlchr(p, last, ':');
        if (host_end == NULL) {
            host_end = last;
        }

        port = host_end;
    }

    if (host_end == host) {
        return "has no host";
    }

    if (port < last) {
        if (*port != ':') {
            return "has an invalid port";
        }

        n = ngx_atoi(port + 1, last - port - 1);
        if (n < 1 || n > 65535) {
            return "has an invalid port";
        }

        peer->port = (in_port_t) n;
    }

    peer->url.data = url->data;
    peer->url.len = last - url->data;

    peer->host.len = host_end - host;
    peer->host.data = ngx_pnalloc(cf->pool, peer->host.len + 1);
    if (peer->host.data == NULL) {
        return "out of memory";
    }

    ngx_memcpy(peer->host.data, host, peer->host.len);
    peer->host.data[peer->host.len] = '\0';

    loopback = 0;

    a4 = ngx_inet_addr(peer->host.data, peer->host.len);

    if (a4 != INADDR_NONE) {
        peer->literal = 1;
        loopback = ((ntohl(a4) >> 24) == 127);

#if (NGX_HAVE_INET6)
    } else if (ngx_inet6_addr(peer->host.data, peer->host.len, a6) == NGX_OK)
    {
        peer->literal = 1;
        loopback = IN6_IS_ADDR_LOOPBACK((struct in6_addr *) a6);
#endif

    } else if (peer->host.len == 9
               && ngx_strncasecmp(peer->host.data, (u_char *) "localhost", 9)
                  == 0)
    {
        /* never asked to a DNS server */
        peer->literal = 1;
        loopback = 1;
        ngx_str_set(&peer->pin_addr, "127.0.0.1");
    }

    if (!peer->https && !loopback) {
        return "may use plain \"http://\" only with a loopback address";
    }

    if (!peer->literal
        && (peer->resolver == NULL || peer->resolver->connections.nelts == 0))
    {
        return "names a host but no \"resolver\" is defined; "
               "a resolver is needed";
    }

    return NULL;
}
