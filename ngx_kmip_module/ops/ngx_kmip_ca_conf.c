
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ngx_kmip_transport.h"


/*
 * The certificate authority Certify and Re-certify issue with:
 *
 *     kmip_ca_certificate      file;   PEM, a CA certificate
 *     kmip_ca_certificate_key  file;   PEM, its private key, unencrypted
 *     kmip_ca_validity         time;   what a certificate is valid for
 *
 * Read once, when the configuration is; the key stays in the workers'
 * memory as nginx keeps ssl_certificate_key's. Without both, the server
 * neither runs nor lists Certify and Re-certify. A certificate that is not
 * a CA's, or a key that is not its key, fails the configuration.
 */


#define NGX_KMIP_CA_VALIDITY  (365 * 24 * 60 * 60)


typedef void *(*ngx_kmip_ca_read_pt)(BIO *bio);


static char *ngx_kmip_ca_load(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf, ngx_kmip_ca_read_pt read, ngx_pool_cleanup_pt release,
    const char *what);
static void *ngx_kmip_ca_read_cert(BIO *bio);
static void *ngx_kmip_ca_read_key(BIO *bio);
static void ngx_kmip_ca_cert_free(void *data);
static void ngx_kmip_ca_key_free(void *data);


char *
ngx_kmip_conf_ca_certificate(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char   *rv;
    X509  **ca;

    rv = ngx_kmip_ca_load(cf, cmd, conf, ngx_kmip_ca_read_cert,
                          ngx_kmip_ca_cert_free, "PEM certificate");
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    ca = (X509 **) ((char *) conf + cmd->offset);

    if (X509_check_ca(*ca) == 0) {
        return "names a certificate that is not a CA's";
    }

    return NGX_CONF_OK;
}


char *
ngx_kmip_conf_ca_certificate_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    return ngx_kmip_ca_load(cf, cmd, conf, ngx_kmip_ca_read_key,
                            ngx_kmip_ca_key_free,
                            "unencrypted PEM private key");
}


/* the file's object, freed with the configuration's pool */

static char *
ngx_kmip_ca_load(ngx_conf_t *cf, ngx_command_t *cmd, void *conf,
    ngx_kmip_ca_read_pt read, ngx_pool_cleanup_pt release, const char *what)
{
    BIO                 *bio;
    void               **field;
    ngx_str_t           *value;
    ngx_pool_cleanup_t  *cln;

    field = (void **) ((char *) conf + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_conf_full_name(cf->cycle, &value[1], 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    bio = BIO_new_file((char *) value[1].data, "r");
    if (bio == NULL) {
        ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0, "cannot read \"%V\"",
                      &value[1]);
        return NGX_CONF_ERROR;
    }

    *field = read(bio);
    BIO_free(bio);

    if (*field == NULL) {
        ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0, "\"%V\" holds no %s",
                      &value[1], what);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        release(*field);
        return NGX_CONF_ERROR;
    }

    cln->handler = release;
    cln->data = *field;

    return NGX_CONF_OK;
}


static void *
ngx_kmip_ca_read_cert(BIO *bio)
{
    return PEM_read_bio_X509(bio, NULL, NULL, NULL);
}


static void *
ngx_kmip_ca_read_key(BIO *bio)
{
    /* no passphrase callback: an encrypted key fails, it does not ask */
    return PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *) "");
}


char *
ngx_kmip_ca_conf_merge(ngx_conf_t *cf, ngx_kmip_server_conf_t *prev,
    ngx_kmip_server_conf_t *conf)
{
    ngx_conf_merge_ptr_value(conf->ca, prev->ca, NULL);
    ngx_conf_merge_ptr_value(conf->ca_key, prev->ca_key, NULL);
    ngx_conf_merge_sec_value(conf->ca_validity, prev->ca_validity,
                             NGX_KMIP_CA_VALIDITY);

    if ((conf->ca == NULL) != (conf->ca_key == NULL)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_ca_certificate\" and "
                           "\"kmip_ca_certificate_key\" go together");
        return NGX_CONF_ERROR;
    }

    if (conf->ca && X509_check_private_key(conf->ca, conf->ca_key) != 1) {
        ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"kmip_ca_certificate_key\" is not the key of "
                      "\"kmip_ca_certificate\"");
        return NGX_CONF_ERROR;
    }

    if (conf->ca_validity <= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_ca_validity\" must be positive");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void
ngx_kmip_ca_cert_free(void *data)
{
    X509_free(data);
}


static void
ngx_kmip_ca_key_free(void *data)
{
    EVP_PKEY_free(data);
}
