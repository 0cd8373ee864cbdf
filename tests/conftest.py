"""Fixtures shared by the behaviour tests (helpers live in simserver.py: a
conftest.py is not importable by name once several folders have one)."""

import os

import pytest
from simserver import ROOT, SimServer, has_camera_glue, require_camera_glue

# The behaviour tests whose outcome depends on the camera backend (capture, stream, control, RTSP,
# the GC heap per frame) run twice: on MICROPYTHON (the PyPI binary, the pure-Python sim camera)
# and on the camera_glue binary (the C path the board runs, on MicroPython v1.28.0). The rest
# (HTTP, security, firmware, the page, ...) does not depend on it and runs once.
BOTH_BINARIES = ("tests/camera/", "tests/rtsp/test_rtsp.py", "tests/c/test_gc_per_frame.py")


@pytest.fixture
def sim():
    """Factory: sim(**settings) -> SimServer; every server started is stopped at teardown."""
    started = []

    def start(command=None, binary=None, **settings):
        server = SimServer(dict(settings), command, binary=binary)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        # Whatever a test did, no traceback may reach the console.
        tracebacks = [line for line in server.lines() if line.startswith("Traceback")]
        assert not tracebacks, "\n".join(server.lines())


@pytest.fixture
def camera_glue():
    """The MicroPython binary with camera_glue that the C path's tests run on, whatever
    MICROPYTHON is (simserver.require_camera_glue: `make test` builds it)."""
    return require_camera_glue()


def pytest_generate_tests(metafunc):
    path = os.path.relpath(str(metafunc.definition.path), ROOT)
    if path.startswith(BOTH_BINARIES) and not has_camera_glue():
        metafunc.parametrize("micropython", ["default", "camera_glue"], indirect=True)


@pytest.fixture(autouse=True)
def micropython(request, monkeypatch):
    """The MicroPython binary a test runs on: MICROPYTHON, or for the [camera_glue] case of a
    BOTH_BINARIES test the camera_glue one (tests that need the sim's own knobs pass
    simserver.sim_binary() themselves)."""
    if getattr(request, "param", None) == "camera_glue":
        monkeypatch.setenv("MICROPYTHON", require_camera_glue())
