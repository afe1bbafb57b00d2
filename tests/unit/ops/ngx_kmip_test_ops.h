
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
    unsigned                    anonymous:1;    /* no credential where one
                                                   is configured */
    unsigned                    no_store:1;     /* no key store */
    unsigned                    streams:1;      /* on the connection of
                                                   t_streams */
} t_request_t;


#define NGX_KMIP_TEST_SHARED_COUNTS  1
#include "ngx_kmip_test_check.h"


extern ngx_kmip_store_memory_t  *t_mem;
extern ngx_kmip_crypto_streams_t  t_streams;   /* one connection's */
extern ngx_pool_t               *t_pool;
extern ngx_log_t                *t_log;
/* key material for Register: its first n bytes */
extern u_char                    t_material[32];
/* a Unique Identifier that no object has */
extern ngx_str_t                 t_unknown_uid;


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

/* kmip_interop: the server is a test server */
void t_interop(ngx_uint_t on);
/* kmip_operations: what the server offers */
void t_operations(ngx_kmip_opset_t set);
/* Certify's CA (X509 *, EVP_PKEY *); NULL, NULL: none */
void t_ca(void *ca, void *key);
/* the server's sender of Notify and Put (kmip_push), NULL: none */
void t_push(ngx_kmip_push_pt push, void *data);
/* the client's scope for the next requests; NULL: a server without
   scopes */
void t_scope(ngx_kmip_scope_t *scope);

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
/* what a test needs was made: when it was not, a failed check named
   what; no check when it was, the test's own checks follow */
ngx_uint_t t_got(void *made, const char *what);
/* the Result Reason of an item that failed; 0 for one that did not */
uint32_t t_reason(ngx_kmip_response_item_t *out);
/* the version's reason for an unknown Unique Identifier */
uint32_t t_not_found(ngx_uint_t major);
/* the version's reason for an object in the wrong state, for a key whose
   usage mask lacks the operation */
uint32_t t_wrong_state(ngx_uint_t major);
uint32_t t_wrong_mask(ngx_uint_t major);

/*
 * A request of one item, on an object or none, with one field of the
 * payload or none, and the answer it must have: the groups' tables of
 * cases are walked by t_cases()
 */
typedef struct t_case_s  t_case_t;

struct t_case_s {
    ngx_uint_t                  major;
    ngx_uint_t                  minor;
    uint32_t                    operation;
    uint32_t                    tag;        /* the field; 0: none */
    uint8_t                     type;       /* t_value()'s types */
    int64_t                     value;
    const char                 *text;       /* or a Text String field */
    uint32_t                    reason;     /* 0: Success */
    const char                 *name;
    /* the payload, when it is more than the field */
    void                      (*payload)(ngx_kmip_item_t *p, t_case_t *c);
};

#define t_nelts(a)  (sizeof(a) / sizeof((a)[0]))

/* the case's request run: its answers */
ngx_kmip_response_item_t *t_case(t_case_t *c, ngx_str_t *uid);
/* the answer is Success (reason 0) or a failure with the reason; a
   check of it */
ngx_uint_t t_result(ngx_kmip_response_item_t *out, uint32_t reason);
void t_expect(ngx_kmip_response_item_t *out, uint32_t reason,
    const char *name);
/* each case run and checked */
void t_cases(t_case_t *cases, ngx_uint_t n, ngx_str_t *uid);

/* the payload of a Create of a 256-bit AES key, in the version's form */
void t_create_payload(ngx_kmip_item_t *p, ngx_uint_t major);

/* a field of the type (Integer, Enumeration, Date-Time, Boolean,
   Interval, Long Integer) */
ngx_kmip_item_t *t_value(ngx_kmip_item_t *parent, uint32_t tag, uint8_t type,
    int64_t v);
/* the version's attribute container: Attributes (2.x) or
   Template-Attribute (1.x) */
ngx_kmip_item_t *t_attrs(ngx_kmip_item_t *p, ngx_uint_t major);
/* an attribute in the container, in the version's form: its tag (2.x) or
   an Attribute of Attribute Name and Value (1.x) */
void t_attr(ngx_kmip_item_t *attrs, ngx_uint_t major, const char *name,
    uint32_t tag, uint8_t type, int64_t v);
/* the same for a structure: the structure to fill */
ngx_kmip_item_t *t_attr_struct(ngx_kmip_item_t *attrs, ngx_uint_t major,
    const char *name, uint32_t tag);
/* a Create of a 256-bit AES key with one more attribute */
ngx_kmip_response_item_t *t_create_plus(ngx_uint_t major, const char *name,
    uint32_t tag, uint8_t type, int64_t v);
/* a Register payload of a Symmetric Key or Secret Data (a Password) of
   n bytes of t_material in Key Format Type kft: its Key Block */
ngx_kmip_item_t *t_key_block(ngx_kmip_item_t *p, uint32_t type, uint32_t kft,
    size_t n, int64_t alg, int64_t len);
/* its Key Wrapping Data: the Encrypt method with the key kek, its Key
   Value TTLV-encoded or (no_encoding) only its Key Material */
void t_wrapping_data(ngx_kmip_item_t *kb, ngx_str_t *kek,
    ngx_uint_t no_encoding);
/* a Symmetric Key's Object Type and the version's attribute container
   with the Cryptographic Algorithm (-1: none), to add more to */
ngx_kmip_item_t *t_key_attrs(ngx_kmip_item_t *p, ngx_uint_t major,
    int64_t alg);
/* the store keeps the text as the instance (-1: the first) of the
   object's attribute; text NULL: it keeps no such instance */
ngx_uint_t t_kept_text(ngx_str_t *uid, const char *name, int64_t index,
    const char *text);
/* the State Get Attributes answers (dates applied), 0 on failure */
uint32_t t_state(ngx_uint_t major, ngx_uint_t minor, ngx_str_t *uid);
/* a Revoke with the Revocation Reason Code */
ngx_kmip_response_item_t *t_revoke(ngx_uint_t major, ngx_uint_t minor,
    ngx_str_t *uid, uint32_t code);
/* Add, Modify or Set Attribute of a number-typed attribute, in the
   version's form (1.x Attribute, 2.x New Attribute) */
ngx_kmip_response_item_t *t_change(ngx_uint_t major, uint32_t operation,
    ngx_str_t *uid, const char *name, uint32_t tag, uint8_t type, int64_t v);
/* a 2.1 Register of a Password of n bytes in Key Format Type kft: its
   Unique Identifier, or NULL */
ngx_str_t *t_register_secret(uint32_t kft, size_t n);
/* a Register, without attributes, of an Opaque Object, a Certificate or
   a Certificate Request: its type (Opaque Data Type, Certificate Type,
   Certificate Request Type) and n bytes of value */
ngx_kmip_response_item_t *t_register_typed(ngx_uint_t major,
    uint32_t object_type, uint32_t subtype, const u_char *value, size_t n);
/* the number the store keeps for the object's attribute, or -1 */
int64_t t_kept_num(ngx_str_t *uid, const char *name);

/* an answer's field; the first item with the tag at any depth */
ngx_kmip_item_t *t_find(ngx_kmip_response_item_t *out, uint32_t tag);

/* key pairs (test_ops_pkey.c): one of its cases made (0: RSA 2048, 2:
   ECDSA P-384 by its curve, 3: Ed25519) */
ngx_uint_t t_key_pair(ngx_uint_t major, ngx_uint_t which, ngx_str_t *priv,
    ngx_str_t *pub);
/* the keys of a pair link to each other; Get serves both */
ngx_uint_t t_pair_linked(ngx_str_t *priv, ngx_str_t *pub);
ngx_uint_t t_pair_served(ngx_uint_t major, ngx_str_t *priv, ngx_str_t *pub);

/* the kept object's Links: one of the type to other; the first one's
   target (empty: none) */
ngx_uint_t t_links_to(ngx_str_t *uid, uint32_t type, ngx_str_t *other);
ngx_str_t t_link_target(ngx_str_t *uid, uint32_t type);
ngx_kmip_response_item_t *t_get_kft(ngx_uint_t major, ngx_str_t *uid,
    uint32_t kft);
ngx_kmip_item_t *t_deep(ngx_kmip_item_t *item, uint32_t tag);
/* how many fields of the payload, at its top, have the tag */
ngx_uint_t t_count(ngx_kmip_response_item_t *out, uint32_t tag);
/* 1 if a Unique Identifier at the top of the payload is uid (Locate's) */
ngx_uint_t t_lists_uid(ngx_kmip_response_item_t *out, ngx_str_t *uid);
/* the answer's Unique Identifier, kept in t_pool, or NULL */
ngx_str_t *t_uid_of(ngx_kmip_response_item_t *out);
/* a Text String field or a Unique Identifier field */
void t_text(ngx_kmip_item_t *parent, uint32_t tag, const char *text);
void t_uid(ngx_kmip_item_t *parent, ngx_str_t *uid);
/* the value of a Get Attributes answer's attribute, by name */
ngx_kmip_item_t *t_attribute(ngx_kmip_response_item_t *out,
    const char *name);


/* an Encrypt or Decrypt of the data with the key, AES CBC without
   padding and a fixed IV (test_ops_crypto.c) */
ngx_kmip_response_item_t *t_cipher(ngx_uint_t major, uint32_t operation,
    ngx_str_t *uid, const u_char *data, size_t n);

/* the bytes of a hex string, in the tests' pool; a Byte String field is
   they (test_ops_mac.c) */
ngx_str_t *t_unhex(const char *hex);
ngx_uint_t t_bytes_are(ngx_kmip_item_t *it, const char *hex);
/* a Register of a Symmetric Key (of alg) or Secret Data (a Password) of
   the key's bytes with the Cryptographic Usage Mask, Cryptographic
   Parameters of params_alg (-1: none), Active or not: its Unique
   Identifier, or NULL */
ngx_str_t *t_register_bytes(ngx_uint_t major, uint32_t type, int64_t alg,
    ngx_str_t *key, int64_t mask, int64_t params_alg, ngx_uint_t active);


/* the test groups (test_ops_*.c) */
void t_lifecycle(void);
void t_push_ops(void);
void t_attributes(void);
void t_batches(void);
void t_store_failures(void);
void t_server(void);
void t_create(void);
void t_get_ops(void);
void t_attr_forms(void);
void t_dates(void);
void t_scopes(void);
void t_pkeys(void);
void t_rekey_key_pairs(void);
void t_parts(void);
void t_unwrap_registered(void);
void t_locate_ops(void);
void t_crypto(void);
void t_check_ops(void);
void t_versions(void);
void t_rekey(void);
void t_mac_hash(void);
void t_derive_ops(void);
void t_split_ops(void);
void t_certify_ops(void);
void t_blob_objects(void);
void t_import_ops(void);
void t_transport(void);
void t_common(void);
void t_templates(void);


#endif /* _NGX_KMIP_TEST_OPS_H_INCLUDED_ */
