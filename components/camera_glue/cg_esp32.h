// camera_glue's esp32 backend (esp32-camera on an ESP32-S3 board), in three files along
// its seams:
//   cg_backend_esp32.c  starts and stops the camera: esp_camera_init with the board's pins;
//   cg_esp32_grabber.c  hands frames from the driver to the app (the grabber task);
//   cg_esp32_sensor.c   reads and writes the sensor settings and drives the flash LED.
// This header is what they share: the board's configuration and the calls between them.
// Plain C over ESP-IDF and esp32-camera: no MicroPython calls (py/mpconfig.h is read only
// for the board macros). Not compiled on this project's CI (no ESP-IDF there).
#ifndef CG_ESP32_H
#define CG_ESP32_H

#include <stdbool.h>

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

// The most frame buffers (fb_count): the grabber tracks that many frames held by the app.
#define CG_ESP32_MAX_FB 4

// Starts the grabber task for a camera with fb_count buffers and begins a new init
// session. 0, or ENOMEM with *reason.
int cg_esp32_grabber_start(int fb_count, const char **reason);

// Stops the grabber and gives every frame it or the app holds back to the driver; the
// app's frames become stale (a new session). False when the task did not stop in time:
// it is stuck inside the driver, so the driver must stay up.
bool cg_esp32_grabber_stop(void);

// The flash LED on CAMERA_LED_PIN: set up at init (off), turned off at deinit.
void cg_esp32_led_init(void);
void cg_esp32_led_off(void);

#endif // CG_ESP32_H
