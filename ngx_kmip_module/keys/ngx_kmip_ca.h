
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_CA_H_INCLUDED_
#define _NGX_KMIP_CA_H_INCLUDED_


#include <openssl/x509.h>

#include "ngx_kmip_keys.h"


/*
 * The certificates Certify and Re-certify issue (1.4 4.7, 4.8; 2.1 6.1.6,
 * 6.1.45), signed by the certificate authority the configuration names
 * (kmip_ca_certificate, kmip_ca_certificate_key). Plain C over OpenSSL 3
 * like the rest of keys/.
 *
 * What is certified is a PKCS#10 request (DER, or PEM), whose signature
 * must verify; or, to renew a certificate, a public key and a subject as
 * they are. The certificate takes the subject and the public key, and of
 * the request's extensions only the Subject Alternative Name, Key Usage
 * and Extended Key Usage: a request never makes a CA (Basic Constraints
 * CA:FALSE, critical). It has a random 159-bit serial, the validity asked
 * for, the Subject and Authority Key Identifiers, and is signed with
 * SHA-256 (or the CA key's own scheme, Ed25519). RSA keys under 2048 bits
 * are refused (NGX_KMIP_KEYS_ERR_WEAK).
 */


typedef struct {
    uint32_t                request_type;   /* Certificate Request Type:
                                               PKCS#10 or PEM; 0: none */
    const uint8_t          *request;
    size_t                  request_len;
    const uint8_t          *spki;           /* the public key certified
                                               (SubjectPublicKeyInfo) or
                                               NULL; a request's must be
                                               it */
    size_t                  spki_len;
    const uint8_t          *subject;        /* DER Name, without a
                                               request */
    size_t                  subject_len;
    int64_t                 not_before;     /* Unix seconds */
    int64_t                 not_after;
} ngx_kmip_ca_request_t;


/*
 * The certificate, DER in the caller's allocator. NGX_KMIP_KEYS_ERR_INVALID
 * for a request whose signature does not verify, _ENCODING for one that
 * does not parse, _MISMATCH for a request of another key than spki.
 */
int ngx_kmip_ca_issue(ngx_kmip_allocator_t *a, X509 *ca, EVP_PKEY *ca_key,
    const ngx_kmip_ca_request_t *req, uint8_t **der, size_t *len,
    ngx_kmip_keys_error_t *err);


#endif /* _NGX_KMIP_CA_H_INCLUDED_ */
