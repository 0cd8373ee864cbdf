"""Responses, and the serialisation of their heads to bytes. No I/O.

A handler returns a Response; the kinds of body it may carry are in transport/writers.py,
which writes them, and how each is framed in http/framing.py.
"""

from camserver.http.status import reason as _reason

_CRLF = b"\r\n"


class StreamBody:
    """Base of bodies that write themselves (see transport/writers.py)."""

    length = None  # None: ended by closing the connection; else the bytes send() writes

    async def send(self, out):
        raise NotImplementedError

    def close(self):
        pass


class Response:
    """What a handler returns: status, body, content type and extra headers: a list of
    (name, value) string pairs, or bytes already in wire form ("Name: value\r\n" lines),
    which hot routes build once or with one % instead of a format and encode per header."""

    close = False  # set to end the connection after this response
    lease = None  # an object whose close() gives back what body points into (a frame Lease)

    def __init__(self, body=b"", status=200, content_type="text/plain", headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers

    def give_back(self):
        """Give back what the body holds (a frame, a stream): called once the
        response is sent or the client is gone, and a second call does nothing."""
        body = self.body
        self.body = b""
        if isinstance(body, StreamBody):
            body.close()
        lease = self.lease
        if lease is not None:
            self.lease = None
            lease.close()


# In wire form (see Response): for answers that change the device or show it as it is now,
# which no cache may keep or replay.
NO_STORE = b"Cache-Control: no-store\r\n"


def text(status, message, headers=None):
    """A text/plain response whose body is one line: the reason a client reads."""
    return Response(message + "\n", status, "text/plain", headers)


# Encoded status lines and Content-Type lines, built on first use. Both are
# chosen by handlers, never by clients, so these stay small; caching them keeps
# a response head to two allocations (the part list and the joined bytes).
_status_lines = {}
_type_lines = {}


def _status_line(version, status):
    key = status if version == 11 else -status
    line = _status_lines.get(key)
    if line is None:
        line = ("HTTP/1.%d %d %s\r\n" % (version - 10, status, _reason(status))).encode()
        _status_lines[key] = line
    return line


def _type_line(content_type):
    line = _type_lines.get(content_type)
    if line is None:
        line = ("Content-Type: %s\r\n" % content_type).encode()
        _type_lines[content_type] = line
    return line


def serialise_head(response, length, version=11, keep_alive=False, extra=b"", date=b"", chunked=False):
    """The status line and header block of response (its status, content type and
    headers) as one bytes object.

    length None means no Content-Length (chunked, or ended by closing); `extra`
    is a pre-encoded bytes block that goes into every response (e.g. CORS),
    built once at start so it costs nothing per request; `date` is the Date
    line of this second (http/date.py), b"" for none."""
    status = response.status
    content_type = response.content_type
    headers = response.headers
    if length is not None and not chunked:
        # The common cases (a body of known length, headers none or in wire form) are
        # one cached template and one % per response.
        if headers is None:
            return _template(version, status, content_type, keep_alive, extra, date, False) % length
        if isinstance(headers, bytes):
            return _template(version, status, content_type, keep_alive, extra, date, True) % (length, headers)
    parts = [_status_line(version, status)]
    if content_type:
        parts.append(_type_line(content_type))
    if length is not None:
        parts.append(b"Content-Length: %d\r\n" % length)
    if chunked:
        parts.append(b"Transfer-Encoding: chunked\r\n")
    parts.append(_connection_line(version, keep_alive))
    if date:
        parts.append(date)
    if isinstance(headers, bytes):
        parts.append(headers)
    elif headers:
        for name, value in headers:
            parts.append(("%s: %s\r\n" % (name, value)).encode())
    if extra:
        parts.append(extra)
    parts.append(_CRLF)
    return b"".join(parts)


def _connection_line(version, keep_alive):
    if not keep_alive:
        return b"Connection: close\r\n"
    if version == 10:
        return b"Connection: keep-alive\r\n"
    return b""


# content type -> {status/version/keep/headers key: head with %d for the length (and %s
# for the headers)}
_templates = {}
_templates_date = b""  # the Date line the templates hold: they are rebuilt once per second


def _template(version, status, content_type, keep_alive, extra, date, with_headers):
    global _templates, _templates_date
    if date != _templates_date:
        _templates = {}
        _templates_date = date
    by_type = _templates.get(content_type)
    if by_type is None:
        by_type = _templates[content_type] = {}
    key = status * 8 + (4 if version == 11 else 0) + (2 if keep_alive else 0) + (1 if with_headers else 0)
    template = by_type.get(key)
    if template is None:
        template = b"".join(
            [
                _status_line(version, status),
                _type_line(content_type) if content_type else b"",
                b"Content-Length: %d\r\n",
                _connection_line(version, keep_alive),
                date,
                extra.replace(b"%", b"%%"),
                b"%s" if with_headers else b"",
                _CRLF,
            ]
        )
        by_type[key] = template
    return template


def closing(response, extra, date=b""):
    """A short response that ends the connection (an error reply, a refusal), head and
    body as one bytes object: written in one non-blocking call, with no Sender."""
    body = response.body.encode()  # text() gives a str
    return serialise_head(response, len(body), 11, False, extra, date) + body
