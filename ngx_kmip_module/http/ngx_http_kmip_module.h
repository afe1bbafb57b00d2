
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_HTTP_KMIP_MODULE_H_INCLUDED_
#define _NGX_HTTP_KMIP_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_kmip_kp_conf.h"
#include "ngx_kmip_outbox.h"
#include "ngx_kmip_cache.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_transport.h"
#include "ngx_kmip_op_crypto.h"

/*
 * KMIP over HTTPS ("KMIP Additional Message Encodings" v1.0): a request
 * message is the body of a POST, in TTLV (application/octet-stream), JSON
 * (application/json) or XML (text/xml), and the response message is the
 * body of the answer, in the same encoding. Below the transport it is the
 * stream module's server: the same batch runner, operations, store, Key
 * Protect client and IAM token (ops/ngx_kmip_transport.c,
 * kp/ngx_kmip_kp_conf.c). This module is only the glue: its directives
 * and variables (ngx_http_kmip_module.c), the request's flow from body to
 * answer (ngx_http_kmip_handler.c), and the wiping of every copy of the
 * body nginx keeps (ngx_http_kmip_wipe.c).
 */


typedef enum {
    ngx_http_kmip_ttlv = 0,
    ngx_http_kmip_json,
    ngx_http_kmip_xml
} ngx_http_kmip_encoding_e;


typedef struct {
    ngx_flag_t                  enable;
    size_t                      max_message_size;
    ngx_kmip_access_conf_t      access;
    ngx_kmip_kp_t             **scope_kp;       /* per scope, as a
                                                   stream server's */
    ngx_open_file_t            *audit;          /* NULL: off */
    ngx_kmip_cache_t           *cache;          /* NULL: off */
    ngx_flag_t                  cache_set;
    ngx_kmip_kp_conf_t          keyprotect;
    ngx_kmip_outbox_t          *push;           /* kmip_push */
    ngx_kmip_server_conf_t      server;
} ngx_http_kmip_loc_conf_t;


typedef struct {
    ngx_kmip_req_t             *req;
    ngx_http_kmip_encoding_e    encoding;
    ngx_kmip_peer_t             peer;           /* who asks, and in
                                                   which scope */
    ngx_buf_t                  *header_in;      /* HTTP/1.x: the header
                                                   buffer, and where the
                                                   body began in it */
    u_char                     *preread;
    uint32_t                    last_operation;
    const char                 *last_result;
    unsigned                    waiting:1;      /* on the key store */
} ngx_http_kmip_ctx_t;


/* a TLS connection's multi-part operations, per location */
typedef struct {
    ngx_kmip_crypto_streams_t   streams;
    ngx_http_kmip_loc_conf_t   *conf;
    ngx_connection_t           *connection;
} ngx_http_kmip_streams_t;


extern ngx_module_t  ngx_http_kmip_module;

/* the encodings' Content-Types and names, by ngx_http_kmip_encoding_e */
extern ngx_str_t  ngx_http_kmip_types[];
extern ngx_str_t  ngx_http_kmip_names[];


/* the location's content handler (ngx_http_kmip_handler.c) */
ngx_int_t ngx_http_kmip_handler(ngx_http_request_t *r);

/*
 * The copies of a request body that nginx keeps, wiped
 * (ngx_http_kmip_wipe.c): the body's buffers, a pool cleanup handler
 * (data: the ngx_http_request_body_t); the part of the body that came in
 * the header buffer; the TLS connection's send buffer, a pool cleanup
 * handler (data: the ngx_connection_t); the worker's HTTP/2 receive
 * buffer, once the event loop is past it.
 */
void ngx_http_kmip_wipe_body(void *data);
void ngx_http_kmip_wipe_preread(ngx_http_request_t *r,
    ngx_http_kmip_ctx_t *ctx);
void ngx_http_kmip_wipe_ssl_buffer(void *data);
#if (NGX_HTTP_V2)
void ngx_http_kmip_wipe_h2_later(ngx_http_request_t *r);
#endif


#endif /* _NGX_HTTP_KMIP_MODULE_H_INCLUDED_ */
