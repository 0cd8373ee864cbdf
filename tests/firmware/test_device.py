"""Device start (camserver.device) on the MicroPython unix port: a broken settings file still
boots with the defaults, the camera is opened before Wi-Fi, the server prints `camera ready:` and
answers. (A server that dies and a dead camera: tests/mpy/wifi_checks.py.)"""

import json
import os

from httpclient import Conn, get
from simserver import FRAMES, ROOT


def boot(sim, settings_text, networks, tmp_path):
    """Start the device as main.py does (simulated network, real camera and server); returns the
    SimServer and its console lines up to `camera ready:`."""
    path = tmp_path / "settings.json"
    if settings_text is not None:
        path.write_text(settings_text)
    scenario = [os.path.join(ROOT, "tests", "mpy", "boot_device.py"), str(path)]
    server = sim(command=lambda port: [*scenario, str(port), FRAMES, json.dumps(networks)])
    lines = server.lines()
    return server, lines[: lines.index(server.wait_for_line("camera ready:")) + 1]


def test_broken_settings_file_boots_with_defaults(sim, tmp_path):
    server, lines = boot(sim, '{"wifi_ssid": "home", "port": ', {"home": "secret123"}, tmp_path)
    port = server.port
    status = get(server, "/status")
    out = "\n".join(lines)
    # One clear line about the file, the defaults (no network configured), the setup access point.
    settings_lines = [line for line in lines if "settings:" in line]
    assert (
        len(settings_lines) == 1
        and "is not valid JSON" in settings_lines[0]
        and "defaults" in settings_lines[0]
    )
    assert "Traceback" not in out
    assert "INFO wifi: no network configured" in out
    assert lines[-1] == "camera ready: http://192.168.4.1:%d/" % port
    # The camera is opened before the network comes up (its buffers first).
    assert out.index("camera:") < out.index("wifi:")
    assert status.status == 200


def test_missing_settings_file_boots_with_defaults(sim, tmp_path):
    server, lines = boot(sim, None, {}, tmp_path)
    port = server.port
    assert [line for line in lines if "settings:" in line] == [
        next(line for line in lines if "settings: no " in line and "using defaults" in line)
    ]
    assert lines[-1] == "camera ready: http://192.168.4.1:%d/" % port


def test_settings_file_with_credentials_joins_and_serves_on_the_station_address(sim, tmp_path):
    settings_text = json.dumps({"wifi_ssid": "home", "wifi_password": "secret123", "hostname": "porch"})
    server, lines = boot(sim, settings_text, {"home": "secret123"}, tmp_path)
    port = server.port
    page = get(server, "/status")
    assert any("connected to home as 192.168.1.50" in line and "porch.local" in line for line in lines)
    assert lines[-1] == "camera ready: http://192.168.1.50:%d/" % port
    assert page.status == 200


HOME_AND_CABIN = {"home": "secret123", "cabin": "cabin-pass"}
ON_HOME = {"wifi_ssid": "home", "wifi_password": "secret123"}


def post_wifi(server, body, headers=None):
    conn = Conn(server.host, server.port)
    try:
        headers = dict(headers or {}, Connection="close")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request("POST", "/wifi", headers=headers, body=body)
        return conn.read_reply()
    finally:
        conn.close()


def test_wifi_form_on_a_network_without_auth_is_refused(sim, tmp_path):
    server, _ = boot(sim, json.dumps(ON_HOME), HOME_AND_CABIN, tmp_path)
    reply = post_wifi(server, b"ssid=cabin&password=cabin-pass")
    assert reply.status == 403 and b"use make configure over USB" in reply.body
    assert json.loads((tmp_path / "settings.json").read_text()) == ON_HOME


def test_wifi_form_on_a_network_with_auth_moves_the_device(sim, tmp_path):
    settings_text = json.dumps(dict(ON_HOME, auth_user="admin", auth_password="pw-12345"))
    server, _ = boot(sim, settings_text, HOME_AND_CABIN, tmp_path)
    credentials = {"Authorization": "Basic YWRtaW46cHctMTIzNDU="}  # admin:pw-12345
    reply = post_wifi(server, b"ssid=cabin&password=cabin-pass", credentials)
    assert reply.status == 200 and b"tries cabin and goes back to home" in reply.body
    server.wait_for_line("INFO wifi: cabin works and is now the saved network")
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert (saved["wifi_ssid"], saved["wifi_password"]) == ("cabin", "cabin-pass")


def test_wifi_form_on_the_setup_access_point_joins_the_network(sim, tmp_path):
    server, lines = boot(sim, None, HOME_AND_CABIN, tmp_path)
    assert any("access point camserver-1b2c (open) is up" in line for line in lines)
    reply = post_wifi(server, b"ssid=home&password=secret123")
    assert reply.status == 200
    server.wait_for_line("INFO wifi: connected to home as 192.168.1.50")
    assert json.loads((tmp_path / "settings.json").read_text())["wifi_ssid"] == "home"
    # Joined: the access point is gone, so the form is now refused (no auth set).
    server.wait_for_line("INFO wifi: access point stopped")
    assert post_wifi(server, b"ssid=cabin&password=cabin-pass").status == 403
