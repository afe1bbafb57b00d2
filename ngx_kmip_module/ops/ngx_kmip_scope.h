
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_SCOPE_H_INCLUDED_
#define _NGX_KMIP_SCOPE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/x509.h>


/*
 * Who may do what. A scope is a named group of clients (kmip_scope): the
 * certificates that belong to it, optionally the KMIP users whose
 * credentials its requests may carry, the operations it may run and the
 * Key Protect key ring its objects live in. Every object belongs to the
 * scope of the client that created or registered it; the store answers a
 * client of another scope as if the object did not exist
 * (ngx_kmip_store.c). A server without scopes serves one, "default",
 * which also owns every object stored before scopes existed.
 *
 * Transport-neutral: the stream module parses the directives and picks a
 * connection's scope from its certificate; the operations check what a
 * request may run.
 */


#define NGX_KMIP_SCOPE_DEFAULT      "default"
#define NGX_KMIP_SCOPE_NAME_MAX     32


/* a set of KMIP operations, by operation code (all are below 64) */
typedef uint64_t  ngx_kmip_opset_t;

#define NGX_KMIP_OPSET_ALL          ((ngx_kmip_opset_t) -1)
#define NGX_KMIP_OPSET_UNSET        ((ngx_kmip_opset_t) 0)


typedef struct {
    ngx_str_t                   name;
    ngx_array_t                *fingerprints;   /* SHA-256 digests of
                                                   pinned certificates */
    ngx_array_t                *subjects;       /* ngx_kmip_scope_match_t */
    ngx_array_t                *issuers;        /* ngx_kmip_scope_match_t */
    ngx_array_t                *users;          /* ngx_str_t: KMIP users */
    ngx_kmip_opset_t            operations;
    ngx_str_t                   key_ring;       /* empty: the server's */
    ngx_str_t                   root_key;       /* empty: the server's */

    u_char                     *file_name;      /* where it is defined */
    ngx_uint_t                  line;
} ngx_kmip_scope_t;


/* the "default" scope, its name as objects of no scope carry it */
extern ngx_str_t  ngx_kmip_scope_default_name;


/*
 * "kmip_scope name { ... }": appends a scope to the ngx_array_t * at
 * cmd->offset of conf (created on first use).
 */
char *ngx_kmip_scope_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/*
 * "kmip_operations name ...;": the ngx_kmip_opset_t at cmd->offset of
 * conf. Names as KMIP spells them, with or without spaces, "_" or "-",
 * in any case ("Get Attributes", GetAttributes, get_attributes), or
 * "all".
 */
char *ngx_kmip_conf_set_operations(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * Checks the scopes of a server against its configuration once merged:
 * users need a credentials file, subject and issuer matches a CA to
 * verify certificates with, a scope must be allowed some operation the
 * server offers.
 */
char *ngx_kmip_scopes_check(ngx_conf_t *cf, ngx_array_t *scopes,
    ngx_kmip_opset_t server_ops, ngx_uint_t have_credentials,
    ngx_uint_t have_ca);

/*
 * The first scope (in configuration order) the peer's certificate
 * belongs to: by its SHA-256 digest (pinned), or, when verified says the
 * chain was verified, by subject and issuer. NULL: none.
 */
ngx_kmip_scope_t *ngx_kmip_scope_find(ngx_array_t *scopes, X509 *cert,
    const u_char *digest, ngx_uint_t verified, ngx_log_t *log);

/*
 * Reads the PEM certificates of a file into SHA-256 digests (pinning),
 * appended to *digests (created on first use). The error names directive.
 */
ngx_int_t ngx_kmip_conf_load_digests(ngx_conf_t *cf, ngx_str_t *directive,
    ngx_str_t *file, ngx_array_t **digests);
/* 1 if digest is one of digests (NULL: none) */
ngx_uint_t ngx_kmip_digest_listed(ngx_array_t *digests,
    const u_char *digest);

/* 1 if the scope lets a request carrying user's credential in */
ngx_uint_t ngx_kmip_scope_user_allowed(ngx_kmip_scope_t *scope,
    ngx_str_t *user);

/* the name objects of this scope carry: empty for "default" */
ngx_str_t *ngx_kmip_scope_stored_name(ngx_kmip_scope_t *scope);

#define ngx_kmip_opset_has(set, op)                                           \
    ((op) < 64 && ((set) & ((ngx_kmip_opset_t) 1 << (op))))


#endif /* _NGX_KMIP_SCOPE_H_INCLUDED_ */
