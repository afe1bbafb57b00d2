"""Key Protect's URL map: /api/v2/... to the handlers of keys, actions,
listing and rings, after the bearer token and instance are checked."""

from urllib.parse import unquote

from . import actions, keys, listing, rings
from .kp import not_allowed, not_found
from .wire import POLICY_TYPE, REG_TYPE, KPError, Resp, envelope

ALLOWED_IP_TYPE = "application/vnd.ibm.kms.allowed_ip_metadata+json"


def handle(kp, req):
    kp.authorize(req)
    segs = [unquote(s) for s in req.rawpath.split("/")[3:]]
    if segs and segs[-1] == "":
        segs = segs[:-1]
    top = TOP.get(segs[0]) if segs else None
    if top is None:
        raise not_found()
    return top(kp, req, segs)


def keys_collection(kp, req, segs):
    """/keys, /keys_with_policy_overrides, /keys/registrations, /keys/ID..."""
    m = req.method
    if len(segs) == 1:
        if m == "GET":
            return listing.list_keys(kp, req)
        if m == "HEAD":
            return listing.count_keys(kp, req)
        if m == "POST":
            return keys.create(kp, req, segs[0] == "keys_with_policy_overrides")
        raise not_allowed()
    if segs[0] != "keys":
        raise not_found()
    if segs[1] == "registrations" and len(segs) == 2:
        if m == "GET":
            return Resp(200, envelope(REG_TYPE, []))
        raise not_allowed()
    return one_key(kp, req, segs[1], segs[2:])


KEY_METHODS = {"GET": keys.get, "DELETE": keys.delete, "PATCH": keys.patch}

# (sub-resource, path segments after the key id, method) -> handler
KEY_ROUTES = {
    ("metadata", 1, "GET"): keys.metadata,
    ("purge", 1, "DELETE"): keys.purge,
    ("restore", 1, "POST"):
        lambda kp, req, ident, rest: actions.run(kp, req, ident, "restore"),
    ("versions", 1, "GET"): keys.versions,
    ("actions", 2, "POST"):
        lambda kp, req, ident, rest: actions.run(kp, req, ident, rest[1]),
    ("aliases", 2, "POST"): keys.alias_create,
    ("aliases", 2, "DELETE"): keys.alias_delete,
    ("policies", 1, "GET"): keys.policies,
    ("policies", 1, "PUT"): keys.put_policies,
    ("registrations", 1, "GET"): keys.registrations,
}


def one_key(kp, req, ident, rest):
    m = req.method
    if not rest:
        h = KEY_METHODS.get(m)
        if h is not None:
            return h(kp, req, ident)
        action = req.q("action")
        if m == "POST" and action:
            return actions.run(kp, req, ident, action, deprecated=True)
        raise not_allowed()
    h = KEY_ROUTES.get((rest[0], len(rest), m))
    if h is None:
        raise not_found()
    return h(kp, req, ident, rest)


def instance(kp, req, segs):
    """/instance/policies and /instance/allowed_ip_port."""
    m = req.method
    if len(segs) >= 2:
        if segs[1] == "policies":
            if m == "GET":
                return Resp(200, envelope(POLICY_TYPE, []))
            if m == "PUT":
                kp.json_body(req, required=True)
                return Resp(204)
            raise not_allowed()
        if segs[1] == "allowed_ip_port" and m == "GET":
            return Resp(200, envelope(ALLOWED_IP_TYPE, []))
    raise not_found()


def import_token(kp, req, segs):
    raise KPError(403, "FEATURE_RESTRICTED_ERR",
                  "Import token could not be processed")


TOP = {
    "keys": keys_collection,
    "keys_with_policy_overrides": keys_collection,
    "key_rings": lambda kp, req, segs: rings.route(kp, req, segs[1:]),
    "instance": instance,
    "import_token": import_token,
}
