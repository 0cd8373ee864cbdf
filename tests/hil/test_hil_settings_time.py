"""Rotation by EXIF, reset to defaults, the clock in /status; on a board also SNTP and settings
that survive a reset."""

import email.utils
import io
import time

import pexpect
import pytest
from hil_console import READY_RE
from PIL import Image, ImageOps


def _upright_size(data):
    with Image.open(io.BytesIO(data)) as image:
        orientation = image.getexif().get(0x0112)
        return orientation, ImageOps.exif_transpose(image).size


def _wait_saved(camera, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not camera.status()["settings"]["saved"]:
        assert time.monotonic() < deadline, "settings not saved in %.0f s" % timeout
        time.sleep(0.2)


def test_rotate_tags_capture_and_stream_and_reset_undoes_it(camera):
    camera.set_framesize(10)
    assert camera.control("rotate", 90).status == 200
    assert _upright_size(camera.get("/capture").body) == (6, (480, 640))
    with camera.stream() as stream:
        for _ in range(3):
            headers, jpeg = stream.next_part()
            assert int(headers["content-length"]) == len(jpeg)
            assert _upright_size(jpeg) == (6, (480, 640))
    assert camera.control("rotate", 45).status == 400
    r = camera.request("/control/reset", method="POST")
    assert r.status == 200 and r.json()["rotate"] == 0
    assert _upright_size(camera.get("/capture").body) == (None, (640, 480))


def test_clock_in_status_and_headers(camera, on_board):
    clock = camera.status()["clock"]
    if not on_board:
        assert clock == {"synced": True, "since": clock["since"], "source": "host"}
    if clock["synced"]:
        r = camera.get("/capture")
        date = email.utils.parsedate_to_datetime(r.headers["date"]).timestamp()
        assert abs(date - time.time()) < 10, r.headers["date"]
        assert abs(float(r.headers["x-timestamp"]) - time.time()) < 10
    else:  # a board before SNTP: no Date, and X-Timestamp counts from boot
        r = camera.get("/capture")
        assert "date" not in r.headers
        assert float(r.headers["x-timestamp"]) < camera.status()["uptime_ms"] / 1000 + 5


@pytest.mark.board_only("SNTP runs on the board after Wi-Fi; the sim uses the host's clock")
def test_sntp_sets_the_board_clock(camera):
    deadline = time.monotonic() + 60
    while True:
        clock = camera.status()["clock"]
        if clock["synced"] and clock["source"] == "ntp":
            break
        assert time.monotonic() < deadline, "no SNTP sync within 60 s of boot: %r" % clock
        time.sleep(1)
    assert abs(clock["since"] - time.time()) < 120
    r = camera.get("/capture")
    date = email.utils.parsedate_to_datetime(r.headers["date"]).timestamp()
    assert abs(date - time.time()) < 5, r.headers["date"]
    assert abs(float(r.headers["x-timestamp"]) - time.time()) < 5


@pytest.mark.board_only("a reset of the board (the sim restarts in test_persist_rotate.py)")
def test_settings_survive_a_reset_of_the_board(camera, boot_timeout):
    for name, value in (("framesize", 6), ("brightness", 1), ("rotate", 180)):
        assert camera.control(name, value).status == 200, name
    _wait_saved(camera)
    camera.dut.serial.hard_reset()
    try:
        camera.dut.expect(READY_RE, timeout=boot_timeout)
        status = camera.status()
        assert (status["framesize"], status["brightness"], status["rotate"]) == (6, 1, 180)
        orientation, size = _upright_size(camera.get("/capture").body)
        assert orientation == 3 and size == (320, 240)
    except pexpect.TIMEOUT:
        pytest.fail("no ready line after the reset")
    finally:
        r = camera.request("/control/reset", method="POST")  # leave the board as it was
        if r.status == 200:
            _wait_saved(camera)
