
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
 * A Key Protect client's configuration: filled by the stream module's
 * directives (ngx_stream_kmip_keyprotect_module.c), read by the client
 * (ngx_kmip_kp.c). Every other layer sees ngx_kmip_kp_t as opaque.
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


#endif /* _NGX_KMIP_KP_CONF_H_INCLUDED_ */
