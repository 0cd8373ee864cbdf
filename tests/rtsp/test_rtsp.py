"""RTSP with real clients on loopback: ffprobe, ffmpeg (TCP and UDP), GStreamer's rtspsrc,
OpenCV; a depayloaded frame against the JPEG the camera grabbed; RTSP and MJPEG viewers at
once; TEARDOWN and resets leave no slot or buffer held; bad requests get an RTSP status and
a one-line reason, never a traceback (the sim fixture checks the console)."""

import base64
import io
import json
import os
import socket
import subprocess
import threading
import time

import pytest
from httpclient import MjpegReader, get
from PIL import Image
from rtpdepay import depayload
from rtspclient import RtspClient
from simserver import FRAMES, free_port

WIDTH, HEIGHT = 640, 480  # framesize 10 (VGA), the default


@pytest.fixture
def rtsp(sim):
    def start(**settings):
        port = free_port()
        server = sim(rtsp_port=port, **settings)
        server.rtsp_port = port
        server.rtsp_url = "rtsp://127.0.0.1:%d" % port
        return server

    return start


def status(server, headers=None):
    return json.loads(get(server, "/status", headers).body)


def wait_released(server, rtsp_sessions=0, headers=None):
    """Until only /status's own connection is open, no viewer and no frame is held."""
    deadline = time.monotonic() + 10
    while True:
        s = status(server, headers)
        if s["frames_out"] == 0 and s["connections"] == 1 and not s["viewers"]:
            if s["rtsp"]["sessions"] == rtsp_sessions:
                return s
        assert time.monotonic() < deadline, s
        time.sleep(0.1)


def test_ffprobe_sees_an_mjpeg_stream_of_the_camera_size(rtsp):
    server = rtsp()
    for path in ("/mjpeg/1", "/stream"):
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_streams", "-of", "json"]
            + [server.rtsp_url + path],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 0, out.stderr
        (stream,) = json.loads(out.stdout)["streams"]
        assert stream["codec_name"] == "mjpeg"
        assert (stream["width"], stream["height"]) == (WIDTH, HEIGHT)


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_ffmpeg_decodes_50_frames(rtsp, transport):
    server = rtsp()
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-rtsp_transport", transport, "-i", server.rtsp_url + "/mjpeg/1"]
        + ["-fps_mode", "passthrough", "-frames:v", "50", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:"],
        capture_output=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr.decode()
    assert len(out.stdout) == 50 * WIDTH * HEIGHT, out.stderr.decode()
    assert status(server)["frames"]["sent"] >= 50
    wait_released(server)


def gst_decode(url, tmp_path, frames, options=""):
    """GStreamer's rtspsrc ! rtpjpegdepay ! jpegdec writing gray frames to a file until `frames`
    whole frames are in it, then stopped (SIGKILL). Not ended by an EOS: at an EOS rtspsrc goes
    down through PAUSED, where its own CLOSE can cut off the PAUSE it is about to send, and it
    then reports that unsent PAUSE as an error (seen with strace: no PAUSE ever left it, and the
    TEARDOWN after it was answered). The run is judged by what was decoded while it streamed."""
    raw = tmp_path / "frames.raw"
    pipeline = (
        "rtspsrc location=%s %s ! rtpjpegdepay ! jpegdec ! videoconvert ! video/x-raw,format=GRAY8"
        " ! filesink location=%s buffer-mode=unbuffered" % (url, options, raw)
    )
    console = tmp_path / "gst.log"  # a file, not a pipe: nothing has to drain it
    command = ["gst-launch-1.0", "-q", *pipeline.split()]
    with open(console, "w") as out:
        gst = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    try:
        while not (raw.exists() and raw.stat().st_size >= frames * WIDTH * HEIGHT):
            assert gst.poll() is None, "GStreamer stopped: " + console.read_text()
            assert time.monotonic() < deadline, "GStreamer decoded too little: " + console.read_text()
            time.sleep(0.05)
        # Nothing went wrong while it streamed (what its exit status said when an EOS ended it).
        assert "ERROR" not in console.read_text(), console.read_text()
    finally:
        gst.kill()
        gst.wait()


@pytest.mark.parametrize("protocols", ["tcp", "udp"])
def test_gstreamer_rtspsrc_decodes(rtsp, tmp_path, protocols):
    server = rtsp()
    gst_decode(server.rtsp_url + "/mjpeg/1", tmp_path, 20, "protocols=" + protocols)
    wait_released(server)


def test_opencv_opens_the_stream(rtsp, monkeypatch):
    import cv2  # opencv-python-headless (requirements.txt)

    server = rtsp()
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
    cap = cv2.VideoCapture(server.rtsp_url + "/mjpeg/1", cv2.CAP_FFMPEG)
    try:
        assert cap.isOpened()
        for _ in range(5):
            ok, image = cap.read()
            assert ok
            assert image.shape == (HEIGHT, WIDTH, 3)
    finally:
        cap.release()


def _scan(jpeg):
    """The entropy-coded data of a JPEG (after the SOS header, before EOI)."""
    pos = 2
    while True:
        marker = jpeg[pos + 1]
        length = int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            return jpeg[pos + 2 + length : jpeg.rindex(b"\xff\xd9")]
        pos += 2 + length


def _rendered(framesize):
    """Entropy-coded data -> (JPEG, index) of every rendered frame of framesize."""
    originals = {}
    for key in os.listdir(FRAMES):
        if key.startswith("%d_" % framesize):
            for name in os.listdir(os.path.join(FRAMES, key)):
                if not name.endswith(".jpg"):
                    continue  # (each frame's thumbnail, .thb, is beside it)
                with open(os.path.join(FRAMES, key, name), "rb") as f:
                    data = f.read()
                originals[_scan(data)] = (data, int(name.split(".")[0]))
    return originals


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_a_depayloaded_frame_is_the_grabbed_jpeg(rtsp, transport):
    """RFC 2435 depayloading gives back the camera's JPEG: the same entropy-coded bytes as one
    of the rendered frames, and the same pixels when decoded."""
    server = rtsp()
    originals = _rendered(10)
    client = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        if transport == "tcp":
            client.play_tcp()
            frames = [client.frame_tcp() for _ in range(3)]
        else:
            client.play_udp()
            frames = [client.frame_udp() for _ in range(3)]
        client.request("TEARDOWN")
    finally:
        client.close()
    count = len([name for name in os.listdir(os.path.join(FRAMES, "10_10")) if name.endswith(".jpg")])
    seen = []
    for packets in frames:
        jpeg = depayload(packets)
        found = originals.get(_scan(jpeg))
        assert found is not None, "not one of the camera's frames"
        original, index = found
        rebuilt = Image.open(io.BytesIO(jpeg))
        assert rebuilt.tobytes() == Image.open(io.BytesIO(original)).tobytes()
        seen.append((index, packets[0].timestamp))
    # 90 kHz timestamps from the capture times: the sim captures frame n at n / 25 s, 3600 ticks
    # apart (its capture times carry the millisecond rounding of its clocks: 3 ms of slack).
    for (i1, t1), (i2, t2) in zip(seen, seen[1:], strict=False):
        frames_apart = (i2 - i1) % count
        assert frames_apart > 0
        assert abs(((t2 - t1) & 0xFFFFFFFF) - 3600 * frames_apart) <= 270, (i1, t1, i2, t2)
    wait_released(server)


def _rtsp_viewer(server, frames, out, source):
    client = RtspClient("127.0.0.1", server.rtsp_port, source=source)
    try:
        client.play_tcp()
        got = 0
        while got < frames:
            jpeg = depayload(client.frame_tcp())
            Image.open(io.BytesIO(jpeg)).load()
            got += 1
        client.request("TEARDOWN")
        out.append(("rtsp", got))
    finally:
        client.close()


def _mjpeg_viewer(server, frames, out, source):
    reader = MjpegReader(server.host, server.port, "/stream", source=source)
    try:
        got = 0
        while got < frames:
            _, jpeg = reader.next_part()
            Image.open(io.BytesIO(jpeg)).load()
            got += 1
        out.append(("mjpeg", got))
    finally:
        reader.close()


def test_four_rtsp_and_four_mjpeg_viewers_at_once(rtsp):
    """Eight viewers of one hub: every one of them gets 40 whole frames, and afterwards every
    slot, viewer and camera buffer is free again."""
    server = rtsp()
    out = []
    # (from four addresses: max_per_peer is 6)
    threads = [
        threading.Thread(target=_rtsp_viewer, args=(server, 40, out, "127.0.0.%d" % (2 + i)))
        for i in range(4)
    ]
    threads += [
        threading.Thread(target=_mjpeg_viewer, args=(server, 40, out, "127.0.0.%d" % (2 + i)))
        for i in range(4)
    ]
    for t in threads:
        t.start()
    # /status counts the RTSP viewers while they play (a finished one has torn its session down).
    deadline = time.monotonic() + 20
    while status(server)["rtsp"]["playing"] + sum(1 for k, _ in out if k == "rtsp") != 4:
        assert time.monotonic() < deadline, status(server)["rtsp"]
        time.sleep(0.05)
    for t in threads:
        t.join(60)
    assert sorted(out) == [("mjpeg", 40)] * 4 + [("rtsp", 40)] * 4
    wait_released(server)


def test_teardown_and_resets_mid_frame_hold_nothing(rtsp):
    server = rtsp()
    for i in range(12):
        client = RtspClient("127.0.0.1", server.rtsp_port, rcvbuf=4096)
        client.play_tcp() if i % 2 == 0 else client.play_udp()
        if i % 3 == 0:
            reply = client.request("TEARDOWN")
            assert reply.status == 200
            client.close()
        elif i % 3 == 1 and i % 2 == 0:
            client._fill()  # the server is mid-frame, blocked on a full socket
            time.sleep(0.2)
            client.reset()
        else:
            time.sleep(0.1)
            client.reset()
    wait_released(server)
    s = status(server)
    assert s["rtsp"]["udp_sessions"] == 0 and s["rtsp"]["playing"] == 0
    assert not [line for line in server.lines() if "ERROR" in line or "WARNING" in line]


def test_pause_and_play_again(rtsp):
    server = rtsp()
    client = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        play = client.play_tcp()
        first = client.frame_tcp()
        info = dict(p.split("=", 1) for p in play.header("rtp-info").split(";"))
        assert info["url"] == client.url + "/track1"  # (PLAY named the aggregate, Content-Base)
        assert int(info["seq"]) == first[0].seq
        # rtptime is the newest frame's capture time at PLAY (the time of PLAY when, as here,
        # nobody was watching): the first frame sent was captured then or later, never before.
        ahead = (first[0].timestamp - int(info["rtptime"])) & 0xFFFFFFFF
        assert ahead < 5 * 90000, ahead  # (a wrap below zero would be ~2**32)
        reply = client.request("PAUSE")
        assert reply.status == 200
        assert status(server)["rtsp"]["playing"] == 0
        assert client.request("GET_PARAMETER").status == 200  # the keep-alive
        assert client.request("GET_PARAMETER", body=b"position\r\n").status == 200  # (body skipped)
        assert client.request("PLAY").status == 200
        later = client.frame_tcp()
        assert later[0].seq > first[-1].seq and later[0].ssrc == first[0].ssrc
        assert client.request("TEARDOWN").status == 200
    finally:
        client.close()
    wait_released(server)


def test_a_closed_udp_port_costs_frames_not_the_session(rtsp):
    """A client that closes its RTP port while playing (GStreamer does at the end, before it
    sends PAUSE and TEARDOWN) makes the server's sends fail with ECONNREFUSED: frames are
    lost, the control connection and the session stay."""
    server = rtsp()
    client = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        client.play_udp()
        client.frame_udp()
        port = client.udp[0].getsockname()[1]
        client.udp[0].close()  # its datagrams now bounce (ICMP port unreachable)
        sent = status(server)["frames"]["sent"]
        deadline = time.monotonic() + 10
        while status(server)["frames"]["sent"] < sent + 3:  # frames go on, every one bouncing
            assert time.monotonic() < deadline, "the stream stopped at the first bounce"
            time.sleep(0.05)
        assert client.request("GET_PARAMETER").status == 200
        again = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        again.bind(("127.0.0.1", port))
        again.settimeout(10)
        client.udp[0] = again
        client.frame_udp()  # the port open again: whole frames arrive
        assert client.request("PAUSE").status == 200
        assert client.request("TEARDOWN").status == 200
    finally:
        client.close()
    wait_released(server)
    assert not [line for line in server.lines() if "ERROR" in line or "WARNING" in line]


BAD = [
    # (request bytes, status): every one gets a one-line reason
    (b"DESCRIBE rtsp://127.0.0.1/mjpeg/1 RTSP/1.0\r\n\r\n", 400),  # no CSeq
    (b"DESCRIBE rtsp://127.0.0.1/nothing RTSP/1.0\r\nCSeq: 1\r\n\r\n", 404),
    (b"RECORD rtsp://127.0.0.1/mjpeg/1 RTSP/1.0\r\nCSeq: 1\r\n\r\n", 405),
    (b"FROB rtsp://127.0.0.1/mjpeg/1 RTSP/1.0\r\nCSeq: 1\r\n\r\n", 501),
    (b"PLAY rtsp://127.0.0.1/mjpeg/1 RTSP/1.0\r\nCSeq: 1\r\n\r\n", 455),  # before SETUP
    (b"PLAY rtsp://127.0.0.1/mjpeg/1 RTSP/1.0\r\nCSeq: 1\r\nSession: 1234\r\n\r\n", 454),
    (b"SETUP rtsp://127.0.0.1/mjpeg/1/track1 RTSP/1.0\r\nCSeq: 1\r\n\r\n", 461),
    (
        b"SETUP rtsp://127.0.0.1/mjpeg/1/track1 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;multicast\r\n\r\n",
        461,
    ),
    (
        b"SETUP rtsp://127.0.0.1/mjpeg/1 RTSP/1.0\r\nCSeq: 1\r\nSession: 9\r\nTransport: RTP/AVP/TCP\r\n\r\n",
        459,
    ),
    (b"OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n", 505),
    (b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nBad Header\r\n\r\n", 400),
]


@pytest.mark.parametrize("raw,code", BAD, ids=[str(c) + "-" + str(i) for i, (_, c) in enumerate(BAD)])
def test_bad_requests_get_a_status_and_one_line(rtsp, raw, code):
    server = rtsp()
    client = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        client.send_raw(raw)
        reply = client.read_reply()
    finally:
        client.close()
    assert reply.status == code, (reply.status, reply.body)
    assert reply.body.endswith(b"\n") and reply.body.count(b"\n") == 1 and len(reply.body) > 4
    if b"CSeq: 1" in raw and code not in (505, 400):
        assert reply.header("cseq") == "1"
    wait_released(server)


def test_the_connection_goes_on_after_a_bad_request(rtsp):
    server = rtsp()
    client = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        assert client.request("DESCRIBE", client.url + "x").status == 404
        assert client.request("OPTIONS").header("public").startswith("OPTIONS, DESCRIBE, SETUP, PLAY")
        client.play_tcp()
        assert len(client.frame_tcp()) > 1
        # RTCP receiver reports from the client on the control connection (one bigger than the
        # server's read buffer), then a request: the packets are skipped, the request answered.
        rr = bytes([0x81, 201, 0, 7]) + bytes(28)
        client.send_raw(b"$\x01\x00\x20" + rr + b"$\x01\x17\x70" + bytes(6000))
        assert client.request("GET_PARAMETER").status == 200
    finally:
        client.close()


def test_auth_guards_rtsp_and_ffmpeg_passes_with_credentials(rtsp):
    server = rtsp(auth_user="admin", auth_password="s3cret")
    client = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        assert client.request("OPTIONS").status == 200
        reply = client.request("DESCRIBE")
        assert reply.status == 401
        challenges = [v for k, v in reply.headers.items() if k == "www-authenticate"]
        assert challenges  # (the reader keeps the last of repeated headers)
        basic = "Basic " + base64.b64encode(b"admin:s3cret").decode()
        assert client.request("DESCRIBE", headers={"Authorization": basic}).status == 200
        wrong = "Basic " + base64.b64encode(b"admin:nope").decode()
        assert client.request("SETUP", headers={"Authorization": wrong}).status == 401
    finally:
        client.close()
    url = server.rtsp_url.replace("rtsp://", "rtsp://admin:s3cret@") + "/mjpeg/1"
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-frames:v", "5", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    wait_released(server, headers={"Authorization": basic})


def test_gstreamer_rtspsrc_logs_in_and_wrong_passwords_count(rtsp, tmp_path):
    # rtspsrc answers Digest the RFC 2069 way (no qop) and prefers it to Basic: this passes only
    # because a nonce issued on an RTSP connection takes such answers on that connection.
    guesses = 20
    server = rtsp(auth_user="u", auth_password="p", auth_guesses=guesses)
    gst_decode(server.rtsp_url + "/mjpeg/1", tmp_path, 10, "user-id=u user-pw=p")
    basic = {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}
    assert status(server, basic)["frames"]["sent"] >= 10
    pipeline = "rtspsrc location=%s/mjpeg/1 user-id=u user-pw=wrong ! rtpjpegdepay ! jpegdec ! fakesink"
    command = ["gst-launch-1.0", "-q", *(pipeline % server.rtsp_url).split()]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "Unauthorized (401)" in out.stdout + out.stderr, out.stdout + out.stderr
    # Its wrong answers were counted: fewer than auth_guesses more wrong ones make the address wait.
    client = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        wrong = {"Authorization": "Basic " + base64.b64encode(b"u:nope").decode()}
        more = 0
        while client.request("DESCRIBE", headers=wrong).status == 401:
            more += 1
            assert more < guesses
        assert client.request("DESCRIBE", headers=basic).status == 429
    finally:
        client.close()


def test_udp_sessions_count_against_the_connection_budget(rtsp):
    """A UDP session holds two sockets beyond its control connection: with max_connections 4,
    one UDP session and the control connection leave room for one more connection only, and
    a second UDP SETUP gets 453."""
    server = rtsp(max_connections=4)
    first = RtspClient("127.0.0.1", server.rtsp_port)
    second = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        first.play_udp()
        reply = second.request("DESCRIBE")
        assert reply.status == 200
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        reply = second.request(
            "SETUP",
            first.url + "/track1",
            {"Transport": "RTP/AVP;unicast;client_port=%d-%d" % (port, port + 1)},
        )
        udp.close()
        assert reply.status == 453, reply.body
        assert status(server)["rtsp"]["udp_sessions"] == 1
        first.request("TEARDOWN")
    finally:
        first.close()
        second.close()
    wait_released(server)


@pytest.mark.parametrize("play", [False, True], ids=["ready", "playing-udp"])
def test_a_silent_session_times_out(rtsp, play):
    """A session whose client says nothing for rtsp_timeout_s ends, and its connection closes:
    READY on TCP, and PLAYING on UDP (frames flowing prove nothing: UDP has no acknowledgement)."""
    server = rtsp(rtsp_timeout_s=1)
    client = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        if play:
            setup = client.play_udp()
            assert "timeout=1" in setup.header("session")
            client.frame_udp()
        else:
            describe = client.request("DESCRIBE")
            reply = client.request(
                "SETUP",
                describe.header("content-base") + "track1",
                {"Transport": "RTP/AVP/TCP;interleaved=0-1"},
            )
            assert reply.header("session").endswith(";timeout=1")
        assert status(server)["rtsp"]["sessions"] == 1
        with pytest.raises((EOFError, ConnectionResetError)):
            while True:
                client._fill()  # until the server closes the connection
    finally:
        client.close()
    wait_released(server)


def test_play_with_another_session_id_plays_nothing(rtsp):
    server = rtsp()
    client = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        describe = client.request("DESCRIBE")
        setup = client.request(
            "SETUP", describe.header("content-base") + "track1", {"Transport": "RTP/AVP/TCP;interleaved=0-1"}
        )
        assert setup.status == 200
        reply = client.request("PLAY", headers={"Session": "0123456789ABCDEF"})
        assert reply.status == 454 and reply.body.startswith(b"no such session")
        assert status(server)["rtsp"] == {
            "port": server.rtsp_port,
            "sessions": 1,
            "playing": 0,
            "udp_sessions": 0,
        }
        client.session = setup.header("session").split(";")[0]
        assert client.request("TEARDOWN").status == 200
        assert client.request("PLAY").status == 454  # the session is gone
    finally:
        client.close()
    wait_released(server)


def test_a_slow_rtsp_client_skips_frames_and_keeps_its_stream(rtsp):
    """A client reading ~80 kB/s (the stream is ~750 kB/s) gets whole frames, newer ones each
    time (the hub counts the frames it skipped), with no RTP packet missing in between; an MJPEG
    viewer of the same hub meanwhile gets every frame it asks for."""
    server = rtsp(send_buffer=32768)  # the board's lwIP send buffer, not Linux's megabytes
    client = RtspClient("127.0.0.1", server.rtsp_port, rcvbuf=8192, source="127.0.0.2")
    mjpeg = []
    try:
        client.play_tcp()
        client.throttle = 0.05
        viewer = threading.Thread(target=_mjpeg_viewer, args=(server, 40, mjpeg, "127.0.0.3"))
        viewer.start()
        frames = [client.frame_tcp() for _ in range(8)]
        viewer.join(60)
        client.throttle = 0
        assert client.request("TEARDOWN").status == 200
    finally:
        client.close()
    assert mjpeg == [("mjpeg", 40)]
    for packets in frames:
        Image.open(io.BytesIO(depayload(packets))).load()
        assert [p.seq for p in packets] == list(range(packets[0].seq, packets[0].seq + len(packets)))
    steps = [(b[0].timestamp - a[0].timestamp) & 0xFFFFFFFF for a, b in zip(frames, frames[1:], strict=False)]
    assert all(0 < step < 1 << 31 for step in steps), steps
    assert max(steps) > 2 * 3600, steps  # frames were skipped, not queued
    assert status(server)["frames"]["skipped"] > 0
    wait_released(server)


def test_rtsp_viewer_gets_only_whole_frames_through_camera_faults(rtsp):
    """camera_faults on (cut, spoilt and missing frames, a sensor that wedges after 2 s and is
    restarted after camera_stall_ms): an RTSP viewer's session goes on through the restart, and
    every frame it depayloads is one of the camera's whole frames; afterwards nothing is held."""
    faults = "timeout:0.1,truncate:0.1,garbage:0.1,wedge:2,seed:3"
    server = rtsp(camera_faults=faults, camera_stall_ms=1000)
    originals = _rendered(10)
    client = RtspClient("127.0.0.1", server.rtsp_port)
    try:
        client.play_tcp()
        for _ in range(100):  # ~4 s of frames at 25 fps less the faults, and a restart
            jpeg = depayload(client.frame_tcp())
            assert _scan(jpeg) in originals, "not one of the camera's whole frames"
        client.request("TEARDOWN")
    finally:
        client.close()
    health = status(server)["camera_health"]
    assert health["reinits"] >= 1 and health["invalid_frames"] > 0, health
    wait_released(server)
