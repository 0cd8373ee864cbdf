// cg_send: the chunked-send loop of camera_glue, in plain C.
//
// It writes buf[offset:end] through a caller-supplied write callback in pieces of at
// most chunk_size bytes and stops at end, at the first would-block, or at the first error.
// Nothing here knows about MicroPython: the binding (cg_mod.c) plugs in the socket's
// stream protocol, the gcc tests (tests/c/) plug in write(2) on real sockets, so the
// loop that runs on the board is the loop the tests exercise.
#ifndef CG_SEND_H
#define CG_SEND_H

#include <stddef.h>
#include <stdint.h>

// Returned by a write callback when the socket cannot take any byte now.
#define CG_WOULD_BLOCK (-1)

// One write attempt of at most len (>= 1) bytes. Returns 0 and stores the number of
// bytes taken in *written (0 counts as would-block), CG_WOULD_BLOCK, or a positive
// errno value for a real error (EPIPE, ECONNRESET, ...).
typedef int (*cg_write_fn)(void *ctx, const uint8_t *buf, size_t len, size_t *written);

// Statistics a caller may want (the binding ignores them; the tests check them).
typedef struct {
    size_t writes;      // callback calls that wrote at least one byte
    size_t short_writes; // of those, how many took fewer bytes than offered
    size_t max_write;   // largest number of bytes offered in one call
} cg_send_stats_t;

// Writes buf[offset:end] (len is the size of buf) in calls of at most chunk_size bytes.
// Stops when end is reached, when a write would block, or on an error.
// Returns 0 with *sent = bytes written by this call (0 when the very first write would
// block; less than end - offset when a later one did), or a positive errno with *sent
// = bytes written before the error. EINVAL when offset > end, end > len or chunk_size is 0.
// stats may be NULL.
int cg_send(const uint8_t *buf, size_t len, size_t offset, size_t end, size_t chunk_size,
    cg_write_fn write_fn, void *ctx, size_t *sent, cg_send_stats_t *stats);

#endif // CG_SEND_H
