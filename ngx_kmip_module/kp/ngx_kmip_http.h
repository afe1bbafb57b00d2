
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_HTTP_H_INCLUDED_
#define _NGX_KMIP_HTTP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <curl/curl.h>


/*
 * A small HTTP client: libcurl's multi interface driven by nginx's event
 * loop, one multi handle per worker. It knows nothing of Key Protect.
 *
 * A request is allocated in the caller's pool by ngx_kmip_http_create().
 * ngx_kmip_http_start() returns NGX_AGAIN and later calls r->handler
 * exactly once, never from inside ngx_kmip_http_start(); or it returns
 * NGX_ERROR (r->error says why) and never calls the handler. Destroying
 * the pool before the handler ran cancels the request (transfer, resolver
 * query and backoff timer): nothing is left behind.
 *
 * Host names are resolved with nginx's resolver and pinned in curl with
 * CURLOPT_RESOLVE, so curl never calls getaddrinfo() in a worker.
 */


/* an endpoint: scheme://host[:port], checked at configuration time */

typedef struct {
    ngx_str_t                   url;            /* without a trailing "/" */
    ngx_str_t                   host;           /* without brackets */
    in_port_t                   port;
    ngx_uint_t                  https;          /* unsigned  https:1; */
    ngx_uint_t                  literal;        /* host is an IP address
                                                   or "localhost" */
    ngx_str_t                   pin_addr;       /* for a literal host */

    ngx_str_t                   ca_file;        /* CURLOPT_CAINFO; empty:
                                                   curl's default store */
    ngx_str_t                   cert;           /* a client certificate
                                                   and its key, PEM, in
                                                   memory (read at
                                                   configuration, so no
                                                   handshake reads a
                                                   file); empty: none */
    ngx_str_t                   cert_key;
    ngx_resolver_t             *resolver;
    ngx_msec_t                  resolver_timeout;
} ngx_kmip_http_peer_t;


typedef struct ngx_kmip_http_req_s  ngx_kmip_http_req_t;

typedef void (*ngx_kmip_http_handler_pt)(ngx_kmip_http_req_t *r);


typedef enum {
    NGX_KMIP_HTTP_OK = 0,           /* an HTTP answer (any status) */
    NGX_KMIP_HTTP_TIMEDOUT,         /* the deadline passed */
    NGX_KMIP_HTTP_CONNECT,          /* resolve or connect failed */
    NGX_KMIP_HTTP_IO,               /* reset, TLS, protocol error */
    NGX_KMIP_HTTP_TOO_LARGE,        /* response above max_response */
    NGX_KMIP_HTTP_INTERNAL          /* out of memory, curl refused */
} ngx_kmip_http_result_e;


struct ngx_kmip_http_req_s {
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;

    ngx_kmip_http_peer_t       *peer;
    ngx_str_t                   method;         /* "GET", "POST", ... */
    ngx_str_t                   uri;            /* path and query, escaped */
    struct curl_slist          *headers;        /* owned by the request,
                                                   wiped and freed with the
                                                   pool */
    ngx_str_t                   body;           /* may be empty */

    ngx_msec_t                  timeout;        /* whole request, retries
                                                   included */
    size_t                      max_response;
    ngx_uint_t                  max_retries;
    unsigned                    idempotent:1;   /* retry on 429/5xx and
                                                   on any connection
                                                   failure */

    ngx_kmip_http_handler_pt    handler;
    void                       *data;

    /* results, valid when the handler runs */
    ngx_kmip_http_result_e      result;
    ngx_uint_t                  status;
    ngx_str_t                   response;       /* NUL-terminated; wiped
                                                   with the pool */
    ngx_str_t                   error;          /* transport failure text */
    ngx_uint_t                  attempts;
    ngx_msec_t                  elapsed;

    /* private */
    void                       *priv;
};


ngx_kmip_http_req_t *ngx_kmip_http_create(ngx_pool_t *pool, ngx_log_t *log);
ngx_int_t ngx_kmip_http_add_header(ngx_kmip_http_req_t *r, const char *name,
    ngx_str_t *value);
ngx_int_t ngx_kmip_http_start(ngx_kmip_http_req_t *r);

/*
 * Parses and checks an endpoint URL at configuration time: https, or
 * http to a loopback address only; a host name needs a resolver.
 * Returns NULL on success, or an error text for ngx_conf_log_error().
 */
char *ngx_kmip_http_parse_peer(ngx_conf_t *cf, ngx_str_t *url,
    ngx_kmip_http_peer_t *peer);

/* percent-encodes all but unreserved characters (and those in "keep") */
ngx_int_t ngx_kmip_http_escape(ngx_pool_t *pool, ngx_str_t *src,
    ngx_str_t *dst, const char *keep);

ngx_int_t ngx_kmip_http_init_process(ngx_cycle_t *cycle);
void ngx_kmip_http_exit_process(ngx_cycle_t *cycle);


#endif /* _NGX_KMIP_HTTP_H_INCLUDED_ */
