// camera_glue's esp32 backend: esp32-camera on an ESP32-S3 board.
//
// The camera runs in JPEG mode, grab-latest, with fb_count frame buffers in PSRAM,
// initialised at the board's largest frame size (CAMERA_MAX_FRAMESIZE: esp32-camera sizes
// its buffers at init, a bigger size later would overflow them) and then switched to the
// requested size. The pins come from the board definition (boards/<board>/mpconfigboard.h).
//
// esp_camera_fb_get() blocks until a frame is ready (up to 4 s), so it never runs on the
// MicroPython task: a small FreeRTOS task (the grabber) waits for frames and keeps the
// newest one as "pending"; grab() only takes the pending frame under a spinlock and never
// blocks. The grabber asks the driver for a frame only while a buffer is free
// (frames held by the app + pending < fb_count), so its wait cannot starve on buffers the
// app holds; when the app holds all but the pending buffer for longer than two frame
// periods, the pending frame goes back to the driver so that the next grab is fresh.
//
// Plain C over ESP-IDF and esp32-camera: no MicroPython calls (py/mpconfig.h is read only
// for the board macros). Not compiled on this project's CI (no ESP-IDF there).
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/time.h>

#include "esp_camera.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

#include "py/mpconfig.h" // the board's mpconfigboard.h: CAMERA_PIN_* and friends

#include "cg_backend.h"

#if !defined(CAMERA_PIN_PCLK) || !defined(CAMERA_PIN_XCLK) || !defined(CAMERA_MAX_FRAMESIZE)
#error "camera_glue: the board's mpconfigboard.h must define CAMERA_PIN_* (see docs/camera_glue.md)"
#endif
#if CAMERA_MAX_FRAMESIZE > CG_FRAMESIZE_MAX
#error "camera_glue: CAMERA_MAX_FRAMESIZE is larger than the app supports (CG_FRAMESIZE_MAX, UXGA)"
#endif
#ifndef CAMERA_LED_PIN
#define CAMERA_LED_PIN (-1)
#endif
#ifndef CAMERA_XCLK_FREQ_HZ
#define CAMERA_XCLK_FREQ_HZ (20000000)
#endif

#define HELD_MAX 4
#define GRAB_TASK_STACK 3072
// Above the MicroPython task (priority 1 on esp32) so a frame is handed over as soon as
// the driver has it; the task spends its time blocked in fb_get or on its notification.
#define GRAB_TASK_PRIO (tskIDLE_PRIORITY + 2)
#define STOP_WAIT_MS 6000 // fb_get gives up after 4 s, so the grabber stops within that
// The flash LED uses LEDC's last timer and channel, out of the way of machine.PWM, which
// allocates from the first ones.
#define LED_TIMER LEDC_TIMER_3
#define LED_CHANNEL LEDC_CHANNEL_7

static struct {
    bool ready;
    uint32_t gen;
    int fb_count;
    portMUX_TYPE mux;
    camera_fb_t *pending;  // newest frame, not yet grabbed
    int64_t pending_at;    // esp_timer time it arrived
    camera_fb_t *held[HELD_MAX]; // frames the app holds (returned on deinit)
    int out;
    uint32_t grabbed;
    int64_t period_us;     // smoothed interval between frames
    int64_t last_at;
    volatile bool stop;
    TaskHandle_t task;
    SemaphoreHandle_t stopped;
    int led;               // led_intensity, -1 without an LED
} cam = {
    .mux = portMUX_INITIALIZER_UNLOCKED,
    .led = -1,
};

static int64_t max_age_us(void) {
    int64_t p = cam.period_us ? cam.period_us : 100000;
    return 2 * p;
}

static void grab_task(void *arg) {
    (void)arg;
    while (!cam.stop) {
        camera_fb_t *stale = NULL;
        int64_t now = esp_timer_get_time();
        portENTER_CRITICAL(&cam.mux);
        bool can_get = cam.out + (cam.pending ? 1 : 0) < cam.fb_count;
        if (!can_get && cam.pending != NULL && now - cam.pending_at > max_age_us()) {
            // The app holds every other buffer: let the driver refill this one so the
            // next grab is not an old frame.
            stale = cam.pending;
            cam.pending = NULL;
        }
        portEXIT_CRITICAL(&cam.mux);
        if (stale != NULL) {
            esp_camera_fb_return(stale);
            continue;
        }
        if (!can_get) {
            // Woken by a release or a grab; the timeout bounds the staleness check.
            ulTaskNotifyTake(pdTRUE, pdMS_TO_TICKS(10));
            continue;
        }
        camera_fb_t *fb = esp_camera_fb_get();
        if (fb == NULL) {
            vTaskDelay(pdMS_TO_TICKS(10)); // driver timeout: try again
            continue;
        }
        now = esp_timer_get_time();
        portENTER_CRITICAL(&cam.mux);
        camera_fb_t *old = cam.pending;
        cam.pending = fb;
        cam.pending_at = now;
        if (cam.last_at) {
            int64_t d = now - cam.last_at;
            cam.period_us = cam.period_us ? (cam.period_us * 7 + d) / 8 : d;
        }
        cam.last_at = now;
        portEXIT_CRITICAL(&cam.mux);
        if (old != NULL) {
            esp_camera_fb_return(old); // never grabbed: a newer one replaces it
        }
    }
    xSemaphoreGive(cam.stopped);
    vTaskDelete(NULL);
}

static void led_init(void) {
    if (CAMERA_LED_PIN < 0) {
        cam.led = -1;
        return;
    }
    ledc_timer_config_t t = {
        .speed_mode = LEDC_LOW_SPEED_MODE,
        .duty_resolution = LEDC_TIMER_8_BIT,
        .timer_num = LED_TIMER,
        .freq_hz = 5000,
        .clk_cfg = LEDC_AUTO_CLK,
    };
    ledc_channel_config_t c = {
        .gpio_num = CAMERA_LED_PIN,
        .speed_mode = LEDC_LOW_SPEED_MODE,
        .channel = LED_CHANNEL,
        .timer_sel = LED_TIMER,
        .duty = 0,
        .hpoint = 0,
    };
    if (ledc_timer_config(&t) == ESP_OK && ledc_channel_config(&c) == ESP_OK) {
        cam.led = 0;
    } else {
        cam.led = -1;
    }
}

static void led_set(int value) {
    ledc_set_duty(LEDC_LOW_SPEED_MODE, LED_CHANNEL, (uint32_t)value);
    ledc_update_duty(LEDC_LOW_SPEED_MODE, LED_CHANNEL);
    cam.led = value;
}

const char *cg_backend_name(void) {
    return "esp32";
}

bool cg_backend_ready(void) {
    return cam.ready;
}

int cg_backend_init(const cg_config_t *cfg, const char **reason) {
    if (cfg->fb_count < 1 || cfg->fb_count > HELD_MAX) {
        *reason = "fb_count must be 1..4";
        return EINVAL;
    }
    if (cfg->framesize > CAMERA_MAX_FRAMESIZE) {
        *reason = "framesize is larger than this board's CAMERA_MAX_FRAMESIZE";
        return EINVAL;
    }
    if (cam.ready) {
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
    cam.fb_count = cfg->fb_count;
    cam.pending = NULL;
    memset(cam.held, 0, sizeof(cam.held));
    cam.out = 0;
    cam.grabbed = 0;
    cam.period_us = 0;
    cam.last_at = 0;
    cam.stop = false;
    cam.stopped = xSemaphoreCreateBinary();
    if (cam.stopped == NULL
        || xTaskCreate(grab_task, "camera_glue", GRAB_TASK_STACK, NULL, GRAB_TASK_PRIO, &cam.task) != pdPASS) {
        if (cam.stopped != NULL) {
            vSemaphoreDelete(cam.stopped);
        }
        esp_camera_deinit();
        *reason = "cannot start the grabber task";
        return ENOMEM;
    }
    led_init();
    cam.gen++;
    cam.ready = true;
    return 0;
}

void cg_backend_deinit(void) {
    if (!cam.ready) {
        return;
    }
    cam.ready = false;
    cam.stop = true;
    xTaskNotifyGive(cam.task);
    bool stopped = xSemaphoreTake(cam.stopped, pdMS_TO_TICKS(STOP_WAIT_MS)) == pdTRUE;
    camera_fb_t *give[HELD_MAX + 1];
    int n = 0;
    portENTER_CRITICAL(&cam.mux);
    if (cam.pending != NULL) {
        give[n++] = cam.pending;
        cam.pending = NULL;
    }
    for (int i = 0; i < HELD_MAX; i++) {
        if (cam.held[i] != NULL) {
            give[n++] = cam.held[i];
            cam.held[i] = NULL;
        }
    }
    cam.out = 0;
    cam.gen++; // frames the app still has become no-ops on release
    portEXIT_CRITICAL(&cam.mux);
    for (int i = 0; i < n; i++) {
        esp_camera_fb_return(give[i]);
    }
    if (cam.led > 0) {
        led_set(0);
    }
    if (stopped) {
        vSemaphoreDelete(cam.stopped);
        esp_camera_deinit();
    }
    // else: the grabber is stuck inside the driver; leave the driver running rather than
    // free it under the task (a reset clears it).
}

int cg_backend_grab(cg_frame_t *out) {
    camera_fb_t *fb = NULL;
    portENTER_CRITICAL(&cam.mux);
    if (cam.pending != NULL) {
        for (int i = 0; i < HELD_MAX; i++) {
            if (cam.held[i] == NULL) {
                fb = cam.pending;
                cam.pending = NULL;
                cam.held[i] = fb;
                cam.out++;
                cam.grabbed++;
                break;
            }
        }
    }
    portEXIT_CRITICAL(&cam.mux);
    if (fb == NULL) {
        return 0;
    }
    xTaskNotifyGive(cam.task); // a buffer may be free for the next frame
    // fb->timestamp is esp_timer time (since boot); report it on the time.time() clock.
    struct timeval tv;
    gettimeofday(&tv, NULL);
    int64_t wall = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    int64_t boot = esp_timer_get_time();
    int64_t at = (int64_t)fb->timestamp.tv_sec * 1000000 + fb->timestamp.tv_usec;
    int64_t ts = wall - (boot - at);
    out->buf = fb->buf;
    out->len = fb->len;
    out->width = (uint16_t)fb->width;
    out->height = (uint16_t)fb->height;
    out->ts_sec = ts / 1000000;
    out->ts_usec = (int32_t)(ts % 1000000);
    out->index = -1;
    out->handle = fb;
    out->gen = cam.gen;
    return 1;
}

uint32_t cg_backend_gen(void) {
    return cam.gen; // a 32-bit load: atomic on Xtensa, no lock needed
}

void cg_backend_release(const cg_frame_t *frame) {
    camera_fb_t *fb = frame->handle;
    bool mine = false;
    portENTER_CRITICAL(&cam.mux);
    if (frame->gen == cam.gen) {
        for (int i = 0; i < HELD_MAX; i++) {
            if (cam.held[i] == fb) {
                cam.held[i] = NULL;
                cam.out--;
                mine = true;
                break;
            }
        }
    }
    portEXIT_CRITICAL(&cam.mux);
    if (mine) {
        esp_camera_fb_return(fb);
        xTaskNotifyGive(cam.task);
    }
}

int cg_backend_frames_out(void) {
    return cam.out;
}

uint32_t cg_backend_poll_ms(void) {
    if (!cam.ready) {
        return 100;
    }
    portENTER_CRITICAL(&cam.mux);
    bool ready = cam.pending != NULL;
    bool full = cam.out >= cam.fb_count;
    int64_t period = cam.period_us, last = cam.last_at;
    portEXIT_CRITICAL(&cam.mux);
    if (ready) {
        return 0;
    }
    if (full || period == 0) {
        return 10;
    }
    int64_t due = last + period - esp_timer_get_time();
    if (due < 1000) {
        return 1;
    }
    return (uint32_t)(due / 1000);
}

void cg_backend_info(cg_info_t *info) {
    portENTER_CRITICAL(&cam.mux); // a 64-bit read is two loads on the S3
    int64_t period = cam.period_us;
    portEXIT_CRITICAL(&cam.mux);
    info->framesizes = (1u << (CAMERA_MAX_FRAMESIZE + 1)) - 1;
    info->fps = period ? (int)((1000000 + period / 2) / period) : 0;
    info->grabbed = cam.grabbed;
}

int cg_backend_get(cg_setting_t id, int *value) {
    sensor_t *s = esp_camera_sensor_get();
    if (s == NULL) {
        return ENODEV;
    }
    const camera_status_t *st = &s->status;
    int v;
    switch (id) {
        case CG_FRAMESIZE: v = st->framesize; break;
        case CG_QUALITY: v = st->quality; break;
        case CG_BRIGHTNESS: v = st->brightness; break;
        case CG_CONTRAST: v = st->contrast; break;
        case CG_SATURATION: v = st->saturation; break;
        case CG_SHARPNESS: v = st->sharpness; break;
        case CG_SPECIAL_EFFECT: v = st->special_effect; break;
        case CG_WB_MODE: v = st->wb_mode; break;
        case CG_AWB: v = st->awb; break;
        case CG_AWB_GAIN: v = st->awb_gain; break;
        case CG_AEC: v = st->aec; break;
        case CG_AEC2: v = st->aec2; break;
        case CG_AE_LEVEL: v = st->ae_level; break;
        case CG_AEC_VALUE: v = st->aec_value; break;
        case CG_AGC: v = st->agc; break;
        case CG_AGC_GAIN: v = st->agc_gain; break;
        case CG_GAINCEILING: v = st->gainceiling; break;
        case CG_BPC: v = st->bpc; break;
        case CG_WPC: v = st->wpc; break;
        case CG_RAW_GMA: v = st->raw_gma; break;
        case CG_LENC: v = st->lenc; break;
        case CG_HMIRROR: v = st->hmirror; break;
        case CG_VFLIP: v = st->vflip; break;
        case CG_DCW: v = st->dcw; break;
        case CG_COLORBAR: v = st->colorbar; break;
        case CG_LED_INTENSITY: v = cam.led; break;
        case CG_XCLK: v = s->xclk_freq_hz / 1000000; break;
        case CG_PIXFORMAT: v = s->pixformat; break;
        default: return EINVAL;
    }
    *value = v;
    return 0;
}

typedef int (*setter_t)(sensor_t *, int);

int cg_backend_set(cg_setting_t id, int value, const char **reason) {
    sensor_t *s = esp_camera_sensor_get();
    if (s == NULL) {
        return ENODEV;
    }
    if (id == CG_LED_INTENSITY) {
        if (cam.led < 0) {
            *reason = "this camera has no LED";
            return EINVAL;
        }
        led_set(value);
        return 0;
    }
    if (id == CG_FRAMESIZE) {
        if (value > CAMERA_MAX_FRAMESIZE) {
            *reason = "larger than this board's CAMERA_MAX_FRAMESIZE (the frame buffers are sized for it)";
            return EINVAL;
        }
        if (s->set_framesize == NULL || s->set_framesize(s, (framesize_t)value) != 0) {
            *reason = "the sensor refused this frame size";
            return EINVAL;
        }
        return 0;
    }
    if (id == CG_GAINCEILING) {
        if (s->set_gainceiling == NULL || s->set_gainceiling(s, (gainceiling_t)value) != 0) {
            *reason = "the sensor refused this value";
            return EINVAL;
        }
        return 0;
    }
    setter_t f;
    switch (id) {
        case CG_QUALITY: f = s->set_quality; break;
        case CG_BRIGHTNESS: f = s->set_brightness; break;
        case CG_CONTRAST: f = s->set_contrast; break;
        case CG_SATURATION: f = s->set_saturation; break;
        case CG_SHARPNESS: f = s->set_sharpness; break;
        case CG_SPECIAL_EFFECT: f = s->set_special_effect; break;
        case CG_WB_MODE: f = s->set_wb_mode; break;
        case CG_AWB: f = s->set_whitebal; break;
        case CG_AWB_GAIN: f = s->set_awb_gain; break;
        case CG_AEC: f = s->set_exposure_ctrl; break;
        case CG_AEC2: f = s->set_aec2; break;
        case CG_AE_LEVEL: f = s->set_ae_level; break;
        case CG_AEC_VALUE: f = s->set_aec_value; break;
        case CG_AGC: f = s->set_gain_ctrl; break;
        case CG_AGC_GAIN: f = s->set_agc_gain; break;
        case CG_BPC: f = s->set_bpc; break;
        case CG_WPC: f = s->set_wpc; break;
        case CG_RAW_GMA: f = s->set_raw_gma; break;
        case CG_LENC: f = s->set_lenc; break;
        case CG_HMIRROR: f = s->set_hmirror; break;
        case CG_VFLIP: f = s->set_vflip; break;
        case CG_DCW: f = s->set_dcw; break;
        case CG_COLORBAR: f = s->set_colorbar; break;
        default:
            *reason = "read-only";
            return EINVAL;
    }
    if (f == NULL) {
        *reason = "not supported by this sensor";
        return EINVAL;
    }
    if (f(s, value) != 0) {
        *reason = "the sensor refused this value";
        return EINVAL;
    }
    return 0;
}
