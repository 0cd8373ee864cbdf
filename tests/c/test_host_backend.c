// Tests of camera_glue's host backend (components/camera_glue/cg_backend_host.c) in plain C
// under AddressSanitizer/UBSan: real JPEG-shaped files in a temporary frames directory,
// real clocks. What only C can see is checked here: every buffer is freed exactly once
// (also a frame held across deinit), the grab-latest timing, fb_count exhaustion.
// The MicroPython binding is tested through the unix port by test_camera_glue.py.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cg_backend.h"
#include "cg_faults.h"
#include "cg_jpeg_check.h"
#include "check.h"

#define FPS 50 // 20 ms per frame: short tests, still far above scheduler noise
#define FRAMES_PER_SET 40 // longer than any test runs, so indexes do not wrap

static char dir[256];

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

// A minimal baseline JPEG: SOI, an APP0 segment, SOF0 with the size, a byte that tells
// frames apart, EOI. The backend only parses the markers up to SOF.
static void write_frame(int framesize, int band, int n, int w, int h) {
    char path[400];
    snprintf(path, sizeof(path), "%s/%d_%d", dir, framesize, band);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%d_%d/%d.jpg", dir, framesize, band, n);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    const unsigned char app0[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00};
    unsigned char sof[] = {0xFF, 0xC0, 0x00, 0x0B, 0x08, (unsigned char)(h >> 8), (unsigned char)h,
                           (unsigned char)(w >> 8), (unsigned char)w, 0x01, 0x01, 0x11, 0x00};
    fwrite(app0, 1, sizeof(app0), f);
    fwrite(sof, 1, sizeof(sof), f);
    // A body whose length depends on n, so frames differ in size and content.
    for (int i = 0; i < 1000 + n * 100 + framesize; i++) {
        fputc((n * 31 + i) & 0x7F, f);
    }
    const unsigned char eoi[] = {0xFF, 0xD9};
    fwrite(eoi, 1, sizeof(eoi), f);
    CHECK(fclose(f) == 0);
}

static void make_frames(void) {
    strcpy(dir, "/tmp/cg_host_test_XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    for (int n = 0; n < FRAMES_PER_SET; n++) {
        write_frame(6, 10, n, 320, 240);
        write_frame(10, 10, n, 640, 480);
        write_frame(10, 30, n, 640, 480);
    }
}

static void remove_frames(void) {
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static void start(int framesize, int quality, int fb_count) {
    cg_config_t cfg = {framesize, quality, fb_count, FPS, dir, 0, NULL};
    const char *reason = NULL;
    CHECK_EQ(cg_backend_init(&cfg, &reason), 0);
    CHECK(cg_backend_ready());
}

// Waits for the next frame, polling as the app does (bounded).
static int grab_wait(cg_frame_t *f) {
    for (int i = 0; i < 200; i++) {
        int r = cg_backend_grab(f);
        if (r != 0) {
            return r;
        }
        sleep_ms(cg_backend_poll_ms() ? (long)cg_backend_poll_ms() : 1);
    }
    return 0;
}

static void test_init_errors(void) {
    const char *reason = NULL;
    cg_config_t bad_fb = {10, 12, 0, FPS, dir, 0, NULL};
    CHECK_EQ(cg_backend_init(&bad_fb, &reason), EINVAL);
    CHECK(reason != NULL);
    cg_config_t bad_fps = {10, 12, 2, 0, dir, 0, NULL};
    CHECK_EQ(cg_backend_init(&bad_fps, &reason), EINVAL);
    cg_config_t missing = {15, 12, 2, FPS, dir, 0, NULL}; // no 15_10 set rendered
    CHECK_EQ(cg_backend_init(&missing, &reason), ENOENT);
    cg_config_t nodir = {10, 12, 2, FPS, "/nonexistent/frames", 0, NULL};
    CHECK_EQ(cg_backend_init(&nodir, &reason), ENOENT);
    CHECK(!cg_backend_ready());
}

// The first frame is frame 0 with the bytes of 0.jpg; a second grab at once finds nothing.
static void test_grab_frame_bytes(void) {
    start(10, 12, 2);
    cg_frame_t f;
    CHECK_EQ(cg_backend_grab(&f), 1);
    CHECK_EQ(f.index, 0);
    CHECK_EQ(f.width, 640);
    CHECK_EQ(f.height, 480);
    CHECK_EQ(f.len, 8 + 13 + 1000 + 10 + 2);
    CHECK(f.buf[0] == 0xFF && f.buf[1] == 0xD8 && f.buf[f.len - 1] == 0xD9);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    CHECK(f.ts_sec <= now.tv_sec && f.ts_sec >= now.tv_sec - 2);
    CHECK(f.ts_usec >= 0 && f.ts_usec < 1000000);
    cg_frame_t g;
    CHECK_EQ(cg_backend_grab(&g), 0);
    CHECK(cg_backend_poll_ms() >= 1 && cg_backend_poll_ms() <= 1000 / FPS);
    CHECK_EQ(cg_backend_frames_out(), 1);
    cg_backend_release(&f);
    CHECK_EQ(cg_backend_frames_out(), 0);
    cg_backend_deinit();
}

// Grab-latest: after several frame periods the grab returns the newest frame, skipping
// the ones in between, and never an older one.
static void test_grab_latest_skips(void) {
    start(10, 12, 2);
    cg_frame_t f;
    CHECK_EQ(cg_backend_grab(&f), 1);
    int64_t t0 = f.ts_sec * 1000000 + f.ts_usec;
    cg_backend_release(&f);
    sleep_ms(5 * 1000 / FPS + 5);
    CHECK_EQ(cg_backend_grab(&f), 1);
    CHECK(f.index >= 5 && f.index < FRAMES_PER_SET); // 5 or more (a busy machine may sleep longer)
    int64_t t1 = f.ts_sec * 1000000 + f.ts_usec;
    CHECK_EQ(t1 - t0, (int64_t)f.index * 1000000 / FPS);
    int last = f.index;
    cg_backend_release(&f);
    CHECK_EQ(grab_wait(&f), 1);
    CHECK(f.index > last); // a newer one, never a repeat
    cg_backend_release(&f);
    cg_backend_deinit();
}

// With every buffer held nothing is grabbed, however long one waits; a release lets the
// next grab through.
static void test_fb_count_exhausted(void) {
    start(10, 12, 2);
    cg_frame_t a, b, c;
    CHECK_EQ(grab_wait(&a), 1);
    CHECK_EQ(grab_wait(&b), 1);
    CHECK(a.buf != b.buf);
    sleep_ms(3 * 1000 / FPS);
    CHECK_EQ(cg_backend_grab(&c), 0);
    CHECK_EQ(cg_backend_frames_out(), 2);
    uint8_t first = a.buf[30];
    cg_backend_release(&b);
    CHECK_EQ(cg_backend_grab(&c), 1);
    CHECK(c.buf != a.buf);     // the held buffer was not refilled underneath
    CHECK(a.buf[30] == first); // and its bytes are unchanged
    cg_backend_release(&a);
    cg_backend_release(&c);
    CHECK_EQ(cg_backend_frames_out(), 0);
    cg_backend_deinit();
}

// A framesize change applies to frames captured after it; an unrendered size is refused.
static void test_framesize_change(void) {
    start(10, 12, 2);
    const char *reason = NULL;
    CHECK_EQ(cg_backend_set(CG_FRAMESIZE, 11, &reason), EINVAL);
    CHECK(reason != NULL);
    sleep_ms(2 * 1000 / FPS);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    int64_t set_at = (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
    CHECK_EQ(cg_backend_set(CG_FRAMESIZE, 6, &reason), 0);
    cg_frame_t f;
    CHECK_EQ(grab_wait(&f), 1);
    // Frames already due were captured at the old size: the first one handed out after
    // the change was captured after it (1 ms allowed for the two clocks' readings).
    CHECK(f.ts_sec * 1000000 + f.ts_usec >= set_at - 1000);
    CHECK_EQ(f.width, 320);
    CHECK_EQ(f.height, 240);
    int v = 0;
    CHECK_EQ(cg_backend_get(CG_FRAMESIZE, &v), 0);
    CHECK_EQ(v, 6);
    cg_backend_release(&f);
    CHECK_EQ(cg_backend_set(CG_LED_INTENSITY, 10, &reason), EINVAL);
    cg_info_t info;
    cg_backend_info(&info);
    CHECK_EQ(info.framesizes, (1u << 6) | (1u << 10));
    CHECK_EQ(info.fps, FPS);
    cg_backend_deinit();
}

// A frame held across deinit keeps its bytes until it is released, then it is freed
// (ASan reports a leak or a double free otherwise); a release from the old session does
// not disturb a new one.
static void start_faults(const char *faults) {
    cg_config_t cfg = {10, 12, 2, FPS, dir, 20, faults};
    const char *reason = NULL;
    CHECK_EQ(cg_backend_init(&cfg, &reason), 0);
}

// The same numbers as the Python model's (tests/mpy/recovery_checks.py): a seed means the
// same faults on both cameras.
static void test_faults_xorshift_matches_python(void) {
    cg_faults_t f;
    const char *reason = NULL;
    CHECK_EQ(cg_faults_parse(&f, "seed:1", &reason), 0);
    CHECK_EQ(cg_faults_draw(&f), 270369u);
    CHECK_EQ(cg_faults_draw(&f), 67634689u);
    CHECK_EQ(cg_faults_draw(&f), 2647435461u);
    CHECK_EQ(cg_faults_parse(&f, " timeout:0.05, truncate:0.5,garbage:0.03,wedge:6,init_fail:2,hang:1.5", &reason), 0);
    CHECK(f.p[0] == 50000 && f.p[1] == 500000 && f.p[2] == 30000);
    CHECK(f.wedge_ms == 6000 && f.hang_ms == 1500 && f.init_fail == 2);
    const char *bad[] = {"timeout", "bogus:1", "timeout:x", "timeout:1.5", "wedge:-1", "wedge:inf", "hang:nan",
                         "timeout:0.6,truncate:0.6"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        reason = NULL;
        CHECK_EQ(cg_faults_parse(&f, bad[i], &reason), EINVAL);
        CHECK(reason != NULL && strncmp(reason, "camera_faults: ", 15) == 0);
    }
    cg_config_t cfg = {10, 12, 2, FPS, dir, 20, "nonsense:1"};
    CHECK_EQ(cg_backend_init(&cfg, &reason), EINVAL);
}

static void test_jpeg_check(void) {
    uint8_t b[1200];
    memset(b, 0x12, sizeof(b));
    b[0] = 0xFF, b[1] = 0xD8, b[98] = 0xFF, b[99] = 0xD9;
    CHECK(cg_jpeg_whole(b, 100));
    CHECK(!cg_jpeg_whole(b, 99));
    memset(b + 100, 0, sizeof(b) - 100); // the driver's zero padding
    CHECK(cg_jpeg_whole(b, 100 + CG_JPEG_MAX_PADDING));
    CHECK(!cg_jpeg_whole(b, 101 + CG_JPEG_MAX_PADDING)); // bounded
    b[0] = 0;
    CHECK(!cg_jpeg_whole(b, 100));
    CHECK(!cg_jpeg_whole(b, 3));
}

// Cut and spoilt frames never leave the backend; they and the timeouts are counted.
static void test_faults_never_hand_out_an_invalid_frame(void) {
    start_faults("timeout:0.2,truncate:0.2,garbage:0.2,seed:7");
    int good = 0;
    for (int i = 0; i < 60; i++) {
        cg_frame_t f;
        if (grab_wait(&f) == 1) {
            CHECK(cg_jpeg_whole(f.buf, f.len));
            good++;
            cg_backend_release(&f);
        }
    }
    cg_info_t info = {0, 0, 0, 0, 0};
    cg_backend_info(&info);
    CHECK(good > 10 && info.timeouts > 0 && info.invalid > 0);
    CHECK_EQ(cg_backend_frames_out(), 0);
    cg_backend_deinit();
}

// wedge: nothing after S seconds until reinit(); init_fail: the next N reinits fail.
static void test_wedge_reinit_and_init_fail(void) {
    start_faults("wedge:0.1,init_fail:1");
    cg_frame_t f;
    CHECK_EQ(grab_wait(&f), 1);
    cg_backend_release(&f);
    sleep_ms(120);
    CHECK_EQ(grab_wait(&f), 0); // wedged (grab_wait polls for ~200 frame periods)
    const char *reason = NULL;
    CHECK_EQ(cg_backend_reinit(&reason), EIO);
    CHECK(strstr(reason, "init_fail") != NULL);
    CHECK_EQ(cg_backend_grab(&f), 0);
    CHECK_EQ(cg_backend_reinit(&reason), 0);
    CHECK_EQ(grab_wait(&f), 1); // restarted
    cg_backend_release(&f);
    cg_backend_deinit();
}

static void test_deinit_with_frame_held(void) {
    start(10, 12, 2);
    cg_frame_t f;
    CHECK_EQ(grab_wait(&f), 1);
    cg_backend_deinit();
    CHECK(!cg_backend_ready());
    CHECK_EQ(cg_backend_frames_out(), 0);
    CHECK(f.buf[0] == 0xFF); // still readable
    start(10, 30, 1);
    cg_frame_t g;
    CHECK_EQ(grab_wait(&g), 1);
    cg_backend_release(&f); // old session: frees the orphan only
    CHECK_EQ(cg_backend_frames_out(), 1);
    cg_backend_release(&g);
    CHECK_EQ(cg_backend_frames_out(), 0);
    cg_backend_deinit();
}

int main(void) {
    make_frames();
    static const test_case_t tests[] = {
        {"init_errors", test_init_errors},
        {"grab_frame_bytes", test_grab_frame_bytes},
        {"grab_latest_skips", test_grab_latest_skips},
        {"fb_count_exhausted", test_fb_count_exhausted},
        {"framesize_change", test_framesize_change},
        {"deinit_with_frame_held", test_deinit_with_frame_held},
        {"faults_xorshift_matches_python", test_faults_xorshift_matches_python},
        {"jpeg_check", test_jpeg_check},
        {"faults_never_hand_out_an_invalid_frame", test_faults_never_hand_out_an_invalid_frame},
        {"wedge_reinit_and_init_fail", test_wedge_reinit_and_init_fail},
    };
    size_t n = sizeof(tests) / sizeof(tests[0]);
    run_tests(tests, n);
    remove_frames();
    printf("all %zu tests passed\n", n);
    return 0;
}
