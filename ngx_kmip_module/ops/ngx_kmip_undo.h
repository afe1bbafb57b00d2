
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_UNDO_H_INCLUDED_
#define _NGX_KMIP_UNDO_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ops.h"


/*
 * Batch Error Continuation Option Undo (KMIP 1.4 6.8, 2.1 9.7), called by
 * the batch runner: before the first item, as each item starts and is
 * answered, and once the batch has stopped or ended; the last returns
 * NGX_OK when the answers are final, or NGX_AGAIN and calls r->done()
 * itself once the batch is committed or rolled back.
 */
ngx_int_t ngx_kmip_undo_init(ngx_kmip_req_t *r);
void ngx_kmip_undo_item_start(ngx_kmip_req_t *r);
void ngx_kmip_undo_item_answered(ngx_kmip_req_t *r, ngx_uint_t n);
ngx_int_t ngx_kmip_undo_end(ngx_kmip_req_t *r);


#endif /* _NGX_KMIP_UNDO_H_INCLUDED_ */
