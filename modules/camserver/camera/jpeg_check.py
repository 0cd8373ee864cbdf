"""Whether a buffer from the camera is a whole JPEG: the check every frame passes before it
is published (the sim camera's; camera_glue does the same in C, cg_jpeg_check.c).

A whole JPEG starts with SOI (FF D8) and ends with EOI (FF D9); the driver may leave zero
padding after the EOI (DMA blocks), so up to MAX_PADDING trailing zeros are skipped. Only the
first two and the last few bytes are read: the cost is O(padding), never O(frame).
"""

MAX_PADDING = 512  # zero bytes after the EOI that are still taken as padding (the C check's too)


def whole(buf, length):
    if length < 4 or buf[0] != 0xFF or buf[1] != 0xD8:
        return False
    end = length
    stop = length - MAX_PADDING
    if stop < 4:
        stop = 4
    while end > stop and buf[end - 1] == 0:
        end -= 1
    return buf[end - 1] == 0xD9 and buf[end - 2] == 0xFF
