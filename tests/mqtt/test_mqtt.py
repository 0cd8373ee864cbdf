"""The camera on a real broker (Debian's mosquitto), seen by a paho-mqtt client playing Home
Assistant: discovery, availability, commands through /control's path, snapshots, reconnects,
credentials, hostile payloads, and a broker that stops reading."""

import io
import json
import socket
import threading
import time

import pytest
from broker import Broker, HomeAssistant, certificate
from httpclient import get
from PIL import Image
from simserver import free_port

BASE = "camserver/camserver"
PREFIX = "homeassistant"

# Home Assistant's MQTT discovery schema, per component, from its documentation
# (home-assistant.io/integrations/<component>.mqtt): the keys a config must have, and the keys
# it may have besides the ones every MQTT entity takes.
COMMON = {
    "name", "unique_id", "object_id", "default_entity_id", "device", "origin", "availability",
    "availability_topic", "availability_mode", "availability_template", "payload_available",
    "payload_not_available", "entity_category", "entity_picture", "icon", "qos", "encoding",
    "enabled_by_default", "json_attributes_topic", "json_attributes_template",
}  # fmt: skip
SCHEMA = {
    "camera": ({"topic"}, {"image_encoding"}),
    "binary_sensor": (
        {"state_topic"},
        {
            "device_class",
            "payload_on",
            "payload_off",
            "value_template",
            "off_delay",
            "expire_after",
            "force_update",
        },
    ),
    "select": (
        {"command_topic", "options"},
        {"state_topic", "command_template", "value_template", "optimistic", "retain"},
    ),
    "number": (
        {"command_topic"},
        {
            "min",
            "max",
            "step",
            "mode",
            "state_topic",
            "unit_of_measurement",
            "device_class",
            "command_template",
            "value_template",
            "optimistic",
            "retain",
            "payload_reset",
        },
    ),  # fmt: skip
    "switch": (
        {"command_topic"},
        {
            "state_topic",
            "payload_on",
            "payload_off",
            "state_on",
            "state_off",
            "device_class",
            "optimistic",
            "retain",
            "value_template",
            "command_template",
        },
    ),  # fmt: skip
    "sensor": (
        {"state_topic"},
        {
            "device_class",
            "state_class",
            "unit_of_measurement",
            "value_template",
            "expire_after",
            "force_update",
            "suggested_display_precision",
            "last_reset_value_template",
            "options",
        },
    ),  # fmt: skip
    "button": ({"command_topic"}, {"payload_press", "device_class", "command_template", "retain"}),
    "update": (
        set(),  # state_topic or latest_version_topic: checked below
        {
            "state_topic",
            "latest_version_topic",
            "latest_version_template",
            "value_template",
            "command_topic",
            "payload_install",
            "title",
            "release_url",
            "release_summary",
            "device_class",
            "retain",
            "display_precision",
        },
    ),  # fmt: skip
}
DEVICE_KEYS = {
    "identifiers", "connections", "name", "manufacturer", "model", "model_id", "sw_version", "hw_version",
    "serial_number", "configuration_url", "suggested_area", "via_device",
}  # fmt: skip
WANTED = {"camera", "binary_sensor", "sensor", "switch", "button", "number", "select", "update"}


@pytest.fixture
def broker(tmp_path):
    started = []

    def start(**kwargs):
        b = Broker(str(tmp_path), **kwargs)
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()


@pytest.fixture
def home_assistant():
    clients = []

    def connect(b, ca=None):
        ha = HomeAssistant(b, ca)
        clients.append(ha)
        return ha

    yield connect
    for ha in clients:
        ha.close()


def _camera(sim, b, **settings):
    return sim(mqtt_host="127.0.0.1", mqtt_port=b.port, **settings)


def _configs(ha):
    out = {}
    for topic, payload in list(ha.messages.items()):
        if topic.startswith(PREFIX + "/") and topic.endswith("/config") and payload:
            out[topic] = json.loads(payload)
    return out


def _wait_discovery(ha):
    def complete():
        components = {topic.split("/")[1] for topic in _configs(ha)}
        return WANTED <= components and ha.messages.get(BASE + "/status") == b"online"

    ha.wait(complete, 15, "discovery configs for %s and online" % sorted(WANTED))
    return _configs(ha)


def _discovered(sim, broker, home_assistant):
    """A broker, Home Assistant on it, and a camera whose discovery it has seen."""
    b = broker()
    ha = home_assistant(b)
    server = _camera(sim, b)
    _wait_discovery(ha)
    return b, ha, server


def _status(server, gc=False):
    return get(server, "/status?gc=1" if gc else "/status").json()


def test_discovery_configs_follow_home_assistants_schema_and_name_one_device(sim, broker, home_assistant):
    b = broker()
    ha = home_assistant(b)
    server = _camera(sim, b)
    configs = _wait_discovery(ha)
    devices = set()
    for topic, config in configs.items():
        prefix, component, node, object_id, _ = topic.split("/")
        required, allowed = SCHEMA[component]
        assert required <= set(config), (topic, required - set(config))
        assert set(config) <= COMMON | required | allowed, (topic, set(config) - COMMON - required - allowed)
        if component == "update":
            assert "state_topic" in config or "latest_version_topic" in config
        assert config["availability_topic"] == BASE + "/status"
        assert config["unique_id"].startswith(node + "_")
        assert set(config["device"]) <= DEVICE_KEYS
        devices.add(json.dumps(config["device"], sort_keys=True))
    assert len(devices) == 1
    # Retained: a Home Assistant that starts later still finds every config, and online.
    later = home_assistant(b)
    later.wait(lambda: set(_configs(later)) == set(configs), 10, "the retained configs")
    assert later.get(BASE + "/status") == b"online"
    assert all(retain for t, _, retain in later.history if t in configs)
    dev = json.loads(devices.pop())
    assert dev["configuration_url"] == server.url + "/"
    assert dev["identifiers"] and dev["name"] == "camserver" and dev["model"] and dev["sw_version"]
    by_object = {(t.split("/")[1], t.split("/")[3]): c for t, c in configs.items()}
    assert by_object[("binary_sensor", "motion")]["device_class"] == "motion"
    assert by_object[("camera", "snapshot")]["topic"] == BASE + "/snapshot"
    assert set(by_object[("select", "framesize")]["options"]) == {"QVGA", "VGA", "SVGA", "UXGA"}
    for name in ("quality", "brightness", "contrast", "saturation"):
        number = by_object[("number", name)]
        assert number["mode"] in ("auto", "box", "slider") and number["min"] < number["max"]
    for key in ("fps", "viewers", "uptime", "heap_free"):
        assert by_object[("sensor", key)]["entity_category"] == "diagnostic"
    assert ("switch", "vflip") in by_object and ("switch", "hmirror") in by_object
    assert ("switch", "led_intensity") not in by_object  # the simulated board has no LED
    assert ("button", "snapshot") in by_object
    diagnostics = json.loads(ha.wait_for(BASE + "/diagnostics"))
    assert {"fps", "viewers", "uptime", "heap_free"} <= set(diagnostics)
    update = json.loads(ha.wait_for(BASE + "/update"))
    assert update["installed_version"] == update["latest_version"]
    assert _status(server)["mqtt"]["connected"] is True


def test_commands_take_controls_path_and_every_change_is_published(sim, broker, home_assistant):
    b, ha, server = _discovered(sim, broker, home_assistant)
    mark = ha.mark()
    ha.publish(BASE + "/quality/set", "20")
    ha.wait_for(BASE + "/quality", b"20", since=mark)
    assert _status(server)["quality"] == 20
    ha.publish(BASE + "/vflip/set", "ON")
    ha.wait_for(BASE + "/vflip", b"ON", since=mark)
    ha.publish(BASE + "/framesize/set", "QVGA")
    ha.wait_for(BASE + "/framesize", b"QVGA", since=mark)
    status = _status(server)
    assert status["vflip"] == 1 and status["framesize"] == 6
    # A change from /control (the page's path) reaches the state topic too.
    assert get(server, "/control?var=brightness&val=-2").status == 200
    ha.wait_for(BASE + "/brightness", b"-2", since=mark)
    get(server, "/control?var=brightness&val=1")
    ha.wait_for(BASE + "/brightness", b"1", since=mark)


@pytest.mark.parametrize(
    "topic,payload",
    [
        ("quality/set", b"abc"),  # not a number
        ("quality/set", b"99"),  # out of range
        ("quality/set", b"12.5"),  # wrong type
        ("quality/set", b'{"value": 10}'),
        ("quality/set", b"\xff\xfe\x00\x01"),  # binary
        ("quality/set", b"1" * 2000),  # longer than a command can be (skipped unread)
        ("quality/set", b"1" * 300000),  # huge
        ("vflip/set", b"maybe"),
        ("framesize/set", b"HUGE"),
        ("nosuch/set", b"1"),
        ("snapshot/set", b"NOW"),
    ],
    ids=lambda v: v[:12] if isinstance(v, bytes) else v,
)
def test_a_bad_payload_changes_nothing_and_says_why_once(sim, broker, home_assistant, topic, payload):
    b, ha, server = _discovered(sim, broker, home_assistant)
    before = _status(server)
    mark = server.mark()
    ha.publish(BASE + "/" + topic, payload)
    line = server.wait_for_line("WARNING mqtt:", since=mark)
    assert "Traceback" not in line
    # A good command after it still works: the session lived through it.
    ha.publish(BASE + "/quality/set", "30")
    ha.wait_for(BASE + "/quality", b"30")
    time.sleep(0.2)
    warnings = [x for x in server.lines_since(mark) if "WARNING" in x]
    assert len(warnings) == 1, warnings
    after = _status(server)
    for key in ("framesize", "vflip", "hmirror", "brightness"):
        assert after[key] == before[key], key
    assert after["mqtt"]["connects"] == 1


def test_snapshot_button_publishes_a_jpeg_from_the_camera(sim, broker, home_assistant):
    b, ha, server = _discovered(sim, broker, home_assistant)
    mark = ha.mark()
    ha.publish(BASE + "/snapshot/set", "PRESS")
    jpeg = ha.wait_for(BASE + "/snapshot", since=mark)
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    assert image.format == "JPEG" and image.size == (640, 480)
    status = _status(server)
    assert status["mqtt"]["snapshots"] == 1 and status["frames_out"] == 0  # the buffer went back


def test_broker_restart_reconnects_and_publishes_everything_again(sim, broker, home_assistant):
    b = broker()
    server = _camera(sim, b)
    server.wait_for_line("mqtt: connected", timeout=15)
    b.stop()
    server.wait_for_line("connecting again", timeout=15)
    b.start()  # same port, no persistence: every retained message is gone
    ha = home_assistant(b)
    _wait_discovery(ha)
    assert ha.wait_for(BASE + "/quality") == b"12"
    assert _status(server)["mqtt"]["connects"] == 2


def test_offline_when_the_camera_stops(sim, broker, home_assistant):
    b, ha, server = _discovered(sim, broker, home_assistant)
    mark = ha.mark()
    server.stop()
    assert ha.wait_for(BASE + "/status", since=mark) == b"offline"


def test_broker_with_credentials(sim, broker, home_assistant, tmp_path):
    b = broker(user="cam", password="s3cret-word")
    ha = home_assistant(b)
    wrong = _camera(sim, b, mqtt_user="cam", mqtt_password="wrong-word")
    assert "broker refused the connection" in wrong.wait_for_line("WARNING mqtt:", timeout=15)
    server = _camera(
        sim, b, mqtt_user="cam", mqtt_password="s3cret-word", auth_user="admin", auth_password="pw-admin"
    )
    _wait_discovery(ha)
    for console in (wrong, server):
        text = "\n".join(console.lines())
        assert "s3cret-word" not in text and "wrong-word" not in text and "pw-admin" not in text
        assert "mqtt_user is empty" not in text
    for payload in ha.messages.values():
        assert b"s3cret" not in payload and b"pw-admin" not in payload


def test_tls_to_a_broker_whose_certificate_is_checked(sim, broker, home_assistant, tmp_path):
    cert, key = certificate(str(tmp_path))
    b = broker(tls=(cert, key))
    ha = home_assistant(b, ca=cert)
    server = _camera(sim, b, mqtt_tls=1, mqtt_ca=cert)
    _wait_discovery(ha)
    mark = ha.mark()
    ha.publish(BASE + "/snapshot/set", "PRESS")
    Image.open(io.BytesIO(ha.wait_for(BASE + "/snapshot", since=mark))).load()
    assert "not checked" not in "\n".join(server.lines())


def test_tls_refuses_a_broker_with_another_certificate(sim, broker, tmp_path):
    cert, key = certificate(str(tmp_path))
    other = tmp_path / "other"
    other.mkdir()
    other_cert, _ = certificate(str(other))
    b = broker(tls=(cert, key))
    server = _camera(sim, b, mqtt_tls=1, mqtt_ca=other_cert)
    line = server.wait_for_line("WARNING mqtt:", timeout=15)
    assert "TLS: The certificate is not correctly signed by the trusted CA; connecting again" in line
    assert _status(server)["mqtt"]["connects"] == 0


def test_camera_auth_without_broker_credentials_is_warned_about(sim, broker):
    b = broker()
    server = _camera(sim, b, auth_user="admin", auth_password="pw-admin")
    line = server.wait_for_line("mqtt_user is empty")
    assert "WARNING" in line and "pw-admin" not in "\n".join(server.lines())


class DeafBroker:
    """A TCP peer that accepts, answers CONNACK, and never reads: a broker that stopped reading
    (a small receive buffer, so the camera's writes block soon). say: bytes it sends after the
    CONNACK, and again every 0.2 s (a command)."""

    def __init__(self, say=b""):
        self.say = say
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if say:
            threading.Thread(target=self._repeat, daemon=True).start()

    def _repeat(self):
        while self.sock.fileno() >= 0:
            time.sleep(0.2)
            for conn in list(self.accepted):
                try:
                    conn.send(self.say)
                except OSError:
                    pass

    def _run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.sendall(b"\x20\x02\x00\x00" + self.say)
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_heap_stays_flat_when_the_broker_stops_reading(sim):
    deaf = DeafBroker()
    try:
        server = sim(mqtt_host="127.0.0.1", mqtt_port=deaf.port, mqtt_keepalive_s=2, diagnostics=1)
        server.wait_for_line("mqtt: connected", timeout=15)
        heaps = []
        for rnd in range(5):
            connects = _status(server)["mqtt"]["connects"]
            for i in range(40):  # changes while the broker reads nothing: each is queued (coalesced)
                get(server, "/control?var=quality&val=%d" % (10 + (rnd * 40 + i) % 40))
                get(server, "/control?var=brightness&val=%d" % (i % 5 - 2))
            # The broker never answers a ping: the camera leaves and connects again.
            deadline = time.monotonic() + 20
            while _status(server)["mqtt"]["connects"] == connects:
                assert time.monotonic() < deadline, server.lines()
                time.sleep(0.2)
            status = _status(server, gc=True)
            heaps.append(status["heap"]["alloc"])
            assert status["mqtt"]["queued"] <= 40  # one message per topic at most
        print("heap alloc after each round (bytes):", heaps, "dropped:", status["mqtt"]["dropped"])
        assert deaf.accepted and len(deaf.accepted) >= 4  # it kept reconnecting
        assert max(heaps[1:]) - heaps[1] < 16384, heaps
    finally:
        deaf.close()


def _press(topic):
    """A PUBLISH of PRESS on topic, as a broker sends it (QoS 0)."""
    body = len(topic).to_bytes(2, "big") + topic.encode() + b"PRESS"
    return bytes((0x30, len(body))) + body


def test_a_snapshot_stuck_on_a_broker_that_stopped_reading_gives_its_buffer_back(sim):
    deaf = DeafBroker(_press(BASE + "/snapshot/set"))
    try:
        # UXGA: a 130 kB JPEG, more than the sockets between them take.
        server = sim(
            mqtt_host="127.0.0.1", mqtt_port=deaf.port, mqtt_keepalive_s=2, mqtt_discovery="", framesize=15
        )
        server.wait_for_line("the broker stopped reading", timeout=20)
        # Meanwhile and after, the camera serves; no frame buffer stays out.
        assert get(server, "/capture").status == 200
        heaps = []
        for _ in range(4):
            mark = server.mark()
            connects = _status(server)["mqtt"]["connects"]
            deadline = time.monotonic() + 20
            while _status(server)["mqtt"]["connects"] == connects:
                assert time.monotonic() < deadline, server.lines_since(mark)
                time.sleep(0.2)
            heaps.append(_status(server, gc=True)["heap"]["alloc"])
        print("heap alloc with a stuck snapshot per connection (bytes):", heaps)
        assert _status(server)["mqtt"]["snapshots"] >= 1  # (some went out before the socket filled)
        deadline = time.monotonic() + 10
        while _status(server)["frames_out"]:  # (only while one is being written)
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert max(heaps) - min(heaps) < 16384, heaps
    finally:
        deaf.close()


def test_mqtt_off_without_a_host(sim):
    server = sim()
    assert "mqtt" not in _status(server)
    assert not any("mqtt" in line for line in server.lines())


def test_no_broker_listening_is_one_warning_and_the_camera_serves(sim):
    port = free_port()
    server = sim(mqtt_host="127.0.0.1", mqtt_port=port)
    server.wait_for_line("connecting again", timeout=15)
    status = _status(server)
    assert (
        status["mqtt"]["connected"] is False
        and "111" in status["mqtt"]["error"]
        or "ECONNREFUSED" in status["mqtt"]["error"]
    )
    assert get(server, "/capture").status == 200
