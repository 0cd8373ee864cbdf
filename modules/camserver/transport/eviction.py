"""Which connection a newcomer may replace when every slot is taken (the listener's budget).

A slot is for a client doing real work. A connection that has gone long without a complete
request, or whose client has stopped taking the response, holds a slot doing nothing, and a
newcomer takes it over. Candidates:
  * an idle keep-alive connection (it has had its answers; browsers reconnect at need);
  * a partial request head older than GRACE_MS (a browser sends its head at once; younger, it
    is a request still on its way) — at any age when its address has more than `crowd` heads
    half-sent: an address with many of them is flooding, not loading a page;
  * a response whose client has taken nothing for REPLACE_AFTER_MS (stopped reading).
The best candidate: idle first; then one of the address holding the most connections; then the
one that has waited longest (since its phase began, or since its last progress when sending).
No candidate: every slot is doing real work, and the newcomer gets 503.
"""

import time

from camserver.transport.phases import IDLE, READING, SENDING

GRACE_MS = 250
# A response with no progress for this long may give its slot to a newcomer (only then: while a
# slot is free it keeps it until send_timeout_ms, the listener's watchdog). One second: well over
# the gaps a reader slower than the server still shows (~250 ms measured: frames/buffers.py
# REVOKE_AFTER_MS), so only a client that has stopped reading loses its slot.
REPLACE_AFTER_MS = 1000


def choose(connections, host, now, crowd):
    """The connection to replace (of `host` only, when it is not None), or None."""
    counts = {}  # connections per address
    heads = {}  # partial heads per address
    for conn in connections:
        counts[conn.host] = counts.get(conn.host, 0) + 1
        if conn.phase == READING:
            heads[conn.host] = heads.get(conn.host, 0) + 1
    best = None
    best_key = None
    for conn in connections:
        if conn.expired or (host is not None and conn.host != host):
            continue
        phase = conn.phase
        waited = time.ticks_diff(now, conn.since)
        if phase == READING:
            if waited < GRACE_MS and heads[conn.host] <= crowd:
                continue
        elif phase == SENDING:
            if waited < REPLACE_AFTER_MS:
                continue
        elif phase != IDLE:
            continue  # handling a request, streaming, draining an error: real work
        key = (0 if phase == IDLE else 1, -counts[conn.host], -waited)
        if best_key is None or key < best_key:
            best = conn
            best_key = key
    return best
