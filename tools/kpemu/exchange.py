"""One IAM or Key Protect request on its way through the emulator: the
injected latency, a matching fault (before or after the real operation,
in place of its answer or delaying it), the App, and the request log.
Delays are loop timers, so a delayed request holds up nobody else."""

import asyncio
import time
import traceback

from .app import classify
from .faults import fault_response
from .wire import EverySecond, KPError, Request, Resp, iso, new_uuid

SECRET_QUERY_PARAMS = {"apikey", "access_token", "token", "refresh_token",
                       "password", "payload", "plaintext", "ciphertext",
                       "client_secret", "uaa_client_secret"}

# the request log's "time": iso() with milliseconds
LOG_TIME = EverySecond(lambda s: iso(s)[:-1])


class Exchange:
    """One IAM or Key Protect request through latency, faults and the App,
    in steps run by loop timers; recorded in the request log at the end."""

    def __init__(self, conn, head, body):
        self.conn = conn
        self.app = conn.app
        self.method = head.method
        self.req = Request(head.method, head.target, head.headers, body)
        self.fault = None
        self.replace = False
        self.resp = None
        self.entry = None
        self.finished = False

    def later(self, seconds, step):
        asyncio.get_running_loop().call_later(seconds, self.guard, step)

    def guard(self, step):
        try:
            step()
        except Exception:
            self.app.log("handler error: %s"
                         % traceback.format_exc().replace("\n", " | "))
            self.conn.close()
            self.finish()

    def start(self):
        self.guard(self.begin)

    def begin(self):
        app, req = self.app, self.req
        kind = self.kind = classify(req.path)
        if kind == "admin":
            self.conn.respond(app.handle(req), {}, self.method)
            self.finish()
            return
        t0 = self.t0 = time.time()
        corr = req.h("Correlation-Id") or new_uuid()
        self.extra = {"Correlation-Id": corr}
        self.entry = {"time": LOG_TIME(t0) + (".%03dZ" % int((t0 % 1) * 1000)),
                      "ts": round(t0, 3), "method": self.method,
                      "path": req.path, "query": sanitize_query(req.query),
                      "kind": kind, "correlation_id": corr, "status": None,
                      "fault": None}
        lat = app.faults.latency_for(req.path)
        if lat:
            self.later(lat, self.check_fault)
        else:
            self.guard(self.check_fault)

    def check_fault(self):
        f = self.fault = self.app.faults.match(self.method, self.req.path)
        if f is not None:
            self.replace = f["action"] is not None or f["status"] is not None
            self.entry["fault"] = f["id"]
            if f["when"] == "before" and f["delay_ms"]:
                self.later(f["delay_ms"] / 1000.0, self.run)
                return
        self.run()

    def run(self):
        f = self.fault
        if f is not None and self.replace and f["when"] == "before":
            self.entry["status"] = self.apply_fault()
            self.finish()
            return
        try:
            self.resp = self.app.handle(self.req)
        except Exception:
            self.app.log("ERROR %s %s: %s" % (
                self.method, self.req.path,
                traceback.format_exc().replace("\n", " | ")))
            self.resp = Resp(500, KPError(500, "INTERNAL_SERVER_ERR",
                                          "Request could not be processed")
                             .body())
        if f is not None and f["when"] == "after":
            if f["delay_ms"]:
                self.later(f["delay_ms"] / 1000.0, self.after)
                return
            self.after()
            return
        self.reply()

    def after(self):
        if self.replace:
            # the operation happened (and is durable); the client never
            # hears of it
            self.entry["status"] = self.apply_fault()
            self.finish()
            return
        self.reply()

    def reply(self):
        self.entry["status"] = self.resp.status
        self.conn.respond(self.resp, self.extra, self.method)
        self.finish()

    def finish(self):
        if self.finished:
            return
        self.finished = True
        e = self.entry
        if e is not None:
            e["duration_ms"] = round((time.time() - self.t0) * 1000, 1)
            app = self.app
            app.reqlog.record(e)
            app.log("%s %s %s corr=%s %.1fms%s" % (
                e["method"], e["path"],
                e["status"] if e["status"] is not None else "-",
                e["correlation_id"], e["duration_ms"],
                (" fault=%s" % e["fault"]) if e["fault"] else ""))
        self.conn.done()

    def apply_fault(self):
        """The fault's answer (or none) in place of the real one; returns
        what the request log shows as its status."""
        f, conn = self.fault, self.conn
        action = f["action"]
        if action == "reset":
            conn.reset()
            return "reset"
        if action == "close":
            conn.close_after = True
            return "close"
        headers = dict(self.extra)
        headers.update(f["headers"])
        resp = fault_response(f, self.kind)
        if action == "truncate":
            self.truncated(resp, headers)
            return "truncate"
        conn.respond(resp, headers, self.method)
        return resp.status

    def truncated(self, resp, headers):
        """Half the body, announced 100 bytes longer, then close."""
        data = resp.body_bytes()
        self.conn.close_after = True
        hl = [("Content-Type", "application/json")]
        hl += list(headers.items())
        hl.append(("Content-Length", str(len(data) + 100)))
        self.conn.write(resp.status, hl, data[:max(1, len(data) // 2)])


def sanitize_query(q):
    out = {}
    for k, vs in q.items():
        if k.lower() in SECRET_QUERY_PARAMS:
            out[k] = "[redacted]"
        else:
            out[k] = vs[-1] if len(vs) == 1 else vs
    return out

