// camera_glue: MicroPython binding of the camera backends (cg_backend.h) and of the
// chunked-send loop (cg_send.h); the RTP/JPEG packetizer's is cg_mod_rtp.c. The same source
// builds into the esp32 firmware and the unix port; everything port-specific lives in the
// backends. The API is the camera interface of docs/camera-interface.md; docs/camera_glue.md
// explains the design.
#include <string.h>

#include "py/mperrno.h"
#include "py/obj.h"
#include "py/objstr.h"
#include "py/runtime.h"
#include "py/stream.h"

#include "cg_backend.h"
#include "cg_mod.h"
#include "cg_send.h"

#define CG_DEFAULT_CHUNK 4096

// ---- Frame

typedef struct _cg_frame_obj_t {
    mp_obj_base_t base;
    bool released;
    cg_frame_t f;
} cg_frame_obj_t;

static const mp_obj_type_t cg_frame_type;

// Gives the frame back to the backend exactly once; later calls do nothing.
static void frame_release(cg_frame_obj_t *self) {
    if (!self->released) {
        self->released = true;
        cg_backend_release(&self->f);
    }
}

// A frame's bytes may be read while it is held and its init session is the current one:
// after deinit() the board's driver has its buffer back (freed by esp_camera_deinit).
static bool frame_readable(const cg_frame_obj_t *self) {
    return !self->released && self->f.gen == cg_backend_gen();
}

static void frame_check(cg_frame_obj_t *self) {
    if (!frame_readable(self)) {
        mp_raise_ValueError(self->released ? MP_ERROR_TEXT("frame released")
            : MP_ERROR_TEXT("frame from before deinit()"));
    }
}

static mp_obj_t frame_release_meth(mp_obj_t self_in) {
    frame_release(MP_OBJ_TO_PTR(self_in));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(frame_release_obj, frame_release_meth);

cg_sock_t cg_sock(mp_obj_t sock) {
    cg_sock_t s = {sock, mp_get_stream_raise(sock, MP_STREAM_OP_WRITE)};
    return s;
}

int cg_sock_write(void *ctx, const uint8_t *buf, size_t len, size_t *written) {
    cg_sock_t *s = ctx;
    int err = 0;
    mp_uint_t r = s->stream->write(s->sock, buf, len, &err);
    if (r == MP_STREAM_ERROR) {
        if (mp_is_nonblocking_error(err)) {
            return CG_WOULD_BLOCK;
        }
        return err > 0 ? err : MP_EIO;
    }
    *written = (size_t)r;
    return 0;
}

// send(sock, offset, end=len(frame), chunk_size=4096): writes frame[offset:end] through
// the socket's stream protocol in writes of at most chunk_size bytes until end or until a
// write would block. Returns the bytes written (0 on would-block: await writability and
// call again with offset + written); a socket error raises OSError(errno).
static mp_obj_t frame_send(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_sock, ARG_offset, ARG_end, ARG_chunk_size };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_sock, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_offset, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_end, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_chunk_size, MP_ARG_INT, {.u_int = CG_DEFAULT_CHUNK} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    cg_frame_obj_t *self = MP_OBJ_TO_PTR(pos_args[0]);
    frame_check(self);
    mp_obj_t sock = args[ARG_sock].u_obj;
    cg_sock_t s = cg_sock(sock);
    mp_int_t len = (mp_int_t)self->f.len;
    mp_int_t offset = args[ARG_offset].u_int;
    mp_int_t end = args[ARG_end].u_obj == mp_const_none ? len : mp_obj_get_int(args[ARG_end].u_obj);
    mp_int_t chunk_size = args[ARG_chunk_size].u_int;
    if (offset < 0 || offset > end || end > len || chunk_size <= 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("need 0 <= offset <= end <= len(frame) and chunk_size > 0"));
    }
    size_t sent = 0;
    int err = cg_send(self->f.buf, self->f.len, offset, end, chunk_size, cg_sock_write, &s, &sent, NULL);
    if (err != 0) {
        mp_raise_OSError(err);
    }
    return mp_obj_new_int_from_uint(sent);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(frame_send_obj, 1, frame_send);

static const mp_rom_map_elem_t frame_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_release), MP_ROM_PTR(&frame_release_obj) },
    { MP_ROM_QSTR(MP_QSTR_send), MP_ROM_PTR(&frame_send_obj) },
    // The finaliser: a frame the app dropped without release() (its connection died
    // on a path no `finally` covered) still goes back to the driver when the GC frees it.
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&frame_release_obj) },
};
static MP_DEFINE_CONST_DICT(frame_locals, frame_locals_table);

static void frame_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    cg_frame_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (dest[0] != MP_OBJ_NULL) {
        return; // read-only attributes
    }
    switch (attr) {
        case MP_QSTR_width:
            dest[0] = MP_OBJ_NEW_SMALL_INT(self->f.width);
            break;
        case MP_QSTR_height:
            dest[0] = MP_OBJ_NEW_SMALL_INT(self->f.height);
            break;
        case MP_QSTR_index:
            dest[0] = MP_OBJ_NEW_SMALL_INT(self->f.index);
            break;
        case MP_QSTR_timestamp: {
            mp_obj_t t[2] = {mp_obj_new_int_from_ll(self->f.ts_sec), MP_OBJ_NEW_SMALL_INT(self->f.ts_usec)};
            dest[0] = mp_obj_new_tuple(2, t);
            break;
        }
        default:
            dest[1] = MP_OBJ_SENTINEL; // continue in frame_locals (methods)
    }
}

static mp_obj_t frame_unary_op(mp_unary_op_t op, mp_obj_t self_in) {
    cg_frame_obj_t *self = MP_OBJ_TO_PTR(self_in);
    switch (op) {
        case MP_UNARY_OP_LEN:
            return MP_OBJ_NEW_SMALL_INT(self->f.len);
        case MP_UNARY_OP_BOOL:
            return mp_const_true;
        default:
            return MP_OBJ_NULL;
    }
}

// Read-only buffer protocol over the framebuffer itself (PSRAM on the board): the bytes
// are never copied into the MicroPython heap.
static mp_int_t frame_get_buffer(mp_obj_t self_in, mp_buffer_info_t *bufinfo, mp_uint_t flags) {
    cg_frame_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (flags & MP_BUFFER_WRITE) {
        if (flags & MP_BUFFER_RAISE_IF_UNSUPPORTED) {
            mp_raise_ValueError(MP_ERROR_TEXT("frame is read-only"));
        }
        return 1;
    }
    if (!frame_readable(self)) {
        if (flags & MP_BUFFER_RAISE_IF_UNSUPPORTED) {
            frame_check(self);
        }
        return 1;
    }
    bufinfo->buf = (void *)self->f.buf;
    bufinfo->len = self->f.len;
    bufinfo->typecode = 'B';
    return 0;
}

static void frame_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    (void)kind;
    cg_frame_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_printf(print, "<Frame %ux%u %u bytes%s>", (unsigned)self->f.width, (unsigned)self->f.height,
        (unsigned)self->f.len, self->released ? " released" : "");
}

static MP_DEFINE_CONST_OBJ_TYPE(
    cg_frame_type,
    MP_QSTR_Frame,
    MP_TYPE_FLAG_NONE,
    print, frame_print,
    unary_op, frame_unary_op,
    attr, frame_attr,
    buffer, frame_get_buffer,
    locals_dict, &frame_locals
    );

// ---- module functions

static void check_ready(void) {
    if (!cg_backend_ready()) {
        mp_raise_OSError(MP_ENODEV);
    }
}

// Raises OSError(errno, reason): e.errno stays the number the app can test.
static NORETURN void raise_reason(int err, const char *reason) {
    mp_obj_t exc_args[2] = {MP_OBJ_NEW_SMALL_INT(err), mp_obj_new_str(reason, strlen(reason))};
    nlr_raise(mp_obj_new_exception_args(&mp_type_OSError, 2, exc_args));
}

// ---- settings: the table is cg_settings.h

typedef struct {
    qstr_short_t name;
    int16_t min; // the accepted range; the backend may narrow it
    int16_t max;
    int16_t def; // what init() starts the camera with when not given
} setting_info_t;

#define SETTING_INFO(id, name, lo, hi, def) [CG_##id] = {MP_QSTR_##name, lo, hi, def},
#define SETTING_NAME(id, name, value) [CG_##id] = {MP_QSTR_##name, 0, 0, value},
static const setting_info_t settings[CG_NUM_SETTINGS] = {
    CG_SETTINGS_WRITABLE(SETTING_INFO)
    CG_SETTINGS_READ_ONLY(SETTING_NAME)
};

// camera_glue.RANGES: name -> (min, max, default) of every writable setting, in ROM; the
// same shape as the sim's camserver.camera.sensor.RANGES.
#define RANGE_TUPLE(id, name, lo, hi, def) \
    static const mp_rom_obj_tuple_t range_##name = {{&mp_type_tuple}, 3, {MP_ROM_INT(lo), MP_ROM_INT(hi), MP_ROM_INT(def)}};
CG_SETTINGS_WRITABLE(RANGE_TUPLE)
#define RANGE_ENTRY(id, name, lo, hi, def) { MP_ROM_QSTR(MP_QSTR_##name), MP_ROM_PTR(&range_##name) },
static const mp_rom_map_elem_t ranges_table[] = {
    CG_SETTINGS_WRITABLE(RANGE_ENTRY)
};
static MP_DEFINE_CONST_DICT(ranges_dict, ranges_table);

// The id of the setting called name, or -1. Every setting name is a static qstr, so a
// name that is not interned is no setting: looking it up allocates nothing.
static int setting_find(mp_obj_t name) {
    size_t len;
    const char *s = mp_obj_str_get_data(name, &len);
    qstr q = mp_obj_is_qstr(name) ? MP_OBJ_QSTR_VALUE(name) : qstr_find_strn(s, len);
    for (int id = 0; id < CG_NUM_SETTINGS; id++) {
        if (settings[id].name == q) {
            return id;
        }
    }
    return -1;
}

static int setting_id(mp_obj_t name) {
    int id = setting_find(name);
    if (id < 0) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("unknown setting: %s"), mp_obj_str_get_str(name));
    }
    return id;
}

// An int setting value: ints and bools only, in range for the setting.
static int setting_value(int id, mp_obj_t v) {
    const setting_info_t *info = &settings[id];
    if (mp_obj_is_bool(v)) {
        v = MP_OBJ_NEW_SMALL_INT(mp_obj_is_true(v));
    }
    if (!mp_obj_is_small_int(v)) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%q needs an integer"), info->name);
    }
    mp_int_t x = MP_OBJ_SMALL_INT_VALUE(v);
    if (x < info->min || x > info->max) {
        // Worded as the sim words it (camserver/camera/sensor.py), so the page shows one text.
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%q must be between %d and %d, got %d"), info->name,
            (int)info->min, (int)info->max, (int)x);
    }
    return (int)x;
}

static void set_setting(int id, mp_obj_t value) {
    if (id >= CG_NUM_WRITABLE) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%q is read-only"), settings[id].name);
    }
    int v = setting_value(id, value);
    const char *reason = "not supported";
    int err = cg_backend_set(id, v, &reason);
    if (err == EINVAL) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%q %d: %s"), settings[id].name, v, reason);
    } else if (err != 0) {
        mp_raise_OSError(err);
    }
}

// init()'s keyword arguments: every writable setting, in table order (so an argument's
// index is its setting id; MP_OBJ_NULL when not given), then the camera configuration.
enum { ARG_fb_count = CG_NUM_WRITABLE, ARG_grab_mode, ARG_fps, ARG_frames_dir, ARG_xclk_mhz, ARG_faults };
#define INIT_SETTING_ARG(id, name, lo, hi, def) { MP_QSTR_##name, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
static const mp_arg_t init_args[] = {
    CG_SETTINGS_WRITABLE(INIT_SETTING_ARG)
    { MP_QSTR_fb_count, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 2} },
    { MP_QSTR_grab_mode, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
    // The host backend plays the rendered frames at this rate and checks it (1..120); the
    // board's sensor sets its own rate and ignores it, so an app setting never stops the
    // camera from starting there.
    { MP_QSTR_fps, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 25} },
    { MP_QSTR_frames_dir, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
    { MP_QSTR_xclk_mhz, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 20} },
    // camera_faults (docs/camera-interface.md): the host backend's fault model; the board
    // refuses any, so a setting meant for the simulator never reaches a real camera unseen.
    { MP_QSTR_faults, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
};

// init(framesize=10, quality=12, fb_count=2, grab_mode="latest", fps=25,
//      frames_dir="build/frames", xclk_mhz=20, faults="", **sensor_settings): starts the
// camera, then applies the sensor settings given. Every value is checked before the camera starts.
static mp_obj_t cg_init(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    mp_arg_val_t args[MP_ARRAY_SIZE(init_args)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(init_args), init_args, args);
    cg_config_t cfg = {settings[CG_FRAMESIZE].def, settings[CG_QUALITY].def, args[ARG_fb_count].u_int,
                       args[ARG_fps].u_int, "build/frames", args[ARG_xclk_mhz].u_int, NULL};
    if (cfg.xclk_mhz < 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("init: xclk_mhz must be at least 1"));
    }
    for (int id = 0; id < CG_NUM_WRITABLE; id++) {
        if (args[id].u_obj != MP_OBJ_NULL) {
            int v = setting_value(id, args[id].u_obj);
            if (id == CG_FRAMESIZE) {
                cfg.framesize = v;
            } else if (id == CG_QUALITY) {
                cfg.quality = v;
            }
        }
    }
    mp_obj_t mode = args[ARG_grab_mode].u_obj;
    if (mode != MP_OBJ_NULL && (!mp_obj_is_str(mode) || strcmp(mp_obj_str_get_str(mode), "latest") != 0)) {
        mp_raise_ValueError(MP_ERROR_TEXT("grab_mode must be \"latest\""));
    }
    if (args[ARG_frames_dir].u_obj != MP_OBJ_NULL) {
        cfg.frames_dir = mp_obj_str_get_str(args[ARG_frames_dir].u_obj);
    }
    if (args[ARG_faults].u_obj != MP_OBJ_NULL) {
        cfg.faults = mp_obj_str_get_str(args[ARG_faults].u_obj);
    }
    const char *reason = "camera init failed";
    int err = cg_backend_init(&cfg, &reason);
    if (err == EINVAL) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("init: %s"), reason);
    } else if (err != 0) {
        raise_reason(err, reason);
    }
    // The camera started with framesize and quality; the other settings go to the sensor.
    for (int id = 0; id < CG_NUM_WRITABLE; id++) {
        if (args[id].u_obj != MP_OBJ_NULL && id != CG_FRAMESIZE && id != CG_QUALITY) {
            set_setting(id, args[id].u_obj);
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(cg_init_obj, 0, cg_init);

// reinit(): restarts the camera with the same configuration and settings (the recovery
// ladder's step); OSError(errno, reason) when it fails.
static mp_obj_t cg_reinit(void) {
    const char *reason = "camera restart failed";
    int err = cg_backend_reinit(&reason);
    if (err != 0) {
        raise_reason(err, reason);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(cg_reinit_obj, cg_reinit);

// counts(): (timeouts, invalid frames) since init, as the sim's counts().
static mp_obj_t cg_counts(void) {
    cg_info_t info = {0, 0, 0, 0, 0};
    cg_backend_info(&info);
    mp_obj_t t[2] = {mp_obj_new_int_from_uint(info.timeouts), mp_obj_new_int_from_uint(info.invalid)};
    return mp_obj_new_tuple(2, t);
}
static MP_DEFINE_CONST_FUN_OBJ_0(cg_counts_obj, cg_counts);

static mp_obj_t cg_deinit(void) {
    check_ready();
    cg_backend_deinit();
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(cg_deinit_obj, cg_deinit);

// grab(): the newest frame captured since the previous grab, or None (never blocks).
static mp_obj_t cg_grab(void) {
    check_ready();
    cg_frame_t f;
    int r = cg_backend_grab(&f);
    if (r < 0) {
        mp_raise_OSError(-r);
    }
    if (r == 0) {
        return mp_const_none;
    }
    cg_frame_obj_t *o = mp_obj_malloc_with_finaliser(cg_frame_obj_t, &cg_frame_type);
    o->released = false;
    o->f = f;
    return MP_OBJ_FROM_PTR(o);
}
static MP_DEFINE_CONST_FUN_OBJ_0(cg_grab_obj, cg_grab);

static mp_obj_t cg_poll_ms(void) {
    return MP_OBJ_NEW_SMALL_INT(cg_backend_poll_ms());
}
static MP_DEFINE_CONST_FUN_OBJ_0(cg_poll_ms_obj, cg_poll_ms);

static mp_obj_t cg_frames_out(void) {
    return MP_OBJ_NEW_SMALL_INT(cg_backend_frames_out());
}
static MP_DEFINE_CONST_FUN_OBJ_0(cg_frames_out_obj, cg_frames_out);

static mp_obj_t cg_get(mp_obj_t name) {
    int id = setting_id(name);
    check_ready();
    int v = 0;
    int err = cg_backend_get(id, &v);
    if (err != 0) {
        mp_raise_OSError(err);
    }
    return MP_OBJ_NEW_SMALL_INT(v);
}
static MP_DEFINE_CONST_FUN_OBJ_1(cg_get_obj, cg_get);

static mp_obj_t cg_set(mp_obj_t name, mp_obj_t value) {
    int id = setting_id(name);
    check_ready();
    set_setting(id, value);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(cg_set_obj, cg_set);

// status(): every setting by its CameraWebServer name, plus backend="camera_glue",
// driver (the C backend: "host" or "esp32"), framesizes (the selectable framesize
// indices), fps (0 when the backend cannot know) and grabbed, as the sim reports them.
static mp_obj_t cg_status(void) {
    check_ready();
    mp_obj_t d = mp_obj_new_dict(CG_NUM_SETTINGS + 5);
    for (int id = 0; id < CG_NUM_SETTINGS; id++) {
        int v = 0;
        if (cg_backend_get(id, &v) == 0) {
            mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(settings[id].name), MP_OBJ_NEW_SMALL_INT(v));
        }
    }
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_backend), MP_OBJ_NEW_QSTR(MP_QSTR_camera_glue));
    // Interned on the first status() only: later ones find the qstr and allocate nothing.
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_driver), MP_OBJ_NEW_QSTR(qstr_from_str(cg_backend_name())));
    cg_info_t info = {0, 0, 0, 0, 0};
    cg_backend_info(&info);
    mp_obj_t sizes = mp_obj_new_list(0, NULL);
    for (int fs = 0; fs <= CG_FRAMESIZE_MAX; fs++) {
        if (info.framesizes & (1u << fs)) {
            mp_obj_list_append(sizes, MP_OBJ_NEW_SMALL_INT(fs));
        }
    }
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_framesizes), sizes);
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_fps), MP_OBJ_NEW_SMALL_INT(info.fps));
    mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_grabbed), mp_obj_new_int_from_uint(info.grabbed));
    return d;
}
static MP_DEFINE_CONST_FUN_OBJ_0(cg_status_obj, cg_status);

// camera_glue.reset_reason(): esp_reset_reason() as a number (device/resets.py names it).
static mp_obj_t cg_reset_reason(void) {
    return MP_OBJ_NEW_SMALL_INT(cg_backend_reset_reason());
}
static MP_DEFINE_CONST_FUN_OBJ_0(cg_reset_reason_obj, cg_reset_reason);

static const mp_rom_map_elem_t cg_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_camera_glue) },
    { MP_ROM_QSTR(MP_QSTR_init), MP_ROM_PTR(&cg_init_obj) },
    { MP_ROM_QSTR(MP_QSTR_deinit), MP_ROM_PTR(&cg_deinit_obj) },
    { MP_ROM_QSTR(MP_QSTR_reinit), MP_ROM_PTR(&cg_reinit_obj) },
    { MP_ROM_QSTR(MP_QSTR_counts), MP_ROM_PTR(&cg_counts_obj) },
    { MP_ROM_QSTR(MP_QSTR_grab), MP_ROM_PTR(&cg_grab_obj) },
    { MP_ROM_QSTR(MP_QSTR_poll_ms), MP_ROM_PTR(&cg_poll_ms_obj) },
    { MP_ROM_QSTR(MP_QSTR_frames_out), MP_ROM_PTR(&cg_frames_out_obj) },
    { MP_ROM_QSTR(MP_QSTR_get), MP_ROM_PTR(&cg_get_obj) },
    { MP_ROM_QSTR(MP_QSTR_set), MP_ROM_PTR(&cg_set_obj) },
    { MP_ROM_QSTR(MP_QSTR_status), MP_ROM_PTR(&cg_status_obj) },
    { MP_ROM_QSTR(MP_QSTR_reset_reason), MP_ROM_PTR(&cg_reset_reason_obj) },
    { MP_ROM_QSTR(MP_QSTR_RANGES), MP_ROM_PTR(&ranges_dict) },
    { MP_ROM_QSTR(MP_QSTR_Frame), MP_ROM_PTR(&cg_frame_type) },
    { MP_ROM_QSTR(MP_QSTR_RtpJpeg), MP_ROM_PTR(&cg_rtp_jpeg_type) },
    { MP_ROM_QSTR(MP_QSTR_thumb), MP_ROM_PTR(&cg_thumb_obj) },
    { MP_ROM_QSTR(MP_QSTR_motion_compare), MP_ROM_PTR(&cg_motion_compare_obj) },
};
static MP_DEFINE_CONST_DICT(cg_module_globals, cg_module_globals_table);

const mp_obj_module_t cg_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&cg_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_camera_glue, cg_module);
