"""What a user sees when the sim cannot start as asked: one line naming the setting (and its range,
or the port another program holds), a non-zero exit, no traceback; and two `make sim` side by side."""

import json
import os
import signal
import socket
import subprocess
import time

import pytest
from httpclient import get
from simserver import FRAMES, ROOT, ensure_built, free_port, micropython_binary, sim_env


def _start(*settings):
    """Run `-m camserver.host` with settings until it exits; (exit code, console lines)."""
    ensure_built()
    args = ["-m", "camserver.host", "host=127.0.0.1", "frames_dir=" + FRAMES, *settings]
    done = subprocess.run(
        [micropython_binary(), "-X", "heapsize=4M", *args],
        cwd=ROOT,
        env=sim_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.returncode, (done.stdout + done.stderr).splitlines()


@pytest.mark.parametrize(
    "item, line",
    [
        ("chunk_size=0", "error: chunk_size must be between 256 and 131072, got 0"),
        ("port=99999", "error: port must be between 1 and 65535, got 99999"),
        ("rotate=45", "error: rotate must be 0, 90, 180 or 270, got 45"),
        ("framesize=99", "error: framesize must be between 0 and 15, got 99"),
        ("rtsp_port=70000", "error: rtsp_port must be 0 (off) or between 1 and 65535, got 70000"),
    ],
)
def test_a_bad_setting_stops_the_sim_with_one_line(item, line):
    code, lines = _start("port=%d" % free_port(), "rtsp_port=0", item)
    assert (code, lines) == (2, [line])


def test_a_bad_value_in_the_settings_file_falls_back_with_one_warning(sim, tmp_path):
    """As a board does with its /settings.json: the device starts, with the default, and the
    console names the setting (chunk_size 0 used to hang /capture and /status at full CPU)."""
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"chunk_size": 0, "rotate": 45, "quality": 20}))
    server = sim(settings=str(path))
    warnings = [line for line in server.lines() if " WARNING " in line]
    assert sorted(line.split(" WARNING ", 1)[1] for line in warnings) == [
        "settings: chunk_size must be between 256 and 131072, got 0; using 4096",
        "settings: rotate must be 0, 90, 180 or 270, got 45; using 0",
    ], server.lines()
    assert get(server, "/capture").status == 200
    status = json.loads(get(server, "/status").body)
    assert (status["rotate"], status["quality"]) == (0, 20)


def test_a_bad_setting_stops_make_sim_with_one_line(tmp_path):
    ensure_built()
    done = subprocess.run(
        ["make", "--no-print-directory", "sim", "SET=chunk_size=0", "HTTP_PORT=%d" % free_port()]
        + ["DEVICE=%s" % (tmp_path / "device")],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("PORT", "MAKEFLAGS")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    sim_lines = [line for line in done.stdout.splitlines() if not line.endswith("compiled modules")]
    assert sim_lines == ["error: chunk_size must be between 256 and 131072, got 0"], done.stdout
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("setting", ["port", "rtsp_port", "stream_port"])
def test_a_port_in_use_names_the_port_and_its_setting(setting):
    with socket.socket() as holder:
        port = free_port()
        busy = {"port": port, "rtsp_port": port + 2, "stream_port": port + 1}[setting]
        holder.bind(("127.0.0.1", busy))
        holder.listen()
        more = {"port": [], "rtsp_port": ["rtsp_port=%d" % busy], "stream_port": ["stream_port=1"]}[setting]
        code, lines = _start("port=%d" % port, "rtsp_port=0", *more)
    named = "stream_port: port + 1" if setting == "stream_port" else setting
    assert code == 2 and lines[-1] == "error: port %d (%s) is in use by another program" % (busy, named), (
        lines
    )
    assert not any("Traceback" in line for line in lines), lines


def _free_with_rtsp():
    """A free port whose port + 474 (the sim's RTSP port under make) is free too."""
    while True:
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 474))
                return port
            except OSError:
                pass


def test_two_make_sims_side_by_side_with_one_option(tmp_path):
    ensure_built()
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "MAKEFLAGS")}
    sims = []
    try:
        for n in range(2):
            port = _free_with_rtsp()
            out = open(tmp_path / ("sim%d.log" % n), "w+")
            proc = subprocess.Popen(
                ["make", "--no-print-directory", "sim", "HTTP_PORT=%d" % port]
                + ["DEVICE=%s" % (tmp_path / ("device%d" % n))],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # (its process group is stopped below: make and the sim)
            )
            sims.append((proc, out, port))
            deadline = time.monotonic() + 60
            while "camera ready:" not in (tmp_path / ("sim%d.log" % n)).read_text():
                assert proc.poll() is None and time.monotonic() < deadline, (
                    tmp_path / ("sim%d.log" % n)
                ).read_text()
                time.sleep(0.1)
        for proc, _, port in sims:
            assert proc.poll() is None
            socket.create_connection(("127.0.0.1", port + 474), timeout=5).close()  # its own RTSP port
    finally:
        for proc, out, _ in sims:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
            out.close()
