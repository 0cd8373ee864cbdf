// cg_jpeg_check: whether a buffer from the camera is a whole JPEG, checked for every frame
// before it is handed to the app (the host backend in cg_backend_host.c, the board's grabber
// in cg_esp32_grabber.c); the sim camera's Python check (camserver/camera/jpeg_check.py) says
// the same. Plain C, no MicroPython calls.
#ifndef CG_JPEG_CHECK_H
#define CG_JPEG_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Zero bytes after the EOI still taken as the driver's padding (DMA blocks).
#define CG_JPEG_MAX_PADDING 512

// True when buf starts with SOI (FF D8) and ends with EOI (FF D9), after at most
// CG_JPEG_MAX_PADDING trailing zeros. Reads the first two and the last few bytes only.
bool cg_jpeg_whole(const uint8_t *buf, size_t len);

#endif // CG_JPEG_CHECK_H
