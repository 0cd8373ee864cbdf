"""ESP Web Tools manifests and the browser flash page (`make flash-manifest`).

    python3 firmware/flash_manifest.py --images build/firmware --out build/flash --version v1.2.0

For every board of boards/ with an image IMAGES/<BOARD>/firmware.bin (what `make firmware` makes,
or what CI's build job uploads), OUT/<BOARD>/ gets a copy of the image and a manifest.json in ESP
Web Tools' format; OUT/boards.json lists them for OUT/index.html (a copy of web/flash/index.html),
which offers ESP Web Tools' install button per board. Serve OUT over HTTPS (Web Serial needs a
secure context) and open it in Chrome or Edge.

The image is the merged one, flashed at offset 0, as `make flash` writes it: bootloader at 0 (the
ESP32-S3's offset), partition table at 0x8000, app at the first app slot of partitions.csv, and
0xFF between them, so nvs and otadata are blank again and the board boots the new app from ota_0.
Each image is checked against partitions.csv before it is published: the three parts where the
table says, the partition table inside it equal to partitions.csv, and nothing past the end of
the first app slot.
"""

import argparse
import json
import shutil
import struct
import sys
from pathlib import Path

import partition_table

ROOT = partition_table.ROOT
PAGE = ROOT / "web" / "flash" / "index.html"
IMAGE = "firmware.bin"
CHIP_FAMILY = "ESP32-S3"  # every board of boards/ (firmware/camserver.cmake sets IDF_TARGET esp32s3)
ESP_IMAGE_MAGIC = 0xE9  # first byte of the bootloader and of an app image
ENTRY = struct.Struct("<2sBBII16sI")  # ESP-IDF's binary partition table entry, 32 bytes
ENTRY_MAGIC = b"\xaa\x50"


def table_in_image(data):
    """[(name, offset, size)] of the binary partition table inside a merged image."""
    rows = []
    pos = partition_table.TABLE_OFFSET
    while pos + ENTRY.size <= len(data):
        magic, _, _, offset, size, label, _ = ENTRY.unpack_from(data, pos)
        if magic != ENTRY_MAGIC:
            break  # 0xEBEB (the table's MD5 entry) or 0xFFFF ends it
        rows.append((label.rstrip(b"\0").decode("ascii", "replace"), offset, size))
        pos += ENTRY.size
    return rows


def check_image(path, csv=partition_table.CSV):
    """Raise ValueError with a one-line reason when the merged image does not match partitions.csv."""
    data = Path(path).read_bytes()
    app = partition_table.app_slots(csv)[0]
    if not data or data[partition_table.BOOTLOADER_OFFSET] != ESP_IMAGE_MAGIC:
        raise ValueError("%s: no bootloader image at 0x%x" % (path, partition_table.BOOTLOADER_OFFSET))
    expected = [(row["name"], row["offset"], row["size"]) for row in partition_table.read(csv)]
    found = table_in_image(data)
    if found != expected:
        raise ValueError(
            "%s: the partition table at 0x%x is not partitions.csv's" % (path, partition_table.TABLE_OFFSET)
        )
    if len(data) <= app["offset"] or data[app["offset"]] != ESP_IMAGE_MAGIC:
        raise ValueError("%s: no app image at 0x%x (%s)" % (path, app["offset"], app["name"]))
    if len(data) > app["offset"] + app["size"]:
        raise ValueError(
            "%s: runs past the end of %s by %d bytes"
            % (path, app["name"], len(data) - app["offset"] - app["size"])
        )


def manifest(board, version):
    """ESP Web Tools' manifest: name, version, builds[{chipFamily, parts[{path, offset}]}]."""
    info = json.loads((ROOT / "boards" / board / "board.json").read_text())
    return {
        "name": "camserver for %s %s" % (info["vendor"], info["product"]),
        "version": version,
        # A first install over another firmware: ESP Web Tools asks whether to erase the flash
        # (the settings partition too); the merged image alone keeps the vfs partition.
        "new_install_prompt_erase": True,
        "builds": [{"chipFamily": CHIP_FAMILY, "parts": [{"path": IMAGE, "offset": 0}]}],
    }


def build_site(images, out, version):
    """Writes OUT; returns the boards published. ValueError when there is nothing or a bad image."""
    images, out = Path(images), Path(out)
    boards = sorted(p.parent.name for p in (ROOT / "boards").glob("*/mpconfigboard.cmake"))
    found = [board for board in boards if (images / board / IMAGE).is_file()]
    if not found:
        raise ValueError(
            "no %s/<BOARD>/%s for any of %s: run make firmware BOARD=..." % (images, IMAGE, " ".join(boards))
        )
    for board in found:
        check_image(images / board / IMAGE)
    listing = []
    for board in found:
        (out / board).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(images / board / IMAGE, out / board / IMAGE)
        man = manifest(board, version)
        (out / board / "manifest.json").write_text(json.dumps(man, indent=2) + "\n")
        listing.append({"board": board, "name": man["name"], "manifest": "%s/manifest.json" % board})
    (out / "boards.json").write_text(json.dumps({"version": version, "boards": listing}, indent=2) + "\n")
    shutil.copyfile(PAGE, out / "index.html")
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", required=True, help="folder with <BOARD>/firmware.bin")
    ap.add_argument("--out", required=True, help="the flash site to write")
    ap.add_argument("--version", required=True, help="firmware version shown by ESP Web Tools (git describe)")
    args = ap.parse_args(argv)
    if not args.version.strip():
        print("error: empty --version (git describe found no commit?)", file=sys.stderr)
        return 2
    try:
        boards = build_site(args.images, args.out, args.version.strip())
    except (OSError, ValueError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    print("flash page: %s/index.html (%s, %s)" % (args.out, args.version.strip(), " ".join(boards)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
