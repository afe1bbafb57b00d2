
/*
 * Unit tests for the KMIP TTLV codec, the message layer and the tag names.
 * Dependency free: ends with "N passed, N failed", exits 1 on failure.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_message.h"
#include "ngx_kmip_enums.h"

#include "ngx_kmip_test.h"


static int   passed, failed;
static const char  *current;


#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            passed++;                                                        \
        } else {                                                             \
            failed++;                                                        \
            fprintf(stderr, "FAIL %s:%d [%s] %s\n", __FILE__, __LINE__,      \
                    current, #cond);                                         \
        }                                                                    \
    } while (0)

#define CHECK_RC(expr, want)                                                 \
    do {                                                                     \
        int  rc_ = (expr);                                                   \
        if (rc_ == (want)) {                                                 \
            passed++;                                                        \
        } else {                                                             \
            failed++;                                                        \
            fprintf(stderr, "FAIL %s:%d [%s] %s: got %d (%s), want %d\n",    \
                    __FILE__, __LINE__, current, #expr, rc_,                 \
                    ngx_kmip_ttlv_strerror(rc_), (int) (want));              \
        }                                                                    \
    } while (0)


/* a fixed arena; its cap is lowered to make allocations fail */

static uint8_t                arena_mem[1 << 20];
static ngx_kmip_test_arena_t  arena = { arena_mem, sizeof(arena_mem), 0 };
static ngx_kmip_allocator_t   A = { ngx_kmip_test_alloc, &arena };


static void
reset(const char *name)
{
    current = name;
    arena.used = 0;
    arena.cap = sizeof(arena_mem);
}


/* "42 00 20 | 02 | ..." -> bytes; returns the length */
static size_t
hex(const char *s, uint8_t *out)
{
    size_t  n;
    int     hi, v;

    n = 0;
    hi = -1;

    for (; *s; s++) {
        if (*s >= '0' && *s <= '9') {
            v = *s - '0';
        } else if (*s >= 'a' && *s <= 'f') {
            v = *s - 'a' + 10;
        } else if (*s >= 'A' && *s <= 'F') {
            v = *s - 'A' + 10;
        } else {
            continue;
        }

        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t) (hi << 4 | v);
            hi = -1;
        }
    }

    return n;
}


static uint8_t  ebuf[65536];


/* encodes item and compares with the expected hex */
static int
encodes_to(const ngx_kmip_item_t *item, const char *want)
{
    uint8_t   exp[4096], *end;
    size_t    n, sz;

    n = hex(want, exp);
    sz = ngx_kmip_ttlv_size(item);
    end = ngx_kmip_ttlv_encode(item, ebuf);

    if ((size_t) (end - ebuf) != sz || sz != n || memcmp(ebuf, exp, n) != 0) {
        size_t  i;

        fprintf(stderr, "  encoded (%zu, size %zu):", (size_t) (end - ebuf),
                sz);
        for (i = 0; i < (size_t) (end - ebuf); i++) {
            fprintf(stderr, "%s%02X", i % 8 ? "" : " ", ebuf[i]);
        }
        fprintf(stderr, "\n  expected (%zu):", n);
        for (i = 0; i < n; i++) {
            fprintf(stderr, "%s%02X", i % 8 ? "" : " ", exp[i]);
        }
        fprintf(stderr, "\n");
        return 0;
    }

    return 1;
}


static uint8_t  ibuf[65536];


/* decodes hex; returns rc, fills *root and err */
static int
decode_hex(const char *s, ngx_kmip_item_t **root, ngx_kmip_error_t *err,
    const ngx_kmip_limits_t *limits)
{
    size_t  n;

    n = hex(s, ibuf);

    return ngx_kmip_ttlv_decode(ibuf, n, limits, &A, root, err);
}


/* decode -> encode must give the same bytes */
static int
roundtrip(const uint8_t *buf, size_t n)
{
    uint8_t           *out, *end;
    ngx_kmip_item_t   *root;
    ngx_kmip_error_t   err;

    if (ngx_kmip_ttlv_decode(buf, n, NULL, &A, &root, &err) != NGX_KMIP_OK) {
        fprintf(stderr, "  decode: %s at %zu\n", err.what, err.offset);
        return 0;
    }

    if (ngx_kmip_ttlv_size(root) != n) {
        return 0;
    }

    out = ngx_kmip_test_alloc(&arena, n);
    if (out == NULL) {
        return 0;
    }

    end = ngx_kmip_ttlv_encode(root, out);

    return (size_t) (end - out) == n && memcmp(out, buf, n) == 0;
}


/* ------------------------------------------------------------------ */
/* spec examples (KMIP 1.4 9.1.2, 2.1 "TTLV Encoding Examples")        */


static const char  *ex_integer =
    "42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00";
static const char  *ex_long =
    "42 00 20 | 03 | 00 00 00 08 | 01 B6 9B 4B A5 74 92 00";
static const char  *ex_bigint =
    "42 00 20 | 04 | 00 00 00 10 | 00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08"
    " 00 00";
static const char  *ex_enum =
    "42 00 20 | 05 | 00 00 00 04 | 00 00 00 FF 00 00 00 00";
static const char  *ex_bool =
    "42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 01";
static const char  *ex_text =
    "42 00 20 | 07 | 00 00 00 0B | 48 65 6C 6C 6F 20 57 6F 72 6C 64 00 00 00"
    " 00 00";
static const char  *ex_bytes =
    "42 00 20 | 08 | 00 00 00 03 | 01 02 03 00 00 00 00 00";
static const char  *ex_datetime =
    "42 00 20 | 09 | 00 00 00 08 | 00 00 00 00 47 DA 67 F8";
static const char  *ex_interval =
    "42 00 20 | 0A | 00 00 00 04 | 00 0D 2F 00 00 00 00 00";
static const char  *ex_struct =
    "42 00 20 | 01 | 00 00 00 20 | 42 00 04 | 05 | 00 00 00 04 | 00 00 00 FE"
    " 00 00 00 00 | 42 00 05 | 02 | 00 00 00 04 | 00 00 00 FF 00 00 00 00";


static void
test_spec_examples(void)
{
    uint8_t            big[16];
    ngx_kmip_item_t   *root, *s, *it;
    ngx_kmip_error_t   err;

    reset("spec examples: decode");

    CHECK_RC(decode_hex(ex_integer, &root, &err, NULL), NGX_KMIP_OK);
    CHECK(root->tag == 0x420020 && root->type == NGX_KMIP_TYPE_INTEGER
          && root->v.num == 8);

    CHECK_RC(decode_hex(ex_long, &root, &err, NULL), NGX_KMIP_OK);
    CHECK(root->type == NGX_KMIP_TYPE_LONG_INTEGER
          && root->v.num == 123456789000000000LL);

    CHECK_RC(decode_hex(ex_bigint, &root, &err, NULL), NGX_KMIP_OK);
    hex("00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08 00 00", big);
    CHECK(root->type == NGX_KMIP_TYPE_BIG_INTEGER && root->v.str.len == 16
          && memcmp(root->v.str.data, big, 16) == 0);

    CHECK_RC(decode_hex(ex_enum, &root, &err, NULL), NGX_KMIP_OK);
    CHECK(root->type == NGX_KMIP_TYPE_ENUMERATION && root->v.num == 255);

    CHECK_RC(decode_hex(ex_bool, &root, &err, NULL), NGX_KMIP_OK);
    CHECK(root->type == NGX_KMIP_TYPE_BOOLEAN && root->v.num == 1);

    CHECK_RC(decode_hex(ex_text, &root, &err, NULL), NGX_KMIP_OK);
    CHECK(root->type == NGX_KMIP_TYPE_TEXT_STRING && root->v.str.len == 11
          && memcmp(root->v.str.data, "Hello World", 11) == 0);

    CHECK_RC(decode_hex(ex_bytes, &root, &err, NULL), NGX_KMIP_OK);
    CHECK(root->type == NGX_KMIP_TYPE_BYTE_STRING && root->v.str.len == 3
          && memcmp(root->v.str.data, "\1\2\3", 3) == 0);

    CHECK_RC(decode_hex(ex_datetime, &root, &err, NULL), NGX_KMIP_OK);
    /* Friday, March 14, 2008, 11:56:40 GMT */
    CHECK(root->type == NGX_KMIP_TYPE_DATE_TIME && root->v.num == 1205495800);

    CHECK_RC(decode_hex(ex_interval, &root, &err, NULL), NGX_KMIP_OK);
    CHECK(root->type == NGX_KMIP_TYPE_INTERVAL && root->v.num == 864000);

    CHECK_RC(decode_hex(ex_struct, &root, &err, NULL), NGX_KMIP_OK);
    CHECK(root->type == NGX_KMIP_TYPE_STRUCTURE && root->v.kids.count == 2);
    it = root->v.kids.first;
    CHECK(it->tag == 0x420004 && it->type == NGX_KMIP_TYPE_ENUMERATION
          && it->v.num == 254);
    it = it->next;
    CHECK(it->tag == 0x420005 && it->type == NGX_KMIP_TYPE_INTEGER
          && it->v.num == 255 && it->next == NULL);
    CHECK(root->v.kids.last == it);

    reset("spec examples: encode");

    s = ngx_kmip_ttlv_item_new(&A, 0x420020, NGX_KMIP_TYPE_STRUCTURE);

    it = ngx_kmip_ttlv_add_integer(&A, s, 0x420020, 8);
    CHECK(encodes_to(it, ex_integer));
    it = ngx_kmip_ttlv_add_long(&A, s, 0x420020, 123456789000000000LL);
    CHECK(encodes_to(it, ex_long));
    it = ngx_kmip_ttlv_add_bigint(&A, s, 0x420020, big, 16);
    CHECK(encodes_to(it, ex_bigint));
    it = ngx_kmip_ttlv_add_enum(&A, s, 0x420020, 255);
    CHECK(encodes_to(it, ex_enum));
    it = ngx_kmip_ttlv_add_bool(&A, s, 0x420020, 1);
    CHECK(encodes_to(it, ex_bool));
    it = ngx_kmip_ttlv_add_text(&A, s, 0x420020,
                                (const uint8_t *) "Hello World", 11);
    CHECK(encodes_to(it, ex_text));
    it = ngx_kmip_ttlv_add_bytes(&A, s, 0x420020,
                                 (const uint8_t *) "\1\2\3", 3);
    CHECK(encodes_to(it, ex_bytes));
    it = ngx_kmip_ttlv_add_datetime(&A, s, 0x420020, 1205495800);
    CHECK(encodes_to(it, ex_datetime));
    it = ngx_kmip_ttlv_add_interval(&A, s, 0x420020, 10 * 86400);
    CHECK(encodes_to(it, ex_interval));

    s = ngx_kmip_ttlv_item_new(&A, 0x420020, NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_enum(&A, s, 0x420004, 254);
    ngx_kmip_ttlv_add_integer(&A, s, 0x420005, 255);
    CHECK(encodes_to(s, ex_struct));
    CHECK(s->v.kids.count == 2);
}


/* ------------------------------------------------------------------ */


static void
test_roundtrips(void)
{
    size_t            n;
    uint8_t           buf[1024], *end;
    ngx_kmip_item_t  *s, *inner, *root, *it;
    ngx_kmip_error_t  err;

    reset("round trips");

    s = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_REQUEST_MESSAGE,
                               NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_integer(&A, s, 0x420001, -1);
    ngx_kmip_ttlv_add_integer(&A, s, 0x420001, INT32_MIN);
    ngx_kmip_ttlv_add_integer(&A, s, 0x420001, INT32_MAX);
    ngx_kmip_ttlv_add_long(&A, s, 0x420002, INT64_MIN);
    ngx_kmip_ttlv_add_long(&A, s, 0x420002, -2);
    ngx_kmip_ttlv_add_bigint(&A, s, 0x420003,
                             (const uint8_t *)
                                 "\xff\xff\xff\xff\xff\xff\xff\xfe",
                             8);
    ngx_kmip_ttlv_add_enum(&A, s, 0x420004, 0xFFFFFFFFu);
    ngx_kmip_ttlv_add_enum(&A, s, 0x420004, 0x80000001u);
    ngx_kmip_ttlv_add_bool(&A, s, 0x420005, 0);
    ngx_kmip_ttlv_add_bool(&A, s, 0x420005, 7);
    ngx_kmip_ttlv_add_text(&A, s, 0x420006, (const uint8_t *) "", 0);
    ngx_kmip_ttlv_add_text(&A, s, 0x420006, NULL, 0);
    ngx_kmip_ttlv_add_text(&A, s, 0x420006, (const uint8_t *) "12345678", 8);
    ngx_kmip_ttlv_add_text(&A, s, 0x420006,
                           (const uint8_t *) "\xe2\x82\xac \xf0\x9d\x84\x9e",
                           8);
    ngx_kmip_ttlv_add_bytes(&A, s, 0x420007, (const uint8_t *) "\0\0\0", 3);
    ngx_kmip_ttlv_add_bytes(&A, s, 0x420007, (const uint8_t *) "", 0);
    ngx_kmip_ttlv_add_datetime(&A, s, 0x420008, -1);
    ngx_kmip_ttlv_add_datetime_ext(&A, s, 0x420008, 1205495800123456LL);
    ngx_kmip_ttlv_add_interval(&A, s, 0x420009, 0xFFFFFFFFu);
    inner = ngx_kmip_ttlv_add_struct(&A, s, 0x420010);
    ngx_kmip_ttlv_add_struct(&A, inner, 0x420011);               /* empty */
    ngx_kmip_ttlv_add_integer(&A, inner, 0x540001, 5);          /* extension */
    it = ngx_kmip_ttlv_add_struct(&A, s, 0x54FFFF);
    CHECK(it != NULL);

    n = ngx_kmip_ttlv_size(s);
    CHECK(n <= sizeof(buf) && n % 8 == 0);
    end = ngx_kmip_ttlv_encode(s, buf);
    CHECK((size_t) (end - buf) == n);
    CHECK(roundtrip(buf, n));

    CHECK_RC(ngx_kmip_ttlv_decode(buf, n, NULL, &A, &root, &err),
             NGX_KMIP_OK);
    CHECK(root->v.kids.count == s->v.kids.count);

    it = root->v.kids.first;
    CHECK(it->v.num == -1);
    it = it->next;
    CHECK(it->v.num == INT32_MIN);
    it = it->next;
    CHECK(it->v.num == INT32_MAX);
    it = it->next;
    CHECK(it->v.num == INT64_MIN);
    it = it->next;
    CHECK(it->v.num == -2);
    it = it->next;
    CHECK(it->type == NGX_KMIP_TYPE_BIG_INTEGER && it->v.str.len == 8);
    it = it->next;
    CHECK(it->v.num == 0xFFFFFFFFLL);                /* unsigned */
    it = it->next;
    CHECK(it->v.num == 0x80000001LL);
    it = it->next;
    CHECK(it->type == NGX_KMIP_TYPE_BOOLEAN && it->v.num == 0);
    it = it->next;
    CHECK(it->v.num == 1);
    it = it->next;
    CHECK(it->type == NGX_KMIP_TYPE_TEXT_STRING && it->v.str.len == 0);
    it = it->next->next;
    CHECK(it->v.str.len == 8 && memcmp(it->v.str.data, "12345678", 8) == 0);
    it = it->next->next;
    CHECK(it->type == NGX_KMIP_TYPE_BYTE_STRING && it->v.str.len == 3
          && memcmp(it->v.str.data, "\0\0\0", 3) == 0);
    it = it->next->next;
    CHECK(it->type == NGX_KMIP_TYPE_DATE_TIME && it->v.num == -1);
    it = it->next;
    CHECK(it->type == NGX_KMIP_TYPE_DATE_TIME_EXTENDED
          && it->v.num == 1205495800123456LL);
    it = it->next;
    CHECK(it->type == NGX_KMIP_TYPE_INTERVAL && it->v.num == 0xFFFFFFFFLL);
    it = it->next;
    CHECK(it->type == NGX_KMIP_TYPE_STRUCTURE && it->v.kids.count == 2
          && it->v.kids.first->type == NGX_KMIP_TYPE_STRUCTURE
          && it->v.kids.first->v.kids.count == 0
          && it->v.kids.last->tag == 0x540001);
    it = it->next;
    CHECK(it->tag == 0x54FFFF && it->v.kids.count == 0 && it->next == NULL);

    /* every spec example round-trips */
    n = hex(ex_struct, buf);
    CHECK(roundtrip(buf, n));
    n = hex(ex_bigint, buf);
    CHECK(roundtrip(buf, n));
    n = hex(ex_text, buf);
    CHECK(roundtrip(buf, n));

    /* a lone empty structure */
    n = hex("42007801 00000000", buf);
    CHECK(roundtrip(buf, n));
}


/* ------------------------------------------------------------------ */


/*
 * Items the decoder must refuse: the input, the error it must give and,
 * where the test pins it, the offset and tag it must name.  On every
 * refusal the tree must be NULL.
 */

#define NO_OFFSET  ((size_t) -1)

typedef struct {
    const char  *name;
    const char  *hex;
    int          rc;
    size_t       offset;        /* NO_OFFSET: not checked */
    uint32_t     tag;           /* 0: not checked */
} malformed_t;


static const malformed_t  malformed[] = {

    { "malformed: truncation, empty input", "",
      NGX_KMIP_ERR_TRUNCATED, NO_OFFSET, 0 },
    { "malformed: truncation, short header", "42 00 20 02 00 00 00",
      NGX_KMIP_ERR_TRUNCATED, 0, 0 },
    { "malformed: truncation, declared length > bytes present",
      "42 00 20 07 00 00 00 10 41 41 41 41 41 41 41 41",
      NGX_KMIP_ERR_TRUNCATED, NO_OFFSET, 0x420020 },
    { "malformed: truncation, padding missing after integer",
      "42 00 20 02 00 00 00 04 00 00 00 08",
      NGX_KMIP_ERR_TRUNCATED, NO_OFFSET, 0 },
    { "malformed: truncation, padding missing after text",
      "42 00 20 07 00 00 00 03 41 41 41",
      NGX_KMIP_ERR_TRUNCATED, NO_OFFSET, 0 },
    { "malformed: truncation, structure longer than the buffer",
      "42 00 78 01 00 00 00 18 42 00 20 02 00 00 00 04"
      " 00 00 00 08 00 00 00 00",
      NGX_KMIP_ERR_TRUNCATED, NO_OFFSET, 0 },
    { "malformed: truncation, huge declared length",
      "42 00 20 08 FF FF FF FF 00 00 00 00 00 00 00 00",
      NGX_KMIP_ERR_TRUNCATED, NO_OFFSET, 0 },
    { "malformed: truncation, huge structure length",
      "42 00 20 01 FF FF FF F8 00 00 00 00 00 00 00 00",
      NGX_KMIP_ERR_TRUNCATED, NO_OFFSET, 0 },

    { "malformed: length wrong for type, integer of 8",
      "42 00 20 02 00 00 00 08 00 00 00 08 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, 0, 0x420020 },
    { "malformed: length wrong for type, enumeration of 3",
      "42 00 20 05 00 00 00 03 00 00 00 08 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
    { "malformed: length wrong for type, interval of 8",
      "42 00 20 0A 00 00 00 08 00 00 00 08 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
    { "malformed: length wrong for type, long integer of 4",
      "42 00 20 03 00 00 00 04 00 00 00 08 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
    { "malformed: length wrong for type, boolean of 4",
      "42 00 20 06 00 00 00 04 00 00 00 01 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
    { "malformed: length wrong for type, date-time of 4",
      "42 00 20 09 00 00 00 04 00 00 00 01 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
    { "malformed: length wrong for type, date-time extended of 16",
      "42 00 20 0B 00 00 00 10 00 00 00 01 00 00 00 00"
      " 00 00 00 00 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
    { "malformed: length wrong for type, big integer of 4",
      "42 00 20 04 00 00 00 04 00 00 00 01 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
    { "malformed: length wrong for type, big integer of 0",
      "42 00 20 04 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
    { "malformed: length wrong for type, big integer of 12",
      "42 00 20 04 00 00 00 0C 00 00 00 00 00 00 00 00"
      " 00 00 00 00 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
    { "malformed: length wrong for type, structure of 4",
      "42 00 20 01 00 00 00 04 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },

    { "malformed: padding, integer",
      "42 00 20 02 00 00 00 04 00 00 00 08 00 00 00 01",
      NGX_KMIP_ERR_PADDING, 15, 0 },
    { "malformed: padding, enumeration",
      "42 00 20 05 00 00 00 04 00 00 00 FF 00 01 00 00",
      NGX_KMIP_ERR_PADDING, 13, 0 },
    { "malformed: padding, interval",
      "42 00 20 0A 00 00 00 04 00 0D 2F 00 80 00 00 00",
      NGX_KMIP_ERR_PADDING, NO_OFFSET, 0 },
    { "malformed: padding, text",
      "42 00 20 07 00 00 00 0B 48 65 6C 6C 6F 20 57 6F"
      " 72 6C 64 00 00 00 00 20",
      NGX_KMIP_ERR_PADDING, 23, 0 },
    { "malformed: padding, byte string",
      "42 00 20 08 00 00 00 03 01 02 03 00 00 01 00 00",
      NGX_KMIP_ERR_PADDING, 13, 0 },
    { "malformed: padding, byte string of 1",
      "42 00 20 08 00 00 00 01 01 FF FF FF FF FF FF FF",
      NGX_KMIP_ERR_PADDING, NO_OFFSET, 0 },
    { "malformed: padding, inside a structure",
      "42 00 78 01 00 00 00 10 42 00 20 02 00 00 00 04"
      " 00 00 00 08 00 00 00 01",
      NGX_KMIP_ERR_PADDING, 23, 0x420020 },

    { "malformed: type 0x00", "42 00 20 00 00 00 00 00",
      NGX_KMIP_ERR_TYPE, NO_OFFSET, 0 },
    { "malformed: type 0x0C",
      "42 00 20 0C 00 00 00 04 00 00 00 08 00 00 00 00",
      NGX_KMIP_ERR_TYPE, NO_OFFSET, 0 },
    { "malformed: type 0xFF", "42 00 20 FF 00 00 00 00",
      NGX_KMIP_ERR_TYPE, NO_OFFSET, 0 },

    { "malformed: boolean 2",
      "42 00 20 06 00 00 00 08 00 00 00 00 00 00 00 02",
      NGX_KMIP_ERR_BOOLEAN, NO_OFFSET, 0 },
    { "malformed: boolean, high bytes set",
      "42 00 20 06 00 00 00 08 01 00 00 00 00 00 00 01",
      NGX_KMIP_ERR_BOOLEAN, NO_OFFSET, 0 },
    { "malformed: boolean, all ones",
      "42 00 20 06 00 00 00 08 FF FF FF FF FF FF FF FF",
      NGX_KMIP_ERR_BOOLEAN, NO_OFFSET, 0 },

    { "malformed: tag 0x430020",
      "43 00 20 02 00 00 00 04 00 00 00 08 00 00 00 00",
      NGX_KMIP_ERR_TAG, NO_OFFSET, 0 },
    { "malformed: tag 0", "00 00 00 01 00 00 00 00",
      NGX_KMIP_ERR_TAG, NO_OFFSET, 0 },
    { "malformed: tag of a child",
      "42 00 78 01 00 00 00 10 41 00 20 02 00 00 00 04"
      " 00 00 00 08 00 00 00 00",
      NGX_KMIP_ERR_TAG, 8, 0x410020 },

    { "malformed: trailing byte",
      "42 00 20 02 00 00 00 04 00 00 00 08 00 00 00 00 00",
      NGX_KMIP_ERR_TRAILING, 16, 0 },
    { "malformed: trailing item",
      "42 00 78 01 00 00 00 00 42 00 78 01 00 00 00 00",
      NGX_KMIP_ERR_TRAILING, 8, 0 },

    /* structure says 8, child needs 16, buffer has all 24 */
    { "malformed: child overruns structure",
      "42 00 78 01 00 00 00 08 42 00 20 02 00 00 00 04"
      " 00 00 00 08 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, 8, 0 },
    { "malformed: inner structure longer than outer",
      "42 00 78 01 00 00 00 18 42 00 77 01 00 00 00 18"
      " 42 00 20 02 00 00 00 04 00 00 00 08 00 00 00 00",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
    { "malformed: structure length leaves a partial header",
      "42 00 78 01 00 00 00 18 42 00 20 02 00 00 00 04"
      " 00 00 00 08 00 00 00 00 42 00 20 02 00 00 00 04",
      NGX_KMIP_ERR_LENGTH, NO_OFFSET, 0 },
};


/*
 * One check of the error per case, and one more of where it points and of
 * the tree for the cases that pin an offset or a tag, as the checks written
 * one by one counted them.
 */
static void
test_malformed_items(void)
{
    size_t               k;
    ngx_kmip_item_t     *root;
    ngx_kmip_error_t     err;
    const malformed_t   *c;

    for (k = 0; k < sizeof(malformed) / sizeof(malformed[0]); k++) {
        c = &malformed[k];

        reset(c->name);

        CHECK_RC(decode_hex(c->hex, &root, &err, NULL), c->rc);

        if (c->offset != NO_OFFSET || c->tag != 0) {
            CHECK(root == NULL
                  && (c->offset == NO_OFFSET || err.offset == c->offset)
                  && (c->tag == 0 || err.tag == c->tag));
        }
    }
}


/* UTF-8 and the depth limit */

/*
 * A Text String item at buf whose value is the bytes written in hex, also
 * left at val, *vlen long; returns the item's size
 */
static size_t
text_item(const char *hex_value, uint8_t *val, size_t *vlen, uint8_t *buf)
{
    size_t  n;

    *vlen = hex(hex_value, val);

    n = hex("42 00 20 07 00 00 00 00", buf);
    buf[7] = (uint8_t) *vlen;
    memcpy(buf + 8, val, *vlen);
    memset(buf + 8 + *vlen, 0, 8);

    return n + ((*vlen + 7) & ~(size_t) 7);
}


static void
test_malformed_utf8_depth(void)
{
    size_t              n;
    uint8_t             buf[4096];
    ngx_kmip_item_t    *root;
    ngx_kmip_error_t    err;
    ngx_kmip_limits_t   lim;

    reset("malformed: UTF-8");

    {
        static const char  *bad[] = {
            "C0 80",            /* overlong NUL */
            "C1 BF",            /* overlong */
            "E0 80 80",         /* overlong 3-byte */
            "E0 9F BF",         /* overlong 3-byte */
            "F0 80 80 80",      /* overlong 4-byte */
            "F0 8F BF BF",      /* overlong 4-byte */
            "ED A0 80",         /* surrogate U+D800 */
            "ED BF BF",         /* surrogate U+DFFF */
            "F4 90 80 80",      /* U+110000 */
            "F5 80 80 80",
            "FF",
            "80",               /* lone continuation */
            "41 BF",
            "E2 82",            /* truncated */
            "E2 28 A1",         /* bad continuation */
            "F0 9D 84",         /* truncated 4-byte */
            "C3",
        };
        static const char  *good[] = {
            "",
            "00",
            "7F",
            "C2 80",
            "DF BF",
            "E0 A0 80",
            "E2 82 AC",
            "ED 9F BF",
            "EE 80 80",
            "F0 90 80 80",
            "F0 9D 84 9E",
            "F4 8F BF BF",
        };
        uint8_t  s[16];
        size_t   k, sl;

        for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
            n = text_item(bad[k], s, &sl, buf);
            CHECK_RC(ngx_kmip_ttlv_decode(buf, n, NULL, &A, &root, &err),
                     NGX_KMIP_ERR_UTF8);
            CHECK(!ngx_kmip_ttlv_utf8_valid(s, sl, NULL));

            /* the same bytes are fine in a Byte String */
            buf[3] = NGX_KMIP_TYPE_BYTE_STRING;
            CHECK_RC(ngx_kmip_ttlv_decode(buf, n, NULL, &A, &root, &err),
                     NGX_KMIP_OK);
        }

        for (k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
            n = text_item(good[k], s, &sl, buf);
            CHECK_RC(ngx_kmip_ttlv_decode(buf, n, NULL, &A, &root, &err),
                     NGX_KMIP_OK);
        }

        /* offset of the bad byte */
        n = hex("42 00 20 07 00 00 00 05 41 42 43 ED A0 00 00 00", buf);
        CHECK_RC(ngx_kmip_ttlv_decode(buf, n, NULL, &A, &root, &err),
                 NGX_KMIP_ERR_UTF8);
        CHECK(err.offset == 11);
    }

    reset("limits: depth");

    /* d nested structures: the innermost is empty */
    {
        size_t  d, k;

        for (d = 31; d <= 33; d++) {
            n = 0;
            for (k = 0; k < d; k++) {
                buf[n++] = 0x42;
                buf[n++] = 0x00;
                buf[n++] = 0x01;
                buf[n++] = 0x01;
                buf[n++] = 0;
                buf[n++] = 0;
                buf[n++] = (uint8_t) (((d - k - 1) * 8) >> 8);
                buf[n++] = (uint8_t) ((d - k - 1) * 8);
            }

            arena.used = 0;
            CHECK_RC(ngx_kmip_ttlv_decode(buf, n, NULL, &A, &root, &err),
                     d <= NGX_KMIP_DEFAULT_MAX_DEPTH ? NGX_KMIP_OK
                                                     : NGX_KMIP_ERR_DEPTH);
        }

        CHECK(err.offset == 32 * 8);

        lim.max_depth = 3;
        lim.max_items = 0;
        CHECK_RC(ngx_kmip_ttlv_decode(buf, 3 * 8, &lim, &A, &root, &err),
                 NGX_KMIP_ERR_TRUNCATED);  /* outer length covers 33 levels */

        /* 4 levels within max_depth 3 */
        n = hex("42000101 00000018 42000101 00000010 42000101 00000008"
                " 42000101 00000000", buf);
        CHECK_RC(ngx_kmip_ttlv_decode(buf, n, &lim, &A, &root, &err),
                 NGX_KMIP_ERR_DEPTH);
        lim.max_depth = 4;
        CHECK_RC(ngx_kmip_ttlv_decode(buf, n, &lim, &A, &root, &err),
                 NGX_KMIP_OK);
        /* a primitive at depth max_depth + 1 */
        n = hex("42000101 00000018 42000101 00000010 42000202 00000004"
                " 00000001 00000000", buf);
        lim.max_depth = 2;
        CHECK_RC(ngx_kmip_ttlv_decode(buf, n, &lim, &A, &root, &err),
                 NGX_KMIP_ERR_DEPTH);
        lim.max_depth = 3;
        CHECK_RC(ngx_kmip_ttlv_decode(buf, n, &lim, &A, &root, &err),
                 NGX_KMIP_OK);
    }
}


/* the item limit and allocation failure */

static void
test_malformed_count(void)
{
    size_t              n, i;
    uint8_t             buf[4096];
    ngx_kmip_item_t    *root;
    ngx_kmip_error_t    err;
    ngx_kmip_limits_t   lim;

    reset("limits: items");

    /* a structure with 10 integers: 11 items */
    n = 0;
    n += hex("42007801 000000A0", buf);
    for (i = 0; i < 10; i++) {
        n += hex("42000202 00000004 00000001 00000000", buf + n);
    }

    lim.max_depth = 0;
    lim.max_items = 11;
    CHECK_RC(ngx_kmip_ttlv_decode(buf, n, &lim, &A, &root, &err),
             NGX_KMIP_OK);
    CHECK(root->v.kids.count == 10);
    lim.max_items = 10;
    CHECK_RC(ngx_kmip_ttlv_decode(buf, n, &lim, &A, &root, &err),
             NGX_KMIP_ERR_ITEMS);
    CHECK(err.offset == 8 + 9 * 16);

    /* default item limit: 10001 empty structures in one */
    {
        static uint8_t  many[8 + 10001 * 8];
        size_t          k, m;

        m = 0;
        many[m++] = 0x42; many[m++] = 0x00; many[m++] = 0x78; many[m++] = 1;
        many[m++] = 0; many[m++] = (uint8_t) ((10001 * 8) >> 16);
        many[m++] = (uint8_t) ((10001 * 8) >> 8);
        many[m++] = (uint8_t) (10001 * 8);

        for (k = 0; k < 10001; k++) {
            many[m++] = 0x42; many[m++] = 0x00; many[m++] = 0x01;
            many[m++] = 1; many[m++] = 0; many[m++] = 0; many[m++] = 0;
            many[m++] = 0;
        }

        arena.used = 0;
        CHECK_RC(ngx_kmip_ttlv_decode(many, m, NULL, &A, &root, &err),
                 NGX_KMIP_ERR_ITEMS);
        arena.used = 0;
        CHECK_RC(ngx_kmip_ttlv_decode(many, m - 8 * 2, NULL, &A, &root, &err),
                 NGX_KMIP_ERR_TRUNCATED);
        many[6] = (uint8_t) ((10001 * 8 - 16) >> 8);
        many[5] = (uint8_t) ((10001 * 8 - 16) >> 16);
        many[7] = (uint8_t) (10001 * 8 - 16);
        arena.used = 0;
        CHECK_RC(ngx_kmip_ttlv_decode(many, m - 16, NULL, &A, &root, &err),
                 NGX_KMIP_OK);  /* 1 + 9999 items */
    }

    reset("nomem");

    n = hex(ex_struct, buf);
    for (i = 0; i < 4; i++) {
        arena.used = 0;
        arena.cap = i * 16;
        CHECK_RC(ngx_kmip_ttlv_decode(buf, n, NULL, &A, &root, &err),
                 NGX_KMIP_ERR_NOMEM);
    }
    arena.cap = sizeof(arena_mem);
}


/* ------------------------------------------------------------------ */


static void
test_peek(void)
{
    uint8_t   b[8], type;
    uint32_t  tag, len;

    reset("peek header");

    hex("42007801 00000060", b);
    CHECK_RC(ngx_kmip_ttlv_peek_header(b, &tag, &type, &len), NGX_KMIP_OK);
    CHECK(tag == 0x420078 && type == 1 && len == 0x60);

    hex("42007802 00000004", b);
    CHECK_RC(ngx_kmip_ttlv_peek_header(b, &tag, &type, &len),
             NGX_KMIP_ERR_TYPE);
    hex("16030100 00000004", b);       /* a TLS record */
    CHECK_RC(ngx_kmip_ttlv_peek_header(b, &tag, &type, &len),
             NGX_KMIP_ERR_TAG);
    hex("47455420 2F204854", b);       /* "GET / HT" */
    CHECK_RC(ngx_kmip_ttlv_peek_header(b, &tag, &type, &len),
             NGX_KMIP_ERR_TAG);
    hex("42007801 00000061", b);
    CHECK_RC(ngx_kmip_ttlv_peek_header(b, &tag, &type, &len),
             NGX_KMIP_ERR_LENGTH);
    hex("54000101 FFFFFFF8", b);
    CHECK_RC(ngx_kmip_ttlv_peek_header(b, &tag, &type, &len), NGX_KMIP_OK);
    CHECK(len == 0xFFFFFFF8u);
}


/* ------------------------------------------------------------------ */
/* builders, find, copy                                                */


static void
test_builders(void)
{
    uint8_t           text[4] = "abc";
    ngx_kmip_item_t  *s, *a, *b, *c, *copy, *it;

    reset("builders");

    CHECK(ngx_kmip_ttlv_add_struct(&A, NULL, 0x420001) == NULL);
    CHECK(ngx_kmip_ttlv_add_integer(&A, NULL, 0x420001, 1) == NULL);
    CHECK(ngx_kmip_ttlv_add_text(&A, NULL, 0x420001, text, 3) == NULL);
    CHECK(ngx_kmip_ttlv_add_integer(&A,
              ngx_kmip_ttlv_add_struct(&A, NULL, 0x420001),
              0x420002, 1) == NULL);

    s = ngx_kmip_ttlv_item_new(&A, 0x420001, NGX_KMIP_TYPE_STRUCTURE);
    CHECK(s && s->v.kids.count == 0 && s->v.kids.first == NULL
          && s->next == NULL);

    /* add_* onto a non-structure fails */
    a = ngx_kmip_ttlv_add_integer(&A, s, 0x420002, 1);
    CHECK(ngx_kmip_ttlv_add_integer(&A, a, 0x420002, 1) == NULL);
    CHECK(ngx_kmip_ttlv_add_bytes(&A, s, 0x420003, NULL, 1) == NULL);

    b = ngx_kmip_ttlv_add_text(&A, s, 0x420003, text, 3);
    c = ngx_kmip_ttlv_add_integer(&A, s, 0x420002, 2);
    CHECK(s->v.kids.count == 3 && s->v.kids.first == a && a->next == b
          && b->next == c && s->v.kids.last == c);

    CHECK(ngx_kmip_ttlv_find(s, 0x420002) == a);
    CHECK(ngx_kmip_ttlv_find_next(a, 0x420002) == c);
    CHECK(ngx_kmip_ttlv_find_next(c, 0x420002) == NULL);
    CHECK(ngx_kmip_ttlv_find(s, 0x420009) == NULL);
    CHECK(ngx_kmip_ttlv_find(NULL, 0x420002) == NULL);
    CHECK(ngx_kmip_ttlv_find(a, 0x420002) == NULL);
    CHECK(ngx_kmip_ttlv_find_next(NULL, 0x420002) == NULL);

    copy = ngx_kmip_ttlv_item_copy(&A, s);
    CHECK(copy != NULL && copy != s && copy->v.kids.count == 3);
    text[0] = 'X';
    it = ngx_kmip_ttlv_find(copy, 0x420003);
    CHECK(it && it->v.str.len == 3 && memcmp(it->v.str.data, "abc", 3) == 0);
    CHECK(b->v.str.data[0] == 'X');
    CHECK(ngx_kmip_ttlv_size(copy) == ngx_kmip_ttlv_size(s));

    /* append of a detached item */
    it = ngx_kmip_ttlv_item_new(&A, 0x420004, NGX_KMIP_TYPE_BOOLEAN);
    it->v.num = 1;
    it->next = a;                       /* garbage: must be reset */
    ngx_kmip_ttlv_item_append(s, it);
    CHECK(s->v.kids.count == 4 && it->next == NULL && c->next == it);

    /* allocation failure */
    arena.cap = arena.used;
    CHECK(ngx_kmip_ttlv_add_integer(&A, s, 0x420002, 1) == NULL);
    CHECK(ngx_kmip_ttlv_item_copy(&A, s) == NULL);
    arena.cap = sizeof(arena_mem);

    CHECK(strcmp(ngx_kmip_ttlv_type_name(NGX_KMIP_TYPE_TEXT_STRING),
                 "Text String") == 0);
    CHECK(strcmp(ngx_kmip_ttlv_strerror(NGX_KMIP_ERR_PADDING),
                 "non-zero padding") == 0);
}


/* ------------------------------------------------------------------ */
/* names, tags, enums                                                  */


static void
test_names(void)
{
    reset("names");

    CHECK(strcmp(ngx_kmip_tag_name(0x420094), "Unique Identifier") == 0);
    CHECK(strcmp(ngx_kmip_tag_name(0x420078), "Request Message") == 0);
    CHECK(strcmp(ngx_kmip_tag_name(0x420001), "Activation Date") == 0);
    CHECK(strcmp(ngx_kmip_tag_name(0x420091), "Template-Attribute") == 0);
    CHECK(ngx_kmip_tag_name(0x420000) == NULL);
    CHECK(ngx_kmip_tag_name(0x540001) == NULL);
    CHECK(ngx_kmip_tag_name(0x42FFFF) == NULL);

    CHECK(ngx_kmip_tag_by_name("Cryptographic Algorithm", 23) == 0x420028);
    CHECK(ngx_kmip_tag_by_name("Unique Identifier", 17) == 0x420094);
    CHECK(ngx_kmip_tag_by_name("State", 5) == 0x42008D);
    CHECK(ngx_kmip_tag_by_name("Attributes", 10) == 0x420125);
    CHECK(ngx_kmip_tag_by_name("Template-Attribute", 18) == 0x420091);
    CHECK(ngx_kmip_tag_by_name("Cryptographic Usage Mask", 24) == 0x42002C);
    CHECK(ngx_kmip_tag_by_name("Activation Date", 15) == 0x420001);
    CHECK(ngx_kmip_tag_by_name("Unique", 6) == 0);
    CHECK(ngx_kmip_tag_by_name("Unique Identifierx", 18) == 0);
    CHECK(ngx_kmip_tag_by_name("x-Vendor", 8) == 0);
    CHECK(ngx_kmip_tag_by_name("", 0) == 0);
    CHECK(ngx_kmip_tag_by_name(NULL, 0) == 0);
    CHECK(ngx_kmip_tag_by_name("StateXX", 5) == 0x42008D);

    /* the lookup goes by the CamelCase spelling, yet takes only spec names */
    CHECK(ngx_kmip_tag_by_name("X.509 Certificate Issuer", 24) == 0x4200B6);
    CHECK(ngx_kmip_tag_by_name("PKCS#11 Function", 16) == 0x42015A);
    CHECK(ngx_kmip_tag_by_name("IV/Counter/Nonce", 16) == 0x42003D);
    CHECK(ngx_kmip_tag_by_name("UniqueIdentifier", 16) == 0);
    CHECK(ngx_kmip_tag_by_name("unique identifier", 17) == 0);
    CHECK(ngx_kmip_tag_by_name("Unique-Identifier", 17) == 0);
    CHECK(ngx_kmip_tag_by_camel("UniqueIdentifier", 16) == 0x420094);
    CHECK(ngx_kmip_tag_by_camel("X_509CertificateIssuer", 22) == 0x4200B6);
    CHECK(ngx_kmip_tag_by_camel("Unique Identifier", 17) == 0);
    CHECK(strcmp(ngx_kmip_tag_camel_name(0x42003D), "IVCounterNonce") == 0);
    CHECK(ngx_kmip_tag_camel_name(0x42FFFF) == NULL);

    /* every known tag maps back to itself by name */
    {
        int          ok, known;
        uint32_t     t;
        const char  *name;

        ok = 1;
        known = 0;

        for (t = 0x420000; t <= 0x4201FF; t++) {
            name = ngx_kmip_tag_name(t);
            if (name == NULL) {
                continue;
            }

            known++;

            if (ngx_kmip_tag_by_name(name, strlen(name)) != t) {
                fprintf(stderr, "  name round trip: %06X %s\n",
                        (unsigned) t, name);
                ok = 0;
            }
        }

        CHECK(ok);
        CHECK(known > 330);
    }

    reset("tags and enums");

    CHECK(NGX_KMIP_TAG_UNIQUE_BATCH_ITEM_ID == 0x420093);
    CHECK(NGX_KMIP_TAG_VENDOR_IDENTIFICATION == 0x42009D);
    CHECK(NGX_KMIP_TAG_PASSWORD == 0x4200A1);
    CHECK(NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE == 0x420091);
    CHECK(NGX_KMIP_TAG_ATTRIBUTE_REFERENCE == 0x42013B);
    CHECK(NGX_KMIP_TAG_EPHEMERAL == 0x420154);
    CHECK(NGX_KMIP_TAG_CONSTRAINT == 0x420169);

    CHECK(NGX_KMIP_OP_DISCOVER_VERSIONS == 0x1E);
    CHECK(NGX_KMIP_OPERATION_QUERY == 0x18);
    CHECK(NGX_KMIP_OP_PING == 0x3B);
    CHECK(NGX_KMIP_REASON_ITEM_NOT_FOUND == 0x01);
    CHECK(NGX_KMIP_REASON_RESPONSE_TOO_LARGE == 0x02);
    CHECK(NGX_KMIP_REASON_INVALID_MESSAGE == 0x04);
    CHECK(NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED == 0x05);
    CHECK(NGX_KMIP_REASON_MISSING_DATA == 0x06);
    CHECK(NGX_KMIP_REASON_INVALID_FIELD == 0x07);
    CHECK(NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED == 0x08);
    CHECK(NGX_KMIP_REASON_ILLEGAL_OPERATION == 0x0B);
    CHECK(NGX_KMIP_REASON_PERMISSION_DENIED == 0x0C);
    CHECK(NGX_KMIP_REASON_WRONG_KEY_LIFECYCLE_STATE == 0x43);
    CHECK(NGX_KMIP_RESULT_REASON_GENERAL_FAILURE == 0x100);
    CHECK(NGX_KMIP_STATUS_OPERATION_UNDONE == 3);
    CHECK(NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY == 2);
    CHECK(NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES == 3);
    CHECK(NGX_KMIP_KEY_FORMAT_TYPE_RAW == 1);
    CHECK(NGX_KMIP_STATE_DESTROYED_COMPROMISED == 6);
    CHECK(NGX_KMIP_QUERY_FUNCTION_QUERY_SERVER_INFORMATION == 3);
    CHECK(NGX_KMIP_CREDENTIAL_TYPE_USERNAME_AND_PASSWORD == 1);
    CHECK(NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_STOP == 2);
    CHECK(NGX_KMIP_REVOCATION_REASON_CODE_KEY_COMPROMISE == 2);
    CHECK(NGX_KMIP_NAME_TYPE_URI == 2);
    CHECK(NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT
          + NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DECRYPT == 12);
}


/* ------------------------------------------------------------------ */
/* messages                                                            */


/* vCenter 7.0.3 Discover Versions, exactly as on the wire */
static const char  *vc_dv =
    "42007801 00000060"
    "  42007701 00000038"
    "    42006901 00000020"
    "      42006a02 00000004 00000001 00000000"
    "      42006b02 00000004 00000001 00000000"
    "    42000d02 00000004 00000001 00000000"
    "  42000f01 00000018"
    "    42005c05 00000004 0000001e 00000000"
    "    42007901 00000000";

/* vCenter Query Server Information with UBI QLKC#1 */
static const char  *vc_query =
    "42007801 00000080"
    "  42007701 00000038"
    "    42006901 00000020"
    "      42006a02 00000004 00000001 00000000"
    "      42006b02 00000004 00000001 00000000"
    "    42000d02 00000004 00000001 00000000"
    "  42000f01 00000038"
    "    42005c05 00000004 00000018 00000000"
    "    42009308 00000008 514c4b43 01000000"
    "    42007901 00000010"
    "      42007405 00000004 00000003 00000000";


static int
parse_hex(const char *s, ngx_kmip_request_t *req, int *vk,
    ngx_kmip_error_t *err)
{
    int               rc;
    size_t            n;
    ngx_kmip_item_t  *root;

    n = hex(s, ibuf);

    rc = ngx_kmip_ttlv_decode(ibuf, n, NULL, &A, &root, err);
    if (rc != NGX_KMIP_OK) {
        return rc;
    }

    return ngx_kmip_request_parse(root, &A, req, vk, err);
}


static int
parse_tree(ngx_kmip_item_t *msg, ngx_kmip_request_t *req, int *vk,
    ngx_kmip_error_t *err)
{
    int               rc;
    size_t            n;
    uint8_t          *buf;
    ngx_kmip_item_t  *root;

    n = ngx_kmip_ttlv_size(msg);
    buf = ngx_kmip_test_alloc(&arena, n);
    ngx_kmip_ttlv_encode(msg, buf);

    rc = ngx_kmip_ttlv_decode(buf, n, NULL, &A, &root, err);
    if (rc != NGX_KMIP_OK) {
        return rc;
    }

    return ngx_kmip_request_parse(root, &A, req, vk, err);
}


static ngx_kmip_item_t *
add_item(ngx_kmip_item_t *msg, uint32_t op, const char *ubi)
{
    ngx_kmip_item_t  *bi;

    bi = ngx_kmip_ttlv_add_struct(&A, msg, NGX_KMIP_TAG_BATCH_ITEM);
    ngx_kmip_ttlv_add_enum(&A, bi, NGX_KMIP_TAG_OPERATION, op);

    if (ubi) {
        ngx_kmip_ttlv_add_bytes(&A, bi, NGX_KMIP_TAG_UNIQUE_BATCH_ITEM_ID,
                                (const uint8_t *) ubi, 8);
    }

    return ngx_kmip_ttlv_add_struct(&A, bi, NGX_KMIP_TAG_REQUEST_PAYLOAD);
}


/*
 * a request of one Discover Versions whose header has one more field,
 * before the Batch Count: most header checks differ only in that field
 */
static ngx_kmip_item_t *
header_field_request(int32_t major, int32_t minor, uint32_t tag,
    uint8_t type, int64_t v)
{
    ngx_kmip_item_t  *msg, *hdr, *field;

    msg = ngx_kmip_test_request(&A, major, minor, &hdr);

    field = ngx_kmip_ttlv_item_new(&A, tag, type);
    field->v.num = v;
    ngx_kmip_ttlv_item_append(hdr, field);

    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);

    return msg;
}


/* a Credential of the given type in auth; returns its Credential Value */
static ngx_kmip_item_t *
add_credential(ngx_kmip_item_t *auth, uint32_t type)
{
    ngx_kmip_item_t  *cred;

    cred = ngx_kmip_ttlv_add_struct(&A, auth, NGX_KMIP_TAG_CREDENTIAL);
    ngx_kmip_ttlv_add_enum(&A, cred, NGX_KMIP_TAG_CREDENTIAL_TYPE, type);

    return ngx_kmip_ttlv_add_struct(&A, cred, NGX_KMIP_TAG_CREDENTIAL_VALUE);
}


/*
 * a request whose header has an Authentication, to fill, before a Batch
 * Count of 1: the Authentication checks differ only in its Credentials
 */
static ngx_kmip_item_t *
auth_request(int32_t major, int32_t minor, ngx_kmip_item_t **auth)
{
    ngx_kmip_item_t  *msg, *hdr;

    msg = ngx_kmip_test_request(&A, major, minor, &hdr);
    *auth = ngx_kmip_ttlv_add_struct(&A, hdr, NGX_KMIP_TAG_AUTHENTICATION);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1);

    return msg;
}


/* a Text String field of a C string */
static void
add_text(ngx_kmip_item_t *parent, uint32_t tag, const char *text)
{
    ngx_kmip_ttlv_add_text(&A, parent, tag, (const uint8_t *) text,
                           strlen(text));
}


static void
add_attribute_payload(ngx_kmip_item_t *pl, const char *name,
    const char *value)
{
    ngx_kmip_item_t  *attr;

    ngx_kmip_ttlv_add_text(&A, pl, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                           (const uint8_t *) "1", 1);
    attr = ngx_kmip_ttlv_add_struct(&A, pl, NGX_KMIP_TAG_ATTRIBUTE);
    ngx_kmip_ttlv_add_text(&A, attr, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                           (const uint8_t *) name, strlen(name));
    ngx_kmip_ttlv_add_text(&A, attr, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                           (const uint8_t *) value, strlen(value));
}


static void
test_requests_vcenter(void)
{
    int                  vk;
    ngx_kmip_item_t     *msg, *hdr, *pl, *it;
    ngx_kmip_error_t     err;
    ngx_kmip_request_t   req;

    reset("request: vCenter Discover Versions");

    CHECK_RC(parse_hex(vc_dv, &req, &vk, &err), NGX_KMIP_OK);
    CHECK(vk == 1 && req.major == 1 && req.minor == 1);
    CHECK(req.batch_count == 1 && req.nitems == 1);
    CHECK(req.maximum_response_size == -1 && req.authentication == NULL
          && req.credential_type == 0 && req.username == NULL
          && req.batch_order_option == -1
          && req.batch_error_continuation == 0 && req.time_stamp == -1);
    CHECK(req.items[0].operation == NGX_KMIP_OP_DISCOVER_VERSIONS);
    CHECK(req.items[0].unique_batch_item_id == NULL);
    CHECK(req.items[0].payload != NULL
          && req.items[0].payload->v.kids.count == 0);
    CHECK(req.items[0].item_error == NULL);

    reset("request: vCenter Query Server Information");

    CHECK_RC(parse_hex(vc_query, &req, &vk, &err), NGX_KMIP_OK);
    CHECK(req.nitems == 1 && req.items[0].operation == NGX_KMIP_OP_QUERY);
    CHECK(req.items[0].unique_batch_item_id != NULL
          && req.items[0].unique_batch_item_id->v.str.len == 8
          && memcmp(req.items[0].unique_batch_item_id->v.str.data,
                    "QLKC\1\0\0\0", 8) == 0);
    it = ngx_kmip_ttlv_find(req.items[0].payload,
                            NGX_KMIP_TAG_QUERY_FUNCTION);
    CHECK(it && it->v.num == NGX_KMIP_QUERY_FUNCTION_QUERY_SERVER_INFORMATION);

    reset("request: vCenter 3-item Add Attribute batch");

    msg = ngx_kmip_test_request(&A, 1, 1, &hdr);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 3);
    pl = add_item(msg, NGX_KMIP_OP_ADD_ATTRIBUTE, "QLKC\1\0\0\0");
    add_attribute_payload(pl, "x-Product_Version", "7.0.3 build-19480866");
    pl = add_item(msg, NGX_KMIP_OP_ADD_ATTRIBUTE, "QLKC\2\0\0\0");
    add_attribute_payload(pl, "x-Vendor", "VMware, Inc.");
    pl = add_item(msg, NGX_KMIP_OP_ADD_ATTRIBUTE, "QLKC\3\0\0\0");
    add_attribute_payload(pl, "x-Product", "VMware vSphere");

    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_OK);
    CHECK(req.batch_count == 3 && req.nitems == 3);
    CHECK(req.items[0].operation == NGX_KMIP_OP_ADD_ATTRIBUTE
          && req.items[1].operation == NGX_KMIP_OP_ADD_ATTRIBUTE
          && req.items[2].operation == NGX_KMIP_OP_ADD_ATTRIBUTE);
    CHECK(req.items[2].unique_batch_item_id->v.str.data[4] == 3);
    CHECK(req.items[1].item_error == NULL);
    it = ngx_kmip_ttlv_find(req.items[1].payload, NGX_KMIP_TAG_ATTRIBUTE);
    it = ngx_kmip_ttlv_find(it, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
    CHECK(it && it->v.str.len == 12
          && memcmp(it->v.str.data, "VMware, Inc.", 12) == 0);
}


/* credentials and a full 1.4 header */

static void
test_requests_auth(void)
{
    int                  vk;
    ngx_kmip_item_t     *msg, *hdr, *pl, *auth, *cred, *cv;
    ngx_kmip_error_t     err;
    ngx_kmip_request_t   req;

    reset("request: Authentication Username/Password (vCenter 8.0.1)");

    msg = auth_request(1, 1, &auth);
    cv = add_credential(auth, NGX_KMIP_CREDENTIAL_TYPE_USERNAME_AND_PASSWORD);
    add_text(cv, NGX_KMIP_TAG_USERNAME, "vSphere");
    add_text(cv, NGX_KMIP_TAG_PASSWORD, "password");
    pl = add_item(msg, NGX_KMIP_OP_CREATE, "QLKC\1\0\0\0");
    ngx_kmip_ttlv_add_enum(&A, pl, NGX_KMIP_TAG_OBJECT_TYPE,
                           NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);

    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_OK);
    CHECK(req.authentication != NULL);
    CHECK(req.credential_type == 1);
    CHECK(req.username_len == 7
          && memcmp(req.username, "vSphere", 7) == 0);
    CHECK(req.password_len == 8
          && memcmp(req.password, "password", 8) == 0);
    CHECK(req.items[0].operation == NGX_KMIP_OP_CREATE);

    /* Username without Password */
    msg = auth_request(1, 4, &auth);
    cv = add_credential(auth, 1);
    add_text(cv, NGX_KMIP_TAG_USERNAME, "u");
    add_item(msg, NGX_KMIP_OP_GET, NULL);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_OK);
    CHECK(req.username_len == 1 && req.password == NULL);

    /* 2.x: several credentials, the first Username/Password one wins */
    msg = auth_request(2, 1, &auth);
    cv = add_credential(auth, NGX_KMIP_CREDENTIAL_TYPE_DEVICE);
    add_text(cv, NGX_KMIP_TAG_DEVICE_SERIAL_NUMBER, "sn");
    cv = add_credential(auth, 1);
    add_text(cv, NGX_KMIP_TAG_USERNAME, "first");
    add_text(cv, NGX_KMIP_TAG_PASSWORD, "pw1");
    cv = add_credential(auth, 1);
    add_text(cv, NGX_KMIP_TAG_USERNAME, "second");
    add_item(msg, NGX_KMIP_OP_QUERY, NULL);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_OK);
    CHECK(req.major == 2 && req.minor == 1);
    CHECK(req.credential_type == 1 && req.username_len == 5
          && memcmp(req.username, "first", 5) == 0
          && req.password_len == 3);

    /* Credential without Credential Value */
    msg = auth_request(1, 1, &auth);
    cred = ngx_kmip_ttlv_add_struct(&A, auth, NGX_KMIP_TAG_CREDENTIAL);
    ngx_kmip_ttlv_add_enum(&A, cred, NGX_KMIP_TAG_CREDENTIAL_TYPE, 1);
    add_item(msg, NGX_KMIP_OP_QUERY, NULL);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1);

    /* Username as a Byte String */
    msg = auth_request(1, 1, &auth);
    cv = add_credential(auth, 1);
    ngx_kmip_ttlv_add_bytes(&A, cv, NGX_KMIP_TAG_USERNAME,
                            (const uint8_t *) "u", 1);
    add_item(msg, NGX_KMIP_OP_QUERY, NULL);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);

    reset("request: full 1.4 header");

    msg = ngx_kmip_test_request(&A, 1, 4, &hdr);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_MAXIMUM_RESPONSE_SIZE,
                              4096);
    ngx_kmip_ttlv_add_text(&A, hdr, NGX_KMIP_TAG_CLIENT_CORRELATION_VALUE,
                           (const uint8_t *) "c", 1);
    ngx_kmip_ttlv_add_bool(&A, hdr, NGX_KMIP_TAG_ASYNCHRONOUS_INDICATOR, 0);
    ngx_kmip_ttlv_add_bool(&A, hdr, NGX_KMIP_TAG_ATTESTATION_CAPABLE_INDICATOR,
                           1);
    ngx_kmip_ttlv_add_enum(&A, hdr, NGX_KMIP_TAG_ATTESTATION_TYPE, 1);
    ngx_kmip_ttlv_add_enum(&A, hdr, NGX_KMIP_TAG_ATTESTATION_TYPE, 2);
    ngx_kmip_ttlv_add_enum(&A, hdr,
                           NGX_KMIP_TAG_BATCH_ERROR_CONTINUATION_OPTION,
                           NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_CONTINUE);
    ngx_kmip_ttlv_add_bool(&A, hdr, NGX_KMIP_TAG_BATCH_ORDER_OPTION, 1);
    ngx_kmip_ttlv_add_datetime(&A, hdr, NGX_KMIP_TAG_TIME_STAMP, 1205495800);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 2);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    add_item(msg, NGX_KMIP_OP_QUERY, "QLKC\2\0\0\0");
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_OK);
    CHECK(req.maximum_response_size == 4096 && req.batch_order_option == 1
          && req.batch_error_continuation == 1
          && req.time_stamp == 1205495800 && req.asynchronous_indicator == 0
          && req.attestation_capable == 1
          && req.client_correlation_value != NULL && req.nitems == 2);
}


/* header errors with the version known */

/* the header fields a request is refused for, in a header of its version */
static const struct {
    int32_t              major;
    int32_t              minor;
    uint32_t             tag;
    uint8_t              type;
    int64_t              v;
    const char          *name;
} header_fields[] = {
    { 1, 1, NGX_KMIP_TAG_ATTESTATION_CAPABLE_INDICATOR, NGX_KMIP_TYPE_BOOLEAN,
      1, "Attestation Capable Indicator in 1.1" },
    { 2, 0, NGX_KMIP_TAG_ASYNCHRONOUS_INDICATOR, NGX_KMIP_TYPE_BOOLEAN, 1,
      "Asynchronous Indicator: Boolean in 1.x, Enumeration in 2.x" },
    { 1, 1, NGX_KMIP_TAG_BATCH_ORDER_OPTION, NGX_KMIP_TYPE_INTEGER, 1,
      "Batch Order Option not a Boolean" },
    { 1, 1, NGX_KMIP_TAG_BATCH_ERROR_CONTINUATION_OPTION,
      NGX_KMIP_TYPE_ENUMERATION, 4,
      "Batch Error Continuation Option out of range" },
    { 1, 1, NGX_KMIP_TAG_TIME_STAMP, NGX_KMIP_TYPE_LONG_INTEGER, 1,
      "Time Stamp as a Long Integer" },
    { 1, 1, NGX_KMIP_TAG_MAXIMUM_RESPONSE_SIZE, NGX_KMIP_TYPE_LONG_INTEGER, 1,
      "Maximum Response Size as a Long Integer" },
    { 1, 1, NGX_KMIP_TAG_BATCH_COUNT, NGX_KMIP_TYPE_INTEGER, 1,
      "duplicate Batch Count" },
};


static void
test_requests_header(void)
{
    int                  vk;
    size_t               i;
    ngx_kmip_item_t     *msg, *hdr;
    ngx_kmip_error_t     err;
    ngx_kmip_request_t   req;

    reset("request: header errors with version known");

    /* Batch Count mismatch */
    msg = ngx_kmip_test_request(&A, 1, 1, &hdr);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 2);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1 && req.major == 1 && req.minor == 1);
    CHECK(err.rc == NGX_KMIP_ERR_MESSAGE && err.what != NULL);

    msg = ngx_kmip_test_request(&A, 1, 2, &hdr);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1 && req.major == 1 && req.minor == 2);

    /* missing Batch Count */
    msg = ngx_kmip_test_request(&A, 1, 0, &hdr);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1 && req.major == 1 && req.minor == 0);

    /* Batch Count 0, no items */
    msg = ngx_kmip_test_request(&A, 1, 1, &hdr);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 0);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1);

    /* no Batch Item at all */
    msg = ngx_kmip_test_request(&A, 1, 1, &hdr);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1);

    /* Batch Count as an Enumeration */
    msg = ngx_kmip_test_request(&A, 1, 1, &hdr);
    ngx_kmip_ttlv_add_enum(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1 && err.tag == NGX_KMIP_TAG_BATCH_COUNT);

    /* unknown tag in the header */
    msg = ngx_kmip_test_request(&A, 1, 1, &hdr);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1);
    ngx_kmip_ttlv_add_text(&A, hdr, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                           (const uint8_t *) "1", 1);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1 && err.tag == NGX_KMIP_TAG_UNIQUE_IDENTIFIER);

    /* a 1.4 field in a 1.1 header */
    msg = ngx_kmip_test_request(&A, 1, 1, &hdr);
    ngx_kmip_ttlv_add_text(&A, hdr, NGX_KMIP_TAG_CLIENT_CORRELATION_VALUE,
                           (const uint8_t *) "c", 1);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1);

    /* one header field of the wrong type or out of range */
    for (i = 0; i < sizeof(header_fields) / sizeof(header_fields[0]); i++) {
        current = header_fields[i].name;
        msg = header_field_request(header_fields[i].major,
                                   header_fields[i].minor,
                                   header_fields[i].tag,
                                   header_fields[i].type,
                                   header_fields[i].v);
        CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
        CHECK(vk == 1 && req.major == header_fields[i].major);
    }

    current = "request: header errors with version known";

    msg = header_field_request(2, 0, NGX_KMIP_TAG_ASYNCHRONOUS_INDICATOR,
                               NGX_KMIP_TYPE_ENUMERATION, 3);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_OK);
    CHECK(req.asynchronous_indicator == 3);

    /* unknown tag after the batch items */
    msg = ngx_kmip_test_request(&A, 1, 1, &hdr);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    ngx_kmip_ttlv_add_integer(&A, msg, NGX_KMIP_TAG_BATCH_COUNT, 1);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1);
}


/* errors without a version, batch item errors */

/*
 * a request of one Discover Versions whose header has a Protocol Version
 * of its Major only, or (major -1) none
 */
static ngx_kmip_item_t *
versionless_request(int32_t major)
{
    ngx_kmip_item_t  *msg, *hdr, *pv;

    msg = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_REQUEST_MESSAGE,
                                 NGX_KMIP_TYPE_STRUCTURE);
    hdr = ngx_kmip_ttlv_add_struct(&A, msg, NGX_KMIP_TAG_REQUEST_HEADER);

    if (major >= 0) {
        pv = ngx_kmip_ttlv_add_struct(&A, hdr, NGX_KMIP_TAG_PROTOCOL_VERSION);
        ngx_kmip_ttlv_add_integer(&A, pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR,
                                  major);
    }

    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);

    return msg;
}


static void
test_requests_errors(void)
{
    int                  vk;
    int32_t              major;
    ngx_kmip_item_t     *msg, *hdr, *pl, *it;
    ngx_kmip_error_t     err;
    ngx_kmip_request_t   req;

    reset("request: errors without a version");

    /* no Protocol Version (-1), or Protocol Version Minor missing */
    for (major = -1; major <= 1; major += 2) {
        msg = versionless_request(major);
        CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
        CHECK(vk == 0);
    }

    /* a Response Message is not a request */
    msg = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_RESPONSE_MESSAGE,
                                 NGX_KMIP_TYPE_STRUCTURE);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 0);

    /* batch item before the header: version still recovered */
    msg = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_REQUEST_MESSAGE,
                                 NGX_KMIP_TYPE_STRUCTURE);
    add_item(msg, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    ngx_kmip_test_request(&A, 1, 3, &hdr);
    ngx_kmip_ttlv_item_append(msg, hdr);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_ERR_MESSAGE);
    CHECK(vk == 1 && req.major == 1 && req.minor == 3);

    CHECK_RC(ngx_kmip_request_parse(NULL, &A, &req, &vk, &err),
             NGX_KMIP_ERR_MESSAGE);

    reset("request: batch item errors");

    msg = ngx_kmip_test_request(&A, 1, 1, &hdr);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 6);
    /* 0: missing Operation */
    it = ngx_kmip_ttlv_add_struct(&A, msg, NGX_KMIP_TAG_BATCH_ITEM);
    ngx_kmip_ttlv_add_bytes(&A, it, NGX_KMIP_TAG_UNIQUE_BATCH_ITEM_ID,
                            (const uint8_t *) "id0", 3);
    ngx_kmip_ttlv_add_struct(&A, it, NGX_KMIP_TAG_REQUEST_PAYLOAD);
    /* 1: missing Request Payload */
    it = ngx_kmip_ttlv_add_struct(&A, msg, NGX_KMIP_TAG_BATCH_ITEM);
    ngx_kmip_ttlv_add_enum(&A, it, NGX_KMIP_TAG_OPERATION, NGX_KMIP_OP_GET);
    /* 2: UBI as a Text String */
    it = ngx_kmip_ttlv_add_struct(&A, msg, NGX_KMIP_TAG_BATCH_ITEM);
    ngx_kmip_ttlv_add_enum(&A, it, NGX_KMIP_TAG_OPERATION, NGX_KMIP_OP_GET);
    ngx_kmip_ttlv_add_text(&A, it, NGX_KMIP_TAG_UNIQUE_BATCH_ITEM_ID,
                           (const uint8_t *) "id", 2);
    ngx_kmip_ttlv_add_struct(&A, it, NGX_KMIP_TAG_REQUEST_PAYLOAD);
    /* 3: Operation as an Integer */
    it = ngx_kmip_ttlv_add_struct(&A, msg, NGX_KMIP_TAG_BATCH_ITEM);
    ngx_kmip_ttlv_add_integer(&A, it, NGX_KMIP_TAG_OPERATION, 10);
    ngx_kmip_ttlv_add_struct(&A, it, NGX_KMIP_TAG_REQUEST_PAYLOAD);
    /* 4: unknown tag, and Ephemeral in 1.1 */
    it = ngx_kmip_ttlv_add_struct(&A, msg, NGX_KMIP_TAG_BATCH_ITEM);
    ngx_kmip_ttlv_add_enum(&A, it, NGX_KMIP_TAG_OPERATION, NGX_KMIP_OP_GET);
    ngx_kmip_ttlv_add_bool(&A, it, NGX_KMIP_TAG_EPHEMERAL, 1);
    ngx_kmip_ttlv_add_struct(&A, it, NGX_KMIP_TAG_REQUEST_PAYLOAD);
    /* 5: fine, with a Message Extension */
    pl = add_item(msg, NGX_KMIP_OP_GET, "QLKC\6\0\0\0");
    it = ngx_kmip_ttlv_add_struct(&A, msg->v.kids.last,
                                  NGX_KMIP_TAG_MESSAGE_EXTENSION);
    ngx_kmip_ttlv_add_text(&A, it, NGX_KMIP_TAG_VENDOR_IDENTIFICATION,
                           (const uint8_t *) "v", 1);
    ngx_kmip_ttlv_add_bool(&A, it, NGX_KMIP_TAG_CRITICALITY_INDICATOR, 0);
    ngx_kmip_ttlv_add_struct(&A, it, NGX_KMIP_TAG_VENDOR_EXTENSION);

    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_OK);
    CHECK(req.nitems == 6);
    CHECK(req.items[0].item_error != NULL && req.items[0].operation == 0
          && req.items[0].item_error_reason
             == NGX_KMIP_REASON_INVALID_MESSAGE
          && req.items[0].unique_batch_item_id != NULL
          && strcmp(req.items[0].item_error, "missing Operation") == 0);
    CHECK(req.items[1].item_error != NULL
          && strcmp(req.items[1].item_error, "missing Request Payload") == 0
          && req.items[1].operation == NGX_KMIP_OP_GET);
    CHECK(req.items[2].item_error != NULL
          && req.items[2].unique_batch_item_id == NULL);
    CHECK(req.items[3].item_error != NULL && req.items[3].operation == 0);
    CHECK(req.items[4].item_error != NULL);
    CHECK(req.items[5].item_error == NULL
          && req.items[5].message_extension != NULL
          && req.items[5].payload != NULL
          && req.items[5].payload->tag == pl->tag
          && req.items[5].unique_batch_item_id->v.str.len == 8);

    /* 2.x Ephemeral is accepted */
    msg = ngx_kmip_test_request(&A, 2, 1, &hdr);
    ngx_kmip_ttlv_add_integer(&A, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1);
    it = ngx_kmip_ttlv_add_struct(&A, msg, NGX_KMIP_TAG_BATCH_ITEM);
    ngx_kmip_ttlv_add_enum(&A, it, NGX_KMIP_TAG_OPERATION, NGX_KMIP_OP_GET);
    ngx_kmip_ttlv_add_bool(&A, it, NGX_KMIP_TAG_EPHEMERAL, 1);
    ngx_kmip_ttlv_add_struct(&A, it, NGX_KMIP_TAG_REQUEST_PAYLOAD);
    CHECK_RC(parse_tree(msg, &req, &vk, &err), NGX_KMIP_OK);
    CHECK(req.items[0].item_error == NULL && req.items[0].ephemeral == 1);
}


/* ------------------------------------------------------------------ */


static void
test_responses_encode(void)
{
    int                        vk;
    size_t                     n;
    uint8_t                   *out, *end, *p;
    ngx_kmip_item_t           *msg, *pl, *pv, *bi, *it;
    ngx_kmip_error_t           err;
    ngx_kmip_request_t         req;
    ngx_kmip_response_item_t   ri[3];

    reset("response: Discover Versions, byte exact");

    memset(ri, 0, sizeof(ri));
    pl = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_RESPONSE_PAYLOAD,
                                NGX_KMIP_TYPE_STRUCTURE);
    pv = ngx_kmip_ttlv_add_struct(&A, pl, NGX_KMIP_TAG_PROTOCOL_VERSION);
    ngx_kmip_ttlv_add_integer(&A, pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR, 1);
    ngx_kmip_ttlv_add_integer(&A, pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR, 4);
    pv = ngx_kmip_ttlv_add_struct(&A, pl, NGX_KMIP_TAG_PROTOCOL_VERSION);
    ngx_kmip_ttlv_add_integer(&A, pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR, 1);
    ngx_kmip_ttlv_add_integer(&A, pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR, 1);

    ri[0].operation = NGX_KMIP_OP_DISCOVER_VERSIONS;
    ri[0].result_status = NGX_KMIP_STATUS_SUCCESS;
    ri[0].payload = pl;

    msg = ngx_kmip_response_build(&A, 1, 1, 1205495800, ri, 1);
    CHECK(msg != NULL);
    CHECK(encodes_to(msg,
        "42007B01 000000D0"
        "  42007A01 00000048"
        "    42006901 00000020"
        "      42006A02 00000004 00000001 00000000"
        "      42006B02 00000004 00000001 00000000"
        "    42009209 00000008 00000000 47DA67F8"
        "    42000D02 00000004 00000001 00000000"
        "  42000F01 00000078"
        "    42005C05 00000004 0000001E 00000000"
        "    42007F05 00000004 00000000 00000000"
        "    42007C01 00000050"
        "      42006901 00000020"
        "        42006A02 00000004 00000001 00000000"
        "        42006B02 00000004 00000004 00000000"
        "      42006901 00000020"
        "        42006A02 00000004 00000001 00000000"
        "        42006B02 00000004 00000001 00000000"));

    reset("response: UBI echo, failures, field order");

    CHECK_RC(parse_hex(vc_query, &req, &vk, &err), NGX_KMIP_OK);

    memset(ri, 0, sizeof(ri));
    ri[0].operation = req.items[0].operation;
    ri[0].unique_batch_item_id = req.items[0].unique_batch_item_id;
    ri[0].result_status = NGX_KMIP_STATUS_SUCCESS;
    pl = ngx_kmip_ttlv_item_new(&A, NGX_KMIP_TAG_RESPONSE_PAYLOAD,
                                NGX_KMIP_TYPE_STRUCTURE);
    ngx_kmip_ttlv_add_text(&A, pl, NGX_KMIP_TAG_VENDOR_IDENTIFICATION,
                           (const uint8_t *) "ngx_kmip", 8);
    ri[0].payload = pl;

    ri[1].operation = NGX_KMIP_OP_GET;
    ri[1].unique_batch_item_id = req.items[0].unique_batch_item_id;
    ri[1].result_status = NGX_KMIP_STATUS_OPERATION_FAILED;
    ri[1].result_reason = NGX_KMIP_REASON_ITEM_NOT_FOUND;
    ri[1].result_message = (const uint8_t *) "no such key";
    ri[1].result_message_len = 11;

    ri[2].operation = 0;                /* request item had none */
    ri[2].result_status = NGX_KMIP_STATUS_OPERATION_FAILED;

    msg = ngx_kmip_response_build(&A, req.major, req.minor, 1, ri, 3);
    CHECK(msg != NULL);

    n = ngx_kmip_ttlv_size(msg);
    out = ngx_kmip_test_alloc(&arena, n);
    end = ngx_kmip_ttlv_encode(msg, out);
    CHECK((size_t) (end - out) == n);
    CHECK(roundtrip(out, n));

    CHECK_RC(ngx_kmip_ttlv_decode(out, n, NULL, &A, &msg, &err),
             NGX_KMIP_OK);
    CHECK(msg->v.kids.count == 4);

    it = ngx_kmip_ttlv_find(msg, NGX_KMIP_TAG_RESPONSE_HEADER);
    CHECK(it && it->v.kids.count == 3);
    CHECK(ngx_kmip_ttlv_find(it, NGX_KMIP_TAG_BATCH_COUNT)->v.num == 3);

    bi = ngx_kmip_ttlv_find(msg, NGX_KMIP_TAG_BATCH_ITEM);
    it = bi->v.kids.first;
    CHECK(it->tag == NGX_KMIP_TAG_OPERATION && it->v.num == 0x18);
    it = it->next;
    CHECK(it->tag == NGX_KMIP_TAG_UNIQUE_BATCH_ITEM_ID
          && it->type == NGX_KMIP_TYPE_BYTE_STRING && it->v.str.len == 8
          && memcmp(it->v.str.data, "QLKC\1\0\0\0", 8) == 0);
    it = it->next;
    CHECK(it->tag == NGX_KMIP_TAG_RESULT_STATUS && it->v.num == 0);
    it = it->next;
    CHECK(it->tag == NGX_KMIP_TAG_RESPONSE_PAYLOAD && it->next == NULL);

    /* UBI bytes exactly as in the request */
    n = hex("42009308 00000008 514C4B43 01000000", ibuf);
    for (p = out; p + n <= end; p += 8) {
        if (memcmp(p, ibuf, n) == 0) {
            break;
        }
    }
    CHECK(p + n <= end);

    bi = ngx_kmip_ttlv_find_next(bi, NGX_KMIP_TAG_BATCH_ITEM);
    it = bi->v.kids.first;
    CHECK(it->tag == NGX_KMIP_TAG_OPERATION && it->v.num == NGX_KMIP_OP_GET);
    it = it->next;
    CHECK(it->tag == NGX_KMIP_TAG_UNIQUE_BATCH_ITEM_ID);
    it = it->next;
    CHECK(it->tag == NGX_KMIP_TAG_RESULT_STATUS && it->v.num == 1);
    it = it->next;
    CHECK(it->tag == NGX_KMIP_TAG_RESULT_REASON && it->v.num == 1);
    it = it->next;
    CHECK(it->tag == NGX_KMIP_TAG_RESULT_MESSAGE && it->v.str.len == 11
          && it->next == NULL);

    bi = ngx_kmip_ttlv_find_next(bi, NGX_KMIP_TAG_BATCH_ITEM);
    it = bi->v.kids.first;
    CHECK(it->tag == NGX_KMIP_TAG_RESULT_STATUS && it->v.num == 1);
    it = it->next;
    CHECK(it->tag == NGX_KMIP_TAG_RESULT_REASON
          && it->v.num == NGX_KMIP_REASON_GENERAL_FAILURE
          && it->next == NULL);
}


/* the Server Correlation Value, allocation failure */

static void
test_responses_header(void)
{
    ngx_kmip_item_t           *msg, *it;
    ngx_kmip_response_item_t   ri[3];

    reset("response: Server Correlation Value before Batch Count");

    memset(ri, 0, sizeof(ri));
    ri[0].operation = NGX_KMIP_OP_QUERY;
    ri[0].result_status = NGX_KMIP_STATUS_SUCCESS;

    msg = ngx_kmip_response_build(&A, 2, 1, 1205495800, ri, 1);
    CHECK(msg != NULL);
    CHECK(ngx_kmip_response_set_correlation(&A, msg,
                                            (const uint8_t *) "ab-7-1", 6)
          == 0);
    CHECK(encodes_to(msg,
        "42007B01 00000088"
        "  42007A01 00000058"
        "    42006901 00000020"
        "      42006A02 00000004 00000002 00000000"
        "      42006B02 00000004 00000001 00000000"
        "    42009209 00000008 00000000 47DA67F8"
        "    42010607 00000006 61622D37 2D310000"
        "    42000D02 00000004 00000001 00000000"
        "  42000F01 00000020"
        "    42005C05 00000004 00000018 00000000"
        "    42007F05 00000004 00000000 00000000"));

    it = ngx_kmip_ttlv_find(msg, NGX_KMIP_TAG_RESPONSE_HEADER);
    CHECK(it && it->v.kids.count == 4);

    /* not a response: nothing to put it in */
    CHECK(ngx_kmip_response_set_correlation(&A, it,
                                            (const uint8_t *) "x", 1)
          == -1);

    arena.cap = arena.used + 8;
    CHECK(ngx_kmip_response_set_correlation(&A, msg,
                                            (const uint8_t *) "x", 1)
          == -1);
    arena.cap = sizeof(arena_mem);

    reset("response: allocation failure");

    arena.cap = arena.used + 64;
    CHECK(ngx_kmip_response_build(&A, 1, 1, 1, ri, 3) == NULL);
    arena.cap = sizeof(arena_mem);
}


int
main(void)
{
    test_spec_examples();
    test_roundtrips();
    test_malformed_items();
    test_malformed_utf8_depth();
    test_malformed_count();
    test_peek();
    test_builders();
    test_names();
    test_requests_vcenter();
    test_requests_auth();
    test_requests_header();
    test_requests_errors();
    test_responses_encode();
    test_responses_header();

    printf("%d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}
