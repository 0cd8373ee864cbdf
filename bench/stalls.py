"""Streaming under attack, measured: honest viewers next to 0, 1, 2 and 4 stalled ones, /capture
latency under the same, a newcomer under a dribble attack, first-frame and delimiter timings, how
many viewers one grab feeds, the ?fps cap, and when /capture gives up on a paused camera. Rates
are given as ratios (to the sim's rate, the lone viewer's, the cap, a frame period, the timeout):
the pass/fail tests check only counts and orderings.

    PYTHONPATH=tests .venv/bin/python bench/stalls.py   (numbers for docs/benchmarks.md; the pass/fail
                                             versions are tests/camera/test_robust_stream.py)
"""

import statistics
import threading
import time

from httpclient import MjpegReader, get, stalled_stream, timed
from simserver import SimServer, sim_binary

SIM_FPS = 25  # the sim's default frame rate
CAPTURE_TIMEOUT_S = 5  # /capture's wait for a fresh frame (app/camera_routes.py)


def watch(server, seconds, out, source="127.0.0.3"):
    with MjpegReader(server.host, server.port, source=source) as reader:
        frames = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            reader.next_part()
            frames += 1
        out.append(frames / (time.perf_counter() - start))


def stalls(server, count, alone):
    stalled = []
    for _ in range(count):
        stalled.append(stalled_stream(server.host, server.port, "127.0.0.2"))
        time.sleep(0.15)
    fps = []
    # Six viewers on three hosts (max_per_peer is 6 and a closed stream frees its slot a moment later).
    threads = [
        threading.Thread(target=watch, args=(server, 4.0, fps, "127.0.0.%d" % (50 + i % 3))) for i in range(6)
    ]
    for t in threads:
        t.start()
    time.sleep(0.5)
    caps = [timed(lambda: get(server, "/capture", source="127.0.0.4")) for _ in range(10)]
    for t in threads:
        t.join()
    for sock in stalled:
        sock.close()
    time.sleep(0.5)
    ok = sum(1 for reply, _ in caps if reply.status == 200)
    ms = [seconds * 1000 for _, seconds in caps]
    print(
        "%d stalled: honest viewers %.1f-%.1f fps (6 viewers; slowest %.2f of the lone viewer's), "
        "/capture %d/10 ok, median %.0f ms (%.1f frame periods), max %.0f ms"
        % (
            count,
            min(fps),
            max(fps),
            min(fps) / alone,
            ok,
            statistics.median(ms),
            statistics.median(ms) * SIM_FPS / 1000,
            max(ms),
        )
    )


def dribble(server):
    socks = []
    for i in range(12):
        sock = server.connect(source="127.0.0.%d" % (10 + i))
        sock.sendall(b"GET /status HTTP/1.1\r\nHo")
        socks.append(sock)
    time.sleep(0.5)
    start = time.perf_counter()
    reply = get(server, "/status", source="127.0.0.5")
    print(
        "dribble attack (12 slots held): newcomer got %d in %.1f ms"
        % (reply.status, (time.perf_counter() - start) * 1000)
    )
    for sock in socks:
        sock.close()


def framing(server):
    start = time.perf_counter()
    sock = server.connect(timeout=10)
    sock.sendall(b"GET /stream?fps=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(65536)
    _, buf = buf.split(b"\r\n\r\n", 1)
    gaps = []
    first = None
    for _ in range(4):
        while buf.count(b"\r\n\r\n") < 1:
            buf += sock.recv(65536)
        head, buf = buf.split(b"\r\n\r\n", 1)
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        while len(buf) < length:
            buf += sock.recv(65536)
        done = time.perf_counter()
        if first is None:
            first = (done - start) * 1000
        while b"\r\n--" not in buf[length:] or not buf[length:].split(b"\r\n--", 1)[1].count(b"\r\n"):
            buf += sock.recv(65536)
        gaps.append((time.perf_counter() - done) * 1000)
        buf = buf[length:]
    sock.close()
    print(
        "?fps=2: first frame after %.1f ms; closing delimiter %.2f-%.2f ms after each part's last byte"
        % (first, min(gaps), max(gaps))
    )


def _frames(server):
    return get(server, "/status").json()["frames"]


def sharing(server, viewers=4):
    """Parts sent per grab with `viewers` viewers: `viewers` when every grab reaches every viewer."""
    before = _frames(server)
    fps = []
    threads = [
        threading.Thread(target=watch, args=(server, 3.0, fps, "127.0.0.%d" % (60 + i)))
        for i in range(viewers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    after = _frames(server)
    sent, grabbed = after["sent"] - before["sent"], after["grabbed"] - before["grabbed"]
    print(
        "%d viewers: %d parts sent from %d grabs (%.2f viewers fed per grab, of %d)"
        % (viewers, sent, grabbed, sent / max(grabbed, 1), viewers)
    )


def capped(server, cap=5):
    with MjpegReader(server.host, server.port, "/stream?fps=%d" % cap) as reader:
        reader.next_part()
        start = time.perf_counter()
        for _ in range(10):
            reader.next_part()
        rate = 10 / (time.perf_counter() - start)
    print("?fps=%d: %.2f fps (%.2f of the cap)" % (cap, rate, rate / cap))


def paused_capture():
    server = SimServer({"diagnostics": 1}, binary=sim_binary())  # (/test/pause)
    try:
        get(server, "/test/pause?ms=30000")
        reply, seconds = timed(lambda: get(server, "/capture", timeout=30))
        print(
            "paused camera: /capture answered %d after %.2f s (%.2f of its %d s timeout)"
            % (reply.status, seconds, seconds / CAPTURE_TIMEOUT_S, CAPTURE_TIMEOUT_S)
        )
    finally:
        server.stop()


def main():
    server = SimServer({"send_buffer": 32768})
    try:
        single = []
        watch(server, 3.0, single)
        print("1 viewer alone: %.1f fps (%.2f of the sim's %d)" % (single[0], single[0] / SIM_FPS, SIM_FPS))
        for count in (0, 1, 2, 4):
            stalls(server, count, single[0])
        sharing(server)
        capped(server)
        dribble(server)
        framing(server)
    finally:
        server.stop()
    paused_capture()


if __name__ == "__main__":
    main()
