"""A small RTSP/1.0 client for the tests (CPython): requests and replies, and RTP over TCP
interleaved or UDP, with nothing hidden (every byte the server sends is looked at)."""

import socket
import struct
import time

from rtpdepay import Packet


class Reply:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case name -> value
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())


class RtspClient:
    def __init__(self, host, port, path="/mjpeg/1", timeout=10.0, rcvbuf=None, source=None):
        self.host = host
        self.port = port
        self.url = "rtsp://%s:%d%s" % (host, port, path)
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.cseq = 0
        self.session = None
        self.buf = bytearray()
        self.udp = None
        self.throttle = 0  # seconds to wait before each read of at most 4 kB (0: read at once)

    def close(self):
        self.sock.close()
        if self.udp:
            for s in self.udp:
                s.close()

    def reset(self):
        """Close with RST, as a killed client does."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def _fill(self):
        if self.throttle:
            time.sleep(self.throttle)  # a slow client: a little, now and then
            chunk = self.sock.recv(4096)
        else:
            chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        self.buf += chunk

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def send_raw(self, data):
        self.sock.sendall(data)

    def request(self, method, url=None, headers=None, body=b""):
        self.cseq += 1
        lines = ["%s %s RTSP/1.0" % (method, url or self.url), "CSeq: %d" % self.cseq]
        if self.session and not (headers and "Session" in headers):
            lines.append("Session: " + self.session)
        for name, value in (headers or {}).items():
            lines.append("%s: %s" % (name, value))
        if body:
            lines.append("Content-Length: %d" % len(body))
        self.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        reply = self.read_reply()
        assert reply.header("cseq") == str(self.cseq), reply.headers
        return reply

    def read_reply(self):
        """The next RTSP reply; interleaved packets before it are skipped."""
        while True:
            while len(self.buf) < 1:
                self._fill()
            if self.buf[0] == 0x24:
                self.read_packet()
                continue
            while b"\r\n\r\n" not in self.buf:
                self._fill()
            end = self.buf.index(b"\r\n\r\n") + 4
            head = bytes(self.buf[:end]).decode("latin-1")
            del self.buf[:end]
            lines = head.split("\r\n")
            version, status, reason = lines[0].split(" ", 2)
            assert version == "RTSP/1.0", lines[0]
            headers = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = self._exact(int(headers.get("content-length", "0")))
            return Reply(int(status), reason, headers, body)

    def read_packet(self):
        """(channel, data) of the next interleaved packet."""
        prefix = self._exact(4)
        assert prefix[0] == 0x24, prefix
        return prefix[1], self._exact(struct.unpack("!H", prefix[2:])[0])

    def play_tcp(self):
        """DESCRIBE, SETUP (interleaved 0-1) and PLAY; returns the PLAY reply."""
        describe = self.request("DESCRIBE", headers={"Accept": "application/sdp"})
        assert describe.status == 200, describe.body
        base = describe.header("content-base")
        setup = self.request("SETUP", base + "track1", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"})
        assert setup.status == 200, setup.body
        self.session = setup.header("session").split(";")[0]
        play = self.request("PLAY", base)
        assert play.status == 200, play.body
        return play

    def play_udp(self):
        """DESCRIBE, SETUP with client ports, PLAY; returns the SETUP reply."""
        self.udp = []
        for _ in range(2):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind(("127.0.0.1", 0))
            s.settimeout(10)
            self.udp.append(s)
        ports = (self.udp[0].getsockname()[1], self.udp[1].getsockname()[1])
        describe = self.request("DESCRIBE")
        base = describe.header("content-base")
        setup = self.request(
            "SETUP", base + "track1", {"Transport": "RTP/AVP;unicast;client_port=%d-%d" % ports}
        )
        assert setup.status == 200, setup.body
        self.session = setup.header("session").split(";")[0]
        play = self.request("PLAY", base)
        assert play.status == 200, play.body
        return setup

    def frame_tcp(self, channel=0):
        """The RTP packets of the next whole frame on channel (RTCP on the other is skipped)."""
        packets = []
        while True:
            ch, data = self.read_packet()
            if ch != channel:
                continue
            rtp = Packet(data)
            if not packets and rtp.offset != 0:
                continue  # joined in the middle of a frame
            packets.append(rtp)
            if rtp.marker:
                return packets

    def frame_udp(self):
        packets = []
        while True:
            rtp = Packet(self.udp[0].recv(65536))
            if not packets and rtp.offset != 0:
                continue
            packets.append(rtp)
            if rtp.marker:
                return packets
