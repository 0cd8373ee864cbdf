"""The board targets of the Makefile (mk/firmware.mk): `make -n` shows the commands that build,
flash and configure (parsed as the shell would: fwtools.commands); anything missing stops make
with one line that names the fix."""

import importlib.util
import os
import subprocess
import sys

import pytest
from fwtools import BIN, BOARDS, ROOT, commands, make, only


@pytest.fixture
def trees(tmp_path):
    """Stand-ins for a MicroPython checkout and an ESP-IDF, which cannot be here: the files the
    Makefile looks for, nothing else. `make -n` only prints the commands that would use them."""
    mpy = tmp_path / "micropython"
    (mpy / "ports" / "esp32").mkdir(parents=True)
    (mpy / "ports" / "esp32" / "Makefile").write_text("")
    idf = tmp_path / "esp-idf"
    idf.mkdir()
    (idf / "export.sh").write_text("")
    return mpy, idf


@pytest.mark.parametrize("board", BOARDS)
def test_firmware_command_names_board_module_and_manifest(board, trees):
    mpy, idf = trees
    proc = make("-n", "firmware", "BOARD=" + board, "MPY_DIR=%s" % mpy, "IDF_PATH=%s" % idf)
    assert proc.returncode == 0, proc.stderr
    found = commands(proc.stdout)
    cross = only(found, "make", C="%s/mpy-cross" % mpy)
    export = only(found, ".")
    build = only(found, "make", C="%s/ports/esp32" % mpy)
    assert export.argv[1:] == ["%s/export.sh" % idf]
    # mpy-cross first, then the board build in the shell ESP-IDF's export.sh has set up.
    assert found.index(cross) < found.index(export) == found.index(build) - 1
    assert build.variables() == {
        "BOARD_DIR": "%s/boards/%s" % (ROOT, board),
        "USER_C_MODULES": "%s/components/camera_glue/micropython.cmake" % ROOT,
        "FROZEN_MANIFEST": "%s/firmware/manifest.py" % ROOT,
        "BUILD": "%s/build/firmware/%s" % (ROOT, board),
    }
    assert build.env == {"CAMSERVER_EXTRA_COMPONENT_DIRS": "%s/components/camera_glue" % ROOT}
    assert build.words() == ["submodules", "all"]
    # What the command names is there: the board, the manifest, the C module, and the camera
    # component (an IDF component whose idf_component.yml pins espressif/esp32-camera).
    assert (ROOT / "boards" / board / "mpconfigboard.cmake").is_file()
    assert (ROOT / "firmware" / "manifest.py").is_file()
    glue = ROOT / "components" / "camera_glue"
    assert (glue / "micropython.cmake").is_file()
    assert (glue / "CMakeLists.txt").is_file()
    assert "espressif/esp32-camera" in (glue / "idf_component.yml").read_text()


def _clones(found):
    """{target folder: tag} of the git clones in found."""
    clones = {}
    for c in found:
        if c.tool == "git" and c.argv[1] == "clone":
            clones[c.argv[-1]] = c.option("--branch")
    return clones


def test_deps_clones_only_what_is_not_given(trees, tmp_path):
    mpy, idf = trees
    deps = tmp_path / "deps"
    # Nothing given: both clones, ESP-IDF's install, then the submodules with the cloned trees.
    found = commands(make("-n", "deps", "DEPS_DIR=%s" % deps).stdout)
    assert set(_clones(found)) == {"%s/micropython" % deps, "%s/esp-idf" % deps}
    assert all(tag.startswith("v") for tag in _clones(found).values())
    assert only(found, "install.sh").argv == ["%s/esp-idf/install.sh" % deps, "esp32s3"]
    only(found, "make", C="%s/micropython/mpy-cross" % deps)
    assert only(found, ".").argv[1:] == ["%s/esp-idf/export.sh" % deps]
    assert only(found, "make", C="%s/micropython/ports/esp32" % deps).words() == ["submodules"]
    # Both given (IDF_PATH as ESP-IDF's export.sh leaves it in the environment): used as they are.
    proc = make("-n", "deps", "DEPS_DIR=%s" % deps, "MPY_DIR=%s" % mpy, env_extra={"IDF_PATH": str(idf)})
    assert proc.returncode == 0, proc.stderr
    found = commands(proc.stdout)
    assert _clones(found) == {}
    assert not [c for c in found if c.tool == "install.sh"]  # the user's ESP-IDF is already installed
    only(found, "make", C="%s/mpy-cross" % mpy)
    assert only(found, ".").argv[1:] == ["%s/export.sh" % idf]
    only(found, "make", C="%s/ports/esp32" % mpy)
    # One given: only the other is cloned.
    found = commands(make("-n", "deps", "DEPS_DIR=%s" % deps, "IDF_PATH=%s" % idf).stdout)
    assert set(_clones(found)) == {"%s/micropython" % deps}
    # A given tree that is not one fails in one line, before anything runs.
    proc = make("deps", "DEPS_DIR=%s" % deps, "MPY_DIR=%s" % idf, "IDF_PATH=%s" % idf)
    assert "MPY_DIR=%s has no ports/esp32/Makefile" % idf in one_line_error(proc)
    assert not deps.exists() or not any(deps.iterdir())


def test_firmware_checks_the_app_size_after_the_build(trees):
    # firmware/app_size.py (tests/firmware/test_app_size.py): fails the build when the app
    # outgrows its OTA slot in partitions.csv.
    mpy, idf = trees
    board = BOARDS[0]
    found = commands(make("-n", "firmware", "BOARD=" + board, "MPY_DIR=%s" % mpy, "IDF_PATH=%s" % idf).stdout)
    check = only(found, "python3")
    assert check.argv[1:] == [
        "%s/firmware/app_size.py" % ROOT,
        "%s/build/firmware/%s/micropython.bin" % (ROOT, board),
        "%s/partitions.csv" % ROOT,
    ]
    assert found.index(only(found, "make", C="%s/ports/esp32" % mpy)) < found.index(check)


def test_flash_erase_configure_monitor_commands():
    board = BOARDS[0]
    esptool = str(BIN / "esptool")
    flash = only(commands(make("-n", "flash", "BOARD=" + board, "PORT=/dev/ttyACM7").stdout), "esptool")
    image = "%s/build/firmware/%s/firmware.bin" % (ROOT, board)
    assert flash.argv == [esptool, "--chip", "esp32s3", "--port", "/dev/ttyACM7", "--baud", "460800"] + [
        "write-flash",
        "0",
        image,
    ]
    erase = only(commands(make("-n", "erase", "PORT=/dev/ttyACM7").stdout), "esptool")
    assert erase.argv == [esptool, "--chip", "esp32s3", "--port", "/dev/ttyACM7", "erase-flash"]
    out = make("-n", "configure", "PORT=/dev/ttyACM7", "WIFI_SSID=home", "WIFI_PASSWORD=secret123").stdout
    configure = only(commands(out), "python")
    assert configure.argv == [str(BIN / "python"), "firmware/configure.py", "--port", "/dev/ttyACM7"]
    assert "secret123" not in out  # the password travels in the environment
    monitor = only(commands(make("-n", "monitor", "PORT=/dev/ttyACM7").stdout), "mpremote")
    assert monitor.argv == [str(BIN / "mpremote"), "connect", "/dev/ttyACM7", "repl"]


@pytest.mark.parametrize(
    "goal,args",
    [
        ("flash", ["BOARD=" + BOARDS[0]]),
        ("erase", []),
        ("configure", ["WIFI_SSID=home"]),
        ("monitor", []),
    ],
)
def test_board_targets_make_the_venv_first(goal, args):
    # A fresh clone has no .venv: the target that runs esptool, python or mpremote from it must
    # create it first (a venv folder that does not exist stands in for the fresh clone).
    venv = "build/no-venv-here"
    proc = make("-n", goal, "PORT=/dev/ttyACM7", "VENV=" + venv, *args)
    assert proc.returncode == 0, proc.stderr
    found = commands(proc.stdout)
    created = [i for i, c in enumerate(found) if c.argv[1:] == ["-m", "venv", venv]]
    used = [i for i, c in enumerate(found) if c.argv[0].startswith("%s/%s/bin/" % (ROOT, venv))]
    assert created and used and created[0] < min(used), found


def test_esptool_accepts_the_flash_command_line(tmp_path):
    # The same arguments, with a port that does not exist: esptool must fail on the port, not on
    # the command line (esptool 5 renamed write_flash to write-flash).
    image = tmp_path / "firmware.bin"
    image.write_bytes(b"\xe9" + bytes(4095))
    cmd = [str(BIN / "esptool"), "--chip", "esp32s3", "--port", str(tmp_path / "tty"), "--baud", "460800"]
    proc = subprocess.run([*cmd, "write-flash", "0", str(image)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "No such option" not in proc.stderr and "Usage:" not in proc.stderr
    assert "tty" in proc.stdout + proc.stderr


def one_line_error(proc):
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_unknown_or_missing_board():
    line = one_line_error(make("firmware", "BOARD=NO_SUCH_BOARD"))
    assert "unknown BOARD 'NO_SUCH_BOARD'" in line and "make firmware BOARD=" in line
    for board in BOARDS:
        assert board in line
    line = one_line_error(make("firmware"))
    assert "BOARD is not set" in line and "make firmware BOARD=<board>" in line


def test_missing_micropython_or_esp_idf(trees):
    mpy, idf = trees
    board = "BOARD=" + BOARDS[0]
    nodeps = "DEPS_DIR=/nonexistent/deps"
    line = one_line_error(make("firmware", board, nodeps, "IDF_PATH=%s" % idf))
    assert "MPY_DIR is not set" in line and "run `make deps`" in line
    line = one_line_error(make("firmware", board, nodeps, "MPY_DIR=%s" % idf, "IDF_PATH=%s" % idf))
    assert "has no ports/esp32/Makefile" in line and "make deps" in line
    line = one_line_error(make("firmware", board, nodeps, "MPY_DIR=%s" % mpy, "IDF_PATH="))
    assert "IDF_PATH is not set" in line and "run `make deps`" in line and "install.sh esp32s3" in line
    line = one_line_error(make("firmware", board, nodeps, "MPY_DIR=%s" % mpy, "IDF_PATH=%s" % mpy))
    assert "has no export.sh" in line


@pytest.mark.parametrize("goal", ["flash", "erase", "configure", "monitor"])
def test_missing_port(goal):
    line = one_line_error(make(goal, "BOARD=" + BOARDS[0], "WIFI_SSID=home"))
    assert "PORT is not set" in line and "make %s PORT=/dev/ttyACM0" % goal in line


def test_configure_needs_a_network_and_checks_it(tmp_path):
    line = one_line_error(make("configure", "PORT=/dev/ttyACM7"))
    assert "WIFI_SSID is not set" in line and "WIFI_SSID=<network>" in line
    # configure.py checks with the device's own rules before it touches the board.
    env = dict(os.environ, WIFI_SSID="home", WIFI_PASSWORD="short")
    cmd = [
        str(BIN / "python"),
        str(ROOT / "firmware" / "configure.py"),
        "--port",
        "/dev/ttyACM7",
        "--dry-run",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: password must be 8 to 63 characters (or empty for an open network)"
    env.update(WIFI_PASSWORD="secret123", CAMERA_HOSTNAME="porch", AP_PASSWORD="setup-pass")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.strip() == (
        '{"ap_password": "***", "hostname": "porch", "wifi_password": "***", "wifi_ssid": "home"}'
    )
    env.update(CAMERA_HOSTNAME="my camera")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and "hostname" in proc.stderr


def test_configure_drops_credentials_the_page_saved_but_the_board_has_not_tried(tmp_path, monkeypatch):
    # configure.py is a script (`python firmware/configure.py`): it puts modules/ on sys.path
    # itself. Loaded here, that must not outlive this test.
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("configure", ROOT / "firmware" / "configure.py")
    configure = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(configure)
    on_board = {
        "wifi_ssid": "old",
        "wifi_password": "old-pass-1",
        "wifi_pending_ssid": "typo",
        "wifi_pending_password": "typo-pass",
        "fps": 15,
    }
    updates = configure.wanted({"WIFI_SSID": "home", "WIFI_PASSWORD": "secret123"})
    assert configure.merged(on_board, updates) == {
        "wifi_ssid": "home",
        "wifi_password": "secret123",
        "fps": 15,
    }


@pytest.mark.parametrize("goal", ["hil", "flash", "erase", "configure", "monitor"])
def test_a_web_port_number_in_port_is_refused_where_port_is_the_serial_port(goal):
    line = one_line_error(make("-n", goal, "PORT=8080", "BOARD=" + BOARDS[0], "WIFI_SSID=home"))
    assert "PORT=8080 is a web port number" in line and "PORT=/dev/ttyACM0" in line, line
    assert ("without PORT runs against the simulated device" in line) == (goal == "hil"), line


def test_sim_port_is_http_port_and_rtsp_follows_it():
    """HTTP_PORT names the sim's web port (PORT=<number> still does); its RTSP port follows, so a
    second sim on another port does not collide on 8554. A serial PORT does not reach the sim."""
    for args, port, rtsp in (
        ((), 8080, 8554),
        (("HTTP_PORT=8081",), 8081, 8555),
        (("PORT=8082",), 8082, 8556),
        (("PORT=/dev/ttyACM0",), 8080, 8554),
        (("HTTP_PORT=8081", "SET=rtsp_port=9000"), 8081, 9000),
    ):
        proc = make("-n", "sim", *args)
        assert proc.returncode == 0, proc.stderr
        words = only(commands(proc.stdout), "micropython").argv
        assert "port=%d" % port in words, (args, words)
        # the last rtsp_port= wins (SET= comes after the one make chooses)
        assert [w for w in words if w.startswith("rtsp_port=")][-1] == "rtsp_port=%d" % rtsp, (args, words)


def test_a_missing_micropython_binary_is_one_line():
    line = one_line_error(make("-n", "sim", "MICROPYTHON=build/no-such/micropython"))
    assert "MICROPYTHON=build/no-such/micropython is not there" in line and "make unix-port" in line, line
