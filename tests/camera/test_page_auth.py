"""The page over HTTP, CORS, and Basic auth on every route including the stream port."""

import base64
import gzip

from httpclient import Conn, get
from simserver import free_port_pair

ROUTES = ("/", "/capture", "/snapshot", "/stream", "/status", "/control?var=quality&val=10", "/favicon.ico")


def test_page_is_gzipped_when_accepted_and_plain_otherwise(sim):
    server = sim()
    zipped = get(server, "/", {"Accept-Encoding": "gzip, deflate"})
    assert zipped.header("content-encoding") == "gzip"
    html = gzip.decompress(zipped.body)
    assert b"<html" in html.lower() and len(zipped.body) < 16 * 1024
    plain = get(server, "/")
    assert plain.status == 200 and "content-encoding" not in plain.headers
    assert plain.body == html
    icon = get(server, "/favicon.ico")
    assert icon.status == 200 and icon.body


def test_cors_is_same_origin_by_default(sim):
    server = sim()
    for path in ("/status", "/capture", "/nope"):
        assert "access-control-allow-origin" not in get(server, path).headers, path
    pre = get(
        server,
        "/control",
        {
            "Origin": "http://example.test",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Private-Network": "true",
        },
        "OPTIONS",
    )
    assert pre.status == 204 and pre.header("allow") == "GET"
    assert not [name for name in pre.headers if name.startswith("access-control-")], pre.headers


def test_cors_origin_is_granted_to_that_origin_only(sim):
    dash = "http://dash.example:8123"
    server = sim(cors_origin=dash)
    assert get(server, "/status").header("access-control-allow-origin") == dash
    ask = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Private-Network": "true"}
    pre = get(server, "/status", dict(ask, Origin=dash), "OPTIONS")
    assert pre.status == 204
    assert pre.header("access-control-allow-private-network") == "true"
    assert "GET" in pre.header("access-control-allow-methods")
    other = get(server, "/status", dict(ask, Origin="http://evil.example"), "OPTIONS")
    assert "access-control-allow-private-network" not in other.headers
    assert "access-control-allow-methods" not in other.headers
    everyone = sim(cors_origin="*")  # CameraWebServer's behaviour, for those who ask for it
    assert get(everyone, "/capture").header("access-control-allow-origin") == "*"
    pre = get(everyone, "/stream", dict(ask, Origin="http://any.example"), "OPTIONS")
    assert pre.header("access-control-allow-private-network") == "true"


def _auth(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def test_basic_auth_guards_every_route_and_the_stream_port(sim):
    port = free_port_pair()
    # (auth_guesses=0: this test tries wrong credentials on every route, which the guess
    # limit would otherwise answer with 429 after the fifth)
    server = sim(port=port, auth_user="admin", auth_password="s3cret", stream_port=1, auth_guesses=0)
    for path in ROUTES:
        reply = get(server, path, {"Accept-Encoding": "gzip"})
        assert reply.status == 401, path
        assert reply.header("www-authenticate").startswith("Basic")
        assert get(server, path, _auth("admin", "wrong")).status == 401
    for path in ROUTES:
        if path == "/stream":
            continue
        assert get(server, path, _auth("admin", "s3cret")).status == 200, path
    stream_port = Conn(server.host, port + 1)
    stream_port.request("GET", "/stream", {"Connection": "close"})
    assert stream_port.read_reply(head_only=True).status == 401
    stream_port.close()
    ok = Conn(server.host, port + 1)
    ok.request("GET", "/stream", _auth("admin", "s3cret"))
    reply = ok.read_reply(head_only=True)
    assert reply.status == 200 and reply.header("content-type").startswith("multipart/x-mixed-replace")
    ok.close()


def test_stream_port_serves_only_the_stream(sim):
    port = free_port_pair()
    server = sim(port=port, stream_port=1)

    class Port81:
        host = server.host
        port = server.port + 1

    for path in ("/stream", "/?action=stream"):
        conn = Conn(server.host, port + 1)
        conn.request("GET", path)
        assert conn.read_reply(head_only=True).status == 200, path
        conn.close()
    for path in (
        "/",
        "/status",
        "/capture",
        "/?action=snapshot",
        "/control?var=quality&val=10",
        "/favicon.ico",
    ):
        reply = get(Port81, path)
        assert reply.status == 404 and reply.body.count(b"\n") == 1, (path, reply.status)
    assert get(Port81, "/wifi", method="POST").status == 404
    assert get(server, "/status").status == 200  # the main port still serves everything


def test_auth_scheme_is_case_insensitive(sim):
    server = sim(auth_user="admin", auth_password="s3cret")
    token = _auth("admin", "s3cret")["Authorization"].split(" ", 1)[1]
    for scheme in ("basic", "BASIC", "bAsIc"):
        assert get(server, "/status", {"Authorization": scheme + " " + token}).status == 200, scheme
    assert get(server, "/status", {"Authorization": "Bearer " + token}).status == 401
    assert get(server, "/status", {"Authorization": "Basic"}).status == 401


def test_auth_with_one_half_configured_fails_closed(sim):
    only_password = sim(auth_password="s3cret")
    line = only_password.wait_for_line("auth_user is empty")
    assert "WARNING" in line
    for path in ROUTES:
        assert get(only_password, path).status == 401, path
    assert get(only_password, "/status", _auth("anyone", "s3cret")).status == 401
    assert get(only_password, "/status", _auth("", "s3cret")).status == 200
    only_user = sim(auth_user="admin")
    assert "WARNING" in only_user.wait_for_line("auth_password is empty")
    assert get(only_user, "/status").status == 401
    assert get(only_user, "/control?var=quality&val=10").status == 401
    assert get(only_user, "/status", _auth("admin", "")).status == 200
    assert len([x for x in only_user.lines() if "WARNING" in x]) == 1


def test_status_shows_viewers_only_to_authenticated_requests(sim):
    port = free_port_pair()
    # (auth_guesses=0: this test tries wrong credentials on every route, which the guess
    # limit would otherwise answer with 429 after the fifth)
    server = sim(port=port, auth_user="admin", auth_password="s3cret", stream_port=1, auth_guesses=0)
    viewer = Conn(server.host, server.port)
    viewer.request("GET", "/stream", _auth("admin", "s3cret"))
    assert viewer.read_reply(head_only=True).status == 200
    peer = "%s:%d" % viewer.sock.getsockname()
    try:
        for target in (server.port, port + 1):
            conn = Conn(server.host, target)
            conn.request("GET", "/status", {"Connection": "close"})
            reply = conn.read_reply()
            conn.close()
            assert reply.status in (401, 404) and peer.encode() not in reply.body, reply.body
        shown = get(server, "/status", _auth("admin", "s3cret"))
        assert shown.status == 200 and peer.encode() in shown.body
    finally:
        viewer.close()
