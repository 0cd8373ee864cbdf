"""Ties the layers together: settings -> listener (transport) -> router (app)."""

import gc
import time

from camserver import log
from camserver.transport.listener import Listener


def common_headers(config):
    """The header block every response carries, encoded once at start."""
    origin = config["cors_origin"]
    if origin:
        return ("Access-Control-Allow-Origin: %s\r\n" % origin).encode()
    return b""


class Server:
    """An HTTP server for one router on config's host and port."""

    def __init__(self, config, router):
        self.config = config
        self.router = router
        self.listener = Listener(config, router, common_headers(config))
        self.started = time.ticks_ms()

    def stats(self):
        """Counters for /status. Collects garbage first so heap figures are comparable."""
        gc.collect()
        lst = self.listener
        return {
            "uptime_ms": time.ticks_diff(time.ticks_ms(), self.started),
            "connections": len(lst.connections),
            "accepted": lst.accepted,
            "refused": lst.refused,
            "requests": lst.requests,
            "heap": {"free": gc.mem_free(), "alloc": gc.mem_alloc()},
        }

    async def run(self, address=None, port=None):
        """Bind, announce, and serve until cancelled."""
        port = self.config["port"] if port is None else port
        self.listener.bind(self.config["host"], port)
        if address is not None:
            # The one line the hardware-in-the-loop tests wait for (board and sim alike).
            print("camera ready: http://%s%s/" % (address, "" if port == 80 else ":%d" % port))
        log.info(
            "listening on %s:%d (chunk %d, nodelay %s, max %d connections)",
            self.config["host"],
            port,
            self.config["chunk_size"],
            self.config["nodelay"],
            self.config["max_connections"],
        )
        await self.listener.serve()
