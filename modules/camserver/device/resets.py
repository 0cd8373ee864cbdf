"""Why the device reset: one function the code calls to reset with a recorded cause (Resetter),
and what the next boot makes of it with the chip's own reset reason (last_reset(), shown as
/status.last_reset).

The chip's reason is esp_reset_reason() (ESP-IDF v5.5.1 esp_system.h), which camera_glue hands
to Python on the board: machine.reset_cause() of MicroPython v1.28.0 folds a brownout into
PWRON_RESET and a panic into HARD_RESET (ports/esp32/modmachine.c), the two a user most needs
told apart. A reset the device asks for itself (an update, a rollback, a camera that will not
come back) is a software reset to the chip; the boot record (device/boots.py) keeps its cause
and one-line reason across it.
"""

import time

from camserver import log

ESP_RST_SW = 3  # esp_restart(), which machine.reset() calls
# esp_reset_reason_t -> (cause, one line)
_CHIP = {
    0: ("unknown", "the chip cannot tell"),
    1: ("power", "power-on"),
    2: ("external", "the reset pin"),
    ESP_RST_SW: ("soft", "software reset"),
    4: ("panic", "a crash (panic); the serial console has its backtrace"),
    5: ("watchdog", "interrupt watchdog"),
    6: ("watchdog", "task watchdog: the event loop did not run for watchdog_s"),
    7: ("watchdog", "watchdog"),
    8: ("deepsleep", "wake from deep sleep"),
    9: ("brownout", "the supply voltage dropped (brownout): power supply or cable too weak"),
    10: ("sdio", "reset over SDIO"),
    11: ("usb", "reset over USB"),
    12: ("jtag", "reset over JTAG"),
    13: ("efuse", "eFuse error"),
    14: ("power", "power glitch"),
    15: ("panic", "CPU lock-up (double exception)"),
}
POWER_REASONS = (1, 9, 14)  # power-on, brownout, glitch: the power went


def last_reset(chip_reason, recorded=None):
    """{"cause", "reason", "uptime_s"} for /status. recorded: (cause, reason, uptime_s) the last
    boot saved before it reset itself; it explains a software reset only (a watchdog or a power
    cut that came first wins)."""
    if recorded and recorded[0] and chip_reason == ESP_RST_SW:
        cause, reason, uptime = recorded
    else:
        cause, reason = _CHIP.get(chip_reason, ("unknown", "reset reason %s" % chip_reason))
        uptime = None
    return {"cause": cause, "reason": reason, "uptime_s": uptime}


class Resetter:
    """reset(cause, reason): record why, then machine.reset(). One per device (camserver.device.reset)."""

    def __init__(self, record, machine_reset):
        self.record = record
        self.machine_reset = machine_reset
        self.started = time.ticks_ms()

    def __call__(self, cause, reason):
        uptime = time.ticks_diff(time.ticks_ms(), self.started) // 1000
        log.warning("reset: %s (%s) after %d s", cause, reason, uptime)
        self.record.resetting(cause, reason, uptime)
        self.machine_reset()
