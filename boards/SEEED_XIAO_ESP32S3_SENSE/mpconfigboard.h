// Seeed Studio XIAO ESP32S3 Sense: ESP32-S3R8 (8 MiB octal PSRAM in the package), 8 MiB flash,
// camera on the Sense expansion board: an OV2640, or an OV3660 on recent units (esp32-camera probes
// both at init; both run at 20 MHz XCLK and reach UXGA). Console on the native USB port.

#define MICROPY_HW_BOARD_NAME               "Seeed XIAO ESP32S3 Sense (camserver)"
#define MICROPY_HW_MCU_NAME                 "ESP32S3"

// A camera server has no use for Bluetooth; its RAM and IRAM go to Wi-Fi (sdkconfig.streaming).
#define MICROPY_PY_BLUETOOTH                (0)

// Camera pins read by components/camera_glue (esp32-camera's camera_config_t).
// GPIO numbers from Seeed's XIAO ESP32S3 Sense camera pinout, the same as Espressif's
// CameraWebServer camera_pins.h (CAMERA_MODEL_XIAO_ESP32S3). D0..D7 are Espressif's Y2..Y9.
#define CAMERA_PIN_PWDN                     (-1)
#define CAMERA_PIN_RESET                    (-1)
#define CAMERA_PIN_XCLK                     (10)
#define CAMERA_PIN_SIOD                     (40)
#define CAMERA_PIN_SIOC                     (39)
#define CAMERA_PIN_D0                       (15)
#define CAMERA_PIN_D1                       (17)
#define CAMERA_PIN_D2                       (18)
#define CAMERA_PIN_D3                       (16)
#define CAMERA_PIN_D4                       (14)
#define CAMERA_PIN_D5                       (12)
#define CAMERA_PIN_D6                       (11)
#define CAMERA_PIN_D7                       (48)
#define CAMERA_PIN_VSYNC                    (38)
#define CAMERA_PIN_HREF                     (47)
#define CAMERA_PIN_PCLK                     (13)
// 20 MHz XCLK, as CameraWebServer uses for the OV2640.
#define CAMERA_XCLK_FREQ_HZ                 (20000000)
// framesize_t index of the largest size used: 15 = FRAMESIZE_UXGA (1600x1200), the OV2640's maximum;
// the OV3660 reaches QXGA (2048x1536) but stays at UXGA here, so both get the same frame buffers.
// esp32-camera sizes its frame buffers at init, so the camera is initialised at this size.
#define CAMERA_MAX_FRAMESIZE                (15)
// No flash LED on this board (GPIO21 is the user LED, shared with the Sense board's SD card CS).
#define CAMERA_LED_PIN                      (-1)
