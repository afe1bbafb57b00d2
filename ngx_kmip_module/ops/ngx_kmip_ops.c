
/*
 * Copyright (C) ngx_kmip authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_kmip_tags.h"
#include "ngx_kmip_enums.h"
#include "ngx_kmip_reasons.h"
#include "ngx_kmip_ops.h"
#include "ngx_kmip_undo.h"
#include "ngx_kmip_op_crypto.h"
#include "ngx_kmip_op_usage.h"


/*
 * The table of implemented operations, in operation code order. Query's
 * "Operations" answer is derived from it, so what the server announces is
 * exactly what it runs: the operations on managed objects only when a key
 * store is configured, Interop only on a test server (kmip_interop). An
 * operation is accepted only in the protocol versions that define it.
 */

static const ngx_kmip_op_t  ngx_kmip_ops[] = {

    { NGX_KMIP_OP_CREATE, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_create },
    { NGX_KMIP_OP_CREATE_KEY_PAIR, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_create_key_pair },
    { NGX_KMIP_OP_REGISTER, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_register },
    { NGX_KMIP_OP_CERTIFY, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_certify },
    { NGX_KMIP_OP_RE_CERTIFY, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_re_certify },
    { NGX_KMIP_OP_LOCATE, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_locate },
    { NGX_KMIP_OP_CHECK, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_check },
    { NGX_KMIP_OP_GET, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_get },
    { NGX_KMIP_OP_GET_ATTRIBUTES, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_get_attributes },
    { NGX_KMIP_OP_GET_ATTRIBUTE_LIST, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_get_attribute_list },
    { NGX_KMIP_OP_ADD_ATTRIBUTE, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_change_attribute },
    { NGX_KMIP_OP_MODIFY_ATTRIBUTE, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_change_attribute },
    { NGX_KMIP_OP_DELETE_ATTRIBUTE, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_change_attribute },
    { NGX_KMIP_OP_OBTAIN_LEASE, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_obtain_lease },
    { NGX_KMIP_OP_GET_USAGE_ALLOCATION, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_get_usage_allocation },
    { NGX_KMIP_OP_ACTIVATE, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_activate },
    { NGX_KMIP_OP_REVOKE, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_revoke },
    { NGX_KMIP_OP_DESTROY, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_destroy },
    { NGX_KMIP_OP_ARCHIVE, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_archive },
    { NGX_KMIP_OP_RECOVER, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_recover },
    { NGX_KMIP_OP_RE_KEY, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_rekey },
    { NGX_KMIP_OP_DERIVE_KEY, NGX_KMIP_VERSION(1, 0), 1,
      ngx_kmip_op_derive_key },
    { NGX_KMIP_OP_QUERY, NGX_KMIP_VERSION(1, 0), 0,
      ngx_kmip_op_query },
    { NGX_KMIP_OP_CANCEL, NGX_KMIP_VERSION(1, 0), 0,
      ngx_kmip_op_cancel },
    { NGX_KMIP_OP_POLL, NGX_KMIP_VERSION(1, 0), 0,
      ngx_kmip_op_poll },
    { NGX_KMIP_OP_RE_KEY_KEY_PAIR, NGX_KMIP_VERSION(1, 1), 1,
      ngx_kmip_op_rekey_key_pair },
    { NGX_KMIP_OP_DISCOVER_VERSIONS, NGX_KMIP_VERSION(1, 1), 0,
      ngx_kmip_op_discover_versions },
    { NGX_KMIP_OP_SIGN, NGX_KMIP_VERSION(1, 2), 1,
      ngx_kmip_op_signature },
    { NGX_KMIP_OP_SIGNATURE_VERIFY, NGX_KMIP_VERSION(1, 2), 1,
      ngx_kmip_op_signature },
    { NGX_KMIP_OP_ENCRYPT, NGX_KMIP_VERSION(1, 2), 1,
      ngx_kmip_op_encrypt },
    { NGX_KMIP_OP_DECRYPT, NGX_KMIP_VERSION(1, 2), 1,
      ngx_kmip_op_decrypt },
    { NGX_KMIP_OP_MAC, NGX_KMIP_VERSION(1, 2), 1,
      ngx_kmip_op_mac },
    { NGX_KMIP_OP_MAC_VERIFY, NGX_KMIP_VERSION(1, 2), 1,
      ngx_kmip_op_mac },
    { NGX_KMIP_OP_RNG_RETRIEVE, NGX_KMIP_VERSION(1, 3), 0,
      ngx_kmip_op_rng_retrieve },
    { NGX_KMIP_OP_RNG_SEED, NGX_KMIP_VERSION(1, 3), 0,
      ngx_kmip_op_rng_seed },
    { NGX_KMIP_OP_HASH, NGX_KMIP_VERSION(1, 2), 0,
      ngx_kmip_op_hash },
    { NGX_KMIP_OP_CREATE_SPLIT_KEY, NGX_KMIP_VERSION(1, 2), 1,
      ngx_kmip_op_create_split_key },
    { NGX_KMIP_OP_JOIN_SPLIT_KEY, NGX_KMIP_VERSION(1, 2), 1,
      ngx_kmip_op_join_split_key },
    { NGX_KMIP_OP_IMPORT, NGX_KMIP_VERSION(2, 0), 1,
      ngx_kmip_op_import },
    { NGX_KMIP_OP_EXPORT, NGX_KMIP_VERSION(2, 0), 1,
      ngx_kmip_op_export },
    { NGX_KMIP_OP_LOG, NGX_KMIP_VERSION(2, 0), 0,
      ngx_kmip_op_log },
    { NGX_KMIP_OP_ADJUST_ATTRIBUTE, NGX_KMIP_VERSION(2, 0), 1,
      ngx_kmip_op_change_attribute },
    { NGX_KMIP_OP_SET_ATTRIBUTE, NGX_KMIP_VERSION(2, 0), 1,
      ngx_kmip_op_change_attribute },
    { NGX_KMIP_OP_SET_ENDPOINT_ROLE, NGX_KMIP_VERSION(2, 0), 0,
      ngx_kmip_op_set_endpoint_role },
    { NGX_KMIP_OP_INTEROP, NGX_KMIP_VERSION(2, 0), 0,
      ngx_kmip_op_interop },

    { 0, 0, 0, NULL }
};


/* operation names as the access log and the error log show them */

static const char  *ngx_kmip_operation_names[] = {
    NULL,
    "Create", "CreateKeyPair", "Register", "ReKey", "DeriveKey",
    "Certify", "ReCertify", "Locate", "Check", "Get",
    "GetAttributes", "GetAttributeList", "AddAttribute",
    "ModifyAttribute", "DeleteAttribute", "ObtainLease",
    "GetUsageAllocation", "Activate", "Revoke", "Destroy", "Archive",
    "Recover", "Validate", "Query", "Cancel", "Poll", "Notify", "Put",
    "ReKeyKeyPair", "DiscoverVersions", "Encrypt", "Decrypt", "Sign",
    "SignatureVerify", "MAC", "MACVerify", "RNGRetrieve", "RNGSeed",
    "Hash", "CreateSplitKey", "JoinSplitKey", "Import", "Export", "Log",
    "Login", "Logout", "DelegatedLogin", "AdjustAttribute",
    "SetAttribute", "SetEndpointRole", "PKCS11", "Interop",
    "ReProvision", "SetDefaults", "SetConstraints", "GetConstraints",
    "QueryAsynchronousRequests", "Process", "Ping"
};


typedef struct {
    uint32_t                    reason;
    const char                 *name;
} ngx_kmip_reason_name_t;


static const ngx_kmip_reason_name_t  ngx_kmip_reason_names[] = {
    { NGX_KMIP_REASON_ITEM_NOT_FOUND, "ItemNotFound" },
    { NGX_KMIP_REASON_RESPONSE_TOO_LARGE, "ResponseTooLarge" },
    { NGX_KMIP_REASON_AUTHENTICATION_NOT_SUCCESSFUL,
      "AuthenticationNotSuccessful" },
    { NGX_KMIP_REASON_INVALID_MESSAGE, "InvalidMessage" },
    { NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
      "OperationNotSupported" },
    { NGX_KMIP_REASON_MISSING_DATA, "MissingData" },
    { NGX_KMIP_REASON_INVALID_FIELD, "InvalidField" },
    { NGX_KMIP_REASON_FEATURE_NOT_SUPPORTED, "FeatureNotSupported" },
    { NGX_KMIP_REASON_CRYPTOGRAPHIC_FAILURE, "CryptographicFailure" },
    { NGX_KMIP_REASON_ILLEGAL_OPERATION, "IllegalOperation" },
    { NGX_KMIP_REASON_PERMISSION_DENIED, "PermissionDenied" },
    { NGX_KMIP_REASON_OBJECT_ARCHIVED, "ObjectArchived" },
    { NGX_KMIP_REASON_USAGE_LIMIT_EXCEEDED, "UsageLimitExceeded" },
    { NGX_KMIP_REASON_NUMERIC_RANGE, "NumericRange" },
    { NGX_KMIP_REASON_INVALID_DATA_TYPE, "InvalidDataType" },
    { NGX_KMIP_REASON_READ_ONLY_ATTRIBUTE, "ReadOnlyAttribute" },
    { NGX_KMIP_REASON_MULTI_VALUED_ATTRIBUTE,
      "MultiValuedAttribute" },
    { NGX_KMIP_REASON_ILLEGAL_OBJECT_TYPE, "IllegalObjectType" },
    { NGX_KMIP_REASON_INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK,
      "IncompatibleCryptographicUsageMask" },
    { NGX_KMIP_REASON_OBJECT_DESTROYED, "ObjectDestroyed" },
    { NGX_KMIP_REASON_OBJECT_NOT_FOUND, "ObjectNotFound" },
    { NGX_KMIP_REASON_GENERAL_FAILURE, "GeneralFailure" },
    { 0, NULL }
};


const char *
ngx_kmip_operation_name(uint32_t operation)
{
    if (operation < sizeof(ngx_kmip_operation_names) / sizeof(char *)
        && ngx_kmip_operation_names[operation] != NULL)
    {
        return ngx_kmip_operation_names[operation];
    }

    return "Unknown";
}


uint32_t
ngx_kmip_operation_by_name(ngx_str_t *name)
{
    u_char      c;
    uint32_t    op;
    const char *known;
    ngx_uint_t  i, k;

    for (op = 1;
         op < sizeof(ngx_kmip_operation_names) / sizeof(char *);
         op++)
    {
        known = ngx_kmip_operation_names[op];
        k = 0;

        for (i = 0; i < name->len; i++) {
            c = name->data[i];

            if (c == ' ' || c == '_' || c == '-') {
                continue;
            }

            if (known[k] == '\0' || ngx_tolower(c) != ngx_tolower(known[k]))
            {
                break;
            }

            k++;
        }

        if (i == name->len && k > 0 && known[k] == '\0') {
            return op;
        }
    }

    return 0;
}


const char *
ngx_kmip_result_name(uint32_t status, uint32_t reason)
{
    const ngx_kmip_reason_name_t  *rn;

    if (status == NGX_KMIP_STATUS_SUCCESS) {
        return "Success";
    }

    if (status == NGX_KMIP_STATUS_OPERATION_UNDONE) {
        return "OperationUndone";
    }

    for (rn = ngx_kmip_reason_names; rn->name; rn++) {
        if (rn->reason == reason) {
            return rn->name;
        }
    }

    return "Failed";
}


const ngx_kmip_op_t *
ngx_kmip_ops_table(void)
{
    return ngx_kmip_ops;
}


static const ngx_kmip_op_t *
ngx_kmip_op_find(uint32_t operation)
{
    const ngx_kmip_op_t  *op;

    for (op = ngx_kmip_ops; op->handler; op++) {
        if (op->operation == operation) {
            return op;
        }
    }

    return NULL;
}


/*
 * With kmip_credentials_file, a request without a credential may still
 * discover versions, query and read or tag attributes (vCenter 8 sends no
 * credential for those), but not create, reveal or change keys. Which
 * attributes it may tag is the attribute operations' own check
 * (ngx_kmip_op_change_one()): its custom "x-" ones only.
 */

ngx_uint_t
ngx_kmip_op_needs_credential(uint32_t operation)
{
    switch (operation) {

    case NGX_KMIP_OP_DISCOVER_VERSIONS:
    case NGX_KMIP_OP_QUERY:
    case NGX_KMIP_OP_GET_ATTRIBUTES:
    case NGX_KMIP_OP_GET_ATTRIBUTE_LIST:
    case NGX_KMIP_OP_ADD_ATTRIBUTE:
    case NGX_KMIP_OP_MODIFY_ATTRIBUTE:
    case NGX_KMIP_OP_DELETE_ATTRIBUTE:
        return 0;

    default:
        return 1;
    }
}


ngx_uint_t
ngx_kmip_op_supported(uint32_t operation, ngx_uint_t version)
{
    const ngx_kmip_op_t  *op;

    op = ngx_kmip_op_find(operation);

    return op != NULL && version >= op->since;
}


/* operations of test servers only, offered with kmip_interop on */

static ngx_uint_t
ngx_kmip_op_test_only(uint32_t operation)
{
    return operation == NGX_KMIP_OP_INTEROP;
}


/* operations that issue certificates, offered with a CA configured */

static ngx_uint_t
ngx_kmip_op_issues(uint32_t operation)
{
    return operation == NGX_KMIP_OP_CERTIFY
           || operation == NGX_KMIP_OP_RE_CERTIFY;
}


/* what the server offers at all: kmip_operations, kmip_interop, the CA */

static ngx_uint_t
ngx_kmip_op_served(ngx_kmip_req_t *r, const ngx_kmip_op_t *op)
{
    return ngx_kmip_opset_has(r->conf->operations, op->operation)
           && (!ngx_kmip_op_test_only(op->operation) || r->conf->interop)
           && (!ngx_kmip_op_issues(op->operation) || r->conf->ca != NULL);
}


/* what the client's scope may run (a server without scopes: everything) */

static ngx_uint_t
ngx_kmip_op_permitted(ngx_kmip_req_t *r, uint32_t operation)
{
    return r->scope == NULL
           || ngx_kmip_opset_has(r->scope->operations, operation);
}


ngx_uint_t
ngx_kmip_op_offered(ngx_kmip_req_t *r, const ngx_kmip_op_t *op)
{
    return r->version >= op->since
           && (!op->store || r->store != NULL)
           && ngx_kmip_op_served(r, op)
           && ngx_kmip_op_permitted(r, op->operation);
}


ngx_int_t
ngx_kmip_version_supported(ngx_uint_t major, ngx_uint_t minor)
{
    return (major == 1 && minor <= 4) || (major == 2 && minor <= 1);
}


static void *
ngx_kmip_pool_alloc(void *data, size_t size)
{
    return ngx_palloc((ngx_pool_t *) data, size);
}


ngx_int_t
ngx_kmip_req_init(ngx_kmip_req_t *r)
{
    r->alloc.alloc = ngx_kmip_pool_alloc;
    r->alloc.data = r->pool;

    return NGX_OK;
}


ngx_kmip_item_t *
ngx_kmip_payload_new(ngx_kmip_req_t *r)
{
    return ngx_kmip_ttlv_item_new(&r->alloc, NGX_KMIP_TAG_RESPONSE_PAYLOAD,
                                  NGX_KMIP_TYPE_STRUCTURE);
}


ngx_int_t
ngx_kmip_result_fail(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    uint32_t reason, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    (void) ngx_kmip_result_vfail(r, out, reason, "", fmt, args);
    va_end(args);

    return NGX_OK;
}


/* a field the operation cannot do without (ngx_kmip_ops.h) */

ngx_kmip_item_t *
ngx_kmip_op_need(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    const ngx_kmip_item_t *parent, uint32_t tag, uint32_t type,
    const char *fmt, ...)
{
    va_list           args;
    ngx_kmip_item_t  *it;

    it = ngx_kmip_ttlv_find(parent, tag);

    if (it != NULL && it->type == type) {
        return it;
    }

    va_start(args, fmt);
    (void) ngx_kmip_result_vfail(r, out, NGX_KMIP_REASON_MISSING_DATA, "",
                                 fmt, args);
    va_end(args);

    return NULL;
}


ngx_int_t
ngx_kmip_result_vfail(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out,
    uint32_t reason, const char *prefix, const char *fmt, va_list args)
{
    u_char  *p, *last;

    out->result_status = NGX_KMIP_STATUS_OPERATION_FAILED;
    out->result_reason = ngx_kmip_reason_for_version(reason,
                                                     (unsigned) r->version);
    out->payload = NULL;

    p = ngx_pnalloc(r->pool, NGX_MAX_ERROR_STR);
    if (p == NULL) {
        /* the item fails all the same, without its message */
        out->result_message = NULL;
        out->result_message_len = 0;
        return NGX_OK;
    }

    last = ngx_slprintf(p, p + NGX_MAX_ERROR_STR, "%s", prefix);
    last = ngx_vslprintf(last, p + NGX_MAX_ERROR_STR, fmt, args);

    out->result_message = p;
    out->result_message_len = last - p;

    return NGX_OK;
}


/*
 * With "Stop", the default Batch Error Continuation Option, the items after
 * a failed one are not run, and the response carries only those that were;
 * so with "Undo", which then undoes the items before the failed one.
 */

static ngx_uint_t
ngx_kmip_batch_stops(ngx_kmip_req_t *r, ngx_kmip_response_item_t *out)
{
    return out->result_status != NGX_KMIP_STATUS_SUCCESS
           && r->msg.batch_error_continuation
              != NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_CONTINUE;
}


/* an item has its answer */

static void
ngx_kmip_batch_answered(ngx_kmip_req_t *r)
{
    r->nresults++;

    if (r->item_done) {
        r->item_done(r, r->nresults - 1);
    }

    if (r->undo) {
        ngx_kmip_undo_item_answered(r, r->nresults - 1);
    }
}


/* no more items run: Undo may still have to commit or roll back */

static ngx_int_t
ngx_kmip_batch_end(ngx_kmip_req_t *r)
{
    if (r->undo) {
        return ngx_kmip_undo_end(r);
    }

    return NGX_OK;
}


/*
 * Runs batch items from r->nresults on. Returns NGX_OK when every item that
 * is to be answered has been, NGX_AGAIN when an operation is waiting: it
 * then calls ngx_kmip_op_complete(), which resumes here and calls r->done()
 * once the batch is over.
 */

ngx_int_t
ngx_kmip_batch_run(ngx_kmip_req_t *r)
{
    uint32_t                   reason;
    ngx_int_t                  rc;
    const ngx_kmip_op_t       *op;
    ngx_kmip_request_item_t   *in;
    ngx_kmip_response_item_t  *out;

    if (r->nresults == 0 && r->undo == NULL && r->msg.nitems
        && r->msg.batch_error_continuation
           == NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_UNDO
        && ngx_kmip_undo_init(r) != NGX_OK)
    {
        /* no journal, no Undo: nothing is run */
        out = &r->results[0];
        ngx_memzero(out, sizeof(ngx_kmip_response_item_t));
        out->operation = r->msg.items[0].operation;
        out->unique_batch_item_id = r->msg.items[0].unique_batch_item_id;
        (void) ngx_kmip_result_fail(r, out,
                                    NGX_KMIP_REASON_GENERAL_FAILURE,
                                    "no memory for the batch's Undo");
        ngx_kmip_batch_answered(r);
        return NGX_OK;
    }

    while (r->nresults < r->msg.nitems) {

        in = &r->msg.items[r->nresults];
        out = &r->results[r->nresults];

        ngx_memzero(out, sizeof(ngx_kmip_response_item_t));
        out->operation = in->operation;
        out->unique_batch_item_id = in->unique_batch_item_id;
        out->result_status = NGX_KMIP_STATUS_SUCCESS;

        r->last_operation = in->operation;
        r->item_start = ngx_current_msec;
        r->item_calls = ngx_kmip_store_trace_mark(r->store);
        r->item_fenced = r->store ? r->store->fenced : 0;

        if (r->undo) {
            ngx_kmip_undo_item_start(r);
        }

        op = ngx_kmip_op_find(in->operation);

        if (op && !ngx_kmip_op_served(r, op)) {
            /*
             * off for the whole server (kmip_operations; Interop on a
             * server that is not a test server): as if the operation did
             * not exist
             */
            op = NULL;
        }

        if (in->item_error) {
            ngx_log_error(NGX_LOG_INFO, r->log, 0,
                          "kmip: invalid batch item %ui: %s",
                          r->nresults + 1, in->item_error);

            reason = in->item_error_reason
                     ? in->item_error_reason
                     : NGX_KMIP_REASON_INVALID_MESSAGE;

            (void) ngx_kmip_result_fail(r, out, reason, "%s",
                                        in->item_error);

        } else if (r->anonymous
                   && ngx_kmip_op_needs_credential(in->operation))
        {
            reason = NGX_KMIP_REASON_PERMISSION_DENIED;
            (void) ngx_kmip_result_fail(r, out, reason,
                                        "%s needs a Username and Password "
                                        "credential",
                                        ngx_kmip_operation_name(
                                                             in->operation));

        } else if (op == NULL) {
            reason = NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED;
            (void) ngx_kmip_result_fail(r, out, reason,
                                   "operation %s (0x%02XD) is not supported",
                                   ngx_kmip_operation_name(in->operation),
                                   in->operation);

        } else if (r->version < op->since) {
            reason = NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED;
            (void) ngx_kmip_result_fail(r, out, reason,
                                   "operation %s does not exist in KMIP "
                                   "%ui.%ui",
                                   ngx_kmip_operation_name(in->operation),
                                   r->version / 100, r->version % 100);

        } else if (!ngx_kmip_op_permitted(r, in->operation)) {
            /* before the operation runs: no key store call */
            reason = NGX_KMIP_REASON_PERMISSION_DENIED;
            (void) ngx_kmip_result_fail(r, out, reason,
                                        "scope \"%V\" may not use %s",
                                        &r->scope->name,
                                        ngx_kmip_operation_name(
                                                             in->operation));

        } else {
            ngx_log_debug2(NGX_LOG_DEBUG_STREAM, r->log, 0,
                           "kmip run batch item %ui: %s",
                           r->nresults + 1,
                           ngx_kmip_operation_name(in->operation));

            rc = op->handler(r, in, out);

            if (rc == NGX_AGAIN) {
                return NGX_AGAIN;
            }

            if (rc != NGX_OK) {
                reason = NGX_KMIP_REASON_GENERAL_FAILURE;
                (void) ngx_kmip_result_fail(r, out, reason, "internal error");
            }
        }

        ngx_kmip_batch_answered(r);

        if (ngx_kmip_batch_stops(r, out)) {
            break;
        }
    }

    return ngx_kmip_batch_end(r);
}


void
ngx_kmip_op_complete(ngx_kmip_req_t *r)
{
    ngx_int_t                  rc;
    ngx_kmip_response_item_t  *out;

    out = &r->results[r->nresults];

    ngx_kmip_batch_answered(r);

    if (ngx_kmip_batch_stops(r, out)) {
        rc = ngx_kmip_batch_end(r);

    } else {
        rc = ngx_kmip_batch_run(r);
    }

    if (rc == NGX_OK) {
        r->done(r);
    }
}
