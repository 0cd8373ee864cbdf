# Seeed Studio XIAO ESP32S3 Sense (Seeed Studio): MicroPython board definition for the camserver firmware.
# ESP32-S3R8 with 8 MiB flash and the Sense expansion board's camera (OV2640, or OV3660 on recent units); octal PSRAM. Build with: make firmware BOARD=SEEED_XIAO_ESP32S3_SENSE
set(CAMSERVER_PSRAM octal)
set(CAMSERVER_BOARD_DIR ${CMAKE_CURRENT_LIST_DIR})
include(${CMAKE_CURRENT_LIST_DIR}/../../firmware/camserver.cmake)
