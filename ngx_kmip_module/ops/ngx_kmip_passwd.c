
/*
 * Copyright (C) ngx_kmip authors
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#if (NGX_KMIP_HAVE_CRYPT)
#include <crypt.h>
#endif

#include "ngx_kmip_passwd.h"


/*
 * The formats htpasswd writes, checked here rather than with nginx's
 * ngx_crypt(), which exists only in an nginx built with the http module
 * (a stream-only nginx would fail to load the module). {SHA}, {SSHA} and
 * $apr1$ are computed with OpenSSL; every crypt(3) scheme (bcrypt, SHA-crypt,
 * yescrypt, MD5-crypt, DES) goes to libcrypt's crypt_rn(), which is
 * thread-safe. Every comparison takes the same time whatever the bytes.
 */


#define NGX_KMIP_SHA1_LEN     20
#define NGX_KMIP_MD5_LEN      16
#define NGX_KMIP_APR1_SALT    8


static const char  ngx_kmip_itoa64[] =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";


static int ngx_kmip_passwd_sha(const unsigned char *pw, size_t len,
    const char *b64, int salted);
static int ngx_kmip_passwd_apr1(const unsigned char *pw, size_t len,
    const char *hash);
static int ngx_kmip_passwd_equal(const char *a, size_t alen, const char *b,
    size_t blen);
#if (NGX_KMIP_HAVE_CRYPT)
static int ngx_kmip_passwd_crypt(const unsigned char *pw, size_t len,
    const char *hash);
#endif


ngx_kmip_passwd_scheme_e
ngx_kmip_passwd_scheme(const char *hash, int *legacy, const char **why)
{
    size_t  len;

    *legacy = 0;
    *why = NULL;

    len = strlen(hash);

    if (len > NGX_KMIP_PASSWD_MAX_HASH) {
        *why = "the hash is too long";
        return NGX_KMIP_PASSWD_UNSUPPORTED;
    }

    if (strncmp(hash, "{PLAIN}", 7) == 0) {
        return NGX_KMIP_PASSWD_PLAIN;
    }

    if (strncmp(hash, "{SHA}", 5) == 0) {
        if (len != 5 + 28) {
            *why = "a {SHA} hash is 28 base64 characters";
            return NGX_KMIP_PASSWD_UNSUPPORTED;
        }

        return NGX_KMIP_PASSWD_SHA;
    }

    if (strncmp(hash, "{SSHA}", 6) == 0) {
        if (len <= 6 + 28 || (len - 6) % 4 != 0) {
            *why = "a {SSHA} hash is the base64 of a SHA-1 digest and a salt";
            return NGX_KMIP_PASSWD_UNSUPPORTED;
        }

        return NGX_KMIP_PASSWD_SSHA;
    }

    if (strncmp(hash, "$apr1$", 6) == 0) {
        if (strchr(hash + 6, '$') == NULL) {
            *why = "an $apr1$ hash is $apr1$salt$hash";
            return NGX_KMIP_PASSWD_UNSUPPORTED;
        }

        return NGX_KMIP_PASSWD_APR1;
    }

    if (hash[0] == '{') {
        *why = "the {scheme} is not one of {PLAIN}, {SHA}, {SSHA}";
        return NGX_KMIP_PASSWD_UNSUPPORTED;
    }

#if (NGX_KMIP_HAVE_CRYPT)

    /* libcrypt says whether it knows the scheme, without hashing */

    switch (crypt_checksalt(hash)) {

    case CRYPT_SALT_OK:
        return NGX_KMIP_PASSWD_CRYPT;

    case CRYPT_SALT_METHOD_LEGACY:
        *legacy = 1;

        /*
         * DES takes any two characters for a salt: a password written in
         * plain text (htpasswd -p) must not be taken for its own hash
         */
        if (hash[0] != '$'
            && (len != (hash[0] == '_' ? 20 : 13)
                || strspn(hash + (hash[0] == '_'), ngx_kmip_itoa64)
                   != len - (hash[0] == '_')))
        {
            *why = "it is neither a DES crypt hash nor in a known format";
            return NGX_KMIP_PASSWD_UNSUPPORTED;
        }

        return NGX_KMIP_PASSWD_CRYPT;

    default:
        *why = "libcrypt does not know this hash format";
        return NGX_KMIP_PASSWD_UNSUPPORTED;
    }

#else

    *why = "crypt(3) hash formats need the module built with libcrypt "
           "(Debian: libcrypt-dev)";
    return NGX_KMIP_PASSWD_UNSUPPORTED;

#endif
}


int
ngx_kmip_passwd_verify(const unsigned char *password, size_t len,
    const char *hash)
{
    int          legacy;
    const char  *why;

    if (len > NGX_KMIP_PASSWD_MAX || memchr(password, '\0', len) != NULL) {
        return 0;
    }

    switch (ngx_kmip_passwd_scheme(hash, &legacy, &why)) {

    case NGX_KMIP_PASSWD_PLAIN:
        return ngx_kmip_passwd_equal((const char *) password, len,
                                     hash + 7, strlen(hash + 7));

    case NGX_KMIP_PASSWD_SHA:
        return ngx_kmip_passwd_sha(password, len, hash + 5, 0);

    case NGX_KMIP_PASSWD_SSHA:
        return ngx_kmip_passwd_sha(password, len, hash + 6, 1);

    case NGX_KMIP_PASSWD_APR1:
        return ngx_kmip_passwd_apr1(password, len, hash);

#if (NGX_KMIP_HAVE_CRYPT)
    case NGX_KMIP_PASSWD_CRYPT:
        return ngx_kmip_passwd_crypt(password, len, hash);
#endif

    default:
        return -1;
    }
}


/* {SHA}: base64(SHA-1(password)); {SSHA}: base64(SHA-1(password salt) salt) */

static int
ngx_kmip_passwd_sha(const unsigned char *pw, size_t len, const char *b64,
    int salted)
{
    int            n, pad, rc;
    size_t         b64len;
    EVP_MD_CTX    *md;
    unsigned char  raw[NGX_KMIP_PASSWD_MAX_HASH];
    unsigned char  digest[EVP_MAX_MD_SIZE];

    b64len = strlen(b64);

    n = EVP_DecodeBlock(raw, (const unsigned char *) b64, (int) b64len);
    if (n < 0) {
        return 0;
    }

    /* EVP_DecodeBlock() counts the bytes the padding stands for */
    pad = (b64len > 0 && b64[b64len - 1] == '=')
          + (b64len > 1 && b64[b64len - 2] == '=');
    n -= pad;

    if (salted ? n <= NGX_KMIP_SHA1_LEN : n != NGX_KMIP_SHA1_LEN) {
        return 0;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return -1;
    }

    rc = EVP_DigestInit_ex(md, EVP_sha1(), NULL)
         && EVP_DigestUpdate(md, pw, len)
         && EVP_DigestUpdate(md, raw + NGX_KMIP_SHA1_LEN,
                             n - NGX_KMIP_SHA1_LEN)
         && EVP_DigestFinal_ex(md, digest, NULL);

    EVP_MD_CTX_free(md);

    if (!rc) {
        return -1;
    }

    rc = (CRYPTO_memcmp(digest, raw, NGX_KMIP_SHA1_LEN) == 0);

    OPENSSL_cleanse(digest, sizeof(digest));

    return rc;
}


/*
 * Apache's MD5 (apr_md5.c, the FreeBSD MD5-crypt with the magic "$apr1$"):
 * 1,000 rounds of MD5 over the password and a salt of up to 8 characters.
 */

static int
ngx_kmip_passwd_apr1(const unsigned char *pw, size_t len, const char *hash)
{
    int            ok;
    char          *p;
    size_t         i, n, slen;
    uint32_t       v;
    EVP_MD_CTX    *md, *md1;
    const char    *salt, *end;
    unsigned char  fin[NGX_KMIP_MD5_LEN];
    char           out[6 + NGX_KMIP_APR1_SALT + 1 + 22 + 1];

    static const unsigned char  zero = 0;

    static const unsigned char  order[5][3] = {
        { 0, 6, 12 }, { 1, 7, 13 }, { 2, 8, 14 }, { 3, 9, 15 }, { 4, 10, 5 }
    };

    salt = hash + 6;
    end = strchr(salt, '$');

    slen = (size_t) (end - salt);
    if (slen > NGX_KMIP_APR1_SALT) {
        slen = NGX_KMIP_APR1_SALT;
    }

    md = EVP_MD_CTX_new();
    md1 = EVP_MD_CTX_new();

    if (md == NULL || md1 == NULL) {
        EVP_MD_CTX_free(md);
        EVP_MD_CTX_free(md1);
        return -1;
    }

    ok = EVP_DigestInit_ex(md1, EVP_md5(), NULL)
         && EVP_DigestUpdate(md1, pw, len)
         && EVP_DigestUpdate(md1, salt, slen)
         && EVP_DigestUpdate(md1, pw, len)
         && EVP_DigestFinal_ex(md1, fin, NULL)
         && EVP_DigestInit_ex(md, EVP_md5(), NULL)
         && EVP_DigestUpdate(md, pw, len)
         && EVP_DigestUpdate(md, "$apr1$", 6)
         && EVP_DigestUpdate(md, salt, slen);

    for (n = len; ok && n > 0; n -= i) {
        i = (n > NGX_KMIP_MD5_LEN) ? NGX_KMIP_MD5_LEN : n;
        ok = EVP_DigestUpdate(md, fin, i);
    }

    for (n = len; ok && n; n >>= 1) {
        ok = (n & 1) ? EVP_DigestUpdate(md, &zero, 1)
                     : EVP_DigestUpdate(md, pw, 1);
    }

    ok = ok && EVP_DigestFinal_ex(md, fin, NULL);

    for (i = 0; ok && i < 1000; i++) {
        ok = EVP_DigestInit_ex(md1, EVP_md5(), NULL)
             && ((i & 1) ? EVP_DigestUpdate(md1, pw, len)
                         : EVP_DigestUpdate(md1, fin, NGX_KMIP_MD5_LEN))
             && (i % 3 == 0 || EVP_DigestUpdate(md1, salt, slen))
             && (i % 7 == 0 || EVP_DigestUpdate(md1, pw, len))
             && ((i & 1) ? EVP_DigestUpdate(md1, fin, NGX_KMIP_MD5_LEN)
                         : EVP_DigestUpdate(md1, pw, len))
             && EVP_DigestFinal_ex(md1, fin, NULL);
    }

    EVP_MD_CTX_free(md);
    EVP_MD_CTX_free(md1);

    if (!ok) {
        OPENSSL_cleanse(fin, sizeof(fin));
        return -1;
    }

    memcpy(out, "$apr1$", 6);
    memcpy(out + 6, salt, slen);
    p = out + 6 + slen;
    *p++ = '$';

    for (i = 0; i < 5; i++) {
        v = ((uint32_t) fin[order[i][0]] << 16)
            | ((uint32_t) fin[order[i][1]] << 8)
            | fin[order[i][2]];

        for (n = 0; n < 4; n++) {
            *p++ = ngx_kmip_itoa64[v & 0x3f];
            v >>= 6;
        }
    }

    v = fin[11];
    *p++ = ngx_kmip_itoa64[v & 0x3f];
    *p++ = ngx_kmip_itoa64[v >> 6];

    ok = ngx_kmip_passwd_equal(out, (size_t) (p - out), hash, strlen(hash));

    OPENSSL_cleanse(fin, sizeof(fin));
    OPENSSL_cleanse(out, sizeof(out));

    return ok;
}


#if (NGX_KMIP_HAVE_CRYPT)

/*
 * crypt_rn() wants a NUL-terminated password and writes into its struct
 * crypt_data (32 KiB and more), taken from the heap rather than from a
 * thread's stack; both are wiped: they held the password.
 */

static int
ngx_kmip_passwd_crypt(const unsigned char *pw, size_t len, const char *hash)
{
    int                 ok;
    char               *out;
    struct crypt_data  *data;
    char                phrase[NGX_KMIP_PASSWD_MAX + 1];

    data = calloc(1, sizeof(struct crypt_data));
    if (data == NULL) {
        return -1;
    }

    memcpy(phrase, pw, len);
    phrase[len] = '\0';

    out = crypt_rn(phrase, hash, data, sizeof(struct crypt_data));

    /* a failure is NULL, or a string starting with "*" */
    if (out == NULL || out[0] == '*') {
        ok = -1;

    } else {
        ok = ngx_kmip_passwd_equal(out, strlen(out), hash, strlen(hash));
    }

    OPENSSL_cleanse(phrase, sizeof(phrase));
    OPENSSL_cleanse(data, sizeof(struct crypt_data));
    free(data);

    return ok;
}

#endif


static int
ngx_kmip_passwd_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    /* the length of a hash is not a secret; its bytes are */

    if (alen != blen) {
        return 0;
    }

    return CRYPTO_memcmp(a, b, alen) == 0;
}
