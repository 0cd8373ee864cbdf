"""A minimal test runner for scripts that run inside MicroPython (no pytest there).

Each script defines test_* functions and ends with `check.run(globals())`,
which prints one line per failure and a closing "N passed, N failed" line
that tests/test_on_micropython.py reads.
"""

import sys
import time


def raises(exc_type, fn, *args):
    """Call fn(*args), expecting exc_type; return the exception."""
    try:
        fn(*args)
    except exc_type as e:
        return e
    raise AssertionError("%s not raised" % exc_type.__name__)


def tmp(name):
    """A path for a scratch file, in the folder the test runner passes as the first argument."""
    if len(sys.argv) < 2:
        raise AssertionError("no scratch folder given: run these through tests/test_on_micropython.py")
    return sys.argv[1] + "/" + name


class Clock:
    """A clock set by hand: clock() is clock.now (ticks in ms, or seconds: whatever the code under
    check reads from the clock it is given)."""

    def __init__(self, now=1000):
        self.now = now

    def __call__(self):
        return self.now


class TimeModule:
    """The parts of the time module that code under check reads, on a clock moved by hand
    (fake.ms); assigned over a module's `time` (module.time = TimeModule()). The ticks arithmetic
    is the real one (it wraps). Sleeping fails: code on a fake clock must not wait."""

    def __init__(self, ms=1000):
        self.ms = ms

    def ticks_ms(self):
        return self.ms

    def ticks_diff(self, a, b):
        return time.ticks_diff(a, b)

    def ticks_add(self, a, b):
        return time.ticks_add(a, b)

    def time_ns(self):
        return self.ms * 1000000

    def time(self):
        return self.ms // 1000

    def sleep_ms(self, ms):
        raise AssertionError("sleep_ms(%d) on a fake clock" % ms)


def run(namespace):
    passed = failed = 0
    for name in sorted(namespace):
        if name.startswith("test_"):
            try:
                namespace[name]()
                passed += 1
            except Exception as e:
                failed += 1
                print("FAIL", name)
                sys.print_exception(e)
    print("%d passed, %d failed" % (passed, failed))
