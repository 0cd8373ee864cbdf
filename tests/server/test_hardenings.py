"""The four hardenings (README), each shown against the real MicroPython server."""

import socket
import time

from httpclient import Conn, MjpegReader, get, reset


def _abort_stream_mid_frame(server):
    sock = server.connect()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    got = 0
    while got < 200000:  # several frames in: the server is mid-send, the socket full
        got += len(sock.recv(65536))
    time.sleep(0.2)  # let the server's send buffer fill so the reset lands mid-frame
    reset(sock)


def test_client_reset_mid_body_is_silent_at_default_level(sim):
    server = sim()
    mark = server.mark()
    for _ in range(5):
        _abort_stream_mid_frame(server)
    time.sleep(0.5)
    assert get(server, "/status").status == 200
    assert server.lines_since(mark) == []
    assert get(server, "/status").status == 200


def test_client_reset_mid_body_is_one_trace_line(sim):
    server = sim(log_level="trace")
    mark = server.mark()
    _abort_stream_mid_frame(server)
    line = server.wait_for_line("went away", since=mark)
    assert "TRACE" in line and ("104" in line or "32" in line), line
    assert not [x for x in server.lines_since(mark) if " ERROR " in x or " WARNING " in x]
    assert get(server, "/status").status == 200


# Hardening 2 (TCP_NODELAY on accept) is checked where it is deterministic: the options an accepted
# socket gets, on a real socket inside MicroPython (tests/mpy/connection_checks.py). Its effect on
# keep-alive latency (Nagle x delayed ACK) is a time, measured by `make bench` (configuration b).


def _write_sizes(server, mark):
    sizes = []
    for line in server.lines_since(mark):
        if " send " in line and " bytes to " in line:
            sizes.append(int(line.split(" send ")[1].split(" ")[0]))
    return sizes


def test_chunk_size_is_honoured(sim):
    for chunk in (1460, 4096, 16384):
        server = sim(log_level="trace", chunk_size=chunk)
        mark = server.mark()
        reply = get(server, "/test/body")
        assert len(reply.body) == 120000
        time.sleep(0.2)
        sizes = _write_sizes(server, mark)
        body_writes = sizes[1:]  # the first write is the response head
        assert max(sizes) <= chunk
        assert sum(body_writes) == 120000
        assert len(body_writes) >= 120000 // chunk
        assert body_writes.count(chunk) >= 120000 // chunk - 2, (chunk, body_writes)
        server.stop()


def test_default_chunk_is_4096(sim):
    server = sim(log_level="trace")
    mark = server.mark()
    get(server, "/test/body")
    time.sleep(0.2)
    assert max(_write_sizes(server, mark)) == 4096


def test_stalled_download_does_not_delay_others(sim):
    # A downloads 120 kB through a tiny window and stops reading: its connection waits in the
    # middle of the body (the board's 32 KB send buffer) until send_timeout_ms (10 s). B is
    # answered meanwhile: its /status counts A's connection as still open. A server that served
    # one client at a time would answer B only once A had been dropped.
    server = sim(send_buffer=32768)
    a = server.connect()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    a.sendall(b"GET /test/body HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # and do not read yet
    head = a.recv(1024)
    assert head.startswith(b"HTTP/1.1 200 OK"), head
    reply = get(server, "/status")
    assert reply.status == 200
    assert reply.json()["connections"] == 2  # A (still being sent to) and B
    # A was only waiting: it gets all of its body once it reads.
    a.settimeout(10)
    body = head.split(b"\r\n\r\n", 1)[1]
    while len(body) < 120000:
        data = a.recv(65536)
        assert data, "A's download ended after %d bytes" % len(body)
        body += data
    assert len(body) == 120000
    a.close()


def test_max_connections_refuses_the_13th_with_503_when_all_work(sim):
    """Twelve streams (real work, from two hosts): the 13th gets 503 and the twelve go on."""
    server = sim()
    readers = [MjpegReader(server.host, server.port, source="127.0.0.%d" % (1 + i % 2)) for i in range(12)]
    for r in readers:
        r.next_part()
    extra = Conn(server.host, server.port, source="127.0.0.3")
    extra.request("GET", "/status")
    reply = extra.read_reply()
    assert reply.status == 503 and reply.header("retry-after")
    assert extra.closed_by_peer()
    for r in readers:  # the twelve are not disturbed
        r.next_part()
    readers.pop().close()
    time.sleep(0.3)
    again = Conn(server.host, server.port, source="127.0.0.3")
    again.request("GET", "/status")
    assert again.read_reply().status == 200
    again.close()
    for r in readers:
        r.close()
