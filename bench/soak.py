"""A soak run: browsers coming and going next to attackers, then checks that nothing piled up.

    python bench/soak.py [SECONDS]      (default 60; `make soak SECONDS=3600` for an hour)

Against the simulated device (the real MicroPython server process): viewers join and leave
(some reset mid-frame), stills, status polls and refused extra connections, all at once, from
three hosts (loopback source addresses); meanwhile viewers that stop reading come and go, and
clients dribble request heads a byte at a time. Every answer a browser gets must be 200 or 503
(a browser thread that sees anything else, or crashes, fails the run). The server's send buffer
is the board's (32 KB), so a stalled viewer blocks as it would there.
At the end: every connection slot back, every camera buffer back, the heap in use (after a
collect) within 5 % of where it started, and no ERROR/WARNING/Traceback on the console.
Prints one line per check and exits non-zero if one fails.
"""

import json
import random
import sys
import threading
import time

from httpclient import MjpegReader, get, reset, stalled_stream
from simserver import SimServer

LOCK = threading.Lock()


def count(counts, name):
    with LOCK:
        counts[name] += 1


def visit(server, rnd, source):
    """One thing a browser tab does: (what, HTTP status). A stream is watched for 1-40
    frames, and half the time the tab is killed mid-frame (a TCP reset)."""
    if rnd.random() < 0.4:
        reader = MjpegReader(server.host, server.port, timeout=10, check_status=False, source=source)
        try:
            if reader.status == 200:  # then the reader has checked the multipart head
                for _ in range(rnd.randint(1, 40)):
                    reader.next_part()
                if rnd.random() < 0.5:
                    reset(reader.conn.sock)  # (closing again below does nothing)
        finally:
            reader.close()
        return "streams", reader.status
    path = "/capture" if rnd.random() < 0.5 else "/status"
    return path[1:], get(server, path, source=source).status


def churn(server, stop, rnd, counts, source):
    """One simulated browser tab until stop. 200 and 503 (all slots busy) are the only
    acceptable answers; anything else, or any exception other than a dropped connection,
    crashes the tab, which fails the run."""
    try:
        while time.monotonic() < stop:
            try:
                what, status = visit(server, rnd, source)
            except (OSError, EOFError) as e:
                count(counts, "client_errors")
                print("client error:", repr(e)[:200])
                continue
            assert status in (200, 503), "%s answered %d" % (what, status)
            if status == 503:
                count(counts, "refused")
                time.sleep(0.2)  # 503 Retry-After: back off a little, as a browser does
            else:
                count(counts, what)
    except Exception as e:
        count(counts, "crashed")
        print("browser crashed:", repr(e)[:300])


def stall(server, stop, rnd, counts, source):
    """Viewers that ask for the stream and stop reading, one at a time, each for 1-6 s."""
    while time.monotonic() < stop:
        try:
            sock = stalled_stream(server.host, server.port, source)
        except OSError:
            continue
        count(counts, "stalled")
        time.sleep(rnd.uniform(1, 6))
        sock.close()


def dribble(server, stop, rnd, counts):
    """Twelve connections from twelve hosts sending a request head a byte every 1-2 s; one that
    is closed (evicted, or timed out) is opened again."""
    head = b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    socks = [None] * 12
    sent = [0] * 12
    while time.monotonic() < stop:
        for i in range(12):
            try:
                if socks[i] is None:
                    socks[i] = server.connect(source="127.0.0.%d" % (30 + i))
                    sent[i] = 0
                    count(counts, "dribblers")
                socks[i].sendall(head[sent[i] % (len(head) - 4) : sent[i] % (len(head) - 4) + 1])
                sent[i] += 1
            except OSError:
                if socks[i] is not None:
                    socks[i].close()
                socks[i] = None
        time.sleep(rnd.uniform(1, 2))
    for sock in socks:
        if sock is not None:
            sock.close()


def main(seconds):
    server = SimServer({"send_buffer": 32768})
    base = json.loads(get(server, "/status?gc=1").body)["heap"]["alloc"]
    counts = {"streams": 0, "capture": 0, "status": 0, "refused": 0, "client_errors": 0, "crashed": 0}
    counts.update({"stalled": 0, "dribblers": 0})
    stop = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=churn, args=(server, stop, random.Random(i), counts, "127.0.0.%d" % (1 + i % 3))
        )
        for i in range(10)
    ]
    for i in range(2):  # two at a time can hold both camera buffers (fb_count 2)
        threads.append(
            threading.Thread(
                target=stall, args=(server, stop, random.Random(100 + i), counts, "127.0.0.2%d" % i)
            )
        )
    threads.append(threading.Thread(target=dribble, args=(server, stop, random.Random(101), counts)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    time.sleep(1.5)
    status = json.loads(get(server, "/status?gc=1").body)
    print(
        "server: evicted %d connections, took %d frames back from stalled viewers"
        % (status["evicted"], status["frames"]["revoked"])
    )
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
        ("no browser crashed", counts["crashed"] == 0, counts["crashed"]),
        (
            "streams and stills served",
            counts["streams"] > 0 and counts["capture"] > 0,
            (counts["streams"], counts["capture"]),
        ),
        ("console clean", not bad, bad[:3]),
    ]
    print("soak %d s: %s; frames sent %d" % (seconds, counts, status["frames"]["sent"]))
    ok = True
    for name, passed, value in checks:
        print("%-26s %s  (%s)" % (name, "ok" if passed else "FAILED", value))
        ok = ok and passed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 60))
