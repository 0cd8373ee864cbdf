// cg_jpeg_check: see cg_jpeg_check.h.
#include "cg_jpeg_check.h"

bool cg_jpeg_whole(const uint8_t *buf, size_t len) {
    if (buf == NULL || len < 4 || buf[0] != 0xFF || buf[1] != 0xD8) {
        return false;
    }
    size_t end = len;
    size_t stop = len > CG_JPEG_MAX_PADDING + 4 ? len - CG_JPEG_MAX_PADDING : 4;
    while (end > stop && buf[end - 1] == 0) {
        end--;
    }
    return buf[end - 1] == 0xD9 && buf[end - 2] == 0xFF;
}
