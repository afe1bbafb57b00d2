
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


static void ngx_stream_kmip_peer_names(ngx_stream_kmip_ctx_t *ctx,
    X509 *x509, u_char *digest);


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

    if (kscf->scopes) {
        if (!sslcf->verify) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"kmip_scope\" needs client certificates: "
                               "set \"ssl_verify_client\" (\"on\", or "
                               "\"optional_no_ca\" for pinned ones)");
            return NGX_CONF_ERROR;
        }

        return ngx_kmip_scopes_check(cf, kscf->scopes,
                                     kscf->server.operations,
                                     kscf->credentials != NULL,
                                     sslcf->client_certificate.len
                                     || sslcf->trusted_certificate.len);
    }

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
 * connection, for pinning, logs and $kmip_client_fingerprint; then
 * whether it may use the server at all (kmip_allowed_client_certificate)
 * and in which scope (kmip_scope). The connection keeps what it found
 * here for its life, across a reload too.
 */

void
ngx_stream_kmip_peer_init(ngx_stream_kmip_ctx_t *ctx)
{
    X509                        *x509;
    ngx_uint_t                   verified;
    unsigned int                 n;
    ngx_connection_t            *c;
    ngx_stream_kmip_srv_conf_t  *kscf;
    u_char                       digest[NGX_STREAM_KMIP_SHA256_LEN];

    c = ctx->session->connection;
    kscf = ctx->conf;

    ctx->peer_allowed = 0;
    ctx->refusal = (kscf->allowed_certs == NULL && kscf->scopes)
                   ? "client certificate in no kmip_scope"
                   : "client certificate not allowed";

    if (c->ssl == NULL) {
        /* no TLS, no client: refused, whatever the configuration */
        return;
    }

    x509 = SSL_get_peer_certificate(c->ssl->connection);
    if (x509 == NULL) {
        ctx->peer_allowed = (kscf->allowed_certs == NULL
                             && kscf->scopes == NULL);
        return;
    }

    n = sizeof(digest);

    if (X509_digest(x509, EVP_sha256(), digest, &n) == 0) {
        X509_free(x509);
        ERR_clear_error();
        return;
    }

    ngx_stream_kmip_peer_names(ctx, x509, digest);

    verified = (SSL_get_verify_result(c->ssl->connection) == X509_V_OK);

    if (!ngx_kmip_digest_listed(kscf->allowed_certs, digest)
        && kscf->allowed_certs != NULL)
    {
        ctx->refusal = "client certificate not allowed";

    } else if (kscf->scopes == NULL) {
        ctx->peer_allowed = 1;

    } else {
        ctx->scope = ngx_kmip_scope_find(kscf->scopes, x509, digest,
                                         verified, c->log);

        ctx->peer_allowed = (ctx->scope != NULL);
        ctx->refusal = "client certificate in no kmip_scope";
    }

    X509_free(x509);
    ERR_clear_error();
}


static void
ngx_stream_kmip_peer_names(ngx_stream_kmip_ctx_t *ctx, X509 *x509,
    u_char *digest)
{
    u_char            *fp;
    BIO               *bio;
    size_t             len;
    ngx_connection_t  *c;

    c = ctx->session->connection;

    fp = ngx_pnalloc(c->pool, 2 * NGX_STREAM_KMIP_SHA256_LEN);
    if (fp != NULL) {
        ngx_hex_dump(fp, digest, NGX_STREAM_KMIP_SHA256_LEN);
        ctx->fingerprint.data = fp;
        ctx->fingerprint.len = 2 * NGX_STREAM_KMIP_SHA256_LEN;
    }

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return;
    }

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
    ngx_str_t          user;
    ngx_connection_t  *c;

    static ngx_str_t  none = ngx_string("none (no certificate)");

    c = ctx->session->connection;

    if (!ctx->peer_allowed) {
        if (!ctx->refusal_logged) {
            ctx->refusal_logged = 1;

            ngx_log_error(NGX_LOG_WARN, c->log, 0,
                          "kmip: %s: sha256 %V, subject \"%V\"",
                          ctx->refusal,
                          ctx->fingerprint.len ? &ctx->fingerprint : &none,
                          &ctx->subject);
        }

        /*
         * the client learns why (vCenter shows the Permission Denied),
         * then the connection closes: a refused client holds no slot
         */
        ctx->close_after_send = 1;

        *what = ctx->refusal;
        return NGX_DECLINED;
    }

    r->scope = ctx->scope;

    if (ctx->scope && r->msg.username) {
        user.data = (u_char *) r->msg.username;
        user.len = r->msg.username_len;

        if (!ngx_kmip_scope_user_allowed(ctx->scope, &user)) {
            /* refused before any hashing: the user is not the scope's */
            ngx_log_error(NGX_LOG_WARN, c->log, 0,
                          "kmip: a credential of a user outside scope "
                          "\"%V\": sha256 %V", &ctx->scope->name,
                          &ctx->fingerprint);

            *what = "the credential's user is not in the client's scope";
            return NGX_DECLINED;
        }
    }

    if (ctx->conf->credentials == NULL) {
        /* a credential sent to a server that has none is ignored */
        return NGX_OK;
    }

    return ngx_stream_kmip_check_credential(ctx, r, what);
}
