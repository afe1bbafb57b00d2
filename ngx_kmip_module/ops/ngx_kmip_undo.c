
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_op_store.h"
#include "ngx_kmip_undo.h"


/*
 * The Batch Error Continuation Option Undo (KMIP 1.4 6.13 and 11 table
 * 366, 2.1 9.6): "if any operation in the request fails, then the server
 * SHALL undo all the previous operations"; the failed item is Operation
 * Failed, the items processed before it are answered as usual but with
 * the Result Status Operation Undone, and the items after it are not run.
 *
 * The items run as with Stop, their store operations noting in the
 * request's journal what they change (ngx_kmip_store.h). Then:
 *
 *   an item failed    every object in the journal is reversed, newest
 *                     first: one the batch made is removed, one it changed
 *                     gets its earlier attributes back (compare-and-swap),
 *                     a deferred Destroy is simply not carried out;
 *   none failed       the deferred Destroys are carried out, in order. If
 *                     one fails, its item fails and the batch is undone as
 *                     above, except the Destroys already carried out.
 *
 * What cannot be undone (Key Protect down, another writer came after the
 * batch, a Destroy carried out) is not claimed undone: its item keeps
 * Success with a Result Message that says so, the failed item's message
 * counts them, and the error log names each object left and how.
 */


#define NGX_KMIP_UNDO_NONE  ((ngx_uint_t) -1)


typedef enum {
    NGX_KMIP_UNDO_RUNNING = 0,      /* the items run */
    NGX_KMIP_UNDO_COMMITTING,       /* the deferred Destroys are done */
    NGX_KMIP_UNDO_ROLLING_BACK,
    NGX_KMIP_UNDO_FINISHED
} ngx_kmip_undo_phase_e;


typedef struct {
    ngx_kmip_store_result_e     result;
    ngx_str_t                   error;
    ngx_uint_t                  destroyed;      /* its Destroy was carried
                                                   out */
} ngx_kmip_undo_object_t;


struct ngx_kmip_undo_s {
    ngx_log_t                  *log;
    ngx_kmip_undo_phase_e       phase;
    ngx_kmip_store_journal_t   *journal;
    ngx_uint_t                 *owner;          /* per item: the item whose
                                                   store write answered it
                                                   (a run of attribute
                                                   changes), else itself */
    ngx_uint_t                  failed;         /* the failed item */
    ngx_uint_t                  step;           /* commit: next Destroy;
                                                   rollback: objects left */
    ngx_uint_t                  committed;      /* Destroys carried out */
    ngx_kmip_undo_object_t     *objects;        /* rollback: per journal
                                                   object */
    ngx_msec_t                  start;
    ngx_uint_t                  calls;
};


static ngx_int_t ngx_kmip_undo_commit(ngx_kmip_req_t *r);
static void ngx_kmip_undo_committed(ngx_kmip_store_op_t *sop);
static void ngx_kmip_undo_destroyed(ngx_kmip_req_t *r,
    ngx_kmip_store_change_t *ch);
static ngx_int_t ngx_kmip_undo_commit_failed(ngx_kmip_req_t *r,
    ngx_kmip_store_op_t *sop, ngx_kmip_store_change_t *ch);
static ngx_int_t ngx_kmip_undo_rollback(ngx_kmip_req_t *r);
static ngx_int_t ngx_kmip_undo_next(ngx_kmip_req_t *r);
static void ngx_kmip_undo_reversed(ngx_kmip_store_op_t *sop);
static void ngx_kmip_undo_result(ngx_kmip_req_t *r, ngx_uint_t i,
    ngx_kmip_store_op_t *sop);
static void ngx_kmip_undo_answers(ngx_kmip_req_t *r);
static void ngx_kmip_undo_cancelled(void *data);


ngx_int_t
ngx_kmip_undo_init(ngx_kmip_req_t *r)
{
    ngx_uint_t           i;
    ngx_kmip_undo_t     *u;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    u = ngx_pcalloc(r->pool, sizeof(ngx_kmip_undo_t));

    if (cln == NULL || u == NULL) {
        return NGX_ERROR;
    }

    u->log = r->log;

    u->journal = ngx_kmip_store_journal_open(r->store, r->pool, r->log);
    u->owner = ngx_palloc(r->pool, r->msg.nitems * sizeof(ngx_uint_t));

    if (u->journal == NULL || u->owner == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < r->msg.nitems; i++) {
        u->owner[i] = i;
    }

    u->failed = NGX_KMIP_UNDO_NONE;

    cln->handler = ngx_kmip_undo_cancelled;
    cln->data = u;

    r->undo = u;

    return NGX_OK;
}


void
ngx_kmip_undo_item_start(ngx_kmip_req_t *r)
{
    ngx_kmip_undo_t  *u = r->undo;

    u->journal->item = r->nresults;
}


void
ngx_kmip_undo_item_answered(ngx_kmip_req_t *r, ngx_uint_t n)
{
    ngx_kmip_undo_t  *u = r->undo;

    /* answered from the single write of a run of attribute changes */

    if (r->group && n > r->group_first && n < r->group_end) {
        u->owner[n] = r->group_first;
    }
}


ngx_int_t
ngx_kmip_undo_end(ngx_kmip_req_t *r)
{
    ngx_kmip_undo_t  *u = r->undo;

    /* what follows is not journaled: the batch's changes are all noted */
    ngx_kmip_store_journal_close(r->store);

    if (r->nresults == 0) {
        u->phase = NGX_KMIP_UNDO_FINISHED;
        return NGX_OK;
    }

    u->start = ngx_current_msec;
    u->calls = ngx_kmip_store_trace_mark(r->store);

    if (r->results[r->nresults - 1].result_status
        != NGX_KMIP_STATUS_SUCCESS)
    {
        u->failed = r->nresults - 1;
        return ngx_kmip_undo_rollback(r);
    }

    u->phase = NGX_KMIP_UNDO_COMMITTING;

    return ngx_kmip_undo_commit(r);
}


/* ---------------------------------------------------------------- commit */

static ngx_int_t
ngx_kmip_undo_commit(ngx_kmip_req_t *r)
{
    ngx_int_t                  rc;
    ngx_uint_t                *d;
    ngx_kmip_undo_t           *u = r->undo;
    ngx_kmip_store_op_t       *sop;
    ngx_kmip_store_change_t   *ch;
    ngx_kmip_store_journal_t  *j = u->journal;

    d = j->destroys->elts;

    while (u->step < j->destroys->nelts) {
        ch = (ngx_kmip_store_change_t *) j->objects->elts + d[u->step];

        /* a store operation for the undo itself: not journaled */
        sop = ngx_kmip_op_store_op(r, ngx_kmip_undo_committed, r);
        if (sop == NULL) {
            return ngx_kmip_undo_commit_failed(r, NULL, ch);
        }

        rc = ngx_kmip_store_destroy(sop, ch->doomed);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc != NGX_OK) {
            return ngx_kmip_undo_commit_failed(r, sop, ch);
        }

        ngx_kmip_undo_destroyed(r, ch);
    }

    u->phase = NGX_KMIP_UNDO_FINISHED;

    return NGX_OK;
}


static void
ngx_kmip_undo_committed(ngx_kmip_store_op_t *sop)
{
    ngx_int_t                 rc;
    ngx_kmip_req_t           *r = sop->data;
    ngx_kmip_undo_t          *u = r->undo;
    ngx_kmip_store_change_t  *ch;

    ch = (ngx_kmip_store_change_t *) u->journal->objects->elts
         + ((ngx_uint_t *) u->journal->destroys->elts)[u->step];

    if (sop->result == NGX_KMIP_STORE_OK) {
        ngx_kmip_undo_destroyed(r, ch);
        rc = ngx_kmip_undo_commit(r);

    } else {
        rc = ngx_kmip_undo_commit_failed(r, sop, ch);
    }

    if (rc == NGX_OK) {
        r->done(r);
    }
}


static void
ngx_kmip_undo_destroyed(ngx_kmip_req_t *r, ngx_kmip_store_change_t *ch)
{
    ngx_kmip_undo_t  *u = r->undo;

    ngx_log_error(NGX_LOG_INFO, r->log, 0,
                  "kmip: batch item %ui: destroyed object \"%V\" (%s key "
                  "%V deleted) once the batch had succeeded",
                  ch->destroy_item + 1, &ch->uid, ngx_kmip_store_name(r->store),
                  &ch->doomed->kp_id);

    u->step++;
    u->committed++;
}


/*
 * A deferred Destroy failed: its item fails as it would have when run,
 * and the batch is undone from there.
 */

static ngx_int_t
ngx_kmip_undo_commit_failed(ngx_kmip_req_t *r, ngx_kmip_store_op_t *sop,
    ngx_kmip_store_change_t *ch)
{
    ngx_kmip_undo_t           *u = r->undo;
    ngx_kmip_op_ctx_t         *ctx;
    ngx_kmip_response_item_t  *out;

    u->failed = ch->destroy_item;
    out = &r->results[u->failed];

    ctx = ngx_kmip_op_ctx(r, &r->msg.items[u->failed], out);

    if (ctx == NULL) {
        (void) ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "no memory");

    } else {
        ctx->uid = ch->uid;
        ctx->sop = sop;
        ngx_kmip_op_store_failed(ctx, "destroy");
    }

    ngx_log_error(NGX_LOG_INFO, r->log, 0,
                  "kmip: batch item %ui (Destroy of \"%V\") failed after "
                  "the batch ran: undoing the batch",
                  u->failed + 1, &ch->uid);

    if (r->item_done) {
        r->item_start = u->start;
        r->item_calls = u->calls;
        r->item_done(r, u->failed);
    }

    return ngx_kmip_undo_rollback(r);
}


/* -------------------------------------------------------------- rollback */

static ngx_int_t
ngx_kmip_undo_rollback(ngx_kmip_req_t *r)
{
    ngx_uint_t                 k, *d;
    ngx_kmip_undo_t           *u = r->undo;
    ngx_kmip_store_journal_t  *j = u->journal;

    u->phase = NGX_KMIP_UNDO_ROLLING_BACK;

    u->objects = ngx_pcalloc(r->pool, (j->objects->nelts + 1)
                                      * sizeof(ngx_kmip_undo_object_t));
    if (u->objects == NULL) {
        j->incomplete = 1;
        ngx_kmip_undo_answers(r);
        return NGX_OK;
    }

    d = j->destroys->elts;

    for (k = 0; k < u->committed; k++) {
        u->objects[d[k]].destroyed = 1;
    }

    /* the objects are about to change under the request's last read */
    r->object = NULL;

    u->start = ngx_current_msec;
    u->calls = ngx_kmip_store_trace_mark(r->store);
    u->step = j->objects->nelts;

    return ngx_kmip_undo_next(r);
}


/* reverses the journal's objects, newest first */

static ngx_int_t
ngx_kmip_undo_next(ngx_kmip_req_t *r)
{
    ngx_int_t                  rc;
    ngx_kmip_undo_t           *u = r->undo;
    ngx_kmip_store_op_t       *sop;
    ngx_kmip_store_change_t   *ch;
    ngx_kmip_undo_object_t    *uo;

    while (u->step > 0 && r->store) {
        u->step--;

        ch = (ngx_kmip_store_change_t *) u->journal->objects->elts + u->step;
        uo = &u->objects[u->step];

        if (uo->destroyed) {
            /* a Key Protect deletion cannot be taken back */
            uo->result = NGX_KMIP_STORE_GONE;
            ngx_str_set(&uo->error, "it was destroyed (its Key Protect "
                                    "key deleted) before the batch failed");

            ngx_log_error(NGX_LOG_ERR, r->log, 0,
                          "kmip: undo of a batch: object \"%V\" stays "
                          "destroyed: batch item %ui deleted its Key "
                          "Protect key %V before item %ui failed",
                          &ch->uid, ch->destroy_item + 1,
                          &ch->doomed->kp_id, u->failed + 1);
            continue;
        }

        if (!ch->created && !ch->changed) {
            /* only read, or a Destroy that was never carried out */
            continue;
        }

        sop = ngx_kmip_op_store_op(r, ngx_kmip_undo_reversed, r);

        if (sop == NULL) {
            uo->result = NGX_KMIP_STORE_FAILED;
            ngx_str_set(&uo->error, "no memory");
            continue;
        }

        rc = ngx_kmip_store_undo(sop, ch);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc != NGX_DECLINED) {
            ngx_kmip_undo_result(r, u->step, sop);
        }
    }

    ngx_kmip_undo_answers(r);

    return NGX_OK;
}


static void
ngx_kmip_undo_reversed(ngx_kmip_store_op_t *sop)
{
    ngx_kmip_req_t  *r = sop->data;
    ngx_kmip_undo_t  *u = r->undo;

    ngx_kmip_undo_result(r, u->step, sop);

    if (ngx_kmip_undo_next(r) == NGX_OK) {
        r->done(r);
    }
}


/* the outcome of reversing object i, in the error log */

static void
ngx_kmip_undo_result(ngx_kmip_req_t *r, ngx_uint_t i,
    ngx_kmip_store_op_t *sop)
{
    u_char                    left[NGX_MAX_ERROR_STR], *last;
    ngx_str_t                 none = ngx_string("-");
    ngx_kmip_undo_t          *u = r->undo;
    ngx_kmip_undo_object_t   *uo = &u->objects[i];
    ngx_kmip_store_change_t  *ch;

    ch = (ngx_kmip_store_change_t *) u->journal->objects->elts + i;

    uo->result = sop->result;
    uo->error = sop->error;

    if (sop->result == NGX_KMIP_STORE_OK) {
        ngx_log_error(NGX_LOG_INFO, r->log, 0,
                      "kmip: undo of a batch: object \"%V\" %s",
                      &ch->uid, ch->created
                                ? "removed (its Key Protect keys deleted)"
                                : "restored to its attributes from before "
                                  "the batch");
        return;
    }

    /* what is left, and what an operator does about it */

    if (ch->created) {
        last = ngx_slprintf(left, left + sizeof(left),
                            "its Key Protect keys named \"kmip-%V\" are "
                            "left: delete them", &ch->uid);

    } else {
        last = ngx_slprintf(left, left + sizeof(left),
                            "it is left as the batch wrote it (generation "
                            "%ui, Key Protect key %V)%s",
                            ch->last->generation, &ch->last->kp_id,
                            sop->result == NGX_KMIP_STORE_CONFLICT
                            ? " or as a later writer left it" : "");
    }

    ngx_log_error(NGX_LOG_ERR, r->log, 0,
                  "kmip: undo of a batch: object \"%V\"%s could not be "
                  "%s: %s: %V (Key Protect correlation id \"%V\"); %*s",
                  &ch->uid, ch->created ? " that the batch made" : "",
                  ch->created ? "removed" : "restored",
                  ngx_kmip_store_result_text(sop->result), &sop->error,
                  sop->correlation_id.len ? &sop->correlation_id : &none,
                  (size_t) (last - left), left);
}


/*
 * The answers once the batch is rolled back: Operation Undone for the
 * items whose effects are gone, Success with a Result Message for those
 * whose effects stay.
 */

static void
ngx_kmip_undo_answers(ngx_kmip_req_t *r)
{
    u_char                    *p, *last;
    ngx_uint_t                 n, i, k, nleft, *item, *left;
    ngx_kmip_undo_t           *u = r->undo;
    ngx_kmip_undo_object_t    *uo;
    ngx_kmip_store_change_t   *ch;
    ngx_kmip_response_item_t  *out;
    ngx_kmip_store_journal_t  *j = u->journal;

    u->phase = NGX_KMIP_UNDO_FINISHED;

    /* per item, the object it left in place (+1), or 0 */

    left = ngx_pcalloc(r->pool, r->msg.nitems * sizeof(ngx_uint_t));

    ch = j->objects->elts;

    for (i = 0; left && u->objects && i < j->objects->nelts; i++) {
        uo = &u->objects[i];

        if (uo->result == NGX_KMIP_STORE_OK && !uo->destroyed) {
            continue;
        }

        item = ch[i].items ? ch[i].items->elts : NULL;

        for (k = 0; item && k < ch[i].items->nelts; k++) {
            left[item[k]] = i + 1;
        }

        if (uo->destroyed) {
            left[ch[i].destroy_item] = i + 1;
        }
    }

    nleft = 0;

    for (n = 0; n < r->nresults; n++) {
        out = &r->results[n];

        if (n == u->failed
            || out->result_status != NGX_KMIP_STATUS_SUCCESS)
        {
            continue;
        }

        i = left ? (left[n] ? left[n] : left[u->owner[n]]) : 0;

        if (i == 0 && !j->incomplete && left) {
            out->result_status = NGX_KMIP_STATUS_OPERATION_UNDONE;
            out->result_reason = 0;
            out->result_message = NULL;
            out->result_message_len = 0;

            if (r->item_done) {
                r->item_start = u->start;
                r->item_calls = u->calls;
                r->item_done(r, n);
            }

            continue;
        }

        nleft++;

        p = ngx_pnalloc(r->pool, NGX_MAX_ERROR_STR);
        if (p == NULL) {
            continue;
        }

        last = p + NGX_MAX_ERROR_STR;

        if (i) {
            last = ngx_slprintf(p, last,
                                "batch item %ui failed and this operation "
                                "could not be undone: object \"%V\": %V",
                                u->failed + 1, &ch[i - 1].uid,
                                &u->objects[i - 1].error);
        } else {
            last = ngx_slprintf(p, last,
                                "batch item %ui failed and this operation "
                                "could not be undone: the server could not "
                                "keep track of the batch (no memory)",
                                u->failed + 1);
        }

        out->result_message = p;
        out->result_message_len = last - p;

        ngx_log_error(NGX_LOG_WARN, r->log, 0,
                      "kmip: undo of a batch: item %ui (%s) stays done: %*s",
                      n + 1, ngx_kmip_operation_name(out->operation),
                      out->result_message_len, out->result_message);
    }

    if (nleft == 0 || u->failed >= r->nresults) {
        return;
    }

    /* the failed item says that the batch is not wholly undone */

    out = &r->results[u->failed];

    p = ngx_pnalloc(r->pool, out->result_message_len + 128);
    if (p == NULL) {
        return;
    }

    last = ngx_cpymem(p, out->result_message, out->result_message_len);
    last = ngx_sprintf(last, "; the batch could not be wholly undone: "
                             "%ui earlier operation%s stay%s done",
                       nleft, nleft == 1 ? "" : "s", nleft == 1 ? "s" : "");

    out->result_message = p;
    out->result_message_len = last - p;
}


/*
 * The request is destroyed before the batch ended: the client went away,
 * or the worker is exiting. Its Key Protect calls are cancelled with it,
 * so whatever the batch changed and had not undone stays: say what.
 */

static void
ngx_kmip_undo_cancelled(void *data)
{
    ngx_uint_t                i, n;
    ngx_kmip_undo_t          *u = data;
    ngx_kmip_store_change_t  *ch;

    if (u->phase == NGX_KMIP_UNDO_FINISHED) {
        return;
    }

    if (u->phase == NGX_KMIP_UNDO_COMMITTING) {
        /* every item succeeded: only Destroys may be missing */
        ngx_log_error(NGX_LOG_WARN, u->log, 0,
                      "kmip: a batch with Undo was cancelled while its "
                      "Destroys were carried out: %ui of %ui done",
                      u->committed, u->journal->destroys->nelts);
        return;
    }

    ch = u->journal->objects->elts;
    n = u->journal->objects->nelts;

    if (u->phase == NGX_KMIP_UNDO_ROLLING_BACK) {
        /* those after the one in flight are undone, or could not be */
        n = ngx_min(n, u->step + 1);
    }

    for (i = 0; i < n; i++) {
        if (!ch[i].created && !ch[i].changed) {
            continue;
        }

        ngx_log_error(NGX_LOG_ERR, u->log, 0,
                      "kmip: a batch with Undo was cancelled before it "
                      "ended: object \"%V\" that it %s may be left so",
                      &ch[i].uid, ch[i].created ? "made" : "changed");
    }
}
