"""A small levelled logger.

The level is set once at start (from settings) and can be changed at run time
with set_level(). Messages below the level cost one integer comparison: the
message is only formatted when it will be printed, so hot paths can log at
TRACE freely. Callers on a per-chunk path still guard with `if log.level <= TRACE`
to avoid even building the argument tuple.
"""

import time

TRACE = 5
DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40

NAMES = {"trace": TRACE, "debug": DEBUG, "info": INFO, "warning": WARNING, "error": ERROR}
_LABELS = {TRACE: "TRACE", DEBUG: "DEBUG", INFO: "INFO", WARNING: "WARNING", ERROR: "ERROR"}

level = INFO


def parse_level(value):
    """Accept a level name ("trace", "INFO", ...) or number; ValueError otherwise."""
    if isinstance(value, int):
        return value
    try:
        return NAMES[str(value).lower()]
    except KeyError:
        raise ValueError("unknown log level: " + str(value))


def set_level(value):
    global level
    level = parse_level(value)


def _emit(lvl, msg, args):
    if args:
        msg = msg % args
    # One line per message: a traceback never reaches the console through here. It starts with
    # the seconds since start, with their unit so nobody has to guess what the number is
    # ("12.345s INFO ..."; ticks_ms: on the board it wraps to 0 after 2**30 ms, 12.4 days).
    now = time.ticks_ms()
    print("%d.%03ds %s %s" % (now // 1000, now % 1000, _LABELS.get(lvl, lvl), msg))


def trace(msg, *args):
    if level <= TRACE:
        _emit(TRACE, msg, args)


def debug(msg, *args):
    if level <= DEBUG:
        _emit(DEBUG, msg, args)


def info(msg, *args):
    if level <= INFO:
        _emit(INFO, msg, args)


def warning(msg, *args):
    if level <= WARNING:
        _emit(WARNING, msg, args)


def error(msg, *args):
    if level <= ERROR:
        _emit(ERROR, msg, args)
