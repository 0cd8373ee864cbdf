"""Sensor settings by CameraWebServer names, with esp32-camera's ranges.

Shared by the simulated camera (which validates with it) and the app (which
publishes the ranges in /status so the page builds its controls from them).
The ranges are settings.SENSOR's (esp32-camera's camera_status_t comments,
driver/include/sensor.h). camera_glue's C table (components/camera_glue/cg_settings.h,
camera_glue.RANGES) says the same; tests/c/camera_glue_checks.py compares the two.
"""

from camserver import settings

# framesize_t index -> (name, width, height), as in esp32-camera's sensor.h.
FRAMESIZES = (
    ("96X96", 96, 96),
    ("QQVGA", 160, 120),
    ("128X128", 128, 128),
    ("QCIF", 176, 144),
    ("HQVGA", 240, 176),
    ("240X240", 240, 240),
    ("QVGA", 320, 240),
    ("320X320", 320, 320),
    ("CIF", 400, 296),
    ("HVGA", 480, 320),
    ("VGA", 640, 480),
    ("SVGA", 800, 600),
    ("XGA", 1024, 768),
    ("HD", 1280, 720),
    ("SXGA", 1280, 1024),
    ("UXGA", 1600, 1200),
)

# name -> (min, max, default) of the settable sensor settings. The table that owns them is
# settings.SENSOR (settings.check validates them, /status "limits" shows them); this is its
# view in the shape camera_glue.RANGES has.
RANGES = {}
for _name in settings.SENSOR:
    _default, _low, _high = settings.SENSOR[_name]
    RANGES[_name] = (_low, _high, _default)

# Reported but not settable through /control (as in CameraWebServer).
READ_ONLY = {"xclk": 20, "pixformat": 4}  # 20 MHz; PIXFORMAT_JPEG is 4 in esp32-camera


def check(name, value, supported_framesizes=None):
    """Return value as an int if name is a settable field, value is in its range (settings.check)
    and, for framesize, one of supported_framesizes; ValueError with a one-line reason otherwise."""
    if name not in RANGES:
        raise ValueError("unknown setting: %s" % name)
    value = settings.check(name, value)
    if name == "framesize" and supported_framesizes is not None and value not in supported_framesizes:
        # (check() gave an int, as framesize's default is one; the type check cannot see that)
        label = FRAMESIZES[value][0]  # pyright: ignore[reportCallIssue]
        raise ValueError("framesize %d (%s) is not supported by this camera" % (value, label))
    return value


def defaults():
    """A fresh dict of every field at its default."""
    out = {}
    for name in RANGES:
        out[name] = RANGES[name][2]
    return out
