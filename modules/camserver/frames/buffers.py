"""The one owner of the camera's frame buffers: it alone gives a buffer back.

The camera has fb_count buffers. A frame the app holds keeps its buffer from
the camera, so who gives it back, and when, decides whether the camera runs.

Invariant: every frame the camera handed out is given back (frame.release()) exactly once, here,
in one of two cases:
  1. it is no longer the newest frame (or the newest is not wanted any more)
     and no sender holds it;
  2. the camera needs a buffer, all of them are held, and every sender holding
     this frame has made no progress on its client for patience_ms (the frame
     whose senders have waited longest goes first). Those senders lose the
     frame: each is revoked (its connection is closed) before the buffer goes
     back, so no write ever reads a buffer the camera refills.
The hub sets patience_ms to a frame period, but at least REVOKE_AFTER_MS: a viewer
that is only slower than the camera makes progress more often than that, and
must keep its stream (it skips frames); one that has stopped reading does not.
Everybody else only takes a reference (take) and gives it back (drop); a drop
after a revocation does nothing.

A holder is whatever sends the frame (a connection): it has blocked_ms(now),
how long it has waited on its client (-1 when it is not waiting), and
revoke().
"""

import time

from camserver import log
from camserver.clock import wall

# A sender with no progress for this long (or a frame period, if longer) loses the frame the camera
# needs back: its client has stopped reading, not slowed down. A reader slower than the camera
# still gets bytes in bursts (a receiver opens its window in big steps): three at ~400 KB/s on
# loopback went over 250 ms without progress, and lost their streams at 40 or 250 ms. The other
# two "stopped reading" limits: transport/eviction.py REPLACE_AFTER_MS (a newcomer may take the
# slot) and the send_timeout_ms setting (the listener's watchdog drops the connection).
REVOKE_AFTER_MS = 500


class Shared:
    """A published frame and the senders holding it. prefix (the EXIF segment of the rotate
    setting, app/exif.py, or b"") goes out right after the frame's 2-byte SOI marker.
    part_head is the MJPEG part header (app/mjpeg.py), made by the first viewer that sends
    the frame and kept here for the others."""

    part_head = None

    def __init__(self, frame, seq, prefix=b""):
        self.frame = frame
        self.seq = seq
        self.holders = []
        self.given_back = False
        # camera_glue frames have the buffer protocol and send(); the sim's expose .buf.
        self.payload = frame if hasattr(frame, "send") else frame.buf
        self.length = len(frame)
        self.prefix = prefix
        sec, usec = frame.timestamp
        self.us = sec * 1000000 + usec
        self.stamp = divmod(wall.stamp_us(self.us), 1000000)  # X-Timestamp (sec, usec): see clock.py


class Lease:
    """Keeps a Shared frame taken until the response that sends it is done: a response's lease
    (http/response.py Response.lease), closed once it is sent or its client is gone."""

    def __init__(self, buffers, shared, holder):
        self.buffers = buffers
        self.shared = shared
        self.holder = holder

    def close(self):
        shared = self.shared
        if shared is not None:
            self.shared = None
            self.buffers.drop(shared, self.holder)


class Buffers:
    def __init__(self, camera, fb_count, patience_ms, ticks_ms=time.ticks_ms):
        self.camera = camera
        self.fb_count = fb_count
        self.patience_ms = patience_ms  # how long a sender without progress may keep the camera waiting
        self.ticks_ms = ticks_ms
        self.current = None  # the newest frame
        self.outstanding = []  # every Shared not yet given back to the camera, current included
        self.seq = 0
        self.revoked = 0
        self.prefix = b""  # what every frame published from now on carries after its SOI (Shared)

    def publish(self, frame):
        """Make a frame just grabbed the newest one; returns its Shared."""
        try:
            shared = Shared(frame, self.seq + 1, self.prefix)
        except Exception:
            frame.release()  # (MemoryError) the buffer must go back even so
            raise
        self.seq += 1
        self.outstanding.append(shared)
        old = self.current
        self.current = shared
        if old is not None and not old.holders:
            self._give_back(old)
        return shared

    def settle(self, frame):
        """A frame grabbed only to keep the sensor's exposure settled: straight back."""
        frame.release()

    def take(self, after, holder):
        """The newest frame if its seq > after, taken by holder until drop(); else None."""
        shared = self.current
        if shared is None or shared.seq <= after:
            return None
        shared.holders.append(holder)
        return shared

    def drop(self, shared, holder):
        """holder is done with shared (sent, gone, or revoked)."""
        holders = shared.holders
        if holder in holders:
            holders.remove(holder)
        if not holders and not shared.given_back and shared is not self.current:
            self._give_back(shared)

    def drop_current(self):
        """Nobody will want the newest frame (no viewers, or the server stops): give it back
        now unless somebody is sending it (then it goes when they drop it)."""
        shared = self.current
        if shared is not None:
            self.current = None
            if not shared.holders:
                self._give_back(shared)

    def reclaim(self):
        """Called when the camera delivered nothing. If it has no buffer left, give one back:
        the newest frame when nobody sends it, else the frame whose senders have all been
        blocked longest, once that is patience_ms (those senders are revoked).
        Returns True when a buffer went back."""
        if self.camera.frames_out() < self.fb_count:
            return False  # the camera has a buffer: it is just not done with it yet
        current = self.current
        if current is not None and not current.holders:
            self.drop_current()
            return True
        now = self.ticks_ms()
        best = None
        best_ms = self.patience_ms - 1
        for shared in self.outstanding:
            waited = _blocked_ms(shared.holders, now)
            if waited > best_ms:
                best = shared
                best_ms = waited
        if best is None:
            return False
        holders = best.holders
        best.holders = []
        for holder in holders:
            holder.revoke()
        self.revoked += 1
        if log.level <= log.TRACE:
            log.trace("frame %d taken back from %d blocked sender(s)", best.seq, len(holders))
        if best is self.current:
            self.current = None
        self._give_back(best)
        return True

    def _give_back(self, shared):
        # (the one place a published frame's buffer goes back to the camera)
        shared.given_back = True
        self.outstanding.remove(shared)
        shared.frame.release()


def _blocked_ms(holders, now):
    """How long every one of holders has been blocked (the shortest wait); -1 if one is not."""
    if not holders:
        return -1
    least = -1
    for holder in holders:
        waited = holder.blocked_ms(now)
        if waited < 0:
            return -1
        if least < 0 or waited < least:
            least = waited
    return least
