"""The board folders: the files MicroPython v1.28.0's esp32 build needs, the sdkconfig fragments
they name (evaluated by real cmake the way ports/esp32/CMakeLists.txt includes a board), and
the camera pins (evaluated by gcc's preprocessor) against the vendors' pin tables."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from fwtools import BOARDS, HERE, ROOT

# ports/esp32/boards/sdkconfig.* in MicroPython v1.28.0 (`git ls-tree --name-only v1.28.0
# ports/esp32/boards/`). Later releases renamed some (sdkconfig.spiram_sx -> sdkconfig.spiram_quad),
# so a board naming a fragment missing from this list would not build with the pinned release.
# With MPY_DIR set to a MicroPython checkout the files are checked there as well.
V1_28_FRAGMENTS = {
    "boards/sdkconfig.240mhz",
    "boards/sdkconfig.base",
    "boards/sdkconfig.ble",
    "boards/sdkconfig.c2",
    "boards/sdkconfig.c6",
    "boards/sdkconfig.flash_2MiB",
    "boards/sdkconfig.free_ram",
    "boards/sdkconfig.p4",
    "boards/sdkconfig.p4_wifi_c5",
    "boards/sdkconfig.p4_wifi_c6",
    "boards/sdkconfig.p4_wifi_common",
    "boards/sdkconfig.riscv",
    "boards/sdkconfig.spiram",
    "boards/sdkconfig.spiram_oct",
    "boards/sdkconfig.spiram_sx",
}

# Camera pins as the vendors publish them; D0..D7 here are Espressif's Y2..Y9.
# - Seeed XIAO ESP32S3 Sense: Seeed wiki "Camera usage with XIAO ESP32S3 Sense"
#   (https://wiki.seeedstudio.com/xiao_esp32s3_camera_usage/), the same values as
#   CAMERA_MODEL_XIAO_ESP32S3 in Espressif's arduino-esp32 CameraWebServer/camera_pins.h and
#   BOARD_ESP32S3_XIAO in espressif/esp32-camera v2.1.5 examples/camera_example/main/camera_pinout.h.
# - Espressif ESP32-S3-EYE: CAMERA_MODEL_ESP32S3_EYE in arduino-esp32 CameraWebServer/camera_pins.h
#   (ESP32-S3-EYE getting started guide, esp-who).
# - Freenove ESP32-S3-WROOM CAM: Freenove's own Sketch_07.1_CameraWebServer (repository
#   Freenove/Freenove_ESP32_S3_WROOM_Board, board_config.h) selects CAMERA_MODEL_ESP32S3_EYE and
#   ships the camera_pins.h above: the same wiring as the ESP32-S3-EYE.
S3_EYE_PINS = {
    "PWDN": -1,
    "RESET": -1,
    "XCLK": 15,
    "SIOD": 4,
    "SIOC": 5,
    "D0": 11,
    "D1": 9,
    "D2": 8,
    "D3": 10,
    "D4": 12,
    "D5": 18,
    "D6": 17,
    "D7": 16,
    "VSYNC": 6,
    "HREF": 7,
    "PCLK": 13,
}
VENDOR_PINS = {
    "SEEED_XIAO_ESP32S3_SENSE": {
        "PWDN": -1,
        "RESET": -1,
        "XCLK": 10,
        "SIOD": 40,
        "SIOC": 39,
        "D0": 15,
        "D1": 17,
        "D2": 18,
        "D3": 16,
        "D4": 14,
        "D5": 12,
        "D6": 11,
        "D7": 48,
        "VSYNC": 38,
        "HREF": 47,
        "PCLK": 13,
    },
    "ESPRESSIF_ESP32S3_EYE": S3_EYE_PINS,
    "FREENOVE_ESP32S3_WROOM_CAM": S3_EYE_PINS,
}
# PSRAM and flash as the vendors list them (all three carry 8 MiB octal PSRAM, 8 MiB flash).
VENDOR_MEMORY = {board: ("octal", "8 MiB") for board in BOARDS}
# The sensors each board ships with. Seeed's XIAO ESP32S3 Sense has carried an OV3660 instead of
# the OV2640 on recent units; esp32-camera probes both (its sensor table: OV2640 up to UXGA,
# OV3660 up to QXGA).
VENDOR_SENSORS = {board: ["OV2640"] for board in BOARDS}
VENDOR_SENSORS["SEEED_XIAO_ESP32S3_SENSE"] = ["OV2640", "OV3660"]
REQUIRED_MACROS = [
    "MICROPY_HW_BOARD_NAME",
    *("CAMERA_PIN_" + name for name in S3_EYE_PINS),
    "CAMERA_XCLK_FREQ_HZ",
    "CAMERA_MAX_FRAMESIZE",
    "CAMERA_LED_PIN",
]


def board_macros(board):
    """Every macro mpconfigboard.h defines, as gcc's preprocessor sees it."""
    out = subprocess.run(
        ["gcc", "-dM", "-E", "-x", "c", str(ROOT / "boards" / board / "mpconfigboard.h")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    macros = {}
    for line in out.splitlines():
        m = re.match(r"#define (\w+) (.*)", line)
        if m and not m.group(1).startswith("__"):
            macros[m.group(1)] = m.group(2)
    return macros


def int_macro(macros, name):
    # Evaluate the expansion the way C would for these simple forms: (15), (-1), "text".
    return int(macros[name].strip("()"))


def board_cmake(board, scratch):
    """Run the board's mpconfigboard.cmake in cmake script mode (see print_board.cmake)."""
    board_dir = "-DMICROPY_BOARD_DIR=%s" % (ROOT / "boards" / board)
    out = subprocess.run(
        ["cmake", board_dir, "-P", str(HERE / "print_board.cmake")],
        check=True,
        capture_output=True,
        text=True,
        cwd=scratch,
    )
    values = {}
    for line in out.stderr.splitlines():
        name, _, value = line.partition("=")
        values.setdefault(name, []).append(value)
    return values


def read_fragment(path):
    """(name -> value) of an sdkconfig fragment."""
    text = Path(path).read_text()
    assert text.endswith("\n"), "%s must end with a newline (MicroPython concatenates fragments)" % path
    values = {}
    for line in text.splitlines():
        if line.startswith("CONFIG_"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def test_the_boards_are_there():
    found = sorted(p.name for p in (ROOT / "boards").iterdir() if p.is_dir())
    assert found == BOARDS


@pytest.mark.parametrize("board", BOARDS)
def test_board_folder_has_what_the_esp32_build_reads(board):
    folder = ROOT / "boards" / board
    # ports/esp32/CMakeLists.txt stops without mpconfigboard.cmake; mpconfigport.h includes
    # mpconfigboard.h; board.json is for the autobuild tools; sdkconfig.board is named below.
    for name in ("mpconfigboard.cmake", "mpconfigboard.h", "board.json", "sdkconfig.board"):
        assert (folder / name).is_file(), name
    info = json.loads((folder / "board.json").read_text())
    assert info["mcu"] == "esp32s3"
    assert info["deploy_options"]["flash_offset"] == "0"  # S3 images start at 0
    for key in ("product", "vendor", "url", "features"):
        assert info[key]
    assert (info["camserver"]["psram"].split(",")[0], info["camserver"]["flash"]) == VENDOR_MEMORY[board]


@pytest.mark.parametrize("board", BOARDS)
def test_board_cmake_names_existing_fragments(board, tmp_path):
    values = board_cmake(board, tmp_path)
    assert values["IDF_TARGET"] == ["esp32s3"]
    fragments = values["SDKCONFIG_DEFAULTS"]
    mpy_dir = os.environ.get("MPY_DIR")
    for fragment in fragments:
        if os.path.isabs(fragment):
            assert Path(fragment).is_file(), fragment
            read_fragment(fragment)
        else:
            # Relative to ports/esp32 of the pinned MicroPython.
            assert fragment in V1_28_FRAGMENTS, fragment
            if mpy_dir:
                assert (Path(mpy_dir) / "ports" / "esp32" / fragment).is_file(), fragment
    assert fragments[0] == "boards/sdkconfig.base"
    psram = json.loads((ROOT / "boards" / board / "board.json").read_text())["camserver"]["psram"]
    if psram.startswith("octal"):
        assert fragments.index("boards/sdkconfig.spiram_sx") < fragments.index("boards/sdkconfig.spiram_oct")
    else:
        assert "boards/sdkconfig.spiram_oct" not in fragments
    # Our fragments come after MicroPython's, so our values win; the board's own one after ours.
    ours = [f for f in fragments if os.path.isabs(f)]
    assert ours[0] == str(ROOT / "firmware" / "sdkconfig.streaming")
    assert ours[1] == str(ROOT / "boards" / board / "sdkconfig.board")
    merged = {}
    for fragment in ours:
        merged.update(read_fragment(fragment))
    assert merged["CONFIG_ESPTOOLPY_FLASHSIZE_8MB"] == "y"
    assert merged["CONFIG_PARTITION_TABLE_CUSTOM"] == "y"
    assert merged["CONFIG_PARTITION_TABLE_CUSTOM_FILENAME"] == '"%s"' % (ROOT / "partitions.csv")
    assert values["EXTRA_COMPONENT_DIRS"] == [str(ROOT / "components" / "camera_glue")]
    assert values["MICROPY_FROZEN_MANIFEST"] == [str(ROOT / "firmware" / "manifest.py")]


@pytest.mark.parametrize("board", BOARDS)
def test_every_sensor_the_board_ships_with_is_named_and_built_in(board, tmp_path):
    sensor = json.loads((ROOT / "boards" / board / "board.json").read_text())["camserver"]["sensor"]
    assert re.findall(r"\bOV\d{4}\b", sensor) == VENDOR_SENSORS[board]
    header = (ROOT / "boards" / board / "mpconfigboard.h").read_text()
    readme = (ROOT / "README.md").read_text().splitlines()
    readme_row = next(line for line in readme if "`%s`" % board in line)
    for name in VENDOR_SENSORS[board]:
        assert name in header and name in readme_row, name
    # esp32-camera's driver for each is on (its Kconfig default): no fragment of the board turns it off.
    merged = {}
    for fragment in board_cmake(board, tmp_path)["SDKCONFIG_DEFAULTS"]:
        if os.path.isabs(fragment):
            merged.update(read_fragment(fragment))
    for name in VENDOR_SENSORS[board]:
        assert merged.get("CONFIG_%s_SUPPORT" % name, "y") == "y", name


@pytest.mark.parametrize("board", BOARDS)
def test_camera_pins_match_the_vendor_table(board):
    macros = board_macros(board)
    for name in REQUIRED_MACROS:
        assert name in macros, name
    pins = {name: int_macro(macros, "CAMERA_PIN_" + name) for name in S3_EYE_PINS}
    assert pins == VENDOR_PINS[board]
    assert int_macro(macros, "CAMERA_XCLK_FREQ_HZ") == 20000000
    assert int_macro(macros, "CAMERA_MAX_FRAMESIZE") == 15  # FRAMESIZE_UXGA, the OV2640's largest
    assert int_macro(macros, "CAMERA_LED_PIN") == -1
    assert macros["MICROPY_HW_BOARD_NAME"].startswith('"')
    # Bluetooth off in MicroPython matches CONFIG_BT_ENABLED=n in sdkconfig.streaming.
    assert int_macro(macros, "MICROPY_PY_BLUETOOTH") == 0


@pytest.mark.parametrize("board", BOARDS)
def test_camera_pins_are_usable_gpios(board):
    pins = {name: int_macro(board_macros(board), "CAMERA_PIN_" + name) for name in S3_EYE_PINS}
    used = [pin for pin in pins.values() if pin >= 0]
    assert len(used) == len(set(used)), "a GPIO used twice"
    # ESP32-S3: GPIO 0..21 and 26..48 exist; 26..32 are the SPI flash/PSRAM bus, 33..37 the octal
    # PSRAM's extra lines, 19/20 the native USB the console runs on.
    forbidden = set(range(26, 38)) | {19, 20}
    for name, pin in pins.items():
        assert pin == -1 or (0 <= pin <= 48 and not 22 <= pin <= 25), (name, pin)
        assert pin not in forbidden, (name, pin)
