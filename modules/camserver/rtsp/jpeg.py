"""The facts RTP/JPEG (RFC 2435) needs from a baseline JPEG, read from its header.

Only the markers before the scan are walked (SOI, DQT, SOF0, DRI, SOS): the work is
O(header bytes), never O(frame). One JpegHeader is reused for every frame of a session,
with its quantization tables copied into a buffer it owns, so parsing allocates nothing
beyond a memoryview of the frame.
"""

TYPE_422 = 0  # RFC 2435 type 0: luma sampled 2x1 (the OV2640's JPEG)
TYPE_420 = 1  # type 1: luma sampled 2x2 (Pillow's default)
MAX_SIDE = 2040  # width and height travel as multiples of 8 in one byte
_EOI_SEARCH = 32  # bytes from the end searched for EOI (a camera may pad after it)


class JpegHeader:
    def __init__(self):
        self._tables = bytearray(128)
        self._tables_mv = memoryview(self._tables)
        self.qtables = self._tables_mv[0:0]
        self.jpeg_type = 0
        self.width = 0
        self.height = 0
        self.dri = 0
        self.scan = 0  # first byte of the entropy-coded data
        self.end = 0  # end of the entropy-coded data (the EOI marker, excluded)

    def parse(self, buf, length):
        """Read the header of the JPEG in buf[:length]. ValueError with a one-line reason
        for anything RTP/JPEG cannot carry (progressive, 16-bit tables, other sampling)."""
        if length < 4 or buf[0] != 0xFF or buf[1] != 0xD8:
            raise ValueError("not a JPEG (no SOI)")
        tables = self._tables
        present = 0  # bit per table id seen
        self.dri = 0
        self.width = 0
        pos = 2
        while True:
            if pos + 4 > length:
                raise ValueError("JPEG header ends before the scan")
            if buf[pos] != 0xFF:
                raise ValueError("JPEG marker expected at %d" % pos)
            marker = buf[pos + 1]
            if marker == 0xFF:  # fill byte
                pos += 1
                continue
            seg = (buf[pos + 2] << 8) | buf[pos + 3]
            body = pos + 4
            nxt = pos + 2 + seg
            if seg < 2 or nxt > length:
                raise ValueError("JPEG segment runs past the end")
            if marker == 0xDB:  # DQT: one or more tables
                p = body
                while p < nxt:
                    pq = buf[p] >> 4
                    tq = buf[p] & 15
                    if pq != 0:
                        raise ValueError("16-bit quantization tables are not supported")
                    if tq > 1:
                        raise ValueError("more than two quantization tables")
                    if p + 65 > nxt:
                        raise ValueError("short DQT segment")
                    tables[tq * 64 : tq * 64 + 64] = buf[p + 1 : p + 65]
                    present |= 1 << tq
                    p += 65
            elif marker == 0xC0:  # SOF0, baseline
                self._sof(buf, body, nxt)
            elif 0xC1 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                raise ValueError("only baseline JPEG is supported")
            elif marker == 0xDD:  # DRI
                self.dri = (buf[body] << 8) | buf[body + 1]
            elif marker == 0xDA:  # SOS: the entropy-coded data follows its header
                self.scan = nxt
                break
            pos = nxt
        if not self.width:
            raise ValueError("no SOF0 before the scan")
        if present == 3:
            self.qtables = self._tables_mv[0:128]
        elif present == 1:
            self.qtables = self._tables_mv[0:64]
        else:
            raise ValueError("no quantization table")
        if self.dri:
            self.jpeg_type |= 64
        self.end = _eoi(buf, length, self.scan)
        return self

    def _sof(self, buf, body, stop):
        height = (buf[body + 1] << 8) | buf[body + 2]
        width = (buf[body + 3] << 8) | buf[body + 4]
        if buf[body + 5] != 3 or stop - body < 15:
            raise ValueError("only 3-component (YCbCr) JPEG is supported")
        if not 0 < width <= MAX_SIDE or not 0 < height <= MAX_SIDE:
            raise ValueError("%dx%d: RTP/JPEG carries at most %d pixels a side" % (width, height, MAX_SIDE))
        luma = buf[body + 7]
        if luma == 0x21:
            self.jpeg_type = TYPE_422
        elif luma == 0x22:
            self.jpeg_type = TYPE_420
        else:
            raise ValueError("luma sampling %02x: RTP/JPEG needs 2x1 or 2x2" % luma)
        if buf[body + 10] != 0x11 or buf[body + 13] != 0x11:
            raise ValueError("chroma must be sampled 1x1")
        self.width = width
        self.height = height


def _eoi(buf, length, scan):
    """Where the EOI marker starts (searched in the last few bytes only)."""
    pos = length - 2
    stop = max(scan, length - _EOI_SEARCH)
    while pos >= stop:
        if buf[pos] == 0xFF and buf[pos + 1] == 0xD9:
            return pos
        pos -= 1
    raise ValueError("no EOI at the end of the JPEG")
