
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_PASSWD_H_INCLUDED_
#define _NGX_KMIP_PASSWD_H_INCLUDED_


#include <stddef.h>


/*
 * Password hashes as htpasswd writes them, checked without nginx (plain C,
 * OpenSSL, libcrypt), so that the unit tests link this file alone and a
 * thread of nginx's thread pool may run it.
 */


typedef enum {
    NGX_KMIP_PASSWD_UNSUPPORTED = 0,
    NGX_KMIP_PASSWD_PLAIN,          /* {PLAIN}password */
    NGX_KMIP_PASSWD_SHA,            /* {SHA}base64(SHA-1) */
    NGX_KMIP_PASSWD_SSHA,           /* {SSHA}base64(SHA-1 + salt) */
    NGX_KMIP_PASSWD_APR1,           /* $apr1$: Apache's MD5 */
    NGX_KMIP_PASSWD_CRYPT           /* crypt(3): $1$ $5$ $6$ $2b$ $y$ ... */
} ngx_kmip_passwd_scheme_e;


/* the longest hash accepted; crypt(3) settings are at most 384 bytes */
#define NGX_KMIP_PASSWD_MAX_HASH  384

/* the longest password checked */
#define NGX_KMIP_PASSWD_MAX       255


/*
 * The scheme of a NUL-terminated hash, or NGX_KMIP_PASSWD_UNSUPPORTED with
 * *why saying what is wrong with it. *legacy is set for a scheme that is
 * supported but weak (traditional DES crypt).
 */
ngx_kmip_passwd_scheme_e ngx_kmip_passwd_scheme(const char *hash,
    int *legacy, const char **why);

/*
 * 1 when the password matches the NUL-terminated hash, 0 when it does not,
 * -1 when it cannot be checked (an unsupported hash, out of memory). A
 * password with a NUL byte or longer than NGX_KMIP_PASSWD_MAX never
 * matches. Thread-safe.
 */
int ngx_kmip_passwd_verify(const unsigned char *password, size_t len,
    const char *hash);


#endif /* _NGX_KMIP_PASSWD_H_INCLUDED_ */
