
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/pem.h>

#include "ngx_kmip_scope.h"
#include "ngx_kmip_ops.h"


/*
 * The directives of a scope ("kmip_scope name { ... }"), and how a client
 * certificate finds its scope. See ngx_kmip_scope.h for the model and
 * docs/security.md for what it guarantees.
 */


#define NGX_KMIP_SHA256_LEN  32


/* a subject or issuer rule: the RFC 2253 text, or a regular expression */
typedef struct {
    ngx_str_t                   text;
#if (NGX_PCRE)
    ngx_regex_t                *regex;
#endif
} ngx_kmip_scope_match_t;


typedef char *(*ngx_kmip_scope_set_pt)(ngx_conf_t *cf,
    ngx_kmip_scope_t *scope, ngx_str_t *value, ngx_uint_t n);


typedef struct {
    ngx_str_t                   name;
    ngx_uint_t                  min_args;       /* after the name */
    ngx_uint_t                  max_args;       /* 0: any number */
    ngx_kmip_scope_set_pt       set;
} ngx_kmip_scope_directive_t;


static char *ngx_kmip_scope_directive(ngx_conf_t *cf, ngx_command_t *dummy,
    void *conf);
static char *ngx_kmip_scope_certificate(ngx_conf_t *cf,
    ngx_kmip_scope_t *scope, ngx_str_t *value, ngx_uint_t n);
static char *ngx_kmip_scope_subject(ngx_conf_t *cf, ngx_kmip_scope_t *scope,
    ngx_str_t *value, ngx_uint_t n);
static char *ngx_kmip_scope_user(ngx_conf_t *cf, ngx_kmip_scope_t *scope,
    ngx_str_t *value, ngx_uint_t n);
static char *ngx_kmip_scope_operations(ngx_conf_t *cf,
    ngx_kmip_scope_t *scope, ngx_str_t *value, ngx_uint_t n);
static char *ngx_kmip_scope_key_ring(ngx_conf_t *cf, ngx_kmip_scope_t *scope,
    ngx_str_t *value, ngx_uint_t n);
static char *ngx_kmip_opset_parse(ngx_conf_t *cf, ngx_str_t *value,
    ngx_uint_t n, ngx_kmip_opset_t *set);
static void *ngx_kmip_scope_push(ngx_conf_t *cf, ngx_array_t **a,
    size_t size);
static ngx_uint_t ngx_kmip_scope_name_valid(ngx_str_t *name, ngx_uint_t min,
    ngx_uint_t max);
static ngx_uint_t ngx_kmip_scope_names_match(ngx_array_t *rules,
    X509_NAME *name, ngx_log_t *log);


ngx_str_t  ngx_kmip_scope_default_name = ngx_string(NGX_KMIP_SCOPE_DEFAULT);


static ngx_kmip_scope_directive_t  ngx_kmip_scope_directives[] = {
    { ngx_string("certificate"), 1, 1, ngx_kmip_scope_certificate },
    { ngx_string("subject"), 1, 1, ngx_kmip_scope_subject },
    { ngx_string("issuer"), 1, 1, ngx_kmip_scope_subject },
    { ngx_string("user"), 1, 0, ngx_kmip_scope_user },
    { ngx_string("operations"), 1, 0, ngx_kmip_scope_operations },
    { ngx_string("key_ring"), 1, 1, ngx_kmip_scope_key_ring },
    { ngx_string("root_key"), 1, 1, ngx_kmip_scope_key_ring },
    { ngx_null_string, 0, 0, NULL }
};


char *
ngx_kmip_scope_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    char               *rv;
    ngx_str_t          *value;
    ngx_uint_t          i;
    ngx_conf_t          save;
    ngx_array_t       **scopes;
    ngx_kmip_scope_t   *scope, *s;

    scopes = (ngx_array_t **) (p + cmd->offset);
    value = cf->args->elts;

    if (!ngx_kmip_scope_name_valid(&value[1], 1, NGX_KMIP_SCOPE_NAME_MAX)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid scope name \"%V\": 1 to %d "
                           "letters, digits, \"-\", \"_\" or \".\"",
                           &cmd->name, &value[1], NGX_KMIP_SCOPE_NAME_MAX);
        return NGX_CONF_ERROR;
    }

    s = (*scopes != NGX_CONF_UNSET_PTR && *scopes) ? (*scopes)->elts : NULL;

    for (i = 0; s && i < (*scopes)->nelts; i++) {
        if (s[i].name.len == value[1].len
            && ngx_strncasecmp(s[i].name.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": duplicate scope \"%V\", first "
                               "defined in %s:%ui", &cmd->name, &value[1],
                               s[i].file_name, s[i].line);
            return NGX_CONF_ERROR;
        }
    }

    scope = ngx_kmip_scope_push(cf, scopes, sizeof(ngx_kmip_scope_t));
    if (scope == NULL) {
        return NGX_CONF_ERROR;
    }

    scope->name = value[1];
    scope->operations = NGX_KMIP_OPSET_UNSET;
    scope->file_name = cf->conf_file->file.name.data;
    scope->line = cf->conf_file->line;

    save = *cf;
    cf->handler = ngx_kmip_scope_directive;
    cf->handler_conf = (char *) scope;

    rv = ngx_conf_parse(cf, NULL);

    *cf = save;

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (scope->fingerprints == NULL && scope->subjects == NULL
        && scope->issuers == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V %V\" names no client: add \"certificate\", "
                           "\"subject\" or \"issuer\"", &cmd->name,
                           &scope->name);
        return NGX_CONF_ERROR;
    }

    if (scope->operations == NGX_KMIP_OPSET_UNSET) {
        scope->operations = NGX_KMIP_OPSET_ALL;
    }

    return NGX_CONF_OK;
}


static char *
ngx_kmip_scope_directive(ngx_conf_t *cf, ngx_command_t *dummy, void *conf)
{
    ngx_kmip_scope_t  *scope = conf;

    ngx_str_t                   *value;
    ngx_uint_t                   n;
    ngx_kmip_scope_directive_t  *d;

    value = cf->args->elts;
    n = cf->args->nelts - 1;

    for (d = ngx_kmip_scope_directives; d->name.len; d++) {
        if (d->name.len != value[0].len
            || ngx_strncmp(d->name.data, value[0].data, value[0].len) != 0)
        {
            continue;
        }

        if (n < d->min_args || (d->max_args && n > d->max_args)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid number of arguments in \"%V\" of "
                               "kmip_scope \"%V\"", &value[0], &scope->name);
            return NGX_CONF_ERROR;
        }

        return d->set(cf, scope, value, n);
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "unknown directive \"%V\" in kmip_scope \"%V\"",
                       &value[0], &scope->name);

    return NGX_CONF_ERROR;
}


static char *
ngx_kmip_scope_certificate(ngx_conf_t *cf, ngx_kmip_scope_t *scope,
    ngx_str_t *value, ngx_uint_t n)
{
    if (ngx_kmip_conf_load_digests(cf, &value[0], &value[1],
                                   &scope->fingerprints)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_kmip_scope_subject(ngx_conf_t *cf, ngx_kmip_scope_t *scope,
    ngx_str_t *value, ngx_uint_t n)
{
    ngx_array_t             **rules;
    ngx_kmip_scope_match_t   *m;
#if (NGX_PCRE)
    ngx_regex_compile_t       rc;
    u_char                    errstr[NGX_MAX_CONF_ERRSTR];
#endif

    rules = (value[0].data[0] == 's') ? &scope->subjects : &scope->issuers;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "empty \"%V\" in kmip_scope \"%V\"", &value[0],
                           &scope->name);
        return NGX_CONF_ERROR;
    }

    m = ngx_kmip_scope_push(cf, rules, sizeof(ngx_kmip_scope_match_t));
    if (m == NULL) {
        return NGX_CONF_ERROR;
    }

    m->text = value[1];

    if (value[1].data[0] != '~') {
        return NGX_CONF_OK;
    }

#if (NGX_PCRE)

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));

    rc.pattern.data = value[1].data + 1;
    rc.pattern.len = value[1].len - 1;
    rc.pool = cf->pool;
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    if (ngx_regex_compile(&rc) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" in kmip_scope \"%V\": %V", &value[0],
                           &scope->name, &rc.err);
        return NGX_CONF_ERROR;
    }

    m->regex = rc.regex;

    return NGX_CONF_OK;

#else

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\" in kmip_scope \"%V\": regular expressions "
                       "need nginx built with PCRE", &value[0],
                       &scope->name);
    return NGX_CONF_ERROR;

#endif
}


static char *
ngx_kmip_scope_user(ngx_conf_t *cf, ngx_kmip_scope_t *scope,
    ngx_str_t *value, ngx_uint_t n)
{
    ngx_str_t   *user;
    ngx_uint_t   i;

    for (i = 1; i <= n; i++) {
        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty \"user\" in kmip_scope \"%V\"",
                               &scope->name);
            return NGX_CONF_ERROR;
        }

        user = ngx_kmip_scope_push(cf, &scope->users, sizeof(ngx_str_t));
        if (user == NULL) {
            return NGX_CONF_ERROR;
        }

        *user = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_kmip_scope_operations(ngx_conf_t *cf, ngx_kmip_scope_t *scope,
    ngx_str_t *value, ngx_uint_t n)
{
    if (scope->operations != NGX_KMIP_OPSET_UNSET) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"operations\" is duplicate in kmip_scope "
                           "\"%V\"", &scope->name);
        return NGX_CONF_ERROR;
    }

    return ngx_kmip_opset_parse(cf, value, n, &scope->operations);
}


/* key_ring and root_key: where the scope's objects live in Key Protect */

static char *
ngx_kmip_scope_key_ring(ngx_conf_t *cf, ngx_kmip_scope_t *scope,
    ngx_str_t *value, ngx_uint_t n)
{
    ngx_str_t  *field;

    field = (value[0].data[0] == 'k') ? &scope->key_ring : &scope->root_key;

    if (field->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is duplicate in kmip_scope \"%V\"",
                           &value[0], &scope->name);
        return NGX_CONF_ERROR;
    }

    /* Key Protect: key ring ids of 2 to 100 characters; key ids, UUIDs */
    if (!ngx_kmip_scope_name_valid(&value[1], 2, 100)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"%V\" \"%V\" in kmip_scope \"%V\": "
                           "2 to 100 letters, digits, \"-\", \"_\" or \".\"",
                           &value[0], &value[1], &scope->name);
        return NGX_CONF_ERROR;
    }

    *field = value[1];

    return NGX_CONF_OK;
}


char *
ngx_kmip_conf_set_operations(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_kmip_opset_t  *set;

    set = (ngx_kmip_opset_t *) (p + cmd->offset);

    if (*set != NGX_KMIP_OPSET_UNSET) {
        return "is duplicate";
    }

    return ngx_kmip_opset_parse(cf, cf->args->elts, cf->args->nelts - 1,
                                set);
}


/* value[0] is the directive's name, value[1..n] the operations */

static char *
ngx_kmip_opset_parse(ngx_conf_t *cf, ngx_str_t *value, ngx_uint_t n,
    ngx_kmip_opset_t *set)
{
    uint32_t          op;
    ngx_uint_t        i;
    ngx_kmip_opset_t  ops;

    ops = 0;

    for (i = 1; i <= n; i++) {

        if (value[i].len == 3
            && ngx_strncasecmp(value[i].data, (u_char *) "all", 3) == 0)
        {
            ops = NGX_KMIP_OPSET_ALL;
            continue;
        }

        op = ngx_kmip_operation_by_name(&value[i]);

        if (op == 0 || op >= 64) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": unknown KMIP operation \"%V\"",
                               &value[0], &value[i]);
            return NGX_CONF_ERROR;
        }

        ops |= (ngx_kmip_opset_t) 1 << op;
    }

    *set = ops;

    return NGX_CONF_OK;
}


char *
ngx_kmip_scopes_check(ngx_conf_t *cf, ngx_array_t *scopes,
    ngx_kmip_opset_t server_ops, ngx_uint_t have_credentials,
    ngx_uint_t have_ca)
{
    ngx_uint_t         i;
    ngx_kmip_scope_t  *s;

    if (scopes == NULL) {
        return NGX_CONF_OK;
    }

    s = scopes->elts;

    for (i = 0; i < scopes->nelts; i++) {

        if (s[i].users && !have_credentials) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"user\" in kmip_scope \"%V\" (%s:%ui) "
                               "needs \"kmip_credentials_file\"",
                               &s[i].name, s[i].file_name, s[i].line);
            return NGX_CONF_ERROR;
        }

        if ((s[i].subjects || s[i].issuers) && !have_ca) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"subject\" and \"issuer\" in kmip_scope "
                               "\"%V\" (%s:%ui) match certificates verified "
                               "by a CA only: set \"ssl_client_certificate\" "
                               "or \"ssl_trusted_certificate\"", &s[i].name,
                               s[i].file_name, s[i].line);
            return NGX_CONF_ERROR;
        }

        if ((s[i].operations & server_ops) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kmip_scope \"%V\" (%s:%ui) allows none of "
                               "the operations \"kmip_operations\" offers",
                               &s[i].name, s[i].file_name, s[i].line);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_kmip_conf_load_digests(ngx_conf_t *cf, ngx_str_t *directive,
    ngx_str_t *name, ngx_array_t **digests)
{
    u_char       *fp;
    BIO          *bio;
    X509         *x509;
    ngx_str_t     file;
    ngx_uint_t    n;
    unsigned int  len;

    file = *name;

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    if (*digests == NULL || *digests == NGX_CONF_UNSET_PTR) {
        *digests = ngx_array_create(cf->pool, 4, NGX_KMIP_SHA256_LEN);
        if (*digests == NULL) {
            return NGX_ERROR;
        }
    }

    bio = BIO_new_file((char *) file.data, "r");
    if (bio == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%V\" cannot open \"%V\"", directive, &file);
        ERR_clear_error();
        return NGX_ERROR;
    }

    n = 0;

    for ( ;; ) {
        x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x509 == NULL) {
            break;
        }

        fp = ngx_array_push(*digests);
        len = NGX_KMIP_SHA256_LEN;

        if (fp == NULL || X509_digest(x509, EVP_sha256(), fp, &len) == 0) {
            X509_free(x509);
            BIO_free(bio);
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": cannot take the SHA-256 digest of a "
                               "certificate in \"%V\"", directive, &file);
            ERR_clear_error();
            return NGX_ERROR;
        }

        X509_free(x509);
        n++;
    }

    BIO_free(bio);
    ERR_clear_error();

    if (n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": no PEM certificate in \"%V\"",
                           directive, &file);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_uint_t
ngx_kmip_digest_listed(ngx_array_t *digests, const u_char *digest)
{
    u_char      *d;
    ngx_uint_t   i;

    if (digests == NULL || digest == NULL) {
        return 0;
    }

    d = digests->elts;

    for (i = 0; i < digests->nelts; i++) {
        if (ngx_memcmp(d + i * NGX_KMIP_SHA256_LEN, digest,
                       NGX_KMIP_SHA256_LEN)
            == 0)
        {
            return 1;
        }
    }

    return 0;
}


ngx_kmip_scope_t *
ngx_kmip_scope_find(ngx_array_t *scopes, X509 *cert, const u_char *digest,
    ngx_uint_t verified, ngx_log_t *log)
{
    ngx_uint_t         i;
    ngx_kmip_scope_t  *s;

    if (scopes == NULL || cert == NULL) {
        return NULL;
    }

    s = scopes->elts;

    for (i = 0; i < scopes->nelts; i++) {

        if (ngx_kmip_digest_listed(s[i].fingerprints, digest)) {
            return &s[i];
        }

        /*
         * a name is only as good as the chain that vouches for it: never
         * matched on a certificate that was pinned, or accepted by
         * "optional_no_ca", without being verified
         */

        if (!verified || (s[i].subjects == NULL && s[i].issuers == NULL)) {
            continue;
        }

        if (ngx_kmip_scope_names_match(s[i].subjects,
                                       X509_get_subject_name(cert), log)
            && ngx_kmip_scope_names_match(s[i].issuers,
                                          X509_get_issuer_name(cert), log))
        {
            return &s[i];
        }
    }

    return NULL;
}


/* 1 if no rules, or the name matches one of them */

static ngx_uint_t
ngx_kmip_scope_names_match(ngx_array_t *rules, X509_NAME *name,
    ngx_log_t *log)
{
    int                      len;
    BIO                     *bio;
    u_char                  *text;
    ngx_str_t                s;
    ngx_uint_t               i, found;
    ngx_kmip_scope_match_t  *m;

    if (rules == NULL) {
        return 1;
    }

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        ERR_clear_error();
        return 0;
    }

    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
        BIO_free(bio);
        ERR_clear_error();
        return 0;
    }

    len = BIO_get_mem_data(bio, (char **) &text);
    s.data = text;
    s.len = len > 0 ? (size_t) len : 0;

    m = rules->elts;
    found = 0;

    for (i = 0; i < rules->nelts && !found; i++) {

#if (NGX_PCRE)
        if (m[i].regex) {
            found = (ngx_regex_exec(m[i].regex, &s, NULL, 0) >= 0);
            continue;
        }
#endif

        found = (m[i].text.len == s.len
                 && ngx_strncasecmp(m[i].text.data, s.data, s.len) == 0);
    }

    BIO_free(bio);

    ngx_log_debug2(NGX_LOG_DEBUG_CORE, log, 0,
                   "kmip scope rule on \"%V\": %ui", &s, found);

    return found;
}


ngx_uint_t
ngx_kmip_scope_user_allowed(ngx_kmip_scope_t *scope, ngx_str_t *user)
{
    ngx_str_t   *u;
    ngx_uint_t   i;

    if (scope == NULL || scope->users == NULL) {
        return 1;
    }

    u = scope->users->elts;

    for (i = 0; i < scope->users->nelts; i++) {
        if (u[i].len == user->len
            && ngx_strncmp(u[i].data, user->data, user->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


ngx_str_t *
ngx_kmip_scope_stored_name(ngx_kmip_scope_t *scope)
{
    static ngx_str_t  none = ngx_null_string;

    if (scope == NULL
        || (scope->name.len == sizeof(NGX_KMIP_SCOPE_DEFAULT) - 1
            && ngx_strncasecmp(scope->name.data,
                               (u_char *) NGX_KMIP_SCOPE_DEFAULT,
                               scope->name.len)
               == 0))
    {
        return &none;
    }

    return &scope->name;
}


/* a zeroed element appended to *a, the array made on first use */

static void *
ngx_kmip_scope_push(ngx_conf_t *cf, ngx_array_t **a, size_t size)
{
    void  *elt;

    if (*a == NULL || *a == NGX_CONF_UNSET_PTR) {
        *a = ngx_array_create(cf->pool, 2, size);
        if (*a == NULL) {
            return NULL;
        }
    }

    elt = ngx_array_push(*a);
    if (elt == NULL) {
        return NULL;
    }

    ngx_memzero(elt, size);

    return elt;
}


static ngx_uint_t
ngx_kmip_scope_name_valid(ngx_str_t *name, ngx_uint_t min, ngx_uint_t max)
{
    u_char      c;
    ngx_uint_t  i;

    if (name->len < min || name->len > max) {
        return 0;
    }

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
        {
            return 0;
        }
    }

    return 1;
}
