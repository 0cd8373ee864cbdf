"""All settings in one place: defaults in code, a JSON file on the device.

load() starts from DEFAULTS, applies the JSON file (when present) and then
"name=value" overrides (what `make sim SET=...` passes). A missing or broken
file never stops the device: the defaults are used and one console line says
why. Values are coerced to the type of the default, so the file and the
command line can both say "nodelay": 0.
"""

import json
import os

from camserver import log
from camserver.camera import sensor

PATH = "/settings.json"

DEFAULTS = {
    # -- server (transport and HTTP limits) --
    "host": "0.0.0.0",
    "port": 80,
    "chunk_size": 4096,  # bytes per socket write; 4096 beats the 1460 MSS (hardening 3 in the README)
    "nodelay": True,  # TCP_NODELAY on every accepted socket (hardening 2 in the README)
    # The board's lwIP has 20 sockets (CONFIG_LWIP_MAX_SOCKETS, firmware/sdkconfig.streaming):
    # these 12 (an RTSP UDP session's two sockets take two of them), the one that gets the 503,
    # the listeners on 80, 81 and 554, spare.
    "max_connections": 12,
    "max_per_peer": 6,  # connections one client address may hold, so one host cannot take every slot
    "backlog": 4,
    "send_buffer": 0,  # SO_SNDBUF for accepted sockets, host only (0: the system's; see sockopts.py)
    "header_timeout_ms": 10000,  # request head (and body) must arrive within this, else 408
    "idle_timeout_ms": 5000,  # keep-alive connection with no new request is closed
    "send_timeout_ms": 10000,  # a peer that stops reading for this long is dropped
    "max_request_line": 2048,
    "max_header_bytes": 4096,
    "max_headers": 32,
    "max_body": 16384,
    "log_level": "info",
    "diagnostics": False,  # /test/gc measurement window (benchmarks only)
    # -- camera application --
    "framesize": 10,  # esp32-camera framesize_t index: 10 = VGA 640x480
    "quality": 12,
    # (the other sensor settings, brightness and the rest, are added below from camera/sensor.py)
    "rotate": 0,  # degrees clockwise the picture needs to be viewed upright: 0, 90, 180, 270 (EXIF)
    "save_delay_ms": 3000,  # /control changes reach the settings file once quiet this long (app/persist.py)
    "fb_count": 2,
    "fps": 25,  # camera frame rate cap
    "idle_fps": 1,  # frame rate while nobody watches (0 pauses the camera)
    "stream_keepalive_ms": 5000,  # a stream with no new frame for this long gets the last one again
    "cors_origin": "",  # "" same-origin only; one origin (http://host:port) or "*" may read
    "auth_user": "",  # Basic/Digest auth guards every route when either is set
    "auth_password": "",
    "auth_guesses": 5,  # wrong credentials in a row before an address must wait (0: no limit)
    "rtsp_port": 554,  # RTSP (RTP/JPEG) on this port; 0: off (the host and sim use 8554)
    "rtsp_timeout_s": 60,  # an RTSP session with no request (or RTCP) from its client for this long ends
    "stream_port": False,  # also serve /stream on port + 1 (CameraWebServer's :81)
    "frames_dir": "build/frames",  # simulated camera only: rendered JPEG frames
    # The sensor's clock (esp32-camera's xclk_freq_hz): 10 cures "frame on time" errors on many boards.
    "xclk_mhz": 20,
    "camera_stall_ms": 3000,  # no frame this long while wanted: the camera restarts (camera/recovery.py)
    "camera_reinit_tries": 3,  # restarts without a frame before the device resets (cause "camera")
    "camera_faults": "",  # host only: a misbehaving camera (camera/faults.py); the board refuses it
    # -- device (Wi-Fi) --
    "hostname": "camserver",  # also a Host the server answers to (with .local)
    "allowed_hosts": "",  # more Host names to answer to, comma-separated (a reverse proxy's)
    "wifi_ssid": "",
    "wifi_password": "",
    # Credentials saved from the page and not yet joined: tried once, then they become
    # wifi_ssid/wifi_password or are dropped (camserver.device.wifi).
    "wifi_pending_ssid": "",
    "wifi_pending_password": "",
    "wifi_timeout_ms": 20000,
    "ap_password": "",
    "ntp_server": "pool.ntp.org",  # SNTP after the network is up, on the board ("" disables)
}
# Every sensor setting /control changes (brightness, contrast, ...) is a setting too, so a change
# can be saved and the next boot starts with it (its default is the sensor's, sensor.RANGES).
for _name in sensor.RANGES:
    if _name not in DEFAULTS:
        DEFAULTS[_name] = sensor.RANGES[_name][2]


def _coerce(name, value):
    """Return value converted to the type of DEFAULTS[name]; ValueError if it cannot be."""
    default = DEFAULTS[name]
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError("%s: expected a boolean, got %r" % (name, value))
    if isinstance(default, int):
        if isinstance(value, bool):
            raise ValueError("%s: expected an integer, got %r" % (name, value))
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError("%s: expected an integer, got %r" % (name, value))
    if name == "log_level":
        log.parse_level(value)  # ValueError: unknown log level
    return str(value)


def apply(config, updates, strict=True):
    """Merge a dict of updates into config. Unknown names or bad values raise
    ValueError when strict, else are reported on the console and skipped."""
    for name in updates:
        try:
            if name not in DEFAULTS:
                raise ValueError("unknown setting: " + str(name))
            config[name] = _coerce(name, updates[name])
        except ValueError as e:
            if strict:
                raise
            log.warning("settings: %s (ignored)", e)
    return config


def parse_overrides(items):
    """Turn ["chunk_size=1460", "nodelay=0"] into a dict; ValueError on a bad item."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError("override must be name=value: " + item)
        name, value = item.split("=", 1)
        out[name.strip()] = value.strip()
    return out


def read_file(path):
    """Return the dict in the JSON file at path, or None (with one console line
    saying why) when it is missing or broken."""
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError:
        log.info("settings: no %s, using defaults", path)
        return None
    except ValueError as e:
        log.warning("settings: %s is not valid JSON (%s), using defaults", path, e)
        return None
    if not isinstance(data, dict):
        log.warning("settings: %s is not a JSON object, using defaults", path)
        return None
    return data


def load(path=PATH, overrides=None):
    """Defaults, then the file at path (if any), then overrides (strict)."""
    config = dict(DEFAULTS)
    if path:
        data = read_file(path)
        if data:
            apply(config, data, strict=False)
    if overrides:
        apply(config, overrides)
    return config


def save(config, path=PATH):
    """Write the settings that differ from the defaults to path (atomically: write_json)."""
    changed = {}
    for name in config:
        if name in DEFAULTS and config[name] != DEFAULTS[name]:
            changed[name] = config[name]
    write_json(path, changed)


def write_json(path, data):
    """data as JSON in path, atomically: a reset or power cut during the write must leave the
    old file or the new one, never half of one (the board would boot with the defaults and
    forget its network), so the text goes to a file beside it that is then renamed over it
    (littlefs and the unix port replace the target in one step)."""
    temp = path + ".tmp"
    with open(temp, "w") as f:
        json.dump(data, f)
    os.rename(temp, path)
