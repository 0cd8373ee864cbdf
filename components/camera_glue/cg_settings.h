// The sensor settings: camera_glue's one table of them, by their CameraWebServer names.
//
// Each file expands the lists into what it needs (the "X macro" idiom): cg_backend.h the
// setting ids, cg_mod.c the names as qstrs, the range checks, init()'s keyword arguments
// and camera_glue.RANGES, cg_backend_host.c the values its simulated sensor starts with.
// Ranges follow esp32-camera's camera_status_t comments (driver/include/sensor.h);
// defaults are the OV2640's after esp32-camera's init, as CameraWebServer's /status shows
// them. The sim's table (camserver/camera/sensor.py RANGES, READ_ONLY) must say the same:
// tests/c/camera_glue_checks.py compares it with camera_glue.RANGES.
#ifndef CG_SETTINGS_H
#define CG_SETTINGS_H

// esp32-camera's framesize_t values used here (driver/include/sensor.h).
#define CG_FRAMESIZE_QVGA 6
#define CG_FRAMESIZE_VGA 10
#define CG_FRAMESIZE_SVGA 11
#define CG_FRAMESIZE_UXGA 15
// The largest framesize camera_glue takes. The pinned driver goes on to 5MP (24) for 3 and
// 5 megapixel sensors, but the app names and sizes frames up to UXGA only
// (camserver/camera/sensor.py FRAMESIZES), the largest size of the OV2640 every supported
// board carries; a board with a bigger sensor needs those rows first.
#define CG_FRAMESIZE_MAX CG_FRAMESIZE_UXGA
#define CG_PIXFORMAT_JPEG 4 // PIXFORMAT_JPEG

// X(ID, name, min, max, default): settable through set() and init(). The order is the
// order of status().
#define CG_SETTINGS_WRITABLE(X) \
    X(FRAMESIZE, framesize, 0, CG_FRAMESIZE_MAX, CG_FRAMESIZE_VGA) \
    X(QUALITY, quality, 0, 63, 12) \
    X(BRIGHTNESS, brightness, -2, 2, 0) \
    X(CONTRAST, contrast, -2, 2, 0) \
    X(SATURATION, saturation, -2, 2, 0) \
    X(SHARPNESS, sharpness, -2, 2, 0) \
    X(SPECIAL_EFFECT, special_effect, 0, 6, 0) \
    X(WB_MODE, wb_mode, 0, 4, 0) \
    X(AWB, awb, 0, 1, 1) \
    X(AWB_GAIN, awb_gain, 0, 1, 1) \
    X(AEC, aec, 0, 1, 1) \
    X(AEC2, aec2, 0, 1, 0) \
    X(AE_LEVEL, ae_level, -2, 2, 0) \
    X(AEC_VALUE, aec_value, 0, 1200, 168) \
    X(AGC, agc, 0, 1, 1) \
    X(AGC_GAIN, agc_gain, 0, 30, 0) \
    X(GAINCEILING, gainceiling, 0, 6, 0) \
    X(BPC, bpc, 0, 1, 0) \
    X(WPC, wpc, 0, 1, 1) \
    X(RAW_GMA, raw_gma, 0, 1, 1) \
    X(LENC, lenc, 0, 1, 1) \
    X(HMIRROR, hmirror, 0, 1, 0) \
    X(VFLIP, vflip, 0, 1, 0) \
    X(DCW, dcw, 0, 1, 1) \
    X(COLORBAR, colorbar, 0, 1, 0) \
    X(LED_INTENSITY, led_intensity, 0, 255, 0)

// X(ID, name, value): reported by get() and status() but not settable (as in
// CameraWebServer's /control). value is what the host backend reports: 20 MHz, JPEG.
#define CG_SETTINGS_READ_ONLY(X) \
    X(XCLK, xclk, 20) \
    X(PIXFORMAT, pixformat, CG_PIXFORMAT_JPEG)

#define CG_SETTING_ID(id, ...) CG_##id,
#define CG_SETTING_COUNT(...) +1

typedef enum {
    CG_SETTINGS_WRITABLE(CG_SETTING_ID)
    CG_SETTINGS_READ_ONLY(CG_SETTING_ID)
    CG_NUM_SETTINGS
} cg_setting_t;

// The writable settings come first: id < CG_NUM_WRITABLE.
enum { CG_NUM_WRITABLE = 0 CG_SETTINGS_WRITABLE(CG_SETTING_COUNT) };

#endif // CG_SETTINGS_H
