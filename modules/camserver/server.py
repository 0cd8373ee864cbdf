"""Ties the layers together: settings -> listener (transport) -> router (app)."""

import gc
import time

from camserver import log
from camserver.security.cors import allow_origin_header
from camserver.transport.listener import Listener


def url(address, port):
    """The address a browser uses: http://address/ (with :port when not 80)."""
    if port == 80:
        return "http://%s/" % address
    return "http://%s:%d/" % (address, port)


class Server:
    """An HTTP server on config's host: the main port's router, and more (port, router)
    pairs (the stream port) served by the same listener and connection budget."""

    def __init__(self, config, router):
        self.config = config
        self.router = router
        self.more_ports = []
        self.listener = Listener(config, allow_origin_header(config))
        self.started_ns = time.time_ns()

    def add_port(self, port, router):
        """Also serve router on port (bound when run() starts)."""
        self.more_ports.append((port, router))

    def stats(self, collect=False):
        """Counters for /status. collect=True runs gc.collect() first so heap figures are
        comparable between calls (not by default: the page polls every second)."""
        if collect:
            gc.collect()
        lst = self.listener
        return {
            # time_ns, not ticks_ms: ticks wrap after 2**30 ms (12 days) on the board.
            "uptime_ms": (time.time_ns() - self.started_ns) // 1000000,
            "connections": len(lst.connections),
            "accepted": lst.accepted,
            "refused": lst.refused,
            "evicted": lst.evicted,
            "requests": lst.requests,
            "heap": {"free": gc.mem_free(), "alloc": gc.mem_alloc()},
        }

    async def run(self, address=None, port=None):
        """Bind, announce, and serve until cancelled."""
        port = self.config["port"] if port is None else port
        self.listener.bind(self.config["host"], port, self.router)
        for more, router in self.more_ports:
            self.listener.bind(self.config["host"], more, router)
            log.info("stream also on port %d", more)
        if address is not None:
            # The one line the hardware-in-the-loop tests wait for (board and sim alike).
            print("camera ready: " + url(address, port))
        log.info(
            "listening on %s:%d (chunk %d, nodelay %s, max %d connections)",
            self.config["host"],
            port,
            self.config["chunk_size"],
            self.config["nodelay"],
            self.config["max_connections"],
        )
        await self.listener.serve()
