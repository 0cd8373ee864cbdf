// What the plain-C socket tests of camera_glue (test_send.c, test_rtp.c) share: a byte
// pattern, connected socket pairs on loopback, waiting for writability, and a write
// callback that breaks its contract. static inline, so a test that uses only some of
// them still builds under -Werror.
#ifndef CG_TEST_SOCKETS_H
#define CG_TEST_SOCKETS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

// Bytes that depend on their position (and on seed), so a duplicated, dropped or shifted
// byte anywhere shows up in the comparison.
static inline void fill_pattern(uint8_t *buf, size_t len, uint32_t seed) {
    uint32_t x = seed;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)(x ^ (i >> 8));
    }
}

static inline void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    CHECK(flags >= 0);
    CHECK(fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0);
}

// A connected AF_UNIX pair of the given type (SOCK_STREAM or SOCK_DGRAM), both blocking.
static inline void unix_pair_of(int type, int *writer, int *peer) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
    *writer = sv[0];
    *peer = sv[1];
}

// A TCP connection on 127.0.0.1, TCP_NODELAY on the writer, both ends blocking.
static inline void tcp_pair(int *writer, int *peer, int sndbuf, int rcvbuf) {
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
static inline void wait_writable(int fd) {
    struct pollfd p = {fd, POLLOUT, 0};
    int r;
    do {
        r = poll(&p, 1, 5000);
    } while (r < 0 && errno == EINTR);
    CHECK(r == 1);
}

// A write callback that claims one byte more than it was offered; ctx counts its calls.
static inline int cb_overclaim(void *ctx, const uint8_t *buf, size_t len, size_t *written) {
    (void)buf;
    (*(int *)ctx)++;
    *written = len + 1;
    return 0;
}

#endif // CG_TEST_SOCKETS_H
