"""partitions.csv checked with ESP-IDF's own partition-table tool (gen_esp32part 1.5, packaged on
PyPI as esp-idf-defs) plus the rules this firmware adds: 8 MiB total, two OTA app slots of at
least 2 MiB each on 64 KiB boundaries, a "vfs" partition for MicroPython's filesystem."""

import pytest
from esp_idf_defs.partitions import APP_TYPE, DATA_TYPE, InputError, PartitionTable
from fwtools import ROOT

FLASH = 8 * 1024 * 1024
TABLE_OFFSET = 0x8000  # CONFIG_PARTITION_TABLE_OFFSET default; MicroPython's makeimg.py assumes it too
MIB = 1024 * 1024


def check(csv_text):
    """Parse and verify like ESP-IDF's build does, then this firmware's rules. Returns the table."""
    table = PartitionTable.from_csv(csv_text)
    table.verify(partition_table_offset=TABLE_OFFSET)
    table.verify_size_fits(FLASH)
    by_name = {p.name: p for p in table}
    for name in ("nvs", "otadata", "phy_init", "ota_0", "ota_1", "vfs"):
        if name not in by_name:
            raise InputError("missing partition " + name)
    for name in ("ota_0", "ota_1"):
        p = by_name[name]
        if p.type != APP_TYPE:
            raise InputError(name + " is not an app partition")
        if p.offset % 0x10000 or p.size % 0x10000:
            raise InputError(name + " is not 64 KiB aligned")
        if p.size < 2 * MIB:
            raise InputError(name + " is smaller than 2 MiB")
    # MicroPython's flashbdev mounts the data partition labelled "vfs" as / (littlefs).
    if by_name["vfs"].type != DATA_TYPE:
        raise InputError("vfs is not a data partition")
    # Nothing left unused at the end of the 8 MiB.
    if table.flash_size() != FLASH:
        raise InputError("table ends at 0x%x, not at 8 MiB" % table.flash_size())
    return table


def test_partition_table_is_valid():
    table = check((ROOT / "partitions.csv").read_text())
    by_name = {p.name: p for p in table}
    assert by_name["ota_0"].size == by_name["ota_1"].size == 0x280000
    assert by_name["vfs"].size >= 2 * MIB
    # The binary the build flashes at 0x8000 parses back to the same table (with its MD5 entry).
    binary = table.to_binary()
    again = PartitionTable.from_binary(binary)
    assert [(p.name, p.type, p.subtype, p.offset, p.size) for p in again] == [
        (p.name, p.type, p.subtype, p.offset, p.size) for p in table
    ]


@pytest.mark.parametrize(
    "change, message",
    [
        (("ota_1,    app,  ota_1,   0x290000", "ota_1,    app,  ota_1,   0x280000"), "overlap"),
        (
            ("vfs,      data, fat,     0x510000, 0x2f0000", "vfs,      data, fat,     0x510000, 0x300000"),
            "MB",
        ),
        (
            ("ota_0,    app,  ota_0,   0x10000,  0x280000", "ota_0,    app,  ota_0,   0x10000,  0x1f0000"),
            "2 MiB",
        ),
        (("0x290000, 0x280000", "0x298000, 0x278000"), "aligned"),
        (("vfs,", "ffat,"), "missing partition vfs"),
    ],
)
def test_the_check_rejects_broken_tables(change, message):
    text = (ROOT / "partitions.csv").read_text()
    assert change[0] in text
    with pytest.raises(InputError) as info:
        check(text.replace(change[0], change[1]))
    assert message in str(info.value)
