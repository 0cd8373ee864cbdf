"""Which socket errors mean the client simply went away.

A browser cancels requests all the time (image swap, tab close, navigation),
so these are logged at TRACE only. The numbers differ between the board and
Linux, and MicroPython's errno module lacks some names, so both sets are
listed as numbers.
"""

PEER_GONE = (
    104,  # ECONNRESET (esp32 and Linux)
    32,  # EPIPE
    113,  # ECONNABORTED on esp32 (lwIP)
    128,  # ENOTCONN on esp32
    103,  # ECONNABORTED on Linux
    107,  # ENOTCONN on Linux
    9,  # EBADF: the socket was closed under us after the peer vanished
)


def errno_of(exc):
    """The errno of an OSError (MicroPython puts it in args[0])."""
    if exc.args and isinstance(exc.args[0], int):
        return exc.args[0]
    return getattr(exc, "errno", None)


def is_peer_gone(exc):
    """True when exc says the client closed or reset the connection."""
    return isinstance(exc, OSError) and errno_of(exc) in PEER_GONE
