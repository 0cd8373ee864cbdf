"""Reading the device console (board serial or sim stdout) through the `dut`."""

import re

import pexpect

# The one line the device prints when it is listening, on the board and in the sim.
# A log prefix ("<ticks> INFO ") may come first, so it is not anchored.
READY_RE = re.compile(rb"camera ready: (http://[0-9A-Za-z.\-]+(?::\d+)?/)")

# What must never appear at the default log level while clients behave normally:
# log lines at WARNING or ERROR ("<seconds since start>s ERROR ...", camserver/log.py) and Python tracebacks.
ERROR_LINE_RE = re.compile(rb"^[^\S\n]*\d+\.\d{3}s (?:ERROR|WARNING) [^\n]*|^Traceback [^\n]*", re.M)


def read_console(dut, quiet=1.0):
    """Everything the console printed since the last expect(), read until no new
    output has arrived for `quiet` seconds."""
    out = dut.expect(pexpect.TIMEOUT, timeout=quiet)
    return out if isinstance(out, bytes) else b""


def error_lines(console):
    """The WARNING/ERROR log lines and traceback starts in console output."""
    return [m.group(0).decode("utf-8", "replace").strip() for m in ERROR_LINE_RE.finditer(console)]
