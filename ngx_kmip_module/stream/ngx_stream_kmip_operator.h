
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_STREAM_KMIP_OPERATOR_H_INCLUDED_
#define _NGX_STREAM_KMIP_OPERATOR_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_kmip_ops.h"


/*
 * The operator's view of a KMIP server: the shared key cache
 * (kmip_key_cache), the audit log (kmip_audit_log) and the metrics
 * (kmip_metrics). The stream handler calls this once per request it
 * starts; it sets the request's cache and per-item hook.
 */

void ngx_stream_kmip_operator_init_req(ngx_stream_session_t *s,
    ngx_kmip_req_t *r);


extern ngx_module_t  ngx_stream_kmip_operator_module;


#endif /* _NGX_STREAM_KMIP_OPERATOR_H_INCLUDED_ */
