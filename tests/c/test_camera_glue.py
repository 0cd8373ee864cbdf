"""camera_glue on the MicroPython unix port (the C path).

These tests need a MicroPython binary with camera_glue compiled in:

    make unix-port MPY_DIR=/path/to/micropython
    make test MICROPYTHON=build/unix/micropython

With the default binary (the PyPI unix port, no C module; what CI runs) they are skipped,
and the skip reason names the two commands above. The plain-C parts are tested on every
run by test_send_loop.py, the GC heap per frame per viewer by test_gc_per_frame.py (on
whichever backend the binary has).
"""

import json

import pytest
from httpclient import get
from simserver import NO_CAMERA_GLUE, checks_passed, free_port, has_camera_glue, run_micropython

pytestmark = pytest.mark.skipif(not has_camera_glue(), reason=NO_CAMERA_GLUE)  # (MICROPYTHON is run)


def test_binding_inside_micropython():
    """Frames, timing, buffers, settings and Frame.send on real sockets (camera_glue_checks.py)."""
    result = run_micropython("tests/c/camera_glue_checks.py", str(free_port()), timeout=120)
    assert checks_passed(result) >= 20


def test_status_names_camera_glue(sim):
    server = sim()
    reply = get(server, "/status")
    assert reply.status == 200
    status = json.loads(reply.body)
    assert status["backend"] == "camera_glue"
    assert status["driver"] == "host"
    assert any("camera: camera_glue backend" in line for line in server.lines())
