"""The camera behind one interface (docs/camera-interface.md).

open_camera() returns the camera_glue C module when the firmware (or the unix
port build) has it, else the pure-MicroPython simulated camera. Both are
module-like objects with init/deinit/reinit/grab/get/set/status/counts/frames_out/thumb.
Here too: jpeg_check.py (the sim's check that a frame is a whole JPEG), recovery.py
(the ladder that restarts a silent camera, then resets the device), faults.py (the
host-only fault model, camera_faults), sim_motion.py (the simulated camera's motion test
scene, sim_motion), absent.py and sensor.py.
"""

from camserver import log


def missing(backend):
    """Why backend serves no frames, or None when it does: only absent.py's stand-in (the board's
    camera failed to start, or safe mode) has `available` False, and its `reason` says why.
    Every caller asks here, so a backend need not carry either name."""
    if getattr(backend, "available", True):
        return None
    return getattr(backend, "reason", "camera not available")


def open_camera(config):
    """Import and init the best backend for this build. Called early at boot,
    before the heap grows, so frame buffers are allocated first."""
    try:
        import camera_glue as backend
    except ImportError:
        from camserver.camera import sim as backend
    backend.init(
        framesize=config["framesize"],
        quality=config["quality"],
        fb_count=config["fb_count"],
        fps=config["fps"],
        frames_dir=config["frames_dir"],
        xclk_mhz=config["xclk_mhz"],
        faults=config["camera_faults"],  # (camera_glue on the board refuses any)
    )
    restore(backend, config)
    if config.get("sim_motion"):
        if not hasattr(backend, "scene"):
            name = backend.status()["backend"]
            log.warning("camera: sim_motion needs the simulated camera (this is %s)", name)
        else:
            try:
                backend.scene(config["sim_motion"])  # pyright: ignore[reportAttributeAccessIssue] (the sim camera's: checked above)
            except ValueError as e:
                log.warning("camera: %s", e)
    log.info("camera: %s backend", backend.status()["backend"])
    return backend


def restore(backend, config):
    """Apply the saved sensor settings (those not at their default; framesize and quality went
    to init) before the first frame is grabbed. One that the camera refuses is left at its
    default with one console line: a saved setting never stops the camera."""
    from camserver.camera import sensor

    for name in sensor.RANGES:
        value = config.get(name)
        if name in ("framesize", "quality") or value is None or value == sensor.RANGES[name][2]:
            continue
        try:
            backend.set(name, value)
        except (ValueError, OSError) as e:
            log.warning("camera: saved %s not restored (%s)", name, e)
