"""The manifest of the rendered frames: lets tests check every byte a client receives."""

import json
import os
import zlib

from simserver import FRAMES


def manifest():
    with open(os.path.join(FRAMES, "manifest.json")) as f:
        return json.load(f)


def crcs(framesize=None):
    """CRC32 -> (set key, index) for every rendered frame (of one framesize if given)."""
    out = {}
    for key, info in manifest()["sets"].items():
        if framesize is None or info["framesize"] == framesize:
            for row in info["frames"]:
                out[row["crc32"]] = (key, row["index"])
    return out


def crc(data):
    return zlib.crc32(data)
