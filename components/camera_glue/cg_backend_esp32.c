// camera_glue's esp32 backend: starts and stops esp32-camera (cg_esp32.h has the map of
// the three files).
//
// The camera runs in JPEG mode, grab-latest, with fb_count frame buffers in PSRAM,
// initialised at the board's largest frame size (CAMERA_MAX_FRAMESIZE: esp32-camera sizes
// its buffers at init, a bigger size later would overflow them) and then switched to the
// requested size. The pins come from the board definition (boards/<board>/mpconfigboard.h).
#include <errno.h>
#include <stdbool.h>

#include "esp_camera.h"
#include "esp_system.h"

#include "cg_esp32.h"

static bool ready;

const char *cg_backend_name(void) {
    return "esp32";
}

bool cg_backend_ready(void) {
    return ready;
}

int cg_backend_init(const cg_config_t *cfg, const char **reason) {
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
        .xclk_freq_hz = CAMERA_XCLK_FREQ_HZ,
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
    esp_err_t e = esp_camera_init(&c);
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
    if (s == NULL || s->set_framesize(s, (framesize_t)cfg->framesize) != 0) {
        esp_camera_deinit();
        *reason = "the sensor refused the frame size";
        return EIO;
    }
    int err = cg_esp32_grabber_start(cfg->fb_count, reason);
    if (err != 0) {
        esp_camera_deinit();
        return err;
    }
    cg_esp32_led_init();
    ready = true;
    return 0;
}

void cg_backend_deinit(void) {
    if (!ready) {
        return;
    }
    ready = false;
    bool stopped = cg_esp32_grabber_stop();
    cg_esp32_led_off();
    if (stopped) {
        esp_camera_deinit();
    }
    // else: the grabber is stuck inside the driver; leave the driver running rather than
    // free it under the task (a reset clears it).
}

int cg_backend_reset_reason(void) {
    return (int)esp_reset_reason();
}
