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

#define FRAME_LEN (160 * 1024)

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            exit(1); \
        } \
    } while (0)

#define CHECK_EQ(a, b) \
    do { \
        long long a_ = (long long)(a), b_ = (long long)(b); \
        if (a_ != b_) { \
            fprintf(stderr, "FAIL %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, a_, #b, b_); \
            exit(1); \
        } \
    } while (0)

// A frame whose every byte depends on its position, so a duplicated, dropped or shifted
// byte anywhere shows up in the comparison.
static void fill_pattern(uint8_t *buf, size_t len) {
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)(x ^ (i >> 8));
    }
}

static void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    CHECK(flags >= 0);
    CHECK(fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0);
}

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

// ---- socket helpers

static void unix_pair(int *writer, int *peer) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    *writer = sv[0];
    *peer = sv[1];
}

static void tcp_pair(int *writer, int *peer, int sndbuf, int rcvbuf) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(ls >= 0);
    if (rcvbuf > 0) {
        // Set on the listener so the accepted socket starts with it (the window scale is
        // chosen at the handshake; shrinking it later makes TCP stall on zero windows).
        CHECK(setsockopt(ls, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == 0);
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof(a)) == 0);
    CHECK(listen(ls, 1) == 0);
    socklen_t al = sizeof(a);
    CHECK(getsockname(ls, (struct sockaddr *)&a, &al) == 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(c >= 0);
    if (sndbuf > 0) {
        // Set before connect so the window is sized for it from the start.
        CHECK(setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) == 0);
    }
    CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0);
    int s = accept(ls, NULL, NULL);
    CHECK(s >= 0);
    close(ls);
    int one = 1;
    CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0);
    *writer = c;
    *peer = s;
}

// Waits until fd is writable (or reports an error/hangup); fails the test after 5 s.
static void wait_writable(int fd) {
    struct pollfd p = {fd, POLLOUT, 0};
    int r;
    do {
        r = poll(&p, 1, 5000);
    } while (r < 0 && errno == EINTR);
    CHECK(r == 1);
}

// Sends frame[offset:limit] to completion the way the app does: call, and when a call
// returns 0 bytes, wait for writability and call again. Returns 0 or the errno that
// ended it; *total = bytes written.
static int send_all(const uint8_t *frame, size_t len, size_t offset, size_t limit, size_t chunk,
    fd_writer_t *w, cg_send_stats_t *st, size_t *total) {
    size_t pos = offset;
    *total = 0;
    for (int rounds = 0; pos < limit; rounds++) {
        CHECK(rounds < 1000000);
        size_t sent = 0;
        int r = cg_send(frame, len, pos, limit, chunk, fd_write, w, &sent, st);
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

// ---- tests

// Every write offers exactly min(chunk, bytes left): full chunks, then the remainder.
static void test_exact_chunk_boundaries(void) {
    static const struct {
        size_t len, chunk;
    } cases[] = {
        {3 * 4096, 4096}, {3 * 4096 + 1, 4096}, {3 * 4096 - 1, 4096}, {4095, 4096}, {4096, 4096},
        {1, 4096}, {10, 1}, {1460 * 7, 1460}, {100000, 65536},
    };
    uint8_t *frame = malloc(200000);
    uint8_t *got = malloc(200000);
    CHECK(frame && got);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        size_t len = cases[k].len, chunk = cases[k].chunk;
        fill_pattern(frame, len);
        int wfd, pfd;
        unix_pair(&wfd, &pfd);
        int big = 1 << 20;
        setsockopt(wfd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
        set_nonblocking(wfd);
        reader_t rd = {.fd = pfd, .buf = got, .cap = len};
        pthread_t th;
        CHECK(pthread_create(&th, NULL, reader_main, &rd) == 0);
        fd_writer_t w;
        memset(&w, 0, sizeof(w));
        w.fd = wfd;
        cg_send_stats_t st = {0, 0, 0};
        size_t total = 0;
        CHECK_EQ(send_all(frame, len, 0, len, chunk, &w, &st, &total), 0);
        CHECK_EQ(total, len);
        CHECK(pthread_join(th, NULL) == 0);
        CHECK_EQ(rd.got, len);
        CHECK(memcmp(got, frame, len) == 0);
        // What each call offered: min(chunk, remaining), where remaining shrinks by what
        // the previous call actually took. With a 1 MB buffer nothing is short here, so
        // the sequence is exactly chunk, chunk, ..., remainder.
        CHECK_EQ(st.short_writes, 0);
        size_t expect_calls = (len + chunk - 1) / chunk;
        CHECK_EQ(w.calls, expect_calls);
        CHECK_EQ(st.writes, expect_calls);
        for (size_t i = 0; i < w.calls; i++) {
            size_t left = len - i * chunk;
            CHECK_EQ(w.offered[i], left < chunk ? left : chunk);
        }
        CHECK_EQ(st.max_write, len < chunk ? len : chunk);
        close(wfd);
        close(pfd);
    }
    free(frame);
    free(got);
}

// A non-blocking TCP socket whose send buffer is smaller than the chunk takes part of a
// write: the loop continues from where the kernel stopped, no byte lost or repeated.
static void test_partial_writes(void) {
    uint8_t *frame = malloc(FRAME_LEN);
    uint8_t *got = malloc(FRAME_LEN);
    CHECK(frame && got);
    fill_pattern(frame, FRAME_LEN);
    int wfd, pfd;
    tcp_pair(&wfd, &pfd, 16384, 0);
    set_nonblocking(wfd);
    reader_t rd = {.fd = pfd, .buf = got, .cap = FRAME_LEN, .pause = 200, .read_size = 3000};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader_main, &rd) == 0);
    fd_writer_t w;
    memset(&w, 0, sizeof(w));
    w.fd = wfd;
    cg_send_stats_t st = {0, 0, 0};
    size_t total = 0;
    CHECK_EQ(send_all(frame, FRAME_LEN, 0, FRAME_LEN, 65536, &w, &st, &total), 0);
    CHECK_EQ(total, FRAME_LEN);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK_EQ(rd.got, FRAME_LEN);
    CHECK(memcmp(got, frame, FRAME_LEN) == 0);
    CHECK(st.short_writes >= 1); // the kernel really did take part of a write
    CHECK(st.max_write <= 65536);
    close(wfd);
    close(pfd);
    free(frame);
    free(got);
}

// A peer that does not read: the call stops at would-block and returns what it wrote;
// the next call returns 0 without writing; once the peer reads, the send resumes from
// offset + sent and the peer receives the frame exactly once.
static void test_would_block_then_resume(void) {
    uint8_t *frame = malloc(FRAME_LEN);
    uint8_t *got = malloc(FRAME_LEN);
    CHECK(frame && got);
    fill_pattern(frame, FRAME_LEN);
    int wfd, pfd;
    tcp_pair(&wfd, &pfd, 16384, 16384);
    set_nonblocking(wfd);
    fd_writer_t w;
    memset(&w, 0, sizeof(w));
    w.fd = wfd;
    cg_send_stats_t st = {0, 0, 0};
    size_t sent = 0;
    CHECK_EQ(cg_send(frame, FRAME_LEN, 0, FRAME_LEN, 4096, fd_write, &w, &sent, &st), 0);
    CHECK(sent > 0);
    CHECK(sent < FRAME_LEN); // the buffers filled before the frame did
    size_t first = sent;
    size_t calls_before = w.calls;
    size_t writes_before = st.writes;
    CHECK_EQ(cg_send(frame, FRAME_LEN, first, FRAME_LEN, 4096, fd_write, &w, &sent, &st), 0);
    CHECK_EQ(sent, 0); // would-block: 0 bytes, no error
    CHECK_EQ(w.calls, calls_before + 1); // exactly one attempt, no spinning
    CHECK_EQ(st.writes, writes_before);
    reader_t rd = {.fd = pfd, .buf = got, .cap = FRAME_LEN};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader_main, &rd) == 0);
    size_t total = 0;
    CHECK_EQ(send_all(frame, FRAME_LEN, first, FRAME_LEN, 4096, &w, &st, &total), 0);
    CHECK_EQ(first + total, FRAME_LEN);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK_EQ(rd.got, FRAME_LEN);
    CHECK(memcmp(got, frame, FRAME_LEN) == 0);
    CHECK(st.max_write <= 4096);
    close(wfd);
    close(pfd);
    free(frame);
    free(got);
}

// The peer closed before the send: EPIPE on the first write, nothing counted as sent.
static void test_peer_closed_epipe(void) {
    uint8_t *frame = malloc(FRAME_LEN);
    CHECK(frame);
    fill_pattern(frame, FRAME_LEN);
    int wfd, pfd;
    unix_pair(&wfd, &pfd);
    set_nonblocking(wfd);
    close(pfd);
    fd_writer_t w;
    memset(&w, 0, sizeof(w));
    w.fd = wfd;
    size_t sent = 123;
    CHECK_EQ(cg_send(frame, FRAME_LEN, 0, FRAME_LEN, 4096, fd_write, &w, &sent, NULL), EPIPE);
    CHECK_EQ(sent, 0);
    CHECK_EQ(w.calls, 1);
    close(wfd);
    free(frame);
}

// The peer reads part of the frame and goes away mid-frame (a browser cancelling): the
// loop ends with EPIPE or ECONNRESET and reports how far it got.
static void test_peer_closed_mid_frame(void) {
    uint8_t *frame = malloc(FRAME_LEN);
    uint8_t *got = malloc(FRAME_LEN);
    CHECK(frame && got);
    fill_pattern(frame, FRAME_LEN);
    for (int transport = 0; transport < 2; transport++) {
        int wfd, pfd;
        if (transport == 0) {
            unix_pair(&wfd, &pfd);
            // Small enough that the frame cannot sit in the socket before the peer leaves.
            int small = 8192;
            CHECK(setsockopt(wfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
        } else {
            tcp_pair(&wfd, &pfd, 16384, 16384);
        }
        set_nonblocking(wfd);
        reader_t rd = {.fd = pfd, .buf = got, .cap = FRAME_LEN, .stop_after = 50000, .linger_reset = transport};
        pthread_t th;
        CHECK(pthread_create(&th, NULL, reader_main, &rd) == 0);
        fd_writer_t w;
        memset(&w, 0, sizeof(w));
        w.fd = wfd;
        size_t total = 0;
        int r = send_all(frame, FRAME_LEN, 0, FRAME_LEN, 4096, &w, NULL, &total);
        CHECK(pthread_join(th, NULL) == 0);
        if (r != EPIPE && r != ECONNRESET) {
            fprintf(stderr, "FAIL %s:%d: transport %d ended with %d (%s), sent %zu\n", __FILE__, __LINE__,
                transport, r, strerror(r), total);
            exit(1);
        }
        CHECK(total >= 50000);
        CHECK(total < FRAME_LEN);
        CHECK_EQ(rd.got, 50000);
        CHECK(memcmp(got, frame, 50000) == 0);
        close(wfd);
    }
    free(frame);
    free(got);
}

// A TCP peer that resets the connection (SO_LINGER 0): ECONNRESET on the next write,
// EPIPE after that, exactly as the server's disconnect classification expects.
static void test_peer_reset_econnreset(void) {
    uint8_t *frame = malloc(FRAME_LEN);
    CHECK(frame);
    fill_pattern(frame, FRAME_LEN);
    int wfd, pfd;
    tcp_pair(&wfd, &pfd, 0, 0);
    set_nonblocking(wfd);
    fd_writer_t w;
    memset(&w, 0, sizeof(w));
    w.fd = wfd;
    size_t sent = 0;
    // Some bytes are in flight, unread, when the peer resets.
    CHECK_EQ(cg_send(frame, FRAME_LEN, 0, 10000, 4096, fd_write, &w, &sent, NULL), 0);
    CHECK_EQ(sent, 10000);
    struct linger lg = {1, 0};
    CHECK(setsockopt(pfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
    close(pfd);
    struct pollfd p = {wfd, POLLIN, 0};
    CHECK(poll(&p, 1, 2000) == 1); // the RST has arrived
    CHECK_EQ(cg_send(frame, FRAME_LEN, 10000, FRAME_LEN, 4096, fd_write, &w, &sent, NULL), ECONNRESET);
    CHECK_EQ(sent, 0);
    CHECK_EQ(cg_send(frame, FRAME_LEN, 10000, FRAME_LEN, 4096, fd_write, &w, &sent, NULL), EPIPE);
    close(wfd);
    free(frame);
}

// A 160 kB frame over TCP loopback at the default chunk size, received byte for byte.
static void test_frame_160k_tcp(void) {
    uint8_t *frame = malloc(FRAME_LEN);
    uint8_t *got = malloc(FRAME_LEN);
    CHECK(frame && got);
    fill_pattern(frame, FRAME_LEN);
    int wfd, pfd;
    tcp_pair(&wfd, &pfd, 0, 0);
    set_nonblocking(wfd);
    reader_t rd = {.fd = pfd, .buf = got, .cap = FRAME_LEN};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader_main, &rd) == 0);
    fd_writer_t w;
    memset(&w, 0, sizeof(w));
    w.fd = wfd;
    cg_send_stats_t st = {0, 0, 0};
    size_t total = 0;
    CHECK_EQ(send_all(frame, FRAME_LEN, 0, FRAME_LEN, 4096, &w, &st, &total), 0);
    CHECK_EQ(total, FRAME_LEN);
    shutdown(wfd, SHUT_WR);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK_EQ(rd.got, FRAME_LEN);
    CHECK(memcmp(got, frame, FRAME_LEN) == 0);
    CHECK_EQ(st.max_write, 4096);
    CHECK(st.writes >= FRAME_LEN / 4096); // 40 full chunks at least
    close(wfd);
    close(pfd);
    free(frame);
    free(got);
}

// Sending a frame as consecutive [offset, limit) ranges (a head, an empty range, the
// rest) delivers it exactly once; an empty range makes no write at all.
static void test_resume_from_offset(void) {
    uint8_t *frame = malloc(FRAME_LEN);
    uint8_t *got = malloc(FRAME_LEN);
    CHECK(frame && got);
    fill_pattern(frame, FRAME_LEN);
    int wfd, pfd;
    unix_pair(&wfd, &pfd);
    set_nonblocking(wfd);
    reader_t rd = {.fd = pfd, .buf = got, .cap = FRAME_LEN};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader_main, &rd) == 0);
    fd_writer_t w;
    memset(&w, 0, sizeof(w));
    w.fd = wfd;
    size_t total = 0;
    CHECK_EQ(send_all(frame, FRAME_LEN, 0, 50001, 4096, &w, NULL, &total), 0);
    CHECK_EQ(total, 50001);
    size_t calls = w.calls, sent = 99;
    CHECK_EQ(cg_send(frame, FRAME_LEN, 50001, 50001, 4096, fd_write, &w, &sent, NULL), 0);
    CHECK_EQ(sent, 0);
    CHECK_EQ(w.calls, calls);
    CHECK_EQ(send_all(frame, FRAME_LEN, 50001, 50001 + 3, 4096, &w, NULL, &total), 0);
    CHECK_EQ(total, 3);
    CHECK_EQ(w.offered[w.calls - 1], 3);
    CHECK_EQ(send_all(frame, FRAME_LEN, 50004, FRAME_LEN, 4096, &w, NULL, &total), 0);
    CHECK_EQ(total, FRAME_LEN - 50004);
    shutdown(wfd, SHUT_WR);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK_EQ(rd.got, FRAME_LEN);
    CHECK(memcmp(got, frame, FRAME_LEN) == 0);
    close(wfd);
    close(pfd);
    free(frame);
    free(got);
}

// Bad ranges and a zero chunk are EINVAL and never reach the socket.
static void test_bad_arguments(void) {
    uint8_t frame[100];
    fill_pattern(frame, sizeof(frame));
    int wfd, pfd;
    unix_pair(&wfd, &pfd);
    fd_writer_t w;
    memset(&w, 0, sizeof(w));
    w.fd = wfd;
    size_t sent = 7;
    CHECK_EQ(cg_send(frame, 100, 50, 40, 4096, fd_write, &w, &sent, NULL), EINVAL);
    CHECK_EQ(sent, 0);
    CHECK_EQ(cg_send(frame, 100, 0, 101, 4096, fd_write, &w, &sent, NULL), EINVAL);
    CHECK_EQ(cg_send(frame, 100, 0, 100, 0, fd_write, &w, &sent, NULL), EINVAL);
    CHECK_EQ(cg_send(frame, 100, 0, 100, 4096, NULL, &w, &sent, NULL), EINVAL);
    CHECK_EQ(w.calls, 0);
    close(wfd);
    close(pfd);
}

// Callbacks that break the contract cannot make the loop spin or overrun the buffer.
static int cb_zero(void *ctx, const uint8_t *buf, size_t len, size_t *written) {
    (void)buf;
    (void)len;
    (*(int *)ctx)++;
    *written = 0;
    return 0;
}
static int cb_overclaim(void *ctx, const uint8_t *buf, size_t len, size_t *written) {
    (void)buf;
    (*(int *)ctx)++;
    *written = len + 1;
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
    fill_pattern(frame, sizeof(frame));
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
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
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
    for (size_t i = 0; i < n; i++) {
        tests[i].fn();
        printf("ok %s\n", tests[i].name);
        fflush(stdout);
    }
    printf("all %zu tests passed\n", n);
    return 0;
}
