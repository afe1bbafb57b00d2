
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * The objects a server keeps without interpreting them: PGP Key (1.4
 * 2.2.9, from 1.2; its Key Block an opaque blob, 2.1 2.4) and
 * Certificate Request (2.1 2.2, from 2.0): Register, Get back as given
 * (a PGP Key in Raw on request too), Locate by type, and the refusals.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_kmip_test_ops.h"


static const u_char  t_armored[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBF...\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n";


static ngx_kmip_response_item_t *
t_register_pgp(ngx_uint_t major, ngx_uint_t minor, int64_t version)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *o, *kb, *kv;

    t = t_request(major, minor);
    p = t_item(t, NGX_KMIP_OP_REGISTER);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE,
                           NGX_KMIP_OBJECT_TYPE_PGP_KEY);
    o = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_PGP_KEY);

    if (version != -1) {
        (void) t_value(o, NGX_KMIP_TAG_PGP_KEY_VERSION,
                       NGX_KMIP_TYPE_INTEGER, version);
    }

    kb = ngx_kmip_ttlv_add_struct(t_alloc(), o, NGX_KMIP_TAG_KEY_BLOCK);
    ngx_kmip_ttlv_add_enum(t_alloc(), kb, NGX_KMIP_TAG_KEY_FORMAT_TYPE,
                           NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE);
    kv = ngx_kmip_ttlv_add_struct(t_alloc(), kb, NGX_KMIP_TAG_KEY_VALUE);
    ngx_kmip_ttlv_add_bytes(t_alloc(), kv, NGX_KMIP_TAG_KEY_MATERIAL,
                            t_armored, sizeof(t_armored) - 1);

    return t_run(t);
}


static void
t_pgp_keys(void)
{
    char                       name[128];
    ngx_str_t                 *u, uid;
    ngx_uint_t                 major;
    ngx_kmip_item_t           *pk, *v, *km, *kft;
    ngx_kmip_response_item_t  *out;

    for (major = 1; major <= 2; major++) {
        out = t_register_pgp(major, major >= 2 ? 1 : 4, 4);
        u = t_uid_of(&out[0]);
        snprintf(name, sizeof(name), "KMIP %d: Register of a PGP Key",
                 (int) major);
        if (!t_got(u, name)) {
            continue;
        }

        uid = *u;
        out = t_one(major, major >= 2 ? 1 : 4, NGX_KMIP_OP_GET, &uid);
        pk = t_find(&out[0], NGX_KMIP_TAG_PGP_KEY);
        v = ngx_kmip_ttlv_find(pk, NGX_KMIP_TAG_PGP_KEY_VERSION);
        km = t_deep(pk, NGX_KMIP_TAG_KEY_MATERIAL);
        kft = t_deep(pk, NGX_KMIP_TAG_KEY_FORMAT_TYPE);

        snprintf(name, sizeof(name), "KMIP %d: Get of it: version 4, the "
                 "armored key as given, Opaque", (int) major);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
              && v && v->v.num == 4
              && km && km->v.str.len == sizeof(t_armored) - 1
              && memcmp(km->v.str.data, t_armored, km->v.str.len) == 0
              && kft && kft->v.num == NGX_KMIP_KEY_FORMAT_TYPE_OPAQUE,
              name);

        out = t_get_kft(major, &uid, NGX_KMIP_KEY_FORMAT_TYPE_RAW);
        kft = t_deep(t_find(&out[0], NGX_KMIP_TAG_PGP_KEY),
                     NGX_KMIP_TAG_KEY_FORMAT_TYPE);
        snprintf(name, sizeof(name), "KMIP %d: in Raw when asked",
                 (int) major);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
              && kft && kft->v.num == NGX_KMIP_KEY_FORMAT_TYPE_RAW, name);

        out = t_get_kft(major, &uid, NGX_KMIP_KEY_FORMAT_TYPE_PKCS_8);
        snprintf(name, sizeof(name), "KMIP %d: in PKCS#8: Key Format Type "
                 "Not Supported", (int) major);
        CHECK(t_reason(&out[0])
              == NGX_KMIP_REASON_KEY_FORMAT_TYPE_NOT_SUPPORTED, name);
    }

    out = t_register_pgp(1, 1, 4);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a PGP Key in KMIP 1.1, which has none: Invalid Field");

    out = t_register_pgp(2, 1, -1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_MISSING_DATA,
          "a PGP Key without its PGP Key Version: Missing Data");
}


static void
t_certificate_requests(void)
{
    ngx_str_t                 *u, uid;
    ngx_kmip_item_t           *cr, *ty, *va;
    ngx_kmip_response_item_t  *out;

    static const u_char  csr[] = "-----BEGIN CERTIFICATE REQUEST-----";

    out = t_register_typed(2, NGX_KMIP_OBJECT_TYPE_CERTIFICATE_REQUEST,
                           NGX_KMIP_CERTIFICATE_REQUEST_TYPE_PEM, csr,
                           sizeof(csr) - 1);
    u = t_uid_of(&out[0]);
    if (!t_got(u, "Register of a Certificate Request")) {
        return;
    }

    uid = *u;
    out = t_one(2, 1, NGX_KMIP_OP_GET, &uid);
    cr = t_find(&out[0], NGX_KMIP_TAG_CERTIFICATE_REQUEST);
    ty = ngx_kmip_ttlv_find(cr, NGX_KMIP_TAG_CERTIFICATE_REQUEST_TYPE);
    va = ngx_kmip_ttlv_find(cr, NGX_KMIP_TAG_CERTIFICATE_REQUEST_VALUE);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && ty && ty->v.num == NGX_KMIP_CERTIFICATE_REQUEST_TYPE_PEM
          && va && va->v.str.len == sizeof(csr) - 1
          && memcmp(va->v.str.data, csr, va->v.str.len) == 0,
          "Get of it: its type and bytes as given");

    out = t_register_typed(1, NGX_KMIP_OBJECT_TYPE_CERTIFICATE_REQUEST,
                           NGX_KMIP_CERTIFICATE_REQUEST_TYPE_PEM, csr,
                           sizeof(csr) - 1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a Certificate Request in KMIP 1.4, which has none: Invalid "
          "Field");

    out = t_register_typed(2, NGX_KMIP_OBJECT_TYPE_CERTIFICATE_REQUEST,
                           NGX_KMIP_CERTIFICATE_REQUEST_TYPE_PEM, csr, 0);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "an empty Certificate Request: Invalid Field");
}


void
t_blob_objects(void)
{
    t_pgp_keys();
    t_certificate_requests();
}
