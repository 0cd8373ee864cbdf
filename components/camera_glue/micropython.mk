# camera_glue for MicroPython's make-based ports (the unix port): the binding, the send
# loop, the RTP/JPEG packetizer, the JPEG thumbnail and motion arithmetic, and the host
# backend, which plays the rendered JPEG frames. The esp32 port builds with CMake and reads micropython.cmake instead.
CAMERA_GLUE_DIR := $(USERMOD_DIR)

# The binding is scanned for qstrs; the plain-C parts are not MicroPython code.
SRC_USERMOD_C += $(CAMERA_GLUE_DIR)/cg_mod.c
SRC_USERMOD_C += $(CAMERA_GLUE_DIR)/cg_mod_rtp.c
SRC_USERMOD_C += $(CAMERA_GLUE_DIR)/cg_mod_motion.c
SRC_USERMOD_LIB_C += $(CAMERA_GLUE_DIR)/cg_send.c
SRC_USERMOD_LIB_C += $(CAMERA_GLUE_DIR)/cg_rtp.c
SRC_USERMOD_LIB_C += $(CAMERA_GLUE_DIR)/cg_thumb.c
SRC_USERMOD_LIB_C += $(CAMERA_GLUE_DIR)/cg_motion.c
SRC_USERMOD_LIB_C += $(CAMERA_GLUE_DIR)/cg_backend_host.c
SRC_USERMOD_LIB_C += $(CAMERA_GLUE_DIR)/cg_faults.c
SRC_USERMOD_LIB_C += $(CAMERA_GLUE_DIR)/cg_jpeg_check.c

CFLAGS_USERMOD += -I$(CAMERA_GLUE_DIR)
