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
import socket
import subprocess
from pathlib import Path

from pytest_embedded.dut import Dut
from pytest_embedded.log import DuplicateStdoutPopen

ROOT = Path(__file__).resolve().parents[2]


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class SimConfig:
    """Where the sim's pieces are, from the same variables the Makefile uses.

    MICROPYTHON (exported by the Makefile) selects the binary; MPY_OUT, FRAMES
    and HEAP default to the Makefile's build/mpy, build/frames and 4M.
    """

    def __init__(self, env=os.environ):
        # A relative MICROPYTHON (e.g. build/unix/micropython) is relative to the checkout.
        self.micropython = str(ROOT / (env.get("MICROPYTHON") or ".venv/bin/micropython"))
        self.mpy_dir = str(ROOT / env.get("MPY_OUT", "build/mpy"))
        self.frames_dir = str(ROOT / env.get("FRAMES", "build/frames"))
        self.heap = env.get("HEAP", "4M")
        self.log_level = env.get("HIL_LOG_LEVEL", "info")

    def problems(self):
        """Why the sim cannot start, as one line each (empty when it can)."""
        out = []
        if not os.access(self.micropython, os.X_OK):
            out.append("no MicroPython binary at %s (make venv, or set MICROPYTHON=...)" % self.micropython)
        if not os.path.isdir(os.path.join(self.mpy_dir, "camserver")):
            out.append("no compiled modules in %s (run: make compile)" % self.mpy_dir)
        if not os.path.isfile(os.path.join(self.frames_dir, "manifest.json")):
            out.append("no rendered frames in %s (run: make frames)" % self.frames_dir)
        return out

    def command(self, port, settings=None):
        """The command line of `make sim`, with extra name=value settings appended."""
        cmd = [
            self.micropython,
            "-X",
            "heapsize=" + self.heap,
            "-m",
            "camserver.host",
            "host=127.0.0.1",
            "port=%d" % port,
            "frames_dir=" + self.frames_dir,
            "log_level=" + self.log_level,
        ]
        for name, value in (settings or {}).items():
            cmd.append("%s=%s" % (name, value))
        return cmd

    def env(self):
        env = dict(os.environ)
        # ".frozen" keeps the binary's own frozen modules (asyncio) importable.
        env["MICROPYPATH"] = self.mpy_dir + ":.frozen"
        return env


class SimConsole(DuplicateStdoutPopen):
    """The sim process; its console is the DUT's console (like LinuxSerial)."""

    SOURCE = "SIM"

    def __init__(self, msg_queue, config, settings=None, meta=None):
        self.config = config
        self.http_port = free_port()
        cmd = config.command(self.http_port, settings)
        super().__init__(msg_queue, cmd=cmd, meta=meta, cwd=str(ROOT), env=config.env())

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
