// Tests of camera_glue's RTP/JPEG packetizer (components/camera_glue/cg_rtp.c) against real
// sockets: AF_UNIX stream and datagram socketpairs, TCP and UDP on 127.0.0.1, non-blocking
// writers, slow reader threads. Built with -Wall -Wextra -Werror under AddressSanitizer
// and UBSan by tests/c/test_send_loop.py (`make test`). Prints "ok <name>" per test; exits
// 1 on the first failed check with its line.
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

#include "cg_rtp.h"
#include "check.h"
#include "sockets.h"

#define MAXP 1400

static uint8_t pktbuf[CG_RTP_BUF_LEN(CG_RTP_MAX_PAYLOAD_MAX)];

static uint32_t get16(const uint8_t *p) {
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p) {
    return get16(p) << 16 | get16(p + 2);
}

// ---- the write(2) callback, recording what each call offered

typedef struct {
    int fd;
    size_t calls;
    size_t would_blocks;
    size_t mid_packet_blocks; // would-blocks that left a packet half written
    cg_rtp_t *r;              // to look at the packet state on a would-block (may be NULL)
    size_t budget;            // when not 0: bytes the socket takes before it "would block"
} fd_writer_t;

static int fd_write(void *ctx, const uint8_t *buf, size_t len, size_t *written) {
    fd_writer_t *w = ctx;
    w->calls++;
    if (w->budget != 0) {
        if (w->budget == 1) {
            w->would_blocks++;
            if (w->r != NULL && w->r->pkt_pos > 0) {
                w->mid_packet_blocks++;
            }
            return CG_WOULD_BLOCK;
        }
        if (len > w->budget - 1) {
            len = w->budget - 1;
        }
    }
    for (;;) {
        ssize_t n = write(w->fd, buf, len);
        if (n >= 0) {
            *written = (size_t)n;
            if (w->budget != 0) {
                w->budget -= (size_t)n;
            }
            return 0;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            w->would_blocks++;
            if (w->r != NULL && w->r->pkt_pos > 0) {
                w->mid_packet_blocks++;
            }
            return CG_WOULD_BLOCK;
        }
        return errno;
    }
}

// ---- a reader thread: reads a stream (or datagrams, one per read) into a buffer

#define MAX_DGRAMS 4096

typedef struct {
    int fd;
    uint8_t *buf;
    size_t cap;
    size_t got;
    size_t want;       // stop after this many bytes (stream) ...
    size_t want_dgrams; // ... or this many datagrams
    size_t ndgrams;
    size_t dgram_len[MAX_DGRAMS];
    useconds_t pause;
    size_t read_size;
} reader_t;

static void *reader_main(void *arg) {
    reader_t *r = arg;
    while (r->want_dgrams ? r->ndgrams < r->want_dgrams : r->got < r->want) {
        size_t n = r->cap - r->got;
        if (r->read_size && n > r->read_size) {
            n = r->read_size;
        }
        ssize_t k = read(r->fd, r->buf + r->got, n);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            break;
        }
        if (r->ndgrams < MAX_DGRAMS) {
            r->dgram_len[r->ndgrams] = (size_t)k;
        }
        r->ndgrams++;
        r->got += (size_t)k;
        if (r->pause) {
            usleep(r->pause);
        }
    }
    return NULL;
}

// ---- sockets

// Two UDP sockets on loopback, connected to each other (the RTSP session's UDP case).
static void udp_pair(int *writer, int *peer) {
    int fds[2];
    struct sockaddr_in a[2];
    for (int i = 0; i < 2; i++) {
        fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
        CHECK(fds[i] >= 0);
        memset(&a[i], 0, sizeof(a[i]));
        a[i].sin_family = AF_INET;
        a[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(bind(fds[i], (struct sockaddr *)&a[i], sizeof(a[i])) == 0);
        socklen_t al = sizeof(a[i]);
        CHECK(getsockname(fds[i], (struct sockaddr *)&a[i], &al) == 0);
    }
    int big = 1 << 20;
    setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    CHECK(connect(fds[0], (struct sockaddr *)&a[1], sizeof(a[1])) == 0);
    CHECK(connect(fds[1], (struct sockaddr *)&a[0], sizeof(a[0])) == 0);
    set_nonblocking(fds[0]);
    *writer = fds[0];
    *peer = fds[1];
}

// An AF_UNIX pair of type whose writer end is non-blocking.
static void pair(int type, int *writer, int *peer) {
    unix_pair_of(type, writer, peer);
    set_nonblocking(*writer);
}

// Sends the current frame to the end the way the RTSP session does: on would-block,
// wait for writability and call again. Returns the number of calls.
static size_t send_all(cg_rtp_t *r, int channel, fd_writer_t *w) {
    size_t calls = 0;
    for (;;) {
        calls++;
        CHECK(calls < 1000000);
        int e = cg_rtp_send(r, channel, fd_write, w);
        if (e == 0) {
            return calls;
        }
        CHECK_EQ(e, CG_WOULD_BLOCK);
        wait_writable(w->fd);
    }
}

// ---- checking what arrived: every RTP packet of one or more frames, rebuilt into their data

typedef struct {
    const uint8_t *frame; // the frame the packets must carry frame[scan:end] of
    size_t scan, end;
    int type, q, width, height, dri;
    const uint8_t *qtables;
    size_t qtables_len;
    uint32_t timestamp, ssrc;
    uint16_t first_seq;
    size_t max_payload;
} expect_t;

typedef struct {
    uint8_t *data; // reassembled by fragment offset
    size_t got;
    size_t packets;
    uint16_t next_seq;
    int marked; // the marker bit came
    size_t payload_octets;
} frame_state_t;

// Checks one RTP packet (without prefix) against e and appends its fragment.
static void check_packet(const uint8_t *p, size_t len, const expect_t *e, frame_state_t *st) {
    CHECK(len >= 20);
    CHECK(!st->marked); // nothing of this frame after its marked packet
    CHECK_EQ(p[0], 0x80);
    CHECK_EQ(p[1] & 0x7F, 26);
    CHECK_EQ(get16(p + 2), st->next_seq);
    st->next_seq = (uint16_t)(st->next_seq + 1);
    CHECK_EQ(get32(p + 4), e->timestamp);
    CHECK_EQ(get32(p + 8), e->ssrc);
    const uint8_t *j = p + 12;
    size_t off = (size_t)j[1] << 16 | get16(j + 2);
    CHECK_EQ(j[0], 0);
    CHECK_EQ(off, st->got); // fragments in order, no gap, no overlap
    CHECK_EQ(off % e->max_payload, 0);
    CHECK_EQ(j[4], e->type);
    CHECK_EQ(j[5], e->q);
    CHECK_EQ(j[6], e->width / 8);
    CHECK_EQ(j[7], e->height / 8);
    const uint8_t *h = j + 8;
    if (e->type >= 64) {
        CHECK_EQ(get16(h), e->dri);
        CHECK_EQ(get16(h + 2), 0xFFFF);
        h += 4;
    }
    if (e->q >= 128 && off == 0) {
        CHECK_EQ(h[0], 0);
        CHECK_EQ(h[1], 0);
        CHECK_EQ(get16(h + 2), e->qtables_len);
        CHECK(memcmp(h + 4, e->qtables, e->qtables_len) == 0);
        h += 4 + e->qtables_len;
    }
    size_t n = len - (size_t)(h - p);
    size_t left = e->end - e->scan - off;
    CHECK_EQ(n, left < e->max_payload ? left : e->max_payload);
    CHECK(memcmp(h, e->frame + e->scan + off, n) == 0);
    st->got += n;
    st->packets++;
    st->payload_octets += len - 12;
    int last = st->got == e->end - e->scan;
    CHECK_EQ((p[1] & 0x80) != 0, last);
    st->marked = last;
}

// Walks a TCP interleaved stream of one frame: every packet prefixed with '$', channel,
// length. Returns the bytes consumed (the stream may continue with another frame).
static size_t check_tcp_stream(const uint8_t *s, size_t len, int channel, const expect_t *e, frame_state_t *st) {
    size_t pos = 0;
    memset(st, 0, sizeof(*st));
    st->next_seq = e->first_seq;
    while (!st->marked) {
        CHECK(pos + 4 <= len);
        CHECK_EQ(s[pos], '$');
        CHECK_EQ(s[pos + 1], channel);
        size_t n = get16(s + pos + 2);
        CHECK(pos + 4 + n <= len);
        check_packet(s + pos + 4, n, e, st);
        pos += 4 + n;
    }
    return pos;
}

static expect_t expect_for(const uint8_t *frame, size_t scan, size_t end, int type, int dri, const uint8_t *qt,
    size_t qtlen, cg_rtp_t *r) {
    expect_t e = {frame, scan, end, type, qtlen ? 255 : 0, 640, 480, dri, qt, qtlen, 0, r->ssrc, r->seq,
                  r->max_payload};
    e.timestamp = 0x12345678;
    return e;
}

// ---- tests

// The exact bytes of a type-1 frame with two tables over TCP channel 0: three packets of
// 100, 100 and 50 bytes of data; the tables ride in the first only, M on the last.
static void test_type1_tables_byte_exact(void) {
    uint8_t frame[300], qt[128];
    fill_pattern(frame, sizeof(frame), 1);
    fill_pattern(qt, sizeof(qt), 2);
    cg_rtp_t r;
    CHECK_EQ(cg_rtp_init(&r, pktbuf, 100), 0);
    r.ssrc = 0xA1B2C3D4;
    r.seq = 0x1234;
    CHECK_EQ(cg_rtp_start(&r, frame, 300, 20, 270, 1, 640, 480, 0, qt, 128, 0xCAFEF00D, NULL), 0);
    int w, peer;
    pair(SOCK_STREAM, &w, &peer);
    fd_writer_t fw = {w, 0, 0, 0, NULL, 0};
    CHECK_EQ(cg_rtp_send(&r, 0, fd_write, &fw), 0);
    CHECK_EQ(fw.calls, 3); // one write per packet
    uint8_t got[1024];
    ssize_t n = read(peer, got, sizeof(got));
    size_t l1 = 12 + 8 + 4 + 128 + 100, l2 = 12 + 8 + 100, l3 = 12 + 8 + 50;
    CHECK_EQ(n, 12 + l1 + l2 + l3);
    static const uint8_t h1[] = {
        '$', 0, 0x00, 252,                                   // prefix: 252 bytes of RTP
        0x80, 26, 0x12, 0x34, 0xCA, 0xFE, 0xF0, 0x0D, 0xA1, 0xB2, 0xC3, 0xD4, // RTP
        0, 0, 0, 0, 1, 255, 80, 60,                          // JPEG: offset 0, type 1, Q 255, 640x480
        0, 0, 0, 128,                                        // quantization table header
    };
    CHECK(memcmp(got, h1, sizeof(h1)) == 0);
    CHECK(memcmp(got + sizeof(h1), qt, 128) == 0);
    CHECK(memcmp(got + sizeof(h1) + 128, frame + 20, 100) == 0);
    const uint8_t *p2 = got + 4 + l1;
    static const uint8_t h2[] = {
        '$', 0, 0x00, 120,
        0x80, 26, 0x12, 0x35, 0xCA, 0xFE, 0xF0, 0x0D, 0xA1, 0xB2, 0xC3, 0xD4,
        0, 0, 0, 100, 1, 255, 80, 60, // offset 100, no table header
    };
    CHECK(memcmp(p2, h2, sizeof(h2)) == 0);
    CHECK(memcmp(p2 + sizeof(h2), frame + 120, 100) == 0);
    const uint8_t *p3 = p2 + 4 + l2;
    static const uint8_t h3[] = {
        '$', 0, 0x00, 70,
        0x80, 0x80 | 26, 0x12, 0x36, 0xCA, 0xFE, 0xF0, 0x0D, 0xA1, 0xB2, 0xC3, 0xD4, // M=1
        0, 0, 0, 200, 1, 255, 80, 60,
    };
    CHECK(memcmp(p3, h3, sizeof(h3)) == 0);
    CHECK(memcmp(p3 + sizeof(h3), frame + 220, 50) == 0);
    CHECK_EQ(r.seq, 0x1237);
    CHECK_EQ(r.sent_packets, 3);
    CHECK_EQ(r.sent_bytes, (l1 - 12) + (l2 - 12) + (l3 - 12));
    // Done: another send writes nothing and says done.
    CHECK_EQ(cg_rtp_send(&r, 0, fd_write, &fw), 0);
    CHECK_EQ(fw.calls, 3);
    close(w);
    close(peer);
}

// Type 65 (4:2:0 with restart markers), one 64-byte table, on UDP: every datagram has the
// restart marker header (dri, F=1 L=1 count 0x3FFF); the first also the table header.
static void test_type65_dri_byte_exact(void) {
    uint8_t frame[200], qt[64];
    fill_pattern(frame, sizeof(frame), 3);
    fill_pattern(qt, sizeof(qt), 4);
    cg_rtp_t r;
    CHECK_EQ(cg_rtp_init(&r, pktbuf, 64), 0);
    r.ssrc = 7;
    r.seq = 9;
    CHECK_EQ(cg_rtp_start(&r, frame, 200, 0, 128, 65, 2040, 8, 0x0102, qt, 64, 90000, NULL), 0);
    int w, peer;
    pair(SOCK_DGRAM, &w, &peer);
    fd_writer_t fw = {w, 0, 0, 0, NULL, 0};
    CHECK_EQ(cg_rtp_send(&r, CG_RTP_UDP, fd_write, &fw), 0);
    CHECK_EQ(fw.calls, 2);
    uint8_t d[512];
    ssize_t n = recv(peer, d, sizeof(d), 0);
    CHECK_EQ(n, 12 + 8 + 4 + 4 + 64 + 64);
    static const uint8_t h1[] = {
        0x80, 26, 0, 9, 0, 0x01, 0x5F, 0x90, 0, 0, 0, 7, // RTP, timestamp 90000
        0, 0, 0, 0, 65, 255, 255, 1,                     // JPEG: type 65, 2040x8
        0x01, 0x02, 0xFF, 0xFF,                          // restart: dri 258, F L, count 0x3FFF
        0, 0, 0, 64,                                     // one table
    };
    CHECK(memcmp(d, h1, sizeof(h1)) == 0);
    CHECK(memcmp(d + sizeof(h1), qt, 64) == 0);
    CHECK(memcmp(d + sizeof(h1) + 64, frame, 64) == 0);
    n = recv(peer, d, sizeof(d), 0);
    CHECK_EQ(n, 12 + 8 + 4 + 64);
    static const uint8_t h2[] = {
        0x80, 0x80 | 26, 0, 10, 0, 0x01, 0x5F, 0x90, 0, 0, 0, 7,
        0, 0, 0, 64, 65, 255, 255, 1,
        0x01, 0x02, 0xFF, 0xFF,
    };
    CHECK(memcmp(d, h2, sizeof(h2)) == 0);
    CHECK(memcmp(d + sizeof(h2), frame + 64, 64) == 0);
    CHECK_EQ(r.sent_bytes, (n - 12) + (12 + 8 + 4 + 4 + 64 + 64 - 12));
    close(w);
    close(peer);
}

// Without tables Q is 0 and no packet has a table header.
static void test_no_tables_q0(void) {
    uint8_t frame[100];
    fill_pattern(frame, sizeof(frame), 5);
    cg_rtp_t r;
    CHECK_EQ(cg_rtp_init(&r, pktbuf, 64), 0);
    CHECK_EQ(cg_rtp_start(&r, frame, 100, 0, 100, 0, 640, 480, 0, NULL, 0, 0x12345678, NULL), 0);
    int w, peer;
    pair(SOCK_STREAM, &w, &peer);
    fd_writer_t fw = {w, 0, 0, 0, NULL, 0};
    CHECK_EQ(cg_rtp_send(&r, 3, fd_write, &fw), 0);
    uint8_t got[512];
    ssize_t n = read(peer, got, sizeof(got));
    CHECK_EQ(n, 2 * (4 + 12 + 8) + 100);
    expect_t e = expect_for(frame, 0, 100, 0, 0, NULL, 0, &r);
    e.first_seq = 0;
    frame_state_t st;
    CHECK_EQ(check_tcp_stream(got, (size_t)n, 3, &e, &st), (size_t)n);
    CHECK_EQ(st.packets, 2);
    close(w);
    close(peer);
}

// Fragment offsets step by max_payload at every length around a multiple of it (no empty
// last packet when the data ends on a boundary), at the smallest and largest max_payload.
static void test_fragment_offsets(void) {
    static uint8_t frame[6000], got[16384];
    uint8_t qt[128];
    fill_pattern(frame, sizeof(frame), 6);
    fill_pattern(qt, sizeof(qt), 7);
    static const size_t payloads[] = {64, 1000, 1460};
    for (size_t k = 0; k < 3; k++) {
        size_t mp = payloads[k];
        static const size_t lens[] = {1, 63, 64, 65, 999, 1000, 1001, 1460, 2920, 2921, 5000};
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            cg_rtp_t r;
            CHECK_EQ(cg_rtp_init(&r, pktbuf, mp), 0);
            r.seq = (uint16_t)(100 * i);
            CHECK_EQ(cg_rtp_start(&r, frame, sizeof(frame), 7, 7 + lens[i], 1, 640, 480, 0, qt, 128, 0x12345678, NULL), 0);
            int w, peer;
            pair(SOCK_STREAM, &w, &peer);
            int big = 1 << 20;
            setsockopt(w, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
            fd_writer_t fw = {w, 0, 0, 0, NULL, 0};
            expect_t e = expect_for(frame, 7, 7 + lens[i], 1, 0, qt, 128, &r);
            CHECK_EQ(cg_rtp_send(&r, 1, fd_write, &fw), 0);
            size_t packets = (lens[i] + mp - 1) / mp;
            CHECK_EQ(fw.calls, packets);
            ssize_t n = recv(peer, got, sizeof(got), MSG_DONTWAIT);
            CHECK(n > 0);
            frame_state_t st;
            CHECK_EQ(check_tcp_stream(got, (size_t)n, 1, &e, &st), (size_t)n);
            CHECK_EQ(st.packets, packets);
            CHECK_EQ(r.sent_packets, packets);
            CHECK_EQ(r.sent_bytes, st.payload_octets);
            close(w);
            close(peer);
        }
    }
}

// The sequence number wraps from 65535 to 0 inside a frame.
static void test_seq_wraps(void) {
    uint8_t frame[400];
    fill_pattern(frame, sizeof(frame), 8);
    cg_rtp_t r;
    CHECK_EQ(cg_rtp_init(&r, pktbuf, 100), 0);
    r.seq = 65534;
    CHECK_EQ(cg_rtp_start(&r, frame, 400, 0, 400, 1, 64, 64, 0, NULL, 0, 1, NULL), 0);
    int w, peer;
    pair(SOCK_DGRAM, &w, &peer);
    fd_writer_t fw = {w, 0, 0, 0, NULL, 0};
    CHECK_EQ(cg_rtp_send(&r, CG_RTP_UDP, fd_write, &fw), 0);
    static const uint32_t seqs[] = {65534, 65535, 0, 1};
    for (int i = 0; i < 4; i++) {
        uint8_t d[256];
        CHECK_EQ(recv(peer, d, sizeof(d), 0), 120);
        CHECK_EQ(get16(d + 2), seqs[i]);
    }
    CHECK_EQ(r.seq, 2);
    close(w);
    close(peer);
}

// A 120 kB frame (a VGA camera frame) over TCP with a small send buffer and a reader that
// reads slowly in odd sizes: sends stop at would-block in the middle of packets and resume
// there; the stream parses into exactly the frame.
static void test_resume_mid_packet_tcp(void) {
    size_t len = 120 * 1024;
    uint8_t *frame = malloc(len), *got = malloc(2 * len);
    uint8_t qt[128];
    CHECK(frame && got);
    fill_pattern(frame, len, 9);
    fill_pattern(qt, sizeof(qt), 10);
    cg_rtp_t r;
    CHECK_EQ(cg_rtp_init(&r, pktbuf, MAXP), 0);
    r.ssrc = 0xFEEDFACE;
    r.seq = 65000;
    int w, peer;
    tcp_pair(&w, &peer, 4096, 4096);
    set_nonblocking(w);
    fd_writer_t fw = {w, 0, 0, 0, &r, 0};
    size_t scan = 600, end = len - 2;
    expect_t e = expect_for(frame, scan, end, 1, 0, qt, 128, &r);
    CHECK_EQ(cg_rtp_start(&r, frame, len, scan, end, 1, 640, 480, 0, qt, 128, 0x12345678, NULL), 0);
    size_t packets = (end - scan + MAXP - 1) / MAXP;
    size_t total = packets * (4 + 12 + 8) + 4 + 128 + (end - scan);
    reader_t rd = {.fd = peer, .buf = got, .cap = 2 * len, .want = total, .pause = 300, .read_size = 997};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader_main, &rd) == 0);
    size_t calls = send_all(&r, 2, &fw);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(calls > 1);
    CHECK(fw.mid_packet_blocks >= 1); // really stopped inside a packet and resumed there
    CHECK_EQ(rd.got, total);
    frame_state_t st;
    CHECK_EQ(check_tcp_stream(got, rd.got, 2, &e, &st), total);
    CHECK_EQ(st.packets, packets);
    CHECK_EQ(r.sent_packets, packets);
    CHECK_EQ(r.sent_bytes, st.payload_octets);
    CHECK_EQ(r.seq, (uint16_t)(65000 + packets));
    close(w);
    close(peer);
    free(frame);
    free(got);
}

// A frame replaced by start() while a packet of the old one is half written (a slow viewer
// skipping frames): the old packet is finished from the packet buffer first, then the new
// frame follows; the TCP stream stays parseable, and the old frame's memory is not read
// again (it is freed before the resume, which ASan would catch). The socket "would block"
// after a byte budget, so the stop lands inside a packet on every run.
static void test_start_while_packet_pending(void) {
    size_t len = 64 * 1024;
    uint8_t *old = malloc(len), *frame = malloc(len), *got = malloc(4 * len);
    CHECK(old && frame && got);
    fill_pattern(old, len, 11);
    fill_pattern(frame, len, 12);
    cg_rtp_t r;
    CHECK_EQ(cg_rtp_init(&r, pktbuf, MAXP), 0);
    int w, peer;
    pair(SOCK_STREAM, &w, &peer);
    int big = 1 << 20;
    setsockopt(w, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    fd_writer_t fw = {w, 0, 0, 0, &r, 1 + 3000};
    CHECK_EQ(cg_rtp_start(&r, old, len, 0, len, 0, 320, 240, 0, NULL, 0, 1000, NULL), 0);
    CHECK_EQ(cg_rtp_send(&r, 0, fd_write, &fw), CG_WOULD_BLOCK);
    // Two whole packets of 4 + 12 + 8 + 1400 bytes, and 152 bytes of the third.
    CHECK_EQ(r.sent_packets, 2);
    CHECK_EQ(r.pkt_pos, 3000 - 2 * 1424);
    CHECK_EQ(fw.mid_packet_blocks, 1);
    CHECK(r.active);
    uint16_t seq = r.seq;
    CHECK_EQ(seq, 3);
    CHECK_EQ(cg_rtp_start(&r, frame, len, 100, len, 1, 640, 480, 0, NULL, 0, 2000, NULL), 0);
    memset(old, 0xEE, len);
    free(old);
    fw.budget = 0;
    send_all(&r, 0, &fw);
    CHECK_EQ(r.sent_packets, 3 + (len - 100 + MAXP - 1) / MAXP);
    size_t packets = (len - 100 + MAXP - 1) / MAXP;
    size_t new_total = packets * (4 + 12 + 8) + (len - 100);
    size_t total = 3 * 1424 + new_total;
    size_t n = 0;
    while (n < total) {
        ssize_t k = read(peer, got + n, 4 * len - n);
        CHECK(k > 0);
        n += (size_t)k;
    }
    CHECK_EQ(n, total);
    // The old frame's three packets, whole, then exactly the new frame.
    for (int i = 0; i < 3; i++) {
        const uint8_t *p = got + i * 1424;
        CHECK_EQ(p[0], '$');
        CHECK_EQ(get16(p + 2), 1420);
        CHECK_EQ(get16(p + 6), i);
        CHECK_EQ(get32(p + 8), 1000);
    }
    expect_t ex = {frame, 100, len, 1, 0, 640, 480, 0, NULL, 0, 2000, 0, seq, MAXP};
    frame_state_t st;
    CHECK_EQ(check_tcp_stream(got + 3 * 1424, new_total, 0, &ex, &st), new_total);
    close(w);
    close(peer);
    free(frame);
    free(got);
}

// UDP on loopback: one datagram per packet, each exactly one RTP packet, no prefix.
static void test_udp_datagrams(void) {
    size_t len = 50000;
    uint8_t *frame = malloc(len), *got = malloc(2 * len);
    uint8_t qt[128];
    CHECK(frame && got);
    fill_pattern(frame, len, 13);
    fill_pattern(qt, sizeof(qt), 14);
    cg_rtp_t r;
    CHECK_EQ(cg_rtp_init(&r, pktbuf, 1200), 0);
    r.ssrc = 0x01020304;
    int w, peer;
    udp_pair(&w, &peer);
    fd_writer_t fw = {w, 0, 0, 0, &r, 0};
    expect_t e = expect_for(frame, 0, len, 1, 0, qt, 128, &r);
    CHECK_EQ(cg_rtp_start(&r, frame, len, 0, len, 1, 640, 480, 0, qt, 128, 0x12345678, NULL), 0);
    size_t packets = (len + 1199) / 1200;
    reader_t rd = {.fd = peer, .buf = got, .cap = 2 * len, .want_dgrams = packets};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader_main, &rd) == 0);
    send_all(&r, CG_RTP_UDP, &fw);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK_EQ(rd.ndgrams, packets);
    CHECK_EQ(fw.calls - fw.would_blocks, packets);
    frame_state_t st;
    memset(&st, 0, sizeof(st));
    st.next_seq = 0;
    size_t pos = 0;
    for (size_t i = 0; i < packets; i++) {
        check_packet(got + pos, rd.dgram_len[i], &e, &st);
        pos += rd.dgram_len[i];
    }
    CHECK(st.marked);
    CHECK_EQ(rd.dgram_len[0], 12 + 8 + 4 + 128 + 1200);
    free(frame);
    free(got);
    close(w);
    close(peer);
}

// A datagram socket whose peer does not read fills up: send() stops at would-block with
// the datagram kept whole, and resumes with that same datagram once the peer reads.
static void test_udp_would_block_resume(void) {
    size_t len = 200000;
    uint8_t *frame = malloc(len), *got = malloc(2 * len);
    CHECK(frame && got);
    fill_pattern(frame, len, 15);
    cg_rtp_t r;
    CHECK_EQ(cg_rtp_init(&r, pktbuf, MAXP), 0);
    int w, peer;
    pair(SOCK_DGRAM, &w, &peer);
    fd_writer_t fw = {w, 0, 0, 0, &r, 0};
    expect_t e = expect_for(frame, 0, len, 0, 0, NULL, 0, &r);
    CHECK_EQ(cg_rtp_start(&r, frame, len, 0, len, 0, 640, 480, 0, NULL, 0, 0x12345678, NULL), 0);
    CHECK_EQ(cg_rtp_send(&r, CG_RTP_UDP, fd_write, &fw), CG_WOULD_BLOCK);
    CHECK_EQ(fw.mid_packet_blocks, 0); // a datagram is never half written
    CHECK_EQ(r.pkt_pos, 0);
    CHECK(r.pkt_len > 0); // ... but kept for the next call
    size_t packets = (len + MAXP - 1) / MAXP;
    reader_t rd = {.fd = peer, .buf = got, .cap = 2 * len, .want_dgrams = packets, .pause = 200};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader_main, &rd) == 0);
    send_all(&r, CG_RTP_UDP, &fw);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK_EQ(rd.ndgrams, packets);
    frame_state_t st;
    memset(&st, 0, sizeof(st));
    size_t pos = 0;
    for (size_t i = 0; i < packets; i++) {
        check_packet(got + pos, rd.dgram_len[i], &e, &st);
        pos += rd.dgram_len[i];
    }
    CHECK(st.marked);
    CHECK_EQ(r.sent_packets, packets);
    free(frame);
    free(got);
    close(w);
    close(peer);
}

// Bad arguments are EINVAL with a reason and leave the state alone; nothing is written.
static void test_bad_arguments(void) {
    uint8_t frame[100] = {0}, qt[128] = {0};
    cg_rtp_t r;
    CHECK_EQ(cg_rtp_init(&r, NULL, 100), EINVAL);
    CHECK_EQ(cg_rtp_init(&r, pktbuf, 63), EINVAL);
    CHECK_EQ(cg_rtp_init(&r, pktbuf, 1461), EINVAL);
    CHECK_EQ(cg_rtp_init(&r, pktbuf, 64), 0);
    static const struct {
        size_t scan, end;
        int type, width, height, dri;
        size_t qtlen;
    } bad[] = {
        {50, 40, 1, 64, 64, 0, 128},   // scan > end
        {0, 101, 1, 64, 64, 0, 128},   // end > len
        {10, 10, 1, 64, 64, 0, 128},   // no data
        {0, 100, 1, 60, 64, 0, 128},   // width not a multiple of 8
        {0, 100, 1, 64, 2048, 0, 128}, // height > 2040
        {0, 100, 1, 0, 64, 0, 128},    // width 0
        {0, 100, 2, 64, 64, 0, 128},   // type 2
        {0, 100, 65, 64, 64, 0, 128},  // restart type without dri
        {0, 100, 1, 64, 64, 16, 128},  // dri without restart type
        {0, 100, 65, 64, 64, 65536, 128},
        {0, 100, 1, 64, 64, 0, 100},   // table bytes
        {0, 100, -1, 64, 64, 0, 0},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *reason = NULL;
        CHECK_EQ(cg_rtp_start(&r, frame, 100, bad[i].scan, bad[i].end, bad[i].type, bad[i].width, bad[i].height,
                     bad[i].dri, qt, bad[i].qtlen, 0, &reason), EINVAL);
        CHECK(reason != NULL && reason[0] != '\0');
        CHECK(!r.active);
    }
    fd_writer_t fw = {-1, 0, 0, 0, NULL, 0};
    CHECK_EQ(cg_rtp_send(&r, 0, fd_write, &fw), 0); // no frame: done, nothing written
    CHECK_EQ(fw.calls, 0);
    CHECK_EQ(cg_rtp_start(&r, frame, 100, 0, 100, 1, 64, 64, 0, qt, 128, 0, NULL), 0);
    CHECK_EQ(cg_rtp_send(&r, 256, fd_write, &fw), EINVAL);
    CHECK_EQ(cg_rtp_send(&r, -2, fd_write, &fw), EINVAL);
    CHECK_EQ(cg_rtp_send(&r, 0, NULL, &fw), EINVAL);
    CHECK_EQ(fw.calls, 0);
    CHECK_EQ(r.seq, 0);
}

// Callbacks that break the contract end the send with EIO instead of overrunning the
// packet or sending half a datagram; a pending TCP packet refuses another channel.
static int cb_half(void *ctx, const uint8_t *buf, size_t len, size_t *written) {
    (void)buf;
    (*(int *)ctx)++;
    *written = len / 2;
    return 0;
}
static int cb_error(void *ctx, const uint8_t *buf, size_t len, size_t *written) {
    (void)buf;
    (void)len;
    (void)written;
    (*(int *)ctx)++;
    return ECONNRESET;
}
static void test_misbehaving_callbacks(void) {
    uint8_t frame[1000];
    fill_pattern(frame, sizeof(frame), 16);
    cg_rtp_t r;
    int calls = 0;
    CHECK_EQ(cg_rtp_init(&r, pktbuf, 100), 0);
    CHECK_EQ(cg_rtp_start(&r, frame, 1000, 0, 1000, 0, 64, 64, 0, NULL, 0, 0, NULL), 0);
    CHECK_EQ(cg_rtp_send(&r, 0, cb_overclaim, &calls), EIO);
    CHECK(cg_rtp_half_written_for_other(&r, CG_RTP_UDP) && !cg_rtp_half_written_for_other(&r, 0));
    CHECK_EQ(cg_rtp_send(&r, CG_RTP_UDP, cb_half, &calls), EINVAL); // pending TCP packet, UDP asked
    CHECK_EQ(calls, 1);
    CHECK_EQ(cg_rtp_init(&r, pktbuf, 100), 0);
    CHECK_EQ(cg_rtp_start(&r, frame, 1000, 0, 1000, 0, 64, 64, 0, NULL, 0, 0, NULL), 0);
    CHECK(!cg_rtp_half_written_for_other(&r, 1)); // nothing pending
    CHECK_EQ(cg_rtp_send(&r, CG_RTP_UDP, cb_half, &calls), EIO); // half a datagram
    CHECK_EQ(cg_rtp_send(&r, CG_RTP_UDP, cb_error, &calls), ECONNRESET);
    CHECK_EQ(r.sent_packets, 0);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    static const test_case_t tests[] = {
        {"type1_tables_byte_exact", test_type1_tables_byte_exact},
        {"type65_dri_byte_exact", test_type65_dri_byte_exact},
        {"no_tables_q0", test_no_tables_q0},
        {"fragment_offsets", test_fragment_offsets},
        {"seq_wraps", test_seq_wraps},
        {"resume_mid_packet_tcp", test_resume_mid_packet_tcp},
        {"start_while_packet_pending", test_start_while_packet_pending},
        {"udp_datagrams", test_udp_datagrams},
        {"udp_would_block_resume", test_udp_would_block_resume},
        {"bad_arguments", test_bad_arguments},
        {"misbehaving_callbacks", test_misbehaving_callbacks},
    };
    size_t n = sizeof(tests) / sizeof(tests[0]);
    run_tests(tests, n);
    printf("all %zu tests passed\n", n);
    return 0;
}
