
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


extern ngx_module_t  ngx_stream_kmip_keyprotect_module;


#endif /* _NGX_STREAM_KMIP_KEYPROTECT_MODULE_H_INCLUDED_ */
