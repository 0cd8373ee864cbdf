"""RTP/JPEG on the client side (CPython): RTP header fields and RFC 2435 depayloading.

A frame is rebuilt as RFC 2435 appendix A and B say a receiver does: a JPEG header made
from the type, width, height and the in-band quantization tables, the standard Huffman
tables (ITU T.81 annex K), then the entropy-coded data of the fragments in offset order.
"""

import struct

# ITU T.81 K.3: the standard Huffman tables (the ones RFC 2435 receivers assume).
LUM_DC_LENS = bytes([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
CHM_DC_LENS = bytes([0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
DC_SYMBOLS = bytes(range(12))
LUM_AC_LENS = bytes([0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D])
CHM_AC_LENS = bytes([0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77])


def _runs(*ranges):
    out = bytearray()
    for lo, hi in ranges:
        out += bytes(range(lo, hi + 1))
    return bytes(out)


LUM_AC_SYMBOLS = bytes.fromhex(
    "010203000411051221314106135161072271143281" "91a1082342b1c11552d1f02433627282090a161718191a25262728292a"
) + _runs(
    (0x34, 0x3A), (0x43, 0x4A), (0x53, 0x5A), (0x63, 0x6A), (0x73, 0x7A), (0x83, 0x8A),
    (0x92, 0x9A), (0xA2, 0xAA), (0xB2, 0xBA), (0xC2, 0xCA), (0xD2, 0xDA), (0xE1, 0xEA), (0xF1, 0xFA),
)  # fmt: skip
CHM_AC_SYMBOLS = bytes.fromhex(
    "000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a"
) + _runs(
    (0x35, 0x3A), (0x43, 0x4A), (0x53, 0x5A), (0x63, 0x6A), (0x73, 0x7A), (0x82, 0x8A),
    (0x92, 0x9A), (0xA2, 0xAA), (0xB2, 0xBA), (0xC2, 0xCA), (0xD2, 0xDA), (0xE2, 0xEA), (0xF2, 0xFA),
)  # fmt: skip
assert len(LUM_AC_SYMBOLS) == 162 and len(CHM_AC_SYMBOLS) == 162


class Rtp:
    """One RTP packet's header fields and payload."""

    def __init__(self, data):
        if len(data) < 12:
            raise ValueError("short RTP packet")
        b0, b1, self.seq, self.timestamp, self.ssrc = struct.unpack("!BBHII", data[:12])
        self.version = b0 >> 6
        self.padding = (b0 >> 5) & 1
        self.extension = (b0 >> 4) & 1
        self.csrc_count = b0 & 15
        self.marker = b1 >> 7
        self.payload_type = b1 & 127
        self.payload = bytes(data[12:])


def _segment(marker, body):
    return bytes([0xFF, marker]) + struct.pack("!H", len(body) + 2) + body


def make_header(jpeg_type, width, height, tables, dri):
    """The JPEG header RFC 2435 appendix B builds from an RTP/JPEG header."""
    out = bytearray(b"\xff\xd8")
    dqt = bytes([0]) + tables[:64]
    if len(tables) >= 128:
        dqt += bytes([1]) + tables[64:128]
    out += _segment(0xDB, dqt)
    if dri:
        out += _segment(0xDD, struct.pack("!H", dri))
    luma = 0x21 if (jpeg_type & 63) == 0 else 0x22
    chroma_table = 1 if len(tables) >= 128 else 0
    sof = struct.pack("!BHHB", 8, height, width, 3)
    sof += bytes([1, luma, 0, 2, 0x11, chroma_table, 3, 0x11, chroma_table])
    out += _segment(0xC0, sof)
    out += _segment(0xC4, bytes([0x00]) + LUM_DC_LENS + DC_SYMBOLS)
    out += _segment(0xC4, bytes([0x10]) + LUM_AC_LENS + LUM_AC_SYMBOLS)
    out += _segment(0xC4, bytes([0x01]) + CHM_DC_LENS + DC_SYMBOLS)
    out += _segment(0xC4, bytes([0x11]) + CHM_AC_LENS + CHM_AC_SYMBOLS)
    out += _segment(0xDA, bytes([3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]))
    return bytes(out)


class Fragment:
    """The RFC 2435 headers of one RTP/JPEG payload."""

    def __init__(self, payload):
        self.type_specific = payload[0]
        self.offset = int.from_bytes(payload[1:4], "big")
        self.jpeg_type = payload[4]
        self.q = payload[5]
        self.width = payload[6] * 8
        self.height = payload[7] * 8
        pos = 8
        self.dri = 0
        self.restart = None
        if self.jpeg_type >= 64:
            self.dri = int.from_bytes(payload[8:10], "big")
            self.restart = payload[10:12]
            pos = 12
        self.tables = None
        if self.q >= 128 and self.offset == 0:
            mbz, precision = payload[pos], payload[pos + 1]
            length = int.from_bytes(payload[pos + 2 : pos + 4], "big")
            assert mbz == 0 and precision == 0, (mbz, precision)
            self.tables = bytes(payload[pos + 4 : pos + 4 + length])
            pos += 4 + length
        self.data = bytes(payload[pos:])


def depayload(packets):
    """The JPEG rebuilt from one frame's RTP packets (Rtp objects, in order)."""
    first = Fragment(packets[0].payload)
    assert first.offset == 0 and first.tables is not None, "first fragment carries the tables"
    data = bytearray()
    for rtp in packets:
        frag = Fragment(rtp.payload)
        assert frag.offset == len(data), (frag.offset, len(data))
        data += frag.data
    head = make_header(first.jpeg_type, first.width, first.height, first.tables, first.dri)
    return head + bytes(data) + b"\xff\xd9"


def read_interleaved(sock, reader=None):
    """Yield (channel, data) for every $-framed packet on an RTSP TCP connection; RTSP
    messages in between are skipped (reader(n) reads exactly n bytes)."""

    def exact(n):
        buf = bytearray()
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed")
            buf += chunk
        return bytes(buf)

    read = reader or exact
    while True:
        first = read(1)
        if first != b"$":
            # An RTSP reply: read up to the blank line (and its body, if any).
            head = first
            while not head.endswith(b"\r\n\r\n"):
                head += read(1)
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    read(int(line.split(b":")[1]))
            continue
        channel, length = struct.unpack("!BH", read(3))
        yield channel, read(length)
