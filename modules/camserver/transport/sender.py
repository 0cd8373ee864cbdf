"""Writes buffers to a non-blocking socket in chunk_size pieces.

Each write is `sock.write(buf, offset, n)` — the stream protocol's offset form
— so a 120 kB frame goes out without a copy and without a memoryview slice per
chunk. asyncio's Stream.write would instead append an unsent remainder to its
out_buf with +=, copying a whole frame into the heap when the first send
blocks. When the socket is full the task waits on writability; the stall
deadline is armed only then, so a peer that stops reading is dropped by the
listener's watchdog after send_timeout_ms.

`await out.write(buf, off, end)` is every writer's one way to send: it writes what the socket
takes at once and returns wait.DONE (awaiting it costs no call and no allocation) when that was
all, so only a write that has to wait allocates a coroutine (finish). The writes themselves are
in write() alone, not in a helper it calls: the MJPEG loop writes three times per frame per
viewer, and a Python call more per write would be three per frame.
"""

from camserver import log
from camserver.transport.phases import SENDING
from camserver.transport.wait import DONE, writable


class Sender:
    """The writing half of a Connection."""

    def __init__(self, conn, chunk_size):
        self.conn = conn
        self.sock = conn.sock
        self._write = conn.sock.write
        self.chunk_size = chunk_size

    def write(self, buf, off=0, end=-1, waited=False):
        """Send buf[off:end] (end -1 = to the end), waiting for the peer as needed: await what
        it returns. Writes what the socket takes at once; returns DONE when that was all, else
        the coroutine that waits for the rest. Raises OSError if the peer goes away.
        (waited: finish's call after a wait, which gets the new offset back instead.)"""
        if end < 0:
            end = len(buf)
        # Looked up on the type: on the object it would make a bound method (a heap
        # allocation) per call, and this runs three times per frame per viewer.
        send = getattr(type(buf), "send", None)
        if send is not None:
            # A camera_glue frame: its C loop makes the chunk_size writes from PSRAM itself,
            # until end or would-block, so one call is all it takes.
            written = send(buf, self.sock, off, end, self.chunk_size)
            if written and log.level <= log.TRACE:
                log.trace("send %d bytes to %s", written, self.conn.peer)
            off += written
        else:
            # This loop runs per chunk (30 times for 120 kB), so what can be is looked up
            # before it: finding a method on the socket's type costs more than the call that
            # writes the chunk (and the bound method itself is made once per connection).
            write = self._write
            chunk = self.chunk_size
            last = end - chunk  # past this offset, what is left is less than a chunk
            trace = log.level <= log.TRACE
            while off < end:
                if off > last:
                    chunk = end - off
                written = write(buf, off, chunk)
                if not written:  # None or 0: would block
                    break
                if trace:
                    log.trace("send %d bytes to %s", written, self.conn.peer)
                off += written
        if waited:
            return off
        if off < end:
            return self.finish(buf, off, end)
        return DONE

    async def finish(self, buf, off, end):
        """Wait for the socket to take more, then send the rest of buf[off:end]: what write()
        returns when the socket did not take it all (so no write is tried in vain)."""
        conn = self.conn
        while off < end:
            conn.arm(SENDING)
            yield writable(self.sock)  # (parked without the awaitable's calls: transport/wait.py)
            off = self.write(buf, off, end, True)
        conn.disarm()
