// The sensor settings table shared by both backends: CameraWebServer names with the
// ranges esp32-camera's sensor.h documents for them.
#include <string.h>

#include "cg_backend.h"

const cg_setting_info_t cg_settings[CG_NUM_SETTINGS] = {
    [CG_FRAMESIZE] = {"framesize", 0, CG_FRAMESIZE_MAX, true},
    [CG_QUALITY] = {"quality", 0, 63, true},
    [CG_BRIGHTNESS] = {"brightness", -2, 2, true},
    [CG_CONTRAST] = {"contrast", -2, 2, true},
    [CG_SATURATION] = {"saturation", -2, 2, true},
    [CG_SHARPNESS] = {"sharpness", -2, 2, true},
    [CG_SPECIAL_EFFECT] = {"special_effect", 0, 6, true},
    [CG_WB_MODE] = {"wb_mode", 0, 4, true},
    [CG_AWB] = {"awb", 0, 1, true},
    [CG_AWB_GAIN] = {"awb_gain", 0, 1, true},
    [CG_AEC] = {"aec", 0, 1, true},
    [CG_AEC2] = {"aec2", 0, 1, true},
    [CG_AE_LEVEL] = {"ae_level", -2, 2, true},
    [CG_AEC_VALUE] = {"aec_value", 0, 1200, true},
    [CG_AGC] = {"agc", 0, 1, true},
    [CG_AGC_GAIN] = {"agc_gain", 0, 30, true},
    [CG_GAINCEILING] = {"gainceiling", 0, 6, true},
    [CG_BPC] = {"bpc", 0, 1, true},
    [CG_WPC] = {"wpc", 0, 1, true},
    [CG_RAW_GMA] = {"raw_gma", 0, 1, true},
    [CG_LENC] = {"lenc", 0, 1, true},
    [CG_HMIRROR] = {"hmirror", 0, 1, true},
    [CG_VFLIP] = {"vflip", 0, 1, true},
    [CG_DCW] = {"dcw", 0, 1, true},
    [CG_COLORBAR] = {"colorbar", 0, 1, true},
    [CG_LED_INTENSITY] = {"led_intensity", 0, 255, true},
    [CG_XCLK] = {"xclk", 0, 0, false},
    [CG_PIXFORMAT] = {"pixformat", 0, 0, false},
};

int cg_setting_find(const char *name, size_t len) {
    for (int i = 0; i < CG_NUM_SETTINGS; i++) {
        if (strlen(cg_settings[i].name) == len && memcmp(cg_settings[i].name, name, len) == 0) {
            return i;
        }
    }
    return -1;
}
