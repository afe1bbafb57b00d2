
/*
 * KMIP Request Message parsing and Response Message building.
 */


#include "ngx_kmip_message.h"


/* what a Request Header walk has met so far */

typedef struct {
    const ngx_kmip_item_t      *pv;         /* the Protocol Version */
    uint32_t                    seen;       /* bits of the singleton
                                               fields */
    int                         have_count;
    int                         v2;
    int                         v12;
    int                         v14;
} ngx_kmip_header_seen_t;


static int ngx_kmip_msg_fail(ngx_kmip_error_t *err, const ngx_kmip_item_t *it,
    const char *what);
static int ngx_kmip_parse_version(const ngx_kmip_item_t *pv,
    ngx_kmip_request_t *req, ngx_kmip_error_t *err);
static int ngx_kmip_parse_header(const ngx_kmip_item_t *hdr,
    ngx_kmip_request_t *req, int *version_known, ngx_kmip_error_t *err);
static int ngx_kmip_parse_header_field(const ngx_kmip_item_t *it,
    ngx_kmip_header_seen_t *h, ngx_kmip_request_t *req,
    ngx_kmip_error_t *err);
static int ngx_kmip_parse_header_batch(const ngx_kmip_item_t *it,
    ngx_kmip_header_seen_t *h, ngx_kmip_request_t *req,
    ngx_kmip_error_t *err);
static int ngx_kmip_header_bad_type(const ngx_kmip_item_t *it,
    ngx_kmip_error_t *err);
static int ngx_kmip_header_unknown(const ngx_kmip_item_t *it,
    ngx_kmip_error_t *err);
static int ngx_kmip_parse_authentication(const ngx_kmip_item_t *auth,
    ngx_kmip_request_t *req, ngx_kmip_error_t *err);
static const ngx_kmip_item_t *ngx_kmip_msg_pair(const ngx_kmip_item_t *st,
    uint32_t tag1, uint8_t type1, const ngx_kmip_item_t **one,
    uint32_t tag2, uint8_t type2, const ngx_kmip_item_t **two);
static const char *ngx_kmip_item_field(const ngx_kmip_item_t **field,
    const ngx_kmip_item_t *it, uint8_t type, const char *duplicate,
    const char *bad_type);
static void ngx_kmip_parse_item(const ngx_kmip_item_t *bi,
    ngx_kmip_request_t *req, ngx_kmip_request_item_t *ri);


static int
ngx_kmip_msg_fail(ngx_kmip_error_t *err, const ngx_kmip_item_t *it,
    const char *what)
{
    return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_MESSAGE, 0, it ? it->tag : 0,
                              what);
}


static int
ngx_kmip_parse_version(const ngx_kmip_item_t *pv, ngx_kmip_request_t *req,
    ngx_kmip_error_t *err)
{
    const ngx_kmip_item_t  *major, *minor;

    if (pv == NULL) {
        return ngx_kmip_msg_fail(err, NULL, "missing Protocol Version");
    }

    if (pv->type != NGX_KMIP_TYPE_STRUCTURE || pv->v.kids.count != 2) {
        return ngx_kmip_msg_fail(err, pv, "malformed Protocol Version");
    }

    major = pv->v.kids.first;
    minor = major->next;

    if (major->tag != NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR
        || major->type != NGX_KMIP_TYPE_INTEGER
        || minor->tag != NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR
        || minor->type != NGX_KMIP_TYPE_INTEGER
        || major->v.num < 0 || minor->v.num < 0)
    {
        return ngx_kmip_msg_fail(err, pv, "malformed Protocol Version");
    }

    req->major = (int32_t) major->v.num;
    req->minor = (int32_t) minor->v.num;

    return NGX_KMIP_OK;
}


static int
ngx_kmip_parse_authentication(const ngx_kmip_item_t *auth,
    ngx_kmip_request_t *req, ngx_kmip_error_t *err)
{
    uint32_t                ctype;
    const ngx_kmip_item_t  *cred, *it, *type, *value, *user, *pass;

    if (auth->type != NGX_KMIP_TYPE_STRUCTURE || auth->v.kids.count == 0) {
        return ngx_kmip_msg_fail(err, auth, "malformed Authentication");
    }

    req->authentication = auth;

    for (cred = auth->v.kids.first; cred; cred = cred->next) {

        if (cred->tag != NGX_KMIP_TAG_CREDENTIAL
            || cred->type != NGX_KMIP_TYPE_STRUCTURE)
        {
            return ngx_kmip_msg_fail(err, cred,
                                     "unexpected item in Authentication");
        }

        it = ngx_kmip_msg_pair(cred, NGX_KMIP_TAG_CREDENTIAL_TYPE,
                               NGX_KMIP_TYPE_ENUMERATION, &type,
                               NGX_KMIP_TAG_CREDENTIAL_VALUE, 0, &value);
        if (it) {
            return ngx_kmip_msg_fail(err, it, "malformed Credential");
        }

        if (type == NULL || value == NULL) {
            return ngx_kmip_msg_fail(err, cred,
                                     "Credential without Credential Type "
                                     "or Credential Value");
        }

        ctype = (uint32_t) type->v.num;

        if (ctype != NGX_KMIP_CREDENTIAL_TYPE_USERNAME_AND_PASSWORD) {
            if (req->credential_type == 0) {
                req->credential_type = ctype;
            }

            continue;
        }

        if (value->type != NGX_KMIP_TYPE_STRUCTURE) {
            return ngx_kmip_msg_fail(err, value,
                                     "malformed Username and Password "
                                     "Credential Value");
        }

        it = ngx_kmip_msg_pair(value, NGX_KMIP_TAG_USERNAME,
                               NGX_KMIP_TYPE_TEXT_STRING, &user,
                               NGX_KMIP_TAG_PASSWORD,
                               NGX_KMIP_TYPE_TEXT_STRING, &pass);
        if (it) {
            return ngx_kmip_msg_fail(err, it,
                                     "malformed Username and Password "
                                     "Credential Value");
        }

        if (user == NULL) {
            return ngx_kmip_msg_fail(err, value,
                                     "Username and Password Credential "
                                     "without Username");
        }

        if (req->username == NULL) {
            /* the first Username and Password credential wins */
            req->credential_type = ctype;
            req->username = user->v.str.data;
            req->username_len = user->v.str.len;

            if (pass) {
                req->password = pass->v.str.data;
                req->password_len = pass->v.str.len;
            }
        }
    }

    return NGX_KMIP_OK;
}


/*
 * The two fields of a Credential or of its Value: at most one item of each
 * tag, of its type (0: any), and nothing else.  The first item that breaks
 * the rule, or NULL; *one and *two are the items found, or NULL.
 */

static const ngx_kmip_item_t *
ngx_kmip_msg_pair(const ngx_kmip_item_t *st, uint32_t tag1, uint8_t type1,
    const ngx_kmip_item_t **one, uint32_t tag2, uint8_t type2,
    const ngx_kmip_item_t **two)
{
    const ngx_kmip_item_t  *it;

    *one = NULL;
    *two = NULL;

    for (it = st->v.kids.first; it; it = it->next) {

        if (it->tag == tag1 && *one == NULL
            && (type1 == 0 || it->type == type1))
        {
            *one = it;
            continue;
        }

        if (it->tag == tag2 && *two == NULL
            && (type2 == 0 || it->type == type2))
        {
            *two = it;
            continue;
        }

        return it;
    }

    return NULL;
}


static int
ngx_kmip_parse_header(const ngx_kmip_item_t *hdr, ngx_kmip_request_t *req,
    int *version_known, ngx_kmip_error_t *err)
{
    int                      rc;
    const ngx_kmip_item_t   *it;
    ngx_kmip_header_seen_t   h;

    if (hdr->type != NGX_KMIP_TYPE_STRUCTURE) {
        return ngx_kmip_msg_fail(err, hdr, "Request Header is not a "
                                 "Structure");
    }

    req->header = hdr;

    h.pv = ngx_kmip_ttlv_find(hdr, NGX_KMIP_TAG_PROTOCOL_VERSION);

    rc = ngx_kmip_parse_version(h.pv, req, err);
    if (rc != NGX_KMIP_OK) {
        return rc;
    }

    *version_known = 1;

    h.v2 = (req->major >= 2);
    h.v12 = ngx_kmip_version_ge(req->major, req->minor, 1, 2);
    h.v14 = ngx_kmip_version_ge(req->major, req->minor, 1, 4);

    h.seen = 0;
    h.have_count = 0;

    for (it = hdr->v.kids.first; it; it = it->next) {

        rc = ngx_kmip_parse_header_field(it, &h, req, err);
        if (rc != NGX_KMIP_OK) {
            return rc;
        }
    }

    if (!h.have_count) {
        return ngx_kmip_msg_fail(err, hdr, "missing Batch Count");
    }

    return NGX_KMIP_OK;
}


/*
 * A field may appear once (but Attestation Type); which check a bad field
 * fails first decides the error a client reads, so each case keeps its own
 * order of checks.
 */

#define NGX_KMIP_SEEN(bit)                                                   \
    if (h->seen & (1u << (bit))) {                                           \
        return ngx_kmip_msg_fail(err, it, "duplicate field in Request "      \
                                 "Header");                                  \
    }                                                                        \
    h->seen |= 1u << (bit)

/* the common case: a field met once, then its type */

#define NGX_KMIP_SEEN_TYPE(bit, want_type)                                   \
    NGX_KMIP_SEEN(bit);                                                      \
    if (it->type != (want_type)) {                                           \
        return ngx_kmip_header_bad_type(it, err);                            \
    }


/* the fields that say who asks and how: versions, correlation, credentials */

static int
ngx_kmip_parse_header_field(const ngx_kmip_item_t *it,
    ngx_kmip_header_seen_t *h, ngx_kmip_request_t *req, ngx_kmip_error_t *err)
{
    uint8_t  want;

    switch (it->tag) {

    case NGX_KMIP_TAG_PROTOCOL_VERSION:
        NGX_KMIP_SEEN(0);
        if (it != h->pv) {
            return ngx_kmip_msg_fail(err, it, "duplicate Protocol "
                                     "Version");
        }
        return NGX_KMIP_OK;

    case NGX_KMIP_TAG_MAXIMUM_RESPONSE_SIZE:
        NGX_KMIP_SEEN_TYPE(1, NGX_KMIP_TYPE_INTEGER);
        if (it->v.num <= 0) {
            return ngx_kmip_header_bad_type(it, err);
        }

        req->maximum_response_size = it->v.num;
        return NGX_KMIP_OK;

    case NGX_KMIP_TAG_CLIENT_CORRELATION_VALUE:
    case NGX_KMIP_TAG_SERVER_CORRELATION_VALUE:
        if (!h->v14) {
            return ngx_kmip_header_unknown(it, err);
        }

        if (it->type != NGX_KMIP_TYPE_TEXT_STRING) {
            return ngx_kmip_header_bad_type(it, err);
        }

        if (it->tag == NGX_KMIP_TAG_CLIENT_CORRELATION_VALUE) {
            NGX_KMIP_SEEN(2);
            req->client_correlation_value = it;

        } else {
            NGX_KMIP_SEEN(3);
            req->server_correlation_value = it;
        }

        return NGX_KMIP_OK;

    case NGX_KMIP_TAG_ASYNCHRONOUS_INDICATOR:
        want = h->v2 ? NGX_KMIP_TYPE_ENUMERATION : NGX_KMIP_TYPE_BOOLEAN;
        NGX_KMIP_SEEN_TYPE(4, want);
        req->asynchronous_indicator = it->v.num;
        return NGX_KMIP_OK;

    case NGX_KMIP_TAG_ATTESTATION_CAPABLE_INDICATOR:
        if (!h->v12) {
            return ngx_kmip_header_unknown(it, err);
        }

        NGX_KMIP_SEEN_TYPE(5, NGX_KMIP_TYPE_BOOLEAN);
        req->attestation_capable = (int) it->v.num;
        return NGX_KMIP_OK;

    case NGX_KMIP_TAG_ATTESTATION_TYPE:
        /* MAY be repeated */
        if (!h->v12) {
            return ngx_kmip_header_unknown(it, err);
        }

        if (it->type != NGX_KMIP_TYPE_ENUMERATION) {
            return ngx_kmip_header_bad_type(it, err);
        }

        return NGX_KMIP_OK;

    case NGX_KMIP_TAG_AUTHENTICATION:
        NGX_KMIP_SEEN(6);
        return ngx_kmip_parse_authentication(it, req, err);

    default:
        return ngx_kmip_parse_header_batch(it, h, req, err);
    }
}


/* the fields that say how to run the batch */

static int
ngx_kmip_parse_header_batch(const ngx_kmip_item_t *it,
    ngx_kmip_header_seen_t *h, ngx_kmip_request_t *req, ngx_kmip_error_t *err)
{
    switch (it->tag) {

    case NGX_KMIP_TAG_BATCH_ERROR_CONTINUATION_OPTION:
        NGX_KMIP_SEEN_TYPE(7, NGX_KMIP_TYPE_ENUMERATION);

        if (it->v.num < NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_CONTINUE
            || it->v.num > NGX_KMIP_BATCH_ERROR_CONTINUATION_OPTION_UNDO)
        {
            return ngx_kmip_msg_fail(err, it, "invalid Batch Error "
                                     "Continuation Option");
        }

        req->batch_error_continuation = (uint32_t) it->v.num;
        return NGX_KMIP_OK;

    case NGX_KMIP_TAG_BATCH_ORDER_OPTION:
        NGX_KMIP_SEEN_TYPE(8, NGX_KMIP_TYPE_BOOLEAN);
        req->batch_order_option = (int) it->v.num;
        return NGX_KMIP_OK;

    case NGX_KMIP_TAG_TIME_STAMP:
        NGX_KMIP_SEEN_TYPE(9, NGX_KMIP_TYPE_DATE_TIME);
        req->time_stamp = it->v.num;
        return NGX_KMIP_OK;

    case NGX_KMIP_TAG_BATCH_COUNT:
        NGX_KMIP_SEEN_TYPE(10, NGX_KMIP_TYPE_INTEGER);

        if (it->v.num < 1) {
            return ngx_kmip_msg_fail(err, it, "Batch Count less than 1");
        }

        req->batch_count = (uint32_t) it->v.num;
        h->have_count = 1;
        return NGX_KMIP_OK;

    default:
        return ngx_kmip_header_unknown(it, err);
    }
}

#undef NGX_KMIP_SEEN_TYPE
#undef NGX_KMIP_SEEN


static int
ngx_kmip_header_bad_type(const ngx_kmip_item_t *it, ngx_kmip_error_t *err)
{
    return ngx_kmip_msg_fail(err, it, "invalid type or value in Request "
                             "Header");
}


static int
ngx_kmip_header_unknown(const ngx_kmip_item_t *it, ngx_kmip_error_t *err)
{
    return ngx_kmip_msg_fail(err, it, "unexpected tag in Request Header");
}


/*
 * A Batch Item field that is there once, of one type: set, or the error
 * (the field is left as it was)
 */

static const char *
ngx_kmip_item_field(const ngx_kmip_item_t **field, const ngx_kmip_item_t *it,
    uint8_t type, const char *duplicate, const char *bad_type)
{
    if (*field) {
        return duplicate;
    }

    if (it->type != type) {
        return bad_type;
    }

    *field = it;

    return NULL;
}


static void
ngx_kmip_parse_item(const ngx_kmip_item_t *bi, ngx_kmip_request_t *req,
    ngx_kmip_request_item_t *ri)
{
    int                     have_op;
    const char             *error, *e;
    const ngx_kmip_item_t  *it;

    ri->operation = 0;
    ri->unique_batch_item_id = NULL;
    ri->payload = NULL;
    ri->item_error = NULL;
    ri->item_error_reason = 0;
    ri->message_extension = NULL;
    ri->ephemeral = -1;
    ri->item = bi;

    error = NULL;
    have_op = 0;

    if (bi->type != NGX_KMIP_TYPE_STRUCTURE) {
        error = "Batch Item is not a Structure";
        goto done;
    }

    for (it = bi->v.kids.first; it; it = it->next) {

        switch (it->tag) {

        case NGX_KMIP_TAG_OPERATION:
            if (have_op) {
                error = error ? error : "duplicate Operation";
                break;
            }

            have_op = 1;

            if (it->type != NGX_KMIP_TYPE_ENUMERATION || it->v.num == 0) {
                error = error ? error : "invalid Operation";
                break;
            }

            ri->operation = (uint32_t) it->v.num;
            break;

        case NGX_KMIP_TAG_UNIQUE_BATCH_ITEM_ID:
            e = ngx_kmip_item_field(&ri->unique_batch_item_id, it,
                                    NGX_KMIP_TYPE_BYTE_STRING,
                                    "duplicate Unique Batch Item ID",
                                    "Unique Batch Item ID is not a "
                                    "Byte String");
            error = error ? error : e;
            break;

        case NGX_KMIP_TAG_REQUEST_PAYLOAD:
            e = ngx_kmip_item_field(&ri->payload, it,
                                    NGX_KMIP_TYPE_STRUCTURE,
                                    "duplicate Request Payload",
                                    "Request Payload is not a Structure");
            error = error ? error : e;
            break;

        case NGX_KMIP_TAG_MESSAGE_EXTENSION:
            if (it->type != NGX_KMIP_TYPE_STRUCTURE) {
                error = error ? error : "Message Extension is not a "
                                        "Structure";
                break;
            }

            if (ri->message_extension == NULL) {
                ri->message_extension = it;
            }

            break;

        case NGX_KMIP_TAG_EPHEMERAL:
            if (req->major < 2) {
                error = error ? error : "unexpected tag in Batch Item";
                break;
            }

            if (it->type != NGX_KMIP_TYPE_BOOLEAN || ri->ephemeral != -1) {
                error = error ? error : "invalid Ephemeral";
                break;
            }

            ri->ephemeral = (int) it->v.num;
            break;

        default:
            error = error ? error : "unexpected tag in Batch Item";
            break;
        }
    }

    if (error == NULL) {
        if (!have_op) {
            error = "missing Operation";

        } else if (ri->payload == NULL) {
            error = "missing Request Payload";
        }
    }

done:

    if (error) {
        ri->item_error = error;
        ri->item_error_reason = NGX_KMIP_REASON_INVALID_MESSAGE;
    }
}


int
ngx_kmip_request_parse(const ngx_kmip_item_t *root, ngx_kmip_allocator_t *a,
    ngx_kmip_request_t *req, int *version_known, ngx_kmip_error_t *err)
{
    int                     rc;
    size_t                  n, i;
    const ngx_kmip_item_t  *hdr, *it;

    memset(req, 0, sizeof(ngx_kmip_request_t));
    req->maximum_response_size = -1;
    req->batch_order_option = -1;
    req->time_stamp = -1;
    req->asynchronous_indicator = -1;
    req->attestation_capable = -1;

    *version_known = 0;

    (void) ngx_kmip_ttlv_fail(err, NGX_KMIP_OK, 0, 0, NULL);

    if (root == NULL || root->tag != NGX_KMIP_TAG_REQUEST_MESSAGE
        || root->type != NGX_KMIP_TYPE_STRUCTURE)
    {
        return ngx_kmip_msg_fail(err, root, "not a Request Message");
    }

    hdr = root->v.kids.first;

    if (hdr == NULL || hdr->tag != NGX_KMIP_TAG_REQUEST_HEADER) {
        /* try to find the version anyway, for the error response */
        it = ngx_kmip_ttlv_find(root, NGX_KMIP_TAG_REQUEST_HEADER);
        if (it && it->type == NGX_KMIP_TYPE_STRUCTURE
            && ngx_kmip_parse_version(ngx_kmip_ttlv_find(it,
                                          NGX_KMIP_TAG_PROTOCOL_VERSION),
                                      req, NULL)
               == NGX_KMIP_OK)
        {
            *version_known = 1;
        }

        return ngx_kmip_msg_fail(err, hdr, "Request Message does not start "
                                 "with a Request Header");
    }

    rc = ngx_kmip_parse_header(hdr, req, version_known, err);
    if (rc != NGX_KMIP_OK) {
        return rc;
    }

    n = 0;

    for (it = hdr->next; it; it = it->next) {
        if (it->tag != NGX_KMIP_TAG_BATCH_ITEM) {
            return ngx_kmip_msg_fail(err, it, "unexpected tag in Request "
                                     "Message");
        }

        n++;
    }

    if (n == 0) {
        return ngx_kmip_msg_fail(err, root, "no Batch Item");
    }

    if (n != req->batch_count) {
        return ngx_kmip_msg_fail(err, hdr, "Batch Count does not match the "
                                 "number of Batch Items");
    }

    req->items = a->alloc(a->data, n * sizeof(ngx_kmip_request_item_t));
    if (req->items == NULL) {
        return ngx_kmip_ttlv_fail(err, NGX_KMIP_ERR_NOMEM, 0, 0,
                                  "out of memory");
    }

    req->nitems = n;

    for (i = 0, it = hdr->next; it; it = it->next, i++) {
        ngx_kmip_parse_item(it, req, &req->items[i]);
    }

    return NGX_KMIP_OK;
}


ngx_kmip_item_t *
ngx_kmip_response_build(ngx_kmip_allocator_t *a, int32_t major,
    int32_t minor, int64_t time_stamp, ngx_kmip_response_item_t *items,
    size_t nitems)
{
    size_t                     i;
    uint32_t                   reason;
    ngx_kmip_item_t           *msg, *hdr, *pv, *bi, *ubi;
    ngx_kmip_response_item_t  *ri;

    if (nitems > INT32_MAX) {
        return NULL;
    }

    msg = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_RESPONSE_MESSAGE,
                                 NGX_KMIP_TYPE_STRUCTURE);

    hdr = ngx_kmip_ttlv_add_struct(a, msg, NGX_KMIP_TAG_RESPONSE_HEADER);
    pv = ngx_kmip_ttlv_add_struct(a, hdr, NGX_KMIP_TAG_PROTOCOL_VERSION);

    if (ngx_kmip_ttlv_add_integer(a, pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MAJOR,
                                  major)
        == NULL
        || ngx_kmip_ttlv_add_integer(a, pv, NGX_KMIP_TAG_PROTOCOL_VERSION_MINOR,
                                     minor)
           == NULL
        || ngx_kmip_ttlv_add_datetime(a, hdr, NGX_KMIP_TAG_TIME_STAMP,
                                      time_stamp)
           == NULL
        || ngx_kmip_ttlv_add_integer(a, hdr, NGX_KMIP_TAG_BATCH_COUNT,
                                     (int32_t) nitems)
           == NULL)
    {
        return NULL;
    }

    for (i = 0; i < nitems; i++) {
        ri = &items[i];

        bi = ngx_kmip_ttlv_add_struct(a, msg, NGX_KMIP_TAG_BATCH_ITEM);
        if (bi == NULL) {
            return NULL;
        }

        if (ri->operation
            && ngx_kmip_ttlv_add_enum(a, bi, NGX_KMIP_TAG_OPERATION,
                                      ri->operation)
               == NULL)
        {
            return NULL;
        }

        if (ri->unique_batch_item_id) {
            ubi = ngx_kmip_ttlv_add_bytes(a, bi,
                                          NGX_KMIP_TAG_UNIQUE_BATCH_ITEM_ID,
                                          ri->unique_batch_item_id->v.str.data,
                                          ri->unique_batch_item_id->v.str.len);
            if (ubi == NULL) {
                return NULL;
            }
        }

        if (ngx_kmip_ttlv_add_enum(a, bi, NGX_KMIP_TAG_RESULT_STATUS,
                                   ri->result_status)
            == NULL)
        {
            return NULL;
        }

        reason = ri->result_reason;

        if (reason == 0
            && ri->result_status == NGX_KMIP_STATUS_OPERATION_FAILED)
        {
            reason = NGX_KMIP_REASON_GENERAL_FAILURE;
        }

        if (reason
            && ngx_kmip_ttlv_add_enum(a, bi, NGX_KMIP_TAG_RESULT_REASON, reason)
               == NULL)
        {
            return NULL;
        }

        if (ri->result_message
            && ngx_kmip_ttlv_add_text(a, bi, NGX_KMIP_TAG_RESULT_MESSAGE,
                                      ri->result_message,
                                      ri->result_message_len)
               == NULL)
        {
            return NULL;
        }

        if (ri->payload) {
            ngx_kmip_ttlv_item_append(bi, ri->payload);
        }
    }

    return msg;
}


int
ngx_kmip_response_set_correlation(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *msg, const uint8_t *p, size_t n)
{
    ngx_kmip_item_t  *hdr, *it, *prev, *scv;

    hdr = ngx_kmip_ttlv_find(msg, NGX_KMIP_TAG_RESPONSE_HEADER);
    if (hdr == NULL || hdr->type != NGX_KMIP_TYPE_STRUCTURE) {
        return -1;
    }

    prev = NULL;

    for (it = hdr->v.kids.first; it; it = it->next) {
        if (it->tag == NGX_KMIP_TAG_BATCH_COUNT) {
            break;
        }

        prev = it;
    }

    if (it == NULL || prev == NULL) {
        return -1;
    }

    scv = ngx_kmip_ttlv_item_new(a, NGX_KMIP_TAG_SERVER_CORRELATION_VALUE,
                                 NGX_KMIP_TYPE_TEXT_STRING);
    if (scv == NULL) {
        return -1;
    }

    scv->v.str.data = p;
    scv->v.str.len = n;

    scv->next = it;
    prev->next = scv;
    hdr->v.kids.count++;

    return 0;
}
