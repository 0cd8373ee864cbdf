"""The camera fault model, host only: the setting camera_faults (docs/camera-interface.md).

"timeout:0.05,truncate:0.05,garbage:0.03,wedge:6,init_fail:2,hang:40,seed:7": comma-separated
kind:value. Per frame the sensor produces, one draw of a 32-bit xorshift generator seeded
with seed decides whether the grab yields nothing (timeout, as the driver's fb_get timeout),
the frame's tail is cut (truncate: no EOI) or its first byte spoilt (garbage: no SOI).
wedge:S: S seconds after each camera start the sensor delivers nothing until reinit().
init_fail:N: the next N reinit() calls fail. hang:S: once, S seconds after the first start,
a grab blocks the whole process for ever (a dead-locked driver call).

camera_glue's host backend (components/camera_glue/cg_backend_host.c) implements the same
model with the same generator, so a seed gives both the same sequence of faults
(tests/c/camera_glue_checks.py compares them).
"""

KINDS = ("timeout", "truncate", "garbage", "wedge", "init_fail", "hang", "seed")
PPM = 1000000  # probabilities are kept in parts per million, as the C model keeps them

# What frame() decides.
OK = 0
TIMEOUT = 1
TRUNCATE = 2
GARBAGE = 3


def _number(kind, text, whole):
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise ValueError("camera_faults: %s needs a number, got %r" % (kind, text))
    if not 0 <= value < 1e9:  # (also nan and inf, which the C model refuses as not finite)
        raise ValueError("camera_faults: %s must be a number from 0 up, got %r" % (kind, text))
    return value


class Faults:
    def __init__(self, spec):
        self.p = [0, 0, 0]  # timeout, truncate, garbage (ppm)
        self.wedge_ms = 0
        self.init_fail = 0
        self.hang_ms = 0
        seed = 1
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            kind, sep, text = item.partition(":")
            kind = kind.strip()
            if not sep or kind not in KINDS:
                known = ", ".join(KINDS)
                raise ValueError("camera_faults: %r is not kind:value with kind one of %s" % (item, known))
            whole = kind in ("init_fail", "seed")
            value = _number(kind, text.strip(), whole)
            if kind in ("timeout", "truncate", "garbage"):
                if value > 1:
                    raise ValueError("camera_faults: %s is a probability (0 to 1), got %s" % (kind, text))
                self.p[("timeout", "truncate", "garbage").index(kind)] = int(value * PPM + 0.5)
            elif kind == "wedge":
                self.wedge_ms = int(value * 1000 + 0.5)
            elif kind == "hang":
                self.hang_ms = int(value * 1000 + 0.5)
            elif kind == "init_fail":
                self.init_fail = value
            else:
                seed = value
        if self.p[0] + self.p[1] + self.p[2] > PPM:
            raise ValueError("camera_faults: timeout + truncate + garbage must not exceed 1")
        self.state = (seed & 0xFFFFFFFF) or 0x9E3779B9  # xorshift32 must not start at 0
        self.hung = False

    def draw(self):
        """The next number of the xorshift32 sequence (Marsaglia's 13, 17, 5)."""
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x

    def frame(self):
        """What happens to the frame the sensor produces now: OK, TIMEOUT, TRUNCATE or GARBAGE."""
        r = self.draw() % PPM
        p = self.p
        if r < p[0]:
            return TIMEOUT
        if r < p[0] + p[1]:
            return TRUNCATE
        if r < p[0] + p[1] + p[2]:
            return GARBAGE
        return OK

    def wedged(self, since_start_ms):
        return self.wedge_ms > 0 and since_start_ms >= self.wedge_ms

    def hangs(self, since_first_start_ms):
        """True once: the grab that is to block for ever."""
        if self.hang_ms > 0 and not self.hung and since_first_start_ms >= self.hang_ms:
            self.hung = True
            return True
        return False

    def reinit_fails(self):
        if self.init_fail > 0:
            self.init_fail -= 1
            return True
        return False


def truncated(length):
    """The length of a frame whose tail was cut: three quarters of it, which ends inside the
    entropy-coded data (never on an EOI)."""
    return length * 3 // 4
