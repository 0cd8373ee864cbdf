"""One thumbnail against the background: camera_glue.motion_compare when the build has it,
else the same arithmetic in Python (components/camera_glue/cg_motion.c says why each step
is there; the integers are the same, so both give the same counts and background)."""

SHIFT_STILL = 2  # CG_MOTION_SHIFT_STILL
SHIFT_CHANGED = 5  # CG_MOTION_SHIFT_CHANGED


def _step(d, shift):
    # d moved by 1/2**shift of the way, rounded away from zero (towards the frame).
    if d >= 0:
        return (d + (1 << shift) - 1) >> shift
    return -((-d + (1 << shift) - 1) >> shift)


def compare_python(thumb, bg, mask, threshold):
    """Changed blocks of thumb (bytes) against bg (array('H'), 16 x level, updated in place)
    over the blocks mask (bytes or None) keeps."""
    n = len(thumb)
    sum_frame = 0
    sum_bg = 0
    for i in range(n):
        if mask is None or mask[i]:
            sum_frame += thumb[i]
            sum_bg += bg[i]
    gain = 256
    if sum_frame:
        g = (sum_bg * 16 + sum_frame // 2) // sum_frame
        gain = 64 if g < 64 else 1024 if g > 1024 else g
    limit = threshold * 16
    changed = 0
    for i in range(n):
        b = bg[i]
        v = (thumb[i] * gain + 8) >> 4
        d = (0xFFFF if v > 0xFFFF else v) - b
        if (mask is None or mask[i]) and (d > limit or -d > limit):
            changed += 1
            bg[i] = b + _step(d, SHIFT_CHANGED)
        else:
            bg[i] = b + _step(d, SHIFT_STILL)
    return changed


try:
    from camera_glue import motion_compare as compare
except ImportError:  # the PyPI unix port: no C module
    compare = compare_python
