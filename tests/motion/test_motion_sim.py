"""Motion detection end to end on a real sim (the issue's "done when"): the simulated camera's
motion scene (sim_motion=PERIOD:DURATION), nobody watching, /status.motion polled. The scene
is the Python simulated camera's, so these run on the PyPI binary whatever MICROPYTHON is;
the camera_glue build (its C thumbnail and comparison) is run on its own moving scene.

The timings are the scene's, not the machine's: the figure walks for DURATION seconds of
every PERIOD, so onsets must be PERIOD apart and each motion must last at least a while
and stop before the next walk; the bounds are wide (1.5 s, 2-13 s) for a loaded machine.
"""

import json
import os
import time

from httpclient import MjpegReader, get
from simserver import FRAMES, require_camera_glue, sim_binary


def status_of(server):
    reply = get(server, "/status")
    assert reply.status == 200
    return json.loads(reply.body)


def motion_of(server):
    return status_of(server)["motion"]


def counts(server):
    """(frames grabbed, frames analysed) so far."""
    status = status_of(server)
    return status["frames"]["grabbed"], status["motion"]["analysed"]


def watch(server, seconds):
    """(onsets, offsets) in seconds since the start of the watch, and the last status."""
    start = time.monotonic()
    onsets, offsets = [], []
    active = False
    status = None
    while time.monotonic() - start < seconds:
        status = motion_of(server)
        now = time.monotonic() - start
        if status["active"] and not active:
            onsets.append(now)
        if active and not status["active"]:
            offsets.append(now)
        active = status["active"]
        time.sleep(0.1)
    return onsets, offsets, status


def test_still_scene_raises_no_event(sim):
    server = sim(binary=sim_binary(), motion=1, sim_motion="1000:1")
    onsets, _, status = watch(server, 20)
    assert onsets == [] and status["events"] == 0, status
    assert status["analysed"] >= 40 and status["skipped"] == 0, status  # it did look (5 fps)


def test_walks_start_and_stop_motion_once_each(sim):
    server = sim(binary=sim_binary(), motion=1, sim_motion="8:3")
    onsets, offsets, status = watch(server, 34)
    print("onsets", onsets, "offsets", offsets, status)
    # Walks start 8, 16, 24 and 32 s after the camera (shortly before the watch began).
    assert len(onsets) in (3, 4), (onsets, offsets)
    assert 6.5 <= onsets[0] <= 9.5, onsets
    for a, b in zip(onsets, onsets[1:], strict=False):
        assert abs(b - a - 8) <= 1.5, onsets
    for on, off in zip(onsets, offsets, strict=False):
        assert 2 <= off - on <= 13, (onsets, offsets)
    assert status["events"] == len(onsets), status


def test_watches_alone_and_shares_the_grab_with_a_viewer(sim):
    server = sim(binary=sim_binary(), motion=1, sim_motion="1000:1", idle_fps=1)
    # Nobody watching: the camera grabs for the detector alone, at motion_fps (5), not idle_fps.
    g0, a0 = counts(server)
    time.sleep(3)
    g1, a1 = counts(server)
    assert abs((a1 - a0) - (g1 - g0)) <= 1, (g0, a0, g1, a1)  # every idle grab is analysed
    assert g1 - g0 > 6, (g0, g1)  # idle_fps alone would be 3 or 4
    # A viewer: the camera runs at its rate (25 fps) for it, and the detector takes 5 a second
    # of those same frames: no grab of its own.
    with MjpegReader(server.host, server.port, timeout=30) as reader:
        for _ in range(5):
            reader.next_part()
        g2, a2 = counts(server)
        for _ in range(50):
            reader.next_part()
        g3, a3 = counts(server)
    assert a3 - a2 > 0 and g3 - g2 >= 3 * (a3 - a2), (g2, a2, g3, a3)
    assert motion_of(server)["events"] == 0


def test_camera_glue_detects_the_moving_test_card(sim):
    # The ordinary frames (bars sliding, a ball circling) move all the time: the C decoder
    # reads every analysed frame, and motion starts once and stays.
    server = sim(binary=require_camera_glue(), motion=1, sim_motion="8:3")
    assert any("sim_motion needs the simulated camera" in line for line in server.lines())
    deadline = time.monotonic() + 20
    status = motion_of(server)
    while status["analysed"] < 20 and time.monotonic() < deadline:
        time.sleep(0.2)
        status = motion_of(server)
    assert status["analysed"] >= 20 and status["skipped"] == 0 and status["last_error"] is None, status
    assert status["active"] and status["events"] == 1 and status["level"] > 0, status


def test_camera_glue_skips_a_cut_frame_and_names_the_reason(sim, tmp_path):
    # A frames folder whose every other frame is cut in the middle of its entropy-coded data
    # (the end of image marker kept), as a camera that lost part of a transfer would give.
    folder = tmp_path / "10_10"
    folder.mkdir()
    for n in range(8):
        with open(os.path.join(FRAMES, "10_10", "%d.jpg" % n), "rb") as f:
            data = f.read()
        if n % 2:
            data = data[: len(data) // 2] + b"\xff\xd9"
        (folder / ("%d.jpg" % n)).write_bytes(data)
    server = sim(binary=require_camera_glue(), motion=1, frames_dir=str(tmp_path))
    deadline = time.monotonic() + 20
    status = motion_of(server)
    while (status["skipped"] < 5 or status["analysed"] < 5) and time.monotonic() < deadline:
        time.sleep(0.2)
        status = motion_of(server)
    assert status["skipped"] >= 5 and status["analysed"] >= 5, status
    assert status["last_error"] == "entropy-coded data ends early", status
    server.wait_for_line("motion: frame skipped (1 times): entropy-coded data ends early")
    assert get(server, "/capture").status == 200  # the camera goes on serving


def test_switched_on_from_control_while_the_camera_is_paused(sim):
    # idle_fps=0 pauses the camera while nobody watches; motion switched on must wake it.
    server = sim(binary=sim_binary(), idle_fps=0, sim_motion="1000:1")
    assert motion_of(server)["enabled"] is False
    assert get(server, "/control?var=motion&val=1").status == 200
    deadline = time.monotonic() + 10
    status = motion_of(server)
    while status["analysed"] < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
        status = motion_of(server)
    assert status["enabled"] and status["analysed"] >= 3, status
    assert get(server, "/control?var=motion_sensitivity&val=101").status == 400


def test_zones_set_from_control_apply_and_survive_a_restart(sim, tmp_path):
    path = tmp_path / "settings.json"
    server = sim(binary=sim_binary(), settings=path, save_delay_ms=100)
    assert status_of(server)["motion_zones"] == ""
    reply = get(server, "/control?var=motion_zones&val=0,50,100,50%3B0,0,20,20")
    assert reply.status == 200, reply.body
    assert status_of(server)["motion_zones"] == "0,50,100,50;0,0,20,20"
    for bad, reason in (("0,0,200,10", b"not inside 0..100 percent"), ("1,2,3", b"is not x,y,w,h")):
        reply = get(server, "/control?var=motion_zones&val=" + bad)
        assert reply.status == 400 and reason in reply.body and b"\n" not in reply.body.strip(), reply.body
    assert status_of(server)["motion_zones"] == "0,50,100,50;0,0,20,20"  # a refusal changes nothing
    deadline = time.monotonic() + 10
    while not status_of(server)["settings"]["saved"] and time.monotonic() < deadline:
        time.sleep(0.1)
    server.stop()
    assert json.loads(path.read_text())["motion_zones"] == "0,50,100,50;0,0,20,20"
    again = sim(binary=sim_binary(), settings=path)
    assert status_of(again)["motion_zones"] == "0,50,100,50;0,0,20,20"
