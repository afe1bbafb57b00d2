
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_stream_kmip_keyprotect_module.h"


/*
 * The Key Protect client's directives in stream {}. A server {} (or the
 * stream {} block, for every server) that sets kmip_keyprotect_url gets a
 * client. The parsing and the client are shared with the http module
 * (kp/ngx_kmip_kp_conf.c), and so is the IAM token's zone.
 */


typedef ngx_kmip_kp_conf_t  ngx_stream_kmip_keyprotect_srv_conf_t;


static void *ngx_stream_kmip_keyprotect_create_srv_conf(ngx_conf_t *cf);
static char *ngx_stream_kmip_keyprotect_merge_srv_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_stream_kmip_keyprotect_init_process(ngx_cycle_t *cycle);
static void ngx_stream_kmip_keyprotect_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_stream_kmip_keyprotect_commands[] = {

    { ngx_string("kmip_keyprotect_url"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_kp_conf_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, url),
      NULL },

    { ngx_string("kmip_keyprotect_instance"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_kp_conf_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, instance),
      NULL },

    { ngx_string("kmip_keyprotect_root_key"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_kp_conf_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, root_key),
      NULL },

    { ngx_string("kmip_keyprotect_key_ring"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_kp_conf_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, key_ring),
      NULL },

    { ngx_string("kmip_keyprotect_timeout"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_kp_conf_set_msec,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, timeout),
      NULL },

    { ngx_string("kmip_keyprotect_ssl_trusted_certificate"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_kp_conf_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, trusted_certificate),
      NULL },

    { ngx_string("kmip_iam_url"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_kp_conf_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, iam_url),
      NULL },

    { ngx_string("kmip_iam_api_key_file"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_kp_conf_set_str,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_keyprotect_srv_conf_t, api_key_file),
      NULL },

      ngx_null_command
};


static ngx_stream_module_t  ngx_stream_kmip_keyprotect_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
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
    return ngx_kmip_kp_conf_ring(pool, kp, ring, root_key);
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

    ngx_kmip_kp_conf_init(conf);

    return conf;
}


static char *
ngx_stream_kmip_keyprotect_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_stream_kmip_keyprotect_srv_conf_t *prev = parent;
    ngx_stream_kmip_keyprotect_srv_conf_t *conf = child;

    ngx_stream_core_srv_conf_t  *cscf;

    cscf = ngx_stream_conf_get_module_srv_conf(cf, ngx_stream_core_module);

    return ngx_kmip_kp_conf_merge(cf, prev, conf, cscf->resolver,
                                  cscf->resolver_timeout);
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
