"""The connection (transport/connection.py), the head-reading loop (transport/heads.py) and the
response writers (transport/writers.py), inside MicroPython: a real Connection task on a real
socket pair, with the real Listener's limits and slot list and a Router of test handlers; and a
real RtspConnection on one, for the loop's other parse step (rtsp/connection.py).

The pair is AF_UNIX (sockpair.py). Nothing here reads a clock: a deadline
passing is the watchdog calling stop() (what the listener does), done by the test, and every wait
is a bounded number of scheduler rounds.
"""

import asyncio
import socket
import time

import check
from camserver import settings
from camserver.http.errors import HTTPError
from camserver.http.response import Response, StreamBody
from camserver.router import Router
from camserver.rtsp.connection import RtspConnection
from camserver.rtsp.service import RtspService
from camserver.transport import sockopts
from camserver.transport.connection import Connection
from camserver.transport.listener import Listener
from camserver.transport.phases import IDLE, READING, SENDING, SESSION, UNTIMED
from sockpair import pair

ROUNDS = 2000  # scheduler rounds a reply may take to arrive (loopback needs a handful)
BIG = bytearray(1024 * 1024)  # more than the socket buffers hold: the server must wait for its client


class Hold:
    """Stands for a camera frame a response keeps taken."""

    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


class Pieces:
    """A generator body: pieces of unknown total length."""

    def __init__(self, pieces):
        self.pieces = pieces

    def __iter__(self):
        return self

    def __next__(self):
        if not self.pieces:
            raise StopIteration
        return self.pieces.pop(0)


class Stream(StreamBody):
    def __init__(self):
        self.closed = 0

    async def send(self, out):
        await out.write(b"part-1;")
        await out.write(b"part-2;")

    def close(self):
        self.closed += 1


class Rig:
    """A Listener with one connection on a socket pair; the test is the client."""

    def __init__(self, **config):
        merged = dict(settings.DEFAULTS)
        merged.update(config)
        self.listener = Listener(merged, b"X-Every: 1\r\n")
        self.router = Router()
        self.holds = []
        self.router.add("GET", "/hello", self.hello)
        self.router.add("POST", "/echo", self.echo)
        self.router.add("GET", "/big", self.big_body)
        self.router.add("GET", "/pieces", self.pieces)
        self.router.add("GET", "/stream", self.stream)
        self.router.add("GET", "/fail", self.fail)
        self.router.add("GET", "/teapot", self.teapot)

    async def hello(self, request):
        return Response(b"hello")

    async def echo(self, request):
        return Response(bytes(request.body or b""))

    async def big_body(self, request):
        response = Response(BIG, content_type="application/octet-stream")
        response.lease = Hold()
        self.holds.append(response.lease)
        return response

    async def pieces(self, request):
        return Response(Pieces([b"ab", b"", b"cde"]))

    async def stream(self, request):
        self.streamed = Stream()
        return Response(self.streamed, content_type="multipart/x-mixed-replace;boundary=b")

    async def fail(self, request):
        raise ValueError("a bug in a handler")

    async def teapot(self, request):
        raise HTTPError(418, "short and stout", headers=[("X-Why", "tea")])

    def open(self):
        self.client, sock = pair("conn.sock")
        # As the listener's accept loop does, without the TCP socket options.
        self.conn = Connection(self.listener, self.router, sock, ("127.0.0.1", 5000), "127.0.0.1")
        self.listener.connections.append(self.conn)
        self.conn.task = asyncio.create_task(self.conn.run())
        return self

    def send(self, data):
        assert self.client.write(data) == len(data)

    async def receive(self, until):
        """Bytes from the server until until(data) says enough or the server closes."""
        data = b""
        scratch = bytearray(8192)
        for _ in range(ROUNDS):
            await asyncio.sleep_ms(0)
            n = self.client.readinto(scratch)
            if n == 0:
                return data
            if n:
                data += scratch[:n]
                if until(data):
                    return data
        raise AssertionError("nothing more after %d rounds: %r" % (ROUNDS, data[:200]))

    async def reply(self):
        """One complete response with a Content-Length body: (status line, head, body)."""
        data = await self.receive(_complete)
        end = data.find(b"\r\n\r\n") + 2
        return data[: data.find(b"\r\n")], data[:end], data[end + 2 :]

    async def closed(self):
        """Wait for the server to close; the bytes it sent first."""
        return await self.receive(lambda data: False)

    async def let_run(self):
        """A few scheduler rounds: the connection takes what the client sent and parks."""
        for _ in range(3):
            await asyncio.sleep_ms(0)

    async def settle(self, phase):
        """Let the connection run until it is in phase."""
        for _ in range(ROUNDS):
            if self.conn.phase == phase:
                return
            await asyncio.sleep_ms(0)
        raise AssertionError("phase %d, not %d" % (self.conn.phase, phase))

    async def ended(self):
        """Wait for the connection task to finish; its slot must be free then."""
        for _ in range(ROUNDS):
            if self.conn.task.done():
                break
            await asyncio.sleep_ms(0)
        assert self.conn.task.done(), "connection task still running"
        assert self.conn not in self.listener.connections, "slot not given back"
        self.client.close()


def _complete(data):
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    for line in data[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            return len(data) - end - 4 >= int(value)
    return True


def run(test, **config):
    async def main():
        rig = Rig(**config).open()
        await rig.let_run()
        await test(rig)

    asyncio.run(main())


def test_keep_alive_serves_request_after_request():
    async def main(rig):
        for _ in range(3):
            rig.send(b"GET /hello HTTP/1.1\r\nHost: cam\r\n\r\n")
            status, head, body = await rig.reply()
            assert status == b"HTTP/1.1 200 OK" and body == b"hello", head
            assert b"X-Every: 1\r\n" in head and b"Connection: close" not in head
            await rig.settle(IDLE)
        assert rig.listener.requests == 3
        rig.send(b"GET /hello HTTP/1.1\r\nHost: cam\r\nConnection: close\r\n\r\n")
        data = await rig.closed()
        assert b"Connection: close\r\n" in data and data.endswith(b"hello")
        await rig.ended()

    run(main)


def test_a_head_the_socket_cannot_take_at_once_is_finished_before_the_body():
    async def main(rig):
        # The server's socket full before the request: the head's write comes back short, and
        # the writer must wait for the rest of it (Sender.finish), then write the body.
        filled = 0
        for size in (4096, 1):  # (a unix socket that refuses 4096 bytes may still take a few)
            filler = bytes(size)
            while True:
                n = rig.conn.sock.write(filler)
                if not n:
                    break
                filled += n
        rig.send(b"GET /hello HTTP/1.1\r\nHost: cam\r\nConnection: close\r\n\r\n")
        await rig.settle(SENDING)  # parked on the full socket; only now does the client read
        data = await rig.closed()
        assert len(data) > filled and not any(data[:filled]), (len(data), filled)
        reply = data[filled:]
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.endswith(b"\r\n\r\nhello"), reply
        await rig.ended()

    run(main)


def test_pipelined_requests_are_answered_in_order():
    async def main(rig):
        first = b"GET /hello HTTP/1.1\r\nHost: c\r\n\r\n"
        rig.send(first + b"GET /nope HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n")
        data = await rig.closed()
        assert data.startswith(b"HTTP/1.1 200 OK\r\n") and b"hello" in data
        assert data.index(b"HTTP/1.1 404 Not Found\r\n") > data.index(b"hello")
        assert data.endswith(b"no such path: /nope\n")
        await rig.ended()

    run(main)


def test_http_1_0_closes_after_the_response_unless_kept_alive():
    async def main(rig):
        rig.send(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        status, head, body = await rig.reply()
        assert status == b"HTTP/1.0 200 OK" and b"Connection: keep-alive\r\n" in head
        rig.send(b"GET /hello HTTP/1.0\r\n\r\n")
        data = await rig.closed()
        assert b"Connection: close\r\n" in data and data.endswith(b"hello")
        await rig.ended()

    run(main)


def test_a_head_that_stops_coming_gets_408_when_its_deadline_passes():
    async def main(rig):
        rig.send(b"GET /hello HTTP/1.1\r\nHost:")
        await rig.let_run()
        assert rig.conn.phase == READING
        rig.conn.stop(READING)  # what the watchdog does once header_timeout_ms has passed
        data = await rig.closed()
        assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), data
        assert b"Connection: close\r\n" in data and data.endswith(b"request not received in time\n")
        await rig.ended()

    run(main)


def test_the_first_head_deadline_runs_from_the_connection_start():
    # A client that connects and dribbles its head gets header_timeout_ms in all, not the idle
    # timeout first and the head timeout again from each byte.
    async def main(rig):
        conn = rig.conn
        armed = conn.since
        assert conn.phase == READING
        assert conn.deadline == time.ticks_add(armed, rig.listener.config["header_timeout_ms"])
        for byte in b"GET":
            await asyncio.sleep_ms(5)  # (so that re-arming would show in `since`)
            rig.send(bytes([byte]))
            await rig.let_run()
            assert conn.phase == READING and conn.since == armed
        rig.client.close()
        await rig.ended()

    run(main)


def test_arm_takes_the_phase_timeout_or_a_deadline_given():
    async def main(rig):
        conn = rig.conn
        conn.arm(IDLE)
        assert conn.phase == IDLE
        assert conn.deadline == time.ticks_add(conn.since, rig.listener.config["idle_timeout_ms"])
        # A phase with no timeout of its own (Listener.timeouts stops before SESSION) takes its
        # deadline from the caller.
        deadline = time.ticks_add(time.ticks_ms(), 12345)
        conn.arm(SESSION, deadline)
        assert conn.phase == SESSION and conn.deadline == deadline
        rig.client.close()
        await rig.ended()

    run(main)


def test_an_idle_keep_alive_connection_is_closed_without_a_reply():
    async def main(rig):
        rig.send(b"GET /hello HTTP/1.1\r\nHost: c\r\n\r\n")
        await rig.reply()
        await rig.settle(IDLE)
        rig.conn.stop(IDLE)
        assert await rig.closed() == b""
        await rig.ended()

    run(main)


def refused(request, status, reason=b""):
    """A request the server answers with status (its body ending in reason) and nothing more: the
    connection drains what the client sends until it closes, then frees its slot."""

    async def main(rig):
        rig.send(request)
        data = await rig.receive(_complete)
        assert data.startswith(b"HTTP/1.1 " + status), data
        assert data.endswith(reason), data
        rig.client.close()
        await rig.ended()

    run(main)


def test_a_body_across_reads_then_a_pipelined_request_each_get_their_reply():
    # The head comes in two reads, its body in two more, the second with the next request's head
    # behind it: that head is parsed from where the body ended.
    async def main(rig):
        rig.send(b"POST /echo HTTP/1.1\r\nHo")
        await rig.let_run()
        rig.send(b"st: c\r\nContent-Length: 10\r\n\r\n0123")
        await rig.let_run()
        rig.send(b"456789GET /hello HTTP/1.1\r\nHost: c\r\n\r\n")
        status, _, body = await rig.reply()
        assert status == b"HTTP/1.1 200 OK" and body == b"0123456789", body
        data = await rig.receive(lambda data: data.endswith(b"hello"))
        assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data
        assert rig.listener.requests == 2
        rig.client.close()
        await rig.ended()

    run(main)


def test_too_long_request_line_is_414_and_too_large_head_431():
    # (no line end yet: too long is too long already)
    refused(b"GET /" + b"a" * 3000, b"414 URI Too Long\r\n", b"request line longer than 2048 bytes\n")
    refused(b"GET /hello HTTP/1.1\r\n" + b"X-Pad: " + b"p" * 5000 + b"\r\n\r\n", b"431 ")


def test_expect_100_continue_is_answered_before_the_body_is_read():
    async def main(rig):
        rig.send(b"POST /echo HTTP/1.1\r\nHost: c\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        interim = await rig.receive(lambda data: data.endswith(b"\r\n\r\n"))
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        rig.send(b"12345")
        status, _, body = await rig.reply()
        assert status == b"HTTP/1.1 200 OK" and body == b"12345"
        # With the body already sent along, no 100 Continue.
        rig.send(b"POST /echo HTTP/1.1\r\nHost: c\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok")
        status, _, body = await rig.reply()
        assert status == b"HTTP/1.1 200 OK" and body == b"ok"
        rig.send(b"POST /echo HTTP/1.1\r\nHost: c\r\nContent-Length: 2\r\nExpect: teapot\r\n\r\n")
        data = await rig.receive(_complete)
        assert data.startswith(b"HTTP/1.1 417 "), data
        rig.client.close()
        await rig.ended()

    run(main)


def test_a_client_closing_mid_response_frees_the_slot_and_the_frame():
    async def main(rig):
        rig.send(b"GET /big HTTP/1.1\r\nHost: c\r\n\r\n")
        await rig.settle(SENDING)  # the socket buffer is full: waiting for the client to read
        head = await rig.receive(lambda data: b"\r\n\r\n" in data)
        assert b"Content-Length: %d\r\n" % len(BIG) in head
        rig.client.close()
        await rig.ended()
        assert [hold.closed for hold in rig.holds] == [1]  # the frame went back exactly once

    run(main)


def test_a_stalled_client_is_dropped_and_its_frame_given_back():
    async def main(rig):
        rig.send(b"GET /big HTTP/1.1\r\nHost: c\r\n\r\n")
        await rig.settle(SENDING)
        rig.conn.stop(SENDING)  # what the watchdog does after send_timeout_ms
        await rig.ended()
        assert [hold.closed for hold in rig.holds] == [1]

    run(main)


def test_head_gets_the_get_head_and_no_body():
    async def main(rig):
        rig.send(b"HEAD /hello HTTP/1.1\r\nHost: c\r\n\r\nGET /hello HTTP/1.1\r\nHost: c\r\n\r\n")
        data = await rig.receive(lambda data: data.endswith(b"hello"))
        first, _, rest = data.partition(b"\r\n\r\n")
        assert b"Content-Length: 5" in first and rest.startswith(b"HTTP/1.1 200 OK\r\n"), data
        rig.client.close()
        await rig.ended()

    run(main)


def test_a_generator_body_is_chunked_for_1_1_and_ended_by_closing_for_1_0():
    async def main(rig):
        rig.send(b"GET /pieces HTTP/1.1\r\nHost: c\r\n\r\n")
        data = await rig.receive(lambda data: data.endswith(b"0\r\n\r\n"))
        head, _, body = data.partition(b"\r\n\r\n")
        assert b"Transfer-Encoding: chunked" in head and b"Content-Length" not in head
        assert body == b"2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"  # the empty piece is skipped
        rig.send(b"GET /pieces HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        data = await rig.closed()
        head, _, body = data.partition(b"\r\n\r\n")
        assert b"Connection: close" in head and b"chunked" not in head and body == b"abcde"
        await rig.ended()

    run(main)


def test_a_stream_body_is_raw_ends_the_connection_and_is_closed_once():
    async def main(rig):
        rig.send(b"GET /stream HTTP/1.1\r\nHost: c\r\n\r\n")
        data = await rig.closed()
        head, _, body = data.partition(b"\r\n\r\n")
        assert b"Connection: close" in head and b"Content-Length" not in head and b"chunked" not in head
        assert body == b"part-1;part-2;"
        assert rig.streamed.closed == 1
        await rig.ended()

    run(main)


def test_handler_errors_become_replies_and_the_connection_goes_on():
    async def main(rig):
        rig.send(b"GET /fail HTTP/1.1\r\nHost: c\r\n\r\n")
        status, _, body = await rig.reply()
        assert status == b"HTTP/1.1 500 Internal Server Error" and body == b"internal error\n"
        rig.send(b"GET /teapot HTTP/1.1\r\nHost: c\r\n\r\n")
        status, head, body = await rig.reply()
        assert status.startswith(b"HTTP/1.1 418 ") and b"X-Why: tea\r\n" in head
        assert body == b"short and stout\n"
        await rig.settle(IDLE)
        rig.client.close()
        await rig.ended()
        assert rig.conn.phase == UNTIMED

    run(main)


def test_a_body_larger_than_max_body_is_413_and_chunked_bodies_501():
    refused(b"POST /echo HTTP/1.1\r\nHost: c\r\nContent-Length: 99999\r\n\r\n", b"413 ")
    refused(b"POST /echo HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n", b"501 ")


class RtspRig(Rig):
    """A real RtspConnection on a socket pair (a real RtspService; nothing here plays a stream)."""

    URL = "rtsp://cam:8554/mjpeg/1"

    def open(self):
        self.client, sock = pair("rtsp.sock")
        config = {"rtsp_port": 8554, "rtsp_timeout_s": 60, "fps": 0, "host": "0.0.0.0"}
        service = RtspService(config, None, None, self.listener)
        self.conn = RtspConnection(self.listener, service, sock, ("127.0.0.1", 5000), "127.0.0.1")
        self.listener.connections.append(self.conn)
        self.conn.task = asyncio.create_task(self.conn.run())
        return self

    def request(self, method, cseq, *headers):
        head = "%s %s RTSP/1.0\r\nCSeq: %d\r\n" % (method, self.URL, cseq)
        return (head + "".join(h + "\r\n" for h in headers) + "\r\n").encode()

    async def answers(self, count):
        """The next count replies (none of these has a body), as "CSeq status" strings."""
        data = await self.receive(lambda data: data.count(b"\r\n\r\n") >= count)
        out = []
        for head in data.split(b"\r\n\r\n")[:-1]:
            lines = head.split(b"\r\n")
            fields = dict(line.split(b": ", 1) for line in lines[1:])
            assert b"Content-Length" not in fields, head
            out.append("%s %s" % (fields[b"CSeq"].decode(), lines[0].split(b" ")[1].decode()))
        assert len(out) == count, data
        return out


def run_rtsp(test):
    async def main():
        rig = RtspRig().open()
        await rig.let_run()
        await test(rig)

    asyncio.run(main())


def test_rtsp_interleaved_packets_are_dropped_across_reads_and_keep_the_session_alive():
    async def main(rig):
        rig.send(rig.request("SETUP", 1, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1"))
        assert await rig.answers(1) == ["1 200"]
        session = rig.conn.handler.session
        clock = session.ticks_ms = check.Clock(5000)
        report = b"$\x01\x00\x08" + b"OPTIONS "  # an RTCP packet whose data reads like a request
        rig.send(report[:2])  # not even its length yet
        await rig.let_run()
        assert session.last != 5000
        rig.send(report[2:6])
        await rig.let_run()
        assert session.last == 5000  # a packet of the client's is a sign of life
        clock.now = 6000
        rig.send(report[6:] + b"$\x00\x17\x70")  # the next one is longer than the read buffer
        await rig.let_run()
        assert session.last == 6000
        for _ in range(3):
            rig.send(bytes(2000))
            await rig.let_run()
        rig.send(rig.request("OPTIONS", 2))
        assert await rig.answers(1) == ["2 200"]
        assert rig.listener.requests == 2
        rig.client.close()
        await rig.ended()

    run_rtsp(main)


def test_rtsp_request_bodies_are_dropped_across_reads_and_pipelined_requests_answered():
    async def main(rig):
        body = b"OPTIONS * RT"  # (a body that reads like a request: it must not be taken for one)
        rig.send(rig.request("SET_PARAMETER", 1, "Content-Length: %d" % len(body)) + body[:8])
        assert await rig.answers(1) == ["1 200"]
        rig.send(body[8:] + rig.request("GET_PARAMETER", 2, "Content-Length: 2") + b"xy")
        await rig.let_run()
        rig.send(rig.request("OPTIONS", 3))
        assert await rig.answers(2) == ["2 200", "3 200"]
        assert rig.listener.requests == 3
        rig.client.close()
        await rig.ended()

    run_rtsp(main)


class Recorder:
    """A real TCP socket that notes the options set on it (MicroPython has no getsockopt)."""

    def __init__(self):
        self.sock = socket.socket()
        self.calls = []

    def setblocking(self, flag):
        self.calls.append(("blocking", flag))
        self.sock.setblocking(flag)

    def setsockopt(self, level, option, value):
        self.calls.append((level, option, value))
        self.sock.setsockopt(level, option, value)  # the kernel must take it


def test_accepted_sockets_get_nodelay_unless_turned_off():
    config = dict(settings.DEFAULTS)
    sock = Recorder()
    sockopts.apply(sock, config)
    # Non-blocking, and TCP_NODELAY (IPPROTO_TCP 6, option 1): the head goes out at once.
    assert sock.calls == [("blocking", False), (6, 1, 1)], sock.calls
    sock.sock.close()
    config.update(nodelay=0, send_buffer=32768)
    sock = Recorder()
    sockopts.apply(sock, config)
    assert sock.calls == [("blocking", False), (socket.SOL_SOCKET, 7, 32768)], sock.calls
    sock.sock.close()


check.run(globals())
