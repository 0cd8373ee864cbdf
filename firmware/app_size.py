"""Does the app image fit its OTA slot? Printed after every `make firmware`; exit 1 when not.

    python3 firmware/app_size.py build/firmware/<BOARD>/micropython.bin [partitions.csv]

An OTA update writes the app into the other slot, so the image must fit the smallest app
partition of partitions.csv, not only the one it is flashed to. MicroPython's makeimg.py checks
the first slot only, and says nothing while it fits; this prints how much room is left, so the
growth shows long before it fails.
"""

import os
import sys

import partition_table

MIB = 1024 * 1024


def report(image, csv=partition_table.CSV):
    """(fits, one line)."""
    slot = min(partition_table.app_slots(csv), key=lambda row: row["size"])
    used = os.path.getsize(image)
    free = slot["size"] - used
    sizes = "app image %s: %d bytes (%.2f MiB) of the %.2f MiB OTA slot %s" % (
        os.path.basename(image),
        used,
        used / MIB,
        slot["size"] / MIB,
        slot["name"],
    )
    if free < 0:
        return False, "error: %s: too big by %d bytes; shrink the firmware or the vfs partition" % (
            sizes,
            -free,
        )
    return True, "%s: %d bytes (%d%%) free" % (sizes, free, 100 * free // slot["size"])


def main(argv):
    if len(argv) not in (2, 3):
        print("usage: app_size.py IMAGE [PARTITIONS_CSV]", file=sys.stderr)
        return 2
    try:
        fits, line = report(*argv[1:])
    except (OSError, ValueError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    print(line, file=sys.stdout if fits else sys.stderr)
    return 0 if fits else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
