
/*
 * Copyright (C) ngx_kmip authors
 */


#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ngx_kmip_cert.h"


typedef struct {
    int           nid;
    uint32_t      signature;
} ngx_kmip_cert_sig_t;


static const ngx_kmip_cert_sig_t  ngx_kmip_cert_sigs[] = {
    { NID_md2WithRSAEncryption,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_MD2_WITH_RSA_ENCRYPTION },
    { NID_md5WithRSAEncryption,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_MD5_WITH_RSA_ENCRYPTION },
    { NID_sha1WithRSAEncryption,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA_1_WITH_RSA_ENCRYPTION },
    { NID_sha224WithRSAEncryption,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA_224_WITH_RSA_ENCRYPTION },
    { NID_sha256WithRSAEncryption,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA_256_WITH_RSA_ENCRYPTION },
    { NID_sha384WithRSAEncryption,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA_384_WITH_RSA_ENCRYPTION },
    { NID_sha512WithRSAEncryption,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA_512_WITH_RSA_ENCRYPTION },
    { NID_rsassaPss, NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_RSASSA_PSS },
    { NID_dsaWithSHA1, NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_DSA_WITH_SHA_1 },
    { NID_dsa_with_SHA224,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_DSA_WITH_SHA224 },
    { NID_dsa_with_SHA256,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_DSA_WITH_SHA256 },
    { NID_ecdsa_with_SHA1,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_ECDSA_WITH_SHA_1 },
    { NID_ecdsa_with_SHA224,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_ECDSA_WITH_SHA224 },
    { NID_ecdsa_with_SHA256,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_ECDSA_WITH_SHA256 },
    { NID_ecdsa_with_SHA384,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_ECDSA_WITH_SHA384 },
    { NID_ecdsa_with_SHA512,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_ECDSA_WITH_SHA512 },
    { NID_RSA_SHA3_256,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA3_256_WITH_RSA_ENCRYPTION },
    { NID_RSA_SHA3_384,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA3_384_WITH_RSA_ENCRYPTION },
    { NID_RSA_SHA3_512,
      NGX_KMIP_DIGITAL_SIGNATURE_ALGORITHM_SHA3_512_WITH_RSA_ENCRYPTION },
    { NID_undef, 0 }
};


/* the name attributes KMIP 2.x has, by their Certificate Subject tag; the
   Certificate Issuer tag of each is NGX_KMIP_CERT_ISSUER_OFFSET above */
typedef struct {
    int           nid;
    uint32_t      tag;
} ngx_kmip_cert_rdn_map_t;


#define NGX_KMIP_CERT_ISSUER_OFFSET                                           \
    (NGX_KMIP_TAG_CERTIFICATE_ISSUER_CN - NGX_KMIP_TAG_CERTIFICATE_SUBJECT_CN)


static const ngx_kmip_cert_rdn_map_t  ngx_kmip_cert_rdns[] = {
    { NID_commonName, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_CN },
    { NID_organizationName, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_O },
    { NID_organizationalUnitName, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_OU },
    { NID_pkcs9_emailAddress, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_EMAIL },
    { NID_countryName, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_C },
    { NID_stateOrProvinceName, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_ST },
    { NID_localityName, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_L },
    { NID_userId, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_UID },
    { NID_serialNumber, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_SERIAL_NUMBER },
    { NID_title, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_TITLE },
    { NID_domainComponent, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_DC },
    { NID_dnQualifier, NGX_KMIP_TAG_CERTIFICATE_SUBJECT_DN_QUALIFIER },
    { NID_undef, 0 }
};


/*
 * the structured attributes: a first field, then a second one or, where
 * a list is named, one second field per element of the list (offsets into
 * ngx_kmip_cert_t; 0 for none, which no string field is at)
 */
typedef struct {
    uint32_t      tag;
    uint8_t       type;
    uint32_t      tag1;
    size_t        first;
    uint32_t      tag2;
    size_t        second;
    size_t        list;
} ngx_kmip_cert_struct_t;


#define ngx_kmip_cert_off(f)  offsetof(ngx_kmip_cert_t, f)

static const ngx_kmip_cert_struct_t  ngx_kmip_cert_structs[] = {
    { NGX_KMIP_TAG_X_509_CERTIFICATE_IDENTIFIER, NGX_KMIP_TYPE_BYTE_STRING,
      NGX_KMIP_TAG_ISSUER_DISTINGUISHED_NAME, ngx_kmip_cert_off(issuer_der),
      NGX_KMIP_TAG_CERTIFICATE_SERIAL_NUMBER, ngx_kmip_cert_off(serial), 0 },
    { NGX_KMIP_TAG_X_509_CERTIFICATE_SUBJECT, NGX_KMIP_TYPE_BYTE_STRING,
      NGX_KMIP_TAG_SUBJECT_DISTINGUISHED_NAME, ngx_kmip_cert_off(subject_der),
      NGX_KMIP_TAG_SUBJECT_ALTERNATIVE_NAME, 0,
      ngx_kmip_cert_off(subject_alt_der) },
    { NGX_KMIP_TAG_X_509_CERTIFICATE_ISSUER, NGX_KMIP_TYPE_BYTE_STRING,
      NGX_KMIP_TAG_ISSUER_DISTINGUISHED_NAME, ngx_kmip_cert_off(issuer_der),
      NGX_KMIP_TAG_ISSUER_ALTERNATIVE_NAME, 0,
      ngx_kmip_cert_off(issuer_alt_der) },
    { NGX_KMIP_TAG_CERTIFICATE_IDENTIFIER, NGX_KMIP_TYPE_TEXT_STRING,
      NGX_KMIP_TAG_ISSUER, ngx_kmip_cert_off(issuer_text),
      NGX_KMIP_TAG_SERIAL_NUMBER, ngx_kmip_cert_off(serial_text), 0 },
    { NGX_KMIP_TAG_CERTIFICATE_SUBJECT, NGX_KMIP_TYPE_TEXT_STRING,
      NGX_KMIP_TAG_CERTIFICATE_SUBJECT_DISTINGUISHED_NAME,
      ngx_kmip_cert_off(subject_text),
      NGX_KMIP_TAG_CERTIFICATE_SUBJECT_ALTERNATIVE_NAME, 0,
      ngx_kmip_cert_off(subject_alt) },
    { NGX_KMIP_TAG_CERTIFICATE_ISSUER, NGX_KMIP_TYPE_TEXT_STRING,
      NGX_KMIP_TAG_CERTIFICATE_ISSUER_DISTINGUISHED_NAME,
      ngx_kmip_cert_off(issuer_text),
      NGX_KMIP_TAG_CERTIFICATE_ISSUER_ALTERNATIVE_NAME, 0,
      ngx_kmip_cert_off(issuer_alt) },
    { 0, 0, 0, 0, 0, 0, 0 }
};


static int ngx_kmip_cert_copy(ngx_kmip_allocator_t *a,
    ngx_kmip_cert_str_t *s, const void *p, size_t n);
static int ngx_kmip_cert_bio(ngx_kmip_allocator_t *a, ngx_kmip_cert_str_t *s,
    BIO *bio);
static int ngx_kmip_cert_name(ngx_kmip_allocator_t *a, const X509_NAME *name,
    ngx_kmip_cert_str_t *der, ngx_kmip_cert_str_t *text);
static int ngx_kmip_cert_rdns_of(ngx_kmip_allocator_t *a,
    const X509_NAME *name, uint32_t offset, ngx_kmip_cert_t *c);
static int ngx_kmip_cert_alt(ngx_kmip_allocator_t *a, X509 *x, int nid,
    ngx_kmip_cert_list_t *der, ngx_kmip_cert_list_t *text);
static int ngx_kmip_cert_serial(ngx_kmip_allocator_t *a, X509 *x,
    ngx_kmip_cert_t *c);
static int ngx_kmip_cert_time(const ASN1_TIME *t, int64_t *out);
static ngx_kmip_item_t *ngx_kmip_cert_struct(ngx_kmip_allocator_t *a,
    const ngx_kmip_cert_t *c, const ngx_kmip_cert_struct_t *cs);


int
ngx_kmip_cert_parse(ngx_kmip_allocator_t *a, const uint8_t *der, size_t len,
    ngx_kmip_cert_t *c, ngx_kmip_keys_error_t *err)
{
    int              ok;
    size_t           i;
    long             version;
    X509            *x;
    uint8_t         *spki;
    EVP_PKEY        *pkey;
    const uint8_t   *p;

    memset(c, 0, sizeof(ngx_kmip_cert_t));

    p = der;
    x = d2i_X509(NULL, &p, (long) len);

    if (x == NULL || p != der + len) {
        X509_free(x);
        return ngx_kmip_keys_fail(err, x ? NGX_KMIP_KEYS_ERR_TRAILING
                                         : NGX_KMIP_KEYS_ERR_ENCODING,
                                  x ? "bytes after the certificate"
                                    : "not a DER X.509 certificate");
    }

    version = X509_get_version(x);
    if (version < 0 || version > 2) {
        X509_free(x);
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_ENCODING,
                                  "an X.509 version other than 1 to 3");
    }

    c->version = (int) version + 1;
    c->certificate_type = NGX_KMIP_CERTIFICATE_TYPE_X_509;
    c->length = (int32_t) len;

    for (i = 0; ngx_kmip_cert_sigs[i].nid != NID_undef; i++) {
        if (ngx_kmip_cert_sigs[i].nid == X509_get_signature_nid(x)) {
            c->signature_algorithm = ngx_kmip_cert_sigs[i].signature;
        }
    }

    spki = NULL;
    pkey = X509_get0_pubkey(x);

    ok = ngx_kmip_cert_time(X509_get0_notBefore(x), &c->not_before)
         && ngx_kmip_cert_time(X509_get0_notAfter(x), &c->not_after)
         && ngx_kmip_cert_serial(a, x, c)
         && ngx_kmip_cert_name(a, X509_get_issuer_name(x), &c->issuer_der,
                               &c->issuer_text)
         && ngx_kmip_cert_name(a, X509_get_subject_name(x), &c->subject_der,
                               &c->subject_text)
         && ngx_kmip_cert_rdns_of(a, X509_get_subject_name(x), 0, c)
         && ngx_kmip_cert_rdns_of(a, X509_get_issuer_name(x),
                                  NGX_KMIP_CERT_ISSUER_OFFSET, c)
         && ngx_kmip_cert_alt(a, x, NID_subject_alt_name, &c->subject_alt_der,
                              &c->subject_alt)
         && ngx_kmip_cert_alt(a, x, NID_issuer_alt_name, &c->issuer_alt_der,
                              &c->issuer_alt)
         && pkey != NULL;

    if (ok) {
        len = (size_t) i2d_PUBKEY(pkey, &spki);
        ok = spki != NULL && ngx_kmip_cert_copy(a, &c->spki, spki, len);
        OPENSSL_free(spki);
    }

    if (ok) {
        c->key_rc = ngx_kmip_keys_info_of(pkey, 0, &c->key, NULL);
    }

    X509_free(x);

    /* the key's refusal (a DSA key, say) does not refuse the certificate */
    return ngx_kmip_keys_fail(err, ok ? NGX_KMIP_KEYS_OK
                                      : NGX_KMIP_KEYS_ERR_ENCODING,
                              ok ? NULL
                                 : "a certificate field does not decode");
}


int
ngx_kmip_cert_attribute(ngx_kmip_allocator_t *a, const ngx_kmip_cert_t *c,
    uint32_t tag, ngx_kmip_item_t **out, ngx_kmip_keys_error_t *err)
{
    size_t            i;
    ngx_kmip_item_t  *it;

    *out = NULL;
    it = NULL;

    switch (tag) {

    case NGX_KMIP_TAG_CERTIFICATE_TYPE:
        it = ngx_kmip_ttlv_item_new(a, tag, NGX_KMIP_TYPE_ENUMERATION);
        if (it) {
            it->v.num = c->certificate_type;
        }

        break;

    case NGX_KMIP_TAG_CERTIFICATE_LENGTH:
        it = ngx_kmip_ttlv_item_new(a, tag, NGX_KMIP_TYPE_INTEGER);
        if (it) {
            it->v.num = c->length;
        }

        break;

    case NGX_KMIP_TAG_DIGITAL_SIGNATURE_ALGORITHM:
        if (c->signature_algorithm == 0) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
        }

        it = ngx_kmip_ttlv_item_new(a, tag, NGX_KMIP_TYPE_ENUMERATION);
        if (it) {
            it->v.num = c->signature_algorithm;
        }

        break;

    default:
        for (i = 0; ngx_kmip_cert_structs[i].tag; i++) {
            if (ngx_kmip_cert_structs[i].tag == tag) {
                break;
            }
        }

        if (ngx_kmip_cert_structs[i].tag) {
            it = ngx_kmip_cert_struct(a, c, &ngx_kmip_cert_structs[i]);
            break;
        }

        if (tag < NGX_KMIP_TAG_CERTIFICATE_SUBJECT_CN
            || tag > NGX_KMIP_TAG_CERTIFICATE_ISSUER_DN_QUALIFIER)
        {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_FORMAT,
                                      "not a certificate attribute");
        }

        for (i = 0; i < c->nrdn; i++) {
            if (c->rdn[i].tag == tag) {
                break;
            }
        }

        if (i == c->nrdn) {
            return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
        }

        it = ngx_kmip_ttlv_item_new(a, tag, NGX_KMIP_TYPE_TEXT_STRING);
        if (it) {
            it->v.str.data = c->rdn[i].value.data;
            it->v.str.len = c->rdn[i].value.len;
        }
    }

    if (it == NULL) {
        return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_ERR_NOMEM, NULL);
    }

    *out = it;

    return ngx_kmip_keys_fail(err, NGX_KMIP_KEYS_OK, NULL);
}


/* a structure of its first field, then the second (or each of a list) */

static ngx_kmip_item_t *
ngx_kmip_cert_struct(ngx_kmip_allocator_t *a, const ngx_kmip_cert_t *c,
    const ngx_kmip_cert_struct_t *cs)
{
    size_t                       i, n;
    ngx_kmip_item_t             *st, *it;
    const ngx_kmip_cert_str_t   *v;
    const ngx_kmip_cert_list_t  *list;

    st = ngx_kmip_ttlv_item_new(a, cs->tag, NGX_KMIP_TYPE_STRUCTURE);
    if (st == NULL) {
        return NULL;
    }

    list = cs->list ? (const ngx_kmip_cert_list_t *) ((const char *) c
                                                      + cs->list)
                    : NULL;
    n = 1 + (list ? list->n : 1);

    for (i = 0; i < n; i++) {
        if (i == 0) {
            v = (const ngx_kmip_cert_str_t *) ((const char *) c + cs->first);

        } else if (list) {
            v = &list->v[i - 1];

        } else {
            v = (const ngx_kmip_cert_str_t *) ((const char *) c + cs->second);
        }

        it = ngx_kmip_ttlv_item_new(a, i ? cs->tag2 : cs->tag1, cs->type);
        if (it == NULL) {
            return NULL;
        }

        it->v.str.data = v->data;
        it->v.str.len = v->len;
        ngx_kmip_ttlv_item_append(st, it);
    }

    return st;
}


static int
ngx_kmip_cert_copy(ngx_kmip_allocator_t *a, ngx_kmip_cert_str_t *s,
    const void *p, size_t n)
{
    uint8_t  *buf;

    /* an empty string still gets a pointer: items want one */
    buf = a->alloc(a->data, n ? n : 1);
    if (buf == NULL) {
        return 0;
    }

    if (n) {
        memcpy(buf, p, n);
    }

    s->data = buf;
    s->len = n;

    return 1;
}


static int
ngx_kmip_cert_bio(ngx_kmip_allocator_t *a, ngx_kmip_cert_str_t *s, BIO *bio)
{
    long   n;
    char  *p;

    n = BIO_get_mem_data(bio, &p);

    return n >= 0 && ngx_kmip_cert_copy(a, s, p, (size_t) n);
}


static int
ngx_kmip_cert_name(ngx_kmip_allocator_t *a, const X509_NAME *name,
    ngx_kmip_cert_str_t *der, ngx_kmip_cert_str_t *text)
{
    int             ok;
    BIO            *bio;
    size_t          n;
    const uint8_t  *p;

    if (X509_NAME_get0_der(name, &p, &n) != 1
        || !ngx_kmip_cert_copy(a, der, p, n))
    {
        return 0;
    }

    bio = BIO_new(BIO_s_mem());
    ok = bio != NULL
         && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0
         && ngx_kmip_cert_bio(a, text, bio);
    BIO_free(bio);

    return ok;
}


static int
ngx_kmip_cert_rdns_of(ngx_kmip_allocator_t *a, const X509_NAME *name,
    uint32_t offset, ngx_kmip_cert_t *c)
{
    int                   i, n, nid, len;
    size_t                k;
    unsigned char        *utf8;
    ngx_kmip_cert_rdn_t  *rdn;
    X509_NAME_ENTRY      *e;

    n = X509_NAME_entry_count(name);

    rdn = a->alloc(a->data, (c->nrdn + (size_t) n + 1)
                            * sizeof(ngx_kmip_cert_rdn_t));
    if (rdn == NULL) {
        return 0;
    }

    if (c->nrdn) {
        memcpy(rdn, c->rdn, c->nrdn * sizeof(ngx_kmip_cert_rdn_t));
    }

    c->rdn = rdn;

    for (i = 0; i < n; i++) {
        e = X509_NAME_get_entry(name, i);
        nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));

        for (k = 0; ngx_kmip_cert_rdns[k].nid != NID_undef; k++) {
            if (ngx_kmip_cert_rdns[k].nid == nid) {
                break;
            }
        }

        if (ngx_kmip_cert_rdns[k].nid == NID_undef) {
            continue;
        }

        len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
        if (len < 0) {
            return 0;
        }

        rdn = &c->rdn[c->nrdn];
        rdn->tag = ngx_kmip_cert_rdns[k].tag + offset;

        if (!ngx_kmip_cert_copy(a, &rdn->value, utf8, (size_t) len)) {
            OPENSSL_free(utf8);
            return 0;
        }

        OPENSSL_free(utf8);
        c->nrdn++;
    }

    return 1;
}


static int
ngx_kmip_cert_alt(ngx_kmip_allocator_t *a, X509 *x, int nid,
    ngx_kmip_cert_list_t *der, ngx_kmip_cert_list_t *text)
{
    int                 i, n, len, crit, ok;
    BIO                *bio;
    uint8_t            *p;
    GENERAL_NAME       *gn;
    GENERAL_NAMES      *names;

    crit = 0;
    names = X509_get_ext_d2i(x, nid, &crit, NULL);

    if (names == NULL) {
        /* -1: no such extension; otherwise it does not decode */
        return crit == -1;
    }

    n = sk_GENERAL_NAME_num(names);
    der->v = a->alloc(a->data, ((size_t) n + 1) * sizeof(ngx_kmip_cert_str_t));
    text->v = a->alloc(a->data,
                       ((size_t) n + 1) * sizeof(ngx_kmip_cert_str_t));
    bio = BIO_new(BIO_s_mem());

    ok = der->v && text->v && bio;

    for (i = 0; ok && i < n; i++) {
        gn = sk_GENERAL_NAME_value(names, i);

        p = NULL;
        len = i2d_GENERAL_NAME(gn, &p);
        ok = len > 0 && ngx_kmip_cert_copy(a, &der->v[i], p, (size_t) len);
        OPENSSL_free(p);

        (void) BIO_reset(bio);
        ok = ok && GENERAL_NAME_print(bio, gn) == 1
             && ngx_kmip_cert_bio(a, &text->v[i], bio);
    }

    BIO_free(bio);
    GENERAL_NAMES_free(names);

    der->n = ok ? (size_t) n : 0;
    text->n = der->n;

    return ok;
}


/* the serial as its DER INTEGER's content octets (a sign byte included),
   and in decimal */

static int
ngx_kmip_cert_serial(ngx_kmip_allocator_t *a, X509 *x, ngx_kmip_cert_t *c)
{
    int                  ok, n;
    char                *dec;
    size_t               len;
    BIGNUM              *bn;
    uint8_t             *der;
    unsigned             tag;
    const uint8_t       *p, *val;
    const ASN1_INTEGER  *serial;

    serial = X509_get0_serialNumber(x);

    der = NULL;
    n = i2d_ASN1_INTEGER(serial, &der);
    p = der;

    ok = n > 0
         && ngx_kmip_keys_der_next(&p, der + n, &tag, &val, &len) == 0
         && ngx_kmip_cert_copy(a, &c->serial, val, len);

    OPENSSL_free(der);

    bn = ok ? ASN1_INTEGER_to_BN(serial, NULL) : NULL;
    dec = bn ? BN_bn2dec(bn) : NULL;

    ok = dec != NULL && ngx_kmip_cert_copy(a, &c->serial_text, dec,
                                           strlen(dec));

    OPENSSL_free(dec);
    BN_free(bn);

    return ok;
}


/* an ASN1_TIME as Unix seconds, without timegm(), which C99 lacks */

static int
ngx_kmip_cert_time(const ASN1_TIME *t, int64_t *out)
{
    int64_t    y, m, era, yoe, doy, doe, days;
    struct tm  tm;

    if (ASN1_TIME_to_tm(t, &tm) != 1) {
        return 0;
    }

    /* days from the civil date (H. Hinnant's algorithm) */
    y = (int64_t) tm.tm_year + 1900;
    m = (int64_t) tm.tm_mon + 1;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + tm.tm_mday - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;

    *out = days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;

    return 1;
}
