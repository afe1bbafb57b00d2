
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


typedef struct {
    ngx_flag_t                  enable;

    size_t                      max_message_size;
    ngx_msec_t                  idle_timeout;
    ngx_msec_t                  read_timeout;
    ngx_msec_t                  send_timeout;

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

    ngx_uint_t                  requests;
    uint32_t                    last_operation;
    const char                 *last_result;

    unsigned                    close_after_send:1;
} ngx_stream_kmip_ctx_t;


void ngx_stream_kmip_handler(ngx_stream_session_t *s);


extern ngx_module_t  ngx_stream_kmip_module;


#endif /* _NGX_STREAM_KMIP_MODULE_H_INCLUDED_ */
