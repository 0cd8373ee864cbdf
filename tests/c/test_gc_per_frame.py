"""GC heap the camera server allocates per frame per viewer, with 8 viewers on /stream.

Runs on every `make test` with whichever backend MICROPYTHON has (simserver.expected_backend()):
the Python sim on the PyPI binary (CI), camera_glue on build/unix/micropython. The window is
the app's own /test/gc route (setting diagnostics=1): ?action=start collects and turns
automatic GC off, ?action=stop returns the bytes allocated since. Frames sent to all
viewers come from /status before and after.
"""

import json
import threading
import time

from httpclient import MjpegReader, get
from simserver import expected_backend

VIEWERS = 8
WINDOW_FRAMES = VIEWERS * 40  # parts received by all viewers together while GC is counted
# Bytes of GC heap per frame per viewer: the C path hands out the driver's buffer (target 256), the
# Python sim reads each frame into its buffer in Python (target 1024).
LIMITS = {"camera_glue": 256, "sim": 1024}


def _viewer(server, stop, parts, errors):
    try:
        reader = MjpegReader(server.host, server.port)
    except Exception as e:  # noqa: BLE001 - reported by the test, not lost in a thread
        errors.append(repr(e))
        return
    try:
        while not stop.is_set():
            reader.next_part()
            parts.append(1)
    except Exception as e:  # noqa: BLE001
        if not stop.is_set():
            errors.append(repr(e))
    finally:
        reader.close()


def received(parts):
    return sum(len(p) for p in parts)


def _sent(server):
    reply = get(server, "/status")
    assert reply.status == 200
    status = json.loads(reply.body)
    return status["frames"]["sent"], status["backend"]


def test_gc_bytes_per_frame_per_viewer_with_8_viewers(sim):
    server = sim(diagnostics=1, max_per_peer=12)  # nine clients from one address
    backend = expected_backend()
    stop = threading.Event()
    parts = [[] for _ in range(VIEWERS)]
    errors = []
    threads = [
        threading.Thread(target=_viewer, args=(server, stop, parts[i], errors), daemon=True)
        for i in range(VIEWERS)
    ]
    try:
        for t in threads:
            t.start()
        time.sleep(1.0)  # every viewer streaming; buffers and caches settle
        sent0, reported = _sent(server)
        assert reported == backend, (reported, backend)
        assert get(server, "/test/gc?action=start").status == 200
        # The window ends after a number of frames, not of seconds: a loaded machine only
        # makes it longer. (Counted by the viewers: a /status poll would allocate inside it.)
        target = received(parts) + WINDOW_FRAMES
        deadline = time.monotonic() + 60
        while received(parts) < target:
            assert time.monotonic() < deadline, "stalled: %d frames short" % (target - received(parts))
            time.sleep(0.05)
        reply = get(server, "/test/gc?action=stop")
        assert reply.status == 200, reply.body
        allocated = json.loads(reply.body)["allocated"]
        sent1, _ = _sent(server)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors, errors
    assert all(parts), [len(p) for p in parts]  # every viewer got frames
    sent = sent1 - sent0
    assert sent >= WINDOW_FRAMES, sent  # the server sent at least what the viewers received
    per = allocated / sent
    print(
        "GC bytes per frame per viewer (%d viewers, %s): %.0f (%d bytes, %d frames)"
        % (VIEWERS, backend, per, allocated, sent)
    )
    limit = LIMITS[backend]
    assert per <= limit, "%.0f bytes of GC heap per frame per viewer on %s (limit %d)" % (per, backend, limit)
