
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_passwd.h"
#include "ngx_stream_kmip_module.h"


/*
 * The KMIP Username and Password credential (kmip_credentials_file). The
 * hashes are checked by ngx_kmip_passwd.c, not by nginx's ngx_crypt(),
 * which only an nginx built with the http module has.
 */


typedef struct {
    ngx_str_t                   user;
    char                       *hash;           /* NUL-terminated */
} ngx_stream_kmip_credential_t;


static ngx_int_t ngx_stream_kmip_credentials_line(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_stream_kmip_srv_conf_t *kscf, ngx_str_t *file,
    ngx_uint_t n, u_char *line, size_t len);


/*
 * kmip_credentials_file: "user:hash" lines as htpasswd writes them
 * ({SHA}, {SSHA}, $apr1$, crypt(3) schemes, and nginx's {PLAIN}); empty
 * lines and "#" comments are skipped. A hash the server cannot check
 * stops nginx -t, rather than refusing that user at run time.
 */

char *
ngx_stream_kmip_credentials_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_stream_kmip_srv_conf_t *kscf = conf;

    u_char           *p, *last, *line, *eol;
    size_t            len;
    ssize_t           n;
    ngx_str_t        *value, file;
    ngx_uint_t        lineno;
    ngx_file_t        f;
    ngx_file_info_t   fi;

    if (kscf->credentials != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&f, sizeof(ngx_file_t));
    f.name = file;
    f.log = cf->log;

    f.fd = ngx_open_file(file.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (f.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\" cannot open \"%V\"", &cmd->name, &file);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(f.fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > 1024 * 1024)
    {
        ngx_close_file(f.fd);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": \"%V\" is not a readable file of at "
                           "most 1m", &cmd->name, &file);
        return NGX_CONF_ERROR;
    }

    /* as for the API key file: the hashes can be attacked offline */

    if (ngx_file_access(&fi) & 0027) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%V\" \"%V\" is accessible by others or "
                           "writable by its group; chmod o-rwx,g-w it",
                           &cmd->name, &file);
    }

    p = ngx_pnalloc(cf->pool, ngx_file_size(&fi) + 1);
    if (p == NULL) {
        ngx_close_file(f.fd);
        return NGX_CONF_ERROR;
    }

    n = ngx_read_file(&f, p, ngx_file_size(&fi), 0);
    ngx_close_file(f.fd);

    if (n == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    kscf->credentials = ngx_array_create(cf->pool, 4,
                                        sizeof(ngx_stream_kmip_credential_t));
    if (kscf->credentials == NULL) {
        return NGX_CONF_ERROR;
    }

    last = p + n;
    lineno = 0;

    for (line = p; line < last; line = eol + 1) {
        lineno++;

        eol = ngx_strlchr(line, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        len = eol - line;

        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '
                       || line[len - 1] == '\t'))
        {
            len--;
        }

        if (len == 0 || line[0] == '#') {
            continue;
        }

        if (ngx_stream_kmip_credentials_line(cf, cmd, kscf, &file, lineno,
                                             line, len)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (kscf->credentials->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": no credential in \"%V\"",
                           &cmd->name, &file);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_stream_kmip_credentials_line(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_stream_kmip_srv_conf_t *kscf, ngx_str_t *file, ngx_uint_t n,
    u_char *line, size_t len)
{
    int                            legacy;
    u_char                        *colon;
    const char                    *why;
    ngx_stream_kmip_credential_t  *cred;

    colon = ngx_strlchr(line, line + len, ':');

    if (colon == NULL || colon == line || colon == line + len - 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": a line of \"%V\" is not "
                           "\"user:hash\" (line %ui)", &cmd->name, file, n);
        return NGX_ERROR;
    }

    cred = ngx_array_push(kscf->credentials);
    if (cred == NULL) {
        return NGX_ERROR;
    }

    cred->user.data = line;
    cred->user.len = colon - line;

    cred->hash = (char *) ngx_pnalloc(cf->pool, line + len - colon);
    if (cred->hash == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(cred->hash, colon + 1, line + len - colon - 1);
    cred->hash[line + len - colon - 1] = '\0';

    if (ngx_kmip_passwd_scheme(cred->hash, &legacy, &why)
        == NGX_KMIP_PASSWD_UNSUPPORTED)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": the hash of \"%V\" in \"%V\" line %ui "
                           "is not supported: %s; use {SHA}, {SSHA}, "
                           "$apr1$ or a crypt(3) scheme such as bcrypt",
                           &cmd->name, &cred->user, file, n, why);
        return NGX_ERROR;
    }

    if (legacy) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%V\": the hash of \"%V\" in \"%V\" line %ui "
                           "is traditional DES crypt, which reads 8 "
                           "characters of a password",
                           &cmd->name, &cred->user, file, n);
    }

    return NGX_OK;
}


/*
 * The credential of a request, on a server that has a credentials file.
 * Returns NGX_OK to run the request, NGX_DECLINED to refuse it (*what
 * says why).
 */

ngx_int_t
ngx_stream_kmip_check_credential(ngx_stream_kmip_ctx_t *ctx,
    ngx_kmip_req_t *r, const char **what)
{
    ngx_str_t                      user;
    ngx_uint_t                     i;
    ngx_connection_t              *c;
    ngx_stream_kmip_credential_t  *cred;

    c = ctx->session->connection;

    if (r->msg.username == NULL) {
        r->anonymous = 1;
        return NGX_OK;
    }

    if (r->msg.credential_type
        != NGX_KMIP_CREDENTIAL_TYPE_USERNAME_AND_PASSWORD
        || r->msg.password == NULL
        || r->msg.password_len > NGX_KMIP_PASSWD_MAX)
    {
        goto denied;
    }

    cred = ctx->conf->credentials->elts;

    for (i = 0; i < ctx->conf->credentials->nelts; i++) {
        if (cred[i].user.len != r->msg.username_len
            || ngx_memcmp(cred[i].user.data, r->msg.username,
                          r->msg.username_len)
               != 0)
        {
            continue;
        }

        if (ngx_kmip_passwd_verify(r->msg.password, r->msg.password_len,
                                   cred[i].hash)
            == 1)
        {
            return NGX_OK;
        }

        break;
    }

denied:

    /* the user name is the client's text: escaped, so a line stays one */

    if (ngx_kmip_log_text(r->pool, r->msg.username, r->msg.username_len, 64,
                          &user)
        != NGX_OK)
    {
        ngx_str_null(&user);
    }

    ngx_log_error(NGX_LOG_WARN, c->log, 0,
                  "kmip: credential refused for user \"%V\"", &user);

    *what = "the Username and Password credential was not accepted";

    return NGX_DECLINED;
}
