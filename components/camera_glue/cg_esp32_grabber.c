// camera_glue's esp32 backend: the grabber, which hands frames from esp32-camera to the app.
//
// esp_camera_fb_get() blocks until a frame is ready (up to 4 s), so it never runs on the
// MicroPython task: a small FreeRTOS task (the grabber) waits for frames and keeps the
// newest one as "pending"; grab() only takes the pending frame under a spinlock and never
// blocks. The grabber asks the driver for a frame only while a buffer is free
// (frames held by the app + pending < fb_count), so its wait cannot starve on buffers the
// app holds; when the app holds all but the pending buffer for longer than two frame
// periods, the pending frame goes back to the driver so that the next grab is fresh.
// Every frame is checked (cg_jpeg_check.h) before it becomes pending: one that is not a whole
// JPEG goes straight back to the driver and is counted, as is every fb_get that timed out.
// The grabber itself only retries; a camera that stays silent is restarted by the recovery
// ladder (camserver/camera/recovery.py) through cg_backend_reinit().
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/time.h>

#include "esp_camera.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

#include "cg_esp32.h"
#include "cg_jpeg_check.h"

#define GRAB_TASK_STACK 3072
// Above the MicroPython task (priority 1 on esp32) so a frame is handed over as soon as
// the driver has it; the task spends its time blocked in fb_get or on its notification.
#define GRAB_TASK_PRIO (tskIDLE_PRIORITY + 2)
#define STOP_WAIT_MS 6000 // fb_get gives up after 4 s, so the grabber stops within that

static struct {
    uint32_t gen;
    int fb_count;
    portMUX_TYPE mux;
    camera_fb_t *pending;  // newest frame, not yet grabbed
    int64_t pending_at;    // esp_timer time it arrived
    camera_fb_t *held[CG_ESP32_MAX_FB]; // frames the app holds (returned on stop)
    int out;
    uint32_t grabbed;
    uint32_t timeouts; // fb_get returned NULL (counted since boot: a restart keeps them)
    uint32_t invalid;  // frames that were not whole JPEGs
    int64_t period_us;     // smoothed interval between frames
    int64_t last_at;
    volatile bool stop;
    TaskHandle_t task;
    SemaphoreHandle_t stopped;
} cam = {
    .mux = portMUX_INITIALIZER_UNLOCKED,
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
            cam.timeouts++; // (only this task writes it; a 32-bit load reads it whole)
            vTaskDelay(pdMS_TO_TICKS(10)); // driver timeout: try again
            continue;
        }
        if (!cg_jpeg_whole(fb->buf, fb->len)) {
            cam.invalid++;
            esp_camera_fb_return(fb); // never published: no client ever sees it
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

int cg_esp32_grabber_start(int fb_count, const char **reason) {
    cam.fb_count = fb_count;
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
        *reason = "cannot start the grabber task";
        return ENOMEM;
    }
    cam.gen++;
    return 0;
}

bool cg_esp32_grabber_stop(void) {
    cam.stop = true;
    xTaskNotifyGive(cam.task);
    bool stopped = xSemaphoreTake(cam.stopped, pdMS_TO_TICKS(STOP_WAIT_MS)) == pdTRUE;
    camera_fb_t *give[CG_ESP32_MAX_FB + 1];
    int n = 0;
    portENTER_CRITICAL(&cam.mux);
    if (cam.pending != NULL) {
        give[n++] = cam.pending;
        cam.pending = NULL;
    }
    for (int i = 0; i < CG_ESP32_MAX_FB; i++) {
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
    if (stopped) {
        vSemaphoreDelete(cam.stopped);
    }
    return stopped;
}

int cg_backend_grab(cg_frame_t *out) {
    camera_fb_t *fb = NULL;
    portENTER_CRITICAL(&cam.mux);
    if (cam.pending != NULL) {
        for (int i = 0; i < CG_ESP32_MAX_FB; i++) {
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
        for (int i = 0; i < CG_ESP32_MAX_FB; i++) {
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
    if (!cg_backend_ready()) {
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
    info->timeouts = cam.timeouts;
    info->invalid = cam.invalid;
}
