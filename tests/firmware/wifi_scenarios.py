"""Wi-Fi and device-start scenarios, run on the MicroPython unix port by test_wifi.py and
test_device.py:

    micropython wifi_scenarios.py <scenario> [settings path]

Each scenario drives the frozen code (camserver.device, compiled by mpy-cross) against the
simulated network of simnet.py, prints the device's console lines as they happen, and ends with
one line "RESULT <json>" that the pytest side checks.
"""

import asyncio
import json
import sys
import time

from camserver import device, settings
from camserver.device.wifi import Wifi
from simnet import SimNet

# Short timings so that every scenario ends within a few seconds of real time.
FAST = {
    "poll_ms": 20,
    "attempts": 3,
    "watch_ms": 50,
    "retry_ms": 400,
    "lost_ap_ms": 60000,
    "backoff_max_ms": 400,
}


def config_with(**values):
    config = dict(settings.DEFAULTS)
    config["wifi_timeout_ms"] = 1500
    config.update(values)
    return config


def summary(net, wifi, started):
    return {
        "mode": wifi.mode,
        "access_mode": wifi.access_mode(),
        "address": wifi.address,
        "ap_up": wifi.ap_up,
        "ap_essid": net.ap.essid,
        "ap_authmode": net.ap.authmode,
        "ap_password": net.ap.password,
        "connects": net.connects,
        "hostname": net.name,
        "elapsed_ms": time.ticks_diff(time.ticks_ms(), started),
        "events": [e[1] for e in net.events],
    }


async def boot(net, config, path=None, **options):
    opts = dict(FAST)
    opts.update(options)
    wifi = Wifi(net, config, path, **opts)
    started = time.ticks_ms()
    await wifi.up()
    return wifi, started


async def join():
    net = SimNet({"home": "secret123"})
    wifi, started = await boot(net, config_with(wifi_ssid="home", wifi_password="secret123"))
    return summary(net, wifi, started)


async def wrong_password():
    net = SimNet({"home": "secret123"})
    wifi, started = await boot(net, config_with(wifi_ssid="home", wifi_password="not-the-one"))
    return summary(net, wifi, started)


async def wrong_password_ap_password():
    net = SimNet({"home": "secret123"})
    config = config_with(wifi_ssid="home", wifi_password="not-the-one", ap_password="setup-pass-1")
    wifi, started = await boot(net, config)
    return summary(net, wifi, started)


async def network_missing():
    net = SimNet({"other": "secret123"})
    wifi, started = await boot(net, config_with(wifi_ssid="home", wifi_password="secret123"))
    return summary(net, wifi, started)


async def no_credentials():
    net = SimNet({"home": "secret123"})
    wifi, started = await boot(net, config_with())
    return summary(net, wifi, started)


async def ap_password():
    net = SimNet({})
    wifi, started = await boot(net, config_with(ap_password="setup-pass-1"))
    return summary(net, wifi, started)


async def ap_password_short():
    net = SimNet({})
    wifi, started = await boot(net, config_with(ap_password="short"))
    return summary(net, wifi, started)


async def bad_hostname():
    net = SimNet({})
    wifi, started = await boot(net, config_with(hostname="my_camera!"))
    return summary(net, wifi, started)


async def _outage(net, wifi, before_ms, away_ms, after_ms):
    """Watch while "home" goes out of range for away_ms and comes back; returns whether the access
    point was up during the loss and the Wi-Fi mode POST /wifi saw then."""
    task = asyncio.create_task(wifi.watch())
    await asyncio.sleep_ms(before_ms)
    net.lose("home")
    await asyncio.sleep_ms(away_ms)
    during = (wifi.ap_up, wifi.access_mode())
    net.restore("home", "secret123")
    await asyncio.sleep_ms(after_ms)
    task.cancel()
    return during


async def lost_and_back():
    # The driver does not re-associate (auto_reconnect=False): the watcher must call connect().
    net = SimNet({"home": "secret123"}, auto_reconnect=False)
    wifi, started = await boot(net, config_with(wifi_ssid="home", wifi_password="secret123"))
    await _outage(net, wifi, 200, 900, 1200)
    return summary(net, wifi, started)


async def lost_briefly():
    # The driver re-associates by itself: the watcher only reports, it does not call connect().
    net = SimNet({"home": "secret123"}, auto_reconnect=True, join_ms=300)
    wifi, started = await boot(net, config_with(wifi_ssid="home", wifi_password="secret123"))
    await _outage(net, wifi, 200, 100, 800)
    return summary(net, wifi, started)


async def lost_long():
    # Away longer than lost_ap_ms: the access point (argv: its password, "" for none) comes up
    # beside the station, then goes.
    net = SimNet({"home": "secret123"}, auto_reconnect=False)
    config = config_with(wifi_ssid="home", wifi_password="secret123", ap_password=sys.argv[2])
    wifi, started = await boot(net, config, lost_ap_ms=400)
    ap_during, mode_during = await _outage(net, wifi, 100, 900, 1200)
    result = summary(net, wifi, started)
    result.update(
        {"ap_during_loss": ap_during, "mode_during_loss": mode_during, "mode_after": wifi.access_mode()}
    )
    return result


async def network_appears():
    # Boot while the router is still starting: access point first, the station once it is there.
    net = SimNet({}, auto_reconnect=False)
    wifi, started = await boot(
        net, config_with(wifi_ssid="home", wifi_password="secret123", wifi_timeout_ms=300)
    )
    boot_mode = wifi.mode
    task = asyncio.create_task(wifi.watch())
    await asyncio.sleep_ms(200)
    net.restore("home", "secret123")
    await asyncio.sleep_ms(1500)
    task.cancel()
    result = summary(net, wifi, started)
    result["boot_mode"] = boot_mode
    return result


async def ap_in_use():
    # Someone is on the setup access point: no station retries (they would switch channels).
    net = SimNet({"home": "secret123"}, auto_reconnect=False)
    net.lose("home")
    config = config_with(
        wifi_ssid="home", wifi_password="secret123", wifi_timeout_ms=300, ap_password="setup-pass-1"
    )
    wifi, started = await boot(net, config)
    net.restore("home", "secret123")
    net.ap.clients = [(b"\x01\x02\x03\x04\x05\x06",)]
    connects_at_boot = net.connects
    task = asyncio.create_task(wifi.watch())
    await asyncio.sleep_ms(1000)
    connects_while_used = net.connects
    net.ap.clients = []
    await asyncio.sleep_ms(1000)
    task.cancel()
    result = summary(net, wifi, started)
    result["connects_at_boot"] = connects_at_boot
    result["connects_while_used"] = connects_while_used
    return result


async def save_credentials():
    # No credentials: access point; the settings form saves good ones; the device joins at once.
    path = sys.argv[2]
    net = SimNet({"home": "secret123"})
    config = config_with()
    wifi, started = await boot(net, config, path, retry_ms=60000)
    errors = []
    for ssid, password in (("", "secret123"), ("home", "short"), ("x" * 33, "secret123")):
        try:
            device.save_wifi(config, ssid, password, path)
        except ValueError as e:
            errors.append(str(e))
    try:
        with open(path) as f:
            before = f.read()
    except OSError:
        before = None
    message = device.save_wifi(config, "home", "secret123", path)
    task = asyncio.create_task(wifi.watch())
    await asyncio.sleep_ms(800)
    task.cancel()
    with open(path) as f:
        saved = json.load(f)
    result = summary(net, wifi, started)
    result.update({"errors": errors, "file_before": before, "saved": saved, "message": message})
    return result


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return None


# Networks in range for the credential changes: "home" is where the camera is; "cabin" is the
# network the page's form names.
HOME_AND_CABIN = {"home": "secret123", "cabin": "cabin-pass"}


async def change_network():
    # Joined to home; the form saves new credentials (argv: ssid, password); the watcher tries them.
    path, ssid, password = sys.argv[2], sys.argv[3], sys.argv[4]
    net = SimNet(HOME_AND_CABIN)
    config = config_with(wifi_ssid="home", wifi_password="secret123")
    wifi, started = await boot(net, config, path)
    message = device.save_wifi(config, ssid, password, path)
    file_pending = read_json(path)
    task = asyncio.create_task(wifi.watch())
    await asyncio.sleep_ms(2500)
    task.cancel()
    result = summary(net, wifi, started)
    result.update(
        {"message": message, "file_pending": file_pending, "saved": read_json(path), "state": wifi.state}
    )
    return result


async def reboot_pending():
    # Reset while new credentials were pending: the boot reads both pairs from the file (argv).
    path = sys.argv[2]
    net = SimNet(HOME_AND_CABIN)
    config = device.boot_config(path)
    config["wifi_timeout_ms"] = 1500
    wifi, started = await boot(net, config, path)
    result = summary(net, wifi, started)
    result.update({"saved": read_json(path), "state": wifi.state})
    return result


async def try_interrupted():
    # A driver error ends a try half-way (ifconfig fails once after the join): keep_watching
    # restarts the watcher, which must carry on from there and end up joined.
    path = sys.argv[2]
    net = SimNet(HOME_AND_CABIN)
    config = config_with(wifi_ssid="home", wifi_password="secret123")
    wifi, started = await boot(net, config, path, retry_ms=300)
    ifconfig = net.sta.ifconfig
    failed = []

    def fails_once():
        if not failed:
            failed.append(1)
            raise OSError(5)
        return ifconfig()

    net.sta.ifconfig = fails_once
    device.save_wifi(config, "cabin", "cabin-pass", path)
    task = asyncio.create_task(device.keep_watching(wifi, pause_ms=50))
    await asyncio.sleep_ms(1500)
    task.cancel()
    result = summary(net, wifi, started)
    result.update({"state": wifi.state, "saved": read_json(path)})
    return result


async def setup_wrong_credentials():
    # A board that never had a network: open access point; the form saves a wrong password.
    path = sys.argv[2]
    net = SimNet({"home": "secret123"})
    config = config_with()
    wifi, started = await boot(net, config, path)
    message = device.save_wifi(config, "home", "not-the-one", path)
    file_pending = read_json(path)
    task = asyncio.create_task(wifi.watch())
    await asyncio.sleep_ms(1500)
    task.cancel()
    result = summary(net, wifi, started)
    result.update({"message": message, "file_pending": file_pending, "saved": read_json(path)})
    return result


async def server_restarts():
    # An exception escaping the server: logged, pause, the server again; no reboot.
    calls = []

    async def serve(config, camera, address, changes):
        calls.append(address)
        if len(calls) == 1:
            raise OSError(98)
        if len(calls) == 2:
            raise MemoryError()
        await asyncio.sleep_ms(10)

    class Up:
        address = "192.168.1.50"

    config = config_with()
    started = time.ticks_ms()
    restarts = await device.run_server(config, None, Up(), serve, restarts=2, pause_ms=50)
    return {"restarts": restarts, "calls": calls, "elapsed_ms": time.ticks_diff(time.ticks_ms(), started)}


def camera_fails():
    calls = []

    def open_camera(config):
        calls.append(1)
        raise OSError(19)

    camera = device.init_camera(config_with(), open_camera, attempts=3, pause_ms=10)
    return {"camera": camera, "calls": len(calls)}


def boot_device():
    # The whole device start as main.py runs it, with the simulated network and the real camera
    # and server; the server listens on loopback. Runs until the test stops the process.
    path, port, frames, networks = sys.argv[2], int(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
    overrides = {"host": "127.0.0.1", "port": port, "frames_dir": frames}
    device.start(path, overrides=overrides, net=SimNet(networks), wifi_options=FAST)


def main():
    name = sys.argv[1]
    func = globals()[name]
    result = func()
    if not isinstance(result, dict):
        result = asyncio.run(result)
    print("RESULT " + json.dumps(result))


main()
