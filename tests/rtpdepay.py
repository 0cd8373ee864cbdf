"""RTP/JPEG on the test side (CPython): parse what the packetizer sent, rebuild the JPEG.

An independent reading of the RFCs, for the tests of both packetizers (camera_glue.RtpJpeg in
C, camserver/rtsp/packetizer.py in Python) and of the RTSP server (tests/rtsp/rtspclient.py):

* `jpeg_args(jpeg)`: the arguments of `RtpJpeg.start()` for a baseline JPEG file (scan, end,
  jpeg_type, width, height, dri, qtables), from its markers; `standard_huffman(jpeg)` says
  whether its Huffman tables are the JPEG standard's, which RFC 2435 assumes.
* `split_interleaved(stream)`: RFC 2326 10.12 `$` framing -> [(channel, packet)].
* `parse(packet)`: one RTP packet (RFC 3550 header, RFC 2435 headers) -> `Packet`.
* `frames(packets)`: packets -> [`Frame`], each reassembled by fragment offset and checked
  (one timestamp, contiguous offsets, marker on the last packet only, consecutive seq).
* `Frame.jpeg()`: the JPEG file RFC 2435 Appendix A rebuilds (SOI, DQT from the in-band
  tables, DRI, SOF0, the standard DHTs, SOS, the data, EOI), for Pillow to decode;
  `depayload(packets)`: the same for the packets of exactly one frame.

Anything malformed raises `ValueError` with what is wrong.
"""

import struct

# The standard Huffman tables (ITU T.81 Annex K.3), as (class, id, counts per length, symbols):
# RFC 2435 Appendix A builds these into every rebuilt header.
_LUM_DC = (0, 0, [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], list(range(12)))
_CHM_DC = (0, 1, [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], list(range(12)))
_LUM_AC = (
    1,
    0,
    [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D],
    bytes.fromhex(
        "01020300041105122131410613516107227114328191a1082342b1c11552d1f0"
        "2433627282090a161718191a25262728292a3435363738393a434445464748494a"
        "535455565758595a636465666768696a737475767778797a838485868788898a"
        "92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6"
        "c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa"
    ),
)
_CHM_AC = (
    1,
    1,
    [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
    bytes.fromhex(
        "000102031104052131061241510761711322328108144291a1b1c109233352f0"
        "156272d10a162434e125f11718191a262728292a35363738393a434445464748"
        "494a535455565758595a636465666768696a737475767778797a828384858687"
        "88898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3"
        "c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa"
    ),
)
STANDARD_HUFFMAN = (_LUM_DC, _LUM_AC, _CHM_DC, _CHM_AC)

PT_JPEG = 26


def _segments(jpeg):
    """[(marker, payload)] of the header, up to and including SOS; then the scan's offset."""
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG (no SOI)")
    pos = 2
    out = []
    while True:
        if pos + 4 > len(jpeg) or jpeg[pos] != 0xFF:
            raise ValueError("bad marker at %d" % pos)
        marker = jpeg[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        (length,) = struct.unpack(">H", jpeg[pos + 2 : pos + 4])
        out.append((marker, jpeg[pos + 4 : pos + 2 + length]))
        pos += 2 + length
        if marker == 0xDA:
            return out, pos


def jpeg_args(jpeg):
    """start()'s arguments for a baseline 3-component JPEG: a dict with scan, end, jpeg_type,
    width, height, dri, qtables (the 8-bit tables in table-id order, zig-zag as in the DQT)."""
    segments, scan = _segments(jpeg)
    tables = {}
    dri = 0
    sof = None
    for marker, body in segments:
        if marker == 0xDB:
            i = 0
            while i < len(body):
                pq, tq = body[i] >> 4, body[i] & 15
                if pq != 0:
                    raise ValueError("16-bit quantization table")
                tables[tq] = body[i + 1 : i + 65]
                i += 65
        elif marker == 0xDD:
            (dri,) = struct.unpack(">H", body[:2])
        elif marker == 0xC0:
            sof = body
        elif 0xC1 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            raise ValueError("not a baseline JPEG (SOF%d)" % (marker - 0xC0))
    if sof is None:
        raise ValueError("no SOF0")
    height, width, ncomp = struct.unpack(">HHB", sof[1:6])
    if ncomp != 3:
        raise ValueError("%d components, RFC 2435 carries 3" % ncomp)
    sampling = [sof[6 + 3 * i + 1] for i in range(3)]
    if sampling[1:] != [0x11, 0x11] or sampling[0] not in (0x21, 0x22):
        raise ValueError("sampling %s is neither 4:2:2 nor 4:2:0" % sampling)
    jpeg_type = (0 if sampling[0] == 0x21 else 1) + (64 if dri else 0)
    end = len(jpeg)
    if jpeg[end - 2 :] == b"\xff\xd9":
        end -= 2
    qtables = b"".join(tables[k] for k in sorted(tables))
    return {
        "scan": scan,
        "end": end,
        "jpeg_type": jpeg_type,
        "width": width,
        "height": height,
        "dri": dri,
        "qtables": qtables,
    }


def standard_huffman(jpeg):
    """True when every DHT of the file is one of the standard tables (RFC 2435 needs that)."""
    segments, _ = _segments(jpeg)
    standard = {(c << 4 | i): (bytes(n), bytes(s)) for c, i, n, s in STANDARD_HUFFMAN}
    found = 0
    for marker, body in segments:
        if marker != 0xC4:
            continue
        i = 0
        while i < len(body):
            counts = body[i + 1 : i + 17]
            n = sum(counts)
            if standard.get(body[i]) != (bytes(counts), bytes(body[i + 17 : i + 17 + n])):
                return False
            found += 1
            i += 17 + n
    return found > 0


def split_interleaved(stream):
    """RFC 2326 10.12: b"$", channel, 16-bit length, packet ... -> [(channel, packet)]."""
    out = []
    pos = 0
    while pos < len(stream):
        if stream[pos] != 0x24 or pos + 4 > len(stream):
            raise ValueError("no '$' frame at byte %d of %d" % (pos, len(stream)))
        channel = stream[pos + 1]
        (length,) = struct.unpack(">H", stream[pos + 2 : pos + 4])
        if pos + 4 + length > len(stream):
            raise ValueError("packet at byte %d runs past the stream's end" % pos)
        out.append((channel, stream[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return out


class Packet:
    """One RTP/JPEG packet: RTP fields (version, marker, pt, seq, timestamp, ssrc), JPEG
    header fields (type_specific, offset, type, q, width, height), dri (0 without a restart
    header), qtables (bytes, only in a Q >= 128 packet at offset 0, else None), data, and
    payload_len (the RTP payload octets: everything after the 12-byte RTP header)."""

    def __init__(self, packet):
        if len(packet) < 20:
            raise ValueError("packet of %d bytes is too short" % len(packet))
        b0, b1, self.seq, self.timestamp, self.ssrc = struct.unpack(">BBHII", packet[:12])
        self.version = b0 >> 6
        if self.version != 2 or b0 & 0x3F:
            raise ValueError("RTP byte 0 is 0x%02x, expected V=2 P=0 X=0 CC=0" % b0)
        self.marker = bool(b1 & 0x80)
        self.pt = b1 & 0x7F
        if self.pt != PT_JPEG:
            raise ValueError("payload type %d, expected 26" % self.pt)
        self.payload_len = len(packet) - 12
        ts, off_hi, off_lo, self.type, self.q, w8, h8 = struct.unpack(">BBHBBBB", packet[12:20])
        self.type_specific = ts
        self.offset = off_hi << 16 | off_lo
        self.width, self.height = w8 * 8, h8 * 8
        pos = 20
        self.dri = 0
        self.restart_flags = None
        if 64 <= self.type <= 127:
            self.dri, self.restart_flags = struct.unpack(">HH", packet[pos : pos + 4])
            pos += 4
        self.qtables = None
        if self.q >= 128 and self.offset == 0:
            mbz, precision, length = struct.unpack(">BBH", packet[pos : pos + 4])
            if mbz != 0 or precision != 0:
                raise ValueError("quantization table header MBZ %d precision %d" % (mbz, precision))
            self.qtables = packet[pos + 4 : pos + 4 + length]
            if len(self.qtables) != length:
                raise ValueError("quantization tables cut short")
            pos += 4 + length
        self.data = packet[pos:]


def parse(packet):
    return Packet(packet)


class Frame:
    """The packets of one frame, reassembled: type, q, width, height, dri, qtables, timestamp,
    ssrc, data (the entropy-coded bytes), packets (the Packet list)."""

    def __init__(self, packets):
        first = packets[0]
        for name in ("type", "q", "width", "height", "dri", "timestamp", "ssrc"):
            values = {getattr(p, name) for p in packets}
            if len(values) != 1:
                raise ValueError("%s differs between the packets of a frame: %s" % (name, sorted(values)))
            setattr(self, name, getattr(first, name))
        if first.offset != 0:
            raise ValueError("frame starts at fragment offset %d" % first.offset)
        if self.q >= 128 and not first.qtables:
            raise ValueError("Q %d without tables in the first packet" % self.q)
        data = bytearray()
        for i, p in enumerate(packets):
            if p.offset != len(data):
                raise ValueError("fragment offset %d, expected %d" % (p.offset, len(data)))
            if i and (p.seq - packets[i - 1].seq) & 0xFFFF != 1:
                raise ValueError("seq %d after %d" % (p.seq, packets[i - 1].seq))
            if p.marker != (i == len(packets) - 1):
                raise ValueError("marker bit %d on packet %d of %d" % (p.marker, i + 1, len(packets)))
            if i and p.qtables is not None:
                raise ValueError("tables in packet %d" % (i + 1))
            data += p.data
        self.qtables = first.qtables or b""
        self.data = bytes(data)
        self.packets = packets

    def jpeg(self):
        """The JPEG file this frame stands for (RFC 2435 Appendix A's headers + data + EOI)."""
        return make_jpeg(self.type, self.width, self.height, self.dri, self.qtables, self.data)


def frames(packets):
    """Parsed or raw packets, in arrival order -> [Frame]; each frame ends at its marker bit."""
    out = []
    current = []
    for p in packets:
        if not isinstance(p, Packet):
            p = Packet(p)
        if current and p.timestamp != current[0].timestamp:
            raise ValueError("timestamp changed before the marker bit (frame of %d packets)" % len(current))
        current.append(p)
        if p.marker:
            out.append(Frame(current))
            current = []
    if current:
        raise ValueError("%d packets after the last marker bit" % len(current))
    return out


def depayload(packets):
    """The JPEG rebuilt from the packets of exactly one frame (parsed or raw, in order)."""
    (frame,) = frames(packets)
    return frame.jpeg()


def _segment(marker, body):
    return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body


def make_jpeg(jpeg_type, width, height, dri, qtables, data):
    """RFC 2435 Appendix A: the headers of a type 0/1 (+64) frame, then data and EOI.
    Component 0 (Y) uses table 0; components 1 and 2 use table 1 (table 0 when one came)."""
    if len(qtables) not in (64, 128):
        raise ValueError("%d bytes of quantization tables; this rebuilds in-band tables only" % len(qtables))
    out = bytearray(b"\xff\xd8")
    for i in range(len(qtables) // 64):
        out += _segment(0xDB, bytes([i]) + qtables[64 * i : 64 * i + 64])
    if dri:
        out += _segment(0xDD, struct.pack(">H", dri))
    base = jpeg_type & 63
    if base not in (0, 1):
        raise ValueError("type %d has no Appendix A header" % jpeg_type)
    chroma_q = 1 if len(qtables) == 128 else 0
    sof = struct.pack(">BHHB", 8, height, width, 3)
    sof += bytes([0, 0x21 if base == 0 else 0x22, 0, 1, 0x11, chroma_q, 2, 0x11, chroma_q])
    out += _segment(0xC0, sof)
    for cls, ident, counts, symbols in STANDARD_HUFFMAN:
        out += _segment(0xC4, bytes([cls << 4 | ident]) + bytes(counts) + bytes(symbols))
    out += _segment(0xDA, bytes([3, 0, 0x00, 1, 0x11, 2, 0x11, 0, 63, 0]))
    out += data
    out += b"\xff\xd9"
    return bytes(out)
