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
from camserver.frames.viewer import Viewer
from camserver.http.response import StreamBody

BOUNDARY = b"123456789000000000000987654321"  # CameraWebServer's, which clients already accept
CONTENT_TYPE = "multipart/x-mixed-replace;boundary=" + BOUNDARY.decode()
# A part as mjpg-streamer frames it: headers, the JPEG, then at once the delimiter that closes it,
# so a client that reads up to the next boundary has the frame as soon as its last byte arrives.
_PART_HEAD = b"Content-Type: image/jpeg\r\nContent-Length: %d\r\nX-Timestamp: %d.%06d\r\n\r\n"
DELIMITER = b"\r\n--" + BOUNDARY + b"\r\n"
_OPENING = DELIMITER[2:]  # "--boundary\r\n": the head already ended with a CRLF


def part_head(shared):
    """The part header of a published frame (frames/buffers.py Shared), made once per frame by
    the first viewer that sends it and kept on the frame for the others."""
    stamp = shared.stamp
    head = shared.part_head = _PART_HEAD % (shared.length + len(shared.prefix), stamp[0], stamp[1])
    return head


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
        # This loop runs per frame per viewer: what it uses is looked up once, here.
        write = out.write
        take = hub.take_newer
        drop = buffers.drop
        delivered = hub.delivered
        new_frame = hub.new_frame
        ticks_ms = time.ticks_ms
        ticks_diff = time.ticks_diff
        interval = self.interval
        keepalive_ms = self.keepalive_ms
        delimiter = DELIMITER
        seq = 0
        await write(_OPENING, 0, len(_OPENING))
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
                # Each write returns wait.DONE when the socket took it all, as it does for most
                # parts: awaiting that costs no call and allocates nothing (transport/sender.py).
                head = shared.part_head or part_head(shared)
                await write(head, 0, len(head))
                length = shared.length
                if shared.prefix:  # rotate: the frame with its EXIF segment (app/exif.py)
                    await exif.send(write, shared.payload, length, shared.prefix)
                else:
                    await write(shared.payload, 0, length)
                await write(delimiter, 0, len(delimiter))
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
