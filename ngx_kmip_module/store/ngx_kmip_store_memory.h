
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_STORE_MEMORY_H_INCLUDED_
#define _NGX_KMIP_STORE_MEMORY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_store.h"


/*
 * Objects kept in a pool: the store the unit tests of the operations run
 * on (tests/unit/test_ops.c), behind the same interface as Key Protect.
 * It is not built into the module (config): nothing it keeps outlives its
 * pool. Open a request's store with ngx_kmip_store_open(...,
 * &ngx_kmip_store_memory_backend, mem, NULL).
 *
 * It answers at once, or with deferred set, later: each method returns
 * NGX_AGAIN and its answer waits until ngx_kmip_store_memory_run(), as a
 * network store's would. A test can make the next methods fail (fail,
 * failures; after spare more succeed) or make updates lose their
 * compare-and-swap (conflicts).
 */

typedef struct {
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_array_t                 objects;        /* ngx_kmip_object_t */
    ngx_array_t                 pending;        /* ngx_kmip_store_op_t * */

    ngx_uint_t                  deferred;
    ngx_uint_t                  calls;          /* methods run so far */

    ngx_kmip_store_result_e     fail;           /* the next failures' */
    ngx_uint_t                  failures;       /* how many to give */
    ngx_uint_t                  spare;          /* methods that succeed
                                                   before them */
    ngx_uint_t                  conflicts;      /* updates to refuse */
} ngx_kmip_store_memory_t;


extern const ngx_kmip_store_backend_t  ngx_kmip_store_memory_backend;

ngx_kmip_store_memory_t *ngx_kmip_store_memory_create(ngx_pool_t *pool,
    ngx_log_t *log);

/* the object as the store keeps it (not a copy), or NULL */
ngx_kmip_object_t *ngx_kmip_store_memory_find(ngx_kmip_store_memory_t *mem,
    ngx_str_t *uid);

/* answers the deferred methods, oldest first: how many */
ngx_uint_t ngx_kmip_store_memory_run(ngx_kmip_store_memory_t *mem);


#endif /* _NGX_KMIP_STORE_MEMORY_H_INCLUDED_ */
