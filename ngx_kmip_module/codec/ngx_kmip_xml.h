
/*
 * The XML encoding of KMIP ("KMIP Additional Message Encodings" v1.0,
 * section XML): <Tag type="Type" value="..."/> for a value,
 * <Tag>...</Tag> for a Structure, <TTLV tag="0x54xxxx" ...> for a tag
 * without a name.  Decoding is a small parser of its own, iterative and
 * bounded by ngx_kmip_limits_t: no DTD, no entities but the five
 * predefined ones and character references, no CDATA, no processing
 * instruction but the XML declaration.  Plain C99, no nginx headers, no
 * malloc (memory comes from the caller's allocator).
 */


#ifndef _NGX_KMIP_XML_H_INCLUDED_
#define _NGX_KMIP_XML_H_INCLUDED_


#include "ngx_kmip_text.h"


/* as ngx_kmip_ttlv_decode(), ngx_kmip_ttlv_size() and
   ngx_kmip_ttlv_encode(): the contract is in ngx_kmip_text.h */
int ngx_kmip_xml_decode(const uint8_t *buf, size_t len,
    const ngx_kmip_limits_t *limits, ngx_kmip_allocator_t *a,
    ngx_kmip_item_t **root, ngx_kmip_error_t *err);
size_t ngx_kmip_xml_size(const ngx_kmip_item_t *item);
uint8_t *ngx_kmip_xml_encode(const ngx_kmip_item_t *item, uint8_t *out);


#endif /* _NGX_KMIP_XML_H_INCLUDED_ */
