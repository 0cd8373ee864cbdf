"""The simulated camera's motion test scene: sim_motion=PERIOD:DURATION (seconds).

A still room (fresh sensor noise every frame, the exposure drifting +-6 % over 8 s), and a
figure walking across it for DURATION seconds of every PERIOD, the first walk PERIOD
seconds after the camera starts. sim_motion=1000:1 is a still scene for 1000 s. The frames
are rendered by tools/render_frames.py (build/frames/motion, VGA).
"""

STILL_STEP_MS = 500  # one still frame each half second (render_frames.MOTION_STILL of them)


def parse(spec):
    """(period_ms, duration_ms) from "PERIOD:DURATION"; ValueError with a one-line reason."""
    try:
        period, duration = [int(x) for x in spec.split(":")]
    except ValueError:
        raise ValueError("sim_motion must be PERIOD:DURATION in seconds, got %r" % spec)
    if period < 1 or duration < 1 or duration >= period:
        raise ValueError("sim_motion needs 0 < DURATION < PERIOD, got %r" % spec)
    return period * 1000, duration * 1000


class Scene:
    def __init__(self, spec, info):
        self.period_ms, self.duration_ms = parse(spec)
        self.info = info  # the manifest's "motion" set
        self.still = info["still"]
        self.moving = info["moving"]

    def index(self, elapsed_ms):
        """The frame of the scene elapsed_ms after the camera started."""
        walk, phase = divmod(elapsed_ms, self.period_ms)
        if walk >= 1 and phase < self.duration_ms:
            return self.still + phase * self.moving // self.duration_ms
        return elapsed_ms // STILL_STEP_MS % self.still
