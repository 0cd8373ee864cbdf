"""Fixtures shared by the behaviour tests (helpers live in simserver.py: a
conftest.py is not importable by name once several folders have one)."""

import pytest
from simserver import SimServer, require_camera_glue


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
