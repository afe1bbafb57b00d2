
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_KP_CONF_H_INCLUDED_
#define _NGX_KMIP_KP_CONF_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_http.h"
#include "ngx_kmip_iam.h"
#include "ngx_kmip_kp.h"


/*
 * A Key Protect client's configuration: filled by the kmip_keyprotect_*
 * and kmip_iam_* directives of the stream and http modules
 * (ngx_kmip_kp_conf.c), read by the client (ngx_kmip_kp.c). Every other
 * layer sees ngx_kmip_kp_t as opaque.
 */

struct ngx_kmip_kp_s {
    ngx_kmip_http_peer_t        peer;
    ngx_str_t                   instance;
    ngx_str_t                   root_key;       /* URL-escaped */
    ngx_str_t                   key_ring;       /* empty: not sent */
    ngx_msec_t                  timeout;        /* per call, retries
                                                   included */
    ngx_kmip_iam_t             *iam;
};


/*
 * The directives' values at one level of the configuration (stream {},
 * server {}; http {}, server {}, location {}). A level that sets none of
 * them shares the client built for the level above.
 */

typedef struct {
    ngx_str_t                   url;
    ngx_str_t                   instance;
    ngx_str_t                   root_key;
    ngx_str_t                   key_ring;
    ngx_msec_t                  timeout;
    ngx_str_t                   trusted_certificate;
    ngx_str_t                   iam_url;
    ngx_str_t                   api_key_file;

    ngx_kmip_kp_t              *kp;             /* NULL: none */
} ngx_kmip_kp_conf_t;


/* after ngx_pcalloc() */
void ngx_kmip_kp_conf_init(ngx_kmip_kp_conf_t *conf);
/* directive handlers: cmd->offset is the field's in the module's conf */
char *ngx_kmip_kp_conf_set_str(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_kmip_kp_conf_set_msec(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
/* merges, and builds the client of a level that has a URL of its own */
char *ngx_kmip_kp_conf_merge(ngx_conf_t *cf, ngx_kmip_kp_conf_t *prev,
    ngx_kmip_kp_conf_t *conf, ngx_resolver_t *resolver,
    ngx_msec_t resolver_timeout);
/*
 * A copy of a client's configuration that keeps its keys in another key
 * ring and wraps them with another root key (either empty: the same).
 */
ngx_kmip_kp_t *ngx_kmip_kp_conf_ring(ngx_pool_t *pool, ngx_kmip_kp_t *kp,
    ngx_str_t *ring, ngx_str_t *root_key);


#endif /* _NGX_KMIP_KP_CONF_H_INCLUDED_ */
