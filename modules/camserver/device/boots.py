"""What the previous boots say: the failed-boot counter behind safe mode, how far the last boot
got (a brownout at camera start), and an updated image on trial.

The record is kept across resets in NVS (esp32.NVS survives every reset, also the brownout one,
which the diagnosis needs; on the host the esp32 double keeps it in a file, device/esp32_host.py).
It also keeps the cause and reason of a reset the device asked for itself (device/resets.py). Every boot
counts itself as failed when it starts and is cleared once it has been healthy for a while
(device/health.py). So SAFE_AFTER boots in a row that crashed, hung or reset before that (each
within seconds, so within about a minute) mean the next one starts in safe mode: camera off,
network, server and /ota up, so a bad setting or image can be fixed over the network.
"""

import json

from camserver import log
from camserver.device import resets

SAFE_AFTER = 3


class NvsStore:
    """The record as a JSON blob in NVS (esp32.NVS of MicroPython v1.28.0, or the host's double)."""

    def __init__(self, nvs_class, namespace="camserver", key="boot"):
        self.nvs = nvs_class(namespace)
        self.key = key

    def load(self):
        buf = bytearray(512)
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
        # why the device reset itself last (device/resets.py), until the next boot reads it
        self.reset = data.get("reset")
        self.safe = False
        self.last_reset = None

    def _save(self):
        data = {"fails": self.fails, "stage": self.stage, "trial": self.trial}
        if self.reset:
            data["reset"] = self.reset
        try:
            self.store.save(data)
        except OSError as e:
            log.warning("boot record: could not save (%s)", e)

    def starting(self, chip_reason=0):
        """This boot begins. chip_reason: esp_reset_reason() (device/resets.py). Returns True
        when this boot is to run in safe mode."""
        self.last_reset = resets.last_reset(chip_reason, self.reset)
        self.reset = None
        if self.stage == "camera" and chip_reason in resets.POWER_REASONS:
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

    def resetting(self, cause, reason, uptime_s):
        """The device resets itself now, for this cause (the next boot's last_reset)."""
        self.reset = [cause, reason[:120], uptime_s]
        self._save()

    def stopped(self):
        """Stopped on purpose (Ctrl-C on the sim): this boot did not fail."""
        if self.fails:
            self.fails -= 1
        self._save()

    def on_trial(self, label):
        """An update switched the boot partition to label: the next boot is its trial."""
        self.trial = label
        self._save()

    def status(self):
        out = {"safe_mode": self.safe, "failed_boots": self.fails - 1 if self.fails else 0}
        if self.last_reset is not None:
            out["last_reset"] = self.last_reset
        return out
