/*
 * Unit tests of the Key Protect JSON response parser (ngx_kmip_kp_json.c):
 * plain C on yajl, no nginx. Every allocation is freed at the end, so the
 * ASan build also checks for leaks.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_kmip_kp_json.h"

#include "ngx_kmip_test_check.h"

static void   *allocs[4096];
static size_t  nallocs;

static void *
track_alloc(void *data, size_t size)
{
    void  *p;

    (void) data;

    if (nallocs == sizeof(allocs) / sizeof(allocs[0])) {
        return NULL;
    }

    p = malloc(size ? size : 1);
    if (p) {
        memset(p, 0xA5, size);      /* the parser must not need zeroes */
        allocs[nallocs++] = p;
    }

    return p;
}

static int      fail_after = -1;

static void *
failing_alloc(void *data, size_t size)
{
    if (fail_after == 0) {
        return NULL;
    }

    if (fail_after > 0) {
        fail_after--;
    }

    return track_alloc(data, size);
}

static ngx_kmip_allocator_t  A = { track_alloc, NULL };
static ngx_kmip_allocator_t  F = { failing_alloc, NULL };

static void
free_all(void)
{
    while (nallocs) {
        free(allocs[--nallocs]);
    }
}

static int
parse(ngx_kmip_kp_json_kind_e kind, const char *body,
    ngx_kmip_kp_json_result_t *res)
{
    return ngx_kmip_kp_json_parse(kind, (const unsigned char *) body,
                                  strlen(body), &A, &A, res);
}

#define IS(s, lit)  ((s).len == sizeof(lit) - 1                           \
                     && memcmp((s).data, lit, sizeof(lit) - 1) == 0)

#define META  "\"metadata\":{\"collectionType\":"                          \
              "\"application/vnd.ibm.kms.key+json\",\"collectionTotal\":1}"


static void
test_keys(void)
{
    ngx_kmip_kp_json_result_t  r;

    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{" META "}", &r) == 0
          && r.has_keys && r.nkeys == 0, "empty list has no resources");

    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{" META ",\"resources\":["
                "{\"id\":\"k1\",\"name\":\"kmip-a\",\"description\":null,"
                "\"aliases\":[\"kmip-a\",\"r1\"],\"state\":0,"
                "\"extractable\":true,"
                "\"creationDate\":\"2020-03-12T03:37:32.52Z\"},"
                "{\"id\":\"k2\",\"state\":5,"
                "\"deletionDate\":\"1970-01-02T00:00:00Z\","
                "\"payload\":\"AAECAw==\"}]}", &r) == 0,
          "list of two");
    CHECK(r.nkeys == 2, "two keys");
    CHECK(IS(r.keys[0].id, "k1") && r.keys[0].id.data[2] == '\0', "id");
    CHECK(IS(r.keys[0].name, "kmip-a"), "name");
    CHECK(r.keys[0].description.data == NULL, "null description");
    CHECK(r.keys[0].naliases == 2 && IS(r.keys[0].aliases[1], "r1"),
          "aliases");
    CHECK(r.keys[0].state == 0 && r.keys[0].extractable
          && !r.keys[0].deleted, "state, extractable");
    CHECK(r.keys[0].creation_date == 1583984252, "creation date");
    CHECK(r.keys[1].deleted && r.keys[1].deletion_date == 86400,
          "state 5 is deleted");
    CHECK(r.keys[1].payload.len == 4
          && memcmp(r.keys[1].payload.data, "\0\1\2\3", 4) == 0,
          "payload decoded");
    CHECK(r.keys[1].name.data == NULL && r.keys[1].state == 5, "absent name");

    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"name\":\"x\"}]}",
                &r) != 0, "a key without id");
    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":\"\"}]}",
                &r) != 0, "an empty id");
    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":7}]}",
                &r) != 0, "a numeric id");
    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":{}}", &r) != 0,
          "resources not an array");
    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[1]}", &r) != 0,
          "a resource that is not an object");
    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":\"a\","
                "\"aliases\":[1]}]}", &r) != 0, "a numeric alias");
    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":\"a\","
                "\"payload\":\"A\"}]}", &r) != 0, "bad base64 length");
    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":\"a\","
                "\"payload\":\"AA*A\"}]}", &r) != 0, "bad base64 character");
    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "[]", &r) != 0, "not an object");
    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "", &r) != 0, "empty body");
    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":\"a\"",
                &r) != 0, "truncated JSON");

    CHECK(parse(NGX_KMIP_KP_JSON_CREATED, "{" META ",\"resources\":"
                "[{\"id\":\"a\"}]}", &r) == 0 && r.nkeys == 1,
          "created: one key");
    CHECK(parse(NGX_KMIP_KP_JSON_CREATED, "{" META "}", &r) != 0,
          "created: no key");
    CHECK(parse(NGX_KMIP_KP_JSON_CREATED, "{\"resources\":[{\"id\":\"a\"},"
                "{\"id\":\"b\"}]}", &r) != 0, "created: two keys");

    CHECK(parse(NGX_KMIP_KP_JSON_NONE, "", &r) == 0 && !r.has_keys,
          "none: empty body");
    CHECK(parse(NGX_KMIP_KP_JSON_NONE, "not json", &r) == 0 && !r.has_keys,
          "none: a body that is not JSON is ignored");
    CHECK(parse(NGX_KMIP_KP_JSON_NONE, "{\"resources\":[{\"id\":\"a\"}]}",
                &r) == 0 && r.nkeys == 1, "none: an envelope");

    /* an alias made: its envelope describes the alias, not a key */
    CHECK(parse(NGX_KMIP_KP_JSON_ALIAS, "{\"metadata\":{\"collectionType\":"
                "\"application/vnd.ibm.kms.alias+json\",\"collectionTotal\""
                ":1},\"resources\":[{\"keyId\":\"k\",\"alias\":\"a-g2\"}]}",
                &r) == 0 && !r.has_keys && r.nkeys == 0,
          "alias: the envelope is not read as keys");
    CHECK(parse(NGX_KMIP_KP_JSON_ALIAS, "", &r) == 0 && !r.has_keys,
          "alias: an empty body");

    free_all();
}


static void
test_wrap(void)
{
    ngx_kmip_kp_json_result_t  r;

    CHECK(parse(NGX_KMIP_KP_JSON_WRAP, "{\"ciphertext\":\"Y3Q=\","
                "\"keyVersion\":{\"id\":\"v1\"}}", &r) == 0
          && IS(r.ciphertext, "Y3Q=") && IS(r.key_version, "v1")
          && r.plaintext.data == NULL, "wrap");
    CHECK(parse(NGX_KMIP_KP_JSON_WRAP, "{\"ciphertext\":\"Y3Q=\","
                "\"plaintext\":\"AAEC\"}", &r) == 0
          && r.plaintext.len == 3 && r.key_version.data == NULL,
          "wrap with a generated key");
    CHECK(parse(NGX_KMIP_KP_JSON_WRAP, "{\"keyVersion\":{\"id\":\"v1\"}}",
                &r) != 0, "wrap without ciphertext");
    CHECK(parse(NGX_KMIP_KP_JSON_WRAP, "{\"ciphertext\":\"\"}", &r) != 0,
          "wrap with an empty ciphertext");

    CHECK(parse(NGX_KMIP_KP_JSON_UNWRAP, "{\"plaintext\":\"AAECAw==\","
                "\"keyVersion\":{\"id\":\"v1\"}}", &r) == 0
          && r.plaintext.len == 4 && IS(r.key_version, "v1")
          && r.ciphertext.data == NULL, "unwrap");
    CHECK(parse(NGX_KMIP_KP_JSON_UNWRAP, "{\"plaintext\":\"AAECAw==\","
                "\"ciphertext\":\"bmV3\",\"keyVersion\":{\"id\":\"v1\"},"
                "\"rewrappedKeyVersion\":{\"id\":\"v2\"}}", &r) == 0
          && IS(r.ciphertext, "bmV3") && IS(r.key_version, "v2"),
          "unwrap after a rotation: the rewrapped version");
    CHECK(parse(NGX_KMIP_KP_JSON_UNWRAP, "{\"ciphertext\":\"bmV3\"}", &r)
          != 0, "unwrap without plaintext");
    CHECK(parse(NGX_KMIP_KP_JSON_UNWRAP, "{\"plaintext\":5}", &r) != 0,
          "unwrap with a numeric plaintext");

    free_all();
}


static void
test_error(void)
{
    ngx_kmip_kp_json_str_t  reason;

#define ERR(b)  ngx_kmip_kp_json_error((const unsigned char *) (b),         \
                                       strlen(b), &A, &reason)

    CHECK(ERR("{\"resources\":[{\"errorMsg\":\"x\",\"reasons\":[{\"code\":"
              "\"KEY_DELETED_ERR\",\"status\":410}]}]}") == 0
          && IS(reason, "KEY_DELETED_ERR"), "error envelope");
    CHECK(ERR("{\"resources\":[{\"errorMsg\":\"Unauthorized\"}]}") == 0
          && reason.data == NULL, "no reasons");
    CHECK(ERR("{\"resources\":[{\"reasons\":[{\"code\":1}]}]}") == 0
          && reason.len == 0, "a numeric code");
    CHECK(ERR("Bad Request: token is expired") != 0, "not JSON");
    CHECK(ERR("") != 0, "empty");

    /* a body whose last byte is not followed by NUL is refused */
    CHECK(ngx_kmip_kp_json_error((const unsigned char *) "{}x", 2, &A,
                                 &reason) != 0, "unterminated body");

#undef ERR

    free_all();
}


/*
 * The parser follows only the members it reads, as they stream by; the
 * results must be those of a lookup in the whole document.
 */

static void
test_lookup_rules(void)
{
    ngx_kmip_kp_json_str_t     reason;
    ngx_kmip_kp_json_result_t  r;

    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":\"a\","
                "\"id\":\"b\",\"state\":2,\"state\":3,"
                "\"aliases\":[\"x\"],\"aliases\":[\"y\",\"z\"]}],"
                "\"resources\":[{\"id\":\"c\"},{\"id\":\"d\"}]}", &r)
          == 0 && r.nkeys == 1 && IS(r.keys[0].id, "a")
          && r.keys[0].state == 2 && r.keys[0].naliases == 1
          && IS(r.keys[0].aliases[0], "x"),
          "the first of duplicate members decides");

    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":\"a\","
                "\"payload\":1,\"payload\":\"AAEC\",\"state\":\"2\","
                "\"state\":4,\"extractable\":1,\"extractable\":true}]}",
                &r) == 0
          && r.keys[0].payload.data == NULL && r.keys[0].state == 1
          && !r.keys[0].extractable,
          "a first member of another type counts as absent");

    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":\"a\","
                "\"state\":1.0},{\"id\":\"b\",\"state\":"
                "99999999999999999999},{\"id\":\"c\",\"state\":-2}]}",
                &r) == 0 && r.nkeys == 3 && r.keys[0].state == 1
          && r.keys[1].state == 1 && r.keys[2].state == -2,
          "a state that is not an integer is the default");

    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":"
                "\"a\\u0000b\",\"na\\u0000x\":\"n\",\"name\\u0000\":\"m\"}]}",
                &r) == 0 && IS(r.keys[0].id, "a")
          && IS(r.keys[0].name, "m"),
          "a string ends at a NUL; so does a member name");

    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"x\":[[[[[[[[[[{\"resources\":"
                "1}]]]]]]]]]],\"resources\":[{\"y\":{\"id\":1},"
                "\"id\":\"a\",\"z\":[{\"id\":2}]}]}", &r) == 0
          && r.nkeys == 1 && IS(r.keys[0].id, "a"),
          "members elsewhere in the document are skipped");

    CHECK(parse(NGX_KMIP_KP_JSON_KEYS, "{\"resources\":[{\"id\":\"a\"},"
                "{\"id\":\"b\"},{\"id\":\"c\"},{\"id\":\"d\"},"
                "{\"id\":\"e\",\"aliases\":[\"1\",\"2\",\"3\",\"4\","
                "\"5\",\"6\"]}]}", &r) == 0
          && r.nkeys == 5 && IS(r.keys[0].id, "a") && IS(r.keys[4].id, "e")
          && r.keys[4].naliases == 6 && IS(r.keys[4].aliases[5], "6"),
          "lists longer than the first allocation");

    CHECK(parse(NGX_KMIP_KP_JSON_NONE, "{\"resources\":[{\"id\":\"a\"}]}"
                " trailing", &r) == 0 && !r.has_keys && r.nkeys == 0,
          "none: an envelope followed by garbage is not JSON, ignored");
    CHECK(parse(NGX_KMIP_KP_JSON_NONE, "{\"resources\":[{\"id\":7}]}", &r)
          != 0, "none: a bad envelope is an error");

    CHECK(parse(NGX_KMIP_KP_JSON_UNWRAP, "{\"plaintext\":\"AAEC\","
                "\"keyVersion\":[{\"id\":\"x\"}],\"keyVersion\":{\"id\":"
                "\"v2\"},\"rewrappedKeyVersion\":{\"id\":\"r\"}}", &r) == 0
          && r.key_version.data == NULL,
          "unwrap: no rewrapped version without a ciphertext, and the "
          "first keyVersion decides");

#define ERR(b)  ngx_kmip_kp_json_error((const unsigned char *) (b),         \
                                       strlen(b), &A, &reason)

    CHECK(ERR("{\"resources\":[{\"reasons\":[{\"code\":\"A\"},"
              "{\"code\":\"B\"}]},{\"reasons\":[{\"code\":\"C\"}]}]}")
          == 0 && IS(reason, "A"), "error: the first reason of the first "
          "resource");
    CHECK(ERR("{\"resources\":[1,{\"reasons\":[{\"code\":\"C\"}]}]}")
          == 0 && reason.data == NULL, "error: a first resource that is "
          "not an object");
    CHECK(ERR("{\"resources\":[{\"reasons\":[{\"code\":\"A\"}]}] x")
          != 0 && reason.data == NULL, "error: not JSON after all");

#undef ERR

    free_all();
}


static void
test_alloc_failures(void)
{
    int                        i, ok;
    ngx_kmip_kp_json_result_t  r;

    static const char  body[] = "{\"resources\":[{\"id\":\"k1\",\"name\":"
                                "\"n\",\"aliases\":[\"a\",\"b\"],"
                                "\"payload\":\"AAECAw==\"}]}";

    ok = 1;

    for (i = 0; i < 7; i++) {       /* 7 allocations */
        fail_after = i;

        if (ngx_kmip_kp_json_parse(NGX_KMIP_KP_JSON_KEYS,
                                   (const unsigned char *) body,
                                   sizeof(body) - 1, &F, &F, &r)
            == 0)
        {
            ok = 0;
        }
    }

    fail_after = 7;
    CHECK(ngx_kmip_kp_json_parse(NGX_KMIP_KP_JSON_KEYS,
                                 (const unsigned char *) body,
                                 sizeof(body) - 1, &F, &F, &r) == 0,
          "succeeds with enough memory");
    CHECK(ok, "every allocation failure is an error");

    fail_after = -1;
    free_all();
}


static void
test_date(void)
{
#define D(s)  ngx_kmip_kp_json_date((const unsigned char *) (s), strlen(s))

    CHECK(D("1970-01-01T00:00:00Z") == 0, "epoch");
    CHECK(D("2000-02-29T12:00:00Z") == 951825600, "leap day");
    CHECK(D("2020-13-01T00:00:00Z") == 0, "month 13");
    CHECK(D("2020-01-01 00:00:00Z") == 0, "no T");
    CHECK(D("2020-01-01T00:00") == 0, "short");
    CHECK(D("20x0-01-01T00:00:00Z") == 0, "not a digit");

#undef D
}


int
main(void)
{
    test_keys();
    test_wrap();
    test_error();
    test_alloc_failures();
    test_lookup_rules();
    test_date();

    return ngx_kmip_test_report("kp_json: ");
}
