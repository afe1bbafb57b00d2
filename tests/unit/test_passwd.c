/*
 * Unit tests of the password hash verifier (ngx_kmip_passwd.c) against
 * hashes made by the tools operators use: htpasswd (apache2-utils),
 * openssl passwd, and Python's crypt for bcrypt and yescrypt. Plain C, no
 * nginx.
 */

#include <stdio.h>
#include <string.h>

#include "ngx_kmip_passwd.h"

#include "ngx_kmip_test_check.h"

#define PW  "s3cret pw"

static const struct {
    const char  *hash;
    const char  *tool;
} vectors[] = {
    /* htpasswd -nb -s u 's3cret pw' */
    { "{SHA}r+PQ/OnaVl2XSPhlHUY75Onr1SQ=", "htpasswd -s" },
    /* base64(SHA-1("s3cret pw" "NaCl4") "NaCl4"), as slappasswd writes */
    { "{SSHA}cgvhZESYcy/rbsAXZyqsBzCPRXNOYUNsNA==", "{SSHA}" },
    /* htpasswd -nb -m u 's3cret pw' */
    { "$apr1$MYY1CfgB$xNO9dqeEW7lftonta6.980", "htpasswd -m" },
    /* openssl passwd -apr1 -salt saltsalt 's3cret pw' */
    { "$apr1$saltsalt$vnBKrytJmimQnNMBi/2hK/", "openssl passwd -apr1" },
    { "{PLAIN}" PW, "{PLAIN}" },
#if (NGX_KMIP_HAVE_CRYPT)
    /* openssl passwd -1 / -5 / -6 -salt saltsalt 's3cret pw' */
    { "$1$saltsalt$COEqv8xrXCDQ6KyiqgxAh0", "openssl passwd -1" },
    { "$5$saltsalt$V8elRryZS0n9i55dbzNxobejOIP4Vf9etUWUk3kFkV.",
      "openssl passwd -5" },
    { "$6$saltsalt$7u7lGNWW9pmKyYBbYJ6Jh6i2ruj8e.Qfb5jWFzC5XDXwkp22RJs8FI"
      "/FZCcvlqZ74LOOE4zjgN.gJJSAWe/Um/", "openssl passwd -6" },
    /* htpasswd -nb -2 -C 5000, -5, -B -C 4 */
    { "$5$rounds=5000$5Tyzqr2TcrWPc9In$wLlWRABwccsOxECIcaLuOwe315bpKiQ9xY3C"
      "4b6xkUD", "htpasswd -2" },
    { "$6$z.GduQ94.TzM5trp$sJAjrReadQA7.dlpakVrex91KTdrwE6yhVTaNTjrAdVkDlZcd"
      "rDiH6BKqcPegE2RBHwDFFc4iClDtBdx6V6wm.", "htpasswd -5" },
    { "$2y$04$b0eV.G87GpTeeN5EUriR.uS6q3U2gxlUZZtJgXh7O.PPHlbkKLQ3m",
      "htpasswd -B" },
    /* python3 crypt: METHOD_BLOWFISH rounds=16, yescrypt, DES */
    { "$2b$04$yKtIOdtu8NR8rcxmw0P9U.I21WQIvTum5nEzi0jwiru3OuRwN898G",
      "python3 crypt bcrypt" },
    { "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$VlIx2NwW/ASNcbsjR2W.0e.oG63Zv7MNkabpMx"
      "QfAb6", "python3 crypt yescrypt" },
    { "XyE4SkyyWAy8U", "python3 crypt DES" },
#endif
};


static void
test_vectors(void)
{
    int          legacy;
    char         name[128];
    size_t       i;
    const char  *why;

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        snprintf(name, sizeof(name), "%s: scheme known", vectors[i].tool);
        CHECK(ngx_kmip_passwd_scheme(vectors[i].hash, &legacy, &why)
              != NGX_KMIP_PASSWD_UNSUPPORTED, name);

        snprintf(name, sizeof(name), "%s: the password", vectors[i].tool);
        CHECK(ngx_kmip_passwd_verify((const unsigned char *) PW,
                                     sizeof(PW) - 1, vectors[i].hash)
              == 1, name);

        snprintf(name, sizeof(name), "%s: a wrong password", vectors[i].tool);
        CHECK(ngx_kmip_passwd_verify((const unsigned char *) "x3cret pw",
                                     sizeof(PW) - 1, vectors[i].hash)
              == 0, name);

        snprintf(name, sizeof(name), "%s: a NUL inside", vectors[i].tool);
        CHECK(ngx_kmip_passwd_verify((const unsigned char *) PW "\0x",
                                     sizeof(PW) + 1, vectors[i].hash)
              == 0, name);

        if (strncmp(vectors[i].tool, "python3 crypt DES", 17) == 0) {
            /* DES crypt reads 8 characters: why it is "legacy" */
            continue;
        }

        snprintf(name, sizeof(name), "%s: a prefix", vectors[i].tool);
        CHECK(ngx_kmip_passwd_verify((const unsigned char *) PW,
                                     sizeof(PW) - 2, vectors[i].hash)
              == 0, name);
    }
}


static void
test_unsupported(void)
{
    int          legacy;
    const char  *why;

    static const char  *bad[] = {
        "s3cret pw",                         /* htpasswd -p: plain text */
        "s3cret",                            /* the same, DES-like */
        "{SHA}r+PQ/OnaVl2XSPhlHUY75Onr1SQ",  /* cut */
        "{SSHA}cgvh",                        /* no salt */
        "{MD5}abc",
        "$apr1$nosalt",
        "$9$whatever$x",
        "",
    };

    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        CHECK(ngx_kmip_passwd_scheme(bad[i], &legacy, &why)
              == NGX_KMIP_PASSWD_UNSUPPORTED && why != NULL, bad[i]);
        CHECK(ngx_kmip_passwd_verify((const unsigned char *) "x", 1, bad[i])
              != 1, bad[i]);
    }

#if (NGX_KMIP_HAVE_CRYPT)
    CHECK(ngx_kmip_passwd_scheme("XyE4SkyyWAy8U", &legacy, &why)
          == NGX_KMIP_PASSWD_CRYPT && legacy, "DES is legacy");
    CHECK(ngx_kmip_passwd_scheme("$2b$04$yKtIOdtu8NR8rcxmw0P9U.I21WQIvTum5nE"
                                 "zi0jwiru3OuRwN898G", &legacy, &why)
          == NGX_KMIP_PASSWD_CRYPT && !legacy, "bcrypt is not legacy");
#endif
}


int
main(void)
{
    test_vectors();
    test_unsupported();

    return ngx_kmip_test_report("test_passwd: ");
}
