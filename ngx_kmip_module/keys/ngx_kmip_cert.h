
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_CERT_H_INCLUDED_
#define _NGX_KMIP_CERT_H_INCLUDED_


#include "ngx_kmip_keys.h"


/*
 * X.509 certificates (keys/ngx_kmip_cert.c): a DER certificate read once,
 * at Register, into what KMIP's certificate attributes say of it; every
 * byte in the caller's allocator.  Plain C over OpenSSL 3 like the rest of
 * keys/.  The certificate is not verified (no chain, no dates): a key
 * server keeps what it is given; it is only parsed strictly (one DER
 * object spanning the bytes, an X.509 v1 to v3 certificate).
 */


typedef struct {
    const uint8_t          *data;
    size_t                  len;
} ngx_kmip_cert_str_t;


/* one attribute of a name: its KMIP 2.x attribute (Certificate Subject CN
   ... Certificate Issuer DN Qualifier) and its UTF-8 value */
typedef struct {
    uint32_t                tag;
    ngx_kmip_cert_str_t     value;
} ngx_kmip_cert_rdn_t;


typedef struct {
    ngx_kmip_cert_str_t    *v;
    size_t                  n;
} ngx_kmip_cert_list_t;


typedef struct {
    uint32_t                certificate_type;   /* X.509 */
    int32_t                 length;             /* Certificate Length: the
                                                   DER's bytes */
    uint32_t                signature_algorithm; /* Digital Signature
                                                   Algorithm; 0 if KMIP has
                                                   none (Ed25519) */
    int                     version;            /* 1 to 3 */
    int64_t                 not_before;         /* Unix seconds */
    int64_t                 not_after;

    /* KMIP 1.2+: X.509 Certificate Identifier, Subject, Issuer */
    ngx_kmip_cert_str_t     serial;             /* the serial number: its
                                                   DER INTEGER's content */
    ngx_kmip_cert_str_t     issuer_der;         /* DER Name */
    ngx_kmip_cert_str_t     subject_der;
    ngx_kmip_cert_list_t    subject_alt_der;    /* DER GeneralName each */
    ngx_kmip_cert_list_t    issuer_alt_der;

    /* KMIP 1.0: Certificate Identifier, Subject, Issuer, as text */
    ngx_kmip_cert_str_t     serial_text;        /* decimal */
    ngx_kmip_cert_str_t     issuer_text;        /* RFC 2253 */
    ngx_kmip_cert_str_t     subject_text;
    ngx_kmip_cert_list_t    subject_alt;        /* "DNS:host", "IP
                                                   Address:10.0.0.1" ... */
    ngx_kmip_cert_list_t    issuer_alt;

    /* KMIP 2.x: Certificate Subject CN, O ... Certificate Issuer CN ... */
    ngx_kmip_cert_rdn_t    *rdn;
    size_t                  nrdn;

    /* the public key, for the link to a Public Key object */
    ngx_kmip_cert_str_t     spki;               /* SubjectPublicKeyInfo */
    int                     key_rc;             /* NGX_KMIP_KEYS_OK when the
                                                   layer knows the key */
    ngx_kmip_key_info_t     key;
} ngx_kmip_cert_t;


int ngx_kmip_cert_parse(ngx_kmip_allocator_t *a, const uint8_t *der,
    size_t len, ngx_kmip_cert_t *cert, ngx_kmip_keys_error_t *err);

/*
 * The value of one certificate attribute as KMIP encodes it, by the
 * attribute's tag: Certificate Type, Certificate Length, Digital Signature
 * Algorithm, X.509 Certificate Identifier / Subject / Issuer, Certificate
 * Identifier / Subject / Issuer (1.0), and the 2.x name attributes
 * (Certificate Subject CN ..., the first value of each).  *out is NULL
 * when the certificate has no such value (a name without an O, say);
 * NGX_KMIP_KEYS_ERR_FORMAT for a tag that is not a certificate attribute.
 */
int ngx_kmip_cert_attribute(ngx_kmip_allocator_t *a, const ngx_kmip_cert_t *c,
    uint32_t tag, ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err);


#endif /* _NGX_KMIP_CERT_H_INCLUDED_ */
