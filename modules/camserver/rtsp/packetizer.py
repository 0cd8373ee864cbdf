"""RTP/JPEG (RFC 2435) packets from a JPEG's entropy-coded data: the Python RtpJpeg.

camera_glue.RtpJpeg is the same class in C (docs/rtsp.md describes the seam); this one
serves where the binary has no camera_glue (the sim). One packet buffer is allocated at
construction and reused: each packet's headers and data are copied into it and written
with one `write(buf, off, n)`, so a TCP write that would block resumes in the middle of
the packet, and a UDP packet is one datagram.
"""

from struct import pack_into

_PREFIX = 4  # "$", channel, 16-bit length (RTSP interleaved, RFC 2326 10.12)
_RTP = 12
_JPEG = 8
_RESTART = 4
_QHEAD = 4
_HEADERS = _RTP + _JPEG + _RESTART + _QHEAD + 128


def _dim_ok(v):
    return 8 <= v <= 2040 and not v & 7


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
        self._data = None  # a memoryview of the frame being sent (it keeps the frame referenced)
        self._done = True
        self._pos = 0  # next scan byte to packetize
        self._first = 0  # packet bytes already written (resume mid-packet)
        self._len = 0  # length of the packet in the buffer; 0: none built
        self._channel = -1  # the channel it was built for
        self._payload = 0

    def start(self, buf, scan, end, jpeg_type, width, height, dri, qtables, timestamp):
        """Begin a frame (see docs/rtsp.md for the arguments)."""
        # The same rules, in the same order and words, as camera_glue's cg_rtp_start().
        if not 0 <= scan <= end <= len(buf):
            raise ValueError("need 0 <= scan <= end <= len(buf)")
        if scan == end or end - scan >= 1 << 24:
            raise ValueError("scan data must be 1 byte to 16 MB (24-bit fragment offset)")
        if not (_dim_ok(width) and _dim_ok(height)):
            raise ValueError("width and height must be multiples of 8 in 8..2040")
        if not 0 <= dri <= 0xFFFF:
            raise ValueError("dri must be 0..65535")
        if not 0 <= jpeg_type <= 127 or jpeg_type & ~64 > 1:
            raise ValueError("jpeg_type must be 0 or 1, +64 with restart markers")
        if (jpeg_type & 64 != 0) != (dri != 0):
            raise ValueError("jpeg_type has +64 exactly when dri != 0")
        nq = len(qtables)
        if nq not in (0, 64, 128):
            raise ValueError("qtables must be 0, 64 or 128 bytes")
        self._data = memoryview(buf)
        self._scan = scan
        self._end = end
        self._qtables = qtables
        self._pos = scan
        self._len = 0
        self._first = 0
        self._done = False
        # What every packet of the frame repeats is written once, here; _build() writes only
        # the sequence number, the marker, the fragment offset and the data.
        pkt = self._pkt
        h = _PREFIX
        pkt[h] = 0x80  # V=2
        ts = timestamp & 0xFFFFFFFF
        ssrc = self.ssrc & 0xFFFFFFFF
        for i in range(4):
            shift = 24 - 8 * i
            pkt[h + 4 + i] = (ts >> shift) & 255
            pkt[h + 8 + i] = (ssrc >> shift) & 255
        h += _RTP
        pkt[h] = 0  # type-specific
        pkt[h + 4] = jpeg_type
        pkt[h + 5] = 255 if nq else 0  # Q: tables in-band
        pkt[h + 6] = width >> 3
        pkt[h + 7] = height >> 3
        h += _JPEG
        if dri:
            pkt[h] = dri >> 8
            pkt[h + 1] = dri & 255
            pkt[h + 2] = 0xFF  # F=1, L=1, restart count 0x3FFF
            pkt[h + 3] = 0xFF
            h += _RESTART
        self._headers_end = h

    def _build(self, channel):
        """Put the next packet of the frame into the buffer; sets _len and _payload."""
        pkt = self._pkt
        pos = self._pos
        off = pos - self._scan
        n = self._end - pos
        if n > self.max_payload:
            n = self.max_payload
        h = self._headers_end
        if off == 0:
            nq = len(self._qtables)
            if nq:
                pack_into(">HH", pkt, h, 0, nq)  # MBZ, precision (8-bit tables), length
                self._mv[h + 4 : h + 4 + nq] = self._qtables
                h += _QHEAD + nq
        self._mv[h : h + n] = self._data[pos : pos + n]
        h += n
        seq = self.seq
        # The interleave prefix, V=2, the marker (on the frame's last packet) with PT 26, the
        # sequence number; then type-specific 0 and the 24-bit fragment offset: two calls.
        pack_into(
            ">BBHBBH",
            pkt,
            0,
            0x24,
            channel & 255,
            h - _PREFIX,
            0x80,
            0x9A if pos + n >= self._end else 0x1A,
            seq,
        )
        pack_into(">I", pkt, _PREFIX + _RTP, off)
        self._first = 0 if channel >= 0 else _PREFIX
        self._channel = channel
        self._payload = h - _PREFIX - _RTP
        self._pos = pos + n
        self.seq = (seq + 1) & 0xFFFF
        self._len = h

    def send(self, sock, channel):
        """Write the rest of the frame; True when done, False when the socket would block."""
        if self._done:
            return True
        if self._len and channel != self._channel:
            # Numbered and framed for its channel: finishing it on another breaks both.
            raise ValueError("a packet for another channel is half written")
        write = sock.write
        pkt = self._pkt
        while True:
            if not self._len:
                if self._pos >= self._end:
                    self._done = True
                    self._data = None
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
