
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#if (NGX_HTTP_V2)
#include <ngx_http_v2_module.h>
#endif

#include <openssl/crypto.h>

#include "ngx_http_kmip_module.h"


/*
 * A request body can hold key material (a Register, an Encrypt's Data),
 * and nginx keeps copies of it beyond the request: in the body's buffers,
 * in the header buffer when the body came with the headers, in the TLS
 * connection's buffers, in the worker's HTTP/2 receive buffer. Each is
 * wiped here once nginx is done with it (ngx_http_kmip_module.h).
 */


#if (NGX_HTTP_V2)
static void ngx_http_kmip_wipe_h2(ngx_event_t *ev);
#endif


#if (NGX_HTTP_V2)
/* wipes the worker's HTTP/2 receive buffer once the event loop is past it */
static ngx_event_t  ngx_http_kmip_h2_wipe_event;
#endif


/*
 * The part of the body that came with the headers stays in the header
 * buffer, which the connection keeps (and frees unwiped) after the
 * request; once nginx has copied it into the body's own buffer it is
 * wiped there. Only the bytes nginx took for the body are: a pipelined
 * request after them is left alone. Where the body's buffer is the header
 * buffer itself, ngx_http_kmip_wipe_body() wipes it with the request.
 */

void
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

void
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

void
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


void
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
