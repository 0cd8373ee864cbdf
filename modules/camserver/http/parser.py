"""Request heads from bytes, with limits. No I/O.

The connection reads blocks into one buffer and calls parse_head() on what it
holds; parsing works on the buffer in place because MicroPython's readline()
would cost one system call per byte. parse_head() either returns a Request and
the length of the head, returns None when the head is not complete yet, or
raises HTTPError with the status the client should get.
"""

from camserver.http.errors import HTTPError
from camserver.http.request import Request

KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT")
_TOKEN_EXTRA = "!#$%&'*+-.^_`|~"


def _is_token(text):
    if not text:
        return False
    for c in text:
        if not (c.isalpha() or c.isdigit() or c in _TOKEN_EXTRA):
            return False
    return True


class Limits:
    """Size limits from the settings (max_request_line, max_header_bytes, max_headers, max_body)."""

    def __init__(self, config):
        self.request_line = config["max_request_line"]
        self.header_bytes = config["max_header_bytes"]
        self.headers = config["max_headers"]
        self.body = config["max_body"]


def parse_head(buf, start, end, limits):
    """Parse the request head in buf[start:end]. Returns (request, head_end) where
    head_end is the buffer index just after the blank line, or None if more bytes
    are needed. Raises HTTPError for a head that can never be valid."""
    line_end = buf.find(b"\r\n", start, end)
    if line_end < 0:
        if end - start > limits.request_line:
            raise HTTPError(414, "request line longer than %d bytes" % limits.request_line, close=True)
        return None
    if line_end - start > limits.request_line:
        raise HTTPError(414, "request line longer than %d bytes" % limits.request_line, close=True)
    if line_end == start:
        raise HTTPError(400, "empty request line", close=True)
    head_end = buf.find(b"\r\n\r\n", line_end - 2 if line_end - 2 > start else start, end)
    if head_end < 0:
        if end - start >= limits.header_bytes:
            raise HTTPError(431, "request head larger than %d bytes" % limits.header_bytes, close=True)
        return None
    if head_end + 4 - start > limits.header_bytes:
        raise HTTPError(431, "request head larger than %d bytes" % limits.header_bytes, close=True)
    request = _request_line(str(buf[start:line_end], "latin-1"))
    if head_end > line_end:
        _headers(buf, line_end + 2, head_end + 2, limits, request.headers)
    return request, head_end + 4


def _request_line(line):
    parts = line.split(" ")
    if len(parts) != 3:
        raise HTTPError(400, "malformed request line", close=True)
    method, target, version = parts
    if version == "HTTP/1.1":
        vnum = 11
    elif version == "HTTP/1.0":
        vnum = 10
    elif version.startswith("HTTP/") and len(version) >= 6 and version[5].isdigit():
        raise HTTPError(505, "only HTTP/1.0 and HTTP/1.1 are supported", close=True)
    else:
        raise HTTPError(400, "malformed HTTP version", close=True)
    if not _is_token(method):
        raise HTTPError(400, "malformed method", close=True)
    if method not in KNOWN_METHODS:
        raise HTTPError(501, "method %s not implemented" % method, close=True)
    if not target.startswith("/"):
        if target == "*" and method == "OPTIONS":
            target = "/"
        else:
            raise HTTPError(400, "request target must be an absolute path", close=True)
    path, _, query = target.partition("?")
    return Request(method, path, query, vnum, {})


def _headers(buf, pos, stop, limits, headers):
    """Fill headers from the "Name: value\\r\\n" lines in buf[pos:stop]."""
    count = 0
    while pos < stop:
        eol = buf.find(b"\r\n", pos, stop)
        if eol < 0:
            eol = stop
        count += 1
        if count > limits.headers:
            raise HTTPError(431, "more than %d header fields" % limits.headers, close=True)
        colon = buf.find(b":", pos, eol)
        if colon <= pos:
            raise HTTPError(400, "malformed header line", close=True)
        name = str(buf[pos:colon], "latin-1")
        if not _is_token(name):
            # A space before the colon is a smuggling vector (RFC 9112 5.1), not a typo to forgive.
            raise HTTPError(400, "malformed header name", close=True)
        name = name.lower()
        value = str(buf[colon + 1 : eol], "latin-1").strip()
        if name in headers:
            if name == "content-length" and headers[name] != value:
                raise HTTPError(400, "conflicting Content-Length", close=True)
            headers[name] = headers[name] + ", " + value
        else:
            headers[name] = value
        pos = eol + 2
