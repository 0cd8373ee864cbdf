"""firmware/sdkconfig.streaming: every option with its one-line reason, and the values the
streaming server depends on (PSRAM, lwIP buffers, sockets for 12 connections, Wi-Fi)."""

import re

from fwtools import ROOT

FRAGMENT = ROOT / "firmware" / "sdkconfig.streaming"
BOARD_FRAGMENTS = sorted((ROOT / "boards").glob("*/sdkconfig.board"))
MAX_CONNECTIONS = 12  # settings.DEFAULTS["max_connections"]


def options(path):
    """[(name, value, reason)] of a fragment; fails on a line without a reason comment above it."""
    lines = path.read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        if not line.startswith("CONFIG_"):
            assert line == "" or line.startswith("#"), "%s:%d: %r" % (path.name, i + 1, line)
            continue
        assert re.fullmatch(r"CONFIG_[A-Z0-9_]+=(y|n|-?\d+|\"[^\"]*\")", line), line
        # The reason is the comment right above (a run of options may share one, as in
        # sdkconfig.board's flash mode and frequency).
        j = i - 1
        while j >= 0 and lines[j].startswith("CONFIG_"):
            j -= 1
        has_reason = j >= 0 and lines[j].startswith("# ") and len(lines[j]) > 10
        assert has_reason, "%s: no reason for %s" % (path, line)
        name, _, value = line.partition("=")
        out.append((name, value, lines[j]))
    return out


def test_every_option_has_a_reason_and_appears_once():
    for path in [FRAGMENT, *BOARD_FRAGMENTS]:
        names = [name for name, _, _ in options(path)]
        assert len(names) == len(set(names)), path
    # In the streaming fragment each option has a reason of its own.
    lines = FRAGMENT.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("CONFIG_"):
            assert lines[i - 1].startswith("# "), line


def test_streaming_values():
    values = {name: value for name, value, _ in options(FRAGMENT)}
    assert values["CONFIG_SPIRAM"] == "y"
    assert values["CONFIG_SPIRAM_TRY_ALLOCATE_WIFI_LWIP"] == "y"
    assert int(values["CONFIG_LWIP_TCP_SND_BUF_DEFAULT"]) == 32768
    assert int(values["CONFIG_LWIP_TCP_WND_DEFAULT"]) == 32768
    assert values["CONFIG_ESP_WIFI_STATIC_TX_BUFFER"] == "y"
    assert int(values["CONFIG_ESP_WIFI_STATIC_TX_BUFFER_NUM"]) >= 16
    # 12 HTTP connections + the one refused with 503 + the listeners on port and port+1.
    assert int(values["CONFIG_LWIP_MAX_SOCKETS"]) >= max(16, MAX_CONNECTIONS + 1 + 2)
    assert int(values["CONFIG_LWIP_MAX_ACTIVE_TCP"]) >= max(16, MAX_CONNECTIONS + 1 + 2)
    # MicroPython's base keeps the Wi-Fi IRAM options off; ESP-IDF's docs give no number for them
    # alone that would be worth their IRAM (the reasons are on the lines).
    assert values["CONFIG_ESP_WIFI_IRAM_OPT"] == "n"
    assert values["CONFIG_ESP_WIFI_RX_IRAM_OPT"] == "n"
    assert values["CONFIG_BT_ENABLED"] == "n"
    assert values["CONFIG_CAMERA_CORE0"] == "y"
    # lwIP's rule: the send buffer holds at least two segments of the default MSS (1440).
    assert int(values["CONFIG_LWIP_TCP_SND_BUF_DEFAULT"]) >= 2 * 1440
    # The receive mailbox follows lwIP's recommendation WND / MSS + 2.
    assert int(values["CONFIG_LWIP_TCP_RECVMBOX_SIZE"]) >= 32768 // 1440 + 2
