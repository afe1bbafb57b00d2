"""The emulator's own endpoints under /_emulator/ (JSON in and out): health,
faults, latency, the request log, a dump of the keys, token expiry, the
clock and the settings.  Not part of Key Protect; --no-admin turns them off."""

import json
import re

from . import VERSION
from .wire import Resp, b64d, iso

FAULT_ID = re.compile(r"^/_emulator/faults/(\d+)$")
SETTINGS = ("token_ttl", "relax_timing", "strict_json")


class AdminError(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def admin_json(req):
    try:
        return json.loads(req.body.decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError):
        raise AdminError(400, "body is not JSON")


def admin_object(req):
    spec = admin_json(req)
    if not isinstance(spec, dict):
        raise AdminError(400, "expected an object")
    return spec


class Admin:
    def __init__(self, app):
        self.app = app
        self.routes = {
            ("/_emulator/health", "GET"): self.health,
            ("/_emulator/faults", "GET"): self.list_faults,
            ("/_emulator/faults", "POST"): self.add_faults,
            ("/_emulator/faults", "DELETE"): self.clear_faults,
            ("/_emulator/latency", "GET"): self.get_latency,
            ("/_emulator/latency", "POST"): self.set_latency,
            ("/_emulator/latency", "PUT"): self.set_latency,
            ("/_emulator/latency", "DELETE"): self.clear_latency,
            ("/_emulator/requests", "GET"): self.requests,
            ("/_emulator/requests", "DELETE"): self.clear_requests,
            ("/_emulator/keys", "GET"): self.keys,
            ("/_emulator/expire-tokens", "POST"): self.expire_tokens,
            ("/_emulator/clock", "GET"): self.clock,
            ("/_emulator/clock", "POST"): self.set_clock,
            ("/_emulator/config", "GET"): self.config,
            ("/_emulator/config", "POST"): self.set_config,
        }

    def handle(self, req):
        p = req.path.rstrip("/")
        m = req.method
        h = self.routes.get((p, m))
        if h is not None:
            return h(req)
        mo = FAULT_ID.match(p)
        if mo and m == "DELETE":
            return self.delete_fault(int(mo.group(1)))
        raise AdminError(404, "unknown admin endpoint %s %s" % (m, p))

    def health(self, req):
        data = self.app.store.data
        return Resp(200, {"ok": True, "version": VERSION,
                          "instance": data["instance"], "keys": len(data["keys"])})

    # ---- faults and latency
    def list_faults(self, req):
        return Resp(200, {"faults": self.app.faults.listing()})

    def add_faults(self, req):
        spec = admin_json(req)
        specs = spec if isinstance(spec, list) else [spec]
        try:
            added = [self.app.faults.add(s) for s in specs]
        except ValueError as e:
            raise AdminError(400, str(e))
        return Resp(201, added[0] if not isinstance(spec, list) else {"faults": added})

    def clear_faults(self, req):
        return Resp(200, {"deleted": self.app.faults.clear()})

    def delete_fault(self, fid):
        if not self.app.faults.remove(fid):
            raise AdminError(404, "no such fault")
        return Resp(200, {"deleted": 1})

    def get_latency(self, req):
        return Resp(200, self.app.faults.public_latency())

    def set_latency(self, req):
        spec = admin_object(req)
        try:
            return Resp(200, self.app.faults.set_latency(spec))
        except ValueError as e:
            raise AdminError(400, str(e))

    def clear_latency(self, req):
        return Resp(200, self.app.faults.clear_latency())

    # ---- the request log and the keys
    def requests(self, req):
        since = int(req.q("since", "0") or 0)
        rx = req.q("path")
        try:
            rxc = re.compile(rx) if rx else None
        except re.error as e:
            raise AdminError(400, "bad path regex: %s" % e)
        log = self.app.reqlog
        items = log.select(since, rxc, req.q("kind"))
        return Resp(200, {"last_seq": log.seq, "count": len(items), "requests": items})

    def clear_requests(self, req):
        return Resp(200, {"deleted": self.app.reqlog.clear()})

    def keys(self, req):
        kp = self.app.kp
        keys = sorted(kp.data["keys"].values(), key=lambda k: k["created"])
        out = [self.key_dump(kp, k) for k in keys]
        return Resp(200, {"instance": kp.data["instance"], "count": len(out), "keys": out})

    @staticmethod
    def key_dump(kp, k):
        kp.refresh_state(k)
        r = kp.key_repr(k)
        r["versions"] = [{"id": v["id"], "creationDate": iso(v["created"])}
                         for v in k["versions"]]
        if k["extractable"]:
            r["payloadBytes"] = len(b64d(k["versions"][-1]["material"]))
        return r

    def expire_tokens(self, req):
        return Resp(200, {"token_generation": self.app.iam.expire_tokens()})

    # ---- clock and settings
    def clock(self, req):
        s = self.app.settings
        return Resp(200, {"offset": s.clock_offset, "now": iso(s.now())})

    def set_clock(self, req):
        spec = admin_object(req)
        s = self.app.settings
        if "offset" in spec:
            s.clock_offset = float(spec["offset"])
        if "advance" in spec:
            s.clock_offset += float(spec["advance"])
        return self.clock(req)

    def config(self, req):
        s = self.app.settings
        return Resp(200, {"token_ttl": s.token_ttl, "relax_timing": s.relax,
                          "strict_json": s.strict})

    def set_config(self, req):
        spec = admin_object(req)
        for f in spec:
            if f not in SETTINGS:
                raise AdminError(400, "unknown setting %s" % f)
        s = self.app.settings
        if "token_ttl" in spec:
            if not isinstance(spec["token_ttl"], int) or spec["token_ttl"] < 1:
                raise AdminError(400, "token_ttl must be a positive integer")
            s.token_ttl = spec["token_ttl"]
        if "relax_timing" in spec:
            s.relax = bool(spec["relax_timing"])
        if "strict_json" in spec:
            s.strict = bool(spec["strict_json"])
        return self.config(req)
