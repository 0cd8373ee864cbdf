// cg_faults: the camera fault model of the host backend (cg_backend_host.c), the setting
// camera_faults. The same model as the sim camera's (camserver/camera/faults.py, which
// explains the kinds): the same spec, the same xorshift32 generator and one draw per frame,
// so a seed gives both the same faults. Plain C, no MicroPython calls; host only.
#ifndef CG_FAULTS_H
#define CG_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#define CG_FAULTS_PPM 1000000

typedef enum { CG_FAULT_OK, CG_FAULT_TIMEOUT, CG_FAULT_TRUNCATE, CG_FAULT_GARBAGE } cg_fault_t;

typedef struct {
    bool on;
    uint32_t p[3]; // timeout, truncate, garbage (parts per million)
    int64_t wedge_ms;
    int64_t hang_ms;
    long init_fail;
    uint32_t state;
    bool hung;
} cg_faults_t;

// Parses spec ("" or NULL: no faults). 0, or EINVAL with *reason (a string constant).
int cg_faults_parse(cg_faults_t *f, const char *spec, const char **reason);

uint32_t cg_faults_draw(cg_faults_t *f);

// What happens to the frame the sensor produces now.
cg_fault_t cg_faults_frame(cg_faults_t *f);

bool cg_faults_wedged(const cg_faults_t *f, int64_t since_start_ms);

// True once: the grab that is to block for ever.
bool cg_faults_hangs(cg_faults_t *f, int64_t since_first_start_ms);

bool cg_faults_reinit_fails(cg_faults_t *f);

// The length of a frame whose tail was cut (ends inside the entropy-coded data).
static inline uint32_t cg_faults_truncated(uint32_t len) {
    return (uint32_t)((uint64_t)len * 3 / 4);
}

#endif // CG_FAULTS_H
