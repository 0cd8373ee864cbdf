"""Fake ESP-IDF app images for the update tests: a valid image header (esp_app_format.h of ESP-IDF
v5.5.1: esp_image_header_t, the first esp_image_segment_header_t, esp_app_desc_t) and a random
payload. The device checks the header and the SHA-256; nothing here is ever executed."""

import hashlib
import random
import struct

CHIP_ESP32S3 = 9


def app_image(size, version="test-2", chip=CHIP_ESP32S3, seed=1):
    header = struct.pack(
        "<BBBBIB3sHBHH4sB",
        0xE9,  # magic
        3,  # segment_count
        2,  # spi_mode DIO
        0x2F,  # spi_speed 80 MHz, spi_size 8 MB
        0x40375000,  # entry_addr
        0xEE,  # wp_pin: none
        b"\0\0\0",  # spi_pin_drv
        chip,
        0,  # min_chip_rev
        0,  # min_chip_rev_full
        99,  # max_chip_rev_full
        b"\0\0\0\0",  # reserved
        1,  # hash_appended
    )
    assert len(header) == 24
    segment = struct.pack("<II", 0x3C000020, 256)
    desc = struct.pack("<II8s", 0xABCD5432, 0, b"") + version.encode().ljust(32, b"\0")
    desc += b"camserver".ljust(32, b"\0")
    head = header + segment + desc
    return head + random.Random(seed).randbytes(size - len(head))


def sha256(data):
    return hashlib.sha256(data).hexdigest()
