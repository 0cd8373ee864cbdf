"""The head-reading loop of every connection, HTTP's and RTSP's: one buffer per connection
(max_header_bytes) that requests are read into in blocks and parsed in place, the bytes after a
head (a body, pipelined requests) staying in it for whoever reads on.

The protocol plugs in its parse step, parse(buf, start, end, limits, request, mv) (the shape of
http/parser.parse_head, HTTP's hook; RTSP's wraps its codec: rtsp/connection.py). It returns:
  * the index just after a complete head (> start), parsed into request;
  * None while more bytes are needed;
  * -n: n bytes at start to drop before parsing on (RTSP's interleaved $ packets, a request
    body nothing reads). They may be more than the buffer holds: they are dropped as they come.

Parking is the caller's: a loop in a coroutine that runs per request must not await another
coroutine for it (each await of one allocates; transport/wait.py), so next_head never waits:

    next_head, pos, mv = reader(conn, parse, request, timed)
    start = next_head(True)       # a new client has usually sent its request: read before parking
    while True:
        while start is None:      # not there yet: park on the socket, then read again
            yield readable(sock)
            start = next_head(True)
        if start < 0:             # the client has closed
            return
        ...                       # the request
        start = next_head(False)  # pipelined bytes, if any
"""

from camserver import log
from camserver.transport.phases import IDLE, READING


def reader(conn, parse, request, timed):
    """The head reader of conn, made once per connection: (next_head, pos, mv).

    next_head(read) returns the next head: the index just after it (pos[0] is then there
    too), None when the caller must park until the socket is readable and call
    next_head(True), -1 when the client has closed. read: one non-blocking read first (after
    parking, or for a new client); without it only the bytes already buffered are parsed. It
    raises what parse raises (HTTPError for a head that cannot be framed) and what the socket
    raises; the reader is spent then, as the connection is.

    pos is the loop's state, [start, end, drop]: buf[start:end] are read and not yet consumed,
    drop is how many bytes are still to be dropped (parse's -n) before the next head. A caller
    that takes bytes after a head (a body) moves start past them (the next read starts the
    buffer again at 0 when nothing is left). mv is a memoryview of the buffer.

    parse: the protocol's hook (above); request: what it parses into (reused); timed: a head
    that has begun arms READING (header_timeout, then a 408) if the connection was IDLE (HTTP);
    else the phases are all the caller's (RTSP's rest())."""
    limits = conn.listener.limits
    buf = bytearray(limits.header_bytes)
    mv = memoryview(buf)
    pos = [0, 0, 0]
    heads = _heads(pos, buf, mv, conn.sock, parse, limits, request, conn, timed)
    next(heads)  # to its first yield, where it waits for the first send
    return heads.send, pos, mv


def _heads(pos, buf, mv, sock, parse, limits, request, conn, timed):
    # A generator resumed once per call of next_head (its send): its frame is made once per
    # connection. A function would need a frame larger than MicroPython keeps on the C stack
    # (VM_MAX_STATE_ON_STACK, py/objfun.c), so every call would take and free a heap block;
    # the connection's values are its locals, where attributes would cost a look-up each.
    parsed = None
    while True:
        read = yield parsed
        parsed = None
        start = pos[0]
        end = pos[1]
        if read:
            had = end - start
            if start > 0:  # make room at the back (or start again at 0 when nothing is left)
                end = had
                if had:
                    mv[0:end] = mv[start : start + end]
                start = 0
            n = sock.readinto(mv[end:] if end else buf)  # (a slice costs an allocation)
            if n == 0:
                if had:
                    log.debug("%s closed in the middle of a request", conn.peer)
                parsed = -1
                continue
            if n:
                end += n
        while end > start:
            drop = pos[2]
            if drop:
                n = drop if drop < end - start else end - start
                start += n
                pos[2] = drop - n
                continue
            parsed = parse(buf, start, end, limits, request, mv)
            if parsed is None:
                if timed and conn.phase == IDLE:  # the next request has begun: a slow head is now a 408
                    conn.arm(READING)
                break
            if parsed > 0:
                start = parsed
                break
            pos[2] = -parsed
            parsed = None
        pos[0] = start
        pos[1] = end
