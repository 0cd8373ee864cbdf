"""Hardware-in-the-loop suite: one set of tests, two kinds of device.

* Board: `pytest tests/hil --embedded-services esp,serial --port /dev/ttyACM0`
  (what `make hil PORT=...` runs). pytest-embedded's own EspSerial resets the
  board and its console becomes `dut`.
* Sim (no serial service given; `make hil`, and `make test` through `pytest tests`):
  the `serial` fixture starts the MicroPython unix sim as the DUT process
  (hil_sim.SimConsole) and the `dut` fixture is built as hil_sim.SimDut. These
  are the two places where pytest-embedded itself chooses a process and a DUT
  class for a service (compare its Linux-target LinuxSerial/LinuxDut), so
  `dut.expect(...)` reads the sim's console exactly like a board's serial console.

Each test gets a freshly booted device (pytest-embedded's fixtures are per
test): it starts from the `camera ready:` line, and heap or console checks see
only what that test did.
"""

import os
import time

import pexpect
import pytest
from hil_console import READY_RE
from hil_http import Device
from hil_sim import SimConsole, SimDut, prepare

BOARD_SERVICES = ("serial", "esp")


def is_board(config):
    services = config.getoption("embedded_services", None) or ""
    return any(s.strip() in BOARD_SERVICES for s in services.split(","))


def pytest_configure(config):
    config.addinivalue_line("markers", "board_only(reason): needs something only a real board has")
    config.addinivalue_line("markers", "sim_settings(**settings): name=value settings for the sim DUT")
    # pytest-embedded's own app_path fixture uses record_xml_attribute; its warning is not ours.
    config.addinivalue_line(
        "filterwarnings", "ignore:record_xml_attribute:pytest.PytestExperimentalApiWarning"
    )


def pytest_collection_modifyitems(config, items):
    if is_board(config):
        return
    for item in items:
        mark = item.get_closest_marker("board_only")
        if mark is not None:
            reason = mark.args[0] if mark.args else mark.kwargs.get("reason", "needs a board")
            item.add_marker(pytest.mark.skip(reason="board only: " + reason))


@pytest.fixture(scope="session")
def on_board(pytestconfig):
    return is_board(pytestconfig)


@pytest.fixture(scope="session")
def sim_ready(on_board):
    """The sim can start: compiled modules and frames are built when missing; a missing
    MicroPython binary fails the test (never skips it), saying how to get one."""
    if on_board:
        return
    problem = prepare()
    if problem:
        pytest.fail("cannot start the sim DUT: " + problem, pytrace=False)


@pytest.fixture
def _fixture_classes_and_options(_fixture_classes_and_options, on_board):
    # Without a board service pytest-embedded would build a bare Dut with no process
    # behind it; make it a SimDut whose `serial` is the sim process. A None value
    # is filled in by pytest-embedded's dut_gn from the `serial` fixture below.
    if not on_board:
        _fixture_classes_and_options.classes["dut"] = SimDut
        _fixture_classes_and_options.kwargs["dut"]["serial"] = None
    return _fixture_classes_and_options


@pytest.fixture
def serial(serial, request, on_board, sim_ready, msg_queue, _meta):
    """On a board: pytest-embedded's EspSerial. On the sim: the sim process,
    started with the test's `sim_settings` marker applied."""
    if on_board:
        yield serial
        return
    mark = request.node.get_closest_marker("sim_settings")
    settings = dict(mark.kwargs) if mark else {}
    proc = SimConsole(msg_queue, settings, meta=_meta)
    try:
        yield proc
    finally:
        proc.terminate()


@pytest.fixture
def boot_timeout(on_board):
    # A board resets, joins Wi-Fi and starts the camera; the sim only starts.
    return 60 if on_board else 20


@pytest.fixture
def board_auth(on_board):
    """(user, password) the board was configured with (HIL_AUTH=user:password), or None."""
    value = os.environ.get("HIL_AUTH", "")
    if on_board and value:
        user, _, password = value.partition(":")
        return (user, password)
    return None


@pytest.fixture
def camera(dut, boot_timeout, board_auth, on_board):
    """The booted device: waits for `camera ready: http://<ip>/` on the console
    and returns a Device that talks HTTP to that address."""
    deadline = time.monotonic() + boot_timeout
    while True:
        try:
            m = dut.expect(READY_RE, timeout=0.5)
            break
        except pexpect.TIMEOUT:
            # A sim that died at start would otherwise cost the whole boot timeout.
            exited = None if on_board else dut.serial.poll()
            if exited is not None or time.monotonic() > deadline:
                console = dut.pexpect_proc.buffer.decode("utf-8", "replace")
                why = "exited with code %s" % exited if exited is not None else "printed no ready line"
                pytest.fail("device %s; console:\n%s" % (why, console[-3000:]), pytrace=False)
    device = Device(m.group(1).decode(), auth=board_auth)
    device.dut = dut
    device.boot_log = dut.pexpect_proc.before  # the console from reset to the ready line
    return device
