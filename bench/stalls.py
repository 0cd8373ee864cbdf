"""Streaming under attack, measured: honest viewers next to 0, 1, 2 and 4 stalled ones, /capture
latency under the same, a newcomer under a dribble attack, first-frame and delimiter timings.

    PYTHONPATH=tests .venv/bin/python bench/stalls.py   (numbers for docs/benchmarks.md; the pass/fail
                                             versions are tests/camera/test_robust_stream.py)
"""

import statistics
import threading
import time

from httpclient import MjpegReader, get, stalled_stream, timed
from simserver import SimServer


def watch(server, seconds, out, source="127.0.0.3"):
    with MjpegReader(server.host, server.port, source=source) as reader:
        frames = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            reader.next_part()
            frames += 1
        out.append(frames / (time.perf_counter() - start))


def stalls(server, count):
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
        "%d stalled: honest viewers %.1f-%.1f fps (6 viewers), /capture %d/10 ok, median %.0f ms, max %.0f ms"
        % (count, min(fps), max(fps), ok, statistics.median(ms), max(ms))
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


def main():
    server = SimServer({"send_buffer": 32768})
    try:
        single = []
        watch(server, 3.0, single)
        print("1 viewer alone: %.1f fps" % single[0])
        for count in (0, 1, 2, 4):
            stalls(server, count)
        dribble(server)
        framing(server)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
