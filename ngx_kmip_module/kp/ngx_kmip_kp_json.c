
/*
 * Copyright (C) ngx_kmip authors
 */


#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "ngx_kmip_kp_json.h"


/*
 * yajl's event parser, not its tree: the tree cost a malloc for every
 * member and value of a response (a key answer has dozens), a walk to wipe
 * it and a free for each, a fifth of a worker's CPU for a Get (bench/).
 * The callbacks follow only the members asked for; whatever else a
 * response holds is skipped as it is read.  The results are those of a
 * lookup in the whole tree: the first occurrence of a member decides (a
 * later duplicate is ignored), a member of the wrong type counts as absent
 * or is an error as the field's rule says, and a string ends at its first
 * NUL, as it did when copied into the tree.
 */


#define NGX_KMIP_KP_JSON_DEPTH  8


typedef enum {
    NGX_KMIP_KP_JSON_F_SKIP = 0,        /* not asked for */

    /* the root, by what the body should be */
    NGX_KMIP_KP_JSON_F_ROOT,            /* an envelope of keys */
    NGX_KMIP_KP_JSON_F_WRAP_ROOT,
    NGX_KMIP_KP_JSON_F_ERR_ROOT,

    /* an envelope of keys */
    NGX_KMIP_KP_JSON_F_RESOURCES,
    NGX_KMIP_KP_JSON_F_KEY,
    NGX_KMIP_KP_JSON_F_ID,
    NGX_KMIP_KP_JSON_F_NAME,
    NGX_KMIP_KP_JSON_F_DESCRIPTION,
    NGX_KMIP_KP_JSON_F_STATE,
    NGX_KMIP_KP_JSON_F_EXTRACTABLE,
    NGX_KMIP_KP_JSON_F_DELETED,
    NGX_KMIP_KP_JSON_F_CREATED,
    NGX_KMIP_KP_JSON_F_DELETION,
    NGX_KMIP_KP_JSON_F_ALIASES,
    NGX_KMIP_KP_JSON_F_ALIAS,
    NGX_KMIP_KP_JSON_F_PAYLOAD,

    /* wrap and unwrap */
    NGX_KMIP_KP_JSON_F_PLAINTEXT,
    NGX_KMIP_KP_JSON_F_CIPHERTEXT,
    NGX_KMIP_KP_JSON_F_VERSION,
    NGX_KMIP_KP_JSON_F_VERSION_ID,
    NGX_KMIP_KP_JSON_F_REWRAPPED,
    NGX_KMIP_KP_JSON_F_REWRAPPED_ID,

    /* an error envelope: resources[0].reasons[0].code */
    NGX_KMIP_KP_JSON_F_ERR_RESOURCES,
    NGX_KMIP_KP_JSON_F_ERR_RESOURCE,
    NGX_KMIP_KP_JSON_F_ERR_REASONS,
    NGX_KMIP_KP_JSON_F_ERR_REASON,
    NGX_KMIP_KP_JSON_F_ERR_CODE
} ngx_kmip_kp_json_field_e;


/* the members of an object that are followed, with their fields */

typedef struct {
    ngx_kmip_kp_json_field_e    map;            /* the object's field */
    const char                 *name;
    ngx_kmip_kp_json_field_e    field;
} ngx_kmip_kp_json_member_t;


typedef enum {
    NGX_KMIP_KP_JSON_T_NULL = 0,
    NGX_KMIP_KP_JSON_T_TRUE,
    NGX_KMIP_KP_JSON_T_FALSE,
    NGX_KMIP_KP_JSON_T_NUMBER,
    NGX_KMIP_KP_JSON_T_STRING,
    NGX_KMIP_KP_JSON_T_MAP,
    NGX_KMIP_KP_JSON_T_ARRAY
} ngx_kmip_kp_json_type_e;


typedef struct {
    ngx_kmip_kp_json_field_e    field;          /* what the container is */
    ngx_kmip_kp_json_field_e    next;           /* a map: the value of the
                                                   current member */
    unsigned                    seen;           /* a map: members met */
    size_t                      index;          /* an array: next element */
    int                         map;
} ngx_kmip_kp_json_frame_t;


typedef struct {
    ngx_kmip_allocator_t       *a;
    ngx_kmip_allocator_t       *secret;
    ngx_kmip_kp_json_field_e    root;
    ngx_kmip_kp_json_result_t  *out;

    int                         failed;         /* wrong shape, memory */
    int                         root_map;

    size_t                      depth;
    size_t                      skip;           /* inside a skipped value */
    ngx_kmip_kp_json_frame_t    frames[NGX_KMIP_KP_JSON_DEPTH];

    size_t                      keys_cap;
    size_t                      aliases_cap;

    /* wrap and unwrap */
    int                         has_plaintext;
    int                         has_ciphertext;
    ngx_kmip_kp_json_str_t      version;
    ngx_kmip_kp_json_str_t      rewrapped;

    /* error */
    ngx_kmip_kp_json_str_t     *reason;
} ngx_kmip_kp_json_ctx_t;


/*
 * What a field wants: the type of value it reads or follows.  A value of
 * another type counts as absent, or makes the answer wrong (fail); with
 * null set, a null is absent even so.
 */

typedef struct {
    ngx_kmip_kp_json_type_e     type;
    unsigned                    fail:1;
    unsigned                    null:1;
} ngx_kmip_kp_json_rule_t;


static int ngx_kmip_kp_json_run(ngx_kmip_kp_json_ctx_t *ctx,
    const unsigned char *body, size_t len);
static int ngx_kmip_kp_json_value(ngx_kmip_kp_json_ctx_t *ctx,
    ngx_kmip_kp_json_type_e type, const unsigned char *s, size_t len);
static int ngx_kmip_kp_json_take(ngx_kmip_kp_json_ctx_t *ctx,
    ngx_kmip_kp_json_field_e field, ngx_kmip_kp_json_type_e type,
    const unsigned char *s, size_t len);
static ngx_kmip_kp_json_field_e ngx_kmip_kp_json_slot(
    ngx_kmip_kp_json_ctx_t *ctx);
static int ngx_kmip_kp_json_push(ngx_kmip_kp_json_ctx_t *ctx,
    ngx_kmip_kp_json_field_e field, int map);
static int ngx_kmip_kp_json_key_start(ngx_kmip_kp_json_ctx_t *ctx);
static int ngx_kmip_kp_json_key_end(ngx_kmip_kp_json_ctx_t *ctx);
static int ngx_kmip_kp_json_alias(ngx_kmip_kp_json_ctx_t *ctx,
    const unsigned char *s, size_t len);
static void *ngx_kmip_kp_json_grow(ngx_kmip_allocator_t *a, void *elts,
    size_t n, size_t *cap, size_t size);
static int ngx_kmip_kp_json_integer(const unsigned char *s, size_t len,
    long long *value);
static size_t ngx_kmip_kp_json_strnlen(const unsigned char *s, size_t len);

static int ngx_kmip_kp_json_on_null(void *data);
static int ngx_kmip_kp_json_on_boolean(void *data, int value);
static int ngx_kmip_kp_json_on_number(void *data, const char *s, size_t len);
static int ngx_kmip_kp_json_on_string(void *data, const unsigned char *s,
    size_t len);
static int ngx_kmip_kp_json_on_start_map(void *data);
static int ngx_kmip_kp_json_on_map_key(void *data, const unsigned char *s,
    size_t len);
static int ngx_kmip_kp_json_on_end(void *data);
static int ngx_kmip_kp_json_on_start_array(void *data);

static int ngx_kmip_kp_json_copy(ngx_kmip_allocator_t *a,
    const unsigned char *s, size_t len, ngx_kmip_kp_json_str_t *dst);
static int ngx_kmip_kp_json_decode(ngx_kmip_allocator_t *a,
    const unsigned char *s, size_t n, ngx_kmip_kp_json_str_t *dst);
static int ngx_kmip_kp_json_atoi(const unsigned char *p, size_t n);



static const yajl_callbacks  ngx_kmip_kp_json_callbacks = {
    ngx_kmip_kp_json_on_null,
    ngx_kmip_kp_json_on_boolean,
    NULL,
    NULL,
    ngx_kmip_kp_json_on_number,
    ngx_kmip_kp_json_on_string,
    ngx_kmip_kp_json_on_start_map,
    ngx_kmip_kp_json_on_map_key,
    ngx_kmip_kp_json_on_end,
    ngx_kmip_kp_json_on_start_array,
    ngx_kmip_kp_json_on_end
};


/*
 * The members followed in each object, by the object's field; at most 32
 * (the bits of a frame's seen).
 */

static const ngx_kmip_kp_json_member_t  ngx_kmip_kp_json_members[] = {
    { NGX_KMIP_KP_JSON_F_ROOT, "resources", NGX_KMIP_KP_JSON_F_RESOURCES },

    { NGX_KMIP_KP_JSON_F_KEY, "id", NGX_KMIP_KP_JSON_F_ID },
    { NGX_KMIP_KP_JSON_F_KEY, "name", NGX_KMIP_KP_JSON_F_NAME },
    { NGX_KMIP_KP_JSON_F_KEY, "description",
      NGX_KMIP_KP_JSON_F_DESCRIPTION },
    { NGX_KMIP_KP_JSON_F_KEY, "state", NGX_KMIP_KP_JSON_F_STATE },
    { NGX_KMIP_KP_JSON_F_KEY, "extractable",
      NGX_KMIP_KP_JSON_F_EXTRACTABLE },
    { NGX_KMIP_KP_JSON_F_KEY, "deleted", NGX_KMIP_KP_JSON_F_DELETED },
    { NGX_KMIP_KP_JSON_F_KEY, "creationDate", NGX_KMIP_KP_JSON_F_CREATED },
    { NGX_KMIP_KP_JSON_F_KEY, "deletionDate", NGX_KMIP_KP_JSON_F_DELETION },
    { NGX_KMIP_KP_JSON_F_KEY, "aliases", NGX_KMIP_KP_JSON_F_ALIASES },
    { NGX_KMIP_KP_JSON_F_KEY, "payload", NGX_KMIP_KP_JSON_F_PAYLOAD },

    { NGX_KMIP_KP_JSON_F_WRAP_ROOT, "plaintext",
      NGX_KMIP_KP_JSON_F_PLAINTEXT },
    { NGX_KMIP_KP_JSON_F_WRAP_ROOT, "ciphertext",
      NGX_KMIP_KP_JSON_F_CIPHERTEXT },
    { NGX_KMIP_KP_JSON_F_WRAP_ROOT, "keyVersion",
      NGX_KMIP_KP_JSON_F_VERSION },
    { NGX_KMIP_KP_JSON_F_WRAP_ROOT, "rewrappedKeyVersion",
      NGX_KMIP_KP_JSON_F_REWRAPPED },
    { NGX_KMIP_KP_JSON_F_VERSION, "id", NGX_KMIP_KP_JSON_F_VERSION_ID },
    { NGX_KMIP_KP_JSON_F_REWRAPPED, "id",
      NGX_KMIP_KP_JSON_F_REWRAPPED_ID },

    { NGX_KMIP_KP_JSON_F_ERR_ROOT, "resources",
      NGX_KMIP_KP_JSON_F_ERR_RESOURCES },
    { NGX_KMIP_KP_JSON_F_ERR_RESOURCE, "reasons",
      NGX_KMIP_KP_JSON_F_ERR_REASONS },
    { NGX_KMIP_KP_JSON_F_ERR_REASON, "code", NGX_KMIP_KP_JSON_F_ERR_CODE },

    { NGX_KMIP_KP_JSON_F_SKIP, NULL, NGX_KMIP_KP_JSON_F_SKIP }
};


/* what each field reads or follows, in the order of the fields */

static const ngx_kmip_kp_json_rule_t  ngx_kmip_kp_json_rules[] = {
    { NGX_KMIP_KP_JSON_T_NULL, 0, 0 },      /* skip */
    { NGX_KMIP_KP_JSON_T_MAP, 0, 0 },       /* root */
    { NGX_KMIP_KP_JSON_T_MAP, 0, 0 },       /* wrap_root */
    { NGX_KMIP_KP_JSON_T_MAP, 0, 0 },       /* err_root */
    { NGX_KMIP_KP_JSON_T_ARRAY, 1, 0 },     /* resources */
    { NGX_KMIP_KP_JSON_T_MAP, 1, 0 },       /* key */
    { NGX_KMIP_KP_JSON_T_STRING, 1, 1 },    /* id */
    { NGX_KMIP_KP_JSON_T_STRING, 1, 1 },    /* name */
    { NGX_KMIP_KP_JSON_T_STRING, 1, 1 },    /* description */
    { NGX_KMIP_KP_JSON_T_NUMBER, 0, 0 },    /* state */
    { NGX_KMIP_KP_JSON_T_TRUE, 0, 0 },      /* extractable */
    { NGX_KMIP_KP_JSON_T_TRUE, 0, 0 },      /* deleted */
    { NGX_KMIP_KP_JSON_T_STRING, 0, 0 },    /* created */
    { NGX_KMIP_KP_JSON_T_STRING, 0, 0 },    /* deletion */
    { NGX_KMIP_KP_JSON_T_ARRAY, 0, 0 },     /* aliases */
    { NGX_KMIP_KP_JSON_T_STRING, 1, 0 },    /* alias */
    { NGX_KMIP_KP_JSON_T_STRING, 0, 0 },    /* payload */
    { NGX_KMIP_KP_JSON_T_STRING, 0, 0 },    /* plaintext */
    { NGX_KMIP_KP_JSON_T_STRING, 0, 0 },    /* ciphertext */
    { NGX_KMIP_KP_JSON_T_MAP, 0, 0 },       /* version */
    { NGX_KMIP_KP_JSON_T_STRING, 0, 0 },    /* version_id */
    { NGX_KMIP_KP_JSON_T_MAP, 0, 0 },       /* rewrapped */
    { NGX_KMIP_KP_JSON_T_STRING, 0, 0 },    /* rewrapped_id */
    { NGX_KMIP_KP_JSON_T_ARRAY, 0, 0 },     /* err_resources */
    { NGX_KMIP_KP_JSON_T_MAP, 0, 0 },       /* err_resource */
    { NGX_KMIP_KP_JSON_T_ARRAY, 0, 0 },     /* err_reasons */
    { NGX_KMIP_KP_JSON_T_MAP, 0, 0 },       /* err_reason */
    { NGX_KMIP_KP_JSON_T_STRING, 0, 0 }     /* err_code */
};


/* memset through a volatile pointer: not removed as a dead store */
static void *(*volatile ngx_kmip_kp_json_memset)(void *, int, size_t) =
    memset;


void
ngx_kmip_kp_json_cleanse(void *p, size_t len)
{
    if (p && len) {
        ngx_kmip_kp_json_memset(p, 0, len);
    }
}


int
ngx_kmip_kp_json_parse(ngx_kmip_kp_json_kind_e kind,
    const unsigned char *body, size_t len, ngx_kmip_allocator_t *a,
    ngx_kmip_allocator_t *secret, ngx_kmip_kp_json_result_t *out)
{
    int                     valid;
    ngx_kmip_kp_json_ctx_t  ctx;

    memset(out, 0, sizeof(ngx_kmip_kp_json_result_t));
    memset(&ctx, 0, sizeof(ngx_kmip_kp_json_ctx_t));

    ctx.a = a;
    ctx.secret = secret;
    ctx.out = out;

    switch (kind) {

    case NGX_KMIP_KP_JSON_KEYS:
    case NGX_KMIP_KP_JSON_CREATED:
    case NGX_KMIP_KP_JSON_NONE:
        ctx.root = NGX_KMIP_KP_JSON_F_ROOT;
        break;

    case NGX_KMIP_KP_JSON_WRAP:
    case NGX_KMIP_KP_JSON_UNWRAP:
        ctx.root = NGX_KMIP_KP_JSON_F_WRAP_ROOT;
        break;

    case NGX_KMIP_KP_JSON_ALIAS:
        return 0;

    default:
        return -1;
    }

    valid = ngx_kmip_kp_json_run(&ctx, body, len);

    if (kind == NGX_KMIP_KP_JSON_NONE && !(valid && ctx.root_map)) {
        /* a body, when there is one, is an envelope; else nothing to say */
        memset(out, 0, sizeof(ngx_kmip_kp_json_result_t));
        return 0;
    }

    if (!valid || !ctx.root_map || ctx.failed) {
        return -1;
    }

    switch (kind) {

    case NGX_KMIP_KP_JSON_CREATED:
        return (out->nkeys == 1) ? 0 : -1;

    case NGX_KMIP_KP_JSON_WRAP:
        if (!ctx.has_ciphertext || out->ciphertext.len == 0) {
            return -1;
        }

        out->key_version = ctx.version;
        return 0;

    case NGX_KMIP_KP_JSON_UNWRAP:
        if (!ctx.has_plaintext) {
            return -1;
        }

        /* the version of a rewrapped ciphertext, else the one used */

        out->key_version = (out->ciphertext.len && ctx.rewrapped.data)
                           ? ctx.rewrapped : ctx.version;
        return 0;

    default:
        return 0;
    }
}


int
ngx_kmip_kp_json_error(const unsigned char *body, size_t len,
    ngx_kmip_allocator_t *a, ngx_kmip_kp_json_str_t *reason)
{
    ngx_kmip_kp_json_ctx_t     ctx;
    ngx_kmip_kp_json_result_t  out;

    reason->len = 0;
    reason->data = NULL;

    memset(&ctx, 0, sizeof(ngx_kmip_kp_json_ctx_t));
    memset(&out, 0, sizeof(ngx_kmip_kp_json_result_t));

    ctx.a = a;
    ctx.root = NGX_KMIP_KP_JSON_F_ERR_ROOT;
    ctx.out = &out;
    ctx.reason = reason;

    if (!ngx_kmip_kp_json_run(&ctx, body, len)) {
        reason->len = 0;
        reason->data = NULL;
        return -1;
    }

    return 0;
}


/* 1 if the body is JSON (yajl_tree_parse()'s rules), else 0 */

static int
ngx_kmip_kp_json_run(ngx_kmip_kp_json_ctx_t *ctx, const unsigned char *body,
    size_t len)
{
    yajl_status       status;
    yajl_handle       h;
    yajl_alloc_funcs  afs;

    if (body == NULL || len == 0 || body[len] != '\0') {
        return 0;
    }

    afs.malloc = ngx_kmip_kp_json_malloc;
    afs.realloc = ngx_kmip_kp_json_realloc;
    afs.free = ngx_kmip_kp_json_free;
    afs.ctx = NULL;

    h = yajl_alloc(&ngx_kmip_kp_json_callbacks, &afs, ctx);
    if (h == NULL) {
        return 0;
    }

    yajl_config(h, yajl_allow_comments, 1);

    /* up to an embedded NUL, as yajl_tree_parse() */

    status = yajl_parse(h, body, strlen((const char *) body));

    if (status == yajl_status_ok) {
        status = yajl_complete_parse(h);
    }

    yajl_free(h);

    return status == yajl_status_ok;
}


/* a value: a scalar, or the start of a map or an array */

static int
ngx_kmip_kp_json_value(ngx_kmip_kp_json_ctx_t *ctx,
    ngx_kmip_kp_json_type_e type, const unsigned char *s, size_t len)
{
    int                             container;
    ngx_kmip_kp_json_field_e        field;
    const ngx_kmip_kp_json_rule_t  *rule;

    container = (type == NGX_KMIP_KP_JSON_T_MAP
                 || type == NGX_KMIP_KP_JSON_T_ARRAY);

    if (ctx->skip || ctx->failed) {
        ctx->skip += container;
        return 1;
    }

    field = ngx_kmip_kp_json_slot(ctx);
    rule = &ngx_kmip_kp_json_rules[field];

    if (type == NGX_KMIP_KP_JSON_T_STRING) {
        /* a string ends at its first NUL, as a C string in the tree did */
        len = ngx_kmip_kp_json_strnlen(s, len);
    }

    if (type == rule->type) {
        if (ngx_kmip_kp_json_take(ctx, field, type, s, len)) {
            return 1;
        }

    } else if (rule->fail && !(rule->null && type == NGX_KMIP_KP_JSON_T_NULL))
    {
        ctx->failed = 1;
    }

    /* a map or an array not followed: skipped with what it holds */

    ctx->skip += container;

    return 1;
}


/*
 * A value of the type its field wants: 1 if it opened a map or an array
 * that is followed, else 0.
 */

static int
ngx_kmip_kp_json_take(ngx_kmip_kp_json_ctx_t *ctx,
    ngx_kmip_kp_json_field_e field, ngx_kmip_kp_json_type_e type,
    const unsigned char *s, size_t len)
{
    int                         rc;
    long long                   n;
    ngx_kmip_kp_json_key_t     *key;
    ngx_kmip_kp_json_result_t  *out;

    out = ctx->out;
    key = out->keys ? &out->keys[out->nkeys] : NULL;

    switch (field) {

    case NGX_KMIP_KP_JSON_F_ROOT:
        out->has_keys = 1;

        /* fall through */

    case NGX_KMIP_KP_JSON_F_WRAP_ROOT:
    case NGX_KMIP_KP_JSON_F_ERR_ROOT:
        ctx->root_map = 1;
        break;

    case NGX_KMIP_KP_JSON_F_KEY:
        if (ngx_kmip_kp_json_key_start(ctx) != 0) {
            ctx->failed = 1;
            return 0;
        }

        break;

    case NGX_KMIP_KP_JSON_F_ALIASES:
        ctx->aliases_cap = 0;
        break;

    case NGX_KMIP_KP_JSON_F_RESOURCES:
    case NGX_KMIP_KP_JSON_F_VERSION:
    case NGX_KMIP_KP_JSON_F_REWRAPPED:
    case NGX_KMIP_KP_JSON_F_ERR_RESOURCES:
    case NGX_KMIP_KP_JSON_F_ERR_RESOURCE:
    case NGX_KMIP_KP_JSON_F_ERR_REASONS:
    case NGX_KMIP_KP_JSON_F_ERR_REASON:
        break;

    /* the members of a key */

    case NGX_KMIP_KP_JSON_F_ID:
    case NGX_KMIP_KP_JSON_F_NAME:
    case NGX_KMIP_KP_JSON_F_DESCRIPTION:
        rc = ngx_kmip_kp_json_copy(ctx->a, s, len,
                                   field == NGX_KMIP_KP_JSON_F_ID
                                   ? &key->id
                                   : field == NGX_KMIP_KP_JSON_F_NAME
                                   ? &key->name : &key->description);
        goto done;

    case NGX_KMIP_KP_JSON_F_STATE:
        if (ngx_kmip_kp_json_integer(s, len, &n) == 0) {
            key->state = n;
        }

        return 0;

    case NGX_KMIP_KP_JSON_F_EXTRACTABLE:
        key->extractable = 1;
        return 0;

    case NGX_KMIP_KP_JSON_F_DELETED:
        key->deleted = 1;
        return 0;

    case NGX_KMIP_KP_JSON_F_CREATED:
        key->creation_date = ngx_kmip_kp_json_date(s, len);
        return 0;

    case NGX_KMIP_KP_JSON_F_DELETION:
        key->deletion_date = ngx_kmip_kp_json_date(s, len);
        return 0;

    case NGX_KMIP_KP_JSON_F_ALIAS:
        rc = ngx_kmip_kp_json_alias(ctx, s, len);
        goto done;

    case NGX_KMIP_KP_JSON_F_PAYLOAD:
        rc = ngx_kmip_kp_json_decode(ctx->secret, s, len, &key->payload);
        goto done;

    /* wrap and unwrap */

    case NGX_KMIP_KP_JSON_F_PLAINTEXT:
        ctx->has_plaintext = 1;
        rc = ngx_kmip_kp_json_decode(ctx->secret, s, len, &out->plaintext);
        goto done;

    case NGX_KMIP_KP_JSON_F_CIPHERTEXT:
        ctx->has_ciphertext = 1;
        rc = ngx_kmip_kp_json_copy(ctx->a, s, len, &out->ciphertext);
        goto done;

    case NGX_KMIP_KP_JSON_F_VERSION_ID:
    case NGX_KMIP_KP_JSON_F_REWRAPPED_ID:
        rc = ngx_kmip_kp_json_copy(ctx->a, s, len,
                                   field == NGX_KMIP_KP_JSON_F_VERSION_ID
                                   ? &ctx->version : &ctx->rewrapped);
        goto done;

    /* an error envelope: anything unexpected leaves the reason empty */

    case NGX_KMIP_KP_JSON_F_ERR_CODE:
        if (ngx_kmip_kp_json_copy(ctx->a, s, len, ctx->reason) != 0) {
            ctx->reason->len = 0;
            ctx->reason->data = NULL;
        }

        return 0;

    default: /* NGX_KMIP_KP_JSON_F_SKIP */
        return 0;
    }

    /* a map or an array, followed */

    return ngx_kmip_kp_json_push(ctx, field, type == NGX_KMIP_KP_JSON_T_MAP);

done:

    if (rc != 0) {
        ctx->failed = 1;
    }

    return 0;
}


/* what the next value is, from its container */

static ngx_kmip_kp_json_field_e
ngx_kmip_kp_json_slot(ngx_kmip_kp_json_ctx_t *ctx)
{
    ngx_kmip_kp_json_field_e   field;
    ngx_kmip_kp_json_frame_t  *f;

    if (ctx->depth == 0) {
        return ctx->root;
    }

    f = &ctx->frames[ctx->depth - 1];

    if (f->map) {
        field = f->next;
        f->next = NGX_KMIP_KP_JSON_F_SKIP;
        return field;
    }

    switch (f->field) {

    case NGX_KMIP_KP_JSON_F_RESOURCES:
        field = NGX_KMIP_KP_JSON_F_KEY;
        break;

    case NGX_KMIP_KP_JSON_F_ALIASES:
        field = NGX_KMIP_KP_JSON_F_ALIAS;
        break;

    case NGX_KMIP_KP_JSON_F_ERR_RESOURCES:
        field = (f->index == 0) ? NGX_KMIP_KP_JSON_F_ERR_RESOURCE
                                : NGX_KMIP_KP_JSON_F_SKIP;
        break;

    case NGX_KMIP_KP_JSON_F_ERR_REASONS:
        field = (f->index == 0) ? NGX_KMIP_KP_JSON_F_ERR_REASON
                                : NGX_KMIP_KP_JSON_F_SKIP;
        break;

    default:
        field = NGX_KMIP_KP_JSON_F_SKIP;
    }

    f->index++;

    return field;
}


static int
ngx_kmip_kp_json_push(ngx_kmip_kp_json_ctx_t *ctx,
    ngx_kmip_kp_json_field_e field, int map)
{
    ngx_kmip_kp_json_frame_t  *f;

    if (ctx->depth == NGX_KMIP_KP_JSON_DEPTH) {
        /* cannot happen: the followed paths are shallower */
        ctx->failed = 1;
        ctx->skip++;
        return 1;
    }

    f = &ctx->frames[ctx->depth++];

    f->field = field;
    f->next = NGX_KMIP_KP_JSON_F_SKIP;
    f->seen = 0;
    f->index = 0;
    f->map = map;

    return 1;
}


/* the next element of out->keys, grown by doubling in the allocator */

static int
ngx_kmip_kp_json_key_start(ngx_kmip_kp_json_ctx_t *ctx)
{
    ngx_kmip_kp_json_key_t     *keys;
    ngx_kmip_kp_json_result_t  *out;

    out = ctx->out;

    keys = ngx_kmip_kp_json_grow(ctx->a, out->keys, out->nkeys,
                                 &ctx->keys_cap,
                                 sizeof(ngx_kmip_kp_json_key_t));
    if (keys == NULL) {
        return -1;
    }

    out->keys = keys;

    memset(&out->keys[out->nkeys], 0, sizeof(ngx_kmip_kp_json_key_t));
    out->keys[out->nkeys].state = 1;

    return 0;
}


static int
ngx_kmip_kp_json_key_end(ngx_kmip_kp_json_ctx_t *ctx)
{
    ngx_kmip_kp_json_key_t  *key;

    key = &ctx->out->keys[ctx->out->nkeys];

    if (key->id.len == 0) {
        return -1;
    }

    key->deleted = key->deleted || key->state == 5;

    ctx->out->nkeys++;

    return 0;
}


static int
ngx_kmip_kp_json_alias(ngx_kmip_kp_json_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    ngx_kmip_kp_json_str_t  *aliases;
    ngx_kmip_kp_json_key_t  *key;

    key = &ctx->out->keys[ctx->out->nkeys];

    aliases = ngx_kmip_kp_json_grow(ctx->a, key->aliases, key->naliases,
                                    &ctx->aliases_cap,
                                    sizeof(ngx_kmip_kp_json_str_t));
    if (aliases == NULL
        || ngx_kmip_kp_json_copy(ctx->a, s, len, &aliases[key->naliases]) != 0)
    {
        return -1;
    }

    /* the key takes the grown array once the alias is in it */

    key->aliases = aliases;
    key->naliases++;

    return 0;
}


/*
 * Room for one more of an array's n elements: the array itself, or a copy
 * of twice the capacity when it is full (the old one stays with the
 * allocator, as everything it gave does); NULL when out of memory.
 */

static void *
ngx_kmip_kp_json_grow(ngx_kmip_allocator_t *a, void *elts, size_t n,
    size_t *cap, size_t size)
{
    void    *p;
    size_t   ncap;

    if (n < *cap) {
        return elts;
    }

    ncap = *cap ? 2 * *cap : 4;

    if (ncap > SIZE_MAX / size) {
        return NULL;
    }

    p = a->alloc(a->data, ncap * size);
    if (p == NULL) {
        return NULL;
    }

    if (n) {
        memcpy(p, elts, n * size);
    }

    *cap = ncap;

    return p;
}


/*
 * An integer as yajl's tree judged one (yajl_parse_integer()): an optional
 * sign and digits, within a long long; 0, or -1 if not one.
 */

static int
ngx_kmip_kp_json_integer(const unsigned char *s, size_t len,
    long long *value)
{
    int                  digit;
    long long            v, sign;
    const unsigned char *end;

    end = s + len;
    sign = 1;
    v = 0;

    if (s < end && *s == '-') {
        sign = -1;
        s++;

    } else if (s < end && *s == '+') {
        s++;
    }

    for ( /* void */ ; s < end; s++) {
        if (*s < '0' || *s > '9') {
            return -1;
        }

        digit = *s - '0';

        if (v > (LLONG_MAX - digit) / 10) {
            return -1;
        }

        v = v * 10 + digit;
    }

    *value = sign * v;

    return 0;
}


static size_t
ngx_kmip_kp_json_strnlen(const unsigned char *s, size_t len)
{
    const unsigned char  *nul;

    nul = memchr(s, '\0', len);

    return nul ? (size_t) (nul - s) : len;
}


/* yajl callbacks */

static int
ngx_kmip_kp_json_on_null(void *data)
{
    return ngx_kmip_kp_json_value(data, NGX_KMIP_KP_JSON_T_NULL, NULL, 0);
}


static int
ngx_kmip_kp_json_on_boolean(void *data, int value)
{
    return ngx_kmip_kp_json_value(data, value ? NGX_KMIP_KP_JSON_T_TRUE
                                              : NGX_KMIP_KP_JSON_T_FALSE,
                                  NULL, 0);
}


static int
ngx_kmip_kp_json_on_number(void *data, const char *s, size_t len)
{
    return ngx_kmip_kp_json_value(data, NGX_KMIP_KP_JSON_T_NUMBER,
                                  (const unsigned char *) s, len);
}


static int
ngx_kmip_kp_json_on_string(void *data, const unsigned char *s, size_t len)
{
    return ngx_kmip_kp_json_value(data, NGX_KMIP_KP_JSON_T_STRING, s, len);
}


static int
ngx_kmip_kp_json_on_start_map(void *data)
{
    return ngx_kmip_kp_json_value(data, NGX_KMIP_KP_JSON_T_MAP, NULL, 0);
}


static int
ngx_kmip_kp_json_on_start_array(void *data)
{
    return ngx_kmip_kp_json_value(data, NGX_KMIP_KP_JSON_T_ARRAY, NULL, 0);
}


static int
ngx_kmip_kp_json_on_map_key(void *data, const unsigned char *s, size_t len)
{
    ngx_kmip_kp_json_ctx_t *ctx = data;

    size_t                            i;
    ngx_kmip_kp_json_frame_t         *f;
    const ngx_kmip_kp_json_member_t  *m;

    if (ctx->skip || ctx->failed || ctx->depth == 0) {
        return 1;
    }

    f = &ctx->frames[ctx->depth - 1];
    f->next = NGX_KMIP_KP_JSON_F_SKIP;

    /* a member name ends at its first NUL, as a C string in the tree did */

    len = ngx_kmip_kp_json_strnlen(s, len);

    m = ngx_kmip_kp_json_members;

    for (i = 0; m[i].name; i++) {
        if (m[i].map == f->field && strlen(m[i].name) == len
            && memcmp(m[i].name, s, len) == 0)
        {

            /* the first of duplicate members decides */

            if (!(f->seen & (1u << i))) {
                f->seen |= 1u << i;
                f->next = m[i].field;
            }

            break;
        }
    }

    return 1;
}


/* the end of a map or an array */

static int
ngx_kmip_kp_json_on_end(void *data)
{
    ngx_kmip_kp_json_ctx_t *ctx = data;

    ngx_kmip_kp_json_frame_t  *f;

    if (ctx->skip) {
        ctx->skip--;
        return 1;
    }

    if (ctx->failed || ctx->depth == 0) {
        return 1;
    }

    f = &ctx->frames[--ctx->depth];

    if (f->field == NGX_KMIP_KP_JSON_F_KEY
        && ngx_kmip_kp_json_key_end(ctx) != 0)
    {
        ctx->failed = 1;
    }

    return 1;
}


static int
ngx_kmip_kp_json_copy(ngx_kmip_allocator_t *a, const unsigned char *s,
    size_t len, ngx_kmip_kp_json_str_t *dst)
{
    dst->data = a->alloc(a->data, len + 1);
    if (dst->data == NULL) {
        return -1;
    }

    memcpy(dst->data, s, len);
    dst->data[len] = '\0';
    dst->len = len;

    return 0;
}


/* standard base64 as nginx's ngx_decode_base64(): stops at '=' */

static int
ngx_kmip_kp_json_decode(ngx_kmip_allocator_t *a, const unsigned char *s,
    size_t n, ngx_kmip_kp_json_str_t *dst)
{
    size_t          len;
    unsigned char  *d;

    static const unsigned char  basis64[] = {
        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77,
        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77,
        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 62, 77, 77, 77, 63,
        52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 77, 77, 77, 77, 77, 77,
        77,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
        15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 77, 77, 77, 77, 77,
        77, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
        41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 77, 77, 77, 77, 77,

        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77,
        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77,
        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77,
        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77,
        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77,
        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77,
        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77,
        77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77, 77
    };

    dst->len = 0;
    dst->data = a->alloc(a->data, (n + 3) / 4 * 3 + 1);
    if (dst->data == NULL) {
        return -1;
    }

    for (len = 0; len < n; len++) {
        if (s[len] == '=') {
            break;
        }

        if (basis64[s[len]] == 77) {
            return -1;
        }
    }

    if (len % 4 == 1) {
        return -1;
    }

    d = dst->data;

    while (len > 3) {
        *d++ = (unsigned char) (basis64[s[0]] << 2 | basis64[s[1]] >> 4);
        *d++ = (unsigned char) (basis64[s[1]] << 4 | basis64[s[2]] >> 2);
        *d++ = (unsigned char) (basis64[s[2]] << 6 | basis64[s[3]]);

        s += 4;
        len -= 4;
    }

    if (len > 1) {
        *d++ = (unsigned char) (basis64[s[0]] << 2 | basis64[s[1]] >> 4);
    }

    if (len > 2) {
        *d++ = (unsigned char) (basis64[s[1]] << 4 | basis64[s[2]] >> 2);
    }

    dst->len = d - dst->data;

    return 0;
}


static int
ngx_kmip_kp_json_atoi(const unsigned char *p, size_t n)
{
    int  v;

    v = 0;

    while (n--) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        v = v * 10 + (*p++ - '0');
    }

    return v;
}


time_t
ngx_kmip_kp_json_date(const unsigned char *p, size_t len)
{
    long long  y, mo, d, h, mi, s;
    long long  yy, era, yoe, doy, doe, days;

    if (len < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T'
        || p[13] != ':' || p[16] != ':')
    {
        return 0;
    }

    y = ngx_kmip_kp_json_atoi(p, 4);
    mo = ngx_kmip_kp_json_atoi(p + 5, 2);
    d = ngx_kmip_kp_json_atoi(p + 8, 2);
    h = ngx_kmip_kp_json_atoi(p + 11, 2);
    mi = ngx_kmip_kp_json_atoi(p + 14, 2);
    s = ngx_kmip_kp_json_atoi(p + 17, 2);

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

    return (time_t) (days * 86400 + h * 3600 + mi * 60 + s);
}


/*
 * yajl's own buffers (a string with escapes is decoded into one, a JSON
 * body is generated into one) are wiped before they are freed
 */

#define NGX_KMIP_KP_JSON_ALLOC_HEADER  16


void *
ngx_kmip_kp_json_malloc(void *ctx, size_t size)
{
    unsigned char  *p;

    (void) ctx;

    if (size > SIZE_MAX - NGX_KMIP_KP_JSON_ALLOC_HEADER) {
        return NULL;
    }

    p = malloc(size + NGX_KMIP_KP_JSON_ALLOC_HEADER);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, &size, sizeof(size_t));

    return p + NGX_KMIP_KP_JSON_ALLOC_HEADER;
}


void *
ngx_kmip_kp_json_realloc(void *ctx, void *ptr, size_t size)
{
    size_t          old;
    unsigned char  *p;

    p = ngx_kmip_kp_json_malloc(ctx, size);

    if (p == NULL || ptr == NULL) {
        return p;
    }

    memcpy(&old, (unsigned char *) ptr - NGX_KMIP_KP_JSON_ALLOC_HEADER,
           sizeof(size_t));
    memcpy(p, ptr, old < size ? old : size);

    ngx_kmip_kp_json_free(ctx, ptr);

    return p;
}


void
ngx_kmip_kp_json_free(void *ctx, void *ptr)
{
    size_t          size;
    unsigned char  *p;

    (void) ctx;

    if (ptr == NULL) {
        return;
    }

    p = (unsigned char *) ptr - NGX_KMIP_KP_JSON_ALLOC_HEADER;
    memcpy(&size, p, sizeof(size_t));

    ngx_kmip_kp_json_cleanse(p, size + NGX_KMIP_KP_JSON_ALLOC_HEADER);
    free(p);
}
