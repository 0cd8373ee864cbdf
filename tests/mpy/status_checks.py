"""Server.stats: /status reads the heap figures (a walk over the whole heap) at most every
HEAP_REFRESH_MS, inside MicroPython, with a fake clock and a gc that counts its walks."""

import time

import check
from camserver import settings
from camserver.router import Router
from camserver.server import HEAP_REFRESH_MS, Server
from camserver.status_part import StatusPart


class CountingGc:
    def __init__(self):
        self.walks = 0
        self.collects = 0

    def mem_free(self):
        self.walks += 1
        return 1000 + self.walks

    def mem_alloc(self):
        self.walks += 1
        return 2000 + self.walks

    def collect(self):
        self.collects += 1


def make():
    clock = check.Clock()
    gc = CountingGc()
    return Server(dict(settings.DEFAULTS), Router(), clock, gc), clock, gc


def test_heap_figures_are_read_at_most_every_refresh_period():
    server, clock, gc = make()
    first = server.stats()["heap"]
    assert gc.walks == 2 and first["age_ms"] == 0, (gc.walks, first)
    for _ in range(10):  # the page's polls within the period: no walk at all
        clock.now += HEAP_REFRESH_MS // 20
        heap = server.stats()["heap"]
    assert gc.walks == 2, gc.walks
    assert heap["free"] == first["free"] and heap["age_ms"] == HEAP_REFRESH_MS // 2, heap
    clock.now += HEAP_REFRESH_MS // 2
    heap = server.stats()["heap"]
    assert gc.walks == 4 and heap["age_ms"] == 0 and heap["free"] == 1003, (gc.walks, heap)


def test_collect_reads_fresh_figures_at_once():
    server, clock, gc = make()
    server.stats()
    clock.now += 10
    heap = server.stats(collect=True)["heap"]
    assert gc.collects == 1 and gc.walks == 4 and heap["age_ms"] == 0, (gc.collects, gc.walks, heap)


def test_ticks_that_wrapped_refresh_rather_than_freeze():
    server, clock, gc = make()
    server.stats()
    clock.now = time.ticks_add(clock.now, -1000)  # as ticks_diff sees a read "in the future"
    heap = server.stats()["heap"]
    assert gc.walks == 4 and heap["age_ms"] == 0, (gc.walks, heap)


def test_a_status_part_is_made_again_only_when_its_key_changes():
    state = {"bytes": 0, "made": 0}

    def status():
        state["made"] += 1
        return {"ota": {"bytes": state["bytes"]}}

    part = StatusPart(status, lambda: state["bytes"])
    assert part.json() == b'"ota": {"bytes": 0}' and state["made"] == 1, state
    for _ in range(5):  # the page's polls while nothing moves: the kept bytes
        assert part.json() == b'"ota": {"bytes": 0}'
    assert state["made"] == 1, state
    state["bytes"] = 4096
    assert part.json() == b'"ota": {"bytes": 4096}' and state["made"] == 2, state
    empty = StatusPart(dict, lambda: None)  # a key of None is still a first key
    assert empty.json() == b"", empty.json()


check.run(globals())
