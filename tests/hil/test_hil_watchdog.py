"""Reset reasons (/status.last_reset) and the watchdog, on the sim (its machine double) and on a
board (machine.WDT, esp_reset_reason() through camera_glue)."""

import socket

import pytest

CAUSES = {"power", "brownout", "watchdog", "panic", "ota", "camera", "soft", "external", "usb", "unknown"}


@pytest.mark.sim_settings(device_dir="build/hil-device-reset")
def test_the_device_says_why_it_last_reset(camera):
    last = camera.status()["last_reset"]
    assert last["cause"] in CAUSES and last["reason"], last
    assert last["uptime_s"] is None or last["uptime_s"] >= 0


@pytest.mark.board_only(
    'needs "diagnostics": 1 and "watchdog_s": 8 in the board\'s /settings.json (mpremote edit)'
)
def test_a_hung_event_loop_resets_the_board_and_the_next_boot_says_watchdog(camera, dut):
    with socket.create_connection((camera.host, camera.port), timeout=5) as s:
        s.sendall(b"GET /test/hang HTTP/1.1\r\nHost: %s\r\n\r\n" % camera.host.encode())
        dut.expect("task_wdt", timeout=30)  # ESP-IDF's task watchdog fires (trigger_panic)
    dut.expect("camera ready: ", timeout=90)
    last = camera.status()["last_reset"]
    assert last["cause"] == "watchdog", last
