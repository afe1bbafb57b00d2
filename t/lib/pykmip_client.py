#!/usr/bin/python3
"""Command-line wrapper around Debian's PyKMIP client (python3-pykmip) for
the ngx_kmip test suites.  Run it with /usr/bin/python3.

    pykmip_client.py --host 127.0.0.1 --port N --cert C --key K --ca CA \
        [--version 1.2] [--username U --password P] [--timeout S] \
        [--server-name NAME] COMMAND [ARGS]

Prints exactly one JSON object on stdout.  On error it prints
{"error": "...", "status": ..., "reason": ..., "message": ...} and exits 1.

Commands (KMIPProxy, the low-level client):
    discover-versions [--versions 1.2,1.1]   -> {"versions": ["1.2", ...]}
    query [--functions operations,objects,server-information]
        -> {"operations": [...], "object_types": [...],
            "vendor_identification": ..., "server_information": ...}
Commands (ProxyKmipClient, the "pie" client):
    create --algorithm AES --length 256 [--name N] [--usage encrypt,decrypt]
                                          -> {"uid": ...}
    register --algorithm AES --key-hex HEX [--name N] [--usage ...]
                                          -> {"uid": ...}
    get UID                               -> {"uid", "object_type", "algorithm",
                                              "length", "key_hex", ...}
    get-attributes UID [--names "A,B"]    -> {"uid", "attributes": {...}}
    get-attribute-list UID                -> {"names": [...]}
    activate UID | destroy UID            -> {"ok": true}
    revoke UID [--reason key-compromise|cessation-of-operation|...]
                                          -> {"ok": true}
    locate [--name N] [--object-type symmetric-key] [--state active]
           [--maximum-items N]            -> {"uids": [...]}
    modify-attribute UID --attribute-name N --attribute-value V
    delete-attribute UID --attribute-name N [--index I]

TLS: PyKMIP 0.10 builds its socket with ssl.wrap_socket (deprecated, no
hostname checking, no TLS 1.3 control).  This wrapper replaces
KMIPProxy._create_socket with an ssl.SSLContext (PROTOCOL_TLS_CLIENT,
verify the server against --ca, present --cert/--key, check the server name
--server-name [default: the --host]; --no-verify disables verification and
--tls-max 1.2 caps the protocol version) so mutual TLS works on Python 3.11 /
OpenSSL 3.
"""

import argparse
import binascii
import enum
import json
import logging
import socket
import ssl
import sys
import traceback


def _fail(msg, status=None, reason=None, message=None, code=1):
    out = {"error": msg, "status": status, "reason": reason}
    if message is not None:
        out["message"] = message
    sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
    sys.exit(code)


# PyKMIP warns on import when no pykmip.conf exists; keep stderr quiet
_kmip_log = logging.getLogger("kmip")
_kmip_log.addHandler(logging.NullHandler())
_kmip_log.propagate = False

try:
    from kmip.core import enums
    from kmip.services import kmip_client
    from kmip.pie import client as pie_client
    from kmip.pie import objects as pie_objects
    from kmip.pie import exceptions as pie_exceptions
    from kmip.core import exceptions as kmip_exceptions
except Exception as e:  # pragma: no cover - environment problem
    if __name__ == "__main__" and "--help" not in sys.argv and "-h" not in sys.argv:
        _fail("cannot import PyKMIP (run with /usr/bin/python3): %s" % e)
    enums = None


# --------------------------------------------------------------- TLS

TLS_OPTS = {}


def _create_socket(self, sock):
    o = TLS_OPTS
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if o.get("tls_max") == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if o.get("verify", True):
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        if self.ca_certs:
            ctx.load_verify_locations(cafile=self.ca_certs)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if self.certfile:
        ctx.load_cert_chain(self.certfile, self.keyfile)
    name = o.get("server_name") or self.host
    self.socket = ctx.wrap_socket(
        sock, server_hostname=name, do_handshake_on_connect=True,
        suppress_ragged_eofs=True)
    self.socket.settimeout(self.timeout)


if enums is not None:
    kmip_client.KMIPProxy._create_socket = _create_socket


# --------------------------------------------------------------- helpers

def plain(v, depth=0):
    """Turn PyKMIP results (enums, primitives, structs) into JSON values."""
    if depth > 12:
        return repr(v)
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, bytes):
        return binascii.hexlify(v).decode()
    if isinstance(v, enum.Enum):
        return v.name
    if isinstance(v, (list, tuple)):
        return [plain(x, depth + 1) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x, depth + 1) for k, x in v.items()}
    # ProtocolVersion (0.10: .major/.minor)
    if hasattr(v, "major") and hasattr(v, "minor"):
        return "%s.%s" % (plain(v.major, depth + 1), plain(v.minor, depth + 1))
    if hasattr(v, "value") and not callable(v.value):
        return plain(v.value, depth + 1)
    if hasattr(v, "__dict__"):
        d = {}
        for k, x in list(vars(v).items()):
            if k.startswith("_") and not k.startswith("_" + k.strip("_")):
                continue
            if k in ("tag", "type", "length", "logger"):
                continue
            d[k.lstrip("_")] = plain(x, depth + 1)
        return d
    return str(v)


def kmip_version(s):
    m = {"1.0": "KMIP_1_0", "1.1": "KMIP_1_1", "1.2": "KMIP_1_2",
         "1.3": "KMIP_1_3", "1.4": "KMIP_1_4", "2.0": "KMIP_2_0"}
    if s not in m:
        raise argparse.ArgumentTypeError("unsupported KMIP version %s" % s)
    return s


def enum_by_name(cls, s):
    key = s.upper().replace("-", "_").replace(" ", "_")
    try:
        return cls[key]
    except KeyError:
        _fail("unknown %s value %r (known: %s)" % (
            cls.__name__, s, ", ".join(m.name for m in cls)))


def check_result(res):
    st = getattr(res, "result_status", None)
    stv = plain(st)
    if stv not in (None, "SUCCESS"):
        _fail("operation failed", status=stv,
              reason=plain(getattr(res, "result_reason", None)),
              message=plain(getattr(res, "result_message", None)))


def proxy(a):
    return kmip_client.KMIPProxy(
        host=a.host, port=a.port, certfile=a.cert, keyfile=a.key,
        ca_certs=a.ca, cert_reqs="CERT_REQUIRED",
        ssl_version="PROTOCOL_TLS", username=a.username, password=a.password,
        timeout=a.timeout, config_file=a.config_file,
        kmip_version=getattr(enums.KMIPVersion,
                             "KMIP_" + a.version.replace(".", "_")))


def pie(a):
    return pie_client.ProxyKmipClient(
        hostname=a.host, port=a.port, cert=a.cert, key=a.key, ca=a.ca,
        ssl_version="PROTOCOL_TLS", username=a.username, password=a.password,
        config_file=a.config_file,
        kmip_version=getattr(enums.KMIPVersion,
                             "KMIP_" + a.version.replace(".", "_")))


def usage_mask(s):
    if not s:
        return None
    return [enum_by_name(enums.CryptographicUsageMask, x)
            for x in s.split(",") if x]


# --------------------------------------------------------------- commands

def cmd_discover_versions(a):
    p = proxy(a)
    p.open()
    try:
        versions = None
        if a.versions:
            from kmip.core.messages.contents import ProtocolVersion
            versions = [ProtocolVersion(*[int(x) for x in v.split(".")])
                        for v in a.versions.split(",")]
        res = p.discover_versions(protocol_versions=versions)
    finally:
        p.close()
    check_result(res)
    return {"versions": plain(res.protocol_versions) or []}


QUERY_FUNCTIONS = {
    "operations": "QUERY_OPERATIONS",
    "objects": "QUERY_OBJECTS",
    "server-information": "QUERY_SERVER_INFORMATION",
    "application-namespaces": "QUERY_APPLICATION_NAMESPACES",
    "extension-list": "QUERY_EXTENSION_LIST",
    "extension-map": "QUERY_EXTENSION_MAP",
}


def cmd_query(a):
    fns = [getattr(enums.QueryFunction, QUERY_FUNCTIONS[f])
           for f in a.functions.split(",") if f]
    p = proxy(a)
    p.open()
    try:
        res = p.query(query_functions=fns)
    finally:
        p.close()
    check_result(res)
    return {
        "operations": plain(res.operations) or [],
        "object_types": plain(res.object_types) or [],
        "vendor_identification": plain(res.vendor_identification),
        "server_information": plain(res.server_information),
    }


def _with_pie(a, fn):
    c = pie(a)
    c.open()
    try:
        return fn(c)
    finally:
        c.close()


def cmd_create(a):
    alg = enum_by_name(enums.CryptographicAlgorithm, a.algorithm)
    uid = _with_pie(a, lambda c: c.create(
        alg, a.length, name=a.name,
        cryptographic_usage_mask=usage_mask(a.usage)))
    return {"uid": uid}


def cmd_register(a):
    alg = enum_by_name(enums.CryptographicAlgorithm, a.algorithm)
    key = binascii.unhexlify(a.key_hex)
    kw = {"masks": usage_mask(a.usage)}
    if a.name:
        kw["name"] = a.name
    obj = pie_objects.SymmetricKey(alg, len(key) * 8, key, **kw)
    uid = _with_pie(a, lambda c: c.register(obj))
    return {"uid": uid}


def cmd_get(a):
    o = _with_pie(a, lambda c: c.get(a.uid))
    out = {"uid": getattr(o, "unique_identifier", None),
           "object_type": plain(getattr(o, "object_type", None)),
           "class": type(o).__name__}
    for k in ("cryptographic_algorithm", "cryptographic_length",
              "key_format_type", "cryptographic_usage_masks"):
        if hasattr(o, k):
            out[k] = plain(getattr(o, k))
    # the names of a pie object are an SQLAlchemy collection: list them
    if getattr(o, "names", None) is not None:
        out["names"] = [str(n) for n in list(o.names)]
    if hasattr(o, "value"):
        out["key_hex"] = plain(o.value)
    return out


def cmd_get_attributes(a):
    names = [n for n in (a.names or "").split(",") if n] or None
    uid, attrs = _with_pie(a, lambda c: c.get_attributes(a.uid, names))
    d = {}
    for at in attrs:
        n = plain(at.attribute_name)
        v = plain(at.attribute_value)
        if n in d:
            if not isinstance(d[n], list) or not d.get("_multi_" + n):
                d[n] = [d[n]]
                d["_multi_" + n] = True
            d[n].append(v)
        else:
            d[n] = v
    d = {k: v for k, v in d.items() if not k.startswith("_multi_")}
    return {"uid": uid, "attributes": d}


def cmd_get_attribute_list(a):
    names = _with_pie(a, lambda c: c.get_attribute_list(a.uid))
    return {"names": sorted(plain(names) or [])}


def cmd_activate(a):
    _with_pie(a, lambda c: c.activate(a.uid))
    return {"ok": True}


def cmd_destroy(a):
    _with_pie(a, lambda c: c.destroy(a.uid))
    return {"ok": True}


def cmd_revoke(a):
    reason = enum_by_name(enums.RevocationReasonCode, a.reason)
    _with_pie(a, lambda c: c.revoke(reason, a.uid,
                                    revocation_message=a.message))
    return {"ok": True}


def cmd_locate(a):
    from kmip.core.factories.attributes import AttributeFactory
    f = AttributeFactory()
    attrs = []
    if a.name:
        attrs.append(f.create_attribute(enums.AttributeType.NAME, a.name))
    if a.object_type:
        attrs.append(f.create_attribute(
            enums.AttributeType.OBJECT_TYPE,
            enum_by_name(enums.ObjectType, a.object_type)))
    if a.state:
        attrs.append(f.create_attribute(
            enums.AttributeType.STATE, enum_by_name(enums.State, a.state)))
    uids = _with_pie(a, lambda c: c.locate(maximum_items=a.maximum_items,
                                           attributes=attrs or None))
    return {"uids": plain(uids) or []}


def _attribute_kwargs(a):
    from kmip.core import primitives
    kw = {"attribute_name": a.attribute_name}
    if a.index is not None:
        kw["attribute_index"] = a.index
    if getattr(a, "attribute_value", None) is not None:
        kw["attribute_value"] = a.attribute_value
    return kw


def _attribute_name(name):
    """The AttributeType for a standard name (PyKMIP's factory only knows
    standard attributes by their enum); custom x-/y- names stay strings."""
    try:
        return enums.AttributeType(name)
    except ValueError:
        return name


def _attribute_value(name, value, index=None):
    """A primitive for the attribute, from its command-line string."""
    from kmip.core.factories.attributes import AttributeFactory
    n = _attribute_name(name)
    if n in (enums.AttributeType.NAME,):
        from kmip.core.attributes import Name
        value = Name.create(value, enums.NameType.UNINTERPRETED_TEXT_STRING)
    elif isinstance(n, enums.AttributeType) and n.name.endswith("_DATE"):
        value = int(value)
    elif isinstance(n, enums.AttributeType) and n in (
            enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK,
            enums.AttributeType.CRYPTOGRAPHIC_LENGTH):
        value = int(value)
    return AttributeFactory().create_attribute(n, value, index=index)


def _v2(a):
    return a.version.startswith("2.")


def _attribute_reference(name):
    """KMIP 2.0 Attribute Reference {Vendor Identification, Attribute
    Name}: "x-Name" is vendor "x", attribute "Name"; a standard attribute
    has an empty Vendor Identification."""
    from kmip.core import objects
    if len(name) > 2 and name[1] == "-" and name[0] in "xy":
        return objects.AttributeReference(vendor_identification=name[0],
                                          attribute_name=name[2:])
    return objects.AttributeReference(vendor_identification="",
                                      attribute_name=name)


def cmd_modify_attribute(a):
    from kmip.core import objects
    at = _attribute_value(a.attribute_name, a.attribute_value, a.index)
    if _v2(a):
        n = _attribute_name(a.attribute_name)
        if not isinstance(n, enums.AttributeType):
            raise ValueError("PyKMIP 0.10 has no KMIP 2.0 vendor attributes")
        v = at.attribute_value
        v.tag = enums.Tags[n.name]
        res = _with_pie(a, lambda c: c.modify_attribute(
            unique_identifier=a.uid,
            new_attribute=objects.NewAttribute(attribute=v)))
    else:
        res = _with_pie(a, lambda c: c.modify_attribute(
            unique_identifier=a.uid, attribute=at))
    return {"result": plain(res)}


def cmd_delete_attribute(a):
    if _v2(a):
        res = _with_pie(a, lambda c: c.delete_attribute(
            unique_identifier=a.uid,
            attribute_reference=_attribute_reference(a.attribute_name)))
    else:
        res = _with_pie(a, lambda c: c.delete_attribute(
            unique_identifier=a.uid, attribute_name=a.attribute_name,
            attribute_index=a.index))
    return {"result": plain(res)}


# --------------------------------------------------------------- main

def build_parser():
    p = argparse.ArgumentParser(
        prog="pykmip_client.py",
        description="PyKMIP client wrapper for the ngx_kmip tests; prints "
                    "one JSON object on stdout.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5696)
    p.add_argument("--cert", help="client certificate (PEM)")
    p.add_argument("--key", help="client private key (PEM)")
    p.add_argument("--ca", help="CA certificate(s) to verify the server")
    p.add_argument("--version", type=kmip_version, default="1.2",
                   help="KMIP protocol version of requests (default 1.2)")
    p.add_argument("--username")
    p.add_argument("--password")
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("--server-name", help="name to verify in the server "
                   "certificate (default: --host)")
    p.add_argument("--no-verify", action="store_true",
                   help="do not verify the server certificate")
    p.add_argument("--tls-max", choices=["1.2", "1.3"], default="1.3")
    p.add_argument("--config-file", help="PyKMIP client config file "
                   "(default: none; all settings come from the options)")
    p.add_argument("--debug", action="store_true",
                   help="PyKMIP debug logging on stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser("discover-versions", help="Discover Versions")
    s.add_argument("--versions", help="comma-separated versions to offer")
    s.set_defaults(func=cmd_discover_versions)

    s = sub.add_parser("query", help="Query")
    s.add_argument("--functions",
                   default="operations,objects,server-information",
                   help="comma-separated: " + ", ".join(QUERY_FUNCTIONS))
    s.set_defaults(func=cmd_query)

    s = sub.add_parser("create", help="Create a symmetric key")
    s.add_argument("--algorithm", default="AES")
    s.add_argument("--length", type=int, default=256)
    s.add_argument("--name")
    s.add_argument("--usage", default="encrypt,decrypt")
    s.set_defaults(func=cmd_create)

    s = sub.add_parser("register", help="Register a symmetric key")
    s.add_argument("--algorithm", default="AES")
    s.add_argument("--key-hex", required=True)
    s.add_argument("--name")
    s.add_argument("--usage", default="encrypt,decrypt")
    s.set_defaults(func=cmd_register)

    for name, fn, hlp in (("get", cmd_get, "Get"),
                          ("get-attribute-list", cmd_get_attribute_list,
                           "Get Attribute List"),
                          ("activate", cmd_activate, "Activate"),
                          ("destroy", cmd_destroy, "Destroy")):
        s = sub.add_parser(name, help=hlp)
        s.add_argument("uid")
        s.set_defaults(func=fn)

    s = sub.add_parser("get-attributes", help="Get Attributes")
    s.add_argument("uid")
    s.add_argument("--names", help="comma-separated attribute names")
    s.set_defaults(func=cmd_get_attributes)

    s = sub.add_parser("revoke", help="Revoke")
    s.add_argument("uid")
    s.add_argument("--reason", default="cessation-of-operation")
    s.add_argument("--message")
    s.set_defaults(func=cmd_revoke)

    s = sub.add_parser("locate", help="Locate")
    s.add_argument("--name")
    s.add_argument("--object-type")
    s.add_argument("--state")
    s.add_argument("--maximum-items", type=int)
    s.set_defaults(func=cmd_locate)

    # the attribute commands: an object, an attribute name and its index
    def attribute_command(name, fn, hlp):
        s = sub.add_parser(name, help=hlp)
        s.add_argument("uid")
        s.add_argument("--attribute-name", required=True)
        s.add_argument("--index", type=int)
        s.set_defaults(func=fn)
        return s

    s = attribute_command("modify-attribute", cmd_modify_attribute,
                          "Modify Attribute")
    s.add_argument("--attribute-value", required=True)
    attribute_command("delete-attribute", cmd_delete_attribute,
                      "Delete Attribute")
    return p


def main(argv=None):
    a = build_parser().parse_args(argv)
    if a.debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        _kmip_log.propagate = True
        _kmip_log.setLevel(logging.DEBUG)
    TLS_OPTS.update(verify=not a.no_verify, server_name=a.server_name,
                    tls_max=a.tls_max)
    try:
        out = a.func(a)
    except SystemExit:
        raise
    except pie_exceptions.KmipOperationFailure as e:
        _fail("operation failed", status=plain(e.status),
              reason=plain(e.reason), message=str(e.message))
    except kmip_exceptions.OperationFailure as e:
        # the operations PyKMIP sends through send_request_payload (Modify
        # and Delete Attribute) raise the core exception instead
        _fail("operation failed", status=plain(e.status),
              reason=plain(e.reason), message=str(e))
    except ssl.SSLError as e:
        _fail("TLS error: %s" % e, reason=getattr(e, "reason", None))
    except (socket.error, OSError) as e:
        _fail("connection error: %s" % e)
    except Exception as e:
        if a.debug:
            traceback.print_exc()
        _fail("%s: %s" % (type(e).__name__, e))
    sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
