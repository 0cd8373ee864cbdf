"""The camera's self-healing, inside MicroPython with a fake clock: the fault model
(camera/faults.py), the frame check (camera/jpeg_check.py), the sim camera under faults and the
recovery ladder (camera/recovery.py). Nothing here waits or depends on timing."""

import json
import time

import check
from camserver.camera import faults as fault_model
from camserver.camera import jpeg_check, recovery, sim
from camserver.camera.recovery import Recovery

# -- the fault model --


def test_faults_parse_every_kind():
    f = fault_model.Faults("timeout:0.05, truncate:0.5,garbage:0.03,wedge:6,init_fail:2,hang:1.5,seed:7")
    assert f.p == [50000, 500000, 30000]
    assert f.wedge_ms == 6000 and f.hang_ms == 1500 and f.init_fail == 2


def test_faults_refuse_bad_specs_with_a_reason():
    bad = (
        "timeout",
        "bogus:1",
        "timeout:x",
        "timeout:1.5",
        "wedge:-1",
        "wedge:inf",
        "hang:nan",
        "timeout:0.6,truncate:0.6",
    )
    for spec in bad:
        e = check.raises(ValueError, fault_model.Faults, spec)
        assert str(e).startswith("camera_faults: "), e


def test_faults_same_seed_same_sequence_other_seed_other():
    def seq(spec):
        f = fault_model.Faults(spec)
        return [f.frame() for _ in range(500)]

    a = seq("timeout:0.1,truncate:0.1,garbage:0.1,seed:7")
    assert a == seq("timeout:0.1,truncate:0.1,garbage:0.1,seed:7")
    assert a != seq("timeout:0.1,truncate:0.1,garbage:0.1,seed:8")


def test_faults_xorshift32_first_values():
    # The C model (cg_backend_host.c) must give the same numbers: tests/c compares the two.
    f = fault_model.Faults("seed:1")
    assert [f.draw() for _ in range(3)] == [270369, 67634689, 2647435461]


def test_faults_rates_follow_the_probabilities():
    f = fault_model.Faults("timeout:0.05,truncate:0.05,garbage:0.03,seed:7")
    counts = [0, 0, 0, 0]
    for _ in range(20000):
        counts[f.frame()] += 1
    assert 800 < counts[fault_model.TIMEOUT] < 1200, counts
    assert 800 < counts[fault_model.TRUNCATE] < 1200, counts
    assert 450 < counts[fault_model.GARBAGE] < 750, counts


def test_init_fail_counts_down_and_hang_fires_once():
    f = fault_model.Faults("init_fail:2,hang:4")
    assert f.reinit_fails() and f.reinit_fails() and not f.reinit_fails()
    assert not f.hangs(3999) and f.hangs(4000) and not f.hangs(5000)


# -- the frame check --


def test_jpeg_check_whole_cut_garbage_and_padding():
    body = b"\xff\xd8" + b"\x12\x34" * 50 + b"\xff\xd9"
    assert jpeg_check.whole(body, len(body))
    assert not jpeg_check.whole(body, len(body) - 1)  # no EOI
    assert not jpeg_check.whole(b"\x00" + body[1:], len(body))  # no SOI
    padded = body + bytes(100)
    assert jpeg_check.whole(padded, len(padded))  # the driver's zero padding
    too_much = body + bytes(jpeg_check.MAX_PADDING + 1)
    assert not jpeg_check.whole(too_much, len(too_much))  # bounded: O(padding), never O(frame)
    assert not jpeg_check.whole(bytes(8), 8)
    assert not jpeg_check.whole(b"\xff\xd8\xff", 3)


# -- the sim camera under faults, on a fake clock --


def _sim(faults, fps=25):
    clock = check.TimeModule()
    sim.time = clock
    sim.init(framesize=6, quality=30, fps=fps, faults=faults)
    return clock


def _run(clock, frames, step_ms=40):
    """Grab once per step for frames steps; returns what came out, releasing each frame."""
    got = []
    for _ in range(frames):
        clock.ms += step_ms
        frame = sim.grab()
        if frame is None:
            got.append(None)
            continue
        assert jpeg_check.whole(frame.buf, len(frame)), "an invalid frame left the camera"
        got.append(frame.index)
        frame.release()
    return got


def test_sim_never_hands_out_an_invalid_frame_and_counts_them():
    try:
        clock = _sim("timeout:0.05,truncate:0.05,garbage:0.03,seed:7")
        got = _run(clock, 1000)
        timeouts, invalid = sim.counts()
        assert 20 < timeouts < 90 and 50 < invalid < 140, (timeouts, invalid)
        assert got.count(None) == timeouts + invalid
        assert sim.frames_out() == 0
        # The same seed again: the same frames come and go.
        clock = _sim("timeout:0.05,truncate:0.05,garbage:0.03,seed:7")
        assert _run(clock, 1000) == got
    finally:
        sim.time = time


def test_sim_wedge_until_reinit_and_init_fail():
    try:
        clock = _sim("wedge:2,init_fail:1")
        got = _run(clock, 50)  # 2 s
        assert None not in got[:48]
        assert _run(clock, 50) == [None] * 50  # wedged
        check.raises(OSError, sim.reinit)  # init_fail:1
        assert _run(clock, 10) == [None] * 10
        sim.reinit()
        assert None not in _run(clock, 10)[1:]  # restarted: frames again, for another 2 s
    finally:
        sim.time = time


def test_sim_refuses_bad_faults_and_xclk():
    check.raises(ValueError, lambda: sim.init(framesize=6, quality=30, faults="nonsense:1"))
    check.raises(ValueError, lambda: sim.init(framesize=6, quality=30, xclk_mhz=0))
    sim.init(framesize=6, quality=30, xclk_mhz=10)
    assert sim.status()["xclk"] == 10


# -- the recovery ladder --


class Camera:
    def __init__(self, fail=0):
        self.fail = fail
        self.reinits = 0
        self.counted = (0, 0)  # (timeouts, invalid frames): what counts() reports

    def counts(self):
        return self.counted

    def reinit(self):
        self.reinits += 1
        if self.fail:
            self.fail -= 1
            raise OSError(5, "esp_camera_init failed")


class Resets:
    def __init__(self):
        self.calls = []

    def __call__(self, cause, reason):
        self.calls.append((cause, reason))


def _ladder(fail=0, stall=3000, tries=3):
    clock = check.Clock(1000)
    camera = Camera(fail)
    resets = Resets()
    return clock, camera, resets, Recovery(camera, stall, tries, resets, clock)


def test_ladder_ok_while_frames_come_or_nobody_wants_them():
    clock, camera, resets, ladder = _ladder()
    for _ in range(10):
        clock.now += 2999
        ladder.idle()  # nobody watches: not a stall however long
        assert not ladder.stalled()
    clock.now += 2999
    assert not ladder.stalled() and ladder.state == recovery.OK
    ladder.frame()
    clock.now += 2999
    assert not ladder.stalled()
    assert camera.reinits == 0 and ladder.state == recovery.OK


def test_ladder_restarts_a_stalled_camera_and_is_ok_with_the_next_frame():
    clock, camera, resets, ladder = _ladder()
    clock.now += 3000
    assert ladder.stalled()
    assert ladder.state == recovery.RECOVERING and camera.reinits == 1 and ladder.reinits == 1
    assert ladder.last_error == "no frame for 3000 ms"
    clock.now += 100
    assert not ladder.stalled()  # the restarted camera gets stall_ms to deliver
    ladder.frame()
    assert ladder.state == recovery.OK
    camera.counted = (4, 5)
    assert ladder.status() == {
        "state": "ok",
        "timeouts": 4,
        "invalid_frames": 5,
        "reinits": 1,
        "last_error": "no frame for 3000 ms",
    }
    assert not resets.calls


def test_ladder_backs_off_after_failed_restarts_then_resets_with_cause_camera():
    clock, camera, resets, ladder = _ladder(fail=99)
    clock.now += 3000
    assert not ladder.stalled() and camera.reinits == 1  # failed
    assert ladder.last_error == "restart failed: esp_camera_init failed"
    clock.now += 999
    assert not ladder.stalled() and camera.reinits == 1  # back-off: 1 s
    clock.now += 1
    ladder.stalled()
    assert camera.reinits == 2
    clock.now += 1999
    ladder.stalled()
    assert camera.reinits == 2  # back-off: 2 s
    clock.now += 1
    ladder.stalled()
    assert camera.reinits == 3 and not resets.calls and ladder.state == recovery.RECOVERING
    clock.now += 4000
    ladder.stalled()
    assert camera.reinits == 3 and ladder.state == recovery.FAILED
    assert len(resets.calls) == 1 and resets.calls[0][0] == "camera"
    assert "3 restart" in resets.calls[0][1], resets.calls
    clock.now += 60000
    ladder.stalled()
    assert len(resets.calls) == 1  # failed is final: one reset


def test_ladder_back_off_stops_doubling_at_64_s():
    # camera_reinit_tries goes to 100: the wait must stay a valid ticks_add (at most 2**29 ms).
    clock, camera, resets, ladder = _ladder(fail=99, tries=100)
    clock.now += 3000
    waits = []
    for _ in range(40):  # each failed try waits its back-off, then the next one is due
        ladder.stalled()
        waits.append(time.ticks_diff(ladder.next_try, clock.now))
        clock.now = ladder.next_try
    assert camera.reinits == 40 and not resets.calls and ladder.state == recovery.RECOVERING
    assert waits[:8] == [1000, 2000, 4000, 8000, 16000, 32000, 64000, 64000], waits
    assert max(waits) == recovery.BACKOFF_MS << recovery.MAX_DOUBLINGS == 64000, waits


def test_ladder_a_restart_that_brings_no_frame_counts_as_a_try():
    clock, camera, resets, ladder = _ladder(tries=2)
    clock.now += 3000
    ladder.stalled()
    clock.now += 3000
    ladder.stalled()
    assert camera.reinits == 2 and not resets.calls
    clock.now += 3000
    ladder.stalled()
    assert resets.calls and ladder.state == recovery.FAILED


def test_ladder_one_failed_restart_then_success_recovers():
    clock, camera, resets, ladder = _ladder(fail=1)
    clock.now += 3000
    ladder.stalled()
    clock.now += 1000
    assert ladder.stalled() and ladder.reinits == 1
    ladder.frame()
    assert ladder.state == recovery.OK and ladder.attempts == 0 and not resets.calls


class HubCamera(Camera):
    def __init__(self):
        super().__init__()
        self.out = 0

    def frames_out(self):
        return self.out


def test_hub_restarts_a_silent_camera_but_not_one_whose_buffers_the_app_holds():
    from camserver import settings
    from camserver.frames.hub import FrameHub

    config = dict(settings.DEFAULTS)
    camera = HubCamera()
    hub = FrameHub(camera, config, Resets())
    clock = check.Clock(1000)
    hub.recovery.ticks_ms = clock
    hub.recovery.idle()
    camera.out = 2  # both buffers held by senders still at work
    for _ in range(10):
        clock.now += 1000
        hub._stalled()
    assert camera.reinits == 0 and hub.recovery.state == recovery.OK
    camera.out = 1  # the camera has a buffer and delivers nothing
    for _ in range(3):
        clock.now += 1000
        hub._stalled()
    assert camera.reinits == 1 and hub.recovery.state == recovery.RECOVERING
    assert json.loads(b"{" + hub.health.json() + b"}")["camera_health"]["state"] == "recovering"
    assert hub.health.json() is hub.health.json()  # made once while nothing changes
    assert hub.recovering() == "camera recovering (no frame for 3000 ms)"


def test_ladder_off_with_stall_ms_0():
    clock, camera, resets, ladder = _ladder(stall=0)
    clock.now += 100000
    assert not ladder.stalled() and camera.reinits == 0


check.run(globals())
