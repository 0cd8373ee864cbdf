// The RTP/JPEG packetizer (see cg_rtp.h). Plain C99, no allocation, no MicroPython.
//
// A packet, as built in the packet buffer (fields big-endian):
//   [TCP only] '$', channel, length of the rest (RFC 2326 10.12)
//   RTP header, 12 bytes (RFC 3550 5.1): V=2 P=0 X=0 CC=0 | M PT=26 | seq | timestamp | ssrc
//   JPEG header, 8 bytes (RFC 2435 3.1): type-specific 0 | 24-bit fragment offset | type | Q |
//       width/8 | height/8
//   restart marker header, 4 bytes, types 64..127 only (RFC 2435 3.1.7): dri | F=1 L=1
//       restart count 0x3FFF (each packet may hold any part of the scan, so no count is claimed)
//   quantization table header + tables, in the packet at fragment offset 0 only, when
//       Q >= 128 (RFC 2435 3.1.8): MBZ 0 | precision 0 (8-bit tables) | length | tables
//   entropy-coded data: frame[scan + offset : ...], at most max_payload bytes
// The marker bit is set on the packet that carries the frame's last byte (RFC 2435 3).
#include <errno.h>
#include <string.h>

#include "cg_rtp.h"

#define RTP_VERSION_BYTE 0x80 // V=2, P=0, X=0, CC=0
#define RTP_MARKER 0x80
#define RTP_PT_JPEG 26
#define JPEG_TYPE_RESTART 64
#define Q_INBAND_TABLES 255
#define FRAGMENT_OFFSET_LIMIT (1u << 24)

static void put16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 16);
    put16(p + 1, v);
}

static void put32(uint8_t *p, uint32_t v) {
    put16(p, v >> 16);
    put16(p + 2, v);
}

int cg_rtp_init(cg_rtp_t *r, uint8_t *pkt, size_t max_payload) {
    if (pkt == NULL || max_payload < CG_RTP_MAX_PAYLOAD_MIN || max_payload > CG_RTP_MAX_PAYLOAD_MAX) {
        return EINVAL;
    }
    memset(r, 0, sizeof(*r));
    r->pkt = pkt;
    r->max_payload = max_payload;
    r->pkt_channel = CG_RTP_UDP;
    return 0;
}

static int dim_ok(int v) {
    return v >= 8 && v <= CG_RTP_DIM_MAX && v % 8 == 0;
}

int cg_rtp_start(cg_rtp_t *r, const uint8_t *frame, size_t len, size_t scan, size_t end, int type,
    int width, int height, int dri, const uint8_t *qtables, size_t qtables_len, uint32_t timestamp,
    const char **reason) {
    const char *bad = NULL;
    // Types 0 (4:2:2) and 1 (4:2:0), +64 when the scan has restart markers: the restart
    // header's presence follows the type, so the two must agree.
    int base = type & ~JPEG_TYPE_RESTART;
    if ((frame == NULL && len != 0) || scan > end || end > len) {
        bad = "need 0 <= scan <= end <= len(buf)";
    } else if (scan == end || end - scan >= FRAGMENT_OFFSET_LIMIT) {
        bad = "scan data must be 1 byte to 16 MB (24-bit fragment offset)";
    } else if (!dim_ok(width) || !dim_ok(height)) {
        bad = "width and height must be multiples of 8 in 8..2040";
    } else if (dri < 0 || dri > 0xFFFF) {
        bad = "dri must be 0..65535";
    } else if (type < 0 || type > 127 || (base != 0 && base != 1)) {
        bad = "jpeg_type must be 0 or 1, +64 with restart markers";
    } else if (((type & JPEG_TYPE_RESTART) != 0) != (dri != 0)) {
        bad = "jpeg_type has +64 exactly when dri != 0";
    } else if (!(qtables_len == 0 || qtables_len == 64 || qtables_len == 128) || (qtables == NULL && qtables_len != 0)) {
        bad = "qtables must be 0, 64 or 128 bytes";
    }
    if (bad != NULL) {
        if (reason != NULL) {
            *reason = bad;
        }
        return EINVAL;
    }
    r->frame = frame;
    r->scan = scan;
    r->end = end;
    r->next = scan;
    r->timestamp = timestamp;
    r->dri = (uint16_t)dri;
    r->type = (uint8_t)type;
    // Q >= 128 tells the receiver the tables come in-band; without tables there is
    // nothing the receiver could rebuild the DQT from, Q 0 says so.
    r->q = qtables_len ? Q_INBAND_TABLES : 0;
    r->width8 = (uint8_t)(width / 8);
    r->height8 = (uint8_t)(height / 8);
    // Copied (at most 128 bytes per frame): the caller's table object need not outlive start().
    r->qtables_len = (uint8_t)qtables_len;
    if (qtables_len) {
        memcpy(r->qtables, qtables, qtables_len);
    }
    r->active = 1;
    return 0;
}

// Builds the next fragment's packet into the buffer for channel and takes its sequence number.
static void build_packet(cg_rtp_t *r, int channel) {
    size_t offset = r->next - r->scan;
    size_t n = r->end - r->next;
    if (n > r->max_payload) {
        n = r->max_payload;
    }
    int last = r->next + n == r->end;
    uint8_t *p = r->pkt + (channel >= 0 ? CG_RTP_PREFIX_LEN : 0);
    uint8_t *start = p;

    p[0] = RTP_VERSION_BYTE;
    p[1] = (uint8_t)((last ? RTP_MARKER : 0) | RTP_PT_JPEG);
    put16(p + 2, r->seq);
    put32(p + 4, r->timestamp);
    put32(p + 8, r->ssrc);
    p += CG_RTP_RTP_LEN;

    p[0] = 0; // type-specific
    put24(p + 1, (uint32_t)offset);
    p[4] = r->type;
    p[5] = r->q;
    p[6] = r->width8;
    p[7] = r->height8;
    p += CG_RTP_JPEG_LEN;

    if (r->type & JPEG_TYPE_RESTART) {
        put16(p, r->dri);
        p[2] = 0xFF; // F=1, L=1, restart count 0x3FFF
        p[3] = 0xFF;
        p += CG_RTP_RESTART_LEN;
    }
    if (r->q >= 128 && offset == 0) {
        p[0] = 0; // MBZ
        p[1] = 0; // precision: every table 8-bit
        put16(p + 2, r->qtables_len);
        memcpy(p + CG_RTP_QUANT_LEN, r->qtables, r->qtables_len);
        p += CG_RTP_QUANT_LEN + r->qtables_len;
    }
    memcpy(p, r->frame + r->next, n);
    p += n;

    size_t rtp_len = (size_t)(p - start);
    if (channel >= 0) {
        r->pkt[0] = '$';
        r->pkt[1] = (uint8_t)channel;
        put16(r->pkt + 2, (uint32_t)rtp_len);
    }
    r->pkt_len = (size_t)(p - r->pkt);
    r->pkt_pos = 0;
    r->pkt_payload = rtp_len - CG_RTP_RTP_LEN;
    r->pkt_channel = channel;
    r->seq++; // uint16_t: wraps 65535 -> 0
    r->next += n;
    if (last) {
        // Every byte of the frame is in a packet: the frame is no longer read.
        r->active = 0;
        r->frame = NULL;
    }
}

// Writes the pending packet. 0 when it is out, else CG_WOULD_BLOCK or an errno.
static int flush_packet(cg_rtp_t *r, cg_write_fn write_fn, void *ctx) {
    while (r->pkt_pos < r->pkt_len) {
        size_t want = r->pkt_len - r->pkt_pos;
        size_t took = 0;
        int e = write_fn(ctx, r->pkt + r->pkt_pos, want, &took);
        if (e == CG_WOULD_BLOCK || (e == 0 && took == 0)) {
            return CG_WOULD_BLOCK;
        }
        if (e != 0) {
            return e > 0 ? e : EIO;
        }
        // A datagram is sent whole or not at all; a stream write never takes more than offered.
        if (took > want || (r->pkt_channel < 0 && took != want)) {
            return EIO;
        }
        r->pkt_pos += took;
    }
    if (r->pkt_len != 0) {
        r->sent_packets++;
        r->sent_bytes += r->pkt_payload;
        r->pkt_len = r->pkt_pos = 0;
    }
    return 0;
}

bool cg_rtp_half_written_for_other(const cg_rtp_t *r, int channel) {
    return r->pkt_pos < r->pkt_len && channel != r->pkt_channel;
}

int cg_rtp_send(cg_rtp_t *r, int channel, cg_write_fn write_fn, void *ctx) {
    if (channel < CG_RTP_UDP || channel > 255 || write_fn == NULL) {
        return EINVAL;
    }
    // Finishing a pending packet on another channel would break the stream: that is the
    // caller's error, and nothing is written.
    if (cg_rtp_half_written_for_other(r, channel)) {
        return EINVAL;
    }
    for (;;) {
        int e = flush_packet(r, write_fn, ctx);
        if (e != 0) {
            return e;
        }
        if (!r->active) {
            return 0;
        }
        build_packet(r, channel);
    }
}
