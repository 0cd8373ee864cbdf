"""The EXIF segment that tells viewers how to turn the picture (the rotate setting).

Rotation never touches the JPEG: a 36-byte APP1 segment with one IFD0 entry, Orientation,
goes right after the frame's SOI marker, as its own write (send(): the stream and /capture).
It is built once per setting change. Values are the clockwise turn the picture needs
to be viewed upright, as EXIF numbers them: 0 -> 1 (as captured), 90 -> 6, 180 -> 3, 270 -> 8.
"""

from camserver.http.response import StreamBody

ORIENTATION = {0: 1, 90: 6, 180: 3, 270: 8}

# APP1 marker, length (everything after the marker: 2 + 6 + 8 + 2 + 12 + 4 = 34), "Exif\0\0",
# the TIFF header (big-endian, IFD0 at offset 8), IFD0 with one entry: tag 0x0112 Orientation,
# type 3 SHORT, count 1, the value (then two bytes of padding), and no next IFD.
_SEGMENT = (
    b"\xff\xe1\x00\x22Exif\x00\x00"
    + b"MM\x00\x2a\x00\x00\x00\x08"
    + b"\x00\x01"
    + b"\x01\x12\x00\x03\x00\x00\x00\x01\x00%c\x00\x00"
    + b"\x00\x00\x00\x00"
)


def segment(rotate):
    """The APP1 segment for rotate, one of ORIENTATION's keys (settings.check has checked it);
    b"" for 0: the frame goes out as captured."""
    if not rotate:
        return b""
    return _SEGMENT % ORIENTATION[rotate]


async def send(write, payload, length, prefix):
    """Write the JPEG payload[0:length] with prefix right after its SOI, through write (a
    Sender's write, transport/sender.py, looked up once by the caller: this runs per frame per
    viewer): three writes straight from the buffers, the frame is never copied."""
    await write(payload, 0, 2)
    await write(prefix, 0, len(prefix))
    await write(payload, 2, length)


class RotatedFrame(StreamBody):
    """A /capture body: a published frame (frames/buffers.py Shared) with its EXIF segment.
    Its length is known, so it goes out with Content-Length on a kept-alive connection."""

    def __init__(self, shared):
        self.shared = shared
        self.length = shared.length + len(shared.prefix)

    async def send(self, out):
        shared = self.shared
        await send(out.write, shared.payload, shared.length, shared.prefix)
