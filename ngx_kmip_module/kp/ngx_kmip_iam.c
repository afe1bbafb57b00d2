
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <yajl/yajl_tree.h>
#include <openssl/crypto.h>

#include "ngx_kmip_iam.h"
#include "ngx_kmip_kp.h"


#define NGX_KMIP_IAM_MAX_KEY        1024
#define NGX_KMIP_IAM_MAX_TOKEN      (16 * 1024)
#define NGX_KMIP_IAM_POLL           50
#define NGX_KMIP_IAM_ZONE_SIZE      (64 * 1024)
#define NGX_KMIP_IAM_ERROR_LEN      256

#define NGX_KMIP_IAM_GRANT                                                   \
    "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey="


typedef struct {
    u_char                     *token;          /* slab */
    size_t                      token_len;
    ngx_uint_t                  generation;

    time_t                      refresh_at;
    time_t                      usable_until;

    time_t                      refreshing;     /* 0, or when it started */
    ngx_pid_t                   refresher;
    ngx_uint_t                  attempts;       /* finished refreshes */
    ngx_int_t                   last_rc;

    time_t                      refused_until;
    ngx_uint_t                  refused_logged;

    u_char                      error[NGX_KMIP_IAM_ERROR_LEN];
    size_t                      error_len;
} ngx_kmip_iam_sh_t;


struct ngx_kmip_iam_s {
    ngx_str_t                   url;
    ngx_str_t                   api_key_file;
    ngx_str_t                   api_key;        /* memory only, never
                                                   logged */
    ngx_kmip_http_peer_t        peer;
    ngx_msec_t                  timeout;

    ngx_shm_zone_t             *zone;
    ngx_slab_pool_t            *shpool;
    ngx_kmip_iam_sh_t          *sh;

    /* per worker */
    ngx_queue_t                 waiters;
    ngx_event_t                 poll;
    ngx_pool_t                 *refresh_pool;
    unsigned                    worker_init:1;
};


static ngx_int_t ngx_kmip_iam_read_key(ngx_conf_t *cf, ngx_kmip_iam_t *iam);
static void ngx_kmip_iam_wipe_conf(void *data);
static ngx_int_t ngx_kmip_iam_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_kmip_iam_worker_init(ngx_kmip_iam_t *iam);
static ngx_uint_t ngx_kmip_iam_claim(ngx_kmip_iam_t *iam, time_t now);
static ngx_int_t ngx_kmip_iam_copy(ngx_kmip_iam_t *iam,
    ngx_kmip_iam_wait_t *w);
static void ngx_kmip_iam_copy_error(ngx_kmip_iam_t *iam,
    ngx_kmip_iam_wait_t *w);
static ngx_int_t ngx_kmip_iam_refresh(ngx_kmip_iam_t *iam);
static void ngx_kmip_iam_refresh_done(ngx_kmip_http_req_t *r);
static ngx_int_t ngx_kmip_iam_read_token(ngx_kmip_http_req_t *r,
    yajl_val root, ngx_str_t *token, u_char *buf, u_char **end);
static time_t ngx_kmip_iam_lifetime(yajl_val root, time_t now);
static ngx_int_t ngx_kmip_iam_store_token(ngx_kmip_iam_t *iam,
    ngx_str_t *token, time_t now, time_t lifetime);
static void ngx_kmip_iam_log_refresh(ngx_kmip_iam_t *iam, ngx_int_t rc,
    u_char *err, size_t len);
static void ngx_kmip_iam_record(ngx_kmip_iam_t *iam, ngx_int_t rc,
    u_char *error, size_t len);
static void ngx_kmip_iam_wake(ngx_kmip_iam_t *iam);
static void ngx_kmip_iam_poll_handler(ngx_event_t *ev);
static void ngx_kmip_iam_wait_cleanup(void *data);
static void ngx_kmip_iam_json_free(yajl_val v);
static void ngx_kmip_iam_json_wipe(yajl_val v);


ngx_kmip_iam_t *
ngx_kmip_iam_create(ngx_conf_t *cf, ngx_str_t *url, ngx_str_t *api_key_file,
    ngx_str_t *ca_file, ngx_resolver_t *resolver, ngx_msec_t resolver_timeout,
    ngx_msec_t timeout, void *tag)
{
    char                *err;
    u_char              *p;
    uint32_t             crc;
    ngx_str_t            name;
    ngx_kmip_iam_t      *iam;
    ngx_shm_zone_t      *zone;

    /*
     * An implicit zone per (IAM URL, API key file). The stream and the
     * http modules configure their Key Protect clients apart; when both
     * name the same IAM and API key, they get the same object, so that
     * the workers hold one token between them.
     */

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, url->data, url->len);
    ngx_crc32_update(&crc, (u_char *) "\n", 1);
    ngx_crc32_update(&crc, api_key_file->data, api_key_file->len);
    ngx_crc32_final(crc);

    p = ngx_pnalloc(cf->pool, sizeof("kmip_iam_") - 1 + 8);
    if (p == NULL) {
        return NULL;
    }

    name.data = p;
    name.len = ngx_sprintf(p, "kmip_iam_%08xD", crc) - p;

    zone = ngx_shared_memory_add(cf, &name, NGX_KMIP_IAM_ZONE_SIZE, tag);
    if (zone == NULL) {
        return NULL;
    }

    if (zone->data) {
        if (ngx_kmip_iam_same(zone->data, url, api_key_file)) {
            return zone->data;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "shared zone \"%V\" is already used", &name);
        return NULL;
    }

    /* the API key read into it is wiped with the configuration */

    iam = ngx_kmip_kp_cleanup_alloc(cf->pool, sizeof(ngx_kmip_iam_t),
                                    ngx_kmip_iam_wipe_conf);
    if (iam == NULL) {
        return NULL;
    }

    iam->zone = zone;
    iam->url = *url;
    iam->api_key_file = *api_key_file;
    iam->timeout = timeout;

    iam->peer.ca_file = *ca_file;
    iam->peer.resolver = resolver;
    iam->peer.resolver_timeout = resolver_timeout;

    err = ngx_kmip_http_parse_peer(cf, url, &iam->peer);
    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_iam_url\" \"%V\" %s", url, err);
        return NULL;
    }

    if (ngx_kmip_iam_read_key(cf, iam) != NGX_OK) {
        return NULL;
    }

    iam->zone->init = ngx_kmip_iam_init_zone;
    iam->zone->data = iam;

    return iam;
}


ngx_int_t
ngx_kmip_iam_same(ngx_kmip_iam_t *iam, ngx_str_t *url,
    ngx_str_t *api_key_file)
{
    return iam->url.len == url->len
           && ngx_strncmp(iam->url.data, url->data, url->len) == 0
           && iam->api_key_file.len == api_key_file->len
           && ngx_strncmp(iam->api_key_file.data, api_key_file->data,
                          api_key_file->len) == 0;
}


static ngx_int_t
ngx_kmip_iam_read_key(ngx_conf_t *cf, ngx_kmip_iam_t *iam)
{
    u_char           *buf, *p, *last;
    size_t            size;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t         path;
    ngx_file_info_t   fi;

    path = iam->api_key_file;

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"kmip_iam_api_key_file\": "
                           ngx_open_file_n " \"%s\" failed", path.data);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"kmip_iam_api_key_file\": "
                           ngx_fd_info_n " \"%s\" failed", path.data);
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    size = (size_t) ngx_file_size(&fi);

    if (size > NGX_KMIP_IAM_MAX_KEY) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_iam_api_key_file\" \"%s\" is too large "
                           "for an API key", path.data);
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    if (ngx_file_access(&fi) & 0007) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"kmip_iam_api_key_file\" \"%s\" is accessible "
                           "by others; chmod o-rwx it", path.data);
    }

    buf = ngx_pnalloc(cf->pool, NGX_KMIP_IAM_MAX_KEY + 1);
    if (buf == NULL) {
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    n = ngx_read_fd(fd, buf, NGX_KMIP_IAM_MAX_KEY + 1);

    ngx_close_file(fd);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"kmip_iam_api_key_file\": "
                           ngx_read_fd_n " \"%s\" failed", path.data);
        return NGX_ERROR;
    }

    p = buf;
    last = buf + n;

    while (p < last && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t'
                        || last[-1] == '\r' || last[-1] == '\n'))
    {
        last--;
    }

    iam->api_key.data = p;
    iam->api_key.len = last - p;

    if (iam->api_key.len == 0 || n > NGX_KMIP_IAM_MAX_KEY) {
        OPENSSL_cleanse(buf, NGX_KMIP_IAM_MAX_KEY + 1);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_iam_api_key_file\" \"%s\" holds no "
                           "API key", path.data);
        return NGX_ERROR;
    }

    for ( /* void */ ; p < last; p++) {
        if (*p <= ' ' || *p >= 0x7f) {
            OPENSSL_cleanse(buf, NGX_KMIP_IAM_MAX_KEY + 1);
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"kmip_iam_api_key_file\" \"%s\" does not "
                               "hold a single-line API key", path.data);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_kmip_iam_wipe_conf(void *data)
{
    ngx_kmip_iam_t *iam = data;

    if (iam->api_key.data) {
        OPENSSL_cleanse(iam->api_key.data, iam->api_key.len);
        iam->api_key.len = 0;
    }
}


static ngx_int_t
ngx_kmip_iam_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_kmip_iam_t *oiam = data;

    ngx_kmip_iam_t    *iam;
    ngx_slab_pool_t   *shpool;

    iam = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

#if (NGX_HAVE_MADV_DONTDUMP || defined MADV_DONTDUMP)
    /*
     * the bearer token is a credential for an hour: it never reaches a
     * core file (set on every cycle, as a reload may reuse a mapping made
     * before the flag was)
     */
    (void) madvise(shm_zone->shm.addr, shm_zone->shm.size, MADV_DONTDUMP);
#endif

    if (oiam) {
        iam->shpool = oiam->shpool;
        iam->sh = oiam->sh;

        /* a reload with another key in the same file: drop the token */

        if (oiam->api_key.len != iam->api_key.len
            || CRYPTO_memcmp(oiam->api_key.data, iam->api_key.data,
                             iam->api_key.len) != 0)
        {
            ngx_shmtx_lock(&shpool->mutex);
            iam->sh->usable_until = 0;
            iam->sh->refresh_at = 0;
            iam->sh->refused_until = 0;
            iam->sh->refused_logged = 0;
            iam->sh->generation++;
            ngx_shmtx_unlock(&shpool->mutex);
        }

        return NGX_OK;
    }

    iam->shpool = shpool;

    if (ngx_kmip_kp_shm_init(shm_zone, sizeof(ngx_kmip_iam_sh_t),
                             "kmip IAM token")
        == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    iam->sh = shpool->data;

    return NGX_OK;
}


static void
ngx_kmip_iam_worker_init(ngx_kmip_iam_t *iam)
{
    if (iam->worker_init) {
        return;
    }

    ngx_queue_init(&iam->waiters);

    iam->poll.data = iam;
    iam->poll.handler = ngx_kmip_iam_poll_handler;
    iam->poll.log = ngx_cycle->log;

    /*
     * The poll runs only while requests wait for a token (each bounded by
     * its deadline): a gracefully exiting worker must wait for it, or it
     * exits under those requests and drops them unanswered.
     */
    iam->poll.cancelable = 0;

    iam->worker_init = 1;
}


ngx_int_t
ngx_kmip_iam_token(ngx_kmip_iam_t *iam, ngx_kmip_iam_wait_t *w)
{
    time_t               now;
    ngx_int_t            rc;
    ngx_uint_t           refresh;
    ngx_pool_cleanup_t  *cln;
    ngx_kmip_iam_sh_t   *sh;

    ngx_kmip_iam_worker_init(iam);

    w->iam = iam;
    ngx_str_null(&w->token);
    ngx_str_null(&w->error);

    sh = iam->sh;
    now = ngx_time();
    refresh = 0;

    ngx_shmtx_lock(&iam->shpool->mutex);

    if (sh->refused_until > now) {
        ngx_kmip_iam_copy_error(iam, w);
        ngx_shmtx_unlock(&iam->shpool->mutex);
        w->rc = NGX_DECLINED;
        return NGX_DECLINED;
    }

    if (sh->token_len && now < sh->usable_until) {
        rc = ngx_kmip_iam_copy(iam, w);

        if (now >= sh->refresh_at) {
            refresh = ngx_kmip_iam_claim(iam, now);
        }

        ngx_shmtx_unlock(&iam->shpool->mutex);

        if (refresh) {
            ngx_log_debug0(NGX_LOG_DEBUG_EVENT, w->log, 0,
                           "kmip iam: proactive token refresh");
            (void) ngx_kmip_iam_refresh(iam);
        }

        w->rc = rc;
        return rc;
    }

    refresh = ngx_kmip_iam_claim(iam, now);
    w->attempts = sh->attempts;

    ngx_shmtx_unlock(&iam->shpool->mutex);

    if (!w->cleanup) {
        cln = ngx_pool_cleanup_add(w->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_kmip_iam_wait_cleanup;
        cln->data = w;
        w->cleanup = 1;
    }

    if (refresh) {
        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, w->log, 0,
                       "kmip iam: no usable token, refreshing");

        if (ngx_kmip_iam_refresh(iam) != NGX_OK) {
            ngx_shmtx_lock(&iam->shpool->mutex);
            ngx_kmip_iam_copy_error(iam, w);
            ngx_shmtx_unlock(&iam->shpool->mutex);
            w->rc = NGX_ERROR;
            return NGX_ERROR;
        }

    } else {
        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, w->log, 0,
                       "kmip iam: waiting for another worker's refresh");
    }

    ngx_queue_insert_tail(&iam->waiters, &w->queue);
    w->queued = 1;

    if (!iam->poll.timer_set) {
        ngx_add_timer(&iam->poll, NGX_KMIP_IAM_POLL);
    }

    return NGX_AGAIN;
}


void
ngx_kmip_iam_invalidate(ngx_kmip_iam_t *iam, ngx_uint_t generation)
{
    ngx_shmtx_lock(&iam->shpool->mutex);

    if (iam->sh->generation == generation) {
        iam->sh->usable_until = 0;
        iam->sh->refresh_at = 0;
    }

    ngx_shmtx_unlock(&iam->shpool->mutex);
}


/* called with the mutex held */

static ngx_uint_t
ngx_kmip_iam_claim(ngx_kmip_iam_t *iam, time_t now)
{
    time_t              stale;
    ngx_kmip_iam_sh_t  *sh;

    sh = iam->sh;

    /* a refresher that crashed or hangs is taken over */
    stale = (time_t) (iam->timeout / 1000) + 5;

    if (sh->refreshing && now - sh->refreshing <= stale) {
        return 0;
    }

    if (iam->refresh_pool) {
        /* ours is still running (a stale flag of our own) */
        return 0;
    }

    sh->refreshing = now;
    sh->refresher = ngx_pid;

    return 1;
}


/* called with the mutex held */

static ngx_int_t
ngx_kmip_iam_copy(ngx_kmip_iam_t *iam, ngx_kmip_iam_wait_t *w)
{
    /* the copy is wiped with the waiter's pool */

    if (ngx_kmip_kp_secret(w->pool, &w->token, iam->sh->token_len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(w->token.data, iam->sh->token, iam->sh->token_len);
    w->token.len = iam->sh->token_len;
    w->generation = iam->sh->generation;

    return NGX_OK;
}


/* called with the mutex held */

static void
ngx_kmip_iam_copy_error(ngx_kmip_iam_t *iam, ngx_kmip_iam_wait_t *w)
{
    size_t  len;

    len = iam->sh->error_len;

    if (len == 0) {
        ngx_str_set(&w->error, "no IAM token");
        return;
    }

    w->error.data = ngx_pnalloc(w->pool, len);
    if (w->error.data == NULL) {
        ngx_str_set(&w->error, "no IAM token");
        return;
    }

    ngx_memcpy(w->error.data, iam->sh->error, len);
    w->error.len = len;
}


static ngx_int_t
ngx_kmip_iam_refresh(ngx_kmip_iam_t *iam)
{
    u_char               *p;
    ngx_str_t             key, v;
    ngx_pool_t           *pool;
    ngx_pool_cleanup_t   *cln;
    ngx_kmip_http_req_t  *r;
    u_char                err[] = "IAM token request failed: out of memory";

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        goto failed;
    }

    r = ngx_kmip_http_create(pool, ngx_cycle->log);
    if (r == NULL) {
        goto failed;
    }

    /* the form: wiped with the pool */

    if (ngx_kmip_http_escape(pool, &iam->api_key, &key, NULL) != NGX_OK) {
        goto failed;
    }

    cln = ngx_pool_cleanup_add(pool, sizeof(ngx_str_t));
    if (cln == NULL) {
        OPENSSL_cleanse(key.data, key.len);
        goto failed;
    }

    cln->handler = ngx_kmip_kp_wipe_str;
    ngx_memcpy(cln->data, &key, sizeof(ngx_str_t));

    if (ngx_kmip_kp_secret(pool, &r->body,
                           sizeof(NGX_KMIP_IAM_GRANT) - 1 + key.len)
        != NGX_OK)
    {
        goto failed;
    }

    p = ngx_cpymem(r->body.data, NGX_KMIP_IAM_GRANT,
                   sizeof(NGX_KMIP_IAM_GRANT) - 1);
    p = ngx_cpymem(p, key.data, key.len);

    r->body.len = p - r->body.data;

    r->peer = &iam->peer;
    ngx_str_set(&r->method, "POST");
    ngx_str_set(&r->uri, "/identity/token");
    r->timeout = iam->timeout;
    r->max_response = 64 * 1024;
    r->idempotent = 1;      /* a token exchange may be repeated */
    r->handler = ngx_kmip_iam_refresh_done;
    r->data = iam;

    ngx_str_set(&v, "application/x-www-form-urlencoded");
    if (ngx_kmip_http_add_header(r, "Content-Type", &v) != NGX_OK) {
        goto failed;
    }

    ngx_str_set(&v, "application/json");
    if (ngx_kmip_http_add_header(r, "Accept", &v) != NGX_OK) {
        goto failed;
    }

    iam->refresh_pool = pool;

    if (ngx_kmip_http_start(r) != NGX_AGAIN) {
        iam->refresh_pool = NULL;

        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "IAM token request failed: %V", &r->error);

        p = ngx_snprintf(err, sizeof(err) - 1, "IAM token request failed");
        ngx_kmip_iam_record(iam, NGX_ERROR, err, p - err);

        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    return NGX_OK;

failed:

    if (pool) {
        ngx_destroy_pool(pool);
    }

    ngx_kmip_iam_record(iam, NGX_ERROR, err, sizeof(err) - 1);

    return NGX_ERROR;
}


static void
ngx_kmip_iam_refresh_done(ngx_kmip_http_req_t *r)
{
    ngx_kmip_iam_t *iam = r->data;

    u_char     *p, *last, buf[NGX_KMIP_IAM_ERROR_LEN];
    time_t      now, lifetime;
    yajl_val    root;
    ngx_str_t   token;
    ngx_int_t   rc;

    root = NULL;
    last = buf + sizeof(buf);

    if (r->result != NGX_KMIP_HTTP_OK) {
        p = ngx_slprintf(buf, last, "IAM token request failed: %V",
                         &r->error);
        rc = NGX_ERROR;
        goto done;
    }

    root = yajl_tree_parse((char *) r->response.data, NULL, 0);

    rc = ngx_kmip_iam_read_token(r, root, &token, buf, &p);
    if (rc != NGX_OK) {
        goto done;
    }

    now = ngx_time();
    lifetime = ngx_kmip_iam_lifetime(root, now);

    if (lifetime <= 0) {
        p = ngx_slprintf(buf, last,
                         "IAM token request failed: no token lifetime");
        rc = NGX_ERROR;
        goto done;
    }

    if (ngx_kmip_iam_store_token(iam, &token, now, lifetime) != NGX_OK) {
        p = ngx_slprintf(buf, last,
                         "IAM token request failed: token zone is full");
        rc = NGX_ERROR;
        goto done;
    }

    p = buf;
    rc = NGX_OK;

done:

    if (root) {
        ngx_kmip_iam_json_free(root);
    }

    /* the response (the token) is wiped with the pool */

    iam->refresh_pool = NULL;
    ngx_destroy_pool(r->pool);

    ngx_kmip_iam_log_refresh(iam, rc, buf, p - buf);

    ngx_kmip_iam_record(iam, rc, buf, p - buf);

    ngx_kmip_iam_wake(iam);
}


/*
 * The access token of IAM's answer, or why there is none: NGX_DECLINED if
 * IAM refused the API key, NGX_ERROR for any other failure; the message
 * is written to buf, *end is where it ends.
 */

static ngx_int_t
ngx_kmip_iam_read_token(ngx_kmip_http_req_t *r, yajl_val root,
    ngx_str_t *token, u_char *buf, u_char **end)
{
    u_char      *last;
    size_t       len;
    yajl_val     v, code, msg;
    ngx_uint_t   i;

    static const char  *token_path[] = { "access_token", NULL };
    static const char  *code_path[] = { "errorCode", NULL };
    static const char  *msg_path[] = { "errorMessage", NULL };

    last = buf + NGX_KMIP_IAM_ERROR_LEN;

    if (r->status == 400 && root) {
        code = yajl_tree_get(root, code_path, yajl_t_string);
        msg = yajl_tree_get(root, msg_path, yajl_t_string);

        if (code && ngx_strncmp(code->u.string, "BXNIM", 5) == 0) {
            *end = ngx_slprintf(buf, last, "IAM refused the API key: %s %s",
                                code->u.string,
                                msg ? msg->u.string : "");
            return NGX_DECLINED;
        }
    }

    if (r->status != 200) {
        *end = ngx_slprintf(buf, last, "IAM token request failed: HTTP %ui",
                            r->status);
        return NGX_ERROR;
    }

    v = root ? yajl_tree_get(root, token_path, yajl_t_string) : NULL;

    if (v == NULL) {
        *end = ngx_slprintf(buf, last,
                            "IAM token request failed: malformed response");
        return NGX_ERROR;
    }

    len = ngx_strlen(v->u.string);

    for (i = 0; i < len; i++) {
        if ((u_char) v->u.string[i] <= ' '
            || (u_char) v->u.string[i] >= 0x7f)
        {
            break;
        }
    }

    if (len == 0 || len > NGX_KMIP_IAM_MAX_TOKEN || i != len) {
        *end = ngx_slprintf(buf, last,
                            "IAM token request failed: unusable access_token");
        return NGX_ERROR;
    }

    token->data = (u_char *) v->u.string;
    token->len = len;

    return NGX_OK;
}


/* how long the token lives from now, 0 or less if the answer does not say */

static time_t
ngx_kmip_iam_lifetime(yajl_val root, time_t now)
{
    time_t    lifetime, expiration;
    yajl_val  v;

    static const char  *expires_in_path[] = { "expires_in", NULL };
    static const char  *expiration_path[] = { "expiration", NULL };

    lifetime = 0;

    expiration = 0;
    v = yajl_tree_get(root, expiration_path, yajl_t_number);
    if (v && YAJL_IS_INTEGER(v)) {
        expiration = (time_t) YAJL_GET_INTEGER(v);
    }

    v = yajl_tree_get(root, expires_in_path, yajl_t_number);
    if (v && YAJL_IS_INTEGER(v)) {
        lifetime = (time_t) YAJL_GET_INTEGER(v);

    } else if (expiration > now) {
        lifetime = expiration - now;
    }

    return lifetime;
}


/* the new token replaces the old one in the zone all workers read */

static ngx_int_t
ngx_kmip_iam_store_token(ngx_kmip_iam_t *iam, ngx_str_t *token, time_t now,
    time_t lifetime)
{
    time_t              margin;
    ngx_kmip_iam_sh_t  *sh;

    sh = iam->sh;

    /* the local clock counts: IAM's "expiration" may be skewed */

    margin = lifetime / 10;
    if (margin > 60) {
        margin = 60;
    }

    ngx_shmtx_lock(&iam->shpool->mutex);

    if (sh->token) {
        OPENSSL_cleanse(sh->token, sh->token_len);
        ngx_slab_free_locked(iam->shpool, sh->token);
        sh->token = NULL;
        sh->token_len = 0;
    }

    sh->token = ngx_slab_alloc_locked(iam->shpool, token->len);

    if (sh->token == NULL) {
        ngx_shmtx_unlock(&iam->shpool->mutex);
        return NGX_ERROR;
    }

    ngx_memcpy(sh->token, token->data, token->len);
    sh->token_len = token->len;
    sh->generation++;
    sh->refresh_at = now + lifetime - lifetime / 5;
    sh->usable_until = now + lifetime - margin;
    sh->refused_logged = 0;

    ngx_shmtx_unlock(&iam->shpool->mutex);

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, ngx_cycle->log, 0,
                   "kmip iam: new token, generation %ui, lifetime %T, "
                   "length %uz", sh->generation, lifetime, token->len);

    return NGX_OK;
}


/* a refused API key is logged once until a token is had again */

static void
ngx_kmip_iam_log_refresh(ngx_kmip_iam_t *iam, ngx_int_t rc, u_char *err,
    size_t len)
{
    ngx_kmip_iam_sh_t  *sh;

    sh = iam->sh;

    if (rc == NGX_DECLINED) {
        ngx_shmtx_lock(&iam->shpool->mutex);

        if (!sh->refused_logged) {
            sh->refused_logged = 1;
            ngx_shmtx_unlock(&iam->shpool->mutex);

            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0, "%*s", len, err);

        } else {
            ngx_shmtx_unlock(&iam->shpool->mutex);
        }

    } else if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0, "%*s", len, err);
    }
}


static void
ngx_kmip_iam_record(ngx_kmip_iam_t *iam, ngx_int_t rc, u_char *error,
    size_t len)
{
    ngx_kmip_iam_sh_t  *sh;

    sh = iam->sh;

    ngx_shmtx_lock(&iam->shpool->mutex);

    sh->refreshing = 0;
    sh->attempts++;
    sh->last_rc = rc;

    if (rc == NGX_DECLINED) {
        sh->refused_until = ngx_time() + NGX_KMIP_IAM_REFUSED_BACKOFF;
        sh->usable_until = 0;
    }

    if (len > NGX_KMIP_IAM_ERROR_LEN) {
        len = NGX_KMIP_IAM_ERROR_LEN;
    }

    ngx_memcpy(sh->error, error, len);
    sh->error_len = len;

    ngx_shmtx_unlock(&iam->shpool->mutex);
}


/* resolves the waiters whose outcome is known; a handler may cancel others */

static void
ngx_kmip_iam_wake(ngx_kmip_iam_t *iam)
{
    time_t                now;
    ngx_int_t             rc;
    ngx_uint_t            refresh;
    ngx_queue_t          *q;
    ngx_kmip_iam_sh_t    *sh;
    ngx_kmip_iam_wait_t  *w;

    sh = iam->sh;

again:

    refresh = 0;

    for (q = ngx_queue_head(&iam->waiters);
         q != ngx_queue_sentinel(&iam->waiters);
         q = ngx_queue_next(q))
    {
        w = ngx_queue_data(q, ngx_kmip_iam_wait_t, queue);
        now = ngx_time();
        rc = NGX_AGAIN;

        ngx_shmtx_lock(&iam->shpool->mutex);

        if (sh->token_len && now < sh->usable_until) {
            rc = ngx_kmip_iam_copy(iam, w);

        } else if (sh->refused_until > now) {
            ngx_kmip_iam_copy_error(iam, w);
            rc = NGX_DECLINED;

        } else if (sh->attempts != w->attempts && sh->last_rc != NGX_OK) {
            ngx_kmip_iam_copy_error(iam, w);
            rc = NGX_ERROR;

        } else if ((ngx_msec_int_t) (w->deadline - ngx_current_msec) <= 0) {
            ngx_str_set(&w->error, "timed out waiting for an IAM token");
            rc = NGX_ERROR;

        } else {
            /* the refresher vanished, or the new token is gone already */
            refresh = ngx_kmip_iam_claim(iam, now);
            if (refresh) {
                w->attempts = sh->attempts;
            }
        }

        ngx_shmtx_unlock(&iam->shpool->mutex);

        if (refresh) {
            if (ngx_kmip_iam_refresh(iam) != NGX_OK) {
                goto again;
            }

            refresh = 0;
        }

        if (rc == NGX_AGAIN) {
            continue;
        }

        ngx_queue_remove(&w->queue);
        w->queued = 0;
        w->rc = rc;

        w->handler(w);

        goto again;
    }

    if (!ngx_queue_empty(&iam->waiters)) {
        if (!iam->poll.timer_set) {
            ngx_add_timer(&iam->poll, NGX_KMIP_IAM_POLL);
        }

    } else if (iam->poll.timer_set) {
        ngx_del_timer(&iam->poll);
    }
}


static void
ngx_kmip_iam_poll_handler(ngx_event_t *ev)
{
    ngx_kmip_iam_t *iam = ev->data;

    ngx_kmip_iam_wake(iam);
}


static void
ngx_kmip_iam_wait_cleanup(void *data)
{
    ngx_kmip_iam_wait_t *w = data;

    if (w->queued) {
        ngx_queue_remove(&w->queue);
        w->queued = 0;
    }
}


static void
ngx_kmip_iam_json_free(yajl_val v)
{
    ngx_kmip_iam_json_wipe(v);
    yajl_tree_free(v);
}


static void
ngx_kmip_iam_json_wipe(yajl_val v)
{
    size_t  i;

    if (v == NULL) {
        return;
    }

    if (YAJL_IS_STRING(v)) {
        OPENSSL_cleanse(v->u.string, ngx_strlen(v->u.string));

    } else if (YAJL_IS_OBJECT(v)) {
        for (i = 0; i < v->u.object.len; i++) {
            ngx_kmip_iam_json_wipe(v->u.object.values[i]);
        }

    } else if (YAJL_IS_ARRAY(v)) {
        for (i = 0; i < v->u.array.len; i++) {
            ngx_kmip_iam_json_wipe(v->u.array.values[i]);
        }
    }
}
