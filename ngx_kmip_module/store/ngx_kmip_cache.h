
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_CACHE_H_INCLUDED_
#define _NGX_KMIP_CACHE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * kmip_key_cache: what the store read of an object (its record, its Key
 * Protect key id and generation, and the unwrapped key material) in a
 * shared memory zone, so that the workers of one node answer repeated
 * reads without calling Key Protect. Keyed by Unique Identifier, least
 * recently used entries evicted first, no entry older than ttl is served,
 * and every entry is wiped when it is dropped, evicted or expired.
 */


typedef struct ngx_kmip_cache_s  ngx_kmip_cache_t;


typedef struct {
    ngx_str_t                   record;         /* Key Protect payload */
    ngx_str_t                   kp_id;
    ngx_uint_t                  generation;
    ngx_str_t                   material;       /* wiped with the pool */
} ngx_kmip_cache_entry_t;


/*
 * kmip_key_cache's arguments: *cache, or NULL for "off". A zone named again
 * with the same ttl (in the stream and the http modules) is the same cache.
 */
char *ngx_kmip_cache_conf(ngx_conf_t *cf, ngx_kmip_cache_t **cache);
ngx_kmip_cache_t *ngx_kmip_cache_add(ngx_conf_t *cf, ngx_str_t *name,
    size_t size, ngx_msec_t ttl, void *tag);

/* NGX_OK: e is filled (copies in pool); NGX_DECLINED: not cached */
ngx_int_t ngx_kmip_cache_get(ngx_kmip_cache_t *cache, ngx_pool_t *pool,
    ngx_str_t *uid, ngx_kmip_cache_entry_t *e);
void ngx_kmip_cache_put(ngx_kmip_cache_t *cache, ngx_log_t *log,
    ngx_str_t *uid, ngx_str_t *record, ngx_str_t *kp_id,
    ngx_uint_t generation, ngx_str_t *material);
void ngx_kmip_cache_drop(ngx_kmip_cache_t *cache, ngx_str_t *uid);
void ngx_kmip_cache_drop_all(ngx_kmip_cache_t *cache, ngx_log_t *log);


#endif /* _NGX_KMIP_CACHE_H_INCLUDED_ */
