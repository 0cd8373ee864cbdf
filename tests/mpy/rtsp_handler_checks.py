"""The RTSP handler without sockets: a request in, the reply and the action out, on the real
RtspService with a fake listener, fake UDP sockets and fixed random numbers."""

import check
from camserver.http.errors import HTTPError
from camserver.http.parser import Limits
from camserver.http.response import text
from camserver.rtsp import codec, handler, session
from camserver.rtsp.service import RtspService

LIMITS = Limits({"max_request_line": 256, "max_header_bytes": 1024, "max_headers": 12, "max_body": 100})
URL = "rtsp://cam:8554/mjpeg/1"
SID = "00000000000000AB"


class Listener:
    def __init__(self, max_connections=4):
        self.connections = [object()]  # the control connection itself
        self.reserved = 0
        self.max_connections = max_connections


class Sock:
    def __init__(self, events, name):
        self.events = events
        self.name = name

    def close(self):
        self.events.append("close " + self.name)


class Service(RtspService):
    """The real one, but its UDP ports are fakes, its session id and random numbers fixed."""

    def __init__(self, listener=None, auth=None, bind_error=None):
        config = {"rtsp_port": 8554, "rtsp_timeout_s": 60, "fps": 0, "host": "0.0.0.0"}
        super().__init__(config, Hub(), auth, listener or Listener())
        self.events = []
        self.bind_error = bind_error
        self.bound = []

    def new_session_id(self):
        return SID

    def random32(self):
        return 0x12345678

    def bind_udp(self, client_host, rtp_port, rtcp_port):
        if self.bind_error is not None:
            raise OSError(self.bind_error)
        self.bound.append((client_host, rtp_port, rtcp_port))
        n = len(self.bound)
        return Sock(self.events, "rtp%d" % n), Sock(self.events, "rtcp%d" % n), 6968 + 2 * n


class Frame:
    us = 5000000


class Buffers:
    current = Frame()


class Hub:
    buffers = Buffers()


class Conn:
    """What the handler sees of its connection: peer, stop_streaming(), and (for Digest) number."""

    def __init__(self, events):
        self.events = events
        self.peer = "10.0.0.7:40000"
        self.host = "10.0.0.7"
        self.number = 1

    def stop_streaming(self):
        self.events.append("stop")


def rig(**kw):
    service = Service(**kw)
    conn = Conn(service.events)
    return service, conn, handler.RtspHandler(service, conn)


def ask(h, conn, method, url=URL, cseq=1, **headers):
    """handler.handle() of a request parsed from bytes: (status, headers, body, action)."""
    head = "%s %s RTSP/1.0\r\nCSeq: %d\r\n" % (method, url, cseq)
    for name, value in headers.items():
        head += "%s: %s\r\n" % (name.replace("_", "-"), value)
    buf = bytearray((head + "\r\n").encode())
    request = codec.RtspRequest(conn=conn)
    assert codec.parse_head(buf, 0, len(buf), LIMITS, request, memoryview(buf)) == len(buf)
    return split(h.handle(request), h.action)


def split(reply, action):
    head, _, body = bytes(reply).decode().partition("\r\n\r\n")
    lines = head.split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(": ")
        fields[name.lower()] = value
    return int(lines[0].split(" ")[1]), fields, body, action


def setup(h, conn, transport="RTP/AVP/TCP;unicast;interleaved=0-1", **headers):
    return ask(h, conn, "SETUP", URL + "/track1", Transport=transport, **headers)


def test_options_and_describe_need_no_session():
    service, conn, h = rig()
    status, fields, _, action = ask(h, conn, "OPTIONS", "*")
    assert status == 200 and fields["public"] == codec.PUBLIC and action == handler.NOTHING
    assert "session" not in fields and h.session is None
    status, fields, body, action = ask(h, conn, "DESCRIBE", Accept="application/sdp")
    assert status == 200 and fields["content-base"] == URL + "/" and action == handler.NOTHING
    assert fields["content-type"] == "application/sdp" and "a=control:track1" in body
    assert " IN IP4 cam\r\n" in body and "a=framerate:25" in body  # (fps 0: the SDP says 25)
    status, _, body, _ = ask(h, conn, "DESCRIBE", Accept="text/html")
    assert status == 406 and body.strip() == "only application/sdp descriptions"
    status, _, body, action = ask(h, conn, "DESCRIBE", "rtsp://cam/other")
    assert status == 404 and body.startswith("no stream at /other") and action == handler.NOTHING


def test_tcp_session_setup_play_pause_teardown():
    service, conn, h = rig()
    status, fields, _, action = setup(h, conn)
    assert status == 200 and action == handler.NOTHING
    assert fields["transport"] == "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=12345678"
    assert fields["session"] == SID + ";timeout=60" and service.sessions == 1
    assert h.session.state == session.READY and service.listener.reserved == 0
    status, fields, _, action = ask(h, conn, "PLAY", Session=SID)
    assert status == 200 and action == handler.PLAY and h.session.state == session.PLAYING
    # The newest frame is the first one sent: RTP-Info names its time, the random RTP start.
    assert fields["rtp-info"] == "url=%s/track1;seq=%d;rtptime=%d" % (URL, 0x5678, 0x12345678)
    assert fields["range"] == "npt=0.000-" and h.play_us == Frame.us
    assert h.rtptime(Frame.us + 1000000) == 0x12345678 + 90000  # 90 kHz
    status, _, _, action = ask(h, conn, "GET_PARAMETER", Session=SID)
    assert status == 200 and action == handler.PLAY  # (still playing: the streamer runs on)
    status, _, _, action = ask(h, conn, "PAUSE", Session=SID)
    assert status == 200 and action == handler.NOTHING and h.session.state == session.READY
    status, fields, _, action = ask(h, conn, "TEARDOWN", Session=SID)
    assert status == 200 and action == handler.NOTHING and "session" not in fields
    assert h.session is None and service.sessions == 0
    assert service.events == []  # a TCP session has no UDP sockets to close


def test_requests_out_of_order_are_refused_with_a_reason():
    service, conn, h = rig()
    status, _, body, action = ask(h, conn, "PLAY")
    assert status == 455 and body.strip() == "PLAY before SETUP" and action == handler.NOTHING
    assert ask(h, conn, "PAUSE", Session=SID)[0] == 454
    assert setup(h, conn, Session=SID)[0] == 459
    assert setup(h, conn, "RTP/AVP;multicast")[0] == 461
    setup(h, conn)
    assert ask(h, conn, "PLAY", Session="FFFF")[0] == 454
    assert ask(h, conn, "PLAY")[0] == 454  # (no Session header)
    ask(h, conn, "PLAY", Session=SID)
    status, _, body, action = setup(h, conn, Session=SID)
    assert status == 455 and body.strip() == "SETUP while playing: PAUSE first"
    assert action == handler.PLAY and service.sessions == 1  # the session plays on


def test_udp_session_takes_two_slots_and_gives_them_back():
    service, conn, h = rig()
    status, fields, _, _ = setup(h, conn, "RTP/AVP;unicast;client_port=5000-5001")
    assert status == 200 and service.bound == [("10.0.0.7", 5000, 5001)]
    assert fields["transport"] == "RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=12345678"
    assert service.listener.reserved == 2 and service.udp_sessions == 1
    # A second SETUP before PLAY: the streamer stops before the old sockets close, then new ones.
    status, fields, _, _ = setup(h, conn, "RTP/AVP;unicast;client_port=5002-5003", Session=SID)
    assert status == 200 and "server_port=6972-6973" in fields["transport"]
    assert service.events == ["stop", "close rtp1", "close rtcp1"]
    assert service.listener.reserved == 2 and service.udp_sessions == 1 and service.sessions == 1
    ask(h, conn, "TEARDOWN", Session=SID)
    assert service.events[3:] == ["stop", "close rtp2", "close rtcp2"]
    assert service.listener.reserved == 0 and service.udp_sessions == 0 and service.sessions == 0
    h.end_session()  # (the connection closing after TEARDOWN: nothing left to give back)
    assert service.listener.reserved == 0 and service.sessions == 0 and len(service.events) == 6


def test_connection_closing_ends_a_udp_session():
    service, conn, h = rig()
    setup(h, conn, "RTP/AVP;unicast;client_port=5000-5001")
    ask(h, conn, "PLAY", Session=SID)
    h.end_session()
    assert service.events == ["stop", "close rtp1", "close rtcp1"]
    assert service.listener.reserved == 0 and service.sessions == 0 and h.session is None


def test_udp_without_a_slot_or_a_port_is_453_and_leaks_nothing():
    service, conn, h = rig(listener=Listener(max_connections=2))
    status, _, body, action = setup(h, conn, "RTP/AVP;unicast;client_port=5000-5001")
    assert status == 453 and body.strip() == "no connection slot left for a UDP session"
    assert action == handler.NOTHING and service.listener.reserved == 0 and service.sessions == 0
    service, conn, h = rig(bind_error="no free UDP port pair")
    status, _, body, _ = setup(h, conn, "RTP/AVP;unicast;client_port=5000-5001")
    assert status == 453 and body.strip() == "cannot open UDP ports: no free UDP port pair"
    assert service.listener.reserved == 0 and service.udp_sessions == 0 and h.session is None


def test_a_request_error_is_answered_and_may_close():
    service, conn, h = rig()
    buf = bytearray(b"BREW rtsp://cam/mjpeg/1 RTSP/1.0\r\nCSeq: 4\r\n\r\n")
    request = codec.RtspRequest(conn=conn)
    codec.parse_head(buf, 0, len(buf), LIMITS, request, memoryview(buf))
    status, fields, _, action = split(h.handle(request), h.action)
    assert status == 501 and fields["cseq"] == "4" and action == handler.NOTHING
    request.error = HTTPError(400, "cannot go on", close=True)
    status, _, body, action = split(h.handle(request), h.action)
    assert status == 400 and body.strip() == "cannot go on" and action == handler.CLOSE


class Auth:
    def check(self, request):
        if request.headers.get("authorization") == "Basic ok":
            return None
        return text(401, "authentication required", [("WWW-Authenticate", 'Basic realm="cam"')])


def test_auth_guards_every_method_but_options():
    service, conn, h = rig(auth=Auth())
    assert ask(h, conn, "OPTIONS", "*")[0] == 200
    status, fields, body, action = setup(h, conn)
    assert status == 401 and fields["www-authenticate"] == 'Basic realm="cam"'
    assert body.strip() == "authentication required" and action == handler.NOTHING
    assert h.session is None and service.sessions == 0
    assert setup(h, conn, Authorization="Basic ok")[0] == 200


check.run(globals())
