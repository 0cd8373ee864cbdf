"""The watchdog's heartbeat, the host's machine double and the reset reasons, inside MicroPython
with a fake WDT and a hand-set clock (the end-to-end hang: tests/server/test_boot.py)."""

import asyncio
import os
import time

import check
from camserver.device import boots, esp32_host, machine_host, resets, watchdog

ESP_RST_POWERON, ESP_RST_SW, ESP_RST_TASK_WDT, ESP_RST_BROWNOUT = 1, 3, 6, 9


class FakeWdt:
    """machine.WDT over a hand clock: fired once a feed comes timeout ms or more after the last."""

    def __init__(self, clock, timeout):
        self.clock = clock
        self.timeout = timeout
        self.last = clock()
        self.fired = False
        self.feeds = 0

    def feed(self):
        self.fired = self.fired or time.ticks_diff(self.clock(), self.last) >= self.timeout
        self.last = self.clock()
        self.feeds += 1


class FakeMachine:
    def __init__(self):
        self.made = []

    def WDT(self, timeout):
        self.made.append(timeout)
        return FakeWdt(check.Clock(), timeout)


class MemoryStore:
    def __init__(self):
        self.data = None

    def load(self):
        return self.data

    def save(self, data):
        self.data = data


def test_the_heartbeat_feeds_four_times_per_timeout_at_least_once_a_second():
    assert watchdog.period_ms(30000) == 1000
    assert watchdog.period_ms(2000) == 500
    assert watchdog.period_ms(1) == 1


def _run_heartbeat(rounds, loop_step):
    """A Heartbeat over a FakeWdt (2 s) next to loop_step(clock, task), the rest of the loop."""
    clock = check.Clock()
    wdt = FakeWdt(clock, 2000)
    beat = watchdog.Heartbeat(wdt, 2000)

    async def loop():
        task = asyncio.create_task(beat.run(rounds=rounds))
        await loop_step(clock, task, beat.period)
        await task

    asyncio.run(loop())
    return wdt


def test_a_loop_that_runs_keeps_the_watchdog_fed():
    async def busy_but_yielding(clock, task, period):
        while not task.done():
            clock.now += 400  # each step of the loop takes 400 ms of the hand clock, then yields
            await asyncio.sleep_ms(period // 2)

    wdt = _run_heartbeat(3, busy_but_yielding)
    assert wdt.feeds == 3 and not wdt.fired


def test_a_blocked_loop_starves_the_watchdog():
    async def blocked(clock, task, period):
        await asyncio.sleep_ms(0)  # the first feed
        clock.now += 2000  # a call that never yields, as long as the timeout

    assert _run_heartbeat(2, blocked).fired


def test_start_makes_a_wdt_in_ms_and_zero_is_off():
    machine = FakeMachine()

    async def go():
        assert watchdog.start(machine, 0) is None
        beat = watchdog.start(machine, 8)
        await asyncio.sleep_ms(0)
        return beat

    beat = asyncio.run(go())
    assert machine.made == [8000] and beat.period == 1000 and beat.wdt.feeds >= 1


def test_the_wdt_double_refuses_what_the_esp32_port_refuses():
    assert str(check.raises(ValueError, lambda: machine_host.WDT(timeout=0))) == "WDT timeout too short"
    check.raises(ValueError, lambda: machine_host.WDT(id=1, timeout=1000))
    check.raises(TypeError, lambda: machine_host.WDT(1000))  # (keyword-only, as in the stub)


def test_a_recorded_cause_explains_only_a_software_reset():
    recorded = ("camera", "no frame after 3 re-initialisations", 812)
    assert resets.last_reset(ESP_RST_SW, recorded) == {
        "cause": "camera",
        "reason": "no frame after 3 re-initialisations",
        "uptime_s": 812,
    }
    assert resets.last_reset(ESP_RST_TASK_WDT, recorded)["cause"] == "watchdog"  # the watchdog came first
    assert resets.last_reset(ESP_RST_BROWNOUT)["cause"] == "brownout"
    assert resets.last_reset(4)["cause"] == "panic"
    assert resets.last_reset(ESP_RST_SW)["cause"] == "soft"
    assert resets.last_reset(99) == {"cause": "unknown", "reason": "reset reason 99", "uptime_s": None}


def test_a_reset_is_recorded_then_reported_once_by_the_next_boot():
    store = MemoryStore()
    calls = []
    record = boots.BootRecord(store)
    record.starting(ESP_RST_POWERON)
    resetter = resets.Resetter(record, lambda: calls.append("reset"))
    resetter("ota", "updated to ota_1")
    assert calls == ["reset"]
    after = boots.BootRecord(store)
    after.starting(ESP_RST_SW)
    last = after.status()["last_reset"]
    assert (last["cause"], last["reason"]) == ("ota", "updated to ota_1") and last["uptime_s"] >= 0
    again = boots.BootRecord(store)
    again.starting(ESP_RST_SW)  # a later software reset nobody explained
    assert again.status()["last_reset"]["cause"] == "soft"


def test_a_stopped_boot_is_not_counted_as_failed():
    store = MemoryStore()
    for _ in range(5):
        record = boots.BootRecord(store)
        record.starting()
        record.stopped()
    assert not boots.BootRecord(store).starting()
    assert store.data["fails"] == 1  # (only the boot still running)


def _folder(name):
    path = check.tmp(name)
    try:
        os.mkdir(path)
    except OSError:
        pass
    return path


def test_nvs_double_keeps_blobs_across_instances_once_committed():
    esp32_host.setup(_folder("nvs"))
    nvs = esp32_host.NVS("camserver")
    nvs.set_blob("boot", b'{"fails": 2}')
    check.raises(OSError, esp32_host.NVS("camserver").get_blob, "boot", bytearray(8))  # (not committed)
    nvs.commit()
    buf = bytearray(32)
    n = esp32_host.NVS("camserver").get_blob("boot", buf)
    assert bytes(buf[:n]) == b'{"fails": 2}'
    check.raises(OSError, esp32_host.NVS("other").get_blob, "boot", buf)
    record = boots.BootRecord(boots.NvsStore(esp32_host.NVS))
    assert record.fails == 2


def test_machine_double_reports_how_the_last_run_ended():
    folder = _folder("machine")
    machine_host.setup(folder)
    assert machine_host.reset_reason() == ESP_RST_POWERON  # first run: a power-on
    machine_host.record(ESP_RST_TASK_WDT)  # (what the WDT watcher writes before it interrupts)
    assert machine_host.fired()
    machine_host.setup(folder)
    assert machine_host.reset_reason() == ESP_RST_TASK_WDT and not machine_host.fired()
    assert machine_host.reset_cause() == machine_host.WDT_RESET
    machine_host.setup(folder)  # a run that ended without a word: killed, or the power went
    assert machine_host.reset_reason() == ESP_RST_POWERON
    assert machine_host.reset_cause() == machine_host.PWRON_RESET


check.run(globals())
