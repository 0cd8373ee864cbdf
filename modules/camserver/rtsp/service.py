"""The RTSP side of the camera: what every control connection shares.

The hub (frames), the auth of the HTTP ports, the stream paths, connection numbers, session
ids, the UDP ports handed to sessions, and the counters /status shows. The listener serves the RTSP port with
RtspConnection (connection.py) and this object in place of a router, so max_connections,
max_per_peer, eviction and the watchdog cover RTSP clients like HTTP ones. A UDP session
takes two more slots of the budget (its two sockets: the board's lwIP has a fixed number)
for as long as it lives.
"""

import json
import random
import socket

from camserver import log

PATHS = ("/mjpeg/1", "/stream")  # esp32cam-rtsp's and Tasmota's path, and the HTTP stream's
_RTP_PORTS = (6970, 7970)
_UDP_SLOTS = 2  # server ports for UDP sessions: an even RTP port, RTCP one above


class RtspService:
    PATHS = PATHS

    def __init__(self, config, hub, auth, listener):
        self.config = config
        self.hub = hub
        self.auth = auth
        self.listener = listener
        self.port = config["rtsp_port"]
        self.session_timeout_s = config["rtsp_timeout_s"]
        self.fps = config["fps"] or 25
        self.sessions = 0  # sessions set up and not ended
        self.playing = 0
        self.udp_sessions = 0
        self._next_port = _RTP_PORTS[0]
        self._json = None  # status_json(), and the counters it was made from
        self._json_key = -1
        self.opened = 0  # control connections since start: each one's number

    def number_connection(self):
        """A number no other control connection of this boot has (Digest nonces name it)."""
        self.opened += 1
        return self.opened

    def stats(self):
        """/status "rtsp": the port and the sessions (set up, playing, over UDP)."""
        return {
            "port": self.port,
            "sessions": self.sessions,
            "playing": self.playing,
            "udp_sessions": self.udp_sessions,
        }

    def status_json(self):
        """stats() as JSON bytes, serialised again only when a counter moved (every open page
        polls /status once a second; the counters change with sessions, far less often)."""
        key = (self.sessions << 20) | (self.playing << 10) | self.udp_sessions  # (each < 1024: slots)
        if key != self._json_key:
            self._json = json.dumps(self.stats()).encode()
            self._json_key = key
        return self._json

    def new_session_id(self):
        return "%08X%08X" % (random.getrandbits(32), random.getrandbits(32))

    def random32(self):
        """An SSRC, or the first sequence number or RTP time of a session (RFC 3550 5.1: random)."""
        return random.getrandbits(32)

    def reserve_udp(self):
        """Slots of the connection budget for a UDP session's sockets; False when not free."""
        listener = self.listener
        if len(listener.connections) + listener.reserved + _UDP_SLOTS > listener.max_connections:
            return False
        listener.reserved += _UDP_SLOTS
        self.udp_sessions += 1
        return True

    def unreserve_udp(self):
        self.listener.reserved -= _UDP_SLOTS
        self.udp_sessions -= 1

    def bind_udp(self, client_host, rtp_port, rtcp_port):
        """Two non-blocking UDP sockets on a free server port pair, connected to the client's
        ports: (rtp socket, rtcp socket, server rtp port). OSError when no pair is free."""
        host = self.config["host"]
        tries = (_RTP_PORTS[1] - _RTP_PORTS[0]) // 2
        while tries:
            tries -= 1
            port = self._next_port
            self._next_port = port + 2 if port + 2 < _RTP_PORTS[1] else _RTP_PORTS[0]
            socks = []
            try:
                for mine, theirs in ((port, rtp_port), (port + 1, rtcp_port)):
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    socks.append(s)
                    s.bind(socket.getaddrinfo(host, mine)[0][-1])
                    s.connect(socket.getaddrinfo(client_host, theirs)[0][-1])
                    s.setblocking(False)
                return socks[0], socks[1], port
            except OSError as e:
                for s in socks:
                    s.close()
                if log.level <= log.TRACE:
                    log.trace("rtsp: udp ports %d-%d: %s", port, port + 1, e)
        raise OSError("no free UDP port pair")
