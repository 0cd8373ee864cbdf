"""The manifest of the rendered frames: lets tests check every byte a client receives."""

import json
import os
import time
import zlib

from httpclient import MjpegReader
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


def watch(server, seconds, results, known, path="/stream", source=None):
    """Watch the stream for `seconds` and append (frames per second, parts whose bytes are not
    one of `known`'s frames) to results (a list shared by viewer threads). Every part must be a
    JPEG newer than the one before (X-Timestamp)."""
    reader = MjpegReader(server.host, server.port, path, source=source)
    frames = bad = 0
    last_stamp = 0.0
    start = time.perf_counter()
    try:
        while time.perf_counter() - start < seconds:
            headers, jpeg = reader.next_part()
            assert headers["content-type"] == "image/jpeg"
            stamp = float(headers["x-timestamp"])
            assert stamp > last_stamp, "a frame repeated or went back in time"
            last_stamp = stamp
            if crc(jpeg) not in known:
                bad += 1
            frames += 1
    finally:
        reader.close()
    results.append((frames / (time.perf_counter() - start), bad))
