
/*
 * KMIP TTLV codec: plain C99, no nginx headers, no malloc (all memory comes
 * from the caller's allocator).  Linked directly by the unit tests and the
 * fuzzer, compiled into the nginx module as is.
 */


#ifndef _NGX_KMIP_TTLV_H_INCLUDED_
#define _NGX_KMIP_TTLV_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ngx_kmip_tags.h"


#define NGX_KMIP_TTLV_HEADER_LEN     8

#define NGX_KMIP_DEFAULT_MAX_DEPTH   32
#define NGX_KMIP_DEFAULT_MAX_ITEMS   10000


typedef struct {
    void     *(*alloc)(void *data, size_t size);  /* NULL on failure;
                                                     need not be zeroed */
    void      *data;
} ngx_kmip_allocator_t;


typedef struct ngx_kmip_item_s  ngx_kmip_item_t;

struct ngx_kmip_item_s {
    uint32_t                tag;        /* 0x42xxxx or 0x54xxxx */
    uint8_t                 type;       /* NGX_KMIP_TYPE_* */

    union {
        /*
         * Integer (int32 sign-extended), Long Integer, Enumeration (uint32),
         * Boolean (0/1), Date-Time, Interval (uint32), Date-Time Extended
         */
        int64_t             num;

        /*
         * Text String, Byte String, Big Integer (raw two's complement
         * big-endian bytes, length a multiple of 8 when decoded)
         */
        struct {
            const uint8_t  *data;
            size_t          len;
        } str;

        /* Structure */
        struct {
            ngx_kmip_item_t  *first;
            ngx_kmip_item_t  *last;
            size_t            count;
        } kids;
    } v;

    ngx_kmip_item_t        *next;       /* next sibling */
};


/* 0 in either field means the default */
typedef struct {
    size_t                  max_depth;  /* the top-level item is depth 1 */
    size_t                  max_items;  /* items in the whole message */
} ngx_kmip_limits_t;


typedef enum {
    NGX_KMIP_OK = 0,
    NGX_KMIP_ERR_TRUNCATED,    /* fewer bytes than a header or a declared
                                  length needs */
    NGX_KMIP_ERR_LENGTH,       /* length wrong for the type, or an item
                                  overruns its enclosing Structure */
    NGX_KMIP_ERR_PADDING,      /* non-zero padding byte */
    NGX_KMIP_ERR_TYPE,         /* unknown item type byte */
    NGX_KMIP_ERR_BOOLEAN,      /* Boolean not 0 or 1 */
    NGX_KMIP_ERR_UTF8,         /* Text String not valid UTF-8 */
    NGX_KMIP_ERR_DEPTH,        /* nesting deeper than max_depth */
    NGX_KMIP_ERR_ITEMS,        /* more than max_items items */
    NGX_KMIP_ERR_TRAILING,     /* bytes after the top-level item */
    NGX_KMIP_ERR_TAG,          /* tag not in 0x42xxxx or 0x54xxxx */
    NGX_KMIP_ERR_NOMEM,
    NGX_KMIP_ERR_MESSAGE       /* valid TTLV, invalid KMIP message */
} ngx_kmip_rc_e;


typedef struct {
    int                     rc;         /* ngx_kmip_rc_e */
    size_t                  offset;     /* byte offset in the input */
    uint32_t                tag;        /* offending item's tag, or 0 */
    const char             *what;       /* static text for the logs */
} ngx_kmip_error_t;


/*
 * Reads the tag, type and length of the 8 bytes at p (the caller
 * guarantees 8 readable bytes).  NGX_KMIP_OK and *len = declared value
 * length; NGX_KMIP_ERR_TAG for a bad tag, NGX_KMIP_ERR_TYPE if the item is
 * not a Structure, NGX_KMIP_ERR_LENGTH if the length is not a multiple
 * of 8.  tag, type and len are filled in every case.
 */
int ngx_kmip_ttlv_peek_header(const uint8_t *p, uint32_t *tag, uint8_t *type,
    uint32_t *len);

/*
 * Decodes exactly one item spanning the whole of buf[0..len).  Strings
 * point into buf (zero copy): buf must outlive the tree.  limits may be
 * NULL (defaults).  err may be NULL.  Decoding is iterative.
 */
int ngx_kmip_ttlv_decode(const uint8_t *buf, size_t len,
    const ngx_kmip_limits_t *limits, ngx_kmip_allocator_t *a,
    ngx_kmip_item_t **root, ngx_kmip_error_t *err);

/*
 * Full encoded size of an item, header and padding included.  Encoding,
 * size and copy recurse over Structures: tree depth is bounded by the
 * decoder's max_depth for decoded trees, and by the code for built ones.
 */
size_t ngx_kmip_ttlv_size(const ngx_kmip_item_t *item);

/*
 * Writes the item at out (ngx_kmip_ttlv_size() bytes) and returns the end
 * pointer.  Structure lengths are recomputed from the children.
 */
uint8_t *ngx_kmip_ttlv_encode(const ngx_kmip_item_t *item, uint8_t *out);

const char *ngx_kmip_ttlv_strerror(int rc);

/* sets *err (may be NULL) and returns rc: how every decoder fails */
int ngx_kmip_ttlv_fail(ngx_kmip_error_t *err, int rc, size_t offset,
    uint32_t tag, const char *what);

const char *ngx_kmip_ttlv_type_name(uint8_t type);

/* 1 if p[0..n) is valid UTF-8 (no overlongs, surrogates, > U+10FFFF) */
int ngx_kmip_ttlv_utf8_valid(const uint8_t *p, size_t n, size_t *bad);

/* 1 if the tag is in the 0x42xxxx or 0x54xxxx ranges */
int ngx_kmip_ttlv_tag_valid(uint32_t tag);


/*
 * Builders.  All return NULL on allocation failure; add_* return NULL
 * when parent is NULL, so chains of calls are safe and a single NULL check
 * at the end is enough.  Strings are not copied.
 */
ngx_kmip_item_t *ngx_kmip_ttlv_item_new(ngx_kmip_allocator_t *a, uint32_t tag,
    uint8_t type);
ngx_kmip_item_t *ngx_kmip_ttlv_add_struct(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag);
ngx_kmip_item_t *ngx_kmip_ttlv_add_integer(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, int32_t v);
ngx_kmip_item_t *ngx_kmip_ttlv_add_long(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, int64_t v);
ngx_kmip_item_t *ngx_kmip_ttlv_add_enum(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, uint32_t v);
ngx_kmip_item_t *ngx_kmip_ttlv_add_bool(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, int v);
ngx_kmip_item_t *ngx_kmip_ttlv_add_datetime(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, int64_t v);
ngx_kmip_item_t *ngx_kmip_ttlv_add_datetime_ext(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, int64_t v);
ngx_kmip_item_t *ngx_kmip_ttlv_add_interval(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, uint32_t v);
ngx_kmip_item_t *ngx_kmip_ttlv_add_text(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, const uint8_t *p, size_t n);
ngx_kmip_item_t *ngx_kmip_ttlv_add_bytes(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, const uint8_t *p, size_t n);
ngx_kmip_item_t *ngx_kmip_ttlv_add_bigint(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *parent, uint32_t tag, const uint8_t *p, size_t n);

/* appends child (its next pointer is reset) to a Structure */
void ngx_kmip_ttlv_item_append(ngx_kmip_item_t *parent, ngx_kmip_item_t *child);

/* first child of a Structure with the tag, or NULL (NULL parent ok) */
ngx_kmip_item_t *ngx_kmip_ttlv_find(const ngx_kmip_item_t *parent,
    uint32_t tag);
/* next sibling after `after` with the tag, or NULL */
ngx_kmip_item_t *ngx_kmip_ttlv_find_next(const ngx_kmip_item_t *after,
    uint32_t tag);
/* deep copy, string bytes included; the copy's next is NULL */
ngx_kmip_item_t *ngx_kmip_ttlv_item_copy(ngx_kmip_allocator_t *a,
    const ngx_kmip_item_t *item);


/* 1 if protocol version major (1 or 2) defines tag, as far as the 1.4 and
   2.1 specifications tell the two lines apart (ngx_kmip_tag_versions.h) */
int ngx_kmip_tag_in_major(uint32_t tag, unsigned major);

/* spec names ("Unique Identifier"); NULL / 0 if unknown */
const char *ngx_kmip_tag_name(uint32_t tag);
uint32_t ngx_kmip_tag_by_name(const char *name, size_t len);

/* the same in the CamelCase of the JSON and XML encodings
   ("UniqueIdentifier") */
const char *ngx_kmip_tag_camel_name(uint32_t tag);
uint32_t ngx_kmip_tag_by_camel(const char *name, size_t len);


/*
 * ngx_kmip_names.c, generated by tools/gen-tags.py: every spec name of
 * every tag with its CamelCase spelling (the same for all the names of a
 * tag), ordered by tag with a tag's preferred name first, and the indexes
 * of the preferred names in the byte order of their CamelCase spelling
 */
typedef struct {
    uint32_t     tag;
    const char  *name;
    const char  *camel;
} ngx_kmip_tag_name_t;

extern const ngx_kmip_tag_name_t  ngx_kmip_tag_names[];
extern const size_t               ngx_kmip_tag_names_n;
extern const uint16_t             ngx_kmip_tag_names_by_camel[];
extern const size_t               ngx_kmip_tag_names_by_camel_n;


#endif /* _NGX_KMIP_TTLV_H_INCLUDED_ */
