"""The recovery ladder: what the device does on its own when the camera stops delivering.

One state machine, three states:
  ok          frames come (or nobody wants any);
  recovering  no valid frame for stall_ms while frames were wanted: the camera is restarted
              (camera.reinit(): grabbing stops, the driver is de- and re-initialised with the
              same configuration and every sensor setting, grabbing starts again) while the
              viewers stay connected. A restart that fails, or after which still no frame
              comes within stall_ms, is tried again after a back-off (1 s, 2 s, 4 s, ...), up
              to tries times in all;
  failed      every try failed: reset(cause="camera", reason) resets the device, which records
              why. Safe mode after failed boots (device/boots.py) stays the last step.
A valid frame brings it back to ok from any state but failed.

The frame hub drives it: frame() on every frame it publishes, idle() while nobody wants
frames (the stall clock does not run then), stalled() whenever a grab yields nothing.
"""

import time

from camserver import log

OK = "ok"
RECOVERING = "recovering"
FAILED = "failed"
BACKOFF_MS = 1000  # the wait after the first failed try; it doubles with each further one
# ... up to 64 s: camera_reinit_tries goes to 100, and ticks_add takes no more than 2**29 ms
MAX_DOUBLINGS = 6


class Recovery:
    def __init__(self, camera, stall_ms, tries, reset, ticks_ms=time.ticks_ms):
        """reset(cause, reason) resets the device (it may return: a test's, or when the reset
        is refused); ticks_ms is the clock (a fake one in tests)."""
        self.camera = camera
        self.stall_ms = stall_ms
        self.tries = tries
        self.reset = reset
        self.ticks_ms = ticks_ms
        self.state = OK
        self.reinits = 0  # restarts that succeeded
        self.attempts = 0  # tries since the last valid frame
        self.last_error = ""
        self.last_frame = ticks_ms()
        self.next_try = self.last_frame

    def frame(self):
        """A valid frame was published."""
        self.last_frame = self.ticks_ms()
        if self.state == RECOVERING:
            log.info("camera: recovered after %d restart(s)", self.attempts)
            self.state = OK
            self.attempts = 0

    def idle(self):
        """Nobody wants frames: a camera that is not asked cannot be stalled."""
        self.last_frame = self.ticks_ms()

    def due(self):
        """True when stalled() would restart the camera (or reset the device) now."""
        if self.state == FAILED or self.stall_ms <= 0:
            return False
        now = self.ticks_ms()
        if self.state == OK:
            return time.ticks_diff(now, self.last_frame) >= self.stall_ms
        return time.ticks_diff(now, self.next_try) >= 0

    def stalled(self):
        """A grab yielded nothing while frames are wanted. Returns True when it restarted the
        camera (frames grabbed before are stale on the board: the caller has dropped them)."""
        if not self.due():
            return False
        now = self.ticks_ms()
        if self.state == OK:
            self.state = RECOVERING
            self.attempts = 0
            self.last_error = "no frame for %d ms" % self.stall_ms
            log.warning("camera: %s, restarting it", self.last_error)
        if self.attempts >= self.tries:
            self.state = FAILED
            reason = "no frame after %d restart(s) (%s)" % (self.attempts, self.last_error)
            log.error("camera: %s: resetting the device", reason)
            self.reset("camera", reason)
            return False
        self.attempts += 1
        try:
            self.restart()
        except OSError:
            log.warning("camera: %s (try %d of %d)", self.last_error, self.attempts, self.tries)
            self.next_try = time.ticks_add(now, BACKOFF_MS << min(self.attempts - 1, MAX_DOUBLINGS))
            return False
        # The next try only if still no frame comes within stall_ms of the restart.
        self.next_try = time.ticks_add(now, self.stall_ms)
        return True

    def restart(self):
        """A restart asked for from outside the ladder (/test/reinit: the board's HIL run of
        esp_camera_deinit/init): the same step, counted; OSError when it fails."""
        try:
            self.camera.reinit()
        except OSError as e:
            self.last_error = "restart failed: %s" % (e.args[-1] if e.args else e)
            raise
        self.reinits += 1

    def status(self):
        """/status.camera_health, with the camera's own counters."""
        timeouts, invalid = self.camera.counts()
        return {
            "state": self.state,
            "timeouts": timeouts,
            "invalid_frames": invalid,
            "reinits": self.reinits,
            "last_error": self.last_error,
        }
