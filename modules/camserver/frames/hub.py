"""One grab feeds every viewer.

A single grabber task takes frames from the camera and publishes the newest
one; every viewer and every /capture waits on the hub and sends whichever frame
is newest when it is ready for one. A slow viewer therefore skips frames and
never slows the camera or anybody else. When a buffer goes back to the camera
is decided by frames/buffers.py alone; the hub asks it to reclaim one whenever
the camera delivers nothing. When it delivers nothing for too long, the recovery
ladder (camera/recovery.py) restarts it.
"""

import asyncio
import time

from camserver import log
from camserver.camera.recovery import OK, Recovery
from camserver.frames.buffers import REVOKE_AFTER_MS, Buffers
from camserver.motion.detector import Motion
from camserver.status_part import StatusPart

_PULSE_MS = 1000  # with no new frame for this long, waiting viewers are woken to check their client


class FrameHub:
    def __init__(self, camera, config, reset=None):
        """reset(cause, reason) resets the device when the camera cannot be recovered."""
        self.camera = camera
        self.fps = config["fps"]
        self.idle_fps = config["idle_fps"]
        self.period_ms = 1000 // self.fps if self.fps else 40
        self.buffers = Buffers(camera, config["fb_count"], max(self.period_ms, REVOKE_AFTER_MS))
        self.viewers = []
        self.motion: Motion | None = None  # offered every grabbed frame (app.build sets it)
        self.captures = 0  # /capture requests waiting for a frame
        self.suspended = None  # why grabbing is stopped (a firmware update), or None
        self.grabbed = 0
        self.sent = 0
        self.skipped = 0
        self.grab_errors = 0
        self.new_frame = asyncio.Event()
        self.wake = asyncio.Event()
        self._last_publish = time.ticks_ms()  # paces grabs to fps
        self._last_wake = self._last_publish  # for the pulse while no frame comes
        self.recovery = None
        self.health = None  # /status.camera_health (status_part.py), with the recovery ladder
        if hasattr(camera, "reinit"):  # (not the absent camera of safe mode)
            stall_ms = config["camera_stall_ms"]
            self.recovery = Recovery(camera, stall_ms, config["camera_reinit_tries"], reset or _no_reset)
            self.health = StatusPart(self._health, self._health_key)

    # -- senders --

    def take_newer(self, after, holder):
        """The newest frame if its seq > after, taken by holder until buffers.drop(); else
        None (and the grabber is woken): the caller waits on new_frame and asks again.
        Synchronous, so a viewer's per-frame wait costs only the Event's."""
        shared = self.buffers.take(after, holder)
        if shared is None:
            self.wake.set()
        return shared

    async def fresh(self, since_us, timeout_ms, holder):
        """A frame captured at or after since_us (wall clock, us) taken by holder, or None
        after timeout_ms. No timer of its own: the grabber wakes every waiter with each frame,
        and at least once a second while the camera delivers nothing (its pulse), so a plain
        Event wait sees the deadline pass; nothing that holds a frame is ever interrupted."""
        self.captures += 1
        deadline = time.ticks_add(time.ticks_ms(), timeout_ms)
        try:
            seq = 0
            while True:
                shared = self.take_newer(seq, holder)
                if shared is not None:
                    if shared.us >= since_us:
                        return shared
                    seq = shared.seq
                    self.buffers.drop(shared, holder)
                    continue
                if self.suspended or time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                    return None
                await self.new_frame.wait()
        finally:
            self.captures -= 1

    def delivered(self, viewer, seq, shared, length, now):
        """A viewer that had sent up to frame seq has now sent shared (length bytes, at now):
        counts it, and the frames it skipped. Returns the seq the viewer is at."""
        if shared.seq > seq:
            if seq and shared.seq > seq + 1:
                self.skipped += shared.seq - seq - 1
            seq = shared.seq
        self.sent += 1
        viewer.sent(length, now)
        return seq

    def add_viewer(self, viewer):
        self.viewers.append(viewer)
        self.wake.set()

    def remove_viewer(self, viewer):
        if viewer in self.viewers:
            self.viewers.remove(viewer)

    def suspend(self, reason):
        """Stop grabbing and close every stream, until resume(): flash writes must not share
        the device with a camera filling its buffers. reason is what frame routes answer."""
        self.suspended = reason
        for viewer in self.viewers:
            if viewer.conn is not None:
                viewer.conn.revoke()
        self._wake_senders()  # a /capture waiting for a frame gives up (503) instead of waiting on
        self.wake.set()

    def resume(self):
        self.suspended = None
        self.wake.set()

    # -- the grabber task --

    def _publish(self, frame):
        motion = self.motion
        if motion is not None and motion.enabled:  # (off: not even a call per frame)
            motion.offer(frame)
        self.buffers.publish(frame)
        self.grabbed += 1
        now = self._last_publish = time.ticks_ms()
        recovery = self.recovery
        if recovery is not None:
            if recovery.state == OK:
                recovery.last_frame = now  # (per frame: an attribute, not a call)
            else:
                recovery.frame()
        self._wake_senders()

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
            self.buffers.drop_current()

    async def _grab_loop(self):
        camera = self.camera
        while True:
            if self.suspended or (not self.viewers and not self.captures):
                await self._idle()
                continue
            if self.fps:
                period = self.period_ms
                wait = period - time.ticks_diff(time.ticks_ms(), self._last_publish)
                # ticks_ms wraps every 2**30 ms on the board: after 6+ idle days the difference
                # comes out negative, which must not turn into a days-long sleep.
                if 0 < wait <= period:
                    await asyncio.sleep_ms(wait)
            frame = self._grab()
            if frame is None:
                # Every buffer may be held (by senders blocked on their clients, or as the newest
                # frame everybody has sent): the owner gives one back so capture goes on.
                if self.buffers.reclaim():
                    continue
                self._stalled()
                if time.ticks_diff(time.ticks_ms(), self._last_wake) > _PULSE_MS:
                    # No frame for a while: wake the viewers anyway, so each can notice that
                    # its client left (nothing else would: they are not sending) or send a
                    # keep-alive copy of the last frame.
                    self._wake_senders()
                await asyncio.sleep_ms(camera.poll_ms())
                continue
            self._publish(frame)

    def _stalled(self):
        recovery = self.recovery
        if recovery is None:
            return
        # (Between two frames, the common case: one clock read, no call.)
        if recovery.state == OK and time.ticks_diff(time.ticks_ms(), recovery.last_frame) < recovery.stall_ms:
            return
        if self.camera.frames_out() >= self.buffers.fb_count:
            # Every buffer is being sent (slow viewers that still make progress keep theirs): the
            # camera cannot deliver, which is no stall of its own.
            recovery.idle()
            return
        # The newest frame goes back before a restart: on the board esp_camera_deinit() frees
        # its buffer. Viewers keep their connections and wait for the restarted camera.
        if recovery.due():
            self.buffers.drop_current()
        recovery.stalled()

    def restart_camera(self):
        """Restart the camera now (/test/reinit); OSError when it fails."""
        self.buffers.drop_current()
        self.recovery.restart()

    def _health(self):
        return {"camera_health": self.recovery.status()}

    def _health_key(self):
        recovery = self.recovery
        return (recovery.state, self.camera.counts(), recovery.reinits, recovery.last_error)

    def recovering(self):
        """Why frames do not come (one line), or None."""
        recovery = self.recovery
        if recovery is None or recovery.state == OK:
            return None
        return "camera recovering (%s)" % recovery.last_error

    async def _idle(self):
        # Nobody watches: give the newest buffer back and grab at most idle_fps, or motion_fps
        # while motion detection is on (it watches when nobody else does). Frames are wanted then,
        # so a camera that stops delivering them is recovered as for a viewer.
        self.buffers.drop_current()
        self.wake.clear()
        motion = self.motion
        watching = motion is not None and motion.enabled
        if self.recovery is not None and not watching:
            self.recovery.idle()
        fps = max(self.idle_fps, motion.fps) if watching else self.idle_fps
        if self.suspended or fps <= 0:
            await self.wake.wait()
            return
        try:
            await asyncio.wait_for_ms(self.wake.wait(), 1000 // fps)
        except asyncio.TimeoutError:
            frame = self._grab()  # keeps exposure settled for the next viewer
            if frame is None:
                if watching:
                    self._stalled()
            else:
                self.grabbed += 1
                if watching:
                    motion.offer(frame)
                if self.recovery is not None:
                    self.recovery.frame()
                self.buffers.settle(frame)

    def stats(self):
        viewers = []
        for v in self.viewers:
            viewers.append(v.stats())
        counts = {"grabbed": self.grabbed, "sent": self.sent, "skipped": self.skipped}
        counts["revoked"] = self.buffers.revoked
        return viewers, counts


def _no_reset(cause, reason):
    log.error("reset (%s) not wired: %s", cause, reason)
