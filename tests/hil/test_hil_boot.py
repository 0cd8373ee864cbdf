"""The device boots and announces where it serves."""

from urllib.parse import urlsplit


def test_boot_line_and_address(camera, on_board):
    # The `camera` fixture has read `camera ready: http://<ip>/` from the console.
    parts = urlsplit(camera.base_url)
    assert parts.scheme == "http" and parts.path == "/"
    if on_board:
        assert parts.port in (None, 80), "the board serves on port 80"
    else:
        assert parts.hostname == "127.0.0.1"
        assert parts.port == camera.dut.serial.http_port, "the sim must announce the port it was given"
    # The announced address answers.
    st = camera.status()
    assert st["backend"]
    assert st["uptime_ms"] >= 0
