"""Runs the tests/mpy/*_checks.py scripts inside the real MicroPython (codec, router, settings)."""

import glob
import os
import re

import pytest
from simserver import ROOT, run_micropython

SCRIPTS = sorted(glob.glob(os.path.join(ROOT, "tests", "mpy", "*_checks.py")))


@pytest.mark.parametrize("script", SCRIPTS, ids=os.path.basename)
def test_micropython_script(script, tmp_path):
    # The script's files go to tmp_path (check.tmp), never to fixed paths.
    result = run_micropython(os.path.relpath(script, ROOT), str(tmp_path), timeout=60)
    out = result.stdout + result.stderr
    match = re.search(r"^(\d+) passed, (\d+) failed$", out, re.M)
    assert match, out
    assert int(match.group(2)) == 0 and int(match.group(1)) > 0, out
    assert result.returncode == 0, out
