"""Runs the tests/mpy/*_checks.py scripts inside the real MicroPython: the logic of each
module (codec, router, connection, buffers, RTSP, OTA, Wi-Fi, clock, ...) with fakes for camera and clock."""

import glob
import os

import pytest
from simserver import ROOT, checks_passed, run_micropython

SCRIPTS = sorted(glob.glob(os.path.join(ROOT, "tests", "mpy", "*_checks.py")))


@pytest.mark.parametrize("script", SCRIPTS, ids=os.path.basename)
def test_micropython_script(script, tmp_path):
    # The script's files go to tmp_path (check.tmp), never to fixed paths.
    result = run_micropython(os.path.relpath(script, ROOT), str(tmp_path), timeout=60)
    assert checks_passed(result) > 0
