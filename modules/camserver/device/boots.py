"""What the previous boots say: the failed-boot counter behind safe mode, how far the last boot
got (a brownout at camera start), and an updated image on trial.

The record is kept across resets: in NVS on the board (esp32.NVS survives every reset, also the
brownout one, which the diagnosis needs), in a file next to the settings on the host. Every boot
counts itself as failed when it starts and is cleared once it has been healthy for a while
(device/health.py). So SAFE_AFTER boots in a row that crashed, hung or reset before that (each
within seconds, so within about a minute) mean the next one starts in safe mode: camera off,
network, server and /ota up, so a bad setting or image can be fixed over the network.
"""

import json

from camserver import log
from camserver.settings import write_json

SAFE_AFTER = 3


class FileStore:
    """The record in a JSON file (the host)."""

    def __init__(self, path):
        self.path = path

    def load(self):
        try:
            with open(self.path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def save(self, data):
        write_json(self.path, data)


class NvsStore:
    """The record as a JSON blob in NVS (the board; esp32.NVS of MicroPython v1.28.0)."""

    def __init__(self, namespace="camserver", key="boot"):
        import esp32

        self.nvs = esp32.NVS(namespace)
        self.key = key

    def load(self):
        buf = bytearray(256)
        try:
            n = self.nvs.get_blob(self.key, buf)
            return json.loads(bytes(buf[:n]))
        except (OSError, ValueError):
            return None

    def save(self, data):
        self.nvs.set_blob(self.key, json.dumps(data).encode())
        self.nvs.commit()


class BootRecord:
    """Read at boot (starting()), updated as the boot goes on (reached(), healthy())."""

    def __init__(self, store):
        self.store = store
        data = store.load()
        if not isinstance(data, dict):
            data = {}
        self.fails = data.get("fails", 0)  # boots in a row that did not become healthy
        self.stage = data.get("stage", "")  # how far the last boot got: start, camera, server, up
        self.trial = data.get("trial", "")  # the slot an update switched to, until it is confirmed
        # Why the device last reset itself, [cause, reason] (the camera's recovery ladder), or None.
        self.reset = data.get("reset")
        self.safe = False

    def _save(self):
        try:
            data = {"fails": self.fails, "stage": self.stage, "trial": self.trial}
            if self.reset:
                data["reset"] = self.reset
            self.store.save(data)
        except OSError as e:
            log.warning("boot record: could not save (%s)", e)

    def starting(self, power_reset=False):
        """This boot begins. power_reset: machine.reset_cause() is PWRON_RESET (v1.28.0 reports a
        brownout as that too). Returns True when this boot is to run in safe mode."""
        if self.stage == "camera" and power_reset:
            log.error(
                "boot: the last start was cut off by a power-on or brownout reset while the camera"
                " started: the power supply (or USB cable) does not deliver the camera's start current"
            )
        self.safe = self.fails >= SAFE_AFTER
        if self.safe:
            log.error(
                "safe mode: %d boots in a row failed before running healthy; camera off, network,"
                " server and /ota up (fix the setting or upload an image; a healthy boot clears this)",
                self.fails,
            )
        self.fails += 1
        self.stage = "start"
        self._save()
        return self.safe

    def reached(self, stage):
        """Mark how far this boot got ("camera" before the camera starts, "server" after)."""
        self.stage = stage
        self._save()

    def healthy(self):
        self.fails = 0
        self.stage = "up"
        self._save()

    def resetting(self, cause, reason):
        """The device resets itself now, for cause ("camera") and a one-line reason (kept short:
        NvsStore reads 256 bytes)."""
        self.reset = [cause, reason[:100]]
        self._save()

    def on_trial(self, label):
        """An update switched the boot partition to label: the next boot is its trial."""
        self.trial = label
        self._save()

    def status(self):
        return {"safe_mode": self.safe, "failed_boots": self.fails - 1 if self.fails else 0}
