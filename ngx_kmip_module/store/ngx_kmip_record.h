
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_RECORD_H_INCLUDED_
#define _NGX_KMIP_RECORD_H_INCLUDED_


/*
 * The record a Key Protect standard key carries as its payload: one KMIP
 * object at one generation. TTLV, with vendor extension tags for the
 * record's own fields and the standard tags for the rest:
 *
 *   Record                       0x540001  Structure
 *     Record Version             0x540002  Integer (1; 2 with a scope or
 *                                          object fields; 3 with chunks)
 *     Unique Identifier          0x420094  Text String
 *     Record Generation          0x540003  Long Integer (1, 2, ...)
 *     Object Type                0x420057  Enumeration
 *     Record Object Subtype      0x540004  Enumeration (Secret Data Type,
 *                                          Opaque Data Type), optional
 *     Record Wrapped Material    0x540005  Byte String: the key material
 *                                          wrapped by the CRK (Key
 *                                          Protect ciphertext), optional
 *     Record Material Length     0x540006  Integer (plaintext bytes)
 *     Record Scope               0x540007  Text String: the scope that owns
 *                                          the object; only in Record
 *                                          Version 2, absent for the
 *                                          default scope (version 1)
 *     Record Object Fields       0x540008  Structure: the object's fields
 *                                          besides its material (a Split
 *                                          Key's; a wrapped Key Block's
 *                                          Key Wrapping Data), as the
 *                                          client gave them; only in
 *                                          Record Version 2
 *     Record Chunks              0x540009  Structure: where the material
 *                                          of an object too large for one
 *                                          payload is (Record Version 3
 *                                          only; ngx_kmip_store_kp.c):
 *       Record Chunk IV          0x54000A  Byte String: the AES-256-GCM
 *                                          IV; the Record Wrapped
 *                                          Material is then the wrapped
 *                                          data key, not the material
 *       Record Chunk*            0x54000B  Structure, in order:
 *         Record Chunk Key       0x54000C  Text String: its Key Protect
 *                                          key id
 *         Record Chunk Digest    0x54000D  Byte String: SHA-256 of its
 *                                          payload
 *     Attribute*                 0x420008  {Attribute Name, Attribute
 *                                          Index, Attribute Value}
 *
 * Key material never appears in a record in plaintext. A record of a newer
 * Record Version than this code knows is refused, never half read.
 *
 * Plain C99, no nginx headers, no I/O.
 */


#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_attr.h"


#define NGX_KMIP_TAG_RECORD                   0x540001
#define NGX_KMIP_TAG_RECORD_VERSION           0x540002
#define NGX_KMIP_TAG_RECORD_GENERATION        0x540003
#define NGX_KMIP_TAG_RECORD_OBJECT_SUBTYPE    0x540004
#define NGX_KMIP_TAG_RECORD_WRAPPED_MATERIAL  0x540005
#define NGX_KMIP_TAG_RECORD_MATERIAL_LENGTH   0x540006
#define NGX_KMIP_TAG_RECORD_SCOPE             0x540007
#define NGX_KMIP_TAG_RECORD_OBJECT_FIELDS     0x540008
#define NGX_KMIP_TAG_RECORD_CHUNKS            0x540009
#define NGX_KMIP_TAG_RECORD_CHUNK_IV          0x54000A
#define NGX_KMIP_TAG_RECORD_CHUNK             0x54000B
#define NGX_KMIP_TAG_RECORD_CHUNK_KEY         0x54000C
#define NGX_KMIP_TAG_RECORD_CHUNK_DIGEST      0x54000D

#define NGX_KMIP_RECORD_VERSION               1
#define NGX_KMIP_RECORD_VERSION_SCOPE         2
#define NGX_KMIP_RECORD_VERSION_CHUNKS        3

/* Key Protect takes standard key payloads up to 7,500 bytes (base64) */
#define NGX_KMIP_RECORD_MAX_SIZE              5600


typedef struct {
    uint32_t                version;
    const uint8_t          *uid;
    size_t                  uid_len;
    int64_t                 generation;
    uint32_t                object_type;
    uint32_t                subtype;        /* 0: none */
    const uint8_t          *wrapped;        /* NULL: no material */
    size_t                  wrapped_len;
    uint32_t                material_len;
    const uint8_t          *scope;          /* NULL: the default scope */
    size_t                  scope_len;
    const ngx_kmip_item_t  *fields;         /* NULL: none */
    const ngx_kmip_item_t  *chunks;         /* NULL: none */
    ngx_kmip_attrs_t        attrs;
} ngx_kmip_record_t;


/* the *err of an encode that failed for the size alone */
extern const char  ngx_kmip_record_too_large[];


/*
 * Encodes rec (version 1; 2 when it has a scope or object fields; 3 when
 * it has chunks) into a buffer from the allocator. 0, or -1 with *err (no
 * memory, or ngx_kmip_record_too_large).
 */
int ngx_kmip_record_encode(ngx_kmip_allocator_t *a,
    const ngx_kmip_record_t *rec, uint8_t **out, size_t *len,
    const char **err);

/*
 * Decodes a record; strings point into buf. 0, or -1 with *err.
 */
int ngx_kmip_record_decode(ngx_kmip_allocator_t *a, const uint8_t *buf,
    size_t len, ngx_kmip_record_t *rec, const char **err);


#endif /* _NGX_KMIP_RECORD_H_INCLUDED_ */
