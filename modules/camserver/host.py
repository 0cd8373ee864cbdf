"""Entry point on the MicroPython unix port (`make sim`).

    micropython -m camserver.host [name=value ...]

Settings come from the defaults plus the name=value arguments (no settings
file unless settings=PATH is given). The camera is camera_glue when the binary
has it compiled in, the simulated camera otherwise. The host has no Wi-Fi:
wifi_mode=ap or wifi_mode=sta (the default, like a board on its network) says
which mode POST /wifi sees, so that the tests and the page can try both.

With device_dir=PATH (`make sim` passes build/sim-device) the sim is a device that
can be updated and reset: the folder holds its two app slots and otadata
(device/partition_host.py) and its boot record (device/boots.py), and POST /ota,
the health check and safe mode are on. Without it there is none of these (each
test's server is its own device, or none). A reset (after POST /ota, or a rollback) ends
the process with exit code REBOOT_EXIT; `make sim` and the tests start it again,
which is the next boot. crash=camera simulates a crash at camera start (safe mode
tests), fail=camera a camera that does not start (the device serves without it and
the health check fails: the rollback tests); healthy_ms is how long the server must
run before the boot counts as healthy (device/health.py).
"""

import asyncio
import os
import sys

from camserver import log, settings

REBOOT_EXIT = 75


def _reset():
    print("rebooting")
    sys.exit(REBOOT_EXIT)


def main(argv):
    overrides = settings.parse_overrides(argv)
    path = overrides.pop("settings", None)
    wifi_mode = overrides.pop("wifi_mode", "sta")
    device_dir = overrides.pop("device_dir", "")
    crash = overrides.pop("crash", "")
    fail = overrides.pop("fail", "")
    healthy_ms = int(overrides.pop("healthy_ms", "20000"))
    if wifi_mode not in ("ap", "sta"):
        raise ValueError("wifi_mode must be ap or sta, not %r" % wifi_mode)
    # The host defaults differ from the board's: loopback and an unprivileged port.
    config = dict(settings.DEFAULTS)
    config["host"] = "127.0.0.1"
    config["port"] = 8080
    config["rtsp_port"] = 8554  # (554 needs privileges on a host)
    if path:
        data = settings.read_file(path)
        if data:
            settings.apply(config, data, strict=False)
    settings.apply(config, overrides)
    log.set_level(config["log_level"])

    from camserver import app, device
    from camserver.camera import open_camera

    # The page's Wi-Fi form saves here on the host (the board uses /settings.json).
    # /control changes are saved (and survive a restart) only with settings=PATH.
    changes = device.WifiChanges(config, path or "build/sim-settings.json", lambda: wifi_mode, bool(path))
    if not device_dir:
        asyncio.run(app.serve(config, open_camera(config), config["host"], changes))
        return
    from camserver.device import boots, health, partition_host
    from camserver.device.ota import Updater

    try:
        os.mkdir(device_dir)
    except OSError:
        pass  # (exists)
    partition_host.setup(device_dir)
    line = partition_host.boot()
    if line:
        print(line)
    record = boots.BootRecord(boots.FileStore(device_dir + "/boot.json"))
    safe = record.starting()
    if safe:
        camera = device.safe_mode_camera()
    else:
        record.reached("camera")
        if crash == "camera":
            print("simulated crash at camera start")
            sys.exit(1)
        if fail == "camera":
            log.error("camera: init failed (simulated), serving without it")
            camera = None
        else:
            camera = open_camera(config)
    updater = Updater(partition_host.Partition, _reset, record)

    def checks():
        return None if safe else device.camera_problem(camera)

    boot = health.BootCheck(record, updater, checks, healthy_ms, _reset)

    async def run():
        asyncio.create_task(boot.run())
        await app.serve(config, camera, config["host"], changes, updater, boot)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        record.healthy()  # a person stopped it (Ctrl-C): not a failed boot
        raise


try:
    main(sys.argv[1:])
except ValueError as e:
    print("error:", e)
    sys.exit(2)
except KeyboardInterrupt:
    pass
