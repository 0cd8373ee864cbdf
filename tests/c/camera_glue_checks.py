"""camera_glue checked from inside MicroPython: the unix port built by `make unix-port`.

Runs with the host backend over the rendered frames (build/frames) and real loopback
sockets; tests/c/test_camera_glue.py starts it as `micropython tests/c/camera_glue_checks.py
<port>` and reads the "N passed, N failed" line of tests/mpy/check.py's runner.
"""

import binascii
import gc
import json
import socket
import struct
import sys
import time

import camera_glue as cg
import check  # (tests/mpy: run_micropython puts it on the path)
from camserver.camera import sensor, sim  # the Python camera, for the parity checks

FRAMES = "build/frames"
FPS = 25
PERIOD_MS = 1000 // FPS
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 47123
SO_SNDBUF = 7  # Linux values; the unix port's socket module does not name them
SO_RCVBUF = 8

with open(FRAMES + "/manifest.json") as f:
    MANIFEST = json.load(f)

# Every name /status reports: the settable ones and the two read-only ones.
NAMES = list(sensor.RANGES) + list(sensor.READ_ONLY)


def start(**kw):
    args = {"framesize": 10, "quality": 12, "fb_count": 2, "fps": FPS, "frames_dir": FRAMES}
    args.update(kw)
    cg.init(**args)


def stop():
    if cg.frames_out() != 0:
        raise AssertionError("frames out at the end: %d" % cg.frames_out())
    cg.deinit()


def wait_grab(limit_ms=2000):
    """The app's way to wait for a frame: grab, else sleep poll_ms()."""
    deadline = time.ticks_add(time.ticks_ms(), limit_ms)
    while time.ticks_diff(deadline, time.ticks_ms()) > 0:
        frame = cg.grab()
        if frame is not None:
            return frame
        time.sleep_ms(max(1, cg.poll_ms()))
    raise AssertionError("no frame within %d ms" % limit_ms)


def row(framesize, quality, index):
    band = 10 if quality <= 20 else 30
    info = MANIFEST["sets"]["%d_%d" % (framesize, band)]
    return info, info["frames"][index]


def pair(sndbuf=0, rcvbuf=0):
    """A connected TCP pair on loopback: (server side, non-blocking; client side)."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, SO_RCVBUF, rcvbuf)
    ls.bind(socket.getaddrinfo("127.0.0.1", PORT)[0][-1])
    ls.listen(1)
    client = socket.socket()
    if rcvbuf:
        client.setsockopt(socket.SOL_SOCKET, SO_RCVBUF, rcvbuf)
    client.connect(socket.getaddrinfo("127.0.0.1", PORT)[0][-1])
    conn, _ = ls.accept()
    ls.close()
    if sndbuf:
        conn.setsockopt(socket.SOL_SOCKET, SO_SNDBUF, sndbuf)
    conn.setblocking(False)
    client.setblocking(False)
    return conn, client


def drain(client, into):
    """Read what has arrived (non-blocking); returns the number of bytes read."""
    got = 0
    while True:
        try:
            data = client.recv(65536)
        except OSError:
            return got
        if not data:
            return got
        into.append(data)
        got += len(data)


def send_all(frame, conn, client, chunk=4096, offset=0, end=None):
    """Frame.send until done, reading the peer whenever a call would block (one task
    plays both sides). Returns (received bytes, number of would-blocks)."""
    end = len(frame) if end is None else end
    want = end - offset
    parts = []
    blocked = 0
    for _ in range(100000):
        if offset >= end:
            break
        n = frame.send(conn, offset, end, chunk)
        offset += n
        if n == 0:
            blocked += 1
            drain(client, parts)
    else:
        raise AssertionError("send did not finish")
    deadline = time.ticks_add(time.ticks_ms(), 2000)
    while sum(len(p) for p in parts) < want and time.ticks_diff(deadline, time.ticks_ms()) > 0:
        drain(client, parts)
    return b"".join(parts), blocked


# ---- frames


def test_reset_reason_is_unknown_on_the_host():
    # esp_reset_reason() on the board; the host has no chip (its machine double says instead).
    assert cg.reset_reason() == 0


def test_frames_match_the_manifest():
    start()
    for _ in range(3):
        frame = wait_grab()
        info, r = row(10, 12, frame.index)
        assert len(frame) == r["len"], (len(frame), r)
        assert binascii.crc32(frame) == r["crc32"]
        assert (frame.width, frame.height) == (info["width"], info["height"]) == (640, 480)
        mv = memoryview(frame)
        assert mv[0] == 0xFF and mv[1] == 0xD8 and mv[-2] == 0xFF and mv[-1] == 0xD9
        frame.release()
    stop()


def test_thumb_of_a_frame_matches_the_rendered_thumbnail():
    # camera_glue.thumb() decodes the Frame's JPEG; render_frames wrote libjpeg's 1/8-scale
    # decode beside it. The same block means, give or take a rounding.
    start(framesize=15)
    out = bytearray(200 * 150)
    for _ in range(2):
        frame = wait_grab()
        assert cg.thumb(frame, out) == (200, 150)
        with open("%s/15_10/%d.thb" % (FRAMES, frame.index), "rb") as f:
            ref = f.read()
        frame.release()
        worst = 0
        for i in range(len(ref)):
            d = abs(out[i] - ref[i])
            worst = d if d > worst else worst
        assert worst <= 1, worst
    e = check.raises(ValueError, cg.thumb, frame, out)  # released
    assert "released" in str(e), e
    stop()


def test_thumb_refuses_with_the_reason():
    with open(FRAMES + "/10_10/0.jpg", "rb") as f:
        jpg = f.read()
    out = bytearray(80 * 60)
    assert cg.thumb(jpg, out) == (80, 60)
    e = check.raises(ValueError, cg.thumb, jpg[: len(jpg) // 2], out)
    assert str(e) == "entropy-coded data ends early", e
    e = check.raises(ValueError, cg.thumb, jpg, bytearray(80 * 59))
    assert "too small" in str(e), e
    e = check.raises(ValueError, cg.thumb, b"GIF89a", out)
    assert "not a JPEG" in str(e), e
    check.raises(TypeError, cg.thumb, 5, out)
    e = check.raises(ValueError, cg.motion_compare, out, bytearray(10), None, 18)
    assert "2 bytes" in str(e), e


def test_timestamp_is_on_the_time_clock():
    start()
    before = time.time_ns() // 1000
    time.sleep_ms(2 * PERIOD_MS)
    frame = wait_grab()
    after = time.time_ns() // 1000
    sec, usec = frame.timestamp
    at = sec * 1000000 + usec
    assert 0 <= usec < 1000000
    assert before - 1000000 <= at <= after, (before, at, after)
    frame.release()
    stop()


def test_grab_latest_skips_and_never_repeats():
    start()
    first = wait_grab()
    i0 = first.index
    first.release()
    assert cg.grab() is None  # nothing new at once
    time.sleep_ms(5 * PERIOD_MS + 10)
    frame = cg.grab()
    assert frame is not None
    assert frame.index - i0 >= 5, (i0, frame.index)  # the newest, the ones between skipped
    frame.release()
    stop()


def test_held_buffers_are_not_reused():
    start(fb_count=2)
    a = wait_grab()
    crc_a = binascii.crc32(a)
    b = wait_grab()
    time.sleep_ms(3 * PERIOD_MS)
    assert cg.grab() is None  # both buffers held: the sensor drops frames
    assert cg.frames_out() == 2
    b.release()
    c = wait_grab()
    assert binascii.crc32(a) == crc_a  # a's buffer was not refilled underneath it
    a.release()
    c.release()
    stop()


def test_release_is_idempotent_and_ends_the_buffer():
    start()
    frame = wait_grab()
    assert cg.frames_out() == 1
    frame.release()
    frame.release()
    assert cg.frames_out() == 0
    check.raises(ValueError, frame.send, None, 0)
    try:
        memoryview(frame)
        raise AssertionError("a released frame still exposes its buffer")
    except (TypeError, ValueError):
        pass
    stop()


def _grab_and_drop(n):
    for _ in range(n):
        wait_grab()


def test_finaliser_returns_dropped_frames():
    start(fb_count=2)
    _grab_and_drop(2)  # references dropped without release(), as a dead connection might
    for _ in range(3):
        gc.collect()
        if cg.frames_out() == 0:
            break
    assert cg.frames_out() == 0, cg.frames_out()
    frame = wait_grab()  # and the buffers are usable again
    frame.release()
    stop()


def _no_buffer(frame):
    try:
        memoryview(frame)
    except (TypeError, ValueError):
        return
    raise AssertionError("the frame still exposes its buffer")


def test_deinit_then_calls_raise():
    start()
    frame = wait_grab()
    cg.deinit()
    # Its buffer went back with deinit() (on the board, freed): reading it is refused.
    check.raises(ValueError, frame.send, None, 0)
    _no_buffer(frame)
    start()  # a new session does not make the old frame readable again
    check.raises(ValueError, frame.send, None, 0)
    _no_buffer(frame)
    cg.deinit()
    frame.release()  # a no-op now, not a crash
    for fn in (cg.grab, cg.status, cg.deinit):
        check.raises(OSError, fn)
    check.raises(OSError, cg.get, "quality")


# ---- settings


def test_init_rejects_bad_values():
    check.raises(ValueError, lambda: cg.init(framesize=10, quality=99, frames_dir=FRAMES))
    check.raises(ValueError, lambda: cg.init(framesize=10, fb_count=0, frames_dir=FRAMES))
    check.raises(ValueError, lambda: cg.init(framesize=10, grab_mode="when_empty", frames_dir=FRAMES))
    # An unknown keyword is a TypeError, as for the sim's init() (a Python function).
    check.raises(TypeError, lambda: cg.init(framesize=10, bogus=1, frames_dir=FRAMES))
    check.raises(TypeError, lambda: sim.init(framesize=10, bogus=1, frames_dir=FRAMES))
    check.raises(TypeError, lambda: cg.init(10))  # keywords only
    check.raises(ValueError, lambda: cg.init(framesize=10, brightness=7, frames_dir=FRAMES))
    e = check.raises(OSError, lambda: cg.init(framesize=10, frames_dir="/nonexistent/frames"))
    assert e.errno == 2, e.args
    check.raises(OSError, cg.grab)


def test_status_has_every_name_and_the_backend():
    start(vflip=1)
    st = cg.status()
    for name in NAMES:
        assert name in st, name
    assert st["backend"] == "camera_glue"
    assert st["driver"] == "host"
    assert st["vflip"] == 1
    assert st["framesize"] == 10 and st["quality"] == 12
    for fs in (6, 10, 11, 15):
        assert fs in st["framesizes"], st["framesizes"]
    assert st["fps"] == FPS
    stop()


def _outcome(module, name, value):
    """What module.set(name, value) did: "ok" and the value get() reads back, or the error type."""
    try:
        module.set(name, value)
    except ValueError:
        return "ValueError"
    return "ok %r" % module.get(name)


def test_status_matches_the_sim():
    """camera_glue and the Python sim (camserver.camera.sim) report the same status keys and
    values, except which backend/driver they are, at the same settings."""
    start()
    sim.init(framesize=10, quality=12, fb_count=2, fps=FPS, frames_dir=FRAMES)
    try:
        c_status = cg.status()
        py_status = sim.status()
        for st in (c_status, py_status):
            st.pop("backend")
            st.pop("driver", None)
        assert sorted(c_status) == sorted(py_status), (sorted(c_status), sorted(py_status))
        for key in py_status:
            assert c_status[key] == py_status[key], (key, c_status[key], py_status[key])
    finally:
        sim.deinit()
    stop()


def test_ranges_are_the_sims():
    """camera_glue's table (cg_settings.h, exported as RANGES) and the sim's
    (sensor.RANGES, which sim.RANGES is) have the same names, ranges and defaults."""
    assert sim.RANGES is sensor.RANGES
    c_ranges = dict(cg.RANGES)
    assert sorted(c_ranges) == sorted(sensor.RANGES), (sorted(c_ranges), sorted(sensor.RANGES))
    for name in sensor.RANGES:
        assert c_ranges[name] == sensor.RANGES[name], (name, c_ranges[name], sensor.RANGES[name])
    check.raises(TypeError, cg.RANGES.__setitem__, "quality", (0, 99, 12))  # in ROM


def test_set_ranges_match_the_sim():
    """For every setting in sensor.RANGES, the values just outside and at both ends of its
    range are accepted or refused alike by camera_glue.set and sim.set (and read back alike);
    the read-only names are refused by both."""
    start()
    sim.init(framesize=10, quality=12, fb_count=2, fps=FPS, frames_dir=FRAMES)
    try:
        tried = 0
        for name in sensor.RANGES:
            lo, hi, _ = sensor.RANGES[name]
            for value in (lo - 1, lo, hi, hi + 1):
                c_out = _outcome(cg, name, value)
                py_out = _outcome(sim, name, value)
                assert c_out == py_out, (name, value, "camera_glue: " + c_out, "sim: " + py_out)
                tried += 1
        for name in sensor.READ_ONLY:
            assert _outcome(cg, name, sensor.READ_ONLY[name]) == "ValueError", name
            assert _outcome(sim, name, sensor.READ_ONLY[name]) == "ValueError", name
            assert cg.get(name) == sim.get(name) == sensor.READ_ONLY[name], name
        assert tried == 4 * len(sensor.RANGES)
    finally:
        sim.deinit()
    stop()


def test_framesizes_end_where_the_app_names_them():
    """The largest framesize camera_glue takes is the last one the app can name
    (sensor.FRAMESIZES): the next one is refused by the range check, in the sim's words,
    at set() and at init()."""
    start()
    sim.init(framesize=10, quality=12, fb_count=2, fps=FPS, frames_dir=FRAMES)
    try:
        past = len(sensor.FRAMESIZES)
        c_error = str(check.raises(ValueError, cg.set, "framesize", past))
        py_error = str(check.raises(ValueError, sim.set, "framesize", past))
        assert c_error == py_error, (c_error, py_error)
    finally:
        sim.deinit()
    stop()
    e = check.raises(ValueError, lambda: cg.init(framesize=past, frames_dir=FRAMES))
    assert str(past - 1) in str(e), str(e)


def test_set_and_get_validate():
    start()
    cg.set("brightness", -2)
    assert cg.get("brightness") == -2
    cg.set("hmirror", True)
    assert cg.get("hmirror") == 1
    for name, value in (
        ("brightness", 3),
        ("brightness", "1"),
        ("aec_value", 1201),
        ("nope", 1),
        ("xclk", 10),
        ("pixformat", 1),
        ("led_intensity", 10),  # the simulated board has no LED
        ("framesize", 8),  # not rendered
    ):
        e = check.raises(ValueError, cg.set, name, value)
        assert str(e), name
    check.raises(ValueError, cg.get, "nope")
    stop()


def test_framesize_change_applies_to_later_frames():
    start()
    cg.set("framesize", 6)
    frame = wait_grab()
    assert (frame.width, frame.height) == (320, 240)
    info, r = row(6, 12, frame.index)
    assert binascii.crc32(frame) == r["crc32"]
    frame.release()
    cg.set("quality", 40)  # band 30
    time.sleep_ms(PERIOD_MS)
    frame = wait_grab()
    info, r = row(6, 40, frame.index)
    assert binascii.crc32(frame) == r["crc32"]
    frame.release()
    stop()


# ---- Frame.send over real sockets


def test_send_whole_uxga_frame_with_would_blocks():
    start(framesize=15)
    frame = wait_grab()
    conn, client = pair(sndbuf=8192, rcvbuf=8192)
    got, blocked = send_all(frame, conn, client, chunk=4096)
    assert len(got) == len(frame) and binascii.crc32(got) == binascii.crc32(frame)
    assert blocked > 0  # the socket really filled: 0 was returned and the send resumed
    assert len(frame) > 100000
    frame.release()
    conn.close()
    client.close()
    stop()


def test_send_ranges_resume_from_offset():
    start()
    frame = wait_grab()
    conn, client = pair()
    assert frame.send(conn, 0, 1000, 4096) == 1000
    assert frame.send(conn, 1000, 1000) == 0  # empty range
    head = []
    time.sleep_ms(20)
    drain(client, head)
    rest, _ = send_all(frame, conn, client, chunk=1460, offset=1000)
    got = b"".join(head) + rest
    assert got == bytes(frame)
    frame.release()
    conn.close()
    client.close()
    stop()


def test_send_to_a_reset_peer_raises_oserror():
    start(framesize=15)
    frame = wait_grab()
    conn, client = pair(sndbuf=8192, rcvbuf=8192)
    offset = frame.send(conn, 0, len(frame), 4096)
    assert 0 < offset < len(frame)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # RST: a browser tab killed mid-frame
    time.sleep_ms(20)
    err = None
    for _ in range(100):
        try:
            offset += frame.send(conn, offset, len(frame), 4096)
        except OSError as e:
            err = e
            break
    assert err is not None and err.errno in (32, 104), err
    frame.release()
    conn.close()
    stop()


def test_send_arguments():
    start()
    frame = wait_grab()
    conn, client = pair()
    check.raises(ValueError, frame.send, conn, 10, 5)
    check.raises(ValueError, frame.send, conn, 0, len(frame) + 1)
    check.raises(ValueError, frame.send, conn, 0, None, 0)
    check.raises(ValueError, frame.send, conn, -1)
    check.raises(OSError, frame.send, 123, 0)  # not a stream
    check.raises(TypeError, lambda: frame.send(conn, 0, limit=5))  # the argument is `end`
    assert frame.send(conn, offset=0, end=5, chunk_size=2) == 5
    assert frame.send(sock=conn, offset=5, end=5) == 0  # an empty range writes nothing
    frame.release()
    conn.close()
    client.close()
    stop()


def test_send_allocates_nothing_on_the_heap():
    start()
    frame = wait_grab()
    conn, client = pair()
    sink = []
    frame.send(conn, 0, 100, 10)  # warm up
    drain(client, sink)
    sink = None
    gc.collect()
    before = gc.mem_alloc()
    for _ in range(100):
        assert frame.send(conn, 0, 100, 10) == 100  # ten writes of 10 bytes in one call
        frame.send(conn, 100, 200)
    used = gc.mem_alloc() - before
    assert used == 0, used
    frame.release()
    conn.close()
    client.close()
    stop()


# ---- RtpJpeg (the end-to-end pixel check is tests/c/test_rtp_module.py)

QT = bytes(range(128))


def rtp_start(p, buf, **kw):
    args = {"scan": 0, "end": len(buf), "jpeg_type": 1, "width": 640, "height": 480, "dri": 0}
    args.update(kw)
    qtables = args.pop("qtables", QT)
    timestamp = args.pop("timestamp", 0)
    p.start(
        buf,
        args["scan"],
        args["end"],
        args["jpeg_type"],
        args["width"],
        args["height"],
        args["dri"],
        qtables,
        timestamp,
    )


def rtp_payloads(stream, channel):
    """The RTP packets of a TCP interleaved stream, checking the $ framing."""
    out = []
    pos = 0
    while pos < len(stream):
        assert stream[pos] == 0x24 and stream[pos + 1] == channel, (pos, stream[pos : pos + 2])
        n = stream[pos + 2] << 8 | stream[pos + 3]
        out.append(stream[pos + 4 : pos + 4 + n])
        pos += 4 + n
    assert pos == len(stream)
    return out


def test_rtp_jpeg_arguments():
    for bad in (63, 1461):
        e = check.raises(ValueError, cg.RtpJpeg, bad)
        assert str(e) and "\n" not in str(e), (bad, str(e))  # a one-line reason, whatever its words
    check.raises(TypeError, lambda: cg.RtpJpeg(payload=100))
    p = cg.RtpJpeg(max_payload=64)
    assert (p.ssrc, p.seq, p.sent_packets, p.sent_bytes) == (0, 0, 0, 0)
    p.ssrc = 0xFFFFFFFF
    p.seq = 65535
    assert (p.ssrc, p.seq) == (0xFFFFFFFF, 65535)
    for name, value in (("ssrc", -1), ("ssrc", 1 << 32), ("seq", 65536), ("seq", -1)):
        check.raises(ValueError, setattr, p, name, value)
    check.raises(TypeError, setattr, p, "seq", "1")
    check.raises(AttributeError, setattr, p, "sent_packets", 5)
    buf = bytes(1000)
    for bad in (
        {"scan": 10, "end": 5},
        {"end": 1001},
        {"scan": -1},
        {"scan": 5, "end": 5},
        {"width": 644},
        {"height": 2048},
        {"width": 0},
        {"jpeg_type": 2},
        {"jpeg_type": 65},  # restart type without dri
        {"dri": 8},  # dri without restart type
        {"jpeg_type": 65, "dri": 65536},
        {"qtables": bytes(100)},
        {"timestamp": -1},
        {"timestamp": 1 << 32},
    ):
        e = check.raises(ValueError, lambda: rtp_start(p, buf, **bad))  # noqa: B023
        assert str(e) and "\n" not in str(e), bad  # a one-line reason, whatever its words
    check.raises(TypeError, rtp_start, p, 12345)  # no buffer
    conn, client = pair()
    assert p.send(conn, 0) is True  # no frame started: done, nothing written
    rtp_start(p, buf, timestamp=0xFFFFFFFF)
    check.raises(ValueError, p.send, conn, 256)
    check.raises(ValueError, p.send, conn, -2)
    check.raises(OSError, p.send, 123, 0)  # not a stream
    assert p.seq == 65535  # nothing was sent by the refused calls
    shrinking = bytearray(1000)
    rtp_start(p, shrinking)
    shrinking[500:] = b""  # shrunk under the packetizer: refused, not read past its end
    check.raises(ValueError, p.send, conn, 0)
    time.sleep_ms(20)
    assert drain(client, []) == 0
    conn.close()
    client.close()


def test_rtp_jpeg_sends_a_camera_frame():
    # The Frame itself goes into start() (buffer protocol, no copy): the packets carry its bytes.
    start()
    frame = wait_grab()
    data = bytes(frame)
    scan = data.find(b"\xff\xda")
    scan += 2 + (data[scan + 2] << 8 | data[scan + 3])
    p = cg.RtpJpeg()
    p.seq = 65534
    conn, client = pair(sndbuf=8192, rcvbuf=8192)
    rtp_start(p, frame, scan=scan, end=len(frame) - 2, timestamp=1234)
    parts = []
    blocked = 0
    while not p.send(conn, 0):
        blocked += 1
        drain(client, parts)
    deadline = time.ticks_add(time.ticks_ms(), 2000)
    while time.ticks_diff(deadline, time.ticks_ms()) > 0 and p.sent_bytes + 4 * p.sent_packets > sum(
        len(x) for x in parts
    ):
        drain(client, parts)
    packets = rtp_payloads(b"".join(parts), 0)
    assert blocked > 0
    assert len(packets) == p.sent_packets == (len(frame) - 2 - scan + 1399) // 1400
    got = packets[0][12 + 8 + 4 + 128 :] + b"".join(x[12 + 8 :] for x in packets[1:])
    assert got == data[scan:-2]
    assert [x[1] >> 7 for x in packets] == [0] * (len(packets) - 1) + [1]
    assert [x[2] << 8 | x[3] for x in packets[:3]] == [65534, 65535, 0]
    assert p.send(conn, 0) is True
    frame.release()
    conn.close()
    client.close()
    stop()


def test_rtp_jpeg_refuses_a_released_frame():
    # The packetizer reads the frame on every send(): a frame released (its buffer back with
    # the driver) or from before deinit() raises instead of being read.
    start()
    frame = wait_grab()
    p = cg.RtpJpeg()
    conn, client = pair(sndbuf=8192, rcvbuf=8192)
    rtp_start(p, frame, scan=600, end=len(frame) - 2)
    assert p.send(conn, 1) is False  # the socket filled mid-frame
    frame.release()
    check.raises(ValueError, p.send, conn, 1)
    frame = wait_grab()
    rtp_start(p, frame, scan=600, end=len(frame) - 2)
    cg.deinit()
    check.raises(ValueError, p.send, conn, 1)
    check.raises(ValueError, rtp_start, p, frame)  # nor can a new frame start from it
    frame.release()  # a no-op after deinit()
    conn.close()
    client.close()


def test_rtp_jpeg_allocates_nothing_per_frame():
    p = cg.RtpJpeg(max_payload=100)
    conn, client = pair()
    buf = bytes(range(256)) * 4
    sink = []
    rtp_start(p, buf)
    assert p.send(conn, 0) is True  # warm up
    drain(client, sink)
    sink = None
    gc.collect()
    before = gc.mem_alloc()
    for i in range(20):
        p.start(buf, 0, 1000, 65, 640, 480, 16, QT, i)
        assert p.send(conn, 0) is True
    used = gc.mem_alloc() - before
    assert used == 0, used
    assert p.sent_packets == 11 + 20 * 10  # 1024 bytes in the warm-up, then 1000 a frame
    conn.close()
    client.close()


check.run(globals())
