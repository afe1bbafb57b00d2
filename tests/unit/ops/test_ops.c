
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Unit tests of the KMIP operations tier on the memory store: the batch
 * runner, the operations and their framework, the store's journal, linked
 * with nginx's pool, array, string and time functions and nothing else.
 * Each group runs twice: with a store that answers at once, and with one
 * whose answers come later.
 *
 *   make -C tests/unit ops      (needs a configured nginx tree: see the
 *                                Makefile)
 */


#include <stdio.h>
#include <time.h>

#include "ngx_kmip_test_ops.h"
#include "ngx_kmip_op_work.h"
#include "ngx_kmip_op_crypto.h"
#include "ngx_kmip_reasons.h"


ngx_kmip_crypto_streams_t  t_streams;
ngx_kmip_store_memory_t  *t_mem;
static ngx_uint_t         t_answered_later;
ngx_pool_t               *t_pool;
ngx_log_t                *t_log;
int                       passed, failed;
u_char                    t_material[32] =
    "0123456789abcdef0123456789abcdef";
ngx_str_t                 t_unknown_uid = ngx_string("no-such-object");

static ngx_log_t              t_log_stderr;
static ngx_open_file_t        t_log_file;
static ngx_kmip_server_conf_t t_conf;
static ngx_kmip_scope_t      *t_client_scope;
static ngx_kmip_allocator_t   t_allocator;

/* what the module is linked with in nginx and this program is not */
volatile ngx_cycle_t  *ngx_cycle;
ngx_pid_t              ngx_pid;


static void *
t_pool_alloc(void *data, size_t size)
{
    return ngx_palloc((ngx_pool_t *) data, size);
}


ngx_kmip_allocator_t *
t_alloc(void)
{
    return &t_allocator;
}


void
t_interop(ngx_uint_t on)
{
    t_conf.interop = on;
}


void
t_push(ngx_kmip_push_pt push, void *data)
{
    t_conf.push = push;
    t_conf.push_data = data;
}


void
t_ca(void *ca, void *key)
{
    t_conf.ca = ca;
    t_conf.ca_key = key;
    t_conf.ca_validity = 86400;
}


void
t_operations(ngx_kmip_opset_t set)
{
    t_conf.operations = set;
}


void
t_scope(ngx_kmip_scope_t *scope)
{
    t_client_scope = scope;
}


/*
 * ngx_kmip_op_work.c, as the tests run it: with a deferred store, work
 * posted waits for t_run()'s loop, as a thread pool's would; without, the
 * operation does it itself, as without threads
 */

typedef struct {
    void                       *data;
    ngx_kmip_op_work_pt         work;
    ngx_kmip_op_work_done_pt    done;
} t_work_t;

static t_work_t    t_works[8];
static ngx_uint_t  t_nworks;
static ngx_uint_t  t_threads;


void *
ngx_kmip_op_work_alloc(ngx_kmip_req_t *r, size_t size)
{
    return calloc(1, size);
}


void
ngx_kmip_op_work_free(void *data)
{
    free(data);
}


ngx_int_t
ngx_kmip_op_work_post(ngx_kmip_req_t *r, void *data, ngx_kmip_op_work_pt work,
    ngx_kmip_op_work_done_pt done)
{
    if (!t_threads) {
        return NGX_DECLINED;
    }

    if (t_nworks == t_nelts(t_works)) {
        return NGX_BUSY;
    }

    t_works[t_nworks].data = data;
    t_works[t_nworks].work = work;
    t_works[t_nworks].done = done;
    t_nworks++;

    return NGX_AGAIN;
}


static ngx_uint_t
t_works_run(void)
{
    t_work_t  w;

    if (t_nworks == 0) {
        return 0;
    }

    w = t_works[0];
    ngx_memmove(&t_works[0], &t_works[1], --t_nworks * sizeof(t_work_t));

    w.work(w.data);
    w.done(w.data, 0);
    ngx_kmip_op_work_free(w.data);

    return 1;
}


/*
 * nginx's ngx_log.c brings the whole cycle with it: the tests print what
 * the operations log when NGX_KMIP_TEST_LOG is set, and drop it otherwise.
 */

void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    u_char   buf[NGX_MAX_ERROR_STR], *p;
    va_list  args;

    if (getenv("NGX_KMIP_TEST_LOG") == NULL) {
        return;
    }

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf) - 1, fmt, args);
    va_end(args);

    *p = '\0';
    fprintf(stderr, "[%u] %s\n", (unsigned) level, buf);
}


/* the key cache is off in these tests: the store never calls it */

ngx_int_t
ngx_kmip_cache_get(ngx_kmip_cache_t *cache, ngx_pool_t *pool,
    ngx_str_t *uid, ngx_kmip_cache_entry_t *e)
{
    abort();
}


void
ngx_kmip_cache_put(ngx_kmip_cache_t *cache, ngx_log_t *log, ngx_str_t *uid,
    ngx_str_t *record, ngx_str_t *kp_id, ngx_uint_t generation,
    ngx_str_t *material)
{
    abort();
}


void
ngx_kmip_cache_drop(ngx_kmip_cache_t *cache, ngx_str_t *uid)
{
    abort();
}


void
ngx_kmip_cache_drop_all(ngx_kmip_cache_t *cache, ngx_log_t *log)
{
    abort();
}


/* ---------------------------------------------------------- the harness */

void
t_store(ngx_uint_t deferred)
{
    t_threads = deferred;

    t_mem = ngx_kmip_store_memory_create(t_pool, t_log);
    if (t_mem == NULL) {
        abort();
    }

    t_mem->deferred = deferred;
}


t_request_t *
t_request(ngx_uint_t major, ngx_uint_t minor)
{
    ngx_kmip_item_t  *pv;
    t_request_t      *t;

    t = ngx_pcalloc(t_pool, sizeof(t_request_t));
    if (t == NULL) {
        abort();
    }

    t->pool = ngx_create_pool(4096, t_log);
    if (t->pool == NULL) {
        abort();
    }

    t->root = ngx_kmip_ttlv_item_new(t_alloc(), NGX_KMIP_TAG_REQUEST_MESSAGE,
                                     NGX_KMIP_TYPE_STRUCTURE);
    t->header = ngx_kmip_ttlv_add_struct(t_alloc(), t->root,
                                         NGX_KMIP_TAG_REQUEST_HEADER);
    pv = ngx_kmip_ttlv_add_struct(t_alloc(), t->header,
                                  NGX_KMIP_TAG_PROTOCOL_VERSION);
    ngx_kmip_ttlv_add_integer(t_alloc(), pv,
                              NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR, major);

    if (ngx_kmip_ttlv_add_integer(t_alloc(), pv,
                                  NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR, minor)
        == NULL)
    {
        abort();
    }

    return t;
}


void
t_continuation(t_request_t *t, uint32_t option)
{
    if (ngx_kmip_ttlv_add_enum(t_alloc(), t->header,
                               NGX_KMIP_TAG_BATCH_ERROR_CONTINUATION_OPTION,
                               option)
        == NULL)
    {
        abort();
    }
}


ngx_kmip_item_t *
t_item(t_request_t *t, uint32_t operation)
{
    ngx_kmip_item_t  *bi, *payload;

    bi = ngx_kmip_ttlv_add_struct(t_alloc(), t->root,
                                  NGX_KMIP_TAG_BATCH_ITEM);
    ngx_kmip_ttlv_add_enum(t_alloc(), bi, NGX_KMIP_TAG_OPERATION, operation);
    payload = ngx_kmip_ttlv_add_struct(t_alloc(), bi,
                                       NGX_KMIP_TAG_REQUEST_PAYLOAD);
    if (payload == NULL) {
        abort();
    }

    t->nitems++;

    return payload;
}


static void
t_done(ngx_kmip_req_t *r)
{
    t_request_t  *t = r->data;

    t->done++;
}


/* the first tag of the tree the version's line does not define, or 0 */

static uint32_t
t_foreign_tag(ngx_kmip_item_t *item, unsigned major)
{
    uint32_t          tag;
    ngx_kmip_item_t  *kid;

    if (item == NULL) {
        return 0;
    }

    if (!ngx_kmip_tag_in_major(item->tag, major)) {
        return item->tag;
    }

    if (item->type != NGX_KMIP_TYPE_STRUCTURE) {
        return 0;
    }

    for (kid = item->v.kids.first; kid; kid = kid->next) {
        tag = t_foreign_tag(kid, major);
        if (tag) {
            return tag;
        }
    }

    return 0;
}


/*
 * Every answer of every test: no Result Reason the request's version does
 * not define, no tag of the other line of versions (counted as one check
 * per request each, failing on the first)
 */

static void
t_version_reasons(ngx_kmip_req_t *r)
{
    uint32_t    tag;
    ngx_uint_t  i;
    unsigned    since;

    for (i = 0, tag = 0; i < r->nresults && tag == 0; i++) {
        tag = t_foreign_tag(r->results[i].payload, r->version / 100);
    }

    if (tag) {
        printf("tag 0x%06x in a %u.%u answer\n", (unsigned) tag,
               (unsigned) r->version / 100, (unsigned) r->version % 100);
    }

    CHECK(tag == 0, "no answer carries a tag of the other line of versions");

    for (i = 0; i < r->nresults; i++) {
        since = ngx_kmip_reason_since(r->results[i].result_reason);

        if (r->results[i].result_reason
            && (since == 0 || since > (unsigned) r->version))
        {
            printf("reason 0x%x in a %u.%u answer\n",
                   (unsigned) r->results[i].result_reason,
                   (unsigned) r->version / 100, (unsigned) r->version % 100);
            CHECK(0, "every Result Reason is one of the request's version");
            return;
        }
    }

    CHECK(1, "every Result Reason is one of the request's version");
}


ngx_kmip_response_item_t *
t_run(t_request_t *t)
{
    int                 known;
    ngx_int_t           rc;
    ngx_uint_t          rounds;
    ngx_kmip_req_t     *r;
    ngx_kmip_error_t    err;

    ngx_kmip_ttlv_add_integer(t_alloc(), t->header, NGX_KMIP_TAG_BATCH_COUNT,
                              (int32_t) t->nitems);

    r = ngx_pcalloc(t->pool, sizeof(ngx_kmip_req_t));
    if (r == NULL) {
        abort();
    }

    r->pool = t->pool;
    r->log = t_log;
    r->conf = &t_conf;
    r->done = t_done;
    r->data = t;
    r->anonymous = t->anonymous;
    r->store = t->no_store
               ? NULL
               : ngx_kmip_store_open(t->pool, t_log,
                                     &ngx_kmip_store_memory_backend, t_mem,
                                     NULL);
    (void) ngx_kmip_req_init(r);

    /* one connection's multi-part operations, for the requests that ask */

    if (t->streams) {
        t_streams.idle = 60;
        r->streams = &t_streams;
    }

    /* what the stream glue does for a client in a scope (the tests' scopes
       are never named "default") */
    r->scope = t_client_scope;

    if (r->store && t_client_scope) {
        r->store->scope = t_client_scope->name;
    }

    if ((r->store == NULL && !t->no_store)
        || ngx_kmip_request_parse(t->root, &r->alloc, &r->msg, &known, &err)
           != NGX_KMIP_OK)
    {
        abort();
    }

    r->version = NGX_KMIP_VERSION(r->msg.major, r->msg.minor);
    r->results = ngx_pcalloc(t->pool, (r->msg.nitems + 1)
                                      * sizeof(ngx_kmip_response_item_t));
    if (r->results == NULL) {
        abort();
    }

    t->r = r;

    rc = ngx_kmip_batch_run(r);

    if (rc == NGX_OK) {
        t->done++;
    }

    /* a deferred store answers a call at a time, as the network would */

    for (rounds = 0; !t->done && rounds < 1000; rounds++) {
        if (ngx_kmip_store_memory_run(t_mem) == 0 && t_works_run() == 0) {
            break;
        }

        t_answered_later++;
    }

    CHECK(t->done == 1, "the batch ends once, with r->done() or NGX_OK");

    t_version_reasons(r);

    return r->results;
}


ngx_kmip_item_t *
t_find(ngx_kmip_response_item_t *out, uint32_t tag)
{
    return ngx_kmip_ttlv_find(out->payload, tag);
}


ngx_uint_t
t_count(ngx_kmip_response_item_t *out, uint32_t tag)
{
    ngx_uint_t        n;
    ngx_kmip_item_t  *kid;

    n = 0;

    for (kid = out->payload ? out->payload->v.kids.first : NULL;
         kid;
         kid = kid->next)
    {
        if (kid->tag == tag) {
            n++;
        }
    }

    return n;
}


ngx_uint_t
t_lists_uid(ngx_kmip_response_item_t *out, ngx_str_t *uid)
{
    ngx_kmip_item_t  *kid;

    for (kid = out->payload ? out->payload->v.kids.first : NULL;
         kid;
         kid = kid->next)
    {
        if (kid->tag == NGX_KMIP_TAG_UNIQUE_IDENTIFIER
            && kid->v.str.len == uid->len
            && ngx_memcmp(kid->v.str.data, uid->data, uid->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


ngx_str_t *
t_uid_of(ngx_kmip_response_item_t *out)
{
    ngx_str_t        *uid;
    ngx_kmip_item_t  *id;

    id = t_find(out, NGX_KMIP_TAG_UNIQUE_IDENTIFIER);

    if (out->result_status != NGX_KMIP_STATUS_SUCCESS || id == NULL) {
        return NULL;
    }

    uid = ngx_palloc(t_pool, sizeof(ngx_str_t));
    if (uid == NULL) {
        abort();
    }

    uid->len = id->v.str.len;
    uid->data = ngx_pnalloc(t_pool, uid->len);
    if (uid->data == NULL) {
        abort();
    }

    ngx_memcpy(uid->data, id->v.str.data, uid->len);

    return uid;
}


void
t_text(ngx_kmip_item_t *parent, uint32_t tag, const char *text)
{
    if (ngx_kmip_ttlv_add_text(t_alloc(), parent, tag, (const uint8_t *) text,
                               strlen(text))
        == NULL)
    {
        abort();
    }
}


void
t_uid(ngx_kmip_item_t *parent, ngx_str_t *uid)
{
    if (ngx_kmip_ttlv_add_text(t_alloc(), parent,
                               NGX_KMIP_TAG_UNIQUE_IDENTIFIER, uid->data,
                               uid->len)
        == NULL)
    {
        abort();
    }
}


ngx_kmip_item_t *
t_deep(ngx_kmip_item_t *item, uint32_t tag)
{
    ngx_kmip_item_t  *kid, *found;

    if (item == NULL || item->tag == tag) {
        return item;
    }

    if (item->type != NGX_KMIP_TYPE_STRUCTURE) {
        return NULL;
    }

    for (kid = item->v.kids.first; kid; kid = kid->next) {
        found = t_deep(kid, tag);
        if (found) {
            return found;
        }
    }

    return NULL;
}


/* the target of the kept object's first Link of the type, or empty */

ngx_str_t
t_link_target(ngx_str_t *uid, uint32_t type)
{
    ngx_str_t           s = ngx_null_string;
    ngx_kmip_attr_t    *at;
    ngx_kmip_item_t    *lt, *id;
    ngx_kmip_object_t  *kept;

    kept = uid->len ? ngx_kmip_store_memory_find(t_mem, uid) : NULL;

    for (at = kept ? kept->attributes.first : NULL; at; at = at->next) {
        if (at->value == NULL || !ngx_kmip_attr_name_is(at, "Link")) {
            continue;
        }

        lt = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_LINK_TYPE);
        id = ngx_kmip_ttlv_find(at->value,
                                NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER);

        if (lt && lt->v.num == type && id) {
            s.data = (u_char *) id->v.str.data;
            s.len = id->v.str.len;
            break;
        }
    }

    return s;
}


/* the object's Link of the type names other */

ngx_uint_t
t_links_to(ngx_str_t *uid, uint32_t type, ngx_str_t *other)
{
    ngx_kmip_attr_t    *at;
    ngx_kmip_item_t    *lt, *id;
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(t_mem, uid);

    for (at = kept ? kept->attributes.first : NULL; at; at = at->next) {
        if (at->name_len != 4 || memcmp(at->name, "Link", 4) != 0) {
            continue;
        }

        lt = ngx_kmip_ttlv_find(at->value, NGX_KMIP_TAG_LINK_TYPE);
        id = ngx_kmip_ttlv_find(at->value,
                                NGX_KMIP_TAG_LINKED_OBJECT_IDENTIFIER);

        if (lt && lt->v.num == type && id && id->v.str.len == other->len
            && memcmp(id->v.str.data, other->data, other->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


ngx_kmip_item_t *
t_attribute(ngx_kmip_response_item_t *out, const char *name)
{
    size_t            n;
    ngx_kmip_item_t  *a, *an;

    n = strlen(name);

    for (a = t_find(out, NGX_KMIP_TAG_ATTRIBUTE); a;
         a = ngx_kmip_ttlv_find_next(a, NGX_KMIP_TAG_ATTRIBUTE))
    {
        an = ngx_kmip_ttlv_find(a, NGX_KMIP_TAG_ATTRIBUTE_NAME);

        if (an && an->v.str.len == n
            && memcmp(an->v.str.data, name, n) == 0)
        {
            return ngx_kmip_ttlv_find(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
        }
    }

    return NULL;
}


ngx_kmip_item_t *
t_value(ngx_kmip_item_t *parent, uint32_t tag, uint8_t type, int64_t v)
{
    ngx_kmip_item_t  *val;

    switch (type) {

    case NGX_KMIP_TYPE_INTEGER:
        val = ngx_kmip_ttlv_add_integer(t_alloc(), parent, tag, (int32_t) v);
        break;

    case NGX_KMIP_TYPE_ENUMERATION:
        val = ngx_kmip_ttlv_add_enum(t_alloc(), parent, tag, (uint32_t) v);
        break;

    case NGX_KMIP_TYPE_DATE_TIME:
        val = ngx_kmip_ttlv_add_datetime(t_alloc(), parent, tag, v);
        break;

    case NGX_KMIP_TYPE_BOOLEAN:
        val = ngx_kmip_ttlv_add_bool(t_alloc(), parent, tag, (int) v);
        break;

    case NGX_KMIP_TYPE_INTERVAL:
        val = ngx_kmip_ttlv_add_interval(t_alloc(), parent, tag,
                                         (uint32_t) v);
        break;

    default:
        val = ngx_kmip_ttlv_add_long(t_alloc(), parent, tag, v);
        break;
    }

    if (val == NULL) {
        abort();
    }

    return val;
}


ngx_kmip_item_t *
t_attrs(ngx_kmip_item_t *p, ngx_uint_t major)
{
    return ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                    major >= 2
                                    ? NGX_KMIP_TAG_ATTRIBUTES
                                    : NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);
}


void
t_attr(ngx_kmip_item_t *attrs, ngx_uint_t major, const char *name,
    uint32_t tag, uint8_t type, int64_t v)
{
    ngx_kmip_item_t  *a;

    if (major >= 2) {
        /* 2.x: the attribute's own tag in the Attributes structure */
        (void) t_value(attrs, tag, type, v);
        return;
    }

    a = ngx_kmip_ttlv_add_struct(t_alloc(), attrs, NGX_KMIP_TAG_ATTRIBUTE);
    t_text(a, NGX_KMIP_TAG_ATTRIBUTE_NAME, name);
    (void) t_value(a, NGX_KMIP_TAG_ATTRIBUTE_VALUE, type, v);
}


ngx_kmip_item_t *
t_attr_struct(ngx_kmip_item_t *attrs, ngx_uint_t major, const char *name,
    uint32_t tag)
{
    ngx_kmip_item_t  *a;

    if (major >= 2) {
        return ngx_kmip_ttlv_add_struct(t_alloc(), attrs, tag);
    }

    a = ngx_kmip_ttlv_add_struct(t_alloc(), attrs, NGX_KMIP_TAG_ATTRIBUTE);
    t_text(a, NGX_KMIP_TAG_ATTRIBUTE_NAME, name);

    return ngx_kmip_ttlv_add_struct(t_alloc(), a, NGX_KMIP_TAG_ATTRIBUTE_VALUE);
}


ngx_kmip_item_t *
t_key_attrs(ngx_kmip_item_t *p, ngx_uint_t major, int64_t alg)
{
    ngx_kmip_item_t  *ta;

    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE,
                           NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);

    ta = t_attrs(p, major);

    if (alg != -1) {
        t_attr(ta, major, "Cryptographic Algorithm",
               NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
               NGX_KMIP_TYPE_ENUMERATION, alg);
    }

    return ta;
}


void
t_create_payload(ngx_kmip_item_t *p, ngx_uint_t major)
{
    ngx_kmip_item_t  *ta;

    ta = t_key_attrs(p, major, NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
    t_attr(ta, major, "Cryptographic Length",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, NGX_KMIP_TYPE_INTEGER, 256);
    t_attr(ta, major, "Cryptographic Usage Mask",
           NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK, NGX_KMIP_TYPE_INTEGER,
           NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT
           | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DECRYPT);
}


/* a Create of a 256-bit AES key with one more attribute */

ngx_kmip_response_item_t *
t_create_plus(ngx_uint_t major, const char *name, uint32_t tag, uint8_t type,
    int64_t v)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *ta;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_CREATE);
    t_create_payload(p, major);
    ta = ngx_kmip_ttlv_find(p, major >= 2 ? NGX_KMIP_TAG_ATTRIBUTES
                                          : NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);
    t_attr(ta, major, name, tag, type, v);

    return t_run(t);
}


/* a Register of a Symmetric Key or Secret Data: its Key Block */

ngx_kmip_item_t *
t_key_block(ngx_kmip_item_t *p, uint32_t type, uint32_t kft, size_t n,
    int64_t alg, int64_t len)
{
    ngx_kmip_item_t  *o, *kb, *kv;

    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE, type);

    o = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                 type == NGX_KMIP_OBJECT_TYPE_SECRET_DATA
                                 ? NGX_KMIP_TAG_SECRET_DATA
                                 : NGX_KMIP_TAG_SYMMETRIC_KEY);

    if (type == NGX_KMIP_OBJECT_TYPE_SECRET_DATA) {
        ngx_kmip_ttlv_add_enum(t_alloc(), o, NGX_KMIP_TAG_SECRET_DATA_TYPE,
                               NGX_KMIP_SECRET_DATA_TYPE_PASSWORD);
    }

    kb = ngx_kmip_ttlv_add_struct(t_alloc(), o, NGX_KMIP_TAG_KEY_BLOCK);
    ngx_kmip_ttlv_add_enum(t_alloc(), kb, NGX_KMIP_TAG_KEY_FORMAT_TYPE, kft);
    kv = ngx_kmip_ttlv_add_struct(t_alloc(), kb, NGX_KMIP_TAG_KEY_VALUE);
    ngx_kmip_ttlv_add_bytes(t_alloc(), kv, NGX_KMIP_TAG_KEY_MATERIAL,
                            t_material, n);

    if (alg != -1) {
        (void) t_value(kb, NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                       NGX_KMIP_TYPE_ENUMERATION, alg);
    }

    if (len != -1) {
        (void) t_value(kb, NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH,
                       NGX_KMIP_TYPE_INTEGER, len);
    }

    return kb;
}


/* a Key Block's Key Wrapping Data: encrypted with the key kek */

void
t_wrapping_data(ngx_kmip_item_t *kb, ngx_str_t *kek, ngx_uint_t no_encoding)
{
    ngx_kmip_item_t  *kwd, *eki;

    kwd = ngx_kmip_ttlv_add_struct(t_alloc(), kb,
                                   NGX_KMIP_TAG_KEY_WRAPPING_DATA);
    ngx_kmip_ttlv_add_enum(t_alloc(), kwd, NGX_KMIP_TAG_WRAPPING_METHOD,
                           NGX_KMIP_WRAPPING_METHOD_ENCRYPT);
    eki = ngx_kmip_ttlv_add_struct(t_alloc(), kwd,
                                   NGX_KMIP_TAG_ENCRYPTION_KEY_INFORMATION);
    t_uid(eki, kek);

    if (no_encoding) {
        ngx_kmip_ttlv_add_enum(t_alloc(), kwd, NGX_KMIP_TAG_ENCODING_OPTION,
                               NGX_KMIP_ENCODING_OPTION_NO_ENCODING);
    }
}


ngx_uint_t
t_kept_text(ngx_str_t *uid, const char *name, int64_t index,
    const char *text)
{
    ngx_kmip_attr_t    *at;
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(t_mem, uid);
    if (kept == NULL) {
        return 0;
    }

    at = ngx_kmip_attrs_find(&kept->attributes, name, strlen(name), index);

    if (text == NULL) {
        return at == NULL;
    }

    return at && at->value && at->value->v.str.len == strlen(text)
           && memcmp(at->value->v.str.data, text, strlen(text)) == 0;
}


uint32_t
t_state(ngx_uint_t major, ngx_uint_t minor, ngx_str_t *uid)
{
    ngx_kmip_item_t           *v;
    ngx_kmip_response_item_t  *out;

    out = t_one(major, minor, NGX_KMIP_OP_GET_ATTRIBUTES, uid);

    if (out[0].result_status != NGX_KMIP_STATUS_SUCCESS) {
        return 0;
    }

    if (major >= 2) {
        /* 2.x answers with an Attributes structure of plain tags */
        v = t_deep(out[0].payload, NGX_KMIP_TAG_STATE);

    } else {
        v = t_attribute(&out[0], "State");
    }

    return v ? (uint32_t) v->v.num : 0;
}


ngx_kmip_response_item_t *
t_revoke(ngx_uint_t major, ngx_uint_t minor, ngx_str_t *uid, uint32_t code)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p, *rr;

    t = t_request(major, minor);
    p = t_item(t, NGX_KMIP_OP_REVOKE);
    ngx_kmip_ttlv_add_text(t_alloc(), p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                           uid->data, uid->len);
    rr = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                  NGX_KMIP_TAG_REVOCATION_REASON);
    ngx_kmip_ttlv_add_enum(t_alloc(), rr, NGX_KMIP_TAG_REVOCATION_REASON_CODE,
                           code);

    return t_run(t);
}


/*
 * Add, Modify or Set Attribute of an attribute of a number type, in the
 * version's form: a 1.x Attribute, a 2.x New Attribute
 */

ngx_kmip_response_item_t *
t_change(ngx_uint_t major, uint32_t operation, ngx_str_t *uid,
    const char *name, uint32_t tag, uint8_t type, int64_t v)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, operation);
    t_uid(p, uid);

    /* 1.x: the Attribute is t_attr()'s own */

    if (major >= 2) {
        p = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_NEW_ATTRIBUTE);
    }

    t_attr(p, major, name, tag, type, v);

    return t_run(t);
}


ngx_str_t *
t_register_secret(uint32_t kft, size_t n)
{
    t_request_t  *t;

    t = t_request(2, 1);
    (void) t_key_block(t_item(t, NGX_KMIP_OP_REGISTER),
                       NGX_KMIP_OBJECT_TYPE_SECRET_DATA, kft, n, -1, -1);

    return t_uid_of(&t_run(t)[0]);
}


ngx_kmip_response_item_t *
t_register_typed(ngx_uint_t major, uint32_t object_type, uint32_t subtype,
    const u_char *value, size_t n)
{
    uint32_t          tag, type_tag, value_tag;
    t_request_t      *t;
    ngx_kmip_item_t  *p, *o;

    if (object_type == NGX_KMIP_OBJECT_TYPE_CERTIFICATE) {
        tag = NGX_KMIP_TAG_CERTIFICATE;
        type_tag = NGX_KMIP_TAG_CERTIFICATE_TYPE;
        value_tag = NGX_KMIP_TAG_CERTIFICATE_VALUE;

    } else if (object_type == NGX_KMIP_OBJECT_TYPE_CERTIFICATE_REQUEST) {
        tag = NGX_KMIP_TAG_CERTIFICATE_REQUEST;
        type_tag = NGX_KMIP_TAG_CERTIFICATE_REQUEST_TYPE;
        value_tag = NGX_KMIP_TAG_CERTIFICATE_REQUEST_VALUE;

    } else {
        tag = NGX_KMIP_TAG_OPAQUE_OBJECT;
        type_tag = NGX_KMIP_TAG_OPAQUE_DATA_TYPE;
        value_tag = NGX_KMIP_TAG_OPAQUE_DATA_VALUE;
    }

    t = t_request(major, major >= 2 ? 1 : 4);
    p = t_item(t, NGX_KMIP_OP_REGISTER);
    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE,
                           object_type);
    o = ngx_kmip_ttlv_add_struct(t_alloc(), p, tag);
    ngx_kmip_ttlv_add_enum(t_alloc(), o, type_tag, subtype);
    ngx_kmip_ttlv_add_bytes(t_alloc(), o, value_tag, value, n);

    return t_run(t);
}


int64_t
t_kept_num(ngx_str_t *uid, const char *name)
{
    ngx_kmip_attr_t    *at;
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(t_mem, uid);
    if (kept == NULL) {
        return -1;
    }

    at = ngx_kmip_attrs_find(&kept->attributes, name, strlen(name), -1);

    if (at == NULL || at->value == NULL
        || at->value->type == NGX_KMIP_TYPE_STRUCTURE
        || at->value->type == NGX_KMIP_TYPE_TEXT_STRING
        || at->value->type == NGX_KMIP_TYPE_BYTE_STRING)
    {
        return -1;
    }

    return at->value->v.num;
}


ngx_str_t *
t_create_aes(ngx_uint_t major, ngx_uint_t minor)
{
    static ngx_str_t   uid;
    ngx_str_t         *made;
    t_request_t       *t;

    t = t_request(major, minor);
    t_create_payload(t_item(t, NGX_KMIP_OP_CREATE), major);

    made = t_uid_of(&t_run(t)[0]);
    if (made == NULL) {
        return NULL;
    }

    uid = *made;

    return &uid;
}


ngx_uint_t
t_new_key(ngx_uint_t major, ngx_uint_t minor, ngx_str_t *uid)
{
    ngx_str_t  *made;

    made = t_create_aes(major, minor);
    CHECK(made != NULL, "Create of a 256-bit AES key");

    if (made == NULL) {
        return 0;
    }

    *uid = *made;

    return 1;
}


ngx_uint_t
t_got(void *made, const char *what)
{
    if (made == NULL) {
        CHECK(0, what);
        return 0;
    }

    return 1;
}


uint32_t
t_reason(ngx_kmip_response_item_t *out)
{
    return out->result_status == NGX_KMIP_STATUS_OPERATION_FAILED
           ? out->result_reason : 0;
}


/*
 * 1.x has no reason for an object in the wrong state or a key whose
 * Cryptographic Usage Mask lacks the operation: Permission Denied
 */

uint32_t
t_not_found(ngx_uint_t major)
{
    return major >= 2 ? NGX_KMIP_REASON_OBJECT_NOT_FOUND
                      : NGX_KMIP_REASON_ITEM_NOT_FOUND;
}


uint32_t
t_wrong_state(ngx_uint_t major)
{
    return major >= 2 ? NGX_KMIP_REASON_WRONG_KEY_LIFECYCLE_STATE
                      : NGX_KMIP_REASON_PERMISSION_DENIED;
}


uint32_t
t_wrong_mask(ngx_uint_t major)
{
    return major >= 2 ? NGX_KMIP_REASON_INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK
                      : NGX_KMIP_REASON_PERMISSION_DENIED;
}


ngx_kmip_response_item_t *
t_one(ngx_uint_t major, ngx_uint_t minor, uint32_t operation, ngx_str_t *uid)
{
    t_case_t  c = { major, minor, operation, 0, 0, 0, NULL, 0, NULL, NULL };

    return t_case(&c, uid);
}


ngx_kmip_response_item_t *
t_case(t_case_t *c, ngx_str_t *uid)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(c->major, c->minor);
    p = t_item(t, c->operation);

    if (uid) {
        t_uid(p, uid);
    }

    if (c->payload) {
        c->payload(p, c);

    } else if (c->text) {
        t_text(p, c->tag, c->text);

    } else if (c->tag) {
        (void) t_value(p, c->tag, c->type, c->value);
    }

    return t_run(t);
}


ngx_uint_t
t_result(ngx_kmip_response_item_t *out, uint32_t reason)
{
    return reason ? t_reason(out) == reason
                  : out->result_status == NGX_KMIP_STATUS_SUCCESS;
}


void
t_expect(ngx_kmip_response_item_t *out, uint32_t reason, const char *name)
{
    CHECK(t_result(out, reason), name);
}


void
t_cases(t_case_t *cases, ngx_uint_t n, ngx_str_t *uid)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        t_expect(&t_case(&cases[i], uid)[0], cases[i].reason, cases[i].name);
    }
}


/* ----------------------------------------------------------------- main */

static void
t_init(void)
{
    static ngx_kmip_version_t  v[] = {
        { 2, 1 }, { 2, 0 }, { 1, 4 }, { 1, 3 }, { 1, 2 }, { 1, 1 },
        { 1, 0 }
    };

    ngx_time_init();
    ngx_pagesize = getpagesize();
    for (ngx_pagesize_shift = 0;
         ((ngx_uint_t) 1 << ngx_pagesize_shift) < ngx_pagesize;
         ngx_pagesize_shift++) { /* void */ }

    t_log_file.fd = ngx_stderr;
    t_log_stderr.file = &t_log_file;
    t_log_stderr.log_level = NGX_LOG_DEBUG;
    t_log = &t_log_stderr;

    t_pool = ngx_create_pool(16384, t_log);
    if (t_pool == NULL) {
        abort();
    }

    t_allocator.alloc = t_pool_alloc;
    t_allocator.data = t_pool;

    t_conf.versions = ngx_array_create(t_pool, 7, sizeof(ngx_kmip_version_t));
    if (t_conf.versions == NULL) {
        abort();
    }

    ngx_memcpy(ngx_array_push_n(t_conf.versions, 7), v, sizeof(v));
    ngx_str_set(&t_conf.vendor, "ngx_kmip unit tests");
    t_conf.operations = NGX_KMIP_OPSET_ALL;
}


int
main(void)
{
    ngx_uint_t  deferred;
    clock_t     start;

    t_init();

    start = clock();

    for (deferred = 0; deferred < 2; deferred++) {
        t_store(deferred);
        t_answered_later = 0;

        t_lifecycle();
        t_attributes();
        t_batches();
        t_store_failures();
        t_server();
        t_create();
        t_get_ops();
        t_attr_forms();
        t_dates();
        t_locate_ops();
        t_crypto();
        t_check_ops();
        t_versions();
        t_rekey();
        t_mac_hash();
        t_derive_ops();
        t_split_ops();
        t_certify_ops();
        t_blob_objects();
        t_import_ops();
        t_push_ops();
        t_transport();
        t_scopes();
        t_pkeys();
        t_rekey_key_pairs();
        t_parts();
        t_unwrap_registered();
        t_common();
        t_templates();

        CHECK(deferred ? t_answered_later > 100 : t_answered_later == 0,
              "the store answered later exactly when deferred");
    }

    printf("operations on the memory store: %.0f ms\n",
           (double) (clock() - start) * 1000 / CLOCKS_PER_SEC);

    return ngx_kmip_test_report("test_ops: ");
}
