
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_passwd.h"
#include "ngx_kmip_transport.h"


/*
 * The KMIP Username and Password credential (kmip_credentials_file), the
 * same over the KMIP port and over HTTPS. The hashes are checked by
 * ngx_kmip_passwd.c, not by nginx's ngx_crypt(), which only an nginx
 * built with the http module has.
 *
 * A crypt(3) hash is slow on purpose (bcrypt at cost 12 takes a quarter
 * of a second): checked on the event loop, a few clients sending wrong
 * passwords would stall every other connection of the worker. With
 * thread support it runs in nginx's "default" thread pool while the
 * request waits, as for a Key Protect call. A credential once verified is
 * remembered for NGX_KMIP_CRED_TTL seconds, so that vCenter, which
 * sends it with every Create and Get, pays the slow hash once a minute.
 */


/* verified credentials remembered per worker, and for how long */
#define NGX_KMIP_CRED_CACHE   64
#define NGX_KMIP_CRED_TTL     60


typedef struct {
    ngx_str_t                   user;
    char                       *hash;           /* NUL-terminated */
    ngx_uint_t                  slow;           /* crypt(3) */
#if (NGX_THREADS)
    ngx_thread_pool_t          *thread_pool;
#endif
} ngx_kmip_credential_t;


typedef struct {
    u_char                      key[SHA256_DIGEST_LENGTH];
    time_t                      expires;
} ngx_kmip_cred_cached_t;


#if (NGX_THREADS)

/*
 * A check in a thread: the request may go (client closed) before the
 * thread ends, so the task owns copies of what the thread reads, and
 * outlives the request; it is freed by whichever of the two ends last.
 */

typedef struct {
    ngx_kmip_req_t             *r;              /* NULL once it is gone */
    ngx_kmip_access_done_pt     done;
    ngx_pool_cleanup_t         *cln;
    ngx_int_t                   result;
    size_t                      len;
    u_char                      key[SHA256_DIGEST_LENGTH];
    u_char                      password[NGX_KMIP_PASSWD_MAX];
    char                        hash[1];        /* NUL-terminated */
} ngx_kmip_cred_task_t;

#endif


static ngx_int_t ngx_kmip_cred_line(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_array_t *creds, ngx_str_t *file,
    ngx_uint_t n, u_char *line, size_t len);
#if !(NGX_THREADS)
static void ngx_kmip_cred_inline(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_array_t *creds, ngx_str_t *file);
#endif
static ngx_int_t ngx_kmip_cred_key(ngx_kmip_req_t *r,
    ngx_kmip_credential_t *cred, u_char *key);
static ngx_uint_t ngx_kmip_cred_cached(u_char *key);
static void ngx_kmip_cred_remember(u_char *key);
static void ngx_kmip_cred_refused(ngx_kmip_req_t *r,
    const char **what);
#if (NGX_THREADS)
static ngx_int_t ngx_kmip_cred_post(ngx_kmip_req_t *r,
    ngx_kmip_access_done_pt done, ngx_kmip_credential_t *cred, u_char *key);
static void ngx_kmip_cred_thread(void *data, ngx_log_t *log);
static void ngx_kmip_cred_done(ngx_event_t *ev);
static void ngx_kmip_cred_cancel(void *data);
#endif


static ngx_kmip_cred_cached_t
    ngx_kmip_cred_cache[NGX_KMIP_CRED_CACHE];


/*
 * kmip_credentials_file: "user:hash" lines as htpasswd writes them
 * ({SHA}, {SSHA}, $apr1$, crypt(3) schemes, and nginx's {PLAIN}); empty
 * lines and "#" comments are skipped. A hash the server cannot check
 * stops nginx -t, rather than refusing that user at run time.
 */

char *
ngx_kmip_conf_credentials_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_array_t  **creds = (ngx_array_t **) ((char *) conf + cmd->offset);

    u_char           *p, *last, *line, *eol;
    size_t            len;
    ssize_t           n;
    ngx_str_t        *value, file;
    ngx_uint_t        lineno;
    ngx_file_t        f;
    ngx_file_info_t   fi;

    if (*creds != NGX_CONF_UNSET_PTR) {
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

    *creds = ngx_array_create(cf->pool, 4, sizeof(ngx_kmip_credential_t));
    if (*creds == NULL) {
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

        if (ngx_kmip_cred_line(cf, cmd, *creds, &file, lineno, line, len)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if ((*creds)->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": no credential in \"%V\"",
                           &cmd->name, &file);
        return NGX_CONF_ERROR;
    }

#if !(NGX_THREADS)
    ngx_kmip_cred_inline(cf, cmd, *creds, &file);
#endif

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_kmip_cred_line(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_array_t *creds, ngx_str_t *file, ngx_uint_t n,
    u_char *line, size_t len)
{
    int                        legacy;
    u_char                    *colon;
    const char                *why;
    ngx_kmip_passwd_scheme_e   scheme;
    ngx_kmip_credential_t     *cred;

    colon = ngx_strlchr(line, line + len, ':');

    if (colon == NULL || colon == line || colon == line + len - 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": a line of \"%V\" is not "
                           "\"user:hash\" (line %ui)", &cmd->name, file, n);
        return NGX_ERROR;
    }

    cred = ngx_array_push(creds);
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

    scheme = ngx_kmip_passwd_scheme(cred->hash, &legacy, &why);

    if (scheme == NGX_KMIP_PASSWD_UNSUPPORTED) {
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

    cred->slow = (scheme == NGX_KMIP_PASSWD_CRYPT);

#if (NGX_THREADS)

    cred->thread_pool = NULL;

    if (cred->slow) {
        cred->thread_pool = ngx_thread_pool_add(cf, NULL);
        if (cred->thread_pool == NULL) {
            return NGX_ERROR;
        }
    }

#endif

    return NGX_OK;
}


#if !(NGX_THREADS)

/* without threads, a slow hash stalls the worker: say so once per file */

static void
ngx_kmip_cred_inline(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_array_t *creds, ngx_str_t *file)
{
    ngx_uint_t              i;
    ngx_kmip_credential_t  *cred;

    cred = creds->elts;

    for (i = 0; i < creds->nelts; i++) {
        if (cred[i].slow) {
            ngx_conf_log_error(NGX_LOG_NOTICE, cf, 0,
                               "\"%V\": nginx was configured without "
                               "threads: the crypt(3) hashes of \"%V\" are "
                               "checked on the event loop, and a slow one "
                               "delays every connection of the worker",
                               &cmd->name, file);
            return;
        }
    }
}

#endif


/*
 * The credential of a request, on a server that has a credentials file.
 * Returns NGX_OK to run the request, NGX_DECLINED to refuse it (*what
 * says why), or NGX_AGAIN when the check runs in a thread: it then calls
 * done with the result.
 */

ngx_int_t
ngx_kmip_cred_check(ngx_array_t *creds, ngx_kmip_req_t *r,
    ngx_kmip_access_done_pt done, const char **what)
{
    ngx_uint_t              i;
    ngx_kmip_credential_t  *cred;
    u_char                  key[SHA256_DIGEST_LENGTH];

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

    cred = creds->elts;

    for (i = 0; i < creds->nelts; i++) {
        if (cred[i].user.len == r->msg.username_len
            && ngx_memcmp(cred[i].user.data, r->msg.username,
                          r->msg.username_len)
               == 0)
        {
            break;
        }
    }

    if (i == creds->nelts) {
        goto denied;
    }

    cred = &cred[i];

    if (ngx_kmip_cred_key(r, cred, key) != NGX_OK) {
        goto denied;
    }

    if (ngx_kmip_cred_cached(key)) {
        ngx_log_debug0(NGX_LOG_DEBUG_CORE, r->log, 0,
                       "kmip credential verified before");
        return NGX_OK;
    }

#if (NGX_THREADS)

    if (cred->slow) {
        if (ngx_kmip_cred_post(r, done, cred, key) == NGX_OK) {
            return NGX_AGAIN;
        }

        /* fail closed: a check that cannot be queued is not run inline */
        ngx_log_error(NGX_LOG_ERR, r->log, 0,
                      "kmip: the credential could not be queued for "
                      "checking in the thread pool");

        *what = "the server could not check the credential";
        return NGX_DECLINED;
    }

#endif

    if (ngx_kmip_passwd_verify(r->msg.password, r->msg.password_len,
                               cred->hash)
        == 1)
    {
        ngx_kmip_cred_remember(key);
        return NGX_OK;
    }

denied:

    ngx_kmip_cred_refused(r, what);

    return NGX_DECLINED;
}


static void
ngx_kmip_cred_refused(ngx_kmip_req_t *r, const char **what)
{
    ngx_str_t  user;

    /* the user name is the client's text: escaped, so a line stays one */

    if (ngx_kmip_log_text(r->pool, r->msg.username, r->msg.username_len, 64,
                          &user)
        != NGX_OK)
    {
        ngx_str_null(&user);
    }

    ngx_log_error(NGX_LOG_WARN, r->log, 0,
                  "kmip: credential refused for user \"%V\"", &user);

    *what = "the Username and Password credential was not accepted";
}


/*
 * The cache is keyed by an HMAC-SHA-256 of the user, the password and the
 * hash under a key drawn once per worker: what it holds cannot be turned
 * back into a password, nor matched against another process's; and a
 * changed hash (a new file on reload) misses.
 */

static ngx_int_t
ngx_kmip_cred_key(ngx_kmip_req_t *r,
    ngx_kmip_credential_t *cred, u_char *key)
{
    u_char        *p, *buf;
    size_t         len, hlen;
    ngx_int_t      rc;
    unsigned int   n;

    static ngx_pid_t  pid;
    static u_char     secret[SHA256_DIGEST_LENGTH];

    if (pid != ngx_pid) {
        if (RAND_bytes(secret, sizeof(secret)) != 1) {
            ERR_clear_error();
            return NGX_ERROR;
        }

        ngx_memzero(ngx_kmip_cred_cache,
                    sizeof(ngx_kmip_cred_cache));
        pid = ngx_pid;
    }

    hlen = ngx_strlen(cred->hash);
    len = r->msg.username_len + 1 + r->msg.password_len + 1 + hlen;

    buf = ngx_pnalloc(r->pool, len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(buf, r->msg.username, r->msg.username_len);
    *p++ = '\0';
    p = ngx_cpymem(p, r->msg.password, r->msg.password_len);
    *p++ = '\0';
    ngx_memcpy(p, cred->hash, hlen);

    n = SHA256_DIGEST_LENGTH;

    rc = (HMAC(EVP_sha256(), secret, sizeof(secret), buf, len, key, &n)
          != NULL) ? NGX_OK : NGX_ERROR;

    ngx_explicit_memzero(buf, len);

    if (rc != NGX_OK) {
        ERR_clear_error();
    }

    return rc;
}


static ngx_uint_t
ngx_kmip_cred_cached(u_char *key)
{
    time_t      now;
    ngx_uint_t  i, found;

    now = ngx_time();
    found = 0;

    for (i = 0; i < NGX_KMIP_CRED_CACHE; i++) {
        if (ngx_kmip_cred_cache[i].expires > now
            && CRYPTO_memcmp(ngx_kmip_cred_cache[i].key, key,
                             SHA256_DIGEST_LENGTH)
               == 0)
        {
            found = 1;
        }
    }

    return found;
}


static void
ngx_kmip_cred_remember(u_char *key)
{
    ngx_uint_t               i;
    ngx_kmip_cred_cached_t  *e, *oldest;

    oldest = &ngx_kmip_cred_cache[0];

    for (i = 0; i < NGX_KMIP_CRED_CACHE; i++) {
        e = &ngx_kmip_cred_cache[i];

        if (ngx_memcmp(e->key, key, SHA256_DIGEST_LENGTH) == 0) {
            oldest = e;
            break;
        }

        if (e->expires < oldest->expires) {
            oldest = e;
        }
    }

    ngx_memcpy(oldest->key, key, SHA256_DIGEST_LENGTH);
    oldest->expires = ngx_time() + NGX_KMIP_CRED_TTL;
}


#if (NGX_THREADS)

static ngx_int_t
ngx_kmip_cred_post(ngx_kmip_req_t *r, ngx_kmip_access_done_pt done,
    ngx_kmip_credential_t *cred, u_char *key)
{
    size_t                 hlen;
    ngx_thread_task_t     *task;
    ngx_pool_cleanup_t    *cln;
    ngx_kmip_cred_task_t  *t;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    hlen = ngx_strlen(cred->hash);

    /* from the heap, not r->pool: the thread may outlive the request */

    task = ngx_calloc(sizeof(ngx_thread_task_t)
                      + sizeof(ngx_kmip_cred_task_t) + hlen, r->log);
    if (task == NULL) {
        return NGX_ERROR;
    }

    t = (ngx_kmip_cred_task_t *) (task + 1);

    t->r = r;
    t->done = done;
    t->cln = cln;
    t->len = r->msg.password_len;
    ngx_memcpy(t->key, key, SHA256_DIGEST_LENGTH);
    ngx_memcpy(t->password, r->msg.password, r->msg.password_len);
    ngx_memcpy(t->hash, cred->hash, hlen + 1);

    task->ctx = t;
    task->handler = ngx_kmip_cred_thread;
    task->event.handler = ngx_kmip_cred_done;
    task->event.data = task;
    task->event.log = r->log;

    if (ngx_thread_task_post(cred->thread_pool, task) != NGX_OK) {
        ngx_explicit_memzero(t->password, sizeof(t->password));
        ngx_free(task);
        return NGX_ERROR;
    }

    cln->handler = ngx_kmip_cred_cancel;
    cln->data = task;

    ngx_log_debug1(NGX_LOG_DEBUG_CORE, r->log, 0,
                   "kmip credential check posted, task %p", task);

    return NGX_OK;
}


/* in a thread of the pool: no nginx call, only the task's own memory */

static void
ngx_kmip_cred_thread(void *data, ngx_log_t *log)
{
    ngx_kmip_cred_task_t  *t = data;

    t->result = ngx_kmip_passwd_verify(t->password, t->len, t->hash);

    ngx_explicit_memzero(t->password, sizeof(t->password));
}


/* back on the event loop */

static void
ngx_kmip_cred_done(ngx_event_t *ev)
{
    ngx_int_t                 result;
    const char               *what;
    ngx_kmip_req_t           *r;
    ngx_thread_task_t        *task;
    ngx_kmip_cred_task_t     *t;
    ngx_kmip_access_done_pt   done;

    task = ev->data;
    t = task->ctx;

    r = t->r;
    done = t->done;
    result = t->result;

    if (r != NULL) {
        t->cln->handler = NULL;

        if (result == 1) {
            ngx_kmip_cred_remember(t->key);
        }
    }

    ngx_explicit_memzero(t, sizeof(ngx_kmip_cred_task_t));
    ngx_free(task);

    if (r == NULL) {
        /* the client left while its credential was checked */
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_CORE, r->log, 0,
                   "kmip credential checked in a thread: %i", result);

    if (result == 1) {
        done(r, NGX_OK, NULL);
        return;
    }

    ngx_kmip_cred_refused(r, &what);

    done(r, NGX_DECLINED, what);
}


/*
 * The request is destroyed while its check runs: the thread goes on with
 * the task's own memory, and ngx_kmip_cred_done() frees it.
 */

static void
ngx_kmip_cred_cancel(void *data)
{
    ngx_thread_task_t  *task = data;

    ngx_kmip_cred_task_t  *t;

    t = task->ctx;
    t->r = NULL;
}

#endif
