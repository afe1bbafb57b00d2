
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Re-key Key Pair (KMIP 1.4 4.5, 2.1 6.1.47) on the memory store: the
 * replacements, what they take of the existing keys, the Links every way,
 * the Names moved, the ID Placeholder, the refusals, and what a failure
 * at each store call leaves (ngx_kmip_op_rekeypair.c).
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"


static void t_pair_dup(ngx_str_t *dst, ngx_str_t *src);


/* a Name of the text, as a client's Add Attribute leaves it */

static void
t_pair_name(ngx_str_t *uid, const char *text)
{
    ngx_kmip_item_t    *v;
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(t_mem, uid);
    if (kept == NULL) {
        return;
    }

    v = ngx_kmip_ttlv_item_new(t_alloc(), NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                               NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_text(t_alloc(), v, NGX_KMIP_TAG_NAME_VALUE,
                           (u_char *) text, strlen(text));
    ngx_kmip_ttlv_add_enum(t_alloc(), v, NGX_KMIP_TAG_NAME_TYPE,
                           NGX_KMIP_NAME_TYPE_UNINTERPRETED_TEXT_STRING);

    (void) ngx_kmip_attrs_add(t_alloc(), &kept->attributes,
                              (u_char *) "Name", 4, v);
}


/* 1 if the object is there, not destroyed, and named */

static ngx_uint_t
t_pair_named(ngx_str_t *uid)
{
    ngx_kmip_object_t  *kept;

    kept = uid->len ? ngx_kmip_store_memory_find(t_mem, uid) : NULL;

    return kept && !kept->destroyed
           && ngx_kmip_attrs_find(&kept->attributes, "Name", 4, -1) != NULL;
}


static ngx_uint_t
t_pair_live(ngx_str_t *uid)
{
    ngx_kmip_object_t  *kept;

    kept = uid->len ? ngx_kmip_store_memory_find(t_mem, uid) : NULL;

    return kept && !kept->destroyed;
}


/* a copy of the response's identifier, or empty */

static void
t_pair_keep(ngx_str_t *dst, ngx_kmip_item_t *u)
{
    ngx_str_t  src = ngx_null_string;

    if (u && u->type == NGX_KMIP_TYPE_TEXT_STRING) {
        src.data = (u_char *) u->v.str.data;
        src.len = u->v.str.len;
    }

    t_pair_dup(dst, &src);
}


static void
t_pair_dup(ngx_str_t *dst, ngx_str_t *src)
{
    dst->len = src->len;
    dst->data = ngx_pnalloc(t_pool, src->len + 1);

    if (dst->data == NULL || src->len == 0) {
        dst->len = 0;
        return;
    }

    ngx_memcpy(dst->data, src->data, src->len);
}


static ngx_uint_t
t_pair_same(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len && ngx_strncmp(a->data, b->data, a->len) == 0;
}


/* a pair made, its identifiers copied */

static ngx_uint_t
t_pair_made(ngx_uint_t major, ngx_uint_t which, ngx_str_t *priv,
    ngx_str_t *pub)
{
    ngx_str_t  a, b;

    if (!t_key_pair(major, which, &a, &b)) {
        return 0;
    }

    t_pair_dup(priv, &a);
    t_pair_dup(pub, &b);

    return priv->len && pub->len;
}


static ngx_kmip_response_item_t *
t_rekey_pair_req(ngx_uint_t major, ngx_str_t *priv, uint32_t extra)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *c;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_RE_KEY_KEY_PAIR);
    ngx_kmip_ttlv_add_text(t_alloc(), p,
                           NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER,
                           priv->data, priv->len);
    ngx_kmip_ttlv_add_interval(t_alloc(), p, NGX_KMIP_TAG_OFFSET, 3600);

    if (extra) {
        /* an attribute asked for anew */
        c = ngx_kmip_ttlv_add_struct(t_alloc(), p, extra);
        t_attr(c, major, "Cryptographic Usage Mask",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
               NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_SIGN);
    }

    /* the next item works on the new private key (ID Placeholder) */
    (void) t_item(t, NGX_KMIP_OP_GET_ATTRIBUTES);

    return t_run(t);
}


static void
t_rekey_pair_of(ngx_uint_t major, ngx_uint_t which, const char *what)
{
    char                       msg[128];
    int64_t                    act;
    ngx_str_t                  priv, pub, npriv, npub;
    ngx_kmip_item_t           *u;
    ngx_kmip_object_t         *a, *b;
    ngx_kmip_response_item_t  *out;

    if (!t_pair_made(major, which, &priv, &pub)) {
        CHECK(0, "a key pair to re-key");
        return;
    }

    t_pair_name(&priv, "veeam-private");
    t_pair_name(&pub, "veeam-public");

    out = t_rekey_pair_req(major, &priv, 0);

    t_pair_keep(&npriv,
                t_find(&out[0], NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER));
    t_pair_keep(&npub,
                t_find(&out[0], NGX_KMIP_TAG_PUBLIC_KEY_UNIQUE_IDENTIFIER));

    snprintf(msg, sizeof(msg), "Re-key Key Pair %s (%d.x): two new keys",
             what, (int) major);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && npriv.len && npub.len
          && !t_pair_same(&npriv, &priv) && !t_pair_same(&npub, &pub),
          msg);

    if (npriv.len == 0 || npub.len == 0) {
        return;
    }

    u = t_find(&out[1], NGX_KMIP_TAG_UNIQUE_IDENTIFIER);
    CHECK(u && u->v.str.len == npriv.len
          && memcmp(u->v.str.data, npriv.data, npriv.len) == 0,
          "the ID Placeholder is the new private key");

    CHECK(t_pair_linked(&npriv, &npub), "the new keys link to each other");
    CHECK(t_links_to(&npriv, NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK, &priv)
          && t_links_to(&npub, NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK, &pub)
          && t_links_to(&priv, NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                        &npriv)
          && t_links_to(&pub, NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                        &npub),
          "each new key and the key it replaces link to each other");
    CHECK(!t_links_to(&npriv, NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK, &pub),
          "the new private key does not link to the old public key");
    CHECK(t_pair_named(&npriv) && t_pair_named(&npub)
          && !t_pair_named(&priv) && !t_pair_named(&pub),
          "the Names moved to the new keys");
    CHECK(t_kept_num(&npriv, "Cryptographic Usage Mask")
          == NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_SIGN
          && t_kept_num(&npub, "Cryptographic Usage Mask")
             == NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_VERIFY
          && t_kept_num(&npriv, "Cryptographic Algorithm")
             == t_kept_num(&priv, "Cryptographic Algorithm")
          && t_kept_num(&npub, "Cryptographic Length")
             == t_kept_num(&pub, "Cryptographic Length"),
          "each new key takes its old key's attributes");

    act = t_kept_num(&npriv, "Activation Date");
    CHECK(act >= (int64_t) ngx_time() + 3600 - 5
          && act <= (int64_t) ngx_time() + 3600 + 5
          && t_kept_num(&npriv, "State") == NGX_KMIP_STATE_PRE_ACTIVE,
          "the Offset sets the new keys' Activation Date");

    a = ngx_kmip_store_memory_find(t_mem, &npriv);
    b = ngx_kmip_store_memory_find(t_mem, &priv);
    CHECK(a && b && (a->material.len != b->material.len
                     || memcmp(a->material.data, b->material.data,
                               a->material.len) != 0),
          "the new private key is new material");

    CHECK(t_pair_served(major, &npriv, &npub), "both new keys are served");
}


static void
t_rekey_pair_refused(ngx_uint_t major)
{
    ngx_str_t                  priv, pub, key;
    ngx_kmip_response_item_t  *out;

    if (!t_pair_made(major, 3, &priv, &pub)
        || !t_new_key(major, major >= 2 ? 1 : 4, &key))
    {
        CHECK(0, "keys to refuse Re-key Key Pair of");
        return;
    }

    out = t_rekey_pair_req(major, &pub, 0);
    t_expect(&out[0], major >= 2 ? NGX_KMIP_REASON_INVALID_OBJECT_TYPE
                                 : NGX_KMIP_REASON_ILLEGAL_OPERATION,
             "Re-key Key Pair of a public key: refused");

    out = t_rekey_pair_req(major, &key, 0);
    t_expect(&out[0], major >= 2 ? NGX_KMIP_REASON_INVALID_OBJECT_TYPE
                                 : NGX_KMIP_REASON_ILLEGAL_OPERATION,
             "Re-key Key Pair of a symmetric key: refused");

    out = t_rekey_pair_req(major, &t_unknown_uid, 0);
    t_expect(&out[0], t_not_found(major),
             "Re-key Key Pair of no object: not found");

    out = t_rekey_pair_req(major, &priv,
                           major >= 2 ? NGX_KMIP_TAG_PRIVATE_KEY_ATTRIBUTES
                               : NGX_KMIP_TAG_PRIVATE_KEY_TEMPLATE_ATTRIBUTE);
    t_expect(&out[0], NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
             "Re-key Key Pair with attributes: Feature Not Supported");
    CHECK(!t_links_to(&priv, NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                      &pub),
          "and the private key is untouched");
}


/* a key of the pair, or its replacement, keeps the Name */

static ngx_uint_t
t_pair_held(ngx_str_t *old)
{
    ngx_str_t  repl;

    if (!t_pair_live(old)) {
        return 0;
    }

    if (t_pair_named(old)) {
        return 1;
    }

    repl = t_link_target(old, NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK);

    return t_pair_named(&repl);
}


/* a live replacement private key has a live public key */

static ngx_uint_t
t_pair_whole(ngx_str_t *old)
{
    ngx_str_t  repl, pub;

    repl = t_link_target(old, NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK);

    if (!t_pair_live(&repl)) {
        return 1;
    }

    pub = t_link_target(&repl, NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK);

    return t_pair_live(&pub);
}


/*
 * A failure at each store call in turn: whatever the step, each key's
 * Name stays on a live key of its kind, and no new private key is left
 * without its public key; past the last call, it succeeds.
 */

static void
t_rekey_pair_failures(void)
{
    char                       name[32];
    ngx_str_t                  priv, pub, npriv, repl, link;
    ngx_uint_t                 spare, ok, again, failed, done;
    ngx_kmip_response_item_t  *out;

    ok = 1;
    again = 1;
    failed = 0;
    done = 0;

    for (spare = 0; spare < 32 && !done; spare++) {
        if (!t_pair_made(2, 3, &priv, &pub)) {
            ok = 0;
            break;
        }

        snprintf(name, sizeof(name), "pair-%u-private", (unsigned) spare);
        t_pair_name(&priv, name);
        snprintf(name, sizeof(name), "pair-%u-public", (unsigned) spare);
        t_pair_name(&pub, name);

        t_mem->fail = NGX_KMIP_STORE_UNAVAILABLE;
        t_mem->failures = 1;
        t_mem->spare = spare;

        out = t_rekey_pair_req(2, &priv, 0);

        done = (t_mem->failures == 1);
        t_mem->failures = 0;
        t_mem->spare = 0;

        if (done) {
            /* no call failed: the whole sequence ran */
            ok &= out[0].result_status == NGX_KMIP_STATUS_SUCCESS;
            break;
        }

        failed++;

        ok &= out[0].result_status == NGX_KMIP_STATUS_OPERATION_FAILED
              && t_pair_held(&priv) && t_pair_held(&pub)
              && t_pair_whole(&priv);

        /* run again, it ends with the Names on one pair only */

        link = t_link_target(&priv, NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK);
        t_pair_dup(&repl, &link);

        out = t_rekey_pair_req(2, &priv, 0);
        t_pair_keep(&npriv, t_find(&out[0],
                                   NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER));

        again &= out[0].result_status == NGX_KMIP_STATUS_SUCCESS
                 && t_pair_named(&npriv) && !t_pair_named(&priv)
                 && !t_pair_named(&pub)
                 && (t_pair_same(&repl, &npriv) || !t_pair_named(&repl));
    }

    CHECK(ok && done && failed >= 8,
          "Re-key Key Pair failing at any store call: the answer fails, "
          "every Name stays on a live key, no half pair is left");
    CHECK(again,
          "and run again it succeeds, the Names on the newest pair only");
}


void
t_rekey_key_pairs(void)
{
    ngx_uint_t  major;

    for (major = 1; major <= 2; major++) {
        t_rekey_pair_of(major, 0, "RSA 2048");
        t_rekey_pair_of(major, 2, "ECDSA P-384");
        t_rekey_pair_of(major, 3, "Ed25519");
        t_rekey_pair_refused(major);
    }

    t_rekey_pair_failures();
}
