
/*
 * Copyright (C) ngx_kmip authors
 */


#include <stddef.h>

#include "ngx_kmip_enums.h"
#include "ngx_kmip_reasons.h"


/*
 * The reasons added after KMIP 1.0, by value: the version that added each
 * and what an earlier version is answered with instead (see the header).
 * The reasons of 1.0 (1 to 0x11, and General Failure) are not listed.
 */

typedef struct {
    unsigned                since;
    uint32_t                before;     /* the answer before since */
} ngx_kmip_reason_version_t;


#define R(name)  NGX_KMIP_REASON_ ## name
#define NGX_KMIP_REASON_LAST  NGX_KMIP_REASON_DUPLICATE_PROCESS_REQUEST

static const ngx_kmip_reason_version_t
    ngx_kmip_reason_versions[NGX_KMIP_REASON_LAST + 1] =
{
    /* 1.1 to 1.4 */
    [R(ENCODING_OPTION_ERROR)] = { 101, R(FEATURE_NOT_SUPPORTED) },
    [R(KEY_VALUE_NOT_PRESENT)] = { 102, R(ILLEGAL_OPERATION) },
    [R(ATTESTATION_REQUIRED)] = { 102, R(PERMISSION_DENIED) },
    [R(ATTESTATION_FAILED)] = { 102, R(PERMISSION_DENIED) },
    [R(SENSITIVE)] = { 104, R(PERMISSION_DENIED) },
    [R(NOT_EXTRACTABLE)] = { 104, R(PERMISSION_DENIED) },
    [R(OBJECT_ALREADY_EXISTS)] = { 104, R(ILLEGAL_OPERATION) },

    /* 2.0: a missing or destroyed object or attribute */
    [R(ATTRIBUTE_INSTANCE_NOT_FOUND)] = { 200, R(ITEM_NOT_FOUND) },
    [R(ATTRIBUTE_NOT_FOUND)] = { 200, R(ITEM_NOT_FOUND) },
    [R(OBJECT_DESTROYED)] = { 200, R(ITEM_NOT_FOUND) },
    [R(OBJECT_NOT_FOUND)] = { 200, R(ITEM_NOT_FOUND) },
    [R(WRAPPING_OBJECT_DESTROYED)] = { 200, R(ITEM_NOT_FOUND) },
    [R(WRAPPING_OBJECT_NOT_FOUND)] = { 200, R(ITEM_NOT_FOUND) },
    [R(WRAPPING_OBJECT_ARCHIVED)] = { 200, R(OBJECT_ARCHIVED) },

    /* 2.0: what a client may not do */
    [R(INVALID_TICKET)] = { 200, R(PERMISSION_DENIED) },
    [R(USAGE_LIMIT_EXCEEDED)] = { 200, R(PERMISSION_DENIED) },
    [R(READ_ONLY_ATTRIBUTE)] = { 200, R(PERMISSION_DENIED) },
    [R(ATTRIBUTE_READ_ONLY)] = { 200, R(PERMISSION_DENIED) },
    [R(BAD_PASSWORD)] = { 200, R(PERMISSION_DENIED) },
    [R(NOT_AUTHORISED)] = { 200, R(PERMISSION_DENIED) },
    [R(WRONG_KEY_LIFECYCLE_STATE)] = { 200, R(PERMISSION_DENIED) },

    /* 2.0: what cannot be done to this object */
    [R(MULTI_VALUED_ATTRIBUTE)] = { 200, R(ILLEGAL_OPERATION) },
    [R(ATTRIBUTE_SINGLE_VALUED)] = { 200, R(ILLEGAL_OPERATION) },
    [R(ILLEGAL_OBJECT_TYPE)] = { 200, R(ILLEGAL_OPERATION) },
    [R(INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK)] = { 200, R(ILLEGAL_OPERATION) },
    [R(INVALID_OBJECT_TYPE)] = { 200, R(ILLEGAL_OPERATION) },
    [R(NON_UNIQUE_NAME_ATTRIBUTE)] = { 200, R(ILLEGAL_OPERATION) },

    /* 2.0: a bad value */
    [R(NUMERIC_RANGE)] = { 200, R(INVALID_FIELD) },
    [R(INVALID_DATA_TYPE)] = { 200, R(INVALID_FIELD) },
    [R(UNSUPPORTED_ATTRIBUTE)] = { 200, R(INVALID_FIELD) },
    [R(BAD_CRYPTOGRAPHIC_PARAMETERS)] = { 200, R(INVALID_FIELD) },
    [R(CODEC_ERROR)] = { 200, R(INVALID_FIELD) },
    [R(INVALID_ASYNCHRONOUS_CORRELATION_VALUE)] = { 200, R(INVALID_FIELD) },
    [R(INVALID_ATTRIBUTE)] = { 200, R(INVALID_FIELD) },
    [R(INVALID_ATTRIBUTE_VALUE)] = { 200, R(INVALID_FIELD) },
    [R(INVALID_CORRELATION_VALUE)] = { 200, R(INVALID_FIELD) },
    [R(INVALID_CSR)] = { 200, R(INVALID_FIELD) },
    [R(MISSING_INITIALIZATION_VECTOR)] = { 200, R(INVALID_FIELD) },
    [R(UNKNOWN_ENUMERATION)] = { 200, R(INVALID_FIELD) },
    [R(UNKNOWN_TAG)] = { 200, R(INVALID_FIELD) },

    /* 2.0: what the server does not offer */
    [R(KEY_WRAP_TYPE_NOT_SUPPORTED)] = { 200, R(FEATURE_NOT_SUPPORTED) },
    [R(UNKNOWN_MESSAGE_EXTENSION)] = { 200, R(FEATURE_NOT_SUPPORTED) },
    [R(UNSUPPORTED_CRYPTOGRAPHIC_PARAMETERS)] =
        { 200, R(FEATURE_NOT_SUPPORTED) },
    [R(UNKNOWN_OBJECT_GROUP)] = { 200, R(FEATURE_NOT_SUPPORTED) },
    [R(UNSUPPORTED_PROTOCOL_VERSION)] = { 200, R(INVALID_MESSAGE) },

    /* 2.0: the server's own trouble */
    [R(INTERNAL_SERVER_ERROR)] = { 200, R(GENERAL_FAILURE) },
    [R(SERVER_LIMIT_EXCEEDED)] = { 200, R(GENERAL_FAILURE) },
    [R(PROTECTION_STORAGE_UNAVAILABLE)] = { 200, R(GENERAL_FAILURE) },
    [R(PKCS_11_CODEC_ERROR)] = { 200, R(GENERAL_FAILURE) },
    [R(PKCS_11_INVALID_FUNCTION)] = { 200, R(GENERAL_FAILURE) },
    [R(PKCS_11_INVALID_INTERFACE)] = { 200, R(GENERAL_FAILURE) },
    [R(PRIVATE_PROTECTION_STORAGE_UNAVAILABLE)] = { 200, R(GENERAL_FAILURE) },
    [R(PUBLIC_PROTECTION_STORAGE_UNAVAILABLE)] = { 200, R(GENERAL_FAILURE) },

    /* 2.1 */
    [R(CONSTRAINT_VIOLATION)] = { 201, R(ILLEGAL_OPERATION) },
    [R(DUPLICATE_PROCESS_REQUEST)] = { 201, R(GENERAL_FAILURE) },
};

#undef R


/* the entry of a reason added after 1.0, or NULL */

static const ngx_kmip_reason_version_t *
ngx_kmip_reason_find(uint32_t reason)
{
    if (reason > NGX_KMIP_REASON_LAST
        || ngx_kmip_reason_versions[reason].since == 0)
    {
        return NULL;
    }

    return &ngx_kmip_reason_versions[reason];
}


unsigned
ngx_kmip_reason_since(uint32_t reason)
{
    const ngx_kmip_reason_version_t  *rv;

    if ((reason >= NGX_KMIP_REASON_ITEM_NOT_FOUND
         && reason <= NGX_KMIP_REASON_KEY_COMPRESSION_TYPE_NOT_SUPPORTED)
        || reason == NGX_KMIP_REASON_GENERAL_FAILURE)
    {
        return 100;
    }

    rv = ngx_kmip_reason_find(reason);

    return rv ? rv->since : 0;
}


uint32_t
ngx_kmip_reason_for_version(uint32_t reason, unsigned version)
{
    const ngx_kmip_reason_version_t  *rv;

    /* the earlier version's reason may itself be newer (none is today) */

    while ((rv = ngx_kmip_reason_find(reason)) != NULL
           && version < rv->since)
    {
        reason = rv->before;
    }

    return reason;
}
