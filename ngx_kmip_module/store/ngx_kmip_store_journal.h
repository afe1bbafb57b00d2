
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_STORE_JOURNAL_H_INCLUDED_
#define _NGX_KMIP_STORE_JOURNAL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_store.h"


/*
 * The store's side of a batch's Undo journal (ngx_kmip_store.h says what
 * it holds): what the store asks of it around each operation.
 */

ngx_kmip_store_change_t *ngx_kmip_store_journal_find(
    ngx_kmip_store_journal_t *j, ngx_str_t *uid, ngx_uint_t add);

/* what an operation that succeeded did (op->kind, op->object) */
void ngx_kmip_store_journal_note(ngx_kmip_store_op_t *op);

/* a Destroy while the journal is open: noted, not carried out; NGX_OK */
ngx_int_t ngx_kmip_store_destroy_later(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj);

/* a read of an object whose Destroy the batch deferred: NGX_OK */
ngx_int_t ngx_kmip_store_destroyed_view(ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch);

/* an object the batch changed gets its attributes from before it back */
ngx_int_t ngx_kmip_store_journal_restore(ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch);


#endif /* _NGX_KMIP_STORE_JOURNAL_H_INCLUDED_ */
