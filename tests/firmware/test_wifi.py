"""Wi-Fi start-up, retries, reconnect and access-point fallback of camserver.device.wifi, run on
the real MicroPython unix port against the simulated network of simnet.py."""

import json

import pytest
from fwtools import run_scenario


def texts(lines):
    """Console lines without the leading ticks: "LEVEL message"."""
    return [line.split(" ", 1)[1] for line in lines]


def index_of(lines, fragment):
    for i, line in enumerate(lines):
        if fragment in line:
            return i
    raise AssertionError("no line with %r in:\n%s" % (fragment, "\n".join(lines)))


def test_joins_the_configured_network():
    lines, r = run_scenario("join")
    assert r["mode"] == "sta" and r["address"] == "192.168.1.50" and r["access_mode"] == "sta"
    assert r["connects"] == 1 and not r["ap_up"]
    # The hostname is set before the station starts: DHCP and the mDNS responder take it from there.
    assert r["events"][0] == "hostname camserver"
    assert r["events"].index("hostname camserver") < r["events"].index("sta connect home")
    joined = "INFO wifi: connected to home as 192.168.1.50 (http://192.168.1.50/, http://camserver.local/)"
    assert joined in texts(lines)


NO_AP = "WARNING wifi: no access point without ap_password once a network is saved; " + (
    "set one with make configure AP_PASSWORD=..."
)


def test_wrong_password_gives_up_early_and_opens_no_access_point():
    lines, r = run_scenario("wrong_password")
    # Two rejections in a row end the attempts (3 allowed), well inside wifi_timeout_ms (1500).
    assert r["connects"] == 2
    assert r["elapsed_ms"] < 1500
    # A network is saved and no ap_password is set: no access point at all, never an open one.
    assert r["mode"] is None and r["address"] is None and not r["ap_up"]
    assert "ap active True" not in r["events"] and r["ap_authmode"] is None
    out = texts(lines)
    assert "ERROR wifi: home rejects the password; save the right one (make configure)" in out
    assert NO_AP in out


def test_wrong_password_with_ap_password_starts_the_protected_access_point():
    lines, r = run_scenario("wrong_password_ap_password")
    assert r["mode"] == "ap" and r["address"] == "192.168.4.1" and r["ap_up"]
    # Named after the hostname and the last two bytes of the access point's MAC (..:1b:2c).
    assert r["ap_essid"] == "camserver-1b2c"
    assert r["ap_authmode"] == 3 and r["ap_password"] == "setup-pass-1"
    ap_line = "access point camserver-1b2c (WPA2) is up: join it and open http://192.168.4.1/ to set up Wi-Fi"
    assert "WARNING wifi: " + ap_line in texts(lines)


def test_missing_network_is_retried_until_the_timeout():
    lines, r = run_scenario("network_missing")
    assert r["connects"] == 3
    # Three attempts of wifi_timeout_ms / 3 each, then the access point.
    assert 1500 <= r["elapsed_ms"] < 2500
    assert r["mode"] is None and not r["ap_up"]
    assert sum("network not found" in line for line in lines) == 3


def test_no_credentials_starts_the_open_access_point_at_once():
    # A board that never had a network is the one case of an open access point (setup).
    lines, r = run_scenario("no_credentials")
    assert r["connects"] == 0
    assert r["mode"] == "ap" and r["address"] == "192.168.4.1" and r["ap_up"]
    assert r["access_mode"] == "ap"
    assert r["ap_authmode"] == 0 and r["ap_password"] is None
    out = texts(lines)
    assert "INFO wifi: no network configured" in out
    ap_line = "access point camserver-1b2c (open) is up: join it and open http://192.168.4.1/ to set up Wi-Fi"
    assert "WARNING wifi: " + ap_line in out


def test_access_point_password():
    _, r = run_scenario("ap_password")
    assert r["ap_authmode"] == 3 and r["ap_password"] == "setup-pass-1"
    lines, r = run_scenario("ap_password_short")
    assert r["ap_authmode"] == 0 and r["ap_password"] is None
    assert any("access point password must be 8 to 63" in line for line in lines)


def test_invalid_hostname_falls_back():
    lines, r = run_scenario("bad_hostname")
    assert r["hostname"] == "camserver" and r["ap_essid"] == "camserver-1b2c"
    assert "WARNING wifi: hostname may only contain letters, digits and '-', using camserver" in texts(lines)


def test_lost_link_is_reconnected_by_the_watcher():
    # The simulated driver does not re-associate: the watcher has to call connect() again.
    lines, r = run_scenario("lost_and_back")
    lost = index_of(lines, "connection to home lost, reconnecting")
    again = index_of(lines, "INFO wifi: reconnecting to home")
    back = index_of(lines, "INFO wifi: link back after")
    assert lost < again < back
    assert r["connects"] == 2
    assert r["mode"] == "sta" and r["address"] == "192.168.1.50"
    assert "ap active True" not in r["events"]


def test_driver_reconnect_is_left_alone():
    # The esp32 driver re-associates by itself (status CONNECTING): no extra connect() calls.
    lines, r = run_scenario("lost_briefly")
    index_of(lines, "connection to home lost")
    index_of(lines, "link back after")
    assert r["connects"] == 1
    assert r["mode"] == "sta"


def test_long_loss_brings_up_the_protected_access_point_until_the_link_is_back():
    lines, r = run_scenario("lost_long", "setup-pass-1")
    assert r["ap_during_loss"] is True
    # Whoever reaches the camera then has joined the protected access point: POST /wifi is open to them.
    assert r["mode_during_loss"] == "ap" and r["mode_after"] == "sta"
    assert r["ap_authmode"] == 3 and r["ap_password"] == "setup-pass-1"
    assert r["mode"] == "sta" and not r["ap_up"]
    assert index_of(lines, "unreachable for") < index_of(lines, "access point camserver-1b2c (WPA2) is up")
    assert index_of(lines, "link back") < index_of(lines, "INFO wifi: access point stopped")


def test_long_loss_without_ap_password_opens_no_access_point():
    lines, r = run_scenario("lost_long", "")
    assert r["ap_during_loss"] is False
    assert r["mode_during_loss"] == "sta"
    assert "ap active True" not in r["events"] and r["ap_authmode"] is None
    assert r["mode"] == "sta" and r["address"] == "192.168.1.50"
    # Said once, not at every round of the watcher.
    assert texts(lines).count(NO_AP) == 1
    assert index_of(lines, "unreachable for") < index_of(lines, "link back")


def test_network_that_appears_after_boot_is_joined():
    # A power cut: the camera boots before the router. Access point first, then the station.
    # Credentials are saved and no ap_password is set: no access point meanwhile.
    lines, r = run_scenario("network_appears")
    assert r["boot_mode"] is None
    assert r["mode"] == "sta" and r["address"] == "192.168.1.50" and not r["ap_up"]
    assert "ap active True" not in r["events"]


def test_no_station_retries_while_the_access_point_is_in_use():
    _, r = run_scenario("ap_in_use")
    assert r["connects_while_used"] == r["connects_at_boot"]
    assert r["connects"] > r["connects_at_boot"]
    assert r["mode"] == "sta"


def test_saved_credentials_are_checked_saved_and_joined(tmp_path):
    path = tmp_path / "settings.json"
    lines, r = run_scenario("save_credentials", path)
    assert r["errors"] == [
        "network name is empty",
        "password must be 8 to 63 characters (or empty for an open network)",
        "network name is longer than 32 bytes",
    ]
    assert r["file_before"] is None  # rejected values are never written
    # Pending until they worked, then the saved pair.
    assert r["saved"]["wifi_ssid"] == "home" and r["saved"]["wifi_password"] == "secret123"
    assert "wifi_pending_ssid" not in r["saved"]
    assert r["message"] == "saved; the camera now joins home"
    # Joined at once (retry_ms is a minute in this scenario), and the access point went away.
    assert r["mode"] == "sta" and not r["ap_up"]
    assert r["elapsed_ms"] < 2000


def test_new_credentials_that_work_become_the_saved_ones(tmp_path):
    path = tmp_path / "settings.json"
    lines, r = run_scenario("change_network", path, "cabin", "cabin-pass")
    assert r["message"] == "saved; the camera now tries cabin and goes back to home if it does not connect"
    # Right after the form: both pairs in the file, the working one still the saved one.
    pending = r["file_pending"]
    assert (pending["wifi_ssid"], pending["wifi_password"]) == ("home", "secret123")
    assert (pending["wifi_pending_ssid"], pending["wifi_pending_password"]) == ("cabin", "cabin-pass")
    # Joined: the new pair is the saved one, the old pair and the pending one are gone.
    saved = r["saved"]
    assert (saved["wifi_ssid"], saved["wifi_password"]) == ("cabin", "cabin-pass")
    assert "wifi_pending_ssid" not in saved and "wifi_pending_password" not in saved
    assert r["mode"] == "sta" and r["state"] == "joined" and not r["ap_up"]
    assert [e for e in r["events"] if e.startswith("sta connect")] == [
        "sta connect home",
        "sta connect cabin",
    ]
    out = texts(lines)
    assert index_of(out, "trying cabin; home stays saved until it works") < index_of(
        out, "INFO wifi: cabin works and is now the saved network"
    )
    assert "INFO wifi: connected to cabin as 192.168.1.50" in "\n".join(out)


@pytest.mark.parametrize(
    "ssid,password,reason",
    [("cabin", "wrong-pass", "wrong password"), ("attic", "attic-pass", "network not found")],
)
def test_new_credentials_that_fail_go_back_to_the_saved_network(tmp_path, ssid, password, reason):
    path = tmp_path / "settings.json"
    lines, r = run_scenario("change_network", path, ssid, password)
    assert r["file_pending"]["wifi_pending_ssid"] == ssid
    # Back on home; the file holds home again and nothing pending.
    saved = r["saved"]
    assert (saved["wifi_ssid"], saved["wifi_password"]) == ("home", "secret123")
    assert "wifi_pending_ssid" not in saved and "wifi_pending_password" not in saved
    assert r["mode"] == "sta" and r["state"] == "joined" and not r["ap_up"]
    connects = [e for e in r["events"] if e.startswith("sta connect")]
    assert connects[0] == "sta connect home" and connects[-1] == "sta connect home"
    assert "sta connect " + ssid in connects
    assert "ap active True" not in r["events"]
    out = texts(lines)
    assert index_of(out, "WARNING wifi: %s: %s" % (ssid, reason)) < index_of(
        out, "WARNING wifi: %s did not connect; back to home" % ssid
    )


@pytest.mark.parametrize("password,joined", [("cabin-pass", "cabin"), ("wrong-pass", "home")])
def test_reset_while_new_credentials_are_pending_comes_up_on_a_working_network(tmp_path, password, joined):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "wifi_ssid": "home",
                "wifi_password": "secret123",
                "wifi_pending_ssid": "cabin",
                "wifi_pending_password": password,
            }
        )
    )
    _, r = run_scenario("reboot_pending", path)
    # The new pair is tried first; whichever worked is the saved one and nothing is pending.
    connects = [e for e in r["events"] if e.startswith("sta connect")]
    assert connects[0] == "sta connect cabin" and connects[-1] == "sta connect " + joined
    assert r["mode"] == "sta" and r["state"] == "joined" and not r["ap_up"]
    assert r["saved"]["wifi_ssid"] == joined and "wifi_pending_ssid" not in r["saved"]


def test_never_configured_board_keeps_its_open_access_point_when_new_credentials_fail(tmp_path):
    path = tmp_path / "settings.json"
    lines, r = run_scenario("setup_wrong_credentials", path)
    assert r["message"] == "saved; the camera now joins home"
    assert r["file_pending"]["wifi_pending_ssid"] == "home" and "wifi_ssid" not in r["file_pending"]
    # Never worked, so never saved: the board still has no network and keeps the open setup access point.
    assert "wifi_ssid" not in r["saved"]
    assert "wifi_pending_ssid" not in r["saved"]
    assert r["mode"] == "ap" and r["ap_up"] and r["ap_authmode"] == 0
    assert "ap active False" not in r["events"]
    assert "WARNING wifi: home did not connect; the new credentials are dropped" in texts(lines)


def test_try_ended_by_a_driver_error_still_ends_joined(tmp_path):
    lines, r = run_scenario("try_interrupted", tmp_path / "settings.json")
    assert sum("watcher failed (OSError: [Errno 5] EIO)" in line for line in lines) == 1
    assert r["state"] == "joined" and r["mode"] == "sta"
    assert r["saved"]["wifi_ssid"] == "cabin" and "wifi_pending_ssid" not in r["saved"]
    # Picked up as setup (join the saved network), not as a lost link it never had.
    assert index_of(lines, "watcher failed") < index_of(lines, "INFO wifi: connected to cabin")
    assert not [line for line in lines if "link back" in line]
