"""The camera heals itself, against the real server process with the host fault model
(camera_faults): viewers on different addresses get only valid JPEGs through timeouts, cut and
spoilt frames and a wedged sensor, keep their connections, and see new frames again after every
restart; /capture never answers an invalid image; camera_health counts it all. A camera that
cannot be restarted resets the device with the cause "camera", and a hung driver call is ended by
the watchdog; the next boot's /status.last_reset says which.

Like every test in tests/camera/, these run on the PyPI binary (the sim camera, Python) and on the
camera_glue binary (its host backend, C): tests/conftest.py BOTH_BINARIES."""

import io
import json
import threading
import time

import pytest
from httpclient import MjpegReader, get
from PIL import Image

FAULTS = "timeout:0.05,truncate:0.05,garbage:0.03,wedge:6,seed:7"
WATCH_S = 20  # two wedges (frames for 6 s after each start, then camera_stall_ms 3000)
REBOOT_EXIT = 75  # camserver.host.REBOOT_EXIT


def decodes(jpeg):
    """A whole JPEG by the bytes and by Pillow."""
    assert jpeg[:2] == b"\xff\xd8" and jpeg.rstrip(b"\0")[-2:] == b"\xff\xd9"
    Image.open(io.BytesIO(jpeg)).load()  # OSError on a cut or spoilt image
    return True


class Watcher(threading.Thread):
    """One viewer from its own address for WATCH_S: every part decoded, the gaps between parts."""

    def __init__(self, server, source):
        super().__init__()
        self.server = server
        self.source = source
        self.parts = 0
        self.gaps = []  # seconds between parts, for the gaps over 1 s
        self.error = None

    def run(self):
        try:
            reader = MjpegReader(self.server.host, self.server.port, source=self.source, timeout=15)
            try:
                start = last = time.monotonic()
                while last - start < WATCH_S:
                    _, jpeg = reader.next_part()
                    decodes(jpeg)
                    now = time.monotonic()
                    if now - last > 1:
                        self.gaps.append(now - last)
                    last = now
                    self.parts += 1
            finally:
                reader.close()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = "%s: %s" % (type(e).__name__, e)


def test_viewers_get_only_valid_frames_through_faults_and_wedges(sim):
    server = sim(camera_faults=FAULTS)
    watchers = [Watcher(server, "127.0.0.%d" % n) for n in (2, 3, 4)]
    for w in watchers:
        w.start()
    captures = {200: 0, 503: 0}
    deadline = time.monotonic() + WATCH_S
    while time.monotonic() < deadline:
        reply = get(server, "/capture", timeout=10)
        assert reply.status in captures, reply.status
        captures[reply.status] += 1
        if reply.status == 200:
            decodes(reply.body)
        else:
            assert reply.body.startswith(b"camera"), reply.body  # a one-line reason
        time.sleep(0.3)
    for w in watchers:
        w.join(60)
    for w in watchers:
        assert w.error is None, w.error  # kept its connection, every part a valid JPEG
        assert w.parts > 100
        # Each wedge was a gap (the stall, then the restart) after which frames came again.
        assert 1 <= len(w.gaps) <= 3 and max(w.gaps) < 6, w.gaps
    assert captures[200] > 10
    health = json.loads(get(server, "/status").body)["camera_health"]
    assert health["reinits"] >= 2 and health["invalid_frames"] > 0 and health["timeouts"] > 0, health
    assert health["state"] == "ok" and health["last_error"] == "no frame for 3000 ms", health
    server.wait_for_line("camera: recovered after 1 restart(s)")


def _watched_until_reset(sim, tmp_path, timeout, **settings):
    """A device watched (frames are wanted, so grabs run) until it resets; then the next boot's
    /status (without the faults), which says why the last one ended."""
    server = sim(device_dir=str(tmp_path), **settings)
    reader = MjpegReader(server.host, server.port, timeout=30)
    try:
        assert server.proc.wait(timeout) == REBOOT_EXIT
    finally:
        reader.close()
    return server, json.loads(get(sim(device_dir=str(tmp_path)), "/status").body)


def test_a_camera_that_cannot_restart_resets_the_device_with_cause_camera(sim, tmp_path):
    faults = "wedge:1,init_fail:99"
    server, body = _watched_until_reset(sim, tmp_path, 30, camera_faults=faults, camera_stall_ms=500)
    server.wait_for_line("camera: no frame for 500 ms, restarting it")
    server.wait_for_line("try 3 of 3")
    server.wait_for_line("camera: no frame after 3 restart(s)")
    # Three such boots in a row would start safe mode (device/boots.py, tests/server/test_ota.py).
    assert body["last_reset"]["cause"] == "camera", body["last_reset"]
    assert "restart failed" in body["last_reset"]["reason"], body["last_reset"]
    assert body["failed_boots"] == 1


def test_a_hung_driver_call_is_reset_by_the_watchdog(sim, tmp_path):
    # hang:2 blocks the event loop in a grab 2 s after the camera starts; the watchdog (8 s) ends
    # the boot, and the next one says so.
    server, body = _watched_until_reset(sim, tmp_path, 60, camera_faults="hang:2", watchdog_s=8)
    server.wait_for_line("watchdog: not fed for 8000 ms, resetting")
    assert body["last_reset"]["cause"] == "watchdog", body["last_reset"]


def test_hang_fault_blocks_the_whole_process(sim):
    # hang:S is a dead-locked driver call: nothing answers any more (a watchdog's case).
    server = sim(camera_faults="hang:1")
    reader = MjpegReader(server.host, server.port, timeout=30)  # frames are wanted: grabs run
    try:
        reader.next_part()
        time.sleep(1.5)
        with pytest.raises(OSError):  # (socket.timeout is an OSError)
            get(server, "/status", timeout=2)
        assert server.proc.poll() is None  # hung, not ended
    finally:
        reader.close()
