
/*
 * Writes a seed corpus of valid KMIP requests (what vCenter sends, plus
 * 1.4 and 2.1 variants) into the directory given as argv[1].
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_message.h"

#include "ngx_kmip_test.h"


static uint8_t                arena_mem[1 << 20];
static ngx_kmip_test_arena_t  arena = { arena_mem, sizeof(arena_mem), 0 };
static const char            *dir;
static int                    nfiles;


/* the arena holds the whole corpus: full, the generator is wrong */

static void *
gen_alloc(void *data, size_t size)
{
    void  *p;

    p = ngx_kmip_test_alloc(data, size);
    if (p == NULL) {
        fprintf(stderr, "gen_corpus: arena exhausted\n");
        exit(1);
    }

    return p;
}


static ngx_kmip_allocator_t  A = { gen_alloc, &arena };


#define T(s)  (const uint8_t *) (s), strlen(s)


static void
emit(const char *name, const ngx_kmip_item_t *msg)
{
    char      path[1024];
    FILE     *f;
    size_t    n;
    uint8_t  *buf;

    n = ngx_kmip_ttlv_size(msg);
    buf = gen_alloc(&arena, n);
    ngx_kmip_ttlv_encode(msg, buf);

    snprintf(path, sizeof(path), "%s/%02d-%s", dir, nfiles++, name);

    f = fopen(path, "wb");
    if (f == NULL || fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}


static ngx_kmip_item_t *
request(int32_t major, int32_t minor, int32_t count, ngx_kmip_item_t **hdr)
{
    ngx_kmip_item_t  *msg;

    msg = ngx_kmip_test_request(&A, major, minor, hdr);

    if (count) {
        ngx_kmip_ttlv_add_integer(&A, *hdr, NGX_KMIP_TAG_BATCH_COUNT, count);
    }

    return msg;
}


static ngx_kmip_item_t *
item(ngx_kmip_item_t *msg, uint32_t op, int ubi)
{
    uint8_t          *id;
    ngx_kmip_item_t  *bi;

    bi = ngx_kmip_ttlv_add_struct(&A, msg, NGX_KMIP_TAG_BATCH_ITEM);
    ngx_kmip_ttlv_add_enum(&A, bi, NGX_KMIP_TAG_OPERATION, op);

    if (ubi) {
        id = gen_alloc(&arena, 8);
        memcpy(id, "QLKC\0\0\0\0", 8);
        id[4] = (uint8_t) ubi;
        ngx_kmip_ttlv_add_bytes(&A, bi, NGX_KMIP_TAG_UNIQUE_BATCH_ITEM_ID,
                                id, 8);
    }

    return ngx_kmip_ttlv_add_struct(&A, bi, NGX_KMIP_TAG_REQUEST_PAYLOAD);
}


static void
auth(ngx_kmip_item_t *hdr, const char *user, const char *pass)
{
    ngx_kmip_item_t  *a, *c, *v;

    a = ngx_kmip_ttlv_add_struct(&A, hdr, NGX_KMIP_TAG_AUTHENTICATION);
    c = ngx_kmip_ttlv_add_struct(&A, a, NGX_KMIP_TAG_CREDENTIAL);
    ngx_kmip_ttlv_add_enum(&A, c, NGX_KMIP_TAG_CREDENTIAL_TYPE,
                           NGX_KMIP_CREDENTIAL_TYPE_USERNAME_AND_PASSWORD);
    v = ngx_kmip_ttlv_add_struct(&A, c, NGX_KMIP_TAG_CREDENTIAL_VALUE);
    ngx_kmip_ttlv_add_text(&A, v, NGX_KMIP_TAG_USERNAME, T(user));

    if (pass) {
        ngx_kmip_ttlv_add_text(&A, v, NGX_KMIP_TAG_PASSWORD, T(pass));
    }
}


static void
attr(ngx_kmip_item_t *parent, const char *name, ngx_kmip_item_t **value)
{
    ngx_kmip_item_t  *a;

    a = ngx_kmip_ttlv_add_struct(&A, parent, NGX_KMIP_TAG_ATTRIBUTE);
    ngx_kmip_ttlv_add_text(&A, a, NGX_KMIP_TAG_ATTRIBUTE_NAME, T(name));
    *value = a;
}


/* what vCenter sends, and a Discover Versions with a version list */

static void
seeds_vcenter(void)
{
    ngx_kmip_item_t  *m, *h, *p, *a, *t, *s;

    /* vCenter: Discover Versions, empty payload, no UBI */
    m = request(1, 1, 1, &h);
    item(m, NGX_KMIP_OP_DISCOVER_VERSIONS, 0);
    emit("vc-discover-versions", m);

    /* Discover Versions with UBI and a version list */
    m = request(1, 1, 1, &h);
    p = item(m, NGX_KMIP_OP_DISCOVER_VERSIONS, 1);
    s = ngx_kmip_ttlv_add_struct(&A, p, NGX_KMIP_TAG_PROTOCOL_VERSION);
    ngx_kmip_ttlv_add_integer(&A, s, NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR, 1);
    ngx_kmip_ttlv_add_integer(&A, s, NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR, 4);
    emit("discover-versions-list", m);

    /* vCenter: Query Server Information */
    m = request(1, 1, 1, &h);
    p = item(m, NGX_KMIP_OP_QUERY, 1);
    ngx_kmip_ttlv_add_enum(&A, p, NGX_KMIP_TAG_QUERY_FUNCTION,
                           NGX_KMIP_QUERY_FUNCTION_QUERY_SERVER_INFORMATION);
    emit("vc-query", m);

    /* vCenter 8: Create with Authentication */
    m = request(1, 1, 0, &h);
    auth(h, "vSphere", "password");
    ngx_kmip_ttlv_add_integer(&A, h, NGX_KMIP_TAG_BATCH_COUNT, 1);
    p = item(m, NGX_KMIP_OP_CREATE, 1);
    ngx_kmip_ttlv_add_enum(&A, p, NGX_KMIP_TAG_OBJECT_TYPE,
                           NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);
    t = ngx_kmip_ttlv_add_struct(&A, p, NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);
    attr(t, "Cryptographic Algorithm", &a);
    ngx_kmip_ttlv_add_enum(&A, a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                           NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
    attr(t, "Cryptographic Usage Mask", &a);
    ngx_kmip_ttlv_add_integer(&A, a, NGX_KMIP_TAG_ATTRIBUTE_VALUE, 12);
    attr(t, "Cryptographic Length", &a);
    ngx_kmip_ttlv_add_integer(&A, a, NGX_KMIP_TAG_ATTRIBUTE_VALUE, 256);
    emit("vc-create-auth", m);

    /* Get; GetAttributes(State); Activate */
    m = request(1, 1, 3, &h);
    p = item(m, NGX_KMIP_OP_GET, 1);
    ngx_kmip_ttlv_add_text(&A, p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, T("1"));
    p = item(m, NGX_KMIP_OP_GET_ATTRIBUTES, 2);
    ngx_kmip_ttlv_add_text(&A, p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, T("1"));
    ngx_kmip_ttlv_add_text(&A, p, NGX_KMIP_TAG_ATTRIBUTE_NAME, T("State"));
    p = item(m, NGX_KMIP_OP_ACTIVATE, 3);
    ngx_kmip_ttlv_add_text(&A, p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, T("1"));
    emit("vc-get-state-activate", m);

    /* vCenter: 3 x Add Attribute */
    m = request(1, 1, 3, &h);
    p = item(m, NGX_KMIP_OP_ADD_ATTRIBUTE, 1);
    ngx_kmip_ttlv_add_text(&A, p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, T("1"));
    attr(p, "x-Product_Version", &a);
    ngx_kmip_ttlv_add_text(&A, a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                           T("7.0.3 build-19480866"));
    p = item(m, NGX_KMIP_OP_ADD_ATTRIBUTE, 2);
    ngx_kmip_ttlv_add_text(&A, p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, T("1"));
    attr(p, "x-Vendor", &a);
    ngx_kmip_ttlv_add_text(&A, a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                           T("VMware, Inc."));
    p = item(m, NGX_KMIP_OP_ADD_ATTRIBUTE, 3);
    ngx_kmip_ttlv_add_text(&A, p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, T("1"));
    attr(p, "x-Product", &a);
    ngx_kmip_ttlv_add_text(&A, a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                           T("VMware vSphere"));
    emit("vc-add-attribute-x3", m);
}


/* a full KMIP 1.4 header and a batch of three */

static void
seeds_v14(void)
{
    ngx_kmip_item_t  *m, *h, *p, *a, *s;

    /* 1.4: full header, Locate, Revoke, Destroy */
    m = request(1, 4, 0, &h);
    ngx_kmip_ttlv_add_integer(&A, h, NGX_KMIP_TAG_MAXIMUM_RESPONSE_SIZE, 65536);
    ngx_kmip_ttlv_add_text(&A, h, NGX_KMIP_TAG_CLIENT_CORRELATION_VALUE,
                           T("c"));
    ngx_kmip_ttlv_add_bool(&A, h, NGX_KMIP_TAG_ASYNCHRONOUS_INDICATOR, 0);
    ngx_kmip_ttlv_add_bool(&A, h, NGX_KMIP_TAG_ATTESTATION_CAPABLE_INDICATOR,
                           0);
    ngx_kmip_ttlv_add_enum(&A, h, NGX_KMIP_TAG_BATCH_ERROR_CONTINUATION_OPTION,
                           NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_STOP);
    ngx_kmip_ttlv_add_bool(&A, h, NGX_KMIP_TAG_BATCH_ORDER_OPTION, 1);
    ngx_kmip_ttlv_add_datetime(&A, h, NGX_KMIP_TAG_TIME_STAMP, 1205495800);
    ngx_kmip_ttlv_add_integer(&A, h, NGX_KMIP_TAG_BATCH_COUNT, 3);
    p = item(m, NGX_KMIP_OP_LOCATE, 1);
    ngx_kmip_ttlv_add_integer(&A, p, NGX_KMIP_TAG_MAXIMUM_ITEMS, 10);
    attr(p, "Object Type", &a);
    ngx_kmip_ttlv_add_enum(&A, a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                           NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);
    attr(p, "Name", &a);
    s = ngx_kmip_ttlv_add_struct(&A, a, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
    ngx_kmip_ttlv_add_text(&A, s, NGX_KMIP_TAG_NAME_VALUE, T("key"));
    ngx_kmip_ttlv_add_enum(&A, s, NGX_KMIP_TAG_NAME_TYPE,
                           NGX_KMIP_NAME_TYPE_UNINTERPRETED_TEXT_STRING);
    p = item(m, NGX_KMIP_OP_REVOKE, 2);
    ngx_kmip_ttlv_add_text(&A, p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, T("1"));
    s = ngx_kmip_ttlv_add_struct(&A, p, NGX_KMIP_TAG_REVOCATION_REASON);
    ngx_kmip_ttlv_add_enum(&A, s, NGX_KMIP_TAG_REVOCATION_REASON_CODE,
                           NGX_KMIP_REVOCATION_REASON_CODE_KEY_COMPROMISE);
    ngx_kmip_ttlv_add_text(&A, s, NGX_KMIP_TAG_REVOCATION_MESSAGE, T("oops"));
    ngx_kmip_ttlv_add_datetime(&A, p, NGX_KMIP_TAG_COMPROMISE_OCCURRENCE_DATE,
                               1205495800);
    p = item(m, NGX_KMIP_OP_DESTROY, 3);
    ngx_kmip_ttlv_add_text(&A, p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER, T("1"));
    emit("v14-full-header", m);
}


/* KMIP 2.1 forms, and malformed messages on purpose */

static void
seeds_v21_malformed(void)
{
    ngx_kmip_item_t  *m, *h, *p, *a, *s;

    /* 2.1: Attributes structure, Ephemeral, interval, long, bigint */
    m = request(2, 1, 2, &h);
    p = item(m, NGX_KMIP_OP_CREATE, 1);
    ngx_kmip_ttlv_add_enum(&A, p, NGX_KMIP_TAG_OBJECT_TYPE,
                           NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);
    a = ngx_kmip_ttlv_add_struct(&A, p, NGX_KMIP_TAG_ATTRIBUTES);
    ngx_kmip_ttlv_add_enum(&A, a, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                           NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
    ngx_kmip_ttlv_add_integer(&A, a, NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, 256);
    ngx_kmip_ttlv_add_interval(&A, a, NGX_KMIP_TAG_LEASE_TIME, 864000);
    ngx_kmip_ttlv_add_long(&A, a, NGX_KMIP_TAG_USAGE_LIMITS_TOTAL, 1000000);
    ngx_kmip_ttlv_add_bigint(&A, a, NGX_KMIP_TAG_MODULUS,
                             (const uint8_t *) "\0\1\2\3\4\5\6\7", 8);
    ngx_kmip_ttlv_add_datetime_ext(&A, a, NGX_KMIP_TAG_ACTIVATION_DATE,
                                   1205495800000000LL);
    s = ngx_kmip_ttlv_add_struct(&A, a, NGX_KMIP_TAG_ATTRIBUTE);
    ngx_kmip_ttlv_add_text(&A, s, NGX_KMIP_TAG_VENDOR_IDENTIFICATION, T("x"));
    ngx_kmip_ttlv_add_text(&A, s, NGX_KMIP_TAG_ATTRIBUTE_NAME, T("Vendor"));
    ngx_kmip_ttlv_add_text(&A, s, NGX_KMIP_TAG_ATTRIBUTE_VALUE, T("VMware"));
    p = item(m, NGX_KMIP_OP_GET_ATTRIBUTES, 2);
    s = ngx_kmip_ttlv_add_struct(&A, p, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE);
    ngx_kmip_ttlv_add_enum(&A, s, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE, 0x420094);
    ngx_kmip_ttlv_add_bool(&A, m->v.kids.last, NGX_KMIP_TAG_EPHEMERAL, 0);
    emit("v21-create-attributes", m);

    /* 2.1 with several credentials and an extension tag */
    m = request(2, 1, 0, &h);
    ngx_kmip_ttlv_add_enum(&A, h, NGX_KMIP_TAG_ASYNCHRONOUS_INDICATOR, 2);
    auth(h, "first", NULL);
    ngx_kmip_ttlv_add_integer(&A, h, NGX_KMIP_TAG_BATCH_COUNT, 1);
    p = item(m, NGX_KMIP_OP_PING, 0);
    ngx_kmip_ttlv_add_text(&A, p, 0x540001, T("ext"));
    emit("v21-ping-ext", m);

    /* malformed on purpose: batch count mismatch, missing payload */
    m = request(1, 1, 2, &h);
    item(m, NGX_KMIP_OP_DISCOVER_VERSIONS, 0);
    emit("bad-batch-count", m);

    m = request(1, 0, 1, &h);
    s = ngx_kmip_ttlv_add_struct(&A, m, NGX_KMIP_TAG_BATCH_ITEM);
    ngx_kmip_ttlv_add_enum(&A, s, NGX_KMIP_TAG_OPERATION, NGX_KMIP_OP_GET);
    emit("bad-no-payload", m);
}


int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus DIR\n");
        return 2;
    }

    dir = argv[1];

    seeds_vcenter();
    seeds_v14();
    seeds_v21_malformed();

    printf("gen_corpus: %d files in %s\n", nfiles, dir);

    return 0;
}
