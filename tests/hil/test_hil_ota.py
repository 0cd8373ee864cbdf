"""Firmware updates (POST /ota) and the boot's health check, on the sim (its partition stand-in)
and on a board (esp32.Partition, the real OTA slots and bootloader rollback)."""

import io
import os
import time

import ota  # tools/ota.py, what `make ota` runs
import pytest
from ota_image import app_image, sha256

# The sim keeps its slots and boot record in a folder of its own; healthy after 0.3 s, not 20 s.
SIM_DEVICE = {"device_dir": "build/hil-device", "healthy_ms": 300}


def url(camera):
    if camera.auth:
        return "http://%s:%s@%s:%d/" % (camera.auth[0], camera.auth[1], camera.host, camera.port)
    return camera.base_url


def wait_healthy(camera, timeout):
    deadline = time.monotonic() + timeout
    while camera.status().get("health") != "healthy":
        assert time.monotonic() < deadline, camera.status()
        time.sleep(0.2)


@pytest.fixture(autouse=True)
def _sim_device_folder():
    os.makedirs(SIM_DEVICE["device_dir"], exist_ok=True)


@pytest.mark.sim_settings(**SIM_DEVICE)
def test_corrupted_image_switches_nothing_and_the_camera_comes_back(camera, on_board, tmp_path):
    # Healthy first: a boot counted as failed (the test stops the sim) would add up to safe mode.
    wait_healthy(camera, 40 if on_board else 10)
    before = camera.status()["ota"]
    assert before["state"] in ("idle", "failed") and not camera.status()["safe_mode"]
    path = tmp_path / "app.bin"
    path.write_bytes(app_image(64 * 1024))
    status, answer = ota.upload(url(camera), str(path), out=io.StringIO(), sha="0" * 64)
    assert status == 400 and answer.startswith("SHA-256 mismatch"), answer
    after = camera.status()["ota"]
    assert after["state"] == "failed" and after["running"] == before["running"]
    assert camera.request("/capture").status == 200


@pytest.mark.board_only(
    "needs the board's own app image (HIL_OTA_IMAGE=build/firmware/<BOARD>/micropython.bin)"
)
def test_real_image_is_booted_and_confirmed(camera, dut):
    image = os.environ.get("HIL_OTA_IMAGE")
    if not image:
        pytest.fail(
            "set HIL_OTA_IMAGE to the board's micropython.bin (make firmware BOARD=...)", pytrace=False
        )
    running = camera.status()["ota"]["running"]
    status, answer = ota.upload(url(camera), image, out=io.StringIO())
    assert status == 200, answer
    dut.expect("camera ready: ", timeout=90)  # the board reset into the new slot
    wait_healthy(camera, 60)
    st = camera.status()
    assert st["ota"]["running"] != running and st["failed_boots"] == 0
    dut.expect("passed its health check, confirmed", timeout=5)


@pytest.mark.sim_settings(**SIM_DEVICE)
def test_image_for_another_chip_is_refused(camera, tmp_path):
    path = tmp_path / "esp32.bin"
    data = app_image(16 * 1024, chip=0)
    path.write_bytes(data)
    status, answer = ota.upload(url(camera), str(path), out=io.StringIO(), sha=sha256(data))
    assert status == 400 and "chip id 0" in answer
