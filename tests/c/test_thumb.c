// Tests of the JPEG DC thumbnail (components/camera_glue/cg_thumb.c), built with -Wall -Wextra
// -Werror under AddressSanitizer and UBSan by tests/c/test_thumb.py, which writes the frames
// with Pillow into the directory given as argv[1]:
//   cases.txt         one line per frame: "<name> <thumb width> <thumb height>"
//   <name>.jpg        the frame; <name>.ref its luma block means from Pillow's full decode,
//                     <name>.cmp 1 for each block to compare (none of its pixels clamped)
//   refused.txt       one line per frame to be refused: "<name> <words the reason contains>"
// Every output buffer is malloc'ed at exactly the size given to cg_thumb(), so a write past
// it is an ASan error. Prints "ok <name>" per test.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_thumb.h"
#include "check.h"

#define TOLERANCE_MAX 2 // levels of 255: Pillow rounds each pixel of its IDCT
#define TOLERANCE_MEAN 0.2

static const char *dir;
static cg_thumb_t t;

typedef struct {
    uint8_t *data;
    size_t len;
} blob_t;

static blob_t slurp(const char *name, const char *ext) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "FAIL cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    blob_t b = {malloc(n > 0 ? (size_t)n : 1), (size_t)n};
    CHECK(b.data != NULL);
    CHECK(fread(b.data, 1, b.len, f) == b.len);
    fclose(f);
    return b;
}

// cg_thumb into a buffer of exactly cap bytes (ASan sees any write past it).
static const char *thumb(const uint8_t *jpg, size_t len, size_t cap) {
    uint8_t *out = malloc(cap ? cap : 1);
    CHECK(out != NULL);
    const char *err = cg_thumb(&t, jpg, len, out, cap);
    free(out);
    return err;
}

static void test_matches_pillow(void) {
    char path[512];
    snprintf(path, sizeof(path), "%s/cases.txt", dir);
    FILE *cases = fopen(path, "r");
    CHECK(cases != NULL);
    char name[128];
    unsigned tw, th;
    int n = 0;
    while (fscanf(cases, "%127s %u %u", name, &tw, &th) == 3) {
        blob_t jpg = slurp(name, ".jpg");
        blob_t ref = slurp(name, ".ref");
        blob_t cmp = slurp(name, ".cmp");
        CHECK_EQ(ref.len, tw * th);
        CHECK_EQ(cmp.len, tw * th);
        uint8_t *out = malloc(ref.len);
        CHECK(out != NULL);
        const char *err = cg_thumb(&t, jpg.data, jpg.len, out, ref.len);
        if (err) {
            fprintf(stderr, "FAIL %s: %s\n", name, err);
            exit(1);
        }
        CHECK_EQ(t.thumb_width, tw);
        CHECK_EQ(t.thumb_height, th);
        int worst = 0;
        long total = 0;
        size_t compared = 0;
        for (size_t i = 0; i < ref.len; i++) {
            if (!cmp.data[i]) {
                continue;
            }
            compared++;
            int d = abs((int)out[i] - (int)ref.data[i]);
            total += d;
            worst = d > worst ? d : worst;
        }
        CHECK(compared * 2 > ref.len); // most blocks have no clamped pixel
        double avg = (double)total / (double)compared;
        printf("  %s: %ux%u, %zu blocks compared, max diff %d, mean diff %.3f\n", name, tw, th, compared, worst, avg);
        CHECK(worst <= TOLERANCE_MAX);
        CHECK(avg <= TOLERANCE_MEAN);
        // One byte too small a buffer is refused before anything is written.
        CHECK(thumb(jpg.data, jpg.len, ref.len - 1) != NULL);
        free(out);
        free(jpg.data);
        free(ref.data);
        free(cmp.data);
        n++;
    }
    fclose(cases);
    CHECK(n >= 8);
}

static void test_refused_with_reason(void) {
    char path[512];
    snprintf(path, sizeof(path), "%s/refused.txt", dir);
    FILE *list = fopen(path, "r");
    CHECK(list != NULL);
    char name[128], words[256];
    int n = 0;
    while (fscanf(list, "%127s %255[^\n]", name, words) == 2) {
        blob_t jpg = slurp(name, ".jpg");
        const char *err = thumb(jpg.data, jpg.len, 1 << 20);
        printf("  %s: %s\n", name, err ? err : "(accepted)");
        CHECK(err != NULL);
        CHECK(strstr(err, words) != NULL);
        free(jpg.data);
        n++;
    }
    fclose(list);
    CHECK(n >= 3);
}

// A copy of jpg with the marker segment m's byte at offset off (from its marker) set to v;
// returns 0 when the file has no such segment.
static int patch(blob_t jpg, int m, size_t off, uint8_t v, blob_t *out) {
    for (size_t i = 2; i + 3 < jpg.len;) {
        if (jpg.data[i] != 0xFF) {
            return 0;
        }
        size_t seg = 2 + ((size_t)jpg.data[i + 2] << 8 | jpg.data[i + 3]);
        if (jpg.data[i + 1] == m) {
            *out = (blob_t){malloc(jpg.len), jpg.len};
            memcpy(out->data, jpg.data, jpg.len);
            out->data[i + off] = v;
            return 1;
        }
        if (jpg.data[i + 1] == 0xDA) {
            return 0;
        }
        i += seg;
    }
    return 0;
}

static void expect_patch(blob_t jpg, int m, size_t off, uint8_t v, const char *words) {
    blob_t bad;
    CHECK(patch(jpg, m, off, v, &bad));
    const char *err = thumb(bad.data, bad.len, 1 << 20);
    printf("  marker %02X +%zu = %u: %s\n", m, off, v, err ? err : "(accepted)");
    CHECK(err != NULL && strstr(err, words) != NULL);
    free(bad.data);
}

// Hand-made hostile headers, each a one-byte change to a good frame.
static void test_hostile_headers(void) {
    blob_t jpg = slurp("q85_420_vga", ".jpg");
    // SOF0: FF C0 len(2) P Y(2) X(2) Nf, then 3 bytes per component.
    expect_patch(jpg, 0xC0, 1, 0xC9, "arithmetic");
    expect_patch(jpg, 0xC0, 1, 0xC2, "progressive");
    expect_patch(jpg, 0xC0, 1, 0xC3, "lossless");
    expect_patch(jpg, 0xC0, 4, 12, "8-bit");
    expect_patch(jpg, 0xC0, 9, 4, "components");
    expect_patch(jpg, 0xC0, 11, 0x00, "sampling");
    expect_patch(jpg, 0xC0, 11, 0x55, "sampling");
    expect_patch(jpg, 0xC0, 11, 0x44, "too many blocks");
    expect_patch(jpg, 0xC0, 12, 9, "sampling factor or table");
    expect_patch(jpg, 0xC0, 12, 3, "missing quantization table");
    // DQT: FF DB len(2) PqTq then 64 entries.
    expect_patch(jpg, 0xDB, 4, 0x25, "DQT");
    expect_patch(jpg, 0xDB, 2, 0xFF, "ends inside a marker segment");
    // DHT: FF C4 len(2) TcTh then 16 counts.
    expect_patch(jpg, 0xC4, 4, 0x27, "DHT");
    expect_patch(jpg, 0xC4, 5, 200, "DHT");
    expect_patch(jpg, 0xC4, 20, 255, "DHT");
    // SOS: FF DA len(2) Ns, then (Cs, TdTa) per component, Ss Se AhAl.
    expect_patch(jpg, 0xDA, 4, 1, "SOS");
    expect_patch(jpg, 0xDA, 5, 9, "do not match");
    expect_patch(jpg, 0xDA, 6, 0x33, "missing Huffman table");
    expect_patch(jpg, 0xDA, 6, 0x55, "table number");
    expect_patch(jpg, 0xDA, 11, 1, "not a sequential scan");
    expect_patch(jpg, 0xDA, 12, 62, "not a sequential scan");
    expect_patch(jpg, 0xDA, 13, 0x10, "not a sequential scan");
    free(jpg.data);
    blob_t small = slurp("q50_420_small", ".jpg"); // 152 rows: one byte makes the height 0
    expect_patch(small, 0xC0, 6, 0, "DNL");
    free(small.data);
    // Three codes of length 1 (C.2 would give the third the code 2, which needs 2 bits).
    static const uint8_t overfull[] = {0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x16, 0x00, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 1, 2, 3, 0xFF, 0xD9};
    const char *err = thumb(overfull, sizeof(overfull), 16);
    CHECK(err != NULL && strstr(err, "too many codes") != NULL);
    CHECK(thumb((const uint8_t *)"", 0, 16) != NULL);
    CHECK(thumb((const uint8_t *)"\xFF\xD8\xFF\xD9", 4, 16) != NULL);
    CHECK(thumb((const uint8_t *)"\xFF\xD8\xFF", 3, 16) != NULL);
    CHECK(thumb((const uint8_t *)"\xFF\xD8\xFF\xFF\xFF\xFF", 6, 16) != NULL);
    CHECK(thumb((const uint8_t *)"\xFF\xD8\xFF\xE0\x00\x01", 6, 16) != NULL);
}

// Every cut of a small frame, and 200 cuts of a VGA one: refused until only the EOI and
// the last byte (which may hold nothing but padding bits) are missing.
static void cuts(const char *name, size_t step) {
    blob_t jpg = slurp(name, ".jpg");
    CHECK(thumb(jpg.data, jpg.len, 1 << 20) == NULL);
    for (size_t n = 0; n + 3 < jpg.len; n += step) {
        uint8_t *cut = malloc(n ? n : 1); // exactly n bytes: a read past them is an ASan error
        memcpy(cut, jpg.data, n);
        const char *err = thumb(cut, n, 1 << 20);
        if (err == NULL) {
            fprintf(stderr, "FAIL %s cut at %zu of %zu bytes accepted\n", name, n, jpg.len);
            exit(1);
        }
        free(cut);
    }
    free(jpg.data);
}

static void test_cut_data(void) {
    cuts("q50_420_small", 1);
    cuts("q85_422_rst_small", 1);
    cuts("q85_420_vga", 197);
}

static uint32_t rng = 12345;

static uint32_t next(void) {
    rng = rng * 1103515245u + 12345u; // deterministic: the same mutations every run
    return rng >> 8;
}

// Mutations of good frames: random bytes, bit flips, 0xFF (a marker where data was),
// anywhere or in the headers. Each must be decoded or refused, never read or written
// out of bounds (ASan/UBSan stop the run).
static void fuzz(const char *name, int rounds, size_t cap) {
    blob_t jpg = slurp(name, ".jpg");
    uint8_t *buf = malloc(jpg.len);
    int refused = 0;
    for (int r = 0; r < rounds; r++) {
        memcpy(buf, jpg.data, jpg.len);
        int changes = 1 + (int)(next() % 4);
        size_t headers = jpg.len < 700 ? jpg.len : 700;
        for (int c = 0; c < changes; c++) {
            size_t at = (next() % 3 == 0) ? next() % headers : next() % jpg.len;
            switch (next() % 3) {
                case 0:
                    buf[at] = (uint8_t)next();
                    break;
                case 1:
                    buf[at] ^= (uint8_t)(1u << (next() % 8));
                    break;
                default:
                    buf[at] = 0xFF;
                    break;
            }
        }
        size_t len = next() % 8 == 0 ? next() % jpg.len : jpg.len;
        uint8_t *exact = malloc(len ? len : 1);
        memcpy(exact, buf, len);
        refused += thumb(exact, len, cap) != NULL;
        free(exact);
    }
    printf("  %s: %d mutations, %d refused\n", name, rounds, refused);
    CHECK(refused > 0);
    free(buf);
    free(jpg.data);
}

static void test_fuzz(void) {
    fuzz("q50_420_small", 3000, 25 * 19);
    fuzz("q85_422_rst_small", 3000, 25 * 19);
    fuzz("q85_420_vga", 300, 80 * 60);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    dir = argv[1];
    static const test_case_t tests[] = {
        {"matches_pillow", test_matches_pillow},
        {"refused_with_reason", test_refused_with_reason},
        {"hostile_headers", test_hostile_headers},
        {"cut_data", test_cut_data},
        {"fuzz", test_fuzz},
    };
    size_t n = sizeof(tests) / sizeof(tests[0]);
    run_tests(tests, n);
    printf("all %zu tests passed\n", n);
    return 0;
}
