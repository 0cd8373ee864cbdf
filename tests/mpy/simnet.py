"""The simulated network (camserver.device.network_host, the sim's `network` double) and the short
Wi-Fi timings the checks run it with."""

from camserver.device.network_host import SimNet  # noqa: F401  (what the checks import from here)

# Short timings for camserver.device.wifi (its wifi_options) in this world: the Wi-Fi checks and
# the whole-device start run on them.
FAST = {
    "poll_ms": 20,
    "attempts": 3,
    "watch_ms": 50,
    "retry_ms": 400,
    "lost_ap_ms": 60000,
    "backoff_max_ms": 400,
}
