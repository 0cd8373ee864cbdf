"""camera_glue on the MicroPython unix port (the C path).

These tests run on the MicroPython binary with camera_glue compiled in, build/unix/micropython,
whatever MICROPYTHON is: `make test` (and so CI) builds it first (`make unix-port`) and fails
them if it has no camera_glue; pytest run by hand without it skips them, naming the command.
The plain-C parts are tested by test_send_loop.py, the GC heap per frame per viewer by
test_gc_per_frame.py (on whichever backend MICROPYTHON has).
"""

import json

from httpclient import get
from simserver import checks_passed, free_port, run_micropython


def test_binding_inside_micropython(camera_glue):
    """Frames, timing, buffers, settings and Frame.send on real sockets (camera_glue_checks.py)."""
    result = run_micropython(
        "tests/c/camera_glue_checks.py", str(free_port()), timeout=120, binary=camera_glue
    )
    assert checks_passed(result) >= 20


def test_status_names_camera_glue(sim, camera_glue):
    server = sim(binary=camera_glue)
    reply = get(server, "/status")
    assert reply.status == 200
    status = json.loads(reply.body)
    assert status["backend"] == "camera_glue"
    assert status["driver"] == "host"
    assert any("camera: camera_glue backend" in line for line in server.lines())
