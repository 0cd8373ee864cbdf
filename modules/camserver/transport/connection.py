"""One task per client: read a request, dispatch it, send the response, loop.

Request heads are read by the head-reading loop every connection shares
(heads.py: one buffer per connection, pipelined bytes kept for the next request),
with http/parser.parse_head as its parse step; the rest of a request is HTTP's
and is here. Every wait is bounded: the connection tells the listener's watchdog
which phase it is in (phases.py: idle, reading, uploading, sending, draining)
and the watchdog cancels the task when that phase's deadline passes. Nothing
here raises past run(): the connection slot is always given back.
"""

import asyncio
import sys
import time

from camserver import log
from camserver.http import date, framing, parser
from camserver.http.errors import HTTPError
from camserver.http.request import Request
from camserver.http.response import Response, closing, text
from camserver.transport import disconnect, writers
from camserver.transport.address import peer_text
from camserver.transport.body import CONTINUE, BodyReader
from camserver.transport.heads import reader as head_reader
from camserver.transport.phases import (
    DRAINING,
    EVICTED,
    IDLE,
    LINK_LOST,
    READING,
    REVOKED,
    SENDING,
    UNTIMED,
    UPLOADING,
)
from camserver.transport.sender import Sender
from camserver.transport.wait import readable

_DRAIN_LIMIT = 65536  # bytes read and dropped after an error reply before closing anyway


def _bug(what, e):
    """One ERROR line for an exception that is a bug; the traceback only at DEBUG."""
    log.error("%s: %r", what, e)
    if log.level <= log.DEBUG:
        sys.print_exception(e)


class Connection:
    """A client connection and the task that serves it."""

    def __init__(self, listener, router, sock, addr, host=None):
        self.listener = listener
        self.router = router  # the router of the socket this client connected to
        self.sock = sock
        self.addr = addr
        self.host = host  # the peer's address without the port (per-client limit)
        self._peer = None
        self.task: "asyncio.Task | None" = None  # (annotations cost no bytecode on MicroPython)
        self.phase = UNTIMED
        self.since = 0  # when the phase began (ticks_ms)
        self.deadline = 0
        self.expired = 0  # why the task was cancelled: the phase whose deadline passed, EVICTED or REVOKED
        self.sender = Sender(self, listener.config["chunk_size"])

    @property
    def peer(self):
        """ "ip:port", formatted on first use (most connections never need it)."""
        if self._peer is None:
            self._peer = peer_text(self.addr)
        return self._peer

    def arm(self, phase, deadline=None):
        """Enter phase and start its timeout: the phase's own (Listener.timeouts), or deadline
        (a ticks_ms value) for a phase whose end is set elsewhere (an RTSP session's, which each
        of its client's requests pushes back)."""
        self.phase = phase
        self.since = time.ticks_ms()
        if deadline is None:
            deadline = time.ticks_add(self.since, self.listener.timeouts[phase])
        self.deadline = deadline

    def disarm(self):
        self.phase = UNTIMED

    def stop(self, why):
        """Cancel the task (from another task): the watchdog for a deadline, the listener for an
        eviction, the camera's buffer owner for a revoked frame. why becomes `expired`."""
        if not self.expired:
            self.expired = why
            self.task.cancel()

    # -- as the holder of a camera frame (frames/buffers.py) --

    def blocked_ms(self, now):
        """How long this connection has waited for its client to take more bytes; -1 if it is not."""
        return time.ticks_diff(now, self.since) if self.phase == SENDING else -1

    def revoke(self):
        self.stop(REVOKED)

    async def run(self):
        """The connection task. Returns when the connection is closed, whatever happened."""
        try:
            await self._serve()
        except asyncio.CancelledError:
            self._expired()
        except HTTPError as e:
            # The request cannot be framed: answer, then read what the client is still
            # sending before closing, so the kernel does not reset the reply away.
            log.debug("%s: %d %s", self.peer, e.status, e.reason)
            self._send_now(self._error_bytes(e))
            try:
                await self._drain()
            except (asyncio.CancelledError, OSError):
                pass
        except OSError as e:
            if disconnect.is_peer_gone(e):
                log.trace("%s went away (%s)", self.peer, e)
            else:
                log.warning("%s: socket error %s", self.peer, e)
        except Exception as e:  # a bug must cost one connection, never the server
            _bug("%s: connection failed" % self.peer, e)
        finally:
            self.close()

    async def _serve(self):
        listener = self.listener
        limits = listener.limits
        sock = self.sock
        request = Request(conn=self)  # reused for every request on this connection
        next_head, pos, mv = head_reader(self, parser.parse_head, request, True)
        # The first request's deadline runs from the connection's start: a client that connects
        # and then dribbles its head gets header_timeout_ms in all, not the idle timeout on top.
        self.arm(READING)
        # A new client has usually sent its request by the time it runs: read before parking
        # (one poll round less, and no moment in which it looks like a slow head to evict).
        start = next_head(True)
        while True:
            # 1. A complete request head (transport/heads.py).
            while start is None:
                # Parked by a yield, not an await: this runs per request (transport/wait.py).
                yield readable(sock)
                start = next_head(True)
            if start < 0:
                return
            end = pos[1]  # (pos: [start, end, drop], heads.reader)
            # 2. The body, if any: what it is, and what is refused, is the codec's call
            # (http/framing.py); reading it is ours.
            length, streamed, hello = framing.request_body(request, limits, self.router, end - start)
            if streamed:
                # The handler reads the body (transport/body.py), starting with what came with
                # the head, and sends the 100 Continue at its first read; the connection ends with
                # this request (framing.keep_alive).
                pending = mv[start:end] if end > start else None
                start = end = pos[0] = pos[1] = 0
                request.stream = BodyReader(self, length, pending, hello)  # pyright: ignore[reportAttributeAccessIssue] (a slot Request declares None)
            elif length:
                if hello:  # a client that waits for it gets it at once rather than after its own timeout
                    self._send_now(CONTINUE)
                # A small body, read whole before dispatch: the same reader, into a buffer of its own.
                have = end - start if end - start < length else length
                reader = BodyReader(self, length, mv[start : start + have] if have else None, False)
                start += have
                pos[0] = start  # (what the body took is consumed)
                request.body = bytearray(length)
                await reader.read_into(request.body)
            self.phase = UNTIMED  # (disarm(), without a call per request)
            # 3. The response: dispatched here and written by transport/writers.py, in this task
            # rather than a coroutine of its own (each await of a coroutine allocates).
            listener.requests += 1
            try:
                response = self.router.resolve(request)
                if not isinstance(response, Response):
                    response = await response(request)
            except HTTPError as e:
                response = text(e.status, e.reason, e.headers)
                response.close = e.close
            except Exception as e:
                _bug("%s %s: handler failed" % (request.method, request.path), e)
                response = text(500, "internal error")
            if log.level <= log.DEBUG:
                log.debug("%s %s %s -> %d", self.peer, request.method, request.path, response.status)
            keep = framing.keep_alive(request, response)
            try:
                await writers.send(self.sender, request, response, keep, listener.extra_headers)
            finally:
                response.give_back()
            if not keep:
                if request.stream is not None and request.stream.left:
                    # A streamed body the handler refused early: read on a little, so the
                    # kernel does not reset the reply away before the client reads it.
                    await self._drain()
                return
            # Pipelined bytes may already be buffered: the next head is parsed from them.
            self.arm(IDLE if start == end else READING)
            start = next_head(False) if start != end else None

    def _expired(self):
        phase = self.expired
        if phase == READING or phase == UPLOADING:
            log.debug("%s: request not received in time", self.peer)
            self._send_now(self._error_bytes(HTTPError(408, "request not received in time", close=True)))
        elif phase == SENDING:
            log.info("%s stopped reading for %d ms, dropped", self.peer, self.listener.timeouts[SENDING])
        elif phase == IDLE:
            log.trace("%s idle, closed", self.peer)
        elif phase == EVICTED:
            log.debug("%s closed to make room for a new client", self.peer)
        elif phase == REVOKED:
            log.trace("%s blocked too long: the camera took its frame back, closed", self.peer)
        elif phase == LINK_LOST:
            log.trace("%s closed: the network link is gone", self.peer)

    def _error_bytes(self, e):
        return closing(text(e.status, e.reason, e.headers), self.listener.extra_headers, date.line())

    def _send_now(self, data):
        """One best-effort non-blocking write (error replies fit an empty socket buffer)."""
        try:
            self.sock.write(data)
        except OSError:
            pass

    async def _drain(self):
        self.arm(DRAINING)
        sock = self.sock
        scratch = bytearray(512)
        total = 0
        while total < _DRAIN_LIMIT:
            await readable(sock)
            n = sock.readinto(scratch)
            if n == 0:
                return
            if n:
                total += n

    def close(self):
        self.disarm()
        try:
            self.sock.close()
        except OSError:
            pass
        self.listener.free_slot(self)
