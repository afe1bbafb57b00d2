
/*
 * Copyright (C) ngx_kmip authors
 */


#include <stdint.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "ngx_kmip_kp_json.h"


typedef struct {
    ngx_kmip_allocator_t       *a;
    ngx_kmip_allocator_t       *secret;
} ngx_kmip_kp_json_ctx_t;


static yajl_val ngx_kmip_kp_json_tree(const unsigned char *body, size_t len);
static void ngx_kmip_kp_json_free(yajl_val v);
static void ngx_kmip_kp_json_wipe(yajl_val v);
static int ngx_kmip_kp_json_keys(ngx_kmip_kp_json_ctx_t *ctx, yajl_val root,
    ngx_kmip_kp_json_result_t *out);
static int ngx_kmip_kp_json_key(ngx_kmip_kp_json_ctx_t *ctx, yajl_val v,
    ngx_kmip_kp_json_key_t *key);
static int ngx_kmip_kp_json_wrap(ngx_kmip_kp_json_ctx_t *ctx, yajl_val root,
    ngx_kmip_kp_json_result_t *out, int unwrap);
static int ngx_kmip_kp_json_copy(ngx_kmip_allocator_t *a, yajl_val v,
    ngx_kmip_kp_json_str_t *dst);
static int ngx_kmip_kp_json_get_str(ngx_kmip_allocator_t *a, yajl_val obj,
    const char *name, ngx_kmip_kp_json_str_t *dst);
static int ngx_kmip_kp_json_decode(ngx_kmip_allocator_t *a, yajl_val v,
    ngx_kmip_kp_json_str_t *dst);
static int ngx_kmip_kp_json_atoi(const unsigned char *p, size_t n);


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
    int                     rc;
    yajl_val                root;
    ngx_kmip_kp_json_ctx_t  ctx;

    memset(out, 0, sizeof(ngx_kmip_kp_json_result_t));

    ctx.a = a;
    ctx.secret = secret;

    root = ngx_kmip_kp_json_tree(body, len);

    switch (kind) {

    case NGX_KMIP_KP_JSON_KEYS:
        rc = ngx_kmip_kp_json_keys(&ctx, root, out);
        break;

    case NGX_KMIP_KP_JSON_CREATED:
        rc = ngx_kmip_kp_json_keys(&ctx, root, out);
        if (rc == 0 && out->nkeys != 1) {
            rc = -1;
        }
        break;

    case NGX_KMIP_KP_JSON_NONE:
        /* a body, when there is one, is an envelope; else nothing to say */
        rc = (root && YAJL_IS_OBJECT(root))
             ? ngx_kmip_kp_json_keys(&ctx, root, out) : 0;
        break;

    case NGX_KMIP_KP_JSON_WRAP:
        rc = ngx_kmip_kp_json_wrap(&ctx, root, out, 0);
        break;

    case NGX_KMIP_KP_JSON_UNWRAP:
        rc = ngx_kmip_kp_json_wrap(&ctx, root, out, 1);
        break;

    default:
        rc = -1;
    }

    if (root) {
        ngx_kmip_kp_json_free(root);
    }

    return rc;
}


int
ngx_kmip_kp_json_error(const unsigned char *body, size_t len,
    ngx_kmip_allocator_t *a, ngx_kmip_kp_json_str_t *reason)
{
    yajl_val  root, v;

    static const char  *res_path[] = { "resources", NULL };
    static const char  *reasons_path[] = { "reasons", NULL };

    reason->len = 0;
    reason->data = NULL;

    root = ngx_kmip_kp_json_tree(body, len);
    if (root == NULL) {
        return -1;
    }

    v = yajl_tree_get(root, res_path, yajl_t_array);

    if (v && YAJL_GET_ARRAY(v)->len
        && YAJL_IS_OBJECT(YAJL_GET_ARRAY(v)->values[0]))
    {
        v = yajl_tree_get(YAJL_GET_ARRAY(v)->values[0], reasons_path,
                          yajl_t_array);

        if (v && YAJL_GET_ARRAY(v)->len
            && ngx_kmip_kp_json_get_str(a, YAJL_GET_ARRAY(v)->values[0],
                                        "code", reason)
               != 0)
        {
            reason->len = 0;
            reason->data = NULL;
        }
    }

    ngx_kmip_kp_json_free(root);

    return 0;
}


static yajl_val
ngx_kmip_kp_json_tree(const unsigned char *body, size_t len)
{
    if (body == NULL || len == 0 || body[len] != '\0') {
        return NULL;
    }

    return yajl_tree_parse((const char *) body, NULL, 0);
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
        ngx_kmip_kp_json_cleanse(v->u.string, strlen(v->u.string));

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


static int
ngx_kmip_kp_json_keys(ngx_kmip_kp_json_ctx_t *ctx, yajl_val root,
    ngx_kmip_kp_json_result_t *out)
{
    size_t    i, n;
    yajl_val  res;

    static const char  *res_path[] = { "resources", NULL };

    if (root == NULL || !YAJL_IS_OBJECT(root)) {
        return -1;
    }

    out->has_keys = 1;

    /* an empty list has no "resources" */

    res = yajl_tree_get(root, res_path, yajl_t_any);
    if (res == NULL) {
        return 0;
    }

    if (!YAJL_IS_ARRAY(res)) {
        return -1;
    }

    n = YAJL_GET_ARRAY(res)->len;
    if (n == 0) {
        return 0;
    }

    if (n > SIZE_MAX / sizeof(ngx_kmip_kp_json_key_t)) {
        return -1;
    }

    out->keys = ctx->a->alloc(ctx->a->data,
                              n * sizeof(ngx_kmip_kp_json_key_t));
    if (out->keys == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (ngx_kmip_kp_json_key(ctx, YAJL_GET_ARRAY(res)->values[i],
                                 &out->keys[i])
            != 0)
        {
            return -1;
        }

        out->nkeys++;
    }

    return 0;
}


static int
ngx_kmip_kp_json_key(ngx_kmip_kp_json_ctx_t *ctx, yajl_val v,
    ngx_kmip_kp_json_key_t *key)
{
    size_t    i, n;
    yajl_val  f;

    static const char  *state_path[] = { "state", NULL };
    static const char  *extractable_path[] = { "extractable", NULL };
    static const char  *deleted_path[] = { "deleted", NULL };
    static const char  *aliases_path[] = { "aliases", NULL };
    static const char  *created_path[] = { "creationDate", NULL };
    static const char  *deleted_date_path[] = { "deletionDate", NULL };
    static const char  *payload_path[] = { "payload", NULL };

    memset(key, 0, sizeof(ngx_kmip_kp_json_key_t));

    if (!YAJL_IS_OBJECT(v)) {
        return -1;
    }

    if (ngx_kmip_kp_json_get_str(ctx->a, v, "id", &key->id) != 0
        || key->id.len == 0)
    {
        return -1;
    }

    if (ngx_kmip_kp_json_get_str(ctx->a, v, "name", &key->name) < 0
        || ngx_kmip_kp_json_get_str(ctx->a, v, "description",
                                    &key->description) < 0)
    {
        return -1;
    }

    f = yajl_tree_get(v, state_path, yajl_t_number);
    key->state = (f && YAJL_IS_INTEGER(f)) ? YAJL_GET_INTEGER(f) : 1;

    f = yajl_tree_get(v, extractable_path, yajl_t_any);
    key->extractable = (f && YAJL_IS_TRUE(f));

    f = yajl_tree_get(v, deleted_path, yajl_t_any);
    key->deleted = (f && YAJL_IS_TRUE(f)) || key->state == 5;

    f = yajl_tree_get(v, created_path, yajl_t_string);
    if (f) {
        key->creation_date = ngx_kmip_kp_json_date(
                                 (unsigned char *) f->u.string,
                                 strlen(f->u.string));
    }

    f = yajl_tree_get(v, deleted_date_path, yajl_t_string);
    if (f) {
        key->deletion_date = ngx_kmip_kp_json_date(
                                 (unsigned char *) f->u.string,
                                 strlen(f->u.string));
    }

    f = yajl_tree_get(v, aliases_path, yajl_t_array);
    if (f && YAJL_GET_ARRAY(f)->len) {
        n = YAJL_GET_ARRAY(f)->len;

        if (n > SIZE_MAX / sizeof(ngx_kmip_kp_json_str_t)) {
            return -1;
        }

        key->aliases = ctx->a->alloc(ctx->a->data,
                                     n * sizeof(ngx_kmip_kp_json_str_t));
        if (key->aliases == NULL) {
            return -1;
        }

        for (i = 0; i < n; i++) {
            if (ngx_kmip_kp_json_copy(ctx->a, YAJL_GET_ARRAY(f)->values[i],
                                      &key->aliases[i])
                != 0)
            {
                return -1;
            }

            key->naliases++;
        }
    }

    f = yajl_tree_get(v, payload_path, yajl_t_string);
    if (f && ngx_kmip_kp_json_decode(ctx->secret, f, &key->payload) != 0) {
        return -1;
    }

    return 0;
}


static int
ngx_kmip_kp_json_wrap(ngx_kmip_kp_json_ctx_t *ctx, yajl_val root,
    ngx_kmip_kp_json_result_t *out, int unwrap)
{
    yajl_val  f;

    static const char  *ct_path[] = { "ciphertext", NULL };
    static const char  *pt_path[] = { "plaintext", NULL };
    static const char  *ver_path[] = { "keyVersion", "id", NULL };
    static const char  *rver_path[] = { "rewrappedKeyVersion", "id", NULL };

    if (root == NULL || !YAJL_IS_OBJECT(root)) {
        return -1;
    }

    f = yajl_tree_get(root, pt_path, yajl_t_string);

    if (unwrap && f == NULL) {
        return -1;
    }

    if (f && ngx_kmip_kp_json_decode(ctx->secret, f, &out->plaintext) != 0) {
        return -1;
    }

    f = yajl_tree_get(root, ct_path, yajl_t_string);

    if (!unwrap && f == NULL) {
        return -1;
    }

    if (f && ngx_kmip_kp_json_copy(ctx->a, f, &out->ciphertext) != 0) {
        return -1;
    }

    if (!unwrap && out->ciphertext.len == 0) {
        return -1;
    }

    /* unwrap: the version of a rewrapped ciphertext, else the one used */

    f = NULL;

    if (unwrap && out->ciphertext.len) {
        f = yajl_tree_get(root, rver_path, yajl_t_string);
    }

    if (f == NULL) {
        f = yajl_tree_get(root, ver_path, yajl_t_string);
    }

    if (f && ngx_kmip_kp_json_copy(ctx->a, f, &out->key_version) != 0) {
        return -1;
    }

    return 0;
}


static int
ngx_kmip_kp_json_copy(ngx_kmip_allocator_t *a, yajl_val v,
    ngx_kmip_kp_json_str_t *dst)
{
    size_t  len;

    if (v == NULL || !YAJL_IS_STRING(v)) {
        return -1;
    }

    len = strlen(v->u.string);

    dst->data = a->alloc(a->data, len + 1);
    if (dst->data == NULL) {
        return -1;
    }

    memcpy(dst->data, v->u.string, len + 1);
    dst->len = len;

    return 0;
}


/* 0, 1 (absent or null) or -1 (not a string, memory) */

static int
ngx_kmip_kp_json_get_str(ngx_kmip_allocator_t *a, yajl_val obj,
    const char *name, ngx_kmip_kp_json_str_t *dst)
{
    yajl_val     v;
    const char  *path[2];

    dst->len = 0;
    dst->data = NULL;

    if (obj == NULL || !YAJL_IS_OBJECT(obj)) {
        return 1;
    }

    path[0] = name;
    path[1] = NULL;

    v = yajl_tree_get(obj, path, yajl_t_any);
    if (v == NULL || YAJL_IS_NULL(v)) {
        return 1;
    }

    return ngx_kmip_kp_json_copy(a, v, dst);
}


/* standard base64 as nginx's ngx_decode_base64(): stops at '=' */

static int
ngx_kmip_kp_json_decode(ngx_kmip_allocator_t *a, yajl_val v,
    ngx_kmip_kp_json_str_t *dst)
{
    size_t          len, n;
    unsigned char  *d;
    const unsigned char  *s;

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

    s = (const unsigned char *) v->u.string;
    n = strlen(v->u.string);

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
