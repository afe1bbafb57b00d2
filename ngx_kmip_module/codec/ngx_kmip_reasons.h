
/*
 * Copyright (C) ngx_kmip authors
 */


#ifndef _NGX_KMIP_REASONS_H_INCLUDED_
#define _NGX_KMIP_REASONS_H_INCLUDED_


/*
 * Result Reasons by protocol version. Plain C99, no nginx headers.
 *
 * KMIP added reasons in 1.1 (Encoding Option Error), 1.2 (Key Value Not
 * Present, the Attestation ones), 1.4 (Sensitive, Not Extractable, Object
 * Already Exists) and 2.0 (most of the rest; Constraint Violation and
 * Duplicate Process Request in 2.1). An answer carries only what its
 * version defines: a reason newer than the request's version is sent as
 * the nearest one that version has (the error tables of KMIP 1.4 chapter
 * 11 give it for most: Item Not Found for a missing or destroyed object,
 * Permission Denied for what a client may not do, Illegal Operation for
 * what cannot be done to this object, Invalid Field for a bad value).
 */


#include <stdint.h>


/* the first protocol version (major * 100 + minor) that defines reason;
   0 for a value no version defines */
unsigned ngx_kmip_reason_since(uint32_t reason);

/* reason as an answer in version (major * 100 + minor) gives it */
uint32_t ngx_kmip_reason_for_version(uint32_t reason, unsigned version);


#endif /* _NGX_KMIP_REASONS_H_INCLUDED_ */
