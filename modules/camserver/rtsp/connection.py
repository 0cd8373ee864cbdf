"""The RTSP control connection: requests in, replies out, and while PLAYING a second task that
sends the frames.

The connection task (run(), inherited) reads requests (skipping interleaved $ packets from the
client) and answers them. PLAY starts the streamer task, which takes frames from the hub like
an MJPEG viewer (a slow client skips frames) and sends each through RtpJpeg, over this TCP
connection (interleaved) or the session's UDP socket. The connection is the holder of every
frame the streamer takes (app/buffers.py): blocked_ms and revoke() work as for HTTP, and a
revocation cancels the streamer at once, before the buffer goes back.

While the streamer runs on TCP, replies are handed to it (the outbox) and go out between
frames: a reply must never land inside an RTP packet. Phases for the watchdog: IDLE before
SETUP, SESSION (deadline: the session timeout since the client's last request or packet)
once a session exists, SENDING while the streamer waits for a client that stopped reading.
A TCP session that is PLAYING needs no timeout: a client that is gone stops reading.
"""

import asyncio
import time
from asyncio import core  # pyright: ignore[reportAttributeAccessIssue] (MicroPython's; stubs: CPython asyncio)

from camserver import log
from camserver.frames.viewer import Viewer
from camserver.http.errors import HTTPError
from camserver.rtsp import codec, rtcp, sdp, session
from camserver.rtsp.jpeg import JpegHeader
from camserver.transport.connection import Connection
from camserver.transport.phases import IDLE, REVOKED, SENDING, SESSION

try:
    from camera_glue import RtpJpeg
except ImportError:
    from camserver.rtsp.packetizer import RtpJpeg

# Bytes of JPEG data per RTP packet: with all headers one Ethernet frame, except a frame's first
# packet, whose 132 bytes of table header push its UDP datagram past 1500 (docs/camera_glue.md).
MAX_PAYLOAD = 1400


class RtspViewer(Viewer):
    def stats(self):
        out = super().stats()
        out["protocol"] = "rtsp"
        return out


class RtspConnection(Connection):
    def __init__(self, listener, service, sock, addr, host=None):
        super().__init__(listener, service, sock, addr, host)
        self.service = service
        self.number = service.number_connection()  # (codec.RtspRequest.digest_conn)
        self.session = None
        self.rtp = None  # RtpJpeg, made at SETUP
        self.udp = None  # (rtp socket, rtcp socket) of a UDP session
        self.streamer = None  # the task sending frames while PLAYING
        self.streaming = False
        self.interleaved = False  # the streamer writes RTP to this connection (TCP)
        self.skipped_logged = False
        self.outbox = None  # a reply for the streamer to send between frames
        self.outbox_sent = asyncio.Event()
        self.viewer = None
        self.cseq = None  # of the request being handled, for an error raised out of _serve
        self.ts_base = 0  # RTP timestamp of the frame captured at us_base
        self.us_base = None
        self.play_us = 0  # the capture time RTP-Info's rtptime names: no frame before it is sent

    # -- reading requests --

    async def _serve(self):
        limits = self.listener.limits
        sock = self.sock
        buf = bytearray(limits.header_bytes)
        mv = memoryview(buf)
        request = codec.RtspRequest(conn=self)
        start = end = 0
        skip = 0  # bytes still to drop: the rest of an interleaved packet or of a request body
        ready = True
        self.rest()
        while True:
            parsed = None
            while True:
                if skip and end > start:
                    n = skip if skip < end - start else end - start
                    start += n
                    skip -= n
                if end > start and not skip:
                    if buf[start] == 0x24:  # "$": an interleaved packet (RTCP receiver report)
                        skip = codec.interleaved_length(buf, start, end)
                        if skip:
                            if self.session is not None:
                                self.session.touch()
                            continue
                    else:
                        parsed = codec.parse_head(buf, start, end, limits, request, mv)
                        if parsed is not None:
                            break
                if not ready:
                    yield core._io_queue.queue_read(sock)
                ready = False
                end = self._read_more(buf, mv, start, end)
                start = 0
                if end < 0:
                    return
            start = parsed
            self.cseq = request.cseq
            length = request.content_length()
            limits.check_body(length)
            skip = length  # (GET_PARAMETER and SET_PARAMETER bodies: nothing here reads them)
            self.listener.requests += 1
            if not await self._answer(request):
                return
            self.cseq = None  # (an error before the next head is parsed is no answer to this one)
            self.rest()

    def rest(self):
        """The phase between requests (see the module docstring)."""
        if self.phase == SENDING:
            return  # the streamer is waiting for the client: its deadline stands
        s = self.session
        if s is None:
            self.arm(IDLE)
        elif s.state == session.PLAYING and s.transport.kind == session.TCP:
            self.disarm()
        else:
            self.phase = SESSION
            self.since = time.ticks_ms()
            self.deadline = s.deadline()

    async def _answer(self, request):
        """Handle one request and send its reply; False to close the connection."""
        close = False
        try:
            if request.error is not None:
                raise request.error
            data = self._handle(request)
        except HTTPError as e:
            if log.level <= log.DEBUG:
                log.debug("%s RTSP %s -> %d %s", self.peer, request.method, e.status, e.reason)
            data = codec.error_reply(e.status, request.cseq, e.reason, e.headers)
            close = e.close
        await self._reply(data)
        s = self.session
        if s is not None and s.state == session.PLAYING and self.streamer is None:
            self._start_streaming()  # (after the PLAY reply: it must come before the first packet)
        return not close

    async def _reply(self, data):
        if self.streaming and self.interleaved:
            self.outbox_sent.clear()
            self.outbox = data
            await self.outbox_sent.wait()
            if self.outbox is not None:  # the streamer ended without sending it
                self.outbox = None
                if not self.streaming:
                    await self.sender.write(data)
        else:
            await self.sender.write(data)

    # -- the methods --

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
            self._end_session()
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
            self._close_udp()
        elif "session" in request.headers:
            raise HTTPError(459, "one stream per session: SETUP without a Session header")
        if transport.kind == session.UDP:
            if not service.reserve_udp():
                raise HTTPError(453, "no connection slot left for a UDP session")
            try:
                peer = self.peer  # "ip:port" (self.host may be the address's bytes on the unix port)
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
        rtptime = self._rtptime(now_us)
        self.play_us = now_us
        s.play()
        url = request.url
        if not request.path.endswith("/" + sdp.TRACK):
            url = _base_url(url) + sdp.TRACK
        info = "url=%s;seq=%d;rtptime=%d" % (url, self.rtp.seq, rtptime)
        headers = [("Range", "npt=0.000-"), ("Session", s.header()), ("RTP-Info", info)]
        return codec.reply(200, request.cseq, headers)

    def _rtptime(self, us):
        """The RTP timestamp (90 kHz) of wall-clock time us: the PLAY reply's rtptime and every
        frame's, counted from the random ts_base at the first PLAY."""
        return (self.ts_base + (us - self.us_base) * 9 // 100) & 0xFFFFFFFF

    # -- streaming --

    def _start_streaming(self):
        self.streaming = True
        self.interleaved = self.session.transport.kind == session.TCP
        if self.viewer is None:
            self.viewer = RtspViewer(self.peer)
        self.streamer = asyncio.create_task(self._stream())

    async def _stream(self):
        service = self.service
        hub = service.hub
        buffers = hub.buffers
        take = hub.take_newer
        drop = buffers.drop
        delivered = hub.delivered
        new_frame = hub.new_frame
        s = self.session
        p = self.rtp
        viewer = self.viewer
        header = JpegHeader()
        report = rtcp.SenderReport()
        if s.transport.kind == session.TCP:
            sock = self.sock
            rtcp_sock = None
            channel = s.transport.first
            rtcp_channel = s.transport.second
        else:
            sock, rtcp_sock = self.udp
            rtcp_channel = -1
            channel = -1
        ticks_ms = time.ticks_ms
        last_report = None
        seq = 0
        hub.add_viewer(viewer)
        service.playing += 1
        try:
            while True:
                if self.outbox is not None:
                    await self.sender.write(self.outbox)
                    self.rest()
                    self.outbox = None
                    self.outbox_sent.set()
                if s.state != session.PLAYING:
                    return
                shared = take(seq, self) if buffers.seq > seq else None
                if shared is None:
                    await new_frame.wait()
                    continue
                if shared.us < self.play_us:
                    # Captured before the moment PLAY named (with no frame at hand then, PLAY
                    # named the clock, and a camera may hand over a frame it took earlier): a
                    # client reads the first packet's timestamp against RTP-Info's rtptime.
                    seq = shared.seq
                    drop(shared, self)
                    continue
                try:
                    length = shared.length
                    payload = shared.payload
                    # (the sim's frames are memoryviews already; camera_glue's are indexed through one)
                    h = header.parse(payload if type(payload) is memoryview else memoryview(payload), length)
                    ts = self._rtptime(shared.us)
                    p.start(payload, h.scan, h.end, h.jpeg_type, h.width, h.height, h.dri, h.qtables, ts)
                    failed_at = -1
                    while True:
                        try:
                            if p.send(sock, channel):
                                break
                        except OSError as e:
                            if channel >= 0:
                                raise  # interleaved: the control connection is broken with it
                            # Over UDP a send reports the error an earlier datagram drew (the
                            # client's port closed: GStreamer closes it before PAUSE and
                            # TEARDOWN), and the packet at hand stays pending: it is tried once
                            # more. A second error with nothing sent in between loses the frame,
                            # as the network would; UDP has no connection to lose.
                            if p.sent_packets == failed_at:
                                log.trace("%s: rtsp frame lost over UDP: %s", self.peer, e)
                                ts = None
                                break
                            failed_at = p.sent_packets
                            continue
                        self.arm(SENDING)
                        yield core._io_queue.queue_write(sock)
                    if self.phase == SENDING:
                        self.disarm()
                        self.rest()
                except ValueError as e:
                    # A frame RTP/JPEG cannot carry (a 16-bit table, a size above 2040): this viewer
                    # skips it (and says so once, not for every frame).
                    if not self.skipped_logged:
                        self.skipped_logged = True
                        log.debug("%s: rtsp skips frames: %s", self.peer, e)
                    ts = None
                finally:
                    drop(shared, self)
                if ts is None:
                    seq = shared.seq
                    continue
                now = ticks_ms()
                seq = delivered(viewer, seq, shared, length, now)
                if last_report is None or time.ticks_diff(now, last_report) >= rtcp.INTERVAL_MS:
                    last_report = now
                    sec = shared.us // 1000000
                    off = report.build(
                        rtcp_channel, p.ssrc, sec, shared.us - sec * 1000000, ts, p.sent_packets, p.sent_bytes
                    )
                    if channel >= 0:  # interleaved: a report must go out whole
                        await self.sender.write(report.buf, off)
                        self.rest()
                    else:  # its own datagram: one that would block or fails is simply lost
                        try:
                            rtcp_sock.write(report.buf, off, len(report.buf) - off)
                        except OSError:
                            pass
        except OSError as e:
            log.trace("%s: rtsp stream ended: %s", self.peer, e)
            self.task.cancel()  # the control connection goes too: it cannot be framed any more
        except Exception as e:  # a bug must cost this client, never the server
            log.error("%s: rtsp stream failed: %r", self.peer, e)
            self.task.cancel()
        finally:
            hub.remove_viewer(viewer)
            service.playing -= 1
            self.streaming = False
            self.streamer = None
            self.outbox_sent.set()

    # -- ending --

    def _end_session(self):
        if self.session is not None:
            self.session = None
            self.service.sessions -= 1
        self._close_udp()

    def _close_udp(self):
        if self.udp is not None:
            if self.streamer is not None:
                self.streamer.cancel()  # it may be waiting on these sockets
            for s in self.udp:
                s.close()
            self.udp = None
            self.service.unreserve_udp()

    def revoke(self):
        # The streamer holds the frame: it must not write from it again, so it is cancelled
        # now, not when the connection task next runs.
        if self.streamer is not None:
            self.streamer.cancel()
        self.stop(REVOKED)

    def _error_bytes(self, e):
        return codec.error_reply(e.status, self.cseq, e.reason, e.headers)

    def _expired(self):
        if self.expired == SESSION:
            log.debug("%s: rtsp session timed out", self.peer)
        else:
            super()._expired()

    def close(self):
        if self.streamer is not None:
            self.streamer.cancel()
        self._end_session()
        super().close()


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
