
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_text.h"
#include "ngx_kmip_kp_conf.h"
#include "ngx_kmip_store_kp.h"
#include "ngx_kmip_cache.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_transport.h"
#include "ngx_http_kmip_module.h"


/*
 * A KMIP request over HTTPS, from its headers to its answer: the method
 * and Content-Type checked, the body read within kmip_max_message_size and
 * client_body_timeout, decoded in its encoding, run through the batch
 * runner (ops/ngx_kmip_transport.h) as the stream module runs a message,
 * and the Response Message sent back in the same encoding.
 */


static ngx_int_t ngx_http_kmip_encoding(ngx_http_request_t *r,
    ngx_http_kmip_encoding_e *encoding);
static void ngx_http_kmip_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_kmip_body(ngx_http_request_t *r,
    ngx_kmip_req_t *kr, u_char **body, size_t *len);
static ngx_kmip_req_t *ngx_http_kmip_create_req(ngx_http_request_t *r,
    ngx_http_kmip_loc_conf_t *klcf);
static ngx_kmip_crypto_streams_t *ngx_http_kmip_streams(
    ngx_http_request_t *r, ngx_http_kmip_loc_conf_t *klcf);
static void ngx_http_kmip_streams_close(void *data);
static void ngx_http_kmip_run(ngx_http_request_t *r, ngx_kmip_req_t *kr,
    u_char *body, size_t len);
static ngx_int_t ngx_http_kmip_decode(ngx_http_kmip_ctx_t *ctx,
    ngx_kmip_req_t *kr, u_char *body, size_t len, ngx_kmip_item_t **root);
static void ngx_http_kmip_access_done(ngx_kmip_req_t *kr, ngx_int_t rc,
    const char *what);
static void ngx_http_kmip_item_done(ngx_kmip_req_t *kr, ngx_uint_t n);
static void ngx_http_kmip_reject(ngx_kmip_req_t *kr, uint32_t reason,
    const char *what);
static void ngx_http_kmip_request_done(ngx_kmip_req_t *kr);
static ngx_int_t ngx_http_kmip_send(ngx_http_request_t *r,
    ngx_http_kmip_ctx_t *ctx, ngx_kmip_req_t *kr);
static ngx_int_t ngx_http_kmip_add_header(ngx_http_request_t *r,
    const char *key, const char *value);


ngx_str_t  ngx_http_kmip_types[] = {
    ngx_string("application/octet-stream"),
    ngx_string("application/json"),
    ngx_string("text/xml")
};

ngx_str_t  ngx_http_kmip_names[] = {
    ngx_string("ttlv"),
    ngx_string("json"),
    ngx_string("xml")
};


ngx_int_t
ngx_http_kmip_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_kmip_ctx_t       *ctx;
    ngx_http_kmip_loc_conf_t  *klcf;
    ngx_http_kmip_encoding_e   encoding;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kmip_module);

    if (r->connection->ssl == NULL) {
        /* a key server never answers in the clear, whatever "listen" says */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "kmip: request without TLS refused");
        return NGX_HTTP_FORBIDDEN;
    }

    if (!(r->method & NGX_HTTP_POST)) {
        /* a KMIP request is the body of a POST */

        if (ngx_http_kmip_add_header(r, "Allow", "POST") != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_kmip_encoding(r, &encoding) != NGX_OK) {
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    if (r->headers_in.content_length_n > (off_t) klcf->max_message_size) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "kmip: client sent a message of %O bytes, more than "
                      "kmip_max_message_size %uz",
                      r->headers_in.content_length_n,
                      klcf->max_message_size);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_kmip_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->encoding = encoding;

    ngx_http_set_ctx(r, ctx, ngx_http_kmip_module);

    /* in memory, never in client_body_temp: it may carry a key */
    r->request_body_in_single_buf = 1;
    r->request_body_in_file_only = 0;

    if (r->header_in) {
        ctx->header_in = r->header_in;
        ctx->preread = r->header_in->pos;
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_kmip_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* the encoding from the media type, its parameters (charset) ignored */

static ngx_int_t
ngx_http_kmip_encoding(ngx_http_request_t *r,
    ngx_http_kmip_encoding_e *encoding)
{
    u_char      *p, *last;
    ngx_str_t    type, safe;
    ngx_uint_t   i;

    if (r->headers_in.content_type == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "kmip: request without Content-Type");
        return NGX_DECLINED;
    }

    type = r->headers_in.content_type->value;

    p = type.data;
    last = ngx_strlchr(p, p + type.len, ';');

    if (last == NULL) {
        last = p + type.len;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    for (i = 0; i < sizeof(ngx_http_kmip_types) / sizeof(ngx_str_t); i++) {
        if ((size_t) (last - p) == ngx_http_kmip_types[i].len
            && ngx_strncasecmp(p, ngx_http_kmip_types[i].data,
                               ngx_http_kmip_types[i].len)
               == 0)
        {
            *encoding = (ngx_http_kmip_encoding_e) i;
            return NGX_OK;
        }
    }

    /* the client's text, made printable for the log line */

    if (ngx_kmip_log_text(r->pool, type.data, type.len, 64, &safe)
        != NGX_OK)
    {
        ngx_str_set(&safe, "?");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "kmip: request of unsupported Content-Type \"%V\"", &safe);

    return NGX_DECLINED;
}


static void
ngx_http_kmip_body_handler(ngx_http_request_t *r)
{
    u_char                    *body;
    size_t                     len;
    ngx_int_t                  rc;
    ngx_kmip_req_t            *kr;
    ngx_http_kmip_ctx_t       *ctx;
    ngx_http_kmip_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kmip_module);

    /*
     * who asks, and in which scope, known before the body is decoded
     * ($kmip_client_fingerprint, $kmip_client_scope): the certificate is
     * the TLS connection's, so every request of a keep-alive or an HTTP/2
     * connection lands in the same scope
     */
    ctx = ngx_http_get_module_ctx(r, ngx_http_kmip_module);
    ngx_kmip_peer_init(&ctx->peer, r->connection, r->pool, &klcf->access);

    kr = ngx_http_kmip_create_req(r, klcf);
    if (kr == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_kmip_wipe_preread(r, ctx);

#if (NGX_HTTP_V2)
    if (r->stream) {
        ngx_http_kmip_wipe_h2_later(r);
    }
#endif

    rc = ngx_http_kmip_body(r, kr, &body, &len);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    if (len > klcf->max_message_size) {
        /* a chunked body, or an HTTP/2 one without content-length */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "kmip: client sent a message of %uz bytes, more than "
                      "kmip_max_message_size %uz",
                      len, klcf->max_message_size);
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

    ngx_http_kmip_run(r, kr, body, len);
}


/*
 * The body in one buffer, its bytes wiped when the request ends (a
 * Register carries a key). ngx_http_kmip_check_conf() sized
 * client_body_buffer_size so that a body within kmip_max_message_size is
 * never written to a file.
 */

static ngx_int_t
ngx_http_kmip_body(ngx_http_request_t *r, ngx_kmip_req_t *kr, u_char **body,
    size_t *len)
{
    u_char              *p;
    size_t               size;
    ngx_str_t           *secret;
    ngx_chain_t         *cl;
    ngx_pool_cleanup_t  *cln;

    *body = NULL;
    *len = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_kmip_wipe_body;
    cln->data = r->request_body;

    if (r->connection->ssl) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cln->handler = ngx_http_kmip_wipe_ssl_buffer;
        cln->data = r->connection->ssl;
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (cl->buf->in_file || r->request_body->temp_file) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "kmip: request body buffered to a file");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        size += cl->buf->last - cl->buf->pos;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL) {
        *body = cl->buf->pos;
        *len = size;
        return NGX_OK;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "kmip request body of %uz bytes in several buffers",
                   size);

    p = ngx_kmip_op_secret(kr, size, &secret);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *body = p;
    *len = size;

    for ( /* void */ ; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    return NGX_OK;
}


/*
 * The request as the operations see it, in the http request's pool: its
 * store calls are cancelled, and its key bytes wiped, when nginx frees the
 * request (a client that goes away included).
 */

static ngx_kmip_req_t *
ngx_http_kmip_create_req(ngx_http_request_t *r,
    ngx_http_kmip_loc_conf_t *klcf)
{
    ngx_uint_t            n;
    ngx_kmip_kp_t        *kp;
    ngx_kmip_req_t       *kr;
    ngx_http_kmip_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kmip_module);

    kr = ngx_pcalloc(r->pool, sizeof(ngx_kmip_req_t));
    if (kr == NULL) {
        return NULL;
    }

    kr->pool = r->pool;
    kr->log = r->connection->log;
    kr->msg.maximum_response_size = -1;
    kr->conf = &klcf->server;
    kr->done = ngx_http_kmip_request_done;
    kr->item_done = ngx_http_kmip_item_done;
    kr->data = r;

    kr->streams = ngx_http_kmip_streams(r, klcf);
    if (kr->streams == NULL) {
        return NULL;
    }

    kp = klcf->keyprotect.kp;

    if (kp && ctx->peer.scope && klcf->scope_kp) {
        /* a scope with its own key ring */
        n = ctx->peer.scope
            - (ngx_kmip_scope_t *) klcf->access.scopes->elts;
        kp = klcf->scope_kp[n] ? klcf->scope_kp[n] : kp;
    }

    if (kp) {
        kr->store = ngx_kmip_store_open(r->pool, r->connection->log,
                                        &ngx_kmip_store_kp_backend, kp,
                                        klcf->cache);
        if (kr->store == NULL) {
            return NULL;
        }

        kr->store->scope = *ngx_kmip_scope_stored_name(ctx->peer.scope);
    }

    ngx_kmip_audit_init_req(kr, klcf->cache, klcf->audit);

    (void) ngx_kmip_req_init(kr);

    ngx_kmip_req_correlation(kr, r->connection->number,
                             r->connection->requests);

    ctx->req = kr;

    return kr;
}


/*
 * Multi-part operations (Init, Correlation Value, Final) live on the TLS
 * connection, as on the KMIP port: an HTTP/1.1 keep-alive connection, or
 * an HTTP/2 one whatever stream carries each part. The connection is one
 * client (its certificate), and a stream's Correlation Value is random,
 * so it is no one else's to continue. The parts of one location's streams
 * are not another location's, whose scopes and operations may differ.
 * Every part runs on the event loop, so HTTP/2's concurrent requests
 * never touch a stream at the same time.
 */

static ngx_kmip_crypto_streams_t *
ngx_http_kmip_streams(ngx_http_request_t *r, ngx_http_kmip_loc_conf_t *klcf)
{
    ngx_connection_t          *c;
    ngx_pool_cleanup_t        *cln;
    ngx_http_kmip_streams_t   *hs;
    ngx_http_core_loc_conf_t  *clcf;

    c = r->connection;

#if (NGX_HTTP_V2)
    if (r->stream) {
        c = r->stream->connection->connection;
    }
#endif

    for (cln = c->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_kmip_streams_close) {
            hs = cln->data;

            if (hs->conf == klcf) {
                return &hs->streams;
            }
        }
    }

    cln = ngx_pool_cleanup_add(c->pool, sizeof(ngx_http_kmip_streams_t));
    if (cln == NULL) {
        return NULL;
    }

    hs = cln->data;
    ngx_memzero(hs, sizeof(ngx_http_kmip_streams_t));

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    hs->conf = klcf;
    hs->connection = c;

    /* a stream unused as long as an idle connection is dropped */
    hs->streams.idle = (time_t) ngx_max(clcf->keepalive_timeout / 1000, 1);

    cln->handler = ngx_http_kmip_streams_close;

    return &hs->streams;
}


/* a stream dies with its connection, its key schedule wiped */

static void
ngx_http_kmip_streams_close(void *data)
{
    ngx_http_kmip_streams_t  *hs = data;

    ngx_kmip_crypto_streams_close(&hs->streams, hs->connection->log);
}


static void
ngx_http_kmip_run(ngx_http_request_t *r, ngx_kmip_req_t *kr, u_char *body,
    size_t len)
{
    ngx_int_t                  rc;
    ngx_uint_t                 known;
    const char                *what;
    ngx_kmip_item_t           *root;
    ngx_http_kmip_ctx_t       *ctx;
    ngx_http_kmip_loc_conf_t  *klcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kmip_module);

    if (ngx_http_kmip_decode(ctx, kr, body, len, &root) != NGX_OK) {
        ngx_kmip_req_guess_version(kr, ctx->encoding == ngx_http_kmip_ttlv
                                       ? body : NULL, len);
        ngx_http_kmip_reject(kr, NGX_KMIP_REASON_INVALID_MESSAGE,
                             "the message cannot be decoded");
        return;
    }

    rc = ngx_kmip_req_parse(kr, root,
                            ctx->encoding == ngx_http_kmip_ttlv ? body : NULL,
                            len, &known);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_kmip_request_done(kr);
        return;
    }

    /*
     * a refused client learns why in the request's own version; a slow
     * password hash is checked in a thread while the request waits
     */

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kmip_module);

    what = NULL;
    rc = ngx_kmip_peer_check(&ctx->peer, &klcf->access, kr,
                             ngx_http_kmip_access_done, &what);

    if (rc == NGX_AGAIN) {
        ctx->waiting = 1;
        r->read_event_handler = ngx_http_test_reading;
        r->connection->log->action = "checking the KMIP credential";
        return;
    }

    ngx_http_kmip_access_done(kr, rc, what);
}


/*
 * The request once its access is decided: refused with Permission Denied
 * (a refused certificate closes the connection after the answer, as on
 * the KMIP port), or its batch run.
 */

static void
ngx_http_kmip_access_done(ngx_kmip_req_t *kr, ngx_int_t rc,
    const char *what)
{
    ngx_http_request_t   *r;
    ngx_http_kmip_ctx_t  *ctx;

    r = kr->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_kmip_module);

    if (rc != NGX_OK) {
        if (!ctx->peer.allowed) {
            r->keepalive = 0;
        }

        ngx_http_kmip_reject(kr, NGX_KMIP_REASON_PERMISSION_DENIED, what);
        return;
    }

    kr->results = ngx_pcalloc(r->pool, kr->msg.nitems
                                       * sizeof(ngx_kmip_response_item_t));
    if (kr->results == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->connection->log->action = "processing KMIP request";

    rc = ngx_kmip_batch_run(kr);

    if (rc == NGX_OK) {
        ngx_http_kmip_request_done(kr);
        return;
    }

    /*
     * NGX_AGAIN: an operation waits for the key store; a client that goes
     * away finalizes the request, whose pool cancels the calls
     */

    ctx->waiting = 1;
    r->read_event_handler = ngx_http_test_reading;
    r->connection->log->action = "waiting for the key store";
}


/* a batch item is answered: audited and counted as on the KMIP port */

static void
ngx_http_kmip_item_done(ngx_kmip_req_t *kr, ngx_uint_t n)
{
    ngx_http_request_t        *r;
    ngx_http_kmip_ctx_t       *ctx;
    ngx_kmip_audit_who_t       who;
    ngx_http_kmip_loc_conf_t  *klcf;

    r = kr->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_kmip_module);
    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kmip_module);

    who.transport = NGX_KMIP_TRANSPORT_HTTPS;
    who.addr = &r->connection->addr_text;
    who.peer = &ctx->peer;

    ngx_kmip_audit_item(kr, n, klcf->audit, &who);
}


static ngx_int_t
ngx_http_kmip_decode(ngx_http_kmip_ctx_t *ctx, ngx_kmip_req_t *kr,
    u_char *body, size_t len, ngx_kmip_item_t **root)
{
    int                 rc;
    ngx_kmip_error_t    err;
    ngx_kmip_limits_t   limits;

    ngx_memzero(&err, sizeof(ngx_kmip_error_t));

    limits.max_depth = NGX_KMIP_DEFAULT_MAX_DEPTH;
    limits.max_items = NGX_KMIP_DEFAULT_MAX_ITEMS;

    if (len == 0) {
        ngx_log_error(NGX_LOG_INFO, kr->log, 0,
                      "kmip: client sent an empty request body");
        return NGX_ERROR;
    }

    switch (ctx->encoding) {

    case ngx_http_kmip_json:
        rc = ngx_kmip_json_decode(body, len, &limits, &kr->alloc, root,
                                  &err);
        break;

    case ngx_http_kmip_xml:
        rc = ngx_kmip_xml_decode(body, len, &limits, &kr->alloc, root, &err);
        break;

    default: /* ngx_http_kmip_ttlv */
        rc = ngx_kmip_ttlv_decode(body, len, &limits, &kr->alloc, root,
                                  &err);
        break;
    }

    if (rc != NGX_KMIP_OK) {
        ngx_log_error(NGX_LOG_INFO, kr->log, 0,
                      "kmip: client sent invalid %V: %s at offset %uz",
                      &ngx_http_kmip_names[ctx->encoding],
                      err.what ? err.what : ngx_kmip_text_strerror(err.rc),
                      err.offset);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_kmip_reject(ngx_kmip_req_t *kr, uint32_t reason, const char *what)
{
    if (ngx_kmip_req_reject(kr, reason, what) != NGX_OK) {
        ngx_http_finalize_request(kr->data, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_kmip_request_done(kr);
}


/*
 * The answer: a KMIP Response Message, HTTP 200, whatever its Result
 * Status says, as a TTLV server answers on its connection. Called at once
 * or, after a store call, from an event that is not the request's, so the
 * posted requests (HTTP/2) are run then.
 */

static void
ngx_http_kmip_request_done(ngx_kmip_req_t *kr)
{
    ngx_int_t             rc;
    ngx_uint_t            waiting;
    ngx_connection_t     *c;
    ngx_http_request_t   *r;
    ngx_http_kmip_ctx_t  *ctx;

    r = kr->data;
    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_kmip_module);

    /* the request, its pool and ctx may be freed by the finalization */
    waiting = ctx->waiting;

    rc = ngx_http_kmip_send(r, ctx, kr);

    ngx_http_finalize_request(r, rc);

    if (waiting) {
        ngx_http_run_posted_requests(c);
    }
}


static ngx_int_t
ngx_http_kmip_send(ngx_http_request_t *r, ngx_http_kmip_ctx_t *ctx,
    ngx_kmip_req_t *kr)
{
    u_char                    *p, *last;
    size_t                     size, ttlv;
    ngx_int_t                  rc;
    ngx_buf_t                 *b;
    ngx_str_t                 *secret;
    ngx_chain_t                out;
    ngx_kmip_item_t           *response;
    ngx_kmip_response_item_t  *item;

    r->connection->log->action = "sending KMIP response";

    response = ngx_kmip_req_response(kr, &ttlv);
    if (response == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (ctx->encoding) {

    case ngx_http_kmip_json:
        size = ngx_kmip_json_size(response);
        break;

    case ngx_http_kmip_xml:
        size = ngx_kmip_xml_size(response);
        break;

    default: /* ngx_http_kmip_ttlv */
        size = ttlv;
        break;
    }

    /* a Get answer carries key material: wiped when the request ends */

    p = ngx_kmip_op_secret(kr, size, &secret);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (ctx->encoding) {

    case ngx_http_kmip_json:
        last = ngx_kmip_json_encode(response, p);
        break;

    case ngx_http_kmip_xml:
        last = ngx_kmip_xml_encode(response, p);
        break;

    default: /* ngx_http_kmip_ttlv */
        last = ngx_kmip_ttlv_encode(response, p);
        break;
    }

    if ((size_t) (last - p) != size) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "kmip: encoded %uz bytes instead of %uz",
                      (size_t) (last - p), size);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->last_operation = kr->last_operation;

    if (kr->nresults) {
        item = &kr->results[kr->nresults - 1];
        ctx->last_result = ngx_kmip_result_name(item->result_status,
                                                item->result_reason);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "kmip response: %ui batch items, %uz bytes, last %s",
                   kr->nresults, size, ctx->last_result);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = size;
    r->headers_out.content_type = ngx_http_kmip_types[ctx->encoding];
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    /* a response is never cached: it may carry a key */

    if (ngx_http_kmip_add_header(r, "Cache-Control", "no-store") != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = p;
    b->last = last;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* a header of the response, from constant strings */

static ngx_int_t
ngx_http_kmip_add_header(ngx_http_request_t *r, const char *key,
    const char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;
    h->value.len = ngx_strlen(value);
    h->value.data = (u_char *) value;

    return NGX_OK;
}
