"""The sim's `machine` double for what resets a board (host only: not frozen, see
firmware/manifest.py): reset(), reset_cause() and WDT, as MicroPython v1.28.0's esp32 port has
them (ports/esp32/modmachine.c, machine_wdt.c); tests/firmware/test_doubles.py holds the names
and signatures to the pinned esp32 stubs.

A reset ends the process with REBOOT_EXIT; `make sim` (and the tests) start it again, which is
the next boot. What the chip would report after it, esp_reset_reason() (the number camera_glue's
reset_reason() gives on the board), is kept in the device folder's reset_reason file: setup() reads what
the last run left there and writes ESP_RST_POWERON in its place, so a process that ended without
saying why (killed, or stopped by a person) reads as a power cut, as a board unplugged does.

WDT is a watcher process (a shell loop started at the first WDT()), not a thread: a SIGINT that
MicroPython's unix port takes on a second thread of its own can crash it. feed() writes a counter
to the device folder; once the counter has not moved for timeout ms (sampled every 250 ms), the
watcher records ESP_RST_TASK_WDT and interrupts the process as Ctrl-C does (SIGINT reaches the
event loop also inside a blocking call, where no Python code of its own runs); camserver.host
turns that into REBOOT_EXIT. A process that does not end within 3 s of that is killed. The
watcher ends with the process.
"""

import sys

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

SIM_ONLY = ("setup", "reset_reason", "record", "fired", "REBOOT_EXIT")
SIM_ONLY += ("ESP_RST_POWERON", "ESP_RST_SW", "ESP_RST_PANIC", "ESP_RST_TASK_WDT")

_path = None
_reason = ESP_RST_POWERON


def setup(folder):
    """Read how the last run in folder ended; from now on an unexplained end is a power cut."""
    global _path, _reason
    _path = folder + "/reset_reason"
    try:
        with open(_path) as f:
            _reason = int(f.read())
    except (OSError, ValueError):
        _reason = ESP_RST_POWERON
    record(ESP_RST_POWERON)


def record(reason):
    """What the chip will report at the next boot (the process is about to end for this reason)."""
    if _path is not None:
        _write(_path, "%d\n" % reason)


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


def fired():
    """The watchdog ended this run (what camserver.host asks when the process is interrupted)."""
    try:
        with open(_path) as f:
            return int(f.read()) == ESP_RST_TASK_WDT
    except (OSError, ValueError, TypeError):
        return False


# The watcher: $1 pid, $2 the feed counter, $3 the timeout (ms) file, $4 reset.json.
_WATCHER = (
    "idle=0; last=; while kill -0 $1 2>/dev/null; do sleep 0.25; read cur < $2; read t < $3;"
    ' if [ "$cur" = "$last" ]; then idle=$((idle + 250)); else idle=0; last=$cur; fi;'
    ' if [ $idle -ge $t ]; then echo 6 > $4; echo "watchdog: not fed for $t ms, resetting";'
    " kill -INT $1; sleep 3; kill -KILL $1 2>/dev/null; exit; fi; done"
)


def _pid():
    with open("/proc/self/stat") as f:
        return int(f.read().split()[0])


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


class WDT:
    """One task watchdog per device, as on the esp32 port: a second WDT() reconfigures it."""

    _started = False
    _feeds = 0

    def __init__(self, *, id=0, timeout=5000):
        if id != 0:
            raise ValueError()
        if timeout <= 0:
            raise ValueError("WDT timeout too short")
        _write(_path + ".timeout", str(timeout))
        self.feed()
        if not WDT._started:
            import os

            WDT._started = True
            args = (_WATCHER, _pid(), _path + ".feed", _path + ".timeout", _path)
            os.system("sh -c '%s' watchdog %d %s %s %s &" % args)

    def feed(self):
        WDT._feeds += 1
        _write(_path + ".feed", str(WDT._feeds))
