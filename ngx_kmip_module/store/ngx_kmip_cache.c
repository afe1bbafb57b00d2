
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <sys/mman.h>
#include <openssl/crypto.h>

#include "ngx_kmip_kp.h"
#include "ngx_kmip_cache.h"


typedef struct {
    ngx_rbtree_t                rbtree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 lru;            /* most recent first */
} ngx_kmip_cache_sh_t;


struct ngx_kmip_cache_s {
    ngx_kmip_cache_sh_t        *sh;
    ngx_slab_pool_t            *shpool;
    ngx_shm_zone_t             *zone;
    ngx_msec_t                  ttl;
};


typedef struct {
    ngx_rbtree_node_t           node;           /* key: crc32 of the UID */
    ngx_queue_t                 queue;
    ngx_msec_t                  expire;         /* monotonic, shared by
                                                   the workers */
    size_t                      size;
    uint32_t                    generation;
    u_short                     uid_len;
    u_short                     kp_id_len;
    uint32_t                    record_len;
    uint32_t                    material_len;
    u_char                      data[1];        /* uid, kp_id, record,
                                                   material */
} ngx_kmip_cache_node_t;


static ngx_int_t ngx_kmip_cache_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_kmip_cache_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_kmip_cache_node_t *ngx_kmip_cache_lookup(ngx_kmip_cache_t *cache,
    ngx_str_t *uid, uint32_t hash);
static void ngx_kmip_cache_free(ngx_kmip_cache_t *cache,
    ngx_kmip_cache_node_t *cn);
static void ngx_kmip_cache_expire(ngx_kmip_cache_t *cache, ngx_uint_t n);


/* what owns the cache zones: one tag for the stream and http modules */
static ngx_uint_t  ngx_kmip_cache_zone_tag;


#define ngx_kmip_cache_node(q)                                               \
    ngx_queue_data(q, ngx_kmip_cache_node_t, queue)


/*
 * kmip_key_cache zone=NAME:SIZE [ttl=TIME] | off, in the stream and the
 * http modules: one tag for both, so that a zone of the same name is the
 * same cache for a stream server and an http location.
 */

char *
ngx_kmip_cache_conf(ngx_conf_t *cf, ngx_kmip_cache_t **cache)
{
    u_char      *p;
    ssize_t      size;
    ngx_str_t   *value, name, s;
    ngx_msec_t   ttl;
    ngx_uint_t   i;

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        *cache = NULL;
        return NGX_CONF_OK;
    }

    ngx_str_null(&name);
    size = 0;
    ttl = 30000;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            name.data = value[i].data + 5;
            p = (u_char *) ngx_strchr(name.data, ':');

            if (p == NULL) {
                goto invalid;
            }

            name.len = p - name.data;
            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            size = ngx_parse_size(&s);

            if (name.len == 0 || size == NGX_ERROR) {
                goto invalid;
            }

            if (size < (ssize_t) (8 * ngx_pagesize)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "kmip_key_cache zone \"%V\" is too small",
                                   &name);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            ttl = ngx_parse_time(&s, 0);

            if (ttl == (ngx_msec_t) NGX_ERROR || ttl == 0) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kmip_key_cache needs zone=NAME:SIZE");
        return NGX_CONF_ERROR;
    }

    *cache = ngx_kmip_cache_add(cf, &name, size, ttl,
                                &ngx_kmip_cache_zone_tag);
    if (*cache == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" of kmip_key_cache",
                       &value[i]);
    return NGX_CONF_ERROR;
}


ngx_kmip_cache_t *
ngx_kmip_cache_add(ngx_conf_t *cf, ngx_str_t *name, size_t size,
    ngx_msec_t ttl, void *tag)
{
    ngx_kmip_cache_t  *cache;

    cache = ngx_pcalloc(cf->pool, sizeof(ngx_kmip_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    cache->ttl = ttl;

    cache->zone = ngx_shared_memory_add(cf, name, size, tag);
    if (cache->zone == NULL) {
        return NULL;
    }

    if (cache->zone->data) {
        /* named again (a stream server and an http location): shared */

        if (((ngx_kmip_cache_t *) cache->zone->data)->ttl == ttl) {
            return cache->zone->data;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kmip_key_cache zone \"%V\" is already used "
                           "with another ttl", name);
        return NULL;
    }

    cache->zone->init = ngx_kmip_cache_init_zone;
    cache->zone->data = cache;

    return cache;
}


static ngx_int_t
ngx_kmip_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_kmip_cache_t  *ocache = data;

    ngx_int_t          rc;
    ngx_kmip_cache_t  *cache;

    cache = shm_zone->data;

    if (ocache) {
        /* a reload: the entries stay; they were valid and expire anyway */
        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;
        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

#if (NGX_HAVE_MADV_DONTDUMP || defined MADV_DONTDUMP)
    /* key material never reaches a core file */
    (void) madvise(shm_zone->shm.addr, shm_zone->shm.size, MADV_DONTDUMP);
#endif

    rc = ngx_kmip_kp_shm_init(shm_zone, sizeof(ngx_kmip_cache_sh_t),
                              "kmip_key_cache");
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    cache->sh = cache->shpool->data;

    if (rc == NGX_DONE) {
        return NGX_OK;
    }

    ngx_rbtree_init(&cache->sh->rbtree, &cache->sh->sentinel,
                    ngx_kmip_cache_insert);
    ngx_queue_init(&cache->sh->lru);

    /* a full zone evicts; no "ngx_slab_alloc() failed" alerts for that */
    cache->shpool->log_nomem = 0;

    return NGX_OK;
}


static void
ngx_kmip_cache_insert(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t      **p;
    ngx_kmip_cache_node_t   *cn, *cnt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            cn = (ngx_kmip_cache_node_t *) node;
            cnt = (ngx_kmip_cache_node_t *) temp;

            p = (ngx_memn2cmp(cn->data, cnt->data, cn->uid_len,
                              cnt->uid_len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_kmip_cache_node_t *
ngx_kmip_cache_lookup(ngx_kmip_cache_t *cache, ngx_str_t *uid, uint32_t hash)
{
    ngx_int_t               rc;
    ngx_rbtree_node_t      *node, *sentinel;
    ngx_kmip_cache_node_t  *cn;

    node = cache->sh->rbtree.root;
    sentinel = cache->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        cn = (ngx_kmip_cache_node_t *) node;

        rc = ngx_memn2cmp(uid->data, cn->data, uid->len, cn->uid_len);

        if (rc == 0) {
            return cn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* with the zone locked */

static void
ngx_kmip_cache_free(ngx_kmip_cache_t *cache, ngx_kmip_cache_node_t *cn)
{
    size_t  size;

    ngx_queue_remove(&cn->queue);
    ngx_rbtree_delete(&cache->sh->rbtree, &cn->node);

    size = cn->size;

    /* the material, and everything else that was read, is wiped */
    OPENSSL_cleanse(cn, size);

    ngx_slab_free_locked(cache->shpool, cn);
}


/* with the zone locked: frees up to n expired entries from the LRU end */

static void
ngx_kmip_cache_expire(ngx_kmip_cache_t *cache, ngx_uint_t n)
{
    ngx_queue_t            *q;
    ngx_kmip_cache_node_t  *cn;

    while (n--) {
        if (ngx_queue_empty(&cache->sh->lru)) {
            return;
        }

        q = ngx_queue_last(&cache->sh->lru);
        cn = ngx_kmip_cache_node(q);

        if ((ngx_msec_int_t) (cn->expire - ngx_current_msec) > 0) {
            return;
        }

        ngx_kmip_cache_free(cache, cn);
    }
}


ngx_int_t
ngx_kmip_cache_get(ngx_kmip_cache_t *cache, ngx_pool_t *pool, ngx_str_t *uid,
    ngx_kmip_cache_entry_t *e)
{
    u_char                 *p;
    uint32_t                hash;
    ngx_str_t              *secret;
    ngx_pool_cleanup_t     *cln;
    ngx_kmip_cache_node_t  *cn;

    if (cache->sh == NULL) {
        return NGX_DECLINED;
    }

    ngx_memzero(e, sizeof(ngx_kmip_cache_entry_t));

    /* the cleanup first, so that a copy never lives unwiped */

    cln = ngx_pool_cleanup_add(pool, sizeof(ngx_str_t));
    if (cln == NULL) {
        return NGX_DECLINED;
    }

    secret = cln->data;
    ngx_str_null(secret);
    cln->handler = ngx_kmip_kp_wipe_str;

    hash = ngx_crc32_short(uid->data, uid->len);

    ngx_shmtx_lock(&cache->shpool->mutex);

    ngx_kmip_cache_expire(cache, 2);

    cn = ngx_kmip_cache_lookup(cache, uid, hash);

    if (cn == NULL) {
        goto miss;
    }

    if ((ngx_msec_int_t) (cn->expire - ngx_current_msec) <= 0) {
        ngx_kmip_cache_free(cache, cn);
        goto miss;
    }

    p = ngx_pnalloc(pool, cn->kp_id_len + cn->record_len
                          + cn->material_len + 1);
    if (p == NULL) {
        goto miss;
    }

    e->kp_id.data = p;
    e->kp_id.len = cn->kp_id_len;
    p = ngx_cpymem(p, cn->data + cn->uid_len, cn->kp_id_len);

    e->record.data = p;
    e->record.len = cn->record_len;
    p = ngx_cpymem(p, cn->data + cn->uid_len + cn->kp_id_len,
                   cn->record_len);

    e->material.data = p;
    e->material.len = cn->material_len;
    ngx_memcpy(p, cn->data + cn->uid_len + cn->kp_id_len + cn->record_len,
               cn->material_len);

    *secret = e->material;

    e->generation = cn->generation;

    ngx_queue_remove(&cn->queue);
    ngx_queue_insert_head(&cache->sh->lru, &cn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return NGX_OK;

miss:

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return NGX_DECLINED;
}


void
ngx_kmip_cache_put(ngx_kmip_cache_t *cache, ngx_log_t *log, ngx_str_t *uid,
    ngx_str_t *record, ngx_str_t *kp_id, ngx_uint_t generation,
    ngx_str_t *material)
{
    u_char                 *p;
    size_t                  size;
    uint32_t                hash;
    ngx_uint_t              tries;
    ngx_queue_t            *q;
    ngx_kmip_cache_node_t  *cn;

    if (cache->sh == NULL || cache->ttl == 0
        || uid->len > 0xffff || kp_id->len > 0xffff)
    {
        return;
    }

    size = offsetof(ngx_kmip_cache_node_t, data)
           + uid->len + kp_id->len + record->len + material->len;

    hash = ngx_crc32_short(uid->data, uid->len);

    ngx_shmtx_lock(&cache->shpool->mutex);

    ngx_kmip_cache_expire(cache, 2);

    cn = ngx_kmip_cache_lookup(cache, uid, hash);
    if (cn) {
        ngx_kmip_cache_free(cache, cn);
    }

    for (tries = 0; /* void */; tries++) {
        cn = ngx_slab_alloc_locked(cache->shpool, size);
        if (cn) {
            break;
        }

        if (tries == 16 || ngx_queue_empty(&cache->sh->lru)) {
            ngx_shmtx_unlock(&cache->shpool->mutex);
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "kmip_key_cache zone \"%V\" is too small for "
                          "an entry of %uz bytes",
                          &cache->zone->shm.name, size);
            return;
        }

        /* evict the least recently used */
        q = ngx_queue_last(&cache->sh->lru);
        ngx_kmip_cache_free(cache, ngx_kmip_cache_node(q));
    }

    cn->node.key = hash;
    cn->size = size;
    cn->expire = ngx_current_msec + cache->ttl;
    cn->generation = (uint32_t) generation;
    cn->uid_len = (u_short) uid->len;
    cn->kp_id_len = (u_short) kp_id->len;
    cn->record_len = (uint32_t) record->len;
    cn->material_len = (uint32_t) material->len;

    p = ngx_cpymem(cn->data, uid->data, uid->len);
    p = ngx_cpymem(p, kp_id->data, kp_id->len);
    p = ngx_cpymem(p, record->data, record->len);
    ngx_memcpy(p, material->data, material->len);

    ngx_rbtree_insert(&cache->sh->rbtree, &cn->node);
    ngx_queue_insert_head(&cache->sh->lru, &cn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


void
ngx_kmip_cache_drop(ngx_kmip_cache_t *cache, ngx_str_t *uid)
{
    uint32_t                hash;
    ngx_kmip_cache_node_t  *cn;

    if (cache->sh == NULL) {
        return;
    }

    hash = ngx_crc32_short(uid->data, uid->len);

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_kmip_cache_lookup(cache, uid, hash);
    if (cn) {
        ngx_kmip_cache_free(cache, cn);
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


void
ngx_kmip_cache_drop_all(ngx_kmip_cache_t *cache, ngx_log_t *log)
{
    ngx_uint_t    n;
    ngx_queue_t  *q;

    if (cache->sh == NULL) {
        return;
    }

    n = 0;

    ngx_shmtx_lock(&cache->shpool->mutex);

    while (!ngx_queue_empty(&cache->sh->lru)) {
        q = ngx_queue_head(&cache->sh->lru);
        ngx_kmip_cache_free(cache, ngx_kmip_cache_node(q));
        n++;
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);

    if (n) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "kmip_key_cache zone \"%V\": the root key is "
                      "unusable, %ui cached keys wiped",
                      &cache->zone->shm.name, n);
    }
}
