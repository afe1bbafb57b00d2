
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_kp_conf.h"


/*
 * The Key Protect client's directives, shared by the stream module
 * (ngx_stream_kmip_keyprotect_module.c) and the http module
 * (ngx_http_kmip_module.c): each declares them for its own contexts and
 * keeps an ngx_kmip_kp_conf_t per level; parsing, checks and the client
 * built from them are here. The IAM token of each (kmip_iam_url,
 * kmip_iam_api_key_file) pair lives in an implicit shared zone
 * "kmip_iam_<crc32>" of 64k, one for both modules, shared by all workers
 * and kept across reloads.
 */


static ngx_kmip_kp_t *ngx_kmip_kp_conf_build(ngx_conf_t *cf,
    ngx_kmip_kp_conf_t *conf, ngx_resolver_t *resolver,
    ngx_msec_t resolver_timeout);


/* what owns the IAM zones: one tag for the stream and http modules */
static ngx_uint_t  ngx_kmip_kp_conf_zone_tag;


/* the directives a client needs besides kmip_keyprotect_url, in order */

typedef struct {
    const char                   *name;
    size_t                        offset;
} ngx_kmip_kp_conf_required_t;


static ngx_kmip_kp_conf_required_t  ngx_kmip_kp_conf_required[] = {
    { "kmip_keyprotect_instance", offsetof(ngx_kmip_kp_conf_t, instance) },
    { "kmip_keyprotect_root_key", offsetof(ngx_kmip_kp_conf_t, root_key) },
    { "kmip_iam_api_key_file", offsetof(ngx_kmip_kp_conf_t, api_key_file) },
    { NULL, 0 }
};


void
ngx_kmip_kp_conf_init(ngx_kmip_kp_conf_t *conf)
{
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
     */

    conf->timeout = NGX_CONF_UNSET_MSEC;
}


char *
ngx_kmip_kp_conf_set_str(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must not be empty", &cmd->name);
        return NGX_CONF_ERROR;
    }

    return ngx_conf_set_str_slot(cf, cmd, conf);
}


char *
ngx_kmip_kp_conf_set_msec(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char        *rv;
    ngx_msec_t  *msp;

    rv = ngx_conf_set_msec_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    msp = (ngx_msec_t *) ((char *) conf + cmd->offset);

    if (*msp == 0) {
        return "must be greater than 0";
    }

    return NGX_CONF_OK;
}


char *
ngx_kmip_kp_conf_merge(ngx_conf_t *cf, ngx_kmip_kp_conf_t *prev,
    ngx_kmip_kp_conf_t *conf, ngx_resolver_t *resolver,
    ngx_msec_t resolver_timeout)
{
    ngx_uint_t  own;

    /* before the merge, a level holds only what it sets itself */

    own = (conf->url.len || conf->instance.len || conf->root_key.len
           || conf->key_ring.len || conf->timeout != NGX_CONF_UNSET_MSEC
           || conf->trusted_certificate.len || conf->iam_url.len
           || conf->api_key_file.len);

    if (!own && prev->kp) {
        /* everything inherited: share the client built for another level */
        *conf = *prev;
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

    conf->kp = ngx_kmip_kp_conf_build(cf, conf, resolver, resolver_timeout);
    if (conf->kp == NULL) {
        return NGX_CONF_ERROR;
    }

    if (!own) {
        /* built from the level above: shared by the next ones */
        prev->kp = conf->kp;
    }

    return NGX_CONF_OK;
}


static ngx_kmip_kp_t *
ngx_kmip_kp_conf_build(ngx_conf_t *cf, ngx_kmip_kp_conf_t *conf,
    ngx_resolver_t *resolver, ngx_msec_t resolver_timeout)
{
    char                         *err;
    ngx_str_t                    *value;
    ngx_kmip_kp_t                *kp;
    ngx_file_info_t               fi;
    ngx_kmip_kp_conf_required_t  *req;

    for (req = ngx_kmip_kp_conf_required; req->name; req++) {
        value = (ngx_str_t *) ((u_char *) conf + req->offset);

        if (value->len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%s\" is required with "
                               "\"kmip_keyprotect_url\"", req->name);
            return NULL;
        }
    }

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
    kp->peer.resolver = resolver;
    kp->peer.resolver_timeout = resolver_timeout;

    err = ngx_kmip_http_parse_peer(cf, &conf->url, &kp->peer);
    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_keyprotect_url\" \"%V\" %s",
                           &conf->url, err);
        return NULL;
    }

    kp->iam = ngx_kmip_iam_create(cf, &conf->iam_url, &conf->api_key_file,
                                  &conf->trusted_certificate, resolver,
                                  resolver_timeout, conf->timeout,
                                  &ngx_kmip_kp_conf_zone_tag);
    if (kp->iam == NULL) {
        return NULL;
    }

    return kp;
}


ngx_kmip_kp_t *
ngx_kmip_kp_conf_ring(ngx_pool_t *pool, ngx_kmip_kp_t *kp, ngx_str_t *ring,
    ngx_str_t *root_key)
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
