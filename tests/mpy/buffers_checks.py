"""The frame buffer owner (frames/buffers.py), inside MicroPython, with a fake camera, fake
senders and a fake clock: nothing here waits or depends on timing."""

import random

import check
from camserver.frames.buffers import Buffers, Lease


class Frame:
    def __init__(self, camera, number):
        self.camera = camera
        self.number = number
        self.buf = memoryview(b"\xff\xd8 frame %d \xff\xd9" % number)
        self.timestamp = (number, 0)

    def __len__(self):
        return len(self.buf)

    def release(self):
        self.camera.released[self.number] = self.camera.released.get(self.number, 0) + 1
        self.camera.out -= 1


class Camera:
    """fb_count buffers; grab() fills a free one, or gives None when the app holds them all."""

    def __init__(self, fb_count):
        self.fb_count = fb_count
        self.out = 0
        self.grabbed = 0
        self.released = {}

    def grab(self):
        if self.out >= self.fb_count:
            return None
        self.out += 1
        self.grabbed += 1
        return Frame(self, self.grabbed)

    def frames_out(self):
        return self.out


class Sender:
    """A holder: blocked on its client since `since` (None: not blocked)."""

    def __init__(self):
        self.since = None
        self.revoked = 0

    def blocked_ms(self, now):
        return -1 if self.since is None else now - self.since

    def revoke(self):
        self.revoked += 1


def _setup(fb_count=2, patience=40):
    camera = Camera(fb_count)
    clock = check.Clock()
    return camera, clock, Buffers(camera, fb_count, patience, clock)


def test_newest_frame_goes_back_when_replaced_and_unused():
    camera, clock, buffers = _setup()
    first = buffers.publish(camera.grab())
    buffers.publish(camera.grab())
    assert camera.released == {1: 1} and first.given_back
    assert buffers.current.seq == 2


def test_a_held_frame_goes_back_only_when_its_last_sender_drops_it():
    camera, clock, buffers = _setup()
    a, b = Sender(), Sender()
    buffers.publish(camera.grab())
    shared = buffers.take(0, a)
    assert buffers.take(0, b) is shared
    assert buffers.take(shared.seq, a) is None  # nothing newer
    buffers.publish(camera.grab())
    assert camera.released == {}
    buffers.drop(shared, a)
    assert camera.released == {}
    buffers.drop(shared, b)
    assert camera.released == {1: 1}
    buffers.drop(shared, b)  # a second drop changes nothing
    assert camera.released == {1: 1}


def test_a_lease_closes_once():
    camera, clock, buffers = _setup()
    sender = Sender()
    buffers.publish(camera.grab())
    lease = Lease(buffers, buffers.take(0, sender), sender)
    buffers.drop_current()
    lease.close()
    lease.close()
    assert camera.released == {1: 1}


def test_unused_newest_frame_is_reclaimed_first():
    camera, clock, buffers = _setup()
    stalled = Sender()
    buffers.publish(camera.grab())
    held = buffers.take(0, stalled)
    stalled.since = clock.now
    buffers.publish(camera.grab())  # the newest, sent by nobody
    assert camera.grab() is None
    clock.now += 1000
    assert buffers.reclaim()
    assert camera.released == {2: 1} and not stalled.revoked and not held.given_back


def test_two_stalled_senders_lose_a_frame_after_patience_not_before():
    camera, clock, buffers = _setup(fb_count=2, patience=40)
    x, y = Sender(), Sender()
    buffers.publish(camera.grab())
    one = buffers.take(0, x)
    x.since = clock.now
    clock.now += 10
    buffers.publish(camera.grab())
    two = buffers.take(0, y)
    y.since = clock.now
    assert camera.grab() is None
    clock.now += 29  # x blocked 39 ms: less than a period
    assert not buffers.reclaim()
    clock.now += 1  # x blocked 40 ms
    assert buffers.reclaim()
    assert x.revoked == 1 and not y.revoked and one.given_back and not two.given_back
    buffers.drop(one, x)  # the revoked sender's own drop, later: nothing happens
    assert camera.released == {1: 1}
    assert camera.grab() is not None  # the camera has a buffer again


def test_a_frame_with_one_sender_still_moving_is_not_taken():
    camera, clock, buffers = _setup(fb_count=1, patience=40)
    stalled, moving = Sender(), Sender()
    buffers.publish(camera.grab())
    shared = buffers.take(0, stalled)
    buffers.take(0, moving)
    stalled.since = clock.now
    clock.now += 1000
    assert not buffers.reclaim()  # moving is not blocked: it will drop the frame soon
    moving.since = clock.now - 40
    assert buffers.reclaim()
    assert stalled.revoked == moving.revoked == 1 and shared.given_back


def test_the_camera_keeps_its_buffer_while_not_starved():
    camera, clock, buffers = _setup(fb_count=3)
    sender = Sender()
    buffers.publish(camera.grab())
    buffers.take(0, sender)
    sender.since = clock.now - 10000
    assert not buffers.reclaim()  # two buffers are free: nothing is taken from anybody
    assert not sender.revoked


def _simulate(seed, fb_count, senders, steps=3000, step_ms=10, patience=40):
    """Random senders taking, blocking on, finishing and dropping frames while a camera grabs
    every step. Returns (camera, buffers, longest camera wait with every sender blocked)."""
    rng = random.Random(seed) if hasattr(random, "Random") else None
    if rng is None:
        random.seed(seed)
        rng = random
    camera, clock, buffers = _setup(fb_count, patience)
    people = [Sender() for _ in range(senders)]
    holding = {}
    worst = starved_since = 0
    for _ in range(steps):
        clock.now += step_ms
        frame = camera.grab()
        if frame is not None:
            buffers.publish(frame)
            starved_since = 0
        elif not buffers.reclaim():
            if starved_since == 0:
                starved_since = clock.now
            if _every_holder_blocked(buffers):
                worst = max(worst, clock.now - starved_since)
        else:
            starved_since = 0
        for sender in people:
            shared = holding.get(sender)
            if shared is not None and sender.revoked:
                buffers.drop(shared, sender)  # its task ends and drops the frame
                del holding[sender]
                sender.revoked = 0
                sender.since = None
                continue
            roll = rng.getrandbits(4)
            if shared is None:
                if roll < 8:
                    taken = buffers.take(-1, sender)
                    if taken is not None:
                        holding[sender] = taken
                        if roll < 3:
                            sender.since = clock.now  # the client stopped reading
            elif sender.since is None and roll < 10:
                buffers.drop(shared, sender)
                del holding[sender]
            elif sender.since is not None and roll == 0:
                sender.since = None  # the client reads again
    for sender in list(holding):
        buffers.drop(holding[sender], sender)
    buffers.drop_current()
    return camera, buffers, worst


def _every_holder_blocked(buffers):
    for shared in buffers.outstanding:
        for holder in shared.holders:
            if holder.since is None:
                return False
    return True


def test_random_schedules_release_every_buffer_exactly_once():
    for seed in range(12):
        camera, buffers, worst = _simulate(seed, fb_count=2 + seed % 2, senders=1 + seed % 6)
        assert camera.out == 0, (seed, camera.out)
        assert len(camera.released) == camera.grabbed, seed
        for number in camera.released:
            assert camera.released[number] == 1, (seed, number)
        assert not buffers.outstanding


def test_random_schedules_blocked_senders_never_keep_the_camera_waiting_past_patience():
    for seed in range(12):
        camera, buffers, worst = _simulate(seed, fb_count=2, senders=2 + seed % 5, patience=40)
        assert worst <= 40, (seed, worst)


check.run(globals())
