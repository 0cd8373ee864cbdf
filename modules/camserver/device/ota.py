"""Firmware updates into the next OTA app partition, one at a time.

The image arrives in blocks of the partition's block size (4096, a flash erase page) and goes
straight to flash: never the whole image in RAM. Before anything is written, the first block
must be an ESP-IDF app image for this chip (esp_app_format.h: esp_image_header_t). While
writing, SHA-256 is computed over every byte; only when the whole image is in and its digest is
the one the client gave is the partition made the boot partition. Anything else (a wrong
digest, a short upload, a client gone) leaves the boot partition as it was.

`partition` is esp32.Partition on the board, device/partition_host.py on the host: the same
methods (get_next_update, readblocks, writeblocks, ioctl, set_boot, info,
mark_app_valid_cancel_rollback).
"""

import hashlib
from binascii import hexlify

BLOCK = 4096
IMAGE_MAGIC = 0xE9  # ESP_IMAGE_HEADER_MAGIC
CHIP_ESP32S3 = 9  # ESP_CHIP_ID_ESP32S3
_MAX_SEGMENTS = 16  # ESP_IMAGE_MAX_SEGMENTS
_CHIP_ID_OFFSET = 12  # esp_image_header_t.chip_id, uint16 little-endian
_APP_DESC = 32  # esp_app_desc_t after the 24-byte image header and the first 8-byte segment header
_APP_DESC_MAGIC = b"\x32\x54\xcd\xab"  # ESP_APP_DESC_MAGIC_WORD 0xABCD5432, little-endian
_VERSION = _APP_DESC + 16  # esp_app_desc_t.version, char[32]
_BLOCK_SIZE_IOCTL = 5  # MP_BLOCKDEV_IOCTL_BLOCK_SIZE
# set_boot()'s OSError when ESP-IDF's own check of the image fails (esp_ota_ops.h
# ESP_ERR_OTA_VALIDATE_FAILED 0x1503; MicroPython's check_esp_err raises it negated)
_OTA_VALIDATE_FAILED = -0x1503


def check_header(block, chip_id=CHIP_ESP32S3):
    """ValueError with a one-line reason unless block starts an app image for chip_id."""
    if len(block) < 24 or block[0] != IMAGE_MAGIC:
        raise ValueError("not an ESP-IDF app image (no 0xE9 magic at the start)")
    if not 1 <= block[1] <= _MAX_SEGMENTS:
        raise ValueError("not an ESP-IDF app image (%d segments)" % block[1])
    chip = block[_CHIP_ID_OFFSET] | block[_CHIP_ID_OFFSET + 1] << 8
    if chip != chip_id:
        message = "image is for chip id %d; this device needs chip id %d (ESP32-S3 is 9)"
        raise ValueError(message % (chip, chip_id))


def app_version(block):
    """The version string of the app image starting in block ("" when it has no app description)."""
    if bytes(block[_APP_DESC : _APP_DESC + 4]) != _APP_DESC_MAGIC:
        return ""
    raw = bytes(block[_VERSION : _VERSION + 32])
    end = raw.find(b"\0")
    return (raw if end < 0 else raw[:end]).decode()


class Busy(Exception):
    """An update is already being written."""


class Writer:
    """One image into one partition: feed() each block in order, then finish(digest)."""

    def __init__(self, target, total, chip_id=CHIP_ESP32S3):
        self.target = target
        self.total = total
        self.chip_id = chip_id
        self.written = 0
        self.sha = hashlib.sha256()

    def feed(self, buf, n):
        """Write buf[:n], the next n bytes (n == BLOCK except for the last block). The first block
        is checked (check_header) before anything is written. A short last block is padded with
        0xFF, as erased flash reads."""
        if n <= 0 or self.written + n > self.total:
            raise ValueError("more bytes than announced")
        if self.written == 0:
            check_header(buf, self.chip_id)
        self.sha.update(buf if n == len(buf) else memoryview(buf)[:n])
        if n < len(buf):
            for i in range(n, len(buf)):
                buf[i] = 0xFF
        self.target.writeblocks(self.written // BLOCK, buf)
        self.written += n

    def finish(self, expected_hex):
        """Check the digest and make the target the boot partition; ValueError when the image is
        incomplete or its digest is not expected_hex (nothing switched then)."""
        if self.written != self.total:
            raise ValueError("image incomplete: %d of %d bytes" % (self.written, self.total))
        digest = hexlify(self.sha.digest()).decode()
        if digest != expected_hex.lower():
            raise ValueError("SHA-256 mismatch: image has %s, expected %s" % (digest, expected_hex))
        try:
            self.target.set_boot()
        except OSError as e:
            # The digest matched what the client sent, so the client sent this (an image cut
            # short before hashing, a build for another configuration): its fault, not flash's.
            if e.errno != _OTA_VALIDATE_FAILED:
                raise
            raise ValueError("ESP-IDF's check of the app image failed (incomplete or not a valid image)")


class Updater:
    """The device's one update slot, and what /status shows of it (status()). The upload route
    (app/ota_route.py) reads the block size and the Busy refusal from here, so the app imports
    nothing of the device."""

    block = BLOCK  # bytes per feed() (the route's receive buffer)
    Busy = Busy  # what begin() raises while the slot is taken

    def __init__(self, partition, reset=None, record=None, chip_id=CHIP_ESP32S3):
        """partition: the Partition class; reset(cause, reason) reboots the device, recording why
        (device.reset: after a good update, or a restart asked for over MQTT);
        record (device/boots.py) learns which slot the next boot tries."""
        self.partition = partition
        self.reset = reset
        self.record = record
        self.chip_id = chip_id
        self.state = "idle"  # idle, writing, done (reboot pending), failed
        self.bytes = 0
        self.total = 0
        self.error = ""
        self.writer = None
        self.target_name = ""
        running = partition(partition.RUNNING)
        self.running = running.info()[4]
        head = bytearray(BLOCK)
        try:
            running.readblocks(0, head)
            self.version = app_version(head)
        except OSError:
            self.version = ""

    def target(self):
        """The partition the next update goes to."""
        return self.partition(self.partition.RUNNING).get_next_update()

    def capacity(self):
        target = self.target()
        return target.info()[3]

    def begin(self, total):
        """Start an update of total bytes: Busy while one is being written, and while the running
        image is on trial (device/health.py): the slot it would go to holds the confirmed image
        the bootloader rolls back to (ESP-IDF's esp_ota_begin refuses then too; writeblocks does
        not ask it)."""
        if self.state == "writing" or self.state == "done":
            raise Busy()
        record = self.record
        if record is not None and record.trial and record.trial == self.running:
            raise Busy("%s is on trial until its health check passes; update after that" % self.running)
        target = self.target()
        if target.ioctl(_BLOCK_SIZE_IOCTL, 0) != BLOCK:
            raise ValueError("partition block size is not %d" % BLOCK)
        self.writer = Writer(target, total, self.chip_id)
        self.target_name = target.info()[4]
        self.state = "writing"
        self.bytes = 0
        self.total = total
        self.error = ""
        return self.writer

    def progress(self):
        self.bytes = self.writer.written

    def succeeded(self):
        self.bytes = self.writer.written
        self.state = "done"
        self.writer = None
        if self.record is not None:
            self.record.on_trial(self.target_name)

    def failed(self, reason):
        self.state = "failed"
        self.error = reason
        self.writer = None

    def status(self):
        out = {"state": self.state, "bytes": self.bytes, "total": self.total, "running": self.running}
        out["version"] = self.version
        if self.error:
            out["error"] = self.error
        return out
