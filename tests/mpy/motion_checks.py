"""Motion detection inside MicroPython with a fake camera (thumbnails made here) and a fake
clock: the background, brightness normalisation, threshold and minimum area, the two-frame
start, the hold-off, zones, refused thumbnails, pacing and the listeners. Deterministic."""

import check
from camserver.motion import compare as compare_module
from camserver.motion import detector, zones
from camserver.settings import DEFAULTS

W, H = 80, 60  # a VGA frame's thumbnail


class Frame:
    def __init__(self, thumb):
        self.width = W * 8
        self.height = H * 8
        self.thumb = thumb  # bytes, or an exception to raise


class FakeCamera:
    def thumb(self, frame, out):
        if isinstance(frame.thumb, Exception):
            raise frame.thumb
        out[:] = frame.thumb
        return W, H


class Rng:
    """A tiny deterministic generator (MicroPython's random is not seeded alike everywhere)."""

    def __init__(self, seed=22):
        self.state = seed

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n


def scene(rng, gain=1.0, box=None, noise=2):
    """A still room at gain (exposure), noisy by +-noise, with a dark box (x0, y0, x1, y1 in
    blocks) when given."""
    out = bytearray(W * H)
    for y in range(H):
        for x in range(W):
            v = 60 + x + y  # a gradient: the gain changes every block by a different amount
            if box and box[0] <= x < box[2] and box[1] <= y < box[3]:
                v = 20
            v = int(v * gain) + rng.below(2 * noise + 1) - noise
            out[y * W + x] = 0 if v < 0 else 255 if v > 255 else v
    return bytes(out)


def make(**settings):
    config = dict(DEFAULTS)
    config["motion"] = True
    config.update(settings)
    clock = check.TimeModule()
    detector.time = clock
    motion = detector.Motion(FakeCamera(), config)
    heard = []
    motion.listeners.append(lambda m: heard.append((clock.ms, m.active)))
    return motion, clock, heard


def feed(motion, clock, thumbs, step_ms=200):
    for t in thumbs:
        clock.ms += step_ms
        motion.offer(Frame(t))


def test_still_scene_with_noise_and_exposure_drift_is_not_motion():
    motion, clock, heard = make()
    rng = Rng()
    # 60 s at 5 fps: the exposure swings +-10 % and back, twice (made frame by frame: 300
    # thumbnails at once would not fit a small heap).
    for i in range(300):
        phase = i % 150
        gain = 0.9 + 0.2 * (phase if phase < 75 else 150 - phase) / 75
        feed(motion, clock, [scene(rng, gain)])
    assert heard == [] and motion.events == 0 and not motion.active, (heard, motion.status())
    assert motion.analysed == 300 and motion.level < 1, motion.status()


def test_lights_switched_on_at_once_is_motion():
    # Normalisation is for slow, global changes; the same check's counterpart: a step of the
    # whole picture beyond the gain limit (x4) still counts.
    motion, clock, heard = make()
    rng = Rng()
    feed(motion, clock, [scene(rng) for _ in range(10)])
    dark = bytes(W * H)
    feed(motion, clock, [dark, dark])
    assert motion.active, motion.status()


def test_box_starts_after_two_frames_and_stops_after_it_has_gone():
    motion, clock, heard = make(motion_hold_s=3)
    rng = Rng()
    feed(motion, clock, [scene(rng) for _ in range(10)])
    box = (10, 10, 30, 40)  # 600 of 4800 blocks
    feed(motion, clock, [scene(rng, box=box)])
    assert not motion.active  # one changed frame is not motion yet
    feed(motion, clock, [scene(rng, box=(30, 10, 50, 40))])
    assert motion.active and motion.events == 1 and heard == [(clock.ms, True)], heard
    assert motion.level >= 5, motion.status()
    feed(motion, clock, [scene(rng, box=(50, 10, 70, 40))])
    gone = clock.ms
    while motion.active and clock.ms < gone + 10000:
        feed(motion, clock, [scene(rng)])
    assert not motion.active
    assert 3000 <= clock.ms - gone <= 4000, clock.ms - gone
    assert heard[-1] == (clock.ms, False) and motion.events == 1, heard


def test_hold_counts_from_the_last_changed_frame():
    motion, clock, heard = make(motion_hold_s=3)
    motion.judge(True, 1000)
    motion.judge(True, 1200)
    assert motion.active
    motion.judge(False, 1400)
    motion.judge(True, 2000)  # still moving: the hold starts again
    motion.judge(False, 4999)
    assert motion.active
    motion.judge(False, 5000)
    assert not motion.active and motion.events == 1
    motion.judge(True, 5200)
    assert not motion.active  # a new start needs two changed frames again
    motion.judge(True, 5400)
    assert motion.active and motion.events == 2


def test_one_odd_frame_is_not_motion():
    motion, clock, heard = make()
    rng = Rng()
    feed(motion, clock, [scene(rng) for _ in range(10)])
    for _ in range(5):
        feed(motion, clock, [scene(rng, box=(0, 0, 40, 30)), scene(rng), scene(rng)])
    assert motion.events == 0 and heard == [], heard


def test_small_change_below_the_minimum_area_is_not_motion():
    motion, clock, heard = make(motion_sensitivity=50)  # 2.6 % of the frame: 124 blocks
    rng = Rng()
    feed(motion, clock, [scene(rng) for _ in range(10)])
    feed(motion, clock, [scene(rng, box=(0, 0, 10, 10)) for _ in range(5)])  # 100 blocks
    assert motion.events == 0, motion.status()
    # The most sensitive setting sees it.
    motion, clock, heard = make(motion_sensitivity=100)
    feed(motion, clock, [scene(rng) for _ in range(10)])
    feed(motion, clock, [scene(rng, box=(0, 0, 10, 10)) for _ in range(5)])
    assert motion.events == 1, motion.status()


def test_zones_count_only_their_blocks():
    # The lower half only: a box in the upper half is not motion, one in the lower half is.
    motion, clock, heard = make(motion_zones="0,50,100,50")
    rng = Rng()
    feed(motion, clock, [scene(rng) for _ in range(10)])
    feed(motion, clock, [scene(rng, box=(0, 0, 80, 28)) for _ in range(5)])
    assert motion.events == 0, motion.status()
    feed(motion, clock, [scene(rng) for _ in range(20)])
    feed(motion, clock, [scene(rng, box=(20, 40, 50, 60)) for _ in range(3)])
    assert motion.events == 1, motion.status()


def test_zone_parsing_and_mask():
    assert zones.parse("") == [] and zones.parse(" ; ") == []
    assert zones.parse("0,0,50,100; 50,0,50,50") == [(0, 0, 50, 100), (50, 0, 50, 50)]
    for bad in ("1,2,3", "a,b,c,d", "60,0,50,10", "0,0,0,10", "-1,0,10,10"):
        e = check.raises(ValueError, zones.parse, bad)
        assert "motion_zones" in str(e), e
    assert zones.mask([], 4, 4) is None
    m = zones.mask([(0, 50, 100, 50)], 4, 4)
    assert bytes(m) == bytes([0] * 8 + [1] * 8), m
    m = zones.mask([(50, 0, 50, 100)], 4, 2)
    assert bytes(m) == bytes([0, 0, 1, 1, 0, 0, 1, 1]), m


def test_zones_changed_while_running_take_effect_and_bad_ones_change_nothing():
    motion, clock, heard = make()
    rng = Rng()
    feed(motion, clock, [scene(rng) for _ in range(10)])
    motion.set("motion_zones", "0,50,100,50")  # /control's path: the lower half from now on
    assert motion.rects == [(0, 50, 100, 50)] and motion.settings()["motion_zones"] == "0,50,100,50"
    feed(motion, clock, [scene(rng) for _ in range(10)])  # (the background is learnt again)
    feed(motion, clock, [scene(rng, box=(0, 0, 80, 28)) for _ in range(5)])
    assert motion.events == 0, motion.status()
    for bad in ("0,0,200,10", "1,2,3", ";".join(["0,0,10,10"] * (zones.MAX_ZONES + 1)), 5):
        e = check.raises(ValueError, motion.set, "motion_zones", bad)
        assert "motion_zones" in str(e), e
    assert motion.rects == [(0, 50, 100, 50)] and motion.zones == "0,50,100,50", motion.zones
    motion.set("motion_zones", "")  # the whole frame again
    feed(motion, clock, [scene(rng) for _ in range(10)])
    feed(motion, clock, [scene(rng, box=(0, 0, 80, 28)) for _ in range(5)])
    assert motion.events == 1, motion.status()


def test_bad_zones_setting_watches_the_whole_frame():
    motion, clock, heard = make(motion_zones="0,0,200,10")
    assert motion.rects == [] and "motion_zones" in motion.last_error, motion.status()


def test_bad_saved_setting_keeps_its_default():
    motion, clock, heard = make(motion_fps=0, motion_sensitivity=500)
    assert motion.fps == 5 and motion.sensitivity == 50 and motion.enabled
    assert "motion_sensitivity" in motion.last_error, motion.status()


def test_refused_thumbnail_is_skipped_counted_and_named():
    motion, clock, heard = make()
    rng = Rng()
    feed(motion, clock, [scene(rng) for _ in range(5)])
    feed(motion, clock, [ValueError("corrupt data (bad AC code)")] * 3)
    status = motion.status()
    assert status["skipped"] == 3 and status["last_error"] == "corrupt data (bad AC code)", status
    assert status["analysed"] == 5 and not status["active"], status
    feed(motion, clock, [scene(rng) for _ in range(5)])
    assert motion.status()["analysed"] == 10


def test_frames_are_analysed_at_motion_fps():
    motion, clock, heard = make(motion_fps=5)
    rng = Rng()
    still = scene(rng)
    feed(motion, clock, [still] * 250, step_ms=40)  # 10 s of a 25 fps camera
    assert 48 <= motion.analysed <= 51, motion.analysed


def test_off_costs_nothing_and_switching_off_ends_motion():
    motion, clock, heard = make(motion=False)
    feed(motion, clock, [b"\x00" * (W * H)] * 10)
    assert motion.analysed == 0 and motion._thumb is None
    motion.set("motion", 1)
    rng = Rng()
    feed(motion, clock, [scene(rng) for _ in range(10)] + [scene(rng, box=(0, 0, 40, 40))] * 2)
    assert motion.active and motion._thumb is not None
    motion.set("motion", 0)
    assert not motion.active and heard[-1][1] is False and motion._thumb is None
    check.raises(ValueError, motion.set, "motion_sensitivity", 0)
    check.raises(ValueError, motion.set, "motion_fps", 26)


def test_a_failing_listener_does_not_stop_detection():
    motion, clock, heard = make()

    def broken(m):
        raise RuntimeError("listener bug")

    motion.listeners.insert(0, broken)
    rng = Rng()
    feed(motion, clock, [scene(rng) for _ in range(10)] + [scene(rng, box=(0, 0, 40, 40))] * 2)
    assert motion.active and heard and heard[-1][1] is True, heard


def test_buffers_are_allocated_once():
    motion, clock, heard = make()
    rng = Rng()
    feed(motion, clock, [scene(rng) for _ in range(3)])
    thumb, bg = motion._thumb, motion._bg
    feed(motion, clock, [scene(rng) for _ in range(20)])
    assert motion._thumb is thumb and motion._bg is bg


def test_python_arithmetic_matches_the_c_module():
    # On the camera_glue build both exist: the same counts and the same background after.
    try:
        from camera_glue import motion_compare
    except ImportError:
        return  # the PyPI binary: only the Python arithmetic (tests/c runs this on camera_glue)
    from array import array

    rng = Rng(5)
    mask = bytearray(rng.below(2) for _ in range(W * H))
    for use_mask in (None, mask):
        bg_c = array("H", [rng.below(4096) for _ in range(W * H)])
        bg_py = array("H", bg_c)
        for _ in range(5):
            t = bytes(rng.below(256) for _ in range(W * H))
            a = motion_compare(t, bg_c, use_mask, 18)
            b = compare_module.compare_python(t, bg_py, use_mask, 18)
            assert a == b and bytes(bg_c) == bytes(bg_py), (a, b)


check.run(globals())
