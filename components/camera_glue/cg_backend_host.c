// camera_glue's host backend (MicroPython unix port): a camera that plays the JPEG files
// tools/render_frames.py renders into build/frames/<framesize>_<band>/<n>.jpg.
//
// It keeps the timing and buffer rules of the simulated camera and of esp32-camera in
// grab-latest mode (docs/camera-interface.md): frame n of the current set is captured at
// start + n / fps; grab() returns the newest frame captured since the previous grab and
// never an older one; a frame is read into one of fb_count malloc'd buffers, and a buffer
// the app still holds is never reused, so with every buffer held grab() returns nothing.
// Every frame is checked (cg_jpeg_check.h) before grab() hands it out; camera_faults
// (cg_faults.h) makes the camera misbehave on purpose, and reinit() restarts it.
// Plain C (POSIX): no MicroPython calls, no GC heap.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cg_backend.h"
#include "cg_faults.h"
#include "cg_jpeg_check.h"

#define HOST_MAX_FB 4         // fb_count limit (esp32-camera boards use 1-3)
#define HOST_SLOTS 8          // fb_count + frames orphaned by a deinit while held
#define HOST_MAX_FRAMES 10000 // frames per rendered set we look for
#define HOST_MAX_FILE (4 * 1024 * 1024)
#define HOST_DIR_MAX 400

typedef struct {
    uint8_t *buf;
    size_t cap;
    bool held;   // given to the app and not released
    bool orphan; // held across a deinit: freed when the app releases it
} host_slot_t;

static struct {
    bool ready;
    uint32_t gen;
    char dir[HOST_DIR_MAX];
    int fps;
    int fb_count;
    int values[CG_NUM_SETTINGS];
    int set_frames;     // frames in the set for the current framesize and quality band
    int64_t mono_start_us;
    int64_t mono_first_start_us; // (hang counts from the init, wedge from the latest start)
    int xclk_mhz;
    cg_faults_t faults;
    uint32_t timeouts;
    uint32_t invalid;
    int64_t real_start_us;
    int64_t last_n;     // capture number of the newest frame handed out (or skipped past)
    int out;
    uint32_t grabbed;
    uint32_t framesizes; // bit i: frames rendered for framesize i
    host_slot_t slots[HOST_SLOTS];
} host;

static int64_t clock_us(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

// Capture number of the newest frame the "sensor" has produced by now.
static int64_t now_n(void) {
    int64_t elapsed = clock_us(CLOCK_MONOTONIC) - host.mono_start_us;
    return elapsed * host.fps / 1000000;
}

// Quality q plays band 10 when q <= 20, else band 30 (docs/camera-interface.md).
static int band_of(int quality) {
    return quality <= 20 ? 10 : 30;
}

static int frame_path(char *out, size_t cap, int framesize, int band, int n) {
    int r = snprintf(out, cap, "%s/%d_%d/%d.jpg", host.dir, framesize, band, n);
    return (r < 0 || (size_t)r >= cap) ? ENAMETOOLONG : 0;
}

// Number of consecutive frames 0.jpg, 1.jpg, ... rendered for a set (0: none).
static int count_frames(int framesize, int band) {
    char path[HOST_DIR_MAX + 64];
    int n = 0;
    struct stat st;
    while (n < HOST_MAX_FRAMES && frame_path(path, sizeof(path), framesize, band, n) == 0
           && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        n++;
    }
    return n;
}

// Width and height from the JPEG's start-of-frame segment; 0 when there is none.
static void jpeg_size(const uint8_t *b, size_t len, uint16_t *w, uint16_t *h) {
    *w = *h = 0;
    size_t i = 2;
    if (len < 4 || b[0] != 0xFF || b[1] != 0xD8) {
        return;
    }
    while (i + 4 <= len) {
        if (b[i] != 0xFF) {
            return;
        }
        uint8_t m = b[i + 1];
        if (m == 0xFF) { // fill byte
            i++;
            continue;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { // markers without a length
            i += 2;
            continue;
        }
        size_t seg = ((size_t)b[i + 2] << 8) | b[i + 3];
        bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof) {
            if (i + 9 <= len) {
                *h = (uint16_t)((b[i + 5] << 8) | b[i + 6]);
                *w = (uint16_t)((b[i + 7] << 8) | b[i + 8]);
            }
            return;
        }
        if (m == 0xDA || seg < 2) { // start of scan: no SOF before it
            return;
        }
        i += 2 + seg;
    }
}

// Reads a whole file into slot (growing its buffer); returns 0 or an errno.
static int read_file(const char *path, host_slot_t *slot, size_t *len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return errno;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > HOST_MAX_FILE) {
        close(fd);
        return EIO;
    }
    size_t size = (size_t)st.st_size;
    if (slot->cap < size) {
        uint8_t *nb = realloc(slot->buf, size);
        if (nb == NULL) {
            close(fd);
            return ENOMEM;
        }
        slot->buf = nb;
        slot->cap = size;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, slot->buf + got, size - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            close(fd);
            return EIO;
        }
        got += (size_t)r;
    }
    close(fd);
    *len = size;
    return 0;
}

const char *cg_backend_name(void) {
    return "host";
}

bool cg_backend_ready(void) {
    return host.ready;
}

int cg_backend_init(const cg_config_t *cfg, const char **reason) {
    if (cfg->fb_count < 1 || cfg->fb_count > HOST_MAX_FB) {
        *reason = "fb_count must be 1..4";
        return EINVAL;
    }
    if (cfg->fps < 1 || cfg->fps > 120) {
        *reason = "fps must be 1..120";
        return EINVAL;
    }
    int xclk = cfg->xclk_mhz ? cfg->xclk_mhz : 20;
    if (xclk < 1 || xclk > 24) {
        *reason = "xclk_mhz must be 1..24";
        return EINVAL;
    }
    cg_faults_t faults;
    int ferr = cg_faults_parse(&faults, cfg->faults, reason);
    if (ferr != 0) {
        return ferr;
    }
    size_t dl = strlen(cfg->frames_dir);
    if (dl == 0 || dl >= HOST_DIR_MAX) {
        *reason = "frames_dir is empty or too long";
        return EINVAL;
    }
    if (host.ready) {
        cg_backend_deinit();
    }
    memcpy(host.dir, cfg->frames_dir, dl + 1);
    int frames = count_frames(cfg->framesize, band_of(cfg->quality));
    if (frames == 0) {
        *reason = "no rendered frames for this framesize and quality in frames_dir (run: make frames)";
        return ENOENT;
    }
#define HOST_DEFAULT(id, name, min, max, value) [CG_##id] = value,
#define HOST_REPORTED(id, name, value) [CG_##id] = value,
    static const int defaults[CG_NUM_SETTINGS] = {
        CG_SETTINGS_WRITABLE(HOST_DEFAULT) CG_SETTINGS_READ_ONLY(HOST_REPORTED)
    };
#undef HOST_DEFAULT
#undef HOST_REPORTED
    memcpy(host.values, defaults, sizeof(defaults));
    host.values[CG_LED_INTENSITY] = -1; // no LED on the simulated board, as the sim reports
    host.values[CG_FRAMESIZE] = cfg->framesize;
    host.values[CG_QUALITY] = cfg->quality;
    host.values[CG_XCLK] = xclk;
    host.xclk_mhz = xclk;
    host.faults = faults;
    host.timeouts = 0;
    host.invalid = 0;
    host.fps = cfg->fps;
    host.fb_count = cfg->fb_count;
    host.set_frames = frames;
    host.framesizes = 0;
    for (int fs = 0; fs <= CG_FRAMESIZE_MAX; fs++) {
        if (count_frames(fs, 10) > 0 || count_frames(fs, 30) > 0) {
            host.framesizes |= 1u << fs;
        }
    }
    host.grabbed = 0;
    host.gen++;
    host.out = 0;
    host.last_n = -1;
    host.mono_start_us = clock_us(CLOCK_MONOTONIC);
    host.mono_first_start_us = host.mono_start_us;
    host.real_start_us = clock_us(CLOCK_REALTIME);
    host.ready = true;
    return 0;
}

int cg_backend_reinit(const char **reason) {
    if (!host.ready) {
        *reason = "camera not initialised";
        return ENODEV;
    }
    if (cg_faults_reinit_fails(&host.faults)) {
        *reason = "camera init failed (simulated init_fail)";
        return EIO;
    }
    // The sensor starts again: capture numbers count from now. The app's buffers stay.
    int64_t mono = clock_us(CLOCK_MONOTONIC);
    host.real_start_us += mono - host.mono_start_us;
    host.mono_start_us = mono;
    host.last_n = -1;
    return 0;
}

// A dead-locked driver call: the whole process stops here (only a watchdog ends it).
static void hang_forever(void) {
    for (;;) {
        sleep(1);
    }
}

void cg_backend_deinit(void) {
    for (int i = 0; i < HOST_SLOTS; i++) {
        host_slot_t *s = &host.slots[i];
        if (s->held && !s->orphan) {
            // The app still has a memoryview over it: keep the bytes until it lets go.
            s->orphan = true;
        } else if (!s->held) {
            free(s->buf);
            s->buf = NULL;
            s->cap = 0;
        }
    }
    host.out = 0;
    host.ready = false;
    host.gen++;
}

int cg_backend_grab(cg_frame_t *out) {
    if (host.faults.on) {
        int64_t mono = clock_us(CLOCK_MONOTONIC);
        if (cg_faults_hangs(&host.faults, (mono - host.mono_first_start_us) / 1000)) {
            hang_forever();
        }
        if (cg_faults_wedged(&host.faults, (mono - host.mono_start_us) / 1000)) {
            return 0;
        }
    }
    int64_t n = now_n();
    if (n <= host.last_n) {
        return 0; // nothing captured since the previous grab
    }
    if (host.out >= host.fb_count) {
        return 0; // every buffer is held by the app
    }
    host_slot_t *slot = NULL;
    for (int i = 0; i < HOST_SLOTS; i++) {
        if (!host.slots[i].held) {
            slot = &host.slots[i];
            break;
        }
    }
    if (slot == NULL) {
        return 0; // orphans fill the table: wait until they are released
    }
    cg_fault_t fault = cg_faults_frame(&host.faults); // one draw per frame, as the sim's model
    if (fault == CG_FAULT_TIMEOUT) {
        host.last_n = n;
        host.timeouts++;
        return 0;
    }
    int index = (int)(n % host.set_frames);
    char path[HOST_DIR_MAX + 64];
    size_t len = 0;
    int err = frame_path(path, sizeof(path), host.values[CG_FRAMESIZE], band_of(host.values[CG_QUALITY]), index);
    if (err == 0) {
        err = read_file(path, slot, &len);
    }
    if (err != 0) {
        return -err;
    }
    host.last_n = n;
    if (fault == CG_FAULT_TRUNCATE) {
        len = cg_faults_truncated((uint32_t)len);
    } else if (fault == CG_FAULT_GARBAGE) {
        slot->buf[0] = 0;
    }
    if (!cg_jpeg_whole(slot->buf, len)) {
        host.invalid++; // the buffer stays free: nobody ever sees this frame
        return 0;
    }
    slot->held = true;
    slot->orphan = false;
    host.out++;
    host.grabbed++;
    int64_t ts = host.real_start_us + n * 1000000 / host.fps;
    out->buf = slot->buf;
    out->len = len;
    jpeg_size(slot->buf, len, &out->width, &out->height);
    out->ts_sec = ts / 1000000;
    out->ts_usec = (int32_t)(ts % 1000000);
    out->index = index;
    out->handle = slot;
    out->gen = host.gen;
    return 1;
}

uint32_t cg_backend_gen(void) {
    return host.gen;
}

void cg_backend_release(const cg_frame_t *frame) {
    host_slot_t *s = frame->handle;
    if (s == NULL || !s->held) {
        return;
    }
    if (frame->gen != host.gen) {
        // Released after a deinit: only the orphaned copy is left to free.
        if (s->orphan) {
            free(s->buf);
            s->buf = NULL;
            s->cap = 0;
            s->held = false;
            s->orphan = false;
        }
        return;
    }
    s->held = false;
    host.out--;
}

int cg_backend_frames_out(void) {
    return host.out;
}

uint32_t cg_backend_poll_ms(void) {
    if (!host.ready) {
        return 100;
    }
    int64_t elapsed = clock_us(CLOCK_MONOTONIC) - host.mono_start_us;
    int64_t next = host.last_n + 1;
    int64_t due_us = next * 1000000 / host.fps - elapsed;
    if (due_us <= 0) {
        // A frame is ready; if the app holds every buffer it must release one first.
        return host.out >= host.fb_count ? 5 : 0;
    }
    return (uint32_t)((due_us + 999) / 1000);
}

int cg_backend_get(cg_setting_t id, int *value) {
    *value = host.values[id];
    return 0;
}

void cg_backend_info(cg_info_t *info) {
    info->framesizes = host.framesizes;
    info->fps = host.fps;
    info->grabbed = host.grabbed;
    info->timeouts = host.timeouts;
    info->invalid = host.invalid;
}

int cg_backend_set(cg_setting_t id, int value, const char **reason) {
    if (id == CG_LED_INTENSITY) {
        *reason = "this camera has no LED";
        return EINVAL;
    }
    if (id == CG_FRAMESIZE || id == CG_QUALITY) {
        int fs = id == CG_FRAMESIZE ? value : host.values[CG_FRAMESIZE];
        int q = id == CG_QUALITY ? value : host.values[CG_QUALITY];
        int frames = count_frames(fs, band_of(q));
        if (frames == 0) {
            *reason = id == CG_FRAMESIZE ? "no rendered frames of this size in frames_dir"
                                         : "no rendered frames for this quality band in frames_dir";
            return EINVAL;
        }
        bool new_set = fs != host.values[CG_FRAMESIZE] || band_of(q) != band_of(host.values[CG_QUALITY]);
        host.set_frames = frames;
        int64_t n = now_n();
        if (new_set && n > host.last_n) {
            // The change applies to frames captured after it: what is already due was
            // captured at the old size.
            host.last_n = n;
        }
    }
    host.values[id] = value;
    return 0;
}

int cg_backend_reset_reason(void) {
    return 0; // ESP_RST_UNKNOWN
}
