
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_store_kp.h"
#include "ngx_kmip_transport.h"
#include "ngx_stream_kmip_module.h"
#include "ngx_stream_kmip_keyprotect_module.h"
#include "ngx_stream_kmip_operator.h"


/*
 * The life of a KMIP connection: after nginx has completed the TLS
 * handshake, the handler reads the 8-byte TTLV header of a request, then
 * the length it announces (bounded by kmip_max_message_size), runs the
 * request's batch, writes the response and goes back to waiting for the
 * next request on the same connection. Each request has its own pool,
 * destroyed once its response is written, so a connection that lives for
 * days does not grow.
 */


#define NGX_STREAM_KMIP_REQUEST_POOL_SIZE  4096

static void ngx_stream_kmip_wait_request(ngx_stream_kmip_ctx_t *ctx);
static void ngx_stream_kmip_read_handler(ngx_event_t *rev);
static ngx_int_t ngx_stream_kmip_start_body(ngx_stream_kmip_ctx_t *ctx);
static void ngx_stream_kmip_process(ngx_stream_kmip_ctx_t *ctx);
static void ngx_stream_kmip_reject(ngx_stream_kmip_ctx_t *ctx,
    ngx_kmip_req_t *r, uint32_t reason, const char *what);
static void ngx_stream_kmip_request_done(ngx_kmip_req_t *r);
static void ngx_stream_kmip_send(ngx_stream_kmip_ctx_t *ctx, u_char *data,
    size_t len);
static void ngx_stream_kmip_write_handler(ngx_event_t *wev);
static void ngx_stream_kmip_sent(ngx_stream_kmip_ctx_t *ctx);
static void ngx_stream_kmip_test_close(ngx_stream_kmip_ctx_t *ctx);
static void ngx_stream_kmip_free_request(ngx_stream_kmip_ctx_t *ctx);
static void ngx_stream_kmip_cleanup(void *data);
static void ngx_stream_kmip_close_idle(ngx_stream_kmip_ctx_t *ctx);
static void ngx_stream_kmip_finalize(ngx_stream_kmip_ctx_t *ctx,
    ngx_uint_t rc);


void
ngx_stream_kmip_handler(ngx_stream_session_t *s)
{
    ngx_connection_t            *c;
    ngx_stream_kmip_ctx_t       *ctx;
    ngx_stream_kmip_srv_conf_t  *kscf;

    c = s->connection;

    ngx_log_debug0(NGX_LOG_DEBUG_STREAM, c->log, 0, "kmip session start");

    if (c->ssl == NULL) {
        /*
         * nginx -t refuses a kmip server with a listen socket without
         * "ssl"; should a plain connection arrive all the same, it never
         * reaches an operation
         */
        ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                      "kmip: connection without TLS closed");
        ngx_stream_finalize_session(s, NGX_STREAM_FORBIDDEN);
        return;
    }

    kscf = ngx_stream_get_module_srv_conf(s, ngx_stream_kmip_module);

    /* a request still in flight when the connection goes is torn down */

    ctx = ngx_kmip_kp_cleanup_alloc(c->pool, sizeof(ngx_stream_kmip_ctx_t),
                                    ngx_stream_kmip_cleanup);
    if (ctx == NULL) {
        ngx_stream_finalize_session(s, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->session = s;
    ctx->conf = kscf;
    ctx->streams.idle = (time_t) ngx_max(kscf->idle_timeout / 1000, 1);

    ngx_stream_set_ctx(s, ctx, ngx_stream_kmip_module);

    c->read->handler = ngx_stream_kmip_read_handler;
    c->write->handler = ngx_stream_kmip_write_handler;

    ngx_kmip_peer_init(&ctx->peer, c, c->pool, &kscf->access);

    ngx_stream_kmip_wait_request(ctx);

    ngx_stream_kmip_read_handler(c->read);
}


/*
 * Between requests the connection is idle: reusable, so that nginx may
 * close it under worker_connections pressure or on graceful shutdown, and
 * bounded by kmip_idle_timeout. Before its first request it is bounded by
 * kmip_first_request_timeout too: a handshake followed by silence must not
 * hold a connection slot for long, or a few hundred such connections
 * would lock every real client out.
 */

static void
ngx_stream_kmip_wait_request(ngx_stream_kmip_ctx_t *ctx)
{
    ngx_msec_t         timeout;
    ngx_connection_t  *c;

    c = ctx->session->connection;

    ctx->state = ngx_stream_kmip_state_header;
    ctx->header_len = 0;

    c->log->action = "waiting for KMIP request";

    /*
     * Only a connection that has been answered is "idle" in nginx's sense,
     * closed at once on graceful shutdown, as http keep-alive ones are: a
     * new connection's first request may be on its way (vCenter opens a
     * connection per job), and it is answered before the worker exits;
     * unless the certificate is refused, when it can only be refused.
     */
    c->idle = (ctx->requests > 0 || !ctx->peer.allowed);
    ngx_reusable_connection(c, 1);

    timeout = ctx->conf->idle_timeout;

    if (ctx->requests == 0) {
        timeout = ngx_min(timeout, ctx->conf->first_request_timeout);
    }

    ngx_add_timer(c->read, timeout);
}


static void
ngx_stream_kmip_read_handler(ngx_event_t *rev)
{
    ssize_t                  n;
    ngx_buf_t               *b;
    ngx_connection_t        *c;
    ngx_stream_session_t    *s;
    ngx_stream_kmip_ctx_t   *ctx;

    c = rev->data;
    s = c->data;
    ctx = ngx_stream_get_module_ctx(s, ngx_stream_kmip_module);

    if (ctx->state == ngx_stream_kmip_state_process
        || ctx->state == ngx_stream_kmip_state_send)
    {
        /*
         * a request is being answered: the next one waits in the socket,
         * only a client that goes away is noticed now
         */
        ngx_stream_kmip_test_close(ctx);
        return;
    }

    if (rev->timedout) {
        if (ctx->state == ngx_stream_kmip_state_header
            && ctx->header_len == 0)
        {
            /*
             * an idle keep-alive connection is normal; a client that
             * completed the handshake and never sent a request is not
             */
            if (ctx->requests == 0) {
                ngx_log_error(NGX_LOG_INFO, c->log, 0,
                              "kmip: client sent no request within %s",
                              ctx->conf->first_request_timeout
                              < ctx->conf->idle_timeout
                              ? "kmip_first_request_timeout"
                              : "kmip_idle_timeout");

            } else {
                ngx_log_debug0(NGX_LOG_DEBUG_STREAM, c->log, 0,
                               "kmip idle timeout");
            }

            ngx_stream_kmip_close_idle(ctx);
            return;
        }

        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "kmip: client timed out sending a request");
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_BAD_REQUEST);
        return;
    }

    if (c->close) {
        /* graceful shutdown or worker_connections pressure, while idle */
        ngx_stream_kmip_close_idle(ctx);
        return;
    }

    for ( ;; ) {

        if (ctx->state == ngx_stream_kmip_state_header) {
            n = c->recv(c, ctx->header + ctx->header_len,
                        NGX_KMIP_TTLV_HEADER_LEN - ctx->header_len);

        } else {
            b = ctx->body;
            n = c->recv(c, b->last, b->end - b->last);
        }

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == NGX_ERROR) {
            ngx_stream_kmip_finalize(ctx, NGX_STREAM_BAD_REQUEST);
            return;
        }

        if (n == 0) {
            if (ctx->state == ngx_stream_kmip_state_header
                && ctx->header_len == 0)
            {
                /* the usual end: between requests, or handshake only */
                ngx_log_debug0(NGX_LOG_DEBUG_STREAM, c->log, 0,
                               "kmip client closed connection");
                ngx_stream_kmip_finalize(ctx, NGX_STREAM_OK);
                return;
            }

            ngx_log_error(NGX_LOG_INFO, c->log, 0,
                          "kmip: client closed connection in the middle "
                          "of a request");
            ngx_stream_kmip_finalize(ctx, NGX_STREAM_BAD_REQUEST);
            return;
        }

        if (ctx->state == ngx_stream_kmip_state_header) {

            if (ctx->header_len == 0) {
                /* a request begins: the whole of it gets read_timeout */
                c->idle = 0;
                ngx_reusable_connection(c, 0);
                c->log->action = "reading KMIP request";

                ngx_add_timer(rev, ctx->conf->read_timeout);
            }

            ctx->header_len += n;

            if (ctx->header_len < NGX_KMIP_TTLV_HEADER_LEN) {
                continue;
            }

            if (ngx_stream_kmip_start_body(ctx) != NGX_OK) {
                ngx_stream_kmip_finalize(ctx, NGX_STREAM_BAD_REQUEST);
                return;
            }

        } else {
            ctx->body->last += n;
        }

        if (ctx->body->last == ctx->body->end) {
            ngx_stream_kmip_process(ctx);
            return;
        }
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
    }
}


/*
 * The header is checked before a byte of the body is read: a message that
 * is not a TTLV structure, or that would exceed kmip_max_message_size,
 * cannot be framed safely and ends the connection.
 */

static ngx_int_t
ngx_stream_kmip_start_body(ngx_stream_kmip_ctx_t *ctx)
{
    size_t             size;
    uint8_t            type;
    uint32_t           tag, len;
    u_char            *p;
    ngx_str_t         *secret;
    ngx_pool_t        *pool;
    ngx_buf_t         *b;
    ngx_uint_t         n;
    ngx_kmip_kp_t     *kp;
    ngx_kmip_req_t    *r;
    ngx_connection_t  *c;

    c = ctx->session->connection;

    if (ngx_kmip_ttlv_peek_header(ctx->header, &tag, &type, &len)
        != NGX_KMIP_OK)
    {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "kmip: client sent data that is not a KMIP message "
                      "(header %*xs)",
                      (size_t) NGX_KMIP_TTLV_HEADER_LEN, ctx->header);
        return NGX_ERROR;
    }

    size = (size_t) NGX_KMIP_TTLV_HEADER_LEN + len;

    if (len > ctx->conf->max_message_size
        || size > ctx->conf->max_message_size)
    {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "kmip: client sent a message of %uz bytes, more than "
                      "kmip_max_message_size %uz",
                      size, ctx->conf->max_message_size);
        return NGX_ERROR;
    }

    pool = ngx_create_pool(NGX_STREAM_KMIP_REQUEST_POOL_SIZE, c->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    r = ngx_pcalloc(pool, sizeof(ngx_kmip_req_t));
    b = ngx_calloc_buf(pool);

    if (r == NULL || b == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    r->pool = pool;

    /*
     * a Register carries key material, and the decoded request points
     * into this buffer: it is wiped when the request's pool goes, after
     * the answer or on any close
     */

    p = ngx_kmip_op_secret(r, size, &secret);
    if (p == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    b->start = p;
    b->pos = p;
    b->last = p;
    b->end = p + size;
    b->temporary = 1;

    r->log = c->log;
    r->msg.maximum_response_size = -1;
    r->conf = &ctx->conf->server;
    r->done = ngx_stream_kmip_request_done;
    r->data = ctx;
    r->streams = &ctx->streams;

    kp = ngx_stream_kmip_keyprotect_get(ctx->session);

    if (kp && ctx->peer.scope && ctx->conf->scope_kp) {
        /* a scope with its own key ring */
        n = ctx->peer.scope
            - (ngx_kmip_scope_t *) ctx->conf->access.scopes->elts;
        kp = ctx->conf->scope_kp[n] ? ctx->conf->scope_kp[n] : kp;
    }

    if (kp) {
        r->store = ngx_kmip_store_open(pool, c->log,
                                       &ngx_kmip_store_kp_backend, kp, NULL);
        if (r->store == NULL) {
            ngx_destroy_pool(pool);
            return NGX_ERROR;
        }

        r->store->scope = *ngx_kmip_scope_stored_name(ctx->peer.scope);
    }

    ngx_stream_kmip_operator_init_req(ctx->session, r);

    (void) ngx_kmip_req_init(r);

    b->last = ngx_cpymem(b->last, ctx->header, NGX_KMIP_TTLV_HEADER_LEN);

    ctx->req = r;
    ctx->body = b;
    ctx->state = ngx_stream_kmip_state_body;

    ngx_log_debug1(NGX_LOG_DEBUG_STREAM, c->log, 0,
                   "kmip request of %uz bytes", size);

    return NGX_OK;
}


static void
ngx_stream_kmip_process(ngx_stream_kmip_ctx_t *ctx)
{
    ngx_int_t             rc;
    ngx_uint_t            version_known;
    const char           *what;
    ngx_kmip_req_t       *r;
    ngx_kmip_item_t      *root;
    ngx_connection_t     *c;
    ngx_kmip_error_t      err;
    ngx_kmip_limits_t     limits;

    c = ctx->session->connection;
    r = ctx->req;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    ctx->state = ngx_stream_kmip_state_process;
    ctx->requests++;
    c->log->action = "processing KMIP request";

    ngx_kmip_req_correlation(r, c->number, ctx->requests);

    ngx_memzero(&err, sizeof(ngx_kmip_error_t));

    limits.max_depth = NGX_KMIP_DEFAULT_MAX_DEPTH;
    limits.max_items = NGX_KMIP_DEFAULT_MAX_ITEMS;

    if (ngx_kmip_ttlv_decode(ctx->body->pos, ctx->body->last - ctx->body->pos,
                             &limits, &r->alloc, &root, &err)
        != NGX_KMIP_OK)
    {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "kmip: client sent invalid TTLV: %s at offset %uz",
                      err.what ? err.what : ngx_kmip_ttlv_strerror(err.rc),
                      err.offset);

        /*
         * the frame was read whole, so an answer can be framed; but the
         * bytes inside it are not understood, and what follows on the
         * connection cannot be trusted to be separated correctly
         */
        ngx_kmip_req_guess_version(r, ctx->body->pos,
                                   ctx->body->last - ctx->body->pos);
        ctx->close_after_send = 1;
        ngx_stream_kmip_reject(ctx, r, NGX_KMIP_REASON_INVALID_MESSAGE,
                               "the message is not valid TTLV");
        return;
    }

    rc = ngx_kmip_req_parse(r, root, ctx->body->pos,
                            ctx->body->last - ctx->body->pos,
                            &version_known);

    if (rc != NGX_OK) {
        if (rc == NGX_ERROR) {
            ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
            return;
        }

        if (!version_known) {
            ctx->close_after_send = 1;
        }

        ngx_stream_kmip_request_done(r);
        return;
    }

    what = NULL;
    rc = ngx_kmip_peer_check(&ctx->peer, &ctx->conf->access, r,
                             ngx_stream_kmip_access_done, &what);

    if (rc == NGX_DECLINED && !ctx->peer.allowed) {
        /*
         * the client learns why (vCenter shows the Permission Denied),
         * then the connection closes: a refused client holds no slot
         */
        ctx->close_after_send = 1;
    }

    if (rc == NGX_AGAIN) {
        /* a slow password hash is checked in a thread: the request waits */

        c->log->action = "checking the KMIP credential";

        if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
            ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    ngx_stream_kmip_access_done(r, rc, what);
}


/*
 * The request once its access is decided: refused with Permission Denied,
 * or its batch run.
 */

void
ngx_stream_kmip_access_done(ngx_kmip_req_t *r, ngx_int_t rc,
    const char *what)
{
    ngx_uint_t              i;
    ngx_connection_t       *c;
    ngx_stream_kmip_ctx_t  *ctx;

    ctx = r->data;
    c = ctx->session->connection;

    if (rc != NGX_OK) {
        ngx_stream_kmip_reject(ctx, r,
                               NGX_KMIP_REASON_PERMISSION_DENIED,
                               what);
        return;
    }

    c->log->action = "processing KMIP request";

    r->results = ngx_pcalloc(r->pool, r->msg.nitems
                                      * sizeof(ngx_kmip_response_item_t));
    if (r->results == NULL) {
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    for (i = 0; i < r->msg.nitems; i++) {
        ngx_log_debug2(NGX_LOG_DEBUG_STREAM, c->log, 0,
                       "kmip batch item %ui: %s", i + 1,
                       ngx_kmip_operation_name(r->msg.items[i].operation));
    }

    rc = ngx_kmip_batch_run(r);

    if (rc == NGX_OK) {
        ngx_stream_kmip_request_done(r);
        return;
    }

    /* NGX_AGAIN: an operation waits for the key store */

    c->log->action = "waiting for the key store";

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
    }
}


/*
 * A request that cannot be run gets one batch item with Invalid Message
 * (or the given reason), in the protocol version of the request when it
 * could be read.
 */

static void
ngx_stream_kmip_reject(ngx_stream_kmip_ctx_t *ctx, ngx_kmip_req_t *r,
    uint32_t reason, const char *what)
{
    if (ngx_kmip_req_reject(r, reason, what) != NGX_OK) {
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_stream_kmip_request_done(r);
}


static void
ngx_stream_kmip_request_done(ngx_kmip_req_t *r)
{
    u_char                    *p, *last;
    size_t                     size;
    ngx_str_t                 *secret;
    ngx_kmip_item_t           *response;
    ngx_connection_t          *c;
    ngx_stream_kmip_ctx_t     *ctx;
    ngx_kmip_response_item_t  *out;

    ctx = r->data;
    c = ctx->session->connection;

    response = ngx_kmip_req_response(r, &size);
    if (response == NULL) {
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    /* a Get answer carries key material: wiped once sent, or on a close */

    p = ngx_kmip_op_secret(r, size, &secret);
    if (p == NULL) {
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    last = ngx_kmip_ttlv_encode(response, p);

    if ((size_t) (last - p) != size) {
        ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                      "kmip: encoded %uz bytes instead of %uz",
                      (size_t) (last - p), size);
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->last_operation = r->last_operation;

    if (r->nresults) {
        out = &r->results[r->nresults - 1];
        ctx->last_result = ngx_kmip_result_name(out->result_status,
                                                out->result_reason);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_STREAM, c->log, 0,
                   "kmip response: %ui batch items, %uz bytes, last %s",
                   r->nresults, size, ctx->last_result);

    ngx_stream_kmip_send(ctx, p, size);
}


static void
ngx_stream_kmip_send(ngx_stream_kmip_ctx_t *ctx, u_char *data, size_t len)
{
    ngx_buf_t         *b;
    ngx_chain_t       *out;
    ngx_connection_t  *c;

    c = ctx->session->connection;

    ctx->state = ngx_stream_kmip_state_send;
    c->log->action = "sending KMIP response";

    b = ngx_calloc_buf(ctx->req->pool);
    out = ngx_alloc_chain_link(ctx->req->pool);

    if (b == NULL || out == NULL) {
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    b->pos = data;
    b->last = data + len;
    b->memory = 1;
    b->flush = 1;

    out->buf = b;
    out->next = NULL;

    if (ngx_stream_top_filter(ctx->session, out, 1) == NGX_ERROR) {
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_OK);
        return;
    }

    if (c->buffered) {
        ngx_add_timer(c->write, ctx->conf->send_timeout);

        if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
            ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    ngx_stream_kmip_sent(ctx);
}


static void
ngx_stream_kmip_write_handler(ngx_event_t *wev)
{
    ngx_connection_t       *c;
    ngx_stream_session_t   *s;
    ngx_stream_kmip_ctx_t  *ctx;

    c = wev->data;
    s = c->data;
    ctx = ngx_stream_get_module_ctx(s, ngx_stream_kmip_module);

    if (ctx->state != ngx_stream_kmip_state_send) {
        return;
    }

    if (wev->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "kmip: client timed out reading a response");
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_OK);
        return;
    }

    if (ngx_stream_top_filter(s, NULL, 1) == NGX_ERROR) {
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_OK);
        return;
    }

    if (c->buffered) {
        ngx_add_timer(wev, ctx->conf->send_timeout);

        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    ngx_stream_kmip_sent(ctx);
}


static void
ngx_stream_kmip_sent(ngx_stream_kmip_ctx_t *ctx)
{
    ngx_connection_t  *c;

    c = ctx->session->connection;

    ngx_stream_kmip_free_request(ctx);

    if (ctx->close_after_send) {
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_BAD_REQUEST);
        return;
    }

    if (ngx_exiting) {
        /*
         * a worker shutting down closed its idle connections already; one
         * that has just been answered is closed now, as http keep-alive
         * does, so that the worker can exit
         */
        ngx_stream_kmip_finalize(ctx, NGX_STREAM_OK);
        return;
    }

    ngx_stream_kmip_wait_request(ctx);

    /*
     * The next request may already sit in OpenSSL's buffer, where no
     * event announces it: read it on the next pass of the event loop
     * (posting rather than calling keeps the stack flat however many
     * requests a client pipelines).
     */

    ngx_post_event(c->read, &ngx_posted_events);
}


/*
 * While a request waits for the key store, a read event means either the
 * next request (it stays in the socket until this one is answered) or a
 * client that went away, whose request is then cancelled.
 */

static void
ngx_stream_kmip_test_close(ngx_stream_kmip_ctx_t *ctx)
{
    int                n;
    char               buf[1];
    ngx_err_t          err;
    ngx_event_t       *rev;
    ngx_connection_t  *c;

    c = ctx->session->connection;
    rev = c->read;

    if (rev->timedout) {
        rev->timedout = 0;
        return;
    }

#if (NGX_HAVE_EPOLLRDHUP)

    if ((ngx_event_flags & NGX_USE_EPOLL_EVENT) && ngx_use_epoll_rdhup) {

        if (!rev->pending_eof) {
            goto check;
        }

        rev->eof = 1;
        err = 0;

        goto closed;
    }

check:

#endif

    n = recv(c->fd, buf, 1, MSG_PEEK);
    err = ngx_socket_errno;

    if (n > 0 || (n == -1 && err == NGX_EAGAIN)) {
        if (ngx_handle_read_event(rev, 0) != NGX_OK) {
            ngx_stream_kmip_finalize(ctx, NGX_STREAM_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    rev->eof = 1;

#if (NGX_HAVE_EPOLLRDHUP)
closed:
#endif

    ngx_log_error(NGX_LOG_INFO, c->log, err,
                  "kmip: client closed connection while its request "
                  "was in progress");

    ngx_stream_kmip_finalize(ctx, NGX_STREAM_OK);
}


static void
ngx_stream_kmip_free_request(ngx_stream_kmip_ctx_t *ctx)
{
    ngx_pool_t  *pool;

    if (ctx->req == NULL) {
        return;
    }

    /*
     * destroying the pool runs the request's cleanups, which cancel
     * whatever it still waits for
     */

    pool = ctx->req->pool;

    ctx->req = NULL;
    ctx->body = NULL;

    ngx_destroy_pool(pool);
}


static void
ngx_stream_kmip_cleanup(void *data)
{
    ngx_stream_kmip_ctx_t  *ctx = data;

    ngx_stream_kmip_free_request(ctx);

    /* a stream dies with its connection, its key schedule wiped */
    ngx_kmip_crypto_streams_close(&ctx->streams,
                                  ctx->session->connection->log);
}


/*
 * An idle connection that nginx reclaims, or that timed out, has nothing
 * in flight: no close_notify is sent either, since a client that does not
 * read could make that write wait, and the slot must be free at once.
 */

static void
ngx_stream_kmip_close_idle(ngx_stream_kmip_ctx_t *ctx)
{
    ngx_connection_t  *c;

    c = ctx->session->connection;

    if (c->ssl) {
        c->ssl->no_send_shutdown = 1;
    }

    ngx_stream_kmip_finalize(ctx, NGX_STREAM_OK);
}


static void
ngx_stream_kmip_finalize(ngx_stream_kmip_ctx_t *ctx, ngx_uint_t rc)
{
    ngx_connection_t  *c;

    c = ctx->session->connection;

    if (c->ssl) {
        /*
         * Nothing is read after the close: waiting for the client's
         * close_notify (nginx waits up to 3 seconds, with the connection
         * not reusable) would only hold the slot, and let idle clients
         * exhaust worker_connections even when nginx reclaims them.
         */
        c->ssl->no_wait_shutdown = 1;
    }

    ngx_stream_kmip_free_request(ctx);

    ngx_stream_finalize_session(ctx->session, rc);
}
