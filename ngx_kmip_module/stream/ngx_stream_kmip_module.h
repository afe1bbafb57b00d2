
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_STREAM_KMIP_MODULE_H_INCLUDED_
#define _NGX_STREAM_KMIP_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_message.h"
#include "ngx_kmip_ops.h"
#include "ngx_kmip_op_crypto.h"
#include "ngx_kmip_kp.h"
#include "ngx_kmip_outbox.h"
#include "ngx_kmip_transport.h"


/* the stream SSL module's server configuration, by either of its names */
#if (NGX_KMIP_STREAM_SSL_SRV_CONF)
typedef ngx_stream_ssl_srv_conf_t  ngx_stream_kmip_ssl_conf_t;
#else
typedef ngx_stream_ssl_conf_t      ngx_stream_kmip_ssl_conf_t;
#endif


typedef struct {
    ngx_flag_t                  enable;

    size_t                      max_message_size;
    ngx_msec_t                  idle_timeout;
    ngx_msec_t                  first_request_timeout;
    ngx_msec_t                  read_timeout;
    ngx_msec_t                  send_timeout;

    ngx_kmip_access_conf_t      access;
    ngx_kmip_kp_t             **scope_kp;       /* by scope: the Key
                                                   Protect client of a
                                                   scope with its own
                                                   key_ring or root_key,
                                                   or NULL */

    ngx_kmip_outbox_t          *push;           /* kmip_push */

    ngx_kmip_server_conf_t      server;
} ngx_stream_kmip_srv_conf_t;


typedef enum {
    ngx_stream_kmip_state_header = 0,
    ngx_stream_kmip_state_body,
    ngx_stream_kmip_state_process,
    ngx_stream_kmip_state_send
} ngx_stream_kmip_state_e;


/* per connection; everything per request lives in ctx->req->pool */

typedef struct {
    ngx_stream_session_t       *session;
    ngx_stream_kmip_srv_conf_t *conf;

    ngx_stream_kmip_state_e     state;

    u_char                      header[NGX_KMIP_TTLV_HEADER_LEN];
    size_t                      header_len;

    ngx_buf_t                  *body;           /* whole message */
    ngx_kmip_req_t             *req;

    /* multi-part Encrypt and Decrypt: they outlive a request */
    ngx_kmip_crypto_streams_t   streams;

    ngx_kmip_peer_t             peer;           /* taken once per
                                                   connection, kept for
                                                   its life, across a
                                                   reload too */

    ngx_uint_t                  requests;
    uint32_t                    last_operation;
    const char                 *last_result;

    unsigned                    close_after_send:1;
} ngx_stream_kmip_ctx_t;


void ngx_stream_kmip_handler(ngx_stream_session_t *s);
void ngx_stream_kmip_access_done(ngx_kmip_req_t *r, ngx_int_t rc,
    const char *what);


extern ngx_module_t  ngx_stream_kmip_module;


#endif /* _NGX_STREAM_KMIP_MODULE_H_INCLUDED_ */
