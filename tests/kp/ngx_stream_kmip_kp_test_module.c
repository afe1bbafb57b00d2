
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * A test-only stream module: "kmip_kp_test;" in a server {} makes each
 * line a client sends one Key Protect call, answered by one line:
 *
 *   create NAME PAYLOAD_B64 [ALIAS]     get ID       delete ID
 *   list SEARCH|- STATES|- LIMIT OFFSET
 *   wrap PLAINTEXT_B64|- AAD1,AAD2|-    unwrap CIPHERTEXT AAD|-
 *
 *   OK <op> ms=N status=N corr=ID [keys=N key=id,name,state,extractable,
 *       deleted,payload_b64 ...] [ct=.. pt=.. ver=..]
 *   ERR <op> ms=N result=TEXT status=N reason=CODE corr=ID error=TEXT
 *
 * Calls run one at a time; a client that closes mid-call cancels it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_stream.h>

#include "ngx_stream_kmip_keyprotect_module.h"


#define NGX_KMIP_KP_TEST_BUF  65536


typedef struct {
    ngx_stream_session_t       *session;
    u_char                      in[NGX_KMIP_KP_TEST_BUF];
    size_t                      len;
    ngx_pool_t                 *pool;           /* the running call */
    ngx_kmip_kp_call_t         *call;
    ngx_str_t                   op;
    ngx_msec_t                  start;
    unsigned                    eof:1;
} ngx_stream_kmip_kp_test_ctx_t;


static char *ngx_stream_kmip_kp_test(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void ngx_stream_kmip_kp_test_handler(ngx_stream_session_t *s);
static void ngx_stream_kmip_kp_test_read(ngx_event_t *rev);
static void ngx_stream_kmip_kp_test_process(
    ngx_stream_kmip_kp_test_ctx_t *ctx);
static ngx_int_t ngx_stream_kmip_kp_test_exec(
    ngx_stream_kmip_kp_test_ctx_t *ctx, u_char *line, size_t len);
static void ngx_stream_kmip_kp_test_done(ngx_kmip_kp_call_t *call);
static void ngx_stream_kmip_kp_test_reply(ngx_stream_kmip_kp_test_ctx_t *ctx);
static void ngx_stream_kmip_kp_test_send(ngx_stream_kmip_kp_test_ctx_t *ctx,
    u_char *p, size_t len);
static void ngx_stream_kmip_kp_test_cleanup(void *data);
static ngx_uint_t ngx_stream_kmip_kp_test_split(u_char *p, u_char *last,
    ngx_str_t *arg, ngx_uint_t max);
static ngx_int_t ngx_stream_kmip_kp_test_base64(ngx_pool_t *pool,
    ngx_str_t *in, ngx_str_t *out);
static ngx_array_t *ngx_stream_kmip_kp_test_list(ngx_pool_t *pool,
    ngx_str_t *s);


static ngx_command_t  ngx_stream_kmip_kp_test_commands[] = {

    { ngx_string("kmip_kp_test"),
      NGX_STREAM_SRV_CONF|NGX_CONF_NOARGS,
      ngx_stream_kmip_kp_test,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_stream_module_t  ngx_stream_kmip_kp_test_module_ctx = {
    NULL, NULL, NULL, NULL, NULL, NULL
};


ngx_module_t  ngx_stream_kmip_kp_test_module = {
    NGX_MODULE_V1,
    &ngx_stream_kmip_kp_test_module_ctx,
    ngx_stream_kmip_kp_test_commands,
    NGX_STREAM_MODULE,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NGX_MODULE_V1_PADDING
};


static char *
ngx_stream_kmip_kp_test(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_core_srv_conf_t  *cscf;

    cscf = ngx_stream_conf_get_module_srv_conf(cf, ngx_stream_core_module);
    cscf->handler = ngx_stream_kmip_kp_test_handler;

    return NGX_CONF_OK;
}


static void
ngx_stream_kmip_kp_test_handler(ngx_stream_session_t *s)
{
    ngx_connection_t               *c;
    ngx_stream_kmip_kp_test_ctx_t  *ctx;

    c = s->connection;

    ctx = ngx_kmip_kp_cleanup_alloc(c->pool,
                                    sizeof(ngx_stream_kmip_kp_test_ctx_t),
                                    ngx_stream_kmip_kp_test_cleanup);
    if (ctx == NULL) {
        ngx_stream_finalize_session(s, NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->session = s;
    c->data = ctx;
    c->read->handler = ngx_stream_kmip_kp_test_read;

    ngx_stream_kmip_kp_test_read(c->read);
}


static void
ngx_stream_kmip_kp_test_cleanup(void *data)
{
    ngx_stream_kmip_kp_test_ctx_t *ctx = data;

    if (ctx->pool) {
        ngx_log_error(NGX_LOG_INFO, ctx->session->connection->log, 0,
                      "kp test: client closed during \"%V\"", &ctx->op);
        ngx_destroy_pool(ctx->pool);
        ctx->pool = NULL;
    }
}


static void
ngx_stream_kmip_kp_test_read(ngx_event_t *rev)
{
    ssize_t                         n;
    ngx_connection_t               *c;
    ngx_stream_kmip_kp_test_ctx_t  *ctx;

    c = rev->data;
    ctx = c->data;

    for ( ;; ) {
        if (ctx->len == NGX_KMIP_KP_TEST_BUF) {
            ngx_stream_finalize_session(ctx->session, NGX_STREAM_BAD_REQUEST);
            return;
        }

        n = c->recv(c, ctx->in + ctx->len, NGX_KMIP_KP_TEST_BUF - ctx->len);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == NGX_ERROR || n == 0) {
            ctx->eof = 1;
            break;
        }

        ctx->len += n;
    }

    if (ctx->eof && ctx->pool) {
        /* the client went away mid-call: the pool cleanup cancels it */
        ngx_stream_finalize_session(ctx->session, NGX_STREAM_OK);
        return;
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_stream_finalize_session(ctx->session,
                                    NGX_STREAM_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_stream_kmip_kp_test_process(ctx);
}


static void
ngx_stream_kmip_kp_test_process(ngx_stream_kmip_kp_test_ctx_t *ctx)
{
    u_char  *nl;
    size_t   len;

    while (ctx->pool == NULL) {
        nl = ngx_strlchr(ctx->in, ctx->in + ctx->len, '\n');

        if (nl == NULL) {
            if (ctx->eof) {
                ngx_stream_finalize_session(ctx->session, NGX_STREAM_OK);
            }

            return;
        }

        len = nl - ctx->in;

        if (len && ctx->in[len - 1] == '\r') {
            len--;
        }

        (void) ngx_stream_kmip_kp_test_exec(ctx, ctx->in, len);

        ctx->len -= nl + 1 - ctx->in;
        ngx_memmove(ctx->in, nl + 1, ctx->len);
    }
}


static ngx_int_t
ngx_stream_kmip_kp_test_exec(ngx_stream_kmip_kp_test_ctx_t *ctx,
    u_char *line, size_t len)
{
    u_char              *p;
    ngx_int_t            rc, limit, offset;
    ngx_str_t            arg[6], *a, name, payload, decoded;
    ngx_uint_t           n;
    ngx_pool_t          *pool;
    ngx_array_t         *list;
    ngx_kmip_kp_t       *kp;
    ngx_kmip_kp_call_t  *call;

    pool = ngx_create_pool(4096, ctx->session->connection->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    /* tokens, copied: the input buffer moves on */

    p = ngx_pnalloc(pool, len + 1);
    if (p == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    ngx_memcpy(p, line, len);

    n = ngx_stream_kmip_kp_test_split(p, p + len, arg, 6);

    if (n == 0) {
        ngx_destroy_pool(pool);
        return NGX_OK;
    }

    ctx->op = arg[0];
    ctx->pool = pool;
    ctx->start = ngx_current_msec;

    kp = ngx_stream_kmip_keyprotect_get(ctx->session);

    call = ngx_kmip_kp_call_create(pool, ctx->session->connection->log);
    if (call == NULL || kp == NULL) {
        ngx_stream_kmip_kp_test_send(ctx, (u_char *) "ERR noconf\n", 11);
        ctx->pool = NULL;
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    call->handler = ngx_stream_kmip_kp_test_done;
    call->data = ctx;
    ctx->call = call;

#define ngx_kmip_kp_test_is(s)                                               \
    (arg[0].len == sizeof(s) - 1                                             \
     && ngx_strncmp(arg[0].data, s, sizeof(s) - 1) == 0)

#define ngx_kmip_kp_test_opt(i)                                              \
    ((n > i && !(arg[i].len == 1 && arg[i].data[0] == '-')) ? &arg[i] : NULL)

    rc = NGX_ERROR;

    if (ngx_kmip_kp_test_is("create") && n >= 3) {
        name = arg[1];

        if (ngx_stream_kmip_kp_test_base64(pool, &arg[2], &decoded)
            != NGX_OK)
        {
            goto bad;
        }

        list = NULL;

        if (n > 3) {
            list = ngx_array_create(pool, 1, sizeof(ngx_str_t));
            if (list == NULL) {
                goto bad;
            }

            a = ngx_array_push(list);
            if (a == NULL) {
                goto bad;
            }

            *a = arg[3];
        }

        ngx_str_set(&payload, "ngx_kmip test key");

        rc = ngx_kmip_kp_create_key(kp, call, &name, &payload, &decoded,
                                    list);

    } else if (ngx_kmip_kp_test_is("get") && n == 2) {
        rc = ngx_kmip_kp_get_key(kp, call, &arg[1]);

    } else if (ngx_kmip_kp_test_is("delete") && n == 2) {
        rc = ngx_kmip_kp_delete_key(kp, call, &arg[1]);

    } else if (ngx_kmip_kp_test_is("list") && n == 5) {
        limit = ngx_atoi(arg[3].data, arg[3].len);
        offset = ngx_atoi(arg[4].data, arg[4].len);

        if (limit == NGX_ERROR || offset == NGX_ERROR) {
            goto bad;
        }

        rc = ngx_kmip_kp_list_keys(kp, call, ngx_kmip_kp_test_opt(1),
                                   ngx_kmip_kp_test_opt(2), limit, offset);

    } else if (ngx_kmip_kp_test_is("wrap") && n >= 2) {
        a = ngx_kmip_kp_test_opt(1);

        if (a) {
            if (ngx_stream_kmip_kp_test_base64(pool, a, &decoded) != NGX_OK) {
                goto bad;
            }

            a = &decoded;
        }

        list = ngx_stream_kmip_kp_test_list(pool, ngx_kmip_kp_test_opt(2));

        rc = ngx_kmip_kp_wrap(kp, call, a, list);

    } else if (ngx_kmip_kp_test_is("unwrap") && n >= 2) {
        list = ngx_stream_kmip_kp_test_list(pool, ngx_kmip_kp_test_opt(2));

        rc = ngx_kmip_kp_unwrap(kp, call, &arg[1], list);

    } else {
        goto bad;
    }

#undef ngx_kmip_kp_test_is
#undef ngx_kmip_kp_test_opt

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    /* refused at once: no handler will run */

    ngx_stream_kmip_kp_test_reply(ctx);

    return NGX_OK;

bad:

    ngx_stream_kmip_kp_test_send(ctx, (u_char *) "ERR usage\n", 10);
    ctx->pool = NULL;
    ngx_destroy_pool(pool);

    return NGX_ERROR;
}


/* a line's words, max at the most */

static ngx_uint_t
ngx_stream_kmip_kp_test_split(u_char *p, u_char *last, ngx_str_t *arg,
    ngx_uint_t max)
{
    u_char      *tok;
    ngx_uint_t   n;

    n = 0;

    while (p < last && n < max) {
        while (p < last && *p == ' ') {
            p++;
        }

        if (p == last) {
            break;
        }

        tok = p;

        while (p < last && *p != ' ') {
            p++;
        }

        arg[n].data = tok;
        arg[n].len = p - tok;
        n++;
    }

    return n;
}


static ngx_int_t
ngx_stream_kmip_kp_test_base64(ngx_pool_t *pool, ngx_str_t *in,
    ngx_str_t *out)
{
    out->data = ngx_pnalloc(pool, ngx_base64_decoded_length(in->len));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    return ngx_decode_base64(out, in);
}


static ngx_array_t *
ngx_stream_kmip_kp_test_list(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char       *p, *last, *start;
    ngx_str_t    *a;
    ngx_array_t  *list;

    if (s == NULL) {
        return NULL;
    }

    list = ngx_array_create(pool, 2, sizeof(ngx_str_t));
    if (list == NULL) {
        return NULL;
    }

    p = s->data;
    last = s->data + s->len;

    while (p <= last) {
        start = p;

        while (p < last && *p != ',') {
            p++;
        }

        a = ngx_array_push(list);
        if (a == NULL) {
            return NULL;
        }

        a->data = start;
        a->len = p - start;
        p++;
    }

    return list;
}


static void
ngx_stream_kmip_kp_test_done(ngx_kmip_kp_call_t *call)
{
    ngx_stream_kmip_kp_test_ctx_t *ctx = call->data;

    ngx_stream_kmip_kp_test_reply(ctx);

    ngx_stream_kmip_kp_test_process(ctx);
}


static void
ngx_stream_kmip_kp_test_reply(ngx_stream_kmip_kp_test_ctx_t *ctx)
{
    u_char              *buf, *p, *last;
    size_t               size;
    ngx_str_t            b64, none;
    ngx_uint_t           i;
    ngx_pool_t          *pool;
    ngx_kmip_kp_key_t   *key;
    ngx_kmip_kp_call_t  *call;

    call = ctx->call;
    pool = ctx->pool;

    ngx_str_set(&none, "-");

    size = 1024 + call->error.len + call->ciphertext.len * 2
           + call->plaintext.len * 2;

    if (call->keys) {
        key = call->keys->elts;
        for (i = 0; i < call->keys->nelts; i++) {
            size += 256 + key[i].id.len + key[i].name.len
                    + key[i].payload.len * 2;
        }
    }

    buf = ngx_pnalloc(pool, size);
    if (buf == NULL) {
        goto done;
    }

    p = buf;
    last = buf + size;

    if (call->result != NGX_KMIP_KP_OK) {
        p = ngx_slprintf(p, last,
                         "ERR %V ms=%M result=%s status=%ui reason=%V "
                         "corr=%V error=%V\n",
                         &ctx->op, ngx_current_msec - ctx->start,
                         ngx_kmip_kp_result_text(call->result),
                         call->http_status,
                         call->reason_code.len ? &call->reason_code : &none,
                         &call->correlation_id, &call->error);
        goto send;
    }

    p = ngx_slprintf(p, last, "OK %V ms=%M status=%ui corr=%V", &ctx->op,
                     ngx_current_msec - ctx->start, call->http_status,
                     &call->correlation_id);

    if (call->keys) {
        p = ngx_slprintf(p, last, " keys=%ui", call->keys->nelts);

        key = call->keys->elts;
        for (i = 0; i < call->keys->nelts; i++) {
            b64 = none;

            if (key[i].payload.len) {
                b64.data = ngx_pnalloc(pool, ngx_base64_encoded_length(
                                                 key[i].payload.len));
                if (b64.data == NULL) {
                    goto done;
                }

                ngx_encode_base64(&b64, &key[i].payload);
            }

            p = ngx_slprintf(p, last, " key=%V,%V,%i,%i,%i,%V",
                             &key[i].id, &key[i].name, key[i].state,
                             key[i].extractable, key[i].deleted, &b64);
        }
    }

    if (call->ciphertext.len) {
        p = ngx_slprintf(p, last, " ct=%V", &call->ciphertext);
    }

    if (call->plaintext.len) {
        b64.data = ngx_pnalloc(pool,
                               ngx_base64_encoded_length(call->plaintext.len));
        if (b64.data == NULL) {
            goto done;
        }

        ngx_encode_base64(&b64, &call->plaintext);
        p = ngx_slprintf(p, last, " pt=%V", &b64);
    }

    if (call->key_version.len) {
        p = ngx_slprintf(p, last, " ver=%V", &call->key_version);
    }

    p = ngx_slprintf(p, last, "\n");

send:

    ngx_stream_kmip_kp_test_send(ctx, buf, p - buf);

done:

    ctx->pool = NULL;
    ctx->call = NULL;
    ngx_destroy_pool(pool);
}


static void
ngx_stream_kmip_kp_test_send(ngx_stream_kmip_kp_test_ctx_t *ctx, u_char *p,
    size_t len)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = ctx->session->connection;

    /* test lines are small: a short write is reported, not queued */

    while (len) {
        n = c->send(c, p, len);

        if (n <= 0) {
            ngx_log_error(NGX_LOG_ERR, c->log, 0, "kp test: short write");
            return;
        }

        p += n;
        len -= n;
    }
}
