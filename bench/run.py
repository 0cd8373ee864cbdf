"""make bench: measured in one run on this machine, as ratios against baselines
started in the same run. Prints markdown tables (paste them into docs/benchmarks.md).

    python bench/run.py [--quick]

1. Keep-alive GET of a 120 kB body (frames/s, p50/p99 latency) for
   (a) camserver at default settings, (b) camserver at the seed configuration
   (chunk 1460, NODELAY off), (c) a bare MicroPython asyncio loop writing 4096-byte
   slices with NODELAY (the ceiling), (d) microdot 2.7 on the same MicroPython;
   and the GC bytes camserver allocates per response.
2. 8 MJPEG viewers with the sim at 25 fps and uncapped: fps per viewer, the
   server's CPU share, GC bytes per frame per viewer.
3. 4 RTSP (TCP interleaved) + 4 MJPEG viewers of the same hub, 25 fps and uncapped:
   fps per viewer of each kind and the server's CPU share (--rtsp: only this table).
"""

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import sysconfig
import threading
import time

from httpclient import Conn, MjpegReader, get
from rtspclient import RtspClient
from simserver import MPY_OUT, ROOT, SimServer, free_port, micropython_binary

HERE = os.path.dirname(os.path.abspath(__file__))

QUICK = "--quick" in sys.argv
BODY = 120000


class Process:
    """A MicroPython script serving on a free port (the baselines)."""

    def __init__(self, script, extra_path=""):
        self.port = free_port()
        self.host = "127.0.0.1"
        path = (extra_path + ":" if extra_path else "") + MPY_OUT + ":.frozen"
        self.proc = subprocess.Popen(
            [micropython_binary(), "-X", "heapsize=16M", os.path.join(HERE, script), str(self.port)],
            cwd=ROOT,
            env=dict(os.environ, MICROPYPATH=path),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        line = self.proc.stdout.readline()
        assert line.startswith("camera ready:"), line
        time.sleep(0.2)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def keepalive_run(host, port, count, reconnect=False):
    """Latencies (s) of count GETs of /test/body: keep-alive on one connection, or
    (reconnect) a new connection per request, timed from connect to last byte.
    The client reads into one preallocated buffer so that it costs as little as
    possible and the numbers are the servers'."""
    request = b"GET /test/body HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    buf = bytearray(1 << 18)
    view = memoryview(buf)
    sock = None
    times = []
    for i in range(count + 10):
        start = time.perf_counter()
        if sock is None:
            sock = socket.create_connection((host, port), timeout=10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        filled = 0
        head_end = -1
        while head_end < 0:
            n = sock.recv_into(view[filled:])
            assert n, "server closed the connection"
            filled += n
            head_end = buf.find(b"\r\n\r\n", 0, filled)
        head = bytes(buf[:head_end]).lower()
        length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        total = head_end + 4 + length
        while filled < total:
            n = sock.recv_into(view[filled:])
            assert n, "server closed the connection mid-body"
            filled += n
        if reconnect:
            sock.close()
            sock = None
        took = time.perf_counter() - start
        assert length == BODY and filled == total, (length, filled, total)
        if i >= 10:  # warm-up excluded
            times.append(took)
    if sock is not None:
        sock.close()
    return times


def summarise(times):
    times = sorted(times)
    return {
        "fps": len(times) / sum(times),
        "p50": times[len(times) // 2] * 1000,
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
    }


def gc_per_response(server, count):
    conn = Conn(server.host, server.port)
    conn.request("GET", "/test/gc?action=start")
    conn.read_reply()
    for _ in range(count):
        conn.request("GET", "/test/body")
        conn.read_reply()
    conn.request("GET", "/test/gc?action=stop")
    total = json.loads(conn.read_reply().body)["allocated"]
    conn.request("GET", "/test/gc?action=start")  # the window's own two requests
    conn.read_reply()
    conn.request("GET", "/test/gc?action=stop")
    empty = json.loads(conn.read_reply().body)["allocated"]
    conn.close()
    return (total - empty) / count


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def viewers_run(server, viewers, seconds):
    """`viewers` MJPEG viewers for `seconds`: fps per viewer, the server's CPU share, and the
    GC bytes per frame sent over a 1 s window. A viewer that fails fails the run."""
    results = []
    errors = []
    stop = time.monotonic() + seconds

    def watch(i):
        try:
            # Each viewer from its own address, as on a LAN (max_per_peer caps one address at 6).
            source = "127.0.0.%d" % (10 + i)
            with MjpegReader(server.host, server.port, timeout=10, source=source) as reader:
                frames = 0
                start = time.perf_counter()
                while time.monotonic() < stop:
                    reader.next_part()
                    frames += 1
                results.append(frames / (time.perf_counter() - start))
        except Exception as e:  # raised below: a thread cannot fail the run itself
            errors.append("viewer %d: %r" % (i, e))

    threads = [threading.Thread(target=watch, args=(i,)) for i in range(viewers)]
    cpu, allocated, sent = viewers_window(server, threads, stop)
    if errors or len(results) != viewers:
        raise RuntimeError("%d of %d viewers finished: %s" % (len(results), viewers, "; ".join(errors)))
    assert sent, "no frames sent in the GC window"
    return {
        "mean": statistics.mean(results),
        "min": min(results),
        "cpu": cpu,
        "gc_per_frame": allocated / sent,
    }


def mixed_viewers_run(server, rtsp_port, each, seconds, mjpeg=None):
    """`each` RTSP viewers (TCP interleaved, whole frames counted at the marker bit) and `mjpeg`
    (default: as many) MJPEG viewers of the same hub for `seconds`: fps per viewer of each kind,
    server CPU, GC bytes per frame sent."""
    mjpeg = each if mjpeg is None else mjpeg
    results = {"rtsp": [], "mjpeg": []}
    errors = []
    stop = time.monotonic() + seconds

    def count(kind, next_frame):
        frames = 0
        start = time.perf_counter()
        while time.monotonic() < stop:
            next_frame()
            frames += 1
        results[kind].append(frames / (time.perf_counter() - start))

    def rtsp_viewer(i):
        try:
            client = RtspClient(server.host, rtsp_port, source="127.0.0.%d" % (10 + i))
            try:
                client.play_tcp()
                count("rtsp", client.frame_tcp)
            finally:
                client.close()
        except Exception as e:
            errors.append("rtsp viewer %d: %r" % (i, e))

    def mjpeg_viewer(i):
        try:
            with MjpegReader(server.host, server.port, timeout=10, source="127.0.0.%d" % (10 + i)) as reader:
                count("mjpeg", reader.next_part)
        except Exception as e:
            errors.append("mjpeg viewer %d: %r" % (i, e))

    threads = [threading.Thread(target=rtsp_viewer, args=(i,)) for i in range(each)]
    threads += [threading.Thread(target=mjpeg_viewer, args=(i,)) for i in range(mjpeg)]
    # (GC bytes per frame are meaningful for one kind of viewer at a time.)
    cpu, allocated, sent = viewers_window(server, threads, stop)
    if errors or len(results["rtsp"]) + len(results["mjpeg"]) != each + mjpeg:
        raise RuntimeError("viewers failed: %s" % "; ".join(errors))
    return results, cpu, allocated / max(1, sent)


def viewers_window(server, threads, stop):
    """Start the viewer threads (each streams until `stop`), measure while they all stream and
    join them: (server CPU %, GC bytes allocated in a 1 s window, frames sent in that window)."""
    for t in threads:
        t.start()
    time.sleep(1.0)  # every viewer attached and streaming
    cpu0, wall0 = cpu_seconds(server.proc.pid), time.monotonic()
    time.sleep(max(1.0, stop - time.monotonic() - 2.5))
    cpu = (cpu_seconds(server.proc.pid) - cpu0) / (time.monotonic() - wall0)
    # A short GC window of its own: with GC off, a long one would exhaust the heap.
    sent_before = json.loads(get(server, "/status").body)["frames"]["sent"]
    get(server, "/test/gc?action=start")
    time.sleep(1.0)
    allocated = json.loads(get(server, "/test/gc?action=stop").body)["allocated"]
    sent = json.loads(get(server, "/status").body)["frames"]["sent"] - sent_before
    for t in threads:
        t.join(30)
    return cpu * 100, allocated, sent


def rtsp_table(seconds):
    each = 4
    print("## %d RTSP + %d MJPEG viewers of one hub (VGA, ~30 kB frames; %s)" % (each, each, machine()))
    print()
    print(
        "| sim | RTSP fps per viewer (mean / min) | MJPEG fps per viewer (mean / min)"
        " | server CPU (% of a core) |"
    )
    print("| --- | ---: | ---: | ---: |")
    configs = [("25 fps", 25, None), ("uncapped (120 fps)", 120, None)]
    unix_build = os.path.join(ROOT, "build", "unix", "micropython")
    if os.path.exists(unix_build):
        configs += [
            ("camera_glue build, 25 fps", 25, unix_build),
            ("camera_glue build, 120 fps", 120, unix_build),
        ]
    gc_rows = []
    for label, fps, binary in configs:
        port = free_port()
        server = SimServer({"fps": fps, "rtsp_port": port, "diagnostics": 1}, binary=binary)
        try:
            backend = json.loads(get(server, "/status").body)["backend"]
            results, cpu, _ = mixed_viewers_run(server, port, each, seconds)
            # The same, RTSP viewers only: GC bytes per RTSP frame per viewer.
            gc_rows.append(("%s [%s]" % (label, backend), mixed_viewers_run(server, port, each, 3, 0)[2]))
        finally:
            server.stop()
        r, m = results["rtsp"], results["mjpeg"]
        cells = ("%s [%s]" % (label, backend), statistics.mean(r), min(r), statistics.mean(m), min(m), cpu)
        print("| %s | %.1f / %.1f | %.1f / %.1f | %.0f |" % cells)
    print()
    print("| sim, %d RTSP viewers alone | GC bytes per RTSP frame per viewer |" % each)
    print("| --- | ---: |")
    for label, gc_bytes in gc_rows:
        print("| %s | %.0f |" % (label, gc_bytes))
    print()


def main():
    if "--rtsp" in sys.argv:
        rtsp_table(5 if QUICK else 8)
        return
    n = 100 if QUICK else 300
    rounds = 1 if QUICK else 3
    # microdot comes from the venv this script runs under (make bench: .venv/bin/python).
    site = sysconfig.get_paths()["purelib"]
    servers = {
        "a": SimServer({"diagnostics": 1}),
        "e": SimServer({"chunk_size": 131072}),
        "b": SimServer({"chunk_size": 1460, "nodelay": 0}),
        "c": Process("bare_server.py"),
        "d": Process("microdot_server.py", site),
    }
    # (row, server, requests, reconnect). microdot 2.7 closes the connection after
    # every response (no keep-alive), so it is measured with a connection per request.
    plan = [
        ("a", "a", n, False),
        ("a1", "a", n, True),
        ("e", "e", n, False),
        ("b", "b", 40 if QUICK else 60, False),
        ("c", "c", n, False),
        ("d", "d", n, True),
    ]
    # All servers stay up and the rows are measured in interleaved rounds: the row's
    # figure is the median round, so a burst of load on the machine hits every row alike.
    samples = {}
    for _ in range(rounds):
        for row, key, count, reconnect in plan:
            server = servers[key]
            samples.setdefault(row, []).append(
                summarise(keepalive_run(server.host, server.port, count, reconnect))
            )
    rows = {}
    for row, results in samples.items():
        results.sort(key=lambda r: r["fps"])
        rows[row] = results[len(results) // 2]
        rows[row]["range"] = (results[0]["fps"], results[-1]["fps"])
    gc_bytes = gc_per_response(servers["a"], 200)
    for server in servers.values():
        server.stop()

    print("## Keep-alive GET of a 120 kB body (%s, %s)" % (time.strftime("%Y-%m-%d"), machine()))
    print()
    print("| server | frames/s (median of %d rounds; range) | p50 ms | p99 ms |" % rounds)
    print("| --- | ---: | ---: | ---: |")
    names = {
        "a": "(a) camserver, defaults (chunk 4096, NODELAY)",
        "b": "(b) camserver, seed config (chunk 1460, Nagle on)",
        "c": "(c) bare asyncio loop, 4096 slices, NODELAY (ceiling)",
        "a1": "(a') camserver, defaults, new connection per request",
        "d": "(d) microdot 2.7, same MicroPython (closes after each response)",
        "e": "(e) camserver, chunk_size 131072 (one write per body, like microdot)",
    }
    for key in ("a", "a1", "e", "b", "c", "d"):
        r = rows[key]
        low, high = r["range"]
        print(
            "| %s | %.0f (%.0f-%.0f) | %.2f | %.2f |" % (names[key], r["fps"], low, high, r["p50"], r["p99"])
        )
    print()
    fa = rows["a"]["fps"]
    checks = [
        ("(a) / (b)", fa / rows["b"]["fps"], 50),
        ("(a) / (c)", fa / rows["c"]["fps"], 0.7),
        ("(a) / (d)", fa / rows["d"]["fps"], 1.5),
        ("(a') / (d), both a connection per request", rows["a1"]["fps"] / rows["d"]["fps"], 1.0),
        ("(e) / (d), both one write per body", rows["e"]["fps"] / rows["d"]["fps"], 1.5),
    ]
    print("| ratio | measured | target | met |")
    print("| --- | ---: | ---: | --- |")
    for name, value, target in checks:
        print("| %s | %.2f | >= %s | %s |" % (name, value, target, "yes" if value >= target else "**no**"))
    met = "yes" if gc_bytes <= 1024 else "**no**"
    print("| GC bytes per 120 kB response | %.0f | <= 1024 | %s |" % (gc_bytes, met))
    print()

    seconds = 5 if QUICK else 8
    print("## 8 MJPEG viewers (VGA, ~30 kB frames)")
    print()
    print("| sim | fps per viewer (mean / min) | server CPU (% of a core) | GC bytes per frame per viewer |")
    print("| --- | ---: | ---: | ---: |")
    configs = [("25 fps", 25, None), ("uncapped (120 fps)", 120, None)]
    unix_build = os.path.join(ROOT, "build", "unix", "micropython")
    if os.path.exists(unix_build):  # `make unix-port` was run: the C path too
        configs += [
            ("camera_glue build, 25 fps", 25, unix_build),
            ("camera_glue build, 120 fps", 120, unix_build),
        ]
    for label, fps, binary in configs:
        server = SimServer({"diagnostics": 1, "fps": fps}, binary=binary)
        try:
            backend = json.loads(get(server, "/status").body)["backend"]
            r = viewers_run(server, 8, seconds)
        finally:
            server.stop()
        label = "%s [%s]" % (label, backend)
        cells = (label, r["mean"], r["min"], r["cpu"], r["gc_per_frame"])
        print("| %s | %.1f / %.1f | %.0f | %.0f |" % cells)
    print()
    rtsp_table(seconds)


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s, Python %s" % (cpu, os.cpu_count(), platform.system(), platform.python_version())


if __name__ == "__main__":
    main()
