"""HTTP/1.1 request parsing, with the same acceptance as http.server's
BaseHTTPRequestHandler: the request line and headers (Head), chunked
bodies, and the limits (1 MiB bodies, 64 KiB lines, 100 headers)."""

MAX_BODY = 1024 * 1024
MAX_LINE = 65536
MAX_HEADERS = 100


class HttpError(Exception):
    """A request that cannot be parsed: answered, then the connection closes.
    http09: the request line gave no usable version, so the answer is the
    page alone, without status line or headers (as http.server did)."""

    def __init__(self, status, message, http09=False, explain=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.http09 = http09
        self.explain = explain


class Head:
    """A parsed request line and header block."""

    __slots__ = ("method", "target", "headers", "close", "length", "chunked",
                 "continue_sent", "http09")


def parse_head(lines):
    """The request line and the headers (text, without line ends) -> Head;
    the same acceptance as http.server's BaseHTTPRequestHandler."""
    h = Head()
    h.length = 0
    h.chunked = False
    h.continue_sent = False
    h.http09 = False
    version = parse_request_line(h, lines[0])
    h.headers = headers = parse_headers(lines)
    conn = headers.get("connection", "").lower()
    if conn == "close":
        h.close = True
    elif conn == "keep-alive":
        h.close = False
    if "chunked" in headers.get("transfer-encoding", "").lower():
        h.chunked = True
    else:
        cl = headers.get("content-length")
        if cl:
            h.length = int(cl)         # ValueError: 413, as before
            if h.length < 0 or h.length > MAX_BODY:
                raise OverflowError()
    if version < (1, 1) or headers.get("expect", "").lower() != "100-continue":
        h.continue_sent = True         # nothing to send
    return h


def parse_request_line(h, line):
    """Method, target and close into h; returns the HTTP version."""
    words = line.split()
    h.close = True
    version = (0, 9)
    if len(words) == 3 and words[2] == "HTTP/1.1":
        version = (1, 1)
    elif len(words) >= 3:
        version = parse_version(words[-1])
    if version >= (1, 1):
        h.close = False
    if not 2 <= len(words) <= 3:
        raise HttpError(400, "Bad request syntax (%r)" % line, len(words) < 3)
    h.method, h.target = words[0], words[1]
    if len(words) == 2:
        # an HTTP/0.9 request: answered with a body alone, then closed
        if h.method != "GET":
            raise HttpError(400, "Bad HTTP/0.9 request type (%r)" % h.method,
                            True)
        h.http09 = True
    if h.target.startswith("//"):
        h.target = "/" + h.target.lstrip("/")
    return version


def parse_version(v):
    try:
        if not v.startswith("HTTP/"):
            raise ValueError
        nums = v.split("/", 1)[1].split(".")
        if len(nums) != 2 or any(not n.isdigit() or len(n) > 10
                                 for n in nums):
            raise ValueError
        version = (int(nums[0]), int(nums[1]))
    except (ValueError, IndexError):
        raise HttpError(400, "Bad request version (%r)" % v, True)
    if version >= (2, 0):
        raise HttpError(505, "Invalid HTTP version (%s)" % v[5:], True)
    return version


def parse_headers(lines):
    """lines[1:] -> {lower-case name: value}, the first of repeated
    headers; obsolete line folding joined."""
    headers = {}
    last = None
    if len(lines) - 1 > MAX_HEADERS:
        raise HttpError(431, "Too many headers", False,
                        "got more than %d headers" % MAX_HEADERS)
    for text in lines[1:]:
        if len(text) > MAX_LINE:
            raise HttpError(431, "Line too long", False,
                            "got more than %d bytes when reading header line"
                            % MAX_LINE)
        if text[:1] in (" ", "\t") and last is not None:
            headers[last] += " " + text.strip()   # obsolete line folding
            continue
        name, sep, value = text.partition(":")
        if not sep:
            continue
        last = name.strip().lower()
        if last not in headers:
            headers[last] = value.strip()
        else:
            last = None
    return headers


def parse_chunked(buf):
    """A chunked body at the start of buf -> (body, bytes used), or None if
    incomplete; ValueError or OverflowError if malformed or too large."""
    pos, chunks, total = 0, [], 0
    while True:
        eol = buf.find(b"\n", pos)
        if eol < 0:
            if len(buf) - pos > MAX_LINE:
                raise ValueError("chunk size line too long")
            return None
        size = int(bytes(buf[pos:eol]).split(b";")[0].strip() or b"0", 16)
        pos = eol + 1
        if size == 0:
            while True:                # trailers, up to an empty line
                eol = buf.find(b"\n", pos)
                if eol < 0:
                    return None
                t = bytes(buf[pos:eol]).strip()
                pos = eol + 1
                if not t:
                    return b"".join(chunks), pos
        total += size
        if total > MAX_BODY:
            raise OverflowError()
        if len(buf) < pos + size + 2:
            if len(buf) >= pos + size and buf[pos + size:pos + size + 1] \
                    not in (b"", b"\r", b"\n"):
                raise ValueError("no line end after a chunk")
            return None
        chunks.append(bytes(buf[pos:pos + size]))
        pos += size
        # the line end after the chunk (CRLF, or LF alone)
        if buf[pos:pos + 2] == b"\r\n":
            pos += 2
        elif buf[pos:pos + 1] == b"\n":
            pos += 1
