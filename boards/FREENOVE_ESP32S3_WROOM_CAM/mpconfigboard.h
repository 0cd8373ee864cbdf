// Freenove ESP32-S3-WROOM CAM: ESP32-S3-WROOM-1-N8R8 (8 MiB flash, 8 MiB octal PSRAM), OV2640.
// Two USB-C ports: a CH343 USB-UART bridge (UART0) and the native USB; the console is on both.

#define MICROPY_HW_BOARD_NAME               "Freenove ESP32-S3-WROOM CAM (camserver)"
#define MICROPY_HW_MCU_NAME                 "ESP32S3"

// The REPL and the `camera ready:` line also go to UART0, the port behind the CH343 bridge.
#define MICROPY_HW_ENABLE_UART_REPL         (1)

// A camera server has no use for Bluetooth; its RAM and IRAM go to Wi-Fi (sdkconfig.streaming).
#define MICROPY_PY_BLUETOOTH                (0)

// Camera pins read by components/camera_glue (esp32-camera's camera_config_t).
// Freenove's CameraWebServer sketch for this board selects CAMERA_MODEL_ESP32S3_EYE: the camera
// is wired like Espressif's ESP32-S3-EYE. D0..D7 are Espressif's Y2..Y9.
#define CAMERA_PIN_PWDN                     (-1)
#define CAMERA_PIN_RESET                    (-1)
#define CAMERA_PIN_XCLK                     (15)
#define CAMERA_PIN_SIOD                     (4)
#define CAMERA_PIN_SIOC                     (5)
#define CAMERA_PIN_D0                       (11)
#define CAMERA_PIN_D1                       (9)
#define CAMERA_PIN_D2                       (8)
#define CAMERA_PIN_D3                       (10)
#define CAMERA_PIN_D4                       (12)
#define CAMERA_PIN_D5                       (18)
#define CAMERA_PIN_D6                       (17)
#define CAMERA_PIN_D7                       (16)
#define CAMERA_PIN_VSYNC                    (6)
#define CAMERA_PIN_HREF                     (7)
#define CAMERA_PIN_PCLK                     (13)
// 20 MHz XCLK, as CameraWebServer uses for the OV2640.
#define CAMERA_XCLK_FREQ_HZ                 (20000000)
// framesize_t index of the largest size used: 15 = FRAMESIZE_UXGA (1600x1200), the OV2640's maximum.
// esp32-camera sizes its frame buffers at init, so the camera is initialised at this size.
#define CAMERA_MAX_FRAMESIZE                (15)
// No flash LED for the camera on this board.
#define CAMERA_LED_PIN                      (-1)
