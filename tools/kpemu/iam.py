"""IBM Cloud IAM: the API key exchange at /identity/token and /oidc/token,
and the HS256 bearer tokens Key Protect checks."""

import binascii
import hashlib
import hmac
import json
import threading
import time
from urllib.parse import parse_qs

from .wire import (APIKEY_GRANT, KPError, Resp, Unauthorized, b64url_d,
                   b64url_e, iso, new_uuid)

VERIFIED_MAX = 1024


class Iam:
    def __init__(self, store, settings):
        self.store = store
        self.settings = settings
        self.verified = {}              # Authorization header -> claims

    @property
    def data(self):
        return self.store.data

    # ---- the token endpoint
    def handle(self, req):
        if req.method != "POST":
            return iam_error(405, "BXNIM0107E", "Method not allowed", req)
        try:
            form = parse_qs(req.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            form = {}
        grant = (form.get("grant_type") or [""])[-1]
        if grant == "refresh_token":
            return iam_error(400, "BXNIM0407E",
                             "Refresh token grant is not supported by the "
                             "emulator; repeat the API key exchange", req)
        if grant != APIKEY_GRANT:
            return iam_error(400, "BXNIM0309E",
                             "Property 'grant_type' is missing or has an "
                             "unsupported value", req)
        entry = self.api_key((form.get("apikey") or [""])[-1])
        if entry is None:
            return iam_error(400, "BXNIM0415E",
                             "Provided API key could not be found", req)
        return self.grant(entry)

    def api_key(self, apikey):
        if not apikey:
            return None
        for k in self.data["api_keys"]:
            if hmac.compare_digest(k["apikey"].encode(), apikey.encode()):
                return k
        return None

    def grant(self, entry):
        now = int(time.time())
        ttl = int(self.settings.token_ttl)
        token = self.mint(self.claims(entry, now, ttl))
        return Resp(200, {"access_token": token, "refresh_token": "not_supported",
                          "ims_user_id": 1, "token_type": "Bearer",
                          "expires_in": ttl, "expiration": now + ttl,
                          "scope": "ibm openid"})

    def claims(self, entry, now, ttl):
        return {
            "iam_id": entry["iam_id"], "id": entry["iam_id"], "realmid": "iam",
            "jti": new_uuid(), "identifier": entry["sub"],
            "name": entry.get("name", ""), "sub": entry["sub"],
            "sub_type": "ServiceId", "authn": {"sub": entry["sub"]},
            "account": {"valid": True, "bss": self.data["account"]},
            "iat": now, "exp": now + ttl,
            "iss": "https://iam.cloud.ibm.com/identity",
            "grant_type": APIKEY_GRANT, "scope": "ibm openid",
            "client_id": "default", "acr": 1, "amr": ["pwd"],
            "gen": self.data["token_generation"],
        }

    # ---- tokens
    def sign(self, signed):
        return hmac.new(bytes.fromhex(self.data["token_secret"]),
                        signed.encode(), hashlib.sha256).digest()

    def mint(self, payload):
        header = {"kid": "kp-emulator", "alg": "HS256", "typ": "JWT"}
        h = b64url_e(json.dumps(header, separators=(",", ":")).encode())
        p = b64url_e(json.dumps(payload, separators=(",", ":")).encode())
        return h + "." + p + "." + b64url_e(self.sign(h + "." + p))

    def check_token(self, req):
        """The claims of the request's bearer token, or Unauthorized
        (KPError when the token cannot be parsed)."""
        auth = req.h("Authorization")
        claims = self.verified.get(auth) if auth else None
        if claims is None:
            claims = self.verify_token(auth)
        if claims.get("gen") != self.data["token_generation"]:
            raise Unauthorized()
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= time.time():
            raise Unauthorized()
        return claims

    def verify_token(self, auth):
        """The claims of a well-formed, correctly signed token; kept in
        self.verified, since every call presents the same token until it
        expires (the generation and expiry are checked on every call)."""
        segs, claims, sig = parse_bearer(auth)
        if not hmac.compare_digest(sig, self.sign(segs[0] + "." + segs[1])):
            raise Unauthorized()
        if len(self.verified) >= VERIFIED_MAX:
            self.verified.clear()
        self.verified[auth] = claims
        return claims

    def expire_tokens(self):
        """Every token issued so far stops working."""
        self.data["token_generation"] += 1
        self.store.commit(meta=["token_generation"])
        return self.data["token_generation"]


def parse_bearer(auth):
    """'Bearer H.P.S' -> (segments, claims, signature), unchecked."""
    if auth is None or not auth.strip():
        raise Unauthorized()
    bad = KPError(400, "BEARER_SUB_EXTRACTION_ERR",
                  "Bearer token could not be parsed")
    parts = auth.strip().split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise bad
    segs = parts[1].strip().split(".")
    if len(segs) != 3:
        raise bad
    try:
        json.loads(b64url_d(segs[0]))
        claims = json.loads(b64url_d(segs[1]))
        sig = b64url_d(segs[2])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str) \
            or not claims.get("sub"):
        raise bad
    return segs, claims, sig


def iam_error(status, code, message, req):
    ctx = {"requestId": new_uuid(), "requestType": "incoming.Identity_Token",
           "userAgent": req.h("User-Agent", ""), "url": "https://iam.cloud.ibm.com",
           "instanceId": "kp-emulator", "threadId": hex(threading.get_ident()),
           "host": "kp-emulator", "startTime": iso(time.time()),
           "endTime": iso(time.time()), "elapsedTime": "0",
           "locale": "en_US", "clusterName": "kp-emulator"}
    return Resp(status, {"errorCode": code, "errorMessage": message, "context": ctx})
