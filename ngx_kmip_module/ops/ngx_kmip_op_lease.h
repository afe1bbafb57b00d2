
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_OP_LEASE_H_INCLUDED_
#define _NGX_KMIP_OP_LEASE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_store.h"


/*
 * The lease the server grants on obj, in seconds (Obtain Lease, and what
 * Check compares a Lease Time with): its Lease Time, 0 meaning no limit;
 * -1 when none is granted (a destroyed or Compromised object).
 */
int64_t ngx_kmip_op_lease_of(ngx_kmip_object_t *obj);


#endif /* _NGX_KMIP_OP_LEASE_H_INCLUDED_ */
