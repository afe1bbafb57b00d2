"""The HTTP layer: one asyncio event loop in one thread serves every
connection, plain or TLS.  Each connection parses its requests in order
with http1.py (keep-alive, pipelining, Content-Length and chunked bodies,
Expect: 100-continue, the same error pages as http.server), hands each one
to an Exchange (exchange.py) and writes the answer in one send.  (A thread per
connection behind http.server spent most of the emulator's CPU in header
parsing and in handing the interpreter lock between threads: bench/,
scenario 2.)"""

import asyncio
import email.utils
import gc
import html
import http
import re
import signal
import socket
import ssl
import struct
import sys
import time
import traceback

from . import VERSION
from .exchange import Exchange
from .http1 import (MAX_HEADERS, MAX_LINE, HttpError, parse_chunked,
                    parse_head)
from .wire import EverySecond, Resp, plain_error_body

MAX_BUFFERED = 4 * 1024 * 1024
STATUS_PHRASES = {s.value: s.phrase for s in http.HTTPStatus}
STATUS_EXPLAIN = {s.value: s.description for s in http.HTTPStatus}
SERVER_HEADER = "kp-emulator/" + VERSION
HTTP_DATE = EverySecond(lambda s: email.utils.formatdate(s, usegmt=True))


class Connection(asyncio.Protocol):
    """One client connection: parses requests in order, answers each one,
    then the next one (an answer delayed by latency or a fault holds up the
    next request on this connection only, as with a real server)."""

    def __init__(self, server):
        self.server = server
        self.app = server.app
        self.transport = None
        self.buf = bytearray()
        self.head = None
        self.busy = False
        self.closed = False
        self.close_after = False
        self.paused = False
        self.in_process = False
        self.http09 = False
        self.peer = "-"
        self.last = time.monotonic()

    # -- asyncio callbacks
    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        peer = transport.get_extra_info("peername")
        if peer:
            self.peer = peer[0]
        self.server.conns.add(self)

    def connection_lost(self, exc):
        self.closed = True
        self.server.conns.discard(self)
        if exc is not None:
            self.app.log("connection %s: %s" % (self.peer, type(exc).__name__))

    def data_received(self, data):
        self.buf += data
        self.last = time.monotonic()
        if not self.busy:
            self.process()
        if not self.paused and len(self.buf) > MAX_BUFFERED and not self.closed:
            self.paused = True
            self.transport.pause_reading()

    def eof_received(self):
        # the client will send nothing more: answer what is complete, then
        # close (a request cut short is dropped, as http.server did)
        self.close_after = True
        if not self.busy:
            self.close()
        return True

    # -- requests
    def process(self):
        if self.in_process:
            return
        self.in_process = True
        try:
            self.parse_all()
        finally:
            self.in_process = False

    def parse_all(self):
        while not self.busy and not self.closed:
            if self.head is None:
                try:
                    if not self.read_head():
                        break
                except HttpError as e:
                    self.send_error(e.status, e.message, e.http09, e.explain)
                    return
                except (ValueError, OverflowError):
                    self.too_large()
                    return
            h = self.head
            if not h.continue_sent:
                h.continue_sent = True
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            try:
                body = self.read_body(h)
            except (ValueError, OverflowError):
                self.too_large()
                return
            if body is None:
                break
            self.head = None
            if h.close:
                self.close_after = True
            self.http09 = h.http09
            self.busy = True
            Exchange(self, h, body).start()
        if self.paused and len(self.buf) <= MAX_BUFFERED and not self.closed:
            self.paused = False
            self.transport.resume_reading()
        if not self.busy and self.close_after and not self.closed:
            self.close()

    def read_head(self):
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            lines = bytes(buf[:end]).decode("iso-8859-1").split("\r\n")
            used = end + 4
        else:
            # bare LF line ends, which http.server accepted too
            end = buf.find(b"\n\n")
            if end < 0:
                end = buf.find(b"\n\r\n")
                if end >= 0:
                    used = end + 3
            else:
                used = end + 2
            if end < 0:
                first = buf.find(b"\n")
                if first < 0 and len(buf) > MAX_LINE:
                    raise HttpError(414, "Request-URI Too Long")
                if len(buf) > MAX_LINE * (MAX_HEADERS + 2):
                    raise HttpError(431, "Too many headers", False,
                                    "got more than %d headers" % MAX_HEADERS)
                return False
            lines = [ln.rstrip("\r") for ln in
                     bytes(buf[:end]).decode("iso-8859-1").split("\n")]
        if len(lines[0]) > MAX_LINE:
            raise HttpError(414, "Request-URI Too Long")
        if not lines[0].strip():
            # an empty request line: http.server closed the connection
            del buf[:]
            self.close()
            return False
        self.head = parse_head(lines)
        del buf[:used]
        return True

    def read_body(self, h):
        buf = self.buf
        if h.chunked:
            r = parse_chunked(buf)
            if r is None:
                return None
            body, used = r
            del buf[:used]
            return body
        n = h.length
        if n == 0:
            return b""
        if len(buf) < n:
            return None
        body = bytes(buf[:n])
        del buf[:n]
        return body

    def done(self):
        """The exchange in progress is over: on to the next request."""
        self.busy = False
        self.last = time.monotonic()
        if self.closed:
            return
        if self.close_after:
            self.close()
            return
        self.process()

    # -- answers
    def write(self, status, headers, body=b"", reason=None):
        """Status line, Server, Date, headers (a list of pairs), then the
        body, in one send; Content-Type and Content-Length are the
        caller's."""
        if self.closed:
            return
        if self.http09:
            self.transport.write(body)
            return
        out = ["HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %s\r\n"
               % (status, STATUS_PHRASES.get(status, "")
                  if reason is None else reason, SERVER_HEADER,
                  HTTP_DATE(time.time()))]
        for k, v in headers:
            out.append("%s: %s\r\n" % (k, v))
            if k.lower() == "connection":
                if v.lower() == "close":
                    self.close_after = True
                elif v.lower() == "keep-alive":
                    self.close_after = False
        out.append("\r\n")
        data = "".join(out).encode("latin-1", "replace")
        self.transport.write(data + body if body else data)

    def respond(self, resp, extra, method):
        body = resp.body_bytes()
        status = resp.status
        no_body = status in (204, 304) or 100 <= status < 200
        headers = list(extra.items()) + list(resp.headers.items())
        if not no_body:
            if body or method != "HEAD":
                headers.append(("Content-Type", resp.ctype))
            headers.append(("Content-Length",
                            str(0 if method == "HEAD" else len(body))))
        if no_body or method == "HEAD":
            body = b""
        self.write(status, headers, body)

    def send_error(self, status, message, http09=False, explain=None):
        """http.server's send_error(): the message as the reason phrase, a
        small HTML page, then close."""
        if explain is None:
            explain = STATUS_EXPLAIN.get(status, "")
        body = (ERROR_PAGE % {"code": status,
                              "message": html.escape(message, quote=False),
                              "explain": html.escape(explain, quote=False)})\
            .encode("utf-8", "replace")
        self.close_after = True
        self.http09 = http09
        self.write(status, [("Connection", "close"),
                            ("Content-Type", "text/html;charset=utf-8"),
                            ("Content-Length", str(len(body)))], body,
                   message)
        self.close()

    def too_large(self):
        resp = Resp(413, plain_error_body(413, "Request body too large"))
        self.close_after = True
        self.respond(resp, {"Connection": "close"}, "POST")
        self.close()

    def close(self):
        if not self.closed:
            self.closed = True
            self.transport.close()

    def reset(self):
        """Close with a TCP RST: no answer at all."""
        if self.closed:
            return
        self.closed = True
        sock = self.transport.get_extra_info("socket")
        try:
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.transport.abort()


ERROR_PAGE = """\
<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: %(code)d</p>
        <p>Message: %(message)s.</p>
        <p>Error code explanation: %(code)s - %(explain)s.</p>
    </body>
</html>
"""

class Server:
    """The listening socket, its connections and the idle sweep."""

    def __init__(self, app, idle_timeout):
        self.app = app
        self.idle_timeout = idle_timeout
        self.conns = set()

    def sweep(self):
        """Closes keep-alive connections idle for idle_timeout seconds."""
        now = time.monotonic()
        for c in list(self.conns):
            if not c.busy and now - c.last > self.idle_timeout:
                c.close()
        asyncio.get_running_loop().call_later(
            min(1.0, self.idle_timeout / 4), self.sweep)

    def exception(self, loop, context):
        exc = context.get("exception")
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError,
                            OSError)):
            self.app.log("connection: %s" % type(exc).__name__)
            return
        self.app.log("loop error: %s %s" % (
            context.get("message"),
            "".join(traceback.format_exception(exc)).replace("\n", " | ")
            if exc else ""))


def keep_gc_short():
    """Keeps the cyclic garbage collector from stalling the loop.  A full
    collection walks every container alive: with a state of 17,000 keys it
    held the loop for 145 ms, the tail latency of every call in flight
    (bench/, scenario 3).  The state and whatever outlived a full
    collection is moved out of the collector's reach (gc.freeze()): key
    records, log entries and connections hold no reference cycles, so
    reference counting still frees them; only younger objects are walked."""
    def frozen(phase, info):
        if phase == "stop" and info["generation"] == 2:
            gc.freeze()
    gc.collect()
    gc.freeze()
    gc.callbacks.append(frozen)


def parse_listen(s):
    mo = re.match(r"^\[([^\]]+)\]:(\d+)$", s) or re.match(r"^([^:]+):(\d+)$", s)
    if not mo:
        raise SystemExit("kp-emulator: --listen must be HOST:PORT or [V6]:PORT")
    return mo.group(1), int(mo.group(2))


# --------------------------------------------------------------------------
# CLI


def tls_context(cert, key):
    """None for plain HTTP; --tls-cert and --tls-key go together."""
    if not (cert or key):
        return None
    if not (cert and key):
        raise SystemExit("kp-emulator: --tls-cert and --tls-key go together")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


def serve(app, listen, cert, key, idle_timeout):
    """Binds listen (HTTPS with cert and key), prints "listening on
    HOST:PORT", serves until SIGTERM or SIGINT."""
    host, port = parse_listen(listen)
    tls = tls_context(cert, key)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    srv = Server(app, idle_timeout)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(srv.exception)
    # a large backlog: a burst of new client connections (128 KMIP requests
    # parked at once) must not have SYNs dropped
    listener = loop.run_until_complete(loop.create_server(
        lambda: Connection(srv), sock=sock, ssl=tls, backlog=4096,
        ssl_handshake_timeout=10 if tls else None))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    keep_gc_short()
    loop.call_soon(srv.sweep)
    bound = sock.getsockname()
    shown = ("[%s]" % bound[0]) if fam == socket.AF_INET6 else bound[0]
    app.log("start %s://%s:%d state=%s relax_timing=%s strict_json=%s" % (
        "https" if tls else "http", shown, bound[1], app.store.path,
        app.settings.relax, app.settings.strict))
    sys.stdout.write("listening on %s:%d\n" % (shown, bound[1]))
    sys.stdout.flush()
    try:
        loop.run_forever()
    finally:
        # one thread: no state write is in flight when the loop stops
        listener.close()
        for c in list(srv.conns):
            c.transport.abort()
        app.log("stop")
