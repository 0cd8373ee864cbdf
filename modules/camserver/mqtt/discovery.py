"""Home Assistant's MQTT discovery: which entities the camera has, and their configs.

Each entity is published retained on <prefix>/<component>/<node>/<object>/config with the same
device block, so Home Assistant shows one device. Topics under the base topic:
    <base>/status           availability: online, or offline (clean stop and last will)
    <base>/<setting>        a setting's state; <base>/<setting>/set changes it
    <base>/motion           ON / OFF
    <base>/snapshot         one JPEG per message (the camera entity)
    <base>/diagnostics      JSON the diagnostic sensors read with value_template
    <base>/update           {"installed_version", "latest_version"}
    <base>/restart/set, <base>/snapshot/set   the buttons (PRESS)
Pure: it makes dicts; the service publishes them.
"""

from camserver.camera import sensor

# Settings that are entities: setting -> (component, name). A setting this build lacks (motion
# detection's, until it is there) is left out.
NUMBERS = ("quality", "brightness", "contrast", "saturation", "motion_sensitivity")
SWITCHES = ("vflip", "hmirror", "motion", "led_intensity")
_NAMES = {
    "framesize": "Frame size",
    "quality": "JPEG quality",
    "brightness": "Brightness",
    "contrast": "Contrast",
    "saturation": "Saturation",
    "motion_sensitivity": "Motion sensitivity",
    "vflip": "Flip vertically",
    "hmirror": "Mirror",
    "motion": "Motion detection",
    "led_intensity": "LED",
}
# The diagnostic sensors: key in the diagnostics JSON -> (name, unit, device_class).
SENSORS = (
    ("fps", "Frame rate", "fps", None),
    ("viewers", "Viewers", None, None),
    ("rssi", "Wi-Fi signal", "dBm", "signal_strength"),
    ("uptime", "Uptime", "s", "duration"),
    ("heap_free", "Free heap", "B", "data_size"),
    ("last_reset", "Last reset cause", None, None),
)


def device(node, name, model, version, url):
    """The device block every config carries (configuration_url: the page, never credentials)."""
    return {
        "identifiers": [node],
        "name": name,
        "manufacturer": "camserver",
        "model": model,
        "sw_version": version,
        "configuration_url": url,
    }


class Entities:
    """The configs for one camera. settings: the names the camera has as settings; framesizes:
    the sizes it offers; diagnostics: the keys its diagnostics JSON carries; restart: whether
    it can be restarted."""

    def __init__(self, base, node, dev, settings, framesizes, diagnostics, restart):
        self.base = base
        self.node = node
        self.device = dev
        self.settings = settings
        self.framesizes = framesizes
        self.diagnostics = diagnostics
        self.restart = restart

    def _common(self, object_id, name):
        return {
            "name": name,
            "unique_id": self.node + "_" + object_id,
            "device": self.device,
            "availability_topic": self.base + "/status",
        }

    def _setting(self, name):
        config = self._common(name, _NAMES[name])
        config["state_topic"] = self.base + "/" + name
        config["command_topic"] = self.base + "/" + name + "/set"
        config["entity_category"] = "config"
        return config

    def configs(self):
        """[(component, object_id, config dict)] for every entity this camera has."""
        base = self.base
        out = []
        camera = self._common("snapshot", "Snapshot")
        camera["topic"] = base + "/snapshot"
        out.append(("camera", "snapshot", camera))
        motion = self._common("motion", "Motion")
        motion["state_topic"] = base + "/motion"
        motion["device_class"] = "motion"
        out.append(("binary_sensor", "motion", motion))
        if "framesize" in self.settings:
            select = self._setting("framesize")
            select["options"] = [sensor.FRAMESIZES[i][0] for i in self.framesizes]
            out.append(("select", "framesize", select))
        for name in NUMBERS:
            if name in self.settings:
                number = self._setting(name)
                number["min"], number["max"] = sensor.RANGES[name][:2] if name in sensor.RANGES else (0, 100)
                number["step"] = 1
                number["mode"] = "slider"
                out.append(("number", name, number))
        for name in SWITCHES:
            if name in self.settings:
                out.append(("switch", name, self._setting(name)))
        for key, name, unit, device_class in SENSORS:
            if key in self.diagnostics:
                config = self._common(key, name)
                config["state_topic"] = base + "/diagnostics"
                config["value_template"] = "{{ value_json.%s }}" % key
                config["entity_category"] = "diagnostic"
                if unit:
                    config["unit_of_measurement"] = unit
                    config["state_class"] = "measurement"
                if device_class:
                    config["device_class"] = device_class
                out.append(("sensor", key, config))
        for object_id, name, wanted in (
            ("restart", "Restart", self.restart),
            ("snapshot", "Take snapshot", True),
        ):
            if wanted:
                button = self._common(object_id + "_button", name)
                button["command_topic"] = base + "/" + object_id + "/set"
                button["payload_press"] = "PRESS"
                if object_id == "restart":
                    button["device_class"] = "restart"
                    button["entity_category"] = "config"
                out.append(("button", object_id, button))
        update = self._common("firmware", "Firmware")
        update["state_topic"] = base + "/update"
        update["device_class"] = "firmware"
        out.append(("update", "firmware", update))
        return out


def state(name, value):
    """A setting's value as its entity's state payload."""
    if name == "framesize":
        return sensor.FRAMESIZES[value][0] if 0 <= value < len(sensor.FRAMESIZES) else str(value)
    if name in SWITCHES:
        return "ON" if value > 0 else "OFF"
    return str(value)


def command(name, payload):
    """An entity's command payload as the setting's value text (what /control's val would be);
    ValueError when it is no value of that entity."""
    if name == "framesize":
        for i in range(len(sensor.FRAMESIZES)):
            if sensor.FRAMESIZES[i][0] == payload:
                return str(i)
        raise ValueError("framesize: unknown frame size %r" % payload)
    if name in SWITCHES:
        if payload == "ON":
            return "255" if name == "led_intensity" else "1"
        if payload == "OFF":
            return "0"
        raise ValueError("%s: expected ON or OFF, got %r" % (name, payload))
    return payload
