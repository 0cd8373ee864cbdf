"""The RTSP control connection: only its I/O. It reads requests through the head-reading loop
every connection shares (transport/heads.py; _parse_head is its parse step, which drops the
client's interleaved $ packets and request bodies), hands each to the handler (handler.py: no
I/O, a reply and an action out), sends the reply, and runs the streamer (streamer.py) while the
session plays.

Phases for the watchdog: IDLE before SETUP, SESSION (deadline: the session timeout since the
client's last request or packet) once a session exists, SENDING while the streamer waits for a
client that stopped reading. A TCP session that is PLAYING needs no timeout: a client that is
gone stops reading.
"""

from camserver import log
from camserver.frames.viewer import Viewer
from camserver.rtsp import codec, session
from camserver.rtsp.handler import CLOSE, PLAY, RtspHandler
from camserver.rtsp.streamer import Streamer
from camserver.transport.connection import Connection
from camserver.transport.heads import reader as head_reader
from camserver.transport.phases import IDLE, REVOKED, SENDING, SESSION
from camserver.transport.wait import readable


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
        self.handler = RtspHandler(service, self)
        self.streamer = None  # Streamer, made at the first PLAY
        self.cseq = None  # of the request being handled, for an error raised out of _serve
        self._body = 0  # the length of the last request's body, dropped before the next head

    # -- reading requests --

    async def _serve(self):
        sock = self.sock
        handler = self.handler
        request = codec.RtspRequest(conn=self)
        next_head = head_reader(self, self._parse_head, request, False)[0]
        self.rest()
        parsed = next_head(True)  # (a new client has usually sent its request: read before parking)
        while True:
            while parsed is None:
                yield readable(sock)  # (a yield, not an await: transport/wait.py)
                parsed = next_head(True)
            if parsed < 0:
                return
            self.listener.requests += 1
            data = handler.handle(request)
            action = handler.action
            await self._reply(data)
            if action & PLAY and (self.streamer is None or self.streamer.task is None):
                self._start_streaming()  # (after the PLAY reply: it must come before the first packet)
            if action & CLOSE:
                return
            self.cseq = None  # (an error before the next head is parsed is no answer to this one)
            self.rest()
            parsed = next_head(False)  # (what is buffered: a body, packets, pipelined requests)

    def _parse_head(self, buf, start, end, limits, request, mv):
        """The parse step of the head-reading loop (transport/heads.py): the client's
        interleaved packets (RTCP receiver reports, which keep its session alive) and request
        bodies (GET_PARAMETER's and SET_PARAMETER's: nothing here reads them) are dropped."""
        if self._body:
            n = self._body
            self._body = 0
            return -n
        if buf[start] == 0x24:  # "$": an interleaved packet
            n = codec.interleaved_length(buf, start, end)
            if not n:
                return None
            if self.handler.session is not None:
                self.handler.session.touch()
            return -n
        parsed = codec.parse_head(buf, start, end, limits, request, mv)
        if parsed is not None:
            self.cseq = request.cseq
            length = request.content_length()
            limits.check_body(length)
            self._body = length
        return parsed

    def rest(self):
        """The phase between requests (see the module docstring)."""
        if self.phase == SENDING:
            return  # the streamer is waiting for the client: its deadline stands
        s = self.handler.session
        if s is None:
            self.arm(IDLE)
        elif s.state == session.PLAYING and s.transport.kind == session.TCP:
            self.disarm()
        else:
            self.arm(SESSION, s.deadline())

    async def _reply(self, data):
        if self.streamer is None:
            await self.sender.write(data)
        else:
            await self.streamer.reply(data)

    # -- streaming --

    def _start_streaming(self):
        if self.streamer is None:
            self.streamer = Streamer(self, self.handler, RtspViewer(self.peer))
        self.streamer.start()

    def stop_streaming(self):
        """(The handler's, before it closes the UDP sockets the streamer may be waiting on.)"""
        if self.streamer is not None:
            self.streamer.stop()

    # -- ending --

    def revoke(self):
        # The streamer holds the frame: it must not write from it again, so it is cancelled
        # now, not when the connection task next runs.
        self.stop_streaming()
        self.stop(REVOKED)

    def _error_bytes(self, e):
        return codec.error_reply(e.status, self.cseq, e.reason, e.headers)

    def _expired(self):
        if self.expired == SESSION:
            log.debug("%s: rtsp session timed out", self.peer)
        else:
            super()._expired()

    def close(self):
        self.stop_streaming()
        self.handler.end_session()
        super().close()
