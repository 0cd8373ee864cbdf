"""Device start helpers, inside MicroPython."""

import asyncio

import check
from camserver import device


class FlakyWifi:
    """A network whose watcher fails once (a driver OSError), then ends normally."""

    def __init__(self):
        self.calls = 0

    async def watch(self):
        self.calls += 1
        if self.calls == 1:
            raise OSError(5)


def test_watcher_is_restarted_after_a_failure():
    wifi = FlakyWifi()
    asyncio.run(device.keep_watching(wifi, pause_ms=1))
    assert wifi.calls == 2


check.run(globals())
