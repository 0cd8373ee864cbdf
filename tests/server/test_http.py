"""HTTP/1.1 behaviour: keep-alive, pipelining, HEAD, 1.0, routing errors, limits, timeouts."""

import json
import socket
import time

from httpclient import Conn, get


def test_keepalive_serves_many_requests_on_one_connection(sim):
    server = sim()
    conn = Conn(server.host, server.port)
    for _ in range(20):
        conn.request("GET", "/status")
        reply = conn.read_reply()
        assert reply.status == 200 and "connection" not in reply.headers
    conn.request("GET", "/status", {"Connection": "close"})
    reply = conn.read_reply()
    assert reply.header("connection") == "close"
    assert conn.closed_by_peer()
    assert json.loads(reply.body)["requests"] == 21


def test_pipelined_requests_answered_in_order(sim):
    server = sim()
    conn = Conn(server.host, server.port)
    conn.send(
        b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        b"HEAD /test/body HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        b"GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        b"GET /test/body HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    first = conn.read_reply()
    assert first.status == 200 and b"uptime_ms" in first.body
    head = conn.read_reply(head_only=True)
    assert head.status == 200 and head.header("content-length") == "120000"
    assert conn.read_reply().status == 404
    last = conn.read_reply()
    assert last.status == 200 and len(last.body) == 120000


def test_http10_closes_unless_keepalive_asked(sim):
    server = sim()
    conn = Conn(server.host, server.port)
    conn.request("GET", "/status", version="HTTP/1.0")
    reply = conn.read_reply()
    assert reply.raw_head.startswith(b"HTTP/1.0 200")
    assert conn.closed_by_peer()
    conn = Conn(server.host, server.port)
    conn.request("GET", "/status", {"Connection": "keep-alive"}, version="HTTP/1.0")
    assert conn.read_reply().header("connection") == "keep-alive"
    conn.request("GET", "/status", version="HTTP/1.0")
    assert conn.read_reply().status == 200


def test_head_has_headers_and_no_body(sim):
    server = sim()
    conn = Conn(server.host, server.port)
    conn.request("HEAD", "/test/body")
    reply = conn.read_reply(head_only=True)
    assert reply.header("content-length") == "120000"
    conn.request("GET", "/status")  # no stray body bytes before the next reply
    assert conn.read_reply().status == 200


def test_404_and_405(sim):
    server = sim()
    missing = get(server, "/no/such/page")
    assert missing.status == 404 and missing.body.endswith(b"\n") and missing.body.count(b"\n") == 1
    wrong = get(server, "/status", method="DELETE")
    assert wrong.status == 405 and "GET" in wrong.header("allow")


def _raw(server, data, timeout=5):
    sock = server.connect(timeout)
    sock.sendall(data)
    out = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            out += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    sock.close()
    return out


def _status(raw):
    return int(raw.split(b" ", 2)[1])


def test_bad_input_gets_the_right_status_and_one_line(sim):
    server = sim()
    cases = [
        (b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 5000 + b"\r\n\r\n", 431),
        (
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + b"".join(b"X-H%d: v\r\n" % i for i in range(40))
            + b"\r\n",
            431,
        ),
        (b"POST /status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999\r\n\r\n", 413),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505),
        (b"GET / HTTP/9\r\nHost: 127.0.0.1\r\n\r\n", 505),
        (b"BREW /pot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 501),
        (b"GET relative HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        (b"POST /status HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
        # Strict HTTP/1.1 (RFC 9112 3.2, 5): one Host, CR and LF only as CRLF, no control bytes.
        (b"GET /status HTTP/1.1\r\n\r\n", 400),
        (b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        (b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX: a\rb\r\n\r\n", 400),
        (b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\nX: b\r\n\r\n", 400),
        (b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX: a\x00b\r\n\r\n", 400),
    ]
    for data, expected in cases:
        raw = _raw(server, data)
        assert raw, "no reply to %r" % data[:40]
        assert _status(raw) == expected, (data[:60], raw[:200])
        head, body = raw.split(b"\r\n\r\n", 1)
        assert b"Connection: close" in head
        assert body.endswith(b"\n") and body.count(b"\n") == 1, body
    time.sleep(0.3)
    status = json.loads(get(server, "/status").body)
    assert status["connections"] == 1, "a slot leaked: %s" % status
    assert not [x for x in server.lines() if "ERROR" in x or "WARNING" in x or "Traceback" in x]


def test_body_within_limit_is_read_and_next_request_follows(sim):
    server = sim()
    conn = Conn(server.host, server.port)
    conn.request("POST", "/status", body=b"x" * 1000)
    assert conn.read_reply().status == 405
    conn.request("GET", "/status")
    assert conn.read_reply().status == 200


def test_slow_head_gets_408_then_close(sim):
    server = sim(header_timeout_ms=400)
    sock = server.connect()
    sock.sendall(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finishes the head
    start = time.perf_counter()
    raw = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        raw += chunk
    took = time.perf_counter() - start
    assert _status(raw) == 408
    # Not before the deadline; when after it depends on the machine's load (the socket's 5 s
    # timeout is the liveness bound; the deadline itself is checked in tests/mpy/connection_checks.py).
    assert took > 0.3, took


def test_idle_keepalive_connection_is_closed(sim):
    server = sim(idle_timeout_ms=300)
    conn = Conn(server.host, server.port)
    conn.request("GET", "/status")
    assert conn.read_reply().status == 200
    start = time.perf_counter()
    assert conn.closed_by_peer(timeout=10)
    assert time.perf_counter() - start > 0.2  # not before idle_timeout_ms (after it: the load's say)
    time.sleep(0.2)
    assert json.loads(get(server, "/status").body)["connections"] == 1


def test_peer_that_stops_reading_is_dropped_after_send_timeout(sim):
    server = sim(send_timeout_ms=500)
    sock = server.connect()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    line = server.wait_for_line("stopped reading", timeout=10)
    assert "INFO" in line
    time.sleep(0.2)
    assert json.loads(get(server, "/status").body)["connections"] == 1
    sock.close()


def test_expect_100_continue_is_answered_before_the_body(sim):
    server = sim()
    sock = server.connect()
    form = b"ssid=x&password=short"
    sock.sendall(
        b"POST /wifi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(form)
    )
    got = b""
    while b"\r\n\r\n" not in got:  # no body sent yet: only an interim answer can come
        chunk = sock.recv(4096)
        assert chunk, "closed before 100 Continue"
        got += chunk
    assert got == b"HTTP/1.1 100 Continue\r\n\r\n"
    sock.sendall(form)
    conn = Conn(server.host, server.port, sock=sock)
    final = conn.read_reply()
    assert final.status in (400, 403) and final.body.count(b"\n") == 1  # the form's own verdict
    sock.close()
    refused = _raw(
        server, b"POST /wifi HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: teapot\r\nContent-Length: 3\r\n\r\nabc"
    )
    assert _status(refused) == 417 and b"100-continue" in refused
    old = _raw(server, b"GET /status HTTP/1.0\r\nExpect: teapot\r\n\r\n")  # HTTP/1.0: ignored
    assert _status(old) == 200


def test_date_header_once_the_clock_is_set_and_no_store_on_dynamic_answers(sim):
    from email.utils import parsedate_to_datetime

    server = sim()
    for path, status in (("/status", 200), ("/nowhere", 404), ("/capture", 200)):
        reply = get(server, path)
        assert reply.status == status
        when = parsedate_to_datetime(reply.header("date"))
        assert abs(when.timestamp() - time.time()) < 5, reply.header("date")
        assert reply.header("date").endswith(" GMT")
    bad = _raw(server, b"GET / HTTP/1.1\r\n\r\n")  # an error the parser raises has one too
    assert _status(bad) == 400 and b"\r\nDate: " in bad
    for path in ("/status", "/capture", "/control?var=quality&val=10"):
        assert get(server, path).header("cache-control") == "no-store", path
    stream = Conn(server.host, server.port)
    stream.request("GET", "/stream")
    assert stream.read_reply(head_only=True).header("cache-control") == "no-store"
    stream.close()
    assert get(server, "/").header("cache-control") == "no-cache"  # the page revalidates, may be kept
