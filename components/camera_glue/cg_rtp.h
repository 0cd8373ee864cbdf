// cg_rtp: the RTP/JPEG packetizer of camera_glue (RFC 2435 over RFC 3550), in plain C.
//
// One cg_rtp_t per media stream. start() takes a frame's entropy-coded data and what the
// caller parsed from its JPEG header; send() cuts the data into fragments of at most
// max_payload bytes and writes one RTP packet per fragment through a cg_write_fn (the
// socket's stream write in the binding, write(2) in the gcc tests), until the frame is
// done or the socket would block, and resumes exactly there on the next call.
//
// Every packet is assembled in ONE packet buffer the caller hands in once (cg_rtp_init),
// headers and payload together, and written with one call:
// * UDP needs it: one datagram must be one write, so the fragment has to sit behind its
//   headers in contiguous memory anyway.
// * TCP gains from it: a header write followed by a payload write straight from the
//   frame would, with TCP_NODELAY on (the server sets it on every socket), leave as two
//   segments, a 24..168-byte one and the fragment, and cost two socket calls (on the board
//   each is an lwIP message to the TCP/IP task; lwip_send copies into pbufs either way).
//   The copy it saves is one memcpy of at most max_payload bytes per packet, less than the
//   second call costs.
// * A packet half written when the socket would block lives in the packet buffer, not in
//   the frame: when start() begins the next frame before the old one was sent out (a slow
//   viewer skips frames), send() first finishes that packet from the buffer, so the TCP
//   interleaved stream never breaks mid-packet, and the old frame is no longer needed.
//
// No allocation, no MicroPython. cg_rtp.c says where each header field comes from.
#ifndef CG_RTP_H
#define CG_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cg_send.h"

// Bytes in front of the payload in the worst case: interleave prefix ($, channel, length),
// RTP header, JPEG header, restart marker header, quantization table header with two
// 64-byte 8-bit tables.
#define CG_RTP_PREFIX_LEN 4
#define CG_RTP_RTP_LEN 12
#define CG_RTP_JPEG_LEN 8
#define CG_RTP_RESTART_LEN 4
#define CG_RTP_QUANT_LEN 4
#define CG_RTP_QTABLES_MAX 128
#define CG_RTP_HEADROOM (CG_RTP_PREFIX_LEN + CG_RTP_RTP_LEN + CG_RTP_JPEG_LEN + CG_RTP_RESTART_LEN + CG_RTP_QUANT_LEN + CG_RTP_QTABLES_MAX)

// max_payload: entropy-coded bytes per packet. A frame's first packet carries up to 156
// bytes of RTP and JPEG headers: for UDP on a 1500-byte MTU, max_payload <= 1316 keeps it
// in one IP packet (20 IP + 8 UDP + 156 + 1316 = 1500).
#define CG_RTP_MAX_PAYLOAD_MIN 64
#define CG_RTP_MAX_PAYLOAD_MAX 1460

// The size of the packet buffer cg_rtp_init needs for max_payload.
#define CG_RTP_BUF_LEN(max_payload) (CG_RTP_HEADROOM + (max_payload))

// The largest width or height RFC 2435 can carry (width/8 in one byte).
#define CG_RTP_DIM_MAX 2040

// The channel that means "connected UDP socket": no interleave prefix, one write per datagram.
#define CG_RTP_UDP (-1)

typedef struct {
    // Configuration (cg_rtp_init) and the caller's read/write state.
    uint8_t *pkt;        // CG_RTP_BUF_LEN(max_payload) bytes, owned by the caller
    size_t max_payload;
    uint32_t ssrc;
    uint16_t seq;        // sequence number of the next packet built
    uint64_t sent_packets; // packets written completely (for RTCP sender reports)
    uint64_t sent_bytes;   // their RTP payload octets: JPEG header(s) + data

    // The current frame (cg_rtp_start). frame may be re-pointed between send() calls (the
    // binding re-reads the buffer each time) as long as it holds the same bytes.
    const uint8_t *frame;
    size_t scan;         // frame[scan:end] is the entropy-coded data
    size_t end;
    size_t next;         // offset into frame of the next fragment not yet copied into a packet
    uint32_t timestamp;
    uint16_t dri;
    uint8_t type, q, width8, height8;
    uint8_t qtables_len; // 0, 64 or 128
    uint8_t qtables[CG_RTP_QTABLES_MAX];
    uint8_t active;      // a frame has packets left to build

    // The packet in the buffer: pkt[0:pkt_len], of which pkt[0:pkt_pos] are written.
    // pkt_pos < pkt_len means a packet is pending: it is finished before anything else.
    size_t pkt_len;
    size_t pkt_pos;
    size_t pkt_payload;  // its RTP payload octets, counted into sent_bytes when it is done
    int pkt_channel;     // the channel it was built for
} cg_rtp_t;

// Sets up r over the packet buffer pkt (CG_RTP_BUF_LEN(max_payload) bytes). ssrc and seq
// start at 0. EINVAL when max_payload is outside CG_RTP_MAX_PAYLOAD_MIN..MAX or pkt is NULL.
int cg_rtp_init(cg_rtp_t *r, uint8_t *pkt, size_t max_payload);

// Begins a frame: frame[scan:end] (len is the size of frame) is its entropy-coded data;
// type, width, height, dri and the 8-bit tables (qtables_len 0, 64 or 128, zig-zag order
// as in the DQT segment) describe it; timestamp is its 90 kHz RTP timestamp. The tables
// are copied; frame is read until the frame's last packet is built. Returns EINVAL, with r
// unchanged and *reason (when reason is not NULL) set to a one-line text, when scan > end,
// end > len, the data is empty or longer than the 24-bit fragment offset reaches, width or
// height is not a multiple of 8 in 8..2040, type is not 0 or 1 (+64 exactly when
// dri != 0), or qtables_len is not 0, 64 or 128. A packet still pending from the previous
// frame stays pending (its bytes are in the packet buffer) and goes out first.
int cg_rtp_start(cg_rtp_t *r, const uint8_t *frame, size_t len, size_t scan, size_t end, int type,
    int width, int height, int dri, const uint8_t *qtables, size_t qtables_len, uint32_t timestamp,
    const char **reason);

// Writes the rest of the current frame's packets. channel >= 0 (0..255): TCP interleaved,
// each packet prefixed by '$', channel, 16-bit length. CG_RTP_UDP: a connected datagram
// socket, one write per packet. Returns 0 when the frame is completely sent (also when no
// frame was started), CG_WOULD_BLOCK when the socket cannot take more now (call again when
// it is writable), or a positive errno: EIO for a write callback that breaks its contract
// (claims more than offered, or a UDP datagram written in part), EINVAL for a bad channel
// or a channel other than the one a pending packet was built for.
int cg_rtp_send(cg_rtp_t *r, int channel, cg_write_fn write_fn, void *ctx);

// True when a packet is half written for a channel other than channel: it was numbered and
// framed for its own, so cg_rtp_send refuses to finish it there (EINVAL).
bool cg_rtp_half_written_for_other(const cg_rtp_t *r, int channel);

#endif // CG_RTP_H
