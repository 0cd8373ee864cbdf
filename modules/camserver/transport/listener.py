"""The listener: accept, socket options, max_connections — and nothing else.

One Listener serves every listening socket (the main port, the stream port
and the RTSP port when they are on), each with its own router (and, for RTSP,
its own connection class): one connection list, one budget, one watchdog.
Each accepted socket gets its own Connection task.
The budget cannot be starved by clients that do nothing: when every slot is
taken (or the newcomer's address already holds max_per_peer), a connection
doing nothing makes room (transport/eviction.py says which). Only when every
slot is doing real work (handling, sending, streaming) does the newcomer get a
short 503 with Retry-After, without touching the others. One watchdog task enforces every
connection's timeout (idle, request, send stall) by cancelling the task whose
deadline passed: no per-request wait_for() task, no allocation per request.
"""

import asyncio
import socket
import time

from camserver import log
from camserver.http.parser import Limits
from camserver.http.response import closing, text
from camserver.transport import eviction, sockopts
from camserver.transport.address import peer_host, peer_text
from camserver.transport.connection import Connection
from camserver.transport.phases import DRAINING, EVICTED, IDLE, LINK_LOST, READING, SENDING, UPLOADING
from camserver.transport.wait import readable

# Every timeout is a second or more, so a quarter-second tick is precise enough; with no
# connection at all the watchdog sleeps until the next accept (an idle camera costs nothing).
_WATCHDOG_MS = 250
# 503 replies in flight at once. Small, because each lingering refusal holds an lwIP socket (the
# board is built for 20: 12 clients, these, listeners). Past that the oldest lingering one is
# closed, so clients that never read their 503 cannot keep the newest refused ones from theirs.
_MAX_REFUSING = 2
_REFUSE_MS = 500  # how long a refused client may take to read its 503


def _refusal(extra):
    """The 503 an over-the-limit client gets, built once."""
    return closing(text(503, "server busy: too many connections", [("Retry-After", 1)]), extra)


class Listener:
    """Accepts clients on its sockets. Also the place the counters live."""

    def __init__(self, config, extra_headers=b""):
        self.config = config
        self.limits = Limits(config)
        self.timeouts = [0, 0, 0, 0, 0, 0, 0, 0]
        self.timeouts[IDLE] = config["idle_timeout_ms"]
        self.timeouts[READING] = self.timeouts[UPLOADING] = config["header_timeout_ms"]
        self.timeouts[SENDING] = config["send_timeout_ms"]
        self.timeouts[DRAINING] = 1000
        self.extra_headers = extra_headers
        self.max_connections = config["max_connections"]
        self.max_per_peer = config["max_per_peer"]
        self.connections = []
        self.reserved = 0  # slots held by something other than a connection (an RTSP UDP session)
        self.accepted = 0
        self.refused = 0
        self.evicted = 0
        self.requests = 0
        self._lingering = []  # refused sockets whose 503 is still being read
        self._accepted = asyncio.Event()  # wakes the watchdog when a first connection comes
        self._refusal = _refusal(extra_headers)
        self.sockets = []  # (listening socket, the router its clients get, their connection class)

    def bind(self, host, port, router, protocol=Connection):
        """Open a listen socket whose clients router serves (synchronous, so a busy port
        fails at start). protocol: the connection class (RTSP has its own, with its service
        in place of a router)."""
        addr = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0][-1]
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(self.config["backlog"])
        sock.setblocking(False)
        self.sockets.append((sock, router, protocol))
        return sock

    async def serve(self):
        """Accept on every bound socket until cancelled (a task per socket: a task waits
        on one socket at a time), with the one watchdog."""
        tasks = [asyncio.create_task(self._watchdog())]
        try:
            for sock, router, protocol in self.sockets[1:]:
                tasks.append(asyncio.create_task(self._accept_loop(sock, router, protocol)))
            sock, router, protocol = self.sockets[0]
            await self._accept_loop(sock, router, protocol)
        finally:
            for task in tasks:
                task.cancel()
            self.close()

    def drop_all(self):
        """The network link is gone: end every connection (each task closes its socket and gives
        its frame back as it ends); the listen sockets stay for the clients that come back."""
        if self.connections:
            log.info("network link lost: closing %d connection(s)", len(self.connections))
        for conn in list(self.connections):
            conn.stop(LINK_LOST)
            # A task cancelled before its first step never runs its finally: close here too.
            conn.sock.close()
            self.free_slot(conn)

    def close(self):
        """Close the listen sockets and every connection (idempotent)."""
        for entry in self.sockets:
            entry[0].close()
        self.sockets = []
        for conn in list(self.connections):
            conn.task.cancel()
            # A task cancelled before its first step never runs its finally: close here too.
            conn.sock.close()
            self.free_slot(conn)

    async def _accept_loop(self, sock, router, protocol):
        while True:
            yield readable(sock)  # (per client: parked without the awaitable's calls, transport/wait.py)
            try:
                client, addr = sock.accept()
            except OSError as e:
                # The client may reset between poll and accept; nothing to serve.
                log.trace("accept failed: %s", e)
                continue
            host = peer_host(addr)
            if not self._make_room(host):
                self._refuse(client, addr)
                continue
            try:
                sockopts.apply(client, self.config)
                conn = protocol(self, router, client, addr, host)
                conn.task = asyncio.create_task(conn.run())
            except Exception as e:  # OSError from the options, MemoryError: this client only
                log.warning("%s: not served: %r", peer_text(addr), e)
                client.close()
                continue
            self.connections.append(conn)
            self.accepted += 1
            self._accepted.set()
            if log.level <= log.TRACE:
                log.trace("%s connected (%d open)", conn.peer, len(self.connections))

    def _make_room(self, host):
        """True when a newcomer from host may have a slot, evicting one if need be."""
        mine = 0
        for conn in self.connections:
            if conn.host == host:
                mine += 1
        if mine >= self.max_per_peer:
            return self._evict(host)
        if len(self.connections) + self.reserved >= self.max_connections:
            return self._evict(None)
        return True

    def _evict(self, host):
        """Close the connection (of host, or of anybody) that transport/eviction.py picks;
        False when every slot is doing real work."""
        victim = eviction.choose(self.connections, host, time.ticks_ms(), self.max_per_peer // 2)
        if victim is None:
            return False
        self.evicted += 1
        victim.stop(EVICTED)
        # Its slot is free now: the task closes the socket when it next runs.
        self.free_slot(victim)
        return True

    def free_slot(self, conn):
        """Called by a connection when it has closed its socket: frees its slot."""
        if conn in self.connections:
            self.connections.remove(conn)
            if log.level <= log.TRACE:
                log.trace("%s closed (%d open)", conn.peer, len(self.connections))

    def _refuse(self, client, addr):
        self.refused += 1
        if log.level <= log.DEBUG:
            log.debug("%s refused: %d connections open", peer_text(addr), len(self.connections))
        try:
            client.setblocking(False)
            client.write(self._refusal)  # small: always fits an empty socket buffer
        except OSError:
            client.close()
            return
        if len(self._lingering) >= _MAX_REFUSING:
            self._lingering.pop(0).close()  # its task notices on its next read
        self._lingering.append(client)
        asyncio.create_task(self._linger(client))

    async def _linger(self, client):
        # Wait for the client to read the 503 and close, so closing our end with its
        # request still unread does not reset the reply away; give up after _REFUSE_MS.
        try:
            scratch = bytearray(64)
            waited = 0
            while waited < _REFUSE_MS:
                if client.readinto(scratch) == 0:
                    break
                await asyncio.sleep_ms(20)
                waited += 20
        except OSError:
            pass
        finally:
            if client in self._lingering:
                self._lingering.remove(client)
            client.close()

    async def _watchdog(self):
        while True:
            if not self.connections:
                self._accepted.clear()
                await self._accepted.wait()
            await asyncio.sleep_ms(_WATCHDOG_MS)
            now = time.ticks_ms()
            for conn in self.connections:
                if conn.phase and time.ticks_diff(now, conn.deadline) >= 0:  # (UNTIMED is 0: no deadline)
                    conn.stop(conn.phase)
