
/*
 * The JSON and XML encodings of KMIP ("KMIP Additional Message Encodings"
 * v1.0; ngx_kmip_json.c, ngx_kmip_xml.c) and what they share: their
 * contract, their error codes, the names of tags, types, enumeration
 * values and mask bits, and the text forms of the values (ISO 8601
 * date-times, hex, masks).  Plain C99, no nginx headers, no
 * malloc: memory comes from the caller's allocator.
 */


#ifndef _NGX_KMIP_TEXT_H_INCLUDED_
#define _NGX_KMIP_TEXT_H_INCLUDED_


#include "ngx_kmip_ttlv.h"


/* the text codecs' errors, after those of ngx_kmip_rc_e */
#define NGX_KMIP_ERR_SYNTAX    32   /* not well-formed JSON or XML */
#define NGX_KMIP_ERR_NAME      33   /* unknown tag, type or enumeration
                                       name */
#define NGX_KMIP_ERR_VALUE     34   /* a value not valid for its type: bad
                                       hex, number out of range, bad date */
#define NGX_KMIP_ERR_FIELD     35   /* a missing, duplicate or unknown JSON
                                       member or XML attribute */
#define NGX_KMIP_ERR_DTD       36   /* XML: a DTD, entity declaration,
                                       unknown entity, CDATA or processing
                                       instruction */


/* an output buffer; p == NULL only counts (the encoders' size pass) */
typedef struct {
    uint8_t                *p;
    size_t                  n;      /* bytes written or counted */
} ngx_kmip_text_out_t;


/* writes the encoding of item, a child of parent (NULL for the root) */
typedef void (*ngx_kmip_text_put_pt)(ngx_kmip_text_out_t *o,
    const ngx_kmip_item_t *parent, const ngx_kmip_item_t *item);


/*
 * The contract of both encodings, as the TTLV codec's:
 *
 *   ngx_kmip_json_decode(), ngx_kmip_xml_decode(): decode the one item of
 *   buf[0..len) into the item tree that ngx_kmip_ttlv_decode() gives for
 *   the same message.  Strings are copied into a's memory.  limits may be
 *   NULL (defaults), err may be NULL.  NGX_KMIP_OK or an error code
 *   (ngx_kmip_text_strerror()), err->offset the byte offset in buf.
 *
 *   ngx_kmip_json_size(), ngx_kmip_xml_size(): the size of the encoding of
 *   any item tree (a response); ngx_kmip_json_encode(),
 *   ngx_kmip_xml_encode() write that many bytes at out and return the end
 *   pointer.  Encoding recurses over Structures, as TTLV's does.
 */
int ngx_kmip_json_decode(const uint8_t *buf, size_t len,
    const ngx_kmip_limits_t *limits, ngx_kmip_allocator_t *a,
    ngx_kmip_item_t **root, ngx_kmip_error_t *err);
int ngx_kmip_xml_decode(const uint8_t *buf, size_t len,
    const ngx_kmip_limits_t *limits, ngx_kmip_allocator_t *a,
    ngx_kmip_item_t **root, ngx_kmip_error_t *err);
size_t ngx_kmip_json_size(const ngx_kmip_item_t *item);
size_t ngx_kmip_xml_size(const ngx_kmip_item_t *item);
uint8_t *ngx_kmip_json_encode(const ngx_kmip_item_t *item, uint8_t *out);
uint8_t *ngx_kmip_xml_encode(const ngx_kmip_item_t *item, uint8_t *out);


const char *ngx_kmip_text_strerror(int rc);

/* max_depth and max_items of limits (NULL or 0: the defaults) */
void ngx_kmip_text_limits(const ngx_kmip_limits_t *limits,
    size_t *max_depth, size_t *max_items);

/* the size and the encoding of item through an encoder's put function */
size_t ngx_kmip_text_size(ngx_kmip_text_put_pt put,
    const ngx_kmip_item_t *item);
uint8_t *ngx_kmip_text_encode(ngx_kmip_text_put_pt put,
    const ngx_kmip_item_t *item, uint8_t *out);

/* a CamelCase name or "0x42xxxx" / "0x54xxxx"; 0 if neither */
uint32_t ngx_kmip_text_tag_by_name(const uint8_t *p, size_t n);

/* "TextString" ..., NULL for an unknown type */
const char *ngx_kmip_text_type_name(uint8_t type);
/* NGX_KMIP_TYPE_*, 0 if unknown */
uint8_t ngx_kmip_text_type_by_name(const uint8_t *p, size_t n);

/*
 * The tag whose enumeration or mask names the value of an Enumeration or
 * Integer item: the item's own, or for a KMIP 1.x Attribute Value the tag
 * that the Attribute Name before it in parent names ("Cryptographic
 * Usage Mask"), the first Attribute Name before item among parent's
 * items (all of them if item is not one yet).  parent may be NULL.
 */
uint32_t ngx_kmip_text_value_tag(const ngx_kmip_item_t *parent,
    const ngx_kmip_item_t *item);

/* 1 if vtag's Integer values are masks written as names */
int ngx_kmip_text_is_mask(uint32_t vtag);

/*
 * Sets the value of a non-Structure item (type already set) from its text
 * form: names or "0x" hex for Enumerations; decimal, "0x" hex or mask bit
 * names separated by sep for Integers; ISO 8601 or "0x" hex for
 * date-times; "true" / "false" or "0x" hex for Booleans; hex, with or
 * without "0x", for Big Integers (sign-extended to a multiple of 8
 * bytes); hex for Byte Strings; UTF-8 for Text Strings.  Strings are
 * copied into a's memory.  NGX_KMIP_OK or an error code.
 */
int ngx_kmip_text_set_value(ngx_kmip_allocator_t *a, ngx_kmip_item_t *item,
    uint32_t vtag, const uint8_t *p, size_t n, char sep);

/* an optional '-' and 1 to 19 decimal digits, within [min, max]:
   NGX_KMIP_OK or NGX_KMIP_ERR_VALUE */
int ngx_kmip_text_parse_dec(const uint8_t *p, size_t n, int64_t min,
    int64_t max, int64_t *v);

/* Big Integer from a 64-bit number: 8 bytes, two's complement */
int ngx_kmip_text_set_bigint64(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *item, int64_t v);

void ngx_kmip_text_put(ngx_kmip_text_out_t *o, const void *s, size_t n);
void ngx_kmip_text_puts(ngx_kmip_text_out_t *o, const char *s);
void ngx_kmip_text_put_dec(ngx_kmip_text_out_t *o, int64_t v);
/* "0x" and digits hex digits */
void ngx_kmip_text_put_hexnum(ngx_kmip_text_out_t *o, uint64_t v,
    int digits);
/* hex digits of the bytes, no prefix */
void ngx_kmip_text_put_hex(ngx_kmip_text_out_t *o, const uint8_t *p,
    size_t n);
/* the CamelCase name, or "0x42xxxx" */
void ngx_kmip_text_put_tag(ngx_kmip_text_out_t *o, uint32_t tag);

/*
 * The text form of a non-Structure, non-Text String item's value, as
 * ngx_kmip_text_set_value() reads it: Integers of masks as bit names
 * joined by sep, Integers otherwise, Long Integers and Intervals in
 * decimal, Booleans "true" / "false", Big Integers in hex (with "0x" when
 * bigint_0x), Byte Strings in hex, date-times in ISO 8601 (UTC; "0x" hex
 * when the year is not in 0000-9999).  All ASCII with nothing to escape in
 * JSON or XML.
 */
void ngx_kmip_text_put_value(ngx_kmip_text_out_t *o, uint32_t vtag,
    const ngx_kmip_item_t *item, char sep, int bigint_0x);


#endif /* _NGX_KMIP_TEXT_H_INCLUDED_ */
