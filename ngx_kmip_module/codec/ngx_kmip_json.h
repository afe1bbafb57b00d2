
/*
 * The JSON encoding of KMIP ("KMIP Additional Message Encodings" v1.0,
 * section JSON): every item an object {"tag": name, "type": type,
 * "value": value}, "type" left out for a Structure, whose value is the
 * array of its items.  Decoding goes through yajl's event parser
 * (libyajl), bounded by ngx_kmip_limits_t; encoding is written here.
 * Plain C99, no nginx headers; the tree's memory comes from the caller's
 * allocator, yajl's own buffers from malloc.
 */


#ifndef _NGX_KMIP_JSON_H_INCLUDED_
#define _NGX_KMIP_JSON_H_INCLUDED_


#include "ngx_kmip_text.h"


/* as ngx_kmip_ttlv_decode(), ngx_kmip_ttlv_size() and
   ngx_kmip_ttlv_encode(): the contract is in ngx_kmip_text.h */
int ngx_kmip_json_decode(const uint8_t *buf, size_t len,
    const ngx_kmip_limits_t *limits, ngx_kmip_allocator_t *a,
    ngx_kmip_item_t **root, ngx_kmip_error_t *err);
size_t ngx_kmip_json_size(const ngx_kmip_item_t *item);
uint8_t *ngx_kmip_json_encode(const ngx_kmip_item_t *item, uint8_t *out);


#endif /* _NGX_KMIP_JSON_H_INCLUDED_ */
