
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ngx_stream_kmip_keyprotect_module.h"


#define NGX_KMIP_KP_KEY_TYPE        "application/vnd.ibm.kms.key+json"
#define NGX_KMIP_KP_MAX_RESPONSE    (1024 * 1024)
#define NGX_KMIP_KP_MAX_LIST        (32 * 1024 * 1024)


typedef struct ngx_kmip_kp_ctx_s  ngx_kmip_kp_ctx_t;

typedef ngx_int_t (*ngx_kmip_kp_parse_pt)(ngx_kmip_kp_ctx_t *ctx,
    yajl_val root);


struct ngx_kmip_kp_ctx_s {
    ngx_kmip_kp_call_t         *call;
    ngx_kmip_kp_t              *kp;

    const char                 *what;           /* "unwrap", "get key" */
    ngx_str_t                   method;
    ngx_str_t                   uri;
    ngx_str_t                   body;           /* wiped with the pool */
    const char                 *content_type;
    const char                 *prefer;
    size_t                      max_response;
    ngx_kmip_kp_parse_pt        parse;

    ngx_msec_t                  deadline;
    ngx_kmip_iam_wait_t         wait;

    unsigned                    idempotent:1;
    unsigned                    root_key:1;     /* errors name the CRK */
    unsigned                    auth_retried:1;
};


typedef struct {
    u_char                     *data;
    size_t                      size;
} ngx_kmip_kp_secret_t;


static ngx_kmip_kp_ctx_t *ngx_kmip_kp_ctx(ngx_kmip_kp_t *kp,
    ngx_kmip_kp_call_t *call, const char *what, const char *method);
static ngx_int_t ngx_kmip_kp_start(ngx_kmip_kp_ctx_t *ctx);
static ngx_int_t ngx_kmip_kp_auth(ngx_kmip_kp_ctx_t *ctx);
static void ngx_kmip_kp_token_handler(ngx_kmip_iam_wait_t *w);
static ngx_int_t ngx_kmip_kp_send(ngx_kmip_kp_ctx_t *ctx);
static void ngx_kmip_kp_http_handler(ngx_kmip_http_req_t *r);
static void ngx_kmip_kp_map_error(ngx_kmip_kp_ctx_t *ctx, ngx_uint_t status,
    yajl_val root);
static void ngx_kmip_kp_set_error(ngx_kmip_kp_ctx_t *ctx,
    ngx_kmip_kp_result_e result, const char *cause, ngx_str_t *detail);
static void ngx_kmip_kp_log_failure(ngx_kmip_kp_ctx_t *ctx);
static void ngx_kmip_kp_finish(ngx_kmip_kp_ctx_t *ctx);

static ngx_int_t ngx_kmip_kp_parse_keys(ngx_kmip_kp_ctx_t *ctx,
    yajl_val root);
static ngx_int_t ngx_kmip_kp_parse_created(ngx_kmip_kp_ctx_t *ctx,
    yajl_val root);
static ngx_int_t ngx_kmip_kp_parse_none(ngx_kmip_kp_ctx_t *ctx,
    yajl_val root);
static ngx_int_t ngx_kmip_kp_parse_wrap(ngx_kmip_kp_ctx_t *ctx,
    yajl_val root);
static ngx_int_t ngx_kmip_kp_parse_unwrap(ngx_kmip_kp_ctx_t *ctx,
    yajl_val root);
static ngx_int_t ngx_kmip_kp_parse_key(ngx_kmip_kp_ctx_t *ctx, yajl_val v,
    ngx_kmip_kp_key_t *key);

static ngx_int_t ngx_kmip_kp_copy(ngx_pool_t *pool, yajl_val v,
    ngx_str_t *dst);
static ngx_int_t ngx_kmip_kp_get_str(ngx_pool_t *pool, yajl_val obj,
    const char *name, ngx_str_t *dst);
static ngx_int_t ngx_kmip_kp_decode(ngx_pool_t *pool, yajl_val v,
    ngx_str_t *dst);
static time_t ngx_kmip_kp_parse_date(yajl_val v);
static ngx_int_t ngx_kmip_kp_secret(ngx_pool_t *pool, ngx_str_t *s,
    size_t size);
static void ngx_kmip_kp_secret_cleanup(void *data);
static ngx_int_t ngx_kmip_kp_encode(ngx_pool_t *pool, ngx_str_t *src,
    ngx_str_t *dst);
static ngx_int_t ngx_kmip_kp_correlation_id(ngx_kmip_kp_call_t *call);
static void ngx_kmip_kp_json_free(yajl_val v);
static void ngx_kmip_kp_json_wipe(yajl_val v);

static yajl_gen ngx_kmip_kp_gen_alloc(void);
static ngx_int_t ngx_kmip_kp_gen_done(ngx_kmip_kp_ctx_t *ctx, yajl_gen g);
static void ngx_kmip_kp_gen_str(yajl_gen g, const char *s);
static void ngx_kmip_kp_gen_ngx_str(yajl_gen g, ngx_str_t *s);
static void ngx_kmip_kp_gen_aad(yajl_gen g, ngx_array_t *aad);
static void *ngx_kmip_kp_malloc(void *ctx, size_t size);
static void *ngx_kmip_kp_realloc(void *ctx, void *ptr, size_t size);
static void ngx_kmip_kp_free(void *ctx, void *ptr);


static yajl_alloc_funcs  ngx_kmip_kp_alloc_funcs = {
    ngx_kmip_kp_malloc,
    ngx_kmip_kp_realloc,
    ngx_kmip_kp_free,
    NULL
};


static const char  *ngx_kmip_kp_result_texts[] = {
    "OK",
    "NOT_FOUND",
    "GONE",
    "CONFLICT",
    "ROOT_KEY_UNUSABLE",
    "BAD_CIPHERTEXT",
    "UNAUTHORIZED",
    "UNAVAILABLE",
    "FAILED"
};


const char *
ngx_kmip_kp_result_text(ngx_kmip_kp_result_e result)
{
    if ((ngx_uint_t) result
        >= sizeof(ngx_kmip_kp_result_texts) / sizeof(char *))
    {
        return "UNKNOWN";
    }

    return ngx_kmip_kp_result_texts[result];
}


ngx_kmip_kp_call_t *
ngx_kmip_kp_call_create(ngx_pool_t *pool, ngx_log_t *log)
{
    ngx_kmip_kp_call_t  *call;

    call = ngx_pcalloc(pool, sizeof(ngx_kmip_kp_call_t));
    if (call == NULL) {
        return NULL;
    }

    call->pool = pool;
    call->log = log;

    return call;
}


/* the calls */

ngx_int_t
ngx_kmip_kp_create_key(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *name, ngx_str_t *description, ngx_str_t *payload,
    ngx_array_t *aliases)
{
    ngx_str_t          *a, b64;
    yajl_gen            g;
    ngx_uint_t          i;
    ngx_kmip_kp_ctx_t  *ctx;

    ctx = ngx_kmip_kp_ctx(kp, call, "create key", "POST");
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&ctx->uri, "/api/v2/keys");
    ctx->content_type = NGX_KMIP_KP_KEY_TYPE;
    ctx->prefer = "return=representation";
    ctx->parse = ngx_kmip_kp_parse_created;
    ctx->idempotent = 0;

    ngx_str_null(&b64);

    if (payload && payload->len) {
        if (ngx_kmip_kp_encode(call->pool, payload, &b64) != NGX_OK) {
            goto nomem;
        }
    }

    g = ngx_kmip_kp_gen_alloc();
    if (g == NULL) {
        goto nomem;
    }

    yajl_gen_map_open(g);
    ngx_kmip_kp_gen_str(g, "metadata");
    yajl_gen_map_open(g);
    ngx_kmip_kp_gen_str(g, "collectionType");
    ngx_kmip_kp_gen_str(g, NGX_KMIP_KP_KEY_TYPE);
    ngx_kmip_kp_gen_str(g, "collectionTotal");
    yajl_gen_integer(g, 1);
    yajl_gen_map_close(g);

    ngx_kmip_kp_gen_str(g, "resources");
    yajl_gen_array_open(g);
    yajl_gen_map_open(g);

    ngx_kmip_kp_gen_str(g, "type");
    ngx_kmip_kp_gen_str(g, NGX_KMIP_KP_KEY_TYPE);
    ngx_kmip_kp_gen_str(g, "name");
    ngx_kmip_kp_gen_ngx_str(g, name);

    if (description && description->len) {
        ngx_kmip_kp_gen_str(g, "description");
        ngx_kmip_kp_gen_ngx_str(g, description);
    }

    ngx_kmip_kp_gen_str(g, "extractable");
    yajl_gen_bool(g, 1);

    if (b64.len) {
        ngx_kmip_kp_gen_str(g, "payload");
        ngx_kmip_kp_gen_ngx_str(g, &b64);
    }

    if (aliases && aliases->nelts) {
        ngx_kmip_kp_gen_str(g, "aliases");
        yajl_gen_array_open(g);

        a = aliases->elts;
        for (i = 0; i < aliases->nelts; i++) {
            ngx_kmip_kp_gen_ngx_str(g, &a[i]);
        }

        yajl_gen_array_close(g);
    }

    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);

    if (ngx_kmip_kp_gen_done(ctx, g) != NGX_OK) {
        goto nomem;
    }

    return ngx_kmip_kp_start(ctx);

nomem:

    ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_FAILED, "out of memory", NULL);
    return NGX_ERROR;
}


ngx_int_t
ngx_kmip_kp_get_key(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *id)
{
    u_char             *p;
    ngx_str_t           eid;
    ngx_kmip_kp_ctx_t  *ctx;

    ctx = ngx_kmip_kp_ctx(kp, call, "get key", "GET");
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ngx_kmip_http_escape(call->pool, id, &eid, NULL) != NGX_OK) {
        goto nomem;
    }

    p = ngx_pnalloc(call->pool, sizeof("/api/v2/keys/") - 1 + eid.len);
    if (p == NULL) {
        goto nomem;
    }

    ctx->uri.data = p;
    ctx->uri.len = ngx_sprintf(p, "/api/v2/keys/%V", &eid) - p;
    ctx->parse = ngx_kmip_kp_parse_keys;

    return ngx_kmip_kp_start(ctx);

nomem:

    ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_FAILED, "out of memory", NULL);
    return NGX_ERROR;
}


ngx_int_t
ngx_kmip_kp_list_keys(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *search, ngx_str_t *states, ngx_uint_t limit,
    ngx_uint_t offset)
{
    u_char             *p;
    size_t              len;
    ngx_str_t           esearch, estates;
    ngx_kmip_kp_ctx_t  *ctx;

    ctx = ngx_kmip_kp_ctx(kp, call, "list keys", "GET");
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (limit == 0) {
        limit = 200;
    }

    if (limit > 5000) {
        limit = 5000;
    }

    ngx_str_null(&esearch);
    ngx_str_null(&estates);

    if (search && search->len
        && ngx_kmip_http_escape(call->pool, search, &esearch, ":")
           != NGX_OK)
    {
        goto nomem;
    }

    if (states && states->len
        && ngx_kmip_http_escape(call->pool, states, &estates, ",")
           != NGX_OK)
    {
        goto nomem;
    }

    len = sizeof("/api/v2/keys?limit=&offset=&search=&state=") - 1
          + 2 * NGX_INT_T_LEN + esearch.len + estates.len;

    p = ngx_pnalloc(call->pool, len);
    if (p == NULL) {
        goto nomem;
    }

    ctx->uri.data = p;
    p = ngx_sprintf(p, "/api/v2/keys?limit=%ui&offset=%ui", limit, offset);

    if (esearch.len) {
        p = ngx_sprintf(p, "&search=%V", &esearch);
    }

    if (estates.len) {
        p = ngx_sprintf(p, "&state=%V", &estates);
    }

    ctx->uri.len = p - ctx->uri.data;
    ctx->parse = ngx_kmip_kp_parse_keys;

    ctx->max_response = 64 * 1024 + limit * 4096;
    if (ctx->max_response > NGX_KMIP_KP_MAX_LIST) {
        ctx->max_response = NGX_KMIP_KP_MAX_LIST;
    }

    return ngx_kmip_kp_start(ctx);

nomem:

    ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_FAILED, "out of memory", NULL);
    return NGX_ERROR;
}


ngx_int_t
ngx_kmip_kp_delete_key(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *id)
{
    u_char             *p;
    ngx_str_t           eid;
    ngx_kmip_kp_ctx_t  *ctx;

    ctx = ngx_kmip_kp_ctx(kp, call, "delete key", "DELETE");
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ngx_kmip_http_escape(call->pool, id, &eid, NULL) != NGX_OK) {
        goto nomem;
    }

    p = ngx_pnalloc(call->pool, sizeof("/api/v2/keys/") - 1 + eid.len);
    if (p == NULL) {
        goto nomem;
    }

    ctx->uri.data = p;
    ctx->uri.len = ngx_sprintf(p, "/api/v2/keys/%V", &eid) - p;
    ctx->prefer = "return=minimal";
    ctx->parse = ngx_kmip_kp_parse_none;

    return ngx_kmip_kp_start(ctx);

nomem:

    ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_FAILED, "out of memory", NULL);
    return NGX_ERROR;
}


ngx_int_t
ngx_kmip_kp_wrap(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *plaintext, ngx_array_t *aad)
{
    u_char             *p;
    yajl_gen            g;
    ngx_str_t           b64;
    ngx_kmip_kp_ctx_t  *ctx;

    ctx = ngx_kmip_kp_ctx(kp, call, "wrap", "POST");
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->root_key = 1;
    ctx->content_type = "application/vnd.ibm.kms.key_action_wrap+json";
    ctx->parse = ngx_kmip_kp_parse_wrap;

    p = ngx_pnalloc(call->pool, sizeof("/api/v2/keys//actions/wrap") - 1
                                + kp->root_key.len);
    if (p == NULL) {
        goto nomem;
    }

    ctx->uri.data = p;
    ctx->uri.len = ngx_sprintf(p, "/api/v2/keys/%V/actions/wrap",
                               &kp->root_key) - p;

    ngx_str_null(&b64);

    if (plaintext
        && ngx_kmip_kp_encode(call->pool, plaintext, &b64) != NGX_OK)
    {
        goto nomem;
    }

    g = ngx_kmip_kp_gen_alloc();
    if (g == NULL) {
        goto nomem;
    }

    yajl_gen_map_open(g);

    if (plaintext) {
        ngx_kmip_kp_gen_str(g, "plaintext");
        ngx_kmip_kp_gen_ngx_str(g, &b64);
    }

    ngx_kmip_kp_gen_aad(g, aad);

    yajl_gen_map_close(g);

    if (ngx_kmip_kp_gen_done(ctx, g) != NGX_OK) {
        goto nomem;
    }

    return ngx_kmip_kp_start(ctx);

nomem:

    ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_FAILED, "out of memory", NULL);
    return NGX_ERROR;
}


ngx_int_t
ngx_kmip_kp_unwrap(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *ciphertext, ngx_array_t *aad)
{
    u_char             *p;
    yajl_gen            g;
    ngx_kmip_kp_ctx_t  *ctx;

    ctx = ngx_kmip_kp_ctx(kp, call, "unwrap", "POST");
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->root_key = 1;
    ctx->content_type = "application/vnd.ibm.kms.key_action_unwrap+json";
    ctx->parse = ngx_kmip_kp_parse_unwrap;

    p = ngx_pnalloc(call->pool, sizeof("/api/v2/keys//actions/unwrap") - 1
                                + kp->root_key.len);
    if (p == NULL) {
        goto nomem;
    }

    ctx->uri.data = p;
    ctx->uri.len = ngx_sprintf(p, "/api/v2/keys/%V/actions/unwrap",
                               &kp->root_key) - p;

    g = ngx_kmip_kp_gen_alloc();
    if (g == NULL) {
        goto nomem;
    }

    yajl_gen_map_open(g);
    ngx_kmip_kp_gen_str(g, "ciphertext");
    ngx_kmip_kp_gen_ngx_str(g, ciphertext);
    ngx_kmip_kp_gen_aad(g, aad);
    yajl_gen_map_close(g);

    if (ngx_kmip_kp_gen_done(ctx, g) != NGX_OK) {
        goto nomem;
    }

    return ngx_kmip_kp_start(ctx);

nomem:

    ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_FAILED, "out of memory", NULL);
    return NGX_ERROR;
}


/* the machinery */

static ngx_kmip_kp_ctx_t *
ngx_kmip_kp_ctx(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    const char *what, const char *method)
{
    ngx_kmip_kp_ctx_t  *ctx;

    call->result = NGX_KMIP_KP_OK;
    call->http_status = 0;
    ngx_str_null(&call->reason_code);
    ngx_str_null(&call->error);
    ngx_str_null(&call->correlation_id);
    call->keys = NULL;
    ngx_str_null(&call->plaintext);
    ngx_str_null(&call->ciphertext);
    ngx_str_null(&call->key_version);

    ctx = ngx_pcalloc(call->pool, sizeof(ngx_kmip_kp_ctx_t));
    if (ctx == NULL) {
        call->result = NGX_KMIP_KP_FAILED;
        ngx_str_set(&call->error, "Key Protect call failed: out of memory");
        return NULL;
    }

    call->priv = ctx;

    ctx->call = call;
    ctx->kp = kp;
    ctx->what = what;
    ctx->method.data = (u_char *) method;
    ctx->method.len = ngx_strlen(method);
    ctx->max_response = NGX_KMIP_KP_MAX_RESPONSE;
    ctx->idempotent = 1;

    if (ngx_kmip_kp_correlation_id(call) != NGX_OK) {
        call->result = NGX_KMIP_KP_FAILED;
        ngx_str_set(&call->error, "Key Protect call failed: out of memory");
        return NULL;
    }

    return ctx;
}


static ngx_int_t
ngx_kmip_kp_start(ngx_kmip_kp_ctx_t *ctx)
{
    ngx_int_t  rc;

    ctx->deadline = ngx_current_msec + ctx->kp->timeout;

    ngx_log_debug4(NGX_LOG_DEBUG_STREAM, ctx->call->log, 0,
                   "kmip kp %s: %V %V, correlation id: %V",
                   ctx->what, &ctx->method, &ctx->uri,
                   &ctx->call->correlation_id);

    rc = ngx_kmip_kp_auth(ctx);

    if (rc == NGX_ERROR) {
        ngx_kmip_kp_log_failure(ctx);
        return NGX_ERROR;
    }

    return NGX_AGAIN;
}


/* NGX_AGAIN, or NGX_ERROR with call->result and call->error set */

static ngx_int_t
ngx_kmip_kp_auth(ngx_kmip_kp_ctx_t *ctx)
{
    ngx_int_t             rc;
    ngx_kmip_iam_wait_t  *w;

    w = &ctx->wait;

    if (w->queued) {
        /* cannot happen: one wait at a time */
        ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_FAILED, "internal error",
                              NULL);
        return NGX_ERROR;
    }

    w->pool = ctx->call->pool;
    w->log = ctx->call->log;
    w->deadline = ctx->deadline;
    w->handler = ngx_kmip_kp_token_handler;
    w->data = ctx;

    rc = ngx_kmip_iam_token(ctx->kp->iam, w);

    switch (rc) {

    case NGX_OK:
        return ngx_kmip_kp_send(ctx);

    case NGX_AGAIN:
        return NGX_AGAIN;

    case NGX_DECLINED:
        ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAUTHORIZED,
                              "no IAM token", &w->error);
        return NGX_ERROR;

    default:
        ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAVAILABLE,
                              "no IAM token", &w->error);
        return NGX_ERROR;
    }
}


static void
ngx_kmip_kp_token_handler(ngx_kmip_iam_wait_t *w)
{
    ngx_kmip_kp_ctx_t *ctx = w->data;

    switch (w->rc) {

    case NGX_OK:
        if (ngx_kmip_kp_send(ctx) == NGX_AGAIN) {
            return;
        }

        break;

    case NGX_DECLINED:
        ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAUTHORIZED,
                              "no IAM token", &w->error);
        break;

    default:
        ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAVAILABLE,
                              "no IAM token", &w->error);
    }

    ngx_kmip_kp_finish(ctx);
}


static ngx_int_t
ngx_kmip_kp_send(ngx_kmip_kp_ctx_t *ctx)
{
    u_char               *p;
    ngx_str_t             v, auth;
    ngx_kmip_kp_t        *kp;
    ngx_kmip_kp_call_t   *call;
    ngx_kmip_http_req_t  *r;

    call = ctx->call;
    kp = ctx->kp;

    r = ngx_kmip_http_create(call->pool, call->log);
    if (r == NULL) {
        goto nomem;
    }

    r->peer = &kp->peer;
    r->method = ctx->method;
    r->uri = ctx->uri;
    r->body = ctx->body;
    r->idempotent = ctx->idempotent;
    r->max_response = ctx->max_response;
    r->handler = ngx_kmip_kp_http_handler;
    r->data = ctx;

    r->timeout = ctx->deadline - ngx_current_msec;
    if ((ngx_msec_int_t) r->timeout <= 0) {
        ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAVAILABLE, "timed out",
                              NULL);
        return NGX_ERROR;
    }

    /* "Bearer <token>": wiped with the pool, as the token itself */

    if (ngx_kmip_kp_secret(call->pool, &auth,
                           sizeof("Bearer ") - 1 + ctx->wait.token.len)
        != NGX_OK)
    {
        goto nomem;
    }

    p = ngx_cpymem(auth.data, "Bearer ", sizeof("Bearer ") - 1);
    p = ngx_cpymem(p, ctx->wait.token.data, ctx->wait.token.len);
    auth.len = p - auth.data;

    if (ngx_kmip_http_add_header(r, "Authorization", &auth) != NGX_OK
        || ngx_kmip_http_add_header(r, "Bluemix-Instance", &kp->instance)
           != NGX_OK
        || ngx_kmip_http_add_header(r, "Correlation-Id",
                                    &call->correlation_id)
           != NGX_OK)
    {
        goto nomem;
    }

    if (kp->key_ring.len
        && ngx_kmip_http_add_header(r, "X-Kms-Key-Ring", &kp->key_ring)
           != NGX_OK)
    {
        goto nomem;
    }

    ngx_str_set(&v, "application/json");

    if (ngx_kmip_http_add_header(r, "Accept", &v) != NGX_OK) {
        goto nomem;
    }

    if (ctx->content_type) {
        v.data = (u_char *) ctx->content_type;
        v.len = ngx_strlen(ctx->content_type);

        if (ngx_kmip_http_add_header(r, "Content-Type", &v) != NGX_OK) {
            goto nomem;
        }
    }

    if (ctx->prefer) {
        v.data = (u_char *) ctx->prefer;
        v.len = ngx_strlen(ctx->prefer);

        if (ngx_kmip_http_add_header(r, "Prefer", &v) != NGX_OK) {
            goto nomem;
        }
    }

    if (ngx_kmip_http_start(r) == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAVAILABLE, "request failed",
                          &r->error);
    return NGX_ERROR;

nomem:

    ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_FAILED, "out of memory", NULL);
    return NGX_ERROR;
}


static void
ngx_kmip_kp_http_handler(ngx_kmip_http_req_t *r)
{
    ngx_kmip_kp_ctx_t *ctx = r->data;

    u_char              buf[64], *p;
    yajl_val            root, v;
    ngx_str_t           reason, detail;
    ngx_uint_t          auth;
    ngx_kmip_kp_call_t *call;

    static const char  *res_path[] = { "resources", NULL };

    call = ctx->call;
    call->http_status = r->status;

    if (r->result != NGX_KMIP_HTTP_OK) {
        switch (r->result) {

        case NGX_KMIP_HTTP_TIMEDOUT:
            p = ngx_snprintf(buf, sizeof(buf), "timed out after %M ms",
                             r->elapsed);
            detail.data = buf;
            detail.len = p - buf;
            ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAVAILABLE, NULL,
                                  &detail);
            break;

        case NGX_KMIP_HTTP_TOO_LARGE:
            ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAVAILABLE,
                                  "response too large", NULL);
            break;

        default:
            ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAVAILABLE,
                                  "connection failed", &r->error);
        }

        ngx_kmip_kp_finish(ctx);
        return;
    }

    root = NULL;

    if (r->response.len) {
        root = yajl_tree_parse((char *) r->response.data, NULL, 0);
    }

    if (r->status >= 200 && r->status < 300) {

        if (ctx->parse(ctx, root) != NGX_OK) {
            ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAVAILABLE,
                                  "malformed response", NULL);
        }

        if (root) {
            ngx_kmip_kp_json_free(root);
        }

        ngx_kmip_kp_finish(ctx);
        return;
    }

    /* an error: is it the token? */

    auth = (r->status == 401);

    if (r->status == 400) {
        ngx_str_null(&reason);

        if (root) {
            v = yajl_tree_get(root, res_path, yajl_t_array);
            if (v && YAJL_GET_ARRAY(v)->len) {
                v = YAJL_GET_ARRAY(v)->values[0];
                if (YAJL_IS_OBJECT(v)) {
                    const char  *rpath[] = { "reasons", NULL };

                    v = yajl_tree_get(v, rpath, yajl_t_array);
                    if (v && YAJL_GET_ARRAY(v)->len) {
                        (void) ngx_kmip_kp_get_str(call->pool,
                                                   YAJL_GET_ARRAY(v)->values[0],
                                                   "code", &reason);
                    }
                }
            }

            if (reason.len == sizeof("BEARER_SUB_EXTRACTION_ERR") - 1
                && ngx_strncmp(reason.data, "BEARER_SUB_EXTRACTION_ERR",
                               reason.len) == 0)
            {
                auth = 1;
            }

        } else if (ngx_strlcasestrn(r->response.data,
                                    r->response.data + r->response.len,
                                    (u_char *) "token is expired",
                                    sizeof("token is expired") - 2)
                   != NULL)
        {
            auth = 1;
        }
    }

    if (auth && !ctx->auth_retried) {
        ctx->auth_retried = 1;

        if (root) {
            ngx_kmip_kp_json_free(root);
        }

        ngx_log_error(NGX_LOG_WARN, call->log, 0,
                      "Key Protect %s: token refused (%ui), refreshing it, "
                      "correlation id: %V", ctx->what, r->status,
                      &call->correlation_id);

        ngx_kmip_iam_invalidate(ctx->kp->iam, ctx->wait.generation);

        if (ngx_kmip_kp_auth(ctx) == NGX_AGAIN) {
            return;
        }

        ngx_kmip_kp_finish(ctx);
        return;
    }

    ngx_kmip_kp_map_error(ctx, r->status, root);

    if (root) {
        ngx_kmip_kp_json_free(root);
    }

    ngx_kmip_kp_finish(ctx);
}


static void
ngx_kmip_kp_map_error(ngx_kmip_kp_ctx_t *ctx, ngx_uint_t status,
    yajl_val root)
{
    yajl_val               v, res;
    ngx_str_t             *reason;
    const char            *cause;
    ngx_kmip_kp_call_t    *call;
    ngx_kmip_kp_result_e   result;

    static const char  *res_path[] = { "resources", NULL };
    static const char  *reasons_path[] = { "reasons", NULL };

    call = ctx->call;
    reason = &call->reason_code;

    if (root) {
        res = yajl_tree_get(root, res_path, yajl_t_array);

        if (res && YAJL_GET_ARRAY(res)->len
            && YAJL_IS_OBJECT(YAJL_GET_ARRAY(res)->values[0]))
        {
            res = YAJL_GET_ARRAY(res)->values[0];
            v = yajl_tree_get(res, reasons_path, yajl_t_array);

            if (v && YAJL_GET_ARRAY(v)->len) {
                (void) ngx_kmip_kp_get_str(call->pool,
                                           YAJL_GET_ARRAY(v)->values[0],
                                           "code", reason);
            }
        }
    }

#define ngx_kmip_kp_reason_is(s)                                             \
    (reason->len == sizeof(s) - 1                                            \
     && ngx_strncmp(reason->data, s, sizeof(s) - 1) == 0)

    switch (status) {

    case 404:
        if (ctx->root_key) {
            result = NGX_KMIP_KP_ROOT_KEY_UNUSABLE;
            cause = "root key not found";

        } else {
            result = NGX_KMIP_KP_NOT_FOUND;
            cause = "key not found";
        }

        break;

    case 410:
        if (ctx->root_key) {
            result = NGX_KMIP_KP_ROOT_KEY_UNUSABLE;
            cause = "root key deleted";

        } else {
            result = NGX_KMIP_KP_GONE;
            cause = "key deleted";
        }

        break;

    case 409:
        if (ctx->root_key
            && ngx_kmip_kp_reason_is("KEY_ACTION_INVALID_STATE_ERR"))
        {
            result = NGX_KMIP_KP_ROOT_KEY_UNUSABLE;
            cause = "root key not active";

        } else {
            result = NGX_KMIP_KP_CONFLICT;
            cause = "conflict";
        }

        break;

    case 422:
        if (ctx->root_key) {
            result = NGX_KMIP_KP_BAD_CIPHERTEXT;
            cause = "ciphertext rejected";

        } else {
            result = NGX_KMIP_KP_FAILED;
            cause = "request rejected";
        }

        break;

    case 401:
        result = NGX_KMIP_KP_UNAUTHORIZED;
        cause = "not authorized";
        break;

    case 403:
        result = NGX_KMIP_KP_UNAUTHORIZED;
        cause = "access denied";
        break;

    case 429:
        result = NGX_KMIP_KP_UNAVAILABLE;
        cause = "rate limited";
        break;

    default:
        if (status >= 500) {
            result = NGX_KMIP_KP_UNAVAILABLE;
            cause = "service error";

        } else if (ctx->root_key && ngx_kmip_kp_reason_is("KEY_ROOT_REQ_ERR"))
        {
            result = NGX_KMIP_KP_FAILED;
            cause = "the configured root key is not a root key";

        } else if (ngx_kmip_kp_reason_is("KEY_ALIAS_NOT_UNIQUE_ERR")) {
            result = NGX_KMIP_KP_CONFLICT;
            cause = "alias in use";

        } else {
            result = NGX_KMIP_KP_FAILED;
            cause = "request refused";
        }
    }

#undef ngx_kmip_kp_reason_is

    ngx_kmip_kp_set_error(ctx, result, cause, NULL);
}


/*
 * "Key Protect unwrap failed: root key deleted (KEY_DELETED_ERR, 410)";
 * detail, when given, follows the cause after ": "
 */

static void
ngx_kmip_kp_set_error(ngx_kmip_kp_ctx_t *ctx, ngx_kmip_kp_result_e result,
    const char *cause, ngx_str_t *detail)
{
    u_char              *p, *last;
    size_t               len;
    ngx_kmip_kp_call_t  *call;

    call = ctx->call;
    call->result = result;

    len = 512 + (detail ? detail->len : 0);

    p = ngx_pnalloc(call->pool, len);
    if (p == NULL) {
        ngx_str_set(&call->error, "Key Protect call failed");
        return;
    }

    call->error.data = p;
    last = p + len;

    p = ngx_slprintf(p, last, "Key Protect %s failed: ", ctx->what);

    if (cause) {
        p = ngx_slprintf(p, last, "%s", cause);
    }

    if (detail && detail->len) {
        p = ngx_slprintf(p, last, "%s%V", cause ? ": " : "", detail);
    }

    if (call->reason_code.len && call->http_status) {
        p = ngx_slprintf(p, last, " (%V, %ui)", &call->reason_code,
                         call->http_status);

    } else if (call->http_status) {
        p = ngx_slprintf(p, last, " (%ui)", call->http_status);
    }

    call->error.len = p - call->error.data;
}


static void
ngx_kmip_kp_log_failure(ngx_kmip_kp_ctx_t *ctx)
{
    ngx_kmip_kp_call_t  *call;

    call = ctx->call;

    ngx_log_error(NGX_LOG_ERR, call->log, 0,
                  "%V, request: %V %V, correlation id: %V",
                  &call->error, &ctx->method, &ctx->uri,
                  &call->correlation_id);
}


static void
ngx_kmip_kp_finish(ngx_kmip_kp_ctx_t *ctx)
{
    ngx_kmip_kp_call_t  *call;

    call = ctx->call;

    if (call->result != NGX_KMIP_KP_OK) {
        ngx_kmip_kp_log_failure(ctx);

    } else {
        ngx_log_debug3(NGX_LOG_DEBUG_STREAM, call->log, 0,
                       "kmip kp %s: %ui, correlation id: %V", ctx->what,
                       call->http_status, &call->correlation_id);
    }

    call->handler(call);
}


/* responses */

static ngx_int_t
ngx_kmip_kp_parse_keys(ngx_kmip_kp_ctx_t *ctx, yajl_val root)
{
    size_t               i;
    yajl_val             res;
    ngx_kmip_kp_key_t   *key;
    ngx_kmip_kp_call_t  *call;

    static const char  *res_path[] = { "resources", NULL };

    call = ctx->call;

    if (root == NULL || !YAJL_IS_OBJECT(root)) {
        return NGX_ERROR;
    }

    call->keys = ngx_array_create(call->pool, 4, sizeof(ngx_kmip_kp_key_t));
    if (call->keys == NULL) {
        return NGX_ERROR;
    }

    /* an empty list has no "resources" */

    res = yajl_tree_get(root, res_path, yajl_t_any);
    if (res == NULL) {
        return NGX_OK;
    }

    if (!YAJL_IS_ARRAY(res)) {
        return NGX_ERROR;
    }

    for (i = 0; i < YAJL_GET_ARRAY(res)->len; i++) {
        key = ngx_array_push(call->keys);
        if (key == NULL) {
            return NGX_ERROR;
        }

        if (ngx_kmip_kp_parse_key(ctx, YAJL_GET_ARRAY(res)->values[i], key)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_kp_parse_created(ngx_kmip_kp_ctx_t *ctx, yajl_val root)
{
    if (ngx_kmip_kp_parse_keys(ctx, root) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->call->keys->nelts != 1) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_kp_parse_none(ngx_kmip_kp_ctx_t *ctx, yajl_val root)
{
    if (root && YAJL_IS_OBJECT(root)) {
        return ngx_kmip_kp_parse_keys(ctx, root);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_kp_parse_key(ngx_kmip_kp_ctx_t *ctx, yajl_val v,
    ngx_kmip_kp_key_t *key)
{
    size_t         i;
    yajl_val       f;
    ngx_str_t     *alias;
    ngx_pool_t    *pool;

    static const char  *state_path[] = { "state", NULL };
    static const char  *extractable_path[] = { "extractable", NULL };
    static const char  *deleted_path[] = { "deleted", NULL };
    static const char  *aliases_path[] = { "aliases", NULL };
    static const char  *created_path[] = { "creationDate", NULL };
    static const char  *deleted_date_path[] = { "deletionDate", NULL };
    static const char  *payload_path[] = { "payload", NULL };

    pool = ctx->call->pool;

    ngx_memzero(key, sizeof(ngx_kmip_kp_key_t));

    if (!YAJL_IS_OBJECT(v)) {
        return NGX_ERROR;
    }

    if (ngx_kmip_kp_get_str(pool, v, "id", &key->id) != NGX_OK
        || key->id.len == 0)
    {
        return NGX_ERROR;
    }

    if (ngx_kmip_kp_get_str(pool, v, "name", &key->name) == NGX_ERROR
        || ngx_kmip_kp_get_str(pool, v, "description", &key->description)
           == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    f = yajl_tree_get(v, state_path, yajl_t_number);
    key->state = (f && YAJL_IS_INTEGER(f)) ? (ngx_int_t) YAJL_GET_INTEGER(f)
                                           : NGX_KMIP_KP_STATE_ACTIVE;

    f = yajl_tree_get(v, extractable_path, yajl_t_any);
    key->extractable = (f && YAJL_IS_TRUE(f));

    f = yajl_tree_get(v, deleted_path, yajl_t_any);
    key->deleted = (f && YAJL_IS_TRUE(f))
                   || key->state == NGX_KMIP_KP_STATE_DESTROYED;

    key->creation_date = ngx_kmip_kp_parse_date(
                             yajl_tree_get(v, created_path, yajl_t_string));
    key->deletion_date = ngx_kmip_kp_parse_date(
                             yajl_tree_get(v, deleted_date_path,
                                           yajl_t_string));

    f = yajl_tree_get(v, aliases_path, yajl_t_array);
    if (f && YAJL_GET_ARRAY(f)->len) {
        key->aliases = ngx_array_create(pool, YAJL_GET_ARRAY(f)->len,
                                        sizeof(ngx_str_t));
        if (key->aliases == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < YAJL_GET_ARRAY(f)->len; i++) {
            alias = ngx_array_push(key->aliases);
            if (alias == NULL) {
                return NGX_ERROR;
            }

            if (ngx_kmip_kp_copy(pool, YAJL_GET_ARRAY(f)->values[i], alias)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    f = yajl_tree_get(v, payload_path, yajl_t_string);
    if (f && ngx_kmip_kp_decode(pool, f, &key->payload) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_kp_parse_wrap(ngx_kmip_kp_ctx_t *ctx, yajl_val root)
{
    yajl_val             f;
    ngx_kmip_kp_call_t  *call;

    static const char  *ct_path[] = { "ciphertext", NULL };
    static const char  *pt_path[] = { "plaintext", NULL };
    static const char  *ver_path[] = { "keyVersion", "id", NULL };

    call = ctx->call;

    if (root == NULL || !YAJL_IS_OBJECT(root)) {
        return NGX_ERROR;
    }

    f = yajl_tree_get(root, ct_path, yajl_t_string);
    if (f == NULL || ngx_kmip_kp_copy(call->pool, f, &call->ciphertext)
                     != NGX_OK
        || call->ciphertext.len == 0)
    {
        return NGX_ERROR;
    }

    f = yajl_tree_get(root, pt_path, yajl_t_string);
    if (f && ngx_kmip_kp_decode(call->pool, f, &call->plaintext) != NGX_OK) {
        return NGX_ERROR;
    }

    f = yajl_tree_get(root, ver_path, yajl_t_string);
    if (f && ngx_kmip_kp_copy(call->pool, f, &call->key_version) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_kp_parse_unwrap(ngx_kmip_kp_ctx_t *ctx, yajl_val root)
{
    yajl_val             f;
    ngx_kmip_kp_call_t  *call;

    static const char  *ct_path[] = { "ciphertext", NULL };
    static const char  *pt_path[] = { "plaintext", NULL };
    static const char  *ver_path[] = { "keyVersion", "id", NULL };
    static const char  *rver_path[] = { "rewrappedKeyVersion", "id", NULL };

    call = ctx->call;

    if (root == NULL || !YAJL_IS_OBJECT(root)) {
        return NGX_ERROR;
    }

    f = yajl_tree_get(root, pt_path, yajl_t_string);
    if (f == NULL
        || ngx_kmip_kp_decode(call->pool, f, &call->plaintext) != NGX_OK)
    {
        return NGX_ERROR;
    }

    f = yajl_tree_get(root, ct_path, yajl_t_string);
    if (f && ngx_kmip_kp_copy(call->pool, f, &call->ciphertext) != NGX_OK) {
        return NGX_ERROR;
    }

    f = NULL;

    if (call->ciphertext.len) {
        f = yajl_tree_get(root, rver_path, yajl_t_string);
    }

    if (f == NULL) {
        f = yajl_tree_get(root, ver_path, yajl_t_string);
    }

    if (f && ngx_kmip_kp_copy(call->pool, f, &call->key_version) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* helpers */

static ngx_int_t
ngx_kmip_kp_copy(ngx_pool_t *pool, yajl_val v, ngx_str_t *dst)
{
    size_t  len;

    if (v == NULL || !YAJL_IS_STRING(v)) {
        return NGX_ERROR;
    }

    len = ngx_strlen(v->u.string);

    dst->data = ngx_pnalloc(pool, len + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, v->u.string, len + 1);
    dst->len = len;

    return NGX_OK;
}


/* NGX_OK, NGX_DECLINED (absent) or NGX_ERROR (not a string, memory) */

static ngx_int_t
ngx_kmip_kp_get_str(ngx_pool_t *pool, yajl_val obj, const char *name,
    ngx_str_t *dst)
{
    yajl_val     v;
    const char  *path[2];

    ngx_str_null(dst);

    if (obj == NULL || !YAJL_IS_OBJECT(obj)) {
        return NGX_DECLINED;
    }

    path[0] = name;
    path[1] = NULL;

    v = yajl_tree_get(obj, path, yajl_t_any);
    if (v == NULL || YAJL_IS_NULL(v)) {
        return NGX_DECLINED;
    }

    return ngx_kmip_kp_copy(pool, v, dst);
}


static ngx_int_t
ngx_kmip_kp_decode(ngx_pool_t *pool, yajl_val v, ngx_str_t *dst)
{
    ngx_str_t  src;

    src.data = (u_char *) v->u.string;
    src.len = ngx_strlen(v->u.string);

    if (ngx_kmip_kp_secret(pool, dst, ngx_base64_decoded_length(src.len) + 1)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_decode_base64(dst, &src) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_kp_encode(ngx_pool_t *pool, ngx_str_t *src, ngx_str_t *dst)
{
    if (ngx_kmip_kp_secret(pool, dst, ngx_base64_encoded_length(src->len) + 1)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_encode_base64(dst, src);

    return NGX_OK;
}


/* "2020-03-12T03:37:32Z", "2020-03-12T03:37:32.52Z"; 0 if absent or bad */

static time_t
ngx_kmip_kp_parse_date(yajl_val v)
{
    u_char      *p;
    size_t       len;
    ngx_int_t    y, mo, d, h, mi, s;
    ngx_int_t    yy, era, yoe, doy, doe, days;

    if (v == NULL || !YAJL_IS_STRING(v)) {
        return 0;
    }

    p = (u_char *) v->u.string;
    len = ngx_strlen(p);

    if (len < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T'
        || p[13] != ':' || p[16] != ':')
    {
        return 0;
    }

    y = ngx_atoi(p, 4);
    mo = ngx_atoi(p + 5, 2);
    d = ngx_atoi(p + 8, 2);
    h = ngx_atoi(p + 11, 2);
    mi = ngx_atoi(p + 14, 2);
    s = ngx_atoi(p + 17, 2);

    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23
        || mi < 0 || mi > 59 || s < 0 || s > 60)
    {
        return 0;
    }

    /* days from civil (H. Hinnant) */

    yy = y - (mo <= 2);
    era = yy / 400;
    yoe = yy - era * 400;
    doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;

    return (time_t) days * 86400 + h * 3600 + mi * 60 + s;
}


static ngx_int_t
ngx_kmip_kp_secret(ngx_pool_t *pool, ngx_str_t *s, size_t size)
{
    ngx_pool_cleanup_t    *cln;
    ngx_kmip_kp_secret_t  *sec;

    cln = ngx_pool_cleanup_add(pool, sizeof(ngx_kmip_kp_secret_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    sec = cln->data;
    sec->size = 0;
    sec->data = NULL;
    cln->handler = ngx_kmip_kp_secret_cleanup;

    s->data = ngx_pnalloc(pool, size);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    s->len = 0;
    sec->data = s->data;
    sec->size = size;

    return NGX_OK;
}


static void
ngx_kmip_kp_secret_cleanup(void *data)
{
    ngx_kmip_kp_secret_t *sec = data;

    if (sec->data) {
        OPENSSL_cleanse(sec->data, sec->size);
    }
}


static ngx_int_t
ngx_kmip_kp_correlation_id(ngx_kmip_kp_call_t *call)
{
    u_char  b[16], *p;

    if (RAND_bytes(b, sizeof(b)) != 1) {
        ngx_log_error(NGX_LOG_ALERT, call->log, 0, "RAND_bytes() failed");
        return NGX_ERROR;
    }

    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;

    p = ngx_pnalloc(call->pool, 36);
    if (p == NULL) {
        return NGX_ERROR;
    }

    call->correlation_id.data = p;

    p = ngx_hex_dump(p, b, 4);
    *p++ = '-';
    p = ngx_hex_dump(p, b + 4, 2);
    *p++ = '-';
    p = ngx_hex_dump(p, b + 6, 2);
    *p++ = '-';
    p = ngx_hex_dump(p, b + 8, 2);
    *p++ = '-';
    p = ngx_hex_dump(p, b + 10, 6);

    call->correlation_id.len = p - call->correlation_id.data;

    return NGX_OK;
}


static void
ngx_kmip_kp_json_free(yajl_val v)
{
    ngx_kmip_kp_json_wipe(v);
    yajl_tree_free(v);
}


static void
ngx_kmip_kp_json_wipe(yajl_val v)
{
    size_t  i;

    if (v == NULL) {
        return;
    }

    if (YAJL_IS_STRING(v)) {
        OPENSSL_cleanse(v->u.string, ngx_strlen(v->u.string));

    } else if (YAJL_IS_OBJECT(v)) {
        for (i = 0; i < v->u.object.len; i++) {
            ngx_kmip_kp_json_wipe(v->u.object.values[i]);
        }

    } else if (YAJL_IS_ARRAY(v)) {
        for (i = 0; i < v->u.array.len; i++) {
            ngx_kmip_kp_json_wipe(v->u.array.values[i]);
        }
    }
}


/* JSON generation: a wiping allocator, then a copy into a pool secret */

static yajl_gen
ngx_kmip_kp_gen_alloc(void)
{
    return yajl_gen_alloc(&ngx_kmip_kp_alloc_funcs);
}


static ngx_int_t
ngx_kmip_kp_gen_done(ngx_kmip_kp_ctx_t *ctx, yajl_gen g)
{
    size_t                len;
    ngx_int_t             rc;
    const unsigned char  *buf;

    rc = NGX_ERROR;

    if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok
        && ngx_kmip_kp_secret(ctx->call->pool, &ctx->body, len + 1)
           == NGX_OK)
    {
        ngx_memcpy(ctx->body.data, buf, len);
        ctx->body.data[len] = '\0';
        ctx->body.len = len;
        rc = NGX_OK;
    }

    yajl_gen_free(g);

    return rc;
}


static void
ngx_kmip_kp_gen_str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *) s, ngx_strlen(s));
}


static void
ngx_kmip_kp_gen_ngx_str(yajl_gen g, ngx_str_t *s)
{
    yajl_gen_string(g, s->data ? s->data : (u_char *) "", s->len);
}


static void
ngx_kmip_kp_gen_aad(yajl_gen g, ngx_array_t *aad)
{
    ngx_str_t   *a;
    ngx_uint_t   i;

    if (aad == NULL || aad->nelts == 0) {
        return;
    }

    ngx_kmip_kp_gen_str(g, "aad");
    yajl_gen_array_open(g);

    a = aad->elts;
    for (i = 0; i < aad->nelts; i++) {
        ngx_kmip_kp_gen_ngx_str(g, &a[i]);
    }

    yajl_gen_array_close(g);
}


#define NGX_KMIP_KP_ALLOC_HEADER  16


static void *
ngx_kmip_kp_malloc(void *ctx, size_t size)
{
    u_char  *p;

    p = malloc(size + NGX_KMIP_KP_ALLOC_HEADER);
    if (p == NULL) {
        return NULL;
    }

    *(size_t *) p = size;

    return p + NGX_KMIP_KP_ALLOC_HEADER;
}


static void *
ngx_kmip_kp_realloc(void *ctx, void *ptr, size_t size)
{
    u_char  *p;
    size_t   old;

    p = ngx_kmip_kp_malloc(ctx, size);

    if (p == NULL || ptr == NULL) {
        return p;
    }

    old = *(size_t *) ((u_char *) ptr - NGX_KMIP_KP_ALLOC_HEADER);
    ngx_memcpy(p, ptr, ngx_min(old, size));

    ngx_kmip_kp_free(ctx, ptr);

    return p;
}


static void
ngx_kmip_kp_free(void *ctx, void *ptr)
{
    u_char  *p;

    if (ptr == NULL) {
        return;
    }

    p = (u_char *) ptr - NGX_KMIP_KP_ALLOC_HEADER;

    OPENSSL_cleanse(p, *(size_t *) p + NGX_KMIP_KP_ALLOC_HEADER);
    free(p);
}
