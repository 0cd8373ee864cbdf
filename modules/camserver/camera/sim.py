"""The simulated camera: plays the JPEG frames rendered at setup.

A stand-in for esp32-camera with the same semantics the app relies on:
frame n of the current set is "captured" at start + n / fps; grab() returns the
newest captured frame not yet returned (grab-latest: never a stale one) or None;
frames live in fb_count buffers allocated once at init at the largest frame
size (as esp32-camera sizes its PSRAM buffers), and a buffer still held by the
app is never refilled underneath it.

Every frame is checked (camera/jpeg_check.py) before grab() hands it out: one that is not a
whole JPEG goes straight back and is counted (counts()). camera_faults (camera/faults.py) makes
the sensor misbehave on purpose; reinit() restarts it as the recovery ladder asks
(camera/recovery.py).
"""

import json
import time

from camserver import settings
from camserver.camera import faults as fault_model
from camserver.camera import jpeg_check, sensor

# name -> (min, max, default) of the settable settings, as camera_glue.RANGES has them.
RANGES = sensor.RANGES
XCLK_MHZ = (1, 24)  # the sensor clocks init() accepts (MHz), as camera_glue's

_state = None


class Frame:
    """One captured frame in one of the camera's buffers."""

    def __init__(self, slot):
        self.slot = slot  # index of the buffer
        self.buf = None  # memoryview of the JPEG bytes inside the buffer
        self.width = 0
        self.height = 0
        self.index = 0
        self.path = None  # the JPEG file it was read from (its thumbnail is beside it)
        self.timestamp = (0, 0)
        self.held = False

    def __len__(self):
        return len(self.buf)

    def release(self):
        """Give the buffer back to the camera; a second call does nothing."""
        if self.held:
            self.held = False
            _state.out -= 1


class _Sim:
    def __init__(self, manifest, frames_dir, fb_count, fps, faults, xclk_mhz):
        self.dir = frames_dir
        self.sets = manifest["sets"]
        self.count = manifest["count"]
        largest = 0
        self.scene = None  # sim_motion.Scene, when the motion test scene plays (scene())
        self.motion_set = manifest.get("motion")
        everything = list(self.sets.values()) + ([self.motion_set] if self.motion_set else [])
        for info in everything:
            for row in info["frames"]:
                if row["len"] > largest:
                    largest = row["len"]
        # fb_count buffers of the largest frame, allocated once (like PSRAM framebuffers).
        self.frames = []
        self.mems = []
        for slot in range(fb_count):
            self.mems.append(memoryview(bytearray(largest)))
            self.frames.append(Frame(slot))
        self.settings = sensor.defaults()
        self.settings["led_intensity"] = -1  # no LED on the simulated board
        self.supported = []
        for key in self.sets:
            fs = self.sets[key]["framesize"]
            if fs not in self.supported:
                self.supported.append(fs)
        self.supported.sort()
        self.fps = fps
        self.start_ms = time.ticks_ms()
        self.last_n = -1  # number of the newest frame already returned by grab()
        self.out = 0
        self.grabbed = 0
        self.paused_until = None  # ticks_ms until which the sensor delivers nothing (pause())
        self.faults = fault_model.Faults(faults) if faults else None
        self.first_start_ms = self.start_ms  # (hang counts from here, wedge from the latest start)
        self.timeouts = 0  # frames the sensor did not deliver (timeout faults)
        self.invalid = 0  # frames that were not whole JPEGs, given back unseen
        self.xclk_mhz = xclk_mhz

    def current_set(self):
        band = 10 if self.settings["quality"] <= 20 else 30
        return self.sets["%d_%d" % (self.settings["framesize"], band)]

    def newest_n(self):
        return time.ticks_diff(time.ticks_ms(), self.start_ms) * self.fps // 1000

    def grab(self):
        faults = self.faults
        if faults is not None:
            now = time.ticks_ms()
            if faults.hangs(time.ticks_diff(now, self.first_start_ms)):
                _hang()
            if faults.wedged(time.ticks_diff(now, self.start_ms)):
                return None
        if self.paused_until is not None:
            if time.ticks_diff(self.paused_until, time.ticks_ms()) > 0:
                return None
            self.paused_until = None
        n = self.newest_n()
        if n <= self.last_n:
            return None
        frame = None
        for f in self.frames:
            if not f.held:
                frame = f
                break
        if frame is None:
            return None  # every buffer is still being sent: the sensor drops this frame
        fault = 0  # (fault_model.OK; the model's names are looked up only when it is on)
        if faults is not None:
            fault = faults.frame()
            if fault == fault_model.TIMEOUT:
                self.last_n = n
                self.timeouts += 1
                return None
        info = self.current_set()
        index = n % self.count
        if self.scene is not None:
            info = self.scene.info
            index = self.scene.index(time.ticks_diff(time.ticks_ms(), self.start_ms))
        row = info["frames"][index]
        mem = self.mems[frame.slot]
        length = row["len"]
        path = "%s/%s/%d.jpg" % (self.dir, info["key"], index)
        with open(path, "rb") as f:
            f.readinto(mem[:length])
        if fault:
            if fault == fault_model.TRUNCATE:
                length = fault_model.truncated(length)
            elif fault == fault_model.GARBAGE:
                mem[0] = 0
        if not jpeg_check.whole(mem, length):
            self.last_n = n  # the buffer goes straight back: nobody ever sees this frame
            self.invalid += 1
            return None
        frame.buf = mem[:length]
        frame.width = info["width"]
        frame.height = info["height"]
        frame.index = index
        frame.path = path
        # Capture time of frame n, on the wall clock (X-Timestamp).
        late_ms = time.ticks_diff(time.ticks_ms(), self.start_ms) - n * 1000 // self.fps
        us = time.time_ns() // 1000 - late_ms * 1000
        frame.timestamp = (us // 1000000, us % 1000000)
        frame.held = True
        self.last_n = n
        self.out += 1
        self.grabbed += 1
        return frame


def _hang():
    # A dead-locked driver call: the whole process stops here (only a watchdog ends it).
    while True:
        time.sleep_ms(1000)


def _need():
    if _state is None:
        raise OSError("camera not initialised")
    return _state


# init()'s keyword defaults are the settings' (settings.TABLE owns them; open_camera passes them all).
_D = settings.DEFAULTS


def init(
    framesize=_D["framesize"],
    quality=_D["quality"],
    fb_count=_D["fb_count"],
    grab_mode="latest",
    fps=_D["fps"],
    frames_dir=_D["frames_dir"],
    faults=_D["camera_faults"],
    xclk_mhz=_D["xclk_mhz"],
):
    """Load the manifest and allocate the frame buffers. OSError if the frames are missing;
    ValueError for a bad value (faults: camera/faults.py)."""
    global _state
    if fb_count < 1:
        raise ValueError("fb_count must be at least 1")
    if grab_mode != "latest":
        raise ValueError("the simulated camera only does grab_mode latest")
    if fps < 1 or fps > 120:
        raise ValueError("fps must be between 1 and 120")
    if xclk_mhz < XCLK_MHZ[0] or xclk_mhz > XCLK_MHZ[1]:
        raise ValueError("xclk_mhz must be between %d and %d" % XCLK_MHZ)
    try:
        with open(frames_dir + "/manifest.json") as f:
            manifest = json.load(f)
    except OSError:
        raise OSError("no rendered frames in %s (run: make frames)" % frames_dir)
    _state = None
    sim = _Sim(manifest, frames_dir, fb_count, fps, faults, xclk_mhz)
    sim.settings["framesize"] = sensor.check("framesize", framesize, sim.supported)
    sim.settings["quality"] = sensor.check("quality", quality)
    _state = sim


def deinit():
    global _state
    _state = None


def grab():
    """The newest frame since the last grab, or None (non-blocking)."""
    return _need().grab()


def poll_ms():
    """Milliseconds until the next frame is due."""
    sim = _need()
    due = (sim.last_n + 1) * 1000 // sim.fps
    wait = due - time.ticks_diff(time.ticks_ms(), sim.start_ms)
    return 1 if wait < 1 else wait


def get(name):
    sim = _need()
    if name in sim.settings:
        return sim.settings[name]
    if name in sensor.READ_ONLY:
        return sensor.READ_ONLY[name]
    raise ValueError("unknown setting: %s" % name)


def set(name, value):  # noqa: A001 - the CameraWebServer verb
    sim = _need()
    if name == "led_intensity":
        raise ValueError("this camera has no LED")
    sim.settings[name] = sensor.check(name, value, sim.supported)


def scene(spec):
    """Play the motion test scene (camera/sim_motion.py) from now on; ValueError if spec is
    not PERIOD:DURATION or the frames have no motion scene (render them again)."""
    from camserver.camera import sim_motion

    sim = _need()
    if sim.motion_set is None:
        raise ValueError("no motion scene in the rendered frames (run: make frames)")
    sim.scene = sim_motion.Scene(spec, sim.motion_set)
    sim.start_ms = time.ticks_ms()
    sim.last_n = -1


def thumb(frame, out):
    """The frame's luma thumbnail (one byte per 8x8 block) into out; (width, height). As
    camera_glue.thumb() on the board, but read from the file rendered beside the JPEG:
    MicroPython cannot decode JPEG."""
    w = (frame.width + 7) // 8
    h = (frame.height + 7) // 8
    if frame.path is None or not frame.held:
        raise ValueError("frame buffer released")
    if len(out) < w * h:
        raise ValueError("thumbnail buffer too small for this frame size")
    with open(frame.path[:-4] + ".thb", "rb") as f:
        if f.readinto(out) != w * h:
            raise ValueError("thumbnail file is short (run: make frames)")
    return w, h


def reinit():
    """Restart the sensor with the same configuration and settings (the recovery ladder's
    step); frames the app holds stay valid. OSError when the restart fails (init_fail)."""
    sim = _need()
    if sim.faults is not None and sim.faults.reinit_fails():
        raise OSError("camera init failed (simulated init_fail)")
    sim.start_ms = time.ticks_ms()
    sim.last_n = -1  # (a pause() stays: it stands for a stall from outside, which a restart does not cure)


def counts():
    """(timeouts, invalid frames) since init."""
    sim = _need()
    return sim.timeouts, sim.invalid


def pause(ms):
    """Deliver no frame for ms milliseconds, as a stalled sensor would (tests of the stream
    keep-alive; reached through the diagnostics route /test/pause)."""
    sim = _need()
    sim.paused_until = time.ticks_add(time.ticks_ms(), ms)


def status():
    sim = _need()
    out = dict(sim.settings)
    out.update(sensor.READ_ONLY)
    out["xclk"] = sim.xclk_mhz
    out["backend"] = "sim"
    out["framesizes"] = sim.supported
    out["fps"] = sim.fps
    out["grabbed"] = sim.grabbed
    return out


def frames_out():
    return _need().out
