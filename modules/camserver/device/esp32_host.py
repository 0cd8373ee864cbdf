"""The sim's `esp32` double (host only: not frozen, see firmware/manifest.py): NVS and Partition
kept as files in the device folder (`make sim`'s DEVICE), so that the boot record, updates and
rollback of camserver.device run on the unix port exactly as on the board.

The names and signatures are esp32's (MicroPython v1.28.0, ports/esp32/esp32_nvs.c and
esp32_partition.c); tests/firmware/test_doubles.py holds them to the pinned esp32 stubs.
"""

import json
import os

from camserver.device import partition_host
from camserver.device.partition_host import Partition  # noqa: F401  (esp32.Partition)
from camserver.settings import write_json

SIM_ONLY = ("setup",)

_ESP_ERR_NVS_NOT_FOUND = -0x1102  # what esp32.NVS raises (negated) for a missing key
_folder = None


def setup(folder):
    """Use folder (made when missing) for NVS and the app slots, and play the bootloader once
    (partition_host.boot(), which may print a rollback line as the board's bootloader does)."""
    global _folder
    _folder = folder
    try:
        os.mkdir(folder)
    except OSError:
        pass  # (exists)
    partition_host.setup(folder)
    line = partition_host.boot()
    if line:
        print(line)


def _load():
    try:
        with open(_folder + "/nvs.json") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


class NVS:
    """One namespace of the file (nvs.json); set_* changes it in memory, commit() writes it."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.values = _load().get(namespace, {})

    def _get(self, key):
        if key not in self.values:
            raise OSError(_ESP_ERR_NVS_NOT_FOUND)
        return self.values[key]

    def get_i32(self, key):
        return self._get(key)

    def set_i32(self, key, value):
        self.values[key] = int(value)

    def get_blob(self, key, buffer):
        data = bytes.fromhex(self._get(key))
        if len(data) > len(buffer):
            raise OSError(-0x1107)  # ESP_ERR_NVS_INVALID_LENGTH
        buffer[: len(data)] = data
        return len(data)

    def set_blob(self, key, value):
        self.values[key] = bytes(value).hex()

    def erase_key(self, key):
        self._get(key)
        del self.values[key]

    def commit(self):
        data = _load()
        data[self.namespace] = self.values
        write_json(_folder + "/nvs.json", data)
