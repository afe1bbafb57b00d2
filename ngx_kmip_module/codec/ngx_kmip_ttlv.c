
/*
 * KMIP TTLV codec.
 */


#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_tag_versions.h"


typedef struct {
    ngx_kmip_item_t  *item;
    size_t            end;      /* offset just past the structure's value */
} ngx_kmip_frame_t;


static uint32_t ngx_kmip_get32(const uint8_t *p);
static uint64_t ngx_kmip_get64(const uint8_t *p);
static uint8_t *ngx_kmip_put32(uint8_t *p, uint32_t v);
static uint8_t *ngx_kmip_put64(uint8_t *p, uint64_t v);
static ngx_kmip_item_t *ngx_kmip_ttlv_add(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, uint8_t type);
static ngx_kmip_item_t *ngx_kmip_ttlv_add_str(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, uint8_t type, const uint8_t *p,
    size_t n);


static uint32_t
ngx_kmip_get32(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | (uint32_t) p[3];
}


static uint64_t
ngx_kmip_get64(const uint8_t *p)
{
    return ((uint64_t) ngx_kmip_get32(p) << 32) | ngx_kmip_get32(p + 4);
}


static uint8_t *
ngx_kmip_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;

    return p + 4;
}


static uint8_t *
ngx_kmip_put64(uint8_t *p, uint64_t v)
{
    p = ngx_kmip_put32(p, (uint32_t) (v >> 32));
    return ngx_kmip_put32(p, (uint32_t) v);
}


int
ngx_kmip_ttlv_fail(ngx_kmip_error_t *err, int rc, size_t offset, uint32_t tag,
    const char *what)
{
    if (err) {
        err->rc = rc;
        err->offset = offset;
        err->tag = tag;
        err->what = what;
    }

    return rc;
}


int
ngx_kmip_ttlv_tag_valid(uint32_t tag)
{
    uint32_t  prefix;

    prefix = tag >> 16;

    return prefix == NGX_KMIP_TAGS_KMIP
           || prefix == NGX_KMIP_TAGS_EXTENSION;
}


int
ngx_kmip_ttlv_utf8_valid(const uint8_t *p, size_t n, size_t *bad)
{
    size_t   i, k, need;
    uint8_t  c, lo, hi;

    i = 0;

    while (i < n) {
        c = p[i];

        if (c < 0x80) {
            i++;
            continue;
        }

        lo = 0x80;
        hi = 0xBF;

        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;

        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;

            if (c == 0xE0) {
                lo = 0xA0;          /* overlong */

            } else if (c == 0xED) {
                hi = 0x9F;          /* surrogates */
            }

        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;

            if (c == 0xF0) {
                lo = 0x90;          /* overlong */

            } else if (c == 0xF4) {
                hi = 0x8F;          /* > U+10FFFF */
            }

        } else {
            goto invalid;           /* 80-C1 (continuation, overlong), F5- */
        }

        if (n - i <= need) {
            goto invalid;
        }

        if (p[i + 1] < lo || p[i + 1] > hi) {
            goto invalid;
        }

        for (k = 2; k <= need; k++) {
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) {
                goto invalid;
            }
        }

        i += need + 1;
    }

    return 1;

invalid:

    if (bad) {
        *bad = i;
    }

    return 0;
}


int
ngx_kmip_ttlv_peek_header(const uint8_t *p, uint32_t *tag, uint8_t *type,
    uint32_t *len)
{
    *tag = ((uint32_t) p[0] << 16) | ((uint32_t) p[1] << 8) | p[2];
    *type = p[3];
    *len = ngx_kmip_get32(p + 4);

    if (!ngx_kmip_ttlv_tag_valid(*tag)) {
        return NGX_KMIP_ERR_TAG;
    }

    if (*type != NGX_KMIP_TYPE_STRUCTURE) {
        return NGX_KMIP_ERR_TYPE;
    }

    if (*len % 8) {
        return NGX_KMIP_ERR_LENGTH;
    }

    return NGX_KMIP_OK;
}


int
ngx_kmip_ttlv_decode(const uint8_t *buf, size_t len,
    const ngx_kmip_limits_t *limits, ngx_kmip_allocator_t *a,
    ngx_kmip_item_t **root, ngx_kmip_error_t *err)
{
    size_t             pos, limit, max_depth, max_items, nitems, sp, depth,
                       nframes, i, bad, padded;
    uint8_t            type;
    uint32_t           tag, vlen;
    uint64_t           u;
    const uint8_t     *p;
    ngx_kmip_item_t   *item, *top;
    ngx_kmip_frame_t  *stack;

    enum {
        sw_item = 0,
        sw_length,
        sw_value,
        sw_link
    } state;

    *root = NULL;

    (void) ngx_kmip_ttlv_fail(err, NGX_KMIP_OK, 0, 0, NULL);

    max_depth = NGX_KMIP_DEFAULT_MAX_DEPTH;
    max_items = NGX_KMIP_DEFAULT_MAX_ITEMS;

    if (limits) {
        if (limits->max_depth) {
            max_depth = limits->max_depth;
        }

        if (limits->max_items) {
            max_items = limits->max_items;
        }
    }

    /* every open structure holds at least its 8-byte header */
    nframes = len / NGX_KMIP_TTLV_HEADER_LEN + 1;
    if (nframes > max_depth) {
        nframes = max_depth;
    }

    stack = NULL;

    if (nframes <= SIZE_MAX / sizeof(ngx_kmip_frame_t)) {
        stack = a->alloc(a->data, nframes * sizeof(ngx_kmip_frame_t));
    }

    if (stack == NULL) {
        return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_NOMEM, 0, 0,
                                  "out of memory");
    }

    pos = 0;
    sp = 0;
    nitems = 0;
    top = NULL;

    /* set in one state, read in a later one */
    limit = 0;
    type = 0;
    tag = 0;
    vlen = 0;
    padded = 0;
    p = NULL;
    item = NULL;

    state = sw_item;

    for ( ;; ) {

        switch (state) {

        /* an item starts here, once the structures that end here close */

        case sw_item:

            while (sp > 0 && pos == stack[sp - 1].end) {
                sp--;
            }

            if (sp == 0 && top != NULL) {
                goto done;
            }

            limit = (sp > 0) ? stack[sp - 1].end : len;

            if (limit - pos < NGX_KMIP_TTLV_HEADER_LEN) {
                if (sp > 0) {
                    return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_LENGTH, pos, 0,
                                              "item header overruns its "
                                              "Structure");
                }

                return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_TRUNCATED, pos, 0,
                                          "truncated item header");
            }

            p = buf + pos;
            tag = ((uint32_t) p[0] << 16) | ((uint32_t) p[1] << 8) | p[2];
            type = p[3];
            vlen = ngx_kmip_get32(p + 4);

            if (!ngx_kmip_ttlv_tag_valid(tag)) {
                return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_TAG, pos, tag,
                                          "tag not in the 42xxxx or 54xxxx "
                                          "ranges");
            }

            if (type < NGX_KMIP_TYPE_STRUCTURE
                || type > NGX_KMIP_TYPE_DATE_TIME_EXTENDED)
            {
                return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_TYPE, pos, tag,
                                          "unknown item type");
            }

            depth = sp + 1;
            if (depth > max_depth) {
                return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_DEPTH, pos, tag,
                                          "nesting too deep");
            }

            if (++nitems > max_items) {
                return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_ITEMS, pos, tag,
                                          "too many items");
            }

            state = sw_length;
            break;

        /* the length its type allows, and room for it in what holds it */

        case sw_length:

            switch (type) {

            case NGX_KMIP_TYPE_INTEGER:
            case NGX_KMIP_TYPE_ENUMERATION:
            case NGX_KMIP_TYPE_INTERVAL:
                if (vlen != 4) {
                    return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_LENGTH, pos,
                                              tag, "length is not 4");
                }
                break;

            case NGX_KMIP_TYPE_LONG_INTEGER:
            case NGX_KMIP_TYPE_BOOLEAN:
            case NGX_KMIP_TYPE_DATE_TIME:
            case NGX_KMIP_TYPE_DATE_TIME_EXTENDED:
                if (vlen != 8) {
                    return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_LENGTH, pos,
                                              tag, "length is not 8");
                }
                break;

            case NGX_KMIP_TYPE_BIG_INTEGER:
                if (vlen == 0 || vlen % 8) {
                    return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_LENGTH, pos,
                                              tag, "Big Integer length not a "
                                              "positive multiple of 8");
                }
                break;

            case NGX_KMIP_TYPE_STRUCTURE:
                if (vlen % 8) {
                    return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_LENGTH, pos,
                                              tag, "Structure length not a "
                                              "multiple of 8");
                }
                break;

            default: /* Text String, Byte String */
                break;
            }

            /* 64-bit: vlen + 7 must not wrap where size_t is 32 bits */
            u = ((uint64_t) vlen + 7) & ~(uint64_t) 7;

            if ((uint64_t) (limit - pos - NGX_KMIP_TTLV_HEADER_LEN) < u) {
                if (sp > 0) {
                    return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_LENGTH, pos,
                                              tag, "item overruns its "
                                              "Structure");
                }

                return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_TRUNCATED, pos, tag,
                                          "declared length exceeds the data");
            }

            padded = (size_t) u;        /* fits: not larger than limit */
            p += NGX_KMIP_TTLV_HEADER_LEN;

            state = sw_value;
            break;

        /* the value, checked as it is read */

        case sw_value:

            item = a->alloc(a->data, sizeof(ngx_kmip_item_t));
            if (item == NULL) {
                return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_NOMEM, pos, tag,
                                          "out of memory");
            }

            item->tag = tag;
            item->type = type;
            item->next = NULL;
            item->v.str.data = NULL;
            item->v.str.len = 0;

            switch (type) {

            case NGX_KMIP_TYPE_STRUCTURE:
                item->v.kids.first = NULL;
                item->v.kids.last = NULL;
                item->v.kids.count = 0;
                break;

            case NGX_KMIP_TYPE_INTEGER:
                item->v.num = (int32_t) ngx_kmip_get32(p);
                goto pad4;

            case NGX_KMIP_TYPE_ENUMERATION:
            case NGX_KMIP_TYPE_INTERVAL:
                item->v.num = ngx_kmip_get32(p);

            pad4:

                for (i = 4; i < 8; i++) {
                    if (p[i]) {
                        return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_PADDING,
                                                  pos + 8 + i, tag,
                                                  "non-zero padding");
                    }
                }
                break;

            case NGX_KMIP_TYPE_BOOLEAN:
                u = ngx_kmip_get64(p);
                if (u > 1) {
                    return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_BOOLEAN, pos,
                                              tag, "Boolean is neither 0 nor "
                                              "1");
                }

                item->v.num = (int64_t) u;
                break;

            case NGX_KMIP_TYPE_LONG_INTEGER:
            case NGX_KMIP_TYPE_DATE_TIME:
            case NGX_KMIP_TYPE_DATE_TIME_EXTENDED:
                item->v.num = (int64_t) ngx_kmip_get64(p);
                break;

            case NGX_KMIP_TYPE_TEXT_STRING:
                if (!ngx_kmip_ttlv_utf8_valid(p, vlen, &bad)) {
                    return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_UTF8,
                                              pos + 8 + bad, tag,
                                              "Text String is not valid UTF-8");
                }

                /* fall through */

            default: /* Byte String, Big Integer */
                item->v.str.data = p;
                item->v.str.len = vlen;

                for (i = vlen; i < padded; i++) {
                    if (p[i]) {
                        return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_PADDING,
                                                  pos + 8 + i, tag,
                                                  "non-zero padding");
                    }
                }
                break;
            }

            state = sw_link;
            break;

        /* into its Structure; a Structure's own items come next */

        case sw_link:

            if (sp == 0) {
                top = item;

            } else {
                ngx_kmip_ttlv_item_append(stack[sp - 1].item, item);
            }

            if (type == NGX_KMIP_TYPE_STRUCTURE) {
                /* depth <= max_depth and nframes bounds the stack */
                if (sp >= nframes) {
                    return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_DEPTH, pos, tag,
                                              "nesting too deep");
                }

                stack[sp].item = item;
                stack[sp].end = pos + NGX_KMIP_TTLV_HEADER_LEN + vlen;
                sp++;
                pos += NGX_KMIP_TTLV_HEADER_LEN;

            } else {
                pos += NGX_KMIP_TTLV_HEADER_LEN + padded;
            }

            state = sw_item;
            break;
        }
    }

done:

    if (pos != len) {
        return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_TRAILING, pos, 0,
                                  "trailing bytes after the top-level item");
    }

    *root = top;

    return NGX_KMIP_OK;
}


size_t
ngx_kmip_ttlv_size(const ngx_kmip_item_t *item)
{
    size_t                  size;
    const ngx_kmip_item_t  *kid;

    switch (item->type) {

    case NGX_KMIP_TYPE_STRUCTURE:
        size = NGX_KMIP_TTLV_HEADER_LEN;

        for (kid = item->v.kids.first; kid; kid = kid->next) {
            size += ngx_kmip_ttlv_size(kid);
        }

        return size;

    case NGX_KMIP_TYPE_TEXT_STRING:
    case NGX_KMIP_TYPE_BYTE_STRING:
    case NGX_KMIP_TYPE_BIG_INTEGER:
        return NGX_KMIP_TTLV_HEADER_LEN + ((item->v.str.len + 7) & ~(size_t) 7);

    default:
        return NGX_KMIP_TTLV_HEADER_LEN + 8;
    }
}


uint8_t *
ngx_kmip_ttlv_encode(const ngx_kmip_item_t *item, uint8_t *out)
{
    size_t                  n, padded;
    uint8_t                *p;
    const ngx_kmip_item_t  *kid;

    out[0] = (uint8_t) (item->tag >> 16);
    out[1] = (uint8_t) (item->tag >> 8);
    out[2] = (uint8_t) item->tag;
    out[3] = item->type;
    p = out + NGX_KMIP_TTLV_HEADER_LEN;

    switch (item->type) {

    case NGX_KMIP_TYPE_STRUCTURE:
        for (kid = item->v.kids.first; kid; kid = kid->next) {
            p = ngx_kmip_ttlv_encode(kid, p);
        }

        ngx_kmip_put32(out + 4,
                       (uint32_t) (p - out - NGX_KMIP_TTLV_HEADER_LEN));
        return p;

    case NGX_KMIP_TYPE_INTEGER:
    case NGX_KMIP_TYPE_ENUMERATION:
    case NGX_KMIP_TYPE_INTERVAL:
        ngx_kmip_put32(out + 4, 4);
        p = ngx_kmip_put32(p, (uint32_t) item->v.num);
        return ngx_kmip_put32(p, 0);

    case NGX_KMIP_TYPE_TEXT_STRING:
    case NGX_KMIP_TYPE_BYTE_STRING:
    case NGX_KMIP_TYPE_BIG_INTEGER:
        n = item->v.str.len;
        padded = (n + 7) & ~(size_t) 7;
        ngx_kmip_put32(out + 4, (uint32_t) n);

        if (n) {
            memcpy(p, item->v.str.data, n);
        }

        memset(p + n, 0, padded - n);
        return p + padded;

    default: /* Long Integer, Boolean, Date-Time, Date-Time Extended */
        ngx_kmip_put32(out + 4, 8);
        return ngx_kmip_put64(p, (uint64_t) item->v.num);
    }
}


const char *
ngx_kmip_ttlv_strerror(int rc)
{
    switch (rc) {
    case NGX_KMIP_OK:
        return "ok";
    case NGX_KMIP_ERR_TRUNCATED:
        return "truncated";
    case NGX_KMIP_ERR_LENGTH:
        return "invalid length";
    case NGX_KMIP_ERR_PADDING:
        return "non-zero padding";
    case NGX_KMIP_ERR_TYPE:
        return "invalid item type";
    case NGX_KMIP_ERR_BOOLEAN:
        return "invalid Boolean";
    case NGX_KMIP_ERR_UTF8:
        return "invalid UTF-8";
    case NGX_KMIP_ERR_DEPTH:
        return "nesting too deep";
    case NGX_KMIP_ERR_ITEMS:
        return "too many items";
    case NGX_KMIP_ERR_TRAILING:
        return "trailing bytes";
    case NGX_KMIP_ERR_TAG:
        return "invalid tag";
    case NGX_KMIP_ERR_NOMEM:
        return "out of memory";
    case NGX_KMIP_ERR_MESSAGE:
        return "invalid message";
    default:
        return "unknown error";
    }
}


const char *
ngx_kmip_ttlv_type_name(uint8_t type)
{
    static const char  *names[] = {
        "Unknown", "Structure", "Integer", "Long Integer", "Big Integer",
        "Enumeration", "Boolean", "Text String", "Byte String", "Date-Time",
        "Interval", "Date-Time Extended"
    };

    if (type > NGX_KMIP_TYPE_DATE_TIME_EXTENDED) {
        return names[0];
    }

    return names[type];
}


ngx_kmip_item_t *
ngx_kmip_ttlv_item_new(ngx_kmip_allocator_t *a, uint32_t tag, uint8_t type)
{
    ngx_kmip_item_t  *item;

    item = a->alloc(a->data, sizeof(ngx_kmip_item_t));
    if (item == NULL) {
        return NULL;
    }

    memset(item, 0, sizeof(ngx_kmip_item_t));
    item->tag = tag;
    item->type = type;

    return item;
}


static ngx_kmip_item_t *
ngx_kmip_ttlv_add(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, uint8_t type)
{
    ngx_kmip_item_t  *item;

    if (parent == NULL || parent->type != NGX_KMIP_TYPE_STRUCTURE) {
        return NULL;
    }

    item = ngx_kmip_ttlv_item_new(a, tag, type);
    if (item == NULL) {
        return NULL;
    }

    ngx_kmip_ttlv_item_append(parent, item);

    return item;
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_struct(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag)
{
    return ngx_kmip_ttlv_add(a, parent, tag, NGX_KMIP_TYPE_STRUCTURE);
}


/* the numeric types all keep their value in v.num */

static ngx_kmip_item_t *
ngx_kmip_ttlv_add_num(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, uint8_t type, int64_t v)
{
    ngx_kmip_item_t  *item;

    item = ngx_kmip_ttlv_add(a, parent, tag, type);
    if (item) {
        item->v.num = v;
    }

    return item;
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_integer(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, int32_t v)
{
    return ngx_kmip_ttlv_add_num(a, parent, tag, NGX_KMIP_TYPE_INTEGER, v);
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_long(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, int64_t v)
{
    return ngx_kmip_ttlv_add_num(a, parent, tag, NGX_KMIP_TYPE_LONG_INTEGER, v);
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_enum(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, uint32_t v)
{
    return ngx_kmip_ttlv_add_num(a, parent, tag, NGX_KMIP_TYPE_ENUMERATION, v);
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_bool(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, int v)
{
    return ngx_kmip_ttlv_add_num(a, parent, tag,
                                 NGX_KMIP_TYPE_BOOLEAN, v ? 1 : 0);
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_datetime(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, int64_t v)
{
    return ngx_kmip_ttlv_add_num(a, parent, tag, NGX_KMIP_TYPE_DATE_TIME, v);
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_datetime_ext(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, int64_t v)
{
    return ngx_kmip_ttlv_add_num(a, parent, tag,
                                 NGX_KMIP_TYPE_DATE_TIME_EXTENDED, v);
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_interval(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, uint32_t v)
{
    return ngx_kmip_ttlv_add_num(a, parent, tag, NGX_KMIP_TYPE_INTERVAL, v);
}


static ngx_kmip_item_t *
ngx_kmip_ttlv_add_str(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, uint8_t type, const uint8_t *p, size_t n)
{
    ngx_kmip_item_t  *item;

    if (p == NULL && n != 0) {
        return NULL;
    }

    if ((uint64_t) n > UINT32_MAX) {
        return NULL;
    }

    item = ngx_kmip_ttlv_add(a, parent, tag, type);
    if (item) {
        item->v.str.data = p;
        item->v.str.len = n;
    }

    return item;
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_text(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, const uint8_t *p, size_t n)
{
    return ngx_kmip_ttlv_add_str(a, parent, tag, NGX_KMIP_TYPE_TEXT_STRING,
                                 p, n);
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_bytes(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, const uint8_t *p, size_t n)
{
    return ngx_kmip_ttlv_add_str(a, parent, tag, NGX_KMIP_TYPE_BYTE_STRING,
                                 p, n);
}


ngx_kmip_item_t *
ngx_kmip_ttlv_add_bigint(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    uint32_t tag, const uint8_t *p, size_t n)
{
    return ngx_kmip_ttlv_add_str(a, parent, tag, NGX_KMIP_TYPE_BIG_INTEGER,
                                 p, n);
}


void
ngx_kmip_ttlv_item_append(ngx_kmip_item_t *parent, ngx_kmip_item_t *child)
{
    if (parent == NULL || child == NULL
        || parent->type != NGX_KMIP_TYPE_STRUCTURE)
    {
        return;
    }

    child->next = NULL;

    if (parent->v.kids.last) {
        parent->v.kids.last->next = child;

    } else {
        parent->v.kids.first = child;
    }

    parent->v.kids.last = child;
    parent->v.kids.count++;
}


ngx_kmip_item_t *
ngx_kmip_ttlv_find(const ngx_kmip_item_t *parent, uint32_t tag)
{
    ngx_kmip_item_t  *kid;

    if (parent == NULL || parent->type != NGX_KMIP_TYPE_STRUCTURE) {
        return NULL;
    }

    for (kid = parent->v.kids.first; kid; kid = kid->next) {
        if (kid->tag == tag) {
            return kid;
        }
    }

    return NULL;
}


ngx_kmip_item_t *
ngx_kmip_ttlv_find_next(const ngx_kmip_item_t *after, uint32_t tag)
{
    ngx_kmip_item_t  *kid;

    if (after == NULL) {
        return NULL;
    }

    for (kid = after->next; kid; kid = kid->next) {
        if (kid->tag == tag) {
            return kid;
        }
    }

    return NULL;
}


ngx_kmip_item_t *
ngx_kmip_ttlv_item_copy(ngx_kmip_allocator_t *a, const ngx_kmip_item_t *item)
{
    uint8_t                *data;
    ngx_kmip_item_t        *copy, *kc;
    const ngx_kmip_item_t  *kid;

    if (item == NULL) {
        return NULL;
    }

    copy = ngx_kmip_ttlv_item_new(a, item->tag, item->type);
    if (copy == NULL) {
        return NULL;
    }

    switch (item->type) {

    case NGX_KMIP_TYPE_STRUCTURE:
        for (kid = item->v.kids.first; kid; kid = kid->next) {
            kc = ngx_kmip_ttlv_item_copy(a, kid);
            if (kc == NULL) {
                return NULL;
            }

            ngx_kmip_ttlv_item_append(copy, kc);
        }

        break;

    case NGX_KMIP_TYPE_TEXT_STRING:
    case NGX_KMIP_TYPE_BYTE_STRING:
    case NGX_KMIP_TYPE_BIG_INTEGER:
        copy->v.str.len = item->v.str.len;

        if (item->v.str.len == 0) {
            copy->v.str.data = (const uint8_t *) "";
            break;
        }

        data = a->alloc(a->data, item->v.str.len);
        if (data == NULL) {
            return NULL;
        }

        memcpy(data, item->v.str.data, item->v.str.len);
        copy->v.str.data = data;
        break;

    default:
        copy->v.num = item->v.num;
        break;
    }

    return copy;
}


/*
 * The tables are in ngx_kmip_names.c, generated from the specification.
 * One table serves both spellings of a tag's name: the specification's
 * ("Unique Identifier") and the CamelCase of the JSON and XML encodings
 * ("UniqueIdentifier"), which is the same for all the names of a tag.
 */

static const ngx_kmip_tag_name_t *
ngx_kmip_tag_find(uint32_t tag)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = ngx_kmip_tag_names_n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (ngx_kmip_tag_names[mid].tag == tag) {

            /* the preferred name is the first of the tag's */

            while (mid > 0 && ngx_kmip_tag_names[mid - 1].tag == tag) {
                mid--;
            }

            return &ngx_kmip_tag_names[mid];
        }

        if (ngx_kmip_tag_names[mid].tag < tag) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


const char *
ngx_kmip_tag_name(uint32_t tag)
{
    const ngx_kmip_tag_name_t  *t;

    t = ngx_kmip_tag_find(tag);

    return t ? t->name : NULL;
}


const char *
ngx_kmip_tag_camel_name(uint32_t tag)
{
    const ngx_kmip_tag_name_t  *t;

    t = ngx_kmip_tag_find(tag);

    return t ? t->camel : NULL;
}


uint32_t
ngx_kmip_tag_by_camel(const char *name, size_t len)
{
    int                         c;
    size_t                      lo, hi, mid, n;
    const ngx_kmip_tag_name_t  *t;

    if (name == NULL) {
        return 0;
    }

    lo = 0;
    hi = ngx_kmip_tag_names_by_camel_n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        t = &ngx_kmip_tag_names[ngx_kmip_tag_names_by_camel[mid]];
        n = strlen(t->camel);

        c = memcmp(t->camel, name, n < len ? n : len);

        if (c == 0) {
            if (n == len) {
                return t->tag;
            }

            c = (n < len) ? -1 : 1;
        }

        if (c < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


static int
ngx_kmip_tag_upper_or_digit(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}


/*
 * The CamelCase spelling of a tag's specification name into buf, by the
 * rule of camel() in tools/gen-tags.py as far as tag names need it (none
 * begins with a digit or has round brackets): a punctuation character
 * between two upper case letters or digits becomes an underscore ("X.509
 * Certificate Issuer" -> "X_509CertificateIssuer"), any other one and a
 * space end a word ("Template-Attribute" -> "TemplateAttribute"), and
 * every word begins with an upper case letter.  0 if it does not fit.
 */

static size_t
ngx_kmip_tag_camel(const char *name, size_t len, char *buf, size_t size)
{
    char    c;
    size_t  i, n;
    int     word;

    n = 0;
    word = 1;

    for (i = 0; i < len; i++) {
        c = name[i];

        if (!ngx_kmip_tag_upper_or_digit(c) && !(c >= 'a' && c <= 'z')
            && c != '_')
        {
            if (c == ' ' || c == '/' || i == 0 || i + 1 == len
                || !ngx_kmip_tag_upper_or_digit(name[i - 1])
                || !ngx_kmip_tag_upper_or_digit(name[i + 1]))
            {
                word = 1;
                continue;
            }

            c = '_';
        }

        if (n == size) {
            return 0;
        }

        buf[n++] = (word && c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
        word = 0;
    }

    return n;
}


/*
 * A specification name is looked up by its CamelCase spelling, and the tag
 * found is the answer only if the name is one of that tag's: a name that
 * is not a specification name may well have the CamelCase spelling of one.
 */

uint32_t
ngx_kmip_tag_by_name(const char *name, size_t len)
{
    char                        buf[64];
    size_t                      n;
    uint32_t                    tag;
    const ngx_kmip_tag_name_t  *t, *end;

    if (name == NULL) {
        return 0;
    }

    n = ngx_kmip_tag_camel(name, len, buf, sizeof(buf));

    tag = ngx_kmip_tag_by_camel(buf, n);
    if (tag == 0) {
        return 0;
    }

    end = ngx_kmip_tag_names + ngx_kmip_tag_names_n;

    for (t = ngx_kmip_tag_find(tag); t < end && t->tag == tag; t++) {
        if (strlen(t->name) == len && memcmp(t->name, name, len) == 0) {
            return tag;
        }
    }

    return 0;
}


int
ngx_kmip_tag_in_major(uint32_t tag, unsigned major)
{
    const uint32_t  *t;

    t = (major >= 2) ? ngx_kmip_tags_1x_only : ngx_kmip_tags_2x_only;

    for ( /* void */ ; *t; t++) {
        if (*t == tag) {
            return 0;
        }
    }

    return 1;
}
