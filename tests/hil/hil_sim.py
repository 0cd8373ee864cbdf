"""The simulated device as a pytest-embedded DUT.

pytest-embedded already runs host processes as devices: its Linux-target DUT
(`pytest_embedded_idf.linux.LinuxSerial`) and QEMU service are subclasses of
`DuplicateStdoutPopen`, a `subprocess.Popen` whose stdout and stderr go to a
real log file that a helper process forwards into the DUT's message queue.
`dut.expect()` reads that queue through pexpect, exactly as it reads a board's
serial console. `SimConsole` is that same pattern for our MicroPython unix sim:
the process's console output is the "serial console".

Which class the `dut` fixture builds is decided in conftest.py the way
pytest-embedded decides it for its own services (the `classes` map of
`_fixture_classes_and_options`); nothing here patches pytest-embedded.
"""

import os
import subprocess

import simserver
from pytest_embedded.dut import Dut
from pytest_embedded.log import DuplicateStdoutPopen

# The sim's heap, as the Makefile's HEAP (make hil passes it through).
HEAP = os.environ.get("HEAP", "4M")


def prepare():
    """Get the sim ready to start: builds the compiled modules and frames when missing
    (as `make test` does). Returns why it cannot start, or None."""
    binary = simserver.micropython_binary()
    if not os.access(binary, os.X_OK):
        return "no MicroPython binary at %s (make venv, or set MICROPYTHON=...)" % binary
    simserver.ensure_built()
    return None


def sim_command(port, settings=None):
    """The command line of `make sim` on 127.0.0.1:port, with extra name=value settings."""
    args = simserver.sim_args(port, dict(settings or {}))
    return [simserver.micropython_binary(), "-X", "heapsize=" + HEAP, *args]


class SimConsole(DuplicateStdoutPopen):
    """The sim process; its console is the DUT's console (like LinuxSerial)."""

    SOURCE = "SIM"

    def __init__(self, msg_queue, settings=None, meta=None):
        self.http_port = simserver.free_port()
        cmd = sim_command(self.http_port, settings)
        super().__init__(msg_queue, cmd=cmd, meta=meta, cwd=simserver.ROOT, env=simserver.sim_env())

    def terminate(self):
        # DuplicateStdoutPopen.terminate closes the log forwarder and sends SIGTERM;
        # reap the process too so a test run leaves no zombie or busy port behind.
        super().terminate()
        try:
            self.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait(timeout=5)


class SimDut(Dut):
    """The DUT for the sim: like pytest-embedded's LinuxDut, `serial` is the
    process and `write` goes to its stdin."""

    def __init__(self, serial, **kwargs):
        self.serial = serial
        super().__init__(**kwargs)

    def write(self, data):
        self.serial.write(data)
