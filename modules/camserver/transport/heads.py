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
coroutine for it (each await of one allocates; transport/wait.py), so read() never waits:

    start = heads.read()
    while start is None:          # not there yet: park on the socket, then read again
        yield readable(sock)
        start = heads.read()
    if start < 0:                 # the client has closed
        return
"""

from camserver import log
from camserver.transport.phases import IDLE, READING


class HeadReader:
    """The request heads of one connection. buf[start:end] are the bytes read and not yet
    consumed; after a head the caller moves start past what it takes (a body) and may reset
    start and end to 0 when nothing is left."""

    def __init__(self, conn, parse, request, timed):
        """parse: the protocol's hook (above); request: what it parses into (reused);
        timed: a head that has begun arms READING (header_timeout, then a 408) if the
        connection was IDLE (HTTP); else the phases are all the caller's (RTSP's rest())."""
        self.conn = conn
        self.limits = conn.listener.limits
        self.parse = parse
        self.request = request
        self.timed = timed
        self.buf = bytearray(self.limits.header_bytes)
        self.mv = memoryview(self.buf)
        self.start = self.end = 0
        self.drop = 0  # bytes still to drop (parse's -n) before the next head
        # A new client has usually sent its request by the time it runs: the first read comes
        # before parking (one poll round less, and no moment in which it looks like a slow head
        # to evict). From then on, read() reads only after the caller has parked.
        self.parked = True

    def read(self):
        """The next head: the index just after it (start is then there too), None when the
        caller must park until the socket is readable and call again, -1 when the client has
        closed. Raises what parse raises (HTTPError for a head that cannot be framed)."""
        start = self.start
        end = self.end
        if not self.parked and start == end:  # (the usual keep-alive case: nothing pipelined)
            self.parked = True
            return None
        buf = self.buf
        mv = self.mv
        if self.parked:  # one non-blocking read, after the bytes not yet consumed
            had = end - start
            if start > 0:  # make room at the back
                end = had
                mv[0:end] = mv[start : start + end]
                start = 0
            n = self.conn.sock.readinto(mv[end:] if end else buf)  # (a slice costs an allocation)
            if n == 0:
                if had:
                    log.debug("%s closed in the middle of a request", self.conn.peer)
                return -1
            if n:
                end += n
        drop = self.drop
        parsed = None
        while end > start:
            if drop:
                n = drop if drop < end - start else end - start
                start += n
                drop -= n
                continue
            parsed = self.parse(buf, start, end, self.limits, self.request, mv)
            if parsed is None:
                conn = self.conn
                if self.timed and conn.phase == IDLE:  # the next request has begun: a slow head is now a 408
                    conn.arm(READING)
                break
            if parsed > 0:
                start = parsed
                break
            drop = -parsed
            parsed = None
        self.start = start
        self.end = end
        self.drop = drop
        self.parked = parsed is None
        return parsed
