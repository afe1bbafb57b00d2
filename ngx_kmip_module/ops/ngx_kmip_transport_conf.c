
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#include "ngx_kmip_transport.h"


/*
 * The server's configuration, the same for a stream server and an http
 * location (ngx_kmip_transport.h). Apart from ngx_kmip_transport.c, whose
 * request steps the unit tests link without nginx's configuration parser.
 */


#define NGX_KMIP_MIN_MESSAGE_SIZE  128
#define NGX_KMIP_MAX_MESSAGE_SIZE  (16 * 1024 * 1024)


static char *ngx_kmip_conf_check_message_size(ngx_conf_t *cf, void *post,
    void *data);


ngx_conf_post_handler_pt  ngx_kmip_conf_message_size_post =
    ngx_kmip_conf_check_message_size;


/* the versions Discover Versions offers when none are configured */

static ngx_kmip_version_t  ngx_kmip_default_versions[] = {
    { 2, 1 }, { 2, 0 }, { 1, 4 }, { 1, 3 }, { 1, 2 }, { 1, 1 }, { 1, 0 }
};


void
ngx_kmip_server_conf_init(ngx_kmip_server_conf_t *conf)
{
    /*
     * set by ngx_pcalloc():
     *
     *     conf->vendor = { 0, NULL };
     *     conf->operations = NGX_KMIP_OPSET_UNSET;
     *     conf->thread_pool = NULL;
     */

    conf->versions = NGX_CONF_UNSET_PTR;
    conf->interop = NGX_CONF_UNSET;
    conf->ca = NGX_CONF_UNSET_PTR;
    conf->ca_key = NGX_CONF_UNSET_PTR;
    conf->ca_validity = NGX_CONF_UNSET;
}


char *
ngx_kmip_server_conf_merge(ngx_conf_t *cf, ngx_kmip_server_conf_t *prev,
    ngx_kmip_server_conf_t *conf)
{
    ngx_uint_t           i, n;
    ngx_array_t         *versions;
    ngx_kmip_version_t  *v;

    ngx_conf_merge_ptr_value(conf->versions, prev->versions, NULL);

    /* KMIP 2.1 6.1.26: Interop "SHALL NOT be available in a production
       server" */
    ngx_conf_merge_value(conf->interop, prev->interop, 0);

    if (conf->operations == NGX_KMIP_OPSET_UNSET) {
        conf->operations = prev->operations;
    }

    if (conf->operations == NGX_KMIP_OPSET_UNSET) {
        conf->operations = NGX_KMIP_OPSET_ALL;
    }

    if (conf->versions == NULL) {
        n = sizeof(ngx_kmip_default_versions) / sizeof(ngx_kmip_version_t);

        versions = ngx_array_create(cf->pool, n, sizeof(ngx_kmip_version_t));
        if (versions == NULL) {
            return NGX_CONF_ERROR;
        }

        for (i = 0; i < n; i++) {
            v = ngx_array_push(versions);
            if (v == NULL) {
                return NGX_CONF_ERROR;
            }

            *v = ngx_kmip_default_versions[i];
        }

        conf->versions = versions;
    }

    ngx_str_set(&conf->vendor, NGX_KMIP_VENDOR);

    return ngx_kmip_ca_conf_merge(cf, prev, conf);
}


char *
ngx_kmip_conf_set_versions(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char              *dot;
    ngx_int_t            major, minor;
    ngx_str_t           *value;
    ngx_uint_t           i, j;
    ngx_array_t        **versions;
    ngx_kmip_version_t  *v, *seen;

    versions = (ngx_array_t **) ((char *) conf + cmd->offset);

    if (*versions != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *versions = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                 sizeof(ngx_kmip_version_t));
    if (*versions == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        dot = ngx_strlchr(value[i].data, value[i].data + value[i].len, '.');

        if (dot == NULL) {
            goto invalid;
        }

        major = ngx_atoi(value[i].data, dot - value[i].data);
        minor = ngx_atoi(dot + 1, value[i].data + value[i].len - dot - 1);

        if (major == NGX_ERROR || minor == NGX_ERROR
            || !ngx_kmip_version_supported(major, minor))
        {
            goto invalid;
        }

        seen = (*versions)->elts;

        for (j = 0; j < (*versions)->nelts; j++) {
            if (seen[j].major == (ngx_uint_t) major
                && seen[j].minor == (ngx_uint_t) minor)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate KMIP protocol version \"%V\" "
                                   "in \"%V\" directive",
                                   &value[i], &cmd->name);
                return NGX_CONF_ERROR;
            }
        }

        v = ngx_array_push((*versions));
        if (v == NULL) {
            return NGX_CONF_ERROR;
        }

        v->major = major;
        v->minor = minor;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid KMIP protocol version \"%V\" in \"%V\" "
                       "directive, it must be one of 1.0, 1.1, 1.2, 1.3, "
                       "1.4, 2.0, 2.1", &value[i], &cmd->name);

    return NGX_CONF_ERROR;
}


char *
ngx_kmip_conf_allowed_certs(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t     *value;
    ngx_array_t  **digests;

    value = cf->args->elts;
    digests = (ngx_array_t **) ((char *) conf + cmd->offset);

    if (ngx_kmip_conf_load_digests(cf, &cmd->name, &value[1], digests)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_kmip_conf_check_message_size(ngx_conf_t *cf, void *post, void *data)
{
    size_t  *sp = data;

    if (*sp < NGX_KMIP_MIN_MESSAGE_SIZE
        || *sp > NGX_KMIP_MAX_MESSAGE_SIZE)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_max_message_size\" must be between "
                           "%uz and %uz bytes",
                           (size_t) NGX_KMIP_MIN_MESSAGE_SIZE,
                           (size_t) NGX_KMIP_MAX_MESSAGE_SIZE);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * A server (or location) that serves KMIP. OpenSSL decrypts records in
 * place: requests (a Register's key) stay in the clear in its read buffer
 * until it is reused or freed; the buffers are released while a
 * connection is idle, and (OpenSSL 3) the plaintext is cleansed as soon as
 * it is read. Key pairs are made in nginx's "default" thread pool.
 */

ngx_int_t
ngx_kmip_server_conf_enable(ngx_conf_t *cf, ngx_kmip_server_conf_t *conf,
    SSL_CTX *ssl_ctx)
{
    if (ssl_ctx) {
        SSL_CTX_set_mode(ssl_ctx, SSL_MODE_RELEASE_BUFFERS);

#ifdef SSL_OP_CLEANSE_PLAINTEXT
        SSL_CTX_set_options(ssl_ctx, SSL_OP_CLEANSE_PLAINTEXT);
#endif
    }

#if (NGX_THREADS)
    conf->thread_pool = ngx_thread_pool_add(cf, NULL);
    if (conf->thread_pool == NULL) {
        return NGX_ERROR;
    }
#endif

    return NGX_OK;
}
