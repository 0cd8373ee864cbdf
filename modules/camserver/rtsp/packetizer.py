"""RTP/JPEG (RFC 2435) packets from a JPEG's entropy-coded data: the Python RtpJpeg.

camera_glue.RtpJpeg is the same class in C (docs/rtsp.md describes the seam); this one
serves where the binary has no camera_glue (the sim). One packet buffer is allocated at
construction and reused: each packet's headers and data are copied into it and written
with one `write(buf, off, n)`, so a TCP write that would block resumes in the middle of
the packet, and a UDP packet is one datagram.
"""

_PREFIX = 4  # "$", channel, 16-bit length (RTSP interleaved, RFC 2326 10.12)
_RTP = 12
_JPEG = 8
_RESTART = 4
_QHEAD = 4
_HEADERS = _RTP + _JPEG + _RESTART + _QHEAD + 128


class RtpJpeg:
    def __init__(self, max_payload=1400):
        if not 64 <= max_payload <= 1460:
            raise ValueError("max_payload must be 64..1460")
        self.max_payload = max_payload
        self._pkt = bytearray(_PREFIX + _HEADERS + max_payload)
        self._mv = memoryview(self._pkt)
        self.ssrc = 0
        self.seq = 0
        self.sent_packets = 0
        self.sent_bytes = 0
        self._buf = None  # the frame being sent (kept referenced until done)
        self._data = None
        self._done = True
        self._pos = 0  # next scan byte to packetize
        self._first = 0  # packet bytes already written (resume mid-packet)
        self._len = 0  # length of the packet in the buffer; 0: none built
        self._payload = 0

    def start(self, buf, scan, end, jpeg_type, width, height, dri, qtables, timestamp):
        """Begin a frame (see docs/rtsp.md for the arguments)."""
        if not (0 <= scan <= end <= len(buf)):
            raise ValueError("scan and end must satisfy 0 <= scan <= end <= len(buf)")
        if width <= 0 or height <= 0 or width > 2040 or height > 2040 or width & 7 or height & 7:
            raise ValueError("width and height must be multiples of 8, at most 2040")
        nq = len(qtables)
        if nq not in (0, 64, 128):
            raise ValueError("qtables must be 0, 64 or 128 bytes")
        if not 0 <= jpeg_type <= 127 or not 0 <= dri <= 0xFFFF:
            raise ValueError("bad jpeg_type or dri")
        self._buf = buf
        self._data = memoryview(buf)
        self._scan = scan
        self._end = end
        self._type = jpeg_type
        self._w8 = width >> 3
        self._h8 = height >> 3
        self._dri = dri
        self._qtables = qtables
        self._ts = timestamp & 0xFFFFFFFF
        self._pos = scan
        self._len = 0
        self._first = 0
        self._done = False

    def _build(self, channel):
        """Put the next packet of the frame into the buffer; sets _len and _payload."""
        pkt = self._pkt
        off = self._pos - self._scan
        h = _PREFIX
        last_seq = self.seq & 0xFFFF
        n = self._end - self._pos
        room = self.max_payload
        if n > room:
            n = room
        marker = self._pos + n >= self._end
        pkt[h] = 0x80
        pkt[h + 1] = 0x9A if marker else 0x1A  # PT 26, M on the frame's last packet
        pkt[h + 2] = last_seq >> 8
        pkt[h + 3] = last_seq & 255
        ts = self._ts
        pkt[h + 4] = ts >> 24
        pkt[h + 5] = (ts >> 16) & 255
        pkt[h + 6] = (ts >> 8) & 255
        pkt[h + 7] = ts & 255
        s = self.ssrc & 0xFFFFFFFF
        pkt[h + 8] = s >> 24
        pkt[h + 9] = (s >> 16) & 255
        pkt[h + 10] = (s >> 8) & 255
        pkt[h + 11] = s & 255
        h += _RTP
        nq = len(self._qtables)
        pkt[h] = 0
        pkt[h + 1] = (off >> 16) & 255
        pkt[h + 2] = (off >> 8) & 255
        pkt[h + 3] = off & 255
        pkt[h + 4] = self._type
        pkt[h + 5] = 255 if nq else 0
        pkt[h + 6] = self._w8
        pkt[h + 7] = self._h8
        h += _JPEG
        if self._dri:
            pkt[h] = self._dri >> 8
            pkt[h + 1] = self._dri & 255
            pkt[h + 2] = 0xFF  # F=1, L=1, restart count 0x3FFF
            pkt[h + 3] = 0xFF
            h += _RESTART
        if nq and off == 0:
            pkt[h] = 0
            pkt[h + 1] = 0
            pkt[h + 2] = 0
            pkt[h + 3] = nq
            self._mv[h + 4 : h + 4 + nq] = self._qtables
            h += _QHEAD + nq
        self._mv[h : h + n] = self._data[self._pos : self._pos + n]
        h += n
        self._payload = h - _PREFIX - _RTP
        self._pos += n
        self.seq = (self.seq + 1) & 0xFFFF
        if channel >= 0:
            size = h - _PREFIX
            pkt[0] = 0x24
            pkt[1] = channel
            pkt[2] = size >> 8
            pkt[3] = size & 255
            self._first = 0
        else:
            self._first = _PREFIX
        self._len = h

    def send(self, sock, channel):
        """Write the rest of the frame; True when done, False when the socket would block."""
        if self._done:
            return True
        write = sock.write
        pkt = self._pkt
        while True:
            if not self._len:
                if self._pos >= self._end:
                    self._done = True
                    self._buf = self._data = None
                    return True
                self._build(channel)
            first = self._first
            n = write(pkt, first, self._len - first)
            if not n:  # None (or 0): would block; resume here
                return False
            if channel >= 0 and first + n < self._len:
                self._first = first + n
                continue
            self._len = 0
            self.sent_packets += 1
            self.sent_bytes += self._payload
