"""The front door, independent of the transport: classifies a request
(IAM, Key Protect, admin, other) and answers it with a Resp."""

from . import routes
from .admin import Admin, AdminError
from .faults import Faults
from .iam import Iam
from .kp import KeyProtect
from .settings import Settings
from .state import RequestLog, TextLog
from .wire import KPError, Resp, Unauthorized, plain_error_body, unauthorized_body


def classify(path):
    if path.startswith("/_emulator/") or path == "/_emulator":
        return "admin"
    if path in ("/identity/token", "/oidc/token"):
        return "iam"
    if path.startswith("/api/v2/") or path == "/api/v2":
        return "kp"
    return "other"


class App:
    def __init__(self, store, opts):
        self.store = store
        self.settings = Settings(opts)
        self.iam = Iam(store, self.settings)
        self.kp = KeyProtect(store, self.settings, self.iam)
        self.faults = Faults(opts.fault or [], opts.latency_ms)
        self.reqlog = RequestLog()
        self.log = TextLog(opts.log)
        self.admin = Admin(self)

    def handle(self, req):
        kind = classify(req.path)
        if kind == "admin":
            return self.handle_admin(req)
        if kind == "iam":
            return self.iam.handle(req)
        if kind == "kp":
            try:
                return routes.handle(self.kp, req)
            except KPError as e:
                return Resp(e.status, e.body(), headers=e.headers)
            except Unauthorized:
                return Resp(401, unauthorized_body())
        return Resp(404, plain_error_body(404, "The requested resource could not be found"))

    def handle_admin(self, req):
        if not self.settings.admin_enabled:
            return Resp(404, plain_error_body(404, "Not found"))
        try:
            return self.admin.handle(req)
        except AdminError as e:
            return Resp(e.status, {"error": str(e)})
        except (ValueError, TypeError, KeyError) as e:
            return Resp(400, {"error": "bad admin request: %s" % type(e).__name__})
