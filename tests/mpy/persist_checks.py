"""The settings' write schedule (app/persist.py) with a fake clock and a fake store, inside MicroPython."""

import asyncio

import check
from camserver import settings
from camserver.app.persist import MAX_WAITS, Persist


class Saves:
    """A settings.Store that records what it was given."""

    path = "x.json"

    def __init__(self, fail=0):
        self.writes = []  # (ms, the values written)
        self.fail = fail
        self.ticks = None

    def save(self, config):
        if self.fail:
            self.fail -= 1
            raise OSError(28)  # ENOSPC
        self.writes.append((self.ticks.now, dict(config)))


def _persist(delay=3000, fail=0):
    ticks = check.Clock()
    saves = Saves(fail)
    saves.ticks = ticks
    config = dict(settings.DEFAULTS)
    return Persist(config, saves, delay, ticks), ticks, saves


def _advance(persist, ticks, until_ms, step=100):
    """Run the schedule as its task would, in step-ms steps of the fake clock."""
    while ticks.now < until_ms:
        ticks.now += step
        if persist.due_ms(ticks.now) == 0:
            persist.flush()


def test_a_burst_of_changes_is_one_write_after_the_quiet_period():
    persist, ticks, saves = _persist()
    for value in (-2, -1, 0, 1, 2):
        persist.config["brightness"] = value
        persist.changed()
        ticks.now += 200
    assert persist.pending and persist.status()["saved"] is False
    _advance(persist, ticks, ticks.now + 2700)  # 2.9 s after the last change: not yet
    assert saves.writes == []
    _advance(persist, ticks, ticks.now + 200)
    assert len(saves.writes) == 1 and saves.writes[0][1]["brightness"] == 2
    assert persist.status() == {"saved": True, "writes": 1, "error": None}
    _advance(persist, ticks, ticks.now + 20000)
    assert len(saves.writes) == 1  # nothing new: no write


def test_writes_are_at_least_a_delay_apart():
    persist, ticks, saves = _persist(delay=3000)
    persist.changed()
    _advance(persist, ticks, ticks.now + 3000)
    assert len(saves.writes) == 1
    first = saves.writes[0][0]
    persist.changed()  # right after the write: waits its own quiet period and the spacing
    _advance(persist, ticks, ticks.now + 10000)
    assert len(saves.writes) == 2 and saves.writes[1][0] - first >= 3000


def test_changes_that_never_stop_are_written_every_max_waits_delays():
    persist, ticks, saves = _persist(delay=1000)
    start = ticks.now
    while ticks.now - start < 12000:  # a slider dragged for 12 s, a change every 100 ms
        persist.changed()
        _advance(persist, ticks, ticks.now + 100)
    assert 2 <= len(saves.writes) <= 3, saves.writes
    for i in range(1, len(saves.writes)):
        assert saves.writes[i][0] - saves.writes[i - 1][0] >= 1000
    assert saves.writes[0][0] - start <= MAX_WAITS * 1000


def test_flush_writes_what_is_pending_at_once():
    persist, ticks, saves = _persist()
    assert persist.flush() is False  # nothing pending: no write
    persist.changed()
    assert persist.flush() is True and len(saves.writes) == 1
    assert persist.due_ms(ticks.now) is None


def test_a_failed_write_stays_pending_and_is_tried_again():
    persist, ticks, saves = _persist(delay=1000, fail=1)
    persist.changed()
    _advance(persist, ticks, ticks.now + 1000)
    assert saves.writes == [] and persist.pending
    assert persist.status()["error"] and not persist.status()["saved"]
    _advance(persist, ticks, ticks.now + 1000)
    assert len(saves.writes) == 1 and persist.status() == {"saved": True, "writes": 1, "error": None}


def test_without_a_settings_file_nothing_is_pending():
    persist, ticks, saves = _persist()
    persist.store = None
    persist.changed()
    assert not persist.pending and persist.flush() is False


def test_the_task_writes_a_burst_once_on_the_real_clock():
    config = dict(settings.DEFAULTS)
    path = check.tmp("persist.json")
    persist = Persist(config, settings.Store(path), 50)

    async def main():
        task = asyncio.create_task(persist.run())
        for value in (1, 2, -1):
            config["contrast"] = value
            persist.changed()
            await asyncio.sleep_ms(10)
        await asyncio.sleep_ms(200)
        task.cancel()

    asyncio.run(main())
    assert persist.writes == 1
    assert settings.read_file(path)["contrast"] == -1


check.run(globals())
