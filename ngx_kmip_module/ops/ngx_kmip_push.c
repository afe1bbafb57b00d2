
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_attr.h"
#include "ngx_kmip_ops.h"
#include "ngx_kmip_push.h"


/*
 * The server's own requests to a client (KMIP 1.4 chapter 5, 2.1 6.2),
 * sent to the endpoint kmip_push names once a batch is answered:
 *
 *   Put, Put Function New      an object the batch made (Create, Register,
 *                              Create Key Pair, Derive Key, Certify,
 *                              Create or Join Split Key, Import)
 *   Put, Put Function Replace  an object that replaces another (Re-key,
 *                              Re-key Key Pair, Re-certify), with the
 *                              Unique Identifier of the one it replaces
 *   Notify                     the attributes a batch item changed
 *                              (Activate, Revoke, Destroy, Add, Modify,
 *                              Delete, Set and Adjust Attribute)
 *
 * Each message is built from the store as it is once the batch is over:
 * a small batch of the server's own (Get, Get Attributes) runs through
 * the operations in the client's scope and protocol version, in a pool of
 * its own that outlives the client's request, and its answer becomes the
 * message. So a Put carries the object as Get serves it (an object Get
 * refuses, a Sensitive key, is not pushed), a Notify the attributes as
 * they are now. Items that failed, or that Undo undid, push nothing.
 *
 * A 1.x Notify has no way to say that an attribute is gone (2.x has
 * Attribute Reference for it): a 1.x Delete Attribute that leaves no
 * instance of the attribute sends nothing.
 */


#define NGX_KMIP_PUSH_NAMES  5

/*
 * messages a worker prepares at once (their reads, before the outbox,
 * which bounds its own): a client that makes and changes objects faster
 * than the store answers must not grow the worker's memory without end
 */
#define NGX_KMIP_PUSH_JOBS   256


typedef enum {
    NGX_KMIP_PUSH_NEW = 1,
    NGX_KMIP_PUSH_REPLACE,
    NGX_KMIP_PUSH_CHANGE
} ngx_kmip_push_kind_e;


typedef struct {
    ngx_kmip_req_t              req;        /* the reads the message needs */
    ngx_kmip_request_item_t     items[2];
    ngx_kmip_response_item_t    results[2];

    ngx_kmip_push_kind_e        kind;
    ngx_str_t                   uid;
    ngx_str_t                   names[NGX_KMIP_PUSH_NAMES];
    ngx_uint_t                  nnames;     /* Notify: what changed */
} ngx_kmip_push_job_t;


static void ngx_kmip_push_item(ngx_kmip_req_t *r, ngx_uint_t n);
static ngx_uint_t ngx_kmip_push_changed(ngx_kmip_req_t *r, ngx_uint_t n,
    ngx_str_t *names);
static void ngx_kmip_push_uids(ngx_kmip_req_t *r, ngx_kmip_item_t *payload,
    ngx_kmip_push_kind_e kind);
static void ngx_kmip_push_start(ngx_kmip_req_t *r, ngx_kmip_push_kind_e kind,
    const ngx_kmip_item_t *uid, ngx_str_t *names, ngx_uint_t nnames);
static ngx_int_t ngx_kmip_push_reads(ngx_kmip_push_job_t *job);
static ngx_kmip_item_t *ngx_kmip_push_read(ngx_kmip_push_job_t *job,
    ngx_uint_t n, uint32_t operation);
static void ngx_kmip_push_read_done(ngx_kmip_req_t *sr);
static ngx_kmip_item_t *ngx_kmip_push_put(ngx_kmip_push_job_t *job);
static ngx_kmip_item_t *ngx_kmip_push_notify(ngx_kmip_push_job_t *job);
static const ngx_kmip_item_t *ngx_kmip_push_replaced(
    const ngx_kmip_item_t *item);
static ngx_kmip_item_t *ngx_kmip_push_payload(ngx_kmip_push_job_t *job);
static ngx_int_t ngx_kmip_push_ref(ngx_kmip_req_t *sr,
    ngx_kmip_item_t *parent, ngx_str_t *name);
static ngx_int_t ngx_kmip_push_send(ngx_kmip_push_job_t *job,
    ngx_kmip_item_t *payload);
static void ngx_kmip_push_wipe(void *data);
static void ngx_kmip_push_failed(ngx_kmip_push_job_t *job, const char *why,
    ngx_kmip_response_item_t *res);
static void ngx_kmip_push_job_gone(void *data);


/* the messages this worker is preparing */
static ngx_uint_t  ngx_kmip_push_jobs;


/* the attributes each change of state sets */

static ngx_str_t  ngx_kmip_push_activated[] = {
    ngx_string("State"), ngx_string("Activation Date")
};

static ngx_str_t  ngx_kmip_push_revoked[] = {
    ngx_string("State"), ngx_string("Deactivation Date"),
    ngx_string("Compromise Date"), ngx_string("Compromise Occurrence Date"),
    ngx_string("Revocation Reason")
};

static ngx_str_t  ngx_kmip_push_destroyed[] = {
    ngx_string("State"), ngx_string("Destroy Date")
};


void
ngx_kmip_push_batch(ngx_kmip_req_t *r)
{
    ngx_uint_t  n;

    if (r->conf == NULL || r->conf->push == NULL || r->store == NULL
        || r->msg.items == NULL)
    {
        return;
    }

    for (n = 0; n < r->nresults; n++) {
        if (r->results[n].result_status == NGX_KMIP_STATUS_SUCCESS) {
            ngx_kmip_push_item(r, n);
        }
    }
}


static void
ngx_kmip_push_item(ngx_kmip_req_t *r, ngx_uint_t n)
{
    ngx_str_t         names[NGX_KMIP_PUSH_NAMES];
    ngx_uint_t        nnames;
    ngx_kmip_item_t  *payload;

    payload = r->results[n].payload;

    switch (r->msg.items[n].operation) {

    case NGX_KMIP_OP_CREATE:
    case NGX_KMIP_OP_REGISTER:
    case NGX_KMIP_OP_DERIVE_KEY:
    case NGX_KMIP_OP_CERTIFY:
    case NGX_KMIP_OP_CREATE_SPLIT_KEY:
    case NGX_KMIP_OP_JOIN_SPLIT_KEY:
    case NGX_KMIP_OP_IMPORT:
    case NGX_KMIP_OP_CREATE_KEY_PAIR:
        ngx_kmip_push_uids(r, payload, NGX_KMIP_PUSH_NEW);
        return;

    case NGX_KMIP_OP_RE_KEY:
    case NGX_KMIP_OP_RE_CERTIFY:
    case NGX_KMIP_OP_RE_KEY_KEY_PAIR:
        ngx_kmip_push_uids(r, payload, NGX_KMIP_PUSH_REPLACE);
        return;

    default:
        nnames = ngx_kmip_push_changed(r, n, names);

        if (nnames) {
            ngx_kmip_push_start(r, NGX_KMIP_PUSH_CHANGE,
                                ngx_kmip_ttlv_find(payload,
                                              NGX_KMIP_TAG_UNIQUE_IDENTIFIER),
                                names, nnames);
        }

        return;
    }
}


/* the objects an answer names: one, a key pair's two, a split's parts */

static void
ngx_kmip_push_uids(ngx_kmip_req_t *r, ngx_kmip_item_t *payload,
    ngx_kmip_push_kind_e kind)
{
    ngx_kmip_item_t  *it;

    for (it = payload ? payload->v.kids.first : NULL; it; it = it->next) {
        if (it->tag == NGX_KMIP_TAG_UNIQUE_IDENTIFIER
            || it->tag == NGX_KMIP_TAG_PRIVATE_KEY_UNIQUE_IDENTIFIER
            || it->tag == NGX_KMIP_TAG_PUBLIC_KEY_UNIQUE_IDENTIFIER)
        {
            ngx_kmip_push_start(r, kind, it, NULL, 0);
        }
    }
}


/* the names of the attributes batch item n changed; 0: none to notify */

static ngx_uint_t
ngx_kmip_push_changed(ngx_kmip_req_t *r, ngx_uint_t n, ngx_str_t *names)
{
    ngx_str_t              *set;
    ngx_uint_t              i, nset;
    const char             *err;
    ngx_kmip_attr_t         at;
    const ngx_kmip_item_t  *payload, *it;

    payload = r->msg.items[n].payload;
    set = NULL;
    nset = 0;

    switch (r->msg.items[n].operation) {

    case NGX_KMIP_OP_ACTIVATE:
        set = ngx_kmip_push_activated;
        nset = sizeof(ngx_kmip_push_activated) / sizeof(ngx_str_t);
        break;

    case NGX_KMIP_OP_REVOKE:
        set = ngx_kmip_push_revoked;
        nset = sizeof(ngx_kmip_push_revoked) / sizeof(ngx_str_t);
        break;

    case NGX_KMIP_OP_DESTROY:
        set = ngx_kmip_push_destroyed;
        nset = sizeof(ngx_kmip_push_destroyed) / sizeof(ngx_str_t);
        break;

    case NGX_KMIP_OP_ADD_ATTRIBUTE:
    case NGX_KMIP_OP_MODIFY_ATTRIBUTE:
    case NGX_KMIP_OP_DELETE_ATTRIBUTE:
    case NGX_KMIP_OP_SET_ATTRIBUTE:
    case NGX_KMIP_OP_ADJUST_ATTRIBUTE:

        /* the attribute the request names, checked by the operation */

        if (r->version < NGX_KMIP_VERSION(2, 0)) {
            it = ngx_kmip_ttlv_find(payload, NGX_KMIP_TAG_ATTRIBUTE);
            it = ngx_kmip_ttlv_find(it, NGX_KMIP_TAG_ATTRIBUTE_NAME);

            if (it == NULL || it->type != NGX_KMIP_TYPE_TEXT_STRING) {
                return 0;
            }

            names[0].data = (u_char *) it->v.str.data;
            names[0].len = it->v.str.len;

            return 1;
        }

        it = ngx_kmip_ttlv_find(payload, NGX_KMIP_TAG_ATTRIBUTE_REFERENCE);

        if (it) {
            if (ngx_kmip_attr_parse_v2(&r->alloc, it, 1, &at, &err) != 0) {
                return 0;
            }

        } else {
            it = ngx_kmip_ttlv_find(payload, NGX_KMIP_TAG_NEW_ATTRIBUTE);

            if (it == NULL) {
                it = ngx_kmip_ttlv_find(payload,
                                        NGX_KMIP_TAG_CURRENT_ATTRIBUTE);
            }

            if (it == NULL || it->type != NGX_KMIP_TYPE_STRUCTURE
                || it->v.kids.first == NULL
                || ngx_kmip_attr_parse_v2(&r->alloc, it->v.kids.first, 0,
                                          &at, &err)
                   != 0)
            {
                return 0;
            }
        }

        names[0].data = (u_char *) at.name;
        names[0].len = at.name_len;

        return 1;

    default:
        return 0;
    }

    for (i = 0; i < nset; i++) {
        names[i] = set[i];
    }

    return nset;
}


/* one message: its reads start in a pool of its own */

static void
ngx_kmip_push_start(ngx_kmip_req_t *r, ngx_kmip_push_kind_e kind,
    const ngx_kmip_item_t *uid, ngx_str_t *names, ngx_uint_t nnames)
{
    ngx_int_t             rc;
    ngx_uint_t            i;
    ngx_pool_t           *pool;
    ngx_kmip_req_t       *sr;
    ngx_kmip_store_t     *store;
    ngx_pool_cleanup_t   *cln;
    ngx_kmip_push_job_t  *job;

    if (uid == NULL || uid->type != NGX_KMIP_TYPE_TEXT_STRING
        || uid->v.str.len == 0)
    {
        return;
    }

    if (ngx_kmip_push_jobs >= NGX_KMIP_PUSH_JOBS) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "kmip push: the message for \"%*s\" not sent: %ui "
                      "messages are being prepared",
                      (size_t) uid->v.str.len, uid->v.str.data,
                      ngx_kmip_push_jobs);
        return;
    }

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    /* counted until the pool goes, whichever way the job ends */
    cln->handler = ngx_kmip_push_job_gone;
    ngx_kmip_push_jobs++;

    job = ngx_pcalloc(pool, sizeof(ngx_kmip_push_job_t));
    if (job == NULL) {
        goto failed;
    }

    job->kind = kind;
    job->uid.len = uid->v.str.len;
    job->uid.data = ngx_pnalloc(pool, uid->v.str.len);
    if (job->uid.data == NULL) {
        goto failed;
    }

    ngx_memcpy(job->uid.data, uid->v.str.data, uid->v.str.len);

    for (i = 0; i < nnames; i++) {
        job->names[i].len = names[i].len;
        job->names[i].data = ngx_pstrdup(pool, &names[i]);
        if (job->names[i].data == NULL) {
            goto failed;
        }
    }

    job->nnames = nnames;

    store = ngx_kmip_store_open(pool, ngx_cycle->log, r->store->backend,
                                r->store->conf, r->store->cache);
    if (store == NULL) {
        goto failed;
    }

    if (r->store->scope.len) {
        store->scope.len = r->store->scope.len;
        store->scope.data = ngx_pstrdup(pool, &r->store->scope);
        if (store->scope.data == NULL) {
            goto failed;
        }
    }

    sr = &job->req;
    sr->pool = pool;
    sr->log = ngx_cycle->log;
    sr->conf = r->conf;
    sr->store = store;
    sr->scope = r->scope;
    sr->version = r->version;
    sr->done = ngx_kmip_push_read_done;
    sr->data = job;

    (void) ngx_kmip_req_init(sr);

    sr->msg.major = r->msg.major;
    sr->msg.minor = r->msg.minor;
    sr->msg.maximum_response_size = -1;
    sr->msg.batch_order_option = -1;
    sr->msg.time_stamp = -1;
    sr->msg.asynchronous_indicator = -1;
    sr->msg.attestation_capable = -1;
    sr->msg.items = job->items;
    sr->results = job->results;

    if (ngx_kmip_push_reads(job) != NGX_OK) {
        goto failed;
    }

    rc = ngx_kmip_batch_run(sr);

    if (rc == NGX_OK) {
        ngx_kmip_push_read_done(sr);
        return;
    }

    if (rc == NGX_AGAIN) {
        return;
    }

failed:

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "kmip push: the message for \"%*s\" not sent: no memory",
                  (size_t) uid->v.str.len, uid->v.str.data);

    ngx_destroy_pool(pool);
}


/* what the message is made of: Get, Get Attributes, or both */

static ngx_int_t
ngx_kmip_push_reads(ngx_kmip_push_job_t *job)
{
    ngx_uint_t        i, n;
    ngx_kmip_req_t   *sr;
    ngx_kmip_item_t  *payload;

    sr = &job->req;
    n = 0;

    if (job->kind == NGX_KMIP_PUSH_REPLACE) {
        /* the Replaced Object Link names the object replaced */
        job->names[0].data = (u_char *) "Link";
        job->names[0].len = 4;
        job->nnames = 1;
    }

    if (job->nnames) {
        payload = ngx_kmip_push_read(job, n++,
                                     NGX_KMIP_OP_GET_ATTRIBUTES);
        if (payload == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < job->nnames; i++) {
            if (sr->version < NGX_KMIP_VERSION(2, 0)) {
                if (ngx_kmip_ttlv_add_text(&sr->alloc, payload,
                                           NGX_KMIP_TAG_ATTRIBUTE_NAME,
                                           job->names[i].data,
                                           job->names[i].len)
                    == NULL)
                {
                    return NGX_ERROR;
                }

                continue;
            }

            if (ngx_kmip_push_ref(sr, payload, &job->names[i]) != NGX_OK) {
                return NGX_ERROR;
            }
        }
    }

    if (job->kind != NGX_KMIP_PUSH_CHANGE
        && ngx_kmip_push_read(job, n++, NGX_KMIP_OP_GET) == NULL)
    {
        return NGX_ERROR;
    }

    sr->msg.nitems = n;
    sr->msg.batch_count = (uint32_t) n;

    return NGX_OK;
}


/* batch item n of the server's reads, on the job's object */

static ngx_kmip_item_t *
ngx_kmip_push_read(ngx_kmip_push_job_t *job, ngx_uint_t n,
    uint32_t operation)
{
    ngx_kmip_item_t  *payload;

    payload = ngx_kmip_push_payload(job);
    if (payload == NULL) {
        return NULL;
    }

    job->items[n].operation = operation;
    job->items[n].payload = payload;
    job->items[n].ephemeral = -1;

    return payload;
}


/* the reads are answered: the message, sent; the job's pool goes */

static void
ngx_kmip_push_read_done(ngx_kmip_req_t *sr)
{
    ngx_kmip_push_job_t *job = sr->data;

    ngx_uint_t        i;
    ngx_kmip_item_t  *payload;

    for (i = 0; i < sr->msg.nitems; i++) {
        if (i >= sr->nresults
            || job->results[i].result_status != NGX_KMIP_STATUS_SUCCESS)
        {
            ngx_kmip_push_failed(job, "the object cannot be read",
                                 i < sr->nresults ? &job->results[i]
                                                  : NULL);
            goto done;
        }
    }

    payload = (job->kind == NGX_KMIP_PUSH_CHANGE)
              ? ngx_kmip_push_notify(job)
              : ngx_kmip_push_put(job);

    if (payload) {
        (void) ngx_kmip_push_send(job, payload);
    }

done:

    ngx_destroy_pool(sr->pool);
}


/* Put: the object as Get serves it (1.4 5.2, 2.1 6.2.3) */

static ngx_kmip_item_t *
ngx_kmip_push_put(ngx_kmip_push_job_t *job)
{
    ngx_kmip_req_t         *sr;
    ngx_kmip_item_t        *payload, *object, *it;
    const ngx_kmip_item_t  *replaced;

    sr = &job->req;
    object = NULL;

    it = job->results[sr->msg.nitems - 1].payload;

    for (it = it ? it->v.kids.first : NULL; it; it = it->next) {
        if (it->type == NGX_KMIP_TYPE_STRUCTURE) {
            object = it;
        }
    }

    replaced = NULL;

    if (job->kind == NGX_KMIP_PUSH_REPLACE) {
        replaced = ngx_kmip_push_replaced(job->results[0].payload);

        if (replaced == NULL) {
            ngx_kmip_push_failed(job, "it names no object it replaces",
                                 NULL);
            return NULL;
        }
    }

    if (object == NULL) {
        ngx_kmip_push_failed(job, "Get served no object", NULL);
        return NULL;
    }

    payload = ngx_kmip_push_payload(job);
    if (payload == NULL
        || ngx_kmip_ttlv_add_enum(&sr->alloc, payload,
                                  NGX_KMIP_TAG_PUT_FUNCTION,
                                  replaced ? NGX_KMIP_PUT_FUNCTION_REPLACE
                                           : NGX_KMIP_PUT_FUNCTION_NEW)
           == NULL
        || (replaced
            && ngx_kmip_ttlv_add_text(&sr->alloc, payload,
                                    NGX_KMIP_TAG_REPLACED_UNIQUE_IDENTIFIER,
                                    replaced->v.str.data, replaced->v.str.len)
               == NULL))
    {
        return NULL;
    }

    object->next = NULL;
    ngx_kmip_ttlv_item_append(payload, object);

    return payload;
}


/*
 * The Linked Object Identifier of the Replaced Object Link in a Get
 * Attributes answer: a 1.x Attribute Value or a 2.x Link, at any depth.
 */

static const ngx_kmip_item_t *
ngx_kmip_push_replaced(const ngx_kmip_item_t *item)
{
    const ngx_kmip_item_t  *it, *type, *id;

    if (item == NULL || item->type != NGX_KMIP_TYPE_STRUCTURE) {
        return NULL;
    }

    type = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_LINK_TYPE);
    id = ngx_kmip_ttlv_find(item, NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER);

    if (type && id && type->type == NGX_KMIP_TYPE_ENUMERATION
        && type->v.num == NGX_KMIP_LINK_TYPE_REPLACED_OBJECT_LINK
        && id->type == NGX_KMIP_TYPE_TEXT_STRING)
    {
        return id;
    }

    for (it = item->v.kids.first; it; it = it->next) {
        id = ngx_kmip_push_replaced(it);
        if (id) {
            return id;
        }
    }

    return NULL;
}


/*
 * Notify: the changed attributes as they are now (1.4 5.1: Attribute
 * structures; 2.1 6.2.2: Attributes, and an Attribute Reference for each
 * one the object no longer has).
 */

static ngx_kmip_item_t *
ngx_kmip_push_notify(ngx_kmip_push_job_t *job)
{
    ngx_uint_t        i, found;
    const char       *err;
    ngx_kmip_req_t   *sr;
    ngx_kmip_attr_t   at;
    ngx_kmip_item_t  *payload, *answer, *attrs, *it, *next;

    sr = &job->req;
    answer = job->results[0].payload;

    payload = ngx_kmip_push_payload(job);
    if (payload == NULL || answer == NULL) {
        return NULL;
    }

    if (sr->version < NGX_KMIP_VERSION(2, 0)) {
        found = 0;

        for (it = answer->v.kids.first; it; it = next) {
            next = it->next;

            if (it->tag == NGX_KMIP_TAG_ATTRIBUTE) {
                it->next = NULL;
                ngx_kmip_ttlv_item_append(payload, it);
                found++;
            }
        }

        if (found == 0) {
            ngx_log_debug1(NGX_LOG_DEBUG_EVENT, ngx_cycle->log, 0,
                           "kmip push: nothing to notify of \"%V\"",
                           &job->uid);
            return NULL;
        }

        return payload;
    }

    attrs = ngx_kmip_ttlv_find(answer, NGX_KMIP_TAG_ATTRIBUTES);

    if (attrs && attrs->v.kids.count) {
        attrs->next = NULL;
        ngx_kmip_ttlv_item_append(payload, attrs);
    }

    for (i = 0; i < job->nnames; i++) {
        found = 0;

        for (it = attrs ? attrs->v.kids.first : NULL; it; it = it->next) {
            if (ngx_kmip_attr_parse_v2(&sr->alloc, it, 0, &at, &err) == 0
                && at.name_len == job->names[i].len
                && ngx_strncmp(at.name, job->names[i].data, at.name_len)
                   == 0)
            {
                found = 1;
                break;
            }
        }

        if (found || job->nnames > 1) {
            /* of a change of state, the dates not set are not deleted */
            continue;
        }

        if (ngx_kmip_push_ref(sr, payload, &job->names[i]) != NGX_OK) {
            return NULL;
        }
    }

    if (payload->v.kids.count < 2) {
        return NULL;
    }

    return payload;
}


/* a Request Payload that begins with the job's Unique Identifier */

static ngx_kmip_item_t *
ngx_kmip_push_payload(ngx_kmip_push_job_t *job)
{
    ngx_kmip_allocator_t  *a;
    ngx_kmip_item_t       *payload;

    a = &job->req.alloc;

    payload = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_REQUEST_PAYLOAD,
                                     NGX_KMIP_TYPE_STRUCTURE);
    if (payload == NULL
        || ngx_kmip_ttlv_add_text(a, payload, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                                  job->uid.data, job->uid.len)
           == NULL)
    {
        return NULL;
    }

    return payload;
}


/* a 2.x Attribute Reference to the attribute of that name */

static ngx_int_t
ngx_kmip_push_ref(ngx_kmip_req_t *sr, ngx_kmip_item_t *parent,
    ngx_str_t *name)
{
    ngx_kmip_attr_t  at;

    ngx_memzero(&at, sizeof(ngx_kmip_attr_t));
    at.name = name->data;
    at.name_len = name->len;

    return ngx_kmip_attr_emit_ref(&sr->alloc, parent, &at,
                                  (unsigned) sr->version) < 0
           ? NGX_ERROR : NGX_OK;
}


/* the Request Message, encoded into a buffer wiped with the pool, sent */

static ngx_int_t
ngx_kmip_push_send(ngx_kmip_push_job_t *job, ngx_kmip_item_t *payload)
{
    u_char               *p;
    size_t                size;
    uint32_t              op;
    ngx_str_t             bytes, what;
    ngx_kmip_req_t       *sr;
    ngx_kmip_item_t      *msg, *hdr, *pv, *item;
    ngx_pool_cleanup_t   *cln;
    ngx_kmip_allocator_t *a;

    sr = &job->req;
    a = &sr->alloc;
    op = (job->kind == NGX_KMIP_PUSH_CHANGE) ? NGX_KMIP_OP_NOTIFY
                                             : NGX_KMIP_OP_PUT;

    msg = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_REQUEST_MESSAGE,
                                 NGX_KMIP_TYPE_STRUCTURE);
    hdr = msg ? ngx_kmip_ttlv_add_struct(a, msg, NGX_KMIP_TAG_REQUEST_HEADER)
              : NULL;
    pv = hdr ? ngx_kmip_ttlv_add_struct(a, hdr,
                                        NGX_KMIP_TAG_PROTOCOL_VERSION)
             : NULL;

    if (pv == NULL
        || ngx_kmip_ttlv_add_integer(a, pv,
                                     NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR,
                                     sr->msg.major) == NULL
        || ngx_kmip_ttlv_add_integer(a, pv,
                                     NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR,
                                     sr->msg.minor) == NULL
        || ngx_kmip_ttlv_add_datetime(a, hdr, NGX_KMIP_TAG_TIME_STAMP,
                                      (int64_t) ngx_time()) == NULL
        || ngx_kmip_ttlv_add_integer(a, hdr, NGX_KMIP_TAG_BATCH_COUNT, 1)
           == NULL)
    {
        return NGX_ERROR;
    }

    item = ngx_kmip_ttlv_add_struct(a, msg, NGX_KMIP_TAG_BATCH_ITEM);
    if (item == NULL
        || ngx_kmip_ttlv_add_enum(a, item, NGX_KMIP_TAG_OPERATION, op)
           == NULL)
    {
        return NGX_ERROR;
    }

    payload->next = NULL;
    ngx_kmip_ttlv_item_append(item, payload);

    size = ngx_kmip_ttlv_size(msg);

    cln = ngx_pool_cleanup_add(sr->pool, sizeof(ngx_str_t));
    p = ngx_pnalloc(sr->pool, size);

    if (cln == NULL || p == NULL) {
        return NGX_ERROR;
    }

    bytes.data = p;
    bytes.len = ngx_kmip_ttlv_encode(msg, p) - p;

    /* a Put carries key material */
    cln->handler = ngx_kmip_push_wipe;
    ngx_memcpy(cln->data, &bytes, sizeof(ngx_str_t));

    what.data = ngx_pnalloc(sr->pool, sizeof("Notify of \"\"") - 1
                                      + job->uid.len);
    if (what.data == NULL) {
        return NGX_ERROR;
    }

    what.len = ngx_sprintf(what.data, "%s of \"%V\"",
                           op == NGX_KMIP_OP_PUT ? "Put" : "Notify",
                           &job->uid)
               - what.data;

    return sr->conf->push(sr->conf->push_data, &bytes, &what);
}


static void
ngx_kmip_push_wipe(void *data)
{
    ngx_str_t  *s = data;

    OPENSSL_cleanse(s->data, s->len);
}


static void
ngx_kmip_push_job_gone(void *data)
{
    ngx_kmip_push_jobs--;
}


static void
ngx_kmip_push_failed(ngx_kmip_push_job_t *job, const char *why,
    ngx_kmip_response_item_t *res)
{
    ngx_str_t  text;

    /* the read's Result Message may quote what a client stored */
    ngx_str_null(&text);

    if (res && res->result_message_len
        && ngx_kmip_log_text(job->req.pool, res->result_message,
                             res->result_message_len, 256, &text)
           != NGX_OK)
    {
        ngx_str_null(&text);
    }

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "kmip push: %s of \"%V\" not sent: %s%s%V",
                  job->kind == NGX_KMIP_PUSH_CHANGE ? "Notify" : "Put",
                  &job->uid, why, text.len ? ": " : "", &text);
}
