"""Entry point on the MicroPython unix port (`make sim`).

    micropython -m camserver.host [name=value ...]

Settings come from the defaults plus the name=value arguments (no settings
file unless settings=PATH is given). The camera is camera_glue when the binary
has it compiled in, the simulated camera otherwise. The host has no Wi-Fi:
wifi_mode=ap or wifi_mode=sta (the default, like a board on its network) says
which mode POST /wifi sees, so that the tests and the page can try both.
"""

import asyncio
import sys

from camserver import log, settings


def main(argv):
    overrides = settings.parse_overrides(argv)
    path = overrides.pop("settings", None)
    wifi_mode = overrides.pop("wifi_mode", "sta")
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

    camera = open_camera(config)
    # The page's Wi-Fi form saves here on the host (the board uses /settings.json).
    changes = device.WifiChanges(config, path or "build/sim-settings.json", lambda: wifi_mode)
    asyncio.run(app.serve(config, camera, config["host"], changes))


try:
    main(sys.argv[1:])
except ValueError as e:
    print("error:", e)
    sys.exit(2)
except KeyboardInterrupt:
    pass
