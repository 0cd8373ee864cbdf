"""All settings in one place: defaults in code, a JSON file on the device.

load() starts from DEFAULTS, applies the JSON file (when present) and then
"name=value" overrides (what `make sim SET=...` passes). A missing or broken
file never stops the device: the defaults are used and one console line says
why. Every value goes through check(), against the one TABLE of types and
ranges: coerced to the type of the default (the file and the command line can
both say "nodelay": 0), refused with one line naming the setting and its range.
"""

import json
import os

from camserver import log

PATH = "/settings.json"

# Every setting, its default and the values it takes: the one table that SET=, the settings file,
# /control (and /status "limits", through camera/sensor.py) check against, with check() below.
#   (default, low, high)          an integer from low to high
#   (default, low, high, "off")   the same, or 0, which means what the fourth item says
#   (default, (choices, ...))     one of these values
#   (default,)                    any value of the default's type: a flag (bool) or text (str)
TABLE = {
    # -- server (transport and HTTP limits) --
    "host": ("0.0.0.0",),
    "port": (80, 1, 65535),
    # bytes per socket write; 4096 beats the 1460 MSS (hardening 3 in the README). 0 would never
    # finish a response, a few bytes would make every frame thousands of writes.
    "chunk_size": (4096, 256, 131072),
    "nodelay": (True,),  # TCP_NODELAY on every accepted socket (hardening 2 in the README)
    # The board's lwIP has 20 sockets (CONFIG_LWIP_MAX_SOCKETS, firmware/sdkconfig.streaming):
    # these 12 (an RTSP UDP session's two sockets take two of them), the one that gets the 503,
    # the listeners on 80, 81 and 554, spare. (More only helps on the host.)
    "max_connections": (12, 1, 64),
    "max_per_peer": (6, 1, 64),  # connections one client address may hold, so one host cannot take every slot
    "backlog": (4, 1, 32),
    # SO_SNDBUF for accepted sockets, host only (0: the system's; see sockopts.py)
    "send_buffer": (0, 1024, 4194304, "the system's"),
    "header_timeout_ms": (10000, 100, 600000),  # request head (and body) must arrive within this, else 408
    "idle_timeout_ms": (5000, 100, 3600000),  # keep-alive connection with no new request is closed
    "send_timeout_ms": (10000, 100, 600000),  # a peer that stops reading for this long is dropped
    "max_request_line": (2048, 64, 16384),
    "max_header_bytes": (4096, 256, 65536),
    "max_headers": (32, 1, 256),
    "max_body": (16384, 0, 1048576),  # (POST /ota streams its body: not bounded by this)
    "log_level": ("info", tuple(sorted(log.NAMES, key=lambda n: log.NAMES[n]))),  # trace ... error
    "diagnostics": (False,),  # /test/gc measurement window (benchmarks only)
    # -- camera application (framesize, quality and the other sensor settings: SENSOR below) --
    "rotate": (0, (0, 90, 180, 270)),  # degrees clockwise the picture needs to be viewed upright (EXIF)
    "save_delay_ms": (3000, 0, 600000),  # /control changes reach the settings file once quiet this long
    "fb_count": (2, 1, 4),  # frame buffers (camera_glue takes 1..4)
    "fps": (25, 1, 120),  # camera frame rate cap
    "idle_fps": (1, 0, 120),  # frame rate while nobody watches (0 pauses the camera)
    # a stream with no new frame for this long gets the last one again
    "stream_keepalive_ms": (5000, 100, 600000, "off"),
    "cors_origin": ("",),  # "" same-origin only; one origin (http://host:port) or "*" may read
    "auth_user": ("",),  # Basic/Digest auth guards every route when either is set
    "auth_password": ("",),
    # wrong credentials in a row before an address must wait
    "auth_guesses": (5, 1, 1000, "no limit"),
    "rtsp_port": (554, 1, 65535, "off"),  # RTSP (RTP/JPEG) on this port (the host and sim use 8554)
    # an RTSP session with no request (or RTCP) from its client for this long ends
    "rtsp_timeout_s": (60, 1, 3600),
    "stream_port": (False,),  # also serve /stream on port + 1 (CameraWebServer's :81)
    "frames_dir": ("build/frames",),  # simulated camera only: rendered JPEG frames
    # The sensor's clock (esp32-camera's xclk_freq_hz): 10 cures "frame on time" errors on many boards.
    "xclk_mhz": (20, 1, 24),
    # no valid frame this long while frames are wanted: the camera restarts (camera/recovery.py)
    "camera_stall_ms": (3000, 100, 600000, "off"),
    "camera_reinit_tries": (3, 1, 100),  # restarts without a frame before the device resets (cause "camera")
    # host only: a misbehaving camera (camera/faults.py checks it at camera start); the board refuses it
    "camera_faults": ("",),
    # -- motion detection (camserver/motion/, docs/motion.md) --
    "motion": (False,),  # detect motion (the camera then grabs at motion_fps while nobody watches)
    "motion_fps": (5, 1, 25),  # frames analysed per second
    "motion_sensitivity": (50, 1, 100),  # higher sees smaller and fainter changes
    "motion_hold_s": (2, 1, 600),  # motion stops after this long without a changed frame
    "motion_zones": ("",),  # "x,y,w,h;..." rectangles in percent of the frame; "" the whole frame
    "sim_motion": ("",),  # simulated camera only: "PERIOD:DURATION" s, the motion test scene
    # -- device (Wi-Fi; device/creds.py checks credentials where they are used) --
    "hostname": ("camserver",),  # also a Host the server answers to (with .local)
    "allowed_hosts": ("",),  # more Host names to answer to, comma-separated (a reverse proxy's)
    "wifi_ssid": ("",),
    "wifi_password": ("",),
    # Credentials saved from the page and not yet joined: tried once, then they become
    # wifi_ssid/wifi_password or are dropped (camserver.device.wifi).
    "wifi_pending_ssid": ("",),
    "wifi_pending_password": ("",),
    "wifi_timeout_ms": (20000, 100, 600000),
    "ap_password": ("",),
    "ntp_server": ("pool.ntp.org",),  # SNTP after the network is up, on the board ("" disables)
    # -- MQTT and Home Assistant (camserver/mqtt) --
    "mqtt_host": ("",),  # the broker's address ("": no MQTT); a name is looked up once (that blocks)
    "mqtt_port": (1883, 1, 65535),
    "mqtt_user": ("",),
    "mqtt_password": ("",),
    "mqtt_topic": ("",),  # base topic ("": camserver/<hostname>)
    "mqtt_discovery": ("homeassistant",),  # Home Assistant's discovery prefix ("": no discovery)
    "mqtt_tls": (False,),  # TLS to the broker (the port's ssl module)
    "mqtt_ca": ("",),  # CA certificate file (PEM) TLS checks the broker against ("": not checked)
    "mqtt_keepalive_s": (30, 1, 3600),  # ping period; a broker silent or not reading this long is left
    # machine.WDT fed by the event loop: a loop stalled this long resets the device
    "watchdog_s": (30, 1, 3600, "off"),
}

# The sensor settings /control changes, by CameraWebServer's names, with esp32-camera's ranges
# (camera_status_t in driver/include/sensor.h). Settings too, so a change can be saved and the
# next boot starts with it. camera/sensor.py serves them to the cameras as RANGES; camera_glue's C
# table (components/camera_glue/cg_settings.h) says the same, tests/c/camera_glue_checks.py compares.
SENSOR = {
    # framesize_t index (10 = VGA 640x480); the max is the last of sensor.FRAMESIZES (the
    # OV2640's largest): a backend may support fewer sizes, and says which.
    "framesize": (10, 0, 15),
    "quality": (12, 0, 63),  # JPEG quality, lower is better
    "brightness": (0, -2, 2),
    "contrast": (0, -2, 2),
    "saturation": (0, -2, 2),
    "sharpness": (0, -2, 2),
    "special_effect": (0, 0, 6),
    "wb_mode": (0, 0, 4),
    "awb": (1, 0, 1),
    "awb_gain": (1, 0, 1),
    "aec": (1, 0, 1),
    "aec2": (0, 0, 1),
    "ae_level": (0, -2, 2),
    "aec_value": (168, 0, 1200),
    "agc": (1, 0, 1),
    "agc_gain": (0, 0, 30),
    "gainceiling": (0, 0, 6),
    "bpc": (0, 0, 1),
    "wpc": (1, 0, 1),
    "raw_gma": (1, 0, 1),
    "lenc": (1, 0, 1),
    "hmirror": (0, 0, 1),
    "vflip": (0, 0, 1),
    "dcw": (1, 0, 1),
    "colorbar": (0, 0, 1),
    "led_intensity": (0, 0, 255),
}
TABLE.update(SENSOR)

DEFAULTS = {}
for _name in TABLE:
    DEFAULTS[_name] = TABLE[_name][0]


class SettingError(ValueError):
    """A setting's value that cannot be used: out of its range (check()), or a port another
    program holds (server.py). Its text is the one line a user sees."""


def describe(name):
    """The values name takes, in words: "between 1 and 65535", "0, 90, 180 or 270"."""
    spec = TABLE[name]
    if len(spec) == 1:
        return "0 or 1" if isinstance(spec[0], bool) else "text"
    if len(spec) == 2:
        words = [str(choice) for choice in spec[1]]
        return ", ".join(words[:-1]) + " or " + words[-1]
    out = "between %d and %d" % (spec[1], spec[2])
    return out if len(spec) == 3 else "0 (%s) or %s" % (spec[3], out)


def check(name, value):
    """value (an int, a bool, or text from the command line or a query string) as the type of
    name's default, if it is in name's range; SettingError with one line naming the setting and
    its range otherwise. What /control, the settings file and SET= (and MQTT) go through."""
    spec = TABLE.get(name)
    if spec is None:
        raise SettingError("unknown setting: %s" % name)
    default = spec[0]
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingError("%s must be 0 or 1, got %r" % (name, value))
    if isinstance(default, int):
        if isinstance(value, bool):  # (a JSON true is not a port)
            raise SettingError("%s needs an integer, got %r" % (name, value))
        if not isinstance(value, int):
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise SettingError("%s needs an integer, got %r" % (name, value))
        if len(spec) == 2:
            if value not in spec[1]:
                raise SettingError("%s must be %s, got %d" % (name, describe(name), value))
        elif not (spec[1] <= value <= spec[2] or (value == 0 and len(spec) == 4)):
            raise SettingError("%s must be %s, got %d" % (name, describe(name), value))
        return value
    if isinstance(value, (bool, int)) and len(spec) == 1:
        raise SettingError("%s needs text, got %r" % (name, value))
    value = str(value)
    if len(spec) == 2:
        lowered = value.lower()  # (log_level=INFO)
        if lowered not in spec[1]:
            raise SettingError("%s must be %s, got %r" % (name, describe(name), value))
        return lowered
    return value


def apply(config, updates, strict=True):
    """Merge a dict of updates into config, each through check(). Unknown names or bad values
    raise SettingError when strict (SET=), else each is one WARNING line and the value config
    had stays (a settings file: the device starts with the default rather than not at all)."""
    for name in updates:
        try:
            config[name] = check(name, updates[name])
        except SettingError as e:
            if strict:
                raise
            if name in config:
                log.warning("settings: %s; using %r", e, config[name])
            else:
                log.warning("settings: %s (ignored)", e)
    return config


def parse_overrides(items):
    """Turn ["chunk_size=1460", "nodelay=0"] into a dict; ValueError on a bad item."""
    out = {}
    for item in items:
        if "=" not in item:
            raise SettingError("override must be name=value: " + item)
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


class Store:
    """The settings file and the one way the running device writes it: /control changes through
    Persist (app/persist.py, which decides when), new Wi-Fi credentials from the page's form
    (device.save_wifi) and the Wi-Fi watcher keeping or dropping them (device/wifi.py) all save
    through the one Store device.boot made for the file the boot read."""

    def __init__(self, path):
        self.path = path

    def save(self, config):
        """Write config (its values that differ from the defaults) to the file, atomically;
        OSError when the filesystem refuses (the old file is then still there)."""
        save(config, self.path)


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
