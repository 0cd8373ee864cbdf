"""RtpJpeg (Python fallback, and camera_glue's C class when the binary has it) through a real
loopback socket: every frame depayloaded per RFC 2435 decodes to the original's pixels, with
the right packet boundaries, marker bit, sequence numbers (across the 16-bit wrap), timestamps
and RTP payload count; a reader slower than the sender makes send() return False and resume."""

import io
import json
import os
import socket
import struct
import subprocess
import time

import pytest
import rtpdepay
from PIL import Image
from rtpdepay import Packet
from simserver import ROOT, ensure_built, require_camera_glue, sim_binary, sim_env


def make_jpegs(tmp_path, **options):
    """Three distinct JPEGs from Pillow (the camera's kind: baseline, standard Huffman tables)."""
    paths = []
    for i in range(3):
        img = Image.new("RGB", (320, 240))
        px = img.load()
        for y in range(240):
            for x in range(320):
                px[x, y] = ((x * 7 + i * 40) & 255, (y * 5) & 255, ((x ^ y) + i * 90) & 255)
        path = tmp_path / ("f%d.jpg" % i)
        img.save(path, "JPEG", quality=85, **options)
        paths.append(str(path))
    return paths


def feed(binary, port, mode, max_payload, first_seq, paths, tmp_path):
    """tests/mpy/rtp_feed.py sending paths (frame i at 90000 * i + 7) as a running process."""
    ensure_built()
    job = {
        "files": paths,
        "timestamps": [90000 * i + 7 for i in range(len(paths))],
        "max_payload": max_payload,
        "ssrc": 0x12345678,
        "seq": first_seq,
        "port": port,
        "channel": 0 if mode == "tcp" else -1,
        "sndbuf": 4096,  # small, so writes block often
    }
    job_path = str(tmp_path / "job.json")
    with open(job_path, "w") as f:
        json.dump(job, f)
    args = [binary, os.path.join(ROOT, "tests", "mpy", "rtp_feed.py"), job_path]
    return subprocess.Popen(
        args, cwd=ROOT, env=sim_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def read_tcp_slowly(conn, total_frames):
    """(channel, packet) pairs, read a few hundred bytes at a time with pauses."""
    data = bytearray()
    packets = []
    frames = 0
    while frames < total_frames:
        chunk = conn.recv(700)
        if not chunk:
            break
        data += chunk
        time.sleep(0.0005)
        while len(data) >= 4:
            assert data[0] == 0x24, "interleaved packets start with $"
            channel, length = struct.unpack("!BH", data[1:4])
            if len(data) < 4 + length:
                break
            packets.append((channel, bytes(data[4 : 4 + length])))
            if Packet(data[4 : 4 + length]).marker:
                frames += 1
            del data[: 4 + length]
    return packets


def binaries():
    return [pytest.param("python", id="python"), pytest.param("c", id="camera_glue")]


def pick(kind):
    if kind == "python":
        return sim_binary()
    return require_camera_glue()


def check_frames(packets, paths, max_payload, first_seq):
    # (Packet checks V=2, no padding, extension or CSRCs, payload type 26; frames() groups them at
    # the marker bits and checks offsets, seq steps, one timestamp and the tables per frame.)
    frames = rtpdepay.frames(packets)
    assert len(frames) == len(paths)
    seq = first_seq
    payload_bytes = 0
    for i, (frame, path) in enumerate(zip(frames, paths, strict=True)):
        assert frame.ssrc == 0x12345678
        assert frame.timestamp == 90000 * i + 7
        for n, rtp in enumerate(frame.packets):
            assert rtp.seq == seq & 0xFFFF
            seq += 1
            assert rtp.marker == (n == len(frame.packets) - 1)
            assert len(rtp.data) <= max_payload
            if n < len(frame.packets) - 1:
                assert len(rtp.data) == max_payload, "only the last fragment is short"
            assert (rtp.qtables is not None) == (n == 0), "tables in the first fragment only"
            payload_bytes += rtp.payload_len
        original = Image.open(path)
        rebuilt = Image.open(io.BytesIO(frame.jpeg()))
        assert rebuilt.size == original.size
        assert rebuilt.tobytes() == original.convert("RGB").tobytes()
    return seq, payload_bytes


def finish(proc):
    """The feed's report (its last line), once it has exited cleanly."""
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    assert report["again"] is True, out  # done: one more send() writes nothing
    return report


OPTIONS = [{}, {"subsampling": 1}, {"restart_marker_rows": 2}]


@pytest.mark.parametrize("kind", binaries())
@pytest.mark.parametrize("options", OPTIONS, ids=["420", "422", "dri"])
def test_tcp_slow_reader(kind, options, tmp_path):
    binary = pick(kind)
    paths = make_jpegs(tmp_path, **options)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    proc = feed(binary, server.getsockname()[1], "tcp", 1400, 65534, paths, tmp_path)
    server.settimeout(20)
    conn, _ = server.accept()
    conn.settimeout(20)
    with conn:
        raw = read_tcp_slowly(conn, len(paths))
    server.close()
    report = finish(proc)
    assert report["kind"] == ("c" if kind == "c" else "python")
    assert report["blocked"] > 0, "the slow reader never made send() return False: %s" % report
    assert all(channel == 0 for channel, _ in raw)
    seq, payload_bytes = check_frames([Packet(p) for _, p in raw], paths, 1400, 65534)
    assert report["sent_packets"] == len(raw) and report["sent_bytes"] == payload_bytes
    if "restart_marker_rows" in options:
        first = Packet(raw[0][1])
        assert first.type in (64, 65) and first.dri > 0 and first.restart_flags == 0xFFFF


@pytest.mark.parametrize("kind", binaries())
def test_udp_datagrams(kind, tmp_path):
    binary = pick(kind)
    paths = make_jpegs(tmp_path)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(20)
    proc = feed(binary, receiver.getsockname()[1], "udp", 500, 100, paths, tmp_path)
    packets = []
    frames = 0
    while frames < len(paths):
        rtp = Packet(receiver.recv(4096))
        packets.append(rtp)
        frames += rtp.marker
    receiver.close()
    finish(proc)
    check_frames(packets, paths, 500, 100)
