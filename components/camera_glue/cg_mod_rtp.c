// camera_glue.RtpJpeg: MicroPython binding of the RTP/JPEG packetizer (cg_rtp.h). Same API
// as the Python fallback camserver/rtsp/packetizer.py; docs/camera_glue.md describes it.
//
// The object holds its packet buffer inline (one allocation, in the constructor) and the
// buffer object of the frame being sent: keeping that mp_obj_t keeps the bytes alive for
// the GC, and send() asks it for its buffer again on every call, so a camera_glue Frame
// released (or a bytearray shrunk) in between raises ValueError instead of being read.
#include "py/mperrno.h"
#include "py/nlr.h"
#include "py/obj.h"
#include "py/objint.h"
#include "py/runtime.h"

#include "cg_mod.h"
#include "cg_rtp.h"

#define RTP_DEFAULT_MAX_PAYLOAD 1400

typedef struct _cg_rtp_obj_t {
    mp_obj_base_t base;
    mp_obj_t frame; // the buffer object of the frame being sent, or MP_OBJ_NULL
    cg_rtp_t r;
    uint8_t pkt[]; // CG_RTP_BUF_LEN(max_payload) bytes
} cg_rtp_obj_t;

static void raise_einval(const char *reason) {
    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s"), reason);
}

// An int in 0..limit (limit <= 0xFFFFFFFF), on 32-bit ports too, where values from 2**30
// are long ints: ValueError outside, without allocating.
static uint32_t get_uint(mp_obj_t o, uint32_t limit, qstr name) {
    if (!mp_obj_is_int(o)) {
        mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("%q needs an integer"), name);
    }
    if (mp_obj_int_sign(o) >= 0) {
        nlr_buf_t nlr;
        if (nlr_push(&nlr) == 0) {
            mp_uint_t v = mp_obj_int_get_uint_checked(o); // OverflowError past a machine word
            nlr_pop();
            if (v <= limit) {
                return (uint32_t)v;
            }
        }
    }
    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%q must be 0..%u"), name, (unsigned)limit);
}

void cg_frame_buffer(mp_obj_t buf, mp_buffer_info_t *info) {
    if (!mp_get_buffer(buf, info, MP_BUFFER_READ)) {
        if (MP_OBJ_TYPE_HAS_SLOT(mp_obj_get_type(buf), buffer)) {
            mp_raise_ValueError(MP_ERROR_TEXT("frame buffer released"));
        }
        mp_raise_TypeError(MP_ERROR_TEXT("object with buffer protocol required"));
    }
}

// RtpJpeg(max_payload=1400)
static mp_obj_t rtp_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    enum { ARG_max_payload };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_max_payload, MP_ARG_INT, {.u_int = RTP_DEFAULT_MAX_PAYLOAD} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all_kw_array(n_args, n_kw, all_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    mp_int_t max_payload = args[ARG_max_payload].u_int;
    if (max_payload < CG_RTP_MAX_PAYLOAD_MIN || max_payload > CG_RTP_MAX_PAYLOAD_MAX) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("max_payload must be %d..%d"),
            CG_RTP_MAX_PAYLOAD_MIN, CG_RTP_MAX_PAYLOAD_MAX);
    }
    cg_rtp_obj_t *self = mp_obj_malloc_var(cg_rtp_obj_t, pkt, uint8_t, CG_RTP_BUF_LEN(max_payload), type);
    self->frame = MP_OBJ_NULL;
    cg_rtp_init(&self->r, self->pkt, (size_t)max_payload);
    return MP_OBJ_FROM_PTR(self);
}

// start(buf, scan, end, jpeg_type, width, height, dri, qtables, timestamp)
static mp_obj_t rtp_start(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_buf, ARG_scan, ARG_end, ARG_jpeg_type, ARG_width, ARG_height, ARG_dri, ARG_qtables, ARG_timestamp };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_buf, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_scan, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_end, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_jpeg_type, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_width, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_height, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_dri, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_qtables, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_timestamp, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    cg_rtp_obj_t *self = MP_OBJ_TO_PTR(pos_args[0]);
    mp_buffer_info_t frame, tables;
    cg_frame_buffer(args[ARG_buf].u_obj, &frame);
    mp_get_buffer_raise(args[ARG_qtables].u_obj, &tables, MP_BUFFER_READ);
    uint32_t ts = get_uint(args[ARG_timestamp].u_obj, 0xFFFFFFFF, MP_QSTR_timestamp);
    mp_int_t scan = args[ARG_scan].u_int, end = args[ARG_end].u_int;
    if (scan < 0 || end < 0) {
        raise_einval("need 0 <= scan <= end <= len(buf)");
    }
    // The int arguments are clamped into int range: anything clamped is out of range anyway.
    #define AS_INT(v) ((int)((v) < -1 ? -1 : (v) > 0x10000 ? 0x10000 : (v)))
    const char *reason = "bad argument";
    int err = cg_rtp_start(&self->r, frame.buf, frame.len, (size_t)scan, (size_t)end,
        AS_INT(args[ARG_jpeg_type].u_int), AS_INT(args[ARG_width].u_int), AS_INT(args[ARG_height].u_int),
        AS_INT(args[ARG_dri].u_int), tables.buf, tables.len, ts, &reason);
    #undef AS_INT
    if (err != 0) {
        raise_einval(reason);
    }
    self->frame = args[ARG_buf].u_obj;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(rtp_start_obj, 1, rtp_start);

// send(sock, channel) -> True when the frame is out, False when the socket would block.
static mp_obj_t rtp_send(mp_obj_t self_in, mp_obj_t sock, mp_obj_t channel_in) {
    cg_rtp_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_int_t channel = mp_obj_get_int(channel_in);
    if (channel < CG_RTP_UDP || channel > 255) {
        mp_raise_ValueError(MP_ERROR_TEXT("channel must be 0..255, or -1 for UDP"));
    }
    if (cg_rtp_half_written_for_other(&self->r, (int)channel)) {
        mp_raise_ValueError(MP_ERROR_TEXT("a packet for another channel is half written"));
    }
    cg_sock_t s = cg_sock(sock);
    if (self->r.active) {
        mp_buffer_info_t frame;
        // A camera_glue Frame released since start() (or from before deinit()) has no
        // buffer any more; a bytearray may have shrunk.
        cg_frame_buffer(self->frame, &frame);
        if (frame.len < self->r.end) {
            mp_raise_ValueError(MP_ERROR_TEXT("frame buffer shrunk since start()"));
        }
        self->r.frame = frame.buf;
    }
    int err = cg_rtp_send(&self->r, (int)channel, cg_sock_write, &s);
    if (!self->r.active) {
        self->frame = MP_OBJ_NULL; // every byte is in a packet: let the frame go
    }
    if (err == CG_WOULD_BLOCK) {
        return mp_const_false;
    }
    if (err != 0) { // (the arguments were checked above: any errno here is the socket's)
        mp_raise_OSError(err);
    }
    return mp_const_true;
}
static MP_DEFINE_CONST_FUN_OBJ_3(rtp_send_obj, rtp_send);

static const mp_rom_map_elem_t rtp_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_start), MP_ROM_PTR(&rtp_start_obj) },
    { MP_ROM_QSTR(MP_QSTR_send), MP_ROM_PTR(&rtp_send_obj) },
};
static MP_DEFINE_CONST_DICT(rtp_locals, rtp_locals_table);

// ssrc and seq read/write, sent_packets and sent_bytes read-only; the rest are methods.
static void rtp_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    cg_rtp_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (dest[0] == MP_OBJ_NULL) {
        switch (attr) {
            case MP_QSTR_ssrc:
                dest[0] = mp_obj_new_int_from_uint(self->r.ssrc);
                return;
            case MP_QSTR_seq:
                dest[0] = MP_OBJ_NEW_SMALL_INT(self->r.seq);
                return;
            case MP_QSTR_sent_packets:
                dest[0] = mp_obj_new_int_from_ull(self->r.sent_packets);
                return;
            case MP_QSTR_sent_bytes:
                dest[0] = mp_obj_new_int_from_ull(self->r.sent_bytes);
                return;
            default:
                dest[1] = MP_OBJ_SENTINEL; // continue in rtp_locals (methods)
                return;
        }
    }
    if (dest[0] == MP_OBJ_SENTINEL && dest[1] != MP_OBJ_NULL) {
        if (attr == MP_QSTR_ssrc) {
            self->r.ssrc = get_uint(dest[1], 0xFFFFFFFF, MP_QSTR_ssrc);
            dest[0] = MP_OBJ_NULL; // stored
        } else if (attr == MP_QSTR_seq) {
            self->r.seq = (uint16_t)get_uint(dest[1], 0xFFFF, MP_QSTR_seq);
            dest[0] = MP_OBJ_NULL;
        }
    }
}

MP_DEFINE_CONST_OBJ_TYPE(
    cg_rtp_jpeg_type,
    MP_QSTR_RtpJpeg,
    MP_TYPE_FLAG_NONE,
    make_new, rtp_make_new,
    attr, rtp_attr,
    locals_dict, &rtp_locals
    );
