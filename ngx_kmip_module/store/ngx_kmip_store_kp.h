
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

/*
 * The node's map from Unique Identifier to the Key Protect key of the
 * object's current generation (docs/key-protect.md#the-key-map): one
 * shared memory zone, "kmip_kp_map", added once whatever the number of
 * Key Protect configurations. Not a secret; checked on every use.
 */
ngx_int_t ngx_kmip_store_kp_map_add(ngx_conf_t *cf);


/*
 * The deletion of the generation an update superseded, after the answer
 * (docs/key-protect.md#deleting-the-old-generation): what became of each
 * key, for the metrics
 */

typedef enum {
    NGX_KMIP_STORE_CLEANUP_DELETED = 0,
    NGX_KMIP_STORE_CLEANUP_RETRIED,     /* a try failed, another follows */
    NGX_KMIP_STORE_CLEANUP_LEFT_OVER,   /* every try failed */
    NGX_KMIP_STORE_CLEANUP_RACED,       /* deleted by another: the new
                                           generation goes too */
    NGX_KMIP_STORE_CLEANUP_BEFORE_ANSWER    /* too many pending: deleted
                                               before the answer */
} ngx_kmip_store_cleanup_e;

#define NGX_KMIP_STORE_CLEANUP_RESULTS  5

typedef void (*ngx_kmip_store_cleanup_observer_pt)(
    ngx_kmip_store_cleanup_e what);

extern ngx_kmip_store_cleanup_observer_pt  ngx_kmip_store_cleanup_observer;
extern const char  *ngx_kmip_store_cleanup_names[];


#endif /* _NGX_KMIP_STORE_KP_H_INCLUDED_ */
