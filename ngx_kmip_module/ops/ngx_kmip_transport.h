
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_TRANSPORT_H_INCLUDED_
#define _NGX_KMIP_TRANSPORT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ops.h"
#include "ngx_kmip_cache.h"


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
 * memory. Called once the batch is over, it also pushes what the batch
 * made or changed to the server's kmip_push endpoint (ngx_kmip_push.h).
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
/* the CA Certify and Re-certify issue with (ngx_kmip_ca_conf.c) */
char *ngx_kmip_conf_ca_certificate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_kmip_conf_ca_certificate_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_kmip_ca_conf_merge(ngx_conf_t *cf, ngx_kmip_server_conf_t *prev,
    ngx_kmip_server_conf_t *conf);
char *ngx_kmip_conf_set_versions(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_kmip_conf_allowed_certs(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

extern ngx_conf_post_handler_pt  ngx_kmip_conf_message_size_post;

/*
 * A server that serves KMIP, once merged: its TLS read buffers released
 * and cleansed (ssl_ctx may be NULL), its thread pool for key pairs.
 */
ngx_int_t ngx_kmip_server_conf_enable(ngx_conf_t *cf,
    ngx_kmip_server_conf_t *conf, SSL_CTX *ssl_ctx);


/*
 * Who may use a server, the same over the KMIP port and over HTTPS
 * (ngx_kmip_transport_peer.c, ngx_kmip_transport_cred.c): nginx verifies
 * client certificates (ssl_verify_client); on top of that a server can
 * pin the exact certificates it accepts (kmip_allowed_client_certificate),
 * put its clients in scopes by certificate (kmip_scope), and require a
 * KMIP Username/Password credential (kmip_credentials_file).
 */

typedef struct {
    ngx_array_t                *allowed_certs;  /* SHA-256 digests */
    ngx_array_t                *credentials;    /* kmip_credentials_file */
    ngx_array_t                *scopes;         /* ngx_kmip_scope_t, or
                                                   NULL: one scope,
                                                   "default" */
} ngx_kmip_access_conf_t;


/* the client at the other end of a TLS connection, by its certificate */

typedef struct {
    ngx_str_t                   fingerprint;    /* SHA-256, hex */
    ngx_str_t                   subject;        /* RFC 2253 */
    ngx_kmip_scope_t           *scope;          /* NULL: no scopes */
    const char                 *refusal;        /* why it is not allowed */
    unsigned                    allowed:1;
    unsigned                    refusal_logged:1;
} ngx_kmip_peer_t;


/* a request's access is decided: NGX_OK runs it, otherwise what says why */
typedef void (*ngx_kmip_access_done_pt)(ngx_kmip_req_t *r, ngx_int_t rc,
    const char *what);


/* create (after ngx_pcalloc()) and merge */
void ngx_kmip_access_conf_init(ngx_kmip_access_conf_t *conf);
void ngx_kmip_access_conf_merge(ngx_kmip_access_conf_t *prev,
    ngx_kmip_access_conf_t *conf);

/*
 * A kmip server's access once merged: verify is the server's
 * ssl_verify_client (0 off, 1 on, 2 optional, 3 optional_no_ca), have_ca
 * whether it has a CA to verify with. Without verified or pinned
 * certificates anyone who reaches the server would be a client.
 */
char *ngx_kmip_access_conf_check(ngx_conf_t *cf,
    ngx_kmip_access_conf_t *conf, ngx_kmip_opset_t server_ops,
    ngx_uint_t verify, ngx_uint_t have_ca);

/*
 * The peer of connection c: its certificate's fingerprint and subject
 * (allocated from pool), whether it may use the server and in which
 * scope.
 */
void ngx_kmip_peer_init(ngx_kmip_peer_t *peer, ngx_connection_t *c,
    ngx_pool_t *pool, ngx_kmip_access_conf_t *conf);

/* the peer's scope's name, "default" without scopes; NULL: refused */
ngx_str_t *ngx_kmip_peer_scope_name(ngx_kmip_peer_t *peer);

/*
 * Checks a request before its batch runs: the peer, the user of its
 * credential against the peer's scope, the credential. NGX_OK: it runs
 * (r->scope set, r->anonymous when it carries no credential where one is
 * known); NGX_DECLINED: refused, *what says why (peer->allowed is 0 when
 * the client itself is refused, and its connection should close);
 * NGX_AGAIN: a slow hash is checked in a thread, which calls done.
 */
ngx_int_t ngx_kmip_peer_check(ngx_kmip_peer_t *peer,
    ngx_kmip_access_conf_t *conf, ngx_kmip_req_t *r,
    ngx_kmip_access_done_pt done, const char **what);

/* kmip_credentials_file (cmd->offset: an ngx_array_t *) */
char *ngx_kmip_conf_credentials_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
/* the credential check alone (ngx_kmip_peer_check()'s last step) */
ngx_int_t ngx_kmip_cred_check(ngx_array_t *creds, ngx_kmip_req_t *r,
    ngx_kmip_access_done_pt done, const char **what);


/*
 * The operator's view of every batch item, whatever carried it
 * (ngx_kmip_transport_audit.c): its line in the audit log and its count in
 * the metrics zone.
 */

#define NGX_KMIP_TRANSPORT_KMIP      0      /* TTLV on the KMIP port */
#define NGX_KMIP_TRANSPORT_HTTPS     1

#define NGX_KMIP_M_OPS               64     /* KMIP 2.1 has 0x01..0x3B */
#define NGX_KMIP_M_RESULTS           129
#define NGX_KMIP_M_OTHER             126    /* a reason beyond the table */
#define NGX_KMIP_M_GENERAL           127    /* General Failure, 0x100 */
#define NGX_KMIP_M_UNDONE            128    /* Operation Undone */
#define NGX_KMIP_M_CALLS             8
#define NGX_KMIP_M_KP_RESULTS        10
#define NGX_KMIP_M_BUCKETS           12
#define NGX_KMIP_M_CLEANUPS          8      /* the store's clean-up results */


typedef struct {
    /* [0]: every transport, [1]: HTTPS alone */
    ngx_atomic_t   ops[2][NGX_KMIP_M_OPS][NGX_KMIP_M_RESULTS];
    ngx_atomic_t   kp_calls[NGX_KMIP_M_CALLS][NGX_KMIP_M_KP_RESULTS];
    ngx_atomic_t   kp_buckets[NGX_KMIP_M_CALLS][NGX_KMIP_M_BUCKETS];
    ngx_atomic_t   kp_sum_ms[NGX_KMIP_M_CALLS];
    ngx_atomic_t   kp_count[NGX_KMIP_M_CALLS];
    ngx_atomic_t   cleanups[NGX_KMIP_M_CLEANUPS];
} ngx_kmip_metrics_t;


/* who asked, for the audit log */
typedef struct {
    ngx_uint_t                  transport;      /* NGX_KMIP_TRANSPORT_* */
    ngx_str_t                  *addr;
    ngx_kmip_peer_t            *peer;
} ngx_kmip_audit_who_t;


/* the metrics zone (kmip_metrics), NULL without one */
extern ngx_kmip_metrics_t  *ngx_kmip_metrics;

/* kmip_audit_log (cmd->offset: an ngx_open_file_t *, NGX_CONF_UNSET_PTR) */
char *ngx_kmip_conf_audit_log(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* a request's key cache and, with an audit log, its trace of calls */
void ngx_kmip_audit_init_req(ngx_kmip_req_t *r, ngx_kmip_cache_t *cache,
    ngx_open_file_t *audit);

/* a batch item is answered: counted, and audited when audit is set */
void ngx_kmip_audit_item(ngx_kmip_req_t *r, ngx_uint_t n,
    ngx_open_file_t *audit, ngx_kmip_audit_who_t *who);


#endif /* _NGX_KMIP_TRANSPORT_H_INCLUDED_ */
