
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_STREAM_KMIP_KEYPROTECT_MODULE_H_INCLUDED_
#define _NGX_STREAM_KMIP_KEYPROTECT_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_kmip_kp_conf.h"


/* the configured Key Protect client of a stream server */

ngx_kmip_kp_t *ngx_stream_kmip_keyprotect_get(ngx_stream_session_t *s);
/* the same, of a server's configuration (NULL: none), once merged */
ngx_kmip_kp_t *ngx_stream_kmip_keyprotect_srv_kp(
    ngx_stream_core_srv_conf_t *cscf);
/*
 * A copy of a client's configuration that keeps its keys in another key
 * ring and wraps them with another root key (either empty: the same).
 */
ngx_kmip_kp_t *ngx_stream_kmip_keyprotect_ring(ngx_pool_t *pool,
    ngx_kmip_kp_t *kp, ngx_str_t *ring, ngx_str_t *root_key);


extern ngx_module_t  ngx_stream_kmip_keyprotect_module;


#endif /* _NGX_STREAM_KMIP_KEYPROTECT_MODULE_H_INCLUDED_ */
