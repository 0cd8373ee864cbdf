// What the files of camera_glue's binding share (cg_mod.c, cg_mod_rtp.c): the socket
// write in the shape of cg_write_fn, and the types the module's globals table lists.
#ifndef CG_MOD_H
#define CG_MOD_H

#include "py/obj.h"
#include "py/stream.h"

// The stream write of one socket, in the shape cg_send() and cg_rtp_send() call.
typedef struct {
    mp_obj_t sock;
    const mp_stream_p_t *stream;
} cg_sock_t;

// sock's stream protocol (raises TypeError when it has no write).
cg_sock_t cg_sock(mp_obj_t sock);

// A cg_write_fn over a cg_sock_t: would-block (mp_is_nonblocking_error) is
// CG_WOULD_BLOCK, any other stream error its errno.
int cg_sock_write(void *ctx, const uint8_t *buf, size_t len, size_t *written);

// The bytes of buf. An object that has the buffer protocol but refuses it now (a Frame
// released, or from before deinit()) raises ValueError, anything else without it TypeError.
void cg_frame_buffer(mp_obj_t buf, mp_buffer_info_t *info);

extern const mp_obj_type_t cg_rtp_jpeg_type;
extern const mp_obj_fun_builtin_fixed_t cg_thumb_obj;
extern const mp_obj_fun_builtin_var_t cg_motion_compare_obj;

#endif // CG_MOD_H
