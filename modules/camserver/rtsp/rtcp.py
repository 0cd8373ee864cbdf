"""RTCP sender reports (RFC 3550 6.4.1): how receivers map RTP timestamps to wall-clock time.

One report buffer per session, reused; a report every INTERVAL_MS while playing (and
after the first frame), sent between frames on the same transport as the RTP packets:
the next interleaved channel on TCP, the RTCP socket on UDP.
"""

INTERVAL_MS = 5000
_NTP_EPOCH = 2208988800  # seconds from 1900 (NTP) to 1970 (the frames' timestamps)
_PREFIX = 4


def _put32(buf, pos, value):
    buf[pos] = (value >> 24) & 255
    buf[pos + 1] = (value >> 16) & 255
    buf[pos + 2] = (value >> 8) & 255
    buf[pos + 3] = value & 255


class SenderReport:
    def __init__(self):
        self.buf = bytearray(_PREFIX + 28)
        buf = self.buf
        buf[_PREFIX] = 0x80  # V=2, no reception report blocks
        buf[_PREFIX + 1] = 200  # SR
        buf[_PREFIX + 3] = 6  # length in 32-bit words, minus one

    def build(self, channel, ssrc, sec, usec, rtp_ts, packets, octets):
        """Fill the report for a frame captured at sec.usec with RTP timestamp rtp_ts; returns
        the offset in buf where the bytes to send start (with the $ prefix when channel >= 0)."""
        buf = self.buf
        _put32(buf, _PREFIX + 4, ssrc)
        _put32(buf, _PREFIX + 8, sec + _NTP_EPOCH)
        _put32(buf, _PREFIX + 12, (usec << 26) // 15625)  # usec * 2**32 / 10**6
        _put32(buf, _PREFIX + 16, rtp_ts)
        _put32(buf, _PREFIX + 20, packets)
        _put32(buf, _PREFIX + 24, octets)
        if channel < 0:
            return _PREFIX
        buf[0] = 0x24
        buf[1] = channel
        buf[2] = 0
        buf[3] = 28
        return 0
