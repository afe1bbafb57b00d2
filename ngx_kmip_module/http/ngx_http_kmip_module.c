
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_kp_conf.h"
#include "ngx_kmip_store_kp.h"
#include "ngx_kmip_cache.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_transport.h"
#include "ngx_http_kmip_module.h"


static ngx_int_t ngx_http_kmip_add_variables(ngx_conf_t *cf);
static void *ngx_http_kmip_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_kmip_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_kmip_check_conf(ngx_conf_t *cf,
    ngx_http_kmip_loc_conf_t *klcf);
static ngx_int_t ngx_http_kmip_scope_rings(ngx_conf_t *cf,
    ngx_http_kmip_loc_conf_t *klcf);
static char *ngx_http_kmip(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_kmip_key_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_kmip_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#define NGX_HTTP_KMIP_CONF                                                    \
    (NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1)


static ngx_command_t  ngx_http_kmip_commands[] = {

    { ngx_string("kmip"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_kmip,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kmip_max_message_size"),
      NGX_HTTP_KMIP_CONF,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, max_message_size),
      &ngx_kmip_conf_message_size_post },

    { ngx_string("kmip_allowed_client_certificate"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_conf_allowed_certs,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, access.allowed_certs),
      NULL },

    { ngx_string("kmip_credentials_file"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_conf_credentials_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, access.credentials),
      NULL },

    { ngx_string("kmip_scope"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_BLOCK
                        |NGX_CONF_TAKE1,
      ngx_kmip_scope_block,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, access.scopes),
      NULL },

    { ngx_string("kmip_audit_log"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_kmip_conf_audit_log,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, audit),
      NULL },

    { ngx_string("kmip_protocol_versions"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_kmip_conf_set_versions,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, server.versions),
      NULL },

    { ngx_string("kmip_push"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_kmip_outbox_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, push),
      NULL },

    { ngx_string("kmip_ca_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_kmip_conf_ca_certificate,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, server.ca),
      NULL },

    { ngx_string("kmip_ca_certificate_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_kmip_conf_ca_certificate_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, server.ca_key),
      NULL },

    { ngx_string("kmip_ca_validity"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, server.ca_validity),
      NULL },

    { ngx_string("kmip_interop"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, server.interop),
      NULL },

    { ngx_string("kmip_operations"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_kmip_conf_set_operations,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, server.operations),
      NULL },

    { ngx_string("kmip_key_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_kmip_key_cache,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kmip_keyprotect_url"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.url),
      NULL },

    { ngx_string("kmip_keyprotect_instance"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.instance),
      NULL },

    { ngx_string("kmip_keyprotect_root_key"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.root_key),
      NULL },

    { ngx_string("kmip_keyprotect_key_ring"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.key_ring),
      NULL },

    { ngx_string("kmip_keyprotect_timeout"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_msec,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.timeout),
      NULL },

    { ngx_string("kmip_keyprotect_ssl_trusted_certificate"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.trusted_certificate),
      NULL },

    { ngx_string("kmip_iam_url"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.iam_url),
      NULL },

    { ngx_string("kmip_iam_api_key_file"),
      NGX_HTTP_KMIP_CONF,
      ngx_kmip_kp_conf_set_str,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kmip_loc_conf_t, keyprotect.api_key_file),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_kmip_module_ctx = {
    ngx_http_kmip_add_variables,           /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_kmip_create_loc_conf,         /* create location configuration */
    ngx_http_kmip_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_kmip_module = {
    NGX_MODULE_V1,
    &ngx_http_kmip_module_ctx,             /* module context */
    ngx_http_kmip_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the variables describe one request: the access log's line */

enum {
    ngx_http_kmip_var_operation = 0,
    ngx_http_kmip_var_result,
    ngx_http_kmip_var_encoding,
    ngx_http_kmip_var_fingerprint,
    ngx_http_kmip_var_scope,
    ngx_http_kmip_var_correlation
};


static ngx_http_variable_t  ngx_http_kmip_vars[] = {

    { ngx_string("kmip_operation"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_operation, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_result"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_result, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_encoding"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_encoding, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_client_fingerprint"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_fingerprint, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_client_scope"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_scope, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_correlation"), NULL, ngx_http_kmip_variable,
      ngx_http_kmip_var_correlation, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_kmip_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_kmip_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_kmip_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t             value, *scope;
    const char           *s;
    ngx_http_kmip_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kmip_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_str_null(&value);
    s = NULL;

    switch (data) {

    case ngx_http_kmip_var_operation:
        if (ctx->last_result) {
            s = ctx->last_operation
                ? ngx_kmip_operation_name(ctx->last_operation) : "-";
        }
        break;

    case ngx_http_kmip_var_result:
        s = ctx->last_result;
        break;

    case ngx_http_kmip_var_encoding:
        value = ngx_http_kmip_names[ctx->encoding];
        break;

    case ngx_http_kmip_var_fingerprint:
        value = ctx->peer.fingerprint;
        break;

    case ngx_http_kmip_var_scope:
        scope = ngx_kmip_peer_scope_name(&ctx->peer);
        value = scope ? *scope : value;
        break;

    default: /* ngx_http_kmip_var_correlation */
        if (ctx->req) {
            value = ctx->req->server_correlation;
        }
        break;
    }

    if (s) {
        value.data = (u_char *) s;
        value.len = ngx_strlen(s);
    }

    if (value.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = value.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = value.data;

    return NGX_OK;
}


static void *
ngx_http_kmip_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_kmip_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_kmip_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = NGX_CONF_UNSET;
    conf->max_message_size = NGX_CONF_UNSET_SIZE;
    conf->audit = NGX_CONF_UNSET_PTR;
    conf->cache_set = NGX_CONF_UNSET;
    conf->push = NGX_CONF_UNSET_PTR;

    ngx_kmip_access_conf_init(&conf->access);

    ngx_kmip_server_conf_init(&conf->server);

    ngx_kmip_kp_conf_init(&conf->keyprotect);

    return conf;
}


static char *
ngx_http_kmip_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_kmip_loc_conf_t *prev = parent;
    ngx_http_kmip_loc_conf_t *conf = child;

    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_size_value(conf->max_message_size, prev->max_message_size,
                              64 * 1024);
    ngx_conf_merge_ptr_value(conf->audit, prev->audit, NULL);

    ngx_kmip_access_conf_merge(&prev->access, &conf->access);

    if (conf->cache_set == NGX_CONF_UNSET) {
        conf->cache_set = prev->cache_set;
        conf->cache = prev->cache;
    }

    if (ngx_kmip_server_conf_merge(cf, &prev->server, &conf->server)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_kmip_kp_conf_merge(cf, &prev->keyprotect, &conf->keyprotect,
                               clcf->resolver, clcf->resolver_timeout)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_ptr_value(conf->push, prev->push, NULL);

    if (conf->push) {
        if (ngx_kmip_outbox_init(cf, conf->push, clcf->resolver,
                                 clcf->resolver_timeout)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        conf->server.push = ngx_kmip_outbox_send;
        conf->server.push_data = conf->push;
    }

    /* the node's map from Unique Identifier to Key Protect key, one zone
       for both modules */

    if (conf->keyprotect.url.len && ngx_kmip_store_kp_map_add(cf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (!conf->enable || clcf->handler != ngx_http_kmip_handler) {
        return NGX_CONF_OK;
    }

    return ngx_http_kmip_check_conf(cf, conf);
}


static char *
ngx_http_kmip_check_conf(ngx_conf_t *cf, ngx_http_kmip_loc_conf_t *klcf)
{
    ngx_http_ssl_srv_conf_t   *sscf;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    sscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_ssl_module);

    /* the same rules as a stream server's (ngx_kmip_transport_peer.c) */

    if (ngx_kmip_access_conf_check(cf, &klcf->access,
                                   klcf->server.operations, sscf->verify,
                                   sscf->client_certificate.len
                                   || sscf->trusted_certificate.len)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (sscf->verify == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_allowed_client_certificate\" needs "
                           "\"ssl_verify_client\" (\"optional_no_ca\" for "
                           "self-signed certificates)");
        return NGX_CONF_ERROR;
    }

    if (clcf->client_body_in_file_only) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip\" cannot be combined with "
                           "\"client_body_in_file_only\": a request may "
                           "carry a key");
        return NGX_CONF_ERROR;
    }

    /*
     * The body stays in memory: kmip_max_message_size bounds it (nginx
     * answers 413 past it, chunked or not), and the body buffer holds
     * that much, so that nothing a client sends reaches client_body_temp.
     */

    if (clcf->client_max_body_size == 0
        || clcf->client_max_body_size > (off_t) klcf->max_message_size)
    {
        clcf->client_max_body_size = klcf->max_message_size;
    }

    if (clcf->client_body_buffer_size <= klcf->max_message_size) {
        clcf->client_body_buffer_size = klcf->max_message_size + 1;
    }

    if (ngx_http_kmip_scope_rings(cf, klcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return (ngx_kmip_server_conf_enable(cf, &klcf->server, sscf->ssl.ctx)
            == NGX_OK) ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static char *
ngx_http_kmip(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kmip_loc_conf_t *klcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (klcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip\" cannot be combined with another "
                           "content handler (proxy_pass, return, ...) in "
                           "the same location");
        return NGX_CONF_ERROR;
    }

    klcf->enable = 1;
    clcf->handler = ngx_http_kmip_handler;

    return NGX_CONF_OK;
}


/*
 * A scope with its own key_ring or root_key gets its own Key Protect client
 * configuration: the location's, with those; in the cycle's pool, since
 * work that outlives a request (a deferred clean-up) holds on to the
 * configuration it ran with.
 */

static ngx_int_t
ngx_http_kmip_scope_rings(ngx_conf_t *cf, ngx_http_kmip_loc_conf_t *klcf)
{
    ngx_uint_t         n;
    ngx_kmip_scope_t  *scope;

    if (klcf->access.scopes == NULL || klcf->keyprotect.kp == NULL) {
        return NGX_OK;
    }

    klcf->scope_kp = ngx_pcalloc(cf->pool, klcf->access.scopes->nelts
                                           * sizeof(ngx_kmip_kp_t *));
    if (klcf->scope_kp == NULL) {
        return NGX_ERROR;
    }

    scope = klcf->access.scopes->elts;

    for (n = 0; n < klcf->access.scopes->nelts; n++) {
        if (scope[n].key_ring.len || scope[n].root_key.len) {
            klcf->scope_kp[n] = ngx_kmip_kp_conf_ring(cf->pool,
                                                      klcf->keyprotect.kp,
                                                      &scope[n].key_ring,
                                                      &scope[n].root_key);
            if (klcf->scope_kp[n] == NULL) {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/* kmip_key_cache: a zone named as a stream server's is the same cache */

static char *
ngx_http_kmip_key_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kmip_loc_conf_t *klcf = conf;

    if (klcf->cache_set != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    klcf->cache_set = 1;

    return ngx_kmip_cache_conf(cf, &klcf->cache);
}
