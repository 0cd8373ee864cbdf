// cg_faults: see cg_faults.h; camserver/camera/faults.py is the same model in Python.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cg_faults.h"

#define SPEC_MAX 200

static const char *const kinds[] = {"timeout", "truncate", "garbage", "wedge", "init_fail", "hang", "seed"};
enum { K_TIMEOUT, K_TRUNCATE, K_GARBAGE, K_WEDGE, K_INIT_FAIL, K_HANG, K_SEED, K_COUNT };

static char *trim(char *s) {
    while (*s == ' ') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ') {
        s[--n] = '\0';
    }
    return s;
}

int cg_faults_parse(cg_faults_t *f, const char *spec, const char **reason) {
    memset(f, 0, sizeof(*f));
    uint32_t seed = 1;
    if (spec == NULL || spec[0] == '\0') {
        f->state = seed;
        return 0;
    }
    char buf[SPEC_MAX + 1];
    if (strlen(spec) > SPEC_MAX) {
        *reason = "camera_faults: too long";
        return EINVAL;
    }
    strcpy(buf, spec);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        item = trim(item);
        if (*item == '\0') {
            continue;
        }
        char *colon = strchr(item, ':');
        if (colon == NULL) {
            *reason = "camera_faults: each item is kind:value (timeout, truncate, garbage, wedge, init_fail, hang, seed)";
            return EINVAL;
        }
        *colon = '\0';
        char *kind = trim(item), *text = trim(colon + 1), *end = NULL;
        int k = 0;
        while (k < K_COUNT && strcmp(kinds[k], kind) != 0) {
            k++;
        }
        if (k == K_COUNT) {
            *reason = "camera_faults: unknown kind (timeout, truncate, garbage, wedge, init_fail, hang, seed)";
            return EINVAL;
        }
        bool whole = k == K_INIT_FAIL || k == K_SEED;
        double value = whole ? (double)strtol(text, &end, 10) : strtod(text, &end);
        if (end == text || *end != '\0' || !isfinite(value)) {
            *reason = "camera_faults: a value is not a number";
            return EINVAL;
        }
        if (value < 0) {
            *reason = "camera_faults: a value is negative";
            return EINVAL;
        }
        switch (k) {
            case K_TIMEOUT:
            case K_TRUNCATE:
            case K_GARBAGE:
                if (value > 1) {
                    *reason = "camera_faults: timeout, truncate and garbage are probabilities (0 to 1)";
                    return EINVAL;
                }
                f->p[k] = (uint32_t)(value * CG_FAULTS_PPM + 0.5);
                break;
            case K_WEDGE:
                f->wedge_ms = (int64_t)(value * 1000 + 0.5);
                break;
            case K_HANG:
                f->hang_ms = (int64_t)(value * 1000 + 0.5);
                break;
            case K_INIT_FAIL:
                f->init_fail = (long)value;
                break;
            default:
                seed = (uint32_t)(long)value;
        }
    }
    if ((uint64_t)f->p[0] + f->p[1] + f->p[2] > CG_FAULTS_PPM) {
        *reason = "camera_faults: timeout + truncate + garbage must not exceed 1";
        return EINVAL;
    }
    f->state = seed ? seed : 0x9E3779B9u; // xorshift32 must not start at 0
    f->on = true;
    return 0;
}

uint32_t cg_faults_draw(cg_faults_t *f) {
    uint32_t x = f->state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    f->state = x;
    return x;
}

cg_fault_t cg_faults_frame(cg_faults_t *f) {
    if (!f->on) {
        return CG_FAULT_OK;
    }
    uint32_t r = cg_faults_draw(f) % CG_FAULTS_PPM;
    if (r < f->p[0]) {
        return CG_FAULT_TIMEOUT;
    }
    if (r < f->p[0] + f->p[1]) {
        return CG_FAULT_TRUNCATE;
    }
    if (r < f->p[0] + f->p[1] + f->p[2]) {
        return CG_FAULT_GARBAGE;
    }
    return CG_FAULT_OK;
}

bool cg_faults_wedged(const cg_faults_t *f, int64_t since_start_ms) {
    return f->wedge_ms > 0 && since_start_ms >= f->wedge_ms;
}

bool cg_faults_hangs(cg_faults_t *f, int64_t since_first_start_ms) {
    if (f->hang_ms > 0 && !f->hung && since_first_start_ms >= f->hang_ms) {
        f->hung = true;
        return true;
    }
    return false;
}

bool cg_faults_reinit_fails(cg_faults_t *f) {
    if (f->init_fail > 0) {
        f->init_fail--;
        return true;
    }
    return false;
}
