"""Write the camera's Wi-Fi settings into /settings.json on the board over USB (`make configure`).

    WIFI_SSID=home WIFI_PASSWORD=secret python firmware/configure.py --port /dev/ttyACM0 [--dry-run]

The values come from the environment (make puts WIFI_SSID, WIFI_PASSWORD, CAMERA_HOSTNAME and
AP_PASSWORD there, so no password shows on a command line). They are checked with the rules the
device itself uses (camserver.device.creds), merged into the settings already on the board, and
written with mpremote; then the board resets and joins the network. --dry-run prints the settings
that would be written (passwords masked) and touches no board.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "modules"))

from camserver.device import creds  # noqa: E402  (the device's own checks, from modules/)

MPREMOTE = str(Path(sys.executable).parent / "mpremote")
REMOTE = ":/settings.json"


def wanted(env):
    """The settings to write, from the environment; ValueError with a reason when one is bad."""
    ssid, password = creds.check_wifi(env.get("WIFI_SSID", ""), env.get("WIFI_PASSWORD", ""))
    updates = {"wifi_ssid": ssid, "wifi_password": password}
    if env.get("CAMERA_HOSTNAME"):
        updates["hostname"] = creds.check_hostname(env["CAMERA_HOSTNAME"])
    if env.get("AP_PASSWORD"):
        updates["ap_password"] = creds.check_ap_password(env["AP_PASSWORD"])
    return updates


def merged(current, updates):
    """The board's settings with the updates applied. Credentials the page saved and the board
    has not tried yet would replace the written ones at its next boot (camserver.device.wifi):
    what is written over USB wins, so they go."""
    out = dict(current)
    out.update(updates)
    out.pop("wifi_pending_ssid", None)
    out.pop("wifi_pending_password", None)
    return out


def mpremote(port, *args):
    return subprocess.run([MPREMOTE, "connect", port, *args], capture_output=True, text=True, timeout=60)


def read_board(port):
    """The settings on the board now ({} when the board has no settings file yet)."""
    # Entering the raw REPL interrupts the running camera server; the reset at the end restarts it.
    proc = mpremote(port, "fs", "cat", REMOTE)
    if proc.returncode != 0:
        if "ENOENT" in proc.stdout + proc.stderr or "No such file" in proc.stdout + proc.stderr:
            return {}
        raise OSError(
            "mpremote could not read %s on %s: %s" % (REMOTE, port, (proc.stderr or proc.stdout).strip())
        )
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        print("warning: the settings on the board are not valid JSON; writing a fresh file", file=sys.stderr)
        return {}
    return data if isinstance(data, dict) else {}


def masked(settings):
    return {k: ("***" if "password" in k and v else v) for k, v in settings.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", required=True, help="the board's serial port, e.g. /dev/ttyACM0")
    parser.add_argument("--dry-run", action="store_true", help="print the settings, write nothing")
    args = parser.parse_args(argv)
    try:
        updates = wanted(os.environ)
    except ValueError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    if args.dry_run:
        print(json.dumps(masked(updates), sort_keys=True))
        return 0
    try:
        settings = read_board(args.port)
    except (OSError, subprocess.TimeoutExpired) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    settings = merged(settings, updates)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(settings, f)
    try:
        proc = mpremote(args.port, "fs", "cp", f.name, REMOTE, "+", "reset")
    finally:
        os.unlink(f.name)
    if proc.returncode != 0:
        print(
            "error: mpremote could not write %s: %s" % (REMOTE, (proc.stderr or proc.stdout).strip()),
            file=sys.stderr,
        )
        return 1
    print("wrote %s on %s: %s" % (REMOTE, args.port, json.dumps(masked(settings), sort_keys=True)))
    print(
        "the board restarts and joins %s; `make monitor PORT=%s` shows its `camera ready:` line"
        % (updates["wifi_ssid"], args.port)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
