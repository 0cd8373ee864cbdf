"""Fixtures for the firmware tests (helpers live in fwtools.py)."""

import pytest
from fwtools import ROOT, compile_tree


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """modules/ compiled by mpy-cross for the unix port (fresh, whatever build/mpy holds)."""
    dst = tmp_path_factory.mktemp("mpy")
    compile_tree(ROOT / "modules", dst)
    return dst
