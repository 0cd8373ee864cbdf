"""The RTSP pieces without sockets: codec, session state machine, JPEG header parse, the Python
RtpJpeg against a socket that takes a few bytes at a time, RTCP and SDP."""

import check
from camserver.http.errors import HTTPError
from camserver.http.parser import Limits
from camserver.rtsp import codec, rtcp, sdp, session
from camserver.rtsp.jpeg import JpegHeader
from camserver.rtsp.packetizer import RtpJpeg

LIMITS = Limits({"max_request_line": 128, "max_header_bytes": 512, "max_headers": 8, "max_body": 100})
FRAME = "build/frames/10_10/0.jpg"  # a VGA frame of the simulated camera (Pillow: 4:2:0)


def parse(data):
    buf = bytearray(data)
    request = codec.RtspRequest()
    end = codec.parse_head(buf, 0, len(buf), LIMITS, request, memoryview(buf))
    return request, end


def test_describe_with_an_rtsp_url():
    req, end = parse(
        b"DESCRIBE rtsp://cam:8554/mjpeg/1/ RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n$"
    )
    assert req.error is None and req.method == "DESCRIBE" and req.path == "/mjpeg/1"
    assert req.url == "rtsp://cam:8554/mjpeg/1/" and req.digest_uri() == req.url
    assert req.cseq == "2" and req.headers["accept"] == "application/sdp"
    assert end == len(
        b"DESCRIBE rtsp://cam:8554/mjpeg/1/ RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n"
    )


def test_incomplete_head_needs_more():
    assert parse(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n")[1] is None


def test_paths():
    assert codec.path_of("rtsp://user:pw@10.0.0.5:554/stream?x=1") == "/stream"
    assert codec.path_of("rtsp://cam") == "/"
    assert codec.path_of("/mjpeg/1/track1") == "/mjpeg/1/track1"
    assert codec.path_of("*") == "*"
    assert check.raises(HTTPError, codec.path_of, "http://cam/x").status == 400


def test_framed_but_wrong_requests_are_answered_not_closed():
    for data, status in (
        (b"DESCRIBE rtsp://c/mjpeg/1 RTSP/1.0\r\n\r\n", 400),
        (b"DESCRIBE rtsp://c/mjpeg/1 RTSP/1.0\r\nCSeq: x\r\n\r\n", 400),
        (b"RECORD rtsp://c/mjpeg/1 RTSP/1.0\r\nCSeq: 1\r\n\r\n", 405),
        (b"BREW rtsp://c/mjpeg/1 RTSP/1.0\r\nCSeq: 1\r\n\r\n", 501),
        (b"PLAY ftp://c/x RTSP/1.0\r\nCSeq: 1\r\n\r\n", 400),
    ):
        req, end = parse(data)
        assert end == len(data) and req.error is not None and req.error.status == status, data
        assert not req.error.close


def test_unframeable_heads_close():
    for data, status in (
        (b"OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"OPTIONS *\r\n\r\n", 400),
        (b"OPTIONS * RTSP/1.0\r\nCSeq: 1\nX: y\r\n\r\n", 400),
        (b"OPTIONS /" + b"a" * 200 + b" RTSP/1.0\r\n", 414),
        (b"OPTIONS * RTSP/1.0\r\n" + b"X: y\r\n" * 100, 400),
    ):
        e = check.raises(HTTPError, parse, data)
        assert e.status == status and e.close, (data, e.status)


def test_interleaved_frames_are_measured():
    buf = b"$\x01\x00\x03abcOPTIONS"
    assert codec.interleaved_length(buf, 0, len(buf)) == 7
    assert codec.interleaved_length(buf, 0, 5) == 7  # (the data may come later: it is skipped as it does)
    assert codec.interleaved_length(buf, 0, 3) == 0
    big = b"$\x00\x10\x00"  # longer than any read buffer
    assert codec.interleaved_length(big, 0, 4) == 4 + 4096


def test_replies():
    out = codec.reply(200, "5", [("Session", "AB;timeout=60")], b"v=0\r\n", "application/sdp")
    assert out.startswith(b"RTSP/1.0 200 OK\r\nCSeq: 5\r\nSession: AB;timeout=60\r\n")
    assert out.endswith(b"Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n")
    err = codec.error_reply(454, "7", "no such session")
    assert err.startswith(b"RTSP/1.0 454 Session Not Found\r\nCSeq: 7\r\n")
    assert err.endswith(b"\r\n\r\nno such session\n")
    assert codec.reason(461) == "Unsupported Transport" and codec.reason(404) == "Not Found"


def test_transports():
    t = session.parse_transport("RTP/AVP/TCP;unicast;interleaved=2-3")
    assert t.kind == session.TCP and (t.first, t.second) == (2, 3)
    assert t.header(0xABCDEF01) == "RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=ABCDEF01"
    t = session.parse_transport("RTP/AVP;multicast, RTP/AVP;unicast;client_port=5000-5001")
    assert t.kind == session.UDP and (t.first, t.second) == (5000, 5001)
    t.server_ports = (6970, 6971)
    assert "client_port=5000-5001;server_port=6970-6971" in t.header(1)
    t = session.parse_transport("RTP/AVP/TCP;unicast")
    assert (t.first, t.second) == (0, 1)
    bad_ones = (None, "", "RTP/AVP;multicast", "RTP/AVP;unicast", "RAW/RAW/UDP;client_port=1-2")
    bad_ones += ("RTP/AVP;client_port=x-2", "RTP/AVP/TCP;interleaved=300-301")
    bad_ones += ("RTP/AVP;unicast;mode=record;client_port=4-5",)
    for bad in bad_ones:
        assert check.raises(HTTPError, session.parse_transport, bad).status == 461, bad


def test_session_state_and_timeout():
    clock = check.Clock()
    t = session.parse_transport("RTP/AVP/TCP;interleaved=0-1")
    s = session.Session("00AB", 60, t, clock)
    assert s.state == session.READY and s.header() == "00AB;timeout=60"
    s.check_id("00AB;timeout=60")
    assert check.raises(HTTPError, s.check_id, "00AC").status == 454
    assert check.raises(HTTPError, s.check_id, None).status == 454
    s.play()
    assert s.state == session.PLAYING
    assert check.raises(HTTPError, s.setup, t).status == 455
    s.pause()
    assert s.state == session.READY
    s.setup(t)
    assert s.deadline() == 1000 + 60000  # what the connection arms its watchdog with
    clock.now += 60001
    assert s.deadline() == 1000 + 60000  # time passing alone does not move it
    s.touch()
    assert s.deadline() == clock.now + 60000
    s.teardown()
    assert s.state == session.INIT


def read_frame():
    with open(FRAME, "rb") as f:
        return bytearray(f.read())


def test_jpeg_header_of_a_camera_frame():
    data = read_frame()
    h = JpegHeader().parse(data, len(data))
    assert (h.width, h.height, h.jpeg_type, h.dri) == (640, 480, 1, 0)
    assert len(h.qtables) == 128 and h.end == len(data) - 2
    assert data[h.scan - 14 : h.scan - 12] == b"\xff\xda"  # the 3-component SOS header is 14 bytes
    # Tables as stored in the DQT (zig-zag order), the luma one first.
    dqt = data.find(b"\xff\xdb")
    assert bytes(h.qtables[:64]) == bytes(data[dqt + 5 : dqt + 69])


def test_jpeg_header_rejections():
    data = read_frame()
    header = JpegHeader()
    assert "SOI" in str(check.raises(ValueError, header.parse, b"\x00\x00\x00\x00", 4))
    sof = data.find(b"\xff\xc0")
    progressive = bytearray(data)
    progressive[sof + 1] = 0xC2
    assert "baseline" in str(check.raises(ValueError, header.parse, progressive, len(progressive)))
    wide = bytearray(data)
    wide[sof + 7] = 0x08  # width 0x0880 = 2176 > 2040
    wide[sof + 8] = 0x80
    assert "2040" in str(check.raises(ValueError, header.parse, wide, len(wide)))
    dqt = data.find(b"\xff\xdb")
    sixteen = bytearray(data)
    sixteen[dqt + 4] = 0x10
    assert "16-bit" in str(check.raises(ValueError, header.parse, sixteen, len(sixteen)))
    assert "EOI" in str(check.raises(ValueError, header.parse, data, len(data) - 2))
    assert check.raises(ValueError, header.parse, data, 200)  # ends before the scan


class Trickle:
    """A non-blocking stream socket that takes at most `step` bytes per write and would block
    every other call."""

    def __init__(self, step):
        self.step = step
        self.out = bytearray()
        self.calls = 0

    def write(self, buf, off, n):
        self.calls += 1
        if self.calls % 2 == 0:
            return None
        n = min(n, self.step)
        self.out += bytes(buf[off : off + n])
        return n


class Sink:
    def __init__(self):
        self.out = bytearray()
        self.datagrams = []

    def write(self, buf, off, n):
        self.datagrams.append(bytes(buf[off : off + n]))
        self.out += self.datagrams[-1]
        return n


def frame_args(data):
    h = JpegHeader().parse(data, len(data))
    return (data, h.scan, h.end, h.jpeg_type, h.width, h.height, h.dri, h.qtables, 123456)


def test_packetizer_resumes_exactly_where_it_stopped():
    data = read_frame()
    whole = Sink()
    p = RtpJpeg(1000)
    p.seq = 65535
    p.start(*frame_args(data))
    assert p.send(whole, 0)
    slow = Trickle(333)
    q = RtpJpeg(1000)
    q.seq = 65535
    q.start(*frame_args(data))
    falses = 0
    while not q.send(slow, 0):
        falses += 1
    assert falses > 10 and slow.out == whole.out
    assert p.seq == q.seq == (65535 + p.sent_packets) & 0xFFFF
    assert p.sent_packets == q.sent_packets and p.sent_bytes == q.sent_bytes
    assert q.send(slow, 0) and q.sent_packets == p.sent_packets  # done: nothing more


def test_packetizer_packets():
    data = read_frame()
    h = JpegHeader().parse(data, len(data))
    sink = Sink()
    p = RtpJpeg(1400)
    p.ssrc = 0xDEADBEEF
    assert p.send(sink, -1) and not sink.datagrams  # nothing started
    p.start(*frame_args(data))
    assert p.send(sink, -1)
    packets = sink.datagrams
    scan = h.end - h.scan
    assert len(packets) == (scan + 1399) // 1400 == p.sent_packets
    offset = 0
    for i, pkt in enumerate(packets):
        last = i == len(packets) - 1
        assert pkt[0] == 0x80 and pkt[1] == (0x9A if last else 0x1A)
        assert pkt[4:8] == b"\x00\x01\xe2\x40" and pkt[8:12] == b"\xde\xad\xbe\xef"
        assert int.from_bytes(pkt[13:16], "big") == offset
        assert pkt[16] == 1 and pkt[17] == 255 and pkt[18] == 80 and pkt[19] == 60
        body = 12 + 8 + (4 + 128 if i == 0 else 0)
        if i == 0:
            assert pkt[20:24] == b"\x00\x00\x00\x80" and pkt[24:152] == bytes(h.qtables)
        assert pkt[body:] == data[h.scan + offset : h.scan + offset + len(pkt) - body]
        offset += len(pkt) - body
    assert offset == scan
    assert p.sent_bytes == sum(len(pkt) - 12 for pkt in packets)


def test_packetizer_restart_header():
    data = read_frame()
    sink = Sink()
    p = RtpJpeg(1400)
    args = list(frame_args(data))
    args[3] = 65  # type 1 with restart markers
    args[6] = 40  # dri
    p.start(*args)
    p.send(sink, 2)
    first = sink.out
    assert first[0] == 0x24 and first[1] == 2
    assert first[4 + 16] == 65 and first[4 + 20 : 4 + 24] == b"\x00\x28\xff\xff"


def packetizers():
    """The Python RtpJpeg, and camera_glue's when the binary has it: they refuse alike."""
    kinds = [RtpJpeg]
    try:
        from camera_glue import RtpJpeg as C

        kinds.append(C)
    except ImportError:
        pass
    return kinds


def test_packetizer_rejects_bad_arguments():
    data = read_frame()
    args = frame_args(data)
    big = len(data) + 1
    # (argument index, a value it refuses): each refused with a one-line reason; the words are
    # the packetizer's (they reach a DEBUG log only), not part of what both must agree on.
    table = (
        (1, big),
        (2, big),
        (2, args[1]),
        (4, 2048),
        (5, 484),
        (5, 0),
        (6, 65536),
        (3, 2),
        (3, 65),
        (6, 16),
        (7, b"x" * 10),
    )
    for kind in packetizers():
        for bad in (63, 1461):
            e = check.raises(ValueError, kind, bad)
            assert str(e) and "\n" not in str(e), (kind, bad, str(e))
        p = kind()
        for i, bad in table:
            wrong = list(args)
            wrong[i] = bad
            e = check.raises(ValueError, p.start, *wrong)
            assert str(e) and "\n" not in str(e), (kind, i, bad, str(e))
    # A TCP packet half written for channel 0 cannot be finished on channel 1 (camera_glue's
    # needs a real socket for that: tests/c/test_rtp.c checks its core).
    p = RtpJpeg()
    p.start(*args)
    slow = Trickle(5)
    assert not p.send(slow, 0)
    e = check.raises(ValueError, p.send, slow, 1)
    assert str(e) == "a packet for another channel is half written", str(e)
    while not p.send(slow, 0):
        pass


def test_sender_report():
    report = rtcp.SenderReport()
    off = report.build(1, 0x01020304, 1700000000, 500000, 0xA0B0C0D0, 7, 9000)
    buf = report.buf
    assert off == 0 and buf[:4] == b"$\x01\x00\x1c"
    assert buf[4:8] == b"\x80\xc8\x00\x06" and buf[8:12] == b"\x01\x02\x03\x04"
    assert int.from_bytes(buf[12:16], "big") == 1700000000 + 2208988800
    assert int.from_bytes(buf[16:20], "big") == 1 << 31  # half a second
    assert buf[20:24] == b"\xa0\xb0\xc0\xd0" and int.from_bytes(buf[24:28], "big") == 7
    assert int.from_bytes(buf[28:32], "big") == 9000
    assert report.build(-1, 1, 0, 0, 0, 0, 0) == 4


def test_sdp():
    text = sdp.describe(42, "10.0.0.5", 25).decode()
    assert "m=video 0 RTP/AVP 26\r\n" in text and "a=framerate:25\r\n" in text
    assert "a=control:track1\r\n" in text and text.startswith("v=0\r\no=- 42 1 IN IP4 10.0.0.5\r\n")


check.run(globals())
