"""Writes buffers to a non-blocking socket in chunk_size pieces.

Each write is `sock.write(buf, offset, n)` — the stream protocol's offset form
— so a 120 kB frame goes out without a copy and without a memoryview slice per
chunk. asyncio's Stream.write would instead append an unsent remainder to its
out_buf with +=, copying a whole frame into the heap when the first send
blocks. When the socket is full the task waits on writability; the stall
deadline is armed only then, so a peer that stops reading is dropped by the
listener's watchdog after send_timeout_ms.
"""

from asyncio import core

from camserver import log

# Connection phases the watchdog reads (see listener.Watchdog).
SENDING = 3


class Sender:
    """The writing half of a Connection."""

    def __init__(self, conn, chunk_size):
        self.conn = conn
        self.sock = conn.sock
        self.chunk_size = chunk_size
        self.bytes_sent = 0

    def write_now(self, buf, off, end):
        """Write buf[off:end] as far as the socket takes it without waiting; returns
        the new offset. Synchronous, so the common case allocates no coroutine."""
        sock = self.sock
        chunk = self.chunk_size
        start = off
        trace = log.level <= log.TRACE  # looked up once: this loop runs per chunk
        send = getattr(buf, "send", None)  # camera_glue frames write themselves from PSRAM
        while off < end:
            if send is not None:
                # The C loop makes the chunk_size writes itself until end or would-block.
                written = send(sock, off, end, chunk)
            else:
                written = sock.write(buf, off, chunk if end - off > chunk else end - off)
            if not written:  # None or 0: would block
                break
            if trace:
                log.trace("send %d bytes to %s", written, self.conn.peer)
            off += written
        self.bytes_sent += off - start
        return off

    async def write(self, buf, off=0, end=-1):
        """Send buf[off:end] (end -1 = to the end), waiting for the peer as needed.
        Raises OSError if the peer goes away."""
        if end < 0:
            end = len(buf)
        conn = self.conn
        while True:
            off = self.write_now(buf, off, end)
            if off >= end:
                break
            conn.arm(SENDING)
            yield core._io_queue.queue_write(self.sock)
        conn.disarm()
