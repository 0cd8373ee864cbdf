"""/capture, its aliases, /control and /status against the simulated camera."""

import io
import json
import time

from frames import crc, crcs
from httpclient import Conn, get
from PIL import Image
from simserver import expected_backend


def _decode(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_capture_is_a_fresh_valid_jpeg(sim):
    server = sim()
    known = crcs()
    for _ in range(3):
        asked = time.time()
        reply = get(server, "/capture")
        assert reply.status == 200
        assert reply.header("content-type") == "image/jpeg"
        assert int(reply.header("content-length")) == len(reply.body)
        assert reply.header("content-disposition") == "inline; filename=capture.jpg"
        stamp = float(reply.header("x-timestamp"))
        assert stamp >= asked - 0.002, "frame captured %.3f s before the request" % (asked - stamp)
        assert stamp <= time.time()
        assert reply.body[:2] == b"\xff\xd8" and reply.body[-2:] == b"\xff\xd9"
        assert crc(reply.body) in known
        assert _decode(reply.body).size == (640, 480)


def test_capture_aliases_and_head(sim):
    server = sim()
    for path in ("/snapshot", "/?action=snapshot"):
        reply = get(server, path)
        assert reply.status == 200 and reply.header("content-type") == "image/jpeg", path
        _decode(reply.body)
    head = get(server, "/capture", method="HEAD")
    assert head.status == 200 and int(head.header("content-length")) > 10000
    assert head.header("x-timestamp")


def test_framesize_control_changes_the_jpeg(sim):
    server = sim()
    for index, size in ((6, (320, 240)), (10, (640, 480)), (11, (800, 600)), (15, (1600, 1200))):
        assert get(server, "/control?var=framesize&val=%d" % index).status == 200
        body = get(server, "/capture").body
        assert _decode(body).size == size
        assert crc(body) in crcs(index)
        assert json.loads(get(server, "/status").body)["framesize"] == index


def test_quality_control_changes_the_jpeg(sim):
    server = sim()
    fine = len(get(server, "/capture").body)
    assert get(server, "/control?var=quality&val=40").status == 200
    coarse = len(get(server, "/capture").body)
    assert coarse < fine * 0.7
    assert json.loads(get(server, "/status").body)["quality"] == 40


def test_control_rejects_bad_input_with_400_and_a_reason(sim):
    server = sim()
    cases = [
        "/control?var=nosuch&val=1",
        "/control?var=brightness&val=abc",
        "/control?var=brightness&val=3",
        "/control?var=quality&val=64",
        "/control?var=framesize&val=99",
        "/control?var=framesize&val=7",  # a valid framesize_t the sim has no frames for
        "/control?var=brightness",
        "/control",
        "/control?var=led_intensity&val=10",  # the simulated board has no LED
    ]
    for path in cases:
        reply = get(server, path)
        assert reply.status == 400, (path, reply.status, reply.body)
        assert reply.body.endswith(b"\n") and reply.body.count(b"\n") == 1 and len(reply.body) > 5
    assert get(server, "/control?var=brightness&val=-2").status == 200
    assert json.loads(get(server, "/status").body)["brightness"] == -2
    # The reason is settings.check's, as SET= and the settings file give it: the setting and its range.
    for path, reason in (
        ("/control?var=quality&val=64", b"quality must be between 0 and 63, got 64\n"),
        ("/control?var=rotate&val=45", b"rotate must be 0, 90, 180 or 270, got 45\n"),
        ("/control?var=quality&val=abc", b"quality needs an integer, got 'abc'\n"),
    ):
        assert get(server, path).body == reason, path


def test_status_has_the_camerawebserver_fields(sim):
    server = sim()
    reply = get(server, "/status")
    assert reply.header("content-type") == "application/json"
    assert reply.header("cache-control") == "no-store"
    status = json.loads(reply.body)
    fields = (
        "framesize quality brightness contrast saturation sharpness special_effect wb_mode awb awb_gain aec "
        "aec2 ae_level aec_value agc agc_gain gainceiling bpc wpc raw_gma lenc hmirror vflip dcw colorbar "
        "led_intensity xclk pixformat"
    ).split()
    for name in fields:
        assert isinstance(status[name], int), name
    assert status["backend"] == expected_backend()
    assert status["led_intensity"] == -1
    for name in ("uptime_ms", "connections", "viewers", "frames", "heap", "limits", "framesizes"):
        assert name in status
    assert set(status["frames"]) == {"grabbed", "sent", "skipped", "revoked"}
    assert status["heap"]["free"] > 0 and status["heap"]["alloc"] > 0
    assert [row[0] for row in status["framesizes"]] == [6, 10, 11, 15]


def test_settings_round_trip_through_control(sim):
    server = sim()
    conn = Conn(server.host, server.port)
    for name, value in (
        ("contrast", 2),
        ("saturation", -1),
        ("hmirror", 1),
        ("vflip", 1),
        ("aec_value", 600),
    ):
        conn.request("GET", "/control?var=%s&val=%d" % (name, value))
        assert conn.read_reply().status == 200
        conn.request("GET", "/status")
        assert json.loads(conn.read_reply().body)[name] == value
    conn.close()


def test_idle_camera_grabs_at_most_idle_fps(sim):
    server = sim(idle_fps=1)
    start = time.monotonic()
    first = json.loads(get(server, "/status").body)["frames"]["grabbed"]
    time.sleep(3)
    idle = json.loads(get(server, "/status").body)["frames"]["grabbed"] - first
    # One grab a second at most, over however long the window really took (a loaded machine
    # stretches it), plus one at each end.
    took = time.monotonic() - start
    assert idle <= took + 2, "grabbed %d frames in %.1f s with nobody watching" % (idle, took)
    paused = sim(idle_fps=0)
    time.sleep(1.5)
    assert json.loads(get(paused, "/status").body)["frames"]["grabbed"] == 0
