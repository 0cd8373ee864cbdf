"""A file-backed stand-in for esp32.Partition on the unix port (host only: not frozen, see
firmware/manifest.py), so that updates, rollback and the health check run on the sim.

Two app slots, ota_0 and ota_1, are files in one folder (setup()), with ESP-IDF's otadata in
a JSON file: which slot boots, and each slot's image state. boot() plays the bootloader with
rollback enabled (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE): a slot made the boot slot by
set_boot() starts as "new", runs once as "pending_verify", and if it starts again without
mark_app_valid_cancel_rollback() having been called, it is "aborted" and the other slot boots.
The methods are esp32.Partition's (MicroPython v1.28.0, ports/esp32/esp32_partition.c).
"""

import json

from camserver.settings import write_json

_SLOTS = ("ota_0", "ota_1")
_NATIVE = 4096
_IOCTL_BLOCK_COUNT = 4
_IOCTL_BLOCK_SIZE = 5
_IOCTL_BLOCK_ERASE = 6

_folder = None
_size = 0
_state = None


def setup(folder, size=0x280000):
    """Use folder (which must exist) for the slots; slots of size bytes (partitions.csv's)."""
    global _folder, _size, _state
    _folder = folder
    _size = size
    try:
        with open(folder + "/otadata.json") as f:
            _state = json.load(f)
    except (OSError, ValueError):
        _state = {"boot": "ota_0", "running": "ota_0", "ota_0": "valid", "ota_1": "empty"}
        _save()


def _save():
    write_json(_folder + "/otadata.json", _state)


def _other(label):
    return _SLOTS[1 - _SLOTS.index(label)]


def boot():
    """The bootloader's choice at a reset. Returns a line for the console when it rolled back."""
    chosen = _state["boot"]
    line = None
    if _state[chosen] == "new":
        _state[chosen] = "pending_verify"
    elif _state[chosen] == "pending_verify":
        # The new image ran and was never confirmed: the bootloader goes back.
        _state[chosen] = "aborted"
        previous = _other(chosen)
        line = "bootloader: %s was not confirmed, rolled back to %s" % (chosen, previous)
        chosen = _state["boot"] = previous
    _state["running"] = chosen
    _save()
    return line


class Partition:
    BOOT = 0
    RUNNING = 1
    TYPE_APP = 0
    TYPE_DATA = 1

    def __init__(self, id, block_size=_NATIVE):
        if id == Partition.RUNNING:
            id = _state["running"]
        elif id == Partition.BOOT:
            id = _state["boot"]
        if id not in _SLOTS:
            raise ValueError("no partition " + str(id))
        self.label = id
        self.block_size = block_size

    def info(self):
        # (type, subtype, address, size, label, encrypted); subtype ota_N is 0x10 + N
        index = _SLOTS.index(self.label)
        return (0, 0x10 + index, 0x10000 + index * _size, _size, self.label, False)

    def _file(self, mode):
        path = "%s/%s.bin" % (_folder, self.label)
        try:
            return open(path, mode)
        except OSError:
            with open(path, "wb"):
                pass
            return open(path, mode)

    def _check(self, offset, length):
        if offset < 0 or offset + length > _size:
            raise OSError(22)  # ESP_ERR_INVALID_SIZE comes out as an OSError on the board too

    def readblocks(self, block_num, buf, offset=0):
        start = block_num * self.block_size + offset
        self._check(start, len(buf))
        with self._file("rb") as f:
            f.seek(start)
            data = f.read(len(buf))
        buf[0 : len(data)] = data
        for i in range(len(data), len(buf)):  # erased flash reads 0xFF (a new slot: rare)
            buf[i] = 0xFF

    def writeblocks(self, block_num, buf, offset=None):
        # Without offset: erase, then write (the simple write); with it: write over erased flash.
        start = block_num * self.block_size + (offset or 0)
        self._check(start, len(buf))
        with self._file("r+b") as f:
            f.seek(start)
            f.write(buf)

    def ioctl(self, op, arg=None):
        if op == _IOCTL_BLOCK_COUNT:
            return _size // self.block_size
        if op == _IOCTL_BLOCK_SIZE:
            return self.block_size
        if op == _IOCTL_BLOCK_ERASE:
            self.writeblocks(arg, b"\xff" * _NATIVE)
            return 0
        if op in (1, 2, 3):
            return 0
        return None

    def set_boot(self):
        # esp_ota_set_boot_partition verifies the image first; the stand-in checks its magic.
        head = bytearray(1)
        self.readblocks(0, head)
        if head[0] != 0xE9:
            raise OSError(-5379)  # ESP_ERR_OTA_VALIDATE_FAILED
        _state["boot"] = self.label
        _state[self.label] = "new"
        _save()

    def get_next_update(self):
        return Partition(_other(self.label))

    @classmethod
    def mark_app_valid_cancel_rollback(cls):
        _state[_state["running"]] = "valid"
        _save()
