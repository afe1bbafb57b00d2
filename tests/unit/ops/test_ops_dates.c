
/*
 * Copyright (C) ngx_kmip authors
 */


/*
 * The State the dates move (KMIP 1.4 3.22 transitions 1, 4 and 6; 2.1
 * 4.57): an Activation Date reached makes a key Active, a Deactivation
 * Date reached makes it Deactivated, without a write; the dates change
 * only in the states that allow it (1.4 3.24-3.27). Activate and Revoke
 * follow the State so derived; Revoke for a compromise makes any live key
 * Compromised (transitions 3, 5, 8), for another reason an Active one
 * Deactivated only.
 */


#include <stdio.h>

#include "ngx_kmip_test_ops.h"


#define T_DATE  NGX_KMIP_TYPE_DATE_TIME


static ngx_str_t *
t_create_dated(ngx_uint_t major, const char *name, uint32_t tag,
    int64_t when)
{
    return t_uid_of(&t_create_plus(major, name, tag, T_DATE, when)[0]);
}


static void
t_activation_date(ngx_uint_t major)
{
    time_t                     now;
    ngx_uint_t                 minor;
    ngx_str_t                 *uid;
    ngx_kmip_response_item_t  *out;

    now = ngx_time();
    minor = major >= 2 ? 1 : 4;

    uid = t_create_dated(major, "Activation Date",
                         NGX_KMIP_TAG_ACTIVATION_DATE, now - 60);
    CHECK(uid && t_kept_num(uid, "State") == NGX_KMIP_STATE_ACTIVE,
          "Create with an Activation Date passed: stored Active");

    uid = t_create_dated(major, "Activation Date",
                         NGX_KMIP_TAG_ACTIVATION_DATE, now + 3600);
    CHECK(uid && t_kept_num(uid, "State") == NGX_KMIP_STATE_PRE_ACTIVE
          && t_state(major, minor, uid) == NGX_KMIP_STATE_PRE_ACTIVE,
          "Create with an Activation Date to come: Pre-Active");
    if (uid == NULL) {
        return;
    }

    /* the date brought forward: the key is Active from then on */

    out = t_change(major, NGX_KMIP_OP_MODIFY_ATTRIBUTE, uid,
                   "Activation Date", NGX_KMIP_TAG_ACTIVATION_DATE, T_DATE,
                   now - 1);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_state(major, minor, uid) == NGX_KMIP_STATE_ACTIVE,
          "Modify of the Activation Date to the past: Active");
    CHECK(t_kept_num(uid, "State") == NGX_KMIP_STATE_PRE_ACTIVE,
          "without the State being written");

    out = t_one(major, minor, NGX_KMIP_OP_ACTIVATE, uid);
    CHECK(t_reason(&out[0]) == t_wrong_state(major),
          "Activate of a key its date made Active: the version's reason");

    out = t_change(major, NGX_KMIP_OP_MODIFY_ATTRIBUTE, uid,
                   "Activation Date", NGX_KMIP_TAG_ACTIVATION_DATE, T_DATE,
                   now + 3600);
    CHECK(t_reason(&out[0]) == t_wrong_state(major)
          && t_state(major, minor, uid) == NGX_KMIP_STATE_ACTIVE,
          "the Activation Date of an Active key no longer changes");
}


static void
t_deactivation_date(ngx_uint_t major)
{
    time_t                     now;
    ngx_uint_t                 minor;
    ngx_str_t                 *uid, u;
    ngx_kmip_response_item_t  *out;

    now = ngx_time();
    minor = major >= 2 ? 1 : 4;

    uid = t_create_aes(major, minor);
    if (!t_got(uid, "Create for the Deactivation Date")) {
        return;
    }

    u = *uid;

    out = t_change(major, NGX_KMIP_OP_ADD_ATTRIBUTE, &u, "Deactivation Date",
                   NGX_KMIP_TAG_DEACTIVATION_DATE, T_DATE, now + 3600);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_state(major, minor, &u) == NGX_KMIP_STATE_PRE_ACTIVE,
          "a Deactivation Date to come leaves a Pre-Active key so");

    (void) t_one(major, minor, NGX_KMIP_OP_ACTIVATE, &u);

    out = t_change(major, NGX_KMIP_OP_MODIFY_ATTRIBUTE, &u,
                   "Deactivation Date", NGX_KMIP_TAG_DEACTIVATION_DATE,
                   T_DATE, now - 1);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_state(major, minor, &u) == NGX_KMIP_STATE_DEACTIVATED,
          "a Deactivation Date reached makes an Active key Deactivated");

    out = t_change(major, NGX_KMIP_OP_MODIFY_ATTRIBUTE, &u,
                   "Deactivation Date", NGX_KMIP_TAG_DEACTIVATION_DATE,
                   T_DATE, now + 3600);
    CHECK(t_reason(&out[0]) == t_wrong_state(major)
          && t_state(major, minor, &u) == NGX_KMIP_STATE_DEACTIVATED,
          "a Deactivated key's Deactivation Date no longer changes");

    out = t_revoke(major, minor, &u,
                   NGX_KMIP_REVOCATION_REASON_CODE_CESSATION_OF_OPERATION);
    CHECK(t_reason(&out[0]) == t_wrong_state(major),
          "Revoke of a key its date deactivated: the version's reason");

    out = t_revoke(major, minor, &u,
                   NGX_KMIP_REVOCATION_REASON_CODE_KEY_COMPROMISE);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_kept_num(&u, "State") == NGX_KMIP_STATE_COMPROMISED
          && t_kept_num(&u, "Compromise Date") >= now,
          "Revoke for Key Compromise of a Deactivated key: Compromised");

    out = t_one(major, minor, NGX_KMIP_OP_DESTROY, &u);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_state(major, minor, &u)
             == NGX_KMIP_STATE_DESTROYED_COMPROMISED,
          "a Compromised key destroyed is Destroyed Compromised");
}


static void
t_revoke_rules(ngx_uint_t major)
{
    ngx_uint_t                 minor;
    ngx_str_t                 *uid, u;
    ngx_kmip_response_item_t  *out;

    minor = major >= 2 ? 1 : 4;

    uid = t_create_aes(major, minor);
    if (!t_got(uid, "Create for Revoke")) {
        return;
    }

    u = *uid;

    out = t_revoke(major, minor, &u,
                   NGX_KMIP_REVOCATION_REASON_CODE_SUPERSEDED);
    CHECK(t_reason(&out[0]) == t_wrong_state(major)
          && t_kept_num(&u, "State") == NGX_KMIP_STATE_PRE_ACTIVE,
          "Revoke of a Pre-Active key, Superseded: refused, no transition");

    out = t_one(major, minor, NGX_KMIP_OP_REVOKE, &u);
    CHECK(t_reason(&out[0]) == NGX_KMIP_REASON_MISSING_DATA,
          "Revoke without a Revocation Reason: Missing Data");

    out = t_revoke(major, minor, &u,
                   NGX_KMIP_REVOCATION_REASON_CODE_CA_COMPROMISE);
    CHECK(out[0].result_status == NGX_KMIP_STATUS_SUCCESS
          && t_kept_num(&u, "State") == NGX_KMIP_STATE_COMPROMISED,
          "Revoke of a Pre-Active key for CA Compromise: Compromised");

    out = t_revoke(major, minor, &u,
                   NGX_KMIP_REVOCATION_REASON_CODE_KEY_COMPROMISE);
    CHECK(t_reason(&out[0]) == t_wrong_state(major),
          "a second compromise of a Compromised key: refused");

    out = t_one(major, minor, NGX_KMIP_OP_ACTIVATE, &u);
    CHECK(t_reason(&out[0]) == t_wrong_state(major),
          "Activate of a Compromised key: refused");
}


void
t_dates(void)
{
    ngx_uint_t  major;

    for (major = 1; major <= 2; major++) {
        t_activation_date(major);
        t_deactivation_date(major);
        t_revoke_rules(major);
    }
}
