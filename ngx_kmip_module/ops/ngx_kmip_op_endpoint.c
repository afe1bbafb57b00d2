
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_ops.h"


/*
 * Set Endpoint Role (KMIP 2.1 6.1.54): the client asks the server to take
 * a role on this connection from now on. The server role is the one it
 * has, and is confirmed. The client role would have the server send
 * requests (Notify, Put) to the client over the same connection; this
 * server sends none, so it declines with Permission Denied, the reason
 * the specification gives for this operation.
 */


ngx_int_t
ngx_kmip_op_set_endpoint_role(ngx_kmip_req_t *r,
    ngx_kmip_request_item_t *in, ngx_kmip_response_item_t *out)
{
    ngx_kmip_item_t  *role, *payload;

    role = ngx_kmip_ttlv_find(in->payload, NGX_KMIP_TAG_ENDPOINT_ROLE);

    if (role == NULL) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_MISSING_DATA,
                                    "Set Endpoint Role needs an Endpoint "
                                    "Role");
    }

    if (role->type != NGX_KMIP_TYPE_ENUMERATION) {
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Endpoint Role is not an Enumeration");
    }

    switch (role->v.num) {

    case NGX_KMIP_ENDPOINT_ROLE_SERVER:
        break;

    case NGX_KMIP_ENDPOINT_ROLE_CLIENT:
        return ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_PERMISSION_DENIED,
                                    "this server does not take the client "
                                    "role: it sends no requests");

    default:
        return ngx_kmip_result_fail(r, out, NGX_KMIP_REASON_INVALID_FIELD,
                                    "Endpoint Role 0x%08XL is not Client or "
                                    "Server", role->v.num);
    }

    payload = ngx_kmip_payload_new(r);

    if (ngx_kmip_ttlv_add_enum(&r->alloc, payload, NGX_KMIP_TAG_ENDPOINT_ROLE,
                               NGX_KMIP_ENDPOINT_ROLE_SERVER)
        == NULL)
    {
        return NGX_ERROR;
    }

    out->payload = payload;

    return NGX_OK;
}
