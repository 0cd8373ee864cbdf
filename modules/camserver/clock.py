"""Whether the wall clock is real, since when and from where: the one owner of that question.

A board's clock starts at the port's epoch (2000 on esp32) when it boots and is only right once
SNTP (device/sntp.py) has set it; the host's clock (the simulator) is right from the start. A
clock that reads CLOCK_SET_YEAR or later is taken as set (by the host, or on the board by an
earlier sync that a soft reset kept in the RTC); SNTP says so itself (synced("ntp")).
The Date header (http/date.py) is sent only once the clock is real. X-Timestamp is wall-clock
time once it is real and time since boot before, never a date in 2000 that looks real.
"""

import json
import sys
import time

CLOCK_SET_YEAR = 2024
HOST = sys.platform != "esp32"  # the unix port: the host keeps the clock right, no SNTP here
# /status shows unix seconds whatever the port's epoch (time.gmtime(0) is 2000 on esp32).
UNIX_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0


class WallClock:
    def __init__(self, wall_ns=time.time_ns, assumed=None):
        self._wall_ns = wall_ns
        self.boot_us = wall_ns() // 1000  # the wall clock at boot: X-Timestamp counts from it until real
        self.source = None  # "ntp", "host" or "rtc" once real
        self.since = 0  # when it became real (port-epoch seconds)
        self.syncs = 0  # successful SNTP syncs
        self._json = None  # status() as JSON bytes, once real (it changes only with the source)
        self._set_after = time.mktime((CLOCK_SET_YEAR, 1, 1, 0, 0, 0, 0, 0))
        # A clock found set without a sync: the host's own, or the RTC kept over a soft reset.
        self._assumed = assumed or ("host" if HOST else "rtc")

    def real(self, now_s=None):
        """True once the wall clock can be trusted (now_s: the wall clock in seconds, if the
        caller has just read it)."""
        if self.source is None:
            now = self._wall_ns() // 1000000000 if now_s is None else now_s
            if now < self._set_after:
                return False
            self.source = self._assumed
            self.since = now
        return True

    def synced(self, source):
        """The clock was just set from source (SNTP): real from now on."""
        now = self._wall_ns() // 1000000000
        if self.source != source:
            self.source = source
            self.since = now
            self._json = None
        self.syncs += 1

    def stamp_us(self, us):
        """What X-Timestamp says for a frame captured at wall-clock us: us itself once the
        clock is real, else the time since boot."""
        if self.source is not None or self.real():
            return us
        return us - self.boot_us

    def status(self):
        """/status "clock": {synced, since (unix seconds or null), source}."""
        real = self.real()
        return {"synced": real, "since": self.since + UNIX_OFFSET if real else None, "source": self.source}

    def status_json(self):
        """status() as JSON bytes (kept once the clock is real: then only a sync changes it)."""
        text = self._json
        if text is None:
            text = json.dumps(self.status()).encode()
            if self.source is not None:
                self._json = text
        return text


wall = WallClock()  # the device's one clock
