
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OPS_H_INCLUDED_
#define _NGX_KMIP_OPS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_message.h"
#include "ngx_kmip_store.h"
#include "ngx_kmip_scope.h"


/*
 * The operations layer: runs the batch items of one decoded KMIP request
 * and fills their results. It knows KMIP semantics and the server's
 * configuration, not how the bytes arrived: the stream handler gives it a
 * parsed request and gets back a list of response items. An operation that
 * has to wait (for the key store) returns NGX_AGAIN and later calls
 * ngx_kmip_op_complete(); the batch then resumes where it stopped.
 */


#define NGX_KMIP_SERVER_VERSION         "0.1.0"
#define NGX_KMIP_VENDOR                 "ngx_kmip " NGX_KMIP_SERVER_VERSION

#define NGX_KMIP_VERSION(major, minor)  ((major) * 100 + (minor))


typedef struct {
    ngx_uint_t                  major;
    ngx_uint_t                  minor;
} ngx_kmip_version_t;


/*
 * sends a message of the server's own to a client (kmip_push): data is
 * the transport's, message a TTLV Request Message, what names it in logs
 */
typedef ngx_int_t (*ngx_kmip_push_pt)(void *data, ngx_str_t *message,
    ngx_str_t *what);


typedef struct {
    ngx_array_t                *versions;       /* ngx_kmip_version_t */
    ngx_str_t                   vendor;
    ngx_flag_t                  interop;        /* kmip_interop: the
                                                   Interop operation of
                                                   test servers */
    ngx_kmip_opset_t            operations;     /* kmip_operations: what
                                                   the server offers at
                                                   all */
    struct ngx_thread_pool_s   *thread_pool;    /* CPU-heavy work (key
                                                   pairs,
                                                   ngx_kmip_op_work.c);
                                                   NULL: in the event
                                                   loop */
    struct x509_st             *ca;             /* kmip_ca_certificate:
                                                   Certify's issuer; NULL:
                                                   no Certify */
    struct evp_pkey_st         *ca_key;         /* kmip_ca_certificate_key */
    time_t                      ca_validity;    /* kmip_ca_validity */
    ngx_kmip_push_pt            push;           /* kmip_push: Notify and
                                                   Put to a client's
                                                   endpoint; NULL: none */
    void                       *push_data;
} ngx_kmip_server_conf_t;


typedef struct ngx_kmip_req_s  ngx_kmip_req_t;

/* the connection's multi-part Encrypt and Decrypt (ngx_kmip_op_crypto.h) */
typedef struct ngx_kmip_crypto_streams_s  ngx_kmip_crypto_streams_t;

/* a batch's Undo state (ngx_kmip_undo.h) */
typedef struct ngx_kmip_undo_s  ngx_kmip_undo_t;

typedef void (*ngx_kmip_req_done_pt)(ngx_kmip_req_t *r);
/* a batch item has its answer (audit log, metrics) */
typedef void (*ngx_kmip_item_done_pt)(ngx_kmip_req_t *r, ngx_uint_t n);


struct ngx_kmip_req_s {
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_kmip_allocator_t        alloc;
    ngx_kmip_server_conf_t     *conf;
    ngx_kmip_store_t           *store;          /* NULL: no key store */

    ngx_kmip_request_t          msg;
    ngx_uint_t                  version;        /* NGX_KMIP_VERSION() */

    ngx_kmip_response_item_t   *results;
    ngx_uint_t                  nresults;       /* items answered so far */

    /* the operation of the item that ran last, for logs and variables */
    uint32_t                    last_operation;

    /* this request's Server Correlation Value (KMIP 1.4 6.19, 2.1 9.10),
       for the logs and, in 2.1, the response header */
    ngx_str_t                   server_correlation;

    ngx_kmip_req_done_pt        done;
    void                       *data;

    /* object operations (ngx_kmip_op_store.c and friends) */
    ngx_str_t                   id_placeholder; /* the Unique Identifier
                                                   the last Create,
                                                   Register or Locate
                                                   produced */
    ngx_kmip_object_t          *object;         /* read or written last
                                                   in this request, or
                                                   NULL */
    ngx_kmip_response_item_t   *group;          /* answers of a run of
                                                   attribute changes on one
                                                   object, written once */
    ngx_uint_t                  group_first;
    ngx_uint_t                  group_end;

    ngx_kmip_crypto_streams_t  *streams;        /* the connection's; NULL:
                                                   no multi-part Encrypt
                                                   or Decrypt */

    /* Batch Error Continuation Option Undo (ngx_kmip_undo.c) */
    ngx_kmip_undo_t            *undo;           /* the runner's state */

    /* operator's view (ngx_stream_kmip_operator.c): may be NULL */
    ngx_kmip_item_done_pt       item_done;
    ngx_msec_t                  item_start;
    ngx_uint_t                  item_calls;     /* the store's trace mark
                                                   when the item started */
    ngx_uint_t                  item_fenced;    /* and its count of reads
                                                   of other scopes'
                                                   objects */

    ngx_kmip_scope_t           *scope;          /* the client's scope;
                                                   NULL: the server has
                                                   none (every client is
                                                   in "default") */

    unsigned                    anonymous:1;    /* no credential where one
                                                   is configured */
};


typedef ngx_int_t (*ngx_kmip_op_handler_pt)(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);


typedef struct {
    uint32_t                    operation;
    ngx_uint_t                  since;          /* NGX_KMIP_VERSION() */
    ngx_uint_t                  store;          /* needs the key store */
    ngx_kmip_op_handler_pt      handler;
} ngx_kmip_op_t;


ngx_int_t ngx_kmip_req_init(ngx_kmip_req_t *r);
ngx_int_t ngx_kmip_batch_run(ngx_kmip_req_t *r);
void ngx_kmip_op_complete(ngx_kmip_req_t *r);

/* the item fails with reason and a Result Message; NGX_OK */
ngx_int_t ngx_kmip_result_fail(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, uint32_t reason, const char *fmt, ...);
ngx_int_t ngx_kmip_result_vfail(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, uint32_t reason, const char *prefix,
    const char *fmt, va_list args);
/* the field of parent with the tag and of the type; else NULL, and the
   item fails with Missing Data and the message */
ngx_kmip_item_t *ngx_kmip_op_need(ngx_kmip_req_t *r,
    ngx_kmip_response_item_t *out, const ngx_kmip_item_t *parent,
    uint32_t tag, uint32_t type, const char *fmt, ...);
ngx_kmip_item_t *ngx_kmip_payload_new(ngx_kmip_req_t *r);

ngx_uint_t ngx_kmip_op_supported(uint32_t operation, ngx_uint_t version);
/* 1 if a request without the configured credential may not run it */
ngx_uint_t ngx_kmip_op_needs_credential(uint32_t operation);
/* 1 if the request may run op: its version, the key store, kmip_interop,
   kmip_operations and the client's scope */
ngx_uint_t ngx_kmip_op_offered(ngx_kmip_req_t *r, const ngx_kmip_op_t *op);
const ngx_kmip_op_t *ngx_kmip_ops_table(void);

const char *ngx_kmip_operation_name(uint32_t operation);
/* by name, as KMIP spells it or without spaces, "_" or "-", in any case;
   0: no such operation */
uint32_t ngx_kmip_operation_by_name(ngx_str_t *name);
const char *ngx_kmip_result_name(uint32_t status, uint32_t reason);

ngx_int_t ngx_kmip_version_supported(ngx_uint_t major, ngx_uint_t minor);


/* operation handlers, one file per family */
ngx_int_t ngx_kmip_op_discover_versions(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_query(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);

/* Certify and Re-certify (ngx_kmip_op_certify.c), with
   kmip_ca_certificate only */
ngx_int_t ngx_kmip_op_certify(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_re_certify(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);

/* Import (ngx_kmip_op_import.c) */
ngx_int_t ngx_kmip_op_import(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);

/* Create Split Key and Join Split Key (ngx_kmip_op_split.c) */
ngx_int_t ngx_kmip_op_create_split_key(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_join_split_key(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);

/* Poll and Cancel: no operation is ever outstanding (ngx_kmip_op_async.c) */
ngx_int_t ngx_kmip_op_poll(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_cancel(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);

/* the server's logs (ngx_kmip_op_log.c, ngx_kmip_op_interop.c) */
ngx_int_t ngx_kmip_op_log(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_interop(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
/* the connection's roles (ngx_kmip_op_endpoint.c) */
ngx_int_t ngx_kmip_op_set_endpoint_role(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
/* client text made safe for a log line: printable ASCII, at most max
   bytes of it */
ngx_int_t ngx_kmip_log_text(ngx_pool_t *pool, const u_char *text,
    size_t len, size_t max, ngx_str_t *out);

/* managed objects in the key store (ngx_kmip_op_create.c, _get.c,
   _destroy.c, _attr.c, _lifecycle.c, _rekey.c, _locate.c, _check.c,
   _export.c) */
ngx_int_t ngx_kmip_op_create(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_register(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
/* ngx_kmip_op_pkcrypto.c: Sign and Signature Verify */
ngx_int_t ngx_kmip_op_signature(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
/* ngx_kmip_op_keypair.c, ngx_kmip_op_rekeypair.c */
ngx_int_t ngx_kmip_op_create_key_pair(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_rekey_key_pair(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_get(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_destroy(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_get_attributes(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_get_attribute_list(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_change_attribute(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_activate(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_revoke(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_rekey(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_locate(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_check(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_export(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
/* ngx_kmip_op_archive.c */
ngx_int_t ngx_kmip_op_archive(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_recover(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
/* ngx_kmip_op_lease.c */
ngx_int_t ngx_kmip_op_obtain_lease(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);

/* cryptographic services without streams (ngx_kmip_op_mac.c, _hash.c,
   _derive.c) */
/* MAC and MAC Verify */
ngx_int_t ngx_kmip_op_mac(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_hash(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);
ngx_int_t ngx_kmip_op_derive_key(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out);


#endif /* _NGX_KMIP_OPS_H_INCLUDED_ */
