"""DNS rebinding (Host check), cross-site refusal of routes that change state, and HEAD without side
effects, against the real server. The attacks a hostile page would make are replayed here with the
headers Chromium sends for them; tests/test_browser.py replays them from a real page."""

import base64
import json
import os
import time

from httpclient import Conn, get
from simserver import free_port_pair

ROUTES = (
    ("GET", "/"),
    ("GET", "/status"),
    ("GET", "/capture"),
    ("GET", "/stream"),
    ("GET", "/?action=stream"),
    ("GET", "/control?var=quality&val=10"),
    ("POST", "/wifi"),
    ("OPTIONS", "/status"),
    ("HEAD", "/capture"),
    ("GET", "/no/such/path"),
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def request(server, method, path, headers=None, body=b"", port=None):
    conn = Conn(server.host, port or server.port)
    try:
        conn.request(method, path, dict(headers or {}, Connection="close"), body)
        return conn.read_reply(head_only=method == "HEAD")  # (a 200 stream would never end: not asked here)
    finally:
        conn.close()


def status(server):
    return json.loads(get(server, "/status").body)


def test_host_that_is_not_this_camera_gets_421_on_every_route(sim):
    server = sim(stream_port=0)
    for host in (
        "evil.example",
        "evil.example:%d" % server.port,
        "127.0.0.1.evil.example",
        "camserver.evil",
        "1.2.3.4.5",
        "[zz::1]",
        "[::1",
        "127.0.0.1:http",
        "",
    ):
        for method, path in ROUTES:
            reply = request(server, method, path, {"Host": host})
            assert reply.status == 421, (host, method, path, reply.status)
            if method != "HEAD":
                assert reply.body.endswith(b"\n") and reply.body.count(b"\n") == 1, reply.body
    assert status(server)["quality"] != 10


def test_ip_literals_localhost_and_the_hostname_are_served(sim):
    server = sim(hostname="MyCam", allowed_hosts="cam.example.net, proxy.lan:8443")
    port = server.port
    for host in (
        "127.0.0.1",
        "127.0.0.1:%d" % port,
        "10.0.0.7",
        "[::1]",
        "[::1]:%d" % port,
        "[fe80::1:2]:80",
        "localhost",
        "LOCALHOST:%d" % port,
        "mycam",
        "mycam.local",
        "MyCam.Local.:80",
        "cam.example.net",
        "cam.example.net:443",
        "proxy.lan",
    ):
        assert request(server, "GET", "/status", {"Host": host}).status == 200, host
    assert (
        request(server, "GET", "/status", {"Host": "camserver"}).status == 421
    )  # the default name is replaced
    conn = Conn(server.host, port)  # HTTP/1.0 without Host: not a browser, nothing to rebind
    conn.send(b"GET /status HTTP/1.0\r\n\r\n")
    assert conn.read_reply().status == 200


def test_host_check_comes_before_auth_and_covers_the_stream_port(sim):
    port = free_port_pair()
    server = sim(port=port, auth_user="admin", auth_password="s3cret", stream_port=1)
    for target in (port, port + 1):
        reply = request(server, "GET", "/stream", {"Host": "evil.example"}, port=target)
        assert reply.status == 421 and "www-authenticate" not in reply.headers, target
        assert request(server, "GET", "/stream", port=target).status == 401


def test_cross_site_requests_cannot_change_settings(sim):
    server = sim()
    own = "http://127.0.0.1:%d" % server.port
    quality = status(server)["quality"]
    refused = [
        {"Origin": "http://evil.example"},
        {"Origin": "http://127.0.0.1:%d" % (server.port + 1)},  # another port is another origin
        {"Origin": "https://127.0.0.1:%d" % server.port},
        {"Origin": "null"},  # sandboxed frames, file: pages, cross-origin redirects
        {"Referer": "http://evil.example/page.html"},  # an <img>: no Origin, but a Referer
        {"Sec-Fetch-Site": "cross-site"},  # Referer suppressed (referrerpolicy=no-referrer)
        {"Sec-Fetch-Site": "cross-site", "Origin": own},
        {"Sec-Fetch-Site": "same-site"},  # a page on another name of the same site
    ]
    for headers in refused:
        reply = request(server, "GET", "/control?var=quality&val=%d" % (quality + 1), headers)
        assert reply.status == 403, (headers, reply.status)
        assert reply.body.count(b"\n") == 1, reply.body
        post = request(server, "POST", "/wifi", dict(headers, **FORM), b"ssid=evil-net&password=evil-pass")
        assert post.status == 403, (headers, post.status)
    assert status(server)["quality"] == quality
    allowed = [
        {},  # curl, Home Assistant, scripts: CameraWebServer's GET /control stays
        {"Origin": own},
        {"Origin": own, "Sec-Fetch-Site": "same-origin"},
        {"Referer": own + "/"},
        {"Sec-Fetch-Site": "none"},  # typed into the address bar
    ]
    for i, headers in enumerate(allowed):
        reply = request(server, "GET", "/control?var=quality&val=%d" % (quality + 1 + i), headers)
        assert reply.status == 200, (headers, reply.status, reply.body)
        assert reply.header("cache-control") == "no-store"
    assert status(server)["quality"] == quality + len(allowed)


def test_cross_site_wifi_form_saves_nothing(sim, tmp_path):
    path = str(tmp_path / "settings.json")
    server = sim(settings=path)
    reply = request(
        server,
        "POST",
        "/wifi",
        dict(FORM, Origin="http://evil.example", Referer="http://evil.example/"),
        b"ssid=evil-net&password=evil-pass",
    )
    assert reply.status == 403 and b"refused" in reply.body
    assert not os.path.exists(path)


def test_proxy_and_cors_origin_pages_may_change_settings(sim):
    server = sim(allowed_hosts="cam.example.net", cors_origin="http://dash.example:8123")
    page = {"Host": "cam.example.net", "Origin": "https://cam.example.net", "Sec-Fetch-Site": "same-origin"}
    assert request(server, "GET", "/control?var=quality&val=20", page).status == 200
    behind = {"Origin": "https://cam.example.net"}  # the proxy forwards with the camera's address as Host
    assert request(server, "GET", "/control?var=quality&val=21", behind).status == 200
    dash = {"Origin": "http://dash.example:8123", "Sec-Fetch-Site": "cross-site"}
    assert request(server, "GET", "/control?var=quality&val=22", dash).status == 200
    assert (
        request(server, "GET", "/control?var=quality&val=23", {"Origin": "http://dash.example"}).status == 403
    )
    assert status(server)["quality"] == 22
    everyone = sim(cors_origin="*")  # `*` lets any page read, never change
    assert (
        request(everyone, "GET", "/control?var=quality&val=20", {"Origin": "http://x.example"}).status == 403
    )


def test_head_never_changes_state(sim):
    server = sim()
    quality = status(server)["quality"]
    reply = request(server, "HEAD", "/control?var=quality&val=%d" % (quality + 1))
    assert reply.status == 405 and reply.header("allow") == "GET"
    reply = request(server, "HEAD", "/wifi")
    assert reply.status == 405 and reply.header("allow") == "POST"
    assert status(server)["quality"] == quality
    pre = request(server, "OPTIONS", "/control")
    assert pre.status == 204 and pre.header("allow") == "GET"
    assert request(server, "HEAD", "/status").status == 200  # HEAD on a read-only route is GET's head


def test_diagnostics_gc_window_is_guarded_like_a_setting(sim):
    server = sim(diagnostics=1)
    evil = {"Origin": "http://evil.example"}
    assert request(server, "GET", "/test/gc?action=start", evil).status == 403
    assert request(server, "HEAD", "/test/gc?action=start").status == 405
    assert request(server, "GET", "/test/gc?action=stop").status == 200  # the bench's plain client


def test_saved_wifi_answer_is_not_stored(sim, tmp_path):
    path = str(tmp_path / "settings.json")
    server = sim(settings=path, auth_user="admin", auth_password="s3cret")
    login = {"Authorization": "Basic YWRtaW46czNjcmV0"}
    reply = request(server, "POST", "/wifi", dict(FORM, **login), b"ssid=home&password=long-enough-pass")
    assert reply.status == 200 and reply.header("cache-control") == "no-store", (reply.status, reply.body)
    assert os.path.exists(path)


def test_password_guessing_is_slowed_per_address(sim):
    """Five wrong passwords from one address: the sixth try gets 429 with Retry-After (and the
    right password is not even looked at until then); another address is not affected; after
    the wait the right password works and clears the count."""
    server = sim(auth_user="admin", auth_password="right-one")

    def basic(password, source):
        token = base64.b64encode(("admin:" + password).encode()).decode()
        conn = Conn(server.host, server.port, source=source)
        try:
            conn.request("GET", "/status", {"Authorization": "Basic " + token, "Connection": "close"})
            return conn.read_reply()
        finally:
            conn.close()

    for _ in range(5):
        assert basic("wrong", "127.0.0.2").status == 401
    locked = basic("right-one", "127.0.0.2")
    assert locked.status == 429 and locked.header("retry-after") == "1", locked.raw_head
    assert basic("right-one", "127.0.0.3").status == 200
    time.sleep(1.1)
    assert basic("right-one", "127.0.0.2").status == 200
    assert basic("wrong", "127.0.0.2").status == 401  # the count started again


def test_the_page_refuses_to_be_framed(sim):
    """A hostile page must not frame the camera page to trick clicks onto its controls."""
    server = sim()
    for encoding in ("gzip", "identity"):
        reply = get(server, "/", headers={"Accept-Encoding": encoding})
        assert reply.status == 200
        assert reply.header("x-frame-options") == "DENY"
        assert "frame-ancestors 'none'" in reply.header("content-security-policy")
