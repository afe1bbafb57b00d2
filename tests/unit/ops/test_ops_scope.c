
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * Who may do what (kmip_scope, kmip_operations): an operation the server
 * does not offer is Operation Not Supported, one the client's scope may
 * not use is Permission Denied, both before the store is asked; Query
 * lists neither. An object belongs to the scope that created it, and for
 * a client of another scope it does not exist: every operation on it
 * answers exactly as on an identifier nobody created, and Locate does
 * not find it.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"


static ngx_kmip_scope_t  t_scope_a = {
    ngx_string("nas"), NULL, NULL, NULL, NULL, NGX_KMIP_OPSET_ALL,
    ngx_null_string, ngx_null_string, NULL, 0
};

static ngx_kmip_scope_t  t_scope_b = {
    ngx_string("db"), NULL, NULL, NULL, NULL, NGX_KMIP_OPSET_ALL,
    ngx_null_string, ngx_null_string, NULL, 0
};

static ngx_str_t  t_nobody = ngx_string("0f1e2d3c-4b5a-4968-8776-655443322110");


#define t_op(op)  ((ngx_kmip_opset_t) 1 << (op))


/* the operations a Query answer lists include op */

static ngx_uint_t
t_query_lists(ngx_uint_t major, ngx_uint_t minor, uint32_t op)
{
    t_request_t               *t;
    ngx_kmip_item_t           *it;
    ngx_kmip_response_item_t  *out;

    t = t_request(major, minor);
    (void) t_value(t_item(t, NGX_KMIP_OP_QUERY), NGX_KMIP_TAG_QUERY_FUNCTION,
                   NGX_KMIP_TYPE_ENUMERATION,
                   NGX_KMIP_QUERY_FUNCTION_QUERY_OPERATIONS);
    out = t_run(t);

    for (it = out[0].payload ? out[0].payload->v.kids.first : NULL;
         it;
         it = it->next)
    {
        if (it->tag == NGX_KMIP_TAG_OPERATION && it->v.num == op) {
            return 1;
        }
    }

    return 0;
}


static void
t_server_operations(void)
{
    ngx_str_t                  u;
    ngx_kmip_response_item_t  *out;

    if (!t_new_key(1, 4, &u)) {
        return;
    }

    t_operations(NGX_KMIP_OPSET_ALL & ~t_op(NGX_KMIP_OP_DESTROY));

    out = t_one(1, 4, NGX_KMIP_OP_DESTROY, &u);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_OPERATION_NOT_SUPPORTED,
          "an operation the server does not offer: Operation Not Supported");
    CHECK(!ngx_kmip_store_memory_find(t_mem, &u)->destroyed,
          "and the object stays");
    CHECK(!t_query_lists(1, 4, NGX_KMIP_OP_DESTROY)
          && t_query_lists(1, 4, NGX_KMIP_OP_GET),
          "Query lists only what the server offers");

    t_operations(NGX_KMIP_OPSET_ALL);
}


static void
t_scope_operations(void)
{
    ngx_str_t                  u;
    ngx_kmip_response_item_t  *out;
    ngx_kmip_store_memory_t   *mem = t_mem;

    t_scope_a.operations = t_op(NGX_KMIP_OP_CREATE) | t_op(NGX_KMIP_OP_GET)
                           | t_op(NGX_KMIP_OP_QUERY)
                           | t_op(NGX_KMIP_OP_GET_ATTRIBUTES);
    t_scope(&t_scope_a);

    if (!t_new_key(2, 1, &u)) {
        goto done;
    }

    out = t_one(2, 1, NGX_KMIP_OP_GET, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS,
          "a scope runs what it may");

    out = t_one(2, 1, NGX_KMIP_OP_DESTROY, &u);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_PERMISSION_DENIED,
          "an operation the scope may not use: Permission Denied");
    CHECK(out[0].result_message_len > 0
          && ngx_strnstr((u_char *) out[0].result_message, "scope \"nas\"",
                         out[0].result_message_len),
          "the message names the scope");
    CHECK(!ngx_kmip_store_memory_find(mem, &u)->destroyed,
          "and the object stays");
    CHECK(!t_query_lists(2, 1, NGX_KMIP_OP_DESTROY)
          && !t_query_lists(2, 1, NGX_KMIP_OP_LOCATE)
          && t_query_lists(2, 1, NGX_KMIP_OP_GET),
          "Query lists only what the scope may use");

done:

    t_scope_a.operations = NGX_KMIP_OPSET_ALL;
    t_scope(NULL);
}


/* b answers as a does, a's uid being b's */

static ngx_uint_t
t_same_answer(ngx_kmip_response_item_t *a, ngx_str_t *ua,
    ngx_kmip_response_item_t *b, ngx_str_t *ub)
{
    u_char  *p, *last, msg[512];

    if (a->result_status != b->result_status
        || a->result_reason != b->result_reason
        || a->result_message_len != b->result_message_len
        || a->result_message_len > sizeof(msg))
    {
        return 0;
    }

    ngx_memcpy(msg, a->result_message, a->result_message_len);
    last = msg + a->result_message_len;

    for (p = msg; p + ua->len <= last; p++) {
        if (ngx_memcmp(p, ua->data, ua->len) == 0) {
            ngx_memcpy(p, ub->data, ub->len);
        }
    }

    return ngx_memcmp(msg, b->result_message, b->result_message_len) == 0;
}


static ngx_uint_t
t_locate_finds(ngx_uint_t major, ngx_uint_t minor, ngx_str_t *uid)
{
    t_request_t  *t;

    t = t_request(major, minor);
    (void) t_item(t, NGX_KMIP_OP_LOCATE);

    return t_lists_uid(&t_run(t)[0], uid);
}


static const uint32_t  t_probes[] = {
    NGX_KMIP_OP_GET, NGX_KMIP_OP_GET_ATTRIBUTES,
    NGX_KMIP_OP_GET_ATTRIBUTE_LIST, NGX_KMIP_OP_ACTIVATE,
    NGX_KMIP_OP_DESTROY, NGX_KMIP_OP_CHECK, NGX_KMIP_OP_RE_KEY
};


static void
t_isolation_of(ngx_uint_t major, ngx_uint_t minor)
{
    char                       what[80];
    ngx_str_t                  u;
    ngx_uint_t                 i;
    ngx_kmip_object_t         *kept;
    ngx_kmip_response_item_t  *none, *other;

    t_scope(&t_scope_a);

    if (!t_new_key(major, minor, &u)) {
        t_scope(NULL);
        return;
    }

    kept = ngx_kmip_store_memory_find(t_mem, &u);
    CHECK(kept && kept->scope.len == 3
          && ngx_strncmp(kept->scope.data, "nas", 3) == 0,
          "the object belongs to the scope that created it");
    CHECK(t_locate_finds(major, minor, &u), "its scope locates it");

    t_scope(&t_scope_b);

    for (i = 0; i < t_nelts(t_probes); i++) {
        none = t_one(major, minor, t_probes[i], &t_nobody);
        other = t_one(major, minor, t_probes[i], &u);

        snprintf(what, sizeof(what), "%u.%u %s of another scope's object: "
                 "as of one nobody created", (unsigned) major,
                 (unsigned) minor, ngx_kmip_operation_name(t_probes[i]));
        CHECK(t_same_answer(&none[0], &t_nobody, &other[0], &u), what);
    }

    none = t_revoke(major, minor, &t_nobody,
                    NGX_KMIP_REVOCATION_REASON_CODE_UNSPECIFIED);
    other = t_revoke(major, minor, &u,
                     NGX_KMIP_REVOCATION_REASON_CODE_UNSPECIFIED);
    CHECK(t_same_answer(&none[0], &t_nobody, &other[0], &u),
          "Revoke of another scope's object: as of one nobody created");

    none = t_change(major, NGX_KMIP_OP_MODIFY_ATTRIBUTE, &t_nobody,
                    "Cryptographic Usage Mask",
                    NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK,
                    NGX_KMIP_TYPE_INTEGER, 4);
    other = t_change(major, NGX_KMIP_OP_MODIFY_ATTRIBUTE, &u,
                     "Cryptographic Usage Mask",
                     NGX_KMIP_TAG_CRYPTOGRAPHIC_USAGE_MASK,
                     NGX_KMIP_TYPE_INTEGER, 4);
    CHECK(t_same_answer(&none[0], &t_nobody, &other[0], &u),
          "Modify Attribute of another scope's object: as of one nobody "
          "created");

    CHECK(!t_locate_finds(major, minor, &u),
          "another scope's Locate does not find it");

    kept = ngx_kmip_store_memory_find(t_mem, &u);
    CHECK(kept && !kept->destroyed && kept->generation == 1,
          "and nothing another scope did reached the object");

    t_scope(NULL);
    CHECK(!t_locate_finds(major, minor, &u),
          "nor does a client of the default scope");

    t_scope(&t_scope_a);
    CHECK(t_one(major, minor, NGX_KMIP_OP_GET, &u)[0].result_status
          == NGX_KMIP_STATUS_SUCCESS, "its own scope still reads it");
    t_scope(NULL);
}


void
t_scopes(void)
{
    t_server_operations();
    t_scope_operations();
    t_isolation_of(1, 4);
    t_isolation_of(2, 1);
}
