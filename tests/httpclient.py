"""A deliberately small raw-socket HTTP/1.1 client for the tests, the benchmarks and the
hardware-in-the-loop suite (tests/hil/hil_http.py builds on it): it shows exactly what went
over the wire (no library normalises anything away). Standard library only, so the HIL
suite's board run imports it without pytest."""

import json
import socket
import struct
import time


class Reply:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json.loads(self.body)


class Conn:
    """One keep-alive connection; read_reply() parses exactly one response."""

    def __init__(self, host, port, timeout=5.0, sock=None, source=None):
        """source: the local address to connect from (127.0.0.x plays another host)."""
        if sock is None:
            sock = socket.create_connection(
                (host, port), timeout=timeout, source_address=(source, 0) if source else None
            )
        self.sock = sock
        self.host = "%s:%s" % (host, port)  # the Host header: an IP literal passes the server's Host check
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, path, headers=None, body=b"", version="HTTP/1.1"):
        headers = dict(headers or {})
        lines = ["%s %s %s" % (method, path, version), "Host: " + headers.pop("Host", self.host)]
        for name, value in headers.items():
            lines.append("%s: %s" % (name, value))
        if body:
            lines.append("Content-Length: %d" % len(body))
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise EOFError("connection closed; buffered %r" % self.buf[:200])
        self.buf += data

    def read_reply(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        _, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = b""
        if not head_only:
            if "content-length" in headers:
                n = int(headers["content-length"])
                while len(self.buf) < n:
                    self._fill()
                body, self.buf = self.buf[:n], self.buf[n:]
            elif headers.get("transfer-encoding") == "chunked":
                body = self._read_chunked()
            elif headers.get("connection") == "close":
                while True:
                    try:
                        self._fill()
                    except EOFError:
                        break
                body, self.buf = self.buf, b""
        return Reply(int(status), reason, headers, body, head)

    def _read_chunked(self):
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            line, self.buf = self.buf.split(b"\r\n", 1)
            n = int(line, 16)
            while len(self.buf) < n + 2:
                self._fill()
            out += self.buf[:n]
            self.buf = self.buf[n + 2 :]
            if n == 0:
                return out

    def closed_by_peer(self, timeout=2.0):
        """True when the server closes the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def get(server, path, headers=None, method="GET", source=None, timeout=5.0):
    """One request on its own connection; source: the local address (127.0.0.x plays another host)."""
    conn = Conn(server.host, server.port, timeout=timeout, source=source)
    try:
        conn.request(method, path, headers=dict(headers or {}, Connection="close"))
        return conn.read_reply(head_only=(method == "HEAD"))
    finally:
        conn.close()


def stalled_stream(host, port, source=None, path="/stream"):
    """A client that asks for the stream and never reads: a tiny receive window, so the
    server's send blocks mid-frame. Returns the socket (close it to end the stall)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    if source:
        sock.bind((source, 0))
    sock.connect((host, port))
    sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
    return sock


def reset(sock):
    """Close sock with a TCP RST (SO_LINGER 0), as a killed browser tab does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


class MjpegReader:
    """Reads a raw (never chunked) `multipart/x-mixed-replace` MJPEG stream part by part.

    By default the answer must be 200 with a multipart content type (asserted); with
    check_status=False any answer is accepted and the caller checks .status (a 401 or 503
    then has no parts to read). Every part must carry Content-Type, Content-Length and
    X-Timestamp. Parts are read from one bytearray buffer (a VGA stream is ~1 MB/s).
    """

    def __init__(
        self, host, port, path="/stream", headers=None, timeout=10.0, check_status=True, source=None
    ):
        self.conn = Conn(host, port, timeout=timeout, source=source)
        self.conn.request("GET", path, headers=headers)
        self.reply = self.conn.read_reply(head_only=True)
        self.status = self.reply.status
        # What Conn read past the head is the start of the body: continue in our own buffer.
        self.buf = bytearray(self.conn.buf)
        self.conn.buf = b""
        self.boundary = None
        self.arrived = None
        if not check_status and self.status != 200:
            return
        assert self.status == 200, self.reply.raw_head
        ctype = self.reply.header("content-type", "")
        assert ctype.startswith("multipart/x-mixed-replace"), ctype
        assert "chunked" not in self.reply.header("transfer-encoding", ""), "a stream must not be chunked"
        for item in ctype.split(";")[1:]:
            name, _, value = item.strip().partition("=")
            if name.lower() == "boundary":
                self.boundary = value.strip('"').encode()
        assert self.boundary, "no boundary in %r" % ctype

    def _fill(self):
        data = self.conn.sock.recv(262144)
        if not data:
            raise EOFError("stream closed by the server; buffered %r" % bytes(self.buf[:200]))
        self.buf += data

    def _read_until(self, marker):
        """The bytes before marker; marker itself is consumed."""
        start = 0
        while True:
            i = self.buf.find(marker, start)
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[: i + len(marker)]
                return out
            start = max(0, len(self.buf) - len(marker) + 1)
            self._fill()

    def next_part(self):
        """(headers dict, jpeg bytes) of the next part (anything before its boundary line is
        skipped); .arrived is the monotonic time its last byte came in."""
        assert self.boundary, "no stream to read: the answer was %d" % self.status
        self._read_until(b"--" + self.boundary + b"\r\n")
        headers = {}
        for line in self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        for name in ("content-type", "content-length", "x-timestamp"):
            assert name in headers, "MJPEG part without %s: %r" % (name, headers)
        n = int(headers["content-length"])
        while len(self.buf) < n:
            self._fill()
        self.arrived = time.monotonic()
        jpeg = bytes(self.buf[:n])
        del self.buf[:n]
        return headers, jpeg

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
