"""The task that sends a playing session's frames: RTP/JPEG packets, RTCP sender reports, and
the replies the control connection hands over while it runs on TCP.

It takes frames from the hub like an MJPEG viewer (a slow client skips frames) and sends each
through the handler's RtpJpeg, over the control connection (interleaved) or the session's UDP
socket. The connection is the holder of every frame it takes (frames/buffers.py): blocked_ms and
revoke() work as for HTTP, and a revocation cancels this task at once, before the buffer goes
back. On TCP a reply must never land inside an RTP packet, so the connection hands it over
(reply()) and it goes out between frames.
"""

import asyncio
import time

from camserver import log
from camserver.rtsp import rtcp, session
from camserver.rtsp.jpeg import JpegHeader
from camserver.transport.phases import SENDING
from camserver.transport.wait import writable


class Streamer:
    def __init__(self, conn, handler, viewer):
        self.conn = conn  # the control connection: the frames' holder, its socket and sender
        self.handler = handler  # the session, the RtpJpeg, the UDP sockets, the RTP clock
        self.viewer = viewer
        self.task = None  # while it runs
        self.interleaved = False  # RTP goes over the control connection (TCP)
        self.skipped_logged = False
        self.outbox = None  # a reply to send between frames
        self.outbox_sent = asyncio.Event()

    def start(self):
        self.interleaved = self.handler.session.transport.kind == session.TCP
        self.task = asyncio.create_task(self._run())

    def stop(self):
        if self.task is not None:
            self.task.cancel()

    async def reply(self, data):
        """Send a reply on the control connection: between two frames while streaming on it."""
        conn = self.conn
        if self.task is not None and self.interleaved:
            self.outbox_sent.clear()
            self.outbox = data
            await self.outbox_sent.wait()
            if self.outbox is not None:  # the task ended without sending it
                self.outbox = None
                if self.task is None:
                    await conn.sender.write(data)
        else:
            await conn.sender.write(data)

    async def _run(self):
        conn = self.conn
        handler = self.handler
        service = handler.service
        hub = service.hub
        buffers = hub.buffers
        take = hub.take_newer
        drop = buffers.drop
        delivered = hub.delivered
        new_frame = hub.new_frame
        s = handler.session
        p = handler.rtp
        viewer = self.viewer
        header = JpegHeader()
        report = rtcp.SenderReport()
        if s.transport.kind == session.TCP:
            sock = conn.sock
            rtcp_sock = None
            channel = s.transport.first
            rtcp_channel = s.transport.second
        else:
            sock, rtcp_sock = handler.udp
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
                    await conn.sender.write(self.outbox)
                    conn.rest()
                    self.outbox = None
                    self.outbox_sent.set()
                if s.state != session.PLAYING:
                    return
                shared = take(seq, conn) if buffers.seq > seq else None
                if shared is None:
                    await new_frame.wait()
                    continue
                if shared.us < handler.play_us:
                    # Captured before the moment PLAY named (with no frame at hand then, PLAY
                    # named the clock, and a camera may hand over a frame it took earlier): a
                    # client reads the first packet's timestamp against RTP-Info's rtptime.
                    seq = shared.seq
                    drop(shared, conn)
                    continue
                try:
                    length = shared.length
                    payload = shared.payload
                    # (the sim's frames are memoryviews already; camera_glue's are indexed through one)
                    h = header.parse(payload if type(payload) is memoryview else memoryview(payload), length)
                    ts = handler.rtptime(shared.us)
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
                                log.trace("%s: rtsp frame lost over UDP: %s", conn.peer, e)
                                ts = None
                                break
                            failed_at = p.sent_packets
                            continue
                        conn.arm(SENDING)
                        yield writable(sock)
                    if conn.phase == SENDING:
                        conn.disarm()
                        conn.rest()
                except ValueError as e:
                    # A frame RTP/JPEG cannot carry (a 16-bit table, a size above 2040): this viewer
                    # skips it (and says so once, not for every frame).
                    if not self.skipped_logged:
                        self.skipped_logged = True
                        log.debug("%s: rtsp skips frames: %s", conn.peer, e)
                    ts = None
                finally:
                    drop(shared, conn)
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
                        await conn.sender.write(report.buf, off)
                        conn.rest()
                    else:  # its own datagram: one that would block or fails is simply lost
                        try:
                            rtcp_sock.write(report.buf, off, len(report.buf) - off)
                        except OSError:
                            pass
        except OSError as e:
            log.trace("%s: rtsp stream ended: %s", conn.peer, e)
            conn.task.cancel()  # the control connection goes too: it cannot be framed any more
        except Exception as e:  # a bug must cost this client, never the server
            log.error("%s: rtsp stream failed: %r", conn.peer, e)
            conn.task.cancel()
        finally:
            hub.remove_viewer(viewer)
            service.playing -= 1
            self.task = None
            self.outbox_sent.set()
