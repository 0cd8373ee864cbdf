"""The RTSP methods without I/O on the control connection: a request in, the reply's bytes and
an action for the connection out.

The handler owns what a control connection agrees with its client: the session (session.py),
the RtpJpeg packetizer and its RTP clock, and the UDP sockets of a UDP session with the two
connection slots they take (service.reserve_udp). It never reads or writes the control
socket: handle() returns the reply, and `action` tells the connection what to do once that
reply is out (PLAY: the session is playing, start the streamer unless it runs; CLOSE: the
request cannot be answered on this connection any more). The connection it is given only has
to offer `peer` ("ip:port", for the log and the UDP sockets' far end) and stop_streaming(),
called before the UDP sockets the streamer may wait on are closed.
"""

import time

from camserver import log
from camserver.http.errors import HTTPError
from camserver.rtsp import codec, sdp, session

try:
    from camera_glue import RtpJpeg
except ImportError:
    from camserver.rtsp.packetizer import RtpJpeg

# Bytes of JPEG data per RTP packet: with all headers one Ethernet frame, except a frame's first
# packet, whose 132 bytes of table header push its UDP datagram past 1500 (docs/camera_glue.md).
MAX_PAYLOAD = 1400

# handle()'s action, a bit set: what the connection does after sending the reply.
NOTHING = 0
PLAY = 1  # the session is playing: start the streamer (after the reply: it comes before any packet)
CLOSE = 2  # close the connection after the reply


class RtspHandler:
    def __init__(self, service, conn):
        self.service = service
        self.conn = conn
        self.session = None
        self.action = NOTHING  # of the last handle()
        self.rtp = None  # RtpJpeg, made at SETUP
        self.udp = None  # (rtp socket, rtcp socket) of a UDP session
        self.ts_base = 0  # RTP timestamp of the frame captured at us_base
        self.us_base = None
        self.play_us = 0  # the capture time RTP-Info's rtptime names: no frame before it is sent

    def handle(self, request):
        """The reply (bytes) to one parsed request; self.action says what follows it."""
        close = False
        try:
            if request.error is not None:
                raise request.error
            data = self._handle(request)
        except HTTPError as e:
            if log.level <= log.DEBUG:
                log.debug("%s RTSP %s -> %d %s", self.conn.peer, request.method, e.status, e.reason)
            data = codec.error_reply(e.status, request.cseq, e.reason, e.headers)
            close = e.close
        s = self.session
        action = PLAY if s is not None and s.state == session.PLAYING else NOTHING
        self.action = (action | CLOSE) if close else action
        return data

    def _handle(self, request):
        service = self.service
        method = request.method
        if service.auth is not None and method != "OPTIONS":
            answer = service.auth.check(request)
            if answer is not None:
                body = answer.body.encode() if isinstance(answer.body, str) else answer.body
                return codec.reply(answer.status, request.cseq, answer.headers, body)
        if self.session is not None:
            self.session.touch()
        if method == "OPTIONS" or method == "GET_PARAMETER" or method == "SET_PARAMETER":
            if method != "OPTIONS" and self.session is not None and "session" in request.headers:
                self.session.check_id(request.headers["session"])
            return self._ok(request, [("Public", codec.PUBLIC)] if method == "OPTIONS" else None)
        path = self._stream_path(request)
        if method == "DESCRIBE":
            return self._describe(request, path)
        if method == "SETUP":
            return self._setup(request)
        s = self.session
        if s is None:
            if "session" in request.headers:
                raise HTTPError(454, "no such session")
            raise HTTPError(455, "%s before SETUP" % method)
        s.check_id(request.headers.get("session"))
        if method == "PLAY":
            return self._play(request)
        if method == "PAUSE":
            s.pause()
        else:  # TEARDOWN
            s.teardown()
            self.end_session()
            return codec.reply(200, request.cseq)
        return self._ok(request)

    def _ok(self, request, headers=None):
        if self.session is not None:
            headers = (headers or []) + [("Session", self.session.header())]
        return codec.reply(200, request.cseq, headers)

    def _stream_path(self, request):
        path = request.path
        if path.endswith("/" + sdp.TRACK):
            path = path[: -len(sdp.TRACK) - 1]
        if path not in self.service.PATHS:
            raise HTTPError(404, "no stream at %s (try /mjpeg/1 or /stream)" % path[:64])
        return path

    def _describe(self, request, path):
        accept = request.headers.get("accept")
        if accept is not None and "application/sdp" not in accept and "*/*" not in accept:
            raise HTTPError(406, "only application/sdp descriptions")
        body = sdp.describe(time.ticks_ms() & 0xFFFFFF, _host_of(request.url), self.service.fps)
        headers = [("Content-Base", _base_url(request.url))]
        return codec.reply(200, request.cseq, headers, body, "application/sdp")

    def _setup(self, request):
        service = self.service
        transport = session.parse_transport(request.headers.get("transport"))
        s = self.session
        if s is not None:
            s.check_id(request.headers.get("session"))
            s.setup(transport)  # 455 while playing
            self.close_udp()
        elif "session" in request.headers:
            raise HTTPError(459, "one stream per session: SETUP without a Session header")
        if transport.kind == session.UDP:
            if not service.reserve_udp():
                raise HTTPError(453, "no connection slot left for a UDP session")
            try:
                peer = self.conn.peer  # "ip:port" (conn.host may be the address's bytes on the unix port)
                ip = peer[: peer.rfind(":")]
                rtp_sock, rtcp_sock, port = service.bind_udp(ip, transport.first, transport.second)
            except OSError as e:
                service.unreserve_udp()
                raise HTTPError(453, "cannot open UDP ports: %s" % e)
            self.udp = (rtp_sock, rtcp_sock)
            transport.server_ports = (port, port + 1)
        if s is None:
            s = self.session = session.Session(service.new_session_id(), service.session_timeout_s, transport)
            service.sessions += 1
            self.rtp = RtpJpeg(MAX_PAYLOAD)
            self.rtp.ssrc = service.random32()
            self.rtp.seq = service.random32() & 0xFFFF
            self.ts_base = service.random32()
        headers = [("Transport", transport.header(self.rtp.ssrc)), ("Session", s.header())]
        return codec.reply(200, request.cseq, headers)

    def _play(self, request):
        s = self.session
        # RTP time runs with the capture times, from a random start at the first PLAY: the
        # newest frame, which is the first one sent, has this rtptime.
        current = self.service.hub.buffers.current
        now_us = current.us if current is not None else time.time_ns() // 1000
        if self.us_base is None:
            self.us_base = now_us
        rtptime = self.rtptime(now_us)
        self.play_us = now_us
        s.play()
        url = request.url
        if not request.path.endswith("/" + sdp.TRACK):
            url = _base_url(url) + sdp.TRACK
        info = "url=%s;seq=%d;rtptime=%d" % (url, self.rtp.seq, rtptime)
        headers = [("Range", "npt=0.000-"), ("Session", s.header()), ("RTP-Info", info)]
        return codec.reply(200, request.cseq, headers)

    def rtptime(self, us):
        """The RTP timestamp (90 kHz) of wall-clock time us: the PLAY reply's rtptime and every
        frame's, counted from the random ts_base at the first PLAY."""
        return (self.ts_base + (us - self.us_base) * 9 // 100) & 0xFFFFFFFF

    # -- ending --

    def end_session(self):
        """TEARDOWN, or the connection closing: the session and its UDP sockets end."""
        if self.session is not None:
            self.session = None
            self.service.sessions -= 1
        self.close_udp()

    def close_udp(self):
        if self.udp is not None:
            self.conn.stop_streaming()  # it may be waiting on these sockets
            for s in self.udp:
                s.close()
            self.udp = None
            self.service.unreserve_udp()


def _base_url(url):
    """url ending in "/": the Content-Base the track's URL is relative to."""
    return url if url.endswith("/") else url + "/"


def _host_of(url):
    """The host of an rtsp:// URL, for the SDP origin line ("0.0.0.0" when it has none)."""
    at = url.find("//")
    if at < 0:
        return "0.0.0.0"
    rest = url[at + 2 :]
    end = len(rest)
    for sep in "/:?":
        i = rest.find(sep)
        if 0 <= i < end:
            end = i
    host = rest[:end]
    if "@" in host:
        host = host[host.rfind("@") + 1 :]
    return host or "0.0.0.0"
