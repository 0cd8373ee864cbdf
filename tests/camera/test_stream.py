"""MJPEG /stream: many viewers, one grab, stalled and vanished clients."""

import json
import socket
import struct
import subprocess
import threading
import time

from frames import crc, crcs
from httpclient import MjpegReader, get


def _watch(server, seconds, result, known, path="/stream"):
    reader = MjpegReader(server.host, server.port, path)
    frames = bad = 0
    last_stamp = 0.0
    start = time.perf_counter()
    try:
        while time.perf_counter() - start < seconds:
            headers, jpeg = reader.next_part()
            assert headers["content-type"] == "image/jpeg"
            stamp = float(headers["x-timestamp"])
            assert stamp > last_stamp, "a frame repeated or went back in time"
            last_stamp = stamp
            if crc(jpeg) not in known:
                bad += 1
            frames += 1
    finally:
        reader.close()
    result.append((frames / (time.perf_counter() - start), bad))


def test_one_viewer_gets_the_sim_rate_with_exact_bytes(sim):
    server = sim()
    result = []
    _watch(server, 2.0, result, crcs(10))
    fps, bad = result[0]
    assert bad == 0
    assert 20 <= fps <= 27, fps


def test_eight_viewers_plus_a_stalled_one(sim):
    server = sim(send_timeout_ms=2500)
    known = crcs(10)
    single = []
    _watch(server, 2.0, single, known)
    single_fps = single[0][0]
    # A ninth client asks for the stream and never reads.
    stalled = server.connect()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
    mark = server.mark()
    results = []
    threads = [threading.Thread(target=_watch, args=(server, 4.0, results, known)) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    capture = get(server, "/capture")  # stills work while streams run
    assert capture.status == 200
    for t in threads:
        t.join(30)
    assert len(results) == 8
    for fps, bad in results:
        assert bad == 0
        assert fps >= 0.9 * single_fps, "viewer at %.1f fps vs %.1f alone" % (fps, single_fps)
    server.wait_for_line("stopped reading", timeout=5, since=mark)
    stalled.close()
    status = json.loads(get(server, "/status").body)
    assert status["connections"] == 1
    assert status["frames"]["sent"] >= 8 * 4 * 20


def test_one_grab_feeds_every_viewer(sim):
    server = sim()
    results = []
    threads = [threading.Thread(target=_watch, args=(server, 2.0, results, crcs(10))) for _ in range(4)]
    before = json.loads(get(server, "/status").body)["frames"]["grabbed"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    grabbed = json.loads(get(server, "/status").body)["frames"]["grabbed"] - before
    received = sum(fps * 2.0 for fps, _ in results)
    assert grabbed < 0.4 * received, "grabbed %d for %d frames sent: a grab per viewer?" % (grabbed, received)


def test_stream_alias_and_fps_cap(sim):
    server = sim()
    result = []
    _watch(server, 2.0, result, crcs(10), path="/?action=stream")
    assert result[0][0] > 15
    capped = []
    _watch(server, 2.5, capped, crcs(10), path="/stream?fps=5")
    assert 3.5 <= capped[0][0] <= 5.5, capped
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


def test_vanishing_viewers_release_every_frame(sim):
    server = sim()
    for i in range(20):
        sock = server.connect()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
        got = 0
        while got < 20000 + i * 997:  # into the first frame: the server is mid-send
            got += len(sock.recv(65536))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    deadline = time.monotonic() + 5
    while True:
        status = json.loads(get(server, "/status").body)
        if status["frames_out"] == 0 and status["connections"] == 1:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
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
