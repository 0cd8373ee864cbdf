// camera_glue's esp32 backend: starts and stops esp32-camera (cg_esp32.h has the map of
// the three files).
//
// The camera runs in JPEG mode, grab-latest, with fb_count frame buffers in PSRAM,
// initialised at the board's largest frame size (CAMERA_MAX_FRAMESIZE: esp32-camera sizes
// its buffers at init, a bigger size later would overflow them) and then switched to the
// requested size. The pins come from the board definition (boards/<board>/mpconfigboard.h).
//
// reinit() is the recovery ladder's restart (camserver/camera/recovery.py): the grabber
// stops, esp_camera_deinit() frees the driver, esp_camera_init() starts it with the same
// configuration, every sensor setting read before is written back, the grabber starts again.
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "esp_camera.h"
#include "esp_system.h"

#include "cg_esp32.h"

static bool ready;
static bool stuck;             // the grabber did not stop: it is inside the driver until a reset
static camera_config_t config; // the last init's, for reinit
static int fb_count;
// The sensor's settings read by the last reinit, written back after the restart; a restart
// after a failed one (no sensor to read) uses these again. Cleared by deinit().
static int saved[CG_NUM_WRITABLE];
static bool have[CG_NUM_WRITABLE];

#define STUCK_REASON "the grabber is stuck inside the camera driver (only a reset frees it)"

const char *cg_backend_name(void) {
    return "esp32";
}

bool cg_backend_ready(void) {
    return ready;
}

// esp_camera_init() with config and the frame size, then the grabber. 0 or an errno.
static int start(int framesize, const char **reason) {
    esp_err_t e = esp_camera_init(&config);
    if (e != ESP_OK) {
        if (e == ESP_ERR_CAMERA_NOT_DETECTED) {
            *reason = "no camera sensor detected (check the camera and its ribbon cable)";
            return ENODEV;
        }
        if (e == ESP_ERR_NO_MEM) {
            *reason = "frame buffers do not fit in PSRAM (init the camera before the heap grows)";
            return ENOMEM;
        }
        *reason = "esp_camera_init failed";
        return EIO;
    }
    sensor_t *s = esp_camera_sensor_get();
    if (s == NULL || s->set_framesize(s, (framesize_t)framesize) != 0) {
        esp_camera_deinit();
        *reason = "the sensor refused the frame size";
        return EIO;
    }
    int err = cg_esp32_grabber_start(fb_count, reason);
    if (err != 0) {
        esp_camera_deinit();
        return err;
    }
    ready = true;
    return 0;
}

int cg_backend_init(const cg_config_t *cfg, const char **reason) {
    if (cfg->faults != NULL && cfg->faults[0] != '\0') {
        *reason = "camera_faults is for the simulator only: a board's camera has real faults (clear the setting)";
        return EINVAL;
    }
    if (cfg->xclk_mhz < 0 || cfg->xclk_mhz > 24) {
        *reason = "xclk_mhz must be 1..24";
        return EINVAL;
    }
    if (cfg->fb_count < 1 || cfg->fb_count > CG_ESP32_MAX_FB) {
        *reason = "fb_count must be 1..4";
        return EINVAL;
    }
    if (cfg->framesize > CAMERA_MAX_FRAMESIZE) {
        *reason = "framesize is larger than this board's CAMERA_MAX_FRAMESIZE";
        return EINVAL;
    }
    if (ready) {
        cg_backend_deinit();
    }
    if (stuck) {
        *reason = STUCK_REASON;
        return EBUSY;
    }
    camera_config_t c = {
        .pin_pwdn = CAMERA_PIN_PWDN,
        .pin_reset = CAMERA_PIN_RESET,
        .pin_xclk = CAMERA_PIN_XCLK,
        .pin_sccb_sda = CAMERA_PIN_SIOD,
        .pin_sccb_scl = CAMERA_PIN_SIOC,
        .pin_d7 = CAMERA_PIN_D7,
        .pin_d6 = CAMERA_PIN_D6,
        .pin_d5 = CAMERA_PIN_D5,
        .pin_d4 = CAMERA_PIN_D4,
        .pin_d3 = CAMERA_PIN_D3,
        .pin_d2 = CAMERA_PIN_D2,
        .pin_d1 = CAMERA_PIN_D1,
        .pin_d0 = CAMERA_PIN_D0,
        .pin_vsync = CAMERA_PIN_VSYNC,
        .pin_href = CAMERA_PIN_HREF,
        .pin_pclk = CAMERA_PIN_PCLK,
        .xclk_freq_hz = cfg->xclk_mhz ? cfg->xclk_mhz * 1000000 : CAMERA_XCLK_FREQ_HZ,
        .ledc_timer = LEDC_TIMER_0,
        .ledc_channel = LEDC_CHANNEL_0,
        .pixel_format = PIXFORMAT_JPEG,
        // Buffers are sized for the frame size given here: the largest the board uses.
        .frame_size = (framesize_t)CAMERA_MAX_FRAMESIZE,
        .jpeg_quality = cfg->quality,
        .fb_count = (size_t)cfg->fb_count,
        .fb_location = CAMERA_FB_IN_PSRAM,
        // Latest needs two buffers; with one the driver fills it when it is empty.
        .grab_mode = cfg->fb_count > 1 ? CAMERA_GRAB_LATEST : CAMERA_GRAB_WHEN_EMPTY,
        .sccb_i2c_port = 0,
    };
    config = c;
    fb_count = cfg->fb_count;
    int err = start(cfg->framesize, reason);
    if (err != 0) {
        return err;
    }
    cg_esp32_led_init();
    return 0;
}

int cg_backend_reinit(const char **reason) {
    if (stuck) {
        *reason = STUCK_REASON;
        return EBUSY;
    }
    if (ready) {
        // The sensor's settings as they are now (the LED is not the sensor's: it keeps its state).
        for (int id = 0; id < CG_NUM_WRITABLE; id++) {
            have[id] = id != CG_LED_INTENSITY && cg_backend_get(id, &saved[id]) == 0;
        }
        ready = false;
        if (!cg_esp32_grabber_stop()) {
            stuck = true;
            *reason = STUCK_REASON;
            return EBUSY;
        }
        esp_camera_deinit();
    } else if (!have[CG_FRAMESIZE]) {
        *reason = "camera not initialised";
        return ENODEV;
    }
    int err = start(saved[CG_FRAMESIZE], reason);
    if (err != 0) {
        return err;
    }
    for (int id = 0; id < CG_NUM_WRITABLE; id++) {
        if (have[id] && id != CG_FRAMESIZE) {
            const char *ignored;
            // (a value the sensor took before it takes again; one it refuses stays at the default)
            cg_backend_set(id, saved[id], &ignored);
        }
    }
    return 0;
}

void cg_backend_deinit(void) {
    if (!ready) {
        return;
    }
    ready = false;
    memset(have, 0, sizeof(have));
    bool stopped = cg_esp32_grabber_stop();
    cg_esp32_led_off();
    if (stopped) {
        esp_camera_deinit();
    } else {
        // The grabber is stuck inside the driver: leave the driver running rather than free
        // it under the task (a reset clears it).
        stuck = true;
    }
}

int cg_backend_reset_reason(void) {
    return (int)esp_reset_reason();
}
