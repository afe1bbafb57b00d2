
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_TEST_OPS_H_INCLUDED_
#define _NGX_KMIP_TEST_OPS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_ops.h"
#include "ngx_kmip_store_memory.h"


/*
 * The operations tier without nginx processes: a request is built as a
 * client would send it (a Request Message tree, parsed by the message
 * layer), run by the batch runner on the memory store
 * (ngx_kmip_store_memory.h), and its answers read back. The store answers
 * at once, or later when the test says so (t_deferred), the way a network
 * store does; the runner must give the same answers both ways.
 */


typedef struct {
    ngx_pool_t                 *pool;
    ngx_kmip_item_t            *root;       /* the Request Message */
    ngx_kmip_item_t            *header;
    ngx_uint_t                  nitems;
    ngx_kmip_req_t             *r;
    ngx_uint_t                  done;       /* r->done() was called */
} t_request_t;


#define NGX_KMIP_TEST_SHARED_COUNTS  1
#include "ngx_kmip_test_check.h"


extern ngx_kmip_store_memory_t  *t_mem;
extern ngx_pool_t               *t_pool;
extern ngx_log_t                *t_log;


/* a new memory store for the next tests; deferred: answers wait */
void t_store(ngx_uint_t deferred);

/* a Request Message of protocol version major.minor */
t_request_t *t_request(ngx_uint_t major, ngx_uint_t minor);
/* the Batch Error Continuation Option (Stop 2, Undo 3) */
void t_continuation(t_request_t *t, uint32_t option);
/* a batch item: its Request Payload, to add fields to */
ngx_kmip_item_t *t_item(t_request_t *t, uint32_t operation);

/* parses and runs the request to its end; its answers */
ngx_kmip_response_item_t *t_run(t_request_t *t);

/* the allocator of the tests' trees */
ngx_kmip_allocator_t *t_alloc(void);

/*
 * Common requests, each one batch item run alone: the Unique Identifier
 * made (static storage until the next call), or NULL when it failed.
 */
ngx_str_t *t_create_aes(ngx_uint_t major, ngx_uint_t minor);
ngx_kmip_response_item_t *t_one(ngx_uint_t major, ngx_uint_t minor,
    uint32_t operation, ngx_str_t *uid);
/* a new 256-bit AES key in *uid (the tests' pool), a check of it; 0 when
   the Create failed */
ngx_uint_t t_new_key(ngx_uint_t major, ngx_uint_t minor, ngx_str_t *uid);
/* the Result Reason of an item that failed; 0 for one that did not */
uint32_t t_reason(ngx_kmip_response_item_t *out);

/* the payload of a Create of a 256-bit AES key, in the version's form */
void t_create_payload(ngx_kmip_item_t *p, ngx_uint_t major);

/* an answer's field; the first item with the tag at any depth */
ngx_kmip_item_t *t_find(ngx_kmip_response_item_t *out, uint32_t tag);
ngx_kmip_item_t *t_deep(ngx_kmip_item_t *item, uint32_t tag);
/* the value of a Get Attributes answer's attribute, by name */
ngx_kmip_item_t *t_attribute(ngx_kmip_response_item_t *out,
    const char *name);


/* the test groups (test_ops_*.c) */
void t_lifecycle(void);
void t_attributes(void);
void t_batches(void);
void t_store_failures(void);
void t_rekey(void);


#endif /* _NGX_KMIP_TEST_OPS_H_INCLUDED_ */
