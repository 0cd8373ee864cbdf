"""The HTTP codec, tested inside MicroPython without sockets."""

import check
from camserver.http import framing, parser
from camserver.http.date import Clock
from camserver.http.errors import HTTPError
from camserver.http.request import Request, parse_query, unquote
from camserver.http.response import Response, StreamBody, serialise_head

CONFIG = {"max_request_line": 64, "max_header_bytes": 256, "max_headers": 4, "max_body": 100}
LIMITS = parser.Limits(CONFIG)


def parse(data):
    """(request, head_end) for a complete head, None for an incomplete one."""
    buf = bytearray(data)
    request = Request()
    end = parser.parse_head(buf, 0, len(buf), LIMITS, request)
    return None if end is None else (request, end)


def keeps(req, response=None):
    """framing.keep_alive for req, with a plain buffer response unless one is given."""
    return framing.keep_alive(req, Response(b"") if response is None else response)


def status_of(data):
    return check.raises(HTTPError, parse, data).status


def test_simple_get():
    req, end = parse(b"GET /capture?x=1 HTTP/1.1\r\nHost: cam\r\nAccept-Encoding: gzip\r\n\r\nNEXT")
    assert req.method == "GET" and req.path == "/capture" and req.query_string == "x=1"
    assert req.version == 11 and req.headers["host"] == "cam"
    assert req.headers["accept-encoding"] == "gzip"
    assert end == len(b"GET /capture?x=1 HTTP/1.1\r\nHost: cam\r\nAccept-Encoding: gzip\r\n\r\n")
    assert keeps(req)


def test_incomplete_head_needs_more():
    assert parse(b"GET / HTTP/1.1\r\nHost: x\r\n") is None
    assert parse(b"GET / HT") is None


def test_parse_at_an_offset_in_the_buffer():
    buf = bytearray(b"junkGET /a HTTP/1.0\r\n\r\n")
    req = Request()
    end = parser.parse_head(buf, 4, len(buf), LIMITS, req)
    assert req.path == "/a" and req.version == 10 and end == len(buf)
    assert not keeps(req)


def test_limits_and_malformed_input():
    assert status_of(b"GET /" + b"a" * 80) == 414
    assert status_of(b"GET /" + b"a" * 80 + b" HTTP/1.1\r\n\r\n") == 414
    assert status_of(b"GET / HTTP/1.1\r\n" + b"X: " + b"y" * 300) == 431
    assert status_of(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n") == 431
    assert status_of(b"GET / HTTP/2\r\n\r\n") == 505
    assert status_of(b"GET / FTP/1.0\r\n\r\n") == 400
    assert status_of(b"GET /\r\n\r\n") == 400
    assert status_of(b"G(T / HTTP/1.1\r\nHost: c\r\n\r\n") == 400
    assert status_of(b"BREW / HTTP/1.1\r\nHost: c\r\n\r\n") == 501
    assert status_of(b"GET / HTTP/1.1\r\nNoColon\r\n\r\n") == 400
    assert status_of(b"GET / HTTP/1.1\r\n folded: x\r\n\r\n") == 400
    assert status_of(b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400
    assert status_of(b"\r\n\r\n") == 400
    assert status_of(b"GET /\xff HTTP/1.1\r\nHost: c\r\n\r\n") == 400
    assert status_of(b"GET / HTTP/1.1\r\nHost: c\r\nX: \xc3\x28\r\n\r\n") == 400
    req, _ = parse(b"GET / HTTP/1.1\r\nHost: c\r\nX: caf\xc3\xa9\r\n\r\n")  # valid UTF-8 is kept
    assert req.headers["x"] == "caf\u00e9"


def test_host_is_required_once_in_http11():
    assert status_of(b"GET / HTTP/1.1\r\n\r\n") == 400
    assert status_of(b"GET / HTTP/1.1\r\nAccept: x\r\n\r\n") == 400
    assert status_of(b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n") == 400
    assert status_of(b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n") == 400
    assert "Host" in check.raises(HTTPError, parse, b"GET / HTTP/1.1\r\n\r\n").reason
    req, _ = parse(b"GET / HTTP/1.0\r\n\r\n")  # HTTP/1.0 has no Host requirement
    assert req.version == 10


def test_bare_cr_lf_and_control_bytes_are_refused():
    for data in (
        b"GET / HTTP/1.1\r\nHost: c\r\nX: a\rb\r\n\r\n",  # bare CR in a value
        b"GET / HTTP/1.1\r\nHost: c\r\nX: a\nY: b\r\n\r\n",  # bare LF inside a line
        b"GET / HTTP/1.1\nHost: c\r\n\r\n",  # LF alone ending the request line
        b"GET /\r HTTP/1.1\r\nHost: c\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: c\r\nX: a\x00b\r\n\r\n",  # NUL
        b"GET / HTTP/1.1\r\nHost: c\r\nX: a\x1bb\r\n\r\n",  # ESC
        b"GET / HTTP/1.1\r\nHost: c\r\nX: a\tb\x01c\r\n\r\n",  # a tab, and then a control byte
        b"GET / HTTP/1.1\r\nHost: c\r\nX: a\x7fb\r\n\r\n",  # DEL
        b"GET / HTTP/1.1\r\nHost: c\r\nX\x01: a\r\n\r\n",  # in a name
        b"GET / HTTP/1.1\r\nHost: c\r\nX\t: a\r\n\r\n",  # HTAB in a name
        b"GET /a\tb HTTP/1.1\r\nHost: c\r\n\r\n",  # HTAB in the request line
        b"GET /\x00 HTTP/1.1\r\nHost: c\r\n\r\n",
    ):
        e = check.raises(HTTPError, parse, data)
        assert e.status == 400 and e.close, data
    req, _ = parse(b"GET / HTTP/1.1\r\nHost: c\r\nX: a\tb\t\r\n\r\n")  # HTAB inside a value is fine
    assert req.headers["x"] == "a\tb"


def test_repeated_headers_are_joined():
    req, _ = parse(b"GET / HTTP/1.1\r\nHost: c\r\nAccept: a\r\nAccept: b\r\n\r\n")
    assert req.headers["accept"] == "a, b"


def test_content_length():
    req, _ = parse(b"POST / HTTP/1.1\r\nHost: c\r\nContent-Length: 12\r\n\r\n")
    assert req.content_length() == 12
    req, _ = parse(b"POST / HTTP/1.1\r\nHost: c\r\nContent-Length: -1\r\n\r\n")
    assert check.raises(HTTPError, req.content_length).status == 400


def test_request_object_is_reused_cleanly():
    buf = bytearray(
        b"GET /a?x=1 HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: c\r\n\r\n"
    )
    req = Request()
    first = parser.parse_head(buf, 0, len(buf), LIMITS, req)
    assert req.query == {"x": "1"} and not keeps(req)
    assert parser.parse_head(buf, first, len(buf), LIMITS, req) == len(buf)
    assert req.path == "/b" and req.query == {} and keeps(req) and req.headers == {"host": "c"}


def test_connection_header():
    req, _ = parse(b"GET / HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n")
    assert not keeps(req)
    req, _ = parse(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
    assert keeps(req)


def test_query():
    assert parse_query("var=framesize&val=6") == {"var": "framesize", "val": "6"}
    assert parse_query("a=x%20y+z&b=&c") == {"a": "x y z", "b": "", "c": ""}
    assert unquote("%zz") == "%zz"
    req, _ = parse(b"GET /control?var=quality&val=10 HTTP/1.1\r\nHost: c\r\n\r\n")
    assert req.query["var"] == "quality"


def test_response_head():
    jpeg = Response(b"", 200, "image/jpeg", [("X-Timestamp", "1.000002")])
    head = serialise_head(jpeg, 1234, keep_alive=True, extra=b"X-A: b\r\n")
    assert head == (
        b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n"
        b"X-Timestamp: 1.000002\r\nX-A: b\r\n\r\n"
    )
    head = serialise_head(Response(b"", 404), 3, version=10)
    assert head.startswith(b"HTTP/1.0 404 Not Found\r\n") and b"Connection: close\r\n" in head
    head = serialise_head(Response(b"", 200, None), None, keep_alive=True, chunked=True)
    assert b"Transfer-Encoding: chunked" in head and b"Content-Length" not in head


def test_response_head_with_date():
    date = b"Date: Wed, 02 Dec 2026 02:06:40 GMT\r\n"
    plain = Response(b"")
    head = serialise_head(plain, 3, keep_alive=True, date=date)
    assert head == b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n" + date + b"\r\n"
    head = serialise_head(plain, 3, keep_alive=True)  # the cached template follows the date
    assert b"Date" not in head
    head = serialise_head(Response(b"", headers=[("X", "y")]), 3, keep_alive=True, date=date)
    assert date in head and head.endswith(b"X: y\r\n\r\n")


class TimeModule:
    def __init__(self, ns):
        self.ns = ns
        self.ms = 0
        self.reads = 0

    def wall(self):
        self.reads += 1
        return self.ns

    def ticks(self):
        return self.ms


def test_date_line_only_once_the_clock_is_set_and_once_per_second():
    unset = TimeModule(5 * 1000000000)  # five seconds after the epoch: a board before NTP
    assert Clock(unset.wall, unset.ticks).line() == b""
    t = TimeModule(1796177200 * 1000000000 + 250000000)  # 2026-12-02 02:06:40.25 UTC
    clock = Clock(t.wall, t.ticks)
    t.reads = 0  # (the clock read at boot, from which time since boot counts)
    assert clock.line() == b"Date: Wed, 02 Dec 2026 02:06:40 GMT\r\n"
    t.ms = 700
    t.ns += 700000000
    assert clock.line() == b"Date: Wed, 02 Dec 2026 02:06:40 GMT\r\n" and t.reads == 1  # cached
    t.ms = 760  # the next wall-clock second has begun
    t.ns += 60000000
    assert clock.line() == b"Date: Wed, 02 Dec 2026 02:06:41 GMT\r\n" and t.reads == 2


def test_response_release_is_once():
    class Hold:
        closed = 0

        def close(self):
            Hold.closed += 1

    r = Response(b"x")
    r.lease = Hold()
    r.give_back()
    r.give_back()
    assert Hold.closed == 1


class Routes:
    """Stands for the router: which paths read their body themselves."""

    def __init__(self, *streaming):
        self.streaming = streaming

    def streams_body(self, path):
        return path in self.streaming


ROUTES = Routes("/upload")


def body_of(data, buffered=0):
    req, _ = parse(data)
    return framing.request_body(req, LIMITS, ROUTES, buffered)


def test_request_body_framing():
    assert body_of(b"GET / HTTP/1.1\r\nHost: c\r\n\r\n") == (0, False, False)
    assert body_of(b"POST /x HTTP/1.1\r\nHost: c\r\nContent-Length: 5\r\n\r\n") == (5, False, False)
    # A client that waits for 100 Continue gets it: at once for a body read whole, at the route's
    # first read when the route streams it; not when some of the body came with the head.
    expect = b"POST %s HTTP/1.1\r\nHost: c\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n"
    assert body_of(expect % b"/x") == (5, False, True)
    assert body_of(expect % b"/x", 2) == (5, False, True)
    assert body_of(expect % b"/x", 5) == (5, False, False)
    assert body_of(expect % b"/upload") == (5, True, True)
    assert body_of(expect % b"/upload", 2) == (5, True, False)
    # HTTP/1.0 expectations are ignored (RFC 9110 10.1.1), whatever they say.
    old = b"POST /x HTTP/1.0\r\nContent-Length: 5\r\nExpect: %s\r\n\r\n"
    assert body_of(old % b"100-continue") == (5, False, False)
    assert body_of(old % b"magic") == (5, False, False)


def test_request_body_refusals():
    def status(data):
        return check.raises(HTTPError, body_of, data).status

    assert status(b"POST /x HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n") == 501
    # Transfer-Encoding is refused before a bad Content-Length is looked at.
    assert status(b"POST /x HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: x\r\nContent-Length: y\r\n\r\n") == 501
    assert status(b"POST /x HTTP/1.1\r\nHost: c\r\nContent-Length: -1\r\n\r\n") == 400
    big = b"POST %s HTTP/1.1\r\nHost: c\r\nContent-Length: %d\r\n\r\n"
    assert status(big % (b"/x", LIMITS.body + 1)) == 413
    # A streamed body's size is the route's to judge.
    assert body_of(big % (b"/upload", LIMITS.body + 1)) == (LIMITS.body + 1, True, False)
    assert status(b"GET / HTTP/1.1\r\nHost: c\r\nExpect: magic\r\n\r\n") == 417
    # Over max_body and an odd expectation: the size is the reason given.
    assert status((big % (b"/x", LIMITS.body + 1))[:-2] + b"Expect: magic\r\n\r\n") == 413


def test_keep_alive_follows_how_the_body_ends():
    class Stream(StreamBody):
        pass

    req11, _ = parse(b"GET / HTTP/1.1\r\nHost: c\r\n\r\n")
    assert keeps(req11)
    stream = Stream()
    assert not keeps(req11, Response(stream))  # ended by closing
    stream.length = 10
    assert keeps(req11, Response(stream))

    def gen():
        yield b"a"

    pieces = Response(gen())
    assert keeps(req11, pieces) and framing.chunked(req11)
    req10, _ = parse(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert keeps(req10) and not keeps(req10, pieces) and not framing.chunked(req10)
    closing = Response(b"")
    closing.close = True
    assert not keeps(req11, closing)
    req11.stream = object()  # a body the route read itself: what follows it may be unread
    assert not keeps(req11)


check.run(globals())
