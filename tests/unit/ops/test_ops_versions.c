
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * No answer carries an attribute its version does not define: every
 * attribute of ngx_kmip_attr_versions.h (generated from the KMIP 1.4 and
 * 2.1 specifications) through every version's Get Attribute List, Get
 * Attributes (whole, and by name) and Locate, on a key that has the 1.x-only
 * Operation Policy Name, the 1.4 Description, the 2.x-derived attributes
 * and a custom one. And Operation Policy Name itself (KMIP 1.4 3.18): kept
 * as "default", refused under any other name.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"
#include "ngx_kmip_reasons.h"


#define T_NAMES_MAX  96


typedef struct {
    ngx_str_t                   name[T_NAMES_MAX];
    ngx_uint_t                  n;
} t_names_t;


static const struct {
    ngx_uint_t                  major;
    ngx_uint_t                  minor;
} t_versions_all[] = {
    { 1, 0 }, { 1, 1 }, { 1, 2 }, { 1, 3 }, { 1, 4 }, { 2, 0 }, { 2, 1 }
};


/*
 * What the specifications say of some, written out here rather than read
 * from the generated table the server uses: KMIP 1.1 3.34 (Fresh), 1.2
 * 3.43, 1.3 3.44, 1.4 3.46 and 3.18 (deprecated, gone in 2.0), 2.0 4.56
 */

static const struct {
    const char                 *name;
    unsigned                    first;
    unsigned                    last;
} t_facts[] = {
    { "Fresh", 101, 201 },
    { "Original Creation Date", 102, 201 },
    { "Random Number Generator", 103, 201 },
    { "Description", 104, 201 },
    { "Operation Policy Name", 100, 104 },
    { "Short Unique Identifier", 200, 201 },
    { "Cryptographic Algorithm", 100, 201 },
    { "x-Tag", 100, 201 },
};


static void
t_check(ngx_uint_t ok, const char *what, const char *name, ngx_uint_t major,
    ngx_uint_t minor)
{
    char  msg[200];

    snprintf(msg, sizeof(msg), "%s: \"%s\" in KMIP %u.%u", what, name,
             (unsigned) major, (unsigned) minor);
    CHECK(ok, msg);
}


static unsigned
t_v(ngx_uint_t major, ngx_uint_t minor)
{
    return (unsigned) NGX_KMIP_VERSION(major, minor);
}


static ngx_uint_t
t_defined(const char *name, ngx_uint_t major, ngx_uint_t minor)
{
    return ngx_kmip_attr_name_in_version((const uint8_t *) name,
                                         strlen(name), t_v(major, minor));
}


static ngx_uint_t
t_has(t_names_t *l, const char *name)
{
    ngx_uint_t  i;

    for (i = 0; i < l->n; i++) {
        if (l->name[i].len == strlen(name)
            && ngx_strncmp(l->name[i].data, name, l->name[i].len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
t_names_add(t_names_t *l, const uint8_t *p, size_t n)
{
    u_char  *copy;

    if (l->n == T_NAMES_MAX) {
        abort();
    }

    copy = ngx_pnalloc(t_pool, n + 1);
    if (copy == NULL) {
        abort();
    }

    ngx_memcpy(copy, p, n);
    copy[n] = '\0';

    l->name[l->n].data = copy;
    l->name[l->n].len = n;
    l->n++;
}


/* the names a Get Attribute List answer gives, in either version's form */

static void
t_listed(ngx_kmip_response_item_t *out, ngx_uint_t major, t_names_t *l)
{
    ngx_kmip_item_t             *it, *vid, *an;
    const ngx_kmip_attr_spec_t  *s;

    l->n = 0;

    for (it = out->payload ? out->payload->v.kids.first : NULL;
         it;
         it = it->next)
    {
        if (major < 2 && it->tag == NGX_KMIP_TAG_ATTRIBUTE_NAME) {
            t_names_add(l, it->v.str.data, it->v.str.len);
            continue;
        }

        if (it->tag != NGX_KMIP_TAG_ATTRIBUTE_REFERENCE) {
            continue;
        }

        if (it->type == NGX_KMIP_TYPE_ENUMERATION) {
            s = ngx_kmip_attr_spec_by_tag((uint32_t) it->v.num);
            if (s == NULL) {
                abort();
            }

            t_names_add(l, (const uint8_t *) s->name, strlen(s->name));
            continue;
        }

        /* a vendor's: "x", "Tag" is the 1.x "x-Tag" */

        vid = ngx_kmip_ttlv_find(it, NGX_KMIP_TAG_VENDOR_IDENTIFICATION);
        an = ngx_kmip_ttlv_find(it, NGX_KMIP_TAG_ATTRIBUTE_NAME);

        if (vid && an && vid->v.str.len == 1 && vid->v.str.data[0] == 'x') {
            t_names_add(l, (const uint8_t *) "x-Tag", 5);
        }
    }
}


static ngx_kmip_response_item_t *
t_get_attribute_list(ngx_str_t *uid, ngx_uint_t major, ngx_uint_t minor)
{
    return t_one(major, minor, NGX_KMIP_OP_GET_ATTRIBUTE_LIST, uid);
}


/* a 2.x structure naming a standard attribute by its 1.x name */

static ngx_kmip_item_t *
t_by_name(ngx_kmip_item_t *parent, uint32_t tag, const char *name)
{
    ngx_kmip_item_t  *st;

    st = ngx_kmip_ttlv_add_struct(t_alloc(), parent, tag);
    ngx_kmip_ttlv_add_text(t_alloc(), st, NGX_KMIP_TAG_VENDOR_IDENTIFICATION,
                           (const uint8_t *) "", 0);
    ngx_kmip_ttlv_add_text(t_alloc(), st, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                           (const uint8_t *) name, strlen(name));

    return st;
}


/* Get Attributes of one attribute by name; its value, or NULL */

static ngx_kmip_item_t *
t_get_named(ngx_str_t *uid, const char *name, ngx_uint_t major,
    ngx_uint_t minor)
{
    t_request_t                 *t;
    ngx_kmip_item_t             *p, *attrs;
    ngx_kmip_response_item_t    *out;
    const ngx_kmip_attr_spec_t  *s;

    s = ngx_kmip_attr_spec((const uint8_t *) name, strlen(name));

    t = t_request(major, minor);
    p = t_item(t, NGX_KMIP_OP_GET_ATTRIBUTES);
    ngx_kmip_ttlv_add_text(t_alloc(), p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                           uid->data, uid->len);

    if (major < 2) {
        ngx_kmip_ttlv_add_text(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                               (const uint8_t *) name, strlen(name));

    } else if (s && s->tag) {
        ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE,
                               s->tag);

    } else {
        /* no 2.x tag: a reference by name, as PyKMIP names standard ones */
        (void) t_by_name(p, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE, name);
    }

    out = t_run(t);

    if (out[0].result_status != NGX_KMIP_STATUS_SUCCESS) {
        return NULL;
    }

    if (major < 2) {
        return t_attribute(&out[0], name);
    }

    attrs = t_find(&out[0], NGX_KMIP_TAG_ATTRIBUTES);

    return (attrs && s && s->tag) ? ngx_kmip_ttlv_find(attrs, s->tag) : NULL;
}


/* every attribute of a whole Get Attributes answer is one of its version */

static void
t_whole_answer(ngx_str_t *uid, ngx_uint_t major, ngx_uint_t minor)
{
    char                         name[64];
    ngx_uint_t                   ok;
    ngx_kmip_item_t             *it, *an, *attrs;
    ngx_kmip_response_item_t    *out;
    const ngx_kmip_attr_spec_t  *s;

    out = t_one(major, minor, NGX_KMIP_OP_GET_ATTRIBUTES, uid);
    ok = out[0].result_status == NGX_KMIP_STATUS_SUCCESS;

    attrs = (major < 2) ? out[0].payload : t_find(&out[0],
                                                  NGX_KMIP_TAG_ATTRIBUTES);

    for (it = attrs ? attrs->v.kids.first : NULL; it; it = it->next) {
        if (it->tag == NGX_KMIP_TAG_UNIQUE_IDENTIFIER && major < 2) {
            continue;
        }

        if (major < 2) {
            an = ngx_kmip_ttlv_find(it, NGX_KMIP_TAG_ATTRIBUTE_NAME);
            snprintf(name, sizeof(name), "%.*s",
                     an ? (int) an->v.str.len : 0,
                     an ? (char *) an->v.str.data : "");

        } else {
            s = (it->tag == NGX_KMIP_TAG_ATTRIBUTE)
                ? NULL : ngx_kmip_attr_spec_by_tag(it->tag);
            snprintf(name, sizeof(name), "%s", s ? s->name : "x-Tag");
        }

        if (!t_defined(name, major, minor)) {
            ok = 0;
            t_check(0, "a whole Get Attributes answer has it", name, major,
                    minor);
        }
    }

    t_check(ok, "a whole Get Attributes answer: only its version's",
            "(all)", major, minor);
}


/*
 * Locate by the attribute's value (as the version that defines it last
 * gave it): the key is found exactly when the version defines it; a 2.x
 * request cannot even name a 1.x-only attribute (the Locate fails).
 */

static void
t_locate(ngx_str_t *uid, const char *name, ngx_kmip_item_t *value,
    ngx_uint_t major, ngx_uint_t minor)
{
    ngx_uint_t                   found;
    t_request_t                 *t;
    ngx_kmip_item_t             *p, *a, *it;
    ngx_kmip_response_item_t    *out;
    const ngx_kmip_attr_spec_t  *s;

    s = ngx_kmip_attr_spec((const uint8_t *) name, strlen(name));

    t = t_request(major, minor);
    p = t_item(t, NGX_KMIP_OP_LOCATE);

    if (major < 2) {
        a = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTE);
        ngx_kmip_ttlv_add_text(t_alloc(), a, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                               (const uint8_t *) name, strlen(name));
        ngx_kmip_ttlv_item_append(a,
            ngx_kmip_item_retag(t_alloc(), value,
                                NGX_KMIP_TAG_ATTRIBUTE_VALUE));

    } else {
        a = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTES);

        if (s && s->tag) {
            ngx_kmip_ttlv_item_append(a,
                ngx_kmip_item_retag(t_alloc(), value, s->tag));

        } else {
            it = t_by_name(a, NGX_KMIP_TAG_ATTRIBUTE, name);
            ngx_kmip_ttlv_item_append(it,
                ngx_kmip_item_retag(t_alloc(), value,
                                    NGX_KMIP_TAG_ATTRIBUTE_VALUE));
        }
    }

    out = t_run(t);

    found = t_lists_uid(&out[0], uid);

    if (t_defined(name, major, minor)) {
        t_check(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && found,
                "Locate by it finds the key", name, major, minor);
        return;
    }

    t_check(!found, "Locate by it finds nothing", name, major, minor);
}


static void
t_text_attr(ngx_kmip_item_t *ta, const char *name, const char *text)
{
    ngx_kmip_item_t  *a;

    a = ngx_kmip_ttlv_add_struct(t_alloc(), ta, NGX_KMIP_TAG_ATTRIBUTE);
    ngx_kmip_ttlv_add_text(t_alloc(), a, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                           (const uint8_t *) name, strlen(name));
    ngx_kmip_ttlv_add_text(t_alloc(), a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                           (const uint8_t *) text, strlen(text));
}


/* a 1.x Create with Operation Policy Name (and from 1.4 a Description) */

static ngx_kmip_response_item_t *
t_create_with_policy(ngx_uint_t minor, const char *policy)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *ta;

    t = t_request(1, minor);
    p = t_item(t, NGX_KMIP_OP_CREATE);
    t_create_payload(p, 1);

    ta = ngx_kmip_ttlv_find(p, NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);

    t_text_attr(ta, "Operation Policy Name", policy);
    t_text_attr(ta, "x-Tag", "kept in every version");

    if (minor >= 4) {
        t_text_attr(ta, "Description", "version gating");
    }

    return t_run(t);
}


/* the Unique Identifier an answer gives, copied into *uid; 0 if none */

static ngx_uint_t
t_made(ngx_kmip_response_item_t *out, ngx_str_t *uid)
{
    ngx_str_t  *made;

    made = t_uid_of(out);
    if (made == NULL) {
        return 0;
    }

    *uid = *made;

    return 1;
}


/* a 1.2 Add or Modify Attribute of Operation Policy Name "default" */

static ngx_kmip_response_item_t *
t_policy_change(uint32_t operation, ngx_str_t *uid)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(1, 2);
    p = t_item(t, operation);
    ngx_kmip_ttlv_add_text(t_alloc(), p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                           uid->data, uid->len);
    t_text_attr(p, "Operation Policy Name", "default");

    return t_run(t);
}


/* Operation Policy Name: Create, Add Attribute, refusals */

static void
t_policy(void)
{
    ngx_str_t                  u;
    ngx_kmip_item_t           *v;
    ngx_kmip_response_item_t  *out;

    out = t_create_with_policy(0, "default");
    CHECK(t_made(&out[0], &u), "1.0 Create with Operation Policy Name "
          "\"default\"");

    v = t_get_named(&u, "Operation Policy Name", 1, 0);
    CHECK(v && v->v.str.len == 7
          && ngx_strncmp(v->v.str.data, "default", 7) == 0,
          "its Operation Policy Name is kept, and answered in 1.0");

    out = t_create_with_policy(2, "restricted");
    CHECK(t_made(&out[0], &u), "a Create naming a policy of its own");

    v = t_get_named(&u, "Operation Policy Name", 1, 2);
    CHECK(v && v->v.str.len == 10
          && ngx_strncmp(v->v.str.data, "restricted", 10) == 0,
          "keeps that name as given");

    out = t_create_with_policy(2, "");
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a Create naming an empty policy is refused");

    /* VAST: Add Attribute to a key made without one */

    if (!t_new_key(1, 2, &u)) {
        return;
    }

    out = t_policy_change(NGX_KMIP_OP_ADD_ATTRIBUTE, &u);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_get_named(&u, "Operation Policy Name", 1, 2) != NULL
          && t_get_named(&u, "Operation Policy Name", 2, 0) == NULL,
          "Add Attribute of Operation Policy Name \"default\": kept, "
          "answered in 1.2, not in 2.0");

    /* neither modified nor deleted by a client (1.4 Table 91) */

    out = t_policy_change(NGX_KMIP_OP_MODIFY_ATTRIBUTE, &u);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED,
          "Modify Attribute of Operation Policy Name is refused");
}


/* Result Reasons: what an answer in an earlier version gives instead */

static void
t_reasons(void)
{
    uint32_t  reason;
    unsigned  since, v[] = { 100, 101, 102, 103, 104, 200, 201 };
    size_t    i, bad;

    CHECK(ngx_kmip_reason_for_version(NGX_KMIP_REASON_KEY_VALUE_NOT_PRESENT,
                                      101)
          == NGX_KMIP_REASON_ILLEGAL_OPERATION
          && ngx_kmip_reason_for_version(
                 NGX_KMIP_REASON_KEY_VALUE_NOT_PRESENT, 102)
             == NGX_KMIP_REASON_KEY_VALUE_NOT_PRESENT,
          "Key Value Not Present from 1.2, Illegal Operation before");
    CHECK(ngx_kmip_reason_for_version(NGX_KMIP_REASON_OBJECT_DESTROYED, 104)
          == NGX_KMIP_REASON_ITEM_NOT_FOUND
          && ngx_kmip_reason_for_version(NGX_KMIP_REASON_SENSITIVE, 103)
             == NGX_KMIP_REASON_PERMISSION_DENIED
          && ngx_kmip_reason_for_version(
                 NGX_KMIP_REASON_CONSTRAINT_VIOLATION, 200)
             == NGX_KMIP_REASON_ILLEGAL_OPERATION,
          "2.x, 1.4 and 2.1 reasons in earlier versions");

    /* every reason any version defines maps to one each version defines */

    bad = 0;

    for (reason = 1; reason <= NGX_KMIP_REASON_GENERAL_FAILURE; reason++) {
        since = ngx_kmip_reason_since(reason);
        if (since == 0) {
            continue;
        }

        for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
            since = ngx_kmip_reason_since(
                        ngx_kmip_reason_for_version(reason, v[i]));
            bad += (since == 0 || since > v[i]);
        }
    }

    CHECK(bad == 0, "every reason has an answer in every version");
}


void
t_versions(void)
{
    ngx_str_t                       u;
    ngx_uint_t                      k, i, major, minor, in;
    t_names_t                       listed, all;
    ngx_kmip_item_t                *value;
    ngx_kmip_response_item_t       *out;
    const ngx_kmip_attr_version_t  *av;

    t_reasons();
    t_policy();

    if (!t_made(&t_create_with_policy(4, "default")[0], &u)) {
        CHECK(0, "1.4 Create with Operation Policy Name, Description");
        return;
    }

    /* what the key has: every attribute 1.4 or 2.1 lists */

    all.n = 0;

    for (k = 4; k < 7; k += 2) {
        t_listed(t_get_attribute_list(&u, t_versions_all[k].major,
                                      t_versions_all[k].minor),
                 t_versions_all[k].major, &listed);

        for (i = 0; i < listed.n; i++) {
            if (!t_has(&all, (char *) listed.name[i].data)) {
                t_names_add(&all, listed.name[i].data, listed.name[i].len);
            }
        }
    }

    CHECK(t_has(&all, "Operation Policy Name") && t_has(&all, "Fresh")
          && t_has(&all, "Short Unique Identifier") && t_has(&all, "x-Tag"),
          "the key has attributes of 1.0 to 1.4 only, of 1.1 on, of 2.x "
          "only, and a custom one");

    for (k = 0; k < sizeof(t_versions_all) / sizeof(t_versions_all[0]); k++) {
        major = t_versions_all[k].major;
        minor = t_versions_all[k].minor;

        /* Get Attribute List: exactly what the key has of the version's */

        out = t_get_attribute_list(&u, major, minor);
        t_listed(out, major, &listed);

        for (i = 0; i < all.n; i++) {
            in = t_defined((char *) all.name[i].data, major, minor);
            t_check(t_has(&listed, (char *) all.name[i].data) == in,
                    in ? "Get Attribute List lists it"
                       : "Get Attribute List leaves it out",
                    (char *) all.name[i].data, major, minor);
        }

        t_check(listed.n <= all.n, "Get Attribute List lists nothing else",
                "(all)", major, minor);

        for (i = 0; i < sizeof(t_facts) / sizeof(t_facts[0]); i++) {
            in = t_v(major, minor) >= t_facts[i].first
                 && t_v(major, minor) <= t_facts[i].last;
            t_check(t_has(&listed, t_facts[i].name) == in,
                    in ? "the specification defines it, listed"
                       : "the specification does not define it, left out",
                    t_facts[i].name, major, minor);
        }

        t_whole_answer(&u, major, minor);

        /* Get Attributes by name, every attribute KMIP has */

        for (av = ngx_kmip_attr_versions_all(); av->name; av++) {
            in = t_has(&all, av->name) && t_defined(av->name, major, minor);
            t_check((t_get_named(&u, av->name, major, minor) != NULL) == in,
                    in ? "Get Attributes by name answers it"
                       : "Get Attributes by name leaves it out",
                    av->name, major, minor);
        }

        /* Locate by each attribute the key has, as last defined */

        for (i = 0; i < all.n; i++) {
            if (ngx_strcmp(all.name[i].data, "x-Tag") == 0) {
                continue;
            }

            value = t_defined((char *) all.name[i].data, 1, 4)
                    ? t_get_named(&u, (char *) all.name[i].data, 1, 4)
                    : t_get_named(&u, (char *) all.name[i].data, 2, 1);

            t_check(value != NULL, "its value, for Locate",
                    (char *) all.name[i].data, major, minor);

            if (value) {
                t_locate(&u, (char *) all.name[i].data, value, major, minor);
            }
        }
    }
}
