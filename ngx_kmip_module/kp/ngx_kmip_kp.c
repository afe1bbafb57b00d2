
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <yajl/yajl_gen.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ngx_kmip_kp_conf.h"
#include "ngx_kmip_kp_json.h"


#define NGX_KMIP_KP_KEY_TYPE        "application/vnd.ibm.kms.key+json"
#define NGX_KMIP_KP_MAX_RESPONSE    (1024 * 1024)
#define NGX_KMIP_KP_MAX_LIST        (32 * 1024 * 1024)
#define NGX_KMIP_KP_HTTP_POOL_SIZE  4096


typedef struct ngx_kmip_kp_ctx_s  ngx_kmip_kp_ctx_t;

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
    ngx_kmip_kp_json_kind_e     kind;           /* of a 2xx body */

    ngx_msec_t                  deadline;
    ngx_msec_t                  start;          /* for the metrics */
    ngx_kmip_iam_wait_t         wait;
    ngx_pool_t                 *http_pool;      /* the attempt's */
    ngx_pool_cleanup_t         *http_cln;       /* in the call's pool */

    unsigned                    idempotent:1;
    unsigned                    root_key:1;     /* errors name the CRK */
    unsigned                    auth_retried:1;
};


typedef struct {
    u_char                     *data;
    size_t                      size;
} ngx_kmip_kp_secret_t;


/* set by the metrics (ngx_stream_kmip_operator.c); NULL: none */
ngx_kmip_kp_observer_pt  ngx_kmip_kp_observer;


static ngx_kmip_kp_ctx_t *ngx_kmip_kp_ctx(ngx_kmip_kp_t *kp,
    ngx_kmip_kp_call_t *call, const char *what, const char *method);
static ngx_int_t ngx_kmip_kp_key_call(ngx_kmip_kp_t *kp,
    ngx_kmip_kp_call_t *call, const char *what, const char *method,
    ngx_str_t *id, ngx_str_t *alias, ngx_kmip_kp_json_kind_e kind,
    const char *prefer);
static ngx_int_t ngx_kmip_kp_root_action(ngx_kmip_kp_t *kp,
    ngx_kmip_kp_call_t *call, const char *action,
    ngx_kmip_kp_json_kind_e kind, const char *name, ngx_str_t *value,
    ngx_array_t *aad);
static ngx_int_t ngx_kmip_kp_start(ngx_kmip_kp_ctx_t *ctx);
static ngx_int_t ngx_kmip_kp_auth(ngx_kmip_kp_ctx_t *ctx);
static void ngx_kmip_kp_token_handler(ngx_kmip_iam_wait_t *w);
static ngx_int_t ngx_kmip_kp_send(ngx_kmip_kp_ctx_t *ctx);
static void ngx_kmip_kp_http_handler(ngx_kmip_http_req_t *r);
static void ngx_kmip_kp_http_release(ngx_kmip_kp_ctx_t *ctx);
static void ngx_kmip_kp_http_cleanup(void *data);
static void ngx_kmip_kp_map_error(ngx_kmip_kp_ctx_t *ctx, ngx_uint_t status,
    ngx_str_t *reason);
static ngx_uint_t ngx_kmip_kp_reason_is(ngx_str_t *reason, const char *code);
static void ngx_kmip_kp_set_error(ngx_kmip_kp_ctx_t *ctx,
    ngx_kmip_kp_result_e result, const char *cause, ngx_str_t *detail);
static ngx_int_t ngx_kmip_kp_nomem(ngx_kmip_kp_ctx_t *ctx);
static void ngx_kmip_kp_log_failure(ngx_kmip_kp_ctx_t *ctx);
static void ngx_kmip_kp_finish(ngx_kmip_kp_ctx_t *ctx);

static ngx_int_t ngx_kmip_kp_parse(ngx_kmip_kp_ctx_t *ctx, ngx_str_t *body);
static void *ngx_kmip_kp_json_alloc(void *data, size_t size);
static void *ngx_kmip_kp_json_secret(void *data, size_t size);
static void ngx_kmip_kp_secret_cleanup(void *data);
static ngx_int_t ngx_kmip_kp_encode(ngx_pool_t *pool, ngx_str_t *src,
    ngx_str_t *dst);
static ngx_int_t ngx_kmip_kp_correlation_id(ngx_kmip_kp_call_t *call);
static uint32_t ngx_kmip_kp_crc2(ngx_str_t *a, ngx_str_t *b);

static yajl_gen ngx_kmip_kp_gen_alloc(void);
static ngx_int_t ngx_kmip_kp_gen_done(ngx_kmip_kp_ctx_t *ctx, yajl_gen g);
static void ngx_kmip_kp_gen_str(yajl_gen g, const char *s);
static void ngx_kmip_kp_gen_ngx_str(yajl_gen g, ngx_str_t *s);
static void ngx_kmip_kp_gen_strs(yajl_gen g, const char *key,
    ngx_array_t *strs);


/* generated bodies hold key material: wiped when yajl frees them */

static yajl_alloc_funcs  ngx_kmip_kp_alloc_funcs = {
    ngx_kmip_kp_json_malloc,
    ngx_kmip_kp_json_realloc,
    ngx_kmip_kp_json_free,
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


/*
 * What a status of Key Protect means: for a call on the root key (its
 * failures are the operator's to fix), when its reason code is root_reason
 * or root_reason is NULL; otherwise, for the key called on.
 */

typedef struct {
    ngx_uint_t                  status;
    const char                 *root_reason;
    ngx_kmip_kp_result_e        root_result;
    const char                 *root_cause;
    ngx_kmip_kp_result_e        result;
    const char                 *cause;
} ngx_kmip_kp_status_t;


static const ngx_kmip_kp_status_t  ngx_kmip_kp_statuses[] = {
    { 404, NULL, NGX_KMIP_KP_ROOT_KEY_UNUSABLE, "root key not found",
      NGX_KMIP_KP_NOT_FOUND, "key not found" },
    { 410, NULL, NGX_KMIP_KP_ROOT_KEY_UNUSABLE, "root key deleted",
      NGX_KMIP_KP_GONE, "key deleted" },
    { 409, "KEY_ACTION_INVALID_STATE_ERR",
      NGX_KMIP_KP_ROOT_KEY_UNUSABLE, "root key not active",
      NGX_KMIP_KP_CONFLICT, "conflict" },
    { 422, NULL, NGX_KMIP_KP_BAD_CIPHERTEXT, "ciphertext rejected",
      NGX_KMIP_KP_FAILED, "request rejected" },
    { 401, NULL, NGX_KMIP_KP_UNAUTHORIZED, "not authorized",
      NGX_KMIP_KP_UNAUTHORIZED, "not authorized" },
    { 403, NULL, NGX_KMIP_KP_UNAUTHORIZED, "access denied",
      NGX_KMIP_KP_UNAUTHORIZED, "access denied" },
    { 429, NULL, NGX_KMIP_KP_UNAVAILABLE, "rate limited",
      NGX_KMIP_KP_UNAVAILABLE, "rate limited" }
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


ngx_msec_t
ngx_kmip_kp_timeout(ngx_kmip_kp_t *kp)
{
    return kp->timeout;
}


/* two names, as a number: which keys a configuration addresses */

static uint32_t
ngx_kmip_kp_crc2(ngx_str_t *a, ngx_str_t *b)
{
    uint32_t  crc;

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, a->data, a->len);
    ngx_crc32_update(&crc, (u_char *) "\n", 1);
    ngx_crc32_update(&crc, b->data, b->len);
    ngx_crc32_final(crc);

    return crc;
}


uint32_t
ngx_kmip_kp_root_keyspace(ngx_kmip_kp_t *kp)
{
    return ngx_kmip_kp_crc2(&kp->instance, &kp->root_key);
}


uint32_t
ngx_kmip_kp_keyspace(ngx_kmip_kp_t *kp)
{
    return ngx_kmip_kp_crc2(&kp->instance, &kp->key_ring);
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
    yajl_gen            g;
    ngx_str_t           b64;
    ngx_kmip_kp_ctx_t  *ctx;

    ctx = ngx_kmip_kp_ctx(kp, call, "create key", "POST");
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&ctx->uri, "/api/v2/keys");
    ctx->content_type = NGX_KMIP_KP_KEY_TYPE;
    ctx->prefer = "return=representation";
    ctx->kind = NGX_KMIP_KP_JSON_CREATED;
    ctx->idempotent = 0;

    ngx_str_null(&b64);

    if (payload && payload->len) {
        if (ngx_kmip_kp_encode(call->pool, payload, &b64) != NGX_OK) {
            return ngx_kmip_kp_nomem(ctx);
        }
    }

    g = ngx_kmip_kp_gen_alloc();
    if (g == NULL) {
        return ngx_kmip_kp_nomem(ctx);
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

    ngx_kmip_kp_gen_strs(g, "aliases", aliases);

    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);

    if (ngx_kmip_kp_gen_done(ctx, g) != NGX_OK) {
        return ngx_kmip_kp_nomem(ctx);
    }

    return ngx_kmip_kp_start(ctx);
}


ngx_int_t
ngx_kmip_kp_get_key(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *id)
{
    return ngx_kmip_kp_key_call(kp, call, "get key", "GET", id, NULL,
                                NGX_KMIP_KP_JSON_KEYS, NULL);
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
        return ngx_kmip_kp_nomem(ctx);
    }

    if (states && states->len
        && ngx_kmip_http_escape(call->pool, states, &estates, ",")
           != NGX_OK)
    {
        return ngx_kmip_kp_nomem(ctx);
    }

    len = sizeof("/api/v2/keys?limit=&offset=&search=&state=") - 1
          + 2 * NGX_INT_T_LEN + esearch.len + estates.len;

    p = ngx_pnalloc(call->pool, len);
    if (p == NULL) {
        return ngx_kmip_kp_nomem(ctx);
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
    ctx->kind = NGX_KMIP_KP_JSON_KEYS;

    ctx->max_response = 64 * 1024 + limit * 4096;
    if (ctx->max_response > NGX_KMIP_KP_MAX_LIST) {
        ctx->max_response = NGX_KMIP_KP_MAX_LIST;
    }

    return ngx_kmip_kp_start(ctx);
}


ngx_int_t
ngx_kmip_kp_delete_key(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *id)
{
    return ngx_kmip_kp_key_call(kp, call, "delete key", "DELETE", id, NULL,
                                NGX_KMIP_KP_JSON_NONE, "return=minimal");
}


ngx_int_t
ngx_kmip_kp_create_alias(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *id, ngx_str_t *alias)
{
    return ngx_kmip_kp_key_call(kp, call, "create alias", "POST", id, alias,
                                NGX_KMIP_KP_JSON_ALIAS, NULL);
}


ngx_int_t
ngx_kmip_kp_wrap(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *plaintext, ngx_array_t *aad)
{
    ngx_str_t  b64;

    if (plaintext == NULL) {
        /* Key Protect generates 32 bytes and returns them wrapped */
        return ngx_kmip_kp_root_action(kp, call, "wrap",
                                       NGX_KMIP_KP_JSON_WRAP, NULL, NULL,
                                       aad);
    }

    if (ngx_kmip_kp_encode(call->pool, plaintext, &b64) != NGX_OK) {
        call->result = NGX_KMIP_KP_FAILED;
        ngx_str_set(&call->error, "Key Protect wrap failed: out of memory");
        return NGX_ERROR;
    }

    return ngx_kmip_kp_root_action(kp, call, "wrap", NGX_KMIP_KP_JSON_WRAP,
                                   "plaintext", &b64, aad);
}


ngx_int_t
ngx_kmip_kp_unwrap(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *ciphertext, ngx_array_t *aad)
{
    return ngx_kmip_kp_root_action(kp, call, "unwrap",
                                   NGX_KMIP_KP_JSON_UNWRAP, "ciphertext",
                                   ciphertext, aad);
}


/*
 * a call on one key, without a body: /api/v2/keys/{id}, or with an alias,
 * /api/v2/keys/{id}/aliases/{alias}
 */

static ngx_int_t
ngx_kmip_kp_key_call(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    const char *what, const char *method, ngx_str_t *id, ngx_str_t *alias,
    ngx_kmip_kp_json_kind_e kind, const char *prefer)
{
    u_char             *p;
    ngx_str_t           eid, ealias;
    ngx_kmip_kp_ctx_t  *ctx;

    ctx = ngx_kmip_kp_ctx(kp, call, what, method);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_str_null(&ealias);

    if (ngx_kmip_http_escape(call->pool, id, &eid, NULL) != NGX_OK
        || (alias
            && ngx_kmip_http_escape(call->pool, alias, &ealias, NULL)
               != NGX_OK))
    {
        return ngx_kmip_kp_nomem(ctx);
    }

    p = ngx_pnalloc(call->pool, sizeof("/api/v2/keys//aliases/") - 1
                                + eid.len + ealias.len);
    if (p == NULL) {
        return ngx_kmip_kp_nomem(ctx);
    }

    ctx->uri.data = p;

    p = ngx_sprintf(p, "/api/v2/keys/%V", &eid);

    if (alias) {
        p = ngx_sprintf(p, "/aliases/%V", &ealias);
    }

    ctx->uri.len = p - ctx->uri.data;
    ctx->prefer = prefer;
    ctx->kind = kind;

    return ngx_kmip_kp_start(ctx);
}


/*
 * POST /api/v2/keys/{root key}/actions/{action} with a body of one field
 * (none when name is NULL) and the AAD
 */

static ngx_int_t
ngx_kmip_kp_root_action(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    const char *action, ngx_kmip_kp_json_kind_e kind, const char *name,
    ngx_str_t *value, ngx_array_t *aad)
{
    u_char             *p;
    size_t              len;
    yajl_gen            g;
    ngx_kmip_kp_ctx_t  *ctx;

    ctx = ngx_kmip_kp_ctx(kp, call, action, "POST");
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->root_key = 1;
    ctx->kind = kind;

    len = ngx_strlen(action);

    p = ngx_pnalloc(call->pool,
                    sizeof("application/vnd.ibm.kms.key_action_+json") + len);
    if (p == NULL) {
        return ngx_kmip_kp_nomem(ctx);
    }

    *ngx_sprintf(p, "application/vnd.ibm.kms.key_action_%s+json", action)
        = '\0';
    ctx->content_type = (const char *) p;

    p = ngx_pnalloc(call->pool, sizeof("/api/v2/keys//actions/") - 1
                                + kp->root_key.len + len);
    if (p == NULL) {
        return ngx_kmip_kp_nomem(ctx);
    }

    ctx->uri.data = p;
    ctx->uri.len = ngx_sprintf(p, "/api/v2/keys/%V/actions/%s",
                               &kp->root_key, action) - p;

    g = ngx_kmip_kp_gen_alloc();
    if (g == NULL) {
        return ngx_kmip_kp_nomem(ctx);
    }

    yajl_gen_map_open(g);

    if (name) {
        ngx_kmip_kp_gen_str(g, name);
        ngx_kmip_kp_gen_ngx_str(g, value);
    }

    ngx_kmip_kp_gen_strs(g, "aad", aad);

    yajl_gen_map_close(g);

    if (ngx_kmip_kp_gen_done(ctx, g) != NGX_OK) {
        return ngx_kmip_kp_nomem(ctx);
    }

    return ngx_kmip_kp_start(ctx);
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
    ctx->start = ngx_current_msec;

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

    /*
     * The HTTP request, its header lines and the "Bearer" value live in a
     * pool of their own, destroyed (wiped) once the answer is parsed into
     * the call: a request of many calls does not keep them all.
     */

    ctx->http_cln = ngx_pool_cleanup_add(call->pool, 0);
    if (ctx->http_cln == NULL) {
        goto nomem;
    }

    ctx->http_pool = ngx_create_pool(NGX_KMIP_KP_HTTP_POOL_SIZE, call->log);
    if (ctx->http_pool == NULL) {
        goto nomem;
    }

    ctx->http_cln->handler = ngx_kmip_kp_http_cleanup;
    ctx->http_cln->data = ctx;

    r = ngx_kmip_http_create(ctx->http_pool, call->log);
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
        ngx_kmip_kp_http_release(ctx);
        return NGX_ERROR;
    }

    /* "Bearer <token>": wiped with the pool, as the token itself */

    if (ngx_kmip_kp_secret(ctx->http_pool, &auth,
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
    ngx_kmip_kp_http_release(ctx);
    return NGX_ERROR;

nomem:

    ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_FAILED, "out of memory", NULL);
    ngx_kmip_kp_http_release(ctx);
    return NGX_ERROR;
}


/* the attempt's pool goes: its transfer, response and header lines */

static void
ngx_kmip_kp_http_release(ngx_kmip_kp_ctx_t *ctx)
{
    if (ctx->http_cln) {
        ctx->http_cln->handler = NULL;
        ctx->http_cln = NULL;
    }

    if (ctx->http_pool) {
        ngx_destroy_pool(ctx->http_pool);
        ctx->http_pool = NULL;
    }
}


/* the call's pool goes first (the client left): the attempt's goes too */

static void
ngx_kmip_kp_http_cleanup(void *data)
{
    ngx_kmip_kp_ctx_t *ctx = data;

    ctx->http_cln = NULL;
    ngx_kmip_kp_http_release(ctx);
}


static void
ngx_kmip_kp_http_handler(ngx_kmip_http_req_t *r)
{
    ngx_kmip_kp_ctx_t *ctx = r->data;

    u_char                  buf[64], *p;
    ngx_str_t               reason, detail;
    ngx_uint_t              auth, json;
    ngx_kmip_kp_call_t     *call;
    ngx_kmip_allocator_t    a;
    ngx_kmip_kp_json_str_t  code;

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

    if (r->status >= 200 && r->status < 300) {

        if (ngx_kmip_kp_parse(ctx, &r->response) != NGX_OK) {
            ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_UNAVAILABLE,
                                  "malformed response", NULL);
        }

        ngx_kmip_kp_finish(ctx);
        return;
    }

    if (r->status == 410 && r->attempts > 1
        && ctx->method.len == 6
        && ngx_strncmp(ctx->method.data, "DELETE", 6) == 0)
    {
        /*
         * a retried deletion: the attempt whose answer was lost deleted
         * the key, so "already deleted" is this call's own success, not
         * someone else's deletion
         */
        ngx_log_debug1(NGX_LOG_DEBUG_STREAM, call->log, 0,
                       "kmip kp: retried DELETE %V answered 410: done",
                       &ctx->uri);
        ngx_kmip_kp_finish(ctx);
        return;
    }

    /* an error: is it the token? */

    auth = (r->status == 401);

    a.alloc = ngx_kmip_kp_json_alloc;
    a.data = call->pool;

    json = (ngx_kmip_kp_json_error(r->response.data, r->response.len, &a,
                                   &code)
            == 0);

    reason.data = code.data;
    reason.len = code.len;

    if (r->status == 400) {

        if (json) {
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

        ngx_log_error(NGX_LOG_WARN, call->log, 0,
                      "Key Protect %s: token refused (%ui), refreshing it, "
                      "correlation id: %V", ctx->what, r->status,
                      &call->correlation_id);

        ngx_kmip_iam_invalidate(ctx->kp->iam, ctx->wait.generation);

        ngx_kmip_kp_http_release(ctx);

        if (ngx_kmip_kp_auth(ctx) == NGX_AGAIN) {
            return;
        }

        ngx_kmip_kp_finish(ctx);
        return;
    }

    ngx_kmip_kp_map_error(ctx, r->status, &reason);

    ngx_kmip_kp_finish(ctx);
}


static void
ngx_kmip_kp_map_error(ngx_kmip_kp_ctx_t *ctx, ngx_uint_t status,
    ngx_str_t *reason)
{
    ngx_uint_t                   i;
    const char                  *cause;
    ngx_kmip_kp_call_t          *call;
    ngx_kmip_kp_result_e         result;
    const ngx_kmip_kp_status_t  *st;

    call = ctx->call;
    call->reason_code = *reason;
    reason = &call->reason_code;

    for (i = 0; i < sizeof(ngx_kmip_kp_statuses)
                    / sizeof(ngx_kmip_kp_status_t); i++)
    {
        st = &ngx_kmip_kp_statuses[i];

        if (st->status != status) {
            continue;
        }

        if (ctx->root_key
            && (st->root_reason == NULL
                || ngx_kmip_kp_reason_is(reason, st->root_reason)))
        {
            ngx_kmip_kp_set_error(ctx, st->root_result, st->root_cause,
                                  NULL);

        } else {
            ngx_kmip_kp_set_error(ctx, st->result, st->cause, NULL);
        }

        return;
    }

    if (status >= 500) {
        result = NGX_KMIP_KP_UNAVAILABLE;
        cause = "service error";

    } else if (ctx->root_key
               && ngx_kmip_kp_reason_is(reason, "KEY_ROOT_REQ_ERR"))
    {
        result = NGX_KMIP_KP_FAILED;
        cause = "the configured root key is not a root key";

    } else if (ngx_kmip_kp_reason_is(reason, "KEY_ALIAS_NOT_UNIQUE_ERR")) {
        result = NGX_KMIP_KP_CONFLICT;
        cause = "alias in use";

    } else {
        result = NGX_KMIP_KP_FAILED;
        cause = "request refused";
    }

    ngx_kmip_kp_set_error(ctx, result, cause, NULL);
}


static ngx_uint_t
ngx_kmip_kp_reason_is(ngx_str_t *reason, const char *code)
{
    size_t  len;

    len = ngx_strlen(code);

    return reason->len == len && ngx_strncmp(reason->data, code, len) == 0;
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


/* a request that could not be built: the call fails before it is sent */

static ngx_int_t
ngx_kmip_kp_nomem(ngx_kmip_kp_ctx_t *ctx)
{
    ngx_kmip_kp_set_error(ctx, NGX_KMIP_KP_FAILED, "out of memory", NULL);
    return NGX_ERROR;
}


static void
ngx_kmip_kp_log_failure(ngx_kmip_kp_ctx_t *ctx)
{
    ngx_uint_t           level;
    ngx_kmip_kp_call_t  *call;

    call = ctx->call;

    level = (call->expected & (1 << call->result)) ? NGX_LOG_INFO
                                                   : NGX_LOG_ERR;

    if (level == NGX_LOG_INFO && call->quiet) {
        ngx_log_debug4(NGX_LOG_DEBUG_STREAM, call->log, 0,
                       "%V, request: %V %V, correlation id: %V",
                       &call->error, &ctx->method, &ctx->uri,
                       &call->correlation_id);
        return;
    }

    ngx_log_error(level, call->log, 0,
                  "%V, request: %V %V, correlation id: %V",
                  &call->error, &ctx->method, &ctx->uri,
                  &call->correlation_id);
}


static void
ngx_kmip_kp_finish(ngx_kmip_kp_ctx_t *ctx)
{
    ngx_kmip_kp_call_t  *call;

    call = ctx->call;

    /*
     * The answer is parsed into the call: the response buffer and the
     * header lines (the token's among them) go now, not with the pool, so
     * that a request of many calls holds one call's worth at a time.
     */
    ngx_kmip_kp_http_release(ctx);

    if (call->result != NGX_KMIP_KP_OK) {
        ngx_kmip_kp_log_failure(ctx);

    } else {
        ngx_log_debug3(NGX_LOG_DEBUG_STREAM, call->log, 0,
                       "kmip kp %s: %ui, correlation id: %V", ctx->what,
                       call->http_status, &call->correlation_id);
    }

    if (ngx_kmip_kp_observer) {
        ngx_kmip_kp_observer(call, ctx->what, ngx_current_msec - ctx->start);
    }

    call->handler(call);
}


/* responses: ngx_kmip_kp_json.c parses, the results go into the call */

static ngx_int_t
ngx_kmip_kp_parse(ngx_kmip_kp_ctx_t *ctx, ngx_str_t *body)
{
    size_t                      i, j;
    ngx_str_t                  *alias;
    ngx_kmip_kp_key_t          *key;
    ngx_kmip_kp_call_t         *call;
    ngx_kmip_allocator_t        a, secret;
    ngx_kmip_kp_json_key_t     *jk;
    ngx_kmip_kp_json_result_t   res;

    call = ctx->call;

    a.alloc = ngx_kmip_kp_json_alloc;
    a.data = call->pool;
    secret.alloc = ngx_kmip_kp_json_secret;
    secret.data = call->pool;

    if (ngx_kmip_kp_json_parse(ctx->kind, body->data, body->len, &a,
                               &secret, &res)
        != 0)
    {
        return NGX_ERROR;
    }

#define ngx_kmip_kp_json_set(dst, src)                                       \
    (dst).data = (src).data; (dst).len = (src).len

    if (res.has_keys) {
        call->keys = ngx_array_create(call->pool, res.nkeys ? res.nkeys : 1,
                                      sizeof(ngx_kmip_kp_key_t));
        if (call->keys == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < res.nkeys; i++) {
            jk = &res.keys[i];

            key = ngx_array_push(call->keys);
            if (key == NULL) {
                return NGX_ERROR;
            }

            ngx_memzero(key, sizeof(ngx_kmip_kp_key_t));

            ngx_kmip_kp_json_set(key->id, jk->id);
            ngx_kmip_kp_json_set(key->name, jk->name);
            ngx_kmip_kp_json_set(key->description, jk->description);
            ngx_kmip_kp_json_set(key->payload, jk->payload);
            key->state = (ngx_int_t) jk->state;
            key->extractable = jk->extractable;
            key->deleted = jk->deleted;
            key->creation_date = jk->creation_date;
            key->deletion_date = jk->deletion_date;

            if (jk->naliases == 0) {
                continue;
            }

            key->aliases = ngx_array_create(call->pool, jk->naliases,
                                            sizeof(ngx_str_t));
            if (key->aliases == NULL) {
                return NGX_ERROR;
            }

            for (j = 0; j < jk->naliases; j++) {
                alias = ngx_array_push(key->aliases);
                if (alias == NULL) {
                    return NGX_ERROR;
                }

                ngx_kmip_kp_json_set(*alias, jk->aliases[j]);
            }
        }
    }

    if (res.plaintext.data) {
        ngx_kmip_kp_json_set(call->plaintext, res.plaintext);
    }

    if (res.ciphertext.data) {
        ngx_kmip_kp_json_set(call->ciphertext, res.ciphertext);
    }

    if (res.key_version.data) {
        ngx_kmip_kp_json_set(call->key_version, res.key_version);
    }

#undef ngx_kmip_kp_json_set

    return NGX_OK;
}


static void *
ngx_kmip_kp_json_alloc(void *data, size_t size)
{
    return ngx_palloc(data, size);
}


/* decoded key bytes: wiped when the call's pool is destroyed */

static void *
ngx_kmip_kp_json_secret(void *data, size_t size)
{
    ngx_str_t  s;

    if (ngx_kmip_kp_secret(data, &s, size) != NGX_OK) {
        return NULL;
    }

    return s.data;
}


/* helpers */

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


ngx_int_t
ngx_kmip_kp_secret(ngx_pool_t *pool, ngx_str_t *s, size_t size)
{
    ngx_kmip_kp_secret_t  *sec;

    sec = ngx_kmip_kp_cleanup_alloc(pool, sizeof(ngx_kmip_kp_secret_t),
                                    ngx_kmip_kp_secret_cleanup);
    if (sec == NULL) {
        return NGX_ERROR;
    }

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


void
ngx_kmip_kp_wipe_str(void *data)
{
    ngx_str_t *s = data;

    if (s->data && s->len) {
        OPENSSL_cleanse(s->data, s->len);
    }
}


void *
ngx_kmip_kp_cleanup_alloc(ngx_pool_t *pool, size_t size,
    ngx_pool_cleanup_pt handler)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, size);
    if (cln == NULL) {
        return NULL;
    }

    ngx_memzero(cln->data, size);
    cln->handler = handler;

    return cln->data;
}


ngx_int_t
ngx_kmip_kp_shm_init(ngx_shm_zone_t *shm_zone, size_t size, const char *what)
{
    size_t            len;
    ngx_slab_pool_t  *shpool;

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        return NGX_DONE;
    }

    shpool->data = ngx_slab_calloc(shpool, size);
    if (shpool->data == NULL) {
        return NGX_ERROR;
    }

    len = sizeof(" in  zone \"\"") + ngx_strlen(what) + shm_zone->shm.name.len;

    shpool->log_ctx = ngx_slab_alloc(shpool, len);
    if (shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx, " in %s zone \"%V\"%Z",
                what, &shm_zone->shm.name);

    return NGX_OK;
}


/*
 * A v4 UUID per call.  The random bytes are drawn 4 KiB at a time: one
 * RAND_bytes() per call cost as much as building the HTTP request.  The
 * bytes belong to one process (drawn again after a fork), and correlation
 * ids are not secrets.
 */

static ngx_int_t
ngx_kmip_kp_correlation_id(ngx_kmip_kp_call_t *call)
{
    u_char  b[16], *p;

    static u_char      rnd[4096];
    static size_t      used = sizeof(rnd);
    static ngx_pid_t   owner;

    if (used + sizeof(b) > sizeof(rnd) || owner != ngx_pid) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            ngx_log_error(NGX_LOG_ALERT, call->log, 0, "RAND_bytes() failed");
            return NGX_ERROR;
        }

        used = 0;
        owner = ngx_pid;
    }

    ngx_memcpy(b, rnd + used, sizeof(b));
    used += sizeof(b);

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


/* "key": [strings], left out when there are none */

static void
ngx_kmip_kp_gen_strs(yajl_gen g, const char *key, ngx_array_t *strs)
{
    ngx_str_t   *a;
    ngx_uint_t   i;

    if (strs == NULL || strs->nelts == 0) {
        return;
    }

    ngx_kmip_kp_gen_str(g, key);
    yajl_gen_array_open(g);

    a = strs->elts;
    for (i = 0; i < strs->nelts; i++) {
        ngx_kmip_kp_gen_ngx_str(g, &a[i]);
    }

    yajl_gen_array_close(g);
}
