"""A small HTTP client for the hardware-in-the-loop suite and its benchmark.

It speaks to a board over Wi-Fi or to the sim over loopback with the same
code: the behaviour tests' raw-socket client (tests/httpclient.py) for plain
requests and streams (the stream never ends, and the tests need each part's
headers, length and arrival time), and abort_mid_body() for a client that goes
away in the middle of a frame.
"""

import base64
import io
import socket
import time
from urllib.parse import urlsplit

import httpclient
from httpclient import Conn, MjpegReader, get
from PIL import Image


def auth_header(auth):
    """Basic auth header value for (user, password), or None."""
    if not auth:
        return None
    token = base64.b64encode(("%s:%s" % auth).encode()).decode()
    return "Basic " + token


class Device:
    """The camera under test, addressed by the URL from its `camera ready:` line."""

    def __init__(self, base_url, auth=None, timeout=10.0):
        parts = urlsplit(base_url)
        self.base_url = base_url
        self.host = parts.hostname
        self.port = parts.port or 80
        self.auth = auth
        self.timeout = timeout

    def request(self, path, method="GET", auth=None, headers=None, timeout=None):
        """One request on its own connection; returns an httpclient.Reply."""
        use_auth = self.auth if auth is None else auth
        hdrs = dict(headers or {})
        value = auth_header(use_auth)
        if value:
            hdrs["Authorization"] = value
        return get(self, path, headers=hdrs, method=method, timeout=timeout or self.timeout)

    get = request

    def status(self, collect=False):
        """GET /status; collect=True asks the device to run gc.collect() first, so heap
        figures are comparable."""
        r = self.request("/status?gc=1" if collect else "/status")
        assert r.status == 200, "GET /status: %d %r" % (r.status, r.body[:200])
        return r.json()

    def control(self, var, val):
        return self.request("/control?var=%s&val=%s" % (var, val))

    def set_framesize(self, index, settle=0.3):
        """Switch the frame size and wait until /status reports it (the change is
        safe while streams run, but the next frames may still be the old size)."""
        r = self.control("framesize", index)
        assert r.status == 200, "framesize=%s: %d %r" % (index, r.status, r.body)
        deadline = time.monotonic() + 5
        while self.status().get("framesize") != index:
            assert time.monotonic() < deadline, "/status never reported framesize %d" % index
            time.sleep(0.05)
        time.sleep(settle)

    def stream(self, path="/stream", auth=None, check_status=True):
        """An MjpegReader on path: next_part() -> (headers, jpeg), .arrived after each part.
        check_status=False accepts any answer (the caller checks .status, e.g. a 401)."""
        use_auth = self.auth if auth is None else auth
        value = auth_header(use_auth)
        headers = {"Authorization": value} if value else None
        return MjpegReader(
            self.host, self.port, path, headers=headers, timeout=self.timeout, check_status=check_status
        )

    def wait_idle(self, connections=1, timeout=10.0):
        """Wait until /status counts only `connections` connections (its own), so a
        test can tell that aborted clients gave their slots back. Returns the status."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.status(collect=True)
            if st.get("connections") <= connections and not st.get("viewers"):
                return st
            if time.monotonic() > deadline:
                raise AssertionError("device not idle after %.0f s: %r" % (timeout, st))
            time.sleep(0.1)


def jpeg_size(data):
    """Check that data is one whole JPEG (SOI first, EOI last, Pillow decodes
    every scan) and return (width, height)."""
    assert data[:2] == b"\xff\xd8", "no JPEG SOI marker: %r" % data[:4]
    assert data[-2:] == b"\xff\xd9", "no JPEG EOI marker at the end: %r" % data[-4:]
    with Image.open(io.BytesIO(data)) as im:
        im.load()  # decodes the whole image: a truncated or corrupt scan raises
        assert im.format == "JPEG"
        return im.size


def parse_timestamp(value):
    """`X-Timestamp: sec.usec` as float seconds."""
    sec, _, usec = value.partition(".")
    assert sec.isdigit() and usec.isdigit() and len(usec) == 6, "bad X-Timestamp %r" % value
    return int(sec) + int(usec) / 1e6


def abort_mid_body(device, path, after=2048, rcvbuf=4096, reset=True):
    """Start a download of path, read its head and `after` bytes of body, then go
    away (reset or plain close) while the device is still sending.
    Returns the response status and the total bytes this client received."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Set before connect so the advertised window is small: the device then cannot
    # push a whole frame into this client's kernel buffer, and is mid-send when it goes.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(device.timeout)
    try:
        s.connect((device.host, device.port))
        value = auth_header(device.auth)
        Conn(device.host, device.port, sock=s).request(
            "GET", path, {"Authorization": value} if value else None
        )
        buf = bytearray()
        while b"\r\n\r\n" not in buf or len(buf) - buf.find(b"\r\n\r\n") - 4 < after:
            data = s.recv(after)
            if not data:
                break
            buf += data
        status = int(bytes(buf[: buf.find(b"\r\n")]).split()[1]) if buf else 0
        if reset:
            httpclient.reset(s)
        return status, len(buf)
    finally:
        s.close()
