"""Responses, and their serialisation to bytes. No I/O.

A handler returns a Response. Its body is one of:
  * a buffer (bytes, bytearray, memoryview, a camera frame): sent with
    Content-Length, in chunk_size writes straight from the buffer;
  * a generator of buffers: length unknown, so HTTP/1.1 clients get chunked
    transfer encoding and HTTP/1.0 clients a body ended by closing;
  * a StreamBody: its `send(out)` writes through the connection's Sender;
    sent raw and ended by closing the connection (MJPEG). Its `close()` is
    always called, also when the client went away, so resources such as
    camera frames go back exactly once.
"""

from camserver.http.status import reason as _reason

_CRLF = b"\r\n"


class StreamBody:
    """Base of bodies that write themselves (see the module docstring)."""

    length = None  # None: ended by closing the connection

    async def send(self, out):
        raise NotImplementedError

    def close(self):
        pass


class Response:
    """What a handler returns: status, body, content type and extra headers
    (a list of (name, value) string pairs)."""

    def __init__(self, body=b"", status=200, content_type="text/plain", headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers
        self.close = False  # set to end the connection after this response
        self.hold = None  # an object whose close() gives back what body points into (a frame)

    def is_stream(self):
        return isinstance(self.body, StreamBody)

    def is_generator(self):
        # Generators have send() too, which is why streams are told apart by class.
        return not self.is_stream() and hasattr(self.body, "__next__")

    def release(self):
        """Give back what the body holds (a frame, a stream): called once the
        response is sent or the client is gone, and a second call does nothing."""
        body = self.body
        self.body = b""
        if hasattr(body, "close"):
            body.close()
        hold = self.hold
        self.hold = None
        if hold is not None:
            hold.close()


def text(status, message, headers=None):
    """A text/plain response whose body is one line: the reason a client reads."""
    return Response(message + "\n", status, "text/plain", headers)


def serialise_head(version, status, content_type, length, keep_alive, headers, extra, chunked=False):
    """The status line and header block as one bytes object.

    length None means no Content-Length (chunked, or ended by closing); `extra`
    is a pre-encoded bytes block that goes into every response (e.g. CORS),
    built once at start so it costs nothing per request."""
    parts = [
        b"HTTP/1.1 " if version == 11 else b"HTTP/1.0 ",
        str(status).encode(),
        b" ",
        _reason(status).encode(),
        _CRLF,
    ]
    if content_type:
        parts.append(b"Content-Type: ")
        parts.append(content_type.encode())
        parts.append(_CRLF)
    if length is not None:
        parts.append(b"Content-Length: ")
        parts.append(str(length).encode())
        parts.append(_CRLF)
    if chunked:
        parts.append(b"Transfer-Encoding: chunked\r\n")
    if not keep_alive:
        parts.append(b"Connection: close\r\n")
    elif version == 10:
        parts.append(b"Connection: keep-alive\r\n")
    if headers:
        for name, value in headers:
            parts.append(name.encode())
            parts.append(b": ")
            parts.append(str(value).encode())
            parts.append(_CRLF)
    if extra:
        parts.append(extra)
    parts.append(_CRLF)
    return b"".join(parts)


def chunk_header(length):
    """The framing line before one chunk of a chunked body ("1000\\r\\n")."""
    return b"%x\r\n" % length


CHUNK_END = b"\r\n"
LAST_CHUNK = b"0\r\n\r\n"
