
/*
 * Copyright (C) ngx_kmip authors
 */


#include "ngx_kmip_attr.h"
#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_attr_versions.h"


#define S    NGX_KMIP_ATTR_SERVER
#define M    NGX_KMIP_ATTR_MULTI
#define C    NGX_KMIP_ATTR_ON_CREATE
#define A    NGX_KMIP_ATTR_ADD
#define MO   NGX_KMIP_ATTR_MODIFY
#define D    NGX_KMIP_ATTR_DELETE
#define V    NGX_KMIP_ATTR_V

#define T_TEXT  NGX_KMIP_TYPE_TEXT_STRING
#define T_ENUM  NGX_KMIP_TYPE_ENUMERATION
#define T_INT   NGX_KMIP_TYPE_INTEGER
#define T_DATE  NGX_KMIP_TYPE_DATE_TIME
#define T_STR   NGX_KMIP_TYPE_STRUCTURE
#define T_BOOL  NGX_KMIP_TYPE_BOOLEAN
#define T_IVAL  NGX_KMIP_TYPE_INTERVAL
#define T_BYTES NGX_KMIP_TYPE_BYTE_STRING
#define Q       NGX_KMIP_ATTR_ASKED


/*
 * The attributes of Symmetric Key, Secret Data and Opaque Object that the
 * server keeps. "SERVER" attributes are set by the server only (the
 * lifecycle operations change State and the dates); the others say which
 * operations a client may use on them.
 */

static const ngx_kmip_attr_spec_t  ngx_kmip_attr_table[] = {

    { "Unique Identifier", NGX_KMIP_TAG_UNIQUE_IDENTIFIER, T_TEXT, S },
    { "Name", NGX_KMIP_TAG_NAME, T_STR, M|C|A|MO|D },
    { "Object Type", NGX_KMIP_TAG_OBJECT_TYPE, T_ENUM, S },
    { "Cryptographic Algorithm", NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
      T_ENUM, C },
    { "Cryptographic Length", NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
      T_INT, C },
    { "Cryptographic Parameters", NGX_KMIP_TAG_CRYPTOGRAPHIC_PARAMETERS,
      T_STR, M|C|A|MO|D },
    { "Cryptographic Usage Mask", NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK,
      T_INT, C|MO },
    /* the curve of a key pair to make (Recommended Curve); Q: PyKMIP 0.10
       has no class for it */
    { "Cryptographic Domain Parameters",
      NGX_KMIP_TAG_CRYPTOGRAPHIC_DOMAIN_PARAMETERS, T_STR, C|Q },
    { "State", NGX_KMIP_TAG_STATE, T_ENUM, S },
    { "Initial Date", NGX_KMIP_TAG_INITIAL_DATE, T_DATE, S },
    { "Activation Date", NGX_KMIP_TAG_ACTIVATION_DATE, T_DATE, C|A|MO },
    { "Process Start Date", NGX_KMIP_TAG_PROCESS_START_DATE, T_DATE,
      C|A|MO },
    { "Protect Stop Date", NGX_KMIP_TAG_PROTECT_STOP_DATE, T_DATE,
      C|A|MO },
    { "Deactivation Date", NGX_KMIP_TAG_DEACTIVATION_DATE, T_DATE,
      C|A|MO },
    { "Destroy Date", NGX_KMIP_TAG_DESTROY_DATE, T_DATE, S },
    /* set by Archive, deleted by Recover (1.4 3.32) */
    { "Archive Date", NGX_KMIP_TAG_ARCHIVE_DATE, T_DATE, S },
    { "Compromise Occurrence Date", NGX_KMIP_TAG_COMPROMISE_OCCURRENCE_DATE,
      T_DATE, S },
    { "Compromise Date", NGX_KMIP_TAG_COMPROMISE_DATE, T_DATE, S },
    /* Q: PyKMIP 0.10 has no class for it (a revoked key's whole answer) */
    { "Revocation Reason", NGX_KMIP_TAG_REVOCATION_REASON, T_STR, S|Q },
    { "Object Group", NGX_KMIP_TAG_OBJECT_GROUP, T_TEXT, M|C|A|MO|D },
    { "Contact Information", NGX_KMIP_TAG_CONTACT_INFORMATION, T_TEXT,
      C|A|MO|D },
    /*
     * 1.x only (1.4 3.18, deprecated as of 1.3, gone in 2.0), so no 2.x
     * tag: set by the client at Create and Register or by Add Attribute,
     * neither modified nor deleted (1.4 Table 91). The server has one
     * policy, "default" (3.18.2), its own access rules; other names are
     * refused (ngx_kmip_attr_check_object()).
     */
    { "Operation Policy Name", 0, T_TEXT, C|A },
    { "Last Change Date", NGX_KMIP_TAG_LAST_CHANGE_DATE, T_DATE, S },
    { "Application Specific Information",
      NGX_KMIP_TAG_APPLICATION_SPECIFIC_INFORMATION, T_STR, M|C|A|MO|D },
    { "Alternative Name", NGX_KMIP_TAG_ALTERNATIVE_NAME, T_STR, M|C|A|MO|D },
    /*
     * {Link Type, Linked Object Identifier}; the types an object takes
     * follow from its Object Type (ngx_kmip_attr_check_object()). Q:
     * PyKMIP 0.10 has no class for a Link value (below)
     */
    { "Link", NGX_KMIP_TAG_LINK, T_STR, M|C|A|MO|D|Q },
    /* SHA-256 of the material, set at Create and Register */
    { "Digest", NGX_KMIP_TAG_DIGEST, T_STR, S },
    /*
     * Q: listed by Get Attribute List and returned when asked for by name,
     * but not in an "all attributes" Get Attributes answer: PyKMIP 0.10,
     * a client of every version, fails on a whole answer holding an
     * attribute its tables lack (these), and vCenter never asks for them
     */
    { "Original Creation Date", NGX_KMIP_TAG_ORIGINAL_CREATION_DATE, T_DATE,
      S|Q },
    { "Description", NGX_KMIP_TAG_DESCRIPTION, T_TEXT, C|A|MO|D },
    { "Comment", NGX_KMIP_TAG_COMMENT, T_TEXT, C|A|MO|D },

    /* 0: no lease limit, what Obtain Lease grants (1.4 4.17) */
    { "Lease Time", NGX_KMIP_TAG_LEASE_TIME, T_IVAL, S },
    /* True until the key material is first served by Get (1.4 3.34) */
    { "Fresh", NGX_KMIP_TAG_FRESH, T_BOOL, C },
    /* consumed by Encrypt; Count kept by the server (1.4 3.21); Q:
       PyKMIP 0.10 has no class for it */
    { "Usage Limits", NGX_KMIP_TAG_USAGE_LIMITS, T_STR, C|A|MO|D|Q },
    /* the server's own for keys it generates; a client's at Register */
    { "Random Number Generator", NGX_KMIP_TAG_RANDOM_NUMBER_GENERATOR,
      T_STR, C|A|Q },
    /* Get refuses the material of a Sensitive or non-Extractable object */
    { "Sensitive", NGX_KMIP_TAG_SENSITIVE, T_BOOL, C|MO },
    { "Always Sensitive", NGX_KMIP_TAG_ALWAYS_SENSITIVE, T_BOOL, S|Q },
    { "Extractable", NGX_KMIP_TAG_EXTRACTABLE, T_BOOL, C|MO|Q },
    { "Never Extractable", NGX_KMIP_TAG_NEVER_EXTRACTABLE, T_BOOL, S|Q },
    /* derived by the server from the object, never stored (2.1 4.56) */
    { "Short Unique Identifier", NGX_KMIP_TAG_SHORT_UNIQUE_IDENTIFIER,
      T_BYTES, S|Q },
    { "Key Format Type", NGX_KMIP_TAG_KEY_FORMAT_TYPE, T_ENUM, C|Q },
    /* what the client requires of the object (2.1 4.42, 4.43, 4.45);
       Create and Register refuse a Quantum Safe object they cannot make */
    { "Protection Level", NGX_KMIP_TAG_PROTECTION_LEVEL, T_ENUM, C|MO|D },
    { "Protection Period", NGX_KMIP_TAG_PROTECTION_PERIOD, T_IVAL, C|MO|D },
    { "Quantum Safe", NGX_KMIP_TAG_QUANTUM_SAFE, T_BOOL, C|MO|D },
    { "Protection Storage Mask", NGX_KMIP_TAG_PROTECTION_STORAGE_MASK,
      T_INT, S|Q },

    /*
     * A certificate's, read from it at Register (1.4 3.8 to 3.14, 2.1
     * 4.8 to 4.12). Q: PyKMIP 0.10 has no class for the identifiers,
     * subjects, issuers and the signature algorithm
     */
    { "Certificate Type", NGX_KMIP_TAG_CERTIFICATE_TYPE, T_ENUM, S },
    { "Certificate Length", NGX_KMIP_TAG_CERTIFICATE_LENGTH, T_INT, S },
    { "Digital Signature Algorithm", NGX_KMIP_TAG_DIGITAL_SIGNATURE_ALGORITHM,
      T_ENUM, S|Q },
    { "X.509 Certificate Identifier",
      NGX_KMIP_TAG_X_509_CERTIFICATE_IDENTIFIER, T_STR, S|Q },
    { "X.509 Certificate Subject", NGX_KMIP_TAG_X_509_CERTIFICATE_SUBJECT,
      T_STR, S|Q },
    { "X.509 Certificate Issuer", NGX_KMIP_TAG_X_509_CERTIFICATE_ISSUER,
      T_STR, S|Q },
    /*
     * 2.x: the components of its subject and issuer names, one attribute
     * each (2.1 4.6, RFC 2253), an instance per value
     */
    { "Certificate Subject CN", NGX_KMIP_TAG_CERTIFICATE_SUBJECT_CN,
      T_TEXT, M|S|Q },
    { "Certificate Subject O", NGX_KMIP_TAG_CERTIFICATE_SUBJECT_O,
      T_TEXT, M|S|Q },
    { "Certificate Subject OU", NGX_KMIP_TAG_CERTIFICATE_SUBJECT_OU,
      T_TEXT, M|S|Q },
    { "Certificate Subject Email", NGX_KMIP_TAG_CERTIFICATE_SUBJECT_EMAIL,
      T_TEXT, M|S|Q },
    { "Certificate Subject C", NGX_KMIP_TAG_CERTIFICATE_SUBJECT_C,
      T_TEXT, M|S|Q },
    { "Certificate Subject ST", NGX_KMIP_TAG_CERTIFICATE_SUBJECT_ST,
      T_TEXT, M|S|Q },
    { "Certificate Subject L", NGX_KMIP_TAG_CERTIFICATE_SUBJECT_L,
      T_TEXT, M|S|Q },
    { "Certificate Subject UID", NGX_KMIP_TAG_CERTIFICATE_SUBJECT_UID,
      T_TEXT, M|S|Q },
    { "Certificate Subject Serial Number",
      NGX_KMIP_TAG_CERTIFICATE_SUBJECT_SERIAL_NUMBER, T_TEXT, M|S|Q },
    { "Certificate Subject Title", NGX_KMIP_TAG_CERTIFICATE_SUBJECT_TITLE,
      T_TEXT, M|S|Q },
    { "Certificate Subject DC", NGX_KMIP_TAG_CERTIFICATE_SUBJECT_DC,
      T_TEXT, M|S|Q },
    { "Certificate Subject DN Qualifier",
      NGX_KMIP_TAG_CERTIFICATE_SUBJECT_DN_QUALIFIER, T_TEXT, M|S|Q },
    { "Certificate Issuer CN", NGX_KMIP_TAG_CERTIFICATE_ISSUER_CN,
      T_TEXT, M|S|Q },
    { "Certificate Issuer O", NGX_KMIP_TAG_CERTIFICATE_ISSUER_O,
      T_TEXT, M|S|Q },
    { "Certificate Issuer OU", NGX_KMIP_TAG_CERTIFICATE_ISSUER_OU,
      T_TEXT, M|S|Q },
    { "Certificate Issuer Email", NGX_KMIP_TAG_CERTIFICATE_ISSUER_EMAIL,
      T_TEXT, M|S|Q },
    { "Certificate Issuer C", NGX_KMIP_TAG_CERTIFICATE_ISSUER_C,
      T_TEXT, M|S|Q },
    { "Certificate Issuer ST", NGX_KMIP_TAG_CERTIFICATE_ISSUER_ST,
      T_TEXT, M|S|Q },
    { "Certificate Issuer L", NGX_KMIP_TAG_CERTIFICATE_ISSUER_L,
      T_TEXT, M|S|Q },
    { "Certificate Issuer UID", NGX_KMIP_TAG_CERTIFICATE_ISSUER_UID,
      T_TEXT, M|S|Q },
    { "Certificate Issuer Serial Number",
      NGX_KMIP_TAG_CERTIFICATE_ISSUER_SERIAL_NUMBER, T_TEXT, M|S|Q },
    { "Certificate Issuer Title", NGX_KMIP_TAG_CERTIFICATE_ISSUER_TITLE,
      T_TEXT, M|S|Q },
    { "Certificate Issuer DC", NGX_KMIP_TAG_CERTIFICATE_ISSUER_DC,
      T_TEXT, M|S|Q },
    { "Certificate Issuer DN Qualifier",
      NGX_KMIP_TAG_CERTIFICATE_ISSUER_DN_QUALIFIER, T_TEXT, M|S|Q },
    /* 1.0's, deprecated as of 1.1, gone in 2.0: no 2.x tag */
    { "Certificate Identifier", 0, T_STR, S|Q },
    { "Certificate Subject", 0, T_STR, S|Q },
    { "Certificate Issuer", 0, T_STR, S|Q },

    { NULL, 0, 0, 0 }
};


static int ngx_kmip_attr_check_link(const ngx_kmip_item_t *v,
    const char **err);
static int ngx_kmip_attr_check_policy(const ngx_kmip_item_t *v,
    const char **err);


static const ngx_kmip_attr_spec_t  ngx_kmip_attr_custom_x = {
    "x-", 0, 0,
    NGX_KMIP_ATTR_CUSTOM|NGX_KMIP_ATTR_ANY_TYPE|M|C|A|MO|D };

static const ngx_kmip_attr_spec_t  ngx_kmip_attr_custom_y = {
    "y-", 0, 0, NGX_KMIP_ATTR_CUSTOM|NGX_KMIP_ATTR_ANY_TYPE|M|S };


const ngx_kmip_attr_spec_t *
ngx_kmip_attr_specs(void)
{
    return ngx_kmip_attr_table;
}


const ngx_kmip_attr_spec_t *
ngx_kmip_attr_spec(const uint8_t *name, size_t len)
{
    const ngx_kmip_attr_spec_t  *s;

    if (name == NULL) {
        return NULL;
    }

    if (len > 2 && name[1] == '-') {
        if (name[0] == 'x') {
            return &ngx_kmip_attr_custom_x;
        }

        if (name[0] == 'y') {
            return &ngx_kmip_attr_custom_y;
        }
    }

    for (s = ngx_kmip_attr_table; s->name; s++) {
        if (strlen(s->name) == len && memcmp(s->name, name, len) == 0) {
            return s;
        }
    }

    return NULL;
}


const ngx_kmip_attr_spec_t *
ngx_kmip_attr_spec_by_tag(uint32_t tag)
{
    const ngx_kmip_attr_spec_t  *s;

    if (tag == 0) {
        /* the 1.x-only attributes have none */
        return NULL;
    }

    for (s = ngx_kmip_attr_table; s->name; s++) {
        if (s->tag == tag) {
            return s;
        }
    }

    return NULL;
}


int
ngx_kmip_attr_in_version(const ngx_kmip_attr_t *attr, unsigned v)
{
    return ngx_kmip_attr_name_in_version(attr->name, attr->name_len, v);
}


int
ngx_kmip_attr_name_in_version(const uint8_t *name, size_t len, unsigned v)
{
    const ngx_kmip_attr_spec_t     *s;
    const ngx_kmip_attr_version_t  *av;

    s = ngx_kmip_attr_spec(name, len);

    if (s != NULL && (s->flags & NGX_KMIP_ATTR_CUSTOM)) {
        return 1;
    }

    for (av = ngx_kmip_attr_versions; av->name; av++) {
        if (strlen(av->name) == len && memcmp(av->name, name, len) == 0) {
            return v >= av->first && v <= av->last;
        }
    }

    /* attributes no version defines are kept and shown as given */
    return 1;
}


const ngx_kmip_attr_version_t *
ngx_kmip_attr_versions_all(void)
{
    return ngx_kmip_attr_versions;
}


int
ngx_kmip_attr_name_is(const ngx_kmip_attr_t *attr, const char *name)
{
    size_t  n;

    n = strlen(name);

    return attr->name_len == n && memcmp(attr->name, name, n) == 0;
}


/* lists */

ngx_kmip_attr_t *
ngx_kmip_attrs_find(const ngx_kmip_attrs_t *l, const char *name, size_t len,
    int64_t index)
{
    ngx_kmip_attr_t  *at;

    for (at = l->first; at; at = at->next) {
        if (at->name_len == len && memcmp(at->name, name, len) == 0
            && (index < 0 || at->index == index))
        {
            return at;
        }
    }

    return NULL;
}


size_t
ngx_kmip_attrs_count(const ngx_kmip_attrs_t *l, const char *name, size_t len)
{
    size_t            n;
    ngx_kmip_attr_t  *at;

    n = 0;

    for (at = l->first; at; at = at->next) {
        if (at->name_len == len && memcmp(at->name, name, len) == 0) {
            n++;
        }
    }

    return n;
}


/* a date of the object; -1 when it has none */

static int64_t
ngx_kmip_attrs_date(const ngx_kmip_attrs_t *l, const char *name)
{
    ngx_kmip_attr_t  *at;

    at = ngx_kmip_attrs_find(l, name, strlen(name), -1);

    if (at == NULL || at->value == NULL
        || at->value->type != NGX_KMIP_TYPE_DATE_TIME)
    {
        return -1;
    }

    return at->value->v.num;
}


int64_t
ngx_kmip_attrs_state(const ngx_kmip_attrs_t *l, int64_t now)
{
    int64_t           state, date;
    ngx_kmip_attr_t  *at;

    at = ngx_kmip_attrs_find(l, "State", sizeof("State") - 1, -1);

    if (at == NULL || at->value == NULL
        || at->value->type != NGX_KMIP_TYPE_ENUMERATION)
    {
        return 0;
    }

    state = at->value->v.num;

    /* 1.4 3.22 transition 4, 2.1 4.57: "the Activation Date is reached" */

    if (state == NGX_KMIP_STATE_PRE_ACTIVE) {
        date = ngx_kmip_attrs_date(l, "Activation Date");

        if (date >= 0 && date <= now) {
            state = NGX_KMIP_STATE_ACTIVE;
        }
    }

    /* transition 6: "the object's Deactivation Date is reached" */

    if (state == NGX_KMIP_STATE_ACTIVE) {
        date = ngx_kmip_attrs_date(l, "Deactivation Date");

        if (date >= 0 && date <= now) {
            state = NGX_KMIP_STATE_DEACTIVATED;
        }
    }

    return state;
}


/* a copy of at, allocated, at the end of l */

static ngx_kmip_attr_t *
ngx_kmip_attrs_append(ngx_kmip_allocator_t *a, ngx_kmip_attrs_t *l,
    const ngx_kmip_attr_t *at)
{
    ngx_kmip_attr_t  *c;

    c = a->alloc(a->data, sizeof(ngx_kmip_attr_t));
    if (c == NULL) {
        return NULL;
    }

    *c = *at;
    c->next = NULL;

    if (l->last) {
        l->last->next = c;

    } else {
        l->first = c;
    }

    l->last = c;
    l->n++;

    return c;
}


ngx_kmip_attr_t *
ngx_kmip_attrs_add(ngx_kmip_allocator_t *a, ngx_kmip_attrs_t *l,
    const uint8_t *name, size_t len, ngx_kmip_item_t *value)
{
    ngx_kmip_attr_t   at, *p;

    at.name = name;
    at.name_len = len;
    at.index = 0;
    at.value = value;

    for (p = l->first; p; p = p->next) {
        if (p->name_len == len && memcmp(p->name, name, len) == 0
            && p->index >= at.index)
        {
            at.index = p->index + 1;
        }
    }

    return ngx_kmip_attrs_append(a, l, &at);
}


ngx_kmip_attr_t *
ngx_kmip_attrs_set(ngx_kmip_allocator_t *a, ngx_kmip_attrs_t *l,
    const char *name, ngx_kmip_item_t *value)
{
    size_t            len;
    ngx_kmip_attr_t  *at;

    len = strlen(name);

    at = ngx_kmip_attrs_find(l, name, len, 0);
    if (at) {
        at->value = value;
        return at;
    }

    return ngx_kmip_attrs_add(a, l, (const uint8_t *) name, len, value);
}


size_t
ngx_kmip_attrs_remove(ngx_kmip_attrs_t *l, const uint8_t *name, size_t len,
    int64_t index)
{
    size_t            n;
    ngx_kmip_attr_t  *at, *prev, *next;

    n = 0;
    prev = NULL;

    for (at = l->first; at; at = next) {
        next = at->next;

        if (at->name_len == len && memcmp(at->name, name, len) == 0
            && (index < 0 || at->index == index))
        {
            if (prev) {
                prev->next = next;

            } else {
                l->first = next;
            }

            if (l->last == at) {
                l->last = prev;
            }

            l->n--;
            n++;
            continue;
        }

        prev = at;
    }

    return n;
}


int
ngx_kmip_attrs_copy(ngx_kmip_allocator_t *a, ngx_kmip_attrs_t *dst,
    const ngx_kmip_attrs_t *src)
{
    ngx_kmip_attr_t  *at;

    dst->first = dst->last = NULL;
    dst->n = 0;

    for (at = src->first; at; at = at->next) {
        if (ngx_kmip_attrs_append(a, dst, at) == NULL) {
            return -1;
        }
    }

    return 0;
}


/* values */

ngx_kmip_item_t *
ngx_kmip_attr_value(ngx_kmip_allocator_t *a, uint8_t type, int64_t num)
{
    ngx_kmip_item_t  *v;

    v = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE, type);
    if (v) {
        v->v.num = num;
    }

    return v;
}


ngx_kmip_item_t *
ngx_kmip_attr_value_text(ngx_kmip_allocator_t *a, const uint8_t *p,
    size_t n)
{
    ngx_kmip_item_t  *v;

    v = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_TEXT_STRING);
    if (v) {
        v->v.str.data = p;
        v->v.str.len = n;
    }

    return v;
}


ngx_kmip_item_t *
ngx_kmip_item_retag(ngx_kmip_allocator_t *a, const ngx_kmip_item_t *item,
    uint32_t tag)
{
    ngx_kmip_item_t  *c;

    c = ngx_kmip_ttlv_item_new(a, tag, item->type);
    if (c) {
        c->v = item->v;
    }

    return c;
}


int
ngx_kmip_item_equal(const ngx_kmip_item_t *x, const ngx_kmip_item_t *y)
{
    const ngx_kmip_item_t  *kx, *ky;

    if (x->type != y->type) {
        return 0;
    }

    switch (x->type) {

    case NGX_KMIP_TYPE_STRUCTURE:
        for (kx = x->v.kids.first, ky = y->v.kids.first;
             kx && ky;
             kx = kx->next, ky = ky->next)
        {
            if (kx->tag != ky->tag || !ngx_kmip_item_equal(kx, ky)) {
                return 0;
            }
        }

        return kx == NULL && ky == NULL;

    case NGX_KMIP_TYPE_TEXT_STRING:
    case NGX_KMIP_TYPE_BYTE_STRING:
    case NGX_KMIP_TYPE_BIG_INTEGER:
        return x->v.str.len == y->v.str.len
               && (x->v.str.len == 0
                   || memcmp(x->v.str.data, y->v.str.data, x->v.str.len)
                      == 0);

    default:
        return x->v.num == y->v.num;
    }
}


/* request forms */

static int
ngx_kmip_attr_check_value(const ngx_kmip_attr_spec_t *s,
    const ngx_kmip_item_t *v, const char **err)
{
    ngx_kmip_item_t  *nv, *nt;

    if (s == NULL || (s->flags & NGX_KMIP_ATTR_ANY_TYPE)) {
        return 0;
    }

    if (v->type != s->type) {
        *err = "attribute value has the wrong type";
        return -1;
    }

    if (s->tag == NGX_KMIP_TAG_NAME) {
        nv = ngx_kmip_ttlv_find(v, NGX_KMIP_TAG_NAME_VALUE);
        nt = ngx_kmip_ttlv_find(v, NGX_KMIP_TAG_NAME_TYPE);

        if (nv == NULL || nv->type != NGX_KMIP_TYPE_TEXT_STRING
            || nt == NULL || nt->type != NGX_KMIP_TYPE_ENUMERATION)
        {
            *err = "Name needs a Name Value and a Name Type";
            return -1;
        }
    }

    if (s->tag == NGX_KMIP_TAG_LINK) {
        return ngx_kmip_attr_check_link(v, err);
    }

    return 0;
}


/*
 * A Link is exactly a Link Type and a Linked Object Identifier (KMIP 1.4
 * 3.35). 2.x also lets a request name the linked object by an enumeration
 * or an index into the batch's answers (2.1 4.31): the server keeps and
 * shows a Unique Identifier only, and takes only that.
 */

static int
ngx_kmip_attr_check_link(const ngx_kmip_item_t *v, const char **err)
{
    size_t                  types, ids;
    const ngx_kmip_item_t  *it;

    types = 0;
    ids = 0;

    for (it = v->v.kids.first; it; it = it->next) {

        if (it->tag == NGX_KMIP_TAG_LINK_TYPE
            && it->type == NGX_KMIP_TYPE_ENUMERATION)
        {
            types++;
            continue;
        }

        if (it->tag == NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER
            && it->type == NGX_KMIP_TYPE_TEXT_STRING && it->v.str.len > 0)
        {
            ids++;
            continue;
        }

        if (it->tag == NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER) {
            *err = "a Linked Object Identifier is taken as a Unique "
                   "Identifier (a non-empty Text String) only";
            return -1;
        }

        *err = "Link holds a Link Type and a Linked Object Identifier only";
        return -1;
    }

    if (types != 1 || ids != 1) {
        *err = "Link needs one Link Type and one Linked Object Identifier";
        return -1;
    }

    return 0;
}


/* the Link Type of a Link value, or -1 */

static int64_t
ngx_kmip_attr_link_type(const ngx_kmip_item_t *v)
{
    const ngx_kmip_item_t  *t;

    t = v ? ngx_kmip_ttlv_find(v, NGX_KMIP_TAG_LINK_TYPE) : NULL;

    return (t && t->type == NGX_KMIP_TYPE_ENUMERATION) ? t->v.num : -1;
}


/*
 * The content of the Operation Policy Name is "the name of a policy object
 * known to the key management system, and therefore server dependent"
 * (KMIP 1.4 3.18). The server's policy is its own access rules, the same
 * for every object whatever the name (docs/attributes.md): the name is
 * kept as the client gave it, as the products that send one (Synology's
 * "default", VAST's) expect to read it back. An empty name names nothing.
 */

static int
ngx_kmip_attr_check_policy(const ngx_kmip_item_t *v, const char **err)
{
    if (v->type == NGX_KMIP_TYPE_TEXT_STRING && v->v.str.len) {
        return 0;
    }

    *err = "Operation Policy Name is not a non-empty Text String";

    return NGX_KMIP_ATTR_BAD_VALUE;
}


/*
 * The Link Types an object of each type takes (KMIP 1.4 3.35 and
 * 9.1.3.2.20, 2.1 4.31 and 11.28): Public Key, Private Key and
 * Certificate Links are between asymmetric keys and certificates, and the
 * PKCS#12 ones lead from private keys and certificates; re-key
 * (Replacement, Replaced) is for keys; derivation for Symmetric Keys and
 * Secret Data; Parent, Child, Previous and Next for every object; the 2.x
 * Wrapping Key Link for the objects with a key block. A Link is for
 * cryptographic objects in 1.x, which an Opaque Object is not; 2.x gives
 * it to all objects.
 */

int
ngx_kmip_attr_check_object(const ngx_kmip_attrs_t *have,
    const ngx_kmip_attr_t *replacing, const ngx_kmip_attr_t *attr,
    uint32_t object_type, unsigned v, const char **err)
{
    int64_t                 type;
    const ngx_kmip_attr_t  *p;

    if (attr->value == NULL) {
        return 0;
    }

    if (ngx_kmip_attr_name_is(attr, "Operation Policy Name")) {
        return ngx_kmip_attr_check_policy(attr->value, err);
    }

    if (!ngx_kmip_attr_name_is(attr, "Link")) {
        return 0;
    }

    type = ngx_kmip_attr_link_type(attr->value);

    if (object_type == NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT
        && v < NGX_KMIP_ATTR_V(2, 0))
    {
        *err = "a Link is for cryptographic objects, which an Opaque Object "
               "is not";
        return NGX_KMIP_ATTR_NOT_FOR_OBJECT;
    }

    switch (type) {

    case NGX_KMIP_LINK_TYPE_PARENT_LINK:
    case NGX_KMIP_LINK_TYPE_CHILD_LINK:
    case NGX_KMIP_LINK_TYPE_PREVIOUS_LINK:
    case NGX_KMIP_LINK_TYPE_NEXT_LINK:
        return 0;

    case NGX_KMIP_LINK_TYPE_DERIVATION_BASE_OBJECT_LINK:
    case NGX_KMIP_LINK_TYPE_DERIVED_KEY_LINK:
        if (object_type == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
            || object_type == NGX_KMIP_OBJECT_TYPE_SECRET_DATA)
        {
            return 0;
        }

        break;

    case NGX_KMIP_LINK_TYPE_WRAPPING_KEY_LINK:
        if (v < NGX_KMIP_ATTR_V(2, 0)) {
            *err = "Link Type Wrapping Key Link is a KMIP 2.x one";
            return NGX_KMIP_ATTR_BAD_VALUE;
        }

        if (object_type == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
            || object_type == NGX_KMIP_OBJECT_TYPE_SECRET_DATA)
        {
            return 0;
        }

        break;

    case NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK:
    case NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK:
        if (object_type != NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY) {
            break;
        }

        if (type == NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK) {
            return 0;
        }

        /* "there SHALL be only one such replacement object" */

        for (p = have ? have->first : NULL; p; p = p->next) {
            if (p != attr && p != replacing
                && ngx_kmip_attr_name_is(p, "Link")
                && ngx_kmip_attr_link_type(p->value) == type)
            {
                *err = "an object has one Replacement Object Link at most";
                return NGX_KMIP_ATTR_BAD_VALUE;
            }
        }

        return 0;

    case NGX_KMIP_LINK_TYPE_CERTIFICATE_LINK:
    case NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK:
    case NGX_KMIP_LINK_TYPE_PRIVATE_KEY_LINK:
    case NGX_KMIP_LINK_TYPE_PKCS_12_CERTIFICATE_LINK:
    case NGX_KMIP_LINK_TYPE_PKCS_12_PASSWORD_LINK:
        break;

    default:
        *err = "unknown Link Type";
        return NGX_KMIP_ATTR_BAD_VALUE;
    }

    *err = object_type == NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY
           ? "that Link Type is not one a Symmetric Key takes"
           : object_type == NGX_KMIP_OBJECT_TYPE_SECRET_DATA
             ? "that Link Type is not one Secret Data takes"
             : "that Link Type is not one this object takes";

    return NGX_KMIP_ATTR_BAD_VALUE;
}


int
ngx_kmip_attr_parse_v1(ngx_kmip_allocator_t *a, const ngx_kmip_item_t *item,
    int allow_no_value, ngx_kmip_attr_t *out, const char **err)
{
    ngx_kmip_item_t  *name, *index, *value;

    (void) a;

    memset(out, 0, sizeof(ngx_kmip_attr_t));

    if (item->tag != NGX_KMIP_TAG_ATTRIBUTE
        || item->type != NGX_KMIP_TYPE_STRUCTURE)
    {
        *err = "an Attribute structure is expected";
        return -1;
    }

    name = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_ATTRIBUTE_NAME);
    index = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_ATTRIBUTE_INDEX);
    value = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_ATTRIBUTE_VALUE);

    if (name == NULL || name->type != NGX_KMIP_TYPE_TEXT_STRING
        || name->v.str.len == 0)
    {
        *err = "Attribute without an Attribute Name";
        return -1;
    }

    out->name = name->v.str.data;
    out->name_len = name->v.str.len;
    out->index = -1;

    if (index) {
        if (index->type != NGX_KMIP_TYPE_INTEGER || index->v.num < 0) {
            *err = "Attribute Index is not a non-negative Integer";
            return -1;
        }

        out->index = index->v.num;
    }

    if (value == NULL) {
        if (!allow_no_value) {
            *err = "Attribute without an Attribute Value";
            return -1;
        }

        return 0;
    }

    out->value = value;

    return ngx_kmip_attr_check_value(ngx_kmip_attr_spec(out->name,
                                                        out->name_len),
                                     value, err);
}


static int
ngx_kmip_attr_vendor_name(ngx_kmip_allocator_t *a, const ngx_kmip_item_t *vid,
    const ngx_kmip_item_t *name, ngx_kmip_attr_t *out, const char **err)
{
    uint8_t                     *p;
    size_t                       n;
    const ngx_kmip_attr_spec_t  *s;

    /*
     * KMIP 2.0 defines Attribute Reference as this structure only: a
     * standard attribute is named with an empty (or no) Vendor
     * Identification, as PyKMIP does
     */

    if ((vid == NULL
         || (vid->type == NGX_KMIP_TYPE_TEXT_STRING && vid->v.str.len == 0))
        && name && name->type == NGX_KMIP_TYPE_TEXT_STRING)
    {
        s = ngx_kmip_attr_spec(name->v.str.data, name->v.str.len);

        if (s != NULL && s->tag != 0) {
            out->name = (const uint8_t *) s->name;
            out->name_len = strlen(s->name);
            return 0;
        }
    }

    if (vid == NULL || vid->type != NGX_KMIP_TYPE_TEXT_STRING
        || vid->v.str.len == 0
        || name == NULL || name->type != NGX_KMIP_TYPE_TEXT_STRING
        || name->v.str.len == 0)
    {
        *err = "vendor attribute without a Vendor Identification "
               "or an Attribute Name";
        return -1;
    }

    /* a 1.x custom name given in full ("x-Name") is taken as is */

    if (name->v.str.len > vid->v.str.len + 1
        && memcmp(name->v.str.data, vid->v.str.data, vid->v.str.len) == 0
        && name->v.str.data[vid->v.str.len] == '-')
    {
        out->name = name->v.str.data;
        out->name_len = name->v.str.len;
        return 0;
    }

    n = vid->v.str.len + 1 + name->v.str.len;

    p = a->alloc(a->data, n);
    if (p == NULL) {
        *err = "no memory";
        return -1;
    }

    memcpy(p, vid->v.str.data, vid->v.str.len);
    p[vid->v.str.len] = '-';
    memcpy(p + vid->v.str.len + 1, name->v.str.data, name->v.str.len);

    out->name = p;
    out->name_len = n;

    return 0;
}


int
ngx_kmip_attr_parse_v2(ngx_kmip_allocator_t *a, const ngx_kmip_item_t *item,
    int ref, ngx_kmip_attr_t *out, const char **err)
{
    uint32_t                     tag;
    ngx_kmip_item_t             *vid, *name, *value;
    const ngx_kmip_attr_spec_t  *s;

    memset(out, 0, sizeof(ngx_kmip_attr_t));
    out->index = -1;

    if (ref) {
        if (item->type == NGX_KMIP_TYPE_ENUMERATION) {
            tag = (uint32_t) item->v.num;
            goto by_tag;
        }

        if (item->type != NGX_KMIP_TYPE_STRUCTURE) {
            *err = "Attribute Reference is neither a Tag nor a structure";
            return -1;
        }

        vid = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_VENDOR_IDENTIFICATION);
        name = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_ATTRIBUTE_NAME);

        return ngx_kmip_attr_vendor_name(a, vid, name, out, err);
    }

    if (item->tag == NGX_KMIP_TAG_ATTRIBUTE) {
        if (item->type != NGX_KMIP_TYPE_STRUCTURE) {
            *err = "vendor Attribute is not a structure";
            return -1;
        }

        vid = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_VENDOR_IDENTIFICATION);
        name = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_ATTRIBUTE_NAME);
        value = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_ATTRIBUTE_VALUE);

        if (ngx_kmip_attr_vendor_name(a, vid, name, out, err) != 0) {
            return -1;
        }

        if (value == NULL) {
            *err = "vendor Attribute without an Attribute Value";
            return -1;
        }

        out->value = value;
        return 0;
    }

    tag = item->tag;

by_tag:

    s = ngx_kmip_attr_spec_by_tag(tag);

    if (s == NULL) {
        *err = "unsupported attribute";
        return -1;
    }

    out->name = (const uint8_t *) s->name;
    out->name_len = strlen(s->name);

    if (ref) {
        return 0;
    }

    out->value = ngx_kmip_item_retag(a, item, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
    if (out->value == NULL) {
        *err = "no memory";
        return -1;
    }

    return ngx_kmip_attr_check_value(s, out->value, err);
}


int
ngx_kmip_attrs_parse(ngx_kmip_allocator_t *a,
    const ngx_kmip_item_t *container, unsigned version, ngx_kmip_attrs_t *l,
    const char **err)
{
    ngx_kmip_attr_t         at;
    const ngx_kmip_item_t  *item;

    if (container == NULL) {
        return 0;
    }

    if (container->type != NGX_KMIP_TYPE_STRUCTURE) {
        *err = "attribute container is not a structure";
        return -1;
    }

    for (item = container->v.kids.first; item; item = item->next) {

        if (version < NGX_KMIP_ATTR_V(2, 0)) {
            if (item->tag == NGX_KMIP_TAG_NAME) {
                *err = "templates are not supported";
                return -1;
            }

            if (ngx_kmip_attr_parse_v1(a, item, 0, &at, err) != 0) {
                return -1;
            }

        } else {
            if (ngx_kmip_attr_parse_v2(a, item, 0, &at, err) != 0) {
                return -1;
            }
        }

        if (ngx_kmip_attrs_add(a, l, at.name, at.name_len, at.value)
            == NULL)
        {
            *err = "no memory";
            return -1;
        }
    }

    return 0;
}


/* response forms */

/*
 * KMIP 2.0 has no names for custom or unknown attributes: st gets the name
 * split at its first dash, "x-Name" as Vendor Identification "x" and
 * Attribute Name "Name"; a name with no vendor part gets vendor "x".
 * 0 on failure (st may be NULL, a failed add_struct).
 */
static int
ngx_kmip_attr_add_vendor_name(ngx_kmip_allocator_t *a, ngx_kmip_item_t *st,
    const ngx_kmip_attr_t *attr)
{
    size_t          vlen, nlen;
    const uint8_t  *vendor, *name, *dash;

    dash = memchr(attr->name, '-', attr->name_len);
    vlen = dash ? (size_t) (dash - attr->name) : 0;

    if (vlen == 0 || vlen + 1 >= attr->name_len) {
        vendor = (const uint8_t *) "x";
        vlen = 1;
        name = attr->name;
        nlen = attr->name_len;

    } else {
        vendor = attr->name;
        name = dash + 1;
        nlen = attr->name_len - vlen - 1;
    }

    return ngx_kmip_ttlv_add_text(a, st, NGX_KMIP_TAG_VENDOR_IDENTIFICATION,
                                  vendor, vlen)
           && ngx_kmip_ttlv_add_text(a, st, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                                     name, nlen);
}


int
ngx_kmip_attr_emit(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    const ngx_kmip_attr_t *attr, unsigned v)
{
    return ngx_kmip_attr_emit_index(a, parent, attr, v, 0);
}


int
ngx_kmip_attr_emit_index(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    const ngx_kmip_attr_t *attr, unsigned v, int always)
{
    ngx_kmip_item_t             *st, *val;
    const ngx_kmip_attr_spec_t  *s;

    if (!ngx_kmip_attr_in_version(attr, v) || attr->value == NULL) {
        return 0;
    }

    s = ngx_kmip_attr_spec(attr->name, attr->name_len);

    if (v < NGX_KMIP_ATTR_V(2, 0)) {
        st = ngx_kmip_ttlv_add_struct(a, parent, NGX_KMIP_TAG_ATTRIBUTE);

        if (ngx_kmip_ttlv_add_text(a, st, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                                   attr->name, attr->name_len)
            == NULL)
        {
            return -1;
        }

        if ((attr->index > 0 || always)
            && ngx_kmip_ttlv_add_integer(a, st, NGX_KMIP_TAG_ATTRIBUTE_INDEX,
                                         (int32_t) attr->index)
               == NULL)
        {
            return -1;
        }

        val = ngx_kmip_item_retag(a, attr->value,
                                  NGX_KMIP_TAG_ATTRIBUTE_VALUE);
        if (val == NULL) {
            return -1;
        }

        ngx_kmip_ttlv_item_append(st, val);

        return 1;
    }

    if (s != NULL && s->tag != 0) {
        val = ngx_kmip_item_retag(a, attr->value, s->tag);
        if (val == NULL) {
            return -1;
        }

        ngx_kmip_ttlv_item_append(parent, val);

        return 1;
    }

    /* custom or unknown: a vendor Attribute */

    st = ngx_kmip_ttlv_add_struct(a, parent, NGX_KMIP_TAG_ATTRIBUTE);

    if (!ngx_kmip_attr_add_vendor_name(a, st, attr)) {
        return -1;
    }

    val = ngx_kmip_item_retag(a, attr->value, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
    if (val == NULL) {
        return -1;
    }

    ngx_kmip_ttlv_item_append(st, val);

    return 1;
}


int
ngx_kmip_attr_emit_ref(ngx_kmip_allocator_t *a, ngx_kmip_item_t *parent,
    const ngx_kmip_attr_t *attr, unsigned v)
{
    ngx_kmip_item_t             *st;
    const ngx_kmip_attr_spec_t  *s;

    if (!ngx_kmip_attr_in_version(attr, v)) {
        return 0;
    }

    if (v < NGX_KMIP_ATTR_V(2, 0)) {
        return ngx_kmip_ttlv_add_text(a, parent, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                                      attr->name, attr->name_len)
               ? 1 : -1;
    }

    s = ngx_kmip_attr_spec(attr->name, attr->name_len);

    if (s != NULL && s->tag != 0) {
        return ngx_kmip_ttlv_add_enum(a, parent,
                                      NGX_KMIP_TAG_ATTRIBUTE_REFERENCE, s->tag)
               ? 1 : -1;
    }

    st = ngx_kmip_ttlv_add_struct(a, parent, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE);

    return ngx_kmip_attr_add_vendor_name(a, st, attr) ? 1 : -1;
}
