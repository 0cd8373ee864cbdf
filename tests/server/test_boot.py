"""The sim boots through the board's own start-up (camserver.device.boot) with host doubles: its
settings file lives in the device folder, SIGTERM and SIGINT stop it cleanly (`make sim` as a
service manager or a terminal stops it), the watchdog resets a hung event loop and the next boot
says why (/status.last_reset). Real MicroPython processes, real signals, real `make sim`."""

import json
import os
import signal
import subprocess
import time

from httpclient import get
from simserver import ROOT, free_port

REBOOT_EXIT = 75  # camserver.device.machine_host.REBOOT_EXIT


def status(server):
    reply = get(server, "/status")
    assert reply.status == 200
    return json.loads(reply.body)


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in %.1f s" % timeout)


def saved(folder, name):
    try:
        with open(os.path.join(folder, "settings.json")) as f:
            return json.load(f).get(name)
    except (OSError, ValueError):
        return None


class MakeSim:
    """`make sim` in its own process group, as a terminal or a service manager runs it."""

    def __init__(self, device, port):
        self.url = "http://127.0.0.1:%d" % port
        self.host, self.port = "127.0.0.1", port
        settings = "SET=rtsp_port=0 save_delay_ms=100"
        args = ["make", "-s", "sim", "PORT=%d" % port, "DEVICE=" + device, settings]
        out = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
        self.proc = subprocess.Popen(args, cwd=ROOT, start_new_session=True, **out)
        self.lines = []
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("camera ready:"):
                # (serving: a signal in the first instants of the event loop can go unheard)
                assert get(self, "/status").status == 200
                return
        raise AssertionError("make sim did not start:\n" + "".join(self.lines))

    def stop(self, sig):
        os.killpg(self.proc.pid, sig)
        self.lines += self.proc.stdout.readlines()
        self.proc.wait(20)
        return "".join(self.lines)


def test_make_sim_keeps_settings_and_five_sigterms_do_not_make_a_safe_mode(tmp_path):
    device = str(tmp_path / "device")
    port = free_port()
    first = MakeSim(device, port)
    assert get(first, "/control?var=quality&val=21").status == 200
    wait_until(lambda: saved(device, "quality") == 21)
    out = first.stop(signal.SIGTERM)
    for _ in range(4):
        out += MakeSim(device, port).stop(signal.SIGTERM)
    assert "No child processes" not in out and "Traceback" not in out, out
    sixth = MakeSim(device, port)
    try:
        body = status(sixth)
        assert (body["safe_mode"], body["failed_boots"], body["quality"]) == (False, 0, 21)
        assert body["last_reset"]["cause"] == "power"  # (a stopped sim reads as unplugged)
        assert get(sixth, "/capture").status == 200
    finally:
        out = sixth.stop(signal.SIGINT)  # a terminal's Ctrl-C: the whole group, once each
    assert "Traceback" not in out


def test_a_sim_killed_without_a_word_counts_as_a_failed_boot(sim, tmp_path):
    # SIGTERM straight to MicroPython (no `make sim` to turn it into SIGINT) ends it at once:
    # like a power cut before the boot was healthy, it counts.
    for _ in range(2):
        sim(device_dir=str(tmp_path)).stop()
    assert status(sim(device_dir=str(tmp_path)))["failed_boots"] == 2


def test_a_hung_event_loop_is_reset_by_the_watchdog_and_the_next_boot_says_so(sim, tmp_path):
    server = sim(device_dir=str(tmp_path), diagnostics=1, watchdog_s=2)
    server.wait_for_line("watchdog: resets the device when the event loop stalls for 2 s")
    with server.connect(timeout=30) as s:
        s.sendall(b"GET /test/hang HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert server.proc.wait(30) == REBOOT_EXIT
    server.wait_for_line("watchdog: not fed for 2000 ms, resetting")
    body = status(sim(device_dir=str(tmp_path)))
    assert body["last_reset"]["cause"] == "watchdog" and "event loop" in body["last_reset"]["reason"]
    assert body["failed_boots"] == 1  # a boot the watchdog ended did not go well


def test_the_heartbeat_feeds_the_watchdog_while_the_loop_serves(sim, tmp_path):
    # The counter the WDT double's watcher reads moves while the server works: the reset above
    # comes from the hang, not from a watchdog nobody feeds.
    server = sim(device_dir=str(tmp_path), diagnostics=1, watchdog_s=5)

    def feeds():
        # (the double rewrites the file in place: a read can fall between truncate and write)
        for _ in range(1000):
            text = (tmp_path / "reset_reason.feed").read_text()
            if text:
                return int(text)
            time.sleep(0.001)
        raise AssertionError("the feed counter stayed empty")

    first = feeds()
    for _ in range(20):
        assert get(server, "/capture").status == 200
    assert get(server, "/test/hang?s=0").status == 200
    wait_until(lambda: feeds() >= first + 3)
    assert server.proc.poll() is None and status(server)["last_reset"]["cause"] == "power"


def test_watchdog_off(sim, tmp_path):
    server = sim(device_dir=str(tmp_path), watchdog_s=0)
    server.wait_for_line("watchdog: off (watchdog_s=0)")
