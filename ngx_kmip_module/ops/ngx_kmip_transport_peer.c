
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_transport.h"


/*
 * Who may use a server, whatever carries its requests: the stream module
 * decides once per connection, the http module once per request (a
 * keep-alive connection or an HTTP/2 one keeps its certificate, so every
 * request of it lands in the same scope). A client refused here never
 * reaches the key store.
 */


#define NGX_KMIP_SHA256_LEN  32


static void ngx_kmip_peer_names(ngx_kmip_peer_t *peer, ngx_pool_t *pool,
    X509 *x509, u_char *digest);


void
ngx_kmip_access_conf_init(ngx_kmip_access_conf_t *conf)
{
    conf->allowed_certs = NGX_CONF_UNSET_PTR;
    conf->credentials = NGX_CONF_UNSET_PTR;
    conf->scopes = NGX_CONF_UNSET_PTR;
}


void
ngx_kmip_access_conf_merge(ngx_kmip_access_conf_t *prev,
    ngx_kmip_access_conf_t *conf)
{
    ngx_conf_merge_ptr_value(conf->allowed_certs, prev->allowed_certs, NULL);
    ngx_conf_merge_ptr_value(conf->credentials, prev->credentials, NULL);
    ngx_conf_merge_ptr_value(conf->scopes, prev->scopes, NULL);
}


char *
ngx_kmip_access_conf_check(ngx_conf_t *cf, ngx_kmip_access_conf_t *conf,
    ngx_kmip_opset_t server_ops, ngx_uint_t verify, ngx_uint_t have_ca)
{
    if (conf->scopes) {
        if (!verify) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"kmip_scope\" needs client certificates: "
                               "set \"ssl_verify_client\" (\"on\", or "
                               "\"optional_no_ca\" for pinned ones)");
            return NGX_CONF_ERROR;
        }

        return ngx_kmip_scopes_check(cf, conf->scopes, server_ops,
                                     conf->credentials != NULL, have_ca);
    }

    if (verify == 1 || conf->allowed_certs != NULL) {
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"kmip\" needs client certificates: set "
                       "\"ssl_verify_client on\", or pin certificates with "
                       "\"kmip_allowed_client_certificate\"");

    return NGX_CONF_ERROR;
}


/*
 * The peer certificate's SHA-256 fingerprint and subject, for pinning,
 * logs and $kmip_client_fingerprint; then whether it may use the server
 * at all (kmip_allowed_client_certificate) and in which scope
 * (kmip_scope).
 */

void
ngx_kmip_peer_init(ngx_kmip_peer_t *peer, ngx_connection_t *c,
    ngx_pool_t *pool, ngx_kmip_access_conf_t *conf)
{
    X509          *x509;
    ngx_uint_t     verified;
    unsigned int   n;
    u_char         digest[NGX_KMIP_SHA256_LEN];

    peer->allowed = 0;
    peer->refusal = (conf->allowed_certs == NULL && conf->scopes)
                    ? "client certificate in no kmip_scope"
                    : "client certificate not allowed";

    if (c->ssl == NULL) {
        /* no TLS, no client: refused, whatever the configuration */
        return;
    }

    x509 = SSL_get_peer_certificate(c->ssl->connection);
    if (x509 == NULL) {
        peer->allowed = (conf->allowed_certs == NULL
                         && conf->scopes == NULL);
        return;
    }

    n = sizeof(digest);

    if (X509_digest(x509, EVP_sha256(), digest, &n) == 0) {
        X509_free(x509);
        ERR_clear_error();
        peer->refusal = "client certificate unreadable";
        return;
    }

    ngx_kmip_peer_names(peer, pool, x509, digest);

    verified = (SSL_get_verify_result(c->ssl->connection) == X509_V_OK);

    if (!ngx_kmip_digest_listed(conf->allowed_certs, digest)
        && conf->allowed_certs != NULL)
    {
        peer->refusal = "client certificate not allowed";

    } else if (conf->scopes == NULL) {
        peer->allowed = 1;

    } else {
        peer->scope = ngx_kmip_scope_find(conf->scopes, x509, digest,
                                          verified, c->log);

        peer->allowed = (peer->scope != NULL);
        peer->refusal = "client certificate in no kmip_scope";
    }

    X509_free(x509);
    ERR_clear_error();
}


static void
ngx_kmip_peer_names(ngx_kmip_peer_t *peer, ngx_pool_t *pool, X509 *x509,
    u_char *digest)
{
    u_char  *fp;
    BIO     *bio;
    size_t   len;

    fp = ngx_pnalloc(pool, 2 * NGX_KMIP_SHA256_LEN);
    if (fp != NULL) {
        ngx_hex_dump(fp, digest, NGX_KMIP_SHA256_LEN);
        peer->fingerprint.data = fp;
        peer->fingerprint.len = 2 * NGX_KMIP_SHA256_LEN;
    }

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return;
    }

    if (X509_NAME_print_ex(bio, X509_get_subject_name(x509), 0,
                           XN_FLAG_RFC2253) >= 0)
    {
        len = BIO_pending(bio);
        peer->subject.data = ngx_pnalloc(pool, len);

        if (peer->subject.data != NULL) {
            peer->subject.len = BIO_read(bio, peer->subject.data, len);
        }
    }

    BIO_free(bio);
}


/* $kmip_client_scope: a refused client has none */

ngx_str_t *
ngx_kmip_peer_scope_name(ngx_kmip_peer_t *peer)
{
    if (peer->scope) {
        return &peer->scope->name;
    }

    return peer->allowed ? &ngx_kmip_scope_default_name : NULL;
}


/*
 * A request without a credential, on a server that requires one, runs with
 * r->anonymous set: operations that create, reveal or change keys then
 * fail with Permission Denied, and so does every change to a standard
 * attribute; Discover Versions, Query, attribute reads and changes to
 * custom "x-" attributes go on, because vCenter 8 sends its credential on
 * Create, Get, Get Attributes "State" and Activate only.
 */

ngx_int_t
ngx_kmip_peer_check(ngx_kmip_peer_t *peer, ngx_kmip_access_conf_t *conf,
    ngx_kmip_req_t *r, ngx_kmip_access_done_pt done, const char **what)
{
    ngx_str_t  user;

    static ngx_str_t  none = ngx_string("none (no certificate)");

    if (!peer->allowed) {
        if (!peer->refusal_logged) {
            peer->refusal_logged = 1;

            ngx_log_error(NGX_LOG_WARN, r->log, 0,
                          "kmip: %s: sha256 %V, subject \"%V\"",
                          peer->refusal,
                          peer->fingerprint.len ? &peer->fingerprint : &none,
                          &peer->subject);
        }

        *what = peer->refusal;
        return NGX_DECLINED;
    }

    r->scope = peer->scope;

    if (peer->scope && r->msg.username) {
        user.data = (u_char *) r->msg.username;
        user.len = r->msg.username_len;

        if (!ngx_kmip_scope_user_allowed(peer->scope, &user)) {
            /* refused before any hashing: the user is not the scope's */
            ngx_log_error(NGX_LOG_WARN, r->log, 0,
                          "kmip: a credential of a user outside scope "
                          "\"%V\": sha256 %V", &peer->scope->name,
                          &peer->fingerprint);

            *what = "the credential's user is not in the client's scope";
            return NGX_DECLINED;
        }
    }

    if (conf->credentials == NULL) {
        /* a credential sent to a server that has none is ignored */
        return NGX_OK;
    }

    return ngx_kmip_cred_check(conf->credentials, r, done, what);
}
