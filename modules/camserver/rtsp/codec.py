"""RTSP/1.0 requests from bytes and replies to bytes (RFC 2326). No I/O.

An RTSP request looks like an HTTP/1.1 one (request line, header fields, optional body
framed by Content-Length), so the header fields go through http/parser.py with the same
limits and checks; only the request line differs: RTSP methods, an rtsp:// URL (or *),
and the version RTSP/1.0. On the control connection the client may also send $-framed
interleaved packets (RTCP receiver reports), which are skipped.
Every rejection is an HTTPError carrying the RTSP status and a one-line reason.
"""

from camserver.http import parser, status
from camserver.http.errors import HTTPError
from camserver.http.request import Request

METHODS = ("OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER")
# RTSP methods this server does not serve (a camera records nothing): 405, with Public.
OTHER_METHODS = ("ANNOUNCE", "RECORD", "REDIRECT")
PUBLIC = ", ".join(METHODS)

REASONS = {
    453: "Not Enough Bandwidth",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    459: "Aggregate Operation Not Allowed",
    461: "Unsupported Transport",
    505: "RTSP Version Not Supported",
    413: "Request Entity Too Large",
    414: "Request-URI Too Large",
}


def reason(code):
    text = REASONS.get(code)
    return text if text is not None else status.reason(code)


class RtspRequest(Request):
    """A Request (method, path, headers, conn) plus what RTSP adds: the URL as sent
    (Digest signs it), the CSeq, and the path without the track suffix."""

    def __init__(self, conn=None):
        super().__init__(conn=conn)
        self.url = ""
        self.cseq = None
        self.error = None  # an HTTPError to answer with (the head was framed, the request is bad)

    def digest_uri(self):
        return self.url

    def digest_conn(self):
        """The number of this request's connection: Digest binds RFC 2069 answers to it."""
        return self.conn.number


def interleaved_length(buf, start, end):
    """buf[start] is "$": the whole length of that interleaved packet ("$", channel, a 16-bit
    length, the data), or 0 while its 4-byte header is incomplete. The packet may be longer
    than the read buffer: the caller skips it as it arrives."""
    if end - start < 4:
        return 0
    return 4 + ((buf[start + 2] << 8) | buf[start + 3])


def parse_head(buf, start, end, limits, request, mv):
    """Parse an RTSP request head in buf[start:end] into request; the index after it, or None
    when incomplete. HTTPError (close) for a head that cannot be framed; a framed request that
    is wrong (no CSeq, an unknown method, a bad URL) sets request.error instead."""
    head_end = parser.frame_head(buf, start, end, limits, 400)  # (RTSP 1.0 has no 431)
    if head_end is None:
        return None
    line_end = buf.find(b"\r\n", start, end)
    parser.check_bytes(buf, start, head_end + 4)
    try:
        line = str(mv[start:line_end], "latin-1")
        headers = {}
        if head_end > line_end:
            parser.parse_headers(buf, mv, line_end + 2, head_end + 2, limits, headers)
    except UnicodeError:
        raise HTTPError(400, "request head is not valid UTF-8", close=True)
    _request_line(line, request, headers)
    return head_end + 4


def _request_line(line, request, headers):
    parts = line.split(" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise HTTPError(400, "malformed request line", close=True)
    method, url, version = parts
    if version != "RTSP/1.0":
        if version.startswith("RTSP/"):
            raise HTTPError(505, "only RTSP/1.0 is supported", close=True)
        raise HTTPError(400, "not an RTSP request (version %s)" % version[:16], close=True)
    if min(url) < "!":
        raise HTTPError(400, "control character in the request line", close=True)
    request.reset(method, "", "", 10, headers)
    request.url = url
    request.error = None
    cseq = request.cseq = headers.get("cseq")
    # The head is framed: what is wrong from here on is answered, and the connection goes on.
    try:
        if cseq is None or not cseq.isdigit():
            request.cseq = None
            raise HTTPError(400, "missing or malformed CSeq")
        if method not in METHODS:
            if method in OTHER_METHODS:
                raise HTTPError(405, "%s not supported by a camera" % method, headers=[("Allow", PUBLIC)])
            raise HTTPError(501, "method %s not implemented" % method[:32], headers=[("Public", PUBLIC)])
        request.path = path_of(url)
    except HTTPError as e:
        request.error = e


def path_of(url):
    """The path of an rtsp:// URL (or of an absolute path, or "*"), without query or a final "/"."""
    if url == "*":
        return "*"
    if url.startswith("rtsp://") or url.startswith("rtsps://"):
        slash = url.find("/", url.find("//") + 2)
        path = url[slash:] if slash >= 0 else "/"
    elif url.startswith("/"):
        path = url
    else:
        raise HTTPError(400, "request URL must be rtsp://... or an absolute path")
    query = path.find("?")
    if query >= 0:
        path = path[:query]
    while len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def reply(code, cseq, headers=None, body=b"", content_type=None):
    """The bytes of an RTSP reply. headers: (name, value) pairs; body: bytes."""
    out = "RTSP/1.0 %d %s\r\n" % (code, reason(code))
    if cseq is not None:
        out += "CSeq: %s\r\n" % cseq
    if headers:
        for name, value in headers:
            out += "%s: %s\r\n" % (name, value)
    if body:
        out += "Content-Type: %s\r\nContent-Length: %d\r\n" % (content_type or "text/plain", len(body))
    return out.encode() + b"\r\n" + body


def error_reply(code, cseq, text, headers=None):
    """An error reply: the status and a one-line reason as its body."""
    return reply(code, cseq, headers, (text + "\n").encode())
