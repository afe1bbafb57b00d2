
/*
 * The JSON encoding of KMIP ("KMIP Additional Message Encodings" v1.0,
 * section JSON): every item an object {"tag": name, "type": type,
 * "value": value}, "type" left out for a Structure, whose value is the
 * array of its items.  Decoding goes through yajl's event parser
 * (libyajl), bounded by ngx_kmip_limits_t; encoding is written here.
 * Plain C99, no nginx headers; the tree's memory comes from the caller's
 * allocator, yajl's own buffers from malloc.  Declared in
 * ngx_kmip_text.h.
 *
 * yajl's event parser, not its tree: yajl_tree would hold the whole
 * document a second time, in a malloc per member, and recurse over it with
 * no depth bound; the callbacks build the item tree as the document is
 * read, in the caller's allocator, and stop at the first member past
 * max_depth or max_items.  The members of an object may come in any
 * order: an item is made when its object closes, a Structure's items are
 * gathered before its tag is known.  yajl hands a string without escapes
 * as a pointer into buf (a Byte String's hex, the key material, is not
 * copied into yajl's buffers); every string is copied before the
 * callback returns.
 */


#include <yajl/yajl_parse.h>

#include "ngx_kmip_text.h"


typedef enum {
    NGX_KMIP_JSON_KEY_NONE = 0,
    NGX_KMIP_JSON_KEY_TAG,
    NGX_KMIP_JSON_KEY_TYPE,
    NGX_KMIP_JSON_KEY_VALUE
} ngx_kmip_json_key_e;


typedef enum {
    NGX_KMIP_JSON_V_NONE = 0,
    NGX_KMIP_JSON_V_STRING,
    NGX_KMIP_JSON_V_NUMBER,
    NGX_KMIP_JSON_V_BOOL,
    NGX_KMIP_JSON_V_ARRAY
} ngx_kmip_json_value_e;


typedef struct ngx_kmip_json_frame_s  ngx_kmip_json_frame_t;

/* an open object: an item being read */
struct ngx_kmip_json_frame_s {
    ngx_kmip_json_frame_t  *prev;
    ngx_kmip_item_t        *item;       /* the Structure of an array value */
    uint32_t                tag;
    uint8_t                 type;
    unsigned                key:2;      /* ngx_kmip_json_key_e */
    unsigned                value:3;    /* ngx_kmip_json_value_e */
    unsigned                in_array:1;
    const uint8_t          *str;        /* a string or number, copied */
    size_t                  len;
    size_t                  depth;
};


typedef struct {
    ngx_kmip_allocator_t   *a;
    ngx_kmip_json_frame_t  *top;
    ngx_kmip_item_t        *root;
    size_t                  items;
    size_t                  max_items;
    size_t                  max_depth;
    int                     rc;
    uint32_t                tag;
    const char             *what;
} ngx_kmip_json_ctx_t;


static int
ngx_kmip_json_cancel(ngx_kmip_json_ctx_t *ctx, int rc, const char *what)
{
    ctx->rc = rc;
    ctx->tag = ctx->top ? ctx->top->tag : 0;
    ctx->what = what;

    return 0;
}


/* memory from the caller's allocator, or NULL after cancelling the parse */

static void *
ngx_kmip_json_alloc(ngx_kmip_json_ctx_t *ctx, size_t size)
{
    void  *p;

    p = ctx->a->alloc(ctx->a->data, size);
    if (p == NULL) {
        (void) ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_NOMEM, NULL);
    }

    return p;
}


/*
 * the frame a scalar is for, or NULL after cancelling the parse; a number
 * or a boolean (value_only) can only be the value member
 */

static ngx_kmip_json_frame_t *
ngx_kmip_json_scalar(ngx_kmip_json_ctx_t *ctx, unsigned value_only)
{
    int                     rc;
    const char             *what;
    ngx_kmip_json_frame_t  *f;

    f = ctx->top;

    if (f == NULL || f->in_array) {
        rc = NGX_KMIP_ERR_SYNTAX;
        what = "not an object";

    } else if (value_only && f->key != NGX_KMIP_JSON_KEY_VALUE) {
        rc = NGX_KMIP_ERR_FIELD;
        what = "tag or type not a string";

    } else {
        if (value_only) {
            f->key = NGX_KMIP_JSON_KEY_NONE;
        }

        return f;
    }

    (void) ngx_kmip_json_cancel(ctx, rc, what);

    return NULL;
}


/* a string or number kept until the object closes: yajl's is transient */

static int
ngx_kmip_json_keep(ngx_kmip_json_ctx_t *ctx, ngx_kmip_json_frame_t *f,
    const void *s, size_t n, ngx_kmip_json_value_e kind)
{
    uint8_t  *copy;

    copy = ngx_kmip_json_alloc(ctx, n ? n : 1);
    if (copy == NULL) {
        return 0;
    }

    memcpy(copy, s, n);
    f->str = copy;
    f->len = n;
    f->value = kind;

    return 1;
}


static int
ngx_kmip_json_string(void *data, const unsigned char *s, size_t n)
{
    ngx_kmip_json_ctx_t *ctx = data;

    ngx_kmip_json_frame_t  *f;

    f = ngx_kmip_json_scalar(ctx, 0);
    if (f == NULL) {
        return 0;
    }

    switch (f->key) {

    case NGX_KMIP_JSON_KEY_TAG:
        f->tag = ngx_kmip_text_tag_by_name(s, n);
        if (f->tag == 0) {
            return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_NAME,
                                        "unknown tag");
        }

        break;

    case NGX_KMIP_JSON_KEY_TYPE:
        f->type = ngx_kmip_text_type_by_name(s, n);
        if (f->type == 0) {
            return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_NAME,
                                        "unknown type");
        }

        break;

    default:
        f->key = NGX_KMIP_JSON_KEY_NONE;
        return ngx_kmip_json_keep(ctx, f, s, n, NGX_KMIP_JSON_V_STRING);
    }

    f->key = NGX_KMIP_JSON_KEY_NONE;

    return 1;
}


static int
ngx_kmip_json_number(void *data, const char *s, size_t n)
{
    ngx_kmip_json_ctx_t *ctx = data;

    ngx_kmip_json_frame_t  *f;

    f = ngx_kmip_json_scalar(ctx, 1);
    if (f == NULL) {
        return 0;
    }

    return ngx_kmip_json_keep(ctx, f, s, n, NGX_KMIP_JSON_V_NUMBER);
}


static int
ngx_kmip_json_boolean(void *data, int v)
{
    ngx_kmip_json_ctx_t *ctx = data;

    ngx_kmip_json_frame_t  *f;

    f = ngx_kmip_json_scalar(ctx, 1);
    if (f == NULL) {
        return 0;
    }

    f->len = (size_t) v;
    f->value = NGX_KMIP_JSON_V_BOOL;

    return 1;
}


static int
ngx_kmip_json_null(void *data)
{
    return ngx_kmip_json_cancel(data, NGX_KMIP_ERR_VALUE, "null");
}


static int
ngx_kmip_json_start_map(void *data)
{
    ngx_kmip_json_ctx_t *ctx = data;

    size_t                  depth;
    ngx_kmip_json_frame_t  *f;

    if (ctx->top != NULL && !ctx->top->in_array) {
        return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_SYNTAX,
                                    "an object as a tag, type or value");
    }

    depth = ctx->top ? ctx->top->depth + 1 : 1;

    if (depth > ctx->max_depth) {
        return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_DEPTH,
                                    "nesting too deep");
    }

    if (++ctx->items > ctx->max_items) {
        return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_ITEMS,
                                    "too many items");
    }

    f = ngx_kmip_json_alloc(ctx, sizeof(ngx_kmip_json_frame_t));
    if (f == NULL) {
        return 0;
    }

    memset(f, 0, sizeof(ngx_kmip_json_frame_t));
    f->prev = ctx->top;
    f->depth = depth;
    ctx->top = f;

    return 1;
}


static int
ngx_kmip_json_map_key(void *data, const unsigned char *s, size_t n)
{
    ngx_kmip_json_ctx_t *ctx = data;

    ngx_kmip_json_frame_t  *f;

    f = ctx->top;

    if (n == 3 && memcmp(s, "tag", 3) == 0) {
        f->key = NGX_KMIP_JSON_KEY_TAG;

        if (f->tag != 0) {
            return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_FIELD,
                                        "duplicate tag");
        }

    } else if (n == 4 && memcmp(s, "type", 4) == 0) {
        f->key = NGX_KMIP_JSON_KEY_TYPE;

        if (f->type != 0) {
            return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_FIELD,
                                        "duplicate type");
        }

    } else if (n == 5 && memcmp(s, "value", 5) == 0) {
        f->key = NGX_KMIP_JSON_KEY_VALUE;

        if (f->value != NGX_KMIP_JSON_V_NONE) {
            return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_FIELD,
                                        "duplicate value");
        }

    } else {
        return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_FIELD,
                                    "unknown member");
    }

    return 1;
}


/* a JSON number as the value of a numeric item */

static int
ngx_kmip_json_set_number(ngx_kmip_json_ctx_t *ctx, ngx_kmip_item_t *item,
    const uint8_t *s, size_t n)
{
    int64_t  min, max, v;

    min = INT64_MIN;
    max = INT64_MAX;

    switch (item->type) {

    case NGX_KMIP_TYPE_INTEGER:
        min = INT32_MIN;
        max = INT32_MAX;
        break;

    case NGX_KMIP_TYPE_ENUMERATION:
    case NGX_KMIP_TYPE_INTERVAL:
        min = 0;
        max = UINT32_MAX;
        break;

    case NGX_KMIP_TYPE_LONG_INTEGER:
    case NGX_KMIP_TYPE_BIG_INTEGER:
    case NGX_KMIP_TYPE_DATE_TIME:
    case NGX_KMIP_TYPE_DATE_TIME_EXTENDED:
        break;

    default:
        return NGX_KMIP_ERR_VALUE;
    }

    if (ngx_kmip_text_parse_dec(s, n, min, max, &v) != NGX_KMIP_OK) {
        return NGX_KMIP_ERR_VALUE;
    }

    if (item->type == NGX_KMIP_TYPE_BIG_INTEGER) {
        return ngx_kmip_text_set_bigint64(ctx->a, item, v);
    }

    item->v.num = v;

    return NGX_KMIP_OK;
}


static int
ngx_kmip_json_end_map(void *data)
{
    ngx_kmip_json_ctx_t *ctx = data;

    int                     rc;
    ngx_kmip_item_t        *item, *parent;
    ngx_kmip_json_frame_t  *f;

    f = ctx->top;

    if (f->tag == 0) {
        return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_FIELD, "no tag");
    }

    if (f->value == NGX_KMIP_JSON_V_NONE) {
        return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_FIELD, "no value");
    }

    parent = f->prev ? f->prev->item : NULL;

    if (f->value == NGX_KMIP_JSON_V_ARRAY) {
        if (f->type != 0 && f->type != NGX_KMIP_TYPE_STRUCTURE) {
            return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_VALUE,
                                        "an array not of a Structure");
        }

        item = f->item;
        item->tag = f->tag;

    } else {
        if (f->type == 0 || f->type == NGX_KMIP_TYPE_STRUCTURE) {
            return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_FIELD,
                                        f->type ? "a Structure not an array"
                                                : "no type");
        }

        item = ngx_kmip_ttlv_item_new(ctx->a, f->tag, f->type);
        if (item == NULL) {
            return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_NOMEM, NULL);
        }

        if (f->value == NGX_KMIP_JSON_V_STRING) {
            rc = ngx_kmip_text_set_value(ctx->a, item,
                                      ngx_kmip_text_value_tag(parent, item),
                                      f->str, f->len, '|');

        } else if (f->value == NGX_KMIP_JSON_V_NUMBER) {
            rc = ngx_kmip_json_set_number(ctx, item, f->str, f->len);

        } else if (f->type == NGX_KMIP_TYPE_BOOLEAN) {
            item->v.num = (int64_t) f->len;
            rc = NGX_KMIP_OK;

        } else {
            rc = NGX_KMIP_ERR_VALUE;
        }

        if (rc != NGX_KMIP_OK) {
            return ngx_kmip_json_cancel(ctx, rc, "bad value");
        }
    }

    if (parent != NULL) {
        ngx_kmip_ttlv_item_append(parent, item);

    } else {
        ctx->root = item;
    }

    ctx->top = f->prev;

    return 1;
}


static int
ngx_kmip_json_start_array(void *data)
{
    ngx_kmip_json_ctx_t *ctx = data;

    ngx_kmip_json_frame_t  *f;

    f = ngx_kmip_json_scalar(ctx, 1);
    if (f == NULL) {
        return 0;
    }

    /* the tag is set when the object closes: it may come last */

    f->item = ngx_kmip_ttlv_item_new(ctx->a, 0, NGX_KMIP_TYPE_STRUCTURE);
    if (f->item == NULL) {
        return ngx_kmip_json_cancel(ctx, NGX_KMIP_ERR_NOMEM, NULL);
    }

    f->value = NGX_KMIP_JSON_V_ARRAY;
    f->in_array = 1;

    return 1;
}


static int
ngx_kmip_json_end_array(void *data)
{
    ngx_kmip_json_ctx_t *ctx = data;

    ctx->top->in_array = 0;

    return 1;
}


static const yajl_callbacks  ngx_kmip_json_callbacks = {
    ngx_kmip_json_null,
    ngx_kmip_json_boolean,
    NULL,
    NULL,
    ngx_kmip_json_number,
    ngx_kmip_json_string,
    ngx_kmip_json_start_map,
    ngx_kmip_json_map_key,
    ngx_kmip_json_end_map,
    ngx_kmip_json_start_array,
    ngx_kmip_json_end_array
};


int
ngx_kmip_json_decode(const uint8_t *buf, size_t len,
    const ngx_kmip_limits_t *limits, ngx_kmip_allocator_t *a,
    ngx_kmip_item_t **root, ngx_kmip_error_t *err)
{
    int                  rc;
    size_t               bad, offset;
    yajl_handle          h;
    yajl_status          status;
    ngx_kmip_json_ctx_t  ctx;

    *root = NULL;

    if (!ngx_kmip_ttlv_utf8_valid(buf, len, &bad)) {
        return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_UTF8, bad, 0,
                                  "not UTF-8");
    }

    memset(&ctx, 0, sizeof(ctx));
    ctx.a = a;

    ngx_kmip_text_limits(limits, &ctx.max_depth, &ctx.max_items);

    h = yajl_alloc(&ngx_kmip_json_callbacks, NULL, &ctx);
    if (h == NULL) {
        return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_NOMEM, 0, 0, NULL);
    }

    status = yajl_parse(h, buf, len);
    offset = yajl_get_bytes_consumed(h);

    if (status == yajl_status_ok) {
        status = yajl_complete_parse(h);

        if (status != yajl_status_ok && ctx.rc == NGX_KMIP_OK) {
            ctx.rc = NGX_KMIP_ERR_TRUNCATED;
            ctx.what = "truncated";
        }

        offset = len;

    } else if (ctx.rc == NGX_KMIP_OK) {
        ctx.rc = NGX_KMIP_ERR_SYNTAX;
        ctx.what = "not JSON";
    }

    yajl_free(h);

    rc = ctx.rc;

    if (rc == NGX_KMIP_OK && ctx.root == NULL) {
        rc = NGX_KMIP_ERR_TRUNCATED;
        ctx.what = "no object";
    }

    if (rc != NGX_KMIP_OK) {
        return ngx_kmip_ttlv_fail(err, rc, offset, ctx.tag, ctx.what);
    }

    *root = ctx.root;

    return NGX_KMIP_OK;
}


static void
ngx_kmip_json_put_escaped(ngx_kmip_text_out_t *o, const uint8_t *p,
    size_t n)
{
    size_t       i, run;
    uint8_t      c;
    const char  *rep;

    run = 0;

    for (i = 0; i < n; i++) {
        c = p[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }

        ngx_kmip_text_put(o, p + run, i - run);
        run = i + 1;

        switch (c) {
        case '"':
            rep = "\\\"";
            break;
        case '\\':
            rep = "\\\\";
            break;
        case '\n':
            rep = "\\n";
            break;
        case '\r':
            rep = "\\r";
            break;
        case '\t':
            rep = "\\t";
            break;
        default:
            rep = NULL;
        }

        if (rep != NULL) {
            ngx_kmip_text_puts(o, rep);
            continue;
        }

        ngx_kmip_text_puts(o, "\\u00");
        ngx_kmip_text_put_hex(o, &c, 1);
    }

    ngx_kmip_text_put(o, p + run, n - run);
}


/* 1 if the value is a JSON number or boolean rather than a string */

static int
ngx_kmip_json_bare(uint32_t vtag, const ngx_kmip_item_t *item)
{
    switch (item->type) {

    case NGX_KMIP_TYPE_INTEGER:
        return item->v.num == 0 || !ngx_kmip_text_is_mask(vtag);

    case NGX_KMIP_TYPE_INTERVAL:
    case NGX_KMIP_TYPE_BOOLEAN:
        return 1;

    case NGX_KMIP_TYPE_LONG_INTEGER:
        /* a double holds integers up to 2^53 exactly: the spec's bound is
           2^52 */
        return item->v.num > -(INT64_C(1) << 52)
               && item->v.num < (INT64_C(1) << 52);

    default:
        return 0;
    }
}


static void
ngx_kmip_json_put_item(ngx_kmip_text_out_t *o,
    const ngx_kmip_item_t *parent, const ngx_kmip_item_t *item)
{
    uint32_t                vtag;
    const ngx_kmip_item_t  *kid;

    ngx_kmip_text_puts(o, "{\"tag\":\"");
    ngx_kmip_text_put_tag(o, item->tag);

    if (item->type == NGX_KMIP_TYPE_STRUCTURE) {
        ngx_kmip_text_puts(o, "\",\"value\":[");

        for (kid = item->v.kids.first; kid; kid = kid->next) {
            ngx_kmip_json_put_item(o, item, kid);

            if (kid->next) {
                ngx_kmip_text_puts(o, ",");
            }
        }

        ngx_kmip_text_puts(o, "]}");
        return;
    }

    ngx_kmip_text_puts(o, "\",\"type\":\"");
    ngx_kmip_text_puts(o, ngx_kmip_text_type_name(item->type));
    ngx_kmip_text_puts(o, "\",\"value\":");

    vtag = ngx_kmip_text_value_tag(parent, item);

    if (item->type == NGX_KMIP_TYPE_TEXT_STRING) {
        ngx_kmip_text_puts(o, "\"");
        ngx_kmip_json_put_escaped(o, item->v.str.data, item->v.str.len);
        ngx_kmip_text_puts(o, "\"}");
        return;
    }

    if (ngx_kmip_json_bare(vtag, item)) {
        ngx_kmip_text_put_value(o, vtag, item, '|', 1);
        ngx_kmip_text_puts(o, "}");
        return;
    }

    ngx_kmip_text_puts(o, "\"");

    if (item->type == NGX_KMIP_TYPE_LONG_INTEGER) {
        ngx_kmip_text_put_hexnum(o, (uint64_t) item->v.num, 16);

    } else {
        ngx_kmip_text_put_value(o, vtag, item, '|', 1);
    }

    ngx_kmip_text_puts(o, "\"}");
}


size_t
ngx_kmip_json_size(const ngx_kmip_item_t *item)
{
    return ngx_kmip_text_size(ngx_kmip_json_put_item, item);
}


uint8_t *
ngx_kmip_json_encode(const ngx_kmip_item_t *item, uint8_t *out)
{
    return ngx_kmip_text_encode(ngx_kmip_json_put_item, item, out);
}
