
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_KP_H_INCLUDED_
#define _NGX_KMIP_KP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * The Key Protect client: IBM Key Protect's REST API (and the IAM token it
 * needs) as asynchronous calls on nginx's event loop. It knows REST paths,
 * JSON and tokens; it knows nothing of KMIP or TTLV.
 *
 * Every call is started with a ngx_kmip_kp_call_t allocated by
 * ngx_kmip_kp_call_create() in the caller's pool. A start function returns
 * NGX_AGAIN and later calls call->handler exactly once, never from inside
 * the start function; or returns NGX_ERROR at once (call->error says why)
 * and never calls the handler. Destroying the pool before the handler ran
 * cancels the call: no handler, no leak.
 */


typedef struct ngx_kmip_kp_s  ngx_kmip_kp_t;   /* configuration, opaque */


/* Key Protect key states */
#define NGX_KMIP_KP_STATE_PRE_ACTIVE   0
#define NGX_KMIP_KP_STATE_ACTIVE       1
#define NGX_KMIP_KP_STATE_SUSPENDED    2
#define NGX_KMIP_KP_STATE_DEACTIVATED  3
#define NGX_KMIP_KP_STATE_DESTROYED    5


typedef struct {
    ngx_str_t                   id;
    ngx_str_t                   name;
    ngx_str_t                   description;
    ngx_array_t                *aliases;        /* ngx_str_t */
    ngx_int_t                   state;
    ngx_flag_t                  extractable;
    ngx_flag_t                  deleted;
    time_t                      creation_date;  /* 0 if absent */
    time_t                      deletion_date;  /* 0 if absent */
    ngx_str_t                   payload;        /* decoded bytes; get only */
} ngx_kmip_kp_key_t;


typedef enum {
    NGX_KMIP_KP_OK = 0,
    NGX_KMIP_KP_NOT_FOUND,          /* 404: no such key (or purged) */
    NGX_KMIP_KP_GONE,               /* 410: key deleted (KEY_DELETED_ERR) */
    NGX_KMIP_KP_CONFLICT,           /* 409: e.g. duplicate alias, state */
    NGX_KMIP_KP_ROOT_KEY_UNUSABLE,  /* the CRK is deleted or suspended */
    NGX_KMIP_KP_BAD_CIPHERTEXT,     /* 422 UNPROCESSABLE_CIPHERTEXT_ERR */
    NGX_KMIP_KP_UNAUTHORIZED,       /* IAM refused the API key, or 401/403 */
    NGX_KMIP_KP_UNAVAILABLE,        /* timeout, connection, 429/5xx after
                                       retries, malformed answer */
    NGX_KMIP_KP_FAILED              /* any other refusal */
} ngx_kmip_kp_result_e;


typedef struct ngx_kmip_kp_call_s  ngx_kmip_kp_call_t;

typedef void (*ngx_kmip_kp_handler_pt)(ngx_kmip_kp_call_t *call);


struct ngx_kmip_kp_call_s {
    ngx_pool_t                 *pool;
    ngx_log_t                  *log;
    ngx_kmip_kp_handler_pt      handler;
    void                       *data;

    /*
     * results the caller handles as a normal outcome, as bits
     * (1 << NGX_KMIP_KP_CONFLICT): logged at info, not as errors
     */
    ngx_uint_t                  expected;

    /* an expected result is the common case: logged at debug only */
    unsigned                    quiet:1;

    /* results, valid when the handler runs */
    ngx_kmip_kp_result_e        result;
    ngx_uint_t                  http_status;    /* 0: no HTTP answer */
    ngx_str_t                   reason_code;    /* e.g. KEY_DELETED_ERR */
    ngx_str_t                   error;          /* for logs and KMIP
                                                   Result Message */
    ngx_str_t                   correlation_id;

    ngx_array_t                *keys;           /* ngx_kmip_kp_key_t */

    ngx_str_t                   plaintext;      /* unwrap, wrap-generate;
                                                   wiped with the pool */
    ngx_str_t                   ciphertext;     /* wrap; unwrap after a
                                                   CRK rotation */
    ngx_str_t                   key_version;    /* wrap: the version
                                                   used; unwrap: the version
                                                   of "ciphertext" when
                                                   rewrapped, else the one
                                                   that wrapped */

    /* private */
    void                       *priv;
};


ngx_kmip_kp_call_t *ngx_kmip_kp_call_create(ngx_pool_t *pool,
    ngx_log_t *log);

/* kmip_keyprotect_timeout: how long one call may take, retries included */
ngx_msec_t ngx_kmip_kp_timeout(ngx_kmip_kp_t *kp);

/*
 * which Key Protect keys a configuration addresses (its instance and key
 * ring), as a number: two configurations with the same one see the same
 * keys by id
 */
uint32_t ngx_kmip_kp_keyspace(ngx_kmip_kp_t *kp);

/* the same for the root key a configuration wraps and unwraps with */
uint32_t ngx_kmip_kp_root_keyspace(ngx_kmip_kp_t *kp);

/* POST /api/v2/keys, a standard key with payload and aliases */
ngx_int_t ngx_kmip_kp_create_key(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *name, ngx_str_t *description, ngx_str_t *payload,
    ngx_array_t *aliases);

/* GET /api/v2/keys/{id or alias}: metadata and payload */
ngx_int_t ngx_kmip_kp_get_key(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *id);

/*
 * GET /api/v2/keys?search=...&state=...&limit=&offset= ; states is a
 * comma-separated list such as "0,1,2,3,5"; search is passed as given
 * (e.g. "exact:name:kmip-<uuid>"), escaped by the client
 */
ngx_int_t ngx_kmip_kp_list_keys(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *search, ngx_str_t *states, ngx_uint_t limit,
    ngx_uint_t offset);

/* DELETE /api/v2/keys/{id}, Prefer: return=minimal */
ngx_int_t ngx_kmip_kp_delete_key(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *id);

/*
 * POST /api/v2/keys/{id}/aliases/{alias}: one more alias for a key (Key
 * Protect keeps an alias unique within the instance, and reserved while
 * a deleted key is not purged: a conflict when any key ever had it)
 */
ngx_int_t ngx_kmip_kp_create_alias(ngx_kmip_kp_t *kp,
    ngx_kmip_kp_call_t *call, ngx_str_t *id, ngx_str_t *alias);

/*
 * POST /api/v2/keys/{root key}/actions/wrap and unwrap with the configured
 * root key; aad is an array of ngx_str_t (may be NULL); a NULL plaintext
 * asks Key Protect to generate 32 bytes
 */
ngx_int_t ngx_kmip_kp_wrap(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *plaintext, ngx_array_t *aad);
ngx_int_t ngx_kmip_kp_unwrap(ngx_kmip_kp_t *kp, ngx_kmip_kp_call_t *call,
    ngx_str_t *ciphertext, ngx_array_t *aad);

const char *ngx_kmip_kp_result_text(ngx_kmip_kp_result_e result);

/*
 * size bytes for a secret in pool (s->len is 0): wiped when the pool is
 * destroyed, like the key material and tokens the client handles
 */
ngx_int_t ngx_kmip_kp_secret(ngx_pool_t *pool, ngx_str_t *s, size_t size);

/* a pool cleanup: wipes the bytes of the ngx_str_t it is given */
void ngx_kmip_kp_wipe_str(void *data);

/*
 * size bytes, zeroed, in pool, with the pool cleanup that calls handler on
 * them: an object and its cleanup in one allocation
 */
void *ngx_kmip_kp_cleanup_alloc(ngx_pool_t *pool, size_t size,
    ngx_pool_cleanup_pt handler);

/*
 * The start of a shared zone's init, for the client's zone (the IAM
 * token's) and the store's (the key cache, the Key Protect map): in a new
 * slab pool, its data, size bytes zeroed, and the name its allocation
 * errors carry, " in <what> zone "<name>"". NGX_DONE: the zone exists
 * already and keeps its data. Either way the data is the pool's.
 */
ngx_int_t ngx_kmip_kp_shm_init(ngx_shm_zone_t *shm_zone, size_t size,
    const char *what);

/* called once per finished call (metrics), before its handler */
typedef void (*ngx_kmip_kp_observer_pt)(ngx_kmip_kp_call_t *call,
    const char *what, ngx_msec_t elapsed);

extern ngx_kmip_kp_observer_pt  ngx_kmip_kp_observer;


#endif /* _NGX_KMIP_KP_H_INCLUDED_ */
