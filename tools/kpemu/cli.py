"""The command line: init (create a state file), show (print its init JSON)
and serve (IAM + Key Protect on one port)."""

import argparse
import json
import os
import sys

try:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: F401
except ImportError:  # pragma: no cover
    sys.stderr.write("kp-emulator: python3-cryptography is required "
                     "(apt-get install -y python3-cryptography)\n")
    sys.exit(2)

from .app import App  # noqa: E402
from .httpd import serve  # noqa: E402
from .state import Store, new_state  # noqa: E402


def init_info(data, path):
    crk = next((k for k in sorted(data["keys"].values(), key=lambda k: k["created"])
                if not k["extractable"]), None)
    return {"instance": data["instance"], "root_key": crk["id"] if crk else None,
            "root_key_name": crk["name"] if crk else None,
            "api_key": data["api_keys"][0]["apikey"], "region": data["region"],
            "state": os.path.abspath(path)}


def cmd_init(a):
    if os.path.exists(a.state) and not a.force:
        sys.stderr.write("kp-emulator: %s exists; use --force to overwrite\n" % a.state)
        return 1
    data = new_state(a.region, a.instance, a.api_key, a.root_key_name)
    Store.write_atomic(a.state, data)
    try:
        os.unlink(os.path.abspath(a.state) + ".journal")  # stale journal of a replaced state
    except FileNotFoundError:
        pass
    print(json.dumps(init_info(data, a.state)))
    return 0


def cmd_show(a):
    data, _ = Store.load(a.state)
    print(json.dumps(init_info(data, a.state)))
    return 0


def cmd_serve(a):
    store = Store(a.state, do_fsync=not a.no_fsync, mode=a.persist)
    app = App(store, a)
    serve(app, a.listen, a.tls_cert, a.tls_key, a.idle_timeout)
    return 0


def parser():
    ap = argparse.ArgumentParser(prog="kp-emulator",
                                 description="IBM Key Protect + IAM emulator")
    sub = ap.add_subparsers(dest="cmd", required=True)
    pi = sub.add_parser("init", help="create a state file")
    pi.add_argument("--state", required=True)
    pi.add_argument("--region", default="us-south")
    pi.add_argument("--force", action="store_true")
    pi.add_argument("--api-key", help="use this API key instead of a random one")
    pi.add_argument("--instance", help="use this instance GUID instead of a random one")
    pi.add_argument("--root-key-name", default="kmip-crk")
    ps = sub.add_parser("show", help="print the init JSON of an existing state file")
    ps.add_argument("--state", required=True)
    serve_options(sub.add_parser("serve", help="serve IAM + Key Protect"))
    return ap


def serve_options(pv):
    pv.add_argument("--listen", required=True, help="HOST:PORT (port 0 = any free)")
    pv.add_argument("--state", required=True)
    pv.add_argument("--token-ttl", type=int, default=3600)
    pv.add_argument("--tls-cert")
    pv.add_argument("--tls-key")
    pv.add_argument("--fault", action="append", default=[])
    pv.add_argument("--latency-ms", type=float, default=0)
    pv.add_argument("--strict-json", dest="strict_json", action="store_true", default=True)
    pv.add_argument("--no-strict-json", dest="strict_json", action="store_false")
    pv.add_argument("--relax-timing", action="store_true")
    pv.add_argument("--log", help="request log file ('-' = stderr)")
    pv.add_argument("--no-admin", action="store_true", help="disable /_emulator/")
    pv.add_argument("--persist", choices=("journal", "snapshot"), default="journal",
                    help="journal: fsync'd append-only journal + periodic atomic "
                         "snapshot (default); snapshot: rewrite the whole state "
                         "file atomically on every mutation")
    pv.add_argument("--no-fsync", action="store_true",
                    help="skip fsync (still atomic vs. process kill; not vs. power loss)")
    pv.add_argument("--idle-timeout", type=float, default=120,
                    help="close idle keep-alive connections after SECONDS")


def main(argv=None):
    ap = parser()
    a = ap.parse_args(argv)
    if a.cmd == "serve" and a.token_ttl < 1:
        ap.error("--token-ttl must be >= 1")
    return {"init": cmd_init, "show": cmd_show, "serve": cmd_serve}[a.cmd](a)
