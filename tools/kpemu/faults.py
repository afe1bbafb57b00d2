"""Fault and latency injection: the faults that match a request (by method
and path regex, counted down), the latency added to every IAM and KP
request, the validation of both, and the answer a fault gives in place of
the real one.  Installed by --fault and --latency-ms or by /_emulator/."""

import json
import random
import re

from .wire import KPError, Resp, new_uuid, plain_error_body

ACTIONS = ("reset", "close", "malformed", "truncate")
MALFORMED_BODY = "<html><body>502 Bad Gateway (injected)</body></html>"
NO_LATENCY = {"ms": 0, "path": None, "jitter_ms": 0, "_re": None}


class Faults:
    def __init__(self, specs=(), latency_ms=0):
        self.faults = []
        self.seq = 0
        self.latency = dict(NO_LATENCY, ms=latency_ms or 0)
        for spec in specs:
            try:
                self.add(parse_fault_cli(spec))
            except ValueError as e:
                raise SystemExit("kp-emulator: bad --fault %r: %s" % (spec, e))

    # ---- faults
    def add(self, spec):
        f = validate_fault(spec)
        self.seq += 1
        f["id"] = self.seq
        f["hits"] = 0
        self.faults.append(f)
        return public_fault(f)

    def listing(self):
        return [public_fault(f) for f in self.faults]

    def remove(self, fid):
        """How many faults had that id (0 or 1)."""
        before = len(self.faults)
        self.faults = [f for f in self.faults if f["id"] != fid]
        return before - len(self.faults)

    def clear(self):
        n = len(self.faults)
        self.faults = []
        return n

    def match(self, method, path):
        """A copy of the first fault for the request, counted; None if none."""
        for f in self.faults:
            if f["method"] not in ("*", method):
                continue
            if not f["_re"].search(path):
                continue
            f["hits"] += 1
            if f["count"] is not None:
                f["count"] -= 1
                if f["count"] <= 0:
                    self.faults.remove(f)
            return dict(f)
        return None

    # ---- latency
    def set_latency(self, spec):
        """spec: {ms, path, jitter_ms}; ValueError if it is not valid."""
        lat = {"ms": spec.get("ms", 0), "path": spec.get("path"),
               "jitter_ms": spec.get("jitter_ms", 0), "_re": None}
        for f in ("ms", "jitter_ms"):
            if not isinstance(lat[f], (int, float)) or lat[f] < 0:
                raise ValueError("%s must be a non-negative number" % f)
        if lat["path"] is not None:
            try:
                lat["_re"] = re.compile(lat["path"])
            except (re.error, TypeError) as e:
                raise ValueError("bad path regex: %s" % e)
        self.latency = lat
        return public_latency(lat)

    def clear_latency(self):
        self.latency = dict(NO_LATENCY)
        return public_latency(self.latency)

    def public_latency(self):
        return public_latency(self.latency)

    def latency_for(self, path):
        """Seconds to hold a request to path before it runs."""
        lat = self.latency
        if not lat["ms"] and not lat["jitter_ms"]:
            return 0
        if lat["_re"] is not None and not lat["_re"].search(path):
            return 0
        ms = lat["ms"]
        if lat["jitter_ms"]:
            ms += random.uniform(0, lat["jitter_ms"])
        return ms / 1000.0


def public_latency(lat):
    return {"ms": lat["ms"], "path": lat["path"], "jitter_ms": lat["jitter_ms"]}


def fault_response(f, kind):
    """The answer a status or malformed fault gives instead of the real one."""
    status = f["status"] if f["status"] is not None else 200
    if f["action"] == "malformed":
        raw = f["body"] if f["body"] is not None else MALFORMED_BODY
        return Resp(status, raw=raw, ctype="application/json")
    if f["body"] is not None:
        return Resp(status, raw=f["body"])
    if kind == "iam":
        return Resp(status, {"errorCode": "BXNIM0000E",
                             "errorMessage": f["message"] or "Injected fault",
                             "context": {"requestId": new_uuid()}})
    if f["code"]:
        return Resp(status, KPError(status, f["code"], "Injected fault",
                                    f["message"]).body())
    return Resp(status, plain_error_body(status, f["message"] or "Injected fault"))


FAULT_FIELDS = ("method", "path", "status", "code", "message", "body", "headers",
                "delay_ms", "action", "count", "when")


def validate_fault(spec):
    if not isinstance(spec, dict):
        raise ValueError("a fault is a JSON object")
    for k in spec:
        if k not in FAULT_FIELDS:
            raise ValueError("unknown fault field %r" % k)
    f = {"method": str(spec.get("method", "*")).upper(),
         "path": spec.get("path", ""), "status": spec.get("status"),
         "code": spec.get("code"), "message": spec.get("message"),
         "body": spec.get("body"), "headers": spec.get("headers") or {},
         "delay_ms": spec.get("delay_ms", 0), "action": spec.get("action"),
         "count": spec.get("count"), "when": spec.get("when", "before")}
    try:
        f["_re"] = re.compile(f["path"] or "")
    except (re.error, TypeError) as e:
        raise ValueError("bad path regex: %s" % e)
    if f["status"] is not None and (not isinstance(f["status"], int) or not 100 <= f["status"] <= 599):
        raise ValueError("status must be an integer 100..599")
    if f["action"] is not None and f["action"] not in ACTIONS:
        raise ValueError("action must be reset, close, malformed or truncate")
    if not isinstance(f["delay_ms"], (int, float)) or f["delay_ms"] < 0:
        raise ValueError("delay_ms must be a non-negative number")
    if f["count"] is not None and (not isinstance(f["count"], int) or f["count"] < 1):
        raise ValueError("count must be a positive integer")
    if f["when"] not in ("before", "after"):
        raise ValueError("when must be before or after")
    if not isinstance(f["headers"], dict) or any(
            not isinstance(v, (str, int)) for v in f["headers"].values()):
        raise ValueError("headers must be an object of strings")
    f["headers"] = {str(k): str(v) for k, v in f["headers"].items()}
    if f["body"] is not None and not isinstance(f["body"], str):
        raise ValueError("body must be a string")
    if f["code"] is not None and f["status"] is None:
        raise ValueError("code needs status")
    if f["status"] is None and f["action"] is None and not f["delay_ms"]:
        raise ValueError("a fault needs status, action or delay_ms")
    return f


def public_fault(f):
    return {k: v for k, v in f.items() if not k.startswith("_")}


def parse_fault_cli(spec):
    """--fault SPEC: a JSON object, or key=value pairs separated by ';'."""
    spec = spec.strip()
    if spec.startswith("{"):
        try:
            return json.loads(spec)
        except ValueError as e:
            raise ValueError("bad JSON: %s" % e)
    out = {}
    for part in spec.split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError("expected key=value in %r" % part)
        k, v = part.split("=", 1)
        k = k.strip()
        if k in ("status", "count"):
            v = int(v)
        elif k == "delay_ms":
            v = float(v)
        elif k == "headers":
            hv = {}
            for h in v.split(","):
                hk, _, hval = h.partition(":")
                hv[hk.strip()] = hval.strip()
            v = hv
        out[k] = v
    return out

