// A 1/8-scale luma thumbnail straight from a baseline JPEG: the DC coefficient of every
// 8x8 luma block (the block's mean), found by Huffman-decoding the entropy-coded data and
// skipping the AC coefficients, with no IDCT. What motion detection compares frame to
// frame (camserver/motion/): VGA gives 80x60, UXGA 200x150.
//
// Plain C (no MicroPython), the same on the board and the unix port; written from ITU T.81.
// Anything but what esp32-camera writes (baseline sequential, 8-bit, Huffman, one
// interleaved scan, any sampling, restart intervals) is refused with a one-line reason;
// every read is bounds-checked, so cut, corrupted or hostile data is refused the same way.
#ifndef CG_THUMB_H
#define CG_THUMB_H

#include <stddef.h>
#include <stdint.h>

#define CG_THUMB_FAST_BITS 9 // Huffman codes up to this long are decoded by one table look-up

typedef struct {
    uint16_t fast[1 << CG_THUMB_FAST_BITS]; // code prefix -> length << 8 | value (0: longer code)
    int32_t maxcode[18]; // T.81 F.2.2.3: largest code of each length (-1: none), [17] sentinel
    int32_t valptr[17]; // index into vals of the first code of each length, minus its code
    uint8_t vals[256];
    uint8_t defined;
} cg_huff_t;

// The decoder's working state: about 4.5 kB, kept by the caller (static in the binding)
// so that nothing is allocated per frame and the stack stays small.
typedef struct {
    cg_huff_t dc[4];
    cg_huff_t ac[4];
    uint16_t q0[4]; // the DC entry of each quantization table
    uint8_t q_defined;
    uint16_t width; // picture size in pixels (from SOF)
    uint16_t height;
    uint16_t thumb_width; // blocks across and down the luma plane: the thumbnail's size
    uint16_t thumb_height;
} cg_thumb_t;

// Decodes jpg[0..len) into out (cap bytes; thumb_width * thumb_height of them are written,
// row by row, one byte per luma block: its mean, 0..255). Returns NULL on success, else a
// one-line reason (a static string); out may then hold part of a thumbnail.
const char *cg_thumb(cg_thumb_t *t, const uint8_t *jpg, size_t len, uint8_t *out, size_t cap);

#endif // CG_THUMB_H
