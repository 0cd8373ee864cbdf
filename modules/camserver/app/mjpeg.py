"""The MJPEG stream a viewer receives (multipart/x-mixed-replace, raw).

Framed as mjpg-streamer does: the first delimiter right after the response
head (ffmpeg probes for "--"), then per frame the part headers (Content-Type,
Content-Length, X-Timestamp), the JPEG straight from the camera buffer, and at
once the delimiter that closes the part, so a client that reads up to the next
boundary (VLC, GStreamer's multipartdemux) shows the frame when its last byte
arrives, not one frame later. The body is raw HTTP, not chunked (VLC and other
clients mishandle chunked MJPEG); it ends when the connection does.
"""

import asyncio
import time

from camserver.app import exif
from camserver.app.buffers import BOUNDARY, DELIMITER
from camserver.http.response import StreamBody

CONTENT_TYPE = "multipart/x-mixed-replace;boundary=" + BOUNDARY.decode()
_OPENING = DELIMITER[2:]  # "--boundary\r\n": the head already ended with a CRLF

_next_id = 0


class Viewer:
    """Counters for one stream client, shown in /status."""

    def __init__(self, peer):
        global _next_id
        _next_id += 1
        self.id = _next_id
        self.peer = peer
        self.conn = None  # its connection, which the hub closes to stop the stream (hub.hold)
        self.frames = 0
        self.bytes = 0
        self.fps = 0.0
        self._window_start = time.ticks_ms()
        self._window_frames = 0

    def sent(self, length, now):
        """A part of length bytes went out at now (ticks_ms)."""
        self.frames += 1
        self.bytes += length
        self._window_frames += 1
        elapsed = time.ticks_diff(now, self._window_start)
        if elapsed >= 1000:  # fps over the last second or so
            self.fps = self._window_frames * 1000 / elapsed
            self._window_frames = 0
            self._window_start = now

    def stats(self):
        return {
            "id": self.id,
            "peer": self.peer,
            "fps": round(self.fps, 1),
            "frames": self.frames,
            "bytes": self.bytes,
        }


class MjpegStream(StreamBody):
    """Streams frames from the hub until the client leaves. With no new frame for
    keepalive_ms (a stalled camera), the newest frame is sent again so proxies that
    give up on a silent stream keep it."""

    def __init__(self, hub, peer, fps_cap=0, keepalive_ms=5000):
        self.hub = hub
        self.viewer = Viewer(peer)
        self.interval = 1000 // fps_cap if fps_cap else 0
        self.keepalive_ms = keepalive_ms
        self._scratch = None

    async def send(self, out):
        hub = self.hub
        buffers = hub.buffers
        viewer = self.viewer
        conn = out.conn  # the holder of every frame this stream takes
        viewer.conn = conn
        hub.add_viewer(viewer)
        await out.write(_OPENING)
        # This loop runs per frame per viewer: what it uses is looked up once, here.
        take = hub.take_newer
        drop = buffers.drop
        delivered = hub.delivered
        new_frame = hub.new_frame
        write_now = out.write_now
        ticks_ms = time.ticks_ms
        ticks_diff = time.ticks_diff
        interval = self.interval
        keepalive_ms = self.keepalive_ms
        delimiter = DELIMITER
        seq = 0
        last = ticks_ms()  # when the last part went out
        while True:
            if interval and seq:  # the first frame goes at once; the cap paces the rest
                wait = interval - ticks_diff(ticks_ms(), last)
                if wait > 0:
                    await asyncio.sleep_ms(wait)
            # (Nothing newer yet, as after most frames: straight to the wait, no call.)
            shared = take(seq, conn) if buffers.seq > seq else None
            while shared is None:  # (waiting here, not in a helper coroutine: one allocation fewer per frame)
                await new_frame.wait()
                shared = take(seq, conn)
                if shared is None:
                    # Woken by the hub's pulse while the camera delivers nothing.
                    if self._client_gone(out.sock):
                        return
                    if keepalive_ms and ticks_diff(ticks_ms(), last) >= keepalive_ms:
                        shared = take(-1, conn)  # the newest frame again, if there is one
            try:
                # Try without waiting first: awaiting the sender allocates a coroutine,
                # and most parts fit the socket buffer at once.
                head = shared.part_head
                off = write_now(head, 0, len(head))
                if off < len(head):
                    await out.finish(head, off, len(head))
                length = shared.length
                if shared.prefix:  # rotate: the frame with its EXIF segment (app/exif.py)
                    await exif.send(out, shared.payload, length, shared.prefix)
                else:
                    off = write_now(shared.payload, 0, length)
                    if off < length:
                        await out.finish(shared.payload, off, length)
                off = write_now(delimiter, 0, len(delimiter))
                if off < len(delimiter):
                    await out.finish(delimiter, off, len(delimiter))
            finally:
                drop(shared, conn)
            last = ticks_ms()
            seq = delivered(viewer, seq, shared, length, last)

    def _client_gone(self, sock):
        """Non-blocking check whether the client closed or reset its connection."""
        if self._scratch is None:
            self._scratch = bytearray(16)
        try:
            return sock.readinto(self._scratch) == 0  # None: nothing to read, still there
        except OSError:
            return True

    def close(self):
        self.hub.remove_viewer(self.viewer)
