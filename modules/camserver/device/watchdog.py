"""The watchdog: machine.WDT (watchdog_s seconds, 0 off) fed by a task of the event loop, so a
hung driver call, a dead-locked loop or a task that never yields resets the device.

On the esp32 port (MicroPython v1.28.0, ports/esp32/machine_wdt.c) WDT(timeout=ms) is the
ESP-IDF task watchdog with trigger_panic set: the next boot's esp_reset_reason() is
ESP_RST_TASK_WDT, which /status.last_reset reports as "watchdog" (device/resets.py). It cannot
be stopped once started, only reconfigured: relax() gives it the longest timeout when the device
stops on purpose (Ctrl-C for the REPL), so a person at the console is not reset under their feet.
"""

import asyncio

from camserver import log

LONGEST_MS = 0x7FFFFFFF  # (timeout_ms is a C int)


def period_ms(timeout_ms):
    """How often the heartbeat feeds: four times per timeout, at least once a second."""
    return max(1, min(1000, timeout_ms // 4))


class Heartbeat:
    def __init__(self, wdt, timeout_ms):
        self.wdt = wdt
        self.period = period_ms(timeout_ms)
        self.feeds = 0

    async def run(self, rounds=None):
        """Feed, sleep, for ever (rounds bounds it for tests). Only a loop that runs feeds it."""
        n = 0
        while rounds is None or n < rounds:
            self.wdt.feed()
            self.feeds += 1
            n += 1
            await asyncio.sleep_ms(self.period)


def start(machine, seconds):
    """Start the watchdog and its heartbeat task (from inside the event loop); None when off."""
    if not seconds:
        log.info("watchdog: off (watchdog_s=0)")
        return None
    timeout = seconds * 1000
    heartbeat = Heartbeat(machine.WDT(timeout=timeout), timeout)
    asyncio.create_task(heartbeat.run())
    log.info("watchdog: resets the device when the event loop stalls for %d s", seconds)
    return heartbeat


def relax(machine):
    """The longest timeout: the device has stopped on purpose (see the module docstring)."""
    machine.WDT(timeout=LONGEST_MS)
