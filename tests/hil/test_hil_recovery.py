"""The camera's self-healing on the device: /status.camera_health, and a restart of the camera
(/test/reinit, the recovery ladder's step: on a board esp_camera_deinit() and esp_camera_init()
with the same configuration) that keeps a viewer's stream and every sensor setting.

/test/reinit needs the `diagnostics` setting: the sim DUT is started with it; on a board set
`"diagnostics": true` in its settings before the run (without it that test fails with the
404, it is not skipped)."""

import io

import pytest
from PIL import Image


def test_camera_health_in_status(camera):
    health = camera.status()["camera_health"]
    assert health["state"] == "ok", health
    for name in ("timeouts", "invalid_frames", "reinits"):
        assert isinstance(health[name], int) and health[name] >= 0, health
    assert isinstance(health["last_error"], str)


@pytest.mark.sim_settings(diagnostics=1)
def test_restart_keeps_the_stream_and_the_settings(camera):
    assert camera.control("brightness", 1).status == 200
    assert camera.control("hmirror", 1).status == 200
    before = camera.status()["camera_health"]["reinits"]
    with camera.stream() as stream:
        stream.next_part()
        r = camera.request("/test/reinit")
        assert r.status == 200, r.body
        for _ in range(5):  # the same connection goes on with whole frames from the restarted camera
            _, jpeg = stream.next_part()
            Image.open(io.BytesIO(jpeg)).load()
    st = camera.status()
    assert st["brightness"] == 1 and st["hmirror"] == 1
    assert st["camera_health"]["reinits"] == before + 1
    r = camera.request("/control/reset", method="POST")
    assert r.status == 200


@pytest.mark.board_only("the sim reports the xclk it was given; a board reads it back from its sensor")
def test_board_reports_its_sensor_clock(camera):
    # xclk_mhz (default 20) is esp32-camera's xclk_freq_hz; /status reads it back from the sensor.
    assert camera.status()["xclk"] in (10, 20), camera.status()["xclk"]
