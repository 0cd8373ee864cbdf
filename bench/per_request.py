"""Runs inside MicroPython, for bench/cost.py's per_request phase: a real Connection task (the
real Listener's limits, a Router with one route) serving keep-alive `GET /hello` (a 5-byte body)
over an AF_UNIX socket pair (tests/mpy/sockpair.py), its client in the same process.

    micropython bench/per_request.py SCRATCH calls COUNT   COUNT requests after the warm-up
    micropython bench/per_request.py SCRATCH bytes COUNT   prints the GC bytes per request

`calls` is run under callgrind for 0 and for COUNT: the difference is COUNT requests, with the
start-up, the imports and the warm-up (first-use caches) cancelled out. The collector is off
while requests are counted in both modes, so a collection never falls into one run and not the
other; what a request leaves for it to do is the `bytes` figure. The client parks on its socket
as the connection does and reads each reply whole; its share is in every figure, the same on
every tree measured.
"""

import asyncio
import gc
import sys
from asyncio import core  # pyright: ignore[reportAttributeAccessIssue] (MicroPython's)

from camserver import settings
from camserver.http.response import Response
from camserver.router import Router
from camserver.transport.connection import Connection
from camserver.transport.listener import Listener
from sockpair import pair

REQUEST = b"GET /hello HTTP/1.1\r\nHost: camera\r\n\r\n"
BODY = b"hello"
WARM_UP = 5


async def hello(request):
    return Response(BODY)


# The client's two loops are plain generators (awaited all the same: MicroPython's coroutines
# are generators), as the connection parks by a yield too.
def requests(sock, count, length, buf):
    """count requests, each answered with length bytes (the same each time: the Date line has
    a fixed width)."""
    for _ in range(count):
        sock.write(REQUEST)
        got = 0
        while got < length:
            yield core._io_queue.queue_read(sock)
            n = sock.readinto(buf)
            if n == 0:
                raise OSError("the connection closed")
            if n:
                got += n
        if got != length:
            raise AssertionError("a reply of %d bytes, not %d" % (got, length))


def first_reply(sock):
    """One request, read up to its body: the length of every reply."""
    sock.write(REQUEST)
    data = b""
    while not data.endswith(BODY):
        yield core._io_queue.queue_read(sock)
        data += sock.read(4096) or b""
    if not data.startswith(b"HTTP/1.1 200 "):
        raise AssertionError(data)
    return len(data)


async def main(mode, count):
    config = dict(settings.DEFAULTS)
    listener = Listener(config)
    router = Router()
    router.add("GET", "/hello", hello)
    client, sock = pair("per_request.sock")
    # As the listener's accept loop does, without the TCP socket options.
    conn = Connection(listener, router, sock, ("127.0.0.1", 5000), "127.0.0.1")
    listener.connections.append(conn)
    conn.task = asyncio.create_task(conn.run())
    length = await first_reply(client)
    buf = bytearray(length)
    await requests(client, WARM_UP, length, buf)
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    await requests(client, count, length, buf)
    used = gc.mem_alloc() - before
    gc.enable()
    client.close()
    await conn.task
    if mode == "bytes":
        print("bytes per request:", used / count)


asyncio.run(main(sys.argv[2], int(sys.argv[3])))
