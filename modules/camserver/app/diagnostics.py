"""Routes for benchmarks and measurements.

/test/body is a fixed 120 kB body (the size of a UXGA frame), always present.
/test/gc (only with the `diagnostics` setting) brackets a measurement window:
?action=start collects and stops automatic GC, ?action=stop returns the bytes
allocated since as JSON and turns GC back on. Only for the bench: with GC off a
long window can exhaust the heap.
/test/pause?ms=N (only with `diagnostics`, simulated camera only) makes the
camera deliver nothing for N ms, as a stalled sensor does.
/test/hang?s=N (only with `diagnostics`) blocks the whole event loop for N seconds (default: for
ever), as a dead-locked driver call does: what the watchdog (device/watchdog.py) is for.
/test/reinit (only with `diagnostics`) restarts the camera as the recovery ladder does
(camera/recovery.py): on a board, esp_camera_deinit and esp_camera_init (tests/hil).
"""

import gc
import json

from camserver.http.errors import HTTPError
from camserver.http.response import Response, text

_body = None
_start = [0]


async def test_body(request):
    global _body
    if _body is None:
        _body = bytearray(120000)
    return Response(_body, content_type="application/octet-stream")


async def gc_window(request):
    action = request.query.get("action")
    if action == "start":
        gc.collect()
        gc.disable()
        _start[0] = gc.mem_alloc()
        return text(200, "gc window open")
    if action == "stop":
        allocated = gc.mem_alloc() - _start[0]
        gc.enable()
        gc.collect()
        return Response(json.dumps({"allocated": allocated}), content_type="application/json")
    return text(400, "action must be start or stop")


def pause_route(camera):
    async def pause(request):
        ms = request.query.get("ms", "")
        if not ms.isdigit():
            raise HTTPError(400, "ms must be a number of milliseconds")
        if not hasattr(camera, "pause"):
            raise HTTPError(501, "this camera cannot be paused")
        camera.pause(int(ms))
        return text(200, "paused")

    return pause


async def hang(request):
    import time

    seconds = request.query.get("s", "")
    if seconds and not seconds.isdigit():
        raise HTTPError(400, "s must be a number of seconds")
    end = time.ticks_add(time.ticks_ms(), int(seconds or 0) * 1000)
    while not seconds or time.ticks_diff(end, time.ticks_ms()) > 0:
        time.sleep_ms(100)  # blocking: no other task runs meanwhile
    return text(200, "hung for %s s" % seconds)


def reinit_route(hub):
    async def reinit(request):
        if hub.recovery is None:
            raise HTTPError(503, "no camera to restart")
        try:
            hub.restart_camera()
        except OSError as e:
            raise HTTPError(503, hub.recovery.last_error or str(e))
        return text(200, "restarted")

    return reinit


def add_routes(router, config, camera, hub):
    router.add("GET", "/test/body", test_body)
    if config["diagnostics"]:
        # They switch automatic GC off or stall the camera: a page must not be able to.
        router.add("GET", "/test/gc", gc_window, changes_state=True)
        router.add("GET", "/test/pause", pause_route(camera), changes_state=True)
        router.add("GET", "/test/hang", hang, changes_state=True)
        router.add("GET", "/test/reinit", reinit_route(hub), changes_state=True)
