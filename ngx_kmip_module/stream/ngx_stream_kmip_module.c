
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_kmip_transport.h"
#include "ngx_stream_kmip_module.h"
#include "ngx_kmip_store_kp.h"
#include "ngx_stream_kmip_keyprotect_module.h"


static ngx_int_t ngx_stream_kmip_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_stream_kmip_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_stream_kmip_check_listen(ngx_conf_t *cf);
static ngx_int_t ngx_stream_kmip_kp_servers(ngx_conf_t *cf);
static ngx_int_t ngx_stream_kmip_plain_listen(ngx_conf_t *cf,
    ngx_stream_core_srv_conf_t *cscf, ngx_str_t *addr);
static void *ngx_stream_kmip_create_srv_conf(ngx_conf_t *cf);
static char *ngx_stream_kmip_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_stream_kmip_check_access_conf(ngx_conf_t *cf,
    ngx_stream_kmip_srv_conf_t *kscf);
static char *ngx_stream_kmip(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

static ngx_int_t ngx_stream_kmip_variable(ngx_stream_session_t *s,
    ngx_stream_variable_value_t *v, uintptr_t data);


static ngx_command_t  ngx_stream_kmip_commands[] = {

    { ngx_string("kmip"),
      NGX_STREAM_SRV_CONF|NGX_CONF_NOARGS,
      ngx_stream_kmip,
      NGX_STREAM_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kmip_max_message_size"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, max_message_size),
      &ngx_kmip_conf_message_size_post },

    { ngx_string("kmip_idle_timeout"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, idle_timeout),
      NULL },

    { ngx_string("kmip_first_request_timeout"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, first_request_timeout),
      NULL },

    { ngx_string("kmip_read_timeout"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, read_timeout),
      NULL },

    { ngx_string("kmip_send_timeout"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, send_timeout),
      NULL },

    { ngx_string("kmip_allowed_client_certificate"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_conf_allowed_certs,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, access.allowed_certs),
      NULL },

    { ngx_string("kmip_credentials_file"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_conf_credentials_file,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, access.credentials),
      NULL },

    { ngx_string("kmip_push"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_1MORE,
      ngx_kmip_outbox_conf,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, push),
      NULL },

    { ngx_string("kmip_ca_certificate"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_conf_ca_certificate,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, server.ca),
      NULL },

    { ngx_string("kmip_ca_certificate_key"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_kmip_conf_ca_certificate_key,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, server.ca_key),
      NULL },

    { ngx_string("kmip_ca_validity"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, server.ca_validity),
      NULL },

    { ngx_string("kmip_interop"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, server.interop),
      NULL },

    { ngx_string("kmip_scope"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_BLOCK|NGX_CONF_TAKE1,
      ngx_kmip_scope_block,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, access.scopes),
      NULL },

    { ngx_string("kmip_operations"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_1MORE,
      ngx_kmip_conf_set_operations,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, server.operations),
      NULL },

    { ngx_string("kmip_protocol_versions"),
      NGX_STREAM_MAIN_CONF|NGX_STREAM_SRV_CONF|NGX_CONF_1MORE,
      ngx_kmip_conf_set_versions,
      NGX_STREAM_SRV_CONF_OFFSET,
      offsetof(ngx_stream_kmip_srv_conf_t, server.versions),
      NULL },

      ngx_null_command
};


static ngx_stream_module_t  ngx_stream_kmip_module_ctx = {
    ngx_stream_kmip_add_variables,         /* preconfiguration */
    ngx_stream_kmip_postconfiguration,     /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    ngx_stream_kmip_create_srv_conf,       /* create server configuration */
    ngx_stream_kmip_merge_srv_conf         /* merge server configuration */
};


ngx_module_t  ngx_stream_kmip_module = {
    NGX_MODULE_V1,
    &ngx_stream_kmip_module_ctx,           /* module context */
    ngx_stream_kmip_commands,              /* module directives */
    NGX_STREAM_MODULE,                     /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/*
 * The variables describe the connection: a KMIP connection carries any
 * number of requests, and the stream access log is written once, when it
 * closes.
 */

/* the data of each variable: what ngx_stream_kmip_variable() gives */
#define NGX_STREAM_KMIP_VAR_REQUESTS            0
#define NGX_STREAM_KMIP_VAR_LAST_OPERATION      1
#define NGX_STREAM_KMIP_VAR_LAST_RESULT         2
#define NGX_STREAM_KMIP_VAR_CLIENT_FINGERPRINT  3
#define NGX_STREAM_KMIP_VAR_CLIENT_SCOPE        4

static ngx_stream_variable_t  ngx_stream_kmip_vars[] = {

    { ngx_string("kmip_requests"), NULL, ngx_stream_kmip_variable,
      NGX_STREAM_KMIP_VAR_REQUESTS, NGX_STREAM_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_last_operation"), NULL, ngx_stream_kmip_variable,
      NGX_STREAM_KMIP_VAR_LAST_OPERATION, NGX_STREAM_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_last_result"), NULL, ngx_stream_kmip_variable,
      NGX_STREAM_KMIP_VAR_LAST_RESULT, NGX_STREAM_VAR_NOCACHEABLE, 0 },

    { ngx_string("kmip_client_fingerprint"), NULL, ngx_stream_kmip_variable,
      NGX_STREAM_KMIP_VAR_CLIENT_FINGERPRINT, 0, 0 },

    { ngx_string("kmip_client_scope"), NULL, ngx_stream_kmip_variable,
      NGX_STREAM_KMIP_VAR_CLIENT_SCOPE, 0, 0 },

      ngx_stream_null_variable
};


static ngx_int_t
ngx_stream_kmip_add_variables(ngx_conf_t *cf)
{
    ngx_stream_variable_t  *var, *v;

    for (v = ngx_stream_kmip_vars; v->name.len; v++) {
        var = ngx_stream_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_stream_kmip_postconfiguration(ngx_conf_t *cf)
{
    if (ngx_stream_kmip_check_listen(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_stream_kmip_kp_servers(cf);
}


/*
 * What a kmip server with Key Protect needs once the stream block is read:
 * the node's map from Unique Identifier to Key Protect key
 * (ngx_kmip_store_kp.h), one zone, which the http module's locations add
 * too; and, for a scope with its own key_ring or root_key, its own Key
 * Protect client configuration: the server's, with those. Made once, in
 * the cycle's pool, since work that outlives a request (a deferred
 * clean-up) holds on to the configuration it ran with.
 */

static ngx_int_t
ngx_stream_kmip_kp_servers(ngx_conf_t *cf)
{
    ngx_uint_t                    i, n;
    ngx_kmip_kp_t                *kp;
    ngx_kmip_scope_t             *scope;
    ngx_stream_kmip_srv_conf_t   *kscf;
    ngx_stream_core_srv_conf_t  **cscfp;
    ngx_stream_core_main_conf_t  *cmcf;

    cmcf = ngx_stream_conf_get_module_main_conf(cf, ngx_stream_core_module);
    cscfp = cmcf->servers.elts;

    for (i = 0; i < cmcf->servers.nelts; i++) {
        kscf = cscfp[i]->ctx->srv_conf[ngx_stream_kmip_module.ctx_index];
        kp = ngx_stream_kmip_keyprotect_srv_kp(cscfp[i]);

        if (!kscf->enable || kp == NULL) {
            continue;
        }

        if (ngx_kmip_store_kp_map_add(cf) != NGX_OK) {
            return NGX_ERROR;
        }

        if (kscf->access.scopes == NULL) {
            continue;
        }

        kscf->scope_kp = ngx_pcalloc(cf->pool, kscf->access.scopes->nelts
                                               * sizeof(ngx_kmip_kp_t *));
        if (kscf->scope_kp == NULL) {
            return NGX_ERROR;
        }

        scope = kscf->access.scopes->elts;

        for (n = 0; n < kscf->access.scopes->nelts; n++) {
            if (scope[n].key_ring.len == 0 && scope[n].root_key.len == 0) {
                continue;
            }

            kscf->scope_kp[n] = ngx_stream_kmip_keyprotect_ring(cf->pool, kp,
                                                          &scope[n].key_ring,
                                                          &scope[n].root_key);
            if (kscf->scope_kp[n] == NULL) {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/*
 * A kmip server answers only over TLS: one listen socket without "ssl"
 * would serve keys to anyone who can reach it, whatever the
 * ssl_verify_client setting. Every listen socket that reaches a kmip
 * server is checked once the whole stream block is read (a proxy_protocol
 * listen included: the PROXY header says who the client is, not that the
 * connection is encrypted).
 */

static ngx_int_t
ngx_stream_kmip_check_listen(ngx_conf_t *cf)
{
    ngx_uint_t                    i;
    ngx_stream_core_main_conf_t  *cmcf;
#if (NGX_KMIP_STREAM_SSL_SRV_CONF)
    ngx_uint_t                    a, k;
    ngx_stream_conf_port_t       *port;
    ngx_stream_conf_addr_t       *addr;
    ngx_stream_core_srv_conf_t  **cscfp;
#else
    ngx_stream_listen_t          *ls;
#endif

    cmcf = ngx_stream_conf_get_module_main_conf(cf, ngx_stream_core_module);

#if (NGX_KMIP_STREAM_SSL_SRV_CONF)

    /*
     * nginx 1.25.5 (virtual servers, and with them the renamed SSL server
     * configuration; freenginx has neither): listen sockets are grouped
     * by port and address, each address with the servers it reaches; an
     * address is TLS if any of its listen directives says "ssl"
     */

    if (cmcf->ports == NULL) {
        return NGX_OK;
    }

    port = cmcf->ports->elts;

    for (i = 0; i < cmcf->ports->nelts; i++) {
        addr = port[i].addrs.elts;

        for (a = 0; a < port[i].addrs.nelts; a++) {
            if (addr[a].opt.ssl) {
                continue;
            }

            cscfp = addr[a].servers.elts;

            for (k = 0; k < addr[a].servers.nelts; k++) {
                if (ngx_stream_kmip_plain_listen(cf, cscfp[k],
                                                 &addr[a].opt.addr_text)
                    != NGX_OK)
                {
                    return NGX_ERROR;
                }
            }
        }
    }

#else

    /* nginx before 1.25.5: each listen directive belongs to one server */

    ls = cmcf->listen.elts;

    for (i = 0; i < cmcf->listen.nelts; i++) {
        if (ls[i].ssl) {
            continue;
        }

        if (ngx_stream_kmip_plain_listen(cf,
                      ls[i].ctx->srv_conf[ngx_stream_core_module.ctx_index],
                      &ls[i].addr_text)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

#endif

    return NGX_OK;
}


static ngx_int_t
ngx_stream_kmip_plain_listen(ngx_conf_t *cf, ngx_stream_core_srv_conf_t *cscf,
    ngx_str_t *addr)
{
    ngx_stream_kmip_srv_conf_t  *kscf;

    kscf = cscf->ctx->srv_conf[ngx_stream_kmip_module.ctx_index];

    if (!kscf->enable) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"kmip\" in the server at %s:%ui needs TLS on every "
                  "listen socket, but \"listen %V\" has no \"ssl\"",
                  cscf->file_name, cscf->line, addr);

    return NGX_ERROR;
}


static void *
ngx_stream_kmip_create_srv_conf(ngx_conf_t *cf)
{
    ngx_stream_kmip_srv_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_stream_kmip_srv_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->server.vendor = { 0, NULL };
     *     conf->server.operations = NGX_KMIP_OPSET_UNSET;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->max_message_size = NGX_CONF_UNSET_SIZE;
    conf->idle_timeout = NGX_CONF_UNSET_MSEC;
    conf->first_request_timeout = NGX_CONF_UNSET_MSEC;
    conf->read_timeout = NGX_CONF_UNSET_MSEC;
    conf->send_timeout = NGX_CONF_UNSET_MSEC;
    conf->push = NGX_CONF_UNSET_PTR;
    ngx_kmip_server_conf_init(&conf->server);
    ngx_kmip_access_conf_init(&conf->access);

    return conf;
}


static char *
ngx_stream_kmip_merge_srv_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_stream_kmip_srv_conf_t *prev = parent;
    ngx_stream_kmip_srv_conf_t *conf = child;

    ngx_stream_kmip_ssl_conf_t  *sslcf;
    ngx_stream_core_srv_conf_t  *cscf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_size_value(conf->max_message_size, prev->max_message_size,
                              64 * 1024);
    ngx_conf_merge_msec_value(conf->idle_timeout, prev->idle_timeout, 60000);
    ngx_conf_merge_msec_value(conf->first_request_timeout,
                              prev->first_request_timeout, 5000);
    ngx_conf_merge_msec_value(conf->read_timeout, prev->read_timeout, 10000);
    ngx_conf_merge_msec_value(conf->send_timeout, prev->send_timeout, 10000);
    ngx_kmip_access_conf_merge(&prev->access, &conf->access);

    if (ngx_kmip_server_conf_merge(cf, &prev->server, &conf->server)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_ptr_value(conf->push, prev->push, NULL);

    if (conf->push) {
        cscf = ngx_stream_conf_get_module_srv_conf(cf,
                                                   ngx_stream_core_module);

        if (ngx_kmip_outbox_init(cf, conf->push, cscf->resolver,
                                 cscf->resolver_timeout)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        conf->server.push = ngx_kmip_outbox_send;
        conf->server.push_data = conf->push;
    }

    if (conf->enable) {
        /* the stream SSL module, which merges before this one, has made
           the server's SSL_CTX */
        sslcf = ngx_stream_conf_get_module_srv_conf(cf,
                                                    ngx_stream_ssl_module);

        if (ngx_kmip_server_conf_enable(cf, &conf->server, sslcf->ssl.ctx)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return ngx_stream_kmip_check_access_conf(cf, conf);
}


/* who may use the server (ngx_kmip_transport_peer.c) */

static char *
ngx_stream_kmip_check_access_conf(ngx_conf_t *cf,
    ngx_stream_kmip_srv_conf_t *kscf)
{
    ngx_stream_kmip_ssl_conf_t  *sslcf;

    if (!kscf->enable) {
        return NGX_CONF_OK;
    }

    sslcf = ngx_stream_conf_get_module_srv_conf(cf, ngx_stream_ssl_module);

    return ngx_kmip_access_conf_check(cf, &kscf->access,
                                      kscf->server.operations, sslcf->verify,
                                      sslcf->client_certificate.len
                                      || sslcf->trusted_certificate.len);
}


static char *
ngx_stream_kmip(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_kmip_srv_conf_t *kscf = conf;

    ngx_stream_core_srv_conf_t  *cscf;

    if (kscf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    cscf = ngx_stream_conf_get_module_srv_conf(cf, ngx_stream_core_module);

    if (cscf->handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip\" cannot be combined with another "
                           "content handler (proxy_pass, return, ...) in "
                           "the same server");
        return NGX_CONF_ERROR;
    }

    kscf->enable = 1;
    cscf->handler = ngx_stream_kmip_handler;

    return NGX_CONF_OK;
}


/*
 * One getter for all the variables: the connection's context, then the
 * value its ngx_stream_kmip_vars entry's data names.  The counters and the
 * last request change with every request, so those are not cached; the
 * client is known once its certificate is.
 */

static ngx_int_t
ngx_stream_kmip_variable(ngx_stream_session_t *s,
    ngx_stream_variable_value_t *v, uintptr_t data)
{
    u_char                 *p;
    ngx_str_t               value, *scope;
    const char             *name;
    ngx_stream_kmip_ctx_t  *ctx;

    ctx = ngx_stream_get_module_ctx(s, ngx_stream_kmip_module);

    if (ctx == NULL) {
        goto not_found;
    }

    switch (data) {

    case NGX_STREAM_KMIP_VAR_REQUESTS:
        p = ngx_pnalloc(s->connection->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        value.len = ngx_sprintf(p, "%ui", ctx->requests) - p;
        value.data = p;
        break;

    case NGX_STREAM_KMIP_VAR_LAST_OPERATION:
    case NGX_STREAM_KMIP_VAR_LAST_RESULT:
        if (ctx->requests == 0) {
            goto not_found;
        }

        if (data == NGX_STREAM_KMIP_VAR_LAST_OPERATION) {
            name = ctx->last_operation
                   ? ngx_kmip_operation_name(ctx->last_operation) : "-";

        } else {
            name = ctx->last_result ? ctx->last_result : "-";
        }

        value.len = ngx_strlen(name);
        value.data = (u_char *) name;
        break;

    case NGX_STREAM_KMIP_VAR_CLIENT_FINGERPRINT:
        value = ctx->peer.fingerprint;
        break;

    default: /* NGX_STREAM_KMIP_VAR_CLIENT_SCOPE */
        scope = ngx_kmip_peer_scope_name(&ctx->peer);
        if (scope == NULL) {
            goto not_found;
        }

        value = *scope;
    }

    if (value.len == 0 && data >= NGX_STREAM_KMIP_VAR_CLIENT_FINGERPRINT) {
        goto not_found;
    }

    v->len = value.len;
    v->valid = 1;
    v->no_cacheable = (data < NGX_STREAM_KMIP_VAR_CLIENT_FINGERPRINT);
    v->not_found = 0;
    v->data = value.data;

    return NGX_OK;

not_found:

    v->not_found = 1;

    return NGX_OK;
}
