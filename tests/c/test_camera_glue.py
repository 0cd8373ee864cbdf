"""camera_glue on the MicroPython unix port (the C path).

These tests need a MicroPython binary with camera_glue compiled in:

    make unix-port MPY_DIR=/path/to/micropython
    make test MICROPYTHON=build/unix/micropython

With the default binary (the PyPI unix port, no C module; what CI runs) they are skipped,
and the skip reason names the two commands above. The plain-C parts are tested on every
run by test_send_loop.py.
"""

import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest
from httpclient import get
from simserver import (
    MPY_OUT,
    ROOT,
    ensure_built,
    free_port,
    has_camera_glue,
    micropython_binary,
    run_micropython,
)

pytestmark = pytest.mark.skipif(
    not has_camera_glue(),
    reason="MICROPYTHON=%s has no camera_glue: run `make unix-port MPY_DIR=<micropython source>` "
    "then `make test MICROPYTHON=build/unix/micropython`" % micropython_binary(),
)

GC_LIMIT = 256  # bytes of GC heap per frame per viewer (the camera_glue issue's target)


def test_binding_inside_micropython():
    """Frames, timing, buffers, settings and Frame.send on real sockets (camera_glue_checks.py)."""
    result = run_micropython("tests/c/camera_glue_checks.py", str(free_port()), timeout=120)
    out = result.stdout + result.stderr
    match = re.search(r"^(\d+) passed, (\d+) failed$", out, re.M)
    assert match, out
    assert int(match.group(2)) == 0 and int(match.group(1)) >= 16, out
    assert result.returncode == 0, out


def test_status_names_camera_glue(sim):
    server = sim()
    reply = get(server, "/status")
    assert reply.status == 200
    status = json.loads(reply.body)
    assert status["backend"] == "camera_glue"
    assert status["driver"] == "host"
    assert any("camera: camera_glue backend" in line for line in server.lines())


def _viewer(port, stop, received):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
    try:
        while not stop.is_set():
            data = sock.recv(262144)
            if not data:
                break
            received.append(len(data))
    except OSError:
        pass
    finally:
        sock.close()


def test_gc_bytes_per_frame_per_viewer_with_8_viewers():
    """The server's GC allocation per frame per viewer while 8 viewers stream, measured
    with gc.mem_alloc() and collection off (tests/c/gc_per_frame.py)."""
    ensure_built()
    port = free_port()
    env = dict(os.environ, MICROPYPATH=MPY_OUT + ":.frozen")
    cmd = [micropython_binary(), "-X", "heapsize=8M", "tests/c/gc_per_frame.py", str(port)]
    cmd += [os.path.join(ROOT, "build", "frames"), "8", "3"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    stop = threading.Event()
    threads = []
    try:
        deadline = time.monotonic() + 20
        while True:  # wait until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
                time.sleep(0.05)
        received = [[] for _ in range(8)]
        for i in range(8):
            t = threading.Thread(target=_viewer, args=(port, stop, received[i]), daemon=True)
            t.start()
            threads.append(t)
        out, _ = proc.communicate(timeout=60)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        for t in threads:
            t.join(5)
    match = re.search(r"^GC_PER_FRAME (\d+) (\d+) (\d+) (\S+)$", out, re.M)
    assert match, out
    used, sent, viewers, backend = (
        int(match.group(1)),
        int(match.group(2)),
        int(match.group(3)),
        match.group(4),
    )
    assert backend == "camera_glue" and viewers == 8, out
    assert sent >= 8 * 25, out  # about 25 fps per viewer for 3 s; far fewer means a stall
    per = used / sent
    print(
        "GC bytes per frame per viewer (8 viewers, camera_glue): %.0f (%d bytes, %d frames)"
        % (per, used, sent)
    )
    assert per <= GC_LIMIT, "%.0f bytes of GC heap per frame per viewer (limit %d)" % (per, GC_LIMIT)
