"""The viewer contract: what the hub knows of a stream client, whatever its protocol.

A viewer is added to the hub while it streams (FrameHub.add_viewer) and counts what it sent
(FrameHub.delivered calls sent()); /status lists its stats(). conn is the connection the hub
closes (revoke()) to stop the stream. The MJPEG stream (app/mjpeg.py) and the RTSP streamer
(rtsp/) each make one per client; a protocol adds its own members to stats().
"""

import time

_next_id = 0


class Viewer:
    """Counters for one stream client, shown in /status."""

    def __init__(self, peer):
        global _next_id
        _next_id += 1
        self.id = _next_id
        self.peer = peer
        self.conn = None  # its connection, which the hub closes to stop the stream (hub.suspend)
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
