"""Message framing decided from heads alone: how long a request's body is and what to do about
it, how a response's body ends, whether the connection carries another request (RFC 9112 6 and
9.3, RFC 9110 10.1.1). Pure functions of the request, the limits and the response, no I/O: the
connection (transport/connection.py) asks them and then only moves bytes.
"""

from camserver.http.errors import HTTPError
from camserver.http.response import StreamBody

_NO_BODY = (0, False, False)  # (the answer nearly every request gets: returned, not built)


def request_body(request, limits, router, buffered):
    """What follows request's head: (length, streamed, hello). length is the body's size (0:
    none); streamed: the route reads the body itself (router.streams_body) rather than getting
    it whole; hello: a 100 Continue is due, at once for a body read whole, at the route's first
    read for a streamed one (only once the route has accepted the request). buffered: how many
    body bytes came with the head (a client that sent some is not waiting for 100 Continue).
    Refusals are an HTTPError that closes the connection: 501 for Transfer-Encoding (chunked
    request bodies are not supported), 400 for a bad Content-Length, 413 for a body over
    max_body that would be held in RAM, 417 for an expectation other than 100-continue
    (HTTP/1.0 expectations are ignored)."""
    headers = request.headers
    if "transfer-encoding" in headers or "content-length" in headers or "expect" in headers:
        return _body(request, limits, router, buffered)
    # Nearly every request: answered by a function small enough that MicroPython keeps its frame
    # on the C stack (a larger one is a heap allocation per call).
    return _NO_BODY


def _body(request, limits, router, buffered):
    headers = request.headers
    if "transfer-encoding" in headers:
        raise HTTPError(501, "chunked request bodies are not supported", close=True)
    length = request.content_length()
    streamed = bool(length) and router.streams_body(request.path)
    if length and not streamed:
        limits.check_body(length)
    hello = False
    if request.version == 11 and "expect" in headers:
        if headers["expect"].lower() != "100-continue":
            raise HTTPError(417, "only Expect: 100-continue is supported", close=True)
        hello = buffered == 0 if streamed else buffered < length
    return length, streamed, hello


def chunked(request):
    """Whether a body of unknown length (a generator) goes chunked: to HTTP/1.1 clients; an
    HTTP/1.0 client gets it ended by closing."""
    return request.version == 11


def keep_alive(request, response):
    """Whether the connection may carry another request after response. Not when the body
    ends by closing (a StreamBody without a length, a generator to an HTTP/1.0 client), when
    the response asks to close, or after a body the route read itself (what follows it may not
    have been read); else HTTP/1.1 keeps the connection unless told to close, 1.0 only when
    asked to keep it."""
    if response.close or request.stream is not None:
        return False
    body = response.body
    if isinstance(body, StreamBody):
        if body.length is None:
            return False
    elif hasattr(body, "__next__") and not chunked(request):
        return False
    conn = request.headers.get("connection")
    if conn is None:  # (most requests: no lower-cased copy of nothing)
        return request.version == 11
    conn = conn.lower()
    if request.version == 11:
        return "close" not in conn
    return "keep-alive" in conn
