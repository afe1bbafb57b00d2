
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_store_backend.h"
#include "ngx_kmip_store_memory.h"


/*
 * A backend that keeps each object's latest generation in a pool
 * (ngx_kmip_store_memory.h). What it hands out is a copy in the
 * operation's pool and what it takes is copied in, as a store that
 * serialises objects would: an operation that changes what it read
 * changes nothing stored until it writes.
 */


static ngx_int_t ngx_kmip_store_memory_write(ngx_kmip_store_memory_t *mem,
    ngx_kmip_store_op_t *op, ngx_kmip_object_t *kept, ngx_kmip_object_t *obj);
static ngx_int_t ngx_kmip_store_memory_delete(ngx_kmip_store_op_t *op,
    ngx_kmip_object_t *kept, ngx_kmip_object_t *obj);


ngx_kmip_store_memory_t *
ngx_kmip_store_memory_create(ngx_pool_t *pool, ngx_log_t *log)
{
    ngx_kmip_store_memory_t  *mem;

    mem = ngx_pcalloc(pool, sizeof(ngx_kmip_store_memory_t));

    if (mem == NULL
        || ngx_array_init(&mem->objects, pool, 8, sizeof(ngx_kmip_object_t))
           != NGX_OK
        || ngx_array_init(&mem->pending, pool, 4,
                          sizeof(ngx_kmip_store_op_t *))
           != NGX_OK)
    {
        return NULL;
    }

    mem->pool = pool;
    mem->log = log;

    return mem;
}


ngx_kmip_object_t *
ngx_kmip_store_memory_find(ngx_kmip_store_memory_t *mem, ngx_str_t *uid)
{
    ngx_uint_t          i;
    ngx_kmip_object_t  *obj;

    obj = mem->objects.elts;

    for (i = 0; i < mem->objects.nelts; i++) {
        if (obj[i].uid.len == uid->len
            && ngx_strncmp(obj[i].uid.data, uid->data, uid->len) == 0)
        {
            return &obj[i];
        }
    }

    return NULL;
}


ngx_uint_t
ngx_kmip_store_memory_run(ngx_kmip_store_memory_t *mem)
{
    ngx_uint_t             i, n;
    ngx_kmip_store_op_t  **ops, *op;

    /* a handler may start the next operation: it waits for the next run */

    n = mem->pending.nelts;

    for (i = 0; i < n; i++) {
        ops = mem->pending.elts;
        op = ops[i];
        ops[i] = NULL;
        op->handler(op);
    }

    ops = mem->pending.elts;
    ngx_memmove(ops, ops + n,
                (mem->pending.nelts - n) * sizeof(ngx_kmip_store_op_t *));
    mem->pending.nelts -= n;

    return n;
}


/*
 * A write, an Update or a Destroy: of the object kept, or GONE when it is
 * destroyed.
 */

static ngx_int_t
ngx_kmip_store_memory_change(ngx_kmip_store_memory_t *mem,
    ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(mem, &obj->uid);

    if (kept == NULL || kept->destroyed) {
        return ngx_kmip_store_error(op, NGX_KMIP_STORE_GONE,
                                    "the object is destroyed");
    }

    if (op->kind == NGX_KMIP_STORE_UPDATE) {
        return ngx_kmip_store_memory_write(mem, op, kept, obj);
    }

    return ngx_kmip_store_memory_delete(op, kept, obj);
}


/* the undo of a create: the object is gone, as if never made */

static void
ngx_kmip_store_memory_forget(ngx_kmip_store_memory_t *mem, ngx_str_t *uid)
{
    ngx_uint_t          i;
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(mem, uid);
    if (kept == NULL) {
        return;
    }

    ngx_explicit_memzero(kept->material.data, kept->material.len);

    i = kept - (ngx_kmip_object_t *) mem->objects.elts;

    ngx_memmove(kept, kept + 1,
                (mem->objects.nelts - i - 1) * sizeof(ngx_kmip_object_t));
    mem->objects.nelts--;
}


/*
 * The attributes, names and values with them: a copy shares nothing with
 * the pool of the request that gave or takes it, which may be gone before
 * the store is (Key Protect's store keeps them as JSON)
 */

static ngx_int_t
ngx_kmip_store_memory_attrs(ngx_kmip_allocator_t *a, ngx_kmip_attrs_t *dst,
    const ngx_kmip_attrs_t *src)
{
    u_char           *name;
    ngx_kmip_attr_t  *at;

    if (ngx_kmip_attrs_copy(a, dst, src) != 0) {
        return NGX_ERROR;
    }

    for (at = dst->first; at; at = at->next) {
        name = a->alloc(a->data, at->name_len);
        if (name == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(name, at->name, at->name_len);
        at->name = name;

        if (at->value) {
            at->value = ngx_kmip_ttlv_item_copy(a, at->value);
            if (at->value == NULL) {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/*
 * An object copied into pool, to a new one when to is NULL: its
 * identifiers, attributes and, when asked, material (destroyed objects
 * have none); without, to keeps its own.
 */

static ngx_kmip_object_t *
ngx_kmip_store_memory_copy(ngx_pool_t *pool, ngx_kmip_object_t *to,
    ngx_kmip_object_t *from, ngx_uint_t material)
{
    ngx_str_t              keep;
    ngx_kmip_allocator_t   a;

    if (to == NULL) {
        to = ngx_pcalloc(pool, sizeof(ngx_kmip_object_t));
        if (to == NULL) {
            return NULL;
        }
    }

    keep = to->material;

    *to = *from;
    to->stale = NULL;
    ngx_str_null(&to->wrapped);
    to->material = keep;

    a.alloc = ngx_kmip_store_alloc;
    a.data = pool;

    to->uid.data = ngx_pstrdup(pool, &from->uid);
    to->fields = from->fields ? ngx_kmip_ttlv_item_copy(&a, from->fields)
                              : NULL;

    if (to->uid.data == NULL
        || (from->fields && to->fields == NULL)
        || ngx_kmip_store_memory_attrs(&a, &to->attributes,
                                       &from->attributes)
           != NGX_OK)
    {
        return NULL;
    }

    if (material) {
        ngx_str_null(&to->material);
    }

    if (material && from->material.len && !from->destroyed) {
        to->material.data = ngx_pstrdup(pool, &from->material);
        if (to->material.data == NULL) {
            return NULL;
        }

        to->material.len = from->material.len;
    }

    return to;
}


static ngx_int_t
ngx_kmip_store_memory_make(ngx_kmip_store_memory_t *mem,
    ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    ngx_kmip_object_t  *kept;

    if (ngx_kmip_store_memory_find(mem, &obj->uid)) {
        return ngx_kmip_store_error(op, NGX_KMIP_STORE_FAILED,
                                    "an object with this Unique Identifier "
                                    "exists");
    }

    obj->generation = 1;
    obj->material_len = obj->material.len;
    ngx_str_set(&obj->kp_id, "memory");

    kept = ngx_array_push(&mem->objects);

    if (kept == NULL
        || ngx_kmip_store_memory_copy(mem->pool, kept, obj, 1) == NULL)
    {
        return ngx_kmip_store_error(op, NGX_KMIP_STORE_FAILED, "no memory");
    }

    op->object = obj;

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_store_memory_read(ngx_kmip_store_memory_t *mem,
    ngx_kmip_store_op_t *op, ngx_str_t *uid)
{
    ngx_kmip_object_t  *kept;

    kept = ngx_kmip_store_memory_find(mem, uid);
    if (kept == NULL) {
        return ngx_kmip_store_error(op, NGX_KMIP_STORE_NOT_FOUND,
                                    "no object with this Unique Identifier");
    }

    op->object = ngx_kmip_store_memory_copy(op->pool, NULL, kept, 1);

    return op->object ? NGX_OK
                      : ngx_kmip_store_error(op, NGX_KMIP_STORE_FAILED,
                                             "no memory");
}


/* an update is a compare-and-swap on the generation the writer read */

static ngx_int_t
ngx_kmip_store_memory_write(ngx_kmip_store_memory_t *mem,
    ngx_kmip_store_op_t *op, ngx_kmip_object_t *kept, ngx_kmip_object_t *obj)
{
    if (kept->generation != obj->generation || mem->conflicts) {
        mem->conflicts -= mem->conflicts ? 1 : 0;

        return ngx_kmip_store_error(op, NGX_KMIP_STORE_CONFLICT,
                                    "the object has a newer generation");
    }

    obj->generation++;
    op->object = obj;

    /* the material is the object's own: an update writes attributes */

    if (ngx_kmip_store_memory_copy(mem->pool, kept, obj, 0) == NULL) {
        return ngx_kmip_store_error(op, NGX_KMIP_STORE_FAILED, "no memory");
    }

    return NGX_OK;
}


/* a Destroy wipes the material; the attributes stay readable */

static ngx_int_t
ngx_kmip_store_memory_delete(ngx_kmip_store_op_t *op, ngx_kmip_object_t *kept,
    ngx_kmip_object_t *obj)
{
    ngx_explicit_memzero(kept->material.data, kept->material.len);
    ngx_str_null(&kept->material);

    kept->destroyed = 1;
    kept->deletion_date = ngx_time();

    obj->destroyed = 1;
    obj->deletion_date = kept->deletion_date;
    op->object = obj;

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_store_memory_all(ngx_kmip_store_memory_t *mem,
    ngx_kmip_store_op_t *op)
{
    ngx_uint_t          i;
    ngx_kmip_object_t  *kept, *obj, *slot;

    kept = mem->objects.elts;

    for (i = 0; i < mem->objects.nelts; i++) {
        if (kept[i].destroyed) {
            continue;
        }

        obj = ngx_kmip_store_memory_copy(op->pool, NULL, &kept[i], 0);
        slot = obj ? ngx_array_push(op->objects) : NULL;

        if (slot == NULL) {
            return ngx_kmip_store_error(op, NGX_KMIP_STORE_FAILED,
                                        "no memory");
        }

        *slot = *obj;
    }

    return NGX_OK;
}


/*
 * A method: the failure the test asked for, or the work of its kind; then
 * its answer now, or with deferred set, on the next run.
 */

static ngx_int_t
ngx_kmip_store_memory_call(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj,
    ngx_str_t *uid)
{
    ngx_int_t                 rc;
    ngx_kmip_store_op_t     **slot;
    ngx_kmip_store_memory_t  *mem = op->store->conf;

    mem->calls++;

    if (mem->failures && mem->spare == 0) {
        mem->failures--;
        rc = ngx_kmip_store_error(op, mem->fail, "failure injected");

    } else {
        if (mem->failures) {
            mem->spare--;
        }

        switch (op->kind) {

        case NGX_KMIP_STORE_CREATE:
            rc = ngx_kmip_store_memory_make(mem, op, obj);
            break;

        case NGX_KMIP_STORE_FETCH:
            rc = ngx_kmip_store_memory_read(mem, op, uid);
            break;

        case NGX_KMIP_STORE_UPDATE:
        case NGX_KMIP_STORE_DESTROY:
            rc = ngx_kmip_store_memory_change(mem, op, obj);
            break;

        case NGX_KMIP_STORE_LIST:
            rc = ngx_kmip_store_memory_all(mem, op);
            break;

        default: /* NGX_KMIP_STORE_REMOVE */
            ngx_kmip_store_memory_forget(mem, uid);
            rc = NGX_OK;
            break;
        }
    }

    if (rc == NGX_OK) {
        op->result = NGX_KMIP_STORE_OK;
    }

    if (!mem->deferred) {
        return rc;
    }

    slot = ngx_array_push(&mem->pending);
    if (slot == NULL) {
        return rc;
    }

    *slot = op;

    return NGX_AGAIN;
}


/* the methods: one way in, ngx_kmip_store_memory_call() */

/* a Create, an Update and a Destroy: the object is the op's argument */

static ngx_int_t
ngx_kmip_store_memory_object(ngx_kmip_store_op_t *op, ngx_kmip_object_t *obj)
{
    return ngx_kmip_store_memory_call(op, obj, &obj->uid);
}


static ngx_int_t
ngx_kmip_store_memory_fetch(ngx_kmip_store_op_t *op, ngx_str_t *uid,
    ngx_uint_t with_material)
{
    /* the material is in memory: it comes with every read */
    return ngx_kmip_store_memory_call(op, NULL, uid);
}


static ngx_int_t
ngx_kmip_store_memory_list(ngx_kmip_store_op_t *op)
{
    return ngx_kmip_store_memory_call(op, NULL, NULL);
}


static ngx_int_t
ngx_kmip_store_memory_remove(ngx_kmip_store_op_t *op, ngx_str_t *uid)
{
    return ngx_kmip_store_memory_call(op, NULL, uid);
}


const ngx_kmip_store_backend_t  ngx_kmip_store_memory_backend = {
    "memory",
    ngx_kmip_store_memory_object,
    ngx_kmip_store_memory_fetch,
    ngx_kmip_store_memory_object,
    ngx_kmip_store_memory_object,
    ngx_kmip_store_memory_list,
    ngx_kmip_store_memory_remove,
    NULL                                /* serve: an update */
};
