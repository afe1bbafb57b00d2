
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_STORE_KP_H_INCLUDED_
#define _NGX_KMIP_STORE_KP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_store.h"


/*
 * The objects kept in IBM Key Protect (ngx_kmip_store_kp.c): the
 * module's store. Open it with ngx_kmip_store_open(...,
 * &ngx_kmip_store_kp_backend, kp, cache), kp the server's Key Protect
 * client configuration (ngx_kmip_kp_t).
 */

extern const ngx_kmip_store_backend_t  ngx_kmip_store_kp_backend;


#endif /* _NGX_KMIP_STORE_KP_H_INCLUDED_ */
