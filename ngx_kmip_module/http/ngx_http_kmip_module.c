
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#if (NGX_HTTP_V2)
#include <ngx_http_v2_module.h>
#endif

#include <openssl/crypto.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_json.h"
#include "ngx_kmip_xml.h"
#include "ngx_kmip_kp_conf.h"
#include "ngx_kmip_store_kp.h"
#include "ngx_kmip_cache.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_transport.h"


/*
 * KMIP over HTTPS ("KMIP Additional Message Encodings" v1.0): a request
 * message is the body of a POST, in TTLV (application/octet-stream), JSON
 * (application/json) or XML (text/xml), and the response message is the
 * body of the answer, in the same encoding. Below the transport it is the
 * stream module's server: the same batch runner, operations, store, Key
 * Protect client and IAM token (ops/ngx_kmip_transport.c,
 * kp/ngx_kmip_kp_conf.c). This module is only the glue: the request body,
 * the encodings, the status codes and the variables.
 */


#define NGX_HTTP_KMIP_SHA256_LEN  32


typedef enum {
    ngx_http_kmip_ttlv = 0,
    ngx_http_kmip_json,
    ngx_http_kmip_xml
} ngx_http_kmip_encoding_e;


typedef struct {
    ngx_flag_t                  enable;
    size_t                      max_message_size;
    ngx_array_t                *allowed_certs;  /* SHA-256 digests */
    ngx_kmip_cache_t           *cache;          /* NULL: off */
    ngx_flag_t                  cache_set;
    ngx_kmip_kp_conf_t          keyprotect;
    ngx_kmip_server_conf_t      server;
} ngx_http_kmip_loc_conf_t;


typedef struct {
    ngx_kmip_req_t             *req;
    ngx_http_kmip_encoding_e    encoding;
    ngx_str_t                   fingerprint;    /* SHA-256, hex */
    const char                 *refusal;        /* NULL: the client may
                                                   use the location */
    ngx_buf_t                  *header_in;      /* HTTP/1.x: the header
                                                   buffer, and where the
                                                   body began in it */
    u_char                     *preread;
    uint32_t                    last_operation;
    const char                 *last_result;
    unsigned                    waiting:1;      /* on the key store */
} ngx_http_kmip_ctx_t;


static ngx_int_t ngx_http_kmip_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_kmip_encoding(ngx_http_request_t *r,
    ngx_http_kmip_encoding_e *encoding);
static void ngx_http_kmip_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_kmip_body(ngx_http_request_t *r,
    ngx_kmip_req_t *kr, u_char **body, size_t *len);
static void ngx_http_kmip_wipe_body(void *data);
static void ngx_http_kmip_wipe_preread(ngx_http_request_t *r,
    ngx_http_kmip_ctx_t *ctx);
static void ngx_http_kmip_wipe_ssl_buffer(void *data);
#if (NGX_HTTP_V2)
static void ngx_http_kmip_wipe_h2_later(ngx_http_request_t *r);
static void ngx_http_kmip_wipe_h2(ngx_event_t *ev);
#endif
static ngx_kmip_req_t *ngx_http_kmip_create_req(ngx_http_request_t *r,
    ngx_http_kmip_loc_conf_t *klcf);
static void ngx_http_kmip_run(ngx_http_request_t *r, ngx_kmip_req_t *kr,
    u_char *body, size_t len);
static ngx_int_t ngx_http_kmip_decode(ngx_http_kmip_ctx_t *ctx,
    ngx_kmip_req_t *kr, u_char *body, size_t len, ngx_kmip_item_t **root);
static const char *ngx_http_kmip_peer(ngx_http_request_t *r,
    ngx_http_kmip_ctx_t *ctx, ngx_http_kmip_loc_conf_t *klcf);
static void ngx_http_kmip_reject(ngx_kmip_req_t *kr, uint32_t reason,
    const char *what);
static void ngx_http_kmip_request_done(ngx_kmip_req_t *kr);
static ngx_int_t ngx_http_kmip_send(ngx_http_request_t *r,
    ngx_http_kmip_ctx_t *ctx, ngx_kmip_req_t *kr);

static ngx_int_t ngx_http_kmip_add_variables(ngx_conf_t *cf);
static void *ngx_http_kmip_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_kmip_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_kmip_check_conf(ngx_conf_t *cf,
    ngx_http_kmip_loc_conf_t *klcf);
static char *ngx_http_kmip(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_kmip_key_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_kmip_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#define NGX_HTTP_KMIP_CONF                                                    \
    (NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1)


static ngx_command_t  ngx_http_kmip_commands[] = {

    { ngx_string("kmip"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_kmip,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kmip_max_message_size"),
      NGX_HTTP_KMIP_CONF,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, max_message_size),
      &ngx_kmip_conf_message_size_post },

    { ngx_string("kmip_allowed_client_certificate"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_conf_allowed_certs,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, allowed_certs),
      NULL },

    { ngx_string("kmip_protocol_versions"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_kmip_conf_set_versions,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, server.versions),
      NULL },

    { ngx_string("kmip_interop"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, server.interop),
      NULL },

    { ngx_string("kmip_operations"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_kmip_conf_set_operations,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, server.operations),
      NULL },

    { ngx_string("kmip_key_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_kmip_key_cache,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kmip_keyprotect_url"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.url),
      NULL },

    { ngx_string("kmip_keyprotect_instance"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.instance),
      NULL },

    { ngx_string("kmip_keyprotect_root_key"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.root_key),
      NULL },

    { ngx_string("kmip_keyprotect_key_ring"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.key_ring),
      NULL },

    { ngx_string("kmip_keyprotect_timeout"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_msec,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.timeout),
      NULL },

    { ngx_string("kmip_keyprotect_ssl_trusted_certificate"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.trusted_certificate),
      NULL },

    { ngx_string("kmip_iam_url"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.iam_url),
      NULL },

    { ngx_string("kmip_iam_api_key_file"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.api_key_file),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_kmip_module_ctx = {
    ngx_http_kmip_add_variables,           /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_kmip_create_loc_conf,         /* create location configuration */
    ngx_http_kmip_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_kmip_module = {
    NGX_MODULE_V1,
    &ngx_http_kmip_module_ctx,             /* module context */
    ngx_http_kmip_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the variables describe one request: the access log's line */

enum {
    ngx_http_kmip_var_operation = 0,
    ngx_http_kmip_var_result,
    ngx_http_kmip_var_encoding,
    ngx_http_kmip_var_fingerprint,
    ngx_http_kmip_var_correlation
};


static ngx_http_variable_t  ngx_http_kmip_vars[] = {

    { ngx_string("kmip_operation"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_operation, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_result"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_result, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_encoding"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_encoding, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_client_fingerprint"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_fingerprint, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_correlation"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_correlation, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


#if (NGX_HTTP_V2)
/* wipes the worker's HTTP/2 receive buffer once the event loop is past it */
static ngx_event_t  ngx_http_kmip_h2_wipe_event;
#endif


static ngx_str_t  ngx_http_kmip_types[] = {
    ngx_string("application/octet-stream"),
    ngx_string("application/json"),
    ngx_string("text/xml")
};

static ngx_str_t  ngx_http_kmip_names[] = {
    ngx_string("ttlv"),
    ngx_string("json"),
    ngx_string("xml")
};


static ngx_int_t
ngx_http_kmip_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_table_elt_t           *h;
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

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Allow");
        ngx_str_set(&h->value, "POST");

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

    kr = ngx_http_kmip_create_req(r, klcf);
    if (kr == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* who asks, known before the body is decoded ($kmip_client_fingerprint) */
    ctx = ngx_http_get_module_ctx(r, ngx_http_kmip_module);
    ctx->refusal = ngx_http_kmip_peer(r, ctx, klcf);

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
 * The part of the body that came with the headers stays in the header
 * buffer, which the connection keeps (and frees unwiped) after the
 * request; once nginx has copied it into the body's own buffer it is
 * wiped there. Only the bytes nginx took for the body are: a pipelined
 * request after them is left alone. Where the body's buffer is the header
 * buffer itself, ngx_http_kmip_wipe_body() wipes it with the request.
 */

static void
ngx_http_kmip_wipe_preread(ngx_http_request_t *r, ngx_http_kmip_ctx_t *ctx)
{
    u_char       *start, *end;
    ngx_chain_t  *cl;

    if (ctx->header_in == NULL || r->header_in != ctx->header_in) {
        return;
    }

    start = ctx->preread;
    end = r->header_in->pos;

    if (end <= start || start < r->header_in->start
        || end > r->header_in->end)
    {
        return;
    }

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            if (!cl->buf->in_file && cl->buf->pos < end
                && cl->buf->last > start)
            {
                /* the body is read in place: wiped with the request */
                return;
            }
        }
    }

    OPENSSL_cleanse(start, end - start);
}


/*
 * nginx copies what it sends over TLS into the connection's buffer
 * (ssl_buffer_size) and frees it unwiped: an answer that carried a key is
 * wiped there too when the request ends, all but what still waits to be
 * sent (another HTTP/2 stream's).
 */

static void
ngx_http_kmip_wipe_ssl_buffer(void *data)
{
    ngx_ssl_connection_t *ssl = data;

    ngx_buf_t  *b;

    b = ssl->buf;

    if (b == NULL || b->start == NULL) {
        return;
    }

    OPENSSL_cleanse(b->start, b->pos - b->start);
    OPENSSL_cleanse(b->last, b->end - b->last);
}


#if (NGX_HTTP_V2)

/*
 * HTTP/2 frames are read into one buffer per worker (http2_recv_buffer_size),
 * the body's DATA frames included, and stay there until a larger read
 * overwrites them. Nothing points into it once nginx's read handler has
 * returned, so the buffer is wiped from a posted event, once per pass of
 * the event loop however many requests asked. ngx_http_v2_module is found
 * by name: a module that referenced it would not load into an nginx
 * without HTTP/2.
 */

static void
ngx_http_kmip_wipe_h2_later(ngx_http_request_t *r)
{
    ngx_uint_t                i;
    ngx_module_t            **modules;
    ngx_http_v2_main_conf_t  *h2mcf;

    if (ngx_http_kmip_h2_wipe_event.posted) {
        return;
    }

    modules = ngx_cycle->modules;

    for (i = 0; modules[i]; i++) {
        if (ngx_strcmp(modules[i]->name, "ngx_http_v2_module") == 0) {
            break;
        }
    }

    if (modules[i] == NULL) {
        return;
    }

    h2mcf = r->main_conf[modules[i]->ctx_index];

    if (h2mcf == NULL || h2mcf->recv_buffer == NULL) {
        return;
    }

    ngx_http_kmip_h2_wipe_event.handler = ngx_http_kmip_wipe_h2;
    ngx_http_kmip_h2_wipe_event.data = h2mcf;
    ngx_http_kmip_h2_wipe_event.log = ngx_cycle->log;

    ngx_post_event(&ngx_http_kmip_h2_wipe_event, &ngx_posted_events);
}


static void
ngx_http_kmip_wipe_h2(ngx_event_t *ev)
{
    ngx_http_v2_main_conf_t  *h2mcf = ev->data;

    OPENSSL_cleanse(h2mcf->recv_buffer, h2mcf->recv_buffer_size);
}

#endif


static void
ngx_http_kmip_wipe_body(void *data)
{
    ngx_http_request_body_t *rb = data;

    ngx_chain_t  *cl;

    for (cl = rb->bufs; cl; cl = cl->next) {
        if (!cl->buf->in_file && cl->buf->pos) {
            OPENSSL_cleanse(cl->buf->pos, cl->buf->last - cl->buf->pos);
        }
    }
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
    kr->data = r;

    /*
     * no multi-part Encrypt or Decrypt: a stream lives on its connection,
     * and an HTTP request has none of its own (HTTP/2 multiplexes, a proxy
     * pools)
     */
    kr->streams = NULL;

    if (klcf->keyprotect.kp) {
        kr->store = ngx_kmip_store_open(r->pool, r->connection->log,
                                        &ngx_kmip_store_kp_backend,
                                        klcf->keyprotect.kp, klcf->cache);
        if (kr->store == NULL) {
            return NULL;
        }

        kr->store->scope = *ngx_kmip_scope_stored_name(NULL);
    }

    (void) ngx_kmip_req_init(kr);

    ngx_kmip_req_correlation(kr, r->connection->number,
                             r->connection->requests);

    ctx->req = kr;

    return kr;
}


static void
ngx_http_kmip_run(ngx_http_request_t *r, ngx_kmip_req_t *kr, u_char *body,
    size_t len)
{
    ngx_int_t                  rc;
    ngx_uint_t                 known;
    ngx_kmip_item_t           *root;
    ngx_http_kmip_ctx_t       *ctx;

    static ngx_str_t  none = ngx_string("none (no certificate)");

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

    /* a refused client learns why in the request's own version */

    if (ctx->refusal) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "kmip: %s: sha256 %V", ctx->refusal,
                      ctx->fingerprint.len ? &ctx->fingerprint : &none);
        r->keepalive = 0;
        ngx_http_kmip_reject(kr, NGX_KMIP_REASON_PERMISSION_DENIED,
                             ctx->refusal);
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


/*
 * Who may use the location: nginx has verified the client certificate
 * (ssl_verify_client on), or kmip_allowed_client_certificate pins it.
 * NULL: allowed; otherwise why not.
 */

static const char *
ngx_http_kmip_peer(ngx_http_request_t *r, ngx_http_kmip_ctx_t *ctx,
    ngx_http_kmip_loc_conf_t *klcf)
{
    u_char            *fp;
    X509              *x509;
    unsigned int       n;
    ngx_connection_t  *c;
    u_char             digest[NGX_HTTP_KMIP_SHA256_LEN];

    c = r->connection;

    x509 = SSL_get_peer_certificate(c->ssl->connection);
    if (x509 == NULL) {
        return klcf->allowed_certs ? "client certificate not allowed" : NULL;
    }

    n = sizeof(digest);

    if (X509_digest(x509, EVP_sha256(), digest, &n) == 0) {
        X509_free(x509);
        ERR_clear_error();
        return "client certificate unreadable";
    }

    X509_free(x509);

    fp = ngx_pnalloc(r->pool, 2 * NGX_HTTP_KMIP_SHA256_LEN);
    if (fp != NULL) {
        ngx_hex_dump(fp, digest, NGX_HTTP_KMIP_SHA256_LEN);
        ctx->fingerprint.data = fp;
        ctx->fingerprint.len = 2 * NGX_HTTP_KMIP_SHA256_LEN;
    }

    if (klcf->allowed_certs
        && !ngx_kmip_digest_listed(klcf->allowed_certs, digest))
    {
        return "client certificate not allowed";
    }

    return NULL;
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
    ngx_table_elt_t           *h;
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

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

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


static ngx_int_t
ngx_http_kmip_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_kmip_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_kmip_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t             value;
    const char           *s;
    ngx_http_kmip_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kmip_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_str_null(&value);
    s = NULL;

    switch (data) {

    case ngx_http_kmip_var_operation:
        if (ctx->last_result) {
            s = ctx->last_operation
                ? ngx_kmip_operation_name(ctx->last_operation) : "-";
        }
        break;

    case ngx_http_kmip_var_result:
        s = ctx->last_result;
        break;

    case ngx_http_kmip_var_encoding:
        value = ngx_http_kmip_names[ctx->encoding];
        break;

    case ngx_http_kmip_var_fingerprint:
        value = ctx->fingerprint;
        break;

    default: /* ngx_http_kmip_var_correlation */
        if (ctx->req) {
            value = ctx->req->server_correlation;
        }
        break;
    }

    if (s) {
        value.data = (u_char *) s;
        value.len = ngx_strlen(s);
    }

    if (value.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = value.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = value.data;

    return NGX_OK;
}


static void *
ngx_http_kmip_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_kmip_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_kmip_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = NGX_CONF_UNSET;
    conf->max_message_size = NGX_CONF_UNSET_SIZE;
    conf->allowed_certs = NGX_CONF_UNSET_PTR;
    conf->cache_set = NGX_CONF_UNSET;

    ngx_kmip_server_conf_init(&conf->server);

    ngx_kmip_kp_conf_init(&conf->keyprotect);

    return conf;
}


static char *
ngx_http_kmip_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_kmip_loc_conf_t *prev = parent;
    ngx_http_kmip_loc_conf_t *conf = child;

    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_size_value(conf->max_message_size, prev->max_message_size,
                              64 * 1024);
    ngx_conf_merge_ptr_value(conf->allowed_certs, prev->allowed_certs, NULL);

    if (conf->cache_set == NGX_CONF_UNSET) {
        conf->cache_set = prev->cache_set;
        conf->cache = prev->cache;
    }

    if (ngx_kmip_server_conf_merge(cf, &prev->server, &conf->server)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_kmip_kp_conf_merge(cf, &prev->keyprotect, &conf->keyprotect,
                               clcf->resolver, clcf->resolver_timeout)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (!conf->enable || clcf->handler != ngx_http_kmip_handler) {
        return NGX_CONF_OK;
    }

    return ngx_http_kmip_check_conf(cf, conf);
}


static char *
ngx_http_kmip_check_conf(ngx_conf_t *cf, ngx_http_kmip_loc_conf_t *klcf)
{
    ngx_http_ssl_srv_conf_t   *sscf;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    sscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_ssl_module);

    /*
     * without ssl_verify_client on, anyone who reaches the location would
     * be a KMIP client
     */

    if (sscf->verify != 1 && klcf->allowed_certs == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip\" needs client certificates: set "
                           "\"ssl_verify_client on\", or pin certificates "
                           "with \"kmip_allowed_client_certificate\"");
        return NGX_CONF_ERROR;
    }

    if (sscf->verify == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_allowed_client_certificate\" needs "
                           "\"ssl_verify_client\" (\"optional_no_ca\" for "
                           "self-signed certificates)");
        return NGX_CONF_ERROR;
    }

    if (clcf->client_body_in_file_only) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip\" cannot be combined with "
                           "\"client_body_in_file_only\": a request may "
                           "carry a key");
        return NGX_CONF_ERROR;
    }

    /*
     * The body stays in memory: kmip_max_message_size bounds it (nginx
     * answers 413 past it, chunked or not), and the body buffer holds
     * that much, so that nothing a client sends reaches client_body_temp.
     */

    if (clcf->client_max_body_size == 0
        || clcf->client_max_body_size > (off_t) klcf->max_message_size)
    {
        clcf->client_max_body_size = klcf->max_message_size;
    }

    if (clcf->client_body_buffer_size <= klcf->max_message_size) {
        clcf->client_body_buffer_size = klcf->max_message_size + 1;
    }

    /*
     * OpenSSL decrypts records in place: a request (a Register's key)
     * stays in its read buffer until it is reused; the buffers are
     * released while a connection is idle and (OpenSSL 3) the plaintext
     * cleansed once read, as the stream module does
     */

    if (sscf->ssl.ctx) {
        SSL_CTX_set_mode(sscf->ssl.ctx, SSL_MODE_RELEASE_BUFFERS);

#ifdef SSL_OP_CLEANSE_PLAINTEXT
        SSL_CTX_set_options(sscf->ssl.ctx, SSL_OP_CLEANSE_PLAINTEXT);
#endif
    }

#if (NGX_THREADS)
    /* key pairs are made in nginx's "default" thread pool */
    klcf->server.thread_pool = ngx_thread_pool_add(cf, NULL);
    if (klcf->server.thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }
#endif

    return NGX_CONF_OK;
}


static char *
ngx_http_kmip(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kmip_loc_conf_t *klcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (klcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip\" cannot be combined with another "
                           "content handler (proxy_pass, return, ...) in "
                           "the same location");
        return NGX_CONF_ERROR;
    }

    klcf->enable = 1;
    clcf->handler = ngx_http_kmip_handler;

    return NGX_CONF_OK;
}


/* kmip_key_cache: a zone named as a stream server's is the same cache */

static char *
ngx_http_kmip_key_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kmip_loc_conf_t *klcf = conf;

    if (klcf->cache_set != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    klcf->cache_set = 1;

    return ngx_kmip_cache_conf(cf, &klcf->cache);
}
