"""A request body read from the socket: by the handler itself, block by block (routes added with
stream_body=True), and by the connection for a small body it reads whole before dispatch.

The connection hands over the body bytes already read with the head and the socket; the handler
calls `await request.read_into(buf)` and gets buf filled. Each call is one UPLOADING phase of the
watchdog: a block must arrive within header_timeout_ms, so an uploader that dribbles is dropped
(408) and its slot given back, while a long upload at a sane rate is never cut off (nor taken for
a half-sent head when a newcomer needs a slot: transport/eviction.py). A client
that expects 100 Continue gets it at the first read, that is only once the handler (after the
Host, auth and cross-site checks) has accepted the request.
"""

from camserver.http.errors import HTTPError
from camserver.transport import disconnect
from camserver.transport.phases import UPLOADING
from camserver.transport.wait import readable

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class BodyReader:
    def __init__(self, conn, length, pending, send_continue):
        self.conn = conn
        self.length = length
        self.left = length  # bytes of the body not yet handed to the handler
        self.pending = pending  # a memoryview of the body bytes that came with the head, or None
        self.send_continue = send_continue

    async def read_into(self, buf):
        """Fill buf with the next body bytes. Returns how many: len(buf), less only for the
        body's last block, 0 once the body is all read. HTTPError 400 when the client closes or
        resets the connection before sending all of it."""
        want = len(buf)
        if want > self.left:
            want = self.left
        if not want:
            return 0
        conn = self.conn
        if self.send_continue:
            self.send_continue = False
            conn.sock.write(CONTINUE)
        got = 0
        pending = self.pending
        if pending is not None:
            got = len(pending) if len(pending) < want else want
            buf[0:got] = pending[0:got]
            self.pending = pending[got:] if got < len(pending) else None
        if got < want:
            conn.arm(UPLOADING)
            sock = conn.sock
            mv = memoryview(buf)
            while got < want:
                await readable(sock)
                try:
                    n = sock.readinto(mv[got:want])
                except OSError as e:
                    if not disconnect.is_peer_gone(e):
                        raise
                    n = 0  # reset by the client: as good as closed
                if n == 0:
                    raise HTTPError(
                        400,
                        "request body ended after %d of %d bytes"
                        % (self.length - self.left + got, self.length),
                        close=True,
                    )
                if n:
                    got += n
            conn.disarm()
        self.left -= got
        return got
