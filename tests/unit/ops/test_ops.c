
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


ngx_kmip_store_memory_t  *t_mem;
static ngx_uint_t         t_answered_later;
ngx_pool_t               *t_pool;
ngx_log_t                *t_log;
int                       passed, failed;

static ngx_log_t              t_log_stderr;
static ngx_open_file_t        t_log_file;
static ngx_kmip_server_conf_t t_conf;
static ngx_kmip_allocator_t   t_allocator;

/* what the module is linked with in nginx and this program is not */
volatile ngx_cycle_t  *ngx_cycle;


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
    r->store = ngx_kmip_store_open(t->pool, t_log,
                                   &ngx_kmip_store_memory_backend, t_mem,
                                   NULL);
    (void) ngx_kmip_req_init(r);

    if (r->store == NULL
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
        if (ngx_kmip_store_memory_run(t_mem) == 0) {
            break;
        }

        t_answered_later++;
    }

    CHECK(t->done == 1, "the batch ends once, with r->done() or NGX_OK");

    return r->results;
}


ngx_kmip_item_t *
t_find(ngx_kmip_response_item_t *out, uint32_t tag)
{
    return ngx_kmip_ttlv_find(out->payload, tag);
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


/* a 1.x Template-Attribute attribute */

static void
t_template_attr(ngx_kmip_item_t *ta, const char *name, uint32_t tag_type,
    int64_t v)
{
    ngx_kmip_item_t  *a, *val;

    a = ngx_kmip_ttlv_add_struct(t_alloc(), ta, NGX_KMIP_TAG_ATTRIBUTE);
    ngx_kmip_ttlv_add_text(t_alloc(), a, NGX_KMIP_TAG_ATTRIBUTE_NAME,
                           (const uint8_t *) name, strlen(name));

    val = (tag_type == NGX_KMIP_TYPE_INTEGER)
          ? ngx_kmip_ttlv_add_integer(t_alloc(), a,
                                      NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                                      (int32_t) v)
          : ngx_kmip_ttlv_add_enum(t_alloc(), a, NGX_KMIP_TAG_ATTRIBUTE_VALUE,
                                   (uint32_t) v);
    if (val == NULL) {
        abort();
    }
}


void
t_create_payload(ngx_kmip_item_t *p, ngx_uint_t major)
{
    ngx_kmip_item_t  *ta;

    ngx_kmip_ttlv_add_enum(t_alloc(), p, NGX_KMIP_TAG_OBJECT_TYPE,
                           NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY);

    if (major >= 2) {
        ta = ngx_kmip_ttlv_add_struct(t_alloc(), p, NGX_KMIP_TAG_ATTRIBUTES);
        ngx_kmip_ttlv_add_enum(t_alloc(), ta,
                               NGX_KMIP_TAG_CRYPTOGRAPHIC_ALGORITHM,
                               NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
        ngx_kmip_ttlv_add_integer(t_alloc(), ta,
                                  NGX_KMIP_TAG_CRYPTOGRAPHIC_LENGTH, 256);
        ngx_kmip_ttlv_add_integer(t_alloc(), ta,
                                  NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK,
                                  NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT
                                  | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DECRYPT);
        return;
    }

    ta = ngx_kmip_ttlv_add_struct(t_alloc(), p,
                                  NGX_KMIP_TAG_TEMPLATE_ATTRIBUTE);
    t_template_attr(ta, "Cryptographic Algorithm", NGX_KMIP_TYPE_ENUMERATION,
                    NGX_KMIP_CRYPTOGRAPHIC_ALGORITHM_AES);
    t_template_attr(ta, "Cryptographic Length", NGX_KMIP_TYPE_INTEGER, 256);
    t_template_attr(ta, "Cryptographic Usage Mask", NGX_KMIP_TYPE_INTEGER,
                    NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_ENCRYPT
                    | NGX_KMIP_CRYPTOGRAPHIC_USAGE_MASK_DECRYPT);
}


ngx_str_t *
t_create_aes(ngx_uint_t major, ngx_uint_t minor)
{
    static ngx_str_t           uid;
    t_request_t               *t;
    ngx_kmip_item_t           *id;
    ngx_kmip_response_item_t  *out;

    t = t_request(major, minor);
    t_create_payload(t_item(t, NGX_KMIP_OP_CREATE), major);
    out = t_run(t);

    id = t_find(&out[0], NGX_KMIP_TAG_UNIQUE_IDENTIFIER);

    if (out[0].result_status != NGX_KMIP_STATUS_SUCCESS || id == NULL) {
        return NULL;
    }

    uid.len = id->v.str.len;
    uid.data = ngx_pnalloc(t_pool, uid.len);
    if (uid.data == NULL) {
        abort();
    }

    ngx_memcpy(uid.data, id->v.str.data, uid.len);

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


uint32_t
t_reason(ngx_kmip_response_item_t *out)
{
    return out->result_status == NGX_KMIP_STATUS_OPERATION_FAILED
           ? out->result_reason : 0;
}


ngx_kmip_response_item_t *
t_one(ngx_uint_t major, ngx_uint_t minor, uint32_t operation, ngx_str_t *uid)
{
    t_request_t      *t;
    ngx_kmip_item_t  *p;

    t = t_request(major, minor);
    p = t_item(t, operation);

    if (uid) {
        ngx_kmip_ttlv_add_text(t_alloc(), p, NGX_KMIP_TAG_UNIQUE_IDENTIFIER,
                               uid->data, uid->len);
    }

    return t_run(t);
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
        t_rekey();

        CHECK(deferred ? t_answered_later > 100 : t_answered_later == 0,
              "the store answered later exactly when deferred");
    }

    printf("operations on the memory store: %.0f ms\n",
           (double) (clock() - start) * 1000 / CLOCKS_PER_SEC);

    return ngx_kmip_test_report("test_ops: ");
}
