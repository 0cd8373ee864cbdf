"""One grab feeds every viewer.

A single grabber task takes frames from the camera and publishes the newest
one; every viewer and every /capture waits on the hub and sends whichever frame
is newest when it is ready for one. A slow viewer therefore skips frames and
never slows the camera or anybody else. Each published frame carries a count
of the senders still using it; the camera buffer goes back when the count
reaches zero and a newer frame has replaced it, so a buffer is never refilled
while someone is still sending it. The multipart part header is built once
per frame, not once per viewer.
"""

import asyncio
import time

from camserver import log

_PULSE_MS = 1000  # with no new frame for this long, waiting viewers are woken to check their client
BOUNDARY = b"123456789000000000000987654321"  # CameraWebServer's, which clients already accept
_PART = (
    b"\r\n--"
    + BOUNDARY
    + b"\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\nX-Timestamp: %d.%06d\r\n\r\n"
)


class Shared:
    """A published frame and the number of senders using it."""

    def __init__(self, frame, seq):
        self.frame = frame
        self.seq = seq
        self.users = 0
        # camera_glue frames have the buffer protocol and send(); the sim's expose .buf.
        self.payload = frame if hasattr(frame, "send") else frame.buf
        self.length = len(frame)
        sec, usec = frame.timestamp
        self.us = sec * 1000000 + usec
        self.part_head = _PART % (self.length, sec, usec)


class Hold:
    """Keeps a Shared frame in use until the response that sends it is done."""

    def __init__(self, hub, shared):
        self.hub = hub
        self.shared = shared

    def close(self):
        shared = self.shared
        if shared is not None:
            self.shared = None
            self.hub.done(shared)


class FrameHub:
    def __init__(self, camera, config):
        self.camera = camera
        self.fb_count = config["fb_count"]
        self.fps = config["fps"]
        self.idle_fps = config["idle_fps"]
        self.current = None
        self.seq = 0
        self.viewers = []
        self.captures = 0  # /capture requests waiting for a frame
        self.grabbed = 0
        self.sent = 0
        self.skipped = 0
        self.grab_errors = 0
        self.new_frame = asyncio.Event()
        self.wake = asyncio.Event()
        self._last_publish = time.ticks_ms()  # paces grabs to fps
        self._last_wake = self._last_publish  # for the pulse while no frame comes

    # -- senders --

    def take_newer(self, after):
        """The newest frame if its seq > after, counted as in use until done(); else None
        (and the grabber is woken): the caller waits on new_frame and asks again.
        Synchronous, so a viewer's per-frame wait costs only the Event's."""
        shared = self.current
        if shared is None or shared.seq <= after:
            self.wake.set()
            return None
        shared.users += 1
        return shared

    async def fresh(self, since_us, timeout_ms):
        """A frame captured at or after since_us (wall clock, us), or None after timeout_ms.
        The timeout only ever cancels an Event wait, never a call that holds a frame."""
        self.captures += 1
        deadline = time.ticks_add(time.ticks_ms(), timeout_ms)
        try:
            seq = 0
            while True:
                shared = self.take_newer(seq)
                if shared is not None:
                    if shared.us >= since_us:
                        return shared
                    seq = shared.seq
                    self.done(shared)
                    continue
                left = time.ticks_diff(deadline, time.ticks_ms())
                if left <= 0:
                    return None
                try:
                    await asyncio.wait_for_ms(self.new_frame.wait(), left)
                except asyncio.TimeoutError:
                    pass
        finally:
            self.captures -= 1

    def done(self, shared):
        """A sender finished with shared (sent, or its client went away)."""
        shared.users -= 1
        if shared.users <= 0 and shared is not self.current:
            shared.frame.release()

    def add_viewer(self, viewer):
        self.viewers.append(viewer)
        self.wake.set()

    def remove_viewer(self, viewer):
        if viewer in self.viewers:
            self.viewers.remove(viewer)

    # -- the grabber task --

    def _publish(self, frame):
        try:
            shared = Shared(frame, self.seq + 1)
        except Exception:
            frame.release()  # (MemoryError) the buffer must go back even so
            raise
        self.seq += 1
        self._replace_current(shared)
        self.grabbed += 1
        self._last_publish = time.ticks_ms()
        self._wake_senders()

    def _replace_current(self, shared):
        """Make shared (or None) the newest frame; the old one goes back to the camera
        now if nobody sends it, else when its last sender is done()."""
        old = self.current
        self.current = shared
        if old is not None and old.users <= 0:
            old.frame.release()

    def _drop_current(self):
        if self.current is not None and self.current.users <= 0:
            self._replace_current(None)

    def _wake_senders(self):
        # Every waiting sender is scheduled now; clearing at once re-arms the event.
        self._last_wake = time.ticks_ms()
        self.new_frame.set()
        self.new_frame.clear()

    def _grab(self):
        try:
            return self.camera.grab()
        except OSError as e:
            # A camera that keeps failing would otherwise log ten lines a second.
            self.grab_errors += 1
            if self.grab_errors == 1 or self.grab_errors % 100 == 0:
                log.warning("camera: grab failed (%d times): %s", self.grab_errors, e)
            return None

    async def run(self):
        """Grab while somebody wants frames; idle (idle_fps, or paused at 0) otherwise."""
        try:
            while True:
                try:
                    await self._grab_loop()
                except Exception as e:  # the grabber feeds everyone: it must outlive any one failure
                    log.error("frame hub: %r", e)
                    await asyncio.sleep_ms(100)
        finally:
            self._replace_current(None)

    async def _grab_loop(self):
        camera = self.camera
        while True:
            if not self.viewers and not self.captures:
                await self._idle()
                continue
            if self.fps:
                period = 1000 // self.fps
                wait = period - time.ticks_diff(time.ticks_ms(), self._last_publish)
                # ticks_ms wraps every 2**30 ms on the board: after 6+ idle days the difference
                # comes out negative, which must not turn into a days-long sleep.
                if 0 < wait <= period:
                    await asyncio.sleep_ms(wait)
            frame = self._grab()
            if frame is None:
                # Every buffer may be held: one by a stalled viewer, one as the newest frame
                # that everybody has already sent. Give that one back so capture goes on.
                if camera.frames_out() >= self.fb_count:
                    self._drop_current()
                if time.ticks_diff(time.ticks_ms(), self._last_wake) > _PULSE_MS:
                    # No frame for a while: wake the viewers anyway, so each can notice that
                    # its client left (nothing else would: they are not sending).
                    self._wake_senders()
                await asyncio.sleep_ms(camera.poll_ms())
                continue
            self._publish(frame)

    async def _idle(self):
        # Nobody watches: give the newest buffer back and grab at most idle_fps.
        self._drop_current()
        self.wake.clear()
        if self.idle_fps <= 0:
            await self.wake.wait()
            return
        try:
            await asyncio.wait_for_ms(self.wake.wait(), 1000 // self.idle_fps)
        except asyncio.TimeoutError:
            frame = self._grab()  # keeps exposure settled for the next viewer
            if frame is not None:
                self.grabbed += 1
                frame.release()

    def stats(self):
        viewers = []
        for v in self.viewers:
            viewers.append(v.stats())
        return viewers, {"grabbed": self.grabbed, "sent": self.sent, "skipped": self.skipped}
