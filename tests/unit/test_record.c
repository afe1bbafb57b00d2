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

static int passed, failed;

#define CHECK(c, name)                                                    \
    do {                                                                  \
        if (c) { passed++; }                                              \
        else { failed++; printf("FAIL: %s (line %d)\n", name, __LINE__); } \
    } while (0)

static void *
heap_alloc(void *data, size_t size)
{
    (void) data;
    return calloc(1, size ? size : 1);     /* leaked on purpose: a test */
}

static ngx_kmip_allocator_t  A = { heap_alloc, NULL };

#define STR(s)  (const uint8_t *) (s), sizeof(s) - 1


static void
test_record_roundtrip(void)
{
    ngx_kmip_record_t   rec, out;
    ngx_kmip_item_t    *v, *name;
    ngx_kmip_attr_t    *at;
    uint8_t            *buf;
    size_t              len;
    const char         *err = NULL;

    memset(&rec, 0, sizeof(rec));
    rec.uid = (const uint8_t *) "0b0e8a9c-8a4e-4d43-9d5c-2a8f9a1b2c3d";
    rec.uid_len = 36;
    rec.generation = 7;
    rec.object_type = NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY;
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
    name = ngx_kmip_item_new(&A, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                             NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_add_text(&A, name, NGX_KMIP_TAG_NAME_VALUE, STR("key-1"));
    ngx_kmip_add_enum(&A, name, NGX_KMIP_TAG_NAME_TYPE, 1);
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
    it = ngx_kmip_item_new(&A, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                           NGX_KMIP_TYPE_ENUMERATION);
    it->v.num = NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES;
    CHECK(ngx_kmip_attr_parse_v2(&A, it, 0, &at, &err) == 0, "parse 2.x tag");
    CHECK(ngx_kmip_attr_name_is(&at, "Cryptographic Algorithm"), "2.x name");
    CHECK(at.value->tag == NGX_KMIP_TAG_ATTRIBUTE_VALUE, "retagged");

    /* wrong type refused */
    it = ngx_kmip_item_new(&A, NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                           NGX_KMIP_TYPE_TEXT_STRING);
    CHECK(ngx_kmip_attr_parse_v2(&A, it, 0, &at, &err) != 0, "type check");

    /* 2.x vendor attribute x/Name <-> x-Name */
    st = ngx_kmip_item_new(&A, NGX_KMIP_TAG_ATTRIBUTE, NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_add_text(&A, st, NGX_KMIP_TAG_VENDOR_IDENTIFICATION, STR("x"));
    ngx_kmip_add_text(&A, st, NGX_KMIP_TAG_ATTRIBUTE_NAME, STR("Component"));
    ngx_kmip_add_text(&A, st, NGX_KMIP_TAG_ATTRIBUTE_VALUE, STR("ESXi"));
    CHECK(ngx_kmip_attr_parse_v2(&A, st, 0, &at, &err) == 0, "vendor parse");
    CHECK(ngx_kmip_attr_name_is(&at, "x-Component"), "vendor name mapped");

    /* emit: Original Creation Date absent from 1.x, present in 2.0 */
    p = ngx_kmip_attrs_set(&A, &l, "Original Creation Date",
                           ngx_kmip_attr_value(&A,
                                               NGX_KMIP_TYPE_DATE_TIME, 1000));
    parent = ngx_kmip_item_new(&A, NGX_KMIP_TAG_RESPONSE_PAYLOAD,
                               NGX_KMIP_TYPE_STRUCTURE);
    CHECK(ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(1, 1)) == 0,
          "no Original Creation Date in 1.1");
    CHECK(parent->v.kids.count == 0, "nothing emitted in 1.1");
    CHECK(ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(1, 4)) == 0,
          "no Original Creation Date in 1.4");
    CHECK(ngx_kmip_attr_emit(&A, parent, p, NGX_KMIP_ATTR_V(2, 0)) == 1,
          "Original Creation Date in 2.0");

    /* 1.x form: Attribute {Name, Value}; 2.x form: own tag */
    p = ngx_kmip_attrs_set(&A, &l, "State",
                           ngx_kmip_attr_value(&A,
                                               NGX_KMIP_TYPE_ENUMERATION, 1));
    parent = ngx_kmip_item_new(&A, NGX_KMIP_TAG_RESPONSE_PAYLOAD,
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


int
main(void)
{
    test_record_roundtrip();
    test_attr_forms();

    printf("%d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}
