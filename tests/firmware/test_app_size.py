"""firmware/app_size.py, which `make firmware` runs after the build: the app image against the
smallest OTA slot of partitions.csv, printed, and a failure when it does not fit. The image is a
stand-in file of the right size (no ESP-IDF here); the script only reads its size."""

import subprocess

from fwtools import BIN, ROOT

SCRIPT = ROOT / "firmware" / "app_size.py"
SLOT = 0x280000  # ota_0 and ota_1 in partitions.csv


def image(tmp_path, size):
    path = tmp_path / "micropython.bin"
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def run(*args):
    return subprocess.run([str(BIN / "python"), str(SCRIPT), *map(str, args)], capture_output=True, text=True)


def test_an_image_that_fits_prints_its_room(tmp_path):
    proc = run(image(tmp_path, 1900000), ROOT / "partitions.csv")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == (
        "app image micropython.bin: 1900000 bytes (1.81 MiB) of the 2.50 MiB OTA slot ota_0:"
        " %d bytes (%d%%) free\n" % (SLOT - 1900000, 100 * (SLOT - 1900000) // SLOT)
    )
    # Exactly the slot's size still fits.
    assert run(image(tmp_path, SLOT), ROOT / "partitions.csv").returncode == 0


def test_one_byte_over_fails_in_one_line(tmp_path):
    proc = run(image(tmp_path, SLOT + 1), ROOT / "partitions.csv")
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: app image micropython.bin: 2621441 bytes")
    assert "too big by 1 bytes" in lines[0]


def test_the_smallest_app_slot_counts(tmp_path):
    # An OTA update writes into the other slot: a smaller ota_1 is the limit.
    csv = tmp_path / "partitions.csv"
    csv.write_text(
        "# Name, Type, SubType, Offset, Size\n"
        "nvs, data, nvs, 0x9000, 0x4000,\n"
        "ota_0, app, ota_0, 0x10000, 2M,\n"
        "ota_1, app, ota_1, 0x210000, 1536K,\n"
    )
    proc = run(image(tmp_path, 1600000), csv)
    assert (
        proc.returncode == 1 and "OTA slot ota_1" in proc.stderr and "too big by 27136 bytes" in proc.stderr
    )


def test_bad_input_is_one_line(tmp_path):
    proc = run(tmp_path / "missing.bin", ROOT / "partitions.csv")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and "missing.bin" in proc.stderr
    csv = tmp_path / "bad.csv"
    csv.write_text("ota_0, app, ota_0, , 0x100000\n")
    proc = run(image(tmp_path, 10), csv)
    assert proc.returncode == 2 and proc.stderr.startswith("error: %s:1: want name" % csv)
    csv.write_text("nvs, data, nvs, 0x9000, 0x4000\n")
    proc = run(image(tmp_path, 10), csv)
    assert proc.returncode == 2 and "has no app partition" in proc.stderr
