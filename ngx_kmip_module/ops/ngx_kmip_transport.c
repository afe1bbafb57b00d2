
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/rand.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_transport.h"
#include "ngx_kmip_push.h"


/* "<16 hex digits>-<connection>-<request>" */
#define NGX_KMIP_CORRELATION_LEN                                              \
    (16 + 1 + NGX_ATOMIC_T_LEN + 1 + NGX_INT_T_LEN)


static ngx_int_t ngx_kmip_req_set_correlation(ngx_kmip_req_t *r,
    ngx_kmip_item_t *response);


ngx_int_t
ngx_kmip_req_parse(ngx_kmip_req_t *r, ngx_kmip_item_t *root,
    const u_char *ttlv, size_t len, ngx_uint_t *version_known)
{
    int                known;
    ngx_kmip_error_t   err;

    ngx_memzero(&err, sizeof(ngx_kmip_error_t));

    known = 0;

    if (ngx_kmip_request_parse(root, &r->alloc, &r->msg, &known, &err)
        != NGX_KMIP_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->log, 0,
                      "kmip: client sent an invalid request message: %s",
                      err.what ? err.what : ngx_kmip_ttlv_strerror(err.rc));

        *version_known = known;

        if (!known) {
            ngx_kmip_req_guess_version(r, ttlv, len);
        }

        if (ngx_kmip_req_reject(r, NGX_KMIP_REASON_INVALID_MESSAGE,
                                err.what ? err.what : "invalid message")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_DECLINED;
    }

    *version_known = 1;

    r->version = NGX_KMIP_VERSION(r->msg.major, r->msg.minor);

    ngx_log_debug4(NGX_LOG_DEBUG_CORE, r->log, 0,
                   "kmip request: version %D.%D, %uz batch items, "
                   "maximum response size %L",
                   r->msg.major, r->msg.minor, r->msg.nitems,
                   r->msg.maximum_response_size);

    if (!ngx_kmip_version_supported(r->msg.major, r->msg.minor)) {
        ngx_log_error(NGX_LOG_INFO, r->log, 0,
                      "kmip: client sent protocol version %D.%D, which is "
                      "not supported", r->msg.major, r->msg.minor);

        if (ngx_kmip_req_reject(r, NGX_KMIP_REASON_INVALID_MESSAGE,
                                "protocol version not supported")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * A request that cannot be run gets one batch item with Invalid Message
 * (or the given reason), in the protocol version of the request when it
 * could be read.
 */

ngx_int_t
ngx_kmip_req_reject(ngx_kmip_req_t *r, uint32_t reason, const char *what)
{
    ngx_uint_t                 i, n, understood;
    ngx_kmip_response_item_t  *out;

    understood = (reason != NGX_KMIP_REASON_INVALID_MESSAGE
                  && r->msg.nitems != 0);

    n = understood ? r->msg.nitems : 1;

    out = ngx_pcalloc(r->pool, n * sizeof(ngx_kmip_response_item_t));
    if (out == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (i < r->msg.nitems) {
            out[i].operation = r->msg.items[i].operation;
            out[i].unique_batch_item_id =
                                     r->msg.items[i].unique_batch_item_id;
        }

        (void) ngx_kmip_result_fail(r, &out[i], reason, "%s", what);
    }

    if (!understood) {
        /* a message that was not understood has no operation to echo */
        out[0].operation = 0;
        out[0].unique_batch_item_id = NULL;
    }

    r->results = out;
    r->nresults = n;
    r->last_operation = out[0].operation;

    return NGX_OK;
}


/*
 * For a message that could not be decoded, the protocol version is read
 * from where every KMIP request has it, if it is there; otherwise the
 * answer is in 1.0, which every client can read.
 */

void
ngx_kmip_req_guess_version(ngx_kmip_req_t *r, const u_char *p, size_t len)
{
    static u_char  prefix[] = {
        0x42, 0x00, 0x78, 0x01,   0, 0, 0, 0,       /* Request Message */
        0x42, 0x00, 0x77, 0x01,   0, 0, 0, 0,       /* Request Header */
        0x42, 0x00, 0x69, 0x01,   0, 0, 0, 0x20,    /* Protocol Version */
        0x42, 0x00, 0x6a, 0x02,   0, 0, 0, 4,       /* Major */
        0, 0, 0, 0,               0, 0, 0, 0,
        0x42, 0x00, 0x6b, 0x02,   0, 0, 0, 4,       /* Minor */
        0, 0, 0, 0,               0, 0, 0, 0
    };

    r->msg.major = 1;
    r->msg.minor = 0;
    r->msg.nitems = 0;

    if (p == NULL
        || len < sizeof(prefix)
        || ngx_memcmp(p, prefix, 4) != 0
        || ngx_memcmp(p + 8, prefix + 8, 4) != 0
        || ngx_memcmp(p + 16, prefix + 16, 8) != 0
        || ngx_memcmp(p + 24, prefix + 24, 8) != 0
        || ngx_memcmp(p + 40, prefix + 40, 8) != 0)
    {
        return;
    }

    /* Major at bytes 32-35, Minor at 48-51, both big-endian Integers */

    if (p[32] == 0 && p[33] == 0 && p[34] == 0
        && p[48] == 0 && p[49] == 0 && p[50] == 0
        && ngx_kmip_version_supported(p[35], p[51]))
    {
        r->msg.major = p[35];
        r->msg.minor = p[51];
    }
}


/*
 * A Server Correlation Value "SHOULD be globally unique, and SHOULD be
 * logged by the server with each request" (KMIP 1.4 6.19, 2.1 9.10):
 * 64 random bits drawn once per worker process (unique across nodes and
 * restarts), the connection number that every error log line of the
 * connection carries ("*12"), and the request's number on the connection.
 * The audit log writes it with each batch item.
 */

void
ngx_kmip_req_correlation(ngx_kmip_req_t *r, ngx_atomic_uint_t conn,
    ngx_uint_t request)
{
    u_char  *p;

    static ngx_pid_t  pid;
    static uint32_t   worker[2];

    if (pid != ngx_pid) {
        if (RAND_bytes((u_char *) worker, sizeof(worker)) != 1) {
            /* still unique on this node: the pid and the start time */
            worker[0] = (uint32_t) ngx_pid;
            worker[1] = (uint32_t) ngx_time();
        }

        pid = ngx_pid;
    }

    p = ngx_pnalloc(r->pool, NGX_KMIP_CORRELATION_LEN);
    if (p == NULL) {
        return;
    }

    r->server_correlation.data = p;
    r->server_correlation.len = ngx_sprintf(p, "%08xD%08xD-%uA-%ui",
                                            worker[0], worker[1], conn,
                                            request)
                                - p;

    ngx_log_debug1(NGX_LOG_DEBUG_CORE, r->log, 0,
                   "kmip server correlation value: %V",
                   &r->server_correlation);
}


ngx_kmip_item_t *
ngx_kmip_req_response(ngx_kmip_req_t *r, size_t *sizep)
{
    size_t            size;
    ngx_uint_t        i;
    ngx_kmip_item_t  *response;

    /* what the batch did is done, whether or not its answer fits */
    ngx_kmip_push_batch(r);

    response = ngx_kmip_response_build(&r->alloc, r->msg.major, r->msg.minor,
                                       ngx_time(), r->results, r->nresults);
    if (response == NULL
        || ngx_kmip_req_set_correlation(r, response) != NGX_OK)
    {
        return NULL;
    }

    size = ngx_kmip_ttlv_size(response);

    if (r->msg.maximum_response_size >= 0
        && size > (size_t) r->msg.maximum_response_size)
    {
        ngx_log_error(NGX_LOG_INFO, r->log, 0,
                      "kmip: response of %uz bytes exceeds the client's "
                      "Maximum Response Size %L",
                      size, r->msg.maximum_response_size);

        for (i = 0; i < r->nresults; i++) {
            (void) ngx_kmip_result_fail(r, &r->results[i],
                                      NGX_KMIP_REASON_RESPONSE_TOO_LARGE,
                                      "the response of %uz bytes exceeds "
                                      "Maximum Response Size %L",
                                      size, r->msg.maximum_response_size);
        }

        response = ngx_kmip_response_build(&r->alloc, r->msg.major,
                                           r->msg.minor, ngx_time(),
                                           r->results, r->nresults);
        if (response == NULL
            || ngx_kmip_req_set_correlation(r, response) != NGX_OK)
        {
            return NULL;
        }

        size = ngx_kmip_ttlv_size(response);
    }

    *sizep = size;

    return response;
}


/*
 * The Server Correlation Value goes into 2.1 answers only: PyKMIP 0.10
 * (Debian's python3-pykmip) cannot read a 1.4 or 2.0 Response Header that
 * carries one (it expects Batch Count right after Time Stamp) and speaks no
 * 2.1; vCenter speaks 1.1, which has no such field. It is optional in
 * every version, so leaving it out breaks no client.
 */

static ngx_int_t
ngx_kmip_req_set_correlation(ngx_kmip_req_t *r, ngx_kmip_item_t *response)
{
    /* an answer in a version the server does not know has no such field */

    if (r->server_correlation.len == 0
        || !ngx_kmip_version_ge(r->msg.major, r->msg.minor, 2, 1)
        || !ngx_kmip_version_supported(r->msg.major, r->msg.minor))
    {
        return NGX_OK;
    }

    if (ngx_kmip_response_set_correlation(&r->alloc, response,
                                          r->server_correlation.data,
                                          r->server_correlation.len)
        != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
