
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_stream_kmip_keyprotect_module.h"
#include "ngx_kmip_store_kp.h"


/*
 * The Key Protect client's directives. A server {} (or the stream {} block,
 * for every server) that sets kmip_keyprotect_url gets a client; the IAM
 * token of each (kmip_iam_url, kmip_iam_api_key_file) pair lives in an
 * implicit shared zone "kmip_iam_<crc32>" of 64k, shared by all workers
 * and kept across reloads.
 */


typedef struct {
    ngx_str_t                   url;
    ngx_str_t                   instance;
    ngx_str_t                   root_key;
    ngx_str_t                   key_ring;
    ngx_msec_t                  timeout;
    ngx_str_t                   trusted_certificate;
    ngx_str_t                   iam_url;
    ngx_str_t                   api_key_file;

    ngx_kmip_kp_t              *kp;
    unsigned                    own:1;          /* set here, not inherited */
} ngx_stream_kmip_keyprotect_srv_conf_t;


typedef struct {
    ngx_array_t                 iams;           /* ngx_kmip_iam_t * */
} ngx_stream_kmip_keyprotect_main_conf_t;


static void *ngx_stream_kmip_keyprotect_create_main_conf(ngx_conf_t *cf);
static void *ngx_stream_kmip_keyprotect_create_srv_conf(ngx_conf_t *cf);
static char *ngx_stream_kmip_keyprotect_merge_srv_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_kmip_kp_t *ngx_stream_kmip_keyprotect_build(ngx_conf_t *cf,
    ngx_stream_kmip_keyprotect_srv_conf_t *conf);
static char *ngx_stream_kmip_keyprotect_set_str(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_stream_kmip_keyprotect_set_msec(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_stream_kmip_keyprotect_init_process(ngx_cycle_t *cycle);
static void ngx_stream_kmip_keyprotect_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_stream_kmip_keyprotect_commands[] = {

    { ngx_string("kmip_keyprotect_url"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_stream_kmip_keyprotect_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, url),
      NULL },

    { ngx_string("kmip_keyprotect_instance"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_stream_kmip_keyprotect_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, instance),
      NULL },

    { ngx_string("kmip_keyprotect_root_key"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_stream_kmip_keyprotect_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, root_key),
      NULL },

    { ngx_string("kmip_keyprotect_key_ring"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_stream_kmip_keyprotect_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, key_ring),
      NULL },

    { ngx_string("kmip_keyprotect_timeout"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_stream_kmip_keyprotect_set_msec,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, timeout),
      NULL },

    { ngx_string("kmip_keyprotect_ssl_trusted_certificate"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_stream_kmip_keyprotect_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, trusted_certificate),
      NULL },

    { ngx_string("kmip_iam_url"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_stream_kmip_keyprotect_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, iam_url),
      NULL },

    { ngx_string("kmip_iam_api_key_file"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_stream_kmip_keyprotect_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, api_key_file),
      NULL },

      ngx_null_command
};


static ngx_stream_module_t  ngx_stream_kmip_keyprotect_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_stream_kmip_keyprotect_create_main_conf,
                                           /* create main configuration */
    NULL,                                  /* init main configuration */

    ngx_stream_kmip_keyprotect_create_srv_conf,
                                           /* create server configuration */
    ngx_stream_kmip_keyprotect_merge_srv_conf
                                           /* merge server configuration */
};


ngx_module_t  ngx_stream_kmip_keyprotect_module = {
    NGX_MODULE_V1,
    &ngx_stream_kmip_keyprotect_module_ctx, /* module context */
    ngx_stream_kmip_keyprotect_commands,   /* module directives */
    NGX_STREAM_MODULE,                     /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_stream_kmip_keyprotect_init_process, /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_stream_kmip_keyprotect_exit_process, /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


ngx_kmip_kp_t *
ngx_stream_kmip_keyprotect_get(ngx_stream_session_t *s)
{
    ngx_stream_kmip_keyprotect_srv_conf_t  *kcf;

    kcf = ngx_stream_get_module_srv_conf(s, ngx_stream_kmip_keyprotect_module);

    return kcf->kp;
}


ngx_kmip_kp_t *
ngx_stream_kmip_keyprotect_srv_kp(ngx_stream_core_srv_conf_t *cscf)
{
    ngx_stream_kmip_keyprotect_srv_conf_t  *kcf;

    kcf = cscf->ctx->srv_conf[ngx_stream_kmip_keyprotect_module.ctx_index];

    return kcf->kp;
}


ngx_kmip_kp_t *
ngx_stream_kmip_keyprotect_ring(ngx_pool_t *pool, ngx_kmip_kp_t *kp,
    ngx_str_t *ring, ngx_str_t *root_key)
{
    ngx_kmip_kp_t  *copy;

    copy = ngx_palloc(pool, sizeof(ngx_kmip_kp_t));
    if (copy == NULL) {
        return NULL;
    }

    *copy = *kp;

    if (ring->len) {
        copy->key_ring = *ring;
    }

    if (root_key->len
        && ngx_kmip_http_escape(pool, root_key, &copy->root_key, NULL)
           != NGX_OK)
    {
        return NULL;
    }

    return copy;
}


static void *
ngx_stream_kmip_keyprotect_create_main_conf(ngx_conf_t *cf)
{
    ngx_stream_kmip_keyprotect_main_conf_t  *kmcf;

    kmcf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_stream_kmip_keyprotect_main_conf_t));
    if (kmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&kmcf->iams, cf->pool, 1, sizeof(ngx_kmip_iam_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return kmcf;
}


static void *
ngx_stream_kmip_keyprotect_create_srv_conf(ngx_conf_t *cf)
{
    ngx_stream_kmip_keyprotect_srv_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_stream_kmip_keyprotect_srv_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->url = { 0, NULL };
     *     conf->instance = { 0, NULL };
     *     conf->root_key = { 0, NULL };
     *     conf->key_ring = { 0, NULL };
     *     conf->trusted_certificate = { 0, NULL };
     *     conf->iam_url = { 0, NULL };
     *     conf->api_key_file = { 0, NULL };
     *     conf->kp = NULL;
     *     conf->own = 0;
     */

    conf->timeout = NGX_CONF_UNSET_MSEC;

    return conf;
}


static char *
ngx_stream_kmip_keyprotect_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_stream_kmip_keyprotect_srv_conf_t *prev = parent;
    ngx_stream_kmip_keyprotect_srv_conf_t *conf = child;

    if (!conf->own && prev->kp) {
        /* everything inherited: share the client built for another server */
        *conf = *prev;
        conf->own = 0;
        return NGX_CONF_OK;
    }

    ngx_conf_merge_str_value(conf->url, prev->url, "");
    ngx_conf_merge_str_value(conf->instance, prev->instance, "");
    ngx_conf_merge_str_value(conf->root_key, prev->root_key, "");
    ngx_conf_merge_str_value(conf->key_ring, prev->key_ring, "");
    ngx_conf_merge_msec_value(conf->timeout, prev->timeout, 10000);
    ngx_conf_merge_str_value(conf->trusted_certificate,
                             prev->trusted_certificate, "");
    ngx_conf_merge_str_value(conf->iam_url, prev->iam_url,
                             "https://iam.cloud.ibm.com");
    ngx_conf_merge_str_value(conf->api_key_file, prev->api_key_file, "");

    if (conf->url.len == 0) {
        conf->kp = NULL;
        return NGX_CONF_OK;
    }

    conf->kp = ngx_stream_kmip_keyprotect_build(cf, conf);
    if (conf->kp == NULL) {
        return NGX_CONF_ERROR;
    }

    if (!conf->own) {
        /* built from the stream {} level: shared by the next servers */
        prev->kp = conf->kp;
    }

    return NGX_CONF_OK;
}


static ngx_kmip_kp_t *
ngx_stream_kmip_keyprotect_build(ngx_conf_t *cf,
    ngx_stream_kmip_keyprotect_srv_conf_t *conf)
{
    char                                    *err;
    ngx_uint_t                               i;
    ngx_kmip_kp_t                           *kp;
    ngx_file_info_t                          fi;
    ngx_kmip_iam_t                         **iamp;
    ngx_stream_core_srv_conf_t              *cscf;
    ngx_stream_kmip_keyprotect_main_conf_t  *kmcf;

    if (conf->instance.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_keyprotect_instance\" is required with "
                           "\"kmip_keyprotect_url\"");
        return NULL;
    }

    if (conf->root_key.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_keyprotect_root_key\" is required with "
                           "\"kmip_keyprotect_url\"");
        return NULL;
    }

    if (conf->api_key_file.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_iam_api_key_file\" is required with "
                           "\"kmip_keyprotect_url\"");
        return NULL;
    }

    cscf = ngx_stream_conf_get_module_srv_conf(cf, ngx_stream_core_module);

    kp = ngx_pcalloc(cf->pool, sizeof(ngx_kmip_kp_t));
    if (kp == NULL) {
        return NULL;
    }

    kp->instance = conf->instance;
    kp->key_ring = conf->key_ring;
    kp->timeout = conf->timeout;

    if (ngx_kmip_http_escape(cf->pool, &conf->root_key, &kp->root_key, NULL)
        != NGX_OK)
    {
        return NULL;
    }

    if (conf->trusted_certificate.len) {
        if (ngx_conf_full_name(cf->cycle, &conf->trusted_certificate, 1)
            != NGX_OK)
        {
            return NULL;
        }

        if (ngx_file_info(conf->trusted_certificate.data, &fi)
            == NGX_FILE_ERROR)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "\"kmip_keyprotect_ssl_trusted_certificate\" "
                               "\"%s\" cannot be read",
                               conf->trusted_certificate.data);
            return NULL;
        }
    }

    kp->peer.ca_file = conf->trusted_certificate;
    kp->peer.resolver = cscf->resolver;
    kp->peer.resolver_timeout = cscf->resolver_timeout;

    err = ngx_kmip_http_parse_peer(cf, &conf->url, &kp->peer);
    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_keyprotect_url\" \"%V\" %s",
                           &conf->url, err);
        return NULL;
    }

    /* the node's map from Unique Identifier to Key Protect key, one zone */

    if (ngx_kmip_store_kp_map_add(cf, &ngx_stream_kmip_keyprotect_module)
        != NGX_OK)
    {
        return NULL;
    }

    kmcf = ngx_stream_conf_get_module_main_conf(cf,
                                          ngx_stream_kmip_keyprotect_module);

    iamp = kmcf->iams.elts;
    for (i = 0; i < kmcf->iams.nelts; i++) {
        if (ngx_kmip_iam_same(iamp[i], &conf->iam_url, &conf->api_key_file)) {
            kp->iam = iamp[i];
            return kp;
        }
    }

    kp->iam = ngx_kmip_iam_create(cf, &conf->iam_url, &conf->api_key_file,
                                  &conf->trusted_certificate, cscf->resolver,
                                  cscf->resolver_timeout, conf->timeout,
                                  &ngx_stream_kmip_keyprotect_module);
    if (kp->iam == NULL) {
        return NULL;
    }

    iamp = ngx_array_push(&kmcf->iams);
    if (iamp == NULL) {
        return NULL;
    }

    *iamp = kp->iam;

    return kp;
}


static char *
ngx_stream_kmip_keyprotect_set_str(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_stream_kmip_keyprotect_srv_conf_t *kcf = conf;

    char        *rv;
    ngx_str_t   *value;

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must not be empty", &cmd->name);
        return NGX_CONF_ERROR;
    }

    rv = ngx_conf_set_str_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (cf->cmd_type == NGX_STREAM_SRV_CONF) {
        kcf->own = 1;
    }

    return NGX_CONF_OK;
}


static char *
ngx_stream_kmip_keyprotect_set_msec(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_stream_kmip_keyprotect_srv_conf_t *kcf = conf;

    char  *rv;

    rv = ngx_conf_set_msec_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (kcf->timeout == 0) {
        return "must be greater than 0";
    }

    if (cf->cmd_type == NGX_STREAM_SRV_CONF) {
        kcf->own = 1;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_stream_kmip_keyprotect_init_process(ngx_cycle_t *cycle)
{
    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    return ngx_kmip_http_init_process(cycle);
}


static void
ngx_stream_kmip_keyprotect_exit_process(ngx_cycle_t *cycle)
{
    ngx_kmip_http_exit_process(cycle);
}
