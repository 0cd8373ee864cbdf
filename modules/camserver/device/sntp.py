"""The board's wall clock from SNTP (RFC 4330), once the network is up, and again every few hours.

micropython-lib's ntptime is frozen into the esp32 firmware (the port's boards/manifest.py
requires bundle-networking, which requires ntptime), but its time() waits for the answer in a
blocking recv (1 s timeout) and would stop every stream for that long; and it takes any
datagram that reaches its port for the answer. This client sends the 48-byte request from a
non-blocking UDP socket, with a random Transmit Timestamp that only the server that got the
request can echo (so another host cannot set the clock blind), and polls for the answer with
asyncio, so the server runs meanwhile; only the name lookup (getaddrinfo) blocks, as it does for every
client on MicroPython (an IP address as ntp_server skips it).

After a sync the clock is real (camserver.clock): Date headers and X-Timestamp use it.
A failed sync is tried again after RETRY_MS, doubling up to RETRY_MAX_MS; a good one after
INTERVAL_MS (the RTC drifts by seconds a day).
"""

import asyncio
import errno
import os
import socket
import struct
import time

from camserver import log
from camserver.clock import UNIX_OFFSET, wall

INTERVAL_MS = 6 * 3600 * 1000
RETRY_MS = 30 * 1000
RETRY_MAX_MS = 30 * 60 * 1000
TIMEOUT_MS = 1500  # per query
POLL_MS = 20  # how often the socket is looked at while waiting for the answer

# Seconds from 1900 (NTP's epoch) to the port's epoch (2000 on esp32, 1970 on the unix port):
# to 1970, then clock.py's unix offset (the one place that tells the port's epoch).
NTP_DELTA = 2208988800 + UNIX_OFFSET
MIN_NTP_SECONDS = 3913056000  # 2024-01-01: anything earlier is the 2036 wrap (see parse)
# Nothing received yet on the non-blocking socket (the esp32 port says EWOULDBLOCK, which is EAGAIN).
_NOTHING_YET = (errno.EAGAIN, errno.ETIMEDOUT)


def request(nonce):
    """The 48-byte request: LI 0, version 3, mode 3 (client), and nonce (8 random bytes) as its
    Transmit Timestamp, which the server's answer carries back as its Originate Timestamp."""
    msg = bytearray(48)
    msg[0] = 0x1B
    msg[40:48] = nonce
    return msg


def answers(msg, nonce):
    """True when msg answers the request sent with nonce (RFC 4330 5: its Originate Timestamp is
    the request's Transmit Timestamp). Anything else on the socket (a late answer to an earlier
    query, or a forged one from a host that did not see the request) is not looked at."""
    return len(msg) >= 48 and msg[24:32] == nonce


def parse(msg):
    """(seconds since the port's epoch, microseconds) from a server's answer; ValueError when it
    is not a usable one (too short, not a server's, a kiss-o'-death with stratum 0, or a server
    that says its own clock is not synchronised: leap indicator 3 or stratum above 15)."""
    if len(msg) < 48:
        raise ValueError("short SNTP answer (%d bytes)" % len(msg))
    if msg[0] & 7 != 4:  # server
        raise ValueError("not an SNTP server answer (mode %d)" % (msg[0] & 7))
    if msg[1] == 0:
        raise ValueError("SNTP server refused (kiss-o'-death %s)" % bytes(msg[12:16]))
    if msg[0] >> 6 == 3 or msg[1] > 15:
        raise ValueError("SNTP server's clock is not synchronised (stratum %d)" % msg[1])
    seconds, fraction = struct.unpack("!II", msg[40:48])
    if not seconds and not fraction:
        raise ValueError("SNTP answer without a time")
    if seconds < MIN_NTP_SECONDS:
        seconds += 0x100000000  # the 32-bit seconds wrap in February 2036
    return seconds - NTP_DELTA, (fraction * 1000000) >> 32


async def query(server, port=123, timeout_ms=TIMEOUT_MS, sockets=socket, ticks_ms=time.ticks_ms):
    """Ask server once; (seconds, microseconds) of its clock. OSError when it does not answer in
    timeout_ms or the network fails, ValueError for an unusable answer."""
    address = sockets.getaddrinfo(server, port)[0][-1]
    sock = sockets.socket(sockets.AF_INET, sockets.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        nonce = os.urandom(8)
        sock.sendto(request(nonce), address)
        deadline = time.ticks_add(ticks_ms(), timeout_ms)
        while True:
            try:
                msg = sock.recv(48)
                if msg and answers(msg, nonce):
                    return parse(msg)
            except OSError as e:
                if e.errno not in _NOTHING_YET:
                    raise
            if time.ticks_diff(deadline, ticks_ms()) <= 0:
                raise OSError("no answer from %s in %d ms" % (server, timeout_ms))
            await asyncio.sleep_ms(POLL_MS)
    finally:
        sock.close()


def set_rtc(seconds, usec):
    """Set the board's clock (machine.RTC takes the port's epoch; the weekday is ignored)."""
    import machine

    t = time.gmtime(seconds)
    machine.RTC().datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], usec))


class Sntp:
    """The sync schedule: sync() once, next_ms() until the next one. query and set_time are
    parameters so that the state machine is checked with fakes (tests/mpy/device_checks.py)."""

    def __init__(self, server, query=query, set_time=set_rtc, clock=wall):
        self.server = server
        self._query = query
        self._set_time = set_time
        self._clock = clock
        self.failures = 0  # in a row
        self._retry = RETRY_MS

    async def sync(self):
        """One query; sets the clock when it answers. Returns True on success."""
        try:
            seconds, usec = await self._query(self.server)
        except (OSError, ValueError) as e:
            self.failures += 1
            if self.failures == 1 or self.failures % 10 == 0:  # one line, not one per retry
                log.warning("sntp: %s failed (%d in a row): %s", self.server, self.failures, e)
            return False
        self._set_time(seconds, usec)
        first = self._clock.syncs == 0
        self._clock.synced("ntp")
        self.failures = 0
        self._retry = RETRY_MS
        if first:
            log.info("sntp: clock set from %s", self.server)
        return True

    def next_ms(self, ok):
        """How long to wait after a sync that succeeded (ok) or failed."""
        if ok:
            return INTERVAL_MS
        wait = self._retry
        self._retry = min(self._retry * 2, RETRY_MAX_MS)
        return wait

    async def run(self, online):
        """Sync whenever online() (a station address) for as long as the device runs."""
        while True:
            if not online():
                await asyncio.sleep_ms(RETRY_MS)
                continue
            try:
                ok = await self.sync()
            except Exception as e:  # setting the clock failed: the device keeps serving
                log.error("sntp: %s: %s", type(e).__name__, e)
                ok = False
            await asyncio.sleep_ms(self.next_ms(ok))
