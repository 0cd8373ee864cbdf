"""The page over HTTP, CORS, and Basic auth on every route including the stream port."""

import base64
import gzip
import socket

from httpclient import Conn, get
from simserver import free_port

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


def test_cors_on_every_response_and_preflight(sim):
    server = sim()
    for path in ("/status", "/capture", "/nope"):
        assert get(server, path).header("access-control-allow-origin") == "*"
    pre = get(
        server,
        "/control",
        {"Origin": "http://example.test", "Access-Control-Request-Method": "GET"},
        "OPTIONS",
    )
    assert pre.status == 204
    assert pre.header("access-control-allow-private-network") == "true"
    assert "GET" in pre.header("access-control-allow-methods")


def _auth(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def test_basic_auth_guards_every_route_and_the_stream_port(sim):
    port = free_port()
    while True:  # the stream port is port + 1: find a pair that is free
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", port + 1))
            break
        except OSError:
            port = free_port()
        finally:
            probe.close()
    server = sim(port=port, auth_user="admin", auth_password="s3cret", stream_port=1)
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
