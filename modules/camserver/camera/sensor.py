"""Sensor settings by CameraWebServer names, with esp32-camera's ranges.

Shared by the simulated camera (which validates with it) and the app (which
publishes the ranges in /status so the page builds its controls from them).
Ranges follow esp32-camera's camera_status_t comments (driver/include/sensor.h).
camera_glue's C table (components/camera_glue/cg_settings.h, camera_glue.RANGES)
says the same; tests/c/camera_glue_checks.py compares the two.
"""

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

# name -> (min, max, default). framesize's max is the last of FRAMESIZES (the
# OV2640's largest; camera_glue stops there too); a backend may support fewer sizes
# and says which in its status()["framesizes"].
RANGES = {
    "framesize": (0, 15, 10),
    "quality": (0, 63, 12),
    "brightness": (-2, 2, 0),
    "contrast": (-2, 2, 0),
    "saturation": (-2, 2, 0),
    "sharpness": (-2, 2, 0),
    "special_effect": (0, 6, 0),
    "wb_mode": (0, 4, 0),
    "awb": (0, 1, 1),
    "awb_gain": (0, 1, 1),
    "aec": (0, 1, 1),
    "aec2": (0, 1, 0),
    "ae_level": (-2, 2, 0),
    "aec_value": (0, 1200, 168),
    "agc": (0, 1, 1),
    "agc_gain": (0, 30, 0),
    "gainceiling": (0, 6, 0),
    "bpc": (0, 1, 0),
    "wpc": (0, 1, 1),
    "raw_gma": (0, 1, 1),
    "lenc": (0, 1, 1),
    "hmirror": (0, 1, 0),
    "vflip": (0, 1, 0),
    "dcw": (0, 1, 1),
    "colorbar": (0, 1, 0),
    "led_intensity": (0, 255, 0),
}

# Reported but not settable through /control (as in CameraWebServer).
READ_ONLY = {"xclk": 20, "pixformat": 4}  # 20 MHz; PIXFORMAT_JPEG is 4 in esp32-camera


def check(name, value, supported_framesizes=None):
    """Return value as an int if name is a settable field and value is in range;
    ValueError with a one-line reason otherwise."""
    if name not in RANGES:
        raise ValueError("unknown setting: %s" % name)
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ValueError("%s needs an integer, got %r" % (name, value))
    low, high, _ = RANGES[name]
    if value < low or value > high:
        raise ValueError("%s must be between %d and %d, got %d" % (name, low, high, value))
    if name == "framesize" and supported_framesizes is not None and value not in supported_framesizes:
        raise ValueError("framesize %d (%s) is not supported by this camera" % (value, FRAMESIZES[value][0]))
    return value


def defaults():
    """A fresh dict of every field at its default."""
    out = {}
    for name in RANGES:
        out[name] = RANGES[name][2]
    return out
