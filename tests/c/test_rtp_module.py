"""camera_glue.RtpJpeg inside MicroPython, end to end: a real JPEG through real sockets.

Pillow renders a VGA picture; the CPython side parses start()'s arguments from it
(rtpdepay.jpeg_args) and listens; MicroPython (tests/mpy/rtp_feed.py, the C class)
sends two frames of it over loopback TCP (interleaved, to a reader that reads slowly, so
send() returns False and resumes) or UDP. The CPython side depayloads per RFC 2435
(tests/rtpdepay.py), checks every header field, and Pillow decodes the rebuilt JPEG to the
same pixels as the original. A second opinion on the format: ffmpeg receives the UDP stream
with its own RTP/JPEG depayloader and decodes it to the pixels it decodes the original file
to. On the camera_glue binary whatever MICROPYTHON is (see test_camera_glue.py).
"""

import io
import json
import os
import random
import socket
import subprocess
import threading
import time

import pytest
import rtpdepay
from PIL import Image
from simserver import require_camera_glue, run_micropython

MAX_PAYLOAD = 1400
TIMESTAMPS = [4294967000, 3000]  # the second frame's 32-bit timestamp wrapped


def picture(subsampling, restart):
    """A 640x480 JPEG with detail everywhere (gradients and noise): about 100 kB."""
    rnd = random.Random(7)
    im = Image.radial_gradient("L").resize((640, 480)).convert("RGB")
    noise = Image.frombytes("RGB", (640, 480), bytes(rnd.getrandbits(8) for _ in range(640 * 480 * 3)))
    im = Image.blend(im, noise, 0.35)
    out = io.BytesIO()
    extra = {"restart_marker_blocks": restart} if restart else {}
    im.save(out, "JPEG", quality=85, subsampling=subsampling, **extra)
    return out.getvalue()


def run_sender(tmp_path, jpeg, args, port, channel, ssrc, seq, sndbuf=0, **extra):
    path = os.path.join(str(tmp_path), "frame.jpg")
    with open(path, "wb") as f:
        f.write(jpeg)
    job = dict(
        files=[path],
        args=dict(args, qtables=args["qtables"].hex()),
        c_only=True,
        churn="stop_file" not in extra,
        max_payload=MAX_PAYLOAD,
        ssrc=ssrc,
        seq=seq,
        port=port,
        channel=channel,
        sndbuf=sndbuf,
        timestamps=TIMESTAMPS,
    )
    job.update(extra)
    job_path = os.path.join(str(tmp_path), "job.json")
    with open(job_path, "w") as f:
        json.dump(job, f)
    box = {}
    binary = require_camera_glue()

    def run():
        box["result"] = run_micropython("tests/mpy/rtp_feed.py", job_path, timeout=120, binary=binary)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def report(thread, box):
    thread.join(130)
    result = box["result"]
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    return json.loads(result.stdout.strip().splitlines()[-1])


def receive_tcp(listener):
    """Reads the whole stream slowly (1 kB, then a pause) until the sender closes."""
    conn, _ = listener.accept()
    conn.settimeout(30)
    data = bytearray()
    with conn:
        while True:
            chunk = conn.recv(1024)
            if not chunk:
                return bytes(data)
            data += chunk
            time.sleep(0.0005)


def receive_udp(sock, frames):
    """Datagrams until `frames` packets with the marker bit have arrived."""
    packets = []
    sock.settimeout(30)
    while sum(p.marker for p in packets) < frames:
        packets.append(rtpdepay.parse(sock.recv(65536)))
    return packets


def check_frames(packets, jpeg, args, ssrc, seq, status):
    packets = [p if isinstance(p, rtpdepay.Packet) else rtpdepay.parse(p) for p in packets]
    frames = rtpdepay.frames(packets)
    assert len(frames) == len(TIMESTAMPS)
    original = Image.open(io.BytesIO(jpeg))
    data = jpeg[args["scan"] : args["end"]]
    expect_seq = seq
    for frame, ts in zip(frames, TIMESTAMPS, strict=True):
        assert frame.timestamp == ts and frame.ssrc == ssrc
        assert (frame.type, frame.width, frame.height, frame.dri) == (
            args["jpeg_type"],
            args["width"],
            args["height"],
            args["dri"],
        )
        assert frame.q == 255 and frame.qtables == args["qtables"]
        assert frame.packets[0].seq == expect_seq
        expect_seq = (expect_seq + len(frame.packets)) & 0xFFFF
        # Every packet but the last carries exactly max_payload bytes of data.
        assert [len(p.data) for p in frame.packets[:-1]] == [MAX_PAYLOAD] * (len(frame.packets) - 1)
        assert 0 < len(frame.packets[-1].data) <= MAX_PAYLOAD
        if frame.dri:
            assert {p.restart_flags for p in frame.packets} == {0xFFFF}
        assert frame.data == data
        rebuilt = Image.open(io.BytesIO(frame.jpeg()))
        assert rebuilt.size == original.size
        assert rebuilt.tobytes() == original.tobytes()
    assert status["sent_packets"] == len(packets)
    assert status["sent_bytes"] == sum(p.payload_len for p in packets)
    assert status["seq"] == expect_seq and status["first_seq"] == seq and status["ssrc"] == ssrc
    # No GC heap per frame or per packet: start() and every send() allocated nothing.
    assert status["alloc_start"] == 0 and status["alloc_send"] == 0, status
    assert status["again"] is True


@pytest.mark.parametrize(
    "subsampling,restart", [(2, 0), (1, 0), (2, 4)], ids=["type1-420", "type0-422", "type65-restart"]
)
def test_tcp_interleaved_slow_reader(tmp_path, subsampling, restart):
    jpeg = picture(subsampling, restart)
    assert rtpdepay.standard_huffman(jpeg)  # what RFC 2435's rebuilt header assumes
    args = rtpdepay.jpeg_args(jpeg)
    assert args["jpeg_type"] == (0 if subsampling == 1 else 1) + (64 if restart else 0)
    listener = socket.socket()
    # A small receive window on top of the sender's small send buffer: send() must stop.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(30)
    ssrc, seq = 0xDEADBEEF, 65500  # the sequence number wraps during the frames
    with listener:
        thread, box = run_sender(tmp_path, jpeg, args, listener.getsockname()[1], 5, ssrc, seq, sndbuf=4096)
        stream = receive_tcp(listener)
    status = report(thread, box)
    split = rtpdepay.split_interleaved(stream)
    assert {channel for channel, _ in split} == {5}
    check_frames([packet for _, packet in split], jpeg, args, ssrc, seq, status)
    assert status["blocked"] >= 1, status  # the slow reader made send() return False and resume


def test_udp_one_datagram_per_packet(tmp_path):
    jpeg = picture(2, 0)
    args = rtpdepay.jpeg_args(jpeg)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sock.bind(("127.0.0.1", 0))
    ssrc, seq = 12345, 0
    with sock:
        thread, box = run_sender(tmp_path, jpeg, args, sock.getsockname()[1], -1, ssrc, seq)
        packets = receive_udp(sock, len(TIMESTAMPS))
    status = report(thread, box)
    check_frames(packets, jpeg, args, ssrc, seq, status)


def ffmpeg_png(args, out):
    done = subprocess.run(
        ["ffmpeg", "-loglevel", "error", *args, "-frames:v", "1", "-y", out],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return Image.open(out).convert("RGB").tobytes()


def test_ffmpeg_receives_the_udp_stream(tmp_path):
    jpeg = picture(2, 4)  # 4:2:0 with restart markers: type 65, restart header in every packet
    args = rtpdepay.jpeg_args(jpeg)
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    sdp = os.path.join(str(tmp_path), "stream.sdp")
    with open(sdp, "w") as f:
        f.write("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=camserver\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n")
        f.write("m=video %d RTP/AVP 26\r\n" % port)
    original = os.path.join(str(tmp_path), "original.jpg")
    with open(original, "wb") as f:
        f.write(jpeg)
    stop = os.path.join(str(tmp_path), "stop")
    # The sender repeats the frame until ffmpeg has one: ffmpeg may start listening late.
    thread, box = run_sender(
        tmp_path,
        jpeg,
        args,
        port,
        -1,
        1,
        0,
        stop_file=stop,
        gap_ms=20,
        timestamps=[i * 3600 for i in range(3000)],
    )
    try:
        received = ffmpeg_png(
            ["-protocol_whitelist", "file,udp,rtp", "-i", sdp], os.path.join(str(tmp_path), "rtp.png")
        )
    finally:
        open(stop, "w").close()
    status = report(thread, box)
    assert status["sent_packets"] > 0
    assert received == ffmpeg_png(["-i", original], os.path.join(str(tmp_path), "original.png"))
