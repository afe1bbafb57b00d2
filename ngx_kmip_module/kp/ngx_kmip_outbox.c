
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_kp.h"
#include "ngx_kmip_outbox.h"


/*
 * The server's requests to a client (ngx_kmip_outbox.h). Each message is
 * a transfer of its own on the worker's HTTP client, in a pool of its own
 * that outlives the client request it came from, and is not retried: a
 * Put received twice would be a second object to the client. A worker
 * keeps at most NGX_KMIP_OUTBOX_MAX messages in flight and drops, with an
 * error line, what comes beyond: a client endpoint that stops answering
 * must not hold the worker's memory.
 */


#define NGX_KMIP_OUTBOX_MAX        256
#define NGX_KMIP_OUTBOX_PEM_MAX    (64 * 1024)
#define NGX_KMIP_OUTBOX_ANSWER     (64 * 1024)


typedef struct {
    ngx_kmip_outbox_t          *outbox;
    ngx_str_t                   what;
} ngx_kmip_outbox_job_t;


static char *ngx_kmip_outbox_url(ngx_conf_t *cf, ngx_kmip_outbox_t *ob,
    ngx_str_t *url);
static char *ngx_kmip_outbox_read_pem(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *pem);
static char *ngx_kmip_outbox_check_identity(ngx_conf_t *cf,
    ngx_kmip_outbox_t *ob);
static void ngx_kmip_outbox_wipe(void *data);
static void ngx_kmip_outbox_done(ngx_kmip_http_req_t *r);
static const char *ngx_kmip_outbox_answer(ngx_kmip_http_req_t *r);
static void *ngx_kmip_outbox_alloc(void *data, size_t size);


/* messages this worker has sent and not yet seen answered */
static ngx_uint_t  ngx_kmip_outbox_pending;


char *
ngx_kmip_outbox_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_kmip_outbox_t  **obp = (ngx_kmip_outbox_t **) ((char *) conf
                                                       + cmd->offset);

    char               *rv;
    ngx_str_t          *value, s, cert, key;
    ngx_uint_t          i;
    ngx_msec_t          timeout;
    ngx_kmip_outbox_t  *ob;

    if (*obp != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        if (cf->args->nelts != 2) {
            return "takes no parameters with \"off\"";
        }

        *obp = NULL;
        return NGX_CONF_OK;
    }

    ob = ngx_pcalloc(cf->pool, sizeof(ngx_kmip_outbox_t));
    if (ob == NULL) {
        return NGX_CONF_ERROR;
    }

    ob->timeout = 10000;
    ngx_str_null(&cert);
    ngx_str_null(&key);

    rv = ngx_kmip_outbox_url(cf, ob, &value[1]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "certificate=", 12) == 0) {
            cert.data = value[i].data + 12;
            cert.len = value[i].len - 12;
            rv = ngx_kmip_outbox_read_pem(cf, &cert, &ob->peer.cert);

        } else if (ngx_strncmp(value[i].data, "certificate_key=", 16) == 0) {
            key.data = value[i].data + 16;
            key.len = value[i].len - 16;
            rv = ngx_kmip_outbox_read_pem(cf, &key, &ob->peer.cert_key);

        } else if (ngx_strncmp(value[i].data, "trusted_certificate=", 20)
                   == 0)
        {
            s.data = value[i].data + 20;
            s.len = value[i].len - 20;

            if (s.len == 0
                || ngx_conf_full_name(cf->cycle, &s, 1) != NGX_OK)
            {
                return "has an empty or invalid \"trusted_certificate\"";
            }

            ob->peer.ca_file = s;
            rv = NGX_CONF_OK;

        } else if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            timeout = ngx_parse_time(&s, 0);
            if (timeout == (ngx_msec_t) NGX_ERROR || timeout == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"timeout\" in \"%V\"",
                                   &cmd->name);
                return NGX_CONF_ERROR;
            }

            ob->timeout = timeout;
            rv = NGX_CONF_OK;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if ((cert.len == 0) != (key.len == 0)) {
        return "needs both \"certificate\" and \"certificate_key\", "
               "or neither";
    }

    if (cert.len) {
        rv = ngx_kmip_outbox_check_identity(cf, ob);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    *obp = ob;

    return NGX_CONF_OK;
}


/* scheme://host[:port] for the HTTP client, the rest the request's path */

static char *
ngx_kmip_outbox_url(ngx_conf_t *cf, ngx_kmip_outbox_t *ob, ngx_str_t *url)
{
    u_char  *p, *last, *path;

    p = url->data;
    last = p + url->len;

    p = ngx_strlcasestrn(p, last, (u_char *) "://", 3 - 1);
    if (p == NULL) {
        return "needs an \"https://\" URL";
    }

    path = ngx_strlchr(p + 3, last, '/');

    if (path == NULL) {
        ngx_str_set(&ob->uri, "/");
        ob->peer.url = *url;

    } else {
        ob->uri.data = path;
        ob->uri.len = last - path;
        ob->peer.url.data = url->data;
        ob->peer.url.len = path - url->data;
    }

    if (ngx_strlchr(ob->uri.data, ob->uri.data + ob->uri.len, '#')) {
        return "has a fragment in its URL";
    }

    return NGX_CONF_OK;
}


/* a PEM file's contents, in memory and wiped with the configuration */

static char *
ngx_kmip_outbox_read_pem(ngx_conf_t *cf, ngx_str_t *name, ngx_str_t *pem)
{
    ssize_t              n;
    ngx_fd_t             fd;
    ngx_file_info_t      fi;
    ngx_pool_cleanup_t  *cln;

    if (name->len == 0 || ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return "has an empty or invalid file name";
    }

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"kmip_push\" cannot open \"%s\"", name->data);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) <= 0
        || ngx_file_size(&fi) > NGX_KMIP_OUTBOX_PEM_MAX)
    {
        ngx_close_file(fd);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kmip_push\": \"%s\" is empty or larger "
                           "than %d bytes", name->data,
                           NGX_KMIP_OUTBOX_PEM_MAX);
        return NGX_CONF_ERROR;
    }

    pem->len = (size_t) ngx_file_size(&fi);

    pem->data = ngx_pnalloc(cf->pool, pem->len);
    if (pem->data == NULL) {
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_kmip_outbox_wipe;
    cln->data = pem;

    n = ngx_read_fd(fd, pem->data, pem->len);

    ngx_close_file(fd);

    if (n != (ssize_t) pem->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"kmip_push\" cannot read \"%s\"", name->data);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void
ngx_kmip_outbox_wipe(void *data)
{
    ngx_str_t  *s = data;

    if (s->data) {
        OPENSSL_cleanse(s->data, s->len);
    }
}


/* the certificate and the key parse, and go together */

static char *
ngx_kmip_outbox_check_identity(ngx_conf_t *cf, ngx_kmip_outbox_t *ob)
{
    BIO       *bio;
    X509      *x509;
    EVP_PKEY  *pkey;
    char      *rv;

    x509 = NULL;
    pkey = NULL;
    rv = NGX_CONF_OK;

    bio = BIO_new_mem_buf(ob->peer.cert.data, (int) ob->peer.cert.len);
    if (bio) {
        x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
    }

    bio = BIO_new_mem_buf(ob->peer.cert_key.data,
                          (int) ob->peer.cert_key.len);
    if (bio) {
        pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
    }

    if (x509 == NULL) {
        rv = "has a \"certificate\" that is not a PEM certificate";

    } else if (pkey == NULL) {
        rv = "has a \"certificate_key\" that is not an unencrypted PEM "
             "private key";

    } else if (X509_check_private_key(x509, pkey) != 1) {
        rv = "has a \"certificate_key\" that is not the certificate's key";
    }

    ERR_clear_error();
    X509_free(x509);
    EVP_PKEY_free(pkey);

    return rv;
}


char *
ngx_kmip_outbox_init(ngx_conf_t *cf, ngx_kmip_outbox_t *ob,
    ngx_resolver_t *resolver, ngx_msec_t resolver_timeout)
{
    char             *err;
    ngx_str_t         url;
    ngx_file_info_t   fi;

    if (ob->peer.host.len) {
        /* inherited from the level above, checked there */
        return NGX_CONF_OK;
    }

    if (ob->peer.ca_file.len
        && ngx_file_info(ob->peer.ca_file.data, &fi) == NGX_FILE_ERROR)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"kmip_push\" \"trusted_certificate\" \"%s\" "
                           "cannot be read", ob->peer.ca_file.data);
        return NGX_CONF_ERROR;
    }

    ob->peer.resolver = resolver;
    ob->peer.resolver_timeout = resolver_timeout;

    url = ob->peer.url;

    err = ngx_kmip_http_parse_peer(cf, &url, &ob->peer);
    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"kmip_push\" \"%V%V\" %s",
                           &url, &ob->uri, err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_kmip_outbox_send(void *data, ngx_str_t *message, ngx_str_t *what)
{
    ngx_kmip_outbox_t *ob = data;

    ngx_str_t               v;
    ngx_pool_t             *pool;
    ngx_kmip_http_req_t    *r;
    ngx_kmip_outbox_job_t  *job;

    if (ngx_kmip_outbox_pending >= NGX_KMIP_OUTBOX_MAX) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "kmip push: %V to %V%V not sent: %ui messages are "
                      "waiting for the client", what, &ob->peer.url,
                      &ob->uri, ngx_kmip_outbox_pending);
        return NGX_ERROR;
    }

    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    job = ngx_palloc(pool, sizeof(ngx_kmip_outbox_job_t));
    r = ngx_kmip_http_create(pool, ngx_cycle->log);

    if (job == NULL || r == NULL
        || ngx_kmip_kp_secret(pool, &r->body, message->len) != NGX_OK)
    {
        goto failed;
    }

    job->outbox = ob;
    job->what.data = ngx_pstrdup(pool, what);
    job->what.len = what->len;

    if (job->what.data == NULL) {
        goto failed;
    }

    ngx_memcpy(r->body.data, message->data, message->len);
    r->body.len = message->len;

    r->peer = &ob->peer;
    ngx_str_set(&r->method, "POST");
    r->uri = ob->uri;
    r->timeout = ob->timeout;
    r->max_response = NGX_KMIP_OUTBOX_ANSWER;
    r->max_retries = 0;
    r->idempotent = 0;
    r->handler = ngx_kmip_outbox_done;
    r->data = job;

    ngx_str_set(&v, "application/octet-stream");

    if (ngx_kmip_http_add_header(r, "Content-Type", &v) != NGX_OK
        || ngx_kmip_http_add_header(r, "Accept", &v) != NGX_OK)
    {
        goto failed;
    }

    if (ngx_kmip_http_start(r) != NGX_AGAIN) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "kmip push: %V to %V%V not sent: %V", what,
                      &ob->peer.url, &ob->uri, &r->error);
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    ngx_kmip_outbox_pending++;

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, ngx_cycle->log, 0,
                   "kmip push: %V sent to %V%V", what, &ob->peer.url,
                   &ob->uri);

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "kmip push: %V to %V%V not sent: no memory", what,
                  &ob->peer.url, &ob->uri);
    ngx_destroy_pool(pool);

    return NGX_ERROR;
}


static void
ngx_kmip_outbox_done(ngx_kmip_http_req_t *r)
{
    ngx_kmip_outbox_job_t *job = r->data;

    const char         *refusal;
    ngx_kmip_outbox_t  *ob;

    ngx_kmip_outbox_pending--;
    ob = job->outbox;

    if (r->result != NGX_KMIP_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "kmip push: %V to %V%V failed: %V", &job->what,
                      &ob->peer.url, &ob->uri, &r->error);

    } else if (r->status != 200) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "kmip push: %V to %V%V failed: HTTP status %ui",
                      &job->what, &ob->peer.url, &ob->uri, r->status);

    } else {
        refusal = ngx_kmip_outbox_answer(r);

        if (refusal) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "kmip push: %V to %V%V: %s", &job->what,
                          &ob->peer.url, &ob->uri, refusal);

        } else {
            ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                          "kmip push: %V to %V%V: Success", &job->what,
                          &ob->peer.url, &ob->uri);
        }
    }

    ngx_destroy_pool(r->pool);
}


/* NULL when the client's Response Message says Success; else what it says */

static const char *
ngx_kmip_outbox_answer(ngx_kmip_http_req_t *r)
{
    ngx_kmip_item_t       *root, *item, *status;
    ngx_kmip_allocator_t   a;

    a.alloc = ngx_kmip_outbox_alloc;
    a.data = r->pool;

    if (ngx_kmip_ttlv_decode(r->response.data, r->response.len, NULL, &a,
                             &root, NULL)
        != NGX_KMIP_OK
        || root->tag != NGX_KMIP_TAG_RESPONSE_MESSAGE)
    {
        return "the client's answer is not a TTLV Response Message";
    }

    item = ngx_kmip_ttlv_find(root, NGX_KMIP_TAG_BATCH_ITEM);
    status = item ? ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_RESULT_STATUS)
                  : NULL;

    if (status == NULL || status->type != NGX_KMIP_TYPE_ENUMERATION) {
        return "the client's answer has no Result Status";
    }

    if (status->v.num != NGX_KMIP_STATUS_SUCCESS) {
        return "the client answered Operation Failed";
    }

    return NULL;
}


static void *
ngx_kmip_outbox_alloc(void *data, size_t size)
{
    return ngx_palloc((ngx_pool_t *) data, size);
}
