"""The real MicroPython server process for the behaviour tests.

SimServer starts the frozen modules (compiled by mpy-cross into
build/mpy, as `make test` does first) on the MicroPython unix port, on a free
loopback port, and waits for its `camera ready:` line. MICROPYTHON selects the
binary (default: the pinned one in .venv).
"""

import functools
import os
import re
import socket
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY_OUT = os.path.join(ROOT, "build", "mpy")
FRAMES = os.path.join(ROOT, "build", "frames")


def sim_binary():
    """The pinned PyPI binary, whose camera is always the simulated one (for tests that need
    the sim's own knobs, such as /test/pause, whatever MICROPYTHON says)."""
    return os.path.join(ROOT, ".venv", "bin", "micropython")


def micropython_binary():
    path = os.environ.get("MICROPYTHON") or os.path.join(ROOT, ".venv", "bin", "micropython")
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


UNIX_BUILD = os.path.join(ROOT, "build", "unix", "micropython")  # `make unix-port`: with camera_glue
NO_CAMERA_GLUE = "no MicroPython binary with camera_glue: run `make unix-port` (`make test` builds it too)"


def has_camera_glue(binary=None):
    """True when the MicroPython binary (default: the one in use, which a test may change) has
    camera_glue compiled in."""
    return _has_camera_glue(binary or micropython_binary())


@functools.cache
def _has_camera_glue(binary):
    try:
        done = subprocess.run([binary, "-c", "import camera_glue"], capture_output=True, timeout=30)
    except OSError:
        return False
    return done.returncode == 0


def camera_glue_binary():
    """A binary with camera_glue: the one in use if it has it, else build/unix/micropython if
    built; None without either."""
    for path in (micropython_binary(), UNIX_BUILD):
        if os.path.exists(path) and has_camera_glue(path):
            return path
    return None


def require_camera_glue():
    """The binary the tests of the C path run on. `make test` (CI too) builds build/unix/micropython
    first and sets CAMERA_GLUE=1: then a binary without camera_glue fails the calling test. Run
    by hand without it, the test is skipped with the command that builds one."""
    import pytest  # (only tests call this; the benchmarks import this module without pytest's help)

    path = camera_glue_binary()
    if path is None:
        if os.environ.get("CAMERA_GLUE") == "1":
            pytest.fail("CAMERA_GLUE=1 but " + NO_CAMERA_GLUE, pytrace=False)
        pytest.skip(NO_CAMERA_GLUE)
    return path


def expected_backend():
    """The camera backend /status must name with this binary."""
    return "camera_glue" if has_camera_glue() else "sim"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_pair():
    """A free port whose port + 1 (the stream port, stream_port=1) is free too."""
    port = free_port()
    while True:
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            port = free_port()
        finally:
            probe.close()


def ensure_built():
    """The compiled modules and rendered frames `make test` produces; built here when missing."""
    if not os.path.isdir(MPY_OUT) or not os.path.exists(os.path.join(FRAMES, "manifest.json")):
        subprocess.run(["make", "-s", "compile", "frames"], cwd=ROOT, check=True)


def run_micropython(script, *args, timeout=60, binary=None):
    """Run a MicroPython script (binary: another than MICROPYTHON / the pinned one) with the
    compiled modules and tests/mpy (its `check` runner) on its path; returns CompletedProcess."""
    ensure_built()
    return subprocess.run(
        [binary or micropython_binary(), "-X", "heapsize=4M", script, *args],
        cwd=ROOT,
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def checks_passed(result):
    """The number of checks a tests/mpy/check.py script passed (its closing "N passed, N failed"
    line); fails the calling test on any failure, a missing summary or a bad exit."""
    out = result.stdout + result.stderr
    match = re.search(r"^(\d+) passed, (\d+) failed$", out, re.M)
    assert match, out
    assert int(match.group(2)) == 0 and result.returncode == 0, out
    return int(match.group(1))


def sim_args(port, settings):
    """The `-m camserver.host` arguments that serve the simulated camera on 127.0.0.1:port."""
    args = ["-m", "camserver.host", "host=127.0.0.1", "port=%d" % port, "frames_dir=" + FRAMES]
    args += ["%s=%s" % (k, int(v) if isinstance(v, bool) else v) for k, v in dict(settings).items()]
    if "rtsp_port" not in settings:
        args.append("rtsp_port=0")  # (tests run servers side by side: RTSP only where a test asks)
    return args


def sim_env():
    """The environment a MicroPython process needs to import the compiled modules (and asyncio)."""
    return dict(os.environ, MICROPYPATH=MPY_OUT + ":.frozen")


def script_env():
    """sim_env() with tests/mpy on the path too: its scripts' `check` runner and sockpair.py."""
    env = sim_env()
    env["MICROPYPATH"] += ":" + os.path.join(ROOT, "tests", "mpy")
    return env


class SimServer:
    """A running MicroPython camera server process and its console."""

    def __init__(self, settings, command=None, binary=None, heap="4M", wrap=(), start_timeout=20):
        """command(port): another entry than `-m camserver.host` (settings are then ignored);
        binary: another MicroPython than MICROPYTHON / the pinned one; wrap: a command line
        that runs it (valgrind)."""
        ensure_built()
        self.port = settings.pop("port", None) or free_port()
        self.host = "127.0.0.1"
        self.url = "http://%s:%d" % (self.host, self.port)
        args = sim_args(self.port, settings) if command is None else command(self.port)
        self.proc = subprocess.Popen(
            [*wrap, binary or micropython_binary(), "-X", "heapsize=" + heap, *args],
            cwd=ROOT,
            env=sim_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._lines = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + start_timeout
        while not any(line.startswith("camera ready:") for line in self.lines()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                self._reader.join(5)  # the process may be gone before its last lines are read
                raise RuntimeError("server did not start:\n" + "\n".join(self.lines()))
            time.sleep(0.02)

    def _read(self):
        for line in self.proc.stdout:
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    def lines(self):
        with self._lock:
            return list(self._lines)

    def mark(self):
        """A position in the console, for lines_since()."""
        return len(self.lines())

    def lines_since(self, mark):
        return self.lines()[mark:]

    def wait_for_line(self, text, timeout=5.0, since=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines()[since:]:
                if text in line:
                    return line
            time.sleep(0.02)
        raise AssertionError("no console line with %r; console:\n%s" % (text, "\n".join(self.lines()[-30:])))

    def connect(self, timeout=5.0, source=None):
        """A socket to the server; source: the local address (127.0.0.x plays another host)."""
        return socket.create_connection(
            (self.host, self.port), timeout=timeout, source_address=(source, 0) if source else None
        )

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
