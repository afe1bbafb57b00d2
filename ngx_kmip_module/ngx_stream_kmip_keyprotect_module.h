
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_STREAM_KMIP_KEYPROTECT_MODULE_H_INCLUDED_
#define _NGX_STREAM_KMIP_KEYPROTECT_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_kmip_http.h"
#include "ngx_kmip_iam.h"
#include "ngx_kmip_kp.h"


/* the configured Key Protect client of a stream server */

struct ngx_kmip_kp_s {
    ngx_kmip_http_peer_t        peer;
    ngx_str_t                   instance;
    ngx_str_t                   root_key;       /* URL-escaped */
    ngx_str_t                   key_ring;       /* empty: not sent */
    ngx_msec_t                  timeout;        /* per call, retries
                                                   included */
    ngx_kmip_iam_t             *iam;
};


ngx_kmip_kp_t *ngx_stream_kmip_keyprotect_get(ngx_stream_session_t *s);


extern ngx_module_t  ngx_stream_kmip_keyprotect_module;


#endif /* _NGX_STREAM_KMIP_KEYPROTECT_MODULE_H_INCLUDED_ */
