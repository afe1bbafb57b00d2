
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_store_backend.h"
#include "ngx_kmip_store_journal.h"


/*
 * A batch with Undo: the store notes in the batch's journal what each of
 * its operations did (ngx_kmip_store.h), defers Destroys, and reverses a
 * change when the batch runner asks (ngx_kmip_store_undo()).
 */


static ngx_kmip_object_t *ngx_kmip_store_journal_copy(ngx_pool_t *pool,
    ngx_kmip_object_t *obj, ngx_uint_t attributes);
static void ngx_kmip_store_journal_hide(ngx_kmip_store_op_t *op);
static ngx_int_t ngx_kmip_store_journal_write(ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch);
static ngx_int_t ngx_kmip_store_journal_doomed(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *obj, ngx_kmip_store_change_t *ch);


ngx_kmip_store_journal_t *
ngx_kmip_store_journal_open(ngx_kmip_store_t *store, ngx_pool_t *pool,
    ngx_log_t *log)
{
    ngx_kmip_store_journal_t  *j;

    j = ngx_pcalloc(pool, sizeof(ngx_kmip_store_journal_t));
    if (j == NULL) {
        return NULL;
    }

    j->pool = pool;
    j->log = log;

    j->objects = ngx_array_create(j->pool, 4,
                                  sizeof(ngx_kmip_store_change_t));
    j->destroys = ngx_array_create(j->pool, 2, sizeof(ngx_uint_t));

    if (j->objects == NULL || j->destroys == NULL) {
        return NULL;
    }

    if (store) {
        store->journal = j;
    }

    return j;
}


void
ngx_kmip_store_journal_close(ngx_kmip_store_t *store)
{
    if (store) {
        store->journal = NULL;
    }
}


ngx_kmip_store_change_t *
ngx_kmip_store_journal_find(ngx_kmip_store_journal_t *j, ngx_str_t *uid,
    ngx_uint_t add)
{
    ngx_uint_t                i;
    ngx_kmip_store_change_t  *ch;

    ch = j->objects->elts;

    for (i = 0; i < j->objects->nelts; i++) {
        if (ch[i].uid.len == uid->len
            && ngx_strncmp(ch[i].uid.data, uid->data, uid->len) == 0)
        {
            return &ch[i];
        }
    }

    if (!add) {
        return NULL;
    }

    ch = ngx_array_push(j->objects);
    if (ch == NULL) {
        return NULL;
    }

    ngx_memzero(ch, sizeof(ngx_kmip_store_change_t));

    ch->uid.data = ngx_pstrdup(j->pool, uid);
    if (ch->uid.data == NULL) {
        j->objects->nelts--;
        return NULL;
    }

    ch->uid.len = uid->len;

    return ch;
}


/*
 * The journal's own copy of an object, without key material (a write
 * stores the wrapped form); the attribute list is copied when asked, so
 * that later changes of the batch's objects do not reach it.
 */

static ngx_kmip_object_t *
ngx_kmip_store_journal_copy(ngx_pool_t *pool, ngx_kmip_object_t *obj,
    ngx_uint_t attributes)
{
    ngx_kmip_object_t     *copy;
    ngx_kmip_allocator_t   a;

    copy = ngx_palloc(pool, sizeof(ngx_kmip_object_t));
    if (copy == NULL) {
        return NULL;
    }

    *copy = *obj;
    ngx_str_null(&copy->material);

    if (attributes) {
        a.alloc = ngx_kmip_store_alloc;
        a.data = pool;

        if (ngx_kmip_attrs_copy(&a, &copy->attributes, &obj->attributes)
            != 0)
        {
            return NULL;
        }
    }

    return copy;
}


/* what a store operation that succeeded did, in the batch's journal */

void
ngx_kmip_store_journal_note(ngx_kmip_store_op_t *op)
{
    ngx_kmip_store_change_t  *ch;

    switch (op->kind) {

    case NGX_KMIP_STORE_LIST:
        ngx_kmip_store_journal_hide(op);
        return;

    case NGX_KMIP_STORE_FETCH:
    case NGX_KMIP_STORE_CREATE:
    case NGX_KMIP_STORE_UPDATE:
        break;

    default:
        return;
    }

    if (op->object == NULL) {
        return;
    }

    ch = ngx_kmip_store_journal_find(op->store->journal,
                                     &op->object->uid, 1);

    if (ch && op->kind == NGX_KMIP_STORE_FETCH) {

        /*
         * Until the batch writes the object, each read replaces the
         * earlier one: the state to restore is the one the first write
         * replaced (its compare-and-swap proves which generation that
         * was). A copy that cannot be made is found missing then.
         */

        if (!ch->created && !ch->changed && !op->object->destroyed) {
            ch->before = ngx_kmip_store_journal_copy(op->store->journal->pool,
                                                     op->object, 1);
        }

        return;
    }

    if (ch == NULL || ngx_kmip_store_journal_write(op, ch) != NGX_OK) {
        op->store->journal->incomplete = 1;

        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "kmip store: no memory to note the change of \"%V\" "
                      "in the batch's journal: the batch cannot be undone",
                      &op->object->uid);
    }
}


/* what the batch destroyed is not located, deferred or not */

static void
ngx_kmip_store_journal_hide(ngx_kmip_store_op_t *op)
{
    ngx_uint_t                i, n;
    ngx_kmip_object_t        *obj;
    ngx_kmip_store_change_t  *ch;

    if (op->objects == NULL) {
        return;
    }

    obj = op->objects->elts;

    for (i = 0, n = 0; i < op->objects->nelts; i++) {
        ch = ngx_kmip_store_journal_find(op->store->journal, &obj[i].uid, 0);

        if (ch == NULL || !ch->destroy) {
            obj[n++] = obj[i];
        }
    }

    op->objects->nelts = n;
}


/* a create or an update of the batch: NGX_ERROR when out of memory */

static ngx_int_t
ngx_kmip_store_journal_write(ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch)
{
    ngx_uint_t                *item;
    ngx_kmip_object_t         *obj = op->object;
    ngx_kmip_store_journal_t  *j = op->store->journal;

    if (op->kind == NGX_KMIP_STORE_CREATE) {
        ch->created = 1;

    } else {
        if (!ch->created && !ch->changed
            && (ch->before == NULL
                || ch->before->generation != op->from_generation))
        {
            ch->unknown = 1;

            ngx_log_error(NGX_LOG_WARN, op->log, 0,
                          "kmip store: \"%V\" was written from generation "
                          "%ui, which this batch did not read; an Undo "
                          "cannot restore it", &obj->uid,
                          op->from_generation);
        }

        ch->changed = 1;
    }

    ch->last = ngx_kmip_store_journal_copy(j->pool, obj, 0);
    if (ch->last == NULL) {
        return NGX_ERROR;
    }

    if (ch->items == NULL) {
        ch->items = ngx_array_create(j->pool, 2, sizeof(ngx_uint_t));
        if (ch->items == NULL) {
            return NGX_ERROR;
        }
    }

    item = ch->items->nelts
           ? (ngx_uint_t *) ch->items->elts + ch->items->nelts - 1 : NULL;

    if (item == NULL || *item != j->item) {
        item = ngx_array_push(ch->items);
        if (item == NULL) {
            return NGX_ERROR;
        }

        *item = j->item;
    }

    return NGX_OK;
}


/*
 * A Destroy in a batch with Undo: the Key Protect key is deleted only once
 * the whole batch has succeeded, since a deletion cannot be taken back.
 * The caller sees the object destroyed at once, as it would otherwise.
 */

ngx_int_t
ngx_kmip_store_destroy_later(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    ngx_uint_t                *d;
    ngx_kmip_object_t         *doomed;
    ngx_kmip_store_change_t   *ch;
    ngx_kmip_store_journal_t  *j = op->store->journal;

    ngx_str_null(&op->error);
    ngx_str_null(&op->correlation_id);

    ch = ngx_kmip_store_journal_find(j, &obj->uid, 1);
    doomed = ch ? ngx_kmip_store_journal_copy(j->pool, obj, 1) : NULL;
    d = doomed ? ngx_array_push(j->destroys) : NULL;

    if (d == NULL) {
        return ngx_kmip_store_error(op, NGX_KMIP_STORE_FAILED,
                                    "no memory");
    }

    *d = ch - (ngx_kmip_store_change_t *) j->objects->elts;

    ch->doomed = doomed;
    ch->destroy = 1;
    ch->destroy_item = j->item;
    ch->destroy_time = ngx_time();

    ngx_log_debug2(NGX_LOG_DEBUG_STREAM, op->log, 0,
                   "kmip store: destroy of \"%V\" (Key Protect key %V) "
                   "deferred until the batch succeeds",
                   &obj->uid, &obj->kp_id);

    /* answered at once, like a read from the key cache */
    return ngx_kmip_store_journal_doomed(op, obj, ch);
}


/* a read of an object whose Destroy this batch deferred */

ngx_int_t
ngx_kmip_store_destroyed_view(ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch)
{
    ngx_kmip_object_t  *obj;

    ngx_str_null(&op->error);
    ngx_str_null(&op->correlation_id);

    obj = ngx_kmip_store_journal_copy(op->pool, ch->doomed, 1);
    if (obj == NULL) {
        return ngx_kmip_store_error(op, NGX_KMIP_STORE_FAILED,
                                    "no memory");
    }

    obj->stale = NULL;
    ngx_str_null(&obj->wrapped);

    return ngx_kmip_store_journal_doomed(op, obj, ch);
}


/* the answer of both: the object as its deferred Destroy leaves it */

static ngx_int_t
ngx_kmip_store_journal_doomed(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj,
    ngx_kmip_store_change_t *ch)
{
    obj->destroyed = 1;
    obj->deletion_date = ch->destroy_time;

    op->object = obj;
    op->result = NGX_KMIP_STORE_OK;

    return NGX_OK;
}


/*
 * An object the batch changed: its attributes from before the batch are
 * written as the next generation after the batch's last one. The alias of
 * that generation is the compare-and-swap: if another writer came after
 * the batch, the restore loses (CONFLICT) and leaves their state alone.
 */

ngx_int_t
ngx_kmip_store_journal_restore(ngx_kmip_store_op_t *op,
    ngx_kmip_store_change_t *ch)
{
    ngx_kmip_object_t     *obj;
    ngx_kmip_allocator_t   a;

    ngx_str_null(&op->correlation_id);

    if (ch->unknown || ch->before == NULL || ch->last == NULL) {
        return ngx_kmip_store_error(op, NGX_KMIP_STORE_FAILED,
                                    "its state before the batch is not "
                                    "known");
    }

    a.alloc = ngx_kmip_store_alloc;
    a.data = op->pool;

    obj = ngx_kmip_store_journal_copy(op->pool, ch->last, 0);

    if (obj == NULL
        || ngx_kmip_attrs_copy(&a, &obj->attributes, &ch->before->attributes)
           != 0)
    {
        return ngx_kmip_store_error(op, NGX_KMIP_STORE_FAILED,
                                    "no memory");
    }

    return ngx_kmip_store_update(op, obj);
}
