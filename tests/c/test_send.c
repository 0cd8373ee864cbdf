// Tests of camera_glue's chunked-send loop (components/camera_glue/cg_send.c) against real
// sockets: AF_UNIX socketpairs and TCP connections on 127.0.0.1, non-blocking writers,
// reader threads. Built with -Wall -Wextra -Werror under AddressSanitizer and UBSan by
// tests/c/test_send_loop.py (`make test`). Prints "ok <name>" per test; exits 1 on the
// first failed check with its line.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cg_send.h"
#include "check.h"
#include "sockets.h"

#define FRAME_LEN (160 * 1024)

// ---- the write(2) callback: the same contract the MicroPython stream callback follows

#define MAX_RECORDED 4096

typedef struct {
    int fd;
    size_t calls;
    size_t offered[MAX_RECORDED]; // bytes offered per call, in order
} fd_writer_t;

static int fd_write(void *ctx, const uint8_t *buf, size_t len, size_t *written) {
    fd_writer_t *w = ctx;
    if (w->calls < MAX_RECORDED) {
        w->offered[w->calls] = len;
    }
    w->calls++;
    for (;;) {
        ssize_t r = write(w->fd, buf, len);
        if (r >= 0) {
            *written = (size_t)r;
            return 0;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return CG_WOULD_BLOCK;
        }
        return errno;
    }
}

// ---- a reader thread that drains a socket into a buffer

typedef struct {
    int fd;
    uint8_t *buf;
    size_t cap;
    size_t got;
    size_t stop_after; // close the socket after this many bytes (0: read to EOF or cap)
    int linger_reset;  // close with SO_LINGER 0 (TCP RST) when stopping
    useconds_t pause;  // sleep between reads (a slow client)
    size_t read_size;
} reader_t;

static void *reader_main(void *arg) {
    reader_t *r = arg;
    while (r->got < r->cap) {
        size_t want = r->cap - r->got;
        if (r->read_size && want > r->read_size) {
            want = r->read_size;
        }
        if (r->stop_after && want > r->stop_after - r->got) {
            want = r->stop_after - r->got;
        }
        ssize_t n = read(r->fd, r->buf + r->got, want);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        r->got += (size_t)n;
        if (r->stop_after && r->got >= r->stop_after) {
            break;
        }
        if (r->pause) {
            usleep(r->pause);
        }
    }
    if (r->stop_after) {
        if (r->linger_reset) {
            struct linger lg = {1, 0};
            setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        close(r->fd);
        r->fd = -1;
    }
    return NULL;
}

// ---- socket helpers (sockets.h has the pairs)

// Sends frame[offset:end] to completion the way the app does: call, and when a call
// returns 0 bytes, wait for writability and call again. Returns 0 or the errno that
// ended it; *total = bytes written.
static int send_all(const uint8_t *frame, size_t len, size_t offset, size_t end, size_t chunk,
    fd_writer_t *w, cg_send_stats_t *st, size_t *total) {
    size_t pos = offset;
    *total = 0;
    for (int rounds = 0; pos < end; rounds++) {
        CHECK(rounds < 1000000);
        size_t sent = 0;
        int r = cg_send(frame, len, pos, end, chunk, fd_write, w, &sent, st);
        pos += sent;
        *total = pos - offset;
        if (r != 0) {
            return r;
        }
        if (sent == 0) {
            wait_writable(w->fd);
        }
    }
    return 0;
}

// ---- the set-up most tests share

// A frame of len pattern bytes and a buffer as large for what the peer reads; a connected
// pair whose writer end is non-blocking, with the write(2) callback's context on it; the
// reader thread on the peer end, once one is started.
typedef struct {
    uint8_t *frame;
    uint8_t *got;
    size_t len;
    int wfd, pfd; // -1 when not open
    fd_writer_t w;
    reader_t rd;
    pthread_t th;
} fixture_t;

static void fx_buffers(fixture_t *fx, size_t len) {
    memset(fx, 0, sizeof(*fx));
    fx->wfd = fx->pfd = -1;
    fx->frame = malloc(len);
    fx->got = malloc(len);
    CHECK(fx->frame && fx->got);
    fill_pattern(fx->frame, len, 2463534242u);
    fx->len = len;
}

// After unix_pair_of or tcp_pair filled in fx->wfd and fx->pfd: makes the writer end
// non-blocking and puts a fresh callback context on it.
static void fx_connect(fixture_t *fx) {
    set_nonblocking(fx->wfd);
    memset(&fx->w, 0, sizeof(fx->w));
    fx->w.fd = fx->wfd;
}

// The usual start of a test: fx_buffers, then a connected pair for fx_connect.
static void fx_open_unix(fixture_t *fx, size_t len) {
    fx_buffers(fx, len);
    unix_pair_of(SOCK_STREAM, &fx->wfd, &fx->pfd);
    fx_connect(fx);
}

static void fx_open_tcp(fixture_t *fx, size_t len, int sndbuf, int rcvbuf) {
    fx_buffers(fx, len);
    tcp_pair(&fx->wfd, &fx->pfd, sndbuf, rcvbuf);
    fx_connect(fx);
}

// Starts a reader thread on the peer end that fills fx->got; rd says how many bytes at
// most (cap) and how the peer behaves.
static void fx_start_reader(fixture_t *fx, reader_t rd) {
    CHECK(rd.cap <= fx->len);
    rd.fd = fx->pfd;
    rd.buf = fx->got;
    fx->rd = rd;
    CHECK(pthread_create(&fx->th, NULL, reader_main, &fx->rd) == 0);
}

// Waits for the reader thread and checks that it received the first n bytes of the frame
// exactly.
static void fx_expect_received(fixture_t *fx, size_t n) {
    CHECK(pthread_join(fx->th, NULL) == 0);
    if (fx->rd.fd < 0) {
        fx->pfd = -1; // a reader that stopped early closed the peer end itself
    }
    CHECK_EQ(fx->rd.got, n);
    CHECK(memcmp(fx->got, fx->frame, n) == 0);
}

// The peer goes away now: with a FIN, or with a TCP RST (SO_LINGER 0) when reset is set.
static void fx_close_peer(fixture_t *fx, int reset) {
    if (reset) {
        struct linger lg = {1, 0};
        CHECK(setsockopt(fx->pfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
    }
    close(fx->pfd);
    fx->pfd = -1;
}

static void fx_disconnect(fixture_t *fx) {
    if (fx->wfd >= 0) {
        close(fx->wfd);
    }
    if (fx->pfd >= 0) {
        close(fx->pfd);
    }
    fx->wfd = fx->pfd = -1;
}

static void fx_free(fixture_t *fx) {
    fx_disconnect(fx);
    free(fx->frame);
    free(fx->got);
}

// ---- tests

// Every write offers exactly min(chunk, bytes left): full chunks, then the remainder.
static void test_exact_chunk_boundaries(void) {
    static const struct {
        size_t len, chunk;
    } cases[] = {
        {3 * 4096, 4096}, {3 * 4096 + 1, 4096}, {3 * 4096 - 1, 4096}, {4095, 4096}, {4096, 4096},
        {1, 4096}, {10, 1}, {1460 * 7, 1460}, {100000, 65536},
    };
    // The pattern depends on the position only, so each case sends a prefix of one frame.
    fixture_t fx;
    fx_buffers(&fx, 200000);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        size_t len = cases[k].len, chunk = cases[k].chunk;
        unix_pair_of(SOCK_STREAM, &fx.wfd, &fx.pfd);
        int big = 1 << 20;
        setsockopt(fx.wfd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
        fx_connect(&fx);
        fx_start_reader(&fx, (reader_t){.cap = len});
        cg_send_stats_t st = {0, 0, 0};
        size_t total = 0;
        CHECK_EQ(send_all(fx.frame, len, 0, len, chunk, &fx.w, &st, &total), 0);
        CHECK_EQ(total, len);
        fx_expect_received(&fx, len);
        // What each call offered: min(chunk, remaining), where remaining shrinks by what
        // the previous call actually took. With a 1 MB buffer nothing is short here, so
        // the sequence is exactly chunk, chunk, ..., remainder.
        CHECK_EQ(st.short_writes, 0);
        size_t expect_calls = (len + chunk - 1) / chunk;
        CHECK_EQ(fx.w.calls, expect_calls);
        CHECK_EQ(st.writes, expect_calls);
        for (size_t i = 0; i < fx.w.calls; i++) {
            size_t left = len - i * chunk;
            CHECK_EQ(fx.w.offered[i], left < chunk ? left : chunk);
        }
        CHECK_EQ(st.max_write, len < chunk ? len : chunk);
        fx_disconnect(&fx);
    }
    fx_free(&fx);
}

// A non-blocking TCP socket whose send buffer is smaller than the chunk takes part of a
// write: the loop continues from where the kernel stopped, no byte lost or repeated.
static void test_partial_writes(void) {
    fixture_t fx;
    fx_open_tcp(&fx, FRAME_LEN, 16384, 0);
    fx_start_reader(&fx, (reader_t){.cap = FRAME_LEN, .pause = 200, .read_size = 3000});
    cg_send_stats_t st = {0, 0, 0};
    size_t total = 0;
    CHECK_EQ(send_all(fx.frame, FRAME_LEN, 0, FRAME_LEN, 65536, &fx.w, &st, &total), 0);
    CHECK_EQ(total, FRAME_LEN);
    fx_expect_received(&fx, FRAME_LEN);
    CHECK(st.short_writes >= 1); // the kernel really did take part of a write
    CHECK(st.max_write <= 65536);
    fx_free(&fx);
}

// A peer that does not read: the call stops at would-block and returns what it wrote;
// the next call returns 0 without writing; once the peer reads, the send resumes from
// offset + sent and the peer receives the frame exactly once.
static void test_would_block_then_resume(void) {
    fixture_t fx;
    fx_open_tcp(&fx, FRAME_LEN, 16384, 16384);
    cg_send_stats_t st = {0, 0, 0};
    size_t sent = 0;
    CHECK_EQ(cg_send(fx.frame, FRAME_LEN, 0, FRAME_LEN, 4096, fd_write, &fx.w, &sent, &st), 0);
    CHECK(sent > 0);
    CHECK(sent < FRAME_LEN); // the buffers filled before the frame did
    size_t first = sent;
    size_t calls_before = fx.w.calls;
    size_t writes_before = st.writes;
    CHECK_EQ(cg_send(fx.frame, FRAME_LEN, first, FRAME_LEN, 4096, fd_write, &fx.w, &sent, &st), 0);
    CHECK_EQ(sent, 0); // would-block: 0 bytes, no error
    CHECK_EQ(fx.w.calls, calls_before + 1); // exactly one attempt, no spinning
    CHECK_EQ(st.writes, writes_before);
    fx_start_reader(&fx, (reader_t){.cap = FRAME_LEN});
    size_t total = 0;
    CHECK_EQ(send_all(fx.frame, FRAME_LEN, first, FRAME_LEN, 4096, &fx.w, &st, &total), 0);
    CHECK_EQ(first + total, FRAME_LEN);
    fx_expect_received(&fx, FRAME_LEN);
    CHECK(st.max_write <= 4096);
    fx_free(&fx);
}

// The peer closed before the send: EPIPE on the first write, nothing counted as sent.
static void test_peer_closed_epipe(void) {
    fixture_t fx;
    fx_open_unix(&fx, FRAME_LEN);
    fx_close_peer(&fx, 0);
    size_t sent = 123;
    CHECK_EQ(cg_send(fx.frame, FRAME_LEN, 0, FRAME_LEN, 4096, fd_write, &fx.w, &sent, NULL), EPIPE);
    CHECK_EQ(sent, 0);
    CHECK_EQ(fx.w.calls, 1);
    fx_free(&fx);
}

// The peer reads part of the frame and goes away mid-frame (a browser cancelling): the
// loop ends with EPIPE or ECONNRESET and reports how far it got.
static void test_peer_closed_mid_frame(void) {
    fixture_t fx;
    fx_buffers(&fx, FRAME_LEN);
    for (int transport = 0; transport < 2; transport++) {
        if (transport == 0) {
            unix_pair_of(SOCK_STREAM, &fx.wfd, &fx.pfd);
            // Small enough that the frame cannot sit in the socket before the peer leaves.
            int small = 8192;
            CHECK(setsockopt(fx.wfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
        } else {
            tcp_pair(&fx.wfd, &fx.pfd, 16384, 16384);
        }
        fx_connect(&fx);
        fx_start_reader(&fx, (reader_t){.cap = FRAME_LEN, .stop_after = 50000, .linger_reset = transport});
        size_t total = 0;
        int r = send_all(fx.frame, FRAME_LEN, 0, FRAME_LEN, 4096, &fx.w, NULL, &total);
        fx_expect_received(&fx, 50000);
        if (r != EPIPE && r != ECONNRESET) {
            fprintf(stderr, "FAIL %s:%d: transport %d ended with %d (%s), sent %zu\n", __FILE__, __LINE__,
                transport, r, strerror(r), total);
            exit(1);
        }
        CHECK(total >= 50000);
        CHECK(total < FRAME_LEN);
        CHECK_EQ(fx.pfd, -1); // the reader closed the peer end
        fx_disconnect(&fx);
    }
    fx_free(&fx);
}

// A TCP peer that resets the connection (SO_LINGER 0): ECONNRESET on the next write,
// EPIPE after that, exactly as the server's disconnect classification expects.
static void test_peer_reset_econnreset(void) {
    fixture_t fx;
    fx_open_tcp(&fx, FRAME_LEN, 0, 0);
    size_t sent = 0;
    // Some bytes are in flight, unread, when the peer resets.
    CHECK_EQ(cg_send(fx.frame, FRAME_LEN, 0, 10000, 4096, fd_write, &fx.w, &sent, NULL), 0);
    CHECK_EQ(sent, 10000);
    fx_close_peer(&fx, 1);
    struct pollfd p = {fx.wfd, POLLIN, 0};
    CHECK(poll(&p, 1, 2000) == 1); // the RST has arrived
    CHECK_EQ(cg_send(fx.frame, FRAME_LEN, 10000, FRAME_LEN, 4096, fd_write, &fx.w, &sent, NULL), ECONNRESET);
    CHECK_EQ(sent, 0);
    CHECK_EQ(cg_send(fx.frame, FRAME_LEN, 10000, FRAME_LEN, 4096, fd_write, &fx.w, &sent, NULL), EPIPE);
    fx_free(&fx);
}

// A 160 kB frame over TCP loopback at the default chunk size, received byte for byte.
static void test_frame_160k_tcp(void) {
    fixture_t fx;
    fx_open_tcp(&fx, FRAME_LEN, 0, 0);
    fx_start_reader(&fx, (reader_t){.cap = FRAME_LEN});
    cg_send_stats_t st = {0, 0, 0};
    size_t total = 0;
    CHECK_EQ(send_all(fx.frame, FRAME_LEN, 0, FRAME_LEN, 4096, &fx.w, &st, &total), 0);
    CHECK_EQ(total, FRAME_LEN);
    shutdown(fx.wfd, SHUT_WR);
    fx_expect_received(&fx, FRAME_LEN);
    CHECK_EQ(st.max_write, 4096);
    CHECK(st.writes >= FRAME_LEN / 4096); // 40 full chunks at least
    fx_free(&fx);
}

// Sending a frame as consecutive [offset, end) ranges (a head, an empty range, the
// rest) delivers it exactly once; an empty range makes no write at all.
static void test_resume_from_offset(void) {
    fixture_t fx;
    fx_open_unix(&fx, FRAME_LEN);
    fx_start_reader(&fx, (reader_t){.cap = FRAME_LEN});
    size_t total = 0;
    CHECK_EQ(send_all(fx.frame, FRAME_LEN, 0, 50001, 4096, &fx.w, NULL, &total), 0);
    CHECK_EQ(total, 50001);
    size_t calls = fx.w.calls, sent = 99;
    CHECK_EQ(cg_send(fx.frame, FRAME_LEN, 50001, 50001, 4096, fd_write, &fx.w, &sent, NULL), 0);
    CHECK_EQ(sent, 0);
    CHECK_EQ(fx.w.calls, calls);
    CHECK_EQ(send_all(fx.frame, FRAME_LEN, 50001, 50001 + 3, 4096, &fx.w, NULL, &total), 0);
    CHECK_EQ(total, 3);
    CHECK_EQ(fx.w.offered[fx.w.calls - 1], 3);
    CHECK_EQ(send_all(fx.frame, FRAME_LEN, 50004, FRAME_LEN, 4096, &fx.w, NULL, &total), 0);
    CHECK_EQ(total, FRAME_LEN - 50004);
    shutdown(fx.wfd, SHUT_WR);
    fx_expect_received(&fx, FRAME_LEN);
    fx_free(&fx);
}

// Bad ranges and a zero chunk are EINVAL and never reach the socket.
static void test_bad_arguments(void) {
    fixture_t fx;
    fx_open_unix(&fx, 100);
    size_t sent = 7;
    CHECK_EQ(cg_send(fx.frame, 100, 50, 40, 4096, fd_write, &fx.w, &sent, NULL), EINVAL);
    CHECK_EQ(sent, 0);
    CHECK_EQ(cg_send(fx.frame, 100, 0, 101, 4096, fd_write, &fx.w, &sent, NULL), EINVAL);
    CHECK_EQ(cg_send(fx.frame, 100, 0, 100, 0, fd_write, &fx.w, &sent, NULL), EINVAL);
    CHECK_EQ(cg_send(fx.frame, 100, 0, 100, 4096, NULL, &fx.w, &sent, NULL), EINVAL);
    CHECK_EQ(fx.w.calls, 0);
    fx_free(&fx);
}

// Callbacks that break the contract cannot make the loop spin or overrun the buffer.
static int cb_zero(void *ctx, const uint8_t *buf, size_t len, size_t *written) {
    (void)buf;
    (void)len;
    (*(int *)ctx)++;
    *written = 0;
    return 0;
}
static int cb_negative(void *ctx, const uint8_t *buf, size_t len, size_t *written) {
    (void)buf;
    (void)len;
    (void)written;
    (*(int *)ctx)++;
    return -7;
}
static void test_misbehaving_callbacks(void) {
    uint8_t frame[1000];
    fill_pattern(frame, sizeof(frame), 2463534242u);
    int calls = 0;
    size_t sent = 9;
    CHECK_EQ(cg_send(frame, 1000, 0, 1000, 100, cb_zero, &calls, &sent, NULL), 0);
    CHECK_EQ(sent, 0);
    CHECK_EQ(calls, 1);
    calls = 0;
    CHECK_EQ(cg_send(frame, 1000, 0, 1000, 100, cb_overclaim, &calls, &sent, NULL), EIO);
    CHECK_EQ(sent, 0);
    CHECK_EQ(calls, 1);
    calls = 0;
    CHECK_EQ(cg_send(frame, 1000, 0, 1000, 100, cb_negative, &calls, &sent, NULL), EIO);
    CHECK_EQ(calls, 1);
}

int main(void) {
    // As MicroPython's unix port does: a write to a closed peer returns EPIPE instead of
    // killing the process.
    signal(SIGPIPE, SIG_IGN);
    static const test_case_t tests[] = {
        {"exact_chunk_boundaries", test_exact_chunk_boundaries},
        {"partial_writes", test_partial_writes},
        {"would_block_then_resume", test_would_block_then_resume},
        {"peer_closed_epipe", test_peer_closed_epipe},
        {"peer_closed_mid_frame", test_peer_closed_mid_frame},
        {"peer_reset_econnreset", test_peer_reset_econnreset},
        {"frame_160k_tcp", test_frame_160k_tcp},
        {"resume_from_offset", test_resume_from_offset},
        {"bad_arguments", test_bad_arguments},
        {"misbehaving_callbacks", test_misbehaving_callbacks},
    };
    size_t n = sizeof(tests) / sizeof(tests[0]);
    run_tests(tests, n);
    printf("all %zu tests passed\n", n);
    return 0;
}
