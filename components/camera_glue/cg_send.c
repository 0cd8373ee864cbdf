// The chunked-send loop (see cg_send.h). Plain C99, no allocation, no MicroPython.
#include <errno.h>

#include "cg_send.h"

int cg_send(const uint8_t *buf, size_t len, size_t offset, size_t end, size_t chunk_size,
    cg_write_fn write_fn, void *ctx, size_t *sent, cg_send_stats_t *stats) {
    *sent = 0;
    if (offset > end || end > len || chunk_size == 0 || write_fn == NULL || (buf == NULL && len != 0)) {
        return EINVAL;
    }
    size_t pos = offset;
    // Every pass either advances pos by at least one byte or returns, so the loop ends
    // after at most end - offset passes.
    while (pos < end) {
        size_t want = end - pos;
        if (want > chunk_size) {
            want = chunk_size;
        }
        size_t took = 0;
        int r = write_fn(ctx, buf + pos, want, &took);
        if (stats != NULL && want > stats->max_write) {
            stats->max_write = want;
        }
        if (r == CG_WOULD_BLOCK || (r == 0 && took == 0)) {
            break;
        }
        if (r != 0) {
            // A negative value other than CG_WOULD_BLOCK is not an errno: report EIO.
            *sent = pos - offset;
            return r > 0 ? r : EIO;
        }
        if (took > want) {
            // A callback claiming more than it was offered is a bug; never step past end.
            *sent = pos - offset;
            return EIO;
        }
        if (stats != NULL) {
            stats->writes++;
            if (took < want) {
                stats->short_writes++;
            }
        }
        pos += took;
    }
    *sent = pos - offset;
    return 0;
}
