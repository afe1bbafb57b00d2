
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * The steps every transport takes around the batch runner
 * (ngx_kmip_transport.c), which the stream and the http modules share:
 * reading a decoded message into the request, refusing one that cannot
 * run (every item, or one item with no operation for a message not
 * understood), guessing the version of TTLV that does not decode, the
 * Server Correlation Value (in 2.1 answers only), and Maximum Response
 * Size, counted on the TTLV encoding whatever the transport.
 */


#include <string.h>

#include "ngx_kmip_test_ops.h"
#include "ngx_kmip_transport.h"


static ngx_kmip_req_t *
t_transport_req(void)
{
    ngx_pool_t      *pool;
    ngx_kmip_req_t  *r;

    pool = ngx_create_pool(4096, t_log);
    if (pool == NULL) {
        abort();
    }

    r = ngx_pcalloc(pool, sizeof(ngx_kmip_req_t));
    if (r == NULL) {
        abort();
    }

    r->pool = pool;
    r->log = t_log;
    r->msg.maximum_response_size = -1;

    (void) ngx_kmip_req_init(r);

    return r;
}


/* a Request Message of n Query items, and its TTLV bytes */

static ngx_kmip_item_t *
t_transport_message(ngx_uint_t major, ngx_uint_t minor, ngx_uint_t n,
    ngx_str_t *ttlv)
{
    ngx_uint_t    i;
    t_request_t  *t;

    t = t_request(major, minor);

    ngx_kmip_ttlv_add_integer(t_alloc(), t->header, NGX_KMIP_TAG_BATCH_COUNT,
                              (int32_t) n);

    for (i = 0; i < n; i++) {
        (void) t_item(t, NGX_KMIP_OPERATION_QUERY);
    }

    ttlv->len = ngx_kmip_ttlv_size(t->root);
    ttlv->data = ngx_pnalloc(t_pool, ttlv->len);

    if (ttlv->data == NULL
        || ngx_kmip_ttlv_encode(t->root, ttlv->data)
           != ttlv->data + ttlv->len)
    {
        abort();
    }

    ngx_destroy_pool(t->pool);

    return t->root;
}


static void
t_transport_guess(void)
{
    ngx_str_t        ttlv;
    ngx_kmip_req_t  *r;

    (void) t_transport_message(1, 4, 1, &ttlv);

    r = t_transport_req();
    ngx_kmip_req_guess_version(r, ttlv.data, ttlv.len);
    CHECK(r->msg.major == 1 && r->msg.minor == 4,
          "guess: the version of a TTLV Request Message, 1.4");

    (void) t_transport_message(2, 1, 1, &ttlv);
    ngx_kmip_req_guess_version(r, ttlv.data, ttlv.len);
    CHECK(r->msg.major == 2 && r->msg.minor == 1, "guess: 2.1");

    ngx_kmip_req_guess_version(r, ttlv.data, 40);
    CHECK(r->msg.major == 1 && r->msg.minor == 0,
          "guess: a message cut short is answered in 1.0");

    ngx_kmip_req_guess_version(r, NULL, 0);
    CHECK(r->msg.major == 1 && r->msg.minor == 0 && r->msg.nitems == 0,
          "guess: no TTLV (JSON, XML) is answered in 1.0");

    (void) t_transport_message(3, 0, 1, &ttlv);
    ngx_kmip_req_guess_version(r, ttlv.data, ttlv.len);
    CHECK(r->msg.major == 1 && r->msg.minor == 0,
          "guess: a version the server does not know is answered in 1.0");

    ngx_destroy_pool(r->pool);
}


static void
t_transport_parse(void)
{
    ngx_str_t         ttlv;
    ngx_uint_t        known;
    ngx_kmip_req_t   *r;
    ngx_kmip_item_t  *root, *bare;

    root = t_transport_message(1, 4, 2, &ttlv);

    r = t_transport_req();
    CHECK(ngx_kmip_req_parse(r, root, ttlv.data, ttlv.len, &known) == NGX_OK
          && known && r->version == 104 && r->msg.nitems == 2,
          "parse: a 1.4 request of two items may run");
    ngx_destroy_pool(r->pool);

    root = t_transport_message(9, 9, 1, &ttlv);

    r = t_transport_req();
    CHECK(ngx_kmip_req_parse(r, root, ttlv.data, ttlv.len, &known)
          == NGX_DECLINED
          && known && r->nresults == 1
          && r->results[0].result_reason == NGX_KMIP_REASON_INVALID_MESSAGE,
          "parse: version 9.9 is refused with Invalid Message, version "
          "known");
    ngx_destroy_pool(r->pool);

    /* a Request Message without its header: not even a version */

    root = t_transport_message(2, 1, 1, &ttlv);
    bare = ngx_kmip_ttlv_item_new(t_alloc(), NGX_KMIP_TAG_REQUEST_MESSAGE,
                                  NGX_KMIP_TYPE_STRUCTURE);

    r = t_transport_req();
    CHECK(ngx_kmip_req_parse(r, bare, ttlv.data, ttlv.len, &known)
          == NGX_DECLINED
          && !known && r->nresults == 1 && r->results[0].operation == 0
          && r->msg.major == 2 && r->msg.minor == 1,
          "parse: no header, no version: Invalid Message with no "
          "operation, in the version the TTLV bytes say");
    ngx_destroy_pool(r->pool);

    r = t_transport_req();
    CHECK(ngx_kmip_req_parse(r, bare, NULL, 0, &known) == NGX_DECLINED
          && !known && r->msg.major == 1 && r->msg.minor == 0,
          "parse: the same from JSON or XML: in 1.0");
    ngx_destroy_pool(r->pool);
}


static void
t_transport_reject_and_respond(void)
{
    size_t            size, size2;
    ngx_str_t         ttlv;
    ngx_uint_t        known, i, ok;
    ngx_kmip_req_t   *r;
    ngx_kmip_item_t  *root, *response;

    root = t_transport_message(2, 1, 3, &ttlv);

    r = t_transport_req();
    (void) ngx_kmip_req_parse(r, root, ttlv.data, ttlv.len, &known);

    CHECK(ngx_kmip_req_reject(r, NGX_KMIP_REASON_PERMISSION_DENIED,
                              "client certificate not allowed")
          == NGX_OK && r->nresults == 3,
          "reject: a message understood fails item by item");

    ok = 1;

    for (i = 0; i < r->nresults; i++) {
        ok &= (r->results[i].operation == NGX_KMIP_OPERATION_QUERY
               && r->results[i].result_reason
                  == NGX_KMIP_REASON_PERMISSION_DENIED);
    }

    CHECK(ok, "reject: each item echoes its operation, Permission Denied");

    /* the Server Correlation Value: in a 2.1 answer */

    ngx_kmip_req_correlation(r, 12, 3);
    CHECK(r->server_correlation.len == 16 + 1 + 2 + 1 + 1
          && ngx_strncmp(r->server_correlation.data + 16, "-12-3", 5) == 0,
          "correlation: 16 hex digits, the connection, the request");

    response = ngx_kmip_req_response(r, &size);
    CHECK(response != NULL && size == ngx_kmip_ttlv_size(response)
          && t_deep(response, NGX_KMIP_TAG_SERVER_CORRELATION_VALUE),
          "respond: 2.1 carries the Server Correlation Value, size is TTLV");

    /* Maximum Response Size: every item fails Response Too Large */

    r->msg.maximum_response_size = (int64_t) size - 1;

    response = ngx_kmip_req_response(r, &size2);
    CHECK(response != NULL
          && r->results[0].result_reason
             == NGX_KMIP_REASON_RESPONSE_TOO_LARGE
          && r->results[2].result_reason
             == NGX_KMIP_REASON_RESPONSE_TOO_LARGE,
          "respond: one byte over Maximum Response Size: Response Too "
          "Large");

    ngx_destroy_pool(r->pool);

    /* 1.4: no Server Correlation Value */

    root = t_transport_message(1, 4, 1, &ttlv);

    r = t_transport_req();
    (void) ngx_kmip_req_parse(r, root, ttlv.data, ttlv.len, &known);
    (void) ngx_kmip_req_reject(r, NGX_KMIP_REASON_INVALID_MESSAGE, "test");
    ngx_kmip_req_correlation(r, 1, 1);

    response = ngx_kmip_req_response(r, &size);
    CHECK(response != NULL && r->nresults == 1
          && r->results[0].operation == 0
          && t_deep(response, NGX_KMIP_TAG_SERVER_CORRELATION_VALUE) == NULL,
          "respond: 1.4 has no Server Correlation Value; Invalid Message "
          "has one item, no operation");

    ngx_destroy_pool(r->pool);
}


void
t_transport(void)
{
    t_transport_guess();
    t_transport_parse();
    t_transport_reject_and_respond();
}
