"""Settings that survive a restart, reset to defaults, rotation by EXIF, and the clock in /status,
against the real server process."""

import io
import json
import time

from httpclient import Conn, MjpegReader, get
from PIL import Image, ImageOps

SIZES = {6: (320, 240), 10: (640, 480)}
ORIENTATION = {0: 1, 90: 6, 180: 3, 270: 8}


def _status(server):
    return json.loads(get(server, "/status").body)


def _wait_saved(server, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _status(server)["settings"]
        if state["saved"]:
            return state
        time.sleep(0.05)
    raise AssertionError("settings not saved in %.0f s: %r" % (timeout, state))


def _control(server, name, value):
    reply = get(server, "/control?var=%s&val=%s" % (name, value))
    assert reply.status == 200, reply.body
    return reply


def _decode(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _upright(data, rotate):
    """The picture as a viewer shows it: Pillow applies the EXIF orientation. Checks that the
    segment is there (or not), right after SOI, and nothing else of the JPEG changed."""
    image = _decode(data)
    orientation = image.getexif().get(0x0112)
    if rotate:
        assert orientation == ORIENTATION[rotate], (rotate, orientation)
        assert data[2:4] == b"\xff\xe1" and data[6:12] == b"Exif\x00\x00"
    else:
        assert orientation is None and data[2:4] != b"\xff\xe1"
    return ImageOps.exif_transpose(image)


def _corners(image):
    """(the corners that are white, the corners that are black). The test card's grey ramp runs
    along the bottom edge of the captured frame, black on the left, white on the right; nothing
    else in it is white (the bars are at most 192), so the white corner tells the turn."""
    width, height = image.size
    gray = image.convert("L")
    corners = {
        "top-left": (4, 4),
        "top-right": (width - 5, 4),
        "bottom-left": (4, height - 5),
        "bottom-right": (width - 5, height - 5),
    }
    white = [name for name, xy in corners.items() if gray.getpixel(xy) > 225]
    black = [name for name, xy in corners.items() if gray.getpixel(xy) < 50]
    return white, black


# rotate -> (size of a VGA frame upright, its white corner, the ramp's black end)
UPRIGHT = {
    0: ((640, 480), "bottom-right", "bottom-left"),
    90: ((480, 640), "bottom-left", "top-left"),
    180: ((640, 480), "top-left", "top-right"),
    270: ((480, 640), "top-right", "bottom-right"),
}


def _check_upright(image, rotate):
    size, white, black = UPRIGHT[rotate]
    assert image.size == size, rotate
    whites, blacks = _corners(image)
    assert whites == [white] and black in blacks, (rotate, whites, blacks)


def test_capture_carries_the_orientation_and_is_viewed_turned(sim):
    server = sim()
    for rotate in (0, 90, 180, 270):
        _control(server, "rotate", rotate)
        assert _status(server)["rotate"] == rotate
        reply = get(server, "/capture")
        assert reply.status == 200 and int(reply.header("content-length")) == len(reply.body)
        _check_upright(_upright(reply.body, rotate), rotate)


def test_a_rotated_capture_keeps_the_connection_and_head_counts_the_segment(sim):
    server = sim(rotate=90)
    conn = Conn(server.host, server.port)
    lengths = []
    for _ in range(2):  # the second request on the same connection: the first left it usable
        conn.request("GET", "/capture")
        reply = conn.read_reply()
        assert reply.status == 200 and reply.header("connection") != "close"
        assert int(reply.header("content-length")) == len(reply.body)
        assert _upright(reply.body, 90).size == (480, 640)
        lengths.append(len(reply.body))
    conn.request("HEAD", "/capture")
    head = conn.read_reply(head_only=True)
    assert head.status == 200 and int(head.header("content-length")) > 10000
    conn.close()


def test_stream_parts_carry_the_orientation(sim):
    server = sim()
    _control(server, "rotate", 270)
    with MjpegReader(server.host, server.port) as stream:
        for _ in range(4):
            headers, jpeg = stream.next_part()
            assert int(headers["content-length"]) == len(jpeg)
            _check_upright(_upright(jpeg, 270), 270)
        _control(server, "rotate", 0)  # frames published after the change go out as captured
        for _ in range(30):
            headers, jpeg = stream.next_part()
            if _decode(jpeg).getexif().get(0x0112) is None:
                break
        else:
            raise AssertionError("rotate 0 never reached the stream")
        assert _upright(jpeg, 0).size == (640, 480)


def test_rotate_accepts_only_quarter_turns(sim):
    server = sim()
    for value in ("45", "-90", "360", "x"):
        reply = get(server, "/control?var=rotate&val=" + value)
        assert reply.status == 400, value
        assert len(reply.body.strip().splitlines()) == 1
    assert b"0, 90, 180 or 270" in get(server, "/control?var=rotate&val=45").body
    assert _status(server)["rotate"] == 0


def test_settings_survive_a_restart_and_the_first_frame_has_the_saved_size(sim, tmp_path):
    path = tmp_path / "settings.json"
    server = sim(settings=path, save_delay_ms=300)
    assert _status(server)["settings"] == {"saved": True, "writes": 0, "error": None}
    for name, value in (("framesize", 6), ("brightness", 2), ("vflip", 1), ("quality", 30), ("rotate", 90)):
        _control(server, name, value)
    assert _status(server)["settings"]["saved"] is False  # written after the quiet period
    state = _wait_saved(server)
    assert state["writes"] == 1, state  # the burst is one write
    saved = json.loads(path.read_text())
    assert saved["framesize"] == 6 and saved["brightness"] == 2 and saved["rotate"] == 90
    server.stop()

    again = sim(settings=path)
    status = _status(again)
    for name, value in (("framesize", 6), ("brightness", 2), ("vflip", 1), ("quality", 30), ("rotate", 90)):
        assert status[name] == value, name
    first = get(again, "/capture").body
    assert _decode(first).size == SIZES[6]
    assert _upright(first, 90).size == (240, 320)


def test_reset_restores_the_defaults_and_is_saved(sim, tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"brightness": -2, "rotate": 180, "framesize": 6, "hostname": "garage"}))
    server = sim(settings=path, save_delay_ms=200)
    assert _status(server)["brightness"] == -2
    reply = get(server, "/control/reset")
    assert reply.status == 405  # POST only
    conn = Conn(server.host, server.port)
    conn.request("POST", "/control/reset")
    reply = conn.read_reply()
    conn.close()
    assert reply.status == 200 and reply.header("content-type") == "application/json"
    status = json.loads(reply.body)
    assert status["brightness"] == 0 and status["rotate"] == 0 and status["framesize"] == 10
    assert _decode(get(server, "/capture").body).size == SIZES[10]
    _wait_saved(server)
    saved = json.loads(path.read_text())
    assert "brightness" not in saved and "rotate" not in saved and "framesize" not in saved
    assert saved["hostname"] == "garage"  # not a camera setting: kept


def test_reset_without_a_camera_still_resets_the_saved_settings(sim, tmp_path):
    # Safe mode (or a camera that did not start) is where a saved setting that breaks the camera
    # gets fixed over the network: with no camera to apply them to, the defaults are still what
    # the next boot starts with.
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"brightness": -2, "framesize": 15, "rotate": 90, "hostname": "garage"}))
    server = sim(settings=path, save_delay_ms=200, device_dir=str(tmp_path / "device"), fail="camera")
    assert get(server, "/capture").status == 503
    conn = Conn(server.host, server.port)
    conn.request("POST", "/control/reset")
    reply = conn.read_reply()
    conn.close()
    assert reply.status == 200, reply.body
    _wait_saved(server)
    saved = json.loads(path.read_text())
    assert "brightness" not in saved and "framesize" not in saved and "rotate" not in saved, saved
    assert saved["hostname"] == "garage"


def test_reset_from_another_site_is_refused(sim, tmp_path):
    server = sim(settings=tmp_path / "settings.json")
    _control(server, "brightness", 1)
    conn = Conn(server.host, server.port)
    conn.request("POST", "/control/reset", headers={"Origin": "http://evil.example"})
    reply = conn.read_reply()
    conn.close()
    assert reply.status == 403
    assert _status(server)["brightness"] == 1


def test_without_a_settings_file_nothing_is_saved(sim):
    server = sim()
    _control(server, "brightness", 1)
    assert _status(server)["settings"] == {"saved": True, "writes": 0, "error": None}


def test_status_says_the_host_clock_is_synced(sim):
    server = sim()
    before = int(time.time())
    clock = _status(server)["clock"]
    assert clock["synced"] is True and clock["source"] == "host"
    assert before - 60 <= clock["since"] <= before + 1
    assert get(server, "/status").header("date")
