"""The Date header (RFC 9110 6.6.1), once the clock is set.

A board's clock is only right after SNTP: until camserver.clock says it is real,
no Date is sent (RFC 9110: a server without a reliable clock must not send one).
The line is formatted once per wall-clock second and reused: a request costs one
ticks_ms() and one comparison.
"""

import time

from camserver import clock

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # time.gmtime: 0 is Monday
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Clock:
    def __init__(self, wall_ns=time.time_ns, ticks_ms=time.ticks_ms, wall=None):
        self._wall_ns = wall_ns
        self._real = (wall or clock.WallClock(wall_ns)).real
        self._ticks_ms = ticks_ms
        self._line = b""
        self._until = 0  # ticks_ms when the line is due again
        self._valid = False

    def line(self):
        """b"Date: Wed, 02 Dec 2026 02:06:40 GMT\\r\\n", or b"" while the clock is not set."""
        now = self._ticks_ms()
        if self._valid and time.ticks_diff(self._until, now) > 0:
            return self._line
        ns = self._wall_ns()
        if not self._real(ns // 1000000000):
            self._line = b""
        else:
            t = time.gmtime(ns // 1000000000)
            year, month, day, hour, minute, second, weekday = t[:7]
            text = "Date: %s, %02d %s %d %02d:%02d:%02d GMT\r\n" % (
                _DAYS[weekday],
                day,
                _MONTHS[month - 1],
                year,
                hour,
                minute,
                second,
            )
            self._line = text.encode()
        # Due again when the next wall-clock second starts.
        self._until = time.ticks_add(now, 1000 - (ns // 1000000) % 1000)
        self._valid = True
        return self._line


line = Clock(wall=clock.wall).line  # the server's one clock
