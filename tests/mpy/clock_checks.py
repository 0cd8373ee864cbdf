"""The wall clock's state (camserver/clock.py), SNTP (device/sntp.py) with a fake UDP socket and a
fake clock, and the rotate EXIF segment (app/exif.py), inside MicroPython."""

import asyncio
import errno
import struct

import check
from camserver.app import exif
from camserver.app.mjpeg import part_head
from camserver.clock import WallClock
from camserver.device import sntp
from camserver.frames.buffers import Shared

Y2026 = 1796177200  # 2026-12-02 02:06:40 UTC, unix seconds (the unix port's epoch)


class FakeWall:
    def __init__(self, seconds):
        self.ns = seconds * 1000000000

    def __call__(self):
        return self.ns


def test_a_board_clock_is_not_real_until_synced_and_stamps_count_from_boot():
    wall = FakeWall(5)  # five seconds after the epoch: a board before SNTP
    clock = WallClock(wall, assumed="rtc")
    assert not clock.real()
    assert clock.status() == {"synced": False, "since": None, "source": None}
    assert clock.stamp_us(7500000) == 2500000  # 2.5 s after boot
    wall.ns = Y2026 * 1000000000  # SNTP set the clock
    clock.synced("ntp")
    assert clock.real() and clock.stamp_us(Y2026 * 1000000) == Y2026 * 1000000
    assert clock.status() == {"synced": True, "since": Y2026, "source": "ntp"}
    wall.ns += 6 * 3600 * 1000000000
    clock.synced("ntp")  # a re-sync: still synced since the first one
    assert clock.status()["since"] == Y2026 and clock.syncs == 2


def test_a_clock_already_set_is_real_from_the_start():
    clock = WallClock(FakeWall(Y2026), assumed="host")
    assert clock.real() and clock.status() == {"synced": True, "since": Y2026, "source": "host"}


def _answer(seconds, usec=250000, mode=4, stratum=2, leap=0, origin=bytes(8)):
    msg = bytearray(48)
    msg[0] = leap << 6 | 0x20 | mode  # version 4
    msg[1] = stratum
    msg[24:32] = origin
    msg[40:48] = struct.pack("!II", (seconds + sntp.NTP_DELTA) & 0xFFFFFFFF, (usec << 32) // 1000000)
    return bytes(msg)


def test_parse_reads_the_transmit_time():
    seconds, usec = sntp.parse(_answer(Y2026, 250000))
    assert seconds == Y2026 and abs(usec - 250000) <= 1
    check.raises(ValueError, sntp.parse, b"\x24" * 20)
    check.raises(ValueError, sntp.parse, _answer(Y2026, mode=3))  # a client's packet
    check.raises(ValueError, sntp.parse, _answer(Y2026, stratum=0))  # kiss-o'-death
    check.raises(ValueError, sntp.parse, _answer(Y2026, mode=5))  # broadcast: not an answer
    # A server whose own clock is not synchronised: leap indicator 3, or stratum 16.
    check.raises(ValueError, sntp.parse, _answer(Y2026, leap=3))
    check.raises(ValueError, sntp.parse, _answer(Y2026, stratum=16))
    check.raises(ValueError, sntp.parse, bytes([0x24, 2]) + bytes(46))  # no time at all


def test_parse_after_the_2036_wrap():
    after_wrap = 2085978496 + 100  # 2036-02-07 06:28:16 UTC + 100 s: NTP seconds start again at 0
    assert sntp.parse(_answer(after_wrap))[0] == after_wrap


class FakeUdp:
    """A socket module whose UDP socket answers after `wait` empty polls (None: never). answer
    is the answer's bytes, or answer(request) makes them (a real server echoes the request's
    transmit time); forged: datagrams that arrive first (another host's)."""

    AF_INET = 2
    SOCK_DGRAM = 2

    def __init__(self, answer, wait=2, forged=()):
        self.answer = answer
        self.forged = list(forged)
        self.wait = wait
        self.sent = []
        self.closed = 0
        self.blocking = None

    def getaddrinfo(self, host, port):
        return [(2, 2, 0, "", (host, port))]

    def socket(self, family, kind):
        return self

    def setblocking(self, flag):
        self.blocking = flag

    def sendto(self, data, address):
        self.sent.append((bytes(data), address))

    def recv(self, n):
        if self.wait is None or self.wait > 0:
            if self.wait:
                self.wait -= 1
            raise OSError(errno.EAGAIN)
        if self.forged:
            return self.forged.pop(0)
        if callable(self.answer):
            return self.answer(self.sent[-1][0])
        return self.answer

    def close(self):
        self.closed += 1


def _server(seconds):
    """A server's answer to request: its transmit time comes back as the originate time."""
    return lambda request: _answer(seconds, origin=request[40:48])


def test_query_sends_one_request_and_polls_without_blocking():
    udp = FakeUdp(_server(Y2026), wait=2)
    seconds, _ = asyncio.run(sntp.query("192.0.2.1", sockets=udp))
    assert seconds == Y2026 and udp.blocking is False and udp.closed == 1
    assert len(udp.sent) == 1
    request, address = udp.sent[0]
    assert address == ("192.0.2.1", 123)
    assert request[:40] == b"\x1b" + bytes(39)
    # The transmit time is a nonce, a new one per query, so an answer cannot be forged blind.
    udp2 = FakeUdp(_server(Y2026), wait=0)
    asyncio.run(sntp.query("192.0.2.1", sockets=udp2))
    assert udp2.sent[0][0][40:48] != request[40:48]


def test_query_ignores_datagrams_that_do_not_answer_its_request():
    y2099 = 4070908800
    forged = [_answer(y2099), _answer(y2099, origin=b"guessed!"), b"\x24"]
    udp = FakeUdp(_server(Y2026), wait=1, forged=forged)
    seconds, _ = asyncio.run(sntp.query("192.0.2.1", sockets=udp))
    assert seconds == Y2026 and not udp.forged
    # Only forged ones: no answer, and the clock is not set from them.
    udp = FakeUdp(_answer(y2099), wait=0)
    ticks = [0]

    def fake_ticks():
        ticks[0] += 100
        return ticks[0]

    e = check.raises(
        OSError,
        lambda: asyncio.run(sntp.query("192.0.2.1", timeout_ms=1000, sockets=udp, ticks_ms=fake_ticks)),
    )
    assert "no answer" in str(e)


def test_query_gives_up_after_its_timeout():
    udp = FakeUdp(None, wait=None)
    ticks = [0]

    def fake_ticks():
        ticks[0] += 100  # each look at the clock is 100 ms later
        return ticks[0]

    e = check.raises(
        OSError,
        lambda: asyncio.run(sntp.query("192.0.2.1", timeout_ms=1000, sockets=udp, ticks_ms=fake_ticks)),
    )
    assert "no answer" in str(e) and udp.closed == 1


def test_sync_schedule_sets_the_clock_and_backs_off_on_failures():
    answers = [OSError("no answer"), OSError("no answer"), (Y2026, 5)]
    set_to = []

    async def fake_query(server):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    clock = WallClock(FakeWall(5), assumed="rtc")
    client = sntp.Sntp("pool.ntp.org", fake_query, lambda s, us: set_to.append((s, us)), clock)
    ok = asyncio.run(client.sync())
    assert not ok and client.next_ms(ok) == sntp.RETRY_MS and not clock.real()
    ok = asyncio.run(client.sync())
    assert not ok and client.next_ms(ok) == 2 * sntp.RETRY_MS and client.failures == 2
    ok = asyncio.run(client.sync())
    assert ok and set_to == [(Y2026, 5)] and client.failures == 0
    assert clock.source == "ntp" and client.next_ms(ok) == sntp.INTERVAL_MS
    answers.append(OSError("no answer"))
    ok = asyncio.run(client.sync())
    assert client.next_ms(ok) == sntp.RETRY_MS  # the back-off starts again after a success
    assert clock.real()  # a failed re-sync keeps the clock


def test_retries_are_capped():
    client = sntp.Sntp("x", None, None, WallClock(FakeWall(5)))
    waits = [client.next_ms(False) for _ in range(12)]
    assert waits[-1] == sntp.RETRY_MAX_MS and max(waits) == sntp.RETRY_MAX_MS


def test_exif_segments():
    assert exif.segment(0) == b""
    for rotate, value in ((90, 6), (180, 3), (270, 8)):
        seg = exif.segment(rotate)
        assert len(seg) == 36 and seg[:4] == b"\xff\xe1\x00\x22" and seg[4:10] == b"Exif\x00\x00"
        assert seg[18:20] == b"\x00\x01" and seg[20:22] == b"\x01\x12" and seg[28:30] == bytes((0, value))


class FakeFrame:
    def __init__(self, data):
        self.buf = memoryview(data)
        self.timestamp = (Y2026, 500)

    def __len__(self):
        return len(self.buf)


def test_a_rotated_part_counts_the_segment_in_its_content_length():
    jpeg = b"\xff\xd8" + bytes(100) + b"\xff\xd9"
    plain = Shared(FakeFrame(jpeg), 1)
    rotated = Shared(FakeFrame(jpeg), 2, exif.segment(90))
    assert b"Content-Length: 104\r\n" in part_head(plain)
    assert b"Content-Length: 140\r\n" in part_head(rotated)
    assert rotated.part_head is not None  # kept on the frame: the next viewer does not build it again
    assert exif.RotatedFrame(rotated).length == 140 and rotated.length == 104


check.run(globals())
