"""When settings changed through /control reach the settings file: the one owner of that.

Flash wears and a write takes the filesystem for a while, and a slider dragged across its range
sends a dozen changes a second. So a change only marks the settings dirty; they are written
(settings.Store: a temporary file renamed over the old one, so a reset mid-write keeps the old
file) once no change has come for delay_ms, or once a change has waited MAX_WAITS delays while
changes kept coming, and never sooner than delay_ms after the previous write. flush() writes
what is pending at once (the server stopping). The writes go through the settings file's one
store (settings.Store), which the Wi-Fi credentials are saved through at once (camserver.device);
both write the same running settings.
"""

import asyncio
import json
import time

from camserver import log

MAX_WAITS = 5  # a change waits at most this many delays for the changes after it to stop


class Persist:
    def __init__(self, config, store, delay_ms=None, ticks_ms=time.ticks_ms):
        self.config = config
        self.store = store  # the settings file's settings.Store; None: nothing is saved (no file)
        self.delay_ms = config["save_delay_ms"] if delay_ms is None else delay_ms
        self._ticks_ms = ticks_ms
        self.pending = False
        self.writes = 0
        self.error = None  # the last failed write's reason, until a write works
        self._first = 0  # ticks_ms of the oldest change not yet written
        self._last = 0  # ticks_ms of the newest change
        self._written = None  # ticks_ms of the last write
        self._wake = asyncio.Event()
        self._json = None  # status() as JSON bytes, until the state changes

    def changed(self):
        """A setting in config changed: write it soon."""
        if self.store is None:
            return
        now = self._ticks_ms()
        if not self.pending:
            self.pending = True
            self._first = now
            self._json = None
        self._last = now
        self._wake.set()

    def due_ms(self, now):
        """Milliseconds until the pending change is due to be written (0: now); None when
        nothing is pending."""
        if not self.pending:
            return None
        delay = self.delay_ms
        wait = delay - time.ticks_diff(now, self._last)
        waited_out = delay * MAX_WAITS - time.ticks_diff(now, self._first)
        if waited_out < wait:
            wait = waited_out
        if self._written is not None:
            spacing = delay - time.ticks_diff(now, self._written)
            if spacing > wait:
                wait = spacing
        return wait if wait > 0 else 0

    def flush(self):
        """Write what is pending now. Returns True when the file was written."""
        if not self.pending:
            return False
        self._written = self._ticks_ms()
        self._json = None
        try:
            self.store.save(self.config)
        except OSError as e:  # a full or broken filesystem: keep serving, try again later
            if self.error is None:
                log.warning("settings: could not save to %s: %s", self.store.path, e)
            self.error = str(e)
            return False
        self.pending = False
        self.error = None
        self.writes += 1
        log.debug("settings: saved to %s", self.store.path)
        return True

    async def run(self):
        """Write pending changes when due, for as long as the server runs."""
        while True:
            wait = self.due_ms(self._ticks_ms())
            if wait is None:
                self._wake.clear()
                await self._wake.wait()
            elif wait:
                await asyncio.sleep_ms(wait)
            else:
                self.flush()

    def status(self):
        """/status "settings": saved (nothing pending), writes, error."""
        return {"saved": not self.pending, "writes": self.writes, "error": self.error}

    def status_json(self):
        """status() as JSON bytes, serialised again only after a change or a write (every open
        page polls /status once a second)."""
        if self._json is None:
            self._json = json.dumps(self.status()).encode()
        return self._json
