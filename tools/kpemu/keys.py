"""Key Protect's key resources: create, get, metadata, delete, purge,
patch (key ring), versions, aliases, policies, registrations."""

import binascii
import os
import re

from .kp import ACTIVE, DESTROYED, DUAL_AUTH_WINDOW, PURGE_GATE
from .listing import page_params, total_count
from .state import make_key
from .wire import (ALIAS_TYPE, KEY_TYPE, POLICY_TYPE, REG_TYPE, VERSION_TYPE,
                   KPError, Resp, b64d, envelope, iso, new_uuid, parse_rfc3339)

MAX_STANDARD_PAYLOAD = 7500
MAX_ALIASES = 5
RESERVED_ALIASES = {
    "allowed_ip", "key", "keys", "metadata", "policy", "policies",
    "registration", "registrations", "ring", "rings", "rotate", "wrap",
    "unwrap", "rewrap", "version", "versions",
}
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ALIAS_RE = re.compile(r"^[A-Za-z0-9_-]{2,90}$")
CREATE_FIELDS = ["type", "name", "aliases", "description", "expirationDate",
                 "extractable", "payload", "encryptedNonce", "iv",
                 "encryptionAlgorithm", "tags"]
OVERRIDE_FIELDS = ["rotation", "dualAuthDelete"]
CREATE_CONTEXT = "Key could not be created"


def invalid(ctx, field, must):
    return KPError(400, "INVALID_FIELD_ERR", ctx,
                   "The field '%s' must be: %s" % (field, must), ("field", field))


# ---- create

def create(kp, req, overrides):
    ctx = CREATE_CONTEXT
    fields = CREATE_FIELDS + (OVERRIDE_FIELDS if overrides else [])
    r = kp.envelope_body(req, ctx, fields, required=True)
    t = r.get("type")
    if t is not None and t != KEY_TYPE:
        raise invalid(ctx, "type", KEY_TYPE)
    name, desc, extr = create_basics(r)
    material, imported = create_material(r, extr)
    aliases = create_aliases(kp, r)
    tags = create_tags(r)
    expires = create_expiry(r)
    ring = req.h("X-Kms-Key-Ring") or "default"
    if ring not in kp.data["key_rings"]:
        raise KPError(404, "KEY_RING_NOT_FOUND_ERR", ctx)
    rot, dual = create_overrides(r) if overrides else (None, None)
    kid = new_uuid()
    k = make_key(kid, name, desc, extr, material, imported, ring, kp.who(req),
                 kp.now())
    k["aliases"] = list(aliases)
    k["tags"] = list(tags)
    k["expires"] = expires
    if rot:
        k["rotation_policy"] = rotation_policy(rot)
    if dual:
        k["dual_auth"] = bool(dual.get("enabled"))
    kp.data["keys"][kid] = k
    kp.index.add(k)
    kp.refresh_state(k)
    kp.store.commit(put=[k])
    prefer = req.prefer()
    if "return=minimal" in prefer:
        return Resp(201, envelope(KEY_TYPE, [{"type": KEY_TYPE, "id": kid}]))
    rep = kp.key_repr(k, payload="return=representation" in prefer)
    return Resp(201, envelope(KEY_TYPE, [rep]))


def create_basics(r):
    ctx = CREATE_CONTEXT
    name = r.get("name")
    if not isinstance(name, str) or not 2 <= len(name) <= 90:
        raise invalid(ctx, "name", "a string of 2 to 90 characters")
    desc = r.get("description", "")
    if desc is None:
        desc = ""
    if not isinstance(desc, str) or len(desc) > 240:
        raise invalid(ctx, "description", "a string of at most 240 characters")
    extr = r.get("extractable", False)
    if not isinstance(extr, bool):
        raise KPError(400, "BAD_BODY_ERR", ctx,
                      "Invalid body data was passed: json: cannot unmarshal "
                      "extractable into bool", ("field", "extractable"))
    if r.get("encryptedNonce") is not None or r.get("iv") is not None:
        raise KPError(403, "FEATURE_RESTRICTED_ERR", ctx,
                      "Secure import with an import token is not emulated")
    return name, desc, extr


def create_material(r, extr):
    """(material, imported): the payload given, or 32 random bytes."""
    ctx = CREATE_CONTEXT
    payload = r.get("payload")
    if payload is None or payload == "":
        return os.urandom(32), False
    try:
        material = b64d(payload)
    except (ValueError, binascii.Error):
        raise invalid(ctx, "payload", "base64 encoded key material")
    if extr:
        if not 1 <= len(material) <= MAX_STANDARD_PAYLOAD:
            raise invalid(ctx, "payload", "at most 7500 bytes")
    elif len(material) not in (16, 24, 32):
        raise invalid(ctx, "payload", "16, 24 or 32 bytes for a root key")
    return material, True


def create_aliases(kp, r):
    ctx = CREATE_CONTEXT
    aliases = r.get("aliases") or []
    if not isinstance(aliases, list) or len(aliases) > MAX_ALIASES:
        raise invalid(ctx, "aliases", "a list of at most 5 aliases")
    for a in aliases:
        check_alias(kp, a, ctx)
    if len(set(aliases)) != len(aliases):
        raise invalid(ctx, "aliases", "unique")
    return aliases


def create_tags(r):
    tags = r.get("tags") or []
    if not isinstance(tags, list) or len(tags) > 30 or any(
            not isinstance(x, str) or len(x) > 30 or re.search(r"[<>,:&|]", x)
            for x in tags):
        raise invalid(CREATE_CONTEXT, "tags",
                      "at most 30 tags of at most 30 characters")
    return tags


def create_expiry(r):
    if r.get("expirationDate") is None:
        return None
    try:
        return parse_rfc3339(r["expirationDate"])
    except (ValueError, TypeError):
        raise invalid(CREATE_CONTEXT, "expirationDate", "an RFC 3339 date")


def create_overrides(r):
    """keys_with_policy_overrides: (rotation, dualAuthDelete) objects."""
    ctx = CREATE_CONTEXT
    rot = r.get("rotation")
    if rot is not None and (not isinstance(rot, dict)
                            or not isinstance(rot.get("enabled", True), bool)):
        raise KPError(400, "INVALID_FIELD_ERR", ctx, target=("field", "rotation"))
    dual = r.get("dualAuthDelete")
    if dual is not None and not isinstance(dual, dict):
        raise KPError(400, "INVALID_FIELD_ERR", ctx, target=("field", "dualAuthDelete"))
    return rot, dual


def rotation_policy(rot):
    return {"enabled": bool(rot.get("enabled", True)),
            "interval_month": rot.get("interval_month", 1)}


def check_alias(kp, a, ctx):
    if not isinstance(a, str) or not ALIAS_RE.match(a) or UUID_RE.match(a) \
            or a in RESERVED_ALIASES:
        raise invalid(ctx, "alias", "2 to 90 characters of [A-Za-z0-9_-], "
                                    "not a UUID and not a reserved word")
    if kp.index.aliased(a):
        raise KPError(409, "KEY_ALIAS_NOT_UNIQUE_ERR", ctx)


# ---- one key

def get(kp, req, ident, rest=None):
    k = kp.find_key(req, ident)
    return Resp(200, envelope(KEY_TYPE, [kp.key_repr(k, payload=True)]))


def metadata(kp, req, ident, rest=None):
    return Resp(200, envelope(KEY_TYPE, [kp.key_repr(kp.find_key(req, ident))]))


def registrations(kp, req, ident, rest=None):
    kp.find_key(req, ident)
    return Resp(200, envelope(REG_TYPE, []))


def delete(kp, req, ident, rest=None):
    ctx = "Key could not be deleted"
    k = kp.live_key(req, ident, ctx)
    if k["dual_auth"]:
        if not k["dual_auth_set"] or kp.now() > k["dual_auth_set"] + DUAL_AUTH_WINDOW:
            raise KPError(409, "AUTHORIZATIONS_NOT_MET", ctx)
    now = kp.now()
    k["pre_delete_state"] = k["state"]
    k["state"] = DESTROYED
    k["deleted"] = now
    k["deletedBy"] = kp.who(req)
    k["state_changed"] = now
    k["dual_auth_set"] = None
    kp.save(k)
    if "return=representation" in req.prefer():
        return Resp(200, envelope(KEY_TYPE, [kp.key_repr(k)]))
    return Resp(204)


def purge(kp, req, ident, rest=None):
    ctx = "Key could not be purged"
    k = kp.find_key(req, ident, ctx)
    if k["deleted"] is None:
        raise KPError(409, "KEY_ACTION_INVALID_STATE_ERR", ctx,
                      "Key is not in a deleted state")
    if not kp.relax and kp.now() < k["deleted"] + PURGE_GATE:
        raise KPError(409, "REQ_TOO_EARLY_ERR", ctx,
                      "The key was updated recently: Please wait and try again: "
                      "Purge operation is allowed 4h0m0s after key is deleted")
    rep = kp.key_repr(k)
    del kp.data["keys"][k["id"]]
    kp.index.remove(k)
    kp.store.commit(drop=[k["id"]])
    if "return=minimal" in req.prefer():
        return Resp(204)
    return Resp(200, envelope(KEY_TYPE, [rep]))


def patch(kp, req, ident, rest=None):
    ctx = "Key could not be updated"
    k = kp.find_key(req, ident, ctx)
    body = kp.json_body(req, required=True, context=ctx)
    kp.check_fields(body, ("keyRingID",), ctx)
    ring = body.get("keyRingID")
    if not isinstance(ring, str) or not ring:
        raise KPError(400, "INVALID_FIELD_ERR", ctx, target=("field", "keyRingID"))
    if k["deleted"] is not None:
        raise KPError(410, "KEY_DELETED_ERR", ctx)
    if ring not in kp.data["key_rings"]:
        raise KPError(404, "KEY_RING_NOT_FOUND_ERR", ctx)
    k["keyRingID"] = ring
    kp.save(k)
    return Resp(200, envelope(KEY_TYPE, [kp.key_repr(k)]))


def versions(kp, req, ident, rest=None):
    ctx = "Key versions could not be listed"
    limit, offset = page_params(req, ctx)
    k = kp.find_key(req, ident, ctx)
    if k["state"] != ACTIVE and not req.flag("allKeyStates"):
        raise KPError(409, "KEY_ACTION_INVALID_STATE_ERR", ctx,
                      "Key is not in active state: use allKeyStates=true")
    vs = list(reversed(k["versions"]))
    items = [{"id": v["id"], "creationDate": iso(v["created"])}
             for v in vs[offset:offset + limit]]
    return Resp(200, envelope(VERSION_TYPE, items, total_count(req, len(vs))))


# ---- aliases

def alias_create(kp, req, ident, rest):
    ctx = "Key alias could not be created"
    alias = rest[1]
    k = kp.live_key(req, ident, ctx)
    if alias not in k["aliases"]:
        check_alias(kp, alias, ctx)
        if len(k["aliases"]) >= MAX_ALIASES:
            raise KPError(400, "KEY_ALIAS_QUOTA_ERR", ctx)
        k["aliases"].append(alias)
        kp.index.add_alias(alias, k["id"])
        kp.save(k)
    return Resp(201, envelope(ALIAS_TYPE, [{
        "keyId": k["id"], "alias": alias, "createdBy": kp.who(req),
        "creationDate": iso(kp.now())}]))


def alias_delete(kp, req, ident, rest):
    ctx = "Key alias could not be deleted"
    alias = rest[1]
    k = kp.find_key(req, ident, ctx)
    if alias not in k["aliases"]:
        raise KPError(404, "KEY_ALIAS_NOT_FOUND_ERR", ctx)
    k["aliases"].remove(alias)
    if alias not in k["aliases"]:
        kp.index.remove_alias(alias, k["id"])
    kp.save(k)
    return Resp(204)


# ---- policies

def policy_items(kp, k):
    items = []
    base = {"type": POLICY_TYPE, "createdBy": k["createdBy"],
            "creationDate": iso(k["created"]), "crn": kp.crn(k["id"])}
    if k["rotation_policy"]:
        items.append(dict(base, rotation=dict(k["rotation_policy"])))
    if k["dual_auth"]:
        items.append(dict(base, dualAuthDelete={"enabled": True}))
    return items


def policies(kp, req, ident, rest=None):
    k = kp.find_key(req, ident, "Policies could not be retrieved")
    return Resp(200, envelope(POLICY_TYPE, policy_items(kp, k)))


def put_policies(kp, req, ident, rest=None):
    ctx = "Policies could not be updated"
    k = kp.find_key(req, ident, ctx)
    obj = kp.json_body(req, required=True, context=ctx)
    kp.check_fields(obj, ("metadata", "resources"), ctx)
    res = obj.get("resources")
    if not isinstance(res, list) or not res:
        raise KPError(400, "NUM_COLLECTION_RESOURCE_ERR", ctx)
    for r in res:
        kp.check_fields(r, ("type", "rotation", "dualAuthDelete"), ctx)
        if isinstance(r.get("rotation"), dict):
            k["rotation_policy"] = rotation_policy(r["rotation"])
        if isinstance(r.get("dualAuthDelete"), dict):
            if r["dualAuthDelete"].get("enabled"):
                k["dual_auth"] = True
    kp.save(k)
    return Resp(200, envelope(POLICY_TYPE, policy_items(kp, k)))
