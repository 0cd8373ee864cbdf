"""Read partitions.csv the way the host tools need it: the app slots and their offsets.

Used by firmware/app_size.py (`make firmware`: does the app fit its OTA slot) and
firmware/flash_manifest.py (`make flash-manifest`: where the app goes). ESP-IDF's gen_esp32part
checks the table itself at build time (and tests/firmware/test_partitions.py on the host); this
reader only asks that every row names its offset and size, which ours does.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "partitions.csv"
# CONFIG_PARTITION_TABLE_OFFSET's default, which the build keeps; the ESP32-S3 bootloader sits at 0.
TABLE_OFFSET = 0x8000
BOOTLOADER_OFFSET = 0x0


def _number(text):
    text = text.strip()
    scale = {"K": 1024, "M": 1024 * 1024}.get(text[-1:].upper(), 1)
    if scale != 1:
        text = text[:-1]
    return int(text, 0) * scale


def read(path=CSV):
    """[{name, type, subtype, offset, size}] in table order; ValueError names the bad line."""
    rows = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) < 5 or not cells[3] or not cells[4]:
            raise ValueError("%s:%d: want name, type, subtype, offset, size: %r" % (path, n, line))
        name, kind, subtype = cells[:3]
        try:
            offset, size = _number(cells[3]), _number(cells[4])
        except ValueError:
            raise ValueError("%s:%d: offset or size is not a number: %r" % (path, n, line)) from None
        rows.append({"name": name, "type": kind, "subtype": subtype, "offset": offset, "size": size})
    return rows


def app_slots(path=CSV):
    """The app partitions in table order (the first is where a flashed app goes)."""
    slots = [row for row in read(path) if row["type"] == "app"]
    if not slots:
        raise ValueError("%s has no app partition" % path)
    return slots
