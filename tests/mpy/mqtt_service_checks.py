"""The MQTT service (camserver/mqtt/service.py) with a stand-in camera, routes and motion
detector, inside MicroPython: what it queues for the broker, and what a command changes."""

import json

import check
from camserver import settings
from camserver.mqtt.service import MqttService

BASE = "camserver/camserver"


class Camera:
    def __init__(self):
        self.values = {"framesize": 10, "quality": 12, "brightness": 0, "contrast": 0, "saturation": 0}
        self.values.update({"vflip": 0, "hmirror": 0, "led_intensity": 0})

    def get(self, name):
        if name not in self.values:
            raise ValueError("unknown setting: " + name)
        return self.values[name]

    def status(self):
        return {"framesizes": [6, 10]}


class Routes:
    """CameraRoutes' side the service uses: change() records what reached it."""

    def __init__(self):
        self.camera = Camera()
        self.watchers = []
        self.changes = []

    def change(self, name, value):
        number = int(value)  # (ValueError for what /control would refuse as no integer)
        self.changes.append((name, value))
        for watcher in self.watchers:
            watcher(name, number)


class Hub:
    grabbed = 0
    viewers = []


class Server:
    started_ns = 0


class Motion:
    """What the motion detector (camserver.motion.detector) offers: active, and listeners
    called with it after each start and stop."""

    def __init__(self):
        self.active = False
        self.listeners = []

    def set(self, active):
        self.active = active
        for fn in self.listeners:
            fn(self)


def _service(**overrides):
    config = dict(settings.DEFAULTS)
    config["mqtt_host"] = "127.0.0.1"
    config.update(overrides)
    routes = Routes()
    service = MqttService(config, routes, Hub(), Server(), restart=lambda: None)
    service.url = "http://192.0.2.5/"
    return service, routes


def _queued(service):
    out = {}
    for message in service.client.outbox.messages:
        out[message.topic] = message.payload
    return out


def test_motion_start_publishes_on_and_queues_a_snapshot():
    service, _ = _service()
    motion = Motion()
    service.attach_motion(motion)
    motion.set(True)
    assert _queued(service)[BASE + "/motion"] == b"ON"
    assert len(service.client._jobs) == 1
    motion.set(False)
    assert _queued(service)[BASE + "/motion"] == b"OFF"
    assert len(service.client._jobs) == 1  # a stop takes no snapshot
    service._announce()
    assert _queued(service)[BASE + "/motion"] == b"OFF"


def test_diagnostics_name_the_last_reset_cause():
    service, _ = _service()
    service._announce()
    diagnostics = json.loads(_queued(service)[BASE + "/diagnostics"])
    assert "last_reset" not in diagnostics, diagnostics  # (no boot record: nothing to tell)
    service.last_reset = {"cause": "watchdog", "reason": "task watchdog", "uptime_s": None}
    service._announce()
    assert json.loads(_queued(service)[BASE + "/diagnostics"])["last_reset"] == "watchdog"


def test_commands_reach_the_routes_as_control_values():
    service, routes = _service()
    for topic, payload in (("vflip", b"ON"), ("hmirror", b"OFF"), ("framesize", b"QVGA"), ("quality", b"20")):
        service._message(BASE + "/" + topic + "/set", memoryview(payload))
    service._message(BASE + "/led_intensity/set", memoryview(b"ON"))
    assert routes.changes == [
        ("vflip", "1"),
        ("hmirror", "0"),
        ("framesize", "6"),
        ("quality", "20"),
        ("led_intensity", "255"),
    ]
    queued = _queued(service)
    assert queued[BASE + "/framesize"] == b"QVGA" and queued[BASE + "/vflip"] == b"ON"


def test_bad_commands_reach_nothing():
    service, routes = _service()
    for topic, payload in (
        ("vflip", b"maybe"),
        ("framesize", b"HUGE"),
        ("quality", b"\xff\xfe"),
        ("quality", b"1" * 100),
        ("nosuch", b"1"),
        ("status", b"online"),
    ):
        service._message(BASE + "/" + topic + "/set", memoryview(payload))
    service._message(BASE + "/quality", memoryview(b"1"))  # a state topic, not a command
    service._message("other/quality/set", memoryview(b"1"))
    assert routes.changes == []


def test_every_config_names_one_device_and_no_credential():
    service, _ = _service(
        mqtt_user="u", mqtt_password="secret-pw", auth_user="a", auth_password="secret-auth"
    )
    service._announce()
    devices = set()
    components = set()
    for topic, payload in _queued(service).items():
        assert b"secret" not in payload
        if topic.startswith("homeassistant/"):
            config = json.loads(payload)
            devices.add(json.dumps(config["device"]))
            components.add(topic.split("/")[1])
    assert len(devices) == 1
    assert json.loads(devices.pop())["configuration_url"] == "http://192.0.2.5/"
    for component in ("camera", "binary_sensor", "select", "number", "switch", "sensor", "button", "update"):
        assert component in components, component


def test_settings_the_camera_has_become_entities():
    service, _ = _service()
    service._announce()
    topics = _queued(service)
    assert "homeassistant/switch/camserver/led_intensity/config" in topics  # this camera has an LED
    assert "homeassistant/switch/camserver/motion/config" in topics
    config = json.loads(topics["homeassistant/number/camserver/motion_sensitivity/config"])
    assert config["command_topic"] == BASE + "/motion_sensitivity/set"
    service, _ = _service()
    del service.config["motion_sensitivity"]  # (a setting a build lacks is no entity)
    service._announce()
    assert "homeassistant/number/camserver/motion_sensitivity/config" not in _queued(service)


def test_a_base_topic_with_wildcards_is_refused():
    for bad in ("cam/#", "cam/+/x", "cam/"):
        check.raises(ValueError, lambda topic=bad: _service(mqtt_topic=topic))


def test_no_discovery_prefix_no_configs():
    service, _ = _service(mqtt_discovery="")
    service._announce()
    for topic in _queued(service):
        assert topic.startswith(BASE + "/"), topic
    assert service.client.subscriptions == [BASE + "/+/set"]


check.run(globals())
