
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_VIEW_H_INCLUDED_
#define _NGX_KMIP_OP_VIEW_H_INCLUDED_


/*
 * An object's attributes as clients see them, and the numeric attributes
 * the operations read and set.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_ops.h"
#include "ngx_kmip_store.h"
#include "ngx_kmip_attr.h"


/* the object's attributes as clients see them (destroyed: State and
   Destroy Date from the deletion) */
ngx_int_t ngx_kmip_op_view(ngx_kmip_req_t *r, ngx_kmip_object_t *obj,
    ngx_kmip_attrs_t *view);
int64_t ngx_kmip_op_attr_num(ngx_kmip_attrs_t *l, const char *name,
    int64_t dflt);
ngx_int_t ngx_kmip_op_set_num(ngx_kmip_req_t *r, ngx_kmip_attrs_t *l,
    const char *name, uint8_t type, int64_t v);
const char *ngx_kmip_state_name(int64_t state);

/*
 * Sensitive, Extractable and their histories, which every object has:
 * the defaults of an object stored before the server kept them, and the
 * histories brought up to date after a change
 */
ngx_int_t ngx_kmip_op_protection_defaults(ngx_kmip_req_t *r,
    ngx_kmip_attrs_t *l);
ngx_int_t ngx_kmip_op_protection_track(ngx_kmip_req_t *r,
    ngx_kmip_attrs_t *l);

/* the format the object's material is kept and served in by default */
uint32_t ngx_kmip_op_key_format(ngx_kmip_object_t *obj);


#endif /* _NGX_KMIP_OP_VIEW_H_INCLUDED_ */
