"""A soak run: browsers coming and going for a while, then checks that nothing piled up.

    python bench/soak.py [SECONDS]      (default 60; `make soak SECONDS=3600` for an hour)

Against the simulated device (the real MicroPython server process): viewers join and leave
(some reset mid-frame), stills, status polls and refused extra connections, all at once. At
the end: every connection slot back, every camera buffer back, the heap in use (after a
collect) within 5 % of where it started, and no ERROR/WARNING/Traceback on the console.
Prints one line per check and exits non-zero if one fails.
"""

import json
import os
import random
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from httpclient import MjpegReader, get  # noqa: E402
from simserver import SimServer  # noqa: E402


def churn(server, stop, rnd, counts):
    """One simulated browser tab: streams, stills and status polls at random, until stop."""
    while time.monotonic() < stop:
        action = rnd.random()
        try:
            if action < 0.4:
                reader = MjpegReader(server.host, server.port, timeout=10)
                for _ in range(rnd.randint(1, 40)):
                    reader.next_part()
                if rnd.random() < 0.5:  # a tab killed mid-frame
                    reader.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                reader.close()
                ok = True
                counts["streams"] += 1
            else:
                path = "/capture" if action < 0.7 else "/status"
                ok = get(server, path).status == 200
                counts[path[1:] if ok else "refused"] += 1
        except AssertionError as e:  # MjpegReader: answered with a status instead of parts
            if "503" not in str(e):
                raise
            ok = False
            counts["refused"] += 1
        except (OSError, EOFError) as e:
            ok = True
            counts["client_errors"] += 1
            print("client error:", repr(e)[:200])
        if not ok:
            time.sleep(0.2)  # 503 Retry-After: back off a little, as a browser does


def main(seconds):
    server = SimServer({})
    base = json.loads(get(server, "/status?gc=1").body)["heap"]["alloc"]
    counts = {"streams": 0, "capture": 0, "status": 0, "refused": 0, "client_errors": 0}
    stop = time.monotonic() + seconds
    threads = [
        threading.Thread(target=churn, args=(server, stop, random.Random(i), counts)) for i in range(10)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    time.sleep(1.5)
    status = json.loads(get(server, "/status?gc=1").body)
    server.stop()
    bad = [line for line in server.lines() if " ERROR " in line or " WARNING " in line or "Traceback" in line]
    checks = [
        ("connections back to 1", status["connections"] == 1, status["connections"]),
        ("camera buffers back", status["frames_out"] <= 1, status["frames_out"]),
        (
            "heap within 5 %",
            abs(status["heap"]["alloc"] - base) <= 0.05 * base,
            (base, status["heap"]["alloc"]),
        ),
        ("no client errors", counts["client_errors"] == 0, counts["client_errors"]),
        ("console clean", not bad, bad[:3]),
    ]
    print("soak %d s: %s; frames sent %d" % (seconds, counts, status["frames"]["sent"]))
    ok = True
    for name, passed, value in checks:
        print("%-22s %s  (%s)" % (name, "ok" if passed else "FAILED", value))
        ok = ok and passed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 60))
