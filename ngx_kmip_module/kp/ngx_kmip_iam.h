
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_IAM_H_INCLUDED_
#define _NGX_KMIP_IAM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_kmip_http.h"


/*
 * The IAM bearer token of one API key, shared by all workers through a
 * shared memory zone. One worker at a time refreshes it (a single-flight
 * flag with a timestamp, so that a crashed refresher does not wedge it):
 * proactively after 80% of its lifetime, and whenever no usable token is
 * left. A token is never used within min(60 s, 10% of its lifetime) of
 * its expiry. An API key refused by IAM is logged once and makes every
 * request fail fast for NGX_KMIP_IAM_REFUSED_BACKOFF seconds.
 *
 * The API key and the tokens never reach a log line; copies are wiped
 * when dropped.
 */


#define NGX_KMIP_IAM_REFUSED_BACKOFF  10


typedef struct ngx_kmip_iam_s       ngx_kmip_iam_t;
typedef struct ngx_kmip_iam_wait_s  ngx_kmip_iam_wait_t;

typedef void (*ngx_kmip_iam_handler_pt)(ngx_kmip_iam_wait_t *w);


struct ngx_kmip_iam_wait_s {
    ngx_queue_t                 queue;
    ngx_kmip_iam_t             *iam;
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_msec_t                  deadline;       /* absolute, ngx_current_msec */

    ngx_kmip_iam_handler_pt     handler;
    void                       *data;

    /* results: rc is NGX_OK (a token), NGX_DECLINED (IAM refused the API
       key) or NGX_ERROR (IAM unavailable, timed out) */
    ngx_int_t                   rc;
    ngx_str_t                   token;          /* wiped with the pool */
    ngx_uint_t                  generation;
    ngx_str_t                   error;

    /* private */
    ngx_uint_t                  attempts;
    unsigned                    queued:1;
    unsigned                    cleanup:1;
};


/*
 * Configuration: one object per (IAM URL, API key file) and cycle, got
 * again by a second call with the same pair and tag (the stream and http
 * modules share it); tag is what owns the shared zone.
 */
ngx_kmip_iam_t *ngx_kmip_iam_create(ngx_conf_t *cf, ngx_str_t *url,
    ngx_str_t *api_key_file, ngx_str_t *ca_file, ngx_resolver_t *resolver,
    ngx_msec_t resolver_timeout, ngx_msec_t timeout, void *tag);
ngx_int_t ngx_kmip_iam_same(ngx_kmip_iam_t *iam, ngx_str_t *url,
    ngx_str_t *api_key_file);

/*
 * NGX_OK: w->token is usable now. NGX_AGAIN: w->handler runs later (never
 * from inside this call) with w->rc. NGX_DECLINED: the API key was refused
 * recently (fail fast, w->error). NGX_ERROR: w->error.
 */
ngx_int_t ngx_kmip_iam_token(ngx_kmip_iam_t *iam, ngx_kmip_iam_wait_t *w);

/* Key Protect said 401 to the token of this generation: drop it */
void ngx_kmip_iam_invalidate(ngx_kmip_iam_t *iam, ngx_uint_t generation);


#endif /* _NGX_KMIP_IAM_H_INCLUDED_ */
