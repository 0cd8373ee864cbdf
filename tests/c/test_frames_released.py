"""Every camera frame goes back exactly once, however its connection dies.

Connections to /stream and /capture are reset (TCP RST, like a killed browser tab) or
closed in the middle of a frame, in a loop and several at once; afterwards the camera's
count of frames out (/status "frames_out", the backend's frames_out()) returns to 0 and
the server still serves a whole frame. Runs on whichever backend MICROPYTHON has: the
simulated camera on the PyPI binary, camera_glue on build/unix/micropython.
"""

import json
import socket
import struct
import time

from httpclient import get


def _open(server, path):
    sock = socket.socket()
    # A small receive buffer: the server's send fills it quickly and blocks mid-frame.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    sock.connect((server.host, server.port))
    sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    return sock


def _read(sock, n):
    got = 0
    while got < n:
        data = sock.recv(65536)
        if not data:
            break
        got += len(data)
    return got


def _reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _status(server):
    reply = get(server, "/status")
    assert reply.status == 200
    return json.loads(reply.body)


def test_killed_connections_give_every_frame_back(sim):
    server = sim()
    for i in range(30):
        kind = i % 3
        if kind == 0:  # a stream reset a few frames in
            sock = _open(server, b"/stream")
            assert _read(sock, 60000 + 997 * i) > 0
            _reset(sock)
        elif kind == 1:  # a still reset after its first kilobytes
            sock = _open(server, b"/capture")
            assert _read(sock, 1000) > 0
            _reset(sock)
        else:  # a stream closed politely mid-frame
            sock = _open(server, b"/stream")
            assert _read(sock, 20000) > 0
            sock.close()
    # Several at once, stalled mid-frame, then all reset together.
    socks = [_open(server, b"/stream") for _ in range(4)] + [_open(server, b"/capture") for _ in range(2)]
    for sock in socks:
        _read(sock, 3000)
    time.sleep(0.3)
    for sock in socks:
        _reset(sock)
    deadline = time.monotonic() + 10
    status = _status(server)
    while (status["frames_out"] != 0 or status["viewers"]) and time.monotonic() < deadline:
        time.sleep(0.1)
        status = _status(server)
    assert status["frames_out"] == 0, status
    assert status["viewers"] == [], status["viewers"]
    # The camera still has its buffers: a whole fresh frame comes back.
    reply = get(server, "/capture")
    assert reply.status == 200
    assert len(reply.body) == int(reply.header("content-length"))
    assert reply.body[:2] == b"\xff\xd8" and reply.body[-2:] == b"\xff\xd9"
    print("backend %s: frames_out 0 after 36 killed connections" % status["backend"])
