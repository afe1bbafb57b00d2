
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Certify (1.4 4.7, 2.1 6.1.6) with a CA the test makes: a PKCS#10
 * request for a key pair's public key certified, the certificate as
 * stored (its DER verified with the CA's key, its attributes) and the
 * links both ways, the ID Placeholder, a request alone, and the
 * refusals; Re-certify (1.4 4.8, 2.1 6.1.45) of that certificate, with
 * and without a request: a new one for the same key and subject, the
 * Replaced and Replacement Object Links, the Public Key's Certificate
 * Link moved; without a CA, neither is run nor listed.
 */


#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ngx_kmip_test_ops.h"


static EVP_PKEY  *t_ca_key;
static X509      *t_ca_cert;


static void
t_make_ca(void)
{
    X509_NAME       *name;
    X509_EXTENSION  *ext;
    X509V3_CTX       v3;

    t_ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    t_ca_cert = X509_new();
    name = X509_get_subject_name(t_ca_cert);

    X509_set_version(t_ca_cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(t_ca_cert), 7);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *) "unit CA", -1, -1, 0);
    X509_set_issuer_name(t_ca_cert, name);
    X509_gmtime_adj(X509_getm_notBefore(t_ca_cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(t_ca_cert), 86400);
    X509_set_pubkey(t_ca_cert, t_ca_key);

    X509V3_set_ctx(&v3, t_ca_cert, t_ca_cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                              "critical,CA:TRUE");
    X509_add_ext(t_ca_cert, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(t_ca_cert, t_ca_key, EVP_sha256());
}


/* a PKCS#10 request, CN=disk-7, for the kept private key priv: DER */

static ngx_str_t *
t_request_for(ngx_str_t *priv)
{
    int                 n;
    uint8_t            *der;
    EVP_PKEY           *key;
    X509_REQ           *csr;
    ngx_str_t          *out;
    const uint8_t      *p;
    ngx_kmip_object_t  *o;

    o = ngx_kmip_store_memory_find(t_mem, priv);
    if (o == NULL) {
        return NULL;
    }

    p = o->material.data;
    key = d2i_AutoPrivateKey(NULL, &p, (long) o->material.len);

    csr = X509_REQ_new();
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(csr), "CN",
                               MBSTRING_ASC,
                               (const unsigned char *) "disk-7", -1, -1, 0);
    X509_REQ_set_pubkey(csr, key);
    X509_REQ_sign(csr, key, EVP_sha256());

    der = NULL;
    n = i2d_X509_REQ(csr, &der);

    out = t_unhex("");
    out->data = t_alloc()->alloc(t_alloc()->data, (size_t) n);
    ngx_memcpy(out->data, der, (size_t) n);
    out->len = (size_t) n;

    OPENSSL_free(der);
    X509_REQ_free(csr);
    EVP_PKEY_free(key);

    return out;
}


/* a PKCS#10 request in the version's field */

static void
t_request_value(ngx_kmip_item_t *p, ngx_uint_t major, ngx_str_t *csr)
{
    (void) t_value(p, NGX_KMIP_TAG_CERTIFICATE_REQUEST_TYPE,
                   NGX_KMIP_TYPE_ENUMERATION,
                   NGX_KMIP_CERTIFICATE_REQUEST_TYPE_PKCS_10);
    ngx_kmip_ttlv_add_bytes(t_alloc(), p,
                            major >= 2
                            ? NGX_KMIP_TAG_CERTIFICATE_REQUEST_VALUE
                            : NGX_KMIP_TAG_CERTIFICATE_REQUEST,
                            csr->data, csr->len);
}


static ngx_kmip_item_t *
t_certify_item(t_request_t *t, ngx_uint_t major, ngx_str_t *key,
    ngx_str_t *csr, int64_t cert_type)
{
    ngx_kmip_item_t  *p, *ta;

    p = t_item(t, NGX_KMIP_OP_CERTIFY);

    if (key) {
        t_uid(p, key);
    }

    if (csr) {
        t_request_value(p, major, csr);
    }

    ta = t_attrs(p, major);
    t_attr(ta, major, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
           NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_VERIFY);

    if (cert_type != -1) {
        t_attr(ta, major, "Certificate Type", NGX_KMIP_TAG_CERTIFICATE_TYPE,
               NGX_KMIP_TYPE_ENUMERATION, cert_type);
    }

    return p;
}


static ngx_kmip_response_item_t *
t_certify(ngx_uint_t major, ngx_str_t *key, ngx_str_t *csr,
    int64_t cert_type)
{
    t_request_t  *t;

    t = t_request(major, major >= 2 ? 1 : 4);
    (void) t_certify_item(t, major, key, csr, cert_type);

    return t_run(t);
}


/* the kept certificate: X.509 issued by the CA, CN=disk-7 */

static ngx_uint_t
t_issued(ngx_str_t *uid)
{
    int                 ok;
    X509               *c;
    char                cn[32];
    const uint8_t      *p;
    ngx_kmip_object_t  *o;

    o = uid ? ngx_kmip_store_memory_find(t_mem, uid) : NULL;
    if (o == NULL || o->object_type != NGX_KMIP_OBJECT_TYPE_CERTIFICATE) {
        return 0;
    }

    p = o->material.data;
    c = d2i_X509(NULL, &p, (long) o->material.len);

    ok = c != NULL && X509_verify(c, t_ca_key) == 1
         && X509_NAME_get_text_by_NID(X509_get_subject_name(c),
                                      NID_commonName, cn, sizeof(cn)) > 0
         && strcmp(cn, "disk-7") == 0
         && t_kept_num(uid, "Certificate Type")
            == NGX_KMIP_CERTIFICATE_TYPE_X_509;

    X509_free(c);

    return ok;
}


static void
t_certify_versions(void)
{
    char                       name[128];
    ngx_str_t                  priv, pub, *csr, *cert, c;
    ngx_uint_t                 major;
    t_request_t               *t;
    ngx_kmip_response_item_t  *out;

    for (major = 1; major <= 2; major++) {
        if (!t_key_pair(major, 0, &priv, &pub)) {
            CHECK(0, "an RSA key pair to certify");
            return;
        }

        csr = t_request_for(&priv);

        out = t_certify(major, &pub, csr, -1);
        cert = t_uid_of(&out[0]);
        snprintf(name, sizeof(name), "KMIP %d: Certify of the Public Key "
                 "by its request: a certificate the CA signed",
                 (int) major);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
              && t_issued(cert), name);

        if (cert == NULL) {
            continue;
        }

        c = *cert;
        snprintf(name, sizeof(name), "KMIP %d: linked both ways",
                 (int) major);
        CHECK(t_links_to(&c, NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK, &pub)
              && t_links_to(&pub, NGX_KMIP_LINK_TYPE_CERTIFICATE_LINK, &c),
              name);

        /* the batch's next item means the certificate */

        t = t_request(major, major >= 2 ? 1 : 4);
        (void) t_certify_item(t, major, &pub, csr, -1);
        (void) t_item(t, NGX_KMIP_OP_GET);
        out = t_run(t);
        snprintf(name, sizeof(name), "KMIP %d: a Get after it gets the "
                 "certificate", (int) major);
        CHECK(out[1].result_status == NGX_KMIP_STATUS_SUCCESS
              && t_find(&out[1], NGX_KMIP_TAG_CERTIFICATE) != NULL, name);

        /* the request alone */

        out = t_certify(major, NULL, csr, -1);
        cert = t_uid_of(&out[0]);
        snprintf(name, sizeof(name), "KMIP %d: a request alone",
                 (int) major);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
              && t_issued(cert), name);
    }
}


/* the kept certificates a and b are for the same public key */

static ngx_uint_t
t_same_key(ngx_str_t *a, ngx_str_t *b)
{
    int                 same;
    X509               *x, *y;
    const uint8_t      *p;
    ngx_kmip_object_t  *oa, *ob;

    oa = ngx_kmip_store_memory_find(t_mem, a);
    ob = ngx_kmip_store_memory_find(t_mem, b);
    if (oa == NULL || ob == NULL) {
        return 0;
    }

    p = oa->material.data;
    x = d2i_X509(NULL, &p, (long) oa->material.len);
    p = ob->material.data;
    y = d2i_X509(NULL, &p, (long) ob->material.len);

    same = x && y && EVP_PKEY_eq(X509_get0_pubkey(x), X509_get0_pubkey(y))
           == 1;

    X509_free(x);
    X509_free(y);

    return same;
}


static ngx_kmip_response_item_t *
t_recertify(ngx_uint_t major, ngx_str_t *cert, ngx_str_t *csr)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_RE_CERTIFY);
    t_uid(p, cert);

    if (csr) {
        t_request_value(p, major, csr);
    }

    return t_run(t);
}


static void
t_recertify_versions(void)
{
    char                       name[128];
    ngx_str_t                  priv, pub, priv2, pub2, *csr, *other;
    ngx_str_t                  c1, c2, c3, *u;
    ngx_uint_t                 major;
    ngx_kmip_response_item_t  *out;

    for (major = 1; major <= 2; major++) {
        if (!t_key_pair(major, 0, &priv, &pub)
            || !t_key_pair(major, 0, &priv2, &pub2))
        {
            CHECK(0, "key pairs to re-certify");
            return;
        }

        csr = t_request_for(&priv);
        other = t_request_for(&priv2);

        u = t_uid_of(&t_certify(major, &pub, csr, -1)[0]);
        if (!t_got(u, "a certificate to renew")) {
            return;
        }

        c1 = *u;

        /* renewed as it is: its subject and key */

        out = t_recertify(major, &c1, NULL);
        u = t_uid_of(&out[0]);
        snprintf(name, sizeof(name), "KMIP %d: Re-certify renews the "
                 "certificate: the CA's, the same key", (int) major);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && u
              && t_issued(u) && t_same_key(u, &c1), name);

        if (u == NULL) {
            continue;
        }

        c2 = *u;
        snprintf(name, sizeof(name), "KMIP %d: replaced and replacement "
                 "linked, the Public Key's link moved", (int) major);
        CHECK(t_links_to(&c2, NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK, &c1)
              && t_links_to(&c1, NGX_KMIP_LINK_TYPE_REPLACEMENT_OBJECT_LINK,
                            &c2)
              && t_links_to(&c2, NGX_KMIP_LINK_TYPE_PUBLIC_KEY_LINK, &pub)
              && t_links_to(&pub, NGX_KMIP_LINK_TYPE_CERTIFICATE_LINK, &c2)
              && !t_links_to(&pub, NGX_KMIP_LINK_TYPE_CERTIFICATE_LINK, &c1),
              name);

        /* renewed by a request for the same key */

        out = t_recertify(major, &c2, csr);
        u = t_uid_of(&out[0]);
        snprintf(name, sizeof(name), "KMIP %d: Re-certify by a request",
                 (int) major);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && u
              && t_issued(u) && t_same_key(u, &c2), name);

        if (u == NULL) {
            continue;
        }

        c3 = *u;

        out = t_recertify(major, &c3, other);
        snprintf(name, sizeof(name), "KMIP %d: a request for another key: "
                 "Invalid Field", (int) major);
        CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD, name);

        out = t_recertify(major, &pub, NULL);
        snprintf(name, sizeof(name), "KMIP %d: Re-certify of a Public Key: "
                 "Invalid Object Type (1.x: Illegal Operation)",
                 (int) major);
        CHECK(t_reason(&out[0]) == (major >= 2
                                    ? NGX_KMIP_REASON_INVALID_OBJECT_TYPE
                                    : NGX_KMIP_REASON_ILLEGAL_OPERATION),
              name);
    }
}


static void
t_certify_refusals(void)
{
    ngx_str_t                  priv, pub, priv2, pub2, *csr, *aes, a;
    ngx_kmip_response_item_t  *out;

    if (!t_key_pair(2, 0, &priv, &pub) || !t_key_pair(2, 1, &priv2, &pub2)) {
        CHECK(0, "key pairs to refuse certificates for");
        return;
    }

    csr = t_request_for(&priv);

    out = t_certify(2, &pub2, csr, -1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a request for another key than the Public Key's: Invalid Field");

    out = t_certify(2, &pub, NULL, -1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
          "a Public Key without a request: Feature Not Supported");

    out = t_certify(2, &pub, csr, NGX_KMIP_CERTIFICATE_TYPE_PGP);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "a PGP certificate: Invalid Field");

    aes = t_create_aes(2, 1);
    if (t_got(aes, "an AES key")) {
        a = *aes;
        out = t_certify(2, &a, csr, -1);
        CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_OBJECT_TYPE,
              "Certify of an AES key: Invalid Object Type");
    }

    csr->data[csr->len - 1] ^= 0x01;
    out = t_certify(2, &pub, csr, -1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_CSR,
          "a forged request: Invalid CSR");
    out = t_certify(1, &pub, csr, -1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_FIELD,
          "the same in 1.4, which has no Invalid CSR: Invalid Field");
}


static void
t_certify_without_ca(void)
{
    ngx_str_t                  u = ngx_string("no-such-key");
    t_request_t               *t;
    ngx_kmip_item_t           *p, *op;
    ngx_uint_t                 listed;
    ngx_kmip_response_item_t  *out;

    out = t_certify(2, &u, &u, -1);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
          "without a CA, Certify is Operation Not Supported");
    out = t_recertify(2, &u, NULL);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
          "and Re-certify too");

    t = t_request(2, 1);
    p = t_item(t, NGX_KMIP_OP_QUERY);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_QUERY_FUNCTION,
                           NGX_KMIP_QUERY_FUNCTION_QUERY_OPERATIONS);
    out = t_run(t);

    listed = 0;

    for (op = t_find(&out[0], NGX_KMIP_TAG_OPERATION); op;
         op = ngx_kmip_ttlv_find_next(op, NGX_KMIP_TAG_OPERATION))
    {
        listed += (op->v.num == NGX_KMIP_OP_CERTIFY);
    }

    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS && listed == 0,
          "nor listed by Query");
}


void
t_certify_ops(void)
{
    t_certify_without_ca();

    if (t_ca_cert == NULL) {
        t_make_ca();
    }

    t_ca(t_ca_cert, t_ca_key);

    t_certify_versions();
    t_recertify_versions();
    t_certify_refusals();

    t_ca(NULL, NULL);
}
