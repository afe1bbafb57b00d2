
/*
 * The XML encoding of KMIP ("KMIP Additional Message Encodings" v1.0,
 * section XML): <Tag type="Type" value="..."/> for a value,
 * <Tag>...</Tag> for a Structure, <TTLV tag="0x54xxxx" ...> for a tag
 * without a name.  Decoding is a small parser of its own, iterative and
 * bounded by ngx_kmip_limits_t: no DTD, no entities but the five
 * predefined ones and character references, no CDATA, no processing
 * instruction but the XML declaration.  Plain C99, no nginx headers, no
 * malloc (memory comes from the caller's allocator).  Declared in
 * ngx_kmip_text.h.
 *
 * A parser of its own rather than libxml2 or expat: KMIP's XML is a tiny
 * subset (elements with at most three attributes, no text content), and
 * every general purpose parser brings what a key server must not parse
 * from a client: DTDs, entity expansion, external references, namespaces.
 * This one knows elements, attributes, comments, the XML declaration, the
 * five predefined entities and character references, and rejects all
 * else.  It keeps no recursion: the open elements are a linked stack whose
 * length max_depth bounds, and every element counts against max_items.
 */


#include "ngx_kmip_text.h"


typedef struct ngx_kmip_xml_frame_s  ngx_kmip_xml_frame_t;

struct ngx_kmip_xml_frame_s {
    ngx_kmip_xml_frame_t   *prev;
    ngx_kmip_item_t        *item;
    const uint8_t          *name;
    size_t                  name_len;
    size_t                  depth;
};


typedef struct {
    const uint8_t          *start;
    const uint8_t          *p;
    const uint8_t          *end;
    ngx_kmip_allocator_t   *a;
    ngx_kmip_error_t       *err;
    size_t                  items;
    size_t                  max_items;
    size_t                  max_depth;
} ngx_kmip_xml_parser_t;


/* an attribute's value after entity and white space processing */
typedef struct {
    const uint8_t          *data;
    size_t                  len;
    int                     set;
} ngx_kmip_xml_attr_t;


static int
ngx_kmip_xml_fail(ngx_kmip_xml_parser_t *x, int rc, uint32_t tag,
    const char *what)
{
    return ngx_kmip_ttlv_fail(x->err, rc, (size_t) (x->p - x->start), tag,
                              what);
}


static int
ngx_kmip_xml_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}


static size_t
ngx_kmip_xml_skip_space(ngx_kmip_xml_parser_t *x)
{
    const uint8_t  *p;

    p = x->p;

    while (x->p < x->end && ngx_kmip_xml_space(*x->p)) {
        x->p++;
    }

    return (size_t) (x->p - p);
}


static int
ngx_kmip_xml_starts(ngx_kmip_xml_parser_t *x, const char *s)
{
    size_t  n;

    n = strlen(s);

    return (size_t) (x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}


/* white space and comments; a DTD, CDATA or processing instruction is an
   error */

static int
ngx_kmip_xml_skip_misc(ngx_kmip_xml_parser_t *x)
{
    for ( ;; ) {
        (void) ngx_kmip_xml_skip_space(x);

        if (ngx_kmip_xml_starts(x, "<!--")) {
            x->p += 4;

            while (!ngx_kmip_xml_starts(x, "--")) {
                if (x->p >= x->end) {
                    return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_TRUNCATED, 0,
                                             "unterminated comment");
                }

                x->p++;
            }

            if (!ngx_kmip_xml_starts(x, "-->")) {
                return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0,
                                         "\"--\" in a comment");
            }

            x->p += 3;
            continue;
        }

        if (ngx_kmip_xml_starts(x, "<!")) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_DTD, 0,
                                     "DTD, entity declaration or CDATA");
        }

        if (ngx_kmip_xml_starts(x, "<?")) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_DTD, 0,
                                     "processing instruction");
        }

        return NGX_KMIP_OK;
    }
}


/* an XML name of ASCII letters, digits, '_', '-', '.' and ':'; 0 if none */

static size_t
ngx_kmip_xml_name(ngx_kmip_xml_parser_t *x)
{
    uint8_t         c;
    const uint8_t  *p;

    p = x->p;

    while (x->p < x->end) {
        c = *x->p;

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'
              || c == ':' || (x->p > p && ((c >= '0' && c <= '9')
                                           || c == '-' || c == '.'))))
        {
            break;
        }

        x->p++;
    }

    return (size_t) (x->p - p);
}


/* the UTF-8 bytes of code point c at out; the count */

static size_t
ngx_kmip_xml_utf8(uint32_t c, uint8_t *out)
{
    if (c < 0x80) {
        out[0] = (uint8_t) c;
        return 1;
    }

    if (c < 0x800) {
        out[0] = (uint8_t) (0xC0 | c >> 6);
        out[1] = (uint8_t) (0x80 | (c & 0x3F));
        return 2;
    }

    if (c < 0x10000) {
        out[0] = (uint8_t) (0xE0 | c >> 12);
        out[1] = (uint8_t) (0x80 | (c >> 6 & 0x3F));
        out[2] = (uint8_t) (0x80 | (c & 0x3F));
        return 3;
    }

    out[0] = (uint8_t) (0xF0 | c >> 18);
    out[1] = (uint8_t) (0x80 | (c >> 12 & 0x3F));
    out[2] = (uint8_t) (0x80 | (c >> 6 & 0x3F));
    out[3] = (uint8_t) (0x80 | (c & 0x3F));
    return 4;
}


/* a reference after '&' at p (p < end), its character appended at out */

static int
ngx_kmip_xml_reference(ngx_kmip_xml_parser_t *x, const uint8_t *end,
    uint8_t *out, size_t *n)
{
    size_t          i, len;
    uint32_t        c, base, d;
    const uint8_t  *p, *semi;

    static const struct {
        const char  *name;
        uint8_t      c;
    } predefined[] = {
        { "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' },
        { "apos", '\'' }
    };

    p = x->p + 1;

    for (semi = p; semi < end && *semi != ';' && semi - p < 12; semi++) {
        /* void */
    }

    if (semi >= end || *semi != ';') {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0,
                                 "'&' without a reference");
    }

    len = (size_t) (semi - p);

    if (len > 0 && p[0] == '#') {
        base = 10;
        i = 1;

        if (p[1] == 'x') {
            base = 16;
            i = 2;
        }

        if (i == len) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0,
                                     "empty character reference");
        }

        c = 0;

        for ( /* void */ ; i < len; i++) {
            if (p[i] >= '0' && p[i] <= '9') {
                d = p[i] - '0';

            } else if (base == 16 && (p[i] | 0x20) >= 'a'
                       && (p[i] | 0x20) <= 'f')
            {
                d = (p[i] | 0x20) - 'a' + 10;

            } else {
                return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0,
                                         "bad character reference");
            }

            c = c * base + d;

            if (c > 0x10FFFF) {
                break;
            }
        }

        /*
         * any Unicode scalar value, NUL and controls included (as XML 1.1
         * allows): a KMIP Text String may hold them, and the encoder
         * writes them as references
         */

        if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_VALUE, 0,
                                     "character reference out of range");
        }

        *n += ngx_kmip_xml_utf8(c, out + *n);
        x->p = semi + 1;
        return NGX_KMIP_OK;
    }

    for (i = 0; i < sizeof(predefined) / sizeof(predefined[0]); i++) {
        if (strlen(predefined[i].name) == len
            && memcmp(predefined[i].name, p, len) == 0)
        {
            out[(*n)++] = predefined[i].c;
            x->p = semi + 1;
            return NGX_KMIP_OK;
        }
    }

    return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_DTD, 0, "unknown entity");
}


/*
 * A quoted attribute value at x->p: references replaced, each literal tab,
 * line feed, carriage return or CR LF pair a space (XML's attribute value
 * normalization).  The value points into the input when it needs neither.
 */

static int
ngx_kmip_xml_attr_value(ngx_kmip_xml_parser_t *x, ngx_kmip_xml_attr_t *v)
{
    int             rc;
    size_t          n;
    uint8_t         q, *out;
    const uint8_t  *p, *end;

    q = *x->p++;
    p = x->p;

    for (end = p; end < x->end && *end != q; end++) {
        if (*end == '<') {
            x->p = end;
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0,
                                     "'<' in an attribute value");
        }

        if (*end < 0x20 && !ngx_kmip_xml_space(*end)) {
            x->p = end;
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0,
                                     "control character");
        }
    }

    if (end >= x->end) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_TRUNCATED, 0,
                                 "unterminated attribute value");
    }

    v->set = 1;
    v->data = p;
    v->len = (size_t) (end - p);

    for (n = 0; n < v->len; n++) {
        if (p[n] == '&' || (p[n] != ' ' && ngx_kmip_xml_space(p[n]))) {
            break;
        }
    }

    if (n == v->len) {
        x->p = end + 1;
        return NGX_KMIP_OK;
    }

    /* a reference is never shorter than the UTF-8 of its character */

    out = x->a->alloc(x->a->data, v->len);
    if (out == NULL) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_NOMEM, 0, NULL);
    }

    n = 0;

    while (x->p < end) {
        if (*x->p == '&') {
            rc = ngx_kmip_xml_reference(x, end, out, &n);
            if (rc != NGX_KMIP_OK) {
                return rc;
            }

            continue;
        }

        if (*x->p == '\r' && x->p + 1 < end && x->p[1] == '\n') {
            x->p++;
        }

        out[n++] = (*x->p != ' ' && ngx_kmip_xml_space(*x->p)) ? ' '
                                                                 : *x->p;
        x->p++;
    }

    v->data = out;
    v->len = n;
    x->p = end + 1;

    return NGX_KMIP_OK;
}


/* past the character c of a start tag at x->p: what is wrong if another
   is there, the tag unterminated if the document ends */

static int
ngx_kmip_xml_attrs_past(ngx_kmip_xml_parser_t *x, uint8_t c,
    const char *what)
{
    if (x->p >= x->end) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_TRUNCATED, 0,
                                 "unterminated start tag");
    }

    if (*x->p != c) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0, what);
    }

    x->p++;

    return NGX_KMIP_OK;
}


/* the attributes after an element's name, up to and past '>' or "/>" */

static int
ngx_kmip_xml_attrs(ngx_kmip_xml_parser_t *x, ngx_kmip_xml_attr_t *type,
    ngx_kmip_xml_attr_t *value, ngx_kmip_xml_attr_t *tag, int *empty)
{
    int                   rc;
    size_t                n, space;
    const uint8_t        *name;
    ngx_kmip_xml_attr_t  *attr;

    for ( ;; ) {
        space = ngx_kmip_xml_skip_space(x);

        if (x->p >= x->end) {
            break;
        }

        if (*x->p == '>' || *x->p == '/') {
            *empty = (*x->p == '/');
            x->p += *empty;

            return ngx_kmip_xml_attrs_past(x, '>', "'/' not before '>'");
        }

        name = x->p;
        n = ngx_kmip_xml_name(x);

        if (n == 0 || space == 0) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0,
                                     "bad attribute");
        }

        if (n == 4 && memcmp(name, "type", 4) == 0) {
            attr = type;

        } else if (n == 5 && memcmp(name, "value", 5) == 0) {
            attr = value;

        } else if (n == 3 && memcmp(name, "tag", 3) == 0) {
            attr = tag;

        } else {
            x->p = name;
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_FIELD, 0,
                                     "unknown attribute");
        }

        if (attr->set) {
            x->p = name;
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_FIELD, 0,
                                     "duplicate attribute");
        }

        (void) ngx_kmip_xml_skip_space(x);

        rc = ngx_kmip_xml_attrs_past(x, '=', "no '=' after an attribute name");
        if (rc != NGX_KMIP_OK) {
            return rc;
        }

        (void) ngx_kmip_xml_skip_space(x);

        if (x->p >= x->end) {
            break;
        }

        if (*x->p != '"' && *x->p != '\'') {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0,
                                     "attribute value not quoted");
        }

        rc = ngx_kmip_xml_attr_value(x, attr);
        if (rc != NGX_KMIP_OK) {
            return rc;
        }
    }

    return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_TRUNCATED, 0,
                             "unterminated start tag");
}


/* a start tag at x->p ('<' seen): the item, appended to top's, and a new
   frame on top when the element is not empty */

static int
ngx_kmip_xml_start(ngx_kmip_xml_parser_t *x, ngx_kmip_xml_frame_t **top,
    ngx_kmip_item_t **root)
{
    int                    rc, empty;
    size_t                 n, depth;
    uint8_t                type;
    uint32_t               tag;
    const uint8_t         *name;
    ngx_kmip_item_t       *item, *parent;
    ngx_kmip_xml_attr_t    atype, avalue, atag;
    ngx_kmip_xml_frame_t  *f;

    x->p++;
    name = x->p;
    n = ngx_kmip_xml_name(x);

    if (n == 0) {
        return ngx_kmip_xml_fail(x, x->p >= x->end ? NGX_KMIP_ERR_TRUNCATED
                                                   : NGX_KMIP_ERR_SYNTAX,
                                 0, "bad element name");
    }

    memset(&atype, 0, sizeof(atype));
    memset(&avalue, 0, sizeof(avalue));
    memset(&atag, 0, sizeof(atag));
    empty = 0;

    rc = ngx_kmip_xml_attrs(x, &atype, &avalue, &atag, &empty);
    if (rc != NGX_KMIP_OK) {
        return rc;
    }

    if (n == 4 && memcmp(name, "TTLV", 4) == 0) {
        if (!atag.set) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_FIELD, 0,
                                     "TTLV element without a tag");
        }

        tag = ngx_kmip_text_tag_by_name(atag.data, atag.len);

    } else {
        if (atag.set) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_FIELD, 0,
                                     "tag attribute not on a TTLV element");
        }

        tag = ngx_kmip_text_tag_by_name(name, n);
    }

    if (tag == 0) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_NAME, 0, "unknown tag");
    }

    type = NGX_KMIP_TYPE_STRUCTURE;

    if (atype.set) {
        type = ngx_kmip_text_type_by_name(atype.data, atype.len);

        if (type == 0) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_NAME, tag,
                                     "unknown type");
        }
    }

    if ((type == NGX_KMIP_TYPE_STRUCTURE) == avalue.set) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_FIELD, tag,
                                 avalue.set ? "value of a Structure"
                                            : "no value");
    }

    depth = *top ? (*top)->depth + 1 : 1;

    if (depth > x->max_depth) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_DEPTH, tag,
                                 "nesting too deep");
    }

    if (++x->items > x->max_items) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_ITEMS, tag, "too many items");
    }

    item = ngx_kmip_ttlv_item_new(x->a, tag, type);
    if (item == NULL) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_NOMEM, tag, NULL);
    }

    parent = *top ? (*top)->item : NULL;

    if (type != NGX_KMIP_TYPE_STRUCTURE) {
        rc = ngx_kmip_text_set_value(x->a, item,
                                     ngx_kmip_text_value_tag(parent, item),
                                     avalue.data, avalue.len, ' ');
        if (rc != NGX_KMIP_OK) {
            return ngx_kmip_xml_fail(x, rc, tag, "bad value");
        }
    }

    if (parent != NULL) {
        ngx_kmip_ttlv_item_append(parent, item);

    } else {
        *root = item;
    }

    if (empty) {
        return NGX_KMIP_OK;
    }

    f = x->a->alloc(x->a->data, sizeof(ngx_kmip_xml_frame_t));
    if (f == NULL) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_NOMEM, tag, NULL);
    }

    f->prev = *top;
    f->item = item;
    f->name = name;
    f->name_len = n;
    f->depth = depth;
    *top = f;

    return NGX_KMIP_OK;
}


/* an end tag at x->p ("</" seen) that must close top */

static int
ngx_kmip_xml_end(ngx_kmip_xml_parser_t *x, ngx_kmip_xml_frame_t **top)
{
    size_t          n;
    const uint8_t  *name;

    x->p += 2;
    name = x->p;
    n = ngx_kmip_xml_name(x);

    if (n != (*top)->name_len || memcmp(name, (*top)->name, n) != 0) {
        return ngx_kmip_xml_fail(x, x->p >= x->end ? NGX_KMIP_ERR_TRUNCATED
                                                   : NGX_KMIP_ERR_SYNTAX,
                                 (*top)->item->tag, "mismatched end tag");
    }

    (void) ngx_kmip_xml_skip_space(x);

    if (x->p >= x->end) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_TRUNCATED, 0,
                                 "unterminated end tag");
    }

    if (*x->p != '>') {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0, "bad end tag");
    }

    x->p++;
    *top = (*top)->prev;

    return NGX_KMIP_OK;
}


/* 1 if the declaration d[0..n) names no encoding, or UTF-8 */

static int
ngx_kmip_xml_utf8_declared(const uint8_t *d, size_t n)
{
    size_t  i, k;

    for (i = 0; i + 8 <= n; i++) {
        if (memcmp(d + i, "encoding", 8) == 0) {
            break;
        }
    }

    if (i + 8 > n) {
        return 1;
    }

    for (i += 8; i < n && (ngx_kmip_xml_space(d[i]) || d[i] == '='); i++) {
        /* void */
    }

    if (i >= n || (d[i] != '"' && d[i] != '\'')) {
        return 0;
    }

    for (k = 0; k < 5 && i + 1 + k < n; k++) {
        if ((d[i + 1 + k] | 0x20) != (uint8_t) ("utf-8"[k] | 0x20)) {
            return 0;
        }
    }

    return k == 5 && i + 6 < n && d[i + 6] == d[i];
}


/*
 * The XML declaration, if any: printable ASCII, and no encoding but UTF-8
 * (the parser reads UTF-8 only); its other pseudo-attributes are not
 * checked
 */

static int
ngx_kmip_xml_declaration(ngx_kmip_xml_parser_t *x)
{
    const uint8_t  *d;

    if (ngx_kmip_xml_starts(x, "\xEF\xBB\xBF")) {
        x->p += 3;
    }

    if (!ngx_kmip_xml_starts(x, "<?xml ")) {
        return NGX_KMIP_OK;
    }

    d = x->p;

    while (!ngx_kmip_xml_starts(x, "?>")) {
        if (x->p >= x->end) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_TRUNCATED, 0,
                                     "unterminated XML declaration");
        }

        if (*x->p < 0x20 ? !ngx_kmip_xml_space(*x->p) : *x->p > 0x7E) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0,
                                     "bad XML declaration");
        }

        x->p++;
    }

    if (!ngx_kmip_xml_utf8_declared(d, (size_t) (x->p - d))) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_VALUE, 0,
                                 "an encoding other than UTF-8");
    }

    x->p += 2;

    return NGX_KMIP_OK;
}


/* the element of the document at x->p into *root */

static int
ngx_kmip_xml_document(ngx_kmip_xml_parser_t *x, ngx_kmip_item_t **root)
{
    int                    rc;
    ngx_kmip_xml_frame_t  *top;

    rc = ngx_kmip_xml_declaration(x);
    if (rc != NGX_KMIP_OK) {
        return rc;
    }

    top = NULL;

    do {
        rc = ngx_kmip_xml_skip_misc(x);
        if (rc != NGX_KMIP_OK) {
            return rc;
        }

        if (x->p >= x->end) {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_TRUNCATED, 0,
                                     top ? "unclosed element" : "no element");
        }

        if (*x->p != '<') {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, 0,
                                     "text outside of attributes");
        }

        if (top != NULL && x->p + 1 < x->end && x->p[1] == '/') {
            rc = ngx_kmip_xml_end(x, &top);

        } else if (top != NULL
                   && top->item->type != NGX_KMIP_TYPE_STRUCTURE)
        {
            return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_SYNTAX, top->item->tag,
                                     "element inside a value");

        } else {
            rc = ngx_kmip_xml_start(x, &top, root);
        }

        if (rc != NGX_KMIP_OK) {
            return rc;
        }

    } while (top != NULL);

    rc = ngx_kmip_xml_skip_misc(x);
    if (rc != NGX_KMIP_OK) {
        return rc;
    }

    if (x->p < x->end) {
        return ngx_kmip_xml_fail(x, NGX_KMIP_ERR_TRAILING, 0,
                                 "content after the element");
    }

    return NGX_KMIP_OK;
}


int
ngx_kmip_xml_decode(const uint8_t *buf, size_t len,
    const ngx_kmip_limits_t *limits, ngx_kmip_allocator_t *a,
    ngx_kmip_item_t **root, ngx_kmip_error_t *err)
{
    int                    rc;
    size_t                 bad;
    ngx_kmip_item_t       *item;
    ngx_kmip_xml_parser_t  x;

    x.start = buf;
    x.p = buf;
    x.end = buf + len;
    x.a = a;
    x.err = err;
    x.items = 0;

    ngx_kmip_text_limits(limits, &x.max_depth, &x.max_items);

    *root = NULL;

    if (!ngx_kmip_ttlv_utf8_valid(buf, len, &bad)) {
        x.p = buf + bad;
        return ngx_kmip_xml_fail(&x, NGX_KMIP_ERR_UTF8, 0, "not UTF-8");
    }

    item = NULL;

    rc = ngx_kmip_xml_document(&x, &item);

    if (rc == NGX_KMIP_OK) {
        *root = item;
    }

    return rc;
}


/* an attribute value in double quotes; controls as character references */

static void
ngx_kmip_xml_put_escaped(ngx_kmip_text_out_t *o, const uint8_t *p, size_t n)
{
    size_t       i, run;
    const char  *rep;

    run = 0;

    for (i = 0; i < n; i++) {
        switch (p[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        default:
            rep = NULL;
        }

        if (rep == NULL && p[i] >= 0x20) {
            continue;
        }

        ngx_kmip_text_put(o, p + run, i - run);
        run = i + 1;

        if (rep != NULL) {
            ngx_kmip_text_puts(o, rep);
            continue;
        }

        ngx_kmip_text_puts(o, "&#x");
        ngx_kmip_text_put_hex(o, p + i, 1);
        ngx_kmip_text_puts(o, ";");
    }

    ngx_kmip_text_put(o, p + run, n - run);
}


static void
ngx_kmip_xml_put_item(ngx_kmip_text_out_t *o, const ngx_kmip_item_t *parent,
    const ngx_kmip_item_t *item)
{
    int                     named;
    const ngx_kmip_item_t  *kid;

    named = (ngx_kmip_tag_camel_name(item->tag) != NULL);

    ngx_kmip_text_puts(o, "<");

    if (named) {
        ngx_kmip_text_put_tag(o, item->tag);

    } else {
        ngx_kmip_text_puts(o, "TTLV tag=\"");
        ngx_kmip_text_put_tag(o, item->tag);
        ngx_kmip_text_puts(o, "\"");
    }

    if (item->type == NGX_KMIP_TYPE_STRUCTURE) {
        if (item->v.kids.first == NULL) {
            ngx_kmip_text_puts(o, "/>");
            return;
        }

        ngx_kmip_text_puts(o, ">");

        for (kid = item->v.kids.first; kid; kid = kid->next) {
            ngx_kmip_xml_put_item(o, item, kid);
        }

        ngx_kmip_text_puts(o, "</");
        ngx_kmip_text_puts(o, named ? ngx_kmip_tag_camel_name(item->tag)
                                    : "TTLV");
        ngx_kmip_text_puts(o, ">");
        return;
    }

    ngx_kmip_text_puts(o, " type=\"");
    ngx_kmip_text_puts(o, ngx_kmip_text_type_name(item->type));
    ngx_kmip_text_puts(o, "\" value=\"");

    if (item->type == NGX_KMIP_TYPE_TEXT_STRING) {
        ngx_kmip_xml_put_escaped(o, item->v.str.data, item->v.str.len);

    } else {
        ngx_kmip_text_put_value(o, ngx_kmip_text_value_tag(parent, item),
                                item, ' ', 0);
    }

    ngx_kmip_text_puts(o, "\"/>");
}


size_t
ngx_kmip_xml_size(const ngx_kmip_item_t *item)
{
    return ngx_kmip_text_size(ngx_kmip_xml_put_item, item);
}


uint8_t *
ngx_kmip_xml_encode(const ngx_kmip_item_t *item, uint8_t *out)
{
    return ngx_kmip_text_encode(ngx_kmip_xml_put_item, item, out);
}
