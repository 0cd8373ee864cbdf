"""MJPEG /stream: many viewers, one grab, stalled and vanished clients."""

import json
import socket
import subprocess
import time

from frames import Viewers, crc, crcs, watch
from httpclient import MjpegReader, get, reset

PERIOD = 1 / 25  # the sim's default frame rate


def _status(server):
    return json.loads(get(server, "/status").body)


def test_one_viewer_gets_every_frame_new_and_exact(sim):
    """Fifty parts, each byte-exact one of the camera's frames and newer than the one before,
    never faster than the camera makes them (the sim's capture times are a frame period apart:
    frames sent twice or made up would crowd into less capture time). How close a lone viewer
    comes to the camera's rate is measured by bench/stalls.py ("1 viewer alone")."""
    server = sim()
    result = []
    watch(server, 50, result, crcs(10))
    assert result[0].bad == 0
    # 50 distinct captures span at least 49 frame periods of capture time (10 % for the sim's
    # stamping: its clocks are read one after the other, and a busy machine may run between them).
    stamps = result[0].stamps
    assert stamps[-1] - stamps[0] >= 0.9 * 49 * PERIOD, stamps


def test_eight_viewers_plus_a_stalled_one(sim):
    """Eight viewers each get 40 new, whole frames while a ninth client has stopped reading
    (liveness, not a rate: their fps next to the stalled one is measured by bench/stalls.py),
    stills work meanwhile, and the stalled one is let go."""
    server = sim(send_timeout_ms=2500, max_per_peer=12)  # nine clients from one address
    known = crcs(10)
    sent_before = _status(server)["frames"]["sent"]
    # A ninth client asks for the stream and never reads.
    stalled = server.connect()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    mark = server.mark()
    viewers = Viewers(server, 8, 40, known)
    capture = get(server, "/capture", timeout=30)  # stills work while streams run
    assert capture.status == 200 and crc(capture.body) in known
    results = viewers.join()
    assert [r.bad for r in results] == [0] * 8
    server.wait_for_line("stopped reading", timeout=30, since=mark)
    stalled.close()
    status = _status(server)
    assert status["connections"] == 1
    assert status["frames"]["sent"] - sent_before >= 8 * 40


def test_one_grab_feeds_every_viewer(sim):
    """Four viewers at once: frames come only from the grabber (no viewer has a frame the
    server did not count as grabbed), and the same grab reaches several viewers: fewer
    distinct frames than parts received. With a grab per viewer every part would be its own
    frame. (Counts, whatever the machine's speed; the ratio is in bench/run.py's viewer table.)"""
    server = sim()
    before = _status(server)["frames"]["grabbed"]
    results = Viewers(server, 4, 40, crcs(10)).join()
    grabbed = _status(server)["frames"]["grabbed"] - before
    received = sum(len(r.stamps) for r in results)
    distinct = len({stamp for r in results for stamp in r.stamps})
    assert distinct <= grabbed, (distinct, grabbed)
    assert distinct < received, "%d distinct frames in %d parts: a grab per viewer?" % (distinct, received)


def test_stream_alias_and_fps_cap(sim):
    """mjpg-streamer's alias streams; ?fps=5 spaces parts at least 200 ms apart (the server waits
    that long after each part: a lower bound no machine's load can break; the measured capped
    rate is in bench/stalls.py)."""
    server = sim()
    result = []
    watch(server, 20, result, crcs(10), path="/?action=stream")
    assert result[0].bad == 0
    capped = []
    watch(server, 8, capped, crcs(10), path="/stream?fps=5")
    # 8 parts: 7 waits of 200 ms (less 1 ms of ticks_ms rounding each), all inside the watch.
    took = capped[0].ended - capped[0].started
    assert took >= 7 * 0.199, "8 parts at ?fps=5 in %.2f s" % took
    assert get(server, "/stream?fps=abc").status == 400


def test_framesize_change_while_streaming(sim):
    server = sim()
    reader = MjpegReader(server.host, server.port)
    for _ in range(3):
        reader.next_part()
    assert get(server, "/control?var=framesize&val=6").status == 200
    known_small = crcs(6)
    seen_small = 0
    for _ in range(20):
        _, jpeg = reader.next_part()
        seen_small += crc(jpeg) in known_small
    reader.close()
    assert seen_small >= 15


def _open(server, path):
    sock = server.connect()
    # A small receive buffer: the server's send fills it quickly and blocks mid-frame.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return sock


def _read(sock, n):
    got = 0
    while got < n:
        data = sock.recv(65536)
        if not data:
            break
        got += len(data)
    return got


def test_vanishing_viewers_release_every_frame(sim):
    """Every frame goes back exactly once, however its connection dies: /stream and /capture
    reset or closed mid-frame, one after another and several at once. Afterwards frames_out
    is 0 and the camera still serves a whole frame (on whichever backend the binary has)."""
    server = sim()
    for i in range(30):
        kind = i % 3
        if kind == 0:  # a stream reset in its first frames
            sock = _open(server, b"/stream")
            assert _read(sock, 20000 + i * 997) > 0  # the server is mid-send
            reset(sock)
        elif kind == 1:  # a still reset after its first kilobyte
            sock = _open(server, b"/capture")
            assert _read(sock, 1000) > 0
            reset(sock)
        else:  # a stream closed politely mid-frame
            sock = _open(server, b"/stream")
            assert _read(sock, 20000) > 0
            sock.close()
    # Several at once, stalled mid-frame, then all reset together.
    socks = [_open(server, b"/stream") for _ in range(4)] + [_open(server, b"/capture") for _ in range(2)]
    for sock in socks:
        assert _read(sock, 3000) > 0
    time.sleep(0.3)
    for sock in socks:
        reset(sock)
    deadline = time.monotonic() + 10
    while True:
        status = json.loads(get(server, "/status").body)
        if status["frames_out"] == 0 and status["connections"] == 1 and not status["viewers"]:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    # The camera still has its buffers: a whole fresh frame comes back.
    reply = get(server, "/capture")
    assert reply.status == 200
    assert len(reply.body) == int(reply.header("content-length"))
    assert reply.body[:2] == b"\xff\xd8" and reply.body[-2:] == b"\xff\xd9"
    assert not [line for line in server.lines() if "ERROR" in line or "WARNING" in line]


def test_ffmpeg_reads_and_decodes_50_frames(sim):
    server = sim()
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", server.url + "/stream", "-frames:v", "50"]
        + ["-f", "framemd5", "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    frames = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    assert len(frames) == 50
    assert len({line.split(",")[-1] for line in frames}) >= 25  # decoded pictures really change
