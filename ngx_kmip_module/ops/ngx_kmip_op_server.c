
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_ops.h"


/*
 * Operations about the server itself: Discover Versions and Query. They
 * answer from configuration and from the operations table, never from the
 * key store, so vCenter's connection checks cost no Key Protect call.
 */


/* the managed object types the store keeps (Query Objects) */

/*
 * the object types kept, in the specification's order, and the versions
 * that have them: since, and until (0: still); a Template is 1.x's only
 */

#define NGX_KMIP_V(major, minor)  NGX_KMIP_VERSION(major, minor)

static const struct {
    uint32_t                    type;
    ngx_uint_t                  since;
    ngx_uint_t                  until;
} ngx_kmip_op_object_types[] = {
    { NGX_KMIP_OBJECT_TYPE_CERTIFICATE, NGX_KMIP_V(1, 0), 0 },
    { NGX_KMIP_OBJECT_TYPE_SYMMETRIC_KEY, NGX_KMIP_V(1, 0), 0 },
    { NGX_KMIP_OBJECT_TYPE_PUBLIC_KEY, NGX_KMIP_V(1, 0), 0 },
    { NGX_KMIP_OBJECT_TYPE_PRIVATE_KEY, NGX_KMIP_V(1, 0), 0 },
    { NGX_KMIP_OBJECT_TYPE_SPLIT_KEY, NGX_KMIP_V(1, 0), 0 },
    { NGX_KMIP_OBJECT_TYPE_TEMPLATE, NGX_KMIP_V(1, 0), NGX_KMIP_V(1, 4) },
    { NGX_KMIP_OBJECT_TYPE_SECRET_DATA, NGX_KMIP_V(1, 0), 0 },
    { NGX_KMIP_OBJECT_TYPE_OPAQUE_OBJECT, NGX_KMIP_V(1, 0), 0 },
    { NGX_KMIP_OBJECT_TYPE_PGP_KEY, NGX_KMIP_V(1, 2), 0 },
    { NGX_KMIP_OBJECT_TYPE_CERTIFICATE_REQUEST, NGX_KMIP_V(2, 0), 0 },
    { 0, 0, 0 }
};


static ngx_int_t ngx_kmip_read_version(const ngx_kmip_item_t *pv,
    ngx_kmip_version_t *v);
static ngx_kmip_item_t *ngx_kmip_add_version(ngx_kmip_req_t *r,
    ngx_kmip_item_t *parent, ngx_kmip_version_t *v);


ngx_int_t
ngx_kmip_op_discover_versions(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    ngx_uint_t               i, offered;
    ngx_kmip_item_t         *payload, *item;
    ngx_kmip_version_t      *sv, cv;

    payload = ngx_kmip_payload_new(r);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    offered = 0;

    for (item = in->payload ? in->payload->v.kids.first : NULL;
         item;
         item = item->next)
    {
        if (item->tag != NGX_KMIP_TAG_PROTOCOL_VERSION
            || ngx_kmip_read_version(item, &cv) != NGX_OK)
        {
            return ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_INVALID_MESSAGE,
                                        "Discover Versions payload holds "
                                        "something other than Protocol "
                                        "Version structures");
        }

        offered++;
    }

    /*
     * The answer is the server's list in its order of preference; when the
     * client sent its own list, only the versions both support remain.
     */

    sv = r->conf->versions->elts;

    for (i = 0; i < r->conf->versions->nelts; i++) {

        if (offered) {
            for (item = in->payload->v.kids.first; item; item = item->next) {
                (void) ngx_kmip_read_version(item, &cv);

                if (cv.major == sv[i].major && cv.minor == sv[i].minor) {
                    break;
                }
            }

            if (item == NULL) {
                continue;
            }
        }

        if (ngx_kmip_add_version(r, payload, &sv[i]) == NULL) {
            return NGX_ERROR;
        }
    }

    out->payload = payload;

    return NGX_OK;
}


static ngx_int_t
ngx_kmip_read_version(const ngx_kmip_item_t *pv, ngx_kmip_version_t *v)
{
    ngx_kmip_item_t  *major, *minor;

    if (pv->type != NGX_KMIP_TYPE_STRUCTURE) {
        return NGX_ERROR;
    }

    major = ngx_kmip_ttlv_find(pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR);
    minor = ngx_kmip_ttlv_find(pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR);

    if (major == NULL || minor == NULL
        || major->type != NGX_KMIP_TYPE_INTEGER
        || minor->type != NGX_KMIP_TYPE_INTEGER
        || major->v.num < 0 || minor->v.num < 0)
    {
        return NGX_ERROR;
    }

    v->major = (ngx_uint_t) major->v.num;
    v->minor = (ngx_uint_t) minor->v.num;

    return NGX_OK;
}


static ngx_kmip_item_t *
ngx_kmip_add_version(ngx_kmip_req_t *r, ngx_kmip_item_t *parent,
    ngx_kmip_version_t *v)
{
    ngx_kmip_item_t  *pv;

    pv = ngx_kmip_ttlv_add_struct(&r->alloc, parent,
                                  NGX_KMIP_TAG_PROTOCOL_VERSION);

    if (ngx_kmip_ttlv_add_integer(&r->alloc, pv,
                                  NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR,
                                  (int32_t) v->major)
        == NULL
        || ngx_kmip_ttlv_add_integer(&r->alloc, pv,
                                     NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR,
                                     (int32_t) v->minor)
           == NULL)
    {
        return NULL;
    }

    return pv;
}


/*
 * Query: the response payload lists what the server has, in the order the
 * specification gives the payload fields, whatever the order of the Query
 * Functions in the request. Functions the server has nothing for (extension
 * lists, attestation types, RNGs, profiles...) add nothing.
 */

#define NGX_KMIP_QUERY_OPERATIONS          0x01
#define NGX_KMIP_QUERY_OBJECTS             0x02
#define NGX_KMIP_QUERY_SERVER_INFORMATION  0x04


ngx_int_t
ngx_kmip_op_query(ngx_kmip_req_t *r, ngx_kmip_request_item_t *in,
    ngx_kmip_response_item_t *out)
{
    u_char                *version;
    ngx_uint_t             want;
    ngx_uint_t             t;
    ngx_kmip_item_t       *payload, *item, *info;
    const ngx_kmip_op_t   *op;

    want = 0;

    for (item = in->payload ? in->payload->v.kids.first : NULL;
         item;
         item = item->next)
    {
        if (item->tag != NGX_KMIP_TAG_QUERY_FUNCTION
            || item->type != NGX_KMIP_TYPE_ENUMERATION)
        {
            return ngx_kmip_result_fail(r, out,
                                        NGX_KMIP_REASON_INVALID_MESSAGE,
                                        "Query payload holds something "
                                        "other than Query Function "
                                        "enumerations");
        }

        switch (item->v.num) {

        case NGX_KMIP_QUERY_FUNCTION_QUERY_OPERATIONS:
            want |= NGX_KMIP_QUERY_OPERATIONS;
            break;

        case NGX_KMIP_QUERY_FUNCTION_QUERY_OBJECTS:
            want |= NGX_KMIP_QUERY_OBJECTS;
            break;

        case NGX_KMIP_QUERY_FUNCTION_QUERY_SERVER_INFORMATION:
            want |= NGX_KMIP_QUERY_SERVER_INFORMATION;
            break;

        default:
            /* nothing to report for the other functions */
            break;
        }
    }

    payload = ngx_kmip_payload_new(r);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    if (want & NGX_KMIP_QUERY_OPERATIONS) {
        for (op = ngx_kmip_ops_table(); op->handler; op++) {
            if (!ngx_kmip_op_offered(r, op)) {
                continue;
            }

            if (ngx_kmip_ttlv_add_enum(&r->alloc, payload,
                                       NGX_KMIP_TAG_OPERATION, op->operation)
                == NULL)
            {
                return NGX_ERROR;
            }
        }

        /*
         * Notify and Put are the server's requests to a client, not
         * requests it serves: listed when it sends them (kmip_push)
         */

        if (r->conf->push && r->store
            && (ngx_kmip_ttlv_add_enum(&r->alloc, payload,
                                       NGX_KMIP_TAG_OPERATION,
                                       NGX_KMIP_OP_NOTIFY)
                == NULL
                || ngx_kmip_ttlv_add_enum(&r->alloc, payload,
                                          NGX_KMIP_TAG_OPERATION,
                                          NGX_KMIP_OP_PUT)
                   == NULL))
        {
            return NGX_ERROR;
        }
    }

    /*
     * NGX_KMIP_QUERY_OBJECTS: the managed object types the key store
     * serves, in the specification's order; none without a key store.
     */

    for (t = 0;
         ngx_kmip_op_object_types[t].type
         && (want & NGX_KMIP_QUERY_OBJECTS) && r->store != NULL;
         t++)
    {
        if (r->version >= ngx_kmip_op_object_types[t].since
            && (ngx_kmip_op_object_types[t].until == 0
                || r->version <= ngx_kmip_op_object_types[t].until)
            && ngx_kmip_ttlv_add_enum(&r->alloc, payload,
                                      NGX_KMIP_TAG_OBJECT_TYPE,
                                      ngx_kmip_op_object_types[t].type)
               == NULL)
        {
            return NGX_ERROR;
        }
    }

    if (want & NGX_KMIP_QUERY_SERVER_INFORMATION) {
        if (ngx_kmip_ttlv_add_text(&r->alloc, payload,
                                   NGX_KMIP_TAG_VENDOR_IDENTIFICATION,
                                   r->conf->vendor.data, r->conf->vendor.len)
            == NULL)
        {
            return NGX_ERROR;
        }

        if (r->version >= NGX_KMIP_VERSION(2, 0)) {
            /* the 2.x Server Information structure has defined fields */

            info = ngx_kmip_ttlv_add_struct(&r->alloc, payload,
                                            NGX_KMIP_TAG_SERVER_INFORMATION);

            version = (u_char *) NGX_KMIP_SERVER_VERSION;

            if (ngx_kmip_ttlv_add_text(&r->alloc, info,
                                       NGX_KMIP_TAG_PRODUCT_NAME,
                                       (u_char *) "ngx_kmip", 8)
                == NULL
                || ngx_kmip_ttlv_add_text(&r->alloc, info,
                                          NGX_KMIP_TAG_SERVER_VERSION,
                                          version, ngx_strlen(version))
                   == NULL)
            {
                return NGX_ERROR;
            }
        }
    }

    out->payload = payload;

    return NGX_OK;
}
