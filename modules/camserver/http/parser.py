"""Request heads from bytes, with limits. No I/O.

The connection reads blocks into one buffer and calls parse_head() on what it
holds; parsing works on the buffer in place because MicroPython's readline()
would cost one system call per byte. parse_head() fills a Request and returns
where the head ends, returns None when the head is not complete yet, or raises
HTTPError with the status the client should get.
"""

from camserver.http.errors import HTTPError

KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT")
_TOKEN_EXTRA = "!#$%&'*+-.^_`|~"


def _is_token(text):
    if not text:
        return False
    for c in text:
        if not (c.isalpha() or c.isdigit() or c in _TOKEN_EXTRA):
            return False
    return True


def _name_map():
    # byte -> the byte a header name keeps (lower-cased), or 0 for a byte no token may hold
    table = bytearray(256)
    for c in range(256):
        ch = chr(c)
        if 48 <= c <= 57 or 97 <= c <= 122 or (c < 128 and ch in _TOKEN_EXTRA):
            table[c] = c
        elif 65 <= c <= 90:
            table[c] = c + 32
    return bytes(table)


_NAME_MAP = _name_map()


class Limits:
    """Size limits from the settings (max_request_line, max_header_bytes, max_headers, max_body)."""

    def __init__(self, config):
        self.request_line = config["max_request_line"]
        self.header_bytes = config["max_header_bytes"]
        self.headers = config["max_headers"]
        self.body = config["max_body"]

    def check_body(self, length):
        """413 for a body this server would have to hold in RAM that is over max_body."""
        if length > self.body:
            raise HTTPError(413, "request body larger than %d bytes" % self.body, close=True)


def parse_head(buf, start, end, limits, request, mv=None):
    """Parse the request head in buf[start:end] into request (a Request, reused
    from one request to the next on a connection). Returns the buffer index just
    after the blank line, or None if more bytes are needed. Raises HTTPError for
    a head that can never be valid. mv is a memoryview of buf, passed by callers
    that keep one so parsing does not allocate it."""
    head_end = frame_head(buf, start, end, limits)
    if head_end is None:
        return None
    line_end = buf.find(b"\r\n", start, end)  # (found again: cheaper than a tuple from frame_head)
    if mv is None:
        mv = memoryview(buf)
    check_bytes(buf, start, head_end + 4)
    try:
        _request_line(buf, mv, start, line_end, request)
        if head_end > line_end:
            parse_headers(buf, mv, line_end + 2, head_end + 2, limits, request.headers)
    except UnicodeError:
        # MicroPython's str() checks UTF-8 whatever encoding is named; bytes that are not
        # valid UTF-8 in a target or header are rejected rather than guessed at.
        raise HTTPError(400, "request head is not valid UTF-8", close=True)
    if request.version == 11 and "host" not in request.headers:
        raise HTTPError(400, "HTTP/1.1 request without Host", close=True)
    return head_end + 4


def frame_head(buf, start, end, limits, too_large=431):
    """Where the head in buf[start:end] ends (the index of its blank line's CRLF CRLF), or None
    while it is incomplete. HTTPError 414 for a long request line, 400 for an empty one,
    too_large for a head over max_header_bytes. (Also the RTSP codec's framing.)"""
    line_end = buf.find(b"\r\n", start, end)
    # Too long is too long whether or not the line is complete yet.
    if (end if line_end < 0 else line_end) - start > limits.request_line:
        raise HTTPError(414, "request line longer than %d bytes" % limits.request_line, close=True)
    if line_end < 0:
        return None
    if line_end == start:
        raise HTTPError(400, "empty request line", close=True)
    head_end = buf.find(b"\r\n\r\n", line_end - 2 if line_end - 2 > start else start, end)
    # An incomplete head that fills the buffer can never complete.
    if (end - start >= limits.header_bytes) if head_end < 0 else (head_end + 4 - start > limits.header_bytes):
        raise HTTPError(too_large, "request head larger than %d bytes" % limits.header_bytes, close=True)
    if head_end < 0:
        return None
    return head_end


def check_bytes(buf, start, stop):  # (also the RTSP codec's: rtsp/codec.py)
    """400 for a head whose CR and LF are not all CRLF pairs, and for DEL anywhere in it.
    Lenient parsers that split lines differently are what request smuggling exploits. (The
    other control bytes: the request target is checked in _request_line, header names go
    through _NAME_MAP and values through _check_value, so every byte of the head is looked at;
    min() walks a slice in C, where a find per control byte was thirty calls.)"""
    pairs = buf.count(b"\r\n", start, stop)
    if buf.count(b"\r", start, stop) != pairs or buf.count(b"\n", start, stop) != pairs:
        raise HTTPError(400, "bare CR or LF in the request head", close=True)
    if buf.find(b"\x7f", start, stop) >= 0:
        raise HTTPError(400, "control character in the request head", close=True)


def _check_value(value):
    """400 for a control byte other than HTAB in a header value (a memoryview that holds a
    byte below 32: parse_headers tells with min(), in C, before it calls this)."""
    for c in value:
        if c < 32 and c != 9:
            raise HTTPError(400, "control character in a header value", close=True)


# Common methods and versions are recognised in the buffer, so no string is built for them.
_FAST_METHODS = ((b"GET ", "GET"), (b"HEAD ", "HEAD"), (b"POST ", "POST"))


def _request_line(buf, mv, start, end, request):
    method = None
    for prefix, name in _FAST_METHODS:
        if buf.startswith(prefix, start):
            method = name
            target_start = start + len(prefix)
            break
    if method is None:
        space = buf.find(b" ", start, end)
        if space < 0:
            raise HTTPError(400, "malformed request line", close=True)
        method = str(mv[start:space], "latin-1")
        target_start = space + 1
        if not _is_token(method):
            raise HTTPError(400, "malformed method", close=True)
        if method not in KNOWN_METHODS:
            raise HTTPError(501, "method %s not implemented" % method, close=True)
    space = buf.find(b" ", target_start, end)
    if space < 0 or buf.find(b" ", space + 1, end) >= 0:
        raise HTTPError(400, "malformed request line", close=True)
    if end - space == 9 and buf.startswith(b"HTTP/1.1", space + 1):
        version = 11
    elif end - space == 9 and buf.startswith(b"HTTP/1.0", space + 1):
        version = 10
    elif buf.startswith(b"HTTP/", space + 1) and end - space > 6 and 48 <= buf[space + 6] <= 57:
        raise HTTPError(505, "only HTTP/1.0 and HTTP/1.1 are supported", close=True)
    else:
        raise HTTPError(400, "malformed HTTP version", close=True)
    if space == target_start:
        raise HTTPError(400, "malformed request line", close=True)
    if buf[target_start] != 47:  # "/"
        if method == "OPTIONS" and space - target_start == 1 and buf[target_start] == 42:  # "*"
            return request.reset(method, "/", "", version, None)
        raise HTTPError(400, "request target must be an absolute path", close=True)
    # The target is the one part of the line a control byte can hide in (the method is a known
    # name or a checked token, the version is matched exactly); min() walks it in C.
    target = mv[target_start:space]
    if min(target) < 32:
        raise HTTPError(400, "control character in the request line", close=True)
    query = buf.find(b"?", target_start, space)
    if query < 0:
        return request.reset(method, str(target, "latin-1"), "", version, None)
    path = str(mv[target_start:query], "latin-1")
    return request.reset(method, path, str(mv[query + 1 : space], "latin-1"), version, None)


def parse_headers(buf, mv, pos, stop, limits, headers):  # (also the RTSP codec's)
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
        # Check and lower-case the name in the buffer, one table look-up a byte, so only one
        # string is made for it. A space before the colon is a smuggling vector (RFC 9112 5.1),
        # not a typo to forgive.
        name_map = _NAME_MAP
        for i in range(pos, colon):
            c = name_map[buf[i]]
            if not c:
                raise HTTPError(400, "malformed header name", close=True)
            buf[i] = c
        name = str(mv[pos:colon], "latin-1")
        # Trim the optional white space in the buffer: no extra string for strip().
        first = colon + 1
        while first < eol and buf[first] in (32, 9):
            first += 1
        last = eol
        while last > first and buf[last - 1] in (32, 9):
            last -= 1
        raw = mv[first:last]
        if last > first and min(raw) < 32:  # (rare: a value with a tab or worse; a call per header saved)
            _check_value(raw)
        value = str(raw, "latin-1")
        if name in headers:
            if name == "host":
                raise HTTPError(400, "more than one Host header", close=True)
            if name == "content-length" and headers[name] != value:
                raise HTTPError(400, "conflicting Content-Length", close=True)
            headers[name] = headers[name] + ", " + value
        else:
            headers[name] = value
        pos = eol + 2
