"""One RTSP session: its state (RFC 2326 A.1: INIT -> READY -> PLAYING), transport and timeout.

No I/O: the control connection asks the session whether a request is valid now and moves
it along; errors are HTTPError with the RTSP status (454 unknown session, 455 wrong state,
461 transport not offered) and a one-line reason. The session belongs to its control
connection and ends with it (TEARDOWN, the connection closing, or the timeout).
"""

import time

from camserver.http.errors import HTTPError

INIT = 0
READY = 1
PLAYING = 2

TCP = 0
UDP = 1


class Transport:
    """What SETUP agreed on: interleaved channels on the control connection, or UDP ports."""

    def __init__(self, kind, first, second):
        self.kind = kind
        self.first = first  # TCP: RTP channel; UDP: the client's RTP port
        self.second = second  # RTCP channel or port
        self.server_ports: "tuple[int, int] | None" = None  # UDP: (rtp, rtcp) once the sockets are bound

    def header(self, ssrc):
        """The Transport value of the SETUP reply."""
        if self.kind == TCP:
            return "RTP/AVP/TCP;unicast;interleaved=%d-%d;ssrc=%08X" % (self.first, self.second, ssrc)
        value = "RTP/AVP;unicast;client_port=%d-%d" % (self.first, self.second)
        if self.server_ports:
            value += ";server_port=%d-%d" % self.server_ports
        return value + ";ssrc=%08X" % ssrc


def parse_transport(value):
    """The first transport in the client's Transport header this server can serve (unicast
    RTP/AVP over TCP interleaved or UDP); 461 when there is none."""
    if not value:
        raise HTTPError(461, "SETUP without a Transport header")
    for spec in value.split(","):
        params = spec.strip().split(";")
        proto = params[0].strip().upper()
        if proto not in ("RTP/AVP", "RTP/AVP/UDP", "RTP/AVP/TCP"):
            continue
        fields = {}
        for param in params[1:]:
            name, _, val = param.strip().partition("=")
            fields[name.lower()] = val
        if "multicast" in fields or fields.get("mode", "play").strip('"').lower() != "play":
            continue
        if proto == "RTP/AVP/TCP":
            pair = _pair(fields.get("interleaved", "0-1"), 255)
            if pair is not None:
                return Transport(TCP, pair[0], pair[1])
        else:
            pair = _pair(fields.get("client_port", ""), 65535)
            if pair is not None and pair[0] > 0:
                return Transport(UDP, pair[0], pair[1])
    raise HTTPError(461, "no supported transport (unicast RTP/AVP over TCP interleaved or UDP client_port)")


def _pair(text, top):
    """ "a-b" or "a" -> (a, b) (b = a + 1 when absent), or None when malformed or above top."""
    first, _, second = text.partition("-")
    if not first.isdigit() or (second and not second.isdigit()):
        return None
    a = int(first)
    b = int(second) if second else a + 1
    if a > top or b > top:
        return None
    return a, b


class Session:
    def __init__(self, sid, timeout_s, transport, ticks_ms=time.ticks_ms):
        self.id = sid
        self.timeout_s = timeout_s
        self.transport = transport
        self.state = READY
        self.ticks_ms = ticks_ms
        self.last = ticks_ms()  # the client's last sign of life (a request, or RTCP)

    def header(self):
        """The Session value of replies."""
        return "%s;timeout=%d" % (self.id, self.timeout_s)

    def touch(self):
        self.last = self.ticks_ms()

    def deadline(self):
        """When the session times out (ticks_ms): timeout_s after the client's last sign of life."""
        return time.ticks_add(self.last, self.timeout_s * 1000)

    def check_id(self, value):
        """454 unless value (a Session header, perhaps with ;timeout) names this session."""
        if value is None:
            raise HTTPError(454, "request without a Session header")
        if value.split(";")[0].strip() != self.id:
            raise HTTPError(454, "no such session: " + value[:32])

    def setup(self, transport):
        """A second SETUP: only before PLAY may the transport change."""
        if self.state == PLAYING:
            raise HTTPError(455, "SETUP while playing: PAUSE first")
        self.transport = transport

    def play(self):
        self.state = PLAYING

    def pause(self):
        self.state = READY

    def teardown(self):
        self.state = INIT
