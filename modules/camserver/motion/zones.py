"""motion_zones: the parts of the frame motion is looked for in.

"x,y,w,h" rectangles in percent of the frame, separated by ";" (e.g. "0,50,100,50" is the
lower half); "" is the whole frame. A thumbnail block counts when its centre is inside a
rectangle. At most MAX_ZONES: each costs a pass over every block when the mask is made.
"""

MAX_ZONES = 8


def parse(text):
    """A list of (x, y, w, h) percent tuples; ValueError with a one-line reason."""
    out = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        fields = part.split(",")
        if len(fields) != 4:
            raise ValueError("motion_zones: %r is not x,y,w,h (percent)" % part)
        try:
            x, y, w, h = [int(f) for f in fields]
        except ValueError:
            raise ValueError("motion_zones: %r is not four integers" % part)
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > 100 or y + h > 100:
            raise ValueError("motion_zones: %r is not inside 0..100 percent" % part)
        if len(out) == MAX_ZONES:
            raise ValueError("motion_zones: at most %d rectangles" % MAX_ZONES)
        out.append((x, y, w, h))
    return out


def mask(rects, width, height):
    """A bytearray of width x height blocks, 1 inside a rectangle; None for the whole frame."""
    if not rects:
        return None
    out = bytearray(width * height)
    for x, y, w, h in rects:
        for by in range(height):
            cy = (by * 200 + 100) // height  # the block centre, in half-percent
            if cy < 2 * y or cy >= 2 * (y + h):
                continue
            for bx in range(width):
                cx = (bx * 200 + 100) // width
                if 2 * x <= cx < 2 * (x + w):
                    out[by * width + bx] = 1
    return out
