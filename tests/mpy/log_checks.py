"""The console's log lines, inside MicroPython: what their leading number is says itself."""

import time

import check
from camserver import log


def test_a_log_line_starts_with_seconds_since_start_and_their_unit():
    printed = []
    log.print = printed.append  # (the module's print: a global found before the builtin)
    try:
        before = time.ticks_ms()
        log.warning("settings: %s", "chunk_size must be between 256 and 131072, got 0")
        after = time.ticks_ms()
    finally:
        del log.print
    assert len(printed) == 1, printed
    stamp, rest = printed[0].split(" ", 1)
    assert rest == "WARNING settings: chunk_size must be between 256 and 131072, got 0", printed
    assert stamp.endswith("s") and stamp[-5] == "." and stamp[-4:-1].isdigit(), stamp
    ms = int(stamp[:-5]) * 1000 + int(stamp[-4:-1])
    assert before <= ms <= after, (before, stamp, after)


check.run(globals())
