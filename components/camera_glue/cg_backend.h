// cg_backend: what camera_glue's binding (cg_mod.c) needs from a camera backend.
//
// Two backends implement it: cg_backend_esp32.c (esp32-camera on the board) and
// cg_backend_host.c (the unix port: plays the rendered JPEG files). Both are plain C
// with no MicroPython calls, so the binding is the only MicroPython-facing code and
// compiles unchanged on both ports. Errors are errno values; a backend that refuses a
// value also returns a one-line reason (a string constant) for the ValueError.
#ifndef CG_BACKEND_H
#define CG_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cg_settings.h"

typedef struct {
    int framesize;          // framesize_t index
    int quality;            // 0-63, lower is better
    int fb_count;           // frame buffers (>= 1; grab-latest needs 2)
    int fps;                // host only: the rate the rendered frames play at
    const char *frames_dir; // host only: build/frames
    int xclk_mhz;           // the sensor's clock; 0: the board's default (20 MHz)
    const char *faults;     // camera_faults (host only: the board refuses any); NULL or "": none
} cg_config_t;

// A frame handed to the app. handle and gen identify it to the backend on release.
typedef struct {
    const uint8_t *buf;
    size_t len;
    uint16_t width;
    uint16_t height;
    int64_t ts_sec;   // capture time on the time.time() clock
    int32_t ts_usec;
    int32_t index;    // host: frame number inside the rendered set; board: -1
    void *handle;
    uint32_t gen;     // the init session the frame belongs to
} cg_frame_t;

// "host" or "esp32".
const char *cg_backend_name(void);

// Starts the camera. Returns 0, or an errno (EINVAL with *reason for a bad value,
// ENOENT/ENODEV/ENOMEM/EIO with *reason when the camera or the frames are missing).
int cg_backend_init(const cg_config_t *cfg, const char **reason);

// Stops the camera and gives every buffer back. Frames still held by the app are
// invalidated: releasing them later is a no-op.
void cg_backend_deinit(void);

bool cg_backend_ready(void);

// Restarts the camera with the configuration of the last init and every setting it has now
// (the recovery ladder's step, camserver/camera/recovery.py). 0, or an errno with *reason.
// On the board the app's frames become stale (a new session), and after a failure the camera
// is not ready (grab raises) until a restart succeeds; the host keeps the app's frames
// readable, and a failed restart (init_fail) leaves its camera as it was.
int cg_backend_reinit(const char **reason);

// Non-blocking: 1 and *out filled with the newest frame captured since the previous
// grab; 0 when there is none yet or every buffer is held by the app; a negative errno
// on a backend failure.
int cg_backend_grab(cg_frame_t *out);

// Gives a frame back. The binding calls it at most once per frame.
void cg_backend_release(const cg_frame_t *frame);

// Frames grabbed and not released.
int cg_backend_frames_out(void);

// The current init session; every init and deinit starts a new one. A frame whose gen
// differs was grabbed before a deinit: its buffer may be back in the driver (on the
// board, freed), so the binding refuses to read it.
uint32_t cg_backend_gen(void);

// What status() reports besides the settings.
typedef struct {
    uint32_t framesizes; // bit i set: framesize i can be selected
    int fps;             // frames per second the camera delivers (0: not known)
    uint32_t grabbed;    // frames handed out by grab() since init
    uint32_t timeouts;   // frames the sensor did not deliver in time (the driver's fb_get NULL)
    uint32_t invalid;    // frames that were not whole JPEGs, given back before the app saw them
} cg_info_t;

void cg_backend_info(cg_info_t *info);

// A hint: milliseconds until grab() may have a new frame.
uint32_t cg_backend_poll_ms(void);

// Current value of a setting (0 or an errno).
int cg_backend_get(cg_setting_t id, int *value);

// Sets a setting already checked against its range in cg_settings.h. 0, or EINVAL with
// *reason when the backend cannot take this value.
int cg_backend_set(cg_setting_t id, int value, const char **reason);

// esp_reset_reason() of this boot (ESP-IDF's esp_reset_reason_t), which machine.reset_cause()
// folds (a brownout reads as a power-on, a panic as a hard reset). 0 (ESP_RST_UNKNOWN) on the
// host, which has no chip: the sim's machine double (device/machine_host.py) says what it was.
int cg_backend_reset_reason(void);

#endif // CG_BACKEND_H
