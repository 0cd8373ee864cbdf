"""Streaming throughput of a camera: frames/s and Mbit/s per frame size, 1 and 4 viewers.

Against a board:  make hil-bench URL=http://192.168.1.50/
Against the sim:  make hil-bench             (starts the sim itself, like `make sim`)
(The make targets put tests/ and tests/hil/ on PYTHONPATH: the HIL suite's client and the
behaviour tests' sim launcher are the code this benchmark measures with.)

For each frame size (QVGA 6, VGA 10, SVGA 11, UXGA 15, set through /control)
and each viewer count it opens that many /stream connections for --seconds,
counts whole MJPEG parts and bytes per viewer and prints one table. The frame
size in use before the run is restored afterwards.
"""

import argparse
import os
import platform
import sys
import threading
import time

from hil_http import Device
from simserver import SimServer

SIZES = ((6, "QVGA", 320, 240), (10, "VGA", 640, 480), (11, "SVGA", 800, 600), (15, "UXGA", 1600, 1200))
VIEWERS = (1, 4)


def measure(device, viewers, seconds):
    """Run `viewers` streams for `seconds`; per-viewer (frames, bytes, elapsed)."""
    results = [None] * viewers
    errors = []
    start = threading.Barrier(viewers)

    def viewer(i):
        try:
            with device.stream() as s:
                s.next_part()  # connected and past the first frame: start counting here
                start.wait(timeout=30)
                t0 = time.monotonic()
                frames = nbytes = 0
                while time.monotonic() - t0 < seconds:
                    nbytes += len(s.next_part()[1])
                    frames += 1
                results[i] = (frames, nbytes, time.monotonic() - t0)
        except Exception as e:
            errors.append("viewer %d: %r" % (i, e))
            start.abort()

    threads = [threading.Thread(target=viewer, args=(i,)) for i in range(viewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    if errors:
        raise RuntimeError("; ".join(errors))
    return results


def run(device, seconds):
    rows = []
    for index, name, w, h in SIZES:
        device.set_framesize(index)
        for n in VIEWERS:
            res = measure(device, n, seconds)
            fps = [f / t for f, _, t in res]
            frames = sum(f for f, _, _ in res)
            nbytes = sum(b for _, b, _ in res)
            elapsed = max(t for _, _, t in res)
            rows.append(
                (
                    "%s %dx%d" % (name, w, h),
                    n,
                    sum(fps) / n,
                    min(fps),
                    nbytes * 8 / elapsed / 1e6,
                    nbytes / max(frames, 1) / 1024,
                )
            )
            print("  %s, %d viewer(s): %.1f fps" % (name, n, sum(fps) / n), file=sys.stderr)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--url", help="the board's address (from its `camera ready:` line); default: start the sim"
    )
    ap.add_argument("--auth", help="user:password when the camera has Basic auth on")
    ap.add_argument("--seconds", type=float, default=3.0, help="measuring time per row (default 3)")
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="sim settings, e.g. fps=60")
    args = ap.parse_args()

    sim = None
    url = args.url
    if not url:
        # The sim as `make sim` runs it; HEAP as in the Makefile.
        settings = dict(item.split("=", 1) for item in args.set)
        sim = SimServer(settings, heap=os.environ.get("HEAP", "4M"))
        url = sim.url + "/"
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    device = Device(url, auth=auth, timeout=15)
    try:
        st = device.status()
        before = st["framesize"]
        print(
            "measuring %s (backend %s), %.0f s per row" % (url, st.get("backend"), args.seconds),
            file=sys.stderr,
        )
        try:
            rows = run(device, args.seconds)
        finally:
            device.set_framesize(before, settle=0)
    finally:
        if sim:
            sim.stop()

    target = "sim (MicroPython unix port, %s)" % " ".join(args.set or ["defaults"]) if sim else url
    print()
    print(
        "HIL throughput, %s: %s, %s"
        % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), target, st.get("backend"))
    )
    print(
        "host: %s, %s, %d CPUs"
        % (platform.node(), platform.processor() or platform.machine(), os.cpu_count())
    )
    print()
    print("| frame size | viewers | fps/viewer (mean) | fps (slowest) | Mbit/s (all viewers) | kB/frame |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, n, fps, slowest, mbit, kb in rows:
        print("| %s | %d | %.1f | %.1f | %.1f | %.1f |" % (name, n, fps, slowest, mbit, kb))


if __name__ == "__main__":
    main()
