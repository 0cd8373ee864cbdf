// Motion detection's per-block arithmetic (cg_motion.h).
#include "cg_motion.h"

uint32_t cg_motion_compare(const uint8_t *thumb, uint8_t *bg, const uint8_t *mask, size_t n, uint32_t threshold) {
    // The gain that brings the frame to the background's brightness, in 1/256ths, held
    // to 1/4..4 (a frame gone black or white is a change, not an exposure step).
    uint64_t sum_frame = 0, sum_bg = 0;
    for (size_t i = 0; i < n; i++) {
        if (mask == NULL || mask[i]) {
            sum_frame += thumb[i];
            sum_bg += (uint32_t)(bg[2 * i] | bg[2 * i + 1] << 8);
        }
    }
    uint32_t gain = 256;
    if (sum_frame) {
        uint64_t g = (sum_bg * 16 + sum_frame / 2) / sum_frame; // (bg / 16) / frame, x 256
        gain = g < 64 ? 64 : g > 1024 ? 1024 : (uint32_t)g;
    }
    uint32_t changed = 0;
    int32_t limit = (int32_t)(threshold * 16);
    for (size_t i = 0; i < n; i++) {
        int32_t b = bg[2 * i] | bg[2 * i + 1] << 8;
        int32_t v = (int32_t)((thumb[i] * gain + 8) >> 4); // 16 x the scaled level
        v = v > 0xFFFF ? 0xFFFF : v;
        int32_t d = v - b;
        int shift = CG_MOTION_SHIFT_STILL;
        if ((mask == NULL || mask[i]) && (d > limit || -d > limit)) {
            changed++;
            shift = CG_MOTION_SHIFT_CHANGED;
        }
        // Rounded towards v, so that the background reaches a steady frame exactly.
        b += d >= 0 ? (d + (1 << shift) - 1) >> shift : -((-d + (1 << shift) - 1) >> shift);
        bg[2 * i] = (uint8_t)b;
        bg[2 * i + 1] = (uint8_t)(b >> 8);
    }
    return changed;
}
