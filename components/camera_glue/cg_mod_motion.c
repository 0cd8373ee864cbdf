// camera_glue.thumb() and camera_glue.motion_compare(): MicroPython bindings of the JPEG DC
// thumbnail (cg_thumb.h) and motion detection's per-block arithmetic (cg_motion.h), for
// camserver/motion/. Neither allocates: the caller's buffers are written in place.
#include "py/obj.h"
#include "py/runtime.h"

#include "cg_mod.h"
#include "cg_motion.h"
#include "cg_thumb.h"

// The decoder's tables (about 4.5 kB): static, not on the task's stack, and never per frame.
static cg_thumb_t decoder;

// thumb(frame, out) -> (width, height): the 1/8-scale luma image of the JPEG in frame (a
// Frame or any buffer) written into out (a bytearray, allocated once by the caller).
// ValueError with the decoder's reason when the frame is refused.
static mp_obj_t cg_thumb_fn(mp_obj_t frame_in, mp_obj_t out_in) {
    mp_buffer_info_t jpg, out;
    cg_frame_buffer(frame_in, &jpg);
    mp_get_buffer_raise(out_in, &out, MP_BUFFER_WRITE);
    const char *err = cg_thumb(&decoder, jpg.buf, jpg.len, out.buf, out.len);
    if (err != NULL) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s"), err);
    }
    mp_obj_t size[2] = {MP_OBJ_NEW_SMALL_INT(decoder.thumb_width), MP_OBJ_NEW_SMALL_INT(decoder.thumb_height)};
    return mp_obj_new_tuple(2, size);
}
MP_DEFINE_CONST_FUN_OBJ_2(cg_thumb_obj, cg_thumb_fn);

// motion_compare(thumb, background, mask, threshold) -> changed blocks. thumb: n bytes;
// background: n uint16 (an array('H'), updated in place); mask: n bytes or None.
static mp_obj_t cg_motion_compare_fn(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_buffer_info_t thumb, bg, mask = {0};
    mp_get_buffer_raise(args[0], &thumb, MP_BUFFER_READ);
    mp_get_buffer_raise(args[1], &bg, MP_BUFFER_WRITE);
    if (args[2] != mp_const_none) {
        mp_get_buffer_raise(args[2], &mask, MP_BUFFER_READ);
    }
    mp_int_t threshold = mp_obj_get_int(args[3]);
    if (bg.len != 2 * thumb.len || (mask.buf != NULL && mask.len != thumb.len) || threshold < 0 || threshold > 255) {
        mp_raise_ValueError(MP_ERROR_TEXT("background must be 2 bytes and mask 1 byte per block, threshold 0..255"));
    }
    uint32_t changed = cg_motion_compare(thumb.buf, bg.buf, mask.buf, thumb.len, (uint32_t)threshold);
    return MP_OBJ_NEW_SMALL_INT(changed);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(cg_motion_compare_obj, 4, 4, cg_motion_compare_fn);
