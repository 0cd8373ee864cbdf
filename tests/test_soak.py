"""The short soak in every run: bench/soak.py for at most 45 s (make soak runs a million frames).

The soak checks itself (no invalid frame, no client error, slots, buffers and heap back, console
clean) and exits 1 on any failure; this test runs it as `make soak` does and reads its report."""

import json
import os
import subprocess
import sys

from simserver import ROOT, ensure_built

# The long run's faults, with the sensor wedging every 10 s so that a short run recovers too.
FAULTS = "timeout:0.02,truncate:0.02,garbage:0.01,wedge:10,seed:7"


def test_short_soak(tmp_path):
    ensure_built()
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests", "rtsp")]),
    )
    args = ["--frames", "25000", "--seconds", "45", "--faults", FAULTS, "--out", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "soak.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    report = json.loads((tmp_path / "report.json").read_text())
    failed = [check for check in report["checks"] if not check["ok"]]
    assert done.returncode == 0 and not failed, done.stdout + done.stderr
    assert report["counts"]["parts"] > 10000, report["counts"]
    assert report["camera_health"]["reinits"] >= 1, report["camera_health"]
    assert report["camera_health"]["invalid_frames"] > 0, report["camera_health"]
    assert (tmp_path / "soak.svg").read_text().startswith("<svg")
