"""The sim's `machine` double for what resets a board (host only: not frozen, see
firmware/manifest.py): reset(), reset_cause() and WDT, as MicroPython v1.28.0's esp32 port has
them (ports/esp32/modmachine.c, machine_wdt.c); tests/firmware/test_doubles.py holds the names
and signatures to the pinned esp32 stubs.

A reset ends the process with REBOOT_EXIT; `make sim` (and the tests) start it again, which is
the next boot. What the chip would report after it, esp_reset_reason() (the number camera_glue's
reset_reason() gives on the board), is kept in the device folder's reset.json: setup() reads what
the last run left there and writes ESP_RST_POWERON in its place, so a process that ended without
saying why (killed, or stopped by a person) reads as a power cut, as a board unplugged does.

WDT is a thread that watches the time of the last feed() (MicroPython's unix port has _thread):
once timeout ms pass without one, it records ESP_RST_TASK_WDT and interrupts the process as
Ctrl-C does (SIGINT reaches the event loop also inside a blocking call, where no Python code of
its own runs); camserver.host turns that into REBOOT_EXIT. A process that does not end within
KILL_AFTER_MS of that is killed.
"""

import json
import sys
import time

from camserver.settings import write_json

REBOOT_EXIT = 75
PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
# esp_reset_reason_t (ESP-IDF v5.5.1 components/esp_system/include/esp_system.h)
ESP_RST_POWERON = 1
ESP_RST_SW = 3
ESP_RST_PANIC = 4
ESP_RST_TASK_WDT = 6
KILL_AFTER_MS = 3000

SIM_ONLY = ("setup", "reset_reason", "record", "expired", "fired", "REBOOT_EXIT", "KILL_AFTER_MS")
SIM_ONLY += ("ESP_RST_POWERON", "ESP_RST_SW", "ESP_RST_PANIC", "ESP_RST_TASK_WDT")

_path = None
_reason = ESP_RST_POWERON
fired = False  # the watchdog interrupted the process (camserver.host exits with REBOOT_EXIT then)


def setup(folder):
    """Read how the last run in folder ended; from now on an unexplained end is a power cut."""
    global _path, _reason
    _path = folder + "/reset.json"
    try:
        with open(_path) as f:
            _reason = json.load(f)["reason"]
    except (OSError, ValueError, KeyError):
        _reason = ESP_RST_POWERON
    record(ESP_RST_POWERON)


def record(reason):
    """What the chip will report at the next boot (the process is about to end for this reason)."""
    if _path is not None:
        write_json(_path, {"reason": reason})


def reset_reason():
    """esp_reset_reason() of this boot (camera_glue.reset_reason() on the board)."""
    return _reason


def reset_cause():
    # modmachine.c's mapping: a brownout reads as PWRON_RESET, a panic as HARD_RESET
    if _reason in (ESP_RST_POWERON, 9):
        return PWRON_RESET
    if _reason in (5, ESP_RST_TASK_WDT, 7):
        return WDT_RESET
    if _reason == 8:
        return DEEPSLEEP_RESET
    if _reason in (2, ESP_RST_SW, ESP_RST_PANIC):
        return HARD_RESET
    return 0


def reset():
    record(ESP_RST_SW)
    print("rebooting")
    sys.exit(REBOOT_EXIT)


def _pid():
    with open("/proc/self/stat") as f:
        return int(f.read().split()[0])


def _signal(name, after_s=0):
    import os

    # system() ignores SIGINT in the whole process while it waits for its shell: the kill runs
    # in the background, once system() has returned and the handler is back.
    os.system("(sleep %s; kill -%s %d) &" % (after_s, name, _pid()))


def expired(now, last, timeout):
    """True once timeout ms have passed since the last feed (ticks_ms values)."""
    return time.ticks_diff(now, last) >= timeout


class WDT:
    """One task watchdog per device, as on the esp32 port: a second WDT() reconfigures it."""

    _started = False
    _timeout = 0
    _last = 0

    def __init__(self, *, id=0, timeout=5000):
        if id != 0:
            raise ValueError()
        if timeout <= 0:
            raise ValueError("WDT timeout too short")
        WDT._timeout = timeout
        WDT._last = time.ticks_ms()
        if not WDT._started:
            import _thread

            WDT._started = True
            _thread.start_new_thread(_watch, ())

    def feed(self):
        WDT._last = time.ticks_ms()


def _watch():
    global fired
    while not expired(time.ticks_ms(), WDT._last, WDT._timeout):
        time.sleep_ms(50)
    record(ESP_RST_TASK_WDT)
    fired = True
    print("watchdog: not fed for %d ms, resetting" % WDT._timeout)
    _signal("INT", 0.1)
    time.sleep_ms(KILL_AFTER_MS)
    _signal("KILL")
