"""This boot's health check: once the server has been listening for healthy_ms, the camera
(unless safe mode keeps it off) and the network are checked. A healthy boot clears the failed-boot
counter (device/boots.py) and, when it runs an updated image on trial, confirms it with
Partition.mark_app_valid_cancel_rollback(). An image on trial that fails the check resets the
device without confirming, and the bootloader (rollback enabled) goes back to the previous one;
so does a crash before the check.
"""

import asyncio

from camserver import log


class BootCheck:
    def __init__(self, record, updater, checks, healthy_ms=20000, reset=None):
        """checks() -> None when healthy, else the reason (one line); reset() reboots."""
        self.record = record
        self.updater = updater
        self.checks = checks
        self.healthy_ms = healthy_ms
        self.reset = reset
        self.result = "pending"
        self._listening = asyncio.Event()
        trial = record.trial
        running = updater.running if updater is not None else ""
        self.trial = bool(trial) and trial == running
        if trial and not self.trial:
            log.warning("ota: %s was not confirmed; running %s again", trial, running)
            record.on_trial("")

    def listening(self):
        """The server is bound and serving (Server.on_listening)."""
        self.record.reached("server")
        self._listening.set()

    async def run(self):
        await self._listening.wait()
        await asyncio.sleep_ms(self.healthy_ms)
        self.conclude()

    def conclude(self):
        reason = self.checks()
        if reason is None:
            self.result = "healthy"
            self.record.healthy()
            if self.trial:
                self.updater.partition.mark_app_valid_cancel_rollback()
                self.record.on_trial("")
                self.trial = False
                log.info("ota: %s passed its health check, confirmed", self.updater.running)
            return True
        self.result = "failed: " + reason
        if self.trial:
            log.error("ota: %s failed its health check (%s), rolling back", self.updater.running, reason)
            self.reset()
            return False
        # A confirmed image keeps serving: the page, /status and /ota are how to fix it.
        log.warning("health check: %s", reason)
        self.record.healthy()
        return False

    def status(self):
        out = self.record.status()
        out["health"] = self.result
        return out
