"""Ties the layers together: settings -> listener (transport) -> router (app)."""

import gc
import time

from camserver import log
from camserver.security.cors import allow_origin_header
from camserver.transport.connection import Connection
from camserver.transport.listener import Listener

HEAP_REFRESH_MS = 5000  # /status reads the heap figures (a walk over the whole heap) at most this often


def url(address, port):
    """The address a browser uses: http://address/ (with :port when not 80)."""
    if port == 80:
        return "http://%s/" % address
    return "http://%s:%d/" % (address, port)


class Server:
    """An HTTP server on config's host: the main port's router, and more (port, router)
    pairs (the stream port) served by the same listener and connection budget."""

    _heap_figures = None  # the last heap figures read, and when (see _heap)
    _heap_read_ms = 0

    def __init__(self, config, router):
        self.config = config
        self.router = router
        self.more_ports = []
        self.rtsp = None  # the RTSP service when rtsp_port is on (its status_json() goes to /status)
        self.mqtt = None  # the MQTT service when mqtt_host is set (camserver/mqtt/service.py)
        self.listener = Listener(config, allow_origin_header(config))
        self.started_ns = time.time_ns()
        self.on_listening = None  # called once every port is bound (the boot's health check)

    def add_port(self, port, router, protocol=Connection, name="stream"):
        """Also serve router on port (bound when run() starts); protocol: its connection
        class (HTTP by default), name: what the log line calls it."""
        self.more_ports.append((port, router, protocol, name))

    def stats(self, collect=False):
        """Counters for /status. collect=True runs gc.collect() first and reads the heap
        figures afresh, so they compare between calls (not by default: every open page
        polls once a second)."""
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
            "heap": self._heap(collect),
        }

    def _heap(self, fresh):
        # gc.mem_free() and gc.mem_alloc() each walk the whole heap (MicroPython keeps no
        # running count; micropython.mem_info() walks too): on a board with MBs of PSRAM
        # that is milliseconds of the streaming core per call. So the figures are read at
        # most every HEAP_REFRESH_MS, by whichever /status comes then, and age_ms says how
        # old they are.
        now = time.ticks_ms()
        heap = self._heap_figures
        age = time.ticks_diff(now, self._heap_read_ms)
        # (age < 0: ticks wrapped after days without a /status)
        if fresh or heap is None or age < 0 or age >= HEAP_REFRESH_MS:
            heap = self._heap_figures = {"free": gc.mem_free(), "alloc": gc.mem_alloc(), "age_ms": 0}
            self._heap_read_ms = now
        else:
            heap["age_ms"] = age
        return heap

    async def run(self, address=None, port=None):
        """Bind, announce, and serve until cancelled."""
        port = self.config["port"] if port is None else port
        self.listener.bind(self.config["host"], port, self.router)
        for more, router, protocol, name in self.more_ports:
            self.listener.bind(self.config["host"], more, router, protocol)
            log.info("%s also on port %d", name, more)
        if self.on_listening is not None:
            self.on_listening()
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
