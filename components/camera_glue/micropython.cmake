# camera_glue for MicroPython's CMake build of the esp32 port: the binding, the send loop
# and the esp32 backend (esp32-camera), as an INTERFACE library linked into usermod.
#
#   make -C ports/esp32 BOARD_DIR=... USER_C_MODULES=<this dir>/micropython.cmake
#   with this directory in EXTRA_COMPONENT_DIRS (firmware/camserver.cmake adds it): it is also
#   an ESP-IDF component (CMakeLists.txt, idf_component.yml) whose manifest makes the IDF
#   component manager fetch the pinned espressif/esp32-camera. Nothing in MicroPython's tree
#   is edited. The unix port builds from micropython.mk instead.

if(NOT COMMAND idf_build_get_property)
    message(FATAL_ERROR "camera_glue: micropython.cmake is for the esp32 port (ESP-IDF); the unix port uses micropython.mk")
endif()

add_library(usermod_camera_glue INTERFACE)

target_sources(usermod_camera_glue INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/cg_mod.c
    ${CMAKE_CURRENT_LIST_DIR}/cg_mod_rtp.c
    ${CMAKE_CURRENT_LIST_DIR}/cg_send.c
    ${CMAKE_CURRENT_LIST_DIR}/cg_rtp.c
    ${CMAKE_CURRENT_LIST_DIR}/cg_mod_motion.c
    ${CMAKE_CURRENT_LIST_DIR}/cg_thumb.c
    ${CMAKE_CURRENT_LIST_DIR}/cg_motion.c
    ${CMAKE_CURRENT_LIST_DIR}/cg_jpeg_check.c
    ${CMAKE_CURRENT_LIST_DIR}/cg_backend_esp32.c
    ${CMAKE_CURRENT_LIST_DIR}/cg_esp32_grabber.c
    ${CMAKE_CURRENT_LIST_DIR}/cg_esp32_sensor.c
)

# The component manager names managed components <namespace>__<name>; a local copy of the
# driver (override_path, or a folder in EXTRA_COMPONENT_DIRS) keeps the plain name.
idf_build_get_property(_cg_components BUILD_COMPONENTS)
set(_cg_camera "")
foreach(_cg_name espressif__esp32-camera esp32-camera)
    if(NOT _cg_camera AND _cg_name IN_LIST _cg_components)
        set(_cg_camera ${_cg_name})
    endif()
endforeach()
set(_cg_jpeg "")
foreach(_cg_name espressif__esp_jpeg esp_jpeg)
    if(NOT _cg_jpeg AND _cg_name IN_LIST _cg_components)
        set(_cg_jpeg ${_cg_name})
    endif()
endforeach()
if(NOT _cg_camera OR NOT _cg_jpeg)
    message(FATAL_ERROR "camera_glue: esp32-camera is not in the build; add ${CMAKE_CURRENT_LIST_DIR} to EXTRA_COMPONENT_DIRS (`make firmware` does) so that its idf_component.yml brings the driver in")
endif()
idf_component_get_property(_cg_camera_dir ${_cg_camera} COMPONENT_DIR)
idf_component_get_property(_cg_jpeg_dir ${_cg_jpeg} COMPONENT_DIR)
idf_component_get_property(_cg_camera_lib ${_cg_camera} COMPONENT_LIB)

# Listed explicitly (not only through the link below): MicroPython's qstr scan preprocesses
# the usermod sources with the include directories it gathers from usermod's INTERFACE
# libraries, and esp_camera.h pulls in esp_jpeg's jpeg_decoder.h.
target_include_directories(usermod_camera_glue INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
    ${_cg_camera_dir}/driver/include
    ${_cg_camera_dir}/conversions/include
    ${_cg_jpeg_dir}/include
)

# Link the driver after MicroPython's main component. As a generator expression, so that
# usermod.cmake's source gathering (which recurses only into plain targets) leaves the
# IDF library alone; the link itself resolves when the build is generated.
target_link_libraries(usermod_camera_glue INTERFACE "$<TARGET_NAME_IF_EXISTS:${_cg_camera_lib}>")

target_link_libraries(usermod INTERFACE usermod_camera_glue)
