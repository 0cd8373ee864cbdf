"""The short version of `make cost` (bench/cost.py) that `make test` runs: instructions per
GET /status, counted by callgrind on the real server process, against a generous bound.

The budget is 200 k instructions per /status (docs/benchmarks.md); the bound here is ten
times that, so only a regression of that order fails, such as walking the whole heap
(gc.mem_free/mem_alloc, 11 M per call on the sim's 4 MB heap) on every poll. Instruction
counts do not depend on the machine's speed or load. About 10 s, most of it valgrind
starting MicroPython.
"""

from callgrind import CallgrindServer
from httpclient import Conn

BUDGET = 200000
BOUND = 10 * BUDGET
REQUESTS = 10


def test_status_costs_at_most_ten_times_its_instruction_budget(tmp_path):
    server = CallgrindServer({}, tag="test_cost", out=tmp_path)
    try:
        conn = Conn(server.host, server.port, timeout=30)
        for _ in range(3):  # first-use work (templates, the cached JSON, heap figures) out of the count
            conn.request("GET", "/status")
            assert conn.read_reply().status == 200
        server.zero()
        for _ in range(REQUESTS):
            conn.request("GET", "/status")
            assert conn.read_reply().status == 200
        dump, _ = server.dump()
        conn.close()
    finally:
        server.stop()
    # The idle background (watchdog ticks) is left in: it only makes the figure larger.
    per_request = dump.total / REQUESTS
    assert per_request <= BOUND, "GET /status costs %d instructions (budget %d); costliest: %s" % (
        per_request,
        BUDGET,
        dump.top(5),
    )
