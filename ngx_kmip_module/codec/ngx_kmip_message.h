
/*
 * KMIP Request Message parsing and Response Message building, on top of the
 * TTLV codec.  Plain C99, no nginx headers.
 */


#ifndef _NGX_KMIP_MESSAGE_H_INCLUDED_
#define _NGX_KMIP_MESSAGE_H_INCLUDED_


#include "ngx_kmip_ttlv.h"
#include "ngx_kmip_enums.h"


typedef struct {
    uint32_t                 operation;     /* 0 if absent (item_error set) */
    const ngx_kmip_item_t   *unique_batch_item_id;  /* Byte String or NULL:
                                                       echo byte for byte */
    const ngx_kmip_item_t   *payload;       /* Request Payload or NULL */
    const char              *item_error;    /* non-NULL: malformed item,
                                               answer with item_error_reason
                                               (Invalid Message) */
    uint32_t                 item_error_reason;

    /* additions */
    const ngx_kmip_item_t   *message_extension; /* first one, or NULL */
    int                      ephemeral;     /* 2.x Ephemeral: -1 absent */
    const ngx_kmip_item_t   *item;          /* the raw Batch Item */
} ngx_kmip_request_item_t;


typedef struct {
    int32_t                  major, minor;  /* Protocol Version */
    int64_t                  maximum_response_size;     /* -1 when absent */
    const ngx_kmip_item_t   *authentication;    /* raw structure or NULL */
    uint32_t                 credential_type;   /* 0 when absent; of the
                                                   first Username and
                                                   Password credential if
                                                   any, else of the first */
    const uint8_t           *username;
    size_t                   username_len;
    const uint8_t           *password;      /* NULL when absent */
    size_t                   password_len;
    int                      batch_order_option;        /* -1 absent, 0/1 */
    uint32_t                 batch_error_continuation;  /* 0 absent, else
                                                           Continue 1 /
                                                           Stop 2 / Undo 3 */
    int64_t                  time_stamp;                /* -1 absent */
    uint32_t                 batch_count;
    ngx_kmip_request_item_t *items;
    size_t                   nitems;

    /* additions */
    const ngx_kmip_item_t   *header;        /* the raw Request Header */
    int64_t                  asynchronous_indicator;  /* -1 absent; 1.x:
                                                         Boolean 0/1, 2.x:
                                                         enumeration */
    int                      attestation_capable;     /* -1 absent, 0/1 */
    const ngx_kmip_item_t   *client_correlation_value; /* Text or NULL */
    const ngx_kmip_item_t   *server_correlation_value; /* Text or NULL */
} ngx_kmip_request_t;


/*
 * Parses a decoded Request Message.  NGX_KMIP_OK, or NGX_KMIP_ERR_MESSAGE
 * (or NGX_KMIP_ERR_NOMEM) with err filled.  *version_known is set to 1 as
 * soon as a valid Protocol Version has been read (req->major/minor are
 * then valid), so the caller can answer Invalid Message in that version
 * even when the rest of the message is wrong.  Malformed batch items do not
 * fail the message: they carry item_error.  Strings point into the decoded
 * buffer.
 */
int ngx_kmip_request_parse(const ngx_kmip_item_t *root,
    ngx_kmip_allocator_t *a, ngx_kmip_request_t *req, int *version_known,
    ngx_kmip_error_t *err);


typedef struct {
    uint32_t                 operation;     /* 0: omit the Operation tag */
    const ngx_kmip_item_t   *unique_batch_item_id;  /* echoed, or NULL */
    uint32_t                 result_status;
    uint32_t                 result_reason; /* 0 = omit (only with
                                               Success); Operation Failed
                                               with 0 sends General Failure */
    const uint8_t           *result_message;    /* may be NULL */
    size_t                   result_message_len;
    ngx_kmip_item_t         *payload;       /* Response Payload or NULL */
} ngx_kmip_response_item_t;


/*
 * Builds a Response Message tree: Response Header {Protocol Version,
 * Time Stamp, Batch Count} and the batch items in order, each {Operation?,
 * Unique Batch Item ID?, Result Status, Result Reason?, Result Message?,
 * Response Payload?}.  Only fields that exist in every protocol version.
 * The payloads are linked into the tree (not copied).  NULL on allocation
 * failure.
 */
ngx_kmip_item_t *ngx_kmip_response_build(ngx_kmip_allocator_t *a,
    int32_t major, int32_t minor, int64_t time_stamp,
    ngx_kmip_response_item_t *items, size_t nitems);


/*
 * Puts a Server Correlation Value (Text String, not copied) into the header
 * of a response built by ngx_kmip_response_build(), before its Batch Count,
 * where KMIP 1.4 (6.19) and 2.x (9.10) place it.  The caller decides the
 * versions it is sent in.  -1 on allocation failure or a tree that is not
 * such a response.
 */
int ngx_kmip_response_set_correlation(ngx_kmip_allocator_t *a,
    ngx_kmip_item_t *msg, const uint8_t *p, size_t n);


/* 1 if protocol version major.minor is at least want_major.want_minor */
#define ngx_kmip_version_ge(major, minor, want_major, want_minor)            \
    ((major) > (want_major)                                                  \
     || ((major) == (want_major) && (minor) >= (want_minor)))


#endif /* _NGX_KMIP_MESSAGE_H_INCLUDED_ */
