"""Wi-Fi loss end to end, inside MicroPython: the real server (app.build) with the sim camera on
loopback, viewers streaming over real sockets, and the station of camserver.device.wifi on the
simulated network of simnet.py. The access point goes away for 30 s of a fake clock: the streams
end at once and cleanly, the station reconnects with a growing back-off, new viewers stream once
it is back, and connections, viewers and frame buffers all return to zero.

The Wi-Fi watcher's steps are driven by hand with the fake clock (what Wifi.watch() does every
watch_ms); the server and its viewers run on the real event loop, waiting only for events
(bounded scheduler rounds), never for a clock.
"""

import asyncio
import random

import check
from camserver import app, device, settings
from camserver.camera import sim
from camserver.device.wifi import JOINED, LOST, Wifi
from simnet import FAST, SimNet

HOME = {"home": "secret123"}
BOUNDARY = b"--123456789000000000000987654321"


def config_for(port):
    config = dict(settings.DEFAULTS)
    config.update(
        {
            "host": "127.0.0.1",
            "port": port,
            "rtsp_port": 0,
            "wifi_ssid": "home",
            "wifi_password": "secret123",
            "wifi_timeout_ms": 1500,
            "framesize": 6,
            "quality": 30,
            "idle_fps": 0,
        }
    )
    return config


async def rounds(predicate, n=3000):
    """Let the loop run until predicate() (at most n sleeps of 1 ms)."""
    for _ in range(n):
        if predicate():
            return True
        await asyncio.sleep_ms(1)
    return predicate()


class Viewer:
    """A stream client: counts the parts it gets, and how its stream ended."""

    def __init__(self, port):
        self.port = port
        self.parts = 0
        self.ended = None  # "eof" when the server closed the stream

    async def run(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % self.port)
        await writer.drain()
        tail = b""
        try:
            while True:
                data = await reader.read(16384)
                if not data:
                    self.ended = "eof"
                    return
                data = tail + data
                self.parts += data.count(BOUNDARY)
                tail = data[-len(BOUNDARY) :]
        except OSError as e:
            self.ended = "error %s" % e
        finally:
            writer.s.close()  # (Stream.close() leaves the socket open in MicroPython's asyncio)


def test_access_point_lost_for_30_s():
    async def scenario():
        sim.init(framesize=6, quality=30, fps=25)
        for _ in range(20):  # a free port (the unix port's sockets cannot tell the one bound to 0)
            port = random.randint(20000, 60000)
            config = config_for(port)
            net = SimNet(HOME, join_ms=0, auto_reconnect=False)
            changes = device.WifiChanges(config, None, lambda: "sta", False)
            server, hub, _ = app.build(config, sim, changes)
            try:
                serving = asyncio.create_task(server.run())
                await asyncio.sleep_ms(5)
                if not serving.done():
                    break
            except OSError:
                pass
        grabber = asyncio.create_task(hub.run())
        listener = server.listener
        options = dict(FAST)
        options["backoff_max_ms"] = 30000
        wifi = Wifi(net, config, None, **options)
        wifi.on_lost = changes.link_lost  # as device.start() wires it
        await wifi.up()
        assert wifi.state == JOINED

        viewers = [Viewer(port), Viewer(port)]
        tasks = [asyncio.create_task(v.run()) for v in viewers]
        assert await rounds(lambda: all(v.parts >= 3 for v in viewers)), [v.parts for v in viewers]
        assert len(hub.viewers) == 2

        # The access point goes: the next watcher step notices, and every stream ends at once.
        net.lose("home")
        now = 0
        wifi._joined_step(now)
        assert wifi.state == LOST
        assert await rounds(lambda: all(v.ended for v in viewers)), [v.ended for v in viewers]
        assert [v.ended for v in viewers] == ["eof", "eof"]
        assert await rounds(lambda: not listener.connections and not hub.viewers)

        # 30 s without it: reconnects with a doubling back-off (1, 3, 7, 15 s), no access point.
        connects = []
        while now < 30000:
            now += 1000
            before = net.connects
            wifi._lost_step(now)
            if net.connects > before:
                connects.append(now)
        assert connects == [1000, 3000, 7000, 15000], connects
        assert wifi.state == LOST and not wifi.ap_up

        # Back: the next try joins, the step after sees the link.
        net.restore("home", "secret123")
        while wifi.state != JOINED and now < 70000:
            now += 1000
            wifi._lost_step(now)
        assert wifi.state == JOINED and wifi.address == "192.168.1.50", (wifi.state, now)

        # A new viewer streams, then leaves: nothing is left behind.
        fresh = Viewer(port)
        task = asyncio.create_task(fresh.run())
        assert await rounds(lambda: fresh.parts >= 3), fresh.parts
        task.cancel()
        assert await rounds(lambda: not listener.connections and not hub.viewers)
        assert await rounds(lambda: sim.frames_out() == 0), sim.frames_out()
        for t in tasks:
            t.cancel()
        grabber.cancel()
        serving.cancel()
        await asyncio.sleep_ms(5)
        listener.close()
        return viewers

    asyncio.run(scenario())


check.run(globals())
