
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OUTBOX_H_INCLUDED_
#define _NGX_KMIP_OUTBOX_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_http.h"


/*
 * A client's KMIP endpoint the server sends its own requests to (KMIP 1.4
 * chapter 5, 2.1 6.2: Notify and Put, "using information known to the
 * server via ... configuration"): KMIP over HTTPS, a TTLV Request Message
 * POSTed as application/octet-stream, the client's Response Message read
 * back. The server authenticates with a certificate of its own and checks
 * the endpoint's against a CA, as for Key Protect.
 *
 * kmip_push URL [certificate=FILE certificate_key=FILE]
 *               [trusted_certificate=FILE] [timeout=TIME];
 */

typedef struct {
    ngx_kmip_http_peer_t        peer;
    ngx_str_t                   uri;            /* the URL's path */
    ngx_msec_t                  timeout;
} ngx_kmip_outbox_t;


/* the directive (cmd->offset: an ngx_kmip_outbox_t *) */
char *ngx_kmip_outbox_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* once the server's resolver is known: the URL checked as Key Protect's */
char *ngx_kmip_outbox_init(ngx_conf_t *cf, ngx_kmip_outbox_t *ob,
    ngx_resolver_t *resolver, ngx_msec_t resolver_timeout);

/*
 * Sends a TTLV Request Message (copied; the copy is wiped once sent) and
 * logs how the client answered: what names the message in those lines.
 * Never waits: NGX_OK once started, NGX_ERROR (logged) when it cannot be.
 * data is the ngx_kmip_outbox_t.
 */
ngx_int_t ngx_kmip_outbox_send(void *data, ngx_str_t *message,
    ngx_str_t *what);


#endif /* _NGX_KMIP_OUTBOX_H_INCLUDED_ */
