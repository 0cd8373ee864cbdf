"""The parsed request handed to handlers."""

from camserver.http.errors import HTTPError


def unquote(text):
    """Percent-decode a query component ("+" is a space); bad escapes stay as they are."""
    if "%" not in text and "+" not in text:
        return text
    text = text.replace("+", " ")
    parts = text.split("%")
    out = [parts[0]]
    for part in parts[1:]:
        try:
            out.append(chr(int(part[:2], 16)) + part[2:])
        except ValueError:
            out.append("%" + part)
    return "".join(out)


def parse_query(text):
    """ "a=1&b=x%20y" -> {"a": "1", "b": "x y"}; the last of repeated names wins."""
    out = {}
    if text:
        for item in text.split("&"):
            if not item:
                continue
            name, _, value = item.partition("=")
            out[unquote(name)] = unquote(value)
    return out


class Request:
    """One HTTP request: method, target split into path and query string,
    version (10 or 11), headers with lower-case names, and the body bytes."""

    def __init__(self, method="GET", path="/", query_string="", version=11, headers=None, conn=None):
        self.conn = conn  # the transport connection, for the peer address
        self.body: "bytes | bytearray" = b""
        self._query = None
        self.reset(method, path, query_string, version, headers)

    def reset(self, method, path, query_string, version, headers):
        """Reuse this object for the next request on the same connection: every
        attribute already exists, so nothing is allocated for the object itself
        (MicroPython has no __slots__; a new instance regrows its attribute table)."""
        self.method = method
        self.path = path
        self.query_string = query_string
        self.version = version
        self.headers = {} if headers is None else headers
        self.body = b""
        self.stream = None  # a BodyReader when the route reads its body itself (stream_body)
        self._query = None
        return self

    @property
    def peer(self):
        """The client's "ip:port" ("" without a connection)."""
        return self.conn.peer if self.conn is not None else ""

    def digest_uri(self):
        """The target as the client wrote it: what Digest credentials sign."""
        if self.query_string:
            return self.path + "?" + self.query_string
        return self.path

    def digest_conn(self):
        """None: over HTTP a Digest nonce is not bound to a connection (security/digest.py)."""
        return None

    @property
    def query(self):
        """The query parameters as a dict, parsed on first use."""
        if self._query is None:
            self._query = parse_query(self.query_string)
        return self._query

    def read_into(self, buf):
        """For a route added with stream_body=True: await it to fill buf with the next body
        bytes; returns how many (0 once the body is all read). See transport/body.py."""
        if self.stream is None:
            raise HTTPError(500, "this route does not stream its body")
        return self.stream.read_into(buf)

    def content_length(self):
        """The declared body length (0 when absent). HTTPError 400 when malformed."""
        value = self.headers.get("content-length")
        if value is None:
            return 0
        if not value.isdigit():
            raise HTTPError(400, "bad Content-Length", close=True)
        return int(value)
