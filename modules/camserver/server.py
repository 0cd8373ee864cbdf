"""Ties the layers together: settings -> listener (transport) -> router (app)."""

import errno
import gc
import time

from camserver import log
from camserver.security.cors import allow_origin_header
from camserver.settings import SettingError
from camserver.transport.address import url
from camserver.transport.connection import Connection
from camserver.transport.disconnect import errno_of
from camserver.transport.listener import Listener

HEAP_REFRESH_MS = 5000  # /status reads the heap figures (a walk over the whole heap) at most this often


class Server:
    """An HTTP server on config's host: the main port's router, and more (port, router)
    pairs (the stream port) served by the same listener and connection budget. ticks_ms and gc
    are the clock and the heap the /status figures read (time.ticks_ms and the gc module; a
    fake clock and a counting gc in tests, as Persist and Throttle take their clock)."""

    _heap_figures = None  # the last heap figures read, and when (see _heap)
    _heap_read_ms = 0

    def __init__(self, config, router, ticks_ms=time.ticks_ms, gc=gc):
        self.config = config
        self._ticks_ms = ticks_ms
        self._gc = gc
        self.router = router
        self.more_ports = []
        self.rtsp = None  # the RTSP service when rtsp_port is on (its status_json() goes to /status)
        self.mqtt = None  # the MQTT service when mqtt_host is set (camserver/mqtt/service.py)
        self.listener = Listener(config, allow_origin_header(config))
        self.started_ns = time.time_ns()
        self.on_listening = None  # called once every port is bound (the boot's health check)

    def add_port(self, port, router, protocol=Connection, name="stream"):
        """Also serve router on port (bound when run() starts); protocol: its connection
        class (HTTP by default), name: what the log line calls it (name + "_port" is the
        setting that chose it: a port in use says so)."""
        self.more_ports.append((port, router, protocol, name))

    def _bind(self, port, router, protocol, setting):
        # A port another program holds is the user's to fix: one line naming the port and the
        # setting that chose it (a SettingError: the sim stops with it, the board logs it), not
        # an OSError traceback from deep in the listener.
        try:
            self.listener.bind(self.config["host"], port, router, protocol)
        except OSError as e:
            code = errno_of(e)
            if code == errno.EADDRINUSE:
                why = "is in use by another program"
            elif code == errno.EACCES:
                why = "needs privileges (choose one above 1023)"
            else:
                why = "cannot be opened on %s (%s)" % (self.config["host"], e)
            if setting == "stream_port":
                setting = "stream_port: port + 1"
            raise SettingError("port %d (%s) %s" % (port, setting, why))

    def stats(self, collect=False):
        """Counters for /status. collect=True runs gc.collect() first and reads the heap
        figures afresh, so they compare between calls (not by default: every open page
        polls once a second)."""
        if collect:
            self._gc.collect()
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
        now = self._ticks_ms()
        heap = self._heap_figures
        age = time.ticks_diff(now, self._heap_read_ms)
        # (age < 0: ticks wrapped after days without a /status)
        if fresh or heap is None or age < 0 or age >= HEAP_REFRESH_MS:
            gc = self._gc
            heap = self._heap_figures = {"free": gc.mem_free(), "alloc": gc.mem_alloc(), "age_ms": 0}
            self._heap_read_ms = now
        else:
            heap["age_ms"] = age
        return heap

    async def run(self, address=None, port=None):
        """Bind, announce, and serve until cancelled."""
        port = self.config["port"] if port is None else port
        self._bind(port, self.router, Connection, "port")
        for more, router, protocol, name in self.more_ports:
            self._bind(more, router, protocol, name + "_port")
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
