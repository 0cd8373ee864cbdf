// camera_glue's esp32 backend: the sensor settings (esp32-camera's sensor_t getters and
// setters, by the ids of cg_settings.h) and the flash LED.
#include <errno.h>

#include "driver/ledc.h"
#include "esp_camera.h"

#include "cg_esp32.h"

// The flash LED uses LEDC's last timer and channel, out of the way of machine.PWM, which
// allocates from the first ones.
#define LED_TIMER LEDC_TIMER_3
#define LED_CHANNEL LEDC_CHANNEL_7

static int led = -1; // led_intensity, -1 without an LED

static void led_set(int value) {
    ledc_set_duty(LEDC_LOW_SPEED_MODE, LED_CHANNEL, (uint32_t)value);
    ledc_update_duty(LEDC_LOW_SPEED_MODE, LED_CHANNEL);
    led = value;
}

void cg_esp32_led_init(void) {
    if (CAMERA_LED_PIN < 0) {
        led = -1;
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
        led = 0;
    } else {
        led = -1;
    }
}

void cg_esp32_led_off(void) {
    if (led > 0) {
        led_set(0);
    }
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
        case CG_LED_INTENSITY: v = led; break;
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
        if (led < 0) {
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
