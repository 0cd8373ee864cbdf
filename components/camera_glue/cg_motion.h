// The per-block arithmetic of motion detection (camserver/motion/): one thumbnail
// (cg_thumb.h) against a running-average background, in C because 4800 blocks (VGA) in a
// Python loop at 5 frames a second would take most of a 240 MHz core. The Python
// fallback camserver/motion/compare.py does the same in the same integers.
#ifndef CG_MOTION_H
#define CG_MOTION_H

#include <stddef.h>
#include <stdint.h>

#define CG_MOTION_SHIFT_STILL 2 // a block that did not change moves 1/4 of the way to the frame
#define CG_MOTION_SHIFT_CHANGED 5 // one that did, 1/32: a passing object leaves no ghost

// Compares thumb (n blocks, 0..255) with bg (n blocks, 16 x level, as little-endian
// uint16 byte pairs: what an array('H') holds on the board and the host) over the blocks
// whose mask byte is not 0 (mask NULL: all). The frame is first scaled to the background's
// mean brightness (auto-exposure, lights dimming slowly), then a block counts as changed
// when it is more than threshold levels away. The background then moves towards the
// scaled frame. Returns the number of changed blocks.
uint32_t cg_motion_compare(const uint8_t *thumb, uint8_t *bg, const uint8_t *mask, size_t n, uint32_t threshold);

#endif // CG_MOTION_H
