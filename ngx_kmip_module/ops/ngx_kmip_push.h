
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_PUSH_H_INCLUDED_
#define _NGX_KMIP_PUSH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ops.h"


/*
 * Once a batch is answered, what it made or changed is pushed to the
 * client endpoint of kmip_push, if the server has one (r->conf->push):
 * Put for new and replacing objects, Notify for changed attributes
 * (ngx_kmip_push.c). Nothing waits for the client's answer: the batch's
 * own answer is already made, and a message that cannot be sent is
 * logged, never retried.
 */
void ngx_kmip_push_batch(ngx_kmip_req_t *r);


#endif /* _NGX_KMIP_PUSH_H_INCLUDED_ */
