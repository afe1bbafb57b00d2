
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_KP_JSON_H_INCLUDED_
#define _NGX_KMIP_KP_JSON_H_INCLUDED_


/*
 * Key Protect response bodies (JSON) into plain structs. Plain C on yajl's
 * event parser, no nginx headers: the Key Protect client (ngx_kmip_kp.c),
 * the unit tests and the fuzzer link it directly.
 *
 * Every string is copied with the caller's allocator and NUL-terminated.
 * Decoded key bytes ("payload", "plaintext") are allocated with the
 * "secret" allocator, so that the caller can wipe them; yajl's own
 * buffers are wiped before they are freed.
 */


#include <stddef.h>
#include <time.h>

#include "ngx_kmip_ttlv.h"      /* ngx_kmip_allocator_t */


typedef struct {
    size_t                      len;
    unsigned char              *data;
} ngx_kmip_kp_json_str_t;


typedef struct {
    ngx_kmip_kp_json_str_t      id;
    ngx_kmip_kp_json_str_t      name;
    ngx_kmip_kp_json_str_t      description;
    ngx_kmip_kp_json_str_t     *aliases;
    size_t                      naliases;
    long long                   state;          /* 1 (Active) if absent */
    int                         extractable;
    int                         deleted;        /* or state 5 */
    time_t                      creation_date;  /* 0 if absent or bad */
    time_t                      deletion_date;
    ngx_kmip_kp_json_str_t      payload;        /* base64-decoded, secret */
} ngx_kmip_kp_json_key_t;


typedef enum {
    NGX_KMIP_KP_JSON_KEYS = 0,  /* envelope, "resources" optional */
    NGX_KMIP_KP_JSON_CREATED,   /* envelope with exactly one key */
    NGX_KMIP_KP_JSON_NONE,      /* empty body, or an envelope */
    NGX_KMIP_KP_JSON_WRAP,      /* {"ciphertext", "plaintext"?, "keyVersion"} */
    NGX_KMIP_KP_JSON_UNWRAP,    /* {"plaintext", "ciphertext"?, ...} */
    NGX_KMIP_KP_JSON_ALIAS      /* an alias made: the status says all,
                                   the body is not read */
} ngx_kmip_kp_json_kind_e;


typedef struct {
    int                         has_keys;       /* keys (maybe 0) parsed */
    ngx_kmip_kp_json_key_t     *keys;
    size_t                      nkeys;

    ngx_kmip_kp_json_str_t      plaintext;      /* decoded, secret */
    ngx_kmip_kp_json_str_t      ciphertext;
    ngx_kmip_kp_json_str_t      key_version;
} ngx_kmip_kp_json_result_t;


/*
 * body[len] must be '\0' (yajl parses NUL-terminated text; a body with an
 * embedded NUL is parsed up to it); body may be NULL when len is 0.
 * Returns 0, or -1 for a body that is not the expected shape or memory.
 */
int ngx_kmip_kp_json_parse(ngx_kmip_kp_json_kind_e kind,
    const unsigned char *body, size_t len, ngx_kmip_allocator_t *a,
    ngx_kmip_allocator_t *secret, ngx_kmip_kp_json_result_t *out);

/*
 * An error envelope: resources[0].reasons[0].code into reason (empty if
 * absent). Returns 0 if the body is JSON, -1 if it is not (or memory).
 */
int ngx_kmip_kp_json_error(const unsigned char *body, size_t len,
    ngx_kmip_allocator_t *a, ngx_kmip_kp_json_str_t *reason);

/* "2020-03-12T03:37:32Z", "...32.52Z": seconds since the epoch, 0 if bad */
time_t ngx_kmip_kp_json_date(const unsigned char *p, size_t len);

/* overwrite memory the compiler cannot optimise away */
void ngx_kmip_kp_json_cleanse(void *p, size_t len);

/*
 * malloc, realloc and free for yajl (yajl_alloc_funcs): what they free
 * is wiped first (the parser's buffers, and ngx_kmip_kp.c's generated
 * request bodies)
 */
void *ngx_kmip_kp_json_malloc(void *ctx, size_t size);
void *ngx_kmip_kp_json_realloc(void *ctx, void *ptr, size_t size);
void ngx_kmip_kp_json_free(void *ctx, void *ptr);


#endif /* _NGX_KMIP_KP_JSON_H_INCLUDED_ */
