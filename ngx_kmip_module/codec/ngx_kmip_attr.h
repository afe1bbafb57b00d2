
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_ATTR_H_INCLUDED_
#define _NGX_KMIP_ATTR_H_INCLUDED_


/*
 * The KMIP attribute model: which attributes the server keeps for its
 * objects (Symmetric Key, Secret Data, Opaque Object), who may set them,
 * whether they take several instances, the protocol versions that define
 * them (every KMIP attribute, ngx_kmip_attr_versions.h, generated from the
 * specifications), and their wire forms:
 *
 *   1.x  Attribute {Attribute Name, Attribute Index?, Attribute Value}
 *        (in Template-Attribute, Get Attributes, Add/Modify/Delete ...)
 *   2.x  the attribute as its own tag (Cryptographic Algorithm 0x420028,
 *        Name 0x420053 ...) inside Attributes / New Attribute / Current
 *        Attribute; custom attributes as Attribute {Vendor Identification,
 *        Attribute Name, Attribute Value}, vendor "x"/"y" being the 1.x
 *        "x-"/"y-" custom attributes.
 *
 * Internally an attribute is always (1.x name, index, value) with the value
 * item tagged Attribute Value; that is also how the store keeps them.
 *
 * Plain C99 on the TTLV codec, no nginx headers: unit-tested directly.
 */


#include "ngx_kmip_ttlv.h"


/* protocol versions as major * 100 + minor, as NGX_KMIP_VERSION() */
#define NGX_KMIP_ATTR_V(major, minor)  ((major) * 100 + (minor))


#define NGX_KMIP_ATTR_MULTI        0x0001  /* several instances allowed */
#define NGX_KMIP_ATTR_SERVER       0x0002  /* set by the server only */
#define NGX_KMIP_ATTR_ON_CREATE    0x0004  /* client may give it at Create
                                              and Register */
#define NGX_KMIP_ATTR_ADD          0x0008  /* Add Attribute by the client */
#define NGX_KMIP_ATTR_MODIFY       0x0010  /* Modify Attribute */
#define NGX_KMIP_ATTR_DELETE       0x0020  /* Delete Attribute */
#define NGX_KMIP_ATTR_CUSTOM       0x0040  /* x- or y- custom attribute */
#define NGX_KMIP_ATTR_ANY_TYPE     0x0080  /* value of any item type */
#define NGX_KMIP_ATTR_ASKED        0x0100  /* in Get Attributes answers only
                                              when asked for by name */

#define NGX_KMIP_ATTR_CLIENT   (NGX_KMIP_ATTR_ON_CREATE|NGX_KMIP_ATTR_ADD     \
                                |NGX_KMIP_ATTR_MODIFY|NGX_KMIP_ATTR_DELETE)


typedef struct {
    const char             *name;       /* 1.x Attribute Name */
    uint32_t                tag;        /* 2.x tag; 0 for custom */
    uint8_t                 type;       /* NGX_KMIP_TYPE_* of the value */
    unsigned                flags;
} ngx_kmip_attr_spec_t;


/* the KMIP versions that define an attribute (ngx_kmip_attr_versions.h) */
typedef struct {
    const char             *name;       /* 1.x Attribute Name; 2.x-only
                                           ones by their 2.x name */
    unsigned                first;      /* NGX_KMIP_ATTR_V() */
    unsigned                last;
} ngx_kmip_attr_version_t;


typedef struct ngx_kmip_attr_s  ngx_kmip_attr_t;

struct ngx_kmip_attr_s {
    const uint8_t          *name;
    size_t                  name_len;
    int64_t                 index;      /* -1: not given (requests only) */
    ngx_kmip_item_t        *value;      /* tag Attribute Value; NULL when
                                           a request names no value */
    ngx_kmip_attr_t        *next;
};


typedef struct {
    ngx_kmip_attr_t        *first;
    ngx_kmip_attr_t        *last;
    size_t                  n;
} ngx_kmip_attrs_t;


/* the spec of an attribute by 1.x name, or by 2.x tag; NULL if unknown */
const ngx_kmip_attr_spec_t *ngx_kmip_attr_spec(const uint8_t *name,
    size_t len);
const ngx_kmip_attr_spec_t *ngx_kmip_attr_spec_by_tag(uint32_t tag);
const ngx_kmip_attr_spec_t *ngx_kmip_attr_specs(void);  /* NULL-name end */

/*
 * 1 if protocol version v (NGX_KMIP_ATTR_V) defines the attribute; custom
 * attributes exist in every version, and those no version defines are
 * kept and shown as given. No answer carries an attribute its version
 * does not define, no request of that version may set or find one.
 */
int ngx_kmip_attr_in_version(const ngx_kmip_attr_t *attr, unsigned v);
int ngx_kmip_attr_name_in_version(const uint8_t *name, size_t len,
    unsigned v);
/* every KMIP attribute by the versions that define it; NULL-name end */
const ngx_kmip_attr_version_t *ngx_kmip_attr_versions_all(void);

int ngx_kmip_attr_name_is(const ngx_kmip_attr_t *attr, const char *name);


/*
 * Whether an attribute's value suits an object of that Object Type in
 * version v, beyond its own form (which parsing checks): a Link's type
 * depends on the object, and an object has one Replacement Object Link at
 * most (KMIP 1.4 3.35, 2.1 4.31). have: the object's attributes, in which
 * attr itself and the instance it replaces (or NULL) do not count. 0, or
 * one of these with *err.
 */
#define NGX_KMIP_ATTR_BAD_VALUE        -1  /* a value this object cannot
                                              take */
#define NGX_KMIP_ATTR_NOT_FOR_OBJECT   -2  /* not an attribute of this
                                              object type */

int ngx_kmip_attr_check_object(const ngx_kmip_attrs_t *have,
    const ngx_kmip_attr_t *replacing, const ngx_kmip_attr_t *attr,
    uint32_t object_type, unsigned v, const char **err);


/*
 * The State of an object at time now (seconds since the epoch), the only
 * way the server reads it: the stored State moved on by the dates reached
 * since it was written (KMIP 1.4 3.22 transitions 4 and 6, 3.24, 3.27;
 * 2.1 4.57, 4.1, 4.18). A Pre-Active object whose Activation Date has come
 * is Active; an Active one whose Deactivation Date has come is
 * Deactivated. 0 when the object has no State.
 */
int64_t ngx_kmip_attrs_state(const ngx_kmip_attrs_t *l, int64_t now);


/* lists: values are shared, never modified in place */
ngx_kmip_attr_t *ngx_kmip_attrs_find(const ngx_kmip_attrs_t *l,
    const char *name, size_t len, int64_t index);   /* -1: first */
size_t ngx_kmip_attrs_count(const ngx_kmip_attrs_t *l, const char *name,
    size_t len);
/* appends with the next free index of that name; NULL on no memory */
ngx_kmip_attr_t *ngx_kmip_attrs_add(ngx_kmip_allocator_t *a,
    ngx_kmip_attrs_t *l, const uint8_t *name, size_t len,
    ngx_kmip_item_t *value);
/* replaces instance 0 (or adds it); NULL on no memory */
ngx_kmip_attr_t *ngx_kmip_attrs_set(ngx_kmip_allocator_t *a,
    ngx_kmip_attrs_t *l, const char *name, ngx_kmip_item_t *value);
/* removes one instance (index >= 0) or all (-1); number removed */
size_t ngx_kmip_attrs_remove(ngx_kmip_attrs_t *l, const uint8_t *name,
    size_t len, int64_t index);
/* a new list with new nodes sharing the values; -1 on no memory */
int ngx_kmip_attrs_copy(ngx_kmip_allocator_t *a, ngx_kmip_attrs_t *dst,
    const ngx_kmip_attrs_t *src);


/* value helpers: new items tagged Attribute Value */
ngx_kmip_item_t *ngx_kmip_attr_value(ngx_kmip_allocator_t *a, uint8_t type,
    int64_t num);
ngx_kmip_item_t *ngx_kmip_attr_value_text(ngx_kmip_allocator_t *a,
    const uint8_t *p, size_t n);
/* a shallow clone of an item under another tag (shares children) */
ngx_kmip_item_t *ngx_kmip_item_retag(ngx_kmip_allocator_t *a,
    const ngx_kmip_item_t *item, uint32_t tag);
/* 1 if two items encode to the same bytes, tags aside */
int ngx_kmip_item_equal(const ngx_kmip_item_t *x, const ngx_kmip_item_t *y);


/*
 * Request forms. parse_v1 reads a 1.x Attribute structure (value may be
 * absent when allow_no_value), parse_v2 one 2.x attribute item (its own tag
 * or a vendor Attribute structure), or an Attribute Reference (a Tag
 * enumeration or {Vendor Identification, Attribute Name}) when ref is 1.
 * Both check the value's type for known attributes. 0 or -1 with *err.
 */
int ngx_kmip_attr_parse_v1(ngx_kmip_allocator_t *a,
    const ngx_kmip_item_t *item, int allow_no_value, ngx_kmip_attr_t *out,
    const char **err);
int ngx_kmip_attr_parse_v2(ngx_kmip_allocator_t *a,
    const ngx_kmip_item_t *item, int ref, ngx_kmip_attr_t *out,
    const char **err);

/*
 * All attributes of a Template-Attribute / Attributes (2.x) / Common
 * Attributes container, appended to l in order, indices assigned per
 * name. Templates by name (1.x Name inside Template-Attribute directly)
 * are refused. 0 or -1 with *err.
 */
int ngx_kmip_attrs_parse(ngx_kmip_allocator_t *a,
    const ngx_kmip_item_t *container, unsigned version,
    ngx_kmip_attrs_t *l, const char **err);

/*
 * Response forms: appends the attribute to parent in the form of version
 * v (1.x Attribute structure, 2.x own tag or vendor Attribute). Returns 1
 * when added, 0 when the attribute does not exist in that version, -1 on
 * no memory.
 */
int ngx_kmip_attr_emit(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    const ngx_kmip_attr_t *attr, unsigned v);
/* the same, a 1.x Attribute Index of 0 said too when always is set */
int ngx_kmip_attr_emit_index(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    const ngx_kmip_attr_t *attr, unsigned v, int always);

/* the name of an attribute as a 2.x Attribute Reference in version v */
int ngx_kmip_attr_emit_ref(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    const ngx_kmip_attr_t *attr, unsigned v);


#endif /* _NGX_KMIP_ATTR_H_INCLUDED_ */
