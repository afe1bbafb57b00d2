
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#include "ngx_kmip_op_work.h"


/*
 * The block handed out is the tail of one heap allocation whose head is
 * nginx's thread task; whichever of the request and the work ends last
 * frees it (ngx_kmip_op_work.h).
 */


typedef struct {
    ngx_kmip_op_work_pt         work;
    ngx_kmip_op_work_done_pt    done;
    ngx_pool_cleanup_t         *cln;        /* NULL once the request is
                                               gone */
#if (NGX_THREADS)
    ngx_thread_task_t           task;
#endif
    size_t                      size;
    /* the caller's block follows, aligned */
} ngx_kmip_op_work_t;


#define ngx_kmip_op_work_head(data)                                           \
    ((ngx_kmip_op_work_t *)                                                   \
        ((u_char *) (data) - ngx_align(sizeof(ngx_kmip_op_work_t),            \
                                       NGX_ALIGNMENT)))


#if (NGX_THREADS)
static void ngx_kmip_op_work_thread(void *data, ngx_log_t *log);
static void ngx_kmip_op_work_event(ngx_event_t *ev);
static void ngx_kmip_op_work_cancel(void *data);
#endif


void *
ngx_kmip_op_work_alloc(ngx_kmip_req_t *r, size_t size)
{
    size_t               head;
    ngx_kmip_op_work_t  *w;

    head = ngx_align(sizeof(ngx_kmip_op_work_t), NGX_ALIGNMENT);

    w = ngx_calloc(head + size, r->log);
    if (w == NULL) {
        return NULL;
    }

    w->size = size;

    return (u_char *) w + head;
}


void
ngx_kmip_op_work_free(void *data)
{
    ngx_kmip_op_work_t  *w;

    w = ngx_kmip_op_work_head(data);

    ngx_explicit_memzero(data, w->size);
    ngx_free(w);
}


ngx_int_t
ngx_kmip_op_work_post(ngx_kmip_req_t *r, void *data, ngx_kmip_op_work_pt work,
    ngx_kmip_op_work_done_pt done)
{
#if (NGX_THREADS)

    ngx_kmip_op_work_t  *w;

    if (r->conf->thread_pool == NULL) {
        return NGX_DECLINED;
    }

    w = ngx_kmip_op_work_head(data);

    w->cln = ngx_pool_cleanup_add(r->pool, 0);
    if (w->cln == NULL) {
        return NGX_ERROR;
    }

    w->work = work;
    w->done = done;

    w->task.ctx = data;
    w->task.handler = ngx_kmip_op_work_thread;
    w->task.event.handler = ngx_kmip_op_work_event;
    w->task.event.data = w;
    w->task.event.log = r->log;

    if (ngx_thread_task_post(r->conf->thread_pool, &w->task) != NGX_OK) {
        w->cln = NULL;
        return NGX_BUSY;
    }

    w->cln->handler = ngx_kmip_op_work_cancel;
    w->cln->data = w;

    return NGX_AGAIN;

#else

    return NGX_DECLINED;

#endif
}


#if (NGX_THREADS)

/* in a thread of the pool: no nginx call, only the block */

static void
ngx_kmip_op_work_thread(void *data, ngx_log_t *log)
{
    ngx_kmip_op_work_t  *w;

    w = ngx_kmip_op_work_head(data);

    w->work(data);
}


/* back on the event loop */

static void
ngx_kmip_op_work_event(ngx_event_t *ev)
{
    void                *data;
    ngx_uint_t           gone;
    ngx_kmip_op_work_t  *w = ev->data;

    data = w->task.ctx;
    gone = (w->cln == NULL);

    if (!gone) {
        w->cln->handler = NULL;
    }

    w->done(data, gone);

    ngx_kmip_op_work_free(data);
}


/*
 * The request is destroyed while the work runs: the thread goes on with
 * the block, and ngx_kmip_op_work_event() frees it
 */

static void
ngx_kmip_op_work_cancel(void *data)
{
    ngx_kmip_op_work_t  *w = data;

    w->cln = NULL;
}

#endif
