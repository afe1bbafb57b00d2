
/*
 * Copyright (C) ngx_kmip authors
 */


#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ngx_kmip_enums.h"
#include "ngx_kmip_ca.h"


/* a request or a certificate, at most: as a Register takes one */
#define NGX_KMIP_CA_REQUEST_MAX  65536


static X509_REQ *ngx_kmip_ca_read_request(const ngx_kmip_ca_request_t *req,
    ngx_kmip_keys_error_t *err, int *rc);
static int ngx_kmip_ca_subject_key(const ngx_kmip_ca_request_t *req,
    X509_REQ *csr, X509_NAME **subject, EVP_PKEY **pkey,
    ngx_kmip_keys_error_t *err);
static int ngx_kmip_ca_same_key(EVP_PKEY *pkey, const uint8_t *spki,
    size_t len);
static int ngx_kmip_ca_build(X509 *cert, X509 *ca, X509_NAME *subject,
    EVP_PKEY *pkey, X509_REQ *csr, const ngx_kmip_ca_request_t *req);
static int ngx_kmip_ca_extensions(X509 *cert, X509 *ca, X509_REQ *csr);


int
ngx_kmip_ca_issue(ngx_kmip_allocator_t *a, X509 *ca, EVP_PKEY *ca_key,
    const ngx_kmip_ca_request_t *req, uint8_t **der, size_t *len,
    ngx_kmip_keys_error_t *err)
{
    int              rc, n;
    X509            *cert;
    uint8_t         *p;
    X509_REQ        *csr;
    EVP_PKEY        *pkey;
    X509_NAME       *subject;
    const EVP_MD    *md;

    cert = NULL;
    pkey = NULL;
    subject = NULL;

    csr = ngx_kmip_ca_read_request(req, err, &rc);
    if (rc != NGX_KMIP_KEYS_OK) {
        return rc;
    }

    rc = ngx_kmip_ca_subject_key(req, csr, &subject, &pkey, err);
    if (rc != NGX_KMIP_KEYS_OK) {
        goto done;
    }

    cert = X509_new();

    if (cert == NULL
        || ngx_kmip_ca_build(cert, ca, subject, pkey, csr, req) != 1)
    {
        rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CRYPTO,
                                "the certificate could not be made");
        goto done;
    }

    /* Ed25519 and Ed448 keys sign with their own scheme, no digest */

    n = EVP_PKEY_get_base_id(ca_key);
    md = (n == EVP_PKEY_ED25519 || n == EVP_PKEY_ED448) ? NULL : EVP_sha256();

    if (X509_sign(cert, ca_key, md) <= 0) {
        rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_CRYPTO,
                                "the CA key could not sign");
        goto done;
    }

    n = i2d_X509(cert, NULL);
    p = (n > 0) ? a->alloc(a->data, (size_t) n) : NULL;

    if (p == NULL) {
        rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
        goto done;
    }

    *der = p;
    *len = (size_t) i2d_X509(cert, &p);

    rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);

done:

    X509_free(cert);
    X509_REQ_free(csr);

    if (csr == NULL) {
        /* read from the request's own fields: ours to free */
        X509_NAME_free(subject);
        EVP_PKEY_free(pkey);
    }

    return rc;
}


/* the PKCS#10 request, DER or PEM, if any, one object spanning the bytes */

static X509_REQ *
ngx_kmip_ca_read_request(const ngx_kmip_ca_request_t *req,
    ngx_kmip_keys_error_t *err, int *rc)
{
    BIO            *bio;
    X509_REQ       *csr;
    const uint8_t  *p;

    *rc = NGX_KMIP_KEYS_OK;

    if (req->request_type == 0) {
        return NULL;
    }

    if (req->request_len == 0 || req->request_len > NGX_KMIP_CA_REQUEST_MAX) {
        *rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                 "the certificate request is empty or "
                                 "longer than 64 KiB");
        return NULL;
    }

    csr = NULL;

    switch (req->request_type) {

    case NGX_KMIP_CERTIFICATE_REQUEST_TYPE_PKCS_10:
        p = req->request;
        csr = d2i_X509_REQ(NULL, &p, (long) req->request_len);

        if (csr && p != req->request + req->request_len) {
            X509_REQ_free(csr);
            *rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_TRAILING,
                                     "bytes after the certificate request");
            return NULL;
        }

        break;

    case NGX_KMIP_CERTIFICATE_REQUEST_TYPE_PEM:
        bio = BIO_new_mem_buf(req->request, (int) req->request_len);
        if (bio == NULL) {
            *rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
            return NULL;
        }

        csr = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
        BIO_free(bio);
        break;

    default:
        *rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_FORMAT,
                                 "certificate requests are PKCS#10, in DER "
                                 "or PEM");
        return NULL;
    }

    if (csr == NULL) {
        *rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                 "the certificate request does not parse");
        return NULL;
    }

    if (X509_REQ_verify(csr, X509_REQ_get0_pubkey(csr)) != 1) {
        X509_REQ_free(csr);
        *rc = ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_INVALID,
                                 "the certificate request's signature does "
                                 "not verify");
        return NULL;
    }

    return csr;
}


/*
 * The subject and the public key: the request's (its key must be spki's,
 * if given), else spki and the subject given
 */

static int
ngx_kmip_ca_subject_key(const ngx_kmip_ca_request_t *req, X509_REQ *csr,
    X509_NAME **subject, EVP_PKEY **pkey, ngx_kmip_keys_error_t *err)
{
    const uint8_t  *p;

    if (csr) {
        *subject = X509_REQ_get_subject_name(csr);
        *pkey = X509_REQ_get0_pubkey(csr);

        if (req->spki && !ngx_kmip_ca_same_key(*pkey, req->spki,
                                               req->spki_len))
        {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_MISMATCH,
                                      "the certificate request is for "
                                      "another key than the Public Key "
                                      "named");
        }

    } else {
        if (req->spki == NULL || req->subject == NULL) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                      "a certificate needs a request, or "
                                      "a public key and a subject");
        }

        p = req->spki;
        *pkey = d2i_PUBKEY(NULL, &p, (long) req->spki_len);

        p = req->subject;
        *subject = d2i_X509_NAME(NULL, &p, (long) req->subject_len);

        if (*pkey == NULL || *subject == NULL) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                      "the public key or the subject does "
                                      "not parse");
        }
    }

    if (X509_NAME_entry_count(*subject) == 0) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_STRUCTURE,
                                  "the subject is empty");
    }

    if (EVP_PKEY_get_base_id(*pkey) == EVP_PKEY_RSA
        && EVP_PKEY_get_bits(*pkey) < 2048)
    {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_WEAK,
                                  "RSA keys of less than 2048 bits are not "
                                  "certified");
    }

    return NGX_KMIP_KEYS_OK;
}


static int
ngx_kmip_ca_same_key(EVP_PKEY *pkey, const uint8_t *spki, size_t len)
{
    int       n, same;
    uint8_t  *der;

    der = NULL;
    n = i2d_PUBKEY(pkey, &der);

    same = (n > 0 && (size_t) n == len && memcmp(der, spki, len) == 0);

    OPENSSL_free(der);

    return same;
}


/* version 3, a random positive serial, the names, dates and key */

static int
ngx_kmip_ca_build(X509 *cert, X509 *ca, X509_NAME *subject, EVP_PKEY *pkey,
    X509_REQ *csr, const ngx_kmip_ca_request_t *req)
{
    int             ok;
    BIGNUM         *bn;
    ASN1_INTEGER   *serial;

    bn = BN_new();
    serial = NULL;

    ok = bn != NULL
         && BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1
         && (serial = BN_to_ASN1_INTEGER(bn, NULL)) != NULL
         && X509_set_version(cert, X509_VERSION_3) == 1
         && X509_set_serialNumber(cert, serial) == 1
         && X509_set_issuer_name(cert, X509_get_subject_name(ca)) == 1
         && X509_set_subject_name(cert, subject) == 1
         && ASN1_TIME_set(X509_getm_notBefore(cert),
                          (time_t) req->not_before) != NULL
         && ASN1_TIME_set(X509_getm_notAfter(cert),
                          (time_t) req->not_after) != NULL
         && X509_set_pubkey(cert, pkey) == 1
         && ngx_kmip_ca_extensions(cert, ca, csr) == 1;

    ASN1_INTEGER_free(serial);
    BN_free(bn);

    return ok;
}


/*
 * Basic Constraints CA:FALSE (critical), the key identifiers, and of the
 * request's extensions the names and the uses it asks for
 */

static int
ngx_kmip_ca_extensions(X509 *cert, X509 *ca, X509_REQ *csr)
{
    int                     i, ok, nid;
    X509_EXTENSION         *ext;
    X509V3_CTX              v3;
    STACK_OF(X509_EXTENSION)  *exts;

    static const struct {
        int                 nid;
        const char         *value;
    } own[] = {
        { NID_basic_constraints, "critical,CA:FALSE" },
        { NID_subject_key_identifier, "hash" },
        { NID_authority_key_identifier, "keyid" },
    };

    X509V3_set_ctx(&v3, ca, cert, NULL, NULL, 0);

    for (i = 0; i < (int) (sizeof(own) / sizeof(own[0])); i++) {

        /* the Authority Key Identifier is the CA's Subject Key one */
        if (own[i].nid == NID_authority_key_identifier
            && X509_get0_subject_key_id(ca) == NULL)
        {
            continue;
        }

        ext = X509V3_EXT_conf_nid(NULL, &v3, own[i].nid, own[i].value);

        if (ext == NULL) {
            return 0;
        }

        ok = X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);

        if (ok != 1) {
            return 0;
        }
    }

    if (csr == NULL) {
        return 1;
    }

    exts = X509_REQ_get_extensions(csr);
    ok = 1;

    for (i = 0; ok && i < sk_X509_EXTENSION_num(exts); i++) {
        ext = sk_X509_EXTENSION_value(exts, i);
        nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));

        if (nid == NID_subject_alt_name || nid == NID_key_usage
            || nid == NID_ext_key_usage)
        {
            ok = (X509_add_ext(cert, ext, -1) == 1);
        }
    }

    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

    return ok;
}
