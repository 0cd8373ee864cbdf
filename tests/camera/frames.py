"""The manifest of the rendered frames: lets tests check every byte a client receives."""

import json
import os
import threading
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


class Watched:
    """What one viewer saw: the X-Timestamp of every part, how many parts were not one of the
    known frames, and the monotonic times around the whole watch (request sent, last part in)."""

    def __init__(self, stamps, bad, started, ended):
        self.stamps = stamps
        self.bad = bad
        self.started = started
        self.ended = ended


def watch(server, count, results, known, path="/stream", source=None, timeout=60.0):
    """Read `count` parts of the stream and append a Watched to results (a list shared by viewer
    threads). Every part must be a JPEG newer than the one before (strictly increasing
    X-Timestamp: a new frame, never one sent again). timeout is liveness, not a rate: a
    stream that stops delivering fails, a merely slow one (a loaded machine) does not."""
    started = time.monotonic()
    reader = MjpegReader(server.host, server.port, path, source=source)
    stamps = []
    bad = 0
    try:
        while len(stamps) < count:
            headers, jpeg = reader.next_part()
            assert headers["content-type"] == "image/jpeg"
            stamp = float(headers["x-timestamp"])
            assert not stamps or stamp > stamps[-1], "a frame repeated or went back in time"
            stamps.append(stamp)
            if crc(jpeg) not in known:
                bad += 1
            assert time.monotonic() - started < timeout, "%d of %d frames in %.0f s" % (
                len(stamps),
                count,
                timeout,
            )
    finally:
        reader.close()
    results.append(Watched(stamps, bad, started, time.monotonic()))


class Viewers:
    """`count` viewer threads, each watching `frames` parts at once (see watch); join() waits
    for all of them and returns their Watched results, or fails with the first viewer's error."""

    def __init__(self, server, count, frames, known, path="/stream", source=None):
        self.results = []
        self.errors = []
        args = (server, frames, known, path, source)
        self.threads = [threading.Thread(target=self._watch, args=args) for _ in range(count)]
        for t in self.threads:
            t.start()

    def _watch(self, server, frames, known, path, source):
        try:
            watch(server, frames, self.results, known, path, source)
        except Exception as e:  # noqa: BLE001 - reported by join(), not lost in a thread
            self.errors.append("%s: %s" % (type(e).__name__, e))

    def join(self):
        for t in self.threads:
            t.join(120)
        viewers = len(self.threads)
        assert not self.errors, "%d of %d viewers failed: %s" % (len(self.errors), viewers, self.errors[0])
        assert len(self.results) == len(self.threads), "%d of %d viewers finished" % (
            len(self.results),
            len(self.threads),
        )
        return self.results
