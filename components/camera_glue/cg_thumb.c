// The DC thumbnail of a baseline JPEG (cg_thumb.h). Section numbers are ITU T.81's.
#include "cg_thumb.h"

#include <string.h>

#define M_SOF0 0xC0 // baseline sequential, Huffman
#define M_SOF1 0xC1 // extended sequential, Huffman (8-bit: the same entropy coding)
#define M_DHT 0xC4
#define M_SOI 0xD8
#define M_EOI 0xD9
#define M_SOS 0xDA
#define M_DQT 0xDB
#define M_DNL 0xDC
#define M_DRI 0xDD
#define M_RST0 0xD0

#define MAX_COMPONENTS 4
#define MAX_BLOCKS_PER_MCU 10 // B.2.3

// ---- the entropy-coded data, bit by bit (F.2.2.5), with byte stuffing (B.1.1.5)

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
    uint32_t acc; // the next n bits, most significant first
    int n;
    int marker; // the marker that stopped the data (0: none yet)
    int fake; // zero bytes fed after the data stopped (a marker, or the end of the buffer)
} bits_t;

// Tops acc up to at least 25 bits. Past a marker or the end, zero bytes are fed and
// counted: a decode that consumes them ran off its data (checked with ran_out()).
static void refill(bits_t *b) {
    while (b->n <= 24) {
        uint32_t byte = 0;
        if (b->marker == 0 && b->p < b->end) {
            byte = *b->p;
            if (byte != 0xFF) {
                b->p++;
            } else {
                const uint8_t *q = b->p + 1;
                if (q < b->end && *q == 0x00) {
                    b->p += 2; // a stuffed 0xFF data byte
                } else {
                    while (q < b->end && *q == 0xFF) {
                        q++; // fill bytes before a marker (B.1.1.2)
                    }
                    b->marker = q < b->end ? *q : M_EOI;
                    b->p = q;
                    byte = 0;
                    b->fake++;
                }
            }
        } else {
            b->fake++;
        }
        b->acc |= byte << (24 - b->n);
        b->n += 8;
    }
}

static int ran_out(const bits_t *b) {
    return b->fake * 8 > b->n; // some of the fed zero bytes' bits were consumed
}

static void skip_bits(bits_t *b, int k) {
    b->acc <<= k; // k <= 16: never the whole word
    b->n -= k;
}

// The next s bits (s <= 16) as a signed difference (F.2.2.1 EXTEND).
static int32_t receive_extend(bits_t *b, int s) {
    if (s == 0) {
        return 0;
    }
    if (b->n < s) {
        refill(b);
    }
    int32_t v = (int32_t)(b->acc >> (32 - s));
    skip_bits(b, s);
    return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
}

// One Huffman-coded value (F.2.2.3), or -1 for a code the table does not have.
static int decode(bits_t *b, const cg_huff_t *h) {
    if (b->n < 16) {
        refill(b);
    }
    uint32_t e = h->fast[b->acc >> (32 - CG_THUMB_FAST_BITS)];
    if (e != 0) {
        skip_bits(b, (int)(e >> 8));
        return (int)(e & 0xFF);
    }
    uint32_t code16 = b->acc >> 16;
    for (int l = CG_THUMB_FAST_BITS + 1; l <= 16; l++) {
        int32_t c = (int32_t)(code16 >> (16 - l));
        if (c <= h->maxcode[l]) {
            skip_bits(b, l);
            return h->vals[h->valptr[l] + c];
        }
    }
    return -1;
}

// ---- marker segments (B.2)

typedef struct {
    uint8_t id;
    uint8_t h, v; // sampling factors
    uint8_t tq; // quantization table
    uint8_t td, ta; // Huffman tables of the scan
} comp_t;

typedef struct {
    const uint8_t *p; // the segment's parameters (after its length)
    size_t len;
} seg_t;

static uint32_t be16(const uint8_t *p) {
    return (uint32_t)p[0] << 8 | p[1];
}

// Table generation of C.2 and the decoding tables of F.2.2.3, checking that the code
// lengths do not overflow (a hostile table could otherwise claim 2**16 codes).
static const char *build_huff(cg_huff_t *h, const uint8_t *counts, const uint8_t *vals, int total) {
    memset(h, 0, sizeof(*h));
    memcpy(h->vals, vals, (size_t)total);
    int32_t code = 0;
    int k = 0;
    for (int l = 1; l <= 16; l++) {
        int n = counts[l - 1];
        h->valptr[l] = k - code;
        for (int i = 0; i < n; i++, code++, k++) {
            if (code >= (1 << l)) {
                return "bad Huffman table (too many codes)";
            }
            if (l <= CG_THUMB_FAST_BITS) {
                int shift = CG_THUMB_FAST_BITS - l;
                for (int j = 0; j < (1 << shift); j++) {
                    h->fast[(code << shift) + j] = (uint16_t)(l << 8 | vals[k]);
                }
            }
        }
        h->maxcode[l] = n ? code - 1 : -1;
        code <<= 1;
    }
    h->maxcode[17] = 0x7FFFFFFF;
    h->defined = 1;
    return NULL;
}

static const char *parse_dht(cg_thumb_t *t, seg_t s) {
    size_t i = 0;
    while (i < s.len) {
        if (s.len - i < 17) {
            return "bad DHT segment";
        }
        int tc = s.p[i] >> 4;
        int th = s.p[i] & 15;
        if (tc > 1 || th > 3) {
            return "bad DHT segment (table class or number)";
        }
        const uint8_t *counts = s.p + i + 1;
        int total = 0;
        for (int l = 0; l < 16; l++) {
            total += counts[l];
        }
        if (total > 256 || s.len - i - 17 < (size_t)total) {
            return "bad DHT segment (value count)";
        }
        const char *err = build_huff(tc ? &t->ac[th] : &t->dc[th], counts, s.p + i + 17, total);
        if (err) {
            return err;
        }
        i += 17 + (size_t)total;
    }
    return NULL;
}

static const char *parse_dqt(cg_thumb_t *t, seg_t s) {
    size_t i = 0;
    while (i < s.len) {
        int pq = s.p[i] >> 4;
        int tq = s.p[i] & 15;
        size_t size = pq ? 128 : 64;
        if (pq > 1 || tq > 3 || s.len - i - 1 < size) {
            return "bad DQT segment";
        }
        // Entry 0 in zig-zag order is the DC's (B.2.4.1).
        t->q0[tq] = (uint16_t)(pq ? be16(s.p + i + 1) : s.p[i + 1]);
        t->q_defined |= (uint8_t)(1 << tq);
        i += 1 + size;
    }
    return NULL;
}

static const char *parse_sof(cg_thumb_t *t, seg_t s, comp_t *comps, int *nf) {
    if (s.len < 6) {
        return "bad SOF segment";
    }
    if (s.p[0] != 8) {
        return "only 8-bit samples are supported";
    }
    t->height = (uint16_t)be16(s.p + 1);
    t->width = (uint16_t)be16(s.p + 3);
    *nf = s.p[5];
    if (t->height == 0) {
        return "height defined by DNL is not supported";
    }
    if (t->width == 0) {
        return "bad SOF segment (zero width)";
    }
    if (*nf != 1 && *nf != 3) {
        return "only 1 or 3 components are supported";
    }
    if (s.len != 6 + 3 * (size_t)*nf) {
        return "bad SOF segment (length)";
    }
    for (int i = 0; i < *nf; i++) {
        const uint8_t *c = s.p + 6 + 3 * i;
        comps[i].id = c[0];
        comps[i].h = c[1] >> 4;
        comps[i].v = c[1] & 15;
        comps[i].tq = c[2];
        if (comps[i].h < 1 || comps[i].h > 4 || comps[i].v < 1 || comps[i].v > 4 || comps[i].tq > 3) {
            return "bad SOF segment (sampling factor or table)";
        }
    }
    return NULL;
}

static const char *parse_sos(seg_t s, comp_t *comps, int nf) {
    if (s.len < 1 || s.len != 4 + 2 * (size_t)s.p[0]) {
        return "bad SOS segment";
    }
    if (s.p[0] != nf) {
        return "only one interleaved scan of every component is supported";
    }
    for (int i = 0; i < nf; i++) {
        const uint8_t *c = s.p + 1 + 2 * i;
        if (c[0] != comps[i].id) {
            return "scan components do not match the frame's";
        }
        comps[i].td = c[1] >> 4;
        comps[i].ta = c[1] & 15;
        if (comps[i].td > 3 || comps[i].ta > 3) {
            return "bad SOS segment (table number)";
        }
    }
    const uint8_t *end = s.p + 1 + 2 * nf;
    if (end[0] != 0 || end[1] != 63 || end[2] != 0) {
        return "not a sequential scan";
    }
    return NULL;
}

// ---- the scan

typedef struct {
    const cg_huff_t *dc;
    const cg_huff_t *ac;
    int32_t pred; // the DC predictor (F.2.1.3.1)
    uint8_t h, v;
} scan_comp_t;

// One block: its DC coefficient (quantized) into *dc, its AC codes skipped.
static const char *block(bits_t *b, scan_comp_t *c, int32_t *dc) {
    int s = decode(b, c->dc);
    if (s < 0 || s > 11) {
        return "corrupt data (bad DC code)";
    }
    c->pred += receive_extend(b, s);
    if (c->pred < -2048 || c->pred > 2047) {
        return "corrupt data (DC out of range)";
    }
    *dc = c->pred;
    for (int k = 1; k < 64;) {
        int rs = decode(b, c->ac);
        if (rs < 0) {
            return "corrupt data (bad AC code)";
        }
        int run = rs >> 4;
        int size = rs & 15;
        if (size == 0) {
            if (run != 15) {
                break; // end of block
            }
            k += 16;
        } else {
            k += run + 1;
            if (b->n < size) {
                refill(b);
            }
            skip_bits(b, size);
        }
        if (k > 64) {
            return "corrupt data (AC run past the block's end)";
        }
    }
    return NULL;
}

// The 0..255 mean of a block whose quantized DC is dc. The DCT of A.3.3 makes the DC
// coefficient 1/8 of the sum of the block's 64 level-shifted samples (A.3.1), so the mean
// is DC / 8 + 128; rounded, and clamped as a decoder clamps its samples.
static uint8_t mean(int32_t dc, uint32_t q0) {
    int32_t x = dc * (int32_t)q0 + 128 * 8 + 4;
    if (x < 0) {
        return 0;
    }
    x >>= 3;
    return (uint8_t)(x > 255 ? 255 : x);
}

// The restart marker that must follow an interval (B.2.1), after the interval's
// padding bits: anything else (or real data left over) is corruption.
static const char *restart(bits_t *b, int expected) {
    if (ran_out(b)) {
        return "entropy-coded data ends early";
    }
    if (b->n - b->fake * 8 >= 8) {
        return "corrupt data (restart interval too long)";
    }
    if (b->marker == 0) {
        const uint8_t *q = b->p;
        if (q >= b->end || *q != 0xFF) {
            return "corrupt data (restart marker missing)";
        }
        while (q < b->end && *q == 0xFF) {
            q++;
        }
        b->marker = q < b->end ? *q : M_EOI;
        b->p = q;
    }
    if (b->marker != M_RST0 + (expected & 7)) {
        return "corrupt data (restart marker missing or out of order)";
    }
    b->p++;
    b->marker = 0;
    b->acc = 0;
    b->n = 0;
    b->fake = 0;
    return NULL;
}

static const char *scan(cg_thumb_t *t, const comp_t *comps, int nf, unsigned ri, const uint8_t *data,
    const uint8_t *end, uint8_t *out, size_t cap) {
    scan_comp_t sc[MAX_COMPONENTS];
    int hmax = 1, vmax = 1, blocks = 0;
    for (int i = 0; i < nf; i++) {
        if (!t->dc[comps[i].td].defined || !t->ac[comps[i].ta].defined) {
            return "missing Huffman table";
        }
        if (!(t->q_defined & (1 << comps[i].tq))) {
            return "missing quantization table";
        }
        sc[i].dc = &t->dc[comps[i].td];
        sc[i].ac = &t->ac[comps[i].ta];
        sc[i].pred = 0;
        // A single-component scan is not interleaved: its MCU is one block (A.2.2).
        sc[i].h = nf == 1 ? 1 : comps[i].h;
        sc[i].v = nf == 1 ? 1 : comps[i].v;
        hmax = sc[i].h > hmax ? sc[i].h : hmax;
        vmax = sc[i].v > vmax ? sc[i].v : vmax;
        blocks += sc[i].h * sc[i].v;
    }
    if (blocks > MAX_BLOCKS_PER_MCU) {
        return "bad SOF segment (too many blocks per MCU)";
    }
    uint32_t q0 = t->q0[comps[0].tq];
    // The luma plane's size in blocks (A.1.1): the thumbnail. Blocks the MCUs carry past
    // the picture's edge are decoded and dropped.
    uint32_t lw = ((uint32_t)t->width * sc[0].h + (uint32_t)hmax - 1) / (uint32_t)hmax;
    uint32_t lh = ((uint32_t)t->height * sc[0].v + (uint32_t)vmax - 1) / (uint32_t)vmax;
    uint32_t tw = (lw + 7) / 8;
    uint32_t th = (lh + 7) / 8;
    uint32_t mcux = (t->width + 8u * (uint32_t)hmax - 1) / (8u * (uint32_t)hmax);
    uint32_t mcuy = (t->height + 8u * (uint32_t)vmax - 1) / (8u * (uint32_t)vmax);
    t->thumb_width = (uint16_t)tw;
    t->thumb_height = (uint16_t)th;
    if ((size_t)tw * th > cap) {
        return "thumbnail buffer too small for this frame size";
    }
    bits_t b = {data, end, 0, 0, 0, 0};
    uint32_t left = ri;
    int rst = 0;
    for (uint32_t my = 0; my < mcuy; my++) {
        for (uint32_t mx = 0; mx < mcux; mx++) {
            if (ri && left == 0) {
                const char *err = restart(&b, rst++);
                if (err) {
                    return err;
                }
                for (int i = 0; i < nf; i++) {
                    sc[i].pred = 0;
                }
                left = ri;
            }
            for (int i = 0; i < nf; i++) {
                for (uint32_t v = 0; v < sc[i].v; v++) {
                    for (uint32_t h = 0; h < sc[i].h; h++) {
                        int32_t dc;
                        const char *err = block(&b, &sc[i], &dc);
                        if (err) {
                            return err;
                        }
                        uint32_t bx = mx * sc[i].h + h;
                        uint32_t by = my * sc[i].v + v;
                        if (i == 0 && bx < tw && by < th) {
                            out[by * tw + bx] = mean(dc, q0);
                        }
                    }
                }
            }
            if (ran_out(&b)) {
                return "entropy-coded data ends early";
            }
            left--;
        }
    }
    return NULL;
}

const char *cg_thumb(cg_thumb_t *t, const uint8_t *jpg, size_t len, uint8_t *out, size_t cap) {
    memset(t, 0, sizeof(*t));
    comp_t comps[MAX_COMPONENTS];
    int nf = 0;
    unsigned ri = 0;
    if (len < 4 || jpg[0] != 0xFF || jpg[1] != M_SOI) {
        return "not a JPEG (no SOI marker)";
    }
    size_t i = 2;
    for (;;) {
        // A marker: 0xFF, optional fill bytes, the code (B.1.1.2).
        if (i >= len || jpg[i] != 0xFF) {
            return i >= len ? "data ends before the scan" : "corrupt data (marker expected)";
        }
        while (i < len && jpg[i] == 0xFF) {
            i++;
        }
        if (i >= len) {
            return "data ends before the scan";
        }
        int m = jpg[i++];
        if (m == M_EOI) {
            return "no scan in the data";
        }
        if (m == 0x01 || (m >= M_RST0 && m <= M_RST0 + 7)) {
            continue; // markers without a segment
        }
        if (len - i < 2 || be16(jpg + i) < 2 || len - i < be16(jpg + i)) {
            return "data ends inside a marker segment";
        }
        seg_t s = {jpg + i + 2, be16(jpg + i) - 2};
        i += 2 + s.len;
        const char *err = NULL;
        switch (m) {
            case M_SOF0:
            case M_SOF1:
                if (nf) {
                    return "more than one SOF segment";
                }
                err = parse_sof(t, s, comps, &nf);
                break;
            case 0xC2:
            case 0xC6:
            case 0xCA:
            case 0xCE:
                return "progressive JPEG is not supported";
            case 0xC3:
            case 0xC7:
            case 0xCB:
            case 0xCF:
                return "lossless JPEG is not supported";
            case 0xC5:
                return "hierarchical JPEG is not supported";
            case 0xC9:
            case 0xCD:
                return "arithmetic coding is not supported";
            case M_DHT:
                err = parse_dht(t, s);
                break;
            case 0xCC:
                return "arithmetic coding is not supported";
            case M_DQT:
                err = parse_dqt(t, s);
                break;
            case M_DRI:
                if (s.len != 2) {
                    return "bad DRI segment";
                }
                ri = be16(s.p);
                break;
            case M_DNL:
                return "DNL is not supported";
            case M_SOS:
                if (!nf) {
                    return "scan before the frame header";
                }
                err = parse_sos(s, comps, nf);
                if (err) {
                    return err;
                }
                return scan(t, comps, nf, ri, jpg + i, jpg + len, out, cap);
            default:
                break; // APPn, COM and the rest: skipped
        }
        if (err) {
            return err;
        }
    }
}
