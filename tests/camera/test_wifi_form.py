"""POST /wifi on the real server by Wi-Fi mode: accepted on the setup access point, refused on a
network unless auth is configured (camserver.host's wifi_mode=ap|sta stands for the radio)."""

import base64
import json

import pytest
from httpclient import Conn
from simserver import SimServer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REFUSED = (
    "Wi-Fi can be changed here only on the camera's access point or with auth_user/auth_password set;"
    " use make configure over USB"
)


def post_wifi(server, body, headers=FORM):
    conn = Conn(server.host, server.port)
    try:
        conn.request("POST", "/wifi", headers=dict(headers, Connection="close"), body=body)
        return conn.read_reply()
    finally:
        conn.close()


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def test_station_mode_without_auth_refuses_with_the_reason_and_saves_nothing(sim, tmp_path):
    path = tmp_path / "settings.json"
    server = sim(settings=path)  # wifi_mode defaults to sta, like a board on its network
    reply = post_wifi(server, b"ssid=evil-net&password=evil-pass")
    assert reply.status == 403
    assert reply.body.decode().strip() == REFUSED
    # Refused before the body is looked at: a form that is not even a form gets the same answer.
    assert post_wifi(server, b"{}", {"Content-Type": "application/json"}).status == 403
    assert not path.exists()
    # The refusal is the client's problem, not the device's: no warning or error on the console.
    assert not [line for line in server.lines() if " ERROR " in line or "Traceback" in line]


def test_access_point_mode_accepts_the_form_and_saves_the_new_pair_as_pending(sim, tmp_path):
    path = tmp_path / "settings.json"
    server = sim(settings=path, wifi_mode="ap")
    reply = post_wifi(server, b"ssid=home&password=secret123")
    assert reply.status == 200
    assert reply.body.decode().strip() == "saved; the camera now joins home"
    saved = json.loads(path.read_text())
    assert (saved["wifi_pending_ssid"], saved["wifi_pending_password"]) == ("home", "secret123")
    assert "wifi_ssid" not in saved  # saved for good only once it has worked (on the board)
    # Values that cannot work are still refused with their reason.
    bad = post_wifi(server, b"ssid=home&password=short")
    assert bad.status == 400 and b"password must be 8 to 63 characters" in bad.body


def test_station_mode_with_auth_accepts_the_form_from_an_authenticated_client(sim, tmp_path):
    path = tmp_path / "settings.json"
    server = sim(settings=path, auth_user="admin", auth_password="pw-12345")
    assert post_wifi(server, b"ssid=cabin&password=cabin-pass").status == 401
    assert not path.exists()
    reply = post_wifi(server, b"ssid=cabin&password=cabin-pass", dict(FORM, **basic("admin", "pw-12345")))
    assert reply.status == 200
    assert json.loads(path.read_text())["wifi_pending_ssid"] == "cabin"


def test_unknown_wifi_mode_stops_the_host_with_one_line():
    with pytest.raises(RuntimeError) as e:
        SimServer({"wifi_mode": "mesh"})
    assert "error: wifi_mode must be ap or sta, not 'mesh'" in str(e.value)
