"""Entry point on the MicroPython unix port (`make sim`): the device's own start-up
(camserver.device.boot) with host doubles for what only a board has (device/*_host.py).

    micropython -m camserver.host [name=value ...]

device_dir=PATH (`make sim` passes DEVICE) makes the sim a device: the folder holds its
settings.json (like the board's /settings.json), NVS with the boot record, app slots, and how its
last run ended; POST /ota, the health check, safe mode and the watchdog are on, and a reset ends
the process with exit code 75 (`make sim` starts it again: the next boot). Ctrl-C (SIGINT) is a
clean stop. Without device_dir none of these, and settings=PATH names a settings file.
wifi_mode=sta (default) is a board on the simulated network, wifi_mode=ap one on its setup access
point, both reached at the server's address. Test options: crash=camera ends the process at camera
start, fail=camera is a camera that does not start, healthy_ms (device/health.py).
"""

import sys

from camserver import settings
from camserver.device import machine_host

SIM_WIFI = ("sim", "sim-network")  # the simulated network a wifi_mode=sta sim is joined to


def _camera(crash, fail):
    """open_camera, or a stand-in for the crash= and fail= test options."""
    from camserver.camera import open_camera

    def crashing(config):
        machine_host.record(machine_host.ESP_RST_PANIC)
        print("simulated crash at camera start")
        sys.exit(1)

    def failing(config):
        raise OSError("simulated")

    if crash == "camera":
        return crashing
    return failing if fail == "camera" else open_camera


def _network(overrides, wifi_mode):
    """The simulated network, reached at the sim's own address; credentials to match."""
    from camserver.device.network_host import SimNet

    if wifi_mode not in ("ap", "sta"):
        raise ValueError("wifi_mode must be ap or sta, not %r" % wifi_mode)
    address = "127.0.0.1" if overrides["host"] == "0.0.0.0" else overrides["host"]
    if wifi_mode == "ap":
        overrides["wifi_ssid"] = ""
        return SimNet({}, join_ms=0, sta_ip=address, ap_ip=address)
    overrides["wifi_ssid"], overrides["wifi_password"] = SIM_WIFI
    return SimNet(dict([SIM_WIFI]), join_ms=0, sta_ip=address, ap_ip=address)


def main(argv):
    overrides = settings.parse_overrides(argv)
    path = overrides.pop("settings", None)
    device_dir = overrides.pop("device_dir", "")
    wifi_mode = overrides.pop("wifi_mode", "sta")
    options = {
        "open_camera": _camera(overrides.pop("crash", ""), overrides.pop("fail", "")),
        "healthy_ms": int(overrides.pop("healthy_ms", "20000")),
        "wifi_options": {"poll_ms": 20},
        # A port another program holds stops the sim with its one line (main below), where a
        # board logs it and tries again.
        "fatal": (settings.SettingError,),
    }
    # The host's defaults differ from the board's: loopback, unprivileged ports.
    overrides.setdefault("host", "127.0.0.1")
    overrides.setdefault("port", "8080")
    overrides.setdefault("rtsp_port", "8554")
    settings.apply(dict(settings.DEFAULTS), overrides)  # a bad argument stops here, in one line
    net = _network(overrides, wifi_mode)
    esp32 = machine = None
    if device_dir:
        from camserver.device import esp32_host as esp32

        esp32.setup(device_dir)
        machine = machine_host
        machine.setup(device_dir)
        path = path or device_dir + "/settings.json"
    elif not path:
        # The page's Wi-Fi form still saves somewhere; /control changes are not kept.
        path = "build/sim-settings.json"
        options["keeps_settings"] = False
    from camserver import device

    try:
        device.boot(net, esp32, machine, machine_host.reset_reason, path, overrides, **options)
    except KeyboardInterrupt:
        if machine_host.fired():
            sys.exit(machine_host.REBOOT_EXIT)  # the watchdog's doing: a reset, not a stop
        import micropython

        micropython.kbd_intr(-1)  # a second Ctrl-C now ends the process, without a traceback
        device.stopped()
    except settings.SettingError:
        device.stopped()  # the host's to fix, not a failed boot (three would start safe mode)
        raise
    except SystemExit:
        raise
    except BaseException:
        machine_host.record(machine_host.ESP_RST_PANIC)
        raise


try:
    main(sys.argv[1:])
except ValueError as e:
    print("error:", e)
    sys.exit(2)
