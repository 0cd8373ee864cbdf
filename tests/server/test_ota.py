"""POST /ota against the real server process, with the file-backed partition stand-in
(device/partition_host.py): a good image is written, verified and booted (the sim exits with its
reboot code and is started again, as the board resets); a corrupted, truncated, refused or
concurrent upload switches nothing and releases its connection; an image that fails its health
check is rolled back; three crashed boots start safe mode."""

import json
import os
import socket
import struct
import subprocess
import sys
import time

from httpclient import Conn, get
from ota_image import app_image, sha256
from simserver import ROOT, micropython_binary, sim_args, sim_binary, sim_env

REBOOT_EXIT = 75  # camserver.host.REBOOT_EXIT
BLOCK = 4096


def status(server):
    return json.loads(get(server, "/status").body)


def otadata(device_dir):
    with open(os.path.join(device_dir, "otadata.json")) as f:
        return json.load(f)


def post_head(server, total, sha, extra=None):
    """A connection that has sent the head of an upload of total bytes, and nothing of its body."""
    conn = Conn(server.host, server.port)
    lines = ["POST /ota HTTP/1.1", "Host: " + conn.host, "Content-Length: %d" % total, "X-SHA256: " + sha]
    lines += ["%s: %s" % item for item in (extra or {}).items()]
    conn.send(("\r\n".join(lines) + "\r\n\r\n").encode())
    return conn


def upload(server, image, sha=None, extra=None):
    conn = post_head(server, len(image), sha or sha256(image), extra)
    try:
        try:
            conn.send(image)
        except OSError:
            pass  # refused early: the answer is read below
        return conn.read_reply()
    finally:
        conn.close()


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in %.1f s" % timeout)


def device(sim, tmp_path, **settings):
    return sim(device_dir=str(tmp_path), **settings)


def test_good_image_is_written_verified_booted_and_confirmed(sim, tmp_path):
    server = device(sim, tmp_path)
    assert status(server)["ota"] == {
        "state": "idle",
        "bytes": 0,
        "total": 0,
        "running": "ota_0",
        "version": "",
    }
    image = app_image(300 * 1024 + 123)
    reply = upload(server, image)
    assert reply.status == 200, reply.body
    assert reply.body == b"ok: %d bytes written to ota_1, SHA-256 verified; rebooting\n" % len(image)
    assert server.proc.wait(10) == REBOOT_EXIT
    assert otadata(tmp_path)["boot"] == "ota_1"
    with open(os.path.join(tmp_path, "ota_1.bin"), "rb") as f:
        assert f.read(len(image)) == image
    # The next boot: the stand-in's bootloader runs the new image on trial; it confirms itself.
    server = device(sim, tmp_path, healthy_ms=200)
    ota = status(server)["ota"]
    assert (ota["running"], ota["version"], ota["state"]) == ("ota_1", "test-2", "idle")
    last = status(server)["last_reset"]
    assert (last["cause"], last["reason"]) == ("ota", "updated to ota_1") and last["uptime_s"] >= 0
    wait_until(lambda: status(server)["health"] == "healthy")
    server.wait_for_line("ota: ota_1 passed its health check, confirmed")
    assert otadata(tmp_path)["ota_1"] == "valid"


def test_sha_mismatch_switches_nothing_and_the_camera_comes_back(sim, tmp_path):
    server = device(sim, tmp_path)
    image = app_image(64 * 1024)
    reply = upload(server, image, sha="0" * 64)
    assert reply.status == 400
    assert b"SHA-256 mismatch" in reply.body and reply.body.count(b"\n") == 1
    assert otadata(tmp_path)["boot"] == "ota_0"
    ota = status(server)["ota"]
    assert ota["state"] == "failed" and "SHA-256 mismatch" in ota["error"]
    # The console says why too: whoever uploaded (a script, make ota) may not show the answer.
    line = server.wait_for_line("ota: refused")
    assert " WARNING ota: refused from 127.0.0.1" in line and "SHA-256 mismatch" in line, line
    assert get(server, "/capture").status == 200
    assert server.proc.poll() is None


def test_image_for_another_chip_is_refused_before_anything_is_written(sim, tmp_path):
    server = device(sim, tmp_path)
    image = app_image(64 * 1024, chip=0)  # ESP32
    reply = upload(server, image)
    assert reply.status == 400 and b"chip id 0" in reply.body
    assert not os.path.exists(os.path.join(tmp_path, "ota_1.bin"))  # not a byte written
    reply = upload(server, b"\x7fELF" + bytes(8000))
    assert reply.status == 400 and b"0xE9" in reply.body


def test_truncated_upload_switches_nothing_and_frees_the_slot(sim, tmp_path):
    server = device(sim, tmp_path)
    image = app_image(200 * 1024)
    conn = post_head(server, len(image), sha256(image))
    conn.send(image[: 50 * 1024 + 7])
    wait_until(lambda: status(server)["ota"]["bytes"] >= 48 * 1024)
    conn.close()
    ota = wait_until(lambda: (lambda o: o if o["state"] == "failed" else None)(status(server)["ota"]))
    assert ota["error"] == "request body ended after 51207 of 204800 bytes"
    assert otadata(tmp_path)["boot"] == "ota_0"
    assert status(server)["connections"] == 1  # the /status request itself
    # A client whose connection is reset mid-upload: the same, and not a line above TRACE.
    mark = server.mark()
    conn = post_head(server, len(image), sha256(image))
    conn.send(image[: 20 * 1024])
    wait_until(lambda: status(server)["ota"]["bytes"] >= 16 * 1024)
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    ota = wait_until(lambda: (lambda o: o if o["state"] == "failed" else None)(status(server)["ota"]))
    assert ota["error"] == "request body ended after 20480 of 204800 bytes", ota
    assert not [x for x in server.lines_since(mark) if "WARNING" in x or "ERROR" in x], server.lines()
    # The next upload may start, and the camera is back.
    assert get(server, "/capture").status == 200
    assert upload(server, image).status == 200


def test_second_upload_while_one_runs_gets_409_and_frames_wait(sim, tmp_path):
    server = device(sim, tmp_path)
    stream = socket.create_connection((server.host, server.port), timeout=5)
    stream.sendall(b"GET /stream HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (server.host.encode(), server.port))
    assert stream.recv(100).startswith(b"HTTP/1.1 200")
    image = app_image(100 * 1024)
    first = post_head(server, len(image), sha256(image))
    first.send(image[: 2 * BLOCK])
    wait_until(lambda: status(server)["ota"]["state"] == "writing")
    reply = upload(server, image)
    assert reply.status == 409 and reply.body == b"an update is already running\n"
    # While writing, the camera stops: streams are closed, stills refused with the reason.
    stream.settimeout(5)
    while stream.recv(65536):
        pass
    stream.close()
    capture = get(server, "/capture")
    assert capture.status == 503 and capture.body == b"firmware update in progress\n"
    assert status(server)["viewers"] == []
    first.send(image[2 * BLOCK :])
    assert first.read_reply().status == 200
    first.close()


def test_requests_the_route_refuses(sim, tmp_path):
    server = device(sim, tmp_path, header_timeout_ms=1000)
    image = app_image(16 * 1024)
    conn = Conn(server.host, server.port)
    conn.send(b"POST /ota HTTP/1.1\r\nHost: %s\r\nX-SHA256: %s\r\n\r\n" % (conn.host.encode(), b"a" * 64))
    assert conn.read_reply().status == 411
    conn.close()
    conn = post_head(server, 1, "a" * 64, {"Transfer-Encoding": "chunked"})
    assert conn.read_reply().status == 501
    conn.close()
    reply = upload(server, image, sha="xyz")
    assert reply.status == 400 and b"X-SHA256" in reply.body
    # Larger than the slot: refused before a byte of the body is read.
    conn = post_head(server, 0x280000 + 1, sha256(image))
    reply = conn.read_reply()
    assert reply.status == 413 and b"larger than the 2621440-byte partition" in reply.body
    conn.close()
    assert "WARNING ota: refused from" in server.wait_for_line("larger than the 2621440-byte partition")
    # Cross-site, as /control: a page elsewhere cannot flash the camera.
    reply = upload(server, image, extra={"Origin": "http://evil.example"})
    assert reply.status == 403
    assert not os.path.exists(os.path.join(tmp_path, "ota_1.bin"))  # not a byte written
    # A client that waits for 100 Continue gets it only once the upload is accepted.
    conn = post_head(server, len(image), sha256(image), {"Expect": "100-continue"})
    conn.sock.settimeout(5)
    assert conn.sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    conn.send(image)
    assert conn.read_reply().status == 200
    conn.close()


def test_dribbling_uploader_is_dropped_by_the_watchdog(sim, tmp_path):
    server = device(sim, tmp_path, header_timeout_ms=1000)
    image = app_image(64 * 1024)
    conn = post_head(server, len(image), sha256(image))
    conn.send(image[:BLOCK])
    for i in range(30):  # a byte every 100 ms: a block would take minutes
        try:
            conn.send(image[BLOCK + i : BLOCK + i + 1])
        except OSError:
            break
        time.sleep(0.1)
    reply = conn.read_reply()
    assert reply.status == 408
    conn.close()
    assert status(server)["ota"]["state"] == "failed"
    assert status(server)["connections"] == 1
    assert otadata(tmp_path)["boot"] == "ota_0"


def test_image_that_fails_its_health_check_is_rolled_back(sim, tmp_path):
    server = device(sim, tmp_path)
    assert upload(server, app_image(80 * 1024)).status == 200
    assert server.proc.wait(10) == REBOOT_EXIT
    # The new image cannot start its camera: its health check fails and it resets unconfirmed.
    server = device(sim, tmp_path, fail="camera", healthy_ms=200)
    assert status(server)["ota"]["running"] == "ota_1"
    assert server.proc.wait(10) == REBOOT_EXIT
    server.wait_for_line("ota: ota_1 failed its health check (camera not available), rolling back")
    server = device(sim, tmp_path)
    assert status(server)["last_reset"]["reason"] == "ota_1 failed its health check"
    server.wait_for_line("bootloader: ota_1 was not confirmed, rolled back to ota_0")
    server.wait_for_line("ota: ota_1 was not confirmed; running ota_0 again")
    assert status(server)["ota"]["running"] == "ota_0"
    assert otadata(tmp_path) == {"boot": "ota_0", "running": "ota_0", "ota_0": "valid", "ota_1": "aborted"}


def test_three_crashed_boots_start_safe_mode_where_ota_works(sim, tmp_path):
    command = [micropython_binary(), "-X", "heapsize=4M"]
    for _ in range(3):
        done = subprocess.run(
            command + sim_args(1, {"device_dir": str(tmp_path), "crash": "camera"}),
            cwd=ROOT,
            env=sim_env(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 1 and "simulated crash at camera start" in done.stdout
    # The fourth boot, with the same crashing setting, does not start the camera.
    server = device(sim, tmp_path, crash="camera", healthy_ms=200)
    server.wait_for_line("safe mode: 3 boots in a row failed")
    body = status(server)
    assert body["safe_mode"] is True and body["failed_boots"] == 3
    capture = get(server, "/capture")
    assert capture.status == 503 and capture.body.startswith(b"safe mode: camera off")
    wait_until(lambda: status(server)["health"] == "healthy")
    assert upload(server, app_image(40 * 1024)).status == 200
    assert server.proc.wait(10) == REBOOT_EXIT
    # A healthy safe-mode boot cleared the counter: the next boot is a normal one.
    server = device(sim, tmp_path)
    body = status(server)
    assert body["safe_mode"] is False and body["backend"] != "none"


def test_make_ota_uploads_with_progress(sim, tmp_path):
    server = device(sim, tmp_path, auth_user="admin", auth_password="pw")
    image_path = os.path.join(tmp_path, "app.bin")
    with open(image_path, "wb") as f:
        f.write(app_image(120 * 1024))
    url = "http://admin:pw@%s:%d/" % (server.host, server.port)
    done = subprocess.run(
        ["make", "-s", "ota", "URL=" + url, "IMAGE=" + image_path, "PYTHON=" + sys.executable],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("200 ok: 122880 bytes written to ota_1")
    assert "100% 122880/122880 bytes" in done.stderr
    assert server.proc.wait(10) == REBOOT_EXIT
    # Without credentials the camera refuses, and the tool says so.
    server = device(sim, tmp_path, auth_user="admin", auth_password="pw")
    done = subprocess.run(
        [sys.executable, "tools/ota.py", "http://%s:%d/" % (server.host, server.port), image_path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout.startswith("401")


def test_upload_waiting_for_its_next_block_is_not_evicted_for_a_newcomer(sim, tmp_path):
    server = device(sim, tmp_path, max_connections=1)
    image = app_image(20 * 1024)
    conn = post_head(server, len(image), sha256(image))
    conn.send(image[:BLOCK])
    time.sleep(0.5)  # older than the eviction's grace for a half-sent head
    newcomer = Conn(server.host, server.port)
    newcomer.request("GET", "/status", {"Connection": "close"})
    assert newcomer.read_reply().status == 503
    newcomer.close()
    conn.send(image[BLOCK:])
    assert conn.read_reply().status == 200
    conn.close()


def test_still_waiting_for_a_frame_when_an_update_begins_gets_503_at_once(sim, tmp_path):
    # The upload's next block must come within 3 s: the still waiting out its own 5 s timeout
    # first would cost the upload (408).
    # (/test/pause; camera_stall_ms=0: no restarts of the deliberately stalled camera)
    server = device(
        sim, tmp_path, diagnostics=1, header_timeout_ms=3000, camera_stall_ms=0, binary=sim_binary()
    )
    assert get(server, "/test/pause?ms=8000").status == 200
    waiting = Conn(server.host, server.port, timeout=10)
    waiting.request("GET", "/capture")
    wait_until(lambda: status(server)["connections"] >= 2)
    image = app_image(20 * 1024)
    conn = post_head(server, len(image), sha256(image))
    conn.send(image[:BLOCK])
    reply = waiting.read_reply()
    assert reply.status == 503 and reply.body == b"firmware update in progress\n"
    waiting.close()
    conn.send(image[BLOCK:])
    assert conn.read_reply().status == 200
    conn.close()


def test_no_update_while_the_running_image_is_on_trial(sim, tmp_path):
    # The slot the next update goes to is the previous, confirmed image: the one the bootloader
    # rolls back to. Written over while the new image is still on trial, a failed trial would
    # have nothing to roll back to (ESP-IDF's esp_ota_begin refuses then, for that reason).
    server = device(sim, tmp_path)
    first = app_image(60 * 1024)
    assert upload(server, first).status == 200
    assert server.proc.wait(10) == REBOOT_EXIT
    with open(os.path.join(tmp_path, "ota_0.bin"), "rb") as f:
        previous = f.read()
    server = device(sim, tmp_path, healthy_ms=5000)
    assert status(server)["ota"]["running"] == "ota_1"
    reply = upload(server, app_image(40 * 1024))
    assert reply.status == 409, reply.body
    assert reply.body == b"ota_1 is on trial until its health check passes; update after that\n"
    with open(os.path.join(tmp_path, "ota_0.bin"), "rb") as f:
        assert f.read() == previous  # the way back is intact
    assert otadata(tmp_path)["boot"] == "ota_1"
    assert get(server, "/capture").status == 200  # the camera was never held
    # Confirmed, the image may be updated again.
    wait_until(lambda: status(server)["health"] == "healthy", timeout=10)
    assert upload(server, app_image(40 * 1024)).status == 200
