/*
 * Unit tests of the certificates Certify and Re-certify issue
 * (keys/ngx_kmip_ca.c): a PKCS#10 request in DER and in PEM certified by
 * an EC and by an Ed25519 CA, the certificate read back with OpenSSL (its
 * issuer, subject, key, dates, the extensions kept and the one a request
 * may not have), a renewal from a public key and a subject, and the
 * refusals: a forged request, another key, a weak key, trailing bytes.
 * Plain C over OpenSSL, no nginx.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ngx_kmip_enums.h"
#include "ngx_kmip_ca.h"

#include "ngx_kmip_test_check.h"


static void *
t_alloc(void *data, size_t size)
{
    (void) data;
    return malloc(size);
}


static ngx_kmip_allocator_t  A = { t_alloc, NULL };


static EVP_PKEY *
t_key(const char *type)
{
    if (strcmp(type, "RSA") == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    }

    if (strcmp(type, "RSA1024") == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 1024);
    }

    if (strcmp(type, "EC") == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    }

    return EVP_PKEY_Q_keygen(NULL, NULL, type);
}


static X509 *
t_ca(EVP_PKEY *key)
{
    X509            *ca;
    X509_NAME       *name;
    X509_EXTENSION  *ext;
    X509V3_CTX       v3;

    ca = X509_new();
    name = X509_get_subject_name(ca);

    X509_set_version(ca, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(ca), 1);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *) "ngx_kmip test CA",
                               -1, -1, 0);
    X509_set_issuer_name(ca, name);
    X509_gmtime_adj(X509_getm_notBefore(ca), 0);
    X509_gmtime_adj(X509_getm_notAfter(ca), 86400);
    X509_set_pubkey(ca, key);

    X509V3_set_ctx(&v3, ca, ca, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                              "critical,CA:TRUE");
    X509_add_ext(ca, ext, -1);
    X509_EXTENSION_free(ext);

    X509_sign(ca, key, EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519
                       ? NULL : EVP_sha256());

    return ca;
}


/* a request for key, CN=vm-1, a DNS name, and a CA:TRUE it may not get */

static X509_REQ *
t_csr(EVP_PKEY *key)
{
    X509_REQ                  *csr;
    X509_NAME                 *name;
    X509_EXTENSION            *ext;
    STACK_OF(X509_EXTENSION)  *exts;

    csr = X509_REQ_new();
    name = X509_REQ_get_subject_name(csr);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *) "vm-1", -1, -1, 0);
    X509_REQ_set_pubkey(csr, key);

    exts = sk_X509_EXTENSION_new_null();
    ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
                              "DNS:vm-1.example");
    sk_X509_EXTENSION_push(exts, ext);
    ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
                              "critical,CA:TRUE");
    sk_X509_EXTENSION_push(exts, ext);
    X509_REQ_add_extensions(csr, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

    X509_REQ_sign(csr, key, EVP_sha256());

    return csr;
}


static int
t_der(X509_REQ *csr, uint8_t **der)
{
    *der = NULL;
    return i2d_X509_REQ(csr, der);
}


static int
t_spki(EVP_PKEY *key, uint8_t **der)
{
    *der = NULL;
    return i2d_PUBKEY(key, der);
}


/* the certificate: issued by ca, of key, CN=vm-1 with its DNS name, not
   a CA, for the dates asked */

static int
t_cert_ok(uint8_t *der, size_t len, X509 *ca, EVP_PKEY *ca_key,
    EVP_PKEY *key, int64_t nb, int64_t na)
{
    int                     ok, crit;
    X509                   *c;
    const uint8_t          *p;
    BASIC_CONSTRAINTS      *bc;
    GENERAL_NAMES          *san;
    char                    cn[64];

    p = der;
    c = d2i_X509(NULL, &p, (long) len);
    if (c == NULL) {
        return 0;
    }

    bc = X509_get_ext_d2i(c, NID_basic_constraints, &crit, NULL);
    san = X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL);

    ok = X509_verify(c, ca_key) == 1
         && X509_NAME_cmp(X509_get_issuer_name(c),
                          X509_get_subject_name(ca)) == 0
         && X509_NAME_get_text_by_NID(X509_get_subject_name(c),
                                      NID_commonName, cn, sizeof(cn)) > 0
         && strcmp(cn, "vm-1") == 0
         && EVP_PKEY_eq(X509_get0_pubkey(c), key) == 1
         && bc != NULL && !bc->ca && crit == 1
         && ASN1_TIME_cmp_time_t(X509_get0_notBefore(c), (time_t) nb) == 0
         && ASN1_TIME_cmp_time_t(X509_get0_notAfter(c), (time_t) na) == 0
         && X509_get_version(c) == X509_VERSION_3;

    BASIC_CONSTRAINTS_free(bc);
    GENERAL_NAMES_free(san);
    X509_free(c);

    return ok;
}


static int
t_has_san(uint8_t *der, size_t len)
{
    int              n;
    X509            *c;
    const uint8_t   *p;
    GENERAL_NAMES   *san;

    p = der;
    c = d2i_X509(NULL, &p, (long) len);
    san = c ? X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL) : NULL;
    n = san ? sk_GENERAL_NAME_num(san) : 0;

    GENERAL_NAMES_free(san);
    X509_free(c);

    return n == 1;
}


static void
t_issue_with(const char *ca_type)
{
    int                     n, m;
    char                    name[128];
    BIO                    *bio;
    X509                   *ca;
    size_t                  len;
    uint8_t                *der, *csr_der, *spki, *subject;
    EVP_PKEY               *ca_key, *key, *other;
    X509_REQ               *csr;
    ngx_kmip_keys_error_t   err;
    ngx_kmip_ca_request_t   req;
    char                   *pem;
    long                    pem_len;

    ca_key = t_key(ca_type);
    ca = t_ca(ca_key);
    key = t_key("RSA");
    csr = t_csr(key);
    n = t_der(csr, &csr_der);

    memset(&req, 0, sizeof(req));
    req.request_type = NGX_KMIP_CERTIFICATE_REQUEST_TYPE_PKCS_10;
    req.request = csr_der;
    req.request_len = (size_t) n;
    req.not_before = 1767225600;        /* 2026-01-01 */
    req.not_after = 1798761600;         /* 2027-01-01 */

    snprintf(name, sizeof(name), "%s CA: a PKCS#10 request certified",
             ca_type);
    der = NULL;
    CHECK(ngx_kmip_ca_issue(&A, ca, ca_key, &req, &der, &len, &err)
          == NGX_KMIP_KEYS_OK
          && t_cert_ok(der, len, ca, ca_key, key, req.not_before,
                       req.not_after)
          && t_has_san(der, len), name);
    free(der);

    /* the same request in PEM, with the key named too */

    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_REQ(bio, csr);
    pem_len = BIO_get_mem_data(bio, &pem);
    req.request_type = NGX_KMIP_CERTIFICATE_REQUEST_TYPE_PEM;
    req.request = (uint8_t *) pem;
    req.request_len = (size_t) pem_len;
    m = t_spki(key, &spki);
    req.spki = spki;
    req.spki_len = (size_t) m;

    snprintf(name, sizeof(name), "%s CA: the request in PEM, for the "
             "Public Key named", ca_type);
    der = NULL;
    CHECK(ngx_kmip_ca_issue(&A, ca, ca_key, &req, &der, &len, &err)
          == NGX_KMIP_KEYS_OK
          && t_cert_ok(der, len, ca, ca_key, key, req.not_before,
                       req.not_after), name);
    free(der);

    /* another key than the request's */

    other = t_key("EC");
    OPENSSL_free(spki);
    m = t_spki(other, &spki);
    req.spki = spki;
    req.spki_len = (size_t) m;
    CHECK(ngx_kmip_ca_issue(&A, ca, ca_key, &req, &der, &len, &err)
          == NGX_KMIP_KEYS_ERR_MISMATCH, "a request for another key");
    BIO_free(bio);

    /* renewal: the key and the subject, no request */

    OPENSSL_free(spki);
    m = t_spki(key, &spki);
    subject = NULL;
    n = i2d_X509_NAME(X509_REQ_get_subject_name(csr), &subject);
    memset(&req, 0, sizeof(req));
    req.spki = spki;
    req.spki_len = (size_t) m;
    req.subject = subject;
    req.subject_len = (size_t) n;
    req.not_before = 1767225600;
    req.not_after = 1798761600;

    snprintf(name, sizeof(name), "%s CA: a renewal of a key and a subject",
             ca_type);
    der = NULL;
    CHECK(ngx_kmip_ca_issue(&A, ca, ca_key, &req, &der, &len, &err)
          == NGX_KMIP_KEYS_OK
          && t_cert_ok(der, len, ca, ca_key, key, req.not_before,
                       req.not_after)
          && !t_has_san(der, len), name);
    free(der);

    OPENSSL_free(subject);
    OPENSSL_free(spki);
    OPENSSL_free(csr_der);
    EVP_PKEY_free(other);
    X509_REQ_free(csr);
    EVP_PKEY_free(key);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
}


static void
t_refusals(void)
{
    int                     n;
    X509                   *ca;
    size_t                  len;
    uint8_t                *der, *csr_der, *long_der;
    EVP_PKEY               *ca_key, *weak;
    X509_REQ               *csr;
    ngx_kmip_keys_error_t   err;
    ngx_kmip_ca_request_t   req;

    ca_key = t_key("EC");
    ca = t_ca(ca_key);
    weak = t_key("RSA1024");
    csr = t_csr(weak);
    n = t_der(csr, &csr_der);

    memset(&req, 0, sizeof(req));
    req.request_type = NGX_KMIP_CERTIFICATE_REQUEST_TYPE_PKCS_10;
    req.request = csr_der;
    req.request_len = (size_t) n;
    req.not_after = 1798761600;

    CHECK(ngx_kmip_ca_issue(&A, ca, ca_key, &req, &der, &len, &err)
          == NGX_KMIP_KEYS_ERR_WEAK, "an RSA 1024 key: weak");

    /* a forged request: its signature's last byte changed */

    csr_der[n - 1] ^= 0x01;
    CHECK(ngx_kmip_ca_issue(&A, ca, ca_key, &req, &der, &len, &err)
          == NGX_KMIP_KEYS_ERR_INVALID, "a request whose signature fails");
    csr_der[n - 1] ^= 0x01;

    long_der = malloc((size_t) n + 1);
    memcpy(long_der, csr_der, (size_t) n);
    long_der[n] = 0;
    req.request = long_der;
    req.request_len = (size_t) n + 1;
    CHECK(ngx_kmip_ca_issue(&A, ca, ca_key, &req, &der, &len, &err)
          == NGX_KMIP_KEYS_ERR_TRAILING, "a byte after the request");

    req.request_len = 10;
    CHECK(ngx_kmip_ca_issue(&A, ca, ca_key, &req, &der, &len, &err)
          == NGX_KMIP_KEYS_ERR_ENCODING, "a truncated request");

    req.request_type = NGX_KMIP_CERTIFICATE_REQUEST_TYPE_CRMF;
    CHECK(ngx_kmip_ca_issue(&A, ca, ca_key, &req, &der, &len, &err)
          == NGX_KMIP_KEYS_ERR_FORMAT, "a CRMF request: not offered");

    memset(&req, 0, sizeof(req));
    CHECK(ngx_kmip_ca_issue(&A, ca, ca_key, &req, &der, &len, &err)
          == NGX_KMIP_KEYS_ERR_STRUCTURE, "neither request nor key");

    free(long_der);
    OPENSSL_free(csr_der);
    X509_REQ_free(csr);
    EVP_PKEY_free(weak);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
}


int
main(void)
{
    t_issue_with("EC");
    t_issue_with("ED25519");
    t_refusals();

    return ngx_kmip_test_report("test_ca: ");
}
