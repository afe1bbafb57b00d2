
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * The operations about the server and the batch runner's own rules:
 * Discover Versions (1.4 4.26, 2.1 6.1.17), Query (1.4 4.25, 2.1 6.1.37),
 * RNG Retrieve and RNG Seed (1.4 4.35, 4.36), Log (2.1 6.1.29), Poll and
 * Cancel (1.4 4.28, 4.27), Interop (2.1 6.1.26), Set Endpoint Role (2.1
 * 6.1.54); an operation a version does not define is
 * Operation Not Supported, and a request without the configured
 * credential may run only the operations that need none.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"


static void
t_version(ngx_kmip_item_t *p, int32_t major, int32_t minor)
{
    ngx_kmip_item_t  *pv;

    pv = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                  NGX_KMIP_TAG_PROTOCOL_VERSION);
    ngx_kmip_ttlv_add_integer(t_alloc(), pv,
                              NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR, major);
    ngx_kmip_ttlv_add_integer(t_alloc(), pv,
                              NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR, minor);
}


static ngx_uint_t
t_version_is(ngx_kmip_item_t *pv, int64_t major, int64_t minor)
{
    ngx_kmip_item_t  *ma, *mi;

    if (pv == NULL) {
        return 0;
    }

    ma = ngx_kmip_ttlv_find(pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR);
    mi = ngx_kmip_ttlv_find(pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR);

    return ma && mi && ma->v.num == major && mi->v.num == minor;
}


static void
t_discover(void)
{
    t_request_t               *t;
    ngx_kmip_item_t           *p, *pv;
    ngx_kmip_response_item_t  *out;

    out = t_one(1, 1, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    pv = t_find(&out[0], NGX_KMIP_TAG_PROTOCOL_VERSION);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_count(&out[0], NGX_KMIP_TAG_PROTOCOL_VERSION) == 7
          && t_version_is(pv, 2, 1),
          "Discover Versions without a list: all seven, 2.1 first");

    /* the client's list: what both have, in the server's order */

    t = t_request(1, 4);
    p = t_item(t, NGX_KMIP_OP_DISCOVER_VERSIONS);
    t_version(p, 1, 2);
    t_version(p, 3, 0);
    t_version(p, 2, 0);
    out = t_run(t);

    pv = t_find(&out[0], NGX_KMIP_TAG_PROTOCOL_VERSION);
    CHECK(t_count(&out[0], NGX_KMIP_TAG_PROTOCOL_VERSION) == 2
          && t_version_is(pv, 2, 0)
          && t_version_is(ngx_kmip_ttlv_find_next(pv,
                                          NGX_KMIP_TAG_PROTOCOL_VERSION),
                          1, 2),
          "Discover Versions with a list: the common ones, server's order");

    t = t_request(1, 4);
    p = t_item(t, NGX_KMIP_OP_DISCOVER_VERSIONS);
    t_version(p, 3, 0);
    out = t_run(t);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_count(&out[0], NGX_KMIP_TAG_PROTOCOL_VERSION) == 0,
          "Discover Versions with no common version: an empty list");

    t = t_request(1, 4);
    p = t_item(t, NGX_KMIP_OP_DISCOVER_VERSIONS);
    t_text(p, NGX_KMIP_TAG_LOG_MESSAGE, "1.4");
    out = t_run(t);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_INVALID_MESSAGE,
          "Discover Versions with another field: Invalid Message");

    out = t_one(1, 0, NGX_KMIP_OP_DISCOVER_VERSIONS, NULL);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
          "Discover Versions does not exist in KMIP 1.0");
}


static ngx_kmip_response_item_t *
t_query(ngx_uint_t major, ngx_uint_t minor, ngx_uint_t no_store)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(major, minor);
    t->no_store = no_store;
    p = t_item(t, NGX_KMIP_OP_QUERY);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_QUERY_FUNCTION,
                           NGX_KMIP_QUERY_FUNCTION_QUERY_SERVER_INFORMATION);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_QUERY_FUNCTION,
                           NGX_KMIP_QUERY_FUNCTION_QUERY_PROFILES);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_QUERY_FUNCTION,
                           NGX_KMIP_QUERY_FUNCTION_QUERY_OBJECTS);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_QUERY_FUNCTION,
                           NGX_KMIP_QUERY_FUNCTION_QUERY_OPERATIONS);

    return t_run(t);
}


/* the operation is among those Query lists */

static ngx_uint_t
t_lists(ngx_kmip_response_item_t *out, uint32_t operation)
{
    ngx_kmip_item_t  *op;

    for (op = t_find(out, NGX_KMIP_TAG_OPERATION); op;
         op = ngx_kmip_ttlv_find_next(op, NGX_KMIP_TAG_OPERATION))
    {
        if (op->v.num == operation) {
            return 1;
        }
    }

    return 0;
}


static void
t_query_versions(void)
{
    ngx_kmip_item_t           *first;
    ngx_kmip_response_item_t  *out;

    out = t_query(1, 4, 0);
    first = out[0].payload ? out[0].payload->v.kids.first : NULL;
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && first && first->tag == NGX_KMIP_TAG_OPERATION,
          "Query answers in the payload's order: Operations first");
    CHECK(t_lists(&out[0], NGX_KMIP_OP_CREATE)
          && t_lists(&out[0], NGX_KMIP_OP_RNG_RETRIEVE)
          && t_lists(&out[0], NGX_KMIP_OP_RNG_SEED)
          && !t_lists(&out[0], NGX_KMIP_OP_EXPORT)
          && !t_lists(&out[0], NGX_KMIP_OP_LOG)
          && !t_lists(&out[0], NGX_KMIP_OP_INTEROP),
          "Query in 1.4: the 1.x operations only");
    CHECK(t_count(&out[0], NGX_KMIP_TAG_OBJECT_TYPE) == 9
          && t_find(&out[0], NGX_KMIP_TAG_VENDOR_IDENTIFICATION)
          && t_find(&out[0], NGX_KMIP_TAG_SERVER_INFORMATION) == NULL,
          "Query in 1.4: the nine object types kept (PGP Key and "
          "Template, no Certificate Request), vendor, no 2.x Server "
          "Information");

    out = t_query(1, 1, 0);
    CHECK(t_count(&out[0], NGX_KMIP_TAG_OBJECT_TYPE) == 8,
          "Query in 1.1: no PGP Key, which 1.2 defines; a Template");

    out = t_query(1, 2, 0);
    CHECK(t_lists(&out[0], NGX_KMIP_OP_ENCRYPT)
          && !t_lists(&out[0], NGX_KMIP_OP_RNG_RETRIEVE)
          && !t_lists(&out[0], NGX_KMIP_OP_RNG_SEED),
          "Query in 1.2: Encrypt, but not RNG Retrieve nor RNG Seed of 1.3");

    out = t_query(2, 1, 0);
    CHECK(t_lists(&out[0], NGX_KMIP_OP_EXPORT)
          && t_lists(&out[0], NGX_KMIP_OP_SET_ATTRIBUTE)
          && !t_lists(&out[0], NGX_KMIP_OP_INTEROP),
          "Query in 2.1: the 2.x operations, no Interop on a production "
          "server");
    CHECK(t_deep(t_find(&out[0], NGX_KMIP_TAG_SERVER_INFORMATION),
                 NGX_KMIP_TAG_PRODUCT_NAME) != NULL,
          "Query in 2.1: a Server Information structure with its fields");
    CHECK(t_count(&out[0], NGX_KMIP_TAG_OBJECT_TYPE) == 9,
          "Query in 2.1: nine object types, Certificate Request too, no "
          "Template (gone in 2.0)");

    out = t_query(2, 1, 1);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && !t_lists(&out[0], NGX_KMIP_OP_CREATE)
          && t_lists(&out[0], NGX_KMIP_OP_QUERY)
          && t_count(&out[0], NGX_KMIP_TAG_OBJECT_TYPE) == 0,
          "Query without a key store: no object operations, no objects");

    t_interop(1);
    out = t_query(2, 1, 0);
    t_interop(0);
    CHECK(t_lists(&out[0], NGX_KMIP_OP_INTEROP),
          "Query on a test server lists Interop");
}


/* the refusals of each operation about the server, each version's */

static t_case_t  t_rng_refusals[] = {

    { 1, 4, NGX_KMIP_OP_RNG_RETRIEVE, NGX_KMIP_TAG_DATA_LENGTH,
      NGX_KMIP_TYPE_INTEGER, 0, NULL, NGX_KMIP_REASON_INVALID_FIELD,
      "RNG Retrieve of 0 bytes: Invalid Field", NULL },

    { 1, 4, NGX_KMIP_OP_RNG_RETRIEVE, NGX_KMIP_TAG_DATA_LENGTH,
      NGX_KMIP_TYPE_INTEGER, 4097, NULL, NGX_KMIP_REASON_INVALID_FIELD,
      "RNG Retrieve of more than 4096 bytes: Invalid Field", NULL },

    { 2, 1, NGX_KMIP_OP_RNG_RETRIEVE, 0, 0, 0, NULL,
      NGX_KMIP_REASON_MISSING_DATA,
      "RNG Retrieve without a Data Length: Missing Data", NULL },

    { 1, 2, NGX_KMIP_OP_RNG_RETRIEVE, 0, 0, 0, NULL,
      NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
      "RNG Retrieve does not exist in KMIP 1.2", NULL },

    { 2, 1, NGX_KMIP_OP_RNG_SEED, 0, 0, 0, NULL,
      NGX_KMIP_REASON_MISSING_DATA, "RNG Seed without Data: Missing Data",
      NULL },

    { 1, 4, NGX_KMIP_OP_RNG_SEED, NGX_KMIP_TAG_DATA, NGX_KMIP_TYPE_INTEGER,
      32, NULL, NGX_KMIP_REASON_MISSING_DATA,
      "RNG Seed with Data not a Byte String: Missing Data", NULL },

    { 1, 2, NGX_KMIP_OP_RNG_SEED, 0, 0, 0, NULL,
      NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
      "RNG Seed does not exist in KMIP 1.2", NULL },
};


/* RNG Seed's Data: c->value bytes */

static void
t_seed_payload(ngx_kmip_item_t *p, t_case_t *c)
{
    static u_char  seed[5000];

    ngx_memset(seed, 0x5a, sizeof(seed));

    if (ngx_kmip_ttlv_add_bytes(t_alloc(), p, NGX_KMIP_TAG_DATA, seed,
                                (size_t) c->value)
        == NULL)
    {
        abort();
    }
}


/* how much of its Data each RNG Seed uses: all, up to 4096 bytes */

static void
t_rng_seed(void)
{
    size_t                     i;
    ngx_kmip_item_t           *n;
    ngx_kmip_response_item_t  *out;

    static t_case_t  seeds[] = {
        { 1, 4, NGX_KMIP_OP_RNG_SEED, 0, 0, 32, NULL, 0,
          "RNG Seed of 32 bytes uses 32", t_seed_payload },
        { 2, 1, NGX_KMIP_OP_RNG_SEED, 0, 0, 1, NULL, 0,
          "RNG Seed of 1 byte uses 1", t_seed_payload },
        { 2, 1, NGX_KMIP_OP_RNG_SEED, 0, 0, 5000, NULL, 0,
          "RNG Seed of 5000 bytes uses 4096", t_seed_payload },
        { 1, 3, NGX_KMIP_OP_RNG_SEED, 0, 0, 0, NULL, 0,
          "RNG Seed of no bytes uses none", t_seed_payload },
    };

    for (i = 0; i < t_nelts(seeds); i++) {
        out = t_case(&seeds[i], NULL);
        n = t_find(&out[0], NGX_KMIP_TAG_DATA_LENGTH);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
              && n && n->type == NGX_KMIP_TYPE_INTEGER
              && n->v.num == ngx_min(seeds[i].value, 4096),
              seeds[i].name);
    }
}


static t_case_t  t_log_refusals[] = {

    { 2, 1, NGX_KMIP_OP_LOG, 0, 0, 0, NULL, NGX_KMIP_REASON_MISSING_DATA,
      "Log without a Log Message: Missing Data", NULL },

    { 2, 1, NGX_KMIP_OP_LOG, NGX_KMIP_TAG_LOG_MESSAGE, NGX_KMIP_TYPE_INTEGER,
      1, NULL, NGX_KMIP_REASON_INVALID_FIELD,
      "Log with a Log Message not a Text String: Invalid Field", NULL },

    { 1, 4, NGX_KMIP_OP_LOG, NGX_KMIP_TAG_LOG_MESSAGE, 0, 0,
      "a message, \"quoted\"\n", NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
      "Log does not exist in KMIP 1.4", NULL },
};


static t_case_t  t_role_refusals[] = {

    { 2, 1, NGX_KMIP_OP_SET_ENDPOINT_ROLE, NGX_KMIP_TAG_ENDPOINT_ROLE,
      NGX_KMIP_TYPE_ENUMERATION, NGX_KMIP_ENDPOINT_ROLE_CLIENT, NULL,
      NGX_KMIP_REASON_PERMISSION_DENIED,
      "Set Endpoint Role Client: Permission Denied (2.1 6.1.54)", NULL },

    { 2, 1, NGX_KMIP_OP_SET_ENDPOINT_ROLE, NGX_KMIP_TAG_ENDPOINT_ROLE,
      NGX_KMIP_TYPE_ENUMERATION, 7, NULL, NGX_KMIP_REASON_INVALID_FIELD,
      "Set Endpoint Role of no such role: Invalid Field", NULL },

    { 2, 1, NGX_KMIP_OP_SET_ENDPOINT_ROLE, 0, 0, 0, NULL,
      NGX_KMIP_REASON_MISSING_DATA,
      "Set Endpoint Role without a role: Missing Data", NULL },
};


static void
t_rng(void)
{
    ngx_kmip_item_t           *d;
    ngx_kmip_response_item_t  *out;
    t_case_t                   c = { 1, 4, NGX_KMIP_OP_RNG_RETRIEVE,
                                     NGX_KMIP_TAG_DATA_LENGTH,
                                     NGX_KMIP_TYPE_INTEGER, 32, NULL, 0,
                                     NULL, NULL };

    out = t_case(&c, NULL);
    d = t_find(&out[0], NGX_KMIP_TAG_DATA);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && d && d->type == NGX_KMIP_TYPE_BYTE_STRING
          && d->v.str.len == 32,
          "RNG Retrieve of 32 bytes gives 32 bytes of Data");

    t_cases(t_rng_refusals, t_nelts(t_rng_refusals), NULL);
    t_rng_seed();
}


static void
t_log_ops(void)
{
    ngx_kmip_response_item_t  *out;
    t_case_t                   c = { 2, 1, NGX_KMIP_OP_LOG,
                                     NGX_KMIP_TAG_LOG_MESSAGE, 0, 0,
                                     "a message, \"quoted\"\n", 0, NULL,
                                     NULL };

    out = t_case(&c, NULL);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && out[0].payload && out[0].payload->v.kids.first == NULL,
          "Log: Success with an empty payload");

    t_cases(t_log_refusals, t_nelts(t_log_refusals), NULL);

    c.operation = NGX_KMIP_OP_SET_ENDPOINT_ROLE;
    c.tag = NGX_KMIP_TAG_ENDPOINT_ROLE;
    c.type = NGX_KMIP_TYPE_ENUMERATION;
    c.value = NGX_KMIP_ENDPOINT_ROLE_SERVER;
    c.text = NULL;
    out = t_case(&c, NULL);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_find(&out[0], NGX_KMIP_TAG_ENDPOINT_ROLE)
          && t_find(&out[0], NGX_KMIP_TAG_ENDPOINT_ROLE)->v.num
             == NGX_KMIP_ENDPOINT_ROLE_SERVER,
          "Set Endpoint Role Server: confirmed");

    t_cases(t_role_refusals, t_nelts(t_role_refusals), NULL);
}


/* an Asynchronous Correlation Value of c->value bytes */

static void
t_async_payload(ngx_kmip_item_t *p, t_case_t *c)
{
    static u_char  value[16] = "\x01\x02\x03\x04\x05\x06\x07\x08";

    if (ngx_kmip_ttlv_add_bytes(t_alloc(), p,
                                NGX_KMIP_TAG_ASYNCHRONOUS_CORRELATION_VALUE,
                                value, (size_t) c->value)
        == NULL)
    {
        abort();
    }
}


static t_case_t  t_async_refusals[] = {

    { 1, 4, NGX_KMIP_OP_POLL, 0, 0, 8, NULL, NGX_KMIP_REASON_ITEM_NOT_FOUND,
      "1.4 Poll: no outstanding operation, Item Not Found (11.29)",
      t_async_payload },

    { 2, 1, NGX_KMIP_OP_POLL, 0, 0, 8, NULL,
      NGX_KMIP_REASON_INVALID_ASYNCHRONOUS_CORRELATION_VALUE,
      "2.1 Poll: Invalid Asynchronous Correlation Value (6.1.38.1)",
      t_async_payload },

    { 1, 0, NGX_KMIP_OP_POLL, 0, 0, 0, NULL, NGX_KMIP_REASON_MISSING_DATA,
      "Poll without an Asynchronous Correlation Value: Missing Data",
      NULL },

    { 2, 1, NGX_KMIP_OP_CANCEL, NGX_KMIP_TAG_ASYNCHRONOUS_CORRELATION_VALUE,
      0, 0, "not bytes", NGX_KMIP_REASON_MISSING_DATA,
      "Cancel with a Text String for the value: Missing Data", NULL },

    { 2, 1, NGX_KMIP_OP_CANCEL, 0, 0, 0, NULL,
      NGX_KMIP_REASON_INVALID_ASYNCHRONOUS_CORRELATION_VALUE,
      "2.1 Cancel of an empty value: Invalid Asynchronous Correlation "
      "Value", t_async_payload },

    { 1, 4, NGX_KMIP_OP_CANCEL, 0, 0, 0, NULL,
      NGX_KMIP_REASON_INVALID_FIELD,
      "1.4 Cancel of an empty value: Invalid Field", t_async_payload },
};


/* Cancel: Success, the value echoed, Cancellation Result Unavailable */

static void
t_async_ops(void)
{
    ngx_uint_t                 i;
    ngx_kmip_item_t           *v, *res;
    ngx_kmip_response_item_t  *out;
    t_case_t                   c = { 1, 0, NGX_KMIP_OP_CANCEL, 0, 0, 8,
                                     NULL, 0, NULL, t_async_payload };

    static ngx_uint_t  versions[][2] = { { 1, 0 }, { 1, 4 }, { 2, 1 } };

    for (i = 0; i < t_nelts(versions); i++) {
        c.major = versions[i][0];
        c.minor = versions[i][1];
        out = t_case(&c, NULL);
        v = t_find(&out[0], NGX_KMIP_TAG_ASYNCHRONOUS_CORRELATION_VALUE);
        res = t_find(&out[0], NGX_KMIP_TAG_CANCELLATION_RESULT);
        CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
              && v && v->type == NGX_KMIP_TYPE_BYTE_STRING
              && v->v.str.len == 8 && v->v.str.data[7] == 0x08
              && res && res->type == NGX_KMIP_TYPE_ENUMERATION
              && res->v.num == NGX_KMIP_CANCELLATION_RESULT_UNAVAILABLE,
              "Cancel: the value echoed, Cancellation Result Unavailable");
    }

    t_cases(t_async_refusals, t_nelts(t_async_refusals), NULL);

    out = t_query(1, 4, 1);
    CHECK(t_lists(&out[0], NGX_KMIP_OP_POLL)
          && t_lists(&out[0], NGX_KMIP_OP_CANCEL),
          "Query lists Poll and Cancel, with no key store too");
}


/* an Interop request: the Interop Function and the Interop Identifier */

static void
t_interop_payload(ngx_kmip_item_t *p, t_case_t *c)
{
    (void) t_value(p, NGX_KMIP_TAG_INTEROP_FUNCTION,
                   NGX_KMIP_TYPE_ENUMERATION, c->value);
    t_text(p, NGX_KMIP_TAG_INTEROP_IDENTIFIER, c->text);
}


/* on a test server */

static t_case_t  t_interop_cases[] = {

    { 2, 1, NGX_KMIP_OP_INTEROP, 0, 0, NGX_KMIP_INTEROP_FUNCTION_BEGIN,
      "TC-1", 0, "Interop Begin on a test server", t_interop_payload },

    { 2, 1, NGX_KMIP_OP_INTEROP, 0, 0, NGX_KMIP_INTEROP_FUNCTION_END,
      "TC-1", 0, "Interop End on a test server", t_interop_payload },

    { 2, 1, NGX_KMIP_OP_INTEROP, 0, 0, NGX_KMIP_INTEROP_FUNCTION_RESET,
      "TC-1", NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED,
      "Interop Reset: Feature Not Supported, keys are not deleted",
      t_interop_payload },

    { 2, 1, NGX_KMIP_OP_INTEROP, 0, 0, NGX_KMIP_INTEROP_FUNCTION_BEGIN, "",
      NGX_KMIP_REASON_INVALID_FIELD,
      "Interop with an empty identifier: Invalid Field", t_interop_payload },

    { 2, 1, NGX_KMIP_OP_INTEROP, 0, 0, 0, NULL, NGX_KMIP_REASON_MISSING_DATA,
      "Interop without its fields: Missing Data", NULL },
};


static void
t_interop_ops(void)
{
    /* the same request as the first test server case */

    t_interop(0);
    t_expect(&t_case(&t_interop_cases[0], NULL)[0],
             NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
             "Interop on a production server: Operation Not Supported");

    t_interop(1);
    t_cases(t_interop_cases, t_nelts(t_interop_cases), NULL);
    t_interop(0);
}


static void
t_anonymous(void)
{
    t_request_t               *t;
    ngx_uint_t                 before;
    ngx_kmip_response_item_t  *out;

    before = t_mem->objects.nelts;

    t = t_request(1, 4);
    t->anonymous = 1;
    t_continuation(t, NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_CONTINUE);
    t_item(t, NGX_KMIP_OP_QUERY);
    t_item(t, NGX_KMIP_OP_DISCOVER_VERSIONS);
    t_create_payload(t_item(t, NGX_KMIP_OP_CREATE), 1);
    t_item(t, NGX_KMIP_OP_RNG_RETRIEVE);
    out = t_run(t);

    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && out[1].result_status == NGX_KMIP_STATUS_SUCCESS,
          "without a credential: Query and Discover Versions run");
    CHECK(t_reason(&out[2]) == NGX_KMIP_REASON_PERMISSION_DENIED
          && t_mem->objects.nelts == before,
          "without a credential: Create is Permission Denied, makes "
          "nothing");
    CHECK(t_reason(&out[3]) == NGX_KMIP_REASON_PERMISSION_DENIED,
          "without a credential: RNG Retrieve is Permission Denied");
    CHECK(!ngx_kmip_op_needs_credential(NGX_KMIP_OP_GET_ATTRIBUTES)
          && !ngx_kmip_op_needs_credential(NGX_KMIP_OP_ADD_ATTRIBUTE)
          && ngx_kmip_op_needs_credential(NGX_KMIP_OP_GET)
          && ngx_kmip_op_needs_credential(NGX_KMIP_OP_SET_ATTRIBUTE)
          && ngx_kmip_op_needs_credential(NGX_KMIP_OP_DESTROY),
          "the operations that need a credential");
}


static void
t_not_in_version(void)
{
    t_request_t               *t;
    ngx_kmip_response_item_t  *out;

    t = t_request(1, 4);
    t_continuation(t, NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_CONTINUE);
    t_item(t, NGX_KMIP_OP_EXPORT);
    t_item(t, NGX_KMIP_OP_SET_ATTRIBUTE);
    t_item(t, NGX_KMIP_OP_CERTIFY);
    t_item(t, NGX_KMIP_OP_QUERY);
    out = t_run(t);

    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED
          && t_reason(&out[1]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
          "2.x operations in a 1.4 request: Operation Not Supported");
    CHECK(t_reason(&out[2]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
          "an operation the server does not have: Operation Not Supported");
    CHECK(out[3].result_status == NGX_KMIP_STATUS_SUCCESS
          && t->r->nresults == 4,
          "Continue: the next items run");

    t = t_request(1, 1);
    t_item(t, NGX_KMIP_OP_ENCRYPT);
    out = t_run(t);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
          "Encrypt does not exist in KMIP 1.1");
}


void
t_server(void)
{
    t_discover();
    t_query_versions();
    t_rng();
    t_log_ops();
    t_async_ops();
    t_interop_ops();
    t_anonymous();
    t_not_in_version();
}
