"""Key Protect's key actions: wrap, unwrap, rewrap, rotate, disable,
enable, restore, setKeyForDeletion, unsetKeyForDeletion, sync; and the
emulator's own ciphertext (AES-256-GCM under the key version, in a
base64 JSON blob that names the version)."""

import binascii
import json
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .kp import ACTIVE, DEACTIVATED, RESTORE_WINDOW, SUSPENDED, not_found
from .wire import KEY_TYPE, KPError, Resp, b64d, b64e, envelope, new_uuid

MAX_WRAP_PLAINTEXT = 7500
ROTATE_GATE = 3600
ENABLE_GATE = 30
RESTORE_GATE = 30


def run(kp, req, ident, action, deprecated=False):
    """POST /keys/ID/actions/ACTION (or ?action=ACTION, deprecated)."""
    h = HANDLERS.get(action)
    if h is None:
        if deprecated:
            raise KPError(400, "INVALID_QUERY_PARAM_ERR",
                          "Action could not be performed on key",
                          "The query_param 'action' must be: a valid key action",
                          ("query_param", "action"))
        raise not_found()
    return h(kp, req, ident)


# ---- helpers

def root_key(kp, req, ident, ctx, allowed_states):
    """A live root key in one of allowed_states."""
    k = kp.live_key(req, ident, ctx)
    if k["extractable"]:
        raise KPError(400, "KEY_ROOT_REQ_ERR", ctx)
    if k["state"] not in allowed_states:
        raise KPError(409, "KEY_ACTION_INVALID_STATE_ERR", ctx,
                      "Key is not in a valid state for this action")
    return k


def action_body(kp, req, ctx, fields, required=False):
    obj = kp.json_body(req, required=required, context=ctx)
    if obj is None:
        return {}
    kp.check_fields(obj, fields, ctx)
    return obj


def parse_aad(body, ctx):
    aad = body.get("aad")
    if aad is None:
        return []
    if not isinstance(aad, list) or any(not isinstance(a, str) or len(a) > 255 for a in aad):
        raise KPError(400, "INVALID_FIELD_ERR", ctx,
                      "The field 'aad' must be: a list of strings of at most 255 characters",
                      ("field", "aad"))
    return aad


def aad_bytes(kid, aad):
    out = [b"kp-emulator/wrap/v1", struct.pack(">I", len(aad))]
    for a in aad:
        b = a.encode("utf-8")
        out.append(struct.pack(">I", len(b)))
        out.append(b)
    kb = kid.encode()
    out.append(struct.pack(">I", len(kb)))
    out.append(kb)
    return b"".join(out)


def seal(k, plaintext, aad):
    v = k["versions"][-1]
    iv = os.urandom(12)
    ct = AESGCM(b64d(v["material"])).encrypt(iv, plaintext, aad_bytes(k["id"], aad))
    blob = {"ciphertext": b64e(ct), "iv": b64e(iv), "version": "4.0.0", "handle": v["id"]}
    return b64e(json.dumps(blob, separators=(",", ":")).encode()), v["id"]


def open_ct(k, ciphertext, aad, ctx):
    """(plaintext, version id) of a ciphertext sealed under k."""
    blob = parse_ct(ciphertext, ctx)
    bad = KPError(422, "UNPROCESSABLE_CIPHERTEXT_ERR", ctx)
    try:
        handle = blob["handle"]
        ct = b64d(blob["ciphertext"])
        iv = b64d(blob["iv"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise bad
    ver = next((v for v in k["versions"] if v["id"] == handle), None)
    if ver is None or len(iv) != 12:
        raise bad
    try:
        pt = AESGCM(b64d(ver["material"])).decrypt(iv, ct, aad_bytes(k["id"], aad))
    except (InvalidTag, ValueError):
        raise bad
    return pt, handle


def parse_ct(ciphertext, ctx):
    bad_field = KPError(400, "INVALID_FIELD_ERR", ctx,
                        "The field 'ciphertext' must be: the original base64 encoded "
                        "ciphertext from the wrap operation", ("field", "ciphertext"))
    if not isinstance(ciphertext, str) or not ciphertext:
        raise bad_field
    try:
        raw = b64d(ciphertext)
    except (ValueError, binascii.Error):
        raise bad_field
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise KPError(422, "UNPROCESSABLE_CIPHERTEXT_ERR", ctx)


def unwrap_request(kp, req, ident, ctx):
    """unwrap and rewrap: (key, aad, plaintext, version id)."""
    body = action_body(kp, req, ctx, ("ciphertext", "aad"), required=True)
    k = root_key(kp, req, ident, ctx, (ACTIVE, DEACTIVATED))
    aad = parse_aad(body, ctx)
    pt, handle = open_ct(k, body.get("ciphertext"), aad, ctx)
    return k, aad, pt, handle


# ---- wrapping

def wrap(kp, req, ident):
    ctx = "Wrap with key could not be performed"
    body = action_body(kp, req, ctx, ("plaintext", "aad"))
    k = root_key(kp, req, ident, ctx, (ACTIVE,))
    aad = parse_aad(body, ctx)
    pt_b64 = body.get("plaintext")
    if pt_b64 is None or pt_b64 == "":
        pt = os.urandom(32)
        ct, vid = seal(k, pt, aad)
        return Resp(200, {"plaintext": b64e(pt), "ciphertext": ct,
                          "keyVersion": {"id": vid}})
    pt = wrap_plaintext(pt_b64, ctx)
    ct, vid = seal(k, pt, aad)
    return Resp(200, {"ciphertext": ct, "keyVersion": {"id": vid}})


def wrap_plaintext(pt_b64, ctx):
    try:
        pt = b64d(pt_b64)
    except (ValueError, binascii.Error):
        raise KPError(400, "INVALID_FIELD_ERR", ctx,
                      "The field 'plaintext' must be: a base64 encoded key material",
                      ("field", "plaintext"))
    if not 1 <= len(pt) <= MAX_WRAP_PLAINTEXT:
        raise KPError(400, "INVALID_FIELD_ERR", ctx,
                      "The field 'plaintext' must be: 1 to 7500 bytes",
                      ("field", "plaintext"))
    return pt


def unwrap(kp, req, ident):
    ctx = "Unwrap with key could not be performed"
    k, aad, pt, handle = unwrap_request(kp, req, ident, ctx)
    out = {"plaintext": b64e(pt), "keyVersion": {"id": handle}}
    if handle != k["versions"][-1]["id"]:
        ct, vid = seal(k, pt, aad)
        out["ciphertext"] = ct
        out["rewrappedKeyVersion"] = {"id": vid}
    return Resp(200, out)


def rewrap(kp, req, ident):
    ctx = "Rewrap with key could not be performed"
    k, aad, pt, handle = unwrap_request(kp, req, ident, ctx)
    ct, vid = seal(k, pt, aad)
    return Resp(200, {"ciphertext": ct, "keyVersion": {"id": handle},
                      "rewrappedKeyVersion": {"id": vid}})


# ---- life cycle

def rotate(kp, req, ident):
    ctx = "Key could not be rotated"
    body = action_body(kp, req, ctx, ("payload", "encryptedNonce", "iv",
                                      "encryptionAlgorithm"))
    k = root_key(kp, req, ident, ctx, (ACTIVE, DEACTIVATED))
    if not kp.relax and k["rotated"] is not None and kp.now() < k["rotated"] + ROTATE_GATE:
        raise KPError(409, "KEY_ROTATION_NOT_PERMITTED", ctx)
    material = rotate_material(k, body.get("payload"), ctx)
    now = kp.now()
    k["versions"].append({"id": new_uuid(), "created": now, "material": b64e(material)})
    k["rotated"] = now
    kp.save(k)
    return Resp(204)


def rotate_material(k, payload, ctx):
    """The new version's material: the payload of an imported key, else
    32 random bytes."""
    if not k["imported"]:
        if payload:
            raise KPError(400, "INVALID_QUERY_PARAM_ERR", ctx,
                          "The query_param 'payload' must be: provided only if key is imported",
                          ("query_param", "payload"))
        return os.urandom(32)
    if not payload:
        raise KPError(400, "KEY_PAYLOAD_REQ_ERR", ctx, target=("field", "payload"))
    try:
        material = b64d(payload)
    except (ValueError, binascii.Error):
        material = b""
    if len(material) not in (16, 24, 32):
        raise KPError(400, "INVALID_FIELD_ERR", ctx,
                      "The field 'payload' must be: 16, 24 or 32 bytes",
                      ("field", "payload"))
    return material


def state_change(kp, req, ident, ctx, want, name):
    """disable and enable: a live root key in state want."""
    k = kp.live_key(req, ident, ctx)
    if k["extractable"]:
        raise KPError(400, "KEY_ROOT_REQ_ERR", ctx)
    if k["state"] != want:
        raise KPError(409, "KEY_ACTION_INVALID_STATE_ERR", ctx,
                      "Key is not in %s state" % name)
    return k


def disable(kp, req, ident):
    k = state_change(kp, req, ident, "Key could not be disabled", ACTIVE, "active")
    k["state"] = SUSPENDED
    k["state_changed"] = kp.now()
    kp.save(k)
    return Resp(204)


def enable(kp, req, ident):
    ctx = "Key could not be enabled"
    k = state_change(kp, req, ident, ctx, SUSPENDED, "suspended")
    if not kp.relax and kp.now() < k["state_changed"] + ENABLE_GATE:
        raise KPError(409, "REQ_TOO_EARLY_ERR", ctx,
                      "The key was updated recently: Please wait and try again: "
                      "enable is allowed 30s after the last action")
    k["state"] = ACTIVE
    k["state_changed"] = kp.now()
    kp.refresh_state(k)
    kp.save(k)
    return Resp(204)


def restore(kp, req, ident):
    ctx = "Key could not be restored"
    body = kp.json_body(req, required=False, context=ctx)
    if body is not None:
        kp.check_fields(body, ("metadata", "resources"), ctx)
        for r in body.get("resources") or []:
            kp.check_fields(r, ("type", "payload", "encryptedNonce", "iv",
                                "encryptionAlgorithm"), ctx)
    k = kp.find_key(req, ident, ctx)
    if k["deleted"] is None:
        raise KPError(409, "KEY_ACTION_INVALID_STATE_ERR", ctx,
                      "Key is not in a deleted state")
    now = kp.now()
    if now >= k["deleted"] + RESTORE_WINDOW:
        raise KPError(400, "KEY_RESTORE_EXPIRED", ctx)
    if not kp.relax and now < k["deleted"] + RESTORE_GATE:
        raise KPError(409, "REQ_TOO_EARLY_ERR", ctx,
                      "The key was updated recently: Please wait and try again: "
                      "restore is allowed 30s after the key is deleted")
    k["state"] = ACTIVE if k["pre_delete_state"] != DEACTIVATED else DEACTIVATED
    k["deleted"] = None
    k["deletedBy"] = None
    k["pre_delete_state"] = None
    k["restored"] = now
    k["state_changed"] = now
    kp.refresh_state(k)
    kp.save(k)
    return Resp(201, envelope(KEY_TYPE, [kp.key_repr(k)]))


def dual_auth_mark(kp, req, ident, ctx, when):
    """setKeyForDeletion (when = now) and unsetKeyForDeletion (None)."""
    k = kp.live_key(req, ident, ctx)
    if not k["dual_auth"]:
        raise KPError(409, "NOT_DUAL_AUTH_ERR", ctx)
    k["dual_auth_set"] = kp.now() if when else None
    kp.save(k, touch=False)
    return Resp(204)


def set_deletion(kp, req, ident):
    return dual_auth_mark(kp, req, ident, "Key could not be set for deletion", True)


def unset_deletion(kp, req, ident):
    return dual_auth_mark(kp, req, ident, "Key could not be unset for deletion", False)


def sync(kp, req, ident):
    kp.find_key(req, ident, "Key could not be synced")
    return Resp(204)


HANDLERS = {
    "wrap": wrap, "unwrap": unwrap, "rewrap": rewrap, "rotate": rotate,
    "disable": disable, "enable": enable, "restore": restore,
    "setKeyForDeletion": set_deletion,
    "unsetKeyForDeletion": unset_deletion,
    "sync": sync,
}
