/*
 * Unit tests of the KMIP record (ngx_kmip_record.c) and the attribute
 * model (ngx_kmip_attr.c): plain C, no nginx.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_attr.h"
#include "ngx_kmip_record.h"

#include "ngx_kmip_test_check.h"

static void *
heap_alloc(void *data, size_t size)
{
    (void) data;
    return calloc(1, size ? size : 1);     /* leaked on purpose: a test */
}

static ngx_kmip_allocator_t  A = { heap_alloc, NULL };

#define STR(s)  (const uint8_t *) (s), sizeof(s) - 1


/* an empty record of the object uid, of its generation and type */

static void
record_init(ngx_kmip_record_t *rec, const char *uid, int64_t generation,
    uint32_t object_type)
{
    memset(rec, 0, sizeof(ngx_kmip_record_t));
    rec->uid = (const uint8_t *) uid;
    rec->uid_len = strlen(uid);
    rec->generation = generation;
    rec->object_type = object_type;
}


static void
test_record_roundtrip(void)
{
    ngx_kmip_record_t   rec, out;
    ngx_kmip_item_t    *v, *name;
    ngx_kmip_attr_t    *at;
    uint8_t            *buf;
    size_t              len;
    const char         *err = NULL;

    record_init(&rec, "0b0e8a9c-8a4e-4d43-9d5c-2a8f9a1b2c3d", 7,
                NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);
    rec.wrapped = (const uint8_t *) "ciphertext-from-kp";
    rec.wrapped_len = 18;
    rec.material_len = 32;

    v = ngx_kmip_attr_value(&A, NGX_KMIP_TYPE_ENUMERATION,
                            NGX_KMIP_STATE_ACTIVE);
    ngx_kmip_attrs_set(&A, &rec.attrs, "State", v);
    ngx_kmip_attrs_add(&A, &rec.attrs, STR("x-Name"),
                       ngx_kmip_attr_value_text(&A, STR("vm1")));
    ngx_kmip_attrs_add(&A, &rec.attrs, STR("x-Name"),
                       ngx_kmip_attr_value_text(&A, STR("vm2")));
    name = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                                  NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_text(&A, name, NGX_KMIP_TAG_NAME_VALUE, STR("key-1"));
    ngx_kmip_ttlv_add_enum(&A, name, NGX_KMIP_TAG_NAME_TYPE, 1);
    ngx_kmip_attrs_add(&A, &rec.attrs, STR("Name"), name);

    CHECK(ngx_kmip_record_encode(&A, &rec, &buf, &len, &err) == 0, "encode");
    CHECK(ngx_kmip_record_decode(&A, buf, len, &out, &err) == 0, "decode");
    CHECK(out.generation == 7, "generation");
    CHECK(out.uid_len == 36 && memcmp(out.uid, rec.uid, 36) == 0, "uid");
    CHECK(out.wrapped_len == 18
          && memcmp(out.wrapped, "ciphertext-from-kp", 18) == 0,
          "wrapped");
    CHECK(out.material_len == 32, "material length");
    CHECK(out.attrs.n == 4, "attribute count");
    at = ngx_kmip_attrs_find(&out.attrs, "x-Name", 6, 1);
    CHECK(at && at->value->v.str.len == 3
          && memcmp(at->value->v.str.data, "vm2", 3) == 0, "x-Name index 1");
    at = ngx_kmip_attrs_find(&out.attrs, "Name", 4, 0);
    CHECK(at && ngx_kmip_item_equal(at->value, name), "Name structure");

    /* no plaintext material anywhere: only the wrapped bytes */
    CHECK(memmem(buf, len, "ciphertext-from-kp", 18) != NULL,
          "ciphertext present");

    /* a newer record version is refused */
    {
        uint8_t *copy = malloc(len);
        memcpy(copy, buf, len);
        /* Record Version integer value sits at offset 8 + 8 */
        copy[19] = 2;
        CHECK(ngx_kmip_record_decode(&A, copy, len, &out, &err) != 0,
              "newer record version refused");
        free(copy);
    }

    CHECK(ngx_kmip_record_decode(&A, buf, len - 8, &out, &err) != 0,
          "truncated record refused");
}


static void
test_attr_forms(void)
{
    ngx_kmip_item_t   *parent, *st, *it;
    ngx_kmip_attr_t    at, *p;
    ngx_kmip_attrs_t   l;
    const char        *err = NULL;

    memset(&l, 0, sizeof(l));

    /* 2.x own-tag attribute -> internal form */
    it = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                                NGX_KMIP_TYPE_ENUMERATION);
    it->v.num = NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES;
    CHECK(ngx_kmip_attr_parse_v2(&A, it, 0, &at, &err) == 0, "parse 2.x tag");
    CHECK(ngx_kmip_attr_name_is(&at, "Cryptographic Algorithm"), "2.x name");
    CHECK(at.value->tag == NGX_KMIP_TAG_ATTRIBUTE_VALUE, "retagged");

    /* wrong type refused */
    it = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                                NGX_KMIP_TYPE_TEXT_STRING);
    CHECK(ngx_kmip_attr_parse_v2(&A, it, 0, &at, &err) != 0, "type check");

    /* 2.x vendor attribute x/Name <-> x-Name */
    st = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_ATTRIBUTE,
                                NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_text(&A, st, NGX_KMIP_TAG_VENDOR_IDENTIFICATION,
                           STR("x"));
    ngx_kmip_ttlv_add_text(&A, st, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                           STR("Component"));
    ngx_kmip_ttlv_add_text(&A, st, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                           STR("ESXi"));
    CHECK(ngx_kmip_attr_parse_v2(&A, st, 0, &at, &err) == 0, "vendor parse");
    CHECK(ngx_kmip_attr_name_is(&at, "x-Component"), "vendor name mapped");

    /* emit: Original Creation Date is a KMIP 1.2 attribute */
    p = ngx_kmip_attrs_set(&A, &l, "Original Creation Date",
                           ngx_kmip_attr_value(&A,
                                               NGX_KMIP_TYPE_DATE_TIME, 1000));
    parent = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_RESPONSE_PAYLOAD,
                                    NGX_KMIP_TYPE_STRUCTURE);
    CHECK(ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(1, 1)) == 0,
          "no Original Creation Date in 1.1");
    CHECK(parent->v.kids.count == 0, "nothing emitted in 1.1");
    CHECK(ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(1, 2)) == 1,
          "Original Creation Date in 1.2");
    CHECK(ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(2, 0)) == 1,
          "Original Creation Date in 2.0");
    CHECK(ngx_kmip_attr_spec(STR("Original Creation Date"))->flags
          & NGX_KMIP_ATTR_ASKED, "Original Creation Date: asked for only");

    /* 1.x form: Attribute {Name, Value}; 2.x form: own tag */
    p = ngx_kmip_attrs_set(&A, &l, "State",
                           ngx_kmip_attr_value(&A,
                                               NGX_KMIP_TYPE_ENUMERATION, 1));
    parent = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_RESPONSE_PAYLOAD,
                                    NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(1, 1));
    CHECK(parent->v.kids.first->tag == NGX_KMIP_TAG_ATTRIBUTE, "1.x Attribute");
    ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(2, 0));
    CHECK(parent->v.kids.last->tag == NGX_KMIP_TAG_STATE, "2.x State tag");

    /* the same value emitted twice stays intact (clones, not links) */
    CHECK(parent->v.kids.first->next == parent->v.kids.last, "two children");

    /* list: indices, remove */
    memset(&l, 0, sizeof(l));
    ngx_kmip_attrs_add(&A, &l, STR("x-a"),
                       ngx_kmip_attr_value_text(&A, STR("1")));
    ngx_kmip_attrs_add(&A, &l, STR("x-a"),
                       ngx_kmip_attr_value_text(&A, STR("2")));
    CHECK(ngx_kmip_attrs_count(&l, "x-a", 3) == 2, "two instances");
    CHECK(ngx_kmip_attrs_remove(&l, STR("x-a"), 0) == 1, "remove index 0");
    p = ngx_kmip_attrs_add(&A, &l, STR("x-a"),
                           ngx_kmip_attr_value_text(&A, STR("3")));
    CHECK(p->index == 2, "next index after the highest");

    /* spec table */
    CHECK(ngx_kmip_attr_spec(STR("State"))->flags & NGX_KMIP_ATTR_SERVER,
          "State is server-set");
    CHECK(ngx_kmip_attr_spec(STR("y-foo"))->flags & NGX_KMIP_ATTR_SERVER,
          "y- is server-set");
    CHECK(!(ngx_kmip_attr_spec(STR("x-foo"))->flags & NGX_KMIP_ATTR_SERVER),
          "x- is client-set");
    CHECK(ngx_kmip_attr_spec(STR("Bogus")) == NULL, "unknown attribute");
    {
        const ngx_kmip_attr_spec_t *s;
        for (s = ngx_kmip_attr_specs(); s->name; s++) {
            CHECK(ngx_kmip_tag_by_name(s->name, strlen(s->name)) == s->tag,
                  s->name);
        }
    }
}


/*
 * The attributes of KMIP 1.4 3.20, 3.21, 3.34, 3.44, 3.48 to 3.51 and
 * 2.1 4.26, 4.44, 4.56: who sets them, the versions that have them, their
 * wire forms, and their place in a record
 */

/* 1 if version v is the first that defines the attribute */

static int
first_in(const ngx_kmip_attr_spec_t *s, unsigned v)
{
    const uint8_t  *name = (const uint8_t *) s->name;
    size_t          n = strlen(s->name);

    return ngx_kmip_attr_name_in_version(name, n, v)
           && (v == 100
               || !ngx_kmip_attr_name_in_version(name, n,
                                                 v == 200 ? 104 : v - 1));
}


static void
test_attr_kept(void)
{
    ngx_kmip_record_t            rec, out;
    ngx_kmip_item_t             *ul, *rng, *sui, *parent, *it;
    ngx_kmip_attr_t             *p, at;
    ngx_kmip_attrs_t             l;
    const ngx_kmip_attr_spec_t  *s;
    uint8_t                     *buf;
    size_t                       len;
    const char                  *err = NULL;

    /* who may set them */
    s = ngx_kmip_attr_spec(STR("Sensitive"));
    CHECK(s && (s->flags & NGX_KMIP_ATTR_ON_CREATE)
          && (s->flags & NGX_KMIP_ATTR_MODIFY)
          && !(s->flags & (NGX_KMIP_ATTR_ADD|NGX_KMIP_ATTR_DELETE))
          && s->type == NGX_KMIP_TYPE_BOOLEAN && first_in(s, 104),
          "Sensitive: client at create, modify; 1.4");
    s = ngx_kmip_attr_spec(STR("Always Sensitive"));
    CHECK(s && (s->flags & NGX_KMIP_ATTR_SERVER) && first_in(s, 104),
          "Always Sensitive: server");
    s = ngx_kmip_attr_spec(STR("Never Extractable"));
    CHECK(s && (s->flags & NGX_KMIP_ATTR_SERVER), "Never Extractable");
    s = ngx_kmip_attr_spec(STR("Extractable"));
    CHECK(s && (s->flags & NGX_KMIP_ATTR_MODIFY), "Extractable: modify");
    s = ngx_kmip_attr_spec(STR("Lease Time"));
    CHECK(s && (s->flags & NGX_KMIP_ATTR_SERVER)
          && s->type == NGX_KMIP_TYPE_INTERVAL && first_in(s, 100),
          "Lease Time: server, Interval, 1.0");
    s = ngx_kmip_attr_spec(STR("Fresh"));
    CHECK(s && !(s->flags & (NGX_KMIP_ATTR_ADD|NGX_KMIP_ATTR_MODIFY
                             |NGX_KMIP_ATTR_DELETE)),
          "Fresh: never changed by a client");
    s = ngx_kmip_attr_spec(STR("Usage Limits"));
    CHECK(s && (s->flags & NGX_KMIP_ATTR_CLIENT) == NGX_KMIP_ATTR_CLIENT
          && !(s->flags & NGX_KMIP_ATTR_MULTI), "Usage Limits: client, one");
    s = ngx_kmip_attr_spec(STR("Random Number Generator"));
    CHECK(s && first_in(s, 103) && !(s->flags & NGX_KMIP_ATTR_MODIFY),
          "Random Number Generator: 1.3, never modified");
    s = ngx_kmip_attr_spec_by_tag(NGX_KMIP_TAG_SHORT_UNIQUE_IDENTIFIER);
    CHECK(s && first_in(s, 200) && s->type == NGX_KMIP_TYPE_BYTE_STRING,
          "Short Unique Identifier: 2.0 byte string");
    CHECK(ngx_kmip_attr_spec_by_tag(NGX_KMIP_TAG_KEY_FORMAT_TYPE)
          && ngx_kmip_attr_spec_by_tag(NGX_KMIP_TAG_PROTECTION_STORAGE_MASK),
          "Key Format Type and Protection Storage Mask by tag");

    /* 2.x forms: a Boolean by its own tag, its type checked */
    it = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_SENSITIVE,
                                NGX_KMIP_TYPE_BOOLEAN);
    it->v.num = 1;
    CHECK(ngx_kmip_attr_parse_v2(&A, it, 0, &at, &err) == 0
          && ngx_kmip_attr_name_is(&at, "Sensitive") && at.value->v.num == 1,
          "parse 2.x Sensitive");
    it = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_EXTRACTABLE,
                                NGX_KMIP_TYPE_INTEGER);
    CHECK(ngx_kmip_attr_parse_v2(&A, it, 0, &at, &err) != 0,
          "Extractable as an Integer refused");

    /* versions: a 1.4 attribute is not shown to 1.3, a 2.0 one to 1.4 */
    memset(&l, 0, sizeof(l));
    p = ngx_kmip_attrs_set(&A, &l, "Sensitive",
                           ngx_kmip_attr_value(&A, NGX_KMIP_TYPE_BOOLEAN, 0));
    parent = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_RESPONSE_PAYLOAD,
                                    NGX_KMIP_TYPE_STRUCTURE);
    CHECK(ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(1, 3)) == 0,
          "no Sensitive in 1.3");
    CHECK(ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(1, 4)) == 1,
          "Sensitive in 1.4");
    CHECK(ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(2, 1)) == 1
          && parent->v.kids.last->tag == NGX_KMIP_TAG_SENSITIVE
          && parent->v.kids.last->type == NGX_KMIP_TYPE_BOOLEAN,
          "2.1: Sensitive by its tag");

    sui = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                                 NGX_KMIP_TYPE_BYTE_STRING);
    sui->v.str.data = (const uint8_t *) "0123456789abcdef0123456789abcdef";
    sui->v.str.len = 32;
    p = ngx_kmip_attrs_set(&A, &l, "Short Unique Identifier", sui);
    CHECK(ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(1, 4)) == 0,
          "no Short Unique Identifier in 1.4");
    CHECK(ngx_kmip_attr_emit_ref(&A, parent, p, NGX_KMIP_ATTR_V(2, 0)) == 1
          && parent->v.kids.last->tag == NGX_KMIP_TAG_ATTRIBUTE_REFERENCE
          && parent->v.kids.last->v.num
             == NGX_KMIP_TAG_SHORT_UNIQUE_IDENTIFIER,
          "2.0 reference to the Short Unique Identifier");

    /* a record keeps Booleans, Intervals, Long Integers and structures */
    record_init(&rec, "5d7e3c1a-0b4e-4c2d-8a9f-1e2d3c4b5a69", 2,
                NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);

    ngx_kmip_attrs_set(&A, &rec.attrs, "Fresh",
                       ngx_kmip_attr_value(&A, NGX_KMIP_TYPE_BOOLEAN, 1));
    ngx_kmip_attrs_set(&A, &rec.attrs, "Sensitive",
                       ngx_kmip_attr_value(&A, NGX_KMIP_TYPE_BOOLEAN, 0));
    ngx_kmip_attrs_set(&A, &rec.attrs, "Never Extractable",
                       ngx_kmip_attr_value(&A, NGX_KMIP_TYPE_BOOLEAN, 1));
    ngx_kmip_attrs_set(&A, &rec.attrs, "Lease Time",
                       ngx_kmip_attr_value(&A, NGX_KMIP_TYPE_INTERVAL, 0));

    ul = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                                NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_long(&A, ul, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL,
                           5000000000LL);
    ngx_kmip_ttlv_add_long(&A, ul, NGX_KMIP_TAG_USAGE_LIMITS_COUNT,
                           4999999984LL);
    ngx_kmip_ttlv_add_enum(&A, ul, NGX_KMIP_TAG_USAGE_LIMITS_UNIT,
                           NGX_KMIP_USAGE_LIMITS_UNIT_BYTE);
    ngx_kmip_attrs_set(&A, &rec.attrs, "Usage Limits", ul);

    rng = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                                 NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_enum(&A, rng, NGX_KMIP_TAG_RNG_ALGORITHM,
                           NGX_KMIP_RNG_ALGORITHM_DRBG);
    ngx_kmip_ttlv_add_enum(&A, rng, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                           NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
    ngx_kmip_ttlv_add_integer(&A, rng, NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, 256);
    ngx_kmip_ttlv_add_enum(&A, rng, NGX_KMIP_TAG_DRBG_ALGORITHM,
                           NGX_KMIP_DRBG_ALGORITHM_CTR);
    ngx_kmip_attrs_set(&A, &rec.attrs, "Random Number Generator", rng);

    CHECK(ngx_kmip_record_encode(&A, &rec, &buf, &len, &err) == 0,
          "encode the kept attributes");
    CHECK(ngx_kmip_record_decode(&A, buf, len, &out, &err) == 0,
          "decode the kept attributes");
    CHECK(out.attrs.n == 6, "six attributes back");

    p = ngx_kmip_attrs_find(&out.attrs, "Fresh", 5, -1);
    CHECK(p && p->value->type == NGX_KMIP_TYPE_BOOLEAN && p->value->v.num == 1,
          "Fresh True");
    p = ngx_kmip_attrs_find(&out.attrs, "Sensitive", 9, -1);
    CHECK(p && p->value->type == NGX_KMIP_TYPE_BOOLEAN && p->value->v.num == 0,
          "Sensitive False");
    p = ngx_kmip_attrs_find(&out.attrs, "Lease Time", 10, -1);
    CHECK(p && p->value->type == NGX_KMIP_TYPE_INTERVAL
          && p->value->v.num == 0, "Lease Time 0");
    p = ngx_kmip_attrs_find(&out.attrs, "Usage Limits", 12, -1);
    CHECK(p && ngx_kmip_item_equal(p->value, ul), "Usage Limits");
    it = p ? ngx_kmip_ttlv_find(p->value, NGX_KMIP_TAG_USAGE_LIMITS_COUNT)
           : NULL;
    CHECK(it && it->type == NGX_KMIP_TYPE_LONG_INTEGER
          && it->v.num == 4999999984LL, "a Count past 32 bits");
    p = ngx_kmip_attrs_find(&out.attrs, "Random Number Generator", 23, -1);
    CHECK(p && ngx_kmip_item_equal(p->value, rng),
          "Random Number Generator");
}


static ngx_kmip_item_t *
link_value(uint32_t tag, int64_t type, const char *uid)
{
    ngx_kmip_item_t  *v;

    v = ngx_kmip_ttlv_item_new(&A, tag, NGX_KMIP_TYPE_STRUCTURE);
    if (type >= 0) {
        ngx_kmip_ttlv_add_enum(&A, v, NGX_KMIP_TAG_LINK_TYPE, (uint32_t) type);
    }
    if (uid) {
        ngx_kmip_ttlv_add_text(&A, v, NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER,
                               (const uint8_t *) uid, strlen(uid));
    }

    return v;
}


/* the Link attribute (KMIP 1.4 3.35, 2.1 4.31): its forms */

static void
test_attr_link_parse(void)
{
    const char                  *err = NULL;
    ngx_kmip_attr_t              at, at2;
    ngx_kmip_item_t             *v, *st;
    const ngx_kmip_attr_spec_t  *s;

    s = ngx_kmip_attr_spec(STR("Link"));
    CHECK(s && s->tag == NGX_KMIP_TAG_LINK && first_in(s, 100)
          && (s->flags & NGX_KMIP_ATTR_MULTI)
          && (s->flags & NGX_KMIP_ATTR_CLIENT) == NGX_KMIP_ATTR_CLIENT
          && (s->flags & NGX_KMIP_ATTR_ASKED),
          "Link: 1.0, multi-instance, client's, not in whole answers");

    /* 2.x: by its tag */
    v = link_value(NGX_KMIP_TAG_LINK, NGX_KMIP_LINK_TYPE_NEXT_LINK, "k2");
    CHECK(ngx_kmip_attr_parse_v2(&A, v, 0, &at, &err) == 0
          && ngx_kmip_attr_name_is(&at, "Link"), "parse 2.x Link");

    /* 1.x: an Attribute structure */
    st = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_ATTRIBUTE,
                                NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_text(&A, st, NGX_KMIP_TAG_ATTRIBUTE_NAME, STR("Link"));
    ngx_kmip_ttlv_item_append(st, link_value(NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                                             NGX_KMIP_LINK_TYPE_PREVIOUS_LINK,
                                             "k1"));
    CHECK(ngx_kmip_attr_parse_v1(&A, st, 0, &at2, &err) == 0,
          "parse 1.x Link");

    /* malformed values */
    CHECK(ngx_kmip_attr_parse_v2(&A, link_value(NGX_KMIP_TAG_LINK, -1, "k"),
                                 0, &at, &err) != 0,
          "a Link without a Link Type refused");
    CHECK(ngx_kmip_attr_parse_v2(&A,
              link_value(NGX_KMIP_TAG_LINK, NGX_KMIP_LINK_TYPE_NEXT_LINK,
                         NULL), 0, &at, &err) != 0,
          "a Link without a Linked Object Identifier refused");
    CHECK(ngx_kmip_attr_parse_v2(&A,
              link_value(NGX_KMIP_TAG_LINK, NGX_KMIP_LINK_TYPE_NEXT_LINK,
                         ""), 0, &at, &err) != 0,
          "an empty Linked Object Identifier refused");
    v = link_value(NGX_KMIP_TAG_LINK, NGX_KMIP_LINK_TYPE_NEXT_LINK, NULL);
    ngx_kmip_ttlv_add_enum(&A, v, NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER,
                           NGX_KMIP_UNIQUE_IDENTIFIER_ID_PLACEHOLDER);
    CHECK(ngx_kmip_attr_parse_v2(&A, v, 0, &at, &err) != 0
          && strstr(err, "Unique Identifier") != NULL,
          "a 2.x enumeration as Linked Object Identifier refused, saying so");
    v = link_value(NGX_KMIP_TAG_LINK, NGX_KMIP_LINK_TYPE_NEXT_LINK, "k");
    ngx_kmip_ttlv_add_text(&A, v, NGX_KMIP_TAG_NAME_VALUE, STR("x"));
    CHECK(ngx_kmip_attr_parse_v2(&A, v, 0, &at, &err) != 0,
          "a Link with another field refused");
    v = link_value(NGX_KMIP_TAG_LINK, NGX_KMIP_LINK_TYPE_NEXT_LINK, "k");
    ngx_kmip_ttlv_add_enum(&A, v, NGX_KMIP_TAG_LINK_TYPE,
                           NGX_KMIP_LINK_TYPE_PARENT_LINK);
    CHECK(ngx_kmip_attr_parse_v2(&A, v, 0, &at, &err) != 0,
          "a Link with two Link Types refused");
}


/* the Link Types each object type takes, and one Replacement Object Link */

static void
test_attr_link_types(void)
{
    const char                  *err = NULL;
    ngx_kmip_attr_t              at, *p, *q;
    ngx_kmip_attrs_t             l;

    memset(&at, 0, sizeof(at));

#define LINK_ON(type, ot, ver)                                            \
    (at.value = link_value(NGX_KMIP_TAG_ATTRIBUTE_VALUE, (type), "k"),    \
     ngx_kmip_attr_check_object(NULL, NULL, &at, (ot), (ver), &err))

    at.name = (const uint8_t *) "Link";
    at.name_len = 4;
    CHECK(LINK_ON(NGX_KMIP_LINK_TYPE_NEXT_LINK,
                  NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 104) == 0,
          "Next Link on a Symmetric Key");
    CHECK(LINK_ON(NGX_KMIP_LINK_TYPE_DERIVED_KEY_LINK,
                  NGX_KMIP_OBJECT_TYPE_SECRET_DATA, 104) == 0,
          "Derived Key Link on Secret Data");
    CHECK(LINK_ON(NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK,
                  NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 201) == 0,
          "Replaced Object Link on a Symmetric Key");
    CHECK(LINK_ON(NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK,
                  NGX_KMIP_OBJECT_TYPE_SECRET_DATA, 201)
          == NGX_KMIP_ATTR_BAD_VALUE,
          "no Replaced Object Link on Secret Data: no re-key");
    CHECK(LINK_ON(NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK,
                  NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 104)
          == NGX_KMIP_ATTR_BAD_VALUE,
          "no Public Key Link on a Symmetric Key");
    CHECK(LINK_ON(NGX_KMIP_LINK_TYPE_WRAPPING_KEY_LINK,
                  NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 104)
          == NGX_KMIP_ATTR_BAD_VALUE
          && LINK_ON(NGX_KMIP_LINK_TYPE_WRAPPING_KEY_LINK,
                     NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 201) == 0,
          "Wrapping Key Link: 2.x only");
    CHECK(LINK_ON(0x10F, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 201)
          == NGX_KMIP_ATTR_BAD_VALUE, "an unknown Link Type");
    CHECK(LINK_ON(NGX_KMIP_LINK_TYPE_PARENT_LINK,
                  NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT, 104)
          == NGX_KMIP_ATTR_NOT_FOR_OBJECT,
          "1.x: no Link on an Opaque Object (not cryptographic)");
    CHECK(LINK_ON(NGX_KMIP_LINK_TYPE_PARENT_LINK,
                  NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT, 200) == 0
          && LINK_ON(NGX_KMIP_LINK_TYPE_DERIVED_KEY_LINK,
                     NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT, 200)
             == NGX_KMIP_ATTR_BAD_VALUE,
          "2.x: Parent Link on an Opaque Object, no Derived Key Link");

    /* one Replacement Object Link per object */
    memset(&l, 0, sizeof(l));
    p = ngx_kmip_attrs_add(&A, &l, STR("Link"),
                           link_value(NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                               "r1"));
    at.value = link_value(NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                          NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK, "r2");
    CHECK(ngx_kmip_attr_check_object(&l, NULL, &at,
                                     NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 104,
                                     &err) == NGX_KMIP_ATTR_BAD_VALUE,
          "a second Replacement Object Link refused");
    CHECK(ngx_kmip_attr_check_object(&l, p, &at,
                                     NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 104,
                                     &err) == 0,
          "the one there replaced by another");
    q = ngx_kmip_attrs_add(&A, &l, STR("Link"), at.value);
    CHECK(ngx_kmip_attr_check_object(&l, NULL, q,
                                     NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, 104,
                                     &err) == NGX_KMIP_ATTR_BAD_VALUE,
          "two in one Create refused");
    at.name = (const uint8_t *) "Name";
    CHECK(ngx_kmip_attr_check_object(&l, NULL, &at,
                                     NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT, 104,
                                     &err) == 0,
          "other attributes are not this check's business");
#undef LINK_ON
}


/* several Links in a record, and their wire forms */

static void
test_attr_link_record(void)
{
    int                          rc;
    size_t                       len;
    uint8_t                     *buf;
    const char                  *err = NULL;
    ngx_kmip_attr_t             *p;
    ngx_kmip_item_t             *parent;
    ngx_kmip_record_t            rec, out;

    record_init(&rec, "k1", 1, NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);
    ngx_kmip_attrs_add(&A, &rec.attrs, STR("Link"),
                       link_value(NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                                  NGX_KMIP_LINK_TYPE_NEXT_LINK, "k2"));
    ngx_kmip_attrs_add(&A, &rec.attrs, STR("Link"),
                       link_value(NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                                  NGX_KMIP_LINK_TYPE_CHILD_LINK, "k3"));
    CHECK(ngx_kmip_record_encode(&A, &rec, &buf, &len, &err) == 0
          && ngx_kmip_record_decode(&A, buf, len, &out, &err) == 0
          && ngx_kmip_attrs_count(&out.attrs, "Link", 4) == 2,
          "two Links through a record");
    p = ngx_kmip_attrs_find(&out.attrs, "Link", 4, 1);
    CHECK(p && ngx_kmip_item_equal(p->value, rec.attrs.last->value),
          "the second Link at index 1");

    parent = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_ATTRIBUTES,
                                    NGX_KMIP_TYPE_STRUCTURE);
    rc = p ? ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(2, 1)) : -1;
    CHECK(rc == 1 && parent->v.kids.last->tag == NGX_KMIP_TAG_LINK
          && ngx_kmip_ttlv_find(parent->v.kids.last,
                                NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER),
          "2.1: Link by its tag");
}


/* the State as the dates move it (KMIP 1.4 3.22 transitions 4 and 6) */

static void
test_attr_state(void)
{
    ngx_kmip_attrs_t  l;

#define SET(name, type, v)                                                \
    ngx_kmip_attrs_set(&A, &l, name, ngx_kmip_attr_value(&A, type, v))

    memset(&l, 0, sizeof(l));
    CHECK(ngx_kmip_attrs_state(&l, 1000) == 0, "no State");

    SET("State", NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_STATE_PRE_ACTIVE);
    CHECK(ngx_kmip_attrs_state(&l, 1000) == NGX_KMIP_STATE_PRE_ACTIVE,
          "Pre-Active without dates");

    SET("Deactivation Date", NGX_KMIP_TYPE_DATE_TIME, 900);
    CHECK(ngx_kmip_attrs_state(&l, 1000) == NGX_KMIP_STATE_PRE_ACTIVE,
          "a Pre-Active object is not deactivated by the date");

    SET("Activation Date", NGX_KMIP_TYPE_DATE_TIME, 1000);
    CHECK(ngx_kmip_attrs_state(&l, 999) == NGX_KMIP_STATE_PRE_ACTIVE,
          "before the Activation Date");
    SET("Deactivation Date", NGX_KMIP_TYPE_DATE_TIME, 2000);
    CHECK(ngx_kmip_attrs_state(&l, 1000) == NGX_KMIP_STATE_ACTIVE,
          "at the Activation Date: Active");
    CHECK(ngx_kmip_attrs_state(&l, 2000) == NGX_KMIP_STATE_DEACTIVATED,
          "then at the Deactivation Date: Deactivated");

    SET("State", NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_STATE_ACTIVE);
    CHECK(ngx_kmip_attrs_state(&l, 1999) == NGX_KMIP_STATE_ACTIVE,
          "Active before the Deactivation Date");
    CHECK(ngx_kmip_attrs_state(&l, 2001) == NGX_KMIP_STATE_DEACTIVATED,
          "Active past the Deactivation Date: Deactivated");

    SET("State", NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_STATE_COMPROMISED);
    CHECK(ngx_kmip_attrs_state(&l, 3000) == NGX_KMIP_STATE_COMPROMISED,
          "Compromised stays Compromised");

#undef SET
}


/*
 * Record Version 2: the scope that owns the object and the object's own
 * fields, which a reader of version 1 must refuse rather than misread; a
 * default-scope object without fields stays version 1
 */

static void
test_record_v2(void)
{
    size_t              len;
    uint8_t            *buf;
    ngx_kmip_item_t    *fields, *root, *ver;
    ngx_kmip_error_t    e;
    ngx_kmip_record_t   rec, out;
    const char         *err = NULL;

    record_init(&rec, "0b0e8a9c-8a4e-4d43-9d5c-2a8f9a1b2c3d", 1,
                NGX_KMIP_OBJECT_TYPE_SPLIT_KEY);

    CHECK(ngx_kmip_record_encode(&A, &rec, &buf, &len, &err) == 0
          && ngx_kmip_ttlv_decode(buf, len, NULL, &A, &root, &e)
             == NGX_KMIP_OK
          && (ver = ngx_kmip_ttlv_find(root, NGX_KMIP_TAG_RECORD_VERSION))
          && ver->v.num == 1,
          "no scope, no fields: Record Version 1");

    rec.scope = (const uint8_t *) "nas";
    rec.scope_len = 3;
    fields = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_SPLIT_KEY,
                                    NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_integer(&A, fields, NGX_KMIP_TAG_SPLIT_KEY_PARTS, 3);
    ngx_kmip_ttlv_add_enum(&A, fields, NGX_KMIP_TAG_SPLIT_KEY_METHOD, 1);
    rec.fields = fields;

    CHECK(ngx_kmip_record_encode(&A, &rec, &buf, &len, &err) == 0
          && ngx_kmip_record_decode(&A, buf, len, &out, &err) == 0,
          "a scope and fields: encoded and decoded");
    CHECK(out.version == 2 && out.scope_len == 3
          && memcmp(out.scope, "nas", 3) == 0,
          "Record Version 2 with the scope");
    CHECK(out.fields && out.fields->tag == NGX_KMIP_TAG_RECORD_OBJECT_FIELDS
          && out.fields->v.kids.count == 2
          && ngx_kmip_ttlv_find(out.fields, NGX_KMIP_TAG_SPLIT_KEY_METHOD),
          "the object fields kept, in their own item");

    /* a version 1 record that carries either is refused, never half read */

    ngx_kmip_ttlv_decode(buf, len, NULL, &A, &root, &e);
    ngx_kmip_ttlv_find(root, NGX_KMIP_TAG_RECORD_VERSION)->v.num = 1;
    buf = malloc(ngx_kmip_ttlv_size(root));
    ngx_kmip_ttlv_encode(root, buf);
    CHECK(ngx_kmip_record_decode(&A, buf, ngx_kmip_ttlv_size(root), &out,
                                 &err) != 0,
          "a scope or fields in Record Version 1: refused");
    free(buf);
}


int
main(void)
{
    test_record_roundtrip();
    test_record_v2();
    test_attr_forms();
    test_attr_kept();
    test_attr_link_parse();
    test_attr_link_types();
    test_attr_link_record();
    test_attr_state();

    return ngx_kmip_test_report("");
}
