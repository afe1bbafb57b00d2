
/*
 * Unit tests of the JSON and XML encodings of KMIP (ngx_kmip_json.c,
 * ngx_kmip_xml.c, ngx_kmip_text.c): the TTLV examples of the KMIP
 * specification written in both encodings, every Request and Response
 * Message of the OASIS profile test cases (argv[1], the testcases folder
 * of shared/kmip) through XML -> items -> TTLV, JSON and XML and back,
 * and hostile documents, each rejected with its error code.
 *
 * The test cases' placeholders are substituted before parsing, since they
 * stand for values a live server gives: "$NOW" in a Date-Time becomes
 * 2026-01-01T00:00:00+00:00 and "$NOW-3600" that time less 3600 seconds;
 * a Byte String placeholder ("$KEY_MATERIAL_0") becomes DEADBEEF; a Text
 * String one ("$UNIQUE_IDENTIFIER_0") is a valid Text String and stays.
 *
 * With a second argument, a folder, the fuzzers' seeds are written there:
 * one message of each of the first few test cases, in both encodings
 * (fuzz/seed-json, fuzz/seed-xml).
 *
 * Ends with "N passed, N failed", exits 1 on failure.
 */


#define _POSIX_C_SOURCE  200809L

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_kmip_text.h"
#include "ngx_kmip_enums.h"

#include "ngx_kmip_test.h"
#include "ngx_kmip_test_check.h"


#define ARENA_SIZE      (16 * 1024 * 1024)
#define NOW             INT64_C(1767225600)     /* 2026-01-01T00:00:00Z */


#define SEEDS_MAX       12
#define SEED_LEN_MAX    3000


static ngx_kmip_test_arena_t  arena;

/* with argv[2]: the fuzzers' seeds, a few short test case messages in
   each encoding, are written there */
static const char            *seed_dir;
static int                    seeds;
static ngx_kmip_allocator_t   A = { ngx_kmip_test_alloc, &arena };


typedef int (*decode_pt)(const uint8_t *buf, size_t len,
    const ngx_kmip_limits_t *limits, ngx_kmip_allocator_t *a,
    ngx_kmip_item_t **root, ngx_kmip_error_t *err);
typedef size_t (*size_pt)(const ngx_kmip_item_t *item);
typedef uint8_t *(*encode_pt)(const ngx_kmip_item_t *item, uint8_t *out);


typedef struct {
    const char  *name;
    decode_pt    decode;
    size_pt      size;
    encode_pt    encode;
} codec_t;


static const codec_t  json = {
    "json", ngx_kmip_json_decode, ngx_kmip_json_size, ngx_kmip_json_encode
};

static const codec_t  xml = {
    "xml", ngx_kmip_xml_decode, ngx_kmip_xml_size, ngx_kmip_xml_encode
};


static const codec_t  ttlv = {
    "ttlv", ngx_kmip_ttlv_decode, ngx_kmip_ttlv_size, ngx_kmip_ttlv_encode
};


/* the encoding of item, NUL-terminated, in the arena; its length in *n */

static uint8_t *
encode(const codec_t *c, const ngx_kmip_item_t *item, size_t *n)
{
    uint8_t  *out, *end;

    *n = c->size(item);

    out = ngx_kmip_test_alloc(&arena, *n + 1);
    if (out == NULL) {
        return NULL;
    }

    end = c->encode(item, out);
    *end = '\0';

    return (size_t) (end - out) == *n ? out : NULL;
}


static int
decode(const codec_t *c, const char *s, ngx_kmip_item_t **root,
    ngx_kmip_error_t *err)
{
    return c->decode((const uint8_t *) s, strlen(s), NULL, &A, root, err);
}


/* a document decoded by c, as TTLV hex (upper case) */

static const char *
as_ttlv_hex(const codec_t *c, const char *doc)
{
    char              *hex;
    size_t             n, i;
    uint8_t           *b;
    ngx_kmip_item_t   *root;
    ngx_kmip_error_t   err;

    if (decode(c, doc, &root, &err) != NGX_KMIP_OK) {
        printf("  %s: %s at %zu (%s)\n", c->name,
               ngx_kmip_text_strerror(err.rc), err.offset,
               err.what ? err.what : "");
        return "";
    }

    b = encode(&ttlv, root, &n);
    hex = ngx_kmip_test_alloc(&arena, 2 * n + 1);

    if (b == NULL || hex == NULL) {
        return "";
    }

    for (i = 0; i < n; i++) {
        sprintf(hex + 2 * i, "%02X", b[i]);
    }

    hex[2 * n] = '\0';

    return hex;
}


/* the TTLV examples of the KMIP 1.4 specification, section 9.1.2 */

static void
test_spec_examples(void)
{
    size_t  i;

    static const struct {
        const char  *xml;
        const char  *json;
        const char  *ttlv;
    } ex[] = {
        { "<TTLV tag=\"0x420020\" type=\"Integer\" value=\"8\"/>",
          "{\"tag\":\"0x420020\",\"type\":\"Integer\",\"value\":8}",
          "42002002000000040000000800000000" },

        { "<TTLV tag=\"0x420020\" type=\"LongInteger\""
          " value=\"123456789000000000\"/>",
          "{\"tag\":\"0x420020\",\"type\":\"LongInteger\","
          "\"value\":\"0x01B69B4BA5749200\"}",
          "420020030000000801B69B4BA5749200" },

        { "<TTLV tag=\"0x420020\" type=\"BigInteger\""
          " value=\"3FD35EB6BC2DF4618080000\"/>",
          "{\"tag\":\"0x420020\",\"type\":\"BigInteger\","
          "\"value\":\"0x0000000003FD35EB6BC2DF4618080000\"}",
          "42002004000000100000000003FD35EB6BC2DF4618080000" },

        { "<TTLV tag=\"0x420020\" type=\"Enumeration\" value=\"0x000000FF\"/>",
          "{\"tag\":\"0x420020\",\"type\":\"Enumeration\",\"value\":255}",
          "4200200500000004000000FF00000000" },

        { "<TTLV tag=\"0x420020\" type=\"Boolean\" value=\"true\"/>",
          "{\"tag\":\"0x420020\",\"type\":\"Boolean\",\"value\":true}",
          "42002006000000080000000000000001" },

        { "<TTLV tag=\"0x420020\" type=\"TextString\" value=\"Hello World\"/>",
          "{\"tag\":\"0x420020\",\"type\":\"TextString\","
          "\"value\":\"Hello World\"}",
          "420020070000000B48656C6C6F20576F726C640000000000" },

        { "<TTLV tag=\"0x420020\" type=\"ByteString\" value=\"010203\"/>",
          "{\"tag\":\"0x420020\",\"type\":\"ByteString\","
          "\"value\":\"010203\"}",
          "42002008000000030102030000000000" },

        /* Friday, March 14, 2008, 11:56:40 GMT */
        { "<TTLV tag=\"0x420020\" type=\"DateTime\""
          " value=\"2008-03-14T11:56:40Z\"/>",
          "{\"tag\":\"0x420020\",\"type\":\"DateTime\","
          "\"value\":\"2008-03-14T12:56:40+01:00\"}",
          "42002009000000080000000047DA67F8" },

        /* 10 days */
        { "<TTLV tag=\"0x420020\" type=\"Interval\" value=\"864000\"/>",
          "{\"tag\":\"0x420020\",\"type\":\"Interval\",\"value\":864000}",
          "4200200A00000004000D2F0000000000" },

        { "<TTLV tag=\"0x420020\"><TTLV tag=\"0x420004\" type=\"Enumeration\""
          " value=\"0x000000FE\"/><TTLV tag=\"0x420005\" type=\"Integer\""
          " value=\"255\"/></TTLV>",
          "{\"tag\":\"0x420020\",\"value\":[{\"tag\":\"0x420004\","
          "\"type\":\"Enumeration\",\"value\":\"0x000000FE\"},"
          "{\"tag\":\"0x420005\",\"type\":\"Integer\",\"value\":255}]}",
          "42002001000000204200040500000004000000FE00000000420005020000000400"
          "0000FF00000000" },
    };

    for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
        CHECK(strcmp(as_ttlv_hex(&xml, ex[i].xml), ex[i].ttlv) == 0,
              ex[i].xml);
        CHECK(strcmp(as_ttlv_hex(&json, ex[i].json), ex[i].ttlv) == 0,
              ex[i].json);
    }
}


/*
 * The message of the encodings' specification ("KMIP Additional Message
 * Encodings" v1.0): a 1.0 Create of an AES key, in both encodings; they
 * must give the same tree, and each must come back from its own encoding.
 */

static const char  spec_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- a comment -->\n"
    "<RequestMessage>\n"
    "  <RequestHeader>\n"
    "    <ProtocolVersion>\n"
    "      <ProtocolVersionMajor type=\"Integer\" value=\"1\"/>\n"
    "      <ProtocolVersionMinor type=\"Integer\" value=\"0\"/>\n"
    "    </ProtocolVersion>\n"
    "    <BatchCount type=\"Integer\" value=\"1\"/>\n"
    "  </RequestHeader>\n"
    "  <BatchItem>\n"
    "    <Operation type=\"Enumeration\" value=\"Create\"/>\n"
    "    <RequestPayload>\n"
    "      <ObjectType type=\"Enumeration\" value=\"SymmetricKey\"/>\n"
    "      <TemplateAttribute>\n"
    "        <Attribute>\n"
    "          <AttributeName type=\"TextString\""
    " value=\"Cryptographic Algorithm\"/>\n"
    "          <AttributeValue type=\"Enumeration\" value=\"AES\"/>\n"
    "        </Attribute>\n"
    "        <Attribute>\n"
    "          <AttributeName type=\"TextString\""
    " value=\"Cryptographic Length\"/>\n"
    "          <AttributeValue type=\"Integer\" value=\"128\"/>\n"
    "        </Attribute>\n"
    "        <Attribute>\n"
    "          <AttributeName type=\"TextString\""
    " value=\"Cryptographic Usage Mask\"/>\n"
    "          <AttributeValue type=\"Integer\" value=\"Decrypt Encrypt\"/>\n"
    "        </Attribute>\n"
    "      </TemplateAttribute>\n"
    "    </RequestPayload>\n"
    "  </BatchItem>\n"
    "</RequestMessage>\n";

static const char  spec_json[] =
    "{\"tag\":\"RequestMessage\", \"value\":[\n"
    " {\"tag\":\"RequestHeader\", \"value\":[\n"
    "  {\"tag\":\"ProtocolVersion\", \"value\":[\n"
    "   {\"tag\":\"ProtocolVersionMajor\", \"type\":\"Integer\","
    " \"value\":1},\n"
    "   {\"tag\":\"ProtocolVersionMinor\", \"type\":\"Integer\", \"value\":0}"
    "]},\n"
    "  {\"tag\":\"BatchCount\", \"type\":\"Integer\", \"value\":1}]},\n"
    " {\"tag\":\"BatchItem\", \"value\":[\n"
    "  {\"tag\":\"Operation\", \"type\":\"Enumeration\","
    " \"value\":\"Create\"},\n"
    "  {\"tag\":\"RequestPayload\", \"type\":\"Structure\", \"value\":[\n"
    "   {\"tag\":\"ObjectType\", \"type\":\"Enumeration\","
    " \"value\":\"SymmetricKey\"},\n"
    "   {\"tag\":\"TemplateAttribute\", \"value\":[\n"
    "    {\"tag\":\"Attribute\", \"value\":[\n"
    "     {\"tag\":\"AttributeName\", \"type\":\"TextString\","
    " \"value\":\"Cryptographic Algorithm\"},\n"
    "     {\"type\":\"Enumeration\", \"value\":\"0x00000003\","
    " \"tag\":\"AttributeValue\"}]},\n"
    "    {\"value\":[\n"
    "     {\"tag\":\"AttributeName\", \"type\":\"TextString\","
    " \"value\":\"Cryptographic Length\"},\n"
    "     {\"tag\":\"AttributeValue\", \"type\":\"Integer\", \"value\":128}],"
    " \"tag\":\"Attribute\"},\n"
    "    {\"tag\":\"Attribute\", \"value\":[\n"
    "     {\"tag\":\"AttributeName\", \"type\":\"TextString\","
    " \"value\":\"Cryptographic Usage Mask\"},\n"
    "     {\"tag\":\"AttributeValue\", \"type\":\"Integer\","
    " \"value\":\"Encrypt|Decrypt\"}]}]}]}]}]}\n";


static int
same_tree(const ngx_kmip_item_t *x, const ngx_kmip_item_t *y)
{
    size_t    nx, ny;
    uint8_t  *bx, *by;

    bx = encode(&ttlv, x, &nx);
    by = encode(&ttlv, y, &ny);

    return bx && by && nx == ny && memcmp(bx, by, nx) == 0;
}


/* item through c and back: the same tree; the encoding in *out */

static int
round_trip(const codec_t *c, const ngx_kmip_item_t *item, uint8_t **out)
{
    int                rc;
    size_t             n;
    uint8_t           *b;
    ngx_kmip_item_t   *back;
    ngx_kmip_error_t   err;

    b = encode(c, item, &n);
    if (b == NULL) {
        return 0;
    }

    if (out) {
        *out = b;
    }

    rc = c->decode(b, n, NULL, &A, &back, &err);

    if (rc != NGX_KMIP_OK) {
        printf("  %s round trip: %s at %zu (%s): %.*s\n", c->name,
               ngx_kmip_text_strerror(rc), err.offset,
               err.what ? err.what : "", (int) (n < 400 ? n : 400), b);
        return 0;
    }

    return same_tree(item, back);
}


static void
test_spec_message(void)
{
    uint8_t           *out;
    ngx_kmip_item_t   *fromx, *fromj, *attr, *v;
    ngx_kmip_error_t   err;

    arena.used = 0;

    CHECK(decode(&xml, spec_xml, &fromx, &err) == NGX_KMIP_OK,
          "spec message: XML decodes");
    CHECK(decode(&json, spec_json, &fromj, &err) == NGX_KMIP_OK,
          "spec message: JSON decodes, members in any order");

    if (fromx == NULL || fromj == NULL) {
        return;
    }

    CHECK(same_tree(fromx, fromj), "spec message: XML and JSON agree");

    attr = ngx_kmip_ttlv_find(ngx_kmip_ttlv_find(ngx_kmip_ttlv_find(
               ngx_kmip_ttlv_find(fromx, NGX_KMIP_TAG_BATCH_ITEM),
               NGX_KMIP_TAG_REQUEST_PAYLOAD), NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE),
               NGX_KMIP_TAG_ATTRIBUTE);
    v = ngx_kmip_ttlv_find(attr, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
    CHECK(v && v->type == NGX_KMIP_TYPE_ENUMERATION
          && v->v.num == NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES,
          "spec message: a 1.x Attribute Value named by its Attribute Name");

    attr = attr ? attr->next ? attr->next->next : NULL : NULL;
    v = ngx_kmip_ttlv_find(attr, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
    CHECK(v && v->v.num == (NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT
                            | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DECRYPT),
          "spec message: mask bits by name");

    CHECK(round_trip(&json, fromx, &out), "spec message: JSON round trip");
    CHECK(out && strstr((char *) out, "\"value\":\"Encrypt|Decrypt\"")
          && strstr((char *) out, "{\"tag\":\"AttributeValue\","
                                  "\"type\":\"Enumeration\","
                                  "\"value\":\"AES\"}"),
          "spec message: JSON names enumerations and masks");

    CHECK(round_trip(&xml, fromx, &out), "spec message: XML round trip");
    CHECK(out && strstr((char *) out, "value=\"Encrypt Decrypt\"")
          && strstr((char *) out, "<ObjectType type=\"Enumeration\""
                                  " value=\"SymmetricKey\"/>"),
          "spec message: XML names enumerations and masks");
}


/*
 * in, decoded by c, encodes to want and goes through c and back; the tree
 * also goes through the other encoding and back
 */

static void
check_reencoded(const codec_t *c, const codec_t *other, const char *in,
    const char *want)
{
    uint8_t           *out;
    ngx_kmip_item_t   *root;
    ngx_kmip_error_t   err;

    arena.used = 0;
    root = NULL;
    out = NULL;

    if (decode(c, in, &root, &err) == NGX_KMIP_OK) {
        (void) round_trip(c, root, &out);
    }

    CHECK(out && strcmp((char *) out, want) == 0, in);

    if (out && strcmp((char *) out, want) != 0) {
        printf("  got %s\n", out);
    }

    CHECK(root && round_trip(other, root, NULL), in);
}


/* values and their encodings, both ways */

static void
test_values(void)
{
    size_t  i;

    static const struct {
        const char  *in;
        const char  *out;       /* the encoding of the decoded item */
    } jv[] = {
        { "{\"tag\":\"CryptographicUsageMask\",\"type\":\"Integer\","
          "\"value\":\"0x0000000A\"}",
          "{\"tag\":\"CryptographicUsageMask\",\"type\":\"Integer\","
          "\"value\":\"Verify|Decrypt\"}" },
        { "{\"tag\":\"CryptographicUsageMask\",\"type\":\"Integer\","
          "\"value\":\"Sign|0x80000000\"}",
          "{\"tag\":\"CryptographicUsageMask\",\"type\":\"Integer\","
          "\"value\":\"Sign|0x80000000\"}" },
        { "{\"tag\":\"CryptographicUsageMask\",\"type\":\"Integer\","
          "\"value\":0}",
          "{\"tag\":\"CryptographicUsageMask\",\"type\":\"Integer\","
          "\"value\":0}" },
        { "{\"tag\":\"UsageLimitsTotal\",\"type\":\"LongInteger\","
          "\"value\":4503599627370496}",
          "{\"tag\":\"UsageLimitsTotal\",\"type\":\"LongInteger\","
          "\"value\":\"0x0010000000000000\"}" },
        { "{\"tag\":\"UsageLimitsTotal\",\"type\":\"LongInteger\","
          "\"value\":\"-5\"}",
          "{\"tag\":\"UsageLimitsTotal\",\"type\":\"LongInteger\","
          "\"value\":-5}" },
        { "{\"tag\":\"ObjectType\",\"type\":\"Enumeration\","
          "\"value\":\"0x80000001\"}",
          "{\"tag\":\"ObjectType\",\"type\":\"Enumeration\","
          "\"value\":\"0x80000001\"}" },
        { "{\"tag\":\"0x540001\",\"type\":\"TextString\","
          "\"value\":\"a\\\"\\\\\\n\\u0001\\u00e9\"}",
          "{\"tag\":\"0x540001\",\"type\":\"TextString\","
          "\"value\":\"a\\\"\\\\\\n\\u0001\xC3\xA9\"}" },
        { "{\"tag\":\"ActivationDate\",\"type\":\"DateTime\","
          "\"value\":\"0x0000000047DA67F8\"}",
          "{\"tag\":\"ActivationDate\",\"type\":\"DateTime\","
          "\"value\":\"2008-03-14T11:56:40+00:00\"}" },
        { "{\"tag\":\"ActivationDate\",\"type\":\"DateTime\","
          "\"value\":-1}",
          "{\"tag\":\"ActivationDate\",\"type\":\"DateTime\","
          "\"value\":\"1969-12-31T23:59:59+00:00\"}" },
        { "{\"tag\":\"ActivationDate\",\"type\":\"DateTime\","
          "\"value\":\"0x7FFFFFFFFFFFFFFF\"}",
          "{\"tag\":\"ActivationDate\",\"type\":\"DateTime\","
          "\"value\":\"0x7FFFFFFFFFFFFFFF\"}" },
        { "{\"tag\":\"0x540002\",\"type\":\"DateTimeExtended\","
          "\"value\":\"2008-03-14T11:56:40.000123Z\"}",
          "{\"tag\":\"0x540002\",\"type\":\"DateTimeExtended\","
          "\"value\":\"2008-03-14T11:56:40.000123+00:00\"}" },
        { "{\"tag\":\"AttributeReference\",\"type\":\"Enumeration\","
          "\"value\":\"CryptographicUsageMask\"}",
          "{\"tag\":\"AttributeReference\",\"type\":\"Enumeration\","
          "\"value\":\"CryptographicUsageMask\"}" },
        { "{\"tag\":\"P\",\"type\":\"BigInteger\",\"value\":-1}",
          "{\"tag\":\"P\",\"type\":\"BigInteger\","
          "\"value\":\"0xFFFFFFFFFFFFFFFF\"}" },
        { "{\"tag\":\"P\",\"type\":\"BigInteger\",\"value\":\"0x8\"}",
          "{\"tag\":\"P\",\"type\":\"BigInteger\","
          "\"value\":\"0x0000000000000008\"}" },
        { "{\"tag\":\"P\",\"type\":\"BigInteger\",\"value\":\"0x80\"}",
          "{\"tag\":\"P\",\"type\":\"BigInteger\","
          "\"value\":\"0xFFFFFFFFFFFFFF80\"}" },
        /* yajl writes a lone surrogate escape as '?' */
        { "{\"tag\":\"Name\",\"type\":\"TextString\","
          "\"value\":\"\\ud800\"}",
          "{\"tag\":\"Name\",\"type\":\"TextString\","
          "\"value\":\"?\"}" },
        { "{\"tag\":\"Sensitive\",\"type\":\"Boolean\","
          "\"value\":\"0x0000000000000000\"}",
          "{\"tag\":\"Sensitive\",\"type\":\"Boolean\",\"value\":false}" },
        { "{\"tag\":\"IVCounterNonce\",\"type\":\"ByteString\","
          "\"value\":\"00ff\"}",
          "{\"tag\":\"IVCounterNonce\",\"type\":\"ByteString\","
          "\"value\":\"00FF\"}" },
        { "{\"tag\":\"0x540003\",\"value\":[]}",
          "{\"tag\":\"0x540003\",\"value\":[]}" },
    };

    static const struct {
        const char  *in;
        const char  *out;
    } xv[] = {
        { "<MaskGenerator type=\"Enumeration\" value=\"MFG1\"/>",
          "<MaskGenerator type=\"Enumeration\" value=\"MGF1\"/>" },
        { "<Name type='TextString' value='&lt;&amp;&gt;&quot;&apos;&#233;"
          "&#x1F600;&#9;\t\r\nx&#0;'/>",
          "<Name type=\"TextString\" value=\"&lt;&amp;&gt;&quot;'\xC3\xA9"
          "\xF0\x9F\x98\x80&#x09;  x&#x00;\"/>" },
        { "<CryptographicUsageMask type=\"Integer\""
          " value=\"\n  Sign\n  Verify  \"/>",
          "<CryptographicUsageMask type=\"Integer\" value=\"Sign Verify\"/>" },
        { "<CertificateType type=\"Enumeration\" value=\"X_509\"/>",
          "<CertificateType type=\"Enumeration\" value=\"X_509\"/>" },
        { "<CryptographicAlgorithm type=\"Enumeration\" value=\"DES3\"/>",
          "<CryptographicAlgorithm type=\"Enumeration\" value=\"DES3\"/>" },
        { "<TTLV tag=\"0x540001\"><TTLV tag=\"0x540002\" type=\"Interval\""
          " value=\"0xFFFFFFFF\"></TTLV ></TTLV>",
          "<TTLV tag=\"0x540001\"><TTLV tag=\"0x540002\" type=\"Interval\""
          " value=\"4294967295\"/></TTLV>" },
        { "<BatchItem type=\"Structure\"/>", "<BatchItem/>" },
        /* an Attribute Name after its value does not name it */
        { "<Attribute><AttributeValue type=\"Enumeration\" value=\"0x3\"/>"
          "<AttributeName type=\"TextString\""
          " value=\"Cryptographic Algorithm\"/></Attribute>",
          "<Attribute><AttributeValue type=\"Enumeration\""
          " value=\"0x00000003\"/><AttributeName type=\"TextString\""
          " value=\"Cryptographic Algorithm\"/></Attribute>" },
        { "<ProtocolVersionMajor type=\"Integer\" value=\"-2147483648\"/>",
          "<ProtocolVersionMajor type=\"Integer\" value=\"-2147483648\"/>" },
        { "<PKCS_11Function type=\"Enumeration\" value=\"C_GetInfo\"/>",
          "<PKCS_11Function type=\"Enumeration\" value=\"C_GetInfo\"/>" },
        { "<ActivationDate type=\"DateTime\""
          " value=\"9999-12-31T23:59:59-01:00\"/>",
          "<ActivationDate type=\"DateTime\" value=\"0x0000003AFFF44F8F\"/>" },
        { "<ActivationDate type=\"DateTime\""
          " value=\"0000-01-01T00:00:00Z\"/>",
          "<ActivationDate type=\"DateTime\""
          " value=\"0000-01-01T00:00:00+00:00\"/>" },
    };

    for (i = 0; i < sizeof(jv) / sizeof(jv[0]); i++) {
        check_reencoded(&json, &xml, jv[i].in, jv[i].out);
    }

    for (i = 0; i < sizeof(xv) / sizeof(xv[0]); i++) {
        check_reencoded(&xml, &json, xv[i].in, xv[i].out);
    }
}


/* documents that must be rejected, and with what (and a few near misses
   that must not) */

static const struct {
    const codec_t  *c;
    const char     *doc;
    int             rc;
} hostile_docs[] = {
    /* XML */
    { &xml, "", NGX_KMIP_ERR_TRUNCATED },
    { &xml, "<RequestMessage>", NGX_KMIP_ERR_TRUNCATED },
    { &xml, "<RequestMessage><BatchCount type=\"Integer\" value=\"1",
      NGX_KMIP_ERR_TRUNCATED },
    { &xml, "<RequestMessage></ResponseMessage>", NGX_KMIP_ERR_SYNTAX },
    { &xml, "<RequestMessage>text</RequestMessage>", NGX_KMIP_ERR_SYNTAX },
    { &xml, "<!DOCTYPE x [<!ENTITY a \"b\">]><BatchCount/>",
      NGX_KMIP_ERR_DTD },
    { &xml, "<!ENTITY a SYSTEM \"file:///etc/passwd\">",
      NGX_KMIP_ERR_DTD },
    { &xml, "<Name type=\"TextString\" value=\"&xxe;\"/>",
      NGX_KMIP_ERR_DTD },
    { &xml, "<Name type=\"TextString\" value=\"&amp\"/>",
      NGX_KMIP_ERR_SYNTAX },
    { &xml, "<Name type=\"TextString\" value=\"&#;\"/>",
      NGX_KMIP_ERR_SYNTAX },
    { &xml, "<Name type=\"TextString\" value=\"&#xG;\"/>",
      NGX_KMIP_ERR_SYNTAX },
    { &xml, "<Name type=\"TextString\" value=\"&#xD800;\"/>",
      NGX_KMIP_ERR_VALUE },
    { &xml, "<Name type=\"TextString\" value=\"&#x110000;\"/>",
      NGX_KMIP_ERR_VALUE },
    { &xml, "<BatchItem><![CDATA[x]]></BatchItem>", NGX_KMIP_ERR_DTD },
    { &xml, "<?php x ?><BatchItem/>", NGX_KMIP_ERR_DTD },
    { &xml, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><BatchItem/>",
      NGX_KMIP_ERR_VALUE },
    { &xml, "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<BatchItem/>",
      NGX_KMIP_OK },
    { &xml, "<?xml version=\"1.0\" encoding=utf-8?><BatchItem/>",
      NGX_KMIP_ERR_VALUE },
    { &xml, "<?xml version=\"1.0\"", NGX_KMIP_ERR_TRUNCATED },
    { &xml, "<BatchItem/><BatchItem/>", NGX_KMIP_ERR_TRAILING },
    { &xml, "<NoSuchTag type=\"Integer\" value=\"1\"/>",
      NGX_KMIP_ERR_NAME },
    { &xml, "<BatchCount type=\"Int\" value=\"1\"/>", NGX_KMIP_ERR_NAME },
    { &xml, "<BatchCount type=\"Integer\" type=\"Integer\" value=\"1\"/>",
      NGX_KMIP_ERR_FIELD },
    { &xml, "<BatchCount value=\"1\"/>", NGX_KMIP_ERR_FIELD },
    { &xml, "<BatchCount type=\"Integer\"/>", NGX_KMIP_ERR_FIELD },
    { &xml, "<BatchCount type=\"Integer\" value=\"1\" x=\"1\"/>",
      NGX_KMIP_ERR_FIELD },
    { &xml, "<TTLV type=\"Integer\" value=\"1\"/>", NGX_KMIP_ERR_FIELD },
    { &xml, "<TTLV tag=\"0x430001\" type=\"Integer\" value=\"1\"/>",
      NGX_KMIP_ERR_NAME },
    { &xml, "<BatchCount type=\"Integer\" value=\"2147483648\"/>",
      NGX_KMIP_ERR_VALUE },
    { &xml, "<BatchCount type=\"Integer\""
      " value=\"99999999999999999999999\"/>", NGX_KMIP_ERR_VALUE },
    { &xml, "<UsageLimitsTotal type=\"LongInteger\""
      " value=\"9223372036854775808\"/>", NGX_KMIP_ERR_VALUE },
    { &xml, "<Nonce type=\"ByteString\" value=\"abc\"/>",
      NGX_KMIP_ERR_VALUE },
    { &xml, "<Nonce type=\"ByteString\" value=\"zz\"/>",
      NGX_KMIP_ERR_VALUE },
    { &xml, "<P type=\"BigInteger\" value=\"0x\"/>", NGX_KMIP_ERR_VALUE },
    { &xml, "<ObjectType type=\"Enumeration\" value=\"NoSuchType\"/>",
      NGX_KMIP_ERR_NAME },
    { &xml, "<ObjectType type=\"Enumeration\" value=\"0x123456789\"/>",
      NGX_KMIP_ERR_NAME },
    { &xml, "<CryptographicUsageMask type=\"Integer\""
      " value=\"Encrypt Nope\"/>", NGX_KMIP_ERR_NAME },
    { &xml, "<CryptographicUsageMask type=\"Integer\" value=\" \"/>",
      NGX_KMIP_ERR_VALUE },
    { &json, "{\"tag\":\"CryptographicUsageMask\",\"type\":\"Integer\","
      "\"value\":\"Sign||Verify\"}", NGX_KMIP_ERR_NAME },
    { &xml, "<Sensitive type=\"Boolean\" value=\"yes\"/>",
      NGX_KMIP_ERR_VALUE },
    { &xml, "<ActivationDate type=\"DateTime\""
      " value=\"2001-02-29T00:00:00Z\"/>", NGX_KMIP_ERR_VALUE },
    { &xml, "<ActivationDate type=\"DateTime\""
      " value=\"2001-01-01T00:00:00\"/>", NGX_KMIP_ERR_VALUE },
    { &xml, "<ActivationDate type=\"DateTime\""
      " value=\"2001-01-01T00:00:00.5Z\"/>", NGX_KMIP_ERR_VALUE },
    { &xml, "<BatchItem value=\"1\"/>", NGX_KMIP_ERR_FIELD },
    { &xml, "<BatchCount type=\"Integer\" value=\"1\">"
      "<BatchCount type=\"Integer\" value=\"1\"/></BatchCount>",
      NGX_KMIP_ERR_SYNTAX },
    { &xml, "<Name type=\"TextString\" value=\"\xC3\x28\"/>",
      NGX_KMIP_ERR_UTF8 },
    { &xml, "<Name type=\"TextString\" value=\"\xED\xA0\x80\"/>",
      NGX_KMIP_ERR_UTF8 },
    { &xml, "<Name type=\"TextString\" value=\"a<b\"/>",
      NGX_KMIP_ERR_SYNTAX },
    { &xml, "<!-- a -- b --><BatchItem/>", NGX_KMIP_ERR_SYNTAX },
    { &xml, "<BatchItem></BatchItem", NGX_KMIP_ERR_TRUNCATED },

    /* JSON */
    { &json, "", NGX_KMIP_ERR_TRUNCATED },
    { &json, "{\"tag\":\"BatchItem\",\"value\":[", NGX_KMIP_ERR_TRUNCATED },
    { &json, "{\"tag\":\"BatchItem\",\"value\":[]",
      NGX_KMIP_ERR_TRUNCATED },
    { &json, "{\"tag\":\"BatchItem\",\"value\":[]} x",
      NGX_KMIP_ERR_SYNTAX },
    { &json, "{\"tag\":\"BatchItem\",\"value\":[]}{}",
      NGX_KMIP_ERR_SYNTAX },
    { &json, "[]", NGX_KMIP_ERR_SYNTAX },
    { &json, "1", NGX_KMIP_ERR_SYNTAX },
    { &json, "{\"tag\":\"BatchItem\",\"value\":[1]}", NGX_KMIP_ERR_SYNTAX },
    { &json, "{\"tag\":\"BatchItem\",\"value\":{}}", NGX_KMIP_ERR_SYNTAX },
    { &json, "{\"tag\":\"NoSuchTag\",\"value\":[]}", NGX_KMIP_ERR_NAME },
    { &json, "{\"tag\":\"BatchCount\",\"type\":\"Int\",\"value\":1}",
      NGX_KMIP_ERR_NAME },
    { &json, "{\"tag\":\"BatchCount\",\"type\":\"Integer\","
      "\"type\":\"Integer\",\"value\":1}", NGX_KMIP_ERR_FIELD },
    { &json, "{\"tag\":\"BatchCount\",\"tag\":\"BatchCount\","
      "\"type\":\"Integer\",\"value\":1}", NGX_KMIP_ERR_FIELD },
    { &json, "{\"tag\":\"BatchCount\",\"value\":1}", NGX_KMIP_ERR_FIELD },
    { &json, "{\"tag\":\"BatchCount\",\"type\":\"Integer\"}",
      NGX_KMIP_ERR_FIELD },
    { &json, "{\"type\":\"Integer\",\"value\":1}", NGX_KMIP_ERR_FIELD },
    { &json, "{\"tag\":\"BatchCount\",\"type\":\"Integer\",\"value\":1,"
      "\"name\":\"x\"}", NGX_KMIP_ERR_FIELD },
    { &json, "{\"tag\":1,\"value\":[]}", NGX_KMIP_ERR_FIELD },
    { &json, "{\"tag\":\"BatchCount\",\"type\":\"Integer\","
      "\"value\":2147483648}", NGX_KMIP_ERR_VALUE },
    { &json, "{\"tag\":\"UsageLimitsTotal\",\"type\":\"LongInteger\","
      "\"value\":123456789012345678901234567890}", NGX_KMIP_ERR_VALUE },
    { &json, "{\"tag\":\"BatchCount\",\"type\":\"Integer\","
      "\"value\":1.5}", NGX_KMIP_ERR_VALUE },
    { &json, "{\"tag\":\"BatchCount\",\"type\":\"Integer\","
      "\"value\":null}", NGX_KMIP_ERR_VALUE },
    { &json, "{\"tag\":\"BatchCount\",\"type\":\"Integer\","
      "\"value\":true}", NGX_KMIP_ERR_VALUE },
    { &json, "{\"tag\":\"BatchCount\",\"type\":\"Integer\","
      "\"value\":[]}", NGX_KMIP_ERR_VALUE },
    { &json, "{\"tag\":\"Nonce\",\"type\":\"ByteString\","
      "\"value\":\"0g\"}", NGX_KMIP_ERR_VALUE },
    { &json, "{\"tag\":\"Nonce\",\"type\":\"ByteString\",\"value\":1}",
      NGX_KMIP_ERR_VALUE },
    { &json, "{\"tag\":\"Name\",\"type\":\"TextString\","
      "\"value\":\"\xFF\"}", NGX_KMIP_ERR_UTF8 },
    { &json, "{\"tag\":\"ObjectType\",\"type\":\"Enumeration\","
      "\"value\":\"Nope\"}", NGX_KMIP_ERR_NAME },
    { &json, "{\"tag\":\"ObjectType\",\"type\":\"Enumeration\","
      "\"value\":4294967296}", NGX_KMIP_ERR_VALUE },
    { &json, "{\"tag\":\"BatchItem\",/*c*/\"value\":[]}",
      NGX_KMIP_ERR_SYNTAX },
};


static void
test_hostile(void)
{
    int                rc;
    size_t             i;
    ngx_kmip_item_t   *root;
    ngx_kmip_error_t   err;

    for (i = 0; i < sizeof(hostile_docs) / sizeof(hostile_docs[0]); i++) {
        arena.used = 0;
        root = (ngx_kmip_item_t *) 1;
        rc = decode(hostile_docs[i].c, hostile_docs[i].doc, &root, &err);

        CHECK(rc == hostile_docs[i].rc
              && (rc == NGX_KMIP_OK ? root != NULL
                                    : root == NULL && err.rc == rc),
              hostile_docs[i].doc);

        if (rc != hostile_docs[i].rc) {
            printf("  got %s (%s) at %zu\n", ngx_kmip_text_strerror(rc),
                   rc ? err.what : "", rc ? err.offset : 0);
        }
    }
}


/* nesting and item counts past the limits */

static void
test_limits(void)
{
    int                rc;
    char              *deep, what[64];
    size_t             i, n, k;
    const char        *doc;
    const codec_t     *c;
    ngx_kmip_item_t   *root;
    ngx_kmip_error_t   err;
    ngx_kmip_limits_t  lim;

    deep = malloc(64 * 1024);
    if (deep == NULL) {
        abort();
    }

    for (k = 0; k < 2; k++) {
        n = 0;

        for (i = 0; i < 1000; i++) {
            n += (size_t) sprintf(deep + n, k ? "{\"tag\":\"BatchItem\","
                                                "\"value\":["
                                              : "<BatchItem>");
        }

        arena.used = 0;
        rc = (k ? &json : &xml)->decode((uint8_t *) deep, n, NULL, &A, &root,
                                        &err);
        CHECK(rc == NGX_KMIP_ERR_DEPTH && err.offset < n,
              k ? "json: 1000 levels deep" : "xml: 1000 levels deep");
    }

    for (k = 0; k < 4; k++) {
        c = (k & 1) ? &json : &xml;
        doc = (k & 1) ? spec_json : spec_xml;
        lim.max_depth = (k & 2) ? 3 : 0;
        lim.max_items = (k & 2) ? 0 : 3;

        arena.used = 0;
        rc = c->decode((const uint8_t *) doc, strlen(doc), &lim, &A, &root,
                       &err);

        snprintf(what, sizeof(what), "%s: past %s", c->name,
                 (k & 2) ? "max_depth" : "max_items");
        CHECK(rc == ((k & 2) ? NGX_KMIP_ERR_DEPTH : NGX_KMIP_ERR_ITEMS), what);
    }

    free(deep);
}


/* every allocation failure is an error, never a crash */

static void
test_out_of_memory(void)
{
    int                rc;
    size_t             n, k;
    ngx_kmip_item_t   *root;
    ngx_kmip_error_t   err;

    for (k = 0; k < 2; k++) {
        for (n = 0; n < 8192; n += 16) {
            arena.used = 0;
            arena.cap = n;
            rc = k ? decode(&json, spec_json, &root, &err)
                   : decode(&xml, spec_xml, &root, &err);

            if (rc != NGX_KMIP_ERR_NOMEM) {
                break;
            }
        }

        arena.cap = ARENA_SIZE;
        CHECK(rc == NGX_KMIP_OK && n > 0,
              k ? "json: out of memory at each step" :
                  "xml: out of memory at each step");
    }
}


/*
 * A test case message with its placeholders substituted, NUL-terminated,
 * in the arena
 */

static char *
substitute(const char *s, size_t n)
{
    char                *out, *q;
    size_t               i, k;
    long                 delta;
    const char          *type;
    ngx_kmip_item_t      dt;
    ngx_kmip_text_out_t  o;

    out = ngx_kmip_test_alloc(&arena, 2 * n + 1);
    if (out == NULL) {
        return NULL;
    }

    q = out;

    for (i = 0; i < n; i++) {
        if (strncmp(s + i, "value=\"$", 8) != 0) {
            *q++ = s[i];
            continue;
        }

        /* the element's type attribute comes before its value */

        for (k = i; k > 0 && s[k] != '<'; k--) {
            /* void */
        }

        type = strstr(s + k, "type=\"");

        if (type != NULL && strncmp(type + 6, "DateTime\"", 9) == 0) {
            delta = 0;
            i += 8;

            if (strncmp(s + i, "NOW", 3) == 0) {
                delta = strtol(s + i + 3, NULL, 10);
            }

            while (s[i] != '"') {
                i++;
            }

            memset(&dt, 0, sizeof(dt));
            dt.type = NGX_KMIP_TYPE_DATE_TIME;
            dt.v.num = NOW + delta;

            q += sprintf(q, "value=\"");
            o.p = (uint8_t *) q;
            o.n = 0;
            ngx_kmip_text_put_value(&o, 0, &dt, ' ', 0);
            q += o.n;
            *q++ = '"';
            continue;
        }

        if (type != NULL && strncmp(type + 6, "ByteString\"", 11) == 0) {
            for (i += 8; s[i] != '"'; i++) {
                /* void */
            }

            q += sprintf(q, "value=\"DEADBEEF\"");
            continue;
        }

        *q++ = s[i];
    }

    *q = '\0';

    return out;
}


static char *
read_file(const char *path, size_t *n)
{
    FILE  *f;
    char  *buf;
    long   len;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    buf = NULL;

    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0
        && fseek(f, 0, SEEK_SET) == 0)
    {
        buf = malloc((size_t) len + 1);

        if (buf && fread(buf, 1, (size_t) len, f) == (size_t) len) {
            buf[len] = '\0';
            *n = (size_t) len;

        } else {
            free(buf);
            buf = NULL;
        }
    }

    fclose(f);

    return buf;
}


static void
write_seed(const char *name, const uint8_t *p, size_t n)
{
    FILE  *f;
    char   path[1024];

    snprintf(path, sizeof(path), "%s/%s-%02d", seed_dir, name, seeds);

    f = fopen(path, "wb");
    CHECK(f != NULL && fwrite(p, 1, n, f) == n && fclose(f) == 0, path);
}


static void
write_seeds(const ngx_kmip_item_t *root, size_t len)
{
    size_t    n;
    uint8_t  *b;

    if (seed_dir == NULL || seeds >= SEEDS_MAX || len > SEED_LEN_MAX) {
        return;
    }

    seeds++;

    b = encode(&json, root, &n);
    if (b != NULL) {
        write_seed("json", b, n);
    }

    b = encode(&xml, root, &n);
    if (b != NULL) {
        write_seed("xml", b, n);
    }
}


/* every message of one test case file; the count, or -1 on a failure */

static int
test_case_file(const char *path)
{
    int                rc, count, ok;
    char              *doc, *p, *end, *msg;
    size_t             n, mlen;
    uint8_t           *bytes;
    const char        *close;
    ngx_kmip_item_t   *root, *back;
    ngx_kmip_error_t   err;

    doc = read_file(path, &n);
    if (doc == NULL) {
        printf("  cannot read %s\n", path);
        return -1;
    }

    count = 0;
    ok = 1;

    for (p = doc; (p = strstr(p, "<Re")) != NULL; p = end) {
        if (strncmp(p, "<RequestMessage>", 16) == 0) {
            close = "</RequestMessage>";

        } else if (strncmp(p, "<ResponseMessage>", 17) == 0) {
            close = "</ResponseMessage>";

        } else {
            end = p + 1;
            continue;
        }

        end = strstr(p, close);
        if (end == NULL) {
            ok = 0;
            break;
        }

        end += strlen(close);
        count++;

        arena.used = 0;
        msg = substitute(p, (size_t) (end - p));
        mlen = strlen(msg);

        rc = ngx_kmip_xml_decode((uint8_t *) msg, mlen, NULL, &A, &root,
                                 &err);
        if (rc != NGX_KMIP_OK) {
            printf("  %s message %d: %s at %zu (%s): %.60s\n", path, count,
                   ngx_kmip_text_strerror(rc), err.offset,
                   err.what ? err.what : "", msg + err.offset);
            ok = 0;
            continue;
        }

        /* the first message of the first file, the second of the next */

        if (count == seeds + 1) {
            write_seeds(root, mlen);
        }

        bytes = encode(&ttlv, root, &n);

        if (bytes == NULL
            || ngx_kmip_ttlv_decode(bytes, n, NULL, &A, &back, &err)
               != NGX_KMIP_OK
            || !same_tree(root, back)
            || !round_trip(&json, root, NULL)
            || !round_trip(&xml, root, NULL))
        {
            printf("  %s message %d: round trip differs\n", path, count);
            ok = 0;
        }
    }

    free(doc);

    return ok ? count : -1;
}


static void
test_cases(const char *dir)
{
    int             n, files, messages, ok;
    DIR            *d;
    char            path[1024];
    size_t          i;
    struct dirent  *de;

    static const char  *sub[] = {
        "v1.4/mandatory", "v1.4/optional", "v2.1/mandatory", "v2.1/optional"
    };

    files = 0;
    messages = 0;
    ok = 1;

    for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);

        d = opendir(path);
        if (d == NULL) {
            printf("  no test cases in %s\n", path);
            ok = 0;
            continue;
        }

        while ((de = readdir(d)) != NULL) {
            n = (int) strlen(de->d_name);

            if (n < 5 || strcmp(de->d_name + n - 4, ".xml") != 0) {
                continue;
            }

            snprintf(path, sizeof(path), "%s/%s/%s", dir, sub[i],
                     de->d_name);

            n = test_case_file(path);
            CHECK(n > 0, path);

            files++;
            messages += n > 0 ? n : 0;
        }

        closedir(d);
    }

    printf("test cases: %d files, %d messages\n", files, messages);
    CHECK(ok && files >= 168 && messages >= 2102,
          "every OASIS test case file and message");
}


int
main(int argc, char **argv)
{
    arena.data = malloc(ARENA_SIZE);
    if (arena.data == NULL) {
        return 2;
    }

    arena.cap = ARENA_SIZE;

    test_spec_examples();
    test_spec_message();
    test_values();
    test_hostile();
    test_limits();
    test_out_of_memory();
    seed_dir = argc > 2 ? argv[2] : NULL;

    test_cases(argc > 1 ? argv[1] : "../../../shared/kmip/testcases");

    free(arena.data);

    return ngx_kmip_test_report("codec_text: ");
}
