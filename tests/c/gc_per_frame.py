"""Measures the GC heap the camera server allocates per frame per viewer (MicroPython).

Runs the real app (camserver.app.build, the camera from open_camera: camera_glue when the
binary has it, else the sim) on 127.0.0.1:<port>, waits until <viewers> clients stream
/stream, lets them run for a second, then switches automatic collection off for
<seconds> and reads gc.mem_alloc() before and after: every byte allocated in that window
is counted (nothing is freed meanwhile). Prints one line:

    GC_PER_FRAME <bytes> <frames sent to all viewers> <viewers> <backend>

tests/c/test_gc_per_frame.py starts it and the viewers.
"""

import asyncio
import gc
import sys

from camserver import app, log, settings
from camserver.camera import open_camera


async def measure(hub, viewers, seconds):
    for _ in range(3000):  # up to 30 s for the viewers to connect
        if len(hub.viewers) >= viewers:
            break
        await asyncio.sleep_ms(10)
    else:
        print("GC_PER_FRAME_ERROR viewers did not connect")
        return
    await asyncio.sleep_ms(1000)  # warm up: buffers and caches settle
    gc.collect()
    gc.disable()
    sent0 = hub.sent
    before = gc.mem_alloc()
    await asyncio.sleep_ms(seconds * 1000)
    used = gc.mem_alloc() - before
    sent = hub.sent - sent0
    gc.enable()
    gc.collect()
    print("GC_PER_FRAME %d %d %d %s" % (used, sent, len(hub.viewers), camera_backend))


async def main(port, frames_dir, viewers, seconds):
    config = dict(settings.DEFAULTS)
    config["host"] = "127.0.0.1"
    config["port"] = port
    config["frames_dir"] = frames_dir
    servers, hub = app.build(config, camera)
    asyncio.create_task(hub.run())
    asyncio.create_task(servers[0].run("127.0.0.1"))
    await measure(hub, viewers, seconds)


port, frames_dir, viewers, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
log.set_level("warning")
config0 = dict(settings.DEFAULTS)
config0["frames_dir"] = frames_dir
camera = open_camera(config0)
camera_backend = camera.status()["backend"]
asyncio.run(main(port, frames_dir, viewers, seconds))
