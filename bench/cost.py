"""make cost: CPU instructions per operation, counted by callgrind on the MicroPython unix port.

    python bench/cost.py [--quick] [--top N] [--only ROW,ROW] [--binary PATH] [--set NAME=VALUE]
    python bench/cost.py --only motion     the motion detection rows alone
    python bench/cost.py --only per_request   Python calls, heap allocations and GC bytes per request

Starts the simulated camera server under `valgrind --tool=callgrind` (tests/callgrind.py) for
the PyPI binary and, when `make unix-port` has built it, build/unix/micropython (camera_glue).
Each phase zeroes the counters, runs its operations, and dumps. Instructions per operation are
(phase instructions - idle rate x phase seconds) / operations: the background (the watchdog's
tick, the idle grab) is measured on its own in the first phase and taken out of the others.
"≈ ms on a 240 MHz core" is instructions / 240e6: an estimate (one x86 instruction is not one
Xtensa instruction, and it ignores caches, PSRAM and Wi-Fi), but it orders costs the same way.
--top N prints each phase's N costliest C functions (self cost) from the dump; the dumps stay
in build/cost for callgrind_annotate.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time

from callgrind import OUT, CallgrindServer, Dump
from httpclient import Conn, MjpegReader, get
from rtspclient import RtspClient
from run import machine  # (bench/run.py: the machine line both tables carry)
from simserver import ROOT, free_port, has_camera_glue, run_micropython, script_env, sim_env

CORE_HZ = 240e6
VIEWERS = 4
SCENE_FPS = 25
SCENE_PAGES = 4  # open camera pages, each polling /status once a second
MAX_CONNECTIONS = 12
# The 503 phase holds every slot with streams (real work: nothing evicts them) while the camera
# is paused (/test/pause, diagnostics), so they cost nothing but the hub's pulse.
SETTINGS = {
    "idle_timeout_ms": 600000,
    "max_connections": MAX_CONNECTIONS,
    "diagnostics": 1,
    "stream_keepalive_ms": 0,
}

# What Chromium sends with the page's fetch("/status"): the parser's share of a real poll.
BROWSER = {
    "Connection": "keep-alive",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Accept": "*/*",
    "Referer": "http://192.168.1.50/",
    "Accept-Encoding": "gzip, deflate",
    "Accept-Language": "en-US,en;q=0.9",
}
# /status refreshes its heap figures (a walk over the whole heap) at most this often
# (HEAP_REFRESH_MS in modules/camserver/server.py).
HEAP_REFRESH_S = 5
# row -> (label, budget for the PyPI binary, budget for the camera_glue build); None: no budget.
ROWS = {
    "idle": ("idle, per second (nobody watching)", 100e3, 100e3),
    "status": ("`GET /status` (keep-alive)", 200e3, 200e3),
    "status_browser": ("`GET /status` with a browser's request headers (%d)" % len(BROWSER), None, None),
    "status_fresh": (
        "`GET /status` that refreshes the heap figures (once per %d s)" % HEAP_REFRESH_S,
        None,
        None,
    ),
    "body": ("`GET /test/body` (120 kB, keep-alive)", 150e3, 150e3),
    "capture": ("`GET /capture` (VGA, keep-alive)", 200e3, 200e3),
    "404": ("404 (keep-alive)", None, None),
    "control": ("`/control` change (keep-alive)", None, None),
    "refusal": ("503 refusal (new connection, max_connections open)", None, None),
    "vga": ("one MJPEG frame to one of 4 viewers, VGA", 60e3, 35e3),
    "svga": ("one MJPEG frame to one of 4 viewers, SVGA", None, None),
    "uxga": ("one MJPEG frame to one of 4 viewers, UXGA", None, None),
    "rtsp_vga": ("one RTSP frame (RTP/JPEG, TCP interleaved) to one of 4 viewers, VGA", None, None),
}
FRAMESIZE = {"vga": 10, "svga": 11, "uxga": 15, "rtsp_vga": 10}
RTSP_ROWS = ("rtsp_vga",)


class Phase:
    """Runs one phase between zero() and dump(); per_op() takes the background out."""

    def __init__(self, server, idle_rate):
        self.server = server
        self.idle_rate = idle_rate

    def run(self, operations):
        """operations() does the work and returns how many operations it did."""
        start = self.server.zero()
        count = operations()
        dump, end = self.server.dump()
        self.dump = dump
        self.seconds = end - start
        return (dump.total - self.idle_rate * self.seconds) / count


def requests(phase, conn, paths, count, pause=0, headers=None):
    """count keep-alive requests cycling through paths; every answer must be the expected
    status. One round before the phase, so that what a route refreshes now and then (the
    heap figures of /status, after the long idle phase) is fresh when counting starts;
    pause: seconds between that round and the counting."""

    def run(count):
        for i in range(count):
            path, status = paths[i % len(paths)]
            conn.request("GET", path, headers=headers)
            reply = conn.read_reply()
            assert reply.status == status, (path, reply.status, reply.body[:200])
        return count

    run(len(paths))
    time.sleep(pause)
    return phase.run(lambda: run(count))


class Viewers:
    """VIEWERS MJPEG (or RTSP, TCP interleaved) clients counting the frames they receive."""

    def __init__(self, server, rtsp=False):
        self.frames = [0] * VIEWERS
        self.errors = []
        self.stopping = False
        watch = self._watch_rtsp if rtsp else self._watch
        self.threads = [threading.Thread(target=watch, args=(i, server)) for i in range(VIEWERS)]
        for t in self.threads:
            t.start()

    def _watch(self, i, server):
        try:
            # Each from its own address: the measuring connections come from 127.0.0.1.
            source = "127.0.0.%d" % (10 + i)
            with MjpegReader(server.host, server.port, timeout=60, source=source) as reader:
                while not self.stopping:
                    reader.next_part()
                    self.frames[i] += 1
        except Exception as e:  # raised by stop(): a thread cannot fail the run itself
            self.errors.append("viewer %d: %r" % (i, e))

    def _watch_rtsp(self, i, server):
        try:
            client = RtspClient(server.host, server.rtsp_port, timeout=60, source="127.0.0.%d" % (10 + i))
            try:
                client.play_tcp()
                while not self.stopping:
                    client.frame_tcp()  # a whole frame: up to its marker bit
                    self.frames[i] += 1
            finally:
                client.close()
        except Exception as e:
            self.errors.append("viewer %d: %r" % (i, e))

    def wait(self, each):
        deadline = time.monotonic() + 120
        while min(self.frames) < each:
            assert not self.errors and time.monotonic() < deadline, (self.frames, self.errors)
            time.sleep(0.05)

    def total(self):
        return sum(self.frames)

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(60)
        assert not self.errors, self.errors


def stream_phase(phase, conn, row, seconds):
    conn.request("GET", "/control?var=framesize&val=%d" % FRAMESIZE[row])
    reply = conn.read_reply()
    assert reply.status == 200, reply.body
    viewers = Viewers(phase.server, rtsp=row in RTSP_ROWS)
    try:
        viewers.wait(5)  # attached and past the size change
        box = {}

        def run():
            box["before"] = viewers.total()
            time.sleep(seconds)
            box["after"] = viewers.total()
            return box["after"] - box["before"]

        cost = phase.run(run)
    finally:
        viewers.stop()
    return cost, box["after"] - box["before"]


def refusal_phase(phase, server, count):
    held = []
    assert get(server, "/test/pause?ms=600000", timeout=60).status == 200
    try:
        while len(held) < MAX_CONNECTIONS:
            # Six per address (max_per_peer), two addresses; the first takes the slot of the
            # measuring keep-alive connection (idle: evicted), which measure() then reopens.
            source = "127.0.0.%d" % (2 + len(held) % 2)
            sock = socket.create_connection(
                (server.host, server.port), timeout=30, source_address=(source, 0)
            )
            sock.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            held.append(sock)
        time.sleep(1.0)  # every held connection accepted and streaming

        def refused():
            # The 503 comes on accept, before any request: read it on a bare connection.
            conn = Conn(server.host, server.port, timeout=30, source="127.0.0.4")
            try:
                reply = conn.read_reply()
            finally:
                conn.close()
            assert reply.status == 503, reply.raw_head

        refused()  # warm-up, and proof that the slots are full

        def run():
            for _ in range(count):
                refused()
            return count

        # The held streams cost something of their own (the hub's pulse wakes each once a
        # second): measured alone first, as the background to take out.
        held_phase = Phase(server, 0)
        held_rate = held_phase.run(lambda: time.sleep(5.0) or 1) / held_phase.seconds
        phase.idle_rate = held_rate
        return phase.run(run)
    finally:
        for s in held:
            s.close()
        # The streams notice their clients left at the hub's next pulse: wait until they have.
        deadline = time.monotonic() + 120
        while True:
            reply = get(server, "/status", timeout=60)  # 503 while the slots are still held
            if reply.status == 200 and json.loads(reply.body)["connections"] <= 1:
                break
            assert time.monotonic() < deadline, "the held streams did not go"
            time.sleep(0.5)
        get(server, "/test/pause?ms=0", timeout=60)


def measure(binary, tag, only, top, quick, extra):
    """{row: (instructions per operation, note, Dump)} for one binary."""
    scale = 1 if quick else 2
    rtsp_port = free_port()
    settings = dict(SETTINGS, rtsp_port=rtsp_port)
    settings.update(extra)  # (--set rtsp_port=0: the rows without the RTSP modules loaded)
    server = CallgrindServer(settings, binary=binary, tag=tag)
    server.rtsp_port = int(settings["rtsp_port"])
    results = {}
    try:
        conn = Conn(server.host, server.port, timeout=60)
        # Warm-up: every path once, so first-use caches (templates, page) are built.
        for path in ("/status", "/test/body", "/capture", "/nope", "/control?var=brightness&val=0"):
            conn.request("GET", path)
            conn.read_reply()
        time.sleep(1.0)
        # The idle grab comes once a second: a long window keeps its quantisation small.
        idle = Phase(server, 0)
        rate = idle.run(lambda: time.sleep(5.0 * scale) or 1) / idle.seconds
        results["idle"] = (rate, "%.1f s" % idle.seconds, idle.dump)
        control = [("/control?var=brightness&val=1", 200), ("/control?var=brightness&val=0", 200)]
        plan = {
            "status": lambda p: requests(p, conn, [("/status", 200)], 20 * scale),
            "status_browser": lambda p: requests(p, conn, [("/status", 200)], 20 * scale, headers=BROWSER),
            # The heap figures go stale during the pause: the one request counted reads them.
            "status_fresh": lambda p: requests(p, conn, [("/status", 200)], 1, HEAP_REFRESH_S + 1),
            "body": lambda p: requests(p, conn, [("/test/body", 200)], 20 * scale),
            "capture": lambda p: requests(p, conn, [("/capture", 200)], 10 * scale),
            "404": lambda p: requests(p, conn, [("/nope", 404)], 20 * scale),
            "control": lambda p: requests(p, conn, control, 20 * scale),
            # Many refusals: the held streams' background (the pulse wakes all twelve each
            # second) is taken out as a rate, and its jitter must be small per refusal.
            "refusal": lambda p: refusal_phase(p, server, 40 * scale),
        }
        for row in ROWS:
            if row == "idle" or (only and row not in only):
                continue
            if row == "refusal" and tag == "glue":
                continue  # it holds the slots on a paused camera: /test/pause is the sim's only
            phase = Phase(server, rate)
            if row in FRAMESIZE:
                cost, frames = stream_phase(phase, conn, row, 3.0 * scale)
                note = "%d frames in %.1f s" % (frames, phase.seconds)
            else:
                cost = plan[row](phase)
                note = ""
                if row == "refusal":  # the held streams evicted this idle keep-alive connection
                    conn.close()
                    conn = Conn(server.host, server.port, timeout=60)
            results[row] = (cost, note, phase.dump)
        conn.request("GET", "/control?var=framesize&val=10")
        conn.read_reply()
        conn.close()
    finally:
        server.stop()
    tracebacks = [line for line in server.lines() if line.startswith("Traceback")]
    assert not tracebacks, "\n".join(server.lines()[-40:])
    if top:
        for row, (_, _, dump) in results.items():
            print("### %s: %s, top %d functions by self cost (%s)" % (tag, row, top, dump.path))
            print()
            for instr, name in dump.top(top):
                print("    %5.1f %%  %s" % (100.0 * instr / max(1, dump.total), name))
            print()
    return results


# One asyncio wake-up and nothing else: the floor under every request and every frame sent.
_WAKES = """
import asyncio, sys
async def tick(n):
    for _ in range(n):
        await asyncio.sleep_ms(0)
asyncio.run(tick(int(sys.argv[1])))
"""


def asyncio_wake(binary):
    """Instructions per asyncio task wake-up (sleep_ms(0))."""
    return per_call(binary, "wakes", _WAKES)


# Motion detection's work per analysed frame, on a VGA frame of the sim's scene: the
# thumbnail (camera_glue.thumb() decodes the JPEG; the sim reads the rendered one) and the
# per-block comparison (C in the camera_glue build, Python on the PyPI binary; "python"
# forces the Python one, to show what the C saves).
_MOTION = """
import sys
from array import array
mode, n = sys.argv[1], int(sys.argv[2])
with open("build/frames/10_10/0.jpg", "rb") as f:
    jpg = f.read()
thumb = bytearray(80 * 60)
bg = array("H", bytearray(2 * 80 * 60))
if mode == "thumb":
    import camera_glue
    for _ in range(n):
        camera_glue.thumb(jpg, thumb)
elif mode == "sim_thumb":
    from camserver.camera import sim
    class F:
        width, height, path, held = 640, 480, "build/frames/10_10/0.jpg", True
    for _ in range(n):
        sim.thumb(F, thumb)
else:
    from camserver.motion import compare
    fn = compare.compare_python if mode == "python" else compare.compare
    for _ in range(n):
        fn(thumb, bg, None, 18)
"""
MOTION_ROWS = {
    "thumb": "motion thumbnail of a VGA frame (camera_glue.thumb: JPEG DC decode)",
    "sim_thumb": "motion thumbnail of a VGA frame, sim (the rendered file read)",
    "compare": "motion comparison of one 80x60 thumbnail (compare.compare)",
    "python": "motion comparison of one 80x60 thumbnail in Python (compare_python)",
}
THUMB_BUDGET = 3e6


def motion_costs(binary, glue):
    """{row: instructions per call} of MOTION_ROWS for one binary."""
    rows = ("thumb", "compare", "python") if glue else ("sim_thumb", "compare")
    return {row: per_call(binary, "motion", _MOTION, row, n=20) for row in rows}


def per_call(binary, name, source, *args, n=1000):
    """Instructions per call of what the script source does n times: the callgrind totals of
    0 and n runs, subtracted, so that start-up cancels out."""
    os.makedirs(OUT, exist_ok=True)
    script = os.path.join(OUT, name + ".py")
    with open(script, "w") as f:
        f.write(source)
    none, some = counted(binary, name, [script, *args], n)
    return (some.total - none.total) / n


def counted(binary, name, command, n, env=None):
    """The callgrind Dumps of `binary *command 0` and `binary *command n`."""
    dumps = []
    for count in (0, n):
        out = os.path.join(OUT, "%s.%d.out" % (name, count))
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, binary, *command, str(count)],
            cwd=ROOT,
            env=env or sim_env(),
            capture_output=True,
            check=True,
            timeout=600,
        )
        dumps.append(Dump(out))
    return dumps


# A real Connection serving keep-alive GETs in one process with its client (bench/per_request.py).
PER_REQUEST = os.path.join(ROOT, "bench", "per_request.py")
PER_REQUEST_COUNT = 200


def per_request(binary):
    """(Python function runs, heap allocations, GC bytes, instructions) per keep-alive request:
    calls into mp_execute_bytecode (every Python function, method and generator resume runs
    there) and into gc_alloc (every heap allocation), counted by callgrind for 0 and
    PER_REQUEST_COUNT requests and subtracted; the bytes from gc.mem_alloc() with the
    collector off."""
    scratch = os.path.join(OUT, "per_request")
    os.makedirs(scratch, exist_ok=True)
    command = [PER_REQUEST, scratch]
    none, some = counted(binary, "per_request", [*command, "calls"], PER_REQUEST_COUNT, script_env())
    done = run_micropython(*command, "bytes", str(PER_REQUEST_COUNT), binary=binary)
    assert done.returncode == 0, done.stdout + done.stderr
    gc_bytes = float(done.stdout.split("bytes per request:")[1])
    n = PER_REQUEST_COUNT
    return (
        (some.calls("mp_execute_bytecode") - none.calls("mp_execute_bytecode")) / n,
        (some.calls("gc_alloc") - none.calls("gc_alloc")) / n,
        gc_bytes,
        (some.total - none.total) / n,
    )


def fmt(n):
    if n is None:
        return "–"
    if abs(n) >= 1e6:
        return "%.2f M" % (n / 1e6)
    return "%.0f k" % (n / 1e3)


def main():
    args = sys.argv[1:]
    top = int(args[args.index("--top") + 1]) if "--top" in args else 0
    only = args[args.index("--only") + 1].split(",") if "--only" in args else []
    quick = "--quick" in args
    # --set name=value: a setting for the measured server (e.g. idle_fps=0), repeatable.
    extra = dict(args[i + 1].split("=", 1) for i, arg in enumerate(args) if arg == "--set")
    binaries = [("PyPI binary", os.path.join(ROOT, ".venv", "bin", "micropython"), "pypi", 1)]
    glue = os.path.join(ROOT, "build", "unix", "micropython")
    if "--binary" in args:
        binaries = [("given binary", args[args.index("--binary") + 1], "given", 1)]
    elif os.path.exists(glue) and has_camera_glue(glue):
        binaries.append(("camera_glue unix build", glue, "glue", 2))
    measured = []
    wakes = []
    motion = []
    request_costs = []
    for label, binary, tag, budget_col in binaries:
        print("measuring %s (%s) under callgrind..." % (label, binary), file=sys.stderr)
        if not only or "motion" in only:
            motion.append((label, motion_costs(binary, has_camera_glue(binary))))
        if not only or "per_request" in only:
            request_costs.append((label, per_request(binary)))
        if only and not set(only) - {"motion", "per_request"}:
            continue
        measured.append((label, budget_col, measure(binary, tag, only, top, quick, extra)))
        wakes.append((label, asyncio_wake(binary)))

    failed = []
    for label, costs in motion:
        for row, cost in costs.items():
            over = row == "thumb" and cost > THUMB_BUDGET
            if over:
                failed.append("%s: %s (%s > %s)" % (label, row, fmt(cost), fmt(THUMB_BUDGET)))
            budget = " (budget ≤ %s)" % fmt(THUMB_BUDGET) if row == "thumb" else ""
            print(
                "Motion, %s: %s: %s instructions ≈ %.2f ms on a 240 MHz core%s."
                % (label, MOTION_ROWS[row], fmt(cost), cost / CORE_HZ * 1000, budget)
            )
    for label, (calls, allocations, gc_bytes, instructions) in request_costs:
        print(
            "Per request, %s (a keep-alive GET, 5-byte body, over an AF_UNIX pair; its client in the "
            "same process, included): %.1f Python function runs (mp_execute_bytecode), %.1f heap "
            "allocations (gc_alloc), %.0f GC bytes, %s instructions."
            % (label, calls, allocations, gc_bytes, fmt(instructions))
        )
    if not measured:
        if failed:
            print("Over budget: " + "; ".join(failed))
        return
    print()
    print("## Instructions per operation (%s, %s)" % (time.strftime("%Y-%m-%d"), machine()))
    print()
    head = "| operation |"
    rule = "| --- |"
    for label, _, _ in measured:
        head += " %s | ≈ ms on a 240 MHz core (estimate) | budget |" % label
        rule += " ---: | ---: | ---: |"
    print(head)
    print(rule)
    for row, (text, *budgets) in ROWS.items():
        if not any(row in results for _, _, results in measured):
            continue
        line = "| %s |" % text
        for label, budget_col, results in measured:
            if row not in results:
                line += " – | | |"
                continue
            cost, note, _ = results[row]
            budget = budgets[budget_col - 1]
            met = budget is None or cost <= budget
            if not met:
                failed.append("%s: %s (%s > %s)" % (label, row, fmt(cost), fmt(budget)))
            cell = fmt(cost) if met else "**%s**" % fmt(cost)
            line += " %s | %.3f | %s |" % (cell, cost / CORE_HZ * 1000, "≤ " + fmt(budget) if budget else "")
        print(line)
    print()
    for label, _, results in measured:
        if all(row in results for row in ("idle", "status", "svga")):
            per_second = (
                results["idle"][0]
                + SCENE_PAGES * results["status"][0]
                + VIEWERS * SCENE_FPS * results["svga"][0]
            )
            print(
                "Standard scene, %s (%d viewers at %d fps SVGA + %d pages polling /status each second): "
                "%s instructions/s ≈ %.1f %% of a 240 MHz core (estimate)."
                % (label, VIEWERS, SCENE_FPS, SCENE_PAGES, fmt(per_second), 100 * per_second / CORE_HZ)
            )
    print()
    for label, wake in wakes:
        print(
            "Floor, %s: one asyncio task wake-up (sleep_ms(0)) costs %s instructions; every request "
            "and every frame a viewer sends starts with one." % (label, fmt(wake))
        )
    notes = [
        "%s, %s: %s" % (label, row, results[row][1])
        for label, _, results in measured
        for row in results
        if results[row][1]
    ]
    print()
    print("Phases: " + "; ".join(notes) + ".")
    if failed:
        print()
        print("Over budget: " + "; ".join(failed))


if __name__ == "__main__":
    main()
