"""The motion detector: thumbnails in, start and stop events out.

The frame hub offers it every frame it grabs (frames/hub.py); it analyses at most motion_fps of
them: the frame's thumbnail (camera.thumb()) against a running-average background
(compare.py), over the zones (zones.py). A frame changes when at least a minimum area of
blocks is further than a threshold from the background, both from motion_sensitivity.
Motion starts on two changed frames in a row (one noisy frame is not motion) and stops
when no frame has changed for motion_hold_s. A frame whose thumbnail is refused is skipped,
counted, and its reason kept for /status.

Others learn of starts and stops through `listeners`: each is called as fn(motion) right
after `active` changes (from the grabber task: it must return quickly, e.g. set an Event or
create a task).
"""

import time
from array import array

from camserver import log, settings
from camserver.motion import zones
from camserver.motion.compare import compare

SETTINGS = ("motion", "motion_fps", "motion_sensitivity", "motion_hold_s")  # (their ranges: settings.TABLE)
ZONES = "motion_zones"  # the one text setting (motion/zones.py); set() takes it too
# /status.motion's members (Motion.status_values gives them in this order)
_STATUS = (
    "enabled",
    "active",
    "since",
    "level",
    "events",
    "analysed",
    "skipped",
    "last_error",
    "fps",
    "sensitivity",
    "hold_s",
)
_START_FRAMES = 2  # changed frames in a row that start motion
_LEARN_FRAMES = 3  # frames after a (re)start that only build the background


def threshold(sensitivity):
    """Levels (of 255) a block must move to count as changed: 32 at sensitivity 1, 4 at 100."""
    return 4 + (100 - sensitivity) * 28 // 99


def min_area(sensitivity, blocks):
    """Changed blocks a frame needs to count: 5 % of the zone at sensitivity 1, 0.2 % at 100
    (at least one block)."""
    permille = 2 + (100 - sensitivity) * 48 // 99
    return max(1, blocks * permille // 1000)


class Motion:
    def __init__(self, camera, config):
        self.camera = camera
        self.last_error = None
        self.zones = ""  # motion_zones as set; rects: the rectangles it names ([]: the whole frame)
        self.rects = []
        self.enabled = False
        self.fps = 5
        self.sensitivity = 50
        self.hold_ms = 2000
        self.listeners = []
        self.active = False
        self.since = None  # time.time() of the last start or stop
        self.level = 0  # percent of the zone changed in the last analysed frame
        self.events = 0  # motion starts
        self.analysed = 0
        self.skipped = 0  # frames whose thumbnail was refused
        self._due = None  # ticks_ms the next analysis is due
        self._size = None  # (width, height) of the frames the buffers are for
        self._thumb = None
        self._bg = None
        self._mask = None
        self._blocks = 0
        self._needed = 0
        self._streak = 0
        self._learn = 0
        self._last_change = 0
        for name in SETTINGS + (ZONES,):
            try:
                self.set(name, config[name])
            except ValueError as e:  # a saved setting never stops the camera: its default stays
                log.warning("motion: %s (the default is used)", e)
                self.last_error = str(e)

    def set(self, name, value):
        """A motion setting from /control or the settings; ValueError (settings.SettingError)
        outside its range."""
        value = settings.check(name, value)
        if name == ZONES:
            self.rects = zones.parse(value)
            self.zones = value
            # The next analysed frame makes the mask and learns the background again: blocks
            # that were outside the zones have no background worth comparing with.
            self._free()
        elif name == "motion":
            self.enabled = bool(value)
            if not self.enabled:
                self._stop()
                self._free()
        elif name == "motion_fps":
            self.fps = value
        elif name == "motion_sensitivity":
            self.sensitivity = value
            self._needed = min_area(value, self._blocks)
        else:
            self.hold_ms = value * 1000

    def period_ms(self):
        return 1000 // self.fps

    # -- frames --

    def offer(self, frame):
        """A grabbed frame: analysed when one is due (motion_fps), else left alone."""
        if not self.enabled:
            return
        now = time.ticks_ms()
        period = 1000 // self.fps
        if self._due is not None:
            # An eighth of a period early is on time: frames come at the camera's pace,
            # not exactly on ours.
            late = time.ticks_diff(now, self._due)
            if late < -(period >> 3):
                return
            # Due times advance by the period (so 25 fps of frames give 5 analysed, not 6),
            # but never fall more than a period behind (after a pause of the camera).
            self._due = time.ticks_add(self._due, period) if late < period else time.ticks_add(now, period)
        else:
            self._due = time.ticks_add(now, period)
        self.analyse(frame, now)

    def analyse(self, frame, now):
        if (frame.width, frame.height) != self._size:
            self._allocate(frame.width, frame.height)
        try:
            self.camera.thumb(frame, self._thumb)
        except (ValueError, OSError) as e:
            self.skipped += 1
            self.last_error = str(e)
            if self.skipped == 1 or self.skipped % 100 == 0:
                log.warning("motion: frame skipped (%d times): %s", self.skipped, e)
            return
        self.analysed += 1
        if self._learn:
            self._learn -= 1
            if self._learn == _LEARN_FRAMES - 1:
                bg = self._bg
                thumb = self._thumb
                for i in range(len(thumb)):
                    bg[i] = thumb[i] << 4
            else:
                compare(self._thumb, self._bg, self._mask, threshold(self.sensitivity))
            return
        changed = compare(self._thumb, self._bg, self._mask, threshold(self.sensitivity))
        self.level = min(100, changed * 100 // self._blocks)
        self.judge(changed >= self._needed, now)

    def judge(self, changed, now):
        """The state machine: one analysed frame, changed or not, at now (ticks_ms)."""
        if changed:
            self._streak += 1
            self._last_change = now
            if not self.active and self._streak >= _START_FRAMES:
                self._switch(True)
        else:
            self._streak = 0
            if self.active and time.ticks_diff(now, self._last_change) >= self.hold_ms:
                self._switch(False)

    # -- state --

    def _switch(self, active):
        self.active = active
        self.since = time.time()
        if active:
            self.events += 1
        log.info("motion: %s", "started" if active else "stopped")
        for fn in self.listeners:
            try:
                fn(self)
            except Exception as e:  # a listener's fault must not stop detection
                log.error("motion: listener %r failed: %r", fn, e)

    def _stop(self):
        self._streak = 0
        if self.active:
            self._switch(False)

    def _allocate(self, width, height):
        # Once per frame size (and sensitivity): nothing is allocated per analysed frame.
        self._free()
        w = (width + 7) // 8
        h = (height + 7) // 8
        self._thumb = bytearray(w * h)
        self._bg = array("H", bytearray(2 * w * h))
        self._mask = zones.mask(self.rects, w, h)
        self._blocks = w * h if self._mask is None else max(1, sum(self._mask))
        self._needed = min_area(self.sensitivity, self._blocks)
        self._size = (width, height)
        self._learn = _LEARN_FRAMES

    def _free(self):
        self._thumb = self._bg = self._mask = None
        self._size = None

    def settings(self):
        """The motion settings by name, as /status lists the camera's ("motion" is the
        exception: /status.motion is the detector's state, with "enabled")."""
        hold_s = self.hold_ms // 1000
        return {
            "motion_fps": self.fps,
            "motion_sensitivity": self.sensitivity,
            "motion_hold_s": hold_s,
            ZONES: self.zones,
        }

    def status(self):
        return dict(zip(_STATUS, self.status_values()))  # noqa: B905 (MicroPython's zip has no strict=)

    def status_values(self):
        """status()'s values, in _STATUS's order: what /status compares to know it changed."""
        return (
            self.enabled,
            self.active,
            self.since,
            self.level,
            self.events,
            self.analysed,
            self.skipped,
            self.last_error,
            self.fps,
            self.sensitivity,
            self.hold_ms // 1000,
        )
