"""Device start (camserver.device) on the MicroPython unix port: a broken settings file still
boots with the defaults, the camera is opened before Wi-Fi, the server prints `camera ready:` and
answers, a server that dies is started again, a dead camera does not stop the device."""

import json
import socket
import subprocess
import time

import pytest
from fwtools import BIN, HERE, MICROPYTHON, ROOT, micropython_env, run_scenario


@pytest.fixture(scope="module")
def frames():
    """The simulated camera's rendered frames (build output of tools/render_frames.py)."""
    out = ROOT / "build" / "frames"
    if not (out / "manifest.json").exists():
        subprocess.run([str(BIN / "python"), str(ROOT / "tools" / "render_frames.py"), str(out)], check=True)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: camera\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk


def boot(compiled, settings_text, networks, frames, tmp_path):
    """Start the device; return (console lines up to `camera ready:`, the port, the process)."""
    path = tmp_path / "settings.json"
    if settings_text is not None:
        path.write_text(settings_text)
    port = free_port()
    args = [str(path), str(port), str(frames), json.dumps(networks)]
    proc = subprocess.Popen(
        [MICROPYTHON, "-X", "heapsize=8M", str(HERE / "wifi_scenarios.py"), "boot_device", *args],
        env=micropython_env(compiled),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("camera ready:"):
            return lines, port, proc
    proc.kill()
    raise AssertionError("no `camera ready:` line:\n" + "\n".join(lines))


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_broken_settings_file_boots_with_defaults(compiled, frames, tmp_path):
    lines, port, proc = boot(
        compiled, '{"wifi_ssid": "home", "port": ', {"home": "secret123"}, frames, tmp_path
    )
    try:
        status = http_get(port, "/status")
    finally:
        stop(proc)
    out = "\n".join(lines)
    # One clear line about the file, the defaults (no network configured), the setup access point.
    settings_lines = [line for line in lines if "settings:" in line]
    assert (
        len(settings_lines) == 1
        and "is not valid JSON" in settings_lines[0]
        and "defaults" in settings_lines[0]
    )
    assert "Traceback" not in out
    assert "INFO wifi: no network configured" in out
    assert lines[-1] == "camera ready: http://192.168.4.1:%d/" % port
    # The camera is opened before the network comes up (its buffers first).
    assert out.index("camera:") < out.index("wifi:")
    assert status.startswith(b"HTTP/1.1 200")


def test_missing_settings_file_boots_with_defaults(compiled, frames, tmp_path):
    lines, port, proc = boot(compiled, None, {}, frames, tmp_path)
    stop(proc)
    assert [line for line in lines if "settings:" in line] == [
        next(line for line in lines if "settings: no " in line and "using defaults" in line)
    ]
    assert lines[-1] == "camera ready: http://192.168.4.1:%d/" % port


def test_settings_file_with_credentials_joins_and_serves_on_the_station_address(compiled, frames, tmp_path):
    settings_text = json.dumps({"wifi_ssid": "home", "wifi_password": "secret123", "hostname": "porch"})
    lines, port, proc = boot(compiled, settings_text, {"home": "secret123"}, frames, tmp_path)
    try:
        page = http_get(port, "/status")
    finally:
        stop(proc)
    assert any("connected to home as 192.168.1.50" in line and "porch.local" in line for line in lines)
    assert lines[-1] == "camera ready: http://192.168.1.50:%d/" % port
    assert page.startswith(b"HTTP/1.1 200")


def test_server_that_dies_is_restarted_with_a_growing_pause(compiled):
    lines, r = run_scenario(compiled, "server_restarts")
    assert r["restarts"] == 2 and len(r["calls"]) == 3
    out = [line.split(" ", 1)[1] for line in lines]
    assert out == [
        "ERROR server: OSError: [Errno 98] EADDRINUSE",
        "WARNING server: restarting in 50 ms",
        "ERROR server: out of memory",
        "WARNING server: restarting in 100 ms",
        "ERROR server: stopped",
    ]


def test_camera_that_does_not_answer_does_not_stop_the_device(compiled):
    lines, r = run_scenario(compiled, "camera_fails")
    assert r == {"camera": None, "calls": 3}
    assert lines[-1].endswith("ERROR camera: not available, serving without it")
