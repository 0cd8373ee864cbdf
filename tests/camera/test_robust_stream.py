"""Stalled viewers, dribbling clients and boundary-reading clients, against the real server.

Other hosts are played by other loopback source addresses (127.0.0.x), so the per-client cap
(max_per_peer) applies as it would on a LAN."""

import glob
import json
import subprocess
import threading
import time

from frames import Viewers, crc, crcs
from httpclient import Conn, MjpegReader, get, stalled_stream, timed
from simserver import sim_binary


def _status(server):
    return json.loads(get(server, "/status").body)


def test_stalled_viewers_never_freeze_honest_viewers_or_capture(sim):
    """2, then 4 clients that stop reading (fb_count 2: they could hold every buffer) next to
    six honest viewers: each honest viewer keeps getting new, whole frames (50 each), every
    /capture answers with a frame, and the stalled ones lose their frames (revoked, closed at
    TRACE). The send buffer is the board's (32 KB), so a client that stops reading blocks
    within a frame. Counts, not rates: honest fps and /capture latency under stalls are
    measured by bench/stalls.py (as a share of the lone viewer's rate)."""
    server = sim(send_buffer=32768)
    known = crcs(10)
    for stalled_count in (2, 4):
        revoked = _status(server)["frames"]["revoked"]
        stalled = []
        for _ in range(stalled_count):
            stalled.append(stalled_stream(server.host, server.port, "127.0.0.2"))
            time.sleep(0.15)  # a few frames apart: each blocks mid-way through another frame
        viewers = Viewers(server, 6, 50, known, source="127.0.0.3")
        captures = [get(server, "/capture", source="127.0.0.4", timeout=30) for _ in range(5)]
        results = viewers.join()
        for sock in stalled:
            sock.close()
        assert [r.bad for r in results] == [0] * 6
        assert [reply.status for reply in captures] == [200] * 5
        assert all(crc(reply.body) in known for reply in captures)
        # The stalled clients blocked holding frames the camera needed: they lost them.
        assert _status(server)["frames"]["revoked"] > revoked, _status(server)["frames"]
    assert _status(server)["frames"]["revoked"] >= 2, _status(server)["frames"]
    console = server.lines()
    assert not [line for line in console if "ERROR" in line or "WARNING" in line or "Traceback" in line]


def test_dribbling_clients_do_not_lock_out_a_browser(sim):
    """Twelve connections (from twelve hosts) that send a header byte now and then fill every
    slot; a browser-like client is still served at once: the slowest head makes room."""
    server = sim()
    dribblers = []
    for i in range(12):
        sock = server.connect(source="127.0.0.%d" % (10 + i))
        sock.sendall(b"GET /status HTTP/1.1\r\nHo")
        dribblers.append(sock)
    time.sleep(0.5)  # older than a client still sending its head (250 ms)
    for sock in dribblers:
        sock.sendall(b"s")
    reply = get(server, "/status", source="127.0.0.5")
    assert reply.status == 200, reply.raw_head
    status = json.loads(reply.body)
    assert status["connections"] == 12 and status["evicted"] == 1, status
    # The first dribbler was the one evicted (its head began earliest): the server closed it.
    assert Conn(None, None, sock=dribblers[0]).closed_by_peer()
    for sock in dribblers:
        sock.close()


def test_one_host_cannot_take_every_slot(sim):
    """max_per_peer (6): a seventh idle connection from the same host replaces that host's
    longest idle one; a seventh stream from it (all six streaming) gets 503."""
    server = sim()
    idle = []
    for _ in range(7):
        conn = Conn(server.host, server.port, source="127.0.0.6")
        conn.request("GET", "/status")
        assert conn.read_reply().status == 200
        idle.append(conn)
    assert idle[0].closed_by_peer()
    assert json.loads(get(server, "/status", source="127.0.0.7").body)["connections"] == 7
    for conn in idle:
        conn.close()
    readers = [MjpegReader(server.host, server.port, "/stream?fps=1", source="127.0.0.6") for _ in range(6)]
    seventh = Conn(server.host, server.port, source="127.0.0.6")
    seventh.request("GET", "/status")
    assert seventh.read_reply().status == 503
    assert get(server, "/status", source="127.0.0.7").status == 200  # another host still gets in
    for reader in readers:
        reader.close()


def test_head_deadline_counts_from_the_connection_start(sim):
    """A client that connects and dribbles its head gets header_timeout_ms in all (408)."""
    server = sim(header_timeout_ms=1000, idle_timeout_ms=5000)
    sock = server.connect()
    sock.settimeout(5)
    data = b""
    for _ in range(4):
        sock.sendall(b"G")
        time.sleep(0.2)
    while b"\r\n" not in data:
        data += sock.recv(100)
    # 408, not a silent close: the head timeout ran, not the idle one (that it runs from the
    # connection's start is checked in-process: tests/mpy/connection_checks.py).
    assert data.startswith(b"HTTP/1.1 408"), data
    sock.close()


def _raw_stream(server, path):
    sock = server.connect(timeout=10)
    sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return sock


class _RawParts:
    """The raw bytes of a /stream answer, read part by part, each part's closing delimiter
    included: reading a part does not return before its delimiter has arrived."""

    def __init__(self, server, path):
        self.sock = server.connect(timeout=10)
        self.sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        boundary = head.split(b"boundary=")[1].split(b"\r\n")[0]
        self.delimiter = b"\r\n--" + boundary + b"\r\n"
        # The first delimiter follows the head directly (ffmpeg's probe wants "--" first).
        self._need(len(self.delimiter) - 2)
        assert self.buf.startswith(self.delimiter[2:]), self.buf[:60]
        self.buf = self.buf[len(self.delimiter) - 2 :]

    def _need(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            assert data, "the stream ended"
            self.buf += data

    def _until(self, marker):
        while marker not in self.buf:
            self._need(len(self.buf) + 1)
        out, self.buf = self.buf.split(marker, 1)
        return out

    def part(self):
        """The next JPEG, once the delimiter after it is in (socket.timeout if it never comes)."""
        head = self._until(b"\r\n\r\n")
        fields = {k.strip().lower(): v for k, _, v in (x.partition(b":") for x in head.split(b"\r\n"))}
        length = int(fields[b"content-length"])
        self._need(length + len(self.delimiter))
        jpeg, closing = self.buf[:length], self.buf[length : length + len(self.delimiter)]
        assert closing == self.delimiter, closing
        self.buf = self.buf[length + len(self.delimiter) :]
        return jpeg

    def close(self):
        self.sock.close()


def test_each_part_is_closed_by_its_delimiter_at_once(sim):
    """The delimiter that closes a part goes out with the part, not with the next frame: with
    the camera paused, every part the server has counted as sent (/status) has arrived whole,
    its delimiter included, although no next frame comes (with the old framing the last one's
    delimiter would wait for the camera: socket.timeout). The first delimiter follows the head
    directly. The delay itself is measured by bench/stalls.py (framing)."""
    # (/test/pause; camera_stall_ms=0: no restarts of the deliberately stalled camera)
    server = sim(diagnostics=1, stream_keepalive_ms=0, camera_stall_ms=0, binary=sim_binary())
    stream = _RawParts(server, b"/stream?fps=2")
    known = crcs(10)
    for _ in range(2):
        assert crc(stream.part()) in known
    assert get(server, "/test/pause?ms=30000").status == 200
    got, settled = 2, 0
    deadline = time.monotonic() + 20  # inside the pause: no frame can come to close a part
    while settled < 3:  # the count unchanged three polls running: the frame in flight is out
        assert time.monotonic() < deadline, "the viewer's count kept changing with the camera paused"
        sent = _status(server)["viewers"][0]["frames"]
        settled = settled + 1 if sent == got else 0
        while got < sent:
            assert crc(stream.part()) in known
            got += 1
        time.sleep(0.3)
    stream.close()
    assert get(server, "/test/pause?ms=0").status == 200


def test_gstreamer_multipartdemux_has_every_frame_sent(sim, tmp_path):
    """GStreamer's multipartdemux emits a part only when the next boundary arrives. With the
    camera paused, every frame the server has sent must already be decoded: with the
    delimiter sent one frame late, the last one would still be stuck in the demuxer."""
    # (/test/pause; camera_stall_ms=0: no restarts of the deliberately stalled camera)
    server = sim(diagnostics=1, stream_keepalive_ms=0, camera_stall_ms=0, binary=sim_binary())
    pattern = str(tmp_path / "frame%05d.jpg")
    gst = subprocess.Popen(
        ["gst-launch-1.0", "-q", "souphttpsrc", "location=%s/stream?fps=2" % server.url]
        + [
            "!",
            "multipartdemux",
            "!",
            "jpegdec",
            "!",
            "jpegenc",
            "!",
            "multifilesink",
            "location=" + pattern,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while len(glob.glob(str(tmp_path / "*.jpg"))) < 3:
            assert gst.poll() is None, gst.stdout.read()
            assert time.monotonic() < deadline, "GStreamer decoded no frames"
            time.sleep(0.05)
        assert get(server, "/test/pause?ms=4000").status == 200
        time.sleep(1.5)  # the frame in flight arrives; then nothing more comes
        viewers = json.loads(get(server, "/status").body)["viewers"]
        sent = viewers[0]["frames"]
        decoded = len(glob.glob(str(tmp_path / "*.jpg")))
        assert decoded == sent, "GStreamer decoded %d of the %d frames sent" % (decoded, sent)
    finally:
        gst.terminate()
        gst.wait(5)
    with open(sorted(glob.glob(str(tmp_path / "*.jpg")))[0], "rb") as f:
        assert f.read(2) == b"\xff\xd8"  # decoded and re-encoded: a real picture came through


def test_stalled_camera_stream_gets_keepalive_copies(sim):
    """With the camera delivering nothing, the last frame is sent again every
    stream_keepalive_ms (rounded up to the hub's one-second pulse): two copies come during
    a pause much longer than that (a count, so a slow machine only takes longer)."""
    # (/test/pause; camera_stall_ms=0: no restarts of the deliberately stalled camera)
    server = sim(diagnostics=1, stream_keepalive_ms=500, camera_stall_ms=0, binary=sim_binary())
    with MjpegReader(server.host, server.port) as reader:
        for _ in range(3):
            _, jpeg = reader.next_part()
        assert get(server, "/test/pause?ms=30000").status == 200
        repeats = []
        deadline = time.monotonic() + 20  # inside the pause
        while len(repeats) < 2:
            assert time.monotonic() < deadline, repeats
            headers, part = reader.next_part()
            if part == jpeg:
                repeats.append(headers["x-timestamp"])
            jpeg = part
        assert get(server, "/test/pause?ms=0").status == 200
    assert len(set(repeats)) == 1  # the same frame, again


def _throttled(server, seconds, out, source):
    """A viewer that reads, but slower than the camera sends (~400 KB/s): it must keep its stream
    and skip frames, not be taken for a stalled one."""
    sock = server.connect(timeout=5, source=source)
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    got = 0
    start = time.monotonic()
    try:
        while time.monotonic() - start < seconds:
            try:
                data = sock.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:
                out.append(("closed", got))
                return
            got += len(data)
            time.sleep(0.01)
        out.append(("open", got))
    finally:
        sock.close()


def test_viewers_slower_than_the_camera_keep_their_streams(sim):
    """Three viewers reading at ~400 KB/s hold both buffers (fb_count 2) most of the time: they
    make progress, so they skip frames and are never revoked."""
    server = sim(send_buffer=32768)
    out = []
    sources = ["127.0.0.%d" % (2 + i) for i in range(3)]
    threads = [threading.Thread(target=_throttled, args=(server, 4.0, out, source)) for source in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert [state for state, _ in out] == ["open"] * 3, out
    assert json.loads(get(server, "/status").body)["frames"]["revoked"] == 0


def test_responses_nobody_reads_do_not_lock_out_newcomers(sim):
    """Twelve connections (six from each of two hosts, the per-host cap) ask for 120 kB and
    never read it: once they have taken nothing for a second they count as doing nothing, and
    a newcomer replaces one instead of getting 503 for send_timeout_ms."""
    server = sim(send_buffer=32768)
    stuck = [
        stalled_stream(server.host, server.port, "127.0.0.%d" % (2 + i % 2), "/test/body") for i in range(12)
    ]
    time.sleep(1.5)
    reply = get(server, "/status", source="127.0.0.4")
    assert reply.status == 200, reply.raw_head
    assert json.loads(reply.body)["evicted"] == 1
    for sock in stuck:
        sock.close()


def test_capture_from_a_stalled_camera_gives_up_with_503(sim):
    """No frame comes (the camera is paused far longer): /capture answers 503 with Retry-After
    once its 5 s timeout has passed (never before it; seen at the hub's next once-a-second
    pulse, and long before the pause ends), and works again afterwards."""
    server = sim(diagnostics=1, binary=sim_binary())  # (/test/pause)
    assert get(server, "/test/pause?ms=40000").status == 200
    conn = Conn(server.host, server.port, timeout=35)
    conn.request("GET", "/capture")
    reply, seconds = timed(conn.read_reply)
    conn.close()
    assert reply.status == 503 and reply.header("retry-after"), reply.raw_head
    assert seconds >= 4.99, seconds  # the server's own deadline (less ticks_ms rounding)
    assert get(server, "/test/pause?ms=0").status == 200
    assert get(server, "/capture").status == 200
