"""The board's SNTP client (device/sntp.py) in the real MicroPython against a small SNTP server
on loopback (CPython): the request it sends, the time it reads, and that the event loop keeps
running while it waits."""

import os
import re
import socket
import struct
import threading

from simserver import run_micropython

NTP_DELTA = 2208988800  # 1900 -> 1970
SCRIPT = os.path.join("tests", "mpy", "sntp_query.py")


class SntpServer:
    """Answers every request with a fixed time after delay_s (None: never answers)."""

    def __init__(self, seconds, fraction, delay_s=0.0, forge=None):
        """forge: (seconds) a time another host sends the client first, without having seen
        its request (so with no originate time to copy)."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.answer = bytearray(48)
        self.answer[0] = 0x24  # version 4, mode 4 (server)
        self.answer[1] = 1  # stratum 1
        self.answer[40:48] = struct.pack("!II", seconds + NTP_DELTA, fraction)
        self.delay_s = delay_s
        self.forge = forge
        self.requests = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(512)
            except OSError:
                continue
            self.requests.append(data)
            if self.forge is not None:
                forged = bytearray(self.answer)
                forged[40:48] = struct.pack("!II", self.forge + NTP_DELTA, 0)
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                    other.sendto(bytes(forged), peer)
            if self.delay_s is None:
                continue
            if self._stop.wait(self.delay_s):
                return
            self.answer[24:32] = data[40:48]  # the originate time: the request's transmit time
            self.sock.sendto(bytes(self.answer), peer)

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def _ask(server, timeout_ms):
    result = run_micropython(SCRIPT, "127.0.0.1", str(server.port), str(timeout_ms))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    turns = int(re.search(r"loop turns (\d+)", out).group(1))
    return out, turns


def test_query_reads_the_servers_time_without_blocking_the_loop():
    seconds = 1796177200  # 2026-12-02 02:06:40 UTC
    server = SntpServer(seconds, 1 << 31, delay_s=0.3)  # half a second past, answered after 300 ms
    try:
        out, turns = _ask(server, 2000)
    finally:
        server.close()
    assert "time %d 500000" % seconds in out, out
    assert len(server.requests) == 1 and len(server.requests[0]) == 48
    assert server.requests[0][0] == 0x1B  # version 3, mode 3 (client)
    assert turns >= 10, "the event loop stood still while waiting for the answer: %s" % out


def test_query_gives_up_after_its_timeout_when_nobody_answers():
    server = SntpServer(0, 0, delay_s=None)
    try:
        out, turns = _ask(server, 500)
    finally:
        server.close()
    assert "error OSError: no answer from 127.0.0.1 in 500 ms" in out, out
    assert turns >= 10, out


def test_query_takes_only_the_answer_to_its_own_request():
    seconds = 1796177200
    # Another host races the server with a time of its choosing: ignored, the server's is taken.
    server = SntpServer(seconds, 0, delay_s=0.2, forge=2051222400)  # 2035
    try:
        out, _ = _ask(server, 2000)
    finally:
        server.close()
    assert "time %d 0" % seconds in out, out
