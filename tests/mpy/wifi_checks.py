"""Wi-Fi start-up, retries, reconnect and access-point fallback of camserver.device.wifi, inside
MicroPython against the simulated network of simnet.py: each scenario sits next to its
assertions. The device's console lines are captured from camserver.log as "LEVEL message".

The scenarios run on short timings (FAST) and real sleeps; what they assert is what happened
(connects, events, modes, console lines, the settings file), never how long it took.
"""

import asyncio
import json
import os

import check
from camserver import device, log, settings
from camserver.device.wifi import Wifi
from simnet import FAST, SimNet

# Networks in range for the credential changes: "home" is where the camera is; "cabin" is the
# network the page's form names.
HOME_AND_CABIN = {"home": "secret123", "cabin": "cabin-pass"}
HOME = {"wifi_ssid": "home", "wifi_password": "secret123"}
NO_AP = "WARNING wifi: no access point without ap_password once a network is saved; " + (
    "set one with make configure AP_PASSWORD=..."
)


def config_with(**values):
    config = dict(settings.DEFAULTS)
    config["wifi_timeout_ms"] = 1500
    config.update(values)
    return config


def summary(net, wifi):
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
        "events": [e[1] for e in net.events],
        "state": wifi.state,
    }


async def boot(net, config, path=None, **options):
    opts = dict(FAST)
    opts.update(options)
    wifi = Wifi(net, config, settings.Store(path) if path else None, **opts)
    await wifi.up()
    return wifi


async def watch_for(wifi, ms, watcher=None):
    task = asyncio.create_task(watcher or wifi.watch())
    await asyncio.sleep_ms(ms)
    task.cancel()


def run(scenario):
    """Run scenario() with the console captured: (console lines, what it returned)."""
    lines = []
    emit = log._emit

    def capture(level, msg, args):
        lines.append("%s %s" % (log._LABELS.get(level, level), msg % args if args else msg))

    log._emit = capture
    try:
        return lines, asyncio.run(scenario())
    finally:
        log._emit = emit


def booted(networks, **config):
    """Boot with config against networks: (console lines, summary)."""

    async def scenario():
        net = SimNet(networks)
        return summary(net, await boot(net, config_with(**config)))

    return run(scenario)


def index_of(lines, fragment):
    for i, line in enumerate(lines):
        if fragment in line:
            return i
    raise AssertionError("no line with %r in:\n%s" % (fragment, "\n".join(lines)))


def scratch_file(content=None):
    """A settings path in the scratch folder, fresh for each check."""
    path = check.tmp("settings.json")
    if content is None:
        try:
            os.remove(path)
        except OSError:
            pass
    else:
        with open(path, "w") as f:
            json.dump(content, f)
    return path


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return None


def test_joins_the_configured_network():
    lines, r = booted({"home": "secret123"}, **HOME)
    assert r["mode"] == "sta" and r["address"] == "192.168.1.50" and r["access_mode"] == "sta"
    assert r["connects"] == 1 and not r["ap_up"]
    # The hostname is set before the station starts: DHCP and the mDNS responder take it from there.
    assert r["events"][0] == "hostname camserver"
    assert r["events"].index("hostname camserver") < r["events"].index("sta connect home")
    joined = "INFO wifi: connected to home as 192.168.1.50 (http://192.168.1.50/, http://camserver.local/)"
    assert joined in lines


def test_wrong_password_gives_up_early_and_opens_no_access_point():
    lines, r = booted({"home": "secret123"}, wifi_ssid="home", wifi_password="not-the-one")
    # Two rejections in a row end the attempts (3 allowed).
    assert r["connects"] == 2
    # A network is saved and no ap_password is set: no access point at all, never an open one.
    assert r["mode"] is None and r["address"] is None and not r["ap_up"]
    assert "ap active True" not in r["events"] and r["ap_authmode"] is None
    assert "ERROR wifi: home rejects the password; save the right one (make configure)" in lines
    assert NO_AP in lines


def test_wrong_password_with_ap_password_starts_the_protected_access_point():
    config = {"wifi_ssid": "home", "wifi_password": "not-the-one", "ap_password": "setup-pass-1"}
    lines, r = booted({"home": "secret123"}, **config)
    assert r["mode"] == "ap" and r["address"] == "192.168.4.1" and r["ap_up"]
    # Named after the hostname and the last two bytes of the access point's MAC (..:1b:2c).
    assert r["ap_essid"] == "camserver-1b2c"
    assert r["ap_authmode"] == 3 and r["ap_password"] == "setup-pass-1"
    ap_line = "access point camserver-1b2c (WPA2) is up: join it and open http://192.168.4.1/ to set up Wi-Fi"
    assert "WARNING wifi: " + ap_line in lines


def test_missing_network_is_retried_until_the_timeout():
    lines, r = booted({"other": "secret123"}, **HOME)
    # Three attempts (of wifi_timeout_ms / 3 each), each one "not found", then no access point.
    assert r["connects"] == 3
    assert r["mode"] is None and not r["ap_up"]
    assert sum("network not found" in line for line in lines) == 3


def test_no_credentials_starts_the_open_access_point_at_once():
    # A board that never had a network is the one case of an open access point (setup).
    lines, r = booted({"home": "secret123"})
    assert r["connects"] == 0
    assert r["mode"] == "ap" and r["address"] == "192.168.4.1" and r["ap_up"]
    assert r["access_mode"] == "ap"
    assert r["ap_authmode"] == 0 and r["ap_password"] is None
    assert "INFO wifi: no network configured" in lines
    ap_line = "access point camserver-1b2c (open) is up: join it and open http://192.168.4.1/ to set up Wi-Fi"
    assert "WARNING wifi: " + ap_line in lines


def test_access_point_password():
    _, r = booted({}, ap_password="setup-pass-1")
    assert r["ap_authmode"] == 3 and r["ap_password"] == "setup-pass-1"
    lines, r = booted({}, ap_password="short")
    assert r["ap_authmode"] == 0 and r["ap_password"] is None
    assert any("access point password must be 8 to 63" in line for line in lines)


def test_invalid_hostname_falls_back():
    lines, r = booted({}, hostname="my_camera!")
    assert r["hostname"] == "camserver" and r["ap_essid"] == "camserver-1b2c"
    assert "WARNING wifi: hostname may only contain letters, digits and '-', using camserver" in lines


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


def test_lost_link_is_reconnected_by_the_watcher():
    # The simulated driver does not re-associate (auto_reconnect=False): the watcher has to call
    # connect() again.
    async def scenario():
        net = SimNet({"home": "secret123"}, auto_reconnect=False)
        wifi = await boot(net, config_with(**HOME))
        await _outage(net, wifi, 200, 900, 1200)
        return summary(net, wifi)

    lines, r = run(scenario)
    lost = index_of(lines, "connection to home lost, reconnecting")
    again = index_of(lines, "INFO wifi: reconnecting to home")
    back = index_of(lines, "INFO wifi: link back after")
    assert lost < again < back
    assert r["connects"] == 2
    assert r["mode"] == "sta" and r["address"] == "192.168.1.50"
    assert "ap active True" not in r["events"]


def test_driver_reconnect_is_left_alone():
    # The esp32 driver re-associates by itself (status CONNECTING): no extra connect() calls.
    async def scenario():
        net = SimNet({"home": "secret123"}, auto_reconnect=True, join_ms=300)
        wifi = await boot(net, config_with(**HOME))
        await _outage(net, wifi, 200, 100, 800)
        return summary(net, wifi)

    lines, r = run(scenario)
    index_of(lines, "connection to home lost")
    index_of(lines, "link back after")
    assert r["connects"] == 1
    assert r["mode"] == "sta"


def _long_loss(ap_password):
    # Away longer than lost_ap_ms: the access point (if it has a password) comes up beside the
    # station, then goes.
    async def scenario():
        net = SimNet({"home": "secret123"}, auto_reconnect=False)
        wifi = await boot(net, config_with(ap_password=ap_password, **HOME), lost_ap_ms=400)
        during = await _outage(net, wifi, 100, 900, 1200)
        return summary(net, wifi), during, wifi.access_mode()

    return run(scenario)


def test_long_loss_brings_up_the_protected_access_point_until_the_link_is_back():
    lines, (r, (ap_during, mode_during), mode_after) = _long_loss("setup-pass-1")
    assert ap_during is True
    # Whoever reaches the camera then has joined the protected access point: POST /wifi is open to them.
    assert mode_during == "ap" and mode_after == "sta"
    assert r["ap_authmode"] == 3 and r["ap_password"] == "setup-pass-1"
    assert r["mode"] == "sta" and not r["ap_up"]
    assert index_of(lines, "unreachable for") < index_of(lines, "access point camserver-1b2c (WPA2) is up")
    assert index_of(lines, "link back") < index_of(lines, "INFO wifi: access point stopped")


def test_long_loss_without_ap_password_opens_no_access_point():
    lines, (r, (ap_during, mode_during), _) = _long_loss("")
    assert ap_during is False
    assert mode_during == "sta"
    assert "ap active True" not in r["events"] and r["ap_authmode"] is None
    assert r["mode"] == "sta" and r["address"] == "192.168.1.50"
    # Said once, not at every round of the watcher.
    assert lines.count(NO_AP) == 1
    assert index_of(lines, "unreachable for") < index_of(lines, "link back")


def test_network_that_appears_after_boot_is_joined():
    # A power cut: the camera boots before the router. Credentials are saved and no ap_password
    # is set: no access point meanwhile; the station once the network is there.
    async def scenario():
        net = SimNet({}, auto_reconnect=False)
        wifi = await boot(net, config_with(wifi_timeout_ms=300, **HOME))
        boot_mode = wifi.mode
        task = asyncio.create_task(wifi.watch())
        await asyncio.sleep_ms(200)
        net.restore("home", "secret123")
        await asyncio.sleep_ms(1500)
        task.cancel()
        return summary(net, wifi), boot_mode

    _, (r, boot_mode) = run(scenario)
    assert boot_mode is None
    assert r["mode"] == "sta" and r["address"] == "192.168.1.50" and not r["ap_up"]
    assert "ap active True" not in r["events"]


def test_no_station_retries_while_the_access_point_is_in_use():
    # Someone is on the setup access point: no station retries (they would switch channels).
    async def scenario():
        net = SimNet({"home": "secret123"}, auto_reconnect=False)
        net.lose("home")
        config = config_with(wifi_timeout_ms=300, ap_password="setup-pass-1", **HOME)
        wifi = await boot(net, config)
        net.restore("home", "secret123")
        net.ap.clients = [(b"\x01\x02\x03\x04\x05\x06",)]
        at_boot = net.connects
        task = asyncio.create_task(wifi.watch())
        await asyncio.sleep_ms(1000)
        while_used = net.connects
        net.ap.clients = []
        await asyncio.sleep_ms(1000)
        task.cancel()
        return summary(net, wifi), at_boot, while_used

    _, (r, at_boot, while_used) = run(scenario)
    assert while_used == at_boot
    assert r["connects"] > at_boot
    assert r["mode"] == "sta"


def test_saved_credentials_are_checked_saved_and_joined():
    # No credentials: access point; the settings form saves good ones; the device joins at once.
    path = scratch_file()

    async def scenario():
        net = SimNet({"home": "secret123"})
        config = config_with()
        wifi = await boot(net, config, path, retry_ms=60000)
        errors = []
        for ssid, password in (("", "secret123"), ("home", "short"), ("x" * 33, "secret123")):
            try:
                device.save_wifi(config, ssid, password, wifi.store)
            except ValueError as e:
                errors.append(str(e))
        before = read_json(path)
        message = device.save_wifi(config, "home", "secret123", wifi.store)
        await watch_for(wifi, 800)
        return summary(net, wifi), errors, before, message

    _, (r, errors, before, message) = run(scenario)
    assert errors == [
        "network name is empty",
        "password must be 8 to 63 characters (or empty for an open network)",
        "network name is longer than 32 bytes",
    ]
    assert before is None  # rejected values are never written
    # Pending until they worked, then the saved pair.
    saved = read_json(path)
    assert saved["wifi_ssid"] == "home" and saved["wifi_password"] == "secret123"
    assert "wifi_pending_ssid" not in saved
    assert message == "saved; the camera now joins home"
    # Joined within the watch (retry_ms is a minute here, so at once), and the access point went away.
    assert r["mode"] == "sta" and not r["ap_up"]


def _change_network(ssid, password):
    # Joined to home; the form saves new credentials; the watcher tries them.
    path = scratch_file()

    async def scenario():
        net = SimNet(HOME_AND_CABIN)
        config = config_with(**HOME)
        wifi = await boot(net, config, path)
        message = device.save_wifi(config, ssid, password, wifi.store)
        pending = read_json(path)
        await watch_for(wifi, 2500)
        return summary(net, wifi), message, pending

    lines, (r, message, pending) = run(scenario)
    return lines, r, message, pending, read_json(path)


def test_new_credentials_that_work_become_the_saved_ones():
    lines, r, message, pending, saved = _change_network("cabin", "cabin-pass")
    assert message == "saved; the camera now tries cabin and goes back to home if it does not connect"
    # Right after the form: both pairs in the file, the working one still the saved one.
    assert (pending["wifi_ssid"], pending["wifi_password"]) == ("home", "secret123")
    assert (pending["wifi_pending_ssid"], pending["wifi_pending_password"]) == ("cabin", "cabin-pass")
    # Joined: the new pair is the saved one, the old pair and the pending one are gone.
    assert (saved["wifi_ssid"], saved["wifi_password"]) == ("cabin", "cabin-pass")
    assert "wifi_pending_ssid" not in saved and "wifi_pending_password" not in saved
    assert r["mode"] == "sta" and r["state"] == "joined" and not r["ap_up"]
    assert [e for e in r["events"] if e.startswith("sta connect")] == [
        "sta connect home",
        "sta connect cabin",
    ]
    assert index_of(lines, "trying cabin; home stays saved until it works") < index_of(
        lines, "INFO wifi: cabin works and is now the saved network"
    )
    assert index_of(lines, "INFO wifi: connected to cabin as 192.168.1.50") >= 0


def test_new_credentials_that_fail_go_back_to_the_saved_network():
    for ssid, password, reason in (
        ("cabin", "wrong-pass", "wrong password"),
        ("attic", "attic-pass", "network not found"),
    ):
        lines, r, _, pending, saved = _change_network(ssid, password)
        assert pending["wifi_pending_ssid"] == ssid
        # Back on home; the file holds home again and nothing pending.
        assert (saved["wifi_ssid"], saved["wifi_password"]) == ("home", "secret123")
        assert "wifi_pending_ssid" not in saved and "wifi_pending_password" not in saved
        assert r["mode"] == "sta" and r["state"] == "joined" and not r["ap_up"]
        connects = [e for e in r["events"] if e.startswith("sta connect")]
        assert connects[0] == "sta connect home" and connects[-1] == "sta connect home"
        assert "sta connect " + ssid in connects
        assert "ap active True" not in r["events"]
        assert index_of(lines, "WARNING wifi: %s: %s" % (ssid, reason)) < index_of(
            lines, "WARNING wifi: %s did not connect; back to home" % ssid
        )


def test_reset_while_new_credentials_are_pending_comes_up_on_a_working_network():
    for password, joined in (("cabin-pass", "cabin"), ("wrong-pass", "home")):
        pending = {"wifi_pending_ssid": "cabin", "wifi_pending_password": password}
        pending.update(HOME)
        path = scratch_file(pending)

        async def scenario(path=path):
            # The boot reads both pairs from the file.
            net = SimNet(HOME_AND_CABIN)
            config = device.boot_config(path)
            config["wifi_timeout_ms"] = 1500
            return summary(net, await boot(net, config, path))

        _, r = run(scenario)
        # The new pair is tried first; whichever worked is the saved one and nothing is pending.
        connects = [e for e in r["events"] if e.startswith("sta connect")]
        assert connects[0] == "sta connect cabin" and connects[-1] == "sta connect " + joined
        assert r["mode"] == "sta" and r["state"] == "joined" and not r["ap_up"]
        saved = read_json(path)
        assert saved["wifi_ssid"] == joined and "wifi_pending_ssid" not in saved


def test_never_configured_board_keeps_its_open_access_point_when_new_credentials_fail():
    # A board that never had a network: open access point; the form saves a wrong password.
    path = scratch_file()

    async def scenario():
        net = SimNet({"home": "secret123"})
        config = config_with()
        wifi = await boot(net, config, path)
        message = device.save_wifi(config, "home", "not-the-one", wifi.store)
        pending = read_json(path)
        await watch_for(wifi, 1500)
        return summary(net, wifi), message, pending

    lines, (r, message, pending) = run(scenario)
    assert message == "saved; the camera now joins home"
    assert pending["wifi_pending_ssid"] == "home" and "wifi_ssid" not in pending
    # Never worked, so never saved: the board still has no network and keeps the open setup access point.
    saved = read_json(path)
    assert "wifi_ssid" not in saved and "wifi_pending_ssid" not in saved
    assert r["mode"] == "ap" and r["ap_up"] and r["ap_authmode"] == 0
    assert "ap active False" not in r["events"]
    assert "WARNING wifi: home did not connect; the new credentials are dropped" in lines


def test_try_ended_by_a_driver_error_still_ends_joined():
    # A driver error ends a try half-way (ifconfig fails once after the join): keep_watching
    # restarts the watcher, which must carry on from there and end up joined.
    path = scratch_file()

    async def scenario():
        net = SimNet(HOME_AND_CABIN)
        config = config_with(**HOME)
        wifi = await boot(net, config, path, retry_ms=300)
        ifconfig = net.sta.ifconfig
        failed = []

        def fails_once():
            if not failed:
                failed.append(1)
                raise OSError(5)
            return ifconfig()

        net.sta.ifconfig = fails_once
        device.save_wifi(config, "cabin", "cabin-pass", wifi.store)
        await watch_for(wifi, 1500, device.keep_watching(wifi, pause_ms=50))
        return summary(net, wifi)

    lines, r = run(scenario)
    assert sum("watcher failed (OSError: [Errno 5] EIO)" in line for line in lines) == 1
    assert r["state"] == "joined" and r["mode"] == "sta"
    saved = read_json(path)
    assert saved["wifi_ssid"] == "cabin" and "wifi_pending_ssid" not in saved
    # Picked up as setup (join the saved network), not as a lost link it never had.
    assert index_of(lines, "watcher failed") < index_of(lines, "INFO wifi: connected to cabin")
    assert not [line for line in lines if "link back" in line]


def test_server_that_dies_is_restarted_with_a_growing_pause():
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

    def scenario():
        return device.run_server(config_with(), None, Up(), serve, restarts=2, pause_ms=50)

    lines, restarts = run(scenario)
    assert restarts == 2 and len(calls) == 3
    assert lines == [
        "ERROR server: OSError: [Errno 98] EADDRINUSE",
        "WARNING server: restarting in 50 ms",
        "ERROR server: out of memory",
        "WARNING server: restarting in 100 ms",
        "ERROR server: stopped",
    ]


def test_camera_that_does_not_answer_does_not_stop_the_device():
    calls = []

    def open_camera(config):
        calls.append(1)
        raise OSError(19)

    async def scenario():
        return device.init_camera(config_with(), open_camera, attempts=3, pause_ms=10)

    lines, camera = run(scenario)
    assert camera is None and len(calls) == 3
    assert lines[-1] == "ERROR camera: not available, serving without it"


check.run(globals())
