"""Key Protect's key rings: list, create, delete (with ?force=true for a
ring that holds only deleted keys, which move to the default ring)."""

import re

from .kp import not_allowed, not_found
from .listing import page_params, total_count
from .wire import RING_TYPE, KPError, Resp, envelope, iso

MAX_RINGS = 50
RING_RE = re.compile(r"^[A-Za-z0-9_-]{2,100}$")


def route(kp, req, rest):
    """/api/v2/key_rings[/ID]"""
    if not rest:
        if req.method != "GET":
            raise not_allowed()
        return list_rings(kp, req)
    if len(rest) != 1:
        raise not_found()
    if req.method == "POST":
        return create(kp, req, rest[0])
    if req.method == "DELETE":
        return delete(kp, req, rest[0])
    raise not_allowed()


def ring_item(rings, rid):
    it = {"id": rid}
    if rid != "default":
        it["creationDate"] = iso(rings[rid]["created"])
        it["createdBy"] = rings[rid]["createdBy"]
    return it


def list_rings(kp, req):
    rings = kp.data["key_rings"]
    limit, offset = page_params(req, "Key rings could not be listed")
    ids = sorted(rings, key=lambda r: (r != "default", r))
    items = [ring_item(rings, rid) for rid in ids[offset:offset + limit]]
    return Resp(200, envelope(RING_TYPE, items, total_count(req, len(ids))))


def create(kp, req, rid):
    ctx = "Key ring could not be created"
    rings = kp.data["key_rings"]
    if not RING_RE.match(rid):
        raise KPError(400, "INVALID_FIELD_ERR", ctx,
                      "The key ring id must be: 2 to 100 characters of [A-Za-z0-9_-]",
                      ("field", "id"))
    if rid in rings:
        raise KPError(409, "KEY_RING_CONFLICT_ERR", ctx,
                      "The key ring already exists")
    if len(rings) >= MAX_RINGS:
        raise KPError(400, "KEY_RING_CONFLICT_ERR", ctx,
                      "At most 50 key rings per instance")
    rings[rid] = {"created": kp.now(), "createdBy": kp.who(req)}
    kp.store.commit(meta=["key_rings"])
    return Resp(201, envelope(RING_TYPE, [ring_item(rings, rid)]))


def delete(kp, req, rid):
    ctx = "Key ring could not be deleted"
    rings = kp.data["key_rings"]
    if rid not in rings:
        raise KPError(404, "KEY_RING_NOT_FOUND_ERR", ctx)
    if rid == "default":
        raise KPError(409, "KEY_RING_CONFLICT_ERR", ctx,
                      "The default key ring cannot be deleted")
    members = [k for k in kp.data["keys"].values() if k["keyRingID"] == rid]
    live = [k for k in members if k["deleted"] is None]
    if live or (members and not req.flag("force")):
        raise KPError(409, "KEY_RING_CONFLICT_ERR", ctx,
                      "The key ring contains keys", ("query_param", "force"))
    for k in members:
        k["keyRingID"] = "default"
    del rings[rid]
    kp.store.commit(put=members, meta=["key_rings"])
    return Resp(204)
