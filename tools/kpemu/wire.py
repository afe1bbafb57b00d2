"""The wire contract shared by every layer: Key Protect media types and
reason codes, the error and collection envelopes, the encodings, and the
transport-independent Request and Resp (../shared/notes/keyprotect-api.md)."""

import base64
import calendar
import json
import re
import time
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

KEY_TYPE = "application/vnd.ibm.kms.key+json"
ERR_TYPE = "application/vnd.ibm.kms.error+json"
ALIAS_TYPE = "application/vnd.ibm.kms.alias+json"
RING_TYPE = "application/vnd.ibm.kms.key_ring+json"
VERSION_TYPE = "application/vnd.ibm.kms.key.version+json"
POLICY_TYPE = "application/vnd.ibm.kms.policy+json"
REG_TYPE = "application/vnd.ibm.kms.registration+json"
MORE_INFO = "https://cloud.ibm.com/apidocs/key-protect"
APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


PHRASES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
    410: "Gone", 413: "Payload Too Large", 422: "Unprocessable Entity",
    429: "Too Many Requests", 500: "Internal Server Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}

REASONS = {
    "BAD_BODY_ERR": "Invalid body data was passed: Please ensure the data passed had valid formatting with no invalid characters",
    "NO_BODY_ERR": "No body was sent when one was required for the request",
    "COLLECTION_TOTAL_MISMATCH_ERR": "The value specified in 'collectionTotal' does not match the number of resources",
    "NUM_COLLECTION_RESOURCE_ERR": "The number of resources in the collection is not supported",
    "INVALID_FIELD_ERR": "The field is invalid",
    "INVALID_QUERY_PARAM_ERR": "The query parameter is invalid",
    "BEARER_SUB_EXTRACTION_ERR": "The bearer token is invalid: the subject could not be extracted from the token",
    "KEY_ROOT_REQ_ERR": "Requested action can only be completed with a root key",
    "KEY_PAYLOAD_REQ_ERR": "A payload is required to rotate an imported root key",
    "KEY_RESTORE_EXPIRED": "The key can no longer be restored",
    "KEY_EXPIRED_ERR": "The key has expired",
    "KEY_NOT_FOUND_ERR": "Key does not exist",
    "KEY_DELETED_ERR": "Key has already been deleted. Please delete references to this key.",
    "KEY_ACTION_INVALID_STATE_ERR": "Key is not in a valid state",
    "REQ_TOO_EARLY_ERR": "The key was updated recently: Please wait and try again",
    "KEY_ROTATION_NOT_PERMITTED": "This root key has been rotated within the last hour: Only one 'rotate' action per hour is permitted",
    "UNPROCESSABLE_CIPHERTEXT_ERR": "The provided ciphertext is invalid or corrupted",
    "NOT_DUAL_AUTH_ERR": "The key is not enabled for dual authorization",
    "AUTHORIZATIONS_NOT_MET": "1 prior authorization(s) are required for deletion",
    "FEATURE_RESTRICTED_ERR": "This feature is not available in the emulator",
    "KEY_RING_NOT_FOUND_ERR": "The key ring does not exist",
    "KEY_RING_CONFLICT_ERR": "The key ring cannot be created or deleted in its current state",
    "KEY_ALIAS_NOT_FOUND_ERR": "The alias does not exist for this key",
    "KEY_ALIAS_NOT_UNIQUE_ERR": "The alias is already in use in this instance",
    "KEY_ALIAS_QUOTA_ERR": "A key can have at most 5 aliases",
    "NOT_FOUND_ERR": "The requested resource does not exist",
    "METHOD_NOT_ALLOWED_ERR": "The method is not allowed on this resource",
    "INTERNAL_SERVER_ERR": "Internal server error",
}


# --------------------------------------------------------------------------
# helpers
def b64e(b):
    return base64.b64encode(b).decode("ascii")


def b64d(s):
    """Strict standard base64 (padding required, no whitespace)."""
    if not isinstance(s, str):
        raise ValueError("not a string")
    return base64.b64decode(s.encode("ascii"), validate=True)


def b64url_e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64url_d(s):
    s = s + "=" * (-len(s) % 4)
    return base64.urlsafe_b64decode(s.encode("ascii"))


def iso(t):
    if t is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_rfc3339(s):
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})"
                 r"(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", s or "")
    if not m:
        raise ValueError("bad date")
    t = calendar.timegm((int(m.group(1)), int(m.group(2)), int(m.group(3)),
                         int(m.group(4)), int(m.group(5)), int(m.group(6)),
                         0, 0, 0))
    if m.group(7):
        t += float(m.group(7))
    tz = m.group(8)
    if tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        t -= sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
    return t


class EverySecond:
    """A text made from the current second, made once a second."""

    def __init__(self, fmt):
        self.fmt = fmt
        self.sec = None
        self.text = ""

    def __call__(self, t):
        s = int(t)
        if s != self.sec:
            self.sec = s
            self.text = self.fmt(s)
        return self.text


def new_uuid():
    return str(uuid.uuid4())


class KPError(Exception):
    """A Key Protect error answered in the §4.1 envelope."""

    def __init__(self, status, code, context="Action could not be performed",
                 message=None, target=None, headers=None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.context = context
        self.message = message or REASONS.get(code, code)
        self.target = target
        self.headers = headers or {}

    def body(self):
        phrase = PHRASES.get(self.status, "Error")
        reason = {"code": self.code, "message": self.message,
                  "status": self.status, "moreInfo": MORE_INFO}
        if self.target:
            reason["target"] = {"type": self.target[0], "name": self.target[1]}
        return error_body({
            "errorMsg": "%s: %s: Please see `reasons` for more details (%s)"
                        % (phrase, self.context, self.code),
            "reasons": [reason]})


class Unauthorized(Exception):
    pass


def error_body(resource):
    """The error envelope around one error resource."""
    return {"metadata": {"collectionType": ERR_TYPE, "collectionTotal": 1},
            "resources": [resource]}


def unauthorized_body():
    return error_body({"errorMsg": "Unauthorized: The user does not have "
                                   "access to the specified resource"})


def plain_error_body(status, text):
    return error_body({"errorMsg": "%s: %s" % (PHRASES.get(status, "Error"), text)})


def envelope(ctype, items, extra_meta=None):
    meta = {"collectionType": ctype, "collectionTotal": len(items)}
    if extra_meta:
        meta.update(extra_meta)
    out = {"metadata": meta}
    if items:
        out["resources"] = items
    return out


class Resp:
    def __init__(self, status, obj=None, headers=None, raw=None,
                 ctype="application/json"):
        self.status = status
        self.obj = obj
        self.raw = raw
        self.headers = headers or {}
        self.ctype = ctype

    def body_bytes(self):
        if self.raw is not None:
            return self.raw if isinstance(self.raw, bytes) else self.raw.encode()
        if self.obj is None:
            return b""
        return json.dumps(self.obj, separators=(",", ":")).encode()


# --------------------------------------------------------------------------
# persistent state


class Request:
    """headers: a dict keyed by lower-case names (the first of repeated
    headers)."""

    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        if target[:1] == "/" and "#" not in target:
            # origin-form, what every client sends: urlsplit() would
            # find the same path and query, at a multiple of the cost
            raw, _, query = target.partition("?")
        else:
            u = urlsplit(target)
            raw, query = u.path, u.query
        self.path = unquote(raw) if "%" in raw else raw
        self.rawpath = raw
        self.query = parse_qs(query, keep_blank_values=True) if query else {}
        self.headers = headers
        self.body = body
        self.corr = None
        self.claims = None

    def q(self, name, default=None):
        v = self.query.get(name)
        return v[-1] if v else default

    def h(self, name, default=None):
        v = self.headers.get(name.lower())
        return v if v is not None else default

    def flag(self, name):
        """A query parameter that is on when it says true (any case)."""
        return (self.q(name) or "").lower() == "true"

    def prefer(self):
        """The Prefer header without spaces, in lower case."""
        return (self.h("Prefer") or "").replace(" ", "").lower()

