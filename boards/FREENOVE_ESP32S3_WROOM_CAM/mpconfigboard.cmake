# Freenove ESP32-S3-WROOM CAM (Freenove): MicroPython board definition for the camserver firmware.
# ESP32-S3-WROOM-1-N8R8 (8 MiB flash) with an OV2640 camera; octal PSRAM. Build with: make firmware BOARD=FREENOVE_ESP32S3_WROOM_CAM
set(CAMSERVER_PSRAM octal)
set(CAMSERVER_BOARD_DIR ${CMAKE_CURRENT_LIST_DIR})
include(${CMAKE_CURRENT_LIST_DIR}/../../firmware/camserver.cmake)
