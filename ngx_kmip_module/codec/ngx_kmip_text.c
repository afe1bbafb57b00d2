
/*
 * The names and value forms that the JSON and XML encodings of KMIP share
 * (ngx_kmip_text.h).
 */


#include <stdlib.h>

#include "ngx_kmip_text.h"
#include "ngx_kmip_enum_names.h"


static const char  *ngx_kmip_text_types[] = {
    NULL, "Structure", "Integer", "LongInteger", "BigInteger",
    "Enumeration", "Boolean", "TextString", "ByteString", "DateTime",
    "Interval", "DateTimeExtended"
};


const char *
ngx_kmip_text_strerror(int rc)
{
    switch (rc) {
    case NGX_KMIP_ERR_SYNTAX:
        return "not well-formed";
    case NGX_KMIP_ERR_NAME:
        return "unknown name";
    case NGX_KMIP_ERR_VALUE:
        return "invalid value";
    case NGX_KMIP_ERR_FIELD:
        return "missing, duplicate or unknown field";
    case NGX_KMIP_ERR_DTD:
        return "DTD, entity or processing instruction";
    default:
        return ngx_kmip_ttlv_strerror(rc);
    }
}


static int
ngx_kmip_text_cmp_enum(const void *key, const void *elt)
{
    uint32_t                    tag = *(const uint32_t *) key;
    const ngx_kmip_enum_tag_t  *t = elt;

    return (tag > t->tag) - (tag < t->tag);
}


static int
ngx_kmip_text_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* "0x" and 1 to max hex digits; NGX_KMIP_OK or NGX_KMIP_ERR_VALUE */

static int
ngx_kmip_text_parse_hexnum(const uint8_t *p, size_t n, size_t max,
    uint64_t *v)
{
    int     d;
    size_t  i;

    if (n < 3 || n - 2 > max || p[0] != '0' || (p[1] | 0x20) != 'x') {
        return NGX_KMIP_ERR_VALUE;
    }

    *v = 0;

    for (i = 2; i < n; i++) {
        d = ngx_kmip_text_hexval(p[i]);
        if (d < 0) {
            return NGX_KMIP_ERR_VALUE;
        }

        *v = (*v << 4) | (uint64_t) d;
    }

    return NGX_KMIP_OK;
}


int
ngx_kmip_text_parse_dec(const uint8_t *p, size_t n, int64_t min,
    int64_t max, int64_t *v)
{
    int       neg;
    size_t    i;
    uint64_t  u, lim;

    neg = (n > 0 && p[0] == '-');
    i = neg;

    if (n == i || n - i > 19) {
        return NGX_KMIP_ERR_VALUE;
    }

    lim = neg ? (uint64_t) -(min + 1) + 1 : (uint64_t) max;
    u = 0;

    for ( /* void */ ; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NGX_KMIP_ERR_VALUE;
        }

        if (u > (lim - (uint64_t) (p[i] - '0')) / 10) {
            return NGX_KMIP_ERR_VALUE;
        }

        u = u * 10 + (uint64_t) (p[i] - '0');
    }

    if (neg) {
        if (u > 0 && min >= 0) {
            return NGX_KMIP_ERR_VALUE;
        }

        *v = (int64_t) (0 - u);

    } else {
        *v = (int64_t) u;
    }

    return NGX_KMIP_OK;
}


uint32_t
ngx_kmip_text_tag_by_name(const uint8_t *p, size_t n)
{
    uint64_t  v;

    if (n == 8 && ngx_kmip_text_parse_hexnum(p, n, 6, &v) == NGX_KMIP_OK) {
        return ngx_kmip_ttlv_tag_valid((uint32_t) v) ? (uint32_t) v : 0;
    }

    return ngx_kmip_tag_by_camel((const char *) p, n);
}


void
ngx_kmip_text_limits(const ngx_kmip_limits_t *limits, size_t *max_depth,
    size_t *max_items)
{
    *max_depth = NGX_KMIP_DEFAULT_MAX_DEPTH;
    *max_items = NGX_KMIP_DEFAULT_MAX_ITEMS;

    if (limits != NULL && limits->max_depth) {
        *max_depth = limits->max_depth;
    }

    if (limits != NULL && limits->max_items) {
        *max_items = limits->max_items;
    }
}


size_t
ngx_kmip_text_size(ngx_kmip_text_put_pt put, const ngx_kmip_item_t *item)
{
    ngx_kmip_text_out_t  o;

    o.p = NULL;
    o.n = 0;

    put(&o, NULL, item);

    return o.n;
}


uint8_t *
ngx_kmip_text_encode(ngx_kmip_text_put_pt put, const ngx_kmip_item_t *item,
    uint8_t *out)
{
    ngx_kmip_text_out_t  o;

    o.p = out;
    o.n = 0;

    put(&o, NULL, item);

    return out + o.n;
}


const char *
ngx_kmip_text_type_name(uint8_t type)
{
    if (type >= sizeof(ngx_kmip_text_types) / sizeof(char *)) {
        return NULL;
    }

    return ngx_kmip_text_types[type];
}


uint8_t
ngx_kmip_text_type_by_name(const uint8_t *p, size_t n)
{
    uint8_t  t;

    for (t = 1; t < sizeof(ngx_kmip_text_types) / sizeof(char *); t++) {
        if (strlen(ngx_kmip_text_types[t]) == n
            && memcmp(ngx_kmip_text_types[t], p, n) == 0)
        {
            return t;
        }
    }

    return 0;
}


uint32_t
ngx_kmip_text_value_tag(const ngx_kmip_item_t *parent,
    const ngx_kmip_item_t *item)
{
    uint32_t                tag;
    const ngx_kmip_item_t  *kid;

    if (item->tag != NGX_KMIP_TAG_ATTRIBUTE_VALUE || parent == NULL) {
        return item->tag;
    }

    /*
     * the Attribute Names before the item only: a decoder has seen no
     * other when it reads the value, and the encoder must write what the
     * decoder will read back
     */

    for (kid = parent->v.kids.first; kid && kid != item; kid = kid->next) {
        if (kid->tag == NGX_KMIP_TAG_ATTRIBUTE_NAME
            && kid->type == NGX_KMIP_TYPE_TEXT_STRING)
        {
            tag = ngx_kmip_tag_by_name((const char *) kid->v.str.data,
                                       kid->v.str.len);

            return tag ? tag : item->tag;
        }
    }

    return item->tag;
}


static const ngx_kmip_enum_tag_t *
ngx_kmip_text_enum(uint32_t vtag)
{
    return bsearch(&vtag, ngx_kmip_enum_tags, ngx_kmip_enum_tags_n,
                   sizeof(ngx_kmip_enum_tag_t), ngx_kmip_text_cmp_enum);
}


int
ngx_kmip_text_is_mask(uint32_t vtag)
{
    const ngx_kmip_enum_tag_t  *e;

    e = ngx_kmip_text_enum(vtag);

    return e != NULL && e->mask;
}


/* a value of vtag's enumeration by name, or the tag's for Attribute
   Reference (an enumeration of tags) */

static int
ngx_kmip_text_enum_by_name(uint32_t vtag, const uint8_t *p, size_t n,
    uint32_t *v)
{
    size_t                        i;
    const ngx_kmip_enum_tag_t    *e;
    const ngx_kmip_enum_value_t  *ev;

    if (vtag == NGX_KMIP_TAG_ATTRIBUTE_REFERENCE) {
        *v = ngx_kmip_text_tag_by_name(p, n);
        return *v ? NGX_KMIP_OK : NGX_KMIP_ERR_NAME;
    }

    e = ngx_kmip_text_enum(vtag);
    if (e == NULL) {
        return NGX_KMIP_ERR_NAME;
    }

    for (i = 0; i < e->n_all; i++) {
        ev = &ngx_kmip_enum_values[e->first + i];

        if (strlen(ev->name) == n && memcmp(ev->name, p, n) == 0) {
            *v = ev->value;
            return NGX_KMIP_OK;
        }
    }

    return NGX_KMIP_ERR_NAME;
}


static const char *
ngx_kmip_text_enum_name(uint32_t vtag, uint32_t v)
{
    size_t                        lo, hi, mid;
    const ngx_kmip_enum_tag_t    *e;
    const ngx_kmip_enum_value_t  *ev;

    if (vtag == NGX_KMIP_TAG_ATTRIBUTE_REFERENCE) {
        return ngx_kmip_tag_camel_name(v);
    }

    e = ngx_kmip_text_enum(vtag);
    if (e == NULL) {
        return NULL;
    }

    lo = 0;
    hi = e->n_primary;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        ev = &ngx_kmip_enum_values[e->first + mid];

        if (ev->value == v) {
            return ev->name;
        }

        if (ev->value < v) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


/* an enumeration value: a name, or "0x" and 1 to 8 hex digits */

static int
ngx_kmip_text_parse_enum(uint32_t vtag, const uint8_t *p, size_t n,
    uint32_t *v)
{
    uint64_t  u;

    if (ngx_kmip_text_parse_hexnum(p, n, 8, &u) == NGX_KMIP_OK) {
        *v = (uint32_t) u;
        return NGX_KMIP_OK;
    }

    return ngx_kmip_text_enum_by_name(vtag, p, n, v);
}


/*
 * mask bits separated by sep, each a name or hex; with ' ' (XML) runs of
 * white space separate them, as an XML author may wrap or indent a list
 */

static int
ngx_kmip_text_parse_mask(uint32_t vtag, const uint8_t *p, size_t n,
    char sep, uint32_t *v)
{
    int       rc, parts;
    size_t    i, j;
    uint32_t  bit;

    *v = 0;
    parts = 0;
    i = 0;

    do {
        for (j = i; j < n && p[j] != (uint8_t) sep; j++) {
            /* void */
        }

        if (j > i || sep != ' ') {
            rc = ngx_kmip_text_parse_enum(vtag, p + i, j - i, &bit);
            if (rc != NGX_KMIP_OK) {
                return rc;
            }

            *v |= bit;
            parts++;
        }

        i = j + 1;

    } while (j < n);

    return parts ? NGX_KMIP_OK : NGX_KMIP_ERR_VALUE;
}


/* days since 1970-01-01 of a civil date (proleptic Gregorian) */

static int64_t
ngx_kmip_text_days(int64_t y, int64_t m, int64_t d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


static int
ngx_kmip_text_digits(const uint8_t *p, size_t n, int64_t *v)
{
    size_t  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }

        *v = *v * 10 + (p[i] - '0');
    }

    return 1;
}


/*
 * YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM) to seconds, or to
 * microseconds when micro; a fraction only when micro, 1 to 6 digits
 */

static int
ngx_kmip_text_parse_iso(const uint8_t *p, size_t n, int micro, int64_t *v)
{
    size_t   i, k, digits;
    int64_t  y, mo, d, h, mi, s, f, oh, om, off, mdays;

    static const int8_t  ndays[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (n < 20 || p[4] != '-' || p[7] != '-' || (p[10] != 'T')
        || p[13] != ':' || p[16] != ':'
        || !ngx_kmip_text_digits(p, 4, &y)
        || !ngx_kmip_text_digits(p + 5, 2, &mo)
        || !ngx_kmip_text_digits(p + 8, 2, &d)
        || !ngx_kmip_text_digits(p + 11, 2, &h)
        || !ngx_kmip_text_digits(p + 14, 2, &mi)
        || !ngx_kmip_text_digits(p + 17, 2, &s))
    {
        return NGX_KMIP_ERR_VALUE;
    }

    if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) {
        return NGX_KMIP_ERR_VALUE;
    }

    mdays = ndays[mo - 1];

    if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        mdays = 29;
    }

    if (d < 1 || d > mdays) {
        return NGX_KMIP_ERR_VALUE;
    }

    i = 19;
    f = 0;

    if (p[i] == '.') {
        for (k = i + 1; k < n && p[k] >= '0' && p[k] <= '9'; k++) {
            /* void */
        }

        if (!micro || k == i + 1 || k - i - 1 > 6) {
            return NGX_KMIP_ERR_VALUE;
        }

        (void) ngx_kmip_text_digits(p + i + 1, k - i - 1, &f);

        for (digits = k - i - 1; digits < 6; digits++) {
            f *= 10;
        }

        i = k;
    }

    if (n - i == 1 && p[i] == 'Z') {
        off = 0;

    } else if (n - i == 6 && (p[i] == '+' || p[i] == '-') && p[i + 3] == ':'
               && ngx_kmip_text_digits(p + i + 1, 2, &oh)
               && ngx_kmip_text_digits(p + i + 4, 2, &om)
               && oh < 24 && om < 60)
    {
        off = (oh * 3600 + om * 60) * (p[i] == '-' ? -1 : 1);

    } else {
        return NGX_KMIP_ERR_VALUE;
    }

    *v = ngx_kmip_text_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
         - off;

    if (micro) {
        *v = *v * 1000000 + f;
    }

    return NGX_KMIP_OK;
}


static int
ngx_kmip_text_parse_datetime(const uint8_t *p, size_t n, int micro,
    int64_t *v)
{
    uint64_t  u;

    if (ngx_kmip_text_parse_hexnum(p, n, 16, &u) == NGX_KMIP_OK) {
        *v = (int64_t) u;
        return NGX_KMIP_OK;
    }

    return ngx_kmip_text_parse_iso(p, n, micro, v);
}


/* the bytes of hex digits into a's memory; odd digits count from a
   leading 0 when pad_odd, else they are an error */

static int
ngx_kmip_text_parse_bytes(ngx_kmip_allocator_t *a, const uint8_t *p,
    size_t n, int pad_odd, uint8_t **out, size_t *len)
{
    int       hi, lo;
    size_t    i, j, odd;
    uint8_t  *b;

    odd = n % 2;

    if (odd && !pad_odd) {
        return NGX_KMIP_ERR_VALUE;
    }

    *len = (n + odd) / 2;

    b = a->alloc(a->data, *len ? *len : 1);
    if (b == NULL) {
        return NGX_KMIP_ERR_NOMEM;
    }

    for (i = 0, j = 0; i < n; j++) {
        hi = (odd && j == 0) ? 0 : ngx_kmip_text_hexval(p[i++]);
        lo = ngx_kmip_text_hexval(p[i++]);

        if (hi < 0 || lo < 0) {
            return NGX_KMIP_ERR_VALUE;
        }

        b[j] = (uint8_t) (hi << 4 | lo);
    }

    *out = b;

    return NGX_KMIP_OK;
}


/* hex (optionally "0x") two's complement, sign-extended to a multiple of
   8 bytes as the TTLV decoder has a Big Integer */

static int
ngx_kmip_text_parse_bigint(ngx_kmip_allocator_t *a, ngx_kmip_item_t *item,
    const uint8_t *p, size_t n)
{
    int       rc;
    size_t    len, padded;
    uint8_t  *b, *out;

    if (n >= 2 && p[0] == '0' && (p[1] | 0x20) == 'x') {
        p += 2;
        n -= 2;
    }

    if (n == 0) {
        return NGX_KMIP_ERR_VALUE;
    }

    rc = ngx_kmip_text_parse_bytes(a, p, n, 1, &b, &len);
    if (rc != NGX_KMIP_OK) {
        return rc;
    }

    padded = (len + 7) & ~(size_t) 7;

    if (padded == len) {
        out = b;

    } else {
        out = a->alloc(a->data, padded);
        if (out == NULL) {
            return NGX_KMIP_ERR_NOMEM;
        }

        memset(out, (b[0] & 0x80) ? 0xFF : 0, padded - len);
        memcpy(out + padded - len, b, len);
    }

    item->v.str.data = out;
    item->v.str.len = padded;

    return NGX_KMIP_OK;
}


int
ngx_kmip_text_set_bigint64(ngx_kmip_allocator_t *a, ngx_kmip_item_t *item,
    int64_t v)
{
    int       i;
    uint8_t  *b;

    b = a->alloc(a->data, 8);
    if (b == NULL) {
        return NGX_KMIP_ERR_NOMEM;
    }

    for (i = 7; i >= 0; i--) {
        b[i] = (uint8_t) ((uint64_t) v & 0xFF);
        v = (int64_t) ((uint64_t) v >> 8);
    }

    item->v.str.data = b;
    item->v.str.len = 8;

    return NGX_KMIP_OK;
}


static int
ngx_kmip_text_set_integer(ngx_kmip_item_t *item, uint32_t vtag,
    const uint8_t *p, size_t n, char sep)
{
    int       rc;
    int64_t   v;
    uint64_t  u;
    uint32_t  m;

    if (ngx_kmip_text_parse_dec(p, n, INT32_MIN, INT32_MAX, &v)
        == NGX_KMIP_OK)
    {
        item->v.num = v;
        return NGX_KMIP_OK;
    }

    if (ngx_kmip_text_parse_hexnum(p, n, 8, &u) == NGX_KMIP_OK) {
        item->v.num = (int32_t) (uint32_t) u;
        return NGX_KMIP_OK;
    }

    if (!ngx_kmip_text_is_mask(vtag)) {
        return NGX_KMIP_ERR_VALUE;
    }

    rc = ngx_kmip_text_parse_mask(vtag, p, n, sep, &m);
    if (rc != NGX_KMIP_OK) {
        return rc;
    }

    item->v.num = (int32_t) m;

    return NGX_KMIP_OK;
}


int
ngx_kmip_text_set_value(ngx_kmip_allocator_t *a, ngx_kmip_item_t *item,
    uint32_t vtag, const uint8_t *p, size_t n, char sep)
{
    int       rc;
    size_t    len;
    uint8_t  *b;
    uint32_t  e;
    uint64_t  u;

    switch (item->type) {

    case NGX_KMIP_TYPE_INTEGER:
        return ngx_kmip_text_set_integer(item, vtag, p, n, sep);

    case NGX_KMIP_TYPE_LONG_INTEGER:
        if (ngx_kmip_text_parse_hexnum(p, n, 16, &u) == NGX_KMIP_OK) {
            item->v.num = (int64_t) u;
            return NGX_KMIP_OK;
        }

        return ngx_kmip_text_parse_dec(p, n, INT64_MIN, INT64_MAX,
                                       &item->v.num);

    case NGX_KMIP_TYPE_INTERVAL:
        if (ngx_kmip_text_parse_hexnum(p, n, 8, &u) == NGX_KMIP_OK) {
            item->v.num = (int64_t) u;
            return NGX_KMIP_OK;
        }

        return ngx_kmip_text_parse_dec(p, n, 0, UINT32_MAX, &item->v.num);

    case NGX_KMIP_TYPE_ENUMERATION:
        rc = ngx_kmip_text_parse_enum(vtag, p, n, &e);
        item->v.num = e;
        return rc;

    case NGX_KMIP_TYPE_BOOLEAN:
        if (n == 4 && memcmp(p, "true", 4) == 0) {
            item->v.num = 1;
            return NGX_KMIP_OK;
        }

        if (n == 5 && memcmp(p, "false", 5) == 0) {
            item->v.num = 0;
            return NGX_KMIP_OK;
        }

        if (ngx_kmip_text_parse_hexnum(p, n, 16, &u) == NGX_KMIP_OK
            && u <= 1)
        {
            item->v.num = (int64_t) u;
            return NGX_KMIP_OK;
        }

        return NGX_KMIP_ERR_VALUE;

    case NGX_KMIP_TYPE_DATE_TIME:
    case NGX_KMIP_TYPE_DATE_TIME_EXTENDED:
        return ngx_kmip_text_parse_datetime(p, n,
                              item->type == NGX_KMIP_TYPE_DATE_TIME_EXTENDED,
                              &item->v.num);

    case NGX_KMIP_TYPE_BIG_INTEGER:
        return ngx_kmip_text_parse_bigint(a, item, p, n);

    case NGX_KMIP_TYPE_BYTE_STRING:
        rc = ngx_kmip_text_parse_bytes(a, p, n, 0, &b, &len);
        item->v.str.data = b;
        item->v.str.len = len;
        return rc;

    case NGX_KMIP_TYPE_TEXT_STRING:
        if (!ngx_kmip_ttlv_utf8_valid(p, n, &len)) {
            return NGX_KMIP_ERR_UTF8;
        }

        b = a->alloc(a->data, n ? n : 1);
        if (b == NULL) {
            return NGX_KMIP_ERR_NOMEM;
        }

        memcpy(b, p, n);
        item->v.str.data = b;
        item->v.str.len = n;
        return NGX_KMIP_OK;

    default:
        return NGX_KMIP_ERR_TYPE;
    }
}


void
ngx_kmip_text_put(ngx_kmip_text_out_t *o, const void *s, size_t n)
{
    if (o->p != NULL) {
        memcpy(o->p + o->n, s, n);
    }

    o->n += n;
}


void
ngx_kmip_text_puts(ngx_kmip_text_out_t *o, const char *s)
{
    ngx_kmip_text_put(o, s, strlen(s));
}


void
ngx_kmip_text_put_dec(ngx_kmip_text_out_t *o, int64_t v)
{
    char      buf[24], *p;
    uint64_t  u;

    p = buf + sizeof(buf);
    u = v < 0 ? 0 - (uint64_t) v : (uint64_t) v;

    do {
        *--p = (char) ('0' + u % 10);
        u /= 10;
    } while (u);

    if (v < 0) {
        *--p = '-';
    }

    ngx_kmip_text_put(o, p, (size_t) (buf + sizeof(buf) - p));
}


static const char  ngx_kmip_text_hexdigits[] = "0123456789ABCDEF";


void
ngx_kmip_text_put_hexnum(ngx_kmip_text_out_t *o, uint64_t v, int digits)
{
    int   i;
    char  buf[18];

    buf[0] = '0';
    buf[1] = 'x';

    for (i = digits - 1; i >= 0; i--) {
        buf[2 + i] = ngx_kmip_text_hexdigits[v & 0xF];
        v >>= 4;
    }

    ngx_kmip_text_put(o, buf, (size_t) digits + 2);
}


void
ngx_kmip_text_put_hex(ngx_kmip_text_out_t *o, const uint8_t *p, size_t n)
{
    size_t  i;

    if (o->p != NULL) {
        for (i = 0; i < n; i++) {
            o->p[o->n + 2 * i] = ngx_kmip_text_hexdigits[p[i] >> 4];
            o->p[o->n + 2 * i + 1] = ngx_kmip_text_hexdigits[p[i] & 0xF];
        }
    }

    o->n += 2 * n;
}


void
ngx_kmip_text_put_tag(ngx_kmip_text_out_t *o, uint32_t tag)
{
    const char  *name;

    name = ngx_kmip_tag_camel_name(tag);

    if (name != NULL) {
        ngx_kmip_text_puts(o, name);

    } else {
        ngx_kmip_text_put_hexnum(o, tag, 6);
    }
}


/* v in width decimal digits, zero-padded, then after unless it is 0 */

static void
ngx_kmip_text_put_fixed(ngx_kmip_text_out_t *o, int64_t v, int width,
    char after)
{
    int   i;
    char  buf[8];

    for (i = width - 1; i >= 0; i--) {
        buf[i] = (char) ('0' + v % 10);
        v /= 10;
    }

    buf[width] = after;

    ngx_kmip_text_put(o, buf, (size_t) width + (after != 0));
}


/* ISO 8601 in UTC, microseconds when micro; hex outside years 0-9999 */

static void
ngx_kmip_text_put_datetime(ngx_kmip_text_out_t *o, int64_t v, int micro)
{
    int64_t  s, us, days, secs, z, era, doe, yoe, y, doy, mp, d, m;

    us = 0;
    s = v;

    if (micro) {
        us = v % 1000000;
        s = v / 1000000;

        if (us < 0) {
            us += 1000000;
            s--;
        }
    }

    days = s / 86400;
    secs = s % 86400;

    if (secs < 0) {
        secs += 86400;
        days--;
    }

    /* 0000-01-01 .. 9999-12-31 */

    if (days < -719528 || days > 2932896) {
        ngx_kmip_text_put_hexnum(o, (uint64_t) v, 16);
        return;
    }

    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;

    ngx_kmip_text_put_fixed(o, y, 4, '-');
    ngx_kmip_text_put_fixed(o, m, 2, '-');
    ngx_kmip_text_put_fixed(o, d, 2, 'T');
    ngx_kmip_text_put_fixed(o, secs / 3600, 2, ':');
    ngx_kmip_text_put_fixed(o, secs / 60 % 60, 2, ':');
    ngx_kmip_text_put_fixed(o, secs % 60, 2, micro ? '.' : 0);

    if (micro) {
        ngx_kmip_text_put_fixed(o, us, 6, 0);
    }

    ngx_kmip_text_puts(o, "+00:00");
}


static void
ngx_kmip_text_put_mask(ngx_kmip_text_out_t *o, uint32_t vtag, uint32_t v,
    char sep)
{
    int          first;
    uint32_t     bit, rest;
    const char  *name;

    if (v == 0) {
        ngx_kmip_text_puts(o, "0");
        return;
    }

    first = 1;
    rest = 0;

    for (bit = 1; bit != 0; bit <<= 1) {
        if (!(v & bit)) {
            continue;
        }

        name = ngx_kmip_text_enum_name(vtag, bit);

        if (name == NULL) {
            rest |= bit;
            continue;
        }

        if (!first) {
            ngx_kmip_text_put(o, &sep, 1);
        }

        ngx_kmip_text_puts(o, name);
        first = 0;
    }

    if (rest) {
        if (!first) {
            ngx_kmip_text_put(o, &sep, 1);
        }

        ngx_kmip_text_put_hexnum(o, rest, 8);
    }
}


void
ngx_kmip_text_put_value(ngx_kmip_text_out_t *o, uint32_t vtag,
    const ngx_kmip_item_t *item, char sep, int bigint_0x)
{
    const char  *name;

    switch (item->type) {

    case NGX_KMIP_TYPE_INTEGER:
        if (ngx_kmip_text_is_mask(vtag)) {
            ngx_kmip_text_put_mask(o, vtag, (uint32_t) item->v.num, sep);
            return;
        }

        /* fall through */

    case NGX_KMIP_TYPE_LONG_INTEGER:
    case NGX_KMIP_TYPE_INTERVAL:
        ngx_kmip_text_put_dec(o, item->v.num);
        return;

    case NGX_KMIP_TYPE_ENUMERATION:
        name = ngx_kmip_text_enum_name(vtag, (uint32_t) item->v.num);

        if (name != NULL) {
            ngx_kmip_text_puts(o, name);

        } else {
            ngx_kmip_text_put_hexnum(o, (uint32_t) item->v.num, 8);
        }

        return;

    case NGX_KMIP_TYPE_BOOLEAN:
        ngx_kmip_text_puts(o, item->v.num ? "true" : "false");
        return;

    case NGX_KMIP_TYPE_DATE_TIME:
    case NGX_KMIP_TYPE_DATE_TIME_EXTENDED:
        ngx_kmip_text_put_datetime(o, item->v.num,
                              item->type == NGX_KMIP_TYPE_DATE_TIME_EXTENDED);
        return;

    case NGX_KMIP_TYPE_BIG_INTEGER:
        if (bigint_0x) {
            ngx_kmip_text_puts(o, "0x");
        }

        /* fall through */

    default:
        ngx_kmip_text_put_hex(o, item->v.str.data, item->v.str.len);
        return;
    }
}
