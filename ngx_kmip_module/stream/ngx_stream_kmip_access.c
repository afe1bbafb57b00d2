
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_stream_kmip_module.h"


/*
 * Who may use the server. nginx verifies client certificates
 * (ssl_verify_client); on top of that a server can pin the exact
 * certificates it accepts (kmip_allowed_client_certificate: vCenter's
 * self-signed certificate cannot be chain-verified, only pinned), and can
 * require a KMIP Username/Password credential (kmip_credentials_file,
 * ngx_stream_kmip_credentials.c). A client refused here never reaches the
 * key store.
 */


#define NGX_STREAM_KMIP_SHA256_LEN  32


char *
ngx_stream_kmip_allowed_client_certificate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_stream_kmip_srv_conf_t *kscf = conf;

    u_char      *fp;
    BIO         *bio;
    X509        *x509;
    ngx_str_t   *value, file;
    ngx_uint_t   n;
    unsigned int len;

    value = cf->args->elts;
    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (kscf->allowed_certs == NGX_CONF_UNSET_PTR) {
        kscf->allowed_certs = ngx_array_create(cf->pool, 4,
                                               NGX_STREAM_KMIP_SHA256_LEN);
        if (kscf->allowed_certs == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    bio = BIO_new_file((char *) file.data, "r");
    if (bio == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\" cannot open \"%V\"", &cmd->name, &file);
        ERR_clear_error();
        return NGX_CONF_ERROR;
    }

    n = 0;

    for ( ;; ) {
        x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x509 == NULL) {
            break;
        }

        fp = ngx_array_push(kscf->allowed_certs);
        if (fp == NULL) {
            X509_free(x509);
            BIO_free(bio);
            return NGX_CONF_ERROR;
        }

        len = NGX_STREAM_KMIP_SHA256_LEN;

        if (X509_digest(x509, EVP_sha256(), fp, &len) == 0) {
            X509_free(x509);
            BIO_free(bio);
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": X509_digest() failed for a "
                               "certificate in \"%V\"", &cmd->name, &file);
            return NGX_CONF_ERROR;
        }

        X509_free(x509);
        n++;
    }

    BIO_free(bio);
    ERR_clear_error();

    if (n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": no PEM certificate in \"%V\"",
                           &cmd->name, &file);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * Without ssl_verify_client on, anyone who can reach the port would be a
 * KMIP client: the server refuses to start unless certificates are
 * verified or pinned.
 */

char *
ngx_stream_kmip_check_access_conf(ngx_conf_t *cf,
    ngx_stream_kmip_srv_conf_t *kscf)
{
    ngx_stream_kmip_ssl_conf_t  *sslcf;

    if (!kscf->enable) {
        return NGX_CONF_OK;
    }

    sslcf = ngx_stream_conf_get_module_srv_conf(cf, ngx_stream_ssl_module);

    if (sslcf->verify == 1 || kscf->allowed_certs != NULL) {
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"kmip\" needs client certificates: set "
                       "\"ssl_verify_client on\", or pin certificates with "
                       "\"kmip_allowed_client_certificate\"");

    return NGX_CONF_ERROR;
}


/*
 * The peer certificate's SHA-256 fingerprint and subject, taken once per
 * connection, for pinning, logs and $kmip_client_fingerprint.
 */

void
ngx_stream_kmip_peer_init(ngx_stream_kmip_ctx_t *ctx)
{
    u_char            *fp, *d;
    BIO               *bio;
    X509              *x509;
    size_t             len;
    ngx_uint_t         i;
    unsigned int       n;
    ngx_connection_t  *c;
    u_char             digest[NGX_STREAM_KMIP_SHA256_LEN];

    c = ctx->session->connection;

    if (c->ssl == NULL) {
        /* no TLS, no client: refused, whatever the configuration */
        ctx->peer_allowed = 0;
        return;
    }

    ctx->peer_allowed = (ctx->conf->allowed_certs == NULL);

    x509 = SSL_get_peer_certificate(c->ssl->connection);
    if (x509 == NULL) {
        return;
    }

    n = sizeof(digest);

    if (X509_digest(x509, EVP_sha256(), digest, &n) == 0) {
        X509_free(x509);
        ERR_clear_error();
        return;
    }

    fp = ngx_pnalloc(c->pool, 2 * NGX_STREAM_KMIP_SHA256_LEN);
    if (fp != NULL) {
        ngx_hex_dump(fp, digest, NGX_STREAM_KMIP_SHA256_LEN);
        ctx->fingerprint.data = fp;
        ctx->fingerprint.len = 2 * NGX_STREAM_KMIP_SHA256_LEN;
    }

    bio = BIO_new(BIO_s_mem());
    if (bio != NULL) {
        if (X509_NAME_print_ex(bio, X509_get_subject_name(x509), 0,
                               XN_FLAG_RFC2253) >= 0)
        {
            len = BIO_pending(bio);
            ctx->subject.data = ngx_pnalloc(c->pool, len);

            if (ctx->subject.data != NULL) {
                ctx->subject.len = BIO_read(bio, ctx->subject.data, len);
            }
        }

        BIO_free(bio);
    }

    X509_free(x509);
    ERR_clear_error();

    if (ctx->conf->allowed_certs == NULL) {
        return;
    }

    d = ctx->conf->allowed_certs->elts;

    for (i = 0; i < ctx->conf->allowed_certs->nelts; i++) {
        if (ngx_memcmp(d + i * NGX_STREAM_KMIP_SHA256_LEN, digest,
                       NGX_STREAM_KMIP_SHA256_LEN)
            == 0)
        {
            ctx->peer_allowed = 1;
            return;
        }
    }
}


/*
 * Checks a request before its batch runs. Returns NGX_OK to run it,
 * NGX_DECLINED when the whole request is refused (*what says why).
 * A request without a credential, on a server that requires one, runs with
 * r->anonymous set: operations that create, reveal or change keys then
 * fail with Permission Denied, and so does every change to a standard
 * attribute; Discover Versions, Query, attribute reads and changes to
 * custom "x-" attributes go on, because vCenter 8 sends its credential on
 * Create, Get, Get Attributes "State" and Activate only.
 */

ngx_int_t
ngx_stream_kmip_check_access(ngx_stream_kmip_ctx_t *ctx, ngx_kmip_req_t *r,
    const char **what)
{
    ngx_connection_t  *c;

    static ngx_str_t  none = ngx_string("none (no certificate)");

    c = ctx->session->connection;

    if (!ctx->peer_allowed) {
        if (!ctx->refusal_logged) {
            ctx->refusal_logged = 1;

            ngx_log_error(NGX_LOG_WARN, c->log, 0,
                          "kmip: client certificate not allowed: "
                          "sha256 %V, subject \"%V\"",
                          ctx->fingerprint.len ? &ctx->fingerprint : &none,
                          &ctx->subject);
        }

        /*
         * the client learns why (vCenter shows the Permission Denied),
         * then the connection closes: a refused client holds no slot
         */
        ctx->close_after_send = 1;

        *what = "client certificate not allowed";
        return NGX_DECLINED;
    }

    if (ctx->conf->credentials == NULL) {
        /* a credential sent to a server that has none is ignored */
        return NGX_OK;
    }

    return ngx_stream_kmip_check_credential(ctx, r, what);
}
