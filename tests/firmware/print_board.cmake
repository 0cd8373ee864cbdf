# Evaluates a board's mpconfigboard.cmake the way MicroPython's ports/esp32/CMakeLists.txt does
# (include() before project()) and prints the variables the IDF build reads, one per line.
# Run: cmake -DMICROPY_BOARD_DIR=/abs/boards/X -P tests/firmware/print_board.cmake
# (cmake -P sets CMAKE_BINARY_DIR to the current directory: run it in a scratch folder.)
if(NOT MICROPY_BOARD_DIR)
    message(FATAL_ERROR "pass -DMICROPY_BOARD_DIR=<board folder>")
endif()
include(${MICROPY_BOARD_DIR}/mpconfigboard.cmake)
message("IDF_TARGET=${IDF_TARGET}")
foreach(item ${SDKCONFIG_DEFAULTS})
    message("SDKCONFIG_DEFAULTS=${item}")
endforeach()
foreach(item ${EXTRA_COMPONENT_DIRS})
    message("EXTRA_COMPONENT_DIRS=${item}")
endforeach()
message("MICROPY_FROZEN_MANIFEST=${MICROPY_FROZEN_MANIFEST}")
