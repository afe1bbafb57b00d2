
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_TRANSPORT_H_INCLUDED_
#define _NGX_KMIP_TRANSPORT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ops.h"


/*
 * What every transport does around the batch runner, whatever carries the
 * bytes (the stream module's TTLV frames, the http module's POST bodies in
 * TTLV, JSON or XML): read the decoded message into r->msg, refuse a
 * request that cannot run, name it with a Server Correlation Value, and
 * build its answer within the client's Maximum Response Size.
 */


/*
 * The decoded message into r->msg. NGX_OK: it may run (access is the
 * transport's to check next). NGX_DECLINED: it is answered already
 * (r->results: Invalid Message); *version_known is 0 when not even its
 * protocol version could be read (then guessed from ttlv, the message's
 * TTLV bytes, or NULL), and the transport should close the connection
 * after the answer. NGX_ERROR: no memory.
 */
ngx_int_t ngx_kmip_req_parse(ngx_kmip_req_t *r, ngx_kmip_item_t *root,
    const u_char *ttlv, size_t len, ngx_uint_t *version_known);

/*
 * Every item of a request that cannot run fails with reason and what
 * (one item, with no operation, for a message not understood). NGX_OK or
 * NGX_ERROR.
 */
ngx_int_t ngx_kmip_req_reject(ngx_kmip_req_t *r, uint32_t reason,
    const char *what);

/*
 * The protocol version of a message that could not be decoded, read from
 * where a TTLV Request Message has it (p may be NULL); 1.0 otherwise.
 */
void ngx_kmip_req_guess_version(ngx_kmip_req_t *r, const u_char *p,
    size_t len);

/* the request's Server Correlation Value (KMIP 1.4 6.19, 2.1 9.10) */
void ngx_kmip_req_correlation(ngx_kmip_req_t *r, ngx_atomic_uint_t conn,
    ngx_uint_t request);

/*
 * The Response Message of r->results, in the request's protocol version,
 * checked against the client's Maximum Response Size, which counts the
 * TTLV encoding in every transport; *size is that TTLV size. NULL: no
 * memory.
 */
ngx_kmip_item_t *ngx_kmip_req_response(ngx_kmip_req_t *r, size_t *size);


/*
 * The server's configuration, the same in the stream and http modules:
 * create (after ngx_pcalloc()) and merge; kmip_protocol_versions and
 * kmip_allowed_client_certificate (cmd->offset: the ngx_array_t * of
 * the module's configuration); the bounds of kmip_max_message_size.
 */
void ngx_kmip_server_conf_init(ngx_kmip_server_conf_t *conf);
char *ngx_kmip_server_conf_merge(ngx_conf_t *cf,
    ngx_kmip_server_conf_t *prev, ngx_kmip_server_conf_t *conf);
char *ngx_kmip_conf_set_versions(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_kmip_conf_allowed_certs(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

extern ngx_conf_post_handler_pt  ngx_kmip_conf_message_size_post;


#endif /* _NGX_KMIP_TRANSPORT_H_INCLUDED_ */
